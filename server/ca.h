/* ca.h -- the collector's own certificate authority (Ed25519, OpenSSL).
 *
 * `mamori-server init` creates the CA and the server certificate; enrolment
 * turns a host's CSR into a client certificate.  PCs pin the CA certificate,
 * and the TLS layer accepts only client certificates it issued. */
#ifndef MAMORI_SERVER_CA_H
#define MAMORI_SERVER_CA_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct mamori_ca {
    X509 *cert;
    EVP_PKEY *key;
};

/* Create an Ed25519 CA key (0600) and self-signed certificate. */
int mamori_ca_create(const char *key_path, const char *cert_path, const char *common_name,
                     char *err, size_t errlen);
/* Create the server key and a certificate with the given DNS names / IP
 * addresses as subjectAltName, signed by ca. */
int mamori_ca_issue_server(const struct mamori_ca *ca, const char *const *names, int n,
                           const char *key_path, const char *cert_path, char *err, size_t errlen);
int mamori_ca_load(struct mamori_ca *ca, const char *key_path, const char *cert_path, char *err,
                   size_t errlen);
void mamori_ca_free(struct mamori_ca *ca);

/* Sign a host CSR (PEM): it must be Ed25519, self-signed correctly and have
 * CN = host_id.  On success *cert_pem is malloc'd PEM, serial_hex (>= 41
 * bytes) the new serial, *pub a new reference to the host key. */
int mamori_ca_sign_csr(const struct mamori_ca *ca, const char *csr_pem, size_t len,
                       const char *host_id, char **cert_pem, char *serial_hex, EVP_PKEY **pub,
                       char *err, size_t errlen);

/* True when cert was issued (signed) by ca and is currently valid. */
int mamori_ca_verify_cert(const struct mamori_ca *ca, X509 *cert);

/* SHA-256 of the DER certificate as colon-separated hex (>= 96 bytes). */
int mamori_cert_fingerprint(X509 *cert, char *out, size_t outlen);

/* PEM text of a certificate, malloc'd. */
char *mamori_cert_pem(X509 *cert);
X509 *mamori_cert_from_pem(const char *pem, size_t len);

#endif
