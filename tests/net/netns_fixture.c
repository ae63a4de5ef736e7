/* netns_fixture.c -- see netns_fixture.h. */
#include "netns_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>

static char ns_name[64];
static int ns_serial;
cJSON *netns_events;

static void collect(void *userdata, cJSON *event)
{
    (void)userdata;
    cJSON_AddItemToArray(netns_events, event);
}

const struct mamori_event_sink netns_sink = {.fn = collect, .userdata = NULL};

int netns_sh(const char *fmt, ...)
{
    char cmd[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

bool netns_fixture_init(void)
{
    char path[128];
    int fd;

    netns_events = cJSON_CreateArray();
    if (geteuid() != 0)
        return false;
    snprintf(ns_name, sizeof(ns_name), "mamori-t-%d-%d", (int)getpid(), ++ns_serial);
    if (netns_sh("ip netns add %s", ns_name) != 0) {
        ns_name[0] = '\0';
        return false;
    }
    snprintf(path, sizeof(path), "/run/netns/%s", ns_name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    close(fd);
    /* From here on every command runs inside the namespace. */
    return netns_sh("ip link add mtok0 type veth peer name mtok1 && "
                    "ip link add mtbad0 type veth peer name mtbad1") == 0;
}

void netns_fixture_fini(void)
{
    if (ns_name[0] != '\0')
        netns_sh("ip netns del %s", ns_name);
    ns_name[0] = '\0';
    cJSON_Delete(netns_events);
    netns_events = NULL;
}

int netns_link_up(const char *ifname)
{
    struct nl_sock *sk = nl_socket_alloc();
    struct rtnl_link *link = NULL;
    int up = -1;

    if (sk != NULL && nl_connect(sk, NETLINK_ROUTE) == 0 &&
        rtnl_link_get_kernel(sk, 0, ifname, &link) == 0) {
        up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
        rtnl_link_put(link);
    }
    nl_socket_free(sk);
    return up;
}

static long elapsed_ms(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

bool netns_pump_until(struct mamori_net_guard *g, bool (*pred)(void *), void *arg, int bound_ms)
{
    struct timespec start;
    struct pollfd pfd = {.fd = mamori_net_guard_fd(g), .events = POLLIN};

    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!pred(arg)) {
        if (elapsed_ms(&start) > bound_ms)
            return false;
        if (poll(&pfd, 1, 50) > 0)
            mamori_net_guard_dispatch(g);
    }
    return true;
}

static bool event_matches(const cJSON *ev, const char *type, const char *ifname)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(ev, "type");
    const cJSON *facts = cJSON_GetObjectItemCaseSensitive(ev, "facts");
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(facts, "interface");

    return cJSON_IsString(t) && strcmp(t->valuestring, type) == 0 && cJSON_IsString(i) &&
           strcmp(i->valuestring, ifname) == 0;
}

int netns_count_events(const char *type, const char *ifname)
{
    const cJSON *ev;
    int n = 0;

    cJSON_ArrayForEach(ev, netns_events) n += event_matches(ev, type, ifname);
    return n;
}

const cJSON *netns_last_event(const char *type, const char *ifname)
{
    const cJSON *ev, *last = NULL;

    cJSON_ArrayForEach(ev, netns_events)
    {
        if (event_matches(ev, type, ifname))
            last = ev;
    }
    return last;
}
