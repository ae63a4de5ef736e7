/* policy_presets.c -- the built-in defaults of each segment, and the names
 * used for segments, modes and Wi-Fi security in policy files and reports.
 *
 * The seeds give no numbers (requirements.md: 「常に最新」「十分な長さ」), so
 * these are conservative starting points a municipality overrides in its
 * policy; docs/policy.md lists them.  マイナンバー利用事務系 is the strictest:
 * no wireless, no USB network, no Internet route, shorter idle lock. */
#include "policy.h"

#include <stdlib.h>
#include <string.h>

static const char *const segment_names[] = {"mynumber", "lgwan", "internet"};
static const char *const mode_names[] = {"enforce", "audit"};
static const char *const wifi_names[] = {"open", "wpa2-psk", "wpa3-psk", "wpa2-enterprise",
                                         "wpa3-enterprise"};

const char *mamori_segment_name(enum mamori_segment segment)
{
    return (unsigned)segment < 3 ? segment_names[segment] : "unknown";
}

int mamori_segment_from_name(const char *name, enum mamori_segment *out)
{
    for (unsigned i = 0; i < 3; i++) {
        if (strcmp(name, segment_names[i]) == 0) {
            *out = (enum mamori_segment)i;
            return 0;
        }
    }
    return -1;
}

const char *mamori_mode_name(enum mamori_mode mode)
{
    return (unsigned)mode < 2 ? mode_names[mode] : "unknown";
}

const char *mamori_wifi_security_name(enum mamori_wifi_security sec)
{
    return (unsigned)sec < 5 ? wifi_names[sec] : "unknown";
}

static char **string_list(const char *first)
{
    char **v = calloc(2, sizeof(*v));

    if (v != NULL && (v[0] = strdup(first)) == NULL) {
        free(v);
        v = NULL;
    }
    return v;
}

struct mamori_policy *mamori_policy_preset(enum mamori_segment segment)
{
    struct mamori_policy *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return NULL;
    p->segment = segment;
    p->version = strdup(segment == MAMORI_SEGMENT_MYNUMBER ? "builtin-mynumber"
                        : segment == MAMORI_SEGMENT_LGWAN  ? "builtin-lgwan"
                                                           : "builtin-internet");
    p->usb.mode = MAMORI_MODE_ENFORCE;
    p->antivirus.engine = MAMORI_AV_CLAMAV;
    p->antivirus.max_age_hours = 24;
    p->antivirus.resident = string_list("clamd");
    p->antivirus.n_resident = p->antivirus.resident ? 1 : 0;
    p->screen_lock.max_idle_seconds = segment == MAMORI_SEGMENT_MYNUMBER ? 300 : 600;
    p->screen_lock.require_locked = true;
    p->passwords.forbid_browser_store = true;
    p->passwords.forbid_saved_logins = true;
    p->passwords.max_saved_logins = 0;
    p->network.mode = MAMORI_MODE_ENFORCE;
    p->network.wifi_allowed = segment != MAMORI_SEGMENT_MYNUMBER;
    p->network.min_security =
        segment == MAMORI_SEGMENT_INTERNET ? MAMORI_WIFI_WPA2_PSK : MAMORI_WIFI_WPA2_ENTERPRISE;
    p->network.usb_network_allowed = false;
    p->network.internet_route_allowed = segment == MAMORI_SEGMENT_INTERNET;
    p->report.interval_seconds = 900;
    p->report.check_interval_seconds = 300;
    if (p->version == NULL || p->antivirus.resident == NULL) {
        mamori_policy_free(p);
        return NULL;
    }
    return p;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        free(v[i]);
    free(v);
}

void mamori_policy_free(struct mamori_policy *p)
{
    if (p == NULL)
        return;
    free(p->version);
    free(p->source_path);
    free(p->municipality);
    free(p->department);
    for (size_t i = 0; i < p->usb.n_allow; i++) {
        free(p->usb.allow[i].serial);
        free(p->usb.allow[i].hash);
        free(p->usb.allow[i].label);
    }
    free(p->usb.allow);
    free(p->antivirus.db_dir);
    free(p->antivirus.pattern_path);
    free_list(p->antivirus.resident, p->antivirus.n_resident);
    for (size_t i = 0; i < p->network.n_interfaces; i++) {
        free(p->network.interfaces[i].name);
        free(p->network.interfaces[i].mac);
        free(p->network.interfaces[i].driver);
    }
    free(p->network.interfaces);
    free_list(p->network.allow_ssids, p->network.n_allow_ssids);
    free(p->report.server);
    free(p->report.proxy);
    free(p);
}
