/*
 * cc.h - congestion control for one scope of a scan: the whole scan (the
 * "group") or one target host.
 *
 * A port scan is not a TCP flow: most probes get exactly one small answer,
 * many get none at all (filtered ports, hosts that are down), and what
 * limits it is a link's capacity in frames per second or a host that
 * rate-limits its answers (RSTs, ICMP).  Loss alone is a poor signal: a
 * filtered port is silent by design, and 1 % random loss on a long path
 * would hold a loss-driven AIMD window near nothing (TCP Reno's rate goes
 * as 1/(RTT sqrt p)).  So the controller paces by rate, and learns the
 * rate from what the path did with the probes it was given, in the spirit
 * of BBR.
 *
 * Time is cut into rounds, each about one smoothed RTT (at least
 * CC_ROUND_MIN_NS and CC_ROUND_PROBES sends, at most CC_ROUND_MAX_NS).
 * Every attempt is stamped with the round it was sent in (cc_sent returns
 * it) and its outcome is tallied there, so a round's answered share is
 * that of its own probes whatever the rate did since - silences come back
 * one timeout (RTO) after the send, answers one RTT after, and counting
 * them by arrival would make a growing scan look clean and a steady one
 * look lossy.  A round is judged once all its probes are resolved (or two
 * RTOs after it ended):
 *
 *   drops    its answered share - of the probes the caller says count,
 *            first attempts, and for one host only once it has answered
 *            something (a host that is down says nothing about the path)
 *            - is clearly below the clean share
 *            (the maximum over recent judged rounds), by three binomial
 *            standard deviations plus CC_SILENCE_TOL for the random loss
 *            of long paths;
 *   good     otherwise, if it sent at its pace and saw no delay: its send
 *            rate is a rate the path carried.  The largest of the last
 *            CC_GOOD_ROUNDS good rates is the estimate the scan cruises at.
 *
 * The delay signal needs no wait: a round (by time) whose smallest RTT,
 * over at least CC_DELAY_SAMPLES samples, is above CC_DELAY_FACTOR times
 * the path's minimum plus CC_DELAY_SLACK_NS shows a queue building, before
 * anything is dropped.  Where a round is too slow - STARTUP, whose rounds
 * grow with the queue it fills, and a DRAIN whose cut was too short, seen
 * by probes sent since the cut - CC_DELAY_RUN samples in a row over the
 * line end the round at once.  A
 * DRAIN after a delay event lasts while those probes see the queue
 * shrink; it is no new event each round.
 *
 * Drops or delay make a congestion event: good rates at or above the
 * failing round's are struck (for delay, the round whose answers showed
 * the queue if the one open when they came went faster, as startup's
 * doubling does, or at the limit test's half pace), the answer rate measured
 * at that moment (as a send rate: answers per second over the clean
 * answered share of all probes, less the frames the scan adds for its
 * answers - cc_extra) becomes an estimate if it is the best left, and one
 * DRAIN round at 3/4 of the estimate empties what queue was built.  A
 * pace lowered for a moment (DRAIN, the limit test's half pace) is no
 * ceiling for the next event's estimate.  Rounds sent before
 * the event that are judged after it strike their rates but cause no new
 * cut.  Modes: STARTUP doubles the rate once per RTT (at most
 * CC_STARTUP_CAP times the answer-rate estimate, but never below one probe
 * per RTO nor below the best good rate) until an event or until answers
 * stop growing (3 rounds without +25 %); CRUISE paces at the estimate,
 * with one PROBE round at CC_PROBE_GAIN every CC_PROBE_EVERY rounds to
 * find capacity.
 *
 * Startup doubles only while rounds two RTTs old, counting what is still
 * out as silent, show no excess silence: silences are judged an RTO late,
 * and on a short path startup would otherwise send a whole scan before
 * the first judgement.  Rounds made mostly of retries cannot be judged by
 * the first attempts' share; for them the limit test sends at half the
 * actual rate (PROBE_DOWN) and compares the answered share of all
 * attempts with what its own mix of first attempts and retries would
 * draw at the full-pace rounds' shares: level below a limit, doubled
 * above one.  A limit is an event (CC_LIMIT) that paces at the answers'
 * rate; no limit vouches for the scope and lets it go 25 % faster.  A
 * test that has too few half-pace attempts when its last half-pace round
 * is judged says neither, and the next one pools with it.
 *
 * Events also say when silence can be trusted: a probe silent while its
 * scope had an event in the last two RTOs, or before a round sent after
 * that event was judged free of drops, is not counted against its retry
 * limit (cc_clean), because its silence may be a drop and not a filter.
 * An event never raises the pace.
 *
 * Kind limits.  Targets rate-limit their refusals (RSTs: FreeBSD answers
 * 200 a second, firewalls police them), not their other answers, and a
 * scan's mix of attempts changes what one refusal costs: nearly every
 * retry of a scan's first congested seconds is a closed port's, about
 * two in five first attempts of a /20 scanned five ports a host are.  A
 * pace measured on the one is then wrong for the other - the retries'
 * 2,000/s held a /20 whose RSTs were policed at 2,000/s for a second
 * below the 5,000/s its first attempts could go at, while probe rounds
 * found it again.  So the caller says which answers are refusals
 * (cc_refused) and which sends first attempts (cc_sent_first).  When the
 * probes answered only after a silent attempt are all refusals - a
 * bottleneck or random loss would have dropped the other answers in
 * their share too - the scope is kind-limited: each event notes the
 * refusals' arrival rate (kept: the mean of the last CC_LREF_EVENTS),
 * and the scope cruises at no less than CC_KIND_GAIN of it over
 * the refusals one attempt of the current mix draws (cruise_rate).  A
 * kind limit that a limit test has found is not tested again: the
 * refusals' rate is measured at every event, and the test's half pace
 * and its verdict (the retries' rate of the moment) only held first
 * attempts under it.
 *
 * Each scope keeps its RTT estimate (RFC 6298) for the probe timeout and
 * the minimum RTT for the delay signal.  Fixed-size, no allocation, no
 * syscalls, no output; time is passed in, so the unit tests drive it with
 * simulated clocks and scripted answers.
 */
