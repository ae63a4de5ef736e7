/* check.h -- the posture check framework.
 *
 * A check is a pure function over a file-system root: it reads files below
 * ctx->root (never the live system when a fixture root is given), compares
 * them with the policy, and fills a result.  Checks never write anything.
 *
 * Each check has a stable ID (reports, exports and tests key on it).  Its
 * titles and remediation hint in Japanese and English and the policy clause
 * it serves live in the check catalogue (catalogue.h), which the collector
 * links too: reports carry the id, not the text.  A result's one-line detail
 * is bilingual because it is what this PC found.  (Program chrome -- table
 * headers, errors -- is translated with gettext.)
 *
 * The registry (registry.c) lists every check in the order they are shown. */
#ifndef MAMORI_CHECK_H
#define MAMORI_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "catalogue.h"
#include "policy.h"

struct mamori_wifi_source;

enum mamori_verdict {
    MAMORI_PASS,
    MAMORI_FAIL,
    MAMORI_ERROR,
    MAMORI_NOT_APPLICABLE,
};

struct mamori_check_ctx {
    const char *root; /* "" for the live system, else a directory prefixed to every path */
    const struct mamori_policy *policy;
    time_t now; /* fixed per run so every check sees the same time */
    /* Where checks of enforcement state (USB authorization) read /sys; NULL =
     * below root.  The agent sets it to the sysfs its enforcers act on. */
    const char *sysfs_root;
    /* The live Wi-Fi source (the agent's NetworkManager source), or NULL:
     * net.only_approved then judges the networks joined now as well as the
     * saved profiles, and shows whether joins can be seen at all. */
    const struct mamori_wifi_source *wifi;
};

#define MAMORI_DETAIL_MAX 512

struct mamori_check_result {
    enum mamori_verdict verdict;
    char detail_ja[MAMORI_DETAIL_MAX]; /* one line: what was found */
    char detail_en[MAMORI_DETAIL_MAX];
    cJSON *evidence; /* JSON object of facts (never secrets); owned by the result */
};

struct mamori_check {
    const char *id; /* e.g. "av.pattern_fresh"; its text: mamori_catalogue_find(id) */
    void (*run)(const struct mamori_check_ctx *ctx, struct mamori_check_result *result);
};

/* ---- registry ---------------------------------------------------------- */

/* All registered checks, NULL-terminated, in display order. */
extern const struct mamori_check *const mamori_checks[];

const struct mamori_check *mamori_check_find(const char *id);

/* ---- running ----------------------------------------------------------- */

/* Run one check into a fresh result (evidence object created for it).
 * Call mamori_check_result_clear() afterwards. */
void mamori_check_run(const struct mamori_check *check, const struct mamori_check_ctx *ctx,
                      struct mamori_check_result *result);
void mamori_check_result_clear(struct mamori_check_result *result);

/* Set verdict and the two one-line details.  fmt_ja and fmt_en take the same
 * arguments in the same order. */
void mamori_check_set(struct mamori_check_result *result, enum mamori_verdict verdict,
                      const char *fmt_ja, const char *fmt_en, ...)
    __attribute__((format(printf, 3, 5), format(printf, 4, 5)));

/* One check's result as the JSON object used by `mamorictl check --json`,
 * the control socket and reports:
 * {id, verdict, title{ja,en}, detail{ja,en}, remediation{ja,en}, clause, evidence} */
cJSON *mamori_check_result_json(const struct mamori_check *check,
                                const struct mamori_check_result *result);

const char *mamori_verdict_name(enum mamori_verdict verdict); /* "pass", ... */
int mamori_verdict_from_name(const char *name, enum mamori_verdict *out);

/* Run every registered check; returns {"checks":[...],"summary":{pass,fail,error,
 * not_applicable}}.  Exit status for the CLI: 0 all pass/n.a., 1 any fail, 2 any error
 * (error wins over fail: the machine's state is unknown). */
cJSON *mamori_check_run_all(const struct mamori_check_ctx *ctx, int *exit_status);

/* ---- reading below the root -------------------------------------------- */

/* Join ctx->root and an absolute path.  Returns 0, or -1 (errno=ENAMETOOLONG). */
int mamori_root_path(const struct mamori_check_ctx *ctx, const char *abs_path, char *out,
                     size_t size);

/* Like mamori_root_path, for /sys paths: below ctx->sysfs_root when set. */
int mamori_sysfs_path(const struct mamori_check_ctx *ctx, const char *abs_path, char *out,
                      size_t size);

/* Read a whole file below the root, at most max bytes (more = error EFBIG).
 * NUL-terminates.  Returns 0 and *data (free()) / *len, or -1 with errno. */
int mamori_root_read(const struct mamori_check_ctx *ctx, const char *abs_path, size_t max,
                     char **data, size_t *len);

/* True if the path exists below the root (any type). */
bool mamori_root_exists(const struct mamori_check_ctx *ctx, const char *abs_path);

#endif /* MAMORI_CHECK_H */
