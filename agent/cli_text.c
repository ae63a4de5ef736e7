/* cli_text.c -- language and colour choices for mamorictl (see cli_text.h). */
#include "cli_text.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_text_init(void)
{
    const char *dir = getenv("MAMORI_LOCALEDIR");

    setlocale(LC_ALL, "");
    bindtextdomain("mamori", dir && dir[0] ? dir : MAMORI_LOCALEDIR);
    bind_textdomain_codeset("mamori", "UTF-8");
    textdomain("mamori");
}

bool cli_lang_ja(void)
{
    const char *loc = setlocale(LC_MESSAGES, NULL);

    return loc != NULL && strncmp(loc, "ja", 2) == 0;
}

const char *cli_pick(const cJSON *bilingual)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(bilingual, cli_lang_ja() ? "ja" : "en");

    if (!cJSON_IsString(s) || s->valuestring[0] == '\0')
        s = cJSON_GetObjectItemCaseSensitive(bilingual, "en");
    return cJSON_IsString(s) ? s->valuestring : "";
}

static bool colour_wanted(FILE *out)
{
    const char *no = getenv("NO_COLOR");

    return (no == NULL || no[0] == '\0') && isatty(fileno(out));
}

const char *cli_colour(FILE *out, const char *verdict)
{
    if (!colour_wanted(out))
        return "";
    if (strcmp(verdict, "pass") == 0)
        return "\033[32m";
    if (strcmp(verdict, "fail") == 0)
        return "\033[1;31m";
    if (strcmp(verdict, "error") == 0)
        return "\033[1;33m";
    return "\033[2m";
}

const char *cli_colour_reset(FILE *out)
{
    return colour_wanted(out) ? "\033[0m" : "";
}

const char *cli_verdict_label(const char *verdict)
{
    if (strcmp(verdict, "pass") == 0)
        return _("PASS");
    if (strcmp(verdict, "fail") == 0)
        return _("FAIL");
    if (strcmp(verdict, "error") == 0)
        return _("ERROR");
    return _("N/A");
}

const char *cli_segment_label(const char *segment)
{
    if (strcmp(segment, "mynumber") == 0)
        return _("My Number segment");
    if (strcmp(segment, "lgwan") == 0)
        return _("LGWAN segment");
    if (strcmp(segment, "internet") == 0)
        return _("Internet segment");
    return segment;
}
