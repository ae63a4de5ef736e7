/* agentd.h -- the resident agent's shared state and the pieces of its loop.
 *
 * mamori-agent is one thread and one epoll loop (agentd.c) over: a signalfd
 * (SIGHUP reload, SIGTERM/SIGINT stop), timerfds for checks and reports, the
 * control socket (control.c), the descriptors of the enforcers (network
 * guard with its NetworkManager Wi-Fi source, USB), and the pipes of its two
 * kinds of short-lived children:
 *
 *   - the posture checks run in a forked child (agentd_checks.c), which
 *     reads users' files (browser databases, settings) and exits;
 *   - reports travel to the collector through mamori-courier
 *     (agentd_delivery.c, courier.c), an unprivileged process that alone
 *     holds the device key, OpenSSL and libcurl, and exits when the spool is
 *     empty or the collector is away;
 *   - when the collector no longer knows the PC, `mamorictl enroll` runs
 *     as a child to enrol it again (agentd_reenrol.c).
 *
 * So what stays resident is small (docs/agent.md, "Memory"), a dead
 * collector never delays a USB or network decision, and nothing wakes the
 * process when it is idle except its own timers. */
#ifndef MAMORI_AGENTD_H
#define MAMORI_AGENTD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "event.h"
#include "policy.h"

#define AGENTD_EVENT_RING  20
#define AGENTD_SOCKET_PATH MAMORI_RUNDIR "/agent.sock"
#define AGENTD_MAX_REQUEST (64 * 1024)
/* Where the package keeps the enrolment secret (debconf answers). */
#define AGENTD_ENROLL_SECRET MAMORI_SYSCONFDIR "/enroll.secret"

#define AGENTD_MAX_WAITING 8 /* control clients waiting for a check run */

struct mamori_net_guard;
struct mamori_wifi_nm;
struct mamori_usb_enforcer;
struct agentd_delivery;
struct agentd_reenrol;

struct agentd_options {
    const char *policy_path;
    const char *state_dir;
    const char *root;       /* file-system root for checks ("" = /) */
    const char *sysfs_root; /* sysfs prefix for enforcement ("" = /) */
    const char *socket_path;
    const char *courier_path;  /* NULL: beside this binary, else the installed one */
    const char *enroll_secret; /* used to enrol again when enroll.json names no secret file */
    bool foreground;
    unsigned check_interval; /* 0 = from the policy */
};

struct agentd {
    struct agentd_options opt;
    struct mamori_policy *policy; /* the last good policy, always valid */
    char reload_error[600];       /* why the last reload failed, "" if it did not */
    time_t started, policy_loaded;
    time_t expiry_checked; /* allow entries ending after this are judged again */
    struct {               /* central policy (agentd_policy.c) */
        bool active;       /* the policy in force is the collector's bundle */
        char group[128];   /* its policy group */
        char offered[80];  /* what the last acknowledgement named */
        char refused[80];  /* a version that failed: not fetched again */
        char last_error[512];
    } central;

    int epoll_fd, signal_fd, check_timer_fd, report_timer_fd, control_fd;
    int watchdog_timer_fd;    /* only when systemd's watchdog is faster than both timers */
    unsigned watchdog_period; /* seconds between keep-alives, 0: no watchdog */
    bool stopping;

    struct mamori_net_guard *net;
    struct mamori_wifi_nm *wifi; /* NetworkManager as the guard's Wi-Fi source, or NULL */
    struct mamori_usb_enforcer *usb;
    struct agentd_delivery *delivery; /* NULL when the state directory is unusable */
    struct agentd_reenrol *reenrol;   /* once the collector says unknown/revoked */
    struct mamori_event_sink sink;    /* enforcers emit here (agentd_event) */

    /* Last results, as the JSON array text the check run wrote: a parsed
     * tree would be four times the size, and is needed only for a status
     * or a report (docs/agent.md, "Memory"). */
    char *checks;
    time_t checks_time;
    struct {       /* the check child, while one runs */
        pid_t pid; /* 0: none */
        int fd;    /* its pipe, -1: none */
        char *out; /* what it wrote so far */
        size_t len, cap;
        time_t started;
        bool report_after;               /* build a report from its results */
        bool rerun;                      /* a request came while it ran: run again */
        int waiting[AGENTD_MAX_WAITING]; /* control clients to answer */
        size_t nwaiting;
        long peak_rss_kib; /* of the last child, for the benchmark */
    } run;
    char *events[AGENTD_EVENT_RING]; /* the most recent events, as JSON text */
    size_t events_next;
    char host_id[80];
};

/* ---- agentd_log.c: logging (both binaries) ------------------------------ */
void agentd_log_open(const char *ident, bool to_stderr);
void agentd_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- agentd.c: the loop ------------------------------------------------- */
int agentd_watch(struct agentd *a, int fd);
void agentd_unwatch(struct agentd *a, int fd);
/* Consume a readable timerfd's expiry count; what names it in the log. */
void agentd_drain_timer(int fd, const char *what);
void agentd_notify(const char *state); /* sd_notify, when under systemd */
/* Half of systemd's WatchdogSec= in seconds, 0 without a watchdog. */
unsigned agentd_watchdog_period(void);

/* ---- agentd_work.c: what the timers and signals do ---------------------- */
void agentd_send_report(struct agentd *a);
void agentd_reload(struct agentd *a);
/* Put fresh (taken) in force: swap, enforcers re-judge, timers, event,
 * checks.  group names the central bundle's group, NULL for the local file.
 * SIGHUP and an accepted central bundle both come here. */
