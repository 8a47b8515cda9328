/*
 * udpprobe - send one UDP probe payload (udppayload.h) and print the reply.
 *
 *   udpprobe ADDR PORT COOKIE [TIMEOUT_MS]
 *
 * Builds the payload for PORT with COOKIE (decimal or 0x hex), sends it to
 * ADDR:PORT from an ephemeral port and waits up to TIMEOUT_MS (default
 * 2000) for one datagram back from ADDR, from any port: a TFTP server
 * answers from a new one (RFC 1350 4).  Prints three lines,
 *
 *   id HEX     the first 16 bytes of udppayload_id(COOKIE)
 *   from PORT  the reply's source port
 *   reply HEX  the reply
 *
 * for tests/live/udppayload.sh to check the reply against the protocol;
 * exits 1 with a message when nothing came back, 2 on bad arguments.
 * ADDR must be in 127.0.0.0/8: this is a test tool, and real servers are
 * run for it on loopback only.  Links src/scan/udppayload.c (see the
 * Makefile), so what it sends is exactly what the module builds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udppayload.h"

static void hex(const char *label, const uint8_t *p, size_t n)
{
	size_t i;

	printf("%s ", label);
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static int number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	return errno || end == s || *end || *out > max || s[0] == '-' ? -1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long port, cookie, timeout = 2000;
	struct sockaddr_in to = { .sin_family = AF_INET }, from;
	socklen_t fromlen;
	uint8_t buf[UDPPAYLOAD_MAX], reply[65536], id[16];
	struct pollfd pfd;
	size_t len;
	ssize_t n;
	int fd;

	if (argc < 4 || argc > 5 ||
	    inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 ||
	    number(argv[2], 65535, &port) ||
	    number(argv[3], UINT32_MAX, &cookie) ||
	    (argc == 5 && number(argv[4], 60000, &timeout))) {
		fprintf(stderr,
			"usage: udpprobe ADDR PORT COOKIE [TIMEOUT_MS]\n");
		return 2;
	}
	if ((ntohl(to.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "udpprobe: %s: only 127.0.0.0/8 is allowed\n",
			argv[1]);
		return 2;
	}
	to.sin_port = htons((uint16_t)port);
	if (udppayload_build((uint16_t)port, (uint32_t)cookie, buf, sizeof(buf),
			     &len)) {
		fprintf(stderr, "udpprobe: no room for the payload\n");
		return 2;
	}
	udppayload_id((uint32_t)cookie, id, sizeof(id));
	hex("id", id, sizeof(id));

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, buf, len, 0, (struct sockaddr *)&to,
			     sizeof(to)) != (ssize_t)len) {
		perror("udpprobe: send");
		return 1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		/* The timeout restarts on a stray datagram: good enough here. */
		if (poll(&pfd, 1, (int)timeout) <= 0) {
			fprintf(stderr, "udpprobe: %s:%lu: no reply\n", argv[1],
				port);
			return 1;
		}
		fromlen = sizeof(from);
		n = recvfrom(fd, reply, sizeof(reply), 0,
			     (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			/* An ICMP port unreachable, for a closed port. */
			fprintf(stderr, "udpprobe: %s:%lu: %s\n", argv[1], port,
				strerror(errno));
			return 1;
		}
		if (from.sin_addr.s_addr == to.sin_addr.s_addr)
			break;
	}
	printf("from %u\n", ntohs(from.sin_port));
	hex("reply", reply, (size_t)n);
	close(fd);
	return 0;
}
