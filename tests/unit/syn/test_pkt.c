/*
 * test_pkt.c - frames built from templates are exactly right, and the
 * reply parser refuses every malformed frame without reading past it.
 *
 * Checksums are verified by an independent routine (a 64-bit sum of words
 * loaded with memcpy/ntohs over the finished header, checksum field
 * included, which must fold to 0xffff) and against a textbook header whose
 * checksum is known.  Every parser input is placed so that its last byte is
 * the last byte before a PROT_NONE page (the picohttpparser technique): an
 * over-read by even one byte is a SIGSEGV, with or without ASan.  Each test
 * frame is also parsed at every truncated length.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "guard.h"
#include "pkt.h"

/* Parse len bytes placed so that they end right at a PROT_NONE page. */
static int parse_guarded(const uint8_t *p, size_t len, struct pkt_reply *r)
{
	struct guarded g;
	int ret;

	ret = pkt_parse(guard_copy(&g, p, len, false), len, r);
	guard_free(&g);
	return ret;
}

/* Independent checksum: 64-bit accumulation of memcpy'd words. */
static uint16_t ref_fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint64_t ref_sum(const uint8_t *p, size_t len)
{
	uint64_t s = 0;
	uint16_t w;

	for (size_t i = 0; i + 1 < len; i += 2) {
		memcpy(&w, p + i, 2);
		s += ntohs(w);
	}
	if (len & 1)
		s += (uint64_t)p[len - 1] << 8;
	return s;
}

/* The TCP checksum of a finished v4/v6 frame verifies (sums to 0xffff). */
static void check_tcp_csum(const uint8_t *f, size_t len)
{
	uint64_t s;
	const uint8_t *ip = f + 14;
	size_t l4, tcp_len;

	if (ip[0] >> 4 == 4) {
		l4 = 14 + (size_t)(ip[0] & 15) * 4;
		tcp_len = (size_t)((ip[2] << 8) | ip[3]) - (l4 - 14);
		s = ref_sum(ip + 12, 8) + 6 + tcp_len;
		assert_int_equal(ref_fold(ref_sum(ip, l4 - 14)), 0xffff);
	} else {
		l4 = 14 + 40;
		tcp_len = (size_t)((ip[4] << 8) | ip[5]);
		s = ref_sum(ip + 8, 32) + 6 + tcp_len;
	}
	assert_int_equal(l4 + tcp_len, len);
	s += ref_sum(f + l4, tcp_len);
	assert_int_equal(ref_fold(s), 0xffff);
}

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t v4_a[4] = { 198, 18, 0, 1 };
static const uint8_t v4_b[4] = { 198, 18, 0, 2 };
static const uint8_t v6_a[16] = { 0xfd, 0x00, 0x52, 0x53, [15] = 1 };
static const uint8_t v6_b[16] = { 0xfd, 0x00, 0x52, 0x53, [15] = 2 };

/* The IPv4 header from RFC 1071-style textbook examples: checksum b861. */
static void test_csum_known_header(void **state)
{
	static const uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
				       0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
				       0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

	(void)state;
	assert_int_equal(pkt_csum_fold(pkt_csum_add(0, h, sizeof(h))), 0xb861);
	/* Odd length pads with a zero byte on the right. */
	assert_int_equal(pkt_csum_add(0, (const uint8_t *)"\x01\x02\x03", 3),
			 0x0102 + 0x0300);
	/* Folding carries more than once. */
	assert_int_equal(pkt_csum_fold(0x1ffff), 0xfffe);
}

static void test_syn_v4_layout(void **state)
{
	struct pkt_template t;
	uint8_t f[PKT_FRAME_MAX];
	uint32_t len;

	(void)state;
	assert_int_equal(
		pkt_template_init(&t, PKT_SYN, AF_INET, mac_a, v4_a, 64), 0);
	len = pkt_build(&t, f, mac_b, v4_b, 61000, 443, 0x01020304, 0);
	assert_int_equal(len, 14 + 20 + 24);
	assert_memory_equal(f, mac_b, 6);
	assert_memory_equal(f + 6, mac_a, 6);
	assert_int_equal(f[12], 0x08);
	assert_int_equal(f[13], 0x00);
	assert_int_equal(f[14], 0x45);
	assert_int_equal((f[16] << 8) | f[17], 44); /* total length */
	assert_int_equal(f[20] & 0x40, 0x40); /* DF */
	assert_int_equal(f[22], 64); /* TTL */
	assert_int_equal(f[23], 6); /* TCP */
	assert_memory_equal(f + 26, v4_a, 4);
	assert_memory_equal(f + 30, v4_b, 4);
	assert_int_equal((f[34] << 8) | f[35], 61000);
	assert_int_equal((f[36] << 8) | f[37], 443);
	assert_int_equal(f[38], 1);
	assert_int_equal(f[41], 4);
	assert_int_equal(f[42] | f[43] | f[44] | f[45], 0); /* ack */
	assert_int_equal(f[46], 6 << 4); /* data offset 24 bytes */
	assert_int_equal(f[47], PKT_TCP_SYN);
	assert_int_equal((f[48] << 8) | f[49], PKT_SYN_WINDOW);
	assert_int_equal(f[52] << 8 | f[53], 0); /* urgent */
	assert_int_equal(f[54], 2); /* MSS option */
	assert_int_equal(f[55], 4);
	assert_int_equal((f[56] << 8) | f[57], PKT_SYN_MSS);
	check_tcp_csum(f, len);
}

