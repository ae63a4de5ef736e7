/* t_jws.c -- JWS EdDSA: RFC 8037 test vectors, round trip, and every rejection
 * rule of mamori_jws_verify (alg, crit, kid, base64url, shape, size). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base64url.h"
#include "jws.h"

/* RFC 8037 appendix A.1 key. */
static const char *rfc_d = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
static const char *rfc_x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
/* RFC 8037 A.4: the JWS over "Example of Ed25519 signing". */
static const char *rfc_jws =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

static EVP_PKEY *rfc_key(int private)
{
    uint8_t raw[32];
    const char *src = private ? rfc_d : rfc_x;
    cr_assert_eq(mamori_b64url_decode(src, strlen(src), raw, sizeof raw), 32);
    EVP_PKEY *k = private ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, 32)
                          : EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, 32);
    cr_assert_not_null(k);
    return k;
}

static EVP_PKEY *fresh_key(void)
{
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    cr_assert(c && EVP_PKEY_keygen_init(c) == 1 && EVP_PKEY_keygen(c, &k) == 1);
    EVP_PKEY_CTX_free(c);
    return k;
}

static int verify_str(const char *jws, EVP_PKEY *pub, char *err, size_t errlen)
{
    char *payload = NULL;
    size_t n = 0;
    int rc = mamori_jws_verify(jws, strlen(jws), pub, &payload, &n, err, errlen);
    free(payload);
    return rc;
}

/* Build a compact JWS from a literal header and payload, signed with key. */
static char *forge(EVP_PKEY *key, const char *header, const char *payload)
{
    char *h = mamori_b64url_encode_alloc((const uint8_t *)header, strlen(header));
    char *p = mamori_b64url_encode_alloc((const uint8_t *)payload, strlen(payload));
    char *input = NULL;
    cr_assert(asprintf(&input, "%s.%s", h, p) > 0);
    uint8_t sig[64];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    cr_assert(EVP_DigestSignInit(md, NULL, NULL, NULL, key) == 1);
    cr_assert(EVP_DigestSign(md, sig, &siglen, (uint8_t *)input, strlen(input)) == 1);
    EVP_MD_CTX_free(md);
    char *s = mamori_b64url_encode_alloc(sig, siglen);
    char *out = NULL;
    cr_assert(asprintf(&out, "%s.%s", input, s) > 0);
    free(h);
    free(p);
    free(s);
    free(input);
    return out;
}

