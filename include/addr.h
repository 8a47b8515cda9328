/*
 * addr.h - one address type for both families.
 *
 * Every target address in ringscan is an `rs_addr`: a family and 16 bytes in
 * network byte order (IPv4 uses the first four).  Ranges of addresses are
 * handled as 128-bit unsigned integers (`rs_u128`) so that IPv4 and IPv6 share
 * one arithmetic; the family travels beside the number.  Pure functions, no
 * state, safe anywhere including the hot path.
 */
#ifndef RINGSCAN_ADDR_H
#define RINGSCAN_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

typedef unsigned __int128 rs_u128;

struct rs_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t bytes[16]; /* network order; IPv4 in bytes[0..3] */
};

/* Longest text form plus NUL ("ffff:...:255.255.255.255"). */
#define RS_ADDR_STRLEN 46

/* Address <-> integer (host order); IPv4 values are < 2^32. */
rs_u128 addr_to_u128(const struct rs_addr *a);
void addr_from_u128(struct rs_addr *a, int family, rs_u128 v);

/* Text form (inet_ntop); returns buf. */
const char *addr_format(const struct rs_addr *a, char *buf, size_t len);

/* Parse a literal IPv4 or IPv6 address; 0 or -EINVAL. */
int addr_parse(const char *s, struct rs_addr *a);

/* Fill a sockaddr_in/in6 for a connect to a:port; returns its length. */
socklen_t addr_to_sockaddr(const struct rs_addr *a, uint16_t port,
			   struct sockaddr_storage *ss);

/* Compare (family first, then value): <0, 0, >0. */
int addr_cmp(const struct rs_addr *a, const struct rs_addr *b);

#endif
