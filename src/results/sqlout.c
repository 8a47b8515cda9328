/*
 * sqlout.c - scan results into a SQLite database, through libsqlite3.
 *
 * A database is a file format that must survive kills, concurrent readers
 * and other programs' tools, which is libsqlite3's job and not a hand
 * written writer's.  What this module adds is the discipline around it:
 *
 * Refusing before anything changes.  sqlout_open reads the header fields
 * SQLite keeps for this purpose - application_id names the program that owns
 * the file, user_version the schema - before the first write: a file that is
 * not a database, a database of another program (any tables but not our
 * application_id) or of another schema version is refused with the file
 * untouched.  Only then does it switch to WAL, take the write lock and
 * create the tables and the scan's row - in one transaction that stays
 * open, so that output_open can still undo it all if another output fails
 * (the CSV contract: a bad command line costs nothing).
 *
 * One setup at a time.  Several ringscans may start on one new file at
 * once (shards on one machine): SQLite's own locks do not cover the gap
 * between reading an empty file and creating its tables, nor the switch
 * to WAL, and lost races there came back as "another program's database"
 * or SQLITE_BUSY.  So the setup - from the checks to the commit of the
 * scans row - holds flock on a descriptor of our own, which only other
 * ringscans take (flock and SQLite's POSIX locks do not interact on
 * Linux).  The descriptor stays open until after sqlite3_close: closing
 * any descriptor of a file drops all of the process's POSIX locks on it,
 * SQLite's included.
 *
 * Write-ahead logging, because a long scan is watched: readers (sqlite3 in
 * another terminal) never block the scan's commits, nor it their reads.
 * It also suits -sS, which drops every capability after setup: the WAL
 * file is created at open and kept open, so a commit never has to create a
 * file in a directory root no longer has the right to write.
 * synchronous=NORMAL is WAL's safe setting against a killed process (a
 * power cut may lose the last commits, never corrupt).
 *
 * Large transactions.  Rows are upserted through one prepared statement
 * into a transaction that is committed every SQLOUT_BATCH_ROWS rows or
 * once it is SQLOUT_BATCH_NS old (seen at the next row or the next
 * progress tick), and at the end (output_finish runs on SIGINT/SIGTERM
 * too).  The transaction begins only with a row to write, so between
 * batches another scan may write the same file.  A SIGKILL loses the
 * open transaction, as it loses the CSV's unwritten rows; --resume replays
 * every final probe of the checkpoint and re-sends the rest, and the
 * upsert keyed on (scan_id, host, port, proto) makes that neither lose nor
 * duplicate a row.
 *
 * Schema 2 added the --banners columns (banner, product, version) to
 * ports.  A schema-1 database of ours is upgraded in place, under the
 * setup lock and inside the scan's first transaction (ALTER TABLE ... ADD
 * COLUMN three times, user_version 2): its rows keep NULLs there, and
 * readers that name their columns see no difference.  Older ringscans
 * then refuse the file as another version's, as they would any newer one.
 *
 * Errors: the first failure sticks in s->err and later calls write
 * nothing, like output.c's writers; SQLite result codes become the nearest
 * -errno (a full disk is -ENOSPC).
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "sqlout.h"

struct sqlout {
	sqlite3 *db;
	sqlite3_stmt *put; /* the row upsert */
	char *path;
	int64_t scan_id;
	bool created; /* the file did not exist before sqlout_open */
	bool committed; /* something of ours is on disk */
	bool in_txn;
	bool upgrade; /* a schema-1 database: add the banner columns */
	int lock_fd; /* ours, for the setup lock; open until SQLite closes */
	bool setup_locked;
	uint32_t rows; /* in the open transaction */
	uint64_t txn_start_ns;
	int err;
};

#define REASON_LOCKED "is locked by another program; try again when it is done"

