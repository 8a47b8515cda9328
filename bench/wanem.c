/*
 * wanem - a small user-space WAN emulator for the benchmark testbed.
 *
 * The test machines' kernel has no netem qdisc, so delay, jitter, loss and a
 * bandwidth limit are made here instead: wanem runs in a "middle" network
 * namespace that holds two interfaces with no addresses (the veth peers of
 * the scanner and the target), reads every frame that arrives on one and
 * writes it out of the other, in both directions, after a delay.
 *
 * Why AF_PACKET with PACKET_VNET_HDR: a veth hands frames over as sk_buffs
 * whose TCP checksum is only partially computed (CHECKSUM_PARTIAL; the
 * "hardware" was to finish it), and large TCP sends may still be one GSO
 * super-frame.  A plain packet socket reads such a frame with a wrong
 * checksum and writes it back as-is, so the target's stack drops every
 * forwarded segment as bad.  With PACKET_VNET_HDR each read is prefixed by
 * a struct virtio_net_hdr that carries the checksum start/offset and the GSO
 * type and size; writing the same header back in front of the frame makes
 * the kernel rebuild the same offload state on the way out.  So the header
 * is stored with the frame and never looked at.  PACKET_IGNORE_OUTGOING
 * keeps our own transmissions (and the middle namespace's) from being read
 * back; promiscuous membership makes the interfaces accept frames addressed
 * to the other side's MAC.
 *
 * Why a delay line: with one thread and no timers per frame, each direction
 * is a FIFO of frames stamped with a release time (CLOCK_MONOTONIC), plus a
 * min-heap on (release time, arrival number) that says which is due next.
 * The loop ppoll()s both sockets with a timeout until the earliest release,
 * receives in batches (recvmmsg), and sends everything that is due in
 * batches (sendmmsg).  Release time = departure from the bottleneck (below)
 * + delay + uniform jitter in [-jitter, +jitter].  By default a frame is
 * never released before the one ahead of it in its direction (like netem
 * with a rate), so jitter delays but does not reorder; --reorder lifts
 * that.  Loss is independent per frame, drawn from a per-direction xorshift
 * generator seeded by --seed, so a given frame sequence sees the same
 * losses every run; a lost frame never reaches the bottleneck.
 *
 * The bottleneck: with --rate MBIT and/or --pps N each direction is a link
 * of that capacity in front of the delay line.  A frame occupies it for
 * len*8/rate (--rate), 1e9/N ns (--pps), or the larger of the two when both
 * are given; the link sends one frame at a time, in arrival order, so a
 * frame departs at max(arrival, previous departure) + its busy time.
 * Frames that arrived but have not started on the link are the link's
 * queue: --queue FRAMES is that buffer, and a frame that finds it full is
 * tail-dropped (counted in "dropped" and in "tail_drops").  The frame being
 * sent and the frames already on their way through the delay line (the
 * propagation delay) do not count against it, so 20 ms each way at 10k
 * frames/s (200 frames in each delay line) works with a 100-frame buffer,
 * as it would on a real path.  Without --rate and --pps there is no
 * bottleneck and no queue of waiting frames; --queue then only sizes the
 * storage below (the frames in flight, netem's limit).
 *
 * Storage is fixed at start: per direction a ring of --store-frames frame
 * descriptors and a byte arena that frames are copied into back to back, so
 * small frames do not each hold a 64 KiB slot.  By default the ring holds
 * --queue frames without a bottleneck, and with one --queue waiting frames
 * plus what the delay line can hold at the link's capacity (capacity in
 * frames/s, at least the smallest frame for --rate alone, times delay +
 * 2 x jitter, plus slack); the arena holds ARENA_BYTES_PER_FRAME per frame
 * (a full-size Ethernet frame), or for --rate alone the bytes the link can
 * put in flight.  A frame that finds storage full is dropped too ("dropped"
 * and "store_full"): that is the emulator running out of room, not the
 * emulated network, and should stay 0 in a benchmark.
 *
 * Timing: each frame is stamped with the kernel's receive time
 * (SO_TIMESTAMPNS), not the time this thread reads it, so a thread that
 * runs late (a busy 2-core machine) delays frames but does not turn a
 * steady stream into bursts that the bottleneck would then drop;
 * lag_max_us says how late it ran at worst.  A late thread still adds
 * delay: with a scanner on the other core, frames waited up to ~140 ms at
 * 100k frames/s per direction.  --fifo PRIO runs wanem at SCHED_FIFO
 * priority, as the network it stands for does not compete with the hosts
 * for a CPU: then ~13 ms at worst at that rate, under 1 ms at 50k.
 *
 * Limits: a GSO super-frame is forwarded, delayed and lost as one unit (a
 * port scan sends no such frames); the rate counts Ethernet frame bytes only
 * (no preamble, FCS or gap); the kernel work of delivering a forwarded frame
 * runs in this thread's softirq, so its CPU time shows up here.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_packet.h>
#include <linux/virtio_net.h>

#define VNET_HDR_LEN sizeof(struct virtio_net_hdr)
/* Largest GSO frame a veth passes (gso_max_size 64 KiB) plus headers. */
#define MAX_FRAME (65536 + 1024)
/* Frames per recvmmsg: amortizes the syscall; the staging area is
 * RX_BATCH * MAX_FRAME (2 MiB), touched only as far as frames reach. */
