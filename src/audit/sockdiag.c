/*
 * sockdiag.c - the socket table through NETLINK_SOCK_DIAG (see sockdiag.h).
 *
 * One netlink socket (libmnl) and four dumps, one per (family, protocol):
 * inet_diag answers a SOCK_DIAG_BY_FAMILY request with NLM_F_DUMP by
 * streaming one inet_diag_msg per socket, many per datagram, until
 * NLMSG_DONE.  All states are asked for (idiag_states = ~0): the audit needs
 * connected and TIME_WAIT sockets as much as listeners, to tell a port held
 * by an outgoing connection from one held by something unlisted.
 *
 * Asking for every state includes TCP_BOUND_INACTIVE (Linux 6.9+): sockets
 * that called bind() but neither listen() nor connect(), reported in state
 * CLOSE.  They hold a port that bind() then finds busy, yet /proc/net and
 * older kernels' dumps do not show them.
 *
 * The only attribute read is INET_DIAG_SKV6ONLY, which the kernel adds to
 * every IPv6 socket's message: whether a [::] listener also takes IPv4
 * connections decides which bind() tests and connect probes it explains.
 *
 * A dump is walked under the table's locks bucket by bucket, so sockets
 * created or closed meanwhile may be seen or not; when the kernel detects
 * that the walk was disturbed it flags a message NLM_F_DUMP_INTR, libmnl
 * turns that into EINTR, and the dump of that table starts again (the rows
 * it had appended are dropped first).  Sockets that come and go during a
 * consistent dump are the audit's concern (it reads twice and re-verifies).
 *
 * The receive buffer is 32 KiB rather than MNL_SOCKET_BUFFER_SIZE (8 KiB on
 * 4 KiB pages): the kernel fills each datagram up to the reader's buffer,
 * so a bigger one means fewer recvmsg calls on a busy table.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "services.h"
#include "sockdiag.h"

#define SOCKDIAG_RCVBUF 32768
#define SOCKDIAG_ATTEMPTS 5 /* dumps restarted after NLM_F_DUMP_INTR */
#define SOCK_LIST_FIRST 256

int sock_list_add(struct sock_list *l, const struct sock_entry *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : SOCK_LIST_FIRST;
		struct sock_entry *v = reallocarray(l->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
	return 0;
}

void sock_list_free(struct sock_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
}

unsigned sock_entry_table(const struct sock_entry *e)
{
	bool v6 = e->local.family == AF_INET6;

	if (e->proto == RS_UDP)
		return v6 ? SOCK_T_UDP6 : SOCK_T_UDP4;
	return v6 ? SOCK_T_TCP6 : SOCK_T_TCP4;
}

bool sock_entry_is_listener(const struct sock_entry *e)
{
	if (e->proto == RS_UDP)
		return e->state == SOCK_ST_CLOSE && e->lport != 0;
	return e->state == SOCK_ST_LISTEN;
}

const char *sock_state_name(unsigned proto, unsigned state)
{
	static const char *const names[] = {
		[SOCK_ST_ESTABLISHED] = "ESTAB",
		[SOCK_ST_SYN_SENT] = "SYN-SENT",
		[SOCK_ST_SYN_RECV] = "SYN-RECV",
		[SOCK_ST_FIN_WAIT1] = "FIN-WAIT-1",
		[SOCK_ST_FIN_WAIT2] = "FIN-WAIT-2",
		[SOCK_ST_TIME_WAIT] = "TIME-WAIT",
		[SOCK_ST_CLOSE] = "UNCONN",
		[SOCK_ST_CLOSE_WAIT] = "CLOSE-WAIT",
		[SOCK_ST_LAST_ACK] = "LAST-ACK",
		[SOCK_ST_LISTEN] = "LISTEN",
		[SOCK_ST_CLOSING] = "CLOSING",
		[SOCK_ST_NEW_SYN_RECV] = "NEW-SYN-RECV",
	};

	(void)proto;
	if (state < sizeof(names) / sizeof(names[0]) && names[state])
		return names[state];
	return "UNKNOWN";
}

struct dump_ctx {
	struct sock_list *out;
	uint8_t proto;
	int err; /* -ENOMEM from the list, reported after the walk */
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, INET_DIAG_MAX) < 0)
		return MNL_CB_OK; /* newer than our headers: ignore */
	if (type == INET_DIAG_SKV6ONLY &&
	    mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

static void diag_addr(struct rs_addr *a, int family, const __be32 *words)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	memcpy(a->bytes, words, family == AF_INET6 ? 16 : 4);
}

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;
	const struct nlattr *tb[INET_DIAG_MAX + 1] = { 0 };
	const struct inet_diag_msg *m;
	struct sock_entry e;
	int ret;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK; /* truncated: nothing we can use */
	m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*m), attr_cb, tb);

	memset(&e, 0, sizeof(e));
	diag_addr(&e.local, m->idiag_family, m->id.idiag_src);
	diag_addr(&e.remote, m->idiag_family, m->id.idiag_dst);
	e.lport = ntohs(m->id.idiag_sport);
	e.rport = ntohs(m->id.idiag_dport);
	e.inode = m->idiag_inode;
	e.uid = m->idiag_uid;
	e.ifindex = m->id.idiag_if;
	e.proto = c->proto;
	e.state = m->idiag_state;
	e.v6only = -1;
	if (m->idiag_family == AF_INET6 && tb[INET_DIAG_SKV6ONLY])
		e.v6only = mnl_attr_get_u8(tb[INET_DIAG_SKV6ONLY]) ? 1 : 0;

	ret = sock_list_add(c->out, &e);
	if (ret) {
		c->err = ret;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/*
 * One table.  0; -ENOENT/-EINVAL/-EOPNOTSUPP/-EAFNOSUPPORT when the kernel
 * has no dumper for it (the caller marks it unavailable); -EINTR when the
 * dump was interrupted (retry); other -errno.
 */
static int dump_one(struct mnl_socket *nl, char *buf, uint32_t seq, int family,
		    uint8_t ipproto, uint8_t proto, struct sock_list *out)
{
	struct inet_diag_req_v2 *req;
	struct nlmsghdr *nlh;
	struct dump_ctx c = { .out = out, .proto = proto };
	unsigned portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)family;
	req->sdiag_protocol = ipproto;
	req->idiag_states = ~0u;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;

	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, SOCKDIAG_RCVBUF);
		if (n < 0)
			return -errno;
		errno = 0;
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, data_cb, &c);
		if (ret == MNL_CB_STOP)
			return 0;
		if (ret < 0) {
			if (c.err)
				return c.err;
			return errno ? -errno : -EIO;
		}
	}
}

