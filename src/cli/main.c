/*
 * main.c - the ringscan command: signals, hooks, resume, and the run.
 *
 * Only the CLI code - main.c, cli.c, and the subcommands audit_cli.c and
 * merge_cli.c - prints messages or chooses the exit status; every other
 * module returns -errno (output.c writes results, not messages, where the
 * user asked).  The command line becomes a defined scan in cli.c; here it
 * is run: the stop flag (the one mutable global) is set by SIGINT/SIGTERM,
 * results stream to the writers through hooks, a progress line goes to
 * stderr when it is a terminal, and checkpoints are saved when asked.  What a user watching
 * the scan sees does not depend on a terminal: "Starting ringscan" goes to
 * stdout as the scan starts, and with -v each open port found becomes a
 * "Discovered open port" line on stderr.  Those lines are gathered from the
 * result hook into a fixed buffer and written once per batch of results
 * (the results_done hook), so the loop pays no syscall per open port and
 * the engines themselves never print.  A "Stats:" line goes to stderr
 * every --stats-every, terminal or not.
 *
 * What each level says on stderr: -v the engine chosen, the fallback when
 * nmap's services database is missing, pacing changes (the first
 * RUN_MAX_PACE_REPORTS per host) and the closing counters; -vv also where
 * services and ports came from, every per-host pacing change and the
 * results counted by state; -d (which implies -v) the whole scan
 * configuration before it starts; -dd the port list and target ranges
 * too.
 *
 * A -sS scan gives up every capability (privsep.h) as soon as its engine
 * is set up, before the first probe: the frames it parses and the files it
 * writes from then on are handled without privilege.
 *
 * Exit status: 0 finished, 1 bad input, 2 runtime failure, 128+signal when
 * stopped by a signal (results gathered so far are still written).
 */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_cli.h"
#include "cc.h"
#include "checkpoint.h"
#include "cli.h"
#include "fileio.h"
#include "merge_cli.h"
#include "output.h"
#include "privsep.h"
#include "scan.h"
#include "store.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/*
 * The -v "Discovered" lines of one batch gather here before one write to
 * stderr; a line is at most ~90 bytes, so a batch that finds more than
 * ~90 open ports writes more than once, which is still far from one write
 * per port.
 */
#define RUN_DISC_BYTES 8192
#define RUN_DISC_LINE 128

struct run_ctx {
	struct output *out;
	const struct targets *targets; /* for host names */
	/* checkpoints */
	const char *ckpt_path;
	struct checkpoint ckpt; /* identity fields filled once */
	int ckpt_err;
	int write_err;
	bool progress_tty;
	bool progress_shown;
	int verbose;
	bool privdrop_failed; /* hook_syn said why: no second line */
	uint32_t concurrency_asked;
	bool concurrency_set;
	/* progress: finish rate smoothed between calls */
	double prog_secs, prog_rate;
	uint64_t prog_finished;
	uint32_t pace_reports; /* per-host -v lines so far */
	/* -v "Discovered open port" lines of the current batch */
	bool live; /* results found by this run, not replayed */
	time_t start_time;
	size_t disc_len;
	char disc[RUN_DISC_BYTES];
	uint64_t stats_every_ns; /* --stats-every; 0 none */
	uint64_t next_stats_ns;
	uint64_t count[4]; /* results by enum output_state, for -vv */
};

/* Per-host pacing lines are capped: a /16 of rate-limiting hosts would
 * otherwise print one line per host. */
#define RUN_MAX_PACE_REPORTS 20

/* The gathered Discovered lines to stderr, over the progress line. */
static void disc_flush(struct run_ctx *rc)
{
	if (!rc->disc_len)
		return;
	if (rc->progress_shown) {
		fputs("\r\033[K", stderr);
		rc->progress_shown = false;
	}
	fwrite(rc->disc, 1, rc->disc_len, stderr);
	fflush(stderr);
	rc->disc_len = 0;
}

static void hook_result(void *p, const struct output_result *r)
{
	struct run_ctx *rc = p;
	struct output_result named = *r;
	char buf[RS_ADDR_STRLEN];
	int ret, n;

	if ((unsigned)r->state < 4)
		rc->count[r->state]++;
	/* O(1) when no target was a name. */
	named.hostname = targets_addr_name(rc->targets, r->addr);
	ret = output_result(rc->out, &named);
	if (ret && !rc->write_err)
		rc->write_err = ret;
	if (!rc->verbose || !rc->live || r->state != OUT_OPEN)
		return;
	if (sizeof(rc->disc) - rc->disc_len < RUN_DISC_LINE)
		disc_flush(rc);
	/* nmap's words, address only (as nmap, even for a named host). */
	n = snprintf(rc->disc + rc->disc_len, RUN_DISC_LINE,
		     "Discovered open port %u/%s on %s\n", (unsigned)r->port,
		     r->proto == RS_UDP ? "udp" : "tcp",
		     addr_format(r->addr, buf, sizeof(buf)));
	if (n > 0 && n < RUN_DISC_LINE)
		rc->disc_len += (size_t)n;
}

