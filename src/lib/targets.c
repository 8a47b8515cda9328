/*
 * targets.c - nmap target specifications to an indexed set of hosts.
 *
 * Every spec, however written, becomes one or more inclusive ranges
 * [lo, hi] of 128-bit integers tagged with a family, appended to one of two
 * growable arrays: includes and excludes.  Nothing is sorted while parsing;
 * finalize sorts both, merges overlapping and adjacent ranges, subtracts the
 * excludes in one linear sweep (an exclude in the middle of a range splits
 * it in two), and then records for each surviving range the index of its
 * first host.  targets_get() is a binary search over that prefix array, so
 * the hot path never allocates and never walks a list.
 *
 * Classification happens before any parsing so that each token takes
 * exactly one path, and so that something shaped like an address but wrong
 * ("256.1.1.1", "1.2.3", "1.2.3.4/33") is reported as a bad address instead
 * of being handed to the resolver, which would either fail with a confusing
 * "cannot resolve" or, worse, accept inet_aton shorthand and scan the wrong
 * host.  Anything with a slash is CIDR; then anything with a colon is
 * IPv6; tokens made only of digits, dots, dashes, commas and stars are
 * IPv4; the rest must look like a DNS name before it is resolved.  Octet
 * numbers are decimal (leading zeros allowed, as nmap), never octal.  As in
 * nmap, an octet range may be open ("10.0.0.200-" is .200-.255, "10.-.0.1"
 * is 10.0-255.0.1).
 *
 * nmap octet specs ("10.0-255.0-255.1") describe sets that are not
 * contiguous, so they expand to many ranges (octets.c parses and expands
 * them).  The number of ranges is computed before expanding and capped
 * (TARGETS_MAX_RANGES), since a spec like
 * "1-254.1-254.1-254.1" would otherwise need gigabytes (targets_add then
 * fails with -E2BIG and says why); when the cap is hit the array is first
 * compacted in place, so long lists full of duplicates still fit.  Lists
 * (files, --exclude) are all or nothing: they are parsed into a scratch
 * array that joins the set only once every token parsed.
 *
 * The scope guard (targets_guard_reserved, which the CLI always turns on)
 * works as ranges are pushed, not at finalize: whether a range was "listed
 * on its own" inside a reserved block or merely reaches one is a property
 * of the spec, and merging would lose it ("223.255.255.255" and
 * "224.0.0.0" merge into one range across a block's edge).  A range that
 * reaches a block goes in without it, so even a confirmed scan of
 * "0.0.0.0/0" never sends to multicast or class E; the block is noted so
 * the CLI can name it in its refusal.
 *
 * Host names are kept beside the ranges, not in them: a name given as a
 * target (alone, not as "name/24") is noted with the address it resolved
 * to, in the order given, and at finalize the notes are sorted, the first
 * name given for an address wins (a later "127.0.0.1" or a second name
 * for it does not replace "localhost"), notes of excluded addresses are
 * dropped, and the rest are keyed by host index.  The reports then find
 * a host's name by binary search, and a scan with no names pays nothing.
 * A name with several addresses is scanned at its first (IPv4 preferred,
 * as before); the others are kept as text for the report's "Other
 * addresses for NAME (not scanned)" line, as nmap does.  Names from
 * reverse lookups (-R) arrive after finalize, in ascending host order, into
 * a second table of the same shape.
 *
 * Sizes: an IPv6 range can hold 2^128 addresses, which no integer type here
 * can count, so sizes are measured as hi - lo (always representable) and
 * compared against TARGETS_MAX_HOSTS before anything is added up.
 *
 * Why this file is some 1,250 lines.  The one part with no state of its
 * own, the IPv4 octet-spec grammar, is octets.c.  The rest is one pipeline
 * over one pair of range arrays - classify a token, push its ranges
 * through the scope guard (with the cap and compaction), commit a list all
 * or nothing, finalize, index - and each step writes what the next reads;
 * split further, the range arrays' layout and their invariants (room
 * reserved before a push, compaction points) would have to be shared
 * between files.  The names given as targets ride on the same pipeline:
 * a name is pushed with its token, dropped with a list that fails, and
 * gets its host index only when the ranges are final.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "octets.h"
#include "targets.h"

/* A 253-byte DNS name plus "/128", with slack; longer is surely garbage. */
#define TOKEN_MAX 300

/*
 * Ranges held at once in each of the include and exclude arrays, before
 * merging: 4 Mi ranges of 48 bytes is 192 MiB, as much as a target list
 * should ever cost.
 */
#define TARGETS_MAX_RANGES (1UL << 22)

/*
 * Duplicates are merged as they stream in: an array is compacted whenever
 * it doubles past what the last compaction left, but not below this many
 * ranges (3 MiB), so a list of one host repeated forever stays at that
 * size, and a list of distinct hosts pays O(log n) sorts in all.
 */
