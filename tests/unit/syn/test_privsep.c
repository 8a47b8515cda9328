/*
 * test_privsep.c - the -sS keeper and the capability drop, in-process.
 *
 * The keeper is forked for real: its cleanup must run in the keeper, after
 * the scanner's end closes and before privsep_stop returns (a pipe carries
 * its mark back); a solicitation on its interface gets an answer, one on
 * another interface ends it, and the scanner then sees -EPIPE rather than
 * a hang.  privsep_drop runs in a forked child so that the test runner
 * keeps its own capabilities: afterwards the child must have none in any
 * set and no_new_privs.  Works as root or not (without CAP_SETPCAP the
 * bounding set stays, and the test checks only the rest).
 */
#include <cap-ng.h>
#include <errno.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "privsep.h"

static int mark_fd = -1;

/* Runs in the keeper: report its pid, so the test sees who ran it. */
static void cleanup_mark(void *ctx)
{
	pid_t pid = getpid();

	(void)ctx;
	if (write(mark_fd, &pid, sizeof(pid)) != sizeof(pid))
		_exit(1);
}

static void test_cleanup_runs_in_keeper(void **state)
{
	struct privsep *p;
	pid_t who = 0;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	mark_fd = fds[1];
	assert_int_equal(privsep_start(&p, 1, cleanup_mark, NULL), 0);
	close(fds[1]);
	privsep_stop(p);
	/* Stop waited for the keeper: its mark is there already. */
	assert_int_equal(read(fds[0], &who, sizeof(who)), sizeof(who));
	assert_true(who > 0);
	assert_int_not_equal(who, getpid());
	close(fds[0]);
}

static void test_solicit_answers(void **state)
{
	struct rs_addr a = { .family = AF_INET6 };
	struct privsep *p;
	int ret;

	(void)state;
	a.bytes[15] = 1; /* ::1 on lo (ifindex 1): any answer will do */
	assert_int_equal(privsep_start(&p, 1, NULL, NULL), 0);
	ret = privsep_solicit(p, 1, &a);
	assert_int_not_equal(ret, -EPIPE);
	ret = privsep_solicit(p, 1, &a);
	assert_int_not_equal(ret, -EPIPE);
	privsep_stop(p);
}

static void test_other_interface_ends_keeper(void **state)
{
	struct rs_addr a = { .family = AF_INET };
	struct privsep *p;

	(void)state;
	assert_int_equal(privsep_start(&p, 1, NULL, NULL), 0);
	assert_int_equal(privsep_solicit(p, 2, &a), -EPIPE);
	/* And it stays gone: no hang, the same answer. */
	assert_int_equal(privsep_solicit(p, 1, &a), -EPIPE);
	privsep_stop(p);
}

static void test_drop(void **state)
{
	bool setpcap;
	int status;
	pid_t pid;

	(void)state;
	/* Only with CAP_SETPCAP can the bounding set go too. */
	capng_get_caps_process();
	setpcap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int bad = 0;

		if (privsep_drop())
			_exit(10);
		capng_get_caps_process();
		if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE)
			bad |= 1;
		if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
			bad |= 2;
		if (setpcap &&
		    capng_have_capabilities(CAPNG_SELECT_BOUNDS) != CAPNG_NONE)
			bad |= 4;
		_exit(bad);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cleanup_runs_in_keeper),
		cmocka_unit_test(test_solicit_answers),
		cmocka_unit_test(test_other_interface_ends_keeper),
		cmocka_unit_test(test_drop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
