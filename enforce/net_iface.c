/* net_iface.c -- interface facts from sysfs and the policy's verdict on them.
 *
 * Shared by the live guard and the net.only_approved check so the two can
 * never disagree.  Everything here is pure over a sysfs root and a policy. */
#include "net_iface.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read the first line of root+path into buf (newline stripped).  0 or -1. */
static int read_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "re");

    if (f == NULL)
        return -1;
    if (fgets(buf, (int)size, f) == NULL) {
        fclose(f);
        return -1;
    }
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

/* Basename of the target of a symlink, into out ("" when absent). */
static void link_basename(const char *path, char *out, size_t size)
{
    char target[PATH_MAX];
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    const char *slash;

    out[0] = '\0';
    if (n <= 0)
        return;
    target[n] = '\0';
    slash = strrchr(target, '/');
    if (snprintf(out, size, "%s", slash ? slash + 1 : target) >= (int)size)
        out[0] = '\0'; /* a truncated name would be a wrong fact */
}

static void lowercase(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* A sysfs "address" is a MAC only when it has the aa:bb:cc:dd:ee:ff shape. */
static bool looks_like_mac(const char *s)
{
    if (strlen(s) != 17)
        return false;
    for (int i = 0; i < 17; i++) {
        if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

/* bus, driver and the USB interface directory from <dir>/device. */
static void read_device(const char *dir, struct mamori_net_facts *facts)
{
    char path[PATH_MAX + 32], real[PATH_MAX];

    if (snprintf(path, sizeof(path), "%s/device", dir) >= (int)sizeof(path) ||
        realpath(path, real) == NULL) {
        snprintf(facts->bus, sizeof(facts->bus), "virtual");
        return;
    }
    if (snprintf(path, sizeof(path), "%s/device/subsystem", dir) < (int)sizeof(path))
        link_basename(path, facts->bus, sizeof(facts->bus));
    if (facts->bus[0] == '\0')
        snprintf(facts->bus, sizeof(facts->bus), strstr(real, "/usb") ? "usb" : "unknown");
    if (snprintf(path, sizeof(path), "%s/device/driver", dir) < (int)sizeof(path))
        link_basename(path, facts->driver, sizeof(facts->driver));
    if (strcmp(facts->bus, "usb") == 0)
        snprintf(facts->usb_interface, sizeof(facts->usb_interface), "%s", real);
}

int mamori_net_facts_read(const char *sysfs_root, const char *ifname,
                          struct mamori_net_facts *facts)
{
    char dir[PATH_MAX], path[PATH_MAX + 16], mac[64];

    if (ifname == NULL || ifname[0] == '\0' || strlen(ifname) >= IF_NAMESIZE ||
        strchr(ifname, '/') != NULL || strcmp(ifname, ".") == 0 || strcmp(ifname, "..") == 0)
        return -1;
    snprintf(facts->name, sizeof(facts->name), "%s", ifname);
    facts->loopback = facts->loopback || strcmp(ifname, "lo") == 0;
    if (snprintf(dir, sizeof(dir), "%s/sys/class/net/%s", sysfs_root ? sysfs_root : "", ifname) >=
        (int)sizeof(dir))
        return -1;
    snprintf(path, sizeof(path), "%s/address", dir);
    if (read_line(path, mac, sizeof(mac)) == 0) {
        lowercase(mac);
        if (looks_like_mac(mac))
            memcpy(facts->mac, mac, sizeof(facts->mac)); /* 17 chars + NUL */
    }
    snprintf(path, sizeof(path), "%s/wireless", dir);
    facts->wireless = access(path, F_OK) == 0;
    snprintf(path, sizeof(path), "%s/phy80211", dir);
    facts->wireless = facts->wireless || access(path, F_OK) == 0;
    read_device(dir, facts);
    return 0;
}

static bool entry_matches(const struct mamori_net_interface *e, const struct mamori_net_facts *f)
{
    if (e->name == NULL && e->mac == NULL && e->driver == NULL)
        return false; /* an empty entry approves nothing (fail closed) */
    if (e->name != NULL && fnmatch(e->name, f->name, 0) != 0)
        return false;
    if (e->mac != NULL && strcasecmp(e->mac, f->mac) != 0)
        return false;
    if (e->driver != NULL && strcmp(e->driver, f->driver) != 0)
        return false;
    return true;
}

bool mamori_net_listed(const struct mamori_policy *policy, const struct mamori_net_facts *facts)
{
    for (size_t i = 0; i < policy->network.n_interfaces; i++) {
        if (entry_matches(&policy->network.interfaces[i], facts))
            return true;
    }
    return false;
}

static bool wifi_refused_outright(const struct mamori_policy *policy)
{
    return !policy->network.wifi_allowed || policy->segment == MAMORI_SEGMENT_MYNUMBER;
}

enum mamori_net_reason mamori_net_judge_interface(const struct mamori_policy *policy,
                                                  const struct mamori_net_facts *facts)
{
    if (facts->loopback)
        return MAMORI_NET_OK;
    if (strcmp(facts->bus, "usb") == 0 && !policy->network.usb_network_allowed)
        return MAMORI_NET_USB_ADAPTER;
    if (facts->wireless && wifi_refused_outright(policy))
        return MAMORI_NET_WIRELESS_REFUSED;
    if (policy->network.n_interfaces > 0)
        return mamori_net_listed(policy, facts) ? MAMORI_NET_OK : MAMORI_NET_NOT_LISTED;
    /* No list: on mynumber only physical (non-virtual) interfaces; elsewhere any. */
    if (policy->segment == MAMORI_SEGMENT_MYNUMBER && strcmp(facts->bus, "virtual") == 0)
        return MAMORI_NET_NOT_LISTED;
    return MAMORI_NET_OK;
}

bool mamori_net_route_rule_applies(const struct mamori_policy *policy)
{
    return policy->segment == MAMORI_SEGMENT_MYNUMBER || !policy->network.internet_route_allowed;
}

enum mamori_net_reason mamori_net_judge_default_route(const struct mamori_policy *policy,
                                                      const struct mamori_net_facts *facts)
{
    if (!mamori_net_route_rule_applies(policy) || facts->loopback)
        return MAMORI_NET_OK;
    if (mamori_net_judge_interface(policy, facts) != MAMORI_NET_OK)
        return MAMORI_NET_DEFAULT_ROUTE;
    /* Without a list, a default route may only leave through a physical
     * interface: a tunnel or veth carrying it is a way around the segment. */
    if (policy->network.n_interfaces == 0 && strcmp(facts->bus, "virtual") == 0)
        return MAMORI_NET_DEFAULT_ROUTE;
    return MAMORI_NET_OK;
}

enum mamori_net_reason mamori_net_judge_wifi(const struct mamori_policy *policy, const char *ssid,
                                             enum mamori_wifi_security security)
{
    bool listed = false;

    if (wifi_refused_outright(policy))
        return MAMORI_NET_WIRELESS_REFUSED;
    for (size_t i = 0; ssid != NULL && i < policy->network.n_allow_ssids; i++)
        listed = listed || strcmp(policy->network.allow_ssids[i], ssid) == 0;
    if (!listed)
        return MAMORI_NET_SSID_NOT_ALLOWED;
    if (security < policy->network.min_security)
        return MAMORI_NET_WEAK_SECURITY;
    return MAMORI_NET_OK;
}

static const struct {
    const char *code, *ja, *en;
} reasons[] = {
    [MAMORI_NET_OK] = {"ok", "許可されたインターフェース", "approved interface"},
    [MAMORI_NET_NOT_LISTED] = {"not_listed", "承認されていないネットワークインターフェース",
                               "network interface not approved"},
    [MAMORI_NET_USB_ADAPTER] = {"usb_adapter", "USBネットワークアダプタ(テザリング)は禁止",
                                "USB network adapters (tethering) are refused"},
    [MAMORI_NET_WIRELESS_REFUSED] = {"wireless_refused", "無線LANは禁止",
                                     "wireless networking is refused"},
    [MAMORI_NET_DEFAULT_ROUTE] = {"default_route", "承認されていない経路のデフォルトルート",
                                  "default route through an unapproved interface"},
    [MAMORI_NET_SSID_NOT_ALLOWED] = {"ssid_not_allowed", "許可されていないSSID",
                                     "SSID not on the allow list"},
    [MAMORI_NET_WEAK_SECURITY] = {"weak_security", "無線LANの暗号化方式が基準未満",
                                  "Wi-Fi security below the required minimum"},
};

const char *mamori_net_reason_code(enum mamori_net_reason reason)
{
    return (unsigned)reason <= MAMORI_NET_WEAK_SECURITY ? reasons[reason].code : "unknown";
}

const char *mamori_net_reason_ja(enum mamori_net_reason reason)
{
    return (unsigned)reason <= MAMORI_NET_WEAK_SECURITY ? reasons[reason].ja : "不明";
}

const char *mamori_net_reason_en(enum mamori_net_reason reason)
{
    return (unsigned)reason <= MAMORI_NET_WEAK_SECURITY ? reasons[reason].en : "unknown";
}

cJSON *mamori_net_facts_json(const struct mamori_net_facts *facts)
{
    cJSON *o = cJSON_CreateObject();

    if (o == NULL)
        return NULL;
    if (cJSON_AddStringToObject(o, "interface", facts->name) == NULL ||
        cJSON_AddStringToObject(o, "mac", facts->mac) == NULL ||
        cJSON_AddStringToObject(o, "driver", facts->driver) == NULL ||
        cJSON_AddStringToObject(o, "bus", facts->bus) == NULL ||
        cJSON_AddBoolToObject(o, "wireless", facts->wireless) == NULL ||
        (facts->kind[0] && cJSON_AddStringToObject(o, "kind", facts->kind) == NULL) ||
        (facts->ssid[0] && cJSON_AddStringToObject(o, "ssid", facts->ssid) == NULL)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}
