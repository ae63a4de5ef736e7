/* agentd_reenrol.c -- enrolling again when the collector forgets this PC.
 *
 * The collector answers a report with 401 "unknown_node" when no host has
 * this PC's key: its database was restored from a backup older than the
 * enrolment, or an operator removed the host (`mamori-server host remove`).
 * The courier cannot help -- it runs unprivileged and may write nothing --
 * so the resident agent does it: it fork+execs `mamorictl enroll` as root
 * with the settings the PC was enrolled with: the collector and host id of
 * <state>/enroll.json, the CA the PC already pinned (<state>/ca.crt), the
 * secret file recorded there (else --enroll-secret, by default
 * /etc/mamori/enroll.secret), and the same device key.  The collector thus
 * sees the same host with the same key, and the reports spooled meanwhile
 * go out in order with their seq.
 *
 * Why mamorictl and not the package's enroll-from-conf: it is on every PC
 * whoever enrolled it (the package, an operator, a test), it pins the CA
 * the PC verified at its first enrolment rather than whatever a
 * configuration file says now, and enroll-from-conf does nothing once
 * device.crt exists.
 *
 * Never in the loop's way: the child's output comes through a pipe in the
 * epoll set, its exit status by waitpid at EOF, and a timerfd kills it
 * after REENROL_CHILD_SECONDS.  Rate: at most one attempt every
 * REENROL_MIN_INTERVAL seconds, doubling after each attempt that did not
 * bring delivery back, up to REENROL_MAX_INTERVAL.  Attempts are started
 * by the courier's "unknown_node" answers -- delivery's own retries with
 * their backoff and jitter -- so there is no second retry loop.
 *
 * A key the collector revoked ("revoked") is never enrolled again
 * automatically: that is the collector's decision, and an agent that
 * fought it would also let two PCs sharing a host id take it from each
 * other in turn.  Status says so until a report is stored again. */
#include "agentd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "durable_file.h"
#include "enroll.h"
#include "event.h"

#define REENROL_MIN_INTERVAL  300        /* 5 min between two attempts, always */
#define REENROL_MAX_INTERVAL  (6 * 3600) /* the backoff's cap */
#define REENROL_CHILD_SECONDS 120        /* mamorictl's own limits: 10 s connect, 30 s request */
#define REENROL_OUTPUT_MAX    2048       /* what is kept of the child's messages */

enum reenrol_state {
    REENROL_OK,      /* the collector knows this PC (as far as we know) */
    REENROL_UNKNOWN, /* it said unknown_node; waiting for the next attempt, or unable */
    REENROL_RUNNING, /* mamorictl enroll is running */
    REENROL_REVOKED, /* it said revoked: nothing is done about it here */
};

struct agentd_reenrol {
    enum reenrol_state state;
    pid_t pid;    /* the child, 0: none */
    int fd;       /* its stdout and stderr, -1: none */
    int timer_fd; /* its deadline; armed only while it runs */
    char output[REENROL_OUTPUT_MAX];
    size_t output_len;
    unsigned failures;                    /* attempts since delivery last worked */
    bool awaiting_delivery;               /* enrolled again; not confirmed by a stored report yet */
    bool told;                            /* this episode's "cannot" was logged and reported */
    time_t next_allowed;                  /* CLOCK_MONOTONIC seconds */
    time_t last_attempt, last_reenrolled; /* wall clock, for status */
    char reason[32];                      /* why the last attempt failed or could not start */
    char detail[512];
    char secret_file[PATH_MAX]; /* the secret an attempt would use, "" if none */
    struct agentd_enrolment record;
};

static time_t monotonic_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static time_t interval_after(unsigned failures)
{
    time_t t = REENROL_MIN_INTERVAL;

    while (failures-- > 0 && t < REENROL_MAX_INTERVAL)
        t *= 2;
    return t < REENROL_MAX_INTERVAL ? t : REENROL_MAX_INTERVAL;
}

/* ---- shared with delivery ------------------------------------------------ */

void agentd_find_program(const char *name, const char *installed, char *out, size_t size)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *slash;

    if (n > 0) {
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash != NULL &&
            snprintf(out, size, "%.*s/%s", (int)(slash - self), self, name) < (int)size &&
            access(out, X_OK) == 0)
            return;
    }
    snprintf(out, size, "%s", installed);
}

