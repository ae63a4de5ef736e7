/* digest.h -- SHA-256 (and MD5, which only dpkg's records need) of bytes.
 *
 * Every binary hashes something: the policy's content version, a USB
 * device's descriptor hash (which usb.allow entries match), the host id
 * (SHA-256 of /etc/machine-id), dpkg's record of the agent binary (MD5),
 * JWK thumbprints.  The resident agent must stay small, so the digests come
 * from nettle (a few KiB of code) rather than OpenSSL's libcrypto, whose
 * initialisation alone costs megabytes.  It lives in policy/ because that is
 * the room every binary links. */
#ifndef MAMORI_DIGEST_H
#define MAMORI_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define MAMORI_SHA256_LEN 32
#define MAMORI_MD5_LEN    16
/* Lowercase hex of a SHA-256 digest plus its NUL. */
#define MAMORI_SHA256_HEX_SIZE (2 * MAMORI_SHA256_LEN + 1)

void mamori_sha256(const void *data, size_t len, uint8_t out[MAMORI_SHA256_LEN]);
void mamori_md5(const void *data, size_t len, uint8_t out[MAMORI_MD5_LEN]);

/* Lowercase hex of n bytes into out (2n + 1 bytes). */
void mamori_hex(const uint8_t *bytes, size_t n, char *out);

/* Lowercase hex SHA-256 of data into out (MAMORI_SHA256_HEX_SIZE bytes). */
void mamori_sha256_hex(const void *data, size_t len, char out[MAMORI_SHA256_HEX_SIZE]);

#endif /* MAMORI_DIGEST_H */
