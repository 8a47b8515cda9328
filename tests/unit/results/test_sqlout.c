/*
 * test_sqlout.c - the SQLite writer, checked by reading its files back.
 *
 * Every test writes a real database in a private temporary directory and
 * reads it through a second, independent connection, the way a user's
 * sqlite3 would: typed values, the scans row, the upsert that keeps a
 * resumed scan free of duplicates, the batch commits that make rows
 * visible while the scan goes on, and the refusals - each of which must
 * leave the file it refused byte for byte as it was.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sqlout.h"

static char tmpdir[64];

static char *path_in(const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", tmpdir, name) > 0);
	return p;
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_sqlout.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct sqlout_scan scan1 = {
	.command_line = "ringscan -p 22 127.0.0.1",
	.version = "0.1.0",
	.seed = "18446744073709551615",
};

/* The result of one query, rows joined by '\n', columns by '|' (as the
 * sqlite3 shell prints them); NULL prints as "NULL". */
static char *query(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int rc;

	assert_non_null(f);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *t = sqlite3_column_text(st, i);

			fprintf(f, "%s%s", i ? "|" : "",
				t ? (const char *)t : "NULL");
		}
		fputc('\n', f);
	}
	assert_int_equal(rc, SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
	fclose(f);
	return out;
}

static void assert_query(const char *path, const char *sql, const char *want)
{
	char *got = query(path, sql);

	assert_string_equal(got, want);
	free(got);
}

