/*
 * pktsock.c - AF_PACKET link for the SYN engine (see pktsock.h).
 *
 * The filter is a classic BPF program generated for this scan's addresses
 * and port range:
 *
 *   ethertype IPv4: proto TCP, not a fragment, daddr == src4,
 *                   port_lo <= dport <= port_hi          -> accept
 *                   proto ICMP, not a fragment, daddr == src4,
 *                   type destination unreachable         -> accept
 *   ethertype IPv6: next header TCP, daddr == src6 (four words),
 *                   port_lo <= dport <= port_hi          -> accept
 *                   next header ICMPv6, daddr == src6,
 *                   type destination unreachable         -> accept
 *   anything else                                        -> drop
 *
 * The ICMP branches do not look into the quote (its offset depends on two
 * header lengths): errors to us are few, and pkt_parse and the cookie in
 * the quoted sequence number judge them.
 *
 * A family without a source address drops all of its frames.  Jumps are
 * emitted with symbolic targets and resolved once the program is complete
 * (classic BPF jumps are forward offsets of at most 255, far more than
 * this program's length).  The filter only saves work: pkt_parse and the
 * cookie check still judge every frame that gets through.
 *
 * The socket is created with protocol 0, which receives nothing; the
 * filter is attached and only then is the socket bound to ETH_P_ALL on the
 * interface.  PACKET_IGNORE_OUTGOING hides our own frames (the filter would
 * drop them anyway unless we scan ourselves).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "pktsock.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define PKTSOCK_RCVBUF (4 << 20) /* absorbs a burst of replies */
#define FILTER_MAX 64
#define SNAP_ALL 0x40000

/* Symbolic jump targets, resolved by filter_finish. */
enum { L_NEXT, L_ACCEPT, L_DROP, L_V6, L_ICMP4, L_ICMP6 };

struct filter {
	struct sock_filter ins[FILTER_MAX];
	uint8_t jt[FILTER_MAX], jf[FILTER_MAX]; /* symbolic targets */
	unsigned n;
	unsigned v6; /* index of the IPv6 branch */
	unsigned icmp4, icmp6; /* indexes of the ICMP branches */
};

_Static_assert(PKTSOCK_BATCH >= LINK_RX_BATCH, "rx takes a link batch");

struct pktsock_stats {
	uint64_t tx_frames; /* handed to the kernel */
	uint64_t tx_errors; /* frames a sendmmsg refused (dropped) */
	uint64_t rx_frames;
	uint64_t rx_truncated; /* bigger than PKTSOCK_RX_FRAME: dropped */
	/* frames the kernel dropped before we read them (receive buffer
	 * full: PACKET_STATISTICS tp_drops) */
	uint64_t kernel_drops;
};

struct pktsock {
	int fd;
	uint32_t ntx;
	struct pktsock_stats stats;
	struct mmsghdr tx_msg[PKTSOCK_BATCH];
	struct iovec tx_iov[PKTSOCK_BATCH];
	uint8_t tx_buf[PKTSOCK_BATCH][PKT_FRAME_MAX];
	struct mmsghdr rx_msg[PKTSOCK_BATCH];
	struct iovec rx_iov[PKTSOCK_BATCH];
	/* SCM_TIMESTAMPNS of each frame (the kernel's receive time) */
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct timespec))];
	} rx_ctl[PKTSOCK_BATCH];
	uint8_t rx_buf[PKTSOCK_BATCH][PKTSOCK_RX_FRAME];
};

static void f_stmt(struct filter *f, uint16_t code, uint32_t k)
{
	f->ins[f->n] = (struct sock_filter)BPF_STMT(code, k);
	f->jt[f->n] = f->jf[f->n] = L_NEXT;
	f->n++;
}

static void f_jump(struct filter *f, uint16_t code, uint32_t k, uint8_t jt,
		   uint8_t jf)
{
	f->ins[f->n] = (struct sock_filter)BPF_JUMP(code, k, 0, 0);
	f->jt[f->n] = jt;
	f->jf[f->n] = jf;
	f->n++;
}