#define RX_BATCH 32
/* recvmmsg rounds per socket per wakeup, so a flood on one side cannot
 * starve due transmissions for long (32 * 4 frames at most). */
#define RX_ROUNDS 4
/* Frames per sendmmsg. */
#define TX_BATCH 64
/* Arena bytes reserved per stored frame: a full-size Ethernet frame and
 * its header fit, so that many small frames always fit. */
#define ARENA_BYTES_PER_FRAME 2048
/* ...but always room for some GSO frames. */
#define ARENA_MIN (4u << 20)
/* Frame offsets are 32-bit. */
#define ARENA_MAX (2u << 30)
/* The smallest frame on a veth (an ARP request; no padding to 60 bytes):
 * bounds the frames per second of a --rate link. */
#define MIN_FRAME_BYTES 42
/* Stored frames beyond the computed need: frames that are due but not yet
 * sent while the loop is busy receiving (several batches of them). */
#define STORE_SLACK 4096
#define SOCK_BUF_BYTES (8 << 20)
#define DEFAULT_QUEUE 10000
#define MAX_QUEUE 1000000
#define MAX_STORE 4000000
#define MAX_PPS 10000000.0
#define MAX_DELAY_MS 60000.0
#define NSEC_PER_SEC 1000000000ULL

struct frame {
	uint64_t release_ns;
	uint64_t start_ns; /* when the bottleneck link starts sending it */
	uint64_t seq; /* arrival number: heap tie-break keeps FIFO order */
	uint32_t off; /* in the arena */
	uint32_t len; /* virtio_net_hdr + Ethernet frame */
	uint32_t pad; /* arena bytes skipped before it at a wrap */
	bool sent;
};

struct counters {
	uint64_t received;
	uint64_t forwarded;
	uint64_t lost; /* emulated loss */
	uint64_t dropped; /* tail_drops + store_full */
	uint64_t tail_drops; /* the bottleneck's queue (--queue) was full */
	uint64_t store_full; /* no room left in the ring or the arena */
	uint32_t backlog_peak; /* most frames ever waiting for the link */
	uint64_t lag_max_us; /* longest a frame waited in our socket */
	uint64_t oversize; /* longer than MAX_FRAME */
	uint64_t rx_errors;
	uint64_t tx_errors;
	uint64_t kernel_drops; /* socket buffer overruns, summed per report */
};

/* One direction: frames read from rx_fd, delayed, written to tx_fd. */
struct dir {
	char name[2 * IF_NAMESIZE + 4];
	int rx_fd;
	int tx_fd;
	struct frame *ring; /* FIFO in arrival order */
	uint32_t cap;
	uint32_t tail; /* oldest frame not yet freed */
	uint32_t count;
	uint32_t *heap; /* ring indices of unsent frames, min release first */
	uint32_t heap_len;
	uint8_t *arena;
	size_t arena_size;
	size_t arena_wr;
	size_t arena_used;
	uint64_t next_seq;
	/* Arrival number of the oldest frame that may still be waiting for
	 * the link: frames next_wait..next_seq-1 whose start_ns is in the
	 * future are the bottleneck's queue. */
	uint64_t next_wait;
	double link_free_ns; /* when the link finishes what it was given */
	uint64_t last_release_ns;
	uint64_t last_arrival_ns;
	uint64_t rng;
	struct counters c;
};

struct config {
	const char *if_a;
	const char *if_b;
	double delay_ms;
	double jitter_ms;
	double loss_pct;
	double rate_mbit; /* 0 = unlimited */
	double pps; /* frames per second, 0 = unlimited */
	uint64_t seed;
	bool seed_given;
	uint32_t queue;
	uint32_t store; /* frames; 0 = sized from the other options */
	int fifo_prio; /* SCHED_FIFO priority, 0 = normal scheduling */
	size_t arena_bytes; /* set with store by size_storage() */
	bool reorder;
};

