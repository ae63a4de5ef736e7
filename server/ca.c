/* ca.c -- Ed25519 CA: creation, server certificate, signing host CSRs. */
#include "ca.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define CA_DAYS     (20 * 365)
#define SERVER_DAYS (10 * 365)
#define HOST_DAYS   (10 * 365)

static void ssl_err(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_get_error();
    snprintf(err, errlen, "%s: %s", what, e ? ERR_reason_error_string(e) : "failed");
    ERR_clear_error();
}

static EVP_PKEY *new_ed25519(void)
{
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_keygen(ctx, &key) <= 0)
        key = NULL;
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* Private keys are created 0600 from the start, never chmod'ed afterwards. */
static int write_key(EVP_PKEY *key, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int ok;
    if (f == NULL) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int write_cert(X509 *cert, const char *path)
{
    FILE *f = fopen(path, "w");
    int ok;
    if (f == NULL)
        return -1;
    ok = PEM_write_X509(f, cert);
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int random_serial(X509 *cert, char *serial_hex)
{
    unsigned char raw[16];
    BIGNUM *bn;
    int ok;

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return -1;
    raw[0] &= 0x7f; /* positive */
    bn = BN_bin2bn(raw, sizeof(raw), NULL);
    ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
    if (ok && serial_hex != NULL) {
        char *hex = BN_bn2hex(bn);
        snprintf(serial_hex, 41, "%s", hex ? hex : "");
        OPENSSL_free(hex);
    }
    BN_free(bn);
    return ok ? 0 : -1;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *ext;
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (ext == NULL)
        return -1;
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return 0;
}

/* A certificate for pub with subject CN=cn, valid now .. days. */
static X509 *new_cert(EVP_PKEY *pub, const char *cn, int days, char *serial_hex)
{
    X509 *cert = X509_new();
    X509_NAME *name;
    if (cert == NULL || X509_set_version(cert, 2) != 1 || random_serial(cert, serial_hex) != 0 ||
        X509_gmtime_adj(X509_getm_notBefore(cert), -300) == NULL ||
        X509_gmtime_adj(X509_getm_notAfter(cert), (long)days * 86400) == NULL ||
        X509_set_pubkey(cert, pub) != 1) {
        X509_free(cert);
        return NULL;
    }
    name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"mamori", -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    return cert;
}

int mamori_ca_create(const char *key_path, const char *cert_path, const char *common_name,
                     char *err, size_t errlen)
{
    EVP_PKEY *key = new_ed25519();
    X509 *cert = key ? new_cert(key, common_name, CA_DAYS, NULL) : NULL;
    int rc = -1;

    if (cert == NULL) {
        ssl_err(err, errlen, "CA key/certificate");
        goto out;
    }
    X509_set_issuer_name(cert, X509_get_subject_name(cert));
    if (add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
        add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        add_ext(cert, cert, NID_subject_key_identifier, "hash") ||
        X509_sign(cert, key, NULL) <= 0) {
        ssl_err(err, errlen, "CA certificate");
        goto out;
    }
    if (write_key(key, key_path) != 0 || write_cert(cert, cert_path) != 0) {
        snprintf(err, errlen, "cannot write %s or %s", key_path, cert_path);
        goto out;
    }
    rc = 0;
out:
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

/* "DNS:a,IP:1.2.3.4,..." from a list of names. */
static void san_list(const char *const *names, int n, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n && used < outlen; i++) {
        unsigned char buf[16];
        int ip = inet_pton(AF_INET, names[i], buf) == 1 || inet_pton(AF_INET6, names[i], buf) == 1;
        used += (size_t)snprintf(out + used, outlen - used, "%s%s:%s", i ? "," : "",
                                 ip ? "IP" : "DNS", names[i]);
    }
}

static int sign_leaf(const struct mamori_ca *ca, X509 *cert, const char *eku)
{
    X509_set_issuer_name(cert, X509_get_subject_name(ca->cert));
    if (add_ext(cert, ca->cert, NID_basic_constraints, "critical,CA:FALSE") ||
        add_ext(cert, ca->cert, NID_key_usage, "critical,digitalSignature") ||
        add_ext(cert, ca->cert, NID_ext_key_usage, eku) ||
        add_ext(cert, ca->cert, NID_authority_key_identifier, "keyid:always"))
        return -1;
    return X509_sign(cert, ca->key, NULL) > 0 ? 0 : -1;
}

int mamori_ca_issue_server(const struct mamori_ca *ca, const char *const *names, int n,
                           const char *key_path, const char *cert_path, char *err, size_t errlen)
{
    EVP_PKEY *key = new_ed25519();
    X509 *cert = key && n > 0 ? new_cert(key, names[0], SERVER_DAYS, NULL) : NULL;
    char san[2048];
    int rc = -1;

    if (cert == NULL) {
        ssl_err(err, errlen, "server key/certificate");
        goto out;
    }
    san_list(names, n, san, sizeof(san));
    if (add_ext(cert, ca->cert, NID_subject_alt_name, san) != 0 ||
        sign_leaf(ca, cert, "serverAuth") != 0) {
        ssl_err(err, errlen, "server certificate");
        goto out;
    }
    if (write_key(key, key_path) != 0 || write_cert(cert, cert_path) != 0) {
        snprintf(err, errlen, "cannot write %s or %s", key_path, cert_path);
        goto out;
    }
    rc = 0;
out:
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

int mamori_ca_load(struct mamori_ca *ca, const char *key_path, const char *cert_path, char *err,
                   size_t errlen)
{
    FILE *f;
    memset(ca, 0, sizeof(*ca));
    if ((f = fopen(cert_path, "r")) != NULL) {
        ca->cert = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
    }
    if (key_path != NULL && (f = fopen(key_path, "r")) != NULL) {
        ca->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
    }
    if (ca->cert == NULL || (key_path != NULL && ca->key == NULL)) {
        snprintf(err, errlen, "cannot load CA from %s / %s", cert_path, key_path ? key_path : "-");
        mamori_ca_free(ca);
        return -1;
    }
    return 0;
}

void mamori_ca_free(struct mamori_ca *ca)
{
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
    memset(ca, 0, sizeof(*ca));
}

static X509_REQ *read_csr(const char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509_REQ *req = bio ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return req;
}

static int csr_common_name(X509_REQ *req, char *cn, size_t cnlen)
{
    return X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn,
                                     (int)cnlen) > 0
               ? 0
               : -1;
}

int mamori_ca_sign_csr(const struct mamori_ca *ca, const char *csr_pem, size_t len,
                       const char *host_id, char **cert_pem, char *serial_hex, EVP_PKEY **pub,
                       char *err, size_t errlen)
{
    X509_REQ *req = len < 65536 ? read_csr(csr_pem, len) : NULL;
    EVP_PKEY *key = req ? X509_REQ_get_pubkey(req) : NULL;
    X509 *cert = NULL;
    char cn[128];
    int rc = -1;

    *cert_pem = NULL;
    if (req == NULL || key == NULL) {
        snprintf(err, errlen, "csr: not a PEM certificate request");
        goto out;
    }
    if (EVP_PKEY_id(key) != EVP_PKEY_ED25519) {
        snprintf(err, errlen, "csr: key must be Ed25519");
        goto out;
    }
    if (X509_REQ_verify(req, key) != 1) {
        snprintf(err, errlen, "csr: self-signature does not verify");
        goto out;
    }
    if (csr_common_name(req, cn, sizeof(cn)) != 0 || strcmp(cn, host_id) != 0) {
        snprintf(err, errlen, "csr: subject CN must equal host.id");
        goto out;
    }
    cert = new_cert(key, host_id, HOST_DAYS, serial_hex);
    if (cert == NULL || sign_leaf(ca, cert, "clientAuth") != 0 ||
        (*cert_pem = mamori_cert_pem(cert)) == NULL) {
        ssl_err(err, errlen, "host certificate");
        goto out;
    }
    *pub = key;
    key = NULL;
    rc = 0;
out:
    ERR_clear_error();
    X509_free(cert);
    EVP_PKEY_free(key);
    X509_REQ_free(req);
    return rc;
}

int mamori_ca_verify_cert(const struct mamori_ca *ca, X509 *cert)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int ok = 0;
    if (store && ctx && X509_STORE_add_cert(store, ca->cert) == 1 &&
        X509_STORE_CTX_init(ctx, store, cert, NULL) == 1)
        ok = X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    ERR_clear_error();
    return ok;
}

int mamori_cert_fingerprint(X509 *cert, char *out, size_t outlen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    size_t used = 0;
    if (outlen < 96 || X509_digest(cert, EVP_sha256(), md, &n) != 1)
        return -1;
    for (unsigned int i = 0; i < n; i++)
        used += (size_t)snprintf(out + used, outlen - used, "%s%02X", i ? ":" : "", md[i]);
    return 0;
}

char *mamori_cert_pem(X509 *cert)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data, *pem = NULL;
    if (bio != NULL && PEM_write_bio_X509(bio, cert) == 1) {
        long n = BIO_get_mem_data(bio, &data);
        pem = n > 0 ? strndup(data, (size_t)n) : NULL;
    }
    BIO_free(bio);
    return pem;
}

X509 *mamori_cert_from_pem(const char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    ERR_clear_error();
    return cert;
}