static void test_rst_v6_layout(void **state)
{
	struct pkt_template t;
	uint8_t f[PKT_FRAME_MAX];
	uint32_t len;

	(void)state;
	assert_int_equal(
		pkt_template_init(&t, PKT_RST, AF_INET6, mac_a, v6_a, 255), 0);
	len = pkt_build(&t, f, mac_b, v6_b, 61001, 22, 0xfffffffe, 0);
	assert_int_equal(len, 14 + 40 + 20);
	assert_int_equal(f[12], 0x86);
	assert_int_equal(f[13], 0xdd);
	assert_int_equal(f[14] >> 4, 6);
	assert_int_equal((f[18] << 8) | f[19], 20); /* payload length */
	assert_int_equal(f[20], 6);
	assert_int_equal(f[21], 255);
	assert_memory_equal(f + 22, v6_a, 16);
	assert_memory_equal(f + 38, v6_b, 16);
	assert_int_equal(f[54 + 12], 5 << 4);
	assert_int_equal(f[54 + 13], PKT_TCP_RST);
	check_tcp_csum(f, len);
}

static void test_template_rejects_family(void **state)
{
	struct pkt_template t;

	(void)state;
	assert_int_equal(pkt_template_init(&t, PKT_SYN, AF_UNIX, mac_a, v4_a,
					   64),
			 -EINVAL);
}

/* Many tuples, both families and kinds, any output alignment. */
static void test_checksums_random(void **state)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	uint8_t buf[PKT_FRAME_MAX + 8];
	struct pkt_template t;
	struct pkt_reply r;

	(void)state;
	srand(7);
	for (int fi = 0; fi < 2; fi++) {
		for (int kind = PKT_SYN; kind <= PKT_RST; kind++) {
			uint8_t src[16], dst[16];

			for (int i = 0; i < 16; i++)
				src[i] = (uint8_t)rand();
			assert_int_equal(pkt_template_init(&t, kind, fams[fi],
							   mac_a, src, 64),
					 0);
			for (int n = 0; n < 20000; n++) {
				uint8_t *out = buf + (n & 7);
				uint16_t sp = (uint16_t)rand(),
					 dp = (uint16_t)rand();
				uint32_t seq = (uint32_t)rand() << 1 ^
					       (uint32_t)rand();
				uint32_t len;

				for (int i = 0; i < 16; i++)
					dst[i] = (uint8_t)rand();
				if (n < 4) { /* the extremes */
					memset(dst, n & 1 ? 0xff : 0, 16);
					sp = dp = n & 1 ? 0xffff : 0;
					seq = n & 1 ? UINT32_MAX : 0;
				}
				len = pkt_build(&t, out, mac_b, dst, sp, dp,
						seq, seq ^ 0x5a5a5a5a);
				check_tcp_csum(out, len);
				assert_int_equal(pkt_parse(out, len, &r), 0);
				assert_int_equal(r.family, fams[fi]);
				assert_int_equal(r.sport, sp);
				assert_int_equal(r.dport, dp);
				assert_int_equal(r.seq, seq);
				assert_int_equal(r.ack, seq ^ 0x5a5a5a5a);
				assert_memory_equal(r.daddr, dst,
						    fams[fi] == AF_INET ? 4 :
									  16);
				assert_memory_equal(r.src_mac, mac_a, 6);
			}
		}
	}
}

/*
 * Hand-made replies, independent of pkt_build.  opt_words of IPv4 options
 * (NOPs), tcp_opt bytes of TCP options, payload bytes after the header.
 */
struct v4spec {
	int opt_words;
	int tcp_opt;
	int payload;
	uint8_t flags;
};

