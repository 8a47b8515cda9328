/*
 * netstat.c - parse netstat and ss captures (see netstat.h).
 *
 * Line by line, with no state but what the headers said: each line is split
 * into at most NETSTAT_MAX_TOKENS blank-separated tokens (slices of the
 * buffer, no copies), classified by its first tokens, and parsed by the
 * layout it belongs to.  The two layouts are told apart by their second
 * column: netstat rows are "PROTO RECV-Q ...", a number; ss rows are
 * "[NETID] STATE RECV-Q ...", a state word.  Headers are only used for
 * what a row cannot say by itself: whether netstat's -e columns (User,
 * Inode) are there.
 *
 * The capture comes from a machine the operator does not trust, possibly
 * edited by hand; so every field is checked for the one shape the tools
 * print, and the first line that fits neither layout is an error naming it.
 * A silently skipped line would be a listener the audit then calls hidden
 * for the wrong reason, or, worse, a garbled listing taken as complete.
 *
 * ss's users:((...)) field is read from the raw line, not the tokens:
 * program names may contain blanks ("tmux: server").
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "netstat.h"
#include "services.h"

#define NETSTAT_MAX_TOKENS 48

struct tok {
	const char *p;
	size_t len;
};

struct line {
	const char *p; /* the line, without its newline and CR */
	const char *end;
	struct tok t[NETSTAT_MAX_TOKENS];
	unsigned n; /* tokens found (at most NETSTAT_MAX_TOKENS) */
	bool more; /* more tokens than fit */
	unsigned long no;
};

struct parse_state {
	bool netstat_user_cols; /* netstat -e: User and Inode columns */
	bool netstat_pid_col;
	bool netstat_header;
	bool any; /* a header or a row was seen */
};

static bool tok_is(const struct tok *t, const char *s)
{
	size_t n = strlen(s);

	return t->len == n && !memcmp(t->p, s, n);
}

static bool tok_digits(const struct tok *t)
{
	if (!t->len)
		return false;
	for (size_t i = 0; i < t->len; i++)
		if (t->p[i] < '0' || t->p[i] > '9')
			return false;
	return true;
}

