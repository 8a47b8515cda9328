/*
 * audit.c - judging the audit's evidence (see audit.h).
 *
 * The listings are first boiled down to two kinds of fact:
 *
 *   - listening sockets, merged across sources: one record per (protocol,
 *     port, family, local address, inode) with a bit per source that shows
 *     it.  Comparing sources per socket rather than per port is what finds
 *     a listing that shows [::]:22 but hides 0.0.0.0:22 beside it.
 *   - coverage bitmaps per (protocol, family) and port: "some listed
 *     socket, in any state, holds this port for this family" (explains a
 *     bind() EADDRINUSE) and "some listed listener accepts this family on
 *     this port" (explains a connect that answered).  A dual-stack [::]
 *     socket (V6ONLY off) covers IPv4 as well; a socket whose V6ONLY is
 *     unknown (a /proc-only row) is given the benefit of the doubt.
 *
 * Then every (protocol, port) is visited once, in order, so the rows come
 * out sorted with no sort; 2 x 65535 iterations of a few bit tests cost
 * well under a millisecond.  The rules are in audit.h; the code below
 * applies them in that order of seriousness, and the first reason found is
 * the one the row states.
 *
 * Identity of a socket across sources is (address, inode): netlink and
 * /proc name the same socket with the same inode, and a capture from
 * elsewhere (--proc-root) whose inodes do not match the live kernel is a
 * finding by design.  Captures (remote) have no inodes: only their
 * addresses matter there.
 *
 * Why one file of some 900 lines: it is the rules of audit.h applied in
 * their order of seriousness to one merged picture; split, the record
 * merge, the coverage bitmaps and the verdicts would each need the others'
 * layout through an internal header, and the order of the rules could no
 * longer be read top to bottom.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "services.h"

#define SRC_NETLINK 1u
#define SRC_PROC 2u
#define SRC_CAPTURE 4u

#define BITMAP_BYTES (AUDIT_NPORTS / 8)

/* One listening socket, merged over the sources that show it. */
struct lsock {
	struct rs_addr addr;
	uint64_t inode;
	uint16_t port;
	uint8_t proto;
	uint8_t src; /* SRC_* bits */
	int8_t v6only;
	int32_t pid; /* capture only */
	char program[AUDIT_PROGRAM_LEN]; /* capture only */
};

/* Per (proto x family) = SOCK_T_* index: which ports are explained. */
struct cover {
	uint8_t any[4][BITMAP_BYTES]; /* any listed socket holds it */
	uint8_t listener[4][BITMAP_BYTES]; /* a listed listener accepts it */
};

struct build {
	const struct audit_evidence *ev;
	const struct audit_policy *pol;
	const struct audit_baseline *base;
	struct lsock *ls;
	size_t nls, capls;
	struct cover *cov;
	struct audit_report *out;
	size_t caprows;
};

static void bit_set(uint8_t *map, uint16_t port)
{
	map[port >> 3] |= (uint8_t)(1u << (port & 7));
}

static bool bit_get(const uint8_t *map, uint16_t port)
{
	return map[port >> 3] >> (port & 7) & 1;
}

static unsigned table_index(unsigned proto, int family)
{
	return (proto == RS_UDP ? 2u : 0u) + (family == AF_INET6 ? 1u : 0u);
}

static bool addr_is_any(const struct rs_addr *a)
{
	static const uint8_t zero[16];

	return !memcmp(a->bytes, zero, a->family == AF_INET6 ? 16 : 4);
}

static bool addr_is_v4mapped(const struct rs_addr *a)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return a->family == AF_INET6 && !memcmp(a->bytes, prefix, 12);
}

/* Does a socket bound to a (with v6only) take part in IPv4? */
static bool covers_v4(const struct rs_addr *a, int v6only)
{
	if (a->family == AF_INET)
		return true;
	return v6only != 1 && (addr_is_any(a) || addr_is_v4mapped(a));
}

static bool covers_v6(const struct rs_addr *a)
{
	return a->family == AF_INET6 && !addr_is_v4mapped(a);
}

