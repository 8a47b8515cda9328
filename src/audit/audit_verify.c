/*
 * audit_verify.c - the second look at hidden ports (see audit_verify.h).
 *
 * The second look starts from a copy of the first pass's bind, connect
 * and datagram results, clears the hidden ports in them and measures just
 * those ports again, so the second audit_build sees the same evidence for
 * every other port and the rows it gives for them can be ignored.  The
 * listings are read afresh as a whole (a listing cannot be read per port)
 * and the owners with them.  The capture of a remote audit is borrowed, not
 * copied: it cannot change.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "audit_verify.h"

static const struct audit_row *row_find(const struct audit_report *r,
					unsigned proto, uint16_t port)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->rows[i].proto == proto && r->rows[i].port == port)
			return &r->rows[i];
	return NULL;
}

int audit_verify(struct audit_report *rep, const struct audit_gather *first,
		 const char *proc_root, bool udp,
		 const struct audit_policy *pol,
		 const struct audit_baseline *base)
{
	struct audit_gather g2;
	struct audit_evidence ev;
	struct audit_report second, final;
	struct audit_probes ps = { 0 };
	struct audit_listings_err lerr;
	int ret = 0;

	if (!rep->count[AUDIT_HIDDEN])
		return 0;
	memset(&g2, 0, sizeof(g2));
	g2.stop = first->stop;
	memcpy(g2.addrs, first->addrs, sizeof(g2.addrs));
	memcpy(g2.all_targets, first->all_targets, sizeof(g2.all_targets));
	g2.nall = first->nall;
	g2.cap = first->cap; /* borrowed: the capture cannot change */
	g2.ncap = first->ncap;
	if (proc_root) {
		ret = audit_gather_listings(&g2, proc_root, &lerr);
		if (ret)
			goto out_free;
	}
	for (int i = 0; i < 4; i++) {
		if (!first->bind[i])
			continue;
		g2.bind[i] = malloc(AUDIT_NPORTS);
		if (!g2.bind[i]) {
			ret = -ENOMEM;
			goto out_free;
		}
		memcpy(g2.bind[i], first->bind[i], AUDIT_NPORTS);
	}
	for (int f = 0; f < 2; f++) {
		if (first->tcp[f]) {
			g2.tcp[f] = malloc(AUDIT_NPORTS);
			if (!g2.tcp[f]) {
				ret = -ENOMEM;
				goto out_free;
			}
			memcpy(g2.tcp[f], first->tcp[f], AUDIT_NPORTS);
		}
		if (first->udp[f]) {
			g2.udp[f] = malloc(AUDIT_NPORTS);
			if (!g2.udp[f]) {
				ret = -ENOMEM;
				goto out_free;
			}
			memcpy(g2.udp[f], first->udp[f], AUDIT_NPORTS);
		}
	}
	for (size_t i = 0; i < rep->n; i++) {
		const struct audit_row *r = &rep->rows[i];

		if (r->verdict != AUDIT_HIDDEN)
			continue;
		for (int f = 0; f < 2; f++) {
			unsigned t = (r->proto == RS_UDP ? 2 : 0) + (unsigned)f;

			if (g2.bind[t])
				g2.bind[t][r->port] = audit_bind_one(
					f ? AUDIT_BIND_V6ONLY : AUDIT_BIND_V4,
					r->proto == RS_UDP ? SOCK_DGRAM :
							     SOCK_STREAM,
					r->port);
			if (r->proto == RS_UDP && g2.udp[f] && g2.addrs[f].n) {
				g2.udp[f][r->port] = AUDIT_PROBE_NONE;
				ret = audit_udp_sweep(&g2.addrs[f], &r->port, 1,
						      g2.udp[f], g2.stop);
				if (ret)
					goto out_free;
			}
			if (r->proto != RS_TCP || !g2.tcp[f])
				continue;
			g2.tcp[f][r->port] = AUDIT_PROBE_NONE;
			for (size_t k = 0; k < g2.addrs[f].n; k++) {
				ret = audit_probes_add(&ps, &g2.addrs[f].v[k],
						       0, r->port);
				if (ret)
					goto out_free;
			}
		}
	}
	ret = audit_probes_run(&g2, &ps);
	if (ret)
		goto out_free;
	if (proc_root) {
		for (size_t i = 0; i < rep->n; i++)
			if (rep->rows[i].verdict == AUDIT_HIDDEN &&
			    rep->rows[i].proto == RS_TCP) {
				ret = audit_gather_probe_listed(
					&g2, rep->rows[i].port, true);
				if (ret)
					goto out_free;
			}
		ret = audit_gather_owners(&g2, proc_root);
		if (ret)
			goto out_free;
	}
	audit_gather_evidence(&g2, !proc_root, udp, &ev);
	ret = audit_build(&ev, pol, base, &second);
	if (ret)
		goto out_free;

	memset(&final, 0, sizeof(final));
	final.remote = rep->remote;
	final.rows = malloc((rep->n + 1) * sizeof(*final.rows));
	if (!final.rows) {
		audit_report_free(&second);
		ret = -ENOMEM;
		goto out_free;
	}
	for (size_t i = 0; i < rep->n; i++) {
		const struct audit_row *r = &rep->rows[i];

		if (r->verdict == AUDIT_HIDDEN) {
			r = row_find(&second, r->proto, r->port);
			if (!r)
				continue; /* gone on the second look */
		}
		final.rows[final.n++] = *r;
		final.count[r->verdict]++;
	}
	audit_report_free(&second);
	audit_report_free(rep);
	*rep = final;
out_free:
	audit_probes_free(&ps);
	g2.cap = NULL;
	audit_gather_free(&g2);
	return ret;
}
