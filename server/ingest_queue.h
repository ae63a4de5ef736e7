/* ingest_queue.h -- group commit: writer threads store verified reports.
 *
 * Workers verify reports in parallel and push them here; a writer takes
 * everything queued in its lane (at most max_group), stores it with one
 * transaction (store->ops->ingest) and only after that COMMIT has returned
 * calls each job's done(), which sends the acknowledgement.  There is no
 * timer: while one group commits, the next one gathers, so the group grows
 * with the load and a lone report waits for nothing but its own commit.
 * There are store->writers lanes (one for SQLite); a host always goes to
 * the same lane, so its reports are stored in the order they came. */
#ifndef MAMORI_SERVER_INGEST_QUEUE_H
#define MAMORI_SERVER_INGEST_QUEUE_H

#include "ingest.h"
#include "store.h"

struct mamori_ingest_queue;

/* Start the writers.  NULL when a thread cannot start. */
struct mamori_ingest_queue *mamori_ingest_queue_start(struct mamori_store *store, int max_group);
/* Hand a job over (thread-safe); job->done runs on the writer thread. */
void mamori_ingest_queue_push(struct mamori_ingest_queue *q, struct mamori_ingest_job *job);
/* Store what is still queued, complete it, then end the writers. */
void mamori_ingest_queue_stop(struct mamori_ingest_queue *q);

#endif