static void hook_results_done(void *p)
{
	disc_flush(p);
}

/*
 * The progress line shows the current pace, not the average since the
 * start: the rate of probes finishing, smoothed over about two seconds,
 * and an ETA from it - none in the first second, when the controller is
 * still finding the path's rate and any ETA would be a guess.
 */
static void hook_progress(void *p, const struct scan_progress *pr)
{
	struct run_ctx *rc = p;
	const struct sched_stats *s = &pr->sched;
	double secs = (double)pr->elapsed_ns / 1e9;
	double frac = s->total ? (double)s->finished / (double)s->total : 1;
	double dt = secs - rc->prog_secs;
	char eta[32] = "--";
	int ret = output_tick(rc->out);

	if (ret && !rc->write_err)
		rc->write_err = ret;
	if (dt > 0) {
		double now_rate =
			(double)(s->finished - rc->prog_finished) / dt;
		double w = dt / 2.0 < 1.0 ? dt / 2.0 : 1.0;

		rc->prog_rate = rc->prog_secs > 0 ?
					rc->prog_rate * (1 - w) + now_rate * w :
					now_rate;
		rc->prog_secs = secs;
		rc->prog_finished = s->finished;
	}
	if (secs >= 1.0 && rc->prog_rate > 0)
		snprintf(eta, sizeof(eta), "%.0fs",
			 (double)(s->total - s->finished) / rc->prog_rate);
	if (rc->stats_every_ns && pr->elapsed_ns >= rc->next_stats_ns &&
	    s->finished < s->total) {
		uint64_t t = pr->elapsed_ns / NS_PER_S;

		/* A line of its own, terminal or not (nmap's "Stats:"). */
		fprintf(stderr,
			"%sStats: %llu:%02llu:%02llu elapsed; %llu/%llu probes (%.1f%%), %.0f/s, %llu open, %llu retries, ETA %s\n",
			rc->progress_shown ? "\r\033[K" : "",
			(unsigned long long)(t / 3600),
			(unsigned long long)(t / 60 % 60),
			(unsigned long long)(t % 60),
			(unsigned long long)s->finished,
			(unsigned long long)s->total, frac * 100.0,
			rc->prog_rate, (unsigned long long)pr->open,
			(unsigned long long)s->retries, eta);
		while (rc->next_stats_ns <= pr->elapsed_ns)
			rc->next_stats_ns += rc->stats_every_ns;
	}
	if (!rc->progress_tty)
		return;
	fprintf(stderr,
		"\r\033[K%llu/%llu probes (%.1f%%), %.0f/s, %u in flight, %llu open, %llu retries, ETA %s",
		(unsigned long long)s->finished, (unsigned long long)s->total,
		frac * 100.0, rc->prog_rate, s->inflight,
		(unsigned long long)pr->open, (unsigned long long)s->retries,
		eta);
	rc->progress_shown = true;
}

static const char *pace_reason(int r)
{
	switch (r) {
	case CC_DELAY:
		return "round trips rose above the path's minimum";
	case CC_SILENCE:
		return "answers went missing";
	case CC_LIMIT:
		return "answers held level when the pace halved: the target limits them";
	case CC_RETRIES:
		return "retries were answered where the first tries were not: the target limits its answers";
	default:
		return "answers stopped growing";
	}
}

/* -v: say when and why the scan slows down. */
static void hook_pace(void *p, const struct sched_event *ev,
		      const struct rs_addr *host)
{
	struct run_ctx *rc = p;
	char buf[RS_ADDR_STRLEN];

	if (rc->verbose < 1 || ev->reason == CC_NONE)
		return;
	if (host && rc->verbose < 2 && rc->pace_reports >= RUN_MAX_PACE_REPORTS)
		return;
	fprintf(stderr, "%s", rc->progress_shown ? "\r\033[K" : "");
	if (host) {
		addr_format(host, buf, sizeof(buf));
		rc->pace_reports++;
		fprintf(stderr,
			"ringscan: %s answers at %.0f/s (%s): pacing that host at %.0f/s\n",
			buf, ev->answers, pace_reason(ev->reason), ev->rate);
	} else {
		fprintf(stderr,
			"ringscan: the path answers at %.0f/s (%s): pacing the scan at %.0f/s\n",
			ev->answers, pace_reason(ev->reason), ev->rate);
	}
}

