/*
 * test_audit.c - the audit's verdicts, policy and baseline, from evidence
 * built by hand.
 *
 * Each case sets up exactly the evidence a real audit would gather - two
 * listings, the bind() results, the connect results, the owners - for one
 * situation the audit must recognise (a listener one listing hides, a port
 * that answers with no listener, a port held by an outgoing connection, a
 * dual-stack socket covering IPv4, ...) and checks the row it produces: its
 * verdict, its evidence string and its reason.  The policy and baseline
 * parsers get tables of good and bad input; a baseline is parsed in each of
 * the three formats the audit writes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "audit.h"
#include "services.h"

struct bed {
	struct sock_list nl, pr;
	uint8_t bind[4][AUDIT_NPORTS];
	uint8_t tcp[2][AUDIT_NPORTS];
	struct owner_table owners;
	struct owner ov[8];
	struct audit_evidence ev;
	struct audit_report rep;
	struct netstat_entry cap[8];
	struct rs_addr targets[4];
};

static struct sock_entry sock(unsigned proto, const char *addr, uint16_t port,
			      unsigned state, uint64_t inode, int v6only)
{
	struct sock_entry e;

	memset(&e, 0, sizeof(e));
	assert_int_equal(addr_parse(addr, &e.local), 0);
	e.lport = port;
	e.proto = (uint8_t)proto;
	e.state = (uint8_t)state;
	e.inode = inode;
	e.v6only = (int8_t)v6only;
	addr_parse(e.local.family == AF_INET ? "0.0.0.0" : "::", &e.remote);
	return e;
}

static void add(struct sock_list *l, struct sock_entry e)
{
	assert_int_equal(sock_list_add(l, &e), 0);
}

/* Both listings get e. */
static void add_both(struct bed *b, struct sock_entry e)
{
	add(&b->nl, e);
	add(&b->pr, e);
}

static int bed_setup(void **state)
{
	struct bed *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	b->ev.netlink = &b->nl;
	b->ev.proc = &b->pr;
	for (int i = 0; i < 4; i++) {
		memset(b->bind[i], AUDIT_BIND_FREE, AUDIT_NPORTS);
		b->ev.bind[i] = b->bind[i];
	}
	for (int f = 0; f < 2; f++) {
		memset(b->tcp[f], AUDIT_PROBE_CLOSED, AUDIT_NPORTS);
		b->ev.tcp[f] = b->tcp[f];
	}
	b->owners.v = b->ov;
	b->ev.owners = &b->owners;
	b->ev.udp = true;
	*state = b;
	return 0;
}

static int bed_teardown(void **state)
{
	struct bed *b = *state;

	sock_list_free(&b->nl);
	sock_list_free(&b->pr);
	audit_report_free(&b->rep);
	free(b);
	return 0;
}

static void owner(struct bed *b, uint64_t inode, int pid, const char *comm,
		  const char *user)
{
	struct owner *o = &b->ov[b->owners.n++];

	memset(o, 0, sizeof(*o));
	o->inode = inode;
	o->pid = pid;
	snprintf(o->comm, sizeof(o->comm), "%s", comm);
	snprintf(o->user, sizeof(o->user), "%s", user);
}

static int owner_cmp(const void *pa, const void *pb)
{
	const struct owner *a = pa, *b = pb;

	if (a->inode != b->inode)
		return a->inode < b->inode ? -1 : 1;
	return a->pid - b->pid;
}

static void build(struct bed *b, const struct audit_policy *p,
		  const struct audit_baseline *base)
{
	/* owners_find() searches an owner table sorted as owners_load
	 * leaves it. */
	qsort(b->ov, b->owners.n, sizeof(b->ov[0]), owner_cmp);
	audit_report_free(&b->rep);
	assert_int_equal(audit_build(&b->ev, p, base, &b->rep), 0);
}

static const struct audit_row *row(const struct bed *b, unsigned proto,
				   uint16_t port)
{
	for (size_t i = 0; i < b->rep.n; i++)
		if (b->rep.rows[i].proto == proto &&
		    b->rep.rows[i].port == port)
			return &b->rep.rows[i];
	return NULL;
}

static const char *evidence(const struct bed *b, const struct audit_row *r)
{
	static char buf[AUDIT_EVIDENCE_LEN];

	return audit_evidence_format(r, b->ev.remote, buf, sizeof(buf));
}

