/*
 * scheduler.c - the order and timing of every attempt.
 *
 * New probes come from the seeded permutation at this shard's cursor
 * positions (shard_index + k * shard_count), so shards partition the space
 * and a cursor k is the whole resume position.  Attempts waiting for a later
 * time - retries after a timeout's backoff, and probes deferred after a
 * local failure - sit in a binary min-heap on their due time; a due entry is
 * always handed out before a new probe so that retries interleave with the
 * first pass instead of piling up for the end.
 *
 * The heap has a fixed capacity of 2 * max_inflight (allocated once).  It
 * cannot overflow because a probe only ever moves between "in flight" and
 * "queued" (a timeout or a deferral pushes exactly what was in flight), and a
 * new probe is admitted only while inflight + queued < capacity.  Twice the
 * slots leaves room for a full window of pending retries while a second full
 * window of new probes is out.  Every hand-out, retry or new, must also fit
 * the in-flight window and get a rate token.
 *
 * The window starts at max_inflight.  A deferral (EMFILE, ENOBUFS...) means
 * the host ran out of something at the current load, so the window drops to
 * 3/4 of what is actually in flight (not of the old window: a burst of
 * deferrals from one batch then shrinks it once, not exponentially), never
 * below SCHED_MIN_WINDOW; each answer grows it by one.  Timeouts say nothing
 * about local resources and leave it alone.
 *
 * The adaptive timeout is RFC 6298's RTO in integer nanoseconds: no clock
 * granularity term is needed at this resolution.  Samples are clamped so
 * that srtt + 4 * rttvar cannot overflow whatever the caller passes.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cc.h"
#include "permute.h"
#include "ratelimit.h"
#include "scheduler.h"

#define SCHED_BACKOFF_SHIFT_MAX 32 /* BASE << 32 is far above the cap */
/* cc: where both scopes start probing for the path's rate. */
#define SCHED_CC_INIT_RATE 10000.0
/*
 * The drop chance behind the retry limit (clean_needed): answers weigh in
 * with a decay of 1/SCHED_DROP_WINDOW each, so that it is that of about
 * the last SCHED_DROP_WINDOW answers; it is used from SCHED_DROP_MIN
 * attempts on; and the limit makes the probes left expect fewer than
 * SCHED_DROP_WRONG wrong answers.
 */
#define SCHED_DROP_WINDOW 1024.0
#define SCHED_DROP_MIN 64.0
#define SCHED_DROP_WRONG 0.001
#define SCHED_DROP_AGAIN_MIN 16.0
#define SCHED_DROP_AGAIN_WINDOW 8192.0
#define SCHED_DROP_SHORT 256.0
#define SCHED_BASE_MIN 2 /* clean silences at the least: see evidence_base */

/* Attempts and the silent ones among them, decayed per answer. */
struct sched_share {
	double n, sil;
};

/*
 * Clean attempts of probes answered in the end, and the silent ones among
 * them (over two windows); and the same counted from each such probe's
 * first clean silence on - the chance that a silence is followed by
 * another, which the ports that are never dropped (open ones past an RST
 * limit) do not dilute; and the first share again over the probes
 * answered with a refusal alone, which those ports do not dilute either.
 * See clean_needed.
 */
struct sched_drops {
	struct sched_share all, recent, again, refused;
};

struct sched_entry {
	uint64_t due_ns;
	struct sched_probe p;
};

/* A target host with probes in flight or queued (cc only). */
struct sched_host {
	uint64_t host;
	uint32_t refs; /* probes in flight or queued; 0 = slot free */
	uint32_t max_ans_clean; /* most clean silences before an answer */
	bool answered; /* any attempt answered */
	uint64_t events_seen; /* cc.events already reported */
	/* the answer limit (scheduler.h): counts since the window began */
	uint64_t lim_start_ns; /* first send, then the last cut */
	uint32_t lim_ans; /* every answer */
	uint32_t lim_first, lim_retry; /* UDP: to first attempts, retries */
	uint32_t lim_seq; /* attempts of host rounds before it: forgiven */
	uint32_t cuts; /* how many times the host was cut */
	struct sched_drops drops;
	struct cc cc;
};

#define SCHED_EVENTS 64

struct sched {
	struct sched_config cfg;
	struct permute perm;
	struct ratelimit rl;
	bool rl_started; /* the bucket starts at the first sched_next */

	struct sched_entry *heap;
	uint32_t heap_len;
	uint32_t heap_cap;

	uint64_t total;
	uint64_t issued;
	uint64_t attempts;
	uint64_t retries;
	uint64_t deferred;
	uint64_t finished;
	uint32_t inflight;
	uint32_t window;

	/* congestion control */
	struct cc group;
	struct cc_params host_params;
	struct sched_host *hosts; /* SCHED_HOSTS, linear probing */
	/* host + 1 of hosts that answered, direct-mapped (see host_get) */
	uint64_t *answered;
	uint32_t nhosts;
	uint64_t spurious;
	uint64_t withdrawn;
	uint32_t max_ans_clean; /* the same, over every host */
	uint32_t max_ans_attempt; /* TCP: the latest attempt answered in time */
	struct sched_drops drops; /* the same, over every host */
	uint64_t group_events_seen;
	uint64_t held_ns; /* a probe of a cut host last waited for it */
	uint64_t front_ns; /* the latest send answered (sched_answer_sent) */
	uint64_t front_at_ns; /* when the last answer with a send time came */
	bool held_any;
	struct sched_event events[SCHED_EVENTS];
	uint32_t ev_head, ev_len;
};

/* Cursor positions shard_index, shard_index + shard_count, ... < nprobes. */
static uint64_t shard_total(const struct sched_config *cfg)
{
	if (cfg->nprobes <= cfg->shard_index)
		return 0;
	return (cfg->nprobes - 1 - cfg->shard_index) / cfg->shard_count + 1;
}

static uint64_t rto_init(const struct sched_config *cfg)
{
	return cfg->rto_init_ns ? cfg->rto_init_ns : SCHED_INIT_TIMEOUT_NS;
}

static uint64_t rto_min(const struct sched_config *cfg)
{
	return cfg->rto_min_ns ? cfg->rto_min_ns : SCHED_MIN_TIMEOUT_NS;
}

static uint64_t rto_max(const struct sched_config *cfg)
{
	return cfg->rto_max_ns ? cfg->rto_max_ns : SCHED_MAX_TIMEOUT_NS;
}

static void cc_setup(struct sched *s)
{
	const struct sched_config *cfg = &s->cfg;
	struct cc_params g = {
		.init_rate = SCHED_CC_INIT_RATE,
		.min_rate = (double)cfg->min_rate,
		.max_rate = (double)cfg->rate,
		.rto_init_ns = rto_init(cfg),
		.rto_min_ns = rto_min(cfg),
		.rto_max_ns = rto_max(cfg),
	};
	struct cc_params h;

	/* A fixed --timeout is when silences come back: the controller's
	 * "one RTO later" must be that. */
	if (cfg->timeout_ns) {
		g.rto_init_ns = cfg->timeout_ns;
		g.rto_min_ns = cfg->timeout_ns;
		g.rto_max_ns = cfg->timeout_ns;
	}
	h = g;

	if (cfg->scan_delay_ns) {
		double r = 1e9 / (double)cfg->scan_delay_ns;

		if (!h.max_rate || r < h.max_rate)
			h.max_rate = r;
	}
	if (cfg->max_scan_delay_ns) {
		double r = 1e9 / (double)cfg->max_scan_delay_ns;

		if (r > h.min_rate)
			h.min_rate = r;
	}
	if (h.max_rate && h.min_rate > h.max_rate)
		h.min_rate = h.max_rate;
	if (g.max_rate && g.min_rate > g.max_rate)
		g.min_rate = g.max_rate;
	if (g.max_rate && g.init_rate > g.max_rate)
		g.init_rate = g.max_rate;
	if (h.max_rate && h.init_rate > h.max_rate)
		h.init_rate = h.max_rate;
	s->host_params = h;
	cc_init(&s->group, &g, 0);
}