#define TARGETS_COMPACT_MIN (1UL << 16)

#define V4_CHARS "0123456789.-,*"
#define WHITESPACE " \t\n\r\v\f"

struct range {
	rs_u128 lo;
	rs_u128 hi;
	int family;
};

struct rvec {
	struct range *v;
	size_t n;
	size_t cap;
	size_t limit; /* most ranges this vector may hold */
	size_t compact_at; /* merge duplicates when n reaches this */
	/* includes under the guard: where cut reserved parts are noted */
	struct targets_reach *reach;
	int family; /* includes under -4/-6: the only family; 0 any */
};

/*
 * A host's name.  Before finalize it is keyed by address (family, v) and
 * seq (order given); after, by host index, sorted and unique.
 */
struct hname {
	rs_u128 v;
	uint64_t idx;
	uint64_t seq;
	int family;
	char *name;
	char *others; /* other addresses of the name, not scanned; or NULL */
};

struct hnames {
	struct hname *v;
	size_t n;
	size_t cap;
};

struct targets {
	struct hnames names; /* given as targets */
	struct hnames ptr; /* from reverse lookups (-R), after finalize */
	struct rvec inc; /* after finalize: the disjoint sorted result */
	struct rvec exc;
	uint64_t *first; /* first[i]: index of host inc.v[i].lo */
	uint64_t count;
	struct targets_reach reach;
	bool final;
};

/*
 * The reserved blocks, sorted by family then address: "this network",
 * multicast, the old class E (with the limited broadcast address at its
 * top), and for IPv6 the IETF-reserved ::/8 (unspecified, loopback,
 * IPv4-mapped and -compatible) and multicast.  Nothing in them answers a
 * TCP SYN as a host would; they are reached by mistake, by a prefix typed
 * too short.
 */
static const struct reserved_block {
	int family;
	rs_u128 lo, hi;
	const char *name;
} reserved[] = {
	{ AF_INET, 0x00000000u, 0x00ffffffu, "0.0.0.0/8" },
	{ AF_INET, 0xe0000000u, 0xefffffffu, "224.0.0.0/4" },
	{ AF_INET, 0xf0000000u, 0xffffffffu, "240.0.0.0/4" },
	{ AF_INET6, 0, ((rs_u128)1 << 120) - 1, "::/8" },
	{ AF_INET6, (rs_u128)0xff << 120, ~(rs_u128)0, "ff00::/8" },
};

#define NRESERVED (sizeof(reserved) / sizeof(reserved[0]))

/* The token being parsed, for error reports. */
struct tok {
	const char *s;
	size_t len;
	struct rs_error *err;
};

static int tok_fail(const struct tok *tk, const char *reason)
{
	return rs_error_set(tk->err, tk->s, tk->len, reason);
}

static int range_cmp(const void *pa, const void *pb)
{
	const struct range *a = pa, *b = pb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	return 0;
}

/* Sort and merge overlapping or touching ranges, in place. */
static void rvec_compact(struct rvec *vec)
{
	size_t i, out = 0;

	if (vec->n < 2)
		return;
	qsort(vec->v, vec->n, sizeof(*vec->v), range_cmp);
	for (i = 1; i < vec->n; i++) {
		struct range *cur = &vec->v[out];
		const struct range *nx = &vec->v[i];

		/* nx->lo - 1 cannot wrap: it is only taken when lo > 0. */
		if (nx->family == cur->family &&
		    (nx->lo <= cur->hi || nx->lo - 1 == cur->hi)) {
			if (nx->hi > cur->hi)
				cur->hi = nx->hi;
		} else {
			vec->v[++out] = *nx;
		}
	}
	vec->n = out + 1;
}

