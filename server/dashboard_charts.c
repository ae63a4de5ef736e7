/* dashboard_charts.c -- the overview's two charts as inline SVG.
 *
 * Inline SVG needs no script, no image request and no external library, so
 * the charts work on networks without Internet and under a CSP that allows
 * nothing but inline styles.  Every shape has a <title> (the browser's
 * tooltip) and the same numbers are in the table next to each chart, so the
 * colours are never the only carrier of information. */
#include "dashboard_views.h"

#include <stdio.h>
#include <string.h>

#include "dashboard_data.h"

#define BAR_LABEL_W 330
#define BAR_W       420
#define BAR_ROW_H   26
#define CHART_W     (BAR_LABEL_W + BAR_W + 20)

static const struct {
    const char *verdict, *colour, *ja, *en;
} bar_parts[] = {
    {"pass", "#3c9a52", "合格", "pass"},
    {"fail", "#c8363f", "不合格", "fail"},
    {"error", "#e58a1f", "エラー", "error"},
    {"not_applicable", "#a0a4aa", "対象外", "n/a"},
};

#define NPARTS (sizeof(bar_parts) / sizeof(bar_parts[0]))

static void bar_label(struct mamori_dash *d, const char *id, int y)
{
    const char *title = mamori_dash_check_title(id, d->en);
    mamori_dash_printf(d, "<text x=\"4\" y=\"%d\" font-size=\"12\">", y + 16);
    mamori_dash_text_max(d, title ? title : id, 90);
    mamori_dash_raw(d, "</text>");
}

static void bar_row(struct mamori_dash *d, const cJSON *c, int y)
{
    double total = 0, x = BAR_LABEL_W;
    for (size_t i = 0; i < NPARTS; i++)
        total += mamori_dash_num(c, bar_parts[i].verdict);
    bar_label(d, mamori_dash_str(c, "id"), y);
    for (size_t i = 0; total > 0 && i < NPARTS; i++) {
        double n = mamori_dash_num(c, bar_parts[i].verdict), w = BAR_W * n / total;
        if (n <= 0)
            continue;
        mamori_dash_printf(d,
                           "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
                           "<title>%s: %.0f</title></rect>",
                           x, y + 3, w, BAR_ROW_H - 6, bar_parts[i].colour,
                           DASH_T(d, bar_parts[i].ja, bar_parts[i].en), n);
        x += w;
    }
    mamori_dash_printf(
        d, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%.0f/%.0f</text>",
        CHART_W - 2, y + 16, mamori_dash_num(c, "pass"), total);
}

static void legend(struct mamori_dash *d, int y)
{
    for (size_t i = 0; i < NPARTS; i++) {
        int x = BAR_LABEL_W + (int)i * 100;
        mamori_dash_printf(d,
                           "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                           "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>",
                           x, y, bar_parts[i].colour, x + 16, y + 11,
                           DASH_T(d, bar_parts[i].ja, bar_parts[i].en));
    }
}

void mamori_dash_chart_checks(struct mamori_dash *d, const cJSON *checks)
{
    int rows = cJSON_GetArraySize(checks), y = 0;
    const cJSON *c;
    mamori_dash_printf(d,
                       "<svg id=\"chart-checks\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\""
                       " height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"><title>%s</title>",
                       CHART_W, rows * BAR_ROW_H + 30, CHART_W, rows * BAR_ROW_H + 30,
                       DASH_T(d, "点検項目ごとの遵守状況", "Compliance per check"));
    cJSON_ArrayForEach(c, checks)
    {
        bar_row(d, c, y);
        y += BAR_ROW_H;
    }
    legend(d, y + 8);
    mamori_dash_raw(d, "</svg>\n");
}

/* ---- trend ---- */

#define TREND_W    760
#define TREND_H    220
#define TREND_LEFT 44
#define TREND_TOP  12
#define PLOT_W     (TREND_W - TREND_LEFT - 16)
#define PLOT_H     (TREND_H - TREND_TOP - 34)

static void local_day(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%d", &tm) == 0)
        snprintf(buf, len, "?");
}