static uint64_t host_hash(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* The host's entry, or NULL if it has none. */
static struct sched_host *host_find(struct sched *s, uint64_t host)
{
	uint32_t mask = SCHED_HOSTS - 1;

	for (uint32_t i = host_hash(host) & mask;; i = (i + 1) & mask) {
		struct sched_host *h = &s->hosts[i];

		if (!h->refs)
			return NULL;
		if (h->host == host)
			return h;
	}
}

/*
 * The host's entry, made if needed, with one more reference taken; NULL
 * when the table is at its load limit (half full keeps probe sequences
 * short).  host_put gives the reference back.
 */
static struct sched_host *host_get(struct sched *s, uint64_t host,
				   uint64_t now_ns)
{
	uint32_t mask = SCHED_HOSTS - 1;

	for (uint32_t i = host_hash(host) & mask;; i = (i + 1) & mask) {
		struct sched_host *h = &s->hosts[i];

		if (h->refs && h->host == host) {
			h->refs++;
			return h;
		}
		if (!h->refs) {
			if (s->nhosts >= SCHED_HOSTS / 2)
				return NULL;
			memset(h, 0, sizeof(*h));
			h->host = host;
			h->refs = 1;
			/*
			 * An entry lives while the host has probes out, and
			 * a scan of a few ports per host frees it between
			 * them: whether the host answered is remembered
			 * apart (clean_needed's rules apply to hosts that
			 * answer), where nothing else of it is - a host's
			 * controller carried over to its next probe paced
			 * it by a moment long gone.
			 */
			h->answered = s->answered[host % SCHED_ANSWERED] ==
				      host + 1;
			h->lim_start_ns = now_ns;
			cc_init(&h->cc, &s->host_params, now_ns);
			s->nhosts++;
			return h;
		}
	}
}

/* Drop one reference; an entry without any is removed (backward shift,
 * so that lookups need no tombstones). */
static void host_put(struct sched *s, struct sched_host *h)
{
	uint32_t mask = SCHED_HOSTS - 1;
	uint32_t i, j;

	assert(h->refs > 0);
	if (--h->refs)
		return;
	s->nhosts--;
	i = (uint32_t)(h - s->hosts);
	for (j = (i + 1) & mask; s->hosts[j].refs; j = (j + 1) & mask) {
		uint32_t home = host_hash(s->hosts[j].host) & mask;

		/* Move j into the hole at i unless its home lies in (i, j]. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			s->hosts[i] = s->hosts[j];
			s->hosts[j].refs = 0;
			i = j;
		}
	}
}

static void event_push(struct sched *s, bool group, uint64_t host,
		       const struct cc *c)
{
	struct sched_event *ev;

	if (s->ev_len == SCHED_EVENTS) {
		/* Keep the newest: drop the oldest. */
		s->ev_head = (s->ev_head + 1) % SCHED_EVENTS;
		s->ev_len--;
	}
	ev = &s->events[(s->ev_head + s->ev_len++) % SCHED_EVENTS];
	ev->group = group;
	ev->host = host;
	ev->rate = cc_rate(c);
	ev->answers = cc_bw(c);
	ev->reason = (int)c->last_reason;
}

bool sched_event_pop(struct sched *s, struct sched_event *ev)
{
	if (!s->ev_len)
		return false;
	*ev = s->events[s->ev_head];
	s->ev_head = (s->ev_head + 1) % SCHED_EVENTS;
	s->ev_len--;
	return true;
}

/* Report new congestion events of a host and of the group. */
static void events_check(struct sched *s, struct sched_host *h)
{
	if (h && h->cc.events != h->events_seen) {
		h->events_seen = h->cc.events;
		event_push(s, false, h->host, &h->cc);
	}
	if (s->group.events != s->group_events_seen) {
		s->group_events_seen = s->group.events;
		event_push(s, true, 0, &s->group);
	}
}

int sched_new(struct sched **out, const struct sched_config *cfg)
{
	uint64_t cap = 2 * (uint64_t)cfg->max_inflight;
	struct permute perm = { 0 };
	struct sched *s;
	int ret;

	if (cfg->max_inflight == 0 || cfg->shard_count == 0 ||
	    cfg->shard_index >= cfg->shard_count)
		return -EINVAL;
	/* An empty space is valid (and finished); permute needs n >= 1. */
	if (cfg->nprobes > 0) {
		ret = permute_init_order(&perm, cfg->nprobes, cfg->seed,
					 cfg->sequential);
		if (ret)
			return ret;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	s->perm = perm;
	s->total = shard_total(cfg);
	s->window = cfg->max_inflight;
	/* Keeps queued (a uint32_t in the stats) from wrapping. */
	s->heap_cap = cap < UINT32_MAX ? (uint32_t)cap : UINT32_MAX;
	s->heap = calloc(s->heap_cap, sizeof(*s->heap));
	if (!s->heap)
		goto out_free_sched;
	if (s->cfg.cc) {
		if (!s->cfg.nports)
			s->cfg.nports = 1;
		s->hosts = calloc(SCHED_HOSTS, sizeof(*s->hosts));
		if (!s->hosts)
			goto out_free_heap;
		s->answered = calloc(SCHED_ANSWERED, sizeof(*s->answered));
		if (!s->answered)
			goto out_free_hosts;
	}
	/* Without cc the group's controller still keeps the RTO. */
	cc_setup(s);
	*out = s;
	return 0;

out_free_hosts:
	free(s->hosts);
out_free_heap:
	free(s->heap);
out_free_sched:
	free(s);
	return -ENOMEM;
}

void sched_free(struct sched *s)
{
	if (!s)
		return;
	free(s->answered);
	free(s->hosts);
	free(s->heap);
	free(s);
}

static void heap_push(struct sched *s, uint64_t due_ns,
		      const struct sched_probe *p)
{
	uint32_t i = s->heap_len++;

	assert(i < s->heap_cap);
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (s->heap[parent].due_ns <= due_ns)
			break;
		s->heap[i] = s->heap[parent];
		i = parent;
	}
	s->heap[i].due_ns = due_ns;
	s->heap[i].p = *p;
}

static struct sched_entry heap_pop(struct sched *s)
{
	struct sched_entry top = s->heap[0];
	struct sched_entry last = s->heap[--s->heap_len];
	uint32_t i = 0, n = s->heap_len;

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && s->heap[c + 1].due_ns < s->heap[c].due_ns)
			c++;
		if (last.due_ns <= s->heap[c].due_ns)
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (n > 0)
		s->heap[i] = last;
	return top;
}

/* May a new (first-attempt) probe go out, tokens aside? */
static bool new_allowed(const struct sched *s)
{
	return s->issued < s->total && s->inflight < s->window &&
	       s->inflight + s->heap_len < s->heap_cap;
}

static uint64_t next_new_probe(const struct sched *s)
{
	return permute_shard_at(&s->perm, s->cfg.shard_index,
				s->cfg.shard_count, s->issued);
}

static uint32_t sched_next_fixed(struct sched *s, uint64_t now_ns,
				 struct sched_probe *out, uint32_t max)
{
	uint32_t n = 0;

	while (n < max && s->inflight < s->window) {
		bool retry = s->heap_len > 0 && s->heap[0].due_ns <= now_ns;

		if (!retry && !new_allowed(s))
			break;
		if (ratelimit_take(&s->rl, now_ns, 1) == 0)
			break;
		if (retry) {
			struct sched_entry e = heap_pop(s);

			out[n] = e.p;
			if (e.p.attempt > 0)
				s->retries++;
		} else {
			out[n] = (struct sched_probe){ .probe = next_new_probe(
							       s) };
			s->issued++;
		}
		s->attempts++;
		s->inflight++;
		n++;
	}
	return n;
}

/*
 * Could a silence of a probe sent now be a drop caused by our pace?  Not
 * in a scope that has never answered at all (a host that is down or
 * filters everything): nothing says its silence is ours.
 */
static bool scope_dirty(const struct cc *c, uint64_t now_ns)
{
	if (!c->answered)
		return false;
	return c->mode == CC_STARTUP || (c->mode == CC_PROBE && cc_loaded(c)) ||
	       !cc_clean(c, now_ns);
}

/*
 * The same for a host, whose startup counts only once it has sent a
 * round's worth of probes: a host scanned on a few ports is in startup
 * all through the scan, and its filtered ports used every attempt.
 */
