/* fuzz_jws.c -- the JWS verifier and kid peek over arbitrary bytes.
 *
 * The collector runs mamori_jws_peek_kid and mamori_jws_verify on every
 * request body before it knows who sent it, so both must survive anything.
 * A fixed key (RFC 8037 A.1) is used so that seeds signed with it reach the
 * signature check and the payload decoder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "jws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *fuzz_key(void)
{
    static EVP_PKEY *key;
    static const uint8_t x[32] = {0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
                                  0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
                                  0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
    if (!key)
        key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, sizeof x);
    return key;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char kid[64];
    (void)mamori_jws_peek_kid((const char *)data, size, kid, sizeof kid);
    char *payload = NULL;
    size_t n = 0;
    char err[128];
    if (mamori_jws_verify((const char *)data, size, fuzz_key(), &payload, &n, err, sizeof err) ==
        0) {
        /* Only a genuine signature by the RFC key can get here. */
        if (payload[n] != '\0')
            abort();
    }
    free(payload);
    return 0;
}
