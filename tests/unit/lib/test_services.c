/*
 * test_services.c - the services table from crafted and real files.
 *
 * The crafted file holds every kind of line the loader must survive:
 * comments, aliases, the same port twice (first wins, as getservbyport),
 * malformed port/proto fields, a 300-character name, CRLF, a NUL byte, and
 * no final newline.  The real /etc/services, when present, is checked
 * against a second, deliberately naive reader written here with sscanf, so
 * the truth comes from the file and not from this test's expectations.
 *
 * nmap's format gets a crafted file of its own: frequencies in both
 * spellings, ties (broken by file order, as nmap's stable sort does), a
 * port listed twice (the first line's frequency counts), fractions nmap
 * would refuse, and fields that only look like frequencies.  Its expected
 * ranking is written out by hand below.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "services.h"

static char crafted_path[128];

static const char crafted_head[] =
	"# Network services, crafted\n"
	"\n"
	"ssh\t\t22/tcp\t\t\t\t# SSH Remote Login Protocol\n"
	"http\t\t80/tcp\t\twww www-http\t# WorldWideWeb HTTP\n"
	"http\t\t80/udp\n"
	"https\t\t443/tcp\n"
	"first\t\t7000/tcp\talias1\n"
	"second\t\t7000/tcp\talias2\t# same port: first line wins\n"
	"noslash 1234\n"
	"bigport 70000/tcp\n"
	"bigport2 99999999999999999999/tcp\n"
	"noproto 1235/\n"
	"protomissing 1236\n"
	"sctpthing 1237/sctp\n"
	"negport -5/tcp\n"
	"emptyport /tcp\n"
	"hexport 0x10/tcp\n"
	"spaced 1238 /tcp\n"
	"onlyname\n"
	"#commented 1239/tcp\n"
	"   indented\t5000/tcp\n"
	"trailing\t6000/tcp\ta1\ta2\ta3\n"
	"crlf\t6001/tcp\r\n"
	"udponly\t6002/udp\n"
	"zero\t0/tcp\n"
	"top\t65535/tcp\n"
	"TCPUPPER\t6005/TCP\n"
	"weird#name 6006/tcp\n";

/* Then: a NUL line, a long name, and a last line without newline. */
static const char crafted_nul[] = "nul\0hidden 6004/tcp\nafternul 6007/tcp\n";
static const char crafted_tail[] = "lastline 6003/tcp  aliaslast";

#define LONG_NAME_LEN 300

static int setup(void **state)
{
	char longline[LONG_NAME_LEN + 64];
	FILE *f;

	(void)state;
	snprintf(crafted_path, sizeof(crafted_path), "/tmp/test_services.%d",
		 (int)getpid());
	f = fopen(crafted_path, "w");
	if (!f)
		return -1;
	fwrite(crafted_head, 1, sizeof(crafted_head) - 1, f);
	fwrite(crafted_nul, 1, sizeof(crafted_nul) - 1, f);
	memset(longline, 'L', LONG_NAME_LEN);
	snprintf(longline + LONG_NAME_LEN, 64, " 4000/tcp longalias\n");
	fputs(longline, f);
	fwrite(crafted_tail, 1, sizeof(crafted_tail) - 1, f);
	return fclose(f);
}

static int teardown(void **state)
{
	(void)state;
	unlink(crafted_path);
	return 0;
}

static void assert_port(const struct services *s, enum rs_proto proto,
			const char *name, int want)
{
	uint16_t port = 0;
	int ret = services_port(s, proto, name, &port);

	if (want < 0) {
		if (ret != -ENOENT)
			fail_msg("\"%s\" found at %u", name, port);
		return;
	}
	if (ret)
		fail_msg("\"%s\" not found", name);
	assert_int_equal(port, want);
}