int agentd_enrolment_read(const char *state_dir, struct agentd_enrolment *out)
{
    char path[PATH_MAX];
    char *text;
    cJSON *info;
    const char *server, *host_id, *secret_file;

    memset(out, 0, sizeof(*out));
    snprintf(path, sizeof(path), "%s/" MAMORI_ENROLL_FILE, state_dir);
    text = mamori_read_file(path, 64 * 1024, NULL);
    info = text ? cJSON_Parse(text) : NULL;
    server = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(info, "server"));
    host_id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(info, "host_id"));
    secret_file = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(info, "secret_file"));
    if (server != NULL)
        snprintf(out->server, sizeof(out->server), "%s", server);
    if (host_id != NULL)
        snprintf(out->host_id, sizeof(out->host_id), "%s", host_id);
    if (secret_file != NULL)
        snprintf(out->secret_file, sizeof(out->secret_file), "%s", secret_file);
    cJSON_Delete(info);
    free(text);
    return server != NULL ? 0 : -1;
}

/* ---- events ---------------------------------------------------------------- */

static void emit(struct agentd *a, const char *type, const char *severity, const char *ja,
                 const char *en)
{
    struct agentd_reenrol *r = a->reenrol;
    cJSON *ev = mamori_event_new(type, severity, time(NULL), ja, en);
    cJSON *facts = ev ? mamori_event_facts(ev) : NULL;

    if (facts != NULL) {
        cJSON_AddStringToObject(facts, "server", r->record.server);
        cJSON_AddStringToObject(facts, "host_id", r->record.host_id);
        if (strcmp(type, MAMORI_EV_AGENT_REENROL_FAILED) == 0) {
            cJSON_AddStringToObject(facts, "reason", r->reason);
            cJSON_AddStringToObject(facts, "detail", r->detail);
            cJSON_AddNumberToObject(facts, "attempts", r->failures);
        }
    }
    mamori_event_emit(&a->sink, ev);
}

static void failed(struct agentd *a, const char *reason, const char *detail)
{
    struct agentd_reenrol *r = a->reenrol;

    snprintf(r->reason, sizeof(r->reason), "%s", reason);
    snprintf(r->detail, sizeof(r->detail), "%s", detail);
    r->state = REENROL_UNKNOWN;
}

/* ---- the child ------------------------------------------------------------- */

static void __attribute__((noreturn))
exec_enrol(char *const argv[], char *const envp[], const char *path, int out)
{
    sigset_t none;
    int null = open("/dev/null", O_RDONLY);

    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        _exit(126);
    /* Nothing of the agent's: not a control client's socket, not the
     * courier's, not the netlink sockets. */
    close_range(3, ~0U, 0);
    execve(path, argv, envp);
    _exit(127);
}

extern char **environ;

/* The environment of the child: a known PATH and messages in English (the
 * reason goes into status and reports); sanitizer settings pass through. */
static void child_env(char *envp[], size_t max)
{
    static const char *const keep[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"};
    size_t n = 0;

    envp[n++] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    envp[n++] = "LC_ALL=C.UTF-8";
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        size_t len = strlen(keep[i]);

        for (char **e = environ; *e != NULL && n + 1 < max; e++)
            if (strncmp(*e, keep[i], len) == 0 && (*e)[len] == '=')
                envp[n++] = *e;
    }
    envp[n] = NULL;
}

static int spawn(struct agentd *a)
{
    struct agentd_reenrol *r = a->reenrol;
    char program[PATH_MAX], ca[PATH_MAX];
    char *argv[] = {"mamorictl",
                    "enroll",
                    "--server",
                    r->record.server,
                    "--host-id",
                    r->record.host_id,
                    "--secret-file",
                    r->secret_file,
                    "--ca-file",
                    ca,
                    "--state-dir",
                    (char *)a->opt.state_dir,
                    "--policy",
                    (char *)a->opt.policy_path,
                    NULL};
    char *envp[8];
    int fds[2];
    struct itimerspec deadline = {.it_value = {.tv_sec = REENROL_CHILD_SECONDS}};

    agentd_find_program("mamorictl", MAMORI_CTL_PATH, program, sizeof(program));
    snprintf(ca, sizeof(ca), "%s/" MAMORI_CA_FILE, a->opt.state_dir);
    child_env(envp, sizeof(envp) / sizeof(envp[0]));
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    r->pid = fork();
    if (r->pid == 0)
        exec_enrol(argv, envp, program, fds[1]);
    close(fds[1]);
    if (r->pid < 0) {
        r->pid = 0;
        close(fds[0]);
        return -1;
    }
    r->fd = fds[0];
    r->output_len = 0;
    if (fcntl(r->fd, F_SETFL, O_NONBLOCK) != 0 || agentd_watch(a, r->fd) != 0) {
        close(r->fd);
        r->fd = -1;
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
        return -1;
    }
    timerfd_settime(r->timer_fd, 0, &deadline, NULL);
    return 0;
}

