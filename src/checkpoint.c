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
 *   u32 crc32 of every byte above
 *
 * The reader checks the CRC before it believes any length, then parses with
 * a cursor that refuses to step past the end, so a hostile file can cost at
 * most a refusal.  "\r\n" in the magic catches text-mode mangling, as PNG's
 * signature does.
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
	h = fnv(h, &seed, sizeof(seed));
	h = fnv(h, &shard_count, sizeof(shard_count));
	return h;
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
	w->crc = crc32(w->crc, p, (uInt)n);
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
	char *copy;
	int dirfd = -1, fd = -1, ret;

	ret = open_parent(path, &copy, &base, &dirfd);
	if (ret)
		return ret;
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

static uint64_t r_u64(struct rbuf *r)
{
	const uint8_t *b = r_bytes(r, 8);
	uint64_t v = 0;

	for (int i = 0; b && i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static int bad(struct rs_error *err, const char *reason)
{
	if (err) {
		err->reason = reason;
		err->line = 0;
	}
	return -EINVAL;
}

int checkpoint_parse(const uint8_t *buf, size_t len, struct checkpoint *c,
		     struct rs_error *err)
{
	struct rbuf r = { .p = buf, .left = len };
	const uint8_t *b;
	uint32_t crc_stored;
	uint64_t npages;
	char version[CKPT_VERSION_LEN + 1];
	int ret;

	memset(c, 0, sizeof(*c));
	if (len < sizeof(ckpt_magic) + 4 ||
	    memcmp(buf, ckpt_magic, sizeof(ckpt_magic)))
		return bad(err, "not a ringscan checkpoint file");
	crc_stored = (uint32_t)buf[len - 4] | (uint32_t)buf[len - 3] << 8 |
		     (uint32_t)buf[len - 2] << 16 |
		     (uint32_t)buf[len - 1] << 24;
	if ((uint32_t)crc32(crc32(0, Z_NULL, 0), buf, (uInt)(len - 4)) !=
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
	c->complete = r_u32(&r) != 0;
	c->argc = r_u32(&r);
	if (r.short_read || !c->shard_count ||
	    c->shard_index >= c->shard_count || !c->nprobes ||
	    c->nprobes > CHECKPOINT_MAX_PROBES || c->issued > c->nprobes ||
	    c->argc == 0 || c->argc > CHECKPOINT_MAX_ARGS)
		return bad(err, "checkpoint header is inconsistent");

	c->argv = calloc(c->argc + 1, sizeof(*c->argv));
	if (!c->argv)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->argc; i++) {
		uint32_t n = r_u32(&r);

		b = r_bytes(&r, n);
		if (!b || memchr(b, '\0', n)) {
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
	    (uint64_t)c->npending * 12 > r.left) {
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
		if (c->pending[i].probe >= c->nprobes) {
			ret = bad(err, "checkpoint pending probe out of range");
			goto out_release;
		}
	}

	ret = store_new(&c->store, c->nprobes);
	if (ret)
		goto out_release;
	npages = r_u64(&r);
	if (r.short_read || npages > store_page_count(c->store) ||
	    npages * (8 + STORE_PAGE_BYTES) != r.left) {
		ret = bad(err, "checkpoint state pages are damaged");
		goto out_release;
	}
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t pg = r_u64(&r);

		b = r_bytes(&r, STORE_PAGE_BYTES);
		if (!b || store_merge_page(c->store, pg, b, NULL)) {
			ret = bad(err, "checkpoint state page out of range");
			goto out_release;
		}
	}
	return 0;

out_release:
	checkpoint_release(c);
	return ret;
}

int checkpoint_read(const char *path, struct checkpoint *c,
		    struct rs_error *err)
{
	char *buf;
	size_t len;
	int fd, ret;

	memset(c, 0, sizeof(*c));
	if (err)
		rs_error_set(err, path, strlen(path), NULL);
	ret = fileio_open(path, &fd, NULL);
	if (ret)
		return ret;
	ret = fileio_read_fd(fd, SIZE_MAX, &buf, &len);
	close(fd);
	if (ret)
		return ret;
	ret = checkpoint_parse((const uint8_t *)buf, len, c, err);
	free(buf);
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
