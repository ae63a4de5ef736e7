/* config.c -- parsing and writing server.conf (see config.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

enum kind { K_STR, K_PATH, K_LONG, K_INT };

struct key {
    const char *name;
    enum kind kind;
    size_t offset;
    size_t size; /* for strings */
    const char *doc;
};

#define STR(f, k, d)                                                                               \
    {                                                                                              \
#f, k, offsetof(struct mamori_server_config, f),                                           \
            sizeof(((struct mamori_server_config *)0)->f), d                                       \
    }
#define NUM(f, k, d)                                                                               \
    {                                                                                              \
#f, k, offsetof(struct mamori_server_config, f), 0, d                                      \
    }

static const struct key keys[] = {
    STR(listen_addr, K_STR, "address to listen on"),
    NUM(listen_port, K_INT, "TCP port (0 = any free port, printed at start)"),
    STR(dashboard_listen_addr, K_STR,
        "dashboard on its own listener at this address (empty = on the collector listener)"),
    NUM(dashboard_listen_port, K_INT, "TCP port of that dashboard listener (0 = any free port)"),
    NUM(threads, K_INT, "worker threads, each with its own event loop"),
    STR(ca_cert, K_PATH, "CA certificate (PEM) handed to PCs"),
    STR(ca_key, K_PATH, "CA private key (Ed25519, 0600)"),
    STR(server_cert, K_PATH, "server certificate (PEM)"),
    STR(server_key, K_PATH, "server private key (0600)"),
    STR(enroll_secret_file, K_PATH, "enrolment secret (0600)"),
    STR(api_token_file, K_PATH, "bearer token for the query API (0600)"),
    STR(policy_key, K_PATH,
        "central policy signing key (Ed25519, 0600; mamori-server policy keygen)"),
    STR(db, K_STR, "sqlite or postgresql"),
    STR(db_path, K_PATH, "SQLite database file"),
    STR(db_dsn, K_STR, "PostgreSQL connection string (libpq)"),
    NUM(db_writers, K_INT,
        "PostgreSQL: connections storing report groups in parallel, 1..32 (SQLite: always 1)"),
    NUM(max_body_bytes, K_LONG, "largest accepted request body"),
    NUM(time_window_past_seconds, K_LONG, "oldest accepted report time, seconds before now"),
    NUM(time_window_future_seconds, K_LONG, "newest accepted report time, seconds after now"),
    NUM(policy_check_ms, K_INT,
        "central policy: look for changes (policy, ledger, exceptions) at most this often"),
    NUM(report_interval_seconds, K_LONG, "expected interval between reports of one host"),
    NUM(silent_after_intervals, K_INT, "a host is silent after this many missed intervals"),
    NUM(retention_days, K_INT, "raw signed reports are kept this many days"),
    NUM(batch_reports, K_INT, "most reports stored by one group commit"),
    NUM(batch_ms, K_INT, "ignored (group commit waits for no timer); kept for old files"),
    STR(upstream_url, K_STR, "relay: forward verified reports to this collector"),
    STR(upstream_ca, K_PATH, "relay: CA of the upstream collector"),
    STR(upstream_cert, K_PATH, "relay: client certificate for the upstream"),
    STR(upstream_key, K_PATH, "relay: key of that certificate"),
    NUM(relay_interval_ms, K_INT, "relay: how often the queue is forwarded"),
    STR(relay_ca_file, K_PATH, "upstream: CA certificates of relays whose hosts we accept"),
};

void mamori_server_config_defaults(struct mamori_server_config *c, const char *dir)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->dir, sizeof(c->dir), "%s", dir);
    snprintf(c->listen_addr, sizeof(c->listen_addr), "0.0.0.0");
    c->listen_port = 8443;
    c->dashboard_listen_port = 8444;
    c->threads = 2;
    snprintf(c->ca_cert, sizeof(c->ca_cert), "%s/ca.pem", dir);
    snprintf(c->ca_key, sizeof(c->ca_key), "%s/ca.key", dir);
    snprintf(c->server_cert, sizeof(c->server_cert), "%s/server.pem", dir);
    snprintf(c->server_key, sizeof(c->server_key), "%s/server.key", dir);
    snprintf(c->enroll_secret_file, sizeof(c->enroll_secret_file), "%s/enroll.secret", dir);
    snprintf(c->api_token_file, sizeof(c->api_token_file), "%s/api.token", dir);
    snprintf(c->policy_key, sizeof(c->policy_key), "%s/policy.key", dir);
    snprintf(c->db, sizeof(c->db), "sqlite");
    snprintf(c->db_path, sizeof(c->db_path), "%s/mamori.db", dir);
    c->max_body_bytes = 256 * 1024;
    c->time_window_past_seconds = 7 * 86400;
    c->time_window_future_seconds = 600;
    c->policy_check_ms = 1000;
    c->report_interval_seconds = 3600;
    c->silent_after_intervals = 3;
    c->retention_days = 400;
    c->db_writers = MAMORI_PG_DEFAULT_WRITERS;
    c->batch_reports = 256;
    c->batch_ms = 50;
    c->relay_interval_ms = 2000;
}