static size_t mk_v4(uint8_t *f, const struct v4spec *s)
{
	size_t ihl = 20 + (size_t)s->opt_words * 4;
	size_t thl = 20 + (size_t)s->tcp_opt;
	size_t tot = ihl + thl + (size_t)s->payload;
	uint8_t *ip = f + 14, *tcp = ip + ihl;
	uint16_t c;

	memset(f, 0, 14 + tot);
	memcpy(f, mac_a, 6);
	memcpy(f + 6, mac_b, 6);
	f[12] = 0x08;
	ip[0] = (uint8_t)(0x40 | (ihl / 4));
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[6] = 0x40;
	ip[8] = 63;
	ip[9] = 6;
	memcpy(ip + 12, v4_b, 4);
	memcpy(ip + 16, v4_a, 4);
	memset(ip + 20, 1, ihl - 20); /* NOP options */
	c = htons((uint16_t)~ref_fold(ref_sum(ip, ihl)));
	memcpy(ip + 10, &c, 2);
	tcp[0] = 0x01;
	tcp[1] = 0xbb; /* sport 443 */
	tcp[2] = 0xee;
	tcp[3] = 0x48; /* dport 61000 */
	tcp[4] = 0xaa; /* seq aabbccdd */
	tcp[5] = 0xbb;
	tcp[6] = 0xcc;
	tcp[7] = 0xdd;
	tcp[8] = 0x11; /* ack 11223345 */
	tcp[9] = 0x22;
	tcp[10] = 0x33;
	tcp[11] = 0x45;
	tcp[12] = (uint8_t)((thl / 4) << 4);
	tcp[13] = s->flags;
	memset(tcp + 20, 1, (size_t)s->tcp_opt);
	memset(tcp + thl, 'x', (size_t)s->payload);
	return 14 + tot;
}

static void refresh_v4_csum(uint8_t *f)
{
	uint8_t *ip = f + 14;
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	uint16_t c;

	ip[10] = ip[11] = 0;
	c = htons((uint16_t)~ref_fold(ref_sum(ip, ihl)));
	memcpy(ip + 10, &c, 2);
}

