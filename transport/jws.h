/* jws.h -- JWS compact serialization with EdDSA (Ed25519) for signed reports.
 *
 * Reports are signed end to end (RFC 7515 compact form, RFC 8037 "EdDSA")
 * so that they stay verifiable after relays and offline transfer from an
 * air-gapped segment, which TLS alone cannot give.  The agent signs with its
 * device key; the collector verifies with the key it enrolled.
 *
 * Protected header written by mamori_jws_sign:
 *     {"alg":"EdDSA","kid":"<RFC 7638 thumbprint>","typ":"mamori-report+jws"}
 * kid is the base64url (no padding) SHA-256 JWK thumbprint of the public key.
 *
 * mamori_jws_verify accepts only: exactly three non-empty-header segments of
 * strict base64url, input <= MAMORI_JWS_MAX_BYTES with no trailing bytes,
 * a header that is a JSON object without duplicate members, "alg" exactly
 * "EdDSA", no "crit", a "kid" (if present) equal to the thumbprint of pub,
 * and a 64-byte Ed25519 signature that verifies. */
#ifndef MAMORI_JWS_H
#define MAMORI_JWS_H

#include <stddef.h>

#include <openssl/evp.h>

#define MAMORI_JWS_MAX_BYTES (256 * 1024)
#define MAMORI_JWS_TYP       "mamori-report+jws"
/* base64url of a SHA-256 digest: 43 characters. */
#define MAMORI_JWK_THUMBPRINT_LEN 43

/* Sign payload with an Ed25519 private key.  *out_compact receives a malloc'd
 * NUL-terminated "header.payload.signature".  0 on success, -1 on error. */
int mamori_jws_sign(EVP_PKEY *key, const char *payload, size_t len, char **out_compact);

/* The same with another "typ" (e.g. "mamori-policy+jws" for policy bundles,
 * so a signed report can never pass for a bundle or the other way round). */
int mamori_jws_sign_typ(EVP_PKEY *key, const char *typ, const char *payload, size_t len,
                        char **out_compact);

/* Verify compact (len bytes) against pub.  On success returns 0 and gives the
 * decoded payload (malloc'd, NUL-terminated, *payload_len excludes the NUL).
 * On failure returns -1 and writes a one-line English reason into err. */
int mamori_jws_verify(const char *compact, size_t len, EVP_PKEY *pub, char **payload,
                      size_t *payload_len, char *err, size_t errlen);

/* A verifier bound to one public key, for a collector that verifies many
 * reports from the same host (one per TLS connection): the key's thumbprint
 * and the OpenSSL verification context are computed once, and a protected
 * header identical to the last accepted one is not parsed again.  The same
 * gates as mamori_jws_verify apply.  Not thread-safe: one user at a time. */
struct mamori_jws_verifier;

/* NULL when pub is not an Ed25519 key (or out of memory).  Holds a reference
 * to pub. */
struct mamori_jws_verifier *mamori_jws_verifier_new(EVP_PKEY *pub);
void mamori_jws_verifier_free(struct mamori_jws_verifier *v);
/* The key's RFC 7638 thumbprint (MAMORI_JWK_THUMBPRINT_LEN characters). */
const char *mamori_jws_verifier_kid(const struct mamori_jws_verifier *v);
EVP_PKEY *mamori_jws_verifier_key(const struct mamori_jws_verifier *v);

#define MAMORI_JWS_KID_MISMATCH (-2)
/* Like mamori_jws_verify, but *payload points into the verifier (NUL-
 * terminated, valid until its next check or free).  With require_kid the
 * header must name this key in "kid".  Returns 0, MAMORI_JWS_KID_MISMATCH
 * when the kid is missing (and required) or names another key, or -1 for
 * every other failure. */
int mamori_jws_verifier_check(struct mamori_jws_verifier *v, const char *compact, size_t len,
                              int require_kid, const char **payload, size_t *payload_len, char *err,
                              size_t errlen);

/* Read the "kid" of the protected header without verifying anything, so the
 * collector can find the key to verify with.  0 on success, -1 when the
 * input is malformed, has no string kid, or kid does not fit kidlen. */
int mamori_jws_peek_kid(const char *compact, size_t len, char *kid, size_t kidlen);

/* RFC 7638 thumbprint of an Ed25519 key (public or private):
 * base64url(SHA-256('{"crv":"Ed25519","kty":"OKP","x":"<x>"}')).
 * out needs MAMORI_JWK_THUMBPRINT_LEN + 1 bytes.  0 on success, -1 on error. */
int mamori_jwk_thumbprint(EVP_PKEY *ed25519_pub, char *out, size_t outlen);

/* Public JWK of an Ed25519 key as a malloc'd JSON string
 * ({"crv":"Ed25519","kty":"OKP","x":"..."}), e.g. for independent verifiers.
 * NULL on error. */
char *mamori_jwk_public_json(EVP_PKEY *ed25519_pub);

#endif /* MAMORI_JWS_H */
