/*
 * features.h - what this machine gives ringscan: the libraries it was built
 * with and runs with, and the kernel features its engines need, probed at
 * run time for `ringscan --version`.
 *
 * The probes are the engines' own first steps, minus any traffic: a small
 * io_uring ring asked which ops it supports, the connect engine set up with
 * one slot (engine_new: its trial creates one socket and closes it without
 * connecting; the op probe also says whether --source-ip can bind), and an AF_XDP and an AF_PACKET socket created and closed,
 * bound to nothing.  So "yes" means the engine can start here, not that a
 * header said so, and the answer is the same inside a network namespace
 * with no route out.
 *
 * A missing feature is a result, not an error: features_probe always fills
 * every field, and each "no" carries the -errno that says why, for the CLI
 * to turn into words.  Cold path, called once; only cli.c prints.
 */
#ifndef RINGSCAN_FEATURES_H
#define RINGSCAN_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

/* The io_uring ops the connect engine uses (engine.h), in chain order. */
enum features_op {
	FEATURES_OP_SOCKET,
	FEATURES_OP_URING_CMD, /* optional: SO_LINGER 0, a reset on close */
	FEATURES_OP_CONNECT,
	FEATURES_OP_LINK_TIMEOUT,
	FEATURES_OP_CLOSE,
	FEATURES_NOPS,
};

struct features_lib {
	const char *name; /* pkg-config name: "liburing" */
	const char *built; /* its version when ringscan was built */
	/* the loaded library's own answer; NULL if it has no way to say */
	const char *running;
};

#define FEATURES_NLIBS 6
#define FEATURES_KERNEL_LEN 256
#define FEATURES_VERSION_LEN 32

struct features {
	struct features_lib libs[FEATURES_NLIBS];
	char kernel[FEATURES_KERNEL_LEN]; /* "Linux 6.1.0-18-amd64 x86_64" */
	int uring_err; /* 0: a ring was set up; else -errno */
	bool ops_known; /* the kernel answered the op probe (5.6+) */
	bool op[FEATURES_NOPS]; /* supported, when ops_known */
	bool bind_op; /* IORING_OP_BIND (--source-ip, -sT/-sU), when known */
	/* engine_new with one slot: 0, or its -errno (engine.h) */
	int engine_err;
	const char *ring_setup; /* the ring flags it got, when it started */
	bool linger_rst; /* a socket uring_cmd sets SO_LINGER */
	int xdp_err; /* socket(AF_XDP): 0 or -errno */
	int packet_err; /* socket(AF_PACKET): 0 or -errno */
	/* storage for running versions formatted here */
	char run_buf[FEATURES_NLIBS][FEATURES_VERSION_LEN];
};

/* Probe everything; never fails (see the -errno fields). */
void features_probe(struct features *ft);

/* "socket", "uring_cmd", ... as the CLI names the op. */
const char *features_op_name(enum features_op op);

/* Whether the connect engine cannot start without the op. */
bool features_op_required(enum features_op op);

#endif
