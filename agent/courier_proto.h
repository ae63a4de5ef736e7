/* courier_proto.h -- what mamori-agent and mamori-courier say to each other.
 *
 * The agent starts the courier (agentd_delivery.c) with a socketpair as its
 * stdin and stdout, and three files it opened itself as root:
 *
 *   fd 3  <state>/device.key   fd 4  <state>/device.crt   fd 5  <state>/ca.crt
 *
 * so the courier, running as an unprivileged user, needs no right to open
 * anything in the root-only state directory.  Then one JSON object per
 * line, each way, strictly alternating:
 *
 *   agent   {"server":"https://collector:8443","proxy":"http://proxy:3128"}
 *           (first line; "proxy" only when the policy names one)
 *   agent   {"seq":12,"payload":"<report JSON>"}   or  {"seq":12,"jws":"<JWS>"}
 *   courier {"seq":12,"outcome":"stored"}           accepted or duplicate
 *           {"seq":12,"outcome":"stored","policy_bundle":"b-..."}
 *                   ... and the collector names the central policy version
 *                   for this PC (docs/central-policy.md)
 *           {"seq":12,"outcome":"refused","error":"..."}   a replay
 *           {"seq":12,"outcome":"retry","error":"..."}     try later
 *           {"seq":12,"outcome":"unknown_node","error":"..."}  the collector
 *                 does not know this PC: the agent keeps the report and
 *                 enrols again (agentd_reenrol.c)
 *           {"seq":12,"outcome":"revoked","error":"..."}  the collector
 *                 revoked this PC's key: kept, never re-enrolled
 *
 *   agent   {"fetch":"policy","have":"<version in force>"}
 *           instead of the next report, when the named version is new to it
 *   courier {"fetch":"policy","outcome":"fetched","jws":"<signed bundle>"}
 *           {"fetch":"policy","outcome":"none"}   the collector holds none
 *           {"fetch":"policy","outcome":"retry","error":"..."}
 *
 * The agent sends the next report after each "stored" or "refused", and
 * closes its end when the spool is empty or after any other answer; the
 * courier exits at end of input.  A courier that dies, says anything else, or does
 * not answer within COURIER_ANSWER_SECONDS counts as a "retry".
 *
 * Growing it: both sides ignore members they do not know, so an answer may
 * carry more of what the collector said (e.g. the policy bundle version an
 * acknowledgement names), and a new request kind gets its own member
 * instead of "seq".  The courier writes nothing to disk: whatever it
 * fetches comes back on this socket, and the agent checks it (nettle) and
 * stores it. */
#ifndef MAMORI_COURIER_PROTO_H
#define MAMORI_COURIER_PROTO_H

#define COURIER_FD_KEY  3
#define COURIER_FD_CERT 4
#define COURIER_FD_CA   5

/* Longest line either side accepts: a report (spool events are capped at
 * 1 MiB) escaped as a JSON string, with room to spare. */
#define COURIER_MAX_LINE (8 * 1024 * 1024)
/* Longest PEM file the courier reads from fds 3-5. */
#define COURIER_MAX_PEM (64 * 1024)
/* One POST takes at most MAMORI_HTTPS_TOTAL_TIMEOUT_S (30 s); signing is
 * instant.  Past this the agent kills the courier. */
#define COURIER_ANSWER_SECONDS 90

#define COURIER_STORED       "stored"
#define COURIER_REFUSED      "refused"
#define COURIER_RETRY        "retry"
#define COURIER_FETCHED      "fetched"
#define COURIER_NONE         "none"
#define COURIER_UNKNOWN_NODE "unknown_node"
#define COURIER_REVOKED      "revoked"

#endif /* MAMORI_COURIER_PROTO_H */
