/* fuzz_ingest.c -- the collector's report document validator.
 *
 * After a JWS signature checks out, ingest hands the payload to
 * mamori_report_parse(); an enrolled but compromised (or buggy) agent
 * controls those bytes entirely, so the parser must reject anything
 * malformed without crashing or leaking.  The parse runs in the arena
 * (json_arena.c) as in the collector. */
#include <stddef.h>
#include <stdint.h>

#include "json_arena.h"
#include "report_doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int hooks_installed;
    struct mamori_report r;
    char err[256];
    if (!hooks_installed) {
        mamori_json_arena_install();
        hooks_installed = 1;
    }
    if (mamori_report_parse((const char *)data, size, &r, err, sizeof(err)) == 0) {
        time_t t;
        (void)mamori_rfc3339_parse(r.hostname, &t);
        mamori_report_free(&r);
    }
    return 0;
}
