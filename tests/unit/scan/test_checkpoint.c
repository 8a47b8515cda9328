/*
 * test_checkpoint.c - checkpoints round-trip, and every damaged file is
 * refused whole.
 *
 * Damage is made three ways: truncation at every length, a flipped bit at
 * every byte (the CRC must catch it), and well-formed files (CRC fixed up)
 * whose fields lie - another version, an impossible shard, a pending probe
 * or page outside the space.  Every parse runs on a copy that ends right
 * before a PROT_NONE page, so an over-read crashes instead of passing.
 *
 * The crafted cases are what a CRC cannot stop, since anyone who edits a
 * file can fix its checksum: a probe pending 900 times, answers with
 * nothing issued, an elapsed time near 2^64, more issued than the shard
 * holds, "complete" with work left, pages out of order.  A file over 4 GiB
 * (mostly the zero page of an unbacked mapping) shows the CRC covers every
 * byte, a sparse 6 GB file that its header cannot explain is refused before
 * it is read, and the owner check refuses other users' and group- or
 * world-writable files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "guard.h"
#include "checkpoint.h"
#include "version.h"

/* Layout offsets (see checkpoint.c). */
#define OFF_FORMAT 8
#define OFF_VERSION 12
#define OFF_NPROBES 36
#define OFF_SHARD_INDEX 44
#define OFF_SHARD_COUNT 48
#define OFF_ISSUED 52
#define OFF_COMPLETE 68
#define CKPT_TEST_HEAD 76 /* through argc */
#define RINGSCAN_TEST_VERSION RINGSCAN_VERSION

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static char *argv_fixture[] = { "ringscan",	"-p",	  "1-1000",
				"127.0.0.1-40", "--seed", "42" };

static struct store *make_store(uint64_t n)
{
	struct store *s;

	assert_int_equal(store_new(&s, n), 0);
	store_set(s, 3, STORE_OPEN);
	store_set(s, 17000, STORE_CLOSED); /* second page */
	store_set(s, n - 1, STORE_UNREACH);
	store_set_reason(s, n - 1, store_reason_code("admin-prohibited"));
	return s;
}

static void fill(struct checkpoint *c, struct store *s,
		 struct sched_probe *pend)
{
	memset(c, 0, sizeof(*c));
	c->argc = 6;
	c->argv = argv_fixture;
	c->fingerprint = 0x1234567890abcdefULL;
	c->nprobes = store_nprobes(s);
	c->shard_index = 1;
	c->shard_count = 3;
	c->issued = 9000;
	c->elapsed_ns = 123456789;
	c->complete = false;
	pend[0] = (struct sched_probe){ .probe = 5, .attempt = 2 };
	pend[1] = (struct sched_probe){ .probe = 39999, .attempt = 0 };
	c->npending = 2;
	c->pending = pend;
	c->store = s;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* A file image written by checkpoint_write, in memory. */
static uint8_t *written_image(size_t *len)
{
	char path[] = "/tmp/rs-ckpt-XXXXXX";
	struct sched_probe pend[2];
	struct checkpoint c;
	struct store *s = make_store(40000);
	uint8_t *buf;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	fill(&c, s, pend);
	assert_int_equal(checkpoint_write(path, &c), 0);
	buf = slurp(path, len);
	unlink(path);
	store_free(s);
	return buf;
}

/* Parse buf[0..len) placed so its last byte touches a PROT_NONE page. */
static int parse_guarded(const uint8_t *buf, size_t len, struct checkpoint *c,
			 struct rs_error *err)
{
	struct guarded g;
	int ret;

