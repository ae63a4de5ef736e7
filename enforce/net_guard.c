/* net_guard.c -- refuse network interfaces, routes and Wi-Fi the policy does not approve.
 *
 * Two rtnetlink sockets: one subscribed to link and route multicast groups
 * (events), one for requests (queries, setting a link down), so a request's
 * acknowledgement never interleaves with the event stream.  An epoll fd
 * wraps the event socket and the Wi-Fi source so the agent watches one fd.
 * Judgement is in net_iface.c; this file only gathers facts, acts, and
 * reports. */
#include "net_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "net_iface.h"

#define RECENT_MAX 16
#define MARKS_MAX  64
#define WIFI_MAX   8

struct mamori_net_guard {
    const struct mamori_policy *policy;
    struct mamori_event_sink sink;
    const struct mamori_wifi_source *wifi;
    struct nl_sock *events;
    struct nl_sock *requests;
    int epfd;
    char sysfs_root[PATH_MAX];
    unsigned long refused, would_refuse, errors;
    int acted; /* refusals during the current dispatch or sweep */
    bool sweeping;
    /* Links refused (or reported, in audit mode) while up, until the kernel
     * reports them down.  Events are ordered, so an "up" seen for a marked
     * link was queued before our own "down": stale, and not a new refusal. */
    int marked[MARKS_MAX];
    size_t n_marked;
    /* Wi-Fi connections refused (or reported) and still listed by the source.
     * A real source keeps listing a network until it has left it and may
     * wake the guard many times meanwhile: one event per join, not per wake. */
    struct mamori_wifi_conn wifi_judged[WIFI_MAX];
    size_t n_wifi_judged;
    cJSON *recent; /* array of the last RECENT_MAX events (copies) */
};

/* ---- marks ------------------------------------------------------------- */

static bool is_marked(const struct mamori_net_guard *g, int ifindex)
{
    for (size_t i = 0; i < g->n_marked; i++) {
        if (g->marked[i] == ifindex)
            return true;
    }
    return false;
}

static void mark(struct mamori_net_guard *g, int ifindex)
{
    if (!is_marked(g, ifindex) && g->n_marked < MARKS_MAX)
        g->marked[g->n_marked++] = ifindex; /* when full: only duplicate events, no harm */
}

static void unmark(struct mamori_net_guard *g, int ifindex)
{
    for (size_t i = 0; i < g->n_marked; i++) {
        if (g->marked[i] == ifindex) {
            g->marked[i] = g->marked[--g->n_marked];
            return;
        }
    }
}

/* ---- reporting --------------------------------------------------------- */

static void remember(struct mamori_net_guard *g, const cJSON *event)
{
    cJSON *copy = cJSON_Duplicate(event, 1);

    if (copy == NULL)
        return;
    cJSON_AddItemToArray(g->recent, copy);
    if (cJSON_GetArraySize(g->recent) > RECENT_MAX)
        cJSON_DeleteItemFromArray(g->recent, 0);
}

/* Emit one event with the interface facts, the reason and what was done. */
static void report(struct mamori_net_guard *g, const char *type, const char *severity,
                   const struct mamori_net_facts *facts, enum mamori_net_reason reason,
                   cJSON *actions)
{
    char ja[256], en[256];
    cJSON *ev, *facts_json;

    snprintf(ja, sizeof(ja), "ネットワーク %s: %s", facts->name, mamori_net_reason_ja(reason));
    snprintf(en, sizeof(en), "network %s: %s", facts->name, mamori_net_reason_en(reason));
    ev = mamori_event_new(type, severity, time(NULL), ja, en);
    facts_json = ev ? mamori_event_facts(ev) : NULL;
    if (facts_json == NULL) {
        cJSON_Delete(ev);
        cJSON_Delete(actions);
        return;
    }
    cJSON *f = mamori_net_facts_json(facts);
    for (cJSON *it = f ? f->child : NULL; it != NULL; it = it->next)
        cJSON_AddItemToObject(facts_json, it->string, cJSON_Duplicate(it, 1));
    cJSON_Delete(f);
    cJSON_AddStringToObject(facts_json, "reason", mamori_net_reason_code(reason));
    cJSON_AddStringToObject(facts_json, "segment", mamori_segment_name(g->policy->segment));
    if (actions != NULL)
        cJSON_AddItemToObject(facts_json, "actions", actions);
    remember(g, ev);
    mamori_event_emit(&g->sink, ev);
}

