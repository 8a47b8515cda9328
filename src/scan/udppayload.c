/*
 * udppayload.c - UDP probe payloads, one builder per protocol (see
 * udppayload.h).
 *
 * Each builder is written from its protocol's specification, cited in its
 * table entry and in the comment above it; no other tool's payload file
 * is used (nmap's nmap-payloads has its own licence, and bytes copied from
 * it could not be checked against anything but themselves).  Each is an
 * ordinary client request that a server answers, with its fixed fields
 * set as the specification says a client sets them.
 *
 * Builders write through a bounded cursor (struct wr) rather than into
 * precomputed lengths: every write is checked against the caller's cap,
 * a write that does not fit writes nothing and neither does any after it,
 * and the cursor still counts, so the same builder run with cap 0 is the
 * length query.  Length fields (BER, IKE, QUIC) are patched in once their
 * content is written, so no length in this file is counted by hand - and
 * a patch lands only in bytes that were actually written.
 *
 * Port lookup is a linear walk of sixteen entries: a few dozen
 * compares per probe, cheaper than the system call that sends it, and
 * simpler than a 64K-entry index that would have to be built or stored.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "mix.h"
#include "udppayload.h"

/* The bytes written so far: done <= cap, n counts what was asked. */
struct wr {
	uint8_t *buf;
	size_t cap;
	size_t done;
	size_t n;
};

static void put(struct wr *w, const void *p, size_t len)
{
	if (!len)
		return;
	if (w->done == w->n && len <= w->cap - w->done) {
		memcpy(w->buf + w->done, p, len);
		w->done += len;
	}
	w->n += len;
}

static void put8(struct wr *w, uint8_t v)
{
	put(w, &v, 1);
}

static void put16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(w, b, sizeof(b));
}

static void put32(struct wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	put(w, b, sizeof(b));
}

static void put_str(struct wr *w, const char *s)
{
	put(w, s, strlen(s));
}

static void put_zeros(struct wr *w, size_t len)
{
	static const uint8_t zeros[64];

	while (len) {
		size_t k = len < sizeof(zeros) ? len : sizeof(zeros);

		put(w, zeros, k);
		len -= k;
	}
}

/* Lower-case hex of id bytes, as SIP tokens and Call-IDs allow. */
static void put_hex(struct wr *w, const uint8_t *id, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		char h[2] = { digits[id[i] >> 4], digits[id[i] & 15] };

		put(w, h, sizeof(h));
	}
}

/* Patch a big-endian field at `at` if its bytes were written. */
static void patch(struct wr *w, size_t at, uint32_t v, size_t size)
{
	size_t i;

	if (at > w->done || size > w->done - at)
		return;
	for (i = 0; i < size; i++)
		w->buf[at + i] = (uint8_t)(v >> (8 * (size - 1 - i)));
}

/* The length from `from` to the cursor, for a length field. */
static uint32_t span(const struct wr *w, size_t from)
{
	return (uint32_t)(w->n - from);
}

void udppayload_id(uint32_t cookie, uint8_t *out, size_t n)
{
	uint64_t i;
	size_t k;

	for (i = 0; n; i++) {
		/*
		 * The splitmix64 increment keeps word 0 of cookie 0 from
		 * being mix64(0) = 0: an all-zero IKE cookie is invalid.
		 */
		uint64_t v = mix64((i << 32 | cookie) + 0x9e3779b97f4a7c15ULL);

		for (k = 0; k < 8 && n; k++, n--)
			*out++ = (uint8_t)(v >> (56 - 8 * k));
	}
}

/*
 * BER (X.690), short-form lengths only: every structure here is under 128
 * bytes.  ber_open writes the tag and a placeholder length and returns
 * where the content starts; ber_close fills the length in.
 */
static size_t ber_open(struct wr *w, uint8_t tag)
{
	put8(w, tag);
	put8(w, 0);
	return w->n;
}

