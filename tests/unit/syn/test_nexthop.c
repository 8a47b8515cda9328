/*
 * test_nexthop.c - the SYN engine's route and next-hop caches against a
 * real kernel, inside a private network namespace.
 *
 * The same testbed as test_neigh.c: the process moves itself into a new
 * network namespace (as root, else every case is skipped) holding a veth
 * pair, rs-a 198.18.0.1/24 and its peer rs-b 198.18.0.2/32, so that an ARP
 * request for 198.18.0.2 out of rs-a is answered by rs-b and one for
 * 198.18.0.99 is not (ARP retries shortened by sysctl).  Around it: a
 * route through a gateway, unreachable and prohibit routes, and a second
 * veth pair whose subnet (on rs-c) is reachable but not through rs-a.
 * Nothing leaves the namespace.
 *
 * What is checked is what the engine relies on: the right next hop or the
 * right reason for every kind of route, answers cached (a second question
 * costs no netlink query), a next hop solicited once and settled by a
 * notification, a poll pass asking the kernel once per next hop, a pending
 * next hop given up on after NEXTHOP_WAIT_NS, and NOARP links needing no
 * resolution at all.
 */
#include <errno.h>
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
#include "nexthop.h"

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
	       "ip route add unreachable 198.18.6.0/24 && "
	       "ip route add prohibit 198.18.8.0/24 && "
	       "ip link add rs-c type veth peer name rs-d && "
	       "ip addr add 198.18.7.1/24 dev rs-c && "
	       "ip link set rs-c up && ip link set rs-d up && "
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

static const uint8_t peer[16] = { 198, 18, 0, 2 };
static const uint8_t silent[16] = { 198, 18, 0, 99 };

/* A nexthop for interface name, with its own neigh (events on). */
static void open_on(const char *name, bool loopback, bool noarp,
		    struct neigh **nl, struct nexthop **h,
		    struct neigh_link *link)
{
	assert_int_equal(neigh_new(nl, true), 0);
	assert_int_equal(neigh_link_get(*nl, 0, name, link), 0);
	assert_int_equal(nexthop_new(h,
				     &(struct nexthop_config){
					     .nl = *nl,
					     .ifindex = link->ifindex,
					     .loopback = loopback,
					     .noarp = noarp,
				     }),
			 0);
}

static uint64_t lookups(const struct nexthop *h)
{
	struct nexthop_stats st;

	nexthop_get_stats(h, &st);
	return st.lookups;
}

static void test_routes(void **state)
{
	static const uint8_t onlink[16] = { 198, 18, 0, 77 };
	static const uint8_t far[16] = { 198, 18, 5, 5 };
	static const uint8_t gw[16] = { 198, 18, 0, 9 };
	static const uint8_t hole[16] = { 198, 18, 6, 1 };
	static const uint8_t banned[16] = { 198, 18, 8, 1 };
	static const uint8_t other[16] = { 198, 18, 7, 5 };
	static const uint8_t nowhere[16] = { 198, 19, 0, 1 };
	struct neigh_link link;
	struct nexthop *h;
	struct neigh *nl;
	uint8_t nh[16];
	uint64_t n;

	(void)state;
	NEED_NS();
	open_on("rs-a", false, false, &nl, &h, &link);

	assert_int_equal(nexthop_route(h, AF_INET, onlink, nh), 0);
	assert_memory_equal(nh, onlink, 4);
	assert_int_equal(nexthop_route(h, AF_INET, far, nh), 0);
	assert_memory_equal(nh, gw, 4);
	assert_int_equal(nexthop_route(h, AF_INET, hole, nh), -EHOSTUNREACH);
	assert_int_equal(nexthop_route(h, AF_INET, banned, nh), -EACCES);
	assert_int_equal(nexthop_route(h, AF_INET, other, nh), -EXDEV);
	/* This host's addresses are reached through lo, not rs-a. */
	assert_int_equal(nexthop_route(h, AF_INET, peer, nh), -EXDEV);
	assert_int_equal(nexthop_route(h, AF_INET, nowhere, nh), -ENETUNREACH);
	n = lookups(h);
	assert_int_equal(n, 7);

	/* Answers and failures alike come from the cache the second time. */
	memset(nh, 0, sizeof(nh));
	assert_int_equal(nexthop_route(h, AF_INET, far, nh), 0);
	assert_memory_equal(nh, gw, 4);
	assert_int_equal(nexthop_route(h, AF_INET, hole, nh), -EHOSTUNREACH);
	assert_int_equal(nexthop_route(h, AF_INET, nowhere, nh), -ENETUNREACH);
	assert_int_equal(lookups(h), n);
	nexthop_free(h);
	neigh_free(nl);

	/* On lo, this host's addresses are targets; elsewhere they are not. */
	open_on("lo", true, true, &nl, &h, &link);
	assert_int_equal(nexthop_route(h, AF_INET, peer, nh), 0);
	nexthop_free(h);
	assert_int_equal(nexthop_new(&h,
				     &(struct nexthop_config){
					     .nl = nl,
					     .ifindex = link.ifindex,
				     }),
			 0);
	assert_int_equal(nexthop_route(h, AF_INET, peer, nh), -EADDRNOTAVAIL);
	nexthop_free(h);
	neigh_free(nl);
}

