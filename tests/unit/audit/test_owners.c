/*
 * test_owners.c - socket inode -> holding processes.
 *
 * A fake proc tree in a scratch directory (PID/fd/N symlinks to
 * "socket:[INODE]", PID/comm, PID/status) stands in for /proc, the way
 * --proc-root lets a captured copy stand in: shared sockets, processes
 * holding several, unreadable processes, non-socket fds, names that are
 * not pids.  Then the real /proc: a socket this test opens must be found
 * with this process's pid, fd and comm.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "owners.h"

static void test_parse_link(void **state)
{
	static const char *const bad[] = {
		"socket:[]",
		"socket:[12a]",
		"socket:[1",
		"socket:1]",
		"pipe:[123]",
		"socket:[123]x",
		"anon_inode:[eventfd]",
		"socket:[-1]",
		"socket:[99999999999999999999999]",
		"",
	};
	uint64_t ino = 0;

	(void)state;
	assert_int_equal(owners_parse_link("socket:[123]", 12, &ino), 0);
	assert_int_equal(ino, 123);
	assert_int_equal(owners_parse_link("socket:[18446744073709551615]", 29,
					   &ino),
			 0);
	assert_int_equal(ino, UINT64_MAX);
	/* length-bounded: trailing bytes past len are not read */
	assert_int_equal(owners_parse_link("socket:[7]garbage", 10, &ino), 0);
	assert_int_equal(ino, 7);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(owners_parse_link(bad[i], strlen(bad[i]),
						   &ino),
				 -EINVAL);
}

struct tree {
	char root[64];
};

static void mk(const char *root, const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void put(const char *root, const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void link_to(const char *root, const char *rel, const char *target)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(symlink(target, p), 0);
}

/* A process dir with comm, status (uid) and its fd links. */
static void proc(const char *root, int pid, const char *comm, unsigned euid,
		 const char *const *links)
{
	char rel[64], text[256];

	snprintf(rel, sizeof(rel), "%d", pid);
	mk(root, rel);
	snprintf(rel, sizeof(rel), "%d/fd", pid);
	mk(root, rel);
	snprintf(rel, sizeof(rel), "%d/comm", pid);
	snprintf(text, sizeof(text), "%s\n", comm);
	put(root, rel, text);
	snprintf(rel, sizeof(rel), "%d/status", pid);
	snprintf(
		text, sizeof(text),
		"Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t1\t%u\t1\t1\nGid:\t0\t0\t0\t0\n",
		comm, euid);
	put(root, rel, text);
	for (int i = 0; links[i]; i++) {
		snprintf(rel, sizeof(rel), "%d/fd/%d", pid, i + 3);
		link_to(root, rel, links[i]);
	}
}

static int tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	static const char *const p100[] = { "socket:[555]", "pipe:[9]",
					    "/dev/null", "socket:[556]", NULL };
	static const char *const p200[] = { "socket:[555]", NULL };
	static const char *const p300[] = { "socket:[777]", "socket:[555]",
					    NULL };
	static const char *const none[] = { NULL };

	assert_non_null(t);
	snprintf(t->root, sizeof(t->root), "/tmp/test_owners.XXXXXX");
	assert_non_null(mkdtemp(t->root));
	proc(t->root, 100, "sshd", 0, p100);
	proc(t->root, 200, "sshd", 4000000, p200);
	proc(t->root, 300, "tmux: server", 0, p300);
	proc(t->root, 42, "idle", 0, none);
	/* not a pid: ignored */
	mk(t->root, "net");
	mk(t->root, "self");
	/* a pid without a readable fd dir */
	mk(t->root, "400");
	*state = t;
	return 0;
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	if (system(cmd))
		return -1;
	free(t);
	return 0;
}

static void test_fake_tree(void **state)
{
	struct tree *t = *state;
	struct owner_table ot;
	const struct owner *o;
	const uint64_t want[] = { 777, 555, 0, 999, 555 };
	size_t n;

	assert_int_equal(owners_load(&ot, t->root, want, 5), 0);
	assert_int_equal(ot.unreadable, 1); /* 400 */
	assert_int_equal(ot.n, 4); /* 555 x3, 777; 556 not asked for */

	o = owners_find(&ot, 555, &n);
	assert_non_null(o);
	assert_int_equal(n, 3);
	assert_int_equal(o[0].pid, 100);
	assert_int_equal(o[0].fd, 3);
	assert_string_equal(o[0].comm, "sshd");
	assert_int_equal(o[0].uid, 0);
	assert_string_equal(o[0].user, "root");
	assert_int_equal(o[1].pid, 200);
	assert_int_equal(o[1].uid, 4000000);
	assert_string_equal(o[1].user, "4000000"); /* no such user */
	assert_int_equal(o[2].pid, 300);
	assert_int_equal(o[2].fd, 4);
	assert_string_equal(o[2].comm, "tmux: server");

	o = owners_find(&ot, 777, &n);
	assert_int_equal(n, 1);
	assert_int_equal(o->pid, 300);
	assert_null(owners_find(&ot, 999, &n));
	assert_int_equal(n, 0);
	assert_null(owners_find(&ot, 1, &n));
	assert_null(owners_find(&ot, UINT64_MAX, &n));
	owners_free(&ot);
	assert_null(ot.v);

	/* no filter: every socket */
	assert_int_equal(owners_load(&ot, t->root, NULL, 0), 0);
	assert_int_equal(ot.n, 5);
	assert_non_null(owners_find(&ot, 556, &n));
	owners_free(&ot);

	/* asked for, held by nobody: an empty table */
	assert_int_equal(owners_load(&ot, t->root, want + 3, 1), 0);
	assert_int_equal(ot.n, 0);
	assert_null(owners_find(&ot, 999, &n));
	owners_free(&ot);

	/* only zeros asked for: nothing, without walking */
	assert_int_equal(owners_load(&ot, t->root, want + 2, 1), 0);
	assert_int_equal(ot.n, 0);
	owners_free(&ot);

	assert_int_equal(owners_load(&ot, "/nonexistent-proc-root", want, 1),
			 -ENOENT);
}

static void test_live(void **state)
{
	struct owner_table ot;
	const struct owner *o;
	struct stat st;
	char comm[32] = "";
	uint64_t inode;
	size_t n;
	FILE *f;
	int fd;

	(void)state;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	inode = st.st_ino;
	f = fopen("/proc/self/comm", "r");
	assert_non_null(f);
	assert_non_null(fgets(comm, sizeof(comm), f));
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';

	assert_int_equal(owners_load(&ot, "/proc", &inode, 1), 0);
	o = owners_find(&ot, inode, &n);
	assert_non_null(o);
	assert_int_equal(n, 1);
	assert_int_equal(o->pid, getpid());
	assert_int_equal(o->fd, fd);
	assert_string_equal(o->comm, comm);
	assert_int_equal(o->uid, geteuid());
	owners_free(&ot);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_link),
		cmocka_unit_test_setup_teardown(test_fake_tree, tree_setup,
						tree_teardown),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