	ret = checkpoint_parse(guard_copy(&g, buf, len, false), len, c, err);
	guard_free(&g);
	return ret;
}

/* zlib's crc32 over any length (its own length is 32 bits). */
static uint32_t crc_all(const uint8_t *buf, size_t len)
{
	uLong crc = crc32(0, Z_NULL, 0);

	while (len) {
		uInt k = len > (1u << 30) ? (1u << 30) : (uInt)len;

		crc = crc32(crc, buf, k);
		buf += k;
		len -= k;
	}
	return (uint32_t)crc;
}

static void fix_crc(uint8_t *buf, size_t len)
{
	uint32_t crc = crc_all(buf, len - 4);

	for (int i = 0; i < 4; i++)
		buf[len - 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
}

static void test_round_trip(void **state)
{
	struct checkpoint c;
	struct rs_error err;
	size_t len;
	uint8_t *buf = written_image(&len);

	(void)state;
	memset(&err, 0, sizeof(err));
	assert_int_equal(parse_guarded(buf, len, &c, &err), 0);
	assert_int_equal(c.argc, 6);
	for (int i = 0; i < 6; i++)
		assert_string_equal(c.argv[i], argv_fixture[i]);
	assert_null(c.argv[6]);
	assert_true(c.fingerprint == 0x1234567890abcdefULL);
	assert_int_equal(c.nprobes, 40000);
	assert_int_equal(c.shard_index, 1);
	assert_int_equal(c.shard_count, 3);
	assert_int_equal(c.issued, 9000);
	assert_int_equal(c.elapsed_ns, 123456789);
	assert_false(c.complete);
	assert_int_equal(c.npending, 2);
	assert_int_equal(c.pending[0].probe, 5);
	assert_int_equal(c.pending[0].attempt, 2);
	assert_int_equal(c.pending[1].probe, 39999);
	assert_int_equal(store_get(c.store, 3), STORE_OPEN);
	assert_int_equal(store_get(c.store, 17000), STORE_CLOSED);
	assert_int_equal(store_get(c.store, 39999), STORE_UNREACH);
	assert_string_equal(store_reason_name(store_reason(c.store, 39999)),
			    "admin-prohibited");
	assert_int_equal(store_reason_count(c.store), 1);
	assert_int_equal(store_get(c.store, 4), STORE_NONE);
	assert_int_equal(store_count(c.store, STORE_OPEN), 1);
	assert_int_equal(store_count(c.store, STORE_CLOSED), 1);
	checkpoint_release(&c);
	assert_null(c.store);
	free(buf);
}

static void test_truncated_everywhere(void **state)
{
	struct checkpoint c;
	struct rs_error err;
	size_t len;
	uint8_t *buf = written_image(&len);

	(void)state;
	for (size_t n = 0; n < len; n++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(parse_guarded(buf, n, &c, &err), -EINVAL);
		assert_non_null(err.reason);
		assert_null(c.store);
		assert_null(c.argv);
	}
	free(buf);
}

static void test_bit_flips_everywhere(void **state)
{
	struct checkpoint c;
	struct rs_error err;
	size_t len;
	uint8_t *buf = written_image(&len);

	(void)state;
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= 0x10;
		memset(&err, 0, sizeof(err));
		assert_int_equal(parse_guarded(buf, len, &c, &err), -EINVAL);
		assert_null(c.store);
		buf[i] ^= 0x10;
	}
	free(buf);
}

/* Well-formed files (right CRC) whose contents must still be refused. */
static void expect_refused(const uint8_t *orig, size_t len, size_t off,
			   const void *bytes, size_t n, const char *word)
{
	uint8_t *buf = malloc(len);
	struct checkpoint c;
	struct rs_error err;

	assert_non_null(buf);
	memcpy(buf, orig, len);
	memcpy(buf + off, bytes, n);
	fix_crc(buf, len);
	memset(&err, 0, sizeof(err));
	assert_int_equal(parse_guarded(buf, len, &c, &err), -EINVAL);
	assert_non_null(err.reason);
	assert_non_null(strstr(err.reason, word));
	assert_null(c.store);
	free(buf);
}

static void test_lying_fields(void **state)
{
	static const uint8_t format2[4] = { CHECKPOINT_FORMAT + 1, 0, 0, 0 };
	static const char other_version[16] = "9.9.9";
	static const uint8_t shard_big[4] = { 7, 0, 0, 0 };
	static const uint8_t zero[8] = { 0 };
	static const uint8_t huge[8] = { 0, 0, 0, 0, 0, 0, 0, 0x40 };
	size_t len;
	uint8_t *buf = written_image(&len);

	(void)state;
	expect_refused(buf, len, OFF_FORMAT, format2, 4, "format");
	expect_refused(buf, len, OFF_VERSION, other_version, 16, "version");
	expect_refused(buf, len, OFF_SHARD_INDEX, shard_big, 4, "inconsistent");
	expect_refused(buf, len, OFF_SHARD_COUNT, zero, 4, "inconsistent");
	expect_refused(buf, len, OFF_NPROBES, zero, 8, "inconsistent");
	expect_refused(buf, len, OFF_NPROBES, huge, 8, "inconsistent");
	/* nprobes 100: pending probe 39999 falls outside */
	{
		const uint8_t n100[8] = { 100 };

		expect_refused(buf, len, OFF_NPROBES, n100, 8, "");
	}
	/* Not a checkpoint at all. */
	expect_refused(buf, len, 0, "GARBAGE!", 8, "not a ringscan");
	free(buf);
}

/* Write c, parse the file back: 0 or -EINVAL with the reason in *why. */
static int crafted(const struct checkpoint *c, const char **why)
{
	char path[] = "/tmp/rs-ckpt-XXXXXX";
	struct checkpoint back;
	struct rs_error err;
	uint8_t *buf;
	size_t len;
	int fd = mkstemp(path), ret;

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(checkpoint_write(path, c), 0);
	buf = slurp(path, &len);
	unlink(path);
	memset(&err, 0, sizeof(err));
	ret = parse_guarded(buf, len, &back, &err);
	*why = err.reason ? err.reason : "";
	if (!ret)
		checkpoint_release(&back);
	else
		assert_null(back.store);
	free(buf);
	return ret;
}

static void expect_crafted_refused(const struct checkpoint *c, const char *word)
{
	const char *why;

	assert_int_equal(crafted(c, &why), -EINVAL);
	if (!strstr(why, word))
		fail_msg("refused for '%s', want a reason with '%s'", why,
			 word);
}

/* Checkpoints the writer produces happily, with a valid CRC, that lie. */
static void test_crafted_fields(void **state)
{
	struct sched_probe pend[2], *many;
	struct store *s = make_store(40000);
	struct checkpoint c;
	const char *why;

	(void)state;
	/* The shard 1 of 3 of 40000 probes holds 13333. */
	fill(&c, s, pend);
	c.issued = 13333;
	assert_int_equal(crafted(&c, &why), 0);
	c.issued = 13334;
	expect_crafted_refused(&c, "more probes were issued");

	/* A probe pending 900 times would be sent and reported 900 times. */
	many = calloc(900, sizeof(*many));
	assert_non_null(many);
	for (int i = 0; i < 900; i++)
		many[i] = (struct sched_probe){ .probe = 5, .attempt = 1 };
	fill(&c, s, pend);
	c.pending = many;
	c.npending = 900;
	expect_crafted_refused(&c, "pending probe twice");
	many[899].probe = 6;
	many[0].probe = 6; /* first and last alike, apart after sorting */
	for (int i = 1; i < 899; i++)
		many[i].probe = 100 + (uint64_t)i;
	expect_crafted_refused(&c, "pending probe twice");
	many[0].probe = 7;
	assert_int_equal(crafted(&c, &why), 0);
	many[3].attempt = CHECKPOINT_MAX_ATTEMPT + 1;
	expect_crafted_refused(&c, "attempt");
	free(many);

	/* Answers stored for probes never issued would vanish from rows. */
	fill(&c, s, pend);
	c.issued = 0;
	c.npending = 0;
	expect_crafted_refused(&c, "more answers than probes issued");
	c.issued = 2; /* three answers in the store */
	expect_crafted_refused(&c, "more answers than probes issued");
	c.issued = 3;
	assert_int_equal(crafted(&c, &why), 0);

	/* An elapsed time that wraps when the next run adds its own. */
	fill(&c, s, pend);
	c.elapsed_ns = UINT64_MAX - 1000;
	expect_crafted_refused(&c, "elapsed");
	c.elapsed_ns = CHECKPOINT_MAX_ELAPSED_NS;
	assert_int_equal(crafted(&c, &why), 0);

	/* Complete means every probe issued and nothing pending. */
	fill(&c, s, pend);
	c.complete = true;
	expect_crafted_refused(&c, "complete");
	c.issued = 13333;
	expect_crafted_refused(&c, "pending");
	c.npending = 0;
	assert_int_equal(crafted(&c, &why), 0);

	/* The writer never writes what the reader would refuse as big. */
	fill(&c, s, pend);
	c.npending = CHECKPOINT_MAX_PENDING + 1;
	assert_int_equal(checkpoint_write("/tmp/rs-never-written", &c), -E2BIG);
	store_free(s);
}

/* Fields patched in the image (the writer cannot express them). */
static void test_crafted_bytes(void **state)
{
	static const uint8_t complete2[4] = { 2, 0, 0, 0 };
	size_t len, pages;
	uint8_t *buf = written_image(&len), *a, *b, tmp[8 + 4096];

	(void)state;
	expect_refused(buf, len, OFF_COMPLETE, complete2, 4, "inconsistent");
	/* The image's pages are 0, 1 and 2, in that order before its one
	 * reason (u64 count, u64 probe, u8 code): swapped, they are out of
	 * order. */
	pages = 3;
	a = buf + len - 4 - 17 - pages * sizeof(tmp) + sizeof(tmp);
	b = a + sizeof(tmp);
	memcpy(tmp, a, sizeof(tmp));
	memcpy(a, b, sizeof(tmp));
	memcpy(b, tmp, sizeof(tmp));
	expect_refused(buf, len, 0, "RSCKPT\r\n", 8, "out of order");
	/* The same page twice is out of order too. */
	memcpy(b, a, sizeof(tmp));
	expect_refused(buf, len, 0, "RSCKPT\r\n", 8, "out of order");
	free(buf);
}

/* The reason at the image's end, patched: each lie is refused. */
static void test_crafted_reasons(void **state)
{
	const uint8_t zero = 0, big = 200, host = STORE_REASON_HOST_UNREACH;
	uint8_t probe_open[8] = { 3 },
		probe_out[8] = { 0x40, 0x9c }; /* 40000 */
	uint8_t two[8] = { 2 };
	size_t len;
	uint8_t *buf = written_image(&len);
	size_t code_off = len - 4 - 1, probe_off = len - 4 - 9;
	size_t count_off = probe_off - 8;

	(void)state;
	expect_refused(buf, len, code_off, &zero, 1, "reason");
	expect_refused(buf, len, code_off, &host, 1, "reason");
	expect_refused(buf, len, code_off, &big, 1, "reason");
	expect_refused(buf, len, probe_off, probe_open, 8, "reason");
	expect_refused(buf, len, probe_off, probe_out, 8, "reason");
	/* a count that the bytes left do not hold */
	expect_refused(buf, len, count_off, two, 8, "reasons are damaged");
	free(buf);
}

/*
 * A checkpoint just over 4 GiB: a header, then 2^20 page entries of zero
 * bytes that cost nothing (an unbacked mapping reads as the zero page).
 * With a 32-bit length the CRC covered len mod 2^32 bytes and every such
 * file was "corrupted"; now parsing gets past the CRC, to the pages (the
 * second entry repeats page 0, so it stops there).
 */
static void test_crc_over_4gib(void **state)
{
	const uint64_t npages = 1ULL << 20;
	size_t off = 0, len;
	struct checkpoint c;
	struct rs_error err;
	uint8_t *m;

	(void)state;
	len = CKPT_TEST_HEAD + 4 + 8 + 4 + 8 + npages * (8 + 4096) + 4;
	assert_true(len > (1ULL << 32));
	m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		skip();
	memcpy(m, "RSCKPT\r\n", 8);
	put_le(m + OFF_FORMAT, CHECKPOINT_FORMAT, 4);
	memcpy(m + OFF_VERSION, RINGSCAN_TEST_VERSION,
	       strlen(RINGSCAN_TEST_VERSION));
	put_le(m + OFF_NPROBES, 1ULL << 36, 8);
	put_le(m + OFF_SHARD_COUNT, 1, 4);
	put_le(m + OFF_ISSUED, 1000, 8);
	off = CKPT_TEST_HEAD - 4;
	put_le(m + off, 1, 4); /* argc */
	off += 4;
	put_le(m + off, 8, 4);
	memcpy(m + off + 4, "ringscan", 8);
	off += 12;
	put_le(m + off, 0, 4); /* npending */
	off += 4;
	put_le(m + off, npages, 8);
	fix_crc(m, len);
	memset(&err, 0, sizeof(err));
	assert_int_equal(checkpoint_parse(m, len, &c, &err), -EINVAL);
	assert_non_null(err.reason);
	if (!strstr(err.reason, "out of order"))
		fail_msg("refused for '%s': the CRC did not cover 4 GiB",
			 err.reason);
	munmap(m, len);
}

/*
 * A 6 GB sparse file behind a real header of a 40000-probe scan: refused
 * from its size before any of it is read (the whole read would need
 * 6 GB of memory), and so is one that is not a checkpoint at all.
 */
static void test_size_bound(void **state)
{
	char path[] = "/tmp/rs-ckpt-XXXXXX";
	struct sched_probe pend[2];
	struct store *s = make_store(40000);
	struct checkpoint c, back;
	struct rs_error err;
	struct stat st;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd); /* checkpoint_write replaces the file */
	fill(&c, s, pend);
	assert_int_equal(checkpoint_write(path, &c), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true((uint64_t)st.st_size <=
		    checkpoint_size_max(c.nprobes, c.issued));
	assert_int_equal(truncate(path, 6000000000LL), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(checkpoint_read(path, 0, &back, &err), -EINVAL);
	assert_non_null(strstr(err.reason, "larger than"));
	assert_null(back.store);
	/* Zeros from the start: not a checkpoint, said without reading. */
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(truncate(path, 6000000000LL), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(checkpoint_read(path, 0, &back, &err), -EINVAL);
	assert_non_null(strstr(err.reason, "not a ringscan checkpoint"));
	unlink(path);
	store_free(s);
}

static void test_owner_check(void **state)
{
	char path[] = "/tmp/rs-ckpt-XXXXXX";
	struct sched_probe pend[2];
	struct store *s = make_store(40000);
	struct checkpoint c, back;
	struct rs_error err;
	struct stat st;
	int fd = mkstemp(path);

	(void)state;
	memset(&st, 0, sizeof(st));
	st.st_uid = 0;
	st.st_mode = S_IFREG | 0600;
	assert_int_equal(checkpoint_check_owner(&st, 0, &err), 0);
	st.st_mode = S_IFREG | 0644;
	assert_int_equal(checkpoint_check_owner(&st, 0, &err), 0);
	st.st_mode = S_IFREG | 0620;
	assert_int_equal(checkpoint_check_owner(&st, 0, &err), -EPERM);
	assert_non_null(strstr(err.reason, "writable by group or others"));
	st.st_mode = S_IFREG | 0602;
	assert_int_equal(checkpoint_check_owner(&st, 0, &err), -EPERM);
	st.st_mode = S_IFREG | 0600;
	st.st_uid = 65534;
	assert_int_equal(checkpoint_check_owner(&st, 0, &err), -EPERM);
	assert_non_null(strstr(err.reason, "another user"));
	assert_non_null(strstr(err.reason, "--trust-checkpoint"));

	/* Through checkpoint_read, on a real file of ours. */
	assert_true(fd >= 0);
	close(fd);
	fill(&c, s, pend);
	assert_int_equal(checkpoint_write(path, &c), 0);
	assert_int_equal(checkpoint_read(path, CHECKPOINT_OWNED, &back, &err),
			 0);
	checkpoint_release(&back);
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(checkpoint_read(path, CHECKPOINT_OWNED, &back, &err),
			 -EPERM);
	assert_null(back.store);
	assert_int_equal(checkpoint_read(path, 0, &back, &err), 0);
	checkpoint_release(&back);
	unlink(path);
	store_free(s);
}

/* Directory entries other than "." and "..". */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/*
 * What another user can leave in a shared directory before a root scan
 * writes its checkpoint there: the old fixed temporary name as a symlink
 * to a file they want destroyed, or as a file of their own (mode 0666) to
 * read or edit the checkpoint through.  Neither may be followed or reused,
 * and the checkpoint must be private (0600) whatever the umask.
 */
static void test_write_ignores_planted_temp(void **state)
{
	static const char victim_text[] = "precious\n";
	char dir[] = "/tmp/rs-ckdir-XXXXXX";
	char path[64], tmp[72], victim[72], buf[32];
	struct sched_probe pend[2];
	struct checkpoint c;
	struct store *s = make_store(40000);
	struct stat st;
	mode_t old_umask;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ck", dir);
	snprintf(tmp, sizeof(tmp), "%s/ck.tmp", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	f = fopen(victim, "w");
	assert_non_null(f);
	fputs(victim_text, f);
	fclose(f);
	assert_int_equal(symlink(victim, tmp), 0);
	fill(&c, s, pend);
	old_umask = umask(0);
	assert_int_equal(checkpoint_write(path, &c), 0);
	umask(old_umask);
	f = fopen(victim, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, victim_text);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	/* ck, the symlink, the victim: no temporary left behind. */
	assert_int_equal(count_entries(dir), 3);
	unlink(tmp);

	/* A pre-created world-writable temporary is not reused either. */
	f = fopen(tmp, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(tmp, 0666), 0);
	assert_int_equal(checkpoint_write(path, &c), 0);
	assert_int_equal(stat(tmp, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_entries(dir), 3);

	unlink(tmp);
	unlink(victim);
	unlink(path);
	rmdir(dir);
	store_free(s);
}

static void test_write_is_atomic(void **state)
{
	char dir[] = "/tmp/rs-ckdir-XXXXXX";
	char path[64];
	struct sched_probe pend[2];
	struct checkpoint c, back;
	struct rs_error err;
	struct store *s = make_store(40000);

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ck", dir);
	fill(&c, s, pend);
	assert_int_equal(checkpoint_write(path, &c), 0);
	c.issued = 9500;
	assert_int_equal(checkpoint_write(path, &c), 0);
	/* The temporary is renamed away, never left beside. */
	assert_int_equal(count_entries(dir), 1);
	memset(&err, 0, sizeof(err));
	assert_int_equal(checkpoint_read(path, 0, &back, &err), 0);
	assert_int_equal(back.issued, 9500);
	checkpoint_release(&back);
	/* A FIFO (as a device node would be) is not replaced by the
	 * rename: --checkpoint /dev/null as root must not remove the node. */
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(checkpoint_write(path, &c), -ENODEV);
	{
		struct stat st;

		assert_int_equal(lstat(path, &st), 0);
		assert_true(S_ISFIFO(st.st_mode));
	}
	assert_int_equal(count_entries(dir), 1);
	unlink(path);
	assert_int_equal(checkpoint_write(dir, &c), -EISDIR);
	/* A directory that does not exist: an error, nothing written. */
	assert_true(checkpoint_write("/nonexistent-dir/ck", &c) < 0);
	assert_int_equal(checkpoint_read("/nonexistent-dir/ck", 0, &back, &err),
			 -ENOENT);
	unlink(path);
	rmdir(dir);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_bit_flips_everywhere),
		cmocka_unit_test(test_lying_fields),
		cmocka_unit_test(test_write_is_atomic),
		cmocka_unit_test(test_write_ignores_planted_temp),
		cmocka_unit_test(test_crafted_fields),
		cmocka_unit_test(test_crafted_bytes),
		cmocka_unit_test(test_crafted_reasons),
		cmocka_unit_test(test_crc_over_4gib),
		cmocka_unit_test(test_size_bound),
		cmocka_unit_test(test_owner_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
