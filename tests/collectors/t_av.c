/* t_av.c -- av.pattern_fresh and av.resident over Debian-like fixture trees,
 * plus the ClamAV header parser on hand-made headers. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "clamav_header.h"
#include "posture_fixture.h"

extern const struct mamori_check mamori_check_av_pattern_fresh;
extern const struct mamori_check mamori_check_av_resident;

static void make_header(unsigned char *buf, const char *text)
{
    memset(buf, ' ', MAMORI_CLAMAV_HEADER_SIZE);
    memcpy(buf, text, strlen(text));
}

Test(clamav_header, stime_wins_over_text_date)
{
    unsigned char buf[MAMORI_CLAMAV_HEADER_SIZE];
    struct mamori_clamav_header h;
    char err[128];
    make_header(buf, "ClamAV-VDB:01 Jan 2020 00-00 +0000:27830:2071234:90:md5:dsig:raynman:"
                     "1795410000");
    cr_assert_eq(mamori_clamav_header_parse(buf, sizeof(buf), &h, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(h.version, 27830);
    cr_assert_eq(h.sigs, 2071234);
    cr_assert_eq(h.flevel, 90);
    cr_assert_eq(h.build_time, 1795410000);
    cr_assert_str_eq(h.builder, "raynman");
}

Test(clamav_header, text_date_with_zone_when_no_stime)
{
    unsigned char buf[MAMORI_CLAMAV_HEADER_SIZE];
    struct mamori_clamav_header h;
    char err[128];
    make_header(buf, "ClamAV-VDB:23 Nov 2026 14-00 +0900:335:86:90:md5:dsig:neo:");
    cr_assert_eq(mamori_clamav_header_parse(buf, sizeof(buf), &h, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(h.build_time, 1795410000); /* 05:00 UTC */
}

Test(clamav_header, refuses_truncated_and_garbage)
{
    unsigned char buf[MAMORI_CLAMAV_HEADER_SIZE];
    struct mamori_clamav_header h;
    char err[128];
    make_header(buf, "ClamAV-VDB:23 Nov 2026 05-00 +0000:27830:1:90:m:d:b:1795410000");
    cr_assert_eq(mamori_clamav_header_parse(buf, 100, &h, err, sizeof(err)), -1);
    cr_assert(strstr(err, "truncated") != NULL, "%s", err);
    make_header(buf, "PK\003\004 not a database");
    cr_assert_eq(mamori_clamav_header_parse(buf, sizeof(buf), &h, err, sizeof(err)), -1);
    cr_assert(strstr(err, "not a ClamAV database") != NULL, "%s", err);
    make_header(buf, "ClamAV-VDB:23 Nov 2026 05-00 +0000:-5:1:90:m:d:b:1795410000");
    cr_assert_eq(mamori_clamav_header_parse(buf, sizeof(buf), &h, err, sizeof(err)), -1);
    cr_assert(strstr(err, "version") != NULL, "%s", err);
    make_header(buf, "ClamAV-VDB:yesterday:5:1:90:m:d:b:");
    cr_assert_eq(mamori_clamav_header_parse(buf, sizeof(buf), &h, err, sizeof(err)), -1);
    cr_assert(strstr(err, "build time") != NULL, "%s", err);
    buf[20] = '\0';
    cr_assert_eq(mamori_clamav_header_parse(buf, sizeof(buf), &h, err, sizeof(err)), -1);
}

Test(av_pattern_fresh, fresh_cld_preferred_over_older_cvd)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_av_pattern_fresh, "av-fresh", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_PASS, "%s", r.result.detail_en);
    cr_assert_str_eq(posture_string(&r, "db_dir"), "/var/lib/clamav");
    cr_assert_str_eq(posture_string(&r, "databases.daily.file"), "/var/lib/clamav/daily.cld");
    cr_assert_eq(posture_number(&r, "databases.daily.version"), 27830);
    cr_assert_eq(posture_number(&r, "databases.daily.sigs"), 2071234);
    cr_assert_eq(posture_number(&r, "databases.main.version"), 62);
    cr_assert_eq(posture_number(&r, "databases.bytecode.version"), 335);
    cr_assert_str_eq(posture_string(&r, "databases.bytecode.build_time"), "2026-11-22T01:00:00Z");
    cr_assert_eq(posture_number(&r, "age_hours"), 1);
    cr_assert_eq(posture_number(&r, "max_age_hours"), 24);
    cr_assert_str_eq(posture_string(&r, "pattern_time"), "2026-11-23T05:00:00Z");
    posture_done(&r);
}

static void tight_limit(struct mamori_policy *p)
{
    p->antivirus.max_age_hours = 0;
}

