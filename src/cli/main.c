/*
 * main.c - the ringscan command: signals, hooks, resume, and the run.
 *
 * Only the CLI code - main.c, cli.c, and the subcommands audit_cli.c and
 * merge_cli.c - prints messages or chooses the exit status; every other
 * module returns -errno (output.c writes results, not messages, where the
 * user asked).  The command line becomes a defined scan in cli.c; here it
 * is run: the stop flag (the one mutable global) is set by SIGINT/SIGTERM,
 * results stream to the writers through hooks, a progress line goes to
 * stderr when it is a terminal, and checkpoints are saved when asked.  A
 * -sS scan gives up every capability (privsep.h) as soon as its engine is
 * set up, before the first probe: the frames it parses and the files it
 * writes from then on are handled without privilege.
 *
 * Exit status: 0 finished, 1 bad input, 2 runtime failure, 128+signal when
 * stopped by a signal (results gathered so far are still written).
 */
#include <errno.h>
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

struct run_ctx {
	struct output *out;
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
};

/* Per-host pacing lines are capped: a /16 of rate-limiting hosts would
 * otherwise print one line per host. */
#define RUN_MAX_PACE_REPORTS 20

static void hook_result(void *p, const struct output_result *r)
{
	struct run_ctx *rc = p;
	int ret = output_result(rc->out, r);

	if (ret && !rc->write_err)
		rc->write_err = ret;
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
	if (host && rc->pace_reports >= RUN_MAX_PACE_REPORTS)
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

static void print_probe(void *ctx, const struct rs_addr *a, uint16_t port)
{
	char buf[RS_ADDR_STRLEN];

	(void)ctx;
	printf("%s %u\n", addr_format(a, buf, sizeof(buf)), port);
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
	char seed_buf[24];
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
	cs.cli.verbose += extra_verbose;

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

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: interrupt the wait */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A closed terminal too: -sS must reach its cleanup to detach XDP. */
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&rc, 0, sizeof(rc));
	rc.out = out;
	rc.progress_tty = isatty(STDERR_FILENO);
	rc.verbose = cs.cli.verbose;
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
		.progress = hook_progress,
		.pace = hook_pace,
		.checkpoint = cs.cli.checkpoint_path ? hook_checkpoint : NULL,
		.engine_ready = hook_engine,
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
	ret = scan_run(&cs.cli.scan, cs.targets, cs.ports, store, &hooks,
		       &stop_signal, &sum);
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
			"ringscan: pacing: %s, %llu congestion events, %llu spurious retries (late answers to an earlier attempt), last rate %.0f/s\n",
			cs.cli.scan.cc ? "adaptive" : "fixed (--no-cc)",
			(unsigned long long)sum.sched.cc_events,
			(unsigned long long)sum.sched.spurious, sum.sched.rate);
	if (cs.cli.verbose && !sum.has_syn)
		fprintf(stderr,
			"ringscan: -sT: %llu attempts kept listening after their timeout, %llu answered late (%llu used)\n",
			(unsigned long long)sum.conn.lingered,
			(unsigned long long)sum.conn.late,
			(unsigned long long)sum.conn.late_used);
	if (cs.cli.verbose && sum.has_syn)
		fprintf(stderr,
			"ringscan: -sS: sent %llu SYNs and %llu RSTs; received %llu frames: %llu answers, %llu late (%llu used), %llu duplicates, %llu bad cookies, %llu foreign, %llu malformed; %llu neighbour lookups, %llu unresolved (%llu timed out); kernel: %llu receive drops, %llu send refusals\n",
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
