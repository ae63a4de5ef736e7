/* clamav_header.h -- the 512-byte header of a ClamAV signature database.
 *
 * daily/main/bytecode .cvd and .cld files start with a text header padded
 * with spaces to 512 bytes:
 *   ClamAV-VDB:<build time>:<version>:<sigs>:<flevel>:<md5>:<dsig>:<builder>:<stime>
 * e.g. "ClamAV-VDB:23 Nov 2026 05-00 +0000:27830:2071234:90:...:raynman:1795410000".
 * Only the facts needed to judge freshness are kept; md5/dsig are not
 * verified (freshclam and clamd do that; we only date the pattern). */
#ifndef MAMORI_CLAMAV_HEADER_H
#define MAMORI_CLAMAV_HEADER_H

#include <stddef.h>
#include <time.h>

#define MAMORI_CLAMAV_HEADER_SIZE 512

struct mamori_clamav_header {
    unsigned long version;
    unsigned long sigs;
    unsigned flevel;
    time_t build_time; /* stime when valid, else the parsed build-time text */
    char builder[32];
};

/* Parse the first bytes of a database file (len may be the whole file or
 * less).  Returns 0, or -1 with a reason ("truncated header", "not a ClamAV
 * database", "bad version field", ...) in err. */
int mamori_clamav_header_parse(const unsigned char *data, size_t len,
                               struct mamori_clamav_header *out, char *err, size_t err_size);

#endif /* MAMORI_CLAMAV_HEADER_H */
