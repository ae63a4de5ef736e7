/* bundle_sig.h -- checking a signed central policy bundle on the PC.
 *
 * The collector signs each bundle as JWS compact (RFC 7515) with EdDSA
 * (RFC 8037) and the protected header
 *     {"alg":"EdDSA","kid":"<RFC 7638 thumbprint>","typ":"mamori-policy+jws"}
 * with its policy key.  The PC pinned the public half at enrolment, in
 * <state>/policy-key.json as a JWK ({"crv":"Ed25519","kty":"OKP","x":...}),
 * and accepts a bundle only if every gate passes: size, three segments of
 * strict base64url, a header that is one JSON object without duplicate
 * members, alg exactly "EdDSA", typ exactly "mamori-policy+jws" (a signed
 * report can never pass for a bundle), no "crit", a kid (when present) equal
 * to the pinned key's thumbprint, and a 64-byte Ed25519 signature that
 * verifies.  Only then is the payload handed to mamori_bundle_parse.
 *
 * Written over nettle, not OpenSSL, so the resident agent can check bundles
 * without loading libcrypto; it lives in policy/ because that is the room
 * every binary links.  This is the one function a change of signature
 * library has to replace. */
#ifndef MAMORI_BUNDLE_SIG_H
#define MAMORI_BUNDLE_SIG_H

#include <stddef.h>
#include <stdint.h>

#define MAMORI_POLICY_KEY_FILE    "policy-key.json"
#define MAMORI_POLICY_BUNDLE_TYP  "mamori-policy+jws"
#define MAMORI_POLICY_BUNDLE_MAX  (2 * 1024 * 1024)
#define MAMORI_POLICY_PUBKEY_SIZE 32

/* The raw Ed25519 public key of a JWK (text of len bytes).  0, or -1 with
 * a reason naming what is wrong. */
int mamori_policy_key_parse(const char *jwk, size_t len, uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE],
                            char *err, size_t errlen);

/* Read <path> (a JWK file) into pub.  0, or -1 with a reason. */
int mamori_policy_key_load(const char *path, uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE], char *err,
                           size_t errlen);

/* Verify a signed bundle against the pinned key.  0 with the payload
 * (malloc'd, NUL-terminated; *payload_len without the NUL), or -1 with a
 * one-line English reason. */
int mamori_bundle_verify(const char *compact, size_t len,
                         const uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE], char **payload,
                         size_t *payload_len, char *err, size_t errlen);

#endif /* MAMORI_BUNDLE_SIG_H */
