/* net_iface.h -- facts about one network interface, and the policy's verdict on it.
 *
 * Both the live guard (net_guard.c, driven by rtnetlink) and the posture check
 * net.only_approved (collectors/, pure over a file-system root) judge
 * interfaces the same way, so the judgement lives here as pure functions over
 * a facts struct.  Facts come from sysfs below a root ("" = the live system):
 * MAC, driver, bus, wireless, and for a USB adapter its USB interface
 * directory (where "authorized" is written to cut it off).
 *
 * docs/network.md explains the rules per segment. */
#ifndef MAMORI_NET_IFACE_H
#define MAMORI_NET_IFACE_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "policy.h"
#include "wifi_map.h"

struct mamori_net_facts {
    char name[IF_NAMESIZE];
    int ifindex;     /* 0 when unknown (fixture trees) */
    char mac[18];    /* lowercase "aa:bb:cc:dd:ee:ff", "" when unknown */
    char driver[64]; /* basename of device/driver, "" when none */
    char bus[32];    /* "usb", "pci", "platform", ... or "virtual" (no device) */
    char kind[32];   /* rtnetlink link kind ("veth", "bridge"), "" when unknown */
    bool wireless;   /* has wireless/ or phy80211 in sysfs */
    bool loopback;
    char ssid[MAMORI_WIFI_SSID_TEXT_MAX]; /* joined SSID (wifi_map.h text) if known, else "" */
    char usb_interface[PATH_MAX];         /* sysfs dir of the USB interface, "" unless bus usb */
};

/* Why an interface, route or Wi-Fi connection is refused (MAMORI_NET_OK = allowed). */
enum mamori_net_reason {
    MAMORI_NET_OK,
    MAMORI_NET_NOT_LISTED,       /* matches no network.interfaces[] entry */
    MAMORI_NET_USB_ADAPTER,      /* USB network adapter while usb_network: refuse */
    MAMORI_NET_WIRELESS_REFUSED, /* wireless while Wi-Fi is not allowed (always on mynumber) */
    MAMORI_NET_DEFAULT_ROUTE,    /* default route through an interface not listed explicitly */
    MAMORI_NET_SSID_NOT_ALLOWED, /* joined SSID is not in wifi.allow_ssids */
    MAMORI_NET_WEAK_SECURITY,    /* joined network is weaker than wifi.min_security */
};

/* Fill facts for ifname from sysfs below sysfs_root ("" = live).  Fields
 * already set (mac, ifindex, kind from rtnetlink) are kept when sysfs has
 * nothing better.  Missing sysfs entries are not an error: a missing device
 * link means a virtual interface.  Returns 0, or -1 if ifname is unusable. */
int mamori_net_facts_read(const char *sysfs_root, const char *ifname,
                          struct mamori_net_facts *facts);

/* True when an explicit network.interfaces[] entry matches every one of its
 * non-NULL fields against the facts. */
bool mamori_net_listed(const struct mamori_policy *policy, const struct mamori_net_facts *facts);

/* May this interface be up at all? */
enum mamori_net_reason mamori_net_judge_interface(const struct mamori_policy *policy,
                                                  const struct mamori_net_facts *facts);

/* True when default routes are restricted: segment mynumber, or
 * internet_route: forbid. */
bool mamori_net_route_rule_applies(const struct mamori_policy *policy);

/* May a default route (0.0.0.0/0, ::/0) go through this interface? */
enum mamori_net_reason mamori_net_judge_default_route(const struct mamori_policy *policy,
                                                      const struct mamori_net_facts *facts);

/* May this Wi-Fi connection stay joined? */
enum mamori_net_reason mamori_net_judge_wifi(const struct mamori_policy *policy, const char *ssid,
                                             enum mamori_wifi_security security);

/* Stable machine code ("not_listed", ...) and one-line texts for a reason. */
const char *mamori_net_reason_code(enum mamori_net_reason reason);
const char *mamori_net_reason_ja(enum mamori_net_reason reason);
const char *mamori_net_reason_en(enum mamori_net_reason reason);

/* Facts as a JSON object for events and evidence (NULL on OOM). */
cJSON *mamori_net_facts_json(const struct mamori_net_facts *facts);

#endif /* MAMORI_NET_IFACE_H */