static void report_error(struct mamori_net_guard *g, const char *what, int nlerr)
{
    char ja[256], en[256];
    cJSON *ev;

    g->errors++;
    snprintf(ja, sizeof(ja), "ネットワーク監視のエラー: %s (%s)", what, nl_geterror(nlerr));
    snprintf(en, sizeof(en), "network guard error: %s (%s)", what, nl_geterror(nlerr));
    ev = mamori_event_new(MAMORI_EV_NET_ERROR, "error", time(NULL), ja, en);
    if (ev != NULL)
        remember(g, ev);
    mamori_event_emit(&g->sink, ev);
}

/* ---- acting ------------------------------------------------------------ */

static int set_link_down(struct mamori_net_guard *g, int ifindex)
{
    struct rtnl_link *orig = rtnl_link_alloc(), *change = rtnl_link_alloc();
    int rc = -NLE_NOMEM;

    if (orig != NULL && change != NULL) {
        rtnl_link_set_ifindex(orig, ifindex);
        rtnl_link_unset_flags(change, IFF_UP);
        rc = rtnl_link_change(g->requests, orig, change, 0);
    }
    rtnl_link_put(orig);
    rtnl_link_put(change);
    return rc;
}

/* "0" already in <usb_interface>/authorized? */
static bool usb_deauthorized(const char *usb_interface)
{
    char path[PATH_MAX + 16], buf[8] = "";
    FILE *f;

    snprintf(path, sizeof(path), "%s/authorized", usb_interface);
    f = fopen(path, "re");
    if (f == NULL)
        return false;
    if (fgets(buf, sizeof(buf), f) == NULL)
        buf[0] = '\0';
    fclose(f);
    return buf[0] == '0';
}

/* Cut a USB network adapter off at the USB interface: the kernel unbinds
 * its driver, and the interface cannot come back without re-authorization. */
static int usb_deauthorize(const char *usb_interface)
{
    char path[PATH_MAX + 16];
    int fd, ok;

    snprintf(path, sizeof(path), "%s/authorized", usb_interface);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ok = write(fd, "0", 1) == 1;
    return close(fd) == 0 && ok ? 0 : -1;
}

/* Refuse: in audit mode only record; in enforce mode set the link down (if
 * up) and deauthorize a USB adapter.  Each attempt is in the event.  True
 * when the refusal is complete (or recorded, in audit mode). */
static bool refuse(struct mamori_net_guard *g, const struct mamori_net_facts *facts, bool up,
                   enum mamori_net_reason reason)
{
    cJSON *actions;
    bool failed = false;

    g->acted++;
    if (g->policy->network.mode == MAMORI_MODE_AUDIT) {
        g->would_refuse++;
        report(g, MAMORI_EV_NET_WOULD_REFUSE, "info", facts, reason, NULL);
        return true;
    }
    actions = cJSON_CreateObject();
    if (up && facts->ifindex > 0) {
        int rc = set_link_down(g, facts->ifindex);
        cJSON_AddStringToObject(actions, "link_down", rc == 0 ? "done" : nl_geterror(rc));
        failed = rc != 0;
    }
    if (facts->usb_interface[0] != '\0') {
        bool ok = usb_deauthorize(facts->usb_interface) == 0;
        cJSON_AddStringToObject(actions, "usb_deauthorize", ok ? "done" : strerror(errno));
        failed = failed || !ok;
    }
    if (failed)
        g->errors++;
    else
        g->refused++;
    report(g, failed ? MAMORI_EV_NET_ERROR : MAMORI_EV_NET_REFUSED, failed ? "error" : "warning",
           facts, reason, actions);
    return !failed;
}

/* ---- judging ----------------------------------------------------------- */

/* The SSID joined on ifname, if the Wi-Fi source knows one. */
static void lookup_ssid(struct mamori_net_guard *g, struct mamori_net_facts *facts)
{
    struct mamori_wifi_conn conns[8];
    int n;

    if (g->wifi == NULL)
        return;
    n = g->wifi->ops->connections(g->wifi, conns, 8);
    for (int i = 0; i < n; i++) {
        if (strcmp(conns[i].ifname, facts->name) == 0) {
            snprintf(facts->ssid, sizeof(facts->ssid), "%s", conns[i].ssid);
            facts->wireless = true;
        }
    }
}

static int facts_from_link(struct mamori_net_guard *g, struct rtnl_link *link,
                           struct mamori_net_facts *facts)
{
    struct nl_addr *addr = rtnl_link_get_addr(link);
    const char *name = rtnl_link_get_name(link), *kind = rtnl_link_get_type(link);

