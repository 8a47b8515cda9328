/*
 * main.c - the ringscan command line: the only code that prints or exits.
 *
 * Parsing is by hand rather than getopt_long because nmap's spellings do not
 * fit getopt: "-sT", "-oN FILE", "-p-", "-iL FILE" are two-letter options,
 * some with their argument glued on.  Every bad token becomes one line on
 * stderr naming it and what to do, and exit status 1, before any probe is
 * sent.  Configuration is gathered into a const struct and handed to the
 * scan; the only mutable global is the stop flag set by SIGINT/SIGTERM.
 *
 * Exit status: 0 finished, 1 bad input, 2 runtime failure, 128+signal when
 * stopped by a signal (results gathered so far are still written).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "ports.h"
#include "scan.h"
#include "services.h"
#include "store.h"
#include "targets.h"
#include "version.h"

#define EXIT_BAD_INPUT 1
#define EXIT_RUNTIME 2

#define DEFAULT_CONCURRENCY 4096
#define DEFAULT_RETRIES 3
#define MAX_PROBES (1ULL << 40) /* 256 GiB of store address space */

static volatile sig_atomic_t stop_signal;

struct cli {
	struct scan_config scan;
	struct output_config out;
	const char *ports_spec;
	bool dry_run;
	bool concurrency_set;
	int verbose;
	char command_line[1024];
};

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *f)
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
		"                       default: 1-1024 and common service ports\n"
		"Scan:\n"
		"  -sT                  TCP connect scan (the default)\n"
		"  --rate N             at most N new probes per second (0 = no limit)\n"
		"  --concurrency N      at most N probes in flight (default %u)\n"
		"  --timeout MS         per-attempt timeout (default: adaptive,\n"
		"                       100-1000 ms from measured round trips)\n"
		"  --retries N          extra attempts without answer (default %u)\n"
		"  --seed N             order of probes (same seed, same order)\n"
		"  --dry-run            print the probes in send order, send nothing\n"
		"Output (FILE - = stdout; text goes to stdout too):\n"
		"  -oN FILE             nmap-style text\n"
		"  -oC FILE             CSV: host,port,proto,state,service,reason,rtt_ms\n"
		"  -oJ FILE             JSON lines\n"
		"  --states LIST        states written to CSV/JSON: open,closed,filtered\n"
		"                       (default open)\n"
		"  --open               show only open ports in the text report\n"
		"  -v                   say what the engine chose; summary counts\n"
		"  -h, --help           this text;  --version  the version\n"
		"Exit: 0 done, 1 bad input, 2 runtime failure, 128+N on signal N.\n",
		DEFAULT_CONCURRENCY, DEFAULT_RETRIES);
}