/* A well-behaved listener: listed by both, held, answers. */
static void sshd(struct bed *b)
{
	add_both(b, sock(RS_TCP, "0.0.0.0", 22, SOCK_ST_LISTEN, 100, -1));
	b->bind[AUDIT_TCP4][22] = AUDIT_BIND_HELD;
	b->tcp[0][22] = AUDIT_PROBE_OPEN;
	owner(b, 100, 812, "sshd", "root");
}

static void test_clean(void **state)
{
	struct bed *b = *state;
	const struct audit_row *r;

	sshd(b);
	build(b, NULL, NULL);
	assert_int_equal(b->rep.n, 1);
	r = row(b, RS_TCP, 22);
	assert_non_null(r);
	assert_int_equal(r->verdict, AUDIT_OK);
	assert_string_equal(r->program, "sshd");
	assert_int_equal(r->pid, 812);
	assert_string_equal(r->user, "root");
	assert_string_equal(r->addrs, "0.0.0.0");
	assert_string_equal(audit_state_name(r), "open");
	assert_string_equal(
		evidence(b, r),
		"netlink:yes proc:yes bind:held(v4) connect:open(v4)");
	assert_string_equal(r->why, "");
	assert_int_equal(audit_findings(&b->rep), 0);
	assert_int_equal(b->rep.count[AUDIT_OK], 1);
}

static void test_proc_hides(void **state)
{
	struct bed *b = *state;
	const struct audit_row *r;

	add(&b->nl, sock(RS_TCP, "0.0.0.0", 31337, SOCK_ST_LISTEN, 7, -1));
	b->bind[AUDIT_TCP4][31337] = AUDIT_BIND_HELD;
	b->tcp[0][31337] = AUDIT_PROBE_OPEN;
	build(b, NULL, NULL);
	r = row(b, RS_TCP, 31337);
	assert_non_null(r);
	assert_int_equal(r->verdict, AUDIT_HIDDEN);
	assert_string_equal(
		evidence(b, r),
		"netlink:yes proc:no bind:held(v4) connect:open(v4)");
	assert_non_null(strstr(r->why, "/proc/net lacks 0.0.0.0:31337"));
	assert_int_equal(audit_findings(&b->rep), 1);
}

static void test_netlink_hides(void **state)
{
	struct bed *b = *state;
	const struct audit_row *r;

	add(&b->pr, sock(RS_UDP, "::1", 5353, SOCK_ST_CLOSE, 9, -1));
	b->bind[AUDIT_UDP6][5353] = AUDIT_BIND_HELD;
	build(b, NULL, NULL);
	r = row(b, RS_UDP, 5353);
	assert_non_null(r);
	assert_int_equal(r->verdict, AUDIT_HIDDEN);
	assert_string_equal(evidence(b, r),
			    "netlink:no proc:yes bind:held(v6)");
	assert_non_null(strstr(r->why, "netlink lacks [::1]:5353"));
}

/* One of a port's two sockets missing from /proc: partial. */
static void test_partial(void **state)
{
	struct bed *b = *state;
	const struct audit_row *r;

	sshd(b);
	add(&b->nl, sock(RS_TCP, "::", 22, SOCK_ST_LISTEN, 101, 1));
	add(&b->pr, sock(RS_TCP, "::", 22, SOCK_ST_LISTEN, 101, -1));
	add(&b->nl, sock(RS_TCP, "127.0.0.1", 80, SOCK_ST_LISTEN, 102, -1));
	add_both(b, sock(RS_TCP, "::1", 80, SOCK_ST_LISTEN, 103, 1));
	b->bind[AUDIT_TCP4][80] = b->bind[AUDIT_TCP6][80] = AUDIT_BIND_HELD;
	b->tcp[0][80] = b->tcp[1][80] = AUDIT_PROBE_OPEN;
	b->bind[AUDIT_TCP6][22] = AUDIT_BIND_HELD;
	build(b, NULL, NULL);
	r = row(b, RS_TCP, 22);
	assert_int_equal(r->verdict, AUDIT_OK);
	assert_string_equal(r->addrs, "0.0.0.0,[::]");
	r = row(b, RS_TCP, 80);
	assert_int_equal(r->verdict, AUDIT_HIDDEN);
	assert_int_equal(r->proc, AUDIT_LISTED_PARTIAL);
	assert_int_equal(r->netlink, AUDIT_LISTED_YES);
	assert_non_null(strstr(r->why, "lacks 127.0.0.1:80"));
	assert_string_equal(
		evidence(b, r),
		"netlink:yes proc:partial bind:held(v4,v6) connect:open(v4,v6)");
}

