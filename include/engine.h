/*
 * engine.h - the io_uring connect engine: executes probes, judges nothing.
 * Also the engine interface that scan.c drives (struct engine_ops) and the
 * outcomes and results it hands back, which the SYN engine (synengine.h)
 * shares.
 *
 * One ring, a fixed table of probe slots, and per probe one hard-linked
 * chain submitted in a single batch:
 *
 *   SOCKET (direct, into fixed-file slot i)          CQE only on failure
 *     -> SETSOCKOPT SO_LINGER{1,0} (uring_cmd)       CQE only on failure
 *    [-> SETSOCKOPT IP_BIND_ADDRESS_NO_PORT          CQE only on failure
 *     -> BIND the source]  (--source-ip only)        CQE only on failure
 *     -> CONNECT (fixed file i)                      always a CQE
 *     -> LINK_TIMEOUT (the attempt's timeout)        always a CQE
 *     -> CLOSE (direct, slot i)                      always a CQE: slot free
 *
 * Sources (--source-ip LIST, srcaddr.h): the socket is bound, through
 * IORING_OP_BIND (Linux 6.11), to the source srcaddr_pick chose for the
 * probe and attempt, as the UDP engine does (udpengine.h, which says why
 * there is no fallback); a target that rate-limits its RSTs per peer then
 * gives each source its own budget.  The CLI gives sources for every
 * family the targets have, so every chain has the same length.
 *
 * Late answers: the link timeout is the attempt's timeout plus a linger
 * time.  At the timeout itself (a soft deadline kept in a min-heap here)
 * the attempt is reported silent so that the scheduler can retry, but its
 * connect keeps listening until the link timeout; an answer it gets
 * meanwhile is kept by probe number and becomes the answer of the next
 * attempt of that probe, so a slow path costs a retry, never a result.
 *
 * Direct descriptors keep sockets out of the process fd table (no EMFILE
 * from the fd table, no socket() syscall per probe) and let the whole chain
 * go in one submit.  IOSQE_IO_HARDLINK keeps the chain together when the
 * connect fails (refused, timed out), so the close always runs and its CQE is
 * the one signal that slot i - and fixed file i - may be reused.  SO_LINGER
 * 0 makes the close of an open port a reset, so an all-open sweep leaves no
 * TIME_WAIT behind; kernels without socket uring_cmd skip that link.
 *
 * user_data packs the op (4 bits), a generation (28 bits) and the slot
 * index (32 bits), so a CQE for a recycled slot can never be mistaken for
 * the current probe.  The ring is set up with SINGLE_ISSUER|DEFER_TASKRUN
 * where the kernel accepts it (completions run only when we ask), else
 * COOP_TASKRUN, else plain; CQ is sized so that every in-flight chain's CQEs
 * fit.
 *
 * rtt_ns is the round trip on the wire as well as user space can see it
 * (io_uring cannot read TCP_INFO: its getsockopt takes SOL_SOCKET only).
 * A chain's SYN leaves inside the io_uring_enter that submits it, so run
 * submits the prepared chains in pieces that take about ENGINE_SUBMIT_NS
 * each (sized from the measured cost of a chain) and stamps the chains of
 * a piece at the start of its enter, the earliest their SYNs can have
 * left; an answer is stamped when the enter that posts its CQE returns,
 * the latest it can have come.  An RTT is never shorter than the wire's.  Each enter also runs
 * every completion the kernel has queued (DEFER_TASKRUN would otherwise
 * run only 20 per enter and leave the rest to later enters: that, and
 * stamping a whole batch at prep, made loopback RTTs of 20-60 ms).  The
 * error is then one piece (0.2 ms) plus the time the scan loop spends
 * outside run, and on loopback, where the answer comes inside the submit,
 * under a millisecond.
 *
 * Banners (engine_config.banners, -sT --banners): the chain then ends at
 * the connect's LINK_TIMEOUT, without the CLOSE, and the CQEs drive a
 * short exchange on the same fixed file, one op (and its own link
 * timeout) in flight at a time:
 *
 *   connect failed, or connected after the attempt was reported silent
 *       -> CLOSE
 *   connected -> the open port is reported at once (banner_follows), then
 *       RECV -> LINK_TIMEOUT (ENGINE_BANNER_WAIT_NS)   speaks-first ports
 *       SEND request -> RECV -> LINK_TIMEOUT (rest)     HTTP, Redis and
 *                                                       memcached ports
 *   RECV got bytes -> RECV again: until the buffer is full, the peer
 *       closes, the per-port deadline, or - once what came ends with a
 *       newline - ENGINE_BANNER_IDLE_NS of quiet
 *   RECV silent (first wait) -> SEND HEAD -> RECV ... (any port)
 *   TLS ports: the slot's tlsprobe drives a handshake: SEND what it has
 *       to say -> LINK_TIMEOUT (rest); RECV the server's flight, feed it;
 *       again until the handshake is done, fails, or the deadline
 *   anything else -> CLOSE, and at its CQE the ENGINE_BANNER result
 *
 * Which ports get which opening, and the requests themselves, are the
 * identification module's (bannerid_opener, bannerid_probe): the engine
 * asks the way the identifier expects to be answered.  The TLS probes
 * (one per slot, made at engine_new with banners only, reused: what
 * OpenSSL still allocates per handshake is in tlsprobe.h) put their
 * findings in engine_result.tls; the banner is then empty.
 *
 * Every wait is a link timeout cut to the per-port deadline
 * (banner_timeout_ns after the connect), so a trickling or never-closing
 * server costs its slot that long and no more.  The follow-up SQEs are
 * queued by reap (one per slot at most) and written into the SQ at the
 * next run, ahead of new chains.  The slot - and with it one unit of
 * --concurrency - stays taken for the exchange: the scheduler has the open
 * port's answer and RTT at the connect, so its timing is unchanged, but
 * fewer probes are in flight while open ports are read.  Buffers are per
 * slot (ENGINE_BANNER_CAP bytes), allocated at engine_new.
 *
 * Hot path (prep, run): no allocation, no logging; run makes one
 * io_uring_enter per piece of ENGINE_SUBMIT_NS and one that waits, CQEs
 * reaped after each with a single io_uring_cq_advance.  Single-threaded.
 */