/* Set by signals, read by the loop: SIGINT/SIGTERM stop, SIGUSR1 asks for
 * the counters so far (the benchmark takes them before and after each run
 * to see which run, if any, overran the emulator). */
static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t report_flag;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		report_flag = 1;
	else
		stop_flag = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* splitmix64: spreads a small seed over the whole state. */
static uint64_t rng_seed(uint64_t x)
{
	uint64_t z = x + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z ? z : 1;
}

/* xorshift64*: uniform double in [0, 1). */
static double rng_unit(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return (double)((x * 0x2545f4914f6cdd1dULL) >> 11) * 0x1.0p-53;
}

static bool frame_before(const struct dir *d, uint32_t i, uint32_t j)
{
	const struct frame *a = &d->ring[i], *b = &d->ring[j];

	if (a->release_ns != b->release_ns)
		return a->release_ns < b->release_ns;
	return a->seq < b->seq;
}

static void heap_push(struct dir *d, uint32_t idx)
{
	uint32_t i = d->heap_len++;

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!frame_before(d, idx, d->heap[parent]))
			break;
		d->heap[i] = d->heap[parent];
		i = parent;
	}
	d->heap[i] = idx;
}

static uint32_t heap_pop(struct dir *d)
{
	uint32_t top = d->heap[0];
	uint32_t last = d->heap[--d->heap_len];
	uint32_t i = 0;

	for (;;) {
		uint32_t child = 2 * i + 1;

		if (child >= d->heap_len)
			break;
		if (child + 1 < d->heap_len &&
		    frame_before(d, d->heap[child + 1], d->heap[child]))
			child++;
		if (!frame_before(d, d->heap[child], last))
			break;
		d->heap[i] = d->heap[child];
		i = child;
	}
	if (d->heap_len)
		d->heap[i] = last;
	return top;
}

/*
 * Reserve len contiguous arena bytes after the newest frame; the free space
 * is the one circular run [arena_wr, oldest frame), so when the end of the
 * arena is too close the bytes up to it are skipped (pad) and the frame
 * starts at 0.  Returns false when it does not fit.
 */
static bool arena_reserve(struct dir *d, uint32_t len, uint32_t *off,
			  uint32_t *pad)
{
	bool wrap;
	size_t skip = 0;

	if (d->count == 0) {
		d->arena_wr = 0;
		d->arena_used = 0;
	}
	/* arena_wr may sit exactly at the end: a wrap that skips nothing. */
	wrap = d->arena_wr + len > d->arena_size;
	if (wrap)
		skip = d->arena_size - d->arena_wr;
	if (d->arena_used + skip + len > d->arena_size)
		return false;
	*pad = (uint32_t)skip;
	*off = (uint32_t)(wrap ? 0 : d->arena_wr);
	d->arena_wr = *off + len;
	d->arena_used += skip + len;
	return true;
}

/* Free sent frames from the old end of the FIFO. */
static void dir_retire(struct dir *d)
{
	while (d->count && d->ring[d->tail].sent) {
		struct frame *f = &d->ring[d->tail];

		d->arena_used -= f->pad + f->len;
		d->tail = (d->tail + 1) % d->cap;
		d->count--;
	}
}

/* Frames that arrived and have not started on the link by now. */
static uint32_t dir_backlog(struct dir *d, uint64_t now)
{
	/* Retired frames left the link long ago; their slots may be reused. */
	if (d->next_wait < d->next_seq - d->count)
		d->next_wait = d->next_seq - d->count;
	while (d->next_wait < d->next_seq &&
	       d->ring[d->next_wait % d->cap].start_ns <= now)
		d->next_wait++;
	return (uint32_t)(d->next_seq - d->next_wait);
}

/* How long a frame of len bytes (virtio_net_hdr included) holds the link. */
static double busy_ns(const struct config *cfg, uint32_t len)
{
	double busy = 0;

	if (cfg->pps > 0)
		busy = 1e9 / cfg->pps;
	if (cfg->rate_mbit > 0) {
		double bits = (double)(len - VNET_HDR_LEN) * 8.0;

		busy = fmax(busy, bits * 1000.0 / cfg->rate_mbit);
	}
	return busy;
}

