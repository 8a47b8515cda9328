/*
 * owners.h - which processes hold a socket: inode -> pid, program, user.
 *
 * The kernel's socket listings name a socket by its inode; which process
 * holds it is only found the way `ss -p` and `netstat -p` find it: by
 * walking the entries of PROC/PID/fd and reading each link, "socket:[INODE]".  One walk
 * answers for every inode the caller asks about; for each holder it then
 * reads PROC/PID/comm (the program name) and PROC/PID/status (the effective
 * uid, turned into a user name with getpwuid_r - the live machine's users,
 * also for a captured --proc-root).
 *
 * A socket may have several holders (a pre-fork server's workers share its
 * listening socket): every (inode, pid) pair is kept, sorted by inode then
 * pid, and owners_find() returns the run for one inode.  A process whose fd
 * directory cannot be read (another user's, for a non-root caller; or one
 * that exited mid-walk) is skipped and counted in `unreadable`, so the
 * caller can say "owner unknown" rather than "no owner".
 *
 * The proc root is a parameter ("/proc" normally) so that a captured copy,
 * or a test's fake tree, stands in for it.  Not on any hot path; never
 * prints.
 */
#ifndef RINGSCAN_OWNERS_H
#define RINGSCAN_OWNERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define OWNERS_COMM_LEN 16 /* TASK_COMM_LEN, NUL included */
#define OWNERS_USER_LEN 33

struct owner {
	uint64_t inode;
	int32_t pid;
	int32_t fd;
	uint32_t uid; /* effective uid; UINT32_MAX if status was unreadable */
	char comm[OWNERS_COMM_LEN]; /* "" if unreadable */
	char user[OWNERS_USER_LEN]; /* name, or the uid in decimal, or "" */
};

struct owner_table {
	struct owner *v;
	size_t n;
	unsigned unreadable; /* processes whose fds could not be listed */
};

/*
 * Find the holders of the given socket inodes (any order, duplicates
 * allowed; 0 is ignored) under proc_root.  ninodes == 0 collects every
 * socket found.  t is filled afresh.  0; -ENOENT if proc_root cannot be
 * opened; -ENOMEM.
 */
int owners_load(struct owner_table *t, const char *proc_root,
		const uint64_t *inodes, size_t ninodes);

/* The holders of inode (sorted by pid) and their count; NULL if none. */
const struct owner *owners_find(const struct owner_table *t, uint64_t inode,
				size_t *count);

void owners_free(struct owner_table *t);

/*
 * Parse a fd link target "socket:[12345]" into *inode.  0, or -EINVAL for
 * anything else (pipes, files, garbage).  Exposed for tests.
 */
int owners_parse_link(const char *target, size_t len, uint64_t *inode);

#endif
