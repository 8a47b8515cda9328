/*
 * test_synengine.c - the SYN engine against real kernels, in two private
 * network namespaces built by the test process itself.
 *
 * Setup (as root; otherwise every case is skipped): the process unshares
 * into namespace A, opens it, unshares again into namespace B, opens that,
 * and joins the two with a veth pair: rs-a 198.18.0.1/24 in A, rs-b
 * 198.18.0.2/24 in B, which also owns 198.18.1.0/24 through a local route
 * (A routes it via 198.18.0.2).  While in B it creates the sockets that
 * play the target: TCP listeners, an AF_PACKET socket that sees every
 * frame arriving on rs-b, and a raw TCP socket to send hand-made replies;
 * nftables drops SYNs to ports 9 and 81 there.  setns() then takes the
 * process back to A, where the engine runs; the sockets stay in B.
 *
 * Port 9 is where replies are written by hand: its SYN is captured, the
 * kernel drops it, and the test decides when (or whether) to answer and
 * with which acknowledgment number - which makes the late-answer path and
 * the cookie check deterministic.  ICMP destination unreachable errors
 * quoting it are written by hand too, through a raw ICMP socket in B.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "clock.h"
#include "pkt.h"
#include "synengine.h"

#define SLOTS 64

static struct {
	bool ready;
	bool nft;
	int fd_a, fd_b; /* the namespaces */
	int cap; /* AF_PACKET on rs-b, in B */
	int raw; /* raw TCP socket in B, bound to 198.18.0.2 */
	int icmp; /* raw ICMP socket in B, bound to 198.18.0.2 */
	int lst[2]; /* listeners in B */
} bed = { .fd_a = -1,
	  .fd_b = -1,
	  .cap = -1,
	  .raw = -1,
	  .icmp = -1,
	  .lst = { -1, -1 } };

static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd) == 0 ? 0 : -1;
}

static int listen_on(const char *addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	inet_pton(AF_INET, addr, &sin.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(fd, 64))
		return -1;
	return fd;
}

static int bed_setup(void **state)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };

	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNET))
		return 0;
	bed.fd_a = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (bed.fd_a < 0 || unshare(CLONE_NEWNET))
		return -1;
	bed.fd_b = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (bed.fd_b < 0 || setns(bed.fd_a, CLONE_NEWNET))
		return -1;
	/* In A. */
	if (sh("ip link set lo up && "
	       "ip link add rs-a type veth peer name rs-b netns /proc/%d/fd/%d && "
	       "ip addr add 198.18.0.1/24 dev rs-a && ip link set rs-a up && "
	       "ip route add 198.18.1.0/24 via 198.18.0.2 && "
	       "echo 100 > /proc/sys/net/ipv4/neigh/rs-a/retrans_time_ms && "
	       "echo 1 > /proc/sys/net/ipv4/neigh/rs-a/mcast_solicit",
	       getpid(), bed.fd_b))
		return -1;
	if (setns(bed.fd_b, CLONE_NEWNET))
		return -1;
	/* In B. */
	if (sh("ip link set lo up && ip addr add 198.18.0.2/24 dev rs-b && "
	       "ip link set rs-b up && ip route add local 198.18.1.0/24 dev lo"))
		return -1;
	bed.nft = !sh("nft add table inet t && nft add chain inet t in "
		      "'{ type filter hook input priority 0; }' && "
		      "nft add rule inet t in 'tcp dport { 9, 81 } "
		      "tcp flags & (syn | ack) == syn drop' 2>/dev/null");
	bed.lst[0] = listen_on("0.0.0.0", 22);
	bed.lst[1] = listen_on("198.18.0.2", 80);
	bed.cap = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			 htons(ETH_P_IP));
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = (int)if_nametoindex("rs-b");
	bed.raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
	bed.icmp = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	inet_pton(AF_INET, "198.18.0.2", &src.sin_addr);
	if (bed.lst[0] < 0 || bed.lst[1] < 0 || bed.cap < 0 || bed.raw < 0 ||
	    bed.icmp < 0 ||
	    bind(bed.cap, (struct sockaddr *)&sll, sizeof(sll)) ||
	    bind(bed.raw, (struct sockaddr *)&src, sizeof(src)) ||
	    bind(bed.icmp, (struct sockaddr *)&src, sizeof(src)))
		return -1;
	if (setns(bed.fd_a, CLONE_NEWNET))
		return -1;
	bed.ready = true;
	return 0;
}

