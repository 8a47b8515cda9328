/*
 * scheduler.h - what to send next: new probes, retries, pacing, timeouts.
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
/* how long after the event that made its silence unclean a retry waits in
 * a kind-limited scan's last second (sched_timed_out) */
#define SCHED_CLEARS_SLACK_NS 1000000ULL
#define SCHED_DEFER_NS 20000000ULL /* retry delay after a local failure */
#define SCHED_MIN_WINDOW 16 /* in-flight window never shrinks below */
#define SCHED_ENDING_NS 1000000000ULL /* the scan's last second: cc_ending */
#define SCHED_HOST_RTT_SAMPLES 8 /* a host's own RTO from this many samples */
/* the answers' frontier (sched_answer_sent): how far past an attempt's
 * hand-out it must be before that attempt's silence is one, how recent its
 * last answer, and how long after its hand-out the frontier holds a retry */
#define SCHED_FRONT_SLACK_NS 10000000ULL
#define SCHED_FRONT_FRESH_NS 100000000ULL
#define SCHED_FRONT_MAX_NS 4000000000ULL
/* -sT: when a connect's kernel sends its SYN again (Linux's initial RTO),
 * the hand-out a retry's frontier test is taken from once it has gone */
#define SCHED_CONNECT_RESEND_NS 1000000000ULL
/* a target's TCP sends its SYN-ACK again after this (answer_rtt) */
#define SCHED_ANSWER_RESEND_NS 1000000000ULL

/*
 * Congestion control (cc = true; see cc.h): a controller for the whole
 * scan and one per target host with probes in flight or queued (a table
 * of SCHED_HOSTS entries; a probe of a host that finds it full waits).  A
 * probe goes out only when both grant a token; one that finds its host
 * out of tokens is parked in the retry heap until that host's next token,
 * so a slow host never holds up the others.  A silent attempt counts
 * against the probe's retry limit only if it was sent and timed out while
 * both scopes were clean (no congestion event, not probing for capacity):
 * the probe is filtered after retries + 1 clean silent attempts (for TCP,
 * when retries was not asked for, as few as 2 once the scan's answers
 * show its drops: scheduler.c, evidence_base), or once
 * its host has shown that late tries get answered, after one more clean
 * try than the latest attempt that got an answer (nmap's rule), or, for
 * a TCP probe of a host that answered, after as many clean silences as
 * make the probes left expect under 0.001 wrong answers at
 * the drop chance its answers show - and never after more than
 * max_retries + 1 attempts in all (twice that when the drop chance asks
 * more clean silences than the probe had; for TCP, at least one more than
 * the latest attempt any probe was answered at, up to the same twice).
 * Which hosts answered is
 * remembered for SCHED_ANSWERED host numbers, direct-mapped, past their
 * table entries.  With cc = false the
 * scan runs at the fixed --rate with exactly retries + 1 attempts, as
 * masscan and zmap do.
 */
/*
 * UDP and the ICMP budget.  Linux sends about one port unreachable per
 * second per peer after a burst of six, so past the burst a closed UDP
 * port is as silent as a filtered one, and at one probe per second a
 * round-based share test has nothing to judge.  nmap's evidence is used
 * instead: an answer to a retry proves that the earlier silence of that
 * port was the host's limit, not a filter - if that silence was of an
 * attempt sent at the host's present pace.  Per host, once at least
 * SCHED_LIMIT_DROPS such answers have come, and they are more than
 * 1/SCHED_LIMIT_RATIO of the host's UDP answers since the last cut (a
 * random loss of p makes them about p of the answers), the host is paced
 * at the rate all its answers came back at over that time
 * (cc_cap), and the silences of every attempt sent before the cut stop
 * counting against their retry limits: they were sent too fast to prove
 * anything.  A cut needs SCHED_LIMIT_WINDOW_NS of answers behind it, so
 * the rate it measures is not a burst's.  And a UDP retry waits
 * SCHED_UDP_RETRY_NS, as nmap's rate-limit detection waits a second, so
 * that a port's attempts cannot all be spent before the first cut.
 */
#define SCHED_LIMIT_DROPS 2
#define SCHED_LIMIT_RATIO 10
#define SCHED_LIMIT_WINDOW_NS 1000000000ULL
#define SCHED_LIMIT_OVER 0.5 /* answers below this share of the pace: over */
#define SCHED_LIMIT_STEP 0.85 /* else the cut is a step */
#define SCHED_UDP_RETRY_NS 1000000000ULL
#define SCHED_HOSTS 16384 /* host table entries (a power of two) */
#define SCHED_ANSWERED 65536 /* hosts remembered as having answered */
#define SCHED_PARK_MAX 16 /* probes parked per sched_next call */
#define SCHED_HOST_FEW 4 /* a host's last TCP retries skip its pace */

