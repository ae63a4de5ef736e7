/* wifi_nm.c -- the NetworkManager Wi-Fi source over sd-bus (see wifi_nm.h).
 *
 * Life of the connection:
 *   new      -> sd_bus with watch_bind (sd-bus waits for the socket with inotify)
 *   Connected (synthetic local signal) -> add matches, ask GetNameOwner
 *   owner    -> RUNNING: Version, GetDevices, one property chain per device
 *               (if NetworkManager owns its name before its objects exist,
 *               InterfacesAdded of its manager object says when to ask again)
 *   no owner -> ABSENT, until NameOwnerChanged gives the name an owner
 *   Disconnected (bus gone) -> a fresh sd_bus, back to waiting for the socket
 *
 * The devices and their Wi-Fi networks are wifi_nm_device.c's.  Every call
 * is asynchronous on one sd-event loop; only disconnect() waits for its
 * answer (2 s at most), so the guard can report whether NetworkManager
 * accepted it. */
#include "wifi_nm_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_BUS     "unix:path=/run/dbus/system_bus_socket"
#define PUMP_MAX        256 /* events handled per dispatch; the rest wake us again */
#define DISCONNECT_USEC (2 * 1000 * 1000)

/* ---- state ------------------------------------------------------------- */

static void set_state(struct mamori_wifi_nm *nm, enum mamori_wifi_nm_state state, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));

