/* net_proc_routes.c -- find default routes in /proc/net/route and ipv6_route text.
 *
 * /proc/net/route: "Iface Destination Gateway Flags RefCnt Use Metric Mask ..."
 * with addresses in hex; a default route has destination and mask 0.
 * /proc/net/ipv6_route: "dst plen src splen nexthop metric refcnt use flags ifname"
 * in hex; a default route has dst :: and prefix length 0.  The kernel also
 * lists an unreachable ::/0 on lo with RTF_REJECT, which is no route out. */
#include "net_proc_routes.h"

#include <net/if.h>
#include <stdio.h>
#include <string.h>

#define RTF_UP_FLAG     0x0001
#define RTF_REJECT_FLAG 0x0200
#define LINE_MAX_BYTES  512 /* real lines are < 160 bytes; longer ones are not routes */

static bool ipv4_default(const char *line, char *ifname)
{
    unsigned long dst, gw, flags, mask;
    unsigned refcnt, use, metric;

    /* The header line fails the %lx conversion and is skipped with the rest. */
    return sscanf(line, "%15s %lx %lx %lx %u %u %u %lx", ifname, &dst, &gw, &flags, &refcnt, &use,
                  &metric, &mask) == 8 &&
           dst == 0 && mask == 0 && (flags & RTF_UP_FLAG);
}

static bool ipv6_default(const char *line, char *ifname)
{
    char dst[33], src[33], nexthop[33];
    unsigned plen, splen, metric, refcnt, use, flags;

    return sscanf(line, "%32s %x %32s %x %32s %x %x %x %x %15s", dst, &plen, src, &splen, nexthop,
                  &metric, &refcnt, &use, &flags, ifname) == 10 &&
           plen == 0 && strlen(dst) == 32 && strspn(dst, "0") == 32 && (flags & RTF_UP_FLAG) &&
           !(flags & RTF_REJECT_FLAG);
}

int mamori_net_proc_default_routes(const char *text, size_t len, bool ipv6, mamori_net_route_fn fn,
                                   void *arg)
{
    char line[LINE_MAX_BYTES], ifname[IF_NAMESIZE];
    size_t pos = 0;
    int found = 0;

    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

        if (n < sizeof(line)) {
            memcpy(line, text + pos, n);
            line[n] = '\0';
            if (ipv6 ? ipv6_default(line, ifname) : ipv4_default(line, ifname)) {
                fn(ifname, arg);
                found++;
            }
        }
        pos += n + 1;
    }
    return found;
}
