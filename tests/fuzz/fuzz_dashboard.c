/* fuzz_dashboard.c -- what the dashboard reads from browsers and from PCs.
 *
 * The first byte picks the parser:
 *   'c'  a Cookie header (mamori_dash_cookie), output must stay in bounds
 *   'l'  an Accept-Language header
 *   anything else: the rest is a report payload, as a PC signed it; it is
 *        wrapped as a stored JWS, decoded (mamori_dash_jws_payload), merged
 *        into check states, and every string is HTML-escaped the way the
 *        host page writes it -- the escaped text must never contain markup
 *        characters, whatever the report said. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "base64url.h"
#include "dashboard_data.h"
#include "dashboard_page.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *as_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s != NULL) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

static void assert_escaped(struct evbuffer *out)
{
    size_t n = evbuffer_get_length(out);
    const char *text = (const char *)evbuffer_pullup(out, (ev_ssize_t)n);
    for (size_t i = 0; i < n; i++)
        if (text[i] == '<' || text[i] == '>' || text[i] == '"' || text[i] == '\'')
            abort();
    evbuffer_drain(out, n);
}

/* Escape every string in the document, as the pages do. */
static void escape_all(struct mamori_dash *d, const cJSON *item)
{
    const cJSON *child;
    if (cJSON_IsString(item) && item->valuestring != NULL) {
        mamori_dash_text_max(d, item->valuestring, 40);
        assert_escaped(d->out);
        mamori_dash_text(d, item->valuestring);
        assert_escaped(d->out);
    }
    cJSON_ArrayForEach(child, item)
    {
        escape_all(d, child);
    }
}

static void fuzz_payload(const uint8_t *data, size_t size)
{
    char *body = mamori_b64url_encode_alloc(data, size), *jws;
    struct mamori_dash d = {.out = evbuffer_new()};
    cJSON *payload, *checks;
    if (body == NULL || d.out == NULL)
        goto out;
    jws = malloc(strlen(body) + 16);
    if (jws == NULL)
        goto out;
    strcpy(jws, "e30.");
    strcat(jws, body);
    strcat(jws, ".c2ln");
    payload = mamori_dash_jws_payload(jws, strlen(jws));
    checks = cJSON_Parse("[{\"id\":\"screenlock.enabled\",\"verdict\":\"fail\"}]");
    mamori_dash_merge_report(checks, payload);
    escape_all(&d, checks);
    cJSON_Delete(checks);
    cJSON_Delete(payload);
    free(jws);
out:
    free(body);
    if (d.out != NULL)
        evbuffer_free(d.out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s, value[64];
    if (size == 0)
        return 0;
    if (data[0] == 'c' || data[0] == 'l') {
        s = as_string(data + 1, size - 1);
        if (s == NULL)
            return 0;
        if (data[0] == 'c' && mamori_dash_cookie(s, "mamori_session", value, sizeof(value)) == 0 &&
            strlen(value) >= sizeof(value))
            abort();
        if (data[0] == 'l')
            (void)mamori_dash_prefers_english(s);
        free(s);
        return 0;
    }
    fuzz_payload(data + 1, size - 1);
    return 0;
}
