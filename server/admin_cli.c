/* admin_cli.c -- `mamori-server admin ...`: dashboard accounts from the shell.
 *
 *   admin add NAME --role viewer|admin [--password-file FILE]
 *   admin remove NAME
 *   admin list
 *   admin snapshot      record today's point of the 30-day trend
 *
 * (each with [--config FILE]).  Accounts are made on the server itself, by
 * whoever can read server.conf and the database, so the web pages never
 * need an "add administrator" form.  The password comes from
 * --password-file, from a prompt on the terminal with echo off (asked
 * twice), or from the first line of standard input when that is not a
 * terminal (scripts, tests) -- never from the command line, where `ps`
 * would show it. */
#include "dashboard.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "dashboard_data.h"

#define DEFAULT_CONFIG MAMORI_SYSCONFDIR "/server/server.conf"

struct admin_args {
    const char *config;
    const char *role;
    const char *password_file;
};

static void admin_usage(FILE *out)
{
    fputs("usage: mamori-server admin add NAME --role viewer|admin [--password-file FILE]"
          " [--config FILE]\n"
          "       mamori-server admin remove NAME [--config FILE]\n"
          "       mamori-server admin list [--config FILE]\n"
          "       mamori-server admin snapshot [--config FILE]\n",
          out);
}

/* One line from f without its line end.  0, or -1 when empty or too long. */
static int read_line(FILE *f, char *buf, size_t len)
{
    size_t n;
    if (fgets(buf, (int)len, f) == NULL)
        return -1;
    n = strlen(buf);
    if (n == len - 1 && buf[n - 1] != '\n')
        return -1;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return n > 0 ? 0 : -1;
}

static int prompt_hidden(const char *prompt, char *buf, size_t len)
{
    FILE *tty = fopen("/dev/tty", "r+");
    struct termios old, quiet;
    int rc;
    if (tty == NULL || tcgetattr(fileno(tty), &old) != 0) {
        if (tty)
            fclose(tty);
        return -1;
    }
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    fputs(prompt, tty);
    fflush(tty);
    tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
    rc = read_line(tty, buf, len);
    tcsetattr(fileno(tty), TCSAFLUSH, &old);
    fputs("\n", tty);
    fclose(tty);
    return rc;
}

static int read_password(const struct admin_args *a, char *buf, size_t len)
{
    char again[MAMORI_PASSWORD_MAX_LEN + 2];
    int rc;
    if (a->password_file != NULL) {
        FILE *f = fopen(a->password_file, "r");
        if (f == NULL) {
            perror(a->password_file);
            return -1;
        }
        rc = read_line(f, buf, len);
        fclose(f);
        if (rc != 0)
            fprintf(stderr, "mamori-server admin: %s: no password on the first line\n",
                    a->password_file);
        return rc;
    }
    if (!isatty(STDIN_FILENO))
        return read_line(stdin, buf, len);
    if (prompt_hidden("Password / パスワード: ", buf, len) != 0 ||
        prompt_hidden("Again / もう一度: ", again, sizeof(again)) != 0)
        return -1;
    rc = strcmp(buf, again) == 0 ? 0 : -1;
    OPENSSL_cleanse(again, sizeof(again));
    if (rc != 0)
        fputs("mamori-server admin: the two passwords differ\n", stderr);
    return rc;
}

static int cmd_add(struct mamori_server *s, const struct admin_args *a, const char *name)
{
    char password[MAMORI_PASSWORD_MAX_LEN + 2], err[256];
    enum mamori_role role = mamori_role_parse(a->role);
    int rc;
    if (role == MAMORI_ROLE_NONE) {
        fputs("mamori-server admin add: --role viewer or --role admin is required\n", stderr);
        return 2;
    }
    if (!mamori_user_name_valid(name)) {
        fprintf(stderr, "mamori-server admin add: user name must be 1-%d of A-Z a-z 0-9 . _ @ -\n",
                MAMORI_USER_NAME_MAX);
        return 2;
    }
    if (read_password(a, password, sizeof(password)) != 0) {
        fputs("mamori-server admin add: no password given\n", stderr);
        return 2;
    }
    rc =
        mamori_auth_user_set(mamori_dash_db(s), name, role, password, time(NULL), err, sizeof(err));
    OPENSSL_cleanse(password, sizeof(password));
    if (rc != 0) {
        fprintf(stderr, "mamori-server admin add: %s\n", err);
        return 1;
    }
    printf("%s: %s (%s)\n", "user set / 利用者を設定しました", name, mamori_role_name(role));
    return 0;
}

static int cmd_remove(struct mamori_server *s, const char *name)
{
    int rc = mamori_auth_user_remove(mamori_dash_db(s), name);
    if (rc == 1)
        fprintf(stderr, "mamori-server admin remove: no user named %s\n", name);
    return rc == 0 ? 0 : 1;
}

static int cmd_list(struct mamori_server *s)
{
    cJSON *users = mamori_auth_users(mamori_dash_db(s));
    const cJSON *u;
    if (users == NULL)
        return 1;
    cJSON_ArrayForEach(u, users)
    {
        printf("%-32s %s\n", cJSON_GetObjectItem(u, "name")->valuestring,
               cJSON_GetObjectItem(u, "role")->valuestring);
    }
    cJSON_Delete(users);
    return 0;
}

static int cmd_snapshot(struct mamori_server *s)
{
    cJSON *ov = mamori_dash_overview(s, time(NULL), 1);
    if (ov == NULL)
        return 1;
    printf("hosts %.0f compliant %.0f silent %.0f\n", cJSON_GetObjectItem(ov, "hosts")->valuedouble,
           cJSON_GetObjectItem(ov, "compliant")->valuedouble,
           cJSON_GetObjectItem(ov, "silent")->valuedouble);
    cJSON_Delete(ov);
    return 0;
}

static int parse_args(int argc, char **argv, struct admin_args *a)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"role", required_argument, NULL, 'r'},
        {"password-file", required_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    a->config = getenv("MAMORI_SERVER_CONFIG") ? getenv("MAMORI_SERVER_CONFIG") : DEFAULT_CONFIG;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'c')
            a->config = optarg;
        else if (ch == 'r')
            a->role = optarg;
        else if (ch == 'p')
            a->password_file = optarg;
        else
            return -1;
    }
    return 0;
}

static int run_admin(struct mamori_server *s, const struct admin_args *a, const char *what,
                     const char *name)
{
    if (strcmp(what, "add") == 0 && name != NULL)
        return cmd_add(s, a, name);
    if (strcmp(what, "remove") == 0 && name != NULL)
        return cmd_remove(s, name);
    if (strcmp(what, "list") == 0)
        return cmd_list(s);
    if (strcmp(what, "snapshot") == 0)
        return cmd_snapshot(s);
    admin_usage(stderr);
    return 2;
}

int mamori_admin_main(int argc, char **argv)
{
    struct admin_args a = {0};
    struct mamori_server s;
    char err[512];
    const char *what, *name;
    int rc;

    if (parse_args(argc, argv, &a) != 0 || optind >= argc) {
        admin_usage(stderr);
        return 2;
    }
    what = argv[optind];
    name = optind + 1 < argc ? argv[optind + 1] : NULL;
    if (mamori_server_open(&s, a.config, 0, err, sizeof(err)) != 0 ||
        mamori_dashboard_prepare(&s, err, sizeof(err)) != 0) {
        fprintf(stderr, "mamori-server: %s\n", err);
        mamori_server_close(&s);
        return 1;
    }
    rc = run_admin(&s, &a, what, name);
    mamori_server_close(&s);
    return rc;
}
