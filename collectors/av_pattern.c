/* av_pattern.c -- check av.pattern_fresh: the antivirus pattern is recent.
 *
 * ClamAV (engine "clamav"): the database directory comes from the policy, or
 * DatabaseDirectory in freshclam.conf / clamd.conf, or /var/lib/clamav.  For
 * daily, main and bytecode we read the 512-byte header of the .cld or .cvd
 * (whichever has the higher version) and judge the age of daily -- the one
 * freshclam renews several times a day.  Other products (engine "file"): the
 * newest mtime among the files matching antivirus.pattern_path dates the
 * pattern.  Pattern files that cannot be read or parsed give error with the
 * reason; a missing pattern is a fail (no protection). */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "clamav_header.h"

#define CLAMAV_DEFAULT_DB_DIR "/var/lib/clamav"
#define CLAMAV_CONF_MAX       (256 * 1024)

/* ---- where the databases are ------------------------------------------ */

/* DatabaseDirectory from a clamd/freshclam config ("Key Value" lines). */
static int conf_database_dir(const struct mamori_check_ctx *ctx, const char *conf, char *out,
                             size_t size)
{
    char *data = NULL;
    size_t len;
    int found = -1;

    if (mamori_root_read(ctx, conf, CLAMAV_CONF_MAX, &data, &len) != 0)
        return -1;
    for (char *line = strtok(data, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        line += strspn(line, " \t");
        if (strncmp(line, "DatabaseDirectory", 17) != 0 || (line[17] != ' ' && line[17] != '\t'))
            continue;
        char *value = line + 17 + strspn(line + 17, " \t");
        value[strcspn(value, " \t\r")] = '\0';
        if (value[0] == '/' && strlen(value) < size) {
            strcpy(out, value);
            found = 0;
        }
    }
    free(data);
    return found;
}

static void clamav_db_dir(const struct mamori_check_ctx *ctx, char *out, size_t size)
{
    const char *policy_dir = ctx->policy->antivirus.db_dir;
    if (policy_dir != NULL && policy_dir[0] == '/') {
        snprintf(out, size, "%s", policy_dir);
        return;
    }
    if (conf_database_dir(ctx, "/etc/clamav/freshclam.conf", out, size) == 0 ||
        conf_database_dir(ctx, "/etc/clamav/clamd.conf", out, size) == 0)
        return;
    snprintf(out, size, "%s", CLAMAV_DEFAULT_DB_DIR);
}

/* ---- one database ----------------------------------------------------- */

enum db_state { DB_ABSENT, DB_OK, DB_BAD };

/* Read and parse the header of one file; DB_ABSENT if it does not exist. */
static enum db_state read_header(const struct mamori_check_ctx *ctx, const char *abs,
                                 struct mamori_clamav_header *h, char *why, size_t why_size)
{
    char path[PATH_MAX];
    unsigned char buf[MAMORI_CLAMAV_HEADER_SIZE];

    if (mamori_root_path(ctx, abs, path, sizeof(path)) != 0) {
        snprintf(why, why_size, "%s: path too long", abs);
        return DB_BAD;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0 && errno == ELOOP)
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* Debian may symlink */
    if (fd < 0) {
        if (errno == ENOENT)
            return DB_ABSENT;
        snprintf(why, why_size, "%s: %s", abs, strerror(errno));
        return DB_BAD;
    }
    size_t got = 0;
    while (got < sizeof(buf)) {
        ssize_t n = read(fd, buf + got, sizeof(buf) - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    char reason[160];
    if (mamori_clamav_header_parse(buf, got, h, reason, sizeof(reason)) != 0) {
        snprintf(why, why_size, "%s: %s", abs, reason);
        return DB_BAD;
    }
    return DB_OK;
}

static void iso_time(time_t t, char *out, size_t size)
{
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, size, "%lld", (long long)t);
}

/* Find <dir>/<name>.cld or .cvd (the higher version wins); add it to evidence. */
static enum db_state clamav_database(const struct mamori_check_ctx *ctx, const char *dir,
                                     const char *name, cJSON *list,
                                     struct mamori_clamav_header *best, char *why, size_t why_size)
{
    static const char *const exts[] = {"cld", "cvd"};
    enum db_state state = DB_ABSENT;
    char best_file[PATH_MAX] = "";

    for (size_t i = 0; i < 2; i++) {
        char abs[PATH_MAX];
        struct mamori_clamav_header h;
        if (snprintf(abs, sizeof(abs), "%s/%s.%s", dir, name, exts[i]) >= (int)sizeof(abs))
            continue;
        enum db_state s = read_header(ctx, abs, &h, why, why_size);
        if (s == DB_BAD)
            return DB_BAD;
        if (s == DB_OK && (state == DB_ABSENT || h.version > best->version)) {
            *best = h;
            snprintf(best_file, sizeof(best_file), "%s", abs);
            state = DB_OK;
        }
    }
    if (state == DB_OK) {
        char when[32];
        cJSON *db = cJSON_AddObjectToObject(list, name);
        iso_time(best->build_time, when, sizeof(when));
        cJSON_AddStringToObject(db, "file", best_file);
        cJSON_AddNumberToObject(db, "version", (double)best->version);
        cJSON_AddNumberToObject(db, "sigs", (double)best->sigs);
        cJSON_AddStringToObject(db, "build_time", when);
        cJSON_AddNumberToObject(db, "age_hours", (double)((ctx->now - best->build_time) / 3600));
    }
    return state;
}

/* ---- verdicts --------------------------------------------------------- */

/* Judge one pattern date against max_age_hours. */
static void judge_age(const struct mamori_check_ctx *ctx, struct mamori_check_result *result,
                      time_t built, const char *what)
{
    unsigned max = ctx->policy->antivirus.max_age_hours;
    long long age_h = (long long)(ctx->now - built) / 3600;
    char when[32];

    iso_time(built, when, sizeof(when));
    cJSON_AddStringToObject(result->evidence, "pattern_time", when);
    cJSON_AddNumberToObject(result->evidence, "age_hours", (double)age_h);
    cJSON_AddNumberToObject(result->evidence, "max_age_hours", max);
    if (ctx->now - built > (time_t)max * 3600)
        mamori_check_set(result, MAMORI_FAIL,
                         "%sのパターンが古すぎます（%s 作成、%lld 時間経過、上限 %u 時間）",
                         "%s pattern is too old (built %s, %lld hours ago, limit %u hours)", what,
                         when, age_h, max);
    else
        mamori_check_set(result, MAMORI_PASS, "%sのパターンは最新です（%s 作成、%lld 時間経過）",
                         "%s pattern is fresh (built %s, %lld hours ago)", what, when, age_h);
}

static void run_clamav(const struct mamori_check_ctx *ctx, struct mamori_check_result *result)
{
    static const char *const names[] = {"daily", "main", "bytecode"};
    char dir[PATH_MAX], why[PATH_MAX + 200];
    struct mamori_clamav_header daily = {0};
    enum db_state daily_state = DB_ABSENT;

    clamav_db_dir(ctx, dir, sizeof(dir));
    cJSON_AddStringToObject(result->evidence, "engine", "clamav");
    cJSON_AddStringToObject(result->evidence, "db_dir", dir);
    cJSON *list = cJSON_AddObjectToObject(result->evidence, "databases");
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct mamori_clamav_header h;
        enum db_state s = clamav_database(ctx, dir, names[i], list, &h, why, sizeof(why));
        if (s == DB_BAD) {
            cJSON_AddStringToObject(result->evidence, "reason", why);
            mamori_check_set(result, MAMORI_ERROR, "ClamAV のデータベースを読めません: %s",
                             "cannot read a ClamAV database: %s", why);
            return;
        }
        if (i == 0) {
            daily = h;
            daily_state = s;
        }
    }
    if (daily_state == DB_ABSENT) {
        mamori_check_set(result, MAMORI_FAIL,
                         "ClamAV のパターン（daily.cvd/cld）が %s にありません",
                         "no ClamAV pattern (daily.cvd/cld) in %s", dir);
        return;
    }
    cJSON_AddNumberToObject(result->evidence, "daily_version", (double)daily.version);
    judge_age(ctx, result, daily.build_time, "ClamAV");
}

/* engine "file": newest mtime among the files matching pattern_path. */
static void run_file_rule(const struct mamori_check_ctx *ctx, struct mamori_check_result *result)
{
    const char *pattern = ctx->policy->antivirus.pattern_path;
    char rooted[PATH_MAX];
    glob_t g;
    time_t newest = 0;

    cJSON_AddStringToObject(result->evidence, "engine", "file");
    if (pattern == NULL || pattern[0] != '/' ||
        mamori_root_path(ctx, pattern, rooted, sizeof(rooted)) != 0) {
        mamori_check_set(result, MAMORI_ERROR,
                         "ポリシーの antivirus.pattern_path が絶対パスではありません",
                         "policy antivirus.pattern_path is not an absolute path");
        return;
    }
    cJSON_AddStringToObject(result->evidence, "pattern_path", pattern);
    int rc = glob(rooted, GLOB_NOSORT, NULL, &g);
    if (rc == GLOB_NOMATCH) {
        mamori_check_set(result, MAMORI_FAIL, "パターンファイル %s がありません",
                         "no pattern file matches %s", pattern);
        return;
    }
    if (rc != 0) {
        mamori_check_set(result, MAMORI_ERROR, "%s を検索できません", "cannot search %s", pattern);
        return;
    }
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct stat st;
        if (stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime > newest)
            newest = st.st_mtime;
    }
    cJSON_AddNumberToObject(result->evidence, "files", (double)g.gl_pathc);
    globfree(&g);
    if (newest == 0) {
        mamori_check_set(result, MAMORI_FAIL, "%s に通常ファイルがありません",
                         "no regular file matches %s", pattern);
        return;
    }
    judge_age(ctx, result, newest, "ウイルス対策ソフト");
}

static void run_av_pattern_fresh(const struct mamori_check_ctx *ctx,
                                 struct mamori_check_result *result)
{
    if (ctx->policy->antivirus.engine == MAMORI_AV_FILE)
        run_file_rule(ctx, result);
    else
        run_clamav(ctx, result);
}

const struct mamori_check mamori_check_av_pattern_fresh = {
    .id = "av.pattern_fresh",
    .run = run_av_pattern_fresh,
};
