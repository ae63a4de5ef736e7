/* ctl_check.c -- `mamorictl check [--json] [--root DIR] [--policy FILE] [--segment NAME]`.
 *
 * Runs every registered check once, without the daemon, and prints either a
 * table for the helpdesk (Japanese under a ja locale) or one JSON document.
 * Exit status: 0 all pass (or not applicable), 1 any fail, 2 error (a check
 * could not decide, or the policy or options are wrong). */
#include "ctl_check.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "cli_text.h"
#include "ctl_policy.h"

static const char *json_str(const cJSON *obj, const char *key)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsString(s) ? s->valuestring : "";
}

void mamori_ctl_print_check(FILE *out, const cJSON *check)
{
    const char *verdict = json_str(check, "verdict");
    const char *detail = cli_pick(cJSON_GetObjectItemCaseSensitive(check, "detail"));

    fprintf(out, "%s[%s]%s %s  %s\n", cli_colour(out, verdict), cli_verdict_label(verdict),
            cli_colour_reset(out), cli_pick(cJSON_GetObjectItemCaseSensitive(check, "title")),
            json_str(check, "id"));
    if (detail[0])
        fprintf(out, "    %s %s\n", _("Found:"), detail);
    if (strcmp(verdict, "fail") == 0 || strcmp(verdict, "error") == 0) {
        fprintf(out, "    %s %s\n", _("Fix:"),
                cli_pick(cJSON_GetObjectItemCaseSensitive(check, "remediation")));
        fprintf(out, "    %s %s\n", _("Rule:"), json_str(check, "clause"));
    }
}

static int summary_count(const cJSON *doc, const char *key)
{
    const cJSON *n =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "summary"), key);

    return cJSON_IsNumber(n) ? n->valueint : 0;
}

static void print_table(const cJSON *doc, const struct mamori_policy *pol, const char *root)
{
    const cJSON *c;

    printf(_("mamori posture check -- segment: %s, policy: %s\n"),
           cli_segment_label(mamori_segment_name(pol->segment)), pol->version);
    if (root[0])
        printf(_("(reading the file tree under %s)\n"), root);
    printf("\n");
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(doc, "checks"))
        mamori_ctl_print_check(stdout, c);
    printf(_("\nResult: %d passed, %d failed, %d errors, %d not applicable\n"),
           summary_count(doc, "pass"), summary_count(doc, "fail"), summary_count(doc, "error"),
           summary_count(doc, "not_applicable"));
}

static void add_context(cJSON *doc, const struct mamori_policy *pol, const char *root, time_t now)
{
    char stamp[32];
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddNumberToObject(doc, "schema", 1);
    cJSON_AddStringToObject(doc, "time", stamp);
    cJSON_AddStringToObject(doc, "segment", mamori_segment_name(pol->segment));
    cJSON_AddStringToObject(doc, "policy_version", pol->version);
    cJSON_AddStringToObject(doc, "root", root);
}

static void usage(FILE *out)
{
    fprintf(out,
            _("usage: mamorictl check [--json] [--root DIR] [--policy FILE | --segment NAME]\n"
              "  --json          print one JSON document instead of the table\n"
              "  --root DIR      read every file below DIR instead of / (fixture trees)\n"
              "  --policy FILE   policy file (default %s)\n"
              "  --segment NAME  use the built-in policy of mynumber, lgwan or internet\n"),
            MAMORI_POLICY_DEFAULT_PATH);
}

int mamori_ctl_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},         {"root", required_argument, NULL, 'r'},
        {"policy", required_argument, NULL, 'p'}, {"segment", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *root = "", *policy_path = NULL, *segment = NULL;
    struct mamori_policy *pol;
    struct mamori_check_ctx ctx;
    bool json = false;
    int c, status = 2;
    cJSON *doc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "jr:p:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'r':
            root = optarg;
            break;
        case 'p':
            policy_path = optarg;
            break;
        case 's':
            segment = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (mamori_ctl_policy_load(policy_path, segment, &pol) != 0)
        return 2;
    ctx = (struct mamori_check_ctx){.root = root, .policy = pol, .now = time(NULL)};
    doc = mamori_check_run_all(&ctx, &status);
    if (doc == NULL) {
        fprintf(stderr, "mamorictl: out of memory\n");
        mamori_policy_free(pol);
        return 2;
    }
    if (json) {
        char *text;

        add_context(doc, pol, root, ctx.now);
        text = cJSON_Print(doc);
        if (text != NULL)
            puts(text);
        free(text);
    } else {
        print_table(doc, pol, root);
    }
    cJSON_Delete(doc);
    mamori_policy_free(pol);
    return status;
}
