/* netns_fixture.h -- a private network namespace per test, for the network guard tests.
 *
 * Each test gets `mamori-t-<pid>-<n>` made with ip(8), holding veth pairs the
 * test creates itself; the Criterion worker then setns(2)s into it, so the
 * guard and every ip(8) command the test runs only ever touch that namespace.
 * netns_fixture_fini() (called from .fini, so also after a failed assertion)
 * deletes the namespace with everything in it. */
#ifndef MAMORI_TEST_NETNS_FIXTURE_H
#define MAMORI_TEST_NETNS_FIXTURE_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "net_guard.h"

/* Create and enter a fresh namespace with veth pairs mtok0/mtok1 and mtbad0/mtbad1
 * (all down).  Returns false (nothing created) when not root. */
bool netns_fixture_init(void);
void netns_fixture_fini(void);

/* Run a shell command inside the namespace; returns its exit status. */
int netns_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* IFF_UP of a link in the namespace (-1 if it does not exist). */
int netns_link_up(const char *ifname);

/* Pump the guard until pred(arg) holds or bound_ms elapses; returns pred's last value. */
bool netns_pump_until(struct mamori_net_guard *g, bool (*pred)(void *), void *arg, int bound_ms);

/* An event sink collecting events into a cJSON array (owned by the fixture). */
extern cJSON *netns_events;
extern const struct mamori_event_sink netns_sink;
/* Number of collected events of type whose facts.interface == ifname. */
int netns_count_events(const char *type, const char *ifname);
/* The last such event, or NULL. */
const cJSON *netns_last_event(const char *type, const char *ifname);

#endif /* MAMORI_TEST_NETNS_FIXTURE_H */
