/* ctl_transport.c -- mamorictl report / queue / enroll.
 *
 * Thin front ends over transport/: report runs the checks once and prints
 * the signed report (the same bytes the agent would spool); queue shows the
 * spool without disturbing a running agent; enroll obtains the device
 * certificate.  Exit status: 0 success, 1 the operation failed (collector
 * refused, network), 2 usage or local configuration error. */
#include "ctl_transport.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bundle_sig.h"
#include "check.h"
#include "cli_text.h"
#include "ctl_policy.h"
#include "device_key.h"
#include "enroll.h"
#include "event.h"
#include "jws.h"
#include "outbox.h"
#include "report.h"
#include "spool.h"

struct report_opts {
    const char *key, *root, *policy, *segment, *state_dir, *host_id;
};

static int parse_report_opts(int argc, char **argv, struct report_opts *o)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},
        {"root", required_argument, NULL, 'r'},
        {"policy", required_argument, NULL, 'p'},
        {"segment", required_argument, NULL, 's'},
        {"state-dir", required_argument, NULL, 'd'},
        {"host-id", required_argument, NULL, 'i'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "k:r:p:s:d:i:", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            o->key = optarg;
            break;
        case 'r':
            o->root = optarg;
            break;
        case 'p':
            o->policy = optarg;
            break;
        case 's':
            o->segment = optarg;
            break;
        case 'd':
            o->state_dir = optarg;
            break;
        case 'i':
            o->host_id = optarg;
            break;
        default:
            return -1;
        }
    }
    return optind == argc ? 0 : -1;
}

static cJSON *build_report(const struct report_opts *o, const struct mamori_policy *pol,
                           const char *host_id)
{
    struct mamori_check_ctx ctx = {.root = o->root, .policy = pol, .now = time(NULL)};
    int status = 0;
    cJSON *doc = mamori_check_run_all(&ctx, &status);
    cJSON *checks = cJSON_DetachItemFromObjectCaseSensitive(doc, "checks");
    cJSON_Delete(doc);
    char hostname[256] = "";
    gethostname(hostname, sizeof hostname - 1);
    struct mamori_report_host host = {.id = host_id,
                                      .hostname = hostname,
                                      .segment = mamori_segment_name(pol->segment),
                                      .department = pol->department,
                                      .municipality = pol->municipality};
    return mamori_report_build(&host, 0, ctx.now, pol->version, checks, NULL, 0);
}

/* Seal the report as the agent would (next seq, pending events), sign it
 * with the device key (created when absent) and print the JWS. */
static int sign_and_print(const struct report_opts *o, cJSON *report)
{
    char err[512], key_path[PATH_MAX];
    uint64_t seq = 0;
    char *payload = NULL, *jws = NULL;
    EVP_PKEY *key = NULL;
    struct mamori_outbox *ob = mamori_outbox_open(o->state_dir, 0, 0, err, sizeof err);

    if (o->key)
        snprintf(key_path, sizeof key_path, "%s", o->key);
    else
        snprintf(key_path, sizeof key_path, "%s/" MAMORI_DEVICE_KEY_FILE, o->state_dir);
    if (ob)
        key = mamori_device_key_load_or_create(key_path, err, sizeof err);
    if (key)
        payload = mamori_outbox_seal(ob, report, &seq, err, sizeof err);
    else
        cJSON_Delete(report);
    if (payload && mamori_jws_sign(key, payload, strlen(payload), &jws) < 0)
        snprintf(err, sizeof err, "cannot sign report %llu", (unsigned long long)seq);
    if (jws)
        puts(jws);
    else
        fprintf(stderr, "mamorictl: %s\n", err);
    free(jws);
    free(payload);
    EVP_PKEY_free(key);
    mamori_outbox_close(ob);
    return jws ? 0 : 2;
}

