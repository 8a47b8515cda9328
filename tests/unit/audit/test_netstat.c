/*
 * test_netstat.c - netstat and ss captures.
 *
 * The accepted captures below are real output (iproute2 6.1, net-tools
 * 2.10) of one namespace holding sshd on 0.0.0.0:22, [::]:22 (V6ONLY) and
 * 127.0.0.5:2222, dnsmasq on UDP 0.0.0.0:53 and [::1]:53, and a python3
 * on 127.0.0.53%lo:53 and a dual-stack *:7777.  Each layout must give the
 * same sockets back.  Garbled captures - a table of them - must be refused
 * with the line number and a reason that says what to do.  Every input is
 * also parsed from a copy ending at a PROT_NONE page, so an over-read
 * crashes the test.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "guard.h"
#include "netstat.h"
#include "services.h"

static const char netstat_tulnp[] =
	"Active Internet connections (only servers)\n"
	"Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name    \n"
	"tcp        0      0 127.0.0.5:2222          0.0.0.0:*               LISTEN      16714/bin/sshd      \n"
	"tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      16714/bin/sshd      \n"
	"tcp        0      0 127.0.0.53:53           0.0.0.0:*               LISTEN      28574/python3       \n"
	"tcp6       0      0 :::22                   :::*                    LISTEN      16714/bin/sshd      \n"
	"tcp6       0      0 :::7777                 :::*                    LISTEN      28574/python3       \n"
	"udp        0      0 0.0.0.0:53              0.0.0.0:*                           16715/bin/dnsmasq   \n"
	"udp6       0      0 ::1:53                  :::*                                16715/bin/dnsmasq   \n";

static const char netstat_tulnpe[] =
	"(Not all processes could be identified, non-owned process info\n"
	" will not be shown, you would have to be root to see it all.)\n"
	"Active Internet connections (only servers)\n"
	"Proto Recv-Q Send-Q Local Address           Foreign Address         State       User       Inode      PID/Program name    \n"
	"tcp        0      0 127.0.0.5:2222          0.0.0.0:*               LISTEN      0          16137337   16714/bin/sshd      \n"
	"tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      0          16137335   16714/sshd: /usr/sbin\n"
	"tcp        0      0 127.0.0.53:53           0.0.0.0:*               LISTEN      systemd-resolve 19331659   -      \n"
	"tcp6       0      0 :::22                   :::*                    LISTEN      0          16137336   16714/bin/sshd      \n"
	"tcp6       0      0 :::7777                 :::*                    LISTEN      0          19331658   28574/python3       \n"
	"udp        0      0 0.0.0.0:53              0.0.0.0:*                           0          16137338   16715/bin/dnsmasq   \n"
	"udp6       0      0 ::1:53                  :::*                                0          16137339   16715/bin/dnsmasq   \n";

static const char netstat_tulnW[] =
	"Active Internet connections (only servers)\n"
	"Proto Recv-Q Send-Q Local Address           Foreign Address         State      \n"
	"tcp        0      0 127.0.0.5:2222          0.0.0.0:*               LISTEN     \n"
	"tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN     \n"
	"tcp        0      0 127.0.0.53:53           0.0.0.0:*               LISTEN     \n"
	"tcp6       0      0 :::22                   :::*                    LISTEN     \n"
	"tcp6       0      0 :::7777                 :::*                    LISTEN     \n"
	"udp        0      0 0.0.0.0:53              0.0.0.0:*                          \n"
	"udp6       0      0 ::1:53                  :::*                               \n";

static const char ss_tulnp[] =
	"Netid State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess                            \n"
	"udp   UNCONN 0      0            0.0.0.0:53        0.0.0.0:*    users:((\"dnsmasq\",pid=16715,fd=4))\n"
	"udp   UNCONN 0      0              [::1]:53           [::]:*    users:((\"dnsmasq\",pid=16715,fd=5))\n"
	"tcp   LISTEN 0      4096       127.0.0.5:2222      0.0.0.0:*    users:((\"sshd\",pid=16714,fd=6))   \n"
	"tcp   LISTEN 0      4096         0.0.0.0:22        0.0.0.0:*    users:((\"sshd\",pid=16714,fd=4),(\"sshd\",pid=1,fd=4))\n"
	"tcp   LISTEN 0      128    127.0.0.53%lo:53        0.0.0.0:*    users:((\"python3\",pid=28574,fd=4))\n"
	"tcp   LISTEN 0      4096            [::]:22           [::]:*    users:((\"sshd\",pid=16714,fd=5))   \n"
	"tcp   LISTEN 0      128                *:7777            *:*    users:((\"python3\",pid=28574,fd=3))\n";

static const char ss_tulnpe[] =
	"Netid State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess                                                                                   \n"
	"udp   UNCONN 0      0            0.0.0.0:53        0.0.0.0:*    users:((\"dnsmasq\",pid=16715,fd=4)) ino:16137338 sk:1055 cgroup:unreachable:1 <->         \n"
	"udp   UNCONN 0      0              [::1]:53           [::]:*    users:((\"dnsmasq\",pid=16715,fd=5)) ino:16137339 sk:1056 cgroup:unreachable:1 v6only:1 <->\n"
	"tcp   LISTEN 0      4096       127.0.0.5:2222      0.0.0.0:*    users:((\"sshd\",pid=16714,fd=6)) ino:16137337 sk:1052 cgroup:unreachable:1 <->            \n"
	"tcp   LISTEN 0      4096         0.0.0.0:22        0.0.0.0:*    users:((\"sshd\",pid=16714,fd=4)) ino:16137335 sk:1053 cgroup:unreachable:1 <->            \n"
	"tcp   LISTEN 0      128    127.0.0.53%lo:53        0.0.0.0:*    users:((\"python3\",pid=28574,fd=4)) ino:19331659 sk:12bd cgroup:unreachable:1 <->         \n"
	"tcp   LISTEN 0      4096            [::]:22           [::]:*    users:((\"sshd\",pid=16714,fd=5)) ino:16137336 sk:1054 cgroup:unreachable:1 v6only:1 <->   \n"
	"tcp   LISTEN 0      128                *:7777            *:*    users:((\"python3\",pid=28574,fd=3)) ino:19331658 sk:12be cgroup:unreachable:1 v6only:0 <->\n";

static const char ss_tlnp[] =
	"State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess                            \n"
	"LISTEN 0      4096       127.0.0.5:2222      0.0.0.0:*    users:((\"sshd\",pid=16714,fd=6))   \n"
	"LISTEN 0      4096         0.0.0.0:22        0.0.0.0:*    users:((\"sshd\",pid=16714,fd=4))   \n"
	"LISTEN 0      128    127.0.0.53%lo:53        0.0.0.0:*    users:((\"tmux: server\",pid=28574,fd=4))\n"
	"LISTEN 0      4096            [::]:22           [::]:*    users:((\"sshd\",pid=16714,fd=5))   \n"
	"LISTEN 0      128                *:7777            *:*    users:((\"python3\",pid=28574,fd=3))\n";

static const char ss_H_ltn[] =
	"LISTEN 0      4096       127.0.0.5:2222 0.0.0.0:*\n"
	"LISTEN 0      4096         0.0.0.0:22   0.0.0.0:*\n"
	"LISTEN 0      128    127.0.0.53%lo:53   0.0.0.0:*\n"
	"LISTEN 0      4096            [::]:22      [::]:*\n"
	"LISTEN 0      128                *:7777       *:*";

static const char ss_tuanp[] =
	"Netid State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n"
	"udp   ESTAB  0      0          127.0.0.1:6000    127.0.0.1:6001 users:((\"python3\",pid=28574,fd=5))\n"
	"tcp   TIME-WAIT 0   0      [::ffff:127.0.0.1]:45000 [::ffff:127.0.0.1]:22\n"
	"tcp   ESTAB  0      0      [fe80::1]%eth0:22 [fe80::2]%eth0:50000\n";

struct rows {
	struct netstat_entry e[32];
	size_t n;
};

static int collect(void *ctx, const struct netstat_entry *e)
{
	struct rows *r = ctx;

	if (r->n == 32)
		return -E2BIG;
	r->e[r->n++] = *e;
	return 0;
}

static int parse(const char *text, struct rows *r, struct rs_error *err)
{
	struct guarded g;
	struct rows r2 = { .n = 0 };
	struct rs_error e2;
	size_t len = strlen(text);
	int ret, ret2;

	memset(r, 0, sizeof(*r));
	memset(err, 0, sizeof(*err));
	ret = netstat_parse(text, len, collect, r, err);
	ret2 = netstat_parse(guard_copy(&g, text, len, false), len, collect,
			     &r2, &e2);
	guard_free(&g);
	assert_int_equal(ret, ret2);
	assert_int_equal(r->n, r2.n);
	if (ret) {
		assert_int_equal(err->line, e2.line);
		assert_string_equal(err->token, e2.token);
	}
	return ret;
}

static const struct netstat_entry *find(const struct rows *r, unsigned proto,
					const char *addr, uint16_t port)
{
	char buf[RS_ADDR_STRLEN];

	for (size_t i = 0; i < r->n; i++)
		if (r->e[i].s.proto == proto && r->e[i].s.lport == port &&
		    !strcmp(addr_format(&r->e[i].s.local, buf, sizeof(buf)),
			    addr))
			return &r->e[i];
	fail_msg("no %s %s:%u", proto == RS_UDP ? "udp" : "tcp", addr, port);
	return NULL;
}

/* The seven sockets every full capture above holds. */
static void check_all(const struct rows *r, bool have_pid, bool have_udp)
{
	const struct netstat_entry *e;

	assert_int_equal(r->n, have_udp ? 7 : 5);
	e = find(r, RS_TCP, "127.0.0.5", 2222);
	assert_int_equal(e->s.state, SOCK_ST_LISTEN);
	assert_true(sock_entry_is_listener(&e->s));
	if (have_pid) {
		assert_int_equal(e->pid, 16714);
		assert_string_equal(e->program, "sshd");
	} else {
		assert_int_equal(e->pid, -1);
		assert_string_equal(e->program, "");
	}
	find(r, RS_TCP, "0.0.0.0", 22);
	e = find(r, RS_TCP, "127.0.0.53", 53);
	e = find(r, RS_TCP, "::", 22);
	assert_int_equal(e->s.local.family, AF_INET6);
	e = find(r, RS_TCP, "::", 7777);
	if (!have_udp)
		return;
	e = find(r, RS_UDP, "0.0.0.0", 53);
	assert_int_equal(e->s.state, SOCK_ST_CLOSE);
	assert_true(sock_entry_is_listener(&e->s));
	if (have_pid)
		assert_string_equal(e->program, "dnsmasq");
	e = find(r, RS_UDP, "::1", 53);
	assert_true(sock_entry_is_listener(&e->s));
}

