/*
 * scan.c - the scan loop, -sT and -sS (see scan.h).
 *
 * Order of work in one turn, chosen so that each turn costs one engine run
 * (-sT: one io_uring_enter; -sS: one TX burst and one ppoll):
 *   1. ask the scheduler for up to min(idle slots, ENGINE_BATCH) probes and
 *      prepare them (no syscall; -sS asks netlink about a host's route and
 *      next hop the first time it sees it);
 *   2. one run that sends them and waits for the first answer, bounded by
 *      the scheduler's next wake-up (a due retry or a rate token) and by
 *      the progress tick;
 *   3. judge every finished probe and feed the answer back to the scheduler
 *      (RTT samples, retries, window) and to the store and the hooks.
 * When nothing is in flight and the scheduler is waiting for time (rate
 * limit, retry backoff) the loop sleeps instead of running the engine.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bannerid.h"
#include "clock.h"
#include "localaddr.h"
#include "permute.h"
#include "scan.h"
#include "synengine.h"
#include "tlsprobe.h"
#include "udpengine.h"

#define SCAN_MAX_WAIT_NS 100000000ULL /* re-check the stop flag this often */
#define SCAN_VERIFY_TIMEOUT_MS 1000
#define SCAN_MAX_LOCAL_ADDRS 256
/*
 * With a TCP and a UDP engine both busy, the loop cannot sleep on both
 * rings at once: it waits on each in turn at most this long, so an answer
 * on the other is reaped (and stamped) at most this late.
 */
#define SCAN_DUAL_WAIT_NS 1000000ULL

struct local_addrs {
	struct rs_addr addr[SCAN_MAX_LOCAL_ADDRS];
	unsigned n;
	uint16_t eph_lo, eph_hi; /* ip_local_port_range */
};

struct scan_ctx {
	const struct targets *targets;
	const struct portlist *ports;
	struct store *store;
	struct sched *sched;
	const struct scan_hooks *hooks;
	struct local_addrs local;
	struct scan_summary *sum;
	uint64_t open;
	bool connect; /* -sT: opens of local targets may be self-connects */
	bool defeat_icmp; /* --defeat-icmp-ratelimit: UDP silence is final */
	bool syn; /* the TCP engine is -sS */
	/*
	 * --banners: open ports whose row waits for their banner, by engine
	 * slot (a slot holds one exchange until its ENGINE_BANNER), so that
	 * CSV/JSON/SQLite rows carry it; await_n of them valid.
	 */
	struct scan_await *await;
	uint32_t await_cap, await_n;
	struct bannerstore *banners;
};

struct scan_await {
	uint64_t probe;
	uint64_t rtt_ns;
	bool valid;
};

/*
 * The two engines behind one table (engine.h): the io_uring connect engine
 * (-sT) and the SYN engine (-sS).  They share the shape (idle/busy slots,
 * prep, run-and-reap, in-flight list), so the loop below is the same for
 * both; only opening them and reading their counters differ.
 */
struct scan_engine {
	const struct engine_ops *ops;
	void *e;
	uint32_t slots;
};

static int scan_engine_open(const struct scan_config *cfg,
			    const struct targets *targets,
			    const struct scan_hooks *hooks, enum rs_proto proto,
			    struct scan_engine *se)
{
	int ret;

