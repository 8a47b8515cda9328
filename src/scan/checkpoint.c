/*
 * checkpoint.c - write and read scan checkpoints (see checkpoint.h).
 *
 * Layout, all integers little-endian (written byte by byte, so the file
 * means the same on any host):
 *
 *   magic "RSCKPT\r\n"  u32 format  char version[16]
 *   u64 fingerprint  u64 nprobes  u32 shard_index  u32 shard_count
 *   u64 issued  u64 elapsed_ns  u32 complete
 *   u32 argc, then per argument: u32 length, bytes (no NUL)
 *   u32 npending, then per probe: u64 probe, u32 attempt
 *   u64 npages, then per page: u64 page index, STORE_PAGE_BYTES cells
 *   u64 nreasons, then per reason: u64 probe, u8 code (store.h: the
 *       reasons of unreachable cells other than host-unreach; format 2)
 *   u32 crc32 of every byte above
 *
 * The reader checks the CRC before it believes any length, then parses with
 * a cursor that refuses to step past the end, so a hostile file can cost at
 * most a refusal.  "\r\n" in the magic catches text-mode mangling, as PNG's
 * signature does.
 *
 * A CRC is no authentication: anyone who can write the file can make every
 * field say anything and fix the checksum.  So every field is also checked
 * against what the recorded scan makes possible, because the scan code
 * after resume trusts them: a probe pending twice would be sent and
 * reported twice, answers beyond the issued count would be dropped from
 * the rows, an elapsed time near 2^64 would wrap when the new run adds to
 * it.  The file's size is bounded by the same numbers before it is read
 * (checkpoint_size_max), so a huge file costs a refusal, not its size in
 * memory.  What is not checked is whether the stored answers and pending
 * probes belong to this shard's issued prefix: that needs the seeded
 * permutation, which lives in the command line, and a wrong one costs
 * wrong rows, not safety.  Who may have written the file is the other half
 * of trusting it (checkpoint_check_owner).
 *
 * zlib's crc32 takes a 32-bit length: crc_update feeds it in chunks, so a
 * checkpoint over 4 GiB checksums the same on both sides.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "checkpoint.h"
#include "fileio.h"
#include "version.h"

static const uint8_t ckpt_magic[8] = {
	'R', 'S', 'C', 'K', 'P', 'T', '\r', '\n'
};

#define CKPT_VERSION_LEN 16
/* magic, format, version, fingerprint .. argc: what precedes the argv. */
#define CKPT_HEAD_LEN (8 + 4 + CKPT_VERSION_LEN + 8 + 8 + 4 + 4 + 8 + 8 + 4 + 4)
#define CKPT_OFF_NPROBES (8 + 4 + CKPT_VERSION_LEN + 8)
#define CKPT_OFF_ISSUED (CKPT_OFF_NPROBES + 8 + 4 + 4)
#define CKPT_PENDING_BYTES 12 /* u64 probe, u32 attempt */
#define CKPT_PAGE_ENTRY_BYTES (8 + STORE_PAGE_BYTES)
#define CKPT_REASON_BYTES 9 /* u64 probe, u8 code */
/* zlib's length is 32 bits; feed it whole pages well below that. */
#define CKPT_CRC_CHUNK (1u << 30)
/* Random temporary names to try before giving up (each collision is
 * 2^-64 unless someone is planting names). */
#define CKPT_TEMP_TRIES 8

/* ---- fingerprint: FNV-1a 64 over the defining values ---- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t checkpoint_fingerprint(const struct targets *t,
				const struct portlist *pl, uint64_t seed,
				uint32_t shard_count)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t n = targets_range_count(t);

	for (size_t i = 0; i < n; i++) {
		uint8_t buf[33];
		rs_u128 lo, hi;
		int fam;

		targets_range(t, i, &fam, &lo, &hi);
		buf[0] = (uint8_t)fam;
		for (int k = 0; k < 16; k++) {
			buf[1 + k] = (uint8_t)(lo >> (8 * k));
			buf[17 + k] = (uint8_t)(hi >> (8 * k));
		}
		h = fnv(h, buf, sizeof(buf));
	}
	h = fnv(h, &pl->count, sizeof(pl->count));
	h = fnv(h, pl->port, pl->count * sizeof(pl->port[0]));
	/* Only when there are UDP ports, so TCP scans keep their old
	 * fingerprints (and checkpoints of older versions resume). */
	if (pl->nudp)
		h = fnv(h, &pl->nudp, sizeof(pl->nudp));
	h = fnv(h, &seed, sizeof(seed));
	h = fnv(h, &shard_count, sizeof(shard_count));
	return h;
}