static void hook_checkpoint(void *p, const struct scan_position *pos)
{
	struct run_ctx *rc = p;
	int ret;

	rc->ckpt.issued = pos->issued;
	rc->ckpt.elapsed_ns = pos->elapsed_ns;
	rc->ckpt.complete = pos->complete;
	rc->ckpt.npending = pos->npending;
	rc->ckpt.pending = (struct sched_probe *)pos->pending;
	ret = checkpoint_write(rc->ckpt_path, &rc->ckpt);
	if (ret && !rc->ckpt_err) {
		/* Say it once; the scan itself goes on. */
		fputs(rc->progress_shown ? "\r\033[K" : "", stderr);
		cli_say("ringscan: ",
			"cannot write checkpoint '%s': %s; the scan continues without it",
			rc->ckpt_path, fileio_strerror(ret));
		rc->ckpt_err = ret;
	}
}

/*
 * The engine is ready and nothing is sent yet: the scan starts, and
 * stdout says so (an engine that cannot be set up says why instead).  A
 * closed stdout fails here too; the scan still writes its files.
 */
static void run_started(struct run_ctx *rc)
{
	int ret = output_start(rc->out, rc->start_time);

	if (ret && !rc->write_err)
		rc->write_err = ret;
}

static void hook_udp(void *p, const struct udpengine_info *info)
{
	struct run_ctx *rc = p;

	run_started(rc);
	if (rc->verbose)
		fprintf(stderr,
			"ringscan: UDP engine io_uring: %u slots, ring %s (sq %u, cq %u), %s\n",
			info->slots, info->setup, info->sq_entries,
			info->cq_entries,
			info->recverr ?
				"IP_RECVERR: ICMP codes read from the error queue" :
				"no socket uring_cmd: reasons from errno only, ICMP net/host unreachable unseen");
	if (rc->verbose && info->sources)
		fprintf(stderr,
			"ringscan: UDP engine: probes spread over %u source addresses (IORING_OP_BIND)\n",
			info->sources);
}

static void hook_engine(void *p, const struct engine_info *info)
{
	struct run_ctx *rc = p;

	run_started(rc);
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
	if (rc->verbose && info->sources)
		fprintf(stderr,
			"ringscan: engine: probes spread over %u source addresses (IORING_OP_BIND, IP_BIND_ADDRESS_NO_PORT)\n",
			info->sources);
}

static int hook_syn(void *p, const struct synengine_info *info)
{
	struct run_ctx *rc = p;
	int ret;

	if (info->xdp_err)
		fprintf(stderr,
			"ringscan: notice: AF_XDP unavailable on %s (%s); using AF_PACKET\n",
			info->ifname, strerror(-info->xdp_err));
	/* Refuse to scan with privileges we meant to give up. */
	ret = privsep_drop();
	if (ret) {
		fprintf(stderr,
			"ringscan: -sS: cannot drop capabilities after setup (%s)\n",
			strerror(-ret));
		rc->privdrop_failed = true;
		return ret;
	}
	run_started(rc);
	if (!rc->verbose)
		return 0;
	if (info->kind == SYNENGINE_XDP)
		fprintf(stderr,
			"ringscan: engine AF_XDP on %s: %s mode, %s, %s, %u queue(s), %u slots, source ports %u-%u\n",
			info->ifname, info->xdp.attach, info->xdp.bind,
			info->xdp.dispatcher ?
				"libxdp dispatcher" :
				"single program (no bpffs for libxdp's dispatcher)",
			info->xdp.queues, info->slots, info->sport_lo,
			info->sport_hi);
	else
		fprintf(stderr,
			"ringscan: engine AF_PACKET on %s: %u slots, source ports %u-%u\n",
			info->ifname, info->slots, info->sport_lo,
			info->sport_hi);
	fprintf(stderr, "ringscan: capabilities dropped, no_new_privs set%s\n",
		info->keeper ?
			"; a keeper process resolves next hops and detaches XDP" :
			"");
	return 0;
}

/*
 * -R: the name of every host up (that answered at all, as the reports
 * count it), by reverse lookup, after the scan and before the reports.
 * Hosts are walked in index order, which targets_set_ptr wants.  Lookups
 * go through the system resolver (getnameinfo, NI_NAMEREQD: no name, no
 * entry); a host without a name is simply shown without one.
 */
