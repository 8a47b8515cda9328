/*
 * fuzz_ports.c - libFuzzer harness for -p (ports.h).
 *
 * The spec is parsed against a small services table loaded once from a
 * memfd, so that names and "http*" patterns reach services_port and
 * services_match, not just the numeric paths.  An accepted list must be
 * what ports.h promises: sorted, without duplicates or port 0, and every
 * port found again by ports_index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "ports.h"
#include "services.h"

static const char services_text[] = "ssh\t\t22/tcp\n"
				    "smtp\t\t25/tcp\t\tmail\n"
				    "domain\t\t53/tcp\n"
				    "domain\t\t53/udp\n"
				    "http\t\t80/tcp\t\twww\n"
				    "https\t\t443/tcp\n"
				    "http-alt\t8080/tcp\twebcache\n";

static struct services *svc;
static struct portlist pl; /* 128 KiB: not on the stack */

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[64];
	int fd;

	(void)argc;
	(void)argv;
	fd = memfd_create("services", 0);
	if (fd < 0 || write(fd, services_text, sizeof(services_text) - 1) !=
			      (ssize_t)sizeof(services_text) - 1)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (services_load(&svc, path))
		abort();
	close(fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_error err = { 0 };
	uint32_t i, idx;
	char *spec;

	spec = fuzz_cstr(data, size);
	if (!spec)
		return 0;
	if (!ports_parse(spec, svc, &pl, &err)) {
		if (pl.count > 65535)
			abort();
		for (i = 0; i < pl.count; i++) {
			if (!pl.port[i] || (i && pl.port[i] <= pl.port[i - 1]))
				abort();
			if (ports_index(&pl, pl.port[i], &idx) || idx != i)
				abort();
		}
	}
	free(spec);
	return 0;
}
