/* agent_integrity.c -- check agent.integrity: the agent's own tampering signs.
 *
 * Pure over the root like every check.  It looks at what an attacker (or a
 * careless admin) would change to switch mamori off without stopping it:
 *   - the agent binary, its delivery helper mamori-courier (which the agent
 *     hands the device key) and the policy must not be writable by anyone
 *     but root;
 *   - the state directory (key, spool) must be root's and 0700, the device
 *     key 0600;
 *   - both binaries must still match the MD5 that dpkg recorded when the
 *     package installed them (var/lib/dpkg/info/mamori-agent.md5sums), so a
 *     binary replaced outside a package update shows up.
 * Not installed under the root (no binary): not_applicable. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "digest.h"

#define AGENT_BINARY  "/usr/sbin/mamori-agent"
#define AGENT_COURIER "/usr/libexec/mamori-agent/mamori-courier"
#define AGENT_POLICY  MAMORI_SYSCONFDIR "/policy.json"
#define AGENT_STATE   MAMORI_STATEDIR
#define AGENT_KEY     MAMORI_STATEDIR "/device.key"
#define DPKG_MD5SUMS  "/var/lib/dpkg/info/mamori-agent.md5sums"
#define MD5SUMS_MAX   (256 * 1024)
#define BINARY_MAX    (64 * 1024 * 1024)

struct integrity_findings {
    int problems;
    char first_ja[200];
    char first_en[200];
};

static void found(struct integrity_findings *f, cJSON *evidence, const char *key, const char *ja,
                  const char *en)
{
    cJSON_AddBoolToObject(evidence, key, false);
    if (f->problems++ == 0) {
        snprintf(f->first_ja, sizeof(f->first_ja), "%s", ja);
        snprintf(f->first_en, sizeof(f->first_en), "%s", en);
    }
}

static int stat_below_root(const struct mamori_check_ctx *ctx, const char *abs, struct stat *st)
{
    char path[4096];

    if (mamori_root_path(ctx, abs, path, sizeof(path)) != 0)
        return -1;
    return lstat(path, st);
}

/* Writable by someone other than root: group/other write bit, or a non-root
 * owner (who may chmod it back at will). */
static bool writable_by_non_root(const struct stat *st)
{
    return (st->st_mode & (S_IWGRP | S_IWOTH)) != 0 || st->st_uid != 0;
}

static void check_file_rights(const struct mamori_check_ctx *ctx, struct integrity_findings *f,
                              cJSON *ev, const char *abs, const char *key, const char *ja,
                              const char *en)
{
    struct stat st;

    if (stat_below_root(ctx, abs, &st) != 0)
        return; /* absence is judged by the checks that need the file */
    if (S_ISLNK(st.st_mode) || writable_by_non_root(&st))
        found(f, ev, key, ja, en);
    else
        cJSON_AddBoolToObject(ev, key, true);
}

static void check_state_dir(const struct mamori_check_ctx *ctx, struct integrity_findings *f,
                            cJSON *ev)
{
    struct stat st;

    if (stat_below_root(ctx, AGENT_STATE, &st) == 0) {
        if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077) != 0)
            found(f, ev, "state_dir_private", "状態ディレクトリの権限が 0700 root ではありません",
                  "state directory is not 0700 root");
        else
            cJSON_AddBoolToObject(ev, "state_dir_private", true);
    }
    if (stat_below_root(ctx, AGENT_KEY, &st) == 0) {
        if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077) != 0)
            found(f, ev, "key_private", "端末鍵ファイルの権限が 0600 root ではありません",
                  "device key file is not 0600 root");
        else
            cJSON_AddBoolToObject(ev, "key_private", true);
    }
}

static bool md5_matches(const char *data, size_t len, const char recorded[33])
{
    uint8_t md[MAMORI_MD5_LEN];
    char actual[2 * MAMORI_MD5_LEN + 1];

    mamori_md5(data, len, md);
    mamori_hex(md, sizeof(md), actual);
    return strcmp(actual, recorded) == 0;
}

/* The MD5 dpkg recorded for a file ("<md5>  usr/sbin/mamori-agent"). */
static bool dpkg_recorded_md5(const char *md5sums, const char *abs, char out[33])
{
    const char *want = &abs[1]; /* dpkg lists paths without the leading slash */

    for (const char *line = md5sums; line && *line; line = strchr(line, '\n')) {
        char sum[33], name[512];

        if (*line == '\n')
            line++;
        if (sscanf(line, "%32s %511s", sum, name) == 2 && strcmp(name, want) == 0) {
            memcpy(out, sum, sizeof(sum));
            return true;
        }
    }
    return false;
}

