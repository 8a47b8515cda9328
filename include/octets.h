/*
 * octets.h - nmap's IPv4 octet specs ("10.0-255.0-255.1", "10.0.0,2.1",
 * "192.168.*.1-40") and plain dotted quads: the grammar, and the expansion
 * of a spec to address ranges.
 *
 * A spec is four dot-separated octet lists; each item of a list is "n",
 * "n-m", "-m" (0-m), "n-" (n-255), "-" or "*" (0-255).  Octet numbers are
 * decimal, 1-3 digits (leading zeros allowed, as nmap), never octal.  The
 * set a spec describes need not be contiguous, so it expands to many
 * ranges: the trailing octets that are full (0-255) fold into the ranges
 * of the last partial octet, and only the octets before it are
 * enumerated.  octets_count says how many ranges that is before anything
 * is expanded, so a caller can refuse "1-254.1-254.1-254.1" without
 * building it.
 *
 * Pure: no allocation, no state beyond the caller's struct octets, errors
 * as -EINVAL plus a static reason for the CLI.  Used by targets.c.
 */
#ifndef RINGSCAN_OCTETS_H
#define RINGSCAN_OCTETS_H

#include <stdint.h>

/* The octet sets of a spec, one 256-bit map per octet. */
struct octets {
	uint8_t map[4][32];
};

/* A plain dotted quad, the whole string, host order; -EINVAL and *why. */
int octets_parse_quad(const char *s, uint32_t *out, const char **why);

/* An octet spec, the whole string; -EINVAL and *why. */
int octets_parse(struct octets *o, const char *s, const char **why);

/* How many ranges octets_expand will produce (at least 1). */
uint64_t octets_count(const struct octets *o);

/*
 * Call fn(ctx, lo, hi) for every range of the set, inclusive, host order,
 * in ascending order; stops at the first non-zero return and returns it.
 */
int octets_expand(const struct octets *o,
		  int (*fn)(void *ctx, uint32_t lo, uint32_t hi), void *ctx);

#endif