/* Answers, but no listing knows it (a NAT redirect, a hook...). */
static void test_answers_unlisted(void **state)
{
	struct bed *b = *state;
	const struct audit_row *r;

	b->tcp[1][8443] = AUDIT_PROBE_OPEN;
	build(b, NULL, NULL);
	r = row(b, RS_TCP, 8443);
	assert_non_null(r);
	assert_int_equal(r->verdict, AUDIT_HIDDEN);
	assert_string_equal(evidence(b, r),
			    "netlink:no proc:no bind:free connect:open(v6)");
	assert_non_null(strstr(r->why, "answers over IPv6"));
	assert_string_equal(r->program, "-");
	assert_int_equal(r->pid, -1);
}

/* Held by nothing listed: hidden; held by a connection: no row at all. */
static void test_bind_held(void **state)
{
	struct bed *b = *state;
	struct sock_entry e;
	const struct audit_row *r;

	b->bind[AUDIT_TCP4][4444] = AUDIT_BIND_HELD;
	e = sock(RS_TCP, "127.0.0.1", 45000, SOCK_ST_ESTABLISHED, 55, -1);
	addr_parse("127.0.0.1", &e.remote);
	e.rport = 22;
	add_both(b, e);
	b->bind[AUDIT_TCP4][45000] = AUDIT_BIND_HELD;
	add(&b->nl, sock(RS_TCP, "127.0.0.1", 46000, SOCK_ST_TIME_WAIT, 0, -1));
	b->bind[AUDIT_TCP4][46000] = AUDIT_BIND_HELD;
	/* A bind()-only socket that only netlink shows (Linux 6.9+). */
	add(&b->nl, sock(RS_TCP, "0.0.0.0", 47000, SOCK_ST_CLOSE, 56, -1));
	b->bind[AUDIT_TCP4][47000] = AUDIT_BIND_HELD;
	/* UDP held in IPv6 only, nothing listed. */
	b->bind[AUDIT_UDP6][5000] = AUDIT_BIND_HELD;
	build(b, NULL, NULL);
	r = row(b, RS_TCP, 4444);
	assert_non_null(r);
	assert_int_equal(r->verdict, AUDIT_HIDDEN);
	assert_string_equal(evidence(b, r),
			    "netlink:no proc:no bind:held(v4) connect:closed");
	assert_non_null(strstr(r->why, "bind() finds the IPv4 port held"));
	assert_null(row(b, RS_TCP, 45000));
	assert_null(row(b, RS_TCP, 46000));
	assert_null(row(b, RS_TCP, 47000));
	r = row(b, RS_UDP, 5000);
	assert_non_null(r);
	assert_int_equal(r->verdict, AUDIT_HIDDEN);
	assert_int_equal(b->rep.n, 2);
}

/* Families are judged apart; a dual-stack socket covers IPv4. */
static void test_families(void **state)
{
	struct bed *b = *state;
	struct sock_entry e;
	const struct audit_row *r;

	/* 80: only a V6ONLY listener is listed, yet IPv4 answers. */
	add_both(b, sock(RS_TCP, "::", 80, SOCK_ST_LISTEN, 20, 1));
	b->bind[AUDIT_TCP4][80] = b->bind[AUDIT_TCP6][80] = AUDIT_BIND_HELD;
	b->tcp[0][80] = b->tcp[1][80] = AUDIT_PROBE_OPEN;
	/* 443: a dual-stack [::] listener explains both. */
	add_both(b, sock(RS_TCP, "::", 443, SOCK_ST_LISTEN, 21, 0));
	b->bind[AUDIT_TCP4][443] = b->bind[AUDIT_TCP6][443] = AUDIT_BIND_HELD;
	b->tcp[0][443] = b->tcp[1][443] = AUDIT_PROBE_OPEN;
	/* 8080: /proc does not say V6ONLY; netlink's twin (same inode)
	 * does: V6ONLY, so the IPv4 answer is unexplained. */
	add(&b->nl, sock(RS_TCP, "::", 8080, SOCK_ST_LISTEN, 22, 1));
	e = sock(RS_TCP, "::", 8080, SOCK_ST_LISTEN, 22, -1);
	add(&b->pr, e);
	b->tcp[0][8080] = b->tcp[1][8080] = AUDIT_PROBE_OPEN;
	b->bind[AUDIT_TCP4][8080] = b->bind[AUDIT_TCP6][8080] = AUDIT_BIND_HELD;
	/* 9090: v4-mapped listener counts as IPv4. */
	add_both(b,
		 sock(RS_TCP, "::ffff:127.0.0.1", 9090, SOCK_ST_LISTEN, 23, 0));
	b->tcp[0][9090] = AUDIT_PROBE_OPEN;
	b->bind[AUDIT_TCP4][9090] = AUDIT_BIND_HELD;
	build(b, NULL, NULL);
	r = row(b, RS_TCP, 80);
	assert_int_equal(r->verdict, AUDIT_HIDDEN);
	assert_non_null(strstr(r->why, "answers over IPv4"));
	r = row(b, RS_TCP, 443);
	assert_int_equal(r->verdict, AUDIT_OK);
	assert_string_equal(r->addrs, "*");
	r = row(b, RS_TCP, 8080);
	assert_int_equal(r->verdict, AUDIT_HIDDEN);
	r = row(b, RS_TCP, 9090);
	assert_int_equal(r->verdict, AUDIT_OK);
}

