/* ctl_transport.h -- mamorictl report, queue and enroll (signed reports and
 * their delivery; implementation in transport/). */
#ifndef MAMORI_CTL_TRANSPORT_H
#define MAMORI_CTL_TRANSPORT_H

/* mamorictl report [--key FILE] [--root DIR] [--policy FILE | --segment NAME]
 *                  [--state-dir DIR] [--host-id HEX]: print one signed report. */
int mamori_ctl_report(int argc, char **argv);

/* mamorictl queue [--json] [--state-dir DIR]: the reports waiting to be sent. */
int mamori_ctl_queue(int argc, char **argv);

/* mamorictl enroll --server URL --secret-file FILE [--state-dir DIR]
 *                  (--ca-file FILE | --ca-fingerprint sha256:HEX) ... */
int mamori_ctl_enroll(int argc, char **argv);

#endif
