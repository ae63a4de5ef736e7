/* agentd_checks.c -- the posture checks, run in a short-lived child.
 *
 * A check run forks: the child runs every registered check over the policy
 * in force (the parent's memory, copy-on-write: no policy to serialise, no
 * second binary), writes the results as one JSON array to a pipe and exits.
 * The parent reads the pipe from its epoll loop like any other descriptor.
 * Why a child rather than a function call:
 *
 *   - memory: the checks read big things (a 64 MiB logins.json, browsers'
 *     SQLite databases -- SQLite is dlopen'ed by that check only, see
 *     collectors/passwords_saved.c); whatever they map or allocate dies
 *     with the child, so the resident agent's heap stays as small as it
 *     was (docs/agent.md, "Memory");
 *   - safety: the checks parse files that users control; a parser bug
 *     crashes a child, never the process that enforces USB and network;
 *   - latency: a USB uevent arriving during a run is decided at once, not
 *     after the run.
 *
 * A run that outlives AGENTD_CHECKS_MAX_SECONDS is killed when the next one
 * is due, and its results are missing rather than late.  The child runs as
 * root like the agent: the checks read users' private settings. */
#include "agentd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "check.h"
#include "wifi_nm.h"

#define AGENTD_CHECKS_MAX_SECONDS 120
#define AGENTD_CHECKS_MAX_OUTPUT  (4 * 1024 * 1024)

/* ---- the child ---------------------------------------------------------- */

static void write_all_or_exit(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(1);
        p += n;
        len -= (size_t)n;
    }
}

static void __attribute__((noreturn)) run_child(struct agentd *a, int out)
{
    /* The Wi-Fi source answers from what it already knows (no D-Bus call
     * here: the bus connection is the parent's). */
    struct mamori_check_ctx ctx = {.root = a->opt.root,
                                   .policy = a->policy,
                                   .now = time(NULL),
                                   .sysfs_root = a->opt.sysfs_root[0] ? a->opt.sysfs_root : NULL,
                                   .wifi =
                                       a->net && a->wifi ? mamori_wifi_nm_source(a->wifi) : NULL};
    int status = 0;
    cJSON *doc;

    /* Keep only the pipe: a copy of a control client's socket or of the
     * courier's would delay the EOF its peer waits for. */
    close_range(3, (unsigned)out - 1, 0);
    close_range((unsigned)out + 1, ~0U, 0);
    doc = mamori_check_run_all(&ctx, &status);
    cJSON *checks = cJSON_GetObjectItemCaseSensitive(doc, "checks");
    char *text = checks ? cJSON_PrintUnformatted(checks) : NULL;

    if (text == NULL)
        _exit(1);
    write_all_or_exit(out, text, strlen(text));
    free(text);
    cJSON_Delete(doc);
    /* _exit: the parent's stdio buffers and atexit handlers are not ours. */
    _exit(status == 2 ? 3 : 0);
}

/* ---- the parent --------------------------------------------------------- */

static void reset_output(struct agentd *a)
{
    free(a->run.out);
    a->run.out = NULL;
    a->run.len = a->run.cap = 0;
}