static bool host_dirty(const struct cc *c, uint64_t now_ns)
{
	if (c->mode == CC_STARTUP && c->sent < CC_ROUND_PROBES)
		return c->answered && !cc_clean(c, now_ns);
	return scope_dirty(c, now_ns);
}

static bool probe_udp(const struct sched *s, uint64_t probe);

/*
 * How long an attempt handed out at sent_ns may still be answered, by the
 * answers' frontier: while answers keep coming and none is yet to an
 * attempt sent SCHED_FRONT_SLACK_NS after it, the path is a queue still
 * delivering what went before it - its answer is on the way, not lost,
 * whatever the timeout said (time-based loss detection, as TCP's RACK).
 * The timeout follows the RTT samples, and they lag a queue that fills:
 * through 2,000 frames at 2,000 frames/s the round trip went from 0.2 to
 * 1.7 s in the first seconds of a /20, and 15 % of its retries were for
 * answers still in the queue.  0 when the frontier has passed, when
 * answers stopped coming (below: a path that went quiet, or a scan of
 * hosts that never answer - their silence is the timeout's to judge),
 * or SCHED_FRONT_MAX_NS after the hand-out; else the frontier's distance
 * to it, halved, so that a check again soon follows a frontier that moves
 * faster than the clock (a queue draining).
 *
 * "Keep coming" is within SCHED_FRONT_FRESH_NS - and for -sT within the
 * path's present delay (the frontier's age when its answer came), if
 * longer: a second of queue goes quiet for a while when its head holds
 * only our ACKs and RSTs, and a /20's -sT retries released so, 0.1-0.4 s
 * into a pause at 0.5-1 s of delay, were 700 of its 900 spurious ones.
 * -sS sends no such frames, and held that long its retries made the same
 * /20 at 200 ms slower (medians 21.1 -> 23.5 s, runs up to 38 s).
 * sent_ns may be still ahead (retry_front_ns).
 */
static uint64_t front_wait_ns(const struct sched *s, uint64_t sent_ns,
			      uint64_t now_ns)
{
	uint64_t gap, fresh = SCHED_FRONT_FRESH_NS;

	if (s->cfg.tcp_connect && s->front_at_ns - s->front_ns > fresh)
		fresh = s->front_at_ns - s->front_ns;
	if (!s->front_at_ns || now_ns - s->front_at_ns >= fresh ||
	    (now_ns > sent_ns && now_ns - sent_ns >= SCHED_FRONT_MAX_NS) ||
	    s->front_ns >= sent_ns + SCHED_FRONT_SLACK_NS)
		return 0;
	gap = (sent_ns + SCHED_FRONT_SLACK_NS - s->front_ns) / 2;
	return gap > SCHED_FRONT_SLACK_NS ? gap : SCHED_FRONT_SLACK_NS;
}

/* When an attempt still out (or just timed out) was handed out. */
static uint64_t sent_at(const struct sched_probe *p, uint64_t now_ns)
{
	return now_ns -
	       (uint64_t)((uint32_t)(now_ns / 1000) - p->sent_us) * 1000;
}

/*
 * The frontier wait of a retry of p (front_wait_ns).  A connect that went
 * silent still lingers, and its kernel sent the SYN again a second after
 * the first: once that second has gone, the hand-out to wait for is the
 * kernel's copy - a retry of ours before its answer could come is the
 * same SYN twice.  Behind 2,000 frames at 2,000 frames/s (40 ms), 4.5 %
 * of a /20's -sT probes were retried so, the first SYN dropped at the
 * queue, and the kernel's second answered before our retry.  On a clean
 * path the frontier passes the copy one round trip after it went, so the
 * hold costs at most that.
 */
static uint64_t retry_front_ns(const struct sched *s,
			       const struct sched_probe *p, uint64_t now_ns)
{
	uint64_t sent_ns = sent_at(p, now_ns);

	if (s->cfg.tcp_connect && !s->cfg.timeout_ns &&
	    !probe_udp(s, p->probe) &&
	    now_ns + SCHED_FRONT_SLACK_NS >= sent_ns + SCHED_CONNECT_RESEND_NS)
		sent_ns += SCHED_CONNECT_RESEND_NS;
	return front_wait_ns(s, sent_ns, now_ns);
}

/*
 * With cc: every hand-out needs a token of the group and of the probe's
 * host.  A probe whose host has none is parked in the heap until that
 * host's next token (at most SCHED_PARK_MAX per call, and new probes only
 * while the heap is less than half full, so that a scan of one slow host
 * does not churn through the whole heap).
 */
static uint32_t sched_next_cc(struct sched *s, uint64_t now_ns,
			      struct sched_probe *out, uint32_t max)
{
	uint32_t n = 0, parked = 0;

	cc_held(&s->group,
		s->held_any && now_ns - s->held_ns < SCHED_LIMIT_WINDOW_NS);
	/* Less than a second of answers left (the probes not yet final):
	 * the scan ends at a pace that passes. */
	cc_ending(&s->group,
		  cc_cruised(&s->group) &&
			  (double)(s->total - s->finished) <
				  cc_bw(&s->group) * SCHED_ENDING_NS / 1e9);
	while (n < max && s->inflight < s->window) {
		bool retry = s->heap_len > 0 && s->heap[0].due_ns <= now_ns;
		struct sched_probe p;
		struct sched_host *h;
		uint64_t host;

		if (!retry && !new_allowed(s))
			break;
		/*
		 * A retry whose predecessor's answer the frontier says is
		 * still on the way waits again (front_wait_ns): the wait
		 * sched_timed_out gave it was a guess at how fast the
		 * frontier moves.  Its sent_us is still the predecessor's.
		 */
		if (retry && s->heap[0].p.attempt > 0) {
			uint64_t w = retry_front_ns(s, &s->heap[0].p, now_ns);

			if (w) {
				struct sched_entry e = heap_pop(s);

				heap_push(s, now_ns + w, &e.p);
				continue;
			}
		}
		if (cc_allow(&s->group, now_ns, 1) == 0)
			break;
		if (retry) {
			p = s->heap[0].p;
			h = host_find(s, p.probe / s->cfg.nports);
			assert(h);
		} else {
			p = (struct sched_probe){ .probe = next_new_probe(s) };
			host = p.probe / s->cfg.nports;
			h = host_get(s, host, now_ns);
			if (!h)
				break; /* too many hosts at once: wait */
		}
		/*
		 * A host's last few probes, retried over TCP, do not wait for
		 * the host's pace: SCHED_HOST_FEW of them go out once a
		 * timeout each at most, which no host's limit notices, and a
		 * host scanned on a few ports paces at about twice its
		 * answers (startup's cap) - a probe a second on a /20 of five
		 * ports each, so that its filtered port's retries went out
		 * 0.6 s apart and made the last second of a policed scan.
		 * Not the last one alone: a host with two or three filtered
		 * ports of five, retried after a congested start, held each
		 * retry 0.2-0.7 s (-sS /20 through 10,000 frames/s, 200 ms).
		 * (UDP waits: a host's ICMP budget is about one a second, and
		 * its pace is that.  So does a --scan-delay, which is the
		 * user's.)
		 */
		if (!(retry && p.attempt > 0 && h->refs <= SCHED_HOST_FEW &&
		      !s->cfg.scan_delay_ns && !probe_udp(s, p.probe)) &&
		    cc_allow(&h->cc, now_ns, 1) == 0) {
			uint64_t due = now_ns + cc_wait_ns(&h->cc, now_ns);

			if (h->cuts) {
				s->held_ns = now_ns;
				s->held_any = true;
			}
			if (parked >= SCHED_PARK_MAX ||
			    (!retry && s->heap_len >= s->heap_cap / 2)) {
				if (!retry)
					host_put(s, h);
				break;
			}
			if (retry)
				heap_pop(s);
			else
				s->issued++;
			heap_push(s, due, &p);
			parked++;
			continue;
		}
		if (retry) {
			heap_pop(s);
			if (p.attempt > 0)
				s->retries++;
		} else {
			s->issued++;
		}
		p.flags &= SCHED_F_KEEP;
		p.tmo_us = 0;
		p.sent_us = (uint32_t)(now_ns / 1000);
		if (host_dirty(&h->cc, now_ns))
			p.flags |= SCHED_F_DIRTY_HOST;
		if (scope_dirty(&s->group, now_ns))
			p.flags |= SCHED_F_DIRTY_GROUP;
		if (!s->group.answered)
			p.flags |= SCHED_F_BLIND;
		p.hround = cc_sent(&h->cc, now_ns, 1);
		p.ground = cc_sent(&s->group, now_ns, 1);
		if (p.attempt == 0) {
			cc_sent_first(&h->cc, 1);
			cc_sent_first(&s->group, 1);
		}
		out[n++] = p;
		s->attempts++;
		s->inflight++;
	}
	return n;
}

