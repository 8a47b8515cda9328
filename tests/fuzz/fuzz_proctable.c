/*
 * fuzz_proctable.c - libFuzzer harness for /proc/net/{tcp,tcp6,udp,udp6}
 * text (proctable.h), which `audit --proc-root` reads from a captured
 * copy.
 *
 * Each input is parsed as all four tables, since the protocol and family
 * come from the file's name, not its content: the same bytes must be
 * safe whichever file they were found in.
 */
#include <sys/socket.h>

#include "fuzz.h"
#include "proctable.h"
#include "services.h"

static int count_row(void *ctx, const struct sock_entry *e)
{
	(void)e;
	++*(size_t *)ctx;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int protos[] = { RS_TCP, RS_UDP };
	static const int families[] = { AF_INET, AF_INET6 };
	struct rs_error err = { 0 };
	size_t rows = 0;
	unsigned p, f;

	for (p = 0; p < 2; p++)
		for (f = 0; f < 2; f++)
			proctable_parse((const char *)data, size, protos[p],
					families[f], count_row, &rows, &err);
	return 0;
}
