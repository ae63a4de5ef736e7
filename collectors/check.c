/* check.c -- running checks and turning their results into JSON.
 *
 * The framework half of collectors/: the concern files (av_*.c, screenlock*.c,
 * ...) only fill a result; this file creates and frees results, formats the
 * bilingual details, builds the JSON shape shared by the CLI, the control
 * socket and reports, and joins the fixture root to every path a check reads. */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const verdict_names[] = {"pass", "fail", "error", "not_applicable"};

const char *mamori_verdict_name(enum mamori_verdict verdict)
{
    return (unsigned)verdict < 4 ? verdict_names[verdict] : "error";
}

int mamori_verdict_from_name(const char *name, enum mamori_verdict *out)
{
    for (unsigned i = 0; i < 4; i++) {
        if (strcmp(name, verdict_names[i]) == 0) {
            *out = (enum mamori_verdict)i;
            return 0;
        }
    }
    return -1;
}

const struct mamori_check *mamori_check_find(const char *id)
{
    for (size_t i = 0; mamori_checks[i] != NULL; i++)
        if (strcmp(mamori_checks[i]->id, id) == 0)
            return mamori_checks[i];
    return NULL;
}

void mamori_check_set(struct mamori_check_result *result, enum mamori_verdict verdict,
                      const char *fmt_ja, const char *fmt_en, ...)
{
    va_list ap, ap2;

    result->verdict = verdict;
    va_start(ap, fmt_en);
    va_copy(ap2, ap);
    vsnprintf(result->detail_ja, sizeof(result->detail_ja), fmt_ja, ap);
    vsnprintf(result->detail_en, sizeof(result->detail_en), fmt_en, ap2);
    va_end(ap2);
    va_end(ap);
}

void mamori_check_run(const struct mamori_check *check, const struct mamori_check_ctx *ctx,
                      struct mamori_check_result *result)
{
    memset(result, 0, sizeof(*result));
    result->evidence = cJSON_CreateObject();
    if (result->evidence == NULL) {
        mamori_check_set(result, MAMORI_ERROR, "メモリ不足", "out of memory");
        return;
    }
    /* A check that forgets to decide must not read as a pass. */
    mamori_check_set(result, MAMORI_ERROR, "検査が結果を返しませんでした",
                     "the check returned no verdict");
    check->run(ctx, result);
}

void mamori_check_result_clear(struct mamori_check_result *result)
{
    cJSON_Delete(result->evidence);
    result->evidence = NULL;
}

