/*
 * afxdp.c - AF_XDP link for the SYN engine (see afxdp.h).
 *
 * Layout: one anonymous mapping holds every queue's UMEM back to back.
 * Queue q's area starts with AFXDP_RX_FRAMES receive frames; queue 0's also
 * has AFXDP_TX_FRAMES transmit frames after them.  Ring sizes equal frame
 * counts, so a ring can always take every frame that belongs to it and a
 * reserve on the fill or TX ring can never fail for a frame we own.
 *
 * Memory ordering: the xsk_ring_* helpers of libxdp do the acquire loads of
 * the kernel's producer/consumer indices and the release stores of ours;
 * the points where that matters are marked "ordering" below.  Everything
 * else is plain single-threaded code.
 *
 * Copy-mode TX runs in the kick's syscall and sends at most a small batch
 * per call (returning EAGAIN while frames remain), so a flush kicks until
 * the ring is empty, a bounded number of times; frames left over go with
 * the next flush.
 *
 * libbpf and libxdp print warnings to stderr by default; modules do not
 * print, so both are silenced here and every failure is returned as -errno
 * for the CLI to explain.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "afxdp.h"
#include "clock.h"

/* The program's configuration entry: include/xdp_scan.h, both sides. */
XDP_SCAN_ASSERT_LAYOUT();

struct xq {
	struct xsk_umem *umem;
	struct xsk_socket *sock;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	uint8_t *area;
	uint32_t rx_idx; /* first RX descriptor held by the caller */
	uint32_t rx_held; /* how many */
};

struct tx_pending {
	uint64_t addr;
	uint32_t len;
};

struct afxdp_stats {
	uint64_t tx_frames; /* put on the TX ring */
	uint64_t tx_kicks;
	uint64_t rx_frames;
};

struct afxdp {
	int ifindex;
	enum xdp_attach_mode mode;
	bool attached;
	struct bpf_object *obj;
	struct xdp_program *prog;
	uint8_t *area;
	size_t area_len;
	uint32_t nq;
	struct xq q[XDP_SCAN_MAX_QUEUES];
	uint64_t tx_free[AFXDP_TX_FRAMES]; /* free TX frame addresses */
	uint32_t ntx_free;
	struct tx_pending pending[AFXDP_BATCH];
	uint32_t npending;
	uint32_t rx_next_q; /* round-robin start for fairness */
	struct afxdp_stats stats;
};

