/*
 * pktsock.h - the SYN scan's AF_PACKET link: raw Ethernet frames out with
 * sendmmsg, replies in with recvmmsg, for when AF_XDP cannot be used.
 *
 * One SOCK_RAW packet socket bound to the interface.  A classic BPF filter,
 * attached before the socket is bound (so not one unfiltered frame is ever
 * queued), keeps only what the scanner can use: unfragmented TCP to our
 * source address with a destination port in our source-port range.  The
 * kernel still sees every reply too (AF_PACKET taps, it does not steal), so
 * it answers a SYN-ACK for a port it has no socket for with a RST of its
 * own; the engine sends one anyway, for symmetry with AF_XDP.
 *
 * TX is batched: pktsock_tx_frame hands out the next free frame of the
 * batch, pktsock_tx_commit records its length, pktsock_tx_flush sends the
 * batch in one sendmmsg.  Sends block when the socket's buffer is full,
 * which is the backpressure we want; receives never block.  Same shape as
 * afxdp.h, so the engine drives both through one small table.  Allocation
 * only in pktsock_new.  Single-threaded.
 */
#ifndef RINGSCAN_PKTSOCK_H
#define RINGSCAN_PKTSOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "pkt.h"

/* Frames per sendmmsg/recvmmsg: one syscall per batch, ~100 KiB of buffers. */
#define PKTSOCK_BATCH 64
/* Receive buffer per frame: a full 1500-byte MTU frame and VLAN tags. */
#define PKTSOCK_RX_FRAME 2048

struct pktsock_config {
	int ifindex;
	bool has_src4, has_src6;
	struct rs_addr src4, src6; /* replies must be addressed to these */
	uint16_t port_lo, port_hi; /* ... and to a port in this range */
};

struct pktsock_stats {
	uint64_t tx_frames; /* handed to the kernel */
	uint64_t tx_errors; /* frames a sendmmsg refused (dropped) */
	uint64_t rx_frames;
	uint64_t rx_truncated; /* bigger than PKTSOCK_RX_FRAME: dropped */
	/* frames the kernel dropped before we read them (receive buffer
	 * full: PACKET_STATISTICS tp_drops) */
	uint64_t kernel_drops;
};

struct pktsock;

/* -EPERM without CAP_NET_RAW; -ENODEV; -ENOMEM; -EINVAL for a bad range. */
int pktsock_new(struct pktsock **out, const struct pktsock_config *cfg);
void pktsock_free(struct pktsock *p);

int pktsock_fd(const struct pktsock *p);

/* A frame of PKT_FRAME_MAX bytes to fill, or NULL when the batch is full. */
uint8_t *pktsock_tx_frame(struct pktsock *p);
void pktsock_tx_commit(struct pktsock *p, uint32_t len);
/*
 * Send the batch.  Returns the number of frames sent (a frame the kernel
 * refuses is counted as an error and dropped, like a loss on the wire), or
 * -errno when the link itself is gone (-ENETDOWN, -ENXIO).
 */
int pktsock_tx_flush(struct pktsock *p);

/*
 * Receive up to max (<= PKTSOCK_BATCH) frames without blocking; they stay
 * valid until the next call.  Returns the count or -errno.
 */
int pktsock_rx(struct pktsock *p, struct pkt_frame *f, uint32_t max);

/* Counters so far; reads (and so resets) the kernel's, outside the hot
 * path: call it at the end of a scan, not per batch. */
void pktsock_get_stats(struct pktsock *p, struct pktsock_stats *st);

#endif
