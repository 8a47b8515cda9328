/*
 * tlsprobe.c - a client TLS handshake through OpenSSL on memory BIOs (see
 * tlsprobe.h).
 *
 * Each probe's SSL object reads from one memory BIO ("in", what the
 * server sent) and writes to another ("out", what to send); OpenSSL's
 * handshake is driven by SSL_do_handshake after every fed chunk and
 * simply asks for more (SSL_ERROR_WANT_READ) until a whole flight is in.
 * A memory BIO never refuses a write, so WANT_WRITE cannot happen.
 *
 * Reuse is SSL_clear after dropping the session (SSL_set_session(NULL)):
 * a kept session would make the next handshake, to another server, offer
 * a resumption, and a resumed TLS 1.2 session would even report the old
 * server's certificate.  The context disables tickets and the session
 * cache as well, so there is nothing to resume from in the first place.
 * The host name for SNI is set, or cleared, on every start for the same
 * reason.  If SSL_clear ever refuses (it can, when the method changed in
 * ways it cannot undo) the SSL object is made anew: slower, never wrong.
 *
 * OpenSSL keeps a per-thread error queue.  Every entry point here starts
 * from an empty queue and leaves it empty, keeping only the reason of a
 * failed handshake in the probe, so a scan of a million ports neither
 * grows the queue nor reports one server's error against another.
 *
 * Certificate fields come from OpenSSL calls that give lengths
 * (ASN1_STRING_get0_data/length, ASN1_STRING_to_UTF8, a memory BIO's
 * length), and are copied by one function, copy_untrusted, which turns
 * NUL into '?' and cuts at a UTF-8 character boundary.  The issuer is
 * printed by X509_NAME_print_ex into a memory BIO kept in the probe, so
 * printing it allocates nothing once that BIO has grown.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tlsprobe.h"

struct tlsprobe_ctx {
	SSL_CTX *ssl_ctx;
};

enum tlsprobe_state {
	TLSPROBE_IDLE, /* never started */
	TLSPROBE_HANDSHAKE,
	TLSPROBE_DONE,
	TLSPROBE_FAILED,
};

struct tlsprobe {
	SSL_CTX *ssl_ctx;
	SSL *ssl;
	BIO *in, *out; /* owned by ssl once set */
	BIO *print; /* the issuer is printed here */
	enum tlsprobe_state state;
	size_t fed; /* bytes fed since start */
	char reason[96];
};

/* ALPN, in its wire form: length-prefixed names, preferred first. */
static const unsigned char alpn_offer[] = "\x02h2\x08http/1.1";

/* The issuer as RFC 2253 has it, but UTF-8 left as UTF-8. */
#define ISSUER_FLAGS (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)

int tlsprobe_ctx_new(struct tlsprobe_ctx **out)
{
	struct tlsprobe_ctx *ctx;
	SSL_CTX *c;

	*out = NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ERR_clear_error();
	c = SSL_CTX_new(TLS_client_method());
	if (!c)
		goto out_free_ctx;
	/*
	 * Reporting, not trusting: no verification, and every version and
	 * suite this OpenSSL still has, so that an old server's certificate
	 * is read too.  Security level 0 is what lets OpenSSL 3 offer
	 * TLS 1.0 and 1.1 at all; these calls override the system-wide
	 * MinProtocol and CipherString of openssl.cnf.
	 */
	SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_security_level(c, 0);
	if (!SSL_CTX_set_min_proto_version(c, TLS1_VERSION) ||
	    !SSL_CTX_set_max_proto_version(c, 0) ||
	    !SSL_CTX_set_cipher_list(c, "DEFAULT:@SECLEVEL=0"))
		goto out_free_ssl_ctx;
	SSL_CTX_set_options(c, SSL_OP_NO_TICKET | SSL_OP_LEGACY_SERVER_CONNECT);
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_max_cert_list(c, TLSPROBE_MAX_CERTS);
	/*
	 * A probe mostly waits for the server, and thousands may wait at
	 * once: the record buffers (about 33 KB together) are freed while
	 * empty and made again for the next flight - a few allocations
	 * against the handshake's two thousand.
	 */
	SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
	/* Unlike the rest of the API, 0 is success here. */
	if (SSL_CTX_set_alpn_protos(c, alpn_offer, sizeof(alpn_offer) - 1))
		goto out_free_ssl_ctx;
	ctx->ssl_ctx = c;
	*out = ctx;
	return 0;

out_free_ssl_ctx:
	SSL_CTX_free(c);
	ERR_clear_error();
	free(ctx);
	return -EPROTO;
out_free_ctx:
	ERR_clear_error();
	free(ctx);
	return -ENOMEM;
}

void tlsprobe_ctx_free(struct tlsprobe_ctx *ctx)
{
	if (!ctx)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	free(ctx);
}

