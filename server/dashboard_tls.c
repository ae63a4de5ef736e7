/* dashboard_tls.c -- a certificate browsers accept, on the collector's listener.
 *
 * The collector's identity is Ed25519 (ca.c), which PCs verify against the
 * pinned collector CA.  No mainstream browser accepts Ed25519 certificates
 * (Chromium fails with ERR_SSL_VERSION_OR_CIPHER_MISMATCH), so the
 * dashboard needs a second certificate: ECDSA or RSA, normally issued by a
 * CA the staff's browsers already trust (the municipality's internal CA).
 * Put it beside server.conf as dashboard.pem (leaf first, then its chain)
 * and dashboard.key (mode 0600).
 *
 * Which certificate a connection gets is decided from its ClientHello: a
 * client that offers Ed25519 signatures (OpenSSL, libcurl: the agents,
 * mamorictl, scripts) keeps the collector certificate exactly as before; a
 * client that does not (browsers) is given the dashboard certificate.
 * Agents never see the dashboard certificate, so their CA pin is untouched. */
#include "dashboard.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/tls1.h>

#define SIGALG_ED25519 0x0807

struct dashboard_identity {
    X509 *cert;
    STACK_OF(X509) * chain;
    EVP_PKEY *key;
};

/* Loaded once per process by `serve`; lives as long as the process. */
static struct dashboard_identity identity;

/* The signature_algorithms extension: a 2-byte length, then 2-byte codes. */
static int offers_ed25519(const unsigned char *ext, size_t len)
{
    size_t n;
    if (len < 2)
        return 0;
    n = ((size_t)ext[0] << 8 | ext[1]);
    if (n + 2 > len)
        return 0;
    for (size_t i = 2; i + 1 < n + 2; i += 2)
        if (((unsigned)ext[i] << 8 | ext[i + 1]) == SIGALG_ED25519)
            return 1;
    return 0;
}

static int client_hello(SSL *ssl, int *alert, void *arg)
{
    const struct dashboard_identity *id = arg;
    const unsigned char *ext = NULL;
    size_t len = 0;
    (void)alert;
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_signature_algorithms, &ext, &len) == 1 &&
        offers_ed25519(ext, len))
        return SSL_CLIENT_HELLO_SUCCESS;
    /* On failure the handshake goes on with the collector certificate and
     * the browser refuses it: nothing is weakened. */
    if (SSL_use_certificate(ssl, id->cert) == 1 && SSL_use_PrivateKey(ssl, id->key) == 1)
        SSL_set1_chain(ssl, id->chain);
    return SSL_CLIENT_HELLO_SUCCESS;
}

static int load_chain(const char *path, struct dashboard_identity *id, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    X509 *extra;
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    id->cert = PEM_read_X509(f, NULL, NULL, NULL);
    id->chain = sk_X509_new_null();
    while (id->cert != NULL && (extra = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
        sk_X509_push(id->chain, extra);
    ERR_clear_error(); /* the end of the file reads as an error */
    fclose(f);
    if (id->cert == NULL) {
        snprintf(err, errlen, "%s: no PEM certificate", path);
        return -1;
    }
    return 0;
}

static int load_key(const char *path, struct dashboard_identity *id, char *err, size_t errlen)
{
    struct stat st;
    FILE *f;
    if (stat(path, &st) != 0 || (st.st_mode & 077) != 0) {
        snprintf(err, errlen, "%s: missing, or readable by group/others (chmod 600)", path);
        return -1;
    }
    f = fopen(path, "r");
    id->key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (id->key == NULL) {
        snprintf(err, errlen, "%s: no PEM private key", path);
        return -1;
    }
    if (X509_check_private_key(id->cert, id->key) != 1) {
        snprintf(err, errlen, "%s does not belong to the dashboard certificate", path);
        return -1;
    }
    if (EVP_PKEY_id(id->key) == EVP_PKEY_ED25519 || EVP_PKEY_id(id->key) == EVP_PKEY_ED448) {
        snprintf(err, errlen, "%s: browsers need an ECDSA or RSA key, not EdDSA", path);
        return -1;
    }
    return 0;
}

int mamori_dashboard_tls(struct mamori_server *s, char *err, size_t errlen)
{
    char cert[PATH_MAX + 32], key[PATH_MAX + 32];
    if (s->tls == NULL || identity.cert != NULL)
        return 0;
    snprintf(cert, sizeof(cert), "%s/dashboard.pem", s->cfg.dir);
    snprintf(key, sizeof(key), "%s/dashboard.key", s->cfg.dir);
    if (access(cert, F_OK) != 0) {
        fprintf(stderr,
                "mamori-server: dashboard: no %s; browsers cannot open /ui/ (they do not"
                " accept the collector's Ed25519 certificate; see docs/dashboard.md)\n",
                cert);
        return 0;
    }
    if (load_chain(cert, &identity, err, errlen) != 0 ||
        load_key(key, &identity, err, errlen) != 0) {
        X509_free(identity.cert);
        sk_X509_pop_free(identity.chain, X509_free);
        EVP_PKEY_free(identity.key);
        memset(&identity, 0, sizeof(identity));
        return -1;
    }
    SSL_CTX_set_client_hello_cb(s->tls, client_hello, &identity);
    return 0;
}
