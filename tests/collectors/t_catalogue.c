/* t_catalogue.c -- the check catalogue and the registry agree, and the
 * catalogue's words change only together with its version.
 *
 * Reports (schema 2) name the catalogue version instead of carrying titles
 * and remediation, so a text edited without a new version would silently
 * change what old reports are shown with.  The digest below pins the text
 * of MAMORI_CATALOGUE_VERSION: editing any text fails this test until the
 * version is bumped and the digest updated together. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "catalogue.h"
#include "check.h"

#define PINNED_VERSION 1
#define PINNED_DIGEST  UINT64_C(0xef1a82d6e2f2340e)

/* FNV-1a over every member of every entry, NUL-separated. */
static uint64_t catalogue_digest(void)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const struct mamori_check_text *t = mamori_catalogue; t->id != NULL; t++) {
        const char *parts[] = {
            t->id, t->title_ja, t->title_en, t->remediation_ja, t->remediation_en, t->clause};
        for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
            for (const unsigned char *p = (const unsigned char *)parts[i];; p++) {
                h = (h ^ *p) * UINT64_C(0x100000001b3);
                if (*p == '\0')
                    break;
            }
    }
    return h;
}

Test(catalogue, every_registered_check_has_its_words)
{
    for (size_t i = 0; mamori_checks[i] != NULL; i++) {
        const struct mamori_check_text *t = mamori_catalogue_find(mamori_checks[i]->id);
        cr_assert_not_null(t, "%s has no catalogue entry", mamori_checks[i]->id);
        cr_expect_gt(strlen(t->title_ja), 0, "%s: title_ja", t->id);
        cr_expect_gt(strlen(t->title_en), 0, "%s: title_en", t->id);
        cr_expect_gt(strlen(t->remediation_ja), 0, "%s: remediation_ja", t->id);
        cr_expect_gt(strlen(t->remediation_en), 0, "%s: remediation_en", t->id);
        cr_expect_gt(strlen(t->clause), 0, "%s: clause", t->id);
    }
}

Test(catalogue, every_entry_is_a_registered_check)
{
    for (const struct mamori_check_text *t = mamori_catalogue; t->id != NULL; t++)
        cr_expect_not_null(mamori_check_find(t->id), "catalogue entry %s is not registered", t->id);
    cr_assert_null(mamori_catalogue_find("no.such_check"));
    cr_assert_null(mamori_catalogue_find(NULL));
}

Test(catalogue, results_carry_the_catalogues_words)
{
    const struct mamori_check *c = mamori_check_find("av.resident");
    const struct mamori_check_text *t = mamori_catalogue_find("av.resident");
    struct mamori_check_result r = {.verdict = MAMORI_FAIL, .evidence = cJSON_CreateObject()};
    cJSON *doc = mamori_check_result_json(c, &r);
    cr_assert_not_null(doc);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "title"), "ja")->valuestring,
                     t->title_ja);
    cr_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "remediation"), "en")->valuestring,
        t->remediation_en);
    cr_assert_str_eq(cJSON_GetObjectItem(doc, "clause")->valuestring, t->clause);
    cJSON_Delete(doc);
    mamori_check_result_clear(&r);
}

Test(catalogue, text_changes_only_with_a_new_version)
{
    uint64_t d = catalogue_digest();
    cr_assert_eq(MAMORI_CATALOGUE_VERSION, PINNED_VERSION,
                 "catalogue version changed: update PINNED_VERSION and PINNED_DIGEST");
    cr_assert_eq(d, PINNED_DIGEST,
                 "the catalogue's words changed (digest 0x%016llx): bump "
                 "MAMORI_CATALOGUE_VERSION and pin the new digest here",
                 (unsigned long long)d);
}