/* A new SSL object on two new memory BIOs into p: 0 or -ENOMEM. */
static int ssl_make(struct tlsprobe *p)
{
	BIO *in, *out;

	p->ssl = SSL_new(p->ssl_ctx);
	if (!p->ssl)
		goto out_err;
	in = BIO_new(BIO_s_mem());
	if (!in)
		goto out_free_ssl;
	out = BIO_new(BIO_s_mem());
	if (!out)
		goto out_free_in;
	SSL_set_bio(p->ssl, in, out);
	p->in = in;
	p->out = out;
	return 0;

out_free_in:
	BIO_free(in);
out_free_ssl:
	SSL_free(p->ssl);
	p->ssl = NULL;
out_err:
	p->in = p->out = NULL;
	ERR_clear_error();
	return -ENOMEM;
}

int tlsprobe_new(struct tlsprobe_ctx *ctx, struct tlsprobe **out)
{
	struct tlsprobe *p;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ssl_ctx = ctx->ssl_ctx;
	p->print = BIO_new(BIO_s_mem());
	if (!p->print)
		goto out_free_p;
	if (ssl_make(p))
		goto out_free_print;
	*out = p;
	return 0;

out_free_print:
	BIO_free(p->print);
out_free_p:
	ERR_clear_error();
	free(p);
	return -ENOMEM;
}

void tlsprobe_free(struct tlsprobe *p)
{
	if (!p)
		return;
	SSL_free(p->ssl); /* and both BIOs with it */
	BIO_free(p->print);
	free(p);
}

/*
 * A host name SNI may carry: letters, digits, '-', '.', '_' (seen in
 * real names though not in RFC 1123's), and not an IPv4 address, which
 * RFC 6066 3 forbids there (an IPv6 one fails the character test).
 */
static bool sni_ok(const char *sni)
{
	size_t n = strnlen(sni, TLSPROBE_MAX_SNI + 1);
	struct in_addr a;

	if (n == 0 || n > TLSPROBE_MAX_SNI)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = sni[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_'))
			return false;
	}
	return inet_pton(AF_INET, sni, &a) != 1;
}

/* Keep OpenSSL's reason for the failure, empty the queue; -EPROTO/-ENOMEM. */
static int fail(struct tlsprobe *p, const char *why)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = NULL;
	int ret = -EPROTO;

	if (e) {
		r = ERR_reason_error_string(e);
		if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
			ret = -ENOMEM;
	}
	snprintf(p->reason, sizeof(p->reason), "%s", r ? r : why);
	ERR_clear_error();
	p->state = TLSPROBE_FAILED;
	return ret;
}

