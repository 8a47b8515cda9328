/*
 * test_udpengine.c - the io_uring UDP engine against real loopback sockets.
 *
 * Truth is made locally: a bound UDP socket that the test answers from is
 * an open port, one that never answers is silence (a timeout), and a port
 * whose socket was closed again draws an ICMP port unreachable from the
 * kernel (loopback is exempt from ICMP rate limiting), for IPv4 and IPv6.
 * Only 127.0.0.1 and ::1 are contacted.  A kernel without io_uring skips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "udpengine.h"

#define MS 1000000ULL

/* A UDP socket bound to an ephemeral port of lo (family's loopback). */
static int udp_bound(int family, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		len = sizeof(*in6);
	}
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET ?
			      ((struct sockaddr_in *)&ss)->sin_port :
			      ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static socklen_t target(int family, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*in);
	}
	((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
	((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
	return sizeof(struct sockaddr_in6);
}

static struct udpengine *open_engine(void)
{
	struct udpengine_config cfg = { .slots = 16 };
	struct udpengine_info info;
	struct udpengine *e = NULL;
	int ret = udpengine_new(&e, &cfg, &info);

	if (ret == -ENOSYS || ret == -EPERM || ret == -EOPNOTSUPP)
		return NULL;
	assert_int_equal(ret, 0);
	assert_int_equal(info.slots, 16);
	return e;
}

/*
 * Run the engine until one result comes (at most 3 s); echo is a server
 * socket to answer from (-1: none) - what it received is checked against
 * the payload length of port.
 */
static struct engine_result run_one(struct udpengine *e, int echo)
{
	struct engine_result r[4];
	uint64_t end = clock_now_ns() + 3000 * MS;
	uint8_t buf[2048];

	while (clock_now_ns() < end) {
		int n = udpengine_ops.run(e, 10 * MS, r, 4);

		assert_true(n >= 0);
		if (n) {
			assert_int_equal(n, 1);
			return r[0];
		}
		if (echo >= 0) {
			struct sockaddr_storage from;
			socklen_t flen = sizeof(from);
			ssize_t got = recvfrom(echo, buf, sizeof(buf), 0,
					       (struct sockaddr *)&from, &flen);

			if (got >= 0)
				assert_int_equal(
					sendto(echo, "ok", 2, 0,
					       (struct sockaddr *)&from, flen),
					2);
		}
	}
	fail_msg("no result in 3 s");
	return r[0];
}

static void check_family(int family)
{
	struct udpengine *e = open_engine();
	struct sockaddr_storage ss;
	struct sched_probe p = { .probe = 7 };
	struct sched_probe fl[16];
	struct engine_result r;
	uint16_t port_open, port_silent, port_closed;
	int fd_open, fd_silent, fd_closed;
	socklen_t len;

	if (!e)
		skip();
	fd_open = udp_bound(family, &port_open);
	if (fd_open < 0 && family == AF_INET6) {
		udpengine_ops.free(e);
		skip(); /* no ::1 here */
	}
	assert_true(fd_open >= 0);
	fd_silent = udp_bound(family, &port_silent);
	fd_closed = udp_bound(family, &port_closed);
	assert_true(fd_silent >= 0 && fd_closed >= 0);
	close(fd_closed); /* nothing listens there now: port unreachable */

	/* open: the answer is any datagram back */
	len = target(family, port_open, &ss);
	assert_int_equal(udpengine_ops.prep(e, &p, (struct sockaddr *)&ss, len,
					    1000 * MS, 0),
			 0);
	assert_int_equal(udpengine_ops.busy(e), 1);
	assert_int_equal(udpengine_ops.inflight(e, fl, 16), 1);
	assert_int_equal(fl[0].probe, 7);
	r = run_one(e, fd_open);
	assert_int_equal(r.outcome, ENGINE_OPEN);
	assert_int_equal(r.probe.probe, 7);
	assert_true(r.rtt_ns > 0);
	assert_int_equal(udpengine_ops.busy(e), 0);
	assert_int_equal(udpengine_ops.inflight(e, fl, 16), 0);

	/* closed: ICMP port unreachable, read back with its code */
	p.probe = 8;
	len = target(family, port_closed, &ss);
	assert_int_equal(udpengine_ops.prep(e, &p, (struct sockaddr *)&ss, len,
					    1000 * MS, 0),
			 0);
	r = run_one(e, -1);
	assert_int_equal(r.outcome, ENGINE_CLOSED);
	assert_int_equal(r.err, -ECONNREFUSED);
	assert_int_equal(r.probe.probe, 8);
	assert_non_null(r.reason);
	assert_string_equal(r.reason, "port-unreach");

	/* silence: the link timeout ends the attempt */
	p.probe = 9;
	len = target(family, port_silent, &ss);
	assert_int_equal(udpengine_ops.prep(e, &p, (struct sockaddr *)&ss, len,
					    100 * MS, 0),
			 0);
	r = run_one(e, -1);
	assert_int_equal(r.outcome, ENGINE_TIMEOUT);
	assert_int_equal(r.probe.probe, 9);
	assert_int_equal(udpengine_ops.idle(e), 16);

	close(fd_open);
	close(fd_silent);
	udpengine_ops.free(e);
}

static void test_ipv4(void **state)
{
	(void)state;
	check_family(AF_INET);
}

static void test_ipv6(void **state)
{
	(void)state;
	check_family(AF_INET6);
}

/* Many probes at once, more than one submit's worth: each its answer. */
static void test_batch(void **state)
{
	struct udpengine_config cfg = { .slots = 300 };
	struct udpengine *e = NULL;
	struct engine_result r[300];
	struct sockaddr_storage ss;
	uint16_t port;
	int fd, ret, got = 0, closed = 0;
	uint64_t end;
	socklen_t len;

	(void)state;
	ret = udpengine_new(&e, &cfg, NULL);
	if (ret == -ENOSYS || ret == -EPERM || ret == -EOPNOTSUPP)
		skip();
	assert_int_equal(ret, 0);
	fd = udp_bound(AF_INET, &port);
	assert_true(fd >= 0);
	close(fd);
	len = target(AF_INET, port, &ss);
	for (uint64_t i = 0; i < 300; i++) {
		struct sched_probe p = { .probe = i };

		assert_int_equal(udpengine_ops.prep(e, &p,
						    (struct sockaddr *)&ss, len,
						    2000 * MS, 0),
				 0);
	}
	assert_int_equal(udpengine_ops.idle(e), 0);
	end = clock_now_ns() + 5000 * MS;
	while (got < 300 && clock_now_ns() < end) {
		int n = udpengine_ops.run(e, 10 * MS, r, 300);

		assert_true(n >= 0);
		for (int i = 0; i < n; i++)
			closed += r[i].outcome == ENGINE_CLOSED;
		got += n;
	}
	assert_int_equal(got, 300);
	assert_int_equal(closed, 300);
	udpengine_ops.free(e);
}

/* -sS -sU asks for 65536 slots: capped to what the CQ can hold. */
static void test_slot_cap(void **state)
{
	struct udpengine_config cfg = { .slots = 65536 };
	struct udpengine_info info;
	struct udpengine *e = NULL;
	int ret;

	(void)state;
	ret = udpengine_new(&e, &cfg, &info);
	if (ret == -ENOSYS || ret == -EPERM || ret == -EOPNOTSUPP)
		skip();
	assert_int_equal(ret, 0);
	assert_true(info.slots > 0 && info.slots <= UDPENGINE_MAX_SLOTS);
	assert_true(info.cq_entries >=
		    info.slots * (uint32_t)UDPENGINE_SQES_PER_PROBE);
	udpengine_ops.free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_slot_cap),

	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
