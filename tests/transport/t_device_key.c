/* t_device_key.c -- the device identity: key created 0600 once and reused,
 * refused when others can read it, CSR bound to the key, host id derived
 * from machine-id (never the raw value). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "device_key.h"
#include "jws.h"
#include "report.h"

static char dir[64], keypath[128], err[512];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/t_devkey.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(keypath, sizeof keypath, "%s/device.key", dir);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(device_key, .init = setup, .fini = teardown);

Test(device_key, created_private_once_then_reused)
{
    EVP_PKEY *a = mamori_device_key_load_or_create(keypath, err, sizeof err);
    cr_assert_not_null(a, "%s", err);
    struct stat st;
    cr_assert_eq(stat(keypath, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    EVP_PKEY *b = mamori_device_key_load_or_create(keypath, err, sizeof err);
    cr_assert_not_null(b, "%s", err);
    cr_assert_eq(EVP_PKEY_eq(a, b), 1, "the same key after a restart");
    char ka[64], kb[64];
    cr_assert_eq(mamori_jwk_thumbprint(a, ka, sizeof ka), 0);
    cr_assert_eq(mamori_jwk_thumbprint(b, kb, sizeof kb), 0);
    cr_assert_str_eq(ka, kb);
    EVP_PKEY_free(a);
    EVP_PKEY_free(b);
}

Test(device_key, readable_by_others_is_refused)
{
    EVP_PKEY *a = mamori_device_key_load_or_create(keypath, err, sizeof err);
    cr_assert_not_null(a);
    EVP_PKEY_free(a);
    cr_assert_eq(chmod(keypath, 0644), 0);
    cr_assert_null(mamori_device_key_load_or_create(keypath, err, sizeof err));
    cr_assert(strstr(err, "readable by others"), "%s", err);
}

Test(device_key, garbage_key_file_is_a_clear_error)
{
    FILE *f = fopen(keypath, "w");
    fputs("not a key\n", f);
    fclose(f);
    chmod(keypath, 0600);
    cr_assert_null(mamori_device_key_load_or_create(keypath, err, sizeof err));
    cr_assert(strstr(err, keypath) && strstr(err, "PEM"), "%s", err);
}

Test(device_key, csr_carries_host_id_and_our_key)
{
    EVP_PKEY *key = mamori_device_key_load_or_create(keypath, err, sizeof err);
    cr_assert_not_null(key);
    char *pem = mamori_csr_create_pem(key, "abc123");
    cr_assert_not_null(pem);
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509_REQ *req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
    cr_assert_not_null(req);
    EVP_PKEY *pub = X509_REQ_get_pubkey(req);
    cr_assert_eq(EVP_PKEY_eq(pub, key), 1);
    cr_assert_eq(X509_REQ_verify(req, pub), 1, "self-signed by the device key");
    char cn[64] = "";
    X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn, sizeof cn);
    cr_assert_str_eq(cn, "abc123");
    EVP_PKEY_free(pub);
    X509_REQ_free(req);
    BIO_free(bio);
    free(pem);
    EVP_PKEY_free(key);
}

Test(device_key, host_id_is_sha256_of_machine_id)
{
    char etc[128], path[160];
    snprintf(etc, sizeof etc, "%s/etc", dir);
    mkdir(etc, 0755);
    snprintf(path, sizeof path, "%s/machine-id", etc);
    FILE *f = fopen(path, "w");
    fputs("0123456789abcdef0123456789abcdef\n", f);
    fclose(f);
    char id[MAMORI_HOST_ID_LEN + 1];
    cr_assert_eq(mamori_host_id(dir, NULL, id, sizeof id, err, sizeof err), 0, "%s", err);
    /* printf %s 0123456789abcdef0123456789abcdef | sha256sum */
    cr_assert_str_eq(id, "3eb1bd439947eb762998e566ccc2e099c791118b2f40579cc4f7da2b5061b7f9");
    cr_assert_null(strstr(id, "0123456789abcdef"), "never the raw machine-id");
    cr_assert_eq(mamori_host_id(dir, "00ff", id, sizeof id, err, sizeof err), 0);
    cr_assert_str_eq(id, "00ff");
    cr_assert_eq(mamori_host_id(dir, "00FF", id, sizeof id, err, sizeof err), -1);
    cr_assert_eq(mamori_host_id("/nonexistent", NULL, id, sizeof id, err, sizeof err), -1);
    cr_assert(strstr(err, "/nonexistent/etc/machine-id"), "%s", err);
}
