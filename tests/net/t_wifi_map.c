/* t_wifi_map.c -- SSID bytes to text and NetworkManager security facts to the
 * policy's levels (enforce/wifi_map.c), the pure part of the Wi-Fi source.
 *
 * The kernel here has no Wi-Fi, so these mappings cannot be exercised
 * through a real NetworkManager; they are tested here on the bytes and bits
 * NetworkManager would hand over (AccessPoint.Ssid, WpaFlags, RsnFlags,
 * 802-11-wireless-security.key-mgmt). */
#include <criterion/criterion.h>

#include <string.h>

#include "wifi_map.h"
#include "wifi_nm_profile.h"

static const char *text_of(const void *bytes, size_t len)
{
    static char out[MAMORI_WIFI_SSID_TEXT_MAX];

    cr_assert_eq(mamori_wifi_ssid_text(bytes, len, out, sizeof(out)), 0, "ssid of %zu bytes", len);
    return out;
}

Test(wifi_ssid, plain_ascii_and_utf8_are_copied)
{
    cr_assert_str_eq(text_of("CityHall", 8), "CityHall");
    cr_assert_str_eq(text_of("LGWAN-市役所", strlen("LGWAN-市役所")), "LGWAN-市役所");
    cr_assert_str_eq(text_of("Café 🙂", strlen("Café 🙂")), "Café 🙂");
}

Test(wifi_ssid, embedded_nul_is_shown_and_never_matches_the_shorter_name)
{
    const char *t = text_of("CityHall\0x", 10);

    cr_assert_str_eq(t, "CityHall\\x00x");
    cr_assert_str_neq(t, "CityHall");
    cr_assert_str_eq(text_of("\0", 1), "\\x00");
}

Test(wifi_ssid, bytes_that_are_not_utf8_are_escaped)
{
    cr_assert_str_eq(text_of("Caf\xe9", 4), "Caf\\xe9");             /* Latin-1 */
    cr_assert_str_eq(text_of("\xe3\x81", 2), "\\xe3\\x81");          /* cut sequence */
    cr_assert_str_eq(text_of("\xc0\xaf", 2), "\\xc0\\xaf");          /* overlong '/' */
    cr_assert_str_eq(text_of("\xed\xa0\x80", 3), "\\xed\\xa0\\x80"); /* surrogate */
    cr_assert_str_eq(text_of("a\xffz", 3), "a\\xffz");
}

Test(wifi_ssid, controls_and_bidi_overrides_are_escaped)
{
    cr_assert_str_eq(text_of("a\nb", 3), "a\\x0ab");
    cr_assert_str_eq(text_of("\x7f", 1), "\\x7f");
    cr_assert_str_eq(text_of("\xc2\x85", 2), "\\xc2\\x85"); /* C1 NEL */
    /* U+202E RIGHT-TO-LEFT OVERRIDE would make "llaHytiC" read as "CityHall". */
    cr_assert_str_eq(text_of("\xe2\x80\xae"
                             "llaHytiC",
                             11),
                     "\\xe2\\x80\\xaellaHytiC");
    cr_assert_str_eq(text_of("\xe2\x81\xa6x", 4), "\\xe2\\x81\\xa6x"); /* U+2066 isolate */
    cr_assert_str_eq(text_of("\xc2\xa0", 2), "\xc2\xa0");              /* NBSP is printable: kept */
}

Test(wifi_ssid, backslash_is_doubled_so_the_text_is_unambiguous)
{
    /* The four characters \x00 and a NUL byte must not read the same. */
    cr_assert_str_eq(text_of("\\x00", 4), "\\\\x00");
    cr_assert_str_neq(text_of("\\x00", 4), "\\x00");
    cr_assert_str_eq(text_of("a\\b", 3), "a\\\\b");
}

Test(wifi_ssid, thirty_two_bytes_fit_even_when_all_escaped)
{
    unsigned char ff[32];
    char out[MAMORI_WIFI_SSID_TEXT_MAX];

    memset(ff, 0xff, sizeof(ff));
    cr_assert_eq(mamori_wifi_ssid_text(ff, 32, out, sizeof(out)), 0);
    cr_assert_eq(strlen(out), 128);
    cr_assert_str_eq(text_of("0123456789abcdef0123456789abcdef", 32),
                     "0123456789abcdef0123456789abcdef");
}

Test(wifi_ssid, empty_too_long_or_no_room_is_refused)
{
    char out[MAMORI_WIFI_SSID_TEXT_MAX] = "junk", small[8];

    cr_assert_eq(mamori_wifi_ssid_text((const unsigned char *)"", 0, out, sizeof(out)), -1);
    cr_assert_str_eq(out, "");
    cr_assert_eq(mamori_wifi_ssid_text((const unsigned char *)"0123456789abcdef0123456789abcdefX",
                                       33, out, sizeof(out)),
                 -1);
    cr_assert_str_eq(out, "");
    cr_assert_eq(mamori_wifi_ssid_text((const unsigned char *)"\x01\x02", 2, small, 8), -1);
    cr_assert_str_eq(small, "");
}

