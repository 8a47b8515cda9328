/*
 * cli.c - command line -> defined scan (see cli.h).
 *
 * Every bad token becomes one line on stderr naming it and what to do, and
 * exit status 1, before anything is sent or written.  Every line quoting
 * input goes through cli_vsay, which shows control bytes and invalid UTF-8
 * as '?' (escape.h): a target list or a capture must not be able to
 * drive the terminal of whoever reads the error.  Options follow nmap's
 * spelling where nmap has the option, masscan's or zmap's otherwise.
 *
 * Why some 1,100 lines in one file: what is left here is one job, the
 * scan's command line turned into a checked scan - the option loop and the
 * checks that finish it (ports chosen, scope, memory) - and they share the
 * half-built struct cli and its bookkeeping (which options were given, the
 * deferred targets).  The messages and the option values that other
 * commands share are cli_parse.c's; splitting the loop itself would put an
 * option and its check in different files.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli.h"
#include "features.h"
#include "fileio.h"
#include "store.h"
#include "escape.h"
#include "version.h"

void cli_usage(FILE *f)
{
	fprintf(f,
		"Usage: ringscan [options] TARGET...\n"
		"TCP connect port scanner on io_uring (no root needed).\n"
		"\n"
		"Targets: 192.0.2.1, 2001:db8::1, 192.0.2.0/24, 2001:db8::/120,\n"
		"  127.0.0.1-40, 127.0.0.1-127.0.1.9, 127.0-1.0.1-9, host names\n"
		"  -iL FILE             read targets from FILE (- = stdin)\n"
		"  --exclude LIST       comma-separated targets to skip\n"
		"  --excludefile FILE   targets to skip, from FILE\n"
		"Ports:\n"
		"  -p SPEC              22,80,8000-8100, -p- (all), http, T:443\n"
		"                       default: nmap's top 1000 TCP ports (from its\n"
		"                       nmap-services); without it 1-1024 and common\n"
		"                       service ports\n"
		"  -F                   fast: the top 100 ports\n"
		"  --top-ports N        the N ports most often found open (within -p)\n"
		"  --port-ratio R       the ports open on at least a fraction R of hosts\n"
		"  --exclude-ports SPEC  never scan these ports (same syntax as -p)\n"
		"  --servicedb FILE     service names and frequencies from FILE\n"
		"                       (default /usr/share/nmap/nmap-services, else\n"
		"                       /etc/services, which has no frequencies)\n"
		"  --datadir DIR        look for DIR/nmap-services first\n"
		"Scan:\n"
		"  -sT                  TCP connect scan (the default)\n"
		"  -sU                  UDP scan (no root needed; combines with -sT/-sS)\n"
		"  -4, -6               IPv4 or IPv6 targets only (names resolve to it)\n"
		"  -r                   probe in order (host by host, ports ascending)\n"
		"                       instead of the seeded random order\n"
		"  -sS                  TCP SYN scan over AF_XDP or AF_PACKET (root)\n"
		"  -e, --interface IF   -sS: interface (default: route to 1st target)\n"
		"  --source-ip LIST     -sT, -sU: source addresses to spread probes\n"
		"                       across (198.18.0.10-25, a CIDR, commas; each\n"
		"                       its own ICMP budget); -sS: one per family\n"
		"  --defeat-icmp-ratelimit  -sU: no retries waiting for rate-limited\n"
		"                       ICMP; silent ports are closed|filtered\n"
		"  --source-port P|L-H  -sS: source ports (default 61000-61999)\n"
		"  --engine xdp|packet  -sS: force AF_XDP or AF_PACKET (default auto)\n"
		"  --xdp-mode native|skb  -sS: XDP attach mode (default: native, else skb)\n"
		"Banners (-sT; see README \"Banners\"):\n"
		"  --banners            read what each open port says first (or its\n"
		"                       answer to HTTP HEAD, Redis INFO, memcached\n"
		"                       version; a TLS handshake on TLS ports): text\n"
		"                       |_banner: and ssl-cert lines, CSV/JSON/SQLite\n"
		"                       banner fields, XML scripts\n"
		"  -sV                  --banners, product and version identified,\n"
		"                       and nmap's VERSION column\n"
		"                       (--version-light, --version-all and\n"
		"                       --version-intensity N are accepted, no-ops)\n"
		"  --banner-timeout TIME  per open port, from its connect (default 2s)\n"
		"Timing (the pace follows the path and each host's answers;\n"
		"TIME is 500ms, 2s, 1m, 1h; a bare number is seconds, as in nmap):\n"
		"  --rate N, --max-rate N  never more than N probes per second\n"
		"                       (default: no limit for -sT, 100000 for -sS)\n"
		"  --min-rate N         never fewer than N probes per second\n"
		"  --no-cc              no congestion control: send at exactly --rate\n"
		"                       with --retries retries, as masscan and zmap\n"
		"  -T0..-T5             nmap's timing templates (paranoid..insane)\n"
		"  --concurrency N      at most N probes in flight (default %u)\n"
		"  --timeout TIME       fixed per-attempt timeout; a bare number is\n"
		"                       milliseconds (default: adaptive, from measured\n"
		"                       round trips)\n"
		"  --initial-rtt-timeout, --min-rtt-timeout, --max-rtt-timeout TIME\n"
		"                       adaptive timeout: start and bounds\n"
		"                       (default 1s, 100ms, 1s)\n"
		"  --retries N          silent attempts before filtered (default %u;\n"
		"                       unasked, as few as 1 once a TCP scan's answers\n"
		"                       show no drops)\n"
		"  --max-retries N      attempts in all at most, minus one (default %u):\n"
		"                       silences during congestion do not count\n"
		"  --scan-delay TIME    at least TIME between probes to one host\n"
		"  --max-scan-delay TIME  never slow one host below 1 per TIME\n"
		"  --seed N             order of probes (same seed, same order)\n"
		"  --dry-run            print the probes in send order, send nothing\n"
		"  --allow-large-scope  scan more than 2^24 hosts (a /8), or ranges\n"
		"                       that reach reserved blocks (those are still\n"
		"                       skipped unless listed on their own)\n"
		"  --allow-large-store  start even if the state store could outgrow\n"
		"                       the memory available (hosts x ports / 4 bytes)\n"
		"  --shards K/N         scan only part K of N (1-based; same --seed\n"
		"                       on every machine); also --shards N --shard I\n"
		"  --checkpoint FILE    save the scan's position every 5 s and on stop\n"
		"  --checkpoint-interval TIME  how often (default 5s; bare number: ms)\n"
		"  --resume FILE        continue a scan from its checkpoint\n"
		"  --trust-checkpoint   with --resume as root: accept a checkpoint\n"
		"                       another user owns or can write\n"
		"Output (FILE - = stdout; text goes to stdout too):\n"
		"  -oN FILE             nmap-style text\n"
		"  -oC FILE             CSV: host,port,proto,state,service,reason,rtt_ms,\n"
		"                       hostname\n"
		"  -oJ FILE             JSON lines\n"
		"  -oX FILE             nmap XML;   -oG FILE  nmap grepable\n"
		"  -oA BASE             BASE.nmap, BASE.xml, BASE.gnmap and BASE.csv\n"
		"  --sqlite FILE        the CSV's rows into a SQLite database: each scan\n"
		"                       adds a row to its scans table (see README)\n"
		"  --states LIST        states written to CSV/JSON/SQLite:\n"
		"                       open,closed,filtered (default open)\n"
		"  --open               show only open ports in the text report\n"
		"  --reason             the text report's REASON column (syn-ack, ...)\n"
		"  --stats-every TIME   a status line on stderr every TIME\n"
		"  -n                   no reverse DNS lookups (the default)\n"
		"  -R                   reverse DNS lookups of the hosts up, for the\n"
		"                       reports (names given as targets are always kept)\n"
		"  -v                   say what the engine chose, each open port\n"
		"                       as found (stderr), and summary counts\n"
		"  -vv                  also every pacing change and counts by state\n"
		"  -d, -dd              the scan's whole configuration (-dd: port list\n"
		"                       and target ranges too); implies -v\n"
		"  -h, --help           this text;  -V, --version  the version, libraries\n"
		"                       and kernel features found\n"
		"Commands: ringscan audit ... (see ringscan audit --help),\n"
		"  ringscan merge ... (see ringscan merge --help)\n"
		"Exit: 0 done, 1 bad input, 2 runtime failure, 128+N on signal N.\n",
		CLI_DEFAULT_CONCURRENCY, CLI_DEFAULT_RETRIES,
		CLI_DEFAULT_MAX_RETRIES);
}

static const char *socket_why(int err)
{
	switch (-err) {
	case EPERM:
	case EACCES:
		return "needs CAP_NET_RAW: run -sS as root";
	case EAFNOSUPPORT:
		return "not built into this kernel";
	default:
		return NULL;
	}
}

static void print_socket(FILE *f, const char *what, int err)
{
	const char *why = socket_why(err);

	if (!err)
		fprintf(f, "%s: yes\n", what);
	else
		fprintf(f, "%s: no (%s%s%s)\n", what, strerror(-err),
			why ? "; " : "", why ? why : "");
}

/*
 * One "name: answer" line per fact, so that a script (or a bug report)
 * can grep for the one it needs; every "no" says why.
 */
