/* t_dashboard_auth.c -- dashboard accounts on a real database.
 *
 * Opens the collector's own SQLite store (or PostgreSQL when
 * MAMORI_TEST_PG_DSN is set) and drives server/auth.c: scrypt hashes,
 * user validation, login with the per-user and per-address limits, sessions
 * stored only as hashes, expiry, logout, and sessions ended by a password
 * change or removal.  Time is passed in, so expiry and the limit window are
 * tested without sleeping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include "auth.h"
#include "dashboard_data.h"
#include "sqldb.h"

#define T0 1790000000

static char dir[64];
static struct mamori_store *store;
static struct mamori_sqldb *db;

static void reset_pg(const char *dsn)
{
    PGconn *c = PQconnectdb(dsn);
    PGresult *r;
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "postgresql: %s", PQerrorMessage(c));
    r = PQexec(c, "SET client_min_messages = warning; DROP SCHEMA public CASCADE;"
                  " CREATE SCHEMA public");
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static void open_db(void)
{
    const char *dsn = getenv("MAMORI_TEST_PG_DSN");
    char path[128], err[256];
    if (dsn != NULL) {
        reset_pg(dsn);
        store = mamori_store_pg_open(dsn, err, sizeof(err));
    } else {
        snprintf(dir, sizeof(dir), "/tmp/mamori-auth-XXXXXX");
        cr_assert_not_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/m.db", dir);
        store = mamori_store_sqlite_open(path, err, sizeof(err));
    }
    cr_assert_not_null(store, "open: %s", err);
    db = (struct mamori_sqldb *)store;
    cr_assert_eq(mamori_auth_prepare(db), 0);
    cr_assert_eq(mamori_auth_prepare(db), 0, "preparing twice is harmless");
    cr_assert_eq(mamori_dash_data_prepare(db), 0);
}

static void close_db(void)
{
    char cmd[128];
    store->ops->close(store);
    if (dir[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        cr_assert_eq(system(cmd), 0);
    }
}

TestSuite(auth, .init = open_db, .fini = close_db, .timeout = 60);

static void add_user(const char *name, enum mamori_role role, const char *password)
{
    char err[200];
    cr_assert_eq(mamori_auth_user_set(db, name, role, password, T0, err, sizeof(err)), 0, "%s",
                 err);
}

Test(auth, password_hash_is_salted_scrypt)
{
    char a[MAMORI_PASSWORD_HASH_MAX], b[MAMORI_PASSWORD_HASH_MAX];
    cr_assert_eq(mamori_password_hash("long enough secret", a, sizeof(a)), 0);
    cr_assert_eq(mamori_password_hash("long enough secret", b, sizeof(b)), 0);
    cr_assert_eq(strncmp(a, "$scrypt$ln=15,r=8,p=1$", 22), 0, "%s", a);
    cr_assert_str_neq(a, b, "two hashes of one password must differ (random salt)");
    cr_assert_eq(mamori_password_verify("long enough secret", a), 1);
    cr_assert_eq(mamori_password_verify("long enough secreT", a), 0);
    cr_assert_eq(mamori_password_verify("", a), 0);
}

Test(auth, malformed_hashes_are_refused)
{
    cr_assert_eq(mamori_password_verify("x", "plain"), -1);
    cr_assert_eq(mamori_password_verify("x", "$scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
                                             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                 -1, "N = 2^30 would stall the server");
    cr_assert_eq(mamori_password_verify("x", "$scrypt$ln=15,r=8,p=1$AAAA$AAAA"), -1);
    cr_assert_eq(mamori_password_verify("x", "$scrypt$ln=15,r=8,p=1$!!!!$AAAA"), -1);
}

Test(auth, user_set_checks_name_role_and_length)
{
    char err[200];
    cr_assert_eq(
        mamori_auth_user_set(db, "a b", MAMORI_ROLE_ADMIN, "long enough pw", T0, err, sizeof(err)),
        -1);
    cr_assert(strstr(err, "user name") != NULL, "%s", err);
    cr_assert_eq(
        mamori_auth_user_set(db, "<x>", MAMORI_ROLE_ADMIN, "long enough pw", T0, err, sizeof(err)),
        -1);
    cr_assert_eq(
        mamori_auth_user_set(db, "alice", MAMORI_ROLE_ADMIN, "short", T0, err, sizeof(err)), -1);
    cr_assert(strstr(err, "password") != NULL, "%s", err);
    cr_assert_eq(
        mamori_auth_user_set(db, "alice", MAMORI_ROLE_NONE, "long enough pw", T0, err, sizeof(err)),
        -1);
    cr_assert(strstr(err, "role") != NULL, "%s", err);
    cr_assert_eq(mamori_role_parse("admin"), MAMORI_ROLE_ADMIN);
    cr_assert_eq(mamori_role_parse("viewer"), MAMORI_ROLE_VIEWER);
    cr_assert_eq(mamori_role_parse("root"), MAMORI_ROLE_NONE);
}

static int row_has(void *arg, int ncol, const char *const *c)
{
    const char *token = arg;
    for (int i = 0; i < ncol; i++)
        cr_assert(c[i] == NULL || strstr(c[i], token) == NULL,
                  "the session token is stored in plain");
    return 0;
}

Test(auth, login_opens_a_session_stored_as_a_hash)
{
    char token[MAMORI_SESSION_TOKEN_LEN + 1];
    struct mamori_session s, found;
    add_user("alice", MAMORI_ROLE_ADMIN, "correct horse battery");
    cr_assert_eq(
        mamori_auth_login(db, "alice", "correct horse battery", "127.0.0.1", T0, token, &s),
        MAMORI_LOGIN_OK);
    cr_assert_eq(strlen(token), MAMORI_SESSION_TOKEN_LEN);
    cr_assert_eq(s.role, MAMORI_ROLE_ADMIN);
    cr_assert_eq(strlen(s.csrf), 64);
    cr_assert_eq(mamori_auth_session(db, token, T0 + 10, &found), 0);
    cr_assert_str_eq(found.user, "alice");
    cr_assert_eq(found.role, MAMORI_ROLE_ADMIN);
    cr_assert_str_eq(found.csrf, s.csrf);
    cr_assert_eq(db->db->exec(db, "SELECT * FROM ui_sessions", NULL, 0, row_has, token), 1);
    token[0] = token[0] == 'A' ? 'B' : 'A';
    cr_assert_eq(mamori_auth_session(db, token, T0 + 10, &found), 1,
                 "a changed token is no session");
    cr_assert_eq(mamori_auth_session(db, "short", T0, &found), 1);
}

Test(auth, unknown_user_and_wrong_password_look_the_same)
{
    char token[MAMORI_SESSION_TOKEN_LEN + 1];
    struct mamori_session s;
    add_user("alice", MAMORI_ROLE_VIEWER, "correct horse battery");
    cr_assert_eq(mamori_auth_login(db, "alice", "wrong password!", "10.0.0.1", T0, token, &s),
                 MAMORI_LOGIN_REFUSED);
    cr_assert_eq(token[0], '\0');
    cr_assert_eq(mamori_auth_login(db, "mallory", "whatever pw", "10.0.0.2", T0, token, &s),
                 MAMORI_LOGIN_REFUSED);
    cr_assert_eq(mamori_auth_login(db, "<bad name>", "whatever pw", "10.0.0.3", T0, token, &s),
                 MAMORI_LOGIN_REFUSED);
}

Test(auth, five_failures_lock_the_user_for_the_window)
{
    char token[MAMORI_SESSION_TOKEN_LEN + 1];
    struct mamori_session s;
    add_user("bob", MAMORI_ROLE_VIEWER, "bob's long password");
    for (int i = 0; i < MAMORI_LOGIN_MAX_FAILURES; i++)
        cr_assert_eq(mamori_auth_login(db, "bob", "guess", "10.0.1.1", T0 + i, token, &s),
                     MAMORI_LOGIN_REFUSED, "try %d", i);
    /* Even the right password, even from another address, is refused now. */
    cr_assert_eq(
        mamori_auth_login(db, "bob", "bob's long password", "10.0.9.9", T0 + 10, token, &s),
        MAMORI_LOGIN_LIMITED);
    cr_assert_eq(token[0], '\0');
    /* Once the window has passed over the failures, the right password works. */
    cr_assert_eq(mamori_auth_login(db, "bob", "bob's long password", "10.0.9.9",
                                   T0 + MAMORI_LOGIN_WINDOW_SECONDS + 5, token, &s),
                 MAMORI_LOGIN_OK);
}