static void add(struct sqlout *s, const char *host, uint16_t port,
		const char *state, const char *service, int64_t rtt_us)
{
	struct sqlout_row r = {
		.host = host,
		.port = port,
		.proto = "tcp",
		.state = state,
		.service = service,
		.reason = !strcmp(state, "open") ? "syn-ack" : "conn-refused",
		.rtt_us = rtt_us,
	};

	assert_int_equal(sqlout_add(s, &r), 0);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Rows and the scans row, typed as the schema says. */
static void test_rows_typed(void **state)
{
	char *db = path_in("typed.db");
	struct sqlout *s;
	struct rs_error err;

	(void)state;
	memset(&err, 0, sizeof(err));
	assert_int_equal(sqlout_open(&s, db, &scan1, &err), 0);
	assert_int_equal(sqlout_commit(s), 0);
	add(s, "127.0.0.1", 22, "open", "ssh", 42);
	add(s, "::1", 65535, "closed", "evil,\"name\"", 1234567);
	add(s, "127.0.0.2", 80, "filtered", "http", -1);
	assert_int_equal(sqlout_finish(s, false), 0);
	assert_int_equal(sqlout_close(s), 0);

	assert_query(db,
		     "SELECT scan_id, host, port, typeof(port), proto, state, "
		     "service, reason, CASE WHEN rtt_ms NOT NULL THEN "
		     "printf('%.3f', rtt_ms) END, typeof(rtt_ms) "
		     "FROM ports ORDER BY port",
		     "1|127.0.0.1|22|integer|tcp|open|ssh|syn-ack|0.042|real\n"
		     "1|127.0.0.2|80|integer|tcp|filtered|http|conn-refused|"
		     "NULL|null\n"
		     "1|::1|65535|integer|tcp|closed|evil,\"name\"|"
		     "conn-refused|1234.567|real\n");
	assert_query(db,
		     "SELECT id, command_line, version, seed, typeof(seed), "
		     "status, resume_key, end_time >= start_time, "
		     "start_time LIKE '____-__-__ __:__:__' FROM scans",
		     "1|ringscan -p 22 127.0.0.1|0.1.0|18446744073709551615|"
		     "text|done|NULL|1|1\n");
	assert_query(db, "PRAGMA application_id", "1381191217\n");
	assert_query(db, "PRAGMA user_version", "2\n");
	/* The (host, port) index is there for queries across scans. */
	assert_query(db,
		     "SELECT name FROM sqlite_master WHERE type = 'index' "
		     "AND tbl_name = 'ports' AND sql IS NOT NULL",
		     "ports_host_port\n");
	free(db);
}

/* A second scan into the file gets a second scans row; an interrupted one
 * says so; a scan without a seed has NULL. */
static void test_second_scan(void **state)
{
	char *db = path_in("two.db");
	struct sqlout_scan noseed = { .command_line = "ringscan merge x.csv",
				      .version = "0.1.0" };
	struct sqlout *s;

	(void)state;
	assert_int_equal(sqlout_open(&s, db, &scan1, NULL), 0);
	assert_int_equal(sqlout_commit(s), 0);
	add(s, "127.0.0.1", 22, "open", "ssh", 10);
	assert_int_equal(sqlout_finish(s, true), 0);
	assert_int_equal(sqlout_close(s), 0);
	assert_int_equal(sqlout_open(&s, db, &noseed, NULL), 0);
	assert_int_equal(sqlout_scan_id(s), 2);
	assert_int_equal(sqlout_commit(s), 0);
	add(s, "127.0.0.1", 22, "closed", "ssh", 10);
	assert_int_equal(sqlout_finish(s, false), 0);
	assert_int_equal(sqlout_close(s), 0);
	assert_query(db, "SELECT id, seed, status FROM scans ORDER BY id",
		     "1|18446744073709551615|interrupted\n2|NULL|done\n");
	assert_query(db,
		     "SELECT scan_id, state FROM ports WHERE host = "
		     "'127.0.0.1' AND port = 22 ORDER BY scan_id",
		     "1|open\n2|closed\n");
	free(db);
}

/*
 * --resume: the scan with the key continues in its own row; a probe
 * written again is replaced (latest answer wins), never duplicated; a
 * fresh scan with the same key (no --resume) is a new row, and the next
 * resume continues that one.
 */
static void test_resume(void **state)
{
	char *db = path_in("resume.db");
	struct sqlout_scan sc = scan1;
	struct sqlout *s;

	(void)state;
	sc.resume_key = "00000000deadbeef/0";
	assert_int_equal(sqlout_open(&s, db, &sc, NULL), 0);
	assert_int_equal(sqlout_commit(s), 0);
	add(s, "127.0.0.1", 22, "open", "ssh", 10);
	add(s, "127.0.0.1", 23, "open", "telnet", 11);
	/* Killed: no finish; close commits what the batch held. */
	assert_int_equal(sqlout_close(s), 0);
	assert_query(db, "SELECT id, status, end_time FROM scans",
		     "1|running|NULL\n");

	sc.resume = true;
	assert_int_equal(sqlout_open(&s, db, &sc, NULL), 0);
	assert_int_equal(sqlout_scan_id(s), 1);
	assert_int_equal(sqlout_commit(s), 0);
	add(s, "127.0.0.1", 22, "open", "ssh", -1); /* replayed */
	add(s, "127.0.0.1", 23, "closed", "telnet", 5); /* probed again */
	add(s, "127.0.0.1", 24, "open", "lmtp", 7);
	assert_int_equal(sqlout_finish(s, false), 0);
	assert_int_equal(sqlout_close(s), 0);
	assert_query(db,
		     "SELECT scan_id, port, state, rtt_ms FROM ports "
		     "ORDER BY port",
		     "1|22|open|NULL\n1|23|closed|0.005\n1|24|open|0.007\n");
	assert_query(db, "SELECT count(*), max(status) FROM scans", "1|done\n");

	sc.resume = false;
	assert_int_equal(sqlout_open(&s, db, &sc, NULL), 0);
	assert_int_equal(sqlout_scan_id(s), 2);
	assert_int_equal(sqlout_close(s), 0);
	sc.resume = true;
	assert_int_equal(sqlout_open(&s, db, &sc, NULL), 0);
	assert_int_equal(sqlout_scan_id(s), 2);
	assert_int_equal(sqlout_close(s), 0);

	/* A resume whose database lost the row (a new file): a new row. */
	sc.resume_key = "0000000000000001/0";
	assert_int_equal(sqlout_open(&s, db, &sc, NULL), 0);
	assert_int_equal(sqlout_scan_id(s), 3);
	assert_int_equal(sqlout_close(s), 0);
	free(db);
}

/* Rows reach readers batch by batch while the writer goes on. */
static void test_batches_visible(void **state)
{
	char *db = path_in("batch.db");
	char host[32], want[32];
	struct sqlout *s;
	char *got;

	(void)state;
	assert_int_equal(sqlout_open(&s, db, &scan1, NULL), 0);
	assert_int_equal(sqlout_commit(s), 0);
	for (uint32_t i = 0; i < SQLOUT_BATCH_ROWS + 10; i++) {
		snprintf(host, sizeof(host), "10.%u.%u.%u", i >> 16,
			 (i >> 8) & 255, i & 255);
		add(s, host, 80, "open", "http", i);
	}
	/* One batch is committed, the last 10 rows are not yet. */
	snprintf(want, sizeof(want), "%u\n", (unsigned)SQLOUT_BATCH_ROWS);
	assert_query(db, "SELECT count(*) FROM ports", want);
	assert_int_equal(sqlout_finish(s, false), 0);
	snprintf(want, sizeof(want), "%u\n", (unsigned)SQLOUT_BATCH_ROWS + 10);
	got = query(db, "SELECT count(*) FROM ports");
	assert_string_equal(got, want);
	free(got);
	assert_int_equal(sqlout_close(s), 0);
	free(db);
}

/* A batch left open by a quiet scan is committed by the tick once it is
 * SQLOUT_BATCH_NS old, not before. */
static void test_tick(void **state)
{
	char *db = path_in("tick.db");
	struct timespec ts = {
		.tv_sec = (time_t)(SQLOUT_BATCH_NS / 1000000000ULL),
		.tv_nsec = (long)(SQLOUT_BATCH_NS % 1000000000ULL) + 50000000L,
	};
	struct sqlout *s;

	(void)state;
	assert_int_equal(sqlout_open(&s, db, &scan1, NULL), 0);
	assert_int_equal(sqlout_commit(s), 0);
	assert_int_equal(sqlout_tick(s), 0); /* nothing open: nothing */
	add(s, "127.0.0.1", 22, "open", "ssh", 10);
	assert_int_equal(sqlout_tick(s), 0);
	assert_query(db, "SELECT count(*) FROM ports", "0\n");
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	assert_int_equal(sqlout_tick(s), 0);
	assert_query(db, "SELECT count(*) FROM ports", "1\n");
	assert_int_equal(sqlout_close(s), 0);
	free(db);
}

/*
 * Shards starting on one new file at once: each gets its own scans row,
 * none fails.  Forked children race from a common start line (a pipe
 * whose write end the parent closes); several rounds, since one can pass
 * by luck.
 */
static void test_concurrent_setup(void **state)
{
	enum { KIDS = 5, ROUNDS = 10 };
	char *db = path_in("race.db");
	char want[16];

	(void)state;
	for (int round = 0; round < ROUNDS; round++) {
		pid_t pids[KIDS];
		int go[2];

		unlink(db);
		assert_int_equal(pipe(go), 0);
		for (int k = 0; k < KIDS; k++) {
			pids[k] = fork();
			assert_true(pids[k] >= 0);
			if (pids[k] == 0) {
				struct sqlout *s;
				char c;
				int ret;

				close(go[1]);
				(void)!read(go[0], &c, 1);
				ret = sqlout_open(&s, db, &scan1, NULL);
				if (!ret)
					ret = sqlout_commit(s);
				if (!ret) {
					add(s, "127.0.0.1", 22, "open", "ssh",
					    1);
					ret = sqlout_finish(s, false);
					ret = sqlout_close(s) ? -EIO : ret;
				}
				_exit(ret ? 1 : 0);
			}
		}
		close(go[0]);
		close(go[1]);
		for (int k = 0; k < KIDS; k++) {
			int st;

			assert_int_equal(waitpid(pids[k], &st, 0), pids[k]);
			assert_true(WIFEXITED(st));
			assert_int_equal(WEXITSTATUS(st), 0);
		}
		snprintf(want, sizeof(want), "%d|%d\n", KIDS, KIDS);
		assert_query(db,
			     "SELECT (SELECT count(*) FROM scans), "
			     "(SELECT count(*) FROM ports)",
			     want);
	}
	free(db);
}

/* sqlout_discard undoes a new file entirely, and an old one's new row. */
static void test_discard(void **state)
{
	char *fresh = path_in("fresh.db");
	char *old = path_in("old.db");
	struct sqlout *s;

	(void)state;
	assert_int_equal(sqlout_open(&s, fresh, &scan1, NULL), 0);
	sqlout_discard(s);
	assert_int_equal(access(fresh, F_OK), -1);
	assert_int_equal(errno, ENOENT);

	assert_int_equal(sqlout_open(&s, old, &scan1, NULL), 0);
	assert_int_equal(sqlout_commit(s), 0);
	assert_int_equal(sqlout_close(s), 0);
	assert_int_equal(sqlout_open(&s, old, &scan1, NULL), 0);
	assert_int_equal(sqlout_scan_id(s), 2);
	sqlout_discard(s);
	assert_query(old, "SELECT id FROM scans", "1\n");
	sqlout_discard(NULL);
	assert_int_equal(sqlout_close(NULL), 0);
	free(fresh);
	free(old);
}

/* refused NAME CONTENT REASON_PART: the file is refused, and unchanged. */
static void refused(const char *name, const char *sql, const char *text,
		    const char *reason)
{
	char *p = path_in(name);
	struct sqlout *s = NULL;
	struct rs_error err;
	size_t len0, len1;
	char *before, *after;

	if (sql) {
		sqlite3 *db;

		assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL),
				 SQLITE_OK);
		sqlite3_close(db);
	} else {
		FILE *f = fopen(p, "w");

		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
	before = slurp(p, &len0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(sqlout_open(&s, p, &scan1, &err), -EINVAL);
	assert_null(s);
	assert_string_equal(err.token, p);
	assert_non_null(strstr(err.reason, reason));
	after = slurp(p, &len1);
	assert_int_equal(len0, len1);
	assert_memory_equal(before, after, len0);
	free(before);
	free(after);
	free(p);
}

static void test_refusals(void **state)
{
	char *dir = path_in("adir");
	char *nodir = path_in("nodir/x.db");
	struct sqlout *s = NULL;
	struct rs_error err;

	(void)state;
	refused("rows.csv", NULL,
		"host,port,proto,state,service,reason,rtt_ms\n"
		"127.0.0.1,22,tcp,open,ssh,syn-ack,0.1\n",
		"is not a SQLite database");
	refused("other.db", "CREATE TABLE t (a INTEGER);", NULL,
		"another program");
	refused("app.db", "PRAGMA application_id = 42;", NULL,
		"another program");
	refused("newer.db",
		"PRAGMA application_id = 1381191217; PRAGMA user_version = 9;",
		NULL, "another ringscan version");
	refused("edited.db",
		"PRAGMA application_id = 1381191217; PRAGMA user_version = 1;"
		"CREATE TABLE ports (x);",
		NULL, "not its tables");

	memset(&err, 0, sizeof(err));
	assert_int_equal(sqlout_open(&s, "-", &scan1, &err), -EINVAL);
	assert_non_null(strstr(err.reason, "standard output"));
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(sqlout_open(&s, dir, &scan1, &err), -EINVAL);
	assert_non_null(strstr(err.reason, "regular file"));
	assert_int_equal(sqlout_open(&s, nodir, &scan1, &err), -ENOENT);
	assert_null(s);
	free(dir);
	free(nodir);
}

/*
 * --banners: the banner columns hold what the row says (NULL when the row
 * has none), and a schema-1 database - written before they existed - is
 * upgraded in place, its old rows kept with NULLs there.
 */
static void test_banners_and_upgrade(void **state)
{
	char *db = path_in("v1.db");
	struct sqlout *s;
	struct rs_error err;
	sqlite3 *h;
	struct sqlout_row r = {
		.host = "127.0.0.1",
		.port = 2222,
		.proto = "tcp",
		.state = "open",
		.service = "ssh",
		.reason = "syn-ack",
		.rtt_us = 10,
		.banner = "SSH-2.0-OpenSSH_9.2p1\\x0D",
		.product = "OpenSSH",
		.version = "",
	};

	(void)state;
	/* schema 1 exactly as version 1 created it, with one scan's row */
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(
			h,
			"CREATE TABLE scans (id INTEGER PRIMARY KEY, "
			"command_line TEXT NOT NULL, version TEXT NOT NULL, "
			"seed TEXT, start_time TEXT NOT NULL, end_time TEXT, "
			"status TEXT NOT NULL, resume_key TEXT);"
			"CREATE TABLE ports (scan_id INTEGER NOT NULL "
			"REFERENCES scans (id), host TEXT NOT NULL, "
			"port INTEGER NOT NULL, proto TEXT NOT NULL, "
			"state TEXT NOT NULL, service TEXT NOT NULL, "
			"reason TEXT NOT NULL, rtt_ms REAL, hostname TEXT, "
			"PRIMARY KEY (scan_id, host, port, proto));"
			"INSERT INTO scans VALUES (1, 'old', '0.0.9', NULL, "
			"'2026-01-01 00:00:00', NULL, 'done', NULL);"
			"INSERT INTO ports VALUES (1, '127.0.0.1', 22, 'tcp', "
			"'open', 'ssh', 'syn-ack', 0.5, NULL);"
			"PRAGMA application_id = 1381191217;"
			"PRAGMA user_version = 1;",
			NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(h);

	memset(&err, 0, sizeof(err));
	assert_int_equal(sqlout_open(&s, db, &scan1, &err), 0);
	assert_int_equal(sqlout_add(s, &r), 0);
	add(s, "127.0.0.1", 80, "closed", "http", 5);
	assert_int_equal(sqlout_finish(s, false), 0);
	assert_int_equal(sqlout_close(s), 0);
	assert_query(db, "PRAGMA user_version", "2\n");
	assert_query(db,
		     "SELECT scan_id, port, banner, product, version "
		     "FROM ports ORDER BY scan_id, port",
		     "1|22|NULL|NULL|NULL\n"
		     "2|80|NULL|NULL|NULL\n"
		     "2|2222|SSH-2.0-OpenSSH_9.2p1\\x0D|OpenSSH|NULL\n");
	free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_typed),
		cmocka_unit_test(test_second_scan),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_batches_visible),
		cmocka_unit_test(test_tick),
		cmocka_unit_test(test_concurrent_setup),
		cmocka_unit_test(test_discard),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_banners_and_upgrade),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
