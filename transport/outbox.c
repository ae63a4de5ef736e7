/* outbox.c -- seal, spool, pending events, backoff; see outbox.h. */
#include "outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "durable_file.h"
#include "event.h"
#include "report.h"

struct mamori_outbox {
    char state_dir[PATH_MAX / 2];
    struct mamori_spool *spool;
};

long mamori_backoff_delay(unsigned failures)
{
    long cap = MAMORI_BACKOFF_BASE_S;
    for (unsigned i = 0; i < failures && cap < MAMORI_BACKOFF_MAX_S; i++)
        cap *= 2;
    if (cap > MAMORI_BACKOFF_MAX_S)
        cap = MAMORI_BACKOFF_MAX_S;
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = (uint32_t)rand();
    return 1 + (long)(r % (uint32_t)cap);
}

static void state_path(const struct mamori_outbox *ob, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", ob->state_dir, name);
}

struct mamori_outbox *mamori_outbox_open(const char *state_dir, size_t max_files,
                                         uint64_t max_bytes, char *err, size_t errlen)
{
    struct mamori_outbox *ob = calloc(1, sizeof *ob);
    if (!ob || snprintf(ob->state_dir, sizeof ob->state_dir, "%s", state_dir) >=
                   (int)sizeof ob->state_dir) {
        snprintf(err, errlen, "%s: state directory path too long", state_dir);
        free(ob);
        return NULL;
    }
    if (mamori_mkdirs(state_dir, 0700) < 0) {
        snprintf(err, errlen, "%s: cannot create state directory: %s", state_dir, strerror(errno));
        free(ob);
        return NULL;
    }
    char spool_dir[PATH_MAX];
    state_path(ob, "spool", spool_dir, sizeof spool_dir);
    ob->spool = mamori_spool_open(spool_dir, max_files, max_bytes, err, errlen);
    if (!ob->spool) {
        free(ob);
        return NULL;
    }
    return ob;
}

void mamori_outbox_close(struct mamori_outbox *ob)
{
    if (!ob)
        return;
    mamori_spool_close(ob->spool);
    free(ob);
}

/* ---- events ------------------------------------------------------------ */

int mamori_outbox_add_events(struct mamori_outbox *ob, cJSON *events, char *err, size_t errlen)
{
    char path[PATH_MAX];
    state_path(ob, MAMORI_EVENTS_PENDING_FILE, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%.300s: cannot keep events: %s", path, strerror(errno));
        cJSON_Delete(events);
        return -1;
    }
    off_t size = lseek(fd, 0, SEEK_END);
    int lost = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events)
    {
        char *line = cJSON_PrintUnformatted(ev);
        off_t len = line ? (off_t)strlen(line) + 1 : 0;
        if (!line || size + len > MAMORI_EVENTS_PENDING_MAX || dprintf(fd, "%s\n", line) < 0)
            lost++;
        else
            size += len;
        free(line);
    }
    cJSON_Delete(events);
    int rc = 0;
    if (fsync(fd) != 0) {
        snprintf(err, errlen, "%.300s: %s", path, strerror(errno));
        rc = -1;
    } else if (lost > 0) {
        snprintf(err, errlen, "%.300s: %d event(s) not kept (pending events full)", path, lost);
        rc = -1;
    }
    close(fd);
    return rc;
}

int mamori_outbox_add_event(struct mamori_outbox *ob, cJSON *event, char *err, size_t errlen)
{
    cJSON *one = cJSON_CreateArray();
    if (!one) {
        cJSON_Delete(event);
        snprintf(err, errlen, "out of memory: an event was not kept");
        return -1;
    }
    cJSON_AddItemToArray(one, event);
    return mamori_outbox_add_events(ob, one, err, errlen);
}

/* Append the pending events (one JSON object per line) to arr. */
static void take_pending_events(struct mamori_outbox *ob, cJSON *arr)
{
    char path[PATH_MAX];
    state_path(ob, MAMORI_EVENTS_PENDING_FILE, path, sizeof path);
    char *text = mamori_read_file(path, MAMORI_EVENTS_PENDING_MAX + 4096, NULL);
    for (char *save = NULL, *line = text ? strtok_r(text, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        cJSON *ev = cJSON_Parse(line);
        if (cJSON_IsObject(ev))
            cJSON_AddItemToArray(arr, ev);
        else
            cJSON_Delete(ev); /* a torn last line after a crash */
    }
    free(text);
}

static void clear_pending_events(struct mamori_outbox *ob)
{
    char path[PATH_MAX];
    state_path(ob, MAMORI_EVENTS_PENDING_FILE, path, sizeof path);
    if (unlink(path) == 0)
        mamori_fsync_parent(path);
}

/* ---- sealing and spooling ---------------------------------------------- */

/* Replace in place so the member order of the report stays as documented. */
static void set_number(cJSON *obj, const char *name, double v)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, name))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, name, cJSON_CreateNumber(v));
    else
        cJSON_AddNumberToObject(obj, name, v);
}

