/* main.c -- mamori-server: subcommand dispatch (init, serve, fleet, host,
 * events, export).  Each subcommand is a thin wrapper over the library
 * mamori_server_core, so tests drive the same code. */
#include <getopt.h>
#include <libintl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dashboard.h"
#include "fleet.h"
#include "init.h"
#include "json_arena.h"
#include "policy_central.h"
#include "relay.h"
#include "report_doc.h"
#include "server.h"

#define _(s) gettext(s)
/* Where the package's postinst runs `init`, so `mamori-server fleet` works
 * on a packaged collector without --config. */
#define DEFAULT_CONFIG MAMORI_SERVER_STATEDIR "/server.conf"

static void usage(FILE *out)
{
    fprintf(out, "%s",
            _("usage: mamori-server init DIR [--name DNS_OR_IP ...] [--port N]"
              " [--db sqlite|postgresql --dsn DSN]\n"
              "       mamori-server serve [--config FILE]\n"
              "       mamori-server fleet [--json] [--config FILE]\n"
              "       mamori-server host NAME [--json] [--config FILE]\n"
              "       mamori-server host remove|revoke NAME [--config FILE]\n"
              "       mamori-server events [--type T] [--host H] [--since TIME] [--json]"
              " [--config FILE]\n"
              "       mamori-server export --csv [--table hosts|exceptions|ledger|policy]"
              " [--out FILE] [--config FILE]\n"
              "       mamori-server bundle export [--since TIME] --out FILE [--config FILE]\n"
              "       mamori-server bundle import FILE [--config FILE]\n"
              "       mamori-server relay-cert NAME KEY_FILE CERT_FILE [--config FILE]\n"
              "       mamori-server policy set|show|assign|remove|keygen ...\n"
              "       mamori-server usb import-ledger|ledger ...\n"
              "       mamori-server exception add|list|revoke ...\n"));
}

struct cli {
    const char *config;
    const char *type, *host, *since, *out, *db, *dsn, *table;
    const char *names[16];
    int nnames, json, csv, port;
};

static int parse_cli(int argc, char **argv, struct cli *c)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"type", required_argument, NULL, 't'},
        {"host", required_argument, NULL, 'H'},
        {"since", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},
        {"csv", no_argument, NULL, 'C'},
        {"name", required_argument, NULL, 'n'},
        {"db", required_argument, NULL, 'd'},
        {"dsn", required_argument, NULL, 'D'},
        {"port", required_argument, NULL, 'p'},
        {"table", required_argument, NULL, 'T'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    c->config = getenv("MAMORI_SERVER_CONFIG") ? getenv("MAMORI_SERVER_CONFIG") : DEFAULT_CONFIG;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            c->config = optarg;
            break;
        case 'j':
            c->json = 1;
            break;
        case 't':
            c->type = optarg;
            break;
        case 'H':
            c->host = optarg;
            break;
        case 's':
            c->since = optarg;
            break;
        case 'o':
            c->out = optarg;
            break;
        case 'C':
            c->csv = 1;
            break;
        case 'd':
            c->db = optarg;
            break;
        case 'D':
            c->dsn = optarg;
            break;
        case 'p':
            c->port = atoi(optarg);
            break;
        case 'T':
            c->table = optarg;
            break;
        case 'n':
            if (c->nnames < 16)
                c->names[c->nnames++] = optarg;
            break;
        default:
            return -1;
        }
    }
    return 0;
}

static void print_json(const cJSON *doc)
{
    char *text = cJSON_Print(doc);
    if (text != NULL)
        printf("%s\n", text);
    cJSON_free(text);
}

static int cmd_init(struct cli *c, const char *dir)
{
    struct mamori_init_options o = {.dir = dir,
                                    .names = c->names,
                                    .nnames = c->nnames,
                                    .db = c->db,
                                    .dsn = c->dsn,
                                    .port = c->port};
    char err[512];
    if (mamori_server_init(&o, stdout, err, sizeof(err)) != 0) {
        fprintf(stderr, "mamori-server init: %s\n", err);
        return 1;
    }
    return 0;
}

static int cmd_serve(struct mamori_server *s)
{
    char err[512];
    if (mamori_dashboard_prepare(s, err, sizeof(err)) != 0 ||
        mamori_server_listen(s, err, sizeof(err)) != 0) {
        fprintf(stderr, "mamori-server: %s\n", err);
        return 1;
    }
    fprintf(stderr, "mamori-server: listening on %s:%d (%d threads)\n", s->cfg.listen_addr, s->port,
            s->cfg.threads);
    if (s->ui_fd >= 0)
        fprintf(stderr, "mamori-server: dashboard listening on %s:%d\n",
                s->cfg.dashboard_listen_addr, s->ui_port);
    return mamori_server_run(s, 1) == 0 ? 0 : 1;
}