static void dir_enqueue(struct dir *d, const struct config *cfg,
			const uint8_t *data, uint32_t len, uint64_t now)
{
	uint64_t release, depart, delay_ns;
	struct frame *f;
	uint32_t idx, off, pad;
	double jitter = 0, start;

	d->c.received++;
	if (cfg->loss_pct > 0 && rng_unit(&d->rng) * 100.0 < cfg->loss_pct) {
		d->c.lost++;
		return;
	}
	if (cfg->jitter_ms > 0)
		jitter = (rng_unit(&d->rng) * 2.0 - 1.0) * cfg->jitter_ms;
	if (cfg->rate_mbit > 0 || cfg->pps > 0) {
		uint32_t backlog = dir_backlog(d, now);

		if (backlog >= cfg->queue) {
			d->c.tail_drops++;
			d->c.dropped++;
			return;
		}
		if (backlog + 1 > d->c.backlog_peak)
			d->c.backlog_peak = backlog + 1;
	}
	if (d->count == d->cap || !arena_reserve(d, len, &off, &pad)) {
		d->c.store_full++;
		d->c.dropped++;
		return;
	}

	/* A double keeps fractions of a nanosecond of busy time from
	 * adding up (1e9 / 30000 is not an integer). */
	start = fmax((double)now, d->link_free_ns);
	d->link_free_ns = start + busy_ns(cfg, len);
	depart = (uint64_t)ceil(d->link_free_ns);
	delay_ns = (uint64_t)llround(fmax(0.0, cfg->delay_ms + jitter) * 1e6);
	release = depart + delay_ns;
	if (!cfg->reorder && release < d->last_release_ns)
		release = d->last_release_ns;
	d->last_release_ns = release;

	idx = (d->tail + d->count) % d->cap;
	d->count++;
	f = &d->ring[idx];
	f->release_ns = release;
	f->start_ns = (uint64_t)ceil(start);
	f->seq = d->next_seq++;
	f->off = off;
	f->len = len;
	f->pad = pad;
	f->sent = false;
	memcpy(d->arena + off, data, len);
	heap_push(d, idx);
}

/* One recvmmsg batch: frames, and a control buffer each for its time
 * stamp. */
struct rx_batch {
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iovs[RX_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctrl[RX_BATCH];
	uint8_t *staging; /* RX_BATCH * MAX_FRAME */
};

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/*
 * When the kernel queued the frame to our socket (SO_TIMESTAMPNS, wall
 * clock), on the monotonic clock: now - (realtime now - stamp).  Frames
 * wait in the socket buffer whenever this thread is late (a busy 2-core
 * machine), and stamping them when read would turn a steady stream into
 * bursts that the bottleneck queue then drops.  A stamp that is missing
 * or not within the last second is not trusted: now.
 */
static uint64_t arrival_ns(struct msghdr *mh, uint64_t now, uint64_t real)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm;
	     cm = CMSG_NXTHDR(mh, cm)) {
		struct timespec ts;
		uint64_t t;

		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_TIMESTAMPNS ||
		    cm->cmsg_len < CMSG_LEN(sizeof(ts)))
			continue;
		memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
		t = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
		if (t > real || real - t > NSEC_PER_SEC || real - t > now)
			return now;
		return now - (real - t);
	}
	return now;
}

/* Read what is waiting on d->rx_fd, in at most RX_ROUNDS batches. */
static void dir_receive(struct dir *d, const struct config *cfg,
			struct rx_batch *b)
{
	for (int round = 0; round < RX_ROUNDS; round++) {
		uint64_t now, real;
		int n;

		for (int i = 0; i < RX_BATCH; i++) {
			struct msghdr *mh = &b->msgs[i].msg_hdr;

			b->iovs[i].iov_base =
				b->staging + (size_t)i * MAX_FRAME;
			b->iovs[i].iov_len = MAX_FRAME;
			memset(mh, 0, sizeof(*mh));
			mh->msg_iov = &b->iovs[i];
			mh->msg_iovlen = 1;
			mh->msg_control = b->ctrl[i].buf;
			mh->msg_controllen = sizeof(b->ctrl[i].buf);
		}
		n = recvmmsg(d->rx_fd, b->msgs, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno != EINTR)
				d->c.rx_errors++; /* e.g. EINVAL: no vnet hdr */
			continue;
		}
		now = now_ns();
		real = realtime_ns();
		for (int i = 0; i < n; i++) {
			uint32_t len = b->msgs[i].msg_len;
			uint64_t at, lag;

			if (b->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				d->c.received++;
				d->c.oversize++;
				continue;
			}
			if (len <= VNET_HDR_LEN) {
				d->c.rx_errors++;
				continue;
			}
			/* In order per direction, whatever the stamps say. */
			at = arrival_ns(&b->msgs[i].msg_hdr, now, real);
			if (at < d->last_arrival_ns)
				at = d->last_arrival_ns;
			d->last_arrival_ns = at;
			lag = (now - at) / 1000;
			if (lag > d->c.lag_max_us)
				d->c.lag_max_us = lag;
			dir_enqueue(d, cfg, b->iovs[i].iov_base, len, at);
		}
		if (n < RX_BATCH)
			return;
	}
}

