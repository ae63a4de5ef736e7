/* policy_fetch.h -- asking the collector for this PC's central policy.
 *
 * Every report acknowledgement may name the bundle version the collector
 * holds for the PC ("policy_bundle", docs/protocol.md).  When it differs
 * from the version in force, the PC fetches the signed bundle with
 * POST <server>/v1/policy over the same mutual TLS as its reports, and
 * checks it (bundle_sig.h) before anything else looks at it.  Plain
 * functions over https_client.h, usable from any process that holds the
 * device identity. */
#ifndef MAMORI_POLICY_FETCH_H
#define MAMORI_POLICY_FETCH_H

#include <stddef.h>

#include "https_client.h"

#define MAMORI_POLICY_VERSION_MAX 80

/* The "policy_bundle" of an acknowledgement body into out ("" when absent
 * or not a short printable string). */
void mamori_ack_policy_bundle(const char *body, size_t len, char *out, size_t outlen);

/* Fetch the signed bundle (cfg: CA, device certificate and key, proxy).
 * have names the version in force (informational).  0 with *jws (malloc'd,
 * NUL-terminated, *len bytes); 1 when the collector holds no bundle for
 * this PC; -1 with a reason. */
int mamori_policy_fetch(const struct mamori_https_config *cfg, const char *server_url,
                        const char *have, char **jws, size_t *len, char *err, size_t errlen);

#endif /* MAMORI_POLICY_FETCH_H */
