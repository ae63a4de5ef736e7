/* passwords_saved.c -- check passwords.no_saved_logins: no user keeps saved
 * logins in a browser profile.
 *
 * Homes come from <root>/etc/passwd (uid 1000..65533), or <root>/home/ * when
 * there is no passwd.  In each home: Firefox profiles (~/.mozilla/firefox/ *
 * and the snap's copy) are counted through logins.json (firefox_logins.c);
 * Chrome, Chromium and Edge profiles (~/.config/<browser>/ *) through the
 * SQLite "Login Data" table logins (rows the user did not blacklist).  SQLite
 * is opened with mode=ro&immutable=1 so a running browser's database is never
 * locked or changed.  Only counts are reported -- never a site, user name or
 * password, not even in encrypted form.
 *
 * libsqlite3 is loaded (dlopen) when the first Chromium-family profile is
 * found and unloaded when the check ends: no program that links the
 * collectors -- the resident agent above all -- carries SQLite's pages
 * otherwise (docs/agent.md, "Memory"). */
#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "check.h"
#include "firefox_logins.h"

#define PASSWD_MAX      (4 * 1024 * 1024)
#define LOGINS_JSON_MAX (64 * 1024 * 1024)
#define UID_MIN_HUMAN   1000
#define UID_NOBODY      65534

struct profile_kind {
    const char *browser;
    const char *dir;  /* below the home */
    const char *file; /* inside each profile folder */
    bool sqlite;
};

static const struct profile_kind kinds[] = {
    {"firefox", ".mozilla/firefox", "logins.json", false},
    {"firefox", "snap/firefox/common/.mozilla/firefox", "logins.json", false},
    {"chrome", ".config/google-chrome", "Login Data", true},
    {"chromium", ".config/chromium", "Login Data", true},
    {"edge", ".config/microsoft-edge", "Login Data", true},
};

/* The few SQLite calls this check makes, from a library loaded on demand. */
struct sqlite_lib {
    void *handle; /* NULL until the first Chromium-family profile */
    int (*open_v2)(const char *, sqlite3 **, int, const char *);
    int (*prepare_v2)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
    int (*step)(sqlite3_stmt *);
    sqlite3_int64 (*column_int64)(sqlite3_stmt *, int);
    int (*finalize)(sqlite3_stmt *);
    int (*close)(sqlite3 *);
    const char *(*errmsg)(sqlite3 *);
};

struct saved_scan {
    const struct mamori_check_ctx *ctx;
    cJSON *per_user; /* {user: {browser: count}} */
    unsigned profiles, total, over_limit;
    char error[PATH_MAX + 128];
    struct sqlite_lib sqlite;
};

/* ---- SQLite, loaded while the check needs it --------------------------- */

#define SQLITE_SONAME "libsqlite3.so.0"

static int sqlite_load(struct sqlite_lib *lib, char *err, size_t err_size)
{
    const struct {
        const char *name;
        void **slot;
    } syms[] = {
        {"sqlite3_open_v2", (void **)&lib->open_v2},
        {"sqlite3_prepare_v2", (void **)&lib->prepare_v2},
        {"sqlite3_step", (void **)&lib->step},
        {"sqlite3_column_int64", (void **)&lib->column_int64},
        {"sqlite3_finalize", (void **)&lib->finalize},
        {"sqlite3_close", (void **)&lib->close},
        {"sqlite3_errmsg", (void **)&lib->errmsg},
    };

    if (lib->handle != NULL)
        return 0;
    lib->handle = dlopen(SQLITE_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (lib->handle == NULL) {
        snprintf(err, err_size, "cannot load %s: %s", SQLITE_SONAME, dlerror());
        return -1;
    }
    for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
        *syms[i].slot = dlsym(lib->handle, syms[i].name);
        if (*syms[i].slot == NULL) {
            snprintf(err, err_size, "%s has no %s", SQLITE_SONAME, syms[i].name);
            dlclose(lib->handle);
            lib->handle = NULL;
            return -1;
        }
    }
    return 0;
}