/* Send every frame whose release time has come, TX_BATCH at a time. */
static void dir_transmit(struct dir *d, uint64_t now)
{
	struct mmsghdr msgs[TX_BATCH];
	struct iovec iovs[TX_BATCH];
	uint32_t idx[TX_BATCH];

	while (d->heap_len && d->ring[d->heap[0]].release_ns <= now) {
		int k = 0, done = 0;

		while (k < TX_BATCH && d->heap_len &&
		       d->ring[d->heap[0]].release_ns <= now) {
			struct frame *f;

			idx[k] = heap_pop(d);
			f = &d->ring[idx[k]];
			iovs[k].iov_base = d->arena + f->off;
			iovs[k].iov_len = f->len;
			memset(&msgs[k], 0, sizeof(msgs[k]));
			msgs[k].msg_hdr.msg_iov = &iovs[k];
			msgs[k].msg_hdr.msg_iovlen = 1;
			k++;
		}
		while (done < k) {
			int r = sendmmsg(d->tx_fd, msgs + done,
					 (unsigned int)(k - done), 0);

			if (r < 0) {
				if (errno == EINTR)
					continue;
				/* The frame at msgs[done] failed: skip it. */
				d->c.tx_errors++;
				done++;
				continue;
			}
			d->c.forwarded += (uint64_t)r;
			done += r;
		}
		for (int i = 0; i < k; i++)
			d->ring[idx[i]].sent = true;
		dir_retire(d);
	}
}

static int dir_init(struct dir *d, const struct config *cfg, int rx_fd,
		    int tx_fd, const char *from, const char *to, uint64_t salt)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s->%s", from, to);
	d->rx_fd = rx_fd;
	d->tx_fd = tx_fd;
	d->cap = cfg->store;
	d->ring = calloc(d->cap, sizeof(*d->ring));
	d->heap = calloc(d->cap, sizeof(*d->heap));
	d->arena_size = cfg->arena_bytes;
	d->arena = malloc(d->arena_size);
	d->rng = rng_seed(cfg->seed ^ salt);
	if (!d->ring || !d->heap || !d->arena)
		return -ENOMEM;
	return 0;
}

static void dir_free(struct dir *d)
{
	free(d->ring);
	free(d->heap);
	free(d->arena);
}

/* A packet socket on ifname with the options the design comment explains.
 * Returns the fd or -errno; *what names the step that failed. */
static int open_port(const char *ifname, const char **what)
{
	struct sockaddr_ll sll = { 0 };
	struct packet_mreq mreq = { 0 };
	int one = 1, buf = SOCK_BUF_BYTES;
	unsigned int ifindex;
	int fd, err;

	*what = "if_nametoindex";
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return -errno;
	/* Protocol 0: receive nothing until bound to the one interface. */
	*what = "socket(AF_PACKET)";
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	*what = "PACKET_VNET_HDR";
	if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)))
		goto out_close;
	*what = "PACKET_IGNORE_OUTGOING";
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		       sizeof(one)))
		goto out_close;
	/* Kernel receive time stamps: see arrival_ns(). */
	*what = "SO_TIMESTAMPNS";
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)))
		goto out_close;
	/* Bigger buffers absorb bursts; FORCE needs CAP_NET_ADMIN. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	*what = "bind";
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		goto out_close;
	*what = "PACKET_MR_PROMISC";
	mreq.mr_ifindex = (int)ifindex;
	mreq.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq,
		       sizeof(mreq)))
		goto out_close;
	return fd;

out_close:
	err = -errno;
	close(fd);
	return err;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_u64(const char *s, uint64_t hi, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: wanem -a IF -b IF [--delay MS] [--jitter MS] "
		   "[--loss PCT] [--rate MBIT] [--pps N] [--queue FRAMES] "
		   "[--store-frames N] [--seed N] [--reorder] [--fifo PRIO]\n"
		   "  --rate/--pps: a bottleneck link per direction (Mbit/s,\n"
		   "  frames/s; both: the slower per frame) with a --queue\n"
		   "  FRAMES tail-drop buffer in front of the --delay line;\n"
		   "  --fifo: run at SCHED_FIFO priority PRIO\n"
		   "  prints \"ready\"; SIGUSR1 prints the counters so far\n"
		   "  between \"report\" and \"end\" lines; SIGINT/SIGTERM\n"
		   "  prints them and exits\n");
}

/*
 * Storage per direction (see the design comment): the frames and arena
 * bytes that can be in wanem at once.  Without a bottleneck, --queue
 * frames.  With one, the --queue waiting frames plus the delay line at the
 * link's capacity.  Returns -1 after printing an error if that is more
 * than wanem can hold.
 */
