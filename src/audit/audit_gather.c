/*
 * audit_gather.c - the local audit's evidence (see audit_gather.h).
 *
 * Both families go in parallel - two threads for the bind test, two
 * scan_run() instances for the scan - because the work is the kernel's
 * (socket setup, loopback SYN/RST) and this is a 2-core machine: each scan
 * keeps one core busy.
 *
 * UDP has no handshake to scan for.  On a local machine bind() is the
 * reliable test, so by default UDP is judged from the listings and the
 * bind test; --udp adds a datagram sweep (see audit_udp_sweep) that is
 * opt-in because it sends a datagram to every UDP service on the machine.
 *
 * Listeners bound to one address the scan did not cover (127.0.0.5, a
 * link-local address with its scope) are reached by plain nonblocking
 * connects, PROBE_BATCH at a time, each judged with the self-connect check
 * (a connect whose local address and port equal the peer's is no listener).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "audit_gather.h"
#include "clock.h"
#include "localaddr.h"
#include "proctable.h"
#include "store.h"
#include "targets.h"

#define PROBE_BATCH 256 /* plain-socket probes open at once */
#define PROBE_TIMEOUT_MS 1000

struct probe {
	struct rs_addr addr;
	uint32_t scope; /* IPv6 link-local interface */
	uint16_t port;
	uint8_t result; /* enum audit_probe */
};

/* ---- addresses ---- */

void audit_addrs_add(struct audit_addrs *l, const struct rs_addr *a)
{
	for (size_t i = 0; i < l->n; i++)
		if (!addr_cmp(&l->v[i], a))
			return;
	if (l->n == AUDIT_MAX_ADDRS) {
		l->dropped++;
		return;
	}
	l->v[l->n++] = *a;
}

static bool is_link_local6(const struct rs_addr *a)
{
	return a->family == AF_INET6 && a->bytes[0] == 0xfe &&
	       (a->bytes[1] & 0xc0) == 0x80;
}

static bool is_loopback6(const struct rs_addr *a)
{
	static const uint8_t lo[16] = { [15] = 1 };

	return a->family == AF_INET6 && !memcmp(a->bytes, lo, 16);
}

/*
 * Every address of an interface that is up: 127.0.0.1 for all of 127/8
 * (the listings and bind test find the rest, and step 5 probes them); no
 * link-local IPv6 (a connect needs its scope; listeners bound there are
 * probed in step 5 with it).
 */
static int local_add(void *ctx, const struct rs_addr *a, bool up)
{
	struct audit_addrs *out = ctx;

	if (!up)
		return 0;
	if (a->family == AF_INET && a->bytes[0] != 127)
		audit_addrs_add(&out[0], a);
	else if (a->family == AF_INET6 && !is_link_local6(a))
		audit_addrs_add(&out[1], a);
	return 0;
}

void audit_gather_local_addrs(struct audit_addrs out[2])
{
	struct rs_addr a;

	memset(out, 0, 2 * sizeof(*out));
	addr_parse("127.0.0.1", &a);
	audit_addrs_add(&out[0], &a);
	if (localaddr_each(local_add, out))
		return;
	/* ::1 first, as 127.0.0.1 is. */
	for (size_t k = 1; k < out[1].n; k++) {
		if (is_loopback6(&out[1].v[k])) {
			struct rs_addr t = out[1].v[0];

			out[1].v[0] = out[1].v[k];
			out[1].v[k] = t;
		}
	}
}

/* ---- bind test ---- */

/*
 * One dual-stack bind ([::] with V6ONLY off) per port and protocol answers
 * for both families at once: it conflicts with any IPv4 socket on the port
 * (0.0.0.0, 127.0.0.5, ...) and with any IPv6 one.  Only the ports it finds
 * held - a few, normally - are tested again per family (0.0.0.0, and [::]
 * with V6ONLY) to say which family holds them.  That halves the sockets a
 * full test creates (2 x 65535 instead of 4 x 65535), and socket creation
 * is the cost.  Without IPv6 in the kernel, every port is tested on
 * 0.0.0.0 only and IPv6 stays untested.
 */