static void reverse_lookups(struct targets *t, const struct portlist *pl,
			    const struct store *store)
{
	uint64_t total = targets_count(t) * pl->count;
	uint64_t p = total ? store_next_set(store, 0, total) : 0;

	while (p < total) {
		uint64_t host = p / pl->count, end = (host + 1) * pl->count;
		struct sockaddr_storage ss;
		char name[NI_MAXHOST];
		struct rs_addr a;
		bool up = false;
		socklen_t len;

		for (; p < end; p = store_next_set(store, p + 1, end)) {
			enum store_state st = store_get(store, p);

			if (st == STORE_OPEN || st == STORE_CLOSED) {
				up = true;
				break;
			}
		}
		if (up) {
			targets_get(t, host, &a);
			len = addr_to_sockaddr(&a, 0, &ss);
			if (!getnameinfo((struct sockaddr *)&ss, len, name,
					 sizeof(name), NULL, 0, NI_NAMEREQD))
				(void)targets_set_ptr(t, host, name);
		}
		p = store_next_set(store, end, total);
	}
}

/* "ADDR PORT" for TCP (as before UDP existed), "ADDR PORT/udp" for UDP. */
static void print_probe(void *ctx, const struct rs_addr *a, uint16_t port,
			enum rs_proto proto)
{
	char buf[RS_ADDR_STRLEN];

	(void)ctx;
	printf("%s %u%s\n", addr_format(a, buf, sizeof(buf)), port,
	       proto == RS_UDP ? "/udp" : "");
}

/*
 * Where service names and the ports came from, once: the fallback without
 * nmap's database at -v (it changes what a default scan covers, so it is
 * worth a line), nmap's database itself, the expected case, at -vv.
 */
static void say_services(const struct cli_scan *cs)
{
	const char *src = services_source(cs->svc);

	if (services_has_ratios(cs->svc) && cs->cli.verbose >= 2)
		cli_say("ringscan: ",
			"services from %s (nmap's port frequencies); ports: %s, %u in all",
			src, cs->ports_how, cs->ports->count);
	else if (!services_has_ratios(cs->svc))
		cli_say("ringscan: ",
			"%s: service names from %s, without nmap's frequencies; ports: %s, %u in all",
			cs->cli.servicedb ?
				"--servicedb has no port frequencies" :
				"nmap's nmap-services not found (install nmap, or give --servicedb FILE)",
			src ? src : "nowhere (every port is 'unknown')",
			cs->ports_how, cs->ports->count);
}

static void say_ports(const struct portlist *pl)
{
	uint32_t i = 0;

	fprintf(stderr, "ringscan: debug: port list:");
	while (i < pl->count) {
		uint32_t j = i;

		while (j + 1 < pl->count && pl->port[j + 1] == pl->port[j] + 1)
			j++;
		if (j > i)
			fprintf(stderr, "%s%u-%u", i ? "," : " ", pl->port[i],
				pl->port[j]);
		else
			fprintf(stderr, "%s%u", i ? "," : " ", pl->port[i]);
		i = j + 1;
	}
	fputc('\n', stderr);
}

static void say_targets(const struct targets *t)
{
	size_t i, n = targets_range_count(t);

	for (i = 0; i < n; i++) {
		char lo[RS_ADDR_STRLEN], hi[RS_ADDR_STRLEN];
		struct rs_addr a, b;
		rs_u128 vlo, vhi;
		int family;

		targets_range(t, i, &family, &vlo, &vhi);
		addr_from_u128(&a, family, vlo);
		addr_from_u128(&b, family, vhi);
		addr_format(&a, lo, sizeof(lo));
		addr_format(&b, hi, sizeof(hi));
		if (vlo == vhi)
			fprintf(stderr, "ringscan: debug: target range %s\n",
				lo);
		else
			fprintf(stderr, "ringscan: debug: target range %s-%s\n",
				lo, hi);
	}
}

/* A time option; 0 is the scheduler's own default where zero_default. */
static void print_ns(const char *name, uint64_t ns, bool zero_default)
{
	if (!ns && zero_default)
		fprintf(stderr, " %s default", name);
	else
		fprintf(stderr, " %s %.3gs", name, (double)ns / 1e9);
}

/*
 * -d: the scan as the command line defined it, every default filled in,
 * before anything is sent - what to compare when two runs differ.
 */
/* The sources -sT/-sU bind, per family: how many, first and last. */
static void say_sources(const struct srcaddr *src)
{
	static const int fam[2] = { AF_INET, AF_INET6 };
	char lo[RS_ADDR_STRLEN], hi[RS_ADDR_STRLEN];

	for (unsigned f = 0; f < 2; f++) {
		uint32_t n = srcaddr_count(src, fam[f]);

		if (!n)
			continue;
		addr_format(srcaddr_get(src, fam[f], 0), lo, sizeof(lo));
		addr_format(srcaddr_get(src, fam[f], n - 1), hi, sizeof(hi));
		fprintf(stderr,
			"ringscan: debug: --source-ip: %u %s source(s), %s .. %s\n",
			n, f ? "IPv6" : "IPv4", lo, hi);
	}
}

