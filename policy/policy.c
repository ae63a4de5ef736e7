/* policy.c -- reading and validating the policy file.
 *
 * The file is checked as a whole before anything uses it: its metadata
 * (regular file, not world-writable, bounded size), its bytes (valid UTF-8),
 * its JSON syntax (line and column of the first error) and finally every key
 * against the schema in docs/policy.md.  Unknown keys are errors, not warnings:
 * a misspelt "max_idle_secnds" silently ignored would leave a PC on the
 * default an administrator thought they had changed.  Keys starting with "_"
 * are comments and are skipped.
 *
 * Defaults come from the segment preset (policy_presets.c); the file only
 * overrides them.  Errors name the JSON path of the key and, when the key
 * occurs once in the file, its line. */
#include "policy.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "digest.h"

/* Parsing state shared by the section readers. */
struct parse {
    const char *text;
    size_t len;
    struct mamori_policy_error *err;
};

/* ---- errors ------------------------------------------------------------ */

static void line_col_at(const char *text, size_t offset, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            (*col)++; /* count characters, not UTF-8 continuation bytes */
        }
    }
}

/* The line of "key" when it occurs exactly once in the text, else 0. */
static int line_of_unique_key(const struct parse *p, const char *key)
{
    char needle[160];
    const char *first, *second;
    int line, col;

    if (snprintf(needle, sizeof(needle), "\"%s\"", key) >= (int)sizeof(needle))
        return 0;
    first = strstr(p->text, needle);
    if (first == NULL)
        return 0;
    second = strstr(first + 1, needle);
    if (second != NULL)
        return 0;
    line_col_at(p->text, (size_t)(first - p->text), &line, &col);
    return line;
}

static const char *last_component(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *name = dot ? dot + 1 : path;
    return name;
}

__attribute__((format(printf, 3, 4))) static int fail(const struct parse *p, const char *path,
                                                      const char *fmt, ...)
{
    va_list ap;
    char key[160];
    char *bracket;

    snprintf(p->err->path, sizeof(p->err->path), "%s", path);
    va_start(ap, fmt);
    vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
    va_end(ap);
    snprintf(key, sizeof(key), "%s", last_component(path));
    bracket = strchr(key, '[');
    if (bracket != NULL)
        *bracket = '\0';
    p->err->line = key[0] ? line_of_unique_key(p, key) : 0;
    p->err->column = 0;
    return -1;
}

void mamori_policy_error_format(const struct mamori_policy_error *err, const char *origin,
                                char *buf, size_t size)
{
    const char *o = origin ? origin : "policy";

    if (err->line > 0 && err->column > 0)
        snprintf(buf, size, "%s:%d:%d: %s", o, err->line, err->column, err->message);
    else if (err->line > 0)
        snprintf(buf, size, "%s:%d: key '%s': %s", o, err->line, err->path, err->message);
    else if (err->path[0])
        snprintf(buf, size, "%s: key '%s': %s", o, err->path, err->message);
    else
        snprintf(buf, size, "%s: %s", o, err->message);
}

/* ---- typed accessors --------------------------------------------------- */

static void join_path(char *out, size_t size, const char *parent, const char *key)
{
    if (parent[0])
        snprintf(out, size, "%s.%s", parent, key);
    else
        snprintf(out, size, "%s", key);
}

static const char *json_type_name(const cJSON *item)
{
    if (cJSON_IsString(item))
        return "a string";
    if (cJSON_IsNumber(item))
        return "a number";
    if (cJSON_IsBool(item))
        return "true/false";
    if (cJSON_IsNull(item))
        return "null";
    if (cJSON_IsArray(item))
        return "an array";
    if (cJSON_IsObject(item))
        return "an object";
    return "an invalid value";
}

