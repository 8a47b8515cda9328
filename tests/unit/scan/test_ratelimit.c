/*
 * test_ratelimit.c - the token bucket against simulated time.
 *
 * Time is a number we advance, so ten "seconds" at a million tokens per
 * second run in well under a second and the expected counts are exact
 * arithmetic, not timing-dependent guesses.  Each simulation polls at a
 * fixed interval; when the interval is shorter than the bucket's fill time
 * (burst / rate) the grant must track rate * time, otherwise every poll must
 * find exactly one full bucket and no more (no catch-up).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ratelimit.h"

#define NS 1000000000ULL
#define T0 1000000000000ULL /* an arbitrary, non-zero start */

static void test_burst_size(void **state)
{
	static const struct {
		uint64_t rate, burst;
	} cases[] = {
		{ 1, 1 },	  { 99, 1 },
		{ 100, 1 },	  { 199, 1 },
		{ 200, 2 },	  { 1000, 10 },
		{ 25600, 256 },	  { 25700, 256 },
		{ 1000000, 256 }, { UINT64_MAX, 256 },
	};
	struct ratelimit rl;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ratelimit_init(&rl, cases[i].rate, T0);
		assert_int_equal(rl.burst, cases[i].burst);
		/* The bucket starts full: one burst at once, then nothing. */
		assert_int_equal(ratelimit_take(&rl, T0, UINT32_MAX),
				 cases[i].burst);
		assert_int_equal(ratelimit_take(&rl, T0, UINT32_MAX), 0);
	}
}

static void test_unlimited(void **state)
{
	struct ratelimit rl;

	(void)state;
	ratelimit_init(&rl, 0, T0);
	assert_int_equal(ratelimit_take(&rl, T0, 5), 5);
	assert_int_equal(ratelimit_take(&rl, T0, UINT32_MAX), UINT32_MAX);
	assert_int_equal(ratelimit_take(&rl, T0, 0), 0);
	assert_int_equal(ratelimit_wait_ns(&rl, T0), 0);
}

static void test_take_respects_want(void **state)
{
	struct ratelimit rl;

	(void)state;
	ratelimit_init(&rl, 1000, T0); /* burst 10 */
	assert_int_equal(ratelimit_take(&rl, T0, 3), 3);
	assert_int_equal(ratelimit_take(&rl, T0, 0), 0);
	assert_int_equal(ratelimit_take(&rl, T0, 100), 7);
	assert_int_equal(ratelimit_take(&rl, T0, 100), 0);
}

/* Poll every interval_ns for 10 s, taking up to want each time. */
static uint64_t simulate(uint64_t rate, uint64_t interval_ns, uint32_t want,
			 uint64_t *polls)
{
	struct ratelimit rl;
	uint64_t t, granted = 0;

	*polls = 0;
	ratelimit_init(&rl, rate, T0);
	for (t = T0; t <= T0 + 10 * NS; t += interval_ns) {
		granted += ratelimit_take(&rl, t, want);
		(*polls)++;
	}
	return granted;
}

static void test_rate_over_ten_seconds(void **state)
{
	static const uint64_t rates[] = { 1, 10, 1000, 10000, 100000, 1000000 };
	static const uint64_t intervals[] = { 1000, 100000, 1000000, 37000000 };
	size_t r, i;

	(void)state;
	for (r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		for (i = 0; i < sizeof(intervals) / sizeof(intervals[0]); i++) {
			uint64_t rate = rates[r], iv = intervals[i];
			struct ratelimit probe;
			uint64_t polls, got, want;

			ratelimit_init(&probe, rate, 0);
			got = simulate(rate, iv, UINT32_MAX, &polls);
			if (rate * iv <= probe.burst * NS) {
				/* Polled within the fill time: full rate. */
				want = rate * 10;
				assert_true(got + want / 100 + probe.burst >=
					    want);
				assert_true(got <=
					    want + want / 100 + probe.burst);
			} else {
				/*
				 * Each interval more than refills the
				 * bucket; the excess is lost, not caught up.
				 */
				assert_int_equal(got, polls * probe.burst);
			}
		}
	}
}

/* Small takes (a batch of 8 each poll) still add up to the rate exactly. */
static void test_rate_small_takes(void **state)
{
	uint64_t polls, got;

	(void)state;
	/* 1e5/s polled every 50 us: 5 tokens accrue per poll, 8 wanted. */
	got = simulate(100000, 50000, 8, &polls);
	assert_true(got >= 1000000 - 1000 && got <= 1000000 + 1000 + 256);
	/* 1e6/s polled every us wanting 1: exactly one per poll. */
	got = simulate(1000000, 1000, 1, &polls);
	assert_int_equal(got, polls);
}