static void test_closed_listed(void **state)
{
	struct bed *b = *state;
	const struct audit_row *r;

	add_both(b, sock(RS_TCP, "0.0.0.0", 25, SOCK_ST_LISTEN, 30, -1));
	b->bind[AUDIT_TCP4][25] = AUDIT_BIND_HELD;
	b->tcp[0][25] = AUDIT_PROBE_FILTERED;
	add_both(b, sock(RS_UDP, "0.0.0.0", 69, SOCK_ST_CLOSE, 31, -1));
	build(b, NULL, NULL);
	r = row(b, RS_TCP, 25);
	assert_int_equal(r->verdict, AUDIT_CLOSED_LISTED);
	assert_string_equal(audit_state_name(r), "filtered");
	assert_non_null(strstr(r->why, "no connect answered"));
	r = row(b, RS_UDP, 69);
	assert_int_equal(r->verdict, AUDIT_CLOSED_LISTED);
	assert_string_equal(audit_state_name(r), "free");
	/* closed-listed is not a finding */
	assert_int_equal(audit_findings(&b->rep), 0);
	assert_int_equal(b->rep.count[AUDIT_CLOSED_LISTED], 2);
}

static void test_no_netlink(void **state)
{
	struct bed *b = *state;
	const struct audit_row *r;

	add(&b->pr, sock(RS_TCP, "0.0.0.0", 22, SOCK_ST_LISTEN, 1, -1));
	b->bind[AUDIT_TCP4][22] = AUDIT_BIND_HELD;
	b->tcp[0][22] = AUDIT_PROBE_OPEN;
	b->ev.netlink = NULL;
	build(b, NULL, NULL);
	r = row(b, RS_TCP, 22);
	assert_int_equal(r->verdict, AUDIT_OK);
	assert_string_equal(
		evidence(b, r),
		"netlink:n/a proc:yes bind:held(v4) connect:open(v4)");
	/* A table netlink could not read does not count either. */
	b->ev.netlink = &b->nl;
	b->ev.netlink_missing = SOCK_T_TCP4;
	build(b, NULL, NULL);
	assert_int_equal(row(b, RS_TCP, 22)->verdict, AUDIT_OK);
}

static void test_udp_off(void **state)
{
	struct bed *b = *state;

	add_both(b, sock(RS_UDP, "0.0.0.0", 53, SOCK_ST_CLOSE, 40, -1));
	b->bind[AUDIT_UDP4][53] = AUDIT_BIND_HELD;
	b->ev.udp = false;
	build(b, NULL, NULL);
	assert_int_equal(b->rep.n, 0);
	b->ev.udp = true;
	build(b, NULL, NULL);
	assert_int_equal(b->rep.n, 1);
	assert_string_equal(audit_state_name(&b->rep.rows[0]), "bound");
}

/* --udp: the datagram sweep's answer joins the bind test's. */
static void test_udp_probe(void **state)
{
	struct bed *b = *state;
	uint8_t probe[2][AUDIT_NPORTS];
	const struct audit_row *r;

	memset(probe, AUDIT_PROBE_CLOSED, sizeof(probe));
	b->ev.udp_probe[0] = probe[0];
	b->ev.udp_probe[1] = probe[1];
	add_both(b, sock(RS_UDP, "0.0.0.0", 53, SOCK_ST_CLOSE, 70, -1));
	b->bind[AUDIT_UDP4][53] = AUDIT_BIND_HELD;
	probe[0][53] = AUDIT_PROBE_OPEN;
	/* nothing bound or listed, yet no ICMP comes back over IPv6 */
	probe[1][7777] = AUDIT_PROBE_OPEN;
	/* listed, but free and unreachable: the listing is stale or lies */
	add_both(b, sock(RS_UDP, "0.0.0.0", 69, SOCK_ST_CLOSE, 71, -1));
	build(b, NULL, NULL);
	r = row(b, RS_UDP, 53);
	assert_int_equal(r->verdict, AUDIT_OK);
	assert_string_equal(
		evidence(b, r),
		"netlink:yes proc:yes bind:held(v4) udp:no-icmp(v4)");
	r = row(b, RS_UDP, 7777);
	assert_non_null(r);
	assert_int_equal(r->verdict, AUDIT_HIDDEN);
	assert_string_equal(audit_state_name(r), "open|filtered");
	assert_non_null(strstr(r->why, "no ICMP port-unreachable over IPv6"));
	r = row(b, RS_UDP, 69);
	assert_int_equal(r->verdict, AUDIT_CLOSED_LISTED);
	assert_string_equal(evidence(b, r),
			    "netlink:yes proc:yes bind:free udp:unreach");
	assert_non_null(strstr(r->why, "ICMP port-unreachable"));
	assert_int_equal(b->rep.n, 3);
}

