/*
 * test_scheduler.c - the scheduler against simulated time and a simulated
 * engine.
 *
 * The small tests pin single rules with hand-computed numbers: backoff
 * times, window arithmetic, the RTO formula, what sched_wake_ns promises.
 * The simulation then runs whole scans with random answers, timeouts and
 * deferrals, event by event, and checks the invariants on every step: each
 * probe's first attempt exactly once, attempts in order, every probe final
 * exactly once, in-flight within bounds, and that a finite wake time is
 * honest (sched_next really hands something out then) while an infinite one
 * only happens with something in flight.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mix.h"
#include "scheduler.h"

#define MS 1000000ULL
#define T0 (1000 * MS)

static struct sched_config config(uint64_t nprobes, uint32_t max_inflight)
{
	struct sched_config c = {
		.nprobes = nprobes,
		.seed = 12345,
		.rate = 0,
		.max_inflight = max_inflight,
		.retries = 0,
		.timeout_ns = 0,
		.shard_index = 0,
		.shard_count = 1,
	};

	return c;
}

/* The same with congestion control on and retries extra attempts. */
static struct sched_config cc_config(uint64_t nprobes, uint32_t max_inflight,
				     uint32_t retries)
{
	struct sched_config c = config(nprobes, max_inflight);

	c.cc = true;
	c.retries = retries;
	return c;
}

static struct sched *new_sched(const struct sched_config *c)
{
	struct sched *s = NULL;

	assert_int_equal(sched_new(&s, c), 0);
	assert_non_null(s);
	return s;
}

static struct sched_stats stats(const struct sched *s)
{
	struct sched_stats st;

	sched_get_stats(s, &st);
	return st;
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dULL;
}

static void test_bad_config(void **state)
{
	struct sched_config c = config(100, 10);
	struct sched *s = NULL;

	(void)state;
	sched_free(NULL);
	c.max_inflight = 0;
	assert_int_equal(sched_new(&s, &c), -EINVAL);
	c = config(100, 10);
	c.shard_count = 0;
	assert_int_equal(sched_new(&s, &c), -EINVAL);
	c = config(100, 10);
	c.shard_count = 4;
	c.shard_index = 4;
	assert_int_equal(sched_new(&s, &c), -EINVAL);
	c = config((1ULL << 62) + 1, 10);
	assert_int_equal(sched_new(&s, &c), -EINVAL);
	assert_null(s);
	c = config(1ULL << 62, 10);
	assert_int_equal(sched_new(&s, &c), 0);
	assert_int_equal(stats(s).total, 1ULL << 62);
	sched_free(s);
}

/* Empty shards (and an empty space) are finished from the start. */
static void test_empty(void **state)
{
	struct sched_config c = config(0, 4);
	struct sched_probe out[4];
	struct sched *s;

	(void)state;
	s = new_sched(&c);
	assert_true(sched_finished(s));
	assert_int_equal(sched_next(s, T0, out, 4), 0);
	assert_int_equal(sched_wake_ns(s, T0), UINT64_MAX);
	sched_free(s);

	c = config(3, 4);
	c.shard_count = 5;
	c.shard_index = 3;
	s = new_sched(&c);
	assert_int_equal(stats(s).total, 0);
	assert_true(sched_finished(s));
	assert_int_equal(sched_next(s, T0, out, 4), 0);
	sched_free(s);
}

/* Shards partition the space; each first attempt is handed out once. */
static void test_shards_cover_space(void **state)
{
	static const struct {
		uint64_t n;
		uint32_t shards;
	} cases[] = { { 1, 1 },	   { 1, 3 },	 { 5, 8 },
		      { 7, 7 },	   { 100, 1 },	 { 100, 7 },
		      { 1000, 3 }, { 4097, 16 }, { 65537, 2 } };
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uint64_t n = cases[k].n, seen_total = 0;
		uint8_t *seen = calloc(n, 1);
		uint32_t sh;

		assert_non_null(seen);
		for (sh = 0; sh < cases[k].shards; sh++) {
			struct sched_config c = config(n, 32);
			struct sched_probe out[16];
			struct sched *s;
			uint64_t expect_total;
			uint32_t got, i;

			c.shard_index = sh;
			c.shard_count = cases[k].shards;
			expect_total =
				n > sh ? (n - 1 - sh) / c.shard_count + 1 : 0;
			s = new_sched(&c);
			assert_int_equal(stats(s).total, expect_total);
			while ((got = sched_next(s, T0, out, 16)) > 0) {
				for (i = 0; i < got; i++) {
					assert_int_equal(out[i].attempt, 0);
					assert_true(out[i].probe < n);
					assert_int_equal(seen[out[i].probe], 0);
					seen[out[i].probe] = 1;
					seen_total++;
					sched_answered(s, &out[i], 0, 0, false);
				}
			}
			assert_true(sched_finished(s));
			assert_int_equal(stats(s).issued, expect_total);
			assert_int_equal(stats(s).finished, expect_total);
			sched_free(s);
		}
		assert_int_equal(seen_total, n);
		free(seen);
	}
}

/* A different seed is a different order, the same seed the same. */
static void test_seed_sets_order(void **state)
{
	struct sched_config c = config(1000, 64);
	struct sched_probe a[64], b[64];
	struct sched *s1, *s2;
	int i, same;

	(void)state;
	s1 = new_sched(&c);
	s2 = new_sched(&c);
	assert_int_equal(sched_next(s1, T0, a, 64), 64);
	assert_int_equal(sched_next(s2, T0, b, 64), 64);
	for (i = 0; i < 64; i++)
		assert_int_equal(a[i].probe, b[i].probe);
	sched_free(s2);
	c.seed++;
	s2 = new_sched(&c);
	assert_int_equal(sched_next(s2, T0, b, 64), 64);
	for (i = 0, same = 0; i < 64; i++)
		same += a[i].probe == b[i].probe;
	assert_true(same < 4);
	sched_free(s1);
	sched_free(s2);
}

static void test_retry_backoff(void **state)
{
	struct sched_config c = config(1, 4);
	struct sched_probe p, out[4];
	uint64_t t = T0, wait;
	struct sched *s;
	uint32_t a;

	(void)state;
	c.retries = 3;
	c.timeout_ns = 1000 * MS;
	s = new_sched(&c);
	assert_int_equal(sched_next(s, t, &p, 1), 1);
	assert_int_equal(p.probe, 0);
	assert_int_equal(p.attempt, 0);
	for (a = 1; a <= 3; a++) {
		t += sched_timeout_ns(s);
		assert_true(sched_timed_out(s, &p, t));
		assert_false(sched_finished(s));
		assert_int_equal(stats(s).queued, 1);
		/* Backoff: 20, 40, 80 ms. */
		wait = SCHED_BACKOFF_BASE_NS << a;
		assert_int_equal(sched_wake_ns(s, t), wait);
		assert_int_equal(sched_next(s, t + wait - 1, out, 4), 0);
		assert_int_equal(sched_next(s, t + wait, out, 4), 1);
		assert_int_equal(out[0].probe, 0);
		assert_int_equal(out[0].attempt, a);
		p = out[0];
		t += wait;
	}
	assert_false(sched_timed_out(s, &p, t + 1000 * MS));
	assert_true(sched_finished(s));
	assert_int_equal(stats(s).attempts, 4);
	assert_int_equal(stats(s).retries, 3);
	assert_int_equal(stats(s).finished, 1);
	assert_int_equal(stats(s).queued, 0);
	sched_free(s);
}

static void test_backoff_is_capped(void **state)
{
	struct sched_config c = config(1, 4);
	struct sched_probe p;
	struct sched *s;
	uint32_t a;

	(void)state;
	c.retries = 100;
	s = new_sched(&c);
	assert_int_equal(sched_next(s, T0, &p, 1), 1);
	for (a = 1; a <= 100; a++) {
		uint64_t want = a < 6 ? SCHED_BACKOFF_BASE_NS << a :
					SCHED_BACKOFF_MAX_NS;

		assert_true(sched_timed_out(s, &p, T0));
		assert_int_equal(sched_wake_ns(s, T0), want);
		assert_int_equal(sched_next(s, T0 + want, &p, 1), 1);
		assert_int_equal(p.attempt, a);
	}
	assert_false(sched_timed_out(s, &p, T0));
	sched_free(s);
}

/* A retry that is due goes out before any new probe. */
static void test_retry_before_new(void **state)
{
	struct sched_config c = config(100, 8);
	struct sched_probe first, out[3];
	struct sched *s;

	(void)state;
	c.retries = 1;
	s = new_sched(&c);
	assert_int_equal(sched_next(s, T0, &first, 1), 1);
	assert_true(sched_timed_out(s, &first, T0 + 500 * MS));
	/* Before the backoff: new probes only. */
	assert_int_equal(sched_next(s, T0 + 510 * MS, out, 1), 1);
	assert_int_equal(out[0].attempt, 0);
	sched_answered(s, &out[0], 0, 0, false);
	/* After it: the retry first, then new ones. */
	assert_int_equal(sched_next(s, T0 + 520 * MS, out, 3), 3);
	assert_int_equal(out[0].probe, first.probe);
	assert_int_equal(out[0].attempt, 1);
	assert_int_equal(out[1].attempt, 0);
	assert_int_equal(out[2].attempt, 0);
	assert_true(out[1].probe != first.probe);
	sched_free(s);
}

/* Due retries come out in due order, whatever order they went in. */
static void test_retries_in_due_order(void **state)
{
	struct sched_config c = config(1000, 64);
	struct sched_probe out[64];
	uint64_t x = 7, last_due = 0;
	struct sched *s;
	uint32_t i, got;
	uint64_t due[1000];

	(void)state;
	c.retries = 5;
	s = new_sched(&c);
	assert_int_equal(sched_next(s, T0, out, 64), 64);
	for (i = 0; i < 64; i++) {
		/* Time out at random times, some with higher attempts. */
		uint64_t t = T0 + rnd(&x) % (100 * MS);

		due[out[i].probe] = t + (SCHED_BACKOFF_BASE_NS << 1);
		assert_true(sched_timed_out(s, &out[i], t));
	}
	got = sched_next(s, T0 + 1000 * MS, out, 64);
	assert_int_equal(got, 64);
	for (i = 0; i < got; i++) {
		assert_int_equal(out[i].attempt, 1);
		assert_true(due[out[i].probe] >= last_due);
		last_due = due[out[i].probe];
	}
	sched_free(s);
}

static void test_inflight_bound(void **state)
{
	struct sched_config c = config(1000, 8);
	struct sched_probe out[100];
	struct sched *s;

	(void)state;
	s = new_sched(&c);
	assert_int_equal(sched_next(s, T0, out, 100), 8);
	assert_int_equal(stats(s).inflight, 8);
	assert_int_equal(sched_next(s, T0 + 1000 * MS, out + 8, 92), 0);
	/* Full: only a completion can make progress. */
	assert_int_equal(sched_wake_ns(s, T0), UINT64_MAX);
	sched_answered(s, &out[3], 0, 0, false);
	assert_int_equal(sched_wake_ns(s, T0), 0);
	assert_int_equal(sched_next(s, T0, out + 8, 92), 1);
	sched_free(s);
}

