/* login_autologin.c -- check login.no_autologin: nobody is logged in unasked.
 *
 * Display managers: GDM (/etc/gdm3/daemon.conf, /etc/gdm3/custom.conf:
 * [daemon] AutomaticLoginEnable / TimedLoginEnable), LightDM (lightdm.conf and
 * lightdm.conf.d/ *.conf: autologin-user in [Seat:*] / [SeatDefaults] / any
 * [Seat:...]), SDDM (sddm.conf and sddm.conf.d/ *: [Autologin] User=).  A
 * display manager counts only when its config folder exists (installed).
 * Accounts: /etc/shadow lines whose password field is empty -- the user name
 * is reported (it is not a secret), the hash never is. */
#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "ini_file.h"

#define CONF_MAX   (256 * 1024)
#define SHADOW_MAX (4 * 1024 * 1024)

struct autologin_scan {
    const struct mamori_check_ctx *ctx;
    const char *dm;   /* display manager being read */
    const char *file; /* file being read */
    cJSON *findings;  /* [{dm, file, key, user?}] */
    cJSON *display_managers;
    cJSON *errors;
};

static void add_finding(struct autologin_scan *s, const char *key, const char *user)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "dm", s->dm);
    cJSON_AddStringToObject(f, "file", s->file);
    cJSON_AddStringToObject(f, "key", key);
    if (user != NULL && user[0] != '\0')
        cJSON_AddStringToObject(f, "user", user);
    cJSON_AddItemToArray(s->findings, f);
}

/* ---- per display manager key rules ------------------------------------- */

static int gdm_key(void *arg, const char *section, const char *key, const char *value)
{
    if (strcasecmp(section, "daemon") == 0 &&
        (strcmp(key, "AutomaticLoginEnable") == 0 || strcmp(key, "TimedLoginEnable") == 0) &&
        mamori_ini_bool(value) == 1)
        add_finding(arg, key, NULL);
    return 0;
}

static int lightdm_key(void *arg, const char *section, const char *key, const char *value)
{
    bool seat = strncmp(section, "Seat:", 5) == 0 || strcmp(section, "SeatDefaults") == 0;
    if (seat && strcmp(key, "autologin-user") == 0 && value[0] != '\0')
        add_finding(arg, key, value);
    return 0;
}

static int sddm_key(void *arg, const char *section, const char *key, const char *value)
{
    if (strcmp(section, "Autologin") == 0 && strcmp(key, "User") == 0 && value[0] != '\0')
        add_finding(arg, "Autologin.User", value);
    return 0;
}

/* Read one config file through the key rule; missing files are fine. */
static void scan_file(struct autologin_scan *s, const char *abs, mamori_ini_fn rule)
{
    char *data = NULL, err[128];
    size_t len;

    if (mamori_root_read(s->ctx, abs, CONF_MAX, &data, &len) != 0)
        return;
    s->file = abs;
    if (mamori_ini_parse(data, len, rule, s, err, sizeof(err)) < 0) {
        char msg[PATH_MAX + 160];
        snprintf(msg, sizeof(msg), "%s: %s", abs, err);
        cJSON_AddItemToArray(s->errors, cJSON_CreateString(msg));
    }
    free(data);
}

/* Every regular "*<suffix>" file in a drop-in folder, in name order (the
 * order the display manager applies them; later files override). */
static void scan_dropins(struct autologin_scan *s, const char *dir, const char *suffix,
                         mamori_ini_fn rule)
{
    char path[PATH_MAX];
    struct dirent **names = NULL;

    if (mamori_root_path(s->ctx, dir, path, sizeof(path)) != 0)
        return;
    int n = scandir(path, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        size_t nl = strlen(name), sl = strlen(suffix);
        char abs[PATH_MAX];
        if (name[0] != '.' && nl > sl && strcmp(name + nl - sl, suffix) == 0 &&
            snprintf(abs, sizeof(abs), "%s/%s", dir, name) < (int)sizeof(abs))
            scan_file(s, abs, rule);
        free(names[i]);
    }
    free(names);
}