/* Make room for need more ranges; -E2BIG past the cap, -ENOMEM. */
static int rvec_reserve(struct rvec *vec, uint64_t need)
{
	struct range *nv;
	size_t cap;

	if (vec->n + need > vec->compact_at && vec->n + need > vec->cap) {
		rvec_compact(vec);
		vec->compact_at = vec->n * 2 > TARGETS_COMPACT_MIN ?
					  vec->n * 2 :
					  TARGETS_COMPACT_MIN;
	}
	if (vec->n + need > vec->limit) {
		rvec_compact(vec);
		if (vec->n + need > vec->limit)
			return -E2BIG;
	}
	if (vec->n + need <= vec->cap)
		return 0;
	cap = vec->cap ? vec->cap : 16;
	while (cap < vec->n + need)
		cap *= 2;
	nv = realloc(vec->v, cap * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	vec->v = nv;
	vec->cap = cap;
	return 0;
}

/*
 * A list (a file, an exclude list) is parsed into a scratch vector and only
 * appended to the set when all of it parsed, so a bad token on line 900
 * leaves the set as it was.  The scratch vector's limit is what the set has
 * left; compacting the set first keeps duplicate-heavy inputs from eating
 * that budget.
 */
static void scratch_init(struct rvec *tmp, struct rvec *dst)
{
	if (dst->n > dst->limit / 2)
		rvec_compact(dst);
	*tmp = (struct rvec){ .limit = dst->limit - dst->n,
			      .compact_at = TARGETS_COMPACT_MIN,
			      .reach = dst->reach,
			      .family = dst->family };
}

static int scratch_commit(struct rvec *dst, struct rvec *tmp)
{
	int ret = rvec_reserve(dst, tmp->n);

	if (!ret && tmp->n) {
		memcpy(dst->v + dst->n, tmp->v, tmp->n * sizeof(*tmp->v));
		dst->n += tmp->n;
	}
	free(tmp->v);
	*tmp = (struct rvec){ 0 };
	return ret;
}

static void rvec_append(struct rvec *vec, int family, rs_u128 lo, rs_u128 hi)
{
	struct range *r = &vec->v[vec->n++];

	assert(vec->n <= vec->cap);
	r->family = family;
	r->lo = lo;
	r->hi = hi;
}

static int push_one(const struct tok *tk, struct rvec *vec, int family,
		    rs_u128 lo, rs_u128 hi)
{
	int ret = rvec_reserve(vec, 1);

	if (ret == -E2BIG) {
		tok_fail(tk, "too many separate target ranges");
		return ret;
	}
	if (ret)
		return ret;
	rvec_append(vec, family, lo, hi);
	return 0;
}

/* [lo, hi] lies wholly inside the reserved blocks (which may touch). */
static bool inside_reserved(int family, rs_u128 lo, rs_u128 hi)
{
	size_t i;

	for (i = 0; i < NRESERVED; i++) {
		const struct reserved_block *b = &reserved[i];

		if (b->family != family || lo < b->lo || lo > b->hi)
			continue;
		if (hi <= b->hi)
			return true;
		lo = b->hi + 1; /* no wrap: hi > b->hi */
	}
	return false;
}

static void note_reach(struct targets_reach *reach, const struct tok *tk,
		       size_t block)
{
	size_t n = tk->len < sizeof(reach->token) - 1 ?
			   tk->len :
			   sizeof(reach->token) - 1;

	if (!reach->blocks) {
		memcpy(reach->token, tk->s, n);
		reach->token[n] = '\0';
	}
	reach->blocks |= 1u << block;
}

/*
 * Add [lo, hi].  Under the scope guard (vec->reach set), a range that
 * reaches reserved blocks without lying inside them - "0.0.0.0/0", a
 * prefix typed too short - goes in without those blocks, which are noted
 * so the CLI can refuse or confirm; a range inside them was asked for on
 * its own and stays whole.
 */
static int push_range(const struct tok *tk, struct rvec *vec, int family,
		      rs_u128 lo, rs_u128 hi)
{
	size_t i;
	int ret;

	if (vec->family && family != vec->family)
		return tok_fail(tk, family == AF_INET ?
					    "an IPv4 target, but -6 was given" :
					    "an IPv6 target, but -4 was given");
	if (!vec->reach || inside_reserved(family, lo, hi))
		return push_one(tk, vec, family, lo, hi);
	for (i = 0; i < NRESERVED; i++) {
		const struct reserved_block *b = &reserved[i];

		if (b->family != family || b->hi < lo || b->lo > hi)
			continue;
		note_reach(vec->reach, tk, i);
		if (lo < b->lo) {
			ret = push_one(tk, vec, family, lo, b->lo - 1);
			if (ret)
				return ret;
		}
		if (hi <= b->hi)
			return 0;
		lo = b->hi + 1;
	}
	return push_one(tk, vec, family, lo, hi);
}

static bool is_space(char c)
{
	return c && strchr(WHITESPACE, c);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Where octets_expand's ranges go: the token's vector, through the guard. */
struct octets_sink {
	const struct tok *tk;
	struct rvec *vec;
};

static int octets_push(void *ctx, uint32_t lo, uint32_t hi)
{
	struct octets_sink *k = ctx;

	/* Room was reserved up front; push_range only adds a range's
	 * pieces when the guard cuts it. */
	return push_range(k->tk, k->vec, AF_INET, lo, hi);
}

/* An octet spec's ranges into vec, all or none reserved first. */
static int add_octets(const struct tok *tk, struct rvec *vec,
		      const struct octets *o)
{
	struct octets_sink sink = { tk, vec };
	int ret = rvec_reserve(vec, octets_count(o));

	if (ret == -E2BIG) {
		tok_fail(tk, "octet ranges expand to too many separate ranges; "
			     "use CIDR or split the scan");
		return ret;
	}
	if (ret)
		return ret;
	return octets_expand(o, octets_push, &sink);
}

/* A token of V4_CHARS only: dotted quad, full dash range or octet spec. */
static int parse_v4_spec(const struct tok *tk, struct rvec *vec, char *s)
{
	char *dash = strchr(s, '-');
	struct octets o;
	const char *why;

	/*
	 * "a.b.c.d-e.f.g.h" has one dash with a full address on each side;
	 * "10.-.1.1" and "1.2.3.1-40" are octet specs.
	 */
	if (dash && !strchr(dash + 1, '-') && !strpbrk(s, ",*") &&
	    strchr(dash + 1, '.')) {
		uint32_t lo, hi;

		*dash = '\0';
		if (!octets_parse_quad(s, &lo, &why)) {
			if (octets_parse_quad(dash + 1, &hi, &why))
				return tok_fail(tk, "range end must be a full "
						    "IPv4 address");
			if (lo > hi)
				return tok_fail(tk, "range is reversed "
						    "(start > end)");
			return push_range(tk, vec, AF_INET, lo, hi);
		}
		*dash = '-';
	}
	if (octets_parse(&o, s, &why))
		return tok_fail(tk, why);
	return add_octets(tk, vec, &o);
}

static int parse_v6_literal(const char *s, rs_u128 *out)
{
	struct rs_addr a;

	if (inet_pton(AF_INET6, s, a.bytes) != 1)
		return -EINVAL;
	a.family = AF_INET6;
	*out = addr_to_u128(&a);
	return 0;
}

static int parse_v6_spec(const struct tok *tk, struct rvec *vec, char *s)
{
	char *dash = strchr(s, '-');
	rs_u128 lo, hi;

	if (!dash) {
		if (parse_v6_literal(s, &lo))
			return tok_fail(tk, "invalid IPv6 address");
		return push_range(tk, vec, AF_INET6, lo, lo);
	}
	*dash = '\0';
	if (strchr(dash + 1, '-'))
		return tok_fail(tk, "invalid IPv6 range (one '-' between two "
				    "full addresses)");
	if (parse_v6_literal(s, &lo) || parse_v6_literal(dash + 1, &hi))
		return tok_fail(tk, "invalid IPv6 range (one '-' between two "
				    "full addresses)");
	if (lo > hi)
		return tok_fail(tk, "range is reversed (start > end)");
	return push_range(tk, vec, AF_INET6, lo, hi);
}

static bool is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       is_digit(c) || c == '-' || c == '_';
}

/* DNS shape: dot-separated labels of 1-63 characters, 253 in all. */
static const char *check_host_name(const char *s)
{
	size_t len = strlen(s), label = 0, i;

	if (len && s[len - 1] == '.')
		len--;
	if (!len || len > 253)
		return "invalid host name";
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (!label || s[i - 1] == '-')
				return "invalid host name";
			label = 0;
			continue;
		}
		if (!is_host_char(c))
			return "invalid character in host name";
		if (c == '-' && !label)
			return "invalid host name";
		if (++label > 63)
			return "invalid host name (label over 63 characters)";
	}
	if (s[len - 1] == '-')
		return "invalid host name";
	/* No top-level domain is numeric: this is a mangled address. */
	for (i = len; i > 0 && s[i - 1] != '.'; i--)
		if (!is_digit(s[i - 1]))
			return NULL;
	return "invalid IPv4 address or host name";
}