uint32_t sched_next(struct sched *s, uint64_t now_ns, struct sched_probe *out,
		    uint32_t max)
{
	if (!s->rl_started) {
		ratelimit_init(&s->rl, s->cfg.rate, now_ns);
		/* The clock starts now: cc_init copies its params first. */
		if (s->cfg.cc)
			cc_init(&s->group, &s->group.p, now_ns);
		s->rl_started = true;
	}
	if (s->cfg.cc)
		return sched_next_cc(s, now_ns, out, max);
	return sched_next_fixed(s, now_ns, out, max);
}

static bool probe_udp(const struct sched *s, uint64_t probe)
{
	return probe % s->cfg.nports >= s->cfg.nports - s->cfg.nudp;
}

/* The answer limit (scheduler.h): count an answer, cut when due. */
static void limit_answer(struct sched *s, struct sched_host *h,
			 const struct sched_probe *p, uint64_t now_ns,
			 bool late)
{
	uint64_t span;
	double rate, ans, pace;

	h->lim_ans++;
	if (!probe_udp(s, p->probe) || late)
		return;
	if (p->attempt == 0)
		h->lim_first++;
	else if ((p->flags & SCHED_F_PREV_PACED) &&
		 p->flags >> SCHED_F_CUT_SHIFT == (h->cuts & 15))
		h->lim_retry++;
	span = now_ns - h->lim_start_ns;
	if (h->lim_retry < SCHED_LIMIT_DROPS ||
	    h->lim_retry * SCHED_LIMIT_RATIO <= h->lim_first + h->lim_retry ||
	    span < SCHED_LIMIT_WINDOW_NS)
		return;
	ans = h->lim_ans / (span / 1e9);
	/*
	 * Over the limit, what comes back is the limit: pace at it.  When
	 * most of what was sent came back anyway, the drops are the
	 * limit's edges (one peer's budget spent a moment early), and the
	 * answers' rate is the pace times the share of ports that answer:
	 * pacing at it would spiral down.  Step down instead.
	 */
	pace = cc_rate(&h->cc);
	rate = ans < pace * SCHED_LIMIT_OVER ? ans : pace * SCHED_LIMIT_STEP;
	cc_cap(&h->cc, now_ns, rate, ans);
	h->lim_seq = h->cc.seq + 1;
	h->cuts++;
	h->lim_start_ns = now_ns;
	h->lim_ans = h->lim_first = h->lim_retry = 0;
}

/*
 * A probe answered after `clean` clean silences: clean + 1 attempts that
 * counted, of which clean were silent (a late answer's timed-out attempt
 * too: had every attempt been that late, the port would have ended
 * filtered all the same).  TCP only: a host's ICMP errors are limited to
 * about one a second per peer, so nearly every UDP attempt to a closed
 * port goes unanswered, and UDP has its own answer limit (limit_answer)
 * and retries a second apart; the drop chance asked every silent UDP
 * port for ten attempts, and the top 1,000 ports from 32 sources took
 * 52 s (46 s before it, 30 s with UDP left out).  And only while new
 * probes go out: once they are all out, the answers still to come are
 * those of probes retried, and the chance they show is the tail's, not
 * the path's - 22 % over the last 256 answers of a scan of one host
 * across a path losing 2 %, whose filtered ports then took six clean
 * silences where four would do (0.4 s of a 2-s scan).
 */
static void share_add(struct sched_share *sh, double window, double n,
		      double sil)
{
	const double keep = 1.0 - 1.0 / window;

	sh->n = sh->n * keep + n;
	sh->sil = sh->sil * keep + sil;
}

/*
 * refused: the answer was a refusal.  A target that polices its RSTs
 * drops closed ports' answers alone, and a pace 8 % over its limit (no
 * event: the share of all first attempts falls 3 %) drops 8 % of them -
 * a chance that the open ports, never dropped, diluted to under 1 % in
 * the shares of all answers, so that three clean silences in a row ended
 * a closed port filtered (simulated /20 at 2,000 RSTs/s once a found
 * limit is not tested again, cc.c's limit_testable: one seed of 300).
 * These are the ports a wrong "filtered" would be of: their share counts
 * apart.
 */
static void drop_count(struct sched_drops *d, uint32_t clean, bool refused)
{
	share_add(&d->all, SCHED_DROP_WINDOW, clean + 1, clean);
	share_add(&d->recent, SCHED_DROP_SHORT, clean + 1, clean);
	share_add(&d->again, SCHED_DROP_AGAIN_WINDOW, clean,
		  clean ? clean - 1 : 0);
	if (refused)
		share_add(&d->refused, SCHED_DROP_SHORT, clean + 1, clean);
}

/* sh's silent share, if it is above p and counts min attempts or more. */
static double share_max(const struct sched_share *sh, double min, double p)
{
	return sh->n >= min && sh->sil / sh->n > p ? sh->sil / sh->n : p;
}

/* The drop chance d counts: 0 without enough evidence. */
static double drop_chance(const struct sched_drops *d)
{
	double p = share_max(&d->all, SCHED_DROP_MIN, 0);

	p = share_max(&d->recent, SCHED_DROP_MIN, p);
	p = share_max(&d->refused, SCHED_DROP_MIN, p);
	return share_max(&d->again, SCHED_DROP_AGAIN_MIN, p);
}

/*
 * The round trip of an answer to be sampled: rtt_ns, or 0 for an answer
 * that may be to the target's second SYN-ACK.  A target's TCP sends its
 * SYN-ACK again after its own initial RTO (a second: RFC 6298, Linux)
 * when the first was lost, and timed from our SYN that answer reads a
 * second over the path - Karn's ambiguity, the twin of the kernel's
 * second SYN under -sT (engine.c).  Not every late answer: a queue that
 * deep delivers in order, while a resent SYN-ACK comes after the answers
 * to sends long after its own.  So one at least SCHED_ANSWER_RESEND_NS
 * after its send that is behind the frontier by more than half of it is
 * a delay sample only (sched_delay, as the engines' delay_ns).  Traced
 * on a /20 -sS through 10,000 frames/s and 2,000 frames at 200 ms, 1 %
 * loss: samples of 1.2 s, 0.8 s behind the frontier, took the scan's
 * srtt from 200 to 296 ms near its end, every timeout after them to the
 * 1-s ceiling, and the scan from 5.4 to 8.6 s.
 */
static uint64_t answer_rtt(struct sched *s, const struct sched_probe *p,
			   uint64_t rtt_ns, uint64_t now_ns)
{
	uint64_t sent_ns;

	if (rtt_ns < SCHED_ANSWER_RESEND_NS || rtt_ns > now_ns)
		return rtt_ns;
	sent_ns = now_ns - rtt_ns;
	if (s->front_ns <= sent_ns + rtt_ns / 2)
		return rtt_ns;
	sched_delay(s, p, rtt_ns, now_ns);
	return 0;
}

/*
 * An answer to p (late: to an earlier attempt of it).  hround/ground: the
 * rounds it counts in - p's own, or CC_NO_ROUND for a withdrawn retry.
 * The engines give a late answer the RTT of the attempt it answered (or
 * none), so every answer's RTT is a sample: when a queue builds, the
 * answers that come after their attempts' timeouts are the very ones
 * that show it.
 */
