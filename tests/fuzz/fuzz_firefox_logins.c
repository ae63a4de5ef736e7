/* fuzz_firefox_logins.c -- counting entries of an arbitrary logins.json. */
#include <stddef.h>
#include <stdint.h>

#include "firefox_logins.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned count;
    char err[64];
    (void)mamori_firefox_logins_count((const char *)data, size, &count, err, sizeof(err));
    return 0;
}