static int bed_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++)
		if (bed.lst[i] >= 0)
			close(bed.lst[i]);
	if (bed.cap >= 0)
		close(bed.cap);
	if (bed.raw >= 0)
		close(bed.raw);
	if (bed.icmp >= 0)
		close(bed.icmp);
	return 0;
}

#define NEED_BED()              \
	do {                    \
		if (!bed.ready) \
			skip(); \
	} while (0)

static void to_sa(const char *addr, uint16_t port, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	inet_pton(AF_INET, addr, &sin->sin_addr);
}

static int prep(struct synengine *e, uint64_t probe, uint32_t attempt,
		const char *addr, uint16_t port, uint64_t timeout_ns)
{
	struct sched_probe p = { .probe = probe, .attempt = attempt };
	struct sockaddr_in sin;

	to_sa(addr, port, &sin);
	return synengine_ops.prep(e, &p, (struct sockaddr *)&sin, sizeof(sin),
				  timeout_ns, 0);
}

/* Run until want results are in (or ms pass); results sorted by probe. */
static uint32_t collect(struct synengine *e, struct engine_result *out,
			uint32_t want, int ms)
{
	uint64_t end = clock_now_ns() + (uint64_t)ms * 1000000ULL;
	struct engine_result res[SLOTS];
	uint32_t got = 0;

	while (got < want && clock_now_ns() < end) {
		int n;

		/* Poisoned (every bool true): a field left unset shows. */
		memset(res, 0x01, sizeof(res));
		n = synengine_ops.run(e, 20000000ULL, res, SLOTS);

		assert_true(n >= 0);
		for (int i = 0; i < n && got < want; i++)
			out[got++] = res[i];
	}
	for (uint32_t i = 1; i < got; i++)
		for (uint32_t j = i;
		     j && out[j].probe.probe < out[j - 1].probe.probe; j--) {
			struct engine_result t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return got;
}

static int new_engine(struct synengine **e, enum synengine_kind kind,
		      struct synengine_info *info)
{
	struct rs_addr hint = { .family = AF_INET, .bytes = { 198, 18, 0, 2 } };
	struct synengine_config cfg = {
		.slots = SLOTS,
		.ifname = "rs-a",
		.hint = &hint,
		.kind = kind,
	};

	return synengine_new(e, &cfg, info);
}

/* Drain the capture socket, return the last SYN to port (0 if none). */
static int capture_syn(uint16_t port, uint16_t *sport, uint32_t *seq, int ms)
{
	uint64_t end = clock_now_ns() + (uint64_t)ms * 1000000ULL;
	uint8_t buf[2048];
	struct pkt_reply r;
	int found = 0;

	while (clock_now_ns() < end) {
		struct pollfd p = { .fd = bed.cap, .events = POLLIN };
		ssize_t n;

		poll(&p, 1, 10);
		while ((n = recv(bed.cap, buf, sizeof(buf), 0)) > 0) {
			if (pkt_parse(buf, (size_t)n, &r) || r.dport != port ||
			    r.flags != PKT_TCP_SYN)
				continue;
			*sport = r.sport;
			*seq = r.seq;
			found = 1;
		}
		if (found)
			return 1;
	}
	return 0;
}

/* A hand-made reply from 198.18.0.2:sport to 198.18.0.1:dport. */
static void send_reply(uint16_t sport, uint16_t dport, uint32_t ack,
		       uint8_t flags)
{
	struct sockaddr_in dst;
	/* Pseudo-header: source, destination, zero, TCP, TCP length. */
	static const uint8_t ph[] = {
		198, 18, 0, 2, 198, 18, 0, 1, 0, 6, 0, 20
	};
	uint8_t th[20] = { 0 };
	uint16_t c;

	to_sa("198.18.0.1", 0, &dst);
	th[0] = (uint8_t)(sport >> 8);
	th[1] = (uint8_t)sport;
	th[2] = (uint8_t)(dport >> 8);
	th[3] = (uint8_t)dport;
	th[4] = 0x12; /* seq 0x12345678 */
	th[5] = 0x34;
	th[6] = 0x56;
	th[7] = 0x78;
	th[8] = (uint8_t)(ack >> 24);
	th[9] = (uint8_t)(ack >> 16);
	th[10] = (uint8_t)(ack >> 8);
	th[11] = (uint8_t)ack;
	th[12] = 5 << 4;
	th[13] = flags;
	th[14] = 0xff;
	th[15] = 0xff;
	c = pkt_csum_fold(pkt_csum_add(pkt_csum_add(0, ph, 12), th, 20));
	th[16] = (uint8_t)(c >> 8);
	th[17] = (uint8_t)c;
	assert_int_equal(sendto(bed.raw, th, sizeof(th), 0,
				(struct sockaddr *)&dst, sizeof(dst)),
			 20);
}

/*
 * From 198.18.0.2 to 198.18.0.1: ICMP destination unreachable with code,
 * quoting the SYN 198.18.0.1:sport -> 198.18.0.2:dport with sequence seq
 * (its IP header and the first 8 bytes of TCP, as RFC 792 asks).
 */
static void send_unreach(uint8_t code, uint16_t sport, uint16_t dport,
			 uint32_t seq)
{
	static const uint8_t qip[20] = {
		0x45, 0, 0,   44, 0, 1, 0x40, 0,  1, 6,
		0,    0, 198, 18, 0, 1, 198,  18, 0, 2
	};
	struct sockaddr_in dst;
	uint8_t m[8 + 20 + 8] = { 3, code };
	uint8_t *th = m + 28;
	uint16_t c;

	to_sa("198.18.0.1", 0, &dst);
	memcpy(m + 8, qip, sizeof(qip));
	th[0] = (uint8_t)(sport >> 8);
	th[1] = (uint8_t)sport;
	th[2] = (uint8_t)(dport >> 8);
	th[3] = (uint8_t)dport;
	th[4] = (uint8_t)(seq >> 24);
	th[5] = (uint8_t)(seq >> 16);
	th[6] = (uint8_t)(seq >> 8);
	th[7] = (uint8_t)seq;
	c = pkt_csum_fold(pkt_csum_add(0, m, sizeof(m)));
	m[2] = (uint8_t)(c >> 8);
	m[3] = (uint8_t)c;
	assert_int_equal(sendto(bed.icmp, m, sizeof(m), 0,
				(struct sockaddr *)&dst, sizeof(dst)),
			 (ssize_t)sizeof(m));
}

static void check_states(enum synengine_kind kind)
{
	struct engine_result r[8];
	struct synengine_info info;
	struct synengine_stats st;
	struct sched_probe inflight[SLOTS];
	struct synengine *e;
	struct sockaddr_in sin;
	int ret;

	ret = new_engine(&e, kind, &info);
	if (kind == SYNENGINE_XDP && ret) {
		print_message("AF_XDP unavailable here: %s\n", strerror(-ret));
		skip();
	}
	assert_int_equal(ret, 0);
	assert_string_equal(info.ifname, "rs-a");
	assert_true(info.has_src4);
	assert_int_equal(info.src4.bytes[3], 1);
	assert_int_equal(info.sport_lo, SYNENGINE_SPORT_LO);
	assert_int_equal(info.kind, kind);
	assert_int_equal(synengine_ops.idle(e), SLOTS);

	assert_int_equal(prep(e, 1, 0, "198.18.0.2", 22, 500000000ULL), 0);
	assert_int_equal(prep(e, 2, 0, "198.18.0.2", 23, 500000000ULL), 0);
	assert_int_equal(prep(e, 3, 0, "198.18.1.5", 22, 500000000ULL), 0);
	assert_int_equal(prep(e, 4, 0, "198.18.1.5", 80, 500000000ULL), 0);
	assert_int_equal(prep(e, 5, 0, "198.18.0.99", 1, 500000000ULL), 0);
	assert_int_equal(prep(e, 6, 0, "198.19.0.1", 1, 500000000ULL), 0);
	/* The same target again while in flight, and a bad sockaddr. */
	assert_int_equal(prep(e, 7, 0, "198.18.0.2", 22, 500000000ULL), -EBUSY);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_UNIX;
	assert_int_equal(
		synengine_ops.prep(e, &(struct sched_probe){ .probe = 8 },
				   (struct sockaddr *)&sin, sizeof(sin), 1, 0),
		-EINVAL);
	assert_int_equal(synengine_ops.busy(e), 6);
	assert_int_equal(synengine_ops.idle(e), SLOTS - 6);
	assert_int_equal(synengine_ops.inflight(e, inflight, SLOTS), 6);

	assert_int_equal(collect(e, r, 6, 5000), 6);
	assert_int_equal(r[0].outcome, ENGINE_OPEN);
	assert_true(r[0].rtt_ns > 0);
	assert_int_equal(r[1].outcome, ENGINE_CLOSED);
	assert_true(r[1].rtt_ns > 0);
	assert_int_equal(r[2].outcome, ENGINE_OPEN); /* via the gateway */
	assert_int_equal(r[3].outcome, ENGINE_CLOSED);
	assert_int_equal(r[4].outcome, ENGINE_UNREACH); /* ARP fails */
	assert_int_equal(r[4].err, -EHOSTUNREACH);
	assert_int_equal(r[5].outcome, ENGINE_UNREACH); /* no route */
	assert_int_equal(r[5].err, -ENETUNREACH);
	for (int i = 0; i < 6; i++)
		assert_int_equal(r[i].probe.probe, (uint64_t)i + 1);
	assert_int_equal(synengine_ops.busy(e), 0);
	assert_int_equal(synengine_ops.inflight(e, inflight, SLOTS), 0);

	synengine_get_stats(e, &st);
	assert_int_equal(st.tx_syn, 4);
	assert_int_equal(st.tx_rst, 2); /* one per SYN-ACK */
	assert_int_equal(st.rx_answers, 4);
	assert_int_equal(st.rx_bad_cookie, 0);
	assert_int_equal(st.neigh_failed, 1);

	/* Segments to ports outside our range never reach the engine: the
	 * socket filter (AF_PACKET) or the XDP program keeps them out. */
	send_reply(9, SYNENGINE_SPORT_LO - 1, 1, PKT_TCP_SYN | PKT_TCP_ACK);
	send_reply(9, SYNENGINE_SPORT_HI + 1, 1, PKT_TCP_RST | PKT_TCP_ACK);
	send_reply(22, 22, 1, PKT_TCP_SYN | PKT_TCP_ACK);
	send_reply(9, SYNENGINE_SPORT_LO, 1, PKT_TCP_SYN | PKT_TCP_ACK);
	for (int i = 0; i < 10; i++)
		assert_int_equal(synengine_ops.run(e, 10000000ULL, r, 8), 0);
	synengine_get_stats(e, &st);
	assert_int_equal(st.rx_frames, 4 + 1); /* only the last one */
	assert_int_equal(st.rx_bad_cookie, 1);
	synengine_ops.free(e);
}

static void test_states_packet(void **state)
{
	(void)state;
	NEED_BED();
	check_states(SYNENGINE_PACKET);
}

static void test_states_xdp(void **state)
{
	(void)state;
	NEED_BED();
	check_states(SYNENGINE_XDP);
}

/*
 * Attempt 0 times out; its answer arrives afterwards, is reported at once
 * (early, for the scheduler to take back a retry it holds) and kept; the
 * retry completes at once with it, without sending.  A late answer to
 * the final attempt is reported early too: only the scheduler knows the
 * attempt was the last.
 */
static void test_late_answer(void **state)
{
	struct engine_result r[2];
	struct synengine_stats st;
	struct synengine *e;
	uint16_t sport, sport2;
	uint32_t seq, seq2;
	uint64_t end, t0, t1;
	int n;

	(void)state;
	NEED_BED();
	if (!bed.nft)
		skip();
	assert_int_equal(new_engine(&e, SYNENGINE_PACKET, NULL), 0);
	while (capture_syn(9, &sport, &seq, 0))
		; /* forget older captures */
	t0 = clock_now_ns();
	assert_int_equal(prep(e, 42, 0, "198.18.0.2", 9, 50000000ULL), 0);
	assert_int_equal(collect(e, r, 1, 2000), 1);
	assert_int_equal(r[0].outcome, ENGINE_TIMEOUT);
	assert_int_equal(r[0].probe.probe, 42);
	assert_true(capture_syn(9, &sport, &seq, 1000));

	send_reply(9, sport, seq + 1, PKT_TCP_SYN | PKT_TCP_ACK);
	end = clock_now_ns() + 2000000000ULL;
	do {
		n = synengine_ops.run(e, 10000000ULL, r, 2);
		synengine_get_stats(e, &st);
	} while (!n && !st.rx_late && clock_now_ns() < end);
	assert_int_equal(st.rx_late, 1);
	assert_int_equal(n, 1);
	assert_true(r[0].early);
	assert_true(r[0].late);
	assert_false(r[0].withdrawn);
	assert_int_equal(r[0].outcome, ENGINE_OPEN);
	assert_int_equal(r[0].probe.probe, 42);
	assert_int_equal(r[0].probe.attempt, 0);
	assert_true(r[0].sent_ns >= t0 && r[0].rtt_ns > 0);
	assert_int_equal(st.tx_rst, 1); /* the half-open connection reset */

	assert_int_equal(prep(e, 42, 1, "198.18.0.2", 9, 50000000ULL), 0);
	assert_int_equal(collect(e, r, 1, 1000), 1);
	assert_int_equal(r[0].outcome, ENGINE_OPEN);
	assert_int_equal(r[0].probe.attempt, 1);
	assert_true(r[0].late);
	assert_true(r[0].withdrawn);
	/* In the slot the early result had: each result says it anew. */
	assert_false(r[0].early);
	/* The RTT of the attempt answered: its SYN to the reply. */
	assert_true(r[0].rtt_ns > 0 && r[0].rtt_ns < 4000000000ULL);
	/* And when that SYN left, for the answers' frontier: the answer
	 * came an RTT after it, before now. */
	assert_true(r[0].sent_ns >= t0);
	assert_true(r[0].sent_ns + r[0].rtt_ns <= clock_now_ns());
	synengine_get_stats(e, &st);
	assert_int_equal(st.late_delivered, 1);
	assert_int_equal(st.tx_syn, 1); /* the retry was never sent */

	/*
	 * The retry goes out before the first attempt's answer comes: a
	 * spurious retry, answered (late) but sent.
	 */
	t0 = clock_now_ns();
	assert_int_equal(prep(e, 44, 0, "198.18.0.2", 9, 50000000ULL), 0);
	assert_int_equal(collect(e, r, 1, 2000), 1);
	assert_int_equal(r[0].outcome, ENGINE_TIMEOUT);
	assert_true(capture_syn(9, &sport, &seq, 1000));
	t1 = clock_now_ns();
	assert_int_equal(prep(e, 44, 1, "198.18.0.2", 9, 2000000000ULL), 0);
	assert_int_equal(synengine_ops.run(e, 0, r, 2), 0);
	assert_true(capture_syn(9, &sport2, &seq2, 1000));
	assert_int_not_equal(sport2, sport);
	send_reply(9, sport, seq + 1, PKT_TCP_RST | PKT_TCP_ACK);
	assert_int_equal(collect(e, r, 1, 2000), 1);
	assert_int_equal(r[0].outcome, ENGINE_CLOSED);
	assert_int_equal(r[0].probe.attempt, 1);
	assert_true(r[0].late);
	assert_false(r[0].withdrawn);
	/* Timed from the first attempt's SYN, the one answered: at least
	 * its 50 ms timeout ago (the retry's SYN left after it). */
	assert_true(r[0].rtt_ns >= 50000000ULL && r[0].rtt_ns < 4000000000ULL);
	/* The first attempt's send, not the retry's (after t1). */
	assert_true(r[0].sent_ns >= t0 && r[0].sent_ns < t1);
	synengine_get_stats(e, &st);
	assert_int_equal(st.tx_syn, 3);

	/* The final attempt: times out, a late RST is counted, no result. */
	assert_int_equal(prep(e, 43, 2, "198.18.0.2", 9, 50000000ULL), 0);
	assert_int_equal(collect(e, r, 1, 2000), 1);
	assert_int_equal(r[0].outcome, ENGINE_TIMEOUT);
	assert_true(capture_syn(9, &sport, &seq, 1000));
	send_reply(9, sport, seq + 1, PKT_TCP_RST | PKT_TCP_ACK);
	end = clock_now_ns() + 2000000000ULL;
	do {
		n = synengine_ops.run(e, 10000000ULL, r, 2);
		synengine_get_stats(e, &st);
	} while (!n && st.rx_late < 2 && clock_now_ns() < end);
	assert_int_equal(st.rx_late, 2);
	assert_int_equal(n, 1);
	assert_true(r[0].early);
	assert_int_equal(r[0].outcome, ENGINE_CLOSED);
	assert_int_equal(r[0].probe.probe, 43);
	assert_int_equal(r[0].probe.attempt, 2);
	assert_int_equal(st.late_delivered, 1);
	synengine_ops.free(e);
}

/* Replies with a wrong acknowledgment never complete a probe. */
static void test_forged_ignored(void **state)
{
	/* Offsets from the right ack (seq + 1); never 0. */
	static const uint32_t wrong[] = { 1, 2, 0x80000000, 0xfffffffe,
					  0xffffffff };
	struct engine_result r[2];
	struct synengine_stats st;
	struct synengine *e;
	uint16_t sport;
	uint32_t seq;

	(void)state;
	NEED_BED();
	if (!bed.nft)
		skip();
	assert_int_equal(new_engine(&e, SYNENGINE_PACKET, NULL), 0);
	while (capture_syn(9, &sport, &seq, 0))
		;
	assert_int_equal(prep(e, 5, 0, "198.18.0.2", 9, 400000000ULL), 0);
	assert_int_equal(synengine_ops.run(e, 0, r, 2), 0);
	assert_true(capture_syn(9, &sport, &seq, 1000));
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		send_reply(9, sport, seq + 1 + wrong[i],
			   PKT_TCP_SYN | PKT_TCP_ACK);
		send_reply(9, sport, seq + 1 + wrong[i],
			   PKT_TCP_RST | PKT_TCP_ACK);
	}
	/* The right ack from the wrong port of ours. */
	send_reply(9, sport == SYNENGINE_SPORT_HI ? sport - 1 : sport + 1,
		   seq + 1, PKT_TCP_SYN | PKT_TCP_ACK);
	/* Right ack, wrong flags: a bare ACK and a SYN without ACK. */
	send_reply(9, sport, seq + 1, PKT_TCP_ACK);
	send_reply(9, sport, seq + 1, PKT_TCP_SYN);
	assert_int_equal(collect(e, r, 1, 2000), 1);
	assert_int_equal(r[0].outcome, ENGINE_TIMEOUT);
	synengine_get_stats(e, &st);
	assert_int_equal(st.rx_bad_cookie, 11);
	assert_int_equal(st.rx_foreign, 2);
	assert_int_equal(st.rx_answers, 0);
	synengine_ops.free(e);
}