void cli_version(FILE *f, const struct features *ft)
{
	fprintf(f, "ringscan %s\n", RINGSCAN_VERSION);
	for (int i = 0; i < FEATURES_NLIBS; i++) {
		const struct features_lib *l = &ft->libs[i];

		fprintf(f, "library %s: built with %s, running %s\n", l->name,
			l->built,
			l->running ? l->running :
				     "version not exposed by the library");
	}
	fprintf(f, "kernel: %s\n", ft->kernel);
	if (ft->uring_err) {
		fprintf(f, "io_uring: no (%s%s)\n", strerror(-ft->uring_err),
			ft->uring_err == -EPERM ?
				"; disabled by sysctl kernel.io_uring_disabled or a seccomp filter" :
			ft->uring_err == -ENOSYS ?
				"; this kernel has no io_uring" :
				"");
	} else if (!ft->ops_known) {
		fprintf(f,
			"io_uring: yes; ops unknown (no op probe: kernel before 5.6)\n");
	} else {
		fprintf(f, "io_uring: yes; ops");
		for (int i = 0; i < FEATURES_NOPS; i++)
			fprintf(f, "%s %s %s", i ? "," : "",
				features_op_name(i), ft->op[i] ? "yes" : "no");
		fprintf(f, "\n");
	}
	if (ft->engine_err)
		fprintf(f, "connect engine (-sT): no (%s)\n",
			cli_engine_error(SCAN_CONNECT, ft->engine_err));
	else
		fprintf(f, "connect engine (-sT): yes; ring %s, %s\n",
			ft->ring_setup,
			ft->linger_rst ?
				"open ports closed with a reset (SO_LINGER by uring_cmd)" :
				"plain close (no socket uring_cmd: open ports end in TIME_WAIT)");
	if (!ft->uring_err && ft->ops_known)
		fprintf(f, "source addresses (--source-ip LIST, -sT/-sU): %s\n",
			ft->bind_op ?
				"yes (io_uring bind op)" :
				"no (io_uring has no bind op: Linux 6.11 or later)");
	print_socket(f, "AF_XDP socket (-sS)", ft->xdp_err);
	print_socket(f, "AF_PACKET socket (-sS without AF_XDP)",
		     ft->packet_err);
}

static void fail_parse(const char *what, const struct rs_error *err)
{
	if (err->line)
		cli_fail("%s '%s' (line %lu): %s", what, err->token, err->line,
			 err->reason ? err->reason : "invalid");
	cli_fail("%s '%s': %s", what, err->token,
		 err->reason ? err->reason : "invalid");
}

/*
 * The timing options -T sets.  One given on the command line wins over
 * the template whatever their order, as in nmap (which applies them after
 * the template), so -T must know which were given.
 */
enum {
	SET_RTO_INIT = 1u << 0,
	SET_RTO_MIN = 1u << 1,
	SET_RTO_MAX = 1u << 2,
	SET_SCAN_DELAY = 1u << 3,
	SET_MAX_SCAN_DELAY = 1u << 4,
};

/*
 * nmap's -T templates, onto ringscan's knobs (values from nmap's
 * NmapOps/nmap.cc; the parallelism 1 of T0-T2 becomes --concurrency 1).
 */
static void apply_template(struct cli *cli, const char *v)
{
	static const struct {
		const char *name;
		uint64_t delay_ms, init_ms, min_ms, max_ms, max_delay_ms;
		uint32_t max_retries, concurrency;
	} t[] = {
		{ "paranoid", 300000, 300000, 100, 300000, 300000, 10, 1 },
		{ "sneaky", 15000, 15000, 100, 15000, 15000, 10, 1 },
		{ "polite", 400, 1000, 100, 10000, 1000, 10, 1 },
		{ "normal", 0, 1000, 100, 10000, 1000, 10, 0 },
		{ "aggressive", 0, 500, 100, 1250, 10, 6, 0 },
		{ "insane", 0, 250, 50, 300, 5, 2, 0 },
	};
	size_t i = sizeof(t) / sizeof(t[0]);

	if (v[0] >= '0' && v[0] <= '5' && !v[1])
		i = (size_t)(v[0] - '0');
	else
		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (!strcmp(v, t[i].name))
				break;
	if (i == sizeof(t) / sizeof(t[0]))
		cli_fail(
			"-T '%s': expected 0-5 or paranoid, sneaky, polite, normal, aggressive, insane",
			v);
	if (!(cli->timing_set & SET_SCAN_DELAY))
		cli->scan.scan_delay_ns = t[i].delay_ms * 1000000ULL;
	if (!(cli->timing_set & SET_RTO_INIT))
		cli->scan.rto_init_ns = t[i].init_ms * 1000000ULL;
	if (!(cli->timing_set & SET_RTO_MIN))
		cli->scan.rto_min_ns = t[i].min_ms * 1000000ULL;
	if (!(cli->timing_set & SET_RTO_MAX))
		cli->scan.rto_max_ns = t[i].max_ms * 1000000ULL;
	if (!(cli->timing_set & SET_MAX_SCAN_DELAY))
		cli->scan.max_scan_delay_ns = t[i].max_delay_ms * 1000000ULL;
	if (!cli->max_retries_set)
		cli->scan.max_retries = t[i].max_retries;
	if (t[i].concurrency && !cli->concurrency_set)
		cli->scan.concurrency = t[i].concurrency;
}

static void set_all_outputs(struct cli *cli, const char *base)
{
	struct rs_error err;

	if (output_set_all(&cli->out, cli->oa_paths, base, &err))
		cli_fail("-oA '%s': %s", base, err.reason);
}

/*
 * --source-ip LIST: every value adds to the sources -sT and -sU spread
 * their probes across (srcaddr.h; checked once the scan is known, in
 * check_sources).  A single address is also -sS's source for its family,
 * the last one given winning, as before lists existed.
 */