struct bind_job {
	volatile sig_atomic_t *stop;
	bool dual; /* dual-stack sockets available */
	bool udp;
	const struct portlist *pl;
	uint32_t from, to; /* indices into pl */
	uint8_t *out[4]; /* AUDIT_TCP4 ... AUDIT_UDP6; [1], [3] may be NULL */
};

uint8_t audit_bind_one(enum audit_bind_mode mode, int type, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, v6only = mode == AUDIT_BIND_V6ONLY, ret;
	struct rs_addr any = { .family = mode == AUDIT_BIND_V4 ? AF_INET :
								 AF_INET6 };

	fd = socket(any.family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return AUDIT_BIND_UNTESTED;
	if (mode != AUDIT_BIND_V4 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
						&v6only, sizeof(v6only))) {
		close(fd);
		return AUDIT_BIND_UNTESTED;
	}
	len = addr_to_sockaddr(&any, port, &ss);
	ret = bind(fd, (struct sockaddr *)&ss, len) ? errno : 0;
	close(fd);
	switch (ret) {
	case 0:
		return AUDIT_BIND_FREE;
	case EADDRINUSE:
		return AUDIT_BIND_HELD;
	case EACCES:
	case EPERM:
		return AUDIT_BIND_DENIED;
	default:
		return AUDIT_BIND_UNTESTED;
	}
}

/* One port of one protocol into out4/out6 (out6 NULL: IPv4 only). */
static void bind_port(bool dual, int type, uint16_t port, uint8_t *out4,
		      uint8_t *out6)
{
	uint8_t st;

	if (!dual) {
		out4[port] = audit_bind_one(AUDIT_BIND_V4, type, port);
		return;
	}
	st = audit_bind_one(AUDIT_BIND_DUAL, type, port);
	if (st == AUDIT_BIND_HELD) {
		out4[port] = audit_bind_one(AUDIT_BIND_V4, type, port);
		out6[port] = audit_bind_one(AUDIT_BIND_V6ONLY, type, port);
	} else {
		out4[port] = st;
		out6[port] = st;
	}
}

static void *bind_thread(void *arg)
{
	struct bind_job *j = arg;

	for (uint32_t i = j->from; i < j->to && !*j->stop; i++) {
		uint16_t port = j->pl->port[i];

		bind_port(j->dual, SOCK_STREAM, port, j->out[AUDIT_TCP4],
			  j->out[AUDIT_TCP6]);
		if (j->udp)
			bind_port(j->dual, SOCK_DGRAM, port, j->out[AUDIT_UDP4],
				  j->out[AUDIT_UDP6]);
	}
	return NULL;
}

/* Can this kernel make a dual-stack IPv6 socket? */
static bool dual_stack(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), off = 0;
	bool ok;

	if (fd < 0)
		return false;
	ok = !setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	close(fd);
	return ok;
}

/* The whole test, the port list split between two threads.  0 or -ENOMEM. */
int audit_gather_bind(struct audit_gather *g, const struct portlist *pl,
		      bool udp)
{
	struct bind_job jobs[2];
	pthread_t th[2];
	bool started[2] = { false, false }, dual = dual_stack();

	for (unsigned t = 0; t < 4; t++) {
		bool v6 = t == AUDIT_TCP6 || t == AUDIT_UDP6;
		bool is_udp = t == AUDIT_UDP4 || t == AUDIT_UDP6;

		if ((v6 && !dual) || (is_udp && !udp))
			continue;
		g->bind[t] = calloc(AUDIT_NPORTS, 1);
		if (!g->bind[t])
			return -ENOMEM;
	}
	for (int k = 0; k < 2; k++) {
		jobs[k] = (struct bind_job){
			.stop = g->stop,
			.dual = dual,
			.udp = udp,
			.pl = pl,
			.from = k ? pl->count / 2 : 0,
			.to = k ? pl->count : pl->count / 2,
		};
		memcpy(jobs[k].out, g->bind, sizeof(jobs[k].out));
	}
	for (int k = 0; k < 2; k++) {
		if (pthread_create(&th[k], NULL, bind_thread, &jobs[k]))
			bind_thread(&jobs[k]); /* no thread: do it here */
		else
			started[k] = true;
	}
	for (int k = 0; k < 2; k++)
		if (started[k])
			pthread_join(th[k], NULL);
	return 0;
}

