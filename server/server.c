/* server.c -- TLS 1.3 + client certificates over libevent, worker threads.
 *
 * Each worker owns an event_base and an evhttp bound to the one listening
 * socket (evhttp_accept_socket), so connections spread over the workers and
 * a keep-alive client stays on its worker.  TLS runs in OpenSSL bufferevents
 * (evhttp_set_bevcb); the handshake asks for a client certificate but does
 * not require one, because enrolment comes before a host has one.  A
 * certificate that is presented must chain to our CA, or the handshake fails.
 * Ingest then insists on one (ingest.c).
 *
 * Reports are verified on the worker that read them and stored by the
 * group-commit writer (ingest_queue.c); the writer hands each stored job back
 * to its worker (a locked list plus an event made active from the writer's
 * thread), which sends the answer.  libevent keeps a request whose client
 * went away until it is answered, so a late answer is always safe. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "http.h"
#include "ingest.h"
#include "ingest_queue.h"
#include "jws.h"
#include "policy_central.h"
#include "relay.h"

struct mamori_worker {
    struct mamori_server *srv;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp *ui_http; /* on the dashboard's own listener, when configured */
    pthread_t thread;
    /* Jobs the writer has stored, waiting for their answer to be sent. */
    pthread_mutex_t done_lock;
    struct mamori_ingest_job *done_head, *done_tail;
    struct event *done_ev;
};

int mamori_read_secret(const char *path, char *buf, size_t buflen, size_t *len)
{
    FILE *f = fopen(path, "r");
    size_t n;
    if (f == NULL)
        return -1;
    n = fread(buf, 1, buflen - 1, f);
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    *len = n;
    return n > 0 ? 0 : -1;
}

static SSL_CTX *tls_context(const struct mamori_server_config *c, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    STACK_OF(X509_NAME) * names;

    if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
        SSL_CTX_use_certificate_chain_file(ctx, c->server_cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, c->server_key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1 ||
        SSL_CTX_load_verify_locations(ctx, c->ca_cert, NULL) != 1) {
        unsigned long e = ERR_get_error();
        snprintf(err, errlen, "TLS setup (%s, %s): %s", c->server_cert, c->ca_cert,
                 e ? ERR_reason_error_string(e) : "failed");
        SSL_CTX_free(ctx);
        return NULL;
    }
    names = SSL_load_client_CA_file(c->ca_cert);
    if (names != NULL)
        SSL_CTX_set_client_CA_list(ctx, names);
    /* Ask for a certificate, verify it if given, but let enrolment in without. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"mamori", 6);
    return ctx;
}

static int open_store(struct mamori_server *s, char *err, size_t errlen)
{
    if (strcmp(s->cfg.db, "postgresql") == 0)
        s->store = mamori_store_pg_open_pool(s->cfg.db_dsn, s->cfg.db_writers, err, errlen);
    else
        s->store = mamori_store_sqlite_open(s->cfg.db_path, err, errlen);
    return s->store ? 0 : -1;
}

int mamori_server_open(struct mamori_server *s, const char *config_file, int with_tls, char *err,
                       size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->listen_fd = -1;
    s->ui_fd = -1;
    pthread_mutex_init(&s->stop_lock, NULL);
    if (mamori_server_config_load(&s->cfg, config_file, err, errlen) != 0)
        return -1;
    /* The CA key is needed only to enrol; a relay-only reader can do without. */
    if (mamori_ca_load(&s->ca, access(s->cfg.ca_key, R_OK) == 0 ? s->cfg.ca_key : NULL,
                       s->cfg.ca_cert, err, errlen) != 0)
        return -1;
    if (mamori_read_secret(s->cfg.enroll_secret_file, s->secret, sizeof(s->secret),
                           &s->secret_len) != 0)
        s->secret_len = 0; /* enrolment refused */
    if (mamori_read_secret(s->cfg.api_token_file, s->api_token, sizeof(s->api_token),
                           &s->api_token_len) != 0)
        s->api_token_len = 0; /* query API refused */
    if (with_tls && (s->tls = tls_context(&s->cfg, err, errlen)) == NULL)
        return -1;
    if (open_store(s, err, errlen) != 0)
        return -1;
    return mamori_policy_service_open(s, err, errlen);
}

