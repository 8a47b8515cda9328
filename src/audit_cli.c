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
 * Both families go in parallel - two threads for the bind test, two
 * scan_run() instances for the scan - because the work is the kernel's
 * (socket setup, loopback SYN/RST) and this is a 2-core machine: each scan
 * keeps one core busy.  The scans use a small window (AUDIT_LOCAL_WINDOW):
 * on loopback nothing is gained by thousands in flight, and measured, 64 to
 * 128 in flight sweep 65535 ports in about 0.45 s where 4096 take 1.1 s
 * (the kernel's ephemeral-port search and cache footprint grow with the
 * number of connections in flight).
 *
 * UDP has no handshake to scan for.  On a local machine bind() is the
 * reliable test, so by default UDP is judged from the listings and the
 * bind test; --udp adds a datagram sweep (see udp_sweep) that is opt-in
 * because it sends a datagram to every UDP service on the machine.
 *
 * The remote audit (--netstat FILE TARGET...) scans the targets with the
 * ordinary scan defaults and judges them against the capture; hidden ports
 * are probed once more before they are reported.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <linux/errqueue.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "audit_cli.h"
#include "cli.h"
#include "clock.h"
#include "fileio.h"
#include "netstat.h"
#include "owners.h"
#include "ports.h"
#include "proctable.h"
#include "scan.h"
#include "services.h"
#include "sockdiag.h"
#include "store.h"
#include "targets.h"
#include "version.h"

#define AUDIT_LOCAL_WINDOW 128 /* in flight per family on local addresses */
#define AUDIT_REMOTE_WINDOW 4096
#define AUDIT_RETRIES 3
#define AUDIT_MAX_ADDRS 64 /* per family */
#define PROBE_BATCH 256 /* plain-socket probes open at once */
#define PROBE_TIMEOUT_MS 1000
#define MAX_CAPTURE_ROWS 1000000

static volatile sig_atomic_t audit_stop;

struct addr_list {
	struct rs_addr v[AUDIT_MAX_ADDRS];
	size_t n;
	size_t dropped; /* beyond AUDIT_MAX_ADDRS */
};

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

/* Everything the verdicts are built from; freed by gathered_free. */
struct gathered {
	struct sock_list nl, pr;
	unsigned nl_missing, pr_missing;
	bool nl_ok, pr_ok;
	uint8_t *bind[4]; /* NULL: not tested */
	uint8_t *tcp[2];
	uint8_t *udp[2]; /* --udp sweep, NULL if not done */
	struct owner_table owners;
	struct netstat_entry *cap;
	size_t ncap, capcap;
	struct addr_list addrs[2]; /* scanned: [0] IPv4, [1] IPv6 */
	struct rs_addr all_targets[AUDIT_MAX_ADDRS * 2];
	size_t nall;
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
	exit(AUDIT_EXIT_BAD_INPUT);
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
			c->scan.concurrency = (uint32_t)cli_parse_uint(
				"--concurrency", v, 1, 1000000);
			c->concurrency_set = true;
		} else if ((v = cli_long_value(a, "--timeout", argc, argv,
					       &i))) {
			/* A bare number is milliseconds, as it always was. */
			c->scan.timeout_ns = cli_parse_time(
				"--timeout", v, 1000000ULL, 3600 * NS_PER_S);
			if (!c->scan.timeout_ns)
				cli_fail("--timeout '%s': must be above 0", v);
		} else if ((v = cli_long_value(a, "--retries", argc, argv,
					       &i))) {
			c->scan.retries = (uint32_t)cli_parse_uint("--retries",
								   v, 0, 100);
		} else if ((v = cli_long_value(a, "--rate", argc, argv, &i))) {
			c->scan.rate =
				cli_parse_uint("--rate", v, 0, 100000000);
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

static void addr_add(struct addr_list *l, const struct rs_addr *a)
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
static void local_addresses(struct addr_list out[2])
{
	struct ifaddrs *ifa, *i;
	struct rs_addr a;

	memset(out, 0, 2 * sizeof(*out));
	addr_parse("127.0.0.1", &a);
	addr_add(&out[0], &a);
	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || !(i->ifa_flags & IFF_UP))
			continue;
		memset(&a, 0, sizeof(a));
		if (i->ifa_addr->sa_family == AF_INET) {
			a.family = AF_INET;
			memcpy(a.bytes,
			       &((struct sockaddr_in *)i->ifa_addr)->sin_addr,
			       4);
			if (a.bytes[0] != 127)
				addr_add(&out[0], &a);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			a.family = AF_INET6;
			memcpy(a.bytes,
			       &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
			       16);
			if (!is_link_local6(&a))
				addr_add(&out[1], &a);
		}
	}
	freeifaddrs(ifa);
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
enum bind_mode { BIND_V4, BIND_V6ONLY, BIND_DUAL };

