/* t_dashboard_parts.c -- the dashboard's small parsers and its HTML escaping.
 *
 * These read what browsers and PCs send (cookies, Accept-Language, stored
 * report payloads) or write it into pages, so each is checked with hostile
 * and malformed input here, and fuzzed in tests/fuzz/fuzz_dashboard.c. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <event2/buffer.h>

#include "base64url.h"
#include "catalogue.h"
#include "dashboard_data.h"
#include "dashboard_page.h"

static char *escaped(const char *s)
{
    struct evbuffer *b = evbuffer_new();
    size_t n;
    char *out;
    mamori_html_escape(b, s, strlen(s));
    n = evbuffer_get_length(b);
    out = calloc(1, n + 1);
    evbuffer_remove(b, out, n);
    evbuffer_free(b);
    return out;
}

Test(html, escapes_every_markup_character)
{
    char *e = escaped("<img src=x onerror=\"alert('1')\">&amp;");
    cr_assert_str_eq(e, "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;amp;");
    free(e);
    e = escaped("総務課 PC-01");
    cr_assert_str_eq(e, "総務課 PC-01", "UTF-8 text passes unchanged");
    free(e);
}

Test(cookie, finds_our_cookie_among_others)
{
    char v[64];
    cr_assert_eq(
        mamori_dash_cookie("a=1; mamori_session=abc_DEF-123; b=2", "mamori_session", v, sizeof(v)),
        0);
    cr_assert_str_eq(v, "abc_DEF-123");
    cr_assert_eq(mamori_dash_cookie("mamori_lang=en", "mamori_lang", v, sizeof(v)), 0);
    cr_assert_str_eq(v, "en");
    cr_assert_eq(mamori_dash_cookie("xmamori_lang=en", "mamori_lang", v, sizeof(v)), -1);
    cr_assert_eq(mamori_dash_cookie("mamori_lang", "mamori_lang", v, sizeof(v)), -1);
    cr_assert_eq(mamori_dash_cookie(NULL, "mamori_lang", v, sizeof(v)), -1);
    cr_assert_eq(mamori_dash_cookie("mamori_lang=0123456789", "mamori_lang", v, 8), -1,
                 "a value longer than the buffer is not ours");
}

Test(language, japanese_unless_english_comes_first)
{
    cr_assert_eq(mamori_dash_prefers_english(NULL), 0);
    cr_assert_eq(mamori_dash_prefers_english(""), 0);
    cr_assert_eq(mamori_dash_prefers_english("ja,en-US;q=0.9"), 0);
    cr_assert_eq(mamori_dash_prefers_english("en-US,en;q=0.9,ja;q=0.8"), 1);
    cr_assert_eq(mamori_dash_prefers_english("fr-FR, ja;q=0.5"), 0);
    cr_assert_eq(mamori_dash_prefers_english("de, eng"), 0, "\"eng\" is not English here");
    cr_assert_eq(mamori_dash_prefers_english("fr, EN"), 1);
}

static char *jws_of(const char *payload)
{
    char *body = mamori_b64url_encode_alloc((const uint8_t *)payload, strlen(payload));
    char *jws = malloc(strlen(body) + 32);
    sprintf(jws, "eyJhbGciOiJFZERTQSJ9.%s.c2ln", body);
    free(body);
    return jws;
}

static const char *bi(const cJSON *check, const char *member, const char *lang)
{
    return cJSON_GetObjectItem(cJSON_GetObjectItem(check, member), lang)->valuestring;
}

/* A schema-1 report carried its own words: the catalogue's replace them for
 * known checks; an id this build does not know keeps the report's. */