/* dport (at offset off from the Ethernet header, or X + off) in range. */
static void f_ports(struct filter *f, bool indexed, uint32_t off,
		    const struct pktsock_config *c)
{
	f_stmt(f, BPF_LD | BPF_H | (indexed ? BPF_IND : BPF_ABS), off);
	f_jump(f, BPF_JMP | BPF_JGE | BPF_K, c->port_lo, L_NEXT, L_DROP);
	f_jump(f, BPF_JMP | BPF_JGT | BPF_K, c->port_hi, L_DROP, L_ACCEPT);
}

/* IPv4: not a fragment, to src4; leaves X = the IP header length. */
static void f_v4_ours(struct filter *f, const struct pktsock_config *c)
{
	uint32_t w;

	f_stmt(f, BPF_LD | BPF_H | BPF_ABS, 14 + 6);
	f_jump(f, BPF_JMP | BPF_JSET | BPF_K, 0x3fff, L_DROP, L_NEXT);
	memcpy(&w, c->src4.bytes, 4);
	f_stmt(f, BPF_LD | BPF_W | BPF_ABS, 14 + 16);
	f_jump(f, BPF_JMP | BPF_JEQ | BPF_K, ntohl(w), L_NEXT, L_DROP);
	f_stmt(f, BPF_LDX | BPF_B | BPF_MSH, 14);
}

/* IPv6: to src6. */
static void f_v6_ours(struct filter *f, const struct pktsock_config *c)
{
	uint32_t w;

	for (int i = 0; i < 4; i++) {
		memcpy(&w, c->src6.bytes + 4 * i, 4);
		f_stmt(f, BPF_LD | BPF_W | BPF_ABS, 14 + 24 + 4 * (uint32_t)i);
		f_jump(f, BPF_JMP | BPF_JEQ | BPF_K, ntohl(w), L_NEXT, L_DROP);
	}
}

static void filter_build(struct filter *f, const struct pktsock_config *c)
{
	f->n = 0;
	f_stmt(f, BPF_LD | BPF_H | BPF_ABS, 12);
	f_jump(f, BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, L_NEXT, L_V6);
	if (c->has_src4) {
		f_stmt(f, BPF_LD | BPF_B | BPF_ABS, 14 + 9);
		f_jump(f, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, L_NEXT,
		       L_ICMP4);
		f_v4_ours(f, c);
		f_ports(f, true, 14 + 2, c);
		f->icmp4 = f->n; /* A still holds the protocol */
		f_jump(f, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMP, L_NEXT,
		       L_DROP);
		f_v4_ours(f, c);
		f_stmt(f, BPF_LD | BPF_B | BPF_IND, 14); /* ICMP type */
		f_jump(f, BPF_JMP | BPF_JEQ | BPF_K, 3, L_ACCEPT, L_DROP);
	} else {
		f_stmt(f, BPF_RET | BPF_K, 0);
	}
	f->v6 = f->n;
	f_jump(f, BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, L_NEXT, L_DROP);
	if (c->has_src6) {
		f_stmt(f, BPF_LD | BPF_B | BPF_ABS, 14 + 6);
		f_jump(f, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, L_NEXT,
		       L_ICMP6);
		f_v6_ours(f, c);
		f_ports(f, false, 14 + 40 + 2, c);
		f->icmp6 = f->n;
		f_jump(f, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMPV6, L_NEXT,
		       L_DROP);
		f_v6_ours(f, c);
		f_stmt(f, BPF_LD | BPF_B | BPF_ABS, 14 + 40); /* ICMPv6 type */
		f_jump(f, BPF_JMP | BPF_JEQ | BPF_K, 1, L_ACCEPT, L_DROP);
	} else {
		f_stmt(f, BPF_RET | BPF_K, 0);
	}
	/* L_ACCEPT is n, L_DROP is n + 1. */
	f_stmt(f, BPF_RET | BPF_K, SNAP_ALL);
	f_stmt(f, BPF_RET | BPF_K, 0);
}

