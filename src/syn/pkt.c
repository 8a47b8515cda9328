/*
 * pkt.c - SYN/RST frames from templates, reply parsing (see pkt.h).
 *
 * All multi-byte fields are read and written a byte at a time through the
 * get16/get32/put16/put32 helpers.  Frames sit at any alignment (an AF_XDP
 * frame, a recvmmsg buffer, a test's guard-page placement), and the
 * checksum code never casts a byte pointer to a wider type, so neither
 * alignment nor strict aliasing can bite - the classic bug of checksum
 * loops over `(uint16_t *)` casts of packet buffers.  Compilers merge these
 * byte loops into single loads and byte swaps.
 *
 * The template sum covers every 16-bit word of the headers with the
 * variable fields left at zero; pkt_build adds the variable words and folds.
 * A word with value zero adds nothing, so "template with zeros + patched
 * words" sums exactly like the finished header: the checksum is the full
 * one, computed incrementally.
 *
 * The parser keeps one rule: before reading a field, the bytes up to its
 * end are known to be inside the frame.  Lengths are compared with what was
 * captured (len), never trusted.  Trailing bytes beyond the IP length
 * (Ethernet padding to 60 bytes) are allowed and ignored.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "pkt.h"

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_VLAN 0x8100
#define ETH_P_QINQ 0x88a8
#define IP_PROTO_TCP 6
#define IP_PROTO_ICMP 1
#define IP_PROTO_ICMPV6 58
#define ICMP_HLEN 8
#define ICMP_DEST_UNREACH 3
#define ICMPV6_DEST_UNREACH 1
/* Of a quoted TCP header, what RFC 792 promises: ports and sequence. */
#define QUOTE_TCP_MIN 8
#define TCP_FLAGS_OFF 13
#define IPV4_HLEN 20
#define IPV6_HLEN 40
#define TCP_HLEN 20
#define IPV4_DF 0x4000
#define IPV4_MF 0x2000
#define IPV4_OFFMASK 0x1fff
#define TCPOPT_MSS 2
#define VLAN_MAX_TAGS 2

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t pkt_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline uint32_t sum32(uint32_t v)
{
	return (v >> 16) + (v & 0xffff);
}

int pkt_template_init(struct pkt_template *t, enum pkt_kind kind, int family,
		      const uint8_t src_mac[PKT_ETH_ALEN], const uint8_t *saddr,
		      uint8_t ttl)
{
	uint8_t *f = t->frame, *ip = f + PKT_ETH_HLEN, *tcp;
	uint16_t tcp_len = kind == PKT_SYN ? TCP_HLEN + 4 : TCP_HLEN;
	uint32_t sum;

	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->family = (uint8_t)family;
	/* Ethernet: destination patched per frame. */
	memcpy(f + PKT_ETH_ALEN, src_mac, PKT_ETH_ALEN);
	put16(f + 12, family == AF_INET ? ETH_P_IPV4 : ETH_P_IPV6);

	if (family == AF_INET) {
		ip[0] = 0x45;
		put16(ip + 2, IPV4_HLEN + tcp_len);
		/* id (ip + 4) patched per frame */
		put16(ip + 6, IPV4_DF);
		ip[8] = ttl;
		ip[9] = IP_PROTO_TCP;
		memcpy(ip + 12, saddr, 4);
		/* daddr (ip + 16) patched per frame */
		t->ip_sum = pkt_csum_add(0, ip, IPV4_HLEN);
		tcp = ip + IPV4_HLEN;
		sum = pkt_csum_add(0, saddr, 4);
	} else {
		ip[0] = 0x60; /* version 6, traffic class 0, flow label 0 */
		put16(ip + 4, tcp_len);
		ip[6] = IP_PROTO_TCP;
		ip[7] = ttl;
		memcpy(ip + 8, saddr, 16);
		/* daddr (ip + 24) patched per frame */
		tcp = ip + IPV6_HLEN;
		sum = pkt_csum_add(0, saddr, 16);
	}
	/* Pseudo-header: source (above), protocol and TCP length. */
	sum += IP_PROTO_TCP + tcp_len;

	/* TCP: ports, seq, ack and checksum patched per frame. */
	tcp[12] = (uint8_t)((tcp_len / 4) << 4);
	if (kind == PKT_SYN) {
		tcp[13] = PKT_TCP_SYN;
		put16(tcp + 14, PKT_SYN_WINDOW);
		tcp[20] = TCPOPT_MSS;
		tcp[21] = 4;
		put16(tcp + 22, PKT_SYN_MSS);
	} else {
		tcp[13] = PKT_TCP_RST;
	}
	t->tcp_sum = pkt_csum_add(sum, tcp, tcp_len);
	t->l4 = (uint8_t)(tcp - f);
	t->len = (uint16_t)(t->l4 + tcp_len);
	return 0;
}