static void parse_source_ip(struct cli *cli, const char *v)
{
	struct rs_error err = { 0 };
	struct rs_addr a;
	int ret;

	if (!cli->sources && srcaddr_new(&cli->sources)) {
		fprintf(stderr, "ringscan: out of memory\n");
		exit(EXIT_RUNTIME);
	}
	ret = srcaddr_add(cli->sources, v, &err);
	if (ret == -ENOMEM) {
		fprintf(stderr, "ringscan: out of memory\n");
		exit(EXIT_RUNTIME);
	}
	if (ret)
		fail_parse("--source-ip", &err);
	if (addr_parse(v, &a)) {
		cli->source_list = v;
	} else if (a.family == AF_INET) {
		cli->src4 = a;
		cli->syn.src4 = &cli->src4;
	} else {
		cli->src6 = a;
		cli->syn.src6 = &cli->src6;
	}
}

/* "N" or "LO-HI": the source ports our SYNs use and the XDP program owns. */
static void parse_source_ports(struct cli *cli, const char *v)
{
	const char *dash = strchr(v, '-');
	char lo[8];

	if (!dash) {
		cli->syn.sport_lo =
			(uint16_t)cli_parse_uint("--source-port", v, 1, 65535);
		cli->syn.sport_hi = cli->syn.sport_lo;
	} else {
		if ((size_t)(dash - v) >= sizeof(lo) || dash == v)
			cli_fail("--source-port '%s': expected N or LO-HI", v);
		memcpy(lo, v, (size_t)(dash - v));
		lo[dash - v] = '\0';
		cli->syn.sport_lo =
			(uint16_t)cli_parse_uint("--source-port", lo, 1, 65535);
		cli->syn.sport_hi = (uint16_t)cli_parse_uint(
			"--source-port", dash + 1, cli->syn.sport_lo, 65535);
	}
	cli->syn_only_opt = "--source-port";
}

/* "K/N" (masscan, 1-based) or "N" (zmap, with --shard I, 0-based). */
static void parse_shards(struct cli *cli, const char *v)
{
	const char *slash = strchr(v, '/');
	char k[24];

	if (!slash) {
		cli->scan.shard_count =
			(uint32_t)cli_parse_uint("--shards", v, 1, 65535);
		return;
	}
	if ((size_t)(slash - v) >= sizeof(k))
		cli_fail("--shards '%s': expected K/N, e.g. 2/3", v);
	memcpy(k, v, (size_t)(slash - v));
	k[slash - v] = '\0';
	cli->scan.shard_count =
		(uint32_t)cli_parse_uint("--shards", slash + 1, 1, 65535);
	cli->scan.shard_index =
		(uint32_t)cli_parse_uint("--shards", k, 1,
					 cli->scan.shard_count) -
		1;
	cli->shard_slash = true;
}