    memset(facts, 0, sizeof(*facts));
    facts->ifindex = rtnl_link_get_ifindex(link);
    facts->loopback = (rtnl_link_get_flags(link) & IFF_LOOPBACK) != 0;
    if (addr != NULL && rtnl_link_get_arptype(link) == ARPHRD_ETHER)
        nl_addr2str(addr, facts->mac, sizeof(facts->mac));
    if (kind != NULL)
        snprintf(facts->kind, sizeof(facts->kind), "%s", kind);
    if (name == NULL || mamori_net_facts_read(g->sysfs_root, name, facts) != 0)
        return -1;
    lookup_ssid(g, facts);
    return 0;
}

static void judge_link(struct mamori_net_guard *g, struct rtnl_link *link)
{
    struct mamori_net_facts facts;
    bool up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
    int ifindex = rtnl_link_get_ifindex(link);
    enum mamori_net_reason reason;

    if (!up)
        unmark(g, ifindex);
    else if (!g->sweeping && is_marked(g, ifindex))
        return;
    if (facts_from_link(g, link, &facts) != 0)
        return;
    reason = mamori_net_judge_interface(g->policy, &facts);
    if (reason == MAMORI_NET_OK)
        return;
    /* A down link needs action only while its USB adapter is still authorized. */
    if (!up && (facts.usb_interface[0] == '\0' || usb_deauthorized(facts.usb_interface)))
        return;
    if (refuse(g, &facts, up, reason) && up)
        mark(g, ifindex);
}

static bool is_default_route(struct rtnl_route *route)
{
    struct nl_addr *dst = rtnl_route_get_dst(route);

    return rtnl_route_get_type(route) == RTN_UNICAST &&
           rtnl_route_get_table(route) != RT_TABLE_LOCAL &&
           (dst == NULL || nl_addr_get_prefixlen(dst) == 0);
}

static void judge_route_nexthop(struct mamori_net_guard *g, int ifindex)
{
    struct rtnl_link *link = NULL;
    struct mamori_net_facts facts;

    if (rtnl_link_get_kernel(g->requests, ifindex, NULL, &link) < 0)
        return; /* the link vanished already */
    if (facts_from_link(g, link, &facts) == 0) {
        enum mamori_net_reason reason = mamori_net_judge_default_route(g->policy, &facts);
        bool up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
        if (reason != MAMORI_NET_OK && refuse(g, &facts, up, reason) && up)
            mark(g, ifindex);
    }
    rtnl_link_put(link);
}

static void judge_route(struct mamori_net_guard *g, struct rtnl_route *route)
{
    int n;

    if (!mamori_net_route_rule_applies(g->policy) || !is_default_route(route))
        return;
    n = rtnl_route_get_nnexthops(route);
    for (int i = 0; i < n; i++) {
        struct rtnl_nexthop *nh = rtnl_route_nexthop_n(route, i);
        if (nh != NULL && rtnl_route_nh_get_ifindex(nh) > 0)
            judge_route_nexthop(g, rtnl_route_nh_get_ifindex(nh));
    }
}

static bool same_conn(const struct mamori_wifi_conn *a, const struct mamori_wifi_conn *b)
{
    return strcmp(a->ifname, b->ifname) == 0 && strcmp(a->ssid, b->ssid) == 0 &&
           a->security == b->security;
}

static bool wifi_already_judged(const struct mamori_net_guard *g,
                                const struct mamori_wifi_conn *conn)
{
    for (size_t i = 0; i < g->n_wifi_judged; i++) {
        if (same_conn(&g->wifi_judged[i], conn))
            return true;
    }
    return false;
}

/* Refuse one joined network: report it, and leave it in enforce mode. */
static void refuse_wifi(struct mamori_net_guard *g, const struct mamori_wifi_conn *conn,
                        enum mamori_net_reason reason)
{
    struct mamori_net_facts facts;

    memset(&facts, 0, sizeof(facts));
    if (mamori_net_facts_read(g->sysfs_root, conn->ifname, &facts) != 0)
        return;
    facts.wireless = true;
    snprintf(facts.ssid, sizeof(facts.ssid), "%s", conn->ssid);
    g->acted++;
    if (g->policy->network.mode == MAMORI_MODE_AUDIT) {
        g->would_refuse++;
        report(g, MAMORI_EV_NET_WOULD_REFUSE, "info", &facts, reason, NULL);
        return;
    }
    bool ok = g->wifi->ops->disconnect(g->wifi, conn->ifname) == 0;
    cJSON *actions = cJSON_CreateObject();
    cJSON_AddStringToObject(actions, "wifi_disconnect", ok ? "done" : "failed");
    ok ? g->refused++ : g->errors++;
    report(g, ok ? MAMORI_EV_NET_REFUSED : MAMORI_EV_NET_ERROR, ok ? "warning" : "error", &facts,
           reason, actions);
}