static void say_config(const struct cli_scan *cs)
{
	const struct scan_config *sc = &cs->cli.scan;

	fprintf(stderr,
		"ringscan: debug: %s scan, %llu hosts x %u ports = %llu probes; order %s, seed %llu, shard %u/%u\n",
		sc->type == SCAN_SYN ? "SYN (-sS)" : "connect (-sT)",
		(unsigned long long)targets_count(cs->targets),
		cs->ports->count, (unsigned long long)cs->nprobes,
		sc->sequential ? "sequential (-r)" : "permuted",
		(unsigned long long)sc->seed, sc->shard_index + 1,
		sc->shard_count);
	fprintf(stderr, "ringscan: debug: ports: %s; services from %s%s\n",
		cs->ports_how,
		services_source(cs->svc) ? services_source(cs->svc) : "nowhere",
		services_has_ratios(cs->svc) ? " (with frequencies)" : "");
	fprintf(stderr,
		"ringscan: debug: concurrency %u, rate %llu/s (0 none), min-rate %llu/s, %s, retries %u, max-retries %u\n",
		sc->concurrency, (unsigned long long)sc->rate,
		(unsigned long long)sc->min_rate,
		sc->cc ? "congestion control" : "fixed rate (--no-cc)",
		sc->retries, sc->max_retries);
	fprintf(stderr, "ringscan: debug: timing:");
	if (sc->timeout_ns)
		print_ns("fixed timeout", sc->timeout_ns, false);
	else
		fprintf(stderr, " adaptive timeout,");
	print_ns("initial-rtt", sc->rto_init_ns, true);
	print_ns("min-rtt", sc->rto_min_ns, true);
	print_ns("max-rtt", sc->rto_max_ns, true);
	print_ns("scan-delay", sc->scan_delay_ns, false);
	print_ns("max-scan-delay", sc->max_scan_delay_ns, false);
	print_ns("stats-every", cs->cli.stats_every_ns, false);
	fputc('\n', stderr);
	if (sc->src)
		say_sources(sc->src);
	if (sc->defeat_icmp)
		fprintf(stderr,
			"ringscan: debug: --defeat-icmp-ratelimit: a UDP port's first silence is final (closed|filtered)\n");
	if (sc->banners)
		fprintf(stderr,
			"ringscan: debug: banners (%s): %.3f s per open port, %u bytes at most%s\n",
			cs->cli.banners_opt,
			(double)(sc->banner_timeout_ns ?
					 sc->banner_timeout_ns :
					 ENGINE_BANNER_TIMEOUT_DEFAULT_NS) /
				1e9,
			ENGINE_BANNER_CAP,
			cs->cli.out.version_col ? ", VERSION column" : "");
	if (cs->cli.debug < 2)
		return;
	say_ports(cs->ports);
	say_targets(cs->targets);
}

/* The scan that a checkpoint file describes, rebuilt from its command line. */
struct resumed {
	struct checkpoint ck;
	struct scan_position pos;
};

/*
 * As root, only a checkpoint root owns and nobody else may write: it is a
 * command line run with root's privileges (checkpoint_check_owner).
 */
static void load_resume(const char *path, bool trust, struct resumed *r)
{
	unsigned flags = !trust && geteuid() == 0 ? CHECKPOINT_OWNED : 0;
	struct rs_error err;
	int ret;

	memset(&err, 0, sizeof(err));
	ret = checkpoint_read(path, flags, &r->ck, &err);
	if (ret == -EINVAL || ret == -EPERM)
		cli_fail("--resume '%s': %s", path, err.reason);
	if (ret)
		cli_fail("--resume '%s': %s", path, fileio_strerror(ret));
	r->pos = (struct scan_position){
		.issued = r->ck.issued,
		.pending = r->ck.pending,
		.npending = r->ck.npending,
		.elapsed_ns = r->ck.elapsed_ns,
		.complete = r->ck.complete,
	};
}

/*
 * "--resume FILE" (with -v and --trust-checkpoint) alone: returns FILE, or
 * NULL for a new scan.
 */
static const char *resume_arg(int argc, char **argv, int *verbose, bool *trust)
{
	const char *path = NULL;
	int i, others = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--resume") && i + 1 < argc)
			path = argv[++i];
		else if (!strncmp(argv[i], "--resume=", 9))
			path = argv[i] + 9;
		else if (!strcmp(argv[i], "--trust-checkpoint"))
			*trust = true;
		else if (argv[i][0] == '-' && argv[i][1] == 'v' &&
			 strspn(argv[i] + 1, "v") == strlen(argv[i] + 1))
			*verbose += (int)strlen(argv[i] + 1);
		else
			others++;
	}
	if (path && others)
		cli_fail(
			"--resume '%s' must be the only option (the scan's options come from the checkpoint); -v and --trust-checkpoint may be added",
			path);
	if (*trust && !path)
		cli_fail("--trust-checkpoint only applies to --resume FILE");
	return path;
}

