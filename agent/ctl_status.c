/* ctl_status.c -- `mamorictl status [--json] [--socket PATH]`: the running
 * agent's live state, for the helpdesk at one PC.
 *
 * Asks the agent over its control socket and prints, in the user's language:
 * the segment and policy (and a reload that was refused), each check with
 * what was found and how to fix what fails, whether USB and network
 * enforcement are active (and whether Wi-Fi joins are seen), the last
 * events, and the delivery queue.
 * Exit status: 0 all checks pass, 1 a check fails, 2 usage or protocol
 * error, 3 the agent is not running (with a hint to use `mamorictl check`). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agentd.h"
#include "cli_text.h"
#include "ctl_check.h"

int mamori_ctl_status(int argc, char **argv);

static char *ask_agent(const char *path, const char *request)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t cap = 1 << 16, used = 0;
    char *buf;
    ssize_t n;
    int fd;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    strcpy(addr.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    /* The agent may answer (a refusal) and close before reading the request:
     * a failed send is not fatal, the answer is still there to read. */
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        (send(fd, request, strlen(request), MSG_NOSIGNAL) < 0 && errno != EPIPE)) {
        int saved = errno;

        if (fd >= 0)
            close(fd);
        errno = saved;
        return NULL;
    }
    buf = malloc(cap);
    while (buf != NULL && (n = read(fd, buf + used, cap - used - 1)) > 0) {
        used += (size_t)n;
        if (used + 1 == cap) {
            char *grown = cap < (16u << 20) ? realloc(buf, cap *= 2) : NULL;

            if (grown == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
        }
    }
    close(fd);
    if (buf != NULL)
        buf[used] = '\0';
    return buf;
}

static const char *str(const cJSON *obj, const char *key)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsString(s) ? s->valuestring : "";
}

static double num(const cJSON *obj, const char *key)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsNumber(n) ? n->valuedouble : 0;
}

/* Where the policy comes from: the collector (which group) or the PC's file. */
static void print_policy_source(const cJSON *p)
{
    const cJSON *central = cJSON_GetObjectItemCaseSensitive(p, "central");
    const char *offered = str(central, "offered"), *error = str(central, "last_error");

    if (strcmp(str(p, "source"), "central") == 0)
        printf(_("policy source: central policy from the collector (group %s, version %s)\n"),
               str(p, "group"), str(p, "version"));
    else
        printf(_("policy source: local file %s\n"), str(p, "file"));
    if (offered[0] && strcmp(offered, str(p, "version")) != 0)
        printf(_("the collector offers version %s\n"), offered);
    if (error[0])
        printf(_("central policy: %s\n"), error);
}

static void print_policy(const cJSON *doc)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "policy");
    const char *reload_error = str(p, "reload_error");

    printf(_("mamori agent status -- segment: %s, policy: %s\n"),
           cli_segment_label(str(p, "segment")), str(p, "version"));
    if (str(p, "department")[0])
        printf(_("department: %s %s\n"), str(p, "municipality"), str(p, "department"));
    print_policy_source(p);
    if (reload_error[0])
        printf(_("WARNING: the last policy reload was refused, the previous policy stays in "
                 "force:\n    %s\n"),
               reload_error);
}

static void print_checks(const cJSON *doc, int *fails)
{
    const cJSON *c;

    printf(_("\nChecks (%s):\n"), str(doc, "checks_time"));
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(doc, "checks"))
    {
        mamori_ctl_print_check(stdout, c);
        if (strcmp(str(c, "verdict"), "fail") == 0)
            (*fails)++;
    }
}

static void print_enforcer(const char *label, const cJSON *state)
{
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(state, "active");

    if (cJSON_IsTrue(act))
        printf("  %-10s %s (%s)\n", label, _("active"),
               str(state, "mode")[0] ? str(state, "mode") : "enforce");
    else
        printf("  %-10s %s: %s\n", label, _("INACTIVE"), str(state, "error"));
}

/* Whether Wi-Fi joins are seen, and which networks are joined now. */
static void print_wifi_source(const cJSON *network)
{
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(network, "wifi_source"), *c;
    const char *state = str(w, "state");

    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(network, "active")))
        return;
    printf("  %-10s ", "Wi-Fi");
    if (!cJSON_IsObject(w))
        printf(_("no Wi-Fi source: Wi-Fi joins are not watched\n"));
    else if (strcmp(state, "running") == 0)
        printf(_("watched through NetworkManager %s (%d devices)\n"), str(w, "version"),
               cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(w, "devices")));
    else if (strcmp(state, "absent") == 0)
        printf(_("not watched: NetworkManager is not running (watched as soon as it starts)\n"));
    else if (strcmp(state, "no_bus") == 0)
        printf(_("not watched: no system bus (watched as soon as it appears)\n"));
    else
        printf(_("not watched yet: connecting to the system bus\n"));
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(w, "connections"))
    {
        printf(_("             joined: %s on %s (%s)\n"), str(c, "ssid"), str(c, "interface"),
               str(c, "security"));
    }
}

static void print_enforcement(const cJSON *doc)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "enforcement");

    printf(_("\nEnforcement:\n"));
    print_enforcer("USB", cJSON_GetObjectItemCaseSensitive(e, "usb"));
    print_enforcer(_("network"), cJSON_GetObjectItemCaseSensitive(e, "network"));
    print_wifi_source(cJSON_GetObjectItemCaseSensitive(e, "network"));
}