/* The retry heap never holds more than 2 * max_inflight - inflight. */
static void test_heap_capacity_bound(void **state)
{
	struct sched_config c = config(1000, 4);
	struct sched_probe out[8];
	struct sched *s;
	uint32_t i;

	(void)state;
	c.retries = 3;
	s = new_sched(&c);
	/* Two windows time out: the heap is at capacity (8). */
	assert_int_equal(sched_next(s, T0, out, 8), 4);
	for (i = 0; i < 4; i++)
		assert_true(sched_timed_out(s, &out[i], T0));
	assert_int_equal(sched_next(s, T0, out, 8), 4);
	for (i = 0; i < 4; i++)
		assert_true(sched_timed_out(s, &out[i], T0 + MS));
	assert_int_equal(stats(s).queued, 8);
	/* No room for new probes until a retry is due. */
	assert_int_equal(sched_next(s, T0 + MS, out, 8), 0);
	assert_int_equal(sched_wake_ns(s, T0 + MS), 19 * MS);
	/* Then only retries go: inflight + queued stays at 8. */
	assert_int_equal(sched_next(s, T0 + 20 * MS, out, 8), 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(out[i].attempt, 1);
	assert_int_equal(stats(s).inflight + stats(s).queued, 8);
	assert_int_equal(stats(s).issued, 8);
	sched_free(s);
}

static void test_deferral(void **state)
{
	struct sched_config c = config(10000, 100);
	struct sched_probe out[100], more[100];
	uint64_t t = T0;
	struct sched *s;
	uint32_t i;

	(void)state;
	c.retries = 2;
	s = new_sched(&c);
	assert_int_equal(stats(s).window, 100);
	assert_int_equal(sched_next(s, t, out, 100), 100);
	/* 99 left in flight: the window drops to 99 * 3 / 4 = 74. */
	sched_deferred(s, &out[0], t);
	assert_int_equal(stats(s).window, 74);
	assert_int_equal(stats(s).deferred, 1);
	assert_int_equal(stats(s).queued, 1);
	assert_int_equal(sched_wake_ns(s, t), UINT64_MAX);
	assert_int_equal(sched_next(s, t + SCHED_DEFER_NS, more, 100), 0);

	/* Timeouts free slots but do not grow the window. */
	for (i = 1; i <= 30; i++)
		assert_true(sched_timed_out(s, &out[i], t + MS));
	assert_int_equal(stats(s).window, 74);
	/* Answers grow it by one each, up to max_inflight. */
	for (i = 31; i <= 35; i++)
		sched_answered(s, &out[i], 0, 0, false);
	assert_int_equal(stats(s).window, 79);
	assert_int_equal(stats(s).inflight, 64);

	/* Not due before SCHED_DEFER_NS; the new probes go out meanwhile. */
	assert_int_equal(sched_next(s, t + 1, more, 1), 1);
	assert_int_equal(more[0].attempt, 0);
	assert_true(more[0].probe != out[0].probe);
	/* Then, before the retries (due later), with the same attempt. */
	assert_int_equal(sched_next(s, t + SCHED_DEFER_NS, more, 1), 1);
	assert_int_equal(more[0].probe, out[0].probe);
	assert_int_equal(more[0].attempt, 0);
	assert_int_equal(stats(s).retries, 0);
	sched_free(s);
}

/* Repeated deferrals shrink towards SCHED_MIN_WINDOW, never below. */
static void test_deferral_floor(void **state)
{
	struct sched_config c = config(10000, 200);
	struct sched_probe out[200];
	struct sched *s;
	uint32_t i;

	(void)state;
	s = new_sched(&c);
	assert_int_equal(sched_next(s, T0, out, 200), 200);
	/* A burst of deferrals tracks 3/4 of what is left in flight. */
	for (i = 0; i < 100; i++)
		sched_deferred(s, &out[i], T0);
	assert_int_equal(stats(s).window, 75);
	for (i = 100; i < 200; i++)
		sched_deferred(s, &out[i], T0);
	assert_int_equal(stats(s).window, SCHED_MIN_WINDOW);
	assert_int_equal(stats(s).queued, 200);
	/* All 200 come back (16 at a time) with attempt 0. */
	assert_int_equal(sched_next(s, T0 + SCHED_DEFER_NS, out, 200), 16);
	for (i = 0; i < 16; i++)
		assert_int_equal(out[i].attempt, 0);
	sched_free(s);

	/* With fewer slots than the floor, the window is the slots. */
	c = config(100, 4);
	s = new_sched(&c);
	assert_int_equal(sched_next(s, T0, out, 10), 4);
	sched_deferred(s, &out[0], T0);
	assert_int_equal(stats(s).window, 4);
	sched_free(s);
}

static void test_rate_limit(void **state)
{
	struct sched_config c = config(1000000, 100000);
	struct sched_probe out[64];
	uint64_t t, attempts = 0;
	struct sched *s;
	uint32_t got, i;

	(void)state;
	c.rate = 1000;
	s = new_sched(&c);
	for (t = T0; t <= T0 + 1000 * MS; t += MS / 10) {
		got = sched_next(s, t, out, 64);
		for (i = 0; i < got; i++)
			sched_answered(s, &out[i], 0, 0, false);
		attempts += got;
	}
	/* 1000 per second plus the initial burst of 10. */
	assert_true(attempts >= 1000 && attempts <= 1011);
	assert_int_equal(stats(s).attempts, attempts);
	/* Out of tokens: the wake time is the token wait. */
	assert_int_equal(sched_next(s, t, out, 64), 0);
	assert_true(sched_wake_ns(s, t) > 0 && sched_wake_ns(s, t) <= MS);
	assert_int_equal(sched_next(s, t + sched_wake_ns(s, t), out, 64), 1);
	sched_free(s);
}

/* Retries take tokens too, and a due retry still goes first. */
static void test_rate_limit_counts_retries(void **state)
{
	struct sched_config c = config(100, 10);
	struct sched_probe p, out[10];
	struct sched *s;

	(void)state;
	c.rate = 100; /* burst 1, a token every 10 ms */
	c.retries = 1;
	s = new_sched(&c);
	assert_int_equal(sched_next(s, T0, &p, 1), 1);
	assert_int_equal(sched_next(s, T0, out, 10), 0);
	assert_int_equal(sched_wake_ns(s, T0), 10 * MS);
	assert_true(sched_timed_out(s, &p, T0));
	/* At +20 ms one token (the bucket holds one): the retry. */
	assert_int_equal(sched_next(s, T0 + 20 * MS, out, 10), 1);
	assert_int_equal(out[0].probe, p.probe);
	assert_int_equal(out[0].attempt, 1);
	assert_int_equal(sched_next(s, T0 + 20 * MS, out, 10), 0);
	sched_free(s);
}

static void test_adaptive_timeout(void **state)
{
	struct sched_config c = config(100000, 100000);
	struct sched_probe out[64];
	struct sched *s;
	int i;

	(void)state;
	s = new_sched(&c);
	assert_int_equal(sched_next(s, T0, out, 64), 64);
	assert_int_equal(sched_timeout_ns(s), SCHED_INIT_TIMEOUT_NS);
	/* rtt 0 means unknown: no sample. */
	sched_answered(s, &out[0], 0, 0, false);
	assert_int_equal(sched_timeout_ns(s), SCHED_INIT_TIMEOUT_NS);
	/* First sample R: srtt = R, rttvar = R / 2, RTO = 3R. */
	sched_answered(s, &out[1], 200 * MS, 0, false);
	assert_int_equal(sched_timeout_ns(s), 600 * MS);
	/* Second, R' = 100 ms: rttvar = 75 + 25, srtt = 175 + 12.5. */
	sched_answered(s, &out[2], 100 * MS, 0, false);
	assert_int_equal(sched_timeout_ns(s), 187500000 + 4 * 100 * MS);
	/* Constant samples: rttvar decays to its floor, srtt / 8, and the
	 * RTO converges to 1.5 x the sample. */
	for (i = 3; i < 64; i++)
		sched_answered(s, &out[i], 300 * MS, 0, false);
	for (i = 0; i < 500; i++) {
		assert_int_equal(sched_next(s, T0, out, 1), 1);
		sched_answered(s, &out[0], 300 * MS, 0, false);
	}
	assert_true(sched_timeout_ns(s) >= 449 * MS);
	assert_true(sched_timeout_ns(s) <= 451 * MS);
	sched_free(s);

	/* Fast answers: floored at the minimum. */
	s = new_sched(&c);
	assert_int_equal(sched_next(s, T0, out, 64), 64);
	/* Before any sample every attempt waits the initial timeout. */
	assert_int_equal(sched_attempt_timeout_ns(s, 3), SCHED_INIT_TIMEOUT_NS);
	sched_answered(s, &out[0], 10 * MS, 0, false);
	assert_int_equal(sched_timeout_ns(s), SCHED_MIN_TIMEOUT_NS);
	/* Retries back off by half each: 100, 150, 225, 337.5 ms... */
	assert_int_equal(sched_attempt_timeout_ns(s, 0), 100 * MS);
	assert_int_equal(sched_attempt_timeout_ns(s, 1), 150 * MS);
	assert_int_equal(sched_attempt_timeout_ns(s, 2), 225 * MS);
	assert_int_equal(sched_attempt_timeout_ns(s, 3), 337500 * 1000ULL);
	/* ...up to the ceiling, however many retries. */
	assert_int_equal(sched_attempt_timeout_ns(s, 7), SCHED_MAX_TIMEOUT_NS);
	assert_int_equal(sched_attempt_timeout_ns(s, 1000),
			 SCHED_MAX_TIMEOUT_NS);
	/* Slow ones (and absurd ones): capped at the maximum. */
	sched_answered(s, &out[1], 5000 * MS, 0, false);
	assert_int_equal(sched_timeout_ns(s), SCHED_MAX_TIMEOUT_NS);
	sched_answered(s, &out[2], UINT64_MAX, 0, false);
	assert_int_equal(sched_timeout_ns(s), SCHED_MAX_TIMEOUT_NS);
	sched_free(s);

	/* A fixed timeout ignores samples. */
	c.timeout_ns = 250 * MS;
	s = new_sched(&c);
	assert_int_equal(sched_timeout_ns(s), 250 * MS);
	assert_int_equal(sched_next(s, T0, out, 2), 2);
	sched_answered(s, &out[0], 900 * MS, 0, false);
	assert_int_equal(sched_timeout_ns(s), 250 * MS);
	/* ...and is the same for every attempt: the user asked for it. */
	assert_int_equal(sched_attempt_timeout_ns(s, 3), 250 * MS);
	sched_free(s);
}

/*
 * A retry that an earlier attempt's answer beat to the wire (the engine
 * never sent it) is no attempt: sched_withdrawn takes the hand-out back.
 * One that went out first is a spurious retry.
 */
static void test_withdrawn_retry(void **state)
{
	struct sched_config c = cc_config(2, 16, 2);
	struct sched_probe out[4], r;
	struct sched_stats st;
	struct sched *s;

	(void)state;
	s = new_sched(&c);
	assert_int_equal(sched_next(s, T0, out, 4), 2);
	assert_true(sched_timed_out(s, &out[0], T0 + 100 * MS));
	assert_true(sched_timed_out(s, &out[1], T0 + 100 * MS));
	assert_int_equal(sched_next(s, T0 + 700 * MS, out, 4), 2);
	assert_int_equal(out[0].attempt, 1);
	assert_int_equal(out[1].attempt, 1);
	st = stats(s);
	assert_int_equal(st.attempts, 4);
	assert_int_equal(st.retries, 2);
	r = out[0];
	sched_withdrawn(s, &r, 120 * MS, T0 + 701 * MS);
	sched_answered(s, &out[1], 0, T0 + 702 * MS, true);
	st = stats(s);
	assert_int_equal(st.attempts, 3);
	assert_int_equal(st.retries, 1);
	assert_int_equal(st.withdrawn, 1);
	assert_int_equal(st.spurious, 1);
	assert_int_equal(st.finished, 2);
	assert_int_equal(st.inflight, 0);
	assert_true(sched_finished(s));
	sched_free(s);
}

/*
 * The path's round trip grows while an attempt is out (a queue filling):
 * when the timeout it would get now is well above the one it was sent
 * with, its retry waits the difference - the answer may be on the way -
 * where one sent with today's timeout is retried at once.
 */
static void test_timeout_rise_waits(void **state)
{
	struct sched_config c = cc_config(40, 64, 2);
	struct sched_probe out[64], p, q;
	uint64_t was, now, t;
	bool last;

	(void)state;
	for (int stamped = 0; stamped < 2; stamped++) {
		struct sched *s = new_sched(&c);

		assert_int_equal(sched_next(s, T0, out, 64), 40);
		for (int i = 0; i < 20; i++)
			sched_answered(s, &out[i], 40 * MS, T0 + 40 * MS,
				       false);
		p = out[39];
		was = sched_probe_timeout_ns(s, &p, &last);
		if (stamped)
			p.tmo_us = (uint32_t)(was / 1000);
		for (int i = 20; i < 39; i++)
			sched_answered(s, &out[i], 400 * MS, T0 + 400 * MS,
				       false);
		now = sched_probe_timeout_ns(s, &p, &last);
		assert_true(now > was + was / 4);
		t = T0 + 450 * MS;
		assert_true(sched_timed_out(s, &p, t));
		/* The ordinary wait after a silence in a busy scan. */
		assert_int_equal(sched_next(s, t + 25 * MS, out, 4),
				 stamped ? 0 : 1);
		if (stamped) {
			assert_int_equal(
				sched_next(s, t + (now - was) - MS, out, 4), 0);
			assert_int_equal(
				sched_next(s, t + (now - was) + MS, out, 4), 1);
		}
		q = out[0];
		assert_int_equal(q.probe, p.probe);
		assert_int_equal(q.attempt, 1);
		/* Nor did its silence count towards filtered. */
		if (stamped)
			assert_int_equal(q.clean, 0);
		sched_free(s);
	}
}

/*
 * The answers' frontier (sched_answer_sent): while answers keep coming to
 * attempts sent no later than a silent one, a queue is still delivering
 * what went out before it, and the silent one's retry waits - until an
 * attempt sent after it is answered.  Without send times (no frontier) the
 * same silence is retried at the ordinary wait; and a frontier whose
 * answers stopped coming (SCHED_FRONT_FRESH_NS; with -sT, for as long as
 * its last one took, if longer) holds it no longer.
 */
static void test_front_holds_retry(void **state)
{
	struct sched_config c = cc_config(40, 64, 2);
	struct sched_probe a[20], b[20], out[4];
	uint64_t t, now;
	uint32_t n, got;

	(void)state;
	for (int mode = 0; mode < 4; mode++) {
		/* 0: no send times, 1: answers keep coming, 2: they stop,
		 * 3: they stop in a -sT scan */
		struct sched *s;

		c.tcp_connect = mode == 3;
		s = new_sched(&c);

		assert_int_equal(sched_next(s, T0, a, 20), 20);
		assert_int_equal(sched_next(s, T0 + 50 * MS, b, 20), 20);
		for (int i = 0; i < 10; i++) {
			now = T0 + 300 * MS + (uint64_t)i * MS;
			if (mode)
				sched_answer_sent(s, T0, now);
			sched_answered(s, &a[i], 300 * MS, now, false);
		}
		t = T0 + 310 * MS;
		assert_true(sched_timed_out(s, &a[19], t));
		got = 0;
		for (int k = 1; k <= (mode == 3 ? 40 : 14); k++) {
			now = t + (uint64_t)k * 10 * MS;
			if (mode == 1 && k <= 9) {
				sched_answer_sent(s, T0, now);
				sched_answered(s, &a[9 + k], now - T0, now,
					       false);
			}
			n = sched_next(s, now, out, 4);
			assert_true(n <= 1);
			if (n) {
				assert_int_equal(out[0].probe, a[19].probe);
				assert_int_equal(out[0].attempt, 1);
				if (!got)
					got = (uint32_t)(now - t);
			}
		}
		if (mode == 0) {
			/* Retried at the ordinary wait. */
			assert_true(got > 0 && got <= 40 * MS);
		} else if (mode == 2) {
			/* Once the last answer is SCHED_FRONT_FRESH_NS old. */
			assert_true(got >= 90 * MS && got <= 110 * MS);
		} else if (mode == 3) {
			/* Once no answer came for as long as the frontier's
			 * last one took (309 ms: sent at T0, came at T0 + 309
			 * ms), the path's present delay. */
			assert_true(got >= 300 * MS && got <= 320 * MS);
		} else {
			/* Held all through; its silence was no silence. */
			assert_int_equal(got, 0);
			now = t + 145 * MS;
			sched_answer_sent(s, T0 + 50 * MS, now);
			sched_answered(s, &b[0], now - T0 - 50 * MS, now,
				       false);
			assert_int_equal(sched_next(s, now + 20 * MS, out, 4),
					 1);
			assert_int_equal(out[0].probe, a[19].probe);
			assert_int_equal(out[0].clean, 0);
		}
		sched_free(s);
	}
}

/*
 * An answer a second and more after its send, behind the answers'
 * frontier by over half of that, may be to the target's second SYN-ACK
 * (its own initial RTO): no RTT sample.  The same answer in order - a
 * queue that deep - is one.  Twenty answers at 200 ms set the timeout to
 * 300 ms (1.5 x srtt); one 1.22-s sample takes it to the 1-s ceiling.
 */
static void test_resent_answer_no_sample(void **state)
{
	struct sched_config c = cc_config(60, 64, 2);
	struct sched_probe a[20], b[20];
	uint64_t now;
	uint32_t nb;

	(void)state;
	for (int in_order = 0; in_order < 2; in_order++) {
		struct sched *s = new_sched(&c);

		assert_int_equal(sched_next(s, T0, a, 20), 20);
		for (int i = 0; i < 10; i++) {
			now = T0 + 200 * MS + (uint64_t)i * MS / 100;
			sched_answer_sent(s, T0, now);
			sched_answered(s, &a[i], 200 * MS, now, false);
		}
		nb = sched_next(s, T0 + 1000 * MS, b, 20);
		assert_true(nb >= 2);
		now = T0 + 1200 * MS;
		for (uint32_t i = 0; i < nb && !in_order; i++) {
			sched_answer_sent(s, T0 + 1000 * MS, now);
			sched_answered(s, &b[i], 200 * MS, now, false);
		}
		assert_true(sched_timeout_ns(s) <= 300 * MS);
		now = T0 + 1220 * MS;
		sched_answer_sent(s, T0, now);
		sched_answered(s, &a[10], 1220 * MS, now, false);
		if (in_order)
			assert_true(sched_timeout_ns(s) >= 900 * MS);
		else
			assert_true(sched_timeout_ns(s) <= 300 * MS);
		sched_free(s);
	}
}

/*
 * -sT: a silent connect lingers, and its kernel sent the SYN again a
 * second after the first (SCHED_CONNECT_RESEND_NS).  A retry due after
 * that second waits until an attempt sent after the kernel's copy is
 * answered - the frontier passing the first SYN is not enough.  Without
 * tcp_connect (-sS: no copy) the same retry goes at the ordinary wait.
 */
static void test_connect_resend_holds_retry(void **state)
{
	struct sched_config c = cc_config(60, 64, 2);
	struct sched_probe a[20], b[20], d[20], out[4];
	uint64_t t, now;
	uint32_t n, got;

	(void)state;
	for (int connect = 0; connect < 2; connect++) {
		struct sched *s;

		c.tcp_connect = connect;
		s = new_sched(&c);
		assert_int_equal(sched_next(s, T0, a, 20), 20);
		assert_int_equal(sched_next(s, T0 + 500 * MS, b, 20), 20);
		assert_int_equal(sched_next(s, T0 + 1050 * MS, d, 20), 20);
		/* A deep queue: the first SYNs answered after 1.1 s, then
		 * those of half a second later - past a[19]'s hand-out. */
		for (int i = 0; i < 10; i++) {
			now = T0 + 1100 * MS + (uint64_t)i * MS;
			sched_answer_sent(s, T0, now);
			sched_answered(s, &a[i], now - T0, now, false);
		}
		for (int i = 0; i < 10; i++) {
			now = T0 + 1150 * MS + (uint64_t)i * MS;
			sched_answer_sent(s, T0 + 500 * MS, now);
			sched_answered(s, &b[i], now - T0 - 500 * MS, now,
				       false);
		}
		t = T0 + 1200 * MS;
		assert_true(sched_timed_out(s, &a[19], t));
		got = 0;
		for (int k = 1; k <= 40; k++) {
			now = t + (uint64_t)k * 10 * MS;
			if (k <= 9) {
				/* Answers to sends before the kernel's copy. */
				sched_answer_sent(s, T0 + 500 * MS, now);
				sched_answered(s, &b[9 + k],
					       now - T0 - 500 * MS, now, false);
			} else if (k < 30) {
				/* Then to sends after it. */
				sched_answer_sent(s, T0 + 1050 * MS, now);
				sched_answered(s, &d[k - 10],
					       now - T0 - 1050 * MS, now,
					       false);
			}
			n = sched_next(s, now, out, 4);
			assert_true(n <= 1);
			if (n && !got) {
				assert_int_equal(out[0].probe, a[19].probe);
				assert_int_equal(out[0].attempt, 1);
				got = (uint32_t)(now - t);
			}
		}
		/*
		 * Held while answers came to sends before the copy; then
		 * within the frontier's next look (half the distance it had
		 * to go, 255 ms, from the last look before).
		 */
		if (!connect)
			assert_true(got > 0 && got <= 40 * MS);
		else
			assert_true(got >= 100 * MS && got <= 360 * MS);
		sched_free(s);
	}
}

/*
 * An early answer (engine_result.early) finishes a probe whose retry is
 * waiting - taken back, counted withdrawn, never handed out - and does
 * nothing to one whose retry is out, or whose last attempt had ended it.
 */
static void test_early_answer(void **state)
{
	struct sched_config c = cc_config(3, 16, 1);
	struct sched_probe out[4], q;
	struct sched_stats st;
	struct sched *s;

	(void)state;
	s = new_sched(&c);
	assert_int_equal(sched_next(s, T0, out, 4), 3);
	assert_true(sched_timed_out(s, &out[0], T0 + 300 * MS));
	assert_true(sched_timed_out(s, &out[1], T0 + 300 * MS));
	/* out[0]'s retry waits: the answer takes it back. */
	assert_true(
		sched_early(s, &out[0], 310 * MS, T0, T0 + 310 * MS, false));
	assert_false(
		sched_early(s, &out[0], 310 * MS, T0, T0 + 311 * MS, false));
	/* out[1]'s retry goes out before its answer comes. */
	assert_int_equal(sched_next(s, T0 + 2000 * MS, out + 3, 1), 1);
	q = out[3];
	assert_int_equal(q.probe, out[1].probe);
	assert_int_equal(q.attempt, 1);
	assert_false(
		sched_early(s, &out[1], 310 * MS, T0, T0 + 2001 * MS, true));
	sched_answered(s, &q, 0, T0 + 2002 * MS, true);
	/* out[2] is answered in time. */
	sched_answered(s, &out[2], 40 * MS, T0 + 2003 * MS, false);
	st = stats(s);
	assert_int_equal(st.finished, 3);
	assert_int_equal(st.withdrawn, 1);
	assert_int_equal(st.spurious, 1);
	assert_int_equal(st.attempts, 4);
	assert_int_equal(st.retries, 1);
	assert_int_equal(st.inflight, 0);
	assert_int_equal(st.queued, 0);
	assert_true(sched_finished(s));
	sched_free(s);
}

static void test_finished_only_at_end(void **state)
{
	struct sched_config c = config(5, 2);
	struct sched_probe out[4];
	struct sched *s;

	(void)state;
	c.retries = 1;
	s = new_sched(&c);
	assert_false(sched_finished(s));
	assert_int_equal(sched_next(s, T0, out, 4), 2);
	sched_answered(s, &out[0], 0, 0, false);
	sched_answered(s, &out[1], 0, 0, false);
	assert_false(sched_finished(s));
	assert_int_equal(sched_next(s, T0, out, 4), 2);
	sched_answered(s, &out[0], 0, 0, false);
	sched_answered(s, &out[1], 0, 0, false);
	assert_int_equal(sched_next(s, T0, out, 4), 1);
	/* All issued, one in flight. */
	assert_int_equal(stats(s).issued, 5);
	assert_false(sched_finished(s));
	assert_true(sched_timed_out(s, &out[0], T0));
	/* All issued, none in flight, one queued. */
	assert_false(sched_finished(s));
	assert_int_equal(sched_next(s, T0 + SCHED_BACKOFF_MAX_NS, out, 4), 1);
	assert_false(sched_finished(s));
	assert_false(sched_timed_out(s, &out[0], T0 + SCHED_BACKOFF_MAX_NS));
	assert_true(sched_finished(s));
	assert_int_equal(stats(s).finished, 5);
	sched_free(s);
}

/*
 * How long a silent attempt keeps listening for a late answer: two
 * timeouts until the scan has found its pace (a first burst into a deep
 * buffer is answered later than any sample shows), then twice the path's
 * own timeout - the samples, not the floor: 40 ms steady asks 60 ms, so
 * 120 ms rather than two floored timeouts of 100 ms - and where the
 * samples exceed the floor, two timeouts again.  A fixed --timeout: none.
 */
static struct sched *sim_sched(struct sched_config *c, uint64_t nports,
			       uint64_t seed);

/*
 * A steady path for the linger tests: every probe handed to it is
 * answered, with an RTT of 40 ms, 40 ms after it left; 512 out at most.
 */
#define STEADY_SLOTS 512
struct steady {
	struct sched_probe fl[STEADY_SLOTS];
	uint64_t due[STEADY_SLOTS];
	uint32_t head, n;
};

static void steady_push(struct steady *st, const struct sched_probe *p,
			uint64_t t)
{
	st->fl[(st->head + st->n) % STEADY_SLOTS] = *p;
	st->due[(st->head + st->n++) % STEADY_SLOTS] = t + 40 * MS;
}

/* Answer what is due at t; how many sched_next may hand out now. */
static uint32_t steady_step(struct steady *st, struct sched *s, uint64_t t)
{
	while (st->n && st->due[st->head] <= t) {
		sched_answered(s, &st->fl[st->head], 40 * MS, t, false);
		st->head = (st->head + 1) % STEADY_SLOTS;
		st->n--;
	}
	return STEADY_SLOTS - st->n < 64 ? STEADY_SLOTS - st->n : 64;
}

/*
 * A retry waits a quarter longer per attempt (at most twice) than the
 * path's own RTO - not than the floor.  On a path far under the floor
 * (veth: 0.2 ms) every attempt waits the floor: growing that made a
 * filtered port's silences 100, 125 and 156 ms, and the last port of a
 * policed /20 ended 0.1-0.2 s after the last first attempt for nothing.
 * Nor on a steady path over the floor (300 ms samples: the RTO is 1.5 x
 * srtt, the margin rttvar's floor gives it already).  Over the floor
 * with samples that vary (250 and 350 ms in turn) the quarters apply.
 */
static void test_retry_timeout_floor(void **state)
{
	struct sched_config c = config(100000, 4096);
	struct sched_probe out[64], p;
	uint64_t t = T0, base;
	bool last;
	struct sched *s;

	(void)state;
	s = sim_sched(&c, 1, 7);
	assert_int_equal(sched_next(s, t, out, 32), 32);
	for (int i = 0; i < 31; i++)
		sched_answered(s, &out[i], 200 * 1000, t, false);
	p = out[31];
	for (uint8_t a = 0; a < 4; a++) {
		p.attempt = a;
		assert_int_equal(sched_probe_timeout_ns(s, &p, &last),
				 SCHED_MIN_TIMEOUT_NS);
	}
	/* A slow steady path: 300 ms samples, RTO 1.5 x 300 ms. */
	for (int k = 0; k < 20; k++) {
		uint32_t got;

		t += 100 * MS;
		got = sched_next(s, t, out, 32);
		for (uint32_t i = 0; i < got; i++)
			sched_answered(s, &out[i], 300 * MS, t, false);
	}
	p.attempt = 0;
	base = sched_probe_timeout_ns(s, &p, &last);
	assert_true(base >= 440 * MS && base <= 460 * MS);
	p.attempt = 3;
	assert_int_equal(sched_probe_timeout_ns(s, &p, &last), base);
	/* The same path with 100 ms of jitter: +25 % per attempt. */
	for (int k = 0; k < 20; k++) {
		uint32_t got;

		t += 100 * MS;
		got = sched_next(s, t, out, 32);
		for (uint32_t i = 0; i < got; i++)
			sched_answered(s, &out[i], (i % 2 ? 250 : 350) * MS, t,
				       false);
	}
	p.attempt = 0;
	base = sched_probe_timeout_ns(s, &p, &last);
	assert_true(base > 460 * MS);
	p.attempt = 1;
	assert_int_equal(sched_probe_timeout_ns(s, &p, &last), base + base / 4);
	p.attempt = 3;
	assert_int_equal(sched_probe_timeout_ns(s, &p, &last),
			 base + base / 4 + (base + base / 4) / 4);
	sched_free(s);
}

/*
 * Startup's first burst goes out before any answer: one host x 5,000
 * ports, 32 first attempts sent at once, one answered (a RST that got
 * through the target's limiter), another silent a second later.  That
 * silence says nothing - the burst may have been far over the limit - and
 * must not count.  (Counted, one run in a few of t_cc_ratelimit ended a
 * closed port of that burst filtered.)
 */
static void test_blind_burst_silence(void **state)
{
	struct sched_config c = config(5000, 4096);
	struct sched_probe out[64];
	uint64_t t = T0, blind;
	bool seen = false;
	struct sched *s;

	(void)state;
	s = sim_sched(&c, 5000, 7);
	assert_int_equal(sched_next(s, t, out, 32), 32);
	blind = out[1].probe;
	sched_answered(s, &out[0], 200 * 1000, t + 200 * 1000, false);
	t += 1000 * MS;
	assert_true(sched_timed_out(s, &out[1], t));
	for (int k = 0; k < 100 && !seen; k++) {
		uint32_t got;

		t += 10 * MS;
		got = sched_next(s, t, out, 64);
		for (uint32_t i = 0; i < got; i++) {
			if (out[i].probe != blind)
				continue;
			assert_int_equal(out[i].attempt, 1);
			assert_int_equal(out[i].clean, 0);
			seen = true;
		}
	}
	assert_true(seen);
	sched_free(s);
}

static void test_linger_follows_path(void **state)
{
	struct sched_config c = config(60000, STEADY_SLOTS);
	static struct steady st;
	struct sched_probe out[64], p;
	uint64_t t = T0, tmo, rtt = 40 * MS;
	bool last, checked_startup = false;
	struct sched *s;

	(void)state;
	memset(&st, 0, sizeof(st));
	s = sim_sched(&c, 60000, 7);
	assert_int_equal(sched_next(s, t, out, 1), 1);
	tmo = sched_probe_timeout_ns(s, &out[0], &last);
	assert_int_equal(sched_probe_linger_ns(s, &out[0], tmo), 2 * tmo);
	steady_push(&st, &out[0], t);
	/* A steady 40 ms path, 512 in flight: ~12,800/s, a plateau. */
	for (; t < T0 + 3000 * MS; t += MS) {
		uint32_t room = steady_step(&st, s, t), got;

		if (!checked_startup && t >= T0 + 2 * rtt) {
			/* Samples, but still starting: two timeouts. */
			assert_int_equal(sched_next(s, t, &p, 1), 1);
			tmo = sched_probe_timeout_ns(s, &p, &last);
			assert_int_equal(tmo, SCHED_MIN_TIMEOUT_NS);
			assert_int_equal(sched_probe_linger_ns(s, &p, tmo),
					 2 * tmo);
			steady_push(&st, &p, t);
			room = steady_step(&st, s, t);
			checked_startup = true;
		}
		got = sched_next(s, t, out, room);
		for (uint32_t i = 0; i < got; i++)
			steady_push(&st, &out[i], t);
	}
	assert_int_equal(stats(s).cc_events, 0);
	assert_int_equal(st.n, STEADY_SLOTS);
	/* Cruising: srtt 40 ms, rttvar at its floor of 5 ms. */
	p = st.fl[st.head];
	tmo = sched_probe_timeout_ns(s, &p, &last);
	assert_int_equal(tmo, SCHED_MIN_TIMEOUT_NS);
	assert_true(sched_probe_linger_ns(s, &p, tmo) >= 119 * MS);
	assert_true(sched_probe_linger_ns(s, &p, tmo) <= 121 * MS);
	/* Both at once, as the send loop asks: a last attempt waits for
	 * itself as long as it would have listened, and lingers 0. */
	{
		struct sched_probe q = p;
		uint64_t w, l, tq, lq;

		sched_probe_waits(s, &q, &w, &l);
		assert_int_equal(w, tmo);
		assert_int_equal(l, sched_probe_linger_ns(s, &p, tmo));
		assert_int_equal(q.tmo_us, tmo / 1000);
		q.attempt = 2 * 10 + 1;
		tq = sched_probe_timeout_ns(s, &q, &last);
		assert_true(last);
		lq = sched_probe_linger_ns(s, &q, tq);
		sched_probe_waits(s, &q, &w, &l);
		assert_int_equal(w, lq > tq ? lq : tq);
		assert_int_equal(l, 0);
	}
	/* A path slower than the floor: its timeout is the samples'. */
	for (uint32_t i = 0; i < 200; i++)
		sched_answered(s, &st.fl[(st.head + 1 + i) % STEADY_SLOTS],
			       400 * MS, t, false);
	tmo = sched_probe_timeout_ns(s, &p, &last);
	assert_true(tmo > 500 * MS);
	assert_int_equal(sched_probe_linger_ns(s, &p, tmo), 2 * tmo);
	sched_free(s);

	c.timeout_ns = 250 * MS;
	s = sim_sched(&c, 60000, 7);
	assert_int_equal(sched_next(s, T0, out, 1), 1);
	assert_int_equal(sched_probe_linger_ns(s, &out[0], 250 * MS), 0);
	sched_free(s);
}

/*
 * A host with one RTT sample of its own is timed by the whole scan's: RFC
 * 6298 sets a first sample's rttvar to half of it, so one answer that came
 * through a 300-ms queue asked 900 ms of that host's other probes where
 * the scan's 300 samples ask the 100-ms floor.  (A /20 scanned on five
 * ports: filtered ports' retries waited 300-600 ms long after the queue
 * had drained.)  With SCHED_HOST_RTT_SAMPLES of its own, a host's are its.
 */
static void test_rtt_scope_sparse_host(void **state)
{
	struct sched_config c = config(20 * 16, 4096);
	struct sched_probe fl[20 * 16], x[16];
	uint32_t n = 0, nx = 0;
	uint64_t t = T0, hx, tmo;
	bool last;
	struct sched *s;

	(void)state;
	s = sim_sched(&c, 16, 5);
	while (n < 20 * 16 && t < T0 + 100 * MS) {
		n += sched_next(s, t, fl + n, 20 * 16 - n);
		t += MS;
	}
	assert_int_equal(n, 20 * 16);
	hx = fl[0].probe / 16;
	t += 300 * MS;
	for (uint32_t i = 0; i < n; i++) {
		if (fl[i].probe / 16 != hx)
			continue;
		if (!nx)
			sched_answered(s, &fl[i], 300 * MS, t, false);
		x[nx++] = fl[i];
	}
	for (uint32_t i = 0; i < n / 2; i++)
		if (fl[i].probe / 16 != hx)
			sched_answered(s, &fl[i], 40 * MS, t, false);
	tmo = sched_probe_timeout_ns(s, &x[1], &last);
	assert_int_equal(tmo, SCHED_MIN_TIMEOUT_NS);
	/*
	 * Eight of its own, all slow, and the scan's back at 40 ms: the
	 * host's own samples now time it.
	 */
	for (uint32_t i = 1; i < SCHED_HOST_RTT_SAMPLES; i++)
		sched_answered(s, &x[i], 300 * MS, t, false);
	for (uint32_t i = n / 2; i < n; i++)
		if (fl[i].probe / 16 != hx)
			sched_answered(s, &fl[i], 40 * MS, t, false);
	tmo = sched_probe_timeout_ns(s, &x[SCHED_HOST_RTT_SAMPLES], &last);
	assert_true(tmo > 300 * MS);
	sched_free(s);
}

static void answer_all(struct sched *s, const struct sched_probe *p, uint32_t n,
		       uint64_t rtt, uint64_t now)
{
	for (uint32_t i = 0; i < n; i++)
		sched_answered(s, &p[i], rtt, now, false);
}

static uint64_t sparse_linger(bool tcp_connect, uint32_t nans, uint64_t rtt,
			      uint64_t *tmo)
{
	struct sched_config c = config(60000, STEADY_SLOTS);
	static struct steady st;
	struct sched_probe out[64], hxp[16];
	uint32_t k = 0;
	uint64_t t, hx = UINT64_MAX, l;
	bool last;
	struct sched *s;

	memset(&st, 0, sizeof(st));
	c.tcp_connect = tcp_connect;
	s = sim_sched(&c, 16, 7);
	/* A steady 40 ms path, 512 in flight, as test_linger_follows_path;
	 * the first host's first nans probes are answered (after rtt) once
	 * one more is out, and its others are kept out (never answered).
	 * 2.5 s: the scan cruises within 0.3 s; the host, sent a probe or
	 * two a second, ends its startup after three flat rounds of ~0.7 s,
	 * near 3 s. */
	for (t = T0; t < T0 + 3000 * MS; t += MS) {
		uint32_t got = sched_next(s, t, out, steady_step(&st, s, t));

		for (uint32_t i = 0; i < got; i++) {
			if (hx == UINT64_MAX)
				hx = out[i].probe / 16;
			if (out[i].probe / 16 == hx) {
				hxp[k++] = out[i];
				/* answered with one more out: the entry stays */
				if (k == nans + 1)
					answer_all(s, hxp, nans, rtt, t);
				continue;
			}
			steady_push(&st, &out[i], t);
		}
	}
	assert_true(k > nans);
	*tmo = sched_probe_timeout_ns(s, &hxp[nans], &last);
	l = sched_probe_linger_ns(s, &hxp[nans], *tmo);
	sched_free(s);
	return l;
}

/*
 * A connect to a host with one RTT sample of its own, once the scan has
 * cruised: timed by the scan's samples, it still listens two of the
 * timeouts its host's own sample asks (the answer to the SYN the kernel
 * sends again after a second); a -sS attempt listens twice what the
 * scan's samples ask, as a cruised host's would.  And a -sS attempt to a
 * host whose own samples time it but that has not cruised listens two
 * timeouts, as before any of this.
 */
static void test_connect_listens_long(void **state)
{
	uint64_t tmo, l;

	(void)state;
	l = sparse_linger(true, 1, 300 * MS, &tmo);
	assert_int_equal(tmo, SCHED_MIN_TIMEOUT_NS);
	assert_int_equal(l, 2 * 900 * MS);
	l = sparse_linger(false, 1, 300 * MS, &tmo);
	assert_int_equal(tmo, SCHED_MIN_TIMEOUT_NS);
	assert_true(l >= SCHED_MIN_TIMEOUT_NS);
	assert_true(l <= 2 * tmo);
	/* Eight of its own at 10 ms: the floor's timeout, listened twice. */
	l = sparse_linger(false, SCHED_HOST_RTT_SAMPLES, 10 * MS, &tmo);
	assert_int_equal(tmo, SCHED_MIN_TIMEOUT_NS);
	assert_int_equal(l, 2 * tmo);
}

/*
 * One attempt past the latest that any TCP port was answered at (nmap's
 * rule on every attempt, scheduler.c attempt_cap): one host, three ports,
 * one probe out at a time, answers with no RTT sample, so that the scan
 * never leaves startup and no silence is clean - a scan congested all
 * through.  The first port answers at once; the second at its eleventh
 * attempt (answer_at 10), the last --max-retries 10 allows; the third
 * never.  The cap ends the third: at its twelfth attempt once the second
 * was answered at its eleventh, else at its eleventh.
 */
static uint32_t attempts_of_silent(uint32_t answer_at)
{
	struct sched_config c = config(3, 1);
	uint64_t t = T0, order[3], seen = 0;
	uint32_t silent_attempts = 0;
	struct sched_probe p;
	struct sched *s;

	s = sim_sched(&c, 3, 7);
	while (!sched_finished(s)) {
		uint64_t w;
		bool last;

		assert_true(t < T0 + 600000 * MS);
		if (sched_next(s, t, &p, 1) == 0) {
			w = sched_wake_ns(s, t);
			assert_true(w != UINT64_MAX);
			t = w > t ? w : t + MS;
			continue;
		}
		if (p.attempt == 0)
			order[seen++] = p.probe;
		if (p.probe == order[0] ||
		    (p.probe == order[1] && p.attempt == answer_at)) {
			t += MS;
			sched_answered(s, &p, 0, t, false);
			continue;
		}
		if (p.probe == order[2]) {
			assert_int_equal(p.clean, 0);
			silent_attempts++;
		}
		t += sched_probe_timeout_ns(s, &p, &last);
		sched_timed_out(s, &p, t);
	}
	assert_int_equal(seen, 3);
	sched_free(s);
	return silent_attempts;
}

static void test_cap_follows_answers(void **state)
{
	(void)state;
	assert_int_equal(attempts_of_silent(10), 12);
	assert_int_equal(attempts_of_silent(9), 11);
	assert_int_equal(attempts_of_silent(UINT32_MAX), 11);
}

/* ---- whole-scan simulation ---- */

enum outcome { ANSWER, TIMEOUT, DEFER };

struct flight {
	struct sched_probe p;
	uint64_t sent_ns;
	uint64_t done_ns;
	enum outcome what;
};

struct sim_params {
	uint64_t n;
	uint32_t max_inflight, retries, shard_index, shard_count;
	uint64_t rate, timeout_ns;
	unsigned pct_timeout, pct_defer;
};

static void simulate(const struct sim_params *sp)
{
	struct sched_config c = config(sp->n, sp->max_inflight);
	struct flight *fl = calloc(sp->max_inflight, sizeof(*fl));
	uint8_t *first = calloc(sp->n, 1), *final = calloc(sp->n, 1);
	uint8_t *redo = calloc(sp->n, 1), *queued = calloc(sp->n, 1);
	uint32_t *next_attempt = calloc(sp->n, sizeof(*next_attempt));
	/* an early answer due (sched_early), 0 if none */
	uint64_t *early = calloc(sp->n, sizeof(*early));
	struct sched_probe out[32];
	uint64_t t = T0, x = sp->n * 31 + sp->shard_index, nfinal = 0;
	uint64_t steps = 0, total, nfirst;
	uint32_t nfl = 0, i;
	struct sched *s;
	bool woke = false;

	assert_true(fl && first && final && redo && queued && next_attempt &&
		    early);
	c.retries = sp->retries;
	c.rate = sp->rate;
	c.timeout_ns = sp->timeout_ns;
	c.shard_index = sp->shard_index;
	c.shard_count = sp->shard_count;
	s = new_sched(&c);
	total = stats(s).total;

	while (!sched_finished(s)) {
		struct sched_stats st;
		uint64_t wake, next_done = UINT64_MAX;
		uint32_t got;

		assert_true(++steps < 10000000);
		/*
		 * Early answers (to an attempt that timed out) finish the
		 * probe exactly when its retry is still waiting.
		 */
		for (i = 0; i < sp->n; i++) {
			struct sched_probe ep = { .probe = i };
			bool took;

			if (!early[i] || early[i] > t)
				continue;
			early[i] = 0;
			/* Some come with a delay sample only (-sT over the
			 * kernel's SYN RTO), whatever their host's state. */
			if (rnd(&x) % 2)
				sched_delay(s, &ep, 1002 * MS, t);
			took = sched_early(s, &ep, 2 * MS, t - 2 * MS, t,
					   rnd(&x) % 2);
			assert_int_equal(took, queued[i]);
			if (took) {
				assert_int_equal(final[i], 0);
				final[i]++;
				nfinal++;
				queued[i] = 0;
				redo[i] = 0;
			}
		}
		/* Completions due now, in any order. */
		for (i = 0; i < nfl;) {
			struct flight *f = &fl[i];

			if (f->done_ns > t) {
				i++;
				continue;
			}
			if (f->what == ANSWER) {
				sched_answered(s, &f->p,
					       f->done_ns - f->sent_ns, 0,
					       false);
				assert_int_equal(final[f->p.probe], 0);
				final[f->p.probe]++;
				nfinal++;
			} else if (f->what == DEFER) {
				sched_deferred(s, &f->p, t);
				redo[f->p.probe] = 1;
				queued[f->p.probe] = 1;
			} else if (sched_timed_out(s, &f->p, t)) {
				assert_true(f->p.attempt < sp->retries);
				next_attempt[f->p.probe] = f->p.attempt + 1;
				queued[f->p.probe] = 1;
				if (rnd(&x) % 100 < 30)
					early[f->p.probe] =
						t + 1 + rnd(&x) % (40 * MS);
			} else {
				assert_int_equal(f->p.attempt, sp->retries);
				assert_int_equal(final[f->p.probe], 0);
				final[f->p.probe]++;
				nfinal++;
			}
			*f = fl[--nfl];
		}

		got = sched_next(s, t, out, 32);
		/* A wake time that said "then" must have been honest. */
		if (woke)
			assert_true(got > 0);
		for (i = 0; i < got; i++) {
			struct flight *f;
			uint64_t r = rnd(&x) % 100;

			assert_true(out[i].probe < sp->n);
			assert_int_equal(out[i].attempt,
					 next_attempt[out[i].probe]);
			assert_int_equal(final[out[i].probe], 0);
			queued[out[i].probe] = 0;
			if (redo[out[i].probe]) {
				/* A deferred attempt, back with its number. */
				redo[out[i].probe] = 0;
			} else if (out[i].attempt == 0) {
				assert_int_equal(first[out[i].probe], 0);
				first[out[i].probe] = 1;
			}
			assert_true(nfl < sp->max_inflight);
			f = &fl[nfl++];
			f->p = out[i];
			f->sent_ns = t;
			if (r < sp->pct_defer) {
				f->what = DEFER;
				f->done_ns = t;
			} else if (r < sp->pct_defer + sp->pct_timeout) {
				f->what = TIMEOUT;
				f->done_ns = t + sched_timeout_ns(s);
			} else {
				f->what = ANSWER;
				f->done_ns = t + 1 * MS + rnd(&x) % (30 * MS);
			}
		}

		st = stats(s);
		assert_int_equal(st.inflight, nfl);
		assert_true(st.inflight <= sp->max_inflight);
		assert_true(st.inflight + st.queued <= 2 * sp->max_inflight);
		assert_true(st.window <= sp->max_inflight);
		assert_int_equal(st.finished, nfinal);
		if (st.issued < total || nfinal < total)
			assert_false(sched_finished(s));

		/* Advance to the next event: a completion or the wake. */
		wake = sched_wake_ns(s, t);
		/* Stopping short means nothing more could go now. */
		if (got < 32)
			assert_true(wake > 0);
		if (wake == UINT64_MAX)
			assert_true(nfl > 0 || sched_finished(s));
		for (i = 0; i < nfl; i++)
			if (fl[i].done_ns < next_done)
				next_done = fl[i].done_ns;
		for (i = 0; i < sp->n; i++)
			if (early[i] && early[i] < next_done)
				next_done = early[i];
		woke = wake != UINT64_MAX && t + wake < next_done;
		if (woke)
			t += wake;
		else if (next_done != UINT64_MAX)
			t = next_done > t ? next_done : t;
	}

	for (i = 0, nfirst = 0; i < sp->n; i++)
		nfirst += first[i];
	assert_int_equal(nfirst, total);
	assert_int_equal(stats(s).issued, total);
	assert_int_equal(stats(s).finished, total);
	assert_int_equal(nfinal, total);
	sched_free(s);
	free(fl);
	free(first);
	free(final);
	free(redo);
	free(queued);
	free(early);
	free(next_attempt);
}

static void test_simulated_scans(void **state)
{
	static const struct sim_params runs[] = {
		/* n, slots, retries, shard, shards, rate, timeout, %to, %df */
		{ 3000, 40, 2, 0, 1, 0, 0, 30, 10 },
		{ 3000, 40, 2, 1, 3, 20000, 50 * MS, 30, 10 },
		{ 500, 1, 3, 0, 1, 0, 0, 50, 5 },
		{ 2000, 64, 0, 0, 1, 5000, 0, 40, 0 },
		{ 2000, 300, 4, 2, 5, 0, 20 * MS, 80, 20 },
		{ 10, 100, 1, 0, 1, 0, 0, 50, 50 },
	};
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(runs) / sizeof(runs[0]); k++)
		simulate(&runs[k]);
}

