/* agentd_log.c -- logging for mamori-agent and mamori-courier: syslog
 * (facility daemon, which the journal collects) or stderr with
 * --foreground.  Messages name the file, key or device concerned; keys,
 * secrets and report bodies are never logged. */
#include "agentd.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

static bool log_to_stderr;
static const char *log_ident = "mamori-agent";

void agentd_log_open(const char *ident, bool to_stderr)
{
    log_ident = ident;
    log_to_stderr = to_stderr;
    if (!to_stderr)
        openlog(ident, LOG_PID, LOG_DAEMON);
}

void agentd_log(int priority, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (log_to_stderr) {
        static const char *const names[] = {"emerg",   "alert",  "crit", "error",
                                            "warning", "notice", "info", "debug"};

        fprintf(stderr, "%s: %s: ", log_ident, names[priority & 7]);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    } else {
        vsyslog(priority, fmt, ap);
    }
    va_end(ap);
}