/* ---- UDP datagram sweep (--udp) ---- */

/*
 * One unconnected socket per family with IP_RECVERR: an empty datagram to
 * every port of every local address, and the error queue read as it fills.
 * Each ICMP port-unreachable comes back with the datagram's original
 * destination, which names the closed port; a port that draws none is
 * open|filtered.  On the local machine the ICMP comes back through the
 * loopback, which is not rate-limited (measured: 1000 of 1000 at full
 * speed), and it is queued before sendto() returns, so a short final wait
 * is enough.  The error queue is charged to the receive buffer, hence the
 * large buffer and a drain every UDP_SWEEP_BATCH sends: a dropped error
 * would turn a closed port into an open one.  The socket's own port is
 * never judged (our datagram to it would be delivered to us).
 */
#define UDP_SWEEP_BATCH 64
#define UDP_SWEEP_RCVBUF (4 << 20)
#define UDP_SWEEP_WAIT_MS 50

static void udp_drain(int fd, uint8_t *res)
{
	char cbuf[512];
	struct sockaddr_storage name;

	for (;;) {
		struct msghdr mh = {
			.msg_name = &name,
			.msg_namelen = sizeof(name),
			.msg_control = cbuf,
			.msg_controllen = sizeof(cbuf),
		};
		struct cmsghdr *cm;
		uint16_t port;

		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		port = name.ss_family == AF_INET6 ?
			       ntohs(((struct sockaddr_in6 *)&name)->sin6_port) :
			       ntohs(((struct sockaddr_in *)&name)->sin_port);
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			struct sock_extended_err ee;
			bool unreach;

			if (!((cm->cmsg_level == SOL_IP &&
			       cm->cmsg_type == IP_RECVERR) ||
			      (cm->cmsg_level == SOL_IPV6 &&
			       cm->cmsg_type == IPV6_RECVERR)))
				continue;
			memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
			unreach = (ee.ee_origin == SO_EE_ORIGIN_ICMP &&
				   ee.ee_type == 3 && ee.ee_code == 3) ||
				  (ee.ee_origin == SO_EE_ORIGIN_ICMP6 &&
				   ee.ee_type == 1 && ee.ee_code == 4);
			res[port] = unreach ? AUDIT_PROBE_CLOSED :
					      AUDIT_PROBE_FILTERED;
		}
	}
}

/*
 * Sweep ports[0..n) of every address in l (one family) into out (best
 * result over the addresses).  0 or -errno.
 */
int audit_udp_sweep(const struct audit_addrs *l, const uint16_t *ports,
		    size_t n, uint8_t *out, volatile sig_atomic_t *stop)
{
	int family = l->v[0].family, fd, on = 1, size = UDP_SWEEP_RCVBUF;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct rs_addr any = { .family = (uint8_t)family };
	uint16_t own;
	uint8_t *res;
	int ret = 0;

	res = malloc(AUDIT_NPORTS);
	if (!res)
		return -ENOMEM;
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		goto out_free;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
				 sizeof(size));
	if (setsockopt(fd, family == AF_INET6 ? SOL_IPV6 : SOL_IP,
		       family == AF_INET6 ? IPV6_RECVERR : IP_RECVERR, &on,
		       sizeof(on))) {
		ret = -errno;
		goto out_close;
	}
	len = addr_to_sockaddr(&any, 0, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		ret = -errno;
		goto out_close;
	}
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	own = ntohs(family == AF_INET6 ?
			    ((struct sockaddr_in6 *)&ss)->sin6_port :
			    ((struct sockaddr_in *)&ss)->sin_port);

	for (size_t a = 0; a < l->n && !*stop; a++) {
		for (size_t i = 0; i < n; i++)
			res[ports[i]] = AUDIT_PROBE_OPEN;
		for (size_t i = 0; i < n && !*stop; i++) {
			len = addr_to_sockaddr(&l->v[a], ports[i], &ss);
			for (int tries = 0; tries < 100; tries++) {
				int err;

				if (sendto(fd, "", 0, 0, (struct sockaddr *)&ss,
					   len) == 0)
					break;
				/* ECONNREFUSED reports an earlier ICMP
				 * (already queued): send again.  EAGAIN,
				 * ENOBUFS: drain and let the loopback catch
				 * up. */
				err = errno;
				udp_drain(fd, res);
				if (err != ECONNREFUSED)
					poll(NULL, 0, 1);
			}
			if (i % UDP_SWEEP_BATCH == UDP_SWEEP_BATCH - 1)
				udp_drain(fd, res);
		}
		for (int w = 0; w < UDP_SWEEP_WAIT_MS / 10; w++) {
			poll(NULL, 0, 10);
			udp_drain(fd, res);
		}
		res[own] = AUDIT_PROBE_NONE;
		for (size_t i = 0; i < n; i++)
			if (res[ports[i]] > out[ports[i]])
				out[ports[i]] = res[ports[i]];
	}
