/*
 * addr.c - conversions for the one address type.
 *
 * Addresses are stored in network order so they can be copied straight into
 * a sockaddr or a packet; arithmetic on ranges wants a number, so the
 * conversion to rs_u128 reads the bytes big-endian by hand (no byte-swap
 * builtins for 128 bits, and a loop of at most 16 shifts is cheap enough for
 * the hot path).  Text goes through inet_pton/inet_ntop: the strict libc
 * parsers refuse inet_aton's shorthand ("1.2.3", "0x7f.1") which would turn a
 * typo into a scan of the wrong host.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "addr.h"

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

rs_u128 addr_to_u128(const struct rs_addr *a)
{
	size_t i, n = addr_len(a->family);
	rs_u128 v = 0;

	for (i = 0; i < n; i++)
		v = (v << 8) | a->bytes[i];
	return v;
}

void addr_from_u128(struct rs_addr *a, int family, rs_u128 v)
{
	size_t n = addr_len(family);

	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	while (n--) {
		a->bytes[n] = (uint8_t)v;
		v >>= 8;
	}
}

const char *addr_format(const struct rs_addr *a, char *buf, size_t len)
{
	if (!len)
		return buf;
	if (!inet_ntop(a->family, a->bytes, buf, (socklen_t)len)) {
		/* Unknown family or short buffer: say so, never garbage. */
		strncpy(buf, "?", len);
		buf[len - 1] = '\0';
	}
	return buf;
}

int addr_parse(const char *s, struct rs_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, a->bytes) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->bytes) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	memset(a, 0, sizeof(*a));
	return -EINVAL;
}

socklen_t addr_to_sockaddr(const struct rs_addr *a, uint16_t port,
			   struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, a->bytes, 16);
		return sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, a->bytes, 4);
		return sizeof(*sin);
	}
}

int addr_cmp(const struct rs_addr *a, const struct rs_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, addr_len(a->family));
}
