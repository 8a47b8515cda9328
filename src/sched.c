/*
 * sched.c - the order and timing of every attempt.
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
#include <stdlib.h>

#include "permute.h"
#include "ratelimit.h"
#include "sched.h"

#define SCHED_RTT_SAMPLE_MAX 60000000000ULL /* 60 s; beyond is nonsense */
#define SCHED_BACKOFF_SHIFT_MAX 32 /* BASE << 32 is far above the cap */

struct sched_entry {
	uint64_t due_ns;
	uint64_t probe;
	uint32_t attempt;
};

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

	bool have_rtt;
	uint64_t srtt_ns;
	uint64_t rttvar_ns;
};

/* Cursor positions shard_index, shard_index + shard_count, ... < nprobes. */
static uint64_t shard_total(const struct sched_config *cfg)
{
	if (cfg->nprobes <= cfg->shard_index)
		return 0;
	return (cfg->nprobes - 1 - cfg->shard_index) / cfg->shard_count + 1;
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
		ret = permute_init(&perm, cfg->nprobes, cfg->seed);
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
	*out = s;
	return 0;

out_free_sched:
	free(s);
	return -ENOMEM;
}

void sched_free(struct sched *s)
{
	if (!s)
		return;
	free(s->heap);
	free(s);
}

static void heap_push(struct sched *s, uint64_t due_ns, uint64_t probe,
		      uint32_t attempt)
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
	s->heap[i].probe = probe;
	s->heap[i].attempt = attempt;
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

uint32_t sched_next(struct sched *s, uint64_t now_ns, struct sched_probe *out,
		    uint32_t max)
{
	uint32_t n = 0;

	if (!s->rl_started) {
		ratelimit_init(&s->rl, s->cfg.rate, now_ns);
		s->rl_started = true;
	}
	while (n < max && s->inflight < s->window) {
		bool retry = s->heap_len > 0 && s->heap[0].due_ns <= now_ns;

		if (!retry && !new_allowed(s))
			break;
		if (ratelimit_take(&s->rl, now_ns, 1) == 0)
			break;
		if (retry) {
			struct sched_entry e = heap_pop(s);

			out[n].probe = e.probe;
			out[n].attempt = e.attempt;
			if (e.attempt > 0)
				s->retries++;
		} else {
			out[n].probe =
				permute_shard_at(&s->perm, s->cfg.shard_index,
						 s->cfg.shard_count, s->issued);
			out[n].attempt = 0;
			s->issued++;
		}
		s->attempts++;
		s->inflight++;
		n++;
	}
	return n;
}

static void rtt_sample(struct sched *s, uint64_t rtt_ns)
{
	uint64_t diff;

	if (rtt_ns > SCHED_RTT_SAMPLE_MAX)
		rtt_ns = SCHED_RTT_SAMPLE_MAX;
	if (!s->have_rtt) {
		s->srtt_ns = rtt_ns;
		s->rttvar_ns = rtt_ns / 2;
		s->have_rtt = true;
		return;
	}
	/* RFC 6298 2.3: rttvar uses the old srtt, so it is updated first. */
	diff = s->srtt_ns > rtt_ns ? s->srtt_ns - rtt_ns : rtt_ns - s->srtt_ns;
	s->rttvar_ns = s->rttvar_ns - s->rttvar_ns / 4 + diff / 4;
	s->srtt_ns = s->srtt_ns - s->srtt_ns / 8 + rtt_ns / 8;
}

void sched_answered(struct sched *s, const struct sched_probe *p,
		    uint64_t rtt_ns)
{
	(void)p;
	assert(s->inflight > 0);
	s->inflight--;
	s->finished++;
	if (s->window < s->cfg.max_inflight)
		s->window++;
	if (rtt_ns)
		rtt_sample(s, rtt_ns);
}

static uint64_t backoff_ns(uint32_t attempt)
{
	if (attempt >= SCHED_BACKOFF_SHIFT_MAX ||
	    (SCHED_BACKOFF_BASE_NS << attempt) > SCHED_BACKOFF_MAX_NS)
		return SCHED_BACKOFF_MAX_NS;
	return SCHED_BACKOFF_BASE_NS << attempt;
}

bool sched_timed_out(struct sched *s, const struct sched_probe *p,
		     uint64_t now_ns)
{
	assert(s->inflight > 0);
	s->inflight--;
	if (p->attempt >= s->cfg.retries) {
		s->finished++;
		return false;
	}
	heap_push(s, now_ns + backoff_ns(p->attempt + 1), p->probe,
		  p->attempt + 1);
	return true;
}

void sched_deferred(struct sched *s, const struct sched_probe *p,
		    uint64_t now_ns)
{
	uint32_t w;

	assert(s->inflight > 0);
	s->inflight--;
	s->deferred++;
	heap_push(s, now_ns + SCHED_DEFER_NS, p->probe, p->attempt);
	w = s->inflight / 4 * 3 + s->inflight % 4 * 3 / 4;
	if (w < SCHED_MIN_WINDOW)
		w = SCHED_MIN_WINDOW;
	if (w < s->window)
		s->window = w;
}

uint64_t sched_timeout_ns(const struct sched *s)
{
	uint64_t rto;

	if (s->cfg.timeout_ns)
		return s->cfg.timeout_ns;
	if (!s->have_rtt)
		return SCHED_INIT_TIMEOUT_NS;
	rto = s->srtt_ns + 4 * s->rttvar_ns;
	if (rto < SCHED_MIN_TIMEOUT_NS)
		return SCHED_MIN_TIMEOUT_NS;
	if (rto > SCHED_MAX_TIMEOUT_NS)
		return SCHED_MAX_TIMEOUT_NS;
	return rto;
}

uint64_t sched_attempt_timeout_ns(const struct sched *s, uint32_t attempt)
{
	uint64_t t = sched_timeout_ns(s);

	if (s->cfg.timeout_ns || !s->have_rtt)
		return t;
	/* x1.5 per retry: a path that stalls for a moment (a busy router, a
	 * starved emulator) cannot time out every attempt of a probe. */
	for (uint32_t a = 0; a < attempt && t < SCHED_MAX_TIMEOUT_NS; a++)
		t += t / 2;
	return t < SCHED_MAX_TIMEOUT_NS ? t : SCHED_MAX_TIMEOUT_NS;
}

uint64_t sched_wake_ns(const struct sched *s, uint64_t now_ns)
{
	uint64_t ready, token;

	if (s->inflight >= s->window)
		return UINT64_MAX;
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
	st->total = s->total;
	st->issued = s->issued;
	st->attempts = s->attempts;
	st->retries = s->retries;
	st->deferred = s->deferred;
	st->finished = s->finished;
	st->inflight = s->inflight;
	st->queued = s->heap_len;
	st->window = s->window;
}

uint32_t sched_queued(const struct sched *s, struct sched_probe *out,
		      uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->heap_len && n < max; i++, n++) {
		out[n].probe = s->heap[i].probe;
		out[n].attempt = s->heap[i].attempt;
	}
	return n;
}

int sched_restore(struct sched *s, uint64_t issued,
		  const struct sched_probe *pending, uint32_t n)
{
	if (issued > s->total || s->issued || s->heap_len || s->inflight ||
	    n > s->heap_cap || n > issued)
		return -EINVAL;
	s->issued = issued;
	s->finished = issued - n;
	/* Due at once: they were in flight or waiting when the scan stopped. */
	for (uint32_t i = 0; i < n; i++)
		heap_push(s, 0, pending[i].probe, pending[i].attempt);
	return 0;
}
