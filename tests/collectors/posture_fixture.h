/* posture_fixture.h -- run one posture check over a fixture tree in tests.
 * The clock is fixed (2026-11-23 06:00 UTC) so pattern ages never drift. */
#ifndef MAMORI_POSTURE_FIXTURE_H
#define MAMORI_POSTURE_FIXTURE_H

#include "check.h"

#define POSTURE_NOW ((time_t)1795413600) /* 2026-11-23T06:00:00Z */

struct posture_run {
    struct mamori_policy *policy;
    struct mamori_check_result result;
    char root[4096];
};

/* Run check over tests/fixtures/<scenario> (or an absolute dir) with the
 * segment preset, after `tune` (may be NULL) adjusts the policy. */
void posture_run(struct posture_run *run, const struct mamori_check *check, const char *scenario,
                 void (*tune)(struct mamori_policy *policy));
void posture_done(struct posture_run *run);

/* Evidence helpers: path like "databases.daily.version"; NULL if absent. */
const cJSON *posture_evidence(const struct posture_run *run, const char *path);
double posture_number(const struct posture_run *run, const char *path);
const char *posture_string(const struct posture_run *run, const char *path);
/* True if the array at path holds the string. */
int posture_array_has(const struct posture_run *run, const char *path, const char *value);

#endif
