/*
 * test_proctable.c - the /proc/net/{tcp,tcp6,udp,udp6} parser.
 *
 * Known lines (built the way the kernel prints them: each address word is
 * the in-memory __be32 printed with %08X, so the test holds on any byte
 * order) must give back their addresses, ports, state, uid and inode; a
 * table of hostile lines must each be refused with the right line number
 * and reason.  Every input is also parsed from a copy that ends exactly at
 * a PROT_NONE page with no NUL after it (picohttpparser's trick): a parser
 * that reads one byte past len crashes instead of passing.
 *
 * The reader is checked on a scratch directory (missing files, a bad file
 * named by its table), and, when the test may create a network namespace
 * (root), against the live kernel: the listeners it opens in a fresh
 * namespace must appear in /proc/net exactly as netlink shows them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "guard.h"
#include "proctable.h"
#include "services.h"

#define HDR4 \
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
#define HDR6 \
	"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

/* The kernel's hex for an address: each 32-bit word as stored, %08X. */
static void hexaddr(const char *text, char *out, size_t len)
{
	struct rs_addr a;
	size_t words, n = 0;

	assert_int_equal(addr_parse(text, &a), 0);
	words = a.family == AF_INET6 ? 4 : 1;
	for (size_t i = 0; i < words; i++) {
		uint32_t w;

		memcpy(&w, a.bytes + 4 * i, 4);
		n += (size_t)snprintf(out + n, len - n, "%08X", w);
	}
}

/* One line as tcp4_seq_show prints it. */
static void line(char *out, size_t len, int sl, const char *local,
		 unsigned lport, const char *remote, unsigned rport,
		 unsigned st, unsigned uid, unsigned long inode)
{
	char l[40], r[40];

	hexaddr(local, l, sizeof(l));
	hexaddr(remote, r, sizeof(r));
	snprintf(
		out, len,
		"%4d: %s:%04X %s:%04X %02X 00000000:00000000 00:00000000 00000000 %5u        0 %lu 1 0000000000000000 100 0 0 10 0\n",
		sl, l, lport, r, rport, st, uid, inode);
}

struct collect {
	struct sock_entry e[16];
	size_t n;
	int stop_after; /* return 7 after this many; 0 never */
};

static int collect_fn(void *ctx, const struct sock_entry *e)
{
	struct collect *c = ctx;

	if (c->n < 16)
		c->e[c->n] = *e;
	c->n++;
	if (c->stop_after && (int)c->n == c->stop_after)
		return 7;
	return 0;
}

/* Parse buf both ways (plain and guarded); both must agree. */
static int parse2(const char *buf, size_t len, int proto, int family,
		  struct collect *c, struct rs_error *err)
{
	struct guarded g;
	struct collect c2 = { .stop_after = c->stop_after };
	struct rs_error e2;
	int r1, r2;

	r1 = proctable_parse(buf, len, proto, family, collect_fn, c, err);
	r2 = proctable_parse(guard_copy(&g, buf, len, false), len, proto,
			     family, collect_fn, &c2, &e2);
	guard_free(&g);
	assert_int_equal(r1, r2);
	assert_int_equal(c->n, c2.n);
	return r1;
}

static void check(const struct sock_entry *e, const char *local, unsigned lport,
		  const char *remote, unsigned rport, unsigned st, unsigned uid,
		  unsigned long inode)
{
	char buf[RS_ADDR_STRLEN];

	assert_string_equal(addr_format(&e->local, buf, sizeof(buf)), local);
	assert_int_equal(e->lport, lport);
	assert_string_equal(addr_format(&e->remote, buf, sizeof(buf)), remote);
	assert_int_equal(e->rport, rport);
	assert_int_equal(e->state, st);
	assert_int_equal(e->uid, uid);
	assert_int_equal(e->inode, inode);
	assert_int_equal(e->v6only, -1);
}