/*
 * ICMP errors quoting the SYN with a wrong sequence are counted as forged
 * and complete nothing; the one with the cookie makes the port unreachable
 * with nmap's reason for its code.  Both links: the socket filter and the
 * XDP program must let the errors through.
 */
static void check_icmp(enum synengine_kind kind)
{
	static const uint32_t wrong[] = { 1, 0x80000000, 0xffffffff };
	static const struct {
		uint8_t code;
		const char *reason;
	} cases[] = { { 13, "admin-prohibited" },
		      { 3, "port-unreach" },
		      { 1, "host-unreach" } };
	struct engine_result r[2];
	struct synengine_stats st;
	struct synengine *e;
	uint16_t sport;
	uint32_t seq;
	int ret;

	ret = new_engine(&e, kind, NULL);
	if (kind == SYNENGINE_XDP && ret) {
		print_message("AF_XDP unavailable here: %s\n", strerror(-ret));
		skip();
	}
	assert_int_equal(ret, 0);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		while (capture_syn(9, &sport, &seq, 0))
			;
		assert_int_equal(prep(e, c, 0, "198.18.0.2", 9, 3000000000ULL),
				 0);
		assert_int_equal(synengine_ops.run(e, 0, r, 2), 0);
		assert_true(capture_syn(9, &sport, &seq, 1000));
		for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++)
			send_unreach(cases[c].code, sport, 9, seq + wrong[i]);
		/* Right sequence, but not from one of our ports: the XDP
		 * program leaves it to the kernel (an error about the host's
		 * own traffic); AF_PACKET hands it over, the engine refuses. */
		send_unreach(cases[c].code, SYNENGINE_SPORT_LO - 1, 9, seq);
		/* Fragmentation needed is no verdict, even with the cookie. */
		send_unreach(4, sport, 9, seq);
		send_unreach(cases[c].code, sport, 9, seq);
		assert_int_equal(collect(e, r, 1, 2000), 1);
		assert_int_equal(r[0].probe.probe, c);
		assert_int_equal(r[0].outcome, ENGINE_UNREACH);
		assert_non_null(r[0].reason);
		assert_string_equal(r[0].reason, cases[c].reason);
		assert_true(r[0].rtt_ns > 0);
		synengine_get_stats(e, &st);
		assert_int_equal(st.rx_icmp_forged, 3 * (c + 1));
		assert_int_equal(st.rx_icmp, c + 1);
		assert_int_equal(st.rx_foreign,
				 (kind == SYNENGINE_XDP ? 1 : 2) * (c + 1));
		assert_int_equal(st.rx_answers, c + 1);
	}
	synengine_ops.free(e);
}