/* Bind and listen on addr:port; *fd and *bound_port on success. */
static int bind_listener(const char *addr, int port, int *fd_out, int *bound_port, char *err,
                         size_t errlen)
{
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct sockaddr_storage bound;
    socklen_t blen = sizeof(bound);
    int v6 = inet_pton(AF_INET6, addr, &a6.sin6_addr) == 1;
    int one = 1, fd;

    if (!v6 && inet_pton(AF_INET, addr, &a4.sin_addr) != 1) {
        snprintf(err, errlen, "\"%s\" is not an IP address", addr);
        return -1;
    }
    fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    /* TCP_NODELAY on the listener is inherited by accepted sockets: without
     * it a response split into TLS records waits for the client's delayed ACK. */
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
        (v6 ? bind(fd, (struct sockaddr *)&a6, sizeof(a6))
            : bind(fd, (struct sockaddr *)&a4, sizeof(a4))) != 0 ||
        listen(fd, 1024) != 0 || getsockname(fd, (struct sockaddr *)&bound, &blen) != 0) {
        snprintf(err, errlen, "listen on %s:%d: %s", addr, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *fd_out = fd;
    *bound_port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                    : ((struct sockaddr_in *)&bound)->sin_port);
    return 0;
}

int mamori_server_listen(struct mamori_server *s, char *err, size_t errlen)
{
    char why[300];
    if (bind_listener(s->cfg.listen_addr, s->cfg.listen_port, &s->listen_fd, &s->port, why,
                      sizeof(why)) != 0) {
        snprintf(err, errlen, "listen_addr: %s", why);
        return -1;
    }
    if (s->cfg.dashboard_listen_addr[0] != '\0' &&
        bind_listener(s->cfg.dashboard_listen_addr, s->cfg.dashboard_listen_port, &s->ui_fd,
                      &s->ui_port, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "dashboard_listen_addr: %s", why);
        return -1;
    }
    return 0;
}

/* evhttp queues a response as two pieces (head, then body), and the OpenSSL
 * bufferevent writes each piece as its own TLS record and write(2).  Joining
 * a small response into one piece as it is queued (before evhttp enables
 * writing) sends one record in one segment. */
#define COALESCE_MAX 16384 /* one TLS record */

static void coalesce_output(struct evbuffer *out, const struct evbuffer_cb_info *info, void *arg)
{
    (void)arg;
    if (info->n_added > 0 && evbuffer_get_length(out) <= COALESCE_MAX)
        evbuffer_pullup(out, -1);
}

static struct bufferevent *tls_bevcb(struct event_base *base, void *arg)
{
    struct mamori_server *s = arg;
    SSL *ssl = SSL_new(s->tls);
    struct bufferevent *bev;
    if (ssl == NULL)
        return NULL;
    /* Not BEV_OPT_THREADSAFE: a connection lives and is answered on its own
     * worker; the writer thread only activates the worker's done_ev. */
    bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                         BEV_OPT_CLOSE_ON_FREE);
    if (bev != NULL)
        evbuffer_add_cb(bufferevent_get_output(bev), coalesce_output, NULL);
    return bev;
}

static SSL *request_ssl(struct evhttp_request *req)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
    return bev ? bufferevent_openssl_get_ssl(bev) : NULL;
}

static X509 *peer_certificate(struct evhttp_request *req)
{
    SSL *ssl = request_ssl(req);
    if (ssl == NULL || SSL_get_verify_result(ssl) != X509_V_OK)
        return NULL;
    return SSL_get0_peer_certificate(ssl);
}

/* ---- one JWS verifier per TLS connection ---- */

static int verifier_index = -1;
static pthread_once_t verifier_once = PTHREAD_ONCE_INIT;

static void free_verifier(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                          void *argp)
{
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    mamori_jws_verifier_free(ptr);
}