static void __attribute__((format(printf, 1, 2))) fail_input(const char *fmt,
							     ...)
{
	va_list ap;

	fputs("ringscan: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_BAD_INPUT);
}

static void fail_parse(const char *what, const struct rs_error *err)
{
	if (err->line)
		fail_input("%s '%s' (line %lu): %s", what, err->token,
			   err->line, err->reason ? err->reason : "invalid");
	fail_input("%s '%s': %s", what, err->token,
		   err->reason ? err->reason : "invalid");
}

static uint64_t parse_uint(const char *opt, const char *s, uint64_t min,
			   uint64_t max)
{
	unsigned long long v;
	char *end;

	if (!*s || *s < '0' || *s > '9')
		fail_input("%s '%s': expected a whole number from %llu to %llu",
			   opt, s, (unsigned long long)min,
			   (unsigned long long)max);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		fail_input("%s '%s': expected a whole number from %llu to %llu",
			   opt, s, (unsigned long long)min,
			   (unsigned long long)max);
	return v;
}

/* "--name=value" or "--name value"; returns the value or NULL. */
static const char *long_value(const char *arg, const char *name, int argc,
			      char **argv, int *i)
{
	size_t n = strlen(name);

	if (strncmp(arg, name, n))
		return NULL;
	if (arg[n] == '=')
		return arg + n + 1;
	if (arg[n])
		return NULL;
	if (*i + 1 >= argc)
		fail_input("%s needs a value; see ringscan --help", name);
	return argv[++*i];
}

static const char *short_value(const char *opt, int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		fail_input("%s needs a value; see ringscan --help", opt);
	return argv[++*i];
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

static void parse_args(struct cli *cli, struct targets *t,
		       const struct services *svc, struct portlist *pl,
		       int argc, char **argv)
{
	struct rs_error err;
	bool have_targets = false, ports_given = false;
	const char *v;
	int i, ret;

	memset(&err, 0, sizeof(err));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || !a[1]) {
			if ((ret = targets_add(t, a, &err)))
				fail_parse("target", &err);
			have_targets = true;
		} else if (!strcmp(a, "--")) {
			for (i++; i < argc; i++) {
				if (targets_add(t, argv[i], &err))
					fail_parse("target", &err);
				have_targets = true;
			}
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
			printf("ringscan %s\n", RINGSCAN_VERSION);
			exit(0);
		} else if (!strncmp(a, "-p", 2) && a[1] == 'p' &&
			   strncmp(a, "--", 2)) {
			cli->ports_spec = a[2] ? a + 2 :
						 short_value("-p", argc, argv, &i);
			ports_given = true;
		} else if (!strcmp(a, "-sT")) {
			/* the default and only scan type so far */
		} else if (!strncmp(a, "-s", 2) && a[2]) {
			fail_input("scan type '%s' is not supported yet; use -sT (TCP connect)",
				   a);
		} else if (!strcmp(a, "-oN")) {
			cli->out.normal_path = short_value(a, argc, argv, &i);
		} else if (!strcmp(a, "-oC")) {
			cli->out.csv_path = short_value(a, argc, argv, &i);
		} else if (!strcmp(a, "-oJ")) {
			cli->out.json_path = short_value(a, argc, argv, &i);
		} else if (!strncmp(a, "-o", 2) && a[1] == 'o') {
			fail_input("output option '%s' is not supported; use -oN, -oC or -oJ",
				   a);
		} else if (!strcmp(a, "-iL")) {
			v = short_value(a, argc, argv, &i);
			if ((ret = targets_add_file(t, v, &err))) {
				if (ret != -EINVAL && ret != -E2BIG)
					fail_input("-iL '%s': %s", v,
						   strerror(-ret));
				fail_parse("target", &err);
			}
			have_targets = true;
		} else if ((v = long_value(a, "--excludefile", argc, argv,
					   &i))) {
			if ((ret = targets_exclude_file(t, v, &err))) {
				if (ret != -EINVAL && ret != -E2BIG)
					fail_input("--excludefile '%s': %s", v,
						   strerror(-ret));
				fail_parse("exclude", &err);
			}
		} else if ((v = long_value(a, "--exclude", argc, argv, &i))) {
			if (targets_exclude(t, v, &err))
				fail_parse("exclude", &err);
		} else if ((v = long_value(a, "--rate", argc, argv, &i)) ||
			   (v = long_value(a, "--max-rate", argc, argv, &i))) {
			cli->scan.rate = parse_uint("--rate", v, 0, 100000000);
		} else if ((v = long_value(a, "--concurrency", argc, argv,
					   &i))) {
			cli->scan.concurrency = (uint32_t)parse_uint(
				"--concurrency", v, 1, 1000000);
			cli->concurrency_set = true;
		} else if ((v = long_value(a, "--timeout", argc, argv, &i))) {
			cli->scan.timeout_ns =
				parse_uint("--timeout", v, 1, 3600000) *
				1000000ULL;
		} else if ((v = long_value(a, "--retries", argc, argv, &i)) ||
			   (v = long_value(a, "--max-retries", argc, argv,
					   &i))) {
			cli->scan.retries =
				(uint32_t)parse_uint("--retries", v, 0, 100);
		} else if ((v = long_value(a, "--seed", argc, argv, &i))) {
			cli->scan.seed = parse_uint("--seed", v, 0, UINT64_MAX);
		} else if ((v = long_value(a, "--states", argc, argv, &i))) {
			if (output_parse_states(v, &cli->out.states, &err))
				fail_parse("--states", &err);
		} else if (!strcmp(a, "--open")) {
			cli->out.open_only = true;
		} else if (!strcmp(a, "--dry-run")) {
			cli->dry_run = true;
		} else if (!strcmp(a, "-Pn") || !strcmp(a, "-n")) {
			/* nmap habits: no ping and no DNS are what we do */
		} else if (a[0] == '-' && a[1] == 'v' &&
			   strspn(a + 1, "v") == strlen(a + 1)) {
			cli->verbose += (int)strlen(a + 1);
		} else {
			fail_input("unknown option '%s'; see ringscan --help",
				   a);
		}
	}

	if (!have_targets)
		fail_input("no targets given; for example: ringscan -p 1-1024 127.0.0.1");
	if (ports_given) {
		/* nmap's "-p-" arrives here as "-". */
		if (ports_parse(cli->ports_spec, svc, pl, &err))
			fail_parse("-p", &err);
	} else {
		ports_default(pl);
	}
}

