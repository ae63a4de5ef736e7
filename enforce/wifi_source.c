/* wifi_source.c -- what every Wi-Fi source shares: its description for
 * `mamorictl status` and the net.only_approved evidence (wifi_source.h). */
#include "wifi_source.h"

#define CONNS_MAX 8

cJSON *mamori_wifi_source_describe(const struct mamori_wifi_source *src)
{
    struct mamori_wifi_conn conns[CONNS_MAX];
    cJSON *o = src->ops->describe(src), *arr;
    int n;

    if (o == NULL || (arr = cJSON_AddArrayToObject(o, "connections")) == NULL)
        return o;
    n = src->ops->connections(src, conns, CONNS_MAX);
    for (int i = 0; i < n; i++) {
        cJSON *c = cJSON_CreateObject();

        cJSON_AddStringToObject(c, "interface", conns[i].ifname);
        cJSON_AddStringToObject(c, "ssid", conns[i].ssid);
        cJSON_AddStringToObject(c, "security", mamori_wifi_security_name(conns[i].security));
        cJSON_AddItemToArray(arr, c);
    }
    return o;
}
