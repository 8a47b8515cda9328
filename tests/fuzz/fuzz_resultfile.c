/*
 * fuzz_resultfile.c - libFuzzer harness for result files read back by
 * `ringscan merge` (resultfile.h): CSV and JSON lines, told apart by the
 * parser itself.
 *
 * The parser promises never to read past len and to fill a row only with
 * values output.c could have written, so every row is checked for a
 * known family, a NUL-terminated reason and a sane rtt.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "resultfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_error err = { 0 };
	struct resultfile_row row;
	struct resultfile rf;
	int ret;

	if (resultfile_begin(&rf, data, size, &err))
		return 0;
	while ((ret = resultfile_next(&rf, &row, &err)) == 1) {
		if ((row.addr.family != AF_INET &&
		     row.addr.family != AF_INET6) ||
		    !memchr(row.reason, '\0', sizeof(row.reason)) ||
		    row.rtt_us < -1)
			abort();
	}
	return 0;
}