struct sched_config {
	uint64_t nprobes; /* size of the whole (host, port) space */
	uint64_t nports; /* probe / nports = host index (cc) */
	uint64_t nudp; /* port indices >= nports - nudp are UDP (cc) */
	uint64_t seed;
	bool sequential; /* -r: probes in numeric order, not permuted */
	uint64_t rate; /* attempts per second at most, 0 = unlimited */
	uint64_t min_rate; /* cc: never paced below (0 = none) */
	uint32_t max_inflight; /* engine slots */
	uint32_t retries; /* extra attempts after the first */
	/* cc, TCP: retries is only the base until the scan's answers show
	 * its drops (--retries not given; scheduler.c, evidence_base) */
	bool retries_auto;
	uint32_t max_retries; /* cc: extra attempts in all, at most */
	uint64_t timeout_ns; /* per attempt; 0 = adaptive */
	uint64_t rto_init_ns; /* adaptive: before any sample (0 = default) */
	uint64_t rto_min_ns; /* adaptive bounds (0 = defaults) */
	uint64_t rto_max_ns;
	uint64_t scan_delay_ns; /* cc: per host, at least this apart */
	uint64_t max_scan_delay_ns; /* cc: per host, at most this apart */
	uint32_t shard_index; /* 0-based */
	uint32_t shard_count; /* >= 1 */
	bool cc; /* congestion control on */
	/* TCP probes are connects (-sT), whose kernel sends a SYN again after
	 * a second: listening longer is a second chance (see
	 * sched_probe_linger_ns) */
	bool tcp_connect;
};

/* Sent while the host's (or the whole scan's) controller was starting,
 * probing for capacity or just after a congestion event. */
#define SCHED_F_DIRTY_HOST 1
#define SCHED_F_DIRTY_GROUP 2
/* The previous attempt was sent after the host's answer-limit cut number
 * SCHED_F_CUT (mod 16) and before the next: kept across the retry. */
#define SCHED_F_PREV_PACED 4
/* Sent before the whole scan had any answer (see sched_timed_out). */
#define SCHED_F_BLIND 8
#define SCHED_F_CUT_SHIFT 4
#define SCHED_F_KEEP 0xf4 /* what a retry's send keeps */

struct sched_probe {
	uint64_t probe; /* host * nports + port_index */
	uint32_t attempt; /* 0 = first */
	uint16_t clean; /* silent attempts that count (cc) */
	uint8_t flags; /* SCHED_F_* of this attempt */
	uint8_t backoff; /* silences while the whole scan was congested */
	uint32_t ground, hround; /* cc rounds it was sent in (group, host) */
	/* sched_probe_timeout_ns when it was sent, in us (0 = unknown):
	 * the caller that sends it stamps it */
	uint32_t tmo_us;
	/* when it was handed out, in us of the scheduler's clock mod 2^32
	 * (read only while the attempt is out: seconds, not an hour) */
	uint32_t sent_us;
};

/* A pacing change worth telling the user about (-v). */
struct sched_event {
	bool group; /* the whole scan, not one host */
	uint64_t host; /* host index */
	double rate; /* new pacing rate, probes/s */
	double answers; /* measured answer rate, answers/s */
	int reason; /* enum cc_reason */
};

struct sched_stats {
	uint64_t total; /* probes in this shard */
	uint64_t issued; /* new probes handed out (cursor progress) */
	uint64_t attempts; /* every attempt handed out, retries included */
	uint64_t retries; /* attempts with attempt > 0 */
	uint64_t deferred; /* local failures put back */
	uint64_t finished; /* probes with a final result */
	uint64_t spurious; /* retries sent whose predecessor was answered late */
	/* retries not sent: the predecessor's answer came first (not in
	 * attempts or retries) */
	uint64_t withdrawn;
	uint64_t cc_events; /* congestion events, all scopes */
	uint32_t inflight;
	uint32_t queued; /* waiting in the retry heap */
	uint32_t window; /* current in-flight limit */
	uint32_t hosts; /* hosts with probes in flight or queued */
	double rate; /* current pacing rate of the whole scan */
};

struct sched;

/* -EINVAL for a bad config (zero slots, shard out of range), -ENOMEM. */
int sched_new(struct sched **out, const struct sched_config *cfg);
void sched_free(struct sched *s);

/* Hand out up to max probes that may be sent now; returns the count. */
uint32_t sched_next(struct sched *s, uint64_t now_ns, struct sched_probe *out,
		    uint32_t max);