static void test_crafted_names(void **state)
{
	struct services *s;
	const char *n;

	(void)state;
	assert_int_equal(services_load(&s, crafted_path), 0);
	assert_string_equal(services_name(s, RS_TCP, 22), "ssh");
	assert_string_equal(services_name(s, RS_UDP, 22), "unknown");
	assert_string_equal(services_name(s, RS_TCP, 80), "http");
	assert_string_equal(services_name(s, RS_UDP, 80), "http");
	assert_string_equal(services_name(s, RS_TCP, 443), "https");
	assert_string_equal(services_name(s, RS_UDP, 443), "unknown");
	assert_string_equal(services_name(s, RS_TCP, 7000), "first");
	assert_string_equal(services_name(s, RS_TCP, 5000), "indented");
	assert_string_equal(services_name(s, RS_TCP, 6000), "trailing");
	assert_string_equal(services_name(s, RS_TCP, 6001), "crlf");
	assert_string_equal(services_name(s, RS_UDP, 6002), "udponly");
	assert_string_equal(services_name(s, RS_TCP, 6002), "unknown");
	assert_string_equal(services_name(s, RS_TCP, 0), "zero");
	assert_string_equal(services_name(s, RS_TCP, 65535), "top");
	assert_string_equal(services_name(s, RS_TCP, 6003), "lastline");
	assert_string_equal(services_name(s, RS_TCP, 6007), "afternul");
	/* The comment starts inside the name: no port field is left. */
	assert_string_equal(services_name(s, RS_TCP, 6006), "unknown");

	/* Malformed lines leave no trace. */
	assert_string_equal(services_name(s, RS_TCP, 1234), "unknown");
	assert_string_equal(services_name(s, RS_TCP, 1235), "unknown");
	assert_string_equal(services_name(s, RS_TCP, 1236), "unknown");
	assert_string_equal(services_name(s, RS_TCP, 1237), "unknown");
	assert_string_equal(services_name(s, RS_TCP, 1238), "unknown");
	assert_string_equal(services_name(s, RS_TCP, 1239), "unknown");
	assert_string_equal(services_name(s, RS_TCP, 16), "unknown");
	assert_string_equal(services_name(s, RS_TCP, 6004), "unknown");
	assert_string_equal(services_name(s, RS_TCP, 6005), "unknown");
	/* 70000 must not wrap to 4464 (70000 - 65536). */
	assert_string_equal(services_name(s, RS_TCP, 4464), "unknown");

	/* The long name, whole. */
	n = services_name(s, RS_TCP, 4000);
	assert_int_equal(strlen(n), LONG_NAME_LEN);
	assert_int_equal(strspn(n, "L"), LONG_NAME_LEN);

	/* Port is uint16_t, so every value is in range; spot-check both. */
	assert_string_equal(services_name(s, RS_UDP, 65535), "unknown");
	assert_string_equal(services_name(s, (enum rs_proto)7, 22), "unknown");
	services_free(s);
}

static void test_crafted_ports(void **state)
{
	char longname[LONG_NAME_LEN + 1];
	struct services *s;

	(void)state;
	assert_int_equal(services_load(&s, crafted_path), 0);
	assert_port(s, RS_TCP, "ssh", 22);
	assert_port(s, RS_TCP, "www", 80);
	assert_port(s, RS_TCP, "www-http", 80);
	assert_port(s, RS_UDP, "http", 80);
	assert_port(s, RS_UDP, "www", -1);
	assert_port(s, RS_TCP, "second", 7000);
	assert_port(s, RS_TCP, "alias1", 7000);
	assert_port(s, RS_TCP, "alias2", 7000);
	assert_port(s, RS_TCP, "a3", 6000);
	assert_port(s, RS_TCP, "aliaslast", 6003);
	assert_port(s, RS_TCP, "longalias", 4000);
	assert_port(s, RS_TCP, "udponly", -1);
	assert_port(s, RS_UDP, "udponly", 6002);
	assert_port(s, RS_TCP, "zero", 0);
	/* Exact and case-sensitive. */
	assert_port(s, RS_TCP, "SSH", -1);
	assert_port(s, RS_TCP, "ss", -1);
	assert_port(s, RS_TCP, "ssh ", -1);
	assert_port(s, RS_TCP, "", -1);
	/* Nothing from malformed lines or comments. */
	assert_port(s, RS_TCP, "noslash", -1);
	assert_port(s, RS_TCP, "bigport", -1);
	assert_port(s, RS_TCP, "bigport2", -1);
	assert_port(s, RS_TCP, "noproto", -1);
	assert_port(s, RS_TCP, "protomissing", -1);
	assert_port(s, RS_TCP, "sctpthing", -1);
	assert_port(s, RS_TCP, "negport", -1);
	assert_port(s, RS_TCP, "hexport", -1);
	assert_port(s, RS_TCP, "spaced", -1);
	assert_port(s, RS_TCP, "onlyname", -1);
	assert_port(s, RS_TCP, "commented", -1);
	assert_port(s, RS_TCP, "TCPUPPER", -1);
	assert_port(s, RS_TCP, "weird", -1);
	assert_port(s, RS_TCP, "hidden", -1);
	assert_port(s, RS_TCP, "nul", -1);
	assert_port(s, RS_TCP, "Remote", -1);

	memset(longname, 'L', LONG_NAME_LEN);
	longname[LONG_NAME_LEN] = '\0';
	assert_port(s, RS_TCP, longname, 4000);
	longname[LONG_NAME_LEN - 1] = '\0';
	assert_port(s, RS_TCP, longname, -1);
	services_free(s);
}

