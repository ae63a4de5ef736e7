/* dconf_system.c -- see dconf_system.h.  Databases listed first in the profile
 * win, so they are read last; within one database, keyfiles apply in name
 * order (later files override), exactly as "dconf update" merges them. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dconf_system.h"
#include "ini_file.h"

#define DCONF_FILE_MAX (1024 * 1024)

struct keyfile_load {
    cJSON *values;
};

static void set_error(struct mamori_dconf_system *d, const char *file, const char *why)
{
    if (d->error[0] == '\0')
        snprintf(d->error, sizeof(d->error), "%.250s: %.120s", file, why);
}

static int keyfile_key(void *arg, const char *section, const char *key, const char *value)
{
    struct keyfile_load *kl = arg;
    char path[512];
    if (section[0] == '\0')
        return 0; /* dconf update rejects these; nothing to apply */
    snprintf(path, sizeof(path), "/%s/%s", section, key);
    cJSON_DeleteItemFromObjectCaseSensitive(kl->values, path);
    cJSON_AddStringToObject(kl->values, path, value);
    return 0;
}

/* Newest mtime of the regular files in a folder (0 if none). */
static time_t apply_folder(const struct mamori_check_ctx *ctx, struct mamori_dconf_system *d,
                           const char *dir, bool locks)
{
    char path[PATH_MAX];
    struct dirent **names = NULL;
    time_t newest = 0;

    if (mamori_root_path(ctx, dir, path, sizeof(path)) != 0)
        return 0;
    int n = scandir(path, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        char abs[PATH_MAX], full[PATH_MAX], *data = NULL;
        struct stat st;
        size_t len;
        const char *name = names[i]->d_name;
        bool usable = name[0] != '.' &&
                      snprintf(abs, sizeof(abs), "%s/%s", dir, name) < (int)sizeof(abs) &&
                      mamori_root_path(ctx, abs, full, sizeof(full)) == 0 && stat(full, &st) == 0 &&
                      S_ISREG(st.st_mode);
        free(names[i]);
        if (!usable)
            continue;
        if (st.st_mtime > newest)
            newest = st.st_mtime;
        if (mamori_root_read(ctx, abs, DCONF_FILE_MAX, &data, &len) != 0) {
            set_error(d, abs, "cannot read");
            continue;
        }
        if (locks) {
            for (char *save = NULL, *line = strtok_r(data, "\n", &save); line != NULL;
                 line = strtok_r(NULL, "\n", &save)) {
                line += strspn(line, " \t");
                line[strcspn(line, " \t\r")] = '\0';
                if (line[0] == '/' && !cJSON_HasObjectItem(d->locks, line))
                    cJSON_AddTrueToObject(d->locks, line);
            }
        } else {
            struct keyfile_load kl = {.values = d->values};
            char err[128];
            if (mamori_ini_parse(data, len, keyfile_key, &kl, err, sizeof(err)) < 0)
                set_error(d, abs, err);
        }
        free(data);
    }
    free(names);
    return newest;
}

/* One system database: keyfiles, locks, and whether its compiled file is current. */
static void load_database(const struct mamori_check_ctx *ctx, struct mamori_dconf_system *d,
                          const char *name)
{
    char dir[PATH_MAX], locks[PATH_MAX], compiled[PATH_MAX], full[PATH_MAX];
    struct stat st;

    /* Names are at most NAME_MAX (checked when the profile is read). */
    snprintf(compiled, sizeof(compiled), "/etc/dconf/db/%.255s", name);
    snprintf(dir, sizeof(dir), "/etc/dconf/db/%.255s.d", name);
    snprintf(locks, sizeof(locks), "/etc/dconf/db/%.255s.d/locks", name);
    time_t newest = apply_folder(ctx, d, dir, false);
    time_t newest_lock = apply_folder(ctx, d, locks, true);
    if (newest_lock > newest)
        newest = newest_lock;
    bool have_compiled = mamori_root_path(ctx, compiled, full, sizeof(full)) == 0 &&
                         stat(full, &st) == 0 && S_ISREG(st.st_mode);
    if (newest != 0 && (!have_compiled || st.st_mtime < newest))
        cJSON_AddItemToArray(d->stale, cJSON_CreateString(name));
}

void mamori_dconf_system_load(const struct mamori_check_ctx *ctx, struct mamori_dconf_system *d)
{
    char *profile = NULL;
    size_t len;

    memset(d, 0, sizeof(*d));
    d->values = cJSON_CreateObject();
    d->locks = cJSON_CreateObject();
    d->databases = cJSON_CreateArray();
    d->stale = cJSON_CreateArray();
    if (mamori_root_read(ctx, "/etc/dconf/profile/user", DCONF_FILE_MAX, &profile, &len) != 0)
        return; /* no profile: only the user's own database, no system settings */
    for (char *save = NULL, *line = strtok_r(profile, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        line[strcspn(line, " \t\r#")] = '\0';
        const char *name = strncmp(line, "system-db:", 10) == 0 ? line + 10 : NULL;
        if (name == NULL || name[0] == '\0')
            continue;
        if (strchr(name, '/') != NULL || strcmp(name, "..") == 0 || strlen(name) > NAME_MAX) {
            set_error(d, "/etc/dconf/profile/user", "bad system-db name");
            continue;
        }
        cJSON_AddItemToArray(d->databases, cJSON_CreateString(name));
    }
    free(profile);
    /* First listed wins: apply in reverse order so it is applied last. */
    for (int i = cJSON_GetArraySize(d->databases) - 1; i >= 0; i--)
        load_database(ctx, d, cJSON_GetArrayItem(d->databases, i)->valuestring);
}

void mamori_dconf_system_free(struct mamori_dconf_system *d)
{
    cJSON_Delete(d->values);
    cJSON_Delete(d->locks);
    cJSON_Delete(d->databases);
    cJSON_Delete(d->stale);
    memset(d, 0, sizeof(*d));
}

const char *mamori_dconf_system_value(const struct mamori_dconf_system *d, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(d->values, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool mamori_dconf_system_locked(const struct mamori_dconf_system *d, const char *key)
{
    return cJSON_HasObjectItem(d->locks, key);
}
