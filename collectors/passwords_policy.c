/* passwords_policy.c -- check passwords.browser_store_disabled: installed
 * browsers are told by enterprise policy not to save passwords.
 *
 * Chrome, Chromium and Edge read every *.json in their managed policy folder
 * (merged); PasswordManagerEnabled must be false there.  Firefox reads
 * policies.json from /etc/firefox/policies and from the install's
 * distribution/ folder; both PasswordManagerEnabled and OfferToSaveLogins
 * must be false.  A key set to false in one file and true in another is a
 * conflict the browser may resolve either way, so it fails.  Browsers are
 * judged only when their binary is installed. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define POLICY_FILE_MAX (1024 * 1024)

struct browser {
    const char *name;
    const char *binaries[3]; /* any present = installed */
    const char *managed_dir; /* Chromium family: folder of *.json */
    const char *firefox_files[3];
    const char *keys[2]; /* must all be false */
};

static const struct browser browsers[] = {
    {"chrome",
     {"/opt/google/chrome/chrome"},
     "/etc/opt/chrome/policies/managed",
     {NULL},
     {"PasswordManagerEnabled"}},
    {"chromium",
     {"/usr/lib/chromium/chromium", "/usr/bin/chromium"},
     "/etc/chromium/policies/managed",
     {NULL},
     {"PasswordManagerEnabled"}},
    {"edge",
     {"/opt/microsoft/msedge/msedge"},
     "/etc/opt/edge/policies/managed",
     {NULL},
     {"PasswordManagerEnabled"}},
    {"firefox",
     {"/usr/lib/firefox/firefox", "/usr/lib/firefox-esr/firefox-esr"},
     NULL,
     {"/etc/firefox/policies/policies.json", "/usr/lib/firefox/distribution/policies.json",
      "/usr/lib/firefox-esr/distribution/policies.json"},
     {"PasswordManagerEnabled", "OfferToSaveLogins"}},
};

/* Per key: 0 unset, 1 false everywhere it is set, 2 true somewhere. */
struct browser_state {
    int key_state[2];
    cJSON *files;
    char error[PATH_MAX + 64];
};

static bool installed(const struct mamori_check_ctx *ctx, const struct browser *b)
{
    for (size_t i = 0; i < 3 && b->binaries[i] != NULL; i++)
        if (mamori_root_exists(ctx, b->binaries[i]))
            return true;
    return false;
}

/* Fold one policy file into the state; Firefox nests under "policies". */
static void read_policy_file(const struct mamori_check_ctx *ctx, const struct browser *b,
                             const char *abs, struct browser_state *st)
{
    char *data = NULL;
    size_t len;

    if (mamori_root_read(ctx, abs, POLICY_FILE_MAX, &data, &len) != 0)
        return;
    cJSON *doc = cJSON_ParseWithLength(data, len);
    free(data);
    const cJSON *policies = doc;
    if (b->managed_dir == NULL)
        policies = cJSON_GetObjectItemCaseSensitive(doc, "policies");
    if (!cJSON_IsObject(policies)) {
        if (st->error[0] == '\0')
            snprintf(st->error, sizeof(st->error), "%s: %s", abs,
                     doc == NULL ? "not valid JSON" : "no policies object");
        cJSON_Delete(doc);
        return;
    }
    cJSON_AddItemToArray(st->files, cJSON_CreateString(abs));
    for (size_t k = 0; k < 2 && b->keys[k] != NULL; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(policies, b->keys[k]);
        if (cJSON_IsFalse(v) && st->key_state[k] == 0)
            st->key_state[k] = 1;
        else if (v != NULL && !cJSON_IsFalse(v))
            st->key_state[k] = 2;
    }
    cJSON_Delete(doc);
}

static void read_managed_dir(const struct mamori_check_ctx *ctx, const struct browser *b,
                             struct browser_state *st)
{
    char path[PATH_MAX];
    struct dirent **names = NULL;

    if (mamori_root_path(ctx, b->managed_dir, path, sizeof(path)) != 0)
        return;
    int n = scandir(path, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        size_t nl = strlen(name);
        char abs[PATH_MAX];
        if (name[0] != '.' && nl > 5 && strcmp(name + nl - 5, ".json") == 0 &&
            snprintf(abs, sizeof(abs), "%s/%s", b->managed_dir, name) < (int)sizeof(abs))
            read_policy_file(ctx, b, abs, st);
        free(names[i]);
    }
    free(names);
}

/* Judge one browser; returns true when it complies.  Adds its evidence. */
static bool judge_browser(const struct mamori_check_ctx *ctx, const struct browser *b,
                          cJSON *evidence, char *error, size_t error_size)
{
    struct browser_state st = {.files = cJSON_CreateArray()};
    bool ok = true;

    if (b->managed_dir != NULL)
        read_managed_dir(ctx, b, &st);
    for (size_t i = 0; i < 3 && b->firefox_files[i] != NULL; i++)
        read_policy_file(ctx, b, b->firefox_files[i], &st);

    cJSON *e = cJSON_AddObjectToObject(evidence, b->name);
    cJSON_AddItemToObject(e, "policy_files", st.files);
    for (size_t k = 0; k < 2 && b->keys[k] != NULL; k++) {
        static const char *const names[] = {"unset", "false", "true"};
        cJSON_AddStringToObject(e, b->keys[k], names[st.key_state[k]]);
        ok = ok && st.key_state[k] == 1;
    }
    if (st.error[0] != '\0' && error[0] == '\0')
        snprintf(error, error_size, "%s", st.error);
    return ok;
}

static void run_browser_store_disabled(const struct mamori_check_ctx *ctx,
                                       struct mamori_check_result *result)
{
    char error[PATH_MAX + 64] = "", failing[128] = "";
    size_t n_installed = 0;

    if (!ctx->policy->passwords.forbid_browser_store) {
        mamori_check_set(result, MAMORI_NOT_APPLICABLE, "ポリシーで求められていません",
                         "not required by the policy");
        return;
    }
    cJSON *installed_list = cJSON_AddArrayToObject(result->evidence, "browsers");
    cJSON *per = cJSON_AddObjectToObject(result->evidence, "per_browser");
    for (size_t i = 0; i < sizeof(browsers) / sizeof(browsers[0]); i++) {
        if (!installed(ctx, &browsers[i]))
            continue;
        n_installed++;
        cJSON_AddItemToArray(installed_list, cJSON_CreateString(browsers[i].name));
        if (!judge_browser(ctx, &browsers[i], per, error, sizeof(error))) {
            size_t used = strlen(failing);
            snprintf(failing + used, sizeof(failing) - used, "%s%s", used ? ", " : "",
                     browsers[i].name);
        }
    }
    if (n_installed == 0)
        mamori_check_set(result, MAMORI_NOT_APPLICABLE,
                         "対象のブラウザはインストールされていません",
                         "no supported browser is installed");
    else if (error[0] != '\0')
        mamori_check_set(result, MAMORI_ERROR, "ブラウザのポリシーを読めません: %s",
                         "cannot read a browser policy: %s", error);
    else if (failing[0] != '\0')
        mamori_check_set(result, MAMORI_FAIL, "パスワード保存がポリシーで禁止されていません: %s",
                         "saving passwords is not disabled by policy in: %s", failing);
    else
        mamori_check_set(result, MAMORI_PASS, "すべてのブラウザでパスワード保存が禁止されています",
                         "every installed browser has password saving disabled by policy");
}

const struct mamori_check mamori_check_passwords_browser_store_disabled = {
    .id = "passwords.browser_store_disabled",
    .run = run_browser_store_disabled,
};
