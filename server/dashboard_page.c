/* dashboard_page.c -- HTML escaping, the page frame and the response headers.
 *
 * See dashboard_page.h.  The stylesheet is inline and the pages have no
 * script, so the Content-Security-Policy can forbid everything else:
 * nothing on a dashboard page can load or run code, even if a hostile report
 * slipped markup past the escaping. */
#include "dashboard_page.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "report_doc.h"

#define CSP                                                                                        \
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self';"            \
    " frame-ancestors 'none'; base-uri 'none'"

static const char style[] =
    "<style>"
    "body{font-family:\"Noto Sans CJK JP\",\"Hiragino Sans\",\"Yu "
    "Gothic\",Meiryo,\"IPAGothic\",sans-serif;"
    "margin:0;color:#1a1a1a;background:#f5f6f8;font-size:15px}"
    "header{background:#1d3557;color:#fff;padding:.5em 1em;display:flex;gap:1.2em;"
    "align-items:center;flex-wrap:wrap}"
    "header a,header button{color:#fff}header .brand{font-weight:bold;font-size:1.2em}"
    "header form{display:inline;margin:0}"
    "header button{background:none;border:1px solid #fff;border-radius:3px;cursor:pointer}"
    "header .spacer{flex:1}"
    "main{padding:1em;max-width:1200px;margin:auto}"
    "h1{font-size:1.4em}h2{font-size:1.12em;margin-top:1.6em;border-bottom:2px solid #1d3557}"
    "table{border-collapse:collapse;background:#fff;width:100%;margin:.5em 0}"
    "th,td{border:1px solid #c9cfd8;padding:.3em .5em;text-align:left;vertical-align:top}"
    "th{background:#e6ebf2}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".v{padding:0 .4em;border-radius:3px;font-weight:bold;white-space:nowrap}"
    ".pass{background:#cfead5}.fail{background:#f5c6cb}.error{background:#fcd9b0}"
    ".not_applicable{background:#e4e4e4}"
    ".good{background:#cfead5}.warn{background:#fff0b3}.bad{background:#f5c6cb}"
    ".cards{display:flex;gap:1em;flex-wrap:wrap}"
    ".card{background:#fff;border:1px solid #c9cfd8;padding:.5em 1em;min-width:9em}"
    ".card b{display:block;font-size:1.9em}"
    "pre{tab-size:2;white-space:pre-wrap;word-break:break-all;margin:0;font-size:.82em;max-height:"
    "14em;"
    "overflow:auto}"
    ".csv{font-size:.85em;margin-left:.8em;font-weight:normal}"
    ".msg{background:#f5c6cb;padding:.6em;border:1px solid #d9a0a8}"
    ".note{color:#555;font-size:.88em}"
    "form.filters{display:flex;gap:.8em;flex-wrap:wrap;align-items:end}"
    "label{display:flex;flex-direction:column;font-size:.9em}"
    "svg{background:#fff;border:1px solid #c9cfd8;max-width:100%;height:auto}"
    "</style>";

void mamori_html_escape(struct evbuffer *out, const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        const char *entity = NULL;
        switch (s[i]) {
        case '&':
            entity = "&amp;";
            break;
        case '<':
            entity = "&lt;";
            break;
        case '>':
            entity = "&gt;";
            break;
        case '"':
            entity = "&quot;";
            break;
        case '\'':
            entity = "&#39;";
            break;
        default:
            continue;
        }
        evbuffer_add(out, s + start, i - start);
        evbuffer_add(out, entity, strlen(entity));
        start = i + 1;
    }
    evbuffer_add(out, s + start, len - start);
}

void mamori_dash_raw(struct mamori_dash *d, const char *html)
{
    evbuffer_add(d->out, html, strlen(html));
}

void mamori_dash_text(struct mamori_dash *d, const char *s)
{
    if (s != NULL)
        mamori_html_escape(d->out, s, strlen(s));
}

void mamori_dash_text_max(struct mamori_dash *d, const char *s, size_t max)
{
    size_t len = s ? strlen(s) : 0;
    if (len <= max) {
        mamori_dash_text(d, s);
        return;
    }
    /* Back up to the first byte of a UTF-8 sequence. */
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    mamori_html_escape(d->out, s, max);
    mamori_dash_raw(d, "…");
}

void mamori_dash_printf(struct mamori_dash *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    evbuffer_add_vprintf(d->out, fmt, ap);
    va_end(ap);
}

void mamori_dash_url(struct mamori_dash *d, const char *s)
{
    char *enc = evhttp_uriencode(s ? s : "", -1, 0);
    if (enc != NULL)
        mamori_dash_text(d, enc);
    free(enc);
}

void mamori_dash_time(struct mamori_dash *d, const char *rfc3339)
{
    time_t t;
    struct tm tm;
    char buf[40];
    if (rfc3339 == NULL || rfc3339[0] == '\0' || mamori_rfc3339_parse(rfc3339, &t) != 0 ||
        localtime_r(&t, &tm) == NULL || strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm) == 0) {
        mamori_dash_text(d, rfc3339 && rfc3339[0] ? rfc3339 : "-");
        return;
    }
    mamori_dash_printf(d, "<time datetime=\"");
    mamori_dash_text(d, rfc3339);
    mamori_dash_printf(d, "\">%s</time>", buf);
}

