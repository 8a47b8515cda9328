/*
 * pkt.h - the SYN scan's wire format: build SYN and RST frames from a
 * template, parse replies.  Pure functions on caller buffers, no state, no
 * allocation, no syscalls: the hot path of both SYN engines.
 *
 * Building.  Everything in a probe frame but the destination (MAC, address,
 * port), the source port, the sequence and acknowledgment numbers and the
 * IPv4 identification is the same for every probe of a scan, so it is laid
 * out once in a pkt_template together with the one's-complement sum of its
 * constant 16-bit words (pseudo-header included).  pkt_build copies the
 * template, patches the variable fields and finishes both checksums by
 * adding just the variable words to the precomputed sums: an exact full
 * checksum (not an approximation), at the cost of a few additions.
 *
 * Parsing.  Replies come from the network and are hostile until proven
 * otherwise: pkt_parse reads Ethernet (with up to two VLAN tags), IPv4 or
 * IPv6, and TCP, checks every length field against the bytes actually
 * captured before reading what it covers, and never reads past len.  IPv4
 * options are skipped by IHL; fragments and IPv6 extension headers are
 * refused (a SYN-ACK or RST is never fragmented and carries no extension
 * header in practice; following chains of them is attack surface for no
 * answer).  The IPv4 header checksum is verified; the TCP checksum is not,
 * because virtual and offloading NICs hand frames up with it unfinished
 * (CHECKSUM_PARTIAL) and the SYN cookie already rejects anything that is
 * not an answer to our own probe.
 *
 * ICMP.  An ICMP destination unreachable (IPv4 type 3) or ICMPv6 one (type
 * 1) that quotes a TCP segment is a reply too: a router or the target
 * refusing one of our SYNs.  pkt_parse returns the quoted segment's
 * addresses, ports, sequence number (and flags, when the quote reaches
 * them) - our SYN as we sent it, so the caller checks its cookie - with
 * the ICMP type and code and the error's own source and destination.  The
 * quote must hold the whole quoted IP header and 8 bytes of TCP (all RFC
 * 792 promises); its lengths are not compared with what is quoted, as
 * routers quote what they like.  A quoted IPv4 datagram that is not a
 * first fragment, or a quoted IPv6 extension header, is refused like an
 * outer one.  The ICMP checksum is not verified, for the TCP checksum's
 * reason: the cookie in the quoted sequence number decides.
 *
 * Byte order: frame bytes are network order; ports, sequence numbers and
 * flags in the structs are host order; addresses stay as network-order
 * bytes (IPv4 in the first four).
 */
#ifndef RINGSCAN_PKT_H
#define RINGSCAN_PKT_H

#include <stddef.h>
#include <stdint.h>

#define PKT_ETH_HLEN 14
#define PKT_ETH_ALEN 6
/* Largest frame pkt_build writes: Ethernet + IPv6 + TCP with MSS option. */
#define PKT_FRAME_MAX 80

/* TCP flags, host order. */
#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10

/* Window and MSS of our SYNs: what nmap -sS sends. */
#define PKT_SYN_WINDOW 1024
#define PKT_SYN_MSS 1460

/*
 * One received frame, as the link layer hands it over.  rx_ns: when it
 * arrived (CLOCK_MONOTONIC), the kernel's receive time where the link has
 * one, else the time the link read it.
 */
struct pkt_frame {
	const uint8_t *data;
	uint32_t len;
	uint64_t rx_ns;
};

enum pkt_kind {
	PKT_SYN, /* SYN with an MSS option: a probe */
	PKT_RST, /* bare RST: tears down a half-open connection */
};

struct pkt_template {
	uint8_t frame[PKT_FRAME_MAX];
	uint16_t len; /* frame length */
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t l4; /* offset of the TCP header */
	uint32_t ip_sum; /* IPv4 header words that never change */
	uint32_t tcp_sum; /* pseudo-header and TCP words that never change */
};

/*
 * Lay out the frame for kind and family from our MAC and address (4 or 16
 * bytes, network order) with the given TTL / hop limit.  0 or -EINVAL (bad
 * family).
 */
int pkt_template_init(struct pkt_template *t, enum pkt_kind kind, int family,
		      const uint8_t src_mac[PKT_ETH_ALEN], const uint8_t *saddr,
		      uint8_t ttl);

/*
 * Write one frame into out (at least t->len bytes) addressed to dst_mac /
 * daddr:dport from sport, with the given sequence and acknowledgment
 * numbers (ack is 0 for SYN and RST), both checksums complete.  Returns the
 * frame length.
 */
uint32_t pkt_build(const struct pkt_template *t, uint8_t *out,
		   const uint8_t dst_mac[PKT_ETH_ALEN], const uint8_t *daddr,
		   uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack);

enum pkt_reply_kind {
	PKT_REPLY_TCP, /* a TCP segment to us */
	PKT_REPLY_ICMP, /* an ICMP(v6) destination unreachable quoting TCP */
};

/*
 * PKT_REPLY_TCP: the segment's fields.  PKT_REPLY_ICMP: saddr, daddr,
 * sport, dport, seq and flags are the quoted segment's (ours: saddr is our
 * address, daddr the target), flags 0 when the quote stops before them,
 * ack 0; icmp_from sent the error (the target or a router on the way) to
 * icmp_to.
 */
struct pkt_reply {
	uint8_t family;
	uint8_t kind; /* enum pkt_reply_kind */
	uint8_t flags; /* TCP flags (the low 8 bits) */
	uint8_t icmp_type; /* PKT_REPLY_ICMP: 3 (IPv4) or 1 (ICMPv6) */
	uint8_t icmp_code;
	uint8_t src_mac[PKT_ETH_ALEN]; /* the hop that sent it: RST goes back */
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t icmp_from[16];
	uint8_t icmp_to[16];
};

/*
 * Parse an Ethernet frame of len bytes into r.  0 for a well-formed TCP
 * segment over IPv4 or IPv6, or an ICMP(v6) destination unreachable
 * quoting one (r->kind says which); otherwise, without reading past len:
 *   -EMSGSIZE        truncated: shorter than its headers or lengths say,
 *                    or a quote shorter than an IP header + 8 bytes;
 *   -EBADMSG         malformed: bad version, IHL, data offset, a length
 *                    field smaller than the headers, a bad IPv4 checksum
 *                    (in the quote too, but for the checksum);
 *   -EPROTONOSUPPORT not IPv4/IPv6, not TCP or ICMP, another ICMP type, or
 *                    a quote of something else than TCP;
 *   -EOPNOTSUPP      an IPv4 fragment or an IPv6 extension header (outer,
 *                    or in the quote).
 * r is unspecified after an error.
 */
int pkt_parse(const uint8_t *frame, size_t len, struct pkt_reply *r);

/*
 * One's-complement sum of len bytes as big-endian 16-bit words (an odd last
 * byte is padded with zero), added to sum and not folded: the building
 * block of the Internet checksum (RFC 1071).
 */
uint32_t pkt_csum_add(uint32_t sum, const uint8_t *p, size_t len);

/* Fold a sum to 16 bits and complement it: the checksum field's value. */
uint16_t pkt_csum_fold(uint32_t sum);

#endif
