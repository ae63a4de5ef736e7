/* dashboard_views.c -- overview, host, events, login and user pages as HTML.
 *
 * Pages are written top to bottom into the response buffer.  Every value
 * from the database or a report passes mamori_dash_text/_url; the only raw
 * strings are literals here.  Each table has a CSV link beside its heading
 * (dashboard_csv.c), because the security office takes the same numbers
 * into its 自己点検 and audit spreadsheets. */
#include "dashboard_views.h"

#include <stdio.h>
#include <string.h>

#include "dashboard_data.h"

const char *mamori_dash_str(const cJSON *o, const char *member)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, member);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

double mamori_dash_num(const cJSON *o, const char *member)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, member);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* {"ja":..,"en":..} member in the page's language, else the other one. */
const char *mamori_dash_bi(const cJSON *o, const char *member, int en)
{
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, member);
    const char *want = mamori_dash_str(b, en ? "en" : "ja");
    if (cJSON_IsString(b))
        return b->valuestring;
    return want[0] ? want : mamori_dash_str(b, en ? "ja" : "en");
}

const char *mamori_dash_segment_name(const char *segment, int en)
{
    if (strcmp(segment, "mynumber") == 0)
        return en ? "My Number (mynumber)" : "マイナンバー利用事務系";
    if (strcmp(segment, "lgwan") == 0)
        return en ? "LGWAN (lgwan)" : "LGWAN接続系";
    if (strcmp(segment, "internet") == 0)
        return en ? "Internet (internet)" : "インターネット接続系";
    return segment;
}

static void heading(struct mamori_dash *d, const char *ja, const char *en, const char *csv)
{
    mamori_dash_printf(d, "<h2>%s", DASH_T(d, ja, en));
    if (csv != NULL) {
        mamori_dash_raw(d, "<a class=\"csv\" href=\"/ui/csv/");
        mamori_dash_raw(d, csv);
        mamori_dash_raw(d, "\">CSV</a>");
    }
    mamori_dash_raw(d, "</h2>\n");
}

static void host_link(struct mamori_dash *d, const char *hostname)
{
    mamori_dash_raw(d, "<a href=\"/ui/hosts/");
    mamori_dash_url(d, hostname);
    mamori_dash_raw(d, "\">");
    mamori_dash_text(d, hostname[0] ? hostname : "-");
    mamori_dash_raw(d, "</a>");
}

static void check_name(struct mamori_dash *d, const char *id, const char *reported_title)
{
    const char *known = mamori_dash_check_title(id, d->en);
    mamori_dash_text(d, reported_title && reported_title[0] ? reported_title : known ? known : id);
    mamori_dash_raw(d, "<br><code class=\"note\">");
    mamori_dash_text(d, id);
    mamori_dash_raw(d, "</code>");
}

/* A rate cell coloured by how much of the group complies. */
static void rate_cell(struct mamori_dash *d, double part, double whole)
{
    double pct = whole > 0 ? 100.0 * part / whole : 100.0;
    const char *cls = pct >= 95.0 ? "good" : pct >= 80.0 ? "warn" : "bad";
    mamori_dash_printf(d, "<td class=\"n %s\">%.1f%%</td>", cls, pct);
}

static void card(struct mamori_dash *d, const char *id, const char *label, long value)
{
    mamori_dash_printf(d, "<div class=\"card\">%s<b id=\"%s\">%ld</b></div>", label, id, value);
}

static void overview_cards(struct mamori_dash *d, const cJSON *ov)
{
    long hosts = (long)mamori_dash_num(ov, "hosts"), ok = (long)mamori_dash_num(ov, "compliant");
    mamori_dash_raw(d, "<div class=\"cards\">");
    card(d, "count-hosts", DASH_T(d, "端末数", "Hosts"), hosts);
    card(d, "count-compliant", DASH_T(d, "遵守", "Compliant"), ok);
    card(d, "count-noncompliant", DASH_T(d, "不遵守", "Not compliant"), hosts - ok);
    card(d, "count-silent", DASH_T(d, "報告なし", "Silent"), (long)mamori_dash_num(ov, "silent"));
    mamori_dash_printf(d, "<div class=\"card\">%s<b id=\"rate\">%.1f%%</b></div></div>\n",
                       DASH_T(d, "遵守率", "Compliance"), hosts ? 100.0 * ok / hosts : 100.0);
}