#ifndef RINGSCAN_CC_H
#define RINGSCAN_CC_H

#include <stdbool.h>
#include <stdint.h>

#define CC_ROUND_MIN_NS 5000000ULL /* a round lasts at least 5 ms */
#define CC_ROUND_MAX_NS 500000000ULL /* and at most 500 ms */
#define CC_ROUND_PROBES 64 /* and covers at least this many sends */
#define CC_ROUNDS 32 /* rounds kept for judging (a power of two) */
#define CC_BW_ROUNDS 8
#define CC_SHARE_ROUNDS 16
#define CC_GOOD_ROUNDS 16
#define CC_PROBE_EVERY 6
#define CC_PROBE_GAIN 1.15
#define CC_STARTUP_CAP 2.0
#define CC_DELAY_FACTOR 1.25
#define CC_ENDING_GAIN 0.9
#define CC_DELAY_SLACK_NS 5000000ULL
#define CC_DELAY_RUN 8 /* startup: samples in a row that show a queue */
#define CC_DELAY_SAMPLES 8 /* a round's minimum RTT needs this many */
#define CC_LREF_EVENTS 4 /* refusals' rates kept (kind limits) */
#define CC_KIND_GAIN 0.9 /* of the refusals' rate a kind limit passed */
#define CC_KIND_FILL 0.95 /* of it, what the refusals of a kind pace fill */
#define CC_MINRTT_WINDOW_NS 10000000000ULL /* min_rtt forgets after 10 s */

enum cc_mode {
	CC_STARTUP,
	CC_DRAIN,
	CC_CRUISE,
	CC_PROBE,
	CC_PROBE_DOWN, /* the limit test's round at half pace */
};

/* Why the last congestion event happened (for -v). */
enum cc_reason {
	CC_NONE,
	CC_DELAY, /* round trip rose above the path's minimum */
	CC_SILENCE, /* a round's answered share fell: drops */
	CC_PLATEAU, /* startup: answers stopped growing (no event) */
	CC_LIMIT, /* answers held level when the pace halved: a limit */
	CC_RETRIES, /* retries got answers the pace had gone without (cc_cap) */
};

struct cc_params {
	double init_rate; /* probes/s at start */
	double min_rate; /* floor: never paced below (0 = 1/s) */
	double max_rate; /* ceiling: never above (0 = none) */
	uint64_t rto_init_ns; /* probe timeout before any RTT sample */
	uint64_t rto_min_ns; /* and its bounds once there are samples */
	uint64_t rto_max_ns;
};

/* One round's probes and what became of them. */
struct cc_round {
	uint64_t start_ns, end_ns; /* end 0 while the round is open */
	uint32_t seq;
	uint32_t sent, ans, silent;
	uint32_t ans_s, suspect; /* what the share counts (see cc_answered) */
	uint32_t ref; /* refusals among ans (cc_refused) */
	uint32_t ref_in; /* refusals that arrived while it was open */
	uint32_t sent_first; /* first attempts among sent (cc_sent_first) */
	float rate; /* pacing rate while it was sent */
	uint8_t mode; /* enum cc_mode when it began */
	bool delay; /* its time saw the delay signal */
	bool queued; /* sent in a DRAIN after a delay event (see judge) */
	uint32_t extra; /* frames the scan added while it was open (cc_extra) */
};

