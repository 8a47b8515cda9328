/*
 * ports.h - the list of ports to scan, parsed from nmap's -p syntax.
 *
 *   22,80,443        list
 *   8000-8100        range;  -1024 means 1-1024, 60000- means 60000-65535
 *   -  (from -p-)    1-65535
 *   http, ssh        service names from /etc/services; "http*" patterns
 *   T:22,U:53,161    "T:" and "U:" switch the protocol of the items that
 *                    follow; items before any prefix are for every scan
 *                    type given (-sT/-sS and -sU); "S:" is refused
 * Each protocol's list is sorted ascending with duplicates removed.  Port 0
 * is refused (a connect to port 0 is not a probe).
 *
 * The protocol is part of the list: a scan's portlist holds its TCP ports
 * first and its UDP ports after them (the last nudp entries), each part
 * sorted, so a probe number (host * count + index) names the protocol too
 * and the state store, the scheduler and checkpoints need no change.  A
 * list of one protocol only (the parsers' outputs) has nudp = 0 whatever
 * its protocol; ports_join() makes the scan's list from two of them.
 *
 * Ports chosen by how often they are found open are nmap's: ports_top()
 * takes them from the ranking of nmap-services (services.h), for the
 * default scan (top 1000), -F (top 100), --top-ports N and --port-ratio R,
 * within a -p list when one is given, as nmap does.  Without nmap's
 * database the default set is ports_default(): 1-1024 plus a built-in
 * list of common service ports above 1024 (documented in the README), and
 * -F is ports_named(), every port the services file names (nmap's rule
 * for a file without frequencies).
 *
 * A portlist is a plain value (256 KiB), filled once by the CLI and read
 * only afterwards; ports_proto() is O(1) for the hot path.
 */
#ifndef RINGSCAN_PORTS_H
#define RINGSCAN_PORTS_H

#include <stdint.h>

#include "error.h"
#include "services.h"

struct portlist {
	uint32_t count;
	uint32_t nudp; /* the last nudp ports are UDP, the others TCP */
	uint16_t port[2 * 65536];
};

/* The protocol of pl->port[idx]. */
static inline enum rs_proto ports_proto(const struct portlist *pl, uint32_t idx)
{
	return idx >= pl->count - pl->nudp ? RS_UDP : RS_TCP;
}

/* Which protocols bare items go to, and which ones received items. */
#define PORTS_F_TCP (1u << RS_TCP)
#define PORTS_F_UDP (1u << RS_UDP)

/*
 * Parse spec into a TCP and a UDP list (each nudp = 0).  Items before a
 * prefix go to the protocols in bare (PORTS_F_*); *seen (may be NULL) says
 * which protocols received items, so that the CLI can tell "U: ports but
 * no -sU" apart from an empty list.  udp NULL: "U:" is refused and every
 * item is TCP.  svc may be NULL (then names are refused).
 */
int ports_parse_protos(const char *spec, const struct services *svc,
		       unsigned bare, struct portlist *tcp,
		       struct portlist *udp, unsigned *seen,
		       struct rs_error *err);

/* TCP only: ports_parse_protos(spec, svc, PORTS_F_TCP, pl, NULL, ...). */
int ports_parse(const char *spec, const struct services *svc,
		struct portlist *pl, struct rs_error *err);

void ports_default(struct portlist *pl);

/* -sU without nmap's frequencies: a built-in list of common UDP ports. */
void ports_default_udp(struct portlist *pl);

/*
 * The scan's list: tcp's ports, then udp's (pl->nudp = udp->count).  pl
 * may be tcp itself.  -EINVAL if either input already holds two protocols.
 */
int ports_join(struct portlist *pl, const struct portlist *tcp,
	       const struct portlist *udp);

/*
 * From svc's ranking for proto (nmap's order), the first `top` ports (0:
 * no limit) whose frequency is at least min_ratio, skipping ports not in
 * within (NULL: any port); pl is sorted.  -ENOENT if svc has no
 * frequencies.
 */
int ports_top(const struct services *svc, enum rs_proto proto, uint32_t top,
	      double min_ratio, const struct portlist *within,
	      struct portlist *pl);

/* Every port of proto that svc names (port 0 aside), sorted. */
void ports_named(const struct services *svc, enum rs_proto proto,
		 struct portlist *pl);

/*
 * Remove from pl every port in ex (--exclude-ports); pl stays sorted.
 * Both lists of one protocol (nudp = 0).
 */
void ports_remove(struct portlist *pl, const struct portlist *ex);

/* Index of proto's port in pl (binary search in its part), or -ENOENT. */
int ports_index_proto(const struct portlist *pl, enum rs_proto proto,
		      uint16_t port, uint32_t *idx);

/* ports_index_proto(pl, RS_TCP, ...): a TCP-only list, as before UDP. */
int ports_index(const struct portlist *pl, uint16_t port, uint32_t *idx);

#endif