void mamori_dash_verdict(struct mamori_dash *d, const char *verdict)
{
    static const struct {
        const char *id, *ja, *en;
    } names[] = {
        {"pass", "合格", "pass"},
        {"fail", "不合格", "fail"},
        {"error", "エラー", "error"},
        {"not_applicable", "対象外", "n/a"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (verdict != NULL && strcmp(verdict, names[i].id) == 0) {
            mamori_dash_printf(d, "<span class=\"v %s\">%s</span>", names[i].id,
                               DASH_T(d, names[i].ja, names[i].en));
            return;
        }
    }
    mamori_dash_raw(d, "<span class=\"v\">");
    mamori_dash_text(d, verdict ? verdict : "-");
    mamori_dash_raw(d, "</span>");
}

static void navigation(struct mamori_dash *d)
{
    mamori_dash_raw(d, "<header><span class=\"brand\">mamori</span>");
    if (d->logged_in) {
        mamori_dash_printf(d, "<a href=\"/ui/\">%s</a><a href=\"/ui/events\">%s</a>",
                           DASH_T(d, "全体状況", "Overview"), DASH_T(d, "イベント", "Events"));
        if (d->session.role == MAMORI_ROLE_ADMIN)
            mamori_dash_printf(d, "<a href=\"/ui/admin/users\">%s</a>",
                               DASH_T(d, "利用者管理", "Users"));
    }
    mamori_dash_raw(d, "<span class=\"spacer\"></span>");
    mamori_dash_printf(d, "<a href=\"?lang=%s\" lang=\"%s\">%s</a>", d->en ? "ja" : "en",
                       d->en ? "ja" : "en", d->en ? "日本語" : "English");
    if (d->logged_in) {
        mamori_dash_raw(d, "<span id=\"whoami\">");
        mamori_dash_text(d, d->session.user);
        mamori_dash_printf(d, " (%s)</span>",
                           d->session.role == MAMORI_ROLE_ADMIN ? DASH_T(d, "管理者", "admin")
                                                                : DASH_T(d, "閲覧者", "viewer"));
        mamori_dash_printf(d,
                           "<form method=\"post\" action=\"/ui/logout\">"
                           "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
                           "<button type=\"submit\" id=\"logout\">%s</button></form>",
                           d->session.csrf, DASH_T(d, "ログアウト", "Log out"));
    }
    mamori_dash_raw(d, "</header>\n<main>\n");
}

void mamori_dash_begin(struct mamori_dash *d, const char *title)
{
    mamori_dash_printf(d,
                       "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                       "<title>",
                       d->en ? "en" : "ja");
    mamori_dash_text(d, title);
    mamori_dash_raw(d, " - mamori</title>");
    mamori_dash_raw(d, style);
    mamori_dash_raw(d, "</head><body>\n");
    navigation(d);
    mamori_dash_raw(d, "<h1>");
    mamori_dash_text(d, title);
    mamori_dash_raw(d, "</h1>\n");
}

void mamori_dash_end(struct mamori_dash *d)
{
    mamori_dash_raw(d, "\n</main></body></html>\n");
}

void mamori_dash_header(struct mamori_dash *d, const char *name, const char *value)
{
    evhttp_add_header(evhttp_request_get_output_headers(d->r->req), name, value);
}

static void security_headers(struct mamori_dash *d)
{
    mamori_dash_header(d, "Content-Security-Policy", CSP);
    mamori_dash_header(d, "X-Frame-Options", "DENY");
    mamori_dash_header(d, "Referrer-Policy", "no-referrer");
    mamori_dash_header(d, "X-Content-Type-Options", "nosniff");
    mamori_dash_header(d, "Cache-Control", "no-store");
    mamori_dash_header(d, "Strict-Transport-Security", "max-age=31536000");
}

void mamori_dash_send(struct mamori_dash *d, int status)
{
    security_headers(d);
    mamori_dash_header(d, "Content-Type", "text/html; charset=utf-8");
    mamori_dash_header(d, "Content-Language", d->en ? "en" : "ja");
    evhttp_send_reply(d->r->req, status, NULL, d->out);
}

void mamori_dash_send_file(struct mamori_dash *d, const char *type, const char *filename,
                           struct evbuffer *body)
{
    char disposition[160];
    snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s\"", filename);
    security_headers(d);
    mamori_dash_header(d, "Content-Type", type);
    mamori_dash_header(d, "Content-Disposition", disposition);
    evhttp_send_reply(d->r->req, 200, NULL, body);
}

void mamori_dash_redirect(struct mamori_dash *d, const char *location)
{
    security_headers(d);
    mamori_dash_header(d, "Location", location);
    evhttp_send_reply(d->r->req, 303, "See Other", d->out);
}

void mamori_dash_message(struct mamori_dash *d, int status, const char *ja, const char *en)
{
    evbuffer_drain(d->out, evbuffer_get_length(d->out));
    mamori_dash_begin(d, DASH_T(d, ja, en));
    mamori_dash_printf(d, "<p><a href=\"/ui/\">%s</a></p>",
                       DASH_T(d, "全体状況へ戻る", "Back to the overview"));
    mamori_dash_end(d);
    mamori_dash_send(d, status);
}

const char *mamori_dash_param(struct mamori_dash *d, const char *name)
{
    const char *v = evhttp_find_header(&d->query, name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}
