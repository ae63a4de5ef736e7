/* auth.h -- dashboard accounts: users, password hashes, sessions, login limits.
 *
 * The dashboard (dashboard*.c) serves people, not PCs, so it has its own
 * accounts: `mamori-server admin add NAME --role viewer|admin` stores a
 * scrypt hash (OpenSSL EVP_KDF, N=2^15 r=8 p=1, 16-byte random salt); a
 * login creates a session whose random 32-byte token lives only in the
 * browser's cookie -- the database keeps its SHA-256, so a copied database
 * opens no session.  Failed logins are remembered per user and per client
 * address, and more than MAMORI_LOGIN_MAX_FAILURES within
 * MAMORI_LOGIN_WINDOW_SECONDS refuse further tries for that name or address.
 *
 * Everything lives in the collector's database through mamori_sqldb, so it
 * works the same on SQLite and on PostgreSQL, where several collectors
 * share users, sessions and the failure counts. */
#ifndef MAMORI_SERVER_AUTH_H
#define MAMORI_SERVER_AUTH_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "sqldb.h"

#define MAMORI_SESSION_SECONDS      (8 * 3600)
#define MAMORI_LOGIN_WINDOW_SECONDS 300
#define MAMORI_LOGIN_MAX_FAILURES   5
#define MAMORI_PASSWORD_MIN_LEN     10
#define MAMORI_PASSWORD_MAX_LEN     1024
#define MAMORI_USER_NAME_MAX        64
#define MAMORI_PASSWORD_HASH_MAX    160
/* base64url of 32 random bytes */
#define MAMORI_SESSION_TOKEN_LEN 43

enum mamori_role { MAMORI_ROLE_NONE, MAMORI_ROLE_VIEWER, MAMORI_ROLE_ADMIN };

struct mamori_session {
    char user[MAMORI_USER_NAME_MAX + 1];
    enum mamori_role role;
    char csrf[65]; /* hex; must come back in every form posted in this session */
    time_t expires;
};

enum mamori_login_result {
    MAMORI_LOGIN_OK,
    MAMORI_LOGIN_REFUSED, /* unknown user or wrong password: one answer for both */
    MAMORI_LOGIN_LIMITED, /* too many recent failures for this user or address */
    MAMORI_LOGIN_ERROR,
};

/* Create the auth tables when missing.  0, or -1 (logged by the backend). */
int mamori_auth_prepare(struct mamori_sqldb *db);

/* "viewer" / "admin" and back; NONE for anything else. */
const char *mamori_role_name(enum mamori_role role);
enum mamori_role mamori_role_parse(const char *name);

/* 1..64 of [A-Za-z0-9._@-], so names print safely in logs and pages. */
int mamori_user_name_valid(const char *name);

/* "$scrypt$ln=15,r=8,p=1$<salt>$<hash>" (base64url) into out.  0 or -1. */
int mamori_password_hash(const char *password, char *out, size_t outlen);
/* 1 when password matches encoded, 0 when not, -1 on a malformed hash. */
int mamori_password_verify(const char *password, const char *encoded);

/* Add the user or replace its role and password.  0, or -1 with err set. */
int mamori_auth_user_set(struct mamori_sqldb *db, const char *name, enum mamori_role role,
                         const char *password, time_t now, char *err, size_t errlen);
/* Remove the user and end its sessions.  0 removed, 1 no such user, -1 error. */
int mamori_auth_user_remove(struct mamori_sqldb *db, const char *name);
/* [{name, role, created}] ordered by name; NULL on error. */
cJSON *mamori_auth_users(struct mamori_sqldb *db);

/* Check the password and open a session: token (MAMORI_SESSION_TOKEN_LEN+1
 * bytes) is what the browser keeps.  client is the peer address, for the
 * per-address limit. */
enum mamori_login_result mamori_auth_login(struct mamori_sqldb *db, const char *user,
                                           const char *password, const char *client, time_t now,
                                           char *token, struct mamori_session *session);
/* 0 with *out filled for a live session, 1 none or expired, -1 error. */
int mamori_auth_session(struct mamori_sqldb *db, const char *token, time_t now,
                        struct mamori_session *out);
/* End the session of token (no error when it is already gone). */
int mamori_auth_logout(struct mamori_sqldb *db, const char *token);

#endif