/* ---- a subnet whose target polices its RSTs (scheduler + cc) ---- */

/*
 * The grid's veth/net cell in simulated time: 4096 hosts x 5 ports, the
 * first three open (SYN-ACKs pass), the other two closed with their RSTs
 * policed by a token bucket of `limit` per second (burst 5), port 4
 * filtered on the first 256 hosts and one host filtered whole.  Every
 * closed port must end closed: a policed RST is a drop, never a filter.
 */
struct pol_ev {
	uint64_t due, sent;
	struct sched_probe p;
	bool ans;
};

struct pol_heap {
	struct pol_ev *v;
	uint32_t n;
};

static void pol_push(struct pol_heap *h, struct pol_ev e)
{
	uint32_t i = h->n++;

	h->v[i] = e;
	while (i) {
		uint32_t up = (i - 1) / 2;
		struct pol_ev t;

		if (h->v[up].due <= h->v[i].due)
			break;
		t = h->v[up];
		h->v[up] = h->v[i];
		h->v[i] = t;
		i = up;
	}
}

static struct pol_ev pol_pop(struct pol_heap *h)
{
	struct pol_ev top = h->v[0];
	uint32_t i = 0;

	h->v[0] = h->v[--h->n];
	for (;;) {
		uint32_t l = 2 * i + 1, m = i;
		struct pol_ev t;

		if (l < h->n && h->v[l].due < h->v[m].due)
			m = l;
		if (l + 1 < h->n && h->v[l + 1].due < h->v[m].due)
			m = l + 1;
		if (m == i)
			break;
		t = h->v[m];
		h->v[m] = h->v[i];
		h->v[i] = t;
		i = m;
	}
	return top;
}

