/* t_ledger.c -- the registered-media ledger import: encodings, quoting, the
 * all-or-nothing rule, and which media become allow-list entries. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

static void fixture(const char *name, char *path, size_t size)
{
    snprintf(path, size, "%s/ledger/%s", getenv("MAMORI_FIXTURES"), name);
}

static int parse_text(const char *text, struct mamori_ledger *l, struct mamori_ledger_error *err)
{
    return mamori_ledger_parse(text, strlen(text), MAMORI_LEDGER_AUTO, l, err);
}

Test(ledger, utf8_with_bom_quotes_and_extra_columns)
{
    struct mamori_ledger l;
    struct mamori_ledger_error err;
    char path[512];

    fixture("ledger-utf8-bom.csv", path, sizeof(path));
    cr_assert_eq(mamori_ledger_load(path, MAMORI_LEDGER_AUTO, &l, &err), 0, "%s", err.message);
    cr_assert_eq(l.encoding, MAMORI_LEDGER_UTF8);
    cr_assert_eq(l.n, 5);
    cr_assert_str_eq(l.entries[0].number, "総務-USB-001", "BOM stripped from the header");
    cr_assert_str_eq(l.entries[0].custodian, "山田 太郎");
    cr_assert_eq(l.entries[0].vid, 0x0781);
    cr_assert_eq(l.entries[0].state, MAMORI_MEDIUM_IN_USE);
    cr_assert_eq(l.entries[1].state, MAMORI_MEDIUM_RETURNED);
    cr_assert_null(l.entries[2].serial, "empty serial cell means no serial");
    cr_assert_eq(l.entries[2].until, 0);
    cr_assert_eq(l.entries[4].state, MAMORI_MEDIUM_DISPOSED);
    cr_assert_eq(l.entries[4].line, 6, "a quoted line break inside row 5 counts");
    mamori_ledger_free(&l);
}

Test(ledger, only_media_in_use_and_unexpired_are_allowed)
{
    struct mamori_ledger l;
    char path[512];
    cJSON *allow, *e;

    fixture("ledger-utf8-bom.csv", path, sizeof(path));
    cr_assert_eq(mamori_ledger_load(path, MAMORI_LEDGER_AUTO, &l, NULL), 0);
    allow = mamori_ledger_allow_json(&l, NULL, 1795000000 /* 2026-11 */);
    /* 001 lent, 014 in use; 002 returned, 015 expired 2020, 003 disposed. */
    cr_assert_eq(cJSON_GetArraySize(allow), 2);
    e = cJSON_GetArrayItem(allow, 0);
    cr_assert_str_eq(cJSON_GetObjectItem(e, "id")->valuestring, "0781:5567");
    cr_assert_str_eq(cJSON_GetObjectItem(e, "serial")->valuestring, "4C530001230620116512");
    cr_assert_str_eq(cJSON_GetObjectItem(e, "label")->valuestring, "総務-USB-001");
    cr_assert_str_eq(cJSON_GetObjectItem(e, "until")->valuestring, "2099-03-31");
    e = cJSON_GetArrayItem(allow, 1);
    cr_assert_str_eq(cJSON_GetObjectItem(e, "label")->valuestring, "市民-USB-014");
    cr_assert_null(cJSON_GetObjectItem(e, "serial"));
    cJSON_Delete(allow);

    allow = mamori_ledger_allow_json(&l, "市民課", 1795000000);
    cr_assert_eq(cJSON_GetArraySize(allow), 1, "department filter");
    cJSON_Delete(allow);
    mamori_ledger_free(&l);
}

Test(ledger, shift_jis_is_detected)
{
    struct mamori_ledger l;
    struct mamori_ledger_error err;
    char path[512];

    fixture("ledger-cp932.csv", path, sizeof(path));
    cr_assert_eq(mamori_ledger_load(path, MAMORI_LEDGER_AUTO, &l, &err), 0, "%s", err.message);
    cr_assert_eq(l.encoding, MAMORI_LEDGER_CP932);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.entries[0].department, "福祉課");
    mamori_ledger_free(&l);
}

