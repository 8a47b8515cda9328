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
 *   RX frames: fill ring -> kernel -> RX ring -> caller (between rx and
 *              rx_release) -> fill ring again;
 *   TX frames: free stack -> caller (tx_frame .. tx_commit) ->
 *              pending batch -> TX ring -> kernel -> completion ring ->
 *              free stack.
 * The fill ring is filled completely at start; the completion ring is
 * drained before each TX burst; each burst is one reserve/submit and one
 * kick (sendto), only when the kernel asks for it (XDP_USE_NEED_WAKEUP).
 * TX uses queue 0's socket; RX reads every queue.
 *
 * The handle is driven through afxdp_link_ops (link.h), like pktsock.h's.
 * Its free detaches the program and frees everything; callers must reach
 * it on every exit path (the CLI turns SIGINT/SIGTERM into a stop flag so
 * that it does).  A SIGKILL leaves the program attached: `ip link set dev
 * IF xdp off` removes it - unless a privsep keeper (privsep.h) holds a
 * copy of the handle: then the scanner, without the capabilities to
 * detach, calls disown and the keeper detach, even after a SIGKILL of the
 * scanner.  Allocation only in afxdp_new.  Single-threaded.
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
#include "link.h"
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

struct afxdp;

/*
 * -EPERM without CAP_NET_ADMIN+CAP_BPF (or root); -EOPNOTSUPP when the
 * interface or kernel cannot do XDP/AF_XDP in the requested mode; -EEXIST
 * or -EBUSY when another XDP program is attached; -ENOMEM.  Nothing is left
 * attached after a failure.
 */
int afxdp_new(struct afxdp **out, const struct afxdp_config *cfg,
	      struct afxdp_info *info);

/*
 * The link (link.h).  tx_frame hands out AFXDP_FRAME_SIZE-byte frames (NULL
 * when the batch is full or every TX frame is in flight); tx_flush puts the
 * batch on the TX ring and kicks; rx reads every queue; detach and disown
 * as described above.  drops sums XDP_STATISTICS over every queue:
 * rx_dropped + rx_ring_full + fill ring empty, and TX descriptors refused.
 */
extern const struct link_ops afxdp_link_ops;

#endif
