/* usb_latency.c -- time from a USB uevent to the enforcer's sysfs write.
 *
 * Runs under umockdev-wrapper: a testbed with a root hub and N devices (sticks
 * and keyboards alternating).  Each round re-plugs one device (uevent "add")
 * and waits for the enforcer to read it, judge it and write its interfaces'
 * `authorized`.  Prints p50/p99/max of two spans:
 *   uevent -> write : from the testbed sending the uevent to the write done
 *                     (includes umockdev's own netlink emulation);
 *   decision        : from the monitor fd being readable to the write done
 *                     (the agent's own work, the DESIGN.md budget: <= 1 ms p99).
 * usage: usb_latency [ROUNDS] [DEVICES] */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "usb_enforcer.h"
#include "usb_testbed.h"

static const struct test_iface STORAGE[] = {{0x08, 0x06, 0x50}};
static const struct test_iface HID[] = {{0x03, 0x01, 0x01}};

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void print_span(const char *name, double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp);
    printf("%-18s p50 %8.1f us   p99 %8.1f us   max %8.1f us   (%d events)\n", name, v[n / 2],
           v[(n * 99) / 100], v[n - 1], n);
}

static void discard(void *u, cJSON *ev)
{
    (void)u;
    cJSON_Delete(ev);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 10000, ndev = argc > 2 ? atoi(argv[2]) : 50;
    struct mamori_event_sink sink = {.fn = discard};
    UMockdevTestbed *tb = umockdev_testbed_new();
    char *hub = test_usb_add_root_hub(tb), **devs = calloc((size_t)ndev, sizeof(char *));
    struct mamori_policy *pol = mamori_policy_preset(MAMORI_SEGMENT_LGWAN);
    double *total = calloc((size_t)rounds, sizeof(double));
    double *decision = calloc((size_t)rounds, sizeof(double));
    struct mamori_usb_enforcer *e;
    char err[256], name[32];

    for (int i = 0; i < ndev; i++) {
        struct test_usb t = {.name = name,
                             .parent = hub,
                             .vid = 0x0781,
                             .pid = (uint16_t)i,
                             .serial = "S",
                             .product = "bench",
                             .ifaces = i % 2 ? HID : STORAGE,
                             .n_ifaces = 1,
                             .create_interface_dirs = 1};

        snprintf(name, sizeof(name), "1-%d", i + 1);
        devs[i] = test_usb_add(tb, &t);
    }
    e = mamori_usb_enforcer_new(pol, &sink, err, sizeof(err));
    if (e == NULL) {
        fprintf(stderr, "usb_latency: %s (run under umockdev-wrapper)\n", err);
        return 1;
    }
    mamori_usb_enforcer_sweep(e);
    for (int r = 0; r < rounds; r++) {
        struct pollfd p = {.fd = mamori_usb_enforcer_fd(e), .events = POLLIN};
        double t0 = now_us(), t1;

        umockdev_testbed_uevent(tb, devs[r % ndev], "add");
        if (poll(&p, 1, 5000) != 1) {
            fprintf(stderr, "usb_latency: uevent %d never arrived\n", r);
            return 1;
        }
        t1 = now_us();
        mamori_usb_enforcer_dispatch(e);
        decision[r] = now_us() - t1;
        total[r] = now_us() - t0;
    }
    printf("devices present: %d, rounds: %d\n", ndev, rounds);
    print_span("uevent -> write", total, rounds);
    print_span("decision (agent)", decision, rounds);
    printf("budget: decision p99 <= 1000 us -> %s\n",
           decision[(rounds * 99) / 100] <= 1000 ? "met" : "NOT met");
    mamori_usb_enforcer_free(e);
    mamori_policy_free(pol);
    return 0;
}