struct collect {
	uint16_t port[16];
	unsigned n;
};

static void collect_port(uint16_t port, void *ctx)
{
	struct collect *c = ctx;

	assert_true(c->n < 16);
	c->port[c->n++] = port;
}

static void test_match(void **state)
{
	struct services *s;
	struct collect c;

	(void)state;
	assert_int_equal(services_load(&s, crafted_path), 0);

	/* http, www-http on 80 and https on 443: each port once, in order. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(services_match(s, RS_TCP, "http*", collect_port, &c),
			 2);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.port[0], 80);
	assert_int_equal(c.port[1], 443);

	memset(&c, 0, sizeof(c));
	assert_int_equal(services_match(s, RS_UDP, "http*", collect_port, &c),
			 1);
	assert_int_equal(c.port[0], 80);

	/* Aliases match too; ascending order whatever the file order. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(services_match(s, RS_TCP, "alias*", collect_port, &c),
			 2);
	assert_int_equal(c.port[0], 6003); /* aliaslast */
	assert_int_equal(c.port[1], 7000); /* alias1, alias2 */

	memset(&c, 0, sizeof(c));
	assert_int_equal(services_match(s, RS_TCP, "*[13]", collect_port, &c),
			 2);
	assert_int_equal(c.port[0], 6000); /* a1, a3 */
	assert_int_equal(c.port[1], 7000); /* alias1 */

	memset(&c, 0, sizeof(c));
	assert_int_equal(services_match(s, RS_TCP, "?sh", collect_port, &c), 1);
	assert_int_equal(c.port[0], 22);

	assert_int_equal(
		services_match(s, RS_TCP, "nomatch*", collect_port, &c), 0);
	/* Exact names are patterns too. */
	assert_int_equal(services_match(s, RS_TCP, "second", NULL, NULL), 1);
	/*
	 * Every TCP port of the crafted file: 0 22 80 443 4000 5000 6000
	 * 6001 6003 6007 7000 65535.
	 */
	assert_int_equal(services_match(s, RS_TCP, "*", NULL, NULL), 12);
	services_free(s);
}

static void test_missing_file(void **state)
{
	char path[160];
	struct services *s;
	uint16_t port;

	(void)state;
	snprintf(path, sizeof(path), "%s.missing", crafted_path);
	assert_int_equal(services_load(&s, path), 0);
	assert_non_null(s);
	assert_string_equal(services_name(s, RS_TCP, 22), "unknown");
	assert_int_equal(services_port(s, RS_TCP, "ssh", &port), -ENOENT);
	assert_int_equal(services_match(s, RS_TCP, "*", NULL, NULL), 0);
	services_free(s);

	/* A directory opens but cannot be read: also empty. */
	assert_int_equal(services_load(&s, "/"), 0);
	assert_string_equal(services_name(s, RS_TCP, 22), "unknown");
	services_free(s);

	/* No table at all. */
	assert_string_equal(services_name(NULL, RS_TCP, 22), "unknown");
	assert_int_equal(services_port(NULL, RS_TCP, "ssh", &port), -ENOENT);
	assert_int_equal(services_match(NULL, RS_TCP, "*", NULL, NULL), 0);
	services_free(NULL);
}