static void test_tcp4(void **state)
{
	char buf[2048], l[512];
	struct collect c = { 0 };
	struct rs_error err;
	size_t n;

	(void)state;
	n = (size_t)snprintf(buf, sizeof(buf), "%s", HDR4);
	line(l, sizeof(l), 0, "127.0.0.53", 53, "0.0.0.0", 0, 0x0A, 101, 16234);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", l);
	line(l, sizeof(l), 1, "10.1.2.3", 22, "198.18.0.9", 51000, 0x01, 0, 99);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", l);
	/* TIME_WAIT lines are shorter and carry inode 0. */
	n += (size_t)snprintf(
		buf + n, sizeof(buf) - n,
		"   2: 0100007F:A0B1 0100007F:0016 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000\n");
	assert_int_equal(parse2(buf, n, RS_TCP, AF_INET, &c, &err), 0);
	assert_int_equal(c.n, 3);
	check(&c.e[0], "127.0.0.53", 53, "0.0.0.0", 0, 10, 101, 16234);
	check(&c.e[1], "10.1.2.3", 22, "198.18.0.9", 51000, 1, 0, 99);
	assert_int_equal(c.e[2].lport, 0xA0B1);
	assert_int_equal(c.e[2].state, SOCK_ST_TIME_WAIT);
	assert_int_equal(c.e[2].inode, 0);
	assert_int_equal(c.e[0].proto, RS_TCP);
	assert_true(sock_entry_is_listener(&c.e[0]));
	assert_false(sock_entry_is_listener(&c.e[1]));
}

static void test_tcp6_udp(void **state)
{
	char buf[2048], l[512];
	struct collect c = { 0 };
	struct rs_error err;
	size_t n;

	(void)state;
	n = (size_t)snprintf(buf, sizeof(buf), "%s", HDR6);
	line(l, sizeof(l), 0, "::", 80, "::", 0, 0x0A, 0, 7);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", l);
	line(l, sizeof(l), 1, "2001:db8::1:2", 443, "::ffff:198.18.0.1", 4000,
	     0x01, 33, 8);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", l);
	assert_int_equal(parse2(buf, n, RS_TCP, AF_INET6, &c, &err), 0);
	assert_int_equal(c.n, 2);
	check(&c.e[0], "::", 80, "::", 0, 10, 0, 7);
	check(&c.e[1], "2001:db8::1:2", 443, "::ffff:198.18.0.1", 4000, 1, 33,
	      8);

	/* udp: same leading fields, other trailing ones; CRLF tolerated. */
	memset(&c, 0, sizeof(c));
	n = (size_t)snprintf(
		buf, sizeof(buf),
		"   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\r\n"
		" 1057: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 5555 2 0000000000000000 0\r\n"
		"\n");
	assert_int_equal(parse2(buf, n, RS_UDP, AF_INET, &c, &err), 0);
	assert_int_equal(c.n, 1);
	check(&c.e[0], "0.0.0.0", 53, "0.0.0.0", 0, 7, 0, 5555);
	assert_int_equal(c.e[0].proto, RS_UDP);
	assert_true(sock_entry_is_listener(&c.e[0]));
}

static void test_header_only_and_stop(void **state)
{
	char buf[1024], l[512];
	struct collect c = { 0 };
	struct rs_error err;
	size_t n;

	(void)state;
	assert_int_equal(parse2(HDR4, strlen(HDR4), RS_TCP, AF_INET, &c, &err),
			 0);
	assert_int_equal(c.n, 0);
	/* no final newline */
	assert_int_equal(
		parse2(HDR4, strlen(HDR4) - 1, RS_TCP, AF_INET, &c, &err), 0);
	n = (size_t)snprintf(buf, sizeof(buf), "%s", HDR4);
	for (int i = 0; i < 3; i++) {
		line(l, sizeof(l), i, "127.0.0.1", 1000 + (unsigned)i,
		     "0.0.0.0", 0, 0x0A, 0, 1);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", l);
	}
	c.stop_after = 2;
	assert_int_equal(parse2(buf, n, RS_TCP, AF_INET, &c, &err), 7);
	assert_int_equal(c.n, 2);
}

struct bad_case {
	const char *text; /* after the header */
	unsigned long line;
	const char *reason;
};

#define GOOD_REST \
	" 00000000:00000000 00:00000000 00000000     0        0 123 1 0000000000000000 100 0 0 10 0"