static size_t mk_v6(uint8_t *f, uint8_t nexthdr, int payload)
{
	size_t plen = 20 + (size_t)payload;
	uint8_t *ip = f + 14, *tcp = ip + 40;

	memset(f, 0, 14 + 40 + plen);
	memcpy(f, mac_a, 6);
	memcpy(f + 6, mac_b, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	ip[0] = 0x60;
	ip[4] = (uint8_t)(plen >> 8);
	ip[5] = (uint8_t)plen;
	ip[6] = nexthdr;
	ip[7] = 64;
	memcpy(ip + 8, v6_b, 16);
	memcpy(ip + 24, v6_a, 16);
	tcp[0] = 0x00;
	tcp[1] = 0x16; /* sport 22 */
	tcp[2] = 0xee;
	tcp[3] = 0x49;
	tcp[11] = 7; /* ack 7 */
	tcp[12] = 5 << 4;
	tcp[13] = PKT_TCP_RST | PKT_TCP_ACK;
	return 14 + 40 + plen;
}

/* Every strict prefix of a frame is refused (without over-reading). */
static void check_all_prefixes(const uint8_t *f, size_t len)
{
	struct pkt_reply r;

	for (size_t n = 0; n < len; n++) {
		int ret = parse_guarded(f, n, &r);

		assert_true(ret == -EMSGSIZE || ret == -EBADMSG);
	}
	assert_int_equal(parse_guarded(f, len, &r), 0);
}

static void test_parse_v4_synack(void **state)
{
	struct v4spec s = { 0, 0, 0, PKT_TCP_SYN | PKT_TCP_ACK };
	uint8_t f[256];
	struct pkt_reply r;
	size_t len = mk_v4(f, &s);

	(void)state;
	assert_int_equal(parse_guarded(f, len, &r), 0);
	assert_int_equal(r.family, AF_INET);
	assert_memory_equal(r.saddr, v4_b, 4);
	assert_memory_equal(r.daddr, v4_a, 4);
	assert_memory_equal(r.src_mac, mac_b, 6);
	assert_int_equal(r.sport, 443);
	assert_int_equal(r.dport, 61000);
	assert_int_equal(r.seq, 0xaabbccdd);
	assert_int_equal(r.ack, 0x11223345);
	assert_int_equal(r.flags, PKT_TCP_SYN | PKT_TCP_ACK);
	check_all_prefixes(f, len);
}

static void test_parse_v4_options_and_payload(void **state)
{
	struct v4spec s = { 10, 20, 33, PKT_TCP_RST | PKT_TCP_ACK };
	uint8_t f[256];
	struct pkt_reply r;
	size_t len = mk_v4(f, &s);

	(void)state;
	assert_int_equal(parse_guarded(f, len, &r), 0);
	assert_int_equal(r.sport, 443);
	assert_int_equal(r.dport, 61000);
	assert_int_equal(r.ack, 0x11223345);
	assert_int_equal(r.flags, PKT_TCP_RST | PKT_TCP_ACK);
	check_all_prefixes(f, len);
	/* Ethernet padding after the IP datagram is fine. */
	memset(f + len, 0, 20);
	assert_int_equal(parse_guarded(f, len + 20, &r), 0);
	assert_int_equal(r.ack, 0x11223345);
}

static void test_parse_v4_malformed(void **state)
{
	struct v4spec s = { 1, 4, 0, PKT_TCP_SYN | PKT_TCP_ACK };
	uint8_t f[256], g[256];
	struct pkt_reply r;
	size_t len = mk_v4(f, &s);

	(void)state;
#define MUTATE(expr, want)                                         \
	do {                                                       \
		memcpy(g, f, len);                                 \
		expr;                                              \
		assert_int_equal(parse_guarded(g, len, &r), want); \
	} while (0)
	MUTATE(g[14] = 0x55, -EBADMSG); /* version 5 */
	MUTATE((g[14] = 0x44, refresh_v4_csum(g)), -EBADMSG); /* IHL 4 */
	MUTATE((g[14] = 0x40, refresh_v4_csum(g)), -EBADMSG); /* IHL 0 */
	/* IHL 15 = 60 bytes: inside this frame but past the total length. */
	MUTATE((g[14] = 0x4f, refresh_v4_csum(g)), -EBADMSG);
	MUTATE((g[16] = 0, g[17] = 19, refresh_v4_csum(g)), -EBADMSG);
	MUTATE((g[16] = 0x05, refresh_v4_csum(g)), -EMSGSIZE); /* too long */
	MUTATE(g[24] ^= 0x01, -EBADMSG); /* checksum */
	MUTATE((g[20] |= 0x20, refresh_v4_csum(g)), -EOPNOTSUPP); /* MF */
	MUTATE((g[21] = 0x01, refresh_v4_csum(g)), -EOPNOTSUPP); /* offset */
	MUTATE((g[23] = 17, refresh_v4_csum(g)), -EPROTONOSUPPORT); /* UDP */
	MUTATE((g[23] = 1, refresh_v4_csum(g)), -EPROTONOSUPPORT); /* ICMP */
	MUTATE((g[12] = 0x08, g[13] = 0x06), -EPROTONOSUPPORT); /* ARP */
	MUTATE(g[14 + 24 + 12] = 0x40, -EBADMSG); /* doff 4 */
	MUTATE(g[14 + 24 + 12] = 0x00, -EBADMSG); /* doff 0 */
	MUTATE(g[14 + 24 + 12] = 0xf0, -EBADMSG); /* doff 60 > segment */
	MUTATE(g[14 + 24 + 12] = 0x50, 0); /* doff 20 < 24: options ignored */
#undef MUTATE
	/* A tiny IHL 15 header with a huge total length: truncated. */
	memcpy(g, f, len);
	g[14] = 0x4f;
	g[16] = 0xff;
	refresh_v4_csum(g);
	assert_int_equal(parse_guarded(g, 14 + 30, &r), -EMSGSIZE);
}

static void test_parse_vlan(void **state)
{
	struct v4spec s = { 0, 0, 0, PKT_TCP_SYN | PKT_TCP_ACK };
	uint8_t f[256], g[256];
	struct pkt_reply r;
	size_t len = mk_v4(f, &s);

	(void)state;
	/* One 802.1Q tag. */
	memcpy(g, f, 12);
	g[12] = 0x81;
	g[13] = 0x00;
	g[14] = 0x00;
	g[15] = 0x07;
	memcpy(g + 16, f + 12, len - 12);
	assert_int_equal(parse_guarded(g, len + 4, &r), 0);
	assert_int_equal(r.sport, 443);
	check_all_prefixes(g, len + 4);
	/* QinQ: 802.1ad outer, 802.1Q inner. */
	memcpy(g, f, 12);
	memcpy(g + 12, "\x88\xa8\x00\x01\x81\x00\x00\x07", 8);
	memcpy(g + 20, f + 12, len - 12);
	assert_int_equal(parse_guarded(g, len + 8, &r), 0);
	check_all_prefixes(g, len + 8);
	/* Three tags: refused. */
	memcpy(g, f, 12);
	memcpy(g + 12, "\x88\xa8\x00\x01\x81\x00\x00\x07\x81\x00\x00\x08", 12);
	memcpy(g + 24, f + 12, len - 12);
	assert_int_equal(parse_guarded(g, len + 12, &r), -EPROTONOSUPPORT);
}

static void test_parse_v6(void **state)
{
	uint8_t f[256];
	struct pkt_reply r;
	size_t len = mk_v6(f, 6, 0);

	(void)state;
	assert_int_equal(parse_guarded(f, len, &r), 0);
	assert_int_equal(r.family, AF_INET6);
	assert_memory_equal(r.saddr, v6_b, 16);
	assert_memory_equal(r.daddr, v6_a, 16);
	assert_int_equal(r.sport, 22);
	assert_int_equal(r.dport, 61001);
	assert_int_equal(r.ack, 7);
	assert_int_equal(r.flags, PKT_TCP_RST | PKT_TCP_ACK);
	check_all_prefixes(f, len);
	len = mk_v6(f, 6, 100);
	check_all_prefixes(f, len);

	len = mk_v6(f, 0, 0); /* hop-by-hop */
	assert_int_equal(parse_guarded(f, len, &r), -EOPNOTSUPP);
	len = mk_v6(f, 44, 0); /* fragment */
	assert_int_equal(parse_guarded(f, len, &r), -EOPNOTSUPP);
	len = mk_v6(f, 17, 0); /* UDP */
	assert_int_equal(parse_guarded(f, len, &r), -EPROTONOSUPPORT);
	len = mk_v6(f, 58, 0); /* ICMPv6 */
	assert_int_equal(parse_guarded(f, len, &r), -EPROTONOSUPPORT);
	len = mk_v6(f, 6, 0);
	f[14] = 0x40; /* version 4 in an IPv6 ethertype */
	assert_int_equal(parse_guarded(f, len, &r), -EBADMSG);
	len = mk_v6(f, 6, 0);
	f[19] = 19; /* payload shorter than a TCP header */
	assert_int_equal(parse_guarded(f, len - 1, &r), -EBADMSG);
	len = mk_v6(f, 6, 0);
	f[18] = 0x01; /* payload longer than the frame */
	assert_int_equal(parse_guarded(f, len, &r), -EMSGSIZE);
	len = mk_v6(f, 6, 0);
	f[14 + 40 + 12] = 0x60; /* doff 24 > payload 20 */
	assert_int_equal(parse_guarded(f, len, &r), -EBADMSG);
}

/*
 * ICMP errors quoting one of our SYNs (v4_a:61000 -> v4_b:443, seq
 * 0xc0ffee01), sent by "from" to v4_a.  outer_opt/q_opt: words of IPv4
 * options (NOPs) in the outer and the quoted header; q_tcp: bytes of the
 * quoted TCP header (24 = all of our SYN).
 */
struct icmp4spec {
	uint8_t type, code;
	int outer_opt;
	int q_opt;
	int q_tcp;
	uint8_t q_proto;
};

static const uint8_t v4_router[4] = { 198, 18, 7, 1 };

static void put_syn_quote(uint8_t *tcp, int n)
{
	uint8_t full[24] = { 0xee,   0x48,	  0x01, 0xbb, 0xc0, 0xff,
			     0xee,   0x01,	  0,	0,    0,    0,
			     6 << 4, PKT_TCP_SYN, 0x04, 0x00, 0x12, 0x34,
			     0,	     0,		  2,	4,    0x05, 0xb4 };

	memcpy(tcp, full, (size_t)n);
}

static size_t mk_icmp4(uint8_t *f, const struct icmp4spec *s)
{
	size_t ihl = 20 + (size_t)s->outer_opt * 4;
	size_t qihl = 20 + (size_t)s->q_opt * 4;
	size_t tot = ihl + 8 + qihl + (size_t)s->q_tcp;
	uint8_t *ip = f + 14, *icmp = ip + ihl, *q = icmp + 8;
	uint16_t c;

	memset(f, 0, 14 + tot);
	memcpy(f, mac_a, 6);
	memcpy(f + 6, mac_b, 6);
	f[12] = 0x08;
	ip[0] = (uint8_t)(0x40 | (ihl / 4));
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, v4_router, 4);
	memcpy(ip + 16, v4_a, 4);
	memset(ip + 20, 1, ihl - 20);
	c = htons((uint16_t)~ref_fold(ref_sum(ip, ihl)));
	memcpy(ip + 10, &c, 2);
	icmp[0] = s->type;
	icmp[1] = s->code;
	/* The quote: our SYN's IP header as it left (total length 44). */
	q[0] = (uint8_t)(0x40 | (qihl / 4));
	q[3] = (uint8_t)(qihl + 24);
	q[6] = 0x40; /* DF */
	q[8] = 1;
	q[9] = s->q_proto;
	memcpy(q + 12, v4_a, 4);
	memcpy(q + 16, v4_b, 4);
	memset(q + 20, 1, qihl - 20);
	put_syn_quote(q + qihl, s->q_tcp);
	return 14 + tot;
}

