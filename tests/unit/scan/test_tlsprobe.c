/*
 * test_tlsprobe.c - TLS handshakes against an OpenSSL server that lives
 * in the test, on memory BIOs too: no socket, no network.
 *
 * The truth is made here at run time: a P-256 key, a CA and leaf
 * certificates built field by field (subject, issuer, SANs, validity),
 * so every field tlsprobe_info reports is compared with the value the
 * test put in the certificate, byte for byte.  pump() carries the bytes
 * between tlsprobe and the server in chunks of a chosen size (one byte
 * works) through a small pending_out buffer; the server is forced to
 * TLS 1.3, 1.2 or older and to choose h2, http/1.1 or no ALPN, and it
 * records the SNI it saw.  After a handshake the server is handed the
 * client's last flight and must complete too and then read the
 * close_notify: the bytes tlsprobe leaves to send are right.
 *
 * Hostile input: a server that answers with SSH or HTTP, a TLS alert,
 * random bytes, an oversized record, a flight cut short, more than
 * TLSPROBE_MAX_IN bytes; certificates with NUL bytes in the CN and in a
 * SAN, control bytes, a CN longer than the field (cut at a UTF-8
 * boundary), more SANs than fit.  One probe is reused across servers,
 * failures and abandoned handshakes, and every result must belong to its
 * own server.  OpenSSL's allocations are counted through
 * CRYPTO_set_mem_functions: a reused probe must not leak (the live count
 * comes back exactly), a probe waiting for the server must hold well
 * under what it would with its record buffers kept, and the numbers
 * quoted in tlsprobe.h are printed.
 */
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "guard.h"
#include "tlsprobe.h"

/*
 * OpenSSL's allocations, counted (test-only globals): n_live all of them,
 * n_allocs only while `counting` is set, which is around the probe's own
 * calls so that the server's share is left out.
 */
static long n_allocs, n_live, n_bytes, n_live_bytes;
static bool counting;

static void *count_malloc(size_t n, const char *file, int line)
{
	void *p;

	(void)file;
	(void)line;
	p = malloc(n);
	if (p)
		n_live_bytes += (long)malloc_usable_size(p);
	if (p) {
		n_allocs += counting;
		n_bytes += counting ? (long)n : 0;
		n_live++;
	}
	return p;
}

static void *count_realloc(void *old, size_t n, const char *file, int line)
{
	void *p;

	(void)file;
	(void)line;
	if (old)
		n_live_bytes -= (long)malloc_usable_size(old);
	p = realloc(old, n);
	if (p)
		n_live_bytes += (long)malloc_usable_size(p);
	else if (old)
		n_live_bytes += (long)malloc_usable_size(old);
	if (counting)
		n_bytes += (long)n;
	if (p && !old) {
		n_allocs += counting;
		n_live++;
	}
	return p;
}

static void count_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	if (p) {
		n_live--;
		n_live_bytes -= (long)malloc_usable_size(p);
	}
	free(p);
}

/* What one certificate says; the test builds it from this. */
struct certspec {
	const char *cn; /* may hold NULs: cn_len says how long */
	size_t cn_len;
	const char *sans[128]; /* "DNS:..", "IP:..", "email:..", "URI:.." */
	size_t san_nul_at; /* if > 0: a NUL replaces that byte of sans[0] */
	const char *not_before, *not_after; /* ASN1_TIME_set_string_X509 */
	bool ca_signed;
};

static EVP_PKEY *key, *ca_key;
static X509 *ca_cert;

static X509_NAME *name_of(const char *cn, size_t cn_len, const char *o)
{
	X509_NAME *n = X509_NAME_new();

	assert_non_null(n);
	assert_true(X509_NAME_add_entry_by_NID(
		n, NID_organizationName, MBSTRING_ASC, (const unsigned char *)o,
		-1, -1, 0));
	/* A plain UTF8String: no length limit, NULs kept. */
	assert_true(X509_NAME_add_entry_by_NID(
		n, NID_commonName, V_ASN1_UTF8STRING, (const unsigned char *)cn,
		(int)cn_len, -1, 0));
	return n;
}

static GENERAL_NAME *san_of(const char *s, size_t nul_at)
{
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_IA5STRING *ia5;
	char tmp[256];
	size_t len;
	int type;

	assert_non_null(g);
	if (!strncmp(s, "IP:", 3)) {
		ASN1_OCTET_STRING *ip = a2i_IPADDRESS(s + 3);

		assert_non_null(ip);
		GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
		return g;
	}
	if (!strncmp(s, "DNS:", 4)) {
		type = GEN_DNS;
		s += 4;
	} else if (!strncmp(s, "email:", 6)) {
		type = GEN_EMAIL;
		s += 6;
	} else {
		assert_int_equal(strncmp(s, "URI:", 4), 0);
		type = GEN_URI;
		s += 4;
	}
	ia5 = ASN1_IA5STRING_new();
	assert_non_null(ia5);
	len = strlen(s);
	assert_true(len < sizeof(tmp));
	memcpy(tmp, s, len);
	if (nul_at)
		tmp[nul_at] = '\0';
	assert_true(ASN1_STRING_set(ia5, tmp, (int)len));
	GENERAL_NAME_set0_value(g, type, ia5);
	return g;
}

