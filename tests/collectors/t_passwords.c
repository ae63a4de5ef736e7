/* t_passwords.c -- passwords.browser_store_disabled over managed-policy
 * fixture trees, and passwords.no_saved_logins over Firefox logins.json
 * fixtures and Chrome/Chromium "Login Data" SQLite files built here with the
 * browsers' own table layout (binary databases are not committed). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "firefox_logins.h"
#include "posture_fixture.h"

extern const struct mamori_check mamori_check_passwords_browser_store_disabled;
extern const struct mamori_check mamori_check_passwords_no_saved_logins;

/* ---- browser_store_disabled ------------------------------------------- */

Test(browser_store, managed_browsers_pass_and_uninstalled_edge_ignored)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_passwords_browser_store_disabled, "browsers-managed", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_PASS, "%s", r.result.detail_en);
    cr_assert(posture_array_has(&r, "browsers", "chrome"));
    cr_assert(posture_array_has(&r, "browsers", "chromium"));
    cr_assert(posture_array_has(&r, "browsers", "firefox"));
    cr_assert_not(posture_array_has(&r, "browsers", "edge"));
    cr_assert_str_eq(posture_string(&r, "per_browser.chrome.PasswordManagerEnabled"), "false");
    cr_assert_str_eq(posture_string(&r, "per_browser.firefox.OfferToSaveLogins"), "false");
    cr_assert_eq(cJSON_GetArraySize(posture_evidence(&r, "per_browser.chrome.policy_files")), 2);
    posture_done(&r);
}

Test(browser_store, conflicting_unset_and_missing_policies_fail)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_passwords_browser_store_disabled, "browsers-unmanaged", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_FAIL);
    cr_assert_str_eq(posture_string(&r, "per_browser.chrome.PasswordManagerEnabled"), "true");
    cr_assert_str_eq(posture_string(&r, "per_browser.edge.PasswordManagerEnabled"), "unset");
    cr_assert_str_eq(posture_string(&r, "per_browser.firefox.PasswordManagerEnabled"), "unset");
    cr_assert_str_eq(posture_string(&r, "per_browser.firefox.OfferToSaveLogins"), "false");
    cr_assert_str_eq(r.result.detail_en,
                     "saving passwords is not disabled by policy in: chrome, edge, firefox");
    posture_done(&r);
}

Test(browser_store, broken_policy_json_is_error)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_passwords_browser_store_disabled, "browsers-badjson", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_ERROR);
    cr_assert(strstr(r.result.detail_en,
                     "/etc/opt/chrome/policies/managed/broken.json: not valid JSON") != NULL,
              "%s", r.result.detail_en);
    posture_done(&r);
}

Test(browser_store, no_browser_is_not_applicable)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_passwords_browser_store_disabled, "login-ok", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_NOT_APPLICABLE);
    posture_done(&r);
}

/* ---- Firefox logins.json ---------------------------------------------- */

Test(firefox_logins, counts_entries_and_refuses_other_shapes)
{
    unsigned n = 99;
    char err[64];
    const char *two = "{\"logins\":[{\"id\":1},{\"id\":2}],\"version\":3}";
    cr_assert_eq(mamori_firefox_logins_count(two, strlen(two), &n, err, sizeof(err)), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(mamori_firefox_logins_count("{\"logins\":{}}", 13, &n, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "no \"logins\" array");
    cr_assert_eq(mamori_firefox_logins_count("{\"logins\":[", 11, &n, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "not valid JSON");
}

Test(no_saved_logins, firefox_counts_per_user_from_passwd_homes)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_passwords_no_saved_logins, "saved-logins", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_FAIL, "%s", r.result.detail_en);
    cr_assert_eq(posture_number(&r, "per_user.yamada.firefox"), 2);
    cr_assert_eq(posture_number(&r, "per_user.sato.firefox"), 0);
    cr_assert_null(posture_evidence(&r, "per_user.root"));
    cr_assert_eq(posture_number(&r, "profiles"), 2);
    cr_assert_eq(posture_number(&r, "total"), 2);
    cr_assert_str_eq(r.result.detail_en, "1 profile(s) keep saved logins (2 in total)");
    char *text = cJSON_PrintUnformatted(r.result.evidence);
    cr_assert_null(strstr(text, "encrypted"));
    cr_assert_null(strstr(text, "portal.example"));
    free(text);
    posture_done(&r);
}

Test(no_saved_logins, clean_profiles_pass)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_passwords_no_saved_logins, "saved-logins-clean", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_PASS, "%s", r.result.detail_en);
    cr_assert_eq(posture_number(&r, "profiles"), 1);
    posture_done(&r);
}

Test(no_saved_logins, malformed_logins_json_is_error)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_passwords_no_saved_logins, "saved-logins-bad", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_ERROR);
    cr_assert(strstr(posture_string(&r, "reason"), "logins.json: no \"logins\" array") != NULL);
    posture_done(&r);
}

static void tolerate_two(struct mamori_policy *p)
{
    p->passwords.max_saved_logins = 2;
}

Test(no_saved_logins, policy_tolerance_is_per_profile)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_passwords_no_saved_logins, "saved-logins", tolerate_two);
    cr_assert_eq(r.result.verdict, MAMORI_PASS, "%s", r.result.detail_en);
    posture_done(&r);
}

/* ---- Chrome/Chromium Login Data (SQLite) ------------------------------- */

static char tmp_root[64];

