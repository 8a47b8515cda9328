/*
 * synscan - drives the SYN engine directly, for the t_syn_* integration
 * tests, until the CLI offers -sS.
 *
 *   synscan [-e IF] [--engine auto|xdp|packet] [--xdp-mode auto|native|skb]
 *           [--source-ip ADDR]... [--source-port LO-HI] [--retries N]
 *           [--timeout-ms MS] [--rate N] [--concurrency N] [--fail-after N]
 *           [-v] -p PORTS TARGET...
 *
 * Same pipeline as `ringscan -sT` minus the outputs: targets x ports, the
 * permutation and retries of sched, first-answer-wins in store, and the
 * SYN engine in place of the connect engine.  When the scan completes,
 * every probe is printed as "host,port,state" (open, closed, or filtered
 * for no answer and unreachable alike), the rows t_syn_* compare with the
 * testbed's ground truth.  -v writes the engine's setup and counters to
 * stderr; "engine: NAME" is the first line, and with AUTO a fallback from
 * AF_XDP prints "notice: AF_XDP unavailable (...), using AF_PACKET".
 *
 * SIGINT and SIGTERM stop the loop through a flag, so the engine is freed
 * (and its XDP program detached) on that path too: exit 130.
 * --fail-after N leaves through the error path after N results (exit 3),
 * for the test that no program is left attached after an error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "ports.h"
#include "sched.h"
#include "store.h"
#include "synengine.h"
#include "targets.h"

#define MAX_SRC 2
#define BATCH 512
#define MAX_WAIT_NS 100000000ULL

struct opts {
	const char *ifname;
	const char *ports;
	enum synengine_kind kind;
	enum xsk_mode xdp_mode;
	struct rs_addr src[MAX_SRC];
	int nsrc;
	uint16_t sport_lo, sport_hi;
	uint32_t retries;
	uint64_t timeout_ns;
	uint64_t rate;
	uint32_t concurrency;
	uint64_t fail_after;
	bool verbose;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: synscan [-e IF] [--engine auto|xdp|packet] "
			"[--xdp-mode auto|native|skb]\n"
			"  [--source-ip A] [--source-port LO-HI] [--retries N] "
			"[--timeout-ms MS]\n"
			"  [--rate N] [--concurrency N] [--fail-after N] [-v] "
			"-p PORTS TARGET...\n");
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || end == s || *end ? -EINVAL : 0;
}

static int parse_args(int argc, char **argv, struct opts *o, int *first)
{
	uint64_t v;
	int i;

	memset(o, 0, sizeof(*o));
	o->retries = 3;
	o->concurrency = 1024;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i],
			   *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-v")) {
			o->verbose = true;
			continue;
		}
		if (!val)
			return -EINVAL;
		i++;
		if (!strcmp(a, "-e")) {
			o->ifname = val;
		} else if (!strcmp(a, "-p")) {
			o->ports = val;
		} else if (!strcmp(a, "--engine")) {
			if (!strcmp(val, "auto"))
				o->kind = SYNENGINE_AUTO;
			else if (!strcmp(val, "xdp"))
				o->kind = SYNENGINE_XDP;
			else if (!strcmp(val, "packet"))
				o->kind = SYNENGINE_PACKET;
			else
				return -EINVAL;
		} else if (!strcmp(a, "--xdp-mode")) {
			if (!strcmp(val, "auto"))
				o->xdp_mode = XSK_MODE_AUTO;
			else if (!strcmp(val, "native"))
				o->xdp_mode = XSK_MODE_NATIVE;
			else if (!strcmp(val, "skb"))
				o->xdp_mode = XSK_MODE_SKB;
			else
				return -EINVAL;
		} else if (!strcmp(a, "--source-ip")) {
			if (o->nsrc == MAX_SRC ||
			    addr_parse(val, &o->src[o->nsrc]))
				return -EINVAL;
			o->nsrc++;
		} else if (!strcmp(a, "--source-port")) {
			unsigned lo, hi;
			char c;

			if (sscanf(val, "%u-%u%c", &lo, &hi, &c) != 2 || !lo ||
			    lo > hi || hi > 65535)
				return -EINVAL;
			o->sport_lo = (uint16_t)lo;
			o->sport_hi = (uint16_t)hi;
		} else if (parse_u64(val, &v)) {
			return -EINVAL;
		} else if (!strcmp(a, "--retries")) {
			o->retries = (uint32_t)v;
		} else if (!strcmp(a, "--timeout-ms")) {
			o->timeout_ns = v * 1000000ULL;
		} else if (!strcmp(a, "--rate")) {
			o->rate = v;
		} else if (!strcmp(a, "--concurrency") && v) {
			o->concurrency = (uint32_t)v;
		} else if (!strcmp(a, "--fail-after")) {
			o->fail_after = v;
		} else {
			return -EINVAL;
		}
	}
	*first = i;
	return o->ports && i < argc ? 0 : -EINVAL;
}

static void print_info(const struct synengine_info *in)
{
	char a[RS_ADDR_STRLEN];

	fprintf(stderr, "engine: %s\n", in->name);
	if (in->xdp_err)
		fprintf(stderr,
			"notice: AF_XDP unavailable (%s), using AF_PACKET\n",
			strerror(-in->xdp_err));
	if (in->kind == SYNENGINE_XDP) {
		fprintf(stderr, "xdp: %s mode, %s, %u queue(s)\n",
			in->xdp.attach, in->xdp.bind, in->xdp.queues);
		if (!in->xdp.dispatcher)
			fprintf(stderr, "xdp: no bpffs, libxdp loaded a single "
					"program (no dispatcher)\n");
	}
	fprintf(stderr, "interface: %s (%d), ports %u-%u\n", in->ifname,
		in->ifindex, in->sport_lo, in->sport_hi);
	if (in->has_src4)
		fprintf(stderr, "source: %s\n",
			addr_format(&in->src4, a, sizeof(a)));
	if (in->has_src6)
		fprintf(stderr, "source: %s\n",
			addr_format(&in->src6, a, sizeof(a)));
}

static void print_stats(const struct synengine *e)
{
	struct synengine_stats s;

	synengine_get_stats(e, &s);
	fprintf(stderr,
		"stats: tx_syn %llu tx_rst %llu rx %llu answers %llu "
		"bad_cookie %llu late %llu late_delivered %llu unmatched %llu "
		"foreign %llu malformed %llu neigh_lookups %llu solicits %llu "
		"neigh_failed %llu\n",
		(unsigned long long)s.tx_syn, (unsigned long long)s.tx_rst,
		(unsigned long long)s.rx_frames,
		(unsigned long long)s.rx_answers,
		(unsigned long long)s.rx_bad_cookie,
		(unsigned long long)s.rx_late,
		(unsigned long long)s.late_delivered,
		(unsigned long long)s.rx_unmatched,
		(unsigned long long)s.rx_foreign,
		(unsigned long long)s.rx_malformed,
		(unsigned long long)s.neigh_lookups,
		(unsigned long long)s.neigh_solicits,
		(unsigned long long)s.neigh_failed);
}

static void handle(struct sched *s, struct store *st,
		   const struct engine_result *r, uint64_t now,
		   uint64_t *errors)
{
	switch (r->outcome) {
	case ENGINE_OPEN:
		sched_answered(s, &r->probe, r->rtt_ns);
		store_set(st, r->probe.probe, STORE_OPEN);
		break;
	case ENGINE_CLOSED:
		sched_answered(s, &r->probe, r->rtt_ns);
		store_set(st, r->probe.probe, STORE_CLOSED);
		break;
	case ENGINE_UNREACH:
		sched_answered(s, &r->probe, r->rtt_ns);
		store_set(st, r->probe.probe, STORE_UNREACH);
		break;
	case ENGINE_TIMEOUT:
		(void)sched_timed_out(s, &r->probe, now);
		break;
	case ENGINE_DEFER:
		sched_deferred(s, &r->probe, now);
		break;
	case ENGINE_ERROR:
		sched_answered(s, &r->probe, 0);
		(*errors)++;
		break;
	}
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The scan loop of scan.c, with the SYN engine.  0, 1 (stopped), -errno. */
static int run(struct synengine *e, struct sched *s, struct store *st,
	       const struct targets *t, const struct portlist *pl,
	       const struct opts *o, uint32_t slots)
{
	struct sched_probe probes[BATCH];
	struct engine_result *res;
	uint64_t nres_total = 0, errors = 0;
	int ret = 0;

	res = calloc(slots, sizeof(*res));
	if (!res)
		return -ENOMEM;
	while (!stop_flag && !sched_finished(s)) {
		uint64_t now = clock_now_ns(), wait;
		uint32_t want = min_u64(synengine_idle(e), BATCH), n;
		int nres;

		n = want ? sched_next(s, now, probes, want) : 0;
		for (uint32_t i = 0; i < n; i++) {
			struct sockaddr_storage ss;
			struct rs_addr a;
			socklen_t len;

			targets_get(t, probes[i].probe / pl->count, &a);
			len = addr_to_sockaddr(
				&a, pl->port[probes[i].probe % pl->count], &ss);
			if (synengine_prep(e, &probes[i],
					   (struct sockaddr *)&ss, len,
					   sched_timeout_ns(s)))
				sched_deferred(s, &probes[i], now);
		}
		wait = synengine_idle(e) ? sched_wake_ns(s, now) : UINT64_MAX;
		wait = min_u64(wait, MAX_WAIT_NS);
		if (!synengine_busy(e)) {
			struct timespec ts = { 0, (long)wait };

			nanosleep(&ts, NULL);
			continue;
		}
		nres = synengine_run(e, wait, res, slots);
		if (nres < 0) {
			ret = nres;
			break;
		}
		now = clock_now_ns();
		for (int i = 0; i < nres; i++)
			handle(s, st, &res[i], now, &errors);
		nres_total += (uint64_t)nres;
		if (o->fail_after && nres_total >= o->fail_after) {
			ret = -ECANCELED;
			break;
		}
	}
	if (!ret && stop_flag)
		ret = 1;
	if (o->verbose && errors)
		fprintf(stderr, "local errors: %llu\n",
			(unsigned long long)errors);
	free(res);
	return ret;
}

