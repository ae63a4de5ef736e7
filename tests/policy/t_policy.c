/* t_policy.c -- policy loading: presets, overrides, and every kind of bad input
 * named in issue 2, each asserting the key and the explanation in the error. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy.h"

static char tmpdir[] = "/tmp/mamori-policy-XXXXXX";

static void setup(void)
{
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(policy, .init = setup, .fini = teardown);

static const char *write_file(const char *name, const char *text, mode_t mode)
{
    static char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(chmod(path, mode), 0);
    return path;
}

/* Parse text expecting failure; returns the formatted error line. */
static const char *parse_error(const char *text, struct mamori_policy_error *err)
{
    static char msg[1024];
    struct mamori_policy *pol = NULL;

    cr_assert_eq(mamori_policy_parse(text, strlen(text), "p.json", &pol, err), -1,
                 "policy unexpectedly accepted: %s", text);
    cr_assert_null(pol);
    mamori_policy_error_format(err, "p.json", msg, sizeof(msg));
    return msg;
}

static void load_fixture(const char *name, struct mamori_policy **pol)
{
    char path[512];
    struct mamori_policy_error err;

    snprintf(path, sizeof(path), "%s/policy/%s", getenv("MAMORI_FIXTURES"), name);
    cr_assert_eq(mamori_policy_load(path, pol, &err), 0, "%s: %s", path, err.message);
}

Test(policy, minimal_mynumber_gets_strict_preset)
{
    struct mamori_policy *p;

    load_fixture("mynumber-minimal.json", &p);
    cr_assert_eq(p->segment, MAMORI_SEGMENT_MYNUMBER);
    cr_assert_eq(p->usb.mode, MAMORI_MODE_ENFORCE);
    cr_assert_eq(p->usb.n_allow, 0);
    cr_assert_not(p->network.wifi_allowed, "no wireless on the My Number segment");
    cr_assert_not(p->network.usb_network_allowed);
    cr_assert_not(p->network.internet_route_allowed);
    cr_assert_eq(p->screen_lock.max_idle_seconds, 300);
    cr_assert_eq(p->antivirus.max_age_hours, 24);
    cr_assert_str_eq(p->antivirus.resident[0], "clamd");
    /* No "version" key: the content hash identifies the policy. */
    cr_assert_eq(strncmp(p->version, "sha256:", 7), 0, "version %s", p->version);
    cr_assert_eq(strlen(p->version), 7 + 16);
    mamori_policy_free(p);
}

Test(policy, internet_preset_differs)
{
    struct mamori_policy *p = mamori_policy_preset(MAMORI_SEGMENT_INTERNET);

    cr_assert(p->network.wifi_allowed);
    cr_assert(p->network.internet_route_allowed);
    cr_assert_eq(p->network.min_security, MAMORI_WIFI_WPA2_PSK);
    cr_assert_eq(p->screen_lock.max_idle_seconds, 600);
    mamori_policy_free(p);
}

Test(policy, full_file_overrides_every_section)
{
    struct mamori_policy *p;

    load_fixture("lgwan-full.json", &p);
    cr_assert_str_eq(p->version, "2026-11-lgwan-7");
    cr_assert_str_eq(p->municipality, "武蔵村山市");
    cr_assert_str_eq(p->department, "市民部 市民課");
    cr_assert_eq(p->usb.n_allow, 2);
    cr_assert_eq(p->usb.allow[0].vid, 0x0781);
    cr_assert_eq(p->usb.allow[0].pid, 0x5567);
    cr_assert_str_eq(p->usb.allow[0].serial, "4C530001230620116512");
    cr_assert_str_eq(p->usb.allow[0].label, "総務-USB-001");
    cr_assert_gt(p->usb.allow[0].until, 4000000000);
    cr_assert_eq(p->usb.allow[1].vid, 0x090c, "hex ids are case-insensitive");
    cr_assert_str_eq(p->usb.allow[1].hash,
                     "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0");
    cr_assert_eq(p->antivirus.max_age_hours, 48);
    cr_assert_eq(p->antivirus.n_resident, 2);
    cr_assert_str_eq(p->antivirus.resident[1], "freshclam");
    cr_assert_eq(p->screen_lock.max_idle_seconds, 300);
    cr_assert_eq(p->network.mode, MAMORI_MODE_AUDIT);
    cr_assert_eq(p->network.n_interfaces, 2);
    cr_assert_str_eq(p->network.interfaces[0].name, "enp*");
    cr_assert_str_eq(p->network.interfaces[1].mac, "aa:bb:cc:00:11:22", "MAC normalized");
    cr_assert_eq(p->network.n_allow_ssids, 1);
    cr_assert_str_eq(p->network.allow_ssids[0], "LGWAN-市役所");
    cr_assert_eq(p->network.min_security, MAMORI_WIFI_WPA2_ENTERPRISE);
    cr_assert_str_eq(p->report.server, "https://collector.city.lg.jp:8443");
    cr_assert_eq(p->report.interval_seconds, 600);
    cr_assert_eq(p->report.check_interval_seconds, 120);
    mamori_policy_free(p);
}

