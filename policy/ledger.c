/* ledger.c -- reading the registered-media ledger CSV (see ledger.h).
 *
 * Three stages, each with its own error path: decode the bytes to UTF-8
 * (BOM, strict UTF-8, else CP932 through iconv), split RFC 4180 records
 * (quoted fields may hold commas, quotes and line breaks, so every field
 * remembers the line it started on), then check each row against the header.
 * Columns are found by their Japanese names (English aliases accepted);
 * unknown columns such as 備考 are ignored, because real ledgers have them. */
#include "ledger.h"

#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

enum ledger_column {
    COL_NUMBER,
    COL_DEPARTMENT,
    COL_CUSTODIAN,
    COL_ID,
    COL_SERIAL,
    COL_UNTIL,
    COL_STATE,
    COL_HASH,
    COL_COUNT
};

/* Header names per column: Japanese first, then accepted aliases. */
static const char *const column_names[COL_COUNT][4] = {
    [COL_NUMBER] = {"管理番号", "number", NULL},
    [COL_DEPARTMENT] = {"所属", "department", NULL},
    [COL_CUSTODIAN] = {"管理者", "custodian", NULL},
    [COL_ID] = {"VID:PID", "vid:pid", "id", NULL},
    [COL_SERIAL] = {"シリアル", "シリアル番号", "serial", NULL},
    [COL_UNTIL] = {"有効期限", "until", NULL},
    [COL_STATE] = {"状態", "state", NULL},
    [COL_HASH] = {"ハッシュ", "hash", NULL},
};

static const bool column_required[COL_COUNT] = {
    [COL_NUMBER] = true, [COL_ID] = true, [COL_STATE] = true};

struct csv_field {
    char *text;
    int line;
};

struct csv_record {
    struct csv_field *fields;
    size_t n, cap;
};

/* ---- errors ------------------------------------------------------------ */

__attribute__((format(printf, 5, 6))) static int ledger_fail(struct mamori_ledger_error *err,
                                                             int line, int column,
                                                             const char *field, const char *fmt,
                                                             ...)
{
    va_list ap;

    err->line = line;
    err->column = column;
    snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

void mamori_ledger_error_format(const struct mamori_ledger_error *err, const char *origin,
                                char *buf, size_t size)
{
    const char *o = origin ? origin : "ledger";

    if (err->line > 0 && err->column > 0)
        snprintf(buf, size, "%s:%d:%d (%s): %s", o, err->line, err->column, err->field,
                 err->message);
    else if (err->line > 0)
        snprintf(buf, size, "%s:%d: %s", o, err->line, err->message);
    else
        snprintf(buf, size, "%s: %s", o, err->message);
}

/* ---- decoding ---------------------------------------------------------- */

static char *cp932_to_utf8(const char *data, size_t len, size_t *out_len)
{
    iconv_t cd = iconv_open("UTF-8", "CP932");
    size_t cap = len * 3 + 1, left_out = cap - 1, left_in = len;
    char *out, *op;
    char *ip = (char *)data;

    if (cd == (iconv_t)-1)
        return NULL;
    out = malloc(cap);
    if (out == NULL) {
        iconv_close(cd);
        return NULL;
    }
    op = out;
    if (iconv(cd, &ip, &left_in, &op, &left_out) == (size_t)-1) {
        free(out);
        iconv_close(cd);
        return NULL;
    }
    iconv_close(cd);
    *op = '\0';
    *out_len = (size_t)(op - out);
    return out;
}

static char *decode(const char *data, size_t len, enum mamori_ledger_encoding *enc, size_t *out_len,
                    struct mamori_ledger_error *err)
{
    bool bom = len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0;
    bool utf8_ok;
    char *text;

    if (bom) {
        data += 3;
        len -= 3;
    }
    utf8_ok = mamori_utf8_invalid_at((const unsigned char *)data, len) == len;
    if (*enc == MAMORI_LEDGER_AUTO)
        *enc = bom || utf8_ok ? MAMORI_LEDGER_UTF8 : MAMORI_LEDGER_CP932;
    if (*enc == MAMORI_LEDGER_UTF8) {
        if (!utf8_ok) {
            ledger_fail(err, 0, 0, NULL,
                        "the file is not valid UTF-8 (an Excel \"CSV\" export is Shift_JIS: "
                        "use --encoding cp932 or auto)");
            return NULL;
        }
        text = malloc(len + 1);
        if (text == NULL)
            return NULL;
        memcpy(text, data, len);
        text[len] = '\0';
        *out_len = len;
        return text;
    }
    text = cp932_to_utf8(data, len, out_len);
    if (text == NULL)
        ledger_fail(err, 0, 0, NULL, "the file is neither UTF-8 nor valid Shift_JIS (CP932)");
    return text;
}

/* ---- CSV records ------------------------------------------------------- */

static void record_clear(struct csv_record *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->fields[i].text);
    r->n = 0;
}

