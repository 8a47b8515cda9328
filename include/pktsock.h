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
 * TX is batched: tx_frame hands out the next free frame of the batch,
 * tx_commit records its length, tx_flush sends the batch in one sendmmsg.
 * Sends block when the socket's buffer is full, which is the backpressure
 * we want; receives never block.  The engine drives it, like afxdp.h,
 * through the link table (link.h).  Allocation only in pktsock_new.
 * Single-threaded.
 */
#ifndef RINGSCAN_PKTSOCK_H
#define RINGSCAN_PKTSOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "link.h"

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

struct pktsock;

/*
 * -EPERM without CAP_NET_RAW; -ENODEV; -ENOMEM; -EINVAL for a bad range.
 * The handle is then driven through pktsock_link_ops.
 */
int pktsock_new(struct pktsock **out, const struct pktsock_config *cfg);

/*
 * The link (link.h).  tx_flush sends the batch in sendmmsg calls; a frame
 * the kernel refuses is counted (drops' tx_refused) and dropped, like a
 * loss on the wire.  rx frames live in the socket's buffers until the next
 * rx (rx_release does nothing).  No detach or disown: nothing is attached.
 */
extern const struct link_ops pktsock_link_ops;

#endif