static X509 *make_cert(const struct certspec *cs)
{
	X509 *x = X509_new();
	X509_NAME *subj;
	size_t cn_len = cs->cn_len ? cs->cn_len : strlen(cs->cn);

	assert_non_null(x);
	assert_true(X509_set_version(x, X509_VERSION_3));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 4242));
	subj = name_of(cs->cn, cn_len, "ringscan test");
	assert_true(X509_set_subject_name(x, subj));
	if (cs->ca_signed)
		assert_true(X509_set_issuer_name(
			x, X509_get_subject_name(ca_cert)));
	else
		assert_true(X509_set_issuer_name(x, subj));
	X509_NAME_free(subj);
	assert_true(ASN1_TIME_set_string_X509(
		X509_getm_notBefore(x),
		cs->not_before ? cs->not_before : "20250101000000Z"));
	assert_true(ASN1_TIME_set_string_X509(
		X509_getm_notAfter(x),
		cs->not_after ? cs->not_after : "20291231235959Z"));
	assert_true(X509_set_pubkey(x, key));
	if (cs->sans[0]) {
		GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();

		for (size_t i = 0; cs->sans[i]; i++)
			sk_GENERAL_NAME_push(gens,
					     san_of(cs->sans[i],
						    i ? 0 : cs->san_nul_at));
		assert_true(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
					      X509V3_ADD_DEFAULT));
		GENERAL_NAMES_free(gens);
	}
	assert_true(X509_sign(x, cs->ca_signed ? ca_key : key, EVP_sha256()));
	return x;
}

static int setup(void **state)
{
	X509_NAME *n;

	(void)state;
	key = EVP_EC_gen("P-256");
	ca_key = EVP_EC_gen("P-256");
	assert_non_null(key);
	assert_non_null(ca_key);
	ca_cert = X509_new();
	assert_non_null(ca_cert);
	X509_set_version(ca_cert, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(ca_cert), 1);
	n = name_of("ringscan test CA", 16, "ringscan");
	X509_set_subject_name(ca_cert, n);
	X509_set_issuer_name(ca_cert, n);
	X509_NAME_free(n);
	ASN1_TIME_set_string_X509(X509_getm_notBefore(ca_cert),
				  "20240101000000Z");
	ASN1_TIME_set_string_X509(X509_getm_notAfter(ca_cert),
				  "20340101000000Z");
	X509_set_pubkey(ca_cert, ca_key);
	assert_true(X509_sign(ca_cert, ca_key, EVP_sha256()));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	return 0;
}

/* The server end. */
enum alpn_pick { ALPN_NONE, ALPN_H2, ALPN_HTTP1 };

struct srv {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *in, *out;
	enum alpn_pick alpn;
	bool sni_seen;
	char sni[256];
};

