/*
 * icmpreason.h - the reason an ICMP destination unreachable gives, in
 * nmap's words (its icmp_to_reason), for every engine alike.
 *
 * The UDP engine reads the code from the socket's error queue, the SYN
 * engine from the packet; both report the same code with the same reason,
 * so a `reason` column or a `--reason` line means one thing whatever the
 * scan type.  One code is no verdict: IPv4's fragmentation needed asks for
 * smaller datagrams and says nothing of the port (nmap ignores it too; a
 * probe of ours is far below any MTU, so it is stray or forged).
 *
 * Pure: no state, static strings.
 */
#ifndef RINGSCAN_ICMPREASON_H
#define RINGSCAN_ICMPREASON_H

#include <stdint.h>

/*
 * The reason for code `code` of an ICMP (family AF_INET, type 3) or ICMPv6
 * (AF_INET6, type 1) destination unreachable: "port-unreach" for the
 * port's own refusal (IPv4 code 3, IPv6 code 4), "admin-prohibited",
 * "host-unreach", ... or "dest-unreach" for a code without a name.  NULL
 * for IPv4's fragmentation needed (code 4): no verdict, the probe stays
 * unanswered.
 */
const char *icmp_unreach_reason(int family, uint8_t code);

#endif