Test(auth, five_failures_lock_the_address)
{
    char token[MAMORI_SESSION_TOKEN_LEN + 1];
    struct mamori_session s;
    add_user("carol", MAMORI_ROLE_VIEWER, "carol's long password");
    for (int i = 0; i < MAMORI_LOGIN_MAX_FAILURES; i++) {
        char name[16];
        snprintf(name, sizeof(name), "user%d", i);
        cr_assert_eq(mamori_auth_login(db, name, "guess", "192.0.2.7", T0, token, &s),
                     MAMORI_LOGIN_REFUSED);
    }
    cr_assert_eq(
        mamori_auth_login(db, "carol", "carol's long password", "192.0.2.7", T0 + 1, token, &s),
        MAMORI_LOGIN_LIMITED, "spraying names from one address must be limited");
    cr_assert_eq(
        mamori_auth_login(db, "carol", "carol's long password", "192.0.2.8", T0 + 1, token, &s),
        MAMORI_LOGIN_OK, "another address is not affected");
}

Test(auth, sessions_expire_and_end)
{
    char token[MAMORI_SESSION_TOKEN_LEN + 1], err[200];
    struct mamori_session s, found;
    add_user("dave", MAMORI_ROLE_ADMIN, "dave's long password");
    cr_assert_eq(mamori_auth_login(db, "dave", "dave's long password", "::1", T0, token, &s),
                 MAMORI_LOGIN_OK);
    cr_assert_eq(mamori_auth_session(db, token, T0 + MAMORI_SESSION_SECONDS - 1, &found), 0);
    cr_assert_eq(mamori_auth_session(db, token, T0 + MAMORI_SESSION_SECONDS, &found), 1);

    cr_assert_eq(mamori_auth_login(db, "dave", "dave's long password", "::1", T0, token, &s),
                 MAMORI_LOGIN_OK);
    cr_assert_eq(mamori_auth_logout(db, token), 0);
    cr_assert_eq(mamori_auth_session(db, token, T0 + 1, &found), 1, "logout ends the session");

    cr_assert_eq(mamori_auth_login(db, "dave", "dave's long password", "::1", T0, token, &s),
                 MAMORI_LOGIN_OK);
    cr_assert_eq(mamori_auth_user_set(db, "dave", MAMORI_ROLE_VIEWER, "a new long password", T0,
                                      err, sizeof(err)),
                 0);
    cr_assert_eq(mamori_auth_session(db, token, T0 + 1, &found), 1,
                 "a new password ends old sessions");
    cr_assert_eq(mamori_auth_login(db, "dave", "dave's long password", "::1", T0 + 2, token, &s),
                 MAMORI_LOGIN_REFUSED);
    cr_assert_eq(mamori_auth_login(db, "dave", "a new long password", "::1", T0 + 2, token, &s),
                 MAMORI_LOGIN_OK);
    cr_assert_eq(s.role, MAMORI_ROLE_VIEWER);
    cr_assert_eq(mamori_auth_user_remove(db, "dave"), 0);
    cr_assert_eq(mamori_auth_session(db, token, T0 + 3, &found), 1, "removal ends sessions");
    cr_assert_eq(mamori_auth_user_remove(db, "dave"), 1);
}

Test(auth, users_are_listed_without_secrets)
{
    cJSON *users;
    char *text;
    add_user("zed", MAMORI_ROLE_VIEWER, "zed's long password");
    add_user("amy", MAMORI_ROLE_ADMIN, "amy's long password");
    users = mamori_auth_users(db);
    cr_assert_not_null(users);
    cr_assert_eq(cJSON_GetArraySize(users), 2);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(users, 0), "name")->valuestring, "amy");
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(users, 1), "role")->valuestring,
                     "viewer");
    text = cJSON_PrintUnformatted(users);
    cr_assert(strstr(text, "scrypt") == NULL, "hashes must not leave auth.c: %s", text);
    cJSON_free(text);
    cJSON_Delete(users);
}
