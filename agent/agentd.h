/* agentd.h -- the resident agent's shared state and the pieces of its loop.
 *
 * mamori-agent is one epoll loop (agentd.c) over: a signalfd (SIGHUP reload,
 * SIGTERM/SIGINT stop), timerfds for checks and reports, the control socket
 * (control.c), and the descriptors of the enforcers (network guard with its
 * NetworkManager Wi-Fi source, USB).
 * Delivery to the collector runs in its own thread (agentd_courier.c)
 * because it waits on the network: a dead collector must never delay a USB
 * or network decision.  Nothing wakes the process when it is idle except its
 * own timers. */
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

struct mamori_net_guard;
struct mamori_wifi_nm;
struct mamori_usb_enforcer;
struct agentd_courier;

struct agentd_options {
    const char *policy_path;
    const char *state_dir;
    const char *root;       /* file-system root for checks ("" = /) */
    const char *sysfs_root; /* sysfs prefix for enforcement ("" = /) */
    const char *socket_path;
    bool foreground;
    unsigned check_interval; /* 0 = from the policy */
};

struct agentd {
    struct agentd_options opt;
    struct mamori_policy *policy; /* the last good policy, always valid */
    char reload_error[600];       /* why the last reload failed, "" if it did not */
    time_t started, policy_loaded;

    int epoll_fd, signal_fd, check_timer_fd, report_timer_fd, control_fd;
    bool stopping;

    struct mamori_net_guard *net;
    struct mamori_wifi_nm *wifi; /* NetworkManager as the guard's Wi-Fi source, or NULL */
    struct mamori_usb_enforcer *usb;
    struct agentd_courier *courier; /* NULL when not enrolled / no state */
    struct mamori_event_sink sink;  /* enforcers emit here (agentd_event) */

    cJSON *checks; /* last results: array from mamori_check_run_all */
    time_t checks_time;
    cJSON *events[AGENTD_EVENT_RING]; /* ring of the most recent events */
    size_t events_next;
    char host_id[80];
};

/* ---- agentd.c: logging ------------------------------------------------- */
void agentd_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- agentd_work.c: what the timers and signals do ---------------------- */
void agentd_run_checks(struct agentd *a);
void agentd_send_report(struct agentd *a);
void agentd_report_now(struct agentd *a); /* report, and deliver past the backoff */
void agentd_reload(struct agentd *a);
void agentd_event(void *userdata, cJSON *event); /* the sink function */
cJSON *agentd_status_json(const struct agentd *a);
int agentd_arm_timers(struct agentd *a);

/* ---- agentd_courier.c: the delivery thread ------------------------------ */
/* NULL (and a logged reason) when the state directory has no enrolment:
 * the agent then keeps working and reports stay local. */
struct agentd_courier *agentd_courier_start(const char *state_dir, const char *proxy);
void agentd_courier_stop(struct agentd_courier *c);
void agentd_courier_submit(struct agentd_courier *c, cJSON *report); /* takes ownership */
void agentd_courier_event(struct agentd_courier *c, cJSON *event);   /* takes ownership */
cJSON *agentd_courier_state(struct agentd_courier *c);               /* a copy */
/* Try to deliver now, ignoring the backoff (an operator asked). */
void agentd_courier_kick(struct agentd_courier *c);

/* ---- control.c: the control socket -------------------------------------- */
int agentd_control_listen(const char *path);
void agentd_control_accept(struct agentd *a);
void agentd_control_close(const char *path, int fd);

/* ---- agentd_enforce.c: enforcers in the loop ---------------------------- */
int agentd_enforce_start(struct agentd *a);
void agentd_enforce_dispatch(struct agentd *a, int fd);
void agentd_enforce_set_policy(struct agentd *a);
cJSON *agentd_enforce_state(const struct agentd *a);
void agentd_enforce_stop(struct agentd *a);

#endif /* MAMORI_AGENTD_H */
