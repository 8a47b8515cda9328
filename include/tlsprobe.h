/*
 * tlsprobe.h - a TLS handshake as a client, through OpenSSL, with the
 * caller doing all the socket I/O: what a TLS port says about itself
 * (protocol version, ALPN, cipher, and its certificate's subject CN,
 * SANs, issuer and validity).
 *
 * Why a real library: in TLS 1.3 the certificate travels encrypted, after
 * the key exchange, so reading it takes a complete handshake - key share,
 * key schedule, record decryption - which is exactly what must not be
 * hand-rolled.  OpenSSL is the TLS library Debian builds everything
 * against and speaks every version a server may still offer.
 *
 * Why memory BIOs: the scan's io_uring ring owns every socket and does
 * every send and receive, batched with everything else it does; a TLS
 * library that wanted a file descriptor would make its own system calls,
 * one at a time, blocking or not, outside the ring.  Here OpenSSL never
 * sees a socket: each probe's SSL object reads from one memory BIO and
 * writes to another, so the handshake is a pure function of the bytes the
 * caller hands in, and the caller sends what comes out:
 *
 *   tlsprobe_start(p, sni)            ClientHello queued
 *   loop:
 *     tlsprobe_pending_out(p, ...)    until *len == 0: send those bytes
 *     receive some bytes
 *     tlsprobe_feed(p, bytes, n)      0: loop; 1: done; < 0: give up
 *   tlsprobe_info(p, &info)
 *
 * Once the handshake is done nothing else is needed: no application data
 * is exchanged.  pending_out then still holds the client's last flight
 * (its Finished in TLS 1.3) and a close_notify alert; sending them lets
 * the server log a clean handshake instead of an abort, and is optional.
 *
 * Configuration (tlsprobe_ctx, one per scan): we report, we do not trust,
 * so the certificate is not verified; every version from TLS 1.0 to 1.3
 * that the OpenSSL build still has is offered (security level 0, and
 * servers without secure renegotiation accepted, so old servers still
 * show their certificate); ALPN offers "h2" and "http/1.1"; SNI is sent
 * when the caller has a host name; no session is cached, resumed or
 * ticketed, so each handshake is a full one and never carries anything of
 * the previous one.
 *
 * Allocation: a struct tlsprobe is made once per connection slot and
 * reused (SSL_clear); its SSL object and its two memory BIOs (with their
 * buffers) survive from one handshake to the next - about 9 KB per idle
 * probe.  What OpenSSL still allocates per handshake, and no API lets a
 * caller pre-allocate: the session object, the handshake transcript (a
 * digest context and the buffered messages), the ephemeral key share (an
 * EVP_PKEY and its key-generation context), the key schedule's cipher and
 * digest contexts, the parsed peer certificate chain (X509 objects), the
 * record buffers, and provider lookups.  OpenSSL 3 fetches algorithms
 * through its providers and decodes keys through generic decoders, so
 * the count is large: test_tlsprobe counts through
 * CRYPTO_set_mem_functions about 2,200 allocations (330 KB over the
 * handshake, not at once) for one TLS 1.3 handshake with a P-256
 * certificate on a reused probe, about 25 more on a fresh one.  The
 * record buffers are released while empty (SSL_MODE_RELEASE_BUFFERS), so
 * a probe waiting for the server holds about 33 KB beyond its 9 KB
 * instead of 66 KB (test_tlsprobe checks it stays under 48 KB): what
 * matters with thousands of slots waiting at once.  Everything is freed by the next tlsprobe_start or by
 * tlsprobe_free: the count of live allocations comes back exactly from
 * one handshake to the next.  tlsprobe_info makes about 80 more (the
 * decoded SAN list, UTF-8 conversions, the self-signature check) and
 * frees them before returning.
 *
 * Untrusted strings: every string in struct tlsinfo comes from the server
 * and is read through OpenSSL calls that give its length, never through
 * a NUL-terminated view, so an embedded NUL ("good.example\0.evil") cannot
 * hide what follows it: it becomes '?'.  Strings are cut to their field
 * at a UTF-8 character boundary and always NUL-terminated; nothing else
 * is filtered (control bytes reach the caller, whose outputs escape them
 * through escape.h).
 *
 * Bounds: at most TLSPROBE_MAX_IN bytes are accepted per handshake and a
 * certificate chain of at most TLSPROBE_MAX_CERTS bytes, so a server that
 * streams forever is cut off here even if the caller's own deadline has
 * not passed.
 *
 * Threads: a tlsprobe_ctx may be shared by threads once made; one
 * tlsprobe belongs to one thread at a time.  OpenSSL's error queue is
 * cleared by every call here, so no error state leaks from one probe to
 * the next.  Nothing is printed.  Called by the scan engine (scan/).
 */
#ifndef RINGSCAN_TLSPROBE_H
#define RINGSCAN_TLSPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes accepted from the server per handshake, then -EPROTO. */
#define TLSPROBE_MAX_IN (128 * 1024)

