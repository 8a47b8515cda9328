/*
 * cookie.h - SipHash-2-4 and the SYN cookie built on it: stateless reply
 * validation for the SYN scan.
 *
 * Every SYN the scanner sends carries as its sequence number a keyed hash of
 * its own 4-tuple (source and destination address and port).  A SYN-ACK or a
 * RST answering it acknowledges that number plus one, so a reply is accepted
 * only if ack - 1 equals the hash of the reply's own tuple read backwards:
 * no per-probe state is needed to tell a real answer from a stray or forged
 * segment, and an off-path forger has to guess 32 bits per attempt.
 *
 * The key is 128 random bits drawn once per scan (cookie_key_random); the
 * hash is SipHash-2-4 (Aumasson and Bernstein, 2012), a PRF designed for
 * short inputs, written here from the paper's description.  Pure functions,
 * no allocation: safe on the hot path (one call per probe sent and per reply
 * received).
 */
#ifndef RINGSCAN_COOKIE_H
#define RINGSCAN_COOKIE_H

#include <stddef.h>
#include <stdint.h>

struct cookie_key {
	uint64_t k0; /* key bytes 0-7, little-endian */
	uint64_t k1; /* key bytes 8-15, little-endian */
};

/* The key from 16 bytes, as the reference implementation reads it. */
void cookie_key_from_bytes(struct cookie_key *k, const uint8_t bytes[16]);

/* 16 bytes from getrandom(); 0 or -errno. */
int cookie_key_random(struct cookie_key *k);

/* SipHash-2-4 of msg (any length, any alignment). */
uint64_t cookie_siphash24(const struct cookie_key *k, const void *msg,
			  size_t len);

/*
 * The SYN's sequence number for one 4-tuple, seen from the scanner: saddr
 * and sport are ours, daddr and dport the target's.  Addresses are 4 bytes
 * for AF_INET and 16 for AF_INET6, in network order; ports in host order.
 */
uint32_t cookie_tcp(const struct cookie_key *k, int family,
		    const uint8_t *saddr, const uint8_t *daddr, uint16_t sport,
		    uint16_t dport);

#endif
