/*
 * link.h - the SYN engine's link interface: one table of functions that
 * both of its links fill, AF_XDP (afxdp.h) and AF_PACKET (pktsock.h).
 *
 * An interface only (no link.c): each link module keeps its state opaque,
 * exports a constructor of its own (the configurations differ) and one
 * const struct link_ops whose members are its implementation, taking the
 * handle as void *.  The engine (synengine.c) holds the pair (ops, handle)
 * and never needs to know which link it drives.
 *
 * TX and RX are zero-copy in shape for both: the caller fills frames in
 * place and reads received frames in place.  Hot path: tx_frame and
 * tx_commit are called once per frame - one indirect call each, like any
 * call across a module boundary - everything else once per batch.
 * Single-threaded, like the links.
 */
#ifndef RINGSCAN_LINK_H
#define RINGSCAN_LINK_H

#include <stdint.h>

#include "pkt.h"

/* Frames a link reads per rx call at most; callers may ask for fewer. */
#define LINK_RX_BATCH 64

struct link_ops {
	/* The fds to poll for readable frames: writes at most max. */
	uint32_t (*fds)(const void *l, int *fds, uint32_t max);
	/*
	 * A frame of at least PKT_FRAME_MAX bytes to fill, or NULL when the
	 * batch (or the ring) is full: flush, then ask again.  A frame taken
	 * must be committed before the next tx_frame.
	 */
	uint8_t *(*tx_frame)(void *l);
	void (*tx_commit)(void *l, uint32_t len);
	/*
	 * Hand the batch to the kernel.  Frames put, or -errno when the link
	 * itself is gone (-ENETDOWN, -ENXIO): fatal for the scan.
	 */
	int (*tx_flush)(void *l);
	/*
	 * Up to max (<= LINK_RX_BATCH) received frames, without blocking;
	 * valid until rx_release, which must come before the next rx.
	 * Returns the count or -errno.
	 */
	int (*rx)(void *l, struct pkt_frame *f, uint32_t max);
	void (*rx_release)(void *l);
	/*
	 * The kernel's counters: frames it dropped before we read them, and
	 * frames it refused to send.  May read (and reset) kernel state:
	 * call it at the end of a scan, not per batch.
	 */
	void (*drops)(void *l, uint64_t *rx_drops, uint64_t *tx_refused);
	/*
	 * Only for links that leave something attached to the interface
	 * (AF_XDP's program), NULL otherwise.  detach removes it now (needs
	 * CAP_NET_ADMIN) and is idempotent; disown leaves that to someone
	 * else (a privsep keeper), so that free only closes.
	 */
	void (*detach)(void *l);
	void (*disown)(void *l);
	/* Detach (unless disowned), close, free; NULL is a no-op. */
	void (*free)(void *l);
};

#endif
