/* jws.c -- JWS compact EdDSA signing and strict verification.
 *
 * Verification is written as a sequence of narrow gates, each failing closed
 * with a reason, before any signature arithmetic: size, segment shape,
 * base64url, header JSON, header members, key identity, then the Ed25519
 * verify.  Signing uses OpenSSL's EVP interface (the device key lives there);
 * verifying uses libsodium, whose Ed25519 verify costs half of OpenSSL 3.0's
 * (which fetches SHA-512 from its provider on every call) and is stricter:
 * it refuses non-canonical S and small-order R and A.  The collector verifies
 * every report, so this is its largest single cost (docs/server.md, "Ingest
 * rate").  See jws.h for the contract. */
#include "jws.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "base64url.h"

#define ED25519_KEY_BYTES 32
#define ED25519_SIG_BYTES 64
/* Our headers are ~120 bytes; anything far larger is not ours. */
#define JWS_MAX_HEADER_BYTES 1024

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int is_ed25519(EVP_PKEY *key)
{
    return key && EVP_PKEY_get_id(key) == EVP_PKEY_ED25519;
}

static int ed25519_raw_public(EVP_PKEY *key, uint8_t raw[ED25519_KEY_BYTES])
{
    size_t n = ED25519_KEY_BYTES;
    if (!is_ed25519(key) || EVP_PKEY_get_raw_public_key(key, raw, &n) != 1 ||
        n != ED25519_KEY_BYTES)
        return -1;
    return 0;
}

char *mamori_jwk_public_json(EVP_PKEY *ed25519_pub)
{
    uint8_t raw[ED25519_KEY_BYTES];
    char x[64];
    if (ed25519_raw_public(ed25519_pub, raw) < 0 ||
        mamori_b64url_encode(raw, sizeof raw, x, sizeof x) < 0)
        return NULL;
    /* Members in lexicographic order, no whitespace: the RFC 7638 form. */
    char *json = NULL;
    if (asprintf(&json, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", x) < 0)
        return NULL;
    return json;
}

int mamori_jwk_thumbprint(EVP_PKEY *ed25519_pub, char *out, size_t outlen)
{
    char *jwk = mamori_jwk_public_json(ed25519_pub);
    if (!jwk)
        return -1;
    uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)jwk, strlen(jwk), digest);
    free(jwk);
    return mamori_b64url_encode(digest, sizeof digest, out, outlen) < 0 ? -1 : 0;
}

int mamori_jws_sign(EVP_PKEY *key, const char *payload, size_t len, char **out_compact)
{
    return mamori_jws_sign_typ(key, MAMORI_JWS_TYP, payload, len, out_compact);
}

int mamori_jws_sign_typ(EVP_PKEY *key, const char *typ, const char *payload, size_t len,
                        char **out_compact)
{
    *out_compact = NULL;
    char kid[MAMORI_JWK_THUMBPRINT_LEN + 1];
    if (mamori_jwk_thumbprint(key, kid, sizeof kid) < 0)
        return -1;
    char header[160];
    if (snprintf(header, sizeof header, "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"%s\"}", kid,
                 typ) >= (int)sizeof header)
        return -1;
    size_t hlen = mamori_b64url_encoded_len(strlen(header));
    size_t plen = mamori_b64url_encoded_len(len);
    size_t slen = mamori_b64url_encoded_len(ED25519_SIG_BYTES);
    size_t total = hlen + 1 + plen + 1 + slen + 1;
    char *out = malloc(total);
    if (!out)
        return -1;
    mamori_b64url_encode((const uint8_t *)header, strlen(header), out, total);
    out[hlen] = '.';
    mamori_b64url_encode((const uint8_t *)payload, len, out + hlen + 1, total - hlen - 1);
    size_t signing_len = hlen + 1 + plen;

    uint8_t sig[ED25519_SIG_BYTES];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, key) == 1 &&
             EVP_DigestSign(md, sig, &siglen, (const unsigned char *)out, signing_len) == 1 &&
             siglen == ED25519_SIG_BYTES;
    EVP_MD_CTX_free(md);
    if (!ok) {
        free(out);
        return -1;
    }
    out[signing_len] = '.';
    mamori_b64url_encode(sig, siglen, out + signing_len + 1, total - signing_len - 1);
    *out_compact = out;
    return 0;
}

/* The three segments of a compact JWS, as spans of the input. */
struct jws_parts {
    const char *seg[3];
    size_t seglen[3];
};

static int split_compact(const char *compact, size_t len, struct jws_parts *parts, char *err,
                         size_t errlen)
{
    if (len > MAMORI_JWS_MAX_BYTES) {
        set_err(err, errlen, "JWS is %zu bytes, more than the limit of %d", len,
                MAMORI_JWS_MAX_BYTES);
        return -1;
    }
    int n = 0;
    const char *start = compact;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && compact[i] != '.')
            continue;
        if (n == 3) {
            set_err(err, errlen, "JWS compact form must have exactly 3 segments");
            return -1;
        }
        parts->seg[n] = start;
        parts->seglen[n] = (size_t)(compact + i - start);
        n++;
        start = compact + i + 1;
    }
    if (n != 3) {
        set_err(err, errlen, "JWS compact form must have exactly 3 segments");
        return -1;
    }
    if (parts->seglen[0] == 0 || parts->seglen[2] == 0) {
        set_err(err, errlen, "JWS header or signature segment is empty");
        return -1;
    }
    return 0;
}

