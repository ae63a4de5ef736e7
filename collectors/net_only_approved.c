/* net_only_approved.c -- check net.only_approved: only approved networks are joined.
 *
 * Pure over a root: lists <root>/sys/class/net, judges each interface with
 * the same rules as the live guard (enforce/net_iface.c), and reads the
 * default routes from <root>/proc/net/route and ipv6_route.  It fails on an
 * unapproved interface that is up, a USB network adapter that is present
 * while refused, and a default route through an interface the segment's
 * route rule does not accept.  SSIDs are not visible in sysfs: saved
 * NetworkManager profiles are judged from their keyfiles, and in the agent
 * (ctx->wifi set) the networks joined now are judged through the live Wi-Fi
 * source, whose state is in the evidence (docs/network.md). */
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net/if.h>

#include "check.h"
#include "net_iface.h"
#include "net_proc_routes.h"
#include "wifi_nm_profile.h"
#include "wifi_source.h"

#define PROC_ROUTE_MAX (1024 * 1024)
#define NM_PROFILE_MAX (64 * 1024)
#define NM_PROFILE_DIR "/etc/NetworkManager/system-connections"

struct net_scan {
    const struct mamori_check_ctx *ctx;
    char sysfs_root[4096];
    cJSON *interfaces; /* evidence: every interface with its facts */
    cJSON *findings;   /* evidence: what fails */
};

/* IFF_UP from sysfs "flags" (hex), else operstate "up". */
static bool iface_up(const struct mamori_check_ctx *ctx, const char *name)
{
    char path[PATH_MAX], *data = NULL;
    size_t len;
    bool up = false;

    if (snprintf(path, sizeof(path), "/sys/class/net/%s/flags", name) < (int)sizeof(path) &&
        mamori_root_read(ctx, path, 64, &data, &len) == 0) {
        up = (strtoul(data, NULL, 16) & IFF_UP) != 0;
    } else if (snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", name) <
                   (int)sizeof(path) &&
               mamori_root_read(ctx, path, 64, &data, &len) == 0) {
        up = strncmp(data, "up", 2) == 0;
    }
    free(data);
    return up;
}

static void add_finding(struct net_scan *scan, const struct mamori_net_facts *facts,
                        enum mamori_net_reason reason)
{
    cJSON *f = mamori_net_facts_json(facts);

    if (f == NULL)
        return;
    cJSON_AddStringToObject(f, "reason", mamori_net_reason_code(reason));
    cJSON_AddItemToArray(scan->findings, f);
}

static void judge_interface(struct net_scan *scan, const char *name)
{
    struct mamori_net_facts facts = {0};
    enum mamori_net_reason reason;
    bool up;
    cJSON *o;

    if (mamori_net_facts_read(scan->sysfs_root, name, &facts) != 0)
        return;
    up = iface_up(scan->ctx, name);
    reason = mamori_net_judge_interface(scan->ctx->policy, &facts);
    o = mamori_net_facts_json(&facts);
    if (o != NULL) {
        cJSON_AddBoolToObject(o, "up", up);
        cJSON_AddBoolToObject(o, "approved", reason == MAMORI_NET_OK);
        cJSON_AddItemToArray(scan->interfaces, o);
    }
    /* A refused USB adapter fails even when down: it is still plugged in. */
    if (reason != MAMORI_NET_OK && (up || reason == MAMORI_NET_USB_ADAPTER))
        add_finding(scan, &facts, reason);
}

static int scan_interfaces(struct net_scan *scan)
{
    char dir[4200];
    struct dirent **names = NULL;
    int n;

    snprintf(dir, sizeof(dir), "%s/sys/class/net", scan->sysfs_root);
    n = scandir(dir, &names, NULL, alphasort);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.')
            judge_interface(scan, names[i]->d_name);
        free(names[i]);
    }
    free(names);
    return 0;
}

