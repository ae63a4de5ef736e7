/* utf8.h -- strict UTF-8 validation for text people edit (policies, ledgers).
 * Overlong forms, surrogates and code points past U+10FFFF are invalid. */
#ifndef MAMORI_UTF8_H
#define MAMORI_UTF8_H

#include <stddef.h>

/* Offset of the first invalid sequence, or len when all of s is valid. */
size_t mamori_utf8_invalid_at(const unsigned char *s, size_t len);

#endif
