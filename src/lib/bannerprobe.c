/*
 * bannerprobe.c - the HTTP probe and the port kinds of --banners (see
 * bannerprobe.h).
 *
 * The HTTP ports are those where nothing speaks first and HTTP is what
 * answers in practice (nmap-services' http, http-alt, http-proxy and the
 * common development servers); on every other port the engine waits for a
 * greeting first and sends the request only after a silence, so a port in
 * this table only saves that wait.  The TLS ports are named so that a TLS
 * prober can take them; until one exists they are treated as speaks-first.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bannerprobe.h"

static const uint16_t http_ports[] = { 80,   81,   591,	 2375, 3000, 5000,
				       5601, 7001, 8000, 8008, 8080, 8081,
				       8088, 8888, 9000, 9090, 9200 };
static const uint16_t tls_ports[] = { 443, 465, 636, 853, 993, 995, 8443 };

static int in_table(const uint16_t *t, size_t n, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (t[i] == port)
			return 1;
	return 0;
}

enum bannerprobe_kind bannerprobe_kind(uint16_t port)
{
	if (in_table(http_ports, sizeof(http_ports) / sizeof(http_ports[0]),
		     port))
		return BANNERPROBE_HTTP;
	if (in_table(tls_ports, sizeof(tls_ports) / sizeof(tls_ports[0]), port))
		return BANNERPROBE_TLS;
	return BANNERPROBE_SPEAKS_FIRST;
}

int bannerprobe_http(const char *host, uint16_t port, char *buf, size_t cap)
{
	bool v6 = strchr(host, ':') != NULL;
	char portstr[8] = "";
	int n;

	if (port != 80)
		snprintf(portstr, sizeof(portstr), ":%u", (unsigned)port);
	n = snprintf(buf, cap, "HEAD / HTTP/1.0\r\nHost: %s%s%s%s\r\n\r\n",
		     v6 ? "[" : "", host, v6 ? "]" : "", portstr);
	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			buf[0] = '\0';
		return -ENOSPC;
	}
	return n;
}
