/*
 * test_cli.c - the command line parser: what a good line sets, what a bad
 * one is refused with.
 *
 * Good lines go through cli_scan_load itself, the one entry point main.c,
 * --resume and merge share, and the test reads the fields that reach the
 * engine and the outputs (struct cli, the finalized targets and ports);
 * the expected values are the ones cli.c and nmap document, not whatever
 * the code printed once.  Bad input makes cli.c print one line and exit(1)
 * by design (cli.h), so each refusal runs in a forked child whose stderr is
 * a pipe: the parent checks that the child exited 1 - not 0, not a crash -
 * with one line that names what was wrong.  A refusal test therefore also
 * fails if the line is accepted.
 *
 * Nothing here sends a packet or resolves a name: targets are address
 * literals from loopback and the benchmarking ranges (198.18.0.0/15,
 * 2001:2::/48), and no scan is run.  -p uses numbers only, because service
 * names would depend on the machine's /etc/services; the services
 * database that the default ports, -F, --top-ports and --port-ratio come
 * from is a crafted file given with --servicedb, for the same reason.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli.h"

#define MS 1000000ULL

/* argv as main() gets it: program name first, NULL last. */
#define ARGV(...) ((char *[]){ "ringscan", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof(ARGV(__VA_ARGS__)) / sizeof(char *)) - 1)

/*
 * struct cli_scan holds PATH_MAX-sized -oA names and a 128 KiB portlist
 * sits behind it: on the heap, so a test's stack stays small.
 */
static struct cli_scan *load_argv(int argc, char **argv)
{
	struct cli_scan *cs = malloc(sizeof(*cs));

	assert_non_null(cs);
	cli_scan_load(cs, argc, argv);
	return cs;
}
#define LOAD(...) load_argv(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void unload(struct cli_scan *cs)
{
	cli_scan_free(cs);
	free(cs);
}

static void host_str(const struct cli_scan *cs, uint64_t idx, char *buf)
{
	struct rs_addr a;

	targets_get(cs->targets, idx, &a);
	addr_format(&a, buf, RS_ADDR_STRLEN);
}

static bool has_host(const struct cli_scan *cs, const char *s)
{
	struct rs_addr a;
	uint64_t idx;

	assert_int_equal(addr_parse(s, &a), 0);
	return targets_index(cs->targets, &a, &idx) == 0;
}

/* ---- refusals: run in a child, which must exit 1 with one line ---- */

typedef void child_fn(void *arg);

/*
 * Run fn in a child with stderr (and stdout, for --help-like output) on a
 * pipe; return its exit status (-1 if it did not exit) and its output.
 * stdout is flushed first so that the child's exit() does not write the
 * parent's buffered cmocka lines a second time.
 */
