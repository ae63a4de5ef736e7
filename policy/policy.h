/* policy.h -- the municipality's rules for one PC, as the agent enforces them.
 *
 * A policy is read from JSON (/etc/mamori/policy.json by default, or a bundle
 * pushed by the collector), validated completely, and only then handed to the
 * rest of the program.  Every threshold has a default that depends on the PC's
 * segment (mynumber / lgwan / internet); docs/policy.md lists them all.
 *
 * The structure is immutable once loaded: a reload builds a new one and swaps
 * the pointer, so a half-applied policy can never be observed. */
#ifndef MAMORI_POLICY_H
#define MAMORI_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MAMORI_POLICY_DEFAULT_PATH "/etc/mamori/policy.json"
#define MAMORI_POLICY_MAX_BYTES    (1024 * 1024)

enum mamori_segment {
    MAMORI_SEGMENT_MYNUMBER, /* マイナンバー利用事務系 */
    MAMORI_SEGMENT_LGWAN,    /* LGWAN接続系 */
    MAMORI_SEGMENT_INTERNET, /* インターネット接続系 */
};

/* enforce: act on the decision; audit: only record what would be done. */
enum mamori_mode { MAMORI_MODE_ENFORCE, MAMORI_MODE_AUDIT };

enum mamori_av_engine { MAMORI_AV_CLAMAV, MAMORI_AV_FILE };

enum mamori_wifi_security {
    MAMORI_WIFI_OPEN,
    MAMORI_WIFI_WPA2_PSK,
    MAMORI_WIFI_WPA3_PSK,
    MAMORI_WIFI_WPA2_ENTERPRISE,
    MAMORI_WIFI_WPA3_ENTERPRISE,
};

/* One registered medium (外部記録媒体管理台帳の一行).  A field left NULL is not
 * compared; vid/pid are always compared.  until == 0 means no expiry. */
struct mamori_usb_allow {
    uint16_t vid;
    uint16_t pid;
    char *serial;
    char *hash;  /* lowercase hex SHA-256 of the descriptors blob, or NULL */
    char *label; /* 管理番号, shown in events */
    time_t until;
};

/* An approved network interface.  Every non-NULL field must match. */
struct mamori_net_interface {
    char *name; /* fnmatch(3) pattern, e.g. "enp*" */
    char *mac;  /* lowercase "aa:bb:cc:dd:ee:ff" */
    char *driver;
};

struct mamori_policy {
    char *version;     /* "version" key, else "sha256:<first 16 hex of the file>" */
    char *source_path; /* where it was read from, for messages */
    enum mamori_segment segment;
    char *municipality;
    char *department;

    struct {
        enum mamori_mode mode;
        struct mamori_usb_allow *allow;
        size_t n_allow;
    } usb;

    struct {
        enum mamori_av_engine engine;
        char *db_dir; /* ClamAV DatabaseDirectory override, NULL = from clamd/freshclam.conf */
        char *pattern_path; /* engine "file": a file or glob whose mtime dates the pattern */
        unsigned max_age_hours;
        char **resident; /* process names that must run (comm or argv[0] basename) */
        size_t n_resident;
    } antivirus;

    struct {
        unsigned max_idle_seconds;
        bool require_locked; /* users must not be able to override the settings */
    } screen_lock;

    struct {
        bool forbid_browser_store; /* passwords.browser_store_disabled applies */
        bool forbid_saved_logins;  /* passwords.no_saved_logins applies */
        unsigned max_saved_logins; /* tolerated saved logins per profile, default 0 */
    } passwords;

    struct {
        enum mamori_mode mode;
        struct mamori_net_interface *interfaces;
        size_t n_interfaces;
        char **allow_ssids;
        size_t n_allow_ssids;
        enum mamori_wifi_security min_security;
        bool wifi_allowed;           /* false on mynumber unless set */
        bool usb_network_allowed;    /* usb_network: allow|refuse */
        bool internet_route_allowed; /* internet_route: allow|forbid */
    } network;

    struct {
        char *server; /* https://collector.example.lg.jp:8443, NULL = not configured */
        unsigned interval_seconds;
        unsigned check_interval_seconds;
        char *proxy; /* libcurl proxy string, NULL = none */
    } report;
};

/* Error detail for a rejected policy: which key, what was expected. */
struct mamori_policy_error {
    char path[256]; /* JSON path of the offending key, e.g. "usb.allow[2].id", or "" */
    int line;       /* 1-based line in the file when known, else 0 */
    int column;
    char message[512]; /* English, complete sentence */
};

/* Parse and validate a policy held in memory.  origin names it in messages.
 * Returns 0 and sets *out, or -1 and fills err (out untouched). */
int mamori_policy_parse(const char *json, size_t len, const char *origin,
                        struct mamori_policy **out, struct mamori_policy_error *err);

/* Read a policy file: must be a regular file, not world-writable, at most
 * MAMORI_POLICY_MAX_BYTES, valid UTF-8.  Same contract as parse. */
int mamori_policy_load(const char *path, struct mamori_policy **out,
                       struct mamori_policy_error *err);

/* The built-in policy for a segment (used when no file exists and in demos). */
struct mamori_policy *mamori_policy_preset(enum mamori_segment segment);

void mamori_policy_free(struct mamori_policy *policy);

/* "mynumber" | "lgwan" | "internet" */
const char *mamori_segment_name(enum mamori_segment segment);
int mamori_segment_from_name(const char *name, enum mamori_segment *out);
const char *mamori_mode_name(enum mamori_mode mode);
const char *mamori_wifi_security_name(enum mamori_wifi_security sec);

/* Format err as one line: "FILE:LINE:COL: key 'usb.mode': expected ..." */
void mamori_policy_error_format(const struct mamori_policy_error *err, const char *origin,
                                char *buf, size_t size);

/* True when allow entry matches the device facts at time now (expired entries
 * never match).  serial/hash may be NULL when the device has none. */
bool mamori_usb_allow_matches(const struct mamori_usb_allow *allow, uint16_t vid, uint16_t pid,
                              const char *serial, const char *hash, time_t now);

#endif /* MAMORI_POLICY_H */