static void cli_defaults(struct cli *cli)
{
	memset(cli, 0, sizeof(*cli));
	cli->scan.concurrency = DEFAULT_CONCURRENCY;
	cli->scan.retries = DEFAULT_RETRIES;
	cli->scan.shard_count = 1;
	cli->out.states = OUTPUT_ST_OPEN;
	cli->out.version = RINGSCAN_VERSION;
	if (getrandom(&cli->scan.seed, sizeof(cli->scan.seed), 0) !=
	    sizeof(cli->scan.seed))
		cli->scan.seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();
}

struct run_ctx {
	struct output *out;
	int write_err;
	bool progress_tty;
	bool progress_shown;
	int verbose;
	uint32_t concurrency_asked;
	bool concurrency_set;
};

static void hook_result(void *p, const struct output_result *r)
{
	struct run_ctx *rc = p;
	int ret = output_result(rc->out, r);

	if (ret && !rc->write_err)
		rc->write_err = ret;
}

static void hook_progress(void *p, const struct scan_progress *pr)
{
	struct run_ctx *rc = p;
	const struct sched_stats *s = &pr->sched;
	double secs = (double)pr->elapsed_ns / 1e9;
	double rate = secs > 0 ? (double)s->attempts / secs : 0;
	double frac = s->total ? (double)s->finished / (double)s->total : 1;
	double eta = frac > 0 ? secs / frac - secs : 0;

	if (!rc->progress_tty)
		return;
	fprintf(stderr,
		"\r\033[K%llu/%llu probes (%.1f%%), %.0f/s, %llu open, %llu retries, ETA %.0fs",
		(unsigned long long)s->finished, (unsigned long long)s->total,
		frac * 100.0, rate, (unsigned long long)pr->open,
		(unsigned long long)s->retries, eta < 0 ? 0 : eta);
	rc->progress_shown = true;
}

static void hook_engine(void *p, const struct engine_info *info)
{
	struct run_ctx *rc = p;

	if (info->slots < rc->concurrency_asked && rc->concurrency_set)
		fprintf(stderr,
			"ringscan: note: --concurrency %u capped to %u by the open-file limit (raise 'ulimit -n')\n",
			rc->concurrency_asked, info->slots);
	if (rc->verbose)
		fprintf(stderr,
			"ringscan: engine io_uring: %u slots, ring %s (sq %u, cq %u), direct descriptors, %s\n",
			info->slots, info->setup, info->sq_entries,
			info->cq_entries,
			info->linger_rst ? "reset on close (SO_LINGER 0)" :
					   "plain close (no socket uring_cmd)");
}

static void print_probe(void *ctx, const struct rs_addr *a, uint16_t port)
{
	char buf[RS_ADDR_STRLEN];

	(void)ctx;
	printf("%s %u\n", addr_format(a, buf, sizeof(buf)), port);
}

static const char *engine_error_text(int err)
{
	switch (-err) {
	case ENOSYS:
	case EPERM:
		return "io_uring is not available (kernel too old, or disabled by sysctl kernel.io_uring_disabled); ringscan needs it";
	case EOPNOTSUPP:
		return "this kernel's io_uring lacks socket ops or direct descriptors (needs Linux 5.19 or later)";
	case EMFILE:
		return "the open-file limit is too low for io_uring's file table; raise 'ulimit -n'";
	case ENOMEM:
		return "out of memory (io_uring ring or locked memory); lower --concurrency";
	default:
		return strerror(-err);
	}
}

