/* init.h -- `mamori-server init DIR`: a working collector in one step. */
#ifndef MAMORI_SERVER_INIT_H
#define MAMORI_SERVER_INIT_H

#include <stdio.h>

struct mamori_init_options {
    const char *dir;
    const char *const *names; /* DNS names / IPs for the server certificate */
    int nnames;
    const char *db;  /* "sqlite" (default) or "postgresql" */
    const char *dsn; /* for postgresql */
    int port;
};

/* Create CA, server certificate, enrolment secret, API token, database and
 * server.conf in opt->dir; print what to hand to PCs on out.  Refuses to
 * overwrite an existing server.conf.  0 or -1 with err. */
int mamori_server_init(const struct mamori_init_options *opt, FILE *out, char *err, size_t errlen);

#endif