/* Rows come sorted: TCP by port, then UDP by port. */
static void test_order_and_holders(void **state)
{
	struct bed *b = *state;

	add_both(b, sock(RS_UDP, "0.0.0.0", 53, SOCK_ST_CLOSE, 40, -1));
	b->bind[AUDIT_UDP4][53] = AUDIT_BIND_HELD;
	add_both(b, sock(RS_TCP, "0.0.0.0", 8080, SOCK_ST_LISTEN, 41, -1));
	b->tcp[0][8080] = AUDIT_PROBE_OPEN;
	b->bind[AUDIT_TCP4][8080] = AUDIT_BIND_HELD;
	sshd(b);
	owner(b, 41, 900, "nginx", "www-data");
	owner(b, 41, 901, "nginx", "www-data");
	owner(b, 41, 899, "nginx", "root");
	build(b, NULL, NULL);
	assert_int_equal(b->rep.n, 3);
	assert_int_equal(b->rep.rows[0].port, 22);
	assert_int_equal(b->rep.rows[1].port, 8080);
	assert_int_equal(b->rep.rows[2].port, 53);
	assert_int_equal(b->rep.rows[2].proto, RS_UDP);
	assert_int_equal(b->rep.rows[1].pid, 899);
	assert_string_equal(b->rep.rows[1].user, "root");
	assert_int_equal(b->rep.rows[1].nholders, 3);
}

/* ---- policy ---- */

static void test_policy(void **state)
{
	struct bed *b = *state;
	struct audit_policy p = { 0 };
	struct rs_error err;
	const struct audit_row *r;

	sshd(b);
	add_both(b, sock(RS_TCP, "0.0.0.0", 80, SOCK_ST_LISTEN, 50, -1));
	b->tcp[0][80] = AUDIT_PROBE_OPEN;
	b->bind[AUDIT_TCP4][80] = AUDIT_BIND_HELD;
	owner(b, 50, 1000, "nc", "nobody");
	add_both(b, sock(RS_UDP, "0.0.0.0", 53, SOCK_ST_CLOSE, 51, -1));
	b->bind[AUDIT_UDP4][53] = AUDIT_BIND_HELD;
	assert_int_equal(audit_policy_add(&p, "22/sshd,53/udp", &err), 0);
	build(b, &p, NULL);
	assert_int_equal(row(b, RS_TCP, 22)->verdict, AUDIT_OK);
	r = row(b, RS_TCP, 80);
	assert_int_equal(r->verdict, AUDIT_UNEXPECTED);
	assert_string_equal(
		evidence(b, r),
		"netlink:yes proc:yes bind:held(v4) connect:open(v4) allow:no");
	assert_string_equal(r->why, "not allowed by --allow");
	assert_int_equal(row(b, RS_UDP, 53)->verdict, AUDIT_OK);
	assert_int_equal(audit_findings(&b->rep), 1);
	audit_policy_free(&p);

	/* Program patterns: 80 held by nc, not by httpd. */
	assert_int_equal(audit_policy_add(&p, "22", &err), 0);
	assert_int_equal(audit_policy_add(&p, "1-1024/tcp/http*", &err), 0);
	build(b, &p, NULL);
	assert_int_equal(row(b, RS_TCP, 80)->verdict, AUDIT_UNEXPECTED);
	assert_int_equal(row(b, RS_UDP, 53)->verdict, AUDIT_UNEXPECTED);
	audit_policy_free(&p);
	assert_int_equal(audit_policy_add(&p, "70-90/n?", &err), 0);
	assert_true(audit_policy_allows(&p, RS_TCP, 80, "nc"));
	assert_true(audit_policy_allows(&p, RS_UDP, 70, "nc"));
	assert_false(audit_policy_allows(&p, RS_TCP, 91, "nc"));
	assert_false(audit_policy_allows(&p, RS_TCP, 80, "ncat"));
	assert_false(audit_policy_allows(&p, RS_TCP, 80, NULL));
	audit_policy_free(&p);

	/* "none": everything listed and answering is unexpected. */
	assert_int_equal(audit_policy_add(&p, "none", &err), 0);
	assert_true(p.active);
	build(b, &p, NULL);
	assert_int_equal(audit_findings(&b->rep), 3);
	audit_policy_free(&p);
}

