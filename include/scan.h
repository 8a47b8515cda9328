/*
 * scan.h - the scan pipeline, for -sT and -sS alike: targets x ports ->
 * sched -> engine -> store -> results.
 *
 * scan_run() owns the loop and drives either engine - the io_uring connect
 * engine (-sT, engine.h) or the SYN engine (-sS, synengine.h) - through
 * their common table (struct engine_ops).  Each turn it asks the scheduler
 * for as many probes as there are idle engine slots, maps each probe number
 * to (host, port) - probe = host_index * nports + port_index - prepares
 * them, makes one engine run (send and wait), and turns every finished
 * probe into a state: open, closed, unreachable, or (after the last retry)
 * filtered.  Final states go to the store (which keeps the first answer of
 * a probe) and, through the result hook, to the streaming writers.
 *
 * With --banners an open port's row waits until its exchange ends, so that
 * the streaming outputs carry its banner; the scheduler has the answer at
 * the connect.  A scan stopped early writes the waiting rows without.
 *
 * Two things the engine cannot know are settled here: with -sT, a connect
 * to a local address in the ephemeral port range may have connected a
 * socket to itself (verified with one plain socket and getsockname - rare:
 * open local ports in that range only), and whether a local shortage
 * (EMFILE, ENOBUFS, ...) should slow the scan down (the scheduler's
 * window).
 *
 * The loop allocates nothing after setup and prints nothing: progress and
 * results leave through hooks that the CLI provides.  It stops early when
 * *stop becomes non-zero (the CLI's SIGINT flag) and says so in the summary.
 */
#ifndef RINGSCAN_SCAN_H
#define RINGSCAN_SCAN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "bannerstore.h"
#include "engine.h"
#include "output.h"
#include "ports.h"
#include "scheduler.h"
#include "srcaddr.h"
#include "store.h"
#include "synengine.h"
#include "targets.h"
#include "udpengine.h"

/* How often the progress hook is called. */
#define SCAN_PROGRESS_NS 250000000ULL
/* Default for how often the checkpoint hook is called (and at the end). */
#define SCAN_CHECKPOINT_NS 5000000000ULL

/* Where an interrupted scan stood (from a checkpoint). */
struct scan_position {
	uint64_t issued; /* new probes of this shard handed out */
	const struct sched_probe *pending; /* in flight or queued: not final */
	uint32_t npending;
	uint64_t elapsed_ns; /* scan time so far, all runs together */
	bool complete;
};

enum scan_type {
	SCAN_CONNECT, /* -sT: io_uring connect engine */
	SCAN_SYN, /* -sS: SYN engine (AF_XDP or AF_PACKET) */
};

struct scan_config {
	enum scan_type type;
	const struct synengine_config *syn; /* SCAN_SYN: interface, sources,
					       engine kind; slots and hint are
					       filled in by scan_run */
	/* -sT, -sU: sources to spread probes across (srcaddr.h), with one
	 * of each family the targets have; NULL: the route's source */
	const struct srcaddr *src;
	uint32_t concurrency;
	uint64_t rate; /* ceiling, probes/s; 0 = unlimited */
	uint64_t min_rate; /* floor with cc; 0 = none */
	uint32_t retries;
	bool retries_auto; /* cc: fewer once the answers show no drops */
	uint32_t max_retries; /* cc: attempts in all at most, minus one */
	uint64_t timeout_ns; /* 0 = adaptive */
	uint64_t rto_init_ns, rto_min_ns, rto_max_ns; /* 0 = defaults */
	uint64_t scan_delay_ns, max_scan_delay_ns; /* per host, cc */
	bool cc; /* congestion control (scheduler.h); off = fixed rate */
	/* --defeat-icmp-ratelimit: a UDP probe's first silence is final
	 * (closed|filtered), no retry waits for a rate-limited ICMP */
	bool defeat_icmp;
	uint64_t seed;
	bool sequential; /* -r: host after host, ports ascending */
	uint32_t shard_index; /* 0-based */
	uint32_t shard_count;
	const struct scan_position *resume; /* NULL: a fresh scan */
	uint64_t checkpoint_ns; /* 0 = SCAN_CHECKPOINT_NS */
	/*
	 * --banners (-sT only): read what each open port says (engine.h);
	 * its row waits for the banner, which goes to banner_store (may be
	 * NULL) and to the result hook.
	 */
	bool banners;
	uint64_t banner_timeout_ns; /* 0 = ENGINE_BANNER_TIMEOUT_DEFAULT_NS */
	struct bannerstore *banner_store;
};

struct scan_progress {
	struct sched_stats sched;
	uint64_t open;
	uint64_t elapsed_ns;
};

struct scan_hooks {
	/* A probe's final state; called once per probe. */
	void (*result)(void *ctx, const struct output_result *r);
	/*
	 * The results of one turn of the loop have all gone through result:
	 * the moment for the CLI to write out what it gathered from them
	 * (the -v "Discovered" lines), once per batch.  NULL = none.
	 */
	void (*results_done)(void *ctx);
	/* Every SCAN_PROGRESS_NS, and once at the end. */
	void (*progress)(void *ctx, const struct scan_progress *p);
	/* Every checkpoint_ns and when the loop ends; NULL = never. */
	void (*checkpoint)(void *ctx, const struct scan_position *pos);
	/* A pacing change (for -v); host NULL for the whole scan. */
	void (*pace)(void *ctx, const struct sched_event *ev,
		     const struct rs_addr *host);
	/* The engine that was set up (for -v). */
	void (*engine_ready)(void *ctx, const struct engine_info *info);
	/* The UDP engine (-sU) that was set up (for -v). */
	void (*udp_ready)(void *ctx, const struct udpengine_info *info);
	/*
	 * The SYN engine is set up, nothing sent yet: the moment to drop
	 * privileges.  Non-zero (-errno) stops the scan with that error.
	 */
	int (*syn_ready)(void *ctx, const struct synengine_info *info);
	void *ctx;
};

struct scan_summary {
	bool complete; /* every probe final (not stopped early) */
	uint64_t elapsed_ns;
	struct sched_stats sched;
	uint64_t self_connects; /* opens rejected as self-connections */
	uint64_t errors; /* probes that ended in ENGINE_ERROR */
	bool has_syn; /* a SYN scan: syn holds the engine's counters */
	struct synengine_stats syn;
	struct engine_stats conn; /* -sT: late answers */
};

/*
 * Run the scan.  0 when the loop ended normally (finished or stopped);
 * -errno when the engine or scheduler could not be set up or the engine
 * failed (see engine_new and synengine_new for the codes).
 */
int scan_run(const struct scan_config *cfg, const struct targets *targets,
	     const struct portlist *ports, struct store *store,
	     const struct scan_hooks *hooks, volatile sig_atomic_t *stop,
	     struct scan_summary *sum);

/*
 * Before resuming: call hooks->result for every probe the checkpoint holds
 * as final (issued and not pending), so streaming outputs written anew
 * hold every row.  Probes without an answer are reported filtered.
 * -ENOMEM.
 */
int scan_replay(const struct scan_config *cfg, const struct targets *targets,
		const struct portlist *ports, const struct store *store,
		const struct scan_hooks *hooks);

/*
 * Call fn for every probe in the exact order scan_run would first send
 * them (this shard), without sending anything (--dry-run).
 */
void scan_dry_run(const struct scan_config *cfg, const struct targets *targets,
		  const struct portlist *ports,
		  void (*fn)(void *ctx, const struct rs_addr *a, uint16_t port,
			     enum rs_proto proto),
		  void *ctx);

#endif