static void record_command_line(struct cli *cli, int argc, char **argv)
{
	size_t off = 0;

	cli->command_line[0] = '\0';
	for (int i = 0; i < argc && off + 2 < sizeof(cli->command_line); i++) {
		int n = snprintf(cli->command_line + off,
				 sizeof(cli->command_line) - off, "%s%s",
				 i ? " " : "", argv[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* --port-ratio R: a decimal strictly between 0 and 1, as nmap takes it. */
static double parse_ratio(const char *v)
{
	char *end;
	double r;

	errno = 0;
	r = strtod(v, &end);
	if (errno || end == v || *end || !(r > 0 && r < 1))
		cli_fail(
			"--port-ratio '%s': expected a fraction above 0 and below 1, e.g. 0.01",
			v);
	return r;
}

/* -F, --top-ports and --port-ratio each choose the ports: one of them. */
static void set_select(struct cli *cli, const char *opt)
{
	if (cli->select_opt)
		cli_fail(
			"%s and %s both choose the ports by frequency; give one (-F is --top-ports 100)",
			cli->select_opt, opt);
	cli->select_opt = opt;
}

/* Edit distance of two short words (Levenshtein), capped at 9. */
static unsigned edit_distance(const char *a, const char *b)
{
	unsigned row[16], i, j, la = (unsigned)strlen(a),
				lb = (unsigned)strlen(b);

	if (la >= 16 || lb >= 16)
		return 9;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		unsigned diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			unsigned up = row[j],
				 best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb] < 9 ? row[lb] : 9;
}

/*
 * A first argument that failed as a target but is a bare word close to a
 * subcommand ("audti", "mrege") was most likely meant as that command.
 * Only then: a host name that resolves, or anything with a dot, is a
 * target and never second-guessed.
 */
static void suggest_command(const char *word, const struct rs_error *err)
{
	static const char *const cmds[] = { "audit", "merge" };

	if (strspn(word, "abcdefghijklmnopqrstuvwxyz") != strlen(word))
		return;
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
		if (edit_distance(word, cmds[k]) <= 2)
			cli_fail(
				"'%s' is not a command nor a target (%s): did you mean `%s`?",
				word, err->reason ? err->reason : "invalid",
				cmds[k]);
}

/*
 * Targets are added once every option is read, so that -4/-6 anywhere on
 * the line applies to the names and ranges before it too, as in nmap.
 * Each is a target token, or with is_file the path of an -iL list.
 */
struct deferred_target {
	const char *v;
	bool is_file;
	bool first; /* argv[1]: may be a mistyped subcommand */
};

static void add_targets(struct cli *cli, struct targets *t,
			const struct deferred_target *d, int n)
{
	struct rs_error err;
	int ret;

	memset(&err, 0, sizeof(err));
	if (cli->family)
		targets_set_family(t, cli->family);
	for (int k = 0; k < n; k++) {
		if (!d[k].is_file) {
			if (targets_add(t, d[k].v, &err)) {
				if (d[k].first)
					suggest_command(d[k].v, &err);
				fail_parse("target", &err);
			}
			continue;
		}
		if ((ret = targets_add_file(t, d[k].v, &err))) {
			if (ret != -EINVAL && ret != -E2BIG)
				cli_fail("-iL '%s': %s", d[k].v,
					 fileio_strerror(ret));
			fail_parse("target", &err);
		}
		cli->list_path = d[k].v;
	}
}

static void set_family(struct cli *cli, int family)
{
	if (cli->family && cli->family != family)
		cli_fail(
			"-4 and -6 both given; give one (neither scans both families)");
	cli->family = family;
}

static void parse_args(struct cli *cli, struct targets *t, int argc,
		       char **argv)
{
	struct deferred_target *dt = calloc((size_t)argc, sizeof(*dt));
	struct rs_error err;
	bool have_targets = false;
	int ndt = 0;
	const char *v;
	int i;

	if (!dt) {
		fprintf(stderr, "ringscan: out of memory\n");
		exit(EXIT_RUNTIME);
	}
	cli->deferred = dt;
	memset(&err, 0, sizeof(err));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || !a[1]) {
			dt[ndt++] = (struct deferred_target){ .v = a,
							      .first = i == 1 };
			have_targets = true;
		} else if (!strcmp(a, "--")) {
			for (i++; i < argc; i++) {
				dt[ndt++] = (struct deferred_target){
					.v = argv[i]
				};
				have_targets = true;
			}
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			cli_usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
			struct features ft;

			features_probe(&ft);
			cli_version(stdout, &ft);
			exit(fflush(stdout) || ferror(stdout) ? EXIT_RUNTIME :
								0);
		} else if (!strncmp(a, "-p", 2) && a[1] == 'p' &&
			   strncmp(a, "--", 2)) {
			v = a[2] ? a + 2 :
				   cli_short_value("-p", argc, argv, &i);
			if (cli->ports_spec)
				cli_fail(
					"-p given twice ('%s' and '%s'); give one list, separated by commas, e.g. -p %s,%s (as in nmap)",
					cli->ports_spec, v, cli->ports_spec, v);
			cli->ports_spec = v;
		} else if (!strcmp(a, "-4")) {
			set_family(cli, AF_INET);
		} else if (!strcmp(a, "-6")) {
			set_family(cli, AF_INET6);
		} else if (!strcmp(a, "-r")) {
			cli->scan.sequential = true;
		} else if (!strcmp(a, "--reason")) {
			cli->out.reason = true;
		} else if (!strncmp(a, "-d", 2) &&
			   (strspn(a + 1, "d") == strlen(a + 1) ||
			    (a[2] >= '0' && a[2] <= '9' && !a[3]))) {
			/* -d, -dd, ... or nmap's -d<level> */
			cli->debug = a[2] >= '0' && a[2] <= '9' ?
					     a[2] - '0' :
					     cli->debug + (int)strlen(a + 1);
		} else if ((v = cli_long_value(a, "--stats-every", argc, argv,
					       &i))) {
			cli->stats_every_ns = cli_parse_time(
				"--stats-every", v, NS_PER_S, CLI_MAX_TIME_NS);
			if (cli->stats_every_ns < 10000000ULL)
				cli_fail(
					"--stats-every '%s': at least 10ms (a bare number is seconds, as in nmap)",
					v);
		} else if (!strcmp(a, "-F")) {
			set_select(cli, "-F");
			cli->top_ports = 100;
		} else if ((v = cli_long_value(a, "--top-ports", argc, argv,
					       &i))) {
			set_select(cli, "--top-ports");
			cli->top_ports = (uint32_t)cli_parse_uint("--top-ports",
								  v, 1, 65536);
		} else if ((v = cli_long_value(a, "--port-ratio", argc, argv,
					       &i))) {
			set_select(cli, "--port-ratio");
			cli->port_ratio = parse_ratio(v);
		} else if ((v = cli_long_value(a, "--exclude-ports", argc, argv,
					       &i))) {
			if (cli->exclude_ports_spec)
				cli_fail(
					"--exclude-ports given twice; give one list, separated by commas (as in nmap)");
			cli->exclude_ports_spec = v;
		} else if ((v = cli_long_value(a, "--servicedb", argc, argv,
					       &i))) {
			cli->servicedb = v;
		} else if ((v = cli_long_value(a, "--datadir", argc, argv,
					       &i))) {
			cli->datadir = v;
		} else if (!strcmp(a, "-sT")) {
			cli->scan.type = SCAN_CONNECT;
			cli->tcp_given = true;
		} else if (!strcmp(a, "-sS")) {
			cli->scan.type = SCAN_SYN;
			cli->tcp_given = true;
		} else if (!strcmp(a, "-sU")) {
			cli->scan_udp = true;
		} else if (!strcmp(a, "--defeat-icmp-ratelimit")) {
			cli->scan.defeat_icmp = true;
		} else if (!strcmp(a, "-sV") || !strcmp(a, "--banners")) {
			/* -sV adds the VERSION column (nmap); --banners
			 * masscan's name for the grab alone */
			cli->scan.banners = true;
			if (!strcmp(a, "-sV"))
				cli->out.version_col = true;
			else
				cli->out.banner_lines = true;
			if (!cli->banners_opt || !strcmp(a, "-sV"))
				cli->banners_opt = a;
		} else if (!strcmp(a, "--version-light") ||
			   !strcmp(a, "--version-all")) {
			/* nmap's intensity knobs: one light exchange is all
			 * there is; accepted so nmap command lines run */
			cli->version_knob = a;
		} else if ((v = cli_long_value(a, "--version-intensity", argc,
					       argv, &i))) {
			(void)cli_parse_uint("--version-intensity", v, 0, 9);
			cli->version_knob = "--version-intensity";
		} else if ((v = cli_long_value(a, "--banner-timeout", argc,
					       argv, &i))) {
			cli->scan.banner_timeout_ns =
				cli_parse_time("--banner-timeout", v, NS_PER_S,
					       CLI_MAX_BANNER_TIMEOUT_NS);
			if (cli->scan.banner_timeout_ns < 10000000ULL)
				cli_fail(
					"--banner-timeout '%s': at least 10ms (a bare number is seconds)",
					v);
			cli->banner_timeout_opt = a;
		} else if (!strncmp(a, "-s", 2) && a[2]) {
			cli_fail(
				"scan type '%s' is not supported; use -sT (TCP connect), -sS (TCP SYN) or -sU (UDP), and -sV for banners",
				a);
		} else if (!strcmp(a, "-e") ||
			   (v = cli_long_value(a, "--interface", argc, argv,
					       &i))) {
			if (!strcmp(a, "-e"))
				v = cli_short_value(a, argc, argv, &i);
			if (!*v || strlen(v) >= NEIGH_IFNAMSIZ)
				cli_fail("%s '%s': not an interface name", a,
					 v);
			cli->syn.ifname = v;
			cli->syn_only_opt = "-e";
		} else if ((v = cli_long_value(a, "--source-ip", argc, argv,
					       &i))) {
			parse_source_ip(cli, v);
		} else if ((v = cli_long_value(a, "--source-port", argc, argv,
					       &i))) {
			parse_source_ports(cli, v);
		} else if ((v = cli_long_value(a, "--engine", argc, argv,
					       &i))) {
			if (!strcmp(v, "xdp"))
				cli->syn.kind = SYNENGINE_XDP;
			else if (!strcmp(v, "packet"))
				cli->syn.kind = SYNENGINE_PACKET;
			else if (!strcmp(v, "auto"))
				cli->syn.kind = SYNENGINE_AUTO;
			else
				cli_fail(
					"--engine '%s': expected xdp, packet or auto",
					v);
			cli->syn_only_opt = "--engine";
		} else if ((v = cli_long_value(a, "--xdp-mode", argc, argv,
					       &i))) {
			if (!strcmp(v, "native"))
				cli->syn.xdp_mode = AFXDP_MODE_NATIVE;
			else if (!strcmp(v, "skb"))
				cli->syn.xdp_mode = AFXDP_MODE_SKB;
			else if (!strcmp(v, "auto"))
				cli->syn.xdp_mode = AFXDP_MODE_AUTO;
			else
				cli_fail(
					"--xdp-mode '%s': expected native, skb or auto",
					v);
			cli->syn_only_opt = "--xdp-mode";
		} else if (!strcmp(a, "-oN")) {
			cli->out.normal_path =
				cli_short_value(a, argc, argv, &i);
		} else if (!strcmp(a, "-oC")) {
			cli->out.csv_path = cli_short_value(a, argc, argv, &i);
		} else if (!strcmp(a, "-oJ")) {
			cli->out.json_path = cli_short_value(a, argc, argv, &i);
		} else if (!strcmp(a, "-oX")) {
			cli->out.xml_path = cli_short_value(a, argc, argv, &i);
		} else if (!strcmp(a, "-oG")) {
			cli->out.grep_path = cli_short_value(a, argc, argv, &i);
		} else if (!strcmp(a, "-oA")) {
			set_all_outputs(cli,
					cli_short_value(a, argc, argv, &i));
		} else if (!strncmp(a, "-o", 2) && a[1] == 'o') {
			cli_fail(
				"output option '%s' is not supported; use -oN, -oC, -oJ, -oX, -oG, -oA or --sqlite",
				a);
		} else if ((v = cli_long_value(a, "--sqlite", argc, argv,
					       &i))) {
			cli->out.sqlite_path = v;
		} else if (!strcmp(a, "-iL")) {
			v = cli_short_value(a, argc, argv, &i);
			dt[ndt++] = (struct deferred_target){ .v = v,
							      .is_file = true };
			have_targets = true;
		} else if ((v = cli_long_value(a, "--excludefile", argc, argv,
					       &i))) {
			int ret;

			if ((ret = targets_exclude_file(t, v, &err))) {
				if (ret != -EINVAL && ret != -E2BIG)
					cli_fail("--excludefile '%s': %s", v,
						 fileio_strerror(ret));
				fail_parse("exclude", &err);
			}
			cli->exclude_given = true;
		} else if ((v = cli_long_value(a, "--exclude", argc, argv,
					       &i))) {
			if (targets_exclude(t, v, &err))
				fail_parse("exclude", &err);
			cli->exclude_given = true;
		} else if ((v = cli_long_value(a, "--rate", argc, argv, &i)) ||
			   (v = cli_long_value(a, "--max-rate", argc, argv,
					       &i))) {
			cli->scan.rate = cli_parse_rate("--rate", v);
			cli->rate_set = true;
		} else if ((v = cli_long_value(a, "--min-rate", argc, argv,
					       &i))) {
			cli->scan.min_rate = cli_parse_rate("--min-rate", v);
		} else if (!strcmp(a, "--no-cc") ||
			   !strcmp(a, "--fixed-rate")) {
			cli->scan.cc = false;
		} else if (!strncmp(a, "-T", 2) && a[2]) {
			apply_template(cli, a + 2);
		} else if ((v = cli_long_value(a, "--initial-rtt-timeout", argc,
					       argv, &i))) {
			cli->scan.rto_init_ns =
				cli_parse_time("--initial-rtt-timeout", v,
					       NS_PER_S, CLI_MAX_TIME_NS);
			cli->timing_set |= SET_RTO_INIT;
		} else if ((v = cli_long_value(a, "--min-rtt-timeout", argc,
					       argv, &i))) {
			cli->scan.rto_min_ns =
				cli_parse_time("--min-rtt-timeout", v, NS_PER_S,
					       CLI_MAX_TIME_NS);
			cli->timing_set |= SET_RTO_MIN;
		} else if ((v = cli_long_value(a, "--max-rtt-timeout", argc,
					       argv, &i))) {
			cli->scan.rto_max_ns =
				cli_parse_time("--max-rtt-timeout", v, NS_PER_S,
					       CLI_MAX_TIME_NS);
			cli->timing_set |= SET_RTO_MAX;
		} else if ((v = cli_long_value(a, "--scan-delay", argc, argv,
					       &i))) {
			cli->scan.scan_delay_ns = cli_parse_time(
				"--scan-delay", v, NS_PER_S, CLI_MAX_TIME_NS);
			cli->timing_set |= SET_SCAN_DELAY;
		} else if ((v = cli_long_value(a, "--max-scan-delay", argc,
					       argv, &i))) {
			cli->scan.max_scan_delay_ns =
				cli_parse_time("--max-scan-delay", v, NS_PER_S,
					       CLI_MAX_TIME_NS);
			cli->timing_set |= SET_MAX_SCAN_DELAY;
		} else if ((v = cli_long_value(a, "--concurrency", argc, argv,
					       &i))) {
			cli->scan.concurrency = cli_parse_concurrency(v);
			cli->concurrency_set = true;
		} else if ((v = cli_long_value(a, "--timeout", argc, argv,
					       &i))) {
			cli->scan.timeout_ns = cli_parse_timeout(v);
		} else if ((v = cli_long_value(a, "--retries", argc, argv,
					       &i))) {
			cli->scan.retries = cli_parse_retries("--retries", v);
			cli->retries_set = true;
		} else if ((v = cli_long_value(a, "--max-retries", argc, argv,
					       &i))) {
			cli->scan.max_retries =
				cli_parse_retries("--max-retries", v);
			cli->max_retries_set = true;
		} else if ((v = cli_long_value(a, "--seed", argc, argv, &i))) {
			cli->scan.seed =
				cli_parse_uint("--seed", v, 0, UINT64_MAX);
			cli->seed_set = true;
		} else if ((v = cli_long_value(a, "--shards", argc, argv,
					       &i))) {
			parse_shards(cli, v);
		} else if ((v = cli_long_value(a, "--shard", argc, argv, &i))) {
			cli->scan.shard_index = (uint32_t)cli_parse_uint(
				"--shard", v, 0, 65535);
			cli->shard_zmap = true;
		} else if ((v = cli_long_value(a, "--checkpoint", argc, argv,
					       &i))) {
			cli->checkpoint_path = v;
		} else if ((v = cli_long_value(a, "--checkpoint-interval", argc,
					       argv, &i))) {
			/* A bare number is milliseconds, as it always was. */
			cli->scan.checkpoint_ns =
				cli_parse_time("--checkpoint-interval", v,
					       1000000ULL, CLI_MAX_TIME_NS);
			if (cli->scan.checkpoint_ns < 100000000ULL)
				cli_fail(
					"--checkpoint-interval '%s': at least 100ms",
					v);
		} else if ((v = cli_long_value(a, "--resume", argc, argv,
					       &i))) {
			cli_fail(
				"--resume '%s' must be the only option (the scan's options come from the checkpoint); -v may be added",
				v);
		} else if ((v = cli_long_value(a, "--states", argc, argv,
					       &i))) {
			if (output_parse_states(v, &cli->out.states, &err))
				fail_parse("--states", &err);
		} else if (!strcmp(a, "--open")) {
			cli->out.open_only = true;
		} else if (!strcmp(a, "--dry-run")) {
			cli->dry_run = true;
		} else if (!strcmp(a, "--allow-large-scope")) {
			cli->allow_large_scope = true;
		} else if (!strcmp(a, "--allow-large-store")) {
			cli->allow_large_store = true;
		} else if (!strcmp(a, "-Pn")) {
			/* nmap habit: no ping is what we do */
		} else if (!strcmp(a, "-n") || !strcmp(a, "-R")) {
			if (cli->resolve_opt && strcmp(cli->resolve_opt, a))
				cli_fail(
					"-n (no reverse lookups) and -R (reverse lookups of every host up) contradict each other; give one");
			cli->resolve_opt = a;
			cli->reverse_dns = !strcmp(a, "-R");
		} else if (a[0] == '-' && a[1] == 'v' &&
			   strspn(a + 1, "v") == strlen(a + 1)) {
			cli->verbose += (int)strlen(a + 1);
		} else {
			cli_fail("unknown option '%s'; see ringscan --help", a);
		}
	}

	add_targets(cli, t, dt, ndt);
	free(dt);
	cli->deferred = NULL;
	if (!have_targets)
		cli_fail(
			"no targets given; for example: ringscan -p 1-1024 127.0.0.1");
	if (cli->debug && !cli->verbose)
		cli->verbose = 1; /* -d says at least what -v says */
	/* -sU alone scans UDP only; with nothing given, -sT. */
	cli->scan_tcp = cli->tcp_given || !cli->scan_udp;
	if (cli->scan.banners && cli->scan.type == SCAN_SYN)
		cli_fail(
			"%s reads what open ports say over a TCP connection, which -sS does not make; use -sT %s (ports found by -sS can be rescanned that way)",
			cli->banners_opt, cli->banners_opt);
	if (cli->scan.banners && !cli->scan_tcp)
		cli_fail(
			"%s reads banners over TCP connections; add -sT (UDP ports have none)",
			cli->banners_opt);
	if (!cli->scan.banners &&
	    (cli->version_knob || cli->banner_timeout_opt))
		cli_fail("%s only applies with -sV or --banners; add one",
			 cli->version_knob ? cli->version_knob :
					     cli->banner_timeout_opt);
	cli->out.banners = cli->scan.banners;
	if (cli->syn_only_opt && cli->scan.type != SCAN_SYN)
		cli_fail("%s only applies to SYN scans; add -sS",
			 cli->syn_only_opt);
	if (cli->scan.defeat_icmp && !cli->scan_udp)
		cli_fail(
			"--defeat-icmp-ratelimit only applies to UDP scans; add -sU");
	if (cli->source_list && cli->scan.type == SCAN_SYN)
		cli_fail(
			"--source-ip '%s': -sS takes one address per family; lists and ranges are for -sT and -sU",
			cli->source_list);
	if (cli->scan.type == SCAN_SYN && !cli->concurrency_set)
		cli->scan.concurrency = CLI_DEFAULT_SYN_CONCURRENCY;
	if (cli->scan.type == SCAN_SYN && !cli->rate_set)
		cli->scan.rate = CLI_DEFAULT_SYN_RATE;
	/* An unasked base is the scheduler's to lower on evidence. */
	cli->scan.retries_auto = !cli->retries_set;
	/* --max-retries caps every attempt count: the base too, unless the
	 * base was asked for, which then raises the cap. */
	if (cli->scan.retries > cli->scan.max_retries) {
		if (cli->retries_set)
			cli->scan.max_retries = cli->scan.retries;
		else
			cli->scan.retries = cli->scan.max_retries;
	}
	if (cli->scan.min_rate && cli->scan.rate &&
	    cli->scan.min_rate > cli->scan.rate)
		cli_fail("--min-rate %llu is above --max-rate %llu",
			 (unsigned long long)cli->scan.min_rate,
			 (unsigned long long)cli->scan.rate);
	if (cli->scan.rto_min_ns && cli->scan.rto_max_ns &&
	    cli->scan.rto_min_ns > cli->scan.rto_max_ns)
		cli_fail("--min-rtt-timeout is above --max-rtt-timeout");
	if (cli->scan.scan_delay_ns && cli->scan.max_scan_delay_ns &&
	    cli->scan.scan_delay_ns > cli->scan.max_scan_delay_ns)
		cli->scan.max_scan_delay_ns = cli->scan.scan_delay_ns;
	if (cli->shard_slash && cli->shard_zmap)
		cli_fail(
			"--shard: use either --shards K/N (1-based) or --shards N --shard I (0-based), not both");
	if (cli->scan.shard_count > 1 && !cli->seed_set)
		cli_fail(
			"--shards %u: give every shard the same --seed N, or the parts will not fit together",
			cli->scan.shard_count);
	if (cli->scan.shard_index >= cli->scan.shard_count)
		cli_fail(
			"--shard %u: must be below the shard count %u (zmap counts from 0; --shards K/N counts from 1)",
			cli->scan.shard_index, cli->scan.shard_count);
	if (cli->ports_spec && cli->select_opt &&
	    !strcmp(cli->select_opt, "-F"))
		cli_fail(
			"-F cannot be used with -p (as in nmap); to take the most common ports within a range, use --top-ports N with -p");
}

static struct portlist *new_portlist(void)
{
	struct portlist *pl = malloc(sizeof(*pl));

	if (!pl) {
		fprintf(stderr, "ringscan: out of memory\n");
		exit(EXIT_RUNTIME);
	}
	return pl;
}

static const char *const proto_name[] = { "TCP", "UDP" };

/*
 * One protocol's ports, as nmap chooses them, into out.  With
 * nmap-services' frequencies the default is the top 1000, -F the top 100,
 * and --top-ports/--port-ratio pick from the -p list (within, already
 * parsed, or NULL) when there is one; --exclude-ports (ex, or NULL) is
 * taken out before the top N are counted (nmap's order, so --top-ports 100
 * still scans 100).  Without frequencies the default is the built-in list
 * and -F every port the services file names, as nmap does with such a
 * file.  Returns how the ports were chosen, for -v.
 */
static void select_proto(struct cli_scan *cs, enum rs_proto proto,
			 struct portlist *within, const struct portlist *ex,
			 struct portlist *out, char *how, size_t howlen)
{
	const struct cli *cli = &cs->cli;
	bool ranked = services_has_ratios(cs->svc);
	bool by_freq = cli->select_opt || (!cli->ports_spec && ranked);

	if (by_freq && ranked) {
		uint32_t top = cli->top_ports;

		if (!cli->select_opt)
			top = 1000;
		if (within && ex)
			ports_remove(within, ex);
		ports_top(cs->svc, proto, top, cli->port_ratio, within, out);
		if (cli->port_ratio > 0)
			snprintf(how, howlen,
				 "the %s ports open at least %g of the time",
				 proto_name[proto], cli->port_ratio);
		else
			snprintf(how, howlen, "nmap's top %u %s ports%s", top,
				 proto_name[proto],
				 cli->ports_spec ? " within -p" : "");
		return;
	}
	if (by_freq) {
		ports_named(cs->svc, proto, out);
		snprintf(how, howlen,
			 "-F: every %s port the services file names",
			 proto_name[proto]);
	} else if (within) {
		memcpy(out, within,
		       offsetof(struct portlist, port) +
			       within->count * sizeof(within->port[0]));
		snprintf(how, howlen, "-p");
	} else if (proto == RS_UDP) {
		ports_default_udp(out);
		snprintf(how, howlen,
			 "the built-in default (common UDP service ports)");
	} else {
		ports_default(out);
		snprintf(
			how, howlen,
			"the built-in default (1-1024 and common service ports)");
	}
	if (ex)
		ports_remove(out, ex);
}

/*
 * The scan's ports: for each protocol scanned (-sT/-sS for TCP, -sU for
 * UDP) its own list chosen by select_proto, joined TCP first (ports.h).
 * A -p list is parsed once for both: items before any T:/U: prefix go to
 * every protocol scanned, as in nmap.  A list that names ports for a
 * protocol no scan type covers, or none for one that is scanned, is
 * refused rather than half-scanned, saying which option to add.
 */
static void select_ports(struct cli_scan *cs)
{
	const struct cli *cli = &cs->cli;
	bool ranked = services_has_ratios(cs->svc);
	bool by_freq = cli->select_opt || (!cli->ports_spec && ranked);
	bool scan[2] = { cli->scan_tcp, cli->scan_udp };
	unsigned bare = (scan[RS_TCP] ? PORTS_F_TCP : 0) |
			(scan[RS_UDP] ? PORTS_F_UDP : 0);
	unsigned seen = 0;
	char how[2][96];
	struct rs_error err;
	unsigned proto;

	memset(&err, 0, sizeof(err));
	memset(how, 0, sizeof(how));
	if (by_freq && !ranked &&
	    (cli->port_ratio > 0 || strcmp(cli->select_opt, "-F")))
		cli_fail(
			"%s needs nmap's port frequencies, and %s has none; install nmap (nmap-services) or give --servicedb FILE",
			cli->select_opt,
			services_source(cs->svc) ?
				services_source(cs->svc) :
				"no services file was found");
	if (cli->exclude_ports_spec) {
		cs->exclude[RS_TCP] = new_portlist();
		cs->exclude[RS_UDP] = new_portlist();
		if (ports_parse_protos(cli->exclude_ports_spec, cs->svc, bare,
				       cs->exclude[RS_TCP], cs->exclude[RS_UDP],
				       NULL, &err))
			fail_parse("--exclude-ports", &err);
	}
	/* nmap's "-p-" arrives here as "-"; with --exclude-ports alone the
	 * top ports are picked from everything else. */
	if (cli->ports_spec || (by_freq && ranked && cli->exclude_ports_spec)) {
		cs->within[RS_TCP] = new_portlist();
		cs->within[RS_UDP] = new_portlist();
		if (ports_parse_protos(cli->ports_spec ? cli->ports_spec : "-",
				       cs->svc, bare, cs->within[RS_TCP],
				       cs->within[RS_UDP], &seen, &err))
			fail_parse("-p", &err);
	}
	if (cli->ports_spec && (seen & PORTS_F_UDP) && !scan[RS_UDP])
		cli_fail(
			"-p '%s' has UDP ports (U:) but no UDP scan was asked for; add -sU (or drop the U: ports)",
			cli->ports_spec);
	if (cli->ports_spec && (seen & PORTS_F_TCP) && !scan[RS_TCP])
		cli_fail(
			"-p '%s' has TCP ports (T:) but only -sU was given; add -sT or -sS (or drop the T: ports)",
			cli->ports_spec);
	for (proto = RS_TCP; proto <= RS_UDP; proto++) {
		if (!scan[proto])
			continue;
		if (cli->ports_spec && !(seen & (1u << proto)))
			cli_fail(
				"-p '%s' has no %s ports for %s; add %s to -p (for example -p U:53,T:22)",
				cli->ports_spec, proto_name[proto],
				proto == RS_UDP		   ? "-sU" :
				cli->scan.type == SCAN_SYN ? "-sS" :
							     "-sT",
				proto == RS_UDP ? "U:PORTS" : "T:PORTS");
		select_proto(cs, proto, cs->within[proto], cs->exclude[proto],
			     proto == RS_TCP ? cs->ports : cs->udp, how[proto],
			     sizeof(how[proto]));
		if (!(proto == RS_TCP ? cs->ports : cs->udp)->count)
			cli_fail(
				"no %sports left to scan%s; check -p, --exclude-ports and the services file",
				scan[RS_TCP] && scan[RS_UDP] ?
					(proto == RS_UDP ? "UDP " : "TCP ") :
					"",
				cs->exclude[proto] ? " after --exclude-ports" :
						     "");
	}
	if (!scan[RS_TCP])
		cs->ports->count = 0;
	if (!scan[RS_UDP])
		cs->udp->count = 0;
	(void)ports_join(cs->ports, cs->ports, cs->udp);
	if (scan[RS_TCP] && scan[RS_UDP])
		snprintf(cs->ports_how, sizeof(cs->ports_how), "%s; %s",
			 how[RS_TCP], how[RS_UDP]);
	else
		snprintf(cs->ports_how, sizeof(cs->ports_how), "%s",
			 how[scan[RS_UDP] ? RS_UDP : RS_TCP]);
	for (proto = RS_TCP; proto <= RS_UDP; proto++) {
		free(cs->within[proto]);
		free(cs->exclude[proto]);
		cs->within[proto] = cs->exclude[proto] = NULL;
	}
	free(cs->udp);
	cs->udp = NULL;
}

/*
 * The scope guard: a set larger than a /8, or one whose ranges reached a
 * reserved block (cut out already by targets_guard_reserved), is most
 * likely a prefix typed too short, and the internet is the wrong place to
 * find out.  The user confirms with --allow-large-scope; --dry-run sends
 * nothing and needs no confirmation.
 */
static void check_scope(const struct cli *cli, const struct targets *t)
{
	const struct targets_reach *r = targets_reached(t);
	uint64_t n = targets_count(t);
	char blocks[128] = "";
	size_t off = 0;

	if (cli->dry_run || cli->allow_large_scope)
		return;
	if (n <= TARGETS_SCOPE_HOSTS && !r->blocks)
		return;
	for (unsigned i = 0; targets_reserved_name(i); i++) {
		int len;

		if (!(r->blocks & (1u << i)))
			continue;
		len = snprintf(blocks + off, sizeof(blocks) - off, "%s%s",
			       off ? ", " : "", targets_reserved_name(i));
		if (len < 0 || (size_t)len >= sizeof(blocks) - off)
			break;
		off += (size_t)len;
	}
	if (r->blocks && n > TARGETS_SCOPE_HOSTS)
		cli_fail(
			"targets: %llu hosts (more than a /8, %llu) and '%s' reaches reserved %s; a prefix typed too short? confirm with --allow-large-scope (reserved blocks stay skipped unless listed on their own), or look first with --dry-run",
			(unsigned long long)n,
			(unsigned long long)TARGETS_SCOPE_HOSTS, r->token,
			blocks);
	if (r->blocks)
		cli_fail(
			"targets: '%s' reaches reserved %s; confirm with --allow-large-scope (reserved blocks stay skipped unless listed on their own), or look first with --dry-run",
			r->token, blocks);
	cli_fail(
		"targets: %llu hosts, more than a /8 (%llu); a prefix typed too short? confirm with --allow-large-scope, or look first with --dry-run",
		(unsigned long long)n, (unsigned long long)TARGETS_SCOPE_HOSTS);
}

/* MemAvailable from /proc/meminfo, else free RAM from sysinfo; 0 unknown. */
static uint64_t mem_available(void)
{
	unsigned long long kb;
	struct sysinfo si;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "re");

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
				fclose(f);
				return (uint64_t)kb * 1024;
			}
		fclose(f);
	}
	if (!sysinfo(&si))
		return ((uint64_t)si.freeram + si.bufferram) * si.mem_unit;
	return 0;
}

