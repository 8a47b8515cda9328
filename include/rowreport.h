/*
 * rowreport.h - the scan an nmap-style report (-oN/-oX/-oG) needs, rebuilt
 * from merged rows (rowmerge.h).
 *
 * The report writers (output_finish) take targets, ports and a state
 * store: a state for every port of every host.  Rows have that only if the
 * scans wrote every state, so a report is built only when the rows fill
 * their rectangle - every host seen x every port seen - and refused
 * otherwise: a missing row must not quietly become "filtered".
 *
 * Called by the merge CLI after rowmerge_dedup.  Never prints; not on a
 * hot path.
 */
#ifndef RINGSCAN_ROWREPORT_H
#define RINGSCAN_ROWREPORT_H

#include <stdint.h>

#include "error.h"
#include "ports.h"
#include "rowmerge.h"
#include "store.h"
#include "targets.h"

/* What output_report needs; a plain value, freed by rowreport_free. */
struct rowreport {
	struct targets *targets;
	struct portlist *ports;
	struct store *store;
};

/* The rectangle the rows were measured against (for the CLI's message). */
struct rowreport_shape {
	uint64_t rows;
	uint64_t hosts;
	uint32_t ports;
	uint64_t cells; /* hosts x ports */
};

/*
 * Build r from the deduplicated rows of rm.  0; -EINVAL with err->reason
 * the whole sentence when the rows hold UDP results (no report carries
 * them yet) or no rows at all, or with err->token a host and err->reason
 * why targets refused it; -ERANGE when the rows do not fill their
 * rectangle: *shape says how far, err->reason what to do instead;
 * -ENOMEM.  On failure r holds nothing (rowreport_free is still safe).
 */
int rowreport_build(struct rowreport *r, const struct rowmerge *rm,
		    struct rowreport_shape *shape, struct rs_error *err);

void rowreport_free(struct rowreport *r);

#endif
