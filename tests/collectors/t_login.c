/* t_login.c -- login.no_autologin over GDM/LightDM/SDDM and shadow fixtures. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "posture_fixture.h"

extern const struct mamori_check mamori_check_login_no_autologin;

static int has_finding(const struct posture_run *r, const char *dm, const char *key,
                       const char *user)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, posture_evidence(r, "autologin"))
    {
        const cJSON *u = cJSON_GetObjectItem(f, "user");
        if (strcmp(cJSON_GetObjectItem(f, "dm")->valuestring, dm) == 0 &&
            strcmp(cJSON_GetObjectItem(f, "key")->valuestring, key) == 0 &&
            (user == NULL ? u == NULL : (u != NULL && strcmp(u->valuestring, user) == 0)))
            return 1;
    }
    return 0;
}

Test(login_no_autologin, configured_machine_passes)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_login_no_autologin, "login-ok", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_PASS, "%s", r.result.detail_en);
    cr_assert(posture_array_has(&r, "display_managers", "gdm3"));
    cr_assert(posture_array_has(&r, "display_managers", "lightdm"));
    cr_assert_not(posture_array_has(&r, "display_managers", "sddm"));
    cr_assert_eq(cJSON_GetArraySize(posture_evidence(&r, "autologin")), 0);
    cr_assert_eq(cJSON_GetArraySize(posture_evidence(&r, "empty_password_users")), 0);
    posture_done(&r);
}

Test(login_no_autologin, every_display_manager_and_empty_password_found)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_login_no_autologin, "login-autologin", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_FAIL);
    cr_assert(has_finding(&r, "gdm3", "AutomaticLoginEnable", NULL));
    cr_assert(has_finding(&r, "lightdm", "autologin-user", "kiosk"));
    cr_assert(has_finding(&r, "sddm", "Autologin.User", "suzuki"));
    cr_assert_eq(cJSON_GetArraySize(posture_evidence(&r, "autologin")), 3);
    cr_assert(posture_array_has(&r, "empty_password_users", "guest"));
    cr_assert_eq(cJSON_GetArraySize(posture_evidence(&r, "empty_password_users")), 1);
    cr_assert_str_eq(r.result.detail_en,
                     "3 autologin setting(s), 1 account(s) with an empty password");
    /* the evidence never carries a hash */
    char *text = cJSON_PrintUnformatted(r.result.evidence);
    cr_assert_null(strstr(text, "$y$"));
    free(text);
    posture_done(&r);
}

Test(login_no_autologin, malformed_config_is_error_naming_file_and_line)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_login_no_autologin, "login-badconf", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_ERROR);
    cr_assert(strstr(r.result.detail_en, "/etc/gdm3/daemon.conf: line 1") != NULL, "%s",
              r.result.detail_en);
    posture_done(&r);
}

Test(login_no_autologin, nothing_installed_is_not_applicable)
{
    char dir[] = "/tmp/mamori-login-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    struct posture_run r;
    posture_run(&r, &mamori_check_login_no_autologin, dir, NULL);
    cr_assert_eq(r.result.verdict, MAMORI_NOT_APPLICABLE);
    posture_done(&r);
    rmdir(dir);
}
