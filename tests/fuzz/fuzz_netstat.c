/*
 * fuzz_netstat.c - libFuzzer harness for netstat and ss captures
 * (netstat.h), which `audit --netstat` reads from a host that may be
 * compromised: the most hostile text ringscan parses.
 *
 * Every row handed to the callback must carry a NUL-terminated program
 * name and a line number inside the capture.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "netstat.h"

static int check_row(void *ctx, const struct netstat_entry *e)
{
	size_t size = *(const size_t *)ctx;

	if (!memchr(e->program, '\0', sizeof(e->program)) || !e->line ||
	    e->line > size)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_error err = { 0 };

	netstat_parse((const char *)data, size, check_row, &size, &err);
	return 0;
}
