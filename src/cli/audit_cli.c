/*
 * audit_cli.c - `ringscan audit` (see audit_cli.h and docs/audit.md).
 *
 * The local audit gathers its evidence in an order chosen so that our own
 * sockets never become evidence:
 *
 *   1. listings, first read   netlink and /proc (every state)
 *   2. bind test              socket/bind/close of every port, no other
 *                             socket of ours open
 *   3. listings, second read  (1 and 3 are unioned: a socket that closed
 *                             between them still explains what it held)
 *   4. connect scan           every local address, every port (io_uring);
 *                             its sockets are all closed when it returns;
 *                             then the --udp datagram sweep, if asked
 *   5. connect probes         listeners bound to addresses the scan did not
 *                             cover (127.0.0.5, a link-local address ...)
 *   6. owners                 /proc/PID/fd of every listener's inode
 *   7. verdicts               audit_build()
 *   8. re-verification        every port judged hidden is checked again
 *                             from scratch - fresh listings, bind() and
 *                             connect (or datagram) for that port - and
 *                             stays hidden only if the second look agrees.
 *                             A listener that opened or closed mid-audit is
 *                             then seen consistently, not as a finding.
 *
 * The steps are audit_gather.h's (1-6), audit.h's (7) and audit_verify.h's
 * (8); the writers are audit_output.h's.  This file holds the order, the
 * options and the messages.  The scans use a small window
 * (AUDIT_LOCAL_WINDOW): on loopback nothing is gained by thousands in
 * flight, and measured, 64 to 128 in flight sweep 65535 ports in about
 * 0.45 s where 4096 take 1.1 s (the kernel's ephemeral-port search and
 * cache footprint grow with the number of connections in flight).
 *
 * The remote audit (--netstat FILE TARGET...) scans the targets with the
 * ordinary scan defaults and judges them against the capture; hidden ports
 * are probed once more before they are reported.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "audit_cli.h"
#include "audit_gather.h"
#include "audit_output.h"
#include "audit_verify.h"
#include "cli.h"
#include "clock.h"
#include "fileio.h"
#include "netstat.h"
#include "ports.h"
#include "proctable.h"
#include "scan.h"
#include "services.h"
#include "targets.h"
#include "version.h"

#define AUDIT_LOCAL_WINDOW 128 /* in flight per family on local addresses */
#define AUDIT_REMOTE_WINDOW 4096
#define AUDIT_RETRIES 3

static volatile sig_atomic_t audit_stop;

struct acli {
	const char *netstat_path;
	const char *baseline_path;
	const char *proc_root;
	const char *ports_spec;
	const char *csv_path;
	const char *json_path;
	const char *normal_path;
	bool udp; /* judge UDP (listings and bind test) */
	bool udp_sweep; /* --udp: also send a datagram to every port */
	bool explicit_root; /* --proc-root given */
	bool concurrency_set;
	int verbose;
	struct scan_config scan;
	struct audit_policy policy;
	struct audit_baseline baseline;
	const char *targets[AUDIT_MAX_ADDRS * 2];
	size_t ntargets;
};

static void on_signal(int sig)
{
	audit_stop = sig;
}

