/* fuzz_bundle_sig.c -- what a PC does with a central policy bundle the
 * network hands it: the signature gates (mamori_bundle_verify) and, for a
 * genuine signature, the bundle and policy parser (mamori_bundle_parse).
 * The pinned key is RFC 8037 A.1's, so seeds signed with its private half
 * (tests/fuzz/corpus/bundle_sig) reach the payload; the same bytes are also
 * read as a pinned-key JWK, the other thing the PC parses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "bundle_sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t rfc8037_pub[MAMORI_POLICY_PUBKEY_SIZE] = {
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t pub[MAMORI_POLICY_PUBKEY_SIZE];
    struct mamori_policy *p = NULL;
    char *payload = NULL, *group = NULL, err[300];
    size_t n = 0;

    (void)mamori_policy_key_parse((const char *)data, size, pub, err, sizeof(err));
    if (mamori_bundle_verify((const char *)data, size, rfc8037_pub, &payload, &n, err,
                             sizeof(err)) != 0)
        return 0;
    if (payload[n] != '\0')
        abort();
    if (mamori_bundle_parse(payload, n, &p, &group, NULL) == 0) {
        mamori_policy_free(p);
        free(group);
    }
    free(payload);
    return 0;
}