static void ber_close(struct wr *w, size_t start)
{
	assert(span(w, start) < 128);
	patch(w, start - 1, span(w, start), 1);
}

static void ber_octets(struct wr *w, uint8_t tag, const char *s)
{
	size_t c = ber_open(w, tag);

	put_str(w, s);
	ber_close(w, c);
}

static void ber_small_int(struct wr *w, uint8_t tag, uint8_t v)
{
	assert(v < 128);
	put8(w, tag);
	put8(w, 1);
	put8(w, v);
}

/*
 * A request-id or message ID from the cookie: four bytes whose first is
 * 0x40-0x7f, so the INTEGER is positive and its minimal encoding (X.690
 * 8.3.2) is exactly these four bytes.
 */
static void ber_id(struct wr *w, uint32_t cookie)
{
	uint8_t id[4];

	udppayload_id(cookie, id, sizeof(id));
	id[0] = (uint8_t)((id[0] & 0x3f) | 0x40);
	put8(w, 0x02);
	put8(w, sizeof(id));
	put(w, id, sizeof(id));
}

/* DNS (RFC 1035 4.1.1): a header with one question, no recursion. */
static void dns_header(struct wr *w, uint32_t cookie)
{
	uint8_t id[2];

	udppayload_id(cookie, id, sizeof(id));
	put(w, id, sizeof(id));
	put16(w, 0); /* QR=0 query, OPCODE=0, RD=0 */
	put16(w, 1); /* QDCOUNT */
	put16(w, 0); /* ANCOUNT */
	put16(w, 0); /* NSCOUNT */
	put16(w, 0); /* ARCOUNT */
}

/* A domain name as labels (RFC 1035 3.1); "" is the root. */
static void dns_name(struct wr *w, const char *name)
{
	while (*name) {
		size_t l = strcspn(name, ".");

		assert(l > 0 && l < 64);
		put8(w, (uint8_t)l);
		put(w, name, l);
		name += l;
		if (*name)
			name++;
	}
	put8(w, 0);
}

/*
 * DNS, RFC 1035 4.1: ". IN NS", the root's name servers.  Every server
 * answers it with something - the NS set, a referral, or REFUSED - and the
 * question names nothing of the scanner's.
 */
static void build_dns(struct wr *w, uint32_t cookie, uint16_t port)
{
	(void)port;
	dns_header(w, cookie);
	dns_name(w, "");
	put16(w, 2); /* QTYPE NS */
	put16(w, 1); /* QCLASS IN */
}

/*
 * mDNS, RFC 6762 6.7: a one-shot ("legacy unicast") query, which a
 * responder answers by unicast to the source port with the query's ID
 * echoed.  The question is DNS-SD's service type enumeration (RFC 6763 9),
 * which every DNS-SD responder owns.  Responders ignore queries from off
 * their link (RFC 6762 11), so this draws answers on the local link only.
 */
static void build_mdns(struct wr *w, uint32_t cookie, uint16_t port)
{
	(void)port;
	dns_header(w, cookie);
	dns_name(w, "_services._dns-sd._udp.local");
	put16(w, 12); /* QTYPE PTR */
	put16(w, 1); /* QCLASS IN, QU bit clear */
}

/*
 * NTP, RFC 5905 7.3: a client-mode (3) version 4 packet of 48 bytes.  The
 * server copies the transmit timestamp into its reply's origin timestamp
 * (RFC 5905 8), so that is where the ID goes: 8 ID bytes.
 */
static void build_ntp(struct wr *w, uint32_t cookie, uint16_t port)
{
	uint8_t xmt[8];

	(void)port;
	udppayload_id(cookie, xmt, sizeof(xmt));
	put8(w, 0 << 6 | 4 << 3 | 3); /* LI 0, VN 4, Mode 3 */
	put8(w, 0); /* stratum: unspecified */
	put8(w, 6); /* poll: 64 s, the default minimum */
	put8(w, 0); /* precision */
	put_zeros(w, 4 + 4 + 4); /* root delay, dispersion, reference ID */
	put_zeros(w, 8 + 8 + 8); /* reference, origin, receive timestamps */
	put(w, xmt, sizeof(xmt));
}