/*
 * The state store costs a quarter byte per probe once the probes' pages
 * are touched, and on loopback or a host that answers everything they all
 * are: "-p- 127.0.0.0/8" heads for 256 GiB and the OOM killer.  Refuse
 * what could outgrow the memory available now, before anything is sent.
 * --shards is no way out: a shard's probes are spread over the whole
 * store, so each still touches every page.
 */
static void check_store(const struct cli_scan *cs)
{
	uint64_t need = store_bytes_worst(cs->nprobes);
	uint64_t avail;

	if (cs->cli.dry_run || cs->cli.allow_large_store)
		return;
	avail = mem_available();
	if (!avail || need <= avail)
		return;
	cli_fail(
		"%llu hosts x %u ports need up to %.1f GiB of state (a quarter byte per probe), more than the %.1f GiB of memory available; scan fewer ports, or split the targets into several scans (--shards does not shrink it), or confirm with --allow-large-store",
		(unsigned long long)targets_count(cs->targets),
		cs->ports->count, (double)need / (1ULL << 30),
		(double)avail / (1ULL << 30));
}

static void cli_defaults(struct cli *cli)
{
	memset(cli, 0, sizeof(*cli));
	cli->scan.concurrency = CLI_DEFAULT_CONCURRENCY;
	cli->scan.retries = CLI_DEFAULT_RETRIES;
	cli->scan.max_retries = CLI_DEFAULT_MAX_RETRIES;
	cli->scan.max_scan_delay_ns = CLI_DEFAULT_MAX_SCAN_DELAY_NS;
	cli->scan.cc = true;
	cli->scan.shard_count = 1;
	cli->scan.type = SCAN_CONNECT;
	cli->syn.kind = SYNENGINE_AUTO;
	cli->syn.xdp_mode = AFXDP_MODE_AUTO;
	cli->out.states = OUTPUT_ST_OPEN;
	cli->out.version = RINGSCAN_VERSION;
	if (getrandom(&cli->scan.seed, sizeof(cli->scan.seed), 0) !=
	    sizeof(cli->scan.seed))
		cli->scan.seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();
}