static void hnames_free(struct hnames *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].name);
		free(h->v[i].others);
	}
	free(h->v);
	*h = (struct hnames){ 0 };
}

/* Drop entries from n on (a list that failed keeps none of its names). */
static void hnames_truncate(struct hnames *h, size_t n)
{
	while (h->n > n) {
		h->n--;
		free(h->v[h->n].name);
		free(h->v[h->n].others);
	}
}

/* Append a copy of name (and others); takes nothing from the caller. */
static int hnames_push(struct hnames *h, int family, rs_u128 v, uint64_t idx,
		       const char *name, const char *others)
{
	struct hname *e;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		struct hname *nv = realloc(h->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		h->v = nv;
		h->cap = cap;
	}
	e = &h->v[h->n];
	*e = (struct hname){ .v = v, .idx = idx, .seq = h->n, .family = family };
	e->name = strdup(name);
	e->others = others && *others ? strdup(others) : NULL;
	if (!e->name || (others && *others && !e->others)) {
		free(e->name);
		free(e->others);
		return -ENOMEM;
	}
	h->n++;
	return 0;
}

static void ai_addr(const struct addrinfo *ai, struct rs_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)ai->ai_family;
	if (ai->ai_family == AF_INET) {
		struct sockaddr_in sin;

		memcpy(&sin, ai->ai_addr, sizeof(sin));
		memcpy(a->bytes, &sin.sin_addr, 4);
	} else {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, ai->ai_addr, sizeof(sin6));
		memcpy(a->bytes, &sin6.sin6_addr, 16);
	}
}