static void checks_table(struct mamori_dash *d, const cJSON *checks)
{
    const cJSON *c;
    mamori_dash_printf(d,
                       "<table id=\"checks\"><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
                       "<th>%s</th><th>%s</th></tr>\n",
                       DASH_T(d, "点検項目", "Check"), DASH_T(d, "合格", "Pass"),
                       DASH_T(d, "不合格", "Fail"), DASH_T(d, "エラー", "Error"),
                       DASH_T(d, "対象外", "N/A"), DASH_T(d, "遵守率", "Compliance"));
    cJSON_ArrayForEach(c, checks)
    {
        double pass = mamori_dash_num(c, "pass"), fail = mamori_dash_num(c, "fail"),
               error = mamori_dash_num(c, "error");
        mamori_dash_raw(d, "<tr><td>");
        check_name(d, mamori_dash_str(c, "id"), NULL);
        mamori_dash_printf(d, "</td><td class=\"n\">%.0f</td><td class=\"n\">%.0f</td>", pass,
                           fail);
        mamori_dash_printf(d, "<td class=\"n\">%.0f</td><td class=\"n\">%.0f</td>", error,
                           mamori_dash_num(c, "not_applicable"));
        rate_cell(d, pass, pass + fail + error);
        mamori_dash_raw(d, "</tr>\n");
    }
    mamori_dash_raw(d, "</table>\n");
}

static void groups_table(struct mamori_dash *d, const char *id, const cJSON *groups, int segments)
{
    const cJSON *g;
    mamori_dash_printf(d,
                       "<table id=\"%s\"><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
                       "<th>%s</th></tr>\n",
                       id, segments ? DASH_T(d, "系", "Segment") : DASH_T(d, "所属", "Department"),
                       DASH_T(d, "端末数", "Hosts"), DASH_T(d, "遵守", "Compliant"),
                       DASH_T(d, "不遵守", "Not compliant"), DASH_T(d, "遵守率", "Compliance"));
    cJSON_ArrayForEach(g, groups)
    {
        double hosts = mamori_dash_num(g, "hosts"), ok = mamori_dash_num(g, "compliant");
        const char *name = mamori_dash_str(g, "name");
        mamori_dash_raw(d, "<tr><td>");
        mamori_dash_text(d, segments ? mamori_dash_segment_name(name, d->en) : name);
        mamori_dash_printf(d,
                           "</td><td class=\"n\">%.0f</td><td class=\"n\">%.0f</td>"
                           "<td class=\"n\">%.0f</td>",
                           hosts, ok, hosts - ok);
        rate_cell(d, ok, hosts);
        mamori_dash_raw(d, "</tr>\n");
    }
    mamori_dash_raw(d, "</table>\n");
}

static void failing_table(struct mamori_dash *d, const cJSON *failing)
{
    const cJSON *f;
    mamori_dash_printf(d,
                       "<table id=\"failing\"><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
                       "<th>%s</th></tr>\n",
                       DASH_T(d, "点検項目", "Check"), DASH_T(d, "端末", "Host"),
                       DASH_T(d, "所属", "Department"), DASH_T(d, "判定", "Verdict"),
                       DASH_T(d, "不合格となった日時", "Failing since"));
    cJSON_ArrayForEach(f, failing)
    {
        mamori_dash_raw(d, "<tr><td>");
        check_name(d, mamori_dash_str(f, "check_id"), NULL);
        mamori_dash_raw(d, "</td><td>");
        host_link(d, mamori_dash_str(f, "hostname"));
        mamori_dash_raw(d, "</td><td>");
        mamori_dash_text(d, mamori_dash_str(f, "department"));
        mamori_dash_raw(d, "</td><td>");
        mamori_dash_verdict(d, mamori_dash_str(f, "verdict"));
        mamori_dash_raw(d, "</td><td>");
        mamori_dash_time(d, mamori_dash_str(f, "since"));
        mamori_dash_raw(d, "</td></tr>\n");
    }
    mamori_dash_raw(d, "</table>\n");
}

static void silent_table(struct mamori_dash *d, const cJSON *silent)
{
    const cJSON *s;
    mamori_dash_printf(d, "<table id=\"silent\"><tr><th>%s</th><th>%s</th><th>%s</th></tr>\n",
                       DASH_T(d, "端末", "Host"), DASH_T(d, "所属", "Department"),
                       DASH_T(d, "最終報告", "Last report"));
    cJSON_ArrayForEach(s, silent)
    {
        const char *seen = mamori_dash_str(s, "last_seen");
        mamori_dash_raw(d, "<tr><td>");
        host_link(d, mamori_dash_str(s, "hostname"));
        mamori_dash_raw(d, "</td><td>");
        mamori_dash_text(d, mamori_dash_str(s, "department"));
        mamori_dash_raw(d, "</td><td>");
        if (seen[0])
            mamori_dash_time(d, seen);
        else
            mamori_dash_raw(d, DASH_T(d, "報告なし(登録のみ)", "never (enrolled only)"));
        mamori_dash_raw(d, "</td></tr>\n");
    }
    mamori_dash_raw(d, "</table>\n");
}

