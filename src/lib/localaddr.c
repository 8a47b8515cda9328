/*
 * localaddr.c - walk this machine's interface addresses (see localaddr.h).
 *
 * getifaddrs() gives every address with its interface's flags in one
 * netlink dump; each is turned into an rs_addr here, once, so that no
 * caller copies sockaddr bytes by family itself.  Entries without an
 * address or of another family (AF_PACKET, one per interface) are skipped.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "localaddr.h"

int localaddr_each(int (*fn)(void *ctx, const struct rs_addr *a, bool up),
		   void *ctx)
{
	struct ifaddrs *ifa, *i;
	struct rs_addr a;
	int ret = 0;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i && !ret; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		memset(&a, 0, sizeof(a));
		if (i->ifa_addr->sa_family == AF_INET) {
			a.family = AF_INET;
			memcpy(a.bytes,
			       &((struct sockaddr_in *)i->ifa_addr)->sin_addr,
			       4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			a.family = AF_INET6;
			memcpy(a.bytes,
			       &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
			       16);
		} else {
			continue;
		}
		ret = fn(ctx, &a, (i->ifa_flags & IFF_UP) != 0);
	}
	freeifaddrs(ifa);
	return ret;
}