static void __attribute__((format(printf, 1, 2)))
fail_input(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vsay("ringscan audit: ", fmt, ap);
	va_end(ap);
	exit(EXIT_BAD_INPUT);
}

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vsay("ringscan audit: ", fmt, ap);
	va_end(ap);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ringscan audit [options]                    audit this machine\n"
		"       ringscan audit --netstat FILE [options] TARGET...   audit a server\n"
		"Cross-checks a port scan against the socket table, to find hidden and\n"
		"unexpected listeners.  See docs/audit.md.\n"
		"\n"
		"Local audit: every local address, TCP and UDP 1-65535, IPv4 and IPv6;\n"
		"listings from netlink and /proc, a bind() test of every port, a connect\n"
		"scan, and the owning process of every listener (run as root).\n"
		"  --proc-root DIR      read the listings and owners from DIR instead of\n"
		"                       /proc (DIR/net/tcp, DIR/PID/fd, ...)\n"
		"  --udp                also send an empty datagram to every UDP port of\n"
		"                       every local address (ICMP unreachable = closed)\n"
		"  --no-udp             leave UDP out (by default it is judged from the\n"
		"                       listings and the bind test)\n"
		"Remote audit:\n"
		"  --netstat FILE       the server's `netstat -tulnp` or `ss -tulnp` output\n"
		"  TARGET...            the server's address(es), scanned on TCP 1-65535\n"
		"Policy:\n"
		"  --allow SPEC         allowed listeners: 22,80,443  53/udp  22/sshd\n"
		"                       8000-8100/tcp/java*  none (repeatable)\n"
		"  --baseline FILE      a previous audit's output (text, -oC or -oJ):\n"
		"                       report what appeared and what disappeared\n"
		"Scan:\n"
		"  -p SPEC              ports (default 1-65535)\n"
		"  --concurrency N      connects in flight (default %u local, %u remote)\n"
		"  --timeout TIME, --retries N, --rate N  as for scans\n"
		"Output (FILE - = stdout; the table goes to stdout too):\n"
		"  -oN FILE             the text table\n"
		"  -oC FILE             CSV: " AUDIT_CSV_HEADER "\n"
		"  -oJ FILE             JSON lines, the same fields\n"
		"  -v                   timings of each phase\n"
		"Verdicts: ok, hidden, unexpected, closed-listed, disappeared.\n"
		"Exit: 0 nothing hidden or unexpected, 3 findings, 1 bad input,\n"
		"      2 runtime failure, 128+N on signal N.\n",
		AUDIT_LOCAL_WINDOW, AUDIT_REMOTE_WINDOW);
}

static void fail_parse(const char *what, const struct rs_error *err)
{
	if (err->line)
		fail_input("%s line %lu: '%s': %s", what, err->line, err->token,
			   err->reason ? err->reason : "invalid");
	fail_input("%s '%s': %s", what, err->token,
		   err->reason ? err->reason : "invalid");
}

static void parse_args(struct acli *c, int argc, char **argv)
{
	struct rs_error err;
	const char *v;
	int ret;

	memset(&err, 0, sizeof(err));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || !a[1]) {
			if (c->ntargets ==
			    sizeof(c->targets) / sizeof(*c->targets))
				fail_input(
					"too many targets (at most %zu addresses of one server)",
					sizeof(c->targets) /
						sizeof(*c->targets));
			c->targets[c->ntargets++] = a;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if ((v = cli_long_value(a, "--allow", argc, argv, &i))) {
			ret = audit_policy_add(&c->policy, v, &err);
			if (ret == -ENOMEM)
				fail_input("out of memory");
			if (ret)
				fail_parse("--allow", &err);
		} else if ((v = cli_long_value(a, "--baseline", argc, argv,
					       &i))) {
			c->baseline_path = v;
		} else if ((v = cli_long_value(a, "--proc-root", argc, argv,
					       &i))) {
			c->proc_root = v;
		} else if ((v = cli_long_value(a, "--netstat", argc, argv,
					       &i))) {
			c->netstat_path = v;
		} else if (!strcmp(a, "--udp")) {
			c->udp = true;
			c->udp_sweep = true;
		} else if (!strcmp(a, "--no-udp")) {
			c->udp = false;
			c->udp_sweep = false;
		} else if (!strncmp(a, "-p", 2) && strncmp(a, "--", 2)) {
			c->ports_spec =
				a[2] ? a + 2 :
				       cli_short_value("-p", argc, argv, &i);
		} else if (!strcmp(a, "-oN")) {
			c->normal_path = cli_short_value(a, argc, argv, &i);
		} else if (!strcmp(a, "-oC")) {
			c->csv_path = cli_short_value(a, argc, argv, &i);
		} else if (!strcmp(a, "-oJ")) {
			c->json_path = cli_short_value(a, argc, argv, &i);
		} else if ((v = cli_long_value(a, "--concurrency", argc, argv,
					       &i))) {
			c->scan.concurrency = cli_parse_concurrency(v);
			c->concurrency_set = true;
		} else if ((v = cli_long_value(a, "--timeout", argc, argv,
					       &i))) {
			c->scan.timeout_ns = cli_parse_timeout(v);
		} else if ((v = cli_long_value(a, "--retries", argc, argv,
					       &i))) {
			c->scan.retries = cli_parse_retries("--retries", v);
		} else if ((v = cli_long_value(a, "--rate", argc, argv, &i))) {
			c->scan.rate = cli_parse_rate("--rate", v);
		} else if (a[0] == '-' && a[1] == 'v' &&
			   strspn(a + 1, "v") == strlen(a + 1)) {
			c->verbose += (int)strlen(a + 1);
		} else {
			fail_input(
				"unknown option '%s'; see ringscan audit --help",
				a);
		}
	}
	if (c->netstat_path && !c->ntargets)
		fail_input(
			"--netstat needs the server's address: ringscan audit --netstat FILE TARGET");
	if (!c->netstat_path && c->ntargets)
		fail_input(
			"'%s': targets are for the remote audit (--netstat FILE TARGET); the local audit scans this machine's own addresses",
			c->targets[0]);
	if (c->netstat_path && c->proc_root)
		fail_input(
			"--proc-root is for the local audit; the remote audit reads --netstat");
	if (c->netstat_path && c->udp_sweep)
		fail_input(
			"--udp is for the local audit: off the local machine ICMP port-unreachable is rate-limited (1000/s), so a UDP sweep would take minutes and still miss ports");
	if (c->baseline_path) {
		ret = audit_baseline_load(c->baseline_path, &c->baseline, &err);
		if (ret == -EINVAL)
			fail_parse(c->baseline_path, &err);
		if (ret)
			fail_input("--baseline '%s': %s", c->baseline_path,
				   fileio_strerror(ret));
	}
}

