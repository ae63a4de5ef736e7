/* wifi_nm_probe.c -- drives the NetworkManager Wi-Fi source (enforce/wifi_nm.c)
 * for t_wifi_nm.sh, which runs a real NetworkManager on a private bus.
 *
 * Reads one command per line on stdin and answers one line on stdout:
 *   state                   "state running"
 *   devices                 "devices lo:loopback:100 nmt-a0:veth:30 ..." (sorted)
 *   wifi                    "wifi 0", or "wifi N if|ssid|security ..."
 *   until-state NAME        wait for the source's state: "ok wakeups=N" / "timeout ..."
 *   until-device IF STATE   wait for a device's NetworkManager state (a number)
 *   disconnect IF           the source's disconnect op: "disconnect 0" / "disconnect -1"
 *   notes                   how often each state was notified: "notes no_bus=0 absent=1 ..."
 * Waiting is only on the source's fd becoming readable, then dispatch(): the
 * test shows the source wakes by itself.  The bound (60 s) only stops a hang. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wifi_nm.h"

#define WAIT_LIMIT_MS 60000

static unsigned notes[4];

static void on_state(void *userdata, enum mamori_wifi_nm_state state, const char *detail)
{
    (void)userdata;
    (void)detail;
    notes[state]++;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_devices(const struct mamori_wifi_source *src)
{
    cJSON *d = src->ops->describe(src), *dev;
    char *names[256];
    size_t n = 0;

    cJSON_ArrayForEach(dev, cJSON_GetObjectItem(d, "devices"))
    {
        if (n == 256 ||
            asprintf(&names[n], "%s:%s:%d", cJSON_GetObjectItem(dev, "interface")->valuestring,
                     cJSON_GetObjectItem(dev, "type")->valuestring,
                     cJSON_GetObjectItem(dev, "state")->valueint) < 0)
            break;
        n++;
    }
    qsort(names, n, sizeof(names[0]), cmp_str);
    printf("devices");
    for (size_t i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
    cJSON_Delete(d);
}

static void print_wifi(const struct mamori_wifi_source *src)
{
    struct mamori_wifi_conn conns[8];
    int n = src->ops->connections(src, conns, 8);

    printf("wifi %d", n);
    for (int i = 0; i < n; i++)
        printf(" %s|%s|%s", conns[i].ifname, conns[i].ssid,
               mamori_wifi_security_name(conns[i].security));
    printf("\n");
}

/* The NetworkManager state number of device ifname, or -1. */
static int device_state(const struct mamori_wifi_source *src, const char *ifname)
{
    cJSON *d = src->ops->describe(src), *dev;
    int state = -1;

    cJSON_ArrayForEach(dev, cJSON_GetObjectItem(d, "devices"))
    {
        if (strcmp(cJSON_GetObjectItem(dev, "interface")->valuestring, ifname) == 0)
            state = cJSON_GetObjectItem(dev, "state")->valueint;
    }
    cJSON_Delete(d);
    return state;
}

static bool holds(struct mamori_wifi_nm *nm, const char *want_state, const char *ifname,
                  int dev_state)
{
    if (want_state != NULL)
        return strcmp(mamori_wifi_nm_state_name(mamori_wifi_nm_state(nm)), want_state) == 0;
    return device_state(mamori_wifi_nm_source(nm), ifname) == dev_state;
}

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for a state (want_state) or a device state, waking only on the fd. */
static void wait_until(struct mamori_wifi_nm *nm, const char *want_state, const char *ifname,
                       int dev_state)
{
    const struct mamori_wifi_source *src = mamori_wifi_nm_source(nm);
    long deadline = now_ms() + WAIT_LIMIT_MS;
    unsigned wakeups = 0;

    while (!holds(nm, want_state, ifname, dev_state)) {
        struct pollfd pfd = {.fd = src->ops->fd(src), .events = POLLIN};
        long left = deadline - now_ms();

        if (left <= 0 || poll(&pfd, 1, (int)left) != 1) {
            printf("timeout state=%s wakeups=%u\n",
                   mamori_wifi_nm_state_name(mamori_wifi_nm_state(nm)), wakeups);
            return;
        }
        wakeups++;
        if (src->ops->dispatch(src) != 0) {
            printf("dispatch-error\n");
            return;
        }
    }
    printf("ok wakeups=%u\n", wakeups);
}

static void run(struct mamori_wifi_nm *nm, char *line)
{
    const struct mamori_wifi_source *src = mamori_wifi_nm_source(nm);
    char *cmd = strtok(line, " \n"), *a1 = strtok(NULL, " \n"), *a2 = strtok(NULL, " \n");

    if (cmd == NULL)
        printf("?\n");
    else if (strcmp(cmd, "state") == 0)
        printf("state %s\n", mamori_wifi_nm_state_name(mamori_wifi_nm_state(nm)));
    else if (strcmp(cmd, "devices") == 0)
        print_devices(src);
    else if (strcmp(cmd, "wifi") == 0)
        print_wifi(src);
    else if (strcmp(cmd, "until-state") == 0 && a1 != NULL)
        wait_until(nm, a1, NULL, 0);
    else if (strcmp(cmd, "until-device") == 0 && a1 != NULL && a2 != NULL)
        wait_until(nm, NULL, a1, atoi(a2));
    else if (strcmp(cmd, "disconnect") == 0 && a1 != NULL)
        printf("disconnect %d\n", src->ops->disconnect(src, a1));
    else if (strcmp(cmd, "notes") == 0)
        printf("notes no_bus=%u absent=%u running=%u\n", notes[MAMORI_WIFI_NM_NO_BUS],
               notes[MAMORI_WIFI_NM_ABSENT], notes[MAMORI_WIFI_NM_RUNNING]);
    else
        printf("? %s\n", cmd);
    fflush(stdout);
}

int main(void)
{
    char err[256], line[512];
    struct mamori_wifi_nm *nm = mamori_wifi_nm_new(NULL, on_state, NULL, err, sizeof(err));

    if (nm == NULL) {
        fprintf(stderr, "wifi_nm_probe: %s\n", err);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    while (fgets(line, sizeof(line), stdin) != NULL)
        run(nm, line);
    mamori_wifi_nm_free(nm);
    return 0;
}
