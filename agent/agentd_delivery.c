/* agentd_delivery.c -- reports on their way to the collector, seen from the
 * resident agent.
 *
 * The agent never signs and never speaks TLS.  It seals each report into
 * the spool itself (transport/outbox.h: next seq, pending events, write,
 * fsync, rename) -- so a report is durable the moment it exists, whatever
 * happens to any helper -- and then starts mamori-courier, a separate
 * program that holds the device key, OpenSSL and libcurl, and hands it the
 * spooled reports oldest first over a socketpair (courier_proto.h).  The
 * agent removes a report only when the courier says the collector stored
 * it, so delivery is in order and nothing is lost across outages, restarts
 * or a killed courier (a report sent twice is a "duplicate" to the
 * collector, which stores it once).
 *
 * Privilege separation: the courier parses what the network sends, so it
 * runs as the unprivileged user "mamori" (or "nobody" where the package
 * did not create it), with no supplementary groups, and gets the three
 * files it needs as descriptors the agent opened.  It exits when the spool
 * is empty or the collector is away; the backoff (exponential, full
 * jitter) lives here, in one timerfd, armed only while reports wait after
 * a failure.  While a courier works the same timer bounds its answer.
 * When the collector answers that it does not know the PC, the report
 * stays and agentd_reenrol.c enrols the PC again, then lets delivery go
 * on. */
#include "agentd.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "courier_proto.h"
#include "durable_file.h"
#include "enroll.h"
#include "outbox.h"

#define COURIER_USER          "mamori"
#define COURIER_FALLBACK_USER "nobody"
#define COURIER_WRITE_SECONDS 5

struct agentd_delivery {
    struct mamori_outbox *outbox;
    char courier_path[PATH_MAX];
    pid_t courier;      /* 0: none running */
    int courier_fd;     /* our end of the socketpair, -1: none */
    uint64_t in_flight; /* seq handed over and not answered yet, 0: none */
    char fetching[80];  /* central policy version asked for, "": none */
    char *reply;        /* partial answer line */
    size_t reply_len;
    int timer_fd;        /* backoff, or the courier's answer deadline */
    unsigned failures;   /* consecutive */
    time_t next_attempt; /* CLOCK_MONOTONIC seconds; 0: now */
    time_t last_ack;     /* wall clock, for status */
    long courier_peak_rss_kib;
    cJSON *unflushed; /* events of this wake-up, written before the loop sleeps */
    char server[1024];
    char last_error[1024];
};

static time_t monotonic_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static void arm_timer(struct agentd_delivery *d, time_t seconds)
{
    struct itimerspec its = {.it_value = {.tv_sec = seconds}};

    if (timerfd_settime(d->timer_fd, 0, &its, NULL) != 0)
        agentd_log(LOG_ERR, "delivery timer: %s", strerror(errno));
}

static void set_error(struct agentd_delivery *d, const char *why)
{
    snprintf(d->last_error, sizeof(d->last_error), "%s", why);
}

/* ---- where the courier is, and who it runs as -------------------------- */

/* --courier, else mamori-courier beside this binary (a build tree), else
 * the installed one. */
static void find_courier(const struct agentd *a, char *out, size_t size)
{
    if (a->opt.courier_path != NULL)
        snprintf(out, size, "%s", a->opt.courier_path);
    else
        agentd_find_program("mamori-courier", MAMORI_COURIER_PATH, out, size);
}

/* In the child, before exec: become the courier's user, with no
 * supplementary group, for good.  The user is looked up here, not in the
 * agent, so an NSS module the lookup loads (libnss_systemd...) never stays
 * in the resident process.  Not root (tests): nothing to drop. */