Test(report, payload_checks_merge_into_states)
{
    char *jws = jws_of("{\"checks\":[{\"id\":\"screenlock.enabled\",\"verdict\":\"fail\","
                       "\"title\":{\"ja\":\"画面ロック\"},\"remediation\":{\"ja\":\"有効にする\"},"
                       "\"evidence\":{\"idle\":0}},{\"id\":\"new.check\",\"verdict\":\"pass\","
                       "\"title\":{\"ja\":\"新しい点検\",\"en\":\"New check\"}},"
                       "{\"verdict\":\"pass\"},7]}");
    cJSON *payload = mamori_dash_jws_payload(jws, strlen(jws));
    cJSON *checks = cJSON_Parse("[{\"id\":\"screenlock.enabled\",\"verdict\":\"fail\","
                                "\"since\":\"2026-11-20T00:00:00Z\"}]");
    const struct mamori_check_text *known = mamori_catalogue_find("screenlock.enabled");
    cJSON *first, *second;
    cr_assert_not_null(payload);
    cr_assert_not_null(known);
    mamori_dash_merge_report(checks, payload);
    cr_assert_eq(cJSON_GetArraySize(checks), 2, "checks without an id are skipped");
    first = cJSON_GetArrayItem(checks, 0);
    second = cJSON_GetArrayItem(checks, 1);
    cr_assert_str_eq(cJSON_GetObjectItem(first, "since")->valuestring, "2026-11-20T00:00:00Z");
    cr_assert_str_eq(bi(first, "remediation", "ja"), known->remediation_ja);
    cr_assert_str_eq(bi(first, "title", "en"), known->title_en);
    cr_assert_str_eq(cJSON_GetObjectItem(first, "clause")->valuestring, known->clause);
    cr_assert_not_null(cJSON_GetObjectItem(first, "evidence"), "the report's evidence is kept");
    cr_assert_str_eq(cJSON_GetObjectItem(second, "id")->valuestring, "new.check");
    cr_assert_str_eq(bi(second, "title", "ja"), "新しい点検");
    cJSON_Delete(checks);
    cJSON_Delete(payload);
    free(jws);
}

/* Schema 2 carries no words: title and remediation come from the
 * catalogue, the detail of a failing check from the report. */
Test(report, compact_payload_takes_text_from_the_catalogue)
{
    char *jws = jws_of("{\"schema\":2,\"catalogue\":1,\"checks\":[{\"id\":\"av.resident\","
                       "\"verdict\":\"fail\",\"detail\":{\"ja\":\"clamd がありません\","
                       "\"en\":\"clamd is missing\"},\"evidence\":{\"missing\":[\"clamd\"]}}]}");
    cJSON *payload = mamori_dash_jws_payload(jws, strlen(jws));
    cJSON *checks = cJSON_CreateArray();
    const struct mamori_check_text *known = mamori_catalogue_find("av.resident");
    cJSON *c;
    mamori_dash_merge_report(checks, payload);
    c = cJSON_GetArrayItem(checks, 0);
    cr_assert_not_null(c);
    cr_assert_str_eq(bi(c, "title", "ja"), known->title_ja);
    cr_assert_str_eq(bi(c, "remediation", "en"), known->remediation_en);
    cr_assert_str_eq(bi(c, "detail", "en"), "clamd is missing");
    cJSON_Delete(checks);
    cJSON_Delete(payload);
    free(jws);
}

Test(report, malformed_payloads_give_null)
{
    char *jws = jws_of("[1,2]");
    cr_assert_null(mamori_dash_jws_payload(jws, strlen(jws)), "not an object");
    free(jws);
    cr_assert_null(mamori_dash_jws_payload("abc", 3));
    cr_assert_null(mamori_dash_jws_payload("a.b", 3));
    cr_assert_null(mamori_dash_jws_payload("a.!!!.c", 7));
    cr_assert_null(mamori_dash_jws_payload("a..c", 4));
}

Test(report, known_check_titles)
{
    cr_assert_str_eq(mamori_dash_check_title("usb.storage_blocked", 0),
                     "USBメモリ等による持ち出しが制限されている");
    cr_assert_str_eq(mamori_dash_check_title("av.resident", 1), "Antivirus is resident");
    cr_assert_null(mamori_dash_check_title("no.such", 0));
}
