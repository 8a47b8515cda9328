/*
 * test_targets.c - every target syntax, merging, excludes, limits, files.
 *
 * One table drives most of it: each spec with either its host count and
 * first/last address, or the words its refusal must contain.  The same
 * table runs twice, once from ordinary strings and once with each string
 * placed to end exactly at a PROT_NONE page (picohttpparser's trick), so a
 * parser that reads one byte past the NUL crashes instead of passing.
 *
 * (unshare goes through syscall(), as it did when ringscan's scheduler
 * header was named sched.h and shadowed the libc one; it is scheduler.h
 * now.)
 *
 * Host names: only "localhost" is ever resolved, and only inside a child
 * process in a fresh network namespace, so a missing /etc/hosts entry or
 * the unresolvable-name test cannot send a DNS query off the machine.  If
 * namespaces are unavailable those tests are skipped, not passed.  Every
 * other spec in this file is refused before the resolver is reached, which
 * the table checks by its reasons.
 */
#include <errno.h>
#include <linux/sched.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "guard.h"
#include "targets.h"

struct spec_case {
	const char *spec;
	int ret; /* 0, -EINVAL or -E2BIG from targets_add */
	uint64_t count; /* when ret == 0 */
	const char *first, *last; /* when ret == 0 */
	const char *reason; /* substring, when ret != 0 */
};

#define OK(s, n, f, l)                                                 \
	{                                                              \
		.spec = s, .ret = 0, .count = n, .first = f, .last = l \
	}
#define BAD(s, why)                                      \
	{                                                \
		.spec = s, .ret = -EINVAL, .reason = why \
	}