static void facts_cell(struct mamori_dash *d, const cJSON *facts)
{
    char *text = cJSON_IsObject(facts) && facts->child ? cJSON_PrintUnformatted(facts) : NULL;
    if (text != NULL) {
        mamori_dash_raw(d, "<pre>");
        mamori_dash_text_max(d, text, 600);
        mamori_dash_raw(d, "</pre>");
    }
    cJSON_free(text);
}

static void events_table(struct mamori_dash *d, const char *id, const cJSON *events, int with_host)
{
    const cJSON *e;
    mamori_dash_printf(d, "<table id=\"%s\"><tr><th>%s</th>", id, DASH_T(d, "日時", "Time"));
    if (with_host)
        mamori_dash_printf(d, "<th>%s</th>", DASH_T(d, "端末", "Host"));
    mamori_dash_printf(d, "<th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
                       DASH_T(d, "種別", "Type"), DASH_T(d, "重大度", "Severity"),
                       DASH_T(d, "内容", "Summary"), DASH_T(d, "詳細", "Facts"));
    cJSON_ArrayForEach(e, events)
    {
        mamori_dash_raw(d, "<tr><td>");
        mamori_dash_time(d, mamori_dash_str(e, "time"));
        if (with_host) {
            mamori_dash_raw(d, "</td><td>");
            host_link(d, mamori_dash_str(e, "hostname"));
        }
        mamori_dash_raw(d, "</td><td><code>");
        mamori_dash_text(d, mamori_dash_str(e, "type"));
        mamori_dash_raw(d, "</code></td><td>");
        mamori_dash_text(d, mamori_dash_str(e, "severity"));
        mamori_dash_raw(d, "</td><td>");
        mamori_dash_text_max(d, mamori_dash_bi(e, "summary", d->en), 1000);
        mamori_dash_raw(d, "</td><td>");
        facts_cell(d, cJSON_GetObjectItemCaseSensitive(e, "facts"));
        mamori_dash_raw(d, "</td></tr>\n");
    }
    mamori_dash_raw(d, "</table>\n");
    if (cJSON_GetArraySize(events) == 0)
        mamori_dash_printf(d, "<p class=\"note\">%s</p>", DASH_T(d, "該当なし", "None"));
}

static void listed_note(struct mamori_dash *d, const cJSON *list)
{
    if (cJSON_GetArraySize(list) >= MAMORI_DASH_LIST_ROWS)
        mamori_dash_printf(d, "<p class=\"note\">%s</p>",
                           DASH_T(d, "先頭の50件を表示しています。すべての行はCSVにあります。",
                                  "The first 50 rows are shown; the CSV has every row."));
}

void mamori_dash_page_overview(struct mamori_dash *d, const cJSON *ov, time_t now)
{
    const cJSON *failing = cJSON_GetObjectItem(ov, "failing");
    const cJSON *silent = cJSON_GetObjectItem(ov, "silent_hosts");
    mamori_dash_begin(d, DASH_T(d, "全体状況", "Fleet overview"));
    mamori_dash_printf(d,
                       "<form class=\"filters\" method=\"get\" action=\"/ui/hosts\">"
                       "<label>%s<input name=\"q\" id=\"find-host\" required></label>"
                       "<button type=\"submit\">%s</button></form>\n",
                       DASH_T(d, "端末名またはホストID", "Hostname or host id"),
                       DASH_T(d, "端末を表示", "Show host"));
    overview_cards(d, ov);
    heading(d, "点検項目ごとの遵守状況", "Compliance per check", "checks.csv");
    mamori_dash_chart_checks(d, cJSON_GetObjectItem(ov, "checks"));
    checks_table(d, cJSON_GetObjectItem(ov, "checks"));
    heading(d, "所属別", "Per department", "departments.csv");
    groups_table(d, "departments", cJSON_GetObjectItem(ov, "departments"), 0);
    heading(d, "系別", "Per segment", "segments.csv");
    groups_table(d, "segments", cJSON_GetObjectItem(ov, "segments"), 1);
    heading(d, "遵守率の推移(30日間)", "Compliance over 30 days", "trend.csv");
    mamori_dash_chart_trend(d, cJSON_GetObjectItem(ov, "trend"), now);
    heading(d, "不合格の端末(古い順)", "Failing hosts (oldest first)", "failing.csv");
    failing_table(d, failing);
    listed_note(d, failing);
    heading(d, "報告のない端末", "Silent hosts", "silent.csv");
    silent_table(d, silent);
    listed_note(d, silent);
    heading(d, "最近のUSBブロック", "Recent USB blocks", "usb-blocks.csv");
    events_table(d, "usb-blocks", cJSON_GetObjectItem(ov, "usb"), 1);
    heading(d, "最近のネットワーク拒否", "Recent network refusals", "net-blocks.csv");
    events_table(d, "net-blocks", cJSON_GetObjectItem(ov, "net"), 1);
    mamori_dash_printf(d, "<p><a id=\"audit-csv\" href=\"/ui/csv/audit.csv\">%s</a></p>",
                       DASH_T(d, "自己点検・監査用の一覧(CSV)", "Audit table (CSV)"));
    mamori_dash_end(d);
    mamori_dash_send(d, 200);
}