static int record_push(struct csv_record *r, const char *start, size_t len, int line)
{
    struct csv_field *grown;
    char *t;

    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        grown = realloc(r->fields, r->cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        r->fields = grown;
    }
    t = malloc(len + 1);
    if (t == NULL)
        return -1;
    memcpy(t, start, len);
    t[len] = '\0';
    r->fields[r->n++] = (struct csv_field){.text = t, .line = line};
    return 0;
}

/* Read one field starting at *pos; unquote into buf.  Returns the character
 * that ended it (',' '\n' or '\0') or -1 on a quoting error. */
static int read_field(const char *text, size_t *pos, int *line, char *buf, size_t *blen)
{
    size_t i = *pos;

    *blen = 0;
    if (text[i] == '"') {
        for (i++;; i++) {
            if (text[i] == '\0')
                return -1; /* unterminated quote */
            if (text[i] == '"' && text[i + 1] == '"') {
                buf[(*blen)++] = '"';
                i++;
            } else if (text[i] == '"') {
                i++;
                break;
            } else {
                if (text[i] == '\n')
                    (*line)++;
                buf[(*blen)++] = text[i];
            }
        }
        if (text[i] == '\r')
            i++;
        if (text[i] != ',' && text[i] != '\n' && text[i] != '\0')
            return -1; /* text after the closing quote */
    } else {
        while (text[i] != ',' && text[i] != '\n' && text[i] != '\0') {
            if (text[i] != '\r' || (text[i + 1] != '\n' && text[i + 1] != '\0'))
                buf[(*blen)++] = text[i];
            i++;
        }
    }
    *pos = text[i] == '\0' ? i : i + 1;
    return text[i];
}

/* Next record; returns 1 when one was read, 0 at end, -1 on error. */
static int read_record(const char *text, size_t *pos, int *line, char *scratch,
                       struct csv_record *r, struct mamori_ledger_error *err)
{
    int start_line = *line, end;
    size_t blen;

    record_clear(r);
    if (text[*pos] == '\0')
        return 0;
    do {
        int field_line = *line;

        end = read_field(text, pos, line, scratch, &blen);
        if (end < 0)
            return ledger_fail(err, field_line, (int)r->n + 1, NULL,
                               "unbalanced double quote in this field");
        if (record_push(r, scratch, blen, field_line) != 0)
            return ledger_fail(err, start_line, 0, NULL, "out of memory");
    } while (end == ',');
    (*line)++;
    return 1;
}

/* ---- header and rows --------------------------------------------------- */

static char *trimmed(char *s)
{
    size_t n;

    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    /* A full-width space (U+3000) is common in cells typed in Japanese. */
    while (n >= 3 && strcmp(s + n - 3, "\xE3\x80\x80") == 0)
        s[n -= 3] = '\0';
    while (strncmp(s, "\xE3\x80\x80", 3) == 0)
        s += 3;
    return s;
}

