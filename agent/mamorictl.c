/* mamorictl.c -- the helpdesk's tool for one machine.
 *
 * A thin dispatcher: each subcommand lives in its own ctl_*.c.  Commands that
 * need the running agent talk to it over the control socket; the others
 * (check, report, usb list, policy validate) work without it, so the helpdesk
 * always has something to run. */
#include <stdio.h>
#include <string.h>

#include "cli_text.h"
#include "ctl_check.h"
#include "ctl_policy.h"

typedef int (*ctl_fn)(int argc, char **argv);

/* One entry point per command family (ctl_*.c). */
int mamori_ctl_status(int argc, char **argv);
int mamori_ctl_report(int argc, char **argv);
int mamori_ctl_queue(int argc, char **argv);
int mamori_ctl_enroll(int argc, char **argv);
int mamori_ctl_usb(int argc, char **argv);

struct ctl_command {
    const char *name;
    ctl_fn fn;
    const char *help; /* msgid */
};

static void usage(FILE *out, const struct ctl_command *cmds)
{
    fprintf(out, _("usage: mamorictl COMMAND [OPTIONS]   (mamorictl COMMAND --help for details)\n\n"
                   "commands:\n"));
    for (const struct ctl_command *c = cmds; c->name != NULL; c++)
        fprintf(out, "  %-8s %s\n", c->name, _(c->help));
}

int main(int argc, char **argv)
{
    const struct ctl_command cmds[] = {
        {"status", mamori_ctl_status,
         N_("state of the running agent: checks, enforcement, events")},
        {"check", mamori_ctl_check, N_("run every posture check once, locally")},
        {"usb", mamori_ctl_usb, N_("USB devices and the decision for each interface")},
        {"report", mamori_ctl_report, N_("print one signed report (JWS)")},
        {"queue", mamori_ctl_queue, N_("reports waiting for the collector")},
        {"enroll", mamori_ctl_enroll, N_("enrol this PC with the collector")},
        {"policy", mamori_ctl_policy, N_("validate a policy file")},
        {NULL, NULL, NULL},
    };

    cli_text_init();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout, cmds);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mamorictl %s\n", MAMORI_VERSION);
        return 0;
    }
    for (const struct ctl_command *c = cmds; c->name != NULL; c++) {
        if (strcmp(argv[1], c->name) == 0)
            return c->fn(argc - 1, argv + 1);
    }
    fprintf(stderr, _("mamorictl: unknown command '%s'\n"), argv[1]);
    usage(stderr, cmds);
    return 2;
}
