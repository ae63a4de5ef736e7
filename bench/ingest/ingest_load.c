/* ingest_load.c -- load generator for mamori-server ingest.
 *
 * Enrols N simulated hosts over HTTPS (secret + CSR), pre-signs M reports per
 * host with increasing seq (signing is the agents' cost, not the
 * collector's), then drives all hosts at once through one libcurl multi
 * handle on epoll: N concurrent keep-alive TLS 1.3 connections, each with its own
 * client certificate, each posting its reports back to back.  Prints the
 * accepted reports per second of the timed phase and the CPU time this
 * load generator itself used in it (it shares the machine's cores).
 *
 * Every report is TEMPLATE (a real agent's payload, e.g. the demo PC's
 * `mamorictl report`) with host.id, host.hostname, seq and time replaced.
 *
 * With MAMORI_BENCH_SERVER_PID set, also prints the collector's CPU time per
 * report over the same phase (from /proc/PID/stat).
 *
 * usage: ingest_load URL CA_FILE SECRET_FILE WORKDIR CLIENTS REPORTS TEMPLATE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "device_key.h"
#include "jws.h"

struct client {
    char id[65];
    EVP_PKEY *key;
    char cert_file[512], key_file[512];
    char **reports;
    int next, accepted, failed;
    CURL *easy;
    struct curl_slist *headers;
    char body[8192];
    size_t body_len;
};

static const char *url, *ca_file;

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    struct client *c = arg;
    size_t room = sizeof(c->body) - 1 - c->body_len, take = size * n < room ? size * n : room;
    memcpy(c->body + c->body_len, data, take);
    c->body_len += take;
    c->body[c->body_len] = '\0';
    return size * n;
}

static int enrol(struct client *c, const char *secret, const char *dir, int i)
{
    cJSON *req = cJSON_CreateObject(), *host = cJSON_AddObjectToObject(req, "host"), *resp;
    char *csr = mamori_csr_create_pem(c->key, c->id), *body, endpoint[512], name[32];
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    CURL *e = curl_easy_init();
    FILE *f;
    long status = 0;
    int rc = -1;

    snprintf(name, sizeof(name), "bench-%04d", i);
    cJSON_AddStringToObject(req, "secret", secret);
    cJSON_AddStringToObject(req, "csr", csr);
    cJSON_AddStringToObject(host, "id", c->id);
    cJSON_AddStringToObject(host, "hostname", name);
    cJSON_AddStringToObject(host, "segment", "lgwan");
    body = cJSON_PrintUnformatted(req);
    snprintf(endpoint, sizeof(endpoint), "%s/v1/enroll", url);
    curl_easy_setopt(e, CURLOPT_URL, endpoint);
    curl_easy_setopt(e, CURLOPT_CAINFO, ca_file);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    c->body_len = 0;
    if (curl_easy_perform(e) == CURLE_OK)
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    resp = status == 200 ? cJSON_Parse(c->body) : NULL;
    snprintf(c->cert_file, sizeof(c->cert_file), "%s/%s.pem", dir, name);
    snprintf(c->key_file, sizeof(c->key_file), "%s/%s.key", dir, name);
    if (resp != NULL && (f = fopen(c->cert_file, "w")) != NULL) {
        fputs(cJSON_GetObjectItem(resp, "certificate")->valuestring, f);
        fclose(f);
        f = fopen(c->key_file, "w");
        rc = f && PEM_write_PrivateKey(f, c->key, NULL, NULL, 0, NULL, NULL) == 1 ? 0 : -1;
        if (f)
            fclose(f);
    }
    cJSON_Delete(resp);
    cJSON_Delete(req);
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    free(body);
    free(csr);
    return rc;
}

static cJSON *template_doc;

/* The template report as this host's report number seq. */
static char *payload(const struct client *c, int index, int seq)
{
    cJSON *doc = cJSON_Duplicate(template_doc, 1), *host = cJSON_GetObjectItem(doc, "host");
    char when[32], name[32], *text;
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(name, sizeof(name), "bench-%04d", index);
    cJSON_ReplaceItemInObject(host, "id", cJSON_CreateString(c->id));
    cJSON_ReplaceItemInObject(host, "hostname", cJSON_CreateString(name));
    cJSON_ReplaceItemInObject(doc, "seq", cJSON_CreateNumber(seq));
    cJSON_ReplaceItemInObject(doc, "time", cJSON_CreateString(when));
    text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return text;
}

