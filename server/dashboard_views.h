/* dashboard_views.h -- the dashboard's pages, charts and CSV downloads.
 *
 * Each renderer takes the cJSON built by dashboard_data.c and writes one
 * complete response; dashboard.c decides who may see which. */
#ifndef MAMORI_SERVER_DASHBOARD_VIEWS_H
#define MAMORI_SERVER_DASHBOARD_VIEWS_H

#include <time.h>

#include <cjson/cJSON.h>

#include "dashboard_page.h"
#include "server.h"

/* How many rows the overview lists in each table (CSV has them all). */
#define MAMORI_DASH_LIST_ROWS 50

void mamori_dash_page_overview(struct mamori_dash *d, const cJSON *ov, time_t now);
void mamori_dash_page_host(struct mamori_dash *d, const cJSON *host);
/* filters echoes the query (type, host, since) into the form. */
void mamori_dash_page_events(struct mamori_dash *d, const cJSON *events);
/* status 200 for the empty form; 401/429 with a message. */
void mamori_dash_page_login(struct mamori_dash *d, int status, const char *ja, const char *en);
void mamori_dash_page_users(struct mamori_dash *d, const cJSON *users);

/* Inline SVG: stacked pass/fail/error/n.a. bars per check. */
void mamori_dash_chart_checks(struct mamori_dash *d, const cJSON *checks);
/* Inline SVG: compliance rate per day over MAMORI_TREND_DAYS ending today. */
void mamori_dash_chart_trend(struct mamori_dash *d, const cJSON *trend, time_t now);

/* Shared pieces. */
const char *mamori_dash_bi(const cJSON *o, const char *member, int en);
const char *mamori_dash_str(const cJSON *o, const char *member);
double mamori_dash_num(const cJSON *o, const char *member);
const char *mamori_dash_segment_name(const char *segment, int en);

/* /ui/csv/<name>.csv: answer with the table, or 404 for an unknown name. */
void mamori_dash_csv(struct mamori_dash *d, struct mamori_server *s, const char *name);

#endif