static void check_quote_v4(const struct pkt_reply *r, uint8_t code)
{
	assert_int_equal(r->family, AF_INET);
	assert_int_equal(r->kind, PKT_REPLY_ICMP);
	assert_int_equal(r->icmp_type, 3);
	assert_int_equal(r->icmp_code, code);
	assert_memory_equal(r->icmp_from, v4_router, 4);
	assert_memory_equal(r->icmp_to, v4_a, 4);
	assert_memory_equal(r->saddr, v4_a, 4);
	assert_memory_equal(r->daddr, v4_b, 4);
	assert_int_equal(r->sport, 61000);
	assert_int_equal(r->dport, 443);
	assert_int_equal(r->seq, 0xc0ffee01);
	assert_int_equal(r->ack, 0);
}

static void test_parse_icmp4(void **state)
{
	static const uint8_t codes[] = { 0, 1, 2, 3, 9, 10, 13 };
	struct icmp4spec s = { 3, 13, 0, 0, 8, 6 };
	uint8_t f[256];
	struct pkt_reply r;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(codes); i++) {
		s.code = codes[i];
		len = mk_icmp4(f, &s);
		assert_int_equal(parse_guarded(f, len, &r), 0);
		check_quote_v4(&r, codes[i]);
		assert_int_equal(r.flags, 0); /* 8 bytes: no flags */
		check_all_prefixes(f, len);
	}
	/* A whole SYN quoted (RFC 1812), options outside and in the quote. */
	s = (struct icmp4spec){ 3, 10, 3, 2, 24, 6 };
	len = mk_icmp4(f, &s);
	assert_int_equal(parse_guarded(f, len, &r), 0);
	check_quote_v4(&r, 10);
	assert_int_equal(r.flags, PKT_TCP_SYN);
	check_all_prefixes(f, len);
	/* RFC 4884: an extension after the quote changes nothing. */
	f[14 + 32 + 5] = 7; /* length attribute: 28 bytes of original */
	memset(f + len, 0x20, 16);
	f[14 + 2] = (uint8_t)((len + 16 - 14) >> 8);
	f[14 + 3] = (uint8_t)(len + 16 - 14);
	refresh_v4_csum(f);
	assert_int_equal(parse_guarded(f, len + 16, &r), 0);
	check_quote_v4(&r, 10);
}