Test(ledger, shift_jis_bad_date_names_the_line)
{
    struct mamori_ledger l = {0};
    struct mamori_ledger_error err;
    char path[512], msg[1024];

    fixture("ledger-cp932-bad-date.csv", path, sizeof(path));
    cr_assert_eq(mamori_ledger_load(path, MAMORI_LEDGER_AUTO, &l, &err), -1);
    cr_assert_null(l.entries, "nothing is half-imported");
    cr_assert_eq(err.line, 3);
    cr_assert_eq(err.column, 5);
    cr_assert_str_eq(err.field, "有効期限");
    mamori_ledger_error_format(&err, "ledger.csv", msg, sizeof(msg));
    cr_assert(strstr(msg, "ledger.csv:3:5 (有効期限): \"2027/02/30\" is not a date") == msg, "%s",
              msg);
}

Test(ledger, forcing_utf8_on_shift_jis_is_explained)
{
    struct mamori_ledger l;
    struct mamori_ledger_error err;
    char path[512];

    fixture("ledger-cp932.csv", path, sizeof(path));
    cr_assert_eq(mamori_ledger_load(path, MAMORI_LEDGER_UTF8, &l, &err), -1);
    cr_assert(strstr(err.message, "not valid UTF-8") != NULL, "%s", err.message);
}

Test(ledger, row_errors_name_line_and_column)
{
    struct mamori_ledger l;
    struct mamori_ledger_error err;

    cr_assert_eq(
        parse_text("管理番号,VID:PID,状態\nA-1,0781:5567,貸出中\nA-2,0781-5567,貸出中\n", &l, &err),
        -1);
    cr_assert_eq(err.line, 3);
    cr_assert_eq(err.column, 2);
    cr_assert_str_eq(err.field, "VID:PID");

    cr_assert_eq(parse_text("管理番号,VID:PID,状態\nA-1,0781:5567,なくした\n", &l, &err), -1);
    cr_assert_str_eq(err.field, "状態");
    cr_assert(strstr(err.message, "unknown state \"なくした\"") != NULL, "%s", err.message);

    cr_assert_eq(parse_text("管理番号,VID:PID,状態\n,0781:5567,貸出中\n", &l, &err), -1);
    cr_assert_str_eq(err.field, "管理番号");
}

Test(ledger, duplicate_management_number)
{
    struct mamori_ledger l;
    struct mamori_ledger_error err;

    cr_assert_eq(parse_text("管理番号,VID:PID,状態\nA-1,0781:5567,貸出中\n\nA-1,0781:5568,貸出中\n",
                            &l, &err),
                 -1);
    cr_assert_eq(err.line, 4);
    cr_assert(strstr(err.message, "already appears on line 2") != NULL, "%s", err.message);
}

Test(ledger, header_and_quoting_errors)
{
    struct mamori_ledger l;
    struct mamori_ledger_error err;

    cr_assert_eq(parse_text("管理番号,状態\nA-1,貸出中\n", &l, &err), -1);
    cr_assert(strstr(err.message, "no column \"VID:PID\"") != NULL, "%s", err.message);
    cr_assert_eq(parse_text("管理番号,VID:PID,状態\n\"A-1,0781:5567,貸出中\n", &l, &err), -1);
    cr_assert(strstr(err.message, "unbalanced double quote") != NULL, "%s", err.message);
    cr_assert_eq(parse_text("", &l, &err), -1);
    cr_assert(strstr(err.message, "empty") != NULL, "%s", err.message);
    cr_assert_eq(mamori_ledger_parse("a\0b", 3, MAMORI_LEDGER_AUTO, &l, &err), -1);
    cr_assert(strstr(err.message, "NUL") != NULL);
}

Test(ledger, english_headers_and_full_width_spaces)
{
    struct mamori_ledger l;
    struct mamori_ledger_error err;

    cr_assert_eq(
        parse_text("number,id,state,hash\n"
                   "\xE3\x80\x80X-9\xE3\x80\x80,0781:5567,in_use,"
                   "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
                   &l, &err),
        0, "%s", err.message);
    cr_assert_str_eq(l.entries[0].number, "X-9");
    cr_assert_str_eq(l.entries[0].hash,
                     "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    mamori_ledger_free(&l);
}
