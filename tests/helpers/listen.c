/*
 * listen - the integration tests' TCP (or UDP) listener.
 *
 *   listen [-u] ADDR:PORT...
 *
 * Binds every pair ("127.0.0.1:80", "[::1]:80", "0.0.0.0:22", "[::]:22"),
 * listens with a deep backlog and prints "ready" once all are bound, so the
 * testbed can start a scan knowing every port it claims open really is.
 * IPv6 sockets are V6ONLY: "[::]:P" must not make 127.x addresses open,
 * because the testbed's ground truth treats the two families apart.
 *
 * One poll loop accepts and closes every connection as soon as it is
 * queued, so a scan of thousands of open ports never fills the backlog (a
 * full backlog drops SYNs and would turn open ports into "filtered").  The
 * close is an ordinary one: if the scanner then closes with a FIN rather
 * than a reset, a TIME_WAIT socket is left in the namespace, which is what
 * t_timewait looks for.  With -u the sockets are UDP and the loop only
 * drains datagrams: a bound UDP port answers no ICMP port-unreachable.
 *
 * SIGTERM and SIGINT arrive through a signalfd in the same poll set, so the
 * exit is clean and needs no global flag.  Any failure exits non-zero with a
 * message naming the pair, before "ready" is printed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define LISTEN_BACKLOG 4096
#define ACCEPT_BATCH 64 /* accepts per wakeup before polling the rest */

static void usage(void)
{
	fprintf(stderr, "usage: listen [-u] ADDR:PORT...\n"
			"  ADDR:PORT is 127.0.0.1:80, [::1]:80, 0.0.0.0:22\n");
}

/* Parse "A.B.C.D:P" or "[V6]:P" into ss; 0 or -EINVAL. */
static int parse_pair(const char *s, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon;
	const char *hs = s;
	size_t hlen;
	char *end;
	unsigned long port;
	bool v6 = false;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		hs = s + 1;
		hlen = (size_t)(rb - hs);
		colon = rb + 1;
		v6 = true;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, hs, hlen);
	host[hlen] = '\0';

	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port == 0 || port > 65535)
		return -EINVAL;

	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		*len = sizeof(*a);
	}
	return 0;
}

static int open_socket(const char *pair, bool udp)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;
	int fd;

	if (parse_pair(pair, &ss, &len)) {
		fprintf(stderr, "listen: bad address: %s\n", pair);
		return -1;
	}
	fd = socket(ss.ss_family,
		    (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK |
			    SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		fprintf(stderr, "listen: socket for %s: %s\n", pair,
			strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (ss.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))) {
		fprintf(stderr, "listen: setsockopt for %s: %s\n", pair,
			strerror(errno));
		goto out_close;
	}
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		fprintf(stderr, "listen: bind %s: %s\n", pair, strerror(errno));
		goto out_close;
	}
	if (!udp && listen(fd, LISTEN_BACKLOG)) {
		fprintf(stderr, "listen: listen %s: %s\n", pair,
			strerror(errno));
		goto out_close;
	}
	return fd;

out_close:
	close(fd);
	return -1;
}

/* Accept and close everything queued on fd; never blocks. */
static void drain(int fd, bool udp)
{
	char buf[2048];
	int i;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		if (udp) {
			if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0)
				return;
		} else {
			int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

			if (c < 0)
				return;
			close(c);
		}
	}
}

/* Many pairs need many descriptors: take the hard limit. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct pollfd *pfd;
	sigset_t mask;
	bool udp = false;
	int first = 1;
	int npairs;
	int i;
	int ret = 1;

	if (argc > 1 && strcmp(argv[1], "-u") == 0) {
		udp = true;
		first = 2;
	}
	npairs = argc - first;
	if (npairs < 1) {
		usage();
		return 2;
	}
	raise_nofile();

	pfd = calloc((size_t)npairs + 1, sizeof(*pfd));
	if (!pfd) {
		fprintf(stderr, "listen: out of memory\n");
		return 1;
	}
	for (i = 0; i <= npairs; i++)
		pfd[i].fd = -1;

	/* Blocked before "ready" so that an early SIGTERM is not lost. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL)) {
		fprintf(stderr, "listen: sigprocmask: %s\n", strerror(errno));
		goto out_free;
	}
	pfd[0].fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (pfd[0].fd < 0) {
		fprintf(stderr, "listen: signalfd: %s\n", strerror(errno));
		goto out_free;
	}
	pfd[0].events = POLLIN;

	for (i = 0; i < npairs; i++) {
		pfd[i + 1].fd = open_socket(argv[first + i], udp);
		if (pfd[i + 1].fd < 0)
			goto out_close;
		pfd[i + 1].events = POLLIN;
	}

	printf("ready\n");
	fflush(stdout);

	for (;;) {
		int n = poll(pfd, (nfds_t)npairs + 1, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "listen: poll: %s\n", strerror(errno));
			goto out_close;
		}
		if (pfd[0].revents)
			break;
		for (i = 1; i <= npairs; i++)
			if (pfd[i].revents)
				drain(pfd[i].fd, udp);
	}
	ret = 0;

out_close:
	for (i = 0; i <= npairs; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
out_free:
	free(pfd);
	return ret;
}
