/* delivery.c -- sign, spool, send in order, back off; see delivery.h. */
#include "delivery.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "device_key.h"
#include "durable_file.h"
#include "enroll.h"
#include "https_client.h"
#include "jws.h"
#include "report.h"
#include "spool.h"

struct mamori_delivery {
    char state_dir[PATH_MAX / 2];
    char server[1024];
    char *proxy;
    char *secret_file;
    EVP_PKEY *key;
    struct mamori_spool *spool;
    unsigned failures;
    time_t next_attempt;
    time_t last_ack;
    char last_error[1024];
};

long mamori_backoff_delay(unsigned failures)
{
    long cap = MAMORI_BACKOFF_BASE_S;
    for (unsigned i = 0; i < failures && cap < MAMORI_BACKOFF_MAX_S; i++)
        cap *= 2;
    if (cap > MAMORI_BACKOFF_MAX_S)
        cap = MAMORI_BACKOFF_MAX_S;
    uint32_t r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
        r = (uint32_t)rand();
    return 1 + (long)(r % (uint32_t)cap);
}

static void state_path(const struct mamori_delivery *d, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", d->state_dir, name);
}

/* Server URL from enroll.json when not given. */
static void load_server(struct mamori_delivery *d)
{
    char path[PATH_MAX];
    state_path(d, MAMORI_ENROLL_FILE, path, sizeof path);
    char *text = mamori_read_file(path, 64 * 1024, NULL);
    cJSON *info = text ? cJSON_Parse(text) : NULL;
    const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(info, "server"));
    if (url)
        snprintf(d->server, sizeof d->server, "%s", url);
    cJSON_Delete(info);
    free(text);
}

struct mamori_delivery *mamori_delivery_new(const char *state_dir,
                                            const struct mamori_delivery_options *opt, char *err,
                                            size_t errlen)
{
    struct mamori_delivery *d = calloc(1, sizeof *d);
    if (!d ||
        snprintf(d->state_dir, sizeof d->state_dir, "%s", state_dir) >= (int)sizeof d->state_dir) {
        snprintf(err, errlen, "%s: state directory path too long", state_dir);
        free(d);
        return NULL;
    }
    if (mamori_mkdirs(state_dir, 0700) < 0) {
        snprintf(err, errlen, "%s: cannot create state directory: %s", state_dir, strerror(errno));
        free(d);
        return NULL;
    }
    char path[PATH_MAX];
    if (opt && opt->key_file)
        snprintf(path, sizeof path, "%s", opt->key_file);
    else
        state_path(d, MAMORI_DEVICE_KEY_FILE, path, sizeof path);
    d->key = mamori_device_key_load_or_create(path, err, errlen);
    char spool_dir[PATH_MAX];
    state_path(d, "spool", spool_dir, sizeof spool_dir);
    if (d->key)
        d->spool = mamori_spool_open(spool_dir, opt ? opt->spool_max_files : 0,
                                     opt ? opt->spool_max_bytes : 0, err, errlen);
    if (!d->spool) {
        mamori_delivery_free(d);
        return NULL;
    }
    if (opt && opt->server_url)
        snprintf(d->server, sizeof d->server, "%s", opt->server_url);
    else
        load_server(d);
    d->proxy = opt && opt->proxy ? strdup(opt->proxy) : NULL;
    d->secret_file = opt && opt->secret_file ? strdup(opt->secret_file) : NULL;
    return d;
}

void mamori_delivery_free(struct mamori_delivery *d)
{
    if (!d)
        return;
    mamori_spool_close(d->spool);
    EVP_PKEY_free(d->key);
    free(d->proxy);
    free(d->secret_file);
    free(d);
}

/* ---- events ------------------------------------------------------------ */