Test(policy, unknown_key_is_named)
{
    struct mamori_policy_error err;
    const char *msg =
        parse_error("{\"segment\":\"lgwan\",\n\"screen_lock\":{\"max_idle_secnds\":300}}", &err);

    cr_assert_str_eq(err.path, "screen_lock.max_idle_secnds");
    cr_assert_eq(err.line, 2);
    cr_assert(strstr(msg, "unknown key") != NULL, "%s", msg);
    cr_assert(strstr(msg, "p.json:2:") == msg, "%s", msg);
}

Test(policy, wrong_type_is_named)
{
    struct mamori_policy_error err;
    const char *msg =
        parse_error("{\"segment\":\"lgwan\",\"screen_lock\":{\"require_locked\":\"yes\"}}", &err);

    cr_assert_str_eq(err.path, "screen_lock.require_locked");
    cr_assert(strstr(msg, "expected true or false, got a string") != NULL, "%s", msg);
}

Test(policy, unknown_segment)
{
    struct mamori_policy_error err;
    const char *msg = parse_error("{\"segment\":\"lgwan-ish\"}", &err);

    cr_assert_str_eq(err.path, "segment");
    cr_assert(strstr(msg, "unknown segment \"lgwan-ish\"") != NULL, "%s", msg);
    cr_assert(strstr(msg, "\"mynumber\", \"lgwan\" or \"internet\"") != NULL, "%s", msg);
}

Test(policy, missing_segment)
{
    struct mamori_policy_error err;
    const char *msg = parse_error("{\"usb\":{\"mode\":\"audit\"}}", &err);

    cr_assert_str_eq(err.path, "segment");
    cr_assert(strstr(msg, "missing") != NULL, "%s", msg);
}

Test(policy, malformed_vid_pid)
{
    struct mamori_policy_error err;
    const char *msg;

    msg = parse_error("{\"segment\":\"lgwan\",\"usb\":{\"allow\":[{\"id\":\"0781:5567\"},"
                      "{\"id\":\"0781-5567\"}]}}",
                      &err);
    cr_assert_str_eq(err.path, "usb.allow[1].id");
    cr_assert(strstr(msg, "malformed USB id \"0781-5567\"") != NULL, "%s", msg);
    parse_error("{\"segment\":\"lgwan\",\"usb\":{\"allow\":[{\"id\":\"78g1:5567\"}]}}", &err);
    cr_assert_str_eq(err.path, "usb.allow[0].id");
    parse_error("{\"segment\":\"lgwan\",\"usb\":{\"allow\":[{\"id\":\"0781:55670\"}]}}", &err);
    cr_assert_str_eq(err.path, "usb.allow[0].id");
    parse_error("{\"segment\":\"lgwan\",\"usb\":{\"allow\":[{\"label\":\"x\"}]}}", &err);
    cr_assert_str_eq(err.path, "usb.allow[0].id", "an entry without id is refused");
}

Test(policy, bad_hash_and_date)
{
    struct mamori_policy_error err;
    const char *msg;

    parse_error(
        "{\"segment\":\"lgwan\",\"usb\":{\"allow\":[{\"id\":\"0781:5567\",\"hash\":\"abc\"}]}}",
        &err);
    cr_assert_str_eq(err.path, "usb.allow[0].hash");
    msg = parse_error("{\"segment\":\"lgwan\",\"usb\":{\"allow\":[{\"id\":\"0781:5567\",\"until\":"
                      "\"31/03/2027\"}]}}",
                      &err);
    cr_assert_str_eq(err.path, "usb.allow[0].until");
    cr_assert(strstr(msg, "YYYY-MM-DD") != NULL, "%s", msg);
}

/* Central bundles carry instants, so collector and PC agree on the second
 * whatever their time zones. */
