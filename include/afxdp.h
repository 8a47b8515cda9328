/*
 * afxdp.h - the SYN scan's AF_XDP link: our XDP program on the interface,
 * one AF_XDP socket per receive queue, frames in a UMEM.
 *
 * afxdp_new attaches src/syn/xdp_scan.bpf.c (embedded in the binary, see
 * afxdp_bpf_obj) through libxdp - in native (driver) mode where the driver
 * has it, else generic (skb) mode - writes the scan's addresses and port
 * range into the program's config map, and binds one socket per RX queue
 * (zero-copy where the driver accepts it, else copy mode) whose fd goes
 * into the program's XSKMAP.  From then on, replies to the scanner skip the
 * kernel's stack; everything else still reaches it.
 *
 * Ownership of UMEM frames, one place at a time:
 *   RX frames: fill ring -> kernel -> RX ring -> caller (between afxdp_rx and
 *              afxdp_rx_release) -> fill ring again;
 *   TX frames: free stack -> caller (afxdp_tx_frame .. afxdp_tx_commit) ->
 *              pending batch -> TX ring -> kernel -> completion ring ->
 *              free stack.
 * The fill ring is filled completely at start; the completion ring is
 * drained before each TX burst; each burst is one reserve/submit and one
 * kick (sendto), only when the kernel asks for it (XDP_USE_NEED_WAKEUP).
 * TX uses queue 0's socket; RX reads every queue.
 *
 * afxdp_free detaches the program and frees everything; callers must reach
 * it on every exit path (the CLI turns SIGINT/SIGTERM into a stop flag so
 * that it does).  A SIGKILL leaves the program attached: `ip link set dev
 * IF xdp off` removes it - unless a privsep keeper (privsep.h) holds a
 * copy of the handle: then the scanner, without the capabilities to
 * detach, calls afxdp_disown and the keeper afxdp_detach, even after a
 * SIGKILL of the scanner.  Same TX/RX shape as pktsock.h.  Allocation only
 * in afxdp_new.  Single-threaded.
 *
 * The prefix is afxdp_, not xsk_: xsk_ is libxdp's namespace (xsk_socket,
 * xsk_umem, xsk_ring_*), which afxdp.c uses side by side with its own.
 */
#ifndef RINGSCAN_AFXDP_H
#define RINGSCAN_AFXDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "pkt.h"
#include "xdp_scan.h" /* XDP_SCAN_MAX_QUEUES: the program's XSKMAP size */

#define AFXDP_FRAME_SIZE 2048
#define AFXDP_RX_FRAMES 1024 /* per queue; also the fill and RX ring sizes */
#define AFXDP_TX_FRAMES 1024 /* queue 0; also the TX and completion rings */
/* Frames per TX burst and per RX pass: one kick / one release each. */
#define AFXDP_BATCH 64
/* Retries of a bind refused with EBUSY (previous socket still closing). */
#define AFXDP_BUSY_RETRIES 20
#define AFXDP_BUSY_WAIT_NS 50000000L

/* The program's object file, generated into the build by the Makefile. */
extern const unsigned char afxdp_bpf_obj[];
extern const size_t afxdp_bpf_obj_len;

enum afxdp_mode {
	AFXDP_MODE_AUTO, /* native, else skb */
	AFXDP_MODE_NATIVE,
	AFXDP_MODE_SKB,
};

struct afxdp_config {
	int ifindex;
	const char *ifname;
	enum afxdp_mode mode;
	bool has_src4, has_src6;
	struct rs_addr src4, src6; /* redirect TCP to these... */
	uint16_t port_lo, port_hi; /* ...with a port in this range */
};

struct afxdp_info {
	const char *attach; /* "native" or "skb" */
	const char *bind; /* "zero-copy" or "copy" */
	bool dispatcher; /* false: libxdp fell back to a single program */
	bool need_wakeup;
	uint32_t queues;
};

struct afxdp_stats {
	uint64_t tx_frames; /* put on the TX ring */
	uint64_t tx_kicks;
	uint64_t rx_frames;
	/* frames the kernel dropped on the way to us, over every queue
	 * (XDP_STATISTICS: rx_dropped + rx_ring_full + fill ring empty) */
	uint64_t kernel_drops;
	uint64_t tx_invalid; /* TX descriptors the kernel refused */
};

struct afxdp;

/*
 * -EPERM without CAP_NET_ADMIN+CAP_BPF (or root); -EOPNOTSUPP when the
 * interface or kernel cannot do XDP/AF_XDP in the requested mode; -EEXIST
 * or -EBUSY when another XDP program is attached; -ENOMEM.  Nothing is left
 * attached after a failure.
 */
int afxdp_new(struct afxdp **out, const struct afxdp_config *cfg,
	      struct afxdp_info *info);
void afxdp_free(struct afxdp *x);

/* Detach the program now (needs CAP_NET_ADMIN); idempotent. */
void afxdp_detach(struct afxdp *x);

/* Leave the detach to someone else: afxdp_free will only close and free. */
void afxdp_disown(struct afxdp *x);

/* The sockets' fds for poll(): writes at most max, returns the count. */
uint32_t afxdp_fds(const struct afxdp *x, int *fds, uint32_t max);

/* A frame of AFXDP_FRAME_SIZE bytes to fill, or NULL (batch full, no frame). */
uint8_t *afxdp_tx_frame(struct afxdp *x);
void afxdp_tx_commit(struct afxdp *x, uint32_t len);
/* Put the batch on the TX ring and kick; frames put, or -errno. */
int afxdp_tx_flush(struct afxdp *x);

/*
 * Up to max received frames (from all queues), without blocking; valid
 * until afxdp_rx_release, which must be called before the next afxdp_rx.
 */
int afxdp_rx(struct afxdp *x, struct pkt_frame *f, uint32_t max);
void afxdp_rx_release(struct afxdp *x);

void afxdp_get_stats(const struct afxdp *x, struct afxdp_stats *st);

#endif