	memset(se, 0, sizeof(*se));
	if (proto == RS_UDP) {
		struct udpengine_config uc = { .slots = cfg->concurrency,
					       .src = cfg->src };
		struct udpengine_info info;
		struct udpengine *e;

		ret = udpengine_new(&e, &uc, &info);
		if (ret)
			return ret;
		*se = (struct scan_engine){
			.ops = &udpengine_ops,
			.e = e,
			.slots = info.slots,
		};
		if (hooks && hooks->udp_ready)
			hooks->udp_ready(hooks->ctx, &info);
	} else if (cfg->type == SCAN_SYN) {
		struct synengine_config sc = *cfg->syn;
		struct synengine_info info;
		struct synengine *e;
		struct rs_addr hint;

		targets_get(targets, 0, &hint);
		sc.slots = cfg->concurrency;
		sc.hint = &hint;
		ret = synengine_new(&e, &sc, &info);
		if (ret)
			return ret;
		*se = (struct scan_engine){
			.ops = &synengine_ops,
			.e = e,
			.slots = info.slots,
		};
		if (hooks && hooks->syn_ready) {
			ret = hooks->syn_ready(hooks->ctx, &info);
			if (ret) {
				se->ops->free(e);
				memset(se, 0, sizeof(*se));
				return ret;
			}
		}
	} else {
		struct engine_config ec = {
			.slots = cfg->concurrency,
			.src = cfg->src,
			.banners = cfg->banners,
			.banner_timeout_ns = cfg->banner_timeout_ns,
		};
		struct engine_info info;
		struct engine *e;

		ret = engine_new(&e, &ec, &info);
		if (ret)
			return ret;
		*se = (struct scan_engine){
			.ops = &engine_connect_ops,
			.e = e,
			.slots = info.slots,
		};
		if (hooks && hooks->engine_ready)
			hooks->engine_ready(hooks->ctx, &info);
	}
	return 0;
}

/*
 * A scan's engines, one per protocol it probes (ports.h): the TCP engine
 * of -sT or -sS, the UDP engine of -sU, or both.  The loop treats them as
 * one: as many idle slots as the fuller one has (a probe may be for
 * either), busy if either is, in flight what both hold.
 */
struct scan_engines {
	struct scan_engine by[2]; /* by enum rs_proto; ops NULL if unused */
	uint32_t slots; /* in all */
};

static int scan_engines_open(const struct scan_config *cfg,
			     const struct targets *targets,
			     const struct portlist *ports,
			     const struct scan_hooks *hooks,
			     struct scan_engines *es)
{
	bool need[2] = { ports->count > ports->nudp, ports->nudp > 0 };
	int ret;

	memset(es, 0, sizeof(*es));
	for (unsigned p = RS_TCP; p <= RS_UDP; p++) {
		if (!need[p])
			continue;
		ret = scan_engine_open(cfg, targets, hooks, (enum rs_proto)p,
				       &es->by[p]);
		if (ret) {
			if (p == RS_UDP && es->by[RS_TCP].ops)
				es->by[RS_TCP].ops->free(es->by[RS_TCP].e);
			return ret;
		}
		es->slots += es->by[p].slots;
	}
	return 0;
}

static void scan_engines_free(struct scan_engines *es)
{
	for (unsigned p = RS_TCP; p <= RS_UDP; p++)
		if (es->by[p].ops)
			es->by[p].ops->free(es->by[p].e);
}

static uint32_t scan_engines_idle(const struct scan_engines *es)
{
	uint32_t idle = UINT32_MAX;

	for (unsigned p = RS_TCP; p <= RS_UDP; p++)
		if (es->by[p].ops) {
			uint32_t n = es->by[p].ops->idle(es->by[p].e);

			idle = n < idle ? n : idle;
		}
	return idle == UINT32_MAX ? 0 : idle;
}

static uint32_t scan_engines_busy(const struct scan_engines *es)
{
	uint32_t busy = 0;

	for (unsigned p = RS_TCP; p <= RS_UDP; p++)
		if (es->by[p].ops)
			busy += es->by[p].ops->busy(es->by[p].e);
	return busy;
}

static uint32_t scan_engines_inflight(const struct scan_engines *es,
				      struct sched_probe *out, uint32_t max)
{
	uint32_t n = 0;

	for (unsigned p = RS_TCP; p <= RS_UDP; p++)
		if (es->by[p].ops)
			n += es->by[p].ops->inflight(es->by[p].e, out + n,
						     max - n);
	return n;
}

/* Every address, up or not: a self-connect needs only the address. */
static int local_addr_add(void *ctx, const struct rs_addr *a, bool up)
{
	struct local_addrs *l = ctx;

	(void)up;
	if (l->n == SCAN_MAX_LOCAL_ADDRS)
		return 1; /* full: stop */
	l->addr[l->n++] = *a;
	return 0;
}

