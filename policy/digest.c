/* digest.c -- SHA-256 and MD5 through nettle; see digest.h. */
#include "digest.h"

#include <nettle/md5.h>
#include <nettle/sha2.h>

void mamori_sha256(const void *data, size_t len, uint8_t out[MAMORI_SHA256_LEN])
{
    struct sha256_ctx ctx;

    sha256_init(&ctx);
    sha256_update(&ctx, len, data);
    sha256_digest(&ctx, MAMORI_SHA256_LEN, out);
}

void mamori_md5(const void *data, size_t len, uint8_t out[MAMORI_MD5_LEN])
{
    struct md5_ctx ctx;

    md5_init(&ctx);
    md5_update(&ctx, len, data);
    md5_digest(&ctx, MAMORI_MD5_LEN, out);
}

void mamori_hex(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

void mamori_sha256_hex(const void *data, size_t len, char out[MAMORI_SHA256_HEX_SIZE])
{
    uint8_t md[MAMORI_SHA256_LEN];

    mamori_sha256(data, len, md);
    mamori_hex(md, sizeof(md), out);
}