/* Judge the joined networks.  afresh (sweep, policy change): every one;
 * otherwise only those not already refused while they stay listed. */
static void judge_wifi(struct mamori_net_guard *g, bool afresh)
{
    struct mamori_wifi_conn conns[WIFI_MAX];
    int n = g->wifi->ops->connections(g->wifi, conns, WIFI_MAX);
    size_t judged = 0;

    for (int i = 0; i < n; i++) {
        enum mamori_net_reason reason =
            mamori_net_judge_wifi(g->policy, conns[i].ssid, conns[i].security);
        if (reason == MAMORI_NET_OK)
            continue;
        if (afresh || !wifi_already_judged(g, &conns[i]))
            refuse_wifi(g, &conns[i], reason);
        conns[judged++] = conns[i];
    }
    memcpy(g->wifi_judged, conns, judged * sizeof(conns[0]));
    g->n_wifi_judged = judged;
}

/* ---- rtnetlink plumbing ------------------------------------------------ */

static void on_link_object(struct nl_object *obj, void *arg)
{
    judge_link(arg, (struct rtnl_link *)obj);
}

static void on_deleted_link(struct nl_object *obj, void *arg)
{
    unmark(arg, rtnl_link_get_ifindex((struct rtnl_link *)obj));
}

static void on_route_object(struct nl_object *obj, void *arg)
{
    judge_route(arg, (struct rtnl_route *)obj);
}

static int on_event(struct nl_msg *msg, void *arg)
{
    switch (nlmsg_hdr(msg)->nlmsg_type) {
    case RTM_NEWLINK:
        nl_msg_parse(msg, on_link_object, arg);
        break;
    case RTM_DELLINK:
        nl_msg_parse(msg, on_deleted_link, arg);
        break;
    case RTM_NEWROUTE:
        nl_msg_parse(msg, on_route_object, arg);
        break;
    default:
        break;
    }
    return NL_OK;
}

static int open_sockets(struct mamori_net_guard *g, char *err, size_t errlen)
{
    int rc;

    g->events = nl_socket_alloc();
    g->requests = nl_socket_alloc();
    if (g->events == NULL || g->requests == NULL) {
        snprintf(err, errlen, "netlink: out of memory");
        return -1;
    }
    nl_socket_disable_seq_check(g->events);
    nl_socket_modify_cb(g->events, NL_CB_VALID, NL_CB_CUSTOM, on_event, g);
    if ((rc = nl_connect(g->events, NETLINK_ROUTE)) < 0 ||
        (rc = nl_connect(g->requests, NETLINK_ROUTE)) < 0 ||
        (rc = nl_socket_add_memberships(g->events, RTNLGRP_LINK, RTNLGRP_IPV4_ROUTE,
                                        RTNLGRP_IPV6_ROUTE, 0)) < 0 ||
        (rc = nl_socket_set_nonblocking(g->events)) < 0) {
        snprintf(err, errlen, "rtnetlink: %s", nl_geterror(rc));
        return -1;
    }
    /* Flaps arrive in bursts; a larger buffer makes overflow (and a re-sweep) rarer. */
    nl_socket_set_buffer_size(g->events, 1 << 20, 0);
    return 0;
}

static int watch(struct mamori_net_guard *g, int fd, char *err, size_t errlen)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

    if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
        return -1;
    }
    return 0;
}

struct mamori_net_guard *mamori_net_guard_new(const struct mamori_policy *policy,
                                              const struct mamori_event_sink *sink,
                                              const struct mamori_wifi_source *wifi, char *err,
                                              size_t errlen)
{
    struct mamori_net_guard *g = calloc(1, sizeof(*g));

    if (g == NULL || policy == NULL) {
        snprintf(err, errlen, g ? "no policy" : "out of memory");
        free(g);
        return NULL;
    }
    g->policy = policy;
    if (sink != NULL)
        g->sink = *sink;
    g->wifi = wifi;
    g->epfd = epoll_create1(EPOLL_CLOEXEC);
    g->recent = cJSON_CreateArray();
    if (g->epfd < 0 || g->recent == NULL) {
        snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
        mamori_net_guard_free(g);
        return NULL;
    }
    if (open_sockets(g, err, errlen) != 0 ||
        watch(g, nl_socket_get_fd(g->events), err, errlen) != 0 ||
        (wifi != NULL && wifi->ops->fd(wifi) >= 0 && watch(g, wifi->ops->fd(wifi), err, errlen))) {
        mamori_net_guard_free(g);
        return NULL;
    }
    return g;
}

