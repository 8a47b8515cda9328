/*
 * test_ckmerge.c - shard checkpoints folded into their scan (ckmerge.h).
 *
 * A scan of 2 hosts x 2 ports in sequential order (-r), in 2 shards, so
 * that the probes of each shard are known by hand: shard 0 holds probes 0
 * and 2, shard 1 probes 1 and 3.  Checkpoints are written with
 * checkpoint_write and read back, as the merge CLI reads them, and the
 * merge is checked against that truth: the merged store's cells, the
 * first checkpoint's answer kept where a later one differs (and the
 * difference recorded), "complete" only when every shard finished, the
 * final probes of an unfinished shard (issued and not pending) and no
 * others, and each refusal: another scan, a shard that does not exist, a
 * command line that no longer defines the same scan, a corrupt file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "checkpoint.h"
#include "ckmerge.h"
#include "fileio.h"

#define SEED 5

static char dir[] = "/tmp/rs-ckmerge-XXXXXX";
static struct targets *tg;
static struct portlist pl = { .count = 2, .port = { 22, 80 } };
static char *argv0[] = { "ringscan", "127.0.0.1-2", "-p", "22,80", NULL };

struct file {
	char *buf;
	size_t len;
};

/* A checkpoint of shard `index` of `count`, read back into f. */
static void make(struct file *f, uint32_t index, uint32_t count,
		 uint64_t issued, bool complete, const enum store_state *st,
		 const uint64_t *pending, uint32_t npending)
{
	struct sched_probe pend[4];
	struct checkpoint c = {
		.argc = 4,
		.argv = argv0,
		.fingerprint = checkpoint_fingerprint(tg, &pl, SEED, count),
		.nprobes = 4,
		.shard_index = index,
		.shard_count = count,
		.issued = issued,
		.elapsed_ns = 1000 + index,
		.complete = complete,
		.npending = npending,
		.pending = pend,
	};
	char path[64];

	memset(pend, 0, sizeof(pend));
	for (uint32_t i = 0; i < npending; i++) {
		pend[i].probe = pending[i];
		pend[i].attempt = 1;
	}
	assert_int_equal(store_new(&c.store, 4), 0);
	for (uint64_t p = 0; p < 4; p++)
		if (st[p] != STORE_NONE)
			store_set(c.store, p, st[p]);
	snprintf(path, sizeof(path), "%s/ck", dir);
	assert_int_equal(checkpoint_write(path, &c), 0);
	store_free(c.store);
	assert_int_equal(fileio_read_all(path, 1 << 20, &f->buf, &f->len), 0);
	unlink(path);
}

static struct ckmerge_scan scan_of(void)
{
	return (struct ckmerge_scan){
		.targets = tg,
		.ports = &pl,
		.nprobes = 4,
		.fingerprint = checkpoint_fingerprint(tg, &pl, SEED, 2),
		.seed = SEED,
		.sequential = true,
	};
}

static int setup(void **state)
{
	struct rs_error err;

	(void)state;
	if (!mkdtemp(dir) || targets_new(&tg) ||
	    targets_add(tg, "127.0.0.1-2", &err) || targets_finalize(tg))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	targets_free(tg);
	rmdir(dir);
	return 0;
}

static const enum store_state S0[4] = { STORE_OPEN, STORE_NONE, STORE_CLOSED,
					STORE_NONE };
static const enum store_state S1[4] = { STORE_NONE, STORE_UNREACH, STORE_NONE,
					STORE_CLOSED };
/* shard 0 again, answering probe 0 differently */
static const enum store_state S0B[4] = { STORE_CLOSED, STORE_NONE, STORE_CLOSED,
					 STORE_NONE };

static void test_complete_fold(void **state)
{
	struct file f[3];
	struct ckmerge *m;
	struct ckmerge_scan scan = scan_of();
	struct merge_tally t;
	struct rs_error err;
	const struct store *s;

	(void)state;
	make(&f[0], 0, 2, 2, true, S0, NULL, 0);
	make(&f[1], 1, 2, 2, true, S1, NULL, 0);
	make(&f[2], 0, 2, 2, true, S0B, NULL, 0);
	assert_int_equal(ckmerge_new(&m, 3), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ckmerge_add(m, "x", f[i].buf, f[i].len, &err),
				 0);
	memset(&t, 0, sizeof(t));
	assert_int_equal(ckmerge_fold(m, &scan, &t, &err), 0);
	s = ckmerge_store(m);
	assert_int_equal(store_get(s, 0), STORE_OPEN); /* the first kept */
	assert_int_equal(store_get(s, 1), STORE_UNREACH);
	assert_int_equal(store_get(s, 2), STORE_CLOSED);
	assert_int_equal(store_get(s, 3), STORE_CLOSED);
	assert_int_equal(ckmerge_conflicts(m), 1);
	assert_int_equal(t.disagree, 1);
	assert_int_equal(t.named[0].port, 22);
	assert_int_equal(t.named[0].kept, OUT_OPEN);
	assert_int_equal(t.named[0].other, OUT_CLOSED);
	assert_int_equal(t.named[0].input, 2);
	assert_true(ckmerge_complete(m));
	assert_int_equal(ckmerge_elapsed_ns(m), 1001);
	ckmerge_free(m);
	for (int i = 0; i < 3; i++)
		free(f[i].buf);
}