static void mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        cr_assert(mkdir(buf, 0755) == 0 || errno == EEXIST, "mkdir %s", buf);
        *p = '/';
    }
    cr_assert(mkdir(buf, 0755) == 0 || errno == EEXIST, "mkdir %s", buf);
}

static void write_text(const char *rel, const char *text)
{
    char path[4096], dir[4096];
    snprintf(path, sizeof(path), "%s%s", tmp_root, rel);
    snprintf(dir, sizeof(dir), "%s", path);
    *strrchr(dir, '/') = '\0';
    mkdirs(dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* A Login Data file as Chromium creates it (the columns we rely on and their
 * neighbours), with `saved` real entries and `never` "never save" entries. */
static void make_login_data(const char *rel, int saved, int never)
{
    char path[4096], dir[4096];
    sqlite3 *db;
    snprintf(path, sizeof(path), "%s%s", tmp_root, rel);
    snprintf(dir, sizeof(dir), "%s", path);
    *strrchr(dir, '/') = '\0';
    mkdirs(dir);
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db,
                              "CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, "
                              "value LONGVARCHAR);"
                              "INSERT INTO meta VALUES('version','40');"
                              "CREATE TABLE logins (origin_url VARCHAR NOT NULL, action_url "
                              "VARCHAR, username_element VARCHAR, username_value VARCHAR, "
                              "password_element VARCHAR, password_value BLOB, submit_element "
                              "VARCHAR, signon_realm VARCHAR NOT NULL, date_created INTEGER NOT "
                              "NULL, blacklisted_by_user INTEGER NOT NULL, scheme INTEGER NOT "
                              "NULL, id INTEGER PRIMARY KEY AUTOINCREMENT);",
                              NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    for (int i = 0; i < saved + never; i++) {
        char sql[512];
        snprintf(sql, sizeof(sql),
                 "INSERT INTO logins(origin_url, username_value, password_value, signon_realm, "
                 "date_created, blacklisted_by_user, scheme) VALUES('https://site%d.example/', "
                 "'user%d', x'7631300000000000', 'https://site%d.example/', 13300000000000000, "
                 "%d, 0)",
                 i, i, i, i >= saved);
        cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    }
    sqlite3_close(db);
}

static void make_root(void)
{
    snprintf(tmp_root, sizeof(tmp_root), "/tmp/mamori-pw-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp_root));
    write_text("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
                              "suzuki:x:1002:1002:Suzuki Jiro:/home/suzuki:/bin/bash\n"
                              "tanaka:x:1003:1003:Tanaka:/srv/homes/tanaka:/bin/bash\n");
}

static void remove_root(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_root);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(login_data, .init = make_root, .fini = remove_root);

Test(login_data, chrome_and_chromium_counted_without_blacklisted_rows)
{
    make_login_data("/home/suzuki/.config/google-chrome/Default/Login Data", 3, 2);
    make_login_data("/home/suzuki/.config/google-chrome/Profile 1/Login Data", 0, 1);
    make_login_data("/srv/homes/tanaka/.config/chromium/Default/Login Data", 1, 0);
    struct posture_run r;
    posture_run(&r, &mamori_check_passwords_no_saved_logins, tmp_root, NULL);
    cr_assert_eq(r.result.verdict, MAMORI_FAIL, "%s", r.result.detail_en);
    cr_assert_eq(posture_number(&r, "per_user.suzuki.chrome"), 3);
    cr_assert_eq(posture_number(&r, "per_user.tanaka.chromium"), 1);
    cr_assert_eq(posture_number(&r, "profiles"), 3);
    cr_assert_eq(posture_number(&r, "total"), 4);
    cr_assert_str_eq(r.result.detail_en, "2 profile(s) keep saved logins (4 in total)");
    char *text = cJSON_PrintUnformatted(r.result.evidence);
    cr_assert_null(strstr(text, "site0"));
    cr_assert_null(strstr(text, "user0"));
    free(text);
    posture_done(&r);
}

Test(login_data, read_while_the_browser_holds_a_write_lock)
{
    char path[4096];
    sqlite3 *browser;
    make_login_data("/home/suzuki/.config/google-chrome/Default/Login Data", 2, 0);
    snprintf(path, sizeof(path), "%s/home/suzuki/.config/google-chrome/Default/Login Data",
             tmp_root);
    cr_assert_eq(sqlite3_open(path, &browser), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(browser, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
    struct posture_run r;
    posture_run(&r, &mamori_check_passwords_no_saved_logins, tmp_root, NULL);
    cr_assert_eq(r.result.verdict, MAMORI_FAIL, "%s", r.result.detail_en);
    cr_assert_eq(posture_number(&r, "per_user.suzuki.chrome"), 2);
    posture_done(&r);
    sqlite3_exec(browser, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(browser);
}

Test(login_data, not_a_database_is_error)
{
    write_text("/home/suzuki/.config/microsoft-edge/Default/Login Data", "not sqlite at all\n");
    struct posture_run r;
    posture_run(&r, &mamori_check_passwords_no_saved_logins, tmp_root, NULL);
    cr_assert_eq(r.result.verdict, MAMORI_ERROR);
    cr_assert(strstr(posture_string(&r, "reason"), "microsoft-edge/Default/Login Data") != NULL);
    posture_done(&r);
}

Test(login_data, homes_without_profiles_are_not_applicable)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_passwords_no_saved_logins, tmp_root, NULL);
    cr_assert_eq(r.result.verdict, MAMORI_NOT_APPLICABLE);
    posture_done(&r);
}