static uLong crc_update(uLong crc, const void *p, size_t n)
{
	const Bytef *b = p;

	while (n) {
		uInt k = n > CKPT_CRC_CHUNK ? CKPT_CRC_CHUNK : (uInt)n;

		crc = crc32(crc, b, k);
		b += k;
		n -= k;
	}
	return crc;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* How many probes shard_index of shard_count holds (as scheduler.c counts). */
static uint64_t shard_total(uint64_t nprobes, uint32_t shard_index,
			    uint32_t shard_count)
{
	if (nprobes <= shard_index || !shard_count)
		return 0;
	return (nprobes - 1 - shard_index) / shard_count + 1;
}

uint64_t checkpoint_size_max(uint64_t nprobes, uint64_t issued)
{
	/* Every page the store can have: ceil((nprobes / 4 + 1) / 4096)
	 * at most, as store_new counts them. */
	uint64_t pages = nprobes / (4 * (uint64_t)STORE_PAGE_BYTES) + 1;

	if (nprobes > CHECKPOINT_MAX_PROBES)
		return 0;
	return CKPT_HEAD_LEN + 4ULL * CHECKPOINT_MAX_ARGS +
	       CHECKPOINT_MAX_ARGV_BYTES + 4 +
	       min_u64(issued, CHECKPOINT_MAX_PENDING) * CKPT_PENDING_BYTES +
	       8 + pages * CKPT_PAGE_ENTRY_BYTES + 8 +
	       min_u64(issued, nprobes) * CKPT_REASON_BYTES + 4;
}

/* ---- writer ---- */

struct wbuf {
	FILE *f;
	uLong crc;
	int err;
};

static void w_bytes(struct wbuf *w, const void *p, size_t n)
{
	if (w->err || !n)
		return;
	w->crc = crc_update(w->crc, p, n);
	if (fwrite(p, 1, n, w->f) != n)
		w->err = errno ? -errno : -EIO;
}

static void w_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4];

	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	w_bytes(w, b, sizeof(b));
}

static void w_u64(struct wbuf *w, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	w_bytes(w, b, sizeof(b));
}

static void write_body(struct wbuf *w, const struct checkpoint *c)
{
	char version[CKPT_VERSION_LEN] = { 0 };
	uint64_t npages = 0, pg;
	unsigned code;

	strncpy(version, RINGSCAN_VERSION, sizeof(version) - 1);
	w_bytes(w, ckpt_magic, sizeof(ckpt_magic));
	w_u32(w, CHECKPOINT_FORMAT);
	w_bytes(w, version, sizeof(version));
	w_u64(w, c->fingerprint);
	w_u64(w, c->nprobes);
	w_u32(w, c->shard_index);
	w_u32(w, c->shard_count);
	w_u64(w, c->issued);
	w_u64(w, c->elapsed_ns);
	w_u32(w, c->complete);
	w_u32(w, c->argc);
	for (uint32_t i = 0; i < c->argc; i++) {
		size_t n = strlen(c->argv[i]);

		w_u32(w, (uint32_t)n);
		w_bytes(w, c->argv[i], n);
	}
	w_u32(w, c->npending);
	for (uint32_t i = 0; i < c->npending; i++) {
		w_u64(w, c->pending[i].probe);
		w_u32(w, c->pending[i].attempt);
	}
	for (pg = store_next_page(c->store, 0); pg < store_page_count(c->store);
	     pg = store_next_page(c->store, pg + 1))
		npages++;
	w_u64(w, npages);
	for (pg = store_next_page(c->store, 0); pg < store_page_count(c->store);
	     pg = store_next_page(c->store, pg + 1)) {
		w_u64(w, pg);
		w_bytes(w, store_page(c->store, pg), STORE_PAGE_BYTES);
	}
	w_u64(w, store_reason_count(c->store));
	for (uint64_t pos = 0, probe;
	     store_reason_next(c->store, &pos, &probe, &code);) {
		uint8_t b = (uint8_t)code;

		w_u64(w, probe);
		w_bytes(w, &b, 1);
	}
}

