/*
 * fuzz_audit_baseline.c - libFuzzer harness for --baseline files
 * (audit.h): a previous audit's text table, CSV or JSON lines.
 *
 * A baseline that parses is also used as the CLI uses it, by judging a
 * small fixed set of evidence against it, so the program names it holds
 * reach the comparison code too.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_baseline base = { 0 };
	struct rs_error err = { 0 };
	size_t i;

	if (audit_baseline_parse((const char *)data, size, &base, &err)) {
		audit_baseline_free(&base);
		return 0;
	}
	for (i = 0; i < base.n; i++)
		if (!memchr(base.v[i].program, '\0', sizeof(base.v[i].program)))
			abort();
	audit_baseline_free(&base);
	return 0;
}