static cJSON *read_template(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = malloc(1 << 20);
    size_t n = f && buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    cJSON *doc;
    if (f)
        fclose(f);
    if (buf == NULL)
        return NULL;
    buf[n] = '\0';
    doc = cJSON_Parse(buf);
    free(buf);
    return cJSON_IsObject(cJSON_GetObjectItem(doc, "host")) ? doc : NULL;
}

/* CPU seconds of process pid (the collector) so far, or -1. */
static double proc_cpu_s(const char *pid)
{
    char path[64], buf[1024], *p;
    unsigned long ut = 0, st = 0;
    FILE *f;
    size_t n;
    if (pid == NULL)
        return -1;
    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields 14 and 15 (utime, stime) follow the parenthesised command name. */
    if ((p = strrchr(buf, ')')) == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
           u.ru_stime.tv_usec / 1e6;
}

static void arm(struct client *c, CURLM *multi)
{
    char endpoint[512];
    snprintf(endpoint, sizeof(endpoint), "%s/v1/reports", url);
    if (c->easy == NULL) {
        c->easy = curl_easy_init();
        c->headers = curl_slist_append(NULL, "Content-Type: application/jose");
        /* As the agent's sender (transport/https_client.c): no "Expect:
         * 100-continue", which libcurl 7.88 adds to bodies over 1 KiB and
         * which costs both sides a round trip per report. */
        c->headers = curl_slist_append(c->headers, "Expect:");
        curl_easy_setopt(c->easy, CURLOPT_URL, endpoint);
        curl_easy_setopt(c->easy, CURLOPT_CAINFO, ca_file);
        curl_easy_setopt(c->easy, CURLOPT_SSLCERT, c->cert_file);
        curl_easy_setopt(c->easy, CURLOPT_SSLKEY, c->key_file);
        curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
        curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
        curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
    }
    c->body_len = 0;
    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->reports[c->next]);
    curl_multi_add_handle(multi, c->easy);
}

/* The multi handle driven through epoll (curl_multi_socket_action): each
 * wake-up costs in proportion to the sockets that are ready, not to all
 * CLIENTS connections, so the load generator takes as little of the shared
 * cores as it can. */
struct driver {
    CURLM *multi;
    int epfd;
    long timeout_ms; /* from libcurl's timer callback; -1 = none */
};

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *socketp)
{
    struct driver *d = arg;
    struct epoll_event ev = {.data.fd = fd};
    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
        curl_multi_assign(d->multi, fd, NULL);
        return 0;
    }
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
    if (socketp == NULL) {
        epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
        curl_multi_assign(d->multi, fd, d); /* any non-NULL mark: "in the epoll set" */
    } else {
        epoll_ctl(d->epfd, EPOLL_CTL_MOD, fd, &ev);
    }
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *arg)
{
    struct driver *d = arg;
    (void)multi;
    d->timeout_ms = timeout_ms;
    return 0;
}

/* Count finished requests and post each client's next report. */
static int harvest(struct driver *d, int per)
{
    CURLMsg *m;
    int left, finished = 0;
    while ((m = curl_multi_info_read(d->multi, &left)) != NULL) {
        struct client *c;
        long status = 0;
        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
        curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        curl_multi_remove_handle(d->multi, m->easy_handle);
        if (m->data.result == CURLE_OK && status == 200)
            c->accepted++;
        else
            c->failed++;
        finished++;
        if (++c->next < per)
            arm(c, d->multi);
    }
    return finished;
}

