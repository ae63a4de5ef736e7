/* dashboard_page.h -- building one dashboard response: escaped HTML, headers.
 *
 * Every value that comes from a report, the database or the request goes
 * through mamori_dash_text() (HTML-escaped) or mamori_dash_url() (percent-
 * encoded, then escaped); only string literals of this program go through
 * mamori_dash_raw().  Reports are written by PCs, so a hostname or an
 * evidence string may be hostile markup.  Responses carry a strict CSP
 * (no script at all), X-Frame-Options DENY and no referrer. */
#ifndef MAMORI_SERVER_DASHBOARD_PAGE_H
#define MAMORI_SERVER_DASHBOARD_PAGE_H

#include <stddef.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "auth.h"
#include "http.h"
#include "sqldb.h"

/* One request being answered. */
struct mamori_dash {
    struct mamori_http_request *r;
    struct mamori_sqldb *db;
    int en;        /* English instead of Japanese */
    int logged_in; /* session below is valid */
    struct mamori_session session;
    char token[MAMORI_SESSION_TOKEN_LEN + 1];
    struct evkeyvalq query; /* parsed query string */
    struct evbuffer *out;
};

/* The Japanese or the English text, by the page's language. */
#define DASH_T(d, ja_text, en_text) ((d)->en ? (en_text) : (ja_text))

/* Literal markup of this program (never data). */
void mamori_dash_raw(struct mamori_dash *d, const char *html);
/* Data, HTML-escaped (& < > " '). */
void mamori_dash_text(struct mamori_dash *d, const char *s);
/* Data, escaped and cut to at most max bytes on a UTF-8 boundary ("…" added). */
void mamori_dash_text_max(struct mamori_dash *d, const char *s, size_t max);
/* Numbers and other program-made values. */
void mamori_dash_printf(struct mamori_dash *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A path segment or query value: percent-encoded, then escaped. */
void mamori_dash_url(struct mamori_dash *d, const char *s);
/* RFC 3339 time shown in the server's local time ("-" when empty). */
void mamori_dash_time(struct mamori_dash *d, const char *rfc3339);
/* A verdict as a coloured, translated badge. */
void mamori_dash_verdict(struct mamori_dash *d, const char *verdict);

/* Escape s into out (any evbuffer). */
void mamori_html_escape(struct evbuffer *out, const char *s, size_t len);

/* Page frame: doctype, style, header with navigation, <main>. */
void mamori_dash_begin(struct mamori_dash *d, const char *title);
void mamori_dash_end(struct mamori_dash *d);

/* Send d->out as HTML with the security headers. */
void mamori_dash_send(struct mamori_dash *d, int status);
/* Send body with content type and security headers (CSV downloads). */
void mamori_dash_send_file(struct mamori_dash *d, const char *type, const char *filename,
                           struct evbuffer *body);
/* 303 to a local path. */
void mamori_dash_redirect(struct mamori_dash *d, const char *location);
/* A short page with a message (404, 403, 503...). */
void mamori_dash_message(struct mamori_dash *d, int status, const char *ja, const char *en);
/* Add a response header. */
void mamori_dash_header(struct mamori_dash *d, const char *name, const char *value);

/* The query parameter, or NULL. */
const char *mamori_dash_param(struct mamori_dash *d, const char *name);

/* ---- reading the request (dashboard_request.c) ---- */

/* Value of cookie name in a Cookie header into out.  0 found, -1 not. */
int mamori_dash_cookie(const char *header, const char *name, char *out, size_t outlen);
/* 1 when an Accept-Language header prefers English over Japanese. */
int mamori_dash_prefers_english(const char *accept_language);
/* Events filter from the query (type, host, since as YYYY-MM-DD local
 * midnight or RFC 3339).  0, or -1 when since is malformed. */
int mamori_dash_event_filter(struct mamori_dash *d, struct mamori_event_filter *f);
/* 1 when a POST comes from our own pages (Origin / Sec-Fetch-Site). */
int mamori_dash_same_origin(struct mamori_dash *d);

#endif