/* ---- one host ---- */

static void host_facts_row(struct mamori_dash *d, const char *label, const char *value, int time)
{
    mamori_dash_printf(d, "<tr><th>%s</th><td>", label);
    if (time)
        mamori_dash_time(d, value);
    else
        mamori_dash_text(d, value[0] ? value : "-");
    mamori_dash_raw(d, "</td></tr>\n");
}

static void host_facts(struct mamori_dash *d, const cJSON *h)
{
    const cJSON *rep = cJSON_GetObjectItem(h, "report");
    mamori_dash_raw(d, "<table id=\"host-facts\">");
    host_facts_row(d, DASH_T(d, "ホストID", "Host id"), mamori_dash_str(h, "id"), 0);
    host_facts_row(d, DASH_T(d, "所属", "Department"), mamori_dash_str(h, "department"), 0);
    host_facts_row(d, DASH_T(d, "系", "Segment"),
                   mamori_dash_segment_name(mamori_dash_str(h, "segment"), d->en), 0);
    host_facts_row(d, DASH_T(d, "団体", "Municipality"), mamori_dash_str(h, "municipality"), 0);
    host_facts_row(d, DASH_T(d, "登録", "Enrolled"), mamori_dash_str(h, "enrolled"), 1);
    host_facts_row(d, DASH_T(d, "最終受信", "Last report received"),
                   mamori_dash_str(h, "last_seen"), 1);
    if (cJSON_IsObject(rep)) {
        mamori_dash_printf(d, "<tr><th>%s</th><td>seq %.0f, ",
                           DASH_T(d, "最新の報告", "Latest report"), mamori_dash_num(rep, "seq"));
        mamori_dash_time(d, mamori_dash_str(rep, "time"));
        mamori_dash_raw(d, "</td></tr>\n");
    }
    if (cJSON_IsTrue(cJSON_GetObjectItem(h, "revoked")))
        mamori_dash_printf(d, "<tr><th>%s</th><td class=\"bad\">%s</td></tr>",
                           DASH_T(d, "状態", "State"), DASH_T(d, "失効", "revoked"));
    mamori_dash_raw(d, "</table>\n");
}

static void evidence_cell(struct mamori_dash *d, const cJSON *evidence)
{
    char *text = evidence != NULL && !cJSON_IsNull(evidence) ? cJSON_Print(evidence) : NULL;
    if (text != NULL) {
        mamori_dash_raw(d, "<pre>");
        mamori_dash_text_max(d, text, 4000);
        mamori_dash_raw(d, "</pre>");
    }
    cJSON_free(text);
}

