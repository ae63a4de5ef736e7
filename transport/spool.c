/* spool.c -- one file per report, ordered by seq; see spool.h.
 *
 * The directory is the truth; the in-memory index (sorted seq + size) is
 * rebuilt from it on open, so a crash at any point leaves either the old or
 * the new state, plus at most one *.tmp file that open removes. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable_file.h"

#define SEQ_DIGITS     20
#define PAYLOAD_SUFFIX ".json"
#define JWS_SUFFIX     ".jws"

struct spool_entry {
    uint64_t seq;
    uint64_t size;
    bool signed_jws; /* <seq>.jws rather than <seq>.json */
};

struct mamori_spool {
    char dir[PATH_MAX - 64];
    struct spool_entry *items; /* ascending seq */
    size_t count, cap;
    uint64_t bytes;
    size_t max_files;
    uint64_t max_bytes;
    uint64_t dropped;
    size_t rejected;
};

static void entry_path(const struct mamori_spool *sp, const char *sub, const struct spool_entry *e,
                       char *out, size_t size)
{
    snprintf(out, size, "%s/%s%020" PRIu64 "%s", sp->dir, sub, e->seq,
             e->signed_jws ? JWS_SUFFIX : PAYLOAD_SUFFIX);
}

/* "<20 digits>.json" or "<20 digits>.jws" -> seq; 0 if the name is anything
 * else. */
static uint64_t parse_entry_name(const char *name, bool *signed_jws)
{
    if (strspn(name, "0123456789") != SEQ_DIGITS)
        return 0;
    *signed_jws = strcmp(name + SEQ_DIGITS, JWS_SUFFIX) == 0;
    if (!*signed_jws && strcmp(name + SEQ_DIGITS, PAYLOAD_SUFFIX) != 0)
        return 0;
    return strtoull(name, NULL, 10);
}

static int is_tmp_name(const char *name)
{
    size_t n = strlen(name), s = strlen(MAMORI_TMP_SUFFIX);
    return n > s && strcmp(name + n - s, MAMORI_TMP_SUFFIX) == 0;
}

static int push_entry(struct mamori_spool *sp, struct spool_entry e)
{
    if (sp->count == sp->cap) {
        size_t cap = sp->cap ? sp->cap * 2 : 64;
        struct spool_entry *grown = realloc(sp->items, cap * sizeof *grown);
        if (!grown)
            return -1;
        sp->items = grown;
        sp->cap = cap;
    }
    sp->items[sp->count++] = e;
    sp->bytes += e.size;
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    uint64_t x = ((const struct spool_entry *)a)->seq, y = ((const struct spool_entry *)b)->seq;
    return x < y ? -1 : x > y;
}

static size_t count_dir_entries(const char *path)
{
    DIR *d = opendir(path);
    size_t n = 0;
    bool signed_jws;
    for (struct dirent *de; d && (de = readdir(d));)
        n += parse_entry_name(de->d_name, &signed_jws) != 0;
    if (d)
        closedir(d);
    return n;
}

static int load_dropped(struct mamori_spool *sp)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/dropped", sp->dir);
    char *text = mamori_read_file(path, 64, NULL);
    if (text) {
        sp->dropped = strtoull(text, NULL, 10);
        free(text);
    }
    return 0;
}