static void test_netstat(void **state)
{
	struct rows r;
	struct rs_error err;

	(void)state;
	assert_int_equal(parse(netstat_tulnp, &r, &err), 0);
	check_all(&r, true, true);
	assert_int_equal(r.e[0].layout, NETSTAT_LAYOUT_NETSTAT);
	assert_int_equal(r.e[0].line, 3);
	assert_int_equal(r.e[0].s.inode, 0);
	assert_int_equal(r.e[0].s.uid, UINT32_MAX);

	assert_int_equal(parse(netstat_tulnpe, &r, &err), 0);
	check_all(&r, true, true);
	assert_int_equal(find(&r, RS_TCP, "0.0.0.0", 22)->s.inode, 16137335);
	assert_string_equal(find(&r, RS_TCP, "0.0.0.0", 22)->program, "sshd");
	assert_int_equal(find(&r, RS_TCP, "0.0.0.0", 22)->s.uid, 0);
	assert_int_equal(find(&r, RS_TCP, "127.0.0.53", 53)->pid, -1);
	assert_int_equal(find(&r, RS_TCP, "127.0.0.53", 53)->s.uid, UINT32_MAX);

	assert_int_equal(parse(netstat_tulnW, &r, &err), 0);
	check_all(&r, false, true);
}

static void test_ss(void **state)
{
	const struct netstat_entry *e;
	struct rows r;
	struct rs_error err;

	(void)state;
	assert_int_equal(parse(ss_tulnp, &r, &err), 0);
	check_all(&r, true, true);
	assert_int_equal(r.e[0].layout, NETSTAT_LAYOUT_SS);
	e = find(&r, RS_TCP, "::", 7777);
	assert_int_equal(e->s.v6only, 0); /* "*" is dual-stack */
	assert_int_equal(find(&r, RS_TCP, "0.0.0.0", 22)->pid, 16714);

	assert_int_equal(parse(ss_tulnpe, &r, &err), 0);
	check_all(&r, true, true);
	assert_int_equal(find(&r, RS_TCP, "::", 22)->s.v6only, 1);
	assert_int_equal(find(&r, RS_TCP, "::", 22)->s.inode, 16137336);
	assert_int_equal(find(&r, RS_UDP, "::1", 53)->s.v6only, 1);

	assert_int_equal(parse(ss_tlnp, &r, &err), 0);
	check_all(&r, true, false);
	assert_string_equal(find(&r, RS_TCP, "127.0.0.53", 53)->program,
			    "tmux: server");

	assert_int_equal(parse(ss_H_ltn, &r, &err), 0);
	check_all(&r, false, false);

	assert_int_equal(parse(ss_tuanp, &r, &err), 0);
	assert_int_equal(r.n, 3);
	e = find(&r, RS_UDP, "127.0.0.1", 6000);
	assert_int_equal(e->s.state, SOCK_ST_ESTABLISHED);
	assert_int_equal(e->s.rport, 6001);
	assert_false(sock_entry_is_listener(&e->s));
	e = find(&r, RS_TCP, "::ffff:127.0.0.1", 45000);
	assert_int_equal(e->s.state, SOCK_ST_TIME_WAIT);
	e = find(&r, RS_TCP, "fe80::1", 22);
	assert_int_equal(e->s.rport, 50000);
}

