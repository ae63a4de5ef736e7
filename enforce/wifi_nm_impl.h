/* wifi_nm_impl.h -- what wifi_nm.c (the bus, NetworkManager coming and going,
 * the source's operations) and wifi_nm_device.c (the device cache and the
 * calls that find a device's Wi-Fi network) share.  Not for other files:
 * wifi_nm.h is the interface. */
#ifndef MAMORI_WIFI_NM_IMPL_H
#define MAMORI_WIFI_NM_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "wifi_map.h"
#include "wifi_nm.h"

#define NM_SERVICE       "org.freedesktop.NetworkManager"
#define NM_PATH          "/org/freedesktop/NetworkManager"
#define NM_IFACE         "org.freedesktop.NetworkManager"
#define NM_DEVICE        NM_IFACE ".Device"
#define NM_WIRELESS      NM_IFACE ".Device.Wireless"
#define NM_AP            NM_IFACE ".AccessPoint"
#define NM_ACTIVE        NM_IFACE ".Connection.Active"
#define NM_SETTINGS_CONN NM_IFACE ".Settings.Connection"
#define DBUS_PROPS       "org.freedesktop.DBus.Properties"
#define NM_TYPE_WIFI     2u
#define NM_STATE_CONFIG  50u  /* associating: the network is being joined */
#define NM_STATE_ACTIVE  100u /* joined */
#define NM_PATH_MAX      128
#define DEVICES_MAX      1024 /* more are not watched */
#define CHAIN_RETRIES    2

struct nm_device {
    char path[NM_PATH_MAX];
    char ifname[IF_NAMESIZE];
    uint32_t type, state;
    int32_t ifindex;
    char active[NM_PATH_MAX]; /* ActiveConnection object, "/" when none */
    char ssid[MAMORI_WIFI_SSID_TEXT_MAX];
    enum mamori_wifi_security security;
    bool resolved;   /* ssid/security known for this activation */
    unsigned gen;    /* the chain in flight; older replies are dropped */
    unsigned failed; /* chains that failed in a row */
};

struct mamori_wifi_nm {
    struct mamori_wifi_source base;
    sd_event *event;
    sd_bus *bus;
    char address[512];
    enum mamori_wifi_nm_state state;
    char detail[256];
    char version[32];
    struct nm_device *dev;
    size_t n_dev, cap_dev;
    unsigned next_gen;
    bool bus_lost; /* the bus closed: reopen after the current dispatch */
    mamori_wifi_nm_notify_fn notify;
    void *userdata;
};

/* What an asynchronous call needs when its reply comes: whose chain it is. */
struct nm_call {
    struct mamori_wifi_nm *nm;
    char device[NM_PATH_MAX];
    unsigned gen;
};

/* ---- wifi_nm.c ---------------------------------------------------------- */

/* Asynchronous calls to NetworkManager; cb gets a struct nm_call (for
 * device/gen), freed with the call's slot whether or not a reply came. */
int mamori_wifi_nm_call(struct mamori_wifi_nm *nm, const char *object, const char *iface,
                        const char *member, sd_bus_message_handler_t cb, const char *device,
                        unsigned gen, const char *types, ...);
int mamori_wifi_nm_get(struct mamori_wifi_nm *nm, const char *object, const char *iface,
                       const char *name, sd_bus_message_handler_t cb, const char *device,
                       unsigned gen);
int mamori_wifi_nm_get_all(struct mamori_wifi_nm *nm, const char *object, const char *iface,
                           sd_bus_message_handler_t cb, const char *device, unsigned gen);

static inline bool mamori_wifi_nm_running(const struct mamori_wifi_nm *nm)
{
    return nm->state == MAMORI_WIFI_NM_RUNNING;
}

/* ---- wifi_nm_device.c --------------------------------------------------- */

/* A Wi-Fi device associating or joined (CONFIG .. ACTIVATED). */
bool mamori_wifi_nm_joining(const struct nm_device *d);
/* Its interface is the one of that name in our network namespace. */
bool mamori_wifi_nm_local(const struct nm_device *d);
/* (Re)start the chain of the device at path (added to the cache if new). */
void mamori_wifi_nm_refresh(struct mamori_wifi_nm *nm, const char *path);

/* Signal handlers (userdata = the struct mamori_wifi_nm). */
int mamori_wifi_nm_on_device_added(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);
int mamori_wifi_nm_on_device_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);
int mamori_wifi_nm_on_device_state(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);
int mamori_wifi_nm_on_device_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

#endif /* MAMORI_WIFI_NM_IMPL_H */
