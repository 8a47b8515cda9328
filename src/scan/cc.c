/*
 * cc.c - rate-based congestion control for one scope (see cc.h).
 *
 * Two clocks run here.  Rounds by time (cc_tick closes the open round once
 * it is long enough) carry the fast signals - answers arriving per second,
 * the smallest RTT seen - and move the mode.  Rounds by send (every attempt
 * carries the round it left in) are judged later, when their probes are
 * all resolved, and carry the slow but exact one: what share of those very
 * probes was answered.  Counting in rounds rather than reacting to each
 * answer keeps one slow answer or one lost frame from moving the rate, and
 * makes the decisions the unit tests assert easy to state.
 *
 * Rates are doubles: they are computed a few hundred times a second at
 * most, and the token bucket needs fractions of a probe at low rates (a
 * host answering 3 RSTs a second).
 *
 * Why over 900 lines in one file: every signal here (the share, the delay,
 * the limit test, startup's gate) reads and moves the same round ring and
 * estimates, and each rule is stated against the others; split, each part
 * would need the whole of struct cc and the order of the calls in
 * round_close and judge, which is where the controller's decisions are.
 */
#include <math.h>
#include <string.h>

#include "cc.h"

#define NS_PER_SEC 1e9
#define CC_BURST_NS 5e6 /* the bucket holds 5 ms of tokens */
#define CC_BURST_MIN 2.0
#define CC_STARTUP_GAIN 2.0
#define CC_DRAIN_GAIN 0.75
/* After an event, the answers' rate at a little below what they carried. */
#define CC_EVENT_GAIN 0.95
/* A second silence event at the pace the first set cuts to 0.8 of it. */
#define CC_AGAIN_GAIN 0.8
#define CC_AGAIN_SLACK 1.1
/* One event cuts the pace to no less than this share of the failed rate. */
#define CC_EVENT_FLOOR 0.5
#define CC_QUIET_SHARE 0.25
/* kind_quiet: refusals under this share of the limit, over a window from
 * this long before the probe's round and this long at least. */
#define CC_QUIET_KIND_SHARE 0.5
#define CC_QUIET_KIND_BEFORE_NS 50000000ULL
#define CC_QUIET_KIND_MIN_NS 100000000ULL
#define CC_PLATEAU_GROWTH 1.25
#define CC_PLATEAU_ROUNDS 3
#define CC_JUDGE_MIN 8 /* outcomes a round needs to be judged by share */
#define CC_SILENCE_TOL 0.03
#define CC_SILENCE_VAR_MIN 0.01
#define CC_SILENCE_MIN_EXCESS 4.0
#define CC_RECOVERED_MIN 64
#define CC_RECOVERED_LOSS 0.03
#define CC_RTT_SAMPLE_MAX 60000000000ULL
/* The limit test: half pace, for at least this many sends each side. */
/* A share of the clean maximum pools this many first attempts at least. */
#define CC_SHARE_POOL 128
#define CC_MAX_NOISE_SHARE 0.75 /* see share_clean */
#define CC_LT_GAIN 0.5
#define CC_LT_MIN_SENT 128
#define CC_LT_POOL_MAX 1024 /* half-pace attempts pooled over tests */
#define CC_LT_MIN_ANS 8
#define CC_LT_EVERY 2 /* cruise rounds before a test */
#define CC_LT_MIN_EFF 20 /* and one attempt in this many answered */
#define CC_LT_MANY_ANS 64 /* or this many answers, whatever their share */
#define CC_LT_DOWN_ANS 8 /* half-pace attempts: this many answers' worth */
#define CC_LT_GROW 1.25 /* the step up after a test found no limit */
#define CC_KIND_MIN 32 /* refusals answered after a drop, to tell */
/* Over this share of probes refused, a scope has nothing else to tell
 * by, and its mix no cost to weigh. */
#define CC_KIND_SHARE_MAX 0.95

static double cruise_rate(const struct cc *c);
static double kind_rate(const struct cc *c);
static bool kind_limited(const struct cc *c, double q);
static double refused_share(const struct cc *c);

static double clamp_rate(const struct cc *c, double r)
{
	double lo = c->p.min_rate > 0 ? c->p.min_rate : 1.0;

	if (c->p.max_rate > 0 && r > c->p.max_rate)
		r = c->p.max_rate;
	if (r < lo)
		r = lo;
	return r;
}

static double burst_of(double rate)
{
	double b = rate * CC_BURST_NS / NS_PER_SEC;

	return b < CC_BURST_MIN ? CC_BURST_MIN : b;
}

/* Pace at r: a bucket never holds more than the new pace's burst. */
static void set_rate(struct cc *c, double r)
{
	c->rate = r;
	if (c->tokens > burst_of(c->rate))
		c->tokens = burst_of(c->rate);
}

/* An event measured or set rate r: the least such is cc_quiet's reference. */
static void quiet_note(struct cc *c, double r)
{
	if (r > 0 && (!c->quiet_ref || r < c->quiet_ref))
		c->quiet_ref = r;
}

/*
 * An event measured refusals arriving at r a second: past a limiter, its
 * rate.  kind_rate takes the mean of the last few: one spans two rounds,
 * a few dozen refusals at 200/s, and the largest of four such read 15 %
 * high there - a pace over the limit by that much, whose drops no round
 * showed, and a closed port silent four times running (2 runs of 1,000
 * simulated).
 */
static void lref_note(struct cc *c, double r)
{
	if (r > 0)
		c->l_ref[c->l_ref_n++ % CC_LREF_EVENTS] = r;
}

static double lref_mean(const struct cc *c)
{
	uint32_t n = c->l_ref_n < CC_LREF_EVENTS ? c->l_ref_n : CC_LREF_EVENTS;
	double sum = 0;

	for (uint32_t i = 0; i < n; i++)
		sum += c->l_ref[i];
	return n ? sum / n : 0;
}

static struct cc_round *open_round(struct cc *c)
{
	return &c->r[c->seq % CC_ROUNDS];
}

static void round_begin(struct cc_round *r, uint32_t seq, uint64_t now_ns,
			double rate)
{
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->start_ns = now_ns;
	r->rate = (float)rate;
}

void cc_init(struct cc *c, const struct cc_params *p, uint64_t now_ns)
{
	struct cc_params copy = *p;

	memset(c, 0, sizeof(*c));
	c->p = copy;
	c->rate = clamp_rate(c, p->init_rate > 0 ? p->init_rate : 1000.0);
	c->hold = c->rate;
	c->mode = CC_STARTUP;
	c->tokens = burst_of(c->rate);
	c->tok_ns = now_ns;
	c->start_ns = now_ns;
	round_begin(open_round(c), 0, now_ns, c->rate);
	open_round(c)->mode = (uint8_t)c->mode;
}

static void accrue(struct cc *c, uint64_t now_ns)
{
	double cap = burst_of(c->rate);

	if (now_ns <= c->tok_ns)
		return;
	c->tokens += (double)(now_ns - c->tok_ns) * c->rate / NS_PER_SEC;
	if (c->tokens > cap)
		c->tokens = cap;
	c->tok_ns = now_ns;
}

uint32_t cc_allow(struct cc *c, uint64_t now_ns, uint32_t want)
{
	double t;

	accrue(c, now_ns);
	t = floor(c->tokens);
	if (t <= 0)
		return 0;
	return t < want ? (uint32_t)t : want;
}

void cc_sent_first(struct cc *c, uint32_t n)
{
	open_round(c)->sent_first += n;
}

uint32_t cc_sent(struct cc *c, uint64_t now_ns, uint32_t n)
{
	uint32_t seq;

	cc_tick(c, now_ns);
	seq = c->seq;
	accrue(c, now_ns);
	c->tokens -= n;
	open_round(c)->sent += n;
	c->sent += n;
	if (c->mode == CC_PROBE_DOWN)
		c->lt_down_sent += n;
	return seq;
}

/* The round an attempt was sent in, unless it has been recycled. */
static struct cc_round *round_of(struct cc *c, uint32_t seq)
{
	struct cc_round *r = &c->r[seq % CC_ROUNDS];

	if (seq == CC_NO_ROUND)
		return NULL;
	return r->seq == seq && seq - c->judge_seq < CC_ROUNDS ? r : NULL;
}

void cc_unsent(struct cc *c, uint32_t round)
{
	struct cc_round *r = round_of(c, round);

	if (r && r->sent > r->ans + r->silent)
		r->sent--;
	if (c->sent)
		c->sent--;
	if (round == c->seq && c->mode == CC_PROBE_DOWN && c->lt_down_sent)
		c->lt_down_sent--;
	c->tokens += 1.0;
	if (c->tokens > burst_of(c->rate))
		c->tokens = burst_of(c->rate);
}

uint64_t cc_wait_ns(const struct cc *c, uint64_t now_ns)
{
	double have = c->tokens, need;

	if (now_ns > c->tok_ns)
		have += (double)(now_ns - c->tok_ns) * c->rate / NS_PER_SEC;
	if (have >= 1.0)
		return 0;
	need = (1.0 - have) * NS_PER_SEC / c->rate;
	return (uint64_t)ceil(need);
}

uint64_t cc_rto_path_ns(const struct cc *c)
{
	if (!c->rtt_n)
		return 0;
	/*
	 * rttvar is floored at an eighth of srtt: on a long, steady path it
	 * falls to almost nothing, and then every few ms of queueing or of
	 * scheduling jitter anywhere on the path times out attempts that
	 * were about to be answered (measured at 200 ms RTT: one probe in
	 * seven).  So the timeout is at least 1.5 x srtt.
	 */
	return c->srtt_ns + 4 * (c->rttvar_ns > c->srtt_ns / 8 ?
					 c->rttvar_ns :
					 c->srtt_ns / 8);
}