struct cc {
	struct cc_params p;
	enum cc_mode mode;
	double rate; /* current pacing rate, probes/s */
	double tokens; /* token bucket, in probes */
	uint64_t tok_ns; /* when tokens were last accrued */
	uint64_t start_ns;

	/* rounds: seq is the open one, judge_seq the oldest not judged */
	struct cc_round r[CC_ROUNDS];
	uint32_t seq, judge_seq;
	uint32_t t_ans; /* answers arrived during the open round */
	uint64_t t_rtt_min_ns; /* smallest RTT arrived during it */
	uint32_t t_rtt_n; /* and how many RTT samples did */
	uint32_t prev_ans; /* answers arrived during the one before */
	uint64_t prev_dur_ns;
	uint32_t mode_rounds;

	/* estimates */
	double bw[CC_BW_ROUNDS]; /* answers/s, two-round samples */
	double share[CC_SHARE_ROUNDS]; /* answered / (answered + suspect) */
	double eff[CC_SHARE_ROUNDS]; /* answered / (answered + silent) */
	uint32_t bw_n, share_n, eff_n; /* entries written (ring positions) */
	uint32_t pool_ans, pool_n; /* first attempts toward the next share */
	double ref_rate; /* refusals arriving per second, two rounds */
	uint32_t t_ref, prev_ref; /* refusals arrived this round, the last */
	uint32_t prev_sent; /* sends of the last round */
	double fill; /* the pace that fills a kind limit (cc.c, kind_fill) */
	double l_ref[CC_LREF_EVENTS]; /* refusals/s events measured */
	uint32_t l_ref_n;
	uint32_t lt_limits; /* limit tests that found a limit */
	double first_share; /* first attempts / sent, the last full round */
	double good[CC_GOOD_ROUNDS];
	uint32_t good_n, good_next;
	double full_bw; /* startup plateau detection */
	uint32_t full_bw_rounds;

	/* round trip */
	uint32_t rtt_n; /* samples taken (saturates; 0: none yet) */
	uint64_t srtt_ns, rttvar_ns;
	uint64_t min_rtt_ns, min_rtt_stamp_ns;
	uint64_t min_rtt_next_ns; /* candidate for the next window */
	/* samples in a row above the delay line (STARTUP) or above the
	 * drain's mark (DRAIN after CC_DELAY), since when */
	uint32_t hi_run;
	uint64_t hi_since_ns;
	uint64_t drain_mark_ns; /* the first RTT of a probe sent since */
	/* DRAIN after CC_DELAY: the least RTT of probes sent since the
	 * event, in the open round and in the rounds before it */
	uint64_t t_post_min_ns, drain_rtt_ns;
	/* the send rounds whose answers (with an RTT sample) came during
	 * the open round, oldest and newest, and during the one before; at
	 * a round's close, those of the answer-rate sample just taken */
	uint32_t t_seen_lo, t_seen_hi, prev_seen_lo, prev_seen_hi;
	uint32_t seen_lo, seen_hi;
	bool t_seen, prev_seen, seen;
	/* frames the scan added (cc_extra) during the last closed round,
	 * and per answer over it and the one before (the answer-rate
	 * sample's window) */
	uint32_t prev_extra;
	double extra_per_ans;

	/* the limit test: cruise rounds against half-pace ones */
	bool retry_heavy; /* the last judged round was mostly retries */
	bool lt_pending; /* a half-pace round is out or not yet judged */
	uint32_t lt_down_sent; /* sent in the half-pace rounds so far */
	uint64_t lt_base_sent, lt_base_ans, lt_base_ns;
	uint64_t lt_down_sent_j, lt_down_ans, lt_down_ns; /* judged */
	uint64_t lt_need; /* judged half-pace attempts the verdict waits for */
	/* the pending test's last half-pace round, once the half pace ended
	 * (lt_pending outside CC_PROBE_DOWN) */
	uint32_t lt_down_end;
	uint64_t lt_base_first, lt_down_first; /* first attempts among them */
	uint64_t lt_base_ref; /* refusals among the cruise rounds' answers */
	uint64_t lt_base_ans_first, lt_down_ans_first; /* and answered */

