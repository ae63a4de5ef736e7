/* policy_cli.h -- the pieces of `mamori-server policy|usb|exception` shared
 * by policy_cli.c (dispatch, policy groups), ledger_cli.c (usb ...) and
 * exception_cli.c (exception ...).  Exit statuses: 0 done, 1 the collector
 * could not do it (storage), 2 usage or bad input (named in the message). */
#ifndef MAMORI_SERVER_POLICY_CLI_H
#define MAMORI_SERVER_POLICY_CLI_H

#include <libintl.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "server.h"

#define _(s) gettext(s)

struct pcli {
    const char *config;
    const char *file, *segment, *department, *description, *encoding;
    const char *host, *group, *device, *serial, *from, *until, *approver, *reason;
    int json, dry_run, none, all;
    const char *what; /* the word after the command: set, show, add, ... */
    char **args;      /* positional arguments after it */
    int nargs;
};

int mamori_pcli_policy(struct mamori_server *s, const struct pcli *c);
int mamori_pcli_usb(struct mamori_server *s, const struct pcli *c);
int mamori_pcli_exception(struct mamori_server *s, const struct pcli *c);

/* "YYYY-MM-DD" (the start, or with end_of_day the last second, of that day,
 * local time), "YYYY-MM-DDTHH:MM[:SS]" local time, or RFC 3339 with a zone.
 * 0 or -1. */
int mamori_pcli_parse_when(const char *s, int end_of_day, time_t *out);
/* Local "YYYY-MM-DD HH:MM" (or "-" for 0) into buf. */
void mamori_pcli_local_time(time_t t, char *buf, size_t len);
void mamori_pcli_print_json(const cJSON *doc);
/* A cJSON string member, "" when absent. */
const char *mamori_pcli_str(const cJSON *o, const char *name);

#endif
