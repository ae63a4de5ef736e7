/* screenlock.c -- checks screenlock.enabled, screenlock.idle_timeout and
 * screenlock.locked_down: an unattended PC locks itself, soon enough, and the
 * user cannot turn that off.
 *
 * One scan per run finds the installed desktops and what each would do:
 *  - GNOME, MATE, Cinnamon read the system dconf databases (dconf_system.c);
 *    keys a database does not set fall back to the schema defaults below.
 *  - KDE Plasma reads /etc/xdg/kscreenlockerrc ([Daemon] Autolock, Timeout in
 *    minutes, LockOnResume); "[$i]" on a key, the group or the file makes it
 *    immutable (KDE's lock-down).
 * A desktop counts only when installed (its screen locker binary is present);
 * with none installed every screenlock check is not_applicable. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dconf_system.h"
#include "gvariant_text.h"
#include "ini_file.h"

#define KDE_RC     "/etc/xdg/kscreenlockerrc"
#define KDE_RC_MAX (256 * 1024)

/* What one desktop would do, judged from system settings. */
struct desktop_lock {
    const char *name;
    bool lock_enabled;
    long long idle_seconds;   /* until the screen locks; 0 = never */
    bool locked;              /* every key above is locked / immutable */
    const char *unlocked_key; /* first key a user could change, for evidence */
    char error[384];
};

/* dconf desktops differ only in key paths, units and defaults. */
struct dconf_desktop {
    const char *name;
    const char *installed; /* file whose presence means "installed" */
    const char *lock_key;  /* boolean: lock when the screensaver starts */
    bool lock_default;
    const char *idle_key; /* integer: idle time before blanking */
    long long idle_default;
    const char *lock_delay_key; /* integer: grace between blank and lock */
    long long unit;             /* seconds per unit of idle/lock-delay */
};

static const struct dconf_desktop dconf_desktops[] = {
    {"gnome", "/usr/bin/gnome-shell", "/org/gnome/desktop/screensaver/lock-enabled", true,
     "/org/gnome/desktop/session/idle-delay", 300, "/org/gnome/desktop/screensaver/lock-delay", 1},
    {"mate", "/usr/bin/mate-screensaver", "/org/mate/screensaver/lock-enabled", true,
     "/org/mate/session/idle-delay", 5, "/org/mate/screensaver/lock-delay", 60},
    {"cinnamon", "/usr/bin/cinnamon-screensaver", "/org/cinnamon/desktop/screensaver/lock-enabled",
     true, "/org/cinnamon/desktop/session/idle-delay", 300,
     "/org/cinnamon/desktop/screensaver/lock-delay", 1},
};

#define MAX_DESKTOPS 4

struct screenlock_scan {
    struct desktop_lock desktops[MAX_DESKTOPS];
    size_t n;
    char stale[256]; /* dconf databases whose compiled file is out of date */
};

/* ---- dconf desktops ---------------------------------------------------- */

static void dconf_int(const struct mamori_dconf_system *d, struct desktop_lock *out,
                      const char *key, long long fallback, long long *value)
{
    const char *text = mamori_dconf_system_value(d, key);
    *value = fallback;
    if (text != NULL && mamori_gvariant_int(text, value) != 0 && out->error[0] == '\0')
        snprintf(out->error, sizeof(out->error), "%s: not an integer: %.60s", key, text);
}

static void judge_dconf(const struct mamori_dconf_system *d, const struct dconf_desktop *dt,
                        struct desktop_lock *out)
{
    const char *text = mamori_dconf_system_value(d, dt->lock_key);
    long long idle, grace;

    out->name = dt->name;
    out->lock_enabled = dt->lock_default;
    if (text != NULL && mamori_gvariant_bool(text, &out->lock_enabled) != 0)
        snprintf(out->error, sizeof(out->error), "%s: not a boolean: %.60s", dt->lock_key, text);
    dconf_int(d, out, dt->idle_key, dt->idle_default, &idle);
    dconf_int(d, out, dt->lock_delay_key, 0, &grace);
    out->idle_seconds = idle <= 0 ? 0 : (idle + (grace > 0 ? grace : 0)) * dt->unit;

    const char *keys[] = {dt->lock_key, dt->idle_key, dt->lock_delay_key};
    out->locked = true;
    for (size_t i = 0; i < 3 && out->locked; i++) {
        if (!mamori_dconf_system_locked(d, keys[i])) {
            out->locked = false;
            out->unlocked_key = keys[i];
        }
    }
    if (d->error[0] != '\0' && out->error[0] == '\0')
        snprintf(out->error, sizeof(out->error), "%s", d->error);
}

/* ---- KDE -------------------------------------------------------------- */

struct kde_rc {
    bool autolock, lock_on_resume, file_immutable;
    long long timeout_min;
    bool autolock_i, timeout_i, resume_i; /* immutable per key (or group) */
    const char *bad_key;
};

/* "Autolock[$i]" -> true, key cut at '['. */
static bool strip_immutable(char *key)
{
    char *bracket = strchr(key, '[');
    bool immutable = bracket != NULL && strcmp(bracket, "[$i]") == 0;
    if (bracket != NULL)
        *bracket = '\0';
    return immutable;
}

