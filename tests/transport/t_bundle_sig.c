/* t_bundle_sig.c -- the PC's check of a signed central policy bundle: what
 * the collector signs (OpenSSL, mamori_jws_sign_typ) verifies with nettle
 * against the pinned key, and every tampering or confusion is refused with
 * a reason that names it. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base64url.h"
#include "bundle.h"
#include "bundle_sig.h"
#include "jws.h"

static EVP_PKEY *new_key(void)
{
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);

    cr_assert(EVP_PKEY_keygen_init(ctx) > 0 && EVP_PKEY_keygen(ctx, &key) > 0);
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* The pin as the PC keeps it: the JWK the collector hands out. */
static void pin_of(EVP_PKEY *key, uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE])
{
    char *jwk = mamori_jwk_public_json(key), err[200];

    cr_assert_not_null(jwk);
    cr_assert_eq(mamori_policy_key_parse(jwk, strlen(jwk), pub, err, sizeof(err)), 0, "%s", err);
    free(jwk);
}

static char *signed_bundle(EVP_PKEY *key, const char *typ)
{
    char *payload = mamori_bundle_build(
        "lgwan-総務課", "b-0123456789abcdef", 1795400000,
        "{\"segment\":\"lgwan\",\"usb\":{\"allow\":[{\"id\":\"0781:5567\",\"label\":\"L-1\"}]}}");
    char *jws = NULL;

    cr_assert_not_null(payload);
    cr_assert_eq(mamori_jws_sign_typ(key, typ, payload, strlen(payload), &jws), 0);
    free(payload);
    return jws;
}

static const char *refusal(const char *jws, const uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE])
{
    static char err[300];
    char *payload = NULL;
    size_t n = 0;

    cr_assert_eq(mamori_bundle_verify(jws, strlen(jws), pub, &payload, &n, err, sizeof(err)), -1,
                 "accepted: %s", jws);
    cr_assert_null(payload);
    return err;
}

Test(bundle_sig, signed_by_the_collector_verifies_with_the_pin)
{
    EVP_PKEY *key = new_key();
    uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE];
    char *jws = signed_bundle(key, MAMORI_POLICY_BUNDLE_TYP), *payload = NULL, err[300], *group;
    struct mamori_policy *p = NULL;
    size_t n = 0;

    pin_of(key, pub);
    cr_assert_eq(mamori_bundle_verify(jws, strlen(jws), pub, &payload, &n, err, sizeof(err)), 0,
                 "%s", err);
    cr_assert_eq(payload[n], '\0');
    cr_assert_eq(mamori_bundle_parse(payload, n, &p, &group, NULL), 0);
    cr_assert_str_eq(group, "lgwan-総務課");
    cr_assert_str_eq(p->version, "b-0123456789abcdef");
    mamori_policy_free(p);
    free(group);
    free(payload);
    free(jws);
    EVP_PKEY_free(key);
}

Test(bundle_sig, tampered_payload_is_refused)
{
    EVP_PKEY *key = new_key();
    uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE];
    char *jws = signed_bundle(key, MAMORI_POLICY_BUNDLE_TYP);
    char *dot = strchr(jws, '.');

    pin_of(key, pub);
    /* One character of the payload changed (still valid base64url). */
    dot[5] = dot[5] == 'A' ? 'B' : 'A';
    cr_assert(strstr(refusal(jws, pub), "does not verify") != NULL);
    free(jws);
    EVP_PKEY_free(key);
}

Test(bundle_sig, another_key_is_refused_by_its_kid)
{
    EVP_PKEY *key = new_key(), *rogue = new_key();
    uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE];
    char *jws = signed_bundle(rogue, MAMORI_POLICY_BUNDLE_TYP);

    pin_of(key, pub);
    cr_assert(strstr(refusal(jws, pub), "another key than the pinned policy key") != NULL);
    free(jws);
    EVP_PKEY_free(key);
    EVP_PKEY_free(rogue);
}

Test(bundle_sig, a_signed_report_is_not_a_bundle)
{
    EVP_PKEY *key = new_key();
    uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE];
    char *jws = signed_bundle(key, MAMORI_JWS_TYP);

    pin_of(key, pub);
    cr_assert(strstr(refusal(jws, pub), "typ") != NULL);
    free(jws);
    EVP_PKEY_free(key);
}