/* The largest certificate chain OpenSSL accepts from the server. */
#define TLSPROBE_MAX_CERTS (64 * 1024)

/* The longest SNI host name (RFC 6066 3: a DNS name, 255 bytes). */
#define TLSPROBE_MAX_SNI 255

struct tlsprobe_ctx;
struct tlsprobe;

/* Make the per-scan context: 0, -ENOMEM, or -EPROTO if OpenSSL refused. */
int tlsprobe_ctx_new(struct tlsprobe_ctx **out);
/* After every tlsprobe made from it is freed; NULL is a no-op. */
void tlsprobe_ctx_free(struct tlsprobe_ctx *ctx);

/* Make one probe (one per connection slot): 0 or -ENOMEM. */
int tlsprobe_new(struct tlsprobe_ctx *ctx, struct tlsprobe **out);
/* NULL is a no-op. */
void tlsprobe_free(struct tlsprobe *p);

/*
 * Begin a handshake, forgetting whatever the probe did before (a finished
 * or failed handshake, or one abandoned half-way): the ClientHello is
 * then waiting in pending_out.  sni is the host name to send in the SNI
 * extension, or NULL for an address (RFC 6066 forbids addresses there).
 * 0; -EINVAL if sni is empty, longer than TLSPROBE_MAX_SNI or holds a
 * byte that cannot be in a DNS name; -ENOMEM or -EPROTO if OpenSSL failed.
 * After a failed start the probe is as if never started (pending_out,
 * feed and info say -EINVAL) until a start succeeds.
 */
int tlsprobe_start(struct tlsprobe *p, const char *sni);

/*
 * The bytes to send now: copies up to cap of them into buf and sets *len
 * (0 when there is nothing to send).  Call until *len == 0: what does not
 * fit stays for the next call.  After a failed feed this may hold the
 * alert OpenSSL sends on the way out: sending it is optional.  0, or
 * -EINVAL before a successful tlsprobe_start, or with cap 0.
 */
int tlsprobe_pending_out(struct tlsprobe *p, uint8_t *buf, size_t cap,
			 size_t *len);

/*
 * Bytes received from the server, in any pieces (one byte at a time
 * works).  Returns 0 if the handshake needs more: send pending_out, then
 * receive and feed more; 1 once it is done and tlsprobe_info has the
 * certificate; -EPROTO if the server is not speaking TLS, sent an alert
 * or something malformed, or more than TLSPROBE_MAX_IN bytes; -EINVAL if
 * no handshake is in progress (not started, already done or failed).
 * len == 0 says the server closed the connection: -EPROTO, since the
 * handshake cannot finish.  Bytes after the handshake's end are ignored.
 */
int tlsprobe_feed(struct tlsprobe *p, const uint8_t *buf, size_t len);

/*
 * Why the last handshake failed, in OpenSSL's words ("wrong version
 * number", "sslv3 alert handshake failure"), for -v and debugging; ""
 * if it did not fail.  Valid until the next tlsprobe_start.
 */
const char *tlsprobe_reason(const struct tlsprobe *p);

/* What a finished handshake says; see tlsprobe_info. */
struct tlsinfo {
	char version[16]; /* "TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1" */
	char alpn[32]; /* the protocol the server chose, "" if none */
	char cipher[64]; /* IANA name: "TLS_AES_128_GCM_SHA256" */
	bool has_cert; /* false: none sent (anonymous suites) */
	char subject_cn[128]; /* the subject's last commonName, "" if none */
	char issuer[256]; /* RFC 2253, UTF-8: "CN=R3,O=Let's Encrypt,C=US" */
	/*
	 * "DNS:a,DNS:b,IP:192.0.2.1,IP:2001:db8::1,email:x,URI:y" in the
	 * certificate's order; other name types are left out.  Whole
	 * entries only: if one does not fit, the list ends in "...".
	 */
	char sans[512];
	char not_before[32], not_after[32]; /* "2026-12-05T00:00:00Z", UTC */
	int64_t not_before_s, not_after_s; /* the same, seconds since 1970 */
	bool self_signed; /* issuer is the subject and its key signed it */
};

/*
 * Fill *out from a finished handshake (after feed returned 1); every
 * field is NUL-terminated, "" (or 0, false) where the server sent nothing
 * for it or it could not be decoded.  0, or -EINVAL if no handshake has
 * finished since the last tlsprobe_start.
 */
int tlsprobe_info(const struct tlsprobe *p, struct tlsinfo *out);

/*
 * The certificate's fields of struct tlsinfo (has_cert to self_signed),
 * by the same code as tlsprobe_info, from one DER-encoded certificate;
 * version, alpn and cipher are left "".  For certificates that come some
 * other way, for tests and for fuzzing the field extraction without a
 * handshake.  0, or -EINVAL (and *out all zero) if der is not exactly one
 * certificate; -ENOMEM.  Allocates (the decoded certificate), so not for
 * a hot path.
 */
int tlsprobe_cert_info(const uint8_t *der, size_t len, struct tlsinfo *out);

#endif /* RINGSCAN_TLSPROBE_H */