/* Every key of obj must be in allowed (or start with '_', a comment). */
static int check_keys(const struct parse *p, const cJSON *obj, const char *path,
                      const char *const allowed[])
{
    const cJSON *item;
    char child[256];

    cJSON_ArrayForEach(item, obj)
    {
        bool known = item->string[0] == '_';

        for (size_t i = 0; !known && allowed[i] != NULL; i++)
            known = strcmp(item->string, allowed[i]) == 0;
        if (!known) {
            join_path(child, sizeof(child), path, item->string);
            return fail(p, child, "unknown key (misspelt? see docs/policy.md for the keys of '%s')",
                        path[0] ? path : "the top level");
        }
    }
    return 0;
}

static int get_object(const struct parse *p, const cJSON *parent, const char *path, const char *key,
                      const cJSON **out)
{
    char child[256];
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(parent, key);

    *out = NULL;
    if (item == NULL)
        return 0;
    join_path(child, sizeof(child), path, key);
    if (!cJSON_IsObject(item))
        return fail(p, child, "expected an object, got %s", json_type_name(item));
    *out = item;
    return 0;
}

static int get_string(const struct parse *p, const cJSON *parent, const char *path, const char *key,
                      size_t max_len, char **out)
{
    char child[256];
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(parent, key);

    if (item == NULL)
        return 0;
    join_path(child, sizeof(child), path, key);
    if (!cJSON_IsString(item))
        return fail(p, child, "expected a string, got %s", json_type_name(item));
    if (strlen(item->valuestring) > max_len)
        return fail(p, child, "string is longer than %zu bytes", max_len);
    free(*out);
    *out = strdup(item->valuestring);
    if (*out == NULL)
        return fail(p, child, "out of memory");
    return 0;
}

static int get_uint(const struct parse *p, const cJSON *parent, const char *path, const char *key,
                    unsigned min, unsigned max, const char *unit, unsigned *out)
{
    char child[256];
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(parent, key);
    double v;

    if (item == NULL)
        return 0;
    join_path(child, sizeof(child), path, key);
    if (!cJSON_IsNumber(item))
        return fail(p, child, "expected a whole number of %s, got %s", unit, json_type_name(item));
    v = item->valuedouble;
    if (v != (double)(long long)v)
        return fail(p, child, "expected a whole number of %s, got %g", unit, v);
    if (v < min || v > max)
        return fail(p, child, "%g %s is out of range (allowed %u to %u)", v, unit, min, max);
    *out = (unsigned)v;
    return 0;
}

static int get_bool(const struct parse *p, const cJSON *parent, const char *path, const char *key,
                    bool *out)
{
    char child[256];
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(parent, key);

    if (item == NULL)
        return 0;
    join_path(child, sizeof(child), path, key);
    if (!cJSON_IsBool(item))
        return fail(p, child, "expected true or false, got %s", json_type_name(item));
    *out = cJSON_IsTrue(item);
    return 0;
}

/* A string that must be one of names[]; *out is the index. */
static int get_choice(const struct parse *p, const cJSON *parent, const char *path, const char *key,
                      const char *const names[], int *out)
{
    char child[256], expected[256] = "";
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(parent, key);

    if (item == NULL)
        return 0;
    join_path(child, sizeof(child), path, key);
    for (int i = 0; names[i] != NULL; i++) {
        if (cJSON_IsString(item) && strcmp(item->valuestring, names[i]) == 0) {
            *out = i;
            return 0;
        }
        snprintf(expected + strlen(expected), sizeof(expected) - strlen(expected), "%s\"%s\"",
                 i ? ", " : "", names[i]);
    }
    if (!cJSON_IsString(item))
        return fail(p, child, "expected one of %s, got %s", expected, json_type_name(item));
    return fail(p, child, "unknown value \"%.64s\" (expected one of %s)", item->valuestring,
                expected);
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int get_string_array(const struct parse *p, const cJSON *parent, const char *path,
                            const char *key, char ***out, size_t *n_out)
{
    char child[256], elem[300];
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(parent, key);
    const cJSON *e;
    char **v;
    size_t n = 0;

    if (item == NULL)
        return 0;
    join_path(child, sizeof(child), path, key);
    if (!cJSON_IsArray(item))
        return fail(p, child, "expected an array of strings, got %s", json_type_name(item));
    v = calloc((size_t)cJSON_GetArraySize(item) + 1, sizeof(*v));
    if (v == NULL)
        return fail(p, child, "out of memory");
    cJSON_ArrayForEach(e, item)
    {
        snprintf(elem, sizeof(elem), "%s[%zu]", child, n);
        if (!cJSON_IsString(e) || e->valuestring[0] == '\0' || strlen(e->valuestring) > 255) {
            free_strings(v, n);
            return fail(p, elem, "expected a non-empty string of at most 255 bytes");
        }
        v[n++] = strdup(e->valuestring);
        if (v[n - 1] == NULL) {
            free_strings(v, n);
            return fail(p, elem, "out of memory");
        }
    }
    free_strings(*out, *n_out);
    *out = v;
    *n_out = n;
    return 0;
}

/* ---- sections ---------------------------------------------------------- */

static int parse_hex16(const char *s, uint16_t *out)
{
    unsigned v = 0;

    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (d < 0)
            return -1;
        v = v * 16 + (unsigned)d;
    }
    *out = (uint16_t)v;
    return 0;
}

