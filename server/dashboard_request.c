/* dashboard_request.c -- reading what a browser sends: cookies, language,
 * filters, and where a form post came from.
 *
 * Headers and query strings are attacker-controlled; these parsers never
 * write past their output, accept only what they understand, and are fuzzed
 * (tests/fuzz/fuzz_dashboard.c). */
#include "dashboard_page.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/http.h>

#include "report_doc.h"

static const char *skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

int mamori_dash_cookie(const char *header, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    const char *p = header;
    while (p != NULL && *p) {
        const char *end = strchr(p, ';');
        size_t len;
        p = skip_spaces(p);
        len = end ? (size_t)(end - p) : strlen(p);
        if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t vlen = len - nlen - 1;
            while (vlen > 0 && (p[nlen + 1 + vlen - 1] == ' ' || p[nlen + 1 + vlen - 1] == '\t'))
                vlen--;
            if (vlen >= outlen)
                return -1; /* longer than any value we set: not ours */
            memcpy(out, p + nlen + 1, vlen);
            out[vlen] = '\0';
            return 0;
        }
        p = end ? end + 1 : NULL;
    }
    return -1;
}

/* Languages in the order the browser lists them (q-values are rarely used
 * to reorder; the first of ja/en wins).  Japanese unless English comes first. */
int mamori_dash_prefers_english(const char *accept_language)
{
    const char *p = accept_language;
    while (p != NULL && *p) {
        p = skip_spaces(p);
        if (strncasecmp(p, "ja", 2) == 0 && !isalpha((unsigned char)p[2]))
            return 0;
        if (strncasecmp(p, "en", 2) == 0 && !isalpha((unsigned char)p[2]))
            return 1;
        p = strchr(p, ',');
        if (p != NULL)
            p++;
    }
    return 0;
}

/* "YYYY-MM-DD" (the date input of the filter form) as local midnight. */
static int parse_day(const char *s, time_t *out)
{
    struct tm tm = {0};
    char tail;
    if (strlen(s) != 10 ||
        sscanf(s, "%4d-%2d-%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tail) != 3)
        return -1;
    if (tm.tm_year < 1970 || tm.tm_year > 9999 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
        tm.tm_mday < 1 || tm.tm_mday > 31)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_isdst = -1;
    *out = mktime(&tm);
    return *out == (time_t)-1 ? -1 : 0;
}

int mamori_dash_event_filter(struct mamori_dash *d, struct mamori_event_filter *f)
{
    const char *since = mamori_dash_param(d, "since");
    f->type = mamori_dash_param(d, "type");
    f->host = mamori_dash_param(d, "host");
    f->since = 0;
    if (f->type != NULL && strlen(f->type) > 100)
        return -1;
    if (since == NULL)
        return 0;
    if (parse_day(since, &f->since) == 0 || mamori_rfc3339_parse(since, &f->since) == 0)
        return 0;
    return -1;
}

/* Fetch Metadata first: with Referrer-Policy no-referrer, browsers send
 * "Origin: null" on form posts, but Sec-Fetch-Site still tells a post from
 * our own page (same-origin) from another site's.  Clients without it are
 * judged by Origin when they send a real one. */
int mamori_dash_same_origin(struct mamori_dash *d)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(d->r->req);
    const char *origin = evhttp_find_header(in, "Origin");
    const char *host = evhttp_find_header(in, "Host");
    const char *site = evhttp_find_header(in, "Sec-Fetch-Site");
    char expected[300];

    if (site != NULL)
        return strcmp(site, "same-origin") == 0 || strcmp(site, "none") == 0;
    if (origin == NULL)
        return 1; /* older clients; SameSite=Strict and the CSRF token still hold */
    if (host == NULL || strcmp(origin, "null") == 0)
        return 0;
    snprintf(expected, sizeof(expected), "https://%s", host);
    return strcmp(origin, expected) == 0;
}