/*
 * The addresses of res other than pick, distinct, space-separated, into
 * buf (TARGETS_OTHERS_MAX): what the report names as not scanned.
 */
static void other_addrs(const struct addrinfo *res, const struct rs_addr *pick,
			char *buf)
{
	size_t off = 0;

	buf[0] = '\0';
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		char one[RS_ADDR_STRLEN];
		struct rs_addr a;
		size_t len;

		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		ai_addr(ai, &a);
		if (!addr_cmp(&a, pick))
			continue;
		addr_format(&a, one, sizeof(one));
		len = strlen(one);
		/* getaddrinfo repeats an address per socket type. */
		if (strstr(buf, one)) {
			const char *hit = buf;
			bool dup = false;

			while ((hit = strstr(hit, one))) {
				if ((hit == buf || hit[-1] == ' ') &&
				    (hit[len] == ' ' || !hit[len]))
					dup = true;
				hit += len;
			}
			if (dup)
				continue;
		}
		if (off + len + 2 > TARGETS_OTHERS_MAX)
			break;
		off += (size_t)snprintf(buf + off, TARGETS_OTHERS_MAX - off,
					"%s%s", off ? " " : "", one);
	}
}

/*
 * First address of a name, IPv4 preferred (only want's family if set);
 * the other addresses go to others (TARGETS_OTHERS_MAX bytes) when it is
 * not NULL.
 */
static int resolve_host(const struct tok *tk, const char *name, int want,
			int *family, rs_u128 *v, char *others)
{
	struct addrinfo hints, *res, *ai, *pick = NULL;
	const char *why = check_host_name(name);
	struct rs_addr a;
	int rc;

	if (why)
		return tok_fail(tk, why);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = want ? want : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc == EAI_MEMORY)
		return -ENOMEM;
	if (rc && want)
		return tok_fail(tk, want == AF_INET ?
					    "cannot resolve host name to an "
					    "IPv4 address (-4)" :
					    "cannot resolve host name to an "
					    "IPv6 address (-6)");
	if (rc)
		return tok_fail(tk, "cannot resolve host name");
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			pick = ai;
			break;
		}
		if (ai->ai_family == AF_INET6 && !pick)
			pick = ai;
	}
	if (!pick) {
		freeaddrinfo(res);
		return tok_fail(tk, "cannot resolve host name");
	}
	ai_addr(pick, &a);
	if (others)
		other_addrs(res, &a, others);
	freeaddrinfo(res);
	*family = a.family;
	*v = addr_to_u128(&a);
	return 0;
}

static int parse_cidr(const struct tok *tk, struct rvec *vec, char *s,
		      char *slash)
{
	const char *pfx = slash + 1, *p;
	unsigned bits, prefix = 0, digits = 0, host;
	rs_u128 v, mask;
	int family, ret;

	*slash = '\0';
	if (!*s)
		return tok_fail(tk, "missing address before '/'");
	if (!*pfx)
		return tok_fail(tk, "missing prefix length after '/'");
	for (p = pfx; *p; p++) {
		if (!is_digit(*p) || ++digits > 3)
			return tok_fail(tk, "invalid prefix length after '/'");
		prefix = prefix * 10 + (unsigned)(*p - '0');
	}

	if (strchr(s, ':')) {
		family = AF_INET6;
		if (parse_v6_literal(s, &v))
			return tok_fail(tk, "invalid IPv6 address before '/'");
	} else if (strspn(s, V4_CHARS) == strlen(s)) {
		uint32_t v4;
		const char *why;

		if (strpbrk(s, "-,*"))
			return tok_fail(tk, "a /prefix needs a single address, "
					    "not a range");
		if (octets_parse_quad(s, &v4, &why))
			return tok_fail(tk, why);
		family = AF_INET;
		v = v4;
	} else {
		ret = resolve_host(tk, s, vec->family, &family, &v, NULL);
		if (ret)
			return ret;
	}

	bits = family == AF_INET ? 32 : 128;
	if (prefix > bits)
		return tok_fail(tk, family == AF_INET ?
					    "prefix length must be 0-32" :
					    "prefix length must be 0-128");
	host = bits - prefix;
	/* A shift by the full width of the type is undefined. */
	mask = host >= 128 ? ~(rs_u128)0 : ((rs_u128)1 << host) - 1;
	return push_range(tk, vec, family, v & ~mask, (v & ~mask) | mask);
}

/*
 * One token, not NUL-terminated (it may sit inside a line or a list).  A
 * host name's name goes to names, unless names is NULL (excludes).
 */
