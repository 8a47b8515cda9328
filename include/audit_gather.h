/*
 * audit_gather.h - the local audit's evidence, gathered from the machine.
 *
 * Everything audit_build (audit.h) judges, read or measured here: the
 * socket table through netlink and /proc (or a --proc-root copy), a bind()
 * test of every port, the connect scan of every local address (scan.h, one
 * instance per family, in parallel), the --udp datagram sweep, plain
 * connect probes of listeners on addresses the scan did not cover, and the
 * owning processes of every listener; for the remote audit, the netstat
 * capture and the scan of the server.  The order in which the CLI calls
 * these, so that the audit's own sockets never become evidence, is in
 * audit_cli.c.
 *
 * An audit_gather is zero-initialized with its stop flag set (the CLI's
 * signal flag: every long loop here checks it) and freed with
 * audit_gather_free.  Functions return 0 or -errno and never print; the
 * CLI turns failures (and the notes in audit_listings_err) into messages.
 * Not thread-safe per audit_gather; the bind test and the scan start their
 * own threads and join them before returning.
 */
#ifndef RINGSCAN_AUDIT_GATHER_H
#define RINGSCAN_AUDIT_GATHER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "audit.h"
#include "netstat.h"
#include "owners.h"
#include "ports.h"
#include "scan.h"
#include "sockdiag.h"

#define AUDIT_MAX_ADDRS 64 /* per family */
#define AUDIT_MAX_CAPTURE_ROWS 1000000

/* The addresses of one family that are scanned; duplicates dropped. */
struct audit_addrs {
	struct rs_addr v[AUDIT_MAX_ADDRS];
	size_t n;
	size_t dropped; /* beyond AUDIT_MAX_ADDRS */
};

/* Everything the verdicts are built from. */
struct audit_gather {
	volatile sig_atomic_t *stop; /* set by the caller: stop early */
	struct sock_list nl, pr;
	unsigned nl_missing, pr_missing;
	bool nl_ok, pr_ok;
	uint8_t *bind[4]; /* NULL: not tested */
	uint8_t *tcp[2];
	uint8_t *udp[2]; /* --udp sweep, NULL if not done */
	struct owner_table owners;
	struct netstat_entry *cap;
	size_t ncap, capcap;
	struct audit_addrs addrs[2]; /* scanned: [0] IPv4, [1] IPv6 */
	struct rs_addr all_targets[AUDIT_MAX_ADDRS * 2];
	size_t nall;
};

void audit_addrs_add(struct audit_addrs *l, const struct rs_addr *a);

/*
 * Every address of an interface that is up: 127.0.0.1 for all of 127/8
 * (the listings and bind test find the rest, and the probes of listed
 * listeners reach them); no link-local IPv6 (a connect needs its scope;
 * listeners bound there are probed with it).  ::1 first, as 127.0.0.1.
 */
void audit_gather_local_addrs(struct audit_addrs out[2]);

/* Where a listing failed, and the notes of one that read partly. */
enum audit_listing_source { AUDIT_LISTING_NETLINK, AUDIT_LISTING_PROC };

struct audit_listings_err {
	enum audit_listing_source source; /* of the error returned */
	int netlink_unavailable; /* errno: no sock_diag (judged by /proc) */
	bool proc_none; /* no table under proc_root/net */
	unsigned bad_table; /* SOCK_T_* of the /proc table at fault */
	struct rs_error err; /* -EINVAL from a /proc table */
};

/*
 * Read both listings, appending to g->nl and g->pr.  A kernel without
 * sock_diag (or without the privilege) leaves netlink unavailable and is
 * not an error; neither is a proc_root with no table (e->proc_none).  0,
 * or -errno with e->source (and e->err, e->bad_table for /proc).
 */
int audit_gather_listings(struct audit_gather *g, const char *proc_root,
			  struct audit_listings_err *e);

/* The bind test of every port of pl (TCP, and UDP if udp).  0/-ENOMEM. */
int audit_gather_bind(struct audit_gather *g, const struct portlist *pl,
		      bool udp);

/* One bind() of one port: how it is tested (see audit_gather.c). */
enum audit_bind_mode { AUDIT_BIND_V4, AUDIT_BIND_V6ONLY, AUDIT_BIND_DUAL };
uint8_t audit_bind_one(enum audit_bind_mode mode, int type, uint16_t port);

/*
 * The connect scan of g->addrs (each family its own scan_run, in
 * parallel) with cfg, then the UDP sweep if udp_sweep.  0, or -errno with
 * *what naming the step ("scan", "targets", "state store", "UDP sweep",
 * "memory"); a "scan" error is scan_run's.
 */
int audit_gather_scan(struct audit_gather *g, const struct scan_config *cfg,
		      const struct portlist *pl, bool udp_sweep,
		      uint64_t *elapsed_ns, const char **what);

/*
 * The UDP sweep of ports[0..n) on every address of l (one family) into out
 * (AUDIT_NPORTS enum audit_probe, best over the addresses).  0 or -errno.
 */
int audit_udp_sweep(const struct audit_addrs *l, const uint16_t *ports,
		    size_t n, uint8_t *out, volatile sig_atomic_t *stop);

/* Plain-socket connect probes, gathered then run in batches. */
struct probe;
struct audit_probes {
	struct probe *v;
	size_t n, cap;
};

int audit_probes_add(struct audit_probes *ps, const struct rs_addr *a,
		     uint32_t scope, uint16_t port);
/* Run them and fold each result into g->tcp.  0 or -ENOMEM. */
int audit_probes_run(struct audit_gather *g, struct audit_probes *ps);
void audit_probes_free(struct audit_probes *ps);

/*
 * Probe the TCP listeners of the listings bound to an address the scan did
 * not cover (reset: every address), only_port 0 for all ports.
 */
int audit_gather_probe_listed(struct audit_gather *g, uint16_t only_port,
			      bool reset);

/* The owners of every listener of the listings.  0 or -errno. */
int audit_gather_owners(struct audit_gather *g, const char *proc_root);

/* netstat_read_file's callback: one capture row into ctx (a gather). */
int audit_gather_capture_add(void *ctx, const struct netstat_entry *e);

/* The evidence audit_build takes, pointing into g. */
void audit_gather_evidence(const struct audit_gather *g, bool remote, bool udp,
			   struct audit_evidence *ev);

void audit_gather_free(struct audit_gather *g);

#endif