static void check_row(struct mamori_dash *d, const cJSON *c)
{
    const char *verdict = mamori_dash_str(c, "verdict");
    int failing = strcmp(verdict, "fail") == 0 || strcmp(verdict, "error") == 0;
    mamori_dash_printf(d, "<tr class=\"check-%s\"><td>", failing ? "failing" : "ok");
    check_name(d, mamori_dash_str(c, "id"), mamori_dash_bi(c, "title", d->en));
    mamori_dash_raw(d, "</td><td>");
    mamori_dash_verdict(d, verdict);
    mamori_dash_raw(d, "</td><td>");
    if (failing)
        mamori_dash_time(d, mamori_dash_str(c, "since"));
    else
        mamori_dash_raw(d, "-");
    mamori_dash_raw(d, "</td><td>");
    mamori_dash_text_max(d, mamori_dash_bi(c, "detail", d->en), 2000);
    mamori_dash_raw(d, "</td><td class=\"remediation\">");
    if (failing)
        mamori_dash_text_max(d, mamori_dash_bi(c, "remediation", d->en), 2000);
    mamori_dash_raw(d, "</td><td>");
    mamori_dash_text(d, mamori_dash_str(c, "clause"));
    mamori_dash_raw(d, "</td><td>");
    evidence_cell(d, cJSON_GetObjectItemCaseSensitive(c, "evidence"));
    mamori_dash_raw(d, "</td></tr>\n");
}

static void host_checks(struct mamori_dash *d, const cJSON *checks)
{
    const cJSON *c;
    mamori_dash_printf(d,
                       "<table id=\"host-checks\"><tr><th>%s</th><th>%s</th><th>%s</th>"
                       "<th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
                       DASH_T(d, "点検項目", "Check"), DASH_T(d, "判定", "Verdict"),
                       DASH_T(d, "不合格となった日時", "Failing since"),
                       DASH_T(d, "詳細", "Detail"), DASH_T(d, "対処方法", "Remediation"),
                       DASH_T(d, "規定", "Clause"), DASH_T(d, "根拠", "Evidence"));
    cJSON_ArrayForEach(c, checks)
    {
        check_row(d, c);
    }
    mamori_dash_raw(d, "</table>\n");
}

static void history_table(struct mamori_dash *d, const cJSON *history)
{
    const cJSON *r;
    mamori_dash_printf(d,
                       "<table id=\"history\"><tr><th>seq</th><th>%s</th><th>%s</th>"
                       "<th>SHA-256</th></tr>\n",
                       DASH_T(d, "報告時刻", "Report time"), DASH_T(d, "受信時刻", "Received"));
    cJSON_ArrayForEach(r, history)
    {
        mamori_dash_printf(d, "<tr><td class=\"n\">%.0f</td><td>", mamori_dash_num(r, "seq"));
        mamori_dash_time(d, mamori_dash_str(r, "time"));
        mamori_dash_raw(d, "</td><td>");
        mamori_dash_time(d, mamori_dash_str(r, "received"));
        mamori_dash_raw(d, "</td><td><code>");
        mamori_dash_text(d, mamori_dash_str(r, "sha256"));
        mamori_dash_raw(d, "</code></td></tr>\n");
    }
    mamori_dash_raw(d, "</table>\n");
}

static void host_heading(struct mamori_dash *d, const char *ja, const char *en, const char *csv,
                         const char *host_id)
{
    mamori_dash_printf(d, "<h2>%s<a class=\"csv\" href=\"/ui/csv/%s?host=", DASH_T(d, ja, en), csv);
    mamori_dash_url(d, host_id);
    mamori_dash_raw(d, "\">CSV</a></h2>\n");
}

void mamori_dash_page_host(struct mamori_dash *d, const cJSON *h)
{
    char title[400];
    const char *id = mamori_dash_str(h, "id");
    snprintf(title, sizeof(title), "%s %s", DASH_T(d, "端末", "Host"),
             mamori_dash_str(h, "hostname"));
    mamori_dash_begin(d, title);
    host_facts(d, h);
    host_heading(d, "点検結果", "Checks", "host-checks.csv", id);
    host_checks(d, cJSON_GetObjectItem(h, "checks"));
    host_heading(d, "イベント", "Events", "events.csv", id);
    events_table(d, "host-events", cJSON_GetObjectItem(h, "events"), 0);
    host_heading(d, "報告の履歴", "Report history", "host-history.csv", id);
    history_table(d, cJSON_GetObjectItem(h, "history"));
    mamori_dash_end(d);
    mamori_dash_send(d, 200);
}

/* ---- events ---- */

static void filter_input(struct mamori_dash *d, const char *name, const char *label,
                         const char *type, const char *placeholder)
{
    const char *v = mamori_dash_param(d, name);
    mamori_dash_printf(d, "<label>%s<input type=\"%s\" name=\"%s\" placeholder=\"%s\" value=\"",
                       label, type, name, placeholder);
    mamori_dash_text(d, v ? v : "");
    mamori_dash_raw(d, "\"></label>");
}