/*
 * An answer came, now_ns or before, to an attempt sent at sent_ns (its
 * engine_result.sent_ns; 0: unknown, ignored).  The latest such send is
 * the answers' frontier: with cc, a retry waits until an attempt sent
 * after its predecessor has been answered (sched_timed_out).  Call it
 * with every answer, before the sched_answered, sched_refused or
 * sched_withdrawn of that answer.
 */
void sched_answer_sent(struct sched *s, uint64_t sent_ns, uint64_t now_ns);

/*
 * An answer to p->probe came delay_ns after its first send, with no RTT
 * sample (engine_result.delay_ns: it may be to a later copy of the
 * send): with cc, a sample for the delay signal of p's host and of the
 * scan (cc_delay), whatever becomes of the answer.
 */
void sched_delay(struct sched *s, const struct sched_probe *p,
		 uint64_t delay_ns, uint64_t now_ns);

/*
 * An answer to p->probe made the scan send `frames` more on the path it
 * came by (an open port's RST, or -sT's ACK and RSTs): with cc, counted
 * for p's host and the scan (cc_extra), whatever becomes of the answer.
 */
void sched_extra(struct sched *s, const struct sched_probe *p, uint32_t frames);

/*
 * A late answer came (engine_result.early) to an attempt of p->probe that
 * had timed out.  If its retry is waiting here - not handed out - the
 * probe is finished by it now: the retry is taken back (counted
 * withdrawn), the answer counted as sched_refused (refused) or
 * sched_answered would, and true returned: the caller reports the
 * answer.  Else false, and nothing changes: the probe had ended (its last
 * attempt), or its next attempt is out and the engine will report the
 * answer with it.  sent_ns as for sched_answer_sent.
 */
bool sched_early(struct sched *s, const struct sched_probe *p, uint64_t rtt_ns,
		 uint64_t sent_ns, uint64_t now_ns, bool refused);

/*
 * A final answer (open, closed, unreachable); rtt_ns 0 if unknown.  late:
 * the answer came for an earlier attempt of this probe (counted as a
 * spurious retry when p is a retry).
 */
void sched_answered(struct sched *s, const struct sched_probe *p,
		    uint64_t rtt_ns, uint64_t now_ns, bool late);
/*
 * The same for an answer that refuses - a TCP RST: the kind targets
 * rate-limit, which cc paces by apart (cc_refused).
 */
void sched_refused(struct sched *s, const struct sched_probe *p,
		   uint64_t rtt_ns, uint64_t now_ns, bool late);
/*
 * p, a retry handed out by sched_next, was never sent: an earlier
 * attempt's answer came first (rtt_ns: that attempt's, 0 if unknown).
 * The hand-out is undone - no attempt, no retry, its pacing tokens back -
 * and the answer is taken as a late one.
 */
void sched_withdrawn(struct sched *s, const struct sched_probe *p,
		     uint64_t rtt_ns, uint64_t now_ns);

/* Take the oldest pending pacing event; false if none. */
bool sched_event_pop(struct sched *s, struct sched_event *ev);

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
 * The same for a probe about to be sent: with cc, from its host's own RTT
 * samples once it has SCHED_HOST_RTT_SAMPLES of them, else the whole
 * scan's.  *last: no later attempt will follow a
 * silence of this one as things stand (its engine may then wait longer
 * for a late answer before calling it silent).
 */
uint64_t sched_probe_timeout_ns(const struct sched *s,
				const struct sched_probe *p, bool *last);

/*
 * How long an attempt of p sent with timeout tmo_ns (from the call above)
 * should keep listening once it is reported silent, for a late answer:
 * twice the path's own timeout (cc_rto_path_ns, the samples before the
 * floor), at least the floor, at most 2 x tmo_ns.  The last attempt waits
 * the longer of its timeout and this instead, which outlasts its
 * predecessor's listening.  Two timeouts, as before, for UDP probes and
 * until the scan, and the host if its own samples time the probe, have
 * cruised (cc_cruised); for connects (tcp_connect) of a host that has not
 * cruised, two of the timeouts its own samples ask, if longer.  0 with a
 * fixed --timeout (no linger).
 */
uint64_t sched_probe_linger_ns(const struct sched *s,
			       const struct sched_probe *p, uint64_t tmo_ns);

/*
 * Both for a probe about to be sent, with one look-up of its host (the
 * scan's send loop): *tmo_ns, how long the engine waits before reporting
 * it silent, and *linger_ns, how long it keeps listening after that for
 * a late answer, which goes to the probe's next attempt.  The last attempt
 * has none after it: it waits for itself, the longer of its timeout and
 * the linger (so that it outlasts its predecessor's listening), and
 * lingers 0.  Records the timeout in p->tmo_us (timeout_rise_ns).
 */
void sched_probe_waits(const struct sched *s, struct sched_probe *p,
		       uint64_t *tmo_ns, uint64_t *linger_ns);

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
