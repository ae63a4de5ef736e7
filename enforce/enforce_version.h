/* enforce_version.h -- version of the enforcement library (see enforce_version.c). */
#ifndef MAMORI_ENFORCE_VERSION_H
#define MAMORI_ENFORCE_VERSION_H

const char *mamori_enforce_version(void);

#endif