/* Quotes cut at every length, with every length field consistent. */
static void test_parse_icmp4_short_quotes(void **state)
{
	uint8_t f[256];
	struct pkt_reply r;

	(void)state;
	for (int q_opt = 0; q_opt <= 1; q_opt++) {
		struct icmp4spec s = { 3, 1, 0, q_opt, 24, 6 };
		size_t full = mk_icmp4(f, &s), need;

		need = 14 + 20 + 8 + 20 + (size_t)q_opt * 4 + 8;
		for (size_t n = 14 + 20; n <= full; n++) {
			size_t tot = n - 14;

			mk_icmp4(f, &s);
			f[16] = (uint8_t)(tot >> 8);
			f[17] = (uint8_t)tot;
			refresh_v4_csum(f);
			assert_int_equal(parse_guarded(f, n, &r),
					 n < need ? -EMSGSIZE : 0);
			if (n >= need)
				assert_int_equal(r.seq, 0xc0ffee01);
		}
	}
}

static void test_parse_icmp4_refused(void **state)
{
	struct icmp4spec s = { 3, 13, 1, 1, 8, 6 };
	uint8_t f[256], g[256];
	struct pkt_reply r;
	size_t len = mk_icmp4(f, &s);
	const size_t icmp = 14 + 24, q = icmp + 8;

	(void)state;
	assert_int_equal(parse_guarded(f, len, &r), 0);
#define MUTATE(expr, want)                                         \
	do {                                                       \
		memcpy(g, f, len);                                 \
		expr;                                              \
		assert_int_equal(parse_guarded(g, len, &r), want); \
	} while (0)
	MUTATE(g[icmp] = 11, -EPROTONOSUPPORT); /* time exceeded */
	MUTATE(g[icmp] = 0, -EPROTONOSUPPORT); /* echo reply */
	MUTATE(g[icmp] = 5, -EPROTONOSUPPORT); /* redirect */
	MUTATE(g[q] = 0x65, -EBADMSG); /* quoted version 6 */
	MUTATE(g[q] = 0x44, -EBADMSG); /* quoted IHL 16 bytes */
	MUTATE(g[q] = 0x40, -EBADMSG); /* quoted IHL 0 */
	/* Quoted IHL 60: longer than the quote, or than its total length. */
	MUTATE((g[q] = 0x4f, g[q + 3] = 84), -EMSGSIZE);
	MUTATE(g[q] = 0x4f, -EBADMSG);
	MUTATE(g[q + 3] = 24 + 7, -EBADMSG); /* quoted total < IHL + 8 */
	MUTATE(g[q + 9] = 17, -EPROTONOSUPPORT); /* quoted UDP */
	MUTATE(g[q + 9] = 1, -EPROTONOSUPPORT); /* quoted ICMP */
	MUTATE(g[q + 7] = 0x08, -EOPNOTSUPP); /* not a first fragment */
	MUTATE(g[q + 6] = 0x20, 0); /* first fragment (MF): TCP is there */
	MUTATE(g[q + 10] = 0x5a, 0); /* the quoted checksum is not ours */
	MUTATE((g[14 + 6] = 0x20, refresh_v4_csum(g)), -EOPNOTSUPP);
	MUTATE(g[14 + 10] ^= 1, -EBADMSG); /* outer checksum */
#undef MUTATE
	/* An ICMP message shorter than its own header. */
	memcpy(g, f, len);
	g[16] = 0;
	g[17] = 24 + 7;
	refresh_v4_csum(g);
	assert_int_equal(parse_guarded(g, 14 + 24 + 7, &r), -EMSGSIZE);
}