/*
 * The quarters are of the path's own RTO, before the clamp: where the
 * floor is far above it (a LAN, veth: 0.2 ms against 100 ms) the floor is
 * that margin already, and growing it made each of a filtered port's
 * clean silences 125 and 156 ms instead of 100 - the last port of a /20
 * whose RSTs are policed at 2,000/s, sent as first attempts ran out,
 * ended 0.1-0.2 s after them for nothing.  Nor where the samples agree
 * (rttvar at its floor, an eighth of srtt): the RTO is then 1.5 x srtt,
 * and a late answer still counts (a linger record keeps each attempt,
 * and the last one listens twice the RTO).  Grown, the four clean
 * silences a filtered port needed on a lossy 200-ms path took 300, 375,
 * 469 and 469 ms, and they were the tail of a -sS /20 through 10,000
 * frames/s (medians of six runs: -sS 5.95 -> 5.50 s, -sT 8.22 -> 7.53 s
 * with the scheduler's answer_rtt and SCHED_HOST_FEW).
 */
uint64_t cc_rto_grown_ns(const struct cc *c, uint32_t quarters)
{
	uint64_t rto = c->rtt_n ? cc_rto_path_ns(c) : c->p.rto_init_ns;

	if (c->rtt_n && c->rttvar_ns <= c->srtt_ns / 8)
		quarters = 0;
	for (uint32_t i = 0; i < quarters; i++)
		rto += rto / 4;
	if (!c->rtt_n)
		return rto;
	if (rto < c->p.rto_min_ns)
		rto = c->p.rto_min_ns;
	if (c->p.rto_max_ns && rto > c->p.rto_max_ns)
		rto = c->p.rto_max_ns;
	return rto;
}

uint64_t cc_rto_ns(const struct cc *c)
{
	return cc_rto_grown_ns(c, 0);
}

bool cc_cruised(const struct cc *c)
{
	return c->cruised;
}

bool cc_have_rtt(const struct cc *c)
{
	return c->rtt_n > 0;
}

uint32_t cc_rtt_samples(const struct cc *c)
{
	return c->rtt_n;
}

/* RTTs above this show a queue on the path (see cc.h). */
static double delay_line(const struct cc *c)
{
	return (double)c->min_rtt_ns * CC_DELAY_FACTOR +
	       (double)CC_DELAY_SLACK_NS;
}

/*
 * What the delay signal takes of a sample (see rtt_sample, cc_delay).  An
 * ambiguous one (cc_delay) counts only in the minimums: it may be a lost
 * SYN and the kernel's copy answered, a second over the queue - a burst
 * of tail drops made runs of them, read sample by sample as a queue
 * still growing, and a -sT /20 behind a second of buffer at 40 ms was
 * cut to 120/s in two runs of five.
 */
static void delay_sample(struct cc *c, uint64_t now_ns, uint64_t rtt_ns,
			 bool ambiguous)
{
	double line = 0;

	if (!c->t_rtt_min_ns || rtt_ns < c->t_rtt_min_ns)
		c->t_rtt_min_ns = rtt_ns;
	c->t_rtt_n++;
	if (c->had_event && now_ns - rtt_ns >= c->last_event_ns &&
	    (!c->t_post_min_ns || rtt_ns < c->t_post_min_ns))
		c->t_post_min_ns = rtt_ns;
	if (ambiguous)
		return;
	/*
	 * The delay signal sample by sample, where a round is too slow.  In
	 * startup: a round lasts an srtt, which grows with the very queue
	 * startup is filling, and its smallest RTT is its first, from before
	 * the queue - a scan starting at 10,000/s into a 2,000 frames/s link
	 * with a second of buffer doubled once more on such a round and
	 * filled the whole buffer.  Draining after a delay event: the probes
	 * sent since the cut must see the queue shrink, and if it still
	 * grows past the first of them the cut was short (its floor is half
	 * the failed pace) - a round, as long as the queue, is too late to
	 * tell.  Samples in a row over the line, over more than one reap (a
	 * scanner that stalls reaps a batch of high ones at once), end the
	 * round with the delay signal.
	 */
	if (c->mode == CC_STARTUP && c->min_rtt_ns) {
		line = delay_line(c);
	} else if (c->mode == CC_DRAIN && c->last_reason == CC_DELAY &&
		   now_ns - rtt_ns >= c->last_event_ns) {
		if (!c->drain_mark_ns)
			c->drain_mark_ns = rtt_ns;
		line = (double)(c->drain_mark_ns + CC_DELAY_SLACK_NS);
	}
	if (line > 0 && (double)rtt_ns > line) {
		if (!c->hi_run++)
			c->hi_since_ns = now_ns;
	} else {
		c->hi_run = 0;
	}
}

static void rtt_sample(struct cc *c, uint64_t now_ns, uint64_t rtt_ns)
{
	uint64_t diff;

	if (rtt_ns > CC_RTT_SAMPLE_MAX)
		rtt_ns = CC_RTT_SAMPLE_MAX;
	/* A new minimum is under any line, so the order does not matter. */
	delay_sample(c, now_ns, rtt_ns, false);
	/*
	 * A windowed minimum: the path's propagation delay can grow (a
	 * route change), so the minimum is the smallest of the last
	 * CC_MINRTT_WINDOW_NS, kept as the current value and a candidate
	 * for the next window.
	 */
	if (!c->min_rtt_ns || rtt_ns <= c->min_rtt_ns) {
		c->min_rtt_ns = rtt_ns;
		c->min_rtt_stamp_ns = now_ns;
		c->min_rtt_next_ns = 0;
	} else {
		if (!c->min_rtt_next_ns || rtt_ns < c->min_rtt_next_ns)
			c->min_rtt_next_ns = rtt_ns;
		if (now_ns - c->min_rtt_stamp_ns > CC_MINRTT_WINDOW_NS) {
			c->min_rtt_ns = c->min_rtt_next_ns;
			c->min_rtt_stamp_ns = now_ns;
			c->min_rtt_next_ns = 0;
		}
	}
	if (c->rtt_n < UINT32_MAX)
		c->rtt_n++;
	if (c->rtt_n == 1) {
		c->srtt_ns = rtt_ns;
		c->rttvar_ns = rtt_ns / 2;
		return;
	}
	/* RFC 6298 2.3: rttvar uses the old srtt, so it goes first. */
	diff = c->srtt_ns > rtt_ns ? c->srtt_ns - rtt_ns : rtt_ns - c->srtt_ns;
	c->rttvar_ns = c->rttvar_ns - c->rttvar_ns / 4 + diff / 4;
	c->srtt_ns = c->srtt_ns - c->srtt_ns / 8 + rtt_ns / 8;
}

static void round_close(struct cc *c, uint64_t now_ns);

/* Samples in a row over the line end the round (delay_sample). */
static void delay_check(struct cc *c, uint64_t now_ns)
{
	if (c->hi_run >= CC_DELAY_RUN &&
	    now_ns - c->hi_since_ns >= CC_ROUND_MIN_NS &&
	    now_ns > open_round(c)->start_ns && open_round(c)->sent)
		round_close(c, now_ns);
}

void cc_answered(struct cc *c, uint64_t now_ns, uint32_t round, uint64_t rtt_ns,
		 bool share)
{
	struct cc_round *r = round_of(c, round);

	c->answered++;
	c->t_ans++;
	if (r) {
		r->ans++;
		if (share)
			r->ans_s++;
	}
	if (!share)
		c->later_ans++;
	if (rtt_ns && r && round != c->seq) {
		if (!c->t_seen || (int32_t)(round - c->t_seen_hi) > 0)
			c->t_seen_hi = round;
		if (!c->t_seen || (int32_t)(round - c->t_seen_lo) < 0)
			c->t_seen_lo = round;
		c->t_seen = true;
	}
	if (rtt_ns)
		rtt_sample(c, now_ns, rtt_ns);
	delay_check(c, now_ns);
	cc_tick(c, now_ns);
}

void cc_extra(struct cc *c, uint32_t frames)
{
	open_round(c)->extra += frames;
}

void cc_delay(struct cc *c, uint64_t now_ns, uint64_t rtt_ns)
{
	if (!rtt_ns)
		return;
	if (rtt_ns > CC_RTT_SAMPLE_MAX)
		rtt_ns = CC_RTT_SAMPLE_MAX;
	delay_sample(c, now_ns, rtt_ns, true);
	cc_tick(c, now_ns);
}

void cc_refused(struct cc *c, uint32_t round, bool retried)
{
	struct cc_round *r = round_of(c, round);

	c->t_ref++;
	c->finals_ref++;
	if (retried)
		c->recovered_ref++;
	if (r)
		r->ref++;
}

void cc_silent(struct cc *c, uint64_t now_ns, uint32_t round, bool suspect)
{
	struct cc_round *r = round_of(c, round);

	c->silent++;
	if (r) {
		r->silent++;
		if (suspect)
			r->suspect++;
	}
	cc_tick(c, now_ns);
}