/* Read notifications until nh's entry is settled (or ms pass). */
static int wait_settled(struct nexthop *h, struct neigh *nl,
			const uint8_t nh[16], uint8_t mac[6], int ms)
{
	uint64_t end = clock_now_ns() + (uint64_t)ms * 1000000ULL;
	struct pollfd pfd = { .fd = neigh_event_fd(nl), .events = POLLIN };

	while (clock_now_ns() < end) {
		enum nexthop_state st;
		int ret;

		poll(&pfd, 1, 50);
		ret = nexthop_events(h, clock_now_ns());
		assert_true(ret >= 0);
		st = nexthop_recheck(h, AF_INET, nh, mac, false,
				     clock_now_ns());
		if (st != NEXTHOP_PENDING)
			return st;
	}
	return NEXTHOP_PENDING;
}

static void test_resolve(void **state)
{
	struct neigh_link link, b;
	struct nexthop_stats st;
	struct nexthop *h;
	struct neigh *nl;
	uint8_t mac[6];
	uint64_t since = 0, n, now = clock_now_ns();

	(void)state;
	NEED_NS();
	open_on("rs-a", false, false, &nl, &h, &link);
	assert_int_equal(neigh_link_get(nl, 0, "rs-b", &b), 0);

	/* First sight: solicited, pending, then settled by a notification. */
	assert_int_equal(nexthop_lookup(h, AF_INET, peer, mac, &since, now),
			 NEXTHOP_PENDING);
	assert_true(since == now);
	nexthop_get_stats(h, &st);
	assert_int_equal(st.solicits, 1);
	memset(mac, 0, sizeof(mac));
	assert_int_equal(wait_settled(h, nl, peer, mac, 3000), NEXTHOP_VALID);
	assert_memory_equal(mac, b.mac, 6);

	/* Known now: answered from the cache, no query, no solicit. */
	n = lookups(h);
	memset(mac, 0, sizeof(mac));
	assert_int_equal(nexthop_lookup(h, AF_INET, peer, mac, &since,
					clock_now_ns()),
			 NEXTHOP_VALID);
	assert_memory_equal(mac, b.mac, 6);
	assert_int_equal(lookups(h), n);

	/* Nobody answers: FAILED, and not asked again for a while. */
	assert_int_equal(nexthop_lookup(h, AF_INET, silent, mac, &since,
					clock_now_ns()),
			 NEXTHOP_PENDING);
	assert_int_equal(wait_settled(h, nl, silent, mac, 3000),
			 NEXTHOP_FAILED);
	n = lookups(h);
	assert_int_equal(nexthop_lookup(h, AF_INET, silent, mac, &since,
					clock_now_ns()),
			 NEXTHOP_FAILED);
	assert_int_equal(lookups(h), n);
	/* ... until NEXTHOP_FAILED_NS have passed: then solicited again. */
	nexthop_get_stats(h, &st);
	n = st.solicits;
	assert_int_equal(nexthop_lookup(h, AF_INET, silent, mac, &since,
					clock_now_ns() + NEXTHOP_FAILED_NS),
			 NEXTHOP_PENDING);
	nexthop_get_stats(h, &st);
	assert_int_equal(st.solicits, n + 1);
	nexthop_free(h);
	neigh_free(nl);
}

static void test_poll_and_give_up(void **state)
{
	static const uint8_t silent2[16] = { 198, 18, 0, 98 };
	struct neigh_link link;
	struct nexthop *h;
	struct neigh *nl;
	uint8_t mac[6];
	uint64_t since, n, now = clock_now_ns();

	(void)state;
	NEED_NS();
	open_on("rs-a", false, false, &nl, &h, &link);
	assert_int_equal(nexthop_lookup(h, AF_INET, silent2, mac, &since, now),
			 NEXTHOP_PENDING);

	/* A poll pass asks the kernel once per next hop, however many
	 * probes wait on it; without poll the cache answers. */
	n = lookups(h);
	nexthop_new_pass(h);
	(void)nexthop_recheck(h, AF_INET, silent2, mac, true, now);
	assert_int_equal(lookups(h), n + 1);
	(void)nexthop_recheck(h, AF_INET, silent2, mac, true, now);
	(void)nexthop_recheck(h, AF_INET, silent2, mac, false, now);
	assert_int_equal(lookups(h), n + 1);
	nexthop_new_pass(h);
	(void)nexthop_recheck(h, AF_INET, silent2, mac, true, now);
	assert_int_equal(lookups(h), n + 2);

	/* Pending for NEXTHOP_WAIT_NS: one last question, then FAILED
	 * whatever the kernel still hopes. */
	since = 0;
	(void)nexthop_lookup(h, AF_INET, silent2, mac, &since, now);
	if (nexthop_recheck(h, AF_INET, silent2, mac, false, now) ==
	    NEXTHOP_PENDING) {
		n = lookups(h);
		assert_int_equal(nexthop_lookup(h, AF_INET, silent2, mac,
						&since,
						since + NEXTHOP_WAIT_NS),
				 NEXTHOP_FAILED);
		assert_int_equal(lookups(h), n + 1);
	}
	nexthop_free(h);
	neigh_free(nl);
}

static void test_noarp(void **state)
{
	struct neigh_link link;
	struct nexthop *h;
	struct neigh *nl;
	uint8_t mac[6];
	uint64_t since = 0;

	(void)state;
	NEED_NS();
	open_on("lo", true, true, &nl, &h, &link);
	memset(mac, 0xaa, sizeof(mac));
	assert_int_equal(nexthop_lookup(h, AF_INET, peer, mac, &since,
					clock_now_ns()),
			 NEXTHOP_VALID);
	assert_memory_equal(mac, (uint8_t[6]){ 0 }, 6);
	assert_int_equal(lookups(h), 0);
	nexthop_free(h);
	nexthop_free(NULL);
	neigh_free(nl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_poll_and_give_up),
		cmocka_unit_test(test_noarp),
	};

	return cmocka_run_group_tests(tests, ns_setup, NULL);
}
