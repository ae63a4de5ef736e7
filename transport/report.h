/* report.h -- the report document and its persistent sequence number.
 *
 * A report is what one PC tells the collector at one moment: who it is, its
 * posture (checks), what happened since the last report (events) and how
 * many reports the spool had to drop.  docs/report-schema.md is the
 * normative description; this file builds exactly that shape.
 *
 * Checks travel compactly (schema 2): id, verdict, evidence, and the
 * one-line detail only when the verdict is not a pass.  Titles, remediation
 * and clause are not repeated in every report: the report names the check
 * catalogue version (collectors/catalogue.h) and the collector links the same
 * catalogue.  This keeps a typical signed report under 4 KiB.
 *
 * seq is monotonic per host across restarts and crashes: the next value is
 * written durably *before* it is used, so a crash can skip a number but
 * never reuse one (the collector treats a reused seq as a replay). */
#ifndef MAMORI_REPORT_H
#define MAMORI_REPORT_H

#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#define MAMORI_REPORT_SCHEMA 2
#define MAMORI_SEQ_FILE      "seq"
#define MAMORI_HOST_ID_LEN   64 /* hex SHA-256 */

struct mamori_report_host {
    const char *id; /* hex SHA-256 of machine-id (device_key.h) */
    const char *hostname;
    const char *segment; /* mynumber | lgwan | internet */
    const char *department;
    const char *municipality;
};

/* Reserve the next sequence number in <state_dir>/seq (first is 1).
 * 0 on success; -1 with a message naming the file (unreadable, corrupt or
 * not writable: never guess, a wrong seq would be rejected as a replay). */
int mamori_seq_next(const char *state_dir, uint64_t *seq, char *err, size_t errlen);

/* Last reserved sequence number (0 when none yet); -1 on error. */
int mamori_seq_peek(const char *state_dir, uint64_t *seq, char *err, size_t errlen);

/* Host id into out (MAMORI_HOST_ID_LEN + 1 bytes).  override, when non-NULL,
 * is used as is (simulated agents) and must be 1..64 lowercase hex digits;
 * otherwise SHA-256 of <root>/etc/machine-id with trailing whitespace removed,
 * so the raw machine-id (which some software treats as a secret) is never
 * sent.  0 on success, -1 with a message in err. */
int mamori_host_id(const char *root, const char *override, char *out, size_t outlen, char *err,
                   size_t errlen);

/* Build the report.  Takes ownership of checks and events (JSON arrays; NULL
 * means empty).  checks may be in the full shape of mamori_check_result_json
 * (collectors/check.h); they are made compact (see above).  NULL on OOM. */
cJSON *mamori_report_build(const struct mamori_report_host *host, uint64_t seq, time_t when,
                           const char *policy_version, cJSON *checks, cJSON *events,
                           uint64_t dropped);

#endif /* MAMORI_REPORT_H */
