/* usb_enforcer.h -- USB storage and network blocking per interface, driven
 * from the agent's epoll loop.
 *
 * Fail-closed by construction: a udev rule (packaging/udev/70-mamori-usb.rules)
 * sets interface_authorized_default=0 on every root hub at boot, so no new
 * interface works until someone authorizes it; the enforcer sets it again at
 * start in case the rule did not run, then only ever *authorizes* what the
 * policy allows -- HID, audio, hubs, smart-card readers at once; storage,
 * still-image/MTP and network interfaces only for registered media.  A dead
 * agent therefore leaves storage out, and the keyboard keeps working because
 * its interface is authorized individually (USBGuard works per device and
 * cannot do this: its issue #67).
 *
 *     e = mamori_usb_enforcer_new(policy, &sink, err, sizeof err);
 *     epoll_ctl(ep, EPOLL_CTL_ADD, mamori_usb_enforcer_fd(e), EPOLLIN);
 *     mamori_usb_enforcer_sweep(e);        // devices present at start
 *     ... EPOLLIN: mamori_usb_enforcer_dispatch(e);
 *     ... reload:  mamori_usb_enforcer_set_policy(e, policy);  (re-judges all)
 *
 * The uevent monitor is opened in _new, before the sweep, so a device
 * plugged during the sweep is still handled when dispatch runs.  In audit
 * mode nothing is blocked: everything is authorized and what would have been
 * blocked is reported as usb.would_block. */
#ifndef MAMORI_USB_ENFORCER_H
#define MAMORI_USB_ENFORCER_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "event.h"
#include "policy.h"

struct mamori_usb_enforcer;

/* policy and sink are borrowed.  NULL with err filled on failure. */
struct mamori_usb_enforcer *mamori_usb_enforcer_new(const struct mamori_policy *policy,
                                                    const struct mamori_event_sink *sink, char *err,
                                                    size_t errlen);
int mamori_usb_enforcer_fd(const struct mamori_usb_enforcer *e);

/* Judge every USB device present.  Returns the number of devices with
 * something blocked (or would-be blocked), -1 if enumeration failed. */
int mamori_usb_enforcer_sweep(struct mamori_usb_enforcer *e);

/* Handle pending uevents without blocking.  Returns devices handled, -1 on error. */
int mamori_usb_enforcer_dispatch(struct mamori_usb_enforcer *e);

/* Swap the policy and re-judge every present device (registrations may
 * have been added, returned or expired). */
void mamori_usb_enforcer_set_policy(struct mamori_usb_enforcer *e,
                                    const struct mamori_policy *policy);

/* {"mode","root_hubs":[{"name","interface_authorized_default"}],"authorized",
 *  "blocked","would_block","errors","last_error"} */
cJSON *mamori_usb_enforcer_state(const struct mamori_usb_enforcer *e);

void mamori_usb_enforcer_free(struct mamori_usb_enforcer *e);

#endif /* MAMORI_USB_ENFORCER_H */
