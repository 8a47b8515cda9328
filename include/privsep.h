/*
 * privsep.h - least privilege for -sS: a small privileged keeper process,
 * and dropping every capability from the scanner itself.
 *
 * A SYN scan needs root to set up (load and attach the XDP program, open
 * AF_XDP or AF_PACKET sockets, map rings), but once that is done its hot
 * path needs no privilege at all: sending and receiving on sockets already
 * open is checked when they are opened, not per packet.  Yet that hot path
 * parses frames from the network and the process writes files, so it
 * should not run with every capability of root.  Two things still need
 * CAP_NET_ADMIN after setup: asking the kernel to resolve a next hop
 * (RTM_NEWNEIGH with NTF_USE; the kernel checks the sender's capability on
 * every message, not the socket's opener) and detaching the XDP program at
 * the end (which libxdp also needs CAP_SYS_ADMIN/CAP_BPF for).
 *
 * So the SYN engine forks a keeper once its link is set up: a process that
 * keeps only CAP_NET_ADMIN, CAP_SYS_ADMIN and CAP_BPF, reads nothing from
 * the network and writes no file.  It does exactly two things: on request, solicit a neighbour on
 * the scan's interface (one fixed-size message over a socketpair, checked
 * field by field; anything else ends the keeper), and, when the scanner
 * closes its end - at the end of the scan, on an error, or because it was
 * killed, even by SIGKILL - run its cleanup (the XDP detach) and exit.  The
 * scanner then drops every capability, the bounding and ambient sets too,
 * and sets no_new_privs (privsep_drop), so that neither the process nor
 * anything it could execute can regain them.
 *
 * The keeper ignores SIGINT, SIGTERM and SIGHUP: those are the scanner's to
 * handle (a Ctrl-C reaches the whole process group), and the keeper must
 * outlive it long enough to clean up.  It never returns into the caller's
 * code and leaves with _exit, so stdio buffers it inherited are not
 * flushed twice.  Not on the hot path: one round trip per next hop to
 * resolve.  Single-threaded; one keeper per engine.
 */
#ifndef RINGSCAN_PRIVSEP_H
#define RINGSCAN_PRIVSEP_H

#include "addr.h"

struct privsep;

/*
 * Fork the keeper.  It solicits neighbours only on ifindex, and runs
 * cleanup(ctx) (in the keeper, with its copy of the caller's memory and
 * descriptors) once the scanner's end is closed.  -errno from
 * socketpair/fork.
 */
int privsep_start(struct privsep **out, int ifindex, void (*cleanup)(void *ctx),
		  void *ctx);

/*
 * Ask the keeper to solicit addr (NTF_USE, as neigh_solicit).  Returns
 * neigh_solicit's result in the keeper, or -errno if the keeper is gone.
 */
int privsep_solicit(struct privsep *p, int ifindex, const struct rs_addr *addr);

/*
 * Close the scanner's end and wait until the keeper has run its cleanup
 * and exited.  p may be NULL.
 */
void privsep_stop(struct privsep *p);

/*
 * Drop every capability of this process (effective, permitted,
 * inheritable, ambient and bounding sets) and set no_new_privs.  0, or
 * -EPERM if the kernel refused (then no_new_privs is still set when
 * possible, and capabilities may remain: the caller decides).
 */
int privsep_drop(void);

#endif