static void sqlite_unload(struct sqlite_lib *lib)
{
    if (lib->handle != NULL)
        dlclose(lib->handle);
    lib->handle = NULL;
}

/* ---- counting one profile --------------------------------------------- */

/* SQLite URI for a path: '%', '?', '#' and spaces escaped. */
static int sqlite_uri(const char *path, char *out, size_t size)
{
    size_t o = (size_t)snprintf(out, size, "file:");
    for (const char *p = path; *p != '\0'; p++) {
        if (o + 4 >= size)
            return -1;
        if (*p == '%' || *p == '?' || *p == '#' || *p == ' ')
            o += (size_t)snprintf(out + o, size - o, "%%%02X", (unsigned char)*p);
        else
            out[o++] = *p;
    }
    return snprintf(out + o, size - o, "?mode=ro&immutable=1") < (int)(size - o) ? 0 : -1;
}

static int count_login_data(struct sqlite_lib *lib, const char *path, unsigned *count, char *err,
                            size_t err_size)
{
    char uri[PATH_MAX * 3 + 32];
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    int rc = -1;

    if (sqlite_uri(path, uri, sizeof(uri)) != 0) {
        snprintf(err, err_size, "path too long");
        return -1;
    }
    if (sqlite_load(lib, err, err_size) != 0)
        return -1;
    if (lib->open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK ||
        lib->prepare_v2(db, "SELECT count(*) FROM logins WHERE blacklisted_by_user = 0", -1, &stmt,
                        NULL) != SQLITE_OK) {
        snprintf(err, err_size, "%s", db ? lib->errmsg(db) : "cannot open");
    } else if (lib->step(stmt) == SQLITE_ROW) {
        *count = (unsigned)lib->column_int64(stmt, 0);
        rc = 0;
    } else {
        snprintf(err, err_size, "%s", lib->errmsg(db));
    }
    lib->finalize(stmt);
    lib->close(db);
    return rc;
}

static int count_logins_json(const struct mamori_check_ctx *ctx, const char *abs, unsigned *count,
                             char *err, size_t err_size)
{
    char *data = NULL;
    size_t len;
    if (mamori_root_read(ctx, abs, LOGINS_JSON_MAX, &data, &len) != 0) {
        snprintf(err, err_size, "cannot read");
        return -1;
    }
    int rc = mamori_firefox_logins_count(data, len, count, err, err_size);
    free(data);
    return rc;
}

/* ---- walking homes and profiles ---------------------------------------- */

static void add_count(struct saved_scan *s, const char *user, const char *browser, unsigned count)
{
    cJSON *u = cJSON_GetObjectItemCaseSensitive(s->per_user, user);
    if (u == NULL)
        u = cJSON_AddObjectToObject(s->per_user, user);
    cJSON *b = cJSON_GetObjectItemCaseSensitive(u, browser);
    if (b == NULL)
        cJSON_AddNumberToObject(u, browser, count);
    else
        cJSON_SetNumberValue(b, b->valuedouble + count);
    s->profiles++;
    s->total += count;
    if (count > s->ctx->policy->passwords.max_saved_logins)
        s->over_limit++;
}

static void scan_kind(struct saved_scan *s, const char *user, const char *home,
                      const struct profile_kind *k)
{
    char dir_abs[PATH_MAX], dir[PATH_MAX];
    if (snprintf(dir_abs, sizeof(dir_abs), "%s/%s", home, k->dir) >= (int)sizeof(dir_abs) ||
        mamori_root_path(s->ctx, dir_abs, dir, sizeof(dir)) != 0)
        return;
    DIR *d = opendir(dir);
    if (d == NULL)
        return; /* browser never used by this user */
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char abs[PATH_MAX], full[PATH_MAX], err[160];
        struct stat st;
        unsigned count = 0;
        if (e->d_name[0] == '.' ||
            snprintf(abs, sizeof(abs), "%s/%s/%s", dir_abs, e->d_name, k->file) >=
                (int)sizeof(abs) ||
            mamori_root_path(s->ctx, abs, full, sizeof(full)) != 0 || stat(full, &st) != 0 ||
            !S_ISREG(st.st_mode))
            continue;
        int rc = k->sqlite ? count_login_data(&s->sqlite, full, &count, err, sizeof(err))
                           : count_logins_json(s->ctx, abs, &count, err, sizeof(err));
        if (rc != 0) {
            if (s->error[0] == '\0')
                snprintf(s->error, sizeof(s->error), "%.4000s: %.120s", abs, err);
            continue;
        }
        add_count(s, user, k->browser, count);
    }
    closedir(d);
}