uint32_t pkt_build(const struct pkt_template *t, uint8_t *out,
		   const uint8_t dst_mac[PKT_ETH_ALEN], const uint8_t *daddr,
		   uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack)
{
	uint8_t *ip = out + PKT_ETH_HLEN, *tcp = out + t->l4;
	uint32_t sum = t->tcp_sum;

	memcpy(out, t->frame, t->len);
	memcpy(out, dst_mac, PKT_ETH_ALEN);
	if (t->family == AF_INET) {
		/* The id only has to differ between nearby datagrams. */
		uint16_t id = (uint16_t)(seq ^ (seq >> 16));
		uint32_t ipsum = t->ip_sum + id;

		put16(ip + 4, id);
		memcpy(ip + 16, daddr, 4);
		ipsum = pkt_csum_add(ipsum, daddr, 4);
		put16(ip + 10, pkt_csum_fold(ipsum));
		sum = pkt_csum_add(sum, daddr, 4);
	} else {
		memcpy(ip + 24, daddr, 16);
		sum = pkt_csum_add(sum, daddr, 16);
	}
	put16(tcp, sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	sum += (uint32_t)sport + dport + sum32(seq) + sum32(ack);
	put16(tcp + 16, pkt_csum_fold(sum));
	return t->len;
}

/*
 * TCP header at seg, seg_len bytes of segment (as the IP layer says) of
 * which avail are in the frame.
 */
static int parse_tcp(const uint8_t *seg, size_t seg_len, size_t avail,
		     struct pkt_reply *r)
{
	size_t doff;

	if (seg_len < TCP_HLEN)
		return -EBADMSG;
	if (avail < TCP_HLEN)
		return -EMSGSIZE;
	doff = (size_t)(seg[12] >> 4) * 4;
	if (doff < TCP_HLEN || doff > seg_len)
		return -EBADMSG;
	if (doff > avail)
		return -EMSGSIZE;
	r->sport = get16(seg);
	r->dport = get16(seg + 2);
	r->seq = get32(seg + 4);
	r->ack = get32(seg + 8);
	r->flags = seg[13];
	return 0;
}

/*
 * An IPv6 next header that is not TCP or ICMPv6: an extension header
 * (refused, see pkt.h) or another protocol.
 */
static int v6_ext_or_foreign(uint8_t nh)
{
	switch (nh) {
	case 0: /* hop-by-hop */
	case 43: /* routing */
	case 44: /* fragment */
	case 50: /* ESP */
	case 51: /* AH */
	case 60: /* destination options */
	case 135: /* mobility */
	case 139: /* HIP */
	case 140: /* shim6 */
		return -EOPNOTSUPP;
	default:
		return -EPROTONOSUPPORT;
	}
}

/*
 * The first bytes of the TCP header an ICMP error quotes: at least the
 * ports and the sequence number (QUOTE_TCP_MIN), the flags if the quote
 * reaches them.
 */
static int parse_quoted_tcp(const uint8_t *seg, size_t avail,
			    struct pkt_reply *r)
{
	if (avail < QUOTE_TCP_MIN)
		return -EMSGSIZE;
	r->sport = get16(seg);
	r->dport = get16(seg + 2);
	r->seq = get32(seg + 4);
	r->ack = 0;
	r->flags = avail > TCP_FLAGS_OFF ? seg[TCP_FLAGS_OFF] : 0;
	return 0;
}

/*
 * ICMP message of len bytes (all in the frame: the IP layer checked).
 * Only destination unreachable is ours; its quote is the IP header of the
 * datagram that failed - our SYN - and the start of its TCP header.  The
 * quoted total length is not compared with what is quoted: routers quote
 * as much or as little as they like (RFC 792: 8 bytes, RFC 1812: as many
 * as fit in 576).
 */
static int parse_icmp4(const uint8_t *icmp, size_t len, struct pkt_reply *r)
{
	const uint8_t *q = icmp + ICMP_HLEN;
	size_t qlen, ihl;

	if (len < ICMP_HLEN)
		return -EMSGSIZE;
	if (icmp[0] != ICMP_DEST_UNREACH)
		return -EPROTONOSUPPORT;
	r->kind = PKT_REPLY_ICMP;
	r->icmp_type = icmp[0];
	r->icmp_code = icmp[1];
	qlen = len - ICMP_HLEN;
	if (qlen < IPV4_HLEN)
		return -EMSGSIZE;
	if ((q[0] >> 4) != 4)
		return -EBADMSG;
	ihl = (size_t)(q[0] & 0x0f) * 4;
	if (ihl < IPV4_HLEN || get16(q + 2) < ihl + QUOTE_TCP_MIN)
		return -EBADMSG;
	if (get16(q + 6) & IPV4_OFFMASK)
		return -EOPNOTSUPP; /* not a first fragment: no TCP header */
	if (q[9] != IP_PROTO_TCP)
		return -EPROTONOSUPPORT;
	if (qlen < ihl)
		return -EMSGSIZE;
	memset(r->saddr, 0, sizeof(r->saddr));
	memset(r->daddr, 0, sizeof(r->daddr));
	memcpy(r->saddr, q + 12, 4);
	memcpy(r->daddr, q + 16, 4);
	return parse_quoted_tcp(q + ihl, qlen - ihl, r);
}

/* ICMPv6 message of len bytes: as parse_icmp4, quoting an IPv6 header. */
static int parse_icmp6(const uint8_t *icmp, size_t len, struct pkt_reply *r)
{
	const uint8_t *q = icmp + ICMP_HLEN;
	size_t qlen;

	if (len < ICMP_HLEN)
		return -EMSGSIZE;
	if (icmp[0] != ICMPV6_DEST_UNREACH)
		return -EPROTONOSUPPORT;
	r->kind = PKT_REPLY_ICMP;
	r->icmp_type = icmp[0];
	r->icmp_code = icmp[1];
	qlen = len - ICMP_HLEN;
	if (qlen < IPV6_HLEN)
		return -EMSGSIZE;
	if ((q[0] >> 4) != 6)
		return -EBADMSG;
	if (get16(q + 4) < QUOTE_TCP_MIN)
		return -EBADMSG;
	if (q[6] != IP_PROTO_TCP)
		return v6_ext_or_foreign(q[6]);
	memcpy(r->saddr, q + 8, 16);
	memcpy(r->daddr, q + 24, 16);
	return parse_quoted_tcp(q + IPV6_HLEN, qlen - IPV6_HLEN, r);
}

static int parse_ipv4(const uint8_t *ip, size_t avail, struct pkt_reply *r)
{
	size_t ihl, tot;
	uint16_t frag;

	if (avail < IPV4_HLEN)
		return -EMSGSIZE;
	if ((ip[0] >> 4) != 4)
		return -EBADMSG;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ihl < IPV4_HLEN)
		return -EBADMSG;
	tot = get16(ip + 2);
	if (tot < ihl)
		return -EBADMSG;
	if (ihl > avail || tot > avail)
		return -EMSGSIZE;
	if (pkt_csum_fold(pkt_csum_add(0, ip, ihl)) != 0)
		return -EBADMSG;
	frag = get16(ip + 6);
	if (frag & (IPV4_MF | IPV4_OFFMASK))
		return -EOPNOTSUPP;
	r->family = AF_INET;
	switch (ip[9]) {
	case IP_PROTO_TCP:
		r->kind = PKT_REPLY_TCP;
		memset(r->saddr, 0, sizeof(r->saddr));
		memset(r->daddr, 0, sizeof(r->daddr));
		memcpy(r->saddr, ip + 12, 4);
		memcpy(r->daddr, ip + 16, 4);
		return parse_tcp(ip + ihl, tot - ihl, tot - ihl, r);
	case IP_PROTO_ICMP:
		memset(r->icmp_from, 0, sizeof(r->icmp_from));
		memset(r->icmp_to, 0, sizeof(r->icmp_to));
		memcpy(r->icmp_from, ip + 12, 4);
		memcpy(r->icmp_to, ip + 16, 4);
		return parse_icmp4(ip + ihl, tot - ihl, r);
	default:
		return -EPROTONOSUPPORT;
	}
}

