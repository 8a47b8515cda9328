/*
 * sqlout.h - scan results into a SQLite database (--sqlite FILE).
 *
 * Owns one database connection for the life of one output (output.c is the
 * only caller: output_open/output_result/output_finish/output_close, so a
 * scan, the rows a --resume replays and `ringscan merge` all reach it the
 * same way they reach the CSV).  sqlout_add is on the hot path of a scan:
 * one prepared statement step inside an open transaction, committed every
 * SQLOUT_BATCH_ROWS rows or SQLOUT_BATCH_NS (checked per row and on the
 * progress tick, sqlout_tick), and at the end.
 *
 * Schema (application_id SQLOUT_APP_ID, user_version SQLOUT_SCHEMA):
 *   scans(id INTEGER PRIMARY KEY, command_line TEXT, version TEXT,
 *         seed TEXT, start_time TEXT, end_time TEXT, status TEXT,
 *         resume_key TEXT)
 *     one row per scan (or merge); times are UTC "YYYY-MM-DD HH:MM:SS"
 *     (SQLite's own datetime format); seed is the decimal --seed (TEXT: a
 *     64-bit unsigned seed does not fit SQLite's signed INTEGER), NULL for
 *     a merge of CSV/JSON rows; status is "running" until the end, then
 *     "done" or "interrupted" (a killed scan stays "running", end_time
 *     NULL); resume_key names a scan that has a checkpoint (see below).
 *   ports(scan_id INTEGER, host TEXT, port INTEGER, proto TEXT, state TEXT,
 *         service TEXT, reason TEXT, rtt_ms REAL, hostname TEXT,
 *         banner TEXT, product TEXT, version TEXT,
 *         PRIMARY KEY (scan_id, host, port, proto))
 *     exactly the CSV's rows and values, typed: rtt_ms and hostname NULL
 *     where the CSV's field is empty; banner NULL without --banners (or
 *     for a port that was not read), "" for one that said nothing;
 *     product and version NULL unless identified.  Indexed on (host, port)
 *     as well.  Schema 1 (no banner columns) is upgraded on open.
 *
 * A --resume continues its scan's row: the latest scans row with the same
 * resume_key (the checkpoint's identity: fingerprint of targets, ports,
 * seed and shard count, plus the shard) gets status "running" again and
 * the resumed run's rows.  A row for a probe already in the table is
 * replaced (the latest answer wins: the replayed rows and the probes
 * re-sent after the last checkpoint), never duplicated, so the scan's rows
 * end up exactly the resumed run's CSV rows.
 */
#ifndef RINGSCAN_SQLOUT_H
#define RINGSCAN_SQLOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

#define SQLOUT_APP_ID 0x52534e31 /* "RSN1" in the file header */
#define SQLOUT_SCHEMA 2
/* A schema this version upgrades in place (sqlout.c): 1 lacked the banner
 * columns. */
#define SQLOUT_SCHEMA_UPGRADABLE 1
/*
 * A commit is an fsync of the write-ahead log: large transactions make the
 * per-row cost a B-tree insert, while the time bound keeps a slow scan's
 * rows reaching readers (and surviving a SIGKILL) within a second.
 */
#define SQLOUT_BATCH_ROWS 50000
#define SQLOUT_BATCH_NS 1000000000ULL
/* Another writer (a second scan into the same file) commits in well under
 * this; a reader never blocks us (WAL). */
#define SQLOUT_BUSY_MS 10000
#define SQLOUT_CACHE_KIB 32768 /* page cache: index inserts land anywhere */
/* Setting a file up is serialized by flock (sqlout.c): polled this often,
 * for up to SQLOUT_BUSY_MS; and started again at most this many times when
 * a failed setup removed the file being waited for. */
#define SQLOUT_LOCK_POLL_MS 10
#define SQLOUT_SETUP_TRIES 8

/* What the scans row records. */
struct sqlout_scan {
	const char *command_line;
	const char *version;
	const char *seed; /* decimal, or NULL if the scan has none */
	const char *resume_key; /* or NULL: not resumable */
	bool resume; /* continue the latest scan with resume_key */
};

/* One result row, as the CSV has it (strings NUL-terminated). */
struct sqlout_row {
	const char *host;
	uint16_t port;
	const char *proto;
	const char *state;
	const char *service;
	const char *reason;
	int64_t rtt_us; /* -1: unknown (NULL) */
	const char *hostname; /* the name given as a target; NULL or "": NULL */
	/* --banners: the banner as escape_banner_copy shows it, and what
	 * was identified; NULL (or "" for product/version): NULL */
	const char *banner;
	const char *product;
	const char *version;
};

struct sqlout;

/*
 * Open (or create) the database at path, check that it is empty or
 * ringscan's, and start the scan's row in a transaction that stays open:
 * nothing is on disk until sqlout_commit, and sqlout_discard undoes it all
 * (removing the file if this call created it).  -EINVAL with err->reason
 * (token: the path) for a path that is "-" or not a regular file, a file
 * that is not a SQLite database, a database of another program or schema
 * version; -EBUSY if another program holds it locked; else the -errno of
 * the failed open or write.
 */
int sqlout_open(struct sqlout **out, const char *path,
		const struct sqlout_scan *scan, struct rs_error *err);

/* Commit what sqlout_open (or sqlout_add) left in the transaction. */
int sqlout_commit(struct sqlout *s);

/* Insert or replace one row; commits every batch.  The first error sticks
 * (later calls return it and write nothing). */
int sqlout_add(struct sqlout *s, const struct sqlout_row *row);

/*
 * Commit the open batch if it is SQLOUT_BATCH_NS old, rows or not: called
 * on the scan's progress tick, so that a scan waiting out its timeouts
 * neither holds back its last rows nor keeps the write lock from another
 * scan writing the same file.
 */
int sqlout_tick(struct sqlout *s);

/* Commit, then mark the scan ended: status "done" or "interrupted". */
int sqlout_finish(struct sqlout *s, bool interrupted);

/* Roll back everything since the last commit and close; remove the file if
 * sqlout_open created it and nothing was committed.  s may be NULL. */
void sqlout_discard(struct sqlout *s);

/* Commit what is pending and close.  s may be NULL. */
int sqlout_close(struct sqlout *s);

/* The scans row's id (for tests). */
int64_t sqlout_scan_id(const struct sqlout *s);

#endif
