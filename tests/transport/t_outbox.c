/* t_outbox.c -- the agent's side of delivery on a real file system: sealed
 * payloads get consecutive seqs and carry the pending events exactly once;
 * `mamorictl report`'s seal leaves them pending; a full spool drops the
 * oldest and says so in the next report; a refused report becomes an event;
 * the backoff is full jitter under its cap. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "durable_file.h"
#include "event.h"
#include "outbox.h"
#include "report.h"

static char dir[64];
static char err[512];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/t_outbox.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(outbox, .init = make_dir, .fini = remove_dir);

static cJSON *report(void)
{
    struct mamori_report_host host = {.id = "00ff", .hostname = "pc", .segment = "lgwan"};
    return mamori_report_build(&host, 0, 1700000000, "v1", NULL, NULL, 0);
}

static struct mamori_outbox *open_outbox(size_t max_files)
{
    struct mamori_outbox *ob = mamori_outbox_open(dir, max_files, 0, err, sizeof err);
    cr_assert_not_null(ob, "%s", err);
    return ob;
}

static void put(struct mamori_outbox *ob, uint64_t expect_seq)
{
    uint64_t seq = 0;
    cr_assert_eq(mamori_outbox_put(ob, report(), &seq, err, sizeof err), 0, "%s", err);
    cr_assert_eq(seq, expect_seq);
}

static void add_event(struct mamori_outbox *ob, const char *type)
{
    cJSON *ev = mamori_event_new(type, "warning", 1700000000, "ja", "en");
    cr_assert_eq(mamori_outbox_add_event(ob, ev, err, sizeof err), 0, "%s", err);
}

/* The oldest queued payload, parsed. */
static cJSON *oldest(struct mamori_outbox *ob, uint64_t *seq)
{
    struct mamori_outbox_item item;
    cr_assert_eq(mamori_outbox_oldest(ob, &item, err, sizeof err), 0, "%s", err);
    cr_assert_not(item.signed_jws, "the agent spools payloads, the courier signs");
    cJSON *doc = cJSON_Parse(item.data);
    cr_assert_not_null(doc, "%s", item.data);
    *seq = item.seq;
    mamori_outbox_item_free(&item);
    return doc;
}

static int count_events(const cJSON *doc, const char *type)
{
    int n = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, cJSON_GetObjectItem(doc, "events"))
    {
        n += strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(ev, "type")), type) == 0;
    }
    return n;
}

Test(outbox, pending_events_travel_once_in_the_next_report)
{
    struct mamori_outbox *ob = open_outbox(0);
    add_event(ob, MAMORI_EV_USB_BLOCKED);
    add_event(ob, MAMORI_EV_NET_REFUSED);
    put(ob, 1);
    put(ob, 2);
    uint64_t seq = 0;
    cJSON *first = oldest(ob, &seq);
    cr_assert_eq(seq, 1);
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(first, "seq")), 1, "seq sealed in");
    cr_assert_eq(count_events(first, MAMORI_EV_USB_BLOCKED), 1);
    cr_assert_eq(count_events(first, MAMORI_EV_NET_REFUSED), 1);
    cJSON_Delete(first);
    cr_assert_eq(mamori_outbox_ack(ob, 1, err, sizeof err), 0, "%s", err);
    cJSON *second = oldest(ob, &seq);
    cr_assert_eq(seq, 2);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(second, "events")), 0,
                 "events are not sent twice");
    cJSON_Delete(second);
    mamori_outbox_close(ob);
}

Test(outbox, seal_without_spooling_leaves_the_events_pending)
{
    struct mamori_outbox *ob = open_outbox(0);
    add_event(ob, MAMORI_EV_USB_BLOCKED);
    uint64_t seq = 0;
    char *payload = mamori_outbox_seal(ob, report(), &seq, err, sizeof err);
    cr_assert_not_null(payload, "%s", err);
    cr_assert(strstr(payload, MAMORI_EV_USB_BLOCKED), "%s", payload);
    free(payload);
    put(ob, 2); /* the printed report used seq 1 */
    cJSON *doc = oldest(ob, &seq);
    cr_assert_eq(count_events(doc, MAMORI_EV_USB_BLOCKED), 1, "still delivered to the collector");
    cJSON_Delete(doc);
    mamori_outbox_close(ob);
}

Test(outbox, a_full_spool_drops_the_oldest_and_the_next_report_says_so)
{
    struct mamori_outbox *ob = open_outbox(2);
    for (uint64_t i = 1; i <= 4; i++)
        put(ob, i);
    uint64_t seq = 0;
    cJSON *doc = oldest(ob, &seq);
    cr_assert_eq(seq, 3, "reports 1 and 2 were dropped for space");
    cJSON_Delete(doc);
    cr_assert_eq(mamori_outbox_ack(ob, 3, err, sizeof err), 0, "%s", err);
    doc = oldest(ob, &seq);
    cr_assert_eq(seq, 4);
    cr_assert_eq(count_events(doc, MAMORI_EV_SPOOL_DROPPED), 1, "the drop is an event");
    cr_assert_eq(
        cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "spool"), "dropped")), 1,
        "and counted in spool.dropped of the first report sealed after it");
    cJSON_Delete(doc);
    mamori_outbox_close(ob);
}

Test(outbox, a_refused_report_is_set_aside_and_becomes_an_event)
{
    struct mamori_outbox *ob = open_outbox(0);
    put(ob, 1);
    cr_assert_eq(mamori_outbox_reject(ob, 1, err, sizeof err), 0, "%s", err);
    struct mamori_spool_stats st;
    mamori_outbox_stats(ob, &st);
    cr_assert_eq(st.count, 0);
    cr_assert_eq(st.rejected, 1);
    put(ob, 2);
    uint64_t seq = 0;
    cJSON *doc = oldest(ob, &seq);
    cr_assert_eq(count_events(doc, MAMORI_EV_REPORT_REJECTED), 1);
    cJSON_Delete(doc);
    mamori_outbox_close(ob);
}

Test(outbox, backoff_is_full_jitter_and_capped)
{
    for (unsigned f = 0; f < 40; f++) {
        long cap = MAMORI_BACKOFF_BASE_S;
        for (unsigned i = 0; i < f && cap < MAMORI_BACKOFF_MAX_S; i++)
            cap *= 2;
        if (cap > MAMORI_BACKOFF_MAX_S)
            cap = MAMORI_BACKOFF_MAX_S;
        long d = mamori_backoff_delay(f);
        cr_assert(d >= 1 && d <= cap, "failures=%u delay=%ld cap=%ld", f, d, cap);
    }
}
