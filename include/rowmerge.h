/*
 * rowmerge.h - the union of the rows of several CSV (-oC) and JSON-lines
 * (-oJ) files, for `ringscan merge`.
 *
 * Rows carry answers but not the scan that asked: they merge into their
 * union, deduplicated by (host, port, proto), with the first input's
 * answer kept where two disagree (each disagreement goes into a
 * merge_tally for the CLI to name).  Host names travel with the rows;
 * after the merge every row of an address carries the first name any of
 * them had.  The report a merge of rows can make is rowreport.h's.
 *
 * Owned by the merge CLI, which loads each input with rowmerge_load, then
 * calls rowmerge_dedup once and reads the rows back in (host, port, proto)
 * order.  Never prints; errors are -errno with an rs_error naming the
 * line.  Not on a hot path; single-threaded.
 */
#ifndef RINGSCAN_ROWMERGE_H
#define RINGSCAN_ROWMERGE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "mergetally.h"
#include "output.h"

/* Distinct reason words kept; ringscan writes a dozen. */
#define ROWMERGE_MAX_REASONS 1024

struct rowmerge;

/* An empty merge; -ENOMEM. */
int rowmerge_new(struct rowmerge **out);
void rowmerge_free(struct rowmerge *rm);

/*
 * Every row of buf[0..len), input number `input` (the index the CLI
 * names it by), into rm.  A file that does not end with a line end and
 * fails to parse only on its last line was cut by a kill mid-write: that
 * line is dropped and *cut_line says which it was (0: nothing dropped).
 * 0; -EINVAL with err->line, err->token and err->reason (resultfile.h);
 * -E2BIG with err->line and err->reason (more than ROWMERGE_MAX_REASONS
 * reason words: not a ringscan file); -ENOMEM.  On error rm keeps the
 * rows of the earlier inputs only.
 */
int rowmerge_load(struct rowmerge *rm, const char *buf, size_t len,
		  uint32_t input, unsigned long *cut_line,
		  struct rs_error *err);

/*
 * Sort by (host, port, proto), keep the first input's row of each probe
 * and record in t every later row whose state differs; then give every
 * row of an address the first name one of them had.  Once, after every
 * load.
 */
void rowmerge_dedup(struct rowmerge *rm, struct merge_tally *t);

size_t rowmerge_count(const struct rowmerge *rm);

/*
 * Row i (< rowmerge_count) as the output writers take it; its pointers
 * point into rm and live as long as it.
 */
void rowmerge_row(const struct rowmerge *rm, size_t i, struct output_result *r);

#endif
