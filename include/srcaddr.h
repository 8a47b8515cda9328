/*
 * srcaddr.h - the local source addresses a scan spreads its probes across
 * (--source-ip LIST for -sT and -sU).
 *
 * Why several sources: a target rate-limits its ICMP errors (and some
 * their RSTs) per peer address - Linux sends about one port unreachable a
 * second to each peer after a burst of about six - so a scan whose
 * probes come from N of our addresses gets N budgets.  The list uses the
 * target syntax (targets.h) without host names: addresses, "a-b" ranges,
 * CIDR blocks and nmap octet ranges, several separated by commas, both
 * families.  Every address must be a unicast address of this machine:
 * srcaddr_check_local proves it by binding a socket to it, which is the
 * kernel's own test (an address it would refuse at bind time is refused
 * here, before anything is sent).
 *
 * Which source a probe uses is srcaddr_next: the sources of the target's
 * family in turn, one engine-wide turn per family.  Each source's budget
 * at a target refills at its own rate, so what counts is how evenly in
 * time the sends to one target spread over the sources: in turn, a host
 * probed k times a second gets k/n from each source.  (Probe number plus
 * attempt modulo n spread a host's ports evenly in count, but the
 * permuted send order made it random in time: at a pace near the summed
 * budget, sources picked twice in a row were over theirs, and a
 * simulated 1000-port, 32-source scan took 90-110 s instead of 50.)
 *
 * Built once by the CLI (not thread-safe while built), then read only:
 * srcaddr_next and srcaddr_sockaddr are safe on the hot path.
 */
#ifndef RINGSCAN_SRCADDR_H
#define RINGSCAN_SRCADDR_H

#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"
#include "error.h"

/* Sources at most: a bound on the bind test at start and on the tables
 * the engines keep; 4096 budgets is 4096 ICMP errors a second from a
 * Linux target, four times its global icmp_msgs_per_sec. */
#define SRCADDR_MAX 4096

struct srcaddr;

int srcaddr_new(struct srcaddr **out);
void srcaddr_free(struct srcaddr *s);

/*
 * Add a comma-separated list.  -EINVAL with err (a token that is not an
 * address, range or CIDR - names are refused: a source must be ours, not
 * whatever a resolver says), -ENOMEM.
 */
int srcaddr_add(struct srcaddr *s, const char *list, struct rs_error *err);

/*
 * Merge duplicates, index by family.  -E2BIG beyond SRCADDR_MAX; -EINVAL
 * with err for an address no socket can have as its source (unspecified,
 * multicast, broadcast, IPv4-mapped).  No add after this.
 */
int srcaddr_finalize(struct srcaddr *s, struct rs_error *err);

/* Sources of a family (AF_INET, AF_INET6), or of both with 0. */
uint32_t srcaddr_count(const struct srcaddr *s, int family);

/* Source i (< srcaddr_count(s, family)) of a family. */
const struct rs_addr *srcaddr_get(const struct srcaddr *s, int family,
				  uint32_t i);

/*
 * The sources of a family as sockaddrs (port 0) in one new array, which
 * the engines' bind ops point at for the whole scan: *out (the caller
 * frees it) and *n; NULL and 0 when the family has none.  -ENOMEM.
 */
int srcaddr_sockaddrs(const struct srcaddr *s, int family,
		      struct sockaddr_storage **out, uint32_t *n);

/*
 * Bind a UDP socket to every source (port 0): 0 when all are this
 * machine's, else the bind's -errno (EADDRNOTAVAIL: not assigned here,
 * or an IPv6 address still tentative) with the first refused address in
 * *bad.  Not on the hot path (two syscalls per source).
 */
int srcaddr_check_local(const struct srcaddr *s, struct rs_addr *bad);

/* The next source index among n > 0; *turn (start 0) is the caller's. */
static inline uint32_t srcaddr_next(uint32_t n, uint32_t *turn)
{
	uint32_t i = *turn < n ? *turn : 0;

	*turn = i + 1 < n ? i + 1 : 0;
	return i;
}

#endif
