/* wifi_nm_profile.h -- the Wi-Fi facts of a saved NetworkManager connection profile.
 *
 * A profile in /etc/NetworkManager/system-connections/ (keyfile format) is a
 * network the PC will join by itself.  net.only_approved judges each saved
 * Wi-Fi profile by the same SSID and security rules as the live guard.  Only
 * the SSID and key management are read: secrets (psk=, password=) are never
 * looked at or kept.  The text is untrusted (fuzz_wifi_nm_profile.c). */
#ifndef MAMORI_WIFI_NM_PROFILE_H
#define MAMORI_WIFI_NM_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "wifi_map.h"

struct mamori_wifi_profile {
    bool is_wifi;                         /* [connection] type=wifi (or 802-11-wireless) */
    char ssid[MAMORI_WIFI_SSID_TEXT_MAX]; /* [wifi] ssid= (plain or "72;101;...;"), as text */
    enum mamori_wifi_security security;   /* from [wifi-security] key-mgmt */
};

/* Parse len bytes of keyfile text.  Returns 0, or -1 when a Wi-Fi profile
 * has no usable SSID (then *out says is_wifi and ssid ""). */
int mamori_wifi_profile_parse(const char *text, size_t len, struct mamori_wifi_profile *out);

#endif /* MAMORI_WIFI_NM_PROFILE_H */