static void local_addrs_load(struct local_addrs *l)
{
	FILE *f;
	unsigned lo, hi;

	l->n = 0;
	l->eph_lo = 32768;
	l->eph_hi = 60999;
	f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) == 2 && lo <= hi &&
		    hi <= 65535) {
			l->eph_lo = (uint16_t)lo;
			l->eph_hi = (uint16_t)hi;
		}
		fclose(f);
	}
	(void)localaddr_each(local_addr_add, l);
}

static bool addr_is_local(const struct local_addrs *l, const struct rs_addr *a)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };

	if (a->family == AF_INET && a->bytes[0] == 127)
		return true;
	if (a->family == AF_INET6 && !memcmp(a->bytes, v6_loopback, 16))
		return true;
	for (unsigned i = 0; i < l->n; i++)
		if (!addr_cmp(&l->addr[i], a))
			return true;
	return false;
}

/*
 * A connect to a local address on a port in the ephemeral range can pick
 * that very port as its source and connect to itself: TCP simultaneous open
 * with no listener at all.  The ring's direct sockets cannot be asked for
 * their local name, so connect once more with a plain socket and compare.
 * Returns 1 open, 0 closed (self-connected or refused), -errno otherwise.
 */
static int verify_local_open(const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	struct linger lg = { 1, 0 };
	struct pollfd pfd;
	int fd, ret, soerr = 0;
	socklen_t elen = sizeof(soerr);

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	ret = connect(fd, sa, len);
	if (ret && errno == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		ret = poll(&pfd, 1, SCAN_VERIFY_TIMEOUT_MS);
		if (ret <= 0) {
			ret = ret ? -errno : -ETIMEDOUT;
			goto out_close;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &elen)) {
			ret = -errno;
			goto out_close;
		}
		errno = soerr;
		ret = soerr ? -1 : 0;
	}
	if (ret) {
		ret = errno == ECONNREFUSED ? 0 : -errno;
		goto out_close;
	}
	if (getsockname(fd, (struct sockaddr *)&local, &llen)) {
		ret = -errno;
		goto out_close;
	}
	/* Self-connected: our own address and port are the peer's. */
	ret = !(llen == len && !memcmp(&local, sa, len));
out_close:
	close(fd);
	return ret;
}

static const char *unreach_reason(int err)
{
	switch (-err) {
	case EHOSTUNREACH:
		return "host-unreach";
	case ENETUNREACH:
		return "net-unreach";
	case EACCES:
	case EPERM:
		return "admin-prohibited";
	default:
		return "unreach";
	}
}

static void emit_banner(struct scan_ctx *c, const struct rs_addr *a,
			uint16_t port, enum rs_proto proto,
			enum output_state st, const char *reason,
			uint64_t rtt_ns, const struct banner_rec *banner)
{
	struct output_result r = {
		.addr = a,
		.port = port,
		.proto = proto,
		.state = st,
		.reason = reason,
		.rtt_us = rtt_ns ? (int64_t)(rtt_ns / 1000) : -1,
		.banner = banner,
	};

	if (st == OUT_OPEN)
		c->open++;
	if (c->hooks && c->hooks->result)
		c->hooks->result(c->hooks->ctx, &r);
}

static void emit(struct scan_ctx *c, const struct rs_addr *a, uint16_t port,
		 enum rs_proto proto, enum output_state st, const char *reason,
		 uint64_t rtt_ns)
{
	emit_banner(c, a, port, proto, st, reason, rtt_ns, NULL);
}

/*
 * An exchange ended: the open port's row goes out now, with its banner
 * and what bannerid_identify makes of it (and, on a TLS port, what the
 * handshake found), kept in the banner store for
 * the reports.  Identifying here, once, where the banner is stored, is
 * what makes every output say the same thing.  A banner whose open was not taken (a self-connection, an
 * answer the store had already) has no row waiting and is dropped.
 */
/* Every field filled below fits the store whole: the reports show what
 * the streaming outputs get. */
_Static_assert(sizeof(((struct tlsinfo *)0)->sans) - 1 <=
			       BANNERSTORE_FIELD_MAX &&
		       sizeof(((struct tlsinfo *)0)->issuer) - 1 <=
			       BANNERSTORE_FIELD_MAX &&
		       BANNERID_FIELD - 1 <= BANNERSTORE_FIELD_MAX,
	       "a banner field longer than the banner store keeps");

