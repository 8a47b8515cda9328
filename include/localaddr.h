/*
 * localaddr.h - the addresses of this machine's interfaces.
 *
 * Two callers need them: the connect scan, to know which targets are local
 * (a connect to a local port in the ephemeral range can connect to itself),
 * and the local audit, which scans every address of every interface that
 * is up.  Both walk the same getifaddrs() list through this module and
 * keep what they need: the scan every address, the audit only those of
 * interfaces that are up.
 *
 * Not on the hot path (once per run).  Never prints.
 */
#ifndef RINGSCAN_LOCALADDR_H
#define RINGSCAN_LOCALADDR_H

#include <stdbool.h>

#include "addr.h"

/*
 * Call fn(ctx, address, up) for every IPv4 and IPv6 address of every
 * interface, in the kernel's order; up says whether its interface is up.
 * A non-zero return from fn stops the walk and is returned.  0, fn's
 * value, or getifaddrs's -errno.
 */
int localaddr_each(int (*fn)(void *ctx, const struct rs_addr *a, bool up),
		   void *ctx);

#endif
