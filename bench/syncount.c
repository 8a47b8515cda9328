/*
 * syncount - count TCP SYNs (or the answers to them) arriving on one
 * interface, with the kernel's arrival time of the first and the last, so
 * a scanner's achieved rate can be measured from the far side of the wire
 * instead of taken from its own report.
 *
 *   syncount -i IF [-m syn|reply]
 *
 * It runs in the target namespace (mode syn: pure SYNs, the probes) or in
 * the scanner's (mode reply: SYN-ACKs and RSTs, the answers), prints
 * "ready" once it is counting, and on SIGINT/SIGTERM drains what is queued
 * and prints one line of "key value" pairs:
 *
 *   syn N first_ns T0 last_ns T1 span_s S rate_pps R kernel_drops D
 *   synack A rst B replies N first_ns ... (mode reply)
 *
 * where rate = (N - 1) / (T1 - T0): N packets span N - 1 gaps, so a scan
 * paced at exactly R per second reads R whatever its length.
 *
 * Why a packet socket with a classic BPF filter: nftables counters give the
 * number but no times; tcpdump gives times but costs a core at 100k packets
 * per second on a 2-core machine, which would slow the scanner it measures.
 * Here the kernel filters (only matching packets are queued, truncated to
 * the 64 bytes the classification needs), stamps each one on arrival
 * (SO_TIMESTAMPNS) and recvmmsg hands them over in batches, so the cost is
 * a few hundred syscalls per second.  The filter is attached before the
 * socket is bound to a protocol, so no unfiltered packet is ever queued.
 * PACKET_IGNORE_OUTGOING keeps the namespace's own transmissions out: only
 * what arrives on the wire counts.  The socket statistics say whether the
 * kernel dropped any (a full receive buffer); the count is then a lower
 * bound and the line says so.
 *
 * IPv4 only, first fragments only: the testbeds use 198.18.0.0/15.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Packets per recvmmsg. */
#define BATCH 64
/* Bytes kept per packet: a maximal IPv4 header (60) plus the TCP flags at
 * offset 13 of the TCP header. */
#define SNAP 80
/* Receive buffer: a second of 100k packets at ~300 bytes of truesize each
 * would need 30 MiB; the loop drains far more often than that. */
#define RCVBUF_BYTES (32 << 20)
#define POLL_MS 100
#define NSEC_PER_SEC 1000000000ULL

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

enum mode { MODE_SYN, MODE_REPLY };

struct tally {
	uint64_t syn;
	uint64_t synack;
	uint64_t rst;
	uint64_t first_ns;
	uint64_t last_ns;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/*
 * Classic BPF over the IPv4 header (a SOCK_DGRAM packet socket's filter
 * sees the packet from the network header on): TCP, not a non-first
 * fragment, then the flags.  syn: (flags & (SYN|ACK)) == SYN.  reply: RST,
 * or (flags & (SYN|ACK)) == SYN|ACK.  Accepting returns SNAP bytes.
 */
static const struct sock_filter filter_syn[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 6),
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),
	BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
	BPF_STMT(BPF_LD | BPF_B | BPF_IND, 13),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, TCP_SYN | TCP_ACK),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TCP_SYN, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SNAP),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

static const struct sock_filter filter_reply[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 7),
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 5, 0),
	BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
	BPF_STMT(BPF_LD | BPF_B | BPF_IND, 13),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, TCP_RST, 2, 0),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, TCP_SYN | TCP_ACK),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TCP_SYN | TCP_ACK, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SNAP),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

static void usage(FILE *f)
{
	fprintf(f, "usage: syncount -i IF [-m syn|reply]\n"
		   "  counts pure SYNs (syn) or SYN-ACKs and RSTs (reply)\n"
		   "  arriving on IF until SIGINT/SIGTERM\n");
}

/* Socket with the filter attached, bound to IF: fd, or -errno with *what
 * naming the step that failed. */