static int kde_key(void *arg, const char *section, const char *key_in, const char *value)
{
    struct kde_rc *rc = arg;
    char key[128];
    bool group_i = strcmp(section, "Daemon][$i") == 0;

    if (strcmp(section, "Daemon") != 0 && !group_i)
        return 0;
    snprintf(key, sizeof(key), "%s", key_in);
    bool imm = strip_immutable(key) || group_i || rc->file_immutable;
    int b = mamori_ini_bool(value);
    if (strcmp(key, "Autolock") == 0) {
        rc->autolock = b != 0; /* anything but an explicit false keeps the default on */
        rc->autolock_i = imm;
    } else if (strcmp(key, "LockOnResume") == 0) {
        rc->lock_on_resume = b != 0;
        rc->resume_i = imm;
    } else if (strcmp(key, "Timeout") == 0) {
        char *end;
        rc->timeout_min = strtoll(value, &end, 10);
        if (end == value || *end != '\0' || rc->timeout_min < 0 || rc->timeout_min > 100000)
            rc->bad_key = "Timeout";
        rc->timeout_i = imm;
    }
    return 0;
}

static void judge_kde(const struct mamori_check_ctx *ctx, struct desktop_lock *out)
{
    struct kde_rc rc = {.autolock = true, .lock_on_resume = true, .timeout_min = 5};
    char *data = NULL;
    size_t len;

    out->name = "kde";
    if (mamori_root_read(ctx, KDE_RC, KDE_RC_MAX, &data, &len) == 0) {
        /* "[$i]" alone on the first line makes the whole file immutable. */
        char err[128];
        rc.file_immutable = strncmp(data, "[$i]", 4) == 0;
        if (mamori_ini_parse(data, len, kde_key, &rc, err, sizeof(err)) < 0)
            snprintf(out->error, sizeof(out->error), "%s: %s", KDE_RC, err);
        else if (rc.bad_key != NULL)
            snprintf(out->error, sizeof(out->error), "%s: [Daemon] %s is not a number of minutes",
                     KDE_RC, rc.bad_key);
        free(data);
    }
    out->lock_enabled = rc.autolock;
    out->idle_seconds = rc.autolock ? rc.timeout_min * 60 : 0;
    out->locked = rc.autolock_i && rc.timeout_i && rc.resume_i;
    out->unlocked_key = !rc.autolock_i  ? "Autolock"
                        : !rc.timeout_i ? "Timeout"
                        : !rc.resume_i  ? "LockOnResume"
                                        : NULL;
}

/* ---- the scan and the three checks ------------------------------------ */

static void scan(const struct mamori_check_ctx *ctx, struct screenlock_scan *s)
{
    struct mamori_dconf_system d;
    bool dconf_loaded = false;

    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < sizeof(dconf_desktops) / sizeof(dconf_desktops[0]); i++) {
        if (!mamori_root_exists(ctx, dconf_desktops[i].installed))
            continue;
        if (!dconf_loaded) {
            mamori_dconf_system_load(ctx, &d);
            dconf_loaded = true;
        }
        judge_dconf(&d, &dconf_desktops[i], &s->desktops[s->n++]);
    }
    if (dconf_loaded) {
        const cJSON *item;
        cJSON_ArrayForEach(item, d.stale)
        {
            size_t used = strlen(s->stale);
            snprintf(s->stale + used, sizeof(s->stale) - used, "%s%s", used ? ", " : "",
                     item->valuestring);
        }
        mamori_dconf_system_free(&d);
    }
    if (mamori_root_exists(ctx, "/usr/bin/plasmashell"))
        judge_kde(ctx, &s->desktops[s->n++]);
}

/* Common prologue: scan, list desktops in evidence, settle n/a and errors.
 * Returns false when the verdict is already set. */
static bool scan_for_check(const struct mamori_check_ctx *ctx, struct mamori_check_result *result,
                           struct screenlock_scan *s)
{
    scan(ctx, s);
    cJSON *list = cJSON_AddArrayToObject(result->evidence, "desktops");
    for (size_t i = 0; i < s->n; i++)
        cJSON_AddItemToArray(list, cJSON_CreateString(s->desktops[i].name));
    if (s->n == 0) {
        mamori_check_set(result, MAMORI_NOT_APPLICABLE,
                         "画面ロックを持つデスクトップ（GNOME/MATE/Cinnamon/KDE）がありません",
                         "no desktop with a screen locker (GNOME/MATE/Cinnamon/KDE) is installed");
        return false;
    }
    for (size_t i = 0; i < s->n; i++) {
        if (s->desktops[i].error[0] != '\0') {
            cJSON_AddStringToObject(result->evidence, "reason", s->desktops[i].error);
            mamori_check_set(result, MAMORI_ERROR, "画面ロック設定を解釈できません: %s",
                             "cannot interpret the screen-lock settings: %s", s->desktops[i].error);
            return false;
        }
    }
    return true;
}