static double ring_max(const double *v, uint32_t n, uint32_t cap)
{
	double m = 0;

	if (n > cap)
		n = cap;
	for (uint32_t i = 0; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

double cc_bw(const struct cc *c)
{
	return ring_max(c->bw, c->bw_n, CC_BW_ROUNDS);
}

double cc_rate(const struct cc *c)
{
	return c->rate;
}

double cc_good(const struct cc *c)
{
	double m = 0;

	for (uint32_t i = 0; i < c->good_n; i++)
		if (c->good[i] > m)
			m = c->good[i];
	return m;
}

/* Probes whose first attempt timed out that have not ended yet. */
static uint64_t silent_out(const struct cc *c)
{
	uint64_t ended = c->recovered + c->finals_silent;

	return c->first_timeouts > ended ? c->first_timeouts - ended : 0;
}

/*
 * Rounds can all be congested - a scan that starts into a full bottleneck,
 * or hosts that answer far below the first rate - and then their best
 * share is no clean value at all.  Retries know better: a first attempt
 * that was silent and a later one of the same probe answered was a drop.
 * So the share of first attempts answered at the first try or later,
 * less a margin for random loss, is a floor for the clean share.  With no
 * drops it equals the first-try share and changes nothing.
 */
static double recovered_floor(const struct cc *c)
{
	/* Judged rounds only: answers come back an RTO before silences,
	 * and running counts would lean high while they do. */
	uint64_t n = c->first_ans + c->first_silent;
	uint64_t later = c->later_ans < c->first_silent ? c->later_ans :
							  c->first_silent;
	double f = 0, g;

	if (n >= CC_RECOVERED_MIN)
		f = (double)(c->first_ans + later) / (double)n -
		    CC_RECOVERED_LOSS;
	/*
	 * Final outcomes say the same with more delay but no noise: a probe
	 * ends filtered only after every retry stayed silent.  But answered
	 * probes end an RTT after they are sent and filtered ones only after
	 * every retry, so the outcomes in so far lean towards "answered":
	 * on a /19 of plain veth whose true share was 0.90 they said 0.97
	 * for as long as a filtered probe lives, every ordinary round read
	 * as drops, and the scan took 281 s instead of 7.  So the probes
	 * still out after a silent first attempt count too: as answered in
	 * the ratio of such probes answered after all to those ended
	 * filtered so far, and all of them once recoveries outnumber
	 * filtered ends - none where nothing is ever dropped, nearly all
	 * behind a policer that answers every probe in the end.  (The
	 * ratio, not the share: recoveries end sooner than filtered
	 * probes, and the share of them among ends still leans low.)
	 */
	if (c->finals >= CC_RECOVERED_MIN) {
		uint64_t out = silent_out(c);
		double back =
			(double)c->recovered / (double)(c->finals_silent + 1);

		if (back > 1.0)
			back = 1.0;

		g = ((double)(c->finals - c->finals_silent) + back * out) /
			    (double)(c->finals + out) -
		    CC_RECOVERED_LOSS;
		if (g > f)
			f = g;
	}
	return f < 1.0 ? f : 1.0;
}

void cc_first_timeout(struct cc *c)
{
	c->first_timeouts++;
}

void cc_final(struct cc *c, bool silent, bool retried)
{
	c->finals++;
	if (silent)
		c->finals_silent++;
	else if (retried)
		c->recovered++;
}

double cc_eff(const struct cc *c)
{
	double e, f = recovered_floor(c);

	/* No evidence yet: assume every probe is answered. */
	if (!c->eff_n)
		return 1.0;
	e = ring_max(c->eff, c->eff_n, CC_SHARE_ROUNDS);
	return f > e ? f : e;
}

/*
 * The expected maximum of n standard normals, n = 1..CC_SHARE_ROUNDS: how
 * far the best of n pooled shares lies above the share they all measure.
 */
static const double max_of_normals[CC_SHARE_ROUNDS + 1] = {
	0,    0,    0.56, 0.85, 1.03, 1.16, 1.27, 1.35, 1.42,
	1.49, 1.54, 1.59, 1.63, 1.67, 1.70, 1.74, 1.77,
};

static double share_clean(const struct cc *c)
{
	double s, f = recovered_floor(c);
	uint32_t n = c->share_n < CC_SHARE_ROUNDS ? c->share_n :
						    CC_SHARE_ROUNDS;

	if (!c->share_n)
		return f > 0 ? f : 1.0;
	s = ring_max(c->share, c->share_n, CC_SHARE_ROUNDS);
	/*
	 * The maximum is the clean share only without noise: of sixteen
	 * pools of 128 first attempts, each a binomial sample, the best
	 * lies 1.8 standard deviations above the truth - 0.95 for a /19
	 * whose true share was 0.90, where one round in fifty then fell
	 * "significantly" below it and was called drops.  Take off three
	 * quarters of what the maximum adds by chance: the rest leans high,
	 * towards seeing drops, the side exactness is on (all of it let a
	 * scan of targets limiting 40 % of their answers cruise where one
	 * probe in nine was lost).
	 */
	s -= CC_MAX_NOISE_SHARE * max_of_normals[n] *
	     sqrt(s * (1 - s) / CC_SHARE_POOL);
	return f > s ? f : s;
}

/* The send rate whose answers fill the measured answer rate. */
static double bw_estimate(const struct cc *c, double bw)
{
	double eff = cc_eff(c);

	if (bw <= 0)
		return c->rate;
	/* A scope that has answered nothing lately gives no estimate. */
	if (eff < 0.01)
		eff = 0.01;
	return bw / eff;
}

/* The frames of ours a probe brings in the long run, beside itself. */
static double frames_per_probe(const struct cc *c)
{
	return c->extra_per_ans * cc_eff(c);
}

/* Probes/s that rate leaves room for, had `extra` frames of ours crossed
 * beside it in dur: what was carried over what a probe brings. */
static double with_own_frames(const struct cc *c, double rate, uint64_t extra,
			      uint64_t dur)
{
	return (rate + (double)extra * NS_PER_SEC / (double)dur) /
	       (1 + frames_per_probe(c));
}

/*
 * What a send rate est measured from answers leaves for probes once the
 * frames the scan adds for its answers (cc_extra) have their share of the
 * path.  The answers of the last sample are to probes that crossed the
 * bottleneck while the send rounds that held them were open, beside the
 * frames added then: together they are what the path carried.  In the
 * long run every probe brings along the frames one of these answers drew
 * times the answered share (the sample's own mix: a policed scan's
 * retries are nearly all closed ports', which draw none, and the whole
 * scan's mix would charge them the open ports' frames).  In a steady
 * state the two agree and est stands.  At startup's end they do not: its
 * first round trip's probes crossed alone (the RSTs follow their
 * answers), and their answer rate read as a send rate is the whole link
 * - a -sS /20 at 10,000 frames/s, 200 ms, which carries ~6,300 probes/s
 * with their RSTs, cruised at 7,000-9,300/s, its drain above the path,
 * the queue standing until drops cut it to 3,000/s.
 */
static double frames_adjust(const struct cc *c, double est)
{
	uint64_t dur = 0, extra = 0;
	uint32_t lo = c->seen_lo;

	if (c->extra_per_ans <= 0 || !c->seen)
		return est;
	/* (a late answer's round may be long gone from the ring) */
	if (c->seq - lo > CC_ROUNDS)
		lo = c->seq - CC_ROUNDS;
	if ((int32_t)(c->seen_hi - lo) < 0)
		return est;
	for (uint32_t seq = lo; seq != c->seen_hi + 1; seq++) {
		const struct cc_round *r = &c->r[seq % CC_ROUNDS];

		if (r->seq != seq || !r->end_ns)
			continue;
		dur += r->end_ns - r->start_ns;
		extra += r->extra;
	}
	if (!dur)
		return est;
	return with_own_frames(c, est, extra, dur);
}

/*
 * The rate a good round r, sent at sent_rate, vouches for once the scan's
 * own frames ride along: what the path carried while it was open - its
 * probes and the frames added then (r->extra) - over the frames a probe
 * brings (frames_adjust's measure), never above sent_rate.  Steady, the
 * two agree and sent_rate stands.  A round of startup's first round trip
 * went out before any answer drew a frame of ours, and read plain it
 * vouched for the whole link: a -sS /20 at 10,000 frames/s behind 50
 * frames, 200 ms, kept a good 10,000/s through its first two silence
 * events (the path carries ~6,300 probes/s with their RSTs), took six
 * events and two seconds to come down, and counted no silence clean
 * until 3.8 s of a 5.7-s scan.
 */
static double good_rate(const struct cc *c, const struct cc_round *r,
			double sent_rate)
{
	uint64_t dur = r->end_ns - r->start_ns;
	double rate;

	if (frames_per_probe(c) <= 0 || !dur)
		return sent_rate;
	rate = with_own_frames(c, sent_rate, r->extra, dur);
	return rate < sent_rate ? rate : sent_rate;
}

/* The best good rate, else what the answers carry. */
static double estimate_raw(const struct cc *c)
{
	double g = cc_good(c);

	return g > 0 ? g : bw_estimate(c, cc_bw(c));
}

/*
 * The rate to cruise at.  Without a good rate the answers' rate is no
 * ceiling: a scan left with nothing but filtered ports' retries (the end
 * of a scan, or a resumed one) answers almost nothing, and cruising at
 * what it carried took such a scan down to 99/s for a minute.  So hold
 * the pace the last event set (or the first one) until a round shows
 * better; only events cut below it.
 */
static double estimate(const struct cc *c)
{
	double g = cc_good(c), b;

	if (g > 0)
		return g;
	/* A limit found by halving is measured, not guessed: keep to it. */
	if (c->last_reason == CC_LIMIT || c->last_reason == CC_RETRIES)
		return c->hold;
	b = bw_estimate(c, cc_bw(c));
	return b > c->hold ? b : c->hold;
}

static void good_add(struct cc *c, double rate)
{
	if (c->good_n < CC_GOOD_ROUNDS) {
		c->good[c->good_n++] = rate;
		return;
	}
	c->good[c->good_next] = rate;
	c->good_next = (c->good_next + 1) % CC_GOOD_ROUNDS;
}

/* Every good rate at or above one that just failed is no longer good. */
static void strike(struct cc *c, double failed)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < c->good_n; i++)
		if (c->good[i] < failed)
			c->good[k++] = c->good[i];
	if (k != c->good_n) {
		c->good_n = k;
		c->good_next = 0;
	}
}

