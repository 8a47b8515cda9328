/*
 * neigh.c - routes, links and neighbours over rtnetlink (see neigh.h).
 *
 * Every request carries NLM_F_ACK so that a single-message answer (a route,
 * a link, a neighbour) is followed by an acknowledgment: mnl_cb_run then
 * stops on the ack for plain requests and on NLMSG_DONE for dumps, and an
 * error arrives as the ack's code.  Replies are matched by sequence number
 * and port id; anything else on the request socket is skipped by libmnl.
 *
 * Attribute payloads are copied out with memcpy after their length is
 * checked, never dereferenced through a cast: netlink attributes are only
 * 4-byte aligned and come from the kernel, which we trust to be
 * well-formed but not to match our expectations of every attribute.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "neigh.h"

/* Dumps may come in skbs of up to 32 KiB on current kernels. */
#define NEIGH_BUF_SIZE 32768

struct neigh {
	struct mnl_socket *req;
	struct mnl_socket *ev; /* NULL without events */
	uint32_t portid;
	uint32_t seq;
	uint8_t buf[NEIGH_BUF_SIZE];
};

static size_t fam_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* Copy an address attribute of family into a; false if its size is off. */
static bool attr_addr(const struct nlattr *a, int family, struct rs_addr *out)
{
	size_t len = fam_len(family);

	if (mnl_attr_get_payload_len(a) != len)
		return false;
	memset(out, 0, sizeof(*out));
	out->family = (uint8_t)family;
	memcpy(out->bytes, mnl_attr_get_payload(a), len);
	return true;
}

static bool attr_u32(const struct nlattr *a, uint32_t *v)
{
	if (mnl_attr_get_payload_len(a) != sizeof(*v))
		return false;
	memcpy(v, mnl_attr_get_payload(a), sizeof(*v));
	return true;
}