static cJSON *member_of_type(cJSON *obj, const char *name, cJSON_bool (*is)(const cJSON *),
                             cJSON *(*add)(cJSON *, const char *))
{
    cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (is(m))
        return m;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
    return add(obj, name);
}

char *mamori_outbox_seal(struct mamori_outbox *ob, cJSON *report, uint64_t *seq, char *err,
                         size_t errlen)
{
    char *text = NULL;
    if (!report) {
        snprintf(err, errlen, "out of memory: no report");
        return NULL;
    }
    if (mamori_seq_next(ob->state_dir, seq, err, errlen) < 0)
        goto out;
    set_number(report, "seq", (double)*seq);
    take_pending_events(ob,
                        member_of_type(report, "events", cJSON_IsArray, cJSON_AddArrayToObject));
    set_number(member_of_type(report, "spool", cJSON_IsObject, cJSON_AddObjectToObject), "dropped",
               (double)mamori_spool_dropped(ob->spool));
    text = cJSON_PrintUnformatted(report);
    if (!text)
        snprintf(err, errlen, "out of memory: report %llu not sealed", (unsigned long long)*seq);
out:
    cJSON_Delete(report);
    return text;
}

/* An event the outbox itself has to tell (one number as its fact).  If it
 * cannot be kept the reason goes to stderr -- the agent's log -- because the
 * operation that caused it has already succeeded. */
static void queue_own_event(struct mamori_outbox *ob, const char *type, const char *severity,
                            const char *ja, const char *en, const char *fact, double value)
{
    char err[512];
    cJSON *ev = mamori_event_new(type, severity, time(NULL), ja, en);
    if (!ev)
        return;
    cJSON_AddNumberToObject(mamori_event_facts(ev), fact, value);
    if (mamori_outbox_add_event(ob, ev, err, sizeof err) < 0)
        fprintf(stderr, "mamori: %s\n", err);
}

int mamori_outbox_put(struct mamori_outbox *ob, cJSON *report, uint64_t *seq_out, char *err,
                      size_t errlen)
{
    uint64_t seq = 0;
    uint64_t announced = mamori_spool_dropped(ob->spool);
    char *payload = mamori_outbox_seal(ob, report, &seq, err, errlen);
    if (!payload)
        return -1;
    size_t dropped = 0;
    int rc = mamori_spool_put(ob->spool, seq, payload, strlen(payload), &dropped, err, errlen);
    free(payload);
    if (rc < 0)
        return -1; /* pending events stay for the next attempt */
    /* The report that carries the events and the drop count is durable now. */
    clear_pending_events(ob);
    if (announced > 0)
        mamori_spool_clear_dropped(ob->spool, announced, err, errlen);
    if (dropped > 0)
        queue_own_event(ob, MAMORI_EV_SPOOL_DROPPED, "warning",
                        "送信待ちの報告が上限を超えたため、古い報告を破棄しました",
                        "the report spool was full; the oldest reports were dropped", "dropped",
                        (double)dropped);
    if (seq_out)
        *seq_out = seq;
    return 0;
}

/* ---- walking the spool ------------------------------------------------- */

int mamori_outbox_oldest(struct mamori_outbox *ob, struct mamori_outbox_item *item, char *err,
                         size_t errlen)
{
    memset(item, 0, sizeof *item);
    return mamori_spool_peek_oldest(ob->spool, &item->seq, &item->data, &item->len,
                                    &item->signed_jws, err, errlen);
}

void mamori_outbox_item_free(struct mamori_outbox_item *item)
{
    free(item->data);
    item->data = NULL;
}

int mamori_outbox_ack(struct mamori_outbox *ob, uint64_t seq, char *err, size_t errlen)
{
    return mamori_spool_ack(ob->spool, seq, err, errlen);
}

int mamori_outbox_reject(struct mamori_outbox *ob, uint64_t seq, char *err, size_t errlen)
{
    if (mamori_spool_reject(ob->spool, seq, err, errlen) < 0)
        return -1;
    queue_own_event(ob, MAMORI_EV_REPORT_REJECTED, "error",
                    "収集サーバが報告を再送として拒否しました",
                    "the collector refused a report as a replay", "seq", (double)seq);
    return 0;
}

void mamori_outbox_stats(const struct mamori_outbox *ob, struct mamori_spool_stats *out)
{
    mamori_spool_stats(ob->spool, out);
}
