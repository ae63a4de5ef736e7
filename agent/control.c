/* control.c -- the agent's control socket (/run/mamori/agent.sock).
 *
 * One request per connection: a JSON object on one line, at most
 * AGENTD_MAX_REQUEST bytes, e.g. {"cmd":"status"}; one JSON answer, then the
 * agent closes.  Who may ask is decided from the kernel's SO_PEERCRED and
 * SO_PEERGROUPS (the groups the client process really has), never from
 * anything the client says: root may do everything (status, reload,
 * check-now, report-now); members of group "mamori" may read status; everyone
 * else gets {"error":"permission denied"} before a byte of the request is
 * read.  No user or group database is consulted per request: an NSS module
 * (libnss_systemd, sssd) loaded for one helpdesk query would stay in the
 * resident agent for good.
 * Reads have a short timeout so a silent authorised client cannot hold the
 * loop for long.  check-now and report-now are answered when the check run
 * they started is over (agentd_checks.c); the loop goes on meanwhile. */
#include "agentd.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#define CONTROL_GROUP "mamori"

enum peer_right { PEER_NONE, PEER_READ, PEER_ALL };

static int make_parent_dir(const char *path)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char *slash;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        agentd_log(LOG_ERR, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* Refuse to start over a live agent; remove a stale socket file. */
static int claim_path(const struct sockaddr_un *addr)
{
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int live = probe >= 0 && connect(probe, (const struct sockaddr *)addr, sizeof(*addr)) == 0;

    if (probe >= 0)
        close(probe);
    if (live) {
        agentd_log(LOG_ERR, "another mamori-agent is running (%s answers)", addr->sun_path);
        return -1;
    }
    if (unlink(addr->sun_path) != 0 && errno != ENOENT) {
        agentd_log(LOG_ERR, "cannot remove stale %s: %s", addr->sun_path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The control group's gid, looked up once: when the socket is set up, or
 * at the first request if the group did not exist then. */
static bool control_gid(gid_t *gid)
{
    static bool known;
    static gid_t cached;
    const struct group *gr;

    if (!known && (gr = getgrnam(CONTROL_GROUP)) != NULL) {
        cached = gr->gr_gid;
        known = true;
    }
    *gid = cached;
    return known;
}

int agentd_control_listen(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    gid_t gid;
    bool have_group = control_gid(&gid);
    int fd;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        agentd_log(LOG_ERR, "control socket path too long: %s", path);
        return -1;
    }
    strcpy(addr.sun_path, path);
    if (make_parent_dir(path) != 0 || claim_path(&addr) != 0)
        return -1;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 16) != 0) {
        agentd_log(LOG_ERR, "control socket %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    /* Access is decided per connection by SO_PEERCRED; the mode only keeps
     * strangers from connecting at all. */
    if (chmod(path, 0660) != 0 || (have_group && chown(path, 0, gid) != 0 && geteuid() == 0))
        agentd_log(LOG_WARNING, "control socket %s: cannot set owner/mode: %s", path,
                   strerror(errno));
    return fd;
}

void agentd_control_close(const char *path, int fd)
{
    close(fd);
    unlink(path);
}

static bool in_control_group(int fd, gid_t primary)
{
    gid_t want, groups[256];
    socklen_t len = sizeof(groups);

    if (!control_gid(&want))
        return false;
    if (primary == want)
        return true;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) != 0)
        return false;
    for (size_t i = 0; i < len / sizeof(groups[0]); i++)
        if (groups[i] == want)
            return true;
    return false;
}

static enum peer_right peer_right(int fd, struct ucred *cred)
{
    socklen_t len = sizeof(*cred);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) != 0)
        return PEER_NONE;
    if (cred->uid == 0)
        return PEER_ALL;
    return in_control_group(fd, cred->gid) ? PEER_READ : PEER_NONE;
}