/*
 * The naive reader: "name port/proto", first per port wins.  Good enough
 * for a well-formed file; returns false if the file is absent.
 */
static bool naive_read(const char *path, char (*tcp)[32], char (*udp)[32])
{
	char line[1024], name[32], proto[8];
	unsigned port;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');

		if (hash)
			*hash = '\0';
		if (sscanf(line, "%31s %u/%7s", name, &port, proto) != 3 ||
		    port > 65535)
			continue;
		if (!strcmp(proto, "tcp") && !tcp[port][0])
			strcpy(tcp[port], name);
		else if (!strcmp(proto, "udp") && !udp[port][0])
			strcpy(udp[port], name);
	}
	fclose(f);
	return true;
}

static void test_real_file(void **state)
{
	char(*tcp)[32] = calloc(65536, 32), (*udp)[32] = calloc(65536, 32);
	unsigned port, named = 0;
	struct services *s;
	uint16_t p;

	(void)state;
	assert_non_null(tcp);
	assert_non_null(udp);
	if (!naive_read(SERVICES_DEFAULT_PATH, tcp, udp)) {
		free(tcp);
		free(udp);
		skip();
	}
	assert_int_equal(services_load(&s, NULL), 0);
	for (port = 0; port < 65536; port++) {
		const char *want = tcp[port][0] ? tcp[port] : "unknown";

		assert_string_equal(services_name(s, RS_TCP, (uint16_t)port),
				    want);
		want = udp[port][0] ? udp[port] : "unknown";
		assert_string_equal(services_name(s, RS_UDP, (uint16_t)port),
				    want);
		named += tcp[port][0] != 0;
	}
	/* A real services file names something. */
	assert_true(named > 0);
	if (tcp[22][0]) {
		assert_int_equal(services_port(s, RS_TCP, tcp[22], &p), 0);
		assert_int_equal(p, 22);
	}
	services_free(s);
	free(tcp);
	free(udp);
}

static const char nmap_text[] =
	"# nmap-services, crafted\n"
	"tcpmux\t1/tcp\t0.001995\t# TCP Port Service Multiplexer\n"
	"http\t80/tcp\t0.484143\t# World Wide Web HTTP\n"
	"http\t80/udp\t0.035767\n"
	"unknown\t4/tcp\t0.000477\n"
	"ssh\t22/tcp\t0.182286\n"
	"tieb\t900/tcp\t0.001995\n" /* ties with tcpmux, comes after */
	"tiea\t800/tcp\t0.001995\n" /* after tieb though lower port */
	"dup\t22/tcp\t0.9\n" /* second line for 22: ignored */
	"frac\t1000/tcp\t1/4\n" /* 0.25 */
	"badfrac\t1001/tcp\t5/0\n" /* nmap refuses; 0 here */
	"bigfrac\t1002/tcp\t7/3\n" /* above 1: 0 here */
	"noratio\t1003/tcp\n" /* frequency 0 */
	"alias\t1004/tcp\t1.5\n" /* not "0.": an alias, frequency 0 */
	"zero\t0/tcp\t0.7\n" /* port 0 is never ranked */
	"sctp\t5/sctp\t0.8\n"
	"udp2\t53/udp\t0.2\n"
	"neg\t1005/tcp\t-0.5\n" /* an alias, frequency 0 */
	"junk\t1006/tcp\t0.\n" /* strtod reads 0 */
	"huge\t70000/tcp\t0.99\n" /* skipped whole */
	"trail\t1007/tcp\t0.5junk\n"; /* strtod reads 0.5 */

