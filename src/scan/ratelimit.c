/*
 * ratelimit.c - a token bucket in exact integer arithmetic.
 *
 * Credit is kept in units of 1e-9 token, so dt nanoseconds at `rate` tokens
 * per second add exactly rate * dt units: no rounding is ever thrown away,
 * and a million small refills add up to the same credit as one big one.  The
 * long-run rate is therefore exact as long as the caller polls at least once
 * per bucket fill time (burst / rate); whatever accrues beyond one full
 * bucket is discarded on purpose - that is the "no catch-up" rule.  "Full"
 * means burst whole tokens plus the fraction of the next one: capping at
 * exactly burst tokens would throw away the part of every poll interval that
 * overshoots the moment the bucket filled, which at burst 1 (rates below 200)
 * silently lowers the rate by up to one poll interval per token.
 *
 * rate * dt can overflow 64 bits for a high rate and a long stall, so a
 * refill first checks whether dt is long enough to fill the bucket anyway
 * and only multiplies when the product is known to fit below the capacity.
 * A clock that appears to go backwards adds nothing.
 *
 * The bucket starts full: the first batch may go at once.
 */
#include "ratelimit.h"

#define NS_PER_SEC 1000000000ULL
#define RATELIMIT_BURST_DIV 100 /* one bucket = 10 ms of tokens */

/* Credit at now_ns, without changing the bucket. */
static uint64_t credit_at(const struct ratelimit *rl, uint64_t now_ns)
{
	uint64_t cap = (rl->burst + 1) * NS_PER_SEC - 1;
	uint64_t room, dt;

	if (now_ns <= rl->last_ns || rl->credit >= cap)
		return rl->credit < cap ? rl->credit : cap;
	dt = now_ns - rl->last_ns;
	room = cap - rl->credit;
	if (dt > room / rl->rate)
		return cap;
	return rl->credit + dt * rl->rate;
}

void ratelimit_init(struct ratelimit *rl, uint64_t rate, uint64_t now_ns)
{
	uint64_t burst = rate / RATELIMIT_BURST_DIV;

	if (burst < 1)
		burst = 1;
	if (burst > RATELIMIT_MAX_BURST)
		burst = RATELIMIT_MAX_BURST;
	rl->rate = rate;
	rl->burst = burst;
	rl->last_ns = now_ns;
	rl->credit = burst * NS_PER_SEC;
}

uint32_t ratelimit_take(struct ratelimit *rl, uint64_t now_ns, uint32_t want)
{
	uint64_t avail;

	if (rl->rate == 0)
		return want;
	rl->credit = credit_at(rl, now_ns);
	if (now_ns > rl->last_ns)
		rl->last_ns = now_ns;
	avail = rl->credit / NS_PER_SEC;
	if (avail > want)
		avail = want;
	rl->credit -= avail * NS_PER_SEC;
	return (uint32_t)avail;
}

uint64_t ratelimit_wait_ns(const struct ratelimit *rl, uint64_t now_ns)
{
	uint64_t credit, need;

	if (rl->rate == 0)
		return 0;
	credit = credit_at(rl, now_ns);
	if (credit >= NS_PER_SEC)
		return 0;
	/* Round up: at now + wait the credit is at least one token. */
	need = NS_PER_SEC - credit;
	return need / rl->rate + (need % rl->rate != 0);
}