static void set_state(struct mamori_wifi_nm *nm, enum mamori_wifi_nm_state state, const char *fmt,
                      ...)
{
    char detail[sizeof(nm->detail)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    if (nm->state == state && strcmp(nm->detail, detail) == 0)
        return;
    nm->state = state;
    memcpy(nm->detail, detail, sizeof(detail));
    if (nm->notify != NULL && state != MAMORI_WIFI_NM_CONNECTING)
        nm->notify(nm->userdata, state, detail);
}

const char *mamori_wifi_nm_state_name(enum mamori_wifi_nm_state state)
{
    static const char *const names[] = {[MAMORI_WIFI_NM_NO_BUS] = "no_bus",
                                        [MAMORI_WIFI_NM_CONNECTING] = "connecting",
                                        [MAMORI_WIFI_NM_ABSENT] = "absent",
                                        [MAMORI_WIFI_NM_RUNNING] = "running"};

    return (unsigned)state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

enum mamori_wifi_nm_state mamori_wifi_nm_state(const struct mamori_wifi_nm *nm)
{
    return nm->state;
}

/* ---- asynchronous calls ------------------------------------------------ */

/* Call dest (NetworkManager, or the bus itself); see mamori_wifi_nm_call. */
static int call_to(struct mamori_wifi_nm *nm, const char *dest, const char *object,
                   const char *iface, const char *member, sd_bus_message_handler_t cb,
                   const char *device, unsigned gen, const char *types, va_list ap)
{
    struct nm_call *c = calloc(1, sizeof(*c));
    sd_bus_slot *slot = NULL;
    int r;

    if (c == NULL)
        return -ENOMEM;
    c->nm = nm;
    c->gen = gen;
    snprintf(c->device, sizeof(c->device), "%s", device ? device : "");
    r = sd_bus_call_method_asyncv(nm->bus, &slot, dest, object, iface, member, cb, c, types, ap);
    if (r < 0) {
        free(c);
        return r;
    }
    sd_bus_slot_set_destroy_callback(slot, free);
    sd_bus_slot_set_floating(slot, 1); /* the bus owns it now */
    sd_bus_slot_unref(slot);
    return 0;
}

int mamori_wifi_nm_call(struct mamori_wifi_nm *nm, const char *object, const char *iface,
                        const char *member, sd_bus_message_handler_t cb, const char *device,
                        unsigned gen, const char *types, ...)
{
    va_list ap;
    int r;

    va_start(ap, types);
    r = call_to(nm, NM_SERVICE, object, iface, member, cb, device, gen, types, ap);
    va_end(ap);
    return r;
}

static int ask_bus(struct mamori_wifi_nm *nm, const char *member, sd_bus_message_handler_t cb,
                   const char *types, ...)
{
    va_list ap;
    int r;

    va_start(ap, types);
    r = call_to(nm, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", member,
                cb, NULL, 0, types, ap);
    va_end(ap);
    return r;
}

int mamori_wifi_nm_get(struct mamori_wifi_nm *nm, const char *object, const char *iface,
                       const char *name, sd_bus_message_handler_t cb, const char *device,
                       unsigned gen)
{
    return mamori_wifi_nm_call(nm, object, DBUS_PROPS, "Get", cb, device, gen, "ss", iface, name);
}

int mamori_wifi_nm_get_all(struct mamori_wifi_nm *nm, const char *object, const char *iface,
                           sd_bus_message_handler_t cb, const char *device, unsigned gen)
{
    return mamori_wifi_nm_call(nm, object, DBUS_PROPS, "GetAll", cb, device, gen, "s", iface);
}

/* ---- NetworkManager coming and going ----------------------------------- */

static void forget_devices(struct mamori_wifi_nm *nm)
{
    nm->n_dev = 0;
    nm->version[0] = '\0';
}

static int on_devices(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    struct nm_call *c = userdata;
    const char *path;

    (void)ret_error;
    if (sd_bus_message_is_method_error(m, "org.freedesktop.DBus.Error.UnknownObject") ||
        sd_bus_message_is_method_error(m, "org.freedesktop.DBus.Error.UnknownMethod")) {
        /* It took its name before exporting its objects: on_manager_exported. */
        set_state(c->nm, MAMORI_WIFI_NM_CONNECTING, "NetworkManager is starting");
        return 0;
    }
    if (sd_bus_message_is_method_error(m, NULL)) {
        set_state(c->nm, MAMORI_WIFI_NM_ABSENT, "NetworkManager did not list its devices: %s",
                  sd_bus_message_get_error(m)->message);
        return 0;
    }
    if (sd_bus_message_enter_container(m, 'a', "o") < 0) {
        set_state(c->nm, MAMORI_WIFI_NM_ABSENT, "NetworkManager's device list is unreadable");
        return 0;
    }
    while (sd_bus_message_read_basic(m, 'o', &path) > 0)
        mamori_wifi_nm_refresh(c->nm, path);
    set_state(c->nm, MAMORI_WIFI_NM_RUNNING, "NetworkManager %s",
              c->nm->version[0] ? c->nm->version : "(version unknown)");
    return 0;
}

static int on_version(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    struct nm_call *c = userdata;
    const char *v;

    (void)ret_error;
    if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_read(m, "v", "s", &v) >= 0)
        snprintf(c->nm->version, sizeof(c->nm->version), "%s", v);
    return 0;
}

static void nm_appeared(struct mamori_wifi_nm *nm)
{
    forget_devices(nm);
    if (mamori_wifi_nm_get(nm, NM_PATH, NM_IFACE, "Version", on_version, NULL, 0) < 0 ||
        mamori_wifi_nm_call(nm, NM_PATH, NM_IFACE, "GetDevices", on_devices, NULL, 0, "") < 0)
        set_state(nm, MAMORI_WIFI_NM_ABSENT, "could not ask NetworkManager: %s", strerror(ENOMEM));
}

static void nm_vanished(struct mamori_wifi_nm *nm)
{
    forget_devices(nm);
    set_state(nm, MAMORI_WIFI_NM_ABSENT, "NetworkManager is not running on the system bus");
}

static int on_name_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    struct nm_call *c = userdata;

    (void)ret_error;
    if (sd_bus_message_is_method_error(m, NULL))
        nm_vanished(c->nm); /* NameHasNoOwner */
    else
        nm_appeared(c->nm);
    return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    const char *name, *old_owner, *new_owner;

    (void)ret_error;
    if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
        strcmp(name, NM_SERVICE) != 0)
        return 0;
    if (new_owner[0] != '\0')
        nm_appeared(userdata);
    else
        nm_vanished(userdata);
    return 0;
}

