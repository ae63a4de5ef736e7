/* fleet.h -- fleet posture computed from the stored host states.
 *
 * One JSON document serves the API (/v1/fleet), the CLI (`fleet`, printed in
 * Japanese or English) and the CSV export: compliance per check, per
 * department and per segment, who fails each check since when, and silent
 * hosts (no report for silent_after_intervals x report_interval_seconds). */
#ifndef MAMORI_SERVER_FLEET_H
#define MAMORI_SERVER_FLEET_H

#include <stdio.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "server.h"

/* hosts: the array from store->hosts() (not consumed). */
cJSON *mamori_fleet_summary(const cJSON *hosts, time_t now, long silent_after_seconds);
/* One host: record, checks, recent reports and events; NULL when unknown. */
cJSON *mamori_fleet_host(struct mamori_server *s, const char *name);

void mamori_fleet_print(FILE *out, const cJSON *summary);
void mamori_fleet_print_host(FILE *out, const cJSON *host);
void mamori_fleet_print_events(FILE *out, const cJSON *events);

/* The audit table as CSV: UTF-8 BOM, CRLF, RFC 4180 quoting, cells that a
 * spreadsheet would run as formulas neutralized with a leading '. */
int mamori_export_csv(FILE *out, const cJSON *hosts);
/* One CSV cell the same way (last: end the row with CRLF). */
void mamori_csv_cell(FILE *out, const char *v, int last);

#endif
