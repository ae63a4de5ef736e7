/* fuzz_policy.c -- libFuzzer target for the policy parser.
 *
 * Policies arrive from files an administrator edits and, with central policy,
 * from the network: any byte string must yield a policy or a clean error. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mamori_policy *pol = NULL;
    struct mamori_policy_error err;
    char msg[1024];

    if (mamori_policy_parse((const char *)data, size, "fuzz", &pol, &err) == 0) {
        mamori_policy_free(pol);
    } else {
        mamori_policy_error_format(&err, "fuzz", msg, sizeof(msg));
        if (strlen(msg) == 0)
            __builtin_trap(); /* every rejection must explain itself */
    }
    return 0;
}