/* InterfacesAdded for NetworkManager's own object: it is ready to be asked
 * (it may own its name before that; see on_devices). */
static int on_manager_exported(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    struct mamori_wifi_nm *nm = userdata;
    const char *path;

    (void)ret_error;
    if (nm->state != MAMORI_WIFI_NM_RUNNING && sd_bus_message_read(m, "o", &path) >= 0 &&
        strcmp(path, NM_PATH) == 0)
        nm_appeared(nm);
    return 0;
}

/* ---- the bus ----------------------------------------------------------- */

#define NM_SIGNAL "type='signal',sender='" NM_SERVICE "',"

static const struct {
    const char *rule;
    sd_bus_message_handler_t cb;
} matches[] = {
    {"type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
     "member='NameOwnerChanged',arg0='" NM_SERVICE "'",
     on_name_owner_changed},
    {NM_SIGNAL "path='/org/freedesktop',interface='org.freedesktop.DBus.ObjectManager',"
               "member='InterfacesAdded',arg0path='" NM_PATH "'",
     on_manager_exported},
    {NM_SIGNAL "path='" NM_PATH "',interface='" NM_IFACE "',member='DeviceAdded'",
     mamori_wifi_nm_on_device_added},
    {NM_SIGNAL "path='" NM_PATH "',interface='" NM_IFACE "',member='DeviceRemoved'",
     mamori_wifi_nm_on_device_removed},
    {NM_SIGNAL "interface='" NM_DEVICE "',member='StateChanged',path_namespace='" NM_PATH
               "/Devices'",
     mamori_wifi_nm_on_device_state},
    {NM_SIGNAL "interface='" DBUS_PROPS "',member='PropertiesChanged',path_namespace='" NM_PATH
               "/Devices',arg0='" NM_DEVICE "'",
     mamori_wifi_nm_on_device_changed},
};

/* The bus is up: subscribe first, then ask, so no change falls in between
 * (the bus daemon handles our messages in order). */
static void subscribe(struct mamori_wifi_nm *nm)
{
    int r = 0;

    for (size_t i = 0; r >= 0 && i < sizeof(matches) / sizeof(matches[0]); i++)
        r = sd_bus_add_match_async(nm->bus, NULL, matches[i].rule, matches[i].cb, NULL, nm);
    if (r >= 0)
        r = ask_bus(nm, "GetNameOwner", on_name_owner, "s", NM_SERVICE);
    if (r < 0)
        set_state(nm, MAMORI_WIFI_NM_ABSENT, "could not subscribe on the system bus: %s",
                  strerror(-r));
}

/* Local signals: the bus became usable, or went away. */
static int on_local(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    struct mamori_wifi_nm *nm = userdata;

    (void)ret_error;
    if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Connected")) {
        set_state(nm, MAMORI_WIFI_NM_CONNECTING, "asking for NetworkManager");
        subscribe(nm);
    } else if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected")) {
        nm->bus_lost = true;
    }
    return 0;
}

/* The filesystem path of a "unix:path=..." address, or NULL. */
static const char *socket_path(const char *address, char *out, size_t size)
{
    size_t n;

    if (strncmp(address, "unix:path=", 10) != 0)
        return NULL;
    n = strcspn(address + 10, ",;");
    if (n == 0 || n >= size)
        return NULL;
    memcpy(out, address + 10, n);
    out[n] = '\0';
    return out;
}

/* Before the bus answers: NO_BUS when its socket is not even there (sd-bus
 * then waits for it with inotify), else CONNECTING. */
static void probe_socket(struct mamori_wifi_nm *nm)
{
    char path[256];
    struct stat st;

    if (socket_path(nm->address, path, sizeof(path)) != NULL &&
        (stat(path, &st) != 0 || !S_ISSOCK(st.st_mode)))
        set_state(nm, MAMORI_WIFI_NM_NO_BUS, "no system bus at %s (waiting for it)", path);
    else
        set_state(nm, MAMORI_WIFI_NM_CONNECTING, "connecting to %s", nm->address);
}

