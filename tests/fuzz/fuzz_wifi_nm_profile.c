/* fuzz_wifi_nm_profile.c -- the NetworkManager keyfile reader on arbitrary bytes.
 *
 * Whatever the input, the SSID must come back NUL-terminated and at most 32
 * bytes, and the security a known value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wifi_nm_profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mamori_wifi_profile prof;

    mamori_wifi_profile_parse((const char *)data, size, &prof);
    if (strnlen(prof.ssid, sizeof(prof.ssid)) >= sizeof(prof.ssid) ||
        (unsigned)prof.security > MAMORI_WIFI_WPA3_ENTERPRISE)
        abort();
    return 0;
}