#ifndef RINGSCAN_ENGINE_H
#define RINGSCAN_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ringsetup.h"
#include "scheduler.h"

/* IORING_OP_BIND (Linux 6.11), which --source-ip needs (above). */
#define ENGINE_IORING_OP_BIND RINGSETUP_IORING_OP_BIND

/* SQEs per probe chain (socket, setsockopt, connect, timeout, close). */
#define ENGINE_SQES_PER_PROBE 5
/* Probes prepared per loop: bounds SQ size and the latency of one submit. */
#define ENGINE_BATCH 512
/*
 * One io_uring_enter sends about this much work: a connect's SYN leaves
 * somewhere inside the submit that issues it, so its send time is known to
 * within one submit.  200 us keeps rtt_ms within a millisecond while a
 * loopback -p- (17 us of kernel work per chain) still makes only ~1
 * syscall per 12 probes.
 */
#define ENGINE_SUBMIT_NS 200000ULL
/* Linux's TCP_TIMEOUT_INIT: when a connect's SYN goes out again. */
#define ENGINE_KERNEL_SYN_RTO_NS 1000000000ULL
/* Frames an open port's answer makes us send: the kernel's ACK, the RST
 * of our close (SO_LINGER 0) and the one that answers the listener's FIN
 * (it accepts and closes at once; measured on the testbed). */
#define ENGINE_OPEN_FRAMES 3
/* --banners: bytes captured per port, the wait for a greeting before the
 * HTTP probe goes out, and the quiet that ends a banner ending in a
 * newline (a greeting is sent whole; what trickles keeps being read). */
#define ENGINE_BANNER_CAP 512
#define ENGINE_BANNER_WAIT_NS 1000000000ULL
#define ENGINE_BANNER_IDLE_NS 250000000ULL
#define ENGINE_BANNER_TIMEOUT_DEFAULT_NS 2000000000ULL

/* Chains per submit at least (a slow machine must not submit one by one)
 * and in the first submit, before any cost was measured. */
#define ENGINE_SUBMIT_MIN 4
#define ENGINE_SUBMIT_FIRST 16

enum engine_outcome {
	ENGINE_OPEN, /* connected */
	ENGINE_CLOSED, /* ECONNREFUSED (a RST) */
	ENGINE_TIMEOUT, /* the link timeout fired first */
	ENGINE_UNREACH, /* ICMP unreachable/prohibited: filtered */
	ENGINE_DEFER, /* local resource failure: try again later */
	ENGINE_ERROR, /* anything else; err says what */
	/*
	 * --banners: the exchange after an ENGINE_OPEN with banner_follows
	 * ended (slot says which); banner/banner_len hold what the server
	 * sent (maybe nothing), valid until the next run.
	 */
	ENGINE_BANNER,
};

struct tlsinfo;

struct engine_result {
	struct sched_probe probe;
	enum engine_outcome outcome;
	int err; /* -errno behind the outcome (0 if open) */
	/*
	 * ENGINE_UNREACH: nmap's reason word when the engine saw more than
	 * err can say (the SYN engine reads the ICMP code: "admin-prohibited",
	 * "port-unreach", ...); NULL to derive it from err.  Static storage.
	 */
	const char *reason;
	/* SYN sent to answer reaped (see top); 0 if none.  late: the RTT of
	 * the attempt that was answered, never this one's */
	uint64_t rtt_ns;
	/* when the attempt answered was sent, on clock_now_ns's clock (the
	 * earliest it may have been, where the kernel sent its SYN again;
	 * 0 if unknown): a late answer is reported when this attempt ends
	 * or is prepared, long after it came, so only this places it in the
	 * order of sends (sched_answer_sent) */
	uint64_t sent_ns;
	/*
	 * An answer whose round trip is ambiguous has rtt_ns 0 (Karn) and
	 * this instead, the time from the first send to it: a delay sample
	 * only (sched_delay, cc_delay).  -sT: an answer over
	 * ENGINE_KERNEL_SYN_RTO_NS may be to the kernel's second SYN.  Given
	 * once, with the answer as it came (early, or the attempt's own).
	 */
	uint64_t delay_ns;
	bool late; /* the answer belongs to an earlier attempt */
	bool withdrawn; /* late, and this attempt was never sent */
	/*
	 * late, to an attempt that had timed out, and reported as it came:
	 * for sched_early to take back the retry the scheduler holds, if it
	 * holds one.  The engine keeps the answer for the probe's next
	 * attempt all the same (withdrawn or spurious as before), should
	 * that one be out or go out first.
	 */
	bool early;
	/* ENGINE_OPEN: an ENGINE_BANNER for this slot follows */
	bool banner_follows;
	uint32_t slot; /* with banner_follows and ENGINE_BANNER */
	const uint8_t *banner;
	uint32_t banner_len;
	/* ENGINE_BANNER on a TLS port: the finished handshake's findings
	 * (tlsprobe.h), valid until the next run; NULL if none */
	const struct tlsinfo *tls;
};

