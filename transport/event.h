/* event.h -- one thing that happened on the PC, as it travels in reports.
 *
 * Enforcement (USB, network), the agent (policy reload, tampering) and the
 * spool (dropped reports) all describe what they did with the same small
 * JSON shape, so the collector can store and filter events without knowing
 * who produced them:
 *
 *   {"type":"usb.blocked", "time":"2026-11-23T05:00:00Z", "severity":"warning",
 *    "summary":{"ja":"...","en":"..."}, "facts":{...}}
 *
 * Producers hand events to a sink; the agent's sink spools them durably. This
 * file has no dependency beyond cJSON so enforce/ can use it without TLS. */
#ifndef MAMORI_EVENT_H
#define MAMORI_EVENT_H

#include <time.h>

#include <cjson/cJSON.h>

/* Event types (stable: the collector and exports key on them). */
#define MAMORI_EV_USB_AUTHORIZED   "usb.authorized"
#define MAMORI_EV_USB_BLOCKED      "usb.blocked"
#define MAMORI_EV_USB_WOULD_BLOCK  "usb.would_block" /* audit mode */
#define MAMORI_EV_USB_ERROR        "usb.error"
#define MAMORI_EV_NET_REFUSED      "net.refused"
#define MAMORI_EV_NET_WOULD_REFUSE "net.would_refuse"
#define MAMORI_EV_NET_ERROR        "net.error"
#define MAMORI_EV_POLICY_LOADED    "policy.loaded"
#define MAMORI_EV_POLICY_REJECTED  "policy.rejected"
#define MAMORI_EV_SPOOL_DROPPED    "spool.dropped"
#define MAMORI_EV_AGENT_STARTED    "agent.started"
#define MAMORI_EV_AGENT_TAMPER     "agent.tamper"
/* The collector forgot this PC (unknown_node) and the agent enrolled it
 * again, or could not (facts: reason, detail); the collector revoked its key. */
#define MAMORI_EV_AGENT_REENROLLED     "agent.reenrolled"
#define MAMORI_EV_AGENT_REENROL_FAILED "agent.reenrol_failed"
#define MAMORI_EV_AGENT_REVOKED        "agent.revoked"

/* The sink takes ownership of event. */
typedef void (*mamori_event_sink_fn)(void *userdata, cJSON *event);

struct mamori_event_sink {
    mamori_event_sink_fn fn;
    void *userdata;
};

/* New event with type, time (UTC, RFC 3339), severity ("info"|"warning"|"error"),
 * both summaries, and an empty "facts" object to fill.  NULL on OOM. */
cJSON *mamori_event_new(const char *type, const char *severity, time_t when, const char *summary_ja,
                        const char *summary_en);

/* The "facts" object of an event. */
cJSON *mamori_event_facts(cJSON *event);

/* Deliver to a sink (frees the event when the sink is NULL). */
void mamori_event_emit(const struct mamori_event_sink *sink, cJSON *event);

/* RFC 3339 UTC ("2026-11-23T05:00:00Z") into buf (at least 21 bytes). */
void mamori_time_rfc3339(time_t t, char *buf, size_t size);

#endif /* MAMORI_EVENT_H */