/* Odd rates: the fixed-point credit loses nothing over many refills. */
static void test_no_drift(void **state)
{
	struct ratelimit rl;
	uint64_t t, last = T0, got = 0;

	(void)state;
	/* 3 tokens/s is 333333333.3 ns per token: float-free exactness. */
	ratelimit_init(&rl, 3, T0);
	got += ratelimit_take(&rl, T0, UINT32_MAX); /* the initial 1 */
	for (t = T0 + 1; t <= T0 + 1000 * NS; t += 7777777) {
		got += ratelimit_take(&rl, t, UINT32_MAX);
		last = t;
	}
	/* Exactly the initial token plus all that accrued until the last. */
	assert_int_equal(got, 1 + 3 * (last - T0) / NS);
}

static void test_no_catch_up_after_stall(void **state)
{
	static const uint64_t rates[] = { 1, 1000, 1000000 };
	size_t r;

	(void)state;
	for (r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		struct ratelimit rl;
		uint64_t t = T0, dt, got;

		ratelimit_init(&rl, rates[r], t);
		ratelimit_take(&rl, t, UINT32_MAX);
		t += 5 * NS;
		assert_int_equal(ratelimit_take(&rl, t, UINT32_MAX), rl.burst);
		assert_int_equal(ratelimit_take(&rl, t, UINT32_MAX), 0);
		/* Then the rate resumes, exactly, with no extra tokens. */
		got = 0;
		for (dt = 100000; dt <= NS; dt += 100000)
			got += ratelimit_take(&rl, t + dt, UINT32_MAX);
		assert_int_equal(got, rates[r]);
	}
}

static void test_wait_is_accurate(void **state)
{
	static const uint64_t rates[] = {
		1, 3, 7, 1000, 999999, 1000000, 3000000000ULL
	};
	size_t r;

	(void)state;
	for (r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		struct ratelimit rl, copy;
		uint64_t t = T0, w;

		ratelimit_init(&rl, rates[r], t);
		assert_int_equal(ratelimit_wait_ns(&rl, t), 0);
		ratelimit_take(&rl, t, UINT32_MAX);
		w = ratelimit_wait_ns(&rl, t);
		assert_true(w > 0);
		assert_int_equal(w, (NS + rates[r] - 1) / rates[r]);
		/* One nanosecond early is too early... */
		copy = rl;
		assert_int_equal(ratelimit_take(&copy, t + w - 1, 1), 0);
		/* ...and the wait is measured from the time passed in. */
		assert_int_equal(ratelimit_wait_ns(&rl, t + w / 2), w - w / 2);
		assert_true(ratelimit_take(&rl, t + w, 1) >= 1);
	}
}

static void test_large_times(void **state)
{
	const uint64_t big = (1ULL << 63) - 10 * NS;
	struct ratelimit rl;
	uint64_t t, got = 0;

	(void)state;
	/* Near 2^63: plain arithmetic, no wrap. */
	ratelimit_init(&rl, 1000, big);
	for (t = big; t <= big + 10 * NS; t += 1000000)
		got += ratelimit_take(&rl, t, UINT32_MAX);
	assert_true(got >= 9900 + 10 && got <= 10100 + 10);

	/* A stall of ~2^63 ns: rate * dt would overflow 64 bits. */
	ratelimit_init(&rl, 1000000, 0);
	ratelimit_take(&rl, 0, UINT32_MAX);
	assert_int_equal(ratelimit_take(&rl, 1ULL << 63, UINT32_MAX), 256);
	/* The bucket keeps the fraction of the next token, not more. */
	assert_int_equal(ratelimit_wait_ns(&rl, 1ULL << 63), 1);
	assert_int_equal(ratelimit_take(&rl, (1ULL << 63) + 1, UINT32_MAX), 1);
	assert_int_equal(ratelimit_wait_ns(&rl, (1ULL << 63) + 1), 1000);
	assert_int_equal(ratelimit_wait_ns(&rl, UINT64_MAX), 0);

	/* The top of the range. */
	ratelimit_init(&rl, 10, UINT64_MAX - 2 * NS);
	ratelimit_take(&rl, UINT64_MAX - 2 * NS, UINT32_MAX);
	assert_int_equal(ratelimit_take(&rl, UINT64_MAX, UINT32_MAX), 1);
	assert_int_equal(ratelimit_wait_ns(&rl, UINT64_MAX), 1);
}

static void test_clock_backwards(void **state)
{
	struct ratelimit rl;

	(void)state;
	ratelimit_init(&rl, 1000, T0);
	ratelimit_take(&rl, T0, UINT32_MAX);
	/* An earlier time adds nothing and does not move the origin back. */
	assert_int_equal(ratelimit_take(&rl, T0 - NS, UINT32_MAX), 0);
	assert_int_equal(ratelimit_take(&rl, T0 + 1000000, UINT32_MAX), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_size),
		cmocka_unit_test(test_unlimited),
		cmocka_unit_test(test_take_respects_want),
		cmocka_unit_test(test_rate_over_ten_seconds),
		cmocka_unit_test(test_rate_small_takes),
		cmocka_unit_test(test_no_drift),
		cmocka_unit_test(test_no_catch_up_after_stall),
		cmocka_unit_test(test_wait_is_accurate),
		cmocka_unit_test(test_large_times),
		cmocka_unit_test(test_clock_backwards),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