static uint8_t target(const struct filter *f, unsigned i, uint8_t sym)
{
	unsigned to;

	switch (sym) {
	case L_ACCEPT:
		to = f->n - 2;
		break;
	case L_DROP:
		to = f->n - 1;
		break;
	case L_V6:
		to = f->v6;
		break;
	case L_ICMP4:
		to = f->icmp4;
		break;
	case L_ICMP6:
		to = f->icmp6;
		break;
	default:
		return 0;
	}
	return (uint8_t)(to - i - 1);
}

static void filter_finish(struct filter *f)
{
	for (unsigned i = 0; i < f->n; i++) {
		if (BPF_CLASS(f->ins[i].code) != BPF_JMP)
			continue;
		f->ins[i].jt = target(f, i, f->jt[i]);
		f->ins[i].jf = target(f, i, f->jf[i]);
	}
}

int pktsock_new(struct pktsock **out, const struct pktsock_config *cfg)
{
	struct sockaddr_ll sll = { 0 };
	struct sock_fprog prog;
	struct filter filt;
	struct pktsock *p;
	int one = 1, rcvbuf = PKTSOCK_RCVBUF, ret;

	if (cfg->port_lo > cfg->port_hi || cfg->ifindex <= 0)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		ret = -errno;
		goto out_free;
	}
	filter_build(&filt, cfg);
	filter_finish(&filt);
	prog.len = (unsigned short)filt.n;
	prog.filter = filt.ins;
	if (setsockopt(p->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		       sizeof(prog))) {
		ret = -errno;
		goto out_close;
	}
	/* Best effort: a kernel without these just delivers more. */
	(void)setsockopt(p->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
			 sizeof(one));
	/* Best effort too: without it a frame's time is when it was read. */
	(void)setsockopt(p->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (setsockopt(p->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)))
		(void)setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				 sizeof(rcvbuf));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = cfg->ifindex;
	if (bind(p->fd, (struct sockaddr *)&sll, sizeof(sll))) {
		ret = -errno;
		goto out_close;
	}
	for (int i = 0; i < PKTSOCK_BATCH; i++) {
		p->tx_iov[i].iov_base = p->tx_buf[i];
		p->tx_msg[i].msg_hdr.msg_iov = &p->tx_iov[i];
		p->tx_msg[i].msg_hdr.msg_iovlen = 1;
		p->rx_iov[i].iov_base = p->rx_buf[i];
		p->rx_iov[i].iov_len = PKTSOCK_RX_FRAME;
		p->rx_msg[i].msg_hdr.msg_iov = &p->rx_iov[i];
		p->rx_msg[i].msg_hdr.msg_iovlen = 1;
	}
	*out = p;
	return 0;

out_close:
	close(p->fd);
out_free:
	free(p);
	return ret;
}

static void pktsock_free(void *l)
{
	struct pktsock *p = l;

	if (!p)
		return;
	close(p->fd);
	free(p);
}

static uint32_t pktsock_fds(const void *l, int *fds, uint32_t max)
{
	const struct pktsock *p = l;

	if (!max)
		return 0;
	fds[0] = p->fd;
	return 1;
}

static uint8_t *pktsock_tx_frame(void *l)
{
	struct pktsock *p = l;

	return p->ntx < PKTSOCK_BATCH ? p->tx_buf[p->ntx] : NULL;
}

static void pktsock_tx_commit(void *l, uint32_t len)
{
	struct pktsock *p = l;

	p->tx_iov[p->ntx].iov_len = len;
	p->ntx++;
}

