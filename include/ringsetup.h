/*
 * ringsetup.h - what the connect and UDP engines share about their ring.
 *
 * Both engines are one io_uring with a table of direct-descriptor slots
 * and hard-linked chains; they differ in their chains and in how they
 * judge them, not in how the ring is made, sized, probed and entered.
 * This module holds that common part, so a fix to ring setup (a kernel
 * that refuses a flag, an fd limit) is made once:
 *
 *   ringsetup_cap_slots   slots the fd limit allows (direct descriptors
 *                         count against RLIMIT_NOFILE), raising the soft
 *                         limit to the hard one first;
 *   ringsetup_init        the ring, with the best task-run mode the kernel
 *                         takes (SINGLE_ISSUER|DEFER_TASKRUN, else
 *                         COOP_TASKRUN, else none), a CQ of the asked size,
 *                         and SUBMIT_ALL where there is one;
 *   ringsetup_has_ops     every opcode a chain needs, and the bind op when
 *                         --source-ip asks for it (no fallback: a direct
 *                         socket has no fd for a plain bind());
 *   ringsetup_trial       one synchronous chain at start (a direct socket,
 *                         the engine's socket option, close): whether
 *                         direct sockets work, and the option's link;
 *   ringsetup_sources     the --source-ip tables the bind SQEs point at;
 *   ringsetup_prep_*      the socket setsockopt uring_cmd and the bind op,
 *                         which liburing 2.3 has no helpers for;
 *   ringsetup_enter_*     one enter that submits and runs every completion
 *                         queued (DEFER_TASKRUN runs only 20 per enter
 *                         otherwise), and which of its errors are real;
 *   ringsetup_local_shortage  the errnos that are our own shortage (fds,
 *                         buffers, ports), never the target's answer.
 *
 * Setup functions allocate (the ring); the prep and enter helpers are for
 * the hot path: no allocation, no logging, one syscall per enter.
 */
#ifndef RINGSCAN_RINGSETUP_H
#define RINGSCAN_RINGSETUP_H

#include <liburing.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Not in liburing 2.3's headers; stable kernel ABI. */
#define RINGSETUP_SOCKET_URING_OP_SETSOCKOPT 3 /* Linux 6.7 */
#define RINGSETUP_IORING_OP_BIND 56 /* Linux 6.11 */

/* At most want slots, reserve fds kept back (output files, stdio). */
int ringsetup_cap_slots(uint32_t want, uint32_t reserve, uint32_t *got);

/* *setup names the task-run mode taken (for -v). */
int ringsetup_init(struct io_uring *ring, uint32_t sq_entries,
		   uint32_t cq_entries, const char **setup);

/* 0, -EOPNOTSUPP (an opcode of need missing, or no probe), or
 * -EPROTONOSUPPORT (bind asked for and the bind op missing). */
int ringsetup_has_ops(struct io_uring *ring, const int *need, size_t n,
		      bool bind);

/*
 * A direct socket of type (SOCK_STREAM, SOCK_DGRAM), setsockopt(level,
 * optname, val, len) on it through the uring_cmd, close: 0 with *opt_ok
 * whether the option took, -EOPNOTSUPP when direct sockets do not work,
 * or the ring's -errno.  Synchronous; the ring must be empty.
 */
int ringsetup_trial(struct io_uring *ring, int type, int level, int optname,
		    const void *val, uint32_t len, bool *opt_ok);

struct srcaddr;
/*
 * The sources of each family (tab[0] IPv4, tab[1] IPv6) as sockaddrs, for
 * the whole scan; NULL and 0 for a family without (and for src NULL).
 * The caller frees both tables, on failure too.  -ENOMEM.
 */
int ringsetup_sources(const struct srcaddr *src,
		      struct sockaddr_storage *tab[2], uint32_t n[2]);

/* setsockopt(level, optname, val, len) on fixed file fixed_idx; val must
 * stay valid until the SQE is issued. */
void ringsetup_prep_setsockopt(struct io_uring_sqe *sqe, int fixed_idx,
			       int level, int optname, const void *val,
			       uint32_t len);
/* bind(fixed file fixed_idx, sa, len); sa must stay valid likewise. */
void ringsetup_prep_bind(struct io_uring_sqe *sqe, int fixed_idx,
			 const struct sockaddr *sa, socklen_t len);

/* Submit what is in the SQ and run every completion queued, no wait:
 * the SQEs submitted, -ETIME (the normal end) or -errno. */
int ringsetup_enter_drain(struct io_uring *ring);
/* Whether an enter's result is an error (ETIME, EINTR, EBUSY and EAGAIN
 * are not: nothing came in time, a signal, a full CQ that reaping
 * empties). */
bool ringsetup_enter_failed(int ret);

bool ringsetup_local_shortage(int err);

/*
 * Whether a chain failed before it reached the target: its SOCKET (or
 * the BIND to its --source-ip source) failed.  Then *err is that error
 * and *defer whether a later try can succeed: a shortage of ours (fds,
 * buffers, a source's ports) defers; a source gone (EADDRNOTAVAIL at the
 * bind: the connect would go out from the route's source, not our
 * probe) and anything else is final.
 */
bool ringsetup_chain_failed(int socket_res, int bind_res, int *err,
			    bool *defer);

#endif
