/* device_key.c -- device key life cycle, CSR and host id; see device_key.h. */
#include "device_key.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "durable_file.h"

/* The device key must be Ed25519; name names it in the message. */
static EVP_PKEY *only_ed25519(EVP_PKEY *key, const char *name, char *err, size_t errlen)
{
    if (!key) {
        snprintf(err, errlen, "%s: not a PEM private key", name);
        return NULL;
    }
    if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
        snprintf(err, errlen, "%s: key is not Ed25519", name);
        EVP_PKEY_free(key);
        return NULL;
    }
    return key;
}

EVP_PKEY *mamori_pem_load_private(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open key: %s", path, strerror(errno));
        return NULL;
    }
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    return only_ed25519(key, path, err, errlen);
}

EVP_PKEY *mamori_pem_parse_private(const char *pem, size_t len, const char *name, char *err,
                                   size_t errlen)
{
    BIO *bio = len <= INT_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return only_ed25519(key, name, err, errlen);
}

static EVP_PKEY *generate_ed25519(void)
{
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &key) != 1)
        key = NULL;
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* Write a new key with O_EXCL so two starting processes never both win. */
static EVP_PKEY *create_key(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return NULL; /* caller inspects errno (EEXIST: someone else made it) */
    EVP_PKEY *key = generate_ed25519();
    FILE *f = fdopen(fd, "w");
    int ok = key && f && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1 &&
             fflush(f) == 0 && fsync(fd) == 0;
    if (f)
        ok = (fclose(f) == 0) && ok;
    else
        close(fd);
    if (!ok || mamori_fsync_parent(path) < 0) {
        snprintf(err, errlen, "%s: cannot write new device key: %s", path, strerror(errno));
        unlink(path);
        EVP_PKEY_free(key);
        errno = EIO;
        return NULL;
    }
    return key;
}

EVP_PKEY *mamori_device_key_load_or_create(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) < 0 && errno == ENOENT) {
        EVP_PKEY *key = create_key(path, err, errlen);
        if (key || errno != EEXIST) {
            if (!key && errno != EIO)
                snprintf(err, errlen, "%s: cannot create device key: %s", path, strerror(errno));
            return key;
        }
        if (stat(path, &st) < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return NULL;
        }
    }
    if ((st.st_mode & 077) != 0) {
        snprintf(err, errlen, "%s: device key is readable by others (mode %04o); refusing", path,
                 (unsigned)(st.st_mode & 07777));
        return NULL;
    }
    return mamori_pem_load_private(path, err, errlen);
}

EVP_PKEY *mamori_pem_load_cert_pubkey(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open certificate: %s", path, strerror(errno));
        return NULL;
    }
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!cert) {
        snprintf(err, errlen, "%s: not a PEM certificate", path);
        return NULL;
    }
    EVP_PKEY *key = X509_get_pubkey(cert);
    X509_free(cert);
    if (!key)
        snprintf(err, errlen, "%s: certificate has no usable public key", path);
    return key;
}

EVP_PKEY *mamori_pem_parse_pubkey(const char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return NULL;
    EVP_PKEY *key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    if (!key) {
        (void)BIO_reset(bio);
        X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (cert)
            key = X509_get_pubkey(cert);
        X509_free(cert);
    }
    BIO_free(bio);
    return key;
}

/* Copy a memory BIO's contents into a malloc'd string. */
static char *bio_to_string(BIO *bio)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    char *out = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (out) {
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
    }
    return out;
}

char *mamori_pem_public(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *out = NULL;
    if (bio && PEM_write_bio_PUBKEY(bio, key) == 1)
        out = bio_to_string(bio);
    BIO_free(bio);
    return out;
}

char *mamori_csr_create_pem(EVP_PKEY *key, const char *common_name)
{
    X509_REQ *req = X509_REQ_new();
    X509_NAME *name = X509_NAME_new();
    BIO *bio = BIO_new(BIO_s_mem());
    char *out = NULL;
    /* Ed25519 signs the message itself: no separate digest (md NULL). */
    if (req && name && bio && X509_REQ_set_version(req, 0) == 1 &&
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)common_name,
                                   -1, -1, 0) == 1 &&
        X509_REQ_set_subject_name(req, name) == 1 && X509_REQ_set_pubkey(req, key) == 1 &&
        X509_REQ_sign(req, key, NULL) > 0 && PEM_write_bio_X509_REQ(bio, req) == 1)
        out = bio_to_string(bio);
    BIO_free(bio);
    X509_NAME_free(name);
    X509_REQ_free(req);
    return out;
}
