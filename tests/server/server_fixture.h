/* server_fixture.h -- a real mamori-server on loopback for tests.
 *
 * Creates a collector with mamori_server_init() in a temporary directory
 * (SQLite, or PostgreSQL when MAMORI_TEST_PG_DSN is set), serves it over
 * TLS on 127.0.0.1:<free port> in a thread, and offers a libcurl client that
 * enrols hosts and posts signed reports with client certificates. */
#ifndef MAMORI_TEST_SERVER_FIXTURE_H
#define MAMORI_TEST_SERVER_FIXTURE_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "server.h"

struct tsrv {
    char dir[256];
    struct mamori_server srv;
    pthread_t thread;
    char url[64];
};

struct thost {
    char id[65];
    char hostname[64];
    EVP_PKEY *key;
    char key_file[400], cert_file[400];
};

struct tresp {
    long status; /* 0 when the TLS/HTTP exchange failed */
    char body[8192];
};

void tsrv_start(struct tsrv *t);
/* Same, letting tweak adjust the configuration before serving. */
void tsrv_start_with(struct tsrv *t, void (*tweak)(struct mamori_server_config *c, void *arg),
                     void *arg);
void tsrv_stop(struct tsrv *t);

/* A fresh host identity (random id, new Ed25519 key). */
void thost_new(struct thost *h, const char *hostname);
void thost_free(struct thost *h);

/* POST /v1/enroll with the given secret (NULL = the right one). */
struct tresp tsrv_enroll(struct tsrv *t, struct thost *h, const char *secret);

/* A schema-1 payload for h (caller frees). */
char *treport_payload(const struct thost *h, long seq, long time_offset, const char *verdict);
/* Sign payload with key (NULL = h->key); caller frees. */
char *treport_sign(const struct thost *h, EVP_PKEY *key, const char *payload);

/* POST body to path with h's client certificate (h NULL = none). */
struct tresp tsrv_post(struct tsrv *t, const struct thost *h, const char *path, const char *ctype,
                       const char *body, size_t len);
struct tresp tsrv_get(struct tsrv *t, const char *path, const char *bearer);

#endif