static bool excess_silence(const struct cc *c, uint32_t ans, uint32_t sil)
{
	uint32_t n = ans + sil;
	double e, clean, var, tol;

	if (n < CC_JUDGE_MIN)
		return false;
	e = (double)ans / n;
	clean = share_clean(c);
	var = clean * (1 - clean);
	if (var < CC_SILENCE_VAR_MIN)
		var = CC_SILENCE_VAR_MIN;
	/* Three standard deviations of a binomial share, plus a margin for
	 * the random loss every long path has, and a few probes at least. */
	tol = CC_SILENCE_TOL + 3 * sqrt(var / n);
	return e < clean - tol && (clean - e) * n >= CC_SILENCE_MIN_EXCESS;
}

static void set_mode(struct cc *c, enum cc_mode m)
{
	if (m == CC_CRUISE)
		c->cruised = true;
	c->mode = m;
	c->mode_rounds = 0;
}

static double last_bw(const struct cc *c)
{
	return c->bw_n ? c->bw[(c->bw_n - 1) % CC_BW_ROUNDS] : 0;
}

/* Forget the limit test's counts (an event makes them stale). */
static void limit_reset(struct cc *c)
{
	c->lt_pending = false;
	c->lt_base_sent = c->lt_base_ans = c->lt_base_ns = 0;
	c->lt_down_sent_j = c->lt_down_ans = c->lt_down_ns = 0;
	c->lt_base_first = c->lt_down_first = 0;
	c->lt_base_ref = 0;
	c->lt_base_ans_first = c->lt_down_ans_first = 0;
	c->lt_need = 0;
}

/*
 * A congestion event: rates at or above the failing one are struck; the
 * answers' rate just measured, as a send rate, is an estimate if it beats
 * what is left; one DRAIN round at 3/4 of the estimate follows.
 */
static void congestion(struct cc *c, uint64_t now_ns, enum cc_reason why,
		       double failed)
{
	double bw = last_bw(c), est;
	/*
	 * The pace the last event set failed as well: the answers' rate it
	 * came from overstates the path when answers no limit holds fill it
	 * (open ports' SYN-ACKs past a policer of RSTs), and going back to
	 * it held scans of a policed /20 at twice what the target answered,
	 * an event a second, until closed ports ran out of attempts.  So a
	 * second silence event at that pace cuts below the failed rate.
	 */
	bool again = c->had_event && why == CC_SILENCE &&
		     failed <= c->hold * CC_AGAIN_SLACK;
	/*
	 * The pace an event may not raise: the one in force, not a drain's
	 * or a limit test's lowered for a round.  Capped at those, an event
	 * that the queue of the pace before brought while they ran cut
	 * again from the cut (a /20 at 10,000 frames/s: 7,000 -> 4,200 ->
	 * 3,000/s in 40 ms; a delay event in a half-pace round held the
	 * scan at half the path).
	 */
	double pace = c->rate;

	if (c->mode == CC_DRAIN && c->hold > pace)
		pace = c->hold;
	if (c->mode == CC_PROBE_DOWN && estimate(c) > pace)
		pace = estimate(c);
	strike(c, failed);
	lref_note(c, c->ref_rate);
	/* Rounds sent before it are no base for the limit test. */
	limit_reset(c);
	c->had_event = true;
	c->vouched = false;
	c->last_event_ns = now_ns;
	c->last_reason = why;
	c->events++;
	c->drain_mark_ns = 0;
	if (bw > 0) {
		/* The old maximum described a path now known narrower. */
		c->bw_n = 0;
		c->bw[c->bw_n++ % CC_BW_ROUNDS] = bw;
		/*
		 * What came back is what the path carries; as a send rate,
		 * and never as much as what just failed.  (Answers can
		 * outrun the sends of one round: they are of earlier ones.)
		 */
		est = frames_adjust(c, bw_estimate(c, bw));
		if (est > failed)
			est = failed;
		/*
		 * Nor above the pace now: answers to a burst sent before
		 * an earlier cut can arrive at many times today's rate.
		 */
		if (est > pace)
			est = pace;
		est *= CC_EVENT_GAIN;
		/*
		 * Rounds of retries measure the ports retried, not the path
		 * (a resumed scan left with a silent host's probes answered
		 * 9/s and cruised there): no good rate below the floor.
		 */
		if (c->retry_heavy && est < failed * CC_EVENT_FLOOR)
			est = failed * CC_EVENT_FLOOR;
		if (est > cc_good(c))
			good_add(c, est);
	}
	est = estimate_raw(c);
	if (again && est > failed * CC_AGAIN_GAIN) {
		est = failed * CC_AGAIN_GAIN;
		strike(c, est * 1.0001);
	}
	/*
	 * Nor does one event more than halve it: the answers' rate is the
	 * path's only while first attempts fill it, and a resumed scan whose
	 * rounds were all retries of a silent host took it for the path -
	 * 40/s, then 12/s, until the run timed out.  A path that is that
	 * narrow gets there by a few more events (or the limit test).
	 */
	if (est < failed * CC_EVENT_FLOOR)
		est = failed * CC_EVENT_FLOOR;
	/* An event never speeds the scan up. */
	if (est > pace)
		est = pace;
	c->hold = est;
	quiet_note(c, est);
	quiet_note(c, bw);
	set_rate(c, clamp_rate(c, est * CC_DRAIN_GAIN));
	set_mode(c, CC_DRAIN);
}

/* A half-pace round under way ends without a verdict, back in CRUISE. */
static void limit_abandon(struct cc *c)
{
	limit_reset(c);
	set_mode(c, CC_CRUISE);
}

void cc_ending(struct cc *c, bool ending)
{
	double kind;

	if (!ending) {
		c->end_rate = 0;
		return;
	}
	if (c->end_rate)
		return;
	c->end_rate = estimate(c) * CC_ENDING_GAIN;
	/* A kind limit's pace is measured and under it already. */
	kind = kind_rate(c);
	if (kind > c->end_rate)
		c->end_rate = kind;
	/* A half-pace round comes back up to it; any pace comes down. */
	if (c->mode == CC_PROBE_DOWN) {
		limit_abandon(c);
		set_rate(c, clamp_rate(c, c->end_rate));
	} else if (c->rate > c->end_rate) {
		set_rate(c, clamp_rate(c, c->end_rate));
	}
}

void cc_held(struct cc *c, bool held)
{
	c->held = held;
	if (held && c->mode == CC_PROBE_DOWN) {
		limit_abandon(c);
		c->rate = clamp_rate(c, estimate(c));
	}
}

void cc_cap(struct cc *c, uint64_t now_ns, double rate, double answers_per_s)
{
	rate = clamp_rate(c, rate);
	if (rate > c->rate)
		rate = c->rate;
	strike(c, rate * 1.0001);
	good_add(c, rate);
	limit_reset(c);
	c->bw_n = 0;
	c->bw[c->bw_n++ % CC_BW_ROUNDS] = answers_per_s;
	c->hold = rate;
	quiet_note(c, rate);
	quiet_note(c, answers_per_s);
	set_rate(c, rate);
	c->last_event_ns = now_ns;
	c->last_reason = CC_RETRIES;
	c->events++;
	set_mode(c, CC_CRUISE);
}

static double round_send_rate(const struct cc_round *r)
{
	uint64_t dur = r->end_ns - r->start_ns;

	return dur ? (double)r->sent * NS_PER_SEC / (double)dur : 0;
}

/*
 * The limit test's verdict, once enough of both kinds of round is judged.
 * Below a limit a round's answered share of all its attempts does not
 * depend on the pace; above one the answers stay level whatever is sent,
 * so at half pace the share doubles.  Saturated: the pace halves (an
 * event: silences sent at the old pace are drops); not: the scope may be
 * trusted again (a retry-heavy scope has no other way to vouch).
 */
/*
 * Half-pace attempts a test needs before its verdict: as many as would
 * draw CC_LT_DOWN_ANS answers at the share full pace drew, CC_LT_MIN_SENT
 * at least.  A host that answers 200 RSTs a second to 40,000 probes a
 * second answers one in 200: a test of 128 attempts expects less than
 * one answer and cannot tell a doubled share from noise.
 */
static uint64_t lt_down_need(const struct cc *c)
{
	uint64_t n = CC_LT_MIN_SENT;

	if (c->lt_base_ans &&
	    CC_LT_DOWN_ANS * c->lt_base_sent / c->lt_base_ans > n)
		n = CC_LT_DOWN_ANS * c->lt_base_sent / c->lt_base_ans;
	return n;
}

/*
 * Below any limit at rate rb: the scope is trusted again, and the next
 * rounds may go a step faster - the next test finds out if too far.
 */
static void limit_clear(struct cc *c, double rb)
{
	c->vouched = true;
	good_add(c, c->end_rate ? rb : rb * CC_LT_GROW);
}

