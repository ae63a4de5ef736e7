/* wifi_nm_profile.c -- read SSID and security from a NetworkManager keyfile profile.
 *
 * Keyfiles are INI-like: "[section]" lines and "key=value" lines.  We only
 * need three keys, so a line scanner is enough; anything unexpected is
 * skipped.  The SSID's text and the key-mgmt mapping are wifi_map.c's, so a
 * saved profile and a live connection to the same network read the same. */
#include "wifi_nm_profile.h"

#include "wifi_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES 1024

static void trim(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

/* "72;105;" (older keyfiles write SSIDs as a byte list).  Byte count, or -1. */
static int decode_byte_list(const char *v, unsigned char *out, size_t size)
{
    size_t n = 0;

    for (const char *p = v; *p != '\0';) {
        char *end;
        unsigned long byte = strtoul(p, &end, 10);
        if (end == p || byte > 255 || n >= size)
            return -1;
        out[n++] = (unsigned char)byte;
        p = *end == ';' ? end + 1 : end;
    }
    return (int)n;
}

/* A byte list or plain text, as the SSID's text (wifi_map.h).  0, or -1 if unusable. */
static int decode_ssid(const char *v, char *out, size_t size)
{
    unsigned char bytes[MAMORI_WIFI_SSID_MAX];
    int n;

    if (strspn(v, "0123456789;") == strlen(v) && strchr(v, ';') != NULL) {
        n = decode_byte_list(v, bytes, sizeof(bytes));
    } else {
        n = strlen(v) <= sizeof(bytes) ? (int)strlen(v) : -1;
        if (n > 0)
            memcpy(bytes, v, (size_t)n);
    }
    return n > 0 ? mamori_wifi_ssid_text(bytes, (size_t)n, out, size) : -1;
}

static void take_line(char *line, char *section, size_t section_size,
                      struct mamori_wifi_profile *out, bool *ssid_bad)
{
    char *eq;

    trim(line);
    if (line[0] == '[') {
        char *close = strchr(line, ']');
        if (close != NULL) {
            *close = '\0';
            if (snprintf(section, section_size, "%s", line + 1) >= (int)section_size)
                section[0] = '\0'; /* no section we read has a long name */
        }
        return;
    }
    eq = strchr(line, '=');
    if (line[0] == '#' || eq == NULL)
        return;
    *eq = '\0';
    trim(line);
    const char *value = eq + 1 + strspn(eq + 1, " \t");
    if (strcmp(section, "connection") == 0 && strcmp(line, "type") == 0)
        out->is_wifi = strcmp(value, "wifi") == 0 || strcmp(value, "802-11-wireless") == 0;
    else if ((strcmp(section, "wifi") == 0 || strcmp(section, "802-11-wireless") == 0) &&
             strcmp(line, "ssid") == 0)
        *ssid_bad = decode_ssid(value, out->ssid, sizeof(out->ssid)) != 0;
    else if ((strcmp(section, "wifi-security") == 0 ||
              strcmp(section, "802-11-wireless-security") == 0) &&
             strcmp(line, "key-mgmt") == 0)
        out->security = mamori_wifi_key_mgmt_security(value);
}

int mamori_wifi_profile_parse(const char *text, size_t len, struct mamori_wifi_profile *out)
{
    char line[LINE_MAX_BYTES], section[64] = "";
    bool ssid_bad = true;
    size_t pos = 0;

    memset(out, 0, sizeof(*out));
    out->security = MAMORI_WIFI_OPEN;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

        if (n < sizeof(line)) { /* longer lines are not ours (certificates, blobs) */
            memcpy(line, text + pos, n);
            line[n] = '\0';
            if (memchr(line, '\0', n) == NULL)
                take_line(line, section, sizeof(section), out, &ssid_bad);
        }
        pos += n + 1;
    }
    if (!out->is_wifi)
        return 0;
    if (ssid_bad)
        out->ssid[0] = '\0';
    return ssid_bad ? -1 : 0;
}
