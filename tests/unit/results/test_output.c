/*
 * test_output.c - the writers, checked against exact expected bytes.
 *
 * Every test writes real files into a private temporary directory and reads
 * them back, so what is checked is what a user (or pandas, or jq) would see.
 * Reports are built from the real modules - a finalized target set, a parsed
 * port list, a store with known cells, a services file written by the test -
 * and compared whole against golden text; the header's date is pinned with
 * TZ=UTC and a fixed start_time.  Hostile service names (commas, quotes,
 * control bytes, invalid UTF-8) come from a services file the test writes,
 * the way they would reach a real scan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "output.h"

/* 2024-01-02 03:04:00 UTC */
#define START_TIME ((time_t)1704164640)
#define HEADER "Starting ringscan 0.1.0 at 2024-01-02 03:04 UTC\n"

static char tmpdir[64];

static const char services_text[] = "# test services\n"
				    "ftp\t\t21/tcp\n"
				    "ssh\t\t22/tcp\n"
				    "smtp\t\t25/tcp\tmail\n"
				    "http\t\t80/tcp\twww\n"
				    "https\t\t443/tcp\n"
				    "http-alt\t8080/tcp\n"
				    "evil,name\t1000/tcp\n"
				    "say\"hi\"\t1001/tcp\n"
				    "back\\slash\t1002/tcp\n"
				    "ctl\x01\x1f\x7fx\t1003/tcp\n"
				    "caf\xc3\xa9\t1004/tcp\n"
				    "bad\xff\xc3(\t1005/tcp\n"
				    "sl/a,sh\t1006/tcp\n"
				    "a<b>&c'\t1007/tcp\n"
				    "non\xef\xbf\xbf"
				    "char\t1008/tcp\n"
				    "d--x-\t1009/tcp\n";

static char *path_in(const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", tmpdir, name) > 0);
	return p;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
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
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static size_t count_substr(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_output.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static int teardown_dir(void **state)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	(void)state;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char *p;

		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&p, "%s/%s", tmpdir, e->d_name) < 0)
			return -1;
		unlink(p);
		free(p);
	}
	closedir(d);
	return rmdir(tmpdir);
}

/* ---- a scan to report on ---- */

struct scan {
	struct targets *t;
	struct portlist *pl;
	struct store *st;
	struct services *svc;
};

static struct services *load_test_services(void)
{
	struct services *svc;
	char *p = path_in("services");

	write_text(p, services_text);
	assert_int_equal(services_load(&svc, p), 0);
	free(p);
	return svc;
}

