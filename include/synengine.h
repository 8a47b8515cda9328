/*
 * synengine.h - the SYN scan engine: crafted SYNs out, replies judged by
 * their SYN cookie, over AF_XDP or AF_PACKET.  It fills the same table of
 * functions as engine.h's connect engine (struct engine_ops) and gives the
 * same results, so that scan.c drives either the same way.
 *
 * A probe prepared with prep takes one of a fixed number of
 * slots (the concurrency) and is keyed by (target address, port) in an
 * open-addressing index sized at synengine_new.  Its frame is built from a
 * per-family template at the next run and goes out in one burst
 * with the rest; the attempt's timeout starts then.  A reply is first
 * proven to answer one of our SYNs - its acknowledgment number minus one
 * must equal the SipHash cookie of its own 4-tuple (cookie.h) - and only
 * then looked up in the index.  SYN-ACK: ENGINE_OPEN, and a RST goes back
 * so the target does not keep a half-open connection; RST: ENGINE_CLOSED;
 * nothing by the deadline: ENGINE_TIMEOUT (scan.c retries or reports
 * filtered, exactly as with -sT).
 *
 * Late answers (a valid reply for an attempt that already timed out) are
 * not lost: the timed-out probe's key stays in the index as a "linger"
 * record (a FIFO of as many records as slots), and a reply that finds it
 * is remembered there.  When the scheduler hands out the retry of that
 * probe, prep completes it at once with the remembered answer,
 * without sending anything (rtt_ns 0: no RTT sample from a late answer).
 * scan.c therefore needs no special case: every result belongs to the
 * attempt it was prepared for, and the scheduler's counts stay exact.  A
 * late answer to the final attempt (the probe is already reported
 * filtered) is only counted (stats.rx_late - stats.late_delivered).
 * Duplicates of a reply after its slot completed are counted and ignored.
 *
 * Next hop (nexthop.h): each target's route is asked of the kernel once
 * and the next hop's MAC read from the neighbour table; when absent, the
 * kernel is asked to resolve it (NTF_USE) and the probe waits in its slot
 * - not yet sent, its timeout not yet running - until a neighbour
 * notification (or a poll every SYNENGINE_NEIGH_POLL_NS) brings the MAC.
 * If resolution fails (NEXTHOP_WAIT_NS), the probe completes as
 * ENGINE_UNREACH with -EHOSTUNREACH, as a connect() would; no route at all
 * is ENGINE_UNREACH with -ENETUNREACH.  Targets whose route leaves by
 * another interface (-EXDEV), local addresses of this host
 * (-EADDRNOTAVAIL) and targets of a family without a source address
 * (-EADDRNOTAVAIL) complete as ENGINE_ERROR: -sT can scan them, -sS not.
 *
 * Loopback: IPv6 (::1) works through AF_PACKET on lo; IPv4 cannot, because
 * the kernel drops frames injected on lo from a local IPv4 source as
 * martians - synengine_new refuses an IPv4 hint on lo with -EOPNOTSUPP.
 *
 * Hot path (prep, run): no allocation; run makes one TX burst, one poll
 * and batched RX; prep makes netlink round trips only the first time a
 * target host (or next hop) is seen.  Single-threaded.
 */
#ifndef RINGSCAN_SYNENGINE_H
#define RINGSCAN_SYNENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"
#include "afxdp.h"
#include "engine.h"
#include "neigh.h"
#include "scheduler.h"

/*
 * Default source ports: just above Linux's default ephemeral range
 * (32768-60999), so the kernel never picks one of them for a connection
 * of its own while AF_XDP steals their replies.
 */
#define SYNENGINE_SPORT_LO 61000
#define SYNENGINE_SPORT_HI 61999
#define SYNENGINE_TTL 64
/* Re-ask the kernel about unresolved next hops this often. */
#define SYNENGINE_NEIGH_POLL_NS 250000000ULL
/* RSTs waiting for a TX frame; beyond, the target's SYN-ACK retry gets one. */
#define SYNENGINE_RST_QUEUE 1024
/* Frames an open port's SYN-ACK makes us send: its RST. */
#define SYNENGINE_OPEN_FRAMES 1
/* Frames read per run before returning results. */
#define SYNENGINE_RX_BUDGET 4096

enum synengine_kind {
	SYNENGINE_AUTO, /* AF_XDP, else AF_PACKET */
	SYNENGINE_XDP,
	SYNENGINE_PACKET,
};