static void test_unfinished_shard(void **state)
{
	/* shard 1 issued probe 1 only, and it is still pending */
	static const uint64_t pend[] = { 1 };
	static const enum store_state none[4] = { STORE_NONE };
	char path[64];
	struct output_config cfg = { .states = OUTPUT_ST_OPEN |
					       OUTPUT_ST_CLOSED |
					       OUTPUT_ST_FILTERED };
	struct file f[2], csv;
	struct ckmerge *m;
	struct ckmerge_scan scan = scan_of();
	struct merge_tally t;
	struct rs_error err;
	struct output *out;
	int write_err = 0;

	(void)state;
	make(&f[0], 0, 2, 2, true, S0, NULL, 0);
	make(&f[1], 1, 2, 1, false, none, pend, 1);
	assert_int_equal(ckmerge_new(&m, 2), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(ckmerge_add(m, "x", f[i].buf, f[i].len, &err),
				 0);
	memset(&t, 0, sizeof(t));
	assert_int_equal(ckmerge_fold(m, &scan, &t, &err), 0);
	assert_false(ckmerge_complete(m));
	assert_true(ckmerge_shard_done(m, 0));
	assert_false(ckmerge_shard_done(m, 1));

	snprintf(path, sizeof(path), "%s/rows.csv", dir);
	cfg.csv_path = path;
	assert_int_equal(output_open(&out, &cfg, NULL, &err), 0);
	memset(&t, 0, sizeof(t));
	assert_int_equal(ckmerge_emit(m, out, cfg.states, &t, &write_err), 0);
	assert_int_equal(output_finish(out, NULL), 0);
	assert_int_equal(output_close(out), 0);
	assert_int_equal(write_err, 0);
	/* shard 0's two probes are final; shard 1's only one is pending */
	assert_int_equal(t.rows, 2);
	assert_int_equal(t.open, 1);
	assert_int_equal(t.closed, 1);
	assert_int_equal(fileio_read_all(path, 1 << 20, &csv.buf, &csv.len), 0);
	assert_non_null(strstr(csv.buf, "127.0.0.1,22,tcp,open,"));
	assert_non_null(strstr(csv.buf, "127.0.0.2,22,tcp,closed,"));
	assert_null(strstr(csv.buf, ",80,"));
	free(csv.buf);
	unlink(path);
	ckmerge_free(m);
	for (int i = 0; i < 2; i++)
		free(f[i].buf);
}

static void test_refusals(void **state)
{
	struct file a, b, c;
	struct ckmerge *m;
	struct ckmerge_scan scan = scan_of();
	struct merge_tally t;
	struct rs_error err;
	uint32_t index, count;

	(void)state;
	make(&a, 0, 2, 2, true, S0, NULL, 0);
	make(&b, 0, 3, 0, false, (enum store_state[4]){ 0 }, NULL, 0);
	assert_int_equal(ckmerge_new(&m, 3), 0);
	assert_int_equal(ckmerge_add(m, "a", a.buf, a.len, &err), 0);
	/* another shard count: another scan */
	assert_int_equal(ckmerge_add(m, "b", b.buf, b.len, &err), -EXDEV);
	/* corrupt: one byte flipped, the CRC refuses it */
	c.len = a.len;
	c.buf = malloc(a.len);
	assert_non_null(c.buf);
	memcpy(c.buf, a.buf, a.len);
	c.buf[a.len / 2] ^= 1;
	assert_int_equal(ckmerge_add(m, "c", c.buf, c.len, &err), -EINVAL);
	assert_non_null(err.reason);
	/* the first checkpoint's command line, as the CLI rebuilds it */
	{
		int argc;
		char **argv;

		ckmerge_argv(m, &argc, &argv);
		assert_int_equal(argc, 4);
		assert_string_equal(argv[1], "127.0.0.1-2");
	}
	scan.fingerprint ^= 1;
	memset(&t, 0, sizeof(t));
	assert_int_equal(ckmerge_fold(m, &scan, &t, &err), -EINVAL);
	assert_non_null(strstr(err.reason, "no longer defines the same scan"));
	ckmerge_shard(m, 0, &index, &count);
	assert_int_equal(index, 0);
	assert_int_equal(count, 2);
	ckmerge_free(m);
	free(a.buf);
	free(b.buf);
	free(c.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complete_fold),
		cmocka_unit_test(test_unfinished_shard),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
