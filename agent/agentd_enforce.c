/* agentd_enforce.c -- the enforcers inside the agent's loop.
 *
 * Each enforcer exposes one descriptor, a sweep of what is present at start,
 * a dispatch for pending kernel events, and a policy swap.  The descriptor is
 * added to epoll before the sweep, so an interface or device that appears
 * during the sweep is still seen.  An enforcer that cannot start (no
 * CAP_NET_ADMIN, no sysfs) is reported in status and as an event; the agent
 * keeps running its checks, and USB storage stays blocked by the kernel
 * default the udev rule sets at boot.
 *
 * The network guard's Wi-Fi source is NetworkManager (enforce/wifi_nm.c).
 * Without a system bus or NetworkManager the guard runs without seeing Wi-Fi
 * joins; the log says so once (and again when that changes), status and the
 * net.only_approved evidence show it, and NetworkManager is picked up when it
 * appears. */
#include "agentd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <syslog.h>

#include "net_guard.h"
#include "wifi_nm.h"
#ifdef MAMORI_HAVE_USB_ENFORCER
#include "usb_enforcer.h"
#endif

static char net_error[300], usb_error[300];

static void report_failure(struct agentd *a, const char *what, const char *why)
{
    cJSON *ev = mamori_event_new(
        strcmp(what, "usb") == 0 ? MAMORI_EV_USB_ERROR : MAMORI_EV_NET_ERROR, "error", time(NULL),
        "制御機能を開始できませんでした", "an enforcer could not start");

    agentd_log(LOG_ERR, "%s enforcement inactive: %s", what, why);
    if (ev != NULL)
        cJSON_AddStringToObject(mamori_event_facts(ev), "error", why);
    mamori_event_emit(&a->sink, ev);
}

static int watch(struct agentd *a, int fd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

    return epoll_ctl(a->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

/* The Wi-Fi source changed state: one log line per change. */
static void on_wifi_state(void *userdata, enum mamori_wifi_nm_state state, const char *detail)
{
    (void)userdata;
    if (state == MAMORI_WIFI_NM_RUNNING)
        agentd_log(LOG_INFO, "Wi-Fi source: %s; Wi-Fi joins are watched", detail);
    else
        agentd_log(LOG_WARNING,
                   "no Wi-Fi source: %s; Wi-Fi joins are not watched until it "
                   "is there",
                   detail);
}

static const struct mamori_wifi_source *start_wifi(struct agentd *a)
{
    char err[300];

    a->wifi = mamori_wifi_nm_new(NULL, on_wifi_state, a, err, sizeof(err));
    if (a->wifi == NULL) {
        agentd_log(LOG_ERR, "no Wi-Fi source: %s", err);
        return NULL;
    }
    return mamori_wifi_nm_source(a->wifi);
}

static void stop_wifi(struct agentd *a)
{
    mamori_wifi_nm_free(a->wifi);
    a->wifi = NULL;
}

static void start_net(struct agentd *a)
{
    a->net = mamori_net_guard_new(a->policy, &a->sink, start_wifi(a), net_error, sizeof(net_error));
    if (a->net == NULL) {
        report_failure(a, "network", net_error);
        stop_wifi(a);
        return;
    }
    if (a->opt.sysfs_root[0])
        mamori_net_guard_set_sysfs_root(a->net, a->opt.sysfs_root);
    if (watch(a, mamori_net_guard_fd(a->net)) != 0) {
        snprintf(net_error, sizeof(net_error), "epoll: %s", strerror(errno));
        report_failure(a, "network", net_error);
        mamori_net_guard_free(a->net);
        a->net = NULL;
        stop_wifi(a);
        return;
    }
    mamori_net_guard_sweep(a->net);
}

static void start_usb(struct agentd *a)
{
#ifdef MAMORI_HAVE_USB_ENFORCER
    a->usb = mamori_usb_enforcer_new(a->policy, &a->sink, usb_error, sizeof(usb_error));
    if (a->usb == NULL) {
        report_failure(a, "usb", usb_error);
        return;
    }
    if (watch(a, mamori_usb_enforcer_fd(a->usb)) != 0) {
        snprintf(usb_error, sizeof(usb_error), "epoll: %s", strerror(errno));
        report_failure(a, "usb", usb_error);
        mamori_usb_enforcer_free(a->usb);
        a->usb = NULL;
        return;
    }
    mamori_usb_enforcer_sweep(a->usb);
#else
    snprintf(usb_error, sizeof(usb_error), "this build has no USB enforcer");
    (void)a;
#endif
}

int agentd_enforce_start(struct agentd *a)
{
    start_usb(a); /* USB first: a keyboard should work as early as possible */
    start_net(a);
    return 0;
}

void agentd_enforce_dispatch(struct agentd *a, int fd)
{
    if (a->net != NULL && fd == mamori_net_guard_fd(a->net)) {
        mamori_net_guard_dispatch(a->net);
        return;
    }
#ifdef MAMORI_HAVE_USB_ENFORCER
    if (a->usb != NULL && fd == mamori_usb_enforcer_fd(a->usb)) {
        mamori_usb_enforcer_dispatch(a->usb);
        return;
    }
#endif
    agentd_log(LOG_WARNING, "event on unknown descriptor %d", fd);
}

void agentd_enforce_set_policy(struct agentd *a)
{
    if (a->net != NULL)
        mamori_net_guard_set_policy(a->net, a->policy);
#ifdef MAMORI_HAVE_USB_ENFORCER
    if (a->usb != NULL)
        mamori_usb_enforcer_set_policy(a->usb, a->policy);
#endif
}

static cJSON *inactive(const char *why)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddBoolToObject(o, "active", false);
    cJSON_AddStringToObject(o, "error", why);
    return o;
}

static cJSON *active(cJSON *state)
{
    if (state == NULL)
        state = cJSON_CreateObject();
    cJSON_AddBoolToObject(state, "active", true);
    return state;
}

cJSON *agentd_enforce_state(const struct agentd *a)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddItemToObject(o, "network",
                          a->net ? active(mamori_net_guard_state(a->net)) : inactive(net_error));
#ifdef MAMORI_HAVE_USB_ENFORCER
    cJSON_AddItemToObject(o, "usb",
                          a->usb ? active(mamori_usb_enforcer_state(a->usb)) : inactive(usb_error));
#else
    cJSON_AddItemToObject(o, "usb", inactive(usb_error));
#endif
    return o;
}

void agentd_enforce_stop(struct agentd *a)
{
    if (a->net != NULL)
        mamori_net_guard_free(a->net);
    a->net = NULL;
    stop_wifi(a); /* after the guard, which borrows it */
#ifdef MAMORI_HAVE_USB_ENFORCER
    if (a->usb != NULL)
        mamori_usb_enforcer_free(a->usb);
    a->usb = NULL;
#endif
}
