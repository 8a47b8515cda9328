/*
 * test_features.c - the --version probes (features.c) and the lines
 * cli_version makes of them.
 *
 * The probe is checked against independent asks of the same facts: an
 * AF_XDP and an AF_PACKET socket created here, liburing's own op probe on
 * a ring of our own, uname(), zlibVersion().  Those agree whatever this
 * machine has, so the test holds on a kernel without AF_XDP as on one
 * with it.  The "no" lines - io_uring disabled, ops missing, no AF_XDP -
 * cannot be produced on demand on a shared machine (kernel.io_uring_disabled
 * is global), so they are checked by formatting a struct features that
 * says so: each must say "no" and why, and must not say "yes".
 *
 * Nothing here sends a packet: the sockets are created, bound to nothing,
 * and closed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <cmocka.h>

#include <liburing.h>
#include <zlib.h>

#include "cli.h"
#include "features.h"
#include "version.h"

/* cli_version's text, in a malloc'd string. */
static char *version_text(const struct features *ft)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	cli_version(f, ft);
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	return buf;
}

/* The line of text that starts with prefix, copied into line. */
static void line_of(const char *text, const char *prefix, char *line,
		    size_t size)
{
	const char *p = text;
	size_t n = strlen(prefix);

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len >= n && !strncmp(p, prefix, n)) {
			assert_true(len < size);
			memcpy(line, p, len);
			line[len] = '\0';
			return;
		}
		p = nl ? nl + 1 : NULL;
	}
	fail_msg("no line starting '%s' in:\n%s", prefix, text);
}