static void judge_route(struct net_scan *scan, const char *ifname, const char *family)
{
    struct mamori_net_facts facts = {0};
    enum mamori_net_reason reason;

    if (strcmp(ifname, "lo") == 0 || mamori_net_facts_read(scan->sysfs_root, ifname, &facts) != 0)
        return;
    reason = mamori_net_judge_default_route(scan->ctx->policy, &facts);
    if (reason == MAMORI_NET_OK)
        return;
    add_finding(scan, &facts, reason);
    cJSON_AddStringToObject(
        cJSON_GetArrayItem(scan->findings, cJSON_GetArraySize(scan->findings) - 1), "family",
        family);
}

struct route_visit {
    struct net_scan *scan;
    const char *family;
};

static void on_default_route(const char *ifname, void *arg)
{
    const struct route_visit *v = arg;

    judge_route(v->scan, ifname, v->family);
}

/* Default routes from <root>/proc/net/route (ipv6 false) or ipv6_route. */
static void scan_routes(struct net_scan *scan, bool ipv6)
{
    struct route_visit visit = {.scan = scan, .family = ipv6 ? "ipv6" : "ipv4"};
    char *data = NULL;
    size_t len;

    if (mamori_root_read(scan->ctx, ipv6 ? "/proc/net/ipv6_route" : "/proc/net/route",
                         PROC_ROUTE_MAX, &data, &len) != 0)
        return;
    mamori_net_proc_default_routes(data, len, ipv6, on_default_route, &visit);
    free(data);
}

/* One saved NetworkManager profile: a Wi-Fi network this PC joins by itself. */
static void judge_wifi_profile(struct net_scan *scan, const char *file)
{
    char path[512], *data = NULL;
    size_t len;
    struct mamori_wifi_profile prof;
    enum mamori_net_reason reason;
    cJSON *f;

    snprintf(path, sizeof(path), "%s/%s", NM_PROFILE_DIR, file);
    if (mamori_root_read(scan->ctx, path, NM_PROFILE_MAX, &data, &len) != 0)
        return;
    int parsed = mamori_wifi_profile_parse(data, len, &prof);
    free(data);
    if (!prof.is_wifi)
        return;
    reason = parsed != 0 ? MAMORI_NET_SSID_NOT_ALLOWED
                         : mamori_net_judge_wifi(scan->ctx->policy, prof.ssid, prof.security);
    if (reason == MAMORI_NET_OK || (f = cJSON_CreateObject()) == NULL)
        return;
    cJSON_AddStringToObject(f, "interface", "");
    cJSON_AddStringToObject(f, "profile", file);
    cJSON_AddStringToObject(f, "ssid", prof.ssid);
    cJSON_AddStringToObject(f, "security", mamori_wifi_security_name(prof.security));
    cJSON_AddStringToObject(f, "reason", mamori_net_reason_code(reason));
    cJSON_AddItemToArray(scan->findings, f);
}

/* The source's description, compact for a report: devices as a count. */
static cJSON *live_wifi_evidence(const struct mamori_wifi_source *src)
{
    cJSON *o = mamori_wifi_source_describe(src);
    cJSON *devices = cJSON_DetachItemFromObjectCaseSensitive(o, "devices");

    if (devices != NULL)
        cJSON_AddNumberToObject(o, "devices", cJSON_GetArraySize(devices));
    cJSON_Delete(devices);
    return o;
}

/* The networks joined now (agent only): a joined network the policy refuses
 * is a finding even if the guard is about to leave it (audit mode keeps it). */
static void scan_live_wifi(struct net_scan *scan)
{
    const struct mamori_wifi_source *src = scan->ctx->wifi;
    struct mamori_wifi_conn conns[8];
    int n;

    if (src == NULL)
        return;
    n = src->ops->connections(src, conns, 8);
    for (int i = 0; i < n; i++) {
        enum mamori_net_reason reason =
            mamori_net_judge_wifi(scan->ctx->policy, conns[i].ssid, conns[i].security);
        cJSON *f;

        if (reason == MAMORI_NET_OK || (f = cJSON_CreateObject()) == NULL)
            continue;
        cJSON_AddStringToObject(f, "interface", conns[i].ifname);
        cJSON_AddStringToObject(f, "ssid", conns[i].ssid);
        cJSON_AddStringToObject(f, "security", mamori_wifi_security_name(conns[i].security));
        cJSON_AddBoolToObject(f, "joined", true);
        cJSON_AddStringToObject(f, "reason", mamori_net_reason_code(reason));
        cJSON_AddItemToArray(scan->findings, f);
    }
}