static void verifier_index_init(void)
{
    verifier_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, free_verifier);
}

struct mamori_jws_verifier *mamori_http_peer_verifier(struct mamori_http_request *r)
{
    SSL *ssl = request_ssl(r->req);
    EVP_PKEY *pub = r->peer ? X509_get0_pubkey(r->peer) : NULL;
    struct mamori_jws_verifier *v;

    pthread_once(&verifier_once, verifier_index_init);
    if (ssl == NULL || pub == NULL || verifier_index < 0)
        return NULL;
    v = SSL_get_ex_data(ssl, verifier_index);
    if (v != NULL && mamori_jws_verifier_key(v) == pub)
        return v;
    mamori_jws_verifier_free(v);
    v = mamori_jws_verifier_new(pub);
    SSL_set_ex_data(ssl, verifier_index, v);
    return v;
}

/* ---- answers for reports the writer has stored ---- */

/* Writer thread: queue the job for its worker and wake that worker. */
static void job_stored(struct mamori_ingest_job *job)
{
    struct mamori_worker *w = job->owner;
    pthread_mutex_lock(&w->done_lock);
    if (w->done_tail != NULL)
        w->done_tail->next = job;
    else
        w->done_head = job;
    w->done_tail = job;
    pthread_mutex_unlock(&w->done_lock);
    event_active(w->done_ev, EV_READ, 0);
}

/* Worker thread: answer every stored job. */
static void answer_stored(evutil_socket_t fd, short what, void *arg)
{
    struct mamori_worker *w = arg;
    struct mamori_ingest_job *job, *next;
    (void)fd;
    (void)what;
    pthread_mutex_lock(&w->done_lock);
    job = w->done_head;
    w->done_head = w->done_tail = NULL;
    pthread_mutex_unlock(&w->done_lock);
    for (; job != NULL; job = next) {
        struct mamori_http_request r = {.req = job->req, .srv = w->srv, .worker = w};
        cJSON *resp = NULL;
        int status = mamori_ingest_answer(w->srv, job, &resp);
        next = job->next;
        mamori_http_json(&r, status, resp);
        mamori_ingest_job_free(job);
    }
}

void mamori_http_defer_ingest(struct mamori_http_request *r, struct mamori_ingest_job *job)
{
    struct mamori_server *s = r->srv;
    if (r->worker == NULL || s->ingest_queue == NULL) { /* not serving: store it now */
        struct mamori_ingest *in = &job->in;
        cJSON *resp = NULL;
        int status;
        s->store->ops->ingest(s->store, &in, 1);
        status = mamori_ingest_answer(s, job, &resp);
        mamori_ingest_job_free(job);
        mamori_http_json(r, status, resp);
        return;
    }
    job->owner = r->worker;
    job->req = r->req;
    job->done = job_stored;
    mamori_ingest_queue_push(s->ingest_queue, job);
}

static int admin_ok(struct mamori_http_request *r)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Authorization");
    size_t n;
    if (r->srv->api_token_len == 0 || h == NULL || strncmp(h, "Bearer ", 7) != 0)
        return 0;
    h += 7;
    n = strlen(h);
    return n == r->srv->api_token_len && CRYPTO_memcmp(h, r->srv->api_token, n) == 0;
}

/* With a separate dashboard listener, each listener serves only its own
 * routes: the pages are not reachable from the PCs' network, and the PCs'
 * endpoints not from the administrators' one. */
static enum mamori_route_scope listener_scope(const struct mamori_server *s, int on_ui)
{
    if (s->ui_fd < 0)
        return MAMORI_ROUTES_ALL;
    return on_ui ? MAMORI_ROUTES_DASHBOARD : MAMORI_ROUTES_PCS;
}

