/*
 * neigh.h - what the kernel knows about getting a frame to a target: the
 * route (interface, next hop, preferred source), the link (MAC, type, MTU,
 * addresses) and the next hop's MAC from the neighbour table, over
 * rtnetlink (libmnl).
 *
 * A SYN scan writes whole Ethernet frames, so it must address each one to
 * the next hop's MAC itself.  Rather than speak ARP/NDP, it asks the kernel:
 * RTM_GETROUTE for the route to a target (policy routing and all, exactly as
 * a connect() would go), then RTM_GETNEIGH for the next hop.  When the
 * kernel has no usable entry, neigh_solicit asks it to resolve one with an
 * RTM_NEWNEIGH carrying NTF_USE: the kernel creates the entry and sends the
 * ARP request or neighbour solicitation just as if a packet were waiting,
 * without our sending anything to the target (the alternative, a UDP
 * datagram to the discard port, reaches the target's stack and is visible
 * to it).  Results arrive as RTM_NEWNEIGH notifications on the event socket
 * (RTNLGRP_NEIGH), read without blocking; neigh_get can always poll.
 *
 * Requests are synchronous round trips on one socket; events come on a
 * second, non-blocking one so that a notification can never be mistaken
 * for a reply.  Not on the per-packet hot path: callers cache (the SYN
 * engine asks once per new target host).  Single-threaded.
 */
#ifndef RINGSCAN_NEIGH_H
#define RINGSCAN_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

/* IF_NAMESIZE, without <net/if.h> (it clashes with <linux/if.h>). */
#define NEIGH_IFNAMSIZ 16

enum neigh_state {
	NEIGH_ABSENT, /* no entry (or a fresh one not yet resolving) */
	NEIGH_INCOMPLETE, /* resolution in progress */
	NEIGH_VALID, /* reachable, stale, delay, probe, permanent, noarp */
	NEIGH_FAILED, /* resolution failed: nobody answers */
};

struct neigh_route {
	int ifindex; /* output interface */
	uint8_t type; /* RTN_UNICAST, RTN_LOCAL, ... */
	bool via_gateway;
	struct rs_addr nexthop; /* the gateway, or the target when on-link */
	bool has_prefsrc;
	struct rs_addr prefsrc; /* the source the kernel would pick */
};

struct neigh_link {
	int ifindex;
	char name[NEIGH_IFNAMSIZ];
	uint16_t type; /* ARPHRD_ETHER (1), ARPHRD_LOOPBACK (772), ... */
	unsigned flags; /* IFF_UP, IFF_NOARP, IFF_LOOPBACK, ... */
	uint32_t mtu;
	bool has_mac;
	uint8_t mac[6];
};

struct neigh_event {
	int ifindex;
	struct rs_addr addr;
	enum neigh_state state;
	uint8_t mac[6]; /* when state is NEIGH_VALID */
};

struct neigh;

/* events: also open the notification socket.  -errno from socket/bind. */
int neigh_new(struct neigh **out, bool events);
void neigh_free(struct neigh *n);

/* The event socket's fd for poll(), or -1 without events. */
int neigh_event_fd(const struct neigh *n);

/*
 * Route to dst as the kernel would choose it; oif > 0 restricts the lookup
 * to that interface (like `ip route get DST oif IF`).  -ENETUNREACH,
 * -EHOSTUNREACH, -EINVAL ... as the kernel answers; -EOPNOTSUPP for a next
 * hop of the other family (RTA_VIA).
 */
int neigh_route_get(struct neigh *n, const struct rs_addr *dst, int oif,
		    struct neigh_route *r);

/* The link by index (ifindex > 0) or by name.  -ENODEV. */
int neigh_link_get(struct neigh *n, int ifindex, const char *name,
		   struct neigh_link *l);

/*
 * The first usable address of family on the interface (global scope, not
 * tentative or deprecated).  -EADDRNOTAVAIL if there is none.
 */
int neigh_link_addr(struct neigh *n, int ifindex, int family,
		    struct rs_addr *out);

/* The neighbour entry for addr on ifindex; mac is set when VALID. */
int neigh_get(struct neigh *n, int ifindex, const struct rs_addr *addr,
	      uint8_t mac[6], enum neigh_state *st);

/* Ask the kernel to resolve addr on ifindex now (NTF_USE). */
int neigh_solicit(struct neigh *n, int ifindex, const struct rs_addr *addr);

/*
 * Read up to max pending notifications without blocking; returns how many
 * were written to ev (0: none pending), or -ENOBUFS when the kernel dropped
 * some (the caller must re-query what it waits for), or -errno.
 */
int neigh_events_read(struct neigh *n, struct neigh_event *ev, uint32_t max);

#endif