/* The last line the child wrote, without "mamorictl: " and the like. */
static const char *child_reason(struct agentd_reenrol *r)
{
    char *line, *nl;

    r->output[r->output_len] = '\0';
    while (r->output_len > 0 &&
           (r->output[r->output_len - 1] == '\n' || r->output[r->output_len - 1] == ' '))
        r->output[--r->output_len] = '\0';
    nl = strrchr(r->output, '\n');
    line = nl ? nl + 1 : r->output;
    if (strncmp(line, "mamorictl: ", 11) == 0)
        line += 11;
    if (strncmp(line, "enrolment failed: ", 18) == 0)
        line += 18;
    return line[0] ? line : "mamorictl enroll said nothing";
}

/* ---- attempts ------------------------------------------------------------ */

/* The secret an attempt would use: the file recorded at enrolment, else
 * the configured one.  "" when neither is there. */
static void find_secret(const struct agentd *a, struct agentd_reenrol *r)
{
    struct stat st;

    r->secret_file[0] = '\0';
    if (r->record.secret_file[0] && stat(r->record.secret_file, &st) == 0 && S_ISREG(st.st_mode))
        snprintf(r->secret_file, sizeof(r->secret_file), "%s", r->record.secret_file);
    else if (stat(a->opt.enroll_secret, &st) == 0 && S_ISREG(st.st_mode))
        snprintf(r->secret_file, sizeof(r->secret_file), "%s", a->opt.enroll_secret);
}

/* Why an attempt cannot even start (once per episode in the log and the
 * reports: nothing changes until someone acts). */
static void cannot(struct agentd *a, const char *reason, const char *detail)
{
    struct agentd_reenrol *r = a->reenrol;
    bool again = r->told && strcmp(r->reason, reason) == 0;

    failed(a, reason, detail);
    if (again)
        return;
    r->told = true;
    agentd_log(LOG_ERR, "the collector does not know this PC and it cannot enrol again: %s",
               detail);
    emit(a, MAMORI_EV_AGENT_REENROL_FAILED, "error",
         "収集サーバがこの PC を認識していませんが、自動で再登録できません",
         "the collector does not know this PC, and it cannot enrol again by itself");
}

static void attempt(struct agentd *a)
{
    struct agentd_reenrol *r = a->reenrol;
    char detail[sizeof(r->detail)];

    if (agentd_enrolment_read(a->opt.state_dir, &r->record) != 0 || !r->record.host_id[0]) {
        snprintf(detail, sizeof(detail), "%s/" MAMORI_ENROLL_FILE " names no collector or host id",
                 a->opt.state_dir);
        cannot(a, "not_enrolled", detail);
        return;
    }
    find_secret(a, r);
    if (!r->secret_file[0]) {
        snprintf(detail, sizeof(detail), "no enrolment secret is stored on this PC (%s)",
                 r->record.secret_file[0] ? r->record.secret_file : a->opt.enroll_secret);
        cannot(a, "no_secret", detail);
        return;
    }
    if (monotonic_now() < r->next_allowed)
        return; /* status shows when the next one may start */
    r->last_attempt = time(NULL);
    r->next_allowed = monotonic_now() + interval_after(r->failures);
    if (spawn(a) != 0) {
        snprintf(detail, sizeof(detail), "cannot start mamorictl enroll: %s", strerror(errno));
        r->failures++;
        failed(a, "failed", detail);
        emit(a, MAMORI_EV_AGENT_REENROL_FAILED, "warning", "再登録を開始できませんでした",
             "re-enrolment could not start");
        return;
    }
    r->state = REENROL_RUNNING;
    agentd_log(LOG_WARNING,
               "the collector does not know this PC: enrolling again with %s (host %s, "
               "secret from %s)",
               r->record.server, r->record.host_id, r->secret_file);
}

/* The child is gone: exit status 0 is a new certificate in the state
 * directory. */