static int lsock_cmp(const void *pa, const void *pb)
{
	const struct lsock *a = pa, *b = pb;
	int c;

	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	c = addr_cmp(&a->addr, &b->addr);
	if (c)
		return c;
	if (a->inode != b->inode)
		return a->inode < b->inode ? -1 : 1;
	return 0;
}

static int lsock_add(struct build *b, const struct sock_entry *e, unsigned src,
		     int32_t pid, const char *program)
{
	struct lsock *l;

	if (b->nls == b->capls) {
		size_t cap = b->capls ? b->capls * 2 : 64;
		struct lsock *v = reallocarray(b->ls, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		b->ls = v;
		b->capls = cap;
	}
	l = &b->ls[b->nls++];
	memset(l, 0, sizeof(*l));
	l->addr = e->local;
	l->inode = src == SRC_CAPTURE ? 0 : e->inode;
	l->port = e->lport;
	l->proto = e->proto;
	l->src = (uint8_t)src;
	l->v6only = e->v6only;
	l->pid = pid;
	if (program)
		snprintf(l->program, sizeof(l->program), "%s", program);
	return 0;
}

/* Sort and fold records of the same socket into one, OR-ing sources. */
static void lsock_merge(struct build *b)
{
	size_t w = 0;

	if (!b->nls)
		return;
	qsort(b->ls, b->nls, sizeof(*b->ls), lsock_cmp);
	for (size_t r = 1; r < b->nls; r++) {
		struct lsock *cur = &b->ls[w];

		if (!lsock_cmp(cur, &b->ls[r])) {
			cur->src |= b->ls[r].src;
			if (cur->v6only < 0)
				cur->v6only = b->ls[r].v6only;
			if (cur->pid < 0 && b->ls[r].pid >= 0) {
				cur->pid = b->ls[r].pid;
				memcpy(cur->program, b->ls[r].program,
				       sizeof(cur->program));
			}
			continue;
		}
		b->ls[++w] = b->ls[r];
	}
	b->nls = w + 1;
}

/* V6ONLY of the netlink twin of a /proc row (same inode), else -1. */
static int8_t v6only_by_inode(const struct sock_list *nl, uint64_t inode)
{
	if (!nl || !inode)
		return -1;
	for (size_t i = 0; i < nl->n; i++)
		if (nl->v[i].inode == inode &&
		    nl->v[i].local.family == AF_INET6)
			return nl->v[i].v6only;
	return -1;
}

static void cover_socket(struct cover *c, const struct sock_entry *e,
			 bool listener)
{
	unsigned t4 = table_index(e->proto, AF_INET);
	unsigned t6 = table_index(e->proto, AF_INET6);

	if (!e->lport)
		return;
	if (covers_v4(&e->local, e->v6only)) {
		bit_set(c->any[t4], e->lport);
		if (listener)
			bit_set(c->listener[t4], e->lport);
	}
	if (covers_v6(&e->local)) {
		bit_set(c->any[t6], e->lport);
		if (listener)
			bit_set(c->listener[t6], e->lport);
	}
}

static int collect_local(struct build *b)
{
	const struct audit_evidence *ev = b->ev;
	const struct sock_list *lists[2] = { ev->netlink, ev->proc };
	const unsigned srcs[2] = { SRC_NETLINK, SRC_PROC };
	int ret;

	for (int s = 0; s < 2; s++) {
		const struct sock_list *l = lists[s];

		if (!l)
			continue;
		for (size_t i = 0; i < l->n; i++) {
			struct sock_entry e = l->v[i];

			if (e.local.family == AF_INET6 && e.v6only < 0 &&
			    srcs[s] == SRC_PROC)
				e.v6only =
					v6only_by_inode(ev->netlink, e.inode);
			cover_socket(b->cov, &e, sock_entry_is_listener(&e));
			if (!sock_entry_is_listener(&e))
				continue;
			ret = lsock_add(b, &e, srcs[s], -1, NULL);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static bool is_target(const struct audit_evidence *ev, const struct rs_addr *a)
{
	for (size_t i = 0; i < ev->ntargets; i++)
		if (!addr_cmp(&ev->targets[i], a))
			return true;
	return false;
}

/*
 * Remote: coverage counts only listeners the scan could reach - wildcard,
 * or bound to a scanned address (a v4-mapped one counts as its IPv4 twin).
 */
static int collect_remote(struct build *b)
{
	const struct audit_evidence *ev = b->ev;
	int ret;

	for (size_t i = 0; i < ev->ncapture; i++) {
		const struct netstat_entry *ne = &ev->capture[i];
		struct sock_entry e = ne->s;
		bool reach;

		if (!sock_entry_is_listener(&e))
			continue;
		ret = lsock_add(b, &e, SRC_CAPTURE, ne->pid, ne->program);
		if (ret)
			return ret;
		reach = addr_is_any(&e.local) || is_target(ev, &e.local);
		if (!reach && addr_is_v4mapped(&e.local)) {
			struct rs_addr v4 = { .family = AF_INET };

			memcpy(v4.bytes, e.local.bytes + 12, 4);
			reach = is_target(ev, &v4);
		}
		if (reach)
			cover_socket(b->cov, &e, true);
	}
	return 0;
}

/* [lo, hi) of b->ls for (proto, port); lo == hi if none. */
static void group_of(const struct build *b, unsigned proto, uint16_t port,
		     size_t *lo, size_t *hi)
{
	size_t l = 0, h = b->nls;

	while (l < h) {
		size_t mid = l + (h - l) / 2;
		const struct lsock *m = &b->ls[mid];

		if (m->proto < proto || (m->proto == proto && m->port < port))
			l = mid + 1;
		else
			h = mid;
	}
	*lo = l;
	while (l < b->nls && b->ls[l].proto == proto && b->ls[l].port == port)
		l++;
	*hi = l;
}

static void format_sock(const struct lsock *l, char *buf, size_t len)
{
	char a[RS_ADDR_STRLEN];

	if (l->addr.family == AF_INET6 && addr_is_any(&l->addr) &&
	    l->v6only == 0)
		snprintf(buf, len, "*:%u", l->port);
	else if (l->addr.family == AF_INET6)
		snprintf(buf, len, "[%s]:%u",
			 addr_format(&l->addr, a, sizeof(a)), l->port);
	else
		snprintf(buf, len, "%s:%u", addr_format(&l->addr, a, sizeof(a)),
			 l->port);
}

/*
 * How source src shows the group's sockets.  Sockets of tables the source
 * could not read do not count.  *first_missing: a socket it lacks.
 */
static uint8_t listed_in(const struct build *b, size_t lo, size_t hi,
			 unsigned src, unsigned missing_tables,
			 const struct lsock **first_missing)
{
	size_t applicable = 0, shown = 0;

	*first_missing = NULL;
	for (size_t i = lo; i < hi; i++) {
		const struct lsock *l = &b->ls[i];
		unsigned tbit = 1u << table_index(l->proto, l->addr.family);

		if (missing_tables & tbit)
			continue;
		applicable++;
		if (l->src & src)
			shown++;
		else if (!*first_missing)
			*first_missing = l;
	}
	if (!applicable)
		return AUDIT_LISTED_NA;
	if (shown == applicable)
		return AUDIT_LISTED_YES;
	return shown ? AUDIT_LISTED_PARTIAL : AUDIT_LISTED_NO;
}

static void append(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	if (n < len)
		snprintf(buf + n, len - n, "%s", s);
}

/* The group's distinct local addresses: "0.0.0.0,[::]" or "-". */
static void group_addrs(const struct build *b, size_t lo, size_t hi, char *buf,
			size_t len)
{
	size_t shown = 0;

	buf[0] = '\0';
	for (size_t i = lo; i < hi; i++) {
		const struct lsock *l = &b->ls[i];
		char s[RS_ADDR_STRLEN + 8], *colon;
		bool dup = false;

		for (size_t j = lo; j < i; j++)
			if (!addr_cmp(&b->ls[j].addr, &l->addr))
				dup = true;
		if (dup)
			continue;
		format_sock(l, s, sizeof(s));
		colon = strrchr(s, ':');
		if (colon)
			*colon = '\0'; /* the port is the row's */
		if (strlen(buf) + strlen(s) + 8 >= len) {
			char more[24];

			snprintf(more, sizeof(more), ",+%zu", hi - i);
			append(buf, len, more);
			break;
		}
		if (shown++)
			append(buf, len, ",");
		append(buf, len, s);
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

/* Holders: the lowest pid first; nholders counts distinct pids. */
static void group_owner(const struct build *b, size_t lo, size_t hi,
			struct audit_row *r)
{
	const struct owner *best = NULL;
	int32_t seen[64];
	size_t nseen = 0;

	r->pid = -1;
	r->nholders = 0;
	snprintf(r->program, sizeof(r->program), "-");
	snprintf(r->user, sizeof(r->user), "-");
	for (size_t i = lo; i < hi; i++) {
		const struct lsock *l = &b->ls[i];
		const struct owner *o;
		size_t n;

		if (l->src & SRC_CAPTURE) {
			bool dup = false;

			if (l->pid < 0)
				continue;
			if (r->pid < 0 || l->pid < r->pid) {
				r->pid = l->pid;
				snprintf(r->program, sizeof(r->program), "%s",
					 l->program[0] ? l->program : "-");
			}
			for (size_t j = 0; j < nseen; j++)
				dup |= seen[j] == l->pid;
			if (!dup && nseen < sizeof(seen) / sizeof(seen[0]))
				seen[nseen++] = l->pid;
			r->nholders = (uint32_t)nseen;
			continue;
		}
		if (!b->ev->owners || !l->inode)
			continue;
		o = owners_find(b->ev->owners, l->inode, &n);
		for (size_t k = 0; k < n; k++) {
			bool dup = false;

			if (!best || o[k].pid < best->pid)
				best = &o[k];
			for (size_t j = 0; j < nseen; j++)
				dup |= seen[j] == o[k].pid;
			if (!dup && nseen < sizeof(seen) / sizeof(seen[0]))
				seen[nseen++] = o[k].pid;
		}
	}
	if (best) {
		r->pid = best->pid;
		r->nholders = (uint32_t)nseen;
		snprintf(r->program, sizeof(r->program), "%s",
			 best->comm[0] ? best->comm : "-");
		snprintf(r->user, sizeof(r->user), "%s",
			 best->user[0] ? best->user : "-");
	}
}

/* Printable, non-blank ASCII: what every output keeps as it is. */
static bool plain_char(char c)
{
	return c > ' ' && c < 0x7f && c != '_';
}

/*
 * Program names compare with every run of other bytes alike: the text
 * table writes each such byte as '_' (escape_token_copy) and -oJ an
 * invalid UTF-8 byte as U+FFFD (three bytes once read back), so a name is
 * the same name whichever output the baseline was.
 */
static bool same_program(const char *a, const char *b)
{
	while (*a && *b) {
		if (plain_char(*a) || plain_char(*b)) {
			if (*a++ != *b++)
				return false;
			continue;
		}
		while (*a && !plain_char(*a))
			a++;
		while (*b && !plain_char(*b))
			b++;
	}
	return *a == *b;
}

static struct audit_row *new_row(struct build *b, unsigned proto, uint16_t port)
{
	struct audit_report *out = b->out;
	struct audit_row *r;

	if (out->n == b->caprows) {
		size_t cap = b->caprows ? b->caprows * 2 : 64;
		struct audit_row *v = reallocarray(out->rows, cap, sizeof(*v));

		if (!v)
			return NULL;
		out->rows = v;
		b->caprows = cap;
	}
	r = &out->rows[out->n++];
	memset(r, 0, sizeof(*r));
	r->proto = (uint8_t)proto;
	r->port = port;
	r->pid = -1;
	snprintf(r->addrs, sizeof(r->addrs), "-");
	snprintf(r->program, sizeof(r->program), "-");
	snprintf(r->user, sizeof(r->user), "-");
	return r;
}

static const char *family_name(int fam_index)
{
	return fam_index ? "IPv6" : "IPv4";
}

/* Hidden by the per-family checks (local and remote); sets r->why. */
static bool family_unexplained(const struct build *b, struct audit_row *r,
			       bool listed, const char *listed_addrs)
{
	const struct audit_evidence *ev = b->ev;

	for (int f = 0; f < 2; f++) {
		unsigned t = table_index(r->proto, f ? AF_INET6 : AF_INET);
		uint8_t probe = f ? r->probe6 : r->probe4;
		uint8_t bind = f ? r->bind6 : r->bind4;

		if (probe == AUDIT_PROBE_OPEN &&
		    !bit_get(b->cov->listener[t], r->port)) {
			if (r->proto == RS_UDP)
				snprintf(
					r->why, sizeof(r->why),
					"no ICMP port-unreachable over %s (something takes the datagrams, or a firewall drops them), but no listing has an %s UDP socket on it",
					family_name(f), family_name(f));
			else if (ev->remote && listed)
				snprintf(
					r->why, sizeof(r->why),
					"answers over %s at the target, but the capture lists it only on %.64s",
					family_name(f), listed_addrs);
			else if (ev->remote)
				snprintf(
					r->why, sizeof(r->why),
					"answers over %s at the target, but the capture does not list it",
					family_name(f));
			else
				snprintf(
					r->why, sizeof(r->why),
					"answers over %s, but no listing has an %s listener on it",
					family_name(f), family_name(f));
			return true;
		}
		if (!ev->remote && bind == AUDIT_BIND_HELD &&
		    !bit_get(b->cov->any[t], r->port)) {
			snprintf(
				r->why, sizeof(r->why),
				"bind() finds the %s port held, but no listing has a socket on it",
				family_name(f));
			return true;
		}
	}
	return false;
}

/* Policy and baseline, for a row that is listed and answers. */
static void judge_policy(const struct build *b, struct audit_row *r,
			 const struct audit_base_entry *be)
{
	bool allowed =
		b->pol && b->pol->active &&
		audit_policy_allows(b->pol, r->proto, r->port, r->program);

	if (b->pol && b->pol->active && !allowed) {
		r->policy_denied = true;
		r->verdict = AUDIT_UNEXPECTED;
		snprintf(r->why, sizeof(r->why), "not allowed by --allow");
		return;
	}
	if (b->base && b->base->active && !allowed) {
		if (!be) {
			r->baseline_new = true;
			r->verdict = AUDIT_UNEXPECTED;
			snprintf(r->why, sizeof(r->why),
				 "new since the baseline");
			return;
		}
		if (be->program[0] && strcmp(be->program, "-") &&
		    strcmp(r->program, "-") &&
		    !same_program(be->program, r->program)) {
			r->program_changed = true;
			r->verdict = AUDIT_UNEXPECTED;
			snprintf(r->was_program, sizeof(r->was_program), "%s",
				 be->program);
			snprintf(r->why, sizeof(r->why),
				 "held by %s, but by %s in the baseline",
				 r->program, be->program);
			return;
		}
	}
	r->verdict = AUDIT_OK;
}

static int judge_port(struct build *b, unsigned proto, uint16_t port)
{
	const struct audit_evidence *ev = b->ev;
	const struct audit_base_entry *be =
		audit_baseline_find(b->base, proto, port);
	struct audit_row tmp, *r = &tmp;
	const struct lsock *miss_nl = NULL, *miss_pr = NULL;
	char addrs[AUDIT_ADDRS_LEN], sock[RS_ADDR_STRLEN + 16];
	size_t lo, hi;
	bool listed, hidden = false, answers, probed;
	unsigned t4 = table_index(proto, AF_INET);
	unsigned t6 = table_index(proto, AF_INET6);

	memset(r, 0, sizeof(*r));
	r->proto = (uint8_t)proto;
	r->port = port;
	if (proto == RS_TCP) {
		r->probe4 = ev->tcp[0] ? ev->tcp[0][port] : AUDIT_PROBE_NONE;
		r->probe6 = ev->tcp[1] ? ev->tcp[1][port] : AUDIT_PROBE_NONE;
	} else if (!ev->remote) {
		r->probe4 = ev->udp_probe[0] ? ev->udp_probe[0][port] :
					       AUDIT_PROBE_NONE;
		r->probe6 = ev->udp_probe[1] ? ev->udp_probe[1][port] :
					       AUDIT_PROBE_NONE;
	}
	if (!ev->remote) {
		r->bind4 = ev->bind[t4] ? ev->bind[t4][port] :
					  AUDIT_BIND_UNTESTED;
		r->bind6 = ev->bind[t6] ? ev->bind[t6][port] :
					  AUDIT_BIND_UNTESTED;
	}
	group_of(b, proto, port, &lo, &hi);
	listed = lo < hi;
	if (!listed && !be && r->probe4 != AUDIT_PROBE_OPEN &&
	    r->probe6 != AUDIT_PROBE_OPEN && r->bind4 != AUDIT_BIND_HELD &&
	    r->bind6 != AUDIT_BIND_HELD)
		return 0; /* nothing knows this port: no row */

	group_addrs(b, lo, hi, addrs, sizeof(addrs));
	if (ev->remote) {
		r->capture = listed ? AUDIT_LISTED_YES : AUDIT_LISTED_NO;
	} else {
		unsigned fam_bits = (1u << t4) | (1u << t6);

		if (!ev->netlink ||
		    (ev->netlink_missing & fam_bits) == fam_bits)
			r->netlink = AUDIT_LISTED_NA;
		else if (listed)
			r->netlink = listed_in(b, lo, hi, SRC_NETLINK,
					       ev->netlink_missing, &miss_nl);
		else
			r->netlink = AUDIT_LISTED_NO;
		if (!ev->proc || (ev->proc_missing & fam_bits) == fam_bits)
			r->proc = AUDIT_LISTED_NA;
		else if (listed)
			r->proc = listed_in(b, lo, hi, SRC_PROC,
					    ev->proc_missing, &miss_pr);
		else
			r->proc = AUDIT_LISTED_NO;
	}

	/* 1. hidden: the listings disagree, or something unexplained. */
	if (miss_nl || miss_pr) {
		const struct lsock *m = miss_pr ? miss_pr : miss_nl;

		format_sock(m, sock, sizeof(sock));
		snprintf(r->why, sizeof(r->why), "%s lacks %s%s",
			 miss_pr ? "/proc/net" : "netlink", sock,
			 miss_pr && miss_nl ? " (netlink lacks one too)" :
			 miss_pr	    ? ", which netlink lists" :
					      ", which /proc/net lists");
		hidden = true;
	} else {
		hidden = family_unexplained(b, r, listed, addrs);
	}

	if (!hidden && !listed) {
		if (!be)
			return 0; /* held by a connected/TIME_WAIT socket */
		r = new_row(b, proto, port);
		if (!r)
			return -ENOMEM;
		r->netlink = tmp.netlink;
		r->proc = tmp.proc;
		r->capture = tmp.capture;
		r->bind4 = tmp.bind4;
		r->bind6 = tmp.bind6;
		r->probe4 = tmp.probe4;
		r->probe6 = tmp.probe6;
		r->verdict = AUDIT_DISAPPEARED;
		snprintf(r->program, sizeof(r->program), "%s",
			 be->program[0] ? be->program : "-");
		snprintf(r->why, sizeof(r->why),
			 "in the baseline, not listening now");
		b->out->count[AUDIT_DISAPPEARED]++;
		return 0;
	}

	r = new_row(b, proto, port);
	if (!r)
		return -ENOMEM;
	*r = tmp;
	snprintf(r->addrs, sizeof(r->addrs), "%s", addrs);
	group_owner(b, lo, hi, r);
	if (hidden) {
		r->verdict = AUDIT_HIDDEN;
		goto out_count;
	}

	/* 2. closed-listed: listed, but nothing answered where probed. */
	if (proto == RS_TCP) {
		answers = r->probe4 == AUDIT_PROBE_OPEN ||
			  r->probe6 == AUDIT_PROBE_OPEN;
		probed = r->probe4 != AUDIT_PROBE_NONE ||
			 r->probe6 != AUDIT_PROBE_NONE;
	} else {
		answers = r->bind4 == AUDIT_BIND_HELD ||
			  r->bind6 == AUDIT_BIND_HELD ||
			  r->probe4 == AUDIT_PROBE_OPEN ||
			  r->probe6 == AUDIT_PROBE_OPEN;
		probed = r->bind4 == AUDIT_BIND_FREE ||
			 r->bind6 == AUDIT_BIND_FREE ||
			 r->probe4 != AUDIT_PROBE_NONE ||
			 r->probe6 != AUDIT_PROBE_NONE;
	}
	if (probed && !answers) {
		r->verdict = AUDIT_CLOSED_LISTED;
		if (proto == RS_UDP)
			snprintf(
				r->why, sizeof(r->why),
				"listed, but bind() finds the port free%s",
				r->probe4 || r->probe6 ?
					" and datagrams draw ICMP port-unreachable" :
					"");
		else if (ev->remote && !bit_get(b->cov->listener[t4], port) &&
			 !bit_get(b->cov->listener[t6], port))
			snprintf(r->why, sizeof(r->why),
				 "listed on %.64s only, which was not scanned",
				 addrs);
		else
			snprintf(
				r->why, sizeof(r->why),
				"listed, but no connect answered (firewall, or bound where it was not probed)");
		goto out_count;
	}

	/* 3. unexpected / ok. */
	judge_policy(b, r, be);
out_count:
	b->out->count[r->verdict]++;
	return 0;
}

int audit_build(const struct audit_evidence *ev,
		const struct audit_policy *policy,
		const struct audit_baseline *baseline, struct audit_report *out)
{
	struct build b = {
		.ev = ev,
		.pol = policy,
		.base = baseline,
		.out = out,
	};
	int ret;

	memset(out, 0, sizeof(*out));
	out->remote = ev->remote;
	b.cov = calloc(1, sizeof(*b.cov));
	if (!b.cov)
		return -ENOMEM;
	ret = ev->remote ? collect_remote(&b) : collect_local(&b);
	if (ret)
		goto out_free;
	lsock_merge(&b);

	for (unsigned proto = RS_TCP; proto <= RS_UDP; proto++) {
		if (proto == RS_UDP && !ev->udp)
			break;
		for (uint32_t port = 1; port < AUDIT_NPORTS; port++) {
			ret = judge_port(&b, proto, (uint16_t)port);
			if (ret)
				goto out_free;
		}
	}
out_free:
	if (ret)
		audit_report_free(out);
	free(b.ls);
	free(b.cov);
	return ret;
}

void audit_report_free(struct audit_report *r)
{
	free(r->rows);
	r->rows = NULL;
	r->n = 0;
}

size_t audit_findings(const struct audit_report *r)
{
	return r->count[AUDIT_HIDDEN] + r->count[AUDIT_UNEXPECTED];
}

const char *audit_verdict_name(unsigned verdict)
{
	static const char *const names[AUDIT_NVERDICTS] = {
		[AUDIT_OK] = "ok",
		[AUDIT_HIDDEN] = "hidden",
		[AUDIT_UNEXPECTED] = "unexpected",
		[AUDIT_CLOSED_LISTED] = "closed-listed",
		[AUDIT_DISAPPEARED] = "disappeared",
	};

	return verdict < AUDIT_NVERDICTS ? names[verdict] : "?";
}

const char *audit_state_name(const struct audit_row *r)
{
	if (r->proto == RS_UDP) {
		if (r->bind4 == AUDIT_BIND_HELD || r->bind6 == AUDIT_BIND_HELD)
			return "bound";
		if (r->probe4 == AUDIT_PROBE_OPEN ||
		    r->probe6 == AUDIT_PROBE_OPEN)
			return "open|filtered";
		if (r->bind4 == AUDIT_BIND_FREE || r->bind6 == AUDIT_BIND_FREE)
			return "free";
		if (r->probe4 == AUDIT_PROBE_CLOSED ||
		    r->probe6 == AUDIT_PROBE_CLOSED)
			return "closed";
		return "-";
	}
	if (r->probe4 == AUDIT_PROBE_OPEN || r->probe6 == AUDIT_PROBE_OPEN)
		return "open";
	if (r->probe4 == AUDIT_PROBE_FILTERED ||
	    r->probe6 == AUDIT_PROBE_FILTERED)
		return "filtered";
	if (r->probe4 == AUDIT_PROBE_CLOSED || r->probe6 == AUDIT_PROBE_CLOSED)
		return "closed";
	return "-";
}

static const char *listed_name(uint8_t l)
{
	switch (l) {
	case AUDIT_LISTED_YES:
		return "yes";
	case AUDIT_LISTED_NO:
		return "no";
	case AUDIT_LISTED_PARTIAL:
		return "partial";
	default:
		return "n/a";
	}
}

/* "held(v4,v6)", "free", "denied", "-". */
static void bind_text(const struct audit_row *r, char *buf, size_t len)
{
	bool h4 = r->bind4 == AUDIT_BIND_HELD, h6 = r->bind6 == AUDIT_BIND_HELD;

	if (h4 || h6)
		snprintf(buf, len, "held(%s%s%s)", h4 ? "v4" : "",
			 h4 && h6 ? "," : "", h6 ? "v6" : "");
	else if (r->bind4 == AUDIT_BIND_FREE || r->bind6 == AUDIT_BIND_FREE)
		snprintf(buf, len, "free");
	else if (r->bind4 == AUDIT_BIND_DENIED || r->bind6 == AUDIT_BIND_DENIED)
		snprintf(buf, len, "denied");
	else
		snprintf(buf, len, "-");
}

/* "open(v4,v6)", "filtered", "closed", "-". */
static void probe_text(const struct audit_row *r, char *buf, size_t len)
{
	bool o4 = r->probe4 == AUDIT_PROBE_OPEN,
	     o6 = r->probe6 == AUDIT_PROBE_OPEN;

	if (o4 || o6)
		snprintf(buf, len, "open(%s%s%s)", o4 ? "v4" : "",
			 o4 && o6 ? "," : "", o6 ? "v6" : "");
	else
		snprintf(buf, len, "%s", audit_state_name(r));
}

const char *audit_evidence_format(const struct audit_row *r, bool remote,
				  char *buf, size_t len)
{
	char bind[32], probe[32];

	bind_text(r, bind, sizeof(bind));
	probe_text(r, probe, sizeof(probe));
	if (remote)
		snprintf(buf, len, "netstat:%s connect:%s",
			 listed_name(r->capture),
			 r->proto == RS_TCP ? probe : "-");
	else if (r->proto == RS_TCP)
		snprintf(buf, len, "netlink:%s proc:%s bind:%s connect:%s",
			 listed_name(r->netlink), listed_name(r->proc), bind,
			 probe);
	else
		snprintf(buf, len, "netlink:%s proc:%s bind:%s",
			 listed_name(r->netlink), listed_name(r->proc), bind);
	if (!remote && r->proto == RS_UDP && (r->probe4 || r->probe6)) {
		bool n4 = r->probe4 == AUDIT_PROBE_OPEN;
		bool n6 = r->probe6 == AUDIT_PROBE_OPEN;

		if (n4 || n6)
			snprintf(probe, sizeof(probe), " udp:no-icmp(%s%s%s)",
				 n4 ? "v4" : "", n4 && n6 ? "," : "",
				 n6 ? "v6" : "");
		else
			snprintf(probe, sizeof(probe), " udp:unreach");
		append(buf, len, probe);
	}
	if (r->policy_denied)
		append(buf, len, " allow:no");
	if (r->baseline_new)
		append(buf, len, " baseline:new");
	if (r->program_changed)
		append(buf, len, " baseline:changed");
	if (r->verdict == AUDIT_DISAPPEARED)
		append(buf, len, " baseline:gone");
	return buf;
}
