/*
 * mergetally.c - the counts behind `ringscan merge`'s summary (see
 * mergetally.h).
 *
 * Both merges fold many inputs into one and may meet the same probe twice
 * with different answers.  Printing each as it is met would make the
 * merges print; keeping every one would make a merge of two disagreeing
 * class-B scans hold millions of them.  So the first few are kept whole
 * for the CLI to name and the rest are only counted, which is all the
 * summary line needs.
 */
#include "mergetally.h"

void mergetally_add(struct merge_tally *t, enum output_state st)
{
	t->rows++;
	if (st == OUT_OPEN)
		t->open++;
	else if (st == OUT_CLOSED)
		t->closed++;
	else
		t->filtered++;
}

void mergetally_disagree(struct merge_tally *t,
			 const struct merge_disagreement *d)
{
	t->disagree++;
	if (t->shown >= MERGE_MAX_REPORTED)
		return;
	t->named[t->shown++] = *d;
}
