/* agentd_work.c -- what the agent does when a timer, a signal or an event
 * arrives: build and hand over a report, reload the policy, remember
 * events, and describe itself for `mamorictl status`.  (The checks run in a
 * child: agentd_checks.c; delivery: agentd_delivery.c.) */
#include "agentd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <unistd.h>

#include "report.h"

/* ---- events ------------------------------------------------------------ */

static void ring_push(struct agentd *a, const cJSON *event)
{
    char *copy = cJSON_PrintUnformatted(event);

    if (copy == NULL)
        return;
    free(a->events[a->events_next]);
    a->events[a->events_next] = copy;
    a->events_next = (a->events_next + 1) % AGENTD_EVENT_RING;
}

static const char *event_text(const cJSON *event, const char *key)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(event, key);

    return cJSON_IsString(s) ? s->valuestring : "";
}

/* The sink every producer emits into: keep the event for status, log it,
 * and keep it durably so it travels in the next report. */
void agentd_event(void *userdata, cJSON *event)
{
    struct agentd *a = userdata;
    const cJSON *summary = cJSON_GetObjectItemCaseSensitive(event, "summary");

    ring_push(a, event);
    agentd_log(strcmp(event_text(event, "severity"), "info") == 0 ? LOG_INFO : LOG_WARNING,
               "event %s: %s", event_text(event, "type"), event_text(summary, "en"));
    if (a->delivery != NULL)
        agentd_delivery_event(a, event);
    else
        cJSON_Delete(event);
}

static cJSON *ring_json(const struct agentd *a)
{
    cJSON *arr = cJSON_CreateArray();

    /* Oldest first, as people read a log. */
    for (size_t i = 0; arr != NULL && i < AGENTD_EVENT_RING; i++) {
        const char *e = a->events[(a->events_next + i) % AGENTD_EVENT_RING];

        if (e != NULL)
            cJSON_AddItemToArray(arr, cJSON_Parse(e));
    }
    return arr;
}

/* ---- timers ------------------------------------------------------------ */

