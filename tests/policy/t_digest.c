/* t_digest.c -- the nettle-backed digests give the standard answers
 * (FIPS 180-2 and RFC 1321 test vectors), so policy versions, USB
 * descriptor hashes and host ids stay what the OpenSSL versions were. */
#include <criterion/criterion.h>
#include <string.h>

#include "digest.h"

Test(digest, sha256_known_answers)
{
    char hex[MAMORI_SHA256_HEX_SIZE];

    mamori_sha256_hex("abc", 3, hex);
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    mamori_sha256_hex("", 0, hex);
    cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    mamori_sha256_hex(two_blocks, strlen(two_blocks), hex);
    cr_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

Test(digest, md5_known_answer)
{
    uint8_t md[MAMORI_MD5_LEN];
    char hex[2 * MAMORI_MD5_LEN + 1];

    mamori_md5("abc", 3, md);
    mamori_hex(md, sizeof(md), hex);
    cr_assert_str_eq(hex, "900150983cd24fb0d6963f7d28e17f72");
}
