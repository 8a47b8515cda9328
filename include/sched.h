/*
 * sched.h - what to send next: new probes, retries, pacing, timeouts.
 *
 * The scheduler owns the order and the timing of every attempt; the engine
 * only executes.  Each call to sched_next() hands out probes in this order of
 * preference:
 *   1. retries whose backoff has expired (a min-heap on due time), so a
 *      retry interleaves with new probes instead of waiting for a second
 *      pass at the end;
 *   2. new probes, permute_at(cursor) for the cursor of this shard
 *      (cursor = shard_index, shard_index + shard_count, ...);
 * and only while the rate limiter grants tokens (retries consume tokens too:
 * --rate bounds every SYN we cause) and the in-flight plus queued count stays
 * within bounds, so the retry heap can never overflow.
 *
 * Timeouts: with a fixed timeout_ns every attempt uses it.  With 0 (the
 * default) the per-attempt timeout adapts like TCP's RTO (RFC 6298):
 * srtt + 4 * rttvar from answered probes, clamped to [SCHED_MIN_TIMEOUT_NS,
 * SCHED_MAX_TIMEOUT_NS], starting at SCHED_INIT_TIMEOUT_NS before any
 * sample, and growing by half for each retry of a probe
 * (sched_attempt_timeout_ns).  A timed-out attempt is retried after a
 * backoff that doubles each attempt (SCHED_BACKOFF_BASE_NS << attempt, capped) until `retries` extra
 * attempts are spent; then the probe is final (filtered, no-response).
 *
 * Local resource failures (EMFILE, ENFILE, ENOBUFS, EADDRNOTAVAIL) are not
 * answers: sched_deferred() puts the probe back with the same attempt number
 * and shrinks the in-flight window multiplicatively; answers grow it back
 * additively to max_inflight.  A scan therefore slows down under pressure and
 * never loses a probe.
 *
 * Single-threaded; time is passed in (nanoseconds, CLOCK_MONOTONIC).  The
 * heap is allocated once in sched_new; the hot path allocates nothing.
 */
#ifndef RINGSCAN_SCHED_H
#define RINGSCAN_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#define SCHED_INIT_TIMEOUT_NS 1000000000ULL /* before any RTT sample */
#define SCHED_MIN_TIMEOUT_NS 100000000ULL /* floor for adaptive timeouts */
#define SCHED_MAX_TIMEOUT_NS 1000000000ULL /* ceiling for adaptive ones */
#define SCHED_BACKOFF_BASE_NS 10000000ULL /* first retry waits 20 ms */
#define SCHED_BACKOFF_MAX_NS 500000000ULL
#define SCHED_DEFER_NS 20000000ULL /* retry delay after a local failure */
#define SCHED_MIN_WINDOW 16 /* in-flight window never shrinks below */

struct sched_config {
	uint64_t nprobes; /* size of the whole (host, port) space */
	uint64_t seed;
	uint64_t rate; /* new attempts per second, 0 = unlimited */
	uint32_t max_inflight; /* engine slots */
	uint32_t retries; /* extra attempts after the first */
	uint64_t timeout_ns; /* per attempt; 0 = adaptive */
	uint32_t shard_index; /* 0-based */
	uint32_t shard_count; /* >= 1 */
};

struct sched_probe {
	uint64_t probe; /* host * nports + port_index */
	uint32_t attempt; /* 0 = first */
};

struct sched_stats {
	uint64_t total; /* probes in this shard */
	uint64_t issued; /* new probes handed out (cursor progress) */
	uint64_t attempts; /* every attempt handed out, retries included */
	uint64_t retries; /* attempts with attempt > 0 */
	uint64_t deferred; /* local failures put back */
	uint64_t finished; /* probes with a final result */
	uint32_t inflight;
	uint32_t queued; /* waiting in the retry heap */
	uint32_t window; /* current in-flight limit */
};

struct sched;

/* -EINVAL for a bad config (zero slots, shard out of range), -ENOMEM. */
int sched_new(struct sched **out, const struct sched_config *cfg);
void sched_free(struct sched *s);

/* Hand out up to max probes that may be sent now; returns the count. */
uint32_t sched_next(struct sched *s, uint64_t now_ns, struct sched_probe *out,
		    uint32_t max);

/* A final answer (open, closed, unreachable); rtt_ns 0 if unknown. */
void sched_answered(struct sched *s, const struct sched_probe *p,
		    uint64_t rtt_ns);

/*
 * The attempt timed out.  true: requeued for another attempt; false: no
 * attempts left, the probe is final (filtered).
 */
bool sched_timed_out(struct sched *s, const struct sched_probe *p,
		     uint64_t now_ns);

/* A local resource failure: put back (same attempt), shrink the window. */
void sched_deferred(struct sched *s, const struct sched_probe *p,
		    uint64_t now_ns);

/* Timeout to give a first attempt sent now. */
uint64_t sched_timeout_ns(const struct sched *s);

/*
 * Timeout for attempt number `attempt` (0 = first).  Adaptive timeouts grow
 * by half for each retry (capped at SCHED_MAX_TIMEOUT_NS), the way TCP
 * backs off its RTO but gentler, so the tail of a scan stays short; a
 * fixed --timeout is used as given for every attempt.
 */
uint64_t sched_attempt_timeout_ns(const struct sched *s, uint32_t attempt);

/*
 * Nanoseconds until sched_next could hand something out (0 = now);
 * UINT64_MAX when only in-flight completions can make progress.
 */
uint64_t sched_wake_ns(const struct sched *s, uint64_t now_ns);

/* Every probe of the shard issued and final. */
bool sched_finished(const struct sched *s);

void sched_get_stats(const struct sched *s, struct sched_stats *st);

/*
 * Checkpoints.  sched_queued copies the probes waiting in the retry heap
 * (at most max) and returns how many; with stats.issued and the engine's
 * in-flight probes that is the whole position of a scan.
 */
uint32_t sched_queued(const struct sched *s, struct sched_probe *out,
		      uint32_t max);

/*
 * Resume right after sched_new: the first `issued` new probes of this
 * shard are done except the n pending ones, which are queued due now with
 * their attempt numbers.  -EINVAL if the numbers cannot fit this scan.
 */
int sched_restore(struct sched *s, uint64_t issued,
		  const struct sched_probe *pending, uint32_t n);

#endif
