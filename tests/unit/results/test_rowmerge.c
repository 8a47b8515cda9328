/*
 * test_rowmerge.c - the union of rows, and the report rebuilt from them
 * (rowmerge.h, rowreport.h, mergetally.h).
 *
 * Small hand-written CSV and JSON inputs whose merged answer is known:
 * the first input's answer kept, every different later answer recorded
 * (the first MERGE_MAX_REPORTED whole, the rest counted), "unreachable"
 * and "filtered" not a disagreement, one host name per address, a cut
 * last line dropped and reported, a bad line and too many reasons refused
 * with the line.  The report side: a full rectangle gives a store whose
 * cells are the rows' states; a gap, UDP rows and no rows are refused.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rowmerge.h"
#include "rowreport.h"

#define HDR "host,port,proto,state,service,reason,rtt_ms,hostname\n"

static struct rowmerge *load(const char *const *inputs, int n,
			     struct merge_tally *t)
{
	struct rowmerge *rm;
	struct rs_error err;
	unsigned long cut;

	assert_int_equal(rowmerge_new(&rm), 0);
	for (int i = 0; i < n; i++) {
		assert_int_equal(rowmerge_load(rm, inputs[i], strlen(inputs[i]),
					       (uint32_t)i, &cut, &err),
				 0);
		assert_int_equal(cut, 0);
	}
	memset(t, 0, sizeof(*t));
	rowmerge_dedup(rm, t);
	return rm;
}

static void row_is(const struct rowmerge *rm, size_t i, const char *host,
		   uint16_t port, enum output_state st, const char *name)
{
	struct output_result r;
	char buf[RS_ADDR_STRLEN];

	rowmerge_row(rm, i, &r);
	assert_string_equal(addr_format(r.addr, buf, sizeof(buf)), host);
	assert_int_equal(r.port, port);
	assert_int_equal(r.state, st);
	if (name)
		assert_string_equal(r.hostname, name);
	else
		assert_null(r.hostname);
}

static void test_first_answer_kept(void **state)
{
	static const char *const in[] = {
		HDR "127.0.0.2,80,tcp,open,http,syn-ack,0.5,\n"
		    "127.0.0.1,22,tcp,open,ssh,syn-ack,,\n",
		/* JSON: one disagreement, one duplicate, one new row, and an
		 * unreachable answer for a filtered one (no disagreement) */
		"{\"host\":\"127.0.0.1\",\"port\":22,\"proto\":\"tcp\",\"state\":\"closed\",\"reason\":\"conn-refused\",\"rtt_ms\":null}\n"
		"{\"host\":\"127.0.0.2\",\"port\":80,\"proto\":\"tcp\",\"state\":\"open\",\"reason\":\"syn-ack\",\"rtt_ms\":null}\n"
		"{\"host\":\"127.0.0.1\",\"port\":7,\"proto\":\"tcp\",\"state\":\"filtered\",\"reason\":\"no-response\",\"rtt_ms\":null,\"hostname\":\"one\"}\n",
		HDR "127.0.0.1,7,tcp,filtered,,host-unreach,,\n",
	};
	struct merge_tally t;
	struct rowmerge *rm = load(in, 3, &t);
	struct output_result r;
	char buf[RS_ADDR_STRLEN];

	(void)state;
	assert_int_equal(rowmerge_count(rm), 3);
	/* (host, port) order; port 7's name given to every row of its host */
	row_is(rm, 0, "127.0.0.1", 7, OUT_FILTERED, "one");
	row_is(rm, 1, "127.0.0.1", 22, OUT_OPEN, "one");
	row_is(rm, 2, "127.0.0.2", 80, OUT_OPEN, NULL);
	rowmerge_row(rm, 2, &r);
	assert_int_equal(r.rtt_us, 500);
	assert_string_equal(r.reason, "syn-ack");
	assert_int_equal(t.disagree, 1);
	assert_int_equal(t.shown, 1);
	assert_string_equal(addr_format(&t.named[0].addr, buf, sizeof(buf)),
			    "127.0.0.1");
	assert_int_equal(t.named[0].port, 22);
	assert_int_equal(t.named[0].kept, OUT_OPEN);
	assert_int_equal(t.named[0].other, OUT_CLOSED);
	assert_int_equal(t.named[0].input, 1);
	rowmerge_free(rm);
}

