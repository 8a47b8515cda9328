/*
 * audit_verify.h - the audit's second look at every port judged hidden.
 *
 * A listener that opens or closes while the audit runs is seen by one
 * source and not by the next, which looks exactly like a hidden port.  So
 * every port the first pass judges hidden is checked again from scratch -
 * fresh listings, a fresh bind() of that port, fresh connects (or a
 * datagram) to it - and stays hidden only if the second look agrees.
 *
 * Called by the CLI after audit_build; never prints.  Not on a hot path.
 */
#ifndef RINGSCAN_AUDIT_VERIFY_H
#define RINGSCAN_AUDIT_VERIFY_H

#include "audit.h"
#include "audit_gather.h"

/*
 * Replace each hidden row of rep by the second look's verdict for that
 * port, or drop it if the second look finds nothing there; the other rows
 * stay.  first is the first pass's evidence (not changed); proc_root NULL
 * for the remote audit (no listings to read again).  0 or -errno.
 */
int audit_verify(struct audit_report *rep, const struct audit_gather *first,
		 const char *proc_root, bool udp,
		 const struct audit_policy *pol,
		 const struct audit_baseline *base);

#endif