static const struct spec_case cases[] = {
	/* single addresses */
	OK("127.0.0.1", 1, "127.0.0.1", "127.0.0.1"),
	OK("0.0.0.0", 1, "0.0.0.0", "0.0.0.0"),
	OK("255.255.255.255", 1, "255.255.255.255", "255.255.255.255"),
	OK("010.000.000.001", 1, "10.0.0.1", "10.0.0.1"), /* decimal */
	OK("::1", 1, "::1", "::1"),
	OK("2001:db8::1", 1, "2001:db8::1", "2001:db8::1"),
	OK("::ffff:127.0.0.1", 1, "::ffff:127.0.0.1", "::ffff:127.0.0.1"),
	/* CIDR */
	OK("10.0.0.0/24", 256, "10.0.0.0", "10.0.0.255"),
	OK("10.0.0.77/24", 256, "10.0.0.0", "10.0.0.255"),
	OK("10.1.2.3/32", 1, "10.1.2.3", "10.1.2.3"),
	OK("10.1.2.3/31", 2, "10.1.2.2", "10.1.2.3"),
	OK("10.1.2.3/0", 1ULL << 32, "0.0.0.0", "255.255.255.255"),
	OK("200.1.2.3/1", 1ULL << 31, "128.0.0.0", "255.255.255.255"),
	OK("2001:db8::/120", 256, "2001:db8::", "2001:db8::ff"),
	OK("2001:db8::1234/112", 65536, "2001:db8::", "2001:db8::ffff"),
	OK("2001:db8::1/128", 1, "2001:db8::1", "2001:db8::1"),
	OK("2001:db8::1/127", 2, "2001:db8::", "2001:db8::1"),
	OK("1:2:3:4:5:6:7:8/96", 1ULL << 32,
	   "1:2:3:4:5:6::", "1:2:3:4:5:6:ffff:ffff"),
	/* dash ranges */
	OK("127.0.0.1-127.0.0.40", 40, "127.0.0.1", "127.0.0.40"),
	OK("127.0.0.1-40", 40, "127.0.0.1", "127.0.0.40"),
	OK("127.0.0.7-127.0.0.7", 1, "127.0.0.7", "127.0.0.7"),
	OK("10.0.0.255-10.0.1.1", 3, "10.0.0.255", "10.0.1.1"),
	OK("0.0.0.0-255.255.255.255", 1ULL << 32, "0.0.0.0", "255.255.255.255"),
	OK("::1-::ff", 255, "::1", "::ff"),
	OK("2001:db8::ffff-2001:db8::1:1", 3, "2001:db8::ffff",
	   "2001:db8::1:1"),
	/* nmap octet ranges and lists */
	OK("127.0-1.0.1-9", 18, "127.0.0.1", "127.1.0.9"),
	OK("10.0.0,2.1", 2, "10.0.0.1", "10.0.2.1"),
	OK("10.0.0.*", 256, "10.0.0.0", "10.0.0.255"),
	OK("10.-.20.1", 256, "10.0.20.1", "10.255.20.1"),
	OK("172.16.-4.1", 5, "172.16.0.1", "172.16.4.1"),
	OK("1.2.3.250-", 6, "1.2.3.250", "1.2.3.255"),
	OK("1.2.3.4-", 252, "1.2.3.4", "1.2.3.255"),
	OK("*.*.*.*", 1ULL << 32, "0.0.0.0", "255.255.255.255"),
	OK("10.*.*.*", 1ULL << 24, "10.0.0.0", "10.255.255.255"),
	OK("10.0.0.1,1,1", 1, "10.0.0.1", "10.0.0.1"),
	OK("10.0.0.1-5,3-9", 9, "10.0.0.1", "10.0.0.9"),
	OK("10.0.0.9,1-3", 4, "10.0.0.1", "10.0.0.9"),
	OK("0-255.0-255.13.37", 65536, "0.0.13.37", "255.255.13.37"),
	OK("1,3.2,4.*.*", 4ULL << 16, "1.2.0.0", "3.4.255.255"),
	/* malformed addresses: refused, never resolved */
	BAD("", "empty"),
	BAD("256.1.1.1", "out of range"),
	BAD("1.2.3.256", "out of range"),
	BAD("1.2.3.1000", "out of range"),
	BAD("1.2.3.0001", "out of range"),
	BAD("999999999999", "out of range"),
	BAD("1.2.3", "four dotted"),
	BAD("1.2.3.4.5", "four dotted"),
	BAD("1..2.3", "empty IPv4 octet"),
	BAD(".1.2.3", "empty IPv4 octet"),
	BAD("1.2.3.", "empty IPv4 octet"),
	BAD("-", "four dotted"),
	BAD("*", "four dotted"),
	BAD("1.2.3.4/33", "0-32"),
	BAD("::1/129", "0-128"),
	BAD("1.2.3.4/", "missing prefix"),
	BAD("/24", "missing address"),
	BAD("/", "missing address"),
	BAD("1.2.3.4/-1", "invalid prefix"),
	BAD("1.2.3.4/1234", "invalid prefix"),
	BAD("1.2.3.4/2a", "invalid prefix"),
	BAD("1.2.3.4/24/5", "invalid prefix"),
	BAD("1.2.3/24", "four dotted"),
	BAD("10.0-1.0.0/16", "not a range"),
	BAD("::g/64", "invalid IPv6"),
	BAD("::g", "invalid IPv6"),
	BAD(":::", "invalid IPv6"),
	BAD("1:2:3:4:5:6:7:8:9", "invalid IPv6"),
	BAD("fe80::1%lo", "invalid IPv6"),
	BAD("127.0.0.5-3", "reversed"),
	BAD("127.0.0.5-127.0.0.3", "reversed"),
	BAD("::ff-::1", "reversed"),
	BAD("::1-", "invalid IPv6 range"),
	BAD("-::1", "invalid IPv6 range"),
	BAD("::1-::2-::3", "invalid IPv6 range"),
	BAD("::1-1.2.3.4", "invalid IPv6 range"),
	BAD("1.2.3.4-1.2.3", "range end must be"),
	BAD("1.2.3.4-1.2.3.4.5", "range end must be"),
	BAD("1.2.3.1-2-3", "invalid octet range"),
	BAD("1.2.3.1-1000", "out of range"),
	BAD("1.2.3.,1", "empty item"),
	BAD("1.2.3.1,,2", "empty item"),
	BAD("1.2.3.1,", "empty item"),
	BAD("1.2,.3.1", "empty item"),
	BAD("1.2.3.**", "invalid IPv4 octet"),
	BAD("1.2.3.*5", "invalid IPv4 octet"),
	/* junk and whitespace */
	BAD(" ", "whitespace"),
	BAD("1.2.3.4 ", "whitespace"),
	BAD(" 1.2.3.4", "whitespace"),
	BAD("a b", "whitespace"),
	BAD("a\tb", "whitespace"),
	BAD("\x01", "invalid character in target"),
	BAD("caf\xc3\xa9", "invalid character in target"),
	BAD("foo!bar", "invalid character in host name"),
	BAD("foo@bar", "invalid character in host name"),
	BAD("-foo", "invalid host name"),
	BAD("foo-", "invalid host name"),
	BAD("foo..bar", "invalid host name"),
	BAD(".foo", "invalid host name"),
	BAD("a.1", "invalid IPv4 address or host name"),
	BAD("1.2.3.4.5.6.7.8.x.9", "invalid IPv4 address or host name"),
	/* too big to expand */
	{ .spec = "1-254.1-254.1-254.1", .ret = -E2BIG, .reason = "too many" },
	{ .spec = "*.*.*.1,3,5,7,9", .ret = -E2BIG, .reason = "too many" },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static void assert_addr(const struct rs_addr *a, const char *want)
{
	char buf[RS_ADDR_STRLEN];

	assert_string_equal(addr_format(a, buf, sizeof(buf)), want);
}

static void assert_host(const struct targets *t, uint64_t idx, const char *want)
{
	struct rs_addr a;

	targets_get(t, idx, &a);
	assert_addr(&a, want);
}

static void check_case(const struct spec_case *c, const char *spec)
{
	struct rs_error err;
	struct targets *t;
	struct rs_addr a;
	uint64_t idx;
	int ret;

	assert_int_equal(targets_new(&t), 0);
	memset(&err, 0, sizeof(err));
	ret = targets_add(t, spec, &err);
	if (ret != c->ret)
		fail_msg("\"%s\": got %d (%s), want %d", c->spec, ret,
			 err.reason ? err.reason : "-", c->ret);
	if (c->ret) {
		assert_non_null(err.reason);
		if (!strstr(err.reason, c->reason))
			fail_msg("\"%s\": reason \"%s\" lacks \"%s\"", c->spec,
				 err.reason, c->reason);
		/* The token named is the input (or its truncated start). */
		assert_true(strlen(err.token) < sizeof(err.token));
		assert_int_equal(strncmp(err.token, c->spec, 100), 0);
		assert_int_equal(err.line, 0);
		targets_free(t);
		return;
	}
	assert_int_equal(targets_finalize(t), 0);
	if (targets_count(t) != c->count)
		fail_msg("\"%s\": count %llu, want %llu", c->spec,
			 (unsigned long long)targets_count(t),
			 (unsigned long long)c->count);
	assert_host(t, 0, c->first);
	assert_host(t, c->count - 1, c->last);
	/* And back: the ends map to their indices. */
	targets_get(t, c->count - 1, &a);
	assert_int_equal(targets_index(t, &a, &idx), 0);
	assert_true(idx == c->count - 1);
	targets_get(t, 0, &a);
	assert_int_equal(targets_index(t, &a, &idx), 0);
	assert_true(idx == 0);
	targets_free(t);
}

static void test_spec_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NCASES; i++)
		check_case(&cases[i], cases[i].spec);
}

/*
 * The guard is real: the NUL is readable, one byte past it faults (and
 * guard_faults can tell the two apart).
 */
static void test_guard_traps(void **state)
{
	struct guarded g;
	const char *s;

	(void)state;
	s = guard_copy(&g, "1.2.3.4", 7, true);
	assert_int_equal(s[7], '\0');
	assert_false(guard_faults(s + 7));
	assert_true(guard_faults(s + 8));
	guard_free(&g);
}

static void test_spec_table_guarded(void **state)
{
	struct guarded g;
	size_t i;

	(void)state;
	for (i = 0; i < NCASES; i++) {
		const char *s = guard_copy(&g, cases[i].spec,
					   strlen(cases[i].spec), true);

		check_case(&cases[i], s);
		guard_free(&g);
	}
}

