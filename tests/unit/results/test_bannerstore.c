/*
 * test_bannerstore.c - banners by probe: what is put is what is got back
 * (bytes with NULs, every field), many records across chunks and index
 * growth, the first banner of a probe kept, and a full store that counts
 * what it drops instead of losing it silently.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "bannerstore.h"

static void test_roundtrip(void **state)
{
	static const uint8_t raw[] = { 'S', 'S', 'H', 0, 0xff, '\n' };
	struct banner_rec in = { .raw = raw, .raw_len = sizeof(raw) }, out;
	struct bannerstore *bs;

	(void)state;
	assert_int_equal(bannerstore_new(&bs, 0), 0);
	in.field[BANNER_PRODUCT] = "OpenSSH";
	in.field[BANNER_VERSION] = "9.2p1";
	assert_false(bannerstore_get(bs, 7, &out));
	assert_int_equal(bannerstore_put(bs, 7, &in), 0);
	assert_int_equal(bannerstore_put(bs, 7, &in), -EEXIST);
	assert_true(bannerstore_get(bs, 7, &out));
	assert_int_equal(out.raw_len, sizeof(raw));
	assert_memory_equal(out.raw, raw, sizeof(raw));
	assert_string_equal(out.field[BANNER_PRODUCT], "OpenSSH");
	assert_string_equal(out.field[BANNER_VERSION], "9.2p1");
	assert_string_equal(out.field[BANNER_EXTRAINFO], "");
	assert_true(banner_rec_identified(&out));
	/* probe 0 is a key like any other */
	in.field[BANNER_PRODUCT] = NULL;
	in.field[BANNER_VERSION] = NULL;
	assert_int_equal(bannerstore_put(bs, 0, &in), 0);
	assert_true(bannerstore_get(bs, 0, &out));
	assert_false(banner_rec_identified(&out));
	assert_int_equal(bannerstore_count(bs), 2);
	assert_int_equal(bannerstore_dropped(bs), 0);
	assert_string_equal(banner_field_name(BANNER_TLS_VERSION),
			    "tls_version");
	bannerstore_free(bs);
	bannerstore_free(NULL);
}

static void test_many(void **state)
{
	struct bannerstore *bs;
	char buf[600];
	struct banner_rec r = { .raw = (const uint8_t *)buf }, got;
	const uint32_t n = 5000; /* ~3 MB: several chunks, index regrown */

	(void)state;
	assert_int_equal(bannerstore_new(&bs, 0), 0);
	for (uint32_t i = 0; i < n; i++) {
		memset(buf, 'a' + (int)(i % 26), sizeof(buf));
		snprintf(buf, sizeof(buf), "banner %u", i);
		r.raw_len = 500 + i % 100;
		assert_int_equal(bannerstore_put(bs, (uint64_t)i * 977, &r), 0);
	}
	for (uint32_t i = 0; i < n; i++) {
		char want[32];

		assert_true(bannerstore_get(bs, (uint64_t)i * 977, &got));
		assert_int_equal(got.raw_len, 500 + i % 100);
		snprintf(want, sizeof(want), "banner %u", i);
		assert_memory_equal(got.raw, want, strlen(want) + 1);
		assert_int_equal(got.raw[got.raw_len - 1], 'a' + (int)(i % 26));
	}
	assert_false(bannerstore_get(bs, 1, &got));
	assert_int_equal(bannerstore_count(bs), n);
	bannerstore_free(bs);
}

static void test_full(void **state)
{
	static uint8_t raw[BANNERSTORE_RAW_MAX + 100];
	struct banner_rec r = { .raw = raw, .raw_len = 100 }, got;
	struct bannerstore *bs;
	int kept = 0;

	(void)state;
	/* records of 4 + 100 + 11 NULs = 115 bytes: 8 fit in 1000 */
	assert_int_equal(bannerstore_new(&bs, 1000), 0);
	for (int i = 0; i < 20; i++)
		if (bannerstore_put(bs, (uint64_t)i, &r) == 0)
			kept++;
	assert_int_equal(kept, 8);
	assert_int_equal(bannerstore_count(bs), 8);
	assert_int_equal(bannerstore_dropped(bs), 12);
	assert_false(bannerstore_get(bs, 19, &got));
	bannerstore_free(bs);
	/* an over-long banner is cut, not refused */
	assert_int_equal(bannerstore_new(&bs, 0), 0);
	r.raw_len = sizeof(raw);
	assert_int_equal(bannerstore_put(bs, 1, &r), 0);
	assert_true(bannerstore_get(bs, 1, &got));
	assert_int_equal(got.raw_len, BANNERSTORE_RAW_MAX);
	bannerstore_free(bs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