/* Drive the handshake: 1 done, 0 wants more, < 0 failed. */
static int step(struct tlsprobe *p)
{
	int r = SSL_do_handshake(p->ssl);

	if (r == 1) {
		p->state = TLSPROBE_DONE;
		/* Queue a close_notify after the Finished: optional to send. */
		SSL_shutdown(p->ssl);
		ERR_clear_error();
		return 1;
	}
	switch (SSL_get_error(p->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return 0;
	case SSL_ERROR_SYSCALL: /* the BIO failed: not with memory BIOs */
		return fail(p, "unexpected end of handshake");
	default:
		return fail(p, "handshake failed");
	}
}

int tlsprobe_start(struct tlsprobe *p, const char *sni)
{
	int ret;

	/*
	 * Idle until the new handshake is under way: a start that fails
	 * leaves nothing of the previous handshake to send or report.
	 */
	p->state = TLSPROBE_IDLE;
	p->reason[0] = '\0';
	p->fed = 0;
	if (sni && !sni_ok(sni))
		return -EINVAL;
	ERR_clear_error();
	if (p->ssl) {
		SSL_set_session(p->ssl, NULL);
		if (!SSL_clear(p->ssl)) {
			SSL_free(p->ssl);
			p->ssl = NULL;
		}
	}
	if (!p->ssl) {
		ret = ssl_make(p);
		if (ret)
			return ret;
	}
	(void)BIO_reset(p->in);
	(void)BIO_reset(p->out);
	/* NULL clears a name a previous handshake set. */
	if (!SSL_set_tlsext_host_name(p->ssl, sni)) {
		ret = fail(p, "cannot set the SNI host name");
		p->state = TLSPROBE_IDLE;
		return ret;
	}
	SSL_set_connect_state(p->ssl);
	p->state = TLSPROBE_HANDSHAKE;
	ret = step(p);
	if (ret > 0) /* done before the server said anything: cannot be */
		ret = fail(p, "handshake done without a server");
	if (ret < 0)
		p->state = TLSPROBE_IDLE;
	return ret;
}

int tlsprobe_pending_out(struct tlsprobe *p, uint8_t *buf, size_t cap,
			 size_t *len)
{
	size_t n;
	int r;

	*len = 0;
	if (p->state == TLSPROBE_IDLE || !buf || !cap)
		return -EINVAL;
	n = BIO_ctrl_pending(p->out);
	if (n > cap)
		n = cap;
	if (n > INT_MAX)
		n = INT_MAX;
	if (!n)
		return 0;
	r = BIO_read(p->out, buf, (int)n);
	if (r <= 0) { /* cannot happen with bytes pending */
		ERR_clear_error();
		return 0;
	}
	*len = (size_t)r;
	return 0;
}

int tlsprobe_feed(struct tlsprobe *p, const uint8_t *buf, size_t len)
{
	if (p->state != TLSPROBE_HANDSHAKE || (!buf && len))
		return -EINVAL;
	ERR_clear_error();
	if (!len)
		return fail(p, "connection closed during the handshake");
	if (len > TLSPROBE_MAX_IN - p->fed)
		return fail(p, "too many bytes for a handshake");
	if (BIO_write(p->in, buf, (int)len) != (int)len)
		return fail(p, "out of memory");
	p->fed += len;
	return step(p);
}

const char *tlsprobe_reason(const struct tlsprobe *p)
{
	return p->reason;
}

/*
 * Copy n untrusted bytes into dst (cap > 0): NUL becomes '?', and a copy
 * that must be cut is cut before a UTF-8 character it would split (at
 * most 3 bytes back: a longer run of continuation bytes is not UTF-8
 * anyway).  Always NUL-terminated.
 */
static void copy_untrusted(char *dst, size_t cap, const void *src, size_t n)
{
	const unsigned char *s = src;
	size_t k = n;

	if (k > cap - 1) {
		k = cap - 1;
		for (int back = 0; back < 3 && k > 0 && (s[k] & 0xc0) == 0x80;
		     back++)
			k--;
		if ((s[k] & 0xc0) == 0x80) /* not UTF-8: cut anywhere */
			k = cap - 1;
	}
	for (size_t i = 0; i < k; i++)
		dst[i] = s[i] ? (char)s[i] : '?';
	dst[k] = '\0';
}

/* An ASN.1 string as UTF-8, or its raw bytes if it will not convert. */
static void copy_asn1(char *dst, size_t cap, const ASN1_STRING *s)
{
	unsigned char *utf = NULL;
	int n = ASN1_STRING_to_UTF8(&utf, s);

	if (n >= 0) {
		copy_untrusted(dst, cap, utf, (size_t)n);
		OPENSSL_free(utf);
	} else {
		copy_untrusted(dst, cap, ASN1_STRING_get0_data(s),
			       (size_t)ASN1_STRING_length(s));
	}
}

static void subject_cn(const X509 *cert, char *dst, size_t cap)
{
	const X509_NAME *name = X509_get_subject_name(cert);
	int i = -1, last = -1;

	/* The last CN is the most specific one, as X509_check_host takes. */
	while ((i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0)
		last = i;
	if (last >= 0)
		copy_asn1(dst, cap,
			  X509_NAME_ENTRY_get_data(
				  X509_NAME_get_entry(name, last)));
}

static void issuer(BIO *print, const X509 *cert, char *dst, size_t cap)
{
	char *data;
	long n;

	(void)BIO_reset(print);
	if (X509_NAME_print_ex(print, X509_get_issuer_name(cert), 0,
			       ISSUER_FLAGS) < 0)
		return;
	n = BIO_get_mem_data(print, &data);
	if (n > 0)
		copy_untrusted(dst, cap, data, (size_t)n);
}

/* One SAN as "TYPE:value" into buf: its length, or 0 to leave it out. */
static size_t san_entry(const GENERAL_NAME *g, char *buf, size_t cap)
{
	const ASN1_STRING *s;
	const char *type;
	char ip[INET6_ADDRSTRLEN];
	size_t t;

	switch (g->type) {
	case GEN_DNS:
		type = "DNS:";
		s = g->d.dNSName;
		break;
	case GEN_EMAIL:
		type = "email:";
		s = g->d.rfc822Name;
		break;
	case GEN_URI:
		type = "URI:";
		s = g->d.uniformResourceIdentifier;
		break;
	case GEN_IPADD:
		s = g->d.iPAddress;
		if (ASN1_STRING_length(s) == 4)
			inet_ntop(AF_INET, ASN1_STRING_get0_data(s), ip,
				  sizeof(ip));
		else if (ASN1_STRING_length(s) == 16)
			inet_ntop(AF_INET6, ASN1_STRING_get0_data(s), ip,
				  sizeof(ip));
		else
			snprintf(ip, sizeof(ip), "invalid");
		return (size_t)snprintf(buf, cap, "IP:%s", ip);
	default:
		return 0;
	}
	t = strlen(type);
	memcpy(buf, type, t);
	/* Raw bytes: IA5String, so no conversion; NUL still becomes '?'. */
	copy_untrusted(buf + t, cap - t, ASN1_STRING_get0_data(s),
		       (size_t)ASN1_STRING_length(s));
	/* Cut short means it did not fit: the caller leaves it out. */
	return (size_t)ASN1_STRING_length(s) > cap - t - 1 ?
		       cap :
		       t + (size_t)ASN1_STRING_length(s);
}

static void sans(const X509 *cert, char *dst, size_t cap)
{
	GENERAL_NAMES *gens;
	char entry[sizeof(((struct tlsinfo *)0)->sans)];
	size_t used = 0;
	int n;

	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	if (!gens)
		return;
	n = sk_GENERAL_NAME_num(gens);
	for (int i = 0; i < n; i++) {
		size_t len = san_entry(sk_GENERAL_NAME_value(gens, i), entry,
				       sizeof(entry));
		size_t sep = used > 0, avail = cap - 1 - used;
		/* Room for ",..." stays unless this is the last entry. */
		size_t keep = i == n - 1 ? 0 : 4;

		if (!len)
			continue;
		if (len >= sizeof(entry) || sep + len + keep > avail) {
			/* The last entry kept 4 bytes free for this. */
			const char *more = sep ? ",..." : "...";

			memcpy(dst + used, more, strlen(more) + 1);
			break;
		}
		if (sep)
			dst[used++] = ',';
		memcpy(dst + used, entry, len);
		used += len;
		dst[used] = '\0';
	}
	GENERAL_NAMES_free(gens);
}

static void when(const ASN1_TIME *t, char *dst, size_t cap, int64_t *secs)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return;
	strftime(dst, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
	*secs = (int64_t)timegm(&tm);
}

/* The certificate's half of struct tlsinfo; print is a memory BIO. */
static void cert_fields(BIO *print, const X509 *cert, struct tlsinfo *out)
{
	out->has_cert = true;
	subject_cn(cert, out->subject_cn, sizeof(out->subject_cn));
	issuer(print, cert, out->issuer, sizeof(out->issuer));
	sans(cert, out->sans, sizeof(out->sans));
	when(X509_get0_notBefore(cert), out->not_before,
	     sizeof(out->not_before), &out->not_before_s);
	when(X509_get0_notAfter(cert), out->not_after, sizeof(out->not_after),
	     &out->not_after_s);
	/* X509_self_signed takes a non-const X509 but only reads it. */
	out->self_signed = X509_self_signed((X509 *)cert, 1) == 1;
}

int tlsprobe_info(const struct tlsprobe *p, struct tlsinfo *out)
{
	const unsigned char *alpn;
	const SSL_CIPHER *c;
	const char *name;
	unsigned int alpn_len;
	X509 *cert;

	memset(out, 0, sizeof(*out));
	if (p->state != TLSPROBE_DONE)
		return -EINVAL;
	ERR_clear_error();
	snprintf(out->version, sizeof(out->version), "%s",
		 SSL_get_version(p->ssl));
	SSL_get0_alpn_selected(p->ssl, &alpn, &alpn_len);
	if (alpn)
		copy_untrusted(out->alpn, sizeof(out->alpn), alpn, alpn_len);
	c = SSL_get_current_cipher(p->ssl);
	if (c) {
		name = SSL_CIPHER_standard_name(c);
		if (!name)
			name = SSL_CIPHER_get_name(c);
		snprintf(out->cipher, sizeof(out->cipher), "%s", name);
	}
	cert = SSL_get0_peer_certificate(p->ssl);
	if (cert)
		cert_fields(p->print, cert, out);
	ERR_clear_error();
	return 0;
}

int tlsprobe_cert_info(const uint8_t *der, size_t len, struct tlsinfo *out)
{
	const unsigned char *at = der;
	X509 *cert;
	BIO *print;
	int ret = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (!der || !len || len > LONG_MAX)
		return -EINVAL;
	ERR_clear_error();
	print = BIO_new(BIO_s_mem());
	if (!print) {
		ret = -ENOMEM;
		goto out_clear;
	}
	cert = d2i_X509(NULL, &at, (long)len);
	/* One whole certificate: nothing left over, nothing missing. */
	if (!cert || at != der + len)
		goto out_free_cert;
	cert_fields(print, cert, out);
	ret = 0;

out_free_cert:
	X509_free(cert);
	BIO_free(print);
	if (ret)
		memset(out, 0, sizeof(*out));
out_clear:
	ERR_clear_error();
	return ret;
}
