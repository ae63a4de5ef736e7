/* enroll.c -- the agent side of POST /v1/enroll; see enroll.h. */
#include "enroll.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "bundle_sig.h"
#include "device_key.h"
#include "durable_file.h"
#include "https_client.h"
#include "jws.h"

char *mamori_enroll_read_secret(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (st.st_mode & 007) {
        snprintf(err, errlen, "%s: enrolment secret is readable by others; refusing", path);
        return NULL;
    }
    char *text = mamori_read_file(path, 4096, NULL);
    if (!text) {
        snprintf(err, errlen, "%s: cannot read enrolment secret: %s", path, strerror(errno));
        return NULL;
    }
    text[strcspn(text, "\r\n")] = '\0';
    if (text[0] == '\0') {
        snprintf(err, errlen, "%s: enrolment secret is empty", path);
        free(text);
        return NULL;
    }
    return text;
}

static char *request_body(const struct mamori_enroll_params *p, const char *csr)
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "secret", p->secret);
    cJSON_AddStringToObject(req, "csr", csr);
    cJSON *host = cJSON_AddObjectToObject(req, "host");
    cJSON_AddStringToObject(host, "id", p->host_id);
    cJSON_AddStringToObject(host, "hostname", p->hostname ? p->hostname : "");
    cJSON_AddStringToObject(host, "segment", p->segment ? p->segment : "");
    cJSON_AddStringToObject(host, "department", p->department ? p->department : "");
    cJSON_AddStringToObject(host, "municipality", p->municipality ? p->municipality : "");
    char *body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    return body;
}

static X509 *parse_cert(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return cert;
}

static void x509_fingerprint(X509 *cert, char *out, size_t outlen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    X509_digest(cert, EVP_sha256(), md, &n);
    size_t o = (size_t)snprintf(out, outlen, "sha256:");
    for (unsigned int i = 0; i < n && o + 3 <= outlen; i++, o += 2)
        snprintf(out + o, 3, "%02x", md[i]);
}

/* The returned CA must be the one we trusted, and must have issued a
 * certificate for exactly our key. */
static int check_issued(const struct mamori_enroll_params *p, EVP_PKEY *key, X509 *cert, X509 *ca,
                        char *err, size_t errlen)
{
    char got[80], want[80] = "";
    x509_fingerprint(ca, got, sizeof got);
    if (p->ca_file && mamori_cert_fingerprint_file(p->ca_file, want, sizeof want) < 0) {
        snprintf(err, errlen, "%s: not a PEM certificate", p->ca_file);
        return -1;
    }
    if (!p->ca_file)
        snprintf(want, sizeof want, "%s", p->ca_fingerprint);
    if (strcasecmp(got, want) != 0) {
        snprintf(err, errlen, "collector returned a CA (%s) other than the trusted one (%s)", got,
                 want);
        return -1;
    }
    EVP_PKEY *cert_key = X509_get0_pubkey(cert);
    EVP_PKEY *ca_key = X509_get0_pubkey(ca);
    if (!cert_key || EVP_PKEY_eq(cert_key, key) != 1) {
        snprintf(err, errlen, "collector returned a certificate for a different key");
        return -1;
    }
    if (!ca_key || X509_verify(cert, ca_key) != 1) {
        snprintf(err, errlen, "device certificate is not signed by the collector CA");
        return -1;
    }
    return 0;
}

static int store(const struct mamori_enroll_params *p, const char *name, const char *data,
                 char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", p->state_dir, name) >= (int)sizeof path) {
        snprintf(err, errlen, "%s: path too long", p->state_dir);
        return -1;
    }
    return mamori_durable_write(path, data, strlen(data), 0644, err, errlen);
}

static int save_result(const struct mamori_enroll_params *p, const cJSON *resp, const char *kid,
                       char *err, size_t errlen)
{
    const char *cert = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(resp, "certificate"));
    const char *ca = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(resp, "ca"));
    cJSON *info = cJSON_CreateObject();
    cJSON_AddStringToObject(info, "server", p->server_url);
    cJSON_AddStringToObject(info, "host_id", p->host_id);
    cJSON_AddStringToObject(info, "kid", kid);
    if (p->secret_file != NULL)
        cJSON_AddStringToObject(info, "secret_file", p->secret_file);
    char *text = cJSON_Print(info);
    cJSON_Delete(info);
    int rc = store(p, MAMORI_DEVICE_CERT_FILE, cert, err, errlen) < 0 ||
                     store(p, MAMORI_CA_FILE, ca, err, errlen) < 0 ||
                     store(p, MAMORI_ENROLL_FILE, text, err, errlen) < 0
                 ? -1
                 : 0;
    free(text);
    return rc;
}

/* Pin the central policy key the collector handed out, or forget an old
 * pin when it hands out none (it distributes no policy). */
static int pin_policy_key(const struct mamori_enroll_params *p, const cJSON *resp, char *err,
                          size_t errlen)
{
    const cJSON *jwk = cJSON_GetObjectItemCaseSensitive(resp, "policy_key");
    uint8_t raw[MAMORI_POLICY_PUBKEY_SIZE];
    char path[PATH_MAX], why[200], *text;
    int rc;

    snprintf(path, sizeof path, "%s/%s", p->state_dir, MAMORI_POLICY_KEY_FILE);
    if (jwk == NULL) {
        if (unlink(path) == 0)
            mamori_fsync_parent(path);
        return 0;
    }
    text = cJSON_PrintUnformatted(jwk);
    if (!text || mamori_policy_key_parse(text, strlen(text), raw, why, sizeof why) != 0) {
        snprintf(err, errlen, "collector's policy key is unusable: %s", text ? why : "no memory");
        free(text);
        return -1;
    }
    rc = store(p, MAMORI_POLICY_KEY_FILE, text, err, errlen);
    free(text);
    return rc;
}

