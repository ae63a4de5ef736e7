/* courier.c -- mamori-courier: takes spooled reports from mamori-agent,
 * signs them with the device key and delivers them to the collector.
 *
 *   mamori-courier [--foreground]      (started by mamori-agent only)
 *
 * The resident agent stays small and never touches the network: this
 * short-lived program is the only one that loads OpenSSL and libcurl,
 * holds the device key, and parses what the collector (or anything on the
 * way) sends back.  The agent starts it as the unprivileged user "mamori"
 * (or "nobody") with the key, certificate and CA as open files, because
 * the courier itself may not open anything in the root-only state
 * directory; it refuses to run as root.  It makes itself undumpable before
 * reading the key, so no other process of that user can read its memory.
 * The conversation is courier_proto.h; exit status 0 at the end of input,
 * 2 when it cannot start. */
#include "agentd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <syslog.h>
#include <unistd.h>

#include <curl/curl.h>

#include "courier_proto.h"
#include "sender.h"

/* Read a whole PEM file from an inherited descriptor, then close it. */
static char *read_fd_text(int fd, const char *what)
{
    char *buf = malloc(COURIER_MAX_PEM + 1);
    size_t len = 0;
    ssize_t n = 0;

    while (buf != NULL && len < COURIER_MAX_PEM &&
           ((n = read(fd, buf + len, COURIER_MAX_PEM - len)) > 0 || (n < 0 && errno == EINTR)))
        len += n > 0 ? (size_t)n : 0;
    close(fd);
    if (buf == NULL || n < 0 || len == 0 || len == COURIER_MAX_PEM) {
        agentd_log(LOG_ERR, "cannot read the %s from descriptor %d", what, fd);
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

static void wipe(char *secret)
{
    if (secret != NULL)
        explicit_bzero(secret, strlen(secret));
    free(secret);
}

/* One line from the agent (without its newline); NULL at end of input. */
static char *read_line(FILE *in, char **buf, size_t *cap)
{
    ssize_t n = getline(buf, cap, in);

    if (n <= 0)
        return NULL;
    if (n > COURIER_MAX_LINE) {
        agentd_log(LOG_ERR, "a line from the agent is longer than %d bytes", COURIER_MAX_LINE);
        return NULL;
    }
    if ((*buf)[n - 1] == '\n')
        (*buf)[n - 1] = '\0';
    return *buf;
}

/* One answer line (doc is consumed). */
static int send_answer(cJSON *doc)
{
    char *text = cJSON_PrintUnformatted(doc);
    int rc;

    cJSON_Delete(doc);
    rc = text != NULL && printf("%s\n", text) > 0 && fflush(stdout) == 0 ? 0 : -1;
    free(text);
    return rc;
}

static const char *outcome_name(enum mamori_send_outcome o)
{
    switch (o) {
    case MAMORI_SEND_STORED:
        return COURIER_STORED;
    case MAMORI_SEND_REFUSED:
        return COURIER_REFUSED;
    case MAMORI_SEND_UNKNOWN_NODE:
        return COURIER_UNKNOWN_NODE;
    case MAMORI_SEND_REVOKED:
        return COURIER_REVOKED;
    default:
        return COURIER_RETRY;
    }
}

static int answer(uint64_t seq, const char *outcome, const char *error, const char *policy_offer)
{
    cJSON *doc = cJSON_CreateObject();

    cJSON_AddNumberToObject(doc, "seq", (double)seq);
    cJSON_AddStringToObject(doc, "outcome", outcome);
    if (error != NULL && strcmp(outcome, COURIER_STORED) != 0)
        cJSON_AddStringToObject(doc, "error", error);
    if (policy_offer != NULL && policy_offer[0] && strcmp(outcome, COURIER_STORED) == 0)
        cJSON_AddStringToObject(doc, "policy_bundle", policy_offer);
    return send_answer(doc);
}

/* {"fetch":"policy"}: the signed bundle, passed on unchecked -- the agent
 * checks it against the key it pinned. */
static int fetch_policy(struct mamori_sender *s, const cJSON *req, const char *setup_error)
{
    const char *have = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "have"));
    cJSON *doc = cJSON_CreateObject();
    char err[1024] = "", *jws = NULL;
    size_t len = 0;
    int rc = -1;

    if (s == NULL)
        snprintf(err, sizeof(err), "%s", setup_error);
    else
        rc = mamori_sender_fetch_policy(s, have, &jws, &len, err, sizeof(err));
    cJSON_AddStringToObject(doc, "fetch", "policy");
    cJSON_AddStringToObject(doc, "outcome",
                            rc == 0   ? COURIER_FETCHED
                            : rc == 1 ? COURIER_NONE
                                      : COURIER_RETRY);
    if (rc == 0)
        cJSON_AddStringToObject(doc, "jws", jws);
    else if (rc < 0)
        cJSON_AddStringToObject(doc, "error", err);
    free(jws);
    return send_answer(doc);
}

