/*
 * fuzz.h - what the libFuzzer harnesses share.
 *
 * Each harness in tests/fuzz/ feeds one parser of outside input (files,
 * command-line specs, frames from the network) with whatever libFuzzer
 * makes of its seed corpus in tests/fuzz/corpus/NAME/, under ASan and
 * UBSan.  A harness must be deterministic and touch nothing outside the
 * process: no network (targets' host names go to a stub resolver, see
 * fuzz_targets.c), no files but anonymous memfds.  libFuzzer hands over a
 * buffer with no NUL after it, which is exactly what the pure parsers
 * take; the parsers of C strings get a NUL-terminated heap copy, so that
 * ASan still catches a read past the terminator.
 */
#ifndef RINGSCAN_FUZZ_H
#define RINGSCAN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A NUL-terminated copy of data, or NULL if out of memory (the harness
 * then skips the input).  An embedded NUL simply ends the string early,
 * as it would for argv or a line read by the CLI.
 */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return NULL;
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
