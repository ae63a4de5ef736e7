/* wifi_fake.c -- an in-memory Wi-Fi source for tests and demos.
 *
 * Tests "join" networks with mamori_wifi_fake_join(), which also signals an
 * eventfd so the guard's epoll loop wakes up exactly as it would for
 * NetworkManager; disconnect() records what the guard asked to leave. */
#include "wifi_source.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static int fake_connections(const struct mamori_wifi_source *src, struct mamori_wifi_conn *out,
                            size_t max)
{
    const struct mamori_wifi_fake *fake = src->impl;
    size_t n = fake->n_conns < max ? fake->n_conns : max;

    memcpy(out, fake->conns, n * sizeof(*out));
    return (int)n;
}

static int fake_fd(const struct mamori_wifi_source *src)
{
    return ((const struct mamori_wifi_fake *)src->impl)->eventfd;
}

static int fake_dispatch(const struct mamori_wifi_source *src)
{
    uint64_t count;

    if (read(((const struct mamori_wifi_fake *)src->impl)->eventfd, &count, sizeof(count)) < 0)
        return -1;
    return 0;
}

static int fake_disconnect(const struct mamori_wifi_source *src, const char *ifname)
{
    struct mamori_wifi_fake *fake = src->impl;

    for (size_t i = 0; i < fake->n_conns; i++) {
        if (strcmp(fake->conns[i].ifname, ifname) != 0)
            continue;
        fake->conns[i] = fake->conns[--fake->n_conns];
        if (fake->n_disconnected < MAMORI_WIFI_FAKE_MAX)
            snprintf(fake->disconnected[fake->n_disconnected++], IF_NAMESIZE, "%s", ifname);
        return 0;
    }
    return -1;
}

static cJSON *fake_describe(const struct mamori_wifi_source *src)
{
    cJSON *o = cJSON_CreateObject();

    (void)src;
    cJSON_AddStringToObject(o, "source", "fake");
    cJSON_AddStringToObject(o, "state", "running");
    return o;
}

static const struct mamori_wifi_source_ops fake_ops = {
    .connections = fake_connections,
    .fd = fake_fd,
    .dispatch = fake_dispatch,
    .disconnect = fake_disconnect,
    .describe = fake_describe,
};

int mamori_wifi_fake_init(struct mamori_wifi_fake *fake)
{
    memset(fake, 0, sizeof(*fake));
    fake->base.ops = &fake_ops;
    fake->base.impl = fake;
    fake->eventfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return fake->eventfd < 0 ? -1 : 0;
}

void mamori_wifi_fake_close(struct mamori_wifi_fake *fake)
{
    if (fake->eventfd >= 0)
        close(fake->eventfd);
    fake->eventfd = -1;
}

int mamori_wifi_fake_join(struct mamori_wifi_fake *fake, const char *ifname, const char *ssid,
                          enum mamori_wifi_security security)
{
    uint64_t one = 1;
    size_t i;

    for (i = 0; i < fake->n_conns && strcmp(fake->conns[i].ifname, ifname) != 0; i++)
        ;
    if (i == MAMORI_WIFI_FAKE_MAX)
        return -1;
    snprintf(fake->conns[i].ifname, sizeof(fake->conns[i].ifname), "%s", ifname);
    snprintf(fake->conns[i].ssid, sizeof(fake->conns[i].ssid), "%s", ssid);
    fake->conns[i].security = security;
    if (i == fake->n_conns)
        fake->n_conns++;
    return write(fake->eventfd, &one, sizeof(one)) == (ssize_t)sizeof(one) ? 0 : -1;
}