/*
 * SNMP, RFC 1157 4.1 (message) and 4.1.2 (GetRequest-PDU): version-1
 * (0), community "public", a GetRequest for sysDescr.0
 * (1.3.6.1.2.1.1.1.0, RFC 1213) with a NULL value.  v1 because every
 * agent that speaks v2c also takes v1; the request-id is the ID.
 */
static void build_snmp(struct wr *w, uint32_t cookie, uint16_t port)
{
	static const uint8_t sysdescr0[] = { 0x2b, 6, 1, 2, 1, 1, 1, 0 };
	size_t msg, pdu, list, bind, oid;

	(void)port;
	msg = ber_open(w, 0x30); /* SEQUENCE */
	ber_small_int(w, 0x02, 0); /* version-1 */
	ber_octets(w, 0x04, "public"); /* community */
	pdu = ber_open(w, 0xa0); /* [0] GetRequest-PDU */
	ber_id(w, cookie); /* request-id */
	ber_small_int(w, 0x02, 0); /* error-status noError */
	ber_small_int(w, 0x02, 0); /* error-index */
	list = ber_open(w, 0x30); /* VarBindList */
	bind = ber_open(w, 0x30); /* VarBind */
	oid = ber_open(w, 0x06); /* OBJECT IDENTIFIER */
	put(w, sysdescr0, sizeof(sysdescr0));
	ber_close(w, oid);
	put8(w, 0x05); /* NULL */
	put8(w, 0x00);
	ber_close(w, bind);
	ber_close(w, list);
	ber_close(w, pdu);
	ber_close(w, msg);
}

/*
 * NetBIOS name service, RFC 1002 4.2.17: NODE STATUS REQUEST for the
 * wildcard name "*" (padded with NULs to 16 bytes), which any node answers
 * with its name table.  The name is first-level encoded (RFC 1001 14.1):
 * each half-byte becomes 'A' plus its value.  NAME_TRN_ID is the ID.
 */
static void build_nbns(struct wr *w, uint32_t cookie, uint16_t port)
{
	uint8_t name[16] = { '*' };
	size_t i;

	(void)port;
	dns_header(w, cookie); /* the same 12-byte layout, flags all 0 */
	put8(w, 32);
	for (i = 0; i < sizeof(name); i++) {
		put8(w, (uint8_t)('A' + (name[i] >> 4)));
		put8(w, (uint8_t)('A' + (name[i] & 15)));
	}
	put8(w, 0); /* no scope */
	put16(w, 0x21); /* NBSTAT */
	put16(w, 1); /* IN */
}

/*
 * SSDP, UPnP Device Architecture 1.1 1.3 (search): an M-SEARCH for every device
 * and service (ST ssdp:all).  HOST and MX are as a multicast search has
 * them; a device answers a unicast search too.  SSDP has no ID.
 */
static void build_ssdp(struct wr *w, uint32_t cookie, uint16_t port)
{
	(void)cookie;
	(void)port;
	put_str(w, "M-SEARCH * HTTP/1.1\r\n"
		   "HOST: 239.255.255.250:1900\r\n"
		   "MAN: \"ssdp:discover\"\r\n"
		   "MX: 1\r\n"
		   "ST: ssdp:all\r\n"
		   "\r\n");
}

/* An ISAKMP data attribute in the short TV form (RFC 2408 3.3). */
static void ike_attr(struct wr *w, uint16_t type, uint16_t value)
{
	put16(w, 0x8000 | type);
	put16(w, value);
}