int neigh_new(struct neigh **out, bool events)
{
	struct neigh *n;
	int ret;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->req = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!n->req) {
		ret = -errno;
		goto out_free;
	}
	if (mnl_socket_bind(n->req, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out_close_req;
	}
	n->portid = mnl_socket_get_portid(n->req);
	n->seq = (uint32_t)time(NULL);
	if (events) {
		n->ev = mnl_socket_open2(NETLINK_ROUTE,
					 SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (!n->ev) {
			ret = -errno;
			goto out_close_req;
		}
		if (mnl_socket_bind(n->ev, 1u << (RTNLGRP_NEIGH - 1),
				    MNL_SOCKET_AUTOPID) < 0) {
			ret = -errno;
			goto out_close_ev;
		}
	}
	*out = n;
	return 0;

out_close_ev:
	mnl_socket_close(n->ev);
out_close_req:
	mnl_socket_close(n->req);
out_free:
	free(n);
	return ret;
}

void neigh_free(struct neigh *n)
{
	if (!n)
		return;
	if (n->ev)
		mnl_socket_close(n->ev);
	mnl_socket_close(n->req);
	free(n);
}

int neigh_event_fd(const struct neigh *n)
{
	return n->ev ? mnl_socket_get_fd(n->ev) : -1;
}

static struct nlmsghdr *req_start(struct neigh *n, uint16_t type,
				  uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(n->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++n->seq;
	return nlh;
}

/* Send nlh (built in n->buf) and run cb on every answer until done. */
static int req_run(struct neigh *n, struct nlmsghdr *nlh, mnl_cb_t cb,
		   void *data)
{
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t len;
	int ret;

	if (mnl_socket_sendto(n->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		len = mnl_socket_recvfrom(n->req, n->buf, sizeof(n->buf));
		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		ret = mnl_cb_run(n->buf, (size_t)len, seq, n->portid, cb, data);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

struct route_ctx {
	struct neigh_route *r;
	int family;
	bool found;
	bool via;
};

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_ctx *c = data;
	const struct rtmsg *rtm;
	const struct nlattr *a;
	uint32_t oif;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	rtm = mnl_nlmsg_get_payload(nlh);
	c->found = true;
	c->r->type = rtm->rtm_type;
	mnl_attr_for_each(a, nlh, sizeof(*rtm))
	{
		switch (mnl_attr_get_type(a)) {
		case RTA_OIF:
			if (attr_u32(a, &oif))
				c->r->ifindex = (int)oif;
			break;
		case RTA_GATEWAY:
			c->r->via_gateway =
				attr_addr(a, c->family, &c->r->nexthop);
			break;
		case RTA_VIA:
			c->via = true;
			break;
		case RTA_PREFSRC:
			c->r->has_prefsrc =
				attr_addr(a, c->family, &c->r->prefsrc);
			break;
		}
	}
	return MNL_CB_OK;
}

int neigh_route_get(struct neigh *n, const struct rs_addr *dst, int oif,
		    struct neigh_route *r)
{
	struct route_ctx c = { .r = r, .family = dst->family };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int ret;

	if (dst->family != AF_INET && dst->family != AF_INET6)
		return -EAFNOSUPPORT;
	memset(r, 0, sizeof(*r));
	nlh = req_start(n, RTM_GETROUTE, 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = dst->family;
	rtm->rtm_dst_len = (uint8_t)(fam_len(dst->family) * 8);
	mnl_attr_put(nlh, RTA_DST, fam_len(dst->family), dst->bytes);
	if (oif > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	ret = req_run(n, nlh, route_cb, &c);
	if (ret)
		return ret;
	if (!c.found || r->ifindex <= 0)
		return -ENETUNREACH;
	if (c.via)
		return -EOPNOTSUPP;
	if (!r->via_gateway)
		r->nexthop = *dst;
	return 0;
}

struct link_ctx {
	struct neigh_link *l;
	bool found;
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_ctx *c = data;
	const struct ifinfomsg *ifi;
	const struct nlattr *a;
	size_t len;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	ifi = mnl_nlmsg_get_payload(nlh);
	c->found = true;
	c->l->ifindex = ifi->ifi_index;
	c->l->type = ifi->ifi_type;
	c->l->flags = ifi->ifi_flags;
	mnl_attr_for_each(a, nlh, sizeof(*ifi))
	{
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			len = mnl_attr_get_payload_len(a);
			if (len > sizeof(c->l->name))
				len = sizeof(c->l->name);
			memcpy(c->l->name, mnl_attr_get_payload(a), len);
			c->l->name[sizeof(c->l->name) - 1] = '\0';
			break;
		case IFLA_ADDRESS:
			if (mnl_attr_get_payload_len(a) == 6) {
				memcpy(c->l->mac, mnl_attr_get_payload(a), 6);
				c->l->has_mac = true;
			}
			break;
		case IFLA_MTU:
			(void)attr_u32(a, &c->l->mtu);
			break;
		}
	}
	return MNL_CB_OK;
}

int neigh_link_get(struct neigh *n, int ifindex, const char *name,
		   struct neigh_link *l)
{
	struct link_ctx c = { .l = l };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int ret;

	memset(l, 0, sizeof(*l));
	if (ifindex <= 0 && (!name || !*name || strlen(name) >= NEIGH_IFNAMSIZ))
		return -ENODEV;
	nlh = req_start(n, RTM_GETLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	if (ifindex > 0)
		ifi->ifi_index = ifindex;
	else
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	ret = req_run(n, nlh, link_cb, &c);
	if (ret)
		return ret == -ENOENT ? -ENODEV : ret;
	return c.found ? 0 : -ENODEV;
}

struct addr_ctx {
	int ifindex;
	int family;
	bool found;
	struct rs_addr *out;
};

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_ctx *c = data;
	const struct ifaddrmsg *ifa;
	const struct nlattr *a;
	struct rs_addr local, address;
	bool has_local = false, has_address = false;
	uint32_t flags;

	if (nlh->nlmsg_type != RTM_NEWADDR || c->found)
		return MNL_CB_OK;
	ifa = mnl_nlmsg_get_payload(nlh);
	if ((int)ifa->ifa_index != c->ifindex || ifa->ifa_family != c->family ||
	    ifa->ifa_scope != RT_SCOPE_UNIVERSE)
		return MNL_CB_OK;
	flags = ifa->ifa_flags;
	mnl_attr_for_each(a, nlh, sizeof(*ifa))
	{
		switch (mnl_attr_get_type(a)) {
		case IFA_LOCAL:
			has_local = attr_addr(a, c->family, &local);
			break;
		case IFA_ADDRESS:
			has_address = attr_addr(a, c->family, &address);
			break;
		case IFA_FLAGS:
			(void)attr_u32(a, &flags);
			break;
		}
	}
	if (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED | IFA_F_DEPRECATED))
		return MNL_CB_OK;
	/* IFA_LOCAL is ours on point-to-point links; else IFA_ADDRESS. */
	if (has_local)
		*c->out = local;
	else if (has_address)
		*c->out = address;
	else
		return MNL_CB_OK;
	c->found = true;
	return MNL_CB_OK;
}

int neigh_link_addr(struct neigh *n, int ifindex, int family,
		    struct rs_addr *out)
{
	struct addr_ctx c = { .ifindex = ifindex,
			      .family = family,
			      .out = out };
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int ret;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	nlh = req_start(n, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	ret = req_run(n, nlh, addr_cb, &c);
	if (ret)
		return ret;
	return c.found ? 0 : -EADDRNOTAVAIL;
}

static enum neigh_state state_of(uint16_t nud, bool has_mac)
{
	if (nud & NUD_NOARP)
		return NEIGH_VALID;
	if (nud &
	    (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT))
		return has_mac ? NEIGH_VALID : NEIGH_INCOMPLETE;
	if (nud & NUD_INCOMPLETE)
		return NEIGH_INCOMPLETE;
	if (nud & NUD_FAILED)
		return NEIGH_FAILED;
	return NEIGH_ABSENT;
}

/* Decode one RTM_NEWNEIGH/RTM_DELNEIGH; false if it is not usable. */
static bool neigh_decode(const struct nlmsghdr *nlh, struct neigh_event *ev)
{
	const struct ndmsg *ndm;
	const struct nlattr *a;
	bool has_dst = false, has_mac = false;

	if (nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH)
		return false;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ndm))
		return false;
	ndm = mnl_nlmsg_get_payload(nlh);
	if (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6)
		return false;
	memset(ev, 0, sizeof(*ev));
	ev->ifindex = ndm->ndm_ifindex;
	mnl_attr_for_each(a, nlh, sizeof(*ndm))
	{
		switch (mnl_attr_get_type(a)) {
		case NDA_DST:
			has_dst = attr_addr(a, ndm->ndm_family, &ev->addr);
			break;
		case NDA_LLADDR:
			if (mnl_attr_get_payload_len(a) == 6) {
				memcpy(ev->mac, mnl_attr_get_payload(a), 6);
				has_mac = true;
			}
			break;
		}
	}
	if (!has_dst)
		return false;
	ev->state = nlh->nlmsg_type == RTM_DELNEIGH ?
			    NEIGH_ABSENT :
			    state_of(ndm->ndm_state, has_mac);
	return true;
}

struct get_ctx {
	struct neigh_event ev;
	bool found;
};

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct get_ctx *c = data;

	if (nlh->nlmsg_type == RTM_NEWNEIGH && neigh_decode(nlh, &c->ev))
		c->found = true;
	return MNL_CB_OK;
}

int neigh_get(struct neigh *n, int ifindex, const struct rs_addr *addr,
	      uint8_t mac[6], enum neigh_state *st)
{
	struct get_ctx c = { .found = false };
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	int ret;

	if (addr->family != AF_INET && addr->family != AF_INET6)
		return -EAFNOSUPPORT;
	nlh = req_start(n, RTM_GETNEIGH, 0);
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = addr->family;
	ndm->ndm_ifindex = ifindex;
	mnl_attr_put(nlh, NDA_DST, fam_len(addr->family), addr->bytes);
	ret = req_run(n, nlh, get_cb, &c);
	if (ret == -ENOENT || (!ret && !c.found)) {
		*st = NEIGH_ABSENT;
		return 0;
	}
	if (ret)
		return ret;
	*st = c.ev.state;
	if (c.ev.state == NEIGH_VALID)
		memcpy(mac, c.ev.mac, 6);
	return 0;
}

int neigh_solicit(struct neigh *n, int ifindex, const struct rs_addr *addr)
{
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;

	if (addr->family != AF_INET && addr->family != AF_INET6)
		return -EAFNOSUPPORT;
	nlh = req_start(n, RTM_NEWNEIGH, NLM_F_CREATE);
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = addr->family;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_NONE;
	ndm->ndm_flags = NTF_USE;
	mnl_attr_put(nlh, NDA_DST, fam_len(addr->family), addr->bytes);
	return req_run(n, nlh, NULL, NULL);
}

int neigh_events_read(struct neigh *n, struct neigh_event *ev, uint32_t max)
{
	uint32_t got = 0;
	ssize_t len;

	if (!n->ev)
		return -EINVAL;
	while (got < max) {
		const struct nlmsghdr *nlh;
		int left;

		len = mnl_socket_recvfrom(n->ev, n->buf, sizeof(n->buf));
		if (len < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		left = (int)len;
		for (nlh = (const struct nlmsghdr *)n->buf;
		     mnl_nlmsg_ok(nlh, left) && got < max;
		     nlh = mnl_nlmsg_next(nlh, &left))
			if (neigh_decode(nlh, &ev[got]))
				got++;
	}
	return (int)got;
}