/*
 * Split path into an open descriptor of its directory and the last
 * component (a pointer into *copy, which the caller frees).
 */
static int open_parent(const char *path, char **copy, const char **base,
		       int *dirfd)
{
	char *slash;
	int fd;

	*copy = strdup(path);
	if (!*copy)
		return -ENOMEM;
	slash = strrchr(*copy, '/');
	if (slash) {
		*slash = '\0';
		*base = slash + 1;
		fd = open(slash == *copy ? "/" : *copy,
			  O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		*base = *copy;
		fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0 || !**base) {
		int ret = fd < 0 ? -errno : -EISDIR;

		if (fd >= 0)
			close(fd);
		free(*copy);
		*copy = NULL;
		return ret;
	}
	*dirfd = fd;
	return 0;
}

/*
 * A new temporary beside the target: "BASE.tmp-" and 16 random hex digits,
 * created O_EXCL | O_NOFOLLOW, mode 0600.  A name planted in advance (a
 * symlink to a file of root's, a file its planter can read) cannot be
 * guessed, and if it were, the open fails instead of following or reusing
 * it.  0600 because a checkpoint is a command line: only its owner should
 * read or change it (see checkpoint.h).
 */
static int create_temp(int dirfd, const char *base, char *tmp, size_t len,
		       int *fd)
{
	for (int tries = 0; tries < CKPT_TEMP_TRIES; tries++) {
		uint64_t r;
		int f, n;

		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
			r = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^
			    ((uint64_t)tries << 48);
		n = snprintf(tmp, len, "%s.tmp-%016llx", base,
			     (unsigned long long)r);
		if (n < 0 || (size_t)n >= len)
			return -ENAMETOOLONG;
		f = openat(dirfd, tmp,
			   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			   0600);
		if (f >= 0) {
			*fd = f;
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/*
 * Everything happens relative to one descriptor of the target's directory,
 * so the temporary, the rename and the directory's fsync all concern the
 * same directory (rename is atomic only within one), even if a component
 * of the path is swapped meanwhile.
 */
int checkpoint_write(const char *path, const struct checkpoint *c)
{
	struct wbuf w = { .crc = crc32(0, Z_NULL, 0) };
	char tmp[NAME_MAX + 1];
	const char *base;
	size_t argv_bytes = 0;
	char *copy;
	int dirfd = -1, fd = -1, ret;

	/* Never write what the reader would refuse as too large. */
	for (uint32_t i = 0; i < c->argc && i < CHECKPOINT_MAX_ARGS; i++)
		argv_bytes += strlen(c->argv[i]);
	if (c->argc > CHECKPOINT_MAX_ARGS ||
	    argv_bytes > CHECKPOINT_MAX_ARGV_BYTES ||
	    c->npending > CHECKPOINT_MAX_PENDING)
		return -E2BIG;
	struct stat st;

	ret = open_parent(path, &copy, &base, &dirfd);
	if (ret)
		return ret;
	/* The rename would replace a device node or FIFO (as root, even
	 * --checkpoint /dev/null); a symlink is replaced itself, harmlessly. */
	if (!fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) &&
	    !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -FILEIO_ENOTREG;
		goto out_close_dir;
	}
	ret = create_temp(dirfd, base, tmp, sizeof(tmp), &fd);
	if (ret)
		goto out_close_dir;
	w.f = fdopen(fd, "wb");
	if (!w.f) {
		ret = -errno;
		close(fd);
		goto out_unlink;
	}
	write_body(&w, c);
	w_u32(&w, (uint32_t)w.crc);
	if (!w.err && fflush(w.f))
		w.err = -errno;
	if (!w.err && fsync(fileno(w.f)))
		w.err = -errno;
	if (fclose(w.f) && !w.err)
		w.err = -errno;
	ret = w.err;
	if (ret)
		goto out_unlink;
	if (renameat(dirfd, tmp, dirfd, base)) {
		ret = -errno;
		goto out_unlink;
	}
	/* The rename itself must reach the disk, or a crash can undo it. */
	if (fsync(dirfd) && errno != EINVAL)
		ret = -errno;
	goto out_close_dir;

out_unlink:
	unlinkat(dirfd, tmp, 0);
out_close_dir:
	close(dirfd);
	free(copy);
	return ret;
}

bool checkpoint_looks_like(const void *buf, size_t len)
{
	return len >= sizeof(ckpt_magic) &&
	       !memcmp(buf, ckpt_magic, sizeof(ckpt_magic));
}

/* ---- reader ---- */

struct rbuf {
	const uint8_t *p;
	size_t left;
	bool short_read;
};

static const uint8_t *r_bytes(struct rbuf *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->short_read || n > r->left) {
		r->short_read = true;
		return NULL;
	}
	r->p += n;
	r->left -= n;
	return p;
}

static uint32_t r_u32(struct rbuf *r)
{
	const uint8_t *b = r_bytes(r, 4);
	uint32_t v = 0;

	for (int i = 0; b && i < 4; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

static uint64_t get_le64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static uint64_t r_u64(struct rbuf *r)
{
	const uint8_t *b = r_bytes(r, 8);

	return b ? get_le64(b) : 0;
}

static int bad(struct rs_error *err, const char *reason)
{
	if (err) {
		err->reason = reason;
		err->line = 0;
	}
	return -EINVAL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The fixed fields, each against the others and against the limits. */
static int check_header(const struct checkpoint *c, uint32_t complete,
			struct rs_error *err)
{
	uint64_t total;

	if (!c->shard_count || c->shard_index >= c->shard_count ||
	    !c->nprobes || c->nprobes > CHECKPOINT_MAX_PROBES || c->argc == 0 ||
	    c->argc > CHECKPOINT_MAX_ARGS || complete > 1)
		return bad(err, "checkpoint header is inconsistent");
	total = shard_total(c->nprobes, c->shard_index, c->shard_count);
	if (c->issued > total)
		return bad(
			err,
			"checkpoint says more probes were issued than its shard holds");
	if (c->complete && c->issued != total)
		return bad(
			err,
			"checkpoint says the scan is complete before every probe was issued");
	if (c->elapsed_ns > CHECKPOINT_MAX_ELAPSED_NS)
		return bad(err, "checkpoint elapsed time is impossible");
	return 0;
}

/*
 * Pending probes: within the space, a sane attempt number, each listed
 * once, no more than were issued, none once the scan is complete.
 */
static int check_pending(const struct checkpoint *c, struct rs_error *err)
{
	uint64_t *probes;
	int ret = 0;

	if (c->complete && c->npending)
		return bad(err, "checkpoint says complete with probes pending");
	for (uint32_t i = 0; i < c->npending; i++) {
		if (c->pending[i].probe >= c->nprobes)
			return bad(err,
				   "checkpoint pending probe out of range");
		if (c->pending[i].attempt > CHECKPOINT_MAX_ATTEMPT)
			return bad(err,
				   "checkpoint pending attempt out of range");
	}
	if (c->npending < 2)
		return 0;
	probes = malloc(c->npending * sizeof(*probes));
	if (!probes)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->npending; i++)
		probes[i] = c->pending[i].probe;
	qsort(probes, c->npending, sizeof(*probes), cmp_u64);
	for (uint32_t i = 1; i < c->npending; i++)
		if (probes[i] == probes[i - 1]) {
			ret = bad(err,
				  "checkpoint lists a pending probe twice");
			break;
		}
	free(probes);
	return ret;
}

int checkpoint_parse(const uint8_t *buf, size_t len, struct checkpoint *c,
		     struct rs_error *err)
{
	struct rbuf r = { .p = buf, .left = len };
	const uint8_t *b;
	uint32_t crc_stored, complete;
	uint64_t npages, prev_page = 0, answers, nreasons;
	size_t argv_bytes = 0;
	char version[CKPT_VERSION_LEN + 1];
	int ret;

	memset(c, 0, sizeof(*c));
	if (len < sizeof(ckpt_magic) + 4 ||
	    memcmp(buf, ckpt_magic, sizeof(ckpt_magic)))
		return bad(err, "not a ringscan checkpoint file");
	crc_stored = (uint32_t)buf[len - 4] | (uint32_t)buf[len - 3] << 8 |
		     (uint32_t)buf[len - 2] << 16 |
		     (uint32_t)buf[len - 1] << 24;
	if ((uint32_t)crc_update(crc32(0, Z_NULL, 0), buf, len - 4) !=
	    crc_stored)
		return bad(
			err,
			"checkpoint is truncated or corrupted (checksum mismatch); start the scan again");
	r.left = len - 4;

	r_bytes(&r, sizeof(ckpt_magic));
	if (r_u32(&r) != CHECKPOINT_FORMAT)
		return bad(
			err,
			"checkpoint format from another ringscan version; start the scan again");
	b = r_bytes(&r, CKPT_VERSION_LEN);
	if (!b)
		return bad(err, "checkpoint is truncated");
	memcpy(version, b, CKPT_VERSION_LEN);
	version[CKPT_VERSION_LEN] = '\0';
	if (strcmp(version, RINGSCAN_VERSION))
		return bad(
			err,
			"checkpoint written by another ringscan version; resume with that version or start again");
	c->fingerprint = r_u64(&r);
	c->nprobes = r_u64(&r);
	c->shard_index = r_u32(&r);
	c->shard_count = r_u32(&r);
	c->issued = r_u64(&r);
	c->elapsed_ns = r_u64(&r);
	complete = r_u32(&r);
	c->complete = complete != 0;
	c->argc = r_u32(&r);
	if (r.short_read)
		return bad(err, "checkpoint header is inconsistent");
	ret = check_header(c, complete, err);
	if (ret)
		goto out_release;

	c->argv = calloc(c->argc + 1, sizeof(*c->argv));
	if (!c->argv) {
		ret = -ENOMEM;
		goto out_release;
	}
	for (uint32_t i = 0; i < c->argc; i++) {
		uint32_t n = r_u32(&r);

		b = r_bytes(&r, n);
		argv_bytes += n;
		if (!b || memchr(b, '\0', n) ||
		    argv_bytes > CHECKPOINT_MAX_ARGV_BYTES) {
			ret = bad(err, "checkpoint command line is damaged");
			goto out_release;
		}
		c->argv[i] = strndup((const char *)b, n);
		if (!c->argv[i]) {
			ret = -ENOMEM;
			goto out_release;
		}
	}

	c->npending = r_u32(&r);
	if (r.short_read || c->npending > c->issued ||
	    c->npending > CHECKPOINT_MAX_PENDING ||
	    (uint64_t)c->npending * CKPT_PENDING_BYTES > r.left) {
		ret = bad(err, "checkpoint pending list is damaged");
		goto out_release;
	}
	c->pending = calloc(c->npending ? c->npending : 1, sizeof(*c->pending));
	if (!c->pending) {
		ret = -ENOMEM;
		goto out_release;
	}
	for (uint32_t i = 0; i < c->npending; i++) {
		c->pending[i].probe = r_u64(&r);
		c->pending[i].attempt = r_u32(&r);
	}
	ret = check_pending(c, err);
	if (ret)
		goto out_release;

	ret = store_new(&c->store, c->nprobes);
	if (ret)
		goto out_release;
	npages = r_u64(&r);
	if (r.short_read || npages > store_page_count(c->store) ||
	    npages * CKPT_PAGE_ENTRY_BYTES > r.left) {
		ret = bad(err, "checkpoint state pages are damaged");
		goto out_release;
	}
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t pg = r_u64(&r);

		/* The writer walks pages upwards; anything else, a page
		 * twice included, is not its work. */
		if (i && pg <= prev_page) {
			ret = bad(err,
				  "checkpoint state pages are out of order");
			goto out_release;
		}
		prev_page = pg;
		b = r_bytes(&r, STORE_PAGE_BYTES);
		if (!b || store_merge_page(c->store, pg, b, NULL)) {
			ret = bad(err, "checkpoint state page out of range");
			goto out_release;
		}
	}
	nreasons = r_u64(&r);
	if (r.short_read || nreasons > c->nprobes ||
	    nreasons * CKPT_REASON_BYTES != r.left) {
		ret = bad(err, "checkpoint reasons are damaged");
		goto out_release;
	}
	for (uint64_t i = 0; i < nreasons; i++) {
		uint64_t probe = r_u64(&r);

		b = r_bytes(&r, 1);
		/* Only an unreachable cell has a reason, and only one. */
		if (!b || probe >= c->nprobes ||
		    store_get(c->store, probe) != STORE_UNREACH || !*b ||
		    *b >= store_reason_codes() ||
		    store_reason(c->store, probe) !=
			    STORE_REASON_HOST_UNREACH) {
			ret = bad(err,
				  "checkpoint reason does not fit its cell");
			goto out_release;
		}
		if (store_set_reason(c->store, probe, *b)) {
			ret = -ENOMEM;
			goto out_release;
		}
	}
	/* Only issued probes can have been answered. */
	answers = store_count(c->store, STORE_OPEN) +
		  store_count(c->store, STORE_CLOSED) +
		  store_count(c->store, STORE_UNREACH);
	if (answers > c->issued) {
		ret = bad(err,
			  "checkpoint holds more answers than probes issued");
		goto out_release;
	}
	return 0;

out_release:
	checkpoint_release(c);
	return ret;
}

int checkpoint_check_owner(const struct stat *st, uid_t euid,
			   struct rs_error *err)
{
	if (st->st_uid == euid && !(st->st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	if (err) {
		err->reason =
			st->st_uid != euid ?
				"owned by another user; a checkpoint is a command line that resume and merge act on with your privileges: check it, then chown it or add --trust-checkpoint" :
				"writable by group or others; a checkpoint is a command line that resume and merge act on with your privileges: check it, then chmod go-w it or add --trust-checkpoint";
		err->line = 0;
	}
	return -EPERM;
}

int checkpoint_read(const char *path, unsigned flags, struct checkpoint *c,
		    struct rs_error *err)
{
	uint8_t head[CKPT_HEAD_LEN];
	struct stat st;
	uint64_t max;
	char *buf;
	size_t len;
	ssize_t n;
	int fd, ret;

	memset(c, 0, sizeof(*c));
	if (err)
		rs_error_set(err, path, strlen(path), NULL);
	ret = fileio_open(path, &fd, &st);
	if (ret)
		return ret;
	if (flags & CHECKPOINT_OWNED) {
		ret = checkpoint_check_owner(&st, geteuid(), err);
		if (ret)
			goto out_close;
	}
	/*
	 * Bound the read by the scan the header describes, before reading
	 * the rest: a 6 GB file that claims a small scan costs a refusal,
	 * not 6 GB.  The header is not yet checksummed, but a lie in it can
	 * only raise the bound to what a real scan of that size may write.
	 */
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		ret = -errno;
		goto out_close;
	}
	if ((size_t)n < sizeof(head)) {
		max = sizeof(head); /* parse says what is missing */
	} else if (!checkpoint_looks_like(head, sizeof(head))) {
		ret = bad(err, "not a ringscan checkpoint file");
		goto out_close;
	} else {
		max = checkpoint_size_max(get_le64(head + CKPT_OFF_NPROBES),
					  get_le64(head + CKPT_OFF_ISSUED));
	}
	if ((uint64_t)st.st_size > max) {
		ret = bad(
			err,
			"checkpoint is larger than the scan it records can explain");
		goto out_close;
	}
	ret = fileio_read_fd(fd, max > SIZE_MAX ? SIZE_MAX : (size_t)max, &buf,
			     &len);
	if (ret == -EFBIG)
		ret = bad(err,
			  "checkpoint grew larger than its scan can explain");
	if (ret)
		goto out_close;
	ret = checkpoint_parse((const uint8_t *)buf, len, c, err);
	free(buf);
out_close:
	close(fd);
	return ret;
}

void checkpoint_release(struct checkpoint *c)
{
	if (c->argv)
		for (uint32_t i = 0; i < c->argc; i++)
			free(c->argv[i]);
	free(c->argv);
	free(c->pending);
	store_free(c->store);
	memset(c, 0, sizeof(*c));
}