static void finished(struct agentd *a, int status, bool timed_out)
{
    struct agentd_reenrol *r = a->reenrol;
    char detail[sizeof(r->detail)];
    struct itimerspec off = {0};

    timerfd_settime(r->timer_fd, 0, &off, NULL);
    if (!timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        r->state = REENROL_OK;
        r->awaiting_delivery = true;
        r->told = false;
        r->reason[0] = r->detail[0] = '\0';
        r->last_reenrolled = time(NULL);
        agentd_log(LOG_NOTICE, "enrolled again with %s; delivering the waiting reports",
                   r->record.server);
        emit(a, MAMORI_EV_AGENT_REENROLLED, "warning",
             "収集サーバがこの PC を認識していなかったため、自動で再登録しました",
             "the collector did not know this PC; it enrolled again by itself");
        agentd_delivery_kick(a);
        return;
    }
    if (timed_out)
        snprintf(detail, sizeof(detail), "mamorictl enroll did not finish within %d s",
                 REENROL_CHILD_SECONDS);
    else
        snprintf(detail, sizeof(detail), "%s (exit status %d)", child_reason(r),
                 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    r->failures++;
    failed(a, timed_out ? "timeout" : "failed", detail);
    agentd_log(LOG_ERR, "enrolling again failed: %s; next attempt in %ld s at the earliest", detail,
               (long)(r->next_allowed - monotonic_now()));
    emit(a, MAMORI_EV_AGENT_REENROL_FAILED, "warning", "自動再登録に失敗しました",
         "automatic re-enrolment failed");
    agentd_delivery_resume(a);
}

static void reap(struct agentd *a, bool timed_out)
{
    struct agentd_reenrol *r = a->reenrol;
    int status = 0;

    if (r->fd >= 0) {
        agentd_unwatch(a, r->fd);
        close(r->fd);
        r->fd = -1;
    }
    if (timed_out)
        kill(r->pid, SIGKILL);
    while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
        ;
    r->pid = 0;
    finished(a, status, timed_out);
}

static void read_output(struct agentd *a)
{
    struct agentd_reenrol *r = a->reenrol;
    char buf[512];
    ssize_t n;

    /* Keep the end (buf is smaller than output): the reason is on the
     * last line. */
    while ((n = read(r->fd, buf, sizeof(buf))) > 0) {
        size_t room = sizeof(r->output) - 1;

        if (r->output_len + (size_t)n > room) {
            size_t drop = r->output_len + (size_t)n - room;

            memmove(r->output, r->output + drop, r->output_len - drop);
            r->output_len -= drop;
        }
        memcpy(r->output + r->output_len, buf, (size_t)n);
        r->output_len += (size_t)n;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR))
        reap(a, false);
}

/* ---- the loop's interface ---------------------------------------------- */

/* The state, made when the collector first says something about enrolment:
 * most PCs never need it, and the resident agent keeps nothing for it. */
static struct agentd_reenrol *state_of(struct agentd *a)
{
    struct agentd_reenrol *r = a->reenrol;

    if (r != NULL)
        return r;
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        agentd_log(LOG_ERR, "out of memory: cannot enrol again");
        return NULL;
    }
    r->fd = -1;
    r->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (r->timer_fd < 0 || agentd_watch(a, r->timer_fd) != 0) {
        agentd_log(LOG_ERR, "re-enrolment timer: %s", strerror(errno));
        if (r->timer_fd >= 0)
            close(r->timer_fd);
        free(r);
        return NULL;
    }
    a->reenrol = r;
    return r;
}

void agentd_reenrol_close(struct agentd *a)
{
    struct agentd_reenrol *r = a->reenrol;

    if (r == NULL)
        return;
    if (r->pid > 0) {
        /* A half-done enrolment is harmless: mamorictl writes each file
         * durably, and the next agent starts over. */
        if (r->fd >= 0)
            close(r->fd);
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
    }
    close(r->timer_fd);
    free(r);
    a->reenrol = NULL;
}

void agentd_reenrol_unknown(struct agentd *a)
{
    struct agentd_reenrol *r = state_of(a);

    if (r == NULL || r->state == REENROL_RUNNING)
        return;
    if (r->awaiting_delivery) {
        /* Enrolled again, and still unknown: that attempt did not help. */
        r->awaiting_delivery = false;
        r->failures++;
        r->next_allowed = monotonic_now() + interval_after(r->failures);
        failed(a, "still_unknown",
               "the collector accepted the enrolment but still does not "
               "know this PC's reports");
    }
    r->state = REENROL_UNKNOWN;
    attempt(a);
}