/* POL_LOSSY: an open or closed port whose path loses 5 % of attempts
 * (a hash of probe and attempt, so runs repeat) */
enum { POL_FILTERED, POL_CLOSED, POL_OPEN, POL_LOSSY };

/* nft's default burst for "limit rate", as the grid's policer has it. */
#define POL_BURST 5

struct pol_result {
	uint64_t wrong, events, retries;
	double secs, ideal;
	/* a filtered port's retries after a silence that counted (due 10
	 * ms on), when its host had SCHED_HOST_FEW probes left at most; and
	 * those that went out more than 100 ms after the silence */
	uint64_t last_retries, last_slow;
	/* the fewest and the most attempts a filtered port ended with */
	uint32_t filt_min, filt_max;
};

/* One simulated run's numbers, with SCHED_TEST_DEBUG set (for widening
 * a test's seeds by hand). */
static void sim_say(const char *what, uint64_t seed, const struct pol_result *r)
{
	if (getenv("SCHED_TEST_DEBUG"))
		print_message("%sseed %llu: %.2f s (ideal %.2f), %llu events, "
			      "%llu retries, %llu wrong, %llu of %llu last "
			      "retries slow\n",
			      what, (unsigned long long)seed, r->secs, r->ideal,
			      (unsigned long long)r->events,
			      (unsigned long long)r->retries,
			      (unsigned long long)r->wrong,
			      (unsigned long long)r->last_slow,
			      (unsigned long long)r->last_retries);
}

