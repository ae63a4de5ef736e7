/* agentd.c -- mamori-agent: options, start-up, the epoll loop, shut-down.
 *
 *   mamori-agent [--policy FILE] [--state-dir DIR] [--root DIR] [--sysfs-root DIR]
 *                [--socket PATH] [--check-interval S] [--courier PATH]
 *                [--enroll-secret FILE] [--foreground]
 *
 * Start-up is fail-closed and loud: a policy that does not validate or a
 * socket that cannot be bound ends the process with exit status 2 and a
 * message naming the cause.  Once running, the loop only reacts to
 * descriptors: signals, timers, the control socket, the enforcers'
 * netlink/uevent sockets and the pipes of its children (check run,
 * courier, re-enrolment). */
#include "agentd.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "event.h"

#ifdef MAMORI_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

void agentd_notify(const char *state)
{
#ifdef MAMORI_HAVE_SYSTEMD
    sd_notify(0, state);
#else
    (void)state;
#endif
}

unsigned agentd_watchdog_period(void)
{
#ifdef MAMORI_HAVE_SYSTEMD
    uint64_t usec = 0;

    if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000000)
        return (unsigned)(usec / 2000000);
#endif
    return 0;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: mamori-agent [--policy FILE] [--state-dir DIR] [--root DIR] [--sysfs-root DIR]\n"
        "                    [--socket PATH] [--check-interval SECONDS] [--courier PATH]\n"
        "                    [--enroll-secret FILE] [--foreground]\n"
        "  --policy FILE        policy (default %s)\n"
        "  --state-dir DIR      keys, spool, sequence number (default %s)\n"
        "  --root DIR           file-system root the checks read (default /)\n"
        "  --sysfs-root DIR     prefix of /sys for enforcement and its checks (default: /sys\n"
        "                       for enforcement, below --root for checks)\n"
        "  --socket PATH        control socket (default %s)\n"
        "  --check-interval S   override the policy's report.check_interval_seconds\n"
        "  --courier PATH       the delivery helper (default: mamori-courier beside this\n"
        "                       program, else %s)\n"
        "  --enroll-secret FILE enrolment secret for enrolling again when the collector\n"
        "                       forgets this PC and enroll.json names none (default %s)\n"
        "  --foreground         log to stderr instead of syslog\n",
        MAMORI_POLICY_DEFAULT_PATH, MAMORI_STATEDIR, AGENTD_SOCKET_PATH, MAMORI_COURIER_PATH,
        AGENTD_ENROLL_SECRET);
}