struct synengine_config {
	uint32_t slots; /* probes in flight at most */
	const char *ifname; /* NULL: the interface of the route to hint */
	const struct rs_addr *hint; /* a target (the first one) */
	const struct rs_addr *src4; /* NULL: route's source, else the link's */
	const struct rs_addr *src6;
	uint16_t sport_lo, sport_hi; /* both 0: SYNENGINE_SPORT_LO..HI */
	enum synengine_kind kind;
	enum afxdp_mode xdp_mode; /* with XDP: native, skb or either */
	uint8_t ttl; /* 0: SYNENGINE_TTL */
	/*
	 * The caller will drop its capabilities once the engine is set up
	 * (privsep_drop): fork a keeper (privsep.h) for what still needs
	 * them - soliciting next hops, detaching the XDP program.
	 */
	bool privsep;
};

struct synengine_info {
	uint32_t slots;
	enum synengine_kind kind; /* SYNENGINE_XDP or SYNENGINE_PACKET */
	const char *name; /* "xdp" or "packet" */
	int xdp_err; /* AUTO chose AF_PACKET because AF_XDP said this */
	struct afxdp_info xdp; /* when kind is SYNENGINE_XDP */
	char ifname[NEIGH_IFNAMSIZ];
	int ifindex;
	bool has_src4, has_src6;
	struct rs_addr src4, src6;
	uint16_t sport_lo, sport_hi;
	bool keeper; /* a privsep keeper runs (cfg->privsep, and needed) */
};

struct synengine_stats {
	uint64_t tx_syn; /* SYNs built and queued to the link */
	uint64_t tx_rst; /* RSTs for SYN-ACKs */
	uint64_t rst_dropped; /* RST queue full */
	uint64_t rx_frames; /* frames the link handed over */
	uint64_t rx_malformed; /* refused by pkt_parse */
	uint64_t rx_foreign; /* not to our address/ports, or not a reply */
	uint64_t rx_bad_cookie; /* ack does not match: forged or stray */
	/* ICMP(v6) destination unreachable quoting one of our SYNs whose
	 * quoted sequence is its cookie: the port is filtered */
	uint64_t rx_icmp;
	uint64_t rx_icmp_forged; /* quoted sequence is not the cookie */
	uint64_t rx_answers; /* validated replies matched to a slot */
	uint64_t rx_late; /* validated replies for a timed-out attempt */
	uint64_t late_delivered; /* of those, handed to the attempt's retry */
	uint64_t rx_unmatched; /* validated, no record: duplicates */
	uint64_t neigh_lookups; /* route + neighbour netlink queries */
	uint64_t neigh_solicits;
	uint64_t neigh_failed; /* probes completed unreachable */
	/* next hops given up on at ringscan's own limit (NEXTHOP_WAIT_NS)
	 * rather than on the kernel's verdict: a kernel that never says
	 * FAILED, or notifications lost */
	uint64_t neigh_timeouts;
	/* from the kernel: frames it dropped before we read them (socket
	 * buffer or AF_XDP rings full), and frames it refused to send */
	uint64_t kernel_drops;
	uint64_t tx_refused;
};

struct synengine;

/*
 * -EPERM: missing privileges (root, or CAP_NET_RAW for AF_PACKET and
 * CAP_NET_ADMIN+CAP_BPF for AF_XDP); -ENODEV: no such interface;
 * -ENETUNREACH: no route to hint; -EADDRNOTAVAIL: no source address;
 * -EOPNOTSUPP: not an Ethernet interface, IPv4 over lo, or AF_XDP forced
 * where it cannot work; -EEXIST/-EBUSY: AF_XDP forced while another XDP
 * program is attached; -EINVAL: bad config; -ENOMEM.  With SYNENGINE_AUTO,
 * any AF_XDP failure falls back to AF_PACKET and info->xdp_err says why.
 */
int synengine_new(struct synengine **out, const struct synengine_config *cfg,
		  struct synengine_info *info);
void synengine_get_stats(const struct synengine *e, struct synengine_stats *st);

/*
 * The engine (engine.h's interface).  prep: -EBUSY also when the same
 * address and port is already in flight; linger_ns is ignored (late
 * answers are kept by linger records, above).  run sends what was
 * prepared, waits for replies, judges them and expires deadlines; it fails
 * only when the link does (-ENETDOWN ...).  free detaches the XDP program
 * (if any) and frees everything.
 */
extern const struct engine_ops synengine_ops;

#endif