static int silent_libbpf(enum libbpf_print_level level, const char *fmt,
			 va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int silent_libxdp(enum libxdp_print_level level, const char *fmt,
			 va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* RX queues of the interface (sysfs), at least 1, at most the map size. */
static uint32_t count_rx_queues(const char *ifname)
{
	char path[96];
	struct dirent *d;
	uint32_t n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	dir = opendir(path);
	if (!dir)
		return 1;
	while ((d = readdir(dir)))
		if (!strncmp(d->d_name, "rx-", 3))
			n++;
	closedir(dir);
	if (!n)
		n = 1;
	return n > XDP_SCAN_MAX_QUEUES ? XDP_SCAN_MAX_QUEUES : n;
}

static size_t queue_area(uint32_t q)
{
	return (size_t)(AFXDP_RX_FRAMES + (q == 0 ? AFXDP_TX_FRAMES : 0)) *
	       AFXDP_FRAME_SIZE;
}

static int attach_prog(struct afxdp *x, enum afxdp_mode want)
{
	static const enum xdp_attach_mode order[] = { XDP_MODE_NATIVE,
						      XDP_MODE_SKB };
	int ret = -EOPNOTSUPP;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if ((want == AFXDP_MODE_NATIVE &&
		     order[i] != XDP_MODE_NATIVE) ||
		    (want == AFXDP_MODE_SKB && order[i] != XDP_MODE_SKB))
			continue;
		ret = xdp_program__attach(x->prog, x->ifindex, order[i], 0);
		if (!ret) {
			x->mode = order[i];
			x->attached = true;
			return 0;
		}
		/* Another program there: no other mode will do better. */
		if (ret == -EEXIST || ret == -EBUSY || ret == -EPERM)
			return ret;
	}
	return ret;
}

static int write_filter(struct afxdp *x, const struct afxdp_config *cfg)
{
	struct xdp_scan_cfg f;
	uint32_t key = 0;
	int fd;

	memset(&f, 0, sizeof(f));
	if (cfg->has_src4) {
		memcpy(&f.src4, cfg->src4.bytes, 4);
		f.flags |= XDP_SCAN_SRC4;
	}
	if (cfg->has_src6) {
		memcpy(f.src6, cfg->src6.bytes, 16);
		f.flags |= XDP_SCAN_SRC6;
	}
	f.port_lo = cfg->port_lo;
	f.port_hi = cfg->port_hi;
	fd = bpf_object__find_map_fd_by_name(x->obj, "cfg");
	if (fd < 0)
		return -ENOENT;
	return bpf_map_update_elem(fd, &key, &f, BPF_ANY) ? -errno : 0;
}

static int queue_open(struct afxdp *x, const struct afxdp_config *cfg,
		      uint32_t q, uint8_t *area, bool zerocopy)
{
	struct xsk_umem_config ucfg = {
		.fill_size = AFXDP_RX_FRAMES,
		.comp_size = q == 0 ? AFXDP_TX_FRAMES : AFXDP_BATCH,
		.frame_size = AFXDP_FRAME_SIZE,
		.frame_headroom = 0,
		.flags = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = AFXDP_RX_FRAMES,
		.tx_size = AFXDP_TX_FRAMES,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_USE_NEED_WAKEUP |
			      (zerocopy ? XDP_ZEROCOPY : XDP_COPY),
	};
	struct xq *xq = &x->q[q];
	struct timespec busy_wait = { 0, AFXDP_BUSY_WAIT_NS };
	uint32_t idx;
	int ret;

	xq->area = area;
	ret = xsk_umem__create(&xq->umem, area, queue_area(q), &xq->fill,
			       &xq->comp, &ucfg);
	if (ret)
		return ret;
	for (int tries = 0;; tries++) {
		ret = xsk_socket__create(&xq->sock, cfg->ifname, q, xq->umem,
					 &xq->rx, q == 0 ? &xq->tx : NULL,
					 &scfg);
		if (ret != -EBUSY || tries == AFXDP_BUSY_RETRIES)
			break;
		/* The previous socket on this queue is still going away. */
		nanosleep(&busy_wait, NULL);
	}
	if (ret) {
		xsk_umem__delete(xq->umem);
		xq->umem = NULL;
		xq->sock = NULL;
		return ret;
	}
	/* Every RX frame to the kernel.  Ordering: submit publishes the
	 * addresses before the producer index (release store). */
	if (xsk_ring_prod__reserve(&xq->fill, AFXDP_RX_FRAMES, &idx) !=
	    AFXDP_RX_FRAMES) {
		ret = -ENOSPC;
		goto out_delete;
	}
	for (uint32_t i = 0; i < AFXDP_RX_FRAMES; i++)
		*xsk_ring_prod__fill_addr(&xq->fill, idx + i) =
			(uint64_t)i * AFXDP_FRAME_SIZE;
	xsk_ring_prod__submit(&xq->fill, AFXDP_RX_FRAMES);
	return 0;

out_delete:
	xsk_socket__delete(xq->sock);
	xsk_umem__delete(xq->umem);
	xq->sock = NULL;
	xq->umem = NULL;
	return ret;
}

static void queues_close(struct afxdp *x)
{
	for (uint32_t q = 0; q < x->nq; q++) {
		if (x->q[q].sock)
			xsk_socket__delete(x->q[q].sock);
		if (x->q[q].umem)
			xsk_umem__delete(x->q[q].umem);
		x->q[q].sock = NULL;
		x->q[q].umem = NULL;
	}
}

/* Open every queue, zero-copy first where the attach mode allows it. */
static int queues_open(struct afxdp *x, const struct afxdp_config *cfg,
		       bool *zerocopy)
{
	int map_fd, ret = 0;
	uint8_t *area;

	map_fd = bpf_object__find_map_fd_by_name(x->obj, "xsks");
	if (map_fd < 0)
		return -ENOENT;
	*zerocopy = x->mode == XDP_MODE_NATIVE;
	for (;;) {
		area = x->area;
		for (uint32_t q = 0; q < x->nq; q++) {
			ret = queue_open(x, cfg, q, area, *zerocopy);
			if (ret)
				break;
			area += queue_area(q);
			ret = xsk_socket__update_xskmap(x->q[q].sock, map_fd);
			if (ret)
				break;
		}
		if (!ret)
			return 0;
		queues_close(x);
		if (!*zerocopy || ret == -EPERM || ret == -ENOMEM)
			return ret;
		*zerocopy = false; /* refused: copy mode */
	}
}

int afxdp_new(struct afxdp **out, const struct afxdp_config *cfg,
	      struct afxdp_info *info)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .object_name = "xdp_scan");
	struct xdp_multiprog *mp;
	struct afxdp *x;
	bool zerocopy = false;
	int ret;

	if (cfg->ifindex <= 0 || !cfg->ifname || cfg->port_lo > cfg->port_hi)
		return -EINVAL;
	libbpf_set_print(silent_libbpf);
	libxdp_set_print(silent_libxdp);

	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->ifindex = cfg->ifindex;
	x->nq = count_rx_queues(cfg->ifname);
	for (uint32_t q = 0; q < x->nq; q++)
		x->area_len += queue_area(q);
	x->area = mmap(NULL, x->area_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->area == MAP_FAILED) {
		ret = -ENOMEM;
		goto out_free;
	}
	for (uint32_t i = 0; i < AFXDP_TX_FRAMES; i++)
		x->tx_free[i] =
			(uint64_t)(AFXDP_RX_FRAMES + i) * AFXDP_FRAME_SIZE;
	x->ntx_free = AFXDP_TX_FRAMES;

	x->obj = bpf_object__open_mem(afxdp_bpf_obj, afxdp_bpf_obj_len, &oopts);
	ret = (int)libbpf_get_error(x->obj);
	if (ret) {
		x->obj = NULL;
		goto out_unmap;
	}
	x->prog = xdp_program__from_bpf_obj(x->obj, "xdp");
	ret = (int)libxdp_get_error(x->prog);
	if (ret) {
		x->prog = NULL;
		goto out_close_obj;
	}
	ret = attach_prog(x, cfg->mode);
	if (ret)
		goto out_close_prog;
	ret = write_filter(x, cfg);
	if (ret)
		goto out_detach;
	ret = queues_open(x, cfg, &zerocopy);
	if (ret)
		goto out_detach;

	if (info) {
		memset(info, 0, sizeof(*info));
		info->attach = x->mode == XDP_MODE_NATIVE ? "native" : "skb";
		info->bind = zerocopy ? "zero-copy" : "copy";
		info->queues = x->nq;
		info->need_wakeup = true;
		mp = xdp_multiprog__get_from_ifindex(x->ifindex);
		if (!libxdp_get_error(mp) && mp) {
			info->dispatcher = !xdp_multiprog__is_legacy(mp);
			xdp_multiprog__close(mp);
		}
	}
	*out = x;
	return 0;

