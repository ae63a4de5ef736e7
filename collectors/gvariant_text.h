/* gvariant_text.h -- the few GVariant text forms dconf keyfiles use for
 * screen-lock keys: booleans ("true"), integers with an optional type
 * annotation ("uint32 300", "int32 5", "300"), and quoted strings.  Anything
 * else is refused, so a typo in a keyfile is reported rather than guessed. */
#ifndef MAMORI_GVARIANT_TEXT_H
#define MAMORI_GVARIANT_TEXT_H

#include <stdbool.h>

/* 0 and *out, or -1 if text is not a GVariant boolean. */
int mamori_gvariant_bool(const char *text, bool *out);

/* 0 and *out (range -2^63..2^63-1 after the type's own range check), or -1. */
int mamori_gvariant_int(const char *text, long long *out);

#endif /* MAMORI_GVARIANT_TEXT_H */