static void scan_banner(struct scan_ctx *c, const struct engine_result *r,
			const struct rs_addr *a, uint16_t port)
{
	struct scan_await *w = r->slot < c->await_cap ? &c->await[r->slot] :
							NULL;
	struct banner_rec rec = { .raw = r->banner, .raw_len = r->banner_len };
	struct bannerid id;

	if (!w || !w->valid || w->probe != r->probe.probe)
		return;
	w->valid = false;
	c->await_n--;
	if (!bannerid_identify(r->banner, r->banner_len, port, &id)) {
		rec.field[BANNER_SERVICE] = id.service;
		rec.field[BANNER_PRODUCT] = id.product;
		rec.field[BANNER_VERSION] = id.version;
		rec.field[BANNER_EXTRAINFO] = id.extrainfo;
		rec.field[BANNER_HOSTNAME] = id.hostname;
		rec.field[BANNER_OSTYPE] = id.ostype;
	}
	if (r->tls) {
		rec.field[BANNER_TLS_VERSION] = r->tls->version;
		rec.field[BANNER_TLS_ALPN] = r->tls->alpn;
		rec.field[BANNER_CERT_CN] = r->tls->subject_cn;
		rec.field[BANNER_CERT_SANS] = r->tls->sans;
		rec.field[BANNER_CERT_ISSUER] = r->tls->issuer;
		rec.field[BANNER_CERT_EXPIRY] = r->tls->not_after;
	}
	if (c->banners)
		(void)bannerstore_put(c->banners, r->probe.probe, &rec);
	emit_banner(c, a, port, RS_TCP, OUT_OPEN,
		    output_answer_reason(OUT_OPEN, RS_TCP, false), w->rtt_ns,
		    &rec);
}

/* The scan stops with exchanges unfinished: their rows, bannerless. */
static void scan_await_flush(struct scan_ctx *c)
{
	uint32_t nports = c->ports->count;
	struct rs_addr a;

	for (uint32_t i = 0; i < c->await_cap && c->await_n; i++) {
		struct scan_await *w = &c->await[i];

		if (!w->valid)
			continue;
		w->valid = false;
		c->await_n--;
		targets_get(c->targets, w->probe / nports, &a);
		emit(c, &a, c->ports->port[w->probe % nports], RS_TCP, OUT_OPEN,
		     output_answer_reason(OUT_OPEN, RS_TCP, false), w->rtt_ns);
	}
}

/* An answer for the scheduler: a withdrawn retry's is not an attempt. */
static void scan_answered(struct scan_ctx *c, const struct engine_result *r,
			  uint64_t now)
{
	if (r->early)
		return; /* sched_early counted it (scan_handle) */
	sched_answer_sent(c->sched, r->sent_ns, now);
	if (r->withdrawn)
		sched_withdrawn(c->sched, &r->probe, r->rtt_ns, now);
	else if (r->outcome == ENGINE_CLOSED &&
		 ports_proto(c->ports, (uint32_t)(r->probe.probe %
						  c->ports->count)) == RS_TCP)
		sched_refused(c->sched, &r->probe, r->rtt_ns, now, r->late);
	else
		sched_answered(c->sched, &r->probe, r->rtt_ns, now, r->late);
}

