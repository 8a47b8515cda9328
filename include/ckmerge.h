/*
 * ckmerge.h - the checkpoints of the shards of one scan folded into that
 * whole scan, for `ringscan merge`.
 *
 * Checkpoints carry the scan itself: the command line that defined it,
 * its position and its state store.  Shards of one scan share the
 * fingerprint, the probe count and the shard count, and their probe sets
 * are disjoint slices of one seeded permutation, so merging them is
 * folding their stores into one store of the whole space.  Which probes
 * are final is known exactly, so the rows and the reports are exactly
 * what one process scanning the same space would have written.
 *
 * The order of calls, from the merge CLI:
 *   ckmerge_new, then ckmerge_add for each input (the first defines the
 *   scan the others must be shards of);
 *   the CLI rebuilds the scan from ckmerge_argv (cli_scan_load: that is
 *   CLI code, it resolves names and reads -iL files) and hands it to
 *   ckmerge_fold, which checks it is still the same scan and folds;
 *   ckmerge_emit writes the final probes' rows; the store and the status
 *   accessors give the reports and the summary.
 * Never prints; -errno with an rs_error naming the input.  Not on a hot
 * path; single-threaded.
 */
#ifndef RINGSCAN_CKMERGE_H
#define RINGSCAN_CKMERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "mergetally.h"
#include "output.h"
#include "ports.h"
#include "store.h"
#include "targets.h"

struct ckmerge;

/* The scan as the first checkpoint's command line defines it here. */
struct ckmerge_scan {
	const struct targets *targets;
	const struct portlist *ports;
	uint64_t nprobes;
	uint64_t fingerprint;
	uint64_t seed;
	bool sequential;
};

/* Room for n checkpoints; -ENOMEM. */
int ckmerge_new(struct ckmerge **out, int n);
void ckmerge_free(struct ckmerge *m);

/*
 * Parse the checkpoint in buf[0..len) (the caller may free buf after)
 * and add it; path names it in errors and must outlive m.  0; -EINVAL
 * (err->reason) if it is not a valid checkpoint; -EXDEV if it is not a
 * shard of the first checkpoint's scan (targets, ports, seed or shard
 * count differ); -ERANGE if the shard it names does not exist
 * (ckmerge_shard says which it names); -ENOMEM, or another -errno.
 * Every error leaves m as before the call.
 */
int ckmerge_add(struct ckmerge *m, const char *path, const void *buf,
		size_t len, struct rs_error *err);

/* The command line of the first checkpoint (argv[0] included). */
void ckmerge_argv(const struct ckmerge *m, int *argc, char ***argv);

/* Checkpoint i's shard (0-based) and shard count; i may be the last
 * one refused with -ERANGE. */
void ckmerge_shard(const struct ckmerge *m, int i, uint32_t *index,
		   uint32_t *count);

/*
 * Fold every store into one of the whole space, recording in t each
 * probe two checkpoints disagree on.  scan (which must outlive m) is the
 * first checkpoint's command line rebuilt here: -EINVAL with err->token
 * its path when it no longer defines the same scan (a name that resolves
 * elsewhere, a changed -iL file); -ERANGE with err->token the path of a
 * checkpoint whose state page lies outside the space; -ENOMEM.  Once.
 */
int ckmerge_fold(struct ckmerge *m, const struct ckmerge_scan *scan,
		 struct merge_tally *t, struct rs_error *err);

/*
 * Write every final probe's row to out (which filters them by its
 * --states), counting them in t: in (host, port) order when every shard
 * finished, else each shard in its send order.  states is the --states
 * mask: without filtered rows a finished space skips untouched pages and
 * counts the rows left out as filtered.  0, or -EINVAL if the probe order
 * cannot be rebuilt; *write_err gets the first output_result error.
 */
int ckmerge_emit(struct ckmerge *m, struct output *out, unsigned states,
		 struct merge_tally *t, int *write_err);

/* After ckmerge_fold: the merged store; cells final on two sides with
 * different states (store_merge_page's count). */
const struct store *ckmerge_store(const struct ckmerge *m);
uint64_t ckmerge_conflicts(const struct ckmerge *m);

/* The shard count; whether shard s has a finished checkpoint; whether
 * every shard has; the longest run's elapsed time. */
uint32_t ckmerge_shard_count(const struct ckmerge *m);
bool ckmerge_shard_done(const struct ckmerge *m, uint32_t s);
bool ckmerge_complete(const struct ckmerge *m);
uint64_t ckmerge_elapsed_ns(const struct ckmerge *m);

#endif