struct srcaddr;

struct engine_config {
	uint32_t slots; /* probes in flight at most */
	const struct srcaddr *src; /* --source-ip; NULL: the route's */
	bool banners; /* read what open ports say (see the top) */
	uint64_t banner_timeout_ns; /* per port, from the connect; 0 = the
				       default */
};

/* Late answers (-v and tests). */
struct engine_stats {
	uint64_t lingered; /* attempts reported silent, connect kept */
	uint64_t late; /* answers that came to a lingering connect */
	uint64_t late_used; /* of those, delivered to a later attempt */
	/* --banners */
	uint64_t exchanges; /* open ports read */
	uint64_t probes; /* requests sent: HTTP HEAD, Redis INFO, memcached */
	uint64_t banner_bytes; /* bytes received */
	uint64_t tls_handshakes; /* TLS handshakes finished */
};

struct engine_info {
	uint32_t slots;
	uint32_t sq_entries;
	uint32_t cq_entries;
	const char *setup; /* "SINGLE_ISSUER|DEFER_TASKRUN", ... */
	bool linger_rst; /* SO_LINGER via uring_cmd available */
	uint32_t sources; /* source addresses bound (0: the route's) */
};

/*
 * The engine interface: what scan.c drives, the same for the io_uring
 * connect engine (engine_connect_ops, below) and the SYN engine
 * (synengine_ops, synengine.h).  Each engine has its own constructor (the
 * configurations differ) and fills one const table with its own functions,
 * which take its opaque handle as void *.  The loop makes a few calls per
 * batch and one prep per probe through it.
 */
struct engine_ops {
	/* Slots free for prep; slots taken (or results waiting for run). */
	uint32_t (*idle)(const void *e);
	uint32_t (*busy)(const void *e);
	/* Copy the probes now in flight (at most max) for a checkpoint. */
	uint32_t (*inflight)(const void *e, struct sched_probe *out,
			     uint32_t max);
	/*
	 * Take a slot for one probe to sa (sockaddr_in/in6, copied); nothing
	 * is sent before the next run.  After timeout_ns the attempt is
	 * reported ENGINE_TIMEOUT.  -EBUSY if no slot is free, -EINVAL for a
	 * bad sockaddr.  linger_ns: how much longer a silent attempt keeps
	 * listening for a late answer (engines that keep late answers by
	 * other means ignore it).
	 */
	int (*prep)(void *e, const struct sched_probe *p,
		    const struct sockaddr *sa, socklen_t salen,
		    uint64_t timeout_ns, uint64_t linger_ns);
	/*
	 * Send everything prepared and wait up to wait_ns for at least one
	 * completion (0 = do not wait); finished probes are written to res
	 * (at most max; the rest stay for the next call).  Returns the number
	 * of results, or -errno when the engine itself failed.
	 */
	int (*run)(void *e, uint64_t wait_ns, struct engine_result *res,
		   uint32_t max);
	/* Free everything; NULL is a no-op. */
	void (*free)(void *e);
};

struct engine;

/*
 * -ENOSYS/-EPERM: io_uring unavailable (absent or disabled by sysctl);
 * -EOPNOTSUPP: the kernel lacks an op the chain needs (socket, direct
 * descriptors); -EPROTONOSUPPORT: sources given and no IORING_OP_BIND;
 * -EMFILE: RLIMIT_NOFILE below the slot count; -ENOMEM.
 */
int engine_new(struct engine **out, const struct engine_config *cfg,
	       struct engine_info *info);

void engine_get_stats(const struct engine *e, struct engine_stats *st);

/*
 * The connect engine's table.  prep prepares one probe's chain (no
 * syscall); with linger_ns its connect keeps listening that much longer
 * than timeout_ns (the slot stays taken), and an answer that comes
 * meanwhile is not lost: it is delivered as the answer of the probe's next
 * attempt (at its prep, or when that attempt would be reported silent),
 * with late = true.  run is one io_uring_enter that submits and waits, then
 * one pass over the CQEs; it fails only on a ring failure.
 */
extern const struct engine_ops engine_connect_ops;

#endif
