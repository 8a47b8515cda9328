/*
 * fuzz_services.c - libFuzzer harness for the services file parser
 * (services.h), which reads /etc/services or whatever file it is given.
 *
 * services_load only takes a path, so each input is written to a memfd
 * and loaded through /proc/self/fd/N (a regular file, as fileio wants).
 * The loaded tables are then read back every way the CLI reads them:
 * names by port, ports by name, and patterns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "services.h"

static void count_port(uint16_t port, void *ctx)
{
	(void)port;
	++*(unsigned *)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t probe[] = { 0, 1, 22, 53, 80, 443, 65535 };
	struct services *s;
	char path[64];
	unsigned i, n = 0;
	uint16_t port;
	int fd;

	fd = memfd_create("services", 0);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size)
		goto out_close;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (services_load(&s, path))
		goto out_close;
	for (i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		/* Never NULL: the output code prints it as is. */
		if (!services_name(s, RS_TCP, probe[i]) ||
		    !services_name(s, RS_UDP, probe[i]))
			abort();
	}
	services_port(s, RS_TCP, "http", &port);
	services_port(s, RS_UDP, "domain", &port);
	if (services_match(s, RS_TCP, "*", count_port, &n) != n)
		abort();
	services_free(s);
out_close:
	close(fd);
	return 0;
}