static void csv_link_with_filters(struct mamori_dash *d)
{
    static const char *const names[] = {"type", "host", "since"};
    char sep = '?';
    mamori_dash_raw(d, "<a class=\"csv\" id=\"events-csv\" href=\"/ui/csv/events.csv");
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = mamori_dash_param(d, names[i]);
        if (v == NULL)
            continue;
        mamori_dash_printf(d, "%s%s=", sep == '?' ? "?" : "&amp;", names[i]);
        mamori_dash_url(d, v);
        sep = '&';
    }
    mamori_dash_raw(d, "\">CSV</a>");
}

void mamori_dash_page_events(struct mamori_dash *d, const cJSON *events)
{
    mamori_dash_begin(d, DASH_T(d, "イベント", "Events"));
    mamori_dash_raw(d, "<form class=\"filters\" method=\"get\" action=\"/ui/events\">");
    filter_input(d, "type", DASH_T(d, "種別(前方一致)", "Type (prefix)"), "text", "usb.");
    filter_input(d, "host", DASH_T(d, "端末", "Host"), "text", "");
    filter_input(d, "since", DASH_T(d, "この日以降", "Since"), "date", "");
    mamori_dash_printf(d, "<button type=\"submit\">%s</button></form>\n",
                       DASH_T(d, "絞り込む", "Filter"));
    mamori_dash_printf(d, "<h2>%s", DASH_T(d, "イベント一覧(新しい順)", "Events (newest first)"));
    csv_link_with_filters(d);
    mamori_dash_raw(d, "</h2>\n");
    events_table(d, "events", events, 1);
    mamori_dash_end(d);
    mamori_dash_send(d, 200);
}

/* ---- login and users ---- */

void mamori_dash_page_login(struct mamori_dash *d, int status, const char *ja, const char *en)
{
    mamori_dash_begin(d, DASH_T(d, "ログイン", "Log in"));
    if (ja != NULL)
        mamori_dash_printf(d, "<p class=\"msg\" id=\"login-error\" role=\"alert\">%s</p>",
                           DASH_T(d, ja, en));
    mamori_dash_printf(d,
                       "<form method=\"post\" action=\"/ui/login\">"
                       "<p><label>%s<input name=\"user\" id=\"user\" autocomplete=\"username\""
                       " required maxlength=\"64\"></label></p>"
                       "<p><label>%s<input name=\"password\" id=\"password\" type=\"password\""
                       " autocomplete=\"current-password\" required></label></p>"
                       "<p><button type=\"submit\" id=\"login\">%s</button></p></form>",
                       DASH_T(d, "利用者名", "User name"), DASH_T(d, "パスワード", "Password"),
                       DASH_T(d, "ログイン", "Log in"));
    mamori_dash_end(d);
    mamori_dash_send(d, status);
}

void mamori_dash_page_users(struct mamori_dash *d, const cJSON *users)
{
    const cJSON *u;
    mamori_dash_begin(d, DASH_T(d, "利用者管理", "Users"));
    mamori_dash_printf(d, "<p class=\"note\">%s</p>",
                       DASH_T(d,
                              "利用者の追加とパスワードの変更は、サーバーで"
                              " mamori-server admin add 名前 --role viewer|admin を実行します。",
                              "Add users and set passwords on the server with"
                              " mamori-server admin add NAME --role viewer|admin."));
    mamori_dash_printf(d, "<table id=\"users\"><tr><th>%s</th><th>%s</th><th>%s</th></tr>\n",
                       DASH_T(d, "利用者名", "User"), DASH_T(d, "権限", "Role"),
                       DASH_T(d, "操作", "Action"));
    cJSON_ArrayForEach(u, users)
    {
        const char *name = mamori_dash_str(u, "name");
        mamori_dash_raw(d, "<tr><td>");
        mamori_dash_text(d, name);
        mamori_dash_raw(d, "</td><td>");
        mamori_dash_text(d, mamori_dash_str(u, "role"));
        mamori_dash_raw(d, "</td><td>");
        if (strcmp(name, d->session.user) != 0) {
            mamori_dash_printf(d,
                               "<form method=\"post\" action=\"/ui/admin/users/remove\">"
                               "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
                               "<input type=\"hidden\" name=\"name\" value=\"",
                               d->session.csrf);
            mamori_dash_text(d, name);
            mamori_dash_printf(d, "\"><button type=\"submit\">%s</button></form>",
                               DASH_T(d, "削除", "Remove"));
        }
        mamori_dash_raw(d, "</td></tr>\n");
    }
    mamori_dash_raw(d, "</table>\n");
    mamori_dash_end(d);
    mamori_dash_send(d, 200);
}
