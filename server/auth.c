/* auth.c -- dashboard users, scrypt password hashes, sessions, login limits.
 *
 * See auth.h for the model.  Tables (created by mamori_auth_prepare):
 *   ui_users          name, role, pw_hash, created
 *   ui_sessions       token_hash (SHA-256 hex of the cookie), user_name, csrf,
 *                     created, expires
 *   ui_login_failures subject ("user:NAME" or "addr:IP"), time
 * Failures are counted in the database rather than in memory so that
 * collectors sharing one PostgreSQL database share the limit, and a restart
 * does not reset it. */
#include "auth.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "base64url.h"

#define SCRYPT_LOG2_N 15
#define SCRYPT_R      8
#define SCRYPT_P      1
#define SALT_BYTES    16
#define HASH_BYTES    32
#define TOKEN_BYTES   32

static const char *const auth_schema[] = {
    "CREATE TABLE IF NOT EXISTS ui_users (name TEXT PRIMARY KEY, role TEXT NOT NULL,"
    " pw_hash TEXT NOT NULL, created BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ui_sessions (token_hash TEXT PRIMARY KEY,"
    " user_name TEXT NOT NULL, csrf TEXT NOT NULL, created BIGINT NOT NULL,"
    " expires BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ui_sessions_user ON ui_sessions (user_name)",
    "CREATE TABLE IF NOT EXISTS ui_login_failures (subject TEXT NOT NULL, time BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ui_login_failures_subject ON ui_login_failures (subject, time)",
    NULL,
};

static long exec(struct mamori_sqldb *db, const char *sql, const struct mamori_sqlv *p, int n,
                 mamori_sql_row_fn row, void *arg)
{
    return db->db->exec(db, sql, p, n, row, arg);
}

int mamori_auth_prepare(struct mamori_sqldb *db)
{
    /* PostgreSQL (the backend with row locks): collectors starting together
     * serialize on the same advisory lock as the main schema. */
    int pg = db->lock_row != NULL && db->lock_row[0] != '\0';
    if (db->db->begin(db) != 0)
        return -1;
    if (pg && exec(db, "SELECT pg_advisory_xact_lock(7349)", NULL, 0, NULL, NULL) < 0)
        goto fail;
    for (int i = 0; auth_schema[i] != NULL; i++)
        if (exec(db, auth_schema[i], NULL, 0, NULL, NULL) < 0)
            goto fail;
    return db->db->commit(db);
fail:
    db->db->rollback(db);
    return -1;
}

const char *mamori_role_name(enum mamori_role role)
{
    switch (role) {
    case MAMORI_ROLE_ADMIN:
        return "admin";
    case MAMORI_ROLE_VIEWER:
        return "viewer";
    default:
        return "none";
    }
}

enum mamori_role mamori_role_parse(const char *name)
{
    if (name != NULL && strcmp(name, "admin") == 0)
        return MAMORI_ROLE_ADMIN;
    if (name != NULL && strcmp(name, "viewer") == 0)
        return MAMORI_ROLE_VIEWER;
    return MAMORI_ROLE_NONE;
}

int mamori_user_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > MAMORI_USER_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!isalnum(c) && strchr("._@-", c) == NULL)
            return 0;
    }
    return 1;
}

/* ---- password hashes ---- */

static int scrypt(const char *password, const unsigned char *salt, size_t saltlen, unsigned log2_n,
                  unsigned r, unsigned p, unsigned char *out, size_t outlen)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    uint64_t n = (uint64_t)1 << log2_n;
    uint32_t r32 = r, p32 = p;
    /* 128 * r * N * p bytes, plus slack: the default cap is far larger, but
     * stating it keeps a tampered hash row from asking for gigabytes. */
    uint64_t maxmem = 128ull * r * n * p + (1u << 20);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)password,
                                          strlen(password)),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r32),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p32),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end(),
    };
    int rc = ctx != NULL && EVP_KDF_derive(ctx, out, outlen, params) == 1 ? 0 : -1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return rc;
}

int mamori_password_hash(const char *password, char *out, size_t outlen)
{
    unsigned char salt[SALT_BYTES], hash[HASH_BYTES];
    char salt64[32], hash64[48];
    int rc = -1;

    if (RAND_bytes(salt, sizeof(salt)) == 1 &&
        scrypt(password, salt, sizeof(salt), SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P, hash,
               sizeof(hash)) == 0 &&
        mamori_b64url_encode(salt, sizeof(salt), salt64, sizeof(salt64)) > 0 &&
        mamori_b64url_encode(hash, sizeof(hash), hash64, sizeof(hash64)) > 0) {
        int n = snprintf(out, outlen, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", SCRYPT_LOG2_N, SCRYPT_R,
                         SCRYPT_P, salt64, hash64);
        rc = n > 0 && (size_t)n < outlen ? 0 : -1;
    }
    OPENSSL_cleanse(hash, sizeof(hash));
    return rc;
}