static int size_storage(struct config *cfg)
{
	bool bottleneck = cfg->rate_mbit > 0 || cfg->pps > 0;
	double fps = 0, line_s, frames, bytes;

	if (!bottleneck) {
		frames = cfg->store ? cfg->store : cfg->queue;
		bytes = frames * ARENA_BYTES_PER_FRAME;
	} else {
		/* Frames/s the link can carry: --pps, or for --rate alone
		 * the smallest frames back to back. */
		if (cfg->rate_mbit > 0)
			fps = cfg->rate_mbit * 1e6 / (MIN_FRAME_BYTES * 8.0);
		if (cfg->pps > 0 && (fps == 0 || cfg->pps < fps))
			fps = cfg->pps;
		/* Longest a frame spends between the link and its release
		 * (and, with --reorder, before it is freed in FIFO order). */
		line_s = (cfg->delay_ms + 2 * cfg->jitter_ms) / 1e3;
		frames = cfg->queue + ceil(fps * line_s * 1.1) + STORE_SLACK;
		if (cfg->store)
			frames = cfg->store;
		bytes = frames * ARENA_BYTES_PER_FRAME;
		if (cfg->rate_mbit > 0 && !cfg->store) {
			/* Bytes the link puts in flight, each frame plus
			 * its virtio_net_hdr, beat frames x 2 KiB. */
			double wire =
				cfg->rate_mbit * 1e6 / 8 * line_s *
				(1.0 + (double)VNET_HDR_LEN / MIN_FRAME_BYTES);

			bytes = fmin(bytes,
				     ((double)cfg->queue + STORE_SLACK) *
						     ARENA_BYTES_PER_FRAME +
					     wire);
		}
	}
	if (frames > MAX_STORE) {
		fprintf(stderr,
			"wanem: the delay line needs %.0f frames of storage, "
			"more than %u: lower --delay, --pps or --rate, or give "
			"--store-frames\n",
			frames, MAX_STORE);
		return -1;
	}
	if (bytes < ARENA_MIN)
		bytes = ARENA_MIN;
	if (bytes > ARENA_MAX)
		bytes = ARENA_MAX;
	cfg->store = (uint32_t)frames;
	cfg->arena_bytes = (size_t)bytes;
	return 0;
}

/* Returns 0, 1 for --help, or -1 after printing a one-line error (the
 * benchmark scripts show stderr as is, so no usage text follows it). */
