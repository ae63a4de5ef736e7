/* ingest_queue.c -- the group-commit writers; see ingest_queue.h.
 *
 * One mutex-protected FIFO and one thread per writer lane.  Durability is
 * storage's (a COMMIT that returned is on disk, store_sqlite.c); the
 * queue's part is to call done() only afterwards, so no report is
 * acknowledged before it is stored, and to share one commit among every
 * report that arrived while the lane's previous one was being written.
 * A report goes to the lane its key hashes to: one host's reports stay in
 * order in one lane, while lanes store groups of different hosts at once
 * where storage allows it (store->writers: PostgreSQL's connection pool;
 * SQLite has one writer). */
#include "ingest_queue.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "metrics.h"

#define MAX_LANES 32

struct lane {
    struct mamori_ingest_queue *q;
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct mamori_ingest_job *head, *tail;
    int stop;
    struct mamori_ingest_job **group; /* the writer's, max_group each */
    struct mamori_ingest **in;
};

struct mamori_ingest_queue {
    struct mamori_store *store;
    int max_group;
    int nlanes;
    struct lane lanes[MAX_LANES];
};

/* Caller holds the lock.  Detaches up to max jobs, oldest first. */
static int take_group(struct lane *l, int max)
{
    int n = 0;
    while (l->head != NULL && n < max) {
        l->group[n++] = l->head;
        l->head = l->head->next;
    }
    if (l->head == NULL)
        l->tail = NULL;
    return n;
}

static void store_group(struct lane *l, int n)
{
    struct mamori_store *store = l->q->store;
    for (int i = 0; i < n; i++)
        l->in[i] = &l->group[i]->in;
    store->ops->ingest(store, l->in, n);
    mamori_metrics_group(n);
    for (int i = 0; i < n; i++) {
        l->group[i]->next = NULL;
        l->group[i]->done(l->group[i]);
    }
}

static void *writer_main(void *arg)
{
    struct lane *l = arg;
    pthread_setname_np(pthread_self(), "mamori-writer");
    pthread_mutex_lock(&l->lock);
    for (;;) {
        int n;
        while (l->head == NULL && !l->stop)
            pthread_cond_wait(&l->wake, &l->lock);
        if (l->head == NULL)
            break; /* stopping and drained */
        n = take_group(l, l->q->max_group);
        pthread_mutex_unlock(&l->lock);
        store_group(l, n);
        pthread_mutex_lock(&l->lock);
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

/* Stop and join every started lane (after storing what it holds). */
static void lanes_stop(struct mamori_ingest_queue *q)
{
    for (int i = 0; i < q->nlanes; i++) {
        struct lane *l = &q->lanes[i];
        if (!l->started)
            continue;
        pthread_mutex_lock(&l->lock);
        l->stop = 1;
        pthread_cond_signal(&l->wake);
        pthread_mutex_unlock(&l->lock);
        pthread_join(l->thread, NULL);
    }
    for (int i = 0; i < q->nlanes; i++) {
        pthread_cond_destroy(&q->lanes[i].wake);
        pthread_mutex_destroy(&q->lanes[i].lock);
        free(q->lanes[i].group);
        free(q->lanes[i].in);
    }
    free(q);
}

static int lane_start(struct mamori_ingest_queue *q, struct lane *l)
{
    l->q = q;
    l->group = calloc((size_t)q->max_group, sizeof(*l->group));
    l->in = calloc((size_t)q->max_group, sizeof(*l->in));
    if (l->group == NULL || l->in == NULL || pthread_create(&l->thread, NULL, writer_main, l) != 0)
        return -1;
    l->started = 1;
    return 0;
}

struct mamori_ingest_queue *mamori_ingest_queue_start(struct mamori_store *store, int max_group)
{
    struct mamori_ingest_queue *q = calloc(1, sizeof(*q));
    if (q == NULL)
        return NULL;
    q->store = store;
    q->max_group = max_group > 0 ? max_group : 1;
    q->nlanes = store->writers < 1 ? 1 : store->writers > MAX_LANES ? MAX_LANES : store->writers;
    for (int i = 0; i < q->nlanes; i++) {
        pthread_mutex_init(&q->lanes[i].lock, NULL);
        pthread_cond_init(&q->lanes[i].wake, NULL);
    }
    for (int i = 0; i < q->nlanes; i++) {
        if (lane_start(q, &q->lanes[i]) != 0) {
            lanes_stop(q);
            return NULL;
        }
    }
    return q;
}

/* FNV-1a of the signing key's thumbprint: the lane of a host. */
static int lane_of(const struct mamori_ingest_queue *q, const struct mamori_ingest_job *job)
{
    const char *key = job->in.key_thumbprint;
    uint32_t h = 2166136261u;
    for (; key != NULL && *key != '\0'; key++)
        h = (h ^ (unsigned char)*key) * 16777619u;
    return (int)(h % (uint32_t)q->nlanes);
}

void mamori_ingest_queue_push(struct mamori_ingest_queue *q, struct mamori_ingest_job *job)
{
    struct lane *l = &q->lanes[lane_of(q, job)];
    job->next = NULL;
    pthread_mutex_lock(&l->lock);
    if (l->tail != NULL)
        l->tail->next = job;
    else
        l->head = job;
    l->tail = job;
    pthread_cond_signal(&l->wake);
    pthread_mutex_unlock(&l->lock);
}

void mamori_ingest_queue_stop(struct mamori_ingest_queue *q)
{
    if (q != NULL)
        lanes_stop(q);
}
