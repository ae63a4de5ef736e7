/* tls_responder.c -- test-only TLS/HTTP responder; see tls_responder.h. */
#include "tls_responder.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

static EVP_PKEY *new_key(void)
{
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    cr_assert(c && EVP_PKEY_keygen_init(c) == 1 && EVP_PKEY_keygen(c, &k) == 1);
    EVP_PKEY_CTX_free(c);
    return k;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    cr_assert_not_null(ext);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

/* Certificate for pub, valid from now+from_days to now+to_days. */
static X509 *issue(EVP_PKEY *pub, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                   long from_days, long to_days, int is_ca)
{
    static long serial = 1;
    X509 *c = X509_new();
    X509_set_version(c, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c), serial++);
    X509_gmtime_adj(X509_getm_notBefore(c), from_days * 86400);
    X509_gmtime_adj(X509_getm_notAfter(c), to_days * 86400);
    X509_set_pubkey(c, pub);
    X509_NAME *name = X509_get_subject_name(c);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
    if (is_ca) {
        add_ext(c, issuer, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(c, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(c, issuer, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(c, issuer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    }
    cr_assert(X509_sign(c, issuer_key, NULL) > 0);
    return c;
}

static void write_cert(const char *path, X509 *a, X509 *b)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    PEM_write_X509(f, a);
    if (b)
        PEM_write_X509(f, b);
    fclose(f);
}

static void write_key(const char *path, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
}

void tls_pki_create(struct tls_pki *pki)
{
    snprintf(pki->dir, sizeof pki->dir, "/tmp/t_tls.XXXXXX");
    cr_assert_not_null(mkdtemp(pki->dir));
#define P(field, name) snprintf(pki->field, sizeof pki->field, "%s/" name, pki->dir)
    P(ca_file, "ca.crt");
    P(other_ca_file, "other-ca.crt");
    P(server_cert, "server.crt");
    P(server_key, "server.key");
    P(expired_cert, "expired.crt");
    P(chain_file, "chain.crt");
    P(secret_file, "secret");
#undef P
    pki->ca_key = new_key();
    pki->ca = issue(pki->ca_key, "mamori test CA", NULL, pki->ca_key, -1, 30, 1);
    EVP_PKEY *server_key = new_key();
    X509 *server = issue(server_key, "localhost", pki->ca, pki->ca_key, -1, 30, 0);
    X509 *expired = issue(server_key, "localhost", pki->ca, pki->ca_key, -10, -1, 0);
    EVP_PKEY *other_key = new_key();
    X509 *other = issue(other_key, "mamori test CA", NULL, other_key, -1, 30, 1);
    write_cert(pki->ca_file, pki->ca, NULL);
    write_cert(pki->other_ca_file, other, NULL);
    write_cert(pki->server_cert, server, NULL);
    write_cert(pki->chain_file, server, pki->ca);
    write_cert(pki->expired_cert, expired, NULL);
    write_key(pki->server_key, server_key);
    FILE *f = fopen(pki->secret_file, "w");
    fputs(TLS_TEST_SECRET "\n", f);
    fclose(f);
    chmod(pki->secret_file, 0600);
    X509_free(server);
    X509_free(expired);
    X509_free(other);
    EVP_PKEY_free(server_key);
    EVP_PKEY_free(other_key);
}

void tls_pki_destroy(struct tls_pki *pki)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", pki->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", pki->dir);
    X509_free(pki->ca);
    EVP_PKEY_free(pki->ca_key);
}

/* ---- the server process ------------------------------------------------ */

static void log_request(const struct tls_pki *pki, const char *path, const char *body)
{
    char logf[128];
    snprintf(logf, sizeof logf, "%s/requests.log", pki->dir);
    FILE *f = fopen(logf, "a");
    fprintf(f, "%s %s\n", path, body);
    fclose(f);
}

static char *pem_of(X509 *c)
{
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, c);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *out = strndup(data, (size_t)n);
    BIO_free(b);
    return out;
}

/* /v1/enroll: check the secret, issue a certificate for the CSR's key. */
static int handle_enroll(const struct tls_pki *pki, const char *body, char **resp)
{
    cJSON *req = cJSON_Parse(body);
    const char *secret = cJSON_GetStringValue(cJSON_GetObjectItem(req, "secret"));
    const char *csr = cJSON_GetStringValue(cJSON_GetObjectItem(req, "csr"));
    const char *id =
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(req, "host"), "id"));
    int status = 400;
    *resp = strdup("{\"error\":\"malformed\"}");
    if (secret && strcmp(secret, TLS_TEST_SECRET) != 0) {
        status = 403;
    } else if (csr && id) {
        BIO *b = BIO_new_mem_buf(csr, -1);
        X509_REQ *r = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
        EVP_PKEY *pub = r ? X509_REQ_get_pubkey(r) : NULL;
        if (pub && X509_REQ_verify(r, pub) == 1) {
            X509 *cert = issue(pub, id, pki->ca, pki->ca_key, -1, 30, 0);
            cJSON *out = cJSON_CreateObject();
            char *cp = pem_of(cert), *cap = pem_of(pki->ca);
            cJSON_AddStringToObject(out, "certificate", cp);
            cJSON_AddStringToObject(out, "ca", cap);
            cJSON_AddStringToObject(out, "host_id", id);
            free(*resp);
            *resp = cJSON_PrintUnformatted(out);
            free(cp);
            free(cap);
            cJSON_Delete(out);
            X509_free(cert);
            status = 200;
        }
        EVP_PKEY_free(pub);
        X509_REQ_free(r);
        BIO_free(b);
    }
    cJSON_Delete(req);
    return status;
}