/* Decode a segment into a fresh NUL-terminated buffer. */
static uint8_t *decode_segment(const char *seg, size_t n, size_t *outlen)
{
    size_t max = mamori_b64url_decoded_max(n);
    uint8_t *buf = malloc(max + 1);
    if (!buf)
        return NULL;
    long got = mamori_b64url_decode(seg, n, buf, max);
    if (got < 0) {
        free(buf);
        return NULL;
    }
    buf[got] = '\0';
    *outlen = (size_t)got;
    return buf;
}

static int has_duplicate_members(const cJSON *obj)
{
    for (const cJSON *a = obj->child; a; a = a->next)
        for (const cJSON *b = a->next; b; b = b->next)
            if (strcmp(a->string, b->string) == 0)
                return 1;
    return 0;
}

/* Decode and parse the protected header; NULL with a reason on failure. */
static cJSON *parse_header(const struct jws_parts *parts, char *err, size_t errlen)
{
    if (parts->seglen[0] > mamori_b64url_encoded_len(JWS_MAX_HEADER_BYTES)) {
        set_err(err, errlen, "JWS protected header is too large");
        return NULL;
    }
    size_t hlen = 0;
    uint8_t *raw = decode_segment(parts->seg[0], parts->seglen[0], &hlen);
    if (!raw) {
        set_err(err, errlen, "JWS protected header is not valid base64url");
        return NULL;
    }
    const char *end = NULL;
    cJSON *header = cJSON_ParseWithLengthOpts((const char *)raw, hlen, &end, 0);
    int whole = header && end == (const char *)raw + hlen;
    free(raw);
    if (!header || !whole || !cJSON_IsObject(header) || has_duplicate_members(header)) {
        cJSON_Delete(header);
        set_err(err, errlen, "JWS protected header is not a single JSON object");
        return NULL;
    }
    return header;
}

/* The kid gate: required or not, a kid present must be the key's. */
static int check_header(const cJSON *header, const char *key_kid, int require_kid, char *err,
                        size_t errlen)
{
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(header, "alg");
    if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "EdDSA") != 0) {
        set_err(err, errlen, "JWS alg must be \"EdDSA\"");
        return -1;
    }
    if (cJSON_GetObjectItemCaseSensitive(header, "crit")) {
        set_err(err, errlen, "JWS crit header is not supported");
        return -1;
    }
    const cJSON *kid = cJSON_GetObjectItemCaseSensitive(header, "kid");
    if (!kid && !require_kid)
        return 0;
    if (!cJSON_IsString(kid) || strcmp(kid->valuestring, key_kid) != 0) {
        set_err(err, errlen, "JWS kid does not match the verification key");
        return MAMORI_JWS_KID_MISMATCH;
    }
    return 0;
}

/* One key's verification state.  The EVP context is initialised once: with
 * OpenSSL 3 a fresh DigestVerifyInit per report fetches the algorithm from
 * the provider again.  The last header segment that passed the gates is kept
 * verbatim: a host signs every report with the same header bytes, so the
 * same bytes need not be decoded and parsed again. */
struct mamori_jws_verifier {
    EVP_PKEY *pub;
    uint8_t raw_pub[ED25519_KEY_BYTES];
    char kid[MAMORI_JWK_THUMBPRINT_LEN + 1];
    char *header; /* base64url text of the last accepted header, or NULL */
    size_t header_len;
    int header_had_kid;
    uint8_t *payload; /* the last decoded payload; the buffer is reused */
    size_t payload_size;
};

struct mamori_jws_verifier *mamori_jws_verifier_new(EVP_PKEY *pub)
{
    if (!is_ed25519(pub))
        return NULL;
    if (sodium_init() < 0) /* idempotent and thread-safe; picks the CPU's code */
        return NULL;
    struct mamori_jws_verifier *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    if (EVP_PKEY_up_ref(pub) != 1) {
        free(v);
        return NULL;
    }
    v->pub = pub;
    if (mamori_jwk_thumbprint(pub, v->kid, sizeof v->kid) < 0 ||
        ed25519_raw_public(pub, v->raw_pub) < 0) {
        mamori_jws_verifier_free(v);
        return NULL;
    }
    return v;
}

void mamori_jws_verifier_free(struct mamori_jws_verifier *v)
{
    if (!v)
        return;
    EVP_PKEY_free(v->pub);
    free(v->header);
    free(v->payload);
    free(v);
}

const char *mamori_jws_verifier_kid(const struct mamori_jws_verifier *v)
{
    return v->kid;
}

EVP_PKEY *mamori_jws_verifier_key(const struct mamori_jws_verifier *v)
{
    return v->pub;
}