static int parse_token(struct rvec *vec, struct hnames *names, const char *s,
		       size_t len, struct rs_error *err)
{
	char others[TARGETS_OTHERS_MAX];
	struct tok tk = { .s = s, .len = len, .err = err };
	char buf[TOKEN_MAX + 1];
	char *slash;
	size_t i;
	int family, ret;
	rs_u128 v;

	if (!len)
		return tok_fail(&tk, "empty target");
	if (len > TOKEN_MAX)
		return tok_fail(&tk, "target too long");
	for (i = 0; i < len; i++) {
		if (is_space(s[i]))
			return tok_fail(&tk, "unexpected whitespace in target");
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return tok_fail(&tk, "invalid character in target");
	}
	memcpy(buf, s, len);
	buf[len] = '\0';

	slash = strchr(buf, '/');
	if (slash)
		return parse_cidr(&tk, vec, buf, slash);
	if (strchr(buf, ':'))
		return parse_v6_spec(&tk, vec, buf);
	if (strspn(buf, V4_CHARS) == len)
		return parse_v4_spec(&tk, vec, buf);
	ret = resolve_host(&tk, buf, vec->family, &family, &v, others);
	if (ret)
		return ret;
	ret = push_range(&tk, vec, family, v, v);
	if (ret || !names)
		return ret;
	/* A trailing dot is DNS's root, not part of the name to show. */
	if (len > 1 && buf[len - 1] == '.')
		buf[len - 1] = '\0';
	return hnames_push(names, family, v, 0, buf, others);
}

int targets_new(struct targets **out)
{
	struct targets *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->inc.limit = TARGETS_MAX_RANGES;
	t->exc.limit = TARGETS_MAX_RANGES;
	t->inc.compact_at = TARGETS_COMPACT_MIN;
	t->exc.compact_at = TARGETS_COMPACT_MIN;
	*out = t;
	return 0;
}

void targets_free(struct targets *t)
{
	if (!t)
		return;
	free(t->inc.v);
	free(t->exc.v);
	free(t->first);
	hnames_free(&t->names);
	hnames_free(&t->ptr);
	free(t);
}

void targets_guard_reserved(struct targets *t)
{
	assert(!t->final && !t->inc.n);
	t->inc.reach = &t->reach;
}

void targets_set_family(struct targets *t, int family)
{
	assert(!t->final && !t->inc.n);
	t->inc.family = family;
}

const struct targets_reach *targets_reached(const struct targets *t)
{
	return &t->reach;
}

const char *targets_reserved_name(unsigned i)
{
	return i < NRESERVED ? reserved[i].name : NULL;
}

int targets_add(struct targets *t, const char *spec, struct rs_error *err)
{
	assert(!t->final);
	if (!spec)
		return rs_error_set(err, "", 0, "empty target");
	return parse_token(&t->inc, &t->names, spec,
			   strnlen(spec, TOKEN_MAX + 1), err);
}

/*
 * One line of a list into buf (TARGETS_LINE_MAX + 1 bytes), without its
 * newline: its length, -1 at the end of the file, -E2BIG for a line too
 * long, -EFBIG once more than TARGETS_FILE_MAX bytes were read (*total
 * counts them).  Byte by byte into a fixed buffer rather than getline(),
 * which grows its buffer to fit any line: /dev/zero behind a symlink or a
 * pipe has no newline at all.
 */
static ssize_t read_line(FILE *f, char *buf, uint64_t *total)
{
	size_t n = 0;
	int c;

	while ((c = getc_unlocked(f)) != EOF) {
		if (++*total > TARGETS_FILE_MAX)
			return -EFBIG;
		if (c == '\n')
			return (ssize_t)n;
		if (n == TARGETS_LINE_MAX)
			return -E2BIG;
		buf[n++] = (char)c;
	}
	return n ? (ssize_t)n : -1;
}

/* Tokens of a list file into dst, all or nothing; see targets_add_file. */
static int read_list(struct rvec *dst, struct hnames *names, const char *path,
		     struct rs_error *err)
{
	size_t names_before = names ? names->n : 0;
	bool use_stdin = !strcmp(path, "-");
	unsigned long lineno = 0;
	uint64_t total = 0;
	struct rvec tmp;
	char *line;
	ssize_t n;
	FILE *f;
	int fd, ret = 0;