/* Long and repetitive junk, guarded: refused, no over-read, no overflow. */
static void test_hostile_long_guarded(void **state)
{
	static const char *const units[] = { "a",  "1",	 "1.", "::", "-",
					     "1-", "*.", ",",  "/",  "a." };
	static const size_t lens[] = { 63,  64,	 253,  254,  299,
				       300, 301, 4096, 70000 };
	struct rs_error err;
	struct targets *t;
	size_t u, l;

	(void)state;
	assert_int_equal(targets_new(&t), 0);
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			size_t ul = strlen(units[u]), len = lens[l], i;
			char *buf = malloc(len + 1);
			struct guarded g;
			int ret;

			assert_non_null(buf);
			for (i = 0; i < len; i++)
				buf[i] = units[u][i % ul];
			buf[len] = '\0';
			/*
			 * Short runs of "a" and "a." are legal names: never
			 * sent to the resolver here.
			 */
			if (len <= 254 && units[u][0] == 'a') {
				free(buf);
				continue;
			}
			memset(&err, 0, sizeof(err));
			ret = targets_add(t, guard_copy(&g, buf, len, true),
					  &err);
			assert_int_equal(ret, -EINVAL);
			assert_non_null(err.reason);
			assert_true(strlen(err.token) < sizeof(err.token));
			if (len > 300)
				assert_string_equal(err.reason,
						    "target too long");
			guard_free(&g);
			free(buf);
		}
	}
	targets_free(t);
}

/* Exclude lists are walked to their NUL too: guarded, good and bad. */
static void test_exclude_guarded(void **state)
{
	static const struct {
		const char *list;
		int ret;
	} lists[] = {
		{ "10.0.0.1", 0 },	   { "10.0.0.1,10.0.0.2", 0 },
		{ " 10.0.0.3 , ::1 ", 0 }, { "10.0.0.0/30,", -EINVAL },
		{ ",", -EINVAL },	   { "  ", -EINVAL },
		{ "10.0.0.1,,", -EINVAL }, { "10.0.0.1-", 0 },
		{ "::1-", -EINVAL },	   { "1.2.3.4/", -EINVAL },
	};
	static const char *const net[] = { "10.0.0.0/24", NULL };
	struct rs_error err;
	struct targets *t;
	struct guarded g;
	size_t i;

	(void)state;
	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_add(t, net[0], &err), 0);
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		const char *l = lists[i].list;

		assert_int_equal(
			targets_exclude(t, guard_copy(&g, l, strlen(l), true),
					&err),
			lists[i].ret);
		guard_free(&g);
	}
	assert_int_equal(targets_finalize(t), 0);
	/* 10.0.0.1-255 went, leaving 10.0.0.0. */
	assert_int_equal(targets_count(t), 1);
	assert_host(t, 0, "10.0.0.0");
	targets_free(t);
}

static void test_long_label_not_resolved(void **state)
{
	char name[80];
	struct rs_error err;
	struct targets *t;

	(void)state;
	memset(name, 'a', 64);
	strcpy(name + 64, ".example");
	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_add(t, name, &err), -EINVAL);
	assert_non_null(strstr(err.reason, "63"));
	targets_free(t);
}

/* A set built under the scope guard, as the CLI builds it. */
static struct targets *build_guarded(const char *const *add)
{
	struct rs_error err;
	struct targets *t;

	assert_int_equal(targets_new(&t), 0);
	targets_guard_reserved(t);
	for (; *add; add++)
		if (targets_add(t, *add, &err))
			fail_msg("add \"%s\": %s", *add, err.reason);
	assert_int_equal(targets_finalize(t), 0);
	return t;
}

static bool has_host(const struct targets *t, const char *s)
{
	struct rs_addr a;
	uint64_t idx;

	assert_int_equal(addr_parse(s, &a), 0);
	return targets_index(t, &a, &idx) == 0;
}

/*
 * The scope guard: a range that reaches reserved blocks loses them and
 * names them; one inside them was listed on its own and stays; an octet
 * spec's ranges are judged one by one.
 */