static int cmd_fleet(struct mamori_server *s, const struct cli *c)
{
    cJSON *hosts = s->store->ops->hosts(s->store), *sum;
    if (hosts == NULL)
        return 1;
    sum = mamori_fleet_summary(hosts, time(NULL),
                               s->cfg.report_interval_seconds * s->cfg.silent_after_intervals);
    if (c->json)
        print_json(sum);
    else
        mamori_fleet_print(stdout, sum);
    cJSON_Delete(sum);
    cJSON_Delete(hosts);
    return 0;
}

static int cmd_host(struct mamori_server *s, const struct cli *c, const char *name)
{
    cJSON *host = mamori_fleet_host(s, name);
    if (host == NULL) {
        fprintf(stderr, _("mamori-server: no host named %s\n"), name);
        return 1;
    }
    if (c->json)
        print_json(host);
    else
        mamori_fleet_print_host(stdout, host);
    cJSON_Delete(host);
    return 0;
}

/* NAME as a host id, or the one host with that hostname: 0, or 1 with the
 * reason printed (none, or several -- a destructive command wants one). */
static int resolve_host(struct mamori_server *s, const char *name, char *id, size_t idlen)
{
    cJSON *hosts = s->store->ops->hosts(s->store);
    const cJSON *h;
    int found = 0;

    cJSON_ArrayForEach(h, hosts)
    {
        const char *hid = cJSON_GetStringValue(cJSON_GetObjectItem(h, "id"));
        const char *hn = cJSON_GetStringValue(cJSON_GetObjectItem(h, "hostname"));

        if (hid != NULL && strcmp(hid, name) == 0) {
            snprintf(id, idlen, "%s", hid);
            found = 1;
            break;
        }
        if (hn != NULL && strcmp(hn, name) == 0 && found++ == 0)
            snprintf(id, idlen, "%s", hid ? hid : "");
    }
    cJSON_Delete(hosts);
    if (found == 1)
        return 0;
    if (found == 0)
        fprintf(stderr, _("mamori-server: no host named %s\n"), name);
    else
        fprintf(stderr,
                _("mamori-server: %d hosts are named %s; give the host id "
                  "(mamori-server fleet --json lists them)\n"),
                found, name);
    return 1;
}

/* host remove NAME: forget the host; a PC that still runs enrols again.
 * host revoke NAME: shut its key out for good. */
static int cmd_host_change(struct mamori_server *s, const char *what, const char *name)
{
    char id[MAMORI_HOST_ID_LEN + 1];
    int rc;

    if (resolve_host(s, name, id, sizeof(id)) != 0)
        return 1;
    rc = strcmp(what, "remove") == 0 ? s->store->ops->remove_host(s->store, id)
                                     : s->store->ops->revoke_host(s->store, id, time(NULL));
    if (rc < 0) {
        fprintf(stderr, _("mamori-server: storage error; %s is unchanged\n"), name);
        return 1;
    }
    if (strcmp(what, "remove") == 0 && rc == 1) {
        fprintf(stderr, _("mamori-server: no host named %s\n"), name);
        return 1;
    }
    if (strcmp(what, "remove") == 0)
        printf(_("host %s (%s) removed; its reports and events are kept. If the PC still runs, "
                 "it enrols again by itself.\n"),
               name, id);
    else if (rc == 0)
        printf(_("host %s (%s) revoked: its key is refused from now on, for reports and for "
                 "enrolment\n"),
               name, id);
    else
        printf(_("host %s (%s) was already revoked\n"), name, id);
    return 0;
}

static int cmd_events(struct mamori_server *s, const struct cli *c)
{
    struct mamori_event_filter f = {.type = c->type, .host = c->host, .limit = 1000};
    cJSON *events;
    if (c->since != NULL && mamori_rfc3339_parse(c->since, &f.since) != 0) {
        fprintf(stderr, _("mamori-server: --since: not an RFC 3339 time: %s\n"), c->since);
        return 2;
    }
    events = s->store->ops->events(s->store, &f);
    if (events == NULL)
        return 1;
    if (c->json)
        print_json(events);
    else
        mamori_fleet_print_events(stdout, events);
    cJSON_Delete(events);
    return 0;
}

static int cmd_export(struct mamori_server *s, const struct cli *c)
{
    cJSON *hosts = s->store->ops->hosts(s->store);
    FILE *out = c->out ? fopen(c->out, "wb") : stdout;
    int rc;
    if (!c->csv) {
        fprintf(stderr, "%s", _("mamori-server export: only --csv is supported\n"));
        cJSON_Delete(hosts);
        return 2;
    }
    if (c->table != NULL && strcmp(c->table, "hosts") != 0 && out != NULL) {
        cJSON_Delete(hosts);
        rc = mamori_policy_export_csv(s, c->table, out);
        if (out != stdout && fclose(out) != 0)
            rc = -1;
        if (rc == -2)
            fprintf(stderr, "%s",
                    _("mamori-server export: --table is hosts, exceptions, ledger or"
                      " policy\n"));
        return rc == 0 ? 0 : rc == -2 ? 2 : 1;
    }
    if (hosts == NULL || out == NULL) {
        fprintf(stderr, "mamori-server export: %s\n", c->out ? c->out : "storage");
        cJSON_Delete(hosts);
        return 1;
    }
    rc = mamori_export_csv(out, hosts);
    if (out != stdout && fclose(out) != 0)
        rc = -1;
    cJSON_Delete(hosts);
    return rc == 0 ? 0 : 1;
}