static const char schema_sql[] =
	"CREATE TABLE scans ("
	"id INTEGER PRIMARY KEY, "
	"command_line TEXT NOT NULL, "
	"version TEXT NOT NULL, "
	"seed TEXT, "
	"start_time TEXT NOT NULL, "
	"end_time TEXT, "
	"status TEXT NOT NULL, "
	"resume_key TEXT);"
	"CREATE TABLE ports ("
	"scan_id INTEGER NOT NULL REFERENCES scans (id), "
	"host TEXT NOT NULL, "
	"port INTEGER NOT NULL, "
	"proto TEXT NOT NULL, "
	"state TEXT NOT NULL, "
	"service TEXT NOT NULL, "
	"reason TEXT NOT NULL, "
	"rtt_ms REAL, "
	"hostname TEXT, "
	"banner TEXT, "
	"product TEXT, "
	"version TEXT, "
	"PRIMARY KEY (scan_id, host, port, proto));"
	"CREATE INDEX ports_host_port ON ports (host, port);";

static const char put_sql[] =
	"INSERT INTO ports (scan_id, host, port, proto, state, service, "
	"reason, rtt_ms, hostname, banner, product, version) VALUES "
	"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
	"ON CONFLICT (scan_id, host, port, proto) DO UPDATE SET "
	"state = excluded.state, service = excluded.service, "
	"reason = excluded.reason, rtt_ms = excluded.rtt_ms, "
	"hostname = excluded.hostname, banner = excluded.banner, "
	"product = excluded.product, version = excluded.version";

/* What schema 1 had, to recognize our tables before the upgrade. */
static const char v1_ports_sql[] =
	"SELECT scan_id, host, port, proto, state, service, reason, rtt_ms, "
	"hostname FROM ports";

static const char upgrade_sql[] = "ALTER TABLE ports ADD COLUMN banner TEXT;"
				  "ALTER TABLE ports ADD COLUMN product TEXT;"
				  "ALTER TABLE ports ADD COLUMN version TEXT;";

/* The nearest errno for a SQLite result code (extended codes included). */
static int sql_errno(sqlite3 *db, int rc)
{
	int sys = db ? sqlite3_system_errno(db) : 0;

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		return sys > 0 ? -sys : -EIO;
	default:
		return -EIO;
	}
}

static int sql_exec(struct sqlout *s, const char *sql)
{
	return sql_errno(s->db, sqlite3_exec(s->db, sql, NULL, NULL, NULL));
}

/* One integer from a one-row statement (a PRAGMA or a count). */
static int query_int(sqlite3 *db, const char *sql, int64_t *v, int *rc_out)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*v = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
		sqlite3_finalize(st);
	}
	*rc_out = rc;
	return rc == SQLITE_OK ? 0 : sql_errno(db, rc);
}

static int fail(struct rs_error *err, const char *path, const char *reason)
{
	return rs_error_set(err, path, strlen(path), reason);
}

/* Our application_id, but do the columns we write exist?  (Preparing
 * reads only the schema.) */
static bool has_our_tables(struct sqlout *s)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(
		s->db,
		"SELECT id, command_line, version, seed, start_time, "
		"end_time, status, resume_key FROM scans",
		-1, &st, NULL);

	sqlite3_finalize(st);
	sqlite3_finalize(s->put);
	s->put = NULL;
	if (rc != SQLITE_OK)
		return false;
	if (s->upgrade) {
		/* put_sql names columns schema 1 lacks: prepared later */
		rc = sqlite3_prepare_v2(s->db, v1_ports_sql, -1, &st, NULL);
		sqlite3_finalize(st);
		return rc == SQLITE_OK;
	}
	return sqlite3_prepare_v2(s->db, put_sql, -1, &s->put, NULL) ==
	       SQLITE_OK;
}

/*
 * Is the file empty (*fresh), ringscan's, or refused?  Reads only: the
 * first read of a file that is not a database fails here.
 */