static void test_header_only(void **state)
{
	struct rows r;
	struct rs_error err;

	(void)state;
	assert_int_equal(
		parse("Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n",
		      &r, &err),
		0);
	assert_int_equal(r.n, 0);
	assert_int_equal(
		parse("Active Internet connections (only servers)\n"
		      "Proto Recv-Q Send-Q Local Address Foreign Address State\n",
		      &r, &err),
		0);
	assert_int_equal(r.n, 0);
}

struct bad {
	const char *text;
	unsigned long line;
	const char *reason;
	const char *token; /* substring of err.token, or NULL */
};

static void test_garbled(void **state)
{
	static const struct bad cases[] = {
		{ "", 0, "empty capture", NULL },
		{ "\n  \n", 0, "empty capture", NULL },
		{ "hello world\n", 1, "not a netstat or ss socket row",
		  "hello" },
		{ "Netid State Recv-Q\nudp UNCONN 0 0 0.0.0.0:ssh 0.0.0.0:*\n",
		  2, "capture with ss -n", "0.0.0.0:ssh" },
		{ "LISTEN 0 128 localhost:22 0.0.0.0:*\n", 1,
		  "capture with ss -n", "localhost:22" },
		{ "tcp 0 0 0.0.0.0:ssh 0.0.0.0:* LISTEN\n", 1,
		  "capture with netstat -n", NULL },
		{ "tcp 0 0 localhost:22 0.0.0.0:* LISTEN\n", 1,
		  "capture with netstat -n", NULL },
		{ "tcp 0 0 0.0.0.0:22 0.0.0.0:*\n", 1, "expected a TCP state",
		  NULL },
		{ "tcp 0 0 0.0.0.0:22 0.0.0.0:* LISTENING\n", 1,
		  "expected a TCP state", "LISTENING" },
		{ "tcp 0 0 0.0.0.0:22\n", 1, "truncated", NULL },
		{ "tcp 0 x 0.0.0.0:22 0.0.0.0:* LISTEN\n", 1, "queue size",
		  "x" },
		{ "tcp 0 0 0.0.0.0:70000 0.0.0.0:* LISTEN\n", 1,
		  "bad port number", NULL },
		{ "tcp 0 0 0.0.0.0 0.0.0.0:* LISTEN\n", 1, "ADDRESS:PORT",
		  NULL },
		{ "tcp6 0 0 10.0.0.1:22 :::* LISTEN\n", 1, "family", NULL },
		{ "raw 0 0 0.0.0.0:1 0.0.0.0:* 7\n", 1,
		  "only tcp, tcp6, udp and udp6", "raw" },
		{ "tcp 0 0 0.0.0.0:22 0.0.0.0:* LISTEN abc/sshd\n", 1,
		  "PID/Program", "abc/sshd" },
		{ "tcp 0 0 0.0.0.0:22 0.0.0.0:* LISTEN 12/sshd trailing\n", 1,
		  "unexpected text", "trailing" },
		{ "Active UNIX domain sockets (only servers)\n", 1,
		  "only Internet sockets", NULL },
		{ "Active Internet connections (only servers)\n"
		  "Proto Recv-Q Send-Q Local Address Foreign Address State User Inode PID/Program name\n"
		  "tcp 0 0 0.0.0.0:22 0.0.0.0:* LISTEN 0 x 1/a\n",
		  3, "inode", "x" },
		{ "LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:((\"sshd\",pid=1,fd=3)\n",
		  1, "unterminated", NULL },
		{ "LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(sshd)\n", 1,
		  "users:((", NULL },
		{ "LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:((\"sshd\",pid=x,fd=3))\n",
		  1, "pid=", NULL },
		{ "LISTEN 0 128 0.0.0.0:22 0.0.0.0:* garbage\n", 1,
		  "unexpected text", "garbage" },
		{ "LISTEN 0 128 [::1:22 [::]:*\n", 1, "[IPv6]:port", NULL },
		{ "LISTEN 0 128 0.0.0.0:* 0.0.0.0:*\n", 1, "port", NULL },
		{ "u_str LISTEN 0 128 /run/x.sock 123 * 0\n", 1,
		  "only tcp and udp rows", "u_str" },
		{ "LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\nLISTEN 0 128 0.0.0.0:2\x01 0.0.0.0:*\n",
		  2, "control character", NULL },
		{ "LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\nLISTEN 0\n", 2,
		  "truncated", NULL },
	};
	struct rows r;
	struct rs_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad *c = &cases[i];

		assert_int_equal(parse(c->text, &r, &err), -EINVAL);
		if (err.line != c->line || !err.reason ||
		    !strstr(err.reason, c->reason) ||
		    (c->token && !strstr(err.token, c->token)))
			fail_msg("case %zu: line %lu reason '%s' token '%s'", i,
				 err.line, err.reason ? err.reason : "",
				 err.token);
	}
}