static int drive(struct client *cs, int n, int per)
{
    struct driver d = {
        .multi = curl_multi_init(), .epfd = epoll_create1(EPOLL_CLOEXEC), .timeout_ms = -1};
    struct epoll_event ev[64];
    int running = 0, remaining = n * per;

    if (d.multi == NULL || d.epfd < 0)
        return -1;
    curl_multi_setopt(d.multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
    curl_multi_setopt(d.multi, CURLMOPT_MAXCONNECTS, (long)n + 8);
    curl_multi_setopt(d.multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(d.multi, CURLMOPT_SOCKETDATA, &d);
    curl_multi_setopt(d.multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(d.multi, CURLMOPT_TIMERDATA, &d);
    for (int i = 0; i < n; i++)
        arm(&cs[i], d.multi);
    while (remaining > 0) {
        int ready = epoll_wait(d.epfd, ev, 64, d.timeout_ms < 0 ? 1000 : (int)d.timeout_ms);
        if (ready <= 0) { /* libcurl's timer is one-shot: it sets the next one itself */
            d.timeout_ms = -1;
            curl_multi_socket_action(d.multi, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        for (int i = 0; i < ready; i++) {
            int flags = (ev[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                        (ev[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                        (ev[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
            curl_multi_socket_action(d.multi, ev[i].data.fd, flags, &running);
        }
        remaining -= harvest(&d, per);
    }
    curl_multi_cleanup(d.multi);
    close(d.epfd);
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    struct client *cs;
    char secret[256] = "";
    FILE *f;
    int n, per, accepted = 0, failed = 0;
    double t0, t1, c0, c1, s0, s1;
    const char *server_pid = getenv("MAMORI_BENCH_SERVER_PID");
    size_t bytes = 0;

    if (argc != 8) {
        fprintf(stderr, "usage: ingest_load URL CA SECRET_FILE WORKDIR CLIENTS REPORTS TEMPLATE\n");
        return 2;
    }
    if ((template_doc = read_template(argv[7])) == NULL) {
        fprintf(stderr, "ingest_load: %s: not a report payload (JSON with a host)\n", argv[7]);
        return 2;
    }
    url = argv[1];
    ca_file = argv[2];
    n = atoi(argv[5]);
    per = atoi(argv[6]);
    if ((f = fopen(argv[3], "r")) == NULL || fscanf(f, "%255s", secret) != 1) {
        fprintf(stderr, "ingest_load: cannot read %s\n", argv[3]);
        return 1;
    }
    fclose(f);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    cs = calloc((size_t)n, sizeof(*cs));
    for (int i = 0; i < n; i++) {
        unsigned char raw[32];
        EVP_PKEY_CTX *k = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
        RAND_bytes(raw, sizeof(raw));
        for (int j = 0; j < 32; j++)
            snprintf(cs[i].id + 2 * j, 3, "%02x", raw[j]);
        EVP_PKEY_keygen_init(k);
        EVP_PKEY_keygen(k, &cs[i].key);
        EVP_PKEY_CTX_free(k);
        if (enrol(&cs[i], secret, argv[4], i) != 0) {
            fprintf(stderr, "ingest_load: enrolment %d failed: %s\n", i, cs[i].body);
            return 1;
        }
        cs[i].reports = calloc((size_t)per, sizeof(char *));
        for (int s = 0; s < per; s++) {
            char *p = payload(&cs[i], i, s + 1);
            mamori_jws_sign(cs[i].key, p, strlen(p), &cs[i].reports[s]);
            bytes += strlen(cs[i].reports[s]);
            free(p);
        }
    }
    t0 = now_s();
    c0 = cpu_s();
    s0 = proc_cpu_s(server_pid);
    drive(cs, n, per);
    s1 = proc_cpu_s(server_pid);
    c1 = cpu_s();
    t1 = now_s();
    for (int i = 0; i < n; i++) {
        accepted += cs[i].accepted;
        failed += cs[i].failed;
        for (int s = 0; s < per; s++)
            free(cs[i].reports[s]);
        free(cs[i].reports);
        curl_easy_cleanup(cs[i].easy);
        curl_slist_free_all(cs[i].headers);
        EVP_PKEY_free(cs[i].key);
    }
    free(cs);
    printf("clients=%d reports=%d accepted=%d failed=%d seconds=%.3f rate=%.0f "
           "report_bytes=%zu client_cpu_us=%.0f server_cpu_us=%.0f\n",
           n, n * per, accepted, failed, t1 - t0, accepted / (t1 - t0),
           bytes / (size_t)(n * per > 0 ? n * per : 1),
           accepted > 0 ? (c1 - c0) * 1e6 / accepted : 0.0,
           accepted > 0 && s0 >= 0 && s1 >= 0 ? (s1 - s0) * 1e6 / accepted : -1.0);
    cJSON_Delete(template_doc);
    curl_global_cleanup();
    return failed == 0 ? 0 : 1;
}