/* targets: space-separated target tokens. */
static void scan_init(struct scan *s, const char *targets, const char *ports)
{
	struct rs_error err = { 0 };
	char *list = strdup(targets), *save = NULL, *tok;

	assert_non_null(list);
	assert_int_equal(targets_new(&s->t), 0);
	for (tok = strtok_r(list, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		assert_int_equal(targets_add(s->t, tok, &err), 0);
	free(list);
	assert_int_equal(targets_finalize(s->t), 0);
	s->svc = load_test_services();
	s->pl = calloc(1, sizeof(*s->pl));
	assert_non_null(s->pl);
	assert_int_equal(ports_parse(ports, s->svc, s->pl, &err), 0);
	assert_int_equal(store_new(&s->st, targets_count(s->t) * s->pl->count),
			 0);
}

static void scan_free(struct scan *s)
{
	store_free(s->st);
	free(s->pl);
	services_free(s->svc);
	targets_free(s->t);
}

/* host given by its address, so the test says which host it means. */
static void scan_set(struct scan *s, const char *host, uint16_t port,
		     enum store_state st)
{
	struct rs_addr a;
	uint64_t h;
	uint32_t pi;

	assert_int_equal(addr_parse(host, &a), 0);
	assert_int_equal(targets_index(s->t, &a, &h), 0);
	assert_int_equal(ports_index(s->pl, port, &pi), 0);
	assert_int_equal(store_set(s->st, h * s->pl->count + pi, st), 1);
}

/* Set every port of host in [lo, hi] to st. */
static void scan_set_range(struct scan *s, const char *host, uint16_t lo,
			   uint16_t hi, enum store_state st)
{
	for (unsigned p = lo; p <= hi; p++)
		scan_set(s, host, (uint16_t)p, st);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

enum fmt { FMT_TEXT, FMT_XML, FMT_GREP };

/* The report in one format, with the given command line (may be NULL). */
static char *render_fmt(const struct scan *s, enum fmt fmt, bool open_only,
			bool complete, double elapsed, const char *command)
{
	struct output_config cfg = {
		.states = OUTPUT_ST_OPEN | OUTPUT_ST_CLOSED |
			  OUTPUT_ST_FILTERED,
		.open_only = open_only,
		.version = "0.1.0",
		.command_line = command,
	};
	struct output_report rep = {
		.targets = s->t,
		.ports = s->pl,
		.store = s->st,
		.elapsed_s = elapsed,
		.complete = complete,
		.interrupted = !complete,
		.start_time = START_TIME,
	};
	struct rs_error err = { 0 };
	struct output *o;
	char *p = path_in("report.txt");
	int fds = count_fds();
	char *text;

	if (fmt == FMT_XML)
		cfg.xml_path = p;
	else if (fmt == FMT_GREP)
		cfg.grep_path = p;
	else
		cfg.normal_path = p;
	assert_int_equal(output_open(&o, &cfg, s->svc, &err), 0);
	assert_int_equal(output_finish(o, &rep), 0);
	assert_int_equal(output_close(o), 0);
	assert_int_equal(count_fds(), fds);
	text = slurp(p);
	unlink(p);
	free(p);
	return text;
}

static char *render(const struct scan *s, bool open_only, bool complete,
		    double elapsed)
{
	return render_fmt(s, FMT_TEXT, open_only, complete, elapsed, NULL);
}

/* ---- output_parse_states ---- */

static void test_parse_states_ok(void **state)
{
	struct rs_error err = { 0 };
	unsigned m = 0;

	(void)state;
	assert_int_equal(output_parse_states("open", &m, &err), 0);
	assert_int_equal(m, OUTPUT_ST_OPEN);
	assert_int_equal(output_parse_states("closed,filtered", &m, &err), 0);
	assert_int_equal(m, OUTPUT_ST_CLOSED | OUTPUT_ST_FILTERED);
	assert_int_equal(output_parse_states("Open,CLOSED,fIlTeReD", &m, &err),
			 0);
	assert_int_equal(m, OUTPUT_ST_OPEN | OUTPUT_ST_CLOSED |
				    OUTPUT_ST_FILTERED);
	assert_int_equal(output_parse_states("open,open", &m, &err), 0);
	assert_int_equal(m, OUTPUT_ST_OPEN);
}

static void test_parse_states_errors(void **state)
{
	static const char *const empties[] = { "", ",", "open,", ",open",
					       "open,,closed" };
	struct rs_error err;
	unsigned m = 12345;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(output_parse_states(empties[i], &m, &err),
				 -EINVAL);
		assert_non_null(err.reason);
		assert_int_equal(m, 12345);
	}

	memset(&err, 0, sizeof(err));
	assert_int_equal(output_parse_states("open,bogus,closed", &m, &err),
			 -EINVAL);
	assert_string_equal(err.token, "bogus");
	assert_non_null(err.reason);

	/* A prefix or an extension of a word is not the word. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(output_parse_states("ope", &m, &err), -EINVAL);
	assert_string_equal(err.token, "ope");
	memset(&err, 0, sizeof(err));
	assert_int_equal(output_parse_states("filtered2", &m, &err), -EINVAL);
	assert_string_equal(err.token, "filtered2");
	memset(&err, 0, sizeof(err));
	assert_int_equal(output_parse_states("open ", &m, &err), -EINVAL);
	assert_string_equal(err.token, "open ");
	assert_int_equal(m, 12345);
}

/* ---- output_open ---- */

static void test_open_unwritable(void **state)
{
	struct output_config cfg = { .version = "0.1.0" };
	struct rs_error err = { 0 };
	struct output *o = NULL;

	(void)state;
	cfg.csv_path = "/nonexistent/dir/x.csv";
	assert_int_equal(output_open(&o, &cfg, NULL, &err), -ENOENT);
	assert_string_equal(err.token, "/nonexistent/dir/x.csv");
	assert_non_null(err.reason);
	assert_null(o);
}

/*
 * A later path failing closes the earlier ones (no descriptor is left open)
 * and names the path that failed, not the first one; the files the failed
 * call created are removed again.
 */
static void test_open_failure_unwinds(void **state)
{
	struct output_config cfg = { .version = "0.1.0" };
	struct rs_error err = { 0 };
	struct output *o = NULL;
	char *normal = path_in("unwind.txt");
	char *csv = path_in("unwind.csv");
	int fds = count_fds();

	(void)state;
	cfg.normal_path = normal;
	cfg.csv_path = csv;
	cfg.json_path = "/nonexistent/dir/x.json";
	assert_int_equal(output_open(&o, &cfg, NULL, &err), -ENOENT);
	assert_string_equal(err.token, "/nonexistent/dir/x.json");
	assert_null(o);
	/* Created before the failure, and removed after it. */
	assert_int_equal(access(normal, F_OK), -1);
	assert_int_equal(access(csv, F_OK), -1);
	assert_int_equal(count_fds(), fds);

	memset(&err, 0, sizeof(err));
	cfg.normal_path = normal;
	cfg.csv_path = "/nonexistent/dir/x.csv";
	cfg.json_path = NULL;
	assert_int_equal(output_open(&o, &cfg, NULL, &err), -ENOENT);
	assert_string_equal(err.token, "/nonexistent/dir/x.csv");

	memset(&err, 0, sizeof(err));
	cfg.normal_path = tmpdir; /* a directory */
	cfg.csv_path = NULL;
	assert_int_equal(output_open(&o, &cfg, NULL, &err), -EISDIR);
	assert_string_equal(err.token, tmpdir);
	assert_int_equal(count_fds(), fds);
	free(normal);
	free(csv);
}

static void assert_file_is(const char *path, const char *text)
{
	char *t = slurp(path);

	assert_string_equal(t, text);
	free(t);
}

/*
 * -oC ok.csv -oJ /nonexistent/x used to truncate ok.csv and then fail:
 * the last scan's results lost for nothing.  Every output opens before
 * any is truncated, and a collision is found before too.
 */
static void test_open_truncates_last(void **state)
{
	struct output_config cfg = { .version = "0.1.0" };
	struct rs_error err = { 0 };
	struct output *o = NULL;
	char *ok = path_in("ok.csv");

	(void)state;
	write_text(ok, "precious\n");
	cfg.csv_path = ok;
	cfg.json_path = "/nonexistent/dir/x.json";
	assert_int_equal(output_open(&o, &cfg, NULL, &err), -ENOENT);
	assert_file_is(ok, "precious\n");
	cfg.json_path = ok;
	assert_int_equal(output_open(&o, &cfg, NULL, &err), -EINVAL);
	assert_file_is(ok, "precious\n");
	cfg.json_path = NULL;
	cfg.checkpoint_path = ok;
	assert_int_equal(output_open(&o, &cfg, NULL, &err), -EINVAL);
	assert_file_is(ok, "precious\n");
	/* All well: now it is truncated (and gets the CSV header). */
	cfg.checkpoint_path = NULL;
	assert_int_equal(output_open(&o, &cfg, NULL, &err), 0);
	assert_int_equal(output_close(o), 0);
	assert_file_is(
		ok, "host,port,proto,state,service,reason,rtt_ms,hostname\n");
	unlink(ok);
	free(ok);
}

/* Does output_open refuse csv and json (and checkpoint) as given? */
static int open_pair(const char *csv, const char *json, const char *ckpt,
		     struct rs_error *err)
{
	struct output_config cfg = { .version = "0.1.0",
				     .csv_path = csv,
				     .json_path = json,
				     .checkpoint_path = ckpt };
	struct output *o = NULL;
	int ret;

	memset(err, 0, sizeof(*err));
	ret = output_open(&o, &cfg, NULL, err);
	if (!ret)
		assert_int_equal(output_close(o), 0);
	return ret;
}

/* Every spelling of one file is that file; devices may be shared. */
static void test_open_collisions(void **state)
{
	char *a = path_in("a.csv"), *dot, *hard = path_in("hard.json");
	char *sym = path_in("sym.json"), *fresh = path_in("fresh.csv");
	char *dangling = path_in("dangling.json"), *b = path_in("b.json");
	struct rs_error err;

	(void)state;
	assert_true(asprintf(&dot, "%s/./a.csv", tmpdir) > 0);
	write_text(a, "old\n");
	assert_int_equal(link(a, hard), 0);
	assert_int_equal(symlink(a, sym), 0);
	assert_int_equal(symlink(fresh, dangling), 0);

	assert_int_equal(open_pair(a, a, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.reason, "same file"));
	assert_int_equal(open_pair(a, dot, NULL, &err), -EINVAL);
	assert_int_equal(open_pair(a, hard, NULL, &err), -EINVAL);
	assert_int_equal(open_pair(a, sym, NULL, &err), -EINVAL);
	assert_file_is(a, "old\n");
	/* A new file, and a dangling symlink to where it will be. */
	assert_int_equal(open_pair(fresh, dangling, NULL, &err), -EINVAL);
	assert_int_equal(access(fresh, F_OK), -1); /* ours: removed */
	/* The checkpoint's rename would replace the file. */
	assert_int_equal(open_pair(a, NULL, a, &err), -EINVAL);
	assert_non_null(strstr(err.reason, "checkpoint"));
	assert_int_equal(open_pair(b, NULL, dot, &err), 0);
	assert_int_equal(open_pair(NULL, a, hard, &err), -EINVAL);
	/* A symlink as checkpoint is replaced itself, not its target. */
	assert_int_equal(open_pair(b, NULL, sym, &err), 0);
	assert_file_is(a, "old\n");
	/* Standard output twice would mix two formats. */
	assert_int_equal(open_pair("-", "-", NULL, &err), -EINVAL);
	/* Devices are not files to lose: /dev/null twice is fine. */
	if (access("/dev/null", W_OK) == 0)
		assert_int_equal(
			open_pair("/dev/null", "/dev/null", NULL, &err), 0);
	assert_int_equal(open_pair(a, b, NULL, &err), 0);

	unlink(a);
	unlink(b);
	unlink(hard);
	unlink(sym);
	unlink(dangling);
	free(a);
	free(b);
	free(dot);
	free(hard);
	free(sym);
	free(fresh);
	free(dangling);
}

static void test_close_null(void **state)
{
	(void)state;
	assert_int_equal(output_close(NULL), 0);
}

/* ---- CSV and JSON streams ---- */

static struct output *open_streams(const struct services *svc, unsigned states,
				   char **csv, char **json)
{
	struct output_config cfg = { .version = "0.1.0", .states = states };
	struct rs_error err = { 0 };
	struct output *o;

	*csv = path_in("out.csv");
	*json = path_in("out.json");
	cfg.csv_path = *csv;
	cfg.json_path = *json;
	assert_int_equal(output_open(&o, &cfg, svc, &err), 0);
	return o;
}

static void emit(struct output *o, const char *host, uint16_t port,
		 enum output_state st, const char *reason, int64_t rtt_us)
{
	struct rs_addr a;
	struct output_result r = {
		.addr = &a,
		.port = port,
		.proto = RS_TCP,
		.state = st,
		.reason = reason,
		.rtt_us = rtt_us,
	};

	assert_int_equal(addr_parse(host, &a), 0);
	assert_int_equal(output_result(o, &r), 0);
}

static void finish_streams(struct output *o, char *csv, char *json,
			   char **csv_text, char **json_text)
{
	assert_int_equal(output_finish(o, NULL), 0);
	assert_int_equal(output_close(o), 0);
	*csv_text = slurp(csv);
	*json_text = slurp(json);
	unlink(csv);
	unlink(json);
	free(csv);
	free(json);
}

static void test_streams_basic(void **state)
{
	struct services *svc = load_test_services();
	char *csv, *json, *ct, *jt;
	int fds = count_fds();
	struct output *o;

	(void)state;
	o = open_streams(svc,
			 OUTPUT_ST_OPEN | OUTPUT_ST_CLOSED | OUTPUT_ST_FILTERED,
			 &csv, &json);
	emit(o, "127.0.0.1", 22, OUT_OPEN, "syn-ack", 42);
	emit(o, "127.0.0.1", 25, OUT_CLOSED, "conn-refused", 12345);
	emit(o, "127.0.0.2", 80, OUT_FILTERED, "no-response", -1);
	emit(o, "127.0.0.3", 443, OUT_UNREACH, "host-unreach", 1000000);
	emit(o, "2001:db8::1", 4242, OUT_OPEN, "syn-ack", 0);
	finish_streams(o, csv, json, &ct, &jt);
	assert_int_equal(count_fds(), fds);

	assert_string_equal(
		ct, "host,port,proto,state,service,reason,rtt_ms,hostname\n"
		    "127.0.0.1,22,tcp,open,ssh,syn-ack,0.042,\n"
		    "127.0.0.1,25,tcp,closed,smtp,conn-refused,12.345,\n"
		    "127.0.0.2,80,tcp,filtered,http,no-response,,\n"
		    "127.0.0.3,443,tcp,filtered,https,host-unreach,"
		    "1000.000,\n"
		    "2001:db8::1,4242,tcp,open,unknown,syn-ack,0.000,\n");
	assert_string_equal(
		jt,
		"{\"host\":\"127.0.0.1\",\"port\":22,\"proto\":\"tcp\","
		"\"state\":\"open\",\"service\":\"ssh\",\"reason\":\"syn-ack\","
		"\"rtt_ms\":0.042}\n"
		"{\"host\":\"127.0.0.1\",\"port\":25,\"proto\":\"tcp\","
		"\"state\":\"closed\",\"service\":\"smtp\","
		"\"reason\":\"conn-refused\",\"rtt_ms\":12.345}\n"
		"{\"host\":\"127.0.0.2\",\"port\":80,\"proto\":\"tcp\","
		"\"state\":\"filtered\",\"service\":\"http\","
		"\"reason\":\"no-response\",\"rtt_ms\":null}\n"
		"{\"host\":\"127.0.0.3\",\"port\":443,\"proto\":\"tcp\","
		"\"state\":\"filtered\",\"service\":\"https\","
		"\"reason\":\"host-unreach\",\"rtt_ms\":1000.000}\n"
		"{\"host\":\"2001:db8::1\",\"port\":4242,\"proto\":\"tcp\","
		"\"state\":\"open\",\"service\":\"unknown\","
		"\"reason\":\"syn-ack\",\"rtt_ms\":0.000}\n");
	free(ct);
	free(jt);
	services_free(svc);
}

static void emit_all_states(struct output *o)
{
	emit(o, "127.0.0.1", 22, OUT_OPEN, "syn-ack", 1);
	emit(o, "127.0.0.1", 25, OUT_CLOSED, "conn-refused", 2);
	emit(o, "127.0.0.1", 80, OUT_FILTERED, "no-response", -1);
	emit(o, "127.0.0.1", 443, OUT_UNREACH, "host-unreach", 3);
}

static void test_streams_state_mask(void **state)
{
	struct services *svc = load_test_services();
	char *csv, *json, *ct, *jt;
	struct output *o;

	(void)state;
	o = open_streams(svc, OUTPUT_ST_OPEN, &csv, &json);
	emit_all_states(o);
	finish_streams(o, csv, json, &ct, &jt);
	assert_string_equal(
		ct, "host,port,proto,state,service,reason,rtt_ms,hostname\n"
		    "127.0.0.1,22,tcp,open,ssh,syn-ack,0.001,\n");
	assert_int_equal(count_lines(jt), 1);
	assert_non_null(strstr(jt, "\"port\":22,"));
	free(ct);
	free(jt);

	/* filtered covers both no-response and unreachable. */
	o = open_streams(svc, OUTPUT_ST_FILTERED, &csv, &json);
	emit_all_states(o);
	finish_streams(o, csv, json, &ct, &jt);
	assert_string_equal(
		ct, "host,port,proto,state,service,reason,rtt_ms,hostname\n"
		    "127.0.0.1,80,tcp,filtered,http,no-response,,\n"
		    "127.0.0.1,443,tcp,filtered,https,host-unreach,"
		    "0.003,\n");
	assert_int_equal(count_lines(jt), 2);
	assert_null(strstr(jt, "\"open\""));
	assert_null(strstr(jt, "\"closed\""));
	free(ct);
	free(jt);

	o = open_streams(svc, OUTPUT_ST_CLOSED | OUTPUT_ST_OPEN, &csv, &json);
	emit_all_states(o);
	finish_streams(o, csv, json, &ct, &jt);
	assert_string_equal(
		ct, "host,port,proto,state,service,reason,rtt_ms,hostname\n"
		    "127.0.0.1,22,tcp,open,ssh,syn-ack,0.001,\n"
		    "127.0.0.1,25,tcp,closed,smtp,conn-refused,0.002,\n");
	assert_int_equal(count_lines(jt), 2);
	free(ct);
	free(jt);

	/* Nothing selected: a header and no rows. */
	o = open_streams(svc, 0, &csv, &json);
	emit_all_states(o);
	finish_streams(o, csv, json, &ct, &jt);
	assert_string_equal(
		ct, "host,port,proto,state,service,reason,rtt_ms,hostname\n");
	assert_string_equal(jt, "");
	free(ct);
	free(jt);
	services_free(svc);
}

/*
 * UDP silence in the streams: "open|filtered" as nmap -sU names it, and
 * "closed|filtered" as nmap names it with --defeat-icmp-ratelimit; an
 * ICMP-rejected UDP port stays "filtered" and TCP silence "filtered"
 * either way.
 */
static void test_streams_udp_silence(void **state)
{
	static const char *const want[2] = { "open|filtered",
					     "closed|filtered" };
	struct rs_error err = { 0 };
	struct rs_addr a;
	char *csv, *ct;

	(void)state;
	assert_int_equal(addr_parse("127.0.0.1", &a), 0);
	for (int fast = 0; fast < 2; fast++) {
		struct output_config cfg = {
			.version = "0.1.0",
			.states = OUTPUT_ST_OPEN | OUTPUT_ST_CLOSED |
				  OUTPUT_ST_FILTERED,
			.udp_closed_filtered = fast,
		};
		struct output_result r[] = {
			{ &a, 161, RS_UDP, OUT_FILTERED, "no-response", -1,
			  NULL, NULL },
			{ &a, 162, RS_UDP, OUT_UNREACH, "admin-prohibited", 1,
			  NULL, NULL },
			{ &a, 163, RS_UDP, OUT_CLOSED, "port-unreach", 1, NULL,
			  NULL },
			{ &a, 80, RS_TCP, OUT_FILTERED, "no-response", -1, NULL,
			  NULL },
		};
		char line[128];
		struct output *o;

		csv = path_in("udp.csv");
		cfg.csv_path = csv;
		assert_int_equal(output_open(&o, &cfg, NULL, &err), 0);
		for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
			assert_int_equal(output_result(o, &r[i]), 0);
		assert_int_equal(output_finish(o, NULL), 0);
		assert_int_equal(output_close(o), 0);
		ct = slurp(csv);
		snprintf(line, sizeof(line),
			 "127.0.0.1,161,udp,%s,unknown,no-response,,\n",
			 want[fast]);
		assert_non_null(strstr(ct, line));
		assert_non_null(strstr(
			ct,
			"127.0.0.1,162,udp,filtered,unknown,admin-prohibited,"));
		assert_non_null(strstr(
			ct, "127.0.0.1,163,udp,closed,unknown,port-unreach,"));
		assert_non_null(strstr(
			ct, "127.0.0.1,80,tcp,filtered,unknown,no-response,"));
		assert_null(strstr(ct, want[!fast]));
		free(ct);
		unlink(csv);
		free(csv);
	}
}

/* Names from a hostile /etc/services must not break the columns. */
static void test_csv_quoting(void **state)
{
	struct services *svc = load_test_services();
	char *csv, *json, *ct, *jt;
	struct output *o;

	(void)state;
	o = open_streams(svc, OUTPUT_ST_OPEN, &csv, &json);
	emit(o, "127.0.0.1", 1000, OUT_OPEN, "syn-ack", 5);
	emit(o, "127.0.0.1", 1001, OUT_OPEN, "syn-ack", 5);
	emit(o, "127.0.0.1", 1002, OUT_OPEN, "syn-ack", 5);
	emit(o, "127.0.0.1", 1003, OUT_OPEN, "a,b", -1);
	emit(o, "127.0.0.1", 21, OUT_OPEN, "cr\rhere", -1);
	emit(o, "127.0.0.1", 22, OUT_OPEN, "line\nbreak", -1);
	finish_streams(o, csv, json, &ct, &jt);
	assert_string_equal(
		ct, "host,port,proto,state,service,reason,rtt_ms,hostname\n"
		    "127.0.0.1,1000,tcp,open,\"evil,name\",syn-ack,"
		    "0.005,\n"
		    "127.0.0.1,1001,tcp,open,\"say\"\"hi\"\"\",syn-ack,"
		    "0.005,\n"
		    "127.0.0.1,1002,tcp,open,back\\slash,syn-ack,0.005,\n"
		    "127.0.0.1,1003,tcp,open,ctl\x01\x1f\x7fx,\"a,b\",,\n"
		    "127.0.0.1,21,tcp,open,ftp,\"cr\rhere\",,\n"
		    "127.0.0.1,22,tcp,open,ssh,\"line\nbreak\",,\n");
	free(ct);
	free(jt);
	services_free(svc);
}

static void test_json_escaping(void **state)
{
	struct services *svc = load_test_services();
	char *csv, *json, *ct, *jt;
	struct output *o;

	(void)state;
	o = open_streams(svc, OUTPUT_ST_OPEN, &csv, &json);
	emit(o, "127.0.0.1", 1001, OUT_OPEN, "syn-ack", -1);
	emit(o, "127.0.0.1", 1002, OUT_OPEN, "syn-ack", -1);
	emit(o, "127.0.0.1", 1003, OUT_OPEN, "syn-ack", -1);
	emit(o, "127.0.0.1", 1004, OUT_OPEN, "syn-ack", -1);
	emit(o, "127.0.0.1", 1005, OUT_OPEN, "syn-ack", -1);
	emit(o, "127.0.0.1", 22, OUT_OPEN, "\b\f\n\r\t\"\\\x02", -1);
	finish_streams(o, csv, json, &ct, &jt);
	assert_string_equal(
		jt,
		"{\"host\":\"127.0.0.1\",\"port\":1001,\"proto\":\"tcp\","
		"\"state\":\"open\",\"service\":\"say\\\"hi\\\"\","
		"\"reason\":\"syn-ack\",\"rtt_ms\":null}\n"
		"{\"host\":\"127.0.0.1\",\"port\":1002,\"proto\":\"tcp\","
		"\"state\":\"open\",\"service\":\"back\\\\slash\","
		"\"reason\":\"syn-ack\",\"rtt_ms\":null}\n"
		"{\"host\":\"127.0.0.1\",\"port\":1003,\"proto\":\"tcp\","
		"\"state\":\"open\",\"service\":\"ctl\\u0001\\u001f\\u007fx\","
		"\"reason\":\"syn-ack\",\"rtt_ms\":null}\n"
		"{\"host\":\"127.0.0.1\",\"port\":1004,\"proto\":\"tcp\","
		"\"state\":\"open\",\"service\":\"caf\xc3\xa9\","
		"\"reason\":\"syn-ack\",\"rtt_ms\":null}\n"
		"{\"host\":\"127.0.0.1\",\"port\":1005,\"proto\":\"tcp\","
		"\"state\":\"open\",\"service\":\"bad\\ufffd\\ufffd(\","
		"\"reason\":\"syn-ack\",\"rtt_ms\":null}\n"
		"{\"host\":\"127.0.0.1\",\"port\":22,\"proto\":\"tcp\","
		"\"state\":\"open\",\"service\":\"ssh\","
		"\"reason\":\"\\b\\f\\n\\r\\t\\\"\\\\\\u0002\","
		"\"rtt_ms\":null}\n");
	free(ct);
	free(jt);
	services_free(svc);
}

/*
 * Every OUTPUT_FLUSH_ROWS rows the streams are flushed: the file then holds
 * whole rows only, before output_finish or output_close, so a killed scan
 * leaves parseable output.
 */
static void test_streams_flush(void **state)
{
	struct services *svc = load_test_services();
	char *csv, *json, *ct, *jt;
	struct output *o;
	unsigned i;

	(void)state;
	o = open_streams(svc, OUTPUT_ST_OPEN, &csv, &json);
	for (i = 0; i < OUTPUT_FLUSH_ROWS; i++)
		emit(o, "127.0.0.1", (uint16_t)(i + 1), OUT_OPEN, "syn-ack",
		     1234);
	ct = slurp(csv);
	jt = slurp(json);
	assert_int_equal(count_lines(ct), OUTPUT_FLUSH_ROWS + 1);
	assert_int_equal(ct[strlen(ct) - 1], '\n');
	assert_int_equal(count_lines(jt), OUTPUT_FLUSH_ROWS);
	assert_int_equal(jt[strlen(jt) - 1], '\n');
	free(ct);
	free(jt);

	/* A few more rows, then finish: everything is out before close. */
	for (i = 0; i < 3; i++)
		emit(o, "127.0.0.1", 22, OUT_OPEN, "syn-ack", 1234);
	assert_int_equal(output_finish(o, NULL), 0);
	ct = slurp(csv);
	jt = slurp(json);
	assert_int_equal(count_lines(ct), OUTPUT_FLUSH_ROWS + 4);
	assert_int_equal(count_lines(jt), OUTPUT_FLUSH_ROWS + 3);
	assert_int_equal(output_close(o), 0);
	free(ct);
	free(jt);
	unlink(csv);
	unlink(json);
	free(csv);
	free(json);
	services_free(svc);
}

/* The file's bytes so far end at a line end (or there are none). */
static void assert_whole_lines(const char *path, size_t *lines)
{
	char *t = slurp(path);
	size_t n = strlen(t);

	if (n && t[n - 1] != '\n')
		fail_msg("%s ends mid-row after %zu bytes", path, n);
	*lines = (size_t)count_lines(t);
	free(t);
}

/*
 * Rows longer than any stdio buffer (a 5000-byte service name, which a
 * services file may hold) still reach the files whole: after every row,
 * what is on disk - all a kill -9 would leave - ends at a row's end.  And
 * the rows do get written as they gather, not only at the end.
 */
static void test_streams_whole_rows(void **state)
{
	char *svc_path = path_in("long-services"), *text, *csv, *json;
	size_t name_len = 5000, csv_lines = 0, json_lines = 0;
	struct services *svc;
	struct output *o;

	(void)state;
	text = malloc(name_len + 64);
	assert_non_null(text);
	memset(text, 'x', name_len);
	snprintf(text + name_len, 64, "\t7/tcp\nssh\t22/tcp\n");
	write_text(svc_path, text);
	assert_int_equal(services_load(&svc, svc_path), 0);
	o = open_streams(svc, OUTPUT_ST_OPEN, &csv, &json);
	for (unsigned i = 0; i < 60; i++) {
		emit(o, "127.0.0.1", i % 3 ? 7 : 22, OUT_OPEN, "syn-ack", 1);
		assert_whole_lines(csv, &csv_lines);
		assert_whole_lines(json, &json_lines);
	}
	assert_true(csv_lines > 30);
	assert_true(json_lines > 30);
	assert_int_equal(output_finish(o, NULL), 0);
	assert_whole_lines(csv, &csv_lines);
	assert_whole_lines(json, &json_lines);
	assert_int_equal(csv_lines, 61);
	assert_int_equal(json_lines, 60);
	assert_int_equal(output_close(o), 0);
	unlink(csv);
	unlink(json);
	unlink(svc_path);
	free(csv);
	free(json);
	free(svc_path);
	free(text);
	services_free(svc);
}

/* A full disk is reported, not swallowed. */
static void test_write_error(void **state)
{
	struct output_config cfg = { .version = "0.1.0",
				     .states = OUTPUT_ST_OPEN,
				     .csv_path = "/dev/full" };
	struct rs_error err = { 0 };
	struct rs_addr a;
	struct output_result r = { .addr = &a,
				   .port = 22,
				   .state = OUT_OPEN,
				   .reason = "syn-ack",
				   .rtt_us = -1 };
	struct output *o;
	int ret = 0;
	unsigned i;

	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	assert_int_equal(addr_parse("127.0.0.1", &a), 0);
	assert_int_equal(output_open(&o, &cfg, NULL, &err), 0);
	for (i = 0; i < OUTPUT_FLUSH_ROWS && ret == 0; i++)
		ret = output_result(o, &r);
	assert_int_equal(ret, -ENOSPC);
	assert_int_not_equal(output_finish(o, NULL), 0);
	assert_int_not_equal(output_close(o), 0);
}

/* ---- text report ---- */

/*
 * 127.0.0.1: open, closed and one filtered port (listed: few filtered);
 * 127.0.0.2: never answered (all filtered) - not printed, not up;
 * 127.0.0.3: all closed - "All N scanned ports ... ignored states".
 */
static void test_report_golden(void **state)
{
	struct scan s;
	char *text;

	(void)state;
	scan_init(&s, "127.0.0.1-3", "22,25,80,443,8080");
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	scan_set(&s, "127.0.0.1", 25, STORE_CLOSED);
	scan_set(&s, "127.0.0.1", 80, STORE_OPEN);
	scan_set(&s, "127.0.0.1", 8080, STORE_OPEN);
	scan_set_range(&s, "127.0.0.3", 22, 22, STORE_CLOSED);
	scan_set(&s, "127.0.0.3", 25, STORE_CLOSED);
	scan_set(&s, "127.0.0.3", 80, STORE_CLOSED);
	scan_set(&s, "127.0.0.3", 443, STORE_CLOSED);
	scan_set(&s, "127.0.0.3", 8080, STORE_CLOSED);
	text = render(&s, false, true, 1.5);
	assert_string_equal(
		text,
		HEADER "ringscan scan report for 127.0.0.1\n"
		       "Host is up.\n"
		       "Not shown: 1 closed tcp port (conn-refused)\n"
		       "PORT     STATE    SERVICE\n"
		       "22/tcp   open     ssh\n"
		       "80/tcp   open     http\n"
		       "443/tcp  filtered https\n"
		       "8080/tcp open     http-alt\n"
		       "\n"
		       "ringscan scan report for 127.0.0.3\n"
		       "Host is up.\n"
		       "All 5 scanned ports on 127.0.0.3 are in ignored "
		       "states.\n"
		       "Not shown: 5 closed tcp ports (conn-refused)\n"
		       "\n"
		       "ringscan done: 3 IP addresses (2 hosts up) scanned "
		       "in 1.50 seconds\n");
	free(text);
	scan_free(&s);
}

/* nmap's layout: no "Not shown" line means a blank line before PORT. */
static void test_report_no_not_shown(void **state)
{
	struct scan s;
	char *text;

	(void)state;
	scan_init(&s, "127.0.0.1", "22");
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	text = render(&s, false, true, 0.004);
	assert_string_equal(text, HEADER
			    "ringscan scan report for 127.0.0.1\n"
			    "Host is up.\n"
			    "\n"
			    "PORT   STATE SERVICE\n"
			    "22/tcp open  ssh\n"
			    "\n"
			    "ringscan done: 1 IP address (1 host up) scanned "
			    "in 0.00 seconds\n");
	free(text);
	scan_free(&s);
}

/* More than OUTPUT_MAX_LISTED filtered ports are summarized, by reason. */
static void test_report_many_filtered(void **state)
{
	struct scan s;
	char *text;

	(void)state;
	scan_init(&s, "127.0.0.1-2", "1-40");
	scan_set(&s, "127.0.0.1", 1, STORE_CLOSED);
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	scan_set_range(&s, "127.0.0.1", 30, 34, STORE_UNREACH);
	/* .2: exactly OUTPUT_MAX_LISTED filtered, so they are listed. */
	scan_set_range(&s, "127.0.0.2", 1, 40 - OUTPUT_MAX_LISTED - 1,
		       STORE_CLOSED);
	scan_set(&s, "127.0.0.2", 40 - OUTPUT_MAX_LISTED, STORE_OPEN);
	text = render(&s, false, true, 2);
	assert_string_equal(
		text,
		HEADER "ringscan scan report for 127.0.0.1\n"
		       "Host is up.\n"
		       "Not shown: 1 closed tcp port (conn-refused), 33 "
		       "filtered tcp ports (no-response), 5 filtered tcp "
		       "ports (host-unreach)\n"
		       "PORT   STATE SERVICE\n"
		       "22/tcp open  ssh\n"
		       "\n"
		       "ringscan scan report for 127.0.0.2\n"
		       "Host is up.\n"
		       "Not shown: 14 closed tcp ports (conn-refused)\n"
		       "PORT   STATE    SERVICE\n"
		       "15/tcp open     unknown\n"
		       "16/tcp filtered unknown\n"
		       "17/tcp filtered unknown\n"
		       "18/tcp filtered unknown\n"
		       "19/tcp filtered unknown\n"
		       "20/tcp filtered unknown\n"
		       "21/tcp filtered ftp\n"
		       "22/tcp filtered ssh\n"
		       "23/tcp filtered unknown\n"
		       "24/tcp filtered unknown\n"
		       "25/tcp filtered smtp\n"
		       "26/tcp filtered unknown\n"
		       "27/tcp filtered unknown\n"
		       "28/tcp filtered unknown\n"
		       "29/tcp filtered unknown\n"
		       "30/tcp filtered unknown\n"
		       "31/tcp filtered unknown\n"
		       "32/tcp filtered unknown\n"
		       "33/tcp filtered unknown\n"
		       "34/tcp filtered unknown\n"
		       "35/tcp filtered unknown\n"
		       "36/tcp filtered unknown\n"
		       "37/tcp filtered unknown\n"
		       "38/tcp filtered unknown\n"
		       "39/tcp filtered unknown\n"
		       "40/tcp filtered unknown\n"
		       "\n"
		       "ringscan done: 2 IP addresses (2 hosts up) scanned "
		       "in 2.00 seconds\n");
	free(text);
	scan_free(&s);
}

/*
 * A host whose only answers are unreachables (from a router, usually) is
 * not up; one whose few filtered ports are all it has besides closed ones
 * gets them listed, unreachable and silent alike.
 */
static void test_report_unreach(void **state)
{
	struct scan s;
	char *text;

	(void)state;
	scan_init(&s, "127.0.0.1-2", "21,22,25,1000");
	scan_set(&s, "127.0.0.1", 21, STORE_UNREACH);
	scan_set(&s, "127.0.0.1", 22, STORE_UNREACH);
	scan_set(&s, "127.0.0.2", 21, STORE_CLOSED);
	scan_set(&s, "127.0.0.2", 22, STORE_UNREACH);
	text = render(&s, false, true, 0.5);
	assert_string_equal(text, HEADER
			    "ringscan scan report for 127.0.0.2\n"
			    "Host is up.\n"
			    "Not shown: 1 closed tcp port (conn-refused)\n"
			    "PORT     STATE    SERVICE\n"
			    "22/tcp   filtered ssh\n"
			    "25/tcp   filtered smtp\n"
			    "1000/tcp filtered evil,name\n"
			    "\n"
			    "ringscan done: 2 IP addresses (1 host up) scanned "
			    "in 0.50 seconds\n");
	free(text);
	scan_free(&s);
}

static void test_report_open_only(void **state)
{
	struct scan s;
	char *text;

	(void)state;
	scan_init(&s, "127.0.0.1-3", "21,22,25,80");
	scan_set(&s, "127.0.0.1", 21, STORE_CLOSED);
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	scan_set(&s, "127.0.0.1", 25, STORE_UNREACH);
	/* .2 is up (closed ports) but has nothing open: left out. */
	scan_set(&s, "127.0.0.2", 21, STORE_CLOSED);
	scan_set(&s, "127.0.0.3", 80, STORE_OPEN);
	text = render(&s, true, true, 3.14159);
	assert_string_equal(
		text,
		HEADER "ringscan scan report for 127.0.0.1\n"
		       "Host is up.\n"
		       "Not shown: 1 closed tcp port (conn-refused), 1 "
		       "filtered tcp port (no-response), 1 filtered tcp "
		       "port (host-unreach)\n"
		       "PORT   STATE SERVICE\n"
		       "22/tcp open  ssh\n"
		       "\n"
		       "ringscan scan report for 127.0.0.3\n"
		       "Host is up.\n"
		       "Not shown: 3 filtered tcp ports (no-response)\n"
		       "PORT   STATE SERVICE\n"
		       "80/tcp open  http\n"
		       "\n"
		       "ringscan done: 3 IP addresses (3 hosts up) scanned "
		       "in 3.14 seconds\n");
	free(text);
	scan_free(&s);

	/* Nothing open anywhere: only the header and the closing line. */
	scan_init(&s, "127.0.0.1", "21,22");
	scan_set(&s, "127.0.0.1", 21, STORE_CLOSED);
	text = render(&s, true, true, 1);
	assert_string_equal(text, HEADER "ringscan done: 1 IP address (1 host "
					 "up) scanned in 1.00 seconds\n");
	free(text);
	scan_free(&s);
}

/*
 * Interrupted: unanswered ports are unknown, so they are neither listed as
 * filtered nor counted on the Not shown line, and the report says so.
 */
static void test_report_interrupted(void **state)
{
	struct scan s;
	char *text;

	(void)state;
	scan_init(&s, "127.0.0.1-2", "21,22,25,80");
	scan_set(&s, "127.0.0.1", 21, STORE_CLOSED);
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	scan_set(&s, "127.0.0.1", 25, STORE_UNREACH);
	scan_set(&s, "127.0.0.2", 21, STORE_CLOSED);
	scan_set(&s, "127.0.0.2", 22, STORE_CLOSED);
	text = render(&s, false, false, 0.25);
	assert_string_equal(
		text,
		HEADER "ringscan scan report for 127.0.0.1\n"
		       "Host is up.\n"
		       "Not shown: 1 closed tcp port (conn-refused)\n"
		       "PORT   STATE    SERVICE\n"
		       "22/tcp open     ssh\n"
		       "25/tcp filtered smtp\n"
		       "\n"
		       "ringscan scan report for 127.0.0.2\n"
		       "Host is up.\n"
		       "All 2 scanned ports on 127.0.0.2 are in ignored "
		       "states.\n"
		       "Not shown: 2 closed tcp ports (conn-refused)\n"
		       "\n"
		       "Scan interrupted: ports that had not answered are "
		       "unknown, not filtered, and are not reported.\n"
		       "ringscan done: 2 IP addresses (2 hosts up) scanned "
		       "in 0.25 seconds\n");
	free(text);
	scan_free(&s);

	/* The same store, complete: the silent ports become filtered. */
	text = NULL;
	scan_init(&s, "127.0.0.1", "21,22,25,80");
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	text = render(&s, false, true, 0.25);
	assert_non_null(strstr(text, "80/tcp filtered http\n"));
	assert_null(strstr(text, "interrupted"));
	free(text);
	text = render(&s, false, false, 0.25);
	assert_null(strstr(text, "/tcp filtered"));
	assert_null(strstr(text, "Not shown"));
	assert_non_null(strstr(text, "interrupted"));
	free(text);
	scan_free(&s);
}

static void test_report_plurals(void **state)
{
	struct scan s;
	char *text;

	(void)state;
	scan_init(&s, "127.0.0.1", "22");
	text = render(&s, false, true, 0);
	assert_string_equal(text, HEADER "ringscan done: 1 IP address (0 hosts "
					 "up) scanned in 0.00 seconds\n");
	free(text);
	scan_free(&s);

	scan_init(&s, "127.0.0.1-8", "22");
	scan_set(&s, "127.0.0.2", 22, STORE_OPEN);
	text = render(&s, false, true, 0);
	assert_non_null(strstr(text, "ringscan done: 8 IP addresses (1 host "
				     "up) scanned in 0.00 seconds\n"));
	free(text);
	scan_set(&s, "127.0.0.4", 22, STORE_CLOSED);
	scan_set(&s, "127.0.0.8", 22, STORE_CLOSED);
	text = render(&s, false, true, 0);
	assert_non_null(strstr(text, "ringscan done: 8 IP addresses (3 hosts "
				     "up) scanned in 0.00 seconds\n"));
	free(text);
	scan_free(&s);
}

/*
 * IPv4 hosts come before IPv6 ones whatever the order given; the PORT
 * column fits the widest listed port, per host.
 */
static void test_report_ipv6_and_width(void **state)
{
	struct scan s;
	char *text;

	(void)state;
	scan_init(&s, "::1 127.0.0.1", "1,65535");
	scan_set(&s, "::1", 1, STORE_OPEN);
	scan_set(&s, "::1", 65535, STORE_OPEN);
	scan_set(&s, "127.0.0.1", 1, STORE_OPEN);
	text = render(&s, false, true, 0);
	assert_string_equal(
		text,
		HEADER "ringscan scan report for 127.0.0.1\n"
		       "Host is up.\n"
		       "\n"
		       "PORT      STATE    SERVICE\n"
		       "1/tcp     open     unknown\n"
		       "65535/tcp filtered unknown\n"
		       "\n"
		       "ringscan scan report for ::1\n"
		       "Host is up.\n"
		       "\n"
		       "PORT      STATE SERVICE\n"
		       "1/tcp     open  unknown\n"
		       "65535/tcp open  unknown\n"
		       "\n"
		       "ringscan done: 2 IP addresses (2 hosts up) scanned "
		       "in 0.00 seconds\n");
	free(text);
	scan_free(&s);
}

/* Control bytes in service names and the command line never reach a tty. */
static void test_report_sanitized(void **state)
{
	struct output_config cfg = {
		.version = "0.1.0",
		.command_line = "ringscan -p 1003\n127.0.0.1\x1b[2J",
	};
	struct rs_error err = { 0 };
	struct output_report rep = { .elapsed_s = 1,
				     .complete = true,
				     .start_time = START_TIME };
	struct output *o;
	struct scan s;
	char *p = path_in("sanitized.txt");
	char *text;

	(void)state;
	scan_init(&s, "127.0.0.1", "1003");
	scan_set(&s, "127.0.0.1", 1003, STORE_OPEN);
	rep.targets = s.t;
	rep.ports = s.pl;
	rep.store = s.st;
	cfg.normal_path = p;
	assert_int_equal(output_open(&o, &cfg, s.svc, &err), 0);
	assert_int_equal(output_finish(o, &rep), 0);
	assert_int_equal(output_close(o), 0);
	text = slurp(p);
	assert_string_equal(text,
			    "# ringscan 0.1.0 scan initiated 2024-01-02 03:04 "
			    "UTC as: ringscan -p 1003?127.0.0.1?[2J\n" HEADER
			    "ringscan scan report for 127.0.0.1\n"
			    "Host is up.\n"
			    "\n"
			    "PORT     STATE SERVICE\n"
			    "1003/tcp open  ctl???x\n"
			    "\n"
			    "ringscan done: 1 IP address (1 host up) scanned "
			    "in 1.00 seconds\n");
	free(text);
	free(p);
	scan_free(&s);
}

/* Run fn with stdout sent to a file; return what it printed. */
static char *capture_stdout(void (*fn)(void *), void *ctx)
{
	char *p = path_in("stdout.txt");
	int fd, saved;
	char *text;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	close(fd);
	fn(ctx);
	fflush(stdout);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	text = slurp(p);
	unlink(p);
	free(p);
	return text;
}

struct stdout_case {
	struct output_config cfg;
	const struct output_report *rep;
	const struct services *svc;
	int open_ret, finish_ret, close_ret;
};

static void run_stdout_case(void *ctx)
{
	struct stdout_case *c = ctx;
	struct rs_error err = { 0 };
	struct output *o = NULL;

	c->open_ret = output_open(&o, &c->cfg, c->svc, &err);
	if (c->open_ret)
		return;
	c->finish_ret = output_finish(o, c->rep);
	c->close_ret = output_close(o);
}

/* output_start, then what stdout holds before output_finish runs. */
struct start_case {
	struct stdout_case c;
	char *before; /* stdout's file after output_start, before finish */
	int start_ret;
};

static void run_start_case(void *ctx)
{
	struct start_case *sc = ctx;
	struct rs_error err = { 0 };
	struct output *o = NULL;
	char *p = path_in("stdout.txt");

	sc->c.open_ret = output_open(&o, &sc->c.cfg, sc->c.svc, &err);
	if (sc->c.open_ret) {
		free(p);
		return;
	}
	sc->start_ret = output_start(o, START_TIME);
	sc->before = slurp(p);
	free(p);
	sc->c.finish_ret = output_finish(o, sc->c.rep);
	sc->c.close_ret = output_close(o);
}

/*
 * The Starting line reaches stdout when output_start is called - not with
 * the report at the end - and the report then does not repeat it.  With
 * the text not on stdout (-oX -, -oN -, no text) output_start writes
 * nothing, and -oN - still gets its whole report.
 */
static void test_output_start(void **state)
{
	struct output_report rep = { .elapsed_s = 1,
				     .complete = true,
				     .start_time = START_TIME };
	struct start_case sc = { .c = { .cfg = { .version = "0.1.0",
						 .command_line = "ringscan x",
						 .text_stdout = true } } };
	struct scan s;
	char *out;

	(void)state;
	scan_init(&s, "127.0.0.1", "22");
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	rep.targets = s.t;
	rep.ports = s.pl;
	rep.store = s.st;
	sc.c.rep = &rep;
	sc.c.svc = s.svc;

	out = capture_stdout(run_start_case, &sc);
	assert_int_equal(sc.start_ret, 0);
	assert_int_equal(sc.c.finish_ret, 0);
	assert_string_equal(sc.before, HEADER);
	assert_string_equal(out, HEADER "ringscan scan report for 127.0.0.1\n"
					"Host is up.\n"
					"\n"
					"PORT   STATE SERVICE\n"
					"22/tcp open  ssh\n"
					"\n"
					"ringscan done: 1 IP address (1 host "
					"up) scanned in 1.00 seconds\n");
	free(sc.before);
	free(out);

	sc.c.cfg.xml_path = "-";
	out = capture_stdout(run_start_case, &sc);
	assert_int_equal(sc.start_ret, 0);
	assert_string_equal(sc.before, "");
	assert_null(strstr(out, "Starting ringscan"));
	free(sc.before);
	free(out);

	sc.c.cfg.xml_path = NULL;
	sc.c.cfg.normal_path = "-";
	out = capture_stdout(run_start_case, &sc);
	assert_string_equal(sc.before, "");
	assert_int_equal(count_substr(out, "Starting ringscan"), 1);
	assert_true(strncmp(out, "# ringscan 0.1.0 scan initiated ", 32) == 0);
	free(sc.before);
	free(out);

	sc.c.cfg.normal_path = NULL;
	sc.c.cfg.text_stdout = false;
	out = capture_stdout(run_start_case, &sc);
	assert_string_equal(sc.before, "");
	assert_string_equal(out, "");
	free(sc.before);
	free(out);
	scan_free(&s);
}

static void test_text_stdout(void **state)
{
	struct output_report rep = { .elapsed_s = 1,
				     .complete = true,
				     .start_time = START_TIME };
	struct stdout_case c = { .cfg = { .version = "0.1.0",
					  .command_line = "ringscan x" } };
	struct scan s;
	char *file = path_in("both.txt");
	char *out, *text;

	(void)state;
	scan_init(&s, "127.0.0.1", "22");
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	rep.targets = s.t;
	rep.ports = s.pl;
	rep.store = s.st;
	c.rep = &rep;
	c.svc = s.svc;

	/* -oN - with text on stdout too: printed once. */
	c.cfg.normal_path = "-";
	c.cfg.text_stdout = true;
	out = capture_stdout(run_stdout_case, &c);
	assert_int_equal(c.open_ret, 0);
	assert_int_equal(c.finish_ret, 0);
	assert_int_equal(c.close_ret, 0);
	assert_int_equal(count_substr(out, "Starting ringscan"), 1);
	assert_int_equal(count_substr(out, "22/tcp open  ssh\n"), 1);
	free(out);

	/* A file and stdout: both get the report; the file names the command
	 * (like nmap's -oN), the terminal does not need it. */
	c.cfg.normal_path = file;
	out = capture_stdout(run_stdout_case, &c);
	assert_int_equal(c.open_ret, 0);
	text = slurp(file);
	assert_string_equal(out, HEADER
			    "ringscan scan report for 127.0.0.1\n"
			    "Host is up.\n"
			    "\n"
			    "PORT   STATE SERVICE\n"
			    "22/tcp open  ssh\n"
			    "\n"
			    "ringscan done: 1 IP address (1 host up) scanned "
			    "in 1.00 seconds\n");
	assert_true(strncmp(text, "# ringscan 0.1.0 scan initiated ", 32) == 0);
	assert_string_equal(strchr(text, '\n') + 1, out);
	free(out);
	free(text);

	/* Only a file: nothing on stdout. */
	c.cfg.text_stdout = false;
	out = capture_stdout(run_stdout_case, &c);
	assert_string_equal(out, "");
	free(out);

	/* CSV on stdout ("-"). */
	c.cfg.normal_path = NULL;
	c.cfg.csv_path = "-";
	out = capture_stdout(run_stdout_case, &c);
	assert_string_equal(
		out, "host,port,proto,state,service,reason,rtt_ms,hostname\n");
	free(out);

	unlink(file);
	free(file);
	scan_free(&s);
}

/*
 * A /16 with two live hosts, every port: 2^32 cells, of which only two
 * hosts' pages were ever written.  The report must still count the silent
 * hosts' ports right (filtered) and list only the two live hosts.  (How
 * fast it skips untouched pages is a benchmark matter, not a test's.)
 */
static void test_report_sparse(void **state)
{
	struct scan s;
	char *text;

	(void)state;
	scan_init(&s, "127.1.0.0/16", "1-65535");
	scan_set(&s, "127.1.0.7", 80, STORE_OPEN);
	scan_set(&s, "127.1.200.9", 443, STORE_OPEN);
	scan_set(&s, "127.1.200.9", 22, STORE_CLOSED);
	text = render(&s, false, true, 9.87);
	assert_int_equal(count_substr(text, "scan report for"), 2);
	assert_non_null(strstr(text, "scan report for 127.1.0.7\n"
				     "Host is up.\n"
				     "Not shown: 65534 filtered tcp ports "
				     "(no-response)\n"
				     "PORT   STATE SERVICE\n"
				     "80/tcp open  http\n\n"));
	assert_non_null(strstr(text, "scan report for 127.1.200.9\n"
				     "Host is up.\n"
				     "Not shown: 1 closed tcp port "
				     "(conn-refused), 65533 filtered tcp ports "
				     "(no-response)\n"
				     "PORT    STATE SERVICE\n"
				     "443/tcp open  https\n\n"));
	assert_non_null(strstr(text, "ringscan done: 65536 IP addresses (2 "
				     "hosts up) scanned in 9.87 seconds\n"));
	free(text);
	scan_free(&s);
}

/* ---- XML report ---- */

/* ctime(3) layout of START_TIME, and of START_TIME + 2 s (elapsed 1.5). */
#define XML_START "Tue Jan  2 03:04:00 2024"
#define XML_END "Tue Jan  2 03:04:02 2024"

#define XML_HEAD(args, nsvc, svcs)                                            \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                        \
	"<!DOCTYPE nmaprun>\n"                                                \
	"<!-- ringscan 0.1.0 scan initiated " XML_START " as: " args " -->\n" \
	"<nmaprun scanner=\"nmap\" args=\"" args "\" start=\"1704164640\" "   \
	"startstr=\"" XML_START "\" version=\"0.1.0\" "                       \
	"xmloutputversion=\"1.05\">\n"                                        \
	"<scaninfo type=\"connect\" protocol=\"tcp\" numservices=\"" nsvc     \
	"\" services=\"" svcs "\"/>\n"                                        \
	"<verbose level=\"0\"/>\n"                                            \
	"<debugging level=\"0\"/>\n"

#define XML_HOST(reason, addr, type)                                     \
	"<host starttime=\"1704164640\" endtime=\"1704164642\"><status " \
	"state=\"up\" reason=\"" reason "\" reason_ttl=\"0\"/>\n"        \
	"<address addr=\"" addr "\" addrtype=\"" type "\"/>\n"           \
	"<hostnames>\n"                                                  \
	"</hostnames>\n"                                                 \
	"<ports>"

#define XML_PORT(id, state, reason, service)                                  \
	"<port protocol=\"tcp\" portid=\"" id "\"><state state=\"" state      \
	"\" reason=\"" reason "\" reason_ttl=\"0\"/><service name=\"" service \
	"\" method=\"table\" conf=\"3\"/></port>\n"

#define XML_CLOSED(count, ports)                               \
	"<extraports state=\"closed\" count=\"" count "\">\n"  \
	"<extrareasons reason=\"conn-refused\" count=\"" count \
	"\" proto=\"tcp\" ports=\"" ports "\"/>\n"             \
	"</extraports>\n"

#define XML_HOST_END "</ports>\n</host>\n"

#define XML_TAIL(summary, exit, up, down, total)                         \
	"<runstats><finished time=\"1704164642\" timestr=\"" XML_END     \
	"\" summary=\"ringscan done at " XML_END "; " summary            \
	" scanned in 1.50 seconds\" elapsed=\"1.50\" exit=\"" exit "/>"  \
	"<hosts up=\"" up "\" down=\"" down "\" total=\"" total "\"/>\n" \
	"</runstats>\n"                                                  \
	"</nmaprun>\n"

/*
 * Goldens built from the macros above are arrays of parts, one part a
 * line of source, joined here: a chain of juxtaposed macro calls is more
 * than the formatter can lay out.
 */
static char *join(const char *const *parts, size_t n)
{
	size_t len = 0, i;
	char *s, *p;

	for (i = 0; i < n; i++)
		len += strlen(parts[i]);
	s = malloc(len + 1);
	assert_non_null(s);
	p = s;
	*p = '\0';
	for (i = 0; i < n; i++)
		p = stpcpy(p, parts[i]);
	return s;
}

#define assert_parts_equal(text, parts)                                      \
	do {                                                                 \
		char *want_ = join(parts, sizeof(parts) / sizeof(parts[0])); \
		assert_string_equal(text, want_);                            \
		free(want_);                                                 \
	} while (0)

#define assert_parts_found(text, parts)                                      \
	do {                                                                 \
		char *want_ = join(parts, sizeof(parts) / sizeof(parts[0])); \
		assert_non_null(strstr(text, want_));                        \
		free(want_);                                                 \
	} while (0)

/*
 * The text report's golden scan, as nmap would lay it out: the closed port
 * summarized with its port list, the one filtered port listed, the silent
 * host left out but counted down.  Written out in full, without the
 * macros the other tests use, so the whole layout is pinned once.
 */
static void test_xml_golden(void **state)
{
	struct scan s;
	char *text;

	(void)state;
	scan_init(&s, "127.0.0.1-3", "22,25,80,443,8080");
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	scan_set(&s, "127.0.0.1", 25, STORE_CLOSED);
	scan_set(&s, "127.0.0.1", 80, STORE_OPEN);
	scan_set(&s, "127.0.0.1", 8080, STORE_OPEN);
	scan_set_range(&s, "127.0.0.3", 22, 22, STORE_CLOSED);
	scan_set(&s, "127.0.0.3", 25, STORE_CLOSED);
	scan_set(&s, "127.0.0.3", 80, STORE_CLOSED);
	scan_set(&s, "127.0.0.3", 443, STORE_CLOSED);
	scan_set(&s, "127.0.0.3", 8080, STORE_CLOSED);
	text = render_fmt(&s, FMT_XML, false, true, 1.5,
			  "ringscan -oX out.xml 127.0.0.1-3");
	assert_string_equal(
		text,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<!DOCTYPE nmaprun>\n"
		"<!-- ringscan 0.1.0 scan initiated Tue Jan  2 03:04:00 2024 "
		"as: ringscan -oX out.xml 127.0.0.1-3 -->\n"
		"<nmaprun scanner=\"nmap\" args=\"ringscan -oX out.xml "
		"127.0.0.1-3\" start=\"1704164640\" startstr=\"Tue Jan  2 "
		"03:04:00 2024\" version=\"0.1.0\" xmloutputversion=\"1.05\">\n"
		"<scaninfo type=\"connect\" protocol=\"tcp\" numservices=\"5\" "
		"services=\"22,25,80,443,8080\"/>\n"
		"<verbose level=\"0\"/>\n"
		"<debugging level=\"0\"/>\n"
		"<host starttime=\"1704164640\" endtime=\"1704164642\"><status "
		"state=\"up\" reason=\"syn-ack\" reason_ttl=\"0\"/>\n"
		"<address addr=\"127.0.0.1\" addrtype=\"ipv4\"/>\n"
		"<hostnames>\n"
		"</hostnames>\n"
		"<ports><extraports state=\"closed\" count=\"1\">\n"
		"<extrareasons reason=\"conn-refused\" count=\"1\" "
		"proto=\"tcp\" ports=\"25\"/>\n"
		"</extraports>\n"
		"<port protocol=\"tcp\" portid=\"22\"><state state=\"open\" "
		"reason=\"syn-ack\" reason_ttl=\"0\"/><service name=\"ssh\" "
		"method=\"table\" conf=\"3\"/></port>\n"
		"<port protocol=\"tcp\" portid=\"80\"><state state=\"open\" "
		"reason=\"syn-ack\" reason_ttl=\"0\"/><service name=\"http\" "
		"method=\"table\" conf=\"3\"/></port>\n"
		"<port protocol=\"tcp\" portid=\"443\"><state "
		"state=\"filtered\" reason=\"no-response\" reason_ttl=\"0\"/>"
		"<service name=\"https\" method=\"table\" conf=\"3\"/></port>\n"
		"<port protocol=\"tcp\" portid=\"8080\"><state state=\"open\" "
		"reason=\"syn-ack\" reason_ttl=\"0\"/><service "
		"name=\"http-alt\" method=\"table\" conf=\"3\"/></port>\n"
		"</ports>\n"
		"</host>\n"
		"<host starttime=\"1704164640\" endtime=\"1704164642\"><status "
		"state=\"up\" reason=\"conn-refused\" reason_ttl=\"0\"/>\n"
		"<address addr=\"127.0.0.3\" addrtype=\"ipv4\"/>\n"
		"<hostnames>\n"
		"</hostnames>\n"
		"<ports><extraports state=\"closed\" count=\"5\">\n"
		"<extrareasons reason=\"conn-refused\" count=\"5\" "
		"proto=\"tcp\" ports=\"22,25,80,443,8080\"/>\n"
		"</extraports>\n"
		"</ports>\n"
		"</host>\n"
		"<runstats><finished time=\"1704164642\" timestr=\"Tue Jan  2 "
		"03:04:02 2024\" summary=\"ringscan done at Tue Jan  2 "
		"03:04:02 2024; 3 IP addresses (2 hosts up) scanned in 1.50 "
		"seconds\" elapsed=\"1.50\" exit=\"success\"/><hosts up=\"2\" "
		"down=\"1\" total=\"3\"/>\n"
		"</runstats>\n"
		"</nmaprun>\n");
	free(text);
	scan_free(&s);
}

/*
 * Past OUTPUT_MAX_LISTED, filtered ports become one <extraports> with a
 * reason each (nmap's one-element-per-state rule: ndiff warns on two
 * extraports of one state); at or under it they are listed with their
 * reason.  IPv6 hosts say so, and the service list is compressed.
 */
static void test_xml_summaries(void **state)
{
	static const char *const want[] = {
		XML_HEAD("ringscan", "42", "1-40,1000,65535"),
		XML_HOST("syn-ack", "127.0.0.1", "ipv4"),
		XML_CLOSED("1", "1"),
		"<extraports state=\"filtered\" count=\"40\">\n"
		"<extrareasons reason=\"no-response\" count=\"35\" "
		"proto=\"tcp\" ports=\"2-21,23-29,35-40,1000,65535\"/>\n"
		"<extrareasons reason=\"host-unreach\" count=\"5\" "
		"proto=\"tcp\" ports=\"30-34\"/>\n"
		"</extraports>\n",
		XML_PORT("22", "open", "syn-ack", "ssh"),
		XML_HOST_END,
		XML_HOST("syn-ack", "::1", "ipv6"),
		XML_CLOSED("40", "1-40"),
		XML_PORT("1000", "filtered", "host-unreach", "evil,name"),
		XML_PORT("65535", "open", "syn-ack", "unknown"),
		XML_HOST_END,
		XML_TAIL("3 IP addresses (2 hosts up)", "success\"", "2", "1",
			 "3"),
	};
	struct scan s;
	char *text;

	(void)state;
	scan_init(&s, "::1 127.0.0.1-2", "1-40,1000,65535");
	scan_set(&s, "127.0.0.1", 1, STORE_CLOSED);
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	scan_set_range(&s, "127.0.0.1", 30, 34, STORE_UNREACH);
	scan_set_range(&s, "::1", 1, 40, STORE_CLOSED);
	scan_set(&s, "::1", 1000, STORE_UNREACH);
	scan_set(&s, "::1", 65535, STORE_OPEN);
	text = render_fmt(&s, FMT_XML, false, true, 1.5, "ringscan");
	assert_parts_equal(text, want);
	free(text);
	scan_free(&s);
}

/*
 * --open: hosts without an open port are left out but still counted up,
 * and every other state is summarized, few or many, as nmap does.
 */
static void test_xml_open_only(void **state)
{
	static const char *const want[] = {
		XML_HEAD("ringscan -&#45;open", "4", "21-22,25,80"),
		XML_HOST("syn-ack", "127.0.0.1", "ipv4"),
		XML_CLOSED("1", "21"),
		"<extraports state=\"filtered\" count=\"2\">\n"
		"<extrareasons reason=\"no-response\" count=\"1\" "
		"proto=\"tcp\" ports=\"80\"/>\n"
		"<extrareasons reason=\"host-unreach\" count=\"1\" "
		"proto=\"tcp\" ports=\"25\"/>\n"
		"</extraports>\n",
		XML_PORT("22", "open", "syn-ack", "ssh"),
		XML_HOST_END,
		XML_HOST("syn-ack", "127.0.0.3", "ipv4"),
		"<extraports state=\"filtered\" count=\"3\">\n"
		"<extrareasons reason=\"no-response\" count=\"3\" "
		"proto=\"tcp\" ports=\"21-22,25\"/>\n"
		"</extraports>\n",
		XML_PORT("80", "open", "syn-ack", "http"),
		XML_HOST_END,
		XML_TAIL("3 IP addresses (3 hosts up)", "success\"", "3", "0",
			 "3"),
	};
	struct scan s;
	char *text;

	(void)state;
	scan_init(&s, "127.0.0.1-3", "21,22,25,80");
	scan_set(&s, "127.0.0.1", 21, STORE_CLOSED);
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	scan_set(&s, "127.0.0.1", 25, STORE_UNREACH);
	scan_set(&s, "127.0.0.2", 21, STORE_CLOSED);
	scan_set(&s, "127.0.0.3", 80, STORE_OPEN);
	text = render_fmt(&s, FMT_XML, true, true, 1.5, "ringscan --open");
	assert_parts_equal(text, want);
	free(text);
	scan_free(&s);
}

/*
 * Interrupted: unanswered ports are unknown - neither listed nor counted -
 * and runstats says the run failed, as the DTD allows (exit="error" with
 * an errormsg).
 */
static void test_xml_interrupted(void **state)
{
	static const char *const want[] = {
		XML_HEAD("ringscan", "4", "21-22,25,80"),
		XML_HOST("syn-ack", "127.0.0.1", "ipv4"),
		XML_CLOSED("1", "21"),
		XML_PORT("22", "open", "syn-ack", "ssh"),
		XML_PORT("25", "filtered", "host-unreach", "smtp"),
		XML_HOST_END,
		XML_HOST("conn-refused", "127.0.0.2", "ipv4"),
		XML_CLOSED("2", "21-22"),
		XML_HOST_END,
		XML_TAIL("2 IP addresses (2 hosts up)",
			 "error\" errormsg=\"interrupted\"", "2", "0", "2"),
	};
	struct scan s;
	char *text;

	(void)state;
	scan_init(&s, "127.0.0.1-2", "21,22,25,80");
	scan_set(&s, "127.0.0.1", 21, STORE_CLOSED);
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	scan_set(&s, "127.0.0.1", 25, STORE_UNREACH);
	scan_set(&s, "127.0.0.2", 21, STORE_CLOSED);
	scan_set(&s, "127.0.0.2", 22, STORE_CLOSED);
	text = render_fmt(&s, FMT_XML, false, false, 1.5, "ringscan");
	assert_parts_equal(text, want);
	free(text);
	scan_free(&s);
}

/* Nobody answered: no <host> at all, and the counts still add up. */
static void test_xml_no_host_up(void **state)
{
	static const char *const want[] = {
		XML_HEAD("ringscan", "1", "22"),
		XML_TAIL("1 IP address (0 hosts up)", "success\"", "0", "1",
			 "1"),
	};
	struct scan s;
	char *text;

	(void)state;
	scan_init(&s, "127.0.0.1", "22");
	text = render_fmt(&s, FMT_XML, false, true, 1.5, "ringscan");
	assert_parts_equal(text, want);
	free(text);
	scan_free(&s);
}

/* Valid UTF-8 with no character XML 1.0 refuses (controls but LF, FFFE/F). */
/*
 * --banners/-sV: identified fields and raw banners through every writer -
 * the text report's VERSION column (and a |_banner: line only for the
 * banner nothing identified), XML <service> method="probed" with nmap's
 * attributes and the banner script, the grepable version field, the CSV's
 * three appended columns and the JSON fields.  Raw bytes come out in
 * escape_banner_copy's form.
 */
static void test_banners_identified(void **state)
{
	static const uint8_t ssh[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
	static const uint8_t http[] = "HTTP/1.0 200 OK\r\n\x1b[0m";
	struct banner_rec rec[2] = {
		{ .raw = ssh, .raw_len = sizeof(ssh) - 1 },
		{ .raw = http, .raw_len = sizeof(http) - 1 },
	};
	struct output_config cfg = {
		.version = "0.1.0",
		.states = OUTPUT_ST_OPEN,
		.banners = true,
		.version_col = true,
	};
	struct rs_error err = { 0 };
	struct bannerstore *bs;
	struct output_report rep;
	struct output *o;
	struct scan s;
	char *paths[5], *text[5];
	const char *names[5] = { "b.nmap", "b.xml", "b.gnmap", "b.csv",
				 "b.json" };
	uint16_t ports[2] = { 22, 80 };

	(void)state;
	rec[0].field[BANNER_SERVICE] = "ssh";
	rec[0].field[BANNER_PRODUCT] = "OpenSSH";
	rec[0].field[BANNER_VERSION] = "9.2p1 Debian 2";
	rec[0].field[BANNER_EXTRAINFO] = "protocol 2.0";
	rec[0].field[BANNER_OSTYPE] = "Linux";
	scan_init(&s, "127.0.0.1", "22,80");
	assert_int_equal(bannerstore_new(&bs, 0), 0);
	for (int i = 0; i < 5; i++)
		paths[i] = path_in(names[i]);
	cfg.normal_path = paths[0];
	cfg.xml_path = paths[1];
	cfg.grep_path = paths[2];
	cfg.csv_path = paths[3];
	cfg.json_path = paths[4];
	assert_int_equal(output_open(&o, &cfg, s.svc, &err), 0);
	for (int i = 0; i < 2; i++) {
		struct rs_addr a;
		struct output_result r = {
			.addr = &a,
			.port = ports[i],
			.proto = RS_TCP,
			.state = OUT_OPEN,
			.reason = "syn-ack",
			.rtt_us = 42,
			.banner = &rec[i],
		};

		assert_int_equal(addr_parse("127.0.0.1", &a), 0);
		scan_set(&s, "127.0.0.1", ports[i], STORE_OPEN);
		assert_int_equal(bannerstore_put(bs, (uint64_t)i, &rec[i]), 0);
		assert_int_equal(output_result(o, &r), 0);
	}
	rep = (struct output_report){
		.targets = s.t,
		.ports = s.pl,
		.store = s.st,
		.elapsed_s = 1,
		.complete = true,
		.start_time = START_TIME,
		.banners = bs,
	};
	assert_int_equal(output_finish(o, &rep), 0);
	assert_int_equal(output_close(o), 0);
	for (int i = 0; i < 5; i++) {
		text[i] = slurp(paths[i]);
		unlink(paths[i]);
		free(paths[i]);
	}
	assert_non_null(strstr(
		text[0],
		"PORT   STATE SERVICE VERSION\n"
		"22/tcp open  ssh     OpenSSH 9.2p1 Debian 2 (protocol 2.0)\n"
		"80/tcp open  http\n"
		"|_banner: HTTP/1.0 200 OK\\x0D\\x0A\\x1B[0m\n\n"));
	assert_non_null(strstr(
		text[1],
		"<service name=\"ssh\" product=\"OpenSSH\" version=\"9.2p1 "
		"Debian 2\" extrainfo=\"protocol 2.0\" ostype=\"Linux\" "
		"method=\"probed\" conf=\"10\"/><script id=\"banner\" "
		"output=\"SSH-2.0-OpenSSH_9.2p1 Debian-2\"/></port>\n"));
	assert_non_null(strstr(
		text[1], "<service name=\"http\" method=\"table\" conf=\"3\"/>"
			 "<script id=\"banner\" output=\"HTTP/1.0 200 "
			 "OK\\x0D\\x0A\\x1B[0m\"/></port>\n"));
	assert_non_null(strstr(
		text[2], "Ports: 22/open/tcp//ssh//OpenSSH 9.2p1 Debian 2 "
			 "(protocol 2.0)/, 80/open/tcp//http///\n"));
	assert_string_equal(
		text[3],
		"host,port,proto,state,service,reason,rtt_ms,hostname,banner,"
		"product,version\n"
		"127.0.0.1,22,tcp,open,ssh,syn-ack,0.042,,"
		"SSH-2.0-OpenSSH_9.2p1 Debian-2,OpenSSH,9.2p1 Debian 2\n"
		"127.0.0.1,80,tcp,open,http,syn-ack,0.042,,"
		"HTTP/1.0 200 OK\\x0D\\x0A\\x1B[0m,,\n");
	assert_string_equal(
		text[4],
		"{\"host\":\"127.0.0.1\",\"port\":22,\"proto\":\"tcp\","
		"\"state\":\"open\",\"service\":\"ssh\",\"reason\":\"syn-ack\","
		"\"rtt_ms\":0.042,\"banner\":\"SSH-2.0-OpenSSH_9.2p1 Debian-2\","
		"\"service_name\":\"ssh\",\"product\":\"OpenSSH\","
		"\"version\":\"9.2p1 Debian 2\",\"extrainfo\":\"protocol 2.0\","
		"\"ostype\":\"Linux\"}\n"
		"{\"host\":\"127.0.0.1\",\"port\":80,\"proto\":\"tcp\","
		"\"state\":\"open\",\"service\":\"http\",\"reason\":\"syn-ack\","
		"\"rtt_ms\":0.042,\"banner\":\"HTTP/1.0 200 "
		"OK\\\\x0D\\\\x0A\\\\x1B[0m\"}\n");
	for (int i = 0; i < 5; i++)
		free(text[i]);
	bannerstore_free(bs);
	scan_free(&s);
}

static bool xml_chars_ok(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;

	while (*s) {
		size_t n = 1, i;

		if (*s < 0x80) {
			if (*s < 0x20 && *s != '\n')
				return false;
			s++;
			continue;
		}
		if (*s >= 0xc2 && *s <= 0xdf)
			n = 2;
		else if (*s >= 0xe0 && *s <= 0xef)
			n = 3;
		else if (*s >= 0xf0 && *s <= 0xf4)
			n = 4;
		else
			return false;
		for (i = 1; i < n; i++)
			if ((s[i] & 0xc0) != 0x80)
				return false;
		if (n == 3 && s[0] == 0xef && s[1] == 0xbf && s[2] >= 0xbe)
			return false;
		s += n;
	}
	return true;
}

/*
 * A hostile services file and command line: markup characters become
 * entities, line breaks character references, "--" cannot close or break
 * the comment, and what XML cannot carry at all (C0 controls, bytes that
 * are not UTF-8, U+FFFF) becomes U+FFFD, so the document always parses.
 */
static void test_xml_escaping(void **state)
{
	static const char *const names[] = {
		"evil,name",
		"say&quot;hi&quot;",
		"back\\slash",
		"ctl\xef\xbf\xbd\xef\xbf\xbd&#127;x",
		"caf\xc3\xa9",
		"bad\xef\xbf\xbd\xef\xbf\xbd(",
		"sl/a,sh",
		"a&lt;b&gt;&amp;c&apos;",
		"non\xef\xbf\xbd"
		"char",
		"d-&#45;x-",
	};
	struct scan s;
	char *text, *want, *body;
	const char *c0, *c1;
	size_t i;

	(void)state;
	scan_init(&s, "127.0.0.1", "1000-1009");
	scan_set_range(&s, "127.0.0.1", 1000, 1009, STORE_OPEN);
	text = render_fmt(&s, FMT_XML, false, true, 1.5,
			  "ringscan --open -oX 'a&b' \"<c>\"\n\t\x01\x7f "
			  "caf\xc3\xa9 bad\xff ---x-");
	assert_true(xml_chars_ok(text));
	assert_non_null(strstr(
		text, "<!-- ringscan 0.1.0 scan initiated " XML_START
		      " as: ringscan -&#45;open -oX &apos;a&amp;b&apos; "
		      "&quot;&lt;c&gt;&quot;&#10;&#9;\xef\xbf\xbd&#127; "
		      "caf\xc3\xa9 bad\xef\xbf\xbd -&#45;&#45;x- -->\n"));
	assert_non_null(strstr(
		text, " args=\"ringscan -&#45;open -oX &apos;a&amp;b&apos; "
		      "&quot;&lt;c&gt;&quot;&#10;&#9;\xef\xbf\xbd&#127; "
		      "caf\xc3\xa9 bad\xef\xbf\xbd -&#45;&#45;x-\" "));
	/* The comment's body holds no "--" that would end or break it. */
	c0 = strstr(text, "<!--");
	assert_non_null(c0);
	c1 = strstr(c0 + 4, "-->");
	assert_non_null(c1);
	body = strndup(c0 + 4, (size_t)(c1 - c0 - 4));
	assert_non_null(body);
	assert_null(strstr(body, "--"));
	free(body);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_true(asprintf(&want,
				     "<port protocol=\"tcp\" portid=\"%zu\">"
				     "<state state=\"open\" reason=\"syn-ack\" "
				     "reason_ttl=\"0\"/><service name=\"%s\" "
				     "method=\"table\" conf=\"3\"/></port>\n",
				     1000 + i, names[i]) > 0);
		assert_non_null(strstr(text, want));
		free(want);
	}
	free(text);
	scan_free(&s);
}

/*
 * A /16 with two live hosts over every port: the silent hosts are counted
 * down without being visited, and each live host's 65534 silent ports
 * come out as one compressed range list.
 */
static void test_xml_sparse(void **state)
{
	static const char *const host7[] = {
		XML_HOST("syn-ack", "127.1.0.7", "ipv4"),
		"<extraports state=\"filtered\" count=\"65534\">\n"
		"<extrareasons reason=\"no-response\" count=\"65534\" "
		"proto=\"tcp\" ports=\"1-79,81-65535\"/>\n"
		"</extraports>\n",
		XML_PORT("80", "open", "syn-ack", "http"),
		XML_HOST_END,
	};
	static const char *const host9[] = {
		XML_HOST("syn-ack", "127.1.200.9", "ipv4"),
		XML_CLOSED("1", "22"),
		"<extraports state=\"filtered\" count=\"65533\">\n"
		"<extrareasons reason=\"no-response\" count=\"65533\" "
		"proto=\"tcp\" ports=\"1-21,23-442,444-65535\"/>\n"
		"</extraports>\n",
		XML_PORT("443", "open", "syn-ack", "https"),
		XML_HOST_END,
	};
	struct scan s;
	char *text;

	(void)state;
	scan_init(&s, "127.1.0.0/16", "1-65535");
	scan_set(&s, "127.1.0.7", 80, STORE_OPEN);
	scan_set(&s, "127.1.200.9", 443, STORE_OPEN);
	scan_set(&s, "127.1.200.9", 22, STORE_CLOSED);
	text = render_fmt(&s, FMT_XML, false, true, 1.5, "ringscan");
	assert_true(xml_chars_ok(text));
	assert_int_equal(count_substr(text, "<host "), 2);
	assert_non_null(strstr(text, "services=\"1-65535\"/>\n"));
	assert_parts_found(text, host7);
	assert_parts_found(text, host9);
	assert_non_null(strstr(text, "<hosts up=\"2\" down=\"65534\" "
				     "total=\"65536\"/>\n"));

	free(text);
	text = render_fmt(&s, FMT_GREP, false, true, 1.5, "ringscan");
	assert_non_null(strstr(text, "Host: 127.1.0.7 ()\tPorts: "
				     "80/open/tcp//http///\tIgnored State: "
				     "filtered (65534)\n"));
	assert_non_null(strstr(text, "Host: 127.1.200.9 ()\tPorts: "
				     "443/open/tcp//https///\n"));
	assert_non_null(strstr(text, "-- 65536 IP addresses (2 hosts up) "));
	free(text);
	scan_free(&s);
}

/* ---- grepable report ---- */

#define GREP_HEAD(cmd) \
	"# ringscan 0.1.0 scan initiated " XML_START " as: " cmd "\n"
#define GREP_TAIL(summary)                           \
	"# ringscan done at " XML_END " -- " summary \
	" scanned in 1.50 seconds\n"

static void test_grep_golden(void **state)
{
	struct scan s;
	char *text;

	(void)state;
	scan_init(&s, "127.0.0.1-3", "22,25,80,443,8080");
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	scan_set(&s, "127.0.0.1", 25, STORE_CLOSED);
	scan_set(&s, "127.0.0.1", 80, STORE_OPEN);
	scan_set(&s, "127.0.0.1", 8080, STORE_OPEN);
	scan_set_range(&s, "127.0.0.3", 22, 22, STORE_CLOSED);
	scan_set(&s, "127.0.0.3", 25, STORE_CLOSED);
	scan_set(&s, "127.0.0.3", 80, STORE_CLOSED);
	scan_set(&s, "127.0.0.3", 443, STORE_CLOSED);
	scan_set(&s, "127.0.0.3", 8080, STORE_CLOSED);
	text = render_fmt(&s, FMT_GREP, false, true, 1.5,
			  "ringscan -oG - 127.0.0.1-3");
	assert_string_equal(
		text,
		"# ringscan 0.1.0 scan initiated Tue Jan  2 03:04:00 2024 as: "
		"ringscan -oG - 127.0.0.1-3\n"
		"Host: 127.0.0.1 ()\tStatus: Up\n"
		"Host: 127.0.0.1 ()\tPorts: 22/open/tcp//ssh///, "
		"80/open/tcp//http///, 443/filtered/tcp//https///, "
		"8080/open/tcp//http-alt///\tIgnored State: closed (1)\n"
		"Host: 127.0.0.3 ()\tStatus: Up\n"
		"Host: 127.0.0.3 ()\tPorts: \tIgnored State: closed (5)\n"
		"# ringscan done at Tue Jan  2 03:04:02 2024 -- 3 IP "
		"addresses (2 hosts up) scanned in 1.50 seconds\n");
	free(text);
	scan_free(&s);
}

/*
 * "Ignored State" names one state or none: closed alone, filtered alone,
 * or nothing when both were summarized (nmap's rule).  IPv6 hosts and the
 * interrupted note as in the text report.
 */
static void test_grep_ignored_states(void **state)
{
	static const char *const both[] = {
		GREP_HEAD("ringscan"),
		"Host: 127.0.0.1 ()\tStatus: Up\n"
		"Host: 127.0.0.1 ()\tPorts: 22/open/tcp//ssh///\n"
		"Host: ::1 ()\tStatus: Up\n"
		"Host: ::1 ()\tPorts: 1000/filtered/tcp//evil|name///, "
		"65535/open/tcp//unknown///\tIgnored State: closed (40)\n",
		GREP_TAIL("3 IP addresses (2 hosts up)"),
	};
	static const char *const open_only[] = {
		GREP_HEAD("ringscan --open"),
		"Host: 127.0.0.1 ()\tStatus: Up\n"
		"Host: 127.0.0.1 ()\tPorts: 22/open/tcp//ssh///\n"
		"Host: 127.0.0.3 ()\tStatus: Up\n"
		"Host: 127.0.0.3 ()\tPorts: 80/open/tcp//http///\t"
		"Ignored State: filtered (3)\n",
		GREP_TAIL("3 IP addresses (3 hosts up)"),
	};
	static const char *const interrupted[] = {
		GREP_HEAD("ringscan"),
		"Host: 127.0.0.1 ()\tStatus: Up\n"
		"Host: 127.0.0.1 ()\tPorts: 22/open/tcp//ssh///, "
		"25/filtered/tcp//smtp///\tIgnored State: closed (1)\n"
		"Host: 127.0.0.2 ()\tStatus: Up\n"
		"Host: 127.0.0.2 ()\tPorts: \tIgnored State: closed (1)\n"
		"Host: 127.0.0.3 ()\tStatus: Up\n"
		"Host: 127.0.0.3 ()\tPorts: 80/open/tcp//http///\n"
		"# Scan interrupted: ports that had not answered are unknown, "
		"not filtered, and are not reported.\n",
		GREP_TAIL("3 IP addresses (3 hosts up)"),
	};
	struct scan s;
	char *text;

	(void)state;
	scan_init(&s, "::1 127.0.0.1-2", "1-40,1000,65535");
	scan_set(&s, "127.0.0.1", 1, STORE_CLOSED);
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	scan_set_range(&s, "127.0.0.1", 30, 34, STORE_UNREACH);
	scan_set_range(&s, "::1", 1, 40, STORE_CLOSED);
	scan_set(&s, "::1", 1000, STORE_UNREACH);
	scan_set(&s, "::1", 65535, STORE_OPEN);
	text = render_fmt(&s, FMT_GREP, false, true, 1.5, "ringscan");
	assert_parts_equal(text, both);
	free(text);
	scan_free(&s);

	scan_init(&s, "127.0.0.1-3", "21,22,25,80");
	scan_set(&s, "127.0.0.1", 21, STORE_CLOSED);
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	scan_set(&s, "127.0.0.1", 25, STORE_UNREACH);
	scan_set(&s, "127.0.0.2", 21, STORE_CLOSED);
	scan_set(&s, "127.0.0.3", 80, STORE_OPEN);
	text = render_fmt(&s, FMT_GREP, true, true, 1.5, "ringscan --open");
	assert_parts_equal(text, open_only);
	free(text);

	/* Interrupted: .1's silent 80 is unknown, not filtered. */
	text = render_fmt(&s, FMT_GREP, false, false, 1.5, "ringscan");
	assert_parts_equal(text, interrupted);
	free(text);
	scan_free(&s);
}

/*
 * Fields must still split: '/' and ',' in names become '|', control bytes
 * '?', and a newline or tab in the command line cannot start a line.
 */
static void test_grep_sanitized(void **state)
{
	static const char *const want[] = {
		GREP_HEAD("ringscan?Host: 6.6.6.6 ()?Status: Up"),
		"Host: 127.0.0.1 ()\tStatus: Up\n"
		"Host: 127.0.0.1 ()\tPorts: 1000/open/tcp//evil|name///, "
		"1001/open/tcp//say\"hi\"///, 1002/open/tcp//back\\slash///, "
		"1003/open/tcp//ctl???x///, 1004/open/tcp//caf\xc3\xa9///, "
		"1005/open/tcp//bad\xff\xc3(///, 1006/open/tcp//sl|a|sh///, "
		"1007/open/tcp//a<b>&c'///, 1008/open/tcp//non\xef\xbf\xbf"
		"char///, 1009/open/tcp//d--x-///\n",
		GREP_TAIL("1 IP address (1 host up)"),
	};
	struct scan s;
	char *text;

	(void)state;
	scan_init(&s, "127.0.0.1", "1000-1009");
	scan_set_range(&s, "127.0.0.1", 1000, 1009, STORE_OPEN);
	text = render_fmt(&s, FMT_GREP, false, true, 1.5,
			  "ringscan\nHost: 6.6.6.6 ()\tStatus: Up");
	assert_parts_equal(text, want);
	assert_int_equal(count_lines(text), 4);
	free(text);
	scan_free(&s);
}

/* ---- every writer at once ---- */

/*
 * -oA opens text, XML, grepable and CSV together (JSON may come too): all
 * are written, each whole, and every descriptor is closed.  A failing
 * last path unwinds all the others.
 */
static void test_all_writers(void **state)
{
	struct output_report rep = { .elapsed_s = 1.5,
				     .complete = true,
				     .start_time = START_TIME };
	struct output_config cfg = { .version = "0.1.0",
				     .command_line = "ringscan -oA all",
				     .states = OUTPUT_ST_OPEN };
	struct rs_error err = { 0 };
	struct output *o = NULL;
	char *paths[5], *text;
	int fds = count_fds();
	struct scan s;
	size_t i;

	(void)state;
	scan_init(&s, "127.0.0.1", "22");
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	rep.targets = s.t;
	rep.ports = s.pl;
	rep.store = s.st;
	paths[0] = path_in("all.nmap");
	paths[1] = path_in("all.csv");
	paths[2] = path_in("all.json");
	paths[3] = path_in("all.xml");
	paths[4] = path_in("all.gnmap");
	cfg.normal_path = paths[0];
	cfg.csv_path = paths[1];
	cfg.json_path = paths[2];
	cfg.xml_path = paths[3];
	cfg.grep_path = paths[4];
	assert_int_equal(output_open(&o, &cfg, s.svc, &err), 0);
	emit(o, "127.0.0.1", 22, OUT_OPEN, "syn-ack", 7);
	assert_int_equal(output_finish(o, &rep), 0);
	assert_int_equal(output_close(o), 0);
	assert_int_equal(count_fds(), fds);

	text = slurp(paths[0]);
	assert_non_null(strstr(text, "22/tcp open  ssh\n"));
	free(text);
	text = slurp(paths[1]);
	assert_string_equal(
		text, "host,port,proto,state,service,reason,rtt_ms,hostname\n"
		      "127.0.0.1,22,tcp,open,ssh,syn-ack,0.007,\n");
	free(text);
	text = slurp(paths[2]);
	assert_int_equal(count_lines(text), 1);
	free(text);
	text = slurp(paths[3]);
	assert_non_null(strstr(text, XML_PORT("22", "open", "syn-ack", "ssh")));
	assert_non_null(strstr(text, "</nmaprun>\n"));
	free(text);
	text = slurp(paths[4]);
	assert_non_null(strstr(text, "Host: 127.0.0.1 ()\tPorts: "
				     "22/open/tcp//ssh///\n"));
	free(text);

	/* The grepable path fails last: the four before it are closed. */
	cfg.grep_path = "/nonexistent/dir/all.gnmap";
	o = NULL;
	assert_int_equal(output_open(&o, &cfg, s.svc, &err), -ENOENT);
	assert_string_equal(err.token, "/nonexistent/dir/all.gnmap");
	assert_null(o);
	assert_int_equal(count_fds(), fds);
	cfg.grep_path = NULL;
	cfg.xml_path = "/nonexistent/dir/all.xml";
	memset(&err, 0, sizeof(err));
	assert_int_equal(output_open(&o, &cfg, s.svc, &err), -ENOENT);
	assert_string_equal(err.token, "/nonexistent/dir/all.xml");
	assert_int_equal(count_fds(), fds);

	for (i = 0; i < 5; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
	scan_free(&s);
}

/* -oX - or -oG -: stdout carries that format alone, no text mixed in. */
static void test_xml_grep_stdout(void **state)
{
	static const char *const grep_want[] = {
		GREP_HEAD("ringscan"),
		"Host: 127.0.0.1 ()\tStatus: Up\n"
		"Host: 127.0.0.1 ()\tPorts: 22/open/tcp//ssh///\n",
		GREP_TAIL("1 IP address (1 host up)"),
	};
	struct output_report rep = { .elapsed_s = 1.5,
				     .complete = true,
				     .start_time = START_TIME };
	struct stdout_case c = { .cfg = { .version = "0.1.0",
					  .command_line = "ringscan",
					  .text_stdout = true } };
	struct scan s;
	char *out;

	(void)state;
	scan_init(&s, "127.0.0.1", "22");
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	rep.targets = s.t;
	rep.ports = s.pl;
	rep.store = s.st;
	c.rep = &rep;
	c.svc = s.svc;

	c.cfg.xml_path = "-";
	out = capture_stdout(run_stdout_case, &c);
	assert_int_equal(c.open_ret, 0);
	assert_int_equal(c.finish_ret, 0);
	assert_int_equal(c.close_ret, 0);
	assert_true(strncmp(out, "<?xml version=\"1.0\"", 19) == 0);
	assert_int_equal(count_substr(out, "<nmaprun "), 1);
	assert_null(strstr(out, "Starting ringscan"));
	assert_string_equal(out + strlen(out) - 11, "</nmaprun>\n");
	free(out);

	c.cfg.xml_path = NULL;
	c.cfg.grep_path = "-";
	out = capture_stdout(run_stdout_case, &c);
	assert_int_equal(c.finish_ret, 0);
	assert_parts_equal(out, grep_want);
	free(out);
	scan_free(&s);
}

/* A full disk under the XML report is reported, not swallowed. */
static void test_xml_write_error(void **state)
{
	struct output_report rep = { .elapsed_s = 1,
				     .complete = true,
				     .start_time = START_TIME };
	struct output_config cfg = { .version = "0.1.0",
				     .xml_path = "/dev/full" };
	struct rs_error err = { 0 };
	struct output *o;
	struct scan s;

	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	scan_init(&s, "127.0.0.1", "22");
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	rep.targets = s.t;
	rep.ports = s.pl;
	rep.store = s.st;
	assert_int_equal(output_open(&o, &cfg, s.svc, &err), 0);
	assert_int_equal(output_finish(o, &rep), -ENOSPC);
	assert_int_equal(output_close(o), -ENOSPC);
	scan_free(&s);
}

/*
 * Host names in every format: the given name in the text report's header
 * line, XML <hostname type="user">, grepable "Host: ADDR (NAME)", the CSV's
 * last column (quoted when it must be) and JSON's "hostname"; a reverse
 * name (-R) as type PTR, and in the text as the name when none was given
 * or as an "rDNS record" line when it differs; unnamed hosts unchanged.
 */
static void test_host_names(void **state)
{
	struct rs_error err = { 0 };
	struct services *svc = load_test_services();
	char *csv, *json, *ct, *jt, *text;
	struct output_result r = { .port = 22,
				   .proto = RS_TCP,
				   .state = OUT_OPEN,
				   .reason = "syn-ack",
				   .rtt_us = 42 };
	struct output *o;
	struct rs_addr a;
	struct scan s;

	(void)state;
	assert_int_equal(addr_parse("127.0.0.1", &a), 0);
	r.addr = &a;
	o = open_streams(svc, OUTPUT_ST_OPEN, &csv, &json);
	r.hostname = "web,1";
	assert_int_equal(output_result(o, &r), 0);
	r.hostname = NULL;
	assert_int_equal(output_result(o, &r), 0);
	finish_streams(o, csv, json, &ct, &jt);
	assert_string_equal(
		ct, "host,port,proto,state,service,reason,rtt_ms,hostname\n"
		    "127.0.0.1,22,tcp,open,ssh,syn-ack,0.042,\"web,1\"\n"
		    "127.0.0.1,22,tcp,open,ssh,syn-ack,0.042,\n");
	assert_string_equal(
		jt, "{\"host\":\"127.0.0.1\",\"port\":22,\"proto\":\"tcp\","
		    "\"state\":\"open\",\"service\":\"ssh\","
		    "\"reason\":\"syn-ack\",\"rtt_ms\":0.042,"
		    "\"hostname\":\"web,1\"}\n"
		    "{\"host\":\"127.0.0.1\",\"port\":22,\"proto\":\"tcp\","
		    "\"state\":\"open\",\"service\":\"ssh\","
		    "\"reason\":\"syn-ack\",\"rtt_ms\":0.042}\n");
	free(ct);
	free(jt);
	services_free(svc);

	/* Reports: .1 named "web", .2 reverse-named only, .3 both, .4 none */
	memset(&s, 0, sizeof(s));
	assert_int_equal(targets_new(&s.t), 0);
	assert_int_equal(targets_add(s.t, "127.0.0.1-4", &err), 0);
	assert_int_equal(addr_parse("127.0.0.1", &a), 0);
	assert_int_equal(targets_add_name(s.t, &a, "web"), 0);
	assert_int_equal(addr_parse("127.0.0.3", &a), 0);
	assert_int_equal(targets_add_name(s.t, &a, "db<1>"), 0);
	assert_int_equal(targets_finalize(s.t), 0);
	assert_int_equal(targets_set_ptr(s.t, 1, "two.example"), 0);
	assert_int_equal(targets_set_ptr(s.t, 2, "three.example"), 0);
	s.svc = load_test_services();
	s.pl = calloc(1, sizeof(*s.pl));
	assert_non_null(s.pl);
	assert_int_equal(ports_parse("22", s.svc, s.pl, &err), 0);
	assert_int_equal(store_new(&s.st, 4), 0);
	scan_set(&s, "127.0.0.1", 22, STORE_OPEN);
	scan_set(&s, "127.0.0.2", 22, STORE_OPEN);
	scan_set(&s, "127.0.0.3", 22, STORE_OPEN);
	scan_set(&s, "127.0.0.4", 22, STORE_OPEN);

	text = render(&s, false, true, 1);
	assert_non_null(strstr(text,
			       "ringscan scan report for web (127.0.0.1)\n"
			       "Host is up.\n"));
	assert_non_null(strstr(
		text, "ringscan scan report for two.example (127.0.0.2)\n"
		      "Host is up.\n\n"));
	assert_non_null(strstr(text,
			       "ringscan scan report for db<1> (127.0.0.3)\n"
			       "Host is up.\n"
			       "rDNS record for 127.0.0.3: three.example\n"));
	assert_non_null(strstr(text, "ringscan scan report for 127.0.0.4\n"));
	free(text);

	text = render_fmt(&s, FMT_XML, false, true, 1, "ringscan x");
	assert_non_null(strstr(text, "<hostnames>\n<hostname name=\"web\" "
				     "type=\"user\"/>\n</hostnames>\n"));
	assert_non_null(strstr(text, "<hostnames>\n<hostname "
				     "name=\"two.example\" type=\"PTR\"/>\n"
				     "</hostnames>\n"));
	assert_non_null(strstr(text, "<hostnames>\n<hostname "
				     "name=\"db&lt;1&gt;\" type=\"user\"/>\n"
				     "<hostname name=\"three.example\" "
				     "type=\"PTR\"/>\n</hostnames>\n"));
	assert_int_equal(count_substr(text, "<hostnames>\n</hostnames>\n"), 1);
	free(text);

	text = render_fmt(&s, FMT_GREP, false, true, 1, "ringscan x");
	assert_non_null(strstr(text, "Host: 127.0.0.1 (web)\tStatus: Up\n"
				     "Host: 127.0.0.1 (web)\tPorts: 22/open/"));
	assert_non_null(strstr(text, "Host: 127.0.0.2 (two.example)\tStatus"));
	assert_non_null(strstr(text, "Host: 127.0.0.3 (db<1>)\tStatus"));
	assert_non_null(strstr(text, "Host: 127.0.0.4 ()\tStatus"));
	free(text);
	scan_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_states_ok),
		cmocka_unit_test(test_parse_states_errors),
		cmocka_unit_test(test_open_unwritable),
		cmocka_unit_test(test_open_failure_unwinds),
		cmocka_unit_test(test_open_truncates_last),
		cmocka_unit_test(test_open_collisions),
		cmocka_unit_test(test_close_null),
		cmocka_unit_test(test_streams_basic),
		cmocka_unit_test(test_streams_state_mask),
		cmocka_unit_test(test_streams_udp_silence),
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_streams_flush),
		cmocka_unit_test(test_streams_whole_rows),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_report_golden),
		cmocka_unit_test(test_report_no_not_shown),
		cmocka_unit_test(test_report_many_filtered),
		cmocka_unit_test(test_report_unreach),
		cmocka_unit_test(test_report_open_only),
		cmocka_unit_test(test_report_interrupted),
		cmocka_unit_test(test_report_plurals),
		cmocka_unit_test(test_report_ipv6_and_width),
		cmocka_unit_test(test_report_sanitized),
		cmocka_unit_test(test_text_stdout),
		cmocka_unit_test(test_output_start),
		cmocka_unit_test(test_report_sparse),
		cmocka_unit_test(test_xml_golden),
		cmocka_unit_test(test_banners_identified),
		cmocka_unit_test(test_xml_summaries),
		cmocka_unit_test(test_xml_open_only),
		cmocka_unit_test(test_xml_interrupted),
		cmocka_unit_test(test_xml_no_host_up),
		cmocka_unit_test(test_xml_escaping),
		cmocka_unit_test(test_xml_sparse),
		cmocka_unit_test(test_grep_golden),
		cmocka_unit_test(test_grep_ignored_states),
		cmocka_unit_test(test_grep_sanitized),
		cmocka_unit_test(test_all_writers),
		cmocka_unit_test(test_xml_grep_stdout),
		cmocka_unit_test(test_host_names),
		cmocka_unit_test(test_xml_write_error),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