/* The families of the finalized targets: bit 0 IPv4, bit 1 IPv6. */
static unsigned target_families(const struct targets *t)
{
	size_t n = targets_range_count(t);
	unsigned fams = 0;
	rs_u128 lo, hi;
	int family;

	/* Sorted IPv4 before IPv6: the first and the last range tell. */
	for (size_t i = 0; i < n; i += n - 1 ? n - 1 : 1) {
		targets_range(t, i, &family, &lo, &hi);
		fams |= family == AF_INET6 ? 2u : 1u;
	}
	return fams;
}

/*
 * --source-ip for the engines that bind it (-sT's connect engine, -sU):
 * at most SRCADDR_MAX, and one of each family the targets have - a
 * target of a family without a source would go out from the route's
 * address and share its budget, which is not what was asked.  Whether
 * they are this machine's is cli_scan_check_sources' question (not
 * merge's: it may run elsewhere).  -sS alone uses only its single
 * address per family (parse_source_ip) and is not checked, as before.
 */
static void check_sources(struct cli_scan *cs)
{
	struct cli *cli = &cs->cli;
	bool udp = cs->ports->nudp > 0;
	bool connect = cli->scan.type == SCAN_CONNECT &&
		       cs->ports->count > cs->ports->nudp;
	static const char *const fam_name[2] = { "IPv4", "IPv6" };
	struct rs_error err = { 0 };
	unsigned fams;
	int ret;

	if (!cli->sources)
		return;
	ret = srcaddr_finalize(cli->sources, &err);
	if (ret == -E2BIG)
		cli_fail(
			"--source-ip: more than %u addresses; give a smaller range",
			SRCADDR_MAX);
	if (ret == -ENOMEM) {
		fprintf(stderr, "ringscan: out of memory\n");
		exit(EXIT_RUNTIME);
	}
	if (ret)
		fail_parse("--source-ip", &err);
	if (!udp && !connect)
		return;
	fams = target_families(cs->targets);
	for (unsigned f = 0; f < 2; f++)
		if ((fams & (1u << f)) &&
		    !srcaddr_count(cli->sources, f ? AF_INET6 : AF_INET))
			cli_fail(
				"--source-ip has no %s address for the %s targets; add one, or leave those targets out (-%c)",
				fam_name[f], fam_name[f], f ? '4' : '6');
	cli->scan.src = cli->sources;
}