static void print_rows(const struct store *st, const struct targets *t,
		       const struct portlist *pl)
{
	uint64_t hosts = targets_count(t);
	char a[RS_ADDR_STRLEN];

	for (uint64_t h = 0; h < hosts; h++) {
		struct rs_addr addr;

		targets_get(t, h, &addr);
		addr_format(&addr, a, sizeof(a));
		for (uint32_t p = 0; p < pl->count; p++) {
			enum store_state s = store_get(st, h * pl->count + p);

			printf("%s,%u,%s\n", a, pl->port[p],
			       s == STORE_OPEN	 ? "open" :
			       s == STORE_CLOSED ? "closed" :
						   "filtered");
		}
	}
}

int main(int argc, char **argv)
{
	struct synengine_config ecfg;
	struct synengine_info info;
	struct sched_config scfg;
	struct portlist *pl;
	struct targets *t;
	struct synengine *e;
	struct sched *s;
	struct store *st;
	struct rs_error err;
	struct sigaction sa;
	struct rs_addr hint;
	struct opts o;
	int first, ret, rc = 2;

	if (parse_args(argc, argv, &o, &first)) {
		usage();
		return 2;
	}
	pl = calloc(1, sizeof(*pl));
	if (!pl || targets_new(&t))
		return 2;
	if (ports_parse(o.ports, NULL, pl, &err)) {
		fprintf(stderr, "synscan: bad ports: %s\n", err.token);
		return 2;
	}
	for (int i = first; i < argc; i++) {
		if (targets_add(t, argv[i], &err)) {
			fprintf(stderr, "synscan: bad target: %s\n", err.token);
			return 2;
		}
	}
	if (targets_finalize(t) || !targets_count(t))
		return 2;
	targets_get(t, 0, &hint);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	memset(&ecfg, 0, sizeof(ecfg));
	ecfg.slots = o.concurrency;
	ecfg.ifname = o.ifname;
	ecfg.hint = &hint;
	for (int i = 0; i < o.nsrc; i++) {
		if (o.src[i].family == AF_INET)
			ecfg.src4 = &o.src[i];
		else
			ecfg.src6 = &o.src[i];
	}
	ecfg.sport_lo = o.sport_lo;
	ecfg.sport_hi = o.sport_hi;
	ecfg.kind = o.kind;
	ecfg.xdp_mode = o.xdp_mode;
	ret = synengine_new(&e, &ecfg, &info);
	if (ret) {
		fprintf(stderr, "synscan: cannot set up the SYN engine: %s\n",
			strerror(-ret));
		return ret == -EPERM ? 77 : 1;
	}
	if (o.verbose)
		print_info(&info);

	scfg = (struct sched_config){
		.nprobes = targets_count(t) * pl->count,
		.seed = 1,
		.rate = o.rate,
		.max_inflight = info.slots,
		.retries = o.retries,
		.timeout_ns = o.timeout_ns,
		.shard_index = 0,
		.shard_count = 1,
	};
	if (sched_new(&s, &scfg))
		goto out_free_engine;
	if (store_new(&st, scfg.nprobes))
		goto out_free_sched;

	ret = run(e, s, st, t, pl, &o, info.slots);
	if (o.verbose)
		print_stats(e);
	if (ret == 0) {
		print_rows(st, t, pl);
		rc = 0;
	} else if (ret == 1) {
		rc = 130;
	} else if (ret == -ECANCELED) {
		rc = 3;
	} else {
		fprintf(stderr, "synscan: %s\n", strerror(-ret));
		rc = 1;
	}
	store_free(st);
out_free_sched:
	sched_free(s);
out_free_engine:
	synengine_free(e);
	targets_free(t);
	free(pl);
	return rc;
}
