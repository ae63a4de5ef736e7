/* wifi_nm_device.c -- NetworkManager's devices as the Wi-Fi source sees them.
 *
 * The cache holds per device its interface, type, state and active
 * connection, and for a Wi-Fi device that is associating or joined the SSID
 * and security, found by a chain of asynchronous calls:
 *   Device GetAll -> Device.Wireless.ActiveAccessPoint -> AccessPoint GetAll
 *   (Ssid, Flags, WpaFlags, RsnFlags); without an access point or SSID:
 *   Connection.Active.Connection -> Settings.Connection.GetSettings
 *   (802-11-wireless.ssid, 802-11-wireless-security.key-mgmt; no secrets).
 * Signals restart a device's chain: Device.StateChanged, Device
 * PropertiesChanged (ActiveConnection, Interface, Ifindex), DeviceAdded;
 * DeviceRemoved drops it.  Each chain carries a generation number, so a reply
 * that a newer signal has overtaken is dropped. */
#include "wifi_nm_impl.h"

#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the cache -------------------------------------------------------- */

static struct nm_device *find_device(struct mamori_wifi_nm *nm, const char *path)
{
    for (size_t i = 0; i < nm->n_dev; i++) {
        if (strcmp(nm->dev[i].path, path) == 0)
            return &nm->dev[i];
    }
    return NULL;
}

static struct nm_device *add_device(struct mamori_wifi_nm *nm, const char *path)
{
    struct nm_device *d = find_device(nm, path);

    if (d != NULL)
        return d;
    if (nm->n_dev == nm->cap_dev) {
        size_t cap = nm->cap_dev ? nm->cap_dev * 2 : 8;
        struct nm_device *grown =
            cap <= DEVICES_MAX ? realloc(nm->dev, cap * sizeof(*grown)) : NULL;

        if (grown == NULL)
            return NULL;
        nm->dev = grown;
        nm->cap_dev = cap;
    }
    d = &nm->dev[nm->n_dev++];
    memset(d, 0, sizeof(*d));
    snprintf(d->path, sizeof(d->path), "%s", path);
    snprintf(d->active, sizeof(d->active), "/");
    return d;
}

static void remove_device(struct mamori_wifi_nm *nm, const char *path)
{
    struct nm_device *d = find_device(nm, path);

    if (d != NULL)
        *d = nm->dev[--nm->n_dev];
}

bool mamori_wifi_nm_joining(const struct nm_device *d)
{
    return d->type == NM_TYPE_WIFI && d->state >= NM_STATE_CONFIG && d->state <= NM_STATE_ACTIVE;
}

/* Is this device's interface the one of that name in our network namespace? */
bool mamori_wifi_nm_local(const struct nm_device *d)
{
    unsigned idx = d->ifname[0] ? if_nametoindex(d->ifname) : 0;

    return idx != 0 && (d->ifindex <= 0 || (unsigned)d->ifindex == idx);
}

/* The device a reply belongs to, or NULL when a newer chain overtook it. */
static struct nm_device *chain_device(const struct nm_call *c)
{
    struct nm_device *d = find_device(c->nm, c->device);

    return d != NULL && d->gen == c->gen ? d : NULL;
}

/* ---- reading properties ----------------------------------------------- */

/* One property we want out of an a{sv}: type 's', 'o', 'u', 'i' or 'y' (= "ay"). */
struct prop {
    const char *name;
    char type;
    void *dest;  /* char[size] for s/o, uint32_t, int32_t, struct ssid_bytes */
    size_t size; /* for s/o */
    bool seen;
};

struct ssid_bytes {
    unsigned char b[MAMORI_WIFI_SSID_MAX + 1]; /* one more: too long is refused, not cut */
    size_t len;
};

