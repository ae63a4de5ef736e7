/* ingest_queue.c -- the group-commit writer; see ingest_queue.h.
 *
 * A mutex-protected FIFO of jobs and one thread.  Durability is storage's
 * (a COMMIT that returned is on disk, store_sqlite.c); the queue's part is
 * to call done() only afterwards, so no report is acknowledged before it is
 * stored, and to share one commit among every report that arrived while
 * the previous one was being written. */
#include "ingest_queue.h"

#include <pthread.h>
#include <stdlib.h>

#include "metrics.h"

struct mamori_ingest_queue {
    struct mamori_store *store;
    int max_group;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct mamori_ingest_job *head, *tail;
    int stop;
    struct mamori_ingest_job **group; /* the writer's, max_group each */
    struct mamori_ingest **in;
};

/* Caller holds the lock.  Detaches up to max jobs, oldest first. */
static int take_group(struct mamori_ingest_queue *q, struct mamori_ingest_job **group, int max)
{
    int n = 0;
    while (q->head != NULL && n < max) {
        group[n++] = q->head;
        q->head = q->head->next;
    }
    if (q->head == NULL)
        q->tail = NULL;
    return n;
}

static void store_group(struct mamori_ingest_queue *q, int n)
{
    for (int i = 0; i < n; i++)
        q->in[i] = &q->group[i]->in;
    q->store->ops->ingest(q->store, q->in, n);
    mamori_metrics_group(n);
    for (int i = 0; i < n; i++) {
        q->group[i]->next = NULL;
        q->group[i]->done(q->group[i]);
    }
}

static void *writer_main(void *arg)
{
    struct mamori_ingest_queue *q = arg;

    pthread_setname_np(pthread_self(), "mamori-writer");
    pthread_mutex_lock(&q->lock);
    for (;;) {
        int n;
        while (q->head == NULL && !q->stop)
            pthread_cond_wait(&q->wake, &q->lock);
        if (q->head == NULL)
            break; /* stopping and drained */
        n = take_group(q, q->group, q->max_group);
        pthread_mutex_unlock(&q->lock);
        store_group(q, n);
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

static void queue_free(struct mamori_ingest_queue *q)
{
    pthread_cond_destroy(&q->wake);
    pthread_mutex_destroy(&q->lock);
    free(q->group);
    free(q->in);
    free(q);
}

struct mamori_ingest_queue *mamori_ingest_queue_start(struct mamori_store *store, int max_group)
{
    struct mamori_ingest_queue *q = calloc(1, sizeof(*q));
    if (q == NULL)
        return NULL;
    q->store = store;
    q->max_group = max_group > 0 ? max_group : 1;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->wake, NULL);
    q->group = calloc((size_t)q->max_group, sizeof(*q->group));
    q->in = calloc((size_t)q->max_group, sizeof(*q->in));
    if (q->group == NULL || q->in == NULL ||
        pthread_create(&q->thread, NULL, writer_main, q) != 0) {
        queue_free(q);
        return NULL;
    }
    return q;
}

void mamori_ingest_queue_push(struct mamori_ingest_queue *q, struct mamori_ingest_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&q->lock);
    if (q->tail != NULL)
        q->tail->next = job;
    else
        q->head = job;
    q->tail = job;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
}

void mamori_ingest_queue_stop(struct mamori_ingest_queue *q)
{
    if (q == NULL)
        return;
    pthread_mutex_lock(&q->lock);
    q->stop = 1;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->thread, NULL);
    queue_free(q);
}