out_detach:
	xdp_program__detach(x->prog, x->ifindex, x->mode, 0);
out_close_prog:
	xdp_program__close(x->prog);
out_close_obj:
	bpf_object__close(x->obj);
out_unmap:
	munmap(x->area, x->area_len);
out_free:
	free(x);
	return ret;
}

static void afxdp_detach(void *l)
{
	struct afxdp *x = l;

	if (x->attached)
		xdp_program__detach(x->prog, x->ifindex, x->mode, 0);
	x->attached = false;
}

static void afxdp_disown(void *l)
{
	struct afxdp *x = l;

	x->attached = false;
}

static void afxdp_free(void *l)
{
	struct afxdp *x = l;

	if (!x)
		return;
	/* Detach first: from here on nothing more is redirected to us. */
	afxdp_detach(x);
	queues_close(x);
	xdp_program__close(x->prog);
	bpf_object__close(x->obj);
	munmap(x->area, x->area_len);
	free(x);
}

static uint32_t afxdp_fds(const void *l, int *fds, uint32_t max)
{
	const struct afxdp *x = l;
	uint32_t n = 0;

	for (uint32_t q = 0; q < x->nq && n < max; q++)
		fds[n++] = xsk_socket__fd(x->q[q].sock);
	return n;
}

/* Completed TX frames back to the free stack. */
static void drain_completions(struct afxdp *x)
{
	struct xq *q0 = &x->q[0];
	uint32_t idx = 0, n;

	/* Ordering: peek acquires the kernel's producer index, so the
	 * addresses read below are the ones it published. */
	n = xsk_ring_cons__peek(&q0->comp, AFXDP_TX_FRAMES, &idx);
	for (uint32_t i = 0; i < n; i++)
		x->tx_free[x->ntx_free++] =
			*xsk_ring_cons__comp_addr(&q0->comp, idx + i);
	if (n)
		xsk_ring_cons__release(&q0->comp, n);
}