static int open_counter(const char *ifname, enum mode mode, const char **what)
{
	struct sock_fprog prog;
	struct sockaddr_ll sll;
	unsigned int ifindex;
	int one = 1, buf = RCVBUF_BYTES;
	int fd, err;

	*what = "if_nametoindex";
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return -errno;

	/* Protocol 0: nothing is queued until the bind below, after the
	 * filter is in place. */
	*what = "socket(AF_PACKET)";
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;

	if (mode == MODE_SYN) {
		prog.len = sizeof(filter_syn) / sizeof(filter_syn[0]);
		prog.filter = (struct sock_filter *)filter_syn;
	} else {
		prog.len = sizeof(filter_reply) / sizeof(filter_reply[0]);
		prog.filter = (struct sock_filter *)filter_reply;
	}
	*what = "SO_ATTACH_FILTER";
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		goto out_close;
	*what = "SO_TIMESTAMPNS";
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)))
		goto out_close;
	*what = "PACKET_IGNORE_OUTGOING";
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		       sizeof(one)))
		goto out_close;
	/* FORCE needs CAP_NET_ADMIN; without it the plain size (capped by
	 * rmem_max) still works, only with more risk of drops. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = (int)ifindex;
	*what = "bind";
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		goto out_close;
	return fd;

out_close:
	err = -errno;
	close(fd);
	return err;
}

static uint64_t msg_stamp(struct msghdr *mh)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (uint64_t)ts.tv_sec * NSEC_PER_SEC +
			       (uint64_t)ts.tv_nsec;
		}
	}
	return 0;
}

static void tally_packet(struct tally *t, const uint8_t *p, size_t len,
			 uint64_t stamp)
{
	size_t ihl;
	uint8_t flags;

	if (len < 20)
		return;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	if (len < ihl + 14)
		return;
	flags = p[ihl + 13];
	if (flags & TCP_RST)
		t->rst++;
	else if ((flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
		t->synack++;
	else if ((flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
		t->syn++;
	else
		return;
	if (stamp) {
		if (!t->first_ns || stamp < t->first_ns)
			t->first_ns = stamp;
		if (stamp > t->last_ns)
			t->last_ns = stamp;
	}
}

/* Read everything queued now; returns -errno on a real error. */
static int drain(int fd, struct tally *t, uint8_t (*bufs)[SNAP],
		 char (*ctrl)[CMSG_SPACE(sizeof(struct timespec))])
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	int i, n;

	for (;;) {
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = SNAP;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_control = ctrl[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(ctrl[i]);
		}
		n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -errno;
		}
		for (i = 0; i < n; i++)
			tally_packet(t, bufs[i], msgs[i].msg_len,
				     msg_stamp(&msgs[i].msg_hdr));
		if (n < BATCH)
			return 0;
	}
}

static void report(const struct tally *t, enum mode mode, unsigned int drops)
{
	uint64_t n = mode == MODE_SYN ? t->syn : t->synack + t->rst;
	double span = 0, rate = 0;

	if (n > 1 && t->last_ns > t->first_ns) {
		span = (double)(t->last_ns - t->first_ns) / 1e9;
		rate = (double)(n - 1) / span;
	}
	if (mode == MODE_SYN)
		printf("syn %" PRIu64, t->syn);
	else
		printf("synack %" PRIu64 " rst %" PRIu64 " replies %" PRIu64,
		       t->synack, t->rst, n);
	printf(" first_ns %" PRIu64 " last_ns %" PRIu64
	       " span_s %.6f rate_pps %.1f kernel_drops %u\n",
	       t->first_ns, t->last_ns, span, rate, drops);
}

int main(int argc, char **argv)
{
	static uint8_t bufs[BATCH][SNAP];
	static char ctrl[BATCH][CMSG_SPACE(sizeof(struct timespec))];
	struct tpacket_stats st;
	socklen_t stlen = sizeof(st);
	struct sigaction sa;
	struct tally t = { 0 };
	const char *ifname = NULL, *what;
	enum mode mode = MODE_SYN;
	unsigned int drops = 0;
	struct pollfd pfd;
	int opt, fd, err;

	while ((opt = getopt(argc, argv, "i:m:h")) != -1) {
		switch (opt) {
		case 'i':
			ifname = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "syn")) {
				mode = MODE_SYN;
			} else if (!strcmp(optarg, "reply")) {
				mode = MODE_REPLY;
			} else {
				usage(stderr);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!ifname || optind != argc) {
		usage(stderr);
		return 2;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	fd = open_counter(ifname, mode, &what);
	if (fd < 0) {
		fprintf(stderr, "syncount: %s on %s: %s\n", what, ifname,
			strerror(-fd));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);

	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!stop_flag) {
		if (poll(&pfd, 1, POLL_MS) < 0 && errno != EINTR) {
			fprintf(stderr, "syncount: poll: %s\n",
				strerror(errno));
			close(fd);
			return 1;
		}
		err = drain(fd, &t, bufs, ctrl);
		if (err) {
			fprintf(stderr, "syncount: recvmmsg: %s\n",
				strerror(-err));
			close(fd);
			return 1;
		}
	}
	err = drain(fd, &t, bufs, ctrl);
	/* Reading the statistics also resets them; one read at the end. */
	if (!getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stlen))
		drops = st.tp_drops;
	close(fd);
	report(&t, mode, drops);
	return err ? 1 : 0;
}
