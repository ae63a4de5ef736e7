/* relay.h -- forwarding signed reports upstream, online (relay) or offline (bundle).
 *
 * A report crosses collectors unchanged (same JWS bytes) together with the
 * host's certificate.  The receiving collector accepts it only when that
 * certificate chains to its own CA or to a relay CA it was told to trust
 * (relay_ca_file), names the host (CN = host id), and its key verifies the
 * JWS; then the host is known by that key and the report goes through the
 * same ingest checks as a direct one.  docs/server.md explains the design. */
#ifndef MAMORI_SERVER_RELAY_H
#define MAMORI_SERVER_RELAY_H

#include <stdio.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "server.h"

/* One forwarded item {"host":{id,hostname,segment,department,municipality,
 * certificate},"jws":"..."}: verify and store.  Returns the HTTP-like status
 * of the ingest (200 accepted/duplicate) and *resp (caller frees). */
int mamori_relay_accept_item(struct mamori_server *s, const cJSON *item, cJSON **resp);
/* Several items, stored as one group commit (each still answered on its
 * own): status[i] and resp[i] (caller frees) for items[i]. */
void mamori_relay_accept_items(struct mamori_server *s, const cJSON *const *items, int n,
                               int *status, cJSON **resp);

/* Relay side: forward queued reports until the queue is empty or the
 * upstream fails.  Returns the number forwarded, -1 on failure. */
long mamori_relay_flush(struct mamori_server *s, char *err, size_t errlen);

/* Start/stop the background forwarder of a serving relay (no-op without
 * upstream_url). */
int mamori_relay_start(struct mamori_server *s);
void mamori_relay_stop(struct mamori_server *s);

/* Offline bundle: JSON lines of items received since `since`. */
int mamori_bundle_export(struct mamori_server *s, time_t since, FILE *out);
/* Import a bundle; counts of accepted/duplicate/rejected lines on stderr.
 * 0 when every line was accepted or a duplicate. */
int mamori_bundle_import(struct mamori_server *s, FILE *in, FILE *log);

/* Issue a client certificate for a relay (CN "relay-NAME") from our CA. */
int mamori_relay_issue_cert(struct mamori_server *s, const char *name, const char *key_path,
                            const char *cert_path, char *err, size_t errlen);

#endif
