/* cli_text.h -- how mamorictl speaks to people: language, colour, labels.
 *
 * Program text goes through gettext (msgids in English, po/ja.po); check
 * results carry their own ja/en text, and cli_lang_ja() picks which one to
 * show so both follow the same locale.  Colour only on a terminal, never when
 * NO_COLOR is set (https://no-color.org). */
#ifndef MAMORI_CLI_TEXT_H
#define MAMORI_CLI_TEXT_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>
#include <libintl.h>

#define _(s)  gettext(s)
#define N_(s) (s)

/* setlocale + bindtextdomain; MAMORI_LOCALEDIR may be overridden by the
 * environment variable of the same name (tests, running from the build tree). */
void cli_text_init(void);

/* True when messages should be Japanese (LC_MESSAGES is ja_*). */
bool cli_lang_ja(void);

/* The ja or en member of a {"ja":..,"en":..} object, "" when absent. */
const char *cli_pick(const cJSON *bilingual);

/* Colour escape for a verdict name ("pass", "fail", ...), "" without colour. */
const char *cli_colour(FILE *out, const char *verdict);
const char *cli_colour_reset(FILE *out);

/* Localized short label for a verdict name: 合格 / PASS ... */
const char *cli_verdict_label(const char *verdict);

/* Localized segment name: マイナンバー利用事務系 / My Number segment ... */
const char *cli_segment_label(const char *segment);

#endif