static int cmd_bundle(struct mamori_server *s, const struct cli *c, int argc, char **argv)
{
    const char *what = optind < argc ? argv[optind] : "";
    time_t since = 0;
    FILE *f;
    int rc;

    if (strcmp(what, "export") == 0) {
        if (c->since != NULL && mamori_rfc3339_parse(c->since, &since) != 0) {
            fprintf(stderr, _("mamori-server: --since: not an RFC 3339 time: %s\n"), c->since);
            return 2;
        }
        f = c->out ? fopen(c->out, "w") : stdout;
        if (f == NULL) {
            perror(c->out);
            return 1;
        }
        rc = mamori_bundle_export(s, since, f);
        if (f != stdout && fclose(f) != 0)
            rc = -1;
        return rc == 0 ? 0 : 1;
    }
    if (strcmp(what, "import") == 0 && optind + 1 < argc) {
        f = fopen(argv[optind + 1], "r");
        if (f == NULL) {
            perror(argv[optind + 1]);
            return 1;
        }
        rc = mamori_bundle_import(s, f, stderr);
        fclose(f);
        return rc == 0 ? 0 : 1;
    }
    usage(stderr);
    return 2;
}

static int cmd_relay_cert(struct mamori_server *s, int argc, char **argv)
{
    char err[512];
    if (optind + 2 >= argc) {
        usage(stderr);
        return 2;
    }
    if (mamori_relay_issue_cert(s, argv[optind], argv[optind + 1], argv[optind + 2], err,
                                sizeof(err)) != 0) {
        fprintf(stderr, "mamori-server relay-cert: %s\n", err);
        return 1;
    }
    return 0;
}

static int run(const char *cmd, struct cli *c, int argc, char **argv)
{
    struct mamori_server s;
    char err[512];
    int rc = 2, serve = strcmp(cmd, "serve") == 0;

    if (mamori_server_open(&s, c->config, serve, err, sizeof(err)) != 0) {
        fprintf(stderr, "mamori-server: %s\n", err);
        mamori_server_close(&s);
        return 1;
    }
    if (serve)
        rc = cmd_serve(&s);
    else if (strcmp(cmd, "fleet") == 0)
        rc = cmd_fleet(&s, c);
    else if (strcmp(cmd, "host") == 0 && optind + 1 < argc &&
             (strcmp(argv[optind], "remove") == 0 || strcmp(argv[optind], "revoke") == 0))
        rc = cmd_host_change(&s, argv[optind], argv[optind + 1]);
    else if (strcmp(cmd, "host") == 0 && optind < argc)
        rc = cmd_host(&s, c, argv[optind]);
    else if (strcmp(cmd, "events") == 0)
        rc = cmd_events(&s, c);
    else if (strcmp(cmd, "export") == 0)
        rc = cmd_export(&s, c);
    else if (strcmp(cmd, "bundle") == 0)
        rc = cmd_bundle(&s, c, argc, argv);
    else if (strcmp(cmd, "relay-cert") == 0)
        rc = cmd_relay_cert(&s, argc, argv);
    else
        usage(stderr);
    mamori_server_close(&s);
    return rc;
}

int main(int argc, char **argv)
{
    struct cli c = {0};
    const char *cmd, *localedir = getenv("MAMORI_LOCALEDIR");

    mamori_json_arena_install(); /* before any thread: cJSON's hooks are global */
    setlocale(LC_ALL, "");
    bindtextdomain("mamori", localedir ? localedir : MAMORI_LOCALEDIR);
    textdomain("mamori");
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    cmd = argv[1];
    argv++;
    argc--;
    if (strcmp(cmd, "admin") == 0)
        return mamori_admin_main(argc, argv);
    if (strcmp(cmd, "policy") == 0 || strcmp(cmd, "usb") == 0 || strcmp(cmd, "exception") == 0)
        return mamori_policy_cli_main(cmd, argc, argv, DEFAULT_CONFIG);
    if (parse_cli(argc, argv, &c) != 0) {
        usage(stderr);
        return 2;
    }
    if (strcmp(cmd, "init") == 0) {
        if (optind >= argc) {
            usage(stderr);
            return 2;
        }
        return cmd_init(&c, argv[optind]);
    }
    return run(cmd, &c, argc, argv);
}