/*
 * The share of its attempts the half-pace side would have drawn below any
 * limit: its own mix of first attempts and retries, each answered as at
 * full pace.  First attempts are answered far more often than retries
 * (mostly of filtered ports), and a half-pace side with more of them
 * draws a higher share with no limit at all: 23 % of its attempts first
 * ones against 4 % at full pace doubled the share and read as a limit of
 * 37/s on a simulated /20 whose target answered 200 RSTs/s, and the scan
 * crawled there for minutes.
 */
static double mix_share(const struct cc *c)
{
	uint64_t br, bra;
	double sf, sr, fd;

	if (!c->lt_base_first || c->lt_base_first >= c->lt_base_sent ||
	    c->lt_base_ans_first > c->lt_base_ans ||
	    c->lt_down_first > c->lt_down_sent_j)
		return (double)c->lt_base_ans / (double)c->lt_base_sent;
	br = c->lt_base_sent - c->lt_base_first;
	bra = c->lt_base_ans - c->lt_base_ans_first;
	sf = (double)c->lt_base_ans_first / (double)c->lt_base_first;
	sr = (double)bra / (double)br;
	fd = (double)c->lt_down_first / (double)c->lt_down_sent_j;
	return fd * sf + (1 - fd) * sr;
}

static void limit_verdict(struct cc *c, uint64_t now_ns)
{
	double eb, ed, e0, rb, rd, var, ratio;

	if (c->held || c->lt_base_sent < CC_LT_MIN_SENT || !c->lt_base_ns ||
	    !c->lt_down_ns || c->lt_down_ans + c->lt_base_ans < CC_LT_MIN_ANS)
		goto reset;
	eb = (double)c->lt_base_ans / (double)c->lt_base_sent;
	ed = (double)c->lt_down_ans / (double)c->lt_down_sent_j;
	e0 = mix_share(c);
	rb = (double)c->lt_base_sent * NS_PER_SEC / (double)c->lt_base_ns;
	rd = (double)c->lt_down_sent_j * NS_PER_SEC / (double)c->lt_down_ns;
	ratio = rb / rd;
	/* The two paces must differ enough for the shares to tell. */
	if (ratio < 1.5)
		goto reset;
	/*
	 * Nor may the mix differ: a scan turning from retries to first
	 * attempts raises the share by itself, and read as a limit once
	 * held a scan at 36/s for minutes.
	 */
	if (fabs((double)c->lt_base_first / (double)c->lt_base_sent -
		 (double)c->lt_down_first / (double)c->lt_down_sent_j) > 0.2)
		goto reset;
	var = eb * (1 - eb) *
	      (1.0 / (double)c->lt_base_sent + 1.0 / (double)c->lt_down_sent_j);
	if (var < 1e-6)
		var = 1e-6;
	if (ed > e0 * (1 + 0.4 * (ratio - 1)) && ed - e0 > 3 * sqrt(var)) {
		/*
		 * Over a limit the answers' rate at full pace is the limit:
		 * pace at it (as if every attempt below it were answered -
		 * the cautious end; too low a pace only costs time, and the
		 * next test raises it).  Halving instead took seven tests
		 * to come down from 20,000/s to a target answering 200/s,
		 * and the retries burnt meanwhile.
		 */
		double lim = (double)c->lt_base_ans * NS_PER_SEC /
			     (double)c->lt_base_ns;

		if (lim > rb)
			lim = rb;
		strike(c, lim * 1.01);
		lref_note(c, (double)c->lt_base_ref * NS_PER_SEC /
				     (double)c->lt_base_ns);
		c->had_event = true;
		c->vouched = false;
		c->last_event_ns = now_ns;
		c->last_reason = CC_LIMIT;
		c->events++;
		c->lt_limits++;
		c->hold = clamp_rate(c, lim);
		set_rate(c, c->rate > c->hold ? c->hold : c->rate);
	} else if (ed < e0 * (1 + 0.2 * (ratio - 1))) {
		limit_clear(c, rb);
	} else if (c->lt_down_sent_j <
		   CC_LT_POOL_MAX / CC_LT_MIN_SENT * lt_down_need(c)) {
		/*
		 * Neither: the shares moved, but within the noise - a share
		 * of 7 % that doubled is, over 128 attempts at half pace.
		 * Pool the next test with this one instead of starting
		 * over: fifteen such tests in a row, each too small to
		 * tell, held a simulated /20 at 14 times the 200 RSTs/s its
		 * target answered until closed ports used up their attempts
		 * (1,587 wrong).
		 */
		c->lt_pending = false;
		c->lt_need = c->lt_down_sent_j + lt_down_need(c);
		return;
	}
reset:
	limit_reset(c);
}

/*
 * Worth a test: the scope's rounds are retries (first attempts judge
 * otherwise), enough cruise rounds are counted, and they drew answers -
 * retries of filtered ports alone, the end of most scans, answer nothing
 * at any pace, and halving it would only slow their retries down.  Drew
 * answers: one attempt in 20, or many in all - a host that answers 200
 * RSTs a second, scanned from 10,000/s up, answers one attempt in 200
 * from the first round on, so that no round was ever clean to compare
 * with, and only a test shows that the answers stay level when the pace
 * halves (before, a -sT of 1-65535 paced at 40,000/s for its first
 * seconds and 3,473 of 65,527 closed ports ended filtered).
 */
static bool limit_testable(const struct cc *c)
{
	/*
	 * A kind limit a test has found is known: its refusals' rate is
	 * measured at every event (l_ref) and cc follows the mix
	 * (kind_rate).  Tested again and again as first attempts came
	 * back, a /20 whose RSTs were policed at 2,000/s spent a second at
	 * half of the pace a test had just set, under what the target
	 * passed (simulated: 5.26 s mean against 5.11 s; at 200 RSTs/s
	 * 51.8 s against 47.6 s).  What the tests guarded - a pace a few
	 * per cent over the limit with no event to say so - the drop
	 * chance of refusals alone guards now (scheduler.c, drop_chance).
	 */
	if (c->lt_limits && kind_limited(c, refused_share(c)))
		return false;
	/*
	 * Even when most attempts are answered at full pace: clearing the
	 * scope without a test then (such a share cannot double) let the
	 * pace step up 25 % at a time past a policer's rate, a sawtooth
	 * that lost probes at every peak.
	 */
	return c->retry_heavy && !c->lt_pending && !c->held &&
	       c->lt_base_sent >= CC_LT_MIN_SENT &&
	       c->lt_base_ans >= CC_LT_MIN_ANS &&
	       (c->lt_base_ans * CC_LT_MIN_EFF >= c->lt_base_sent ||
		c->lt_base_ans >= CC_LT_MANY_ANS);
}

/*
 * A judged round's part in the limit test.  Rates here are what was sent,
 * not the pace: a scan held by its in-flight slots sends far below it.
 */
static void limit_count(struct cc *c, const struct cc_round *r, uint64_t now_ns)
{
	uint64_t dur = r->end_ns - r->start_ns;

	if (!dur)
		return;
	if (r->mode == CC_CRUISE && r->start_ns > c->last_event_ns) {
		c->lt_base_sent += r->sent;
		c->lt_base_first += r->ans_s + r->suspect;
		c->lt_base_ans_first += r->ans_s;
		c->lt_base_ans += r->ans;
		c->lt_base_ref += r->ref;
		c->lt_base_ns += dur;
	} else if (r->mode == CC_PROBE_DOWN && c->lt_pending) {
		c->lt_down_sent_j += r->sent;
		c->lt_down_first += r->ans_s + r->suspect;
		c->lt_down_ans_first += r->ans_s;
		c->lt_down_ans += r->ans;
		c->lt_down_ns += dur;
		/*
		 * Or once its last half-pace round is judged: the need
		 * grows with the cruise rounds' attempts per answer, which
		 * go on being counted after the half pace ended, and a test
		 * a few attempts short then waited for rounds that never
		 * came - no verdict and no new test while a simulated /20
		 * sent 16 times what its target answered for seven seconds
		 * and 564 closed ports ended filtered.  Short of the need,
		 * the verdict says "neither" and the next test pools.
		 */
		if ((c->lt_down_sent_j >= lt_down_need(c) &&
		     c->lt_down_sent_j >= c->lt_need) ||
		    (c->mode != CC_PROBE_DOWN &&
		     (int32_t)(r->seq - c->lt_down_end) >= 0))
			limit_verdict(c, now_ns);
	}
}

/*
 * The share of probes that end in a refusal: of those ended, counting the
 * ones still out after a silent first attempt as refusals (the drops a
 * refusal limit makes end last; a filtered port among them only lowers
 * the pace).  0 with too few ended.
 */
static double refused_share(const struct cc *c)
{
	uint64_t out = silent_out(c);

	if (c->finals < CC_RECOVERED_MIN || c->finals_ref > c->finals)
		return 0;
	return (double)(c->finals_ref + out) / (double)(c->finals + out);
}

/*
 * The same for the probes retried: those answered after a silence with a
 * refusal, the ones still out counted as refusals, against those ended
 * filtered too.  Their attempts are most of what a scan sends late, and
 * the filtered ports among them draw no refusal at any pace.  1 with too
 * few to tell.
 */
static double retried_refused_share(const struct cc *c)
{
	uint64_t out = silent_out(c);
	uint64_t n = c->recovered + c->finals_silent + out;

	if (n < CC_RECOVERED_MIN || c->recovered_ref > c->recovered)
		return 1.0;
	return (double)(c->recovered_ref + out) / (double)n;
}

/*
 * Is what the scope loses its refusals alone?  Probes answered only after
 * a silent attempt were dropped once: a bottleneck or random loss drops
 * every kind alike, and those probes are refusals in the share all probes
 * are; a target that rate-limits its refusals drops only those.  q is
 * refused_share.
 */
