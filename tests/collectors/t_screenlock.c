/* t_screenlock.c -- screenlock.* over GNOME, MATE and KDE fixture trees.
 * Git does not keep mtimes, so each test dates the compiled dconf database
 * against its keyfiles itself (the same values every time). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "posture_fixture.h"

extern const struct mamori_check mamori_check_screenlock_enabled;
extern const struct mamori_check mamori_check_screenlock_idle_timeout;
extern const struct mamori_check mamori_check_screenlock_locked_down;

static void set_mtime(const char *scenario, const char *rel, time_t when)
{
    char path[4096];
    struct utimbuf t = {when, when};
    snprintf(path, sizeof(path), "%s/%s/%s", getenv("MAMORI_FIXTURES"), scenario, rel);
    cr_assert_eq(utime(path, &t), 0, "utime %s", path);
}

/* Keyfiles at T, the compiled database at T+offset. */
static void date_dconf(const char *scenario, long offset)
{
    const time_t t = 1795000000;
    set_mtime(scenario, "etc/dconf/db/local.d/00-screensaver", t);
    set_mtime(scenario, "etc/dconf/db/local.d/locks/screensaver", t);
    set_mtime(scenario, "etc/dconf/db/local", t + offset);
}

static double desktop_number(const struct posture_run *r, const char *desktop, const char *key)
{
    char path[128];
    snprintf(path, sizeof(path), "per_desktop.%s.%s", desktop, key);
    return posture_number(r, path);
}

static int desktop_bool(const struct posture_run *r, const char *desktop, const char *key)
{
    char path[128];
    snprintf(path, sizeof(path), "per_desktop.%s.%s", desktop, key);
    const cJSON *b = posture_evidence(r, path);
    cr_assert(cJSON_IsBool(b), "%s is not a boolean", path);
    return cJSON_IsTrue(b);
}

Test(screenlock, gnome_compliant_passes_all_three)
{
    struct posture_run r;
    date_dconf("gnome-compliant", 60);
    set_mtime("gnome-compliant", "etc/dconf/db/local.d/01-background", 1795000000);
    posture_run(&r, &mamori_check_screenlock_enabled, "gnome-compliant", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_PASS, "%s", r.result.detail_en);
    cr_assert(posture_array_has(&r, "desktops", "gnome"));
    cr_assert_eq(cJSON_GetArraySize(posture_evidence(&r, "desktops")), 1);
    cr_assert(desktop_bool(&r, "gnome", "lock_enabled"));
    posture_done(&r);

    posture_run(&r, &mamori_check_screenlock_idle_timeout, "gnome-compliant", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_PASS, "%s", r.result.detail_en);
    cr_assert_eq(desktop_number(&r, "gnome", "idle_seconds"), 300);
    cr_assert_eq(posture_number(&r, "max_idle_seconds"), 600);
    posture_done(&r);

    posture_run(&r, &mamori_check_screenlock_locked_down, "gnome-compliant", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_PASS, "%s", r.result.detail_en);
    cr_assert(desktop_bool(&r, "gnome", "locked"));
    cr_assert_null(posture_evidence(&r, "stale_dconf_db"));
    posture_done(&r);
}

Test(screenlock, stale_compiled_database_is_not_locked_down)
{
    struct posture_run r;
    date_dconf("gnome-stale", -3600);
    posture_run(&r, &mamori_check_screenlock_locked_down, "gnome-stale", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_FAIL);
    cr_assert_str_eq(posture_string(&r, "stale_dconf_db"), "local");
    cr_assert(strstr(r.result.detail_en, "dconf update not run") != NULL, "%s", r.result.detail_en);
    posture_done(&r);
}