static void test_hostile(void **state)
{
	static const struct bad_case cases[] = {
		{ "   0 0100007F:0016 00000000:0000 0A" GOOD_REST, 2, "slot" },
		{ "   0: 0100007:0016 00000000:0000 0A" GOOD_REST, 2,
		  "local address" },
		{ "   0: 0100007G:0016 00000000:0000 0A" GOOD_REST, 2,
		  "local address" },
		{ "   0: 0100007F:00160 00000000:0000 0A" GOOD_REST, 2,
		  "local address" },
		{ "   0: 0100007F-0016 00000000:0000 0A" GOOD_REST, 2,
		  "local address" },
		{ "   0: 0100007F:0016 00000000:000 0A" GOOD_REST, 2,
		  "remote address" },
		{ "   0: 0100007F:0016 00000000:0000 00" GOOD_REST, 2,
		  "state" },
		{ "   0: 0100007F:0016 00000000:0000 1A" GOOD_REST, 2,
		  "state" },
		{ "   0: 0100007F:0016 00000000:0000 0A", 2, "tx_queue" },
		{ "   0: 0100007F:0016 00000000:0000", 2, "state" },
		{ "   0: 0100007F:0016", 2, "remote address" },
		{ "   0:", 2, "local address" },
		{ "   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 4294967296 0 1",
		  2, "uid" },
		{ "   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 12x",
		  2, "inode" },
		{ "   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 99999999999999999999999",
		  2, "inode" },
		{ "   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 \x01",
		  2, "non-printable" },
		{ "   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n"
		  "garbage",
		  3, "slot" },
	};
	char buf[4096];
	struct rs_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct collect c = { 0 };
		size_t n = (size_t)snprintf(buf, sizeof(buf), "%s%s\n", HDR4,
					    cases[i].text);

		memset(&err, 0, sizeof(err));
		assert_int_equal(parse2(buf, n, RS_TCP, AF_INET, &c, &err),
				 -EINVAL);
		if (err.line != cases[i].line || !err.reason ||
		    !strstr(err.reason, cases[i].reason))
			fail_msg("case %zu: line %lu, reason '%s'", i, err.line,
				 err.reason ? err.reason : "");
	}
}

static void test_bad_files(void **state)
{
	char big[PROCTABLE_LINE_MAX + 200];
	struct collect c = { 0 };
	struct rs_error err;
	size_t n;

	(void)state;
	/* empty, no header, NUL inside, a line too long */
	assert_int_equal(parse2("", 0, RS_TCP, AF_INET, &c, &err), -EINVAL);
	assert_non_null(strstr(err.reason, "empty"));
	assert_int_equal(parse2("hello\n", 6, RS_TCP, AF_INET, &c, &err),
			 -EINVAL);
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.reason, "header"));
	assert_int_equal(parse2("  sl\0local\n", 11, RS_TCP, AF_INET, &c, &err),
			 -EINVAL);
	n = (size_t)snprintf(big, sizeof(big), "%s", HDR4);
	memset(big + n, '1', PROCTABLE_LINE_MAX + 10);
	n += PROCTABLE_LINE_MAX + 10;
	assert_int_equal(parse2(big, n, RS_TCP, AF_INET, &c, &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.reason, "too long"));
	/* an IPv4 line in an IPv6 file */
	n = (size_t)snprintf(big, sizeof(big),
			     "%s   0: 0100007F:0016 00000000:0000 0A%s\n", HDR6,
			     GOOD_REST);
	assert_int_equal(parse2(big, n, RS_TCP, AF_INET6, &c, &err), -EINVAL);
	assert_non_null(strstr(err.reason, "32 hex digits"));
	assert_string_equal(err.token, "0100007F:0016"); /* the whole field */
	assert_int_equal(c.n, 0);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_read_dir(void **state)
{
	char dir[] = "/tmp/test_proctable.XXXXXX", sub[600], l[512];
	char text[1024];
	struct sock_list list = { 0 };
	struct rs_error err;
	unsigned missing = 0, bad = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/net", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	line(l, sizeof(l), 0, "0.0.0.0", 22, "0.0.0.0", 0, 0x0A, 0, 42);
	snprintf(text, sizeof(text), "%s%s", HDR4, l);
	write_file(sub, "tcp", text);
	assert_int_equal(proctable_read(dir, &list, &missing, &bad, &err), 0);
	assert_int_equal(missing, SOCK_T_TCP6 | SOCK_T_UDP4 | SOCK_T_UDP6);
	assert_int_equal(list.n, 1);
	assert_int_equal(list.v[0].lport, 22);
	assert_int_equal(list.v[0].inode, 42);

	write_file(sub, "udp6", "  sl local\n   0: zz\n");
	assert_int_equal(proctable_read(dir, &list, &missing, &bad, &err),
			 -EINVAL);
	assert_int_equal(bad, SOCK_T_UDP6);
	assert_string_equal(proctable_file(bad), "net/udp6");
	assert_int_equal(err.line, 2);

	snprintf(text, sizeof(text), "rm -rf '%s'", dir);
	assert_int_equal(system(text), 0);
	sock_list_free(&list);
	/* no such directory: every file missing, no error */
	assert_int_equal(proctable_read("/nonexistent-proc", &list, &missing,
					NULL, &err),
			 0);
	assert_int_equal(missing, SOCK_T_ALL);
	assert_int_equal(list.n, 0);
}