static void test_scope_guard(void **state)
{
	static const char *const all4[] = { "10.0.0.0/0", NULL };
	static const char *const own[] = { "0.0.0.0/0", "224.0.0.1",
					   "255.255.255.255", NULL };
	static const char *const inside[] = { "230.0.0.0-250.0.0.0", "::1",
					      "ff02::1", "0.1.2.3", NULL };
	static const char *const edge[] = { "223.255.255.255", "224.0.0.0",
					    NULL };
	static const char *const v6[] = {
		"feff:ffff:ffff:ffff:ffff:ffff:ffff:ff00-ff00::ff", NULL
	};
	static const char *const octets[] = { "0-1.0.0.1", NULL };
	static const char *const lo[] = { "127.0.0.0/8", NULL };
	const struct targets_reach *r;
	struct targets *t;

	(void)state;
	t = build_guarded(all4);
	r = targets_reached(t);
	assert_true(targets_count(t) ==
		    (1ULL << 32) - (1ULL << 24) - (1ULL << 29));
	assert_int_equal(r->blocks, 7);
	assert_string_equal(r->token, "10.0.0.0/0");
	assert_string_equal(targets_reserved_name(1), "224.0.0.0/4");
	assert_null(targets_reserved_name(5));
	assert_false(has_host(t, "0.255.255.255"));
	assert_true(has_host(t, "1.0.0.0"));
	assert_true(has_host(t, "223.255.255.255"));
	assert_false(has_host(t, "224.0.0.0"));
	assert_false(has_host(t, "255.255.255.255"));
	targets_free(t);

	t = build_guarded(own);
	assert_true(has_host(t, "224.0.0.1"));
	assert_true(has_host(t, "255.255.255.255"));
	assert_false(has_host(t, "224.0.0.2"));
	targets_free(t);

	t = build_guarded(inside);
	assert_int_equal(targets_reached(t)->blocks, 0);
	assert_true(targets_count(t) == 0x14000000ULL + 1 + 1 + 1 + 1);
	targets_free(t);

	t = build_guarded(edge);
	assert_int_equal(targets_reached(t)->blocks, 0);
	assert_int_equal(targets_count(t), 2);
	targets_free(t);

	t = build_guarded(v6);
	r = targets_reached(t);
	assert_int_equal(r->blocks, 1u << 4);
	assert_true(has_host(t, "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_int_equal(targets_count(t), 256);
	assert_false(has_host(t, "ff00::"));
	targets_free(t);

	t = build_guarded(octets);
	assert_int_equal(targets_reached(t)->blocks, 0);
	assert_int_equal(targets_count(t), 2);
	targets_free(t);

	/* Loopback, the scans' own playground, is exactly the limit. */
	t = build_guarded(lo);
	assert_int_equal(targets_reached(t)->blocks, 0);
	assert_true(targets_count(t) == TARGETS_SCOPE_HOSTS);
	targets_free(t);
}

static struct targets *build(const char *const *add, const char *exclude)
{
	struct rs_error err;
	struct targets *t;

	assert_int_equal(targets_new(&t), 0);
	for (; *add; add++)
		if (targets_add(t, *add, &err))
			fail_msg("add \"%s\": %s", *add, err.reason);
	if (exclude && targets_exclude(t, exclude, &err))
		fail_msg("exclude \"%s\": %s", exclude, err.reason);
	assert_int_equal(targets_finalize(t), 0);
	return t;
}

/* Every host in order, checked against the expected list, and back. */
static void assert_hosts(const struct targets *t, const char *const *want,
			 size_t n)
{
	struct rs_addr a;
	uint64_t i, idx;

	assert_int_equal(targets_count(t), n);
	for (i = 0; i < n; i++) {
		targets_get(t, i, &a);
		assert_addr(&a, want[i]);
		assert_int_equal(targets_index(t, &a, &idx), 0);
		assert_int_equal(idx, i);
	}
}

static void test_overlap_dedup(void **state)
{
	static const char *const a1[] = { "127.0.0.1-10", "127.0.0.5/30",
					  NULL };
	static const char *const a2[] = { "10.0.0.1", "10.0.0.1",
					  "10.0.0.1-10.0.0.1", "10.0.0.1/32",
					  NULL };
	static const char *const a3[] = { "10.0.0.0-10.0.0.9", "10.0.0.10-19",
					  "10.0.0.20/30", NULL };
	static const char *const a4[] = { "10.0.0.0/24", "10.0.0.0/16",
					  "10.0.200.1", NULL };
	static const char *const a5[] = { "::1-::10", "::8-::20", "::21",
					  NULL };
	struct targets *t;

	(void)state;
	t = build(a1, NULL);
	assert_int_equal(targets_count(t), 10);
	assert_host(t, 0, "127.0.0.1");
	assert_host(t, 9, "127.0.0.10");
	targets_free(t);

	t = build(a2, NULL);
	assert_int_equal(targets_count(t), 1);
	targets_free(t);

	/* Adjacent ranges join: 0-23 with no gap. */
	t = build(a3, NULL);
	assert_int_equal(targets_count(t), 24);
	assert_host(t, 10, "10.0.0.10");
	assert_host(t, 23, "10.0.0.23");
	targets_free(t);

	t = build(a4, NULL);
	assert_int_equal(targets_count(t), 65536);
	targets_free(t);

	t = build(a5, NULL);
	assert_int_equal(targets_count(t), 0x21);
	assert_host(t, 0x20, "::21");
	targets_free(t);
}

static void test_mixed_order(void **state)
{
	static const char *const add[] = { "2001:db8::1",     "::1",
					   "10.0.0.2",	      "::ffff:10.0.0.1",
					   "9.255.255.255",   "10.0.0.1",
					   "255.255.255.255", NULL };
	static const char *const want[] = {
		"9.255.255.255",   "10.0.0.1", "10.0.0.2",
		"255.255.255.255", "::1",      "::ffff:10.0.0.1",
		"2001:db8::1",
	};
	struct targets *t;

	(void)state;
	t = build(add, NULL);
	assert_hosts(t, want, sizeof(want) / sizeof(want[0]));
	targets_free(t);
}

static void test_excludes(void **state)
{
	static const char *const net[] = { "10.0.0.0/24", NULL };
	static const char *const three[] = { "10.0.0.1-5", "10.0.0.10-15",
					     "10.0.0.20-25", NULL };
	static const char *const want3[] = { "10.0.0.1", "10.0.0.2",
					     "10.0.0.23", "10.0.0.24",
					     "10.0.0.25" };
	static const char *const mixed[] = { "10.0.0.1-3", "::1-::3", NULL };
	static const char *const want_mixed[] = { "10.0.0.1", "10.0.0.3", "::1",
						  "::3" };
	struct targets *t;
	struct rs_addr a;
	uint64_t idx;

	(void)state;
	/* A hole in the middle splits the range. */
	t = build(net, "10.0.0.100-10.0.0.109");
	assert_int_equal(targets_count(t), 246);
	assert_host(t, 99, "10.0.0.99");
	assert_host(t, 100, "10.0.0.110");
	assert_host(t, 245, "10.0.0.255");
	assert_int_equal(addr_parse("10.0.0.105", &a), 0);
	assert_int_equal(targets_index(t, &a, &idx), -ENOENT);
	assert_int_equal(addr_parse("10.0.0.110", &a), 0);
	assert_int_equal(targets_index(t, &a, &idx), 0);
	assert_int_equal(idx, 100);
	targets_free(t);

	/* Both ends, several items, spaces around commas. */
	t = build(net, "10.0.0.0, 10.0.0.255 ,10.0.0.128/25");
	assert_int_equal(targets_count(t), 127);
	assert_host(t, 0, "10.0.0.1");
	assert_host(t, 126, "10.0.0.127");
	targets_free(t);

	/* One exclude spanning three includes. */
	t = build(three, "10.0.0.3-10.0.0.22");
	assert_hosts(t, want3, 5);
	targets_free(t);

	/* Excludes only touch their own family. */
	t = build(mixed, "10.0.0.2,::2,::ffff:10.0.0.1,0.0.0.3");
	assert_hosts(t, want_mixed, 4);
	targets_free(t);

	/* Exclude everything: count 0, nothing found. */
	t = build(net, "0.0.0.0/0");
	assert_int_equal(targets_count(t), 0);
	assert_int_equal(addr_parse("10.0.0.1", &a), 0);
	assert_int_equal(targets_index(t, &a, &idx), -ENOENT);
	targets_free(t);

	/* Excluding more than was included is fine. */
	t = build(net, "9.0.0.0-11.0.0.0");
	assert_int_equal(targets_count(t), 0);
	targets_free(t);
}

static void test_exclude_errors(void **state)
{
	struct rs_error err;
	struct targets *t;

	(void)state;
	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_exclude(t, "", &err), -EINVAL);
	assert_non_null(strstr(err.reason, "empty"));
	assert_int_equal(targets_exclude(t, "1.2.3.4,,5.6.7.8", &err), -EINVAL);
	assert_non_null(strstr(err.reason, "empty item"));
	assert_int_equal(targets_exclude(t, "1.2.3.4,", &err), -EINVAL);
	assert_non_null(strstr(err.reason, "empty item"));
	assert_int_equal(targets_exclude(t, ",1.2.3.4", &err), -EINVAL);
	assert_int_equal(targets_exclude(t, "1.2.3.4, ,5.6.7.8", &err),
			 -EINVAL);
	assert_int_equal(targets_exclude(t, "1.2.3.4,1.2.3.999", &err),
			 -EINVAL);
	assert_string_equal(err.token, "1.2.3.999");
	assert_non_null(strstr(err.reason, "out of range"));
	/* None of the failed lists' good items were excluded. */
	assert_int_equal(targets_add(t, "1.2.3.4", &err), 0);
	assert_int_equal(targets_finalize(t), 0);
	assert_int_equal(targets_count(t), 1);
	targets_free(t);
}

static void test_limits(void **state)
{
	static const char *const all4[] = { "0.0.0.0/0", NULL };
	static const char *const v6_96[] = { "2001:db8::/96", NULL };
	struct rs_error err;
	struct targets *t;
	struct rs_addr a;
	uint64_t idx;

	(void)state;
	/* Exactly TARGETS_MAX_HOSTS is allowed. */
	t = build(all4, NULL);
	assert_true(targets_count(t) == TARGETS_MAX_HOSTS);
	assert_host(t, 0x7f000001, "127.0.0.1");
	assert_int_equal(addr_parse("192.0.2.1", &a), 0);
	assert_int_equal(targets_index(t, &a, &idx), 0);
	assert_true(idx == 0xc0000201u);
	assert_int_equal(addr_parse("::", &a), 0);
	assert_int_equal(targets_index(t, &a, &idx), -ENOENT);
	targets_free(t);

	t = build(v6_96, NULL);
	assert_true(targets_count(t) == TARGETS_MAX_HOSTS);
	targets_free(t);

	/* One more is too many. */
	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_add(t, "0.0.0.0/0", &err), 0);
	assert_int_equal(targets_add(t, "::1", &err), 0);
	assert_int_equal(targets_finalize(t), -E2BIG);
	targets_free(t);

	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_add(t, "2001:db8::/95", &err), 0);
	assert_int_equal(targets_finalize(t), -E2BIG);
	targets_free(t);

	/* The whole IPv6 space: 2^128 hosts must not wrap to 0. */
	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_add(t, "::/0", &err), 0);
	assert_int_equal(targets_finalize(t), -E2BIG);
	targets_free(t);

	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_add(t,
				     "::-ffff:ffff:ffff:ffff:ffff:ffff:"
				     "ffff:ffff",
				     &err),
			 0);
	assert_int_equal(targets_finalize(t), -E2BIG);
	targets_free(t);

	/* ...unless excluded before counting. */
	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_add(t, "::/0", &err), 0);
	assert_int_equal(targets_add(t, "10.0.0.1", &err), 0);
	assert_int_equal(targets_exclude(t, "::/1,8000::/1", &err), 0);
	assert_int_equal(targets_finalize(t), 0);
	assert_int_equal(targets_count(t), 1);
	targets_free(t);

	/* All but the top address of IPv6, minus enough to fit. */
	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_add(t, "::/0", &err), 0);
	assert_int_equal(targets_exclude(t, "::/1", &err), 0);
	assert_int_equal(targets_exclude(t,
					 "8000::-ffff:ffff:ffff:ffff:"
					 "ffff:ffff:ffff:fffe",
					 &err),
			 0);
	assert_int_equal(targets_finalize(t), 0);
	assert_int_equal(targets_count(t), 1);
	assert_host(t, 0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	targets_free(t);

	/* Empty set is not an error. */
	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_finalize(t), 0);
	assert_int_equal(targets_count(t), 0);
	assert_int_equal(targets_finalize(t), 0); /* idempotent */
	targets_free(t);
}