static void test_policy_errors(void **state)
{
	static const struct {
		const char *spec;
		const char *reason;
	} bad[] = {
		{ "", "empty" },
		{ "0", "expected a port" },
		{ "70000", "expected a port" },
		{ "ssh", "expected a port" },
		{ "22-10", "range" },
		{ "22-", "range" },
		{ "22-70000", "range" },
		{ "22/", "PORT[-PORT]" },
		{ "22/tcp/", "PORT[-PORT]" },
		{ "22/sshd/tcp", "PORT[-PORT]" },
		{ "22x", "after the port" },
		{ "22,,80", "empty item" },
		{ "22,", "empty item" },
		{ ",22", "empty item" },
		{ "22/averyveryveryverylongprogramname1", "too long" },
	};
	struct audit_policy p = { 0 };
	struct rs_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(audit_policy_add(&p, bad[i].spec, &err),
				 -EINVAL);
		assert_non_null(err.reason);
		if (!strstr(err.reason, bad[i].reason))
			fail_msg("'%s': reason '%s' lacks '%s'", bad[i].spec,
				 err.reason, bad[i].reason);
	}
	assert_false(p.active);
	audit_policy_free(&p);
}

/* ---- baseline ---- */

static const char base_text[] =
	"ringscan 0.1.0 audit of this host (127.0.0.1 ::1), TCP+UDP 1-65535\n"
	"PORT    STATE SERVICE ADDRESS PROGRAM PID USER VERDICT EVIDENCE\n"
	"22/tcp  open  ssh     0.0.0.0 sshd    812 root ok      netlink:yes proc:yes bind:held(v4) connect:open(v4)\n"
	"631/tcp open  ipp     -       -       -   -    disappeared netlink:no\n"
	"53/udp  bound domain  0.0.0.0 dnsmasq 9   root ok      netlink:yes proc:yes bind:held(v4)\n"
	"\n"
	"  - 631/tcp disappeared: in the baseline, not listening now\n"
	"\n"
	"ringscan audit: 2 ports: 2 ok, 0 hidden; no findings in 1.00 seconds\n";

static const char base_csv[] = AUDIT_CSV_HEADER
	"\n"
	"22,tcp,open,ssh,\"0.0.0.0,[::]\",sshd,812,root,ok,netlink:yes,\n"
	"631,tcp,-,ipp,-,cupsd,,-,disappeared,baseline:gone,\"gone, really\"\n"
	"53,udp,bound,domain,0.0.0.0,dnsmasq,9,root,ok,x,\n";

static const char base_json[] =
	"{\"port\":22,\"proto\":\"tcp\",\"state\":\"open\",\"program\":\"sshd\",\"pid\":812,\"verdict\":\"ok\",\"reason\":\"\"}\n"
	"{\"port\":631,\"proto\":\"tcp\",\"program\":\"cupsd\",\"verdict\":\"disappeared\"}\n"
	"{\"port\":53,\"proto\":\"udp\",\"reason\":\"\\\"port\\\":1\",\"program\":\"dns\\\"masq\",\"pid\":null,\"verdict\":\"ok\"}\n";

static void check_base(const char *text, const char *prog53)
{
	struct audit_baseline base = { 0 };
	struct rs_error err;

	memset(&err, 0, sizeof(err));
	assert_int_equal(audit_baseline_parse(text, strlen(text), &base, &err),
			 0);
	assert_true(base.active);
	assert_int_equal(base.n, 2);
	/* sorted: TCP 22, then UDP 53 */
	assert_int_equal(base.v[0].port, 22);
	assert_int_equal(base.v[0].proto, RS_TCP);
	assert_string_equal(base.v[0].program, "sshd");
	assert_int_equal(base.v[1].port, 53);
	assert_int_equal(base.v[1].proto, RS_UDP);
	assert_string_equal(base.v[1].program, prog53);
	audit_baseline_free(&base);
}

