/* t_agent_usb.c -- the real mamori-agent under a umockdev testbed: a USB stick
 * plugged while the daemon runs is blocked, and the control socket's status
 * shows the usb.blocked event.  The agent is fork/exec'd from here so it
 * inherits the testbed (LD_PRELOAD, UMOCKDEV_DIR); it runs in its own network
 * namespace so its network guard never touches this machine's links. */
#include <criterion/criterion.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "usb_testbed.h"

static UMockdevTestbed *tb;
static char work[] = "/tmp/mamori-agent-usb.XXXXXX";
static char sock_path[100];
static char *root_hub;
static pid_t agent = -1;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static void start_agent(void)
{
    char policy[128], state[128], root[160], build[512];

    snprintf(policy, sizeof(policy), "%s/policy.json", work);
    snprintf(state, sizeof(state), "%s/state", work);
    snprintf(root, sizeof(root), "%s/root", work);
    snprintf(sock_path, sizeof(sock_path), "%.80s/agent.sock", work);
    snprintf(build, sizeof(build), "%s/agent/mamori-agent", getenv("MAMORI_BUILD_DIR"));
    cr_assert_eq(mkdir(root, 0755), 0);
    write_file(policy, "{\"version\": \"usb-1\", \"segment\": \"lgwan\","
                       " \"network\": {\"interfaces\": [{\"name\": \"lo\"}]},"
                       " \"report\": {\"interval_seconds\": 3600,"
                       " \"check_interval_seconds\": 3600}}");
    agent = fork();
    cr_assert_neq(agent, -1);
    if (agent == 0) {
        if (unshare(CLONE_NEWNET) != 0)
            _exit(120);
        execl(build, "mamori-agent", "--foreground", "--policy", policy, "--state-dir", state,
              "--root", root, "--socket", sock_path, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100; i++) {
        struct stat st;

        if (stat(sock_path, &st) == 0)
            return;
        cr_assert_eq(waitpid(agent, NULL, WNOHANG), 0, "mamori-agent exited at start");
        usleep(100 * 1000);
    }
    cr_assert_fail("mamori-agent did not create its socket");
}

/* One {"cmd":"status"} round trip; returns the answer (free()). */
static char *status(void)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    static const char request[] = "{\"cmd\":\"status\"}\n";
    size_t size = 1 << 20, len = 0;
    char *buf = malloc(size);
    ssize_t n;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    cr_assert(buf != NULL && fd >= 0);
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
    cr_assert_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    cr_assert_eq(write(fd, request, sizeof(request) - 1), (ssize_t)sizeof(request) - 1);
    while (len + 1 < size && (n = read(fd, buf + len, size - len - 1)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    close(fd);
    return buf;
}

static void setup(void)
{
    if (geteuid() != 0)
        cr_skip_test("needs root: the agent runs in its own network namespace");
    tb = umockdev_testbed_new();
    cr_assert_not_null(mkdtemp(work));
    root_hub = test_usb_add_root_hub(tb);
    start_agent();
}

static void teardown(void)
{
    char cmd[128];
    int status_code = -1;

    if (agent > 0) {
        kill(agent, SIGTERM);
        waitpid(agent, &status_code, 0);
        cr_expect(WIFEXITED(status_code) && WEXITSTATUS(status_code) == 0,
                  "SIGTERM ends the agent with 0");
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
    cr_expect_eq(system(cmd), 0);
    g_free(root_hub);
    if (tb != NULL)
        g_object_unref(tb);
}

TestSuite(agent_usb, .init = setup, .fini = teardown, .timeout = 60);

Test(agent_usb, plugged_stick_is_blocked_and_shown_in_status)
{
    static const struct test_iface storage[] = {{0x08, 0x06, 0x50}};
    const struct test_usb stick = {.name = "1-1",
                                   .parent = root_hub,
                                   .vid = 0x0781,
                                   .pid = 0x5567,
                                   .serial = "AGENTTEST",
                                   .product = "Stick",
                                   .ifaces = storage,
                                   .n_ifaces = 1,
                                   .create_interface_dirs = 1};
    char *syspath = test_usb_add(tb, &stick);
    char *doc = NULL;

    /* umockdev announces the device before its descriptors are written (a
     * kernel does not); the agent keeps it blocked then.  Unplug and plug it
     * again, complete, as the kernel would. */
    umockdev_testbed_uevent(tb, syspath, "remove");
    umockdev_testbed_uevent(tb, syspath, "add");
    for (int i = 0; i < 50; i++) {
        free(doc);
        doc = status();
        if (strstr(doc, "\"usb.blocked\"") != NULL)
            break;
        usleep(100 * 1000);
    }
    cr_assert_not_null(strstr(doc, "\"usb.blocked\""), "status shows usb.blocked: %.400s", doc);
    cr_assert_not_null(strstr(doc, "0781"), "the event names the device");
    free(doc);
    g_free(syspath);
}