out_close:
	close(fd);
out_free:
	free(res);
	return ret;
}

/* ---- connect scan ---- */

struct scan_job {
	volatile sig_atomic_t *stop;
	struct scan_config cfg;
	const struct audit_addrs *addrs;
	const struct portlist *pl;
	uint8_t *tcp; /* out */
	uint8_t *udp; /* out, if a --udp sweep follows the scan; else NULL */
	struct scan_summary sum;
	int ret;
	const char *what; /* what failed, for the message */
};

static uint8_t probe_of(enum store_state st)
{
	switch (st) {
	case STORE_OPEN:
		return AUDIT_PROBE_OPEN;
	case STORE_CLOSED:
		return AUDIT_PROBE_CLOSED;
	default:
		return AUDIT_PROBE_FILTERED; /* unreachable or no answer */
	}
}

static void *scan_thread(void *arg)
{
	struct scan_job *j = arg;
	struct scan_hooks hooks;
	struct targets *t = NULL;
	struct store *store = NULL;
	struct rs_error err;
	char buf[RS_ADDR_STRLEN];
	uint64_t nhosts;

	memset(&hooks, 0, sizeof(hooks));
	j->ret = targets_new(&t);
	if (j->ret) {
		j->what = "targets";
		return NULL;
	}
	for (size_t i = 0; i < j->addrs->n && !j->ret; i++)
		j->ret = targets_add(
			t, addr_format(&j->addrs->v[i], buf, sizeof(buf)),
			&err);
	if (!j->ret)
		j->ret = targets_finalize(t);
	if (j->ret) {
		j->what = "targets";
		goto out_free_targets;
	}
	nhosts = targets_count(t);
	j->ret = store_new(&store, nhosts * j->pl->count);
	if (j->ret) {
		j->what = "state store";
		goto out_free_targets;
	}
	j->ret = scan_run(&j->cfg, t, j->pl, store, &hooks, j->stop, &j->sum);
	if (j->ret) {
		j->what = "scan";
		goto out_free_store;
	}
	for (uint64_t h = 0; h < nhosts; h++) {
		for (uint32_t i = 0; i < j->pl->count; i++) {
			uint16_t port = j->pl->port[i];
			uint8_t p = probe_of(
				store_get(store, h * j->pl->count + i));

			if (p > j->tcp[port])
				j->tcp[port] = p;
		}
	}
	if (j->udp && !*j->stop) {
		j->ret = audit_udp_sweep(j->addrs, j->pl->port, j->pl->count,
					 j->udp, j->stop);
		if (j->ret)
			j->what = "UDP sweep";
	}
out_free_store:
	store_free(store);
out_free_targets:
	targets_free(t);
	return NULL;
}

