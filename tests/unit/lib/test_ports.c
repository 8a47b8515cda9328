/*
 * test_ports.c - nmap -p syntax, refusals, the default set, the index.
 *
 * Like test_targets.c, one table of specs (with the expected count and ends,
 * or the words of the refusal) runs twice: from ordinary strings and from
 * copies that end exactly at a PROT_NONE page, so reading past the NUL
 * crashes.  Service names come from a crafted services file so the expected
 * ports do not depend on the machine.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "guard.h"
#include "ports.h"

static const char services_text[] = "ssh\t22/tcp\n"
				    "http\t80/tcp\twww\n"
				    "https\t443/tcp\n"
				    "http-alt\t8080/tcp\twebcache\n"
				    "domain\t53/udp\n"
				    "zero\t0/tcp\n"
				    "zerotoo\t0/tcp\n";

static char svc_path[128];

/* Shared by all tests; loaded once. */
static struct services *svc;
static struct portlist *pl;

static int setup(void **state)
{
	FILE *f;

	(void)state;
	snprintf(svc_path, sizeof(svc_path), "/tmp/test_ports.%d",
		 (int)getpid());
	f = fopen(svc_path, "w");
	if (!f)
		return -1;
	fputs(services_text, f);
	if (fclose(f))
		return -1;
	pl = malloc(sizeof(*pl));
	if (!pl)
		return -1;
	return services_load(&svc, svc_path);
}

static int teardown(void **state)
{
	(void)state;
	services_free(svc);
	free(pl);
	unlink(svc_path);
	return 0;
}

struct port_case {
	const char *spec;
	int ret;
	uint32_t count;
	uint16_t first, last;
	const char *reason;
	const char *token; /* expected err.token, when given */
};

#define OK(s, n, f, l)                                       \
	{                                                    \
		.spec = s, .count = n, .first = f, .last = l \
	}
#define BAD(s, why, tok)                                               \
	{                                                              \
		.spec = s, .ret = -EINVAL, .reason = why, .token = tok \
	}