static void drop_to_courier_user(void)
{
    const struct passwd *pw;

    if (geteuid() != 0)
        return;
    pw = getpwnam(COURIER_USER);
    if (pw == NULL)
        pw = getpwnam(COURIER_FALLBACK_USER);
    if (pw == NULL || pw->pw_uid == 0) {
        agentd_log(LOG_ERR, "no unprivileged user for the courier (neither \"" COURIER_USER
                            "\" nor \"" COURIER_FALLBACK_USER "\" exists)");
        _exit(125);
    }
    if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0 ||
        setuid(0) == 0) {
        agentd_log(LOG_ERR, "cannot become user %s for the courier: %s", pw->pw_name,
                   strerror(errno));
        _exit(125);
    }
}

/* ---- enrolment ---------------------------------------------------------- */

/* The collector from <state>/enroll.json: 0, or -1 when not enrolled. */
static int load_server(const struct agentd *a, struct agentd_delivery *d)
{
    struct agentd_enrolment e;

    if (agentd_enrolment_read(a->opt.state_dir, &e) != 0)
        return -1;
    snprintf(d->server, sizeof(d->server), "%s", e.server);
    return 0;
}

/* Open key, certificate and CA for the courier (fds[3]); -1 if one is
 * missing, with the reason. */
static int open_identity_files(const struct agentd *a, int fds[3], char *err, size_t errlen)
{
    static const char *const names[3] = {MAMORI_DEVICE_KEY_FILE, MAMORI_DEVICE_CERT_FILE,
                                         MAMORI_CA_FILE};

    for (int i = 0; i < 3; i++) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", a->opt.state_dir, names[i]);
        fds[i] = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fds[i] < 0) {
            snprintf(err, errlen, "not enrolled: %s: %s", path, strerror(errno));
            while (i-- > 0)
                close(fds[i]);
            return -1;
        }
    }
    return 0;
}

/* ---- the courier process ------------------------------------------------- */

static void __attribute__((noreturn))
exec_courier(const struct agentd *a, const char *path, int sock, const int files[3])
{
    sigset_t none;
    int high[4];

    /* The agent blocks its signals for the signalfd and ignores SIGPIPE;
     * neither is for the courier. */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    /* Lift the descriptors out of the way, then put them where the
     * protocol says; dup2 clears close-on-exec on the copies. */
    high[0] = fcntl(sock, F_DUPFD_CLOEXEC, 10);
    for (int i = 0; i < 3; i++)
        high[i + 1] = fcntl(files[i], F_DUPFD_CLOEXEC, 10);
    if (high[0] < 0 || high[1] < 0 || high[2] < 0 || high[3] < 0 || dup2(high[0], 0) < 0 ||
        dup2(high[0], 1) < 0 || dup2(high[1], COURIER_FD_KEY) < 0 ||
        dup2(high[2], COURIER_FD_CERT) < 0 || dup2(high[3], COURIER_FD_CA) < 0)
        _exit(126);
    close_range(COURIER_FD_CA + 1, ~0U, 0);
    drop_to_courier_user();
    execl(path, "mamori-courier", a->opt.foreground ? "--foreground" : (char *)NULL, (char *)NULL);
    _exit(127);
}

