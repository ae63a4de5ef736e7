/* wifi_map.h -- how raw Wi-Fi facts become the policy's terms.
 *
 * An SSID is up to 32 arbitrary bytes (not necessarily UTF-8, may contain
 * NUL); the policy's network.wifi.allow_ssids are JSON strings.  Every SSID
 * the guard, the check and the reports see goes through
 * mamori_wifi_ssid_text(), whichever source it came from (NetworkManager over
 * D-Bus, a saved keyfile profile), so one network always has one text.
 * Security comes either from an access point's advertised key management
 * (NetworkManager's WpaFlags/RsnFlags) or from a profile's key-mgmt name.
 * Pure code: unit-tested in tests/net/t_wifi_map.c, fuzzed in
 * tests/fuzz/fuzz_wifi_ssid.c. */
#ifndef MAMORI_WIFI_MAP_H
#define MAMORI_WIFI_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define MAMORI_WIFI_SSID_MAX 32 /* bytes, IEEE 802.11 */
/* Worst case: every byte written as "\xNN", plus the NUL. */
#define MAMORI_WIFI_SSID_TEXT_MAX (4 * MAMORI_WIFI_SSID_MAX + 1)

/* The text of an SSID of len bytes, into out (size >= MAMORI_WIFI_SSID_TEXT_MAX
 * always suffices).  Valid UTF-8 is copied as is, except that a backslash
 * becomes "\\"; a byte that is not part of valid UTF-8, a control character
 * (C0, DEL, C1, including NUL) and a bidirectional-text control are written
 * "\xNN" per byte.  The mapping is one-to-one: two different SSIDs never get
 * the same text, so an SSID with a hidden NUL or an invalid byte can never
 * pass for an allowed one.  Returns 0, or -1 (and out = "") when len is 0 or
 * more than 32, or out is too small. */
int mamori_wifi_ssid_text(const unsigned char *ssid, size_t len, char *out, size_t size);

/* NetworkManager's access point flags (NM80211ApFlags) and security flags
 * (NM80211ApSecurityFlags), the bits this mapping reads. */
#define MAMORI_NM_AP_FLAGS_PRIVACY    0x1u
#define MAMORI_NM_AP_SEC_KEY_PSK      0x100u
#define MAMORI_NM_AP_SEC_KEY_8021X    0x200u
#define MAMORI_NM_AP_SEC_KEY_SAE      0x400u
#define MAMORI_NM_AP_SEC_KEY_OWE      0x800u
#define MAMORI_NM_AP_SEC_KEY_OWE_TM   0x1000u
#define MAMORI_NM_AP_SEC_KEY_SUITE_B  0x2000u
#define MAMORI_NM_AP_SEC_KEY_MGMT_ALL 0x3f00u

/* The security of an access point from its Flags, WpaFlags and RsnFlags.
 * RSN (WPA2/WPA3) key management decides; when the AP offers several, the
 * weakest counts (a WPA2/WPA3 transition network may be joined with the
 * PSK): 802.1X -> wpa2-enterprise, 802.1X Suite-B-192 only -> wpa3-enterprise,
 * SAE -> wpa3-psk, PSK -> wpa2-psk.  OWE, WEP (privacy without WPA), WPA1
 * without RSN (TKIP), no key management, or no security at all -> open. */
enum mamori_wifi_security mamori_wifi_nm_ap_security(uint32_t flags, uint32_t wpa_flags,
                                                     uint32_t rsn_flags);

/* The security of a NetworkManager profile's 802-11-wireless-security.key-mgmt
 * (NULL = no security section): wpa-psk -> wpa2-psk, sae -> wpa3-psk, wpa-eap
 * -> wpa2-enterprise, wpa-eap-suite-b-192 -> wpa3-enterprise, anything else
 * (none = WEP, owe, ieee8021x = dynamic WEP) -> open. */
enum mamori_wifi_security mamori_wifi_key_mgmt_security(const char *key_mgmt);

#endif /* MAMORI_WIFI_MAP_H */
