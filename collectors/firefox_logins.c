/* firefox_logins.c -- see firefox_logins.h. */
#include <stdio.h>

#include <cjson/cJSON.h>

#include "firefox_logins.h"

int mamori_firefox_logins_count(const char *text, size_t len, unsigned *count, char *err,
                                size_t err_size)
{
    cJSON *doc = cJSON_ParseWithLength(text, len);
    if (doc == NULL) {
        snprintf(err, err_size, "not valid JSON");
        return -1;
    }
    const cJSON *logins = cJSON_GetObjectItemCaseSensitive(doc, "logins");
    int rc = 0;
    if (!cJSON_IsArray(logins)) {
        snprintf(err, err_size, "no \"logins\" array");
        rc = -1;
    } else {
        *count = (unsigned)cJSON_GetArraySize(logins);
    }
    cJSON_Delete(doc);
    return rc;
}