int audit_gather_scan(struct audit_gather *g, const struct scan_config *cfg,
		      const struct portlist *pl, bool udp_sweep,
		      uint64_t *elapsed_ns, const char **what)
{
	struct scan_job jobs[2];
	pthread_t th[2];
	bool started[2] = { false, false };

	*elapsed_ns = 0;
	*what = "memory";
	for (int f = 0; f < 2; f++) {
		memset(&jobs[f], 0, sizeof(jobs[f]));
		if (!g->addrs[f].n)
			continue;
		g->tcp[f] = calloc(AUDIT_NPORTS, 1);
		if (!g->tcp[f])
			return -ENOMEM;
		jobs[f].stop = g->stop;
		jobs[f].cfg = *cfg;
		jobs[f].addrs = &g->addrs[f];
		jobs[f].pl = pl;
		jobs[f].tcp = g->tcp[f];
		if (udp_sweep) {
			g->udp[f] = calloc(AUDIT_NPORTS, 1);
			if (!g->udp[f])
				return -ENOMEM;
			jobs[f].udp = g->udp[f];
		}
	}
	for (int f = 0; f < 2; f++) {
		if (!g->addrs[f].n)
			continue;
		if (pthread_create(&th[f], NULL, scan_thread, &jobs[f]))
			scan_thread(&jobs[f]);
		else
			started[f] = true;
	}
	for (int f = 0; f < 2; f++)
		if (started[f])
			pthread_join(th[f], NULL);
	for (int f = 0; f < 2; f++) {
		if (!g->addrs[f].n)
			continue;
		if (jobs[f].ret) {
			*what = jobs[f].what;
			return jobs[f].ret;
		}
		if (jobs[f].sum.elapsed_ns > *elapsed_ns)
			*elapsed_ns = jobs[f].sum.elapsed_ns;
	}
	return 0;
}

/* ---- plain-socket probes ---- */

static socklen_t probe_sockaddr(const struct probe *p,
				struct sockaddr_storage *ss)
{
	socklen_t len = addr_to_sockaddr(&p->addr, p->port, ss);