static int parse_ipv6(const uint8_t *ip, size_t avail, struct pkt_reply *r)
{
	size_t plen;

	if (avail < IPV6_HLEN)
		return -EMSGSIZE;
	if ((ip[0] >> 4) != 6)
		return -EBADMSG;
	plen = get16(ip + 4);
	if (IPV6_HLEN + plen > avail)
		return -EMSGSIZE;
	r->family = AF_INET6;
	switch (ip[6]) {
	case IP_PROTO_TCP:
		r->kind = PKT_REPLY_TCP;
		memcpy(r->saddr, ip + 8, 16);
		memcpy(r->daddr, ip + 24, 16);
		return parse_tcp(ip + IPV6_HLEN, plen, plen, r);
	case IP_PROTO_ICMPV6:
		memcpy(r->icmp_from, ip + 8, 16);
		memcpy(r->icmp_to, ip + 24, 16);
		return parse_icmp6(ip + IPV6_HLEN, plen, r);
	default:
		return v6_ext_or_foreign(ip[6]);
	}
}

int pkt_parse(const uint8_t *frame, size_t len, struct pkt_reply *r)
{
	size_t off = PKT_ETH_HLEN;
	uint16_t type;
	int tags = 0;

	if (len < PKT_ETH_HLEN)
		return -EMSGSIZE;
	memcpy(r->src_mac, frame + PKT_ETH_ALEN, PKT_ETH_ALEN);
	type = get16(frame + 12);
	while (type == ETH_P_VLAN || type == ETH_P_QINQ) {
		if (++tags > VLAN_MAX_TAGS)
			return -EPROTONOSUPPORT;
		if (len - off < 4)
			return -EMSGSIZE;
		type = get16(frame + off + 2);
		off += 4;
	}
	switch (type) {
	case ETH_P_IPV4:
		return parse_ipv4(frame + off, len - off, r);
	case ETH_P_IPV6:
		return parse_ipv6(frame + off, len - off, r);
	default:
		return -EPROTONOSUPPORT;
	}
}
