/*
 * test_neigh.c - routes, links and neighbour resolution against a real
 * kernel, inside a private network namespace.
 *
 * The test process moves itself into a new network namespace (unshare; as
 * root, else every case is skipped) and builds a veth pair there: rs-a
 * holds 198.18.0.1/24, its peer rs-b holds 198.18.0.2/32.  Both ends live in
 * the same namespace, yet an ARP request that neigh_solicit makes the kernel
 * send out of rs-a for 198.18.0.2 arrives at rs-b, whose namespace owns that
 * address and answers (accept_local lets it take a request from an address
 * of its own namespace): resolution over a real link, nothing leaving the
 * namespace.  A request for 198.18.0.99 goes unanswered and must end
 * FAILED (ARP retries are shortened by sysctl to keep the test quick).
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "clock.h"
#include "neigh.h"

static bool have_ns;

static int sh(const char *cmd)
{
	int ret = system(cmd);

	return ret == 0 ? 0 : -1;
}

static int ns_setup(void **state)
{
	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0)
		return 0; /* cases skip */
	if (sh("ip link set lo up && "
	       "ip link add rs-a type veth peer name rs-b && "
	       "ip addr add 198.18.0.1/24 dev rs-a && "
	       "ip addr add 198.18.0.2/32 dev rs-b && "
	       "ip link set rs-a up && ip link set rs-b up && "
	       "ip route add 198.18.5.0/24 via 198.18.0.9 && "
	       "echo 100 > /proc/sys/net/ipv4/neigh/rs-a/retrans_time_ms && "
	       "echo 1 > /proc/sys/net/ipv4/neigh/rs-a/mcast_solicit && "
	       "echo 0 > /proc/sys/net/ipv4/neigh/rs-a/app_solicit && "
	       "echo 1 > /proc/sys/net/ipv4/conf/rs-b/accept_local"))
		return -1;
	have_ns = true;
	return 0;
}

#define NEED_NS()               \
	do {                    \
		if (!have_ns)   \
			skip(); \
	} while (0)

static struct rs_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct rs_addr r = { .family = AF_INET, .bytes = { a, b, c, d } };

	return r;
}

static void test_link_by_name_and_index(void **state)
{
	struct neigh_link l, l2;
	struct neigh *n;

	(void)state;
	NEED_NS();
	assert_int_equal(neigh_new(&n, false), 0);
	assert_int_equal(neigh_event_fd(n), -1);
	assert_int_equal(neigh_link_get(n, 0, "rs-a", &l), 0);
	assert_string_equal(l.name, "rs-a");
	assert_true(l.ifindex > 0);
	assert_int_equal(l.type, 1); /* ARPHRD_ETHER */
	assert_true(l.has_mac);
	assert_int_equal(l.mtu, 1500);
	assert_int_equal(neigh_link_get(n, l.ifindex, NULL, &l2), 0);
	assert_string_equal(l2.name, "rs-a");
	assert_memory_equal(l2.mac, l.mac, 6);
	assert_int_equal(neigh_link_get(n, 0, "lo", &l2), 0);
	assert_int_equal(l2.type, 772); /* ARPHRD_LOOPBACK */
	assert_int_equal(neigh_link_get(n, 0, "nosuchif0", &l2), -ENODEV);
	assert_int_equal(neigh_link_get(n, 9999, NULL, &l2), -ENODEV);
	assert_int_equal(neigh_link_get(n, 0, "a-name-far-too-long", &l2),
			 -ENODEV);
	neigh_free(n);
}

static void test_link_addr(void **state)
{
	struct neigh_link l;
	struct rs_addr a, want = v4(198, 18, 0, 1);
	struct neigh *n;

	(void)state;
	NEED_NS();
	assert_int_equal(neigh_new(&n, false), 0);
	assert_int_equal(neigh_link_get(n, 0, "rs-a", &l), 0);
	assert_int_equal(neigh_link_addr(n, l.ifindex, AF_INET, &a), 0);
	assert_int_equal(addr_cmp(&a, &want), 0);
	/* lo's 127.0.0.1 has host scope: not an address to scan from. */
	assert_int_equal(neigh_link_get(n, 0, "lo", &l), 0);
	assert_int_equal(neigh_link_addr(n, l.ifindex, AF_INET, &a),
			 -EADDRNOTAVAIL);
	neigh_free(n);
}