static int send_line(struct agentd_delivery *d, cJSON *msg, char *err, size_t errlen)
{
    char *text = cJSON_PrintUnformatted(msg);
    size_t len, off = 0;

    cJSON_Delete(msg);
    if (text == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    len = strlen(text);
    text[len] = '\n'; /* replaces the NUL */
    while (off <= len) {
        ssize_t n = write(d->courier_fd, text + off, len + 1 - off);
        struct pollfd pfd = {.fd = d->courier_fd, .events = POLLOUT};

        if (n > 0) {
            off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN && poll(&pfd, 1, COURIER_WRITE_SECONDS * 1000) > 0) {
            continue;
        } else {
            snprintf(err, errlen, "cannot write to the courier: %s",
                     n < 0 && errno != EAGAIN ? strerror(errno) : "it does not read");
            free(text);
            return -1;
        }
    }
    free(text);
    return 0;
}

/* Close our end and reap the courier (killed first when it misbehaved). */
static void end_courier(struct agentd *a, bool kill_first)
{
    struct agentd_delivery *d = a->delivery;
    struct rusage ru;
    int status = 0;

    if (d->courier_fd >= 0) {
        agentd_unwatch(a, d->courier_fd);
        close(d->courier_fd);
        d->courier_fd = -1;
    }
    if (d->courier > 0) {
        if (kill_first)
            kill(d->courier, SIGKILL);
        while (wait4(d->courier, &status, 0, &ru) < 0 && errno == EINTR)
            ;
        d->courier_peak_rss_kib = ru.ru_maxrss;
        if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
            agentd_log(LOG_ERR, "courier died of signal %d", WTERMSIG(status));
        else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
            agentd_log(LOG_ERR, "courier exited with status %d%s", WEXITSTATUS(status),
                       WEXITSTATUS(status) >= 125 ? " (it could not be started)" : "");
    }
    d->courier = 0;
    d->in_flight = 0;
    d->fetching[0] = '\0';
    free(d->reply);
    d->reply = NULL;
    d->reply_len = 0;
    arm_timer(d, 0);
}

static void schedule_retry(struct agentd_delivery *d)
{
    long delay = mamori_backoff_delay(d->failures);

    if (d->failures < 64)
        d->failures++;
    d->next_attempt = monotonic_now() + delay;
    arm_timer(d, delay);
    agentd_log(LOG_WARNING, "delivery: %s; next attempt in %ld s", d->last_error, delay);
}

static void courier_failed(struct agentd *a, const char *why)
{
    set_error(a->delivery, why);
    end_courier(a, true);
    schedule_retry(a->delivery);
}

static int spawn_courier(struct agentd *a, char *err, size_t errlen)
{
    struct agentd_delivery *d = a->delivery;
    int files[3], sv[2];
    cJSON *hello;

    if (open_identity_files(a, files, err, errlen) != 0)
        return -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        for (int i = 0; i < 3; i++)
            close(files[i]);
        return -1;
    }
    d->courier = fork();
    if (d->courier == 0)
        exec_courier(a, d->courier_path, sv[1], files);
    close(sv[1]);
    for (int i = 0; i < 3; i++)
        close(files[i]);
    if (d->courier < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        d->courier = 0;
        close(sv[0]);
        return -1;
    }
    d->courier_fd = sv[0];
    if (fcntl(d->courier_fd, F_SETFL, O_NONBLOCK) != 0 || agentd_watch(a, d->courier_fd) != 0) {
        snprintf(err, errlen, "cannot watch the courier: %s", strerror(errno));
        close(d->courier_fd);
        d->courier_fd = -1;
        end_courier(a, true);
        return -1;
    }
    hello = cJSON_CreateObject();
    cJSON_AddStringToObject(hello, "server", d->server);
    if (a->policy->report.proxy != NULL)
        cJSON_AddStringToObject(hello, "proxy", a->policy->report.proxy);
    return send_line(d, hello, err, errlen);
}

/* Hand the oldest report to the courier, or let it go when none is left. */
static void send_next(struct agentd *a)
{
    struct agentd_delivery *d = a->delivery;
    struct mamori_outbox_item item;
    char err[1024];
    cJSON *msg;
    int rc = mamori_outbox_oldest(d->outbox, &item, err, sizeof(err));

    if (rc == 1) {
        end_courier(a, false);
        return;
    }
    if (rc < 0) {
        courier_failed(a, err);
        return;
    }
    msg = cJSON_CreateObject();
    cJSON_AddNumberToObject(msg, "seq", (double)item.seq);
    cJSON_AddStringToObject(msg, item.signed_jws ? "jws" : "payload", item.data);
    mamori_outbox_item_free(&item);
    if (send_line(d, msg, err, sizeof(err)) != 0) {
        courier_failed(a, err);
        return;
    }
    d->in_flight = item.seq;
    arm_timer(d, COURIER_ANSWER_SECONDS);
}

