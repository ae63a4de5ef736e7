/* ledger.h -- the registered-media ledger (外部記録媒体管理台帳) as Excel exports it.
 *
 * Municipal IT keeps its USB media in a spreadsheet.  This reads the CSV that
 * Excel writes (UTF-8 with or without BOM, or Shift_JIS/CP932), checks every
 * row, and turns the media that are in use into `usb.allow` entries of the
 * policy.  The import is all-or-nothing: one bad row names its line and
 * column and nothing is imported, so a half-read ledger can never become a
 * policy. */
#ifndef MAMORI_LEDGER_H
#define MAMORI_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#define MAMORI_LEDGER_MAX_BYTES (8 * 1024 * 1024)

enum mamori_ledger_encoding { MAMORI_LEDGER_AUTO, MAMORI_LEDGER_UTF8, MAMORI_LEDGER_CP932 };

/* 状態: whether the medium may be used now. */
enum mamori_ledger_state {
    MAMORI_MEDIUM_IN_USE,   /* 利用中 / 貸出中 / 保管中 */
    MAMORI_MEDIUM_RETURNED, /* 返却済 */
    MAMORI_MEDIUM_DISPOSED, /* 廃棄 / 廃棄済 */
    MAMORI_MEDIUM_LOST,     /* 紛失 */
};

struct mamori_ledger_entry {
    char *number;     /* 管理番号 (required, unique) */
    char *department; /* 所属 */
    char *custodian;  /* 管理者 */
    uint16_t vid, pid;
    char *serial; /* シリアル; NULL when the medium has none */
    char *hash;   /* ハッシュ (SHA-256 hex of descriptors); NULL when not given */
    time_t until; /* 有効期限, end of day; 0 = none */
    enum mamori_ledger_state state;
    int line; /* line in the CSV file, for messages */
};

struct mamori_ledger {
    struct mamori_ledger_entry *entries;
    size_t n;
    enum mamori_ledger_encoding encoding; /* what the file turned out to be */
};

struct mamori_ledger_error {
    int line;       /* 1-based line of the CSV file, 0 when not about one line */
    int column;     /* 1-based column (field number), 0 when not about one field */
    char field[64]; /* column name as in the header, e.g. 有効期限 */
    char message[512];
};

/* Parse a whole ledger.  Returns 0 and fills *out, or -1 with err filled and
 * *out untouched. */
int mamori_ledger_parse(const char *data, size_t len, enum mamori_ledger_encoding encoding,
                        struct mamori_ledger *out, struct mamori_ledger_error *err);

int mamori_ledger_load(const char *path, enum mamori_ledger_encoding encoding,
                       struct mamori_ledger *out, struct mamori_ledger_error *err);

void mamori_ledger_free(struct mamori_ledger *ledger);

/* "file:LINE:COL (列名): message" */
void mamori_ledger_error_format(const struct mamori_ledger_error *err, const char *origin,
                                char *buf, size_t size);

/* The policy `usb.allow` array for the media in use whose 所属 equals
 * department (NULL = every department).  Returned, disposed and lost media are
 * left out; so are expired ones when now is past their date. */
cJSON *mamori_ledger_allow_json(const struct mamori_ledger *ledger, const char *department,
                                time_t now);

const char *mamori_ledger_state_name(enum mamori_ledger_state state);

#endif /* MAMORI_LEDGER_H */
