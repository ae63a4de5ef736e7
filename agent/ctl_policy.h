/* ctl_policy.h -- policy loading as every mamorictl subcommand does it, and
 * `mamorictl policy validate`. */
#ifndef MAMORI_CTL_POLICY_H
#define MAMORI_CTL_POLICY_H

#include "policy.h"

/* Load the policy for a command: --policy FILE (or the default path), or the
 * built-in preset of --segment NAME when given.  Prints a clear error to stderr
 * and returns -1 on failure (callers exit 2). */
int mamori_ctl_policy_load(const char *path, const char *segment, struct mamori_policy **out);

/* mamorictl policy validate [FILE] -- exit 0 valid, 2 invalid. */
int mamori_ctl_policy(int argc, char **argv);

#endif
