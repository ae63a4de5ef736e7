/* ctl_check.h -- `mamorictl check`: every posture check, once, locally. */
#ifndef MAMORI_CTL_CHECK_H
#define MAMORI_CTL_CHECK_H

#include <stdio.h>

#include <cjson/cJSON.h>

int mamori_ctl_check(int argc, char **argv);

/* Print one check result object (as from mamori_check_result_json) for people:
 * verdict, title, detail and -- unless it passed -- the remediation.  Shared
 * with `mamorictl status`. */
void mamori_ctl_print_check(FILE *out, const cJSON *check);

#endif