/*
 * IKE, RFC 2409 5 (main mode, first message) in the ISAKMP format of
 * RFC 2408 3: the header, then an SA payload with one ISAKMP proposal and
 * one KEY_IKE transform - AES-128-CBC (RFC 3602), SHA-1, pre-shared key,
 * MODP group 14 (RFC 3526), eight hours.  The first message needs no key
 * exchange, so the probe is small and fixed; a responder answers with its
 * own SA or a NO-PROPOSAL-CHOSEN notification.  On 4500, NAT traversal's
 * port, IKE messages follow a four-byte non-ESP marker of zeros (RFC 3948
 * 2.2).  The initiator cookie is the ID (8 bytes, never all zero).
 */
static void build_ike(struct wr *w, uint32_t cookie, uint16_t port)
{
	uint8_t icookie[8];
	size_t msg, sa, prop, xform;

	if (port == 4500)
		put32(w, 0); /* non-ESP marker */
	udppayload_id(cookie, icookie, sizeof(icookie));
	msg = w->n;
	put(w, icookie, sizeof(icookie));
	put_zeros(w, 8); /* responder cookie */
	put8(w, 1); /* next payload: SA */
	put8(w, 0x10); /* version 1.0 */
	put8(w, 2); /* exchange: identity protection (main mode) */
	put8(w, 0); /* flags */
	put32(w, 0); /* message ID */
	put32(w, 0); /* length, patched */

	sa = w->n;
	put8(w, 0); /* next payload: none */
	put8(w, 0);
	put16(w, 0); /* payload length, patched */
	put32(w, 1); /* DOI: IPsec (RFC 2407 4.2) */
	put32(w, 1); /* situation: SIT_IDENTITY_ONLY */

	prop = w->n;
	put8(w, 0); /* last proposal */
	put8(w, 0);
	put16(w, 0);
	put8(w, 1); /* proposal # */
	put8(w, 1); /* protocol: PROTO_ISAKMP */
	put8(w, 0); /* SPI size */
	put8(w, 1); /* transforms */

	xform = w->n;
	put8(w, 0); /* last transform */
	put8(w, 0);
	put16(w, 0);
	put8(w, 1); /* transform # */
	put8(w, 1); /* KEY_IKE */
	put16(w, 0);
	ike_attr(w, 1, 7); /* encryption: AES-CBC */
	ike_attr(w, 14, 128); /* key length */
	ike_attr(w, 2, 2); /* hash: SHA */
	ike_attr(w, 3, 1); /* authentication: pre-shared key */
	ike_attr(w, 4, 14); /* group: 2048-bit MODP */
	ike_attr(w, 11, 1); /* life type: seconds */
	ike_attr(w, 12, 28800); /* life duration */

	patch(w, xform + 2, span(w, xform), 2);
	patch(w, prop + 2, span(w, prop), 2);
	patch(w, sa + 2, span(w, sa), 2);
	patch(w, msg + 24, span(w, msg), 4);
}

/*
 * OpenVPN, its "network protocol" overview (doc_protocol_overview.h in
 * the OpenVPN sources, published with its doxygen docs):
 * P_CONTROL_HARD_RESET_CLIENT_V2
 * (opcode 7, key id 0), the session ID, an empty ACK array and message
 * packet-id 0.  A server without tls-auth/tls-crypt answers with
 * P_CONTROL_HARD_RESET_SERVER_V2, acking our session ID: 8 ID bytes.
 */
static void build_openvpn(struct wr *w, uint32_t cookie, uint16_t port)
{
	uint8_t sid[8];

	(void)port;
	udppayload_id(cookie, sid, sizeof(sid));
	put8(w, 7 << 3 | 0);
	put(w, sid, sizeof(sid));
	put8(w, 0); /* ACK array length */
	put32(w, 0); /* message packet-id */
}

/*
 * memcached, protocol.txt "UDP protocol": the 8-byte frame header (request
 * ID, sequence number 0, one datagram, reserved 0) and the text command
 * "version".  The request ID (2 bytes) is the ID and is echoed.
 */
