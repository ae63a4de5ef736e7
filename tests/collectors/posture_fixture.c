/* posture_fixture.c -- see posture_fixture.h. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "posture_fixture.h"

void posture_run(struct posture_run *run, const struct mamori_check *check, const char *scenario,
                 void (*tune)(struct mamori_policy *policy))
{
    const char *fx = getenv("MAMORI_FIXTURES");
    cr_assert_not_null(fx, "MAMORI_FIXTURES not set");
    if (scenario[0] == '/')
        snprintf(run->root, sizeof(run->root), "%s", scenario);
    else
        snprintf(run->root, sizeof(run->root), "%s/%s", fx, scenario);
    run->policy = mamori_policy_preset(MAMORI_SEGMENT_LGWAN);
    cr_assert_not_null(run->policy);
    if (tune != NULL)
        tune(run->policy);
    struct mamori_check_ctx ctx = {.root = run->root, .policy = run->policy, .now = POSTURE_NOW};
    mamori_check_run(check, &ctx, &run->result);
    cr_assert_not_null(run->result.evidence);
}

void posture_done(struct posture_run *run)
{
    mamori_check_result_clear(&run->result);
    mamori_policy_free(run->policy);
}

const cJSON *posture_evidence(const struct posture_run *run, const char *path)
{
    char copy[256];
    const cJSON *node = run->result.evidence;
    char *save = NULL;
    snprintf(copy, sizeof(copy), "%s", path);
    char *part = strtok_r(copy, ".", &save);
    while (part != NULL && node != NULL) {
        node = cJSON_GetObjectItemCaseSensitive(node, part);
        part = strtok_r(NULL, ".", &save);
    }
    return node;
}

double posture_number(const struct posture_run *run, const char *path)
{
    const cJSON *n = posture_evidence(run, path);
    cr_assert(cJSON_IsNumber(n), "evidence %s is not a number", path);
    return n->valuedouble;
}

const char *posture_string(const struct posture_run *run, const char *path)
{
    const cJSON *s = posture_evidence(run, path);
    cr_assert(cJSON_IsString(s), "evidence %s is not a string", path);
    return s->valuestring;
}

int posture_array_has(const struct posture_run *run, const char *path, const char *value)
{
    const cJSON *a = posture_evidence(run, path), *item;
    cr_assert(cJSON_IsArray(a), "evidence %s is not an array", path);
    cJSON_ArrayForEach(item, a)
    {
        if (cJSON_IsString(item) && strcmp(item->valuestring, value) == 0)
            return 1;
    }
    return 0;
}
