/*
 * fuzz_targets.c - libFuzzer harness for the target specifications
 * (targets.h): the tokens of the command line, -iL and --exclude.
 *
 * The input is a list file, one spec per line; a line that starts with
 * '!' is an --exclude list instead (comma-separated).  Then the set is
 * finalized and walked at both ends and back through targets_index, the
 * hot path's lookups, which must agree with each other for any set the
 * parser accepted.
 *
 * Host names would go to DNS: a fuzzer must not send a packet, and a
 * resolver's timeouts would make it crawl.  The Makefile links this
 * harness with -Wl,--wrap=getaddrinfo, so targets.c's calls land in
 * __wrap_getaddrinfo below: "localhost" resolves to 127.0.0.1 (the path
 * that copies a resolved address is still exercised), anything else is
 * EAI_NONAME.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "targets.h"

int __wrap_getaddrinfo(const char *node, const char *service,
		       const struct addrinfo *hints, struct addrinfo **res);
void __wrap_freeaddrinfo(struct addrinfo *ai);

struct fake_ai {
	struct addrinfo ai;
	struct sockaddr_in sin;
};

int __wrap_getaddrinfo(const char *node, const char *service,
		       const struct addrinfo *hints, struct addrinfo **res)
{
	struct fake_ai *f;

	(void)service;
	(void)hints;
	if (!node || strcmp(node, "localhost"))
		return EAI_NONAME;
	f = calloc(1, sizeof(*f));
	if (!f)
		return EAI_MEMORY;
	f->sin.sin_family = AF_INET;
	f->sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->ai.ai_family = AF_INET;
	f->ai.ai_socktype = SOCK_STREAM;
	f->ai.ai_addr = (struct sockaddr *)&f->sin;
	f->ai.ai_addrlen = sizeof(f->sin);
	*res = &f->ai;
	return 0;
}

/* ai is the first member of the fake_ai it came from. */
void __wrap_freeaddrinfo(struct addrinfo *ai)
{
	free(ai);
}

static void check_lookup(const struct targets *t, uint64_t idx)
{
	struct rs_addr a;
	uint64_t back;

	targets_get(t, idx, &a);
	if (targets_index(t, &a, &back) || back != idx)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_error err;
	struct targets *t;
	char *text, *line, *next;
	uint64_t n;

	text = fuzz_cstr(data, size);
	if (!text)
		return 0;
	if (targets_new(&t))
		goto out_text;
	for (line = text; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!line[0])
			continue;
		memset(&err, 0, sizeof(err));
		if (line[0] == '!') {
			if (targets_exclude(t, line + 1, &err))
				goto out_free;
		} else if (targets_add(t, line, &err)) {
			goto out_free;
		}
	}
	if (targets_finalize(t))
		goto out_free;
	n = targets_count(t);
	if (n) {
		check_lookup(t, 0);
		check_lookup(t, n / 2);
		check_lookup(t, n - 1);
	}
out_free:
	targets_free(t);
out_text:
	free(text);
	return 0;
}