static void answer_final(struct sched *s, const struct sched_probe *p,
			 uint64_t rtt_ns, uint64_t now_ns, bool late,
			 uint32_t hround, uint32_t ground, bool refused)
{
	struct sched_host *h;

	rtt_ns = answer_rtt(s, p, rtt_ns, now_ns);
	s->finished++;
	if (s->window < s->cfg.max_inflight)
		s->window++;
	if (!s->cfg.cc) {
		/* Only the round trip estimate of the group is used. */
		if (rtt_ns)
			cc_answered(&s->group, now_ns, 0, rtt_ns, false);
		return;
	}
	h = host_find(s, p->probe / s->cfg.nports);
	assert(h);
	cc_answered(&h->cc, now_ns, hround, rtt_ns, p->attempt == 0);
	cc_answered(&s->group, now_ns, ground, rtt_ns, p->attempt == 0);
	if (refused) {
		cc_refused(&h->cc, hround, p->attempt > 0 || late);
		cc_refused(&s->group, ground, p->attempt > 0 || late);
	}
	cc_final(&h->cc, false, p->attempt > 0 || late);
	cc_final(&s->group, false, p->attempt > 0 || late);
	if (p->clean > h->max_ans_clean)
		h->max_ans_clean = p->clean;
	if (p->clean > s->max_ans_clean)
		s->max_ans_clean = p->clean;
	if (!probe_udp(s, p->probe)) {
		if (!late && p->attempt > s->max_ans_attempt)
			s->max_ans_attempt = p->attempt;
		if (s->issued < s->total) {
			drop_count(&h->drops, p->clean, refused);
			drop_count(&s->drops, p->clean, refused);
		}
	}
	h->answered = true;
	s->answered[h->host % SCHED_ANSWERED] = h->host + 1;
	limit_answer(s, h, p, now_ns, late);
	events_check(s, h);
	host_put(s, h);
}

void sched_answer_sent(struct sched *s, uint64_t sent_ns, uint64_t now_ns)
{
	if (!sent_ns || sent_ns > now_ns)
		return;
	if (sent_ns > s->front_ns)
		s->front_ns = sent_ns;
	s->front_at_ns = now_ns;
}

/* An answer to an attempt that was out. */
static void answer(struct sched *s, const struct sched_probe *p,
		   uint64_t rtt_ns, uint64_t now_ns, bool late, uint32_t hround,
		   uint32_t ground, bool refused)
{
	assert(s->inflight > 0);
	s->inflight--;
	answer_final(s, p, rtt_ns, now_ns, late, hround, ground, refused);
}

void sched_delay(struct sched *s, const struct sched_probe *p,
		 uint64_t delay_ns, uint64_t now_ns)
{
	struct sched_host *h;

	if (!s->cfg.cc)
		return;
	h = host_find(s, p->probe / s->cfg.nports);
	if (h)
		cc_delay(&h->cc, now_ns, delay_ns);
	cc_delay(&s->group, now_ns, delay_ns);
}

void sched_extra(struct sched *s, const struct sched_probe *p, uint32_t frames)
{
	struct sched_host *h;

	if (!s->cfg.cc)
		return;
	h = host_find(s, p->probe / s->cfg.nports);
	if (h)
		cc_extra(&h->cc, frames);
	cc_extra(&s->group, frames);
}

/* Take entry i out of the heap (it rises to the top first). */
static struct sched_entry heap_take(struct sched *s, uint32_t i)
{
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		struct sched_entry t = s->heap[parent];

		s->heap[parent] = s->heap[i];
		s->heap[i] = t;
		i = parent;
	}
	return heap_pop(s);
}

/*
 * The heap is searched from end to end: early answers come only to
 * attempts that timed out and were answered after all, a few thousand in
 * a scan behind a deep queue, and the heap holds at most twice the
 * in-flight window.
 */
bool sched_early(struct sched *s, const struct sched_probe *p, uint64_t rtt_ns,
		 uint64_t sent_ns, uint64_t now_ns, bool refused)
{
	struct sched_entry e;
	uint32_t i;

	for (i = 0; i < s->heap_len; i++)
		if (s->heap[i].p.probe == p->probe)
			break;
	if (i == s->heap_len)
		return false;
	e = heap_take(s, i);
	sched_answer_sent(s, sent_ns, now_ns);
	s->withdrawn++;
	answer_final(s, &e.p, rtt_ns, now_ns, true, CC_NO_ROUND, CC_NO_ROUND,
		     refused);
	return true;
}

void sched_answered(struct sched *s, const struct sched_probe *p,
		    uint64_t rtt_ns, uint64_t now_ns, bool late)
{
	if (late && p->attempt > 0)
		s->spurious++;
	answer(s, p, rtt_ns, now_ns, late, p->hround, p->ground, false);
}

void sched_refused(struct sched *s, const struct sched_probe *p,
		   uint64_t rtt_ns, uint64_t now_ns, bool late)
{
	if (late && p->attempt > 0)
		s->spurious++;
	answer(s, p, rtt_ns, now_ns, late, p->hround, p->ground, true);
}

void sched_withdrawn(struct sched *s, const struct sched_probe *p,
		     uint64_t rtt_ns, uint64_t now_ns)
{
	s->withdrawn++;
	s->attempts--;
	if (p->attempt > 0)
		s->retries--;
	if (s->cfg.cc) {
		struct sched_host *h = host_find(s, p->probe / s->cfg.nports);

		assert(h);
		cc_unsent(&h->cc, p->hround);
		cc_unsent(&s->group, p->ground);
	}
	answer(s, p, rtt_ns, now_ns, true, CC_NO_ROUND, CC_NO_ROUND, false);
}

static uint64_t backoff_ns(uint32_t attempt)
{
	if (attempt >= SCHED_BACKOFF_SHIFT_MAX ||
	    (SCHED_BACKOFF_BASE_NS << attempt) > SCHED_BACKOFF_MAX_NS)
		return SCHED_BACKOFF_MAX_NS;
	return SCHED_BACKOFF_BASE_NS << attempt;
}

/* Silences in a row k that the probes left expect d^k times, under
 * SCHED_DROP_WRONG in all (0 < d < 0.5). */
static double silences_for(const struct sched *s, double d)
{
	double left = (double)(s->total - s->finished);

	if (left < 1)
		left = 1;
	return ceil(log(SCHED_DROP_WRONG / left) / log(d));
}

/* Silences in a row for drop chance d (drop_need); 0 for no chance. */
static uint32_t drop_need_at(const struct sched *s, double d)
{
	double k;

	if (d <= 0)
		return 0;
	if (d >= 0.5)
		return UINT16_MAX;
	k = silences_for(s, d);
	return k < UINT16_MAX ? (uint32_t)k : UINT16_MAX;
}

/*
 * The clean silences that make a port of host h filtered beyond doubt at
 * the drop chance its answers show: d, the share of clean attempts that
 * were silent among probes answered in the end (the host's, or the whole
 * scan's, whichever is higher), and k silences in a row, which the probes
 * left - all of them, as if every one answered - expect d^k times.  nmap's
 * rule below only follows the worst probe seen so far: targets that
 * answer 200 RSTs/s, scanned at a pace a few per cent over it, drop that
 * share of every attempt for minutes with no event to say so, and the
 * rule learns that five silences in a row happen only after a port has
 * had them and ended filtered (a closed port or three of 8,000 in 15 of
 * 360 simulated /20s; one of 65,535 in some runs on the testbed).  The
 * share "again" - silences that follow a silence - is counted apart:
 * open ports past an RST limit are never dropped and dilute the first
 * share, and drops that come in spells make a second silence likelier
 * than a first.  0: no evidence yet, or not such a probe.
 */
static uint32_t drop_need(const struct sched *s, const struct sched_host *h,
			  uint64_t probe)
{
	double d, hd;

	/* Only for TCP probes of hosts that answered: see drop_count. */
	if (!h || !h->answered || probe_udp(s, probe))
		return 0;
	d = drop_chance(&s->drops);
	hd = drop_chance(&h->drops);
	return drop_need_at(s, hd > d ? hd : d);
}

