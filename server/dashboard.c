/* dashboard.c -- /ui routes: who may see what, login, logout, admin actions.
 *
 * Two route entries (GET and POST under /ui) lead here; the pages below are
 * picked by path.  Every page except the login form needs a session cookie
 * (auth.h): HttpOnly, Secure, SameSite=Strict, Path=/ui.  Every POST must
 * come from our own origin, and every POST of a logged-in user must carry
 * the session's CSRF token, compared in constant time.  Admin pages answer
 * 403 to viewers.  Login outcomes are logged (user and address, never the
 * password). */
#include "dashboard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

#include "auth.h"
#include "dashboard_data.h"
#include "dashboard_page.h"
#include "dashboard_views.h"

#define SESSION_COOKIE "mamori_session"
#define LANG_COOKIE    "mamori_lang"
#define COOKIE_FLAGS   "; Path=/ui; HttpOnly; Secure; SameSite=Strict"
#define EVENTS_SHOWN   500

int mamori_dashboard_prepare(struct mamori_server *s, char *err, size_t errlen)
{
    struct mamori_sqldb *db = mamori_dash_db(s);
    if (mamori_auth_prepare(db) != 0 || mamori_dash_data_prepare(db) != 0) {
        snprintf(err, errlen,
                 "dashboard: cannot create its tables (ui_users, ui_sessions,"
                 " ui_login_failures, ui_trend)");
        return -1;
    }
    return mamori_dashboard_tls(s, err, errlen);
}

/* ---- per-request context ---- */

static const char *in_header(struct mamori_dash *d, const char *name)
{
    return evhttp_find_header(evhttp_request_get_input_headers(d->r->req), name);
}

static void choose_language(struct mamori_dash *d)
{
    const char *lang = mamori_dash_param(d, "lang");
    char saved[8];
    if (lang != NULL && (strcmp(lang, "en") == 0 || strcmp(lang, "ja") == 0)) {
        d->en = strcmp(lang, "en") == 0;
        mamori_dash_header(d, "Set-Cookie",
                           d->en ? LANG_COOKIE "=en; Path=/ui; Secure; SameSite=Strict;"
                                               " Max-Age=31536000"
                                 : LANG_COOKIE "=ja; Path=/ui; Secure; SameSite=Strict;"
                                               " Max-Age=31536000");
    } else if (mamori_dash_cookie(in_header(d, "Cookie"), LANG_COOKIE, saved, sizeof(saved)) == 0) {
        d->en = strcmp(saved, "en") == 0;
    } else {
        d->en = mamori_dash_prefers_english(in_header(d, "Accept-Language"));
    }
}

/* 0 ready; -1 answered already (bad query, database down). */
static int dash_open(struct mamori_dash *d, struct mamori_http_request *r)
{
    memset(d, 0, sizeof(*d));
    d->r = r;
    d->db = mamori_dash_db(r->srv);
    TAILQ_INIT(&d->query);
    d->out = evbuffer_new();
    if (d->out == NULL) {
        mamori_http_error(r, 500, "memory");
        return -1;
    }
    if (evhttp_parse_query_str(r->query ? r->query : "", &d->query) != 0) {
        mamori_dash_message(d, 400, "URLが正しくありません", "Malformed URL");
        return -1;
    }
    choose_language(d);
    if (mamori_dash_cookie(in_header(d, "Cookie"), SESSION_COOKIE, d->token, sizeof(d->token)) != 0)
        return 0;
    switch (mamori_auth_session(d->db, d->token, time(NULL), &d->session)) {
    case 0:
        d->logged_in = 1;
        return 0;
    case 1:
        return 0;
    default:
        mamori_dash_message(d, 503, "データベースを読めません", "The database cannot be read");
        return -1;
    }
}

static void dash_close(struct mamori_dash *d)
{
    evhttp_clear_headers(&d->query);
    if (d->out != NULL)
        evbuffer_free(d->out);
    OPENSSL_cleanse(d->token, sizeof(d->token));
    OPENSSL_cleanse(&d->session, sizeof(d->session));
}

static const char *peer_address(struct mamori_dash *d)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(d->r->req);
    char *addr = NULL;
    ev_uint16_t port = 0;
    if (conn != NULL)
        evhttp_connection_get_peer(conn, &addr, &port);
    return addr != NULL ? addr : "?";
}

static int require_admin(struct mamori_dash *d)
{
    if (d->session.role == MAMORI_ROLE_ADMIN)
        return 1;
    mamori_dash_message(d, 403, "この操作には管理者の権限が必要です",
                        "This needs an administrator");
    return 0;
}

/* ---- GET pages ---- */

static void page_overview(struct mamori_dash *d)
{
    time_t now = time(NULL);
    cJSON *ov = mamori_dash_overview(d->r->srv, now, MAMORI_DASH_LIST_ROWS);
    if (ov == NULL) {
        mamori_dash_message(d, 503, "データベースを読めません", "The database cannot be read");
        return;
    }
    mamori_dash_page_overview(d, ov, now);
    cJSON_Delete(ov);
}