/* Rebuild the index from the directory, removing crash leftovers. */
static int scan(struct mamori_spool *sp, int clean, char *err, size_t errlen)
{
    DIR *d = opendir(sp->dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot open spool: %s", sp->dir, strerror(errno));
        return -1;
    }
    int removed_tmp = 0;
    for (struct dirent *de; (de = readdir(d));) {
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", sp->dir, de->d_name) >= (int)sizeof path)
            continue;
        if (is_tmp_name(de->d_name)) {
            removed_tmp |= clean && unlink(path) == 0;
            continue;
        }
        bool signed_jws = false;
        uint64_t seq = parse_entry_name(de->d_name, &signed_jws);
        struct stat st;
        if (seq == 0 || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        struct spool_entry e = {.seq = seq, .size = (uint64_t)st.st_size, .signed_jws = signed_jws};
        if (push_entry(sp, e) < 0) {
            closedir(d);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    closedir(d);
    if (removed_tmp)
        mamori_fsync_parent(sp->dir[0] ? sp->dir : ".");
    if (sp->count > 1)
        qsort(sp->items, sp->count, sizeof *sp->items, cmp_entry);
    char rej[PATH_MAX];
    snprintf(rej, sizeof rej, "%s/rejected", sp->dir);
    sp->rejected = count_dir_entries(rej);
    return load_dropped(sp);
}

struct mamori_spool *mamori_spool_open(const char *dir, size_t max_files, uint64_t max_bytes,
                                       char *err, size_t errlen)
{
    struct mamori_spool *sp = calloc(1, sizeof *sp);
    if (!sp) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (snprintf(sp->dir, sizeof sp->dir, "%s", dir) >= (int)sizeof sp->dir) {
        snprintf(err, errlen, "%s: spool path too long", dir);
        free(sp);
        return NULL;
    }
    sp->max_files = max_files ? max_files : MAMORI_SPOOL_MAX_FILES;
    sp->max_bytes = max_bytes ? max_bytes : MAMORI_SPOOL_MAX_BYTES;
    char rej[PATH_MAX];
    snprintf(rej, sizeof rej, "%s/rejected", dir);
    if (mamori_mkdirs(rej, 0700) < 0) {
        snprintf(err, errlen, "%s: cannot create spool: %s", rej, strerror(errno));
        free(sp);
        return NULL;
    }
    if (scan(sp, 1, err, errlen) < 0) {
        mamori_spool_close(sp);
        return NULL;
    }
    return sp;
}

struct mamori_spool *mamori_spool_inspect(const char *dir, char *err, size_t errlen)
{
    struct mamori_spool *sp = calloc(1, sizeof *sp);
    if (!sp || snprintf(sp->dir, sizeof sp->dir, "%s", dir) >= (int)sizeof sp->dir) {
        snprintf(err, errlen, "%s: cannot open spool", dir);
        free(sp);
        return NULL;
    }
    if (scan(sp, 0, err, errlen) < 0) {
        mamori_spool_close(sp);
        return NULL;
    }
    return sp;
}

void mamori_spool_close(struct mamori_spool *sp)
{
    if (!sp)
        return;
    free(sp->items);
    free(sp);
}

static int save_dropped(struct mamori_spool *sp, char *err, size_t errlen)
{
    char path[PATH_MAX];
    char text[32];
    snprintf(path, sizeof path, "%s/dropped", sp->dir);
    int n = snprintf(text, sizeof text, "%" PRIu64 "\n", sp->dropped);
    return mamori_durable_write(path, text, (size_t)n, 0600, err, errlen);
}

static void remove_first(struct mamori_spool *sp)
{
    sp->bytes -= sp->items[0].size;
    memmove(sp->items, sp->items + 1, (sp->count - 1) * sizeof *sp->items);
    sp->count--;
}

/* Drop oldest reports (never the one just written, at index count-1) until
 * the bounds hold again. */
static size_t enforce_bounds(struct mamori_spool *sp)
{
    size_t dropped = 0;
    while (sp->count > 1 && (sp->count > sp->max_files || sp->bytes > sp->max_bytes)) {
        char path[PATH_MAX];
        entry_path(sp, "", &sp->items[0], path, sizeof path);
        unlink(path);
        remove_first(sp);
        dropped++;
    }
    return dropped;
}

int mamori_spool_put(struct mamori_spool *sp, uint64_t seq, const char *data, size_t len,
                     size_t *dropped_now, char *err, size_t errlen)
{
    if (dropped_now)
        *dropped_now = 0;
    if (seq == 0 || (sp->count > 0 && seq <= sp->items[sp->count - 1].seq)) {
        snprintf(err, errlen, "spool: seq %" PRIu64 " is not newer than the queued reports", seq);
        return -1;
    }
    struct spool_entry e = {.seq = seq, .size = len};
    char path[PATH_MAX];
    entry_path(sp, "", &e, path, sizeof path);
    if (mamori_durable_write(path, data, len, 0600, err, errlen) < 0) {
        if (errno == ENOSPC || errno == EDQUOT)
            snprintf(err, errlen,
                     "spool %s: no space left on device; report %" PRIu64
                     " not stored, %zu older reports kept",
                     sp->dir, seq, sp->count);
        return -1;
    }
    if (push_entry(sp, e) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t dropped = enforce_bounds(sp);
    if (dropped > 0) {
        mamori_fsync_parent(path);
        sp->dropped += dropped;
        if (save_dropped(sp, err, errlen) < 0)
            return -1;
    }
    if (dropped_now)
        *dropped_now = dropped;
    return 0;
}

int mamori_spool_peek_oldest(struct mamori_spool *sp, uint64_t *seq, char **data, size_t *len,
                             bool *signed_jws, char *err, size_t errlen)
{
    if (sp->count == 0)
        return 1;
    char path[PATH_MAX];
    entry_path(sp, "", &sp->items[0], path, sizeof path);
    *data = mamori_read_file(path, 16u * 1024 * 1024, len);
    if (!*data) {
        snprintf(err, errlen, "%s: cannot read spooled report: %s", path, strerror(errno));
        return -1;
    }
    *seq = sp->items[0].seq;
    if (signed_jws)
        *signed_jws = sp->items[0].signed_jws;
    return 0;
}

/* Index of seq, or -1. */
static long find_entry(const struct mamori_spool *sp, uint64_t seq)
{
    for (size_t i = 0; i < sp->count; i++)
        if (sp->items[i].seq == seq)
            return (long)i;
    return -1;
}

static void remove_at(struct mamori_spool *sp, size_t i)
{
    sp->bytes -= sp->items[i].size;
    memmove(sp->items + i, sp->items + i + 1, (sp->count - i - 1) * sizeof *sp->items);
    sp->count--;
}

int mamori_spool_ack(struct mamori_spool *sp, uint64_t seq, char *err, size_t errlen)
{
    long i = find_entry(sp, seq);
    if (i < 0)
        return 0;
    char path[PATH_MAX];
    entry_path(sp, "", &sp->items[i], path, sizeof path);
    if (unlink(path) < 0 && errno != ENOENT) {
        snprintf(err, errlen, "%s: cannot remove: %s", path, strerror(errno));
        return -1;
    }
    mamori_fsync_parent(path);
    remove_at(sp, (size_t)i);
    return 0;
}

int mamori_spool_reject(struct mamori_spool *sp, uint64_t seq, char *err, size_t errlen)
{
    long i = find_entry(sp, seq);
    if (i < 0)
        return 0;
    char from[PATH_MAX], to[PATH_MAX];
    entry_path(sp, "", &sp->items[i], from, sizeof from);
    entry_path(sp, "rejected/", &sp->items[i], to, sizeof to);
    if (rename(from, to) < 0) {
        snprintf(err, errlen, "%s: cannot move to rejected/: %s", from, strerror(errno));
        return -1;
    }
    mamori_fsync_parent(from);
    mamori_fsync_parent(to);
    remove_at(sp, (size_t)i);
    sp->rejected++;
    return 0;
}

uint64_t mamori_spool_dropped(const struct mamori_spool *sp)
{
    return sp->dropped;
}

int mamori_spool_clear_dropped(struct mamori_spool *sp, uint64_t announced, char *err,
                               size_t errlen)
{
    sp->dropped = sp->dropped > announced ? sp->dropped - announced : 0;
    return save_dropped(sp, err, errlen);
}

void mamori_spool_stats(const struct mamori_spool *sp, struct mamori_spool_stats *out)
{
    memset(out, 0, sizeof *out);
    out->count = sp->count;
    out->bytes = sp->bytes;
    out->dropped = sp->dropped;
    out->rejected = sp->rejected;
    if (sp->count == 0)
        return;
    out->oldest_seq = sp->items[0].seq;
    out->newest_seq = sp->items[sp->count - 1].seq;
    char path[PATH_MAX];
    entry_path(sp, "", &sp->items[0], path, sizeof path);
    struct stat st;
    if (stat(path, &st) == 0)
        out->oldest_time = st.st_mtime;
}

uint64_t mamori_spool_seq_at(const struct mamori_spool *sp, size_t i)
{
    return i < sp->count ? sp->items[i].seq : 0;
}