static void test_icmp_packet(void **state)
{
	(void)state;
	NEED_BED();
	if (!bed.nft)
		skip();
	check_icmp(SYNENGINE_PACKET);
}

static void test_icmp_xdp(void **state)
{
	(void)state;
	NEED_BED();
	if (!bed.nft)
		skip();
	check_icmp(SYNENGINE_XDP);
}

static void test_full_and_config(void **state)
{
	struct rs_addr hint = { .family = AF_INET, .bytes = { 198, 18, 0, 2 } };
	struct synengine_config cfg = {
		.slots = 2,
		.ifname = "rs-a",
		.hint = &hint,
		.kind = SYNENGINE_PACKET,
		.sport_lo = 40000,
		.sport_hi = 40001,
	};
	struct synengine_info info;
	struct engine_result r[2];
	struct synengine *e;

	(void)state;
	NEED_BED();
	assert_int_equal(synengine_new(&e, &cfg, &info), 0);
	assert_int_equal(info.sport_lo, 40000);
	assert_int_equal(info.sport_hi, 40001);
	assert_int_equal(prep(e, 1, 0, "198.18.0.2", 22, 500000000ULL), 0);
	assert_int_equal(prep(e, 2, 0, "198.18.0.2", 23, 500000000ULL), 0);
	assert_int_equal(prep(e, 3, 0, "198.18.0.2", 24, 500000000ULL), -EBUSY);
	assert_int_equal(collect(e, r, 2, 2000), 2);
	assert_int_equal(r[0].outcome, ENGINE_OPEN);
	assert_int_equal(r[1].outcome, ENGINE_CLOSED);
	synengine_ops.free(e);

	cfg.sport_lo = 5;
	cfg.sport_hi = 4;
	assert_int_equal(synengine_new(&e, &cfg, NULL), -EINVAL);
	cfg.sport_lo = cfg.sport_hi = 0;
	cfg.slots = 0;
	assert_int_equal(synengine_new(&e, &cfg, NULL), -EINVAL);
	cfg.slots = 2;
	cfg.ifname = "nosuchif0";
	assert_int_equal(synengine_new(&e, &cfg, NULL), -ENODEV);
	cfg.ifname = "lo"; /* IPv4 over lo cannot work */
	assert_int_equal(synengine_new(&e, &cfg, NULL), -EOPNOTSUPP);
	synengine_ops.free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states_packet),
		cmocka_unit_test(test_states_xdp),
		cmocka_unit_test(test_late_answer),
		cmocka_unit_test(test_forged_ignored),
		cmocka_unit_test(test_icmp_packet),
		cmocka_unit_test(test_icmp_xdp),
		cmocka_unit_test(test_full_and_config),
	};

	return cmocka_run_group_tests(tests, bed_setup, bed_teardown);
}