static void page_host(struct mamori_dash *d, const char *name)
{
    cJSON *host = name[0] ? mamori_dash_host(d->r->srv, name) : NULL;
    if (host == NULL) {
        mamori_dash_message(d, 404, "端末が見つかりません", "No such host");
        return;
    }
    mamori_dash_page_host(d, host);
    cJSON_Delete(host);
}

static void page_events(struct mamori_dash *d)
{
    struct mamori_event_filter f = {.limit = EVENTS_SHOWN};
    cJSON *events;
    if (mamori_dash_event_filter(d, &f) != 0) {
        mamori_dash_message(d, 400, "日付は YYYY-MM-DD で指定してください",
                            "Give the date as YYYY-MM-DD");
        return;
    }
    events = d->r->srv->store->ops->events(d->r->srv->store, &f);
    if (events == NULL) {
        mamori_dash_message(d, 503, "データベースを読めません", "The database cannot be read");
        return;
    }
    mamori_dash_page_events(d, events);
    cJSON_Delete(events);
}

static void page_users(struct mamori_dash *d)
{
    cJSON *users;
    if (!require_admin(d))
        return;
    users = mamori_auth_users(d->db);
    if (users == NULL) {
        mamori_dash_message(d, 503, "データベースを読めません", "The database cannot be read");
        return;
    }
    mamori_dash_page_users(d, users);
    cJSON_Delete(users);
}

/* The overview's search box: /ui/hosts?q=NAME goes to the host's page. */
static void find_host(struct mamori_dash *d)
{
    const char *q = mamori_dash_param(d, "q");
    char *enc = q ? evhttp_uriencode(q, -1, 0) : NULL;
    char *location = enc ? malloc(strlen(enc) + 16) : NULL;
    if (location == NULL) {
        mamori_dash_message(d, 404, "端末が見つかりません", "No such host");
    } else {
        sprintf(location, "/ui/hosts/%s", enc);
        mamori_dash_redirect(d, location);
    }
    free(location);
    free(enc);
}

/* "/ui/csv/NAME.csv" -> NAME (letters, digits and '-' only). */
static int csv_name(const char *path, char *name, size_t len)
{
    const char *start = path + strlen("/ui/csv/");
    size_t n = strlen(start);
    if (n <= 4 || n - 4 >= len || strcmp(start + n - 4, ".csv") != 0)
        return -1;
    for (size_t i = 0; i < n - 4; i++)
        if (!(start[i] >= 'a' && start[i] <= 'z') && start[i] != '-')
            return -1;
    memcpy(name, start, n - 4);
    name[n - 4] = '\0';
    return 0;
}

static void route_get(struct mamori_dash *d)
{
    const char *path = d->r->path;
    char name[32];
    if (strcmp(path, "/ui") == 0)
        mamori_dash_redirect(d, "/ui/");
    else if (strcmp(path, "/ui/login") == 0 && d->logged_in)
        mamori_dash_redirect(d, "/ui/");
    else if (strcmp(path, "/ui/login") == 0)
        mamori_dash_page_login(d, 200, NULL, NULL);
    else if (strncmp(path, "/ui/", 4) != 0)
        mamori_dash_message(d, 404, "ページが見つかりません", "Not found");
    else if (!d->logged_in)
        mamori_dash_redirect(d, "/ui/login");
    else if (strcmp(path, "/ui/") == 0)
        page_overview(d);
    else if (strcmp(path, "/ui/hosts") == 0)
        find_host(d);
    else if (strncmp(path, "/ui/hosts/", 10) == 0)
        page_host(d, path + 10);
    else if (strcmp(path, "/ui/events") == 0)
        page_events(d);
    else if (strcmp(path, "/ui/admin/users") == 0)
        page_users(d);
    else if (strncmp(path, "/ui/csv/", 8) == 0 && csv_name(path, name, sizeof(name)) == 0)
        mamori_dash_csv(d, d->r->srv, name);
    else
        mamori_dash_message(d, 404, "ページが見つかりません", "Not found");
}

static void handle_get(struct mamori_http_request *r)
{
    struct mamori_dash d;
    if (dash_open(&d, r) == 0)
        route_get(&d);
    dash_close(&d);
}

/* ---- POST actions ---- */