/* Many octet-spec ranges, checked host by host against arithmetic. */
static void test_octet_expansion(void **state)
{
	static const char *const add[] = { "10.1-3,7.0,255.1-2,9", NULL };
	struct targets *t;
	uint64_t i = 0;
	unsigned b, c, d;
	static const unsigned bs[] = { 1, 2, 3, 7 }, cs[] = { 0, 255 },
			      ds[] = { 1, 2, 9 };

	(void)state;
	t = build(add, NULL);
	assert_int_equal(targets_count(t), 4 * 2 * 3);
	for (b = 0; b < 4; b++)
		for (c = 0; c < 2; c++)
			for (d = 0; d < 3; d++) {
				struct rs_addr a;
				uint64_t idx;

				targets_get(t, i, &a);
				assert_true(addr_to_u128(&a) ==
					    (10u << 24 | bs[b] << 16 |
					     cs[c] << 8 | ds[d]));
				assert_int_equal(targets_index(t, &a, &idx), 0);
				assert_true(idx == i);
				i++;
			}
	targets_free(t);
}

/* Index <-> address for every host of a set with gaps and both families. */
static void test_index_roundtrip(void **state)
{
	static const char *const add[] = { "192.0.2.0/28",   "192.0.2.100-110",
					   "2001:db8::/124", "::1",
					   "10.0-2.5.5",     NULL };
	struct targets *t;
	struct rs_addr a, b;
	uint64_t i, idx, n;

	(void)state;
	t = build(add, "192.0.2.8/30,2001:db8::8");
	n = targets_count(t);
	assert_int_equal(n, 16 - 4 + 11 + 16 - 1 + 1 + 3);
	for (i = 0; i < n; i++) {
		targets_get(t, i, &a);
		assert_int_equal(targets_index(t, &a, &idx), 0);
		assert_int_equal(idx, i);
		if (i) {
			targets_get(t, i - 1, &b);
			assert_true(addr_cmp(&b, &a) < 0);
		}
	}
	/* Gaps, outside both ends, and the wrong family are not targets. */
	assert_int_equal(addr_parse("192.0.2.9", &a), 0);
	assert_int_equal(targets_index(t, &a, &idx), -ENOENT);
	assert_int_equal(addr_parse("192.0.2.50", &a), 0);
	assert_int_equal(targets_index(t, &a, &idx), -ENOENT);
	assert_int_equal(addr_parse("0.0.0.0", &a), 0);
	assert_int_equal(targets_index(t, &a, &idx), -ENOENT);
	assert_int_equal(addr_parse("ffff::", &a), 0);
	assert_int_equal(targets_index(t, &a, &idx), -ENOENT);
	assert_int_equal(addr_parse("::c000:201", &a), 0);
	assert_int_equal(targets_index(t, &a, &idx), -ENOENT);
	assert_int_equal(addr_parse("2001:db8::8", &a), 0);
	assert_int_equal(targets_index(t, &a, &idx), -ENOENT);
	targets_free(t);
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/tmp/test_targets.%d.%s", (int)getpid(), name);
}