static bool kind_limited(const struct cc *c, double q)
{
	uint64_t rec_acc;

	if (q <= 0 || q > CC_KIND_SHARE_MAX || c->recovered_ref < CC_KIND_MIN ||
	    c->recovered_ref > c->recovered)
		return false;
	rec_acc = c->recovered - c->recovered_ref;
	return (double)rec_acc < 0.25 * (1 - q) * (double)c->recovered;
}

/*
 * The pace that keeps refusals at the rate a kind-limited target last
 * passed (l_ref), for the mix of first attempts and retries the scope
 * sends now: first attempts draw a refusal in the share all probes end
 * in one, retries in the share retried probes do (and never less than
 * first attempts).  0 unless kind_limited.
 */
static double kind_rate(const struct cc *c)
{
	double l = lref_mean(c), qr = refused_share(c);
	double q, f = c->first_share;

	if (l <= 0 || !kind_limited(c, qr))
		return 0;
	q = f * qr + (1 - f) * retried_refused_share(c);
	if (q < qr)
		q = qr;
	return CC_KIND_GAIN * l / q;
}

/*
 * The pace whose refusals would fill CC_KIND_FILL of a kind limit, at the
 * refusals per probe the last two rounds drew: 0 unless kind_limited, or
 * with too few refusals to tell.  kind_rate works from the shares of
 * probes that end refused, counting every probe still out after a silence
 * as one; late in a policed /20 most of those are filtered ports, whose
 * retries were a fifth of all sends and drew a refusal in 2-7 % of cases,
 * so it read 3,000-3,600/s where the target passed its limit's worth at
 * 5,000, and the pace, left to the good rates that every event cut, had
 * the limiter pass 70-85 % of its rate (traced on the testbed).  The
 * refusals that arrive say it directly: under the limit this is the pace
 * scaled up to meet CC_KIND_FILL of it (the limit the events measured).
 * At or over that it says nothing, 0: taken as CC_KIND_FILL of the pace
 * there, it held a pace that the good rates vouched at three times a
 * 200/s limit where the mix drew 1.3 times the limit's refusals, a
 * quarter of them dropped for seconds with no event, and a closed port
 * ended filtered after five clean silences (2 of 130 simulated /20s).
 * Not the whole limit: a limiter of small burst passes less than its
 * rate to random arrivals that ask about as much, so refusals arriving
 * under the measured limit do not show a pace under it, and the pace
 * scaled up from them climbs on (the events read a 200/s limit 4-5 %
 * high; filling all of it, a closed port ended filtered in 1 of 330
 * simulated /20s, and aimed 5 % over, 3 in 165).  At 95 % the refusals
 * of a saturated limiter meet the aim and the climb stops.
 */
static double kind_fill(const struct cc *c, uint32_t sent, uint32_t refs)
{
	double l = CC_KIND_FILL * lref_mean(c);

	if (l <= 0 || refs < CC_KIND_MIN || c->ref_rate >= l ||
	    !kind_limited(c, refused_share(c)))
		return 0;
	return l * (double)sent / (double)refs;
}

/*
 * The rate to cruise at: the estimate, or the kind-limited pace - the
 * filling one no more than a probe's step above the pace of the moment,
 * so that it climbs to a limit it has read wrong a round at a time, with
 * the silence events to stop it.
 */
static double cruise_rate(const struct cc *c)
{
	double e = estimate(c), k = kind_rate(c), f = c->fill;

	if (f > c->rate * CC_PROBE_GAIN)
		f = c->rate * CC_PROBE_GAIN;
	if (f > k)
		k = f;
	return k > e ? k : e;
}

/* A round with every probe resolved (or given up on): what did it show? */
static void judge(struct cc *c, struct cc_round *r, uint64_t now_ns)
{
	uint32_t n_all = r->ans + r->silent, n_s = r->ans_s + r->suspect;
	double sent_rate = round_send_rate(r);
	bool full = sent_rate >= 0.5 * r->rate;
	/*
	 * Until rounds have been seen there is no clean share to fall below
	 * (the recovered floor stands in once retries have been answered).
	 */
	bool judgeable = c->share_n >= 2 || recovered_floor(c) > 0;
	/*
	 * A round judged before its probes are resolved (its slot is needed:
	 * before the first RTT sample rounds last 5 ms, and 32 of them span
	 * 160 ms where a path's first timeout is a second) holds its answers
	 * but not yet its silences, and read as clean.  On the grid's slow
	 * path (2,000 frames/s, a 50-frame queue, 200 ms) the first round, a
	 * burst of 98 probes of which 57 got through the queue, was vouched
	 * a good rate of 19,400/s, and startup went back to it: 8,700 probes
	 * in 0.45 s into a path that carried 1,250 a second, 17,000 retries
	 * in a scan of 20,480 probes.  Its rounds of 64 with 13 first
	 * attempts answered also set retry_heavy, whose floor then held the
	 * first event's pace at half the failed 10,000/s.  So a round with
	 * over a quarter of its first attempts still out is partial: it says
	 * nothing of retries and vouches for nothing.  (Counting those still
	 * out as silent once two RTTs had passed called drops on a loopback
	 * scan whose filtered host is a quarter of its probes - t_resume
	 * crawled to 18/s: the clean share is made of silences too, and they
	 * were not in yet.)  On a short path a forced round has its outcomes
	 * nearly all in: the veth simulations never see a partial one.
	 */
	uint32_t out_first = r->sent_first > r->ans_s + r->suspect ?
				     r->sent_first - r->ans_s - r->suspect :
				     0;
	bool partial = 4 * out_first > r->sent_first &&
		       r->ans + r->silent < r->sent;
	bool drops = judgeable && excess_silence(c, r->ans_s, r->suspect);

	if (n_all >= CC_JUDGE_MIN)
		c->eff[c->eff_n++ % CC_SHARE_ROUNDS] = (double)r->ans / n_all;
	/*
	 * A round of retries (the end of a scan, or all of it once every
	 * first probe went out in the first RTO) cannot be judged by the
	 * first attempts' share: the limit test stands in.
	 */
	if (r->sent >= CC_ROUND_PROBES / 2 && !partial)
		c->retry_heavy = 2 * n_s < r->sent;
	limit_count(c, r, now_ns);
	c->first_ans += r->ans_s;
	c->first_silent += r->suspect;
	/*
	 * Every share is kept, dropped or not: the clean value is their
	 * maximum, which drops cannot raise, and were they left out, a first
	 * round that happened to be lossy would stand for ever.  Each share
	 * is pooled over rounds up to CC_SHARE_POOL first attempts: the
	 * maximum of shares of a few dozen probes each sat well above the
	 * truth (a binomial's noise, maximised), and rounds that fell below
	 * it by chance were called drops.
	 */
	c->pool_ans += r->ans_s;
	c->pool_n += n_s;
	if (c->pool_n >= CC_SHARE_POOL) {
		c->share[c->share_n++ % CC_SHARE_ROUNDS] =
			(double)c->pool_ans / c->pool_n;
		c->pool_ans = c->pool_n = 0;
	}
	if (drops) {
		/*
		 * A round sent before the last cut was already answered
		 * for: strike its rate, but do not cut again.  Nor is a
		 * drain's after a delay event a rate that failed: its
		 * probes went into the queue the event found, behind what
		 * startup or the pace before had sent, and the tail drops
		 * of that queue are theirs - the delay signal says whether
		 * the drain empties it.  Cut for them (at 0.8 of the drain,
		 * the second silence at the pace the event set), a -sS /20
		 * at 10,000 frames/s, 40 ms, 1 % went from the path's
		 * 6,500/s to 2,900/s in 0.7 s.  Only a drain under what the
		 * answers carry, though: one above it (startup's halving
		 * floor over a narrow path) fills the queue itself, and its
		 * drops were what cut it (test_karn_delay's second of
		 * queue: a fifth fewer answers without them).
		 */
		if (r->queued)
			return;
		if (r->end_ns > c->last_event_ns && full)
			congestion(c, now_ns, CC_SILENCE, sent_rate);
		else
			strike(c, sent_rate);
		return;
	}
	/*
	 * Vetted only on evidence: a clean share to have fallen below (the
	 * first rounds of a scan that starts into a limit were judged
	 * against nothing, and cruising at their rates kept it there) and
	 * enough first attempts to judge by (a round of retries says
	 * nothing - its probes were silent before).
	 */
	if (partial)
		return;
	if (judgeable && n_s >= CC_JUDGE_MIN && r->start_ns > c->last_event_ns)
		c->vouched = true;
	/*
	 * A good rate needs a round that could have failed: one sent after
	 * the last event (one sent before it may be the very overload the
	 * event answered), and mostly of first attempts - a round of
	 * retries with a handful of first ones has too few to show drops,
	 * and vetting its rate let a policed scan climb back to ten times
	 * what its target answered.
	 */
	if (judgeable && full && !r->delay && r->sent >= CC_ROUND_PROBES / 2 &&
	    n_s >= CC_JUDGE_MIN && 2 * n_s >= r->sent &&
	    r->start_ns > c->last_event_ns)
		good_add(c, good_rate(c, r, sent_rate));
}

static void judge_due(struct cc *c, uint64_t now_ns, bool force_oldest)
{
	uint64_t wait = 2 * cc_rto_ns(c);

	while (c->judge_seq != c->seq) {
		struct cc_round *r = &c->r[c->judge_seq % CC_ROUNDS];
		bool done = r->ans + r->silent >= r->sent;

		if (!done && !force_oldest && now_ns - r->end_ns < wait)
			break;
		force_oldest = false;
		judge(c, r, now_ns);
		c->judge_seq++;
	}
}