static void scan_display_managers(struct autologin_scan *s)
{
    if (mamori_root_exists(s->ctx, "/etc/gdm3")) {
        s->dm = "gdm3";
        cJSON_AddItemToArray(s->display_managers, cJSON_CreateString(s->dm));
        scan_file(s, "/etc/gdm3/daemon.conf", gdm_key);
        scan_file(s, "/etc/gdm3/custom.conf", gdm_key);
    }
    if (mamori_root_exists(s->ctx, "/etc/lightdm")) {
        s->dm = "lightdm";
        cJSON_AddItemToArray(s->display_managers, cJSON_CreateString(s->dm));
        scan_dropins(s, "/usr/share/lightdm/lightdm.conf.d", ".conf", lightdm_key);
        scan_dropins(s, "/etc/lightdm/lightdm.conf.d", ".conf", lightdm_key);
        scan_file(s, "/etc/lightdm/lightdm.conf", lightdm_key);
    }
    if (mamori_root_exists(s->ctx, "/etc/sddm.conf") ||
        mamori_root_exists(s->ctx, "/etc/sddm.conf.d") ||
        mamori_root_exists(s->ctx, "/usr/lib/sddm/sddm.conf.d")) {
        s->dm = "sddm";
        cJSON_AddItemToArray(s->display_managers, cJSON_CreateString(s->dm));
        scan_dropins(s, "/usr/lib/sddm/sddm.conf.d", ".conf", sddm_key);
        scan_dropins(s, "/etc/sddm.conf.d", ".conf", sddm_key);
        scan_file(s, "/etc/sddm.conf", sddm_key);
    }
}

/* ---- accounts --------------------------------------------------------- */

/* Users whose shadow password field is empty (login without a password).
 * Returns -1 if shadow exists but cannot be read; 0 if absent or read. */
static int scan_shadow(const struct mamori_check_ctx *ctx, cJSON *empty, bool *present)
{
    char *data = NULL;
    size_t len;

    *present = mamori_root_exists(ctx, "/etc/shadow");
    if (!*present)
        return 0;
    if (mamori_root_read(ctx, "/etc/shadow", SHADOW_MAX, &data, &len) != 0)
        return -1;
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        if (colon == NULL || colon == line)
            continue;
        *colon = '\0';
        if (colon[1] == ':' || colon[1] == '\0')
            cJSON_AddItemToArray(empty, cJSON_CreateString(line));
    }
    free(data);
    return 0;
}

static void run_login_no_autologin(const struct mamori_check_ctx *ctx,
                                   struct mamori_check_result *result)
{
    struct autologin_scan s = {.ctx = ctx};
    bool shadow_present;

    s.display_managers = cJSON_AddArrayToObject(result->evidence, "display_managers");
    s.findings = cJSON_AddArrayToObject(result->evidence, "autologin");
    s.errors = cJSON_AddArrayToObject(result->evidence, "errors");
    cJSON *empty = cJSON_AddArrayToObject(result->evidence, "empty_password_users");
    scan_display_managers(&s);
    if (scan_shadow(ctx, empty, &shadow_present) != 0) {
        mamori_check_set(result, MAMORI_ERROR, "/etc/shadow を読めません",
                         "cannot read /etc/shadow");
        return;
    }
    int n_auto = cJSON_GetArraySize(s.findings), n_empty = cJSON_GetArraySize(empty);
    if (n_auto > 0 || n_empty > 0) {
        mamori_check_set(
            result, MAMORI_FAIL, "自動ログイン設定 %d 件、パスワードが空のアカウント %d 件",
            "%d autologin setting(s), %d account(s) with an empty password", n_auto, n_empty);
    } else if (cJSON_GetArraySize(s.errors) > 0) {
        const char *first = cJSON_GetArrayItem(s.errors, 0)->valuestring;
        mamori_check_set(result, MAMORI_ERROR, "設定ファイルを解釈できません: %s",
                         "cannot parse a configuration file: %s", first);
    } else if (cJSON_GetArraySize(s.display_managers) == 0 && !shadow_present) {
        mamori_check_set(result, MAMORI_NOT_APPLICABLE,
                         "ディスプレイマネージャも /etc/shadow もありません",
                         "no display manager and no /etc/shadow");
    } else {
        mamori_check_set(result, MAMORI_PASS,
                         "自動ログインは無効で、パスワードが空のアカウントはありません",
                         "autologin is off and no account has an empty password");
    }
}

const struct mamori_check mamori_check_login_no_autologin = {
    .id = "login.no_autologin",
    .run = run_login_no_autologin,
};
