/* firefox_logins.h -- how many logins a Firefox profile's logins.json holds.
 *
 * logins.json is {"nextId":N,"logins":[{...encryptedUsername,encryptedPassword...}],...}.
 * Only the length of "logins" is taken; no entry is looked into, so nothing
 * secret (even encrypted) ever leaves the parser. */
#ifndef MAMORI_FIREFOX_LOGINS_H
#define MAMORI_FIREFOX_LOGINS_H

#include <stddef.h>

/* 0 and *count, or -1 with the reason in err (not JSON, no "logins" array). */
int mamori_firefox_logins_count(const char *text, size_t len, unsigned *count, char *err,
                                size_t err_size);

#endif /* MAMORI_FIREFOX_LOGINS_H */
