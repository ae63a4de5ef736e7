/* t_bundle.c -- policy bundles: a round trip, and refusals that name the key. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"

Test(bundle, round_trip_keeps_policy_and_sets_version)
{
    char *text = mamori_bundle_build(
        "lgwan-市民課", "g7", 1795400000,
        "{\"segment\":\"lgwan\",\"usb\":{\"allow\":[{\"id\":\"0781:5567\",\"label\":\"L-1\"}]}}");
    struct mamori_policy *p = NULL;
    struct mamori_policy_error err;
    char *group = NULL;

    cr_assert_not_null(text);
    cr_assert(strstr(text, "\"type\":\"mamori-policy-bundle\"") != NULL, "%s", text);
    cr_assert_eq(mamori_bundle_parse(text, strlen(text), &p, &group, &err), 0, "%s", err.message);
    cr_assert_str_eq(group, "lgwan-市民課");
    cr_assert_str_eq(p->version, "g7", "the bundle's version is the one in force");
    cr_assert_eq(p->usb.n_allow, 1);
    cr_assert_str_eq(p->usb.allow[0].label, "L-1");
    mamori_policy_free(p);
    free(group);
    free(text);
}

Test(bundle, invalid_policy_inside_is_named)
{
    const char *doc = "{\"schema\":1,\"type\":\"mamori-policy-bundle\",\"group\":\"g\","
                      "\"version\":\"v\",\"policy\":{\"segment\":\"lgwan\","
                      "\"usb\":{\"mode\":\"off\"}}}";
    struct mamori_policy *p = NULL;
    struct mamori_policy_error err;

    cr_assert_eq(mamori_bundle_parse(doc, strlen(doc), &p, NULL, &err), -1);
    cr_assert_null(p);
    cr_assert_str_eq(err.path, "policy.usb.mode");
}

Test(bundle, wrong_type_schema_or_missing_fields)
{
    struct mamori_policy *p = NULL;
    struct mamori_policy_error err;
    const char *docs[][2] = {
        {"{\"schema\":2,\"type\":\"mamori-policy-bundle\",\"group\":\"g\",\"version\":\"v\","
         "\"policy\":{\"segment\":\"lgwan\"}}",
         "schema"},
        {"{\"schema\":1,\"type\":\"mamori-report\",\"group\":\"g\",\"version\":\"v\","
         "\"policy\":{\"segment\":\"lgwan\"}}",
         "type"},
        {"{\"schema\":1,\"type\":\"mamori-policy-bundle\",\"version\":\"v\","
         "\"policy\":{\"segment\":\"lgwan\"}}",
         "group"},
        {"{\"schema\":1,\"type\":\"mamori-policy-bundle\",\"group\":\"g\","
         "\"policy\":{\"segment\":\"lgwan\"}}",
         "version"},
        {"{\"schema\":1,\"type\":\"mamori-policy-bundle\",\"group\":\"g\",\"version\":\"v\"}",
         "policy"},
        {"[]", ""},
    };

    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        cr_assert_eq(mamori_bundle_parse(docs[i][0], strlen(docs[i][0]), &p, NULL, &err), -1, "%s",
                     docs[i][0]);
        cr_assert_str_eq(err.path, docs[i][1], "%s", docs[i][0]);
        cr_assert(err.message[0] != '\0');
    }
}
