/* tls_responder.h -- a small, real TLS/HTTP server for transport tests.
 *
 * Test-only stand-in for the collector: a private PKI made with OpenSSL
 * (CA, server certificate, an expired one, an unrelated CA) and a forked
 * OpenSSL server on 127.0.0.1 that answers POST /v1/enroll (issuing device
 * certificates from the CSR) and POST /v1/reports with scripted statuses.
 * Every request is appended to <dir>/requests.log as "<path> <body>\n". */
#ifndef MAMORI_TEST_TLS_RESPONDER_H
#define MAMORI_TEST_TLS_RESPONDER_H

#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define TLS_TEST_SECRET "s3cret-enrolment"

struct tls_pki {
    char dir[64];
    EVP_PKEY *ca_key;
    X509 *ca;
    char ca_file[128], other_ca_file[128];
    char server_cert[128], server_key[128], expired_cert[128], chain_file[128];
    char secret_file[128];
};

/* Build the PKI in a fresh temporary directory. */
void tls_pki_create(struct tls_pki *pki);
void tls_pki_destroy(struct tls_pki *pki);

/* Answers to /v1/reports, consumed in order; the last one repeats. */
struct tls_answer {
    int status;
    const char *body;
};

struct tls_responder_cfg {
    const char *cert_file; /* server certificate (chain) PEM */
    int tls12_only;
    const struct tls_answer *answers;
    int nanswers;
};

struct tls_responder {
    pid_t pid;
    int port;
};

/* Start on port (0 = any free port).  Returns after the socket listens. */
void tls_responder_start(struct tls_responder *r, const struct tls_pki *pki,
                         const struct tls_responder_cfg *cfg, int port);
void tls_responder_stop(struct tls_responder *r);

/* Number of logged requests for path, and the body of the i-th one
 * (malloc'd) -- NULL when there are fewer. */
int tls_log_count(const struct tls_pki *pki, const char *path);
char *tls_log_body(const struct tls_pki *pki, const char *path, int i);

#endif