struct bind_job {
	bool dual; /* dual-stack sockets available */
	bool udp;
	const struct portlist *pl;
	uint32_t from, to; /* indices into pl */
	uint8_t *out[4]; /* AUDIT_TCP4 ... AUDIT_UDP6; [1], [3] may be NULL */
};

static uint8_t bind_one(enum bind_mode mode, int type, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, v6only = mode == BIND_V6ONLY, ret;
	struct rs_addr any = { .family = mode == BIND_V4 ? AF_INET : AF_INET6 };

	fd = socket(any.family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return AUDIT_BIND_UNTESTED;
	if (mode != BIND_V4 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
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
		out4[port] = bind_one(BIND_V4, type, port);
		return;
	}
	st = bind_one(BIND_DUAL, type, port);
	if (st == AUDIT_BIND_HELD) {
		out4[port] = bind_one(BIND_V4, type, port);
		out6[port] = bind_one(BIND_V6ONLY, type, port);
	} else {
		out4[port] = st;
		out6[port] = st;
	}
}

static void *bind_thread(void *arg)
{
	struct bind_job *j = arg;

	for (uint32_t i = j->from; i < j->to && !audit_stop; i++) {
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
static int bind_test(struct gathered *g, const struct portlist *pl, bool udp)
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
static int udp_sweep(const struct addr_list *l, const uint16_t *ports, size_t n,
		     uint8_t *out)
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

	for (size_t a = 0; a < l->n && !audit_stop; a++) {
		for (size_t i = 0; i < n; i++)
			res[ports[i]] = AUDIT_PROBE_OPEN;
		for (size_t i = 0; i < n && !audit_stop; i++) {
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
	struct scan_config cfg;
	const struct addr_list *addrs;
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
	j->ret = scan_run(&j->cfg, t, j->pl, store, &hooks, &audit_stop,
			  &j->sum);
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
	if (j->udp && !audit_stop) {
		j->ret = udp_sweep(j->addrs, j->pl->port, j->pl->count, j->udp);
		if (j->ret)
			j->what = "UDP sweep";
	}
out_free_store:
	store_free(store);
out_free_targets:
	targets_free(t);
	return NULL;
}

/*
 * Scan each family's addresses, the two families in parallel.  Returns 0,
 * or prints why and returns the exit status.
 */
static int scan_all(struct gathered *g, const struct acli *c,
		    const struct portlist *pl, uint64_t *elapsed_ns)
{
	struct scan_job jobs[2];
	pthread_t th[2];
	bool started[2] = { false, false };

	*elapsed_ns = 0;
	for (int f = 0; f < 2; f++) {
		memset(&jobs[f], 0, sizeof(jobs[f]));
		if (!g->addrs[f].n)
			continue;
		g->tcp[f] = calloc(AUDIT_NPORTS, 1);
		if (!g->tcp[f]) {
			say("out of memory");
			return AUDIT_EXIT_RUNTIME;
		}
		jobs[f].cfg = c->scan;
		jobs[f].addrs = &g->addrs[f];
		jobs[f].pl = pl;
		jobs[f].tcp = g->tcp[f];
		if (c->udp_sweep) {
			g->udp[f] = calloc(AUDIT_NPORTS, 1);
			if (!g->udp[f]) {
				say("out of memory");
				return AUDIT_EXIT_RUNTIME;
			}
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
			if (!strcmp(jobs[f].what, "scan"))
				say("%s", cli_engine_error(SCAN_CONNECT,
							   jobs[f].ret));
			else
				say("cannot set up the %s: %s", jobs[f].what,
				    strerror(-jobs[f].ret));
			return AUDIT_EXIT_RUNTIME;
		}
		if (jobs[f].sum.elapsed_ns > *elapsed_ns)
			*elapsed_ns = jobs[f].sum.elapsed_ns;
	}
	return 0;
}

/* ---- plain-socket probes ---- */

struct probe {
	struct rs_addr addr;
	uint32_t scope; /* IPv6 link-local interface */
	uint16_t port;
	uint8_t result; /* enum audit_probe */
};

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
static void probe_run(struct probe *p, size_t n)
{
	struct pollfd pfd[PROBE_BATCH];
	size_t idx[PROBE_BATCH];

	for (size_t base = 0; base < n && !audit_stop; base += PROBE_BATCH) {
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
		while (left && !audit_stop) {
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

static int probes_add(struct probe **v, size_t *n, size_t *cap,
		      const struct rs_addr *a, uint32_t scope, uint16_t port)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].port == port && !addr_cmp(&(*v)[i].addr, a))
			return 0;
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct probe *nv = reallocarray(*v, ncap, sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	(*v)[*n] = (struct probe){ .addr = *a, .scope = scope, .port = port };
	(*n)++;
	return 0;
}

static bool addr_in(const struct addr_list *l, const struct rs_addr *a)
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
static int probe_listed(struct gathered *g, const struct sock_list *lists[2],
			uint16_t only_port, bool reset)
{
	struct probe *v = NULL;
	size_t n = 0, cap = 0;
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
			ret = probes_add(&v, &n, &cap, &a,
					 is_link_local6(&a) ? e->ifindex : 0,
					 e->lport);
			if (ret)
				goto out_free;
		}
	}
	probe_run(v, n);
	for (size_t i = 0; i < n; i++) {
		int f = v[i].addr.family == AF_INET6;

		if (!g->tcp[f]) {
			g->tcp[f] = calloc(AUDIT_NPORTS, 1);
			if (!g->tcp[f]) {
				ret = -ENOMEM;
				goto out_free;
			}
		}
		if (v[i].result > g->tcp[f][v[i].port])
			g->tcp[f][v[i].port] = v[i].result;
	}
out_free:
	free(v);
	return ret;
}

/* ---- listings ---- */

/*
 * Read both listings, appending.  Returns 0 or an exit status (after
 * saying why).  A kernel without sock_diag leaves netlink unavailable.
 */
static int read_listings(struct gathered *g, const struct acli *c,
			 bool explicit_root, bool quiet)
{
	struct rs_error err;
	unsigned missing = 0, bad = 0;
	int ret;

	memset(&err, 0, sizeof(err));
	ret = sockdiag_dump(&g->nl, &missing);
	if (ret == -EPROTONOSUPPORT || ret == -EACCES || ret == -EPERM) {
		if (!quiet)
			say("note: netlink sock_diag is not available (%s); judging by /proc alone",
			    strerror(-ret));
		g->nl_ok = false;
	} else if (ret) {
		say("reading the socket table through netlink: %s",
		    strerror(-ret));
		return AUDIT_EXIT_RUNTIME;
	} else {
		g->nl_ok = true;
		g->nl_missing |= missing;
	}

	ret = proctable_read(c->proc_root, &g->pr, &missing, &bad, &err);
	if (ret == -EINVAL) {
		if (err.line)
			say("%s/%s line %lu: '%s': %s", c->proc_root,
			    proctable_file(bad), err.line, err.token,
			    err.reason ? err.reason : "invalid");
		else
			say("%s/%s: %s", c->proc_root, proctable_file(bad),
			    err.reason ? err.reason : "invalid");
		return explicit_root ? AUDIT_EXIT_BAD_INPUT :
				       AUDIT_EXIT_RUNTIME;
	}
	if (ret) {
		say("reading %s/%s: %s", c->proc_root, proctable_file(bad),
		    fileio_strerror(ret));
		return explicit_root ? AUDIT_EXIT_BAD_INPUT :
				       AUDIT_EXIT_RUNTIME;
	}
	if (missing == SOCK_T_ALL) {
		if (explicit_root) {
			say("--proc-root '%s': no net/tcp, net/tcp6, net/udp or net/udp6 under it",
			    c->proc_root);
			return AUDIT_EXIT_BAD_INPUT;
		}
		if (!quiet)
			say("note: %s/net is not readable; judging by netlink alone",
			    c->proc_root);
		g->pr_ok = false;
	} else {
		g->pr_ok = true;
	}
	g->pr_missing |= missing;
	return 0;
}

static int load_owners(struct gathered *g, const struct acli *c)
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
	ret = n ? owners_load(&g->owners, c->proc_root, inodes, n) : 0;
	free(inodes);
	if (ret == -ENOENT || ret == -EACCES)
		ret = 0; /* no process tree: owners unknown */
	return ret;
}

static void gathered_free(struct gathered *g)
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

static void evidence_of(const struct gathered *g, const struct acli *c,
			struct audit_evidence *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->remote = c->netstat_path != NULL;
	ev->udp = c->udp;
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

/* ---- re-verification ---- */

static const struct audit_row *row_find(const struct audit_report *r,
					unsigned proto, uint16_t port)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->rows[i].proto == proto && r->rows[i].port == port)
			return &r->rows[i];
	return NULL;
}

/*
 * Look again at every port the first pass judged hidden: fresh listings,
 * a fresh bind() of that port, fresh connects to it.  The final report
 * keeps the first pass's rows, except that each hidden row is replaced by
 * the second look's verdict for that port (or dropped if the second look
 * finds nothing there at all).
 */
static int reverify(struct audit_report *rep, const struct gathered *first,
		    const struct acli *c, const struct audit_policy *pol,
		    const struct audit_baseline *base)
{
	struct gathered g2;
	struct audit_evidence ev;
	struct audit_report second, final;
	struct probe *pv = NULL;
	size_t np = 0, pcap = 0;
	int ret = 0;

	if (!rep->count[AUDIT_HIDDEN])
		return 0;
	memset(&g2, 0, sizeof(g2));
	memcpy(g2.addrs, first->addrs, sizeof(g2.addrs));
	memcpy(g2.all_targets, first->all_targets, sizeof(g2.all_targets));
	g2.nall = first->nall;
	g2.cap = first->cap; /* borrowed: the capture cannot change */
	g2.ncap = first->ncap;
	if (!c->netstat_path) {
		ret = read_listings(&g2, c, c->explicit_root, true);
		if (ret)
			goto out_free;
	}
	for (int i = 0; i < 4; i++) {
		if (!first->bind[i])
			continue;
		g2.bind[i] = malloc(AUDIT_NPORTS);
		if (!g2.bind[i]) {
			ret = -ENOMEM;
			goto out_free;
		}
		memcpy(g2.bind[i], first->bind[i], AUDIT_NPORTS);
	}
	for (int f = 0; f < 2; f++) {
		if (first->tcp[f]) {
			g2.tcp[f] = malloc(AUDIT_NPORTS);
			if (!g2.tcp[f]) {
				ret = -ENOMEM;
				goto out_free;
			}
			memcpy(g2.tcp[f], first->tcp[f], AUDIT_NPORTS);
		}
		if (first->udp[f]) {
			g2.udp[f] = malloc(AUDIT_NPORTS);
			if (!g2.udp[f]) {
				ret = -ENOMEM;
				goto out_free;
			}
			memcpy(g2.udp[f], first->udp[f], AUDIT_NPORTS);
		}
	}
	for (size_t i = 0; i < rep->n; i++) {
		const struct audit_row *r = &rep->rows[i];

		if (r->verdict != AUDIT_HIDDEN)
			continue;
		for (int f = 0; f < 2; f++) {
			unsigned t = (r->proto == RS_UDP ? 2 : 0) + (unsigned)f;

			if (g2.bind[t])
				g2.bind[t][r->port] = bind_one(
					f ? BIND_V6ONLY : BIND_V4,
					r->proto == RS_UDP ? SOCK_DGRAM :
							     SOCK_STREAM,
					r->port);
			if (r->proto == RS_UDP && g2.udp[f] && g2.addrs[f].n) {
				g2.udp[f][r->port] = AUDIT_PROBE_NONE;
				ret = udp_sweep(&g2.addrs[f], &r->port, 1,
						g2.udp[f]);
				if (ret)
					goto out_free;
			}
			if (r->proto != RS_TCP || !g2.tcp[f])
				continue;
			g2.tcp[f][r->port] = AUDIT_PROBE_NONE;
			for (size_t k = 0; k < g2.addrs[f].n; k++) {
				ret = probes_add(&pv, &np, &pcap,
						 &g2.addrs[f].v[k], 0, r->port);
				if (ret)
					goto out_free;
			}
		}
	}
	probe_run(pv, np);
	for (size_t i = 0; i < np; i++) {
		int f = pv[i].addr.family == AF_INET6;

		if (pv[i].result > g2.tcp[f][pv[i].port])
			g2.tcp[f][pv[i].port] = pv[i].result;
	}
	if (!c->netstat_path) {
		const struct sock_list *lists[2] = { &g2.nl, &g2.pr };

		for (size_t i = 0; i < rep->n; i++)
			if (rep->rows[i].verdict == AUDIT_HIDDEN &&
			    rep->rows[i].proto == RS_TCP) {
				ret = probe_listed(&g2, lists,
						   rep->rows[i].port, true);
				if (ret)
					goto out_free;
			}
		ret = load_owners(&g2, c);
		if (ret)
			goto out_free;
	}
	evidence_of(&g2, c, &ev);
	ret = audit_build(&ev, pol, base, &second);
	if (ret)
		goto out_free;

	memset(&final, 0, sizeof(final));
	final.remote = rep->remote;
	final.rows = malloc((rep->n + 1) * sizeof(*final.rows));
	if (!final.rows) {
		audit_report_free(&second);
		ret = -ENOMEM;
		goto out_free;
	}
	for (size_t i = 0; i < rep->n; i++) {
		const struct audit_row *r = &rep->rows[i];

		if (r->verdict == AUDIT_HIDDEN) {
			r = row_find(&second, r->proto, r->port);
			if (!r)
				continue; /* gone on the second look */
		}
		final.rows[final.n++] = *r;
		final.count[r->verdict]++;
	}
	audit_report_free(&second);
	audit_report_free(rep);
	*rep = final;
out_free:
	free(pv);
	g2.cap = NULL;
	gathered_free(&g2);
	return ret;
}

/* ---- remote capture ---- */

static int capture_add(void *ctx, const struct netstat_entry *e)
{
	struct gathered *g = ctx;

	if (g->ncap == g->capcap) {
		size_t cap = g->capcap ? g->capcap * 2 : 64;
		struct netstat_entry *v;

		if (cap > MAX_CAPTURE_ROWS)
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

/* Resolve the targets into g->addrs (one server's addresses). */
static void remote_targets(struct gathered *g, const struct acli *c)
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
		addr_add(&g->addrs[a.family == AF_INET6], &a);
	}
	targets_free(t);
}

/* ---- output ---- */

static void sanitize(char *out, size_t len, const char *in)
{
	size_t n = 0;

	for (; *in && n + 1 < len; in++) {
		unsigned char ch = (unsigned char)*in;

		out[n++] = (ch <= ' ' || ch >= 0x7f) ? '_' : (char)ch;
	}
	if (!n && len > 1)
		out[n++] = '-';
	out[n] = '\0';
}

struct text_row {
	char port[16], state[16], service[40], addr[AUDIT_ADDRS_LEN];
	char prog[AUDIT_PROGRAM_LEN], pid[24], user[OWNERS_USER_LEN];
	char verdict[16], evidence[AUDIT_EVIDENCE_LEN];
};

static void text_fields(const struct audit_row *r, const struct services *svc,
			bool remote, struct text_row *t)
{
	snprintf(t->port, sizeof(t->port), "%u/%s", r->port,
		 r->proto == RS_UDP ? "udp" : "tcp");
	snprintf(t->state, sizeof(t->state), "%s", audit_state_name(r));
	sanitize(t->service, sizeof(t->service),
		 services_name(svc, r->proto, r->port));
	sanitize(t->addr, sizeof(t->addr), r->addrs);
	sanitize(t->prog, sizeof(t->prog), r->program);
	if (r->pid < 0)
		snprintf(t->pid, sizeof(t->pid), "-");
	else if (r->nholders > 1)
		snprintf(t->pid, sizeof(t->pid), "%d+%u", r->pid,
			 r->nholders - 1);
	else
		snprintf(t->pid, sizeof(t->pid), "%d", r->pid);
	sanitize(t->user, sizeof(t->user), r->user);
	snprintf(t->verdict, sizeof(t->verdict), "%s",
		 audit_verdict_name(r->verdict));
	audit_evidence_format(r, remote, t->evidence, sizeof(t->evidence));
}

static int write_text(FILE *f, const struct audit_report *rep,
		      const struct services *svc, const char *title,
		      double secs)
{
	static const char *const head[9] = { "PORT",	"STATE",   "SERVICE",
					     "ADDRESS", "PROGRAM", "PID",
					     "USER",	"VERDICT", "EVIDENCE" };
	struct text_row t;
	size_t w[8];
	size_t notes = 0;

	for (int k = 0; k < 8; k++)
		w[k] = strlen(head[k]);
	for (size_t i = 0; i < rep->n; i++) {
		const char *cols[8];

		text_fields(&rep->rows[i], svc, rep->remote, &t);
		cols[0] = t.port;
		cols[1] = t.state;
		cols[2] = t.service;
		cols[3] = t.addr;
		cols[4] = t.prog;
		cols[5] = t.pid;
		cols[6] = t.user;
		cols[7] = t.verdict;
		for (int k = 0; k < 8; k++)
			if (strlen(cols[k]) > w[k])
				w[k] = strlen(cols[k]);
	}
	fprintf(f, "%s\n", title);
	for (int k = 0; k < 8; k++)
		fprintf(f, "%-*s ", (int)w[k], head[k]);
	fprintf(f, "%s\n", head[8]);
	for (size_t i = 0; i < rep->n; i++) {
		text_fields(&rep->rows[i], svc, rep->remote, &t);
		fprintf(f, "%-*s %-*s %-*s %-*s %-*s %-*s %-*s %-*s %s\n",
			(int)w[0], t.port, (int)w[1], t.state, (int)w[2],
			t.service, (int)w[3], t.addr, (int)w[4], t.prog,
			(int)w[5], t.pid, (int)w[6], t.user, (int)w[7],
			t.verdict, t.evidence);
	}
	for (size_t i = 0; i < rep->n; i++) {
		const struct audit_row *r = &rep->rows[i];

		if (!r->why[0])
			continue;
		if (!notes++)
			fprintf(f, "\n");
		fprintf(f, "  - %u/%s %s: %s\n", r->port,
			r->proto == RS_UDP ? "udp" : "tcp",
			audit_verdict_name(r->verdict), r->why);
	}
	fprintf(f,
		"\nringscan audit: %zu ports: %zu ok, %zu hidden, %zu unexpected, %zu closed-listed, %zu disappeared; %s in %.2f seconds\n",
		rep->n - rep->count[AUDIT_DISAPPEARED], rep->count[AUDIT_OK],
		rep->count[AUDIT_HIDDEN], rep->count[AUDIT_UNEXPECTED],
		rep->count[AUDIT_CLOSED_LISTED], rep->count[AUDIT_DISAPPEARED],
		audit_findings(rep) ? "findings" : "no findings", secs);
	return fflush(f) ? -errno : 0;
}

static void csv_field(FILE *f, const char *s, bool last)
{
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void json_string(FILE *f, const char *key, const char *s, bool last)
{
	fprintf(f, "\"%s\":\"", key);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fprintf(f, "\"%s", last ? "}\n" : ",");
}

static int write_rows(FILE *f, bool json, const struct audit_report *rep,
		      const struct services *svc)
{
	char ev[AUDIT_EVIDENCE_LEN], port[8], pid[16];

	if (!json)
		fprintf(f, "%s\n", AUDIT_CSV_HEADER);
	for (size_t i = 0; i < rep->n; i++) {
		const struct audit_row *r = &rep->rows[i];
		const char *proto = r->proto == RS_UDP ? "udp" : "tcp";

		audit_evidence_format(r, rep->remote, ev, sizeof(ev));
		snprintf(port, sizeof(port), "%u", r->port);
		snprintf(pid, sizeof(pid), "%d", r->pid);
		if (json) {
			fprintf(f, "{\"port\":%u,", r->port);
			json_string(f, "proto", proto, false);
			json_string(f, "state", audit_state_name(r), false);
			json_string(f, "service",
				    services_name(svc, r->proto, r->port),
				    false);
			json_string(f, "address", r->addrs, false);
			json_string(f, "program", r->program, false);
			if (r->pid < 0)
				fprintf(f, "\"pid\":null,");
			else
				fprintf(f, "\"pid\":%d,", r->pid);
			json_string(f, "user", r->user, false);
			json_string(f, "verdict",
				    audit_verdict_name(r->verdict), false);
			json_string(f, "evidence", ev, false);
			json_string(f, "reason", r->why, true);
		} else {
			csv_field(f, port, false);
			csv_field(f, proto, false);
			csv_field(f, audit_state_name(r), false);
			csv_field(f, services_name(svc, r->proto, r->port),
				  false);
			csv_field(f, r->addrs, false);
			csv_field(f, r->program, false);
			csv_field(f, r->pid < 0 ? "" : pid, false);
			csv_field(f, r->user, false);
			csv_field(f, audit_verdict_name(r->verdict), false);
			csv_field(f, ev, false);
			csv_field(f, r->why, true);
		}
	}
	return fflush(f) ? -errno : 0;
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

static void title_of(char *buf, size_t len, const struct gathered *g,
		     const struct acli *c, const struct portlist *pl)
{
	char a[RS_ADDR_STRLEN];
	size_t n;

	n = (size_t)snprintf(
		buf, len, "ringscan %s audit of %s (", RINGSCAN_VERSION,
		c->netstat_path ? "a server against a capture" : "this host");
	for (int f = 0; f < 2; f++)
		for (size_t i = 0; i < g->addrs[f].n && n + 2 < len; i++)
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
					      n && buf[n - 1] != '(' ? " " : "",
					      addr_format(&g->addrs[f].v[i], a,
							  sizeof(a)));
	if (n + 2 < len)
		snprintf(buf + n, len - n, "), TCP%s %s",
			 !c->netstat_path && c->udp ? "+UDP" : "",
			 pl->count == 65535 ? "1-65535" : "selected ports");
}

static double secs_since(uint64_t t0)
{
	return (double)(clock_now_ns() - t0) / 1e9;
}

int audit_main(int argc, char **argv)
{
	struct acli c;
	struct gathered g;
	struct audit_evidence ev;
	struct audit_report rep;
	struct services *svc = NULL;
	struct portlist *pl;
	struct rs_error err;
	struct sigaction sa;
	FILE *fn = NULL, *fc = NULL, *fj = NULL;
	bool text_stdout = true;
	uint64_t t0, t, scan_ns;
	char title[1024];
	int ret, status = AUDIT_EXIT_OK;

	memset(&c, 0, sizeof(c));
	memset(&g, 0, sizeof(g));
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
		return AUDIT_EXIT_RUNTIME;
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
		ret = netstat_read_file(c.netstat_path, capture_add, &g, &err);
		if (ret == -EINVAL)
			fail_parse(c.netstat_path, &err);
		if (ret)
			fail_input("--netstat '%s': %s", c.netstat_path,
				   fileio_strerror(ret));
		remote_targets(&g, &c);
	} else {
		local_addresses(g.addrs);
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
		bool explicit_root = c.proc_root != NULL;

		c.explicit_root = explicit_root;
		if (geteuid() != 0)
			say("note: not root: ports below %s cannot be bind()-tested and other users' processes cannot be named; run as root for a full audit",
			    "1024 (or net.ipv4.ip_unprivileged_port_start)");
		if (!c.proc_root)
			c.proc_root = "/proc";
		t = clock_now_ns();
		status = read_listings(&g, &c, explicit_root, false);
		if (status)
			goto out_free;
		if (c.verbose)
			say("listings: %zu netlink + %zu /proc sockets (%.3f s)",
			    g.nl.n, g.pr.n, secs_since(t));
		t = clock_now_ns();
		ret = bind_test(&g, pl, c.udp);
		if (ret) {
			say("bind test: %s", strerror(-ret));
			status = AUDIT_EXIT_RUNTIME;
			goto out_free;
		}
		if (c.verbose)
			say("bind test: %u ports x %s, %s (%.3f s)", pl->count,
			    c.udp ? "TCP+UDP" : "TCP",
			    g.bind[AUDIT_TCP6] ? "IPv4+IPv6" : "IPv4 only",
			    secs_since(t));
		status = read_listings(&g, &c, explicit_root, true);
		if (status)
			goto out_free;
	}

	if (audit_stop)
		goto out_signal;
	t = clock_now_ns();
	status = scan_all(&g, &c, pl, &scan_ns);
	if (status)
		goto out_free;
	if (audit_stop)
		goto out_signal;
	if (c.verbose)
		say("connect scan%s: %zu IPv4 + %zu IPv6 addresses x %u ports, %u in flight each (%.3f s)",
		    c.udp_sweep ? " and UDP sweep" : "", g.addrs[0].n,
		    g.addrs[1].n, pl->count, c.scan.concurrency, secs_since(t));

	if (!c.netstat_path) {
		const struct sock_list *lists[2] = { &g.nl, &g.pr };

		t = clock_now_ns();
		ret = probe_listed(&g, lists, 0, false);
		if (!ret)
			ret = load_owners(&g, &c);
		if (ret) {
			say("%s", strerror(-ret));
			status = AUDIT_EXIT_RUNTIME;
			goto out_free;
		}
		if (c.verbose)
			say("probes of specific addresses, and owners: %zu (socket, process) pairs (%.3f s)",
			    g.owners.n, secs_since(t));
	}

	evidence_of(&g, &c, &ev);
	ret = audit_build(&ev, &c.policy, &c.baseline, &rep);
	if (!ret) {
		t = clock_now_ns();
		ret = reverify(&rep, &g, &c, &c.policy, &c.baseline);
		if (c.verbose && !ret)
			say("re-verification (%.3f s)", secs_since(t));
	}
	if (ret) {
		say("%s", strerror(-ret));
		status = AUDIT_EXIT_RUNTIME;
		goto out_free;
	}
	if (audit_stop)
		goto out_signal;

	title_of(title, sizeof(title), &g, &c, pl);
	ret = 0;
	if (text_stdout)
		ret = write_text(stdout, &rep, svc, title, secs_since(t0));
	if (!ret && fn && fn != stdout)
		ret = write_text(fn, &rep, svc, title, secs_since(t0));
	else if (!ret && fn == stdout)
		ret = write_text(stdout, &rep, svc, title, secs_since(t0));
	if (!ret && fc)
		ret = write_rows(fc, false, &rep, svc);
	if (!ret && fj)
		ret = write_rows(fj, true, &rep, svc);
	if (ret) {
		say("writing results failed: %s", strerror(-ret));
		status = AUDIT_EXIT_RUNTIME;
		goto out_free;
	}
	status = audit_findings(&rep) ? AUDIT_EXIT_FINDINGS : AUDIT_EXIT_OK;
	goto out_free;

out_signal:
	say("stopped by signal %d before the verdicts", (int)audit_stop);
	status = 128 + (int)audit_stop;
out_free:
	ret = close_out(fn);
	ret = close_out(fc) ? -EIO : ret;
	ret = close_out(fj) ? -EIO : ret;
	if (ret && (!status || status == AUDIT_EXIT_FINDINGS)) {
		say("writing results failed: %s", strerror(-ret));
		status = AUDIT_EXIT_RUNTIME;
	}
	audit_report_free(&rep);
	gathered_free(&g);
	audit_policy_free(&c.policy);
	audit_baseline_free(&c.baseline);
	services_free(svc);
	free(pl);
	return status;
}
