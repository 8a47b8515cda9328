/*
 * xsk.h - the SYN scan's AF_XDP link: our XDP program on the interface,
 * one AF_XDP socket per receive queue, frames in a UMEM.
 *
 * xsk_new attaches src/syn/xdp_scan.bpf.c (embedded in the binary, see
 * xsk_bpf_obj) through libxdp - in native (driver) mode where the driver
 * has it, else generic (skb) mode - writes the scan's addresses and port
 * range into the program's config map, and binds one socket per RX queue
 * (zero-copy where the driver accepts it, else copy mode) whose fd goes
 * into the program's XSKMAP.  From then on, replies to the scanner skip the
 * kernel's stack; everything else still reaches it.
 *
 * Ownership of UMEM frames, one place at a time:
 *   RX frames: fill ring -> kernel -> RX ring -> caller (between xsk_rx and
 *              xsk_rx_release) -> fill ring again;
 *   TX frames: free stack -> caller (xsk_tx_frame .. xsk_tx_commit) ->
 *              pending batch -> TX ring -> kernel -> completion ring ->
 *              free stack.
 * The fill ring is filled completely at start; the completion ring is
 * drained before each TX burst; each burst is one reserve/submit and one
 * kick (sendto), only when the kernel asks for it (XDP_USE_NEED_WAKEUP).
 * TX uses queue 0's socket; RX reads every queue.
 *
 * xsk_free detaches the program and frees everything; callers must reach
 * it on every exit path (the CLI turns SIGINT/SIGTERM into a stop flag so
 * that it does).  A SIGKILL leaves the program attached: `ip link set dev
 * IF xdp off` removes it - unless a privsep keeper (privsep.h) holds a
 * copy of the handle: then the scanner, without the capabilities to
 * detach, calls xsk_disown and the keeper xsk_detach, even after a
 * SIGKILL of the scanner.  Same TX/RX shape as pktsock.h.  Allocation only
 * in xsk_new.  Single-threaded.
 */
#ifndef RINGSCAN_XSK_H
#define RINGSCAN_XSK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "pkt.h"
#include "xdp_scan.h" /* XSK_MAX_QUEUES: the program's XSKMAP size */

#define XSK_FRAME_SIZE 2048
#define XSK_RX_FRAMES 1024 /* per queue; also the fill and RX ring sizes */
#define XSK_TX_FRAMES 1024 /* queue 0; also the TX and completion rings */
/* Frames per TX burst and per RX pass: one kick / one release each. */
#define XSK_BATCH 64
/* Retries of a bind refused with EBUSY (previous socket still closing). */
#define XSK_BUSY_RETRIES 20
#define XSK_BUSY_WAIT_NS 50000000L

/* The program's object file, generated into the build by the Makefile. */
extern const unsigned char xsk_bpf_obj[];
extern const size_t xsk_bpf_obj_len;

enum xsk_mode {
	XSK_MODE_AUTO, /* native, else skb */
	XSK_MODE_NATIVE,
	XSK_MODE_SKB,
};

struct xsk_config {
	int ifindex;
	const char *ifname;
	enum xsk_mode mode;
	bool has_src4, has_src6;
	struct rs_addr src4, src6; /* redirect TCP to these... */
	uint16_t port_lo, port_hi; /* ...with a port in this range */
};

struct xsk_info {
	const char *attach; /* "native" or "skb" */
	const char *bind; /* "zero-copy" or "copy" */
	bool dispatcher; /* false: libxdp fell back to a single program */
	bool need_wakeup;
	uint32_t queues;
};

struct xsk_stats {
	uint64_t tx_frames; /* put on the TX ring */
	uint64_t tx_kicks;
	uint64_t rx_frames;
	/* frames the kernel dropped on the way to us, over every queue
	 * (XDP_STATISTICS: rx_dropped + rx_ring_full + fill ring empty) */
	uint64_t kernel_drops;
	uint64_t tx_invalid; /* TX descriptors the kernel refused */
};

struct xsk;

/*
 * -EPERM without CAP_NET_ADMIN+CAP_BPF (or root); -EOPNOTSUPP when the
 * interface or kernel cannot do XDP/AF_XDP in the requested mode; -EEXIST
 * or -EBUSY when another XDP program is attached; -ENOMEM.  Nothing is left
 * attached after a failure.
 */
int xsk_new(struct xsk **out, const struct xsk_config *cfg,
	    struct xsk_info *info);
void xsk_free(struct xsk *x);

/* Detach the program now (needs CAP_NET_ADMIN); idempotent. */
void xsk_detach(struct xsk *x);

/* Leave the detach to someone else: xsk_free will only close and free. */
void xsk_disown(struct xsk *x);

/* The sockets' fds for poll(): writes at most max, returns the count. */
uint32_t xsk_fds(const struct xsk *x, int *fds, uint32_t max);

/* A frame of XSK_FRAME_SIZE bytes to fill, or NULL (batch full, no frame). */
uint8_t *xsk_tx_frame(struct xsk *x);
void xsk_tx_commit(struct xsk *x, uint32_t len);
/* Put the batch on the TX ring and kick; frames put, or -errno. */
int xsk_tx_flush(struct xsk *x);

/*
 * Up to max received frames (from all queues), without blocking; valid
 * until xsk_rx_release, which must be called before the next xsk_rx.
 */
int xsk_rx(struct xsk *x, struct pkt_frame *f, uint32_t max);
void xsk_rx_release(struct xsk *x);

void xsk_get_stats(const struct xsk *x, struct xsk_stats *st);

#endif