static void scan_handle(struct scan_ctx *c, const struct engine_result *r,
			uint64_t now)
{
	uint32_t nports = c->ports->count;
	uint64_t host = r->probe.probe / nports;
	uint32_t pi = (uint32_t)(r->probe.probe % nports);
	uint16_t port = c->ports->port[pi];
	enum rs_proto proto = ports_proto(c->ports, pi);
	bool udp = proto == RS_UDP;
	enum engine_outcome oc = r->outcome;
	struct sockaddr_storage ss;
	struct rs_addr a;
	socklen_t len;
	int v;

	targets_get(c->targets, host, &a);
	if (oc == ENGINE_OPEN && c->connect && !udp &&
	    port >= c->local.eph_lo && port <= c->local.eph_hi &&
	    addr_is_local(&c->local, &a)) {
		len = addr_to_sockaddr(&a, port, &ss);
		v = verify_local_open((struct sockaddr *)&ss, len);
		if (v == 0) {
			c->sum->self_connects++;
			oc = ENGINE_CLOSED;
		} else if (v < 0) {
			/* Could not check now (e.g. EMFILE): ask again later -
			 * an early answer with the retry it stands for. */
			if (!r->early)
				sched_deferred(c->sched, &r->probe, now);
			return;
		}
	}
	if (r->delay_ns)
		sched_delay(c->sched, &r->probe, r->delay_ns, now);
	if (oc == ENGINE_OPEN && !udp)
		sched_extra(c->sched, &r->probe,
			    c->connect ? ENGINE_OPEN_FRAMES :
					 SYNENGINE_OPEN_FRAMES);
	/* An early answer is the probe's only if its retry was waiting. */
	if (r->early &&
	    !sched_early(c->sched, &r->probe, r->rtt_ns, r->sent_ns, now,
			 oc == ENGINE_CLOSED && proto == RS_TCP))
		return;

	switch (oc) {
	case ENGINE_BANNER:
		scan_banner(c, r, &a, port);
		break;
	case ENGINE_OPEN:
		scan_answered(c, r, now);
		if (!store_set(c->store, r->probe.probe, STORE_OPEN))
			break;
		if (r->banner_follows && r->slot < c->await_cap) {
			/* The row waits for the banner (scan_banner). */
			c->await[r->slot] = (struct scan_await){
				.probe = r->probe.probe,
				.rtt_ns = r->rtt_ns,
				.valid = true,
			};
			c->await_n++;
			break;
		}
		emit(c, &a, port, proto, OUT_OPEN,
		     output_answer_reason(OUT_OPEN, proto, !c->connect),
		     r->rtt_ns);
		break;
	case ENGINE_CLOSED:
		scan_answered(c, r, now);
		if (store_set(c->store, r->probe.probe, STORE_CLOSED))
			emit(c, &a, port, proto, OUT_CLOSED,
			     output_answer_reason(OUT_CLOSED, proto,
						  !c->connect),
			     r->rtt_ns);
		break;
	case ENGINE_UNREACH:
		scan_answered(c, r, now);
		if (store_set(c->store, r->probe.probe, STORE_UNREACH)) {
			const char *why = r->reason ? r->reason :
						      unreach_reason(r->err);

			/* -ENOMEM leaves the default reason: the state stands */
			(void)store_set_reason(c->store, r->probe.probe,
					       store_reason_code(why));
			emit(c, &a, port, proto, OUT_UNREACH, why, r->rtt_ns);
		}
		break;
	case ENGINE_TIMEOUT:
		if (udp && c->defeat_icmp) {
			/*
			 * Final at once: a retry would only wait for the port
			 * unreachable the target's ICMP budget withheld.  Told
			 * to the scheduler as an answer without an RTT, so the
			 * host's pace is not cut for a loss that is the
			 * target's rate limit, not the path's.
			 */
			sched_answered(c->sched, &r->probe, 0, now, false);
			emit(c, &a, port, proto, OUT_FILTERED, "no-response",
			     0);
			break;
		}
		if (!sched_timed_out(c->sched, &r->probe, now))
			emit(c, &a, port, proto, OUT_FILTERED, "no-response",
			     0);
		break;
	case ENGINE_DEFER:
		sched_deferred(c->sched, &r->probe, now);
		break;
	case ENGINE_ERROR:
		/* Final, but not an answer from the target: no RTT sample. */
		sched_answered(c->sched, &r->probe, 0, now, false);
		c->sum->errors++;
		emit(c, &a, port, proto, OUT_FILTERED, "local-error", 0);
		break;
	}
}

/* Pacing changes the scheduler noted, to the hook (for -v). */
static void scan_events(struct scan_ctx *c)
{
	struct sched_event ev;
	struct rs_addr a;

	while (sched_event_pop(c->sched, &ev)) {
		if (!c->hooks || !c->hooks->pace)
			continue;
		if (!ev.group)
			targets_get(c->targets, ev.host, &a);
		c->hooks->pace(c->hooks->ctx, &ev, ev.group ? NULL : &a);
	}
}