static cJSON *bilingual(const char *ja, const char *en)
{
    cJSON *o = cJSON_CreateObject();

    if (o != NULL && (cJSON_AddStringToObject(o, "ja", ja ? ja : "") == NULL ||
                      cJSON_AddStringToObject(o, "en", en ? en : "") == NULL)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static const struct mamori_check_text unknown_text = {"", "", "", "", "", ""};

cJSON *mamori_check_result_json(const struct mamori_check *check,
                                const struct mamori_check_result *result)
{
    const struct mamori_check_text *found = mamori_catalogue_find(check->id);
    const struct mamori_check_text *text = found ? found : &unknown_text;
    cJSON *o = cJSON_CreateObject();
    cJSON *ev = result->evidence ? cJSON_Duplicate(result->evidence, true) : cJSON_CreateObject();

    if (o == NULL || ev == NULL || cJSON_AddStringToObject(o, "id", check->id) == NULL ||
        cJSON_AddStringToObject(o, "verdict", mamori_verdict_name(result->verdict)) == NULL ||
        !cJSON_AddItemToObject(o, "title", bilingual(text->title_ja, text->title_en)) ||
        !cJSON_AddItemToObject(o, "detail", bilingual(result->detail_ja, result->detail_en)) ||
        !cJSON_AddItemToObject(o, "remediation",
                               bilingual(text->remediation_ja, text->remediation_en)) ||
        cJSON_AddStringToObject(o, "clause", text->clause) == NULL) {
        cJSON_Delete(ev);
        cJSON_Delete(o);
        return NULL;
    }
    cJSON_AddItemToObject(o, "evidence", ev);
    return o;
}

static int exit_status_for(const int counts[4])
{
    if (counts[MAMORI_ERROR] > 0)
        return 2;
    return counts[MAMORI_FAIL] > 0 ? 1 : 0;
}

cJSON *mamori_check_run_all(const struct mamori_check_ctx *ctx, int *exit_status)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *checks = cJSON_AddArrayToObject(doc, "checks");
    cJSON *summary = cJSON_AddObjectToObject(doc, "summary");
    int counts[4] = {0, 0, 0, 0};

    if (doc == NULL || checks == NULL || summary == NULL) {
        cJSON_Delete(doc);
        return NULL;
    }
    for (size_t i = 0; mamori_checks[i] != NULL; i++) {
        struct mamori_check_result r;
        cJSON *item;

        mamori_check_run(mamori_checks[i], ctx, &r);
        counts[(unsigned)r.verdict < 4 ? r.verdict : MAMORI_ERROR]++;
        item = mamori_check_result_json(mamori_checks[i], &r);
        mamori_check_result_clear(&r);
        if (item == NULL) {
            cJSON_Delete(doc);
            return NULL;
        }
        cJSON_AddItemToArray(checks, item);
    }
    for (unsigned v = 0; v < 4; v++)
        cJSON_AddNumberToObject(summary, verdict_names[v], counts[v]);
    if (exit_status != NULL)
        *exit_status = exit_status_for(counts);
    return doc;
}

int mamori_root_path(const struct mamori_check_ctx *ctx, const char *abs_path, char *out,
                     size_t size)
{
    const char *root = ctx && ctx->root ? ctx->root : "";
    size_t rl = strlen(root);
    int n;

    /* "/fixture/" + "/etc" must not become "/fixture//etc" in messages. */
    while (rl > 0 && root[rl - 1] == '/')
        rl--;
    n = snprintf(out, size, "%.*s%s", (int)rl, root, abs_path);
    if (n < 0 || (size_t)n >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int mamori_sysfs_path(const struct mamori_check_ctx *ctx, const char *abs_path, char *out,
                      size_t size)
{
    struct mamori_check_ctx sys = *ctx;

    if (ctx->sysfs_root != NULL)
        sys.root = ctx->sysfs_root;
    return mamori_root_path(&sys, abs_path, out, size);
}

int mamori_root_read(const struct mamori_check_ctx *ctx, const char *abs_path, size_t max,
                     char **data, size_t *len)
{
    char path[4096];
    struct stat st;
    char *buf;
    size_t used = 0;
    ssize_t got = 0;
    int fd, saved;

    if (mamori_root_path(ctx, abs_path, path, sizeof(path)) != 0)
        return -1;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        saved = S_ISDIR(st.st_mode) ? EISDIR : errno ? errno : EINVAL;
        close(fd);
        errno = saved;
        return -1;
    }
    /* /proc files report size 0: read until EOF, bounded by max. */
    buf = malloc(max + 1);
    if (buf == NULL) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    while (used <= max && (got = read(fd, buf + used, max + 1 - used)) > 0)
        used += (size_t)got;
    saved = errno;
    close(fd);
    if (used > max) {
        free(buf);
        errno = EFBIG;
        return -1;
    }
    if (got < 0) {
        free(buf);
        errno = saved;
        return -1;
    }
    buf[used] = '\0';
    *data = buf;
    if (len != NULL)
        *len = used;
    return 0;
}

bool mamori_root_exists(const struct mamori_check_ctx *ctx, const char *abs_path)
{
    char path[4096];
    struct stat st;

    return mamori_root_path(ctx, abs_path, path, sizeof(path)) == 0 && lstat(path, &st) == 0;
}