Test(policy, until_as_an_rfc3339_instant)
{
    const char *text = "{\"segment\":\"lgwan\",\"usb\":{\"allow\":["
                       "{\"id\":\"0781:5567\",\"until\":\"2027-03-31T14:59:59Z\"},"
                       "{\"id\":\"0781:5567\",\"until\":\"2027-03-31T23:59:59+09:00\"}]}}";
    struct mamori_policy_error err;
    struct mamori_policy *p = NULL;

    cr_assert_eq(mamori_policy_parse(text, strlen(text), "t", &p, &err), 0, "%s", err.message);
    cr_assert_eq(p->usb.allow[0].until, 1806505199);
    cr_assert_eq(p->usb.allow[1].until, 1806505199, "the offset is applied");
    cr_assert(mamori_usb_allow_matches(&p->usb.allow[0], 0x0781, 0x5567, NULL, NULL, 1806505199));
    cr_assert(!mamori_usb_allow_matches(&p->usb.allow[0], 0x0781, 0x5567, NULL, NULL, 1806505200),
              "one second after until it no longer matches");
    mamori_policy_free(p);
    parse_error("{\"segment\":\"lgwan\",\"usb\":{\"allow\":[{\"id\":\"0781:5567\",\"until\":"
                "\"2027-03-31T14:59:59+9\"}]}}",
                &err);
    cr_assert_str_eq(err.path, "usb.allow[0].until");
}

Test(policy, negative_and_absurd_durations)
{
    struct mamori_policy_error err;
    const char *msg;

    msg = parse_error("{\"segment\":\"lgwan\",\"screen_lock\":{\"max_idle_seconds\":-5}}", &err);
    cr_assert_str_eq(err.path, "screen_lock.max_idle_seconds");
    cr_assert(strstr(msg, "-5 seconds is out of range (allowed 1 to 86400)") != NULL, "%s", msg);
    msg = parse_error("{\"segment\":\"lgwan\",\"antivirus\":{\"max_age_hours\":100000}}", &err);
    cr_assert_str_eq(err.path, "antivirus.max_age_hours");
    cr_assert(strstr(msg, "out of range") != NULL, "%s", msg);
    msg = parse_error("{\"segment\":\"lgwan\",\"report\":{\"interval_seconds\":1.5}}", &err);
    cr_assert(strstr(msg, "whole number") != NULL, "%s", msg);
    parse_error("{\"segment\":\"lgwan\",\"screen_lock\":{\"max_idle_seconds\":0}}", &err);
    cr_assert_str_eq(err.path, "screen_lock.max_idle_seconds", "0 would mean never lock");
}

Test(policy, invalid_utf8_has_position)
{
    struct mamori_policy_error err;
    const char *msg = parse_error(
        "{\"segment\":\"lgwan\",\n\"organization\":{\"department\":\"\xe5\x9b\"}}", &err);

    cr_assert_eq(err.line, 2);
    cr_assert(strstr(msg, "invalid UTF-8") != NULL, "%s", msg);
    parse_error("{\"segment\":\"lgwan\",\"organization\":{\"department\":\"\xed\xa0\x80\"}}", &err);
    cr_assert(strstr(err.message, "invalid UTF-8") != NULL, "surrogates are not UTF-8");
    parse_error("{\"segment\":\"lgwan\",\"organization\":{\"department\":\"\xc0\xaf\"}}", &err);
    cr_assert(strstr(err.message, "invalid UTF-8") != NULL, "overlong encodings are refused");
}

Test(policy, json_syntax_error_has_line_and_column)
{
    struct mamori_policy_error err;
    const char *msg = parse_error("{\"segment\": \"lgwan\"\n  \"usb\": {}}", &err);

    cr_assert_eq(err.line, 2);
    cr_assert_gt(err.column, 0);
    cr_assert(strstr(msg, "JSON syntax error") != NULL, "%s", msg);
    parse_error("{\"segment\":\"lgwan\"} trailing", &err);
    cr_assert(strstr(err.message, "JSON syntax error") != NULL, "trailing data is refused");
    parse_error("[1,2]", &err);
    cr_assert(strstr(err.message, "JSON object") != NULL);
}

Test(policy, file_engine_needs_pattern_path)
{
    struct mamori_policy_error err;

    parse_error("{\"segment\":\"lgwan\",\"antivirus\":{\"engine\":\"file\"}}", &err);
    cr_assert_str_eq(err.path, "antivirus.pattern_path");
    parse_error("{\"segment\":\"lgwan\",\"antivirus\":{\"engine\":\"norton\"}}", &err);
    cr_assert(strstr(err.message, "unknown value \"norton\"") != NULL, "%s", err.message);
}

Test(policy, report_server_must_be_https)
{
    struct mamori_policy_error err;

    parse_error("{\"segment\":\"lgwan\",\"report\":{\"server\":\"http://c.lg.jp\"}}", &err);
    cr_assert_str_eq(err.path, "report.server");
}

