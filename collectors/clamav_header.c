/* clamav_header.c -- see clamav_header.h.  The header is untrusted bytes from
 * the disk: every field is bounded, numbers are checked for range, and a
 * header that does not fill 512 bytes is refused rather than guessed at. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clamav_header.h"

#define FIELD_COUNT 9
#define MAGIC       "ClamAV-VDB"

enum { F_MAGIC, F_BUILD, F_VERSION, F_SIGS, F_FLEVEL, F_MD5, F_DSIG, F_BUILDER, F_STIME };

/* Plain decimal only: no sign, no spaces, fits in unsigned long. */
static int parse_decimal(const char *s, unsigned long *out)
{
    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* "23 Nov 2026 05-00 +0000" -> UTC seconds. */
static int parse_build_time(const char *s, time_t *out)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct tm tm = {0};
    char mon[4];
    int day, year, hour, min, tz;
    int consumed = 0;

    if (sscanf(s, "%2d %3s %4d %2d-%2d %5d%n", &day, mon, &year, &hour, &min, &tz, &consumed) !=
            6 ||
        s[consumed] != '\0' || strlen(mon) != 3)
        return -1;
    const char *m = strstr(months, mon);
    if (m == NULL || (m - months) % 3 != 0 || day < 1 || day > 31 || year < 2000 || hour > 23 ||
        min > 59 || tz < -1400 || tz > 1400)
        return -1;
    tm.tm_mday = day;
    tm.tm_mon = (int)((m - months) / 3);
    tm.tm_year = year - 1900;
    tm.tm_hour = hour;
    tm.tm_min = min;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    int offset = (tz / 100) * 3600 + (tz % 100) * 60;
    *out = t - offset;
    return 0;
}

/* Split the header text at ':' into FIELD_COUNT fields (in place). */
static int split_fields(char *text, char *fields[FIELD_COUNT])
{
    int n = 0;
    char *p = text;
    while (n < FIELD_COUNT) {
        fields[n++] = p;
        char *colon = strchr(p, ':');
        if (colon == NULL)
            break;
        *colon = '\0';
        p = colon + 1;
    }
    return n;
}

int mamori_clamav_header_parse(const unsigned char *data, size_t len,
                               struct mamori_clamav_header *out, char *err, size_t err_size)
{
    char text[MAMORI_CLAMAV_HEADER_SIZE + 1];
    char *fields[FIELD_COUNT];
    unsigned long flevel, stime;

    memset(out, 0, sizeof(*out));
    if (len < MAMORI_CLAMAV_HEADER_SIZE) {
        snprintf(err, err_size, "truncated header (%zu of %d bytes)", len,
                 MAMORI_CLAMAV_HEADER_SIZE);
        return -1;
    }
    memcpy(text, data, MAMORI_CLAMAV_HEADER_SIZE);
    text[MAMORI_CLAMAV_HEADER_SIZE] = '\0';
    if (strlen(text) != MAMORI_CLAMAV_HEADER_SIZE || strncmp(text, MAGIC ":", 11) != 0) {
        snprintf(err, err_size, "not a ClamAV database (no %s header)", MAGIC);
        return -1;
    }
    /* Padding spaces end the last field. */
    for (size_t n = MAMORI_CLAMAV_HEADER_SIZE; n > 0 && text[n - 1] == ' '; n--)
        text[n - 1] = '\0';

    int n = split_fields(text, fields);
    if (n < F_STIME) {
        snprintf(err, err_size, "header has %d of %d fields", n, FIELD_COUNT);
        return -1;
    }
    if (parse_decimal(fields[F_VERSION], &out->version) != 0 || out->version == 0) {
        snprintf(err, err_size, "bad version field");
        return -1;
    }
    if (parse_decimal(fields[F_SIGS], &out->sigs) != 0) {
        snprintf(err, err_size, "bad signature count field");
        return -1;
    }
    if (parse_decimal(fields[F_FLEVEL], &flevel) != 0 || flevel > UINT_MAX) {
        snprintf(err, err_size, "bad functionality level field");
        return -1;
    }
    out->flevel = (unsigned)flevel;
    snprintf(out->builder, sizeof(out->builder), "%s", fields[F_BUILDER]);

    /* stime is what clamd itself trusts; the text date is for older headers. */
    if (n == FIELD_COUNT && parse_decimal(fields[F_STIME], &stime) == 0 && stime > 0 &&
        stime < (unsigned long)LONG_MAX) {
        out->build_time = (time_t)stime;
        return 0;
    }
    if (parse_build_time(fields[F_BUILD], &out->build_time) != 0) {
        snprintf(err, err_size, "bad build time \"%.40s\"", fields[F_BUILD]);
        return -1;
    }
    return 0;
}