static int parse_options(int argc, char **argv, struct agentd_options *o)
{
    static const struct option opts[] = {
        {"policy", required_argument, NULL, 'p'},
        {"state-dir", required_argument, NULL, 's'},
        {"root", required_argument, NULL, 'r'},
        {"sysfs-root", required_argument, NULL, 'y'},
        {"socket", required_argument, NULL, 'S'},
        {"check-interval", required_argument, NULL, 'c'},
        {"courier", required_argument, NULL, 'C'},
        {"foreground", no_argument, NULL, 'f'},
        {"enroll-secret", required_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    char *end;

    *o = (struct agentd_options){.policy_path = MAMORI_POLICY_DEFAULT_PATH,
                                 .state_dir = MAMORI_STATEDIR,
                                 .root = "",
                                 .sysfs_root = "",
                                 .socket_path = AGENTD_SOCKET_PATH,
                                 .enroll_secret = AGENTD_ENROLL_SECRET};
    while ((c = getopt_long(argc, argv, "p:s:r:y:S:c:C:E:fh", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            o->policy_path = optarg;
            break;
        case 's':
            o->state_dir = optarg;
            break;
        case 'r':
            o->root = optarg;
            break;
        case 'y':
            o->sysfs_root = optarg;
            break;
        case 'S':
            o->socket_path = optarg;
            break;
        case 'C':
            o->courier_path = optarg;
            break;
        case 'E':
            o->enroll_secret = optarg;
            break;
        case 'f':
            o->foreground = true;
            break;
        case 'c':
            errno = 0;
            o->check_interval = (unsigned)strtoul(optarg, &end, 10);
            if (errno || *end || o->check_interval < 1 || o->check_interval > 86400) {
                fprintf(stderr, "mamori-agent: --check-interval takes 1 to 86400 seconds\n");
                return -1;
            }
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

static int load_policy(struct agentd *a)
{
    char msg[700], *group = NULL;

    if (agentd_policy_load(a, true, &a->policy, &group, msg, sizeof(msg)) != 0) {
        agentd_log(LOG_ERR, "refusing to start with an invalid policy: %s", msg);
        return -1;
    }
    a->central.active = group != NULL;
    snprintf(a->central.group, sizeof(a->central.group), "%s", group ? group : "");
    free(group);
    a->policy_loaded = a->expiry_checked = time(NULL);
    return 0;
}

int agentd_watch(struct agentd *a, int fd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

    if (epoll_ctl(a->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        agentd_log(LOG_ERR, "epoll_ctl: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void agentd_unwatch(struct agentd *a, int fd)
{
    if (epoll_ctl(a->epoll_fd, EPOLL_CTL_DEL, fd, NULL) != 0)
        agentd_log(LOG_WARNING, "epoll_ctl: %s", strerror(errno));
}

static int open_signals(struct agentd *a)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    /* Blocked before any thread starts, so only the signalfd sees them. */
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 ||
        (a->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
        agentd_log(LOG_ERR, "signalfd: %s", strerror(errno));
        return -1;
    }
    signal(SIGPIPE, SIG_IGN);
    return agentd_watch(a, a->signal_fd);
}

static int start(struct agentd *a)
{
    a->started = time(NULL);
    a->sink = (struct mamori_event_sink){.fn = agentd_event, .userdata = a};
    a->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (a->epoll_fd < 0 || load_policy(a) != 0 || open_signals(a) != 0)
        return -1;
    a->control_fd = agentd_control_listen(a->opt.socket_path);
    if (a->control_fd < 0 || agentd_watch(a, a->control_fd) != 0)
        return -1;
    a->watchdog_period = agentd_watchdog_period();
    if (agentd_arm_timers(a) != 0 || agentd_watch(a, a->check_timer_fd) != 0 ||
        agentd_watch(a, a->report_timer_fd) != 0)
        return -1;
    a->delivery = agentd_delivery_open(a);
    agentd_policy_announce(a);
    if (agentd_enforce_start(a) != 0)
        return -1;
    mamori_event_emit(&a->sink,
                      mamori_event_new(MAMORI_EV_AGENT_STARTED, "info", a->started,
                                       "エージェントが起動しました", "the agent started"));
    agentd_log(LOG_INFO, "started: segment %s, policy %s (%s%s)",
               mamori_segment_name(a->policy->segment), a->policy->version,
               a->central.active ? "central bundle of group " : "",
               a->central.active ? a->central.group : a->opt.policy_path);
    /* The first posture and report at once, not one interval after boot. */
    agentd_checks_run_and_wait(a);
    agentd_send_report(a);
    return 0;
}

static void handle_signals(struct agentd *a)
{
    struct signalfd_siginfo si;

    while (read(a->signal_fd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGHUP) {
            agentd_notify("RELOADING=1");
            agentd_reload(a);
            agentd_notify("READY=1");
        } else {
            agentd_log(LOG_INFO, "signal %u: stopping", si.ssi_signo);
            a->stopping = true;
        }
    }
}

void agentd_drain_timer(int fd, const char *what)
{
    uint64_t expirations;

    if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
        agentd_log(LOG_WARNING, "%s: %s", what, strerror(errno));
}

static void dispatch(struct agentd *a, int fd)
{
    if (fd == a->signal_fd) {
        handle_signals(a);
    } else if (fd == a->check_timer_fd) {
        agentd_drain_timer(fd, "timer read");
        agentd_policy_expiry_tick(a, time(NULL));
        agentd_checks_start(a);
        agentd_notify("WATCHDOG=1");
    } else if (fd == a->report_timer_fd) {
        agentd_drain_timer(fd, "timer read");
        agentd_send_report(a);
        agentd_notify("WATCHDOG=1");
    } else if (fd == a->watchdog_timer_fd) {
        agentd_drain_timer(fd, "timer read");
        agentd_notify("WATCHDOG=1");
    } else if (fd == a->control_fd) {
        agentd_control_accept(a);
    } else if (agentd_checks_owns(a, fd)) {
        agentd_checks_dispatch(a);
    } else if (agentd_delivery_owns(a, fd)) {
        agentd_delivery_dispatch(a, fd);
    } else if (agentd_reenrol_owns(a, fd)) {
        agentd_reenrol_dispatch(a, fd);
    } else {
        agentd_enforce_dispatch(a, fd);
    }
}

static int run(struct agentd *a)
{
    struct epoll_event evs[8];

    agentd_notify("READY=1");
    while (!a->stopping) {
        int n = epoll_wait(a->epoll_fd, evs, 8, -1);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            agentd_log(LOG_ERR, "epoll_wait: %s", strerror(errno));
            return -1;
        }
        for (int i = 0; i < n; i++)
            dispatch(a, evs[i].data.fd);
        agentd_delivery_flush(a);
        /* Before sleeping again, give back what the work just freed (a
         * status document, a report, check results): glibc keeps freed heap
         * pages otherwise, and the resident set would be the high-water mark
         * of every burst since boot. */
        malloc_trim(0);
    }
    agentd_notify("STOPPING=1");
    return 0;
}

static void stop(struct agentd *a)
{
    agentd_enforce_stop(a);
    agentd_checks_stop(a);
    agentd_delivery_close(a); /* everything queued is in the spool already */
    if (a->control_fd >= 0)
        agentd_control_close(a->opt.socket_path, a->control_fd);
    for (size_t i = 0; i < AGENTD_EVENT_RING; i++)
        free(a->events[i]);
    free(a->checks);
    mamori_policy_free(a->policy);
    int *fds[] = {&a->epoll_fd, &a->signal_fd, &a->check_timer_fd, &a->report_timer_fd,
                  &a->watchdog_timer_fd};

    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (*fds[i] >= 0)
            close(*fds[i]);
}

int main(int argc, char **argv)
{
    struct agentd a = {.epoll_fd = -1,
                       .signal_fd = -1,
                       .check_timer_fd = -1,
                       .report_timer_fd = -1,
                       .watchdog_timer_fd = -1,
                       .control_fd = -1,
                       .run.fd = -1};
    int rc;

    if (parse_options(argc, argv, &a.opt) != 0)
        return 2;
    agentd_log_open("mamori-agent", a.opt.foreground);
    umask(077);
    rc = start(&a) == 0 && run(&a) == 0 ? 0 : 2;
    stop(&a);
    agentd_log(LOG_INFO, "stopped");
    return rc;
}