/* One installed binary against dpkg's record; key names it in the
 * evidence ("<key>_matches_package", or "<key>_digest" when there is no
 * record to compare with). */
struct packaged_binary {
    const char *path, *key, *what_ja, *what_en;
};

static void check_binary_digest(const struct mamori_check_ctx *ctx, struct integrity_findings *f,
                                cJSON *ev, const char *sums, const struct packaged_binary *b)
{
    char *binary = NULL, recorded[33], key[64], ja[200], en[200];
    size_t len = 0;

    snprintf(key, sizeof(key), "%s_digest", b->key);
    if (sums == NULL) {
        cJSON_AddStringToObject(ev, key, "no dpkg record");
        return;
    }
    if (!dpkg_recorded_md5(sums, b->path, recorded)) {
        cJSON_AddStringToObject(ev, key, "binary not in dpkg record");
        return;
    }
    snprintf(key, sizeof(key), "%s_matches_package", b->key);
    if (mamori_root_read(ctx, b->path, BINARY_MAX, &binary, &len) != 0) {
        snprintf(ja, sizeof(ja), "%sを読めません", b->what_ja);
        snprintf(en, sizeof(en), "cannot read the %s", b->what_en);
        found(f, ev, key, ja, en);
    } else if (!md5_matches(binary, len, recorded)) {
        snprintf(ja, sizeof(ja), "%sがパッケージの記録と一致しません (更新以外で変更)", b->what_ja);
        snprintf(en, sizeof(en), "%s differs from the package record (changed outside an update)",
                 b->what_en);
        found(f, ev, key, ja, en);
    } else {
        cJSON_AddBoolToObject(ev, key, true);
    }
    free(binary);
}

static void check_binary_digests(const struct mamori_check_ctx *ctx, struct integrity_findings *f,
                                 cJSON *ev)
{
    static const struct packaged_binary binaries[] = {
        {AGENT_BINARY, "binary", "エージェント本体", "agent binary"},
        {AGENT_COURIER, "courier", "送信用プログラム mamori-courier",
         "delivery helper mamori-courier"},
    };
    char *sums = NULL;
    size_t len = 0;

    if (mamori_root_read(ctx, DPKG_MD5SUMS, MD5SUMS_MAX, &sums, &len) != 0)
        sums = NULL;
    for (size_t i = 0; i < sizeof(binaries) / sizeof(binaries[0]); i++)
        if (i == 0 || mamori_root_exists(ctx, binaries[i].path))
            check_binary_digest(ctx, f, ev, sums, &binaries[i]);
    free(sums);
}

/* The first finding in each language, and how many more there are. */
static void report_problems(struct mamori_check_result *r, const struct integrity_findings *f)
{
    mamori_check_set(r, MAMORI_FAIL, "改ざんの兆候 %d 件", "%d signs of tampering", f->problems);
    snprintf(r->detail_ja, sizeof(r->detail_ja), "%s (改ざんの兆候 %d 件)", f->first_ja,
             f->problems);
    snprintf(r->detail_en, sizeof(r->detail_en), "%s (%d signs of tampering)", f->first_en,
             f->problems);
}

static void run_agent_integrity(const struct mamori_check_ctx *ctx, struct mamori_check_result *r)
{
    struct integrity_findings f = {0};

    if (!mamori_root_exists(ctx, AGENT_BINARY)) {
        mamori_check_set(r, MAMORI_NOT_APPLICABLE, "mamori エージェントが導入されていません",
                         "the mamori agent is not installed");
        return;
    }
    check_file_rights(ctx, &f, r->evidence, AGENT_BINARY, "binary_root_only",
                      "エージェント本体が root 以外から書き換え可能です",
                      "agent binary is writable by non-root");
    check_file_rights(ctx, &f, r->evidence, AGENT_COURIER, "courier_root_only",
                      "送信用プログラム mamori-courier が root 以外から書き換え可能です",
                      "delivery helper mamori-courier is writable by non-root");
    check_file_rights(ctx, &f, r->evidence, AGENT_POLICY, "policy_root_only",
                      "ポリシーファイルが root 以外から書き換え可能です",
                      "policy file is writable by non-root");
    check_state_dir(ctx, &f, r->evidence);
    check_binary_digests(ctx, &f, r->evidence);
    if (f.problems == 0)
        mamori_check_set(r, MAMORI_PASS, "改ざんの兆候はありません", "no signs of tampering");
    else
        report_problems(r, &f);
}

const struct mamori_check mamori_check_agent_integrity = {
    .id = "agent.integrity",
    .run = run_agent_integrity,
};
