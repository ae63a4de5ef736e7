/* server.h -- one running collector: configuration, CA, storage, TLS, workers.
 *
 * `serve` opens it from server.conf, binds, and runs worker threads (each its
 * own libevent loop and evhttp sharing the listening socket) until SIGTERM or
 * mamori_server_stop().  The CLI subcommands (fleet, export, bundle) open the
 * same structure without listening. */
#ifndef MAMORI_SERVER_SERVER_H
#define MAMORI_SERVER_SERVER_H

#include <pthread.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "ca.h"
#include "config.h"
#include "store.h"

struct mamori_worker;
struct mamori_ingest_queue;
struct mamori_policy_service;

struct mamori_server {
    struct mamori_server_config cfg;
    struct mamori_store *store;
    struct mamori_policy_service *policy; /* central policy (policy_service.c) */
    struct mamori_ca ca;                  /* key loaded only when enrolment is possible */
    SSL_CTX *tls;
    char secret[512];
    size_t secret_len;
    char api_token[512];
    size_t api_token_len;
    int listen_fd;
    int port;  /* actual port after bind */
    int ui_fd; /* the dashboard's own listener, or -1: pages on listen_fd */
    int ui_port;
    struct event_base *main_base;
    struct mamori_worker *workers;
    int nworkers;
    struct mamori_ingest_queue *ingest_queue; /* group-commit writer while serving */
    pthread_mutex_t stop_lock;
    int stopping;
};

/* Load config, CA, secrets and open storage; with_tls also builds the TLS
 * context.  0, or -1 with a message in err. */
int mamori_server_open(struct mamori_server *s, const char *config_file, int with_tls, char *err,
                       size_t errlen);
/* Bind cfg.listen_addr:cfg.listen_port (s->port holds the real port) and,
 * when cfg.dashboard_listen_addr is set, the dashboard's own listener
 * (s->ui_port).  With both, each listener serves only its own routes. */
int mamori_server_listen(struct mamori_server *s, char *err, size_t errlen);
/* Serve until SIGTERM/SIGINT (when handle_signals) or mamori_server_stop(). */
int mamori_server_run(struct mamori_server *s, int handle_signals);
/* Ask a running server to finish in-flight requests and return.  Thread-safe. */
void mamori_server_stop(struct mamori_server *s);
void mamori_server_close(struct mamori_server *s);

/* Read a whole small secret file, trimming a trailing newline. */
int mamori_read_secret(const char *path, char *buf, size_t buflen, size_t *len);

#endif