void agentd_reenrol_revoked(struct agentd *a)
{
    struct agentd_reenrol *r = state_of(a);

    if (r == NULL || r->state == REENROL_REVOKED || r->state == REENROL_RUNNING)
        return;
    r->state = REENROL_REVOKED;
    r->awaiting_delivery = false;
    agentd_enrolment_read(a->opt.state_dir, &r->record);
    agentd_log(LOG_ERR,
               "the collector %s revoked this PC's key: reports are kept, and the PC "
               "is not enrolled again automatically",
               r->record.server);
    emit(a, MAMORI_EV_AGENT_REVOKED, "error",
         "収集サーバがこの PC の鍵を失効させています。自動では再登録しません",
         "the collector revoked this PC's key; it is not enrolled again automatically");
}

void agentd_reenrol_delivered(struct agentd *a)
{
    struct agentd_reenrol *r = a->reenrol;

    if (r == NULL || (r->state == REENROL_OK && !r->awaiting_delivery && r->failures == 0))
        return;
    if (r->state != REENROL_RUNNING)
        r->state = REENROL_OK;
    r->awaiting_delivery = false;
    r->failures = 0;
    r->told = false;
    r->reason[0] = r->detail[0] = '\0';
}

bool agentd_reenrol_running(const struct agentd *a)
{
    return a->reenrol != NULL && a->reenrol->pid > 0;
}

bool agentd_reenrol_owns(const struct agentd *a, int fd)
{
    return a->reenrol != NULL && (fd == a->reenrol->fd || fd == a->reenrol->timer_fd);
}

void agentd_reenrol_dispatch(struct agentd *a, int fd)
{
    struct agentd_reenrol *r = a->reenrol;

    if (fd == r->fd) {
        read_output(a);
        return;
    }
    agentd_drain_timer(r->timer_fd, "re-enrolment timer");
    if (r->pid > 0)
        reap(a, true);
}

static const char *state_name(enum reenrol_state s)
{
    switch (s) {
    case REENROL_UNKNOWN:
        return "unknown";
    case REENROL_RUNNING:
        return "reenrolling";
    case REENROL_REVOKED:
        return "revoked";
    default:
        return "enrolled";
    }
}

static void add_string_or_null(cJSON *obj, const char *key, const char *value)
{
    if (value != NULL && value[0])
        cJSON_AddStringToObject(obj, key, value);
    else
        cJSON_AddNullToObject(obj, key);
}

cJSON *agentd_reenrol_state(const struct agentd *a)
{
    const struct agentd_reenrol *r = a->reenrol;
    cJSON *s = cJSON_CreateObject();
    time_t now = monotonic_now();
    char manual[PATH_MAX * 2 + 1200];

    struct agentd_enrolment record;
    enum reenrol_state state = r != NULL ? r->state : REENROL_OK;

    cJSON_AddStringToObject(s, "state",
                            state == REENROL_OK &&
                                    agentd_enrolment_read(a->opt.state_dir, &record) != 0
                                ? "not_enrolled"
                                : state_name(state));
    if (r == NULL) /* the collector never said anything about enrolment */
        return s;
    cJSON_AddBoolToObject(s, "automatic",
                          r->state != REENROL_REVOKED && strcmp(r->reason, "no_secret") != 0 &&
                              strcmp(r->reason, "not_enrolled") != 0);
    /* The secret an attempt uses, or where one is expected. */
    cJSON_AddStringToObject(s, "secret_file",
                            r->secret_file[0]          ? r->secret_file
                            : r->record.secret_file[0] ? r->record.secret_file
                                                       : a->opt.enroll_secret);
    cJSON_AddBoolToObject(s, "secret_stored", strcmp(r->reason, "no_secret") != 0);
    cJSON_AddNumberToObject(s, "failures", r->failures);
    add_string_or_null(s, "reason", r->reason);
    add_string_or_null(s, "detail", r->detail);
    agentd_json_time(s, "last_attempt", r->last_attempt);
    agentd_json_time(s, "last_reenrolled", r->last_reenrolled);
    cJSON_AddNumberToObject(
        s, "next_attempt_seconds",
        r->state == REENROL_UNKNOWN && r->next_allowed > now ? (double)(r->next_allowed - now) : 0);
    /* What a person can do when the agent cannot. */
    snprintf(manual, sizeof(manual),
             "mamorictl enroll --server %s --secret-file %s --ca-file %s/" MAMORI_CA_FILE,
             r->record.server[0] ? r->record.server : "URL",
             r->record.secret_file[0] ? r->record.secret_file : a->opt.enroll_secret,
             a->opt.state_dir);
    add_string_or_null(s, "manual_command", r->state == REENROL_UNKNOWN ? manual : NULL);
    return s;
}