Test(screenlock, loose_gnome_later_keyfile_wins_and_nothing_locked)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_screenlock_enabled, "gnome-loose", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_PASS, "%s", r.result.detail_en);
    posture_done(&r);

    posture_run(&r, &mamori_check_screenlock_idle_timeout, "gnome-loose", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_FAIL);
    cr_assert_eq(desktop_number(&r, "gnome", "idle_seconds"), 1860); /* 1800 + lock-delay 60 */
    cr_assert_str_eq(r.result.detail_en, "gnome locks only after 1860 seconds (limit 600 seconds)");
    posture_done(&r);

    posture_run(&r, &mamori_check_screenlock_locked_down, "gnome-loose", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_FAIL);
    cr_assert_str_eq(posture_string(&r, "per_desktop.gnome.unlocked_key"),
                     "/org/gnome/desktop/screensaver/lock-enabled");
    posture_done(&r);
}

Test(screenlock, bad_gvariant_value_is_error)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_screenlock_idle_timeout, "gnome-badvalue", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_ERROR);
    cr_assert(strstr(posture_string(&r, "reason"), "idle-delay: not an integer") != NULL);
    posture_done(&r);
}

Test(screenlock, mate_lock_disabled_fails)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_screenlock_enabled, "mate-off", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_FAIL);
    cr_assert(posture_array_has(&r, "desktops", "mate"));
    cr_assert_not(desktop_bool(&r, "mate", "lock_enabled"));
    cr_assert_str_eq(r.result.detail_en, "automatic screen lock is off in mate");
    posture_done(&r);
    posture_run(&r, &mamori_check_screenlock_idle_timeout, "mate-off", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_FAIL);
    cr_assert(strstr(r.result.detail_en, "never locks") != NULL);
    posture_done(&r);
}

Test(screenlock, kde_immutable_group_passes)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_screenlock_idle_timeout, "kde-compliant", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_PASS, "%s", r.result.detail_en);
    cr_assert_eq(desktop_number(&r, "kde", "idle_seconds"), 300);
    posture_done(&r);
    posture_run(&r, &mamori_check_screenlock_locked_down, "kde-compliant", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_PASS, "%s", r.result.detail_en);
    posture_done(&r);
}

Test(screenlock, kde_autolock_off_and_mutable)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_screenlock_enabled, "kde-loose", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_FAIL);
    posture_done(&r);
    posture_run(&r, &mamori_check_screenlock_locked_down, "kde-loose", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_FAIL);
    cr_assert_str_eq(posture_string(&r, "per_desktop.kde.unlocked_key"), "Autolock");
    posture_done(&r);
}

Test(screenlock, no_desktop_is_not_applicable)
{
    struct posture_run r;
    posture_run(&r, &mamori_check_screenlock_enabled, "login-ok", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_NOT_APPLICABLE);
    cr_assert_eq(cJSON_GetArraySize(posture_evidence(&r, "desktops")), 0);
    posture_done(&r);
}

static void cinnamon_limit(struct mamori_policy *p)
{
    p->screen_lock.max_idle_seconds = 900;
}

Test(screenlock, cinnamon_seconds_judged_against_the_policy_limit)
{
    struct posture_run r;
    date_dconf("cinnamon-slow", 60);
    posture_run(&r, &mamori_check_screenlock_idle_timeout, "cinnamon-slow", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_FAIL);
    cr_assert(posture_array_has(&r, "desktops", "cinnamon"));
    cr_assert_eq(desktop_number(&r, "cinnamon", "idle_seconds"), 900);
    posture_done(&r);
    posture_run(&r, &mamori_check_screenlock_idle_timeout, "cinnamon-slow", cinnamon_limit);
    cr_assert_eq(r.result.verdict, MAMORI_PASS, "%s", r.result.detail_en);
    posture_done(&r);
    posture_run(&r, &mamori_check_screenlock_locked_down, "cinnamon-slow", NULL);
    cr_assert_eq(r.result.verdict, MAMORI_PASS, "%s", r.result.detail_en);
    cr_assert(desktop_bool(&r, "cinnamon", "locked"));
    posture_done(&r);
}