	line = malloc(TARGETS_LINE_MAX + 1);
	if (!line)
		return -ENOMEM;
	if (use_stdin) {
		f = stdin;
	} else {
		/* Through fileio: a FIFO or /dev/zero is refused, not read. */
		ret = fileio_open(path, &fd, NULL);
		if (!ret && !(f = fdopen(fd, "r"))) {
			ret = -errno;
			close(fd);
		}
		if (ret) {
			rs_error_set(err, path, strlen(path),
				     "cannot open file");
			free(line);
			return ret;
		}
	}
	scratch_init(&tmp, dst);
	for (;;) {
		const char *hash;
		size_t i = 0, len, start;

		n = read_line(f, line, &total);
		if (n == -1)
			break;
		lineno++;
		if (n == -E2BIG || n == -EFBIG) {
			ret = rs_error_set(
				err, path, strlen(path),
				n == -E2BIG ?
					"line longer than TARGETS_LINE_MAX (4096 bytes)" :
					"list longer than TARGETS_FILE_MAX (1 GiB); split it or use ranges");
			if (err)
				err->line = lineno;
			goto out_free_tmp;
		}
		len = (size_t)n;
		hash = memchr(line, '#', len);
		if (hash)
			len = (size_t)(hash - line);
		while (i < len) {
			while (i < len && is_space(line[i]))
				i++;
			start = i;
			while (i < len && !is_space(line[i]))
				i++;
			if (i == start)
				break;
			ret = parse_token(&tmp, names, line + start, i - start,
					  err);
			if (ret) {
				if (err)
					err->line = lineno;
				goto out_free_tmp;
			}
		}
	}
	if (ferror(f)) {
		ret = -EIO;
		rs_error_set(err, path, strlen(path), "cannot read file");
		goto out_free_tmp;
	}
	ret = scratch_commit(dst, &tmp);
out_free_tmp:
	if (ret && names)
		hnames_truncate(names, names_before);
	free(tmp.v);
	free(line);
	if (!use_stdin)
		fclose(f);
	return ret;
}

int targets_add_file(struct targets *t, const char *path, struct rs_error *err)
{
	assert(!t->final);
	return read_list(&t->inc, &t->names, path, err);
}

int targets_exclude(struct targets *t, const char *list, struct rs_error *err)
{
	const char *p = list;
	struct rvec tmp;
	int ret;

	assert(!t->final);
	if (!list || !*list)
		return rs_error_set(err, "", 0, "empty exclude list");
	scratch_init(&tmp, &t->exc);
	for (;;) {
		const char *end = strchrnul(p, ',');
		const char *a = p, *b = end;

		while (a < b && is_space(*a))
			a++;
		while (b > a && is_space(b[-1]))
			b--;
		if (a == b) {
			ret = rs_error_set(err, list, strlen(list),
					   "empty item in exclude list");
			goto out_free_tmp;
		}
		ret = parse_token(&tmp, NULL, a, (size_t)(b - a), err);
		if (ret)
			goto out_free_tmp;
		if (!*end)
			break;
		p = end + 1;
	}
	return scratch_commit(&t->exc, &tmp);

out_free_tmp:
	free(tmp.v);
	return ret;
}

int targets_exclude_file(struct targets *t, const char *path,
			 struct rs_error *err)
{
	assert(!t->final);
	return read_list(&t->exc, NULL, path, err);
}

/*
 * inc minus exc, both sorted and merged, into out (room for inc->n +
 * exc->n: each exclude splits at most one range).  An exclude may cover
 * several includes, so the cursor into excludes only skips those entirely
 * behind the current include.
 */
static size_t subtract(const struct rvec *inc, const struct rvec *exc,
		       struct range *out)
{
	size_t i, j = 0, n = 0;

	for (i = 0; i < inc->n; i++) {
		const struct range *r = &inc->v[i];
		rs_u128 lo = r->lo;
		bool alive = true;
		size_t k;

		while (j < exc->n && (exc->v[j].family < r->family ||
				      (exc->v[j].family == r->family &&
				       exc->v[j].hi < r->lo)))
			j++;
		for (k = j; alive && k < exc->n; k++) {
			const struct range *e = &exc->v[k];

			if (e->family != r->family || e->lo > r->hi)
				break;
			if (e->lo > lo)
				out[n++] =
					(struct range){ .lo = lo,
							.hi = e->lo - 1,
							.family = r->family };
			if (e->hi >= r->hi)
				alive = false;
			else
				lo = e->hi + 1;
		}
		if (alive)
			out[n++] = (struct range){ .lo = lo,
						   .hi = r->hi,
						   .family = r->family };
	}
	return n;
}

static int hname_cmp(const void *pa, const void *pb)
{
	const struct hname *a = pa, *b = pb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->v != b->v)
		return a->v < b->v ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/*
 * The names, from address keys to host indexes: sorted by address (so by
 * index too), the first given of each address kept, excluded ones gone.
 */
static void names_index(struct targets *t)
{
	struct hnames *h = &t->names;
	size_t i, out = 0;

	if (!h->n)
		return;
	qsort(h->v, h->n, sizeof(*h->v), hname_cmp);
	for (i = 0; i < h->n; i++) {
		struct hname *e = &h->v[i];
		struct rs_addr a;

		addr_from_u128(&a, e->family, e->v);
		if ((out && h->v[out - 1].family == e->family &&
		     h->v[out - 1].v == e->v) ||
		    targets_index(t, &a, &e->idx)) {
			free(e->name);
			free(e->others);
			continue;
		}
		h->v[out++] = *e;
	}
	h->n = out;
}