static int run_child(child_fn *fn, void *arg, char *out, size_t outlen)
{
	int fd[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fd[0]);
		dup2(fd[1], STDOUT_FILENO);
		dup2(fd[1], STDERR_FILENO);
		fn(arg);
		fflush(stdout);
		_exit(0);
	}
	close(fd[1]);
	while (got + 1 < outlen &&
	       (n = read(fd[0], out + got, outlen - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void assert_refusal(int status, const char *out, const char *want)
{
	const char *nl = strchr(out, '\n');

	if (status != EXIT_BAD_INPUT || !strstr(out, want) || !nl || nl[1])
		fail_msg("want exit 1 and one line containing \"%s\"; "
			 "got exit %d and \"%s\"",
			 want, status, out);
}

struct argv_arg {
	int argc;
	char **argv;
};

static void child_load(void *p)
{
	const struct argv_arg *a = p;
	struct cli_scan *cs = malloc(sizeof(*cs));

	if (cs)
		cli_scan_load(cs, a->argc, a->argv);
}

static void refused_argv(const char *want, int argc, char **argv)
{
	struct argv_arg a = { argc, argv };
	char out[4096];

	assert_refusal(run_child(child_load, &a, out, sizeof(out)), out, want);
}
#define REFUSED(want, ...) \
	refused_argv(want, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

struct time_arg {
	const char *s;
	uint64_t unit_ns;
};

static void child_time(void *p)
{
	const struct time_arg *t = p;

	cli_parse_time("--opt", t->s, t->unit_ns, CLI_MAX_TIME_NS);
}

static void time_refused(const char *s, const char *want)
{
	struct time_arg t = { s, NS_PER_S };
	char out[4096];

	assert_refusal(run_child(child_time, &t, out, sizeof(out)), out, want);
}

static void child_uint(void *p)
{
	cli_parse_uint("--opt", p, 1, 100);
}

static void uint_refused(const char *s)
{
	char out[4096];

	assert_refusal(run_child(child_uint, (void *)s, out, sizeof(out)), out,
		       "expected a whole number from 1 to 100");
}

/*
 * Two crafted databases, written by the group setup: one in
 * /etc/services' format (no frequencies) and one in nmap's, ranked
 * 443 80 22 8080 21 25 (25 at frequency 0).
 */
static char plain_db[64], nmap_db[64];

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(plain_db, sizeof(plain_db), "/tmp/test_cli.plain.%d",
		 (int)getpid());
	snprintf(nmap_db, sizeof(nmap_db), "/tmp/test_cli.nmap.%d",
		 (int)getpid());
	if (write_file(plain_db, "ssh\t22/tcp\nhttp\t80/tcp\nfoo\t9999/tcp\n"))
		return -1;
	return write_file(nmap_db, "ssh\t22/tcp\t0.2\n"
				   "http\t80/tcp\t0.3\n"
				   "https\t443/tcp\t0.4\n"
				   "smtp\t25/tcp\t0.000000\n"
				   "http-proxy\t8080/tcp\t0.15\n"
				   "ftp\t21/tcp\t0.1\n"
				   "domain\t53/udp\t0.5\n"
				   "ntp\t123/udp\t0.4\n"
				   "snmp\t161/udp\t0.3\n");
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(plain_db);
	unlink(nmap_db);
	return 0;
}

static void assert_ports(const struct cli_scan *cs, const uint16_t *want,
			 size_t n)
{
	size_t i;

	if (cs->ports->count != n)
		fail_msg("%u ports, want %zu", cs->ports->count, n);
	for (i = 0; i < n; i++)
		if (cs->ports->port[i] != want[i])
			fail_msg("port %zu is %u, want %u", i,
				 cs->ports->port[i], want[i]);
}
#define ASSERT_PORTS(cs, ...)                                    \
	assert_ports(cs, (const uint16_t[]){ __VA_ARGS__ },      \
		     sizeof((const uint16_t[]){ __VA_ARGS__ }) / \
			     sizeof(uint16_t))

/* ---- good command lines ---- */

static void test_defaults(void **state)
{
	struct cli_scan *cs = LOAD("--servicedb", plain_db, "127.0.0.1");
	struct portlist *def = malloc(sizeof(*def));

	(void)state;
	assert_non_null(def);
	ports_default(def);
	assert_int_equal(cs->cli.scan.type, SCAN_CONNECT);
	assert_int_equal(cs->cli.scan.concurrency, CLI_DEFAULT_CONCURRENCY);
	assert_int_equal(cs->cli.scan.retries, CLI_DEFAULT_RETRIES);
	assert_int_equal(cs->cli.scan.max_retries, CLI_DEFAULT_MAX_RETRIES);
	assert_int_equal(cs->cli.scan.rate, 0); /* -sT: no ceiling */
	assert_int_equal(cs->cli.scan.min_rate, 0);
	assert_true(cs->cli.scan.cc);
	assert_int_equal(cs->cli.scan.timeout_ns, 0); /* adaptive */
	assert_int_equal(cs->cli.scan.shard_count, 1);
	assert_int_equal(cs->cli.scan.shard_index, 0);
	assert_int_equal(cs->cli.out.states, OUTPUT_ST_OPEN);
	assert_false(cs->cli.out.open_only);
	assert_null(cs->cli.out.normal_path);
	assert_null(cs->cli.out.csv_path);
	assert_false(cs->cli.dry_run);
	assert_false(cs->cli.exclude_given);
	assert_false(cs->cli.seed_set);
	assert_int_equal(targets_count(cs->targets), 1);
	/* No -p: the documented default set, exactly. */
	assert_int_equal(cs->ports->count, def->count);
	assert_memory_equal(cs->ports->port, def->port,
			    def->count * sizeof(def->port[0]));
	assert_int_equal(cs->nprobes, def->count);
	free(def);
	unload(cs);
	cs = LOAD("127.0.0.1");
	assert_string_equal(cs->cli.command_line, "ringscan 127.0.0.1");
	unload(cs);
}

/* With nmap's frequencies: its top 1000 (here all six), -F, and so on. */
/*
 * -sU: its own port list after the TCP one (ports.h), from the same -p
 * (bare items for every scan type given), the default from nmap's UDP
 * ranking or the built-in list.
 */
static void test_udp_ports(void **state)
{
	struct portlist *def = malloc(sizeof(*def));
	struct cli_scan *cs;

	(void)state;
	assert_non_null(def);
	cs = LOAD("--servicedb", nmap_db, "-sU", "127.0.0.1");
	ASSERT_PORTS(cs, 53, 123, 161);
	assert_int_equal(cs->ports->nudp, 3);
	assert_false(cs->cli.scan_tcp);
	unload(cs);
	cs = LOAD("--servicedb", nmap_db, "-sU", "--top-ports", "2",
		  "127.0.0.1");
	ASSERT_PORTS(cs, 53, 123);
	unload(cs);
	cs = LOAD("--servicedb", nmap_db, "-sU", "-sT", "--top-ports", "1",
		  "127.0.0.1");
	ASSERT_PORTS(cs, 443, 53);
	assert_int_equal(cs->ports->nudp, 1);
	unload(cs);
	cs = LOAD("--servicedb", plain_db, "-sU", "127.0.0.1");
	ports_default_udp(def);
	assert_int_equal(cs->ports->count, def->count);
	assert_int_equal(cs->ports->nudp, def->count);
	assert_memory_equal(cs->ports->port, def->port,
			    def->count * sizeof(def->port[0]));
	unload(cs);
	cs = LOAD("-sU", "-sS", "-p", "U:53,161,T:22,80", "127.0.0.1");
	ASSERT_PORTS(cs, 22, 80, 53, 161);
	assert_int_equal(cs->ports->nudp, 2);
	assert_int_equal(ports_proto(cs->ports, 1), RS_TCP);
	assert_int_equal(ports_proto(cs->ports, 2), RS_UDP);
	unload(cs);
	cs = LOAD("-sU", "-sT", "-p", "7,1-2", "--exclude-ports", "U:2",
		  "127.0.0.1");
	ASSERT_PORTS(cs, 1, 2, 7, 1, 7);
	assert_int_equal(cs->ports->nudp, 2);
	unload(cs);
	cs = LOAD("-p", "22", "127.0.0.1");
	assert_int_equal(cs->ports->nudp, 0);
	assert_true(cs->cli.scan_tcp);
	assert_false(cs->cli.scan_udp);
	unload(cs);
	free(def);
}

static void test_by_frequency(void **state)
{
	struct cli_scan *cs;

	(void)state;
	cs = LOAD("--servicedb", nmap_db, "127.0.0.1");
	ASSERT_PORTS(cs, 21, 22, 25, 80, 443, 8080);
	unload(cs);
	cs = LOAD("--servicedb", nmap_db, "-F", "127.0.0.1");
	ASSERT_PORTS(cs, 21, 22, 25, 80, 443, 8080);
	unload(cs);
	cs = LOAD("--servicedb", nmap_db, "--top-ports", "2", "127.0.0.1");
	ASSERT_PORTS(cs, 80, 443);
	unload(cs);
	cs = LOAD("--servicedb", nmap_db, "--top-ports=3", "127.0.0.1");
	ASSERT_PORTS(cs, 22, 80, 443);
	unload(cs);
	cs = LOAD("--servicedb", nmap_db, "--port-ratio", "0.15", "127.0.0.1");
	ASSERT_PORTS(cs, 22, 80, 443, 8080);
	unload(cs);
	/* Within -p; --exclude-ports taken out before counting. */
	cs = LOAD("--servicedb", nmap_db, "-p", "1-100", "--top-ports", "2",
		  "127.0.0.1");
	ASSERT_PORTS(cs, 22, 80);
	unload(cs);
	cs = LOAD("--servicedb", nmap_db, "--exclude-ports", "443,80",
		  "--top-ports", "2", "127.0.0.1");
	ASSERT_PORTS(cs, 22, 8080);
	unload(cs);
	/* An explicit -p is taken as it is, minus --exclude-ports. */
	cs = LOAD("--servicedb", nmap_db, "-p", "1-5", "--exclude-ports", "2-4",
		  "127.0.0.1");
	ASSERT_PORTS(cs, 1, 5);
	unload(cs);
	/* Without frequencies -F is the ports the file names. */
	cs = LOAD("--servicedb", plain_db, "-F", "127.0.0.1");
	ASSERT_PORTS(cs, 22, 80, 9999);
	unload(cs);
	cs = LOAD("--servicedb", plain_db, "--exclude-ports", "1-1000",
		  "127.0.0.1");
	/* the built-in list less 1-1000 */
	assert_int_equal(cs->ports->port[0], 1001);
	assert_int_equal(cs->ports->count, 24 + 45);
	unload(cs);
}

static void test_refused_selection(void **state)
{
	(void)state;
	REFUSED("--top-ports needs nmap's port frequencies", "--servicedb",
		plain_db, "--top-ports", "10", "127.0.0.1");
	REFUSED("--port-ratio needs nmap's port frequencies", "--servicedb",
		plain_db, "--port-ratio", "0.1", "127.0.0.1");
	REFUSED("-F cannot be used with -p", "-F", "-p", "80", "127.0.0.1");
	REFUSED("--top-ports and --port-ratio both", "--top-ports", "5",
		"--port-ratio", "0.1", "127.0.0.1");
	REFUSED("--top-ports '0'", "--top-ports", "0", "127.0.0.1");
	REFUSED("--port-ratio '1.0'", "--port-ratio", "1.0", "127.0.0.1");
	REFUSED("--port-ratio '-0.1'", "--port-ratio", "-0.1", "127.0.0.1");
	REFUSED("--port-ratio 'nan'", "--port-ratio", "nan", "127.0.0.1");
	REFUSED("--servicedb '/nonexistent/db': No such file", "--servicedb",
		"/nonexistent/db", "127.0.0.1");
	REFUSED("no ports left to scan after --exclude-ports", "--servicedb",
		nmap_db, "--port-ratio", "0.35", "--exclude-ports", "443",
		"127.0.0.1");
	REFUSED("--exclude-ports given twice", "--exclude-ports", "1",
		"--exclude-ports", "2", "127.0.0.1");
}

static void test_ports(void **state)
{
	static const uint16_t want[] = { 22, 80, 8000, 8001, 8002 };
	struct cli_scan *cs;

	(void)state;
	cs = LOAD("-p", "8000-8002,80,22,80", "127.0.0.1");
	assert_int_equal(cs->ports->count, 5); /* sorted, duplicate gone */
	assert_memory_equal(cs->ports->port, want, sizeof(want));
	unload(cs);

	cs = LOAD("-p22", "127.0.0.1"); /* glued, as nmap allows */
	assert_int_equal(cs->ports->count, 1);
	assert_int_equal(cs->ports->port[0], 22);
	unload(cs);

	cs = LOAD("-p-", "127.0.0.1"); /* every port */
	assert_int_equal(cs->ports->count, 65535);
	assert_int_equal(cs->ports->port[0], 1);
	assert_int_equal(cs->ports->port[65534], 65535);
	unload(cs);

	cs = LOAD("-p", "T:443,1-3", "127.0.0.1");
	assert_int_equal(cs->ports->count, 4);
	assert_int_equal(cs->ports->port[3], 443);
	unload(cs);

	cs = LOAD("-p", "65535", "127.0.0.1");
	assert_int_equal(cs->ports->port[0], 65535);
	unload(cs);
}

/*
 * A second -p is not refused: the last one wins (nmap refuses it).  Pinned
 * so that changing it is a decision, not an accident.
 */
/* nmap refuses a second -p; silently scanning only the last is worse. */
static void test_second_p_refused(void **state)
{
	(void)state;
	REFUSED("-p given twice ('22' and '80,81')", "-p", "22", "-p", "80,81",
		"127.0.0.1");
	REFUSED("-p given twice ('22' and '80')", "-p22", "-p80", "127.0.0.1");
}

/* -4/-6 restrict the targets, wherever they stand on the line. */
static void test_family(void **state)
{
	struct cli_scan *cs;

	(void)state;
	cs = LOAD("-p", "1", "198.18.0.0/30", "-4");
	assert_int_equal(cs->cli.family, AF_INET);
	assert_int_equal(targets_count(cs->targets), 4);
	unload(cs);
	cs = LOAD("-6", "-p", "1", "2001:2::1-2001:2::3");
	assert_int_equal(cs->cli.family, AF_INET6);
	assert_int_equal(targets_count(cs->targets), 3);
	unload(cs);
	/* excludes of the other family are harmless */
	cs = LOAD("-6", "-p", "1", "2001:2::1", "--exclude", "198.18.0.1");
	assert_int_equal(targets_count(cs->targets), 1);
	unload(cs);
	REFUSED("target '198.18.0.1': an IPv4 target, but -6 was given", "-p",
		"1", "198.18.0.1", "-6");
	REFUSED("target '2001:2::/126': an IPv6 target, but -4 was given", "-4",
		"-p", "1", "198.18.0.1", "2001:2::/126");
	REFUSED("-4 and -6 both given", "-4", "-6", "127.0.0.1");
}

static void test_targets(void **state)
{
	char first[RS_ADDR_STRLEN], last[RS_ADDR_STRLEN];
	struct cli_scan *cs;

	(void)state;
	cs = LOAD("-p", "1-10", "127.0.0.1-4", "198.18.0.0/30", "2001:2::1",
		  "127.0.0.3"); /* a duplicate merges */
	assert_int_equal(targets_count(cs->targets), 9);
	assert_int_equal(cs->nprobes, 90);
	host_str(cs, 0, first);
	host_str(cs, 8, last);
	assert_string_equal(first, "127.0.0.1");
	assert_string_equal(last, "2001:2::1");
	unload(cs);

	/* after "--" every argument is a target */
	cs = LOAD("-p", "22", "--", "127.0.0.9", "198.18.0.1");
	assert_int_equal(targets_count(cs->targets), 2);
	unload(cs);
}

static void test_exclude(void **state)
{
	struct cli_scan *cs;

	(void)state;
	cs = LOAD("--exclude", "127.0.0.2,127.0.0.5-6", "127.0.0.1-8");
	assert_true(cs->cli.exclude_given);
	assert_int_equal(targets_count(cs->targets), 5);
	assert_false(has_host(cs, "127.0.0.2"));
	assert_false(has_host(cs, "127.0.0.5"));
	assert_false(has_host(cs, "127.0.0.6"));
	assert_true(has_host(cs, "127.0.0.1"));
	assert_true(has_host(cs, "127.0.0.7"));
	unload(cs);

	/* "--exclude=LIST", and a CIDR that covers part of a range */
	cs = LOAD("--exclude=198.18.0.0/31", "198.18.0.0/29");
	assert_int_equal(targets_count(cs->targets), 6);
	assert_false(has_host(cs, "198.18.0.1"));
	assert_true(has_host(cs, "198.18.0.2"));
	unload(cs);

	/* an exclude outside every target changes nothing */
	cs = LOAD("--exclude", "198.19.0.1", "127.0.0.1-2");
	assert_int_equal(targets_count(cs->targets), 2);
	unload(cs);
}

static void test_excludefile(void **state)
{
	char path[] = "/tmp/test_cli.XXXXXX";
	struct cli_scan *cs;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("# hosts we must not touch\n"
	      "\n"
	      "127.0.0.2\n"
	      "127.0.0.6/31   # .6 and .7\n",
	      f);
	assert_int_equal(fclose(f), 0);

	cs = LOAD("--excludefile", path, "127.0.0.1-8");
	assert_true(cs->cli.exclude_given);
	assert_int_equal(targets_count(cs->targets), 5);
	assert_false(has_host(cs, "127.0.0.2"));
	assert_false(has_host(cs, "127.0.0.6"));
	assert_false(has_host(cs, "127.0.0.7"));
	assert_true(has_host(cs, "127.0.0.8"));
	unload(cs);
	unlink(path);
}

static void test_rates(void **state)
{
	struct cli_scan *cs;

	(void)state;
	cs = LOAD("--min-rate", "100", "--max-rate", "1000", "127.0.0.1");
	assert_int_equal(cs->cli.scan.min_rate, 100);
	assert_int_equal(cs->cli.scan.rate, 1000);
	assert_true(cs->cli.rate_set);
	unload(cs);

	cs = LOAD("--rate=5000", "--min-rate=5000", "127.0.0.1"); /* equal */
	assert_int_equal(cs->cli.scan.rate, 5000);
	assert_int_equal(cs->cli.scan.min_rate, 5000);
	unload(cs);

	cs = LOAD("--no-cc", "--rate", "10", "127.0.0.1");
	assert_false(cs->cli.scan.cc);
	unload(cs);

	/* -sS is paced and runs deeper unless told otherwise */
	cs = LOAD("-sS", "127.0.0.1");
	assert_int_equal(cs->cli.scan.type, SCAN_SYN);
	assert_int_equal(cs->cli.scan.rate, CLI_DEFAULT_SYN_RATE);
	assert_int_equal(cs->cli.scan.concurrency, CLI_DEFAULT_SYN_CONCURRENCY);
	assert_true(cs->cli.out.syn);
	unload(cs);

	cs = LOAD("-sS", "--rate", "10", "--concurrency", "7", "127.0.0.1");
	assert_int_equal(cs->cli.scan.rate, 10);
	assert_int_equal(cs->cli.scan.concurrency, 7);
	unload(cs);
}

static void test_parse_time(void **state)
{
	(void)state;
	assert_int_equal(cli_parse_time("t", "500ms", NS_PER_S, UINT64_MAX),
			 500 * MS);
	assert_int_equal(cli_parse_time("t", "2s", NS_PER_S, UINT64_MAX),
			 2 * NS_PER_S);
	assert_int_equal(cli_parse_time("t", "1m", NS_PER_S, UINT64_MAX),
			 60 * NS_PER_S);
	assert_int_equal(cli_parse_time("t", "1h", NS_PER_S, UINT64_MAX),
			 3600 * NS_PER_S);
	assert_int_equal(cli_parse_time("t", "250us", NS_PER_S, UINT64_MAX),
			 250000);
	assert_int_equal(cli_parse_time("t", "1.5s", NS_PER_S, UINT64_MAX),
			 1500 * MS);
	assert_int_equal(cli_parse_time("t", "0", NS_PER_S, UINT64_MAX), 0);
	/* a bare number is in the caller's unit */
	assert_int_equal(cli_parse_time("t", "3", NS_PER_S, UINT64_MAX),
			 3 * NS_PER_S);
	assert_int_equal(cli_parse_time("t", "3", MS, UINT64_MAX), 3 * MS);
	/* the bound is inclusive */
	assert_int_equal(cli_parse_time("t", "24h", NS_PER_S, CLI_MAX_TIME_NS),
			 CLI_MAX_TIME_NS);
}

static void test_time_options(void **state)
{
	struct cli_scan *cs;

	(void)state;
	/* --timeout's bare number is milliseconds; the rtt options' and
	 * --scan-delay's are seconds, as in nmap. */
	cs = LOAD("--timeout", "250", "--initial-rtt-timeout", "2",
		  "--min-rtt-timeout", "50ms", "--max-rtt-timeout=3s",
		  "--scan-delay", "20ms", "--max-scan-delay", "1s",
		  "127.0.0.1");
	assert_int_equal(cs->cli.scan.timeout_ns, 250 * MS);
	assert_int_equal(cs->cli.scan.rto_init_ns, 2 * NS_PER_S);
	assert_int_equal(cs->cli.scan.rto_min_ns, 50 * MS);
	assert_int_equal(cs->cli.scan.rto_max_ns, 3 * NS_PER_S);
	assert_int_equal(cs->cli.scan.scan_delay_ns, 20 * MS);
	assert_int_equal(cs->cli.scan.max_scan_delay_ns, NS_PER_S);
	unload(cs);

	cs = LOAD("--timeout", "2s", "127.0.0.1");
	assert_int_equal(cs->cli.scan.timeout_ns, 2 * NS_PER_S);
	unload(cs);

	/* --checkpoint-interval: a bare number is milliseconds; units too */
	cs = LOAD("--checkpoint-interval", "1500", "127.0.0.1");
	assert_int_equal(cs->cli.scan.checkpoint_ns, 1500 * MS);
	unload(cs);
	cs = LOAD("--checkpoint-interval", "1m", "127.0.0.1");
	assert_int_equal(cs->cli.scan.checkpoint_ns, 60 * NS_PER_S);
	unload(cs);
	REFUSED("--checkpoint-interval '50ms': at least 100ms",
		"--checkpoint-interval", "50ms", "127.0.0.1");
	REFUSED("--stats-every '5ms': at least 10ms", "--stats-every", "5ms",
		"127.0.0.1");
	REFUSED("--stats-every 'soon'", "--stats-every", "soon", "127.0.0.1");

	/* a scan delay above the max raises the max, it is not refused */
	cs = LOAD("--scan-delay", "2s", "--max-scan-delay", "1s", "127.0.0.1");
	assert_int_equal(cs->cli.scan.scan_delay_ns, 2 * NS_PER_S);
	assert_int_equal(cs->cli.scan.max_scan_delay_ns, 2 * NS_PER_S);
	unload(cs);
}

/* nmap's -T4 (NmapOps/nmap.cc): 500/100/1250 ms rtt, 10 ms max delay,
 * 6 retransmissions; parallelism left alone. */
static void assert_t4(const struct cli_scan *cs)
{
	assert_int_equal(cs->cli.scan.rto_init_ns, 500 * MS);
	assert_int_equal(cs->cli.scan.rto_min_ns, 100 * MS);
	assert_int_equal(cs->cli.scan.rto_max_ns, 1250 * MS);
	assert_int_equal(cs->cli.scan.scan_delay_ns, 0);
	assert_int_equal(cs->cli.scan.max_scan_delay_ns, 10 * MS);
	assert_int_equal(cs->cli.scan.max_retries, 6);
	assert_int_equal(cs->cli.scan.retries, CLI_DEFAULT_RETRIES);
	assert_int_equal(cs->cli.scan.concurrency, CLI_DEFAULT_CONCURRENCY);
}

static void test_templates(void **state)
{
	struct cli_scan *cs;

	(void)state;
	cs = LOAD("-T4", "127.0.0.1");
	assert_t4(cs);
	unload(cs);

	cs = LOAD("-Taggressive", "127.0.0.1");
	assert_t4(cs);
	unload(cs);

	/* T0-T2 run one probe at a time (nmap's parallelism 1) */
	cs = LOAD("-T0", "127.0.0.1");
	assert_int_equal(cs->cli.scan.scan_delay_ns, 300 * NS_PER_S);
	assert_int_equal(cs->cli.scan.rto_init_ns, 300 * NS_PER_S);
	assert_int_equal(cs->cli.scan.concurrency, 1);
	unload(cs);

	cs = LOAD("-Tpolite", "127.0.0.1");
	assert_int_equal(cs->cli.scan.scan_delay_ns, 400 * MS);
	assert_int_equal(cs->cli.scan.concurrency, 1);
	unload(cs);

	/* -T5's 2 retransmissions cap the default 3 retries... */
	cs = LOAD("-T5", "127.0.0.1");
	assert_int_equal(cs->cli.scan.max_retries, 2);
	assert_int_equal(cs->cli.scan.retries, 2);
	assert_int_equal(cs->cli.scan.rto_min_ns, 50 * MS);
	unload(cs);

	/* ...but --retries asked for raises the cap instead */
	cs = LOAD("-T5", "--retries", "4", "127.0.0.1");
	assert_int_equal(cs->cli.scan.retries, 4);
	assert_int_equal(cs->cli.scan.max_retries, 4);
	unload(cs);

	/* an explicit --max-retries or --concurrency wins, in either order */
	cs = LOAD("--max-retries", "1", "--concurrency", "50", "-T1",
		  "127.0.0.1");
	assert_int_equal(cs->cli.scan.max_retries, 1);
	assert_int_equal(cs->cli.scan.retries, 1);
	assert_int_equal(cs->cli.scan.concurrency, 50);
	unload(cs);

	cs = LOAD("-T4", "--max-retries", "1", "--max-rtt-timeout", "2s",
		  "127.0.0.1");
	assert_int_equal(cs->cli.scan.max_retries, 1);
	assert_int_equal(cs->cli.scan.rto_max_ns, 2 * NS_PER_S);
	unload(cs);
}

/*
 * Timing options given before -T are not undone by it: nmap applies them
 * after the template (nmap.cc's delayed_options), and so did ringscan for
 * --max-retries and --concurrency, but -T4 silently reset the rtt
 * timeouts and scan delays typed before it.
 */
static void test_template_keeps_explicit(void **state)
{
	struct cli_scan *cs;

	(void)state;
	cs = LOAD("--initial-rtt-timeout", "2s", "--min-rtt-timeout", "200ms",
		  "--max-rtt-timeout", "3s", "--scan-delay", "5ms",
		  "--max-scan-delay", "20ms", "-T4", "127.0.0.1");
	assert_int_equal(cs->cli.scan.rto_init_ns, 2 * NS_PER_S);
	assert_int_equal(cs->cli.scan.rto_min_ns, 200 * MS);
	assert_int_equal(cs->cli.scan.rto_max_ns, 3 * NS_PER_S);
	assert_int_equal(cs->cli.scan.scan_delay_ns, 5 * MS);
	assert_int_equal(cs->cli.scan.max_scan_delay_ns, 20 * MS);
	assert_int_equal(cs->cli.scan.max_retries, 6); /* not given: -T4's */
	unload(cs);

	/* only what was given is kept; the rest is the template's */
	cs = LOAD("--max-rtt-timeout", "3s", "-T4", "127.0.0.1");
	assert_int_equal(cs->cli.scan.rto_max_ns, 3 * NS_PER_S);
	assert_int_equal(cs->cli.scan.rto_init_ns, 500 * MS);
	assert_int_equal(cs->cli.scan.rto_min_ns, 100 * MS);
	assert_int_equal(cs->cli.scan.max_scan_delay_ns, 10 * MS);
	unload(cs);
}

static void test_outputs(void **state)
{
	struct cli_scan *cs;

	(void)state;
	cs = LOAD("-oA", "/tmp/some dir/scan", "127.0.0.1");
	assert_string_equal(cs->cli.out.normal_path, "/tmp/some dir/scan.nmap");
	assert_string_equal(cs->cli.out.xml_path, "/tmp/some dir/scan.xml");
	assert_string_equal(cs->cli.out.grep_path, "/tmp/some dir/scan.gnmap");
	assert_string_equal(cs->cli.out.csv_path, "/tmp/some dir/scan.csv");
	assert_null(cs->cli.out.json_path);
	unload(cs);

	cs = LOAD("-oN", "a.txt", "-oC", "a.csv", "-oJ", "a.json", "-oX",
		  "a.xml", "-oG", "a.gnmap", "--states", "open,closed",
		  "--open", "127.0.0.1");
	assert_string_equal(cs->cli.out.normal_path, "a.txt");
	assert_string_equal(cs->cli.out.csv_path, "a.csv");
	assert_string_equal(cs->cli.out.json_path, "a.json");
	assert_string_equal(cs->cli.out.xml_path, "a.xml");
	assert_string_equal(cs->cli.out.grep_path, "a.gnmap");
	assert_int_equal(cs->cli.out.states, OUTPUT_ST_OPEN | OUTPUT_ST_CLOSED);
	assert_true(cs->cli.out.open_only);
	unload(cs);
}

static void test_misc_flags(void **state)
{
	struct cli_scan *cs;

	(void)state;
	cs = LOAD("-v", "-vv", "-Pn", "-n", "--dry-run", "--seed", "42",
		  "--shards", "2/3", "127.0.0.1");
	assert_int_equal(cs->cli.verbose, 3);
	assert_true(cs->cli.dry_run);
	assert_true(cs->cli.seed_set);
	assert_int_equal(cs->cli.scan.seed, 42);
	assert_int_equal(cs->cli.scan.shard_count, 3);
	assert_int_equal(cs->cli.scan.shard_index, 1); /* K/N is 1-based */
	unload(cs);

	cs = LOAD("-r", "--reason", "-d", "--stats-every", "2", "127.0.0.1");
	assert_true(cs->cli.scan.sequential);
	assert_true(cs->cli.out.reason);
	assert_int_equal(cs->cli.debug, 1);
	assert_int_equal(cs->cli.verbose, 1); /* -d implies -v */
	assert_int_equal(cs->cli.stats_every_ns, 2 * NS_PER_S);
	unload(cs);
	cs = LOAD("-dd", "-d", "--stats-every=250ms", "127.0.0.1");
	assert_int_equal(cs->cli.debug, 3);
	assert_false(cs->cli.scan.sequential);
	assert_false(cs->cli.out.reason);
	assert_int_equal(cs->cli.stats_every_ns, 250 * MS);
	unload(cs);
	cs = LOAD("-d4", "-vv", "127.0.0.1"); /* nmap's -d<level> */
	assert_int_equal(cs->cli.debug, 4);
	assert_int_equal(cs->cli.verbose, 2);
	unload(cs);

	cs = LOAD("--shards", "4", "--shard", "3", "--seed", "1",
		  "127.0.0.1"); /* zmap's spelling is 0-based */
	assert_int_equal(cs->cli.scan.shard_count, 4);
	assert_int_equal(cs->cli.scan.shard_index, 3);
	unload(cs);

	/* the same line, the same scan: what checkpoints rely on */
	cs = LOAD("--seed", "7", "-p", "1-100", "127.0.0.1-3");
	{
		struct cli_scan *again =
			LOAD("--seed", "7", "-p", "1-100", "127.0.0.1-3");

		assert_int_equal(cs->fingerprint, again->fingerprint);
		unload(again);
	}
	unload(cs);
}

static void test_long_value(void **state)
{
	char *argv[] = { "ringscan", "--rate", "5", "--rates", NULL };
	int i = 1;

	(void)state;
	assert_string_equal(cli_long_value("--rate=7", "--rate", 4, argv, &i),
			    "7");
	assert_int_equal(i, 1);
	assert_string_equal(cli_long_value(argv[1], "--rate", 4, argv, &i),
			    "5");
	assert_int_equal(i, 2); /* the value was consumed */
	i = 3;
	assert_null(cli_long_value(argv[3], "--rate", 4, argv, &i));
	assert_int_equal(i, 3);
	assert_int_equal(cli_parse_uint("n", "0", 0, 5), 0);
	assert_int_equal(cli_parse_uint("n", "18446744073709551615", 0,
					UINT64_MAX),
			 UINT64_MAX);
}

/* ---- bad command lines ---- */

static void test_refused_options(void **state)
{
	(void)state;
	REFUSED("unknown option '--frobnicate'", "--frobnicate", "127.0.0.1");
	REFUSED("unknown option '-x'", "-x", "127.0.0.1");
	REFUSED("no targets given", "-p", "22");
	REFUSED("-p needs a value", "127.0.0.1", "-p");
	REFUSED("--exclude needs a value", "127.0.0.1", "--exclude");
	REFUSED("-oA needs a value", "127.0.0.1", "-oA");
	REFUSED("scan type '-sX' is not supported", "-sX", "127.0.0.1");
	REFUSED("output option '-oZ' is not supported", "-oZ", "x",
		"127.0.0.1");
	REFUSED("-e only applies to SYN scans", "-e", "lo", "127.0.0.1");
	REFUSED("must be the only option", "-p", "22", "--resume", "x.ck");
	REFUSED("-T '6': expected 0-5", "-T6", "127.0.0.1");
	REFUSED("-T 'fast': expected 0-5", "-Tfast", "127.0.0.1");
	REFUSED("-oA '': needs a base name", "-oA", "", "127.0.0.1");
	REFUSED("-oA 'out/': needs a base name", "-oA", "out/", "127.0.0.1");
	REFUSED("--states", "--states", "open,shut", "127.0.0.1");
}

static void test_refused_ports(void **state)
{
	(void)state;
	REFUSED("port 0 cannot be scanned", "-p", "0", "127.0.0.1");
	REFUSED("port out of range (1-65535)", "-p", "65536", "127.0.0.1");
	REFUSED("-p '0-10'", "-p", "0-10", "127.0.0.1");
	REFUSED("reversed", "-p", "10-5", "127.0.0.1");
	REFUSED("empty item", "-p", "22,,80", "127.0.0.1");
	REFUSED("has UDP ports (U:) but no UDP scan was asked for; add -sU",
		"-p", "U:53", "127.0.0.1");
	REFUSED("has TCP ports (T:) but only -sU was given", "-sU", "-p",
		"T:22", "127.0.0.1");
	REFUSED("has no UDP ports for -sU; add U:PORTS", "-sU", "-sT", "-p",
		"T:22", "127.0.0.1");
	REFUSED("port 0 cannot be scanned", "-sU", "-p", "U:0", "127.0.0.1");
	REFUSED("SCTP scans are not supported", "-p", "S:80", "127.0.0.1");
}

static void test_refused_numbers(void **state)
{
	(void)state;
	REFUSED("--rate '-5': expected a whole number", "--rate", "-5",
		"127.0.0.1");
	REFUSED("--min-rate '-1'", "--min-rate", "-1", "127.0.0.1");
	REFUSED("--retries '101'", "--retries", "101", "127.0.0.1");
	REFUSED("--concurrency '0'", "--concurrency", "0", "127.0.0.1");
	REFUSED("--concurrency '10k'", "--concurrency", "10k", "127.0.0.1");
	REFUSED("--min-rate 1000 is above --max-rate 10", "--min-rate", "1000",
		"--max-rate", "10", "127.0.0.1");
	/* -sS's default ceiling counts as a --max-rate */
	REFUSED("--min-rate 200000 is above --max-rate 100000", "-sS",
		"--min-rate", "200000", "127.0.0.1");
	REFUSED("--shards 2: give every shard the same --seed", "--shards", "2",
		"127.0.0.1");
	REFUSED("--shards '3': expected a whole number from 1 to 2", "--shards",
		"3/2", "--seed", "1", "127.0.0.1");
	REFUSED("--shard 4: must be below the shard count 4", "--shards", "4",
		"--shard", "4", "--seed", "1", "127.0.0.1");
	REFUSED("not both", "--shards", "1/2", "--shard", "0", "--seed", "1",
		"127.0.0.1");
	uint_refused("");
	uint_refused("0");
	uint_refused("101");
	uint_refused("-1");
	uint_refused("+1");
	uint_refused(" 1");
	uint_refused("1.0");
	uint_refused("99999999999999999999999");
}

static void test_refused_times(void **state)
{
	(void)state;
	time_refused("5x", "expected a time such as 500ms");
	time_refused("-1s", "expected a time such as 500ms");
	time_refused("", "expected a time such as 500ms");
	time_refused("s", "expected a time such as 500ms");
	time_refused("2 s", "expected a time such as 500ms");
	time_refused("2S", "expected a time such as 500ms");
	time_refused("25h", "at most 86400000 ms");
	REFUSED("--timeout '0': must be above 0", "--timeout", "0",
		"127.0.0.1");
	REFUSED("--timeout '1d'", "--timeout", "1d", "127.0.0.1");
	REFUSED("--scan-delay '-5ms'", "--scan-delay", "-5ms", "127.0.0.1");
	REFUSED("--min-rtt-timeout is above --max-rtt-timeout",
		"--min-rtt-timeout", "2s", "--max-rtt-timeout", "1s",
		"127.0.0.1");
}

static void test_refused_targets(void **state)
{
	(void)state;
	REFUSED("target '127.0.0.256'", "127.0.0.256");
	REFUSED("exclude '300.1.1.1'", "--exclude", "300.1.1.1", "127.0.0.1");
	REFUSED("no targets left to scan after --exclude", "--exclude",
		"127.0.0.0/30", "127.0.0.1-2");
	REFUSED("--excludefile '/nonexistent/ex.txt'", "--excludefile",
		"/nonexistent/ex.txt", "127.0.0.1");
	/* the scope guard; --dry-run would let it through */
	REFUSED("more than a /8", "-p", "1", "127.0.0.0/7");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_by_frequency),
		cmocka_unit_test(test_udp_ports),
		cmocka_unit_test(test_refused_selection),
		cmocka_unit_test(test_second_p_refused),
		cmocka_unit_test(test_family),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_exclude),
		cmocka_unit_test(test_excludefile),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_time_options),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_template_keeps_explicit),
		cmocka_unit_test(test_outputs),
		cmocka_unit_test(test_misc_flags),
		cmocka_unit_test(test_long_value),
		cmocka_unit_test(test_refused_options),
		cmocka_unit_test(test_refused_ports),
		cmocka_unit_test(test_refused_numbers),
		cmocka_unit_test(test_refused_times),
		cmocka_unit_test(test_refused_targets),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
