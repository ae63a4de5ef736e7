/* bundle.h -- a policy as the collector distributes it (issue: central policy).
 *
 * The collector wraps a group's policy in a small document and signs it
 * (JWS, EdDSA, with the policy key created by `mamori-server init`); agents
 * verify the signature with the key they pinned at enrolment, then hand the
 * payload here.  This file only knows the document:
 *
 *   {"schema":1, "type":"mamori-policy-bundle", "group":"lgwan-市民課",
 *    "version":"g7-2026-11-23T05:00:00Z", "issued":"2026-11-23T05:00:00Z",
 *    "policy":{ ...the policy file's object... }}
 *
 * Validation is the policy loader's, so a pushed policy and a local file are
 * held to exactly the same rules; the bundle's version overrides the policy's
 * so reports say which push is in force. */
#ifndef MAMORI_BUNDLE_H
#define MAMORI_BUNDLE_H

#include <stddef.h>
#include <time.h>

#include "policy.h"

#define MAMORI_BUNDLE_TYPE "mamori-policy-bundle"

/* The bundle payload for a policy object (taken by reference, duplicated).
 * Returns a malloc'd compact JSON string, or NULL. */
char *mamori_bundle_build(const char *group, const char *version, time_t issued,
                          const char *policy_json);

/* Parse a verified bundle payload into a policy.  The group and version are
 * copied into *group_out (malloc'd, may be NULL) and the policy's version.
 * Returns 0, or -1 with err filled (the path names "policy.<key>" for errors
 * inside the policy). */
int mamori_bundle_parse(const char *payload, size_t len, struct mamori_policy **out,
                        char **group_out, struct mamori_policy_error *err);

#endif
