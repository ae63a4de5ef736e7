/* bench_check.c -- CPU time of one full posture check (every registered check,
 * as `mamorictl check` runs them) over a fixture tree, in-process so process
 * start-up is not counted, beside a baseline measured in the same run: open
 * and read every file of the same tree once (the least any checker reading
 * those files must spend).  Budget (DESIGN.md): 10 ms CPU per full check. */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"

static double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static long files_read;

static int read_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    char buf[65536];
    (void)st;
    (void)ftw;
    if (type != FTW_F)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    close(fd);
    files_read++;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s ROOT [RUNS]\n", argv[0]);
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 500;
    struct mamori_policy *policy = mamori_policy_preset(MAMORI_SEGMENT_LGWAN);
    struct mamori_check_ctx ctx = {.root = argv[1], .policy = policy, .now = time(NULL)};
    int status = 0, n_checks = 0;

    for (const struct mamori_check *const *c = mamori_checks; *c != NULL; c++)
        n_checks++;
    cJSON_Delete(mamori_check_run_all(&ctx, &status)); /* warm the page cache */

    double t0 = cpu_ms();
    for (int i = 0; i < runs; i++)
        cJSON_Delete(mamori_check_run_all(&ctx, &status));
    double check_ms = (cpu_ms() - t0) / runs;

    t0 = cpu_ms();
    for (int i = 0; i < runs; i++)
        nftw(argv[1], read_one, 32, FTW_PHYS);
    double read_ms = (cpu_ms() - t0) / runs;

    printf("full posture check (%d checks, in-process)  %8.3f ms CPU/run   budget 10 ms  %s\n",
           n_checks, check_ms, check_ms <= 10.0 ? "OK" : "OVER BUDGET");
    printf("baseline: read all %5ld files of the tree  %8.3f ms CPU/run\n", files_read / runs,
           read_ms);
    printf("runs %d, exit status of the last check %d\n", runs, status);
    mamori_policy_free(policy);
    return check_ms <= 10.0 ? 0 : 1;
}
