/* ini_file.h -- reader for the INI-like files desktops and display managers use.
 *
 * GDM (daemon.conf, custom.conf), LightDM, SDDM, KDE's kscreenlockerrc and
 * dconf's system keyfiles all share one shape: "[section]" headers,
 * "key=value" lines, '#' or ';' comments.  The reader hands every key to a
 * callback with its section; it never interprets values (that is the
 * concern's job: GVariant text for dconf, booleans for GDM, ...). */
#ifndef MAMORI_INI_FILE_H
#define MAMORI_INI_FILE_H

#include <stddef.h>

/* Called for each "key=value"; section is "" before the first header.  Key and
 * value are trimmed.  Return 0 to go on, non-zero to stop (returned as is). */
typedef int (*mamori_ini_fn)(void *arg, const char *section, const char *key, const char *value);

/* Parse text[0..len).  Returns 0, the callback's non-zero value, or -1 on a
 * malformed line (unterminated header, line without '=', NUL byte) with the
 * reason and line number in err. */
int mamori_ini_parse(const char *text, size_t len, mamori_ini_fn fn, void *arg, char *err,
                     size_t err_size);

/* GKeyFile/Qt-style boolean: true/false, yes/no, on/off, 1/0 (case-insensitive).
 * Returns 1 true, 0 false, -1 not a boolean. */
int mamori_ini_bool(const char *value);

#endif /* MAMORI_INI_FILE_H */
