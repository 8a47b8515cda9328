/*
 * test_cookie.c - SipHash-2-4 against the reference vectors, and the SYN
 * cookie's sensitivity to every field of the tuple.
 *
 * The 64 vectors are those of the reference implementation (key 00..0f,
 * message 00..n-1 for n = 0..63, output read as a little-endian integer);
 * n = 15 is the worked example of the paper's appendix.  Every length from
 * 0 to 63 crosses each tail size and the 8-byte block boundary; each vector
 * is also hashed from every misalignment of its buffer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "cookie.h"

static const uint64_t sip64_vectors[64] = {
	0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL,
	0x85676696d7fb7e2dULL, 0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL,
	0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL, 0x93f5f5799a932462ULL,
	0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
	0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL,
	0xa129ca6149be45e5ULL, 0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL,
	0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL, 0xbed65cf21aa2ee98ULL,
	0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
	0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL,
	0x2f2e6163076bcfadULL, 0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL,
	0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL, 0x7127512f72f27cceULL,
	0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL,
	0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL,
	0x9abfd8766a33735cULL, 0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL,
	0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL, 0xf935451de4f21df2ULL,
	0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
	0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL,
	0xa192d576b245165aULL, 0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL,
	0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL, 0xb78dbfaf3a8d83bdULL,
	0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL,
	0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL,
	0x958a324ceb064572ULL,
};

static void reference_key(struct cookie_key *k)
{
	uint8_t b[16];

	for (int i = 0; i < 16; i++)
		b[i] = (uint8_t)i;
	cookie_key_from_bytes(k, b);
}

static void test_key_bytes_little_endian(void **state)
{
	struct cookie_key k;

	(void)state;
	reference_key(&k);
	assert_true(k.k0 == 0x0706050403020100ULL);
	assert_true(k.k1 == 0x0f0e0d0c0b0a0908ULL);
}

static void test_reference_vectors(void **state)
{
	struct cookie_key k;
	uint8_t msg[64];

	(void)state;
	reference_key(&k);
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t n = 0; n < 64; n++)
		assert_true(cookie_siphash24(&k, msg, n) == sip64_vectors[n]);
}

static void test_any_alignment(void **state)
{
	struct cookie_key k;
	uint8_t buf[64 + 8];

	(void)state;
	reference_key(&k);
	for (size_t off = 1; off < 8; off++) {
		for (int i = 0; i < 64; i++)
			buf[off + (size_t)i] = (uint8_t)i;
		for (size_t n = 0; n < 64; n++)
			assert_true(cookie_siphash24(&k, buf + off, n) ==
				    sip64_vectors[n]);
	}
}

static void test_key_matters(void **state)
{
	struct cookie_key k;
	uint8_t msg[15];

	(void)state;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	reference_key(&k);
	k.k1 ^= 1ULL << 63;
	assert_true(cookie_siphash24(&k, msg, 15) != sip64_vectors[15]);
	reference_key(&k);
	k.k0 ^= 1;
	assert_true(cookie_siphash24(&k, msg, 15) != sip64_vectors[15]);
}

static void test_random_keys_differ(void **state)
{
	struct cookie_key a, b;

	(void)state;
	assert_int_equal(cookie_key_random(&a), 0);
	assert_int_equal(cookie_key_random(&b), 0);
	assert_false(a.k0 == b.k0 && a.k1 == b.k1);
}

/* The cookie equals SipHash of the documented packing. */
static void test_cookie_packing(void **state)
{
	static const uint8_t s4[4] = { 198, 18, 0, 1 },
			     d4[4] = { 198, 18, 0, 2 };
	uint8_t m[13] = { AF_INET, 198, 18,   0,    1,	  198, 18,
			  0,	   2,	0xee, 0x48, 0x00, 0x50 };
	uint8_t s6[16] = { 0xfd, [15] = 1 }, d6[16] = { 0xfd, [15] = 2 };
	uint8_t m6[37];
	struct cookie_key k;

	(void)state;
	reference_key(&k);
	assert_int_equal(cookie_tcp(&k, AF_INET, s4, d4, 61000, 80),
			 (uint32_t)cookie_siphash24(&k, m, sizeof(m)));
	m6[0] = AF_INET6;
	memcpy(m6 + 1, s6, 16);
	memcpy(m6 + 17, d6, 16);
	m6[33] = 0xee;
	m6[34] = 0x48;
	m6[35] = 0x01;
	m6[36] = 0xbb;
	assert_int_equal(cookie_tcp(&k, AF_INET6, s6, d6, 61000, 443),
			 (uint32_t)cookie_siphash24(&k, m6, sizeof(m6)));
}

/* Flipping any bit of any field of the tuple changes the cookie. */
static void test_cookie_every_field(void **state)
{
	uint8_t s[16] = { 198, 18, 0, 1 }, d[16] = { 198, 18, 7, 9 };
	struct cookie_key k;
	uint32_t base;

	(void)state;
	reference_key(&k);
	base = cookie_tcp(&k, AF_INET, s, d, 61000, 443);
	for (int bit = 0; bit < 32; bit++) {
		s[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_true(cookie_tcp(&k, AF_INET, s, d, 61000, 443) != base);
		s[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_true(cookie_tcp(&k, AF_INET, s, d, 61000, 443) != base);
		d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	for (int bit = 0; bit < 16; bit++) {
		uint16_t f = (uint16_t)(1u << bit);

		assert_true(cookie_tcp(&k, AF_INET, s, d, 61000 ^ f, 443) !=
			    base);
		assert_true(cookie_tcp(&k, AF_INET, s, d, 61000, 443 ^ f) !=
			    base);
	}
	/* Swapped roles (the reply's tuple read forwards) differ too. */
	assert_true(cookie_tcp(&k, AF_INET, d, s, 443, 61000) != base);
	/* Bytes past the IPv4 address do not count for AF_INET... */
	s[8] = 0x55;
	assert_int_equal(cookie_tcp(&k, AF_INET, s, d, 61000, 443), base);
	/* ...but do for AF_INET6, and the family itself is hashed. */
	assert_true(cookie_tcp(&k, AF_INET6, s, d, 61000, 443) != base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_bytes_little_endian),
		cmocka_unit_test(test_reference_vectors),
		cmocka_unit_test(test_any_alignment),
		cmocka_unit_test(test_key_matters),
		cmocka_unit_test(test_random_keys_differ),
		cmocka_unit_test(test_cookie_packing),
		cmocka_unit_test(test_cookie_every_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