static int bus_open(struct mamori_wifi_nm *nm)
{
    sd_bus *bus = NULL;
    int r;

    if ((r = sd_bus_new(&bus)) < 0 || (r = sd_bus_set_address(bus, nm->address)) < 0 ||
        (r = sd_bus_set_bus_client(bus, 1)) < 0 || (r = sd_bus_set_watch_bind(bus, 1)) < 0 ||
        (r = sd_bus_set_connected_signal(bus, 1)) < 0 ||
        (r = sd_bus_add_filter(bus, NULL, on_local, nm)) < 0 ||
        (r = sd_bus_attach_event(bus, nm->event, SD_EVENT_PRIORITY_NORMAL)) < 0 ||
        (r = sd_bus_start(bus)) < 0) {
        sd_bus_close_unref(bus);
        set_state(nm, MAMORI_WIFI_NM_NO_BUS, "cannot use the system bus %s: %s", nm->address,
                  strerror(-r));
        return r;
    }
    nm->bus = bus;
    probe_socket(nm);
    return 0;
}

static void bus_close(struct mamori_wifi_nm *nm)
{
    if (nm->bus == NULL)
        return;
    sd_bus_detach_event(nm->bus);
    nm->bus = sd_bus_close_unref(nm->bus); /* pending calls' userdata is freed with them */
    forget_devices(nm);
}

/* Run whatever is ready on the event loop, without blocking; reopen the bus
 * if it went away (the daemon restarted). */
static int pump(struct mamori_wifi_nm *nm)
{
    int r = 0;

    for (int i = 0; i < PUMP_MAX && (r = sd_event_run(nm->event, 0)) > 0; i++) {
        if (nm->bus_lost) {
            nm->bus_lost = false;
            bus_close(nm);
            bus_open(nm); /* its state says whether the socket is still there */
        }
    }
    return r < 0 ? -1 : 0;
}

/* ---- the source's operations ------------------------------------------- */

static int nm_connections(const struct mamori_wifi_source *src, struct mamori_wifi_conn *out,
                          size_t max)
{
    const struct mamori_wifi_nm *nm = src->impl;
    size_t n = 0;

    for (size_t i = 0; i < nm->n_dev && n < max; i++) {
        const struct nm_device *d = &nm->dev[i];

        if (!mamori_wifi_nm_joining(d) || !d->resolved || !mamori_wifi_nm_local(d))
            continue;
        snprintf(out[n].ifname, sizeof(out[n].ifname), "%s", d->ifname);
        snprintf(out[n].ssid, sizeof(out[n].ssid), "%s", d->ssid);
        out[n].security = d->security;
        n++;
    }
    return (int)n;
}

static int nm_fd(const struct mamori_wifi_source *src)
{
    return sd_event_get_fd(((const struct mamori_wifi_nm *)src->impl)->event);
}

static int nm_dispatch(const struct mamori_wifi_source *src)
{
    return pump(src->impl);
}

static const struct nm_device *device_named(const struct mamori_wifi_nm *nm, const char *ifname)
{
    for (size_t i = 0; i < nm->n_dev; i++) {
        if (strcmp(nm->dev[i].ifname, ifname) == 0 && mamori_wifi_nm_local(&nm->dev[i]))
            return &nm->dev[i];
    }
    return NULL;
}

/* Device.Disconnect: NetworkManager leaves the network and does not join
 * again by itself until a user or a profile activation asks.  Any device,
 * not only Wi-Fi (the tests exercise it on a veth). */