/* Reap the child; the exit status explains a run without results. */
static int reap(struct agentd *a, bool kill_first)
{
    struct rusage ru;
    int status = 0;

    if (kill_first)
        kill(a->run.pid, SIGKILL);
    while (wait4(a->run.pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
    a->run.peak_rss_kib = ru.ru_maxrss;
    a->run.pid = 0;
    if (a->run.fd >= 0) {
        agentd_unwatch(a, a->run.fd);
        close(a->run.fd);
        a->run.fd = -1;
    }
    return status;
}

void agentd_checks_start(struct agentd *a)
{
    int fds[2];

    if (a->run.pid > 0) {
        if (time(NULL) - a->run.started < AGENTD_CHECKS_MAX_SECONDS) {
            agentd_log(LOG_NOTICE, "checks: the previous run is still going");
            return;
        }
        agentd_log(LOG_ERR, "checks: a run took over %d s and was stopped",
                   AGENTD_CHECKS_MAX_SECONDS);
        reap(a, true);
        reset_output(a);
    }
    if (pipe2(fds, O_CLOEXEC) != 0) {
        agentd_log(LOG_ERR, "checks: pipe: %s", strerror(errno));
        return;
    }
    a->run.pid = fork();
    if (a->run.pid == 0) {
        close(fds[0]);
        run_child(a, fds[1]);
    }
    close(fds[1]);
    if (a->run.pid < 0) {
        agentd_log(LOG_ERR, "checks: fork: %s", strerror(errno));
        a->run.pid = 0;
        close(fds[0]);
        return;
    }
    a->run.fd = fds[0];
    a->run.started = time(NULL);
    if (agentd_watch(a, a->run.fd) != 0) {
        reap(a, true);
        reset_output(a);
    }
}

cJSON *agentd_checks_json(const struct agentd *a)
{
    cJSON *checks = a->checks ? cJSON_Parse(a->checks) : NULL;

    return checks ? checks : cJSON_CreateArray();
}

bool agentd_checks_owns(const struct agentd *a, int fd)
{
    return a->run.fd >= 0 && fd == a->run.fd;
}

static void adopt_results(struct agentd *a, int status)
{
    cJSON *checks = a->run.out ? cJSON_ParseWithLength(a->run.out, a->run.len) : NULL;
    bool valid = cJSON_IsArray(checks);
    char *text;

    cJSON_Delete(checks); /* valid: keep the text, not the tree */
    if (!valid) {
        if (WIFSIGNALED(status))
            agentd_log(LOG_ERR, "checks: the run died of signal %d; previous results kept",
                       WTERMSIG(status));
        else
            agentd_log(LOG_ERR, "checks: the run gave no results (exit %d); previous kept",
                       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return;
    }
    text = realloc(a->run.out, a->run.len + 1);
    if (text == NULL)
        return;
    text[a->run.len] = '\0';
    a->run.out = NULL;
    a->run.len = a->run.cap = 0;
    free(a->checks);
    a->checks = text;
    a->checks_time = a->run.started;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
        agentd_log(LOG_NOTICE, "posture: a check errors");
}

/* The run is over: results in, then whoever waited for them -- unless one
 * asked while it ran, and so waits for a run that starts after its
 * request (what the operator just fixed must show). */
static void finish(struct agentd *a, int status)
{
    bool report = a->run.report_after;

    adopt_results(a, status);
    reset_output(a);
    if (a->run.rerun) {
        a->run.rerun = false;
        agentd_checks_start(a);
        if (a->run.pid > 0)
            return;
    }
    a->run.report_after = false;
    if (report) {
        agentd_send_report(a);
        agentd_delivery_kick(a);
    }
    for (size_t i = 0; i < a->run.nwaiting; i++)
        agentd_control_answer(a, a->run.waiting[i]);
    a->run.nwaiting = 0;
}

/* Read what is there; true at end of output (EOF, error or too much). */
static bool read_output(struct agentd *a)
{
    for (;;) {
        if (a->run.cap - a->run.len < 4096) {
            size_t cap = a->run.cap ? a->run.cap * 2 : 16384;
            char *grown = cap <= AGENTD_CHECKS_MAX_OUTPUT ? realloc(a->run.out, cap) : NULL;

            if (grown == NULL) {
                agentd_log(LOG_ERR, "checks: results larger than %d bytes",
                           AGENTD_CHECKS_MAX_OUTPUT);
                reset_output(a);
                return true;
            }
            a->run.out = grown;
            a->run.cap = cap;
        }
        ssize_t n = read(a->run.fd, a->run.out + a->run.len, a->run.cap - a->run.len);

        if (n > 0)
            a->run.len += (size_t)n;
        else if (n < 0 && errno == EINTR)
            continue;
        else
            return n == 0 || errno != EAGAIN;
    }
}

void agentd_checks_dispatch(struct agentd *a)
{
    if (read_output(a))
        finish(a, reap(a, false));
}

void agentd_checks_run_and_wait(struct agentd *a)
{
    agentd_checks_start(a);
    while (a->run.pid > 0) {
        struct pollfd pfd = {.fd = a->run.fd, .events = POLLIN};
        int n = poll(&pfd, 1, AGENTD_CHECKS_MAX_SECONDS * 1000);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            agentd_log(LOG_ERR, "checks: no results within %d s", AGENTD_CHECKS_MAX_SECONDS);
            finish(a, reap(a, true));
            return;
        }
        agentd_checks_dispatch(a);
    }
}

bool agentd_checks_request(struct agentd *a, int client_fd, bool report)
{
    if (a->run.nwaiting == AGENTD_MAX_WAITING)
        return false;
    a->run.waiting[a->run.nwaiting++] = client_fd;
    a->run.report_after |= report;
    if (a->run.pid > 0)
        a->run.rerun = true;
    else
        agentd_checks_start(a);
    return true;
}

void agentd_checks_stop(struct agentd *a)
{
    if (a->run.pid > 0)
        reap(a, true);
    reset_output(a);
    for (size_t i = 0; i < a->run.nwaiting; i++)
        close(a->run.waiting[i]);
    a->run.nwaiting = 0;
}
