/*
 * audit_policy.h - the audit's --allow policy: which listeners may exist.
 *
 * A policy is a list of port ranges, each for TCP, UDP or both, and
 * optionally for one program (an fnmatch pattern on the process name).  A
 * listener it does not allow is judged unexpected (audit.h).  Parsing names
 * the bad item in an rs_error; nothing is printed.  Not on a hot path; a
 * policy is built once by the CLI and read by audit_build.
 */
#ifndef RINGSCAN_AUDIT_POLICY_H
#define RINGSCAN_AUDIT_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* A program name as the audit keeps it (comm is 15 bytes), NUL included. */
#define AUDIT_PROGRAM_LEN 32

struct audit_allow {
	uint16_t lo, hi;
	uint8_t protos; /* bit 1 << RS_TCP, 1 << RS_UDP */
	char program[AUDIT_PROGRAM_LEN]; /* fnmatch pattern; "" any */
};

/* --allow: zero-initialize; active once anything was added. */
struct audit_policy {
	struct audit_allow *v;
	size_t n, cap;
	bool active;
};

/*
 * Add one --allow SPEC: comma-separated items PORT[-PORT][/tcp|/udp]
 * [/PROGRAM], e.g. "22,80,443", "53/udp", "22/sshd", "8000-8100/tcp/java*",
 * or "none" (a policy that allows nothing).  Repeatable.  0, -EINVAL (err
 * names the item) or -ENOMEM.
 */
int audit_policy_add(struct audit_policy *p, const char *spec,
		     struct rs_error *err);
bool audit_policy_allows(const struct audit_policy *p, unsigned proto,
			 uint16_t port, const char *program);
void audit_policy_free(struct audit_policy *p);

#endif