/* Start a courier when reports wait, the backoff allows and we are
 * enrolled.  Not enrolled is not retried on a timer: the next report (or
 * report-now after `mamorictl enroll`) tries again. */
static void try_start(struct agentd *a)
{
    struct agentd_delivery *d = a->delivery;
    struct mamori_spool_stats st;
    char err[1024];
    time_t now = monotonic_now();

    if (d->courier > 0)
        return; /* it takes the next report after the current one */
    if (agentd_reenrol_running(a))
        return; /* it resumes delivery when it is done */
    mamori_outbox_stats(d->outbox, &st);
    if (st.count == 0)
        return;
    if (now < d->next_attempt) {
        arm_timer(d, d->next_attempt - now);
        return;
    }
    if (load_server(a, d) != 0) {
        set_error(d, "not enrolled: no collector configured (mamorictl enroll)");
        return;
    }
    if (spawn_courier(a, err, sizeof(err)) != 0) {
        courier_failed(a, err);
        return;
    }
    send_next(a);
}

/* ---- the courier's answers --------------------------------------------- */

/* The acknowledgement named a central policy version new to the agent: ask
 * the courier for it before the next report (agentd_policy.c checks it). */
static bool fetch_policy(struct agentd *a, const cJSON *answer)
{
    struct agentd_delivery *d = a->delivery;
    const char *offer =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(answer, "policy_bundle"));
    char err[1024];
    cJSON *msg;

    if (!agentd_central_wants(a, offer ? offer : ""))
        return false;
    msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "fetch", "policy");
    cJSON_AddStringToObject(msg, "have", a->policy->version);
    if (send_line(d, msg, err, sizeof(err)) != 0) {
        courier_failed(a, err);
        return true;
    }
    snprintf(d->fetching, sizeof(d->fetching), "%s", offer);
    arm_timer(d, COURIER_ANSWER_SECONDS);
    return true;
}

static void handle_fetched(struct agentd *a, const cJSON *doc)
{
    struct agentd_delivery *d = a->delivery;
    const char *outcome = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "outcome"));
    const char *jws = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "jws"));
    const char *error = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "error"));
    char offer[sizeof(d->fetching)];

    snprintf(offer, sizeof(offer), "%s", d->fetching);
    d->fetching[0] = '\0';
    if (outcome != NULL && strcmp(outcome, COURIER_FETCHED) == 0 && jws != NULL)
        agentd_central_receive(a, offer, jws, strlen(jws));
    else if (outcome != NULL && strcmp(outcome, COURIER_NONE) == 0)
        agentd_central_unavailable(a, offer, "the collector holds no bundle for this PC");
    else
        agentd_central_unavailable(a, offer, error ? error : "the courier gave no reason");
    send_next(a);
}