void mamori_net_guard_set_sysfs_root(struct mamori_net_guard *g, const char *root)
{
    snprintf(g->sysfs_root, sizeof(g->sysfs_root), "%s", root ? root : "");
}

int mamori_net_guard_fd(const struct mamori_net_guard *g)
{
    return g->epfd;
}

static int sweep_cache(struct mamori_net_guard *g, int family, bool links)
{
    struct nl_cache *cache = NULL;
    int rc = links ? rtnl_link_alloc_cache(g->requests, family, &cache)
                   : rtnl_route_alloc_cache(g->requests, family, 0, &cache);

    if (rc < 0) {
        report_error(g, links ? "listing links" : "listing routes", rc);
        return -1;
    }
    nl_cache_foreach(cache, links ? on_link_object : on_route_object, g);
    nl_cache_free(cache);
    return 0;
}

int mamori_net_guard_sweep(struct mamori_net_guard *g)
{
    int rc = 0;
    g->acted = 0;
    g->sweeping = true;
    if (sweep_cache(g, AF_UNSPEC, true) != 0)
        rc = -1;
    if (mamori_net_route_rule_applies(g->policy) &&
        (sweep_cache(g, AF_INET, false) != 0 || sweep_cache(g, AF_INET6, false) != 0))
        rc = -1;
    g->sweeping = false;
    if (g->wifi != NULL)
        judge_wifi(g, true);
    return rc < 0 ? -1 : g->acted;
}

static int drain_netlink(struct mamori_net_guard *g)
{
    int rc;

    while ((rc = nl_recvmsgs_default(g->events)) > 0)
        ;
    if (rc == 0 || rc == -NLE_AGAIN)
        return 0;
    if (rc == -NLE_NOMEM) { /* ENOBUFS: events were lost, look at everything again */
        int acted = g->acted;
        int swept = mamori_net_guard_sweep(g);
        g->acted += acted;
        return swept < 0 ? -1 : 0;
    }
    report_error(g, "receiving rtnetlink events", rc);
    return -1;
}

int mamori_net_guard_dispatch(struct mamori_net_guard *g)
{
    struct epoll_event evs[2];
    int n = epoll_wait(g->epfd, evs, 2, 0), rc = 0;

    g->acted = 0;
    for (int i = 0; i < n; i++) {
        if (evs[i].data.fd == nl_socket_get_fd(g->events)) {
            rc |= drain_netlink(g);
        } else if (g->wifi != NULL) {
            rc |= g->wifi->ops->dispatch(g->wifi);
            judge_wifi(g, false);
        }
    }
    return n < 0 || rc != 0 ? -1 : g->acted;
}

void mamori_net_guard_set_policy(struct mamori_net_guard *g, const struct mamori_policy *policy)
{
    if (policy == NULL)
        return; /* keep the last good policy */
    g->policy = policy;
    mamori_net_guard_sweep(g);
}

cJSON *mamori_net_guard_state(const struct mamori_net_guard *g)
{
    cJSON *o = cJSON_CreateObject();

    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "mode", mamori_mode_name(g->policy->network.mode));
    cJSON_AddStringToObject(o, "segment", mamori_segment_name(g->policy->segment));
    cJSON_AddNumberToObject(o, "refused", (double)g->refused);
    cJSON_AddNumberToObject(o, "would_refuse", (double)g->would_refuse);
    cJSON_AddNumberToObject(o, "errors", (double)g->errors);
    cJSON_AddItemToObject(o, "recent", cJSON_Duplicate(g->recent, 1));
    if (g->wifi != NULL)
        cJSON_AddItemToObject(o, "wifi_source", mamori_wifi_source_describe(g->wifi));
    return o;
}

void mamori_net_guard_free(struct mamori_net_guard *g)
{
    if (g == NULL)
        return;
    nl_socket_free(g->events);
    nl_socket_free(g->requests);
    if (g->epfd >= 0)
        close(g->epfd);
    cJSON_Delete(g->recent);
    free(g);
}