static void test_file(void **state)
{
	static const char good[] = "# targets\n"
				   "127.0.0.1 127.0.0.2\t127.0.0.3\n"
				   "\n"
				   "   # indented comment 9.9.9.9\n"
				   "10.0.0.0/30#trailing comment\r\n"
				   "::1   \n"
				   "10.0.0,1.7 10.0.0.1"; /* no newline */
	static const char bad[] = "127.0.0.1\n"
				  "# fine so far\n"
				  "10.0.0.1 10.0.0.300 10.0.0.2\n"
				  "10.0.0.3\n";
	static const char nul[] = "127.0.0.1\n127.0.\0.2\n";
	static const char *const want[] = {
		"10.0.0.0", "10.0.0.1",	 "10.0.0.2",  "10.0.0.3",  "10.0.0.7",
		"10.0.1.7", "127.0.0.1", "127.0.0.2", "127.0.0.3", "::1",
	};
	char path[128];
	struct rs_error err;
	struct targets *t;

	(void)state;
	tmp_path(path, sizeof(path), "good");
	write_file(path, good, sizeof(good) - 1);
	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_add_file(t, path, &err), 0);
	assert_int_equal(targets_finalize(t), 0);
	assert_hosts(t, want, sizeof(want) / sizeof(want[0]));
	targets_free(t);

	tmp_path(path, sizeof(path), "bad");
	write_file(path, bad, sizeof(bad) - 1);
	assert_int_equal(targets_new(&t), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(targets_add_file(t, path, &err), -EINVAL);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.token, "10.0.0.300");
	assert_non_null(strstr(err.reason, "out of range"));
	/* All or nothing: lines 1 and 3's good tokens were not added. */
	assert_int_equal(targets_add(t, "192.0.2.1", &err), 0);
	assert_int_equal(targets_finalize(t), 0);
	assert_int_equal(targets_count(t), 1);
	assert_host(t, 0, "192.0.2.1");
	targets_free(t);

	/* A NUL byte inside a token is a bad character, on its line. */
	tmp_path(path, sizeof(path), "nul");
	write_file(path, nul, sizeof(nul) - 1);
	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_add_file(t, path, &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.reason, "invalid character"));
	targets_free(t);
	unlink(path);
	tmp_path(path, sizeof(path), "bad");
	unlink(path);
	tmp_path(path, sizeof(path), "good");
	unlink(path);
}

static void test_file_errors(void **state)
{
	char path[128];
	struct rs_error err;
	struct targets *t;

	(void)state;
	tmp_path(path, sizeof(path), "missing");
	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_add_file(t, path, &err), -ENOENT);
	assert_string_equal(err.token, path);
	assert_int_equal(err.line, 0);
	assert_int_equal(targets_exclude_file(t, path, &err), -ENOENT);
	assert_string_equal(err.token, path);

	/* Opens, but read() fails. */
	assert_int_equal(targets_add_file(t, "/", &err), -EISDIR);
	assert_string_equal(err.token, "/");

	/* Empty file: nothing added, not an error. */
	tmp_path(path, sizeof(path), "empty");
	write_file(path, "", 0);
	assert_int_equal(targets_add_file(t, path, &err), 0);
	unlink(path);
	assert_int_equal(targets_finalize(t), 0);
	assert_int_equal(targets_count(t), 0);
	targets_free(t);
}

/*
 * Lines are bounded (TARGETS_LINE_MAX): 4096 bytes of tokens are read,
 * one byte more is refused with its line number - as is a 900 KB line,
 * which getline() used to take whole; an overlong token on a line that
 * fits is still named as such.
 */