/*
 * A target's answers, limited by token buckets (nft's "limit rate", or
 * Linux's ICMP budget per peer): bucket k refills at refill/s up to
 * burst; closed ports' answers take a token of the bucket their probe
 * meets (sends taken in turn over nb buckets, as ringscan takes its
 * sources), open ports always answer, filtered ones never.  refill 0:
 * closed ports always answer too.
 */
struct pol_bucket {
	double tok;
	uint64_t t;
};

/*
 * Run the scheduler s against that target to the end, in simulated time
 * (RTT 0.2 ms, `slots` engine slots): res gets the wrong answers (a port
 * reported silent that is not filtered), the time and the events.  told:
 * closed ports' answers go in as refusals (sched_refused, as scan.c
 * reports RSTs), else as answers like any other.
 */
static void sim_run(struct sched *s, const uint8_t *kind, uint64_t nports,
		    struct pol_bucket *b, uint32_t nb, double refill,
		    double burst, uint64_t slots, bool told,
		    struct pol_result *res)
{
	const uint64_t rtt = 200000;
	struct pol_heap h = { calloc(1 << 20, sizeof(struct pol_ev)), 0 };
	struct sched_probe out[256];
	uint64_t t = T0, steps = 0, sends = 0;
	struct sched_stats st;
	uint64_t *silent_at;
	uint32_t *left; /* each host's probes not yet final */
	uint8_t *backoff;

