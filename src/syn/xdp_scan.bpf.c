// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_scan.bpf.c - ringscan's XDP program for the AF_XDP SYN engine.
 *
 * Steals exactly the frames the scanner needs and nothing else: TCP
 * segments addressed to the scanner's source address (IPv4 or IPv6) with a
 * destination port inside its source-port range, and ICMP / ICMPv6
 * destination unreachable errors addressed to it that quote a TCP segment
 * from that address and one of those ports (the scanner then checks the
 * quoted cookie), are redirected to the AF_XDP socket bound to the
 * receiving queue; every other frame - ARP and neighbour discovery (which
 * the kernel needs to resolve our next hop), the host's own TCP
 * connections and the ICMP errors about them (fragmentation needed above
 * all: path MTU discovery must keep working during a scan), other ICMP,
 * fragments, anything unparseable - is passed to the kernel untouched.  libxdp's default program would redirect
 * every frame of the queue, ARP included, and the next hop would never
 * resolve.
 *
 * The configuration (addresses, port range) lives in a one-entry array
 * map that user space writes after loading; until then it is all zeros,
 * which matches nothing, so the program passes everything.  A queue
 * without a socket in the XSKMAP falls back to XDP_PASS through
 * bpf_redirect_map's flags argument.
 *
 * IPv4 options are skipped by IHL; IPv6 extension headers are not followed
 * (such replies go to the kernel, which ignores them for an unknown port).
 * Every access is preceded by a bounds check against data_end, as the
 * verifier requires.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xdp_scan.h" /* shared with src/syn/afxdp.c */

XDP_SCAN_ASSERT_LAYOUT();

/* ICMP types (linux/icmp.h would drag in libc headers for another ABI). */
#define ICMP_DEST_UNREACH 3
#define ICMPV6_DEST_UNREACH 1

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XDP_SCAN_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdp_scan_cfg);
} cfg SEC(".maps");

static __always_inline int port_ours(const struct xdp_scan_cfg *c,
				     const struct tcphdr *th)
{
	__u16 dport = bpf_ntohs(th->dest);

	return dport >= c->port_lo && dport <= c->port_hi;
}

static __always_inline int v6_ours(const struct xdp_scan_cfg *c,
				   const struct ipv6hdr *ip6)
{
	const __u32 *d = ip6->daddr.in6_u.u6_addr32;

	return d[0] == c->src6[0] && d[1] == c->src6[1] && d[2] == c->src6[2] &&
	       d[3] == c->src6[3];
}

static __always_inline int to_xsk(struct xdp_md *ctx)
{
	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
}

static __always_inline int sport_ours(const struct xdp_scan_cfg *c,
				      const struct tcphdr *th)
{
	__u16 sport = bpf_ntohs(th->source);

	return sport >= c->port_lo && sport <= c->port_hi;
}

/*
 * An ICMP header at p: a destination unreachable quoting (after the 8
 * bytes of ICMP header) an IPv4 header and TCP from src4 and our ports.
 */
static __always_inline int icmp4_ours(const struct xdp_scan_cfg *c, void *p,
				      void *data_end)
{
	const __u8 *type = p;
	struct iphdr *q = p + 8;
	struct tcphdr *th;
	__u32 ihl;

	if ((void *)(q + 1) > data_end || *type != ICMP_DEST_UNREACH ||
	    q->protocol != IPPROTO_TCP || q->saddr != c->src4)
		return 0;
	ihl = q->ihl * 4;
	if (ihl < sizeof(*q))
		return 0;
	th = (void *)q + ihl;
	if ((void *)th + 2 > data_end)
		return 0;
	return sport_ours(c, th);
}

/* The same for ICMPv6, quoting an IPv6 header (no extension headers). */
static __always_inline int icmp6_ours(const struct xdp_scan_cfg *c, void *p,
				      void *data_end)
{
	const __u8 *type = p;
	struct ipv6hdr *q = p + 8;
	const __u32 *s = q->saddr.in6_u.u6_addr32;
	struct tcphdr *th = (void *)(q + 1);

	if ((void *)th + 2 > data_end || *type != ICMPV6_DEST_UNREACH ||
	    q->nexthdr != IPPROTO_TCP)
		return 0;
	if (s[0] != c->src6[0] || s[1] != c->src6[1] || s[2] != c->src6[2] ||
	    s[3] != c->src6[3])
		return 0;
	return sport_ours(c, th);
}

SEC("xdp")
int xdp_scan(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct xdp_scan_cfg *c;
	struct ethhdr *eth = data;
	struct tcphdr *th;
	__u32 key = 0;

	c = bpf_map_lookup_elem(&cfg, &key);
	if (!c || (void *)(eth + 1) > data_end)
		return XDP_PASS;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		__u32 ihl;

		if (!(c->flags & XDP_SCAN_SRC4) || (void *)(ip + 1) > data_end)
			return XDP_PASS;
		if (ip->daddr != c->src4 || (ip->protocol != IPPROTO_TCP &&
					     ip->protocol != IPPROTO_ICMP))
			return XDP_PASS;
		/* Fragments (MF set or an offset) go to the kernel. */
		if (ip->frag_off & bpf_htons(0x3fff))
			return XDP_PASS;
		ihl = ip->ihl * 4;
		if (ihl < sizeof(*ip))
			return XDP_PASS;
		if (ip->protocol == IPPROTO_ICMP)
			return icmp4_ours(c, (void *)ip + ihl, data_end) ?
				       to_xsk(ctx) :
				       XDP_PASS;
		th = (void *)ip + ihl;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if (!(c->flags & XDP_SCAN_SRC6) || (void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		if (!v6_ours(c, ip6))
			return XDP_PASS;
		if (ip6->nexthdr == IPPROTO_ICMPV6)
			return icmp6_ours(c, ip6 + 1, data_end) ? to_xsk(ctx) :
								  XDP_PASS;
		if (ip6->nexthdr != IPPROTO_TCP)
			return XDP_PASS;
		th = (void *)(ip6 + 1);
	} else {
		return XDP_PASS;
	}
	if ((void *)(th + 1) > data_end || !port_ours(c, th))
		return XDP_PASS;
	return to_xsk(ctx);
}

char _license[] SEC("license") = "GPL";
