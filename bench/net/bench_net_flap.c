/* bench_net_flap.c -- how fast the network guard refuses a link that comes up.
 *
 * In a private network namespace (made and removed here) a veth that the
 * policy does not approve is set up 1,000 times.  For each flap we time
 * from the kernel's acknowledgement of "up" (the RTM_NEWLINK event is queued
 * by then) to the guard's dispatch returning with the link set down, i.e.
 * event delivery + judgement (sysfs reads included) + the down request.
 *
 * Baseline, same run, same namespace: one plain rtnetlink "set link down"
 * round trip (what `ip link set dev X down` costs without fork/exec), which
 * is the floor for any netlink-driven refusal.
 *
 * Usage: bench_net_flap [FLAPS]   (root) */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "net_guard.h"

static char ns_name[64];

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void print_stats(const char *label, double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    printf("%-44s p50 %8.1f us   p99 %8.1f us   max %8.1f us   (n=%d)\n", label, v[n / 2],
           v[(n * 99) / 100], v[n - 1], n);
}

static int set_link(struct nl_sock *sk, int ifindex, int up)
{
    struct rtnl_link *orig = rtnl_link_alloc(), *change = rtnl_link_alloc();
    int rc;

    rtnl_link_set_ifindex(orig, ifindex);
    if (up)
        rtnl_link_set_flags(change, IFF_UP);
    else
        rtnl_link_unset_flags(change, IFF_UP);
    rc = rtnl_link_change(sk, orig, change, 0);
    rtnl_link_put(orig);
    rtnl_link_put(change);
    return rc;
}

static int enter_netns(void)
{
    char cmd[160], path[96];
    int fd;

    snprintf(ns_name, sizeof(ns_name), "mamori-b-%d", (int)getpid());
    snprintf(cmd, sizeof(cmd), "ip netns add %s", ns_name);
    if (system(cmd) != 0)
        return -1;
    snprintf(path, sizeof(path), "/run/netns/%s", ns_name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0)
        return -1;
    close(fd);
    return system("ip link add mbench0 type veth peer name mbench1") == 0 ? 0 : -1;
}

static void leave_netns(void)
{
    char cmd[160];

    snprintf(cmd, sizeof(cmd), "ip netns del %s", ns_name);
    if (ns_name[0] != '\0' && system(cmd) != 0)
        fprintf(stderr, "bench_net_flap: could not delete netns %s\n", ns_name);
}

/* Wait until the guard has refused something; 0, or -1 after 5 s. */
static int wait_refusal(struct mamori_net_guard *g)
{
    struct pollfd pfd = {.fd = mamori_net_guard_fd(g), .events = POLLIN};

    for (;;) {
        if (poll(&pfd, 1, 5000) != 1)
            return -1;
        if (mamori_net_guard_dispatch(g) > 0)
            return 0;
    }
}

static int run(int flaps)
{
    static const char policy_json[] =
        "{\"segment\":\"lgwan\",\"network\":{\"interfaces\":[{\"name\":\"approved*\"}]}}";
    struct mamori_policy *policy = NULL;
    struct mamori_policy_error perr;
    struct mamori_net_guard *g;
    struct nl_sock *sk = nl_socket_alloc();
    struct rtnl_link *link = NULL;
    double *guard = calloc((size_t)flaps, sizeof(double));
    double *base = calloc((size_t)flaps, sizeof(double));
    char err[256];
    int ifindex, rc = 1;

    if (sk == NULL || guard == NULL || base == NULL || nl_connect(sk, NETLINK_ROUTE) != 0 ||
        rtnl_link_get_kernel(sk, 0, "mbench0", &link) != 0 ||
        mamori_policy_parse(policy_json, sizeof(policy_json) - 1, "bench", &policy, &perr) != 0)
        goto out;
    ifindex = rtnl_link_get_ifindex(link);

    for (int i = 0; i < flaps; i++) { /* baseline: no guard running */
        if (set_link(sk, ifindex, 1) != 0)
            goto out;
        double t0 = now_us();
        if (set_link(sk, ifindex, 0) != 0)
            goto out;
        base[i] = now_us() - t0;
    }

    g = mamori_net_guard_new(policy, NULL, NULL, err, sizeof(err));
    if (g == NULL) {
        fprintf(stderr, "bench_net_flap: %s\n", err);
        goto out;
    }
    mamori_net_guard_sweep(g);
    for (int i = 0; i < flaps; i++) {
        if (set_link(sk, ifindex, 1) != 0)
            break;
        double t0 = now_us();
        if (wait_refusal(g) != 0) {
            fprintf(stderr, "bench_net_flap: flap %d not refused within 5 s\n", i);
            break;
        }
        guard[i] = now_us() - t0;
        if (i == flaps - 1)
            rc = 0;
    }
    mamori_net_guard_free(g);
    if (rc == 0) {
        print_stats("baseline: rtnetlink set-down round trip", base, flaps);
        print_stats("mamori guard: link-up event -> link down", guard, flaps);
    }
out:
    rtnl_link_put(link);
    nl_socket_free(sk);
    mamori_policy_free(policy);
    free(guard);
    free(base);
    return rc;
}

int main(int argc, char **argv)
{
    int flaps = argc > 1 ? atoi(argv[1]) : 1000, rc;

    if (geteuid() != 0) {
        fprintf(stderr, "bench_net_flap: needs root (creates a network namespace)\n");
        return 77;
    }
    if (flaps < 10 || flaps > 1000000) {
        fprintf(stderr, "bench_net_flap: FLAPS must be 10..1000000\n");
        return 2;
    }
    if (enter_netns() != 0) {
        fprintf(stderr, "bench_net_flap: could not set up the network namespace\n");
        leave_netns();
        return 1;
    }
    rc = run(flaps);
    leave_netns();
    return rc;
}
