/* net_proc_routes.h -- default routes from the kernel's /proc/net route tables.
 *
 * The posture check net.only_approved reads /proc/net/route and
 * /proc/net/ipv6_route below a root (fixture trees, or a copied system), so
 * their text is untrusted input: this parser takes a buffer, never trusts a
 * field width, and is fuzzed (tests/fuzz/fuzz_net_routes.c). */
#ifndef MAMORI_NET_PROC_ROUTES_H
#define MAMORI_NET_PROC_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

/* Called once per usable default route (RTF_UP, not a reject route) with the
 * interface name it leaves through. */
typedef void (*mamori_net_route_fn)(const char *ifname, void *arg);

/* Parse the text of /proc/net/route (ipv6 false) or /proc/net/ipv6_route
 * (ipv6 true), len bytes (need not be NUL-terminated).  Malformed lines are
 * skipped.  Returns the number of default routes found. */
int mamori_net_proc_default_routes(const char *text, size_t len, bool ipv6, mamori_net_route_fn fn,
                                   void *arg);

#endif /* MAMORI_NET_PROC_ROUTES_H */