int mamori_password_verify(const char *password, const char *encoded)
{
    unsigned log2_n, r, p;
    int used = 0, ok;
    const char *salt64, *hash64;
    unsigned char salt[64], want[HASH_BYTES], got[HASH_BYTES];
    long saltlen;

    if (encoded == NULL ||
        sscanf(encoded, "$scrypt$ln=%u,r=%u,p=%u$%n", &log2_n, &r, &p, &used) != 3 || used == 0)
        return -1;
    /* Bounds keep a corrupt row from stalling the server. */
    if (log2_n < 10 || log2_n > 20 || r < 1 || r > 32 || p < 1 || p > 4)
        return -1;
    salt64 = encoded + used;
    hash64 = strchr(salt64, '$');
    if (hash64 == NULL)
        return -1;
    saltlen = mamori_b64url_decode(salt64, (size_t)(hash64 - salt64), salt, sizeof(salt));
    hash64++;
    if (saltlen < 8 ||
        mamori_b64url_decode(hash64, strlen(hash64), want, sizeof(want)) != (long)sizeof(want))
        return -1;
    if (scrypt(password, salt, (size_t)saltlen, log2_n, r, p, got, sizeof(got)) != 0)
        return -1;
    ok = CRYPTO_memcmp(got, want, sizeof(got)) == 0;
    OPENSSL_cleanse(got, sizeof(got));
    return ok;
}

/* ---- users ---- */

int mamori_auth_user_set(struct mamori_sqldb *db, const char *name, enum mamori_role role,
                         const char *password, time_t now, char *err, size_t errlen)
{
    char hash[MAMORI_PASSWORD_HASH_MAX];
    size_t len = password ? strlen(password) : 0;

    if (!mamori_user_name_valid(name)) {
        snprintf(err, errlen, "user name must be 1-%d of A-Z a-z 0-9 . _ @ -",
                 MAMORI_USER_NAME_MAX);
        return -1;
    }
    if (role == MAMORI_ROLE_NONE) {
        snprintf(err, errlen, "role must be viewer or admin");
        return -1;
    }
    if (len < MAMORI_PASSWORD_MIN_LEN || len > MAMORI_PASSWORD_MAX_LEN) {
        snprintf(err, errlen, "password must be %d to %d bytes", MAMORI_PASSWORD_MIN_LEN,
                 MAMORI_PASSWORD_MAX_LEN);
        return -1;
    }
    if (mamori_password_hash(password, hash, sizeof(hash)) != 0) {
        snprintf(err, errlen, "cannot hash the password (OpenSSL scrypt)");
        return -1;
    }
    const struct mamori_sqlv p[] = {SQLV_S(name), SQLV_S(mamori_role_name(role)), SQLV_S(hash),
                                    SQLV_I(now)};
    const struct mamori_sqlv who[] = {SQLV_S(name)};
    /* A new password or role ends the sessions opened with the old one. */
    if (exec(db,
             "INSERT INTO ui_users (name, role, pw_hash, created) VALUES ($1, $2, $3, $4)"
             " ON CONFLICT (name) DO UPDATE SET role = excluded.role, pw_hash = excluded.pw_hash",
             p, 4, NULL, NULL) < 0 ||
        exec(db, "DELETE FROM ui_sessions WHERE user_name = $1", who, 1, NULL, NULL) < 0) {
        snprintf(err, errlen, "database error while storing the user");
        return -1;
    }
    return 0;
}

int mamori_auth_user_remove(struct mamori_sqldb *db, const char *name)
{
    const struct mamori_sqlv p[] = {SQLV_S(name)};
    long n;
    if (exec(db, "DELETE FROM ui_sessions WHERE user_name = $1", p, 1, NULL, NULL) < 0)
        return -1;
    n = exec(db, "DELETE FROM ui_users WHERE name = $1", p, 1, NULL, NULL);
    return n < 0 ? -1 : n == 0 ? 1 : 0;
}

static int user_row(void *arg, int ncol, const char *const *c)
{
    cJSON *u = cJSON_CreateObject();
    if (ncol < 3 || u == NULL) {
        cJSON_Delete(u);
        return -1;
    }
    cJSON_AddStringToObject(u, "name", c[0] ? c[0] : "");
    cJSON_AddStringToObject(u, "role", c[1] ? c[1] : "");
    cJSON_AddNumberToObject(u, "created", c[2] ? (double)strtoll(c[2], NULL, 10) : 0);
    cJSON_AddItemToArray(arg, u);
    return 0;
}