/* ---- against the live kernel, in a private namespace ---- */

static int lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (!ret)
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return ret;
}

static int listener(int family, int type, const char *addr, uint16_t port,
		    int v6only)
{
	struct sockaddr_storage ss;
	struct rs_addr a;
	socklen_t len;
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(addr_parse(addr, &a), 0);
	if (family == AF_INET6)
		assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
					    &v6only, sizeof(v6only)),
				 0);
	len = addr_to_sockaddr(&a, port, &ss);
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static uint64_t inode_of(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return st.st_ino;
}

static const struct sock_entry *find(const struct sock_list *l, uint64_t inode)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].inode == inode)
			return &l->v[i];
	return NULL;
}

static void test_live_agrees_with_netlink(void **state)
{
	struct sock_list pr = { 0 }, nl = { 0 };
	struct rs_error err;
	unsigned missing = 0;
	int fds[4];

	(void)state;
	if (syscall(SYS_unshare, CLONE_NEWNET))
		skip(); /* needs root: not a pass, a skip */
	assert_int_equal(lo_up(), 0);
	fds[0] = listener(AF_INET, SOCK_STREAM, "127.0.0.1", 2201, 0);
	fds[1] = listener(AF_INET6, SOCK_STREAM, "::", 2202, 1);
	fds[2] = listener(AF_INET, SOCK_DGRAM, "0.0.0.0", 2203, 0);
	fds[3] = listener(AF_INET6, SOCK_DGRAM, "::1", 2204, 1);
	assert_int_equal(proctable_read("/proc", &pr, &missing, NULL, &err), 0);
	assert_int_equal(missing, 0);
	assert_int_equal(sockdiag_dump(&nl, NULL), 0);
	/* a fresh namespace holds exactly our four sockets */
	assert_int_equal(pr.n, 4);
	for (int i = 0; i < 4; i++) {
		const struct sock_entry *p = find(&pr, inode_of(fds[i]));
		const struct sock_entry *n = find(&nl, inode_of(fds[i]));

		assert_non_null(p);
		assert_non_null(n);
		assert_int_equal(addr_cmp(&p->local, &n->local), 0);
		assert_int_equal(p->lport, n->lport);
		assert_int_equal(p->lport, 2201 + i);
		assert_int_equal(p->state, n->state);
		assert_int_equal(p->proto, n->proto);
		assert_int_equal(p->uid, n->uid);
		assert_true(sock_entry_is_listener(p));
		close(fds[i]);
	}
	sock_list_free(&pr);
	sock_list_free(&nl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4),
		cmocka_unit_test(test_tcp6_udp),
		cmocka_unit_test(test_header_only_and_stop),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_read_dir),
		cmocka_unit_test(test_live_agrees_with_netlink),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