/*
 * The smallest of one or two samples is no round's minimum: on a /20
 * scanned five ports per host through a queue that rose and fell, hosts
 * whose filtered port was retried saw one late answer over their own first
 * one and were paced at 1-2 probes/s (their answers' rate), and those
 * retries made a 3.4-s scan take 8.5-10 s.  The whole scan's rounds see the
 * shared queue with samples enough; a host's rounds see it only when they
 * carry as many.
 */
static bool delay_high(const struct cc *c)
{
	return c->min_rtt_ns &&
	       ((c->t_rtt_n >= CC_DELAY_SAMPLES && c->t_rtt_min_ns &&
		 (double)c->t_rtt_min_ns > delay_line(c)) ||
		c->hi_run >= CC_DELAY_RUN);
}

/*
 * A queue that a delay event is draining: the rounds that still see it
 * are no new event until probes sent since the cut have come back (an
 * RTT - the queued one - after it), and then while each round sees them
 * lower than the rounds before (the first such round sets the mark: the
 * queue the cut began from, which grew after the event's own samples
 * left).  A second of queue takes seconds to drain at 3/4 of the path;
 * cut again for every round of it, a scan fell from 10,000/s to 97/s on
 * a 2,000 frames/s link and took minutes to climb back.  A queue that
 * still grows after the cut ends it sooner, sample by sample (see
 * rtt_sample).
 */
static bool draining(struct cc *c)
{
	uint64_t d = c->t_post_min_ns;

	if (c->mode != CC_DRAIN || c->last_reason != CC_DELAY ||
	    c->hi_run >= CC_DELAY_RUN)
		return false;
	if (!d)
		return true;
	if (!c->drain_rtt_ns || d < c->drain_rtt_ns) {
		c->drain_rtt_ns = d;
		return true;
	}
	return false;
}

static uint64_t round_len_ns(const struct cc *c)
{
	uint64_t len = c->rtt_n ? c->srtt_ns : CC_ROUND_MIN_NS;

	if (len < CC_ROUND_MIN_NS)
		len = CC_ROUND_MIN_NS;
	if (len > CC_ROUND_MAX_NS)
		len = CC_ROUND_MAX_NS;
	return len;
}

/*
 * May startup double again?  Only while what it already sent looks clean.
 * Silences are judged one RTO after a round, and on a short path startup
 * doubles every few milliseconds: a scan into a target that polices its
 * RSTs had sent every first probe of a /20 before the first round was
 * judged, and nothing was left to judge by.  But answers are in two
 * round trips after a round ends, so a round that old whose answered
 * share - counting what is still out as silent - already falls below the
 * clean share holds the growth until it is judged.  Loss on a long path
 * stays within the tolerance and does not.
 */
static bool startup_may_grow(const struct cc *c, uint64_t now_ns)
{
	uint64_t age = 2 * c->srtt_ns + CC_ROUND_MIN_NS;

	for (uint32_t seq = c->judge_seq; seq != c->seq; seq++) {
		const struct cc_round *r = &c->r[seq % CC_ROUNDS];

		if (r->seq != seq || !r->end_ns || now_ns - r->end_ns < age)
			continue;
		if (r->sent > r->ans &&
		    excess_silence(c, r->ans, r->sent - r->ans))
			return false;
	}
	return true;
}

/*
 * Startup's cap: CC_STARTUP_CAP times what the answers carry, but never
 * below one probe per timeout, nor below the best good rate (a pace a
 * round carried with no drops), nor above the pace it caps.  A host of a
 * permuted subnet is sent a probe or two a second, so that is all it
 * answers; capped at twice that, a host with a filtered port paced its
 * retries at 1-3/s, and they waited up to 0.7 s each for a token in the
 * last second of a /20 whose RSTs were policed at 2,000/s.  A probe per
 * timeout overloads nothing: one is out at a time.  And what the answers
 * carry falls whenever the probes left cannot be answered: a resumed scan
 * whose answering hosts were nearly done, left with a filtered host's
 * probes, was cut from 10,000/s to 500-1,900/s (twice the answers of a
 * moment, over the answered share of rounds sent before) while its
 * rounds at 10,000/s were being vetted, held there by its silent rounds,
 * and took a minute instead of 8 s.
 */
static void startup_cap(struct cc *c)
{
	double cap = CC_STARTUP_CAP * bw_estimate(c, cc_bw(c));
	double floor = NS_PER_SEC / (double)cc_rto_ns(c);

	if (cap < cc_good(c))
		cap = cc_good(c);
	if (c->rate <= cap)
		return;
	if (cap < floor)
		cap = c->rate < floor ? c->rate : floor;
	c->rate = cap;
}

/*
 * The send rounds answered during the round closing and the one before
 * it - those of the answer-rate sample it takes (round_close) - for the
 * event that sample may bring; then the closing round's become the
 * previous ones.
 */
static void seen_close(struct cc *c)
{
	c->seen = c->t_seen || c->prev_seen;
	c->seen_lo = c->t_seen ? c->t_seen_lo : c->prev_seen_lo;
	c->seen_hi = c->t_seen ? c->t_seen_hi : c->prev_seen_hi;
	if (c->t_seen && c->prev_seen) {
		if ((int32_t)(c->prev_seen_lo - c->seen_lo) < 0)
			c->seen_lo = c->prev_seen_lo;
		if ((int32_t)(c->prev_seen_hi - c->seen_hi) > 0)
			c->seen_hi = c->prev_seen_hi;
	}
	c->prev_seen = c->t_seen;
	c->prev_seen_lo = c->t_seen_lo;
	c->prev_seen_hi = c->t_seen_hi;
	c->t_seen = false;
}

static void round_close(struct cc *c, uint64_t now_ns)
{
	struct cc_round *r = open_round(c);
	uint64_t dur = now_ns - r->start_ns;
	double sent_rate = (double)r->sent * NS_PER_SEC / (double)dur;
	/*
	 * The answer-rate sample spans this round and the one before: a
	 * maximum of one-round samples is biased up by their noise (at 200
	 * answers a round, the largest of 8 is ~7 % high).
	 */
	double bw = (double)(c->t_ans + c->prev_ans) * NS_PER_SEC /
		    (double)(dur + c->prev_dur_ns);
	bool full = sent_rate >= 0.5 * c->rate;
	bool settled = now_ns - c->start_ns >= cc_rto_ns(c);
	bool delay = delay_high(c);
	double failed = sent_rate;

	c->ref_rate = (double)(c->t_ref + c->prev_ref) * NS_PER_SEC /
		      (double)(dur + c->prev_dur_ns);
	c->fill = kind_fill(c, r->sent + c->prev_sent, c->t_ref + c->prev_ref);
	if (r->sent >= CC_ROUND_PROBES / 2)
		c->first_share = (double)r->sent_first / r->sent;
	r->end_ns = now_ns;
	r->ref_in = c->t_ref;
	r->delay = delay;
	c->mode_rounds++;
	/*
	 * A round that sent far below its rate (the scan ran out of probes
	 * or slots) says nothing about the path's capacity: keep it out of
	 * the maximum unless it saw more than it.
	 */
	if (full || bw > cc_bw(c))
		c->bw[c->bw_n++ % CC_BW_ROUNDS] = bw;
	c->extra_per_ans = c->t_ans + c->prev_ans ?
				   (double)(r->extra + c->prev_extra) /
					   (double)(c->t_ans + c->prev_ans) :
				   0;
	seen_close(c);
	/*
	 * A queue shows in the answers to probes sent a round trip ago: the
	 * rate that built it is theirs.  Startup doubles in between, and
	 * failed at its doubling - a pace no answer had seen - the event's
	 * halving floor held a /20 over the path's rate (10,000 -> 17,300/s
	 * on a path of 6,500: the floor 8,650).  The limit test's half pace
	 * is no rate that failed either.  A drain's is, though lower: its
	 * queue is the one the event before left, and cut from what came
	 * before it, a queue of a second came down by halves of halves
	 * (test_karn_delay's path: a fifth more tail drops).
	 */
	if (c->seen) {
		const struct cc_round *sr = &c->r[c->seen_hi % CC_ROUNDS];
		double sr_rate = sr->seq == c->seen_hi && sr->end_ns ?
					 round_send_rate(sr) :
					 0;

		if (sr_rate > sr->rate)
			sr_rate = sr->rate;
		if (sr_rate >= 0.5 * sr->rate &&
		    (sr_rate < failed || c->mode == CC_PROBE_DOWN))
			failed = sr_rate;
	}

	if (delay && full && draining(c)) {
		/* DRAIN goes on at the pace the event set */
	} else if (delay && full) {
		c->drain_rtt_ns = 0;
		congestion(c, now_ns, CC_DELAY, failed);
	} else {
		switch (c->mode) {
		case CC_STARTUP:
			/* Held: answers cannot grow, so no plateau either;
			 * nor while a queue shows (a round sent short).  Held
			 * below a good rate (startup_cap), it goes back to it:
			 * lifted on every round, the lift compounded with the
			 * doubling and a startup past a bottleneck overshot. */
			if (delay || !startup_may_grow(c, now_ns)) {
				if (!delay && c->rate < cc_good(c))
					c->rate = clamp_rate(c, cc_good(c));
				break;
			}
			if (cc_bw(c) >= c->full_bw * CC_PLATEAU_GROWTH) {
				c->full_bw = cc_bw(c);
				c->full_bw_rounds = 0;
			} else if (c->rtt_n &&
				   ++c->full_bw_rounds >= CC_PLATEAU_ROUNDS) {
				c->last_reason = CC_PLATEAU;
				set_mode(c, CC_CRUISE);
				c->rate = estimate(c);
				break;
			}
			/*
			 * Double once per round trip - unknown until the
			 * first answer, and before it no round can say the
			 * path kept up (a scope whose probes time out
			 * without any answer has nothing to protect: it
			 * doubles too).  Drops are known one RTO late, some
			 * rounds on: the cap keeps the overshoot to
			 * CC_STARTUP_CAP times what the answers carry
			 * (startup_cap).
			 */
			if (full && (c->rtt_n || c->silent))
				c->rate *= CC_STARTUP_GAIN;
			if (settled && cc_bw(c) > 0)
				startup_cap(c);
			break;
		case CC_DRAIN:
		case CC_PROBE:
			set_mode(c, CC_CRUISE);
			c->rate = cruise_rate(c);
			break;
		case CC_CRUISE:
			if (c->mode_rounds >= CC_LT_EVERY && !c->end_rate &&
			    limit_testable(c)) {
				set_mode(c, CC_PROBE_DOWN);
				c->lt_pending = true;
				c->lt_down_sent = 0;
				c->rate = (sent_rate < estimate(c) ?
						   sent_rate :
						   estimate(c)) *
					  CC_LT_GAIN;
			} else if (c->mode_rounds >= CC_PROBE_EVERY &&
				   !c->end_rate) {
				set_mode(c, CC_PROBE);
				c->rate = cruise_rate(c) * CC_PROBE_GAIN;
			} else {
				c->rate = cruise_rate(c);
			}
			break;
		case CC_PROBE_DOWN:
			/* Long enough to count answers at a low rate. */
			if (c->lt_down_sent >= lt_down_need(c)) {
				c->lt_down_end = c->seq;
				set_mode(c, CC_CRUISE);
				c->rate = cruise_rate(c);
			}
			break;
		}
		/* The scan's last second: under the estimate, never up. */
		if (c->end_rate && c->rate > c->end_rate)
			c->rate = c->end_rate;
		set_rate(c, clamp_rate(c, c->rate));
	}

	c->prev_ans = c->t_ans;
	c->prev_extra = r->extra;
	c->prev_ref = c->t_ref;
	c->prev_sent = r->sent;
	c->prev_dur_ns = dur;
	c->t_ans = 0;
	c->t_ref = 0;
	c->t_rtt_min_ns = 0;
	c->t_rtt_n = 0;
	c->t_post_min_ns = 0;
	c->hi_run = 0;
	c->seq++;
	/* The slot about to be reused still holds a round not judged. */
	if (c->seq - c->judge_seq >= CC_ROUNDS)
		judge_due(c, now_ns, true);
	round_begin(open_round(c), c->seq, now_ns, c->rate);
	open_round(c)->mode = (uint8_t)c->mode;
	/* (startup's overshoot only, and a drain above what the answers
	 * carry has drops of its own) */
	open_round(c)->queued =
		c->mode == CC_DRAIN && c->last_reason == CC_DELAY &&
		!c->cruised &&
		c->rate <= frames_adjust(c, bw_estimate(c, cc_bw(c)));
}