/* The first line: where to, through which proxy.  Then the sender. */
static struct mamori_sender *start_sender(FILE *in, char **line, size_t *cap, char *err,
                                          size_t errlen)
{
    struct mamori_sender_config cfg = {0};
    struct mamori_sender *s = NULL;
    cJSON *hello = read_line(in, line, cap) ? cJSON_Parse(*line) : NULL;

    cfg.server_url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(hello, "server"));
    cfg.proxy = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(hello, "proxy"));
    cfg.key_pem = read_fd_text(COURIER_FD_KEY, "device key");
    cfg.cert_pem = read_fd_text(COURIER_FD_CERT, "device certificate");
    cfg.ca_pem = read_fd_text(COURIER_FD_CA, "collector CA");
    if (cfg.server_url == NULL)
        snprintf(err, errlen, "the agent named no collector");
    else if (cfg.key_pem != NULL && cfg.cert_pem != NULL && cfg.ca_pem != NULL)
        s = mamori_sender_new(&cfg, err, errlen);
    else
        snprintf(err, errlen, "the enrolment files could not be read");
    wipe((char *)cfg.key_pem);
    free((char *)cfg.cert_pem);
    free((char *)cfg.ca_pem);
    cJSON_Delete(hello);
    return s;
}

static int deliver_all(FILE *in, char **line, size_t *cap, struct mamori_sender *s,
                       const char *setup_error)
{
    while (read_line(in, line, cap) != NULL) {
        cJSON *req = cJSON_Parse(*line);
        const char *fetch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "fetch"));
        const cJSON *seq = cJSON_GetObjectItemCaseSensitive(req, "seq");
        const char *payload =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "payload"));
        const char *jws = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "jws"));
        const char *data = payload ? payload : jws;
        char err[1024] = "";
        enum mamori_send_outcome o = MAMORI_SEND_RETRY;
        int rc;

        if (fetch != NULL && strcmp(fetch, "policy") == 0) {
            rc = fetch_policy(s, req, setup_error);
            cJSON_Delete(req);
            if (rc != 0)
                return 2;
            continue;
        }
        if (!cJSON_IsNumber(seq) || seq->valuedouble < 1 || data == NULL) {
            agentd_log(LOG_ERR, "the agent sent something that is not a report");
            cJSON_Delete(req);
            return 2;
        }
        if (s == NULL)
            snprintf(err, sizeof(err), "%s", setup_error);
        else
            o = mamori_sender_send(s, (uint64_t)seq->valuedouble, data, strlen(data),
                                   payload == NULL, err, sizeof(err));
        rc = answer((uint64_t)seq->valuedouble, outcome_name(o), err,
                    s ? mamori_sender_policy_offer(s) : NULL);
        cJSON_Delete(req);
        if (rc != 0)
            return 2; /* the agent went away */
        if (s == NULL)
            return 0; /* told it why; it backs off */
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct mamori_sender *s;
    char *line = NULL, err[1024] = "";
    size_t cap = 0;
    int rc;

    agentd_log_open("mamori-courier", argc > 1 && strcmp(argv[1], "--foreground") == 0);
    /* Before the key is read: no core file, no ptrace by the same user. */
    prctl(PR_SET_DUMPABLE, 0);
    if (getuid() == 0 || geteuid() == 0) {
        agentd_log(LOG_ERR, "refusing to run as root: mamori-agent starts this program as an "
                            "unprivileged user");
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        agentd_log(LOG_ERR, "cannot initialise libcurl");
        return 2;
    }
    s = start_sender(stdin, &line, &cap, err, sizeof(err));
    rc = deliver_all(stdin, &line, &cap, s, err);
    mamori_sender_free(s);
    free(line);
    curl_global_cleanup();
    return rc;
}