static uint8_t *afxdp_tx_frame(void *l)
{
	struct afxdp *x = l;
	uint64_t addr;

	if (x->npending == AFXDP_BATCH)
		return NULL;
	if (!x->ntx_free)
		drain_completions(x);
	if (!x->ntx_free)
		return NULL;
	addr = x->tx_free[--x->ntx_free];
	x->pending[x->npending].addr = addr;
	return xsk_umem__get_data(x->area, addr);
}

static void afxdp_tx_commit(void *l, uint32_t len)
{
	struct afxdp *x = l;

	x->pending[x->npending++].len = len;
}

/*
 * A link that went down (ENETDOWN) or away (ENXIO: the socket was unbound
 * when its device was unregistered) is fatal: the kernel would never take
 * the frames on the TX ring, no completion would hand them back, and the
 * SYNs still queued in the engine would wait forever.  ENOBUFS and EBUSY
 * are back-pressure: the frames stay on the ring for the next kick.
 */
static int kick_tx(struct afxdp *x)
{
	struct xq *q0 = &x->q[0];
	int fd = xsk_socket__fd(q0->sock);

	if (!xsk_ring_prod__needs_wakeup(&q0->tx))
		return 0;
	/* Copy mode sends a small batch per call: repeat while EAGAIN says
	 * frames remain, within a bound (leftovers go with the next kick). */
	for (uint32_t i = 0; i <= AFXDP_BATCH; i++) {
		x->stats.tx_kicks++;
		if (sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
			break;
		if (errno == ENETDOWN || errno == ENXIO)
			return -errno;
		if (errno != EAGAIN && errno != EINTR)
			break;
	}
	return 0;
}

static int afxdp_tx_flush(void *l)
{
	struct afxdp *x = l;
	struct xq *q0 = &x->q[0];
	uint32_t idx, n = x->npending;
	int ret;

	drain_completions(x);
	if (n) {
		/* Cannot fail: the ring holds every TX frame there is. */
		if (xsk_ring_prod__reserve(&q0->tx, n, &idx) != n)
			return -ENOSPC;
		for (uint32_t i = 0; i < n; i++) {
			struct xdp_desc *d =
				xsk_ring_prod__tx_desc(&q0->tx, idx + i);

			d->addr = x->pending[i].addr;
			d->len = x->pending[i].len;
			d->options = 0;
		}
		/* Ordering: descriptors written before the producer index is
		 * published (release store inside submit). */
		xsk_ring_prod__submit(&q0->tx, n);
		x->npending = 0;
		x->stats.tx_frames += n;
	}
	ret = kick_tx(x);
	return ret ? ret : (int)n;
}

static int afxdp_rx(void *l, struct pkt_frame *f, uint32_t max)
{
	struct afxdp *x = l;
	uint64_t now = clock_now_ns();
	uint32_t got = 0;

	/* No per-frame time from the kernel here: the time of the read,
	 * which follows the wake-up of the poll that saw them. */
	for (uint32_t k = 0; k < x->nq && got < max; k++) {
		struct xq *q = &x->q[(x->rx_next_q + k) % x->nq];
		uint32_t idx = 0, n;

		if (q->rx_held)
			continue; /* caller forgot rx_release */
		n = xsk_ring_cons__peek(&q->rx, max - got, &idx);
		for (uint32_t i = 0; i < n; i++) {
			const struct xdp_desc *d =
				xsk_ring_cons__rx_desc(&q->rx, idx + i);

			f[got].data = xsk_umem__get_data(q->area, d->addr);
			f[got].len = d->len;
			f[got].rx_ns = now;
			got++;
		}
		q->rx_idx = idx;
		q->rx_held = n;
	}
	x->rx_next_q = x->nq > 1 ? (x->rx_next_q + 1) % x->nq : 0;
	x->stats.rx_frames += got;
	return (int)got;
}

static void afxdp_rx_release(void *l)
{
	struct afxdp *x = l;

	for (uint32_t k = 0; k < x->nq; k++) {
		struct xq *q = &x->q[k];
		uint32_t fidx, n = q->rx_held;

		if (!n)
			continue;
		/* Cannot fail: the fill ring holds every RX frame there is. */
		if (xsk_ring_prod__reserve(&q->fill, n, &fidx) == n) {
			for (uint32_t i = 0; i < n; i++) {
				uint64_t a = xsk_ring_cons__rx_desc(
						     &q->rx, q->rx_idx + i)
						     ->addr;

				*xsk_ring_prod__fill_addr(&q->fill, fidx + i) =
					a & ~(uint64_t)(AFXDP_FRAME_SIZE - 1);
			}
			/* Ordering: fill addresses published before the
			 * RX slots are handed back. */
			xsk_ring_prod__submit(&q->fill, n);
		}
		xsk_ring_cons__release(&q->rx, n);
		q->rx_held = 0;
		if (xsk_ring_prod__needs_wakeup(&q->fill))
			(void)recvfrom(xsk_socket__fd(q->sock), NULL, 0,
				       MSG_DONTWAIT, NULL, NULL);
	}
}

static void afxdp_drops(void *l, uint64_t *rx_drops, uint64_t *tx_refused)
{
	const struct afxdp *x = l;

	*rx_drops = 0;
	*tx_refused = 0;
	/* The kernel's counters are cumulative per socket: sum them now. */
	for (uint32_t i = 0; i < x->nq; i++) {
		struct xdp_statistics ks;
		socklen_t len = sizeof(ks);

		memset(&ks, 0, sizeof(ks));
		if (getsockopt(xsk_socket__fd(x->q[i].sock), SOL_XDP,
			       XDP_STATISTICS, &ks, &len))
			continue;
		*rx_drops += ks.rx_dropped + ks.rx_ring_full +
			     ks.rx_fill_ring_empty_descs;
		*tx_refused += ks.tx_invalid_descs;
	}
}

const struct link_ops afxdp_link_ops = {
	.fds = afxdp_fds,
	.tx_frame = afxdp_tx_frame,
	.tx_commit = afxdp_tx_commit,
	.tx_flush = afxdp_tx_flush,
	.rx = afxdp_rx,
	.rx_release = afxdp_rx_release,
	.drops = afxdp_drops,
	.detach = afxdp_detach,
	.disown = afxdp_disown,
	.free = afxdp_free,
};
