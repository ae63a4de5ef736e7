/* https_client.h -- one HTTPS POST to the collector, the way mamori allows.
 *
 * libcurl with: TLS 1.3 only; the collector CA as the only trust anchor (no
 * system store, so a public CA can never vouch for a fake collector);
 * host name verification; optional client certificate and key (the Ed25519
 * device identity); optional proxy from the policy; connect and total
 * timeouts; a cap on the response size.  CA, certificate and key come from
 * files, or from memory for the courier, which runs without the right to
 * open them (agent/courier.c). */
#ifndef MAMORI_HTTPS_CLIENT_H
#define MAMORI_HTTPS_CLIENT_H

#include <stddef.h>

#define MAMORI_HTTPS_CONNECT_TIMEOUT_S 10
#define MAMORI_HTTPS_TOTAL_TIMEOUT_S   30
#define MAMORI_HTTPS_MAX_RESPONSE      (64 * 1024)

struct mamori_https_config {
    const char *ca_file;   /* PEM, required */
    const char *cert_file; /* client certificate PEM, NULL = none */
    const char *key_file;  /* client key PEM */
    const char *proxy;     /* libcurl proxy string, NULL = none (and no env proxy) */
    /* "sha256:<hex>" of the CA certificate's DER: when set, ca_file may be
     * NULL and the peer chain must contain a certificate with that digest,
     * which then is the only trust anchor (enrolment with a pinned CA). */
    const char *ca_fingerprint;
    /* In-memory PEM (NUL-terminated) instead of the files above. */
    const char *ca_pem;
    const char *cert_pem;
    const char *key_pem;
    long connect_timeout_s; /* 0 = default */
    long total_timeout_s;
    size_t max_response;
};

struct mamori_https_response {
    long status; /* HTTP status, 0 when no response */
    char *body;  /* malloc'd, NUL-terminated */
    size_t len;
};

/* POST body to url.  0 when an HTTP response arrived (any status);
 * -1 on transport failure, with curl's reason (e.g. "SSL certificate problem:
 * certificate has expired") in err. */
int mamori_https_post(const struct mamori_https_config *cfg, const char *url,
                      const char *content_type, const char *body, size_t len,
                      struct mamori_https_response *resp, char *err, size_t errlen);

void mamori_https_response_free(struct mamori_https_response *resp);

/* "sha256:<hex>" of the first certificate in a PEM file. 0 or -1. */
int mamori_cert_fingerprint_file(const char *pem_path, char *out, size_t outlen);

#endif /* MAMORI_HTTPS_CLIENT_H */
