/* wifi_map.c -- SSID bytes to text, and NetworkManager's security facts to
 * the policy's security levels (see wifi_map.h). */
#include "wifi_map.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

/* Length of the UTF-8 sequence led by c (the caller has validated it). */
static size_t utf8_seq_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Characters that are valid UTF-8 but must not be shown raw: C1 controls
 * (U+0080..U+009F) and the bidirectional embeddings, overrides and isolates
 * (U+202A..U+202E, U+2066..U+2069), which can make a name read as another. */
static bool invisible(const unsigned char *s, size_t n)
{
    if (n == 2)
        return s[0] == 0xC2 && s[1] < 0xA0;
    if (n == 3 && s[0] == 0xE2 && s[1] == 0x80)
        return s[2] >= 0xAA && s[2] <= 0xAE;
    if (n == 3 && s[0] == 0xE2 && s[1] == 0x81)
        return s[2] >= 0xA6 && s[2] <= 0xA9;
    return false;
}

/* How many bytes at s[0..len) form one character to copy as is (0: escape s[0]). */
static size_t plain_char(const unsigned char *s, size_t len)
{
    size_t n;

    if (s[0] < 0x20 || s[0] == 0x7F || s[0] == '\\')
        return 0;
    n = utf8_seq_len(s[0]);
    if (n > len || mamori_utf8_invalid_at(s, n) != n || invisible(s, n))
        return 0;
    return n;
}

int mamori_wifi_ssid_text(const unsigned char *ssid, size_t len, char *out, size_t size)
{
    size_t o = 0;

    if (size == 0)
        return -1;
    out[0] = '\0';
    if (len == 0 || len > MAMORI_WIFI_SSID_MAX)
        return -1;
    for (size_t i = 0; i < len;) {
        size_t n = plain_char(ssid + i, len - i);
        size_t need = n > 0 ? n : ssid[i] == '\\' ? 2 : 4;

        if (o + need >= size) {
            out[0] = '\0';
            return -1;
        }
        if (n > 0)
            memcpy(out + o, ssid + i, n);
        else if (ssid[i] == '\\')
            memcpy(out + o, "\\\\", 2);
        else
            snprintf(out + o, 5, "\\x%02x", ssid[i]);
        o += need;
        i += n > 0 ? n : 1;
    }
    out[o] = '\0';
    return 0;
}

/* Rank of the weakest key management in bits (0 = open). */
static enum mamori_wifi_security weakest_key_mgmt(uint32_t bits)
{
    if (bits & (MAMORI_NM_AP_SEC_KEY_OWE | MAMORI_NM_AP_SEC_KEY_OWE_TM))
        return MAMORI_WIFI_OPEN;
    if (bits & MAMORI_NM_AP_SEC_KEY_PSK)
        return MAMORI_WIFI_WPA2_PSK;
    if (bits & MAMORI_NM_AP_SEC_KEY_SAE)
        return MAMORI_WIFI_WPA3_PSK;
    if (bits & MAMORI_NM_AP_SEC_KEY_8021X)
        return MAMORI_WIFI_WPA2_ENTERPRISE;
    if (bits & MAMORI_NM_AP_SEC_KEY_SUITE_B)
        return MAMORI_WIFI_WPA3_ENTERPRISE;
    return MAMORI_WIFI_OPEN;
}

enum mamori_wifi_security mamori_wifi_nm_ap_security(uint32_t flags, uint32_t wpa_flags,
                                                     uint32_t rsn_flags)
{
    /* WPA1-only and WEP networks (privacy bit, no RSN) are broken encryption:
     * they count as open, as does an AP that advertises nothing. */
    (void)flags;
    (void)wpa_flags;
    return weakest_key_mgmt(rsn_flags & MAMORI_NM_AP_SEC_KEY_MGMT_ALL);
}

enum mamori_wifi_security mamori_wifi_key_mgmt_security(const char *key_mgmt)
{
    if (key_mgmt == NULL)
        return MAMORI_WIFI_OPEN;
    if (strcmp(key_mgmt, "wpa-psk") == 0)
        return MAMORI_WIFI_WPA2_PSK;
    if (strcmp(key_mgmt, "sae") == 0)
        return MAMORI_WIFI_WPA3_PSK;
    if (strcmp(key_mgmt, "wpa-eap") == 0)
        return MAMORI_WIFI_WPA2_ENTERPRISE;
    if (strcmp(key_mgmt, "wpa-eap-suite-b-192") == 0)
        return MAMORI_WIFI_WPA3_ENTERPRISE;
    return MAMORI_WIFI_OPEN;
}
