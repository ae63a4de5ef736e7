/* api.c -- health, metrics and the JSON query API for the security staff.
 *
 * /v1/health and /metrics are open (no secrets in them); /v1/fleet,
 * /v1/hosts/<name> and /v1/events need the admin bearer token from
 * api_token_file (docs/server.md). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "fleet.h"
#include "http.h"
#include "metrics.h"
#include "report_doc.h"

static void handle_health(struct mamori_http_request *r)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "status", "ok");
    cJSON_AddStringToObject(doc, "version", MAMORI_VERSION);
    mamori_http_json(r, 200, doc);
}

static void handle_metrics(struct mamori_http_request *r)
{
    char *text = mamori_metrics_text();
    mamori_http_text(r, text ? 200 : 500, "text/plain; version=0.0.4", text ? text : "");
    free(text);
}

static void handle_fleet(struct mamori_http_request *r)
{
    const struct mamori_server_config *c = &r->srv->cfg;
    cJSON *hosts = r->srv->store->ops->hosts(r->srv->store);
    if (hosts == NULL) {
        mamori_http_error(r, 503, "storage");
        return;
    }
    mamori_http_json(r, 200,
                     mamori_fleet_summary(hosts, time(NULL),
                                          c->report_interval_seconds * c->silent_after_intervals));
    cJSON_Delete(hosts);
}

static void handle_host(struct mamori_http_request *r)
{
    const char *name = r->path + strlen("/v1/hosts/");
    cJSON *host = name[0] ? mamori_fleet_host(r->srv, name) : NULL;
    if (host == NULL)
        mamori_http_error(r, 404, "unknown_host");
    else
        mamori_http_json(r, 200, host);
}

static void handle_events(struct mamori_http_request *r)
{
    struct evkeyvalq q;
    struct mamori_event_filter f = {.limit = 1000};
    const char *since;
    cJSON *events;

    if (evhttp_parse_query_str(r->query ? r->query : "", &q) != 0) {
        evhttp_clear_headers(&q);
        mamori_http_error(r, 400, "query");
        return;
    }
    f.type = evhttp_find_header(&q, "type");
    f.host = evhttp_find_header(&q, "host");
    since = evhttp_find_header(&q, "since");
    if (since != NULL && mamori_rfc3339_parse(since, &f.since) != 0) {
        evhttp_clear_headers(&q);
        mamori_http_error(r, 400, "since must be RFC 3339");
        return;
    }
    events = r->srv->store->ops->events(r->srv->store, &f);
    evhttp_clear_headers(&q);
    if (events == NULL)
        mamori_http_error(r, 503, "storage");
    else
        mamori_http_json(r, 200, events);
}

const struct mamori_route mamori_api_routes[] = {
    {EVHTTP_REQ_GET, "/v1/health", 0, MAMORI_AUTH_NONE, handle_health},
    {EVHTTP_REQ_GET, "/metrics", 0, MAMORI_AUTH_NONE, handle_metrics},
    {EVHTTP_REQ_GET, "/v1/fleet", 0, MAMORI_AUTH_ADMIN, handle_fleet},
    {EVHTTP_REQ_GET, "/v1/hosts/", 1, MAMORI_AUTH_ADMIN, handle_host},
    {EVHTTP_REQ_GET, "/v1/events", 0, MAMORI_AUTH_ADMIN, handle_events},
    {0, NULL, 0, 0, NULL},
};