Test(av_pattern_fresh, fails_past_policy_limit)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_av_pattern_fresh, "av-fresh", tight_limit);
    cr_assert_eq(r.result.verdict, MAMORI_FAIL);
    cr_assert(strstr(r.result.detail_en, "limit 0 hours") != NULL, "%s", r.result.detail_en);
    posture_done(&r);
}

Test(av_pattern_fresh, stale_db_found_through_clamd_conf)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_av_pattern_fresh, "av-stale", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_FAIL, "%s", r.result.detail_en);
    cr_assert_str_eq(posture_string(&r, "db_dir"), "/srv/clamav-db");
    cr_assert_eq(posture_number(&r, "databases.daily.version"), 27808);
    cr_assert_eq(posture_number(&r, "age_hours"), 529); /* 22 days + 1 hour */
    cr_assert_null(posture_evidence(&r, "databases.bytecode"));
    cr_assert(strstr(r.result.detail_ja, "古すぎます") != NULL);
    posture_done(&r);
}

Test(av_pattern_fresh, truncated_header_is_error)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_av_pattern_fresh, "av-truncated", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_ERROR);
    cr_assert(strstr(posture_string(&r, "reason"), "/var/lib/clamav/daily.cvd: truncated") != NULL,
              "%s", posture_string(&r, "reason"));
    posture_done(&r);
}

Test(av_pattern_fresh, garbage_header_is_error)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_av_pattern_fresh, "av-garbage", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_ERROR);
    cr_assert(strstr(r.result.detail_en, "daily.cld: bad version field") != NULL, "%s",
              r.result.detail_en);
    posture_done(&r);
}

Test(av_pattern_fresh, missing_database_fails)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_av_pattern_fresh, "av-missing", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_FAIL);
    cr_assert(strstr(r.result.detail_en, "no ClamAV pattern") != NULL);
    posture_done(&r);
}

static void db_dir_override(struct mamori_policy *p)
{
    p->antivirus.db_dir = strdup("/srv/clamav-db");
}

Test(av_pattern_fresh, policy_db_dir_overrides_config)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_av_pattern_fresh, "av-stale", db_dir_override);
    cr_assert_str_eq(posture_string(&r, "db_dir"), "/srv/clamav-db");
    cr_assert_eq(r.result.verdict, MAMORI_FAIL);
    posture_done(&r);
}

static void file_rule(struct mamori_policy *p)
{
    p->antivirus.engine = MAMORI_AV_FILE;
    p->antivirus.pattern_path = strdup("/var/lib/clamav/*.cvd");
    p->antivirus.max_age_hours = 1000000;
}

Test(av_pattern_fresh, file_rule_uses_newest_mtime)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_av_pattern_fresh, "av-fresh", file_rule);
    cr_assert_eq(r.result.verdict, MAMORI_PASS, "%s", r.result.detail_en);
    cr_assert_str_eq(posture_string(&r, "engine"), "file");
    cr_assert_eq(posture_number(&r, "files"), 3);
    posture_done(&r);
}

static void file_rule_nomatch(struct mamori_policy *p)
{
    p->antivirus.engine = MAMORI_AV_FILE;
    p->antivirus.pattern_path = strdup("/opt/vendor/pattern/*.dat");
}

Test(av_pattern_fresh, file_rule_without_match_fails)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_av_pattern_fresh, "av-fresh", file_rule_nomatch);
    cr_assert_eq(r.result.verdict, MAMORI_FAIL);
    posture_done(&r);
}

static void clamd_and_freshclam(struct mamori_policy *p)
{
    free(p->antivirus.resident[0]);
    free(p->antivirus.resident);
    p->antivirus.resident = calloc(2, sizeof(char *));
    p->antivirus.resident[0] = strdup("clamd");
    p->antivirus.resident[1] = strdup("freshclam");
    p->antivirus.n_resident = 2;
}

Test(av_resident, running_processes_pass)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_av_resident, "av-fresh", clamd_and_freshclam);
    cr_assert_eq(r.result.verdict, MAMORI_PASS, "%s", r.result.detail_en);
    cr_assert(posture_array_has(&r, "running", "clamd"));
    cr_assert(posture_array_has(&r, "running", "freshclam"));
    cr_assert_eq(cJSON_GetArraySize(posture_evidence(&r, "missing")), 0);
    posture_done(&r);
}

Test(av_resident, missing_processes_fail)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_av_resident, "av-stale", clamd_and_freshclam);
    cr_assert_eq(r.result.verdict, MAMORI_FAIL);
    cr_assert(posture_array_has(&r, "missing", "clamd"));
    cr_assert(posture_array_has(&r, "missing", "freshclam"));
    cr_assert(strstr(r.result.detail_en, "clamd, freshclam") != NULL, "%s", r.result.detail_en);
    posture_done(&r);
}

Test(av_resident, no_proc_is_error)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_av_resident, "av-truncated", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_ERROR);
    posture_done(&r);
}