static int check_owner(struct sqlout *s, bool *fresh, struct rs_error *err)
{
	int64_t app = 0, ver = 0, objects = 0;
	int rc, ret;

	ret = query_int(s->db, "PRAGMA application_id", &app, &rc);
	if (!ret)
		ret = query_int(s->db, "PRAGMA user_version", &ver, &rc);
	if (!ret)
		ret = query_int(s->db, "SELECT count(*) FROM sqlite_master",
				&objects, &rc);
	if ((rc & 0xff) == SQLITE_NOTADB)
		return fail(
			err, s->path,
			"is not a SQLite database; name a new file, or a database ringscan wrote");
	if ((rc & 0xff) == SQLITE_CORRUPT)
		return fail(err, s->path,
			    "is a damaged SQLite database; name a new file");
	if (ret == -EBUSY)
		return fail(err, s->path, REASON_LOCKED);
	if (ret)
		return ret;
	s->upgrade = app == SQLOUT_APP_ID && ver == SQLOUT_SCHEMA_UPGRADABLE;
	if (app == SQLOUT_APP_ID && ver != SQLOUT_SCHEMA && !s->upgrade)
		return fail(
			err, s->path,
			"was written by another ringscan version (its schema version differs); name a new file");
	if (app != SQLOUT_APP_ID && (objects || app))
		return fail(
			err, s->path,
			"is a SQLite database of another program (not ringscan's tables); name a new file");
	*fresh = app != SQLOUT_APP_ID;
	if (!*fresh && !has_our_tables(s))
		return fail(
			err, s->path,
			"has ringscan's mark but not its tables (changed by another program); name a new file");
	return 0;
}

static int create_schema(struct sqlout *s)
{
	char pragmas[96];
	int ret = sql_exec(s, schema_sql);

	if (ret)
		return ret;
	snprintf(pragmas, sizeof(pragmas),
		 "PRAGMA application_id = %d; PRAGMA user_version = %d;",
		 (int)SQLOUT_APP_ID, SQLOUT_SCHEMA);
	return sql_exec(s, pragmas);
}