static int socket_err(int family)
{
	int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* A machine with everything: the struct the "no" cases start from. */
static void all_yes(struct features *ft)
{
	static const char *const names[FEATURES_NLIBS] = {
		"liburing", "libbpf", "libxdp", "libmnl", "libcap-ng", "zlib",
	};

	memset(ft, 0, sizeof(*ft));
	for (int i = 0; i < FEATURES_NLIBS; i++) {
		ft->libs[i].name = names[i];
		ft->libs[i].built = "9.8";
		ft->libs[i].running = i % 2 ? "9.9" : NULL;
	}
	snprintf(ft->kernel, sizeof(ft->kernel), "Linux 9.9.9 x86_64");
	ft->ops_known = true;
	for (int i = 0; i < FEATURES_NOPS; i++)
		ft->op[i] = true;
	ft->ring_setup = "COOP_TASKRUN";
	ft->linger_rst = true;
	ft->bind_op = true;
}

static void test_probe_agrees(void **state)
{
	struct io_uring_probe *probe;
	struct features ft;
	struct io_uring ring;
	struct utsname u;
	char want[FEATURES_KERNEL_LEN];
	int ret;

	(void)state;
	features_probe(&ft);
	assert_int_equal(ft.xdp_err, socket_err(AF_XDP));
	assert_int_equal(ft.packet_err, socket_err(AF_PACKET));
	assert_int_equal(uname(&u), 0);
	snprintf(want, sizeof(want), "%s %s %s", u.sysname, u.release,
		 u.machine);
	assert_string_equal(ft.kernel, want);
	assert_string_equal(ft.libs[5].name, "zlib");
	assert_string_equal(ft.libs[5].running, zlibVersion());
	assert_string_equal(ft.libs[5].built, ZLIB_VERSION);
	for (int i = 0; i < FEATURES_NLIBS; i++) {
		assert_non_null(ft.libs[i].built);
		assert_true(ft.libs[i].built[0] >= '0' &&
			    ft.libs[i].built[0] <= '9');
	}

	ret = io_uring_queue_init(2, &ring, 0);
	assert_int_equal(ft.uring_err, ret);
	if (ret)
		return;
	probe = io_uring_get_probe_ring(&ring);
	assert_int_equal(ft.ops_known, probe != NULL);
	if (probe) {
		assert_int_equal(ft.op[FEATURES_OP_SOCKET],
				 io_uring_opcode_supported(probe,
							   IORING_OP_SOCKET));
		assert_int_equal(ft.op[FEATURES_OP_CONNECT],
				 io_uring_opcode_supported(probe,
							   IORING_OP_CONNECT));
		assert_int_equal(ft.op[FEATURES_OP_CLOSE],
				 io_uring_opcode_supported(probe,
							   IORING_OP_CLOSE));
		assert_int_equal(
			ft.op[FEATURES_OP_URING_CMD],
			io_uring_opcode_supported(probe, IORING_OP_URING_CMD));
		assert_int_equal(ft.bind_op,
				 io_uring_opcode_supported(
					 probe, ENGINE_IORING_OP_BIND));
		io_uring_free_probe(probe);
	}
	io_uring_queue_exit(&ring);
	/* The engine starts only where its required ops exist. */
	if (!ft.engine_err)
		for (int i = 0; i < FEATURES_NOPS; i++)
			if (features_op_required(i))
				assert_true(ft.op[i]);
}

/* The real probe's text: every line there, no hole printed as "(null)". */
static void test_version_text(void **state)
{
	struct features ft;
	char line[512], want[64];
	char *text;

	(void)state;
	features_probe(&ft);
	text = version_text(&ft);
	snprintf(want, sizeof(want), "ringscan %s\n", RINGSCAN_VERSION);
	assert_memory_equal(text, want, strlen(want));
	assert_null(strstr(text, "(null)"));
	line_of(text, "library liburing: built with ", line, sizeof(line));
	line_of(text, "library libbpf: built with ", line, sizeof(line));
	line_of(text, "library libxdp: built with ", line, sizeof(line));
	line_of(text, "kernel: ", line, sizeof(line));
	assert_string_equal(line + strlen("kernel: "), ft.kernel);
	line_of(text, "io_uring: ", line, sizeof(line));
	line_of(text, "connect engine (-sT): ", line, sizeof(line));
	assert_true(strstr(line, ft.engine_err ? ": no (" : ": yes; ring "));
	line_of(text, "AF_XDP socket (-sS): ", line, sizeof(line));
	if (ft.xdp_err)
		assert_non_null(strstr(line, ": no ("));
	else
		assert_string_equal(line, "AF_XDP socket (-sS): yes");
	free(text);
}

static void test_version_all_yes(void **state)
{
	struct features ft;
	char line[512];
	char *text;

	(void)state;
	all_yes(&ft);
	text = version_text(&ft);
	line_of(text, "library liburing:", line, sizeof(line));
	assert_string_equal(
		line,
		"library liburing: built with 9.8, running version not exposed by the library");
	line_of(text, "library libbpf:", line, sizeof(line));
	assert_string_equal(line,
			    "library libbpf: built with 9.8, running 9.9");
	line_of(text, "io_uring:", line, sizeof(line));
	assert_string_equal(
		line,
		"io_uring: yes; ops socket yes, uring_cmd yes, connect yes, link_timeout yes, close yes");
	line_of(text, "connect engine", line, sizeof(line));
	assert_non_null(strstr(line, ": yes; ring COOP_TASKRUN, "));
	line_of(text, "source addresses", line, sizeof(line));
	assert_string_equal(
		line,
		"source addresses (--source-ip LIST, -sT/-sU): yes (io_uring bind op)");
	line_of(text, "AF_XDP", line, sizeof(line));
	assert_string_equal(line, "AF_XDP socket (-sS): yes");
	line_of(text, "AF_PACKET", line, sizeof(line));
	assert_string_equal(line, "AF_PACKET socket (-sS without AF_XDP): yes");
	free(text);

	/* Before Linux 6.11: no bind op, said with the version. */
	all_yes(&ft);
	ft.bind_op = false;
	text = version_text(&ft);
	line_of(text, "source addresses", line, sizeof(line));
	assert_non_null(strstr(line, ": no (io_uring has no bind op"));
	assert_non_null(strstr(line, "Linux 6.11"));
	free(text);
}

static void test_version_uring_disabled(void **state)
{
	struct features ft;
	char line[512];
	char *text;

	(void)state;
	all_yes(&ft);
	ft.uring_err = -EPERM;
	ft.ops_known = false;
	ft.engine_err = -EPERM;
	text = version_text(&ft);
	line_of(text, "io_uring:", line, sizeof(line));
	assert_non_null(strstr(line, "io_uring: no ("));
	assert_non_null(strstr(line, "kernel.io_uring_disabled"));
	line_of(text, "connect engine", line, sizeof(line));
	assert_non_null(strstr(line, ": no (io_uring is not available"));
	assert_null(strstr(text, ": yes;"));
	free(text);
}

static void test_version_ops_missing(void **state)
{
	struct features ft;
	char line[512];
	char *text;

	(void)state;
	all_yes(&ft);
	ft.op[FEATURES_OP_SOCKET] = false;
	ft.op[FEATURES_OP_URING_CMD] = false;
	ft.engine_err = -EOPNOTSUPP;
	text = version_text(&ft);
	line_of(text, "io_uring:", line, sizeof(line));
	assert_string_equal(
		line,
		"io_uring: yes; ops socket no, uring_cmd no, connect yes, link_timeout yes, close yes");
	line_of(text, "connect engine", line, sizeof(line));
	assert_non_null(strstr(line, ": no ("));
	assert_non_null(strstr(line, "Linux 5.19"));
	free(text);
}

static void test_version_no_sockets(void **state)
{
	struct features ft;
	char line[512];
	char *text;

	(void)state;
	all_yes(&ft);
	ft.xdp_err = -EAFNOSUPPORT;
	ft.packet_err = -EPERM;
	ft.linger_rst = false;
	text = version_text(&ft);
	line_of(text, "AF_XDP", line, sizeof(line));
	assert_string_equal(
		line,
		"AF_XDP socket (-sS): no (Address family not supported by protocol; not built into this kernel)");
	line_of(text, "AF_PACKET", line, sizeof(line));
	assert_non_null(strstr(line, ": no (Operation not permitted; "));
	assert_non_null(strstr(line, "CAP_NET_RAW"));
	line_of(text, "connect engine", line, sizeof(line));
	assert_non_null(strstr(line, "plain close"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_agrees),
		cmocka_unit_test(test_version_text),
		cmocka_unit_test(test_version_all_yes),
		cmocka_unit_test(test_version_uring_disabled),
		cmocka_unit_test(test_version_ops_missing),
		cmocka_unit_test(test_version_no_sockets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