int main(int argc, char **argv)
{
	struct services *svc = NULL;
	struct targets *t = NULL;
	struct portlist *pl;
	struct store *store = NULL;
	struct output *out = NULL;
	struct scan_summary sum;
	struct run_ctx rc;
	struct scan_hooks hooks;
	struct output_report rep;
	struct rs_error err;
	struct sigaction sa;
	struct cli cli;
	uint64_t nprobes;
	time_t start_time;
	int ret, status = 0;

	cli_defaults(&cli);
	record_command_line(&cli, argc, argv);
	cli.out.command_line = cli.command_line;
	pl = calloc(1, sizeof(*pl));
	if (!pl || services_load(&svc, NULL) || targets_new(&t)) {
		fprintf(stderr, "ringscan: out of memory\n");
		return EXIT_RUNTIME;
	}
	parse_args(&cli, t, svc, pl, argc, argv);

	ret = targets_finalize(t);
	if (ret == -E2BIG)
		fail_input("too many target hosts (more than %llu); narrow the ranges",
			   (unsigned long long)TARGETS_MAX_HOSTS);
	else if (ret)
		fail_input("targets: %s", strerror(-ret));
	if (!targets_count(t))
		fail_input("no targets left to scan after --exclude");
	nprobes = targets_count(t) * pl->count;
	if (nprobes > MAX_PROBES)
		fail_input("%llu hosts x %u ports is too large a scan (max %llu probes); narrow targets or ports",
			   (unsigned long long)targets_count(t), pl->count,
			   (unsigned long long)MAX_PROBES);

	if (cli.dry_run) {
		scan_dry_run(&cli.scan, t, pl, print_probe, NULL);
		goto out_free;
	}

	cli.out.text_stdout = true;
	if ((cli.out.csv_path && !strcmp(cli.out.csv_path, "-")) ||
	    (cli.out.json_path && !strcmp(cli.out.json_path, "-")))
		cli.out.text_stdout = false;
	memset(&err, 0, sizeof(err));
	ret = output_open(&out, &cli.out, svc, &err);
	if (ret) {
		fprintf(stderr, "ringscan: cannot write output '%s': %s\n",
			err.token, strerror(-ret));
		status = EXIT_BAD_INPUT;
		goto out_free;
	}
	ret = store_new(&store, nprobes);
	if (ret) {
		fprintf(stderr,
			"ringscan: cannot map a state store for %llu probes: %s; narrow targets or ports\n",
			(unsigned long long)nprobes, strerror(-ret));
		status = EXIT_RUNTIME;
		goto out_close_output;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: interrupt the wait */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&rc, 0, sizeof(rc));
	rc.out = out;
	rc.progress_tty = isatty(STDERR_FILENO);
	rc.verbose = cli.verbose;
	rc.concurrency_asked = cli.scan.concurrency;
	rc.concurrency_set = cli.concurrency_set;
	hooks = (struct scan_hooks){ .result = hook_result,
				     .progress = hook_progress,
				     .engine_ready = hook_engine,
				     .ctx = &rc };
	start_time = time(NULL);
	ret = scan_run(&cli.scan, t, pl, store, &hooks, &stop_signal, &sum);
	if (rc.progress_shown)
		fputs("\r\033[K", stderr);
	if (ret) {
		fprintf(stderr, "ringscan: %s\n", engine_error_text(ret));
		status = EXIT_RUNTIME;
		goto out_free_store;
	}

	rep = (struct output_report){
		.targets = t,
		.ports = pl,
		.store = store,
		.elapsed_s = (double)sum.elapsed_ns / 1e9,
		.complete = sum.complete,
		.start_time = start_time,
	};
	ret = output_finish(out, &rep);
	if (ret || rc.write_err) {
		fprintf(stderr, "ringscan: writing results failed: %s\n",
			strerror(-(ret ? ret : rc.write_err)));
		status = EXIT_RUNTIME;
	}
	if (cli.verbose)
		fprintf(stderr,
			"ringscan: %llu probes, %llu attempts (%llu retries, %llu deferred), %llu self-connections rejected, %llu local errors, %.2f s\n",
			(unsigned long long)sum.sched.total,
			(unsigned long long)sum.sched.attempts,
			(unsigned long long)sum.sched.retries,
			(unsigned long long)sum.sched.deferred,
			(unsigned long long)sum.self_connects,
			(unsigned long long)sum.errors,
			(double)sum.elapsed_ns / 1e9);
	if (stop_signal) {
		fprintf(stderr,
			"ringscan: stopped by signal %d; results so far were written\n",
			(int)stop_signal);
		status = 128 + (int)stop_signal;
	}

out_free_store:
	store_free(store);
out_close_output:
	if (output_close(out) && !status)
		status = EXIT_RUNTIME;
out_free:
	targets_free(t);
	services_free(svc);
	free(pl);
	return status;
}
