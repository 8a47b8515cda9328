/*
 * cookie.c - SipHash-2-4 (see cookie.h).
 *
 * The state is four 64-bit words initialised from the key xored with the
 * constants "somepseudorandomlygeneratedbytes".  The message is consumed as
 * little-endian 64-bit words, each xored into v3, mixed by two SipRounds
 * (the "2" of 2-4) and xored into v0; the last word holds the remaining 0-7
 * bytes with the message length mod 256 in its top byte, so messages that
 * differ only by trailing zeros hash apart.  Finalisation xors 0xff into v2
 * and runs four SipRounds (the "4"); the result is v0^v1^v2^v3.
 *
 * Words are assembled byte by byte: no unaligned or type-punned loads, so
 * the code is correct on any alignment and any host byte order, and no
 * strict-aliasing rule is involved.  The compiler turns the loop into one
 * load on little-endian machines anyway.
 *
 * The cookie message is packed as family, source address, destination
 * address, source port, destination port, so an IPv4 tuple can never hash
 * like an IPv6 one and fields cannot slide into each other.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "cookie.h"

static inline uint64_t rotl64(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define SIPROUND(v0, v1, v2, v3)     \
	do {                         \
		v0 += v1;            \
		v1 = rotl64(v1, 13); \
		v1 ^= v0;            \
		v0 = rotl64(v0, 32); \
		v2 += v3;            \
		v3 = rotl64(v3, 16); \
		v3 ^= v2;            \
		v0 += v3;            \
		v3 = rotl64(v3, 21); \
		v3 ^= v0;            \
		v2 += v1;            \
		v1 = rotl64(v1, 17); \
		v1 ^= v2;            \
		v2 = rotl64(v2, 32); \
	} while (0)

void cookie_key_from_bytes(struct cookie_key *k, const uint8_t bytes[16])
{
	k->k0 = load_le64(bytes);
	k->k1 = load_le64(bytes + 8);
}

int cookie_key_random(struct cookie_key *k)
{
	uint8_t b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	cookie_key_from_bytes(k, b);
	return 0;
}

uint64_t cookie_siphash24(const struct cookie_key *k, const void *msg,
			  size_t len)
{
	const uint8_t *p = msg;
	uint64_t v0 = k->k0 ^ 0x736f6d6570736575ULL;
	uint64_t v1 = k->k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k->k0 ^ 0x6c7967656e657261ULL;
	uint64_t v3 = k->k1 ^ 0x7465646279746573ULL;
	uint64_t m, last;
	size_t left = len;

	for (; left >= 8; left -= 8, p += 8) {
		m = load_le64(p);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	last = (uint64_t)(len & 0xff) << 56;
	for (size_t i = 0; i < left; i++)
		last |= (uint64_t)p[i] << (8 * i);
	v3 ^= last;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= last;

	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

uint32_t cookie_tcp(const struct cookie_key *k, int family,
		    const uint8_t *saddr, const uint8_t *daddr, uint16_t sport,
		    uint16_t dport)
{
	uint8_t m[1 + 16 + 16 + 2 + 2];
	size_t alen = family == AF_INET6 ? 16 : 4;
	size_t n = 0;

	m[n++] = (uint8_t)family;
	memcpy(m + n, saddr, alen);
	n += alen;
	memcpy(m + n, daddr, alen);
	n += alen;
	m[n++] = (uint8_t)(sport >> 8);
	m[n++] = (uint8_t)sport;
	m[n++] = (uint8_t)(dport >> 8);
	m[n++] = (uint8_t)dport;
	return (uint32_t)cookie_siphash24(k, m, n);
}
