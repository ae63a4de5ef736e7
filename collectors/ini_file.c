/* ini_file.c -- see ini_file.h.  One pass over the buffer, one line at a time,
 * copying each line so the callback gets NUL-terminated, trimmed strings. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ini_file.h"

#define INI_LINE_MAX 4096

static char *trim(char *s)
{
    while (*s != '\0' && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* One line (already trimmed).  Updates section; -1 on malformed input. */
static int parse_line(char *line, char *section, size_t section_size, mamori_ini_fn fn, void *arg,
                      const char **why)
{
    if (line[0] == '\0' || line[0] == '#' || line[0] == ';')
        return 0;
    if (line[0] == '[') {
        char *close = strrchr(line, ']');
        if (close == NULL) {
            *why = "section header without ']'";
            return -1;
        }
        *close = '\0';
        snprintf(section, section_size, "%s", line + 1);
        return 0;
    }
    char *eq = strchr(line, '=');
    if (eq == NULL) {
        *why = "line is neither a [section] nor key=value";
        return -1;
    }
    *eq = '\0';
    char *key = trim(line);
    if (key[0] == '\0') {
        *why = "empty key";
        return -1;
    }
    return fn(arg, section, key, trim(eq + 1));
}

int mamori_ini_parse(const char *text, size_t len, mamori_ini_fn fn, void *arg, char *err,
                     size_t err_size)
{
    char section[256] = "";
    char line[INI_LINE_MAX];
    size_t pos = 0;
    unsigned lineno = 0;

    while (pos < len) {
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - start) : len - pos;
        const char *why = NULL;
        int rc;

        pos += n + (nl != NULL);
        lineno++;
        if (n >= sizeof(line)) {
            why = "line too long";
        } else if (memchr(start, '\0', n) != NULL) {
            why = "NUL byte in text";
        } else {
            memcpy(line, start, n);
            line[n] = '\0';
            rc = parse_line(trim(line), section, sizeof(section), fn, arg, &why);
            if (rc > 0 || (rc < 0 && why == NULL))
                return rc;
        }
        if (why != NULL) {
            snprintf(err, err_size, "line %u: %s", lineno, why);
            return -1;
        }
    }
    return 0;
}

int mamori_ini_bool(const char *value)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(value, yes[i]) == 0)
            return 1;
        if (strcasecmp(value, no[i]) == 0)
            return 0;
    }
    return -1;
}
