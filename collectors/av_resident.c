/* av_resident.c -- check av.resident: the configured antivirus processes run.
 *
 * Walks <root>/proc/<pid>/ and compares each process's comm and the basename
 * of argv[0] (cmdline) with antivirus.resident[] from the policy.  comm is cut
 * to 15 bytes by the kernel, so a long name also matches on its first 15.
 * Fixture trees carry a fake proc/ folder with the same two files. */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define PROC_FILE_MAX 4096
#define COMM_LEN      15 /* TASK_COMM_LEN - 1 */

static bool all_digits(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

/* Read /proc/<pid>/<file> below the root; NULL if gone (processes exit). */
static char *proc_file(const struct mamori_check_ctx *ctx, const char *pid, const char *file,
                       size_t *len)
{
    char abs[sizeof("/proc//cmdline") + NAME_MAX];
    char *data = NULL;
    snprintf(abs, sizeof(abs), "/proc/%s/%s", pid, file);
    if (mamori_root_read(ctx, abs, PROC_FILE_MAX, &data, len) != 0)
        return NULL;
    return data;
}

static bool process_is(const char *want, const char *comm, const char *argv0)
{
    if (comm != NULL && (strcmp(comm, want) == 0 ||
                         (strlen(want) > COMM_LEN && strncmp(comm, want, COMM_LEN) == 0 &&
                          strlen(comm) == COMM_LEN)))
        return true;
    if (argv0 != NULL) {
        const char *base = strrchr(argv0, '/');
        return strcmp(base ? base + 1 : argv0, want) == 0;
    }
    return false;
}

/* Mark found[i] for every wanted name this process matches. */
static void match_process(const struct mamori_check_ctx *ctx, const char *pid, bool *found)
{
    size_t len;
    char *comm = proc_file(ctx, pid, "comm", &len);
    char *cmdline = proc_file(ctx, pid, "cmdline", &len); /* argv[0] ends at the first NUL */

    if (comm != NULL)
        comm[strcspn(comm, "\n")] = '\0';
    for (size_t i = 0; i < ctx->policy->antivirus.n_resident; i++)
        if (process_is(ctx->policy->antivirus.resident[i], comm, cmdline))
            found[i] = true;
    free(comm);
    free(cmdline);
}

static void run_av_resident(const struct mamori_check_ctx *ctx, struct mamori_check_result *result)
{
    const struct mamori_policy *p = ctx->policy;
    char proc[PATH_MAX];
    size_t missing = 0;

    if (p->antivirus.n_resident == 0) {
        mamori_check_set(result, MAMORI_NOT_APPLICABLE, "常駐が必要なプロセスは設定されていません",
                         "no resident antivirus process is configured");
        return;
    }
    DIR *d = NULL;
    if (mamori_root_path(ctx, "/proc", proc, sizeof(proc)) == 0)
        d = opendir(proc);
    if (d == NULL) {
        mamori_check_set(result, MAMORI_ERROR, "%s を読めません", "cannot read %s", proc);
        return;
    }
    bool *found = calloc(p->antivirus.n_resident, sizeof(*found));
    if (found == NULL) {
        closedir(d);
        mamori_check_set(result, MAMORI_ERROR, "メモリ不足", "out of memory");
        return;
    }
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (all_digits(e->d_name))
            match_process(ctx, e->d_name, found);
    closedir(d);

    cJSON *running = cJSON_AddArrayToObject(result->evidence, "running");
    cJSON *absent = cJSON_AddArrayToObject(result->evidence, "missing");
    char names[MAMORI_DETAIL_MAX / 2] = "";
    for (size_t i = 0; i < p->antivirus.n_resident; i++) {
        const char *name = p->antivirus.resident[i];
        cJSON_AddItemToArray(found[i] ? running : absent, cJSON_CreateString(name));
        if (!found[i]) {
            size_t used = strlen(names);
            snprintf(names + used, sizeof(names) - used, "%s%s", missing ? ", " : "", name);
            missing++;
        }
    }
    free(found);
    if (missing > 0)
        mamori_check_set(result, MAMORI_FAIL, "ウイルス対策プロセスが動いていません: %s",
                         "antivirus process not running: %s", names);
    else
        mamori_check_set(result, MAMORI_PASS, "ウイルス対策プロセスは常駐しています",
                         "antivirus processes are running");
}

const struct mamori_check mamori_check_av_resident = {
    .id = "av.resident",
    .run = run_av_resident,
};
