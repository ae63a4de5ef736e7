/* enforce_version.c -- names the enforcement library's interface version, so
 * `mamorictl status` can tell which enforcement code a running agent has. */
#include "enforce_version.h"

const char *mamori_enforce_version(void)
{
    return MAMORI_VERSION;
}
