/* base64url.c -- strict base64url codec used by the JWS code.
 *
 * OpenSSL's EVP_DecodeBlock speaks padded standard base64 and tolerates
 * whitespace, which a signature verifier must not; the codec is small enough
 * to state exactly here.  See base64url.h for the accepted language. */
#include "base64url.h"

#include <stdlib.h>

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t mamori_b64url_encoded_len(size_t n)
{
    return (n / 3) * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

size_t mamori_b64url_decoded_max(size_t n)
{
    return (n / 4) * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
}

long mamori_b64url_encode(const uint8_t *in, size_t n, char *out, size_t outlen)
{
    size_t need = mamori_b64url_encoded_len(n);
    if (outlen < need + 1)
        return -1;
    size_t o = 0;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64url_alphabet[v >> 18 & 63];
        out[o++] = b64url_alphabet[v >> 12 & 63];
        out[o++] = b64url_alphabet[v >> 6 & 63];
        out[o++] = b64url_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64url_alphabet[v >> 18 & 63];
        out[o++] = b64url_alphabet[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64url_alphabet[v >> 18 & 63];
        out[o++] = b64url_alphabet[v >> 12 & 63];
        out[o++] = b64url_alphabet[v >> 6 & 63];
    }
    out[o] = '\0';
    return (long)o;
}

char *mamori_b64url_encode_alloc(const uint8_t *in, size_t n)
{
    size_t size = mamori_b64url_encoded_len(n) + 1;
    char *out = malloc(size);
    if (out && mamori_b64url_encode(in, n, out, size) < 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* Value of one alphabet character, or -1. */
static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

long mamori_b64url_decode(const char *in, size_t n, uint8_t *out, size_t outlen)
{
    if (n % 4 == 1)
        return -1; /* a lone 6-bit group cannot hold a byte */
    size_t need = mamori_b64url_decoded_max(n);
    if (outlen < need)
        return -1;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    /* Leftover bits must be zero: otherwise two encodings decode alike. */
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return -1;
    return (long)o;
}