/*
 * The base of the retry limit when --retries was not given: retries + 1
 * clean silences until the scan has answers to judge its drops by, then
 * as many as make the probes left expect under SCHED_DROP_WRONG wrong
 * answers at the scan's silent share counted one silence high - a clean
 * path proves little loss, not none - and never fewer than
 * SCHED_BASE_MIN.  Only lowers the base: drop_need and nmap's rule
 * raise it on the same evidence.  On a clean path the scan's last
 * filtered ports then end after two clean silences, as nmap's do (one
 * retransmission), not four: a 40-ms path's tail was four timeouts of
 * ~150 ms after the last first attempt, 0.6 s of a 2-s scan of one host
 * through 50,000 frames/s.  TCP only, as drop_need: a UDP silence is
 * the ICMP budget's as often as a filter's.
 */
static uint32_t evidence_base(const struct sched *s, uint64_t probe,
			      uint32_t need)
{
	const struct sched_share *all = &s->drops.all;
	double d, k;

	if (!s->cfg.retries_auto || probe_udp(s, probe) ||
	    all->n < SCHED_DROP_MIN || need <= SCHED_BASE_MIN)
		return need;
	d = (all->sil + 1) / (all->n + 1);
	if (d >= 0.5)
		return need;
	k = silences_for(s, d);
	if (k < SCHED_BASE_MIN)
		k = SCHED_BASE_MIN;
	return k < need ? (uint32_t)k : need;
}

/*
 * Clean silent attempts that make a probe of host h final: retries + 1,
 * or one more than any probe ever needed before it was answered after
 * all (nmap's rule, on clean attempts only: a silence during congestion
 * already does not count).  nmap keeps it per host; here the whole
 * scan's count applies too, to hosts that answer: a subnet scanned a few
 * ports per host gives no host the chance to learn it alone, and the
 * firewall or RST limit that made its silences lie is usually shared.
 */
static uint32_t clean_needed(const struct sched *s, const struct sched_host *h,
			     uint64_t probe, uint32_t drop)
{
	uint32_t need = s->cfg.retries + 1, seen;

	/*
	 * A host that has not answered: its silences tell nothing of its
	 * own drops, and neither rule above applies - but its first probe
	 * may be a closed port behind the same RST limit, and at 200
	 * RSTs/s four drops in a row passed for filtered (1-3 runs of
	 * 1,000 simulated /20s).  One silence more when the scan's drop
	 * chance asks more, and in a scan limited by its refusals (cc_kind)
	 * the whole drop need: there a closed port of a host not heard from
	 * yet is silenced at the refusals' drop chance, the filled pace
	 * (cc.c, kind_fill) keeps that chance at a few per cent all through
	 * the scan, and one such port ended filtered after five clean
	 * silences in 130 simulated /20s at 200 RSTs/s.  Not everywhere: a
	 * dead host's probes wait it out, which cost the 200-500 RSTs/s /20s
	 * 1.5-2 % when measured for every scan; in the kind-limited ones,
	 * with the fill, 0.2 %.
	 */
	if (!h->answered) {
		uint32_t scan_need;

		if (probe_udp(s, probe))
			return need;
		scan_need = drop_need_at(s, drop_chance(&s->drops));
		if (scan_need > need)
			need = cc_kind(&s->group) ? scan_need : need + 1;
		return need;
	}
	need = evidence_base(s, probe, need);
	seen = h->max_ans_clean > s->max_ans_clean ? h->max_ans_clean :
						     s->max_ans_clean;
	if (seen + 2 > need)
		need = seen + 2;
	return drop > need ? drop : need;
}

static uint32_t max_attempt(const struct sched *s)
{
	return s->cfg.max_retries > s->cfg.retries ? s->cfg.max_retries :
						     s->cfg.retries;
}

/*
 * The last attempt of TCP or UDP probe `probe` with `clean` clean
 * silences: max_attempt, or twice as many when the drop chance asks more
 * clean silences of it (drop, from drop_need) than it had.  Those are
 * probes whose attempts were mostly lost to congestion: a scan that
 * starts at 12,000/s into a host answering 200 RSTs/s is congested for
 * its first seconds, and its first probes had seven unclean silences and
 * four "clean" ones by their eleventh attempt, while the answers showed
 * over half of all attempts lost (44 closed ports filtered in one run of
 * 1-65535, 3,564 in another).
 * Only on that evidence: a scan whose silences are never clean (a
 * loopback scan with a filtered host, whose rounds after the first pass
 * are all retries) loses nothing, and doubling its filtered ports'
 * attempts took seconds.
 *
 * And, for TCP, one attempt past the latest that any port of the scan
 * had answered in time (nmap's rule, on every attempt, up to the same
 * twice): a scan congested all through - a /20 through 2,000 frames/s and
 * a 50-frame queue - counts few silences clean, the drop chance then has
 * little to show, and a port can be silent through every one of its
 * attempts while others are answered at their tenth.  (Not UDP: ICMP's
 * budget answers retries for a reason of its own, and its ports wait a
 * second an attempt.)
 */
static uint32_t attempt_cap(const struct sched *s, uint64_t probe,
			    uint32_t drop, uint32_t clean)
{
	uint32_t m = max_attempt(s), cap = drop > clean ? 2 * m + 1 : m;

	if (!probe_udp(s, probe) && s->max_ans_attempt + 1 > cap)
		cap = s->max_ans_attempt + 1 < 2 * m + 1 ?
			      s->max_ans_attempt + 1 :
			      2 * m + 1;
	return cap;
}

/*
 * How far the timeout p would get now exceeds the one it was sent with (0
 * unless by a quarter at least, or unknown).  Such a rise is the path's
 * round trip growing - a queue filling - while p was out: its answer may
 * still be on the way.  Measured through a second of buffer: 1,558
 * retries of 65,535 probes went out before the answer to the attempt
 * before them came.
 */
static uint64_t timeout_rise_ns(const struct sched *s,
				const struct sched_probe *p)
{
	uint64_t was = (uint64_t)p->tmo_us * 1000, now;
	bool last;

	if (!was)
		return 0;
	now = sched_probe_timeout_ns(s, p, &last);
	return now > was + was / 4 ? now - was : 0;
}