void cc_tick(struct cc *c, uint64_t now_ns)
{
	struct cc_round *r = open_round(c);
	uint64_t age;

	judge_due(c, now_ns, false);
	if (now_ns <= r->start_ns)
		return;
	age = now_ns - r->start_ns;
	if (age >= CC_ROUND_MAX_NS) {
		if (r->sent || c->t_ans)
			round_close(c, now_ns);
		else
			r->start_ns = now_ns; /* idle: nothing to learn */
		return;
	}
	if (age >= round_len_ns(c) && r->sent >= CC_ROUND_PROBES)
		round_close(c, now_ns);
}

uint64_t cc_event_clears_ns(const struct cc *c)
{
	if (!c->had_event)
		return 0;
	return c->last_event_ns + 2 * cc_rto_ns(c) + CC_ROUND_MIN_NS;
}

/* Silences now are of probes sent after the last event's drops.  (Its
 * callers ask had_event first.) */
static bool event_old(const struct cc *c, uint64_t now_ns)
{
	return now_ns > cc_event_clears_ns(c);
}

bool cc_kind(const struct cc *c)
{
	return kind_limited(c, refused_share(c));
}

bool cc_clean(const struct cc *c, uint64_t now_ns)
{
	/*
	 * A silence now is of a probe sent about one RTO ago: distrust it
	 * until two RTOs after the last event (a round count would stretch
	 * to seconds at the end of a scan, when rounds run long), and until
	 * a round sent after the event has been judged free of drops: a
	 * scope that stays over its path's limit has events every few
	 * hundred ms, and the gaps between them are no evidence at all.
	 */
	return !c->had_event || (c->vouched && event_old(c, now_ns));
}

/*
 * A kind-limited scope loses refusals only, and only while they arrive at
 * its limit: when those that arrived from a little before round seq until
 * now (CC_QUIET_KIND_MIN_NS at least, so a few dozen at 200/s) came at
 * under half of it, the limiter had tokens to spare and a silence of
 * round seq is no drop.  The case: an event just as first attempts ran
 * out (the last rounds, thinned, fall below the clean share on one host's
 * filtered ports), and no round of first attempts was left to vouch for
 * the scope, while the retries of its filtered ports went out faster
 * than a quarter of its least event rate - no silence counted, and they
 * backed off to 0.66 s each: 7.6 and 12.8 s instead of about 5.5 on two
 * simulated /20s of 400 at 2,000 RSTs/s, and a 7-s -sS run on the
 * testbed (2.3 s after the last first attempt).
 */
static bool kind_quiet(const struct cc *c, uint32_t seq, uint64_t now_ns)
{
	const struct cc_round *r = &c->r[seq % CC_ROUNDS];
	double lim = CC_QUIET_KIND_SHARE * lref_mean(c);
	uint64_t from, since = c->r[c->seq % CC_ROUNDS].start_ns; /* open */
	uint32_t n = c->t_ref;

	if (lim <= 0 || r->seq != seq || !kind_limited(c, refused_share(c)))
		return false;
	from = r->start_ns > CC_QUIET_KIND_BEFORE_NS ?
		       r->start_ns - CC_QUIET_KIND_BEFORE_NS :
		       0;
	/* Rounds follow each other: their arrivals cover the time. */
	for (uint32_t i = 1; since > from; i++) {
		const struct cc_round *o;

		if (i >= CC_ROUNDS || i > c->seq)
			return false;
		o = &c->r[(c->seq - i) % CC_ROUNDS];
		if (o->seq != c->seq - i || !o->end_ns)
			return false;
		n += o->ref_in;
		since = o->start_ns;
	}
	if (now_ns - since < CC_QUIET_KIND_MIN_NS)
		return false;
	return (double)n * NS_PER_SEC / (double)(now_ns - since) <= lim;
}

bool cc_quiet(const struct cc *c, uint32_t seq, uint64_t now_ns,
	      uint64_t sent_ns)
{
	const struct cc_round *r = &c->r[seq % CC_ROUNDS];
	/*
	 * The attempt's own send time where known, not its round's start:
	 * a scan's last rounds run long (64 sends at a few hundred a
	 * second), and when an event fell inside one, the filtered ports'
	 * retries sent after it at a tenth of the pace counted no silence
	 * until the next round began (a policed /20 on the testbed: 0.5 s
	 * of a 1-s tail).
	 */
	uint64_t from = sent_ns > r->start_ns ? sent_ns : r->start_ns;
	uint64_t dur;

	if (!c->had_event || r->seq != seq)
		return false;
	/*
	 * The refusals that arrived around the round are their own
	 * evidence, whenever the attempt went out: a policed /20's last
	 * event fell after its last first attempts in most traced runs,
	 * and the retries of its filtered ports then waited 0.2 s for it
	 * to clear while no refusal came at all (2,000 RSTs/s: 0.48 ->
	 * 0.45 s of tail after the last first attempt on average, 1.253 ->
	 * 1.244 times the ideal, 300 simulated /20s; 330 at 200 RSTs/s
	 * exact).
	 */
	if (kind_quiet(c, seq, now_ns))
		return true;
	if (c->quiet_ref <= 0 || from <= c->last_event_ns ||
	    !event_old(c, now_ns))
		return false;
	dur = (r->end_ns ? r->end_ns : now_ns) - r->start_ns;
	if (dur < CC_ROUND_MIN_NS)
		dur = CC_ROUND_MIN_NS;
	return (double)r->sent * NS_PER_SEC / (double)dur <=
	       CC_QUIET_SHARE * c->quiet_ref;
}

/* Over this much above the answers' rate, a round outran them. */
#define CC_OVER_ANSWERS 1.1

bool cc_over_answers(const struct cc *c, uint32_t seq)
{
	const struct cc_round *r = &c->r[seq % CC_ROUNDS];
	double bw = cc_bw(c);

	if (r->seq != seq || !r->end_ns || bw <= 0 ||
	    refused_share(c) < CC_KIND_SHARE_MAX)
		return false;
	return round_send_rate(r) > CC_OVER_ANSWERS * bw;
}

bool cc_loaded(const struct cc *c)
{
	const struct cc_round *prev = &c->r[(c->seq - 1) % CC_ROUNDS];

	if (c->mode == CC_STARTUP)
		return true;
	return c->seq > 0 && prev->end_ns &&
	       round_send_rate(prev) >= 0.5 * prev->rate;
}