int main(int argc, char **argv)
{
	struct cli_scan cs;
	struct store *store = NULL;
	struct bannerstore *banners = NULL;
	struct output *out = NULL;
	struct scan_summary sum;
	struct run_ctx rc;
	struct scan_hooks hooks;
	struct output_report rep;
	struct rs_error err;
	struct sigaction sa;
	struct resumed res;
	const char *resume_path;
	int def_argc = argc, extra_verbose = 0;
	bool trust = false;
	char **def_argv = argv;
	char seed_buf[24], resume_key[32];
	time_t start_time;
	int ret, status = 0;

	if (argc > 1 && !strcmp(argv[1], "audit"))
		return audit_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "merge"))
		return merge_main(argc - 1, argv + 1);
	memset(&res, 0, sizeof(res));
	resume_path = resume_arg(argc, argv, &extra_verbose, &trust);
	if (resume_path) {
		load_resume(resume_path, trust, &res);
		def_argc = (int)res.ck.argc;
		def_argv = res.ck.argv;
	}

	cli_scan_load(&cs, def_argc, def_argv);
	cli_scan_check_sources(&cs);
	/* resume_arg counted -v on every line; only a resume adds it. */
	if (resume_path)
		cs.cli.verbose += extra_verbose;
	if (cs.cli.verbose)
		say_services(&cs);
	if (cs.cli.debug)
		say_config(&cs);

	if (!resume_path && cs.cli.checkpoint_path) {
		/* The seed is part of what defines the scan: a random default
		 * must be written down or a resume would pick another. */
		snprintf(seed_buf, sizeof(seed_buf), "%llu",
			 (unsigned long long)cs.cli.scan.seed);
		def_argv = calloc((size_t)argc + 3, sizeof(*def_argv));
		if (!def_argv) {
			fprintf(stderr, "ringscan: out of memory\n");
			return EXIT_RUNTIME;
		}
		memcpy(def_argv, argv, (size_t)argc * sizeof(*argv));
		def_argv[argc] = "--seed";
		def_argv[argc + 1] = seed_buf;
		def_argc = argc + 2;
	}
	if (resume_path) {
		if (cs.fingerprint != res.ck.fingerprint ||
		    cs.nprobes != res.ck.nprobes ||
		    cs.cli.scan.shard_index != res.ck.shard_index)
			cli_fail(
				"--resume '%s': its targets or ports no longer mean the same scan (a host name resolves elsewhere, or an -iL file changed); start a new scan",
				resume_path);
		/* Keep saving where we resumed from. */
		cs.cli.checkpoint_path = resume_path;
		cs.cli.scan.resume = &res.pos;
	}

	if (cs.cli.dry_run) {
		scan_dry_run(&cs.cli.scan, cs.targets, cs.ports, print_probe,
			     NULL);
		/* A full disk or closed pipe must not look like success. */
		errno = 0;
		if (fflush(stdout) || ferror(stdout)) {
			fprintf(stderr,
				"ringscan: --dry-run: cannot write the probes to standard output: %s\n",
				strerror(errno ? errno : EIO));
			status = EXIT_RUNTIME;
		}
		goto out_free;
	}

	cs.cli.out.text_stdout = true;
	if ((cs.cli.out.csv_path && !strcmp(cs.cli.out.csv_path, "-")) ||
	    (cs.cli.out.json_path && !strcmp(cs.cli.out.json_path, "-")) ||
	    (cs.cli.out.xml_path && !strcmp(cs.cli.out.xml_path, "-")) ||
	    (cs.cli.out.grep_path && !strcmp(cs.cli.out.grep_path, "-")))
		cs.cli.out.text_stdout = false;
	memset(&err, 0, sizeof(err));
	cs.cli.out.checkpoint_path = cs.cli.checkpoint_path;
	if (cs.cli.checkpoint_path) {
		/* What --resume finds its scan by in a database (sqlout.h). */
		snprintf(resume_key, sizeof(resume_key), "%016llx/%u",
			 (unsigned long long)cs.fingerprint,
			 cs.cli.scan.shard_index);
		cs.cli.out.resume_key = resume_key;
		cs.cli.out.resume = resume_path != NULL;
	}
	ret = output_open(&out, &cs.cli.out, cs.svc, &err);
	if (ret) {
		cli_say("ringscan: ", "cannot write output '%s': %s", err.token,
			ret == -EINVAL ? err.reason : strerror(-ret));
		status = EXIT_BAD_INPUT;
		goto out_free;
	}
	if (resume_path) {
		store = res.ck.store; /* the scan goes on in the saved store */
		res.ck.store = NULL;
	} else {
		ret = store_new(&store, cs.nprobes);
		if (ret) {
			fprintf(stderr,
				"ringscan: cannot map a state store for %llu probes: %s; narrow targets or ports\n",
				(unsigned long long)cs.nprobes, strerror(-ret));
			status = EXIT_RUNTIME;
			goto out_close_output;
		}
	}

	if (cs.cli.scan.banners) {
		ret = bannerstore_new(&banners, 0);
		if (ret) {
			fprintf(stderr, "ringscan: out of memory\n");
			status = EXIT_RUNTIME;
			goto out_free_store;
		}
		cs.cli.scan.banner_store = banners;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: interrupt the wait */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A closed terminal too: -sS must reach its cleanup to detach XDP. */
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&rc, 0, sizeof(rc));
	rc.out = out;
	rc.targets = cs.targets;
	rc.progress_tty = isatty(STDERR_FILENO);
	rc.verbose = cs.cli.verbose;
	rc.stats_every_ns = cs.cli.stats_every_ns;
	rc.next_stats_ns = cs.cli.stats_every_ns;
	rc.concurrency_asked = cs.cli.scan.concurrency;
	rc.concurrency_set = cs.cli.concurrency_set;
	rc.ckpt_path = cs.cli.checkpoint_path;
	rc.ckpt = (struct checkpoint){
		.argc = (uint32_t)def_argc,
		.argv = def_argv,
		.fingerprint = cs.fingerprint,
		.nprobes = cs.nprobes,
		.shard_index = cs.cli.scan.shard_index,
		.shard_count = cs.cli.scan.shard_count,
		.store = store,
	};
	hooks = (struct scan_hooks){
		.result = hook_result,
		.results_done = hook_results_done,
		.progress = hook_progress,
		.pace = hook_pace,
		.checkpoint = cs.cli.checkpoint_path ? hook_checkpoint : NULL,
		.engine_ready = hook_engine,
		.udp_ready = hook_udp,
		.syn_ready = hook_syn,
		.ctx = &rc,
	};
	if (resume_path) {
		/* Rows the earlier run(s) had final, into the new files. */
		ret = scan_replay(&cs.cli.scan, cs.targets, cs.ports, store,
				  &hooks);
		if (ret) {
			fprintf(stderr, "ringscan: %s\n", strerror(-ret));
			status = EXIT_RUNTIME;
			goto out_free_store;
		}
	}
	start_time = time(NULL);
	rc.start_time = start_time;
	rc.live = true;
	ret = scan_run(&cs.cli.scan, cs.targets, cs.ports, store, &hooks,
		       &stop_signal, &sum);
	disc_flush(&rc);
	if (rc.progress_shown)
		fputs("\r\033[K", stderr);
	if (ret && rc.privdrop_failed) {
		status = EXIT_RUNTIME;
	} else if (ret) {
		if (ret == -ENODEV && cs.cli.syn.ifname)
			cli_say("ringscan: ",
				"-sS: no interface '%s' (see 'ip link')",
				cs.cli.syn.ifname);
		else
			fprintf(stderr, "ringscan: %s\n",
				cli_engine_error(cs.cli.scan.type, ret));
		status = EXIT_RUNTIME;
		goto out_free_store;
	}

	if (cs.cli.reverse_dns)
		reverse_lookups(cs.targets, cs.ports, store);
	rep = (struct output_report){
		.targets = cs.targets,
		.ports = cs.ports,
		.store = store,
		.elapsed_s = (double)sum.elapsed_ns / 1e9,
		/* One shard alone never has every port's answer. */
		.complete = sum.complete && cs.cli.scan.shard_count <= 1,
		.interrupted = !sum.complete,
		.shard_index = cs.cli.scan.shard_index,
		.shard_count = cs.cli.scan.shard_count,
		.start_time = start_time,
		.banners = banners,
	};
	ret = output_finish(out, &rep);
	if (ret || rc.write_err) {
		fprintf(stderr, "ringscan: writing results failed: %s\n",
			strerror(-(ret ? ret : rc.write_err)));
		status = EXIT_RUNTIME;
	}
	if (rc.ckpt_err)
		status = EXIT_RUNTIME;
	if (cs.cli.verbose)
		fprintf(stderr,
			"ringscan: %llu probes, %llu attempts (%llu retries, %llu deferred), %llu self-connections rejected, %llu local errors, %.2f s\n",
			(unsigned long long)sum.sched.total,
			(unsigned long long)sum.sched.attempts,
			(unsigned long long)sum.sched.retries,
			(unsigned long long)sum.sched.deferred,
			(unsigned long long)sum.self_connects,
			(unsigned long long)sum.errors,
			(double)sum.elapsed_ns / 1e9);
	if (cs.cli.verbose)
		fprintf(stderr,
			"ringscan: pacing: %s, %llu congestion events, %llu spurious retries (sent, then an earlier attempt's answer came), %llu retries withdrawn (the earlier answer came first: not sent, not counted as attempts), last rate %.0f/s\n",
			cs.cli.scan.cc ? "adaptive" : "fixed (--no-cc)",
			(unsigned long long)sum.sched.cc_events,
			(unsigned long long)sum.sched.spurious,
			(unsigned long long)sum.sched.withdrawn,
			sum.sched.rate);
	if (cs.cli.verbose >= 2)
		fprintf(stderr,
			"ringscan: results: %llu open, %llu closed, %llu filtered (%llu of them unreachable)\n",
			(unsigned long long)rc.count[OUT_OPEN],
			(unsigned long long)rc.count[OUT_CLOSED],
			(unsigned long long)(rc.count[OUT_FILTERED] +
					     rc.count[OUT_UNREACH]),
			(unsigned long long)rc.count[OUT_UNREACH]);
	if (cs.cli.verbose && !sum.has_syn && cs.ports->count > cs.ports->nudp)
		fprintf(stderr,
			"ringscan: -sT: %llu attempts kept listening after their timeout, %llu answered late (%llu used by a later attempt)\n",
			(unsigned long long)sum.conn.lingered,
			(unsigned long long)sum.conn.late,
			(unsigned long long)sum.conn.late_used);
	if (cs.cli.verbose && banners)
		fprintf(stderr,
			"ringscan: banners: %llu open ports read, %llu requests sent, %llu TLS handshakes, %llu bytes received, %llu banners kept\n",
			(unsigned long long)sum.conn.exchanges,
			(unsigned long long)sum.conn.probes,
			(unsigned long long)sum.conn.tls_handshakes,
			(unsigned long long)sum.conn.banner_bytes,
			(unsigned long long)bannerstore_count(banners));
	if (banners && bannerstore_dropped(banners))
		fprintf(stderr,
			"ringscan: note: %llu banners were not kept for the text and XML reports (the banner store's %u MiB are full); the CSV, JSON and SQLite outputs have them all\n",
			(unsigned long long)bannerstore_dropped(banners),
			BANNERSTORE_DEFAULT_MAX >> 20);
	if (cs.cli.verbose && sum.has_syn)
		fprintf(stderr,
			"ringscan: -sS: sent %llu SYNs and %llu RSTs; received %llu frames: %llu answers, %llu late (%llu used by a later attempt), %llu duplicates, %llu bad cookies, %llu foreign, %llu malformed, %llu ICMP unreachable, %llu forged ICMP; %llu neighbour lookups, %llu unresolved (%llu timed out); kernel: %llu receive drops, %llu send refusals\n",
			(unsigned long long)sum.syn.tx_syn,
			(unsigned long long)sum.syn.tx_rst,
			(unsigned long long)sum.syn.rx_frames,
			(unsigned long long)sum.syn.rx_answers,
			(unsigned long long)sum.syn.rx_late,
			(unsigned long long)sum.syn.late_delivered,
			(unsigned long long)sum.syn.rx_unmatched,
			(unsigned long long)sum.syn.rx_bad_cookie,
			(unsigned long long)sum.syn.rx_foreign,
			(unsigned long long)sum.syn.rx_malformed,
			(unsigned long long)sum.syn.rx_icmp,
			(unsigned long long)sum.syn.rx_icmp_forged,
			(unsigned long long)sum.syn.neigh_lookups,
			(unsigned long long)sum.syn.neigh_failed,
			(unsigned long long)sum.syn.neigh_timeouts,
			(unsigned long long)sum.syn.kernel_drops,
			(unsigned long long)sum.syn.tx_refused);
	if (sum.has_syn && sum.errors)
		fprintf(stderr,
			"ringscan: note: %llu probes could not be sent by -sS from %s (target routed through another interface, a local address, or no source address of its family); scan those with -sT\n",
			(unsigned long long)sum.errors,
			cs.cli.syn.ifname ? cs.cli.syn.ifname :
					    "this interface");
	if (stop_signal) {
		fprintf(stderr,
			"ringscan: stopped by signal %d; results so far were written%s%s\n",
			(int)stop_signal,
			cs.cli.checkpoint_path ? "; continue with --resume " :
						 "",
			cs.cli.checkpoint_path ? cs.cli.checkpoint_path : "");
		status = 128 + (int)stop_signal;
	}

out_free_store:
	bannerstore_free(banners);
	store_free(store);
out_close_output:
	if (output_close(out) && !status)
		status = EXIT_RUNTIME;
out_free:
	if (def_argv != argv && !resume_path)
		free(def_argv);
	checkpoint_release(&res.ck);
	cli_scan_free(&cs);
	return status;
}
