/*
 * audit.h - the audit's verdicts: evidence tables in, one row per port out.
 *
 * `ringscan audit` gathers independent evidence about every port of a host
 * and this module judges it.  Local audit (the CLI reads the live machine):
 *
 *   netlink   the socket table through NETLINK_SOCK_DIAG (sockdiag.h)
 *   proc      the socket table through /proc/net/{tcp,udp}[6] (proctable.h), or a
 *             captured copy of it (--proc-root)
 *   bind      bind() of every port on 0.0.0.0 and [::] (V6ONLY), TCP and
 *             UDP: EADDRINUSE means some socket holds the port
 *   connect   the connect scan of every local address (TCP), best state
 *             per port and family
 *   udp       with --udp, an empty datagram to every port of every local
 *             address: an ICMP port-unreachable means closed
 *   owners    which processes hold each listening socket (owners.h)
 *
 * Remote audit: a netstat/ss capture taken on the server (netstat.h) and a
 * connect scan of it from here.
 *
 * One row per (protocol, port) that any source knows as a listener, that
 * answers, or that bind() finds held with no listed socket to explain it
 * (ports held only by connected or TIME_WAIT sockets make no row).  Its
 * verdict, most serious first:
 *
 *   hidden         a listener one listing shows and the other does not (or
 *                  shows only some of its sockets); or a port that answers
 *                  a connect, or that bind() finds held, in a family where no
 *                  listing has a socket that explains it.  Remote: a port
 *                  that answers at the target but the capture does not list
 *                  there.
 *   closed-listed  listed, but no connect answered (TCP) or bind() finds
 *                  it free (UDP): a firewall, or an address not probed.
 *   unexpected     listed and answering, but not allowed by --allow, or new
 *                  (or held by another program) since --baseline.
 *   ok             listed and answering, and allowed.
 *   disappeared    in the baseline, absent now (reported, not a finding).
 *
 * Each row carries the evidence behind its verdict ("netlink:yes proc:no
 * bind:held(v4) connect:open(v4)") and one sentence saying why.  Families
 * are judged apart: a port whose IPv6 listener is listed but whose IPv4
 * side answers with no IPv4 (or dual-stack) listener listed is hidden.
 *
 * Pure: no I/O, nothing printed.  The policy (--allow) is
 * audit_policy.h's, the baseline (--baseline, a previous audit's output)
 * audit_baseline.h's.
 */
#ifndef RINGSCAN_AUDIT_H
#define RINGSCAN_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "audit_baseline.h"
#include "audit_policy.h"
#include "error.h"
#include "netstat.h"
#include "owners.h"
#include "sockdiag.h"

#define AUDIT_NPORTS 65536
#define AUDIT_ADDRS_LEN 96
#define AUDIT_WHY_LEN 160
#define AUDIT_EVIDENCE_LEN 160

enum audit_verdict {
	AUDIT_OK,
	AUDIT_HIDDEN,
	AUDIT_UNEXPECTED,
	AUDIT_CLOSED_LISTED,
	AUDIT_DISAPPEARED,
	AUDIT_NVERDICTS,
};

/* What bind() said about one port of one table. */
enum audit_bind {
	AUDIT_BIND_UNTESTED = 0,
	AUDIT_BIND_FREE, /* bound fine: nothing holds it */
	AUDIT_BIND_HELD, /* EADDRINUSE */
	AUDIT_BIND_DENIED, /* EACCES (a port below 1024 without privilege) */
};

/* Best connect result for one port over the probed addresses of a family. */
enum audit_probe {
	AUDIT_PROBE_NONE = 0, /* not probed */
	AUDIT_PROBE_CLOSED,
	AUDIT_PROBE_FILTERED,
	AUDIT_PROBE_OPEN,
};

/* A port's listeners as one listing shows them. */
enum audit_listed {
	AUDIT_LISTED_NA = 0, /* the listing was not available / not used */
	AUDIT_LISTED_NO,
	AUDIT_LISTED_PARTIAL, /* some of the port's sockets, not all */
	AUDIT_LISTED_YES,
};

/* Indices of audit_evidence.bind[] (one per SOCK_T_* table). */
enum { AUDIT_TCP4, AUDIT_TCP6, AUDIT_UDP4, AUDIT_UDP6 };

struct audit_evidence {
	bool remote; /* capture + scan; else the local sources */
	/* Local: both listings (NULL if unavailable) and what each lacked
	 * (SOCK_T_* bits of tables that could not be read). */
	const struct sock_list *netlink;
	unsigned netlink_missing;
	const struct sock_list *proc;
	unsigned proc_missing;
	/* AUDIT_NPORTS enum audit_bind each, per table; NULL = not tested. */
	const uint8_t *bind[4];
	/* Remote: the capture, and the scanned addresses of the server. */
	const struct netstat_entry *capture;
	size_t ncapture;
	const struct rs_addr *targets;
	size_t ntargets;
	/* Both: AUDIT_NPORTS enum audit_probe each; [0] IPv4, [1] IPv6;
	 * NULL when no address of that family was probed. */
	const uint8_t *tcp[2];
	/* Local --udp: the datagram sweep, AUDIT_NPORTS each, per family;
	 * OPEN means no ICMP port-unreachable came back (open|filtered). */
	const uint8_t *udp_probe[2];
	const struct owner_table *owners; /* local; may be NULL */
	bool udp; /* judge UDP too (local: bind test and listings) */
};

struct audit_row {
	uint16_t port;
	uint8_t proto; /* enum rs_proto */
	uint8_t verdict; /* enum audit_verdict */
	uint8_t netlink, proc, capture; /* enum audit_listed */
	uint8_t bind4, bind6; /* enum audit_bind */
	uint8_t probe4, probe6; /* enum audit_probe: TCP connect; UDP
				   datagram (OPEN = no ICMP unreachable) */
	bool policy_denied;
	bool baseline_new;
	bool program_changed;
	int32_t pid; /* first holder, -1 unknown */
	uint32_t nholders; /* processes holding its sockets */
	char addrs[AUDIT_ADDRS_LEN]; /* listed local addresses, "-" none */
	char program[AUDIT_PROGRAM_LEN]; /* "-" unknown */
	char user[OWNERS_USER_LEN]; /* "-" unknown */
	char was_program[AUDIT_PROGRAM_LEN]; /* baseline's, if it differs */
	char why[AUDIT_WHY_LEN]; /* "" for ok */
};

struct audit_report {
	struct audit_row *rows; /* sorted: TCP then UDP, by port */
	size_t n;
	size_t count[AUDIT_NVERDICTS];
	bool remote;
};

/*
 * Judge the evidence.  policy and baseline may be NULL (or inactive).
 * 0 or -ENOMEM; out is filled afresh (free with audit_report_free).
 */
int audit_build(const struct audit_evidence *ev,
		const struct audit_policy *policy,
		const struct audit_baseline *baseline,
		struct audit_report *out);
void audit_report_free(struct audit_report *r);

/* Rows whose verdict is hidden or unexpected (the exit-status findings). */
size_t audit_findings(const struct audit_report *r);

const char *audit_verdict_name(unsigned verdict);

/* "open", "closed", "filtered" (TCP), "bound", "free" (UDP), or "-". */
const char *audit_state_name(const struct audit_row *r);

/* The row's evidence, e.g. "netlink:yes proc:no bind:held(v4)
 * connect:open(v4)".  Returns buf (always NUL-terminated). */
const char *audit_evidence_format(const struct audit_row *r, bool remote,
				  char *buf, size_t len);

#endif
