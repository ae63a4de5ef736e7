/* sender.h -- sign one queued report and hand it to the collector.
 *
 * This is the courier's work (agent/courier.c): it holds the device key,
 * the device certificate and the collector CA in memory (the agent passes
 * them as open files, so the courier needs no right to open them), signs
 * each payload as JWS EdDSA and POSTs it to <server>/v1/reports over mutual
 * TLS 1.3 (https_client.h).  The collector's answer decides the outcome
 * (docs/protocol.md):
 *
 *   200 {"status":"accepted"|"duplicate"}   stored: the agent removes it
 *       (with "policy_bundle": the central policy version for this PC)
 *   409 replay                              refused: the agent moves it aside
 *   401 unknown_node                        unknown node: the agent keeps it and
 *                                           enrols again (agentd_reenrol.c)
 *   403 revoked                             revoked: kept, never re-enrolled
 *   5xx, other 4xx, no answer ...           retry later, with the reason
 */
#ifndef MAMORI_SENDER_H
#define MAMORI_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mamori_sender_config {
    const char *server_url; /* https://collector:8443 */
    const char *proxy;      /* policy report.proxy, NULL = none */
    const char *ca_pem;     /* collector CA (PEM text) */
    const char *cert_pem;   /* device certificate */
    const char *key_pem;    /* device key (Ed25519, PKCS#8 PEM) */
};

enum mamori_send_outcome {
    MAMORI_SEND_STORED,       /* accepted or duplicate */
    MAMORI_SEND_REFUSED,      /* a replay: never retry it */
    MAMORI_SEND_RETRY,        /* the reason is in err */
    MAMORI_SEND_UNKNOWN_NODE, /* the collector does not know the key: keep, enrol again */
    MAMORI_SEND_REVOKED,      /* the collector revoked the key: keep, do not enrol again */
};

struct mamori_sender;

/* NULL with a message when the key is not an Ed25519 PEM key. */
struct mamori_sender *mamori_sender_new(const struct mamori_sender_config *cfg, char *err,
                                        size_t errlen);
void mamori_sender_free(struct mamori_sender *s);

/* Deliver report seq: a payload to sign, or (signed_jws) a JWS to send as
 * it is.  err receives the reason of anything but STORED. */
enum mamori_send_outcome mamori_sender_send(struct mamori_sender *s, uint64_t seq, const char *data,
                                            size_t len, bool signed_jws, char *err, size_t errlen);

/* The central policy bundle version the last stored report's
 * acknowledgement named ("" when none: no central policy for this PC). */
const char *mamori_sender_policy_offer(const struct mamori_sender *s);

/* Fetch this PC's signed policy bundle over the same mutual TLS
 * (policy_fetch.h): 0 with *jws (malloc'd), 1 when the collector holds
 * none for this PC, -1 with the reason.  The caller checks the signature. */
int mamori_sender_fetch_policy(struct mamori_sender *s, const char *have, char **jws, size_t *len,
                               char *err, size_t errlen);

#endif /* MAMORI_SENDER_H */