void mamori_delivery_add_event(struct mamori_delivery *d, cJSON *event)
{
    char path[PATH_MAX];
    state_path(d, MAMORI_EVENTS_PENDING_FILE, path, sizeof path);
    char *line = cJSON_PrintUnformatted(event);
    cJSON_Delete(event);
    if (!line)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    off_t size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
    if (fd < 0 || size + (off_t)strlen(line) > MAMORI_EVENTS_PENDING_MAX) {
        snprintf(d->last_error, sizeof d->last_error, "%.300s: cannot keep event: %s", path,
                 fd < 0 ? strerror(errno) : "pending events full");
    } else if (dprintf(fd, "%s\n", line) < 0 || fsync(fd) < 0) {
        snprintf(d->last_error, sizeof d->last_error, "%.300s: %s", path, strerror(errno));
    }
    if (fd >= 0)
        close(fd);
    free(line);
}

static void sink_fn(void *userdata, cJSON *event)
{
    mamori_delivery_add_event(userdata, event);
}

struct mamori_event_sink mamori_delivery_event_sink(struct mamori_delivery *d)
{
    return (struct mamori_event_sink){sink_fn, d};
}

/* Append the pending events (one JSON object per line) to arr. */
static void take_pending_events(struct mamori_delivery *d, cJSON *arr)
{
    char path[PATH_MAX];
    state_path(d, MAMORI_EVENTS_PENDING_FILE, path, sizeof path);
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

static void clear_pending_events(struct mamori_delivery *d)
{
    char path[PATH_MAX];
    state_path(d, MAMORI_EVENTS_PENDING_FILE, path, sizeof path);
    if (unlink(path) == 0)
        mamori_fsync_parent(path);
}

/* ---- signing and spooling ---------------------------------------------- */

/* Replace in place so the member order of the report stays as documented. */
static void set_number(cJSON *obj, const char *name, double v)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, name))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, name, cJSON_CreateNumber(v));
    else
        cJSON_AddNumberToObject(obj, name, v);
}

/* Fill seq, events and spool.dropped; sign. */
static int seal(struct mamori_delivery *d, cJSON *report, uint64_t *seq, char **jws, char *err,
                size_t errlen)
{
    if (mamori_seq_next(d->state_dir, seq, err, errlen) < 0)
        return -1;
    set_number(report, "seq", (double)*seq);
    cJSON *events = cJSON_GetObjectItemCaseSensitive(report, "events");
    if (!cJSON_IsArray(events)) {
        cJSON_DeleteItemFromObjectCaseSensitive(report, "events");
        events = cJSON_AddArrayToObject(report, "events");
    }
    take_pending_events(d, events);
    cJSON *spool = cJSON_GetObjectItemCaseSensitive(report, "spool");
    if (!cJSON_IsObject(spool)) {
        cJSON_DeleteItemFromObjectCaseSensitive(report, "spool");
        spool = cJSON_AddObjectToObject(report, "spool");
    }
    set_number(spool, "dropped", (double)mamori_spool_dropped(d->spool));
    char *text = cJSON_PrintUnformatted(report);
    if (!text || mamori_jws_sign(d->key, text, strlen(text), jws) < 0) {
        snprintf(err, errlen, "cannot sign report %llu", (unsigned long long)*seq);
        free(text);
        return -1;
    }
    free(text);
    return 0;
}

int mamori_delivery_sign(struct mamori_delivery *d, cJSON *report, char **jws, char *err,
                         size_t errlen)
{
    uint64_t seq = 0;
    int rc = seal(d, report, &seq, jws, err, errlen);
    cJSON_Delete(report);
    return rc;
}

static void emit_drop_event(struct mamori_delivery *d, size_t dropped)
{
    cJSON *ev = mamori_event_new(MAMORI_EV_SPOOL_DROPPED, "warning", time(NULL),
                                 "送信待ちの報告が上限を超えたため、古い報告を破棄しました",
                                 "the report spool was full; the oldest reports were dropped");
    cJSON_AddNumberToObject(mamori_event_facts(ev), "dropped", (double)dropped);
    mamori_delivery_add_event(d, ev);
}

