/*
 * nexthop.c - routes and next hops for the SYN engine (see nexthop.h).
 *
 * Both caches are arrays indexed by a hash of (family, address): no
 * chaining, no eviction policy beyond "the newest wins the bucket", since
 * a lost entry only costs one more netlink round trip.  A route entry
 * remembers failures too (err), so a list full of unroutable targets asks
 * the kernel once per target, not once per port.
 *
 * How an answer from the kernel is read depends on why it was asked
 * (nh_query's mode): on first sight anything unusable means "solicit";
 * during a poll only a verdict (VALID, FAILED) changes the entry; at the
 * end of the wait anything but VALID is a failure.  Entries remember the
 * poll pass that last refreshed them, so that many probes waiting on one
 * next hop cost one query per pass.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "mix.h"
#include "nexthop.h"

#define NEV_BATCH 64

enum { NH_EMPTY = 0 }; /* never asked; the other states are nexthop_state */

/* Compared with memcmp: no implicit padding, unused address bytes zero. */
struct nh_key {
	uint8_t addr[16];
	uint8_t family;
	uint8_t pad[3];
};

struct route_entry {
	struct nh_key key;
	bool valid;
	int32_t err; /* 0, or why this target cannot be reached here */
	uint8_t nexthop[16];
};

struct nh_entry {
	struct nh_key key;
	uint8_t state; /* NH_EMPTY or enum nexthop_state */
	uint8_t mac[6];
	uint32_t pass; /* last poll pass that refreshed it */
	uint64_t since_ns;
};

struct nexthop {
	struct neigh *nl;
	struct privsep *keeper;
	int ifindex;
	bool loopback;
	bool noarp;
	uint32_t pass;
	struct route_entry *routes; /* NEXTHOP_ROUTE_CACHE */
	struct nh_entry *nhs; /* NEXTHOP_CACHE */
	struct neigh_event nev[NEV_BATCH];
	struct nexthop_stats stats;
};