static void test_file_long_line(void **state)
{
	const size_t tl = 9, ntok = TARGETS_LINE_MAX / tl;
	size_t n = ntok * tl, i;
	char *text = malloc(900000);
	struct rs_error err;
	struct targets *t;
	char path[128];

	(void)state;
	assert_non_null(text);
	for (i = 0; i < ntok; i++)
		memcpy(text + i * tl, i % 2 ? "10.0.0.2 " : "10.0.0.1\t", tl);
	memset(text + n, ' ', TARGETS_LINE_MAX - n);
	text[TARGETS_LINE_MAX] = '\n';
	memset(text + TARGETS_LINE_MAX + 1, '9', 400);
	text[TARGETS_LINE_MAX + 401] = '\n';
	tmp_path(path, sizeof(path), "long");
	write_file(path, text, TARGETS_LINE_MAX + 402);

	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_add_file(t, path, &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_string_equal(err.reason, "target too long");
	assert_int_equal(strspn(err.token, "9"), sizeof(err.token) - 4);
	targets_free(t);

	/* Without the bad line: a full line, two hosts. */
	assert_int_equal(truncate(path, (off_t)TARGETS_LINE_MAX + 1), 0);
	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_add_file(t, path, &err), 0);
	assert_int_equal(targets_finalize(t), 0);
	assert_int_equal(targets_count(t), 2);
	targets_free(t);

	/* One byte more, or 900 KB with no newline: refused, line 1. */
	text[TARGETS_LINE_MAX] = ' ';
	text[TARGETS_LINE_MAX + 1] = '\n';
	write_file(path, text, TARGETS_LINE_MAX + 2);
	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_add_file(t, path, &err), -EINVAL);
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.reason, "line longer"));
	targets_free(t);
	memset(text, '1', 900000);
	write_file(path, text, 900000);
	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_add_file(t, path, &err), -EINVAL);
	assert_non_null(strstr(err.reason, "line longer"));
	targets_free(t);
	free(text);
	unlink(path);
}

/*
 * Duplicates merge as they stream in: two million copies of two hosts
 * need no more than the compaction floor, far below the 4 Mi ranges that
 * would otherwise be held before merging.
 */
static void test_stream_dedup(void **state)
{
	const size_t lines = 2000000;
	char *text = malloc(lines * 10);
	struct rs_error err;
	struct targets *t;
	char path[128];
	size_t i;

	(void)state;
	assert_non_null(text);
	for (i = 0; i < lines; i++)
		memcpy(text + i * 10, i % 2 ? "127.0.0.2\n" : "127.0.0.1\n",
		       10);
	tmp_path(path, sizeof(path), "dups");
	write_file(path, text, lines * 10);
	free(text);
	assert_int_equal(targets_new(&t), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(targets_add_file(t, path, &err), 0);
	assert_int_equal(targets_finalize(t), 0);
	assert_int_equal(targets_count(t), 2);
	targets_free(t);
	unlink(path);
}

static void test_stdin(void **state)
{
	static const char list[] = "192.0.2.1\n192.0.2.2 # two\n";
	char path[128];
	struct rs_error err;
	struct targets *t;
	int saved, fd;

	(void)state;
	tmp_path(path, sizeof(path), "stdin");
	write_file(path, list, sizeof(list) - 1);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	saved = dup(0);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, 0), 0);
	close(fd);
	clearerr(stdin);

	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_add_file(t, "-", &err), 0);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	clearerr(stdin);
	unlink(path);

	assert_int_equal(targets_finalize(t), 0);
	assert_int_equal(targets_count(t), 2);
	assert_host(t, 1, "192.0.2.2");
	targets_free(t);
}

static void test_exclude_file(void **state)
{
	static const char list[] = "# keep .0 and .255 out\n"
				   "10.0.0.0\n"
				   "10.0.0.255 10.0.0.10-19\n";
	static const char *const net[] = { "10.0.0.0/24", NULL };
	char path[128];
	struct rs_error err;
	struct targets *t;
	size_t i;

	(void)state;
	tmp_path(path, sizeof(path), "excl");
	write_file(path, list, sizeof(list) - 1);
	assert_int_equal(targets_new(&t), 0);
	for (i = 0; net[i]; i++)
		assert_int_equal(targets_add(t, net[i], &err), 0);
	assert_int_equal(targets_exclude_file(t, path, &err), 0);
	unlink(path);
	assert_int_equal(targets_finalize(t), 0);
	assert_int_equal(targets_count(t), 256 - 12);
	assert_host(t, 0, "10.0.0.1");
	assert_host(t, 8, "10.0.0.9");
	assert_host(t, 9, "10.0.0.20");
	assert_host(t, 243, "10.0.0.254");
	targets_free(t);
}

static void test_error_detail(void **state)
{
	char big[1000];
	struct rs_error err;
	struct targets *t;

	(void)state;
	/* rs_error_set: truncation marked, always terminated. */
	memset(big, '7', sizeof(big));
	memset(&err, 'z', sizeof(err));
	assert_int_equal(rs_error_set(&err, big, sizeof(big), "why"), -EINVAL);
	assert_int_equal(strlen(err.token), sizeof(err.token) - 1);
	assert_string_equal(err.token + sizeof(err.token) - 4, "...");
	assert_int_equal(err.token[0], '7');
	assert_string_equal(err.reason, "why");
	assert_int_equal(err.line, 0);

	/* Exactly full fits without the marker. */
	assert_int_equal(rs_error_set(&err, big, sizeof(err.token) - 1, "w"),
			 -EINVAL);
	assert_int_equal(strlen(err.token), sizeof(err.token) - 1);
	assert_int_equal(err.token[sizeof(err.token) - 2], '7');

	/* len bounds the copy; a NUL before it ends it. */
	assert_int_equal(rs_error_set(&err, "10.0.0.1 rest", 8, "w"), -EINVAL);
	assert_string_equal(err.token, "10.0.0.1");
	assert_int_equal(rs_error_set(&err, "ab\0cd", 5, "w"), -EINVAL);
	assert_string_equal(err.token, "ab");
	assert_int_equal(rs_error_set(&err, NULL, 5, "w"), -EINVAL);
	assert_string_equal(err.token, "");
	assert_int_equal(rs_error_set(NULL, "x", 1, "w"), -EINVAL);

	/* Parsers accept a NULL err. */
	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_add(t, "1.2.3", NULL), -EINVAL);
	assert_int_equal(targets_exclude(t, "1.2.3", NULL), -EINVAL);
	targets_free(t);
	targets_free(NULL);
}

/*
 * Run targets_add(spec) in a child inside a new network namespace (no
 * interfaces up, so no packet can leave) and report the outcome.  Returns
 * false if namespaces are unavailable.
 */