Test(wifi_ssid, a_saved_profile_and_a_live_ssid_read_the_same)
{
    static const char keyfile[] = "[connection]\ntype=wifi\n[wifi]\nssid=67;105;0;121;\n";
    struct mamori_wifi_profile prof;

    cr_assert_eq(mamori_wifi_profile_parse(keyfile, strlen(keyfile), &prof), 0);
    cr_assert_str_eq(prof.ssid, text_of("Ci\0y", 4));
}

/* ---- security from access point flags ------------------------------------ */

#define PSK   MAMORI_NM_AP_SEC_KEY_PSK
#define EAP   MAMORI_NM_AP_SEC_KEY_8021X
#define SAE   MAMORI_NM_AP_SEC_KEY_SAE
#define OWE   MAMORI_NM_AP_SEC_KEY_OWE
#define SUITE MAMORI_NM_AP_SEC_KEY_SUITE_B
#define CCMP  0x88u /* pairwise + group CCMP: ciphers, not key management */

Test(wifi_ap_security, rsn_key_management_decides)
{
    cr_assert_eq(mamori_wifi_nm_ap_security(1, 0, CCMP | PSK), MAMORI_WIFI_WPA2_PSK);
    cr_assert_eq(mamori_wifi_nm_ap_security(1, 0, CCMP | SAE), MAMORI_WIFI_WPA3_PSK);
    cr_assert_eq(mamori_wifi_nm_ap_security(1, 0, CCMP | EAP), MAMORI_WIFI_WPA2_ENTERPRISE);
    cr_assert_eq(mamori_wifi_nm_ap_security(1, 0, SUITE), MAMORI_WIFI_WPA3_ENTERPRISE);
}

Test(wifi_ap_security, the_weakest_offered_counts)
{
    /* WPA2/WPA3 transition: a client may join with the PSK. */
    cr_assert_eq(mamori_wifi_nm_ap_security(1, 0, CCMP | PSK | SAE), MAMORI_WIFI_WPA2_PSK);
    cr_assert_eq(mamori_wifi_nm_ap_security(1, 0, EAP | SUITE), MAMORI_WIFI_WPA2_ENTERPRISE);
    cr_assert_eq(mamori_wifi_nm_ap_security(1, 0, EAP | PSK), MAMORI_WIFI_WPA2_PSK);
    cr_assert_eq(mamori_wifi_nm_ap_security(1, 0, SAE | OWE), MAMORI_WIFI_OPEN);
}

Test(wifi_ap_security, open_wep_wpa1_and_owe_are_open)
{
    cr_assert_eq(mamori_wifi_nm_ap_security(0, 0, 0), MAMORI_WIFI_OPEN);
    cr_assert_eq(mamori_wifi_nm_ap_security(MAMORI_NM_AP_FLAGS_PRIVACY, 0, 0), MAMORI_WIFI_OPEN);
    cr_assert_eq(mamori_wifi_nm_ap_security(1, 0x44u | PSK, 0), MAMORI_WIFI_OPEN); /* WPA1 TKIP */
    cr_assert_eq(mamori_wifi_nm_ap_security(1, 0, CCMP | OWE), MAMORI_WIFI_OPEN);
    cr_assert_eq(mamori_wifi_nm_ap_security(1, 0, CCMP), MAMORI_WIFI_OPEN); /* no key mgmt */
}

Test(wifi_ap_security, wpa1_beside_rsn_does_not_lower_it)
{
    /* Mixed WPA/WPA2 APs: the client joins with RSN. */
    cr_assert_eq(mamori_wifi_nm_ap_security(1, 0x44u | PSK, CCMP | PSK), MAMORI_WIFI_WPA2_PSK);
}

Test(wifi_key_mgmt, profile_names)
{
    cr_assert_eq(mamori_wifi_key_mgmt_security("wpa-psk"), MAMORI_WIFI_WPA2_PSK);
    cr_assert_eq(mamori_wifi_key_mgmt_security("sae"), MAMORI_WIFI_WPA3_PSK);
    cr_assert_eq(mamori_wifi_key_mgmt_security("wpa-eap"), MAMORI_WIFI_WPA2_ENTERPRISE);
    cr_assert_eq(mamori_wifi_key_mgmt_security("wpa-eap-suite-b-192"), MAMORI_WIFI_WPA3_ENTERPRISE);
    cr_assert_eq(mamori_wifi_key_mgmt_security("none"), MAMORI_WIFI_OPEN);
    cr_assert_eq(mamori_wifi_key_mgmt_security("owe"), MAMORI_WIFI_OPEN);
    cr_assert_eq(mamori_wifi_key_mgmt_security("ieee8021x"), MAMORI_WIFI_OPEN);
    cr_assert_eq(mamori_wifi_key_mgmt_security(NULL), MAMORI_WIFI_OPEN);
}
