/*
 * mergetally.h - what both merges (rowmerge.h, ckmerge.h) count for the
 * summary line of `ringscan merge`: rows by state, and the probes on which
 * two inputs disagree.
 *
 * Disagreements are kept, not printed: the first MERGE_MAX_REPORTED of them
 * whole (address, port, the two answers, the input that lost), the rest
 * only counted, so that the CLI can name a few and total the others however
 * many millions there are.  A plain value; no allocation.  Not on a hot
 * path.
 */
#ifndef RINGSCAN_MERGETALLY_H
#define RINGSCAN_MERGETALLY_H

#include <stdint.h>

#include "addr.h"
#include "output.h"

/* Disagreements named one per line before the rest are only counted. */
#define MERGE_MAX_REPORTED 20

struct merge_disagreement {
	struct rs_addr addr;
	uint16_t port;
	enum rs_proto proto;
	enum output_state kept; /* the earlier input's answer */
	enum output_state other; /* the later input's answer, dropped */
	uint32_t input; /* the later input: its index in the merge */
};

struct merge_tally {
	uint64_t rows;
	uint64_t open;
	uint64_t closed;
	uint64_t filtered; /* unreachable included */
	uint64_t disagree; /* all of them; the first `shown` are in `named` */
	uint64_t shown;
	struct merge_disagreement named[MERGE_MAX_REPORTED];
};

/* Count one row of state st. */
void mergetally_add(struct merge_tally *t, enum output_state st);

/* Count a disagreement; keep it if fewer than MERGE_MAX_REPORTED are. */
void mergetally_disagree(struct merge_tally *t,
			 const struct merge_disagreement *d);

#endif
