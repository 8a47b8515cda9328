/*
 * icmpreason.c - ICMP destination unreachable codes as nmap's reasons (see
 * icmpreason.h).
 *
 * A switch per family: the codes are small and sparse, and a code without
 * a name of its own still gets one ("dest-unreach"), so a new code a
 * router invents never prints as nothing.  IPv6's codes 1 and 5 (an
 * administrative prohibition, a source address that failed a policy) are
 * both a filter's doing and read as such.
 */
#include <stddef.h>
#include <sys/socket.h>

#include "icmpreason.h"

const char *icmp_unreach_reason(int family, uint8_t code)
{
	if (family == AF_INET) {
		switch (code) {
		case 0:
			return "net-unreach";
		case 1:
			return "host-unreach";
		case 2:
			return "proto-unreach";
		case 3:
			return "port-unreach";
		case 4:
			return NULL; /* fragmentation needed: no verdict */
		case 9:
			return "net-prohibited";
		case 10:
			return "host-prohibited";
		case 13:
			return "admin-prohibited";
		default:
			return "dest-unreach";
		}
	}
	switch (code) {
	case 0:
		return "no-route";
	case 1: /* communication administratively prohibited */
	case 5: /* source address failed ingress/egress policy */
		return "admin-prohibited";
	case 2:
		return "beyond-scope";
	case 3:
		return "host-unreach";
	case 4:
		return "port-unreach";
	case 6:
		return "reject-route";
	default:
		return "dest-unreach";
	}
}