int mamori_ctl_report(int argc, char **argv)
{
    struct report_opts o = {.root = "", .state_dir = MAMORI_STATEDIR};
    if (parse_report_opts(argc, argv, &o) < 0) {
        fprintf(stderr, _("usage: mamorictl report [--key FILE] [--root DIR] [--policy FILE | "
                          "--segment NAME] [--state-dir DIR] [--host-id HEX]\n"));
        return 2;
    }
    struct mamori_policy *pol = NULL;
    if (mamori_ctl_policy_load(o.policy, o.segment, &pol) != 0)
        return 2;
    char err[512], host_id[MAMORI_HOST_ID_LEN + 1];
    int rc = 2;
    if (mamori_host_id(o.root, o.host_id, host_id, sizeof host_id, err, sizeof err) < 0) {
        fprintf(stderr, "mamorictl: %s\n", err);
    } else {
        rc = sign_and_print(&o, build_report(&o, pol, host_id));
    }
    mamori_policy_free(pol);
    return rc;
}

static void print_queue_text(const struct mamori_spool *sp, const struct mamori_spool_stats *st)
{
    printf(_("reports waiting: %zu (%llu bytes)\n"), st->count, (unsigned long long)st->bytes);
    if (st->count > 0) {
        char stamp[32];
        mamori_time_rfc3339(st->oldest_time, stamp, sizeof stamp);
        printf(_("oldest: seq %llu, written %s\n"), (unsigned long long)st->oldest_seq, stamp);
        printf(_("newest: seq %llu\n"), (unsigned long long)st->newest_seq);
    }
    printf(_("dropped (not yet reported): %llu\n"), (unsigned long long)st->dropped);
    printf(_("refused by the collector (spool/rejected): %zu\n"), st->rejected);
    (void)sp;
}

static void print_queue_json(const struct mamori_spool *sp, const struct mamori_spool_stats *st)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "queue_length", (double)st->count);
    cJSON_AddNumberToObject(j, "queue_bytes", (double)st->bytes);
    cJSON_AddNumberToObject(j, "oldest_seq", (double)st->oldest_seq);
    cJSON_AddNumberToObject(j, "newest_seq", (double)st->newest_seq);
    cJSON_AddNumberToObject(j, "dropped", (double)st->dropped);
    cJSON_AddNumberToObject(j, "rejected", (double)st->rejected);
    cJSON *items = cJSON_AddArrayToObject(j, "seqs");
    for (size_t i = 0; i < st->count; i++)
        cJSON_AddItemToArray(items, cJSON_CreateNumber((double)mamori_spool_seq_at(sp, i)));
    char *text = cJSON_Print(j);
    puts(text ? text : "{}");
    free(text);
    cJSON_Delete(j);
}

int mamori_ctl_queue(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"state-dir", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    const char *state_dir = MAMORI_STATEDIR;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jd:", opts, NULL)) != -1) {
        if (c == 'j') {
            json = 1;
        } else if (c == 'd') {
            state_dir = optarg;
        } else {
            fprintf(stderr, _("usage: mamorictl queue [--json] [--state-dir DIR]\n"));
            return 2;
        }
    }
    char dir[PATH_MAX], err[512];
    snprintf(dir, sizeof dir, "%s/spool", state_dir);
    struct mamori_spool *sp = mamori_spool_inspect(dir, err, sizeof err);
    if (!sp) {
        fprintf(stderr, "mamorictl: %s\n", err);
        return 2;
    }
    struct mamori_spool_stats st;
    mamori_spool_stats(sp, &st);
    if (json)
        print_queue_json(sp, &st);
    else
        print_queue_text(sp, &st);
    mamori_spool_close(sp);
    return 0;
}

struct enroll_opts {
    const char *server, *secret_file, *state_dir, *ca_file, *ca_fp, *policy, *segment, *root,
        *host_id;
};