static void test_many_disagreements(void **state)
{
	char a[4096] = HDR, b[4096] = HDR;
	const char *in[] = { a, b };
	struct merge_tally t;
	struct rowmerge *rm;

	(void)state;
	for (int p = 1; p <= 30; p++) {
		snprintf(a + strlen(a), sizeof(a) - strlen(a),
			 "127.0.0.1,%d,tcp,open,,syn-ack,,\n", p);
		snprintf(b + strlen(b), sizeof(b) - strlen(b),
			 "127.0.0.1,%d,tcp,closed,,conn-refused,,\n", p);
	}
	rm = load(in, 2, &t);
	assert_int_equal(rowmerge_count(rm), 30);
	assert_int_equal(t.disagree, 30);
	assert_int_equal(t.shown, MERGE_MAX_REPORTED);
	for (int i = 0; i < MERGE_MAX_REPORTED; i++)
		assert_int_equal(t.named[i].port, i + 1);
	rowmerge_free(rm);
}

static void test_cut_and_bad_lines(void **state)
{
	static const char cut[] = HDR "127.0.0.1,22,tcp,open,ssh,syn-ack,,\n"
				      "127.0.0.1,80,tcp,clo";
	static const char bad[] = HDR "127.0.0.1,22,tcp,open,ssh,syn-ack,,\n"
				      "127.0.0.1,80,tcp,bogus,,x,,\n";
	struct rowmerge *rm;
	struct rs_error err;
	unsigned long line;

	(void)state;
	assert_int_equal(rowmerge_new(&rm), 0);
	assert_int_equal(rowmerge_load(rm, cut, strlen(cut), 0, &line, &err),
			 0);
	assert_int_equal(line, 3);
	assert_int_equal(rowmerge_count(rm), 1);
	assert_int_equal(rowmerge_load(rm, bad, strlen(bad), 1, &line, &err),
			 -EINVAL);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.token, "bogus");
	/* the bad input's good rows are not kept */
	assert_int_equal(rowmerge_count(rm), 1);
	rowmerge_free(rm);
}

static void test_too_many_reasons(void **state)
{
	size_t cap = (ROWMERGE_MAX_REASONS + 2) * 40, off;
	char *buf = malloc(cap);
	struct rowmerge *rm;
	struct rs_error err;
	unsigned long line;

	(void)state;
	assert_non_null(buf);
	off = (size_t)snprintf(buf, cap, HDR);
	for (int i = 0; i <= ROWMERGE_MAX_REASONS; i++)
		off += (size_t)snprintf(buf + off, cap - off,
					"127.0.0.1,%d,tcp,filtered,,r%d,,\n",
					i + 1, i);
	assert_int_equal(rowmerge_new(&rm), 0);
	assert_int_equal(rowmerge_load(rm, buf, off, 0, &line, &err), -E2BIG);
	/* The parser's cursor: the line after the row that was one too
	 * many (the header is line 1), as ringscan merge has always said. */
	assert_int_equal(err.line, ROWMERGE_MAX_REASONS + 3);
	assert_non_null(strstr(err.reason, "1024 different reasons"));
	rowmerge_free(rm);
	free(buf);
}