static int handle_response(const struct mamori_enroll_params *p, EVP_PKEY *key,
                           const struct mamori_https_response *r, char *err, size_t errlen)
{
    if (r->status == 403 || r->status == 409) {
        cJSON *doc = cJSON_ParseWithLength(r->body, r->len);
        const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "error"));

        if (code != NULL && strcmp(code, "revoked") == 0)
            snprintf(err, errlen,
                     "the collector revoked this PC's key; it does not enrol it again "
                     "(HTTP 403 revoked)");
        else if (r->status == 409)
            snprintf(err, errlen,
                     "the collector has this PC's key enrolled for another host id "
                     "(HTTP 409 key_in_use)");
        else
            snprintf(err, errlen, "collector refused the enrolment secret (HTTP 403)");
        cJSON_Delete(doc);
        return -1;
    }
    if (r->status != 200) {
        snprintf(err, errlen, "collector answered HTTP %ld to the enrolment: %.200s", r->status,
                 r->body);
        return -1;
    }
    cJSON *resp = cJSON_ParseWithLength(r->body, r->len);
    const char *cert_pem =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(resp, "certificate"));
    const char *ca_pem = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(resp, "ca"));
    X509 *cert = cert_pem ? parse_cert(cert_pem) : NULL;
    X509 *ca = ca_pem ? parse_cert(ca_pem) : NULL;
    char kid[MAMORI_JWK_THUMBPRINT_LEN + 1] = "";
    int rc = -1;
    if (!cert || !ca)
        snprintf(err, errlen, "collector's enrolment answer lacks certificate or ca");
    else if (check_issued(p, key, cert, ca, err, errlen) == 0 &&
             mamori_jwk_thumbprint(key, kid, sizeof kid) == 0 &&
             pin_policy_key(p, resp, err, errlen) == 0)
        rc = save_result(p, resp, kid, err, errlen);
    X509_free(cert);
    X509_free(ca);
    cJSON_Delete(resp);
    return rc;
}

int mamori_ca_fingerprint_normalize(const char *in, char *out, size_t outlen, char *err,
                                    size_t errlen)
{
    static const char want[] = "expected the CA certificate's SHA-256 as 64 hex digits, "
                               "e.g. as `mamori-server init` prints it (SHA256 AB:CD:...)";
    size_t digits = 0, o;
    const char *s = in;

    if (strncasecmp(s, "sha256", 6) == 0) {
        s += 6;
        if (*s == ':' || *s == ' ' || *s == '=')
            s++;
    }
    if (outlen < sizeof("sha256:") + 64) {
        snprintf(err, errlen, "fingerprint buffer too small");
        return -1;
    }
    o = (size_t)snprintf(out, outlen, "sha256:");
    for (; *s != '\0'; s++) {
        if (*s == ':')
            continue;
        if (!isxdigit((unsigned char)*s) || digits == 64) {
            snprintf(err, errlen, "CA fingerprint \"%.100s\": %s", in, want);
            return -1;
        }
        out[o++] = (char)tolower((unsigned char)*s);
        digits++;
    }
    out[o] = '\0';
    if (digits != 64) {
        snprintf(err, errlen, "CA fingerprint \"%.100s\": %zu hex digits; %s", in, digits, want);
        return -1;
    }
    return 0;
}

int mamori_enroll(const struct mamori_enroll_params *given, char *err, size_t errlen)
{
    struct mamori_enroll_params params = *given, *p = &params;
    char fingerprint[80];

    if (!p->ca_file && !p->ca_fingerprint) {
        snprintf(err, errlen,
                 "the collector CA must be given (--ca-file or --ca-fingerprint); "
                 "trust on first use is not allowed");
        return -1;
    }
    if (!p->ca_file) {
        if (mamori_ca_fingerprint_normalize(p->ca_fingerprint, fingerprint, sizeof(fingerprint),
                                            err, errlen) != 0)
            return -1;
        p->ca_fingerprint = fingerprint;
    }
    if (mamori_mkdirs(p->state_dir, 0700) < 0) {
        snprintf(err, errlen, "%s: cannot create state directory: %s", p->state_dir,
                 strerror(errno));
        return -1;
    }
    char keypath[PATH_MAX], url[2048];
    snprintf(keypath, sizeof keypath, "%s/" MAMORI_DEVICE_KEY_FILE, p->state_dir);
    snprintf(url, sizeof url, "%s/v1/enroll", p->server_url);
    EVP_PKEY *key = mamori_device_key_load_or_create(keypath, err, errlen);
    if (!key)
        return -1;
    char *csr = mamori_csr_create_pem(key, p->host_id);
    char *body = csr ? request_body(p, csr) : NULL;
    int rc = -1;
    if (!body) {
        snprintf(err, errlen, "cannot build the certificate request");
    } else {
        struct mamori_https_config cfg = {
            .ca_file = p->ca_file, .ca_fingerprint = p->ca_fingerprint, .proxy = p->proxy};
        struct mamori_https_response r;
        if (mamori_https_post(&cfg, url, "application/json", body, strlen(body), &r, err, errlen) ==
            0) {
            rc = handle_response(p, key, &r, err, errlen);
            mamori_https_response_free(&r);
        }
    }
    free(body);
    free(csr);
    EVP_PKEY_free(key);
    return rc;
}
