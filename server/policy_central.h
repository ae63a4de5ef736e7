/* policy_central.h -- central policy on the collector (docs/central-policy.md).
 *
 * Three parts:
 *   policy_compose.c  the bundle one PC should run: its group's policy, the
 *                     registered media of its 所属 that are in use and not
 *                     expired, and the exceptions in force for it or its group;
 *                     versioned by content, with the instant it next changes
 *   policy_service.c  the running collector: the policy signing key, the
 *                     version each report's acknowledgement names (cached per
 *                     host, recomposed when the database's policy revision
 *                     moves or an expiry passes), POST /v1/policy serving the
 *                     signed bundle, the public key handed out at enrolment
 *   policy_cli.c      `mamori-server policy|usb|exception ...` and the audit
 *                     tables of `export --csv --table exceptions|ledger|policy` */
#ifndef MAMORI_SERVER_POLICY_CENTRAL_H
#define MAMORI_SERVER_POLICY_CENTRAL_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "server.h"

/* JWS "typ" of a signed policy bundle. */
#define MAMORI_POLICY_JWS_TYP "mamori-policy+jws"

/* The PC as the collector knows it. */
struct mamori_policy_host {
    const char *id;
    const char *segment;
    const char *department;
};

struct mamori_composed_bundle {
    char group[128];
    char version[32];   /* "b-" + 16 hex of SHA-256 over group and policy */
    char *payload;      /* the bundle document (bundle.h), malloc'd */
    time_t next_change; /* the next expiry or start among its inputs, 0 = none */
    int assigned;       /* the group came from an assignment, not a match */
};

/* Compose the bundle for h at now.  0 composed; 1 no group applies; -1 with
 * a message (including a composed policy the agents' rules would refuse). */
int mamori_policy_compose(struct mamori_store *s, const struct mamori_policy_host *h, time_t now,
                          struct mamori_composed_bundle *out, char *err, size_t errlen);
void mamori_composed_bundle_clear(struct mamori_composed_bundle *b);

/* ---- policy_service.c ---- */

/* Load the policy key (when its file exists) and prepare the tables.
 * Called by mamori_server_open; 0 or -1 with err. */
int mamori_policy_service_open(struct mamori_server *s, char *err, size_t errlen);
void mamori_policy_service_close(struct mamori_server *s);
/* Whether bundles can be signed (a policy key is loaded). */
int mamori_policy_service_enabled(const struct mamori_server *s);
/* Add "policy_bundle": version to a report acknowledgement when a central
 * policy applies to this host. */
void mamori_policy_ack(struct mamori_server *s, const char *host_id, const char *segment,
                       const char *department, cJSON *ack);
/* Add "policy_key" (the public JWK) to an enrolment answer. */
void mamori_policy_enrol_reply(struct mamori_server *s, cJSON *reply);
/* Create the policy key file (Ed25519, 0600) when it does not exist.
 * 0 created, 1 it existed already, -1 with err. */
int mamori_policy_keygen(const char *path, char *err, size_t errlen);
/* Compose and sign the bundle for h.  0 with *jws (malloc'd) and the
 * composition in *out; 1 no group applies; -1 with err. */
int mamori_policy_sign_for(struct mamori_server *s, const struct mamori_policy_host *h,
                           struct mamori_composed_bundle *out, char **jws, char *err,
                           size_t errlen);

/* ---- policy_cli.c ---- */

/* `mamori-server policy|usb|exception ARGS`; default_config when no
 * --config or $MAMORI_SERVER_CONFIG.  Returns the exit status. */
int mamori_policy_cli_main(const char *cmd, int argc, char **argv, const char *default_config);
/* The audit tables: "exceptions", "ledger" or "policy" (groups and their
 * hosts).  CSV as mamori_export_csv writes it.  0, -1, or -2 unknown table. */
int mamori_policy_export_csv(struct mamori_server *s, const char *table, FILE *out);

#endif