/* A header of our choosing over the real payload and signature. */
static char *with_header(const char *jws, const char *header)
{
    char *enc = mamori_b64url_encode_alloc((const uint8_t *)header, strlen(header));
    const char *rest = strchr(jws, '.');
    char *out = malloc(strlen(enc) + strlen(rest) + 1);

    strcpy(out, enc);
    strcat(out, rest);
    free(enc);
    return out;
}

Test(bundle_sig, header_gates)
{
    EVP_PKEY *key = new_key();
    uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE];
    char *jws = signed_bundle(key, MAMORI_POLICY_BUNDLE_TYP), *forged;
    const char *headers[][2] = {
        {"{\"alg\":\"none\",\"typ\":\"mamori-policy+jws\"}", "alg"},
        {"{\"alg\":\"EdDSA\",\"typ\":\"mamori-policy+jws\",\"crit\":[\"x\"]}", "crit"},
        {"{\"alg\":\"EdDSA\",\"alg\":\"EdDSA\",\"typ\":\"mamori-policy+jws\"}", "one JSON object"},
        {"[1]", "one JSON object"},
        {"{\"alg\":\"EdDSA\"}", "typ"},
        {"{\"alg\":\"EdDSA\",\"typ\":\"mamori-policy+jws\",\"kid\":7}", "another key"},
    };

    pin_of(key, pub);
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        forged = with_header(jws, headers[i][0]);
        cr_assert(strstr(refusal(forged, pub), headers[i][1]) != NULL, "%s: %s", headers[i][0],
                  refusal(forged, pub));
        free(forged);
    }
    /* Without a kid the signature still decides: a header of our own breaks it. */
    forged = with_header(jws, "{\"alg\":\"EdDSA\",\"typ\":\"mamori-policy+jws\"}");
    cr_assert(strstr(refusal(forged, pub), "does not verify") != NULL);
    free(forged);
    free(jws);
    EVP_PKEY_free(key);
}

Test(bundle_sig, shape_gates)
{
    uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE] = {0};
    const char *bad[] = {"", "a.b", "a.b.c.d", ".b.c", "a.b.", "e30.e30.@@@", "e30.e30.AAAA"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        refusal(bad[i], pub);
}

Test(bundle_sig, pinned_key_must_be_an_ed25519_jwk)
{
    uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE];
    char err[200];
    const char *bad[][2] = {
        {"not json", "not a JSON object"},
        {"{\"kty\":\"RSA\",\"n\":\"x\"}", "not an Ed25519 JWK"},
        {"{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AAAA\"}", "not an Ed25519 JWK"},
        {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}", "32 bytes"},
        {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\"}", "32 bytes"},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(mamori_policy_key_parse(bad[i][0], strlen(bad[i][0]), pub, err, sizeof(err)),
                     -1, "%s", bad[i][0]);
        cr_assert(strstr(err, bad[i][1]) != NULL, "%s: %s", bad[i][0], err);
    }
    cr_assert_eq(mamori_policy_key_load("/nonexistent/policy-key.json", pub, err, sizeof(err)), -1);
    cr_assert(strstr(err, "enrol again") != NULL, "%s", err);
}

/* The fuzz seed is a real bundle signed with RFC 8037 A.1's key, so the
 * fuzzer reaches the policy parser. */
Test(bundle_sig, fuzz_seed_is_genuine)
{
    static const uint8_t rfc8037_pub[MAMORI_POLICY_PUBKEY_SIZE] = {
        0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
        0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
        0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
    char path[1024], buf[4096], *payload = NULL, err[300];
    struct mamori_policy *p = NULL;
    size_t n = 0, len;
    FILE *f;

    snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/bundle_sig/valid-bundle.jws",
             getenv("MAMORI_SOURCE_DIR"));
    f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[len] = '\0';
    cr_assert_eq(mamori_bundle_verify(buf, len, rfc8037_pub, &payload, &n, err, sizeof(err)), 0,
                 "%s", err);
    cr_assert_eq(mamori_bundle_parse(payload, n, &p, NULL, NULL), 0);
    cr_assert_eq(p->usb.n_allow, 1);
    mamori_policy_free(p);
    free(payload);
}