	bool held; /* sends held by a scope beneath it: see cc_held */
	double end_rate; /* the pace to end at, 0 before: see cc_ending */

	/* congestion history */
	bool had_event;
	bool vouched; /* a round sent since the last event was judged clean */
	bool cruised; /* has been in CC_CRUISE */
	double hold; /* the pace the last event set: no good rate, no lower */
	double quiet_ref; /* least of every event's answer rate and pace */
	uint64_t last_event_ns;
	enum cc_reason last_reason;
	uint64_t events;

	/* totals */
	uint64_t answered, silent, sent;
	/* first attempts answered or suspect-silent (judged rounds), and
	 * answers to retries */
	uint64_t first_ans, first_silent, later_ans;
	uint64_t finals, finals_silent; /* probes ended, and ended filtered */
	/* probes whose first attempt timed out, and those of them answered */
	uint64_t first_timeouts, recovered;
	/* probes ended with a refusal, and those of them retried first */
	uint64_t finals_ref, recovered_ref;
};

void cc_init(struct cc *c, const struct cc_params *p, uint64_t now_ns);

/* Probes that may be sent now (whole tokens), at most want. */
uint32_t cc_allow(struct cc *c, uint64_t now_ns, uint32_t want);
/* n probes were sent: take their tokens; returns their round. */
uint32_t cc_sent(struct cc *c, uint64_t now_ns, uint32_t n);
/* Of what cc_sent just counted, n were first attempts (not retries). */
void cc_sent_first(struct cc *c, uint32_t n);
/*
 * One of the n was never sent after all (a retry withdrawn because an
 * earlier attempt's answer came first): its round and the scope's counts
 * forget it and its token comes back, so that the rates and shares the
 * controller measures are of probes that went out.
 */
void cc_unsent(struct cc *c, uint32_t round);
/* Nanoseconds until one token is there (0 = now). */
uint64_t cc_wait_ns(const struct cc *c, uint64_t now_ns);

/*
 * An attempt sent in round `round` was answered after rtt_ns (0 =
 * unknown: no RTT sample).  share: it counts in the answered share that
 * drops are judged by (the caller counts first attempts only: their mix
 * of open, closed, filtered and dead is the same all through a permuted
 * scan, whereas retries are mostly of silent ports and would make the
 * end of every scan look lossy).
 */
void cc_answered(struct cc *c, uint64_t now_ns, uint32_t round, uint64_t rtt_ns,
		 bool share);
/*
 * For the answer just given, the scan put `frames` more onto the path:
 * -sS an RST to an open port's SYN-ACK, -sT the kernel's ACK, the RST of
 * our close and the one that answers the listener's FIN.  They share a
 * bottleneck with the probes, but an RTT after them: see frames_adjust
 * in cc.c.
 */
void cc_extra(struct cc *c, uint32_t frames);
/*
 * A delay sample only: an answer whose round trip is ambiguous (Karn), so
 * that it is no RTT sample for the timeout, but the time from the first
 * send to it still says the path held the probe - or lost it - that long.
 * -sT: an answer over the kernel's SYN RTO may be to its second SYN; no
 * sample at all made the delay signal blind to a queue of over a second
 * (engine_result.delay_ns).  Counts in the delay signal's minimums (a
 * round's smallest round trip, the least since an event that a drain
 * watches), never in srtt or the path's minimum, nor in the runs of
 * samples over the line (a lost SYN and its copy answered reads a second
 * over the queue).
 */
void cc_delay(struct cc *c, uint64_t now_ns, uint64_t rtt_ns);
/* cc_answered's round for an answer that no round sent (see cc_unsent). */
#define CC_NO_ROUND UINT32_MAX
/*
 * An attempt timed out with no answer.  suspect: it counts in the share
 * as a silence that may be a drop (else it only lowers the answered share
 * of all probes).
 */
void cc_silent(struct cc *c, uint64_t now_ns, uint32_t round, bool suspect);
/*
 * The answer just passed to cc_answered was a refusal (a TCP RST): the
 * kind of answer targets rate-limit (see kind limits above).  retried:
 * the probe had a silent attempt before (its cc_final says so too).
 */
void cc_refused(struct cc *c, uint32_t round, bool retried);
/* A probe's first attempt timed out (whether or not it is retried). */
void cc_first_timeout(struct cc *c);
/*
 * A probe of this scope ended: answered, or filtered (silent).  retried:
 * its first attempt had timed out (cc_first_timeout was called for it).
 */