static int srv_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		    const unsigned char *in, unsigned int inlen, void *arg)
{
	const struct srv *s = arg;
	static const unsigned char h2[] = "\x02h2", h1[] = "\x08http/1.1";
	const unsigned char *want = s->alpn == ALPN_H2 ? h2 : h1;
	unsigned char *sel;

	(void)ssl;
	if (s->alpn == ALPN_NONE)
		return SSL_TLSEXT_ERR_NOACK;
	if (SSL_select_next_proto(&sel, outlen, want, want[0] + 1, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static int srv_sni(SSL *ssl, int *al, void *arg)
{
	struct srv *s = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	(void)al;
	if (name) {
		s->sni_seen = true;
		snprintf(s->sni, sizeof(s->sni), "%s", name);
	}
	return SSL_TLSEXT_ERR_OK;
}

static struct srv *srv_new(X509 *cert, int version, enum alpn_pick alpn)
{
	struct srv *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->alpn = alpn;
	s->ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(s->ctx);
	SSL_CTX_set_security_level(s->ctx, 0);
	assert_true(SSL_CTX_set_cipher_list(s->ctx, "DEFAULT:@SECLEVEL=0"));
	assert_true(SSL_CTX_set_min_proto_version(s->ctx, version));
	assert_true(SSL_CTX_set_max_proto_version(s->ctx, version));
	assert_true(SSL_CTX_use_certificate(s->ctx, cert));
	assert_true(SSL_CTX_use_PrivateKey(s->ctx, key));
	if (X509_check_issued(ca_cert, cert) == X509_V_OK)
		assert_true(SSL_CTX_add1_chain_cert(s->ctx, ca_cert));
	SSL_CTX_set_alpn_select_cb(s->ctx, srv_alpn, s);
	SSL_CTX_set_tlsext_servername_callback(s->ctx, srv_sni);
	SSL_CTX_set_tlsext_servername_arg(s->ctx, s);
	s->ssl = SSL_new(s->ctx);
	s->in = BIO_new(BIO_s_mem());
	s->out = BIO_new(BIO_s_mem());
	assert_non_null(s->ssl);
	assert_non_null(s->in);
	assert_non_null(s->out);
	SSL_set_bio(s->ssl, s->in, s->out);
	SSL_set_accept_state(s->ssl);
	return s;
}

/* The same server context, a new connection, now with this certificate. */
static void srv_again(struct srv *s, X509 *cert)
{
	/* Closed cleanly, or OpenSSL drops the session from the cache. */
	SSL_shutdown(s->ssl);
	SSL_free(s->ssl);
	assert_true(SSL_CTX_use_certificate(s->ctx, cert));
	assert_true(SSL_CTX_use_PrivateKey(s->ctx, key));
	s->sni_seen = false;
	s->ssl = SSL_new(s->ctx);
	s->in = BIO_new(BIO_s_mem());
	s->out = BIO_new(BIO_s_mem());
	assert_non_null(s->ssl);
	assert_non_null(s->in);
	assert_non_null(s->out);
	SSL_set_bio(s->ssl, s->in, s->out);
	SSL_set_accept_state(s->ssl);
}

static void srv_free(struct srv *s)
{
	SSL_free(s->ssl);
	SSL_CTX_free(s->ctx);
	free(s);
	ERR_clear_error();
}

/* Everything the probe has to send, through a buffer of cap bytes. */
static size_t drain_probe(struct tlsprobe *p, size_t cap, BIO *to)
{
	uint8_t buf[512];
	size_t len, total = 0;

	assert_true(cap <= sizeof(buf));
	do {
		counting = true;
		assert_int_equal(tlsprobe_pending_out(p, buf, cap, &len), 0);
		counting = false;
		assert_true(len <= cap);
		if (len)
			assert_int_equal(BIO_write(to, buf, (int)len),
					 (int)len);
		total += len;
	} while (len);
	return total;
}

/*
 * Carry bytes until tlsprobe's feed says something other than 0; feed in
 * chunks of `chunk` bytes.  Returns feed's last value (0: stuck).
 */
static int pump(struct tlsprobe *p, struct srv *s, size_t chunk, size_t cap)
{
	uint8_t buf[65536];

	for (int round = 0; round < 16; round++) {
		size_t sent = drain_probe(p, cap, s->in);
		int n;

		SSL_do_handshake(s->ssl);
		n = BIO_read(s->out, buf, sizeof(buf));
		if (n <= 0 && !sent)
			return 0;
		for (size_t at = 0; n > 0 && at < (size_t)n; at += chunk) {
			size_t k = (size_t)n - at < chunk ? (size_t)n - at :
							    chunk;
			int r;

			counting = true;
			r = tlsprobe_feed(p, buf + at, k);
			counting = false;

			if (r)
				return r;
		}
	}
	return 0;
}

/* After a handshake: the server completes with the probe's last flight. */
static void assert_server_done(struct tlsprobe *p, struct srv *s)
{
	char c;

	drain_probe(p, 512, s->in);
	assert_int_equal(SSL_do_handshake(s->ssl), 1);
	assert_int_equal(SSL_read(s->ssl, &c, 1), 0);
	assert_int_equal(SSL_get_error(s->ssl, 0), SSL_ERROR_ZERO_RETURN);
}

static struct tlsprobe_ctx *ctx_made(void)
{
	struct tlsprobe_ctx *ctx;

	assert_int_equal(tlsprobe_ctx_new(&ctx), 0);
	return ctx;
}

static struct tlsprobe *probe_made(struct tlsprobe_ctx *ctx)
{
	struct tlsprobe *p;

	assert_int_equal(tlsprobe_new(ctx, &p), 0);
	return p;
}

static const struct certspec www = {
	.cn = "www.ringscan.test",
	.sans = { "DNS:www.ringscan.test", "DNS:*.ringscan.test",
		  "IP:127.0.0.1", "IP:2001:2::1", "email:root@ringscan.test",
		  "URI:https://ringscan.test/" },
};
static const char www_sans[] =
	"DNS:www.ringscan.test,DNS:*.ringscan.test,IP:127.0.0.1,"
	"IP:2001:2::1,email:root@ringscan.test,URI:https://ringscan.test/";

/* One handshake of p with a new server; returns its info. */
static struct tlsinfo handshake(struct tlsprobe *p, X509 *cert, int version,
				enum alpn_pick alpn, const char *sni,
				size_t chunk, size_t cap)
{
	struct srv *s = srv_new(cert, version, alpn);
	struct tlsinfo ti;

	assert_int_equal(tlsprobe_start(p, sni), 0);
	assert_int_equal(pump(p, s, chunk, cap), 1);
	assert_string_equal(tlsprobe_reason(p), "");
	assert_int_equal(tlsprobe_info(p, &ti), 0);
	assert_server_done(p, s);
	assert_int_equal(s->sni_seen, sni != NULL);
	if (sni)
		assert_string_equal(s->sni, sni);
	srv_free(s);
	return ti;
}

static void test_tls13_h2(void **state)
{
	struct tlsprobe_ctx *ctx = ctx_made();
	struct tlsprobe *p = probe_made(ctx);
	X509 *cert = make_cert(&www);
	struct tlsinfo ti;

	(void)state;
	ti = handshake(p, cert, TLS1_3_VERSION, ALPN_H2, "www.ringscan.test",
		       65536, 512);
	assert_string_equal(ti.version, "TLSv1.3");
	assert_string_equal(ti.alpn, "h2");
	assert_string_equal(ti.cipher, "TLS_AES_256_GCM_SHA384");
	assert_true(ti.has_cert);
	assert_string_equal(ti.subject_cn, "www.ringscan.test");
	assert_string_equal(ti.issuer, "CN=www.ringscan.test,O=ringscan test");
	assert_true(ti.self_signed);
	assert_string_equal(ti.sans, www_sans);
	assert_string_equal(ti.not_before, "2025-01-01T00:00:00Z");
	assert_string_equal(ti.not_after, "2029-12-31T23:59:59Z");
	assert_int_equal(ti.not_before_s, 1735689600);
	assert_int_equal(ti.not_after_s, 1893455999);
	X509_free(cert);
	tlsprobe_free(p);
	tlsprobe_ctx_free(ctx);
}

static void test_tls12_ca_signed(void **state)
{
	struct tlsprobe_ctx *ctx = ctx_made();
	struct tlsprobe *p = probe_made(ctx);
	struct certspec cs = {
		.cn = "mail.ringscan.test",
		.sans = { "DNS:mail.ringscan.test", "IP:198.18.0.25" },
		.not_before = "20260101120000Z",
		.not_after = "20270101120000Z",
		.ca_signed = true,
	};
	X509 *cert = make_cert(&cs);
	struct tlsinfo ti;

	(void)state;
	ti = handshake(p, cert, TLS1_2_VERSION, ALPN_NONE, NULL, 65536, 512);
	assert_string_equal(ti.version, "TLSv1.2");
	assert_string_equal(ti.alpn, "");
	assert_string_equal(ti.cipher,
			    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
	assert_string_equal(ti.subject_cn, "mail.ringscan.test");
	assert_string_equal(ti.issuer, "CN=ringscan test CA,O=ringscan");
	assert_false(ti.self_signed);
	assert_string_equal(ti.sans, "DNS:mail.ringscan.test,IP:198.18.0.25");
	assert_string_equal(ti.not_before, "2026-01-01T12:00:00Z");
	assert_string_equal(ti.not_after, "2027-01-01T12:00:00Z");
	assert_int_equal(ti.not_after_s, 1798804800);
	X509_free(cert);
	tlsprobe_free(p);
	tlsprobe_ctx_free(ctx);
}

/* Old servers still show their certificate: TLS 1.1 and 1.0. */
static void test_old_versions(void **state)
{
	struct tlsprobe_ctx *ctx = ctx_made();
	struct tlsprobe *p = probe_made(ctx);
	X509 *cert = make_cert(&www);
	struct tlsinfo ti;

	(void)state;
	ti = handshake(p, cert, TLS1_1_VERSION, ALPN_HTTP1, NULL, 65536, 512);
	assert_string_equal(ti.version, "TLSv1.1");
	assert_string_equal(ti.alpn, "http/1.1");
	assert_string_equal(ti.subject_cn, "www.ringscan.test");
	ti = handshake(p, cert, TLS1_VERSION, ALPN_NONE, NULL, 65536, 512);
	assert_string_equal(ti.version, "TLSv1");
	assert_string_equal(ti.alpn, "");
	assert_string_equal(ti.cipher, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA");
	assert_string_equal(ti.sans, www_sans);
	X509_free(cert);
	tlsprobe_free(p);
	tlsprobe_ctx_free(ctx);
}

static void test_alpn_http1(void **state)
{
	struct tlsprobe_ctx *ctx = ctx_made();
	struct tlsprobe *p = probe_made(ctx);
	X509 *cert = make_cert(&www);
	struct tlsinfo ti;

	(void)state;
	ti = handshake(p, cert, TLS1_3_VERSION, ALPN_HTTP1, NULL, 65536, 512);
	assert_string_equal(ti.alpn, "http/1.1");
	ti = handshake(p, cert, TLS1_3_VERSION, ALPN_NONE, NULL, 65536, 512);
	assert_string_equal(ti.alpn, "");
	X509_free(cert);
	tlsprobe_free(p);
	tlsprobe_ctx_free(ctx);
}

/* Not verified, so reported: expired, not yet valid, after 2049. */
static void test_validity(void **state)
{
	struct tlsprobe_ctx *ctx = ctx_made();
	struct tlsprobe *p = probe_made(ctx);
	struct certspec cs = {
		.cn = "old.ringscan.test",
		.not_before = "20190101000000Z",
		.not_after = "20200101000000Z",
	};
	X509 *cert = make_cert(&cs);
	struct tlsinfo ti;

	(void)state;
	ti = handshake(p, cert, TLS1_3_VERSION, ALPN_NONE, NULL, 65536, 512);
	assert_string_equal(ti.not_before, "2019-01-01T00:00:00Z");
	assert_string_equal(ti.not_after, "2020-01-01T00:00:00Z");
	assert_int_equal(ti.not_after_s, 1577836800);
	assert_true(ti.not_after_s < (int64_t)time(NULL));
	assert_string_equal(ti.sans, "");
	X509_free(cert);

	/* GeneralizedTime from 2050 on (RFC 5280 4.1.2.5). */
	cs.not_before = "20490101000000Z";
	cs.not_after = "20510601083000Z";
	cert = make_cert(&cs);
	ti = handshake(p, cert, TLS1_2_VERSION, ALPN_NONE, NULL, 65536, 512);
	assert_string_equal(ti.not_before, "2049-01-01T00:00:00Z");
	assert_string_equal(ti.not_after, "2051-06-01T08:30:00Z");
	assert_int_equal(ti.not_after_s, 2569221000);
	X509_free(cert);
	tlsprobe_free(p);
	tlsprobe_ctx_free(ctx);
}

/* One byte at a time in, one byte at a time out, every version. */
static void test_byte_by_byte(void **state)
{
	static const int versions[] = { TLS1_3_VERSION, TLS1_2_VERSION,
					TLS1_VERSION };
	struct tlsprobe_ctx *ctx = ctx_made();
	struct tlsprobe *p = probe_made(ctx);
	X509 *cert = make_cert(&www);

	(void)state;
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		struct tlsinfo ti = handshake(p, cert, versions[i], ALPN_H2,
					      "www.ringscan.test", 1, 1);

		assert_string_equal(ti.subject_cn, "www.ringscan.test");
		assert_string_equal(ti.sans, www_sans);
		assert_string_equal(ti.alpn, "h2");
	}
	X509_free(cert);
	tlsprobe_free(p);
	tlsprobe_ctx_free(ctx);
}

/* Feed one answer to a fresh handshake: what feed says at the end. */
static int answer(struct tlsprobe *p, const void *bytes, size_t len)
{
	uint8_t hello[2048];
	size_t n;
	int r;

	assert_int_equal(tlsprobe_start(p, "www.ringscan.test"), 0);
	assert_int_equal(tlsprobe_pending_out(p, hello, sizeof(hello), &n), 0);
	assert_true(n > 40);
	assert_int_equal(hello[0], 0x16); /* a handshake record */
	r = tlsprobe_feed(p, bytes, len);
	return r;
}

static void assert_failed(struct tlsprobe *p, const char *reason)
{
	struct tlsinfo ti;
	uint8_t b = 0x16;

	assert_non_null(strstr(tlsprobe_reason(p), reason));
	assert_int_equal(tlsprobe_feed(p, &b, 1), -EINVAL);
	assert_int_equal(tlsprobe_info(p, &ti), -EINVAL);
	assert_string_equal(ti.subject_cn, "");
}

static void test_not_tls(void **state)
{
	static const char ssh[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
	static const char http[] = "HTTP/1.1 400 Bad Request\r\n"
				   "Content-Length: 0\r\n\r\n";
	/* Alert record: fatal handshake_failure. */
	static const uint8_t alert[] = { 0x15, 0x03, 0x03, 0x00,
					 0x02, 0x02, 0x28 };
	/* A handshake record longer than TLS allows (2^14 + 2048). */
	static const uint8_t huge[] = { 0x16, 0x03, 0x03, 0xff, 0xff };
	struct tlsprobe_ctx *ctx = ctx_made();
	struct tlsprobe *p = probe_made(ctx);
	uint8_t junk[4096];
	uint32_t x = 2463534242u;

	(void)state;
	assert_int_equal(answer(p, ssh, sizeof(ssh) - 1), -EPROTO);
	assert_failed(p, "wrong version number");
	assert_int_equal(answer(p, http, sizeof(http) - 1), -EPROTO);
	assert_failed(p, "wrong version number");
	assert_int_equal(answer(p, alert, sizeof(alert)), -EPROTO);
	assert_failed(p, "alert handshake failure");
	assert_int_equal(answer(p, huge, sizeof(huge)), -EPROTO);
	assert_failed(p, "length too long");
	for (size_t i = 0; i < sizeof(junk); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		junk[i] = (uint8_t)x;
	}
	junk[0] = 0x16; /* past the first check, into the record layer */
	junk[1] = 0x03;
	assert_int_equal(answer(p, junk, sizeof(junk)), -EPROTO);
	assert_failed(p, "");
	/* A chunk over the cap is refused before OpenSSL sees it. */
	{
		uint8_t *big = calloc(1, TLSPROBE_MAX_IN + 1);

		assert_non_null(big);
		assert_int_equal(answer(p, big, TLSPROBE_MAX_IN + 1), -EPROTO);
		assert_failed(p, "too many bytes");
		free(big);
	}
	tlsprobe_free(p);
	tlsprobe_ctx_free(ctx);
}

/* A server flight cut short: more is needed, then the server is gone. */
static void test_truncated(void **state)
{
	struct tlsprobe_ctx *ctx = ctx_made();
	struct tlsprobe *p = probe_made(ctx);
	X509 *cert = make_cert(&www);
	struct srv *s = srv_new(cert, TLS1_3_VERSION, ALPN_H2);
	uint8_t buf[16384];
	int n;

	(void)state;
	assert_int_equal(tlsprobe_start(p, NULL), 0);
	drain_probe(p, 512, s->in);
	SSL_do_handshake(s->ssl);
	n = BIO_read(s->out, buf, sizeof(buf));
	assert_true(n > 300);
	/* All but the last byte: not done, not failed. */
	assert_int_equal(tlsprobe_feed(p, buf, (size_t)n - 1), 0);
	assert_int_equal(tlsprobe_feed(p, NULL, 0), -EPROTO);
	assert_failed(p, "closed");
	srv_free(s);

	/* Cut inside the first record's header, then EOF. */
	s = srv_new(cert, TLS1_2_VERSION, ALPN_H2);
	assert_int_equal(tlsprobe_start(p, NULL), 0);
	drain_probe(p, 512, s->in);
	SSL_do_handshake(s->ssl);
	n = BIO_read(s->out, buf, sizeof(buf));
	assert_true(n > 300);
	assert_int_equal(tlsprobe_feed(p, buf, 3), 0);
	assert_int_equal(tlsprobe_feed(p, NULL, 0), -EPROTO);
	srv_free(s);

	/* And the probe still works after both. */
	s = srv_new(cert, TLS1_3_VERSION, ALPN_H2);
	assert_int_equal(tlsprobe_start(p, NULL), 0);
	assert_int_equal(pump(p, s, 100, 64), 1);
	srv_free(s);
	X509_free(cert);
	tlsprobe_free(p);
	tlsprobe_ctx_free(ctx);
}

static void test_hostile_cert(void **state)
{
	static const char cn_nul[] = "good.ringscan.test\0.evil.example";
	struct tlsprobe_ctx *ctx = ctx_made();
	struct tlsprobe *p = probe_made(ctx);
	struct certspec cs = {
		.cn = cn_nul,
		.cn_len = sizeof(cn_nul) - 1,
		.sans = { "DNS:good.ringscan.test..evil.example",
			  "DNS:\x1b[2J\x07" },
		.san_nul_at = 18,
	};
	char longcn[601], sans_want[sizeof(((struct tlsinfo *)0)->sans)];
	char names[100][32];
	size_t at = 0;
	X509 *cert = make_cert(&cs);
	struct tlsinfo ti;

	(void)state;
	ti = handshake(p, cert, TLS1_3_VERSION, ALPN_NONE, NULL, 65536, 512);
	assert_string_equal(ti.subject_cn, "good.ringscan.test?.evil.example");
	/* Control bytes are the outputs' to escape: passed on as they are. */
	assert_string_equal(ti.sans, "DNS:good.ringscan.test?.evil.example,"
				     "DNS:\x1b[2J\x07");
	X509_free(cert);

	/* 300 two-byte characters: cut to 63 of them, never half of one. */
	for (int i = 0; i < 300; i++)
		memcpy(longcn + 2 * i, "\xc3\xa9", 2);
	longcn[600] = '\0';
	memset(&cs, 0, sizeof(cs));
	cs.cn = longcn;
	for (int i = 0; i < 100; i++) {
		snprintf(names[i], sizeof(names[i]),
			 "DNS:host-%03d.ringscan.test", i);
		cs.sans[i] = names[i];
	}
	cert = make_cert(&cs);
	ti = handshake(p, cert, TLS1_3_VERSION, ALPN_NONE, NULL, 65536, 512);
	assert_int_equal(strlen(ti.subject_cn), 126);
	assert_memory_equal(ti.subject_cn, longcn, 126);
	/* Whole entries while they fit, then ",...". */
	for (int i = 0; at + 1 + strlen(names[i]) + 4 < sizeof(sans_want); i++)
		at += (size_t)snprintf(sans_want + at, sizeof(sans_want) - at,
				       "%s%s", i ? "," : "", names[i]);
	strcpy(sans_want + at, ",...");
	assert_string_equal(ti.sans, sans_want);
	assert_true(strlen(ti.sans) < sizeof(ti.sans));
	X509_free(cert);
	tlsprobe_free(p);
	tlsprobe_ctx_free(ctx);
}

static void test_einval(void **state)
{
	static const char *const bad_sni[] = {
		"", "bad host", "127.0.0.1", "::1", "a\x1b[2J", "caf\xc3\xa9",
	};
	struct tlsprobe_ctx *ctx = ctx_made();
	struct tlsprobe *p = probe_made(ctx);
	char longname[TLSPROBE_MAX_SNI + 2];
	uint8_t buf[16];
	struct tlsinfo ti;
	size_t len = 99;

	(void)state;
	assert_int_equal(tlsprobe_feed(p, buf, 1), -EINVAL);
	assert_int_equal(tlsprobe_pending_out(p, buf, sizeof(buf), &len),
			 -EINVAL);
	assert_int_equal(len, 0);
	assert_int_equal(tlsprobe_info(p, &ti), -EINVAL);
	for (size_t i = 0; i < sizeof(bad_sni) / sizeof(bad_sni[0]); i++)
		assert_int_equal(tlsprobe_start(p, bad_sni[i]), -EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(tlsprobe_start(p, longname), -EINVAL);
	longname[TLSPROBE_MAX_SNI] = '\0'; /* 255 is allowed */
	assert_int_equal(tlsprobe_start(p, longname), 0);
	assert_int_equal(tlsprobe_pending_out(p, buf, 0, &len), -EINVAL);
	assert_int_equal(tlsprobe_feed(p, NULL, 1), -EINVAL);
	assert_int_equal(tlsprobe_info(p, &ti), -EINVAL);
	tlsprobe_free(p);
	tlsprobe_free(NULL);
	tlsprobe_ctx_free(ctx);
	tlsprobe_ctx_free(NULL);
}

/*
 * One probe, many servers: each result is its own server's, whatever
 * the probe did before (done, failed, abandoned half-way), and nothing
 * leaks: the count of live OpenSSL allocations comes back exactly.
 */
static void test_reuse(void **state)
{
	static const char ssh[] = "SSH-2.0-OpenSSH_9.2p1\r\n";
	struct certspec cs_b = {
		.cn = "b.ringscan.test",
		.sans = { "DNS:b.ringscan.test" },
		.not_after = "20280229000000Z",
		.ca_signed = true,
	};
	struct tlsprobe_ctx *ctx = ctx_made();
	struct tlsprobe *p = probe_made(ctx);
	X509 *a = make_cert(&www), *b = make_cert(&cs_b);
	struct tlsinfo ti;
	long live = 0;

	(void)state;
	for (int i = 0; i < 6; i++) {
		struct srv *s;

		if (i == 2) /* warmed up: OpenSSL's caches are filled */
			live = n_live;
		else if (i > 2) /* everything of the last round is freed */
			assert_int_equal(n_live, live);
		ti = handshake(p, a, TLS1_3_VERSION, ALPN_H2,
			       "www.ringscan.test", 65536, 512);
		assert_string_equal(ti.subject_cn, "www.ringscan.test");
		assert_string_equal(ti.alpn, "h2");
		assert_true(ti.self_signed);

		ti = handshake(p, b, TLS1_2_VERSION, ALPN_NONE, NULL, 700, 512);
		assert_string_equal(ti.version, "TLSv1.2");
		assert_string_equal(ti.subject_cn, "b.ringscan.test");
		assert_string_equal(ti.sans, "DNS:b.ringscan.test");
		assert_string_equal(ti.alpn, "");
		assert_string_equal(ti.not_after, "2028-02-29T00:00:00Z");
		assert_false(ti.self_signed);

		assert_int_equal(answer(p, ssh, sizeof(ssh) - 1), -EPROTO);

		/* Abandoned half-way: the server's first flight only. */
		s = srv_new(b, TLS1_3_VERSION, ALPN_H2);
		assert_int_equal(tlsprobe_start(p, "b.ringscan.test"), 0);
		drain_probe(p, 512, s->in);
		SSL_do_handshake(s->ssl);
		{
			uint8_t buf[8192];
			int n = BIO_read(s->out, buf, sizeof(buf));

			assert_true(n > 100);
			assert_int_equal(tlsprobe_feed(p, buf, (size_t)n / 2),
					 0);
		}
		srv_free(s);
		/* The next start, to a, must not see b's name, key or cert. */
	}
	ti = handshake(p, a, TLS1_3_VERSION, ALPN_NONE, NULL, 65536, 512);
	assert_string_equal(ti.subject_cn, "www.ringscan.test");
	assert_string_equal(ti.alpn, "");
	/* A start refused leaves nothing of the last handshake behind. */
	{
		uint8_t buf[64];
		size_t len;

		assert_int_equal(tlsprobe_start(p, "bad host"), -EINVAL);
		assert_int_equal(tlsprobe_info(p, &ti), -EINVAL);
		assert_int_equal(tlsprobe_pending_out(p, buf, sizeof(buf),
						      &len),
				 -EINVAL);
		assert_int_equal(tlsprobe_feed(p, buf, 1), -EINVAL);
	}
	tlsprobe_free(p);
	X509_free(a);
	X509_free(b);
	tlsprobe_ctx_free(ctx);
}

/*
 * The same fields from the DER bytes alone (tlsprobe_cert_info), read
 * from right before a PROT_NONE page; every prefix of the certificate
 * and the certificate with a byte after it are refused.
 */
static void test_cert_info(void **state)
{
	static const char cn_nul[] = "good.ringscan.test\0.evil.example";
	struct certspec cs = {
		.cn = cn_nul,
		.cn_len = sizeof(cn_nul) - 1,
		.sans = { "DNS:a.ringscan.test", "IP:198.18.0.1" },
		.ca_signed = true,
	};
	X509 *cert = make_cert(&www), *hostile = make_cert(&cs);
	unsigned char *der = NULL, *plus;
	struct guarded g;
	struct tlsinfo ti;
	const void *at;
	int n;

	(void)state;
	n = i2d_X509(cert, &der);
	assert_true(n > 100);
	at = guard_copy(&g, der, (size_t)n, false);
	assert_int_equal(tlsprobe_cert_info(at, (size_t)n, &ti), 0);
	assert_true(ti.has_cert);
	assert_string_equal(ti.version, "");
	assert_string_equal(ti.cipher, "");
	assert_string_equal(ti.subject_cn, "www.ringscan.test");
	assert_string_equal(ti.issuer, "CN=www.ringscan.test,O=ringscan test");
	assert_string_equal(ti.sans, www_sans);
	assert_string_equal(ti.not_after, "2029-12-31T23:59:59Z");
	assert_true(ti.self_signed);
	for (int k = 0; k < n; k++) {
		at = guard_recopy(&g, der, (size_t)k, false);
		assert_int_equal(tlsprobe_cert_info(at, (size_t)k, &ti),
				 -EINVAL);
		assert_false(ti.has_cert);
	}
	plus = malloc((size_t)n + 1);
	assert_non_null(plus);
	memcpy(plus, der, (size_t)n);
	plus[n] = 0;
	assert_int_equal(tlsprobe_cert_info(plus, (size_t)n + 1, &ti), -EINVAL);
	assert_string_equal(ti.subject_cn, "");
	assert_int_equal(tlsprobe_cert_info(NULL, 0, &ti), -EINVAL);
	free(plus);
	guard_free(&g);
	OPENSSL_free(der);

	der = NULL;
	n = i2d_X509(hostile, &der);
	assert_true(n > 100);
	assert_int_equal(tlsprobe_cert_info(der, (size_t)n, &ti), 0);
	assert_string_equal(ti.subject_cn, "good.ringscan.test?.evil.example");
	assert_string_equal(ti.issuer, "CN=ringscan test CA,O=ringscan");
	assert_string_equal(ti.sans, "DNS:a.ringscan.test,IP:198.18.0.1");
	assert_false(ti.self_signed);
	OPENSSL_free(der);
	X509_free(cert);
	X509_free(hostile);
}

/*
 * Nothing is resumed: a server that caches sessions and issues tickets,
 * and then changed its certificate, is shown with the new one, through
 * a full handshake, by the same probe.
 */
static void test_no_resumption(void **state)
{
	static const int versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };
	struct certspec cs_b = { .cn = "b.ringscan.test" };
	struct tlsprobe_ctx *ctx = ctx_made();
	struct tlsprobe *p = probe_made(ctx);
	X509 *a = make_cert(&www), *b = make_cert(&cs_b);
	struct tlsinfo ti;

	(void)state;
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		struct srv *s = srv_new(a, versions[i], ALPN_H2);

		SSL_CTX_set_session_cache_mode(s->ctx, SSL_SESS_CACHE_SERVER);
		assert_int_equal(tlsprobe_start(p, "www.ringscan.test"), 0);
		assert_int_equal(pump(p, s, 65536, 512), 1);
		assert_server_done(p, s);
		assert_int_equal(tlsprobe_info(p, &ti), 0);
		assert_string_equal(ti.subject_cn, "www.ringscan.test");
		/*
		 * A TLS 1.3 ticket, sent after the handshake, never reaches the
		 * probe (feed refuses bytes after the end); a TLS 1.2 session
		 * ID is not offered again.
		 */
		srv_again(s, b);
		assert_int_equal(tlsprobe_start(p, "www.ringscan.test"), 0);
		assert_int_equal(pump(p, s, 65536, 512), 1);
		assert_server_done(p, s);
		assert_false(SSL_session_reused(s->ssl));
		assert_int_equal(tlsprobe_info(p, &ti), 0);
		assert_string_equal(ti.subject_cn, "b.ringscan.test");
		srv_free(s);
	}
	X509_free(a);
	X509_free(b);
	tlsprobe_free(p);
	tlsprobe_ctx_free(ctx);
}

/*
 * The numbers quoted in tlsprobe.h: OpenSSL's allocations for one TLS 1.3
 * handshake on a reused probe and on a fresh one, the server's excluded.
 */
static void test_allocations(void **state)
{
	struct tlsprobe_ctx *ctx = ctx_made();
	struct tlsprobe *p = probe_made(ctx), *q;
	X509 *cert = make_cert(&www);
	struct srv *s;
	struct tlsinfo ti;
	long before, bytes, reused, fresh, info, reused_b, fresh_b;

	(void)state;
	for (int i = 0; i < 3; i++)
		handshake(p, cert, TLS1_3_VERSION, ALPN_H2, NULL, 65536, 512);

	s = srv_new(cert, TLS1_3_VERSION, ALPN_H2);
	before = n_allocs;
	bytes = n_bytes;
	counting = true;
	assert_int_equal(tlsprobe_start(p, NULL), 0);
	counting = false;
	assert_int_equal(pump(p, s, 65536, 512), 1);
	reused = n_allocs - before;
	reused_b = n_bytes - bytes;
	before = n_allocs;
	counting = true;
	assert_int_equal(tlsprobe_info(p, &ti), 0);
	counting = false;
	info = n_allocs - before;
	srv_free(s);

	s = srv_new(cert, TLS1_3_VERSION, ALPN_H2);
	before = n_allocs;
	bytes = n_bytes;
	counting = true;
	q = probe_made(ctx);
	assert_int_equal(tlsprobe_start(q, NULL), 0);
	counting = false;
	assert_int_equal(pump(q, s, 65536, 512), 1);
	fresh = n_allocs - before;
	fresh_b = n_bytes - bytes;
	srv_free(s);
	tlsprobe_free(q);
	print_message("OpenSSL allocations per TLS 1.3 handshake: reused probe "
		      "%ld (%ld bytes), fresh probe %ld (%ld bytes); "
		      "tlsprobe_info %ld\n",
		      reused, reused_b, fresh, fresh_b, info);
	/* The reuse saves at least the SSL object and its two BIOs. */
	assert_true(reused > 0);
	assert_true(reused + 3 <= fresh);

	/*
	 * What a slot holds: idle, and waiting for the server after its
	 * ClientHello went out.  Record buffers released while empty keep
	 * the wait well under the 66 KB it takes with them kept.
	 */
	{
		uint8_t hello[4096];
		size_t len;
		long at = n_live_bytes, idle, waiting;

		q = probe_made(ctx);
		idle = n_live_bytes - at;
		at = n_live_bytes;
		assert_int_equal(tlsprobe_start(q, "www.ringscan.test"), 0);
		assert_int_equal(
			tlsprobe_pending_out(q, hello, sizeof(hello), &len), 0);
		assert_true(len > 0);
		waiting = n_live_bytes - at;
		tlsprobe_free(q);
		print_message("memory held by a probe: idle %ld bytes, "
			      "%ld more while waiting for the server\n",
			      idle, waiting);
		assert_true(idle > 0 && idle < 16 * 1024);
		assert_true(waiting > 0 && waiting < 48 * 1024);
	}
	X509_free(cert);
	tlsprobe_free(p);
	tlsprobe_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls13_h2),
		cmocka_unit_test(test_tls12_ca_signed),
		cmocka_unit_test(test_old_versions),
		cmocka_unit_test(test_alpn_http1),
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_not_tls),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_hostile_cert),
		cmocka_unit_test(test_einval),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_no_resumption),
		cmocka_unit_test(test_cert_info),
		cmocka_unit_test(test_allocations),
	};

	/* Before OpenSSL allocates anything, or it refuses. */
	if (!CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free))
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