	sched_get_stats(s, &st);
	silent_at = calloc(st.total, sizeof(*silent_at));
	backoff = calloc(st.total, sizeof(*backoff));
	left = calloc(st.total / nports + 1, sizeof(*left));
	assert_non_null(silent_at);
	assert_non_null(backoff);
	assert_non_null(left);
	for (uint64_t i = 0; i < st.total; i++)
		left[i / nports]++;
	assert_non_null(h.v);
	for (uint32_t i = 0; i < nb; i++)
		b[i] = (struct pol_bucket){ .tok = burst, .t = T0 };
	while (!sched_finished(s)) {
		uint64_t wake, next;
		uint32_t room, got;

		if (++steps >= 50000000)
			fail_msg("stuck at %.1f s", (double)(t - T0) / 1e9);
		while (h.n && h.v[0].due <= t) {
			struct pol_ev e = pol_pop(&h);

			if (e.ans) {
				if (kind[e.p.probe] == POL_CLOSED && told)
					sched_refused(s, &e.p, e.due - e.sent,
						      e.due, false);
				else
					sched_answered(s, &e.p, e.due - e.sent,
						       e.due, false);
				left[e.p.probe / nports]--;
			} else if (!sched_timed_out(s, &e.p, e.due)) {
				uint32_t n = e.p.attempt + 1u;

				res->wrong += kind[e.p.probe] != POL_FILTERED;
				left[e.p.probe / nports]--;
				if (!res->filt_min || n < res->filt_min)
					res->filt_min = n;
				if (n > res->filt_max)
					res->filt_max = n;
			} else {
				silent_at[e.p.probe] = e.due;
			}
		}
		sched_get_stats(s, &st);
		room = (uint32_t)(slots - st.inflight);
		if (room > 256)
			room = 256;
		got = room ? sched_next(s, t, out, room) : 0;
		for (uint32_t i = 0; i < got; i++) {
			struct pol_bucket *k = &b[sends++ % nb];
			bool last, ans = kind[out[i].probe] == POL_OPEN ||
					 (kind[out[i].probe] == POL_CLOSED &&
					  refill <= 0);
			uint64_t tmo =
				sched_probe_timeout_ns(s, &out[i], &last);
			uint64_t pr = out[i].probe;

			if (kind[pr] == POL_LOSSY)
				ans = mix64(pr * 64 + out[i].attempt) % 1000 >=
				      50;

			/* Its backoff did not grow: the silence counted. */
			if (kind[pr] == POL_FILTERED && out[i].attempt > 0 &&
			    out[i].backoff == backoff[pr] &&
			    left[pr / nports] <= SCHED_HOST_FEW) {
				res->last_retries++;
				res->last_slow += t - silent_at[pr] > 100 * MS;
			}
			backoff[pr] = out[i].backoff;

			if (kind[out[i].probe] == POL_CLOSED && refill > 0) {
				uint64_t at = t + rtt / 2;

				k->tok += (double)(at - k->t) / 1e9 * refill;
				if (k->tok > burst)
					k->tok = burst;
				k->t = at;
				if (k->tok >= 1) {
					k->tok -= 1;
					ans = true;
				}
			}
			pol_push(&h, (struct pol_ev){
					     .due = ans ? t + rtt : t + tmo,
					     .sent = t,
					     .p = out[i],
					     .ans = ans,
				     });
		}
		if (got && got == room)
			continue;
		wake = sched_wake_ns(s, t);
		next = h.n ? h.v[0].due : UINT64_MAX;
		if (wake != UINT64_MAX && t + wake < next)
			t += wake ? wake : 1000;
		else if (next != UINT64_MAX)
			t = next > t ? next : t + 1000;
		else
			t += MS;
	}
	sched_get_stats(s, &st);
	res->events = st.cc_events;
	res->retries = st.retries;
	res->secs = (double)(t - T0) / 1e9;
	free(left);
	free(backoff);
	free(silent_at);
	free(h.v);
}

/* The simulations' configuration: the CLI's defaults, adaptive. */
static void sim_config(struct sched_config *c, uint64_t nports, uint64_t seed)
{
	c->nports = nports;
	c->seed = seed;
	c->retries = 3;
	c->retries_auto = true;
	c->max_retries = 10;
	c->max_scan_delay_ns = 1000 * MS;
	c->cc = true;
}

/* The simulations' scheduler. */
static struct sched *sim_sched(struct sched_config *c, uint64_t nports,
			       uint64_t seed)
{
	sim_config(c, nports, seed);
	return new_sched(c);
}

/*
 * Run the scheduler against a target whose RSTs are policed at `limit`/s
 * (0: no limit): kind[] holds each of the n probes' truth, nports probes
 * per host; told: closed ports' answers are reported as refusals
 * (sched_refused, as scan.c does).  Frees kind.
 */
static struct pol_result policed_sim(uint8_t *kind, uint64_t n, uint64_t nports,
				     double limit, uint64_t seed, bool told)
{
	const uint64_t slots = 4096;
	struct sched_config c = config(n, slots);
	struct pol_result res = { 0 };
	struct pol_bucket b;
	uint64_t closed = 0;
	struct sched *s;

	for (uint64_t i = 0; i < n; i++)
		closed += kind[i] == POL_CLOSED;
	s = sim_sched(&c, nports, seed);
	sim_run(s, kind, nports, &b, 1, limit, POL_BURST, slots, told, &res);
	res.ideal = limit > 0 ? (double)closed / limit : 0;
	sched_free(s);
	free(kind);
	return res;
}

/*
 * A /20-sized scan of 5 ports whose target answers at most `limit` RSTs/s
 * (0: no limit), with port 3 (and 4, if filt_ports is 2) filtered on the
 * first `filt_hosts` hosts.
 */