void cc_final(struct cc *c, bool silent, bool retried);
/*
 * Pace this scope at rate (never faster than now), measured elsewhere as
 * the rate its answers are limited to (answers_per_s, reported by -v):
 * good rates above it are struck and the scope cruises there, growing
 * only by its probe rounds.  Unlike a congestion event it says nothing
 * about silences (cc_clean is unchanged): the caller that measured the
 * limit knows which silences it explains.
 */
void cc_cap(struct cc *c, uint64_t now_ns, double rate, double answers_per_s);
/*
 * Whether this scope's sends are held below its pace by a scope beneath it
 * that paces at a measured limit (the scan by a host cut with cc_cap).
 * Halving the pace then measures that limit, not this scope's path: no
 * limit test starts, and one under way ends without a verdict.
 */
void cc_held(struct cc *c, bool held);
/*
 * Whether what is left of the work is less than a second of answers (the
 * caller knows; the scan's scope only).  From the first call that says so
 * the scope paces at most CC_ENDING_GAIN times its estimate then, and
 * neither probes for capacity nor starts a limit test (one under way ends
 * without a verdict) until a call says otherwise.  A scan cruising a few
 * per cent over its targets' limit drops that share of every attempt with
 * no event to say so; an event at the end makes the silences of the tail
 * unclean, and a half-pace round at the tail's trickle holds its retries
 * (at 1 probe/s for six simulated seconds once): both made the last
 * seconds of a /20 whose RSTs are policed.
 */
void cc_ending(struct cc *c, bool ending);
/* Close the round and judge rounds if due (the callbacks do it too). */
void cc_tick(struct cc *c, uint64_t now_ns);

/*
 * May a silence seen now be trusted as the port's own (filtered), i.e. has
 * this scope had no congestion event in the last two RTOs?
 */
bool cc_clean(const struct cc *c, uint64_t now_ns);

/*
 * When the last event stops making silences unclean (cc_clean's two RTOs
 * after it); 0 without an event.
 */
uint64_t cc_event_clears_ns(const struct cc *c);

/* Does this scope lose its refusals alone (a target that limits its RSTs)? */
bool cc_kind(const struct cc *c);

/*
 * Was round seq - sent after the last event, two RTOs ago or more - sent
 * far below anything this scope ever had drops at (CC_QUIET_SHARE of the
 * least answer rate or pace any event measured or set)?  Then a silence
 * from it is the port's own, even if no round since the event could
 * vouch for the scope: at the end of a scan only retries of filtered
 * ports are left, no first attempt to judge by, and their silences
 * counted as drops used every attempt, each backing off (a policed /20:
 * 3-5 s of a 7 s scan).  Or, kind-limited, did the refusals arriving
 * around it come at under half the limit (the limiter was idle)?  That
 * alone answers, whenever round seq went out and however recent the
 * event.  sent_ns: when the attempt went out (0: unknown); one sent after
 * the last event counts from then, even if its round began before it.
 */
bool cc_quiet(const struct cc *c, uint32_t seq, uint64_t now_ns,
	      uint64_t sent_ns);
/*
 * Was round seq sent faster than this scope's answers come back, when
 * nearly all of them are refusals (one host's closed ports)?  A target
 * that limits its RSTs answers at its limit however fast it is asked:
 * a round over that rate had some of its refusals dropped, whatever the
 * share test or the limit test said, and its silences prove nothing.
 */
bool cc_over_answers(const struct cc *c, uint32_t seq);
/* Is the scope sending at its rate (so that its pace could cause drops)? */
bool cc_loaded(const struct cc *c);

/* RFC 6298 timeout from this scope's samples, clamped; init if none. */
uint64_t cc_rto_ns(const struct cc *c);
/* The same grown by a quarter `quarters` times before the clamp (a
 * retry's: against a path that stalls for a moment), but not where the
 * samples agree (rttvar at its floor). */
uint64_t cc_rto_grown_ns(const struct cc *c, uint32_t quarters);
/* The same before the clamp: what the samples alone ask (0 if none). */
uint64_t cc_rto_path_ns(const struct cc *c);
/* Has it ever cruised - left startup and drained the queue startup made,
 * at a pace its answers confirmed?  Its RTT samples describe the path. */
bool cc_cruised(const struct cc *c);
bool cc_have_rtt(const struct cc *c);
uint32_t cc_rtt_samples(const struct cc *c);

/* Current estimates (for -v, the progress line and tests). */
double cc_rate(const struct cc *c);
double cc_bw(const struct cc *c);
double cc_eff(const struct cc *c);
/* The largest good send rate, 0 if none yet. */
double cc_good(const struct cc *c);

#endif