cJSON *mamori_auth_users(struct mamori_sqldb *db)
{
    cJSON *a = cJSON_CreateArray();
    if (exec(db, "SELECT name, role, created FROM ui_users ORDER BY name", NULL, 0, user_row, a) <
        0) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

/* ---- sessions and login ---- */

static void hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", in[i]);
}

/* What the database keeps of a token: its SHA-256 in hex. */
static int token_digest(const char *token, char *out /* 65 */)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return -1;
    hex(md, 32, out);
    return 0;
}

static int token_well_formed(const char *token)
{
    if (token == NULL || strlen(token) != MAMORI_SESSION_TOKEN_LEN)
        return 0;
    for (const char *p = token; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
            return 0;
    return 1;
}

static int count_row(void *arg, int ncol, const char *const *c)
{
    *(long *)arg = ncol >= 1 && c[0] ? strtol(c[0], NULL, 10) : 0;
    return 0;
}

static long recent_failures(struct mamori_sqldb *db, const char *subject, time_t now)
{
    long count = 0;
    const struct mamori_sqlv p[] = {SQLV_S(subject), SQLV_I(now - MAMORI_LOGIN_WINDOW_SECONDS)};
    if (exec(db, "SELECT COUNT(*) FROM ui_login_failures WHERE subject = $1 AND time > $2", p, 2,
             count_row, &count) < 0)
        return -1;
    return count;
}

static int record_failure(struct mamori_sqldb *db, const char *subject, time_t now)
{
    const struct mamori_sqlv p[] = {SQLV_S(subject), SQLV_I(now)};
    return exec(db, "INSERT INTO ui_login_failures (subject, time) VALUES ($1, $2)", p, 2, NULL,
                NULL) < 0
               ? -1
               : 0;
}

/* Old failures and expired sessions are dropped as logins come by. */
static void forget_stale(struct mamori_sqldb *db, time_t now)
{
    const struct mamori_sqlv old[] = {SQLV_I(now - MAMORI_LOGIN_WINDOW_SECONDS)};
    const struct mamori_sqlv expired[] = {SQLV_I(now)};
    exec(db, "DELETE FROM ui_login_failures WHERE time <= $1", old, 1, NULL, NULL);
    exec(db, "DELETE FROM ui_sessions WHERE expires <= $1", expired, 1, NULL, NULL);
}

struct user_secret {
    int found;
    enum mamori_role role;
    char hash[MAMORI_PASSWORD_HASH_MAX];
};

static int secret_row(void *arg, int ncol, const char *const *c)
{
    struct user_secret *u = arg;
    if (ncol < 2)
        return -1;
    u->found = 1;
    u->role = mamori_role_parse(c[0]);
    snprintf(u->hash, sizeof(u->hash), "%s", c[1] ? c[1] : "");
    return 0;
}

/* A well-formed hash of nothing: unknown users cost the same scrypt run as
 * known ones, so response time does not tell which names exist. */
static const char unknown_user_hash[] = "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
                                        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

static int password_matches(struct mamori_sqldb *db, const char *user, const char *password,
                            enum mamori_role *role)
{
    struct user_secret u = {0};
    const struct mamori_sqlv p[] = {SQLV_S(user)};
    int ok;
    if (exec(db, "SELECT role, pw_hash FROM ui_users WHERE name = $1", p, 1, secret_row, &u) < 0)
        return -1;
    ok = mamori_password_verify(password, u.found ? u.hash : unknown_user_hash);
    *role = u.role;
    OPENSSL_cleanse(u.hash, sizeof(u.hash));
    return u.found && u.role != MAMORI_ROLE_NONE && ok == 1 ? 1 : 0;
}

static int session_store(struct mamori_sqldb *db, const char *digest,
                         const struct mamori_session *s, time_t now)
{
    const struct mamori_sqlv p[] = {SQLV_S(digest), SQLV_S(s->user), SQLV_S(s->csrf), SQLV_I(now),
                                    SQLV_I(s->expires)};
    return exec(db,
                "INSERT INTO ui_sessions (token_hash, user_name, csrf, created, expires)"
                " VALUES ($1, $2, $3, $4, $5)",
                p, 5, NULL, NULL) == 1
               ? 0
               : -1;
}

static int session_open(struct mamori_sqldb *db, const char *user, enum mamori_role role,
                        time_t now, char *token, struct mamori_session *s)
{
    unsigned char raw[TOKEN_BYTES], csrf[32];
    char digest[65];
    int rc = -1;

    memset(s, 0, sizeof(*s));
    snprintf(s->user, sizeof(s->user), "%s", user);
    s->role = role;
    s->expires = now + MAMORI_SESSION_SECONDS;
    if (RAND_bytes(raw, sizeof(raw)) == 1 && RAND_bytes(csrf, sizeof(csrf)) == 1 &&
        mamori_b64url_encode(raw, sizeof(raw), token, MAMORI_SESSION_TOKEN_LEN + 1) ==
            MAMORI_SESSION_TOKEN_LEN &&
        token_digest(token, digest) == 0) {
        hex(csrf, sizeof(csrf), s->csrf);
        rc = session_store(db, digest, s, now);
    }
    OPENSSL_cleanse(raw, sizeof(raw));
    if (rc != 0)
        token[0] = '\0';
    return rc;
}

enum mamori_login_result mamori_auth_login(struct mamori_sqldb *db, const char *user,
                                           const char *password, const char *client, time_t now,
                                           char *token, struct mamori_session *session)
{
    char by_user[MAMORI_USER_NAME_MAX + 16], by_addr[80];
    enum mamori_role role = MAMORI_ROLE_NONE;
    long fu, fa;
    int match;

    token[0] = '\0';
    /* Names that cannot exist are still counted, under a fixed subject,
     * so garbage names cannot bypass the per-user limit. */
    snprintf(by_user, sizeof(by_user), "user:%s",
             mamori_user_name_valid(user) ? user : "(invalid)");
    snprintf(by_addr, sizeof(by_addr), "addr:%s", client ? client : "?");
    forget_stale(db, now);
    fu = recent_failures(db, by_user, now);
    fa = recent_failures(db, by_addr, now);
    if (fu < 0 || fa < 0)
        return MAMORI_LOGIN_ERROR;
    if (fu >= MAMORI_LOGIN_MAX_FAILURES || fa >= MAMORI_LOGIN_MAX_FAILURES)
        return MAMORI_LOGIN_LIMITED;
    if (password == NULL || strlen(password) > MAMORI_PASSWORD_MAX_LEN)
        password = "";
    if (mamori_user_name_valid(user)) {
        match = password_matches(db, user, password, &role);
    } else {
        mamori_password_verify(password, unknown_user_hash); /* the same cost */
        match = 0;
    }
    if (match < 0)
        return MAMORI_LOGIN_ERROR;
    if (!match) {
        if (record_failure(db, by_user, now) != 0 || record_failure(db, by_addr, now) != 0)
            return MAMORI_LOGIN_ERROR;
        return MAMORI_LOGIN_REFUSED;
    }
    const struct mamori_sqlv p[] = {SQLV_S(by_user)};
    exec(db, "DELETE FROM ui_login_failures WHERE subject = $1", p, 1, NULL, NULL);
    return session_open(db, user, role, now, token, session) == 0 ? MAMORI_LOGIN_OK
                                                                  : MAMORI_LOGIN_ERROR;
}

struct session_row {
    int found;
    struct mamori_session *s;
};

static int session_row(void *arg, int ncol, const char *const *c)
{
    struct session_row *r = arg;
    if (ncol < 4)
        return -1;
    r->found = 1;
    snprintf(r->s->user, sizeof(r->s->user), "%s", c[0] ? c[0] : "");
    r->s->role = mamori_role_parse(c[1]);
    snprintf(r->s->csrf, sizeof(r->s->csrf), "%s", c[2] ? c[2] : "");
    r->s->expires = c[3] ? (time_t)strtoll(c[3], NULL, 10) : 0;
    return 0;
}

int mamori_auth_session(struct mamori_sqldb *db, const char *token, time_t now,
                        struct mamori_session *out)
{
    char digest[65];
    struct session_row r = {0, out};
    memset(out, 0, sizeof(*out));
    if (!token_well_formed(token) || token_digest(token, digest) != 0)
        return 1;
    const struct mamori_sqlv p[] = {SQLV_S(digest), SQLV_I(now)};
    if (exec(db,
             "SELECT s.user_name, u.role, s.csrf, s.expires FROM ui_sessions s"
             " JOIN ui_users u ON u.name = s.user_name WHERE s.token_hash = $1 AND s.expires > $2",
             p, 2, session_row, &r) < 0)
        return -1;
    if (!r.found || out->role == MAMORI_ROLE_NONE || strlen(out->csrf) != 64) {
        memset(out, 0, sizeof(*out));
        return 1;
    }
    return 0;
}

int mamori_auth_logout(struct mamori_sqldb *db, const char *token)
{
    char digest[65];
    if (!token_well_formed(token) || token_digest(token, digest) != 0)
        return 0;
    const struct mamori_sqlv p[] = {SQLV_S(digest)};
    return exec(db, "DELETE FROM ui_sessions WHERE token_hash = $1", p, 1, NULL, NULL) < 0 ? -1 : 0;
}