/*
 * After a failed dump the socket may still hold the rest of its answer;
 * a fresh socket per table attempt is the simple way to never read a stale
 * message as the next dump's (sequence numbers guard too, but an error
 * halfway would leave the rest queued).
 */
static int dump_table(char *buf, uint32_t *seq, int family, uint8_t ipproto,
		      uint8_t proto, struct sock_list *out)
{
	struct mnl_socket *nl;
	size_t keep = out->n;
	int ret = -EAGAIN;

	for (int attempt = 0; attempt < SOCKDIAG_ATTEMPTS; attempt++) {
		nl = mnl_socket_open(NETLINK_SOCK_DIAG);
		if (!nl)
			return errno == EPROTONOSUPPORT ? -EPROTONOSUPPORT :
							  -errno;
		if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
			ret = -errno;
			mnl_socket_close(nl);
			return ret;
		}
		ret = dump_one(nl, buf, ++*seq, family, ipproto, proto, out);
		mnl_socket_close(nl);
		if (ret != -EINTR)
			return ret;
		out->n = keep; /* inconsistent: drop it and walk again */
	}
	return -EAGAIN;
}

int sockdiag_dump(struct sock_list *out, unsigned *unavailable)
{
	static const struct {
		int family;
		uint8_t ipproto;
		uint8_t proto;
		unsigned bit;
	} tables[] = {
		{ AF_INET, IPPROTO_TCP, RS_TCP, SOCK_T_TCP4 },
		{ AF_INET6, IPPROTO_TCP, RS_TCP, SOCK_T_TCP6 },
		{ AF_INET, IPPROTO_UDP, RS_UDP, SOCK_T_UDP4 },
		{ AF_INET6, IPPROTO_UDP, RS_UDP, SOCK_T_UDP6 },
	};
	unsigned missing = 0;
	uint32_t seq = (uint32_t)time(NULL);
	char *buf;
	int ret = 0;

	buf = malloc(SOCKDIAG_RCVBUF);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		ret = dump_table(buf, &seq, tables[i].family, tables[i].ipproto,
				 tables[i].proto, out);
		switch (ret) {
		case 0:
			break;
		case -ENOENT:
		case -EINVAL:
		case -EOPNOTSUPP:
		case -EAFNOSUPPORT:
			/* No dumper for this table in this kernel. */
			missing |= tables[i].bit;
			ret = 0;
			break;
		default:
			goto out_free_buf;
		}
	}
out_free_buf:
	free(buf);
	if (unavailable)
		*unavailable = missing;
	return ret;
}