static int parse_args(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "jitter", required_argument, NULL, 'j' },
		{ "loss", required_argument, NULL, 'l' },
		{ "rate", required_argument, NULL, 'r' },
		{ "pps", required_argument, NULL, 'p' },
		{ "store-frames", required_argument, NULL, 'S' },
		{ "fifo", required_argument, NULL, 'F' },
		{ "seed", required_argument, NULL, 's' },
		{ "queue", required_argument, NULL, 'q' },
		{ "reorder", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bad = NULL;
	uint64_t u;
	int c;

	memset(cfg, 0, sizeof(*cfg));
	cfg->queue = DEFAULT_QUEUE;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":a:b:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			cfg->if_a = optarg;
			break;
		case 'b':
			cfg->if_b = optarg;
			break;
		case 'd':
			if (parse_double(optarg, 0, MAX_DELAY_MS,
					 &cfg->delay_ms))
				bad = "--delay wants milliseconds in [0, 60000]";
			break;
		case 'j':
			if (parse_double(optarg, 0, MAX_DELAY_MS,
					 &cfg->jitter_ms))
				bad = "--jitter wants milliseconds in [0, 60000]";
			break;
		case 'l':
			if (parse_double(optarg, 0, 100, &cfg->loss_pct))
				bad = "--loss wants a percentage in [0, 100]";
			break;
		case 'r':
			if (parse_double(optarg, 0, 1e6, &cfg->rate_mbit) ||
			    cfg->rate_mbit <= 0)
				bad = "--rate wants Mbit/s in (0, 1000000]";
			break;
		case 'p':
			if (parse_double(optarg, 0, MAX_PPS, &cfg->pps) ||
			    cfg->pps <= 0)
				bad = "--pps wants frames/s in (0, 10000000]";
			break;
		case 'S':
			if (parse_u64(optarg, MAX_STORE, &u) || u == 0)
				bad = "--store-frames wants frames in [1, 4000000]";
			else
				cfg->store = (uint32_t)u;
			break;
		case 'F':
			if (parse_u64(optarg, 99, &u) || u == 0)
				bad = "--fifo wants a priority in [1, 99]";
			else
				cfg->fifo_prio = (int)u;
			break;
		case 's':
			if (parse_u64(optarg, UINT64_MAX, &cfg->seed))
				bad = "--seed wants an unsigned integer";
			cfg->seed_given = true;
			break;
		case 'q':
			if (parse_u64(optarg, MAX_QUEUE, &u) || u == 0)
				bad = "--queue wants frames in [1, 1000000]";
			else
				cfg->queue = (uint32_t)u;
			break;
		case 'R':
			cfg->reorder = true;
			break;
		case 'h':
			return 1;
		case ':':
			fprintf(stderr, "wanem: option %s needs a value\n",
				argv[optind - 1]);
			return -1;
		default:
			if (optopt)
				fprintf(stderr, "wanem: unknown option -%c\n",
					optopt);
			else
				fprintf(stderr, "wanem: unknown option %s\n",
					argv[optind - 1]);
			return -1;
		}
		if (bad) {
			fprintf(stderr, "wanem: %s\n", bad);
			return -1;
		}
	}
	if (optind < argc)
		bad = "unexpected argument";
	else if (!cfg->if_a || !cfg->if_b)
		bad = "both -a IF and -b IF are required";
	else if (!strcmp(cfg->if_a, cfg->if_b))
		bad = "-a and -b must be different interfaces";
	else if (strlen(cfg->if_a) >= IF_NAMESIZE ||
		 strlen(cfg->if_b) >= IF_NAMESIZE)
		bad = "interface name too long";
	if (bad) {
		fprintf(stderr, "wanem: %s\n", bad);
		return -1;
	}
	if (!cfg->seed_given)
		cfg->seed = now_ns() ^ ((uint64_t)getpid() << 32);
	return size_storage(cfg);
}

/* Cumulative counters of one direction; fd is its receiving socket. */
static void print_counters(struct dir *d, int fd)
{
	struct tpacket_stats st = { 0 };
	socklen_t sl = sizeof(st);

	/* Frames the kernel dropped because our socket buffer was full.
	 * Reading the statistics resets them, hence the running sum. */
	if (!getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl))
		d->c.kernel_drops += st.tp_drops;
	/* New fields go at the end: scripts find them by name, but keep the
	 * old order for eyes used to it. */
	printf("%s: received %" PRIu64 " forwarded %" PRIu64 " lost %" PRIu64
	       " dropped %" PRIu64 " oversize %" PRIu64 " rx_errors %" PRIu64
	       " tx_errors %" PRIu64 " pending %" PRIu32
	       " kernel_drops %" PRIu64 " tail_drops %" PRIu64
	       " store_full %" PRIu64 " backlog_peak %" PRIu32
	       " lag_max_us %" PRIu64 "\n",
	       d->name, d->c.received, d->c.forwarded, d->c.lost, d->c.dropped,
	       d->c.oversize, d->c.rx_errors, d->c.tx_errors, d->heap_len,
	       d->c.kernel_drops, d->c.tail_drops, d->c.store_full,
	       d->c.backlog_peak, d->c.lag_max_us);
}

