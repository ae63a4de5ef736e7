/* http.h -- request routing for the collector's HTTPS endpoints.
 *
 * Routes live in tables, one per concern (ingest.c, enroll.c, api.c, and a
 * later dashboard), listed in routes.c; adding pages means adding a table in
 * a new file and one line there.  The dispatcher handles method checks, the
 * admin bearer token, and hands handlers the peer certificate and body. */
#ifndef MAMORI_SERVER_HTTP_H
#define MAMORI_SERVER_HTTP_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <event2/http.h>
#include <openssl/x509.h>

#include "server.h"

struct mamori_worker;
struct mamori_ingest_job;
struct mamori_jws_verifier;

struct mamori_http_request {
    struct evhttp_request *req;
    struct mamori_server *srv;
    struct mamori_worker *worker; /* the thread serving it */
    X509 *peer;                   /* client certificate verified against our CA, or NULL */
    const char *path;             /* decoded path without query */
    const char *query;            /* raw query string or NULL */
    const char *body;             /* NUL-terminated copy of the body */
    size_t body_len;
    char *body_owned; /* the dispatcher frees it unless taken */
};

enum mamori_route_auth { MAMORI_AUTH_NONE, MAMORI_AUTH_ADMIN };

struct mamori_route {
    enum evhttp_cmd_type method;
    const char *path;
    int prefix; /* path is a prefix ("/v1/hosts/") */
    enum mamori_route_auth auth;
    void (*handle)(struct mamori_http_request *r);
};

/* NULL-terminated list of NULL-path-terminated tables (routes.c). */
extern const struct mamori_route *const mamori_route_tables[];
extern const struct mamori_route mamori_ingest_routes[];
extern const struct mamori_route mamori_enroll_routes[];
extern const struct mamori_route mamori_api_routes[];
extern const struct mamori_route mamori_relay_routes[];
extern const struct mamori_route mamori_policy_routes[];

/* Send doc (consumed) as JSON with the given status. */
void mamori_http_json(struct mamori_http_request *r, int status, cJSON *doc);
/* {"error": code} with the given status. */
void mamori_http_error(struct mamori_http_request *r, int status, const char *code);
void mamori_http_text(struct mamori_http_request *r, int status, const char *type,
                      const char *text);

/* The JWS verifier of the client certificate's key, kept with the TLS
 * connection so a keep-alive host's reports reuse it.  NULL without a
 * usable (Ed25519) client certificate. */
struct mamori_jws_verifier *mamori_http_peer_verifier(struct mamori_http_request *r);
/* Hand a verified report to the group-commit writer; the answer is sent on
 * this request's worker after the commit.  The handler must not reply. */
void mamori_http_defer_ingest(struct mamori_http_request *r, struct mamori_ingest_job *job);

/* Which tables a listener serves: every one, or -- when the dashboard has
 * its own listener (server.conf dashboard_listen_addr) -- only the PCs'
 * tables on theirs and only the dashboard's on its own. */
enum mamori_route_scope { MAMORI_ROUTES_ALL, MAMORI_ROUTES_PCS, MAMORI_ROUTES_DASHBOARD };

/* Find the route for method+path among the tables in scope; NULL when none
 * (404) -- *method_ok tells 405. */
const struct mamori_route *mamori_route_find(enum mamori_route_scope scope,
                                             enum evhttp_cmd_type method, const char *path,
                                             int *method_ok);

#endif