static int map_header(struct csv_record *hdr, int index[COL_COUNT], struct mamori_ledger_error *err)
{
    for (int c = 0; c < COL_COUNT; c++)
        index[c] = -1;
    for (size_t f = 0; f < hdr->n; f++) {
        const char *name = trimmed(hdr->fields[f].text);

        for (int c = 0; c < COL_COUNT; c++)
            for (int a = 0; column_names[c][a] != NULL; a++)
                if (strcmp(name, column_names[c][a]) == 0 && index[c] < 0)
                    index[c] = (int)f;
    }
    for (int c = 0; c < COL_COUNT; c++)
        if (column_required[c] && index[c] < 0)
            return ledger_fail(err, 1, 0, NULL,
                               "the header has no column \"%s\" (required columns: 管理番号, "
                               "VID:PID, 状態)",
                               column_names[c][0]);
    return 0;
}

static bool parse_hex4(const char *s, uint16_t *out)
{
    unsigned v = 0;

    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (d < 0)
            return false;
        v = v * 16 + (unsigned)d;
    }
    *out = (uint16_t)v;
    return true;
}

/* 2027/3/31, 2027/03/31 or 2027-03-31: the end of that day, local time. */
static bool parse_date(const char *s, time_t *out)
{
    struct tm tm = {0};
    int y, m, d, used = 0;
    char sep1, sep2;

    if (sscanf(s, "%4d%c%2d%c%2d%n", &y, &sep1, &m, &sep2, &d, &used) != 5 || s[used] != '\0' ||
        sep1 != sep2 || (sep1 != '/' && sep1 != '-'))
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = 23;
    tm.tm_min = 59;
    tm.tm_sec = 59;
    tm.tm_isdst = -1;
    *out = mktime(&tm);
    /* mktime normalizes 2027/2/30 to March: refuse dates that do not exist. */
    return *out != (time_t)-1 && tm.tm_mday == d && tm.tm_mon == m - 1 && y >= 2000 && y <= 2200;
}

static int parse_state(const char *s, enum mamori_ledger_state *out)
{
    static const struct {
        const char *name;
        enum mamori_ledger_state state;
    } states[] = {
        {"利用中", MAMORI_MEDIUM_IN_USE},     {"貸出中", MAMORI_MEDIUM_IN_USE},
        {"保管中", MAMORI_MEDIUM_IN_USE},     {"in_use", MAMORI_MEDIUM_IN_USE},
        {"返却済", MAMORI_MEDIUM_RETURNED},   {"返却済み", MAMORI_MEDIUM_RETURNED},
        {"returned", MAMORI_MEDIUM_RETURNED}, {"廃棄", MAMORI_MEDIUM_DISPOSED},
        {"廃棄済", MAMORI_MEDIUM_DISPOSED},   {"disposed", MAMORI_MEDIUM_DISPOSED},
        {"紛失", MAMORI_MEDIUM_LOST},         {"lost", MAMORI_MEDIUM_LOST},
    };

    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        if (strcmp(s, states[i].name) == 0) {
            *out = states[i].state;
            return 0;
        }
    }
    return -1;
}

const char *mamori_ledger_state_name(enum mamori_ledger_state state)
{
    static const char *const names[] = {"in_use", "returned", "disposed", "lost"};

    return (unsigned)state < 4 ? names[state] : "unknown";
}

/* The trimmed text of column c in this row, "" when absent. */
static char *cell(struct csv_record *r, const int index[COL_COUNT], int c)
{
    if (index[c] < 0 || (size_t)index[c] >= r->n)
        return (char *)"";
    return trimmed(r->fields[index[c]].text);
}

static char *dup_or_null(const char *s)
{
    return s[0] ? strdup(s) : NULL;
}

static int check_hash(const char *h, char **out)
{
    const char *hex = strncmp(h, "sha256:", 7) == 0 ? h + 7 : h;

    if (strlen(hex) != 64)
        return -1;
    for (int i = 0; i < 64; i++)
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
            return -1;
    *out = strdup(hex);
    return 0;
}

