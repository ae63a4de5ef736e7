/* policy_service.c -- central policy in the running collector (see
 * policy_central.h and docs/central-policy.md).
 *
 * The acknowledgement of every report names the bundle version the PC
 * should run, so it must be cheap: versions are cached per host and
 * recomposed only when (a) the database's policy revision moved -- the
 * `policy`, `usb` and `exception` commands run in other processes and bump
 * it in their transactions; the revision is read at most every
 * policy_check_ms (1 s by default) --
 * (b) the host's segment or 所属 changed, or (c) the instant its bundle
 * next changes by itself has passed (a loan or an exception expires or
 * starts).  (c) is what makes an expiry take effect with no action by
 * anyone.  When no group exists at all, acknowledgements cost nothing.
 *
 * POST /v1/policy (mutual TLS, the enrolled device key) answers the signed
 * bundle: JWS EdDSA, typ "mamori-policy+jws", signed with the policy key
 * (`policy_key` in server.conf) whose public half PCs pinned at enrolment.
 * Without a policy key the collector distributes nothing. */
#include "policy_central.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/http.h>

#include "device_key.h"
#include "http.h"
#include "jws.h"
#include "policy_store.h"

#define CACHE_BUCKETS         16384
#define POLICY_FETCH_MAX_BODY 4096

struct cache_entry {
    char host_id[MAMORI_HOST_ID_LEN + 1];
    uint64_t context; /* hash of the segment and 所属 it was composed for */
    int64_t revision;
    time_t next_change;
    char version[32]; /* "" = no central policy for this host */
    struct cache_entry *next;
};

struct mamori_policy_service {
    EVP_PKEY *key;
    cJSON *jwk; /* public key, for enrolment answers */
    pthread_mutex_t lock;
    int64_t revision;
    long groups;
    struct timespec checked;
    struct cache_entry *buckets[CACHE_BUCKETS];
};

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (h ^ 0xff) * 1099511628211ULL; /* separates "ab","c" from "a","bc" */
}

static uint64_t context_of(const char *segment, const char *department)
{
    return fnv1a(fnv1a(14695981039346656037ULL, segment ? segment : ""),
                 department ? department : "");
}

/* ---- key ---- */

int mamori_policy_keygen(const char *path, char *err, size_t errlen)
{
    struct stat st;
    EVP_PKEY *key;

    if (stat(path, &st) == 0)
        return 1;
    key = mamori_device_key_load_or_create(path, err, errlen);
    if (key == NULL)
        return -1;
    EVP_PKEY_free(key);
    return 0;
}

static int load_key(struct mamori_policy_service *p, const char *path, char *err, size_t errlen)
{
    struct stat st;
    char *jwk;

    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0; /* central policy off until `policy keygen` */
        snprintf(err, errlen, "policy_key %s: %s", path, strerror(errno));
        return -1;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen, "policy_key %s is readable by others: chmod 600 it", path);
        return -1;
    }
    p->key = mamori_pem_load_private(path, err, errlen);
    if (p->key == NULL)
        return -1;
    jwk = mamori_jwk_public_json(p->key);
    p->jwk = jwk ? cJSON_Parse(jwk) : NULL;
    free(jwk);
    if (p->jwk == NULL) {
        snprintf(err, errlen, "policy_key %s: cannot derive the public key", path);
        return -1;
    }
    return 0;
}

int mamori_policy_service_open(struct mamori_server *s, char *err, size_t errlen)
{
    struct mamori_policy_service *p = calloc(1, sizeof(*p));

    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&p->lock, NULL);
    p->revision = -1;
    s->policy = p;
    if (load_key(p, s->cfg.policy_key, err, errlen) != 0)
        return -1;
    if (mamori_pstore_prepare(s->store) != 0) {
        snprintf(err, errlen, "cannot create the central policy tables");
        return -1;
    }
    return 0;
}

static void cache_clear(struct mamori_policy_service *p)
{
    for (size_t i = 0; i < CACHE_BUCKETS; i++) {
        while (p->buckets[i] != NULL) {
            struct cache_entry *e = p->buckets[i];

            p->buckets[i] = e->next;
            free(e);
        }
    }
}

void mamori_policy_service_close(struct mamori_server *s)
{
    struct mamori_policy_service *p = s->policy;

    if (p == NULL)
        return;
    cache_clear(p);
    EVP_PKEY_free(p->key);
    cJSON_Delete(p->jwk);
    pthread_mutex_destroy(&p->lock);
    free(p);
    s->policy = NULL;
}

int mamori_policy_service_enabled(const struct mamori_server *s)
{
    return s->policy != NULL && s->policy->key != NULL;
}

void mamori_policy_enrol_reply(struct mamori_server *s, cJSON *reply)
{
    if (mamori_policy_service_enabled(s))
        cJSON_AddItemToObject(reply, "policy_key", cJSON_Duplicate(s->policy->jwk, 1));
}

/* ---- versions for acknowledgements ---- */

static long ms_since(const struct timespec *t)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Caller holds the lock. */
static void refresh_revision(struct mamori_server *s)
{
    struct mamori_policy_service *p = s->policy;
    int64_t rev;

    if (p->revision >= 0 && ms_since(&p->checked) < s->cfg.policy_check_ms)
        return;
    clock_gettime(CLOCK_MONOTONIC, &p->checked);
    rev = mamori_pstore_revision(s->store);
    if (rev < 0 || rev == p->revision)
        return;
    p->revision = rev;
    p->groups = mamori_pstore_group_count(s->store);
    cache_clear(p);
}

