/*
 * fuzz_checkpoint_crc.c - libFuzzer harness for the checkpoint field
 * parser (checkpoint.h), behind the checksum.
 *
 * A CRC is no authentication: whoever can edit a checkpoint can fix its
 * checksum, so every field must survive hostile values on its own.  The
 * input is a checkpoint without its last four bytes (the seeds in
 * corpus/checkpoint_crc/ are real checkpoints cut so); the harness
 * appends the CRC-32 that makes it valid, so every mutation reaches the
 * field checks.  A checkpoint it accepts is then held to the limits
 * checkpoint.h promises, since --resume trusts them.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "checkpoint.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_error err = { 0 };
	struct checkpoint c;
	uint32_t crc;
	uint8_t *buf;

	/* zlib's crc32 takes a 32-bit length; libFuzzer inputs are small. */
	if (size > UINT32_MAX - 4)
		return 0;
	buf = malloc(size + 4);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	crc = (uint32_t)crc32(crc32(0, Z_NULL, 0), data, (uInt)size);
	buf[size] = (uint8_t)crc;
	buf[size + 1] = (uint8_t)(crc >> 8);
	buf[size + 2] = (uint8_t)(crc >> 16);
	buf[size + 3] = (uint8_t)(crc >> 24);
	if (!checkpoint_parse(buf, size + 4, &c, &err)) {
		/* What the reader promises of every checkpoint it accepts. */
		if (c.npending > CHECKPOINT_MAX_PENDING ||
		    c.argc > CHECKPOINT_MAX_ARGS ||
		    c.nprobes > CHECKPOINT_MAX_PROBES ||
		    c.elapsed_ns > CHECKPOINT_MAX_ELAPSED_NS ||
		    c.npending > c.issued || !c.shard_count ||
		    c.shard_index >= c.shard_count)
			abort();
		checkpoint_release(&c);
	}
	free(buf);
	return 0;
}