static int read_value(sd_bus_message *m, struct prop *p)
{
    const char *s;
    const void *bytes;
    size_t len;
    int r;

    switch (p->type) {
    case 's':
    case 'o':
        if ((r = sd_bus_message_read_basic(m, p->type, &s)) >= 0)
            snprintf(p->dest, p->size, "%s", s);
        return r;
    case 'u':
        return sd_bus_message_read_basic(m, 'u', p->dest);
    case 'i':
        return sd_bus_message_read_basic(m, 'i', p->dest);
    default: /* 'y': an array of bytes */
        if ((r = sd_bus_message_read_array(m, 'y', &bytes, &len)) >= 0) {
            struct ssid_bytes *out = p->dest;
            out->len = len < sizeof(out->b) ? len : sizeof(out->b);
            memcpy(out->b, bytes, out->len);
        }
        return r;
    }
}

static const char *signature_of(char type)
{
    return type == 's' ? "s" : type == 'o' ? "o" : type == 'u' ? "u" : type == 'i' ? "i" : "ay";
}

/* One "{sv}" entry: read it into the matching prop (if its type is right). */
static int read_entry(sd_bus_message *m, struct prop *props, size_t n)
{
    const char *key, *contents;
    char type;
    int r;

    if ((r = sd_bus_message_read_basic(m, 's', &key)) < 0 ||
        (r = sd_bus_message_peek_type(m, &type, &contents)) < 0)
        return r;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(props[i].name, key) != 0 || strcmp(contents, signature_of(props[i].type)) != 0)
            continue;
        props[i].seen = true;
        if (props[i].dest == NULL)
            break;
        if ((r = sd_bus_message_enter_container(m, 'v', contents)) < 0 ||
            (r = read_value(m, &props[i])) < 0)
            return r;
        return sd_bus_message_exit_container(m);
    }
    return sd_bus_message_skip(m, "v");
}

/* Read the wanted props out of the a{sv} at the message's position. */
static int read_props(sd_bus_message *m, struct prop *props, size_t n)
{
    int r;

    if ((r = sd_bus_message_enter_container(m, 'a', "{sv}")) < 0)
        return r;
    while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
        if ((r = read_entry(m, props, n)) < 0 || (r = sd_bus_message_exit_container(m)) < 0)
            return r;
    }
    return r < 0 ? r : sd_bus_message_exit_container(m);
}

/* A Properties.Get reply ("v") holding an object path. */
static int read_variant_path(sd_bus_message *m, char *out, size_t size)
{
    const char *s;
    int r = sd_bus_message_read(m, "v", "o", &s);

    if (r >= 0)
        snprintf(out, size, "%s", s);
    return r;
}

/* ---- the chain: device -> access point or profile -> ssid, security --- */

/* A link of the chain failed: try the whole chain again, then give up
 * fail-closed (joined, SSID unknown: the guard refuses what it cannot name). */
static void chain_failed(struct mamori_wifi_nm *nm, struct nm_device *d)
{
    if (++d->failed <= CHAIN_RETRIES) {
        mamori_wifi_nm_refresh(nm, d->path);
        return;
    }
    d->ssid[0] = '\0';
    d->security = MAMORI_WIFI_OPEN;
    d->resolved = true;
}

static void resolved(struct nm_device *d, const struct ssid_bytes *ssid,
                     enum mamori_wifi_security security)
{
    mamori_wifi_ssid_text(ssid->b, ssid->len, d->ssid, sizeof(d->ssid));
    d->security = security;
    d->resolved = true;
    d->failed = 0;
}

/* 802-11-wireless.ssid and 802-11-wireless-security.key-mgmt from a
 * GetSettings reply (a{sa{sv}}); key_mgmt stays "" without security. */
