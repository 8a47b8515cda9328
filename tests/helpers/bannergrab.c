/*
 * bannergrab - the integration tests' one-port banner exchange.
 *
 *   bannergrab [-o wait|http|redis|memcached] [-t MS] ADDR PORT
 *
 * Connects to ADDR (a loopback literal: the tests run it in a private
 * namespace) and does what issue 14's engine will do through the ring,
 * here with plain blocking calls: on a port where the client speaks
 * first (bannerid_opener, or -o) it sends bannerid_probe's request;
 * otherwise it waits for the greeting, and sends the HTTP probe if none
 * came within a third of the deadline.  It reads until the server
 * closes, BANNERGRAB_CAP bytes arrive, the deadline (-t, default 3000
 * ms) passes or the server has been quiet for BANNERGRAB_QUIET_MS after
 * speaking, then prints one line, tab-separated:
 *
 *   service product version extrainfo hostname ostype banner
 *
 * the fields of bannerid_identify (empty when not recognised) and the
 * banner as escape_banner_copy shows it.  It exists so the tests can put
 * real servers and nmap -sV beside the pure identifier before the ring
 * engine does the exchange; it is not the engine.  Exit 0 when it got
 * an answer to judge (recognised or not), 1 on a connect or I/O error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bannerid.h"
#include "escape.h"

#define BANNERGRAB_CAP 4096
#define BANNERGRAB_QUIET_MS 300

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_to(const char *addr, unsigned port)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	int fd;

	if (inet_pton(AF_INET, addr, &s4.sin_addr) == 1) {
		s4.sin_port = htons((uint16_t)port);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&s4, sizeof(s4)))
			goto out_close;
	} else if (inet_pton(AF_INET6, addr, &s6.sin6_addr) == 1) {
		s6.sin6_port = htons((uint16_t)port);
		fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&s6, sizeof(s6)))
			goto out_close;
	} else {
		fprintf(stderr, "bannergrab: %s is not an address literal\n",
			addr);
		return -1;
	}
	if (fd < 0)
		perror("bannergrab: socket");
	return fd;
out_close:
	fprintf(stderr, "bannergrab: connect %s port %u: %s\n", addr, port,
		strerror(errno));
	close(fd);
	return -1;
}

static int send_probe(int fd, enum bannerid_opener op, const char *addr,
		      unsigned port)
{
	char req[512];
	int n = bannerid_probe(op, addr, (uint16_t)port, req, sizeof(req));

	if (n < 0) {
		fprintf(stderr, "bannergrab: probe: %s\n", strerror(-n));
		return -1;
	}
	if (n && send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		perror("bannergrab: send");
		return -1;
	}
	return 0;
}

static const char *const opener_names[] = { "wait", "http", "tls", "redis",
					    "memcached" };

int main(int argc, char **argv)
{
	uint8_t buf[BANNERGRAB_CAP];
	char esc[BANNERGRAB_CAP * 4 + 1];
	enum bannerid_opener op;
	struct bannerid id;
	long deadline, silent_at, last = 0, t, limit_ms = 3000;
	size_t len = 0;
	int fd, c, forced = -1, probed = 0;
	unsigned long port;
	char *end;

	while ((c = getopt(argc, argv, "o:t:")) != -1) {
		switch (c) {
		case 'o':
			for (forced = 0; forced < 5; forced++)
				if (!strcmp(optarg, opener_names[forced]))
					break;
			if (forced == 5) {
				fprintf(stderr,
					"bannergrab: -o %s: want wait, "
					"http, redis or memcached\n",
					optarg);
				return 2;
			}
			break;
		case 't':
			limit_ms = strtol(optarg, &end, 10);
			if (*end || limit_ms <= 0) {
				fprintf(stderr,
					"bannergrab: -t %s: want "
					"milliseconds\n",
					optarg);
				return 2;
			}
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: bannergrab [-o OPENER] [-t MS] ADDR "
				"PORT\n");
		return 2;
	}
	port = strtoul(argv[optind + 1], &end, 10);
	if (*end || !port || port > 65535) {
		fprintf(stderr, "bannergrab: port %s: want 1-65535\n",
			argv[optind + 1]);
		return 2;
	}
	op = forced >= 0 ? (enum bannerid_opener)forced :
			   bannerid_opener((uint16_t)port);
	if (op == BANNERID_TLS) {
		fprintf(stderr, "bannergrab: TLS is not this helper's\n");
		return 2;
	}
	fd = connect_to(argv[optind], (unsigned)port);
	if (fd < 0)
		return 1;
	if (op != BANNERID_WAIT) {
		if (send_probe(fd, op, argv[optind], (unsigned)port))
			return 1;
		probed = 1;
	}
	t = now_ms();
	deadline = t + limit_ms;
	silent_at = t + limit_ms / 3;
	while (len < sizeof(buf) && (t = now_ms()) < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long wait = deadline - t;
		ssize_t n;

		if (len && last + BANNERGRAB_QUIET_MS - t < wait)
			wait = last + BANNERGRAB_QUIET_MS - t;
		if (!len && !probed && silent_at - t < wait)
			wait = silent_at - t;
		if (wait <= 0) {
			if (len)
				break;
			/* silent on a wait port: perhaps HTTP */
			if (send_probe(fd, BANNERID_HTTP, argv[optind],
				       (unsigned)port))
				return 1;
			probed = 1;
			continue;
		}
		if (poll(&p, 1, (int)wait) < 0) {
			perror("bannergrab: poll");
			return 1;
		}
		if (!p.revents)
			continue;
		n = recv(fd, buf + len, sizeof(buf) - len, 0);
		if (n < 0 && errno == ECONNRESET)
			break;
		if (n < 0) {
			perror("bannergrab: recv");
			return 1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		last = now_ms();
	}
	close(fd);
	bannerid_identify(buf, len, (uint16_t)port, &id);
	escape_banner_copy(esc, sizeof(esc), buf, len);
	printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id.service, id.product,
	       id.version, id.extrainfo, id.hostname, id.ostype, esc);
	return 0;
}
