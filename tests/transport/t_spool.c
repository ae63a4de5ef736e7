/* t_spool.c -- the durable spool and sequence counter on a real file system:
 * order, acknowledgement, bounds (oldest dropped and counted), reopen after
 * SIGKILL between write and rename, disk full on a tiny tmpfs. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <sched.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "durable_file.h"
#include "report.h"
#include "spool.h"

static char dir[64];
static char err[512];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/t_spool.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(spool, .init = make_dir, .fini = remove_dir);

static struct mamori_spool *open_spool(size_t max_files, uint64_t max_bytes)
{
    char path[128];
    snprintf(path, sizeof path, "%s/spool", dir);
    struct mamori_spool *sp = mamori_spool_open(path, max_files, max_bytes, err, sizeof err);
    cr_assert_not_null(sp, "%s", err);
    return sp;
}

static void put(struct mamori_spool *sp, uint64_t seq, const char *data)
{
    cr_assert_eq(mamori_spool_put(sp, seq, data, strlen(data), NULL, err, sizeof err), 0, "%s",
                 err);
}

static uint64_t oldest(struct mamori_spool *sp, char *copy, size_t size)
{
    uint64_t seq = 0;
    char *data = NULL;
    size_t len = 0;
    int rc = mamori_spool_peek_oldest(sp, &seq, &data, &len, NULL, err, sizeof err);
    if (rc == 1)
        return 0;
    cr_assert_eq(rc, 0, "%s", err);
    if (copy)
        snprintf(copy, size, "%s", data);
    free(data);
    return seq;
}

static int count_tmp_files(const char *path)
{
    DIR *d = opendir(path);
    cr_assert_not_null(d);
    int n = 0;
    for (struct dirent *de; (de = readdir(d));)
        n += strstr(de->d_name, ".tmp") != NULL;
    closedir(d);
    return n;
}

Test(spool, delivers_oldest_first_and_survives_reopen)
{
    struct mamori_spool *sp = open_spool(0, 0);
    put(sp, 3, "three");
    put(sp, 7, "seven");
    put(sp, 12, "twelve");
    cr_assert_eq(mamori_spool_put(sp, 5, "old", 3, NULL, err, sizeof err), -1,
                 "a seq older than the queue must be refused");
    mamori_spool_close(sp);

    sp = open_spool(0, 0);
    char data[32];
    cr_assert_eq(oldest(sp, data, sizeof data), 3);
    cr_assert_str_eq(data, "three");
    cr_assert_eq(mamori_spool_ack(sp, 3, err, sizeof err), 0);
    cr_assert_eq(oldest(sp, data, sizeof data), 7);
    cr_assert_eq(mamori_spool_reject(sp, 7, err, sizeof err), 0);
    cr_assert_eq(oldest(sp, data, sizeof data), 12);
    struct mamori_spool_stats st;
    mamori_spool_stats(sp, &st);
    cr_assert_eq(st.count, 1);
    cr_assert_eq(st.bytes, 6);
    cr_assert_eq(st.rejected, 1);
    mamori_spool_close(sp);

    char path[160];
    snprintf(path, sizeof path, "%s/spool/rejected/00000000000000000007.json", dir);
    cr_assert_eq(access(path, F_OK), 0, "refused report kept in rejected/");
    snprintf(path, sizeof path, "%s/spool/00000000000000000003.json", dir);
    cr_assert_eq(access(path, F_OK), -1, "acknowledged report removed");
}

/* mamori 0.1.0 spooled reports already signed (<seq>.jws): after an upgrade
 * they are delivered as they are, in order with the new payloads. */
