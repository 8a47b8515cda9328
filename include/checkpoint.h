/*
 * checkpoint.h - a scan's whole position in one file, for --resume and
 * for merging shards.
 *
 * Because the probe order is a seeded permutation, a scan's position is
 * small: the command line that defined it, how many new probes of this
 * shard were issued (the cursor), the probes that were in flight or waiting
 * for a retry (with their attempt numbers), and the state store's touched
 * pages.  Everything issued before the cursor and not pending is final.
 *
 * Files are written atomically (a temporary file in the same directory,
 * fsync, rename, fsync of the directory), so a crash or kill -9 leaves the
 * previous checkpoint or the new one, never half of either.  The temporary
 * has a random name and is created O_EXCL | O_NOFOLLOW with mode 0600, so
 * in a shared directory nobody can plant a symlink or a file of their own
 * where a root scan will write.  (A kill -9 during a write can leave such
 * a BASE.tmp-* file behind; nothing reads it.)  They end in a
 * CRC-32 (zlib) of everything before it and carry the format number and the
 * ringscan version: a corrupted, truncated or foreign file is refused with
 * a reason and nothing is half-loaded.  A fingerprint of the finalized
 * targets, the ports, the seed and the shard count lets resume refuse a
 * command line that no longer means the same scan (a host name that now
 * resolves elsewhere, an edited -iL file).
 *
 * Not on the hot path: written every few seconds from the scan loop.
 */
#ifndef RINGSCAN_CHECKPOINT_H
#define RINGSCAN_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ports.h"
#include "sched.h"
#include "store.h"
#include "targets.h"

#define CHECKPOINT_FORMAT 1
#define CHECKPOINT_MAX_ARGS 4096
#define CHECKPOINT_MAX_PROBES (1ULL << 40) /* the CLI's scan limit */

struct checkpoint {
	/* what scan this is */
	uint32_t argc;
	char **argv; /* the defining command line, argv[0] included */
	uint64_t fingerprint;
	uint64_t nprobes;
	uint32_t shard_index;
	uint32_t shard_count;
	/* where it is */
	uint64_t issued;
	uint64_t elapsed_ns;
	bool complete;
	uint32_t npending;
	struct sched_probe *pending;
	struct store *store;
};

/*
 * Fingerprint of what defines the probe space and its order (shard index
 * excluded, so shards of one scan share it).
 */
uint64_t checkpoint_fingerprint(const struct targets *t,
				const struct portlist *pl, uint64_t seed,
				uint32_t shard_count);

/* Does buf start like a checkpoint (its magic)?  For telling inputs apart. */
bool checkpoint_looks_like(const void *buf, size_t len);

/* Write c to path atomically.  -errno on I/O failure (path untouched). */
int checkpoint_write(const char *path, const struct checkpoint *c);

/*
 * Parse a checkpoint held in memory.  On success c owns argv, pending and
 * a new store (free with checkpoint_release).  -EINVAL with err->reason
 * for anything malformed, truncated, corrupted or of another version;
 * -ENOMEM.  Never reads outside buf[0..len).
 */
int checkpoint_parse(const uint8_t *buf, size_t len, struct checkpoint *c,
		     struct rs_error *err);

/*
 * Read and parse a file; -errno for I/O errors (err->token = path),
 * -ENODEV if it is not a regular file (fileio.h).
 */
int checkpoint_read(const char *path, struct checkpoint *c,
		    struct rs_error *err);

/* Free what checkpoint_parse/read allocated; c is zeroed. */
void checkpoint_release(struct checkpoint *c);

#endif
