/* ledger_cli.c -- `mamori-server usb import-ledger|ledger`: the registered
 * media ledger (外部記録媒体管理台帳) on the collector.
 *
 *   usb import-ledger FILE.csv [--encoding auto|utf8|cp932] [--dry-run]
 *   usb ledger [--json]
 *
 * The CSV is the one the municipality keeps in Excel (UTF-8, or Shift_JIS /
 * CP932 as Excel's "CSV" saves it; auto-detected unless --encoding says).
 * The whole file is checked first (policy/ledger.c): one bad cell names its
 * line and column and nothing is imported.  A good file replaces the
 * previous ledger in one transaction, so PCs see either the old ledger or
 * the new one, never half of it. */
#include "policy_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "durable_file.h"
#include "ledger.h"
#include "policy_store.h"
#include "report_doc.h"

static int parse_encoding(const char *name, enum mamori_ledger_encoding *out)
{
    if (name == NULL || strcmp(name, "auto") == 0)
        *out = MAMORI_LEDGER_AUTO;
    else if (strcmp(name, "utf8") == 0 || strcmp(name, "utf-8") == 0)
        *out = MAMORI_LEDGER_UTF8;
    else if (strcmp(name, "cp932") == 0 || strcmp(name, "sjis") == 0 ||
             strcmp(name, "shift_jis") == 0)
        *out = MAMORI_LEDGER_CP932;
    else
        return -1;
    return 0;
}

static const char *encoding_name(enum mamori_ledger_encoding e)
{
    return e == MAMORI_LEDGER_CP932 ? "cp932" : "utf8";
}

/* What the import will do, per state and per 所属. */
static void print_summary(const struct mamori_ledger *l, const char *file)
{
    size_t per_state[4] = {0}, no_department = 0;

    for (size_t i = 0; i < l->n; i++) {
        if ((unsigned)l->entries[i].state < 4)
            per_state[l->entries[i].state]++;
        if (l->entries[i].department == NULL)
            no_department++;
    }
    printf(_("%s: %zu media (%s): in use %zu, returned %zu, disposed %zu, lost %zu\n"), file, l->n,
           encoding_name(l->encoding), per_state[MAMORI_MEDIUM_IN_USE],
           per_state[MAMORI_MEDIUM_RETURNED], per_state[MAMORI_MEDIUM_DISPOSED],
           per_state[MAMORI_MEDIUM_LOST]);
    if (no_department > 0)
        printf(_("WARNING: %zu media have no department (所属): no PC will accept them\n"),
               no_department);
}

static int import_ledger(struct mamori_server *s, const struct pcli *c)
{
    enum mamori_ledger_encoding enc;
    struct mamori_ledger l = {0};
    struct mamori_ledger_error err;
    char msg[800], hash[MAMORI_SHA256_HEX_SIZE];
    size_t len = 0;
    char *data;
    int rc;

    if (c->nargs != 1 || parse_encoding(c->encoding, &enc) != 0) {
        fprintf(stderr, _("usage: mamori-server usb import-ledger FILE.csv"
                          " [--encoding auto|utf8|cp932] [--dry-run]\n"));
        return 2;
    }
    data = mamori_read_file(c->args[0], MAMORI_LEDGER_MAX_BYTES, &len);
    if (data == NULL) {
        fprintf(stderr, _("mamori-server usb import-ledger: %s: cannot read: %m\n"), c->args[0]);
        return 2;
    }
    rc = mamori_ledger_parse(data, len, enc, &l, &err);
    mamori_sha256_hex(data, len, hash);
    free(data);
    if (rc != 0) {
        mamori_ledger_error_format(&err, c->args[0], msg, sizeof(msg));
        fprintf(stderr, _("mamori-server usb import-ledger: nothing imported: %s\n"), msg);
        return 2;
    }
    print_summary(&l, c->args[0]);
    if (c->dry_run) {
        printf(_("--dry-run: the ledger was checked, nothing was imported\n"));
        rc = 0;
    } else if (mamori_pstore_ledger_replace(s->store, &l, c->args[0], hash,
                                            encoding_name(l.encoding), time(NULL)) != 0) {
        fprintf(stderr, _("mamori-server usb import-ledger: storage error: nothing imported\n"));
        rc = 1;
    } else {
        printf(_("imported: the ledger replaces the previous one; PCs receive it with their next"
                 " report\n"));
    }
    mamori_ledger_free(&l);
    return rc;
}

static const char *state_label(const char *state, const char *until)
{
    time_t t;

    if (strcmp(state, "in_use") == 0 && until[0] && mamori_rfc3339_parse(until, &t) == 0 &&
        time(NULL) > t)
        return _("in use, expired");
    if (strcmp(state, "in_use") == 0)
        return _("in use");
    if (strcmp(state, "returned") == 0)
        return _("returned");
    if (strcmp(state, "disposed") == 0)
        return _("disposed");
    return strcmp(state, "lost") == 0 ? _("lost") : state;
}

static int show_ledger(struct mamori_server *s, const struct pcli *c)
{
    cJSON *media = mamori_pstore_ledger(s->store),
          *last = mamori_pstore_ledger_last_import(s->store);
    cJSON *m, *doc;

    if (media == NULL) {
        cJSON_Delete(last);
        return 1;
    }
    if (c->json) {
        doc = cJSON_CreateObject();
        cJSON_AddItemToObject(doc, "last_import", last ? last : cJSON_CreateNull());
        cJSON_AddItemToObject(doc, "media", media);
        mamori_pcli_print_json(doc);
        cJSON_Delete(doc);
        return 0;
    }
    if (last != NULL)
        printf(_("last import: %s from %s (%d media)\n"), mamori_pcli_str(last, "imported"),
               mamori_pcli_str(last, "file"), cJSON_GetObjectItem(last, "media")->valueint);
    else
        printf(_("no ledger imported yet\n"));
    cJSON_ArrayForEach(m, media)
    {
        const char *until = mamori_pcli_str(m, "until");

        printf("  %-16s %-16s %s %-22s %-20s %s\n", mamori_pcli_str(m, "number"),
               mamori_pcli_str(m, "department"), mamori_pcli_str(m, "id"),
               mamori_pcli_str(m, "serial")[0] ? mamori_pcli_str(m, "serial") : "-",
               until[0] ? until : "-", state_label(mamori_pcli_str(m, "state"), until));
    }
    cJSON_Delete(media);
    cJSON_Delete(last);
    return 0;
}

int mamori_pcli_usb(struct mamori_server *s, const struct pcli *c)
{
    if (strcmp(c->what, "import-ledger") == 0)
        return import_ledger(s, c);
    if (strcmp(c->what, "ledger") == 0)
        return show_ledger(s, c);
    fprintf(stderr, _("usage: mamori-server usb import-ledger FILE.csv"
                      " [--encoding auto|utf8|cp932] [--dry-run]\n"
                      "       mamori-server usb ledger [--json]\n"));
    return 2;
}
