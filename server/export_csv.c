/* export_csv.c -- the 自己点検 / 監査 evidence table as CSV for Excel.
 *
 * UTF-8 with a BOM (Excel otherwise guesses Shift_JIS and garbles Japanese),
 * CRLF line ends and RFC 4180 quoting.  A cell starting with = + - @ (or a
 * tab/CR) would be run as a formula by a spreadsheet; such cells get a
 * leading apostrophe (CSV injection). */
#include "fleet.h"

#include <string.h>

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

void mamori_csv_cell(FILE *out, const char *v, int last)
{
    int quote = strpbrk(v, ",\"\r\n") != NULL;
    int neutralize = strchr("=+-@\t\r", v[0]) != NULL && v[0] != '\0';
    if (quote || neutralize)
        fputc('"', out);
    if (neutralize)
        fputc('\'', out);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    if (quote || neutralize)
        fputc('"', out);
    fputs(last ? "\r\n" : ",", out);
}

/* Every check id seen in the fleet, in first-seen order. */
static cJSON *check_ids(const cJSON *hosts)
{
    cJSON *ids = cJSON_CreateArray();
    const cJSON *h, *c, *known;
    cJSON_ArrayForEach(h, hosts)
    {
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(h, "checks"))
        {
            int seen = 0;
            cJSON_ArrayForEach(known, ids)
            {
                seen |= strcmp(known->valuestring, str(c, "id")) == 0;
            }
            if (!seen)
                cJSON_AddItemToArray(ids, cJSON_CreateString(str(c, "id")));
        }
    }
    return ids;
}

static const cJSON *find_check(const cJSON *host, const char *id)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(host, "checks"))
    {
        if (strcmp(str(c, "id"), id) == 0)
            return c;
    }
    return NULL;
}

static void header(FILE *out, const cJSON *ids)
{
    const cJSON *id;
    char name[160];
    mamori_csv_cell(out, "host", 0);
    mamori_csv_cell(out, "hostname", 0);
    mamori_csv_cell(out, "department", 0);
    mamori_csv_cell(out, "segment", 0);
    cJSON_ArrayForEach(id, ids)
    {
        mamori_csv_cell(out, id->valuestring, 0);
        snprintf(name, sizeof(name), "%s since", id->valuestring);
        mamori_csv_cell(out, name, 0);
    }
    mamori_csv_cell(out, "last report", 1);
}

static void row(FILE *out, const cJSON *host, const cJSON *ids)
{
    const cJSON *id;
    const cJSON *seen = cJSON_GetObjectItem(host, "last_seen");
    mamori_csv_cell(out, str(host, "id"), 0);
    mamori_csv_cell(out, str(host, "hostname"), 0);
    mamori_csv_cell(out, str(host, "department"), 0);
    mamori_csv_cell(out, str(host, "segment"), 0);
    cJSON_ArrayForEach(id, ids)
    {
        const cJSON *c = find_check(host, id->valuestring);
        mamori_csv_cell(out, c ? str(c, "verdict") : "", 0);
        mamori_csv_cell(out, c ? str(c, "since") : "", 0);
    }
    mamori_csv_cell(out, cJSON_IsString(seen) ? seen->valuestring : "", 1);
}

int mamori_export_csv(FILE *out, const cJSON *hosts)
{
    cJSON *ids = check_ids(hosts);
    const cJSON *h;
    fputs("\xEF\xBB\xBF", out);
    header(out, ids);
    cJSON_ArrayForEach(h, hosts)
    {
        row(out, h, ids);
    }
    cJSON_Delete(ids);
    return ferror(out) ? -1 : 0;
}
