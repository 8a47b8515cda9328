/*
 * sockdiag.h - the kernel's socket table through NETLINK_SOCK_DIAG, and the
 * one socket-entry type that every socket listing in ringscan shares.
 *
 * The audit reads the table of sockets two independent ways (this module,
 * and /proc/net/{tcp,tcp6,udp,udp6} through proctable.h) and compares them;
 * a netstat or ss capture (netstat.h) is a third source.  All three produce
 * struct sock_entry rows so that the verdict logic (audit.h) compares like
 * with like.
 *
 * sockdiag_dump() asks inet_diag (through libmnl) for every TCP socket in
 * every state - LISTEN, but also ESTABLISHED, TIME_WAIT, SYN_RECV ..., which
 * the audit needs to explain a port that bind() finds busy - and every UDP
 * socket, IPv4 and IPv6, of the caller's network namespace.  A dump the
 * kernel reports as interrupted (NLM_F_DUMP_INTR: the table changed while
 * it was being walked) is started again, a bounded number of times.  A
 * protocol or family the kernel cannot dump (no udp_diag, IPv6 disabled) is
 * not an error: it is left out and its SOCK_T_* bit is set in *unavailable,
 * so the caller can say "netlink: n/a" for it instead of "not listed".
 *
 * Not on any hot path; allocates as the table grows.  Never prints.
 */
#ifndef RINGSCAN_SOCKDIAG_H
#define RINGSCAN_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* The kernel's TCP state numbers (include/net/tcp_states.h), as listed. */
#define SOCK_ST_ESTABLISHED 1
#define SOCK_ST_SYN_SENT 2
#define SOCK_ST_SYN_RECV 3
#define SOCK_ST_FIN_WAIT1 4
#define SOCK_ST_FIN_WAIT2 5
#define SOCK_ST_TIME_WAIT 6
#define SOCK_ST_CLOSE \
	7 /* UDP: bound, not connected ("UNCONN"); TCP:
				 bind() only, dumped by netlink on 6.9+ */
#define SOCK_ST_CLOSE_WAIT 8
#define SOCK_ST_LAST_ACK 9
#define SOCK_ST_LISTEN 10
#define SOCK_ST_CLOSING 11
#define SOCK_ST_NEW_SYN_RECV 12

/* The four tables, as bits (for "which could not be read"). */
#define SOCK_T_TCP4 (1u << 0)
#define SOCK_T_TCP6 (1u << 1)
#define SOCK_T_UDP4 (1u << 2)
#define SOCK_T_UDP6 (1u << 3)
#define SOCK_T_ALL 0xfu

/* One socket as a listing shows it. */
struct sock_entry {
	struct rs_addr local;
	struct rs_addr remote;
	uint64_t inode; /* 0: none (TIME_WAIT, request sockets, unknown) */
	uint32_t uid; /* owner uid as listed; UINT32_MAX unknown */
	uint32_t ifindex; /* bound device (SO_BINDTODEVICE), 0 none */
	uint16_t lport; /* host order */
	uint16_t rport;
	uint8_t proto; /* enum rs_proto (services.h) */
	uint8_t state; /* SOCK_ST_* */
	int8_t v6only; /* IPv6: 1 V6ONLY, 0 dual-stack; -1 unknown/IPv4 */
};

/* A growable array of entries; zero-initialize before first use. */
struct sock_list {
	struct sock_entry *v;
	size_t n;
	size_t cap;
};

/* Append a copy of e.  0 or -ENOMEM. */
int sock_list_add(struct sock_list *l, const struct sock_entry *e);

/* Free the storage; the list is empty and reusable afterwards. */
void sock_list_free(struct sock_list *l);

/* The SOCK_T_* bit of e's table (proto x family). */
unsigned sock_entry_table(const struct sock_entry *e);

/*
 * A listener in the netstat -l / ss -l sense: TCP in LISTEN, or UDP bound
 * to a port and not connected (state CLOSE).
 */
bool sock_entry_is_listener(const struct sock_entry *e);

/* "LISTEN", "ESTAB", "UNCONN", "TIME-WAIT" ... (ss's names); never NULL. */
const char *sock_state_name(unsigned proto, unsigned state);

/*
 * Append every TCP socket (all states) and every UDP socket, IPv4 and
 * IPv6, of the current network namespace to out.  Tables the kernel cannot
 * dump are skipped and flagged in *unavailable (SOCK_T_*; may be NULL).
 * 0; -EPROTONOSUPPORT if NETLINK_SOCK_DIAG itself is missing; -EAGAIN if a
 * dump stayed inconsistent after several attempts; -ENOMEM; other -errno
 * from the netlink socket.  On failure out keeps what was appended.
 */
int sockdiag_dump(struct sock_list *out, unsigned *unavailable);

#endif