static const struct port_case cases[] = {
	OK("22", 1, 22, 22),
	OK("22,80,443", 3, 22, 443),
	OK("443,22,80,22", 3, 22, 443),
	OK("8000-8100", 101, 8000, 8100),
	OK("8100-8100", 1, 8100, 8100),
	OK("-1024", 1024, 1, 1024),
	OK("60000-", 5536, 60000, 65535),
	OK("-", 65535, 1, 65535),
	OK("1-65535", 65535, 1, 65535),
	OK("1-65535,1-65535,-,80", 65535, 1, 65535),
	OK("65535", 1, 65535, 65535),
	OK("1", 1, 1, 1),
	OK("00022", 1, 22, 22),
	OK("10-20,15-25,30", 17, 10, 30),
	OK("T:22,80", 2, 22, 80),
	OK("T:22,T:80", 2, 22, 80),
	OK("22,T:-10", 11, 1, 22),
	OK("ssh", 1, 22, 22),
	OK("www", 1, 80, 80),
	OK("http,ssh,22", 2, 22, 80),
	OK("http*", 3, 80, 8080),
	OK("T:http*", 3, 80, 8080),
	OK("web*", 1, 8080, 8080),
	OK("*", 4, 22, 8080), /* every TCP name, port 0 left out */
	OK("?sh,1-5", 6, 1, 22),
	OK("[hs]*", 4, 22, 8080),
	BAD("", "empty port list", ""),
	BAD(",", "empty item", ","),
	BAD(",,", "empty item", ",,"),
	BAD("22,,80", "empty item", "22,,80"),
	BAD(",22", "empty item", ",22"),
	BAD("22,", "empty item", "22,"),
	BAD("0", "port 0", "0"),
	BAD("22,0", "port 0", "0"),
	BAD("0-100", "port 0", "0-100"),
	BAD("-0", "port 0", "-0"),
	BAD("65536", "out of range", "65536"),
	BAD("1-65536", "out of range", "1-65536"),
	BAD("70000-", "out of range", "70000-"),
	BAD("99999999999999999999999", "out of range", NULL),
	BAD("100-10", "reversed", "100-10"),
	BAD("1-2-3", "invalid port range", "1-2-3"),
	BAD("--", "invalid port range", "--"),
	BAD("U:53", "UDP ports are not accepted here", "U:53"),
	BAD("T:22,U:53", "UDP ports are not accepted here", "U:53"),
	BAD("S:80", "SCTP scans are not supported", "S:80"),
	BAD("T:", "empty", "T:"),
	BAD("22,T:", "empty", "T:"),
	BAD("T:T:22", "unknown", "T:22"),
	BAD("t:22", "unknown", "t:22"),
	BAD(" 22", "whitespace", " 22"),
	BAD("22 ", "whitespace", "22 "),
	BAD("22, 80", "whitespace", " 80"),
	BAD("nosuch", "unknown TCP service", "nosuch"),
	BAD("domain", "unknown TCP service", "domain"),
	BAD("SSH", "unknown TCP service", "SSH"),
	BAD("zero", "unknown TCP service", "zero"),
	BAD("zero*", "no TCP service name matches", "zero*"),
	BAD("nomatch*", "no TCP service name matches", "nomatch*"),
	BAD("22-ssh", "unknown TCP service", "22-ssh"),
	BAD("22,ssh$", "unknown TCP service", "ssh$"),
	BAD("22;80", "unknown TCP service", "22;80"),
	BAD("0x16", "unknown TCP service", "0x16"),
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static void check_case(const struct port_case *c, const char *spec)
{
	struct rs_error err;
	uint32_t i;
	int ret;

	memset(&err, 0, sizeof(err));
	pl->count = 12345;
	ret = ports_parse(spec, svc, pl, &err);
	if (ret != c->ret)
		fail_msg("\"%s\": got %d (%s), want %d", c->spec, ret,
			 err.reason ? err.reason : "-", c->ret);
	if (ret) {
		if (!strstr(err.reason, c->reason))
			fail_msg("\"%s\": reason \"%s\" lacks \"%s\"", c->spec,
				 err.reason, c->reason);
		if (c->token)
			assert_string_equal(err.token, c->token);
		assert_int_equal(pl->count, 0);
		return;
	}
	if (pl->count != c->count)
		fail_msg("\"%s\": count %u, want %u", c->spec, pl->count,
			 c->count);
	assert_int_equal(pl->port[0], c->first);
	assert_int_equal(pl->port[pl->count - 1], c->last);
	for (i = 1; i < pl->count; i++)
		assert_true(pl->port[i - 1] < pl->port[i]);
}

static void test_spec_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NCASES; i++)
		check_case(&cases[i], cases[i].spec);
}

/* Exact contents for a few, not just ends. */
static void test_exact_lists(void **state)
{
	static const uint16_t want1[] = { 10, 11, 12, 22, 80, 443, 8080 };
	static const uint16_t want2[] = { 1, 2, 3, 22, 65534, 65535 };
	struct rs_error err;

	(void)state;
	assert_int_equal(
		ports_parse("8080,443,http,10-12,ssh,11", svc, pl, &err), 0);
	assert_int_equal(pl->count, 7);
	assert_memory_equal(pl->port, want1, sizeof(want1));

	assert_int_equal(ports_parse("65534-,T:-3,22", svc, pl, &err), 0);
	assert_int_equal(pl->count, 6);
	assert_memory_equal(pl->port, want2, sizeof(want2));
}