static int pktsock_tx_flush(void *l)
{
	struct pktsock *p = l;
	uint32_t done = 0;
	int n;

	while (done < p->ntx) {
		n = sendmmsg(p->fd, p->tx_msg + done, p->ntx - done, 0);
		if (n > 0) {
			done += (uint32_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 &&
		    (errno == ENETDOWN || errno == ENXIO || errno == ENODEV)) {
			int err = -errno;

			p->stats.tx_errors += p->ntx - done;
			p->ntx = 0;
			return err;
		}
		/* sendmmsg fails only on the first frame: drop it, go on. */
		p->stats.tx_errors++;
		done++;
	}
	p->stats.tx_frames += done;
	n = (int)p->ntx;
	p->ntx = 0;
	return n;
}

/* Both clocks now, in nanoseconds. */
static void rx_clock(uint64_t *mono, uint64_t *real)
{
	struct timespec ts;

	*mono = clock_now_ns();
	clock_gettime(CLOCK_REALTIME, &ts);
	*real = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * When a frame arrived, on the scan's clock.  The kernel stamps frames in
 * CLOCK_REALTIME; read just now, it is mapped through the two clocks'
 * offset at the read (a step of the wall clock between the two is the only
 * error).  A missing or impossible stamp (after the read) is the read's
 * time.
 */
static uint64_t rx_time(const struct msghdr *m, uint64_t mono, uint64_t real)
{
	struct cmsghdr *c;
	struct timespec ts;
	uint64_t t, age;

	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR((struct msghdr *)m, c)) {
		if (c->cmsg_level != SOL_SOCKET ||
		    c->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		t = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
		if (t > real)
			return mono;
		age = real - t;
		return age < mono ? mono - age : mono;
	}
	return mono;
}

static int pktsock_rx(void *l, struct pkt_frame *f, uint32_t max)
{
	struct pktsock *p = l;
	uint64_t mono = 0, real = 0;
	uint32_t got = 0;
	int n;

	if (max > PKTSOCK_BATCH)
		max = PKTSOCK_BATCH;
	for (uint32_t i = 0; i < max; i++) {
		p->rx_msg[i].msg_hdr.msg_flags = 0;
		p->rx_msg[i].msg_hdr.msg_control = &p->rx_ctl[i];
		p->rx_msg[i].msg_hdr.msg_controllen = sizeof(p->rx_ctl[i]);
	}
	n = recvmmsg(p->fd, p->rx_msg, max, MSG_DONTWAIT, NULL);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ||
				       errno == EINTR ?
			       0 :
			       -errno;
	if (n > 0)
		rx_clock(&mono, &real);
	for (int i = 0; i < n; i++) {
		p->stats.rx_frames++;
		if (p->rx_msg[i].msg_hdr.msg_flags & MSG_TRUNC) {
			p->stats.rx_truncated++;
			continue;
		}
		f[got].data = p->rx_buf[i];
		f[got].len = p->rx_msg[i].msg_len;
		f[got].rx_ns = rx_time(&p->rx_msg[i].msg_hdr, mono, real);
		got++;
	}
	return (int)got;
}

static void pktsock_rx_release(void *l)
{
	(void)l; /* frames live in the socket's buffers until the next rx */
}

static void pktsock_drops(void *l, uint64_t *rx_drops, uint64_t *tx_refused)
{
	struct pktsock *p = l;
	struct tpacket_stats ks;
	socklen_t len = sizeof(ks);

	/* PACKET_STATISTICS resets on read: add, so that calls add up. */
	if (getsockopt(p->fd, SOL_PACKET, PACKET_STATISTICS, &ks, &len) == 0)
		p->stats.kernel_drops += ks.tp_drops;
	*rx_drops = p->stats.kernel_drops;
	*tx_refused = p->stats.tx_errors;
}

const struct link_ops pktsock_link_ops = {
	.fds = pktsock_fds,
	.tx_frame = pktsock_tx_frame,
	.tx_commit = pktsock_tx_commit,
	.tx_flush = pktsock_tx_flush,
	.rx = pktsock_rx,
	.rx_release = pktsock_rx_release,
	.drops = pktsock_drops,
	.free = pktsock_free,
};