static char *trim(char *s)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

static int set_key(struct mamori_server_config *c, const struct key *k, const char *value)
{
    char *field = (char *)c + k->offset;
    char *end;
    long v;

    switch (k->kind) {
    case K_STR:
    case K_PATH:
        if (k->kind == K_PATH && value[0] != '/' && value[0] != '\0') {
            char joined[PATH_MAX * 2];
            snprintf(joined, sizeof(joined), "%s/%s", c->dir, value);
            if ((size_t)snprintf(field, k->size, "%s", joined) >= k->size)
                return -1;
        } else if ((size_t)snprintf(field, k->size, "%s", value) >= k->size) {
            return -1;
        }
        return 0;
    case K_LONG:
    case K_INT:
        errno = 0;
        v = strtol(value, &end, 10);
        if (errno || end == value || *end || v < 0 || (k->kind == K_INT && v > 1000000000))
            return -1;
        if (k->kind == K_LONG)
            *(long *)(void *)field = v;
        else
            *(int *)(void *)field = (int)v;
        return 0;
    }
    return -1;
}

static int apply_line(struct mamori_server_config *c, char *line, char *err, size_t errlen)
{
    char *eq = strchr(line, '='), *name, *value;

    if (eq == NULL) {
        snprintf(err, errlen, "expected \"key = value\"");
        return -1;
    }
    *eq = '\0';
    name = trim(line);
    value = trim(eq + 1);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(keys[i].name, name) != 0)
            continue;
        if (set_key(c, &keys[i], value) != 0) {
            snprintf(err, errlen, "%s: bad value \"%.64s\"", name, value);
            return -1;
        }
        return 0;
    }
    snprintf(err, errlen, "unknown key \"%.64s\"", name);
    return -1;
}

static int validate(const struct mamori_server_config *c, char *err, size_t errlen)
{
    if (strcmp(c->db, "sqlite") != 0 && strcmp(c->db, "postgresql") != 0) {
        snprintf(err, errlen, "db: must be sqlite or postgresql");
        return -1;
    }
    if (c->threads < 1 || c->threads > 64 || c->listen_port > 65535) {
        snprintf(err, errlen, "threads must be 1..64 and listen_port 0..65535");
        return -1;
    }
    if (c->dashboard_listen_port > 65535) {
        snprintf(err, errlen, "dashboard_listen_port must be 0..65535");
        return -1;
    }
    if (c->dashboard_listen_addr[0] != '\0' && c->dashboard_listen_port != 0 &&
        c->dashboard_listen_port == c->listen_port &&
        strcmp(c->dashboard_listen_addr, c->listen_addr) == 0) {
        snprintf(err, errlen, "dashboard_listen_addr:port must differ from listen_addr:port");
        return -1;
    }
    if (c->db_writers < 1 || c->db_writers > 32) {
        snprintf(err, errlen, "db_writers must be 1..32");
        return -1;
    }
    if (c->policy_check_ms < 0 || c->policy_check_ms > 3600000) {
        snprintf(err, errlen, "policy_check_ms must be 0..3600000");
        return -1;
    }
    if (c->max_body_bytes < 1024 || c->report_interval_seconds < 1 ||
        c->silent_after_intervals < 1) {
        snprintf(err, errlen, "max_body_bytes >= 1024, intervals >= 1");
        return -1;
    }
    return 0;
}

int mamori_server_config_load(struct mamori_server_config *c, const char *file, char *err,
                              size_t errlen)
{
    char dir[PATH_MAX], line[2048], why[256];
    const char *slash = strrchr(file, '/');
    FILE *f;
    int lineno = 0;

    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - file), file);
    mamori_server_config_defaults(c, dir);
    f = fopen(file, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", file, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char *l = trim(line);
        lineno++;
        if (*l == '\0' || *l == '#')
            continue;
        if (apply_line(c, l, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "%s:%d: %s", file, lineno, why);
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    if (validate(c, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s: %s", file, why);
        return -1;
    }
    return 0;
}

/* Paths inside the config directory are written relative to it. */
static const char *relative(const struct mamori_server_config *c, const char *path)
{
    size_t n = strlen(c->dir);
    if (strncmp(path, c->dir, n) == 0 && path[n] == '/')
        return path + n + 1;
    return path;
}

int mamori_server_config_write(const struct mamori_server_config *c, const char *file)
{
    FILE *f = fopen(file, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "# mamori-server configuration (docs/server.md lists every key).\n");
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const struct key *k = &keys[i];
        const char *field = (const char *)c + k->offset;
        fprintf(f, "\n# %s\n", k->doc);
        if (k->kind == K_STR)
            fprintf(f, "%s = %s\n", k->name, field);
        else if (k->kind == K_PATH)
            fprintf(f, "%s = %s\n", k->name, relative(c, field));
        else if (k->kind == K_LONG)
            fprintf(f, "%s = %ld\n", k->name, *(const long *)(const void *)field);
        else
            fprintf(f, "%s = %d\n", k->name, *(const int *)(const void *)field);
    }
    return fclose(f) == 0 ? 0 : -1;
}