/* The resumed scan's row, or 0 if the database has none with the key. */
static int find_resumed(struct sqlout *s, const char *key, int64_t *id)
{
	sqlite3_stmt *st;
	int rc;

	*id = 0;
	rc = sqlite3_prepare_v2(s->db,
				"SELECT id FROM scans WHERE resume_key = ?1 "
				"ORDER BY id DESC LIMIT 1",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return sql_errno(s->db, rc);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sql_errno(s->db, rc);
}

static int set_running(struct sqlout *s)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(s->db,
				"UPDATE scans SET status = 'running', "
				"end_time = NULL WHERE id = ?1",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return sql_errno(s->db, rc);
	sqlite3_bind_int64(st, 1, s->scan_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_errno(s->db, rc);
}

static int insert_scan(struct sqlout *s, const struct sqlout_scan *scan)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(
		s->db,
		"INSERT INTO scans (command_line, version, seed, start_time, "
		"status, resume_key) VALUES "
		"(?1, ?2, ?3, datetime('now'), 'running', ?4)",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return sql_errno(s->db, rc);
	sqlite3_bind_text(st, 1, scan->command_line ? scan->command_line : "",
			  -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, scan->version ? scan->version : "", -1,
			  SQLITE_STATIC);
	if (scan->seed)
		sqlite3_bind_text(st, 3, scan->seed, -1, SQLITE_STATIC);
	if (scan->resume_key)
		sqlite3_bind_text(st, 4, scan->resume_key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_errno(s->db, rc);
	s->scan_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

/* The writes of sqlout_open, inside its transaction. */
static int start_scan(struct sqlout *s, const struct sqlout_scan *scan,
		      bool fresh, struct rs_error *err)
{
	int ret = sql_exec(s, "BEGIN IMMEDIATE");

	if (ret == -EBUSY)
		return fail(err, s->path, REASON_LOCKED);
	if (ret)
		return ret;
	s->in_txn = true;
	s->txn_start_ns = clock_now_ns();
	/* Two scans starting on one new file both saw it empty: the one
	 * that got the lock second must find the first one's tables. */
	if (fresh)
		ret = check_owner(s, &fresh, err);
	if (ret)
		return ret;
	if (fresh) {
		ret = create_schema(s);
		if (ret)
			return ret;
	} else if (s->upgrade) {
		char pragma[48];

		ret = sql_exec(s, upgrade_sql);
		if (ret)
			return ret;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d;",
			 SQLOUT_SCHEMA);
		ret = sql_exec(s, pragma);
		if (ret)
			return ret;
		s->upgrade = false;
	}
	if (!s->put &&
	    sqlite3_prepare_v2(s->db, put_sql, -1, &s->put, NULL) != SQLITE_OK)
		return sql_errno(s->db, sqlite3_errcode(s->db));
	if (scan->resume && scan->resume_key) {
		ret = find_resumed(s, scan->resume_key, &s->scan_id);
		if (ret)
			return ret;
		if (s->scan_id)
			return set_running(s);
	}
	return insert_scan(s, scan);
}

/* flock, waiting up to SQLOUT_BUSY_MS for another ringscan's setup. */
static int lock_wait(int fd)
{
	const struct timespec poll = { .tv_nsec =
					       SQLOUT_LOCK_POLL_MS * 1000000L };

	for (unsigned ms = 0;; ms += SQLOUT_LOCK_POLL_MS) {
		if (!flock(fd, LOCK_EX | LOCK_NB))
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (ms >= SQLOUT_BUSY_MS)
			return -EBUSY;
		nanosleep(&poll, NULL);
	}
}

/*
 * Open the file ourselves and hold its setup lock (see the top of the
 * file).  A setup that failed removes the file it made, and a ringscan
 * that was waiting for the lock then holds a removed file: it checks that
 * the path is still the file it locked, and starts again if not.
 */
static int lock_setup(struct sqlout *s, struct rs_error *err)
{
	for (int tries = 0; tries < SQLOUT_SETUP_TRIES; tries++) {
		struct stat held, now;
		int fd, ret;

		fd = open(s->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		s->created = fd >= 0;
		if (fd < 0 && errno == EEXIST) {
			fd = open(s->path, O_RDWR | O_CLOEXEC);
			if (fd < 0 && errno == ENOENT)
				continue; /* removed between the two opens */
		}
		if (fd < 0)
			return -errno;
		ret = lock_wait(fd);
		if (ret) {
			close(fd);
			return ret == -EBUSY ?
				       fail(err, s->path, REASON_LOCKED) :
				       ret;
		}
		if (!fstat(fd, &held) && !stat(s->path, &now) &&
		    held.st_dev == now.st_dev && held.st_ino == now.st_ino) {
			s->lock_fd = fd;
			s->setup_locked = true;
			return 0;
		}
		close(fd);
	}
	return fail(err, s->path, REASON_LOCKED);
}

/* The lock and its descriptor, once SQLite has let go of the file. */
static void release_file(struct sqlout *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	s->lock_fd = -1;
	s->setup_locked = false;
}

int sqlout_open(struct sqlout **out, const char *path,
		const struct sqlout_scan *scan, struct rs_error *err)
{
	struct sqlout *s;
	char pragmas[128];
	struct stat st;
	bool fresh = false;
	int rc, ret;

	if (!strcmp(path, "-"))
		return fail(
			err, path,
			"a SQLite database cannot go to standard output; name a file");
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return fail(
			err, path,
			"is not a regular file, which a SQLite database must be");
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->lock_fd = -1;
	s->path = strdup(path);
	if (!s->path) {
		ret = -ENOMEM;
		goto out_free;
	}
	ret = lock_setup(s, err);
	if (ret)
		goto out_free;
	rc = sqlite3_open_v2(path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		ret = s->db ? sql_errno(s->db, rc) : -ENOMEM;
		if (!ret)
			ret = -EIO;
		goto out_close;
	}
	/* Opened read-only (a write-protected file) is no output. */
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		ret = -EACCES;
		goto out_close;
	}
	sqlite3_busy_timeout(s->db, SQLOUT_BUSY_MS);
	/* One read transaction for the three header reads. */
	ret = sql_exec(s, "BEGIN");
	if (!ret) {
		ret = check_owner(s, &fresh, err);
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (ret)
		goto out_close;
	/* WAL and its setting are not rolled back: only ever on a file that
	 * passed the checks above. */
	snprintf(pragmas, sizeof(pragmas),
		 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
		 "PRAGMA cache_size = -%d;",
		 SQLOUT_CACHE_KIB);
	ret = sql_exec(s, pragmas);
	if (ret == -EBUSY)
		ret = fail(err, path, REASON_LOCKED);
	if (!ret)
		ret = start_scan(s, scan, fresh, err);
	if (ret)
		goto out_rollback;
	*out = s;
	return 0;

out_rollback:
	sqlout_discard(s);
	return ret;
out_close:
	sqlite3_finalize(s->put);
	sqlite3_close(s->db);
	if (s->created)
		unlink(path);
	release_file(s);
out_free:
	free(s->path);
	free(s);
	return ret;
}

int sqlout_commit(struct sqlout *s)
{
	int ret;

	if (s->err || !s->in_txn)
		return s->err;
	ret = sql_exec(s, "COMMIT");
	if (ret) {
		s->err = ret;
		return ret;
	}
	s->in_txn = false;
	s->committed = true;
	s->rows = 0;
	if (s->setup_locked) {
		flock(s->lock_fd, LOCK_UN);
		s->setup_locked = false;
	}
	return 0;
}

int sqlout_add(struct sqlout *s, const struct sqlout_row *row)
{
	sqlite3_stmt *st = s->put;
	int rc;

	if (s->err)
		return s->err;
	if (!s->in_txn) {
		/* Only when there is a row to write: between batches the
		 * lock is free for another writer. */
		s->err = sql_exec(s, "BEGIN IMMEDIATE");
		if (s->err)
			return s->err;
		s->in_txn = true;
		s->txn_start_ns = clock_now_ns();
	}
	sqlite3_bind_int64(st, 1, s->scan_id);
	sqlite3_bind_text(st, 2, row->host, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, row->port);
	sqlite3_bind_text(st, 4, row->proto, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, row->state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, row->service, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, row->reason, -1, SQLITE_STATIC);
	if (row->rtt_us >= 0)
		sqlite3_bind_double(st, 8, (double)row->rtt_us / 1000.0);
	else
		sqlite3_bind_null(st, 8);
	if (row->hostname && row->hostname[0])
		sqlite3_bind_text(st, 9, row->hostname, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 9);
	/* unbound parameters are NULL (sqlite3_clear_bindings below) */
	if (row->banner)
		sqlite3_bind_text(st, 10, row->banner, -1, SQLITE_STATIC);
	if (row->product && row->product[0])
		sqlite3_bind_text(st, 11, row->product, -1, SQLITE_STATIC);
	if (row->version && row->version[0])
		sqlite3_bind_text(st, 12, row->version, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	/* The bound strings are the caller's: no pointer outlives the call. */
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		s->err = sql_errno(s->db, rc);
		return s->err;
	}
	if (++s->rows >= SQLOUT_BATCH_ROWS ||
	    clock_now_ns() - s->txn_start_ns >= SQLOUT_BATCH_NS)
		return sqlout_commit(s);
	return 0;
}

int sqlout_tick(struct sqlout *s)
{
	if (s->in_txn && clock_now_ns() - s->txn_start_ns >= SQLOUT_BATCH_NS)
		return sqlout_commit(s);
	return s->err;
}

int sqlout_finish(struct sqlout *s, bool interrupted)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = sqlout_commit(s);
	if (ret)
		return ret;
	rc = sqlite3_prepare_v2(s->db,
				"UPDATE scans SET end_time = datetime('now'), "
				"status = ?2 WHERE id = ?1",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, s->scan_id);
		sqlite3_bind_text(st, 2, interrupted ? "interrupted" : "done",
				  -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_OK) {
		s->err = sql_errno(s->db, rc);
		return s->err;
	}
	s->committed = true;
	return 0;
}

void sqlout_discard(struct sqlout *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->put);
	if (s->in_txn)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(s->db);
	if (s->created && !s->committed)
		unlink(s->path);
	release_file(s);
	free(s->path);
	free(s);
}

int sqlout_close(struct sqlout *s)
{
	int ret, rc;

	if (!s)
		return 0;
	ret = sqlout_commit(s);
	sqlite3_finalize(s->put);
	s->put = NULL;
	if (s->in_txn)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	rc = sqlite3_close(s->db);
	if (rc != SQLITE_OK && !ret)
		ret = -EIO;
	release_file(s);
	free(s->path);
	free(s);
	return ret;
}

int64_t sqlout_scan_id(const struct sqlout *s)
{
	return s->scan_id;
}
