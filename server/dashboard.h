/* dashboard.h -- the web dashboard of mamori-server (/ui/...), and its admin CLI.
 *
 * Server-rendered Japanese-first pages (English by ?lang=en, a cookie or
 * Accept-Language) with inline CSS and SVG only, because LGWAN and
 * マイナンバー利用事務系 networks reach no CDN.  Served by the same TLS
 * listener as the collector, behind dashboard accounts (auth.h): viewers
 * (helpdesk) read everything, admins also manage users.  docs/dashboard.md
 * describes the pages, the headers and the accounts. */
#ifndef MAMORI_SERVER_DASHBOARD_H
#define MAMORI_SERVER_DASHBOARD_H

#include <stddef.h>

#include "http.h"
#include "server.h"

/* GET and POST under /ui (listed in routes.c). */
extern const struct mamori_route mamori_dashboard_routes[];

/* Create the dashboard's tables (users, sessions, login failures, daily
 * trend) when missing, and load the browser certificate; called once when
 * `serve` starts.  0, or -1 with a message in err. */
int mamori_dashboard_prepare(struct mamori_server *s, char *err, size_t errlen);

/* Serve browsers the certificate in dashboard.pem / dashboard.key beside
 * server.conf (dashboard_tls.c); a notice when there is none.  0, or -1
 * with a message when the files are there but unusable. */
int mamori_dashboard_tls(struct mamori_server *s, char *err, size_t errlen);

/* `mamori-server admin add|remove|list|snapshot ...` (argv[0] is "admin").
 * Returns the process exit code. */
int mamori_admin_main(int argc, char **argv);

#endif