static int parse_enroll_opts(int argc, char **argv, struct enroll_opts *o)
{
    static const struct option opts[] = {
        {"server", required_argument, NULL, 'S'},
        {"secret-file", required_argument, NULL, 'f'},
        {"state-dir", required_argument, NULL, 'd'},
        {"ca-file", required_argument, NULL, 'c'},
        {"ca-fingerprint", required_argument, NULL, 'F'},
        {"policy", required_argument, NULL, 'p'},
        {"segment", required_argument, NULL, 's'},
        {"root", required_argument, NULL, 'r'},
        {"host-id", required_argument, NULL, 'i'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "S:f:d:c:F:p:s:r:i:", opts, NULL)) != -1) {
        switch (c) {
        case 'S':
            o->server = optarg;
            break;
        case 'f':
            o->secret_file = optarg;
            break;
        case 'd':
            o->state_dir = optarg;
            break;
        case 'c':
            o->ca_file = optarg;
            break;
        case 'F':
            o->ca_fp = optarg;
            break;
        case 'p':
            o->policy = optarg;
            break;
        case 's':
            o->segment = optarg;
            break;
        case 'r':
            o->root = optarg;
            break;
        case 'i':
            o->host_id = optarg;
            break;
        default:
            return -1;
        }
    }
    return optind == argc && o->server && o->secret_file ? 0 : -1;
}

static int ca_given(const struct enroll_opts *o)
{
    if (o->ca_file || o->ca_fp)
        return 1;
    fprintf(stderr, _("mamorictl: the collector CA must be given with --ca-file FILE or "
                      "--ca-fingerprint sha256:HEX (trust on first use is not allowed)\n"));
    return 0;
}

static int policy_key_pinned(const char *state_dir)
{
    char path[PATH_MAX];

    snprintf(path, sizeof path, "%s/%s", state_dir, MAMORI_POLICY_KEY_FILE);
    return access(path, F_OK) == 0;
}

int mamori_ctl_enroll(int argc, char **argv)
{
    struct enroll_opts o = {.state_dir = MAMORI_STATEDIR, .root = ""};
    if (parse_enroll_opts(argc, argv, &o) < 0) {
        fprintf(stderr, _("usage: mamorictl enroll --server URL --secret-file FILE "
                          "(--ca-file FILE | --ca-fingerprint sha256:HEX) [--state-dir DIR] "
                          "[--policy FILE | --segment NAME] [--host-id HEX]\n"));
        return 2;
    }
    if (!ca_given(&o))
        return 2;
    struct mamori_policy *pol = NULL;
    if (mamori_ctl_policy_load(o.policy, o.segment, &pol) != 0)
        return 2;
    char err[512], host_id[MAMORI_HOST_ID_LEN + 1], hostname[256] = "";
    char secret_path[PATH_MAX];
    char *secret = NULL;
    int rc = 2;
    gethostname(hostname, sizeof hostname - 1);
    /* Remembered (the path, never the secret) so that the agent can enrol
     * again by itself if the collector forgets this PC. */
    if (realpath(o.secret_file, secret_path) == NULL)
        snprintf(secret_path, sizeof secret_path, "%s", o.secret_file);
    if (mamori_host_id(o.root, o.host_id, host_id, sizeof host_id, err, sizeof err) < 0 ||
        !(secret = mamori_enroll_read_secret(o.secret_file, err, sizeof err))) {
        fprintf(stderr, "mamorictl: %s\n", err);
    } else {
        struct mamori_enroll_params p = {.server_url = o.server,
                                         .secret = secret,
                                         .secret_file = secret_path,
                                         .state_dir = o.state_dir,
                                         .ca_file = o.ca_file,
                                         .ca_fingerprint = o.ca_fp,
                                         .host_id = host_id,
                                         .hostname = hostname,
                                         .segment = mamori_segment_name(pol->segment),
                                         .department = pol->department,
                                         .municipality = pol->municipality,
                                         .proxy = pol->report.proxy};
        rc = mamori_enroll(&p, err, sizeof err) == 0 ? 0 : 1;
        if (rc != 0)
            fprintf(stderr, _("mamorictl: enrolment failed: %s\n"), err);
        else
            printf(_("enrolled with %s (state in %s)\n"), o.server, o.state_dir);
        if (rc == 0 && policy_key_pinned(o.state_dir))
            printf(_("the collector's central policy key is pinned: this PC accepts the policy"
                     " it distributes\n"));
    }
    free(secret);
    mamori_policy_free(pol);
    return rc;
}