static void test_no_services(void **state)
{
	struct rs_error err;

	(void)state;
	assert_int_equal(ports_parse("ssh", NULL, pl, &err), -EINVAL);
	assert_non_null(strstr(err.reason, "services"));
	assert_string_equal(err.token, "ssh");
	assert_int_equal(ports_parse("http*", NULL, pl, &err), -EINVAL);
	assert_int_equal(ports_parse("22,80", NULL, pl, &err), 0);
	assert_int_equal(pl->count, 2);
	/* NULL err is allowed; NULL spec is refused. */
	assert_int_equal(ports_parse("0", NULL, pl, NULL), -EINVAL);
	assert_int_equal(ports_parse(NULL, NULL, pl, &err), -EINVAL);
}

static void test_long_specs(void **state)
{
	size_t cap = 65535 * 6 + 1, off = 0;
	char *spec = malloc(cap), *name;
	struct rs_error err;
	unsigned p;

	(void)state;
	assert_non_null(spec);
	/* Every port listed, descending: 382 KB of input. */
	for (p = 65535; p >= 1; p--)
		off += (size_t)snprintf(spec + off, cap - off, "%u,", p);
	spec[off - 1] = '\0';
	assert_int_equal(ports_parse(spec, svc, pl, &err), 0);
	assert_int_equal(pl->count, 65535);
	for (p = 0; p < 65535; p++)
		assert_int_equal(pl->port[p], p + 1);

	/* A bad item at the very end is still found and named. */
	spec[off - 1] = ',';
	spec[off] = '0';
	spec[off + 1] = '\0';
	assert_int_equal(ports_parse(spec, svc, pl, &err), -EINVAL);
	assert_string_equal(err.token, "0");

	/* A very long name: refused, token truncated and terminated. */
	name = malloc(10001);
	assert_non_null(name);
	memset(name, 'x', 10000);
	name[10000] = '\0';
	assert_int_equal(ports_parse(name, svc, pl, &err), -EINVAL);
	assert_non_null(strstr(err.reason, "too long"));
	assert_int_equal(strlen(err.token), sizeof(err.token) - 1);
	/* A long digit run must not overflow into a valid port. */
	memset(name, '9', 10000);
	memcpy(name + 9995, "00022", 5);
	assert_int_equal(ports_parse(name, svc, pl, &err), -EINVAL);
	assert_non_null(strstr(err.reason, "out of range"));
	memset(name, '0', 9998);
	memcpy(name + 9998, "22", 3);
	assert_int_equal(ports_parse(name, svc, pl, &err), 0);
	assert_int_equal(pl->count, 1);
	assert_int_equal(pl->port[0], 22);
	free(name);
	free(spec);
}

static void test_spec_table_guarded(void **state)
{
	static const char *const extra[] = {
		"-",   "T",   "T:-", "U:",  "U",  "S",	"1-",  "65535-",
		"*",   "[",   "[!",  "\\",  "x*", ":",	"::",  "T::",
		"1,-", "-,1", "1,,", ",,1", "%s", "%n", "22-", "-22",
	};
	struct rs_error err;
	struct guarded g;
	size_t i;

	(void)state;
	for (i = 0; i < NCASES; i++) {
		check_case(&cases[i], guard_copy(&g, cases[i].spec,
						 strlen(cases[i].spec), true));
		guard_free(&g);
	}
	/* Short odd inputs: any outcome but a crash, and a result or reason. */
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		int ret;

		memset(&err, 0, sizeof(err));
		ret = ports_parse(guard_copy(&g, extra[i], strlen(extra[i]),
					     true),
				  svc, pl, &err);
		if (ret) {
			assert_int_equal(ret, -EINVAL);
			assert_non_null(err.reason);
		} else {
			assert_true(pl->count > 0);
		}
		guard_free(&g);
	}
}

/* The documented extras above 1024, as the header promises. */
static const uint16_t documented_extra[] = {
	1080, 1194, 1433, 1521, 1723, 1883,  2049,  2181,  2375,
	2376, 2379, 3000, 3128, 3306, 3389,  5000,  5060,  5432,
	5601, 5672, 5900, 5984, 5985, 5986,  6000,  6379,  6443,
	7001, 8000, 8008, 8009, 8080, 8081,  8443,  8888,  9000,
	9090, 9092, 9200, 9300, 9418, 10000, 11211, 15672, 27017,
};