static struct pol_result subnet_sim_ports(double limit, uint64_t filt_hosts,
					  uint32_t filt_ports, uint64_t seed,
					  bool told)
{
	const uint64_t hosts = 4096, ports = 5, n = hosts * ports;
	uint8_t *kind = calloc(n, 1);

	assert_non_null(kind);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t host = i / ports, port = i % ports;

		if (host == 4000 ||
		    (port >= 3 && port < 3 + filt_ports && host < filt_hosts))
			kind[i] = POL_FILTERED;
		else
			kind[i] = port < 3 ? POL_OPEN : POL_CLOSED;
	}
	return policed_sim(kind, n, ports, limit, seed, told);
}

/* The same with port 3 alone filtered. */
static struct pol_result subnet_sim_kinds(double limit, uint64_t filt_hosts,
					  uint64_t seed, bool told)
{
	return subnet_sim_ports(limit, filt_hosts, 1, seed, told);
}

/* The same, the scheduler told which answers are refusals (scan.c does). */
static struct pol_result subnet_sim(double limit, uint64_t filt_hosts,
				    uint64_t seed)
{
	return subnet_sim_kinds(limit, filt_hosts, seed, true);
}

/*
 * One host, `ports` ports, all closed but three open ones and three
 * filtered, whose RSTs are policed at `limit`/s (FreeBSD's default is
 * 200): the scan starts at 50 times that, and from its first round one
 * attempt in fifty is answered.
 */
static struct pol_result host_sim(double limit, uint64_t ports, uint64_t seed)
{
	uint8_t *kind = calloc(ports, 1);

	assert_non_null(kind);
	for (uint64_t i = 0; i < ports; i++)
		kind[i] = i == 21 || i == 79 || i == 442  ? POL_OPEN :
			  i == 22 || i == 134 || i == 444 ? POL_FILTERED :
							    POL_CLOSED;
	return policed_sim(kind, ports, ports, limit, seed, true);
}

/*
 * One host, 4,000 ports all open or closed (`other`) but four filtered,
 * at the CLI's defaults; auto_retries false as if --retries 3 were given.
 */
static struct pol_result evidence_sim(uint8_t other, bool auto_retries)
{
	const uint64_t n = 4000, slots = 4096;
	struct sched_config c = config(n, slots);
	struct pol_result res = { 0 };
	uint8_t *kind = calloc(n, 1);
	struct pol_bucket b;
	struct sched *s;

	assert_non_null(kind);
	for (uint64_t i = 0; i < n; i++)
		kind[i] = i % 1000 == 500 ? POL_FILTERED : other;
	sim_config(&c, n, 5);
	c.retries_auto = auto_retries;
	c.rate = 2000;
	s = new_sched(&c);
	sim_run(s, kind, n, &b, 1, 0, POL_BURST, slots, true, &res);
	sched_free(s);
	free(kind);
	return res;
}

/*
 * The base of the retry limit follows the evidence when --retries was not
 * given (scheduler.c, evidence_base).  Given, a filtered port ends after
 * retries + 1 = 4 clean silences at the least (more where a silence did
 * not count: after the last first attempt nothing vouches for one).
 * Unasked, once a clean path's answers show no drop, after two (as
 * nmap's, one retransmission), and never after more than given; across a
 * path that loses 5 % of attempts, after three at the least, and no open
 * or closed port ends filtered.  The scan is held at 2,000/s so that its
 * first pass outlasts the filtered ports' timeouts.
 */
static void test_retries_follow_evidence(void **state)
{
	struct pol_result given, r;

	(void)state;
	given = evidence_sim(POL_CLOSED, false);
	assert_int_equal(given.wrong, 0);
	assert_int_equal(given.filt_min, 4);
	r = evidence_sim(POL_CLOSED, true);
	assert_int_equal(r.wrong, 0);
	assert_int_equal(r.filt_min, 2);
	assert_true(r.filt_max <= given.filt_max);
	r = evidence_sim(POL_LOSSY, true);
	assert_int_equal(r.wrong, 0);
	assert_true(r.filt_min >= 3);
}

/*
 * No round of such a scan is clean to compare the others with.  On the
 * real testbed (veth, 1-65535, nft policing RSTs at 200/s) 3,473 of
 * 65,527 closed ports ended filtered: the -sT scan paced at 40,000/s
 * and sent 13,000-17,000/s (its slots held it), 1 % of it answered, no
 * event in its first 1.2 s, and the limit test - which then needed one
 * attempt in 20 answered - never ran.
 * This simulation does not reproduce that (its scheduler is never held
 * by slots: the recovered share shows the drops and an event follows
 * within 0.4 s); it holds the exact result of the case in place.
 */
static void test_policed_host(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		struct pol_result r = host_sim(200, 10000, seed);

		sim_say("host 200/s ", seed, &r);
		assert_int_equal(r.wrong, 0);
		assert_true(r.secs < 2 * r.ideal + 5);
	}
}

/*
 * The same host on seeds whose scan lost a closed port in its first
 * seconds: the pace comes down from 40,000/s to 200/s over 2-3 s, no
 * silence counts meanwhile, and a port sent first had eight of its
 * eleven attempts there and three clean ones, all dropped too.  The
 * answers showed most attempts lost, so the drop chance now asks more
 * clean silences than the port had and its attempt cap doubles.  (On the
 * testbed: 44 and 3,564 closed ports of 1-65535 filtered in two runs.)
 */
static void test_startup_losses(void **state)
{
	static const uint64_t seeds[] = { 11, 97, 154 };

	(void)state;
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct pol_result r = host_sim(200, 10000, seeds[i]);

		sim_say("", seeds[i], &r);
		assert_int_equal(r.wrong, 0);
		assert_true(r.secs < 2 * r.ideal + 5);
	}
}

static void test_policed_subnet(void **state)
{
	static const double limits[] = { 200, 500, 2000 };

	(void)state;
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		uint64_t last = 0, slow = 0;

		for (uint64_t seed = 1; seed <= 6; seed++) {
			struct pol_result r = subnet_sim(limits[i], 256, seed);
			char what[32];

			snprintf(what, sizeof(what), "limit %.0f ", limits[i]);
			sim_say(what, seed, &r);
			assert_int_equal(r.wrong, 0);
			/*
			 * Not a crawl either (simulated time, not wall): a
			 * limit misread once held one of these at 36/s.
			 */
			assert_true(r.secs < 2 * r.ideal + 5);
			last += r.last_retries;
			slow += r.last_slow;
		}
		/*
		 * A filtered port that is all its host has left is retried
		 * once its silence counted, not at the host's pace (about
		 * twice its answers: a probe a second).  At 2,000 RSTs/s,
		 * 763 of 2,351 such retries waited over 100 ms before; 98
		 * now, nearly all on one seed where the scan's own pace held
		 * them.
		 */
		if (limits[i] == 2000)
			assert_true(slow * 10 < last);
	}
}

/*
 * The same with two ports filtered on each of those hosts: a host's last
 * few probes are retried once their silences counted, not at its pace
 * (about twice its answers, a probe a second).  When only a host's very
 * last one skipped it, a port with another still left waited for the
 * host's next token: at 2,000 RSTs/s 443 of 9,371 such retries (six
 * seeds) went out over 100 ms after the silence, none now - on the
 * testbed, a -sS /20 whose hosts had two or three filtered ports held
 * them 0.2-0.7 s each in its last seconds.
 */
static void test_host_few_left(void **state)
{
	uint64_t last = 0, slow = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 6; seed++) {
		struct pol_result r =
			subnet_sim_ports(2000, 256, 2, seed, true);

		sim_say("", seed, &r);
		assert_int_equal(r.wrong, 0);
		assert_true(r.secs < 2 * r.ideal + 5);
		last += r.last_retries;
		slow += r.last_slow;
	}
	if (getenv("SCHED_TEST_DEBUG"))
		print_message("%llu of %llu last retries slow\n",
			      (unsigned long long)slow,
			      (unsigned long long)last);
	assert_true(slow * 100 < last);
}

/*
 * The /20 at `limit` RSTs/s with port 3 filtered on 256 hosts, on each of
 * the seeds: every port right, and no crawl (simulated time): under
 * `ratio` times the ideal, or (ratio 0) twice it and 5 s.
 */
static void subnet_seeds_within(double limit, const uint64_t *seeds, size_t n,
				double ratio)
{
	for (size_t i = 0; i < n; i++) {
		struct pol_result r = subnet_sim(limit, 256, seeds[i]);

		sim_say("", seeds[i], &r);
		assert_int_equal(r.wrong, 0);
		assert_true(r.secs <
			    (ratio > 0 ? ratio * r.ideal : 2 * r.ideal + 5));
	}
}

/* The same at 200 RSTs/s, with the crawl bound. */
static void subnet_seeds_exact(const uint64_t *seeds, size_t n)
{
	subnet_seeds_within(200, seeds, n, 0);
}

/*
 * At 200 RSTs/s a scan whose rounds are all retries relies on the limit
 * test, and over 128 attempts at half pace a share of 7 % that doubles
 * is within the noise.  Each test ended undecided and started over,
 * fifteen in a row, while the pace stayed at 14 times what the target
 * answered and closed ports used up their attempts: on these seeds 145
 * to 1,669 ports came out filtered.  Undecided tests now pool.  (Other
 * seeds then still ended with a port or two wrong: see
 * test_retry_limit_follows_drops.)
 */
static void test_limit_test_pools(void **state)
{
	static const uint64_t seeds[] = { 16, 36, 52, 80, 96, 104 };

	(void)state;
	subnet_seeds_exact(seeds, sizeof(seeds) / sizeof(seeds[0]));
}

/*
 * A host's first probe, its host not having answered yet, is outside the
 * drop need and nmap's rule (both follow a host's answers): on this seed
 * the first probe of a host, a closed port behind the 200 RSTs/s limit,
 * was dropped four times in a row at 26 s and ended filtered after the
 * defaults' retries + 1 clean silences.  When the scan's drop chance asks
 * more, such a probe needs one more (clean_needed).
 */
static void test_first_probe_of_host(void **state)
{
	static const uint64_t seeds[] = { 525 };

	(void)state;
	subnet_seeds_exact(seeds, sizeof(seeds) / sizeof(seeds[0]));
}

/*
 * The /20 whose RSTs are policed at 2,000/s, the scheduler told which
 * answers are refusals (as scan.c tells it) or not.  The limit is the
 * refusals' alone - the probes answered after a drop are all refusals -
 * so a pace measured on the retries of the first second's drops (all
 * closed ports: ~2,000/s) is two fifths of what first attempts can go
 * at, and cc follows the mix (cc.c, kind_rate) instead of creeping up to
 * it by probe rounds.  Over 100 seeds: faster on average (5.43 s against
 * 5.70 s; 3.97 s is the ideal), every port right.
 */
static void test_refusals_pace(void **state)
{
	double told = 0, blind = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 100; seed++) {
		struct pol_result t = subnet_sim_kinds(2000, 256, seed, true);
		struct pol_result b = subnet_sim_kinds(2000, 256, seed, false);

		sim_say("told ", seed, &t);
		sim_say("blind ", seed, &b);
		assert_int_equal(t.wrong, 0);
		assert_int_equal(b.wrong, 0);
		told += t.secs;
		blind += b.secs;
	}
	if (getenv("SCHED_TEST_DEBUG"))
		print_message("told %.3f s, blind %.3f s (means)\n", told / 100,
			      blind / 100);
	assert_true(told < 0.98 * blind);
}