static void dispatch_on(struct evhttp_request *req, struct mamori_worker *w, int on_ui)
{
    struct mamori_server *srv = w->srv;
    struct mamori_http_request r = {.req = req, .srv = srv, .worker = w};
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    const struct mamori_route *route;
    char *path = NULL, *body = NULL;
    int method_ok = 0;
    size_t len = evbuffer_get_length(in);

    path =
        evhttp_uridecode(uri && evhttp_uri_get_path(uri) ? evhttp_uri_get_path(uri) : "/", 0, NULL);
    route = path ? mamori_route_find(listener_scope(srv, on_ui), evhttp_request_get_command(req),
                                     path, &method_ok)
                 : NULL;
    r.path = path;
    r.query = uri ? evhttp_uri_get_query(uri) : NULL;
    r.peer = peer_certificate(req);
    if (route == NULL) {
        mamori_http_error(&r, method_ok ? 405 : 404, method_ok ? "method" : "not_found");
        goto out;
    }
    if (route->auth == MAMORI_AUTH_ADMIN && !admin_ok(&r)) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                          "Bearer realm=\"mamori\"");
        mamori_http_error(&r, 401, "unauthorized");
        goto out;
    }
    /* The body stays in the request's buffer (NUL-terminated there, made
     * contiguous) until the request is answered: a deferred handler (ingest)
     * may keep pointing at it without a copy. */
    if (evbuffer_add(in, "", 1) != 0 || (body = (char *)evbuffer_pullup(in, -1)) == NULL) {
        mamori_http_error(&r, 500, "memory");
        goto out;
    }
    r.body = body;
    r.body_len = len;
    route->handle(&r);
out:
    free(path);
}

static void dispatch(struct evhttp_request *req, void *arg)
{
    dispatch_on(req, arg, 0);
}

static void dispatch_ui(struct evhttp_request *req, void *arg)
{
    dispatch_on(req, arg, 1);
}

static void *worker_main(void *arg)
{
    struct mamori_worker *w = arg;
    pthread_setname_np(pthread_self(), "mamori-worker");
    event_base_dispatch(w->base);
    return NULL;
}

/* One evhttp on one listening socket, TLS and limits as every listener has. */
static struct evhttp *listener_http(struct mamori_worker *w, int fd,
                                    void (*cb)(struct evhttp_request *, void *))
{
    struct mamori_server *s = w->srv;
    struct evhttp *http = evhttp_new(w->base);
    if (http == NULL)
        return NULL;
    evhttp_set_bevcb(http, tls_bevcb, s);
    evhttp_set_gencb(http, cb, w);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    /* Bodies a little past the limit still reach ingest, which counts and
     * answers 413 itself; far larger ones are cut off by evhttp. */
    evhttp_set_max_body_size(http, (ev_ssize_t)s->cfg.max_body_bytes * 2);
    evhttp_set_max_headers_size(http, 16384);
    evhttp_set_timeout(http, 60);
    if (evhttp_accept_socket(http, fd) != 0) {
        evhttp_free(http);
        return NULL;
    }
    return http;
}

static int worker_start(struct mamori_server *s, struct mamori_worker *w)
{
    w->srv = s;
    pthread_mutex_init(&w->done_lock, NULL);
    w->base = event_base_new();
    w->done_ev = w->base ? event_new(w->base, -1, 0, answer_stored, w) : NULL;
    w->http = w->done_ev ? listener_http(w, s->listen_fd, dispatch) : NULL;
    if (w->http == NULL)
        return -1;
    if (s->ui_fd >= 0 && (w->ui_http = listener_http(w, s->ui_fd, dispatch_ui)) == NULL)
        return -1;
    return pthread_create(&w->thread, NULL, worker_main, w);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopexit(arg, NULL);
}

/* Raw reports past retention_days are deleted at start and hourly. */
static void prune_reports(evutil_socket_t fd, short what, void *arg)
{
    struct mamori_server *s = arg;
    (void)fd;
    (void)what;
    if (s->cfg.retention_days > 0 &&
        s->store->ops->prune(s->store, time(NULL) - (time_t)s->cfg.retention_days * 86400) != 0)
        fprintf(stderr, "mamori-server: pruning old reports failed\n");
}

