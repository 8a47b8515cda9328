/*
 * audit_output.h - writing the audit's verdicts: the text table, -oC CSV
 * and -oJ JSON lines.
 *
 * The table has one row per port - PORT STATE SERVICE ADDRESS PROGRAM PID
 * USER VERDICT EVIDENCE - then a note per row that has a reason, then a
 * summary line; CSV has the columns of AUDIT_CSV_HEADER (audit_baseline.h),
 * JSON lines the same fields with port and pid as numbers.  Any of the
 * three, read back, is a --baseline.  Called by the CLI once the verdicts
 * are final; writes to the stream it is given and nothing else.
 */
#ifndef RINGSCAN_AUDIT_OUTPUT_H
#define RINGSCAN_AUDIT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "audit.h"
#include "audit_gather.h"
#include "ports.h"
#include "services.h"

/* The table, under title, with secs in its summary.  0 or -errno. */
int audit_output_text(FILE *f, const struct audit_report *rep,
		      const struct services *svc, const char *title,
		      double secs);

/* CSV (json false) or JSON lines.  0 or -errno (of the flush). */
int audit_output_rows(FILE *f, bool json, const struct audit_report *rep,
		      const struct services *svc);

/* "ringscan V audit of this host (ADDRESSES), TCP+UDP 1-65535". */
void audit_output_title(char *buf, size_t len,
			const struct audit_addrs addrs[2], bool remote,
			bool udp, const struct portlist *pl);

#endif