static int parse_row(struct csv_record *r, const int index[COL_COUNT], int line,
                     struct mamori_ledger_entry *e, struct mamori_ledger_error *err)
{
    const char *id = cell(r, index, COL_ID), *until = cell(r, index, COL_UNTIL);
    const char *state = cell(r, index, COL_STATE), *hash = cell(r, index, COL_HASH);

#define FAIL_AT(c, ...) ledger_fail(err, line, index[c] + 1, column_names[c][0], __VA_ARGS__)
    e->line = line;
    if (cell(r, index, COL_NUMBER)[0] == '\0')
        return FAIL_AT(COL_NUMBER, "empty: every medium needs its management number");
    if (strlen(id) != 9 || id[4] != ':' || !parse_hex4(id, &e->vid) || !parse_hex4(id + 5, &e->pid))
        return FAIL_AT(COL_ID, "\"%s\" is not a USB id: expected vvvv:pppp in hexadecimal", id);
    if (parse_state(state, &e->state) != 0)
        return FAIL_AT(COL_STATE,
                       "unknown state \"%s\" (expected 利用中, 貸出中, 保管中, 返却済, 廃棄 or "
                       "紛失)",
                       state);
    if (until[0] && !parse_date(until, &e->until))
        return FAIL_AT(COL_UNTIL, "\"%s\" is not a date: expected YYYY/MM/DD or YYYY-MM-DD", until);
    if (hash[0] && check_hash(hash, &e->hash) != 0)
        return FAIL_AT(COL_HASH, "expected 64 lowercase hex digits (SHA-256 of descriptors)");
#undef FAIL_AT
    e->number = strdup(cell(r, index, COL_NUMBER));
    e->department = dup_or_null(cell(r, index, COL_DEPARTMENT));
    e->custodian = dup_or_null(cell(r, index, COL_CUSTODIAN));
    e->serial = dup_or_null(cell(r, index, COL_SERIAL));
    if (e->number == NULL)
        return ledger_fail(err, line, 0, NULL, "out of memory");
    return 0;
}

static bool record_is_blank(struct csv_record *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (trimmed(r->fields[i].text)[0] != '\0')
            return false;
    return true;
}

static int find_duplicate(const struct mamori_ledger *l, const char *number)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->entries[i].number, number) == 0)
            return l->entries[i].line;
    return 0;
}

static int parse_rows(const char *text, struct mamori_ledger *l, struct mamori_ledger_error *err)
{
    struct csv_record r = {0};
    char *scratch = malloc(strlen(text) + 1);
    size_t pos = 0;
    int line = 1, index[COL_COUNT], got, rc = -1;

    if (scratch == NULL)
        return ledger_fail(err, 0, 0, NULL, "out of memory");
    got = read_record(text, &pos, &line, scratch, &r, err);
    if (got == 0)
        ledger_fail(err, 0, 0, NULL, "the ledger is empty (no header row)");
    if (got <= 0 || map_header(&r, index, err) != 0)
        goto out;
    for (;;) {
        struct mamori_ledger_entry *grown;
        int row_line = line, dup;

        got = read_record(text, &pos, &line, scratch, &r, err);
        if (got < 0)
            goto out;
        if (got == 0)
            break;
        if (record_is_blank(&r))
            continue;
        grown = realloc(l->entries, (l->n + 1) * sizeof(*grown));
        if (grown == NULL) {
            ledger_fail(err, row_line, 0, NULL, "out of memory");
            goto out;
        }
        l->entries = grown;
        memset(&l->entries[l->n], 0, sizeof(l->entries[0]));
        l->n++;
        if (parse_row(&r, index, row_line, &l->entries[l->n - 1], err) != 0)
            goto out;
        dup = find_duplicate(l, l->entries[l->n - 1].number);
        if (dup != row_line) {
            ledger_fail(err, row_line, index[COL_NUMBER] + 1, "管理番号",
                        "management number \"%s\" already appears on line %d",
                        l->entries[l->n - 1].number, dup);
            goto out;
        }
    }
    rc = 0;
out:
    record_clear(&r);
    free(r.fields);
    free(scratch);
    return rc;
}

