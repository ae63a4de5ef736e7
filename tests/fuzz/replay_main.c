/* replay_main.c -- runs a libFuzzer target over every file of a corpus folder.
 *
 * Linked instead of libFuzzer in ordinary builds, so each fuzz target's seed
 * corpus (and every crash ever minimized into it) is replayed by ctest under
 * the same sanitizers as the rest of the suite.  Exit 0 when all inputs ran;
 * a crash aborts the process, which ctest reports. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long len;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        if (f != NULL)
            fclose(f);
        return -1;
    }
    buf = malloc((size_t)len + 1);
    if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t)len);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    char path[4096];
    struct dirent *de;
    DIR *dir;
    int count = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    dir = opendir(argv[1]);
    if (dir == NULL) {
        fprintf(stderr, "replay: cannot open corpus %s\n", argv[1]);
        return 2;
    }
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name);
        if (replay_file(path) != 0) {
            closedir(dir);
            return 1;
        }
        count++;
    }
    closedir(dir);
    if (count == 0) {
        fprintf(stderr, "replay: corpus %s is empty\n", argv[1]);
        return 1;
    }
    printf("replayed %d inputs from %s\n", count, argv[1]);
    return 0;
}
