/*
 * cli.h - turning a command line into a defined scan.
 *
 * This is CLI code: it prints one line to stderr and exits with status 1 on
 * bad input, which is what every ringscan entry point (the scan itself,
 * --resume, `ringscan merge`) wants before any packet is sent or file is
 * written.  A command line fully defines a scan - targets, ports, seed,
 * shard - which is why checkpoints store the command line and resume and
 * merge rebuild the scan from it through cli_scan_load().
 *
 * Parsing is by hand rather than getopt_long because nmap's spellings do not
 * fit getopt: "-sT", "-oN FILE", "-p-", "-iL FILE" are two-letter options,
 * some with their argument glued on.
 */
#ifndef RINGSCAN_CLI_H
#define RINGSCAN_CLI_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_parse.h"
#include "features.h"
#include "output.h"
#include "ports.h"
#include "scan.h"
#include "services.h"
#include "srcaddr.h"
#include "targets.h"

/*
 * The exit statuses of every entry point (scan, --resume, merge, audit):
 * one set, so that scripts read them the same way whatever they ran.
 * A run stopped by signal N exits 128 + N.
 */
#define EXIT_OK 0
#define EXIT_BAD_INPUT 1
#define EXIT_RUNTIME 2
#define EXIT_FINDINGS 3 /* audit: something hidden or unexpected */

#define CLI_DEFAULT_CONCURRENCY 4096
/* -sS keeps no socket per probe: a deeper in-flight table is cheap. */
#define CLI_DEFAULT_SYN_CONCURRENCY 65536
/*
 * -sS must be paced: its in-flight table would otherwise leave in one
 * burst and overflow queues along the path (measured on the emulated WAN:
 * unpaced, 42587 frames dropped and 3 ports wrong; at 100000/s none and
 * faster).  masscan defaults to 100/s, zmap to 10000/s.
 */
#define CLI_DEFAULT_SYN_RATE 100000
#define CLI_DEFAULT_RETRIES 3
/* nmap's default: with congestion control, attempts whose silence may be
 * a drop do not count against --retries, up to this many in all. */
#define CLI_DEFAULT_MAX_RETRIES 10
/* A host is never paced below one probe a second (nmap -T3's bound). */
#define CLI_DEFAULT_MAX_SCAN_DELAY_NS 1000000000ULL
#define CLI_MAX_TIME_NS (24ULL * 3600 * 1000000000ULL)
#define NS_PER_S 1000000000ULL
#define CLI_MAX_PROBES (1ULL << 40) /* 256 GiB of store address space */
/* The limits of the options every scanning entry point (scan, audit) has. */
#define CLI_MAX_RETRIES 100
#define CLI_MAX_CONCURRENCY 1000000
#define CLI_MAX_RATE 100000000ULL /* probes a second */
/* --banner-timeout at most: a slot is held that long per open port. */
#define CLI_MAX_BANNER_TIMEOUT_NS (60ULL * 1000000000ULL)

struct deferred_target;

struct cli {
	struct scan_config scan;
	struct output_config out;
	const char *ports_spec;
	const char *exclude_ports_spec; /* --exclude-ports */
	const char *servicedb; /* --servicedb FILE */
	const char *datadir; /* --datadir DIR */
	const char *select_opt; /* -F, --top-ports or --port-ratio given */
	uint32_t top_ports; /* --top-ports N (-F: 100), 0 if not given */
	double port_ratio; /* --port-ratio R, 0 if not given */
	const char *checkpoint_path; /* --checkpoint */
	char oa_paths[OUTPUT_ALL_FILES][OUTPUT_PATH_MAX]; /* -oA */
	bool shard_zmap; /* --shard I given (zmap's 0-based spelling) */
	bool shard_slash; /* --shards K/N given (masscan's spelling) */
	bool seed_set; /* --seed given */
	bool rate_set; /* --rate given */
	bool retries_set; /* --retries given */
	bool max_retries_set; /* --max-retries given */
	unsigned timing_set; /* rtt timeouts and scan delays given (cli.c) */
	bool dry_run;
	bool allow_large_scope; /* --allow-large-scope: past the scope guard */
	bool allow_large_store; /* --allow-large-store: past the memory check */
	bool exclude_given; /* --exclude or --excludefile */
	const char *list_path; /* the last -iL FILE, for "no targets in" */
	bool concurrency_set;
	/*
	 * -R: reverse lookups of the hosts up, after the scan, for the
	 * reports; -n (the default) none.  resolve_opt is the one given.
	 */
	bool reverse_dns;
	const char *resolve_opt;
	int verbose; /* -v, -vv: what main.c says on stderr */
	int debug; /* -d, -dd: the configuration dump (main.c) */
	int family; /* -4, -6: AF_INET, AF_INET6; 0 either */
	uint64_t stats_every_ns; /* --stats-every; 0 none */
	/* targets read while parsing, added after it (cli.c); kept here so
	 * that an exit on bad input leaves it reachable, not leaked */
	struct deferred_target *deferred;
	char command_line[1024];
	/* -sS: the SYN engine's settings (scan.syn points here) */
	struct synengine_config syn;
	struct rs_addr src4, src6; /* --source-ip, one address: -sS */
	struct srcaddr *sources; /* every --source-ip (-sT, -sU) */
	const char *source_list; /* a --source-ip list or range given */
	const char *syn_only_opt; /* a -sS-only option given (for errors) */
	bool tcp_given; /* -sT or -sS given */
	bool scan_tcp; /* TCP ports scanned (-sT/-sS, or no -s at all) */
	bool scan_udp; /* -sU */
	const char *banners_opt; /* -sV or --banners, as given */
	const char *version_knob; /* --version-light & co., for errors */
	const char *banner_timeout_opt; /* --banner-timeout given */
};

/* A scan as its command line defines it: parsed, finalized, checked. */
struct cli_scan {
	struct cli cli;
	struct services *svc;
	struct targets *targets;
	struct portlist *ports;
	uint64_t nprobes;
	uint64_t fingerprint; /* checkpoint_fingerprint of the above */
	char ports_how[200]; /* how the ports were chosen, for -v */
	/* select_ports' -p and --exclude-ports lists (by enum rs_proto) and
	 * the UDP list while it works, here so that an exit on bad input
	 * leaves them reachable */
	struct portlist *within[2], *exclude[2], *udp;
};

/* Parse argv (argv[0] is the program) into cs; exits 1 on bad input. */
void cli_scan_load(struct cli_scan *cs, int argc, char **argv);

/*
 * Before a scan runs here (not for a merge, which may run on another
 * machine): every --source-ip the engines bind is an address of this
 * machine, proved by a bind; exits 1 naming the first that is not.
 */
void cli_scan_check_sources(const struct cli_scan *cs);
void cli_scan_free(struct cli_scan *cs);

void cli_usage(FILE *f);

/*
 * --version: the version, then one "name: answer" line per library and
 * kernel feature (features.h); a missing feature says "no (why)".
 */
void cli_version(FILE *f, const struct features *ft);

/* One line for a scan_run() failure (-errno from engine_new, ...). */
const char *cli_engine_error(enum scan_type type, int err);

#endif
