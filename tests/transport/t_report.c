/* t_report.c -- the report document (schema 2): compact checks.
 *
 * mamori_report_build receives checks in the full shape the CLI shows
 * (title, detail, remediation, clause, evidence) and must send only what
 * the catalogue cannot supply: id, verdict, evidence, and the detail of a
 * check that did not pass, with the catalogue version beside them. */
#include <criterion/criterion.h>
#include <string.h>

#include "catalogue.h"
#include "report.h"

static cJSON *bilingual(const char *ja, const char *en)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "ja", ja);
    cJSON_AddStringToObject(b, "en", en);
    return b;
}

static cJSON *full_check(const char *id, const char *verdict)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "id", id);
    cJSON_AddStringToObject(c, "verdict", verdict);
    cJSON_AddItemToObject(c, "title", bilingual("題", "title"));
    cJSON_AddItemToObject(c, "detail", bilingual("詳細", "detail"));
    cJSON_AddItemToObject(c, "remediation", bilingual("対処", "remedy"));
    cJSON_AddStringToObject(c, "clause", "001 §1");
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(c, "evidence"), "n", 3);
    return c;
}

Test(report, checks_are_compact_and_name_the_catalogue)
{
    struct mamori_report_host host = {.id = "ab", .hostname = "pc", .segment = "lgwan"};
    cJSON *checks = cJSON_CreateArray(), *doc, *c;
    cJSON_AddItemToArray(checks, full_check("av.resident", "pass"));
    cJSON_AddItemToArray(checks, full_check("screenlock.idle_timeout", "fail"));
    cJSON_AddItemToArray(checks, full_check("usb.storage_blocked", "not_applicable"));
    doc = mamori_report_build(&host, 7, 0, "p1", checks, NULL, 0);
    cr_assert_not_null(doc);
    cr_assert_eq(cJSON_GetObjectItem(doc, "schema")->valueint, 2);
    cr_assert_eq(cJSON_GetObjectItem(doc, "catalogue")->valueint, MAMORI_CATALOGUE_VERSION);
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "checks"))
    {
        const char *verdict = cJSON_GetObjectItem(c, "verdict")->valuestring;
        cr_expect_null(cJSON_GetObjectItem(c, "title"));
        cr_expect_null(cJSON_GetObjectItem(c, "remediation"));
        cr_expect_null(cJSON_GetObjectItem(c, "clause"));
        cr_expect_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "evidence"), "n")->valueint, 3);
        if (strcmp(verdict, "pass") == 0)
            cr_expect_null(cJSON_GetObjectItem(c, "detail"), "a pass needs no detail");
        else
            cr_expect_str_eq(
                cJSON_GetObjectItem(cJSON_GetObjectItem(c, "detail"), "en")->valuestring, "detail",
                "%s keeps its detail", verdict);
    }
    cJSON_Delete(doc);
}

Test(report, no_checks_is_an_empty_array)
{
    struct mamori_report_host host = {.id = "ab", .hostname = "pc"};
    cJSON *doc = mamori_report_build(&host, 1, 0, NULL, NULL, NULL, 0);
    cr_assert(cJSON_IsArray(cJSON_GetObjectItem(doc, "checks")));
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "checks")), 0);
    cJSON_Delete(doc);
}
