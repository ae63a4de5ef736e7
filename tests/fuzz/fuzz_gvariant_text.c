/* fuzz_gvariant_text.c -- a dconf keyfile through the INI reader, every value
 * through the GVariant text parsers, as the screen-lock check reads them. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gvariant_text.h"
#include "ini_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int value(void *arg, const char *section, const char *key, const char *text)
{
    bool b;
    long long n;
    (void)arg;
    (void)section;
    (void)key;
    if (mamori_gvariant_int(text, &n) == 0 && mamori_gvariant_bool(text, &b) == 0)
        __builtin_trap(); /* a value is never both */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[128];
    (void)mamori_ini_parse((const char *)data, size, value, NULL, err, sizeof(err));
    return 0;
}