static size_t alen(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

static void key_set(struct nh_key *k, uint8_t family, const uint8_t *addr)
{
	memset(k, 0, sizeof(*k));
	k->family = family;
	memcpy(k->addr, addr, alen(family));
}

static uint32_t key_hash(const struct nh_key *k)
{
	uint64_t a, b;

	memcpy(&a, k->addr, 8);
	memcpy(&b, k->addr + 8, 8);
	return (uint32_t)mix64(a ^ mix64(b ^ k->family));
}

static void key_addr(const struct nh_key *k, struct rs_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = k->family;
	memcpy(a->bytes, k->addr, 16);
}

int nexthop_new(struct nexthop **out, const struct nexthop_config *cfg)
{
	struct nexthop *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->routes = calloc(NEXTHOP_ROUTE_CACHE, sizeof(*h->routes));
	h->nhs = calloc(NEXTHOP_CACHE, sizeof(*h->nhs));
	if (!h->routes || !h->nhs) {
		nexthop_free(h);
		return -ENOMEM;
	}
	h->nl = cfg->nl;
	h->ifindex = cfg->ifindex;
	h->loopback = cfg->loopback;
	h->noarp = cfg->noarp;
	*out = h;
	return 0;
}

void nexthop_free(struct nexthop *h)
{
	if (!h)
		return;
	free(h->routes);
	free(h->nhs);
	free(h);
}

void nexthop_set_keeper(struct nexthop *h, struct privsep *keeper)
{
	h->keeper = keeper;
}

int nexthop_route(struct nexthop *h, uint8_t family, const uint8_t addr[16],
		  uint8_t nexthop[16])
{
	struct route_entry *re;
	struct neigh_route r;
	struct nh_key k;
	struct rs_addr a;
	int ret;

	key_set(&k, family, addr);
	re = &h->routes[key_hash(&k) & (NEXTHOP_ROUTE_CACHE - 1)];
	if (re->valid && !memcmp(&re->key, &k, sizeof(k))) {
		memcpy(nexthop, re->nexthop, 16);
		return re->err;
	}
	key_addr(&k, &a);
	h->stats.lookups++;
	/* No oif in the lookup: with one, the kernel assumes that a target
	 * without a route is on-link there, and ARP would time out on it. */
	ret = neigh_route_get(h->nl, &a, 0, &r);
	if (ret == 0 && r.ifindex != h->ifindex)
		ret = -EXDEV; /* leaves by another interface */
	else if (ret == 0 && r.type == RTN_LOCAL && !h->loopback)
		ret = -EADDRNOTAVAIL; /* this host: only lo reaches it */
	else if (ret == 0 && r.type != RTN_UNICAST && r.type != RTN_LOCAL)
		ret = -EHOSTUNREACH; /* blackhole, prohibit, ... */
	re->key = k;
	re->valid = true;
	re->err = ret;
	memcpy(re->nexthop, ret ? k.addr : r.nexthop.bytes, 16);
	memcpy(nexthop, re->nexthop, 16);
	return ret;
}

static struct nh_entry *nh_slot(struct nexthop *h, uint8_t family,
				const uint8_t nh[16], struct nh_key *k)
{
	key_set(k, family, nh);
	return &h->nhs[key_hash(k) & (NEXTHOP_CACHE - 1)];
}

/*
 * How to read the kernel's answer about a next hop:
 *   Q_SOLICIT  first sight: nothing usable yet -> ask it to resolve, PENDING;
 *   Q_REFRESH  a poll while waiting: only VALID or FAILED change anything;
 *   Q_FINAL    the wait is over: anything but VALID is FAILED.
 */
enum nh_query_mode { Q_SOLICIT, Q_REFRESH, Q_FINAL };

static void nh_query(struct nexthop *h, struct nh_entry *n,
		     const struct nh_key *k, enum nh_query_mode mode,
		     uint64_t now)
{
	enum neigh_state st = NEIGH_ABSENT;
	bool same = n->state != NH_EMPTY && !memcmp(&n->key, k, sizeof(*k));
	struct rs_addr a;
	uint8_t mac[6];
	int ret;

	key_addr(k, &a);
	h->stats.lookups++;
	if (neigh_get(h->nl, h->ifindex, &a, mac, &st))
		st = NEIGH_ABSENT;
	n->key = *k;
	n->pass = h->pass;
	if (st == NEIGH_VALID) {
		n->state = NEXTHOP_VALID;
		memcpy(n->mac, mac, 6);
		return;
	}
	if (mode == Q_FINAL || (mode == Q_REFRESH && st != NEIGH_INCOMPLETE)) {
		if (mode == Q_FINAL && st != NEIGH_FAILED)
			h->stats.timeouts++;
		n->state = NEXTHOP_FAILED;
		n->since_ns = now;
		return;
	}
	if (mode == Q_REFRESH) { /* still resolving */
		if (!same || n->state != NEXTHOP_PENDING) {
			n->state = NEXTHOP_PENDING;
			n->since_ns = now;
		}
		return;
	}
	n->since_ns = now;
	if (st == NEIGH_INCOMPLETE) {
		n->state = NEXTHOP_PENDING; /* the kernel is already asking */
		return;
	}
	h->stats.solicits++;
	ret = h->keeper ? privsep_solicit(h->keeper, h->ifindex, &a) :
			  neigh_solicit(h->nl, h->ifindex, &a);
	n->state = ret ? NEXTHOP_FAILED : NEXTHOP_PENDING;
}

enum nexthop_state nexthop_lookup(struct nexthop *h, uint8_t family,
				  const uint8_t nh[16], uint8_t mac[6],
				  uint64_t *since, uint64_t now)
{
	struct nh_key k;
	struct nh_entry *n = nh_slot(h, family, nh, &k);

	if (h->noarp) {
		memset(mac, 0, 6);
		return NEXTHOP_VALID;
	}
	if (n->state == NH_EMPTY || memcmp(&n->key, &k, sizeof(k)) ||
	    (n->state == NEXTHOP_FAILED &&
	     now - n->since_ns >= NEXTHOP_FAILED_NS))
		nh_query(h, n, &k, Q_SOLICIT, now);
	else if (n->state == NEXTHOP_PENDING &&
		 now - n->since_ns >= NEXTHOP_WAIT_NS)
		nh_query(h, n, &k, Q_FINAL, now);
	memcpy(mac, n->mac, 6);
	*since = n->since_ns;
	return (enum nexthop_state)n->state;
}

void nexthop_new_pass(struct nexthop *h)
{
	h->pass++;
}

enum nexthop_state nexthop_recheck(struct nexthop *h, uint8_t family,
				   const uint8_t nh[16], uint8_t mac[6],
				   bool poll, uint64_t now)
{
	struct nh_key k;
	struct nh_entry *n = nh_slot(h, family, nh, &k);
	bool mine = !memcmp(&n->key, &k, sizeof(k));

	if (poll && (!mine || n->pass != h->pass)) {
		nh_query(h, n, &k, Q_REFRESH, now);
		mine = true;
	}
	if (!mine)
		return NEXTHOP_PENDING; /* evicted: the next poll asks again */
	if (n->state == NEXTHOP_VALID)
		memcpy(mac, n->mac, 6);
	return (enum nexthop_state)n->state;
}

int nexthop_events(struct nexthop *h, uint64_t now)
{
	int n, changed = 0;

	while ((n = neigh_events_read(h->nl, h->nev, NEV_BATCH)) > 0) {
		for (int i = 0; i < n; i++) {
			const struct neigh_event *ev = &h->nev[i];
			struct nh_entry *nh;
			struct nh_key k;

			if (ev->ifindex != h->ifindex ||
			    (ev->state != NEIGH_VALID &&
			     ev->state != NEIGH_FAILED))
				continue;
			nh = nh_slot(h, ev->addr.family, ev->addr.bytes, &k);
			if (memcmp(&nh->key, &k, sizeof(k)))
				continue; /* nobody asked (or evicted) */
			nh->state = ev->state == NEIGH_VALID ? NEXTHOP_VALID :
							       NEXTHOP_FAILED;
			memcpy(nh->mac, ev->mac, 6);
			nh->since_ns = now;
			changed = 1;
		}
		if (n < NEV_BATCH)
			break;
	}
	return n == -ENOBUFS ? -ENOBUFS : changed;
}

void nexthop_get_stats(const struct nexthop *h, struct nexthop_stats *st)
{
	*st = h->stats;
}
