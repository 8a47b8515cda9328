/*
 * tlsget - the TLS probe (tlsprobe.h) over a real TCP socket, for the
 * integration tests.
 *
 *   tlsget ADDR PORT [SNI]
 *
 * ADDR is a numeric IPv4 or IPv6 address (no resolver is asked).  The
 * helper connects, then does with plain blocking calls what the engine
 * is to do through its ring: send what tlsprobe_pending_out gives,
 * receive, tlsprobe_feed, until the handshake is done or fails; then it
 * sends the client's last flight and close_notify, and prints the
 * certificate's fields as "key=value" lines (version, alpn, cipher, cn,
 * issuer, sans, not_before, not_after, self_signed).  Every wait is
 * bounded (TLSGET_TIMEOUT_MS per receive), so a server that says nothing
 * fails the helper instead of hanging the test.
 *
 * Exit 0 with the fields, 1 with "tlsget: ..." on stderr if the
 * handshake failed (OpenSSL's reason included), 2 on bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tlsprobe.h"

#define TLSGET_TIMEOUT_MS 5000

static int connect_to(const char *addr, const char *port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	char *end;
	long p = strtol(port, &end, 10);
	int fd;

	if (*end || p < 1 || p > 65535) {
		fprintf(stderr, "tlsget: bad port '%s': give 1-65535\n", port);
		return -1;
	}
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		len = sizeof(*sin6);
	} else {
		fprintf(stderr,
			"tlsget: bad address '%s': give a numeric IPv4 or "
			"IPv6 address\n",
			addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0) {
		fprintf(stderr, "tlsget: connect to %s port %s: %s\n", addr,
			port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Send everything the probe has queued: 0 or -1. */
static int flush(struct tlsprobe *p, int fd)
{
	uint8_t buf[4096];
	size_t len;

	for (;;) {
		if (tlsprobe_pending_out(p, buf, sizeof(buf), &len) || !len)
			return 0;
		for (size_t at = 0; at < len;) {
			ssize_t n = send(fd, buf + at, len - at, MSG_NOSIGNAL);

			if (n < 0) {
				fprintf(stderr, "tlsget: send: %s\n",
					strerror(errno));
				return -1;
			}
			at += (size_t)n;
		}
	}
}

static int handshake(struct tlsprobe *p, int fd, const char *sni)
{
	uint8_t buf[16384];
	int r = tlsprobe_start(p, sni);

	if (r) {
		fprintf(stderr, "tlsget: start: %s\n", strerror(-r));
		return -1;
	}
	do {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (flush(p, fd))
			return -1;
		if (poll(&pfd, 1, TLSGET_TIMEOUT_MS) != 1) {
			fprintf(stderr, "tlsget: no answer in %d ms\n",
				TLSGET_TIMEOUT_MS);
			return -1;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		/*
		 * A peer that closes at once resets the connection when our
		 * ClientHello reached it first, else ends it: either way the
		 * handshake failed, and which one is a race.
		 */
		if (n < 0 && errno == ECONNRESET) {
			fprintf(stderr,
				"tlsget: handshake failed (%s): the peer reset the connection\n",
				strerror(errno));
			return -1;
		}
		if (n < 0) {
			fprintf(stderr, "tlsget: recv: %s\n", strerror(errno));
			return -1;
		}
		r = tlsprobe_feed(p, buf, (size_t)n);
	} while (r == 0);
	if (r < 0) {
		fprintf(stderr, "tlsget: handshake failed (%s): %s\n",
			strerror(-r), tlsprobe_reason(p));
		return -1;
	}
	return flush(p, fd);
}

int main(int argc, char **argv)
{
	struct tlsprobe_ctx *ctx;
	struct tlsprobe *p;
	struct tlsinfo ti;
	int fd, ret = 1;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: tlsget ADDR PORT [SNI]\n");
		return 2;
	}
	fd = connect_to(argv[1], argv[2]);
	if (fd < 0)
		return 2;
	if (tlsprobe_ctx_new(&ctx))
		goto out_close;
	if (tlsprobe_new(ctx, &p))
		goto out_free_ctx;
	if (handshake(p, fd, argc > 3 ? argv[3] : NULL) ||
	    tlsprobe_info(p, &ti))
		goto out_free_probe;
	printf("version=%s\nalpn=%s\ncipher=%s\ncn=%s\nissuer=%s\nsans=%s\n"
	       "not_before=%s\nnot_after=%s\nself_signed=%s\n",
	       ti.version, ti.alpn, ti.cipher, ti.subject_cn, ti.issuer,
	       ti.sans, ti.not_before, ti.not_after,
	       ti.self_signed ? "yes" : "no");
	ret = 0;

out_free_probe:
	tlsprobe_free(p);
out_free_ctx:
	tlsprobe_ctx_free(ctx);
out_close:
	close(fd);
	return ret;
}
