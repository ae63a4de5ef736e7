/* registry.c -- every posture check mamori runs, in the order people see them.
 *
 * A check is added by defining its descriptor in its concern's file and
 * listing it here.  IDs are stable contracts (reports, exports and tests key
 * on them; DESIGN.md lists them), so a check is never renamed, only added. */
#include "check.h"

extern const struct mamori_check mamori_check_usb_storage_blocked;
extern const struct mamori_check mamori_check_net_only_approved;
extern const struct mamori_check mamori_check_agent_integrity;
extern const struct mamori_check mamori_check_av_resident;
extern const struct mamori_check mamori_check_av_pattern_fresh;
extern const struct mamori_check mamori_check_screenlock_enabled;
extern const struct mamori_check mamori_check_screenlock_idle_timeout;
extern const struct mamori_check mamori_check_screenlock_locked_down;
extern const struct mamori_check mamori_check_passwords_browser_store_disabled;
extern const struct mamori_check mamori_check_passwords_no_saved_logins;
extern const struct mamori_check mamori_check_login_no_autologin;

const struct mamori_check *const mamori_checks[] = {
    &mamori_check_usb_storage_blocked,
    &mamori_check_av_resident,
    &mamori_check_av_pattern_fresh,
    &mamori_check_screenlock_enabled,
    &mamori_check_screenlock_idle_timeout,
    &mamori_check_screenlock_locked_down,
    &mamori_check_passwords_browser_store_disabled,
    &mamori_check_passwords_no_saved_logins,
    &mamori_check_login_no_autologin,
    &mamori_check_net_only_approved,
    &mamori_check_agent_integrity,
    NULL,
};
