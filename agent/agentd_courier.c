/* agentd_courier.c -- the delivery thread.
 *
 * The courier owns the mamori_delivery (device key, spool, HTTPS client)
 * exclusively, so the transport code needs no locking.  The main loop hands
 * it reports and events through a small locked queue and an eventfd; the
 * courier signs and spools each report at once (durable before any send is
 * tried), then sends what the collector will take and sleeps until the
 * delivery's backoff says to try again.  A dead collector therefore costs
 * the main loop nothing.  On stop, everything queued is spooled before the
 * thread exits, so a SIGTERM loses nothing. */
#include "agentd.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <unistd.h>

#include "delivery.h"

struct courier_item {
    cJSON *doc;
    bool is_report;
    struct courier_item *next;
};

struct agentd_courier {
    pthread_t thread;
    pthread_mutex_t lock;
    int wake_fd;
    bool stop;
    bool kick;
    struct courier_item *head, **tail;
    struct mamori_delivery *delivery;
    cJSON *state; /* snapshot for status, replaced under lock */
};

static void wake(struct agentd_courier *c)
{
    uint64_t one = 1;

    if (write(c->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        agentd_log(LOG_WARNING, "courier wake-up: %s", strerror(errno));
}

static void enqueue(struct agentd_courier *c, cJSON *doc, bool is_report)
{
    struct courier_item *item = calloc(1, sizeof(*item));

    if (item == NULL) {
        agentd_log(LOG_ERR, "out of memory: a %s was not queued", is_report ? "report" : "event");
        cJSON_Delete(doc);
        return;
    }
    item->doc = doc;
    item->is_report = is_report;
    pthread_mutex_lock(&c->lock);
    *c->tail = item;
    c->tail = &item->next;
    pthread_mutex_unlock(&c->lock);
    wake(c);
}

void agentd_courier_submit(struct agentd_courier *c, cJSON *report)
{
    enqueue(c, report, true);
}

void agentd_courier_event(struct agentd_courier *c, cJSON *event)
{
    enqueue(c, event, false);
}

void agentd_courier_kick(struct agentd_courier *c)
{
    pthread_mutex_lock(&c->lock);
    c->kick = true;
    pthread_mutex_unlock(&c->lock);
    wake(c);
}

cJSON *agentd_courier_state(struct agentd_courier *c)
{
    cJSON *copy;

    pthread_mutex_lock(&c->lock);
    copy = c->state ? cJSON_Duplicate(c->state, true) : cJSON_CreateObject();
    pthread_mutex_unlock(&c->lock);
    return copy;
}

/* Spool everything queued; returns whether a stop was asked. */
static bool spool_queued(struct agentd_courier *c)
{
    struct courier_item *item, *next;
    char err[512];
    uint64_t seq;
    bool stop, kick;

    pthread_mutex_lock(&c->lock);
    item = c->head;
    c->head = NULL;
    c->tail = &c->head;
    stop = c->stop;
    kick = c->kick;
    c->kick = false;
    pthread_mutex_unlock(&c->lock);
    if (kick)
        mamori_delivery_kick(c->delivery);
    for (; item != NULL; item = next) {
        next = item->next;
        if (!item->is_report)
            mamori_delivery_add_event(c->delivery, item->doc);
        else if (mamori_delivery_submit(c->delivery, item->doc, &seq, err, sizeof(err)) != 0)
            agentd_log(LOG_ERR, "report not spooled: %s", err);
        free(item);
    }
    return stop;
}

static void publish_state(struct agentd_courier *c)
{
    cJSON *fresh = mamori_delivery_state(c->delivery);

    pthread_mutex_lock(&c->lock);
    cJSON_Delete(c->state);
    c->state = fresh;
    pthread_mutex_unlock(&c->lock);
}

static void *courier_main(void *arg)
{
    struct agentd_courier *c = arg;
    struct pollfd pfd = {.fd = c->wake_fd, .events = POLLIN};
    uint64_t count;

    while (!spool_queued(c)) {
        long delay = mamori_delivery_run_once(c->delivery);

        publish_state(c);
        /* Sleep until woken or the backoff expires; -1: spool empty, wait. */
        if (poll(&pfd, 1, delay < 0 ? -1 : (int)(delay * 1000)) > 0 &&
            read(c->wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
            agentd_log(LOG_WARNING, "courier: %s", strerror(errno));
    }
    publish_state(c);
    return NULL;
}

struct agentd_courier *agentd_courier_start(const char *state_dir, const char *proxy)
{
    struct mamori_delivery_options opt = {.proxy = proxy};
    struct agentd_courier *c = calloc(1, sizeof(*c));
    char err[512];

    if (c == NULL)
        return NULL;
    c->tail = &c->head;
    c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    c->delivery = mamori_delivery_new(state_dir, &opt, err, sizeof(err));
    if (c->wake_fd < 0 || c->delivery == NULL) {
        agentd_log(LOG_ERR, "reports stay local: %s", c->delivery == NULL ? err : strerror(errno));
        goto fail;
    }
    c->state = mamori_delivery_state(c->delivery);
    pthread_mutex_init(&c->lock, NULL);
    if (pthread_create(&c->thread, NULL, courier_main, c) != 0) {
        agentd_log(LOG_ERR, "cannot start the delivery thread");
        pthread_mutex_destroy(&c->lock);
        goto fail;
    }
    return c;
fail:
    if (c->delivery != NULL)
        mamori_delivery_free(c->delivery);
    cJSON_Delete(c->state);
    if (c->wake_fd >= 0)
        close(c->wake_fd);
    free(c);
    return NULL;
}

void agentd_courier_stop(struct agentd_courier *c)
{
    pthread_mutex_lock(&c->lock);
    c->stop = true;
    pthread_mutex_unlock(&c->lock);
    wake(c);
    pthread_join(c->thread, NULL);
    mamori_delivery_free(c->delivery);
    cJSON_Delete(c->state);
    pthread_mutex_destroy(&c->lock);
    close(c->wake_fd);
    free(c);
}
