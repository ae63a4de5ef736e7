/* wifi_nm.h -- the NetworkManager Wi-Fi source: which Wi-Fi networks this PC
 * is joining or has joined, seen through NetworkManager's D-Bus API.
 *
 * Talks sd-bus (libsystemd), not libnm: the resident agent has a 4 MiB
 * memory budget that GLib alone would use up.  Everything is asynchronous on
 * one sd-event loop whose epoll fd is the source's fd, so the agent's loop
 * wakes only when NetworkManager says something (no polling, no threads).
 *
 * NetworkManager need not be there: without a system bus, or with no
 * NetworkManager on it, the source runs "empty" and says why (state and
 * notify callback), and picks NetworkManager up when the bus socket appears
 * (inotify, through sd-bus) or the name gets an owner (NameOwnerChanged).
 * Devices in another network namespace than the caller's are never listed
 * or disconnected.  docs/network.md has the details and what is tested how. */
#ifndef MAMORI_WIFI_NM_H
#define MAMORI_WIFI_NM_H

#include <stddef.h>

#include "wifi_source.h"

enum mamori_wifi_nm_state {
    MAMORI_WIFI_NM_NO_BUS,     /* no system bus to talk to (waiting for its socket) */
    MAMORI_WIFI_NM_CONNECTING, /* the bus socket is there, the answer is not yet */
    MAMORI_WIFI_NM_ABSENT,     /* on the bus, but NetworkManager is not */
    MAMORI_WIFI_NM_RUNNING,    /* NetworkManager answers: joins are watched */
};

/* Called on every change of state except into CONNECTING (a passing state),
 * including once from mamori_wifi_nm_new() when there is no bus at all.
 * detail is English, for logs (e.g. "NetworkManager 1.42.4"). */
typedef void (*mamori_wifi_nm_notify_fn)(void *userdata, enum mamori_wifi_nm_state state,
                                         const char *detail);

struct mamori_wifi_nm;

/* address: a D-Bus address; NULL = $DBUS_SYSTEM_BUS_ADDRESS, else the
 * standard system bus socket.  notify may be NULL.  NULL + err only when the
 * event loop cannot be made (out of memory, out of descriptors): a missing
 * bus or NetworkManager is not an error. */
struct mamori_wifi_nm *mamori_wifi_nm_new(const char *address, mamori_wifi_nm_notify_fn notify,
                                          void *userdata, char *err, size_t errlen);

/* The source for the network guard (borrowed from nm). */
const struct mamori_wifi_source *mamori_wifi_nm_source(struct mamori_wifi_nm *nm);

enum mamori_wifi_nm_state mamori_wifi_nm_state(const struct mamori_wifi_nm *nm);
/* "no_bus", "connecting", "absent", "running" (status JSON). */
const char *mamori_wifi_nm_state_name(enum mamori_wifi_nm_state state);

void mamori_wifi_nm_free(struct mamori_wifi_nm *nm);

#endif /* MAMORI_WIFI_NM_H */