static void build_memcached(struct wr *w, uint32_t cookie, uint16_t port)
{
	uint8_t id[2];

	(void)port;
	udppayload_id(cookie, id, sizeof(id));
	put(w, id, sizeof(id));
	put16(w, 0); /* sequence number */
	put16(w, 1); /* total datagrams */
	put16(w, 0); /* reserved */
	put_str(w, "version\r\n");
}

/*
 * SIP, RFC 3261 11.1: OPTIONS with the mandatory headers of 8.1.1.  The
 * scanner's address is unknown here, so Via and the URIs name
 * "ringscan.invalid" (RFC 6761: never resolves) and Via asks for rport
 * (RFC 3581) so the answer goes to the packet's source port.  The branch
 * (after RFC 3261's magic cookie "z9hG4bK"), the From tag and the Call-ID
 * carry ID bytes 0-3, 4-7 and 8-15 as lower-case hex.
 */
static void build_sip(struct wr *w, uint32_t cookie, uint16_t port)
{
	uint8_t id[16];

	(void)port;
	udppayload_id(cookie, id, sizeof(id));
	put_str(w, "OPTIONS sip:ringscan.invalid SIP/2.0\r\n"
		   "Via: SIP/2.0/UDP ringscan.invalid;branch=z9hG4bK");
	put_hex(w, id, 4);
	put_str(w, ";rport\r\n"
		   "Max-Forwards: 70\r\n"
		   "To: <sip:ringscan.invalid>\r\n"
		   "From: <sip:ringscan@ringscan.invalid>;tag=");
	put_hex(w, id + 4, 4);
	put_str(w, "\r\nCall-ID: ");
	put_hex(w, id + 8, 8);
	put_str(w, "@ringscan.invalid\r\n"
		   "CSeq: 1 OPTIONS\r\n"
		   "Contact: <sip:ringscan@ringscan.invalid>\r\n"
		   "Accept: application/sdp\r\n"
		   "Content-Length: 0\r\n"
		   "\r\n");
}

/*
 * TFTP, RFC 1350 5: a read request (opcode 1) for a file, octet mode.  A
 * server answers with DATA or an ERROR (file not found) - from a new port
 * of its own (RFC 1350 4), which an engine matching replies must expect.
 * TFTP has no ID.
 */
static void build_tftp(struct wr *w, uint32_t cookie, uint16_t port)
{
	(void)cookie;
	(void)port;
	put16(w, 1); /* RRQ */
	put_str(w, "ringscan.probe");
	put8(w, 0);
	put_str(w, "octet");
	put8(w, 0);
}

/*
 * Portmapper, ONC RPC (RFC 5531 9) call of program 100000 version 2
 * (RFC 1833 3) procedure 0, NULL, with AUTH_NONE credentials and
 * verifier: the smallest call, answered by an accepted reply.  The xid
 * (4 bytes) is the ID.
 */
static void build_rpc(struct wr *w, uint32_t cookie, uint16_t port)
{
	uint8_t xid[4];

	(void)port;
	udppayload_id(cookie, xid, sizeof(xid));
	put(w, xid, sizeof(xid));
	put32(w, 0); /* CALL */
	put32(w, 2); /* rpcvers */
	put32(w, 100000); /* prog: portmapper */
	put32(w, 2); /* vers */
	put32(w, 0); /* proc: NULL */
	put32(w, 0); /* cred: AUTH_NONE, no body */
	put32(w, 0);
	put32(w, 0); /* verf: AUTH_NONE, no body */
	put32(w, 0);
}

/*
 * CLDAP, LDAP over UDP (RFC 1798; the messages of RFC 4511 4.1.1 and
 * 4.5.1, as Active Directory's CLDAP takes them): a searchRequest for the
 * root DSE - base "", scope baseObject, filter (objectClass=*), all
 * attributes.  The messageID is the ID.
 */
