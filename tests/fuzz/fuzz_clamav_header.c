/* fuzz_clamav_header.c -- the 512-byte ClamAV CVD/CLD header parser on
 * arbitrary bytes: never crash, never read past len, fields stay bounded. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "clamav_header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mamori_clamav_header h;
    char err[128];
    if (mamori_clamav_header_parse(data, size, &h, err, sizeof(err)) == 0 &&
        memchr(h.builder, '\0', sizeof(h.builder)) == NULL)
        __builtin_trap();
    return 0;
}
