/* routes.c -- every route table the collector serves; add a line per new table. */
#include "http.h"
#include "dashboard.h"

#include <string.h>

#include <event2/buffer.h>

const struct mamori_route *const mamori_route_tables[] = {
    mamori_enroll_routes,
    mamori_ingest_routes,
    mamori_api_routes,
    mamori_relay_routes,
    mamori_policy_routes,
    mamori_dashboard_routes,
    NULL,
};

static int path_matches(const struct mamori_route *route, const char *path)
{
    if (route->prefix)
        return strncmp(path, route->path, strlen(route->path)) == 0;
    return strcmp(path, route->path) == 0;
}

static int table_in_scope(const struct mamori_route *table, enum mamori_route_scope scope)
{
    if (scope == MAMORI_ROUTES_ALL)
        return 1;
    return (table == mamori_dashboard_routes) == (scope == MAMORI_ROUTES_DASHBOARD);
}

const struct mamori_route *mamori_route_find(enum mamori_route_scope scope,
                                             enum evhttp_cmd_type method, const char *path,
                                             int *method_ok)
{
    *method_ok = 0;
    for (int t = 0; mamori_route_tables[t] != NULL; t++) {
        if (!table_in_scope(mamori_route_tables[t], scope))
            continue;
        for (const struct mamori_route *r = mamori_route_tables[t]; r->path != NULL; r++) {
            if (!path_matches(r, path))
                continue;
            *method_ok = 1;
            if (r->method == method)
                return r;
        }
    }
    return NULL;
}

void mamori_http_text(struct mamori_http_request *r, int status, const char *type, const char *text)
{
    struct evbuffer *out = evbuffer_new();
    struct evkeyvalq *headers = evhttp_request_get_output_headers(r->req);
    evhttp_add_header(headers, "Content-Type", type);
    evhttp_add_header(headers, "Cache-Control", "no-store");
    evbuffer_add(out, text, strlen(text));
    evhttp_send_reply(r->req, status, NULL, out);
    evbuffer_free(out);
}

void mamori_http_json(struct mamori_http_request *r, int status, cJSON *doc)
{
    char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
    mamori_http_text(r, text ? status : 500, "application/json", text ? text : "{}");
    cJSON_free(text);
    cJSON_Delete(doc);
}

void mamori_http_error(struct mamori_http_request *r, int status, const char *code)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "error", code);
    mamori_http_json(r, status, doc);
}