/* True when the agent has a Wi-Fi source that cannot see joins now. */
static bool wifi_unwatched(const struct mamori_check_ctx *ctx, const cJSON *evidence)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(evidence, "wifi_source"), "state");

    return ctx->wifi != NULL && cJSON_IsString(st) && strcmp(st->valuestring, "running") != 0;
}

/* Saved Wi-Fi profiles (NetworkManager keyfiles); no directory = none saved. */
static void scan_wifi_profiles(struct net_scan *scan)
{
    char dir[4200];
    struct dirent **names = NULL;
    int n;

    snprintf(dir, sizeof(dir), "%s%s", scan->sysfs_root, NM_PROFILE_DIR);
    n = scandir(dir, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.')
            judge_wifi_profile(scan, names[i]->d_name);
        free(names[i]);
    }
    free(names);
}

static void run_net_only_approved(const struct mamori_check_ctx *ctx,
                                  struct mamori_check_result *result)
{
    struct net_scan scan = {.ctx = ctx};
    int n;

    snprintf(scan.sysfs_root, sizeof(scan.sysfs_root), "%s", ctx->root ? ctx->root : "");
    scan.interfaces = cJSON_AddArrayToObject(result->evidence, "interfaces");
    scan.findings = cJSON_AddArrayToObject(result->evidence, "findings");
    cJSON_AddStringToObject(result->evidence, "segment", mamori_segment_name(ctx->policy->segment));
    if (ctx->wifi != NULL) /* whether Wi-Fi joins can be seen, whatever the verdict */
        cJSON_AddItemToObject(result->evidence, "wifi_source", live_wifi_evidence(ctx->wifi));
    if (scan.interfaces == NULL || scan.findings == NULL) {
        mamori_check_set(result, MAMORI_ERROR, "メモリ不足", "out of memory");
        return;
    }
    if (scan_interfaces(&scan) != 0) {
        /* A tree without sysfs (a fixture for other checks) says nothing about
         * networks; an unreadable sysfs on a real tree is an error. */
        if (errno == ENOENT)
            mamori_check_set(result, MAMORI_NOT_APPLICABLE, "/sys/class/net がありません",
                             "no /sys/class/net below the root");
        else
            mamori_check_set(result, MAMORI_ERROR, "/sys/class/net を読めません: %s",
                             "cannot read /sys/class/net: %s", strerror(errno));
        return;
    }
    scan_routes(&scan, false);
    scan_routes(&scan, true);
    scan_wifi_profiles(&scan);
    scan_live_wifi(&scan);
    n = cJSON_GetArraySize(scan.findings);
    if (n == 0 && wifi_unwatched(ctx, result->evidence)) {
        mamori_check_set(result, MAMORI_PASS,
                         "承認されたネットワークのみ (%d 個のインターフェース、"
                         "NetworkManager がないため無線LANの接続は監視できていません)",
                         "only approved networks (%d interfaces; Wi-Fi joins are not watched: "
                         "no NetworkManager)",
                         cJSON_GetArraySize(scan.interfaces));
        return;
    }
    if (n == 0) {
        mamori_check_set(
            result, MAMORI_PASS, "承認されたネットワークのみ (%d 個のインターフェース)",
            "only approved networks (%d interfaces)", cJSON_GetArraySize(scan.interfaces));
        return;
    }
    const cJSON *first = cJSON_GetArrayItem(scan.findings, 0);
    const char *name = cJSON_GetObjectItem(first, "interface")->valuestring;
    if (name[0] == '\0' && cJSON_GetObjectItem(first, "profile") != NULL)
        name = cJSON_GetObjectItem(first, "profile")->valuestring;
    const char *code = cJSON_GetObjectItem(first, "reason")->valuestring;
    mamori_check_set(result, MAMORI_FAIL, "承認されていない接続が %d 件 (%s: %s)",
                     "%d unapproved connection(s) (%s: %s)", n, name, code);
}

const struct mamori_check mamori_check_net_only_approved = {
    .id = "net.only_approved",
    .run = run_net_only_approved,
};
