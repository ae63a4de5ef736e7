/* fuzz_ini_file.c -- the INI reader used for GDM, LightDM, SDDM, KDE and dconf
 * keyfiles on arbitrary bytes; the callback checks every key is trimmed and
 * NUL-terminated. */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ini_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_key(void *arg, const char *section, const char *key, const char *value)
{
    (void)arg;
    (void)section;
    if (key[0] == '\0' || isspace((unsigned char)key[strlen(key) - 1]))
        __builtin_trap();
    (void)mamori_ini_bool(value);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[128];
    (void)mamori_ini_parse((const char *)data, size, check_key, NULL, err, sizeof(err));
    return 0;
}
