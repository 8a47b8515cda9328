/*
 * octets.c - nmap IPv4 octet specs (see octets.h).
 *
 * A spec is parsed into four 256-bit maps, one per octet, so that lists,
 * ranges and overlaps ("1-5,3-9") need no normalising: a bit is set or it
 * is not.  Errors say what is wrong with the first bad piece; longer digit
 * runs are consumed whole so that "1000" reads as out of range, not as
 * "100" followed by garbage.
 *
 * Expansion.  Let k be the last octet that is not 0-255.  Every maximal
 * run of set bits in octet k, with all of the octets after it, is one
 * contiguous range; the octets before k are enumerated like an odometer
 * (the last of them fastest), which yields the ranges in ascending order.
 * If every octet is full, the set is the whole IPv4 space: one range.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "octets.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * One decimal octet at *p: 1-3 digits, at most 255.  Longer digit runs are
 * consumed whole so the error names the right problem.
 */
static const char *octet_num(const char **p, unsigned *out)
{
	unsigned v = 0, digits = 0;

	while (is_digit(**p)) {
		if (digits < 4)
			v = v * 10 + (unsigned)(**p - '0');
		digits++;
		(*p)++;
	}
	if (!digits)
		return "invalid IPv4 octet";
	if (digits > 3 || v > 255)
		return "IPv4 octet out of range (0-255)";
	*out = v;
	return NULL;
}

int octets_parse_quad(const char *s, uint32_t *out, const char **why)
{
	const char *p = s;
	uint32_t v = 0;
	unsigned o;
	int i;

	for (i = 0; i < 4; i++) {
		if (i) {
			if (*p != '.')
				goto out_short;
			p++;
		}
		*why = octet_num(&p, &o);
		if (*why)
			return -EINVAL;
		v = v << 8 | o;
	}
	if (*p)
		goto out_short;
	*out = v;
	return 0;

out_short:
	*why = "IPv4 address needs four dotted octets";
	return -EINVAL;
}

static void octet_set(uint8_t *map, unsigned lo, unsigned hi)
{
	unsigned i;

	for (i = lo; i <= hi; i++)
		map[i / 8] |= (uint8_t)(1u << (i % 8));
}

static bool octet_has(const uint8_t *map, unsigned i)
{
	return map[i / 8] & (1u << (i % 8));
}

static bool octet_full(const uint8_t *map)
{
	unsigned i;

	for (i = 0; i < 32; i++)
		if (map[i] != 0xff)
			return false;
	return true;
}

/*
 * One octet of a spec: a comma list of "n", "n-m", "-m" (0-m), "n-"
 * (n-255), "-" or "*" (0-255).  Stops at '.' or the end.
 */
static const char *octet_spec(const char **pp, uint8_t *map)
{
	const char *p = *pp, *why;
	unsigned lo, hi;

	if (*p == '.' || !*p)
		return "empty IPv4 octet";
	if (*p == ',')
		return "empty item in octet list";
	for (;;) {
		if (*p == '*') {
			p++;
			lo = 0;
			hi = 255;
		} else {
			bool has_lo = is_digit(*p);

			lo = 0;
			if (has_lo) {
				why = octet_num(&p, &lo);
				if (why)
					return why;
			}
			hi = lo;
			if (*p == '-') {
				p++;
				hi = 255;
				if (is_digit(*p)) {
					why = octet_num(&p, &hi);
					if (why)
						return why;
				}
			} else if (!has_lo) {
				return "invalid IPv4 octet";
			}
			if (lo > hi)
				return "range is reversed (start > end)";
		}
		octet_set(map, lo, hi);
		if (*p == ',') {
			p++;
			if (*p == ',' || *p == '.' || !*p)
				return "empty item in octet list";
			continue;
		}
		if (*p == '.' || !*p)
			break;
		return *p == '-' ? "invalid octet range" : "invalid IPv4 octet";
	}
	*pp = p;
	return NULL;
}

int octets_parse(struct octets *o, const char *s, const char **why)
{
	const char *p = s;
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < 4; i++) {
		if (i) {
			if (*p != '.')
				goto out_short;
			p++;
		}
		*why = octet_spec(&p, o->map[i]);
		if (*why)
			return -EINVAL;
	}
	if (*p)
		goto out_short;
	return 0;

out_short:
	*why = "IPv4 address needs four dotted octets";
	return -EINVAL;
}

/* The last octet that is not 0-255, or -1 if every one is. */
static int last_partial(const struct octets *o)
{
	int k;

	for (k = 3; k >= 0 && octet_full(o->map[k]); k--)
		;
	return k;
}

/* Maximal runs of set bits in map, as [lo, hi] pairs; their number. */
static unsigned octet_runs(const uint8_t *map, uint8_t *lo, uint8_t *hi)
{
	unsigned n = 0, v;

	for (v = 0; v < 256; v++) {
		if (!octet_has(map, v))
			continue;
		if (n && hi[n - 1] + 1u == v) {
			hi[n - 1] = (uint8_t)v;
		} else {
			lo[n] = hi[n] = (uint8_t)v;
			n++;
		}
	}
	return n;
}

/* The values set in map, ascending; their number. */
static unsigned octet_values(const uint8_t *map, uint8_t *vals)
{
	unsigned n = 0, v;

	for (v = 0; v < 256; v++)
		if (octet_has(map, v))
			vals[n++] = (uint8_t)v;
	return n;
}

uint64_t octets_count(const struct octets *o)
{
	uint8_t vals[256], runs_lo[128], runs_hi[128];
	int k = last_partial(o), j;
	uint64_t need;

	if (k < 0)
		return 1;
	need = octet_runs(o->map[k], runs_lo, runs_hi);
	for (j = 0; j < k; j++)
		need *= octet_values(o->map[j], vals);
	return need;
}

int octets_expand(const struct octets *o,
		  int (*fn)(void *ctx, uint32_t lo, uint32_t hi), void *ctx)
{
	uint8_t vals[3][256], runs_lo[128], runs_hi[128];
	unsigned nvals[3] = { 0 }, nruns, idx[3] = { 0 };
	unsigned shift, i;
	uint32_t tail;
	int k = last_partial(o), j, ret;

	if (k < 0)
		return fn(ctx, 0, 0xffffffffu);
	for (j = 0; j < k; j++)
		nvals[j] = octet_values(o->map[j], vals[j]);
	nruns = octet_runs(o->map[k], runs_lo, runs_hi);

	shift = 8 * (3 - (unsigned)k);
	tail = (uint32_t)((1ULL << shift) - 1);
	for (;;) {
		uint32_t base = 0;

		for (j = 0; j < k; j++)
			base |= (uint32_t)vals[j][idx[j]] << (24 - 8 * j);
		for (i = 0; i < nruns; i++) {
			ret = fn(ctx, base | (uint32_t)runs_lo[i] << shift,
				 base | (uint32_t)runs_hi[i] << shift | tail);
			if (ret)
				return ret;
		}
		for (j = k - 1; j >= 0; j--) {
			if (++idx[j] < nvals[j])
				break;
			idx[j] = 0;
		}
		if (j < 0)
			return 0;
	}
}