static int read_wireless_settings(sd_bus_message *m, struct ssid_bytes *ssid, char *key_mgmt,
                                  size_t size)
{
    struct prop wireless[] = {{.name = "ssid", .type = 'y', .dest = ssid}};
    struct prop security[] = {{.name = "key-mgmt", .type = 's', .dest = key_mgmt, .size = size}};
    const char *setting;
    int r;

    if (sd_bus_message_enter_container(m, 'a', "{sa{sv}}") < 0)
        return -1;
    while ((r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
        if (sd_bus_message_read_basic(m, 's', &setting) < 0)
            return -1;
        if (strcmp(setting, "802-11-wireless") == 0)
            r = read_props(m, wireless, 1);
        else if (strcmp(setting, "802-11-wireless-security") == 0)
            r = read_props(m, security, 1);
        else
            r = sd_bus_message_skip(m, "a{sv}");
        if (r < 0 || sd_bus_message_exit_container(m) < 0)
            return -1;
    }
    return r < 0 ? -1 : 0;
}

static int on_settings(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    struct nm_call *c = userdata;
    struct nm_device *d = chain_device(c);
    struct ssid_bytes ssid = {.len = 0};
    char key_mgmt[64] = "";

    (void)ret_error;
    if (d == NULL)
        return 0;
    if (sd_bus_message_is_method_error(m, NULL) ||
        read_wireless_settings(m, &ssid, key_mgmt, sizeof(key_mgmt)) != 0 || ssid.len == 0)
        chain_failed(c->nm, d);
    else
        resolved(d, &ssid, mamori_wifi_key_mgmt_security(key_mgmt[0] ? key_mgmt : NULL));
    return 0;
}

static int on_profile_path(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    struct nm_call *c = userdata;
    struct nm_device *d = chain_device(c);
    char profile[NM_PATH_MAX];

    (void)ret_error;
    if (d == NULL)
        return 0;
    if (sd_bus_message_is_method_error(m, NULL) ||
        read_variant_path(m, profile, sizeof(profile)) < 0 ||
        mamori_wifi_nm_call(c->nm, profile, NM_SETTINGS_CONN, "GetSettings", on_settings, d->path,
                            d->gen, "") < 0)
        chain_failed(c->nm, d);
    return 0;
}

/* No access point (or no SSID on it): ask the profile being activated. */
static void resolve_from_profile(struct mamori_wifi_nm *nm, struct nm_device *d)
{
    if (strcmp(d->active, "/") == 0 || mamori_wifi_nm_get(nm, d->active, NM_ACTIVE, "Connection",
                                                          on_profile_path, d->path, d->gen) < 0)
        chain_failed(nm, d);
}

static int on_ap_props(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    struct nm_call *c = userdata;
    struct nm_device *d = chain_device(c);
    struct ssid_bytes ssid = {.len = 0};
    uint32_t flags = 0, wpa = 0, rsn = 0;
    struct prop props[] = {{.name = "Ssid", .type = 'y', .dest = &ssid},
                           {.name = "Flags", .type = 'u', .dest = &flags},
                           {.name = "WpaFlags", .type = 'u', .dest = &wpa},
                           {.name = "RsnFlags", .type = 'u', .dest = &rsn}};

    (void)ret_error;
    if (d == NULL)
        return 0;
    if (sd_bus_message_is_method_error(m, NULL) || read_props(m, props, 4) < 0)
        chain_failed(c->nm, d);
    else if (ssid.len == 0) /* a hidden network: the profile knows its name */
        resolve_from_profile(c->nm, d);
    else
        resolved(d, &ssid, mamori_wifi_nm_ap_security(flags, wpa, rsn));
    return 0;
}

static int on_ap_path(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    struct nm_call *c = userdata;
    struct nm_device *d = chain_device(c);
    char ap[NM_PATH_MAX];

    (void)ret_error;
    if (d == NULL)
        return 0;
    if (sd_bus_message_is_method_error(m, NULL) || read_variant_path(m, ap, sizeof(ap)) < 0)
        chain_failed(c->nm, d);
    else if (strcmp(ap, "/") == 0)
        resolve_from_profile(c->nm, d);
    else if (mamori_wifi_nm_get_all(c->nm, ap, NM_AP, on_ap_props, d->path, d->gen) < 0)
        chain_failed(c->nm, d);
    return 0;
}

static int on_device_props(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    struct nm_call *c = userdata;
    struct nm_device *d = chain_device(c);
    char active[NM_PATH_MAX] = "/";
    struct prop props[] = {
        {.name = "Interface", .type = 's', .dest = d ? d->ifname : NULL, .size = IF_NAMESIZE},
        {.name = "DeviceType", .type = 'u', .dest = d ? &d->type : NULL},
        {.name = "State", .type = 'u', .dest = d ? &d->state : NULL},
        {.name = "Ifindex", .type = 'i', .dest = d ? &d->ifindex : NULL},
        {.name = "ActiveConnection", .type = 'o', .dest = active, .size = sizeof(active)}};

    (void)ret_error;
    if (d == NULL)
        return 0;
    if (sd_bus_message_is_method_error(m, NULL)) {
        /* Gone between the signal and the call: DeviceRemoved follows. */
        if (sd_bus_message_is_method_error(m, "org.freedesktop.DBus.Error.UnknownObject"))
            remove_device(c->nm, c->device);
        else
            chain_failed(c->nm, d);
        return 0;
    }
    if (read_props(m, props, 5) < 0) {
        chain_failed(c->nm, d);
        return 0;
    }
    if (!mamori_wifi_nm_joining(d) || strcmp(active, d->active) != 0)
        d->resolved = false; /* a new activation is judged afresh */
    snprintf(d->active, sizeof(d->active), "%s", active);
    if (mamori_wifi_nm_joining(d) &&
        mamori_wifi_nm_get(c->nm, d->path, NM_WIRELESS, "ActiveAccessPoint", on_ap_path, d->path,
                           d->gen) < 0)
        chain_failed(c->nm, d);
    return 0;
}

/* (Re)start the chain of one device: a new generation drops replies in flight. */
void mamori_wifi_nm_refresh(struct mamori_wifi_nm *nm, const char *path)
{
    struct nm_device *d = add_device(nm, path);

    if (d == NULL)
        return; /* more devices than DEVICES_MAX: the rest are not watched */
    d->gen = ++nm->next_gen;
    if (mamori_wifi_nm_get_all(nm, d->path, NM_DEVICE, on_device_props, d->path, d->gen) < 0)
        d->resolved = false;
}

/* ---- signals ------------------------------------------------------------ */

int mamori_wifi_nm_on_device_added(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    const char *path;

    (void)ret_error;
    if (mamori_wifi_nm_running(userdata) && sd_bus_message_read(m, "o", &path) >= 0)
        mamori_wifi_nm_refresh(userdata, path);
    return 0;
}

int mamori_wifi_nm_on_device_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    const char *path;

    (void)ret_error;
    if (sd_bus_message_read(m, "o", &path) >= 0)
        remove_device(userdata, path);
    return 0;
}

int mamori_wifi_nm_on_device_state(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    (void)ret_error;
    if (mamori_wifi_nm_running(userdata))
        mamori_wifi_nm_refresh(userdata, sd_bus_message_get_path(m));
    return 0;
}

/* Device PropertiesChanged: only what can change the Wi-Fi network joined
 * (State comes with StateChanged too, which mamori_wifi_nm_on_device_state handles). */
int mamori_wifi_nm_on_device_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    struct prop keys[] = {{.name = "ActiveConnection", .type = 'o'},
                          {.name = "Interface", .type = 's'},
                          {.name = "Ifindex", .type = 'i'}};

    (void)ret_error;
    if (!mamori_wifi_nm_running(userdata) || sd_bus_message_skip(m, "s") < 0 ||
        read_props(m, keys, 3) < 0)
        return 0;
    for (size_t i = 0; i < 3; i++) {
        if (keys[i].seen) {
            mamori_wifi_nm_refresh(userdata, sd_bus_message_get_path(m));
            break;
        }
    }
    return 0;
}