/* ---- addresses ---- */

/*
 * Read both listings, appending; the notes (unless quiet) and the errors
 * as messages.  Returns 0 or the exit status.  A --proc-root that cannot be
 * read is bad input; the live /proc failing is a runtime failure.
 */
static int read_listings(struct audit_gather *g, const struct acli *c,
			 bool quiet)
{
	struct audit_listings_err e;
	int fail = c->explicit_root ? EXIT_BAD_INPUT : EXIT_RUNTIME;
	int ret = audit_gather_listings(g, c->proc_root, &e);

	if (ret && e.source == AUDIT_LISTING_NETLINK) {
		say("reading the socket table through netlink: %s",
		    strerror(-ret));
		return EXIT_RUNTIME;
	}
	if (e.netlink_unavailable && !quiet)
		say("note: netlink sock_diag is not available (%s); judging by /proc alone",
		    strerror(e.netlink_unavailable));
	if (ret == -EINVAL) {
		if (e.err.line)
			say("%s/%s line %lu: '%s': %s", c->proc_root,
			    proctable_file(e.bad_table), e.err.line,
			    e.err.token,
			    e.err.reason ? e.err.reason : "invalid");
		else
			say("%s/%s: %s", c->proc_root,
			    proctable_file(e.bad_table),
			    e.err.reason ? e.err.reason : "invalid");
		return fail;
	}
	if (ret) {
		say("reading %s/%s: %s", c->proc_root,
		    proctable_file(e.bad_table), fileio_strerror(ret));
		return fail;
	}
	if (e.proc_none) {
		if (c->explicit_root) {
			say("--proc-root '%s': no net/tcp, net/tcp6, net/udp or net/udp6 under it",
			    c->proc_root);
			return EXIT_BAD_INPUT;
		}
		if (!quiet)
			say("note: %s/net is not readable; judging by netlink alone",
			    c->proc_root);
	}
	return 0;
}

/* Resolve the targets into g->addrs (one server's addresses). */
static void remote_targets(struct audit_gather *g, const struct acli *c)
{
	struct targets *t;
	struct rs_error err;
	struct rs_addr a;

	memset(&err, 0, sizeof(err));
	if (targets_new(&t))
		fail_input("out of memory");
	for (size_t i = 0; i < c->ntargets; i++)
		if (targets_add(t, c->targets[i], &err))
			fail_parse("target", &err);
	if (targets_finalize(t) || !targets_count(t))
		fail_input("no target address to scan");
	if (targets_count(t) > AUDIT_MAX_ADDRS)
		fail_input(
			"%llu target addresses: the remote audit checks one server (at most %d addresses)",
			(unsigned long long)targets_count(t), AUDIT_MAX_ADDRS);
	for (uint64_t i = 0; i < targets_count(t); i++) {
		targets_get(t, i, &a);
		audit_addrs_add(&g->addrs[a.family == AF_INET6], &a);
	}
	targets_free(t);
}