static void test_report_rectangle(void **state)
{
	static const char *const in[] = {
		HDR "127.0.0.1,22,tcp,open,,syn-ack,,lo\n"
		    "127.0.0.1,80,tcp,closed,,conn-refused,,\n"
		    "127.0.0.3,22,tcp,filtered,,no-response,,\n"
		    "127.0.0.3,80,tcp,filtered,,host-unreach,,\n",
	};
	struct merge_tally t;
	struct rowmerge *rm = load(in, 1, &t);
	struct rowreport rr;
	struct rowreport_shape shape;
	struct rs_error err;
	struct rs_addr a;
	uint64_t h;

	(void)state;
	assert_int_equal(rowreport_build(&rr, rm, &shape, &err), 0);
	assert_int_equal(shape.hosts, 2);
	assert_int_equal(shape.ports, 2);
	assert_int_equal(rr.ports->port[0], 22);
	assert_int_equal(rr.ports->port[1], 80);
	assert_int_equal(addr_parse("127.0.0.3", &a), 0);
	assert_int_equal(targets_index(rr.targets, &a, &h), 0);
	assert_int_equal(store_get(rr.store, h * 2 + 0), STORE_NONE);
	assert_int_equal(store_get(rr.store, h * 2 + 1), STORE_UNREACH);
	assert_int_equal(addr_parse("127.0.0.1", &a), 0);
	assert_int_equal(targets_index(rr.targets, &a, &h), 0);
	assert_int_equal(store_get(rr.store, h * 2 + 0), STORE_OPEN);
	assert_int_equal(store_get(rr.store, h * 2 + 1), STORE_CLOSED);
	assert_string_equal(targets_name(rr.targets, h), "lo");
	rowreport_free(&rr);
	rowmerge_free(rm);
}

static void test_report_refused(void **state)
{
	static const char *const gap[] = {
		HDR "127.0.0.1,22,tcp,open,,syn-ack,,\n"
		    "127.0.0.2,80,tcp,open,,syn-ack,,\n",
	};
	static const char *const udp[] = {
		HDR "127.0.0.1,53,udp,open,,udp-response,,\n"
		    "127.0.0.1,53,tcp,closed,,conn-refused,,\n"
		    "127.0.0.1,161,udp,open|filtered,,no-response,,\n"
		    "127.0.0.1,22,tcp,open,,syn-ack,,\n",
	};
	uint32_t pi;
	static const char *const none[] = { "" };
	struct merge_tally t;
	struct rowmerge *rm;
	struct rowreport rr;
	struct rowreport_shape shape;
	struct rs_error err;

	(void)state;
	rm = load(gap, 1, &t);
	assert_int_equal(rowreport_build(&rr, rm, &shape, &err), -ERANGE);
	assert_int_equal(shape.rows, 2);
	assert_int_equal(shape.hosts, 2);
	assert_int_equal(shape.ports, 2);
	assert_int_equal(shape.cells, 4);
	assert_null(rr.store);
	rowreport_free(&rr);
	rowmerge_free(rm);

	/* UDP rows make a report too: TCP ports first, then UDP (ports.h). */
	rm = load(udp, 1, &t);
	assert_int_equal(rowreport_build(&rr, rm, &shape, &err), 0);
	assert_int_equal(shape.ports, 4);
	assert_int_equal(rr.ports->nudp, 2);
	assert_int_equal(ports_index_proto(rr.ports, RS_UDP, 53, &pi), 0);
	assert_int_equal(pi, 2);
	assert_int_equal(store_get(rr.store, pi), STORE_OPEN);
	assert_int_equal(ports_index_proto(rr.ports, RS_TCP, 53, &pi), 0);
	assert_int_equal(store_get(rr.store, pi), STORE_CLOSED);
	assert_int_equal(ports_index_proto(rr.ports, RS_UDP, 161, &pi), 0);
	assert_int_equal(store_get(rr.store, pi), STORE_NONE);
	rowreport_free(&rr);
	rowmerge_free(rm);

	rm = load(none, 1, &t);
	assert_int_equal(rowreport_build(&rr, rm, &shape, &err), -EINVAL);
	assert_non_null(strstr(err.reason, "no rows"));
	rowmerge_free(rm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_answer_kept),
		cmocka_unit_test(test_many_disagreements),
		cmocka_unit_test(test_cut_and_bad_lines),
		cmocka_unit_test(test_too_many_reasons),
		cmocka_unit_test(test_report_rectangle),
		cmocka_unit_test(test_report_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