static void print_events(const cJSON *doc)
{
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(doc, "events"), *ev;

    printf(_("\nRecent events (%d):\n"), cJSON_GetArraySize(events));
    cJSON_ArrayForEach(ev, events)
    {
        printf("  %s  %-18s %s\n", str(ev, "time"), str(ev, "type"),
               cli_pick(cJSON_GetObjectItemCaseSensitive(ev, "summary")));
    }
}

/* Whether the collector knows this PC, and what happens about it. */
static void print_enrolment(const cJSON *e)
{
    const char *state = str(e, "state"), *reason = str(e, "reason");

    if (strcmp(state, "revoked") == 0) {
        printf(_("  The collector has REVOKED this PC's key: it refuses its reports, and the PC "
                 "is not enrolled again automatically.\n"
                 "  Reports stay on this PC. Ask the information security staff: the PC needs a "
                 "new key and a new enrolment.\n"));
    } else if (strcmp(state, "reenrolling") == 0) {
        printf(_("  The collector does not know this PC: enrolling again now.\n"));
    } else if (strcmp(state, "unknown") == 0 && strcmp(reason, "no_secret") == 0) {
        printf(_("  The collector does not know this PC (its database was restored or the host "
                 "was removed), and no enrolment secret is stored on this PC: it cannot enrol "
                 "again by itself.\n"
                 "  Put the enrolment secret in %s (owner root, mode 0600): the agent then "
                 "enrols again by itself. Or run as root:\n    %s\n"),
               str(e, "secret_file"), str(e, "manual_command"));
    } else if (strcmp(state, "unknown") == 0 &&
               !cJSON_IsTrue(cJSON_GetObjectItem(e, "automatic"))) {
        printf(_("  The collector does not know this PC (its database was restored or the host "
                 "was removed), and this PC cannot enrol again by itself: %s.\n"
                 "  Run as root:\n    %s\n"),
               str(e, "detail"), str(e, "manual_command"));
    } else if (strcmp(state, "unknown") == 0) {
        printf(_("  The collector does not know this PC (its database was restored or the host "
                 "was removed): the agent enrols again by itself, next attempt in %.0f s.\n"),
               num(e, "next_attempt_seconds"));
        if (str(e, "detail")[0])
            printf(_("  last attempt failed: %s\n"), str(e, "detail"));
    }
    if (str(e, "last_reenrolled")[0])
        printf(_("  enrolled again automatically at %s\n"), str(e, "last_reenrolled"));
}

static void print_delivery(const cJSON *doc)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(doc, "delivery");

    printf(_("\nDelivery to the collector:\n"));
    if (!cJSON_IsObject(d)) {
        printf(_("  reports stay on this PC (no state directory)\n"));
        return;
    }
    printf(_("  collector: %s\n"), str(d, "server")[0] ? str(d, "server") : _("(not enrolled)"));
    printf(_("  waiting reports: %.0f (%.0f bytes), dropped: %.0f\n"), num(d, "queue_length"),
           num(d, "queue_bytes"), num(d, "dropped"));
    printf(_("  last acknowledged report: %s\n"),
           str(d, "last_ack_time")[0] ? str(d, "last_ack_time") : _("never"));
    if (str(d, "last_error")[0])
        printf(_("  last error: %s\n"), str(d, "last_error"));
    print_enrolment(cJSON_GetObjectItemCaseSensitive(d, "enrolment"));
}

static int print_human(const cJSON *doc)
{
    int fails = 0;

    print_policy(doc);
    print_checks(doc, &fails);
    print_enforcement(doc);
    print_events(doc);
    print_delivery(doc);
    return fails ? 1 : 0;
}

static int any_fail(const cJSON *doc)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
                              doc, "checks")) if (strcmp(str(c, "verdict"), "fail") == 0) return 1;
    return 0;
}

int mamori_ctl_status(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"socket", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *path = AGENTD_SOCKET_PATH;
    bool json = false;
    char *answer;
    cJSON *doc;
    int c, rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "js:h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 's':
            path = optarg;
            break;
        default:
            fprintf(c == 'h' ? stdout : stderr,
                    _("usage: mamorictl status [--json] [--socket PATH]\n"));
            return c == 'h' ? 0 : 2;
        }
    }
    answer = ask_agent(path, "{\"cmd\":\"status\"}\n");
    if (answer == NULL && (errno == EACCES || errno == EPERM)) {
        fprintf(stderr,
                _("mamorictl: permission denied on %s: the agent's status is for root and "
                  "members of group mamori\n"),
                path);
        return 2;
    }
    if (answer == NULL) {
        fprintf(stderr,
                _("mamorictl: the mamori agent is not running (%s: %s).\n"
                  "  Start it with: systemctl start mamori-agent\n"
                  "  Or check this PC without it: mamorictl check\n"),
                path, strerror(errno));
        return 3;
    }
    doc = cJSON_Parse(answer);
    free(answer);
    if (doc == NULL || cJSON_GetObjectItemCaseSensitive(doc, "error") != NULL) {
        fprintf(stderr, _("mamorictl: the agent refused: %s\n"),
                doc ? str(doc, "error") : "malformed answer");
        cJSON_Delete(doc);
        return 2;
    }
    if (json) {
        char *text = cJSON_Print(doc);

        puts(text ? text : "{}");
        free(text);
        rc = any_fail(doc);
    } else {
        rc = print_human(doc);
    }
    cJSON_Delete(doc);
    return rc;
}
