/*
 * ratelimit.h - token bucket that paces new probes.
 *
 * Tokens accrue at `rate` per second of CLOCK_MONOTONIC time.  The bucket
 * holds at most one batch allowance (rate/100, at least 1 and at most
 * RATELIMIT_MAX_BURST) so the scanner can send in batches, yet never more:
 * after a stall (a full ring, a slow terminal, a SIGSTOP) the lost time is
 * not made up in a burst - the achieved rate drops for that moment instead of
 * hammering the target.  rate 0 means unlimited.
 *
 * Time is passed in by the caller (nanoseconds), which keeps the module pure
 * and testable without sleeping.  Hot path: no allocation, no syscalls.
 */
#ifndef RINGSCAN_RATELIMIT_H
#define RINGSCAN_RATELIMIT_H

#include <stdint.h>

#define RATELIMIT_MAX_BURST 256

struct ratelimit {
	uint64_t rate; /* tokens per second; 0 = unlimited */
	uint64_t burst; /* bucket capacity in tokens */
	uint64_t last_ns; /* time tokens were last added */
	uint64_t credit; /* tokens * 1e9 (fixed point, no drift) */
};

void ratelimit_init(struct ratelimit *rl, uint64_t rate, uint64_t now_ns);

/* Take up to want tokens; returns how many were granted (0..want). */
uint32_t ratelimit_take(struct ratelimit *rl, uint64_t now_ns, uint32_t want);

/* Nanoseconds from now until at least one token is available (0 if now). */
uint64_t ratelimit_wait_ns(const struct ratelimit *rl, uint64_t now_ns);

#endif