Test(jws, rfc8037_thumbprint)
{
    EVP_PKEY *pub = rfc_key(0);
    char kid[64];
    cr_assert_eq(mamori_jwk_thumbprint(pub, kid, sizeof kid), 0);
    cr_assert_str_eq(kid, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    EVP_PKEY_free(pub);
}

Test(jws, rfc8037_vector_verifies)
{
    EVP_PKEY *pub = rfc_key(0);
    char *payload = NULL;
    size_t n = 0;
    char err[128] = "";
    cr_assert_eq(mamori_jws_verify(rfc_jws, strlen(rfc_jws), pub, &payload, &n, err, sizeof err), 0,
                 "%s", err);
    cr_assert_eq(n, strlen("Example of Ed25519 signing"));
    cr_assert_str_eq(payload, "Example of Ed25519 signing");
    free(payload);
    EVP_PKEY_free(pub);
}

Test(jws, rfc8037_signature_is_deterministic)
{
    /* Ed25519 is deterministic: signing A.4's input reproduces A.4's signature. */
    EVP_PKEY *priv = rfc_key(1);
    char *jws = forge(priv, "{\"alg\":\"EdDSA\"}", "Example of Ed25519 signing");
    cr_assert_str_eq(jws, rfc_jws);
    free(jws);
    EVP_PKEY_free(priv);
}

Test(jws, sign_verify_round_trip_with_kid)
{
    EVP_PKEY *key = fresh_key();
    const char *doc = "{\"schema\":1,\"seq\":7}";
    char *jws = NULL;
    cr_assert_eq(mamori_jws_sign(key, doc, strlen(doc), &jws), 0);
    char kid[64], peek[64];
    cr_assert_eq(mamori_jwk_thumbprint(key, kid, sizeof kid), 0);
    cr_assert_eq(strlen(kid), MAMORI_JWK_THUMBPRINT_LEN);
    cr_assert_eq(mamori_jws_peek_kid(jws, strlen(jws), peek, sizeof peek), 0);
    cr_assert_str_eq(peek, kid);
    char *payload = NULL;
    size_t n = 0;
    char err[128] = "";
    cr_assert_eq(mamori_jws_verify(jws, strlen(jws), key, &payload, &n, err, sizeof err), 0, "%s",
                 err);
    cr_assert_str_eq(payload, doc);
    free(payload);
    free(jws);
    EVP_PKEY_free(key);
}

Test(jws, tampered_payload_rejected)
{
    EVP_PKEY *key = fresh_key();
    char *jws = NULL;
    cr_assert_eq(mamori_jws_sign(key, "{\"seq\":1}", 9, &jws), 0);
    char *dot = strchr(jws, '.');
    dot[1] = dot[1] == 'e' ? 'f' : 'e';
    char err[128] = "";
    cr_assert_eq(verify_str(jws, key, err, sizeof err), -1);
    cr_assert(strstr(err, "signature"), "%s", err);
    free(jws);
    EVP_PKEY_free(key);
}

Test(jws, other_key_rejected_by_kid)
{
    EVP_PKEY *a = fresh_key(), *b = fresh_key();
    char *jws = NULL;
    cr_assert_eq(mamori_jws_sign(a, "x", 1, &jws), 0);
    char err[128] = "";
    cr_assert_eq(verify_str(jws, b, err, sizeof err), -1);
    cr_assert(strstr(err, "kid"), "%s", err);
    free(jws);
    EVP_PKEY_free(a);
    EVP_PKEY_free(b);
}

Test(jws, alg_none_and_hs256_rejected)
{
    EVP_PKEY *key = fresh_key();
    char err[128];
    /* Validly signed with Ed25519, but the header lies about the algorithm. */
    const char *headers[] = {"{\"alg\":\"none\"}",   "{\"alg\":\"HS256\"}", "{\"alg\":\"eddsa\"}",
                             "{\"alg\":\"EdDSA \"}", "{\"typ\":\"JWT\"}",   "{\"alg\":1}"};
    for (size_t i = 0; i < sizeof headers / sizeof *headers; i++) {
        char *jws = forge(key, headers[i], "p");
        err[0] = '\0';
        cr_assert_eq(verify_str(jws, key, err, sizeof err), -1, "%s", headers[i]);
        cr_assert(strstr(err, "alg"), "%s: %s", headers[i], err);
        free(jws);
    }
    /* The classic unsigned token: empty signature segment. */
    cr_assert_eq(verify_str("eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.", key, err, sizeof err), -1);
    EVP_PKEY_free(key);
}

Test(jws, crit_and_duplicate_members_rejected)
{
    EVP_PKEY *key = fresh_key();
    char err[128];
    char *jws = forge(key, "{\"alg\":\"EdDSA\",\"crit\":[\"b64\"],\"b64\":false}", "p");
    cr_assert_eq(verify_str(jws, key, err, sizeof err), -1);
    cr_assert(strstr(err, "crit"), "%s", err);
    free(jws);
    jws = forge(key, "{\"alg\":\"EdDSA\",\"alg\":\"none\"}", "p");
    cr_assert_eq(verify_str(jws, key, err, sizeof err), -1);
    free(jws);
    jws = forge(key, "[\"alg\",\"EdDSA\"]", "p");
    cr_assert_eq(verify_str(jws, key, err, sizeof err), -1);
    free(jws);
    jws = forge(key, "{\"alg\":\"EdDSA\"} ", "p");
    cr_assert_eq(verify_str(jws, key, err, sizeof err), -1, "trailing bytes after header JSON");
    free(jws);
    EVP_PKEY_free(key);
}

Test(jws, bad_base64url_rejected)
{
    EVP_PKEY *pub = rfc_key(0);
    char err[128];
    char buf[512];
    /* Padding on the payload. */
    snprintf(buf, sizeof buf, "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc=.%s",
             strrchr(rfc_jws, '.') + 1);
    cr_assert_eq(verify_str(buf, pub, err, sizeof err), -1);
    /* Standard-alphabet characters instead of url-safe ones. */
    strcpy(buf, rfc_jws);
    *strchr(strrchr(buf, '.'), '_') = '/';
    cr_assert_eq(verify_str(buf, pub, err, sizeof err), -1);
    strcpy(buf, rfc_jws);
    *strchr(strrchr(buf, '.'), '-') = '+';
    cr_assert_eq(verify_str(buf, pub, err, sizeof err), -1);
    EVP_PKEY_free(pub);
}

Test(jws, trailing_data_and_shape_rejected)
{
    EVP_PKEY *pub = rfc_key(0);
    char err[128];
    char buf[512];
    snprintf(buf, sizeof buf, "%s\n", rfc_jws);
    cr_assert_eq(verify_str(buf, pub, err, sizeof err), -1);
    snprintf(buf, sizeof buf, "%s.", rfc_jws);
    cr_assert_eq(verify_str(buf, pub, err, sizeof err), -1);
    cr_assert(strstr(err, "3 segments"), "%s", err);
    snprintf(buf, sizeof buf, "%sAA", rfc_jws);
    cr_assert_eq(verify_str(buf, pub, err, sizeof err), -1);
    cr_assert_eq(verify_str("a.b", pub, err, sizeof err), -1);
    cr_assert_eq(verify_str("", pub, err, sizeof err), -1);
    /* An embedded NUL: the length says there is more than the C string. */
    char *payload = NULL;
    size_t n = 0;
    size_t len = strlen(rfc_jws);
    memcpy(buf, rfc_jws, len);
    buf[len] = '\0';
    buf[len + 1] = 'A';
    cr_assert_eq(mamori_jws_verify(buf, len + 2, pub, &payload, &n, err, sizeof err), -1);
    cr_assert_null(payload);
    EVP_PKEY_free(pub);
}

Test(jws, oversized_rejected_before_parsing)
{
    EVP_PKEY *key = fresh_key();
    size_t big = MAMORI_JWS_MAX_BYTES + 1;
    char *buf = malloc(big + 1);
    memset(buf, 'A', big);
    buf[big] = '\0';
    char err[128] = "";
    cr_assert_eq(verify_str(buf, key, err, sizeof err), -1);
    cr_assert(strstr(err, "limit"), "%s", err);
    free(buf);
    EVP_PKEY_free(key);
}

/* One verifier, many reports: the context and the remembered header must
 * never let a bad report through after good ones. */
Test(jws, verifier_reused_across_reports)
{
    EVP_PKEY *key = fresh_key();
    struct mamori_jws_verifier *v = mamori_jws_verifier_new(key);
    char kid[MAMORI_JWK_THUMBPRINT_LEN + 1], err[256], *jws;
    const char *payload;
    size_t n;

    cr_assert_not_null(v);
    cr_assert_eq(mamori_jwk_thumbprint(key, kid, sizeof kid), 0);
    cr_assert_str_eq(mamori_jws_verifier_kid(v), kid);
    for (int i = 0; i < 3; i++) {
        char body[32];
        snprintf(body, sizeof body, "{\"n\":%d}", i);
        cr_assert_eq(mamori_jws_sign(key, body, strlen(body), &jws), 0);
        cr_assert_eq(
            mamori_jws_verifier_check(v, jws, strlen(jws), 1, &payload, &n, err, sizeof err), 0,
            "%s", err);
        cr_assert_str_eq(payload, body);
        /* Same (remembered) header, broken signature. */
        jws[strlen(jws) - 3] ^= 1;
        cr_assert_eq(
            mamori_jws_verifier_check(v, jws, strlen(jws), 1, &payload, &n, err, sizeof err), -1);
        cr_assert_null(payload);
        free(jws);
    }
    mamori_jws_verifier_free(v);
    EVP_PKEY_free(key);
}

Test(jws, verifier_requires_the_keys_kid)
{
    EVP_PKEY *key = fresh_key(), *other = fresh_key();
    struct mamori_jws_verifier *v = mamori_jws_verifier_new(key);
    char hdr[160], err[256], *jws;
    const char *payload;
    size_t n;

    /* No kid: fine for mamori_jws_verify, refused when a kid is required,
     * even after the same header was accepted without the requirement. */
    jws = forge(key, "{\"alg\":\"EdDSA\"}", "{}");
    cr_assert_eq(mamori_jws_verifier_check(v, jws, strlen(jws), 0, &payload, &n, err, sizeof err),
                 0, "%s", err);
    cr_assert_eq(mamori_jws_verifier_check(v, jws, strlen(jws), 1, &payload, &n, err, sizeof err),
                 MAMORI_JWS_KID_MISMATCH);
    free(jws);
    /* Another key's kid. */
    cr_assert_eq(mamori_jws_sign(other, "{}", 2, &jws), 0);
    cr_assert_eq(mamori_jws_verifier_check(v, jws, strlen(jws), 1, &payload, &n, err, sizeof err),
                 MAMORI_JWS_KID_MISMATCH);
    cr_assert(strstr(err, "kid") != NULL, "%s", err);
    free(jws);
    /* The right kid with another alg is still refused. */
    snprintf(hdr, sizeof hdr, "{\"alg\":\"HS256\",\"kid\":\"%s\"}", mamori_jws_verifier_kid(v));
    jws = forge(key, hdr, "{}");
    cr_assert_eq(mamori_jws_verifier_check(v, jws, strlen(jws), 1, &payload, &n, err, sizeof err),
                 -1);
    free(jws);
    cr_assert_null(mamori_jws_verifier_new(NULL));
    mamori_jws_verifier_free(v);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
}

Test(base64url, canonical_only)
{
    uint8_t out[8];
    cr_assert_eq(mamori_b64url_decode("QQ", 2, out, sizeof out), 1);
    cr_assert_eq(out[0], 'A');
    cr_assert_eq(mamori_b64url_decode("QR", 2, out, sizeof out), -1, "non-zero trailing bits");
    cr_assert_eq(mamori_b64url_decode("Q", 1, out, sizeof out), -1, "impossible length");
    cr_assert_eq(mamori_b64url_decode("QQ==", 4, out, sizeof out), -1, "padding");
    cr_assert_eq(mamori_b64url_decode("Q Q", 3, out, sizeof out), -1, "whitespace");
    char enc[16];
    cr_assert_eq(mamori_b64url_encode((const uint8_t *)"\xfb\xff", 2, enc, sizeof enc), 3);
    cr_assert_str_eq(enc, "-_8");
}