struct iso_result {
	int ret;
	uint64_t count;
	struct rs_addr first, last;
	char reason[128];
};

static bool add_isolated(const char *spec, struct iso_result *res)
{
	int fds[2], status;
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct iso_result r;
		struct rs_error err;
		struct targets *t;

		close(fds[0]);
		if (syscall(SYS_unshare, CLONE_NEWNET) &&
		    syscall(SYS_unshare, CLONE_NEWUSER | CLONE_NEWNET))
			_exit(77);
		memset(&r, 0, sizeof(r));
		memset(&err, 0, sizeof(err));
		if (targets_new(&t))
			_exit(1);
		r.ret = targets_add(t, spec, &err);
		if (err.reason)
			snprintf(r.reason, sizeof(r.reason), "%s", err.reason);
		if (!r.ret && !targets_finalize(t)) {
			r.count = targets_count(t);
			if (r.count) {
				targets_get(t, 0, &r.first);
				targets_get(t, r.count - 1, &r.last);
			}
		}
		if (write(fds[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], res, sizeof(*res));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		return false;
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(n, sizeof(*res));
	return true;
}

static void test_hostname(void **state)
{
	char a[RS_ADDR_STRLEN], b[RS_ADDR_STRLEN];
	struct iso_result r;
	bool v4;

	(void)state;
	if (!add_isolated("localhost", &r))
		skip();
	if (r.ret)
		fail_msg("localhost: %d %s", r.ret, r.reason);
	assert_int_equal(r.count, 1);
	addr_format(&r.first, a, sizeof(a));
	if (strcmp(a, "127.0.0.1") && strcmp(a, "::1"))
		fail_msg("localhost resolved to %s", a);
	v4 = !strcmp(a, "127.0.0.1");

	/* A name with a prefix: the block around its address. */
	assert_true(add_isolated("localhost/31", &r));
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.count, 2);
	addr_format(&r.first, a, sizeof(a));
	addr_format(&r.last, b, sizeof(b));
	if (!(strcmp(a, "127.0.0.0") == 0 && strcmp(b, "127.0.0.1") == 0) &&
	    !(strcmp(a, "::") == 0 && strcmp(b, "::1") == 0))
		fail_msg("localhost/31 is %s-%s", a, b);

	assert_true(add_isolated("localhost/33", &r));
	if (v4) {
		assert_int_equal(r.ret, -EINVAL);
		assert_non_null(strstr(r.reason, "0-32"));
	}
}

static void test_unresolvable(void **state)
{
	struct iso_result r;

	(void)state;
	if (!add_isolated("ringscan-no-such-host.invalid", &r))
		skip();
	assert_int_equal(r.ret, -EINVAL);
	assert_string_equal(r.reason, "cannot resolve host name");
}

/*
 * Names: keyed by host index after finalize, the first name given for an
 * address wins, names of excluded addresses are dropped, lookups by
 * address agree; reverse-lookup names only in ascending order.
 */
static void test_names(void **state)
{
	struct rs_error err = { 0 };
	struct targets *t;
	struct rs_addr a;

	(void)state;
	assert_int_equal(targets_new(&t), 0);
	assert_int_equal(targets_add(t, "127.0.0.1-5", &err), 0);
	assert_int_equal(targets_add(t, "::1", &err), 0);
	assert_int_equal(addr_parse("127.0.0.3", &a), 0);
	assert_int_equal(targets_add_name(t, &a, "three"), 0);
	assert_int_equal(targets_add_name(t, &a, "later"), 0);
	assert_int_equal(addr_parse("127.0.0.5", &a), 0);
	assert_int_equal(targets_add_name(t, &a, "five"), 0);
	assert_int_equal(addr_parse("::1", &a), 0);
	assert_int_equal(targets_add_name(t, &a, "six"), 0);
	assert_int_equal(addr_parse("127.0.0.1", &a), 0);
	assert_int_equal(targets_add_name(t, &a, ""), 0); /* no name */
	assert_int_equal(targets_exclude(t, "127.0.0.5", &err), 0);
	assert_int_equal(targets_finalize(t), 0);

	assert_int_equal(targets_count(t), 5);
	assert_null(targets_name(t, 0));
	assert_null(targets_name(t, 1));
	assert_string_equal(targets_name(t, 2), "three");
	assert_null(targets_name(t, 3));
	assert_string_equal(targets_name(t, 4), "six");
	assert_null(targets_name_others(t, 2));
	assert_int_equal(addr_parse("::1", &a), 0);
	assert_string_equal(targets_addr_name(t, &a), "six");
	assert_int_equal(addr_parse("127.0.0.5", &a), 0);
	assert_null(targets_addr_name(t, &a));

	assert_null(targets_ptr_name(t, 1));
	assert_int_equal(targets_set_ptr(t, 1, "ptr-one"), 0);
	assert_int_equal(targets_set_ptr(t, 3, "ptr-four"), 0);
	assert_int_equal(targets_set_ptr(t, 2, "out-of-order"), -EINVAL);
	assert_string_equal(targets_ptr_name(t, 1), "ptr-one");
	assert_string_equal(targets_ptr_name(t, 3), "ptr-four");
	assert_null(targets_ptr_name(t, 2));
	targets_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_table),
		cmocka_unit_test(test_guard_traps),
		cmocka_unit_test(test_spec_table_guarded),
		cmocka_unit_test(test_hostile_long_guarded),
		cmocka_unit_test(test_exclude_guarded),
		cmocka_unit_test(test_long_label_not_resolved),
		cmocka_unit_test(test_overlap_dedup),
		cmocka_unit_test(test_mixed_order),
		cmocka_unit_test(test_excludes),
		cmocka_unit_test(test_exclude_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_octet_expansion),
		cmocka_unit_test(test_index_roundtrip),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_file_long_line),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_scope_guard),
		cmocka_unit_test(test_stream_dedup),
		cmocka_unit_test(test_exclude_file),
		cmocka_unit_test(test_error_detail),
		cmocka_unit_test(test_hostname),
		cmocka_unit_test(test_unresolvable),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
