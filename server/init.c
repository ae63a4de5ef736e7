/* init.c -- creating a collector directory (see init.h).
 *
 * Secrets are random (32 bytes, hex) and written 0600; private keys too.
 * The output names the CA fingerprint so staff can check the file they copy
 * to PCs is the one this server uses. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <libintl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "ca.h"
#include "config.h"
#include "policy_central.h"
#include "store.h"

#define _(s) gettext(s)

static int write_secret(const char *path)
{
    unsigned char raw[32];
    char hex[65];
    int fd;
    ssize_t n;

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return -1;
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    hex[64] = '\n';
    n = write(fd, hex, 65);
    return close(fd) == 0 && n == 65 ? 0 : -1;
}

static int make_pki(const struct mamori_server_config *c, const struct mamori_init_options *opt,
                    char *err, size_t errlen)
{
    static const char *const default_names[] = {"localhost", "127.0.0.1"};
    struct mamori_ca ca;
    int rc;

    if (mamori_ca_create(c->ca_key, c->ca_cert, "mamori collector CA", err, errlen) != 0 ||
        mamori_ca_load(&ca, c->ca_key, c->ca_cert, err, errlen) != 0)
        return -1;
    rc = mamori_ca_issue_server(&ca, opt->nnames ? opt->names : default_names,
                                opt->nnames ? opt->nnames : 2, c->server_key, c->server_cert, err,
                                errlen);
    mamori_ca_free(&ca);
    return rc;
}

static int make_db(const struct mamori_server_config *c, char *err, size_t errlen)
{
    struct mamori_store *st = strcmp(c->db, "postgresql") == 0
                                  ? mamori_store_pg_open(c->db_dsn, err, errlen)
                                  : mamori_store_sqlite_open(c->db_path, err, errlen);
    if (st == NULL)
        return -1;
    st->ops->close(st);
    return 0;
}

static void print_handout(FILE *out, const struct mamori_server_config *c,
                          const struct mamori_init_options *opt, const char *conf)
{
    struct mamori_ca ca;
    char fp[128] = "?", err[256];
    if (mamori_ca_load(&ca, NULL, c->ca_cert, err, sizeof(err)) == 0) {
        mamori_cert_fingerprint(ca.cert, fp, sizeof(fp));
        mamori_ca_free(&ca);
    }
    fprintf(out, "%s %s\n\n", _("Collector created in"), opt->dir);
    fprintf(out, "%s\n", _("Hand these to the PCs (mamorictl enroll):"));
    fprintf(out, "  %s https://%s:%d\n", _("server URL:"),
            opt->nnames ? opt->names[0] : "localhost", c->listen_port);
    fprintf(out, "  %s %s\n", _("CA certificate:"), c->ca_cert);
    fprintf(out, "  %s SHA256 %s\n", _("CA fingerprint:"), fp);
    fprintf(out, "  %s %s\n\n", _("enrolment secret file:"), c->enroll_secret_file);
    fprintf(out, "%s %s\n", _("Query API token (keep private):"), c->api_token_file);
    fprintf(out, "%s %s\n", _("Central policy signing key (keep private):"), c->policy_key);
    fprintf(out, "%s mamori-server serve --config %s\n", _("Start with:"), conf);
}

int mamori_server_init(const struct mamori_init_options *opt, FILE *out, char *err, size_t errlen)
{
    struct mamori_server_config c;
    char conf[PATH_MAX + 16];

    if (mkdir(opt->dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", opt->dir, strerror(errno));
        return -1;
    }
    mamori_server_config_defaults(&c, opt->dir);
    snprintf(conf, sizeof(conf), "%s/server.conf", opt->dir);
    if (access(conf, F_OK) == 0) {
        snprintf(err, errlen, "%s exists: refusing to overwrite a collector", conf);
        return -1;
    }
    if (opt->db != NULL)
        snprintf(c.db, sizeof(c.db), "%s", opt->db);
    if (opt->dsn != NULL)
        snprintf(c.db_dsn, sizeof(c.db_dsn), "%s", opt->dsn);
    if (opt->port > 0)
        c.listen_port = opt->port;
    if (make_pki(&c, opt, err, errlen) != 0 || mamori_policy_keygen(c.policy_key, err, errlen) < 0)
        return -1;
    if (write_secret(c.enroll_secret_file) != 0 || write_secret(c.api_token_file) != 0) {
        snprintf(err, errlen, "cannot write secrets in %s: %s", opt->dir, strerror(errno));
        return -1;
    }
    if (make_db(&c, err, errlen) != 0)
        return -1;
    if (strcmp(c.db, "sqlite") == 0)
        chmod(c.db_path, 0600); /* reports name hosts and staff departments */
    if (mamori_server_config_write(&c, conf) != 0) {
        snprintf(err, errlen, "%s: %s", conf, strerror(errno));
        return -1;
    }
    print_handout(out, &c, opt, conf);
    return 0;
}
