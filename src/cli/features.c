/*
 * features.c - library versions and kernel features (see features.h).
 *
 * Built versions come from pkg-config at build time, through a header the
 * Makefile generates (pkg_versions.h, rewritten only when one changes), so
 * they name the packages as the distribution does.  Run-time versions are
 * asked of the loaded library where it has a call for it: libbpf and zlib
 * do, and liburing from 2.4 on; the others have none, and the file name of
 * the loaded object would be the soname's number, not the release's
 * (libxdp 1.3.1 ships libxdp.so.1.3.0), so no guess is made for them.
 *
 * io_uring is asked twice on purpose: the op probe says which of the
 * engine's ops exist, which is what a user with an old kernel needs to
 * read, and engine_new with one slot says whether the engine really
 * starts - io_uring may be there with every op and still be refused by
 * RLIMIT_NOFILE, locked memory or a seccomp filter.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <liburing.h>
#include <zlib.h>

#include "engine.h"
#include "features.h"
#include "pkg_versions.h"

static const struct {
	const char *name;
	int opcode;
	bool required;
} ops[FEATURES_NOPS] = {
	[FEATURES_OP_SOCKET] = { "socket", IORING_OP_SOCKET, true },
	[FEATURES_OP_URING_CMD] = { "uring_cmd", IORING_OP_URING_CMD, false },
	[FEATURES_OP_CONNECT] = { "connect", IORING_OP_CONNECT, true },
	[FEATURES_OP_LINK_TIMEOUT] = { "link_timeout", IORING_OP_LINK_TIMEOUT,
				       true },
	[FEATURES_OP_CLOSE] = { "close", IORING_OP_CLOSE, true },
};

const char *features_op_name(enum features_op op)
{
	return op < FEATURES_NOPS ? ops[op].name : "?";
}

bool features_op_required(enum features_op op)
{
	return op < FEATURES_NOPS && ops[op].required;
}

static void probe_libs(struct features *ft)
{
	static const char *const names[FEATURES_NLIBS] = {
		"liburing", "libbpf", "libxdp", "libmnl", "libcap-ng", "zlib",
	};
	static const char *const built[FEATURES_NLIBS] = {
		RS_PKG_LIBURING, RS_PKG_LIBBPF,	   RS_PKG_LIBXDP,
		RS_PKG_LIBMNL,	 RS_PKG_LIBCAP_NG, RS_PKG_ZLIB,
	};
	const char *v;

	for (int i = 0; i < FEATURES_NLIBS; i++) {
		ft->libs[i].name = names[i];
		ft->libs[i].built = built[i];
		ft->libs[i].running = NULL;
	}
#ifdef IO_URING_VERSION_MAJOR
	snprintf(ft->run_buf[0], sizeof(ft->run_buf[0]), "%d.%d",
		 io_uring_major_version(), io_uring_minor_version());
	ft->libs[0].running = ft->run_buf[0];
#endif
	/* libbpf says "v1.1"; pkg-config's spelling has no 'v'. */
	v = libbpf_version_string();
	if (v) {
		snprintf(ft->run_buf[1], sizeof(ft->run_buf[1]), "%s",
			 v[0] == 'v' ? v + 1 : v);
		ft->libs[1].running = ft->run_buf[1];
	}
	ft->libs[5].running = zlibVersion();
}

static int socket_err(int family)
{
	int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static void probe_uring(struct features *ft)
{
	struct io_uring_probe *probe;
	struct io_uring ring;
	int ret;

	ret = io_uring_queue_init(2, &ring, 0);
	if (ret) {
		ft->uring_err = ret;
		return;
	}
	probe = io_uring_get_probe_ring(&ring);
	if (probe) {
		ft->ops_known = true;
		for (int i = 0; i < FEATURES_NOPS; i++)
			ft->op[i] =
				io_uring_opcode_supported(probe, ops[i].opcode);
		ft->bind_op =
			io_uring_opcode_supported(probe, ENGINE_IORING_OP_BIND);
		io_uring_free_probe(probe);
	}
	io_uring_queue_exit(&ring);
}

static void probe_engine(struct features *ft)
{
	const struct engine_config cfg = { .slots = 1 };
	struct engine_info info;
	struct engine *e = NULL;

	memset(&info, 0, sizeof(info));
	ft->engine_err = engine_new(&e, &cfg, &info);
	if (ft->engine_err)
		return;
	ft->ring_setup = info.setup;
	ft->linger_rst = info.linger_rst;
	engine_connect_ops.free(e);
}

void features_probe(struct features *ft)
{
	struct utsname u;

	memset(ft, 0, sizeof(*ft));
	probe_libs(ft);
	if (uname(&u))
		snprintf(ft->kernel, sizeof(ft->kernel), "unknown (%s)",
			 strerror(errno));
	else
		snprintf(ft->kernel, sizeof(ft->kernel), "%s %s %s", u.sysname,
			 u.release, u.machine);
	probe_uring(ft);
	probe_engine(ft);
	ft->xdp_err = socket_err(AF_XDP);
	ft->packet_err = socket_err(AF_PACKET);
}
