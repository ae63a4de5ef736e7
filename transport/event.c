/* event.c -- construction of report events (see event.h for the shape). */
#include "event.h"

#include <stdio.h>

void mamori_time_rfc3339(time_t t, char *buf, size_t size)
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, size, "1970-01-01T00:00:00Z");
}

cJSON *mamori_event_new(const char *type, const char *severity, time_t when, const char *summary_ja,
                        const char *summary_en)
{
    char stamp[32];
    cJSON *ev = cJSON_CreateObject();
    cJSON *summary;

    if (ev == NULL)
        return NULL;
    mamori_time_rfc3339(when, stamp, sizeof(stamp));
    summary = cJSON_CreateObject();
    if (cJSON_AddStringToObject(ev, "type", type) == NULL ||
        cJSON_AddStringToObject(ev, "time", stamp) == NULL ||
        cJSON_AddStringToObject(ev, "severity", severity) == NULL || summary == NULL ||
        !cJSON_AddItemToObject(ev, "summary", summary) ||
        cJSON_AddStringToObject(summary, "ja", summary_ja ? summary_ja : "") == NULL ||
        cJSON_AddStringToObject(summary, "en", summary_en ? summary_en : "") == NULL ||
        cJSON_AddObjectToObject(ev, "facts") == NULL) {
        if (summary != NULL && cJSON_GetObjectItemCaseSensitive(ev, "summary") == NULL)
            cJSON_Delete(summary);
        cJSON_Delete(ev);
        return NULL;
    }
    return ev;
}

cJSON *mamori_event_facts(cJSON *event)
{
    return cJSON_GetObjectItemCaseSensitive(event, "facts");
}

void mamori_event_emit(const struct mamori_event_sink *sink, cJSON *event)
{
    if (event == NULL)
        return;
    if (sink == NULL || sink->fn == NULL) {
        cJSON_Delete(event);
        return;
    }
    sink->fn(sink->userdata, event);
}