static void test_baseline_formats(void **state)
{
	(void)state;
	check_base(base_text, "dnsmasq");
	check_base(base_csv, "dnsmasq");
	check_base(base_json, "dns\"masq");
}

static void test_baseline_errors(void **state)
{
	static const struct {
		const char *text;
		unsigned long line;
		const char *reason;
	} bad[] = {
		{ "", 0, "no audit table" },
		{ "\n\n", 2, "no audit table" },
		{ "hello world\n", 1, "not a ringscan audit output" },
		{ "PORT STATE\n22/tcp open ssh\n", 2, "not a row" },
		{ "PORT STATE\n99999/tcp a b c d e f ok\n", 2, "not a row" },
		{ "PORT STATE\n22/sctp a b c d e f ok\n", 2, "not a row" },
		{ AUDIT_CSV_HEADER "\n22,tcp,open\n", 2, "expected port," },
		{ AUDIT_CSV_HEADER "\nx,tcp,a,b,c,d,e,f,ok\n", 2, "bad port" },
		{ AUDIT_CSV_HEADER "\n\"22,tcp,a,b,c,d,e,f,ok\n", 2,
		  "quoted field never closed" },
		{ "{\"port\":22}\n", 1, "needs" },
		{ "{\"port\":0,\"proto\":\"tcp\",\"verdict\":\"ok\"}\n", 1,
		  "bad port" },
	};
	struct audit_baseline base = { 0 };
	struct rs_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(audit_baseline_parse(bad[i].text,
						      strlen(bad[i].text),
						      &base, &err),
				 -EINVAL);
		if (!err.reason || !strstr(err.reason, bad[i].reason) ||
		    err.line != bad[i].line)
			fail_msg("case %zu: line %lu reason '%s'", i, err.line,
				 err.reason ? err.reason : "(null)");
		audit_baseline_free(&base);
	}
}

static void test_baseline_diff(void **state)
{
	struct bed *b = *state;
	struct audit_baseline base = { 0 };
	struct audit_policy p = { 0 };
	struct rs_error err;
	const struct audit_row *r;

	assert_int_equal(audit_baseline_parse(base_text, strlen(base_text),
					      &base, &err),
			 0);
	/* 22 still sshd; 53/udp gone; 8080 new; 631 was gone already. */
	sshd(b);
	add_both(b, sock(RS_TCP, "0.0.0.0", 8080, SOCK_ST_LISTEN, 60, -1));
	b->tcp[0][8080] = AUDIT_PROBE_OPEN;
	b->bind[AUDIT_TCP4][8080] = AUDIT_BIND_HELD;
	build(b, NULL, &base);
	assert_int_equal(row(b, RS_TCP, 22)->verdict, AUDIT_OK);
	r = row(b, RS_TCP, 8080);
	assert_int_equal(r->verdict, AUDIT_UNEXPECTED);
	assert_true(r->baseline_new);
	assert_non_null(strstr(evidence(b, r), "baseline:new"));
	r = row(b, RS_UDP, 53);
	assert_non_null(r);
	assert_int_equal(r->verdict, AUDIT_DISAPPEARED);
	assert_string_equal(r->program, "dnsmasq");
	assert_null(row(b, RS_TCP, 631));
	assert_int_equal(audit_findings(&b->rep), 1);
	assert_int_equal(b->rep.count[AUDIT_DISAPPEARED], 1);

	/* --allow wins over "new". */
	assert_int_equal(audit_policy_add(&p, "22,8080", &err), 0);
	build(b, &p, &base);
	assert_int_equal(row(b, RS_TCP, 8080)->verdict, AUDIT_OK);
	audit_policy_free(&p);

	/* A different program on a known port. */
	b->ov[0].comm[0] = 'X';
	build(b, NULL, &base);
	r = row(b, RS_TCP, 22);
	assert_int_equal(r->verdict, AUDIT_UNEXPECTED);
	assert_true(r->program_changed);
	assert_string_equal(r->was_program, "sshd");
	assert_non_null(strstr(r->why, "Xshd"));
	audit_baseline_free(&base);
}

/* ---- remote ---- */

static void capture(struct bed *b, unsigned proto, const char *addr,
		    uint16_t port, int v6only, int pid, const char *prog)
{
	struct netstat_entry *e = &b->cap[b->ev.ncapture++];

	memset(e, 0, sizeof(*e));
	e->s = sock(proto, addr, port,
		    proto == RS_TCP ? SOCK_ST_LISTEN : SOCK_ST_CLOSE, 0,
		    v6only);
	e->pid = pid;
	snprintf(e->program, sizeof(e->program), "%s", prog);
}