Test(spool, reports_spooled_signed_by_an_older_agent_are_kept_in_order)
{
    char path[160];
    snprintf(path, sizeof path, "%s/spool", dir);
    cr_assert_eq(mamori_mkdirs(path, 0700), 0);
    snprintf(path, sizeof path, "%s/spool/00000000000000000004.jws", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("aGVhZGVy.cGF5bG9hZA.c2ln", f);
    fclose(f);

    struct mamori_spool *sp = open_spool(0, 0);
    put(sp, 5, "{\"seq\":5}");
    uint64_t seq = 0;
    char *data = NULL;
    size_t len = 0;
    bool signed_jws = false;
    cr_assert_eq(mamori_spool_peek_oldest(sp, &seq, &data, &len, &signed_jws, err, sizeof err), 0);
    cr_assert_eq(seq, 4);
    cr_assert(signed_jws, "the old file is a JWS to send as it is");
    cr_assert_str_eq(data, "aGVhZGVy.cGF5bG9hZA.c2ln");
    free(data);
    cr_assert_eq(mamori_spool_reject(sp, 4, err, sizeof err), 0, "%s", err);
    snprintf(path, sizeof path, "%s/spool/rejected/00000000000000000004.jws", dir);
    cr_assert_eq(access(path, F_OK), 0, "moved aside under its own name");
    cr_assert_eq(mamori_spool_peek_oldest(sp, &seq, &data, &len, &signed_jws, err, sizeof err), 0);
    cr_assert_eq(seq, 5);
    cr_assert_not(signed_jws, "a payload for the courier to sign");
    free(data);
    mamori_spool_close(sp);
}

Test(spool, full_spool_drops_oldest_and_counts)
{
    struct mamori_spool *sp = open_spool(3, 0);
    size_t dropped = 0;
    for (uint64_t s = 1; s <= 5; s++)
        cr_assert_eq(mamori_spool_put(sp, s, "r", 1, &dropped, err, sizeof err), 0);
    cr_assert_eq(dropped, 1, "the last put dropped one");
    cr_assert_eq(oldest(sp, NULL, 0), 3, "1 and 2 dropped, 3 is the oldest kept");
    cr_assert_eq(mamori_spool_dropped(sp), 2);
    mamori_spool_close(sp);

    sp = open_spool(3, 0);
    cr_assert_eq(mamori_spool_dropped(sp), 2, "drop count persists across restarts");
    cr_assert_eq(mamori_spool_clear_dropped(sp, 2, err, sizeof err), 0);
    cr_assert_eq(mamori_spool_dropped(sp), 0);
    mamori_spool_close(sp);
}

Test(spool, byte_bound_drops_oldest)
{
    struct mamori_spool *sp = open_spool(0, 25);
    put(sp, 1, "0123456789");
    put(sp, 2, "0123456789");
    put(sp, 3, "0123456789");
    struct mamori_spool_stats st;
    mamori_spool_stats(sp, &st);
    cr_assert_eq(st.count, 2);
    cr_assert_eq(st.oldest_seq, 2);
    cr_assert_eq(st.dropped, 1);
    mamori_spool_close(sp);
}

static void die_now(const char *tmp_path)
{
    (void)tmp_path;
    raise(SIGKILL);
}

Test(spool, sigkill_between_write_and_rename_leaves_consistent_spool)
{
    struct mamori_spool *sp = open_spool(0, 0);
    put(sp, 1, "first");
    mamori_spool_close(sp);

    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        struct mamori_spool *child = open_spool(0, 0);
        mamori_durable_before_rename = die_now;
        mamori_spool_put(child, 2, "second", 6, NULL, err, sizeof err);
        _exit(0); /* not reached */
    }
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child died in the window");

    char spool_dir[128];
    snprintf(spool_dir, sizeof spool_dir, "%s/spool", dir);
    cr_assert_eq(count_tmp_files(spool_dir), 1, "the half-written report is a .tmp file");

    sp = open_spool(0, 0);
    cr_assert_eq(count_tmp_files(spool_dir), 0, "reopen removes crash leftovers");
    struct mamori_spool_stats st;
    mamori_spool_stats(sp, &st);
    cr_assert_eq(st.count, 1);
    char data[32];
    cr_assert_eq(oldest(sp, data, sizeof data), 1);
    cr_assert_str_eq(data, "first");
    put(sp, 2, "second again");
    mamori_spool_close(sp);
}