static void build_cldap(struct wr *w, uint32_t cookie, uint16_t port)
{
	size_t msg, req, filter, attrs;

	(void)port;
	msg = ber_open(w, 0x30); /* LDAPMessage */
	ber_id(w, cookie); /* messageID */
	req = ber_open(w, 0x63); /* [APPLICATION 3] SearchRequest */
	ber_octets(w, 0x04, ""); /* baseObject */
	ber_small_int(w, 0x0a, 0); /* scope: baseObject */
	ber_small_int(w, 0x0a, 0); /* derefAliases: never */
	ber_small_int(w, 0x02, 0); /* sizeLimit */
	ber_small_int(w, 0x02, 0); /* timeLimit */
	put8(w, 0x01); /* typesOnly: FALSE */
	put8(w, 1);
	put8(w, 0x00);
	filter = ber_open(w, 0x87); /* [7] present */
	put_str(w, "objectClass");
	ber_close(w, filter);
	attrs = ber_open(w, 0x30); /* attributes: none listed = all */
	ber_close(w, attrs);
	ber_close(w, req);
	ber_close(w, msg);
}

/*
 * SQL Server Resolution Protocol, [MC-SQLR] 2.2.2: CLNT_UCAST_EX, the one
 * byte 0x03, asking the browser for every instance.  No ID.
 */
static void build_mssql(struct wr *w, uint32_t cookie, uint16_t port)
{
	(void)cookie;
	(void)port;
	put8(w, 0x03);
}

/*
 * STUN, RFC 8489 5 and 6 (RFC 5389 has the same header): a Binding
 * Request (0x0001) with no attributes, the magic cookie 0x2112A442 and a
 * 96-bit transaction ID - 12 ID bytes, echoed in the response.
 */
static void build_stun(struct wr *w, uint32_t cookie, uint16_t port)
{
	uint8_t txid[12];

	(void)port;
	udppayload_id(cookie, txid, sizeof(txid));
	put16(w, 0x0001); /* Binding request */
	put16(w, 0); /* message length: no attributes */
	put32(w, 0x2112a442); /* magic cookie */
	put(w, txid, sizeof(txid));
}

/*
 * QUIC, RFC 9000 17.2 and 17.2.2: a long-header Initial packet of a
 * reserved version of the form 0x?a?a?a?a (RFC 9000 15), which no server
 * speaks, so a QUIC server answers with Version Negotiation (RFC 9000
 * 6.1) echoing both connection IDs.  The datagram is padded to 1200 bytes
 * (RFC 9000 14.1): a server discards smaller client Initials.  Past the
 * version-independent part (RFC 8999) the bytes follow a version 1
 * Initial - empty token, Length, a 1-byte packet number, PADDING frames -
 * though a server does not read them.  DCID is ID bytes 0-7, SCID 8-15.
 */
static void build_quic(struct wr *w, uint32_t cookie, uint16_t port)
{
	uint8_t cid[16];
	size_t at;

	(void)port;
	udppayload_id(cookie, cid, sizeof(cid));
	put8(w, 0xc0); /* long header, fixed bit, Initial, PN length 1 */
	put32(w, 0x1a2a3a4a); /* reserved version */
	put8(w, 8);
	put(w, cid, 8); /* destination connection ID */
	put8(w, 8);
	put(w, cid + 8, 8); /* source connection ID */
	put8(w, 0); /* token length */
	at = w->n + 2; /* Length counts from after itself */
	put16(w,
	      (uint16_t)(0x4000 | (UDPPAYLOAD_MAX - at))); /* 2-byte varint */
	put8(w, 0); /* packet number */
	put_zeros(w, UDPPAYLOAD_MAX - w->n); /* PADDING frames */
}

struct entry {
	struct udppayload_info info;
	void (*build)(struct wr *w, uint32_t cookie, uint16_t port);
};