static void test_long_line(void **state)
{
	char *big = malloc(NETSTAT_LINE_MAX + 64);
	struct rows r;
	struct rs_error err;

	(void)state;
	assert_non_null(big);
	memset(big, 'A', NETSTAT_LINE_MAX + 10);
	big[NETSTAT_LINE_MAX + 10] = '\0';
	assert_int_equal(parse(big, &r, &err), -EINVAL);
	assert_non_null(strstr(err.reason, "too long"));
	free(big);
}

static int stop_at_two(void *ctx, const struct netstat_entry *e)
{
	size_t *n = ctx;

	(void)e;
	return ++*n == 2 ? -ECANCELED : 0;
}

static void test_callback_stop(void **state)
{
	struct rs_error err;
	size_t n = 0;

	(void)state;
	assert_int_equal(netstat_parse(ss_tulnp, strlen(ss_tulnp), stop_at_two,
				       &n, &err),
			 -ECANCELED);
	assert_int_equal(n, 2);
}

static void test_read_file(void **state)
{
	char path[] = "/tmp/test_netstat.XXXXXX";
	struct rows r = { .n = 0 };
	struct rs_error err;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, ss_tlnp, strlen(ss_tlnp)),
			 (ssize_t)strlen(ss_tlnp));
	close(fd);
	assert_int_equal(netstat_read_file(path, collect, &r, &err), 0);
	assert_int_equal(r.n, 5);
	unlink(path);
	assert_int_equal(netstat_read_file(path, collect, &r, &err), -ENOENT);
	assert_string_equal(err.token, path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netstat),
		cmocka_unit_test(test_ss),
		cmocka_unit_test(test_header_only),
		cmocka_unit_test(test_garbled),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_callback_stop),
		cmocka_unit_test(test_read_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