	if (p->addr.family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_scope_id = p->scope;
	return len;
}

/*
 * Connect to each (address, port) with an ordinary socket, PROBE_BATCH at
 * a time, and judge it: connected -> open unless it connected to itself
 * (the ephemeral-range pitfall: local address and port equal the peer's);
 * refused -> closed; no answer in PROBE_TIMEOUT_MS -> filtered.
 */
static void probe_run(struct probe *p, size_t n, volatile sig_atomic_t *stop)
{
	struct pollfd pfd[PROBE_BATCH];
	size_t idx[PROBE_BATCH];

	for (size_t base = 0; base < n && !*stop; base += PROBE_BATCH) {
		size_t m = 0, left;
		uint64_t deadline;

		for (size_t i = base; i < n && i < base + PROBE_BATCH; i++) {
			struct sockaddr_storage ss;
			socklen_t len = probe_sockaddr(&p[i], &ss);
			struct linger lg = { 1, 0 };
			int fd = socket(
				p[i].addr.family,
				SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

			p[i].result = AUDIT_PROBE_FILTERED;
			if (fd < 0)
				continue;
			(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg,
					 sizeof(lg));
			if (connect(fd, (struct sockaddr *)&ss, len) &&
			    errno != EINPROGRESS) {
				if (errno == ECONNREFUSED)
					p[i].result = AUDIT_PROBE_CLOSED;
				close(fd);
				continue;
			}
			pfd[m] = (struct pollfd){ .fd = fd, .events = POLLOUT };
			idx[m++] = i;
		}
		left = m;
		deadline = clock_now_ns() + PROBE_TIMEOUT_MS * 1000000ULL;
		while (left && !*stop) {
			uint64_t now = clock_now_ns();
			int r;

			if (now >= deadline)
				break;
			r = poll(pfd, m, (int)((deadline - now) / 1000000 + 1));
			if (r < 0 && errno != EINTR)
				break;
			for (size_t k = 0; r > 0 && k < m; k++) {
				struct sockaddr_storage ss, local;
				socklen_t len, llen = sizeof(local);
				struct probe *q = &p[idx[k]];
				int soerr = 0;
				socklen_t elen = sizeof(soerr);

				if (pfd[k].fd < 0 || !pfd[k].revents)
					continue;
				getsockopt(pfd[k].fd, SOL_SOCKET, SO_ERROR,
					   &soerr, &elen);
				if (!soerr) {
					len = probe_sockaddr(q, &ss);
					q->result = AUDIT_PROBE_OPEN;
					if (!getsockname(
						    pfd[k].fd,
						    (struct sockaddr *)&local,
						    &llen) &&
					    llen == len &&
					    !memcmp(&local, &ss, len))
						q->result = AUDIT_PROBE_CLOSED;
				} else if (soerr == ECONNREFUSED) {
					q->result = AUDIT_PROBE_CLOSED;
				}
				close(pfd[k].fd);
				pfd[k].fd = -1; /* poll ignores it */
				left--;
			}
		}
		for (size_t k = 0; k < m; k++)
			if (pfd[k].fd >= 0)
				close(pfd[k].fd);
	}
}

int audit_probes_add(struct audit_probes *ps, const struct rs_addr *a,
		     uint32_t scope, uint16_t port)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->v[i].port == port && !addr_cmp(&ps->v[i].addr, a))
			return 0;
	if (ps->n == ps->cap) {
		size_t ncap = ps->cap ? ps->cap * 2 : 64;
		struct probe *nv = reallocarray(ps->v, ncap, sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		ps->v = nv;
		ps->cap = ncap;
	}
	ps->v[ps->n++] =
		(struct probe){ .addr = *a, .scope = scope, .port = port };
	return 0;
}

int audit_probes_run(struct audit_gather *g, struct audit_probes *ps)
{
	probe_run(ps->v, ps->n, g->stop);
	for (size_t i = 0; i < ps->n; i++) {
		int f = ps->v[i].addr.family == AF_INET6;

		if (!g->tcp[f]) {
			g->tcp[f] = calloc(AUDIT_NPORTS, 1);
			if (!g->tcp[f])
				return -ENOMEM;
		}
		if (ps->v[i].result > g->tcp[f][ps->v[i].port])
			g->tcp[f][ps->v[i].port] = ps->v[i].result;
	}
	return 0;
}

void audit_probes_free(struct audit_probes *ps)
{
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

static bool addr_in(const struct audit_addrs *l, const struct rs_addr *a)
{
	for (size_t i = 0; i < l->n; i++)
		if (!addr_cmp(&l->v[i], a))
			return true;
	return false;
}

static bool addr_is_any(const struct rs_addr *a)
{
	static const uint8_t zero[16];

	return !memcmp(a->bytes, zero, a->family == AF_INET6 ? 16 : 4);
}

/* A v4-mapped IPv6 address as the IPv4 address it stands for. */
static void unmap(struct rs_addr *a)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	if (a->family == AF_INET6 && !memcmp(a->bytes, prefix, 12)) {
		memmove(a->bytes, a->bytes + 12, 4);
		memset(a->bytes + 4, 0, 12);
		a->family = AF_INET;
	}
}

/*
 * Step 5: TCP listeners bound to a specific address that the scan did not
 * cover (127.0.0.5, a link-local or down interface's address).  only_port:
 * 0 for all, else just that port (re-verification).
 */
int audit_gather_probe_listed(struct audit_gather *g, uint16_t only_port,
			      bool reset)
{
	const struct sock_list *lists[2] = { &g->nl, &g->pr };
	struct audit_probes ps = { 0 };
	int ret = 0;

	for (int s = 0; s < 2; s++) {
		const struct sock_list *l = lists[s];

		for (size_t i = 0; l && i < l->n; i++) {
			const struct sock_entry *e = &l->v[i];
			struct rs_addr a = e->local;
			int f;

			if (e->proto != RS_TCP || e->state != SOCK_ST_LISTEN ||
			    addr_is_any(&a) ||
			    (only_port && e->lport != only_port))
				continue;
			unmap(&a);
			f = a.family == AF_INET6;
			if (!reset && addr_in(&g->addrs[f], &a))
				continue;
			ret = audit_probes_add(
				&ps, &a, is_link_local6(&a) ? e->ifindex : 0,
				e->lport);
			if (ret)
				goto out_free;
		}
	}
	ret = audit_probes_run(g, &ps);
out_free:
	audit_probes_free(&ps);
	return ret;
}

/* ---- listings ---- */

int audit_gather_listings(struct audit_gather *g, const char *proc_root,
			  struct audit_listings_err *e)
{
	unsigned missing = 0;
	int ret;