static const struct entry table[] = {
	{ { "dns", "RFC 1035 4.1", "query . IN NS", { 53 } }, build_dns },
	{ { "mdns",
	    "RFC 6762 6.7, RFC 6763 9",
	    "unicast query _services._dns-sd._udp.local PTR",
	    { 5353 } },
	  build_mdns },
	{ { "ntp", "RFC 5905 7.3", "NTPv4 client (mode 3) packet", { 123 } },
	  build_ntp },
	{ { "snmp",
	    "RFC 1157 4.1.2",
	    "SNMPv1 GetRequest sysDescr.0, community public",
	    { 161 } },
	  build_snmp },
	{ { "netbios-ns", "RFC 1002 4.2.17", "NBSTAT query for *", { 137 } },
	  build_nbns },
	{ { "ssdp",
	    "UPnP Device Architecture 1.1 1.3",
	    "M-SEARCH ssdp:discover, ST ssdp:all",
	    { 1900 } },
	  build_ssdp },
	{ { "isakmp",
	    "RFC 2409 5, RFC 2408 3, RFC 3948 2.2",
	    "IKEv1 main mode SA proposal (4500: after the non-ESP marker)",
	    { 500, 4500 } },
	  build_ike },
	{ { "openvpn",
	    "OpenVPN network protocol overview",
	    "P_CONTROL_HARD_RESET_CLIENT_V2",
	    { 1194 } },
	  build_openvpn },
	{ { "memcache",
	    "memcached protocol.txt (UDP protocol)",
	    "UDP frame header + version",
	    { 11211 } },
	  build_memcached },
	{ { "sip", "RFC 3261 11.1", "OPTIONS", { 5060 } }, build_sip },
	{ { "tftp", "RFC 1350 5", "RRQ ringscan.probe, octet mode", { 69 } },
	  build_tftp },
	{ { "rpcbind",
	    "RFC 5531 9, RFC 1833 3",
	    "ONC RPC call portmapper v2 NULL",
	    { 111 } },
	  build_rpc },
	{ { "ldap",
	    "RFC 1798, RFC 4511 4.5.1",
	    "CLDAP searchRequest for the root DSE",
	    { 389 } },
	  build_cldap },
	{ { "ms-sql-m", "[MC-SQLR] 2.2.2", "CLNT_UCAST_EX", { 1434 } },
	  build_mssql },
	{ { "stun", "RFC 8489 5", "Binding Request", { 3478 } }, build_stun },
	{ { "quic",
	    "RFC 9000 17.2.2, 6, 14.1",
	    "Initial of a reserved version (0x1a2a3a4a), padded to 1200",
	    { 443 } },
	  build_quic },
};

#define TABLE_LEN (sizeof(table) / sizeof(table[0]))

static const struct entry *find(uint16_t port)
{
	size_t i, k;

	if (!port)
		return NULL; /* 0 ends each ports list */
	for (i = 0; i < TABLE_LEN; i++)
		for (k = 0; k < UDPPAYLOAD_MAX_PORTS; k++)
			if (table[i].info.ports[k] == port)
				return &table[i];
	return NULL;
}

int udppayload_build(uint16_t port, uint32_t cookie, uint8_t *buf, size_t cap,
		     size_t *len)
{
	const struct entry *e = find(port);
	struct wr w = { .buf = buf, .cap = cap };

	if (e)
		e->build(&w, cookie, port);
	if (w.n > cap)
		return -ENOSPC;
	assert(w.done == w.n && w.n <= UDPPAYLOAD_MAX);
	*len = w.n;
	return 0;
}

size_t udppayload_len(uint16_t port)
{
	const struct entry *e = find(port);
	struct wr w = { .buf = NULL, .cap = 0 };

	if (e)
		e->build(&w, 0, port);
	return w.n;
}

const struct udppayload_info *udppayload_find(uint16_t port)
{
	const struct entry *e = find(port);

	return e ? &e->info : NULL;
}

const char *udppayload_name(uint16_t port)
{
	const struct entry *e = find(port);

	return e ? e->info.name : NULL;
}

const struct udppayload_info *udppayload_entry(size_t i)
{
	return i < TABLE_LEN ? &table[i].info : NULL;
}