static void handle_answer(struct agentd *a, const char *line)
{
    struct agentd_delivery *d = a->delivery;
    cJSON *doc = cJSON_Parse(line);
    const char *outcome = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "outcome"));
    const char *error = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "error"));
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(doc, "seq");
    char err[1024];

    if (d->fetching[0] &&
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "fetch")) != NULL) {
        handle_fetched(a, doc);
        cJSON_Delete(doc);
        return;
    }
    if (outcome == NULL || !cJSON_IsNumber(seq) || d->in_flight == 0 ||
        (uint64_t)seq->valuedouble != d->in_flight) {
        cJSON_Delete(doc);
        courier_failed(a, "the courier answered out of turn");
        return;
    }
    snprintf(err, sizeof(err), "%s", error ? error : "the courier gave no reason");
    if (strcmp(outcome, COURIER_STORED) == 0 &&
        mamori_outbox_ack(d->outbox, d->in_flight, err, sizeof(err)) == 0) {
        d->last_ack = time(NULL);
        d->failures = 0;
        d->next_attempt = 0;
        d->last_error[0] = '\0';
        d->in_flight = 0;
        agentd_reenrol_delivered(a);
        if (!fetch_policy(a, doc))
            send_next(a);
    } else if (strcmp(outcome, COURIER_REFUSED) == 0 &&
               mamori_outbox_reject(d->outbox, d->in_flight, err, sizeof(err)) == 0) {
        agentd_log(LOG_ERR, "delivery: %s; kept in spool/rejected", err);
        send_next(a);
    } else {
        /* retry, unknown_node, revoked: keep the report, try again later;
         * the last two concern enrolment, which is not the courier's job. */
        set_error(d, err);
        end_courier(a, false);
        schedule_retry(d);
        if (strcmp(outcome, COURIER_UNKNOWN_NODE) == 0)
            agentd_reenrol_unknown(a);
        else if (strcmp(outcome, COURIER_REVOKED) == 0)
            agentd_reenrol_revoked(a);
    }
    cJSON_Delete(doc);
}

static void read_answers(struct agentd *a)
{
    struct agentd_delivery *d = a->delivery;
    char buf[4096];
    ssize_t n;

    while ((n = read(d->courier_fd, buf, sizeof(buf))) > 0) {
        char *grown = d->reply_len + (size_t)n <= COURIER_MAX_LINE
                          ? realloc(d->reply, d->reply_len + (size_t)n + 1)
                          : NULL;
        char *nl;

        if (grown == NULL) {
            courier_failed(a, "the courier's answer is too long");
            return;
        }
        d->reply = grown;
        memcpy(d->reply + d->reply_len, buf, (size_t)n);
        d->reply_len += (size_t)n;
        d->reply[d->reply_len] = '\0';
        if ((nl = memchr(d->reply, '\n', d->reply_len)) != NULL) {
            char *line = d->reply;
            /* Strictly alternating: nothing may follow the one answer. */
            bool extra = nl + 1 != d->reply + d->reply_len;

            *nl = '\0';
            d->reply = NULL;
            d->reply_len = 0;
            if (extra)
                courier_failed(a, "the courier answered out of turn");
            else
                handle_answer(a, line);
            free(line);
            return;
        }
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR))
        courier_failed(a, "the courier exited before answering");
}

/* ---- the loop's interface ---------------------------------------------- */

struct agentd_delivery *agentd_delivery_open(struct agentd *a)
{
    struct agentd_delivery *d = calloc(1, sizeof(*d));
    char err[512];

    if (d == NULL)
        return NULL;
    d->courier_fd = -1;
    d->outbox = mamori_outbox_open(a->opt.state_dir, 0, 0, err, sizeof(err));
    d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (d->outbox == NULL || d->timer_fd < 0) {
        agentd_log(LOG_ERR, "reports stay local: %s", d->outbox ? strerror(errno) : err);
        goto fail;
    }
    find_courier(a, d->courier_path, sizeof(d->courier_path));
    a->delivery = d;
    if (agentd_watch(a, d->timer_fd) != 0) {
        a->delivery = NULL;
        goto fail;
    }
    /* Reports left from before a restart go out now, not at the next one. */
    try_start(a);
    return d;
fail:
    mamori_outbox_close(d->outbox);
    if (d->timer_fd >= 0)
        close(d->timer_fd);
    free(d);
    return NULL;
}

void agentd_delivery_close(struct agentd *a)
{
    struct agentd_delivery *d = a->delivery;

    if (d == NULL)
        return;
    /* Everything is in the spool: a report the courier is sending now is
     * sent again by the next agent, and stored once by the collector. */
    agentd_delivery_flush(a);
    end_courier(a, true);
    agentd_reenrol_close(a);
    close(d->timer_fd);
    mamori_outbox_close(d->outbox);
    free(d);
    a->delivery = NULL;
}

