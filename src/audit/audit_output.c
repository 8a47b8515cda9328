/*
 * audit_output.c - the audit's text table, CSV and JSON lines (see
 * audit_output.h).
 *
 * Every string from outside - process and user names, service names,
 * addresses as the listings spell them, the reasons that quote them - goes
 * through escape.h: the table's columns as escape_token_copy (one
 * blank-free token each, so the table splits into columns and reads back
 * as a baseline), the notes through escape_text (they reach terminals),
 * CSV and JSON through the same writers as the scan's -oC and -oJ, so
 * that -oJ stays valid JSON whatever bytes a process name holds.  The
 * table is written in two passes, widths then rows: a few hundred rows at
 * most, and columns that line up are what a reader (and awk) wants.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "audit_output.h"
#include "escape.h"
#include "version.h"

struct text_row {
	char port[16], state[16], service[40], addr[AUDIT_ADDRS_LEN];
	char prog[AUDIT_PROGRAM_LEN], pid[24], user[OWNERS_USER_LEN];
	char verdict[16], evidence[AUDIT_EVIDENCE_LEN];
};

static void text_fields(const struct audit_row *r, const struct services *svc,
			bool remote, struct text_row *t)
{
	snprintf(t->port, sizeof(t->port), "%u/%s", r->port,
		 r->proto == RS_UDP ? "udp" : "tcp");
	snprintf(t->state, sizeof(t->state), "%s", audit_state_name(r));
	escape_token_copy(t->service, sizeof(t->service),
			  services_name(svc, r->proto, r->port));
	escape_token_copy(t->addr, sizeof(t->addr), r->addrs);
	escape_token_copy(t->prog, sizeof(t->prog), r->program);
	if (r->pid < 0)
		snprintf(t->pid, sizeof(t->pid), "-");
	else if (r->nholders > 1)
		snprintf(t->pid, sizeof(t->pid), "%d+%u", r->pid,
			 r->nholders - 1);
	else
		snprintf(t->pid, sizeof(t->pid), "%d", r->pid);
	escape_token_copy(t->user, sizeof(t->user), r->user);
	snprintf(t->verdict, sizeof(t->verdict), "%s",
		 audit_verdict_name(r->verdict));
	audit_evidence_format(r, remote, t->evidence, sizeof(t->evidence));
}

int audit_output_text(FILE *f, const struct audit_report *rep,
		      const struct services *svc, const char *title,
		      double secs)
{
	static const char *const head[9] = { "PORT",	"STATE",   "SERVICE",
					     "ADDRESS", "PROGRAM", "PID",
					     "USER",	"VERDICT", "EVIDENCE" };
	struct text_row t;
	size_t w[8];
	size_t notes = 0;

	for (int k = 0; k < 8; k++)
		w[k] = strlen(head[k]);
	for (size_t i = 0; i < rep->n; i++) {
		const char *cols[8];

		text_fields(&rep->rows[i], svc, rep->remote, &t);
		cols[0] = t.port;
		cols[1] = t.state;
		cols[2] = t.service;
		cols[3] = t.addr;
		cols[4] = t.prog;
		cols[5] = t.pid;
		cols[6] = t.user;
		cols[7] = t.verdict;
		for (int k = 0; k < 8; k++)
			if (strlen(cols[k]) > w[k])
				w[k] = strlen(cols[k]);
	}
	fprintf(f, "%s\n", title);
	for (int k = 0; k < 8; k++)
		fprintf(f, "%-*s ", (int)w[k], head[k]);
	fprintf(f, "%s\n", head[8]);
	for (size_t i = 0; i < rep->n; i++) {
		text_fields(&rep->rows[i], svc, rep->remote, &t);
		fprintf(f, "%-*s %-*s %-*s %-*s %-*s %-*s %-*s %-*s %s\n",
			(int)w[0], t.port, (int)w[1], t.state, (int)w[2],
			t.service, (int)w[3], t.addr, (int)w[4], t.prog,
			(int)w[5], t.pid, (int)w[6], t.user, (int)w[7],
			t.verdict, t.evidence);
	}
	for (size_t i = 0; i < rep->n; i++) {
		const struct audit_row *r = &rep->rows[i];

		if (!r->why[0])
			continue;
		if (!notes++)
			fprintf(f, "\n");
		/* why quotes program names: through escape_text. */
		fprintf(f, "  - %u/%s %s: ", r->port,
			r->proto == RS_UDP ? "udp" : "tcp",
			audit_verdict_name(r->verdict));
		escape_text(escape_put_file, f, r->why);
		fputc('\n', f);
	}
	fprintf(f,
		"\nringscan audit: %zu ports: %zu ok, %zu hidden, %zu unexpected, %zu closed-listed, %zu disappeared; %s in %.2f seconds\n",
		rep->n - rep->count[AUDIT_DISAPPEARED], rep->count[AUDIT_OK],
		rep->count[AUDIT_HIDDEN], rep->count[AUDIT_UNEXPECTED],
		rep->count[AUDIT_CLOSED_LISTED], rep->count[AUDIT_DISAPPEARED],
		audit_findings(rep) ? "findings" : "no findings", secs);
	return fflush(f) ? -errno : 0;
}