void agentd_install_policy(struct agentd *a, struct mamori_policy *fresh, const char *group);
void agentd_event(void *userdata, cJSON *event); /* the sink function */
cJSON *agentd_status_json(const struct agentd *a);
int agentd_arm_timers(struct agentd *a);
/* obj.key = RFC 3339 time, or null when t is 0. */
void agentd_json_time(cJSON *obj, const char *key, time_t t);

/* ---- agentd_checks.c: the posture checks in a short-lived child --------- */
/* Start a run unless one is going (a run stuck past its time is killed). */
void agentd_checks_start(struct agentd *a);
/* Run now and wait for the results (start-up). */
void agentd_checks_run_and_wait(struct agentd *a);
/* A root client asked check-now/report-now: run, then answer it with the
 * status (and, for report-now, queue a report first and send at once).
 * Returns false when too many are waiting (the caller answers "busy"). */
bool agentd_checks_request(struct agentd *a, int client_fd, bool report);
bool agentd_checks_owns(const struct agentd *a, int fd);
/* The last results as a new JSON array (empty before the first run). */
cJSON *agentd_checks_json(const struct agentd *a);
void agentd_checks_dispatch(struct agentd *a);
void agentd_checks_stop(struct agentd *a);

/* ---- agentd_delivery.c: the outbox and the courier ---------------------- */
/* NULL (and a logged reason) when the state directory cannot hold a spool:
 * the agent then keeps working and reports stay local. */
struct agentd_delivery *agentd_delivery_open(struct agentd *a);
void agentd_delivery_close(struct agentd *a);
void agentd_delivery_submit(struct agentd *a, cJSON *report); /* takes ownership */
/* Keep an event (taken) for the next report; it is on disk once the loop
 * has called agentd_delivery_flush, before it sleeps again: one fsync per
 * wake-up, after every decision of that wake-up is made. */
void agentd_delivery_event(struct agentd *a, cJSON *event);
void agentd_delivery_flush(struct agentd *a);
/* Send now, ignoring the backoff (an operator asked, or the PC was just
 * enrolled again). */
void agentd_delivery_kick(struct agentd *a);
/* Send when the backoff allows (after a re-enrolment that failed). */
void agentd_delivery_resume(struct agentd *a);
bool agentd_delivery_owns(const struct agentd *a, int fd);
void agentd_delivery_dispatch(struct agentd *a, int fd);
cJSON *agentd_delivery_state(const struct agentd *a);

/* ---- agentd_policy.c: local file or central bundle ---------------------- */
/* The policy to run at start (fallback: a stored bundle that fails falls back
 * to the local file) or on SIGHUP (it does not).  0 with *out and *group
 * (malloc'd, NULL for the local file), or -1 with msg. */
int agentd_policy_load(struct agentd *a, bool fallback, struct mamori_policy **out, char **group,
                       char *msg, size_t msglen);
/* Report, once delivery runs, a stored bundle refused at start. */
void agentd_policy_announce(struct agentd *a);
/* An acknowledgement named offer: true when it should be fetched. */
bool agentd_central_wants(struct agentd *a, const char *offer);
/* The courier fetched offer's signed bundle: check, keep, install -- or refuse. */
void agentd_central_receive(struct agentd *a, const char *offer, const char *jws, size_t len);
void agentd_central_unavailable(struct agentd *a, const char *offer, const char *why);
cJSON *agentd_central_state(const struct agentd *a);
/* Re-judge USB devices when a registration or exception has ended. */
void agentd_policy_expiry_tick(struct agentd *a, time_t now);

/* ---- agentd_reenrol.c: enrolling again when the collector forgot the PC -- */
/* What <state>/enroll.json says (mamorictl enroll writes it). */
struct agentd_enrolment {
    char server[1024];
    char host_id[80];
    char secret_file[4096]; /* "" when none was recorded */
};
/* 0, or -1 when the PC is not enrolled (no collector named). */
int agentd_enrolment_read(const char *state_dir, struct agentd_enrolment *out);
/* name beside this program (a build tree), else installed. */
void agentd_find_program(const char *name, const char *installed, char *out, size_t size);
void agentd_reenrol_close(struct agentd *a);
/* The courier's answers that concern enrolment: "unknown_node" starts an
 * attempt when the rate allows, "revoked" never does, a stored report ends
 * the episode. */
void agentd_reenrol_unknown(struct agentd *a);
void agentd_reenrol_revoked(struct agentd *a);
void agentd_reenrol_delivered(struct agentd *a);
bool agentd_reenrol_running(const struct agentd *a); /* no courier meanwhile */
bool agentd_reenrol_owns(const struct agentd *a, int fd);
void agentd_reenrol_dispatch(struct agentd *a, int fd);
cJSON *agentd_reenrol_state(const struct agentd *a);

/* ---- control.c: the control socket -------------------------------------- */
int agentd_control_listen(const char *path);
void agentd_control_accept(struct agentd *a);
void agentd_control_answer(struct agentd *a, int client_fd); /* status, then close */
void agentd_control_close(const char *path, int fd);

/* ---- agentd_enforce.c: enforcers in the loop ---------------------------- */
int agentd_enforce_start(struct agentd *a);
void agentd_enforce_dispatch(struct agentd *a, int fd);
void agentd_enforce_set_policy(struct agentd *a);
cJSON *agentd_enforce_state(const struct agentd *a);
void agentd_enforce_stop(struct agentd *a);

#endif /* MAMORI_AGENTD_H */