static void send_json(int fd, cJSON *doc)
{
    char *text = cJSON_PrintUnformatted(doc);
    size_t len, off = 0;
    ssize_t n;

    cJSON_Delete(doc);
    if (text == NULL)
        return;
    len = strlen(text);
    text[len] = '\n'; /* replaces the NUL: the answer is one line */
    while (off <= len && (n = write(fd, text + off, len + 1 - off)) > 0)
        off += (size_t)n;
    free(text);
}

static cJSON *error_doc(const char *code, const char *detail)
{
    cJSON *doc = cJSON_CreateObject();

    cJSON_AddStringToObject(doc, "error", code);
    if (detail != NULL)
        cJSON_AddStringToObject(doc, "detail", detail);
    return doc;
}

/* Read one line (the request); NULL on timeout, EOF or overflow. */
static char *read_request(int fd)
{
    struct timeval tv = {.tv_sec = 1};
    char *buf = malloc(AGENTD_MAX_REQUEST + 1);
    size_t used = 0;
    ssize_t n;

    if (buf == NULL)
        return NULL;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while (used < AGENTD_MAX_REQUEST && (n = read(fd, buf + used, AGENTD_MAX_REQUEST - used)) > 0) {
        used += (size_t)n;
        if (memchr(buf + used - (size_t)n, '\n', (size_t)n) != NULL)
            break;
    }
    if (used == 0 || used >= AGENTD_MAX_REQUEST) {
        free(buf);
        return NULL;
    }
    buf[used] = '\0';
    return buf;
}

/* The answer, or NULL when the client waits for a check run. */
static cJSON *answer(struct agentd *a, int fd, const char *cmd, enum peer_right right)
{
    bool report = strcmp(cmd, "report-now") == 0;

    if (strcmp(cmd, "status") == 0)
        return agentd_status_json(a);
    if (strcmp(cmd, "reload") != 0 && strcmp(cmd, "check-now") != 0 && !report)
        return error_doc("unknown command", cmd);
    if (right != PEER_ALL)
        return error_doc("permission denied", "only root may change the agent");
    if (strcmp(cmd, "reload") == 0) {
        agentd_reload(a);
        return agentd_status_json(a);
    }
    if (!agentd_checks_request(a, fd, report))
        return error_doc("busy", "too many requests are waiting for a check run");
    return NULL;
}

void agentd_control_answer(struct agentd *a, int client_fd)
{
    send_json(client_fd, agentd_status_json(a));
    close(client_fd);
}

/* Serve one client; false when it waits for a check run (fd kept open). */
static bool serve_client(struct agentd *a, int fd)
{
    struct ucred cred;
    enum peer_right right = peer_right(fd, &cred);
    char *req;
    cJSON *doc, *reply;
    const cJSON *cmd;
    struct timeval tv = {.tv_sec = 1};
    bool done = true;

    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (right == PEER_NONE) {
        agentd_log(LOG_NOTICE, "control: refused uid %u (not root, not in group %s)",
                   (unsigned)cred.uid, CONTROL_GROUP);
        send_json(
            fd, error_doc("permission denied", "root or members of group " CONTROL_GROUP " only"));
        return true;
    }
    req = read_request(fd);
    doc = req ? cJSON_Parse(req) : NULL;
    cmd = cJSON_GetObjectItemCaseSensitive(doc, "cmd");
    if (!cJSON_IsString(cmd))
        send_json(fd, error_doc("bad request", "expected one line {\"cmd\":\"status\"}"));
    else if ((reply = answer(a, fd, cmd->valuestring, right)) != NULL)
        send_json(fd, reply);
    else
        done = false;
    cJSON_Delete(doc);
    free(req);
    return done;
}

void agentd_control_accept(struct agentd *a)
{
    int fd;

    while ((fd = accept4(a->control_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
        if (serve_client(a, fd))
            close(fd);
    if (errno != EAGAIN && errno != EWOULDBLOCK)
        agentd_log(LOG_WARNING, "control accept: %s", strerror(errno));
}