static FILE *open_out(const char *path)
{
	FILE *f;

	if (!path)
		return NULL;
	if (!strcmp(path, "-"))
		return stdout;
	f = fopen(path, "w");
	if (!f)
		fail_input("cannot write output '%s': %s", path,
			   strerror(errno));
	return f;
}

static int close_out(FILE *f)
{
	if (!f || f == stdout)
		return 0;
	return fclose(f) ? -errno : 0;
}

static double secs_since(uint64_t t0)
{
	return (double)(clock_now_ns() - t0) / 1e9;
}

int audit_main(int argc, char **argv)
{
	struct acli c;
	struct audit_gather g;
	struct audit_evidence ev;
	struct audit_report rep;
	struct services *svc = NULL;
	struct portlist *pl;
	struct rs_error err;
	struct sigaction sa;
	FILE *fn = NULL, *fc = NULL, *fj = NULL;
	bool text_stdout = true;
	uint64_t t0, t, scan_ns;
	const char *what;
	char title[1024];
	int ret, status = EXIT_OK;

	memset(&c, 0, sizeof(c));
	memset(&g, 0, sizeof(g));
	g.stop = &audit_stop;
	memset(&rep, 0, sizeof(rep));
	memset(&err, 0, sizeof(err));
	c.udp = true;
	c.proc_root = NULL;
	c.scan.retries = AUDIT_RETRIES;
	c.scan.shard_count = 1;
	c.scan.seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();
	t0 = clock_now_ns();
	pl = calloc(1, sizeof(*pl));
	if (!pl || services_find(&svc, NULL, NULL)) {
		say("out of memory");
		free(pl);
		return EXIT_RUNTIME;
	}
	parse_args(&c, argc, argv);
	if (c.ports_spec) {
		if (ports_parse(c.ports_spec, svc, pl, &err))
			fail_parse("-p", &err);
	} else if (ports_parse("-", svc, pl, &err)) {
		fail_parse("-p", &err);
	}
	if (!c.concurrency_set)
		c.scan.concurrency = c.netstat_path ? AUDIT_REMOTE_WINDOW :
						      AUDIT_LOCAL_WINDOW;

	if (c.netstat_path) {
		ret = netstat_read_file(c.netstat_path,
					audit_gather_capture_add, &g, &err);
		if (ret == -EINVAL)
			fail_parse(c.netstat_path, &err);
		if (ret)
			fail_input("--netstat '%s': %s", c.netstat_path,
				   fileio_strerror(ret));
		remote_targets(&g, &c);
	} else {
		audit_gather_local_addrs(g.addrs);
	}
	for (int f = 0; f < 2; f++)
		for (size_t i = 0; i < g.addrs[f].n; i++)
			g.all_targets[g.nall++] = g.addrs[f].v[i];
	if (g.addrs[0].dropped || g.addrs[1].dropped)
		say("note: more than %d local addresses of a family; %zu not scanned",
		    AUDIT_MAX_ADDRS, g.addrs[0].dropped + g.addrs[1].dropped);

	fn = open_out(c.normal_path);
	fc = open_out(c.csv_path);
	fj = open_out(c.json_path);
	if (fn == stdout || fc == stdout || fj == stdout)
		text_stdout = false;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!c.netstat_path) {
		c.explicit_root = c.proc_root != NULL;
		if (geteuid() != 0)
			say("note: not root: ports below %s cannot be bind()-tested and other users' processes cannot be named; run as root for a full audit",
			    "1024 (or net.ipv4.ip_unprivileged_port_start)");
		if (!c.proc_root)
			c.proc_root = "/proc";
		t = clock_now_ns();
		status = read_listings(&g, &c, false);
		if (status)
			goto out_free;
		if (c.verbose)
			say("listings: %zu netlink + %zu /proc sockets (%.3f s)",
			    g.nl.n, g.pr.n, secs_since(t));
		t = clock_now_ns();
		ret = audit_gather_bind(&g, pl, c.udp);
		if (ret) {
			say("bind test: %s", strerror(-ret));
			status = EXIT_RUNTIME;
			goto out_free;
		}
		if (c.verbose)
			say("bind test: %u ports x %s, %s (%.3f s)", pl->count,
			    c.udp ? "TCP+UDP" : "TCP",
			    g.bind[AUDIT_TCP6] ? "IPv4+IPv6" : "IPv4 only",
			    secs_since(t));
		status = read_listings(&g, &c, true);
		if (status)
			goto out_free;
	}

	if (audit_stop)
		goto out_signal;
	t = clock_now_ns();
	ret = audit_gather_scan(&g, &c.scan, pl, c.udp_sweep, &scan_ns, &what);
	if (ret) {
		if (!strcmp(what, "scan"))
			say("%s", cli_engine_error(SCAN_CONNECT, ret));
		else if (ret == -ENOMEM)
			say("out of memory");
		else
			say("cannot set up the %s: %s", what, strerror(-ret));
		status = EXIT_RUNTIME;
		goto out_free;
	}
	if (audit_stop)
		goto out_signal;
	if (c.verbose)
		say("connect scan%s: %zu IPv4 + %zu IPv6 addresses x %u ports, %u in flight each (%.3f s)",
		    c.udp_sweep ? " and UDP sweep" : "", g.addrs[0].n,
		    g.addrs[1].n, pl->count, c.scan.concurrency, secs_since(t));

	if (!c.netstat_path) {
		t = clock_now_ns();
		ret = audit_gather_probe_listed(&g, 0, false);
		if (!ret)
			ret = audit_gather_owners(&g, c.proc_root);
		if (ret) {
			say("%s", strerror(-ret));
			status = EXIT_RUNTIME;
			goto out_free;
		}
		if (c.verbose)
			say("probes of specific addresses, and owners: %zu (socket, process) pairs (%.3f s)",
			    g.owners.n, secs_since(t));
	}

	audit_gather_evidence(&g, c.netstat_path != NULL, c.udp, &ev);
	ret = audit_build(&ev, &c.policy, &c.baseline, &rep);
	if (!ret) {
		t = clock_now_ns();
		ret = audit_verify(&rep, &g,
				   c.netstat_path ? NULL : c.proc_root, c.udp,
				   &c.policy, &c.baseline);
		if (c.verbose && !ret)
			say("re-verification (%.3f s)", secs_since(t));
	}
	if (ret) {
		say("%s", strerror(-ret));
		status = EXIT_RUNTIME;
		goto out_free;
	}
	if (audit_stop)
		goto out_signal;

	audit_output_title(title, sizeof(title), g.addrs,
			   c.netstat_path != NULL, c.udp, pl);
	ret = 0;
	if (text_stdout)
		ret = audit_output_text(stdout, &rep, svc, title,
					secs_since(t0));
	if (!ret && fn && fn != stdout)
		ret = audit_output_text(fn, &rep, svc, title, secs_since(t0));
	else if (!ret && fn == stdout)
		ret = audit_output_text(stdout, &rep, svc, title,
					secs_since(t0));
	if (!ret && fc)
		ret = audit_output_rows(fc, false, &rep, svc);
	if (!ret && fj)
		ret = audit_output_rows(fj, true, &rep, svc);
	if (ret) {
		say("writing results failed: %s", strerror(-ret));
		status = EXIT_RUNTIME;
		goto out_free;
	}
	status = audit_findings(&rep) ? EXIT_FINDINGS : EXIT_OK;
	goto out_free;

out_signal:
	say("stopped by signal %d before the verdicts", (int)audit_stop);
	status = 128 + (int)audit_stop;
out_free:
	ret = close_out(fn);
	ret = close_out(fc) ? -EIO : ret;
	ret = close_out(fj) ? -EIO : ret;
	if (ret && (!status || status == EXIT_FINDINGS)) {
		say("writing results failed: %s", strerror(-ret));
		status = EXIT_RUNTIME;
	}
	audit_report_free(&rep);
	audit_gather_free(&g);
	audit_policy_free(&c.policy);
	audit_baseline_free(&c.baseline);
	services_free(svc);
	free(pl);
	return status;
}