static void login(struct mamori_dash *d, struct evkeyvalq *form)
{
    const char *user = evhttp_find_header(form, "user");
    const char *password = evhttp_find_header(form, "password");
    const char *addr = peer_address(d);
    char cookie[MAMORI_SESSION_TOKEN_LEN + 100];
    enum mamori_login_result res = mamori_auth_login(
        d->db, user ? user : "", password ? password : "", addr, time(NULL), d->token, &d->session);
    const char *shown = user && mamori_user_name_valid(user) ? user : "(invalid name)";

    switch (res) {
    case MAMORI_LOGIN_OK:
        fprintf(stderr, "mamori-server: dashboard login: %s from %s\n", shown, addr);
        snprintf(cookie, sizeof(cookie), SESSION_COOKIE "=%s; Max-Age=%d" COOKIE_FLAGS, d->token,
                 MAMORI_SESSION_SECONDS);
        mamori_dash_header(d, "Set-Cookie", cookie);
        mamori_dash_redirect(d, "/ui/");
        break;
    case MAMORI_LOGIN_REFUSED:
        fprintf(stderr, "mamori-server: dashboard login refused: %s from %s\n", shown, addr);
        mamori_dash_page_login(d, 401, "利用者名またはパスワードが違います。",
                               "Wrong user name or password.");
        break;
    case MAMORI_LOGIN_LIMITED:
        fprintf(stderr, "mamori-server: dashboard login rate-limited: %s from %s\n", shown, addr);
        mamori_dash_header(d, "Retry-After", "300");
        mamori_dash_page_login(d, 429,
                               "ログインの失敗が続いたため、しばらく受け付けません。"
                               "5分ほど待ってからやり直してください。",
                               "Too many failed logins. Wait about five minutes and try again.");
        break;
    default:
        mamori_dash_message(d, 503, "データベースを読めません", "The database cannot be read");
    }
}

static void logout(struct mamori_dash *d)
{
    if (mamori_auth_logout(d->db, d->token) != 0) {
        mamori_dash_message(d, 503, "データベースを読めません", "The database cannot be read");
        return;
    }
    mamori_dash_header(d, "Set-Cookie", SESSION_COOKIE "=; Max-Age=0" COOKIE_FLAGS);
    mamori_dash_redirect(d, "/ui/login");
}

static void remove_user(struct mamori_dash *d, struct evkeyvalq *form)
{
    const char *name = evhttp_find_header(form, "name");
    int rc;
    if (!require_admin(d))
        return;
    if (name == NULL || strcmp(name, d->session.user) == 0) {
        mamori_dash_message(d, 400, "自分自身は削除できません", "You cannot remove yourself");
        return;
    }
    rc = mamori_auth_user_remove(d->db, name);
    if (rc < 0) {
        mamori_dash_message(d, 503, "データベースを読めません", "The database cannot be read");
        return;
    }
    if (rc == 0)
        fprintf(stderr, "mamori-server: dashboard user %s removed by %s\n",
                mamori_user_name_valid(name) ? name : "(invalid name)", d->session.user);
    mamori_dash_redirect(d, "/ui/admin/users");
}

static int csrf_ok(struct mamori_dash *d, struct evkeyvalq *form)
{
    const char *sent = evhttp_find_header(form, "csrf");
    return sent != NULL && strlen(sent) == strlen(d->session.csrf) &&
           CRYPTO_memcmp(sent, d->session.csrf, strlen(sent)) == 0;
}

static int form_post(struct mamori_dash *d)
{
    const char *type = in_header(d, "Content-Type");
    return type != NULL && strncmp(type, "application/x-www-form-urlencoded", 33) == 0;
}

static void route_post(struct mamori_dash *d, struct evkeyvalq *form)
{
    const char *path = d->r->path;
    if (!mamori_dash_same_origin(d) || !form_post(d))
        mamori_dash_message(d, 403, "このフォームは受け付けられません", "Form refused");
    else if (strcmp(path, "/ui/login") == 0)
        login(d, form);
    else if (!d->logged_in)
        mamori_dash_redirect(d, "/ui/login");
    else if (!csrf_ok(d, form))
        mamori_dash_message(d, 403, "このフォームは受け付けられません(ページを開き直してください)",
                            "Form refused (reload the page and try again)");
    else if (strcmp(path, "/ui/logout") == 0)
        logout(d);
    else if (strcmp(path, "/ui/admin/users/remove") == 0)
        remove_user(d, form);
    else
        mamori_dash_message(d, 404, "ページが見つかりません", "Not found");
}

static void handle_post(struct mamori_http_request *r)
{
    struct mamori_dash d;
    struct evkeyvalq form;
    TAILQ_INIT(&form);
    if (dash_open(&d, r) == 0) {
        if (evhttp_parse_query_str(r->body ? r->body : "", &form) != 0)
            mamori_dash_message(&d, 400, "フォームが正しくありません", "Malformed form");
        else
            route_post(&d, &form);
    }
    evhttp_clear_headers(&form);
    dash_close(&d);
}

const struct mamori_route mamori_dashboard_routes[] = {
    {EVHTTP_REQ_GET, "/ui", 1, MAMORI_AUTH_NONE, handle_get},
    {EVHTTP_REQ_POST, "/ui", 1, MAMORI_AUTH_NONE, handle_post},
    {0, NULL, 0, 0, NULL},
};