static cJSON *desktop_evidence(struct mamori_check_result *result, const char *name)
{
    cJSON *per = cJSON_GetObjectItemCaseSensitive(result->evidence, "per_desktop");
    if (per == NULL)
        per = cJSON_AddObjectToObject(result->evidence, "per_desktop");
    return cJSON_AddObjectToObject(per, name);
}

static void run_screenlock_enabled(const struct mamori_check_ctx *ctx,
                                   struct mamori_check_result *result)
{
    struct screenlock_scan s;
    const char *off = NULL;

    if (!scan_for_check(ctx, result, &s))
        return;
    for (size_t i = 0; i < s.n; i++) {
        const struct desktop_lock *dl = &s.desktops[i];
        bool on = dl->lock_enabled && dl->idle_seconds > 0;
        cJSON *e = desktop_evidence(result, dl->name);
        cJSON_AddBoolToObject(e, "lock_enabled", dl->lock_enabled);
        cJSON_AddBoolToObject(e, "idle_lock", on);
        if (!on && off == NULL)
            off = dl->name;
    }
    if (off != NULL)
        mamori_check_set(result, MAMORI_FAIL, "%s で自動の画面ロックが無効です",
                         "automatic screen lock is off in %s", off);
    else
        mamori_check_set(result, MAMORI_PASS, "自動の画面ロックは有効です",
                         "automatic screen lock is on");
}

static void run_screenlock_idle_timeout(const struct mamori_check_ctx *ctx,
                                        struct mamori_check_result *result)
{
    struct screenlock_scan s;
    unsigned max = ctx->policy->screen_lock.max_idle_seconds;
    const struct desktop_lock *worst = NULL;

    if (!scan_for_check(ctx, result, &s))
        return;
    cJSON_AddNumberToObject(result->evidence, "max_idle_seconds", max);
    for (size_t i = 0; i < s.n; i++) {
        const struct desktop_lock *dl = &s.desktops[i];
        long long secs = dl->lock_enabled ? dl->idle_seconds : 0;
        cJSON_AddNumberToObject(desktop_evidence(result, dl->name), "idle_seconds", (double)secs);
        if ((secs <= 0 || secs > (long long)max) && worst == NULL)
            worst = dl;
    }
    if (worst == NULL) {
        mamori_check_set(result, MAMORI_PASS, "画面ロックまでの時間は %u 秒以内です",
                         "the screen locks within %u seconds", max);
    } else if (!worst->lock_enabled || worst->idle_seconds <= 0) {
        mamori_check_set(result, MAMORI_FAIL, "%s は放置しても画面をロックしません（上限 %u 秒）",
                         "%s never locks an idle screen (limit %u seconds)", worst->name, max);
    } else {
        mamori_check_set(result, MAMORI_FAIL, "%s の画面ロックまで %lld 秒かかります（上限 %u 秒）",
                         "%s locks only after %lld seconds (limit %u seconds)", worst->name,
                         worst->idle_seconds, max);
    }
}

static void run_screenlock_locked_down(const struct mamori_check_ctx *ctx,
                                       struct mamori_check_result *result)
{
    struct screenlock_scan s;
    const struct desktop_lock *open = NULL;

    if (!scan_for_check(ctx, result, &s))
        return;
    if (!ctx->policy->screen_lock.require_locked) {
        mamori_check_set(result, MAMORI_NOT_APPLICABLE, "ポリシーはロックダウンを求めていません",
                         "the policy does not require the settings to be locked");
        return;
    }
    for (size_t i = 0; i < s.n; i++) {
        const struct desktop_lock *dl = &s.desktops[i];
        cJSON *e = desktop_evidence(result, dl->name);
        cJSON_AddBoolToObject(e, "locked", dl->locked);
        if (dl->unlocked_key != NULL)
            cJSON_AddStringToObject(e, "unlocked_key", dl->unlocked_key);
        if (!dl->locked && open == NULL)
            open = dl;
    }
    if (s.stale[0] != '\0')
        cJSON_AddStringToObject(result->evidence, "stale_dconf_db", s.stale);
    if (open != NULL)
        mamori_check_set(result, MAMORI_FAIL, "%s の利用者が %s を変更できます",
                         "users of %s can change %s", open->name, open->unlocked_key);
    else if (s.stale[0] != '\0')
        mamori_check_set(result, MAMORI_FAIL,
                         "dconf データベース %s が設定ファイルより古いです（dconf update 未実行）",
                         "dconf database %s is older than its keyfiles (dconf update not run)",
                         s.stale);
    else
        mamori_check_set(result, MAMORI_PASS, "画面ロック設定は利用者が変更できません",
                         "users cannot change the screen-lock settings");
}

const struct mamori_check mamori_check_screenlock_enabled = {
    .id = "screenlock.enabled",
    .run = run_screenlock_enabled,
};

const struct mamori_check mamori_check_screenlock_idle_timeout = {
    .id = "screenlock.idle_timeout",
    .run = run_screenlock_idle_timeout,
};

const struct mamori_check mamori_check_screenlock_locked_down = {
    .id = "screenlock.locked_down",
    .run = run_screenlock_locked_down,
};
