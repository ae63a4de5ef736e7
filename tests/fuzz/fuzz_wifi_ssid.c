/* fuzz_wifi_ssid.c -- SSID bytes to text (enforce/wifi_map.c) on arbitrary bytes.
 *
 * An SSID comes from the air (any access point may broadcast any 32 bytes),
 * through NetworkManager.  Whatever the bytes: the text must be NUL-terminated,
 * fit MAMORI_WIFI_SSID_TEXT_MAX, be valid UTF-8 without control characters,
 * and decode back to exactly the same bytes (one text per SSID).  The first 12
 * bytes also serve as access point flags, whose security must be a known level. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "wifi_map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Undo the escapes; the number of bytes, or -1 on a malformed escape. */
static int decode(const char *t, unsigned char *out, size_t size)
{
    size_t n = 0;

    for (size_t i = 0; t[i] != '\0'; n++) {
        if (n == size)
            return -1;
        if (t[i] != '\\') {
            out[n] = (unsigned char)t[i++];
        } else if (t[i + 1] == '\\') {
            out[n] = '\\';
            i += 2;
        } else if (t[i + 1] == 'x' && hex(t[i + 2]) >= 0 && hex(t[i + 3]) >= 0) {
            out[n] = (unsigned char)(hex(t[i + 2]) * 16 + hex(t[i + 3]));
            i += 4;
        } else {
            return -1;
        }
    }
    return (int)n;
}

static void check_ssid(const uint8_t *data, size_t size)
{
    char text[MAMORI_WIFI_SSID_TEXT_MAX];
    unsigned char back[MAMORI_WIFI_SSID_MAX];
    int rc = mamori_wifi_ssid_text(data, size, text, sizeof(text));
    size_t len = strnlen(text, sizeof(text));

    if (len == sizeof(text) || (rc == 0) != (size > 0 && size <= MAMORI_WIFI_SSID_MAX))
        abort();
    if (rc != 0) {
        if (len != 0)
            abort();
        return;
    }
    if (mamori_utf8_invalid_at((const unsigned char *)text, len) != len)
        abort();
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
            abort();
    }
    if (decode(text, back, sizeof(back)) != (int)size || memcmp(back, data, size) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t flags[3] = {0, 0, 0};

    check_ssid(data, size);
    memcpy(flags, data, size < sizeof(flags) ? size : sizeof(flags));
    if ((unsigned)mamori_wifi_nm_ap_security(flags[0], flags[1], flags[2]) >
        MAMORI_WIFI_WPA3_ENTERPRISE)
        abort();
    return 0;
}
