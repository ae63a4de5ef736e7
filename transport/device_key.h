/* device_key.h -- the PC's Ed25519 identity: device key and CSR.
 *
 * One Ed25519 key per PC signs reports (JWS) and authenticates TLS (its
 * certificate is issued by the collector's CA at enrolment).  It is created
 * by the package or at enrolment, 0600 and never leaves the machine.  (The
 * host id, which needs no key, is in report.h.) */
#ifndef MAMORI_DEVICE_KEY_H
#define MAMORI_DEVICE_KEY_H

#include <stddef.h>

#include <openssl/evp.h>

/* Load the private key at path, or create it (O_EXCL, 0600, fsync'd file and
 * directory) when absent.  A key file readable by group or others is
 * refused.  NULL with a message in err. */
EVP_PKEY *mamori_device_key_load_or_create(const char *path, char *err, size_t errlen);

/* Load a PEM private key (any mode).  NULL with a message in err. */
EVP_PKEY *mamori_pem_load_private(const char *path, char *err, size_t errlen);

/* The same from PEM text in memory (the courier gets the key as an open
 * file from the agent); name is what messages call it. */
EVP_PKEY *mamori_pem_parse_private(const char *pem, size_t len, const char *name, char *err,
                                   size_t errlen);

/* Public key of a PEM certificate file.  NULL with a message in err. */
EVP_PKEY *mamori_pem_load_cert_pubkey(const char *path, char *err, size_t errlen);

/* Public key from a PEM string (SubjectPublicKeyInfo or certificate). */
EVP_PKEY *mamori_pem_parse_pubkey(const char *pem, size_t len);

/* PEM of the public key (malloc'd).  NULL on error. */
char *mamori_pem_public(EVP_PKEY *key);

/* PKCS#10 request signed by key with subject CN=common_name (malloc'd PEM). */
char *mamori_csr_create_pem(EVP_PKEY *key, const char *common_name);

#endif /* MAMORI_DEVICE_KEY_H */