int targets_finalize(struct targets *t)
{
	struct range *out;
	uint64_t *first, total = 0;
	size_t i, n;

	if (t->final)
		return 0;
	rvec_compact(&t->inc);
	rvec_compact(&t->exc);

	out = malloc((t->inc.n + t->exc.n + 1) * sizeof(*out));
	if (!out)
		return -ENOMEM;
	n = subtract(&t->inc, &t->exc, out);

	first = malloc((n + 1) * sizeof(*first));
	if (!first)
		goto out_free_out;
	for (i = 0; i < n; i++) {
		rs_u128 span = out[i].hi - out[i].lo;

		/* span + 1 would wrap for the whole IPv6 space. */
		if (span >= TARGETS_MAX_HOSTS ||
		    total + (uint64_t)span + 1 > TARGETS_MAX_HOSTS) {
			free(first);
			free(out);
			return -E2BIG;
		}
		first[i] = total;
		total += (uint64_t)span + 1;
	}
	first[n] = total;

	free(t->inc.v);
	free(t->exc.v);
	t->inc = (struct rvec){ .v = out, .n = n, .cap = n + 1, .reach = NULL };
	t->exc = (struct rvec){ 0 };
	t->first = first;
	t->count = total;
	t->final = true;
	names_index(t);
	return 0;

out_free_out:
	free(out);
	return -ENOMEM;
}

uint64_t targets_count(const struct targets *t)
{
	assert(t->final);
	return t->count;
}

void targets_get(const struct targets *t, uint64_t idx, struct rs_addr *out)
{
	size_t lo = 0, hi = t->inc.n;

	assert(t->final && idx < t->count);
	/* Invariant: first[lo] <= idx < first[hi]. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->first[mid] <= idx)
			lo = mid;
		else
			hi = mid;
	}
	addr_from_u128(out, t->inc.v[lo].family,
		       t->inc.v[lo].lo + (idx - t->first[lo]));
}

int targets_index(const struct targets *t, const struct rs_addr *addr,
		  uint64_t *idx)
{
	rs_u128 v = addr_to_u128(addr);
	size_t lo = 0, hi = t->inc.n;

	assert(t->final);
	/* Find the first range that starts after addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct range *r = &t->inc.v[mid];

		if (r->family < addr->family ||
		    (r->family == addr->family && r->lo <= v))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -ENOENT;
	lo--;
	if (t->inc.v[lo].family != addr->family || v > t->inc.v[lo].hi)
		return -ENOENT;
	*idx = t->first[lo] + (uint64_t)(v - t->inc.v[lo].lo);
	return 0;
}

size_t targets_range_count(const struct targets *t)
{
	assert(t->final);
	return t->inc.n;
}

void targets_range(const struct targets *t, size_t i, int *family, rs_u128 *lo,
		   rs_u128 *hi)
{
	assert(t->final && i < t->inc.n);
	*family = t->inc.v[i].family;
	*lo = t->inc.v[i].lo;
	*hi = t->inc.v[i].hi;
}

int targets_add_name(struct targets *t, const struct rs_addr *addr,
		     const char *name)
{
	assert(!t->final);
	if (!name || !*name)
		return 0;
	return hnames_push(&t->names, addr->family, addr_to_u128(addr), 0, name,
			   NULL);
}

static const struct hname *hnames_find(const struct hnames *h, uint64_t idx)
{
	size_t lo = 0, hi = h->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->v[mid].idx == idx)
			return &h->v[mid];
		if (h->v[mid].idx < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *targets_name(const struct targets *t, uint64_t idx)
{
	const struct hname *e;

	assert(t->final);
	e = hnames_find(&t->names, idx);
	return e ? e->name : NULL;
}

const char *targets_name_others(const struct targets *t, uint64_t idx)
{
	const struct hname *e;

	assert(t->final);
	e = hnames_find(&t->names, idx);
	return e ? e->others : NULL;
}

const char *targets_addr_name(const struct targets *t,
			      const struct rs_addr *addr)
{
	uint64_t idx;

	if (!t->names.n || targets_index(t, addr, &idx))
		return NULL;
	return targets_name(t, idx);
}

int targets_set_ptr(struct targets *t, uint64_t idx, const char *name)
{
	assert(t->final && idx < t->count);
	if (t->ptr.n && t->ptr.v[t->ptr.n - 1].idx >= idx)
		return -EINVAL;
	return hnames_push(&t->ptr, 0, 0, idx, name, NULL);
}

const char *targets_ptr_name(const struct targets *t, uint64_t idx)
{
	const struct hname *e;

	assert(t->final);
	e = hnames_find(&t->ptr, idx);
	return e ? e->name : NULL;
}
