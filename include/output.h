/*
 * output.h - every result format a scan writes.
 *
 * Two kinds of writers behind one handle:
 *   - streaming (CSV -oC, JSON lines -oJ): output_result() writes one row per
 *     final result as it is found, filtered by the --states mask.  Rows
 *     gather in the writer's own buffer and reach the file by write(2) in
 *     batches of whole rows (every OUTPUT_FLUSH_ROWS rows or
 *     OUTPUT_STREAM_BYTES bytes, and at the end), never cut mid-row, so a
 *     scan killed at any point (kill -9, the OOM killer) leaves rows that
 *     all parse;
 *   - reports (nmap-style text -oN, nmap XML -oX, nmap grepable -oG):
 *     written by output_finish() from the state store, sorted by host and
 *     port.  The CLI calls output_finish() with complete=false after a
 *     SIGINT/SIGTERM, so an interrupted scan still gets its reports; a
 *     SIGKILL leaves only the streamed CSV/JSON rows.
 * Paths are opened in output_open() (so an unwritable path fails before any
 * packet is sent, and before any output is truncated); "-" means stdout.  Writers print to their files only; the
 * module never prints diagnostics - errors come back as -errno.
 *
 * Formats:
 *   CSV: header "host,port,proto,state,service,reason,rtt_ms,hostname",
 *        RFC 4180 quoting (fields with comma, quote, CR or LF are quoted,
 *        quotes doubled), CRLF-free (LF line ends, as pandas/duckdb/sqlite
 *        accept).  hostname is the name the host was given by as a target
 *        (empty if none); it came last, after the seven columns of older
 *        versions, so readers that take columns by position still work.
 *        With --banners or -sV three more columns follow hostname:
 *        banner (escape_banner_copy's form), product, version.
 *   JSON lines: one object per line with the same fields; rtt_ms is a number
 *        or null; "hostname" only when the host has a name; strings escaped
 *        per RFC 8259.
 *   Host names in the reports: the name given as a target, else (-R) the
 *        reverse-lookup name - text "scan report for NAME (ADDR)", with
 *        nmap's "Other addresses for NAME (not scanned): ..." when the name
 *        had more addresses and "rDNS record for ADDR: PTR" when both names
 *        exist and differ; XML <hostname> elements of type "user" and
 *        "PTR" as nmap; grepable "Host: ADDR (NAME)" (nmap puts only the
 *        PTR name there; with no reverse lookups by default that would
 *        always be empty).  CSV/JSON rows are written as answers arrive,
 *        before any reverse lookup: they carry the given name only.
 *   Text: nmap's layout: per host that answered, "ringscan scan report for
 *        ADDR", "Host is up.", a "Not shown: N closed tcp ports
 *        (conn-refused)" summary, a PORT STATE SERVICE table (open ports,
 *        and filtered ports unless more than OUTPUT_MAX_LISTED, then they are
 *        summarized too), and a closing "ringscan done: N IP addresses (M
 *        hosts up) scanned in S seconds" line.  --open leaves out hosts with
 *        no open port and lists only open ports.
 *   XML: nmap's -oX layout (xmloutputversion 1.05), valid against nmap's
 *        nmap.dtd and read by ndiff.  The DTD allows only scanner="nmap", so
 *        that is what the root element says; ringscan names itself in the
 *        leading comment, in args (the command line) and in version (its
 *        own).  Hosts and ports follow the text report's rules: only hosts
 *        that answered, closed ports (and filtered ones past
 *        OUTPUT_MAX_LISTED, or all of them with --open) as <extraports>
 *        whose <extrareasons> carry the port list, the rest as <port>.
 *        Hosts have no <times> (no per-host RTT is kept).  runstats counts
 *        hosts up (answered) and down (the rest); an interrupted scan ends
 *        with exit="error" errormsg="interrupted".  Every string from
 *        outside is escaped; bytes XML cannot carry become U+FFFD.
 *   Grepable: nmap's -oG lines: "# ringscan V scan initiated DATE as: CMD",
 *        per host "Host: ADDR ()<TAB>Status: Up" then "Host: ADDR ()<TAB>
 *        Ports: 22/open/tcp//ssh///, ..." with "<TAB>Ignored State: closed
 *        (N)" when exactly one state was summarized, and "# ringscan done at
 *        DATE -- N IP addresses (M hosts up) scanned in S seconds".  In
 *        service names '/' and ',' become '|' and control bytes '?', so
 *        the fields still split.
 *   Banners (--banners, -sV; output_result.banner and the report's
 *        bannerstore): JSON "banner" and every identified field; text
 *        "|_banner:" lines and -sV's VERSION column; XML <service> attributes
 *        with method="probed" when identified and <script id="banner"
 *        output="..."/>; grepable version field (see report.c).
 *   SQLite (--sqlite): the CSV's rows, typed, in a database that every
 *        scan adds to (sqlout.h: schema, batching, --resume).
 * Any number of outputs may be open at once (-oA opens four).
 */
#ifndef RINGSCAN_OUTPUT_H
#define RINGSCAN_OUTPUT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"
#include "bannerstore.h"
#include "error.h"
#include "ports.h"
#include "services.h"
#include "store.h"
#include "targets.h"

#define OUTPUT_FLUSH_ROWS 256
#define OUTPUT_BUF_BYTES 65536 /* each writer's buffer, to start with */
/* A stream writes out its whole rows once they fill this much of it. */
#define OUTPUT_STREAM_BYTES 49152
#define OUTPUT_MAX_LISTED 25 /* filtered ports listed before summarizing */

/* Bits of output_config.states: which final states CSV/JSON carry. */
#define OUTPUT_ST_OPEN (1u << 0)
#define OUTPUT_ST_CLOSED (1u << 1)
#define OUTPUT_ST_FILTERED (1u << 2)

