/* wifi_source.h -- where the network guard learns which Wi-Fi networks are joined.
 *
 * The kernel here has no cfg80211, and desktops join Wi-Fi through
 * NetworkManager anyway, so the guard does not talk to nl80211 itself: it
 * asks a source behind this small vtable.  A source exposes one fd for the
 * agent's epoll loop; when it is readable, dispatch() refreshes the source's
 * view, then connections() lists what is joined now.  disconnect() asks the
 * source to leave the network on one interface.
 *
 * Sources: wifi_nm.c (NetworkManager over D-Bus, what the agent uses) and
 * wifi_fake.c (in memory, driven by tests and demos).  docs/network.md
 * explains how the NetworkManager source works and what is tested how. */
#ifndef MAMORI_WIFI_SOURCE_H
#define MAMORI_WIFI_SOURCE_H

#include <net/if.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "policy.h"
#include "wifi_map.h"

struct mamori_wifi_conn {
    char ifname[IF_NAMESIZE];
    char ssid[MAMORI_WIFI_SSID_TEXT_MAX]; /* the SSID as text (wifi_map.h) */
    enum mamori_wifi_security security;
};

struct mamori_wifi_source;

/* Every op gets the (const) source handle; mutable state lives behind impl. */

struct mamori_wifi_source_ops {
    /* Current connections into out[0..max); returns how many (or -1). */
    int (*connections)(const struct mamori_wifi_source *src, struct mamori_wifi_conn *out,
                       size_t max);
    /* fd that becomes readable when connections may have changed, or -1. */
    int (*fd)(const struct mamori_wifi_source *src);
    /* Consume readiness of fd; 0 or -1. */
    int (*dispatch)(const struct mamori_wifi_source *src);
    /* Leave the network joined on ifname; 0 or -1. */
    int (*disconnect)(const struct mamori_wifi_source *src, const char *ifname);
    /* What the source is and whether it can see anything now, for status and
     * check evidence: a new object with at least "source" and "state"
     * ("running" when joins are watched).  No secrets. */
    cJSON *(*describe)(const struct mamori_wifi_source *src);
};

/* describe() plus "connections": [{interface, ssid, security}] as seen now. */
cJSON *mamori_wifi_source_describe(const struct mamori_wifi_source *src);

struct mamori_wifi_source {
    const struct mamori_wifi_source_ops *ops;
    void *impl; /* the implementation's state */
};

/* ---- the fake source (tests, demos) ------------------------------------ */

#define MAMORI_WIFI_FAKE_MAX 8

struct mamori_wifi_fake {
    struct mamori_wifi_source base; /* what the guard is given (impl = this struct) */
    int eventfd;
    struct mamori_wifi_conn conns[MAMORI_WIFI_FAKE_MAX];
    size_t n_conns;
    char disconnected[MAMORI_WIFI_FAKE_MAX][IF_NAMESIZE]; /* what the guard asked to leave */
    size_t n_disconnected;
};

/* 0 or -1 (eventfd failed). */
int mamori_wifi_fake_init(struct mamori_wifi_fake *fake);
void mamori_wifi_fake_close(struct mamori_wifi_fake *fake);
/* Join ssid on ifname (replacing what ifname had) and make the fd readable. */
int mamori_wifi_fake_join(struct mamori_wifi_fake *fake, const char *ifname, const char *ssid,
                          enum mamori_wifi_security security);

#endif /* MAMORI_WIFI_SOURCE_H */
