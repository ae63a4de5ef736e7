/* dconf_system.h -- the system-wide dconf settings a user session starts with.
 *
 * Reads the profile /etc/dconf/profile/user ("user-db:user", "system-db:NAME"
 * lines), then for each system database its keyfiles /etc/dconf/db/NAME.d/ *
 * ([org/gnome/desktop/session] idle-delay=uint32 300) and locks
 * (/etc/dconf/db/NAME.d/locks/ *: one key path per line).  dconf only uses the
 * compiled /etc/dconf/db/NAME, so a keyfile newer than it (or no compiled file
 * at all) means "dconf update" was not run and the setting is not in force. */
#ifndef MAMORI_DCONF_SYSTEM_H
#define MAMORI_DCONF_SYSTEM_H

#include <cjson/cJSON.h>

#include "check.h"

struct mamori_dconf_system {
    cJSON *values;    /* object: "/org/gnome/desktop/session/idle-delay" -> "uint32 300" */
    cJSON *locks;     /* object: locked key path -> true */
    cJSON *databases; /* array of system database names from the profile */
    cJSON *stale;     /* array of database names whose compiled file is missing or older */
    char error[384];  /* first unreadable/malformed file, "" if none */
};

/* Load everything below ctx->root.  Never fails as a whole: problems land in
 * error.  Free with mamori_dconf_system_free(). */
void mamori_dconf_system_load(const struct mamori_check_ctx *ctx, struct mamori_dconf_system *d);
void mamori_dconf_system_free(struct mamori_dconf_system *d);

/* Keyfile value text for a key path, or NULL when no system database sets it. */
const char *mamori_dconf_system_value(const struct mamori_dconf_system *d, const char *key);
bool mamori_dconf_system_locked(const struct mamori_dconf_system *d, const char *key);

#endif /* MAMORI_DCONF_SYSTEM_H */
