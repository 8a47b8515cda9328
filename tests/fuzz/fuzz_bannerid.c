/*
 * fuzz_bannerid.c - libFuzzer harness for bannerid_identify (bannerid.h)
 * and escape_banner_copy (escape.h), the two readers of what a server
 * sends after connect.
 *
 * The bytes go in as libFuzzer hands them over (no NUL after them), once
 * for each port that changes a decision (FTP's, SMTP's, Redis's, none),
 * and every answer must be a clean record: rc 0 or -ENOENT, each field
 * NUL-terminated inside its array and printable ASCII, all fields empty
 * on -ENOENT.  The escaped banner must be printable, NUL-terminated and
 * inside its buffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bannerid.h"
#include "escape.h"
#include "fuzz.h"

static void check_field(const char *f, size_t size, int rc)
{
	const char *nul = memchr(f, '\0', size);
	const char *c;

	if (!nul || (rc && nul != f))
		abort();
	for (c = f; c < nul; c++)
		if (*c < 0x20 || *c >= 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = { 21, 25, 6379, 0 };
	char esc[128];
	struct bannerid id;
	size_t i, n;

	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		int rc = bannerid_identify(data, size, ports[i], &id);

		if (rc != 0 && rc != -ENOENT)
			abort();
		if ((rc == 0) != (id.service[0] != '\0'))
			abort();
		check_field(id.service, sizeof(id.service), rc);
		check_field(id.product, sizeof(id.product), rc);
		check_field(id.version, sizeof(id.version), rc);
		check_field(id.extrainfo, sizeof(id.extrainfo), rc);
		check_field(id.hostname, sizeof(id.hostname), rc);
		check_field(id.ostype, sizeof(id.ostype), rc);
	}
	n = escape_banner_copy(esc, sizeof(esc), data, size);
	if (n >= sizeof(esc) || strlen(esc) != n)
		abort();
	check_field(esc, sizeof(esc), 0);
	return 0;
}
