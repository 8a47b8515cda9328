/*
 * fuzz_audit_policy.c - libFuzzer harness for --allow specs (audit.h).
 *
 * Each input line is one --allow option (the option repeats); a policy
 * that parses is then asked about a few ports and programs, so the
 * fnmatch patterns it holds are matched too.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "fuzz.h"
#include "services.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = { 1, 22, 53, 8080, 65535 };
	struct audit_policy p = { 0 };
	struct rs_error err = { 0 };
	char *text, *line, *next;
	unsigned i;

	text = fuzz_cstr(data, size);
	if (!text)
		return 0;
	for (line = text; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (audit_policy_add(&p, line, &err))
			goto out_free;
	}
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		audit_policy_allows(&p, RS_TCP, ports[i], "sshd");
		audit_policy_allows(&p, RS_UDP, ports[i], "");
	}
out_free:
	audit_policy_free(&p);
	free(text);
	return 0;
}