static void worker_free(struct mamori_worker *w)
{
    if (w->done_ev != NULL)
        event_free(w->done_ev);
    if (w->http != NULL)
        evhttp_free(w->http);
    if (w->ui_http != NULL)
        evhttp_free(w->ui_http);
    if (w->base != NULL)
        event_base_free(w->base);
    pthread_mutex_destroy(&w->done_lock);
}

/* Workers end first (no new reports), then the writer stores what is queued,
 * then the last answers go out before the connections are freed. */
static void stop_workers(struct mamori_server *s, int started)
{
    for (int i = 0; i < s->nworkers; i++)
        event_base_loopexit(s->workers[i].base, NULL);
    for (int i = 0; i < s->nworkers; i++)
        pthread_join(s->workers[i].thread, NULL);
    mamori_ingest_queue_stop(s->ingest_queue);
    s->ingest_queue = NULL;
    for (int i = 0; i < started; i++) {
        if (s->workers[i].done_ev != NULL)
            answer_stored(-1, 0, &s->workers[i]);
        worker_free(&s->workers[i]);
    }
    free(s->workers);
    s->workers = NULL;
    s->nworkers = 0;
}

int mamori_server_run(struct mamori_server *s, int handle_signals)
{
    struct event *sigterm = NULL, *sigint = NULL;
    int rc = 0, started = 0;

    evthread_use_pthreads();
    signal(SIGPIPE, SIG_IGN);
    pthread_mutex_lock(&s->stop_lock);
    s->main_base = event_base_new();
    s->ingest_queue = mamori_ingest_queue_start(s->store, s->cfg.batch_reports);
    s->workers = calloc((size_t)s->cfg.threads, sizeof(*s->workers));
    for (int i = 0; s->workers && s->ingest_queue && i < s->cfg.threads && rc == 0; i++) {
        started++;
        rc = worker_start(s, &s->workers[i]);
        if (rc == 0)
            s->nworkers++;
    }
    pthread_mutex_unlock(&s->stop_lock);
    if (s->main_base == NULL || s->workers == NULL || s->ingest_queue == NULL || rc != 0)
        rc = -1;
    if (rc == 0 && handle_signals) {
        sigterm = evsignal_new(s->main_base, SIGTERM, on_signal, s->main_base);
        sigint = evsignal_new(s->main_base, SIGINT, on_signal, s->main_base);
        evsignal_add(sigterm, NULL);
        evsignal_add(sigint, NULL);
    }
    if (rc == 0 && mamori_relay_start(s) != 0)
        rc = -1;
    /* The hourly prune timer also keeps the loop alive until loopexit. */
    if (rc == 0) {
        struct event *prune = event_new(s->main_base, -1, EV_PERSIST, prune_reports, s);
        struct timeval hour = {3600, 0};
        prune_reports(-1, 0, s);
        event_add(prune, &hour);
        if (!s->stopping)
            event_base_dispatch(s->main_base);
        event_free(prune);
    }
    mamori_relay_stop(s);
    pthread_mutex_lock(&s->stop_lock);
    stop_workers(s, started);
    if (sigterm)
        event_free(sigterm);
    if (sigint)
        event_free(sigint);
    event_base_free(s->main_base);
    s->main_base = NULL;
    pthread_mutex_unlock(&s->stop_lock);
    return rc;
}

void mamori_server_stop(struct mamori_server *s)
{
    pthread_mutex_lock(&s->stop_lock);
    s->stopping = 1;
    if (s->main_base != NULL)
        event_base_loopexit(s->main_base, NULL);
    pthread_mutex_unlock(&s->stop_lock);
}

void mamori_server_close(struct mamori_server *s)
{
    mamori_policy_service_close(s);
    if (s->store)
        s->store->ops->close(s->store);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->ui_fd >= 0)
        close(s->ui_fd);
    SSL_CTX_free(s->tls);
    mamori_ca_free(&s->ca);
    OPENSSL_cleanse(s->secret, sizeof(s->secret));
    OPENSSL_cleanse(s->api_token, sizeof(s->api_token));
    pthread_mutex_destroy(&s->stop_lock);
    memset(s, 0, sizeof(*s));
    s->listen_fd = -1;
    s->ui_fd = -1;
}