int mamori_delivery_submit(struct mamori_delivery *d, cJSON *report, uint64_t *seq_out, char *err,
                           size_t errlen)
{
    uint64_t seq = 0;
    char *jws = NULL;
    uint64_t announced = mamori_spool_dropped(d->spool);
    int rc = seal(d, report, &seq, &jws, err, errlen);
    cJSON_Delete(report);
    if (rc < 0)
        return -1;
    size_t dropped = 0;
    rc = mamori_spool_put(d->spool, seq, jws, strlen(jws), &dropped, err, errlen);
    free(jws);
    if (rc < 0)
        return -1; /* pending events stay for the next attempt */
    /* The report that carries the events and the drop count is durable now. */
    clear_pending_events(d);
    if (announced > 0)
        mamori_spool_clear_dropped(d->spool, announced, err, errlen);
    if (dropped > 0)
        emit_drop_event(d, dropped);
    if (seq_out)
        *seq_out = seq;
    return 0;
}

/* ---- sending ----------------------------------------------------------- */

enum outcome { SENT_OK, SENT_REJECTED, SENT_RETRY, SENT_REENROL };

static const char *response_field(const struct mamori_https_response *r, const char *name,
                                  char *buf, size_t size)
{
    cJSON *j = cJSON_ParseWithLength(r->body, r->len);
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, name));
    snprintf(buf, size, "%s", v ? v : "");
    cJSON_Delete(j);
    return buf;
}

static enum outcome classify(struct mamori_delivery *d, uint64_t seq,
                             const struct mamori_https_response *r)
{
    char field[64];
    if (r->status == 200) {
        response_field(r, "status", field, sizeof field);
        if (strcmp(field, "accepted") == 0 || strcmp(field, "duplicate") == 0)
            return SENT_OK;
    }
    if (r->status == 409)
        return SENT_REJECTED;
    if (r->status == 401 &&
        strcmp(response_field(r, "error", field, sizeof field), "unknown_node") == 0)
        return SENT_REENROL;
    snprintf(d->last_error, sizeof d->last_error, "report %llu: collector answered HTTP %ld %.120s",
             (unsigned long long)seq, r->status, r->body ? r->body : "");
    return SENT_RETRY;
}

static enum outcome send_one(struct mamori_delivery *d, uint64_t seq, const char *jws, size_t len)
{
    char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], url[1100];
    state_path(d, MAMORI_CA_FILE, ca, sizeof ca);
    state_path(d, MAMORI_DEVICE_CERT_FILE, cert, sizeof cert);
    state_path(d, MAMORI_DEVICE_KEY_FILE, key, sizeof key);
    snprintf(url, sizeof url, "%s/v1/reports", d->server);
    struct mamori_https_config cfg = {
        .ca_file = ca, .cert_file = cert, .key_file = key, .proxy = d->proxy};
    struct mamori_https_response r;
    if (mamori_https_post(&cfg, url, "application/jose", jws, len, &r, d->last_error,
                          sizeof d->last_error) < 0)
        return SENT_RETRY;
    enum outcome o = classify(d, seq, &r);
    mamori_https_response_free(&r);
    return o;
}

static void emit_reject_event(struct mamori_delivery *d, uint64_t seq)
{
    cJSON *ev = mamori_event_new(MAMORI_EV_REPORT_REJECTED, "error", time(NULL),
                                 "収集サーバが報告を再送として拒否しました",
                                 "the collector refused a report as a replay");
    cJSON_AddNumberToObject(mamori_event_facts(ev), "seq", (double)seq);
    mamori_delivery_add_event(d, ev);
}

/* Re-enrol with the stored server and CA, using the configured secret. */
static int reenrol(struct mamori_delivery *d)
{
    if (!d->secret_file) {
        snprintf(d->last_error, sizeof d->last_error,
                 "collector does not know this PC; run mamorictl enroll");
        return -1;
    }
    char err[256];
    char *secret = mamori_enroll_read_secret(d->secret_file, err, sizeof err);
    char ca[PATH_MAX], host_id[MAMORI_HOST_ID_LEN + 1] = "";
    state_path(d, MAMORI_CA_FILE, ca, sizeof ca);
    char path[PATH_MAX];
    state_path(d, MAMORI_ENROLL_FILE, path, sizeof path);
    char *text = mamori_read_file(path, 64 * 1024, NULL);
    cJSON *info = text ? cJSON_Parse(text) : NULL;
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(info, "host_id"));
    snprintf(host_id, sizeof host_id, "%s", id ? id : "");
    cJSON_Delete(info);
    free(text);
    int rc = -1;
    if (secret && host_id[0]) {
        struct mamori_enroll_params p = {.server_url = d->server,
                                         .secret = secret,
                                         .state_dir = d->state_dir,
                                         .ca_file = ca,
                                         .host_id = host_id,
                                         .proxy = d->proxy};
        rc = mamori_enroll(&p, err, sizeof err);
    }
    if (rc < 0)
        snprintf(d->last_error, sizeof d->last_error, "re-enrolment failed: %s",
                 secret ? err : "no secret");
    free(secret);
    return rc;
}

