/* bundle_sig.c -- the gates a signed policy bundle passes on the PC (see
 * bundle_sig.h), each failing closed with a reason, before any signature
 * arithmetic; nettle's Ed25519 verify last. */
#include "bundle_sig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <nettle/eddsa.h>

#include "base64url.h"
#include "digest.h"

#define HEADER_MAX   1024
#define JWK_FILE_MAX 4096

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err != NULL && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static const char *string_member(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int mamori_policy_key_parse(const char *jwk, size_t len, uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE],
                            char *err, size_t errlen)
{
    cJSON *doc = cJSON_ParseWithLength(jwk, len);
    const char *kty = string_member(doc, "kty"), *crv = string_member(doc, "crv");
    const char *x = string_member(doc, "x");
    int rc = -1;

    if (!cJSON_IsObject(doc))
        fail(err, errlen, "the policy key is not a JSON object (JWK)");
    else if (kty == NULL || strcmp(kty, "OKP") != 0 || crv == NULL || strcmp(crv, "Ed25519") != 0)
        fail(err, errlen, "the policy key is not an Ed25519 JWK (kty OKP, crv Ed25519)");
    else if (x == NULL || mamori_b64url_decode(x, strlen(x), pub, MAMORI_POLICY_PUBKEY_SIZE) !=
                              MAMORI_POLICY_PUBKEY_SIZE)
        fail(err, errlen, "the policy key's \"x\" is not 32 bytes of base64url");
    else
        rc = 0;
    cJSON_Delete(doc);
    return rc;
}

int mamori_policy_key_load(const char *path, uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE], char *err,
                           size_t errlen)
{
    char text[JWK_FILE_MAX], why[200];
    FILE *f = fopen(path, "re");
    size_t len;

    if (f == NULL)
        return fail(err, errlen, "%s: no pinned policy key (%m): enrol again", path);
    len = fread(text, 1, sizeof(text), f);
    fclose(f);
    if (len == sizeof(text))
        return fail(err, errlen, "%s: longer than a policy key can be", path);
    if (mamori_policy_key_parse(text, len, pub, why, sizeof(why)) != 0)
        return fail(err, errlen, "%s: %s", path, why);
    return 0;
}

/* RFC 7638 thumbprint of the key, as the collector puts it in "kid". */
static void thumbprint(const uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE], char *out, size_t len)
{
    char x[64], jwk[128];
    uint8_t md[MAMORI_SHA256_LEN];

    mamori_b64url_encode(pub, MAMORI_POLICY_PUBKEY_SIZE, x, sizeof(x));
    snprintf(jwk, sizeof(jwk), "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", x);
    mamori_sha256(jwk, strlen(jwk), md);
    mamori_b64url_encode(md, sizeof(md), out, len);
}

struct segments {
    const char *seg[3];
    size_t len[3];
};

static int split(const char *compact, size_t len, struct segments *s, char *err, size_t errlen)
{
    size_t start = 0;
    int n = 0;

    if (len > MAMORI_POLICY_BUNDLE_MAX)
        return fail(err, errlen, "the signed bundle is %zu bytes, more than %d", len,
                    MAMORI_POLICY_BUNDLE_MAX);
    for (size_t i = 0; i <= len; i++) {
        if (i < len && compact[i] != '.')
            continue;
        if (n == 3)
            return fail(err, errlen, "not a JWS: more than 3 segments");
        s->seg[n] = compact + start;
        s->len[n++] = i - start;
        start = i + 1;
    }
    if (n != 3 || s->len[0] == 0 || s->len[2] == 0)
        return fail(err, errlen, "not a JWS: expected header.payload.signature");
    return 0;
}

/* base64url-decode a segment into a fresh NUL-terminated buffer. */
static char *decode(const char *seg, size_t n, size_t *out_len)
{
    size_t max = mamori_b64url_decoded_max(n);
    uint8_t *buf = malloc(max + 1);
    long got = buf ? mamori_b64url_decode(seg, n, buf, max) : -1;

    if (got < 0) {
        free(buf);
        return NULL;
    }
    buf[got] = '\0';
    *out_len = (size_t)got;
    return (char *)buf;
}

static int has_duplicates(const cJSON *obj)
{
    for (const cJSON *a = obj->child; a != NULL; a = a->next)
        for (const cJSON *b = a->next; b != NULL; b = b->next)
            if (strcmp(a->string, b->string) == 0)
                return 1;
    return 0;
}

static int check_header(const struct segments *s, const uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE],
                        char *err, size_t errlen)
{
    size_t hlen = 0;
    char *text = s->len[0] <= mamori_b64url_encoded_len(HEADER_MAX)
                     ? decode(s->seg[0], s->len[0], &hlen)
                     : NULL;
    const char *end = NULL, *alg, *typ, *kid;
    cJSON *h = text ? cJSON_ParseWithLengthOpts(text, hlen, &end, 0) : NULL;
    char want[64];
    int rc = -1;

    alg = string_member(h, "alg");
    typ = string_member(h, "typ");
    kid = string_member(h, "kid");
    if (h == NULL || !cJSON_IsObject(h) || end != text + hlen || has_duplicates(h))
        fail(err, errlen, "the JWS header is not one JSON object");
    else if (alg == NULL || strcmp(alg, "EdDSA") != 0)
        fail(err, errlen, "the JWS alg is not \"EdDSA\"");
    else if (typ == NULL || strcmp(typ, MAMORI_POLICY_BUNDLE_TYP) != 0)
        fail(err, errlen, "not a policy bundle (typ is not \"" MAMORI_POLICY_BUNDLE_TYP "\")");
    else if (cJSON_GetObjectItemCaseSensitive(h, "crit") != NULL)
        fail(err, errlen, "the JWS has a \"crit\" header, which is not supported");
    else if (cJSON_GetObjectItemCaseSensitive(h, "kid") != NULL &&
             (kid == NULL || (thumbprint(pub, want, sizeof(want)), strcmp(kid, want) != 0)))
        fail(err, errlen, "signed with another key than the pinned policy key (kid %.50s)",
             kid ? kid : "?");
    else
        rc = 0;
    cJSON_Delete(h);
    free(text);
    return rc;
}

int mamori_bundle_verify(const char *compact, size_t len,
                         const uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE], char **payload,
                         size_t *payload_len, char *err, size_t errlen)
{
    uint8_t sig[ED25519_SIGNATURE_SIZE + 3];
    struct segments s;

    *payload = NULL;
    *payload_len = 0;
    if (split(compact, len, &s, err, errlen) != 0 || check_header(&s, pub, err, errlen) != 0)
        return -1;
    if (mamori_b64url_decode(s.seg[2], s.len[2], sig, sizeof(sig)) != ED25519_SIGNATURE_SIZE)
        return fail(err, errlen, "the signature is not 64 bytes of base64url");
    if (!ed25519_sha512_verify(pub, s.len[0] + 1 + s.len[1], (const uint8_t *)compact, sig))
        return fail(err, errlen, "the signature does not verify with the pinned policy key");
    *payload = decode(s.seg[1], s.len[1], payload_len);
    if (*payload == NULL)
        return fail(err, errlen, "the payload is not valid base64url");
    return 0;
}