/* "YYYY-MM-DDTHH:MM:SS" with "Z" or "+HH:MM"/"-HH:MM": an instant (what a
 * central bundle carries, so collector and PC agree whatever their zone). */
static int parse_instant(const char *s, time_t *out)
{
    struct tm tm = {0};
    char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    int oh, om, used = 0;
    long offset = 0;

    if (end == NULL)
        return -1;
    if (strcmp(end, "Z") != 0) {
        if ((end[0] != '+' && end[0] != '-') ||
            sscanf(end + 1, "%2d:%2d%n", &oh, &om, &used) != 2 || end[1 + used] != '\0' ||
            used != 5 || oh > 23 || om > 59)
            return -1;
        offset = (end[0] == '-' ? -1L : 1L) * (oh * 3600L + om * 60L);
    }
    *out = timegm(&tm) - offset;
    return 0;
}

/* "YYYY-MM-DD" (valid through the end of that day, local time) or an
 * RFC 3339 instant (the last second it is valid). */
static int parse_until(const char *s, time_t *out)
{
    struct tm tm = {0};
    char *end;

    if (strlen(s) > 10)
        return parse_instant(s, out);
    end = strptime(s, "%Y-%m-%d", &tm);
    if (end == NULL || *end != '\0' || strlen(s) != 10)
        return -1;
    tm.tm_hour = 23;
    tm.tm_min = 59;
    tm.tm_sec = 59;
    tm.tm_isdst = -1;
    *out = mktime(&tm);
    return *out == (time_t)-1 ? -1 : 0;
}

