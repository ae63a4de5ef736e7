/* config.h -- server.conf: one "key = value" per line, '#' comments.
 *
 * Written by `mamori-server init`, read by every other subcommand.  Relative
 * paths are taken relative to the directory holding server.conf, so an init
 * directory can be moved as a whole.  Every key is documented in
 * docs/server.md; an unknown key is an error (a typo must not silently fall
 * back to a default). */
#ifndef MAMORI_SERVER_CONFIG_H
#define MAMORI_SERVER_CONFIG_H

#include <limits.h>
#include <stddef.h>

struct mamori_server_config {
    char dir[PATH_MAX]; /* directory of server.conf */
    char listen_addr[128];
    int listen_port;
    char dashboard_listen_addr[128]; /* "" = dashboard on the collector listener */
    int dashboard_listen_port;
    int threads;
    char ca_cert[PATH_MAX], ca_key[PATH_MAX];
    char server_cert[PATH_MAX], server_key[PATH_MAX];
    char enroll_secret_file[PATH_MAX];
    char api_token_file[PATH_MAX];
    char policy_key[PATH_MAX]; /* signs central policy bundles; absent = none */
    int policy_check_ms;       /* how often acks look for policy changes */
    char db[16];               /* "sqlite" or "postgresql" */
    char db_path[PATH_MAX];
    char db_dsn[1024];
    int db_writers;
    long max_body_bytes;
    long time_window_past_seconds;
    long time_window_future_seconds;
    long report_interval_seconds;
    int silent_after_intervals;
    int retention_days;
    int batch_reports;
    int batch_ms;
    char upstream_url[512];
    char upstream_ca[PATH_MAX], upstream_cert[PATH_MAX], upstream_key[PATH_MAX];
    char relay_ca_file[PATH_MAX]; /* CAs of downstream relays we accept hosts from */
    int relay_interval_ms;
};

/* Defaults for every key (paths relative to dir). */
void mamori_server_config_defaults(struct mamori_server_config *c, const char *dir);

/* Load FILE over the defaults.  0, or -1 with "FILE:LINE: reason" in err. */
int mamori_server_config_load(struct mamori_server_config *c, const char *file, char *err,
                              size_t errlen);

/* Write c as a commented server.conf.  0 or -1 (errno set). */
int mamori_server_config_write(const struct mamori_server_config *c, const char *file);

#endif