Test(spool, inspect_does_not_touch_a_live_writers_tmp_file)
{
    struct mamori_spool *sp = open_spool(0, 0);
    put(sp, 1, "x");
    mamori_spool_close(sp);
    char path[160], spool_dir[128];
    snprintf(spool_dir, sizeof spool_dir, "%s/spool", dir);
    snprintf(path, sizeof path, "%s/00000000000000000002.json.tmp", spool_dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fclose(f);
    sp = mamori_spool_inspect(spool_dir, err, sizeof err);
    cr_assert_not_null(sp, "%s", err);
    struct mamori_spool_stats st;
    mamori_spool_stats(sp, &st);
    cr_assert_eq(st.count, 1);
    mamori_spool_close(sp);
    cr_assert_eq(count_tmp_files(spool_dir), 1);
}

Test(spool, disk_full_keeps_old_reports_and_says_so)
{
    if (geteuid() != 0)
        cr_skip_test("needs root: mounts a 64 KiB tmpfs to fill the disk");
    char mnt[128];
    snprintf(mnt, sizeof mnt, "%s/small", dir);
    cr_assert_eq(mkdir(mnt, 0700), 0);
    /* A private mount namespace: the tmpfs vanishes with this test process
     * even if an assertion fails before the umount. */
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", mnt, "tmpfs", 0, "size=64k") != 0)
        cr_skip_test("cannot mount tmpfs: %s", strerror(errno));
    char spool_dir[160];
    snprintf(spool_dir, sizeof spool_dir, "%s/spool", mnt);
    struct mamori_spool *sp = mamori_spool_open(spool_dir, 0, 0, err, sizeof err);
    cr_assert_not_null(sp, "%s", err);

    static char blob[6000];
    memset(blob, 'R', sizeof blob - 1);
    uint64_t seq = 1;
    int rc = 0;
    for (; seq < 100; seq++) {
        rc = mamori_spool_put(sp, seq, blob, strlen(blob), NULL, err, sizeof err);
        if (rc < 0)
            break;
    }
    cr_assert_eq(rc, -1, "a 64 KiB file system must fill up");
    cr_assert(strstr(err, "no space left"), "clear message, got: %s", err);
    struct mamori_spool_stats st;
    mamori_spool_stats(sp, &st);
    cr_assert_eq(st.count, seq - 1, "every report stored before the disk filled is kept");
    cr_assert_eq(st.oldest_seq, 1);
    cr_assert_eq(count_tmp_files(spool_dir), 0, "no partial file left behind");
    char *data = NULL;
    size_t len = 0;
    uint64_t first = 0;
    cr_assert_eq(mamori_spool_peek_oldest(sp, &first, &data, &len, NULL, err, sizeof err), 0);
    cr_assert_eq(len, strlen(blob), "the oldest report is intact");
    free(data);
    mamori_spool_close(sp);
    cr_assert_eq(umount(mnt), 0);
}

Test(spool, seq_is_monotonic_across_restarts_and_refuses_corruption)
{
    uint64_t a = 0, b = 0, c = 0;
    cr_assert_eq(mamori_seq_next(dir, &a, err, sizeof err), 0, "%s", err);
    cr_assert_eq(mamori_seq_next(dir, &b, err, sizeof err), 0, "%s", err);
    cr_assert_eq(a, 1);
    cr_assert_eq(b, 2);
    cr_assert_eq(mamori_seq_peek(dir, &c, err, sizeof err), 0);
    cr_assert_eq(c, 2, "the counter on disk already holds the value in use");
    char path[128];
    snprintf(path, sizeof path, "%s/seq", dir);
    FILE *f = fopen(path, "w");
    fputs("12x\n", f);
    fclose(f);
    cr_assert_eq(mamori_seq_next(dir, &c, err, sizeof err), -1);
    cr_assert(strstr(err, "corrupt"), "%s", err);
}
