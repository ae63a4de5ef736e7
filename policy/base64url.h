/* base64url.h -- strict base64url (RFC 4648 section 5, no padding) for JOSE.
 *
 * JWS segments are base64url without '=' padding (RFC 7515 section 2).  The
 * decoder is deliberately strict because it reads untrusted bytes from the
 * network: padding, whitespace, characters outside the url-safe alphabet, an
 * impossible length (4n+1) and non-zero unused trailing bits are all
 * rejected, so every byte string has exactly one accepted encoding. */
#ifndef MAMORI_BASE64URL_H
#define MAMORI_BASE64URL_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed to encode n bytes (without the terminating NUL). */
size_t mamori_b64url_encoded_len(size_t n);

/* Upper bound of bytes decoded from n characters. */
size_t mamori_b64url_decoded_max(size_t n);

/* Encode n bytes into out (NUL-terminated).  Returns the length written,
 * or -1 when outlen is too small. */
long mamori_b64url_encode(const uint8_t *in, size_t n, char *out, size_t outlen);

/* Encode into a fresh malloc'd NUL-terminated string (NULL on OOM). */
char *mamori_b64url_encode_alloc(const uint8_t *in, size_t n);

/* Decode n characters into out.  Returns the number of bytes written, or -1
 * for any non-canonical or invalid input, or when outlen is too small. */
long mamori_b64url_decode(const char *in, size_t n, uint8_t *out, size_t outlen);

#endif /* MAMORI_BASE64URL_H */