bool sched_timed_out(struct sched *s, const struct sched_probe *p,
		     uint64_t now_ns)
{
	struct sched_probe next = *p;
	struct sched_host *h;
	bool clean, group_clean, unproven;
	uint64_t due, rise, sent_ns, front;
	uint32_t drop;

	assert(s->inflight > 0);
	s->inflight--;
	if (!s->cfg.cc) {
		if (p->attempt >= s->cfg.retries) {
			s->finished++;
			return false;
		}
		next.attempt++;
		heap_push(s, now_ns + backoff_ns(next.attempt), &next);
		return true;
	}
	/* With cc the pace already follows the path: no growing backoff. */
	h = host_find(s, p->probe / s->cfg.nports);
	assert(h);
	/*
	 * Drops are judged on first attempts (see cc_answered).  For one
	 * host, only once it has answered something: a host that is down or
	 * filters everything says nothing about the path.  For the whole
	 * scan, every first attempt: a firewall that polices a whole subnet
	 * silences hosts before any of them could answer, and the share of
	 * dead hosts in a permuted scan does not change as it goes.
	 */
	cc_silent(&h->cc, now_ns, p->hround,
		  p->attempt == 0 && h->cc.answered > 0);
	cc_silent(&s->group, now_ns, p->ground, p->attempt == 0);
	if (p->attempt == 0) {
		cc_first_timeout(&h->cc);
		cc_first_timeout(&s->group);
	}
	events_check(s, h);
	/*
	 * A silence counts when nothing suggests a drop: the whole scan was
	 * clean around this attempt, and so was its host - or the host has
	 * never answered anything (down, or filtering every port we tried),
	 * so that its own controller knows nothing.
	 */
	/*
	 * An attempt sent before the scan had any answer was sent blind:
	 * startup's first burst (50 probes at 10,000/s) goes out before the
	 * first RST can say that the target polices them.  scope_dirty could
	 * not flag it (a scope that never answered says nothing), but once
	 * the scan has answers its silence is no evidence: behind a host
	 * that answers 1,000 RSTs/s (burst 5) most closed ports of that
	 * burst went silent, each counted it, and in one traced run of
	 * t_cc_ratelimit one of them ended filtered after three more
	 * silences at a pace a third over the limit.
	 */
	/*
	 * Nor a silence from a round that outran the answers of a scan
	 * answered nearly all in refusals: traced, a host answering 1,000
	 * RSTs/s was paced at 1,334/s in cruise rounds between limit-test
	 * rounds at half that (every round retries, no verdict), a quarter
	 * of its closed ports' attempts dropped there and counted clean,
	 * and one run in ten of t_cc_ratelimit ended a closed port
	 * filtered after four of them.
	 */
	sent_ns = sent_at(p, now_ns);
	unproven = ((p->flags & SCHED_F_BLIND) && s->group.answered) ||
		   cc_over_answers(&s->group, p->ground);
	group_clean = !unproven &&
		      ((!(p->flags & SCHED_F_DIRTY_GROUP) &&
			cc_clean(&s->group, now_ns)) ||
		       cc_quiet(&s->group, p->ground, now_ns, sent_ns));
	clean = group_clean && (!h->cc.answered ||
				(!(p->flags & SCHED_F_DIRTY_HOST) &&
				 cc_clean(&h->cc, now_ns)) ||
				cc_quiet(&h->cc, p->hround, now_ns, sent_ns));
	/*
	 * Sent before the host's last answer-limit cut, or since it while
	 * the new pace is unproven (a window of SCHED_LIMIT_WINDOW_NS
	 * without an answered retry has not gone by): too fast to tell.
	 * A first cut's pace can still be over the limit (the burst's
	 * answers are in its measure), and silences counted at it ended
	 * a closed port open|filtered before the next cut.
	 */
	if (h->cuts &&
	    ((int32_t)(p->hround - h->lim_seq) < 0 || h->lim_retry > 0 ||
	     now_ns - h->lim_start_ns < SCHED_LIMIT_WINDOW_NS))
		clean = false;
	rise = timeout_rise_ns(s, p);
	/* An answer the frontier says is still on the way: not a silence. */
	front = retry_front_ns(s, p, now_ns);
	if (front > rise)
		rise = front;
	if (rise)
		clean = false;
	if (clean)
		next.clean++;
	drop = drop_need(s, h, p->probe);
	if (next.clean >= clean_needed(s, h, p->probe, drop) ||
	    p->attempt >= attempt_cap(s, p->probe, drop, next.clean)) {
		s->finished++;
		cc_final(&h->cc, true, true);
		cc_final(&s->group, true, true);
		host_put(s, h);
		return false;
	}
	next.attempt++;
	next.flags = 0;
	if ((int32_t)(p->hround - h->lim_seq) >= 0)
		next.flags = (uint8_t)(SCHED_F_PREV_PACED |
				       (h->cuts & 15) << SCHED_F_CUT_SHIFT);
	/*
	 * The pace follows the path, so a silence is retried at once -
	 * unless the whole scan was congested around it: then it backs off,
	 * doubling with each such silence.  Retried every RTO into an
	 * overload, closed ports of a policed /20 used their ten attempts in
	 * the scan's first 1.5 s, before the pace had come down, and ended
	 * filtered.  (A host's own startup makes its silences unclean too,
	 * and on a subnet scanned a few ports a host that is always; that
	 * alone is no reason to wait.)
	 */
	if (!group_clean && next.backoff < UINT8_MAX)
		next.backoff++;
	due = group_clean ? SCHED_BACKOFF_BASE_NS : backoff_ns(next.backoff);
	/*
	 * But not in the last second of a scan whose target limits its
	 * RSTs: the pace is under the estimate there and nothing new comes
	 * to overload it, so a silence that an event made unclean is tried
	 * again as soon as that event stops counting (a moment after: an
	 * attempt sent while it counts is dirty).  Traced on a /20 policed
	 * at 2,000 RSTs/s, a filtered port whose silences from 2.0 to 4.5 s
	 * all fell near an event had backed off to half a second, and an
	 * event judged on the last first attempts cost its last clean
	 * silences that much each: the scan's tail after its last first
	 * attempt took 0.9-1.0 s instead of 0.3-0.4 in half the runs.  Only
	 * after an event (the scan's silences then stay unclean until a
	 * round vouches for it, which the last second may not have): in a
	 * scan that has had none, a silence unclean for another reason (sent
	 * blind or while the scan was dirty, or in a round that outran the
	 * answers) keeps its backoff.
	 */
	if (!group_clean && s->group.had_event && s->group.end_rate > 0 &&
	    cc_kind(&s->group)) {
		uint64_t at =
			cc_event_clears_ns(&s->group) + SCHED_CLEARS_SLACK_NS;
		uint64_t wait = SCHED_BACKOFF_BASE_NS;

		if (at > now_ns + wait)
			wait = at - now_ns;
		if (wait < due)
			due = wait;
	}
	if (due < rise)
		due = rise;
	if (probe_udp(s, p->probe) && due < SCHED_UDP_RETRY_NS)
		due = SCHED_UDP_RETRY_NS;
	heap_push(s, now_ns + due, &next);
	return true;
}

void sched_deferred(struct sched *s, const struct sched_probe *p,
		    uint64_t now_ns)
{
	uint32_t w;

	assert(s->inflight > 0);
	s->inflight--;
	s->deferred++;
	heap_push(s, now_ns + SCHED_DEFER_NS, p);
	w = s->inflight / 4 * 3 + s->inflight % 4 * 3 / 4;
	if (w < SCHED_MIN_WINDOW)
		w = SCHED_MIN_WINDOW;
	if (w < s->window)
		s->window = w;
}

uint64_t sched_timeout_ns(const struct sched *s)
{
	if (s->cfg.timeout_ns)
		return s->cfg.timeout_ns;
	return cc_rto_ns(&s->group);
}

static uint64_t backed_off(const struct sched *s, uint64_t t, uint32_t attempt)
{
	uint64_t cap = rto_max(&s->cfg);

	/* x1.5 per retry: a path that stalls for a moment (a busy router, a
	 * starved emulator) cannot time out every attempt of a probe. */
	for (uint32_t a = 0; a < attempt && t < cap; a++)
		t += t / 2;
	return t < cap ? t : cap;
}

uint64_t sched_attempt_timeout_ns(const struct sched *s, uint32_t attempt)
{
	uint64_t t = sched_timeout_ns(s);

	if (s->cfg.timeout_ns || !cc_have_rtt(&s->group))
		return t;
	return backed_off(s, t, attempt);
}

/*
 * Whose RTT samples time a probe of host h: its own once it has
 * SCHED_HOST_RTT_SAMPLES of them, else the whole scan's (answer() gives
 * it every host's, so a host never has a sample the scan lacks); NULL
 * before any sample.  A host's first sample sets its rttvar
 * to half the RTT (RFC 6298), and a few more hardly lower it: on a /20
 * scanned five ports per host, hosts answered in a queue of 100 ms asked
 * 300-600 ms of their filtered port's retries long after the queue had
 * drained, where the scan's thousands of samples asked the 100-ms floor.
 */
static const struct cc *rtt_scope(const struct sched *s,
				  const struct sched_host *h)
{
	if (h && cc_rtt_samples(&h->cc) >= SCHED_HOST_RTT_SAMPLES)
		return &h->cc;
	return cc_have_rtt(&s->group) ? &s->group : NULL;
}

/*
 * An attempt's timeout from scope's samples.  The RTO already follows the
 * path; a retry waits a quarter longer (at most twice) only against a path
 * that stalls for a moment (cc_rto_grown_ns: a quarter of the path's own
 * RTO, not of the floor, and none where the samples agree).
 */
static uint64_t scope_timeout(const struct cc *scope, uint32_t attempt)
{
	return cc_rto_grown_ns(scope, attempt < 2 ? attempt : 2);
}

static const struct sched_host *probe_host(const struct sched *s,
					   const struct sched_probe *p)
{
	if (!s->cfg.cc)
		return NULL;
	return host_find((struct sched *)s, p->probe / s->cfg.nports);
}