static void test_nmap_format(void **state)
{
	/* frequency descending, ties in file order */
	static const uint16_t want_tcp[] = { 1007, 80,	 1000, 22,   1,
					     900,  800,	 4,    1001, 1002,
					     1003, 1004, 1005, 1006 };
	const struct services_rank *rank;
	char path[160];
	struct services *s;
	uint32_t n, i;
	uint16_t port;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s.nmap", crafted_path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(nmap_text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(services_load(&s, path), 0);
	unlink(path);
	assert_true(services_has_ratios(s));
	assert_string_equal(services_source(s), path);

	/* 1007 ("0.5junk") first, then 80 (0.484143), 1000 (1/4)... */
	n = services_ranking(s, RS_TCP, &rank);
	assert_int_equal(n, sizeof(want_tcp) / sizeof(want_tcp[0]));
	for (i = 0; i < n; i++)
		if (rank[i].port != want_tcp[i])
			fail_msg("rank %u: port %u, want %u", i, rank[i].port,
				 want_tcp[i]);
	assert_true(rank[0].ratio == 0.5);
	assert_true(rank[1].ratio == 0.484143);
	assert_true(rank[2].ratio == 0.25);
	assert_true(rank[4].ratio == 0.001995 && rank[6].ratio == 0.001995);
	for (i = 8; i < n; i++)
		assert_true(rank[i].ratio == 0);

	n = services_ranking(s, RS_UDP, &rank);
	assert_int_equal(n, 2);
	assert_int_equal(rank[0].port, 53);
	assert_int_equal(rank[1].port, 80);

	/* Names: the first line's; a frequency is never an alias. */
	assert_string_equal(services_name(s, RS_TCP, 22), "ssh");
	assert_string_equal(services_name(s, RS_TCP, 4), "unknown");
	assert_string_equal(services_name(s, RS_TCP, 1004), "alias");
	assert_int_equal(services_port(s, RS_TCP, "0.484143", &port), -ENOENT);
	assert_int_equal(services_port(s, RS_TCP, "1/4", &port), -ENOENT);
	assert_int_equal(services_port(s, RS_TCP, "1.5", &port), 0);
	assert_int_equal(port, 1004);
	assert_int_equal(services_port(s, RS_TCP, "dup", &port), 0);
	assert_int_equal(port, 22);
	services_free(s);
}

/* /etc/services' format has no frequencies: no ranking at all. */
static void test_no_ratios(void **state)
{
	const struct services_rank *rank;
	struct services *s;

	(void)state;
	assert_int_equal(services_load(&s, crafted_path), 0);
	assert_false(services_has_ratios(s));
	assert_int_equal(services_ranking(s, RS_TCP, &rank), 0);
	assert_null(rank);
	assert_int_equal(services_ranking(s, RS_UDP, &rank), 0);
	services_free(s);
	assert_false(services_has_ratios(NULL));
	assert_null(services_source(NULL));
	assert_int_equal(services_ranking(NULL, RS_TCP, &rank), 0);
}

/* services_find: an explicit file must exist; the search falls back. */
static void test_find(void **state)
{
	char path[160];
	struct services *s;

	(void)state;
	snprintf(path, sizeof(path), "%s.missing", crafted_path);
	assert_int_equal(services_find(&s, path, NULL), -ENOENT);
	assert_null(s);
	assert_int_equal(services_find(&s, "/", NULL), -EISDIR);
	assert_int_equal(services_find(&s, crafted_path, NULL), 0);
	assert_string_equal(services_source(s), crafted_path);
	assert_string_equal(services_name(s, RS_TCP, 22), "ssh");
	services_free(s);

	/* A datadir without nmap-services: the search goes on, no error. */
	assert_int_equal(services_find(&s, NULL, "/nonexistent-dir"), 0);
	assert_non_null(s);
	services_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crafted_names),
		cmocka_unit_test(test_crafted_ports),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_real_file),
		cmocka_unit_test(test_nmap_format),
		cmocka_unit_test(test_no_ratios),
		cmocka_unit_test(test_find),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