static int run(const struct config *cfg, struct dir dirs[2],
	       const sigset_t *waitmask)
{
	struct rx_batch *rx = calloc(1, sizeof(*rx));
	struct pollfd pfd[2];
	int ret = 0;

	if (rx)
		rx->staging = malloc((size_t)RX_BATCH * MAX_FRAME);
	if (!rx || !rx->staging) {
		ret = -ENOMEM;
		goto out_free;
	}
	for (int i = 0; i < 2; i++) {
		pfd[i].fd = dirs[i].rx_fd;
		pfd[i].events = POLLIN;
	}
	printf("ready\n");
	fflush(stdout);

	while (!stop_flag) {
		struct timespec ts, *tsp = NULL;
		uint64_t now = now_ns(), next = UINT64_MAX;
		int n;

		for (int i = 0; i < 2; i++) {
			if (dirs[i].heap_len) {
				uint64_t r =
					dirs[i].ring[dirs[i].heap[0]].release_ns;

				if (r < next)
					next = r;
			}
		}
		if (next != UINT64_MAX) {
			uint64_t wait = next > now ? next - now : 0;

			ts.tv_sec = (time_t)(wait / NSEC_PER_SEC);
			ts.tv_nsec = (long)(wait % NSEC_PER_SEC);
			tsp = &ts;
		}
		/* Signals are blocked except inside ppoll: no lost wakeup. */
		n = ppoll(pfd, 2, tsp, waitmask);
		if (n < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		for (int i = 0; n > 0 && i < 2; i++) {
			if (pfd[i].revents & POLLIN)
				dir_receive(&dirs[i], cfg, rx);
			if (pfd[i].revents & POLLERR) {
				int e;
				socklen_t el = sizeof(e);

				/* Clears e.g. ENETDOWN after a link flap. */
				getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &e,
					   &el);
				dirs[i].c.rx_errors++;
			}
		}
		now = now_ns();
		for (int i = 0; i < 2; i++)
			dir_transmit(&dirs[i], now);
		if (report_flag) {
			report_flag = 0;
			printf("report\n");
			print_counters(&dirs[0], dirs[0].rx_fd);
			print_counters(&dirs[1], dirs[1].rx_fd);
			printf("end\n");
			fflush(stdout);
		}
	}

out_free:
	if (rx)
		free(rx->staging);
	free(rx);
	return ret;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct dir dirs[2];
	struct sigaction sa = { 0 };
	sigset_t block, waitmask;
	const char *what;
	int fd_a, fd_b, err, status = 1;

	err = parse_args(argc, argv, &cfg);
	if (err > 0) {
		usage(stdout);
		return 0;
	}
	if (err)
		return 1;

	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGUSR1);
	/* Release times are in nanoseconds; default 50 us slack blurs them. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	if (cfg.fifo_prio) {
		struct sched_param sp = { .sched_priority = cfg.fifo_prio };

		/* A missing capability is no reason not to run. */
		if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
			fprintf(stderr,
				"wanem: SCHED_FIFO %d: %s; normal "
				"scheduling\n",
				cfg.fifo_prio, strerror(errno));
			cfg.fifo_prio = 0;
		}
	}

	memset(dirs, 0, sizeof(dirs));
	fd_a = open_port(cfg.if_a, &what);
	if (fd_a < 0) {
		fprintf(stderr, "wanem: %s: %s: %s\n", cfg.if_a, what,
			strerror(-fd_a));
		return 1;
	}
	fd_b = open_port(cfg.if_b, &what);
	if (fd_b < 0) {
		fprintf(stderr, "wanem: %s: %s: %s\n", cfg.if_b, what,
			strerror(-fd_b));
		goto out_close_a;
	}
	if (dir_init(&dirs[0], &cfg, fd_a, fd_b, cfg.if_a, cfg.if_b, 0xa) ||
	    dir_init(&dirs[1], &cfg, fd_b, fd_a, cfg.if_b, cfg.if_a, 0xb)) {
		fprintf(stderr, "wanem: out of memory\n");
		goto out_free_dirs;
	}
	fprintf(stderr,
		"wanem: %s<->%s delay %.3f ms jitter %.3f ms loss %.3f%% "
		"rate %.3f Mbit/s pps %.0f queue %" PRIu32 " store %" PRIu32
		" frames %zu KiB seed %" PRIu64 "%s%s\n",
		cfg.if_a, cfg.if_b, cfg.delay_ms, cfg.jitter_ms, cfg.loss_pct,
		cfg.rate_mbit, cfg.pps, cfg.queue, cfg.store,
		cfg.arena_bytes >> 10, cfg.seed, cfg.reorder ? " reorder" : "",
		cfg.fifo_prio ? " fifo" : "");

	err = run(&cfg, dirs, &waitmask);
	if (err) {
		fprintf(stderr, "wanem: %s\n", strerror(-err));
		goto out_free_dirs;
	}
	print_counters(&dirs[0], fd_a);
	print_counters(&dirs[1], fd_b);
	fflush(stdout);
	status = 0;

out_free_dirs:
	dir_free(&dirs[0]);
	dir_free(&dirs[1]);
	close(fd_b);
out_close_a:
	close(fd_a);
	return status;
}