void agentd_delivery_submit(struct agentd *a, cJSON *report)
{
    char err[1024];
    uint64_t seq = 0;

    agentd_delivery_flush(a); /* this wake-up's events travel in this report */
    if (mamori_outbox_put(a->delivery->outbox, report, &seq, err, sizeof(err)) != 0) {
        agentd_log(LOG_ERR, "report not spooled: %s", err);
        set_error(a->delivery, err);
        return;
    }
    try_start(a);
}

void agentd_delivery_event(struct agentd *a, cJSON *event)
{
    struct agentd_delivery *d = a->delivery;

    if (d->unflushed == NULL && (d->unflushed = cJSON_CreateArray()) == NULL) {
        agentd_log(LOG_ERR, "out of memory: an event was not kept");
        cJSON_Delete(event);
        return;
    }
    cJSON_AddItemToArray(d->unflushed, event);
}

void agentd_delivery_flush(struct agentd *a)
{
    struct agentd_delivery *d = a->delivery;
    char err[512];
    cJSON *events;

    if (d == NULL || d->unflushed == NULL)
        return;
    events = d->unflushed;
    d->unflushed = NULL;
    if (mamori_outbox_add_events(d->outbox, events, err, sizeof(err)) != 0) {
        agentd_log(LOG_ERR, "%s", err);
        set_error(d, err);
    }
}

void agentd_delivery_kick(struct agentd *a)
{
    if (a->delivery == NULL)
        return;
    a->delivery->next_attempt = 0;
    try_start(a);
}

void agentd_delivery_resume(struct agentd *a)
{
    if (a->delivery != NULL)
        try_start(a);
}

bool agentd_delivery_owns(const struct agentd *a, int fd)
{
    return a->delivery != NULL && (fd == a->delivery->timer_fd || fd == a->delivery->courier_fd);
}

void agentd_delivery_dispatch(struct agentd *a, int fd)
{
    struct agentd_delivery *d = a->delivery;

    if (fd == d->courier_fd) {
        read_answers(a);
        return;
    }
    agentd_drain_timer(d->timer_fd, "delivery timer");
    if (d->courier > 0) {
        char why[128];

        snprintf(why, sizeof(why), "the courier did not answer within %d s",
                 COURIER_ANSWER_SECONDS);
        courier_failed(a, why);
    } else {
        try_start(a);
    }
}

cJSON *agentd_delivery_state(const struct agentd *a)
{
    const struct agentd_delivery *d = a->delivery;
    struct mamori_spool_stats st;
    cJSON *s = cJSON_CreateObject();
    time_t now = monotonic_now();

    mamori_outbox_stats(d->outbox, &st);
    cJSON_AddNumberToObject(s, "queue_length", (double)st.count);
    cJSON_AddNumberToObject(s, "queue_bytes", (double)st.bytes);
    cJSON_AddNumberToObject(s, "oldest_seq", (double)st.oldest_seq);
    agentd_json_time(s, "oldest_time", st.oldest_time);
    agentd_json_time(s, "last_ack_time", d->last_ack);
    if (d->last_error[0])
        cJSON_AddStringToObject(s, "last_error", d->last_error);
    else
        cJSON_AddNullToObject(s, "last_error");
    cJSON_AddNumberToObject(s, "dropped", (double)st.dropped);
    cJSON_AddNumberToObject(s, "rejected", (double)st.rejected);
    cJSON_AddNumberToObject(
        s, "backoff_seconds",
        d->courier == 0 && d->next_attempt > now ? (double)(d->next_attempt - now) : 0);
    cJSON_AddStringToObject(s, "server", d->server);
    cJSON_AddBoolToObject(s, "courier_running", d->courier > 0);
    cJSON_AddNumberToObject(s, "courier_peak_rss_kib", (double)d->courier_peak_rss_kib);
    cJSON_AddItemToObject(s, "enrolment", agentd_reenrol_state(a));
    return s;
}
