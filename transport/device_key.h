/* device_key.h -- the PC's Ed25519 identity: device key, CSR, host id.
 *
 * One Ed25519 key per PC signs reports (JWS) and authenticates TLS (its
 * certificate is issued by the collector's CA at enrolment).  It is created
 * on first start, 0600 and never leaves the machine.  The host id is the
 * lowercase hex SHA-256 of /etc/machine-id, so the raw machine-id (which
 * some software treats as a secret) is never sent. */
#ifndef MAMORI_DEVICE_KEY_H
#define MAMORI_DEVICE_KEY_H

#include <stddef.h>

#include <openssl/evp.h>

#define MAMORI_HOST_ID_LEN 64 /* hex SHA-256 */

/* Load the private key at path, or create it (O_EXCL, 0600, fsync'd file and
 * directory) when absent.  A key file readable by group or others is
 * refused.  NULL with a message in err. */
EVP_PKEY *mamori_device_key_load_or_create(const char *path, char *err, size_t errlen);

/* Load a PEM private key (any mode).  NULL with a message in err. */
EVP_PKEY *mamori_pem_load_private(const char *path, char *err, size_t errlen);

/* Public key of a PEM certificate file.  NULL with a message in err. */
EVP_PKEY *mamori_pem_load_cert_pubkey(const char *path, char *err, size_t errlen);

/* Public key from a PEM string (SubjectPublicKeyInfo or certificate). */
EVP_PKEY *mamori_pem_parse_pubkey(const char *pem, size_t len);

/* PEM of the public key (malloc'd).  NULL on error. */
char *mamori_pem_public(EVP_PKEY *key);

/* PKCS#10 request signed by key with subject CN=common_name (malloc'd PEM). */
char *mamori_csr_create_pem(EVP_PKEY *key, const char *common_name);

/* Host id into out (MAMORI_HOST_ID_LEN + 1 bytes).  override, when non-NULL,
 * is used as is (simulated agents) and must be 1..64 lowercase hex digits;
 * otherwise SHA-256 of <root>/etc/machine-id with trailing whitespace removed.
 * 0 on success, -1 with a message in err. */
int mamori_host_id(const char *root, const char *override, char *out, size_t outlen, char *err,
                   size_t errlen);

#endif /* MAMORI_DEVICE_KEY_H */