static void scan_progress(struct scan_ctx *c, uint64_t start, uint64_t now)
{
	struct scan_progress p;

	if (!c->hooks || !c->hooks->progress)
		return;
	sched_get_stats(c->sched, &p.sched);
	p.open = c->open;
	p.elapsed_ns = now - start;
	c->hooks->progress(c->hooks->ctx, &p);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Hand the position to the checkpoint hook: in flight + queued = pending. */
static void scan_checkpoint(struct scan_ctx *c, const struct scan_engines *es,
			    struct sched_probe *buf, uint32_t cap,
			    uint64_t elapsed_ns)
{
	struct scan_position pos;
	struct sched_stats st;
	uint32_t n;

	if (!c->hooks || !c->hooks->checkpoint)
		return;
	sched_get_stats(c->sched, &st);
	n = scan_engines_inflight(es, buf, cap);
	n += sched_queued(c->sched, buf + n, cap - n);
	pos = (struct scan_position){
		.issued = st.issued,
		.pending = buf,
		.npending = n,
		.elapsed_ns = elapsed_ns,
		.complete = sched_finished(c->sched),
	};
	c->hooks->checkpoint(c->hooks->ctx, &pos);
}

int scan_run(const struct scan_config *cfg, const struct targets *targets,
	     const struct portlist *ports, struct store *store,
	     const struct scan_hooks *hooks, volatile sig_atomic_t *stop,
	     struct scan_summary *sum)
{
	struct sched_probe probes[ENGINE_BATCH];
	struct sched_probe *pending;
	struct engine_result *results;
	struct sched_config scfg;
	struct scan_engines es;
	struct scan_ctx c;
	uint64_t start, now, next_progress, next_ckpt, ckpt_every, before = 0;
	uint32_t nres_max, npend_max;
	int ret;

	memset(sum, 0, sizeof(*sum));
	memset(&c, 0, sizeof(c));
	c.targets = targets;
	c.ports = ports;
	c.store = store;
	c.hooks = hooks;
	c.sum = sum;
	c.connect = cfg->type != SCAN_SYN;
	c.defeat_icmp = cfg->defeat_icmp;
	c.syn = cfg->type == SCAN_SYN;
	local_addrs_load(&c.local);

	c.banners = cfg->banner_store;
	ret = scan_engines_open(cfg, targets, ports, hooks, &es);
	if (ret)
		return ret;
	if (cfg->banners && cfg->type == SCAN_CONNECT &&
	    es.by[RS_TCP].ops == &engine_connect_ops) {
		c.await_cap = es.by[RS_TCP].slots;
		c.await = calloc(c.await_cap, sizeof(*c.await));
		if (!c.await) {
			scan_engines_free(&es);
			return -ENOMEM;
		}
	}

	scfg = (struct sched_config){
		.nprobes = targets_count(targets) * ports->count,
		.seed = cfg->seed,
		.sequential = cfg->sequential,
		.nports = ports->count,
		.nudp = ports->nudp,
		.rate = cfg->rate,
		.min_rate = cfg->min_rate,
		.max_inflight = es.slots,
		.retries = cfg->retries,
		.retries_auto = cfg->retries_auto,
		.max_retries = cfg->max_retries,
		.timeout_ns = cfg->timeout_ns,
		.rto_init_ns = cfg->rto_init_ns,
		.rto_min_ns = cfg->rto_min_ns,
		.rto_max_ns = cfg->rto_max_ns,
		.scan_delay_ns = cfg->scan_delay_ns,
		.max_scan_delay_ns = cfg->max_scan_delay_ns,
		.cc = cfg->cc,
		.tcp_connect = cfg->type != SCAN_SYN,
		.shard_index = cfg->shard_index,
		.shard_count = cfg->shard_count ? cfg->shard_count : 1,
	};
	ret = sched_new(&c.sched, &scfg);
	if (ret)
		goto out_free_engine;
	if (cfg->resume) {
		ret = sched_restore(c.sched, cfg->resume->issued,
				    cfg->resume->pending,
				    cfg->resume->npending);
		if (ret)
			goto out_free_sched;
		before = cfg->resume->elapsed_ns;
	}
	nres_max = es.slots;
	results = calloc(nres_max, sizeof(*results));
	if (!results) {
		ret = -ENOMEM;
		goto out_free_sched;
	}
	/* Every slot in flight plus a full retry heap (2 x slots). */
	npend_max = 3 * es.slots;
	pending = calloc(npend_max, sizeof(*pending));
	if (!pending) {
		ret = -ENOMEM;
		goto out_free_results;
	}

	start = clock_now_ns();
	next_progress = start + SCAN_PROGRESS_NS;
	ckpt_every = cfg->checkpoint_ns ? cfg->checkpoint_ns :
					  SCAN_CHECKPOINT_NS;
	next_ckpt = start + ckpt_every;
	/* Open ports still being read keep the loop going after the last
	 * probe is answered (their rows wait for their banners). */
	while (!*stop && (!sched_finished(c.sched) || c.await_n)) {
		uint32_t want, n, i;
		uint64_t wait;
		int nres;

		now = clock_now_ns();
		want = min_u64(scan_engines_idle(&es), ENGINE_BATCH);
		n = want ? sched_next(c.sched, now, probes, want) : 0;
		for (i = 0; i < n; i++) {
			uint64_t host = probes[i].probe / ports->count;
			uint32_t pi =
				(uint32_t)(probes[i].probe % ports->count);
			uint16_t port = ports->port[pi];
			const struct scan_engine *se =
				&es.by[ports_proto(ports, pi)];
			struct sockaddr_storage ss;
			struct rs_addr a;
			socklen_t len;
			uint64_t tmo, linger;

			/*
			 * Late answers count: with adaptive timeouts an
			 * attempt's connect keeps listening after it is
			 * reported silent, and the answer it gets goes to
			 * the probe's next attempt.
			 */
			sched_probe_waits(c.sched, &probes[i], &tmo, &linger);
			targets_get(targets, host, &a);
			len = addr_to_sockaddr(&a, port, &ss);
			if (se->ops->prep(se->e, &probes[i],
					  (struct sockaddr *)&ss, len, tmo,
					  linger))
				sched_deferred(c.sched, &probes[i], now);
		}
		scan_events(&c);

		wait = scan_engines_idle(&es) ? sched_wake_ns(c.sched, now) :
						UINT64_MAX;
		wait = min_u64(wait,
			       next_progress > now ? next_progress - now : 0);
		wait = min_u64(wait, SCAN_MAX_WAIT_NS);
		if (!scan_engines_busy(&es)) {
			/* Only time can help: a rate token or a retry's due
			 * time.  Sleep rather than spin. */
			if (wait) {
				struct timespec ts = {
					.tv_sec =
						(time_t)(wait / 1000000000ULL),
					.tv_nsec = (long)(wait % 1000000000ULL),
				};
				nanosleep(&ts, NULL);
			}
		} else {
			bool both = es.by[RS_TCP].ops && es.by[RS_UDP].ops &&
				    es.by[RS_TCP].ops->busy(es.by[RS_TCP].e) &&
				    es.by[RS_UDP].ops->busy(es.by[RS_UDP].e);
			uint32_t got = 0;

			for (unsigned p = RS_TCP; p <= RS_UDP; p++) {
				const struct scan_engine *se = &es.by[p];
				uint64_t w = both ? min_u64(wait,
							    SCAN_DUAL_WAIT_NS) :
						    wait;

				if (!se->ops || !se->ops->busy(se->e))
					continue;
				/* Answers in hand: only poll the other. */
				nres = se->ops->run(se->e, got ? 0 : w, results,
						    nres_max);
				if (nres < 0) {
					ret = nres;
					goto out_free_pending;
				}
				got += (uint32_t)nres;
				now = clock_now_ns();
				for (i = 0; i < (uint32_t)nres; i++)
					scan_handle(&c, &results[i], now);
			}
			if (got && c.hooks && c.hooks->results_done)
				c.hooks->results_done(c.hooks->ctx);
			scan_events(&c);
		}
		now = clock_now_ns();
		if (now >= next_progress) {
			scan_progress(&c, start, now);
			next_progress = now + SCAN_PROGRESS_NS;
		}
		if (now >= next_ckpt) {
			scan_checkpoint(&c, &es, pending, npend_max,
					before + now - start);
			next_ckpt = clock_now_ns() + ckpt_every;
		}
	}
	scan_await_flush(&c);
	now = clock_now_ns();
	scan_progress(&c, start, now);
	scan_checkpoint(&c, &es, pending, npend_max, before + now - start);
	sum->complete = sched_finished(c.sched);
	sum->elapsed_ns = before + now - start;
	sched_get_stats(c.sched, &sum->sched);
	if (es.by[RS_TCP].ops && cfg->type == SCAN_SYN) {
		sum->has_syn = true;
		synengine_get_stats(es.by[RS_TCP].e, &sum->syn);
	} else if (es.by[RS_TCP].ops) {
		engine_get_stats(es.by[RS_TCP].e, &sum->conn);
	}
	ret = 0;

out_free_pending:
	free(pending);
out_free_results:
	free(results);
out_free_sched:
	sched_free(c.sched);
out_free_engine:
	scan_engines_free(&es);
	free(c.await);
	return ret;
}

static int cmp_probe(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int scan_replay(const struct scan_config *cfg, const struct targets *targets,
		const struct portlist *ports, const struct store *store,
		const struct scan_hooks *hooks)
{
	const struct scan_position *pos = cfg->resume;
	uint64_t n = targets_count(targets) * ports->count;
	uint32_t count = cfg->shard_count ? cfg->shard_count : 1;
	struct scan_ctx c = { .hooks = hooks };
	bool syn = cfg->type == SCAN_SYN;
	uint64_t *pend;
	struct permute p;

	if (!pos || !n || !hooks || !hooks->result)
		return 0;
	if (permute_init_order(&p, n, cfg->seed, cfg->sequential))
		return -EINVAL;
	pend = calloc(pos->npending ? pos->npending : 1, sizeof(*pend));
	if (!pend)
		return -ENOMEM;
	for (uint32_t i = 0; i < pos->npending; i++)
		pend[i] = pos->pending[i].probe;
	qsort(pend, pos->npending, sizeof(*pend), cmp_probe);
	for (uint64_t k = 0; k < pos->issued; k++) {
		uint64_t probe =
			permute_shard_at(&p, cfg->shard_index, count, k);
		uint32_t pi = (uint32_t)(probe % ports->count);
		uint16_t port = ports->port[pi];
		enum rs_proto proto = ports_proto(ports, pi);
		struct rs_addr a;

		if (bsearch(&probe, pend, pos->npending, sizeof(*pend),
			    cmp_probe))
			continue;
		targets_get(targets, probe / ports->count, &a);
		switch (store_get(store, probe)) {
		case STORE_OPEN:
			emit(&c, &a, port, proto, OUT_OPEN,
			     output_answer_reason(OUT_OPEN, proto, syn), 0);
			break;
		case STORE_CLOSED:
			emit(&c, &a, port, proto, OUT_CLOSED,
			     output_answer_reason(OUT_CLOSED, proto, syn), 0);
			break;
		case STORE_UNREACH:
			emit(&c, &a, port, proto, OUT_UNREACH,
			     store_reason_name(store_reason(store, probe)), 0);
			break;
		case STORE_NONE:
			emit(&c, &a, port, proto, OUT_FILTERED, "no-response",
			     0);
			break;
		}
	}
	free(pend);
	return 0;
}

void scan_dry_run(const struct scan_config *cfg, const struct targets *targets,
		  const struct portlist *ports,
		  void (*fn)(void *ctx, const struct rs_addr *a, uint16_t port,
			     enum rs_proto proto),
		  void *ctx)
{
	uint64_t n = targets_count(targets) * ports->count;
	uint32_t count = cfg->shard_count ? cfg->shard_count : 1;
	struct permute p;
	struct rs_addr a;

	if (!n || permute_init_order(&p, n, cfg->seed, cfg->sequential))
		return;
	for (uint64_t k = 0; cfg->shard_index + k * count < n; k++) {
		uint64_t probe =
			permute_shard_at(&p, cfg->shard_index, count, k);

		targets_get(targets, probe / ports->count, &a);
		fn(ctx, &a, ports->port[probe % ports->count],
		   ports_proto(ports, (uint32_t)(probe % ports->count)));
	}
}