static void remember_header(struct mamori_jws_verifier *v, const struct jws_parts *parts,
                            int had_kid)
{
    char *copy = malloc(parts->seglen[0]);
    if (!copy)
        return; /* only a missed shortcut */
    memcpy(copy, parts->seg[0], parts->seglen[0]);
    free(v->header);
    v->header = copy;
    v->header_len = parts->seglen[0];
    v->header_had_kid = had_kid;
}

/* Gates on the protected header, skipped for the bytes accepted last time. */
static int header_gates(struct mamori_jws_verifier *v, const struct jws_parts *parts,
                        int require_kid, char *err, size_t errlen)
{
    if (v->header && parts->seglen[0] == v->header_len &&
        memcmp(parts->seg[0], v->header, v->header_len) == 0 && (v->header_had_kid || !require_kid))
        return 0;
    cJSON *header = parse_header(parts, err, errlen);
    if (!header)
        return -1;
    int rc = check_header(header, v->kid, require_kid, err, errlen);
    int had_kid = cJSON_GetObjectItemCaseSensitive(header, "kid") != NULL;
    cJSON_Delete(header);
    if (rc == 0)
        remember_header(v, parts, had_kid);
    return rc;
}

static int verify_signature(struct mamori_jws_verifier *v, const struct jws_parts *parts, char *err,
                            size_t errlen)
{
    uint8_t sig[ED25519_SIG_BYTES + 3];
    long siglen = mamori_b64url_decode(parts->seg[2], parts->seglen[2], sig, sizeof sig);
    if (siglen != ED25519_SIG_BYTES) {
        set_err(err, errlen, "JWS signature is not 64 bytes of valid base64url");
        return -1;
    }
    size_t signing_len = parts->seglen[0] + 1 + parts->seglen[1];
    if (crypto_sign_verify_detached(sig, (const unsigned char *)parts->seg[0], signing_len,
                                    v->raw_pub) != 0) {
        set_err(err, errlen, "JWS signature does not verify");
        return -1;
    }
    return 0;
}

/* Decode the payload into the verifier's buffer (grown as needed). */
static int decode_payload(struct mamori_jws_verifier *v, const struct jws_parts *parts,
                          size_t *outlen)
{
    size_t max = mamori_b64url_decoded_max(parts->seglen[1]) + 1;
    if (max > v->payload_size) {
        uint8_t *grown = realloc(v->payload, max);
        if (!grown)
            return -1;
        v->payload = grown;
        v->payload_size = max;
    }
    long got = mamori_b64url_decode(parts->seg[1], parts->seglen[1], v->payload, max);
    if (got < 0)
        return -1;
    v->payload[got] = '\0';
    *outlen = (size_t)got;
    return 0;
}

int mamori_jws_verifier_check(struct mamori_jws_verifier *v, const char *compact, size_t len,
                              int require_kid, const char **payload, size_t *payload_len, char *err,
                              size_t errlen)
{
    *payload = NULL;
    *payload_len = 0;
    struct jws_parts parts;
    if (split_compact(compact, len, &parts, err, errlen) < 0)
        return -1;
    int rc = header_gates(v, &parts, require_kid, err, errlen);
    if (rc < 0)
        return rc;
    if (verify_signature(v, &parts, err, errlen) < 0)
        return -1;
    if (decode_payload(v, &parts, payload_len) < 0) {
        set_err(err, errlen, "JWS payload is not valid base64url");
        return -1;
    }
    *payload = (const char *)v->payload;
    return 0;
}

int mamori_jws_verify(const char *compact, size_t len, EVP_PKEY *pub, char **payload,
                      size_t *payload_len, char *err, size_t errlen)
{
    *payload = NULL;
    *payload_len = 0;
    if (!is_ed25519(pub)) {
        set_err(err, errlen, "verification key is not Ed25519");
        return -1;
    }
    struct mamori_jws_verifier *v = mamori_jws_verifier_new(pub);
    if (!v) {
        set_err(err, errlen, "verification key cannot be used");
        return -1;
    }
    const char *decoded = NULL;
    size_t n = 0;
    int rc = mamori_jws_verifier_check(v, compact, len, 0, &decoded, &n, err, errlen);
    if (rc == 0 && (*payload = malloc(n + 1)) != NULL) {
        memcpy(*payload, decoded, n + 1);
        *payload_len = n;
    } else if (rc == 0) {
        set_err(err, errlen, "out of memory");
        rc = -1;
    }
    mamori_jws_verifier_free(v);
    return rc < 0 ? -1 : 0;
}

int mamori_jws_peek_kid(const char *compact, size_t len, char *kid, size_t kidlen)
{
    struct jws_parts parts;
    if (split_compact(compact, len, &parts, NULL, 0) < 0)
        return -1;
    cJSON *header = parse_header(&parts, NULL, 0);
    if (!header)
        return -1;
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(header, "kid");
    int rc = -1;
    if (cJSON_IsString(k) && strlen(k->valuestring) < kidlen) {
        strcpy(kid, k->valuestring);
        rc = 0;
    }
    cJSON_Delete(header);
    return rc;
}
