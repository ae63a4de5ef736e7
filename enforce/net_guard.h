/* net_guard.h -- network-join refusal, driven from the agent's epoll loop.
 *
 * The guard listens on rtnetlink (link, IPv4 and IPv6 route groups) and on an
 * optional Wi-Fi source.  Whenever an interface appears or comes up, or a
 * default route appears, it judges the interface by the policy
 * (net_iface.h) and refuses what is not approved: the link is set down, a
 * USB network adapter also has its USB interface deauthorized (sysfs
 * "authorized" = 0), and a Wi-Fi network that is not allowed is left.  Every
 * refusal is an event (net.refused, or net.would_refuse in audit mode) with
 * the interface's facts.
 *
 * Usage from the agent:
 *     g = mamori_net_guard_new(policy, &sink, wifi_or_NULL, err, sizeof err);
 *     epoll_ctl(ep, EPOLL_CTL_ADD, mamori_net_guard_fd(g), EPOLLIN);
 *     mamori_net_guard_sweep(g);              // links/routes present at start
 *     ... on EPOLLIN: mamori_net_guard_dispatch(g);
 *     ... on reload:  mamori_net_guard_set_policy(g, new_policy);  (re-sweeps)
 *
 * The fd is an epoll fd that wraps both the rtnetlink socket and the Wi-Fi
 * source's fd, so the agent watches a single descriptor.  Subscribing before
 * the sweep means no event between the two is lost.  The guard works in the
 * network namespace of the thread that created it. */
#ifndef MAMORI_NET_GUARD_H
#define MAMORI_NET_GUARD_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "event.h"
#include "policy.h"
#include "wifi_source.h"

struct mamori_net_guard;

/* policy, sink and wifi are borrowed: they must outlive the guard (or be
 * replaced with set_policy first).  wifi may be NULL.  NULL + err on failure. */
struct mamori_net_guard *mamori_net_guard_new(const struct mamori_policy *policy,
                                              const struct mamori_event_sink *sink,
                                              const struct mamori_wifi_source *wifi, char *err,
                                              size_t errlen);

/* Read interface facts from sysfs below root instead of "/" (tests).  The
 * USB "authorized" file written on refusal is below the same root. */
void mamori_net_guard_set_sysfs_root(struct mamori_net_guard *g, const char *root);

/* The descriptor to watch for EPOLLIN. */
int mamori_net_guard_fd(const struct mamori_net_guard *g);

/* Judge every present link, default route and Wi-Fi connection.  Returns the
 * number of refusals (or would-refusals), or -1 if the kernel could not be
 * asked (an event net.error is emitted too). */
int mamori_net_guard_sweep(struct mamori_net_guard *g);

/* Handle whatever is pending on the fd without blocking.  Returns the number
 * of refusals made, or -1 on a socket error.  A lost-event overflow
 * (ENOBUFS) triggers a sweep, so nothing slips through. */
int mamori_net_guard_dispatch(struct mamori_net_guard *g);

/* Swap the policy (borrowed) and sweep again, so it takes effect at once. */
void mamori_net_guard_set_policy(struct mamori_net_guard *g, const struct mamori_policy *policy);

/* {"mode","refused","would_refuse","errors","recent":[...],"wifi_source":{...}} for
 * `mamorictl status` ("wifi_source" only with a Wi-Fi source: wifi_source.h describe). */
cJSON *mamori_net_guard_state(const struct mamori_net_guard *g);

void mamori_net_guard_free(struct mamori_net_guard *g);

#endif /* MAMORI_NET_GUARD_H */