/*
 * A kind limit a limit test has found is not tested again (cc.c,
 * limit_testable): each test halved the pace for a round or two, and the
 * verdict held the scan at what the retries of the moment drew while
 * first attempts came back - a second of a /20 at half what its target
 * passed.  The simulated /20 at 2,000 and at 200 RSTs/s, every port
 * right, faster on average than 1.31 and 1.26 times the ideal (before:
 * 1.34 and 1.31; simulated time) - and since the pace fills the limit
 * from below by the refusals that arrive (cc.c, kind_fill), than 1.27
 * and 1.19 (seeds 1-40 and 1-10: 1.282 and 1.201 before, 1.261 and
 * 1.160 with it).  Seed 309 at 2,000/s cruised 8 % over the limit with
 * no event and ended a closed port filtered after three clean silences
 * until the drop chance counted refusals apart (scheduler.c,
 * drop_chance).
 */
static void test_kind_limit_found_once(void **state)
{
	static const struct {
		double limit, max_ratio;
		uint64_t seeds;
	} runs[] = { { 2000, 1.27, 40 }, { 200, 1.19, 10 } };

	(void)state;
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		double secs = 0, ideal = 0;

		for (uint64_t seed = 1; seed <= runs[i].seeds; seed++) {
			struct pol_result r =
				subnet_sim(runs[i].limit, 256, seed);

			sim_say("", seed, &r);
			assert_int_equal(r.wrong, 0);
			secs += r.secs;
			ideal += r.ideal;
		}
		if (getenv("SCHED_TEST_DEBUG"))
			print_message("limit %.0f: %.3f x ideal\n",
				      runs[i].limit, secs / ideal);
		assert_true(secs < runs[i].max_ratio * ideal);
	}
	assert_int_equal(subnet_sim(2000, 256, 309).wrong, 0);
}

/*
 * Seeds whose scan had an event just as its first attempts ran out, at
 * 2,000 RSTs/s: no round of first attempts was left to vouch for the
 * scan, the retries of filtered ports went out too fast to be quiet by
 * their send rate, and none of their silences counted - 7.6 and 12.8 s
 * (simulated) where ~5.5 would do.  A kind-limited scope's silences count
 * when the refusals arriving around them came at under half its limit
 * (cc.c, kind_quiet).
 */
static void test_kind_quiet_tail(void **state)
{
	static const uint64_t seeds[] = { 762, 949 };

	(void)state;
	subnet_seeds_within(2000, seeds, sizeof(seeds) / sizeof(seeds[0]), 1.6);
}

/*
 * Seeds whose scan had an event judged on its last first attempts, at
 * 2,000 RSTs/s: every silence after it was unclean until two RTOs had
 * passed, and filtered ports that had backed off to half a second over
 * the scan waited that long for each of their last clean silences - 5.52
 * and 5.56 s (1.39 and 1.40 times the ideal, simulated) where the scan
 * with no late event ends in about 5.  In a kind-limited scan's last
 * second such a retry goes once the event stops counting
 * (sched_timed_out).
 */
static void test_ending_retry(void **state)
{
	static const uint64_t seeds[] = { 81, 346 };

	(void)state;
	subnet_seeds_within(2000, seeds, sizeof(seeds) / sizeof(seeds[0]), 1.3);
}

/*
 * A limit test waits for as many half-pace attempts as would draw eight
 * answers at the share its full-pace rounds drew; those rounds go on
 * being counted after the half pace ends, and where their share fell a
 * little the test was a few attempts short of a need that had grown, and
 * waited for half-pace rounds that never came: no verdict and no new
 * test while this seed's scan sent 3,300/s, 16 times what the target
 * answered, for seven seconds, and 564 closed ports used up their
 * attempts.  A test now ends when its last half-pace round is judged.
 */
static void test_limit_test_ends(void **state)
{
	static const uint64_t seeds[] = { 309 };

	(void)state;
	subnet_seeds_exact(seeds, sizeof(seeds) / sizeof(seeds[0]));
}

/*
 * The same scan, seeds that ended with a closed port or three filtered
 * (15 of 360 seeds did): the pace cruised a little over the limit
 * between events, a few per cent of the closed ports' attempts were
 * dropped with no event to say so, and four clean silences in a row -
 * all nmap's rule asked, or the defaults' retries + 1 once the port's
 * host had been forgotten between its probes - came in a few seconds to
 * one port of 8,000.  The retry limit now follows the drop chance the
 * answers show, and a host that answered is remembered.
 */
static void test_retry_limit_follows_drops(void **state)
{
	/* 136: a spell of drops the long windows were slow to see, with
	 * the host's startup no longer unclean (test_sparse_host_startup) */
	static const uint64_t seeds[] = { 7, 49, 71, 94, 99, 125, 136, 165 };

	(void)state;
	subnet_seeds_exact(seeds, sizeof(seeds) / sizeof(seeds[0]));
}

/*
 * The same scan again, seeds that crawled: a limit test whose half-pace
 * side happened to hold more first attempts (23 % of its attempts,
 * against 4 % at full pace) drew twice the share with no limit at all -
 * first attempts are answered, retries of filtered ports are not - and
 * read it as a limit of 37/s; the scan took 311 and 407 s instead of 50.  The
 * test now compares the half-pace share with what its own mix would draw
 * at the full-pace side's shares.
 */
static void test_limit_test_mix(void **state)
{
	static const uint64_t seeds[] = { 48, 102 };

	(void)state;
	subnet_seeds_exact(seeds, sizeof(seeds) / sizeof(seeds[0]));
}

/*
 * A host scanned on five ports is in its own startup all through the
 * scan, and that alone made every silence of its filtered ports unclean:
 * each used all eleven attempts.  A host's startup now counts once it has
 * sent a round's worth of probes.  A /20 with port 3 filtered on half its
 * hosts, no limit, on the seeds whose scan leaves its own startup: 2,053
 * filtered probes took 17,800-18,400 retries (2.6-2.8 s), now under six
 * attempts each.  (Seeds whose scan stays in startup to its end still
 * retry every filtered port ten times: not solved.)
 */
static void test_sparse_host_startup(void **state)
{
	static const uint64_t seeds[] = { 3, 4 };

	(void)state;
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct pol_result r = subnet_sim(0, 2048, seeds[i]);

		sim_say("", seeds[i], &r);
		assert_int_equal(r.wrong, 0);
		assert_true(r.retries < 6 * 2053);
	}
}

/*
 * No limit and no drops, but a tenth of the ports filtered (a /19 with
 * one port dropped on half its hosts): nothing is congested, so there is
 * nothing to slow down for.  Final outcomes counted as they came in, and
 * the best of sixteen noisy shares, once put the clean share at 0.97
 * against a true 0.90 and called ordinary rounds drops - on veth such a
 * scan took 20 to 450 s instead of 7.
 */
static void test_filtered_share_is_no_drop(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 6; seed++) {
		struct pol_result r = subnet_sim(0, 2048, seed);

		sim_say("", seed, &r);
		assert_int_equal(r.wrong, 0);
		assert_true(r.events <= 1);
	}
}

/*
 * -sU of one Linux host: it answers a closed UDP port with an ICMP port
 * unreachable only within its per-peer budget (1/s, a burst of 6, per
 * source address of ours; sources taken in turn), open ports always (a
 * service's reply is not limited), and 3 % of the ports never.  Past the
 * burst a closed port is as silent as a filtered one, so without the
 * answer-limit rule 93 of 100 closed ports came out open|filtered in 2 s
 * (the real scan agreed: 93 wrong in 2.15 s).  The ideal is what the
 * budget allows: closed ports past the bursts at sources/s.
 */
static struct pol_result udp_sim(uint64_t ports, uint32_t sources,
				 uint64_t seed)
{
	const uint64_t slots = 4096;
	const double burst = 6, refill = 1.0;
	struct sched_config c = config(ports, slots);
	uint8_t *kind = calloc(ports, 1);
	struct pol_bucket *b = calloc(sources, sizeof(*b));
	uint64_t closed = 0, x = seed * 7919 + 1;
	struct pol_result res = { 0 };
	struct sched *s;

	assert_non_null(kind);
	assert_non_null(b);
	for (uint64_t i = 0; i < ports; i++) {
		uint64_t r = rnd(&x) % 100;

		kind[i] = r < 3 ? POL_OPEN : r < 6 ? POL_FILTERED : POL_CLOSED;
		closed += kind[i] == POL_CLOSED;
	}
	c.nudp = ports;
	s = sim_sched(&c, ports, seed);
	sim_run(s, kind, ports, b, sources, refill, burst, slots, true, &res);
	res.ideal = closed > burst * sources ?
			    ((double)closed - burst * sources) /
				    (refill * sources) :
			    0;
	sched_free(s);
	free(b);
	free(kind);
	return res;
}

static void test_udp_icmp_budget(void **state)
{
	static const struct {
		uint64_t ports;
		uint32_t sources;
	} runs[] = { { 100, 1 }, { 100, 16 }, { 1000, 32 } };

	(void)state;
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		for (uint64_t seed = 1; seed <= 3; seed++) {
			struct pol_result r =
				udp_sim(runs[i].ports, runs[i].sources, seed);
			char what[48];

			snprintf(what, sizeof(what), "%llu ports, %u sources, ",
				 (unsigned long long)runs[i].ports,
				 runs[i].sources);
			sim_say(what, seed, &r);
			assert_int_equal(r.wrong, 0);
			/*
			 * Simulated time, and a guard against a crawl, not
			 * a speed target (bench/udp.sh measures those): a
			 * cut counted on stale retries once held 1000
			 * ports at 8/s for 800 s.
			 */
			assert_true(r.secs < 4 * r.ideal + 15);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_shards_cover_space),
		cmocka_unit_test(test_seed_sets_order),
		cmocka_unit_test(test_retry_backoff),
		cmocka_unit_test(test_backoff_is_capped),
		cmocka_unit_test(test_retry_before_new),
		cmocka_unit_test(test_retries_in_due_order),
		cmocka_unit_test(test_inflight_bound),
		cmocka_unit_test(test_heap_capacity_bound),
		cmocka_unit_test(test_deferral),
		cmocka_unit_test(test_deferral_floor),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_rate_limit_counts_retries),
		cmocka_unit_test(test_adaptive_timeout),
		cmocka_unit_test(test_withdrawn_retry),
		cmocka_unit_test(test_timeout_rise_waits),
		cmocka_unit_test(test_front_holds_retry),
		cmocka_unit_test(test_connect_resend_holds_retry),
		cmocka_unit_test(test_resent_answer_no_sample),
		cmocka_unit_test(test_early_answer),
		cmocka_unit_test(test_finished_only_at_end),
		cmocka_unit_test(test_retry_timeout_floor),
		cmocka_unit_test(test_blind_burst_silence),
		cmocka_unit_test(test_linger_follows_path),
		cmocka_unit_test(test_rtt_scope_sparse_host),
		cmocka_unit_test(test_connect_listens_long),
		cmocka_unit_test(test_cap_follows_answers),
		cmocka_unit_test(test_retries_follow_evidence),
		cmocka_unit_test(test_simulated_scans),
		cmocka_unit_test(test_policed_subnet),
		cmocka_unit_test(test_host_few_left),
		cmocka_unit_test(test_policed_host),
		cmocka_unit_test(test_startup_losses),
		cmocka_unit_test(test_limit_test_pools),
		cmocka_unit_test(test_limit_test_ends),
		cmocka_unit_test(test_refusals_pace),
		cmocka_unit_test(test_kind_limit_found_once),
		cmocka_unit_test(test_kind_quiet_tail),
		cmocka_unit_test(test_ending_retry),
		cmocka_unit_test(test_first_probe_of_host),
		cmocka_unit_test(test_retry_limit_follows_drops),
		cmocka_unit_test(test_limit_test_mix),
		cmocka_unit_test(test_sparse_host_startup),
		cmocka_unit_test(test_filtered_share_is_no_drop),
		cmocka_unit_test(test_udp_icmp_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
