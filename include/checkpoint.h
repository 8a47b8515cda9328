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
#include <sys/stat.h>
#include <sys/types.h>

#include "error.h"
#include "ports.h"
#include "scheduler.h"
#include "store.h"
#include "targets.h"

#define CHECKPOINT_FORMAT 2 /* 2: the reasons of unreachables */
#define CHECKPOINT_MAX_ARGS 4096
#define CHECKPOINT_MAX_ARGV_BYTES (16u << 20) /* Linux allows far less */
#define CHECKPOINT_MAX_PROBES (1ULL << 40) /* the CLI's scan limit */
/*
 * Pending probes are the engine's slots in flight plus a full retry heap
 * (2 x slots): 3 x the CLI's largest --concurrency (1000000), rounded up.
 */
#define CHECKPOINT_MAX_PENDING (4u << 20)
#define CHECKPOINT_MAX_ATTEMPT 100 /* the CLI's largest --retries */
/* Ten years of scanning: far from where adding a run's time wraps. */
#define CHECKPOINT_MAX_ELAPSED_NS (10ULL * 366 * 86400 * 1000000000)

/* checkpoint_read flags */
#define CHECKPOINT_OWNED (1u << 0) /* apply checkpoint_check_owner */

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

/*
 * Write c to path atomically.  -errno on I/O failure (path untouched);
 * -E2BIG if argv or the pending list exceed what the reader accepts;
 * -ENODEV (-EISDIR) if path is a device, FIFO or socket (a directory),
 * which the rename would replace.
 */
int checkpoint_write(const char *path, const struct checkpoint *c);

/*
 * The largest file a scan of nprobes probes with issued of them issued can
 * write (every page of its store, the most pending probes and command line
 * the reader accepts); 0 for a space over CHECKPOINT_MAX_PROBES.  The
 * reader refuses a larger file before reading it.
 */
uint64_t checkpoint_size_max(uint64_t nprobes, uint64_t issued);

/*
 * May the process running as euid believe the checkpoint whose fstat is
 * st?  Only if euid owns it and neither group nor others may write it:
 * a checkpoint is a command line - targets, ports, output and -iL paths,
 * -sS and its interface - that --resume runs with the resumer's
 * privileges, and its CRC authenticates nothing.  0, or -EPERM with
 * err->reason saying why and what to do (--trust-checkpoint overrides).
 */
int checkpoint_check_owner(const struct stat *st, uid_t euid,
			   struct rs_error *err);

/*
 * Parse a checkpoint held in memory.  On success c owns argv, pending and
 * a new store (free with checkpoint_release).  -EINVAL with err->reason
 * for anything malformed, truncated, corrupted or of another version, and
 * for fields that cannot all be true of the scan it records (a probe
 * pending twice, more issued than the shard holds, more answers than
 * issued, an impossible elapsed time, pages out of order); -ENOMEM.
 * Never reads outside buf[0..len).
 */
int checkpoint_parse(const uint8_t *buf, size_t len, struct checkpoint *c,
		     struct rs_error *err);

/*
 * Read and parse a file; -errno for I/O errors (err->token = path),
 * -ENODEV if it is not a regular file (fileio.h), -EPERM (err->reason set)
 * if flags has CHECKPOINT_OWNED and checkpoint_check_owner refuses it,
 * -EINVAL (err->reason set) for a file larger than checkpoint_size_max of
 * the scan its header records - refused before it is read - or as
 * checkpoint_parse.
 */
int checkpoint_read(const char *path, unsigned flags, struct checkpoint *c,
		    struct rs_error *err);

/* Free what checkpoint_parse/read allocated; c is zeroed. */
void checkpoint_release(struct checkpoint *c);

#endif
