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

/* Value of each alphabet character; 64 marks every other byte. */
static const uint8_t b64url_values[256] = {
#define X64 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64
    X64, X64, 64,  64,  64,  64,  64,  64,  64, 64, 64, 64, 64, 64, 64, 62, 64, 64, /* '-' */
    52,  53,  54,  55,  56,  57,  58,  59,  60, 61, 64, 64, 64, 64, 64, 64,         /* 0-9 */
    64,  0,   1,   2,   3,   4,   5,   6,   7,  8,  9,  10, 11, 12, 13, 14,         /* A-O */
    15,  16,  17,  18,  19,  20,  21,  22,  23, 24, 25, 64, 64, 64, 64, 63,         /* P-Z, '_' */
    64,  26,  27,  28,  29,  30,  31,  32,  33, 34, 35, 36, 37, 38, 39, 40,         /* a-o */
    41,  42,  43,  44,  45,  46,  47,  48,  49, 50, 51, 64, 64, 64, 64, 64,         /* p-z */
    X64, X64, X64, X64, X64, X64, X64, X64,
#undef X64
};

long mamori_b64url_decode(const char *in, size_t n, uint8_t *out, size_t outlen)
{
    const unsigned char *p = (const unsigned char *)in;
    if (n % 4 == 1)
        return -1; /* a lone 6-bit group cannot hold a byte */
    size_t need = mamori_b64url_decoded_max(n);
    if (outlen < need)
        return -1;
    size_t o = 0, i = 0;
    /* Whole quads: four characters, three bytes; any bad one sets bit 6. */
    for (; i + 4 <= n; i += 4) {
        uint32_t a = b64url_values[p[i]], b = b64url_values[p[i + 1]];
        uint32_t c = b64url_values[p[i + 2]], d = b64url_values[p[i + 3]];
        if ((a | b | c | d) & 64)
            return -1;
        uint32_t v = a << 18 | b << 12 | c << 6 | d;
        out[o++] = (uint8_t)(v >> 16);
        out[o++] = (uint8_t)(v >> 8);
        out[o++] = (uint8_t)v;
    }
    if (i == n)
        return (long)o;
    /* A tail of 2 or 3 characters; its unused low bits must be zero,
     * otherwise two encodings would decode alike. */
    uint32_t a = b64url_values[p[i]], b = b64url_values[p[i + 1]];
    uint32_t c = n - i == 3 ? b64url_values[p[i + 2]] : 0;
    if ((a | b | c) & 64)
        return -1;
    uint32_t v = a << 18 | b << 12 | c << 6;
    out[o++] = (uint8_t)(v >> 16);
    if (n - i == 3) {
        out[o++] = (uint8_t)(v >> 8);
        if (v & 0xff)
            return -1;
    } else if (v & 0xffff) {
        return -1;
    }
    return (long)o;
}