static void test_remote(void **state)
{
	struct bed *b = *state;
	const struct audit_row *r;

	b->ev.remote = true;
	b->ev.netlink = b->ev.proc = NULL;
	for (int i = 0; i < 4; i++)
		b->ev.bind[i] = NULL;
	b->ev.capture = b->cap;
	b->ev.tcp[1] = NULL; /* an IPv4 target only */
	addr_parse("198.18.0.2", &b->targets[0]);
	b->ev.targets = b->targets;
	b->ev.ntargets = 1;
	capture(b, RS_TCP, "0.0.0.0", 22, -1, 812, "sshd");
	capture(b, RS_TCP, "::", 22, 1, 812, "sshd");
	capture(b, RS_TCP, "127.0.0.1", 631, -1, 77, "cupsd");
	capture(b, RS_TCP, "198.18.0.2", 80, -1, 99, "nginx");
	capture(b, RS_TCP, "::", 8443, 1, 98, "java");
	capture(b, RS_UDP, "0.0.0.0", 53, -1, 5, "dnsmasq");
	b->tcp[0][22] = AUDIT_PROBE_OPEN;
	b->tcp[0][2222] = AUDIT_PROBE_OPEN; /* not in the capture */
	b->tcp[0][631] = AUDIT_PROBE_OPEN; /* listed on 127.0.0.1 only */
	b->tcp[0][80] = AUDIT_PROBE_FILTERED;
	b->tcp[0][8443] = AUDIT_PROBE_OPEN; /* v6-only listener */
	build(b, NULL, NULL);

	r = row(b, RS_TCP, 22);
	assert_int_equal(r->verdict, AUDIT_OK);
	assert_int_equal(r->pid, 812);
	assert_int_equal(r->nholders, 1);
	assert_string_equal(evidence(b, r), "netstat:yes connect:open(v4)");
	r = row(b, RS_TCP, 2222);
	assert_int_equal(r->verdict, AUDIT_HIDDEN);
	assert_string_equal(evidence(b, r), "netstat:no connect:open(v4)");
	assert_non_null(strstr(r->why, "capture does not list it"));
	r = row(b, RS_TCP, 631);
	assert_int_equal(r->verdict, AUDIT_HIDDEN);
	assert_non_null(strstr(r->why, "only on 127.0.0.1"));
	r = row(b, RS_TCP, 80);
	assert_int_equal(r->verdict, AUDIT_CLOSED_LISTED);
	assert_string_equal(audit_state_name(r), "filtered");
	r = row(b, RS_TCP, 8443);
	assert_int_equal(r->verdict, AUDIT_HIDDEN);
	r = row(b, RS_UDP, 53);
	assert_int_equal(r->verdict, AUDIT_OK);
	assert_string_equal(evidence(b, r), "netstat:yes connect:-");
	assert_string_equal(r->program, "dnsmasq");

	/* 631 closed at the target: bound elsewhere, not scanned. */
	b->tcp[0][631] = AUDIT_PROBE_CLOSED;
	build(b, NULL, NULL);
	r = row(b, RS_TCP, 631);
	assert_int_equal(r->verdict, AUDIT_CLOSED_LISTED);
	assert_non_null(strstr(r->why, "which was not scanned"));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(audit_verdict_name(AUDIT_OK), "ok");
	assert_string_equal(audit_verdict_name(AUDIT_HIDDEN), "hidden");
	assert_string_equal(audit_verdict_name(AUDIT_UNEXPECTED), "unexpected");
	assert_string_equal(audit_verdict_name(AUDIT_CLOSED_LISTED),
			    "closed-listed");
	assert_string_equal(audit_verdict_name(AUDIT_DISAPPEARED),
			    "disappeared");
	assert_string_equal(audit_verdict_name(99), "?");
}

#define BED_TEST(f) cmocka_unit_test_setup_teardown(f, bed_setup, bed_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BED_TEST(test_clean),
		BED_TEST(test_proc_hides),
		BED_TEST(test_netlink_hides),
		BED_TEST(test_partial),
		BED_TEST(test_answers_unlisted),
		BED_TEST(test_bind_held),
		BED_TEST(test_families),
		BED_TEST(test_closed_listed),
		BED_TEST(test_no_netlink),
		BED_TEST(test_udp_off),
		BED_TEST(test_udp_probe),
		BED_TEST(test_order_and_holders),
		BED_TEST(test_policy),
		cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_baseline_formats),
		cmocka_unit_test(test_baseline_errors),
		BED_TEST(test_baseline_diff),
		BED_TEST(test_remote),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