static void csv_field(FILE *f, const char *s, bool last)
{
	escape_csv(escape_put_file, f, s);
	fputc(last ? '\n' : ',', f);
}

static void json_string(FILE *f, const char *key, const char *s, bool last)
{
	fprintf(f, "\"%s\":", key);
	escape_json(escape_put_file, f, s);
	fputs(last ? "}\n" : ",", f);
}

int audit_output_rows(FILE *f, bool json, const struct audit_report *rep,
		      const struct services *svc)
{
	char ev[AUDIT_EVIDENCE_LEN], port[8], pid[16];

	if (!json)
		fprintf(f, "%s\n", AUDIT_CSV_HEADER);
	for (size_t i = 0; i < rep->n; i++) {
		const struct audit_row *r = &rep->rows[i];
		const char *proto = r->proto == RS_UDP ? "udp" : "tcp";

		audit_evidence_format(r, rep->remote, ev, sizeof(ev));
		snprintf(port, sizeof(port), "%u", r->port);
		snprintf(pid, sizeof(pid), "%d", r->pid);
		if (json) {
			fprintf(f, "{\"port\":%u,", r->port);
			json_string(f, "proto", proto, false);
			json_string(f, "state", audit_state_name(r), false);
			json_string(f, "service",
				    services_name(svc, r->proto, r->port),
				    false);
			json_string(f, "address", r->addrs, false);
			json_string(f, "program", r->program, false);
			if (r->pid < 0)
				fprintf(f, "\"pid\":null,");
			else
				fprintf(f, "\"pid\":%d,", r->pid);
			json_string(f, "user", r->user, false);
			json_string(f, "verdict",
				    audit_verdict_name(r->verdict), false);
			json_string(f, "evidence", ev, false);
			json_string(f, "reason", r->why, true);
		} else {
			csv_field(f, port, false);
			csv_field(f, proto, false);
			csv_field(f, audit_state_name(r), false);
			csv_field(f, services_name(svc, r->proto, r->port),
				  false);
			csv_field(f, r->addrs, false);
			csv_field(f, r->program, false);
			csv_field(f, r->pid < 0 ? "" : pid, false);
			csv_field(f, r->user, false);
			csv_field(f, audit_verdict_name(r->verdict), false);
			csv_field(f, ev, false);
			csv_field(f, r->why, true);
		}
	}
	return fflush(f) ? -errno : 0;
}

void audit_output_title(char *buf, size_t len,
			const struct audit_addrs addrs[2], bool remote,
			bool udp, const struct portlist *pl)
{
	char a[RS_ADDR_STRLEN];
	size_t n;

	n = (size_t)snprintf(
		buf, len, "ringscan %s audit of %s (", RINGSCAN_VERSION,
		remote ? "a server against a capture" : "this host");
	for (int f = 0; f < 2; f++)
		for (size_t i = 0; i < addrs[f].n && n + 2 < len; i++)
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
					      n && buf[n - 1] != '(' ? " " : "",
					      addr_format(&addrs[f].v[i], a,
							  sizeof(a)));
	if (n + 2 < len)
		snprintf(buf + n, len - n, "), TCP%s %s",
			 !remote && udp ? "+UDP" : "",
			 pl->count == 65535 ? "1-65535" : "selected ports");
}