static bool is_hex_string(const char *s, size_t len)
{
    if (strlen(s) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static int parse_usb_allow_entry(const struct parse *p, const cJSON *e, const char *path,
                                 struct mamori_usb_allow *a)
{
    static const char *const keys[] = {"id", "serial", "hash", "label", "until", NULL};
    const cJSON *id;
    char child[300], *until = NULL;
    int rc;

    if (!cJSON_IsObject(e))
        return fail(p, path, "expected an object {\"id\":\"vvvv:pppp\", ...}, got %s",
                    json_type_name(e));
    if (check_keys(p, e, path, keys) != 0)
        return -1;
    id = cJSON_GetObjectItemCaseSensitive(e, "id");
    snprintf(child, sizeof(child), "%s.id", path);
    if (id == NULL)
        return fail(p, child, "missing: every registered medium needs \"id\": \"vvvv:pppp\"");
    if (!cJSON_IsString(id) || strlen(id->valuestring) != 9 || id->valuestring[4] != ':' ||
        parse_hex16(id->valuestring, &a->vid) != 0 ||
        parse_hex16(id->valuestring + 5, &a->pid) != 0)
        return fail(p, child, "malformed USB id %s%.32s%s: expected \"vvvv:pppp\" in hexadecimal",
                    cJSON_IsString(id) ? "\"" : "", cJSON_IsString(id) ? id->valuestring : "",
                    cJSON_IsString(id) ? "\"" : "");
    if (get_string(p, e, path, "serial", 255, &a->serial) != 0 ||
        get_string(p, e, path, "hash", 71, &a->hash) != 0 ||
        get_string(p, e, path, "label", 255, &a->label) != 0 ||
        get_string(p, e, path, "until", 32, &until) != 0)
        return -1;
    if (a->hash != NULL) {
        const char *hex = strncmp(a->hash, "sha256:", 7) == 0 ? a->hash + 7 : a->hash;

        snprintf(child, sizeof(child), "%s.hash", path);
        if (!is_hex_string(hex, 64)) {
            free(until);
            return fail(p, child, "expected 64 lowercase hex digits (SHA-256 of the descriptors)");
        }
        memmove(a->hash, hex, 65);
    }
    rc = 0;
    if (until != NULL && parse_until(until, &a->until) != 0) {
        snprintf(child, sizeof(child), "%s.until", path);
        rc = fail(p, child,
                  "malformed date \"%.32s\": expected YYYY-MM-DD or an RFC 3339 time"
                  " (2027-03-31T17:00:00+09:00)",
                  until);
    }
    free(until);
    return rc;
}

static int parse_usb(const struct parse *p, const cJSON *usb, struct mamori_policy *pol)
{
    static const char *const keys[] = {"mode", "allow", NULL};
    static const char *const modes[] = {"enforce", "audit", NULL};
    const cJSON *allow, *e;
    int mode = (int)pol->usb.mode;
    char path[64];

    if (usb == NULL)
        return 0;
    if (check_keys(p, usb, "usb", keys) != 0 || get_choice(p, usb, "usb", "mode", modes, &mode))
        return -1;
    pol->usb.mode = (enum mamori_mode)mode;
    allow = cJSON_GetObjectItemCaseSensitive(usb, "allow");
    if (allow == NULL)
        return 0;
    if (!cJSON_IsArray(allow))
        return fail(p, "usb.allow", "expected an array of registered media, got %s",
                    json_type_name(allow));
    pol->usb.allow = calloc((size_t)cJSON_GetArraySize(allow) + 1, sizeof(*pol->usb.allow));
    if (pol->usb.allow == NULL)
        return fail(p, "usb.allow", "out of memory");
    cJSON_ArrayForEach(e, allow)
    {
        snprintf(path, sizeof(path), "usb.allow[%zu]", pol->usb.n_allow);
        pol->usb.n_allow++; /* counted first so free() releases a half-parsed entry */
        if (parse_usb_allow_entry(p, e, path, &pol->usb.allow[pol->usb.n_allow - 1]) != 0)
            return -1;
    }
    return 0;
}

static int parse_antivirus(const struct parse *p, const cJSON *av, struct mamori_policy *pol)
{
    static const char *const keys[] = {"engine",        "db_dir",   "pattern_path",
                                       "max_age_hours", "resident", NULL};
    static const char *const engines[] = {"clamav", "file", NULL};
    int engine = (int)pol->antivirus.engine;

    if (av == NULL)
        return 0;
    if (check_keys(p, av, "antivirus", keys) != 0 ||
        get_choice(p, av, "antivirus", "engine", engines, &engine) != 0 ||
        get_string(p, av, "antivirus", "db_dir", 1024, &pol->antivirus.db_dir) != 0 ||
        get_string(p, av, "antivirus", "pattern_path", 1024, &pol->antivirus.pattern_path) != 0 ||
        get_uint(p, av, "antivirus", "max_age_hours", 1, 24 * 366, "hours",
                 &pol->antivirus.max_age_hours) != 0 ||
        get_string_array(p, av, "antivirus", "resident", &pol->antivirus.resident,
                         &pol->antivirus.n_resident) != 0)
        return -1;
    pol->antivirus.engine = (enum mamori_av_engine)engine;
    if (pol->antivirus.engine == MAMORI_AV_FILE && pol->antivirus.pattern_path == NULL)
        return fail(p, "antivirus.pattern_path",
                    "missing: engine \"file\" needs the path (or glob) of the pattern file");
    return 0;
}

static int parse_screen_lock(const struct parse *p, const cJSON *sl, struct mamori_policy *pol)
{
    static const char *const keys[] = {"max_idle_seconds", "require_locked", NULL};

    if (sl == NULL)
        return 0;
    return check_keys(p, sl, "screen_lock", keys) != 0 ||
                   get_uint(p, sl, "screen_lock", "max_idle_seconds", 1, 86400, "seconds",
                            &pol->screen_lock.max_idle_seconds) != 0 ||
                   get_bool(p, sl, "screen_lock", "require_locked",
                            &pol->screen_lock.require_locked) != 0
               ? -1
               : 0;
}

static int parse_passwords(const struct parse *p, const cJSON *pw, struct mamori_policy *pol)
{
    static const char *const keys[] = {"forbid_browser_store", "forbid_saved_logins",
                                       "max_saved_logins", NULL};

    if (pw == NULL)
        return 0;
    return check_keys(p, pw, "passwords", keys) != 0 ||
                   get_bool(p, pw, "passwords", "forbid_browser_store",
                            &pol->passwords.forbid_browser_store) != 0 ||
                   get_bool(p, pw, "passwords", "forbid_saved_logins",
                            &pol->passwords.forbid_saved_logins) != 0 ||
                   get_uint(p, pw, "passwords", "max_saved_logins", 0, 100000, "logins",
                            &pol->passwords.max_saved_logins) != 0
               ? -1
               : 0;
}

static int parse_net_interface(const struct parse *p, const cJSON *e, const char *path,
                               struct mamori_net_interface *ni)
{
    static const char *const keys[] = {"name", "mac", "driver", NULL};
    char child[300];

    if (!cJSON_IsObject(e))
        return fail(p, path, "expected an object {\"name\":..., \"mac\":..., \"driver\":...}");
    if (check_keys(p, e, path, keys) != 0 || get_string(p, e, path, "name", 64, &ni->name) != 0 ||
        get_string(p, e, path, "mac", 17, &ni->mac) != 0 ||
        get_string(p, e, path, "driver", 64, &ni->driver) != 0)
        return -1;
    if (ni->name == NULL && ni->mac == NULL && ni->driver == NULL)
        return fail(p, path, "an approved interface needs at least one of name, mac, driver");
    if (ni->mac != NULL) {
        unsigned b[6];
        char tail;

        snprintf(child, sizeof(child), "%s.mac", path);
        if (sscanf(ni->mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                   &tail) != 6 ||
            strlen(ni->mac) != 17)
            return fail(p, child, "malformed MAC address \"%s\": expected aa:bb:cc:dd:ee:ff",
                        ni->mac);
        snprintf(ni->mac, 18, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
    }
    return 0;
}

static int parse_wifi(const struct parse *p, const cJSON *wifi, struct mamori_policy *pol)
{
    static const char *const keys[] = {"allowed", "allow_ssids", "min_security", NULL};
    static const char *const secs[] = {
        "open", "wpa2-psk", "wpa3-psk", "wpa2-enterprise", "wpa3-enterprise", NULL};
    int sec = (int)pol->network.min_security;

    if (wifi == NULL)
        return 0;
    if (check_keys(p, wifi, "network.wifi", keys) != 0 ||
        get_bool(p, wifi, "network.wifi", "allowed", &pol->network.wifi_allowed) != 0 ||
        get_string_array(p, wifi, "network.wifi", "allow_ssids", &pol->network.allow_ssids,
                         &pol->network.n_allow_ssids) != 0 ||
        get_choice(p, wifi, "network.wifi", "min_security", secs, &sec) != 0)
        return -1;
    pol->network.min_security = (enum mamori_wifi_security)sec;
    return 0;
}

static int parse_network(const struct parse *p, const cJSON *net, struct mamori_policy *pol)
{
    static const char *const keys[] = {"mode",        "interfaces",     "wifi",
                                       "usb_network", "internet_route", NULL};
    static const char *const modes[] = {"enforce", "audit", NULL};
    static const char *const usbnet[] = {"refuse", "allow", NULL};
    static const char *const route[] = {"forbid", "allow", NULL};
    const cJSON *ifs, *wifi, *e;
    int mode = (int)pol->network.mode;
    int un = pol->network.usb_network_allowed, ir = pol->network.internet_route_allowed;
    char path[64];

    if (net == NULL)
        return 0;
    if (check_keys(p, net, "network", keys) != 0 ||
        get_choice(p, net, "network", "mode", modes, &mode) != 0 ||
        get_choice(p, net, "network", "usb_network", usbnet, &un) != 0 ||
        get_choice(p, net, "network", "internet_route", route, &ir) != 0 ||
        get_object(p, net, "network", "wifi", &wifi) != 0 || parse_wifi(p, wifi, pol) != 0)
        return -1;
    pol->network.mode = (enum mamori_mode)mode;
    pol->network.usb_network_allowed = un;
    pol->network.internet_route_allowed = ir;
    ifs = cJSON_GetObjectItemCaseSensitive(net, "interfaces");
    if (ifs == NULL)
        return 0;
    if (!cJSON_IsArray(ifs))
        return fail(p, "network.interfaces", "expected an array, got %s", json_type_name(ifs));
    pol->network.interfaces =
        calloc((size_t)cJSON_GetArraySize(ifs) + 1, sizeof(*pol->network.interfaces));
    if (pol->network.interfaces == NULL)
        return fail(p, "network.interfaces", "out of memory");
    cJSON_ArrayForEach(e, ifs)
    {
        snprintf(path, sizeof(path), "network.interfaces[%zu]", pol->network.n_interfaces);
        pol->network.n_interfaces++;
        if (parse_net_interface(p, e, path,
                                &pol->network.interfaces[pol->network.n_interfaces - 1]) != 0)
            return -1;
    }
    return 0;
}

static int parse_report(const struct parse *p, const cJSON *rep, struct mamori_policy *pol)
{
    static const char *const keys[] = {"server", "interval_seconds", "check_interval_seconds",
                                       "proxy", NULL};

    if (rep == NULL)
        return 0;
    if (check_keys(p, rep, "report", keys) != 0 ||
        get_string(p, rep, "report", "server", 512, &pol->report.server) != 0 ||
        get_string(p, rep, "report", "proxy", 512, &pol->report.proxy) != 0 ||
        get_uint(p, rep, "report", "interval_seconds", 10, 86400, "seconds",
                 &pol->report.interval_seconds) != 0 ||
        get_uint(p, rep, "report", "check_interval_seconds", 10, 86400, "seconds",
                 &pol->report.check_interval_seconds) != 0)
        return -1;
    if (pol->report.server != NULL && strncmp(pol->report.server, "https://", 8) != 0)
        return fail(p, "report.server", "expected an https:// URL, got \"%.64s\"",
                    pol->report.server);
    return 0;
}

static int parse_organization(const struct parse *p, const cJSON *org, struct mamori_policy *pol)
{
    static const char *const keys[] = {"municipality", "department", NULL};

    if (org == NULL)
        return 0;
    return check_keys(p, org, "organization", keys) != 0 ||
                   get_string(p, org, "organization", "municipality", 255, &pol->municipality) !=
                       0 ||
                   get_string(p, org, "organization", "department", 255, &pol->department) != 0
               ? -1
               : 0;
}

/* ---- whole document ---------------------------------------------------- */

static char *content_version(const char *json, size_t len)
{
    uint8_t md[MAMORI_SHA256_LEN];
    char *v = malloc(7 + 16 + 1);

    if (v == NULL)
        return NULL;
    mamori_sha256(json, len, md);
    strcpy(v, "sha256:");
    mamori_hex(md, 8, v + 7);
    return v;
}

static int read_segment(const struct parse *p, const cJSON *root, enum mamori_segment *seg)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "segment");

    if (item == NULL)
        return fail(p, "segment",
                    "missing: the policy must name the PC's segment "
                    "(\"mynumber\", \"lgwan\" or \"internet\")");
    if (!cJSON_IsString(item))
        return fail(p, "segment", "expected a string, got %s", json_type_name(item));
    if (mamori_segment_from_name(item->valuestring, seg) != 0)
        return fail(p, "segment",
                    "unknown segment \"%.64s\" (expected \"mynumber\", \"lgwan\" or \"internet\")",
                    item->valuestring);
    return 0;
}

static int parse_sections(const struct parse *p, const cJSON *root, struct mamori_policy *pol)
{
    static const char *const keys[] = {"version",   "segment",     "organization", "usb",
                                       "antivirus", "screen_lock", "passwords",    "network",
                                       "report",    NULL};
    const cJSON *org, *usb, *av, *sl, *pw, *net, *rep;

    if (check_keys(p, root, "", keys) != 0 ||
        get_string(p, root, "", "version", 64, &pol->version) != 0 ||
        get_object(p, root, "", "organization", &org) != 0 ||
        get_object(p, root, "", "usb", &usb) != 0 ||
        get_object(p, root, "", "antivirus", &av) != 0 ||
        get_object(p, root, "", "screen_lock", &sl) != 0 ||
        get_object(p, root, "", "passwords", &pw) != 0 ||
        get_object(p, root, "", "network", &net) != 0 ||
        get_object(p, root, "", "report", &rep) != 0)
        return -1;
    return parse_organization(p, org, pol) || parse_usb(p, usb, pol) ||
                   parse_antivirus(p, av, pol) || parse_screen_lock(p, sl, pol) ||
                   parse_passwords(p, pw, pol) || parse_network(p, net, pol) ||
                   parse_report(p, rep, pol)
               ? -1
               : 0;
}

static int parse_json(const struct parse *p, cJSON **out)
{
    const char *end = NULL;
    size_t bad = mamori_utf8_invalid_at((const unsigned char *)p->text, p->len);

    if (bad < p->len || memchr(p->text, '\0', p->len) != NULL) {
        if (bad > p->len)
            bad = (size_t)((const char *)memchr(p->text, '\0', p->len) - p->text);
        line_col_at(p->text, bad, &p->err->line, &p->err->column);
        snprintf(p->err->message, sizeof(p->err->message),
                 "invalid UTF-8 (or NUL byte) at byte offset %zu: the policy must be UTF-8 text",
                 bad);
        return -1;
    }
    /* len + 1: cJSON wants to see the terminating NUL to reject trailing data. */
    *out = cJSON_ParseWithLengthOpts(p->text, p->len + 1, &end, true);
    if (*out == NULL) {
        size_t off = end && end >= p->text ? (size_t)(end - p->text) : 0;

        line_col_at(p->text, off, &p->err->line, &p->err->column);
        snprintf(p->err->message, sizeof(p->err->message),
                 "JSON syntax error near \"%.20s\" (a missing comma, quote or brace?)",
                 off < p->len ? p->text + off : "end of file");
        return -1;
    }
    if (!cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        snprintf(p->err->message, sizeof(p->err->message),
                 "expected a JSON object at the top level");
        return -1;
    }
    return 0;
}

int mamori_policy_parse(const char *json, size_t len, const char *origin,
                        struct mamori_policy **out, struct mamori_policy_error *err)
{
    struct mamori_policy_error scratch = {0};
    struct parse p = {.text = json, .len = len, .err = err ? err : &scratch};
    struct mamori_policy *pol = NULL;
    enum mamori_segment seg;
    cJSON *root = NULL;
    char *nul_terminated;
    int rc = -1;

    memset(p.err, 0, sizeof(*p.err));
    /* strstr() in error reporting needs a terminated copy. */
    nul_terminated = malloc(len + 1);
    if (nul_terminated == NULL) {
        snprintf(p.err->message, sizeof(p.err->message), "out of memory");
        return -1;
    }
    memcpy(nul_terminated, json, len);
    nul_terminated[len] = '\0';
    p.text = nul_terminated;

    if (parse_json(&p, &root) != 0 || read_segment(&p, root, &seg) != 0)
        goto out;
    pol = mamori_policy_preset(seg);
    if (pol == NULL) {
        snprintf(p.err->message, sizeof(p.err->message), "out of memory");
        goto out;
    }
    free(pol->version);
    pol->version = NULL;
    if (parse_sections(&p, root, pol) != 0)
        goto out;
    if (pol->version == NULL && (pol->version = content_version(json, len)) == NULL)
        goto out;
    if (origin != NULL && (pol->source_path = strdup(origin)) == NULL)
        goto out;
    *out = pol;
    pol = NULL;
    rc = 0;
out:
    mamori_policy_free(pol);
    cJSON_Delete(root);
    free(nul_terminated);
    return rc;
}

/* ---- files ------------------------------------------------------------- */

/* "cannot <what> policy file <path>: <reason>" */
static int load_fail(struct mamori_policy_error *err, const char *what, const char *path, int e)
{
    memset(err, 0, sizeof(*err));
    snprintf(err->message, sizeof(err->message), "cannot %s policy file %s: %s", what, path,
             strerror(e));
    return -1;
}

int mamori_policy_load(const char *path, struct mamori_policy **out,
                       struct mamori_policy_error *err)
{
    struct mamori_policy_error scratch = {0};
    struct stat st;
    char *buf;
    ssize_t got;
    size_t len = 0;
    int fd, rc;

    if (err == NULL)
        err = &scratch;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return load_fail(err, "open", path, errno);
    if (fstat(fd, &st) != 0) {
        rc = errno;
        close(fd);
        return load_fail(err, "stat", path, rc);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        memset(err, 0, sizeof(*err));
        snprintf(err->message, sizeof(err->message),
                 "policy %s is not a regular file (a directory or device?)", path);
        return -1;
    }
    if (st.st_mode & S_IWOTH) {
        close(fd);
        memset(err, 0, sizeof(*err));
        snprintf(err->message, sizeof(err->message),
                 "policy file %s is world-writable: refusing it (chmod o-w %s)", path, path);
        return -1;
    }
    if (st.st_size > MAMORI_POLICY_MAX_BYTES) {
        close(fd);
        memset(err, 0, sizeof(*err));
        snprintf(err->message, sizeof(err->message),
                 "policy file %s is %lld bytes, more than the %d byte limit", path,
                 (long long)st.st_size, MAMORI_POLICY_MAX_BYTES);
        return -1;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        close(fd);
        return load_fail(err, "read", path, ENOMEM);
    }
    while ((got = read(fd, buf + len, (size_t)st.st_size - len)) > 0 && len < (size_t)st.st_size)
        len += (size_t)got;
    rc = got < 0 ? errno : 0;
    close(fd);
    if (rc != 0) {
        free(buf);
        return load_fail(err, "read", path, rc);
    }
    rc = mamori_policy_parse(buf, len, path, out, err);
    free(buf);
    return rc;
}

bool mamori_usb_allow_matches(const struct mamori_usb_allow *allow, uint16_t vid, uint16_t pid,
                              const char *serial, const char *hash, time_t now)
{
    if (allow->vid != vid || allow->pid != pid)
        return false;
    if (allow->until != 0 && now > allow->until)
        return false;
    if (allow->serial != NULL && (serial == NULL || strcmp(allow->serial, serial) != 0))
        return false;
    if (allow->hash != NULL && (hash == NULL || strcmp(allow->hash, hash) != 0))
        return false;
    return true;
}