static int nm_disconnect(const struct mamori_wifi_source *src, const char *ifname)
{
    struct mamori_wifi_nm *nm = src->impl;
    const struct nm_device *d = mamori_wifi_nm_running(nm) ? device_named(nm, ifname) : NULL;
    sd_bus_error error = SD_BUS_ERROR_NULL;
    sd_bus_message *call_msg = NULL, *reply = NULL;
    int r = -ENODEV;

    if (d != NULL && (r = sd_bus_message_new_method_call(nm->bus, &call_msg, NM_SERVICE, d->path,
                                                         NM_DEVICE, "Disconnect")) >= 0)
        r = sd_bus_call(nm->bus, call_msg, DISCONNECT_USEC, &error, &reply);
    sd_bus_error_free(&error);
    sd_bus_message_unref(call_msg);
    sd_bus_message_unref(reply);
    pump(nm); /* sd_bus_call may have queued signals: handle them now */
    return r < 0 ? -1 : 0;
}

static const char *device_type_name(uint32_t type)
{
    switch (type) {
    case 1:
        return "ethernet";
    case NM_TYPE_WIFI:
        return "wifi";
    case 20:
        return "veth";
    case 32:
        return "loopback";
    default:
        return "other";
    }
}

static cJSON *device_json(const struct nm_device *d)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "interface", d->ifname);
    cJSON_AddStringToObject(o, "type", device_type_name(d->type));
    cJSON_AddNumberToObject(o, "state", d->state);
    if (!mamori_wifi_nm_local(d))
        cJSON_AddBoolToObject(o, "other_namespace", true);
    return o;
}

static cJSON *nm_describe(const struct mamori_wifi_source *src)
{
    const struct mamori_wifi_nm *nm = src->impl;
    cJSON *o = cJSON_CreateObject(), *devices;

    cJSON_AddStringToObject(o, "source", "NetworkManager");
    cJSON_AddStringToObject(o, "state", mamori_wifi_nm_state_name(nm->state));
    cJSON_AddStringToObject(o, "detail", nm->detail);
    if (nm->version[0])
        cJSON_AddStringToObject(o, "version", nm->version);
    devices = cJSON_AddArrayToObject(o, "devices");
    for (size_t i = 0; devices != NULL && i < nm->n_dev; i++) {
        if (nm->dev[i].ifname[0] != '\0') /* its properties have come */
            cJSON_AddItemToArray(devices, device_json(&nm->dev[i]));
    }
    return o;
}

static const struct mamori_wifi_source_ops nm_ops = {
    .connections = nm_connections,
    .fd = nm_fd,
    .dispatch = nm_dispatch,
    .disconnect = nm_disconnect,
    .describe = nm_describe,
};

/* ---- life -------------------------------------------------------------- */

struct mamori_wifi_nm *mamori_wifi_nm_new(const char *address, mamori_wifi_nm_notify_fn notify,
                                          void *userdata, char *err, size_t errlen)
{
    struct mamori_wifi_nm *nm = calloc(1, sizeof(*nm));
    const char *env = getenv("DBUS_SYSTEM_BUS_ADDRESS");
    int r;

    if (nm == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    nm->base.ops = &nm_ops;
    nm->base.impl = nm;
    nm->notify = notify;
    nm->userdata = userdata;
    nm->state = MAMORI_WIFI_NM_CONNECTING;
    snprintf(nm->address, sizeof(nm->address), "%s",
             address         ? address
             : env && env[0] ? env
                             : DEFAULT_BUS);
    if ((r = sd_event_new(&nm->event)) < 0) {
        snprintf(err, errlen, "sd_event_new: %s", strerror(-r));
        free(nm);
        return NULL;
    }
    bus_open(nm); /* a bus that is not there is a state, not an error */
    pump(nm);
    return nm;
}

const struct mamori_wifi_source *mamori_wifi_nm_source(struct mamori_wifi_nm *nm)
{
    return &nm->base;
}

void mamori_wifi_nm_free(struct mamori_wifi_nm *nm)
{
    if (nm == NULL)
        return;
    bus_close(nm);
    sd_event_unref(nm->event);
    free(nm->dev);
    free(nm);
}
