/* ingest.h -- accepting one signed report: the checks in the order they run.
 *
 * client certificate -> enrolled key -> kid -> JWS signature -> payload
 * shape -> host id -> time window -> seq (storage).  Kept apart from HTTP so
 * relays and the offline bundle import run the very same checks. */
#ifndef MAMORI_SERVER_INGEST_H
#define MAMORI_SERVER_INGEST_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "metrics.h"
#include "server.h"

/* Verify and store the JWS compact (len bytes) from the host whose key is
 * pub.  Returns the HTTP status and sets *resp (caller owns).  The outcome
 * is counted in metrics. */
int mamori_ingest_jws(struct mamori_server *s, EVP_PKEY *pub, const char *jws, size_t len,
                      int relay, cJSON **resp);

/* SHA-256 hex of data (out >= 65 bytes). */
void mamori_sha256_hex(const void *data, size_t len, char *out);

#endif
