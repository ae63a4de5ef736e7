/* enroll.h -- enrolment: obtain a device certificate from the collector.
 *
 * POST /v1/enroll (TLS 1.3, no client certificate) with the enrolment secret,
 * a CSR for the device key (CN = host id) and host facts; the collector's CA
 * issues the device certificate, and hands out the public key that signs
 * central policy bundles, which the PC pins (policy-key.json; removed when
 * the collector distributes no policy).  The collector CA must already be trusted:
 * either a CA file (from `mamori-server init`) or a "sha256:<hex>" pin of the
 * CA certificate -- never trust on first use.  Results stored in the state
 * directory: device.key (0600), device.crt, ca.crt, enroll.json
 * ({"server","host_id","kid","secret_file"}: the path of the secret, never
 * the secret, so the agent can enrol again with the same settings when the
 * collector forgets the PC).  See docs/protocol.md for the wire format. */
#ifndef MAMORI_ENROLL_H
#define MAMORI_ENROLL_H

#include <stddef.h>

#define MAMORI_DEVICE_KEY_FILE  "device.key"
#define MAMORI_DEVICE_CERT_FILE "device.crt"
#define MAMORI_CA_FILE          "ca.crt"
#define MAMORI_ENROLL_FILE      "enroll.json"

struct mamori_enroll_params {
    const char *server_url; /* https://collector:8443 */
    const char *secret;
    const char *secret_file; /* where the secret came from, recorded in enroll.json; NULL: none */
    const char *state_dir;
    const char *ca_file;        /* trusted collector CA (PEM), or */
    const char *ca_fingerprint; /* SHA-256 of the CA certificate (any spelling above) */
    const char *host_id;        /* hex, from mamori_host_id() */
    const char *hostname;
    const char *segment;
    const char *department;
    const char *municipality;
    const char *proxy;
};

/* Enrol.  0 on success; -1 with a clear message (403: secret refused or
 * key revoked, CA mismatch, certificate not for our key, TLS failure...). */
int mamori_enroll(const struct mamori_enroll_params *p, char *err, size_t errlen);

/* A CA pin as people copy it -- "SHA256 AB:CD:..." (as `mamori-server init`
 * prints it), "sha256:AB:CD:...", "sha256:abcd..." or 64 bare hex digits,
 * colons optional, any case -- into the canonical "sha256:<64 lowercase
 * hex>".  0, or -1 with a message naming what is wrong. */
int mamori_ca_fingerprint_normalize(const char *in, char *out, size_t outlen, char *err,
                                    size_t errlen);

/* Read the enrolment secret from a file (first line, trimmed).  The file
 * must not be readable by others.  malloc'd, or NULL with a message. */
char *mamori_enroll_read_secret(const char *path, char *err, size_t errlen);

#endif /* MAMORI_ENROLL_H */
