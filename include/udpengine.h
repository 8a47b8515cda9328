/*
 * udpengine.h - the io_uring UDP engine (-sU): executes probes, judges
 * only what the kernel told it.  No privileges needed.
 *
 * One connected UDP socket per probe, one hard-linked chain submitted in
 * a batch, the same shape as the connect engine (engine.h):
 *
 *   SOCKET SOCK_DGRAM (direct, fixed file i)         CQE only on failure
 *     -> SETSOCKOPT IP_RECVERR / IPV6_RECVERR        CQE only on failure
 *     -> BIND the source (--source-ip only)          CQE only on failure
 *     -> CONNECT (fixed file i)                      CQE only on failure
 *     -> SEND the protocol payload (udppayload.h)    CQE only on failure
 *     -> RECV                                        always a CQE
 *     -> LINK_TIMEOUT (the attempt's timeout)        always a CQE
 *     -> RECVMSG MSG_ERRQUEUE|MSG_DONTWAIT           always a CQE
 *     -> CLOSE (direct, slot i)                      always a CQE: slot free
 *
 * Why connected sockets: the kernel then delivers to the socket only
 * datagrams from the probed address and port, and matches an ICMP error
 * quoting our datagram to it, so a reply or an unreachable needs no
 * parsing and no privileges.  The RECV ends the attempt: data (even an
 * empty datagram) is an answer from the port; an error is the ICMP error
 * the kernel matched (ECONNREFUSED for port unreachable, EHOSTUNREACH,
 * ENETUNREACH, EACCES, ...); -ECANCELED is the timeout.  With IP_RECVERR
 * every ICMP unreachable is reported (without it Linux drops the "soft"
 * net/host unreachables of codes 0 and 1) and the ICMP message is queued
 * on the socket's error queue, where the linked RECVMSG reads its type and
 * code (struct sock_extended_err) so that the reason is nmap's exact word:
 * EHOSTUNREACH alone cannot tell host-unreach from admin-prohibited.
 * MSG_DONTWAIT makes that RECVMSG return EAGAIN at once when there is no
 * error (the usual case) instead of waiting for one.
 *
 * The setsockopt goes through io_uring's socket uring_cmd (any level since
 * Linux 6.7); a trial chain at start says whether it works.  Without it the
 * chain has neither the setsockopt nor the RECVMSG, and reasons come from
 * the errno alone (port unreachable and the "hard" unreachables still
 * arrive; codes 0 and 1 are then silent) - said by udpengine_info.
 *
 * Sources (--source-ip LIST, srcaddr.h): the chain binds the socket to
 * the source srcaddr_pick chose for the probe and attempt, through
 * IORING_OP_BIND (Linux 6.11), prepared by hand since liburing 2.3 has no
 * helper.  A target's ICMP budget is per peer address, so each source
 * brings its own.  There is no fallback for older kernels: the socket is
 * a direct descriptor, which a plain bind() cannot reach, and giving up
 * direct descriptors would cost the one-submit chain; udpengine_new then
 * refuses with -EPROTONOSUPPORT and the CLI says so.  Without sources
 * there is no bind and the kernel's route picks the source, as before.
 *
 * Late replies: an attempt's socket closes at its timeout, so a reply that
 * comes later is lost (and draws a port unreachable from us); the
 * scheduler's next attempt asks again.  linger_ns is ignored.
 *
 * user_data, slots, generations and the reap loop are as in engine.c.
 * The payload is built at prep into the slot (no allocation on the hot
 * path), from the port and a per-attempt cookie (udppayload_build); the
 * reply's ID is not checked: the connected socket already filters by the
 * 4-tuple and a random source port.
 *
 * Hot path (prep, run): no allocation, no logging; run makes one
 * io_uring_enter per piece of at most UDPENGINE_SUBMIT chains and one that
 * waits.  Single-threaded.
 */
#ifndef RINGSCAN_UDPENGINE_H
#define RINGSCAN_UDPENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

/* SQEs per probe chain (see above), without the bind. */
#define UDPENGINE_SQES_PER_PROBE 8
/*
 * Chains per io_uring_enter: their datagrams leave inside that enter, and
 * all of them are stamped at its start; 64 chains keep one enter well under
 * a millisecond (RTT error) and the SQ (4096 entries) far from full.
 */
#define UDPENGINE_SUBMIT 64

/*
 * Slots at most: every chain's CQEs must fit the CQ, and the kernel's CQ
 * holds at most 65536 entries (IORING_MAX_CQ_ENTRIES), so 8192 chains of
 * 8.  A larger --concurrency (-sS -sU defaults to 65536) is capped here.
 */
#define UDPENGINE_MAX_SLOTS 8192
/* With the bind, chains of 9: 65536 / 9 rounded down to 1024s. */
#define UDPENGINE_MAX_SLOTS_BIND 7168

struct srcaddr;

struct udpengine_config {
	uint32_t slots; /* probes in flight at most */
	const struct srcaddr *src; /* --source-ip; NULL: the route's */
};

struct udpengine_info {
	uint32_t slots;
	uint32_t sq_entries;
	uint32_t cq_entries;
	const char *setup; /* ring flags, as engine_info */
	bool recverr; /* IP_RECVERR through uring_cmd: exact ICMP reasons */
	uint32_t sources; /* source addresses bound (0: the route's) */
};

struct udpengine;

/*
 * -ENOSYS/-EPERM: io_uring unavailable; -EOPNOTSUPP: the kernel lacks an
 * op the chain needs (socket, send, recv, direct descriptors);
 * -EPROTONOSUPPORT: sources given and no IORING_OP_BIND; -EMFILE:
 * RLIMIT_NOFILE too low; -ENOMEM.
 */
int udpengine_new(struct udpengine **out, const struct udpengine_config *cfg,
		  struct udpengine_info *info);

/*
 * The UDP engine's table (engine.h).  Outcomes: ENGINE_OPEN for any
 * datagram back, ENGINE_CLOSED for ICMP port unreachable, ENGINE_UNREACH
 * (reason: nmap's word from the ICMP code, or NULL to derive it from err)
 * for every other unreachable (icmpreason.h), ENGINE_TIMEOUT for silence
 * and for an ICMP that is no verdict (fragmentation needed).
 */
extern const struct engine_ops udpengine_ops;

#endif