/* Decimal of at most max; the whole slice. */
static bool parse_dec(const char *p, size_t len, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (!len || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (p[i] < '0' || p[i] > '9')
			return false;
		d = (unsigned)(p[i] - '0');
		if (x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

static bool starts_with(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(end - p) >= n && !memcmp(p, s, n);
}

static void split(struct line *l)
{
	const char *p = l->p;

	l->n = 0;
	l->more = false;
	while (p < l->end) {
		const char *s;

		while (p < l->end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == l->end)
			break;
		s = p;
		while (p < l->end && *p != ' ' && *p != '\t')
			p++;
		if (l->n == NETSTAT_MAX_TOKENS) {
			l->more = true;
			break;
		}
		l->t[l->n].p = s;
		l->t[l->n].len = (size_t)(p - s);
		l->n++;
	}
}

static int fail_at(struct rs_error *err, const struct line *l, const char *p,
		   size_t len, const char *reason)
{
	rs_error_set(err, p, len, reason);
	if (err)
		err->line = l->no;
	return -EINVAL;
}

static int fail_tok(struct rs_error *err, const struct line *l,
		    const struct tok *t, const char *reason)
{
	return fail_at(err, l, t->p, t->len, reason);
}

/*
 * A numeric address of the expected family (family 0: either) into a.
 * Accepts a %scope suffix (ignored).  true on success.
 */
static bool parse_addr(const char *p, size_t len, int family, struct rs_addr *a)
{
	char buf[RS_ADDR_STRLEN + 1];
	const char *pct = memchr(p, '%', len);

	if (pct)
		len = (size_t)(pct - p);
	if (!len || len >= sizeof(buf))
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	if (addr_parse(buf, a))
		return false;
	return !family || a->family == family;
}

/* "*" or a decimal port 0-65535 (star_ok: "*" allowed, meaning 0). */
static bool parse_port(const char *p, size_t len, bool star_ok, uint16_t *port)
{
	uint64_t v;

	if (star_ok && len == 1 && p[0] == '*') {
		*port = 0;
		return true;
	}
	if (!parse_dec(p, len, 65535, &v))
		return false;
	*port = (uint16_t)v;
	return true;
}

static bool looks_like_name(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((p[i] >= 'g' && p[i] <= 'z') ||
		    (p[i] >= 'G' && p[i] <= 'Z') || p[i] == '-' || p[i] == '_')
			return true;
	return false;
}

/*
 * netstat's "ADDR:PORT" (IPv6 unbracketed: ":::22", "::1:631"): the port is
 * after the last colon.  0 or -EINVAL.
 */
static int netstat_endpoint(struct rs_error *err, const struct line *l,
			    const struct tok *t, int family, bool star_ok,
			    struct rs_addr *a, uint16_t *port)
{
	const char *colon = NULL;

	for (size_t i = 0; i < t->len; i++)
		if (t->p[i] == ':')
			colon = t->p + i;
	if (!colon)
		return fail_tok(err, l, t, "expected ADDRESS:PORT");
	if (!parse_port(colon + 1, (size_t)(t->p + t->len - colon - 1), star_ok,
			port))
		return fail_tok(
			err, l, t,
			looks_like_name(colon + 1,
					(size_t)(t->p + t->len - colon - 1)) ?
				"a service name, not a port number: capture with netstat -n" :
				"bad port number");
	if (!parse_addr(t->p, (size_t)(colon - t->p), family, a))
		return fail_tok(
			err, l, t,
			looks_like_name(t->p, (size_t)(colon - t->p)) ?
				"a host name, not an address: capture with netstat -n" :
				"not a numeric address of the row's family (long IPv6 addresses need netstat -W)");
	return 0;
}

/*
 * ss's "ADDR:PORT", "[V6]:PORT", "ADDR%IF:PORT", "[V6]%IF:PORT" or
 * "*:PORT".  0 or -EINVAL.
 */
static int ss_endpoint(struct rs_error *err, const struct line *l,
		       const struct tok *t, bool star_ok, struct rs_addr *a,
		       uint16_t *port, int8_t *v6only)
{
	const char *p = t->p, *end = t->p + t->len, *colon = NULL;

	for (const char *q = p; q < end; q++)
		if (*q == ':')
			colon = q;
	if (!colon)
		return fail_tok(err, l, t, "expected ADDRESS:PORT");
	if (!parse_port(colon + 1, (size_t)(end - colon - 1), star_ok, port))
		return fail_tok(
			err, l, t,
			looks_like_name(colon + 1, (size_t)(end - colon - 1)) ?
				"a service name, not a port number: capture with ss -n" :
				"bad port number");
	*v6only = -1;
	if (colon - p == 1 && p[0] == '*') {
		/* Dual-stack wildcard: [::] without V6ONLY. */
		memset(a, 0, sizeof(*a));
		a->family = AF_INET6;
		*v6only = 0;
		return 0;
	}
	if (p[0] == '[') {
		const char *rb = memchr(p, ']', (size_t)(colon - p));

		if (!rb || (rb + 1 != colon && rb[1] != '%') ||
		    !parse_addr(p + 1, (size_t)(rb - p - 1), AF_INET6, a))
			return fail_tok(err, l, t,
					"not a numeric [IPv6]:port address");
		return 0;
	}
	if (!parse_addr(p, (size_t)(colon - p), AF_INET, a))
		return fail_tok(
			err, l, t,
			looks_like_name(p, (size_t)(colon - p)) ?
				"a host name, not an address: capture with ss -n" :
				"not a numeric address");
	return 0;
}

static const struct {
	const char *name;
	uint8_t state;
} netstat_states[] = {
	{ "LISTEN", SOCK_ST_LISTEN },
	{ "ESTABLISHED", SOCK_ST_ESTABLISHED },
	{ "SYN_SENT", SOCK_ST_SYN_SENT },
	{ "SYN_RECV", SOCK_ST_SYN_RECV },
	{ "FIN_WAIT1", SOCK_ST_FIN_WAIT1 },
	{ "FIN_WAIT2", SOCK_ST_FIN_WAIT2 },
	{ "TIME_WAIT", SOCK_ST_TIME_WAIT },
	{ "CLOSE", SOCK_ST_CLOSE },
	{ "CLOSE_WAIT", SOCK_ST_CLOSE_WAIT },
	{ "LAST_ACK", SOCK_ST_LAST_ACK },
	{ "CLOSING", SOCK_ST_CLOSING },
	{ "UNKNOWN", 0 },
},
  ss_states[] = {
	  { "LISTEN", SOCK_ST_LISTEN },
	  { "UNCONN", SOCK_ST_CLOSE },
	  { "ESTAB", SOCK_ST_ESTABLISHED },
	  { "SYN-SENT", SOCK_ST_SYN_SENT },
	  { "SYN-RECV", SOCK_ST_SYN_RECV },
	  { "FIN-WAIT-1", SOCK_ST_FIN_WAIT1 },
	  { "FIN-WAIT-2", SOCK_ST_FIN_WAIT2 },
	  { "TIME-WAIT", SOCK_ST_TIME_WAIT },
	  { "CLOSE-WAIT", SOCK_ST_CLOSE_WAIT },
	  { "LAST-ACK", SOCK_ST_LAST_ACK },
	  { "CLOSING", SOCK_ST_CLOSING },
	  { "UNKNOWN", 0 },
  };

static int netstat_state(const struct tok *t)
{
	for (size_t i = 0; i < sizeof(netstat_states) / sizeof(*netstat_states);
	     i++)
		if (tok_is(t, netstat_states[i].name))
			return netstat_states[i].state;
	return -1;
}

static int ss_state(const struct tok *t)
{
	for (size_t i = 0; i < sizeof(ss_states) / sizeof(*ss_states); i++)
		if (tok_is(t, ss_states[i].name))
			return ss_states[i].state;
	return -1;
}

/* Copy a program name, cut to fit, keeping only printable bytes. */
static void set_program(struct netstat_entry *e, const char *p, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 1 < sizeof(e->program); i++) {
		unsigned char c = (unsigned char)p[i];

		e->program[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	e->program[n] = '\0';
}

/* netstat's "PID/Program name" first word: "123/sshd:", "-", "45/./a". */
static int netstat_pid_prog(struct rs_error *err, const struct line *l,
			    const struct tok *t, struct netstat_entry *e)
{
	const char *slash = memchr(t->p, '/', t->len);
	const char *name, *end = t->p + t->len;
	uint64_t pid;

	if (tok_is(t, "-"))
		return 0;
	if (!slash || !parse_dec(t->p, (size_t)(slash - t->p), INT32_MAX, &pid))
		return fail_tok(err, l, t,
				"expected PID/Program (e.g. 123/sshd) or '-'");
	e->pid = (int32_t)pid;
	name = slash + 1;
	if (end > name && end[-1] == ':')
		end--; /* "sshd: /usr/sbin/sshd" is cut at the colon */
	for (const char *q = name; q < end; q++)
		if (*q == '/')
			name = q + 1; /* "./listen", "/usr/bin/x": basename */
	set_program(e, name, (size_t)(end - name));
	return 0;
}

static int parse_netstat_row(struct parse_state *st, const struct line *l,
			     struct netstat_entry *e, struct rs_error *err)
{
	const struct tok *t = l->t;
	unsigned i = 3, n = l->n;
	int family, state;
	uint64_t v;

	if (tok_is(&t[0], "tcp") || tok_is(&t[0], "udp"))
		family = AF_INET;
	else if (tok_is(&t[0], "tcp6") || tok_is(&t[0], "udp6"))
		family = AF_INET6;
	else
		return fail_tok(
			err, l, &t[0],
			"only tcp, tcp6, udp and udp6 rows are understood: capture with netstat -tulnp");
	e->s.proto = t[0].p[0] == 't' ? RS_TCP : RS_UDP;
	if (n < 5)
		return fail_at(
			err, l, l->p, (size_t)(l->end - l->p),
			"truncated row: expected Proto Recv-Q Send-Q Local-Address Foreign-Address ...");
	if (!tok_digits(&t[1]) || !tok_digits(&t[2]))
		return fail_tok(err, l, tok_digits(&t[1]) ? &t[2] : &t[1],
				"expected a queue size (a number)");
	if (netstat_endpoint(err, l, &t[i++], family, false, &e->s.local,
			     &e->s.lport) ||
	    netstat_endpoint(err, l, &t[i++], family, true, &e->s.remote,
			     &e->s.rport))
		return -EINVAL;

	state = i < n ? netstat_state(&t[i]) : -1;
	if (state >= 0) {
		e->s.state = (uint8_t)state;
		i++;
	} else if (e->s.proto == RS_TCP) {
		return fail_at(
			err, l, i < n ? t[i].p : l->end, i < n ? t[i].len : 0,
			"expected a TCP state (LISTEN, ESTABLISHED, ...)");
	} else {
		/* netstat leaves an unconnected UDP socket's state blank. */
		e->s.state = e->s.rport ? SOCK_ST_ESTABLISHED : SOCK_ST_CLOSE;
	}

	if (st->netstat_user_cols) {
		if (i + 2 > n)
			return fail_at(
				err, l, l->end, 0,
				"expected the User and Inode columns (netstat -e)");
		if (parse_dec(t[i].p, t[i].len, UINT32_MAX, &v))
			e->s.uid = (uint32_t)v;
		i++;
		if (!parse_dec(t[i].p, t[i].len, UINT64_MAX, &v))
			return fail_tok(
				err, l, &t[i],
				"expected an inode number (netstat -e)");
		e->s.inode = v;
		i++;
	}
	if (i < n) {
		if (netstat_pid_prog(err, l, &t[i], e))
			return -EINVAL;
		/* The rest is the program's command line, cut by netstat. */
		if (!st->netstat_pid_col && i + 1 < n)
			return fail_tok(err, l, &t[i + 1],
					"unexpected text after the row");
	}
	return 0;
}

/* users:(("name",pid=1,fd=3),...) from the raw line, first entry. */
static int ss_users(struct rs_error *err, const struct line *l,
		    const char *from, struct netstat_entry *e,
		    const char **after)
{
	static const char open[] = "users:((\"";
	const char *p = from, *q, *end = l->end;
	uint64_t pid;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	*after = p;
	if (!starts_with(p, end, "users:"))
		return 0;
	if (!starts_with(p, end, open))
		return fail_at(err, l, p, (size_t)(end - p),
			       "expected users:((\"program\",pid=N,fd=N))");
	p += sizeof(open) - 1;
	/* The name ends at the first '",pid=' (names may hold quotes). */
	for (q = p; q + 6 <= end; q++)
		if (!memcmp(q, "\",pid=", 6))
			break;
	if (q + 6 > end)
		return fail_at(err, l, p, (size_t)(end - p),
			       "expected users:((\"program\",pid=N,fd=N))");
	set_program(e, p, (size_t)(q - p));
	p = q + 6;
	for (q = p; q < end && *q >= '0' && *q <= '9'; q++)
		;
	if (!parse_dec(p, (size_t)(q - p), INT32_MAX, &pid))
		return fail_at(err, l, p, (size_t)(end - p), "bad pid= value");
	e->pid = (int32_t)pid;
	/* Skip to the closing "))" of the whole users field. */
	for (; q + 1 < end; q++)
		if (q[0] == ')' && q[1] == ')')
			break;
	if (q + 1 >= end)
		return fail_at(err, l, from, (size_t)(end - from),
			       "unterminated users:((...)) field");
	*after = q + 2;
	return 0;
}

/* After ss's columns: -e/-o/-m extras like ino:N uid:N sk:X <-> timer:(..) */
static int ss_extras(struct rs_error *err, const struct line *l, const char *p,
		     struct netstat_entry *e)
{
	const char *end = l->end;
	uint64_t v;

	while (p < end) {
		const char *s;
		size_t len;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end)
			break;
		s = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		len = (size_t)(p - s);
		if (len > 4 && !memcmp(s, "ino:", 4) &&
		    parse_dec(s + 4, len - 4, UINT64_MAX, &v)) {
			e->s.inode = v;
		} else if (len > 4 && !memcmp(s, "uid:", 4) &&
			   parse_dec(s + 4, len - 4, UINT32_MAX, &v)) {
			e->s.uid = (uint32_t)v;
		} else if (len == 8 && !memcmp(s, "v6only:", 7) &&
			   (s[7] == '0' || s[7] == '1')) {
			e->s.v6only = (int8_t)(s[7] - '0');
		} else if (!memchr(s, ':', len) &&
			   !(len == 3 &&
			     (!memcmp(s, "<->", 3) || !memcmp(s, "-->", 3) ||
			      !memcmp(s, "<--", 3)))) {
			return fail_at(
				err, l, s, len,
				"unexpected text after the row (not an ss -e/-o/-p field)");
		}
	}
	return 0;
}

static int parse_ss_row(const struct line *l, struct netstat_entry *e,
			struct rs_error *err)
{
	const struct tok *t = l->t;
	unsigned i = 0, n = l->n;
	int state, proto = -1;
	int8_t v6only, peer_v6only;
	const char *after;

	if (tok_is(&t[0], "tcp") || tok_is(&t[0], "udp")) {
		proto = t[0].p[0] == 't' ? RS_TCP : RS_UDP;
		i++;
	} else if (ss_state(&t[0]) < 0) {
		return fail_tok(
			err, l, &t[0],
			"only tcp and udp rows are understood: capture with ss -tulnp");
	}
	if (n < i + 5)
		return fail_at(
			err, l, l->p, (size_t)(l->end - l->p),
			"truncated row: expected [Netid] State Recv-Q Send-Q Local:Port Peer:Port");
	state = ss_state(&t[i]);
	if (state < 0)
		return fail_tok(
			err, l, &t[i],
			"expected an ss state (LISTEN, UNCONN, ESTAB, ...)");
	if (proto < 0)
		proto = state == SOCK_ST_CLOSE ? RS_UDP : RS_TCP;
	e->s.proto = (uint8_t)proto;
	e->s.state = (uint8_t)state;
	i++;
	if (!tok_digits(&t[i]) || !tok_digits(&t[i + 1]))
		return fail_tok(err, l, tok_digits(&t[i]) ? &t[i + 1] : &t[i],
				"expected a queue size (a number)");
	i += 2;
	if (ss_endpoint(err, l, &t[i], false, &e->s.local, &e->s.lport,
			&v6only) ||
	    ss_endpoint(err, l, &t[i + 1], true, &e->s.remote, &e->s.rport,
			&peer_v6only))
		return -EINVAL;
	e->s.v6only = v6only;
	i += 2;
	if (ss_users(err, l, t[i - 1].p + t[i - 1].len, e, &after))
		return -EINVAL;
	return ss_extras(err, l, after, e);
}

static bool is_note(const struct line *l)
{
	const char *p = l->p;

	while (p < l->end && (*p == ' ' || *p == '\t'))
		p++;
	return starts_with(p, l->end,
			   "(Not all processes could be identified") ||
	       starts_with(p, l->end, "(No info could be read for") ||
	       starts_with(p, l->end,
			   "will not be shown, you would have to be root");
}

/* Header lines: true if l is one (and what it says is noted in st). */
static bool header(struct parse_state *st, const struct line *l)
{
	const struct tok *t = l->t;

	if (starts_with(l->p, l->end, "Active Internet connections")) {
		st->netstat_header = true;
		return true;
	}
	if (tok_is(&t[0], "Proto") && l->n > 1 && tok_is(&t[1], "Recv-Q")) {
		st->netstat_header = true;
		st->netstat_user_cols = false;
		st->netstat_pid_col = false;
		for (unsigned i = 2; i < l->n; i++) {
			if (tok_is(&t[i], "User") && i + 1 < l->n &&
			    tok_is(&t[i + 1], "Inode"))
				st->netstat_user_cols = true;
			if (tok_is(&t[i], "PID/Program"))
				st->netstat_pid_col = true;
		}
		return true;
	}
	if ((tok_is(&t[0], "Netid") || tok_is(&t[0], "State")) && l->n > 1 &&
	    (tok_is(&t[1], "State") || tok_is(&t[1], "Recv-Q")))
		return true;
	return false;
}

int netstat_parse(const char *buf, size_t len,
		  int (*fn)(void *ctx, const struct netstat_entry *e),
		  void *ctx, struct rs_error *err)
{
	struct parse_state st = { 0 };
	const char *p = buf, *end = buf + len;
	struct line l;
	int ret;

	l.no = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct netstat_entry e;

		l.no++;
		l.p = p;
		l.end = nl ? nl : end;
		p = nl ? nl + 1 : end;
		if (l.end > l.p && l.end[-1] == '\r')
			l.end--;
		if ((size_t)(l.end - l.p) > NETSTAT_LINE_MAX)
			return fail_at(err, &l, l.p, 40, "line too long");
		for (const char *q = l.p; q < l.end; q++)
			if ((unsigned char)*q < 0x20 && *q != '\t')
				return fail_at(err, &l, l.p,
					       (size_t)(l.end - l.p),
					       "control character in line");
		split(&l);
		if (!l.n)
			continue;
		if (l.more)
			return fail_at(
				err, &l, l.p, (size_t)(l.end - l.p),
				"too many fields for a netstat or ss row");
		if (is_note(&l))
			continue;
		if (starts_with(l.p, l.end, "Active ")) {
			if (starts_with(l.p, l.end,
					"Active Internet connections")) {
				header(&st, &l);
				st.any = true;
				continue;
			}
			return fail_at(
				err, &l, l.p, (size_t)(l.end - l.p),
				"only Internet sockets are understood: capture with netstat -tulnp");
		}
		if (header(&st, &l)) {
			st.any = true;
			continue;
		}

		memset(&e, 0, sizeof(e));
		e.s.uid = UINT32_MAX;
		e.s.v6only = -1;
		e.pid = -1;
		e.line = l.no;
		if (ss_state(&l.t[0]) >= 0 ||
		    (l.n > 1 && ss_state(&l.t[1]) >= 0)) {
			e.layout = NETSTAT_LAYOUT_SS;
			ret = parse_ss_row(&l, &e, err);
		} else if (l.n > 1 && tok_digits(&l.t[1])) {
			e.layout = NETSTAT_LAYOUT_NETSTAT;
			ret = parse_netstat_row(&st, &l, &e, err);
		} else {
			ret = fail_at(err, &l, l.p, (size_t)(l.end - l.p),
				      "not a netstat or ss socket row");
		}
		if (ret)
			return ret;
		st.any = true;
		ret = fn(ctx, &e);
		if (ret)
			return ret;
	}
	if (!st.any) {
		rs_error_set(
			err, "", 0,
			"empty capture: no header and no socket row (capture with netstat -tulnp or ss -tulnp, without -H)");
		return -EINVAL;
	}
	return 0;
}

int netstat_read_file(const char *path,
		      int (*fn)(void *ctx, const struct netstat_entry *e),
		      void *ctx, struct rs_error *err)
{
	char *buf;
	size_t len;
	int ret;

	if (strcmp(path, "-"))
		ret = fileio_read_all(path, NETSTAT_FILE_MAX, &buf, &len);
	else
		ret = fileio_read_fd(STDIN_FILENO, NETSTAT_FILE_MAX, &buf,
				     &len);
	if (ret) {
		rs_error_set(err, path, strlen(path), NULL);
		return ret;
	}
	ret = netstat_parse(buf, len, fn, ctx, err);
	free(buf);
	return ret;
}
