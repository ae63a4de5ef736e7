/* fuzz_net_routes.c -- the /proc/net/route and ipv6_route parser on arbitrary bytes.
 *
 * The first byte picks the table (odd = IPv6); every reported interface name
 * must be a NUL-terminated string shorter than IF_NAMESIZE. */
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net_proc_routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *ifname, void *arg)
{
    (void)arg;
    if (strnlen(ifname, IF_NAMESIZE) >= IF_NAMESIZE)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    mamori_net_proc_default_routes((const char *)data + 1, size - 1, data[0] & 1, check_name, NULL);
    return 0;
}
