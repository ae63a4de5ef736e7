/* t_agent_integrity.c -- check agent.integrity over fixture roots built here:
 * a clean install passes; a writable policy, a loose state directory or key, and
 * a binary that differs from dpkg's record each fail; no agent = n/a. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

extern const struct mamori_check mamori_check_agent_integrity;

static char root[] = "/tmp/mamori-integrity.XXXXXX";

static void put(const char *rel, const char *text, mode_t mode)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s%s", root, rel);
    f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(chmod(path, mode), 0);
}

static void make_dir(const char *rel, mode_t mode)
{
    char path[512];

    snprintf(path, sizeof(path), "%s%s", root, rel);
    cr_assert_eq(mkdir(path, mode), 0, "%s", path);
    cr_assert_eq(chmod(path, mode), 0);
}

static void setup(void)
{
    if (geteuid() != 0)
        cr_skip_test("needs root: the fixture files must be owned by root");
    cr_assert_not_null(mkdtemp(root));
    for (const char *const *d =
             (const char *const[]){"/usr", "/usr/sbin", "/usr/libexec", "/usr/libexec/mamori-agent",
                                   "/etc", "/etc/mamori", "/var", "/var/lib", "/var/lib/dpkg",
                                   "/var/lib/dpkg/info", NULL};
         *d; d++)
        make_dir(*d, 0755);
    make_dir("/var/lib/mamori", 0700);
    put("/usr/sbin/mamori-agent", "agent-v1", 0755);
    put("/usr/libexec/mamori-agent/mamori-courier", "courier-v1", 0755);
    put("/etc/mamori/policy.json", "{}", 0644);
    put("/var/lib/mamori/device.key", "not a real key", 0600);
    put("/var/lib/dpkg/info/mamori-agent.md5sums",
        "0123456789abcdef0123456789abcdef  usr/bin/mamorictl\n"
        "455bc930037294b46cda1d07c08c0270  usr/sbin/mamori-agent\n"
        "05ff018da257824742a2d488bc9c4a21  usr/libexec/mamori-agent/mamori-courier\n",
        0644);
}

static void teardown(void)
{
    char cmd[600];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    cr_assert_eq(system(cmd), 0);
}

static enum mamori_verdict run(cJSON **evidence_key_false, const char *key)
{
    struct mamori_policy *policy = mamori_policy_preset(MAMORI_SEGMENT_LGWAN);
    struct mamori_check_ctx ctx = {.root = root, .policy = policy, .now = 0};
    struct mamori_check_result r;
    enum mamori_verdict v;

    mamori_check_run(&mamori_check_agent_integrity, &ctx, &r);
    v = r.verdict;
    if (key != NULL) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(r.evidence, key);
        cr_assert(cJSON_IsBool(item), "evidence has %s", key);
        *evidence_key_false = cJSON_IsFalse(item) ? (cJSON *)item : NULL;
    }
    mamori_check_result_clear(&r);
    mamori_policy_free(policy);
    return v;
}

/* chmod one fixture file: the check fails and names it in the evidence. */
static void mode_change_fails(const char *rel, mode_t mode, const char *key)
{
    cJSON *bad = NULL;
    char path[512];

    snprintf(path, sizeof(path), "%s%s", root, rel);
    cr_assert_eq(chmod(path, mode), 0);
    cr_assert_eq(run(&bad, key), MAMORI_FAIL, "%s %o", rel, (unsigned)mode);
    cr_assert_not_null(bad);
}

TestSuite(agent_integrity, .init = setup, .fini = teardown);

Test(agent_integrity, clean_install_passes_and_matches_dpkg)
{
    cJSON *bad = NULL;

    cr_assert_eq(run(&bad, "binary_matches_package"), MAMORI_PASS);
    cr_assert_null(bad);
}

Test(agent_integrity, world_writable_policy_fails)
{
    mode_change_fails("/etc/mamori/policy.json", 0666, "policy_root_only");
}

Test(agent_integrity, open_state_dir_fails)
{
    mode_change_fails("/var/lib/mamori", 0755, "state_dir_private");
}

Test(agent_integrity, group_readable_key_fails)
{
    mode_change_fails("/var/lib/mamori/device.key", 0640, "key_private");
}

Test(agent_integrity, binary_replaced_outside_package_fails)
{
    cJSON *bad = NULL;

    put("/usr/sbin/mamori-agent", "agent-v2 (patched)", 0755);
    cr_assert_eq(run(&bad, "binary_matches_package"), MAMORI_FAIL);
    cr_assert_not_null(bad);
}

/* The courier holds the device key while it runs: replacing it is as good
 * as stealing the key. */
Test(agent_integrity, courier_replaced_outside_package_fails)
{
    cJSON *bad = NULL;

    cr_assert_eq(run(&bad, "courier_matches_package"), MAMORI_PASS, "control: the record matches");
    put("/usr/libexec/mamori-agent/mamori-courier", "courier-v2 (sends the key elsewhere)", 0755);
    cr_assert_eq(run(&bad, "courier_matches_package"), MAMORI_FAIL);
    cr_assert_not_null(bad);
}

Test(agent_integrity, group_writable_courier_fails)
{
    mode_change_fails("/usr/libexec/mamori-agent/mamori-courier", 0775, "courier_root_only");
}

Test(agent_integrity, no_agent_is_not_applicable)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/usr/sbin/mamori-agent", root);
    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(run(NULL, NULL), MAMORI_NOT_APPLICABLE);
}
