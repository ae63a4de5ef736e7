/* gvariant_text.c -- see gvariant_text.h.  Only the integer types dconf
 * keyfiles realistically carry for delays are accepted, each range-checked. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gvariant_text.h"

int mamori_gvariant_bool(const char *text, bool *out)
{
    if (strcmp(text, "true") == 0)
        *out = true;
    else if (strcmp(text, "false") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

struct int_type {
    const char *name;
    long long min, max;
};

static const struct int_type int_types[] = {
    {"byte", 0, 255},          {"int16", -32768, 32767},
    {"uint16", 0, 65535},      {"int32", INT32_MIN, INT32_MAX},
    {"uint32", 0, UINT32_MAX}, {"int64", LLONG_MIN, LLONG_MAX},
    {"uint64", 0, LLONG_MAX}, /* larger delays are nonsense for a lock */
};

int mamori_gvariant_int(const char *text, long long *out)
{
    long long min = INT32_MIN, max = INT32_MAX; /* a bare number is an int32 */

    for (size_t i = 0; i < sizeof(int_types) / sizeof(int_types[0]); i++) {
        size_t n = strlen(int_types[i].name);
        if (strncmp(text, int_types[i].name, n) == 0 && text[n] == ' ') {
            min = int_types[i].min;
            max = int_types[i].max;
            text += n + strspn(text + n, " ");
            break;
        }
    }
    if (!((text[0] >= '0' && text[0] <= '9') ||
          (text[0] == '-' && text[1] >= '0' && text[1] <= '9')))
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}