static void test_default(void **state)
{
	size_t n = sizeof(documented_extra) / sizeof(documented_extra[0]);
	uint32_t i;

	(void)state;
	ports_default(pl);
	assert_int_equal(pl->count, 1024 + n);
	for (i = 0; i < 1024; i++)
		assert_int_equal(pl->port[i], i + 1);
	assert_memory_equal(pl->port + 1024, documented_extra,
			    sizeof(documented_extra));
}

static void test_index(void **state)
{
	struct rs_error err;
	uint32_t i, idx;

	(void)state;
	ports_default(pl);
	for (i = 0; i < pl->count; i++) {
		assert_int_equal(ports_index(pl, pl->port[i], &idx), 0);
		assert_int_equal(idx, i);
	}
	assert_int_equal(ports_index(pl, 0, &idx), -ENOENT);
	assert_int_equal(ports_index(pl, 1025, &idx), -ENOENT);
	assert_int_equal(ports_index(pl, 65535, &idx), -ENOENT);

	assert_int_equal(ports_parse("-", NULL, pl, &err), 0);
	assert_int_equal(ports_index(pl, 1, &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(ports_index(pl, 65535, &idx), 0);
	assert_int_equal(idx, 65534);
	assert_int_equal(ports_index(pl, 0, &idx), -ENOENT);

	assert_int_equal(ports_parse("80", NULL, pl, &err), 0);
	assert_int_equal(ports_index(pl, 80, &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(ports_index(pl, 79, &idx), -ENOENT);
	assert_int_equal(ports_index(pl, 81, &idx), -ENOENT);

	pl->count = 0;
	assert_int_equal(ports_index(pl, 80, &idx), -ENOENT);
}

static void assert_list(const struct portlist *got, const uint16_t *want,
			size_t n)
{
	size_t i;

	if (got->count != n)
		fail_msg("%u ports, want %zu", got->count, n);
	for (i = 0; i < n; i++)
		if (got->port[i] != want[i])
			fail_msg("port %zu is %u, want %u", i, got->port[i],
				 want[i]);
}
#define ASSERT_LIST(got, ...)                                   \
	assert_list(got, (const uint16_t[]){ __VA_ARGS__ },     \
		    sizeof((const uint16_t[]){ __VA_ARGS__ }) / \
			    sizeof(uint16_t))

/*
 * nmap's selection: ranking 443 (0.4), 80 (0.3), 22 and 8080 tied at 0.2
 * (22 first in the file), 21 (0.1), then 25 and 23 at 0 (file order).
 */
static const char nmap_text[] = "ssh\t22/tcp\t0.2\n"
				"http\t80/tcp\t0.3\n"
				"https\t443/tcp\t0.4\n"
				"smtp\t25/tcp\t0.000000\n"
				"http-proxy\t8080/tcp\t0.2\n"
				"ftp\t21/tcp\t0.1\n"
				"telnet\t23/tcp\n"
				"domain\t53/udp\t0.5\n";

static void test_top(void **state)
{
	struct portlist *within = malloc(sizeof(*within));
	struct rs_error err;
	struct services *ns;
	char path[160];
	FILE *f;

	(void)state;
	assert_non_null(within);
	snprintf(path, sizeof(path), "%s.nmap", svc_path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(nmap_text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(services_load(&ns, path), 0);
	unlink(path);

	assert_int_equal(ports_top(ns, RS_TCP, 1, 0, NULL, pl), 0);
	ASSERT_LIST(pl, 443);
	assert_int_equal(ports_top(ns, RS_TCP, 3, 0, NULL, pl), 0);
	ASSERT_LIST(pl, 22, 80, 443); /* the tie's first in the file */
	assert_int_equal(ports_top(ns, RS_TCP, 4, 0, NULL, pl), 0);
	ASSERT_LIST(pl, 22, 80, 443, 8080);
	assert_int_equal(ports_top(ns, RS_TCP, 6, 0, NULL, pl), 0);
	ASSERT_LIST(pl, 21, 22, 25, 80, 443, 8080); /* 25 before 23 */
	assert_int_equal(ports_top(ns, RS_TCP, 1000, 0, NULL, pl), 0);
	ASSERT_LIST(pl, 21, 22, 23, 25, 80, 443, 8080);
	/* By frequency: at least R (ties included), no count limit. */
	assert_int_equal(ports_top(ns, RS_TCP, 0, 0.2, NULL, pl), 0);
	ASSERT_LIST(pl, 22, 80, 443, 8080);
	assert_int_equal(ports_top(ns, RS_TCP, 0, 0.35, NULL, pl), 0);
	ASSERT_LIST(pl, 443);
	assert_int_equal(ports_top(ns, RS_TCP, 0, 0.9, NULL, pl), 0);
	assert_int_equal(pl->count, 0);
	/* Within a list: the top N of those ports. */
	assert_int_equal(ports_parse("1-100", NULL, within, &err), 0);
	assert_int_equal(ports_top(ns, RS_TCP, 2, 0, within, pl), 0);
	ASSERT_LIST(pl, 22, 80);
	assert_int_equal(ports_top(ns, RS_UDP, 10, 0, NULL, pl), 0);
	ASSERT_LIST(pl, 53);
	services_free(ns);

	/* No frequencies: refused, and nothing chosen. */
	assert_int_equal(ports_top(svc, RS_TCP, 10, 0, NULL, pl), -ENOENT);
	assert_int_equal(pl->count, 0);
	assert_int_equal(ports_top(NULL, RS_TCP, 10, 0, NULL, pl), -ENOENT);
	free(within);
}

static void test_named_remove(void **state)
{
	struct portlist *ex = malloc(sizeof(*ex));
	struct rs_error err;

	(void)state;
	assert_non_null(ex);
	/* Port 0 (twice in the file) is never a port to scan. */
	ports_named(svc, RS_TCP, pl);
	ASSERT_LIST(pl, 22, 80, 443, 8080);
	ports_named(svc, RS_UDP, pl);
	ASSERT_LIST(pl, 53);
	ports_named(NULL, RS_TCP, pl);
	assert_int_equal(pl->count, 0);

	assert_int_equal(ports_parse("1-10", NULL, pl, &err), 0);
	assert_int_equal(ports_parse("1,5-6,10,11", NULL, ex, &err), 0);
	ports_remove(pl, ex);
	ASSERT_LIST(pl, 2, 3, 4, 7, 8, 9);
	assert_int_equal(ports_parse("1-65535", NULL, ex, &err), 0);
	ports_remove(pl, ex);
	assert_int_equal(pl->count, 0);
	free(ex);
}

/*
 * Both protocols: prefixes switch the protocol for the items after them,
 * bare items go to every protocol in bare, names resolve per protocol,
 * and seen tells which protocols received items.
 */
static void test_protos(void **state)
{
	struct portlist *udp = malloc(sizeof(*udp));
	struct rs_error err;
	unsigned seen = 99;
	uint32_t idx;

	(void)state;
	assert_non_null(udp);
	assert_int_equal(ports_parse_protos("U:53,161,T:22,80", svc,
					    PORTS_F_TCP | PORTS_F_UDP, pl, udp,
					    &seen, &err),
			 0);
	ASSERT_LIST(pl, 22, 80);
	ASSERT_LIST(udp, 53, 161);
	assert_int_equal(seen, PORTS_F_TCP | PORTS_F_UDP);
	assert_int_equal(pl->nudp, 0);
	assert_int_equal(udp->nudp, 0);

	/* A bare list goes to the scan types given. */
	assert_int_equal(ports_parse_protos("7,1-3", svc, PORTS_F_UDP, pl, udp,
					    &seen, &err),
			 0);
	assert_int_equal(pl->count, 0);
	ASSERT_LIST(udp, 1, 2, 3, 7);
	assert_int_equal(seen, PORTS_F_UDP);
	assert_int_equal(ports_parse_protos("9,U:10", svc,
					    PORTS_F_TCP | PORTS_F_UDP, pl, udp,
					    &seen, &err),
			 0);
	ASSERT_LIST(pl, 9);
	ASSERT_LIST(udp, 9, 10);

	/* T: alone under -sU: seen says TCP only, so the CLI can refuse. */
	assert_int_equal(ports_parse_protos("T:22", svc, PORTS_F_UDP, pl, udp,
					    &seen, &err),
			 0);
	assert_int_equal(seen, PORTS_F_TCP);
	assert_int_equal(udp->count, 0);

	/* Names resolve in the protocol's own table. */
	assert_int_equal(ports_parse_protos("U:domain,T:ssh", svc, PORTS_F_TCP,
					    pl, udp, &seen, &err),
			 0);
	ASSERT_LIST(pl, 22);
	ASSERT_LIST(udp, 53);
	assert_int_equal(ports_parse_protos("U:ssh", svc, PORTS_F_TCP, pl, udp,
					    &seen, &err),
			 -EINVAL);
	assert_string_equal(err.reason, "unknown UDP service name");
	assert_int_equal(ports_parse_protos("U:0", svc, PORTS_F_UDP, pl, udp,
					    &seen, &err),
			 -EINVAL);
	assert_non_null(strstr(err.reason, "port 0"));
	assert_int_equal(ports_parse_protos("53,U:", svc, PORTS_F_UDP, pl, udp,
					    &seen, &err),
			 -EINVAL);
	assert_string_equal(err.reason, "empty port list after U:");

	/* The scan's list: TCP first, then UDP; the index per protocol. */
	assert_int_equal(ports_parse_protos("U:53,80,T:22,80", svc,
					    PORTS_F_TCP | PORTS_F_UDP, pl, udp,
					    &seen, &err),
			 0);
	assert_int_equal(ports_join(pl, pl, udp), 0);
	ASSERT_LIST(pl, 22, 80, 53, 80);
	assert_int_equal(pl->nudp, 2);
	assert_int_equal(ports_proto(pl, 1), RS_TCP);
	assert_int_equal(ports_proto(pl, 2), RS_UDP);
	assert_int_equal(ports_index_proto(pl, RS_UDP, 80, &idx), 0);
	assert_int_equal(idx, 3);
	assert_int_equal(ports_index_proto(pl, RS_TCP, 80, &idx), 0);
	assert_int_equal(idx, 1);
	assert_int_equal(ports_index_proto(pl, RS_TCP, 53, &idx), -ENOENT);
	assert_int_equal(ports_index_proto(pl, RS_UDP, 22, &idx), -ENOENT);
	assert_int_equal(ports_join(udp, pl, udp), -EINVAL);

	ports_default_udp(udp);
	assert_true(udp->count > 20);
	assert_int_equal(udp->nudp, 0);
	for (uint32_t i = 1; i < udp->count; i++)
		assert_true(udp->port[i - 1] < udp->port[i]);
	assert_int_equal(ports_index(udp, 53, &idx), 0);
	assert_int_equal(ports_index(udp, 161, &idx), 0);
	free(udp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_table),
		cmocka_unit_test(test_exact_lists),
		cmocka_unit_test(test_no_services),
		cmocka_unit_test(test_long_specs),
		cmocka_unit_test(test_spec_table_guarded),
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_top),
		cmocka_unit_test(test_named_remove),
		cmocka_unit_test(test_protos),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