/* sched_probe_timeout_ns for p of host h (probe_host). */
static uint64_t probe_timeout(const struct sched *s, const struct sched_host *h,
			      const struct sched_probe *p, bool *last)
{
	const struct cc *scope;
	uint32_t drop;

	if (!s->cfg.cc) {
		*last = p->attempt >= s->cfg.retries;
		return sched_attempt_timeout_ns(s, p->attempt);
	}
	drop = drop_need(s, h, p->probe);
	*last = p->attempt >= attempt_cap(s, p->probe, drop, p->clean);
	if (s->cfg.timeout_ns)
		return sched_attempt_timeout_ns(s, p->attempt);
	if (h && !*last)
		*last = (uint32_t)p->clean + 1 >=
				clean_needed(s, h, p->probe, drop) &&
			!(p->flags &
			  (SCHED_F_DIRTY_HOST | SCHED_F_DIRTY_GROUP));
	scope = rtt_scope(s, h);
	if (!scope)
		return rto_init(&s->cfg);
	return scope_timeout(scope, p->attempt);
}

uint64_t sched_probe_timeout_ns(const struct sched *s,
				const struct sched_probe *p, bool *last)
{
	return probe_timeout(s, probe_host(s, p), p, last);
}

/*
 * Two timeouts of listening after the report overshoot where the timeout
 * is the floor's rather than the path's: 40 ms of round trip with 2 ms of
 * jitter asks ~60 ms, the floor makes it 100-156, and a filtered port's
 * last attempt, waiting twice that to outlast its predecessor, ended
 * one-host WAN scans 0.3 s after their last answer.  Once the pace has been
 * one the answers confirm (cc_cruised: the whole scan's, and the host's if
 * its own samples time the probe - a host scanned on five ports never
 * leaves startup), an answer later than the report plus twice what the
 * samples ask is a queue they would have shown; the floor still bounds it
 * from below (a veth's 0.1 ms says nothing of a starved scheduler).  Until
 * then, two full timeouts: a scan's first burst into a second of buffer is
 * answered long after anything its samples yet show, and listening less
 * lost those answers, cut the pace to a quarter and made the scan 7 %
 * slower.
 */
static uint64_t probe_linger(const struct sched *s, const struct sched_host *h,
			     const struct sched_probe *p, uint64_t tmo_ns)
{
	const struct cc *scope;
	uint64_t l;

	if (s->cfg.timeout_ns)
		return 0;
	/* UDP (no linger; its last attempt's wait is for itself): as before. */
	if (!s->cfg.cc || probe_udp(s, p->probe) || !cc_cruised(&s->group))
		return 2 * tmo_ns;
	/*
	 * A connect to a host that has not cruised listens two of the
	 * timeouts the host's own samples ask, however few: the scan's
	 * samples time its retries (rtt_scope), but listening costs only a
	 * slot, and the cautious window catches the answer to the SYN the
	 * kernel sends again after a second.  With the scan's timeouts and
	 * the listening they ask, a /20 through a 2,000 frames/s link with a
	 * 50-frame queue, 200 ms, ended one grid run of three with 13 open
	 * ports filtered (-sT; none in nine runs by hand, none in some
	 * fifteen before).  -sS has no such second SYN, and its last attempt
	 * waiting that long cost the 10,000 frames/s /20 a second.
	 */
	if (s->cfg.tcp_connect && h && !cc_cruised(&h->cc)) {
		l = cc_have_rtt(&h->cc) ? scope_timeout(&h->cc, p->attempt) :
					  tmo_ns;
		return 2 * (l > tmo_ns ? l : tmo_ns);
	}
	scope = rtt_scope(s, h);
	if (!scope || !cc_cruised(scope))
		return 2 * tmo_ns;
	l = 2 * cc_rto_path_ns(scope);
	if (l < rto_min(&s->cfg))
		l = rto_min(&s->cfg);
	return l < 2 * tmo_ns ? l : 2 * tmo_ns;
}

uint64_t sched_probe_linger_ns(const struct sched *s,
			       const struct sched_probe *p, uint64_t tmo_ns)
{
	return probe_linger(s, probe_host(s, p), p, tmo_ns);
}

void sched_probe_waits(const struct sched *s, struct sched_probe *p,
		       uint64_t *tmo_ns, uint64_t *linger_ns)
{
	const struct sched_host *h = probe_host(s, p);
	uint64_t tmo, l;
	bool last;

	tmo = probe_timeout(s, h, p, &last);
	p->tmo_us = tmo / 1000 > UINT32_MAX ? UINT32_MAX :
					      (uint32_t)(tmo / 1000);
	l = probe_linger(s, h, p, tmo);
	*linger_ns = 0;
	if (last)
		tmo = l > tmo ? l : tmo;
	else
		*linger_ns = l;
	*tmo_ns = tmo;
}

static uint64_t cc_wake_ns(const struct sched *s, uint64_t now_ns)
{
	uint64_t ready = UINT64_MAX, g;

	if (new_allowed(s)) {
		uint64_t host = next_new_probe(s) / s->cfg.nports;
		const struct sched_host *h = host_find((struct sched *)s, host);

		if (!h)
			ready = s->nhosts < SCHED_HOSTS / 2 ? 0 : UINT64_MAX;
		else if (s->heap_len < s->heap_cap / 2)
			ready = 0; /* parked if it has no token */
		else
			ready = cc_wait_ns(&h->cc, now_ns);
	}
	if (s->heap_len > 0) {
		uint64_t due = s->heap[0].due_ns > now_ns ?
				       s->heap[0].due_ns - now_ns :
				       0;

		if (due < ready)
			ready = due;
	}
	if (ready == UINT64_MAX)
		return UINT64_MAX;
	g = s->rl_started ? cc_wait_ns(&s->group, now_ns) : 0;
	return ready > g ? ready : g;
}

uint64_t sched_wake_ns(const struct sched *s, uint64_t now_ns)
{
	uint64_t ready, token;

	if (s->inflight >= s->window)
		return UINT64_MAX;
	if (s->cfg.cc)
		return cc_wake_ns(s, now_ns);
	if (new_allowed(s))
		ready = 0;
	else if (s->heap_len > 0)
		ready = s->heap[0].due_ns > now_ns ?
				s->heap[0].due_ns - now_ns :
				0;
	else
		return UINT64_MAX;
	/*
	 * Both conditions only become truer with time, so the first moment
	 * both hold is the later of the two.
	 */
	token = s->rl_started ? ratelimit_wait_ns(&s->rl, now_ns) : 0;
	return ready > token ? ready : token;
}

bool sched_finished(const struct sched *s)
{
	return s->issued == s->total && s->inflight == 0 && s->heap_len == 0;
}

void sched_get_stats(const struct sched *s, struct sched_stats *st)
{
	*st = (struct sched_stats){
		.total = s->total,
		.issued = s->issued,
		.attempts = s->attempts,
		.retries = s->retries,
		.deferred = s->deferred,
		.finished = s->finished,
		.spurious = s->spurious,
		.withdrawn = s->withdrawn,
		.cc_events = s->group.events,
		.inflight = s->inflight,
		.queued = s->heap_len,
		.window = s->window,
		.hosts = s->nhosts,
		.rate = s->cfg.cc ? cc_rate(&s->group) : (double)s->cfg.rate,
	};
}

uint32_t sched_queued(const struct sched *s, struct sched_probe *out,
		      uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->heap_len && n < max; i++, n++)
		out[n] = s->heap[i].p;
	return n;
}

int sched_restore(struct sched *s, uint64_t issued,
		  const struct sched_probe *pending, uint32_t n)
{
	if (issued > s->total || s->issued || s->heap_len || s->inflight ||
	    n > s->heap_cap || n > issued)
		return -EINVAL;
	if (s->cfg.cc && n > SCHED_HOSTS / 2) {
		/* Each pending probe may need a host entry. */
		for (uint32_t i = 0; i < n; i++)
			if (!host_find(s, pending[i].probe / s->cfg.nports) &&
			    s->nhosts >= SCHED_HOSTS / 2)
				return -EINVAL;
	}
	s->issued = issued;
	s->finished = issued - n;
	/* Due at once: they were in flight or waiting when the scan stopped. */
	for (uint32_t i = 0; i < n; i++) {
		struct sched_probe p = {
			.probe = pending[i].probe,
			.attempt = pending[i].attempt,
		};

		if (s->cfg.cc) {
			if (!host_get(s, p.probe / s->cfg.nports, 0))
				return -EINVAL;
		}
		heap_push(s, 0, &p);
	}
	return 0;
}
