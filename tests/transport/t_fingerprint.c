/* t_fingerprint.c -- the CA pin a helpdesk types or pastes, in every spelling
 * people copy it, reduced to the one form enrolment compares; anything else
 * refused with a message that says what was expected. */
#include <criterion/criterion.h>
#include <string.h>

#include "enroll.h"

#define HEX "3f7a09c2b1d4e5f60718293a4b5c6d7e8f9001122334455667788990aabbccdd"
#define COLONS                                                                                     \
    "3F:7A:09:C2:B1:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F:90:01:12:23:34:45:56:67:78:89:90:AA:BB:"   \
    "CC:DD"

static void expect_canonical(const char *in)
{
    char out[80], err[256] = "";
    cr_assert_eq(mamori_ca_fingerprint_normalize(in, out, sizeof(out), err, sizeof(err)), 0,
                 "%s: %s", in, err);
    cr_assert_str_eq(out, "sha256:" HEX, "%s", in);
}

static void expect_refused(const char *in, const char *says)
{
    char out[80], err[256] = "";
    cr_assert_eq(mamori_ca_fingerprint_normalize(in, out, sizeof(out), err, sizeof(err)), -1,
                 "accepted \"%s\"", in);
    cr_assert(strstr(err, says) != NULL, "\"%s\": message \"%s\" lacks \"%s\"", in, err, says);
    cr_assert(strstr(err, "64 hex digits") != NULL, "\"%s\": message \"%s\"", in, err);
}

Test(fingerprint, every_spelling_people_copy)
{
    expect_canonical("SHA256 " COLONS); /* as mamori-server init prints it */
    expect_canonical("sha256:" COLONS);
    expect_canonical("sha256:" HEX);
    expect_canonical("SHA256=" COLONS); /* openssl x509 -fingerprint -sha256 */
    expect_canonical(COLONS);
    expect_canonical(HEX);
}

Test(fingerprint, wrong_length_or_characters_refused)
{
    expect_refused("SHA256 AB:CD", "4 hex digits");
    expect_refused("", "0 hex digits");
    expect_refused("sha256:", "0 hex digits");
    expect_refused("sha256:" HEX "00", "sha256:" HEX);
    expect_refused("sha1:" HEX, "sha1:");
    expect_refused("sha256:" HEX " ", "sha256:");
    expect_refused("sha256:3g7a", "3g7a");
}

Test(fingerprint, small_buffer_refused)
{
    char out[16], err[128] = "";
    cr_assert_eq(mamori_ca_fingerprint_normalize(HEX, out, sizeof(out), err, sizeof(err)), -1);
}