/* Read one HTTP request: path and body (malloc'd). */
static int read_request(SSL *ssl, char *path, size_t pathlen, char **body)
{
    static char buf[512 * 1024];
    size_t got = 0;
    char *hdr_end = NULL;
    while (!hdr_end && got < sizeof buf - 1) {
        int n = SSL_read(ssl, buf + got, (int)(sizeof buf - 1 - got));
        if (n <= 0)
            return -1;
        got += (size_t)n;
        buf[got] = '\0';
        hdr_end = strstr(buf, "\r\n\r\n");
    }
    if (!hdr_end || sscanf(buf, "POST %255s", path) != 1 || pathlen < 256)
        return -1;
    const char *cl = strcasestr(buf, "\r\nContent-Length:");
    size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0;
    size_t head = (size_t)(hdr_end + 4 - buf);
    while (got < head + want && got < sizeof buf - 1) {
        int n = SSL_read(ssl, buf + got, (int)(sizeof buf - 1 - got));
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    *body = strndup(buf + head, want);
    return 0;
}

static void serve_one(SSL *ssl, const struct tls_pki *pki, const struct tls_responder_cfg *cfg,
                      int *next_answer)
{
    char path[256];
    char *body = NULL;
    if (read_request(ssl, path, sizeof path, &body) < 0)
        return;
    log_request(pki, path, body);
    char *resp = NULL;
    int status;
    if (strcmp(path, "/v1/enroll") == 0) {
        status = handle_enroll(pki, body, &resp);
    } else if (!SSL_get0_peer_certificate(ssl)) {
        status = 403;
        resp = strdup("{\"error\":\"certificate\"}");
    } else {
        const struct tls_answer *a = &cfg->answers[*next_answer];
        if (*next_answer < cfg->nanswers - 1)
            (*next_answer)++;
        status = a->status;
        resp = strdup(a->body);
    }
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, strlen(resp));
    SSL_write(ssl, head, n);
    SSL_write(ssl, resp, (int)strlen(resp));
    free(resp);
    free(body);
}

static SSL_CTX *server_ctx(const struct tls_pki *pki, const struct tls_responder_cfg *cfg)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (cfg->tls12_only)
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, pki->server_key, SSL_FILETYPE_PEM) != 1)
        _exit(3);
    SSL_CTX_load_verify_locations(ctx, pki->ca_file, NULL);
    /* Client certificates are optional at the TLS layer; /v1/reports demands one. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}

static void serve_forever(int lfd, const struct tls_pki *pki, const struct tls_responder_cfg *cfg)
{
    SSL_CTX *ctx = server_ctx(pki, cfg);
    int next_answer = 0;
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        SSL *ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) == 1) {
            serve_one(ssl, pki, cfg, &next_answer);
            SSL_shutdown(ssl);
        }
        SSL_free(ssl);
        close(fd);
    }
}

void tls_responder_start(struct tls_responder *r, const struct tls_pki *pki,
                         const struct tls_responder_cfg *cfg, int port)
{
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(listen(lfd, 16), 0);
    socklen_t len = sizeof sa;
    getsockname(lfd, (struct sockaddr *)&sa, &len);
    r->port = ntohs(sa.sin_port);
    r->pid = fork();
    cr_assert_neq(r->pid, -1);
    if (r->pid == 0) {
        /* Never outlive the test, even if it crashes before its .fini. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        alarm(120);
        signal(SIGPIPE, SIG_IGN);
        serve_forever(lfd, pki, cfg);
        _exit(0);
    }
    close(lfd);
}

void tls_responder_stop(struct tls_responder *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
    }
}

int tls_log_count(const struct tls_pki *pki, const char *path)
{
    int n = 0;
    for (char *b; (b = tls_log_body(pki, path, n)); n++)
        free(b);
    return n;
}

char *tls_log_body(const struct tls_pki *pki, const char *path, int i)
{
    char logf[128];
    snprintf(logf, sizeof logf, "%s/requests.log", pki->dir);
    FILE *f = fopen(logf, "r");
    if (!f)
        return NULL;
    char *line = NULL, *out = NULL;
    size_t cap = 0;
    size_t plen = strlen(path);
    int seen = 0;
    while (!out && getline(&line, &cap, f) > 0) {
        if (strncmp(line, path, plen) != 0 || line[plen] != ' ')
            continue;
        if (seen++ == i) {
            line[strcspn(line, "\n")] = '\0';
            out = strdup(line + plen + 1);
        }
    }
    free(line);
    fclose(f);
    return out;
}