static struct cache_entry *cache_slot(struct mamori_policy_service *p, const char *host_id)
{
    size_t b = (size_t)(fnv1a(14695981039346656037ULL, host_id) % CACHE_BUCKETS);
    struct cache_entry *e;

    for (e = p->buckets[b]; e != NULL; e = e->next)
        if (strcmp(e->host_id, host_id) == 0)
            return e;
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    snprintf(e->host_id, sizeof(e->host_id), "%s", host_id);
    e->revision = -1;
    e->next = p->buckets[b];
    p->buckets[b] = e;
    return e;
}

static void remember(struct mamori_policy_service *p, struct cache_entry *e,
                     const struct mamori_policy_host *h, const struct mamori_composed_bundle *b)
{
    e->context = context_of(h->segment, h->department);
    e->revision = p->revision;
    e->next_change = b ? b->next_change : 0;
    snprintf(e->version, sizeof(e->version), "%s", b ? b->version : "");
}

/* Caller holds the lock. */
static const char *current_version(struct mamori_server *s, const struct mamori_policy_host *h)
{
    struct mamori_policy_service *p = s->policy;
    struct cache_entry *e = cache_slot(p, h->id);
    struct mamori_composed_bundle b;
    char err[512];
    int rc;

    if (e == NULL)
        return "";
    if (e->revision == p->revision && e->context == context_of(h->segment, h->department) &&
        (e->next_change == 0 || time(NULL) < e->next_change))
        return e->version;
    rc = mamori_policy_compose(s->store, h, time(NULL), &b, err, sizeof(err));
    if (rc < 0)
        fprintf(stderr, "mamori-server: central policy for host %s: %s\n", h->id, err);
    remember(p, e, h, rc == 0 ? &b : NULL);
    if (rc == 0)
        mamori_composed_bundle_clear(&b);
    return e->version;
}

void mamori_policy_ack(struct mamori_server *s, const char *host_id, const char *segment,
                       const char *department, cJSON *ack)
{
    struct mamori_policy_service *p = s->policy;
    const struct mamori_policy_host h = {host_id, segment, department};
    const char *version;

    if (!mamori_policy_service_enabled(s) || ack == NULL || host_id == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    refresh_revision(s);
    version = p->groups > 0 ? current_version(s, &h) : "";
    if (version[0])
        cJSON_AddStringToObject(ack, "policy_bundle", version);
    pthread_mutex_unlock(&p->lock);
}

/* ---- signed bundles ---- */

int mamori_policy_sign_for(struct mamori_server *s, const struct mamori_policy_host *h,
                           struct mamori_composed_bundle *out, char **jws, char *err, size_t errlen)
{
    struct mamori_policy_service *p = s->policy;
    struct cache_entry *e;
    int rc;

    *jws = NULL;
    memset(out, 0, sizeof(*out));
    if (!mamori_policy_service_enabled(s)) {
        snprintf(err, errlen, "no policy key: run mamori-server policy keygen");
        return -1;
    }
    pthread_mutex_lock(&p->lock);
    refresh_revision(s);
    rc = mamori_policy_compose(s->store, h, time(NULL), out, err, errlen);
    /* What was signed is what the next acknowledgement names. */
    if (rc >= 0 && (e = cache_slot(p, h->id)) != NULL)
        remember(p, e, h, rc == 0 ? out : NULL);
    pthread_mutex_unlock(&p->lock);
    if (rc != 0)
        return rc;
    if (mamori_jws_sign_typ(p->key, MAMORI_POLICY_JWS_TYP, out->payload, strlen(out->payload),
                            jws) != 0) {
        snprintf(err, errlen, "cannot sign the policy bundle");
        mamori_composed_bundle_clear(out);
        return -1;
    }
    return 0;
}

static void handle_policy(struct mamori_http_request *r)
{
    struct mamori_host_record host;
    struct mamori_composed_bundle b;
    char thumb[MAMORI_JWK_THUMBPRINT_LEN + 1], err[512];
    char *jws = NULL;
    int rc;

    if (r->peer == NULL) {
        mamori_http_error(r, 401, "no_client_cert");
        return;
    }
    if (r->body_len > POLICY_FETCH_MAX_BODY) {
        mamori_http_error(r, 413, "too_large");
        return;
    }
    if (!mamori_policy_service_enabled(r->srv)) {
        mamori_http_error(r, 503, "no_policy_key");
        return;
    }
    if (mamori_jwk_thumbprint(X509_get0_pubkey(r->peer), thumb, sizeof(thumb)) != 0 ||
        (rc = r->srv->store->ops->host_by_key(r->srv->store, thumb, &host)) > 0) {
        mamori_http_error(r, 401, "unknown_node");
        return;
    }
    if (rc < 0) {
        mamori_http_error(r, 503, "storage");
        return;
    }
    rc = mamori_policy_sign_for(
        r->srv, &(struct mamori_policy_host){host.id, host.segment, host.department}, &b, &jws, err,
        sizeof(err));
    if (rc == 0)
        mamori_http_text(r, 200, "application/jose", jws);
    else if (rc == 1)
        mamori_http_error(r, 404, "no_policy");
    else
        fprintf(stderr, "mamori-server: policy bundle for %s: %s\n", host.hostname, err);
    if (rc < 0)
        mamori_http_error(r, 503, "policy");
    free(jws);
    mamori_composed_bundle_clear(&b);
    mamori_host_record_clear(&host);
}

const struct mamori_route mamori_policy_routes[] = {
    {EVHTTP_REQ_POST, "/v1/policy", 0, MAMORI_AUTH_NONE, handle_policy},
    {0, NULL, 0, 0, NULL},
};