int mamori_ledger_parse(const char *data, size_t len, enum mamori_ledger_encoding encoding,
                        struct mamori_ledger *out, struct mamori_ledger_error *err)
{
    struct mamori_ledger_error scratch = {0};
    struct mamori_ledger l = {0};
    size_t tlen;
    char *text;

    if (err == NULL)
        err = &scratch;
    memset(err, 0, sizeof(*err));
    if (len > MAMORI_LEDGER_MAX_BYTES)
        return ledger_fail(err, 0, 0, NULL, "the ledger is larger than %d bytes",
                           MAMORI_LEDGER_MAX_BYTES);
    if (memchr(data, '\0', len) != NULL)
        return ledger_fail(err, 0, 0, NULL, "the file contains NUL bytes: not a CSV text file");
    l.encoding = encoding;
    text = decode(data, len, &l.encoding, &tlen, err);
    if (text == NULL)
        return err->message[0] ? -1 : ledger_fail(err, 0, 0, NULL, "out of memory");
    if (parse_rows(text, &l, err) != 0) {
        free(text);
        mamori_ledger_free(&l);
        return -1;
    }
    free(text);
    *out = l;
    return 0;
}

int mamori_ledger_load(const char *path, enum mamori_ledger_encoding encoding,
                       struct mamori_ledger *out, struct mamori_ledger_error *err)
{
    struct mamori_ledger_error scratch = {0};
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t len;
    int rc;

    if (err == NULL)
        err = &scratch;
    memset(err, 0, sizeof(*err));
    if (f == NULL)
        return ledger_fail(err, 0, 0, NULL, "cannot open: %s", strerror(errno));
    buf = malloc(MAMORI_LEDGER_MAX_BYTES + 1);
    if (buf == NULL) {
        fclose(f);
        return ledger_fail(err, 0, 0, NULL, "out of memory");
    }
    len = fread(buf, 1, MAMORI_LEDGER_MAX_BYTES + 1, f);
    rc = ferror(f) ? ledger_fail(err, 0, 0, NULL, "cannot read: %s", strerror(errno))
                   : mamori_ledger_parse(buf, len, encoding, out, err);
    fclose(f);
    free(buf);
    return rc;
}

void mamori_ledger_free(struct mamori_ledger *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->entries[i].number);
        free(l->entries[i].department);
        free(l->entries[i].custodian);
        free(l->entries[i].serial);
        free(l->entries[i].hash);
    }
    free(l->entries);
    l->entries = NULL;
    l->n = 0;
}

static cJSON *allow_entry_json(const struct mamori_ledger_entry *e)
{
    cJSON *o = cJSON_CreateObject();
    char id[10], date[16];
    struct tm tm;

    if (o == NULL)
        return NULL;
    snprintf(id, sizeof(id), "%04x:%04x", e->vid, e->pid);
    cJSON_AddStringToObject(o, "id", id);
    if (e->serial)
        cJSON_AddStringToObject(o, "serial", e->serial);
    if (e->hash)
        cJSON_AddStringToObject(o, "hash", e->hash);
    cJSON_AddStringToObject(o, "label", e->number);
    if (e->until != 0 && localtime_r(&e->until, &tm) != NULL) {
        strftime(date, sizeof(date), "%Y-%m-%d", &tm);
        cJSON_AddStringToObject(o, "until", date);
    }
    return o;
}

cJSON *mamori_ledger_allow_json(const struct mamori_ledger *ledger, const char *department,
                                time_t now)
{
    cJSON *arr = cJSON_CreateArray();

    for (size_t i = 0; arr != NULL && i < ledger->n; i++) {
        const struct mamori_ledger_entry *e = &ledger->entries[i];

        if (e->state != MAMORI_MEDIUM_IN_USE || (e->until != 0 && now > e->until))
            continue;
        if (department != NULL && (e->department == NULL || strcmp(e->department, department)))
            continue;
        cJSON_AddItemToArray(arr, allow_entry_json(e));
    }
    return arr;
}