Test(policy, missing_file)
{
    struct mamori_policy *p = NULL;
    struct mamori_policy_error err;
    char path[256];

    snprintf(path, sizeof(path), "%s/nope.json", tmpdir);
    cr_assert_eq(mamori_policy_load(path, &p, &err), -1);
    cr_assert(strstr(err.message, "cannot open policy file") != NULL, "%s", err.message);
    cr_assert(strstr(err.message, "No such file") != NULL, "%s", err.message);
}

Test(policy, not_a_regular_file)
{
    struct mamori_policy *p = NULL;
    struct mamori_policy_error err;

    cr_assert_eq(mamori_policy_load(tmpdir, &p, &err), -1);
    cr_assert(strstr(err.message, "not a regular file") != NULL, "%s", err.message);
}

Test(policy, world_writable_refused)
{
    struct mamori_policy *p = NULL;
    struct mamori_policy_error err;
    const char *path = write_file("ww.json", "{\"segment\":\"lgwan\"}", 0666);

    cr_assert_eq(mamori_policy_load(path, &p, &err), -1);
    cr_assert(strstr(err.message, "world-writable") != NULL, "%s", err.message);
    cr_assert_eq(chmod(path, 0644), 0);
    cr_assert_eq(mamori_policy_load(path, &p, &err), 0, "%s", err.message);
    mamori_policy_free(p);
}

Test(policy, unreadable_file)
{
    struct mamori_policy *p = NULL;
    struct mamori_policy_error err;
    const char *path = write_file("secret.json", "{\"segment\":\"lgwan\"}", 0600);

    pid_t child;
    int status;

    /* Root reads anything: try as nobody in a child (the fixture stays root's). */
    child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        if (geteuid() == 0 ? setuid(65534) != 0 : chmod(path, 0000) != 0)
            _exit(3);
        if (mamori_policy_load(path, &p, &err) != -1)
            _exit(1);
        _exit(strstr(err.message, "Permission denied") != NULL ? 0 : 2);
    }
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}

Test(policy, oversized_file_refused)
{
    struct mamori_policy *p = NULL;
    struct mamori_policy_error err;
    char path[256];
    int fd;

    snprintf(path, sizeof(path), "%s/big.json", tmpdir);
    fd = open(path, O_WRONLY | O_CREAT, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(ftruncate(fd, MAMORI_POLICY_MAX_BYTES + 1), 0);
    close(fd);
    cr_assert_eq(mamori_policy_load(path, &p, &err), -1);
    cr_assert(strstr(err.message, "byte limit") != NULL, "%s", err.message);
}

Test(policy, usb_allow_matching_rules)
{
    struct mamori_usb_allow a = {.vid = 0x0781, .pid = 0x5567, .serial = "S1", .until = 2000};

    cr_assert(mamori_usb_allow_matches(&a, 0x0781, 0x5567, "S1", NULL, 1999));
    cr_assert_not(mamori_usb_allow_matches(&a, 0x0781, 0x5567, "S1", NULL, 2001), "expired");
    cr_assert_not(mamori_usb_allow_matches(&a, 0x0781, 0x5567, "S2", NULL, 1000), "serial");
    cr_assert_not(mamori_usb_allow_matches(&a, 0x0781, 0x5567, NULL, NULL, 1000),
                  "a device without serial never matches an entry that names one");
    cr_assert_not(mamori_usb_allow_matches(&a, 0x0781, 0x5568, "S1", NULL, 1000), "pid");
    a.hash = "ab";
    cr_assert_not(mamori_usb_allow_matches(&a, 0x0781, 0x5567, "S1", "cd", 1000), "hash");
    cr_assert(mamori_usb_allow_matches(&a, 0x0781, 0x5567, "S1", "ab", 1000));
}

Test(policy, error_format_without_line)
{
    struct mamori_policy_error err = {.path = "usb.mode", .message = "boom"};
    char buf[256];

    mamori_policy_error_format(&err, "/etc/mamori/policy.json", buf, sizeof(buf));
    cr_assert_str_eq(buf, "/etc/mamori/policy.json: key 'usb.mode': boom");
}

Test(policy, bad_hash_after_until_frees_everything)
{
    struct mamori_policy_error err;

    /* Found by fuzz_policy: "until" was leaked when "hash" was refused.
     * (The leak itself is caught by ASan/LSan in the sanitizer run.) */
    parse_error("{\"segment\":\"lgwan\",\"usb\":{\"allow\":[{\"id\":\"0781:5567\",\"until\":"
                "\"2027-03-31\",\"hash\":\"zz\"}]}}",
                &err);
    cr_assert_str_eq(err.path, "usb.allow[0].hash");
}