void cli_scan_load(struct cli_scan *cs, int argc, char **argv)
{
	int ret;

	memset(cs, 0, sizeof(*cs));
	cli_defaults(&cs->cli);
	record_command_line(&cs->cli, argc, argv);
	cs->cli.out.command_line = cs->cli.command_line;
	cs->ports = calloc(1, sizeof(*cs->ports));
	cs->udp = new_portlist();
	cs->udp->count = cs->udp->nudp = 0;
	if (!cs->ports || targets_new(&cs->targets)) {
		fprintf(stderr, "ringscan: out of memory\n");
		exit(EXIT_RUNTIME);
	}
	targets_guard_reserved(cs->targets);
	parse_args(&cs->cli, cs->targets, argc, argv);
	ret = services_find(&cs->svc, cs->cli.servicedb, cs->cli.datadir);
	if (ret == -ENOMEM) {
		fprintf(stderr, "ringscan: out of memory\n");
		exit(EXIT_RUNTIME);
	}
	if (ret)
		cli_fail(
			"--servicedb '%s': %s (expected nmap's nmap-services or a services(5) file)",
			cs->cli.servicedb, fileio_strerror(ret));
	select_ports(cs);
	cs->cli.scan.syn = &cs->cli.syn;
	/* main.c drops every capability once the SYN engine is set up. */
	cs->cli.syn.privsep = true;
	cs->cli.out.syn = cs->cli.scan.type == SCAN_SYN;
	cs->cli.out.udp_closed_filtered = cs->cli.scan.defeat_icmp;
	cs->cli.out.has_seed = true; /* random unless --seed: recorded */
	cs->cli.out.seed = cs->cli.scan.seed;

	ret = targets_finalize(cs->targets);
	if (ret == -E2BIG)
		cli_fail(
			"too many target hosts (more than %llu); narrow the ranges",
			(unsigned long long)TARGETS_MAX_HOSTS);
	else if (ret)
		cli_fail("targets: %s", strerror(-ret));
	/* Without excludes only empty lists leave nothing: say which. */
	if (!targets_count(cs->targets) && !cs->cli.exclude_given)
		cli_fail(
			"no targets in '%s' (empty, or only comments); give at least one address",
			cs->cli.list_path ? cs->cli.list_path : "-iL");
	if (!targets_count(cs->targets))
		cli_fail("no targets left to scan after --exclude");
	check_scope(&cs->cli, cs->targets);
	check_sources(cs);
	cs->nprobes = targets_count(cs->targets) * cs->ports->count;
	if (cs->nprobes > CLI_MAX_PROBES)
		cli_fail(
			"%llu hosts x %u ports is too large a scan (max %llu probes); narrow targets or ports",
			(unsigned long long)targets_count(cs->targets),
			cs->ports->count, (unsigned long long)CLI_MAX_PROBES);
	check_store(cs);
	cs->fingerprint = checkpoint_fingerprint(cs->targets, cs->ports,
						 cs->cli.scan.seed,
						 cs->cli.scan.shard_count);
}

