/*
 * permute.h - a seeded bijection over [0, n): the order probes go out in.
 *
 * The scan space is every (host, port) pair, numbered probe = host * nports +
 * port_index.  Sending in numeric order would hit one host with all its ports
 * in a burst; permute_at(p, i) instead gives the i-th probe of a random-looking
 * order that visits every number below n exactly once.  It is a 4-round
 * Feistel network over the smallest even number of bits covering n, with
 * cycle-walking (re-encrypt until the value falls below n) - on average fewer
 * than 4 rounds trips, at most a few dozen.  The round keys come from the
 * seed, so the same seed gives the same order on every machine, which is what
 * --shards and --resume rely on: a cursor i is the whole position.
 *
 * The state is a small plain struct so the hot path inlines nothing and
 * allocates nothing; permute_at is pure.
 */
#ifndef RINGSCAN_PERMUTE_H
#define RINGSCAN_PERMUTE_H

#include <stdbool.h>
#include <stdint.h>

#define PERMUTE_ROUNDS 4

struct permute {
	uint64_t n;
	unsigned half_bits; /* bits in each Feistel half */
	uint64_t half_mask;
	uint64_t key[PERMUTE_ROUNDS];
	bool identity; /* -r: probe i is i */
};

/* n in [1, 2^62]; -EINVAL otherwise. */
int permute_init(struct permute *p, uint64_t n, uint64_t seed);

/*
 * The order a scan uses: the seeded permutation, or with sequential (nmap's
 * -r) the identity - host after host, each host's ports ascending - which
 * keeps shards and cursors meaning what they mean for the permutation.
 */
int permute_init_order(struct permute *p, uint64_t n, uint64_t seed,
		       bool sequential);

/* The i-th element (i < n) of the permutation; a value < n. */
uint64_t permute_at(const struct permute *p, uint64_t i);

/*
 * The k-th probe of shard `shard` (0-based) of `nshards`: shards take every
 * nshards-th position of the one order, so they are disjoint and together
 * complete.  The scheduler, --dry-run, resume and merge all mean this.
 */
static inline uint64_t permute_shard_at(const struct permute *p, uint32_t shard,
					uint32_t nshards, uint64_t k)
{
	return permute_at(p, shard + k * nshards);
}

#endif