	memset(e, 0, sizeof(*e));
	ret = sockdiag_dump(&g->nl, &missing);
	if (ret == -EPROTONOSUPPORT || ret == -EACCES || ret == -EPERM) {
		e->netlink_unavailable = -ret;
		g->nl_ok = false;
	} else if (ret) {
		e->source = AUDIT_LISTING_NETLINK;
		return ret;
	} else {
		g->nl_ok = true;
		g->nl_missing |= missing;
	}

	missing = 0;
	ret = proctable_read(proc_root, &g->pr, &missing, &e->bad_table,
			     &e->err);
	if (ret) {
		e->source = AUDIT_LISTING_PROC;
		return ret;
	}
	g->pr_ok = missing != SOCK_T_ALL;
	e->proc_none = !g->pr_ok;
	g->pr_missing |= missing;
	return 0;
}

int audit_gather_owners(struct audit_gather *g, const char *proc_root)
{
	uint64_t *inodes;
	size_t n = 0;
	int ret;

	inodes = malloc((g->nl.n + g->pr.n + 1) * sizeof(*inodes));
	if (!inodes)
		return -ENOMEM;
	for (size_t i = 0; i < g->nl.n; i++)
		if (sock_entry_is_listener(&g->nl.v[i]))
			inodes[n++] = g->nl.v[i].inode;
	for (size_t i = 0; i < g->pr.n; i++)
		if (sock_entry_is_listener(&g->pr.v[i]))
			inodes[n++] = g->pr.v[i].inode;
	owners_free(&g->owners);
	ret = n ? owners_load(&g->owners, proc_root, inodes, n) : 0;
	free(inodes);
	if (ret == -ENOENT || ret == -EACCES)
		ret = 0; /* no process tree: owners unknown */
	return ret;
}

void audit_gather_free(struct audit_gather *g)
{
	sock_list_free(&g->nl);
	sock_list_free(&g->pr);
	for (int i = 0; i < 4; i++)
		free(g->bind[i]);
	for (int i = 0; i < 2; i++) {
		free(g->tcp[i]);
		free(g->udp[i]);
	}
	owners_free(&g->owners);
	free(g->cap);
	memset(g, 0, sizeof(*g));
}

void audit_gather_evidence(const struct audit_gather *g, bool remote, bool udp,
			   struct audit_evidence *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->remote = remote;
	ev->udp = udp;
	ev->netlink = g->nl_ok ? &g->nl : NULL;
	ev->netlink_missing = g->nl_missing;
	ev->proc = g->pr_ok ? &g->pr : NULL;
	ev->proc_missing = g->pr_missing;
	for (int i = 0; i < 4; i++)
		ev->bind[i] = g->bind[i];
	ev->tcp[0] = g->tcp[0];
	ev->tcp[1] = g->tcp[1];
	ev->udp_probe[0] = g->udp[0];
	ev->udp_probe[1] = g->udp[1];
	ev->owners = &g->owners;
	ev->capture = g->cap;
	ev->ncapture = g->ncap;
	ev->targets = g->all_targets;
	ev->ntargets = g->nall;
}

/* ---- remote capture ---- */

int audit_gather_capture_add(void *ctx, const struct netstat_entry *e)
{
	struct audit_gather *g = ctx;

	if (g->ncap == g->capcap) {
		size_t cap = g->capcap ? g->capcap * 2 : 64;
		struct netstat_entry *v;

		if (cap > AUDIT_MAX_CAPTURE_ROWS)
			return -E2BIG;
		v = reallocarray(g->cap, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		g->cap = v;
		g->capcap = cap;
	}
	g->cap[g->ncap++] = *e;
	return 0;
}