void cli_scan_check_sources(const struct cli_scan *cs)
{
	char buf[RS_ADDR_STRLEN];
	struct rs_addr bad;
	int ret;

	if (!cs->cli.scan.src)
		return;
	ret = srcaddr_check_local(cs->cli.scan.src, &bad);
	if (!ret)
		return;
	addr_format(&bad, buf, sizeof(buf));
	cli_fail(
		"--source-ip %s: not usable as a source here (%s); assign it to an interface first, e.g. ip addr add %s/%u dev IFACE%s",
		buf, strerror(-ret), buf, bad.family == AF_INET6 ? 128u : 32u,
		bad.family == AF_INET6 ? " nodad" : "");
}

void cli_scan_free(struct cli_scan *cs)
{
	targets_free(cs->targets);
	services_free(cs->svc);
	srcaddr_free(cs->cli.sources);
	free(cs->ports);
	memset(cs, 0, sizeof(*cs));
}

static const char *syn_engine_error(int err)
{
	switch (-err) {
	case EPERM:
	case EACCES:
		return "-sS needs root (or CAP_NET_RAW, plus CAP_NET_ADMIN and CAP_BPF for AF_XDP); without privileges use -sT";
	case ENODEV:
		return "-sS: no such interface (see -e and 'ip link')";
	case ENETDOWN:
	case ENXIO:
		return "-sS: the interface went down (or was removed) during the scan";
	case ENETUNREACH:
		return "-sS: no route to the first target; give -e IF";
	case EADDRNOTAVAIL:
		return "-sS: the interface has no source address for the targets; give --source-ip";
	case EOPNOTSUPP:
		return "-sS: this interface cannot carry crafted frames (not Ethernet, IPv4 over lo, or AF_XDP forced where unsupported); use -sT or another -e";
	case EEXIST:
	case EBUSY:
		return "-sS --engine xdp: an XDP program is already attached to the interface (if it is a leftover of a killed ringscan: ip link set dev IF xdp off); or use --engine packet";
	default:
		return strerror(-err);
	}
}

const char *cli_engine_error(enum scan_type type, int err)
{
	if (type == SCAN_SYN)
		return syn_engine_error(err);
	switch (-err) {
	case ENOSYS:
	case EPERM:
		return "io_uring is not available (kernel too old, or disabled by sysctl kernel.io_uring_disabled); ringscan needs it";
	case EOPNOTSUPP:
		return "this kernel's io_uring lacks socket ops or direct descriptors (needs Linux 5.19 or later)";
	case EPROTONOSUPPORT:
		return "--source-ip with -sT or -sU needs io_uring's bind op (Linux 6.11 or later); leave --source-ip out on this kernel";
	case EMFILE:
		return "the open-file limit is too low for io_uring's file table; raise 'ulimit -n'";
	case ENOMEM:
		return "out of memory (io_uring ring or locked memory); lower --concurrency";
	default:
		return strerror(-err);
	}
}