static long schedule_retry(struct mamori_delivery *d, time_t now)
{
    long delay = mamori_backoff_delay(d->failures);
    if (d->failures < 64)
        d->failures++;
    d->next_attempt = now + delay;
    return delay;
}

long mamori_delivery_run_once(struct mamori_delivery *d)
{
    time_t now = time(NULL);
    if (now < d->next_attempt)
        return (long)(d->next_attempt - now);
    if (!d->server[0]) {
        snprintf(d->last_error, sizeof d->last_error, "not enrolled: no collector configured");
        return schedule_retry(d, now);
    }
    int reenrolled = 0;
    for (;;) {
        uint64_t seq = 0;
        char *jws = NULL;
        size_t len = 0;
        int rc = mamori_spool_peek_oldest(d->spool, &seq, &jws, &len, d->last_error,
                                          sizeof d->last_error);
        if (rc == 1) {
            d->failures = 0;
            return -1;
        }
        if (rc < 0)
            return schedule_retry(d, now);
        enum outcome o = send_one(d, seq, jws, len);
        free(jws);
        if (o == SENT_REENROL && !reenrolled && reenrol(d) == 0) {
            reenrolled = 1;
            continue;
        }
        if (o == SENT_OK || o == SENT_REJECTED) {
            char err[256];
            rc = o == SENT_OK ? mamori_spool_ack(d->spool, seq, err, sizeof err)
                              : mamori_spool_reject(d->spool, seq, err, sizeof err);
            if (rc < 0) {
                snprintf(d->last_error, sizeof d->last_error, "%s", err);
                return schedule_retry(d, now);
            }
            if (o == SENT_REJECTED)
                emit_reject_event(d, seq);
            else
                d->last_ack = time(NULL);
            d->failures = 0;
            continue;
        }
        return schedule_retry(d, now);
    }
}

void mamori_delivery_kick(struct mamori_delivery *d)
{
    d->next_attempt = 0;
}

cJSON *mamori_delivery_state(const struct mamori_delivery *d)
{
    struct mamori_spool_stats st;
    mamori_spool_stats(d->spool, &st);
    cJSON *s = cJSON_CreateObject();
    char stamp[32];
    cJSON_AddNumberToObject(s, "queue_length", (double)st.count);
    cJSON_AddNumberToObject(s, "queue_bytes", (double)st.bytes);
    cJSON_AddNumberToObject(s, "oldest_seq", (double)st.oldest_seq);
    if (st.oldest_time) {
        mamori_time_rfc3339(st.oldest_time, stamp, sizeof stamp);
        cJSON_AddStringToObject(s, "oldest_time", stamp);
    } else {
        cJSON_AddNullToObject(s, "oldest_time");
    }
    if (d->last_ack) {
        mamori_time_rfc3339(d->last_ack, stamp, sizeof stamp);
        cJSON_AddStringToObject(s, "last_ack_time", stamp);
    } else {
        cJSON_AddNullToObject(s, "last_ack_time");
    }
    if (d->last_error[0])
        cJSON_AddStringToObject(s, "last_error", d->last_error);
    else
        cJSON_AddNullToObject(s, "last_error");
    cJSON_AddNumberToObject(s, "dropped", (double)st.dropped);
    cJSON_AddNumberToObject(s, "rejected", (double)st.rejected);
    time_t now = time(NULL);
    cJSON_AddNumberToObject(s, "backoff_seconds",
                            d->next_attempt > now ? (double)(d->next_attempt - now) : 0);
    cJSON_AddStringToObject(s, "server", d->server);
    return s;
}
