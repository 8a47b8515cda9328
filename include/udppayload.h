/*
 * udppayload.h - the probe a UDP scan sends to each port: a table of
 * protocol payloads, one entry per protocol, each written from its
 * protocol's own specification.
 *
 * An empty datagram gets no answer from most UDP services: they parse
 * what arrives and drop what is not a request, so an open port looks
 * exactly like a filtered one.  A well-formed request for the protocol
 * usually registered on the port draws a reply and tells "open" from
 * "open|filtered".  Ports with no entry get an empty datagram (length 0),
 * which still draws an ICMP port unreachable from a closed port.
 *
 * Where a protocol carries a transaction ID (DNS id, SNMP request-id, NTP
 * transmit timestamp, STUN transaction ID, ...), it is cut from the bytes
 * udppayload_id() derives from the caller's 32-bit cookie, so an engine
 * that makes the cookie a keyed hash of the probe's tuple can check that
 * a reply echoes it, as the SYN cookie does for TCP.  Everything else in
 * a payload is fixed.
 *
 * Pure and const: no allocation, no state, nothing printed.  udppayload_build
 * is meant for the hot path (one call per probe, into the caller's buffer);
 * the listing functions are for docs and tests.  Called by the scan engine
 * (scan/) once UDP scans exist.
 */
#ifndef RINGSCAN_UDPPAYLOAD_H
#define RINGSCAN_UDPPAYLOAD_H

#include <stddef.h>
#include <stdint.h>

/*
 * The longest payload in the table: QUIC's, padded to the 1200 bytes a
 * client Initial must fill (RFC 9000 14.1).  A buffer this size takes any
 * probe.
 */
#define UDPPAYLOAD_MAX 1200

/* At most this many ports share one entry. */
#define UDPPAYLOAD_MAX_PORTS 2

/* One protocol of the table. */
struct udppayload_info {
	const char *name; /* short, like nmap's service names: "dns" */
	const char *spec; /* what the bytes follow: "RFC 1035 4.1" */
	const char *probe; /* what is sent, in a few words */
	uint16_t ports[UDPPAYLOAD_MAX_PORTS]; /* 0 ends the list */
};

/*
 * Write the probe for destination port into buf (cap bytes) and its length
 * to *len: 0, or -ENOSPC when cap is too small, in which case *len is
 * untouched and nothing is written past buf[cap - 1] (what is before is
 * unspecified).  A port with no entry gives 0 and *len = 0, writing
 * nothing (buf may then be NULL).  UDPPAYLOAD_MAX bytes always suffice.
 */
int udppayload_build(uint16_t port, uint32_t cookie, uint8_t *buf, size_t cap,
		     size_t *len);

/* The probe's length for port (0 for no entry); the same for any cookie. */
size_t udppayload_len(uint16_t port);

/* The entry for port, or NULL when it gets an empty datagram. */
const struct udppayload_info *udppayload_find(uint16_t port);

/* The entry's name for port, or NULL when it has none. */
const char *udppayload_name(uint16_t port);

/* Entry i of the table, in table order; NULL once i is past the end. */
const struct udppayload_info *udppayload_entry(size_t i);

/*
 * The n bytes every transaction ID is cut from: a payload's ID fields take
 * these bytes in order from the first (see each builder in udppayload.c),
 * except that a BER INTEGER's first byte is forced to 0x40-0x7f so the
 * value stays positive and four bytes long.  Bytes 8i to 8i+7 are
 * mix64((i << 32 | cookie) + 0x9e3779b97f4a7c15), big-endian (mix.h): a
 * bijection of the cookie, so distinct cookies give distinct 8-byte IDs,
 * and none of the first words is all zeros.
 */
void udppayload_id(uint32_t cookie, uint8_t *out, size_t n);

#endif