enum output_state {
	OUT_OPEN,
	OUT_CLOSED,
	OUT_FILTERED, /* no response after every attempt */
	OUT_UNREACH, /* filtered, ICMP unreachable (reason says which) */
};

struct output_config {
	const char *normal_path; /* -oN, or NULL */
	bool text_stdout; /* also print the text report on stdout (not if
			     another output is "-") */
	const char *csv_path; /* -oC, or NULL */
	const char *json_path; /* -oJ, or NULL */
	const char *xml_path; /* -oX, or NULL */
	const char *grep_path; /* -oG, or NULL */
	unsigned states; /* OUTPUT_ST_* mask for CSV/JSON */
	bool open_only; /* --open */
	bool reason; /* --reason: the text report's REASON column */
	bool syn; /* a SYN scan: closed ports say "reset", XML type "syn" */
	/*
	 * --defeat-icmp-ratelimit: UDP silence is "closed|filtered", nmap's
	 * word in that mode - no retry waited for a rate-limited port
	 * unreachable, so silence is most likely a closed port whose ICMP
	 * the target withheld (design.md).
	 */
	bool udp_closed_filtered;
	bool banners; /* --banners/-sV: banner columns and lines */
	bool version_col; /* -sV: the text report's VERSION column */
	bool banner_lines; /* --banners given: "|_banner:" under every port
			      with a banner, identified or not */
	const char *version; /* "0.1.0" */
	const char *command_line; /* for the report header */
	const char *checkpoint_path; /* --checkpoint, or NULL: no output may
					name the same file */
	/* --sqlite, and what its scans row records (sqlout.h) */
	const char *sqlite_path; /* or NULL */
	bool has_seed; /* a merge of CSV/JSON rows has none */
	uint64_t seed;
	const char *resume_key; /* a scan with a checkpoint, or NULL */
	bool resume; /* --resume: continue resume_key's scan */
};

struct output_result {
	const struct rs_addr *addr;
	uint16_t port;
	enum rs_proto proto;
	enum output_state state;
	const char *reason; /* "syn-ack", "conn-refused", "no-response",
			       "host-unreach", "net-unreach", ... */
	int64_t rtt_us; /* -1 if unknown */
	const char *hostname; /* the name the host was given by, or NULL */
	const struct banner_rec *banner; /* --banners: open TCP ports */
};

struct output_report {
	const struct targets *targets;
	const struct portlist *ports;
	const struct store *store;
	double elapsed_s;
	bool complete; /* false: unanswered probes are unknown, not filtered
			  (an interrupted scan, or one shard of several) */
	bool interrupted; /* stopped early (the report says so) */
	uint32_t shard_index; /* 0-based; with shard_count > 1 the report */
	uint32_t shard_count; /* says which part of the scan it covers */
	time_t start_time; /* wall clock, for the header */
	const struct bannerstore *banners; /* --banners, or NULL */
};

/*
 * "open", "closed" or "filtered" (unreachable is filtered, with a reason);
 * silence (OUT_FILTERED) is "open|filtered" for UDP, as nmap names it: an
 * open UDP port may ignore the probe.
 */
const char *output_state_name(enum output_state st, enum rs_proto proto);

/*
 * nmap's reason for an answer of state st (OUT_OPEN or OUT_CLOSED): an
 * open port's "syn-ack" ("udp-response" for UDP), a closed one's "reset"
 * in a SYN scan, else "conn-refused" ("port-unreach" for UDP).  The one
 * place the scan, the reports and merges take it from.
 */
const char *output_answer_reason(enum output_state st, enum rs_proto proto,
				 bool syn);

/* name, for state parsing in the CLI: "open,closed,filtered" -> mask. */
int output_parse_states(const char *list, unsigned *mask, struct rs_error *err);

/* -oA BASE names four files: BASE.nmap .xml .gnmap .csv. */
#define OUTPUT_ALL_FILES 4
#define OUTPUT_PATH_MAX PATH_MAX

/*
 * -oA BASE, for every entry point that has it (scan, merge): the four
 * names into paths (the caller's storage, which must outlive cfg) and
 * cfg's normal, XML, grepable and CSV paths.  0, or -EINVAL with
 * err->reason (a base that is empty or a directory, or too long).
 */
int output_set_all(struct output_config *cfg, char (*paths)[OUTPUT_PATH_MAX],
		   const char *base, struct rs_error *err);

struct output;

/*
 * Open every output, then - only if all opened and no two of them, nor an
 * output and cfg->checkpoint_path, name the same file (same device and
 * inode, whatever the spelling; standard output counts once) - truncate
 * them.  On failure nothing was truncated, files this call created are
 * removed, and err->token holds the path at fault: -EINVAL (err->reason
 * says which collision) or open's -errno.
 */
int output_open(struct output **out, const struct output_config *cfg,
		const struct services *svc, struct rs_error *err);

/*
 * The scan starts now: when the text report goes to standard output (not
 * replaced there by another format, nor an -oN - file), write its
 * "Starting ringscan V at DATE" line at once, as nmap does, so that a
 * redirected or piped stdout shows the scan has begun; output_finish then
 * leaves that line out of the stdout copy.  -oN files keep theirs.
 */
int output_start(struct output *o, time_t start_time);

/* Stream one final result to CSV/JSON/SQLite (if its state is selected). */
int output_result(struct output *o, const struct output_result *r);

/* Periodically during a scan: commit the SQLite batch if it is old
 * enough (sqlout_tick); the streams need nothing. */
int output_tick(struct output *o);

/* Write the reports (text, XML, grepable); flush everything. */
int output_finish(struct output *o, const struct output_report *rep);

/* Flush and close every file (stdout is flushed, not closed). */
int output_close(struct output *o);

#endif