/* ICMPv6 destination unreachable quoting our SYN v6_a:61001 -> v6_b:22. */
static const uint8_t v6_router[16] = { 0xfd, 0x00,     0x52,
				       0x53, [14] = 7, [15] = 1 };

static size_t mk_icmp6(uint8_t *f, uint8_t type, uint8_t code, uint8_t q_nh,
		       int q_tcp)
{
	size_t plen = 8 + 40 + (size_t)q_tcp;
	uint8_t *ip = f + 14, *icmp = ip + 40, *q = icmp + 8;

	memset(f, 0, 14 + 40 + plen);
	memcpy(f, mac_a, 6);
	memcpy(f + 6, mac_b, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	ip[0] = 0x60;
	ip[4] = (uint8_t)(plen >> 8);
	ip[5] = (uint8_t)plen;
	ip[6] = 58;
	ip[7] = 64;
	memcpy(ip + 8, v6_router, 16);
	memcpy(ip + 24, v6_a, 16);
	icmp[0] = type;
	icmp[1] = code;
	q[0] = 0x60;
	q[5] = 24;
	q[6] = q_nh;
	q[7] = 1;
	memcpy(q + 8, v6_a, 16);
	memcpy(q + 24, v6_b, 16);
	put_syn_quote(q + 40, q_tcp);
	q[40 + 1] = 0x49; /* sport 61001 */
	if (q_tcp >= 4)
		q[40 + 3] = 22; /* dport 22 */
	q[40 + 2] = 0;
	return 14 + 40 + plen;
}

static void test_parse_icmp6(void **state)
{
	uint8_t f[256], g[256];
	struct pkt_reply r;
	size_t len, full;

	(void)state;
	for (uint8_t code = 0; code <= 6; code++) {
		len = mk_icmp6(f, 1, code, 6, 8);
		assert_int_equal(parse_guarded(f, len, &r), 0);
		assert_int_equal(r.family, AF_INET6);
		assert_int_equal(r.kind, PKT_REPLY_ICMP);
		assert_int_equal(r.icmp_type, 1);
		assert_int_equal(r.icmp_code, code);
		assert_memory_equal(r.icmp_from, v6_router, 16);
		assert_memory_equal(r.icmp_to, v6_a, 16);
		assert_memory_equal(r.saddr, v6_a, 16);
		assert_memory_equal(r.daddr, v6_b, 16);
		assert_int_equal(r.sport, 61001);
		assert_int_equal(r.dport, 22);
		assert_int_equal(r.seq, 0xc0ffee01);
		assert_int_equal(r.flags, 0);
		check_all_prefixes(f, len);
	}
	full = mk_icmp6(f, 1, 1, 6, 24);
	assert_int_equal(parse_guarded(f, full, &r), 0);
	assert_int_equal(r.flags, PKT_TCP_SYN);
	/* Cut at every length, the payload length saying so. */
	for (size_t n = 14 + 40; n <= full; n++) {
		size_t plen = n - 14 - 40;

		mk_icmp6(f, 1, 1, 6, 24);
		f[18] = (uint8_t)(plen >> 8);
		f[19] = (uint8_t)plen;
		assert_int_equal(parse_guarded(f, n, &r),
				 n < 14 + 40 + 8 + 40 + 8 ? -EMSGSIZE : 0);
	}
	len = mk_icmp6(f, 1, 4, 6, 8);
#define MUTATE(expr, want)                                         \
	do {                                                       \
		memcpy(g, f, len);                                 \
		expr;                                              \
		assert_int_equal(parse_guarded(g, len, &r), want); \
	} while (0)
	MUTATE(g[54] = 3, -EPROTONOSUPPORT); /* time exceeded */
	MUTATE(g[54] = 129, -EPROTONOSUPPORT); /* echo reply */
	MUTATE(g[54] = 2, -EPROTONOSUPPORT); /* packet too big */
	MUTATE(g[62] = 0x40, -EBADMSG); /* quoted version 4 */
	MUTATE(g[62 + 5] = 7, -EBADMSG); /* quoted payload < 8 */
	MUTATE(g[62 + 6] = 0, -EOPNOTSUPP); /* quoted hop-by-hop */
	MUTATE(g[62 + 6] = 44, -EOPNOTSUPP); /* quoted fragment header */
	MUTATE(g[62 + 6] = 17, -EPROTONOSUPPORT); /* quoted UDP */
	MUTATE(g[62 + 6] = 58, -EPROTONOSUPPORT); /* quoted ICMPv6 */
#undef MUTATE
}

/* Random bytes and random corruptions of valid frames never crash. */
static void test_parse_fuzz(void **state)
{
	struct v4spec s = { 2, 8, 5, PKT_TCP_SYN | PKT_TCP_ACK };
	struct icmp4spec is = { 3, 13, 1, 1, 24, 6 };
	uint8_t f[256], g[256] = { 0 }, v6[256], i4[256], i6[256];
	const uint8_t *src[4] = { f, v6, i4, i6 };
	struct pkt_reply r;
	size_t len = mk_v4(f, &s), len6 = mk_v6(v6, 6, 9);
	size_t lens[4] = { len, len6, mk_icmp4(i4, &is),
			   mk_icmp6(i6, 1, 1, 6, 24) };
	struct guarded gd;
	int ok = 0;

	(void)state;
	/* One mapping for all 200000 inputs: a fresh one each costs seconds. */
	guard_copy(&gd, g, sizeof(g), false);
	srand(11);
	for (int n = 0; n < 200000; n++) {
		size_t l;

		if (n % 3 == 0) {
			l = (size_t)rand() % sizeof(g);
			for (size_t i = 0; i < l; i++)
				g[i] = (uint8_t)rand();
			if (l > 14 && (n & 1)) { /* plausible headers */
				g[12] = 0x08;
				g[13] = 0x00;
				g[14] = (uint8_t)(0x40 | (rand() & 15));
			}
		} else {
			int which = rand() & 3;

			l = lens[which];
			memcpy(g, src[which], l);
			for (int k = rand() % 4; k >= 0; k--)
				g[(size_t)rand() % l] ^=
					(uint8_t)(1 << (rand() & 7));
			l = (size_t)rand() % (l + 1);
		}
		if (pkt_parse(guard_recopy(&gd, g, l, false), l, &r) == 0)
			ok++;
	}
	guard_free(&gd);
	/* Some corruptions (in the payload, say) still parse. */
	assert_true(ok > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_known_header),
		cmocka_unit_test(test_syn_v4_layout),
		cmocka_unit_test(test_rst_v6_layout),
		cmocka_unit_test(test_template_rejects_family),
		cmocka_unit_test(test_checksums_random),
		cmocka_unit_test(test_parse_v4_synack),
		cmocka_unit_test(test_parse_v4_options_and_payload),
		cmocka_unit_test(test_parse_v4_malformed),
		cmocka_unit_test(test_parse_vlan),
		cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_parse_icmp4),
		cmocka_unit_test(test_parse_icmp4_short_quotes),
		cmocka_unit_test(test_parse_icmp4_refused),
		cmocka_unit_test(test_parse_icmp6),
		cmocka_unit_test(test_parse_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