static void test_routes(void **state)
{
	struct rs_addr gw = v4(198, 18, 0, 9), src = v4(198, 18, 0, 1);
	struct rs_addr dst;
	struct neigh_route r;
	struct neigh_link a, lo;
	struct neigh *n;

	(void)state;
	NEED_NS();
	assert_int_equal(neigh_new(&n, false), 0);
	assert_int_equal(neigh_link_get(n, 0, "rs-a", &a), 0);
	assert_int_equal(neigh_link_get(n, 0, "lo", &lo), 0);

	dst = v4(198, 18, 0, 77); /* on-link */
	assert_int_equal(neigh_route_get(n, &dst, 0, &r), 0);
	assert_int_equal(r.ifindex, a.ifindex);
	assert_int_equal(r.type, RTN_UNICAST);
	assert_false(r.via_gateway);
	assert_int_equal(addr_cmp(&r.nexthop, &dst), 0);
	assert_true(r.has_prefsrc);
	assert_int_equal(addr_cmp(&r.prefsrc, &src), 0);

	dst = v4(198, 18, 5, 5); /* through a gateway */
	assert_int_equal(neigh_route_get(n, &dst, 0, &r), 0);
	assert_int_equal(r.ifindex, a.ifindex);
	assert_true(r.via_gateway);
	assert_int_equal(addr_cmp(&r.nexthop, &gw), 0);

	dst = v4(198, 18, 0, 2); /* our own (rs-b's) address */
	assert_int_equal(neigh_route_get(n, &dst, 0, &r), 0);
	assert_int_equal(r.type, RTN_LOCAL);
	assert_int_equal(r.ifindex, lo.ifindex);

	dst = v4(198, 19, 0, 1); /* no route at all */
	assert_int_equal(neigh_route_get(n, &dst, 0, &r), -ENETUNREACH);

	/* With oif the answer is on that interface (-e IF). */
	dst = v4(198, 18, 5, 5);
	assert_int_equal(neigh_route_get(n, &dst, a.ifindex, &r), 0);
	assert_int_equal(r.ifindex, a.ifindex);
	assert_true(r.via_gateway);
	neigh_free(n);
}

/* Wait up to ms for an event about addr reaching a final state. */
static int wait_event(struct neigh *n, const struct rs_addr *addr, int ms,
		      struct neigh_event *out)
{
	uint64_t end = clock_now_ns() + (uint64_t)ms * 1000000ULL;
	struct neigh_event ev[16];
	struct pollfd pfd = { .fd = neigh_event_fd(n), .events = POLLIN };

	while (clock_now_ns() < end) {
		int got;

		poll(&pfd, 1, 50);
		got = neigh_events_read(n, ev, 16);
		assert_true(got >= 0);
		for (int i = 0; i < got; i++) {
			if (addr_cmp(&ev[i].addr, addr) ||
			    (ev[i].state != NEIGH_VALID &&
			     ev[i].state != NEIGH_FAILED))
				continue;
			*out = ev[i];
			return 0;
		}
	}
	return -ETIMEDOUT;
}

static void test_resolve(void **state)
{
	struct rs_addr peer = v4(198, 18, 0, 2), none = v4(198, 18, 0, 99);
	struct neigh_link a, b;
	struct neigh_event ev;
	enum neigh_state st;
	uint8_t mac[6];
	struct neigh *n;

	(void)state;
	NEED_NS();
	assert_int_equal(neigh_new(&n, true), 0);
	assert_true(neigh_event_fd(n) >= 0);
	assert_int_equal(neigh_link_get(n, 0, "rs-a", &a), 0);
	assert_int_equal(neigh_link_get(n, 0, "rs-b", &b), 0);

	assert_int_equal(neigh_get(n, a.ifindex, &peer, mac, &st), 0);
	assert_int_equal(st, NEIGH_ABSENT);
	assert_int_equal(neigh_solicit(n, a.ifindex, &peer), 0);
	assert_int_equal(wait_event(n, &peer, 3000, &ev), 0);
	assert_int_equal(ev.state, NEIGH_VALID);
	assert_int_equal(ev.ifindex, a.ifindex);
	assert_memory_equal(ev.mac, b.mac, 6);
	assert_int_equal(neigh_get(n, a.ifindex, &peer, mac, &st), 0);
	assert_int_equal(st, NEIGH_VALID);
	assert_memory_equal(mac, b.mac, 6);
	/* Soliciting a resolved entry is harmless. */
	assert_int_equal(neigh_solicit(n, a.ifindex, &peer), 0);

	assert_int_equal(neigh_solicit(n, a.ifindex, &none), 0);
	assert_int_equal(neigh_get(n, a.ifindex, &none, mac, &st), 0);
	assert_true(st == NEIGH_INCOMPLETE || st == NEIGH_FAILED);
	assert_int_equal(wait_event(n, &none, 3000, &ev), 0);
	assert_int_equal(ev.state, NEIGH_FAILED);
	assert_int_equal(neigh_get(n, a.ifindex, &none, mac, &st), 0);
	assert_int_equal(st, NEIGH_FAILED);
	neigh_free(n);
}

static void test_bad_family(void **state)
{
	struct rs_addr bad = { .family = AF_UNIX };
	struct neigh_route r;
	enum neigh_state st;
	uint8_t mac[6];
	struct neigh *n;

	(void)state;
	assert_int_equal(neigh_new(&n, false), 0);
	assert_int_equal(neigh_route_get(n, &bad, 0, &r), -EAFNOSUPPORT);
	assert_int_equal(neigh_get(n, 1, &bad, mac, &st), -EAFNOSUPPORT);
	assert_int_equal(neigh_solicit(n, 1, &bad), -EAFNOSUPPORT);
	assert_int_equal(neigh_link_addr(n, 1, AF_UNIX, &bad), -EAFNOSUPPORT);
	assert_int_equal(neigh_events_read(n, NULL, 1), -EINVAL);
	neigh_free(n);
	neigh_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_by_name_and_index),
		cmocka_unit_test(test_link_addr),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_bad_family),
	};

	return cmocka_run_group_tests(tests, ns_setup, NULL);
}
