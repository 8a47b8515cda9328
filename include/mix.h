/*
 * mix.h - one 64-bit mixing function for the whole program.
 *
 * mix64 is the splitmix64 finaliser (xor-shift-multiply, Stafford's
 * "variant 13" constants): a bijection of 64-bit words in which every
 * input bit flips each output bit with probability close to 1/2.  It is
 * what the permutation's round function and round keys are made of, so
 * its output is part of the probe order that --seed, --shards and --resume
 * promise to keep: changing it would reorder every saved scan.  Other users
 * (the SYN engine's index hash and source-port spread) need only a good
 * mixer and take the same one rather than a second, slightly different one.
 *
 * Header-only and static inline: it sits in the hot path of both callers
 * and costs a few cycles, less than a call.  Not a keyed hash: for
 * anything an outsider can choose the input of and profit from collisions,
 * use cookie.h (SipHash).
 */
#ifndef RINGSCAN_MIX_H
#define RINGSCAN_MIX_H

#include <stdint.h>

static inline uint64_t mix64(uint64_t z)
{
	z ^= z >> 30;
	z *= 0xbf58476d1ce4e5b9ULL;
	z ^= z >> 27;
	z *= 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z;
}

#endif
