/* https_client.c -- libcurl POST with mamori's TLS rules; see https_client.h.
 *
 * The CA-fingerprint mode installs an OpenSSL verify callback through
 * CURLOPT_SSL_CTX_FUNCTION: it looks for the pinned certificate among the
 * certificates the server sent, makes it the sole trust anchor and then runs
 * ordinary chain verification, so a pin never means "accept anything". */
#include "https_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

struct response_sink {
    struct mamori_https_response *resp;
    size_t max;
    int overflow;
};

static size_t collect_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct response_sink *sink = userdata;
    size_t n = size * nmemb;
    struct mamori_https_response *r = sink->resp;
    if (r->len + n > sink->max) {
        sink->overflow = 1;
        return 0; /* makes curl abort the transfer */
    }
    char *grown = realloc(r->body, r->len + n + 1);
    if (!grown)
        return 0;
    memcpy(grown + r->len, data, n);
    r->body = grown;
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

static void cert_fingerprint(X509 *cert, char *out, size_t outlen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    X509_digest(cert, EVP_sha256(), md, &n);
    size_t o = (size_t)snprintf(out, outlen, "sha256:");
    for (unsigned int i = 0; i < n && o + 3 <= outlen; i++, o += 2)
        snprintf(out + o, 3, "%02x", md[i]);
}

int mamori_cert_fingerprint_file(const char *pem_path, char *out, size_t outlen)
{
    FILE *f = fopen(pem_path, "re");
    if (!f)
        return -1;
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!cert)
        return -1;
    cert_fingerprint(cert, out, outlen);
    X509_free(cert);
    return 0;
}

/* Verify the peer chain with the pinned certificate as the only anchor. */
static int verify_with_pin(X509_STORE_CTX *ctx, void *arg)
{
    const char *pin = arg;
    STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(ctx);
    STACK_OF(X509) *anchors = sk_X509_new_null();
    for (int i = 0; anchors && sent && i < sk_X509_num(sent); i++) {
        X509 *c = sk_X509_value(sent, i);
        char fp[80];
        cert_fingerprint(c, fp, sizeof fp);
        if (strcasecmp(fp, pin) == 0)
            sk_X509_push(anchors, c);
    }
    if (!anchors || sk_X509_num(anchors) == 0) {
        sk_X509_free(anchors);
        X509_STORE_CTX_set_error(ctx, X509_V_ERR_CERT_UNTRUSTED);
        return 0;
    }
    X509_STORE_CTX_set0_trusted_stack(ctx, anchors);
    int ok = X509_verify_cert(ctx);
    X509_STORE_CTX_set0_trusted_stack(ctx, NULL);
    sk_X509_free(anchors);
    return ok == 1;
}

static CURLcode install_pin(CURL *curl, void *sslctx, void *pin)
{
    (void)curl;
    SSL_CTX_set_cert_verify_callback(sslctx, verify_with_pin, pin);
    return CURLE_OK;
}

static void set_blob(CURL *c, CURLoption opt, const char *pem)
{
    struct curl_blob blob = {.data = (void *)pem, .len = strlen(pem), .flags = CURL_BLOB_COPY};
    curl_easy_setopt(c, opt, &blob);
}

static void apply_tls(CURL *c, const struct mamori_https_config *cfg)
{
    curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    /* Only the collector CA: never the system store. */
    curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca_file);
    if (cfg->ca_fingerprint && !cfg->ca_file) {
        curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, install_pin);
        curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, (void *)cfg->ca_fingerprint);
    }
    if (cfg->ca_pem)
        set_blob(c, CURLOPT_CAINFO_BLOB, cfg->ca_pem);
    if (cfg->cert_file) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, cfg->cert_file);
        curl_easy_setopt(c, CURLOPT_SSLKEY, cfg->key_file);
    } else if (cfg->cert_pem && cfg->key_pem) {
        set_blob(c, CURLOPT_SSLCERT_BLOB, cfg->cert_pem);
        set_blob(c, CURLOPT_SSLKEY_BLOB, cfg->key_pem);
    }
    curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
}

static void apply_limits(CURL *c, const struct mamori_https_config *cfg)
{
    long connect = cfg->connect_timeout_s ? cfg->connect_timeout_s : MAMORI_HTTPS_CONNECT_TIMEOUT_S;
    long total = cfg->total_timeout_s ? cfg->total_timeout_s : MAMORI_HTTPS_TOTAL_TIMEOUT_S;
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, connect);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, total);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    /* An empty string disables proxies from the environment as well. */
    curl_easy_setopt(c, CURLOPT_PROXY, cfg->proxy ? cfg->proxy : "");
}

int mamori_https_post(const struct mamori_https_config *cfg, const char *url,
                      const char *content_type, const char *body, size_t len,
                      struct mamori_https_response *resp, char *err, size_t errlen)
{
    memset(resp, 0, sizeof *resp);
    if (!cfg->ca_file && !cfg->ca_fingerprint && !cfg->ca_pem) {
        snprintf(err, errlen, "no collector CA configured (refusing trust on first use)");
        return -1;
    }
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "cannot initialise libcurl");
        return -1;
    }
    char curl_err[CURL_ERROR_SIZE] = "";
    char ctype[128];
    snprintf(ctype, sizeof ctype, "Content-Type: %s", content_type);
    struct curl_slist *headers = curl_slist_append(NULL, ctype);
    headers = curl_slist_append(headers, "Expect:");
    struct response_sink sink = {
        resp, cfg->max_response ? cfg->max_response : MAMORI_HTTPS_MAX_RESPONSE, 0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "mamori-agent/" MAMORI_VERSION);
    apply_tls(c, cfg);
    apply_limits(c, cfg);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) {
        if (sink.overflow)
            snprintf(err, errlen, "%s: response larger than %zu bytes", url, sink.max);
        else if (rc == CURLE_PEER_FAILED_VERIFICATION)
            snprintf(err, errlen, "%s: collector certificate not accepted: %s", url, curl_err);
        else if (rc == CURLE_SSL_CONNECT_ERROR)
            snprintf(err, errlen,
                     "%s: TLS 1.3 handshake failed (certificate not trusted, or the server "
                     "does not offer TLS 1.3): %s",
                     url, curl_err);
        else
            snprintf(err, errlen, "%s: %s", url, curl_err[0] ? curl_err : curl_easy_strerror(rc));
        mamori_https_response_free(resp);
        return -1;
    }
    if (!resp->body)
        resp->body = calloc(1, 1);
    return 0;
}

void mamori_https_response_free(struct mamori_https_response *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->len = 0;
}
