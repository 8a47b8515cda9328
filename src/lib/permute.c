/*
 * permute.c - a keyed Feistel permutation of [0, n) with cycle walking.
 *
 * A balanced Feistel network is a bijection of its domain whatever the round
 * function, so the round function only has to scramble well, not be
 * invertible: here it is a 64-bit finaliser (xor-shift-multiply, the
 * splitmix64 output stage) applied to the right half xored with the round key.
 * The domain is 2^(2*half_bits) with half_bits = ceil(bits(n - 1) / 2), at
 * least 1, so it is less than 4n and an odd number of bits costs one extra
 * bit, not a twice-as-large domain.  Values that land at or above n are
 * encrypted again ("cycle walking"): starting from i < n, following the
 * permutation's cycle must come back below n before it returns to i, and
 * two different starting points can never reach the same first value below
 * n, so the walk is itself a bijection of [0, n).  The expected number of
 * trips is domain / n < 4.
 *
 * The round keys come from the seed through the splitmix64 stream, so any
 * seed (0 included) gives well-spread, independent-looking keys and the same
 * seed gives the same order everywhere: permute_at is a pure function of
 * (n, seed, i), which is what shards and resume rely on.
 */
#include <assert.h>
#include <errno.h>

#include "mix.h"
#include "permute.h"

#define PERMUTE_MAX_N (1ULL << 62)
#define SPLITMIX_GAMMA 0x9e3779b97f4a7c15ULL

int permute_init(struct permute *p, uint64_t n, uint64_t seed)
{
	unsigned bits = 0;
	uint64_t state = seed;
	int r;

	if (n == 0 || n > PERMUTE_MAX_N)
		return -EINVAL;

	if (n > 1)
		bits = 64 - (unsigned)__builtin_clzll(n - 1);
	p->n = n;
	p->identity = false;
	p->half_bits = (bits + 1) / 2;
	if (p->half_bits == 0)
		p->half_bits = 1;
	p->half_mask = (1ULL << p->half_bits) - 1;
	for (r = 0; r < PERMUTE_ROUNDS; r++) {
		state += SPLITMIX_GAMMA;
		p->key[r] = mix64(state);
	}
	return 0;
}

static uint64_t feistel(const struct permute *p, uint64_t x)
{
	uint64_t left = x >> p->half_bits;
	uint64_t right = x & p->half_mask;
	int r;

	for (r = 0; r < PERMUTE_ROUNDS; r++) {
		uint64_t t = left ^ (mix64(right ^ p->key[r]) & p->half_mask);

		left = right;
		right = t;
	}
	return (left << p->half_bits) | right;
}

int permute_init_order(struct permute *p, uint64_t n, uint64_t seed,
		       bool sequential)
{
	int ret = permute_init(p, n, seed);

	if (!ret)
		p->identity = sequential;
	return ret;
}

uint64_t permute_at(const struct permute *p, uint64_t i)
{
	uint64_t x = i;

	assert(i < p->n);
	if (p->identity)
		return i;
	do
		x = feistel(p, x);
	while (x >= p->n);
	return x;
}
