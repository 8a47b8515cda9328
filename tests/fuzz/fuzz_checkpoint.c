/*
 * fuzz_checkpoint.c - libFuzzer harness for checkpoint files as they are
 * on disk (checkpoint.h): raw bytes into checkpoint_parse.
 *
 * Nearly every mutation breaks the CRC, so this harness mostly proves
 * that the framing (magic, length, checksum) holds against anything;
 * fuzz_checkpoint_crc.c reaches the field parser behind it.
 */
#include "checkpoint.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_error err = { 0 };
	struct checkpoint c;

	checkpoint_looks_like(data, size);
	if (!checkpoint_parse(data, size, &c, &err))
		checkpoint_release(&c);
	return 0;
}