/* The trend point recorded for a day, or NULL. */
static const cJSON *point_for(const cJSON *trend, const char *day)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, trend)
    {
        if (strcmp(mamori_dash_str(p, "day"), day) == 0)
            return p;
    }
    return NULL;
}

static void trend_axes(struct mamori_dash *d, time_t first, time_t now)
{
    char day[16];
    for (int pct = 0; pct <= 100; pct += 25) {
        double y = TREND_TOP + PLOT_H * (1.0 - pct / 100.0);
        mamori_dash_printf(d,
                           "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#dde\"/>"
                           "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%d%%"
                           "</text>",
                           TREND_LEFT, y, TREND_LEFT + PLOT_W, y, TREND_LEFT - 4, y + 4, pct);
    }
    local_day(first, day, sizeof(day));
    mamori_dash_printf(d, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>", TREND_LEFT,
                       TREND_H - 8, day);
    local_day(now, day, sizeof(day));
    mamori_dash_printf(d, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>",
                       TREND_LEFT + PLOT_W, TREND_H - 8, day);
}

/* Consecutive days with a point form one polyline; a day without one
 * breaks the line rather than inventing a value. */
static void trend_line(struct mamori_dash *d, const cJSON *trend, time_t first)
{
    int open = 0;
    for (int i = 0; i < MAMORI_TREND_DAYS; i++) {
        char day[16];
        const cJSON *p;
        double hosts, x = TREND_LEFT + PLOT_W * (double)i / (MAMORI_TREND_DAYS - 1), y;
        local_day(first + (time_t)i * 86400, day, sizeof(day));
        p = point_for(trend, day);
        hosts = p ? mamori_dash_num(p, "hosts") : 0;
        if (p == NULL || hosts <= 0) {
            if (open)
                mamori_dash_raw(d, "\"/>");
            open = 0;
            continue;
        }
        y = TREND_TOP + PLOT_H * (1.0 - mamori_dash_num(p, "compliant") / hosts);
        mamori_dash_printf(d, "%s%.1f,%.1f",
                           open ? " "
                                : "<polyline fill=\"none\" stroke=\"#1d3557\""
                                  " stroke-width=\"2\" points=\"",
                           x, y);
        open = 1;
    }
    if (open)
        mamori_dash_raw(d, "\"/>");
}

static void trend_points(struct mamori_dash *d, const cJSON *trend, time_t first)
{
    for (int i = 0; i < MAMORI_TREND_DAYS; i++) {
        char day[16];
        const cJSON *p;
        double hosts, ok, x = TREND_LEFT + PLOT_W * (double)i / (MAMORI_TREND_DAYS - 1);
        local_day(first + (time_t)i * 86400, day, sizeof(day));
        p = point_for(trend, day);
        hosts = p ? mamori_dash_num(p, "hosts") : 0;
        if (hosts <= 0)
            continue;
        ok = mamori_dash_num(p, "compliant");
        mamori_dash_printf(d,
                           "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#1d3557\">"
                           "<title>%s: %.1f%% (%.0f/%.0f)</title></circle>",
                           x, TREND_TOP + PLOT_H * (1.0 - ok / hosts), day, 100.0 * ok / hosts, ok,
                           hosts);
    }
}

void mamori_dash_chart_trend(struct mamori_dash *d, const cJSON *trend, time_t now)
{
    time_t first = now - (time_t)(MAMORI_TREND_DAYS - 1) * 86400;
    mamori_dash_printf(d,
                       "<svg id=\"chart-trend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\""
                       " height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"><title>%s</title>",
                       TREND_W, TREND_H, TREND_W, TREND_H,
                       DASH_T(d, "遵守率の推移", "Compliance over time"));
    trend_axes(d, first, now);
    trend_line(d, trend, first);
    trend_points(d, trend, first);
    mamori_dash_raw(d, "</svg>\n");
    mamori_dash_printf(d, "<p class=\"note\">%s</p>",
                       DASH_T(d,
                              "各日の値は、その日に最後に集計した時点の遵守率です"
                              "(集計のない日は線が途切れます)。",
                              "Each day shows the compliance rate at that day's last"
                              " computation; days without one break the line."));
}