static void scan_home(struct saved_scan *s, const char *user, const char *home)
{
    if (home[0] != '/')
        return;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        scan_kind(s, user, home, &kinds[i]);
}

/* name:x:uid:gid:gecos:home:shell */
static bool scan_passwd(struct saved_scan *s)
{
    char *data = NULL;
    size_t len;
    if (mamori_root_read(s->ctx, "/etc/passwd", PASSWD_MAX, &data, &len) != 0)
        return false;
    for (char *save = NULL, *line = strtok_r(data, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char *field[7];
        int n = 0;
        for (char *p = line; n < 7; n++) {
            field[n] = p;
            p = strchr(p, ':');
            if (p == NULL) {
                n++;
                break;
            }
            *p++ = '\0';
        }
        if (n < 6)
            continue;
        long uid = strtol(field[2], NULL, 10);
        if (uid >= UID_MIN_HUMAN && uid != UID_NOBODY && uid < 65536)
            scan_home(s, field[0], field[5]);
    }
    free(data);
    return true;
}

static void scan_home_folders(struct saved_scan *s)
{
    char path[PATH_MAX];
    if (mamori_root_path(s->ctx, "/home", path, sizeof(path)) != 0)
        return;
    DIR *d = opendir(path);
    if (d == NULL)
        return;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char home[NAME_MAX + 8];
        if (e->d_name[0] == '.')
            continue;
        snprintf(home, sizeof(home), "/home/%s", e->d_name);
        scan_home(s, e->d_name, home);
    }
    closedir(d);
}

static void run_no_saved_logins(const struct mamori_check_ctx *ctx,
                                struct mamori_check_result *result)
{
    struct saved_scan s = {.ctx = ctx};
    unsigned max = ctx->policy->passwords.max_saved_logins;

    if (!ctx->policy->passwords.forbid_saved_logins) {
        mamori_check_set(result, MAMORI_NOT_APPLICABLE, "ポリシーで求められていません",
                         "not required by the policy");
        return;
    }
    s.per_user = cJSON_AddObjectToObject(result->evidence, "per_user");
    if (!scan_passwd(&s))
        scan_home_folders(&s);
    sqlite_unload(&s.sqlite);
    cJSON_AddNumberToObject(result->evidence, "profiles", s.profiles);
    cJSON_AddNumberToObject(result->evidence, "total", s.total);
    cJSON_AddNumberToObject(result->evidence, "max_saved_logins", max);
    if (s.error[0] != '\0') {
        cJSON_AddStringToObject(result->evidence, "reason", s.error);
        mamori_check_set(result, MAMORI_ERROR, "ブラウザのログイン情報を数えられません: %s",
                         "cannot count saved browser logins: %s", s.error);
    } else if (s.profiles == 0) {
        mamori_check_set(result, MAMORI_NOT_APPLICABLE, "ブラウザのプロファイルがありません",
                         "no browser profile found");
    } else if (s.over_limit > 0) {
        mamori_check_set(result, MAMORI_FAIL,
                         "%u 個のプロファイルに保存されたログインがあります（合計 %u 件）",
                         "%u profile(s) keep saved logins (%u in total)", s.over_limit, s.total);
    } else {
        mamori_check_set(result, MAMORI_PASS, "保存されたログインはありません（%u プロファイル）",
                         "no saved logins (%u profiles)", s.profiles);
    }
}

const struct mamori_check mamori_check_passwords_no_saved_logins = {
    .id = "passwords.no_saved_logins",
    .run = run_no_saved_logins,
};
