/*
 * owners.c - socket inode -> holding processes (see owners.h).
 *
 * One pass over PROC/[0-9]*: for each process, readlinkat() on every entry
 * of its fd directory, keeping the ones that read "socket:[N]" with N among
 * the wanted inodes (a sorted copy, searched by bisection, so the walk costs
 * O(fds * log wanted)).  Directory fds are opened relative to each other
 * (openat) so a process that exits mid-walk fails cleanly at one step
 * instead of leaving half a path behind.  comm and status are read only for
 * processes that hold a wanted socket.
 *
 * Threads share their process's fd table, so PROC/PID/task is not walked:
 * that would list the same sockets once per thread.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "owners.h"

#define OWNERS_FIRST 64
#define OWNERS_PWBUF 4096

int owners_parse_link(const char *target, size_t len, uint64_t *inode)
{
	static const char prefix[] = "socket:[";
	size_t plen = sizeof(prefix) - 1, i;
	uint64_t v = 0;

	if (len < plen + 2 || memcmp(target, prefix, plen) ||
	    target[len - 1] != ']')
		return -EINVAL;
	for (i = plen; i < len - 1; i++) {
		unsigned d;

		if (target[i] < '0' || target[i] > '9')
			return -EINVAL;
		d = (unsigned)(target[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (i == plen)
		return -EINVAL;
	*inode = v;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_owner(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

static bool wanted(const uint64_t *set, size_t n, uint64_t inode)
{
	size_t lo = 0, hi = n;

	if (!n)
		return true; /* no filter: every socket */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (set[mid] == inode)
			return true;
		if (set[mid] < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/*
 * Small file relative to dirfd into buf (NUL-terminated); bytes or -errno.
 * Through fileio: under --proc-root the "process" is a directory anyone
 * could have made, and its comm may be a FIFO that would hang the read.
 */
static ssize_t read_small(int dirfd, const char *name, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	n = fileio_open_at(dirfd, name, &fd, NULL);
	if (n)
		return n;
	do
		n = read(fd, buf, len - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Effective uid from a status file's "Uid:\treal\teffective\t..." line. */
static uint32_t status_euid(const char *status)
{
	const char *p = strstr(status, "\nUid:");
	unsigned long real, eff;

	if (!p)
		return UINT32_MAX;
	if (sscanf(p + 5, "%lu %lu", &real, &eff) != 2 || eff > UINT32_MAX)
		return UINT32_MAX;
	return (uint32_t)eff;
}

static void user_name(uint32_t uid, char *out, size_t len)
{
	struct passwd pw, *res = NULL;
	char buf[OWNERS_PWBUF];

	if (uid == UINT32_MAX) {
		out[0] = '\0';
		return;
	}
	if (getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &res) == 0 && res &&
	    strlen(res->pw_name) < len)
		snprintf(out, len, "%s", res->pw_name);
	else
		snprintf(out, len, "%u", uid);
}

static int add_owner(struct owner_table *t, size_t *cap, const struct owner *o)
{
	if (t->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : OWNERS_FIRST;
		struct owner *v = reallocarray(t->v, ncap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		*cap = ncap;
	}
	t->v[t->n++] = *o;
	return 0;
}

/* Fill comm, uid and user for the owners [from, t->n) of process pdir. */
static void describe(struct owner_table *t, size_t from, int pdir)
{
	char comm[OWNERS_COMM_LEN + 1] = "";
	char status[4096];
	char user[OWNERS_USER_LEN] = "";
	uint32_t uid = UINT32_MAX;
	ssize_t n;

	n = read_small(pdir, "comm", comm, sizeof(comm));
	if (n > 0 && comm[n - 1] == '\n')
		comm[n - 1] = '\0';
	if (read_small(pdir, "status", status, sizeof(status)) > 0)
		uid = status_euid(status);
	user_name(uid, user, sizeof(user));
	comm[OWNERS_COMM_LEN - 1] = '\0'; /* comm is at most 15 bytes */
	for (size_t i = from; i < t->n; i++) {
		memcpy(t->v[i].comm, comm, sizeof(t->v[i].comm));
		snprintf(t->v[i].user, sizeof(t->v[i].user), "%s", user);
		t->v[i].uid = uid;
	}
}

/* One process: its socket fds that are wanted.  0 or -ENOMEM. */
static int walk_process(struct owner_table *t, size_t *cap, int root,
			const char *pidname, const uint64_t *set, size_t nset)
{
	char target[64];
	struct dirent *d;
	size_t first = t->n;
	int pdir, fdir, ret = 0;
	DIR *dir;

	pdir = openat(root, pidname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pdir < 0) {
		t->unreadable++;
		return 0;
	}
	fdir = openat(pdir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fdir < 0 || !(dir = fdopendir(fdir))) {
		if (fdir >= 0)
			close(fdir);
		close(pdir);
		t->unreadable++;
		return 0;
	}
	while ((d = readdir(dir))) {
		struct owner o;
		ssize_t n;
		uint64_t inode;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		n = readlinkat(dirfd(dir), d->d_name, target, sizeof(target));
		if (n <= 0 || (size_t)n >= sizeof(target))
			continue;
		if (owners_parse_link(target, (size_t)n, &inode) || !inode ||
		    !wanted(set, nset, inode))
			continue;
		memset(&o, 0, sizeof(o));
		o.inode = inode;
		o.pid = (int32_t)strtol(pidname, NULL, 10);
		o.fd = (int32_t)strtol(d->d_name, NULL, 10);
		ret = add_owner(t, cap, &o);
		if (ret)
			break;
	}
	closedir(dir);
	if (!ret && t->n > first)
		describe(t, first, pdir);
	close(pdir);
	return ret;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int owners_load(struct owner_table *t, const char *proc_root,
		const uint64_t *inodes, size_t ninodes)
{
	uint64_t *set = NULL;
	size_t nset = 0, cap = 0;
	struct dirent *d;
	DIR *dir;
	int ret = 0;

	memset(t, 0, sizeof(*t));
	if (ninodes) {
		set = malloc(ninodes * sizeof(*set));
		if (!set)
			return -ENOMEM;
		for (size_t i = 0; i < ninodes; i++)
			if (inodes[i])
				set[nset++] = inodes[i];
		qsort(set, nset, sizeof(*set), cmp_u64);
		if (!nset)
			goto out_free_set; /* only zeros asked for: none */
	}
	dir = opendir(proc_root);
	if (!dir) {
		ret = -errno;
		goto out_free_set;
	}
	while ((d = readdir(dir))) {
		if (!all_digits(d->d_name))
			continue;
		ret = walk_process(t, &cap, dirfd(dir), d->d_name, set, nset);
		if (ret)
			break;
	}
	closedir(dir);
	if (ret) {
		owners_free(t);
		goto out_free_set;
	}
	if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), cmp_owner);
out_free_set:
	free(set);
	return ret;
}

const struct owner *owners_find(const struct owner_table *t, uint64_t inode,
				size_t *count)
{
	size_t lo = 0, hi = t->n, end;

	*count = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == t->n || t->v[lo].inode != inode)
		return NULL;
	for (end = lo; end < t->n && t->v[end].inode == inode; end++)
		;
	*count = end - lo;
	return &t->v[lo];
}

void owners_free(struct owner_table *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
}
