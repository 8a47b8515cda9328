/*
 * nexthop.h - where the SYN engine's frames go: target -> route -> next
 * hop -> MAC, asked of the kernel over netlink (neigh.h) and cached.
 *
 * A SYN built by hand needs the Ethernet address of the next hop, which
 * the kernel knows only once it has resolved it (ARP, neighbour
 * discovery).  This module owns that knowledge for one interface: a route
 * cache (target -> next hop, or why the target cannot be reached from
 * here) and a next-hop cache (next hop -> MAC and state), both direct-mapped
 * (a collision just costs a new query).  A next hop seen for the first time
 * is looked up; if the kernel has no usable entry it is asked to resolve it
 * (NTF_USE, through the privsep keeper once the scanner has dropped its
 * capabilities) and the entry is PENDING until a neighbour notification,
 * a poll, or NEXTHOP_WAIT_NS settles it.  A FAILED next hop is not asked
 * again for NEXTHOP_FAILED_NS.
 *
 * The engine keeps the waiting probes and decides when to look again
 * (notifications arrived, or its poll interval); this module only answers
 * for one next hop at a time.  Hot path: nexthop_route and nexthop_lookup
 * cost a hash and a compare on a cache hit; netlink round trips only on
 * a miss.  Allocation only in nexthop_new.  Single-threaded.
 */
#ifndef RINGSCAN_NEXTHOP_H
#define RINGSCAN_NEXTHOP_H

#include <stdbool.h>
#include <stdint.h>

#include "neigh.h"
#include "privsep.h"

/* A next hop not resolved after this is unreachable (ARP: 3 x 1 s). */
#define NEXTHOP_WAIT_NS 3500000000ULL
/* A failed next hop is not asked again for this long. */
#define NEXTHOP_FAILED_NS 30000000000ULL
/* Direct-mapped caches of routes (per target) and next hops. */
#define NEXTHOP_ROUTE_CACHE 65536
#define NEXTHOP_CACHE 4096

enum nexthop_state {
	NEXTHOP_VALID = 1, /* MAC known */
	NEXTHOP_PENDING, /* the kernel is resolving it */
	NEXTHOP_FAILED, /* unreachable */
};

struct nexthop_config {
	struct neigh *nl; /* borrowed: queries and notifications */
	int ifindex; /* the scan's interface */
	bool loopback; /* lo: this host's own addresses are reachable */
	bool noarp; /* no link-layer address to resolve (lo, NOARP) */
};

struct nexthop_stats {
	uint64_t lookups; /* route + neighbour netlink queries */
	uint64_t solicits; /* resolutions asked of the kernel */
	/* next hops given up on at NEXTHOP_WAIT_NS rather than on the
	 * kernel's verdict: a kernel that never says FAILED, or lost
	 * notifications */
	uint64_t timeouts;
};

struct nexthop;

/* -ENOMEM. */
int nexthop_new(struct nexthop **out, const struct nexthop_config *cfg);
void nexthop_free(struct nexthop *h);

/* From now on, ask keeper to solicit (the scanner lost CAP_NET_ADMIN). */
void nexthop_set_keeper(struct nexthop *h, struct privsep *keeper);

/*
 * The next hop towards addr (family, 16 bytes, IPv4 in the first four)
 * into nexthop[16]; 0, or why the target cannot be scanned from this
 * interface: -EXDEV (the route leaves by another interface),
 * -EADDRNOTAVAIL (an address of this host, not on lo), -EHOSTUNREACH
 * (blackhole, prohibit ...), or the kernel's error (-ENETUNREACH ...).
 */
int nexthop_route(struct nexthop *h, uint8_t family, const uint8_t addr[16],
		  uint8_t nexthop[16]);

/*
 * The state of next hop nh now, asking the kernel on first sight (and
 * soliciting it), after a failure older than NEXTHOP_FAILED_NS, and - to
 * settle it - when it has been pending for NEXTHOP_WAIT_NS.  mac is set
 * when VALID (zero on a NOARP link, which is always VALID); *since is when
 * the entry took its state: a waiter gives up at since + NEXTHOP_WAIT_NS.
 */
enum nexthop_state nexthop_lookup(struct nexthop *h, uint8_t family,
				  const uint8_t nh[16], uint8_t mac[6],
				  uint64_t *since, uint64_t now);

/*
 * Read the neighbour notifications waiting on the socket, without
 * blocking, into the cache.  1 if a next hop someone asked about was
 * settled, 0 if none, -ENOBUFS if notifications were lost: then only
 * asking the kernel (a poll pass) can tell.
 */
int nexthop_events(struct nexthop *h, uint64_t now);

/*
 * For a probe waiting on nh: its state now.  With poll, the kernel is
 * asked first, once per next hop per pass (nexthop_new_pass starts one);
 * without, the cache answers, and an entry the cache lost meanwhile reads
 * as still PENDING.
 */
void nexthop_new_pass(struct nexthop *h);
enum nexthop_state nexthop_recheck(struct nexthop *h, uint8_t family,
				   const uint8_t nh[16], uint8_t mac[6],
				   bool poll, uint64_t now);

void nexthop_get_stats(const struct nexthop *h, struct nexthop_stats *st);

#endif
