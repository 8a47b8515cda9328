/*
 * audit_baseline.h - a previous audit's output, read back as --baseline.
 *
 * What listened then, as (protocol, port, program): audit_build compares it
 * with what listens now, and calls a listener new since the baseline (or
 * held by another program) unexpected and one gone since disappeared.  The
 * baseline is any output the audit writes: its text table, its -oC CSV or
 * its -oJ JSON lines, told apart by their first line.  CSV and JSON are
 * read by resultfile.h's parser (one CSV and one JSON reader for every
 * file ringscan reads back), the text table here.  Parsing names the bad
 * line and token in an rs_error; nothing is printed.  Not on a hot path.
 */
#ifndef RINGSCAN_AUDIT_BASELINE_H
#define RINGSCAN_AUDIT_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit_policy.h" /* AUDIT_PROGRAM_LEN */
#include "error.h"

/* The audit's CSV header (the report writes it; baselines read it). */
#define AUDIT_CSV_HEADER \
	"port,proto,state,service,address,program,pid,user,verdict,evidence,reason"

struct audit_base_entry {
	uint16_t port;
	uint8_t proto;
	char program[AUDIT_PROGRAM_LEN]; /* "" if the baseline had none */
};

/* --baseline: zero-initialize; active once loaded. */
struct audit_baseline {
	struct audit_base_entry *v;
	size_t n, cap;
	bool active;
};

/*
 * Parse a previous audit's output: the text table, its CSV or its JSON
 * lines (told apart by their first line).  Rows with verdict disappeared
 * are not part of the baseline.  0, -EINVAL (err->line set) or -ENOMEM.
 */
int audit_baseline_parse(const char *buf, size_t len, struct audit_baseline *b,
			 struct rs_error *err);
/* Read and parse a file; -errno if unreadable (err->token = path). */
int audit_baseline_load(const char *path, struct audit_baseline *b,
			struct rs_error *err);
void audit_baseline_free(struct audit_baseline *b);

/* The entry for (proto, port), or NULL (also for NULL or inactive base). */
const struct audit_base_entry *
audit_baseline_find(const struct audit_baseline *base, unsigned proto,
		    uint16_t port);

#endif
