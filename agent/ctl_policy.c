/* ctl_policy.c -- how mamorictl finds and validates its policy.
 *
 * Shared by check, report and usb list so every command reports a broken
 * policy the same way: the file, the line when known, the key and what was
 * expected, then exit status 2. */
#include "ctl_policy.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_text.h"

int mamori_ctl_policy_load(const char *path, const char *segment, struct mamori_policy **out)
{
    struct mamori_policy_error err;
    enum mamori_segment seg;
    char msg[1024];

    if (segment != NULL) {
        if (mamori_segment_from_name(segment, &seg) != 0) {
            fprintf(stderr,
                    _("mamorictl: unknown segment '%s' (use mynumber, lgwan or internet)\n"),
                    segment);
            return -1;
        }
        *out = mamori_policy_preset(seg);
        if (*out == NULL) {
            fprintf(stderr, "mamorictl: out of memory\n");
            return -1;
        }
        return 0;
    }
    if (path == NULL)
        path = MAMORI_POLICY_DEFAULT_PATH;
    if (mamori_policy_load(path, out, &err) != 0) {
        mamori_policy_error_format(&err, path, msg, sizeof(msg));
        fprintf(stderr, _("mamorictl: invalid policy: %s\n"), msg);
        return -1;
    }
    return 0;
}

int mamori_ctl_policy(int argc, char **argv)
{
    struct mamori_policy *pol;
    const char *path;

    if (argc < 2 || strcmp(argv[1], "validate") != 0 || argc > 3) {
        fprintf(stderr, _("usage: mamorictl policy validate [FILE]\n"));
        return 2;
    }
    path = argc == 3 ? argv[2] : MAMORI_POLICY_DEFAULT_PATH;
    if (mamori_ctl_policy_load(path, NULL, &pol) != 0)
        return 2;
    printf(_("%s: valid (segment %s, version %s, %zu registered media)\n"), path,
           mamori_segment_name(pol->segment), pol->version, pol->usb.n_allow);
    mamori_policy_free(pol);
    return 0;
}