static int arm(int *fd, unsigned seconds)
{
    struct itimerspec its = {.it_value = {.tv_sec = seconds}, .it_interval = {.tv_sec = seconds}};

    if (*fd < 0)
        *fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (*fd < 0 || timerfd_settime(*fd, 0, &its, NULL) != 0) {
        agentd_log(LOG_ERR, "timerfd: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* The loop sends systemd its watchdog keep-alive whenever a timer wakes it.
 * Only a watchdog faster than both the check and the report timer needs a
 * timer of its own -- extra wake-ups, which the shipped unit avoids
 * (WatchdogSec=15min against checks every 5 minutes). */
static int arm_watchdog(struct agentd *a, unsigned check, unsigned report)
{
    unsigned period = a->watchdog_period;
    bool needed = period > 0 && period < check && period < report;
    bool created = a->watchdog_timer_fd < 0;

    if (!needed && created)
        return 0;
    if (arm(&a->watchdog_timer_fd, needed ? period : 0) != 0 ||
        (created && agentd_watch(a, a->watchdog_timer_fd) != 0))
        return -1;
    if (needed)
        agentd_log(LOG_NOTICE,
                   "the systemd watchdog (%u s) is faster than the check timer (%u s): "
                   "waking every %u s for it",
                   2 * period, check, period);
    return 0;
}

int agentd_arm_timers(struct agentd *a)
{
    unsigned check =
        a->opt.check_interval ? a->opt.check_interval : a->policy->report.check_interval_seconds;
    unsigned report = a->policy->report.interval_seconds;

    return arm(&a->check_timer_fd, check) != 0 || arm(&a->report_timer_fd, report) != 0 ||
                   arm_watchdog(a, check, report) != 0
               ? -1
               : 0;
}

/* ---- reports ------------------------------------------------------------ */

static const char *hostname_of(const struct agentd *a, char *buf, size_t size)
{
    char path[4096];
    FILE *f;

    /* With --root, the tree's /etc/hostname names the PC (fixture trees). */
    snprintf(path, sizeof(path), "%s/etc/hostname", a->opt.root);
    if (a->opt.root[0] && (f = fopen(path, "r")) != NULL) {
        if (fgets(buf, (int)size, f) != NULL)
            buf[strcspn(buf, "\r\n")] = '\0';
        fclose(f);
        if (buf[0])
            return buf;
    }
    if (gethostname(buf, size - 1) != 0)
        snprintf(buf, size, "unknown");
    buf[size - 1] = '\0';
    return buf;
}

void agentd_send_report(struct agentd *a)
{
    char host_id[MAMORI_HOST_ID_LEN + 1], hostname[256], err[512];
    struct mamori_report_host host;
    cJSON *report;

    if (a->delivery == NULL)
        return; /* no usable state directory: the checks still show in status */
    if (mamori_host_id(a->opt.root, NULL, host_id, sizeof(host_id), err, sizeof(err)) < 0) {
        agentd_log(LOG_ERR, "cannot identify this PC: %s", err);
        return;
    }
    host = (struct mamori_report_host){.id = host_id,
                                       .hostname = hostname_of(a, hostname, sizeof(hostname)),
                                       .segment = mamori_segment_name(a->policy->segment),
                                       .department = a->policy->department,
                                       .municipality = a->policy->municipality};
    report = mamori_report_build(&host, 0, time(NULL), a->policy->version, agentd_checks_json(a),
                                 NULL, 0);
    if (report == NULL) {
        agentd_log(LOG_ERR, "cannot build a report (out of memory)");
        return;
    }
    agentd_delivery_submit(a, report);
}

/* ---- policy reload ------------------------------------------------------ */

static void reject_policy(struct agentd *a, const char *msg)
{
    cJSON *ev;

    snprintf(a->reload_error, sizeof(a->reload_error), "%.*s", (int)sizeof(a->reload_error) - 1,
             msg);
    agentd_log(LOG_ERR, "policy reload refused, keeping version %s: %s", a->policy->version, msg);
    ev = mamori_event_new(MAMORI_EV_POLICY_REJECTED, "error", time(NULL),
                          "新しいポリシーは不正なため適用しませんでした（従来のポリシーを維持）",
                          "the new policy is invalid and was not applied (the previous one stays)");
    if (ev != NULL) {
        cJSON_AddStringToObject(mamori_event_facts(ev), "error", msg);
        cJSON_AddStringToObject(mamori_event_facts(ev), "kept_version", a->policy->version);
    }
    mamori_event_emit(&a->sink, ev);
}

void agentd_install_policy(struct agentd *a, struct mamori_policy *fresh, const char *group)
{
    struct mamori_policy *old = a->policy;
    cJSON *ev;

    /* Swap, then let the enforcers re-judge under the new rules, then free. */
    a->policy = fresh;
    a->central.active = group != NULL;
    snprintf(a->central.group, sizeof(a->central.group), "%s", group ? group : "");
    a->policy_loaded = time(NULL);
    a->reload_error[0] = '\0';
    agentd_enforce_set_policy(a);
    agentd_arm_timers(a);
    agentd_log(LOG_INFO, "policy %s: version %s -> %s", group ? "from the collector" : "reloaded",
               old->version, fresh->version);
    ev = mamori_event_new(MAMORI_EV_POLICY_LOADED, "info", a->policy_loaded,
                          group ? "集中管理ポリシーを適用しました" : "ポリシーを再読み込みしました",
                          group ? "the central policy was applied" : "the policy was reloaded");
    if (ev != NULL) {
        cJSON_AddStringToObject(mamori_event_facts(ev), "version", fresh->version);
        cJSON_AddStringToObject(mamori_event_facts(ev), "previous_version", old->version);
        cJSON_AddStringToObject(mamori_event_facts(ev), "source", group ? "central" : "local");
        if (group != NULL)
            cJSON_AddStringToObject(mamori_event_facts(ev), "group", group);
    }
    mamori_policy_free(old);
    mamori_event_emit(&a->sink, ev);
    agentd_checks_start(a);
}

/* SIGHUP: the stored central bundle when there is one, else the local file. */
void agentd_reload(struct agentd *a)
{
    struct mamori_policy *fresh = NULL;
    char msg[700], *group = NULL;

    if (agentd_policy_load(a, false, &fresh, &group, msg, sizeof(msg)) != 0) {
        reject_policy(a, msg);
        return;
    }
    agentd_install_policy(a, fresh, group);
    free(group);
}

/* ---- status ------------------------------------------------------------- */

void agentd_json_time(cJSON *obj, const char *key, time_t t)
{
    char stamp[32];

    if (t == 0) {
        cJSON_AddNullToObject(obj, key);
        return;
    }
    mamori_time_rfc3339(t, stamp, sizeof(stamp));
    cJSON_AddStringToObject(obj, key, stamp);
}

static cJSON *policy_json(const struct agentd *a)
{
    cJSON *p = cJSON_CreateObject();

    cJSON_AddStringToObject(p, "version", a->policy->version);
    cJSON_AddStringToObject(p, "segment", mamori_segment_name(a->policy->segment));
    cJSON_AddStringToObject(p, "source", a->central.active ? "central" : "local");
    cJSON_AddStringToObject(p, "file", a->opt.policy_path);
    cJSON_AddStringToObject(p, "group", a->central.group);
    cJSON_AddItemToObject(p, "central", agentd_central_state(a));
    cJSON_AddStringToObject(p, "municipality",
                            a->policy->municipality ? a->policy->municipality : "");
    cJSON_AddStringToObject(p, "department", a->policy->department ? a->policy->department : "");
    agentd_json_time(p, "loaded", a->policy_loaded);
    if (a->reload_error[0])
        cJSON_AddStringToObject(p, "reload_error", a->reload_error);
    else
        cJSON_AddNullToObject(p, "reload_error");
    return p;
}

cJSON *agentd_status_json(const struct agentd *a)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *agent = cJSON_AddObjectToObject(doc, "agent");

    cJSON_AddStringToObject(agent, "version", MAMORI_VERSION);
    cJSON_AddNumberToObject(agent, "pid", getpid());
    agentd_json_time(agent, "started", a->started);
    /* Peak memory of the last check run (a child), beside the agent's own
     * in /proc: what bench/agent reports. */
    cJSON_AddNumberToObject(agent, "checks_peak_rss_kib", (double)a->run.peak_rss_kib);
    cJSON_AddItemToObject(doc, "policy", policy_json(a));
    agentd_json_time(doc, "checks_time", a->checks_time);
    cJSON_AddItemToObject(doc, "checks", agentd_checks_json(a));
    cJSON_AddItemToObject(doc, "enforcement", agentd_enforce_state(a));
    cJSON_AddItemToObject(doc, "events", ring_json(a));
    if (a->delivery != NULL)
        cJSON_AddItemToObject(doc, "delivery", agentd_delivery_state(a));
    else
        cJSON_AddNullToObject(doc, "delivery");
    return doc;
}
