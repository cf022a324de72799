/* Check suite for the placeholder rewriter (core/placeholder.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/plugin.h>

#include "placeholder.h"

#define PG (DAL_SYNTAX_DOLLAR_QUOTE | DAL_SYNTAX_NESTED_COMMENT)
#define MY (DAL_SYNTAX_BACKSLASH_ESCAPE | DAL_SYNTAX_HASH_COMMENT | DAL_SYNTAX_BACKTICK)

static struct ph_result rw(const char *sql, unsigned style, unsigned syntax)
{
	struct ph_result r;
	dal_error err;
	ck_assert_int_eq(ph_rewrite(sql, style, syntax, &r, &err), DAL_OK);
	return r;
}

#define EXPECT(in_, style_, syntax_, want_, n_)                 \
	do {                                                    \
		struct ph_result r_ = rw(in_, style_, syntax_); \
		ck_assert_str_eq(r_.sql, want_);                \
		ck_assert_uint_eq(r_.len, strlen(want_));       \
		ck_assert_uint_eq(r_.nparams, n_);              \
		ph_free(&r_);                                   \
	} while (0)

/* Distinct :names are found again in constant time: 1 MiB of them
 * (139,810) rewrites well inside the test's timeout (a linear search per
 * name took 33 s), numbered by first use, a repeat mapped to its number. */
START_TEST(test_placeholder_many_names_linear)
{
	size_t cap = 1024 * 1024, len = 0, n = 0;
	char *sql = malloc(cap + 64);
	struct ph_result r;

	ck_assert_ptr_nonnull(sql);
	for (; len < cap; n++)
		len += (size_t)sprintf(sql + len, ":p%zx,", n);
	len += (size_t)sprintf(sql + len, ":p0");
	r = rw(sql, DAL_PARAM_DOLLAR, PG);
	ck_assert_uint_eq(r.nparams, n);
	{
		char last[32];

		snprintf(last, sizeof last, "p%zx", n - 1);
		ck_assert_str_eq(r.names[n - 1], last);
	}
	ck_assert(strcmp(r.sql + r.len - 3, ",$1") == 0);
	ph_free(&r);
	free(sql);
}
END_TEST

START_TEST(test_placeholder_qmark_to_dollar)
{
	EXPECT("SELECT * FROM t WHERE a = ? AND b = ?", DAL_PARAM_DOLLAR, PG,
	       "SELECT * FROM t WHERE a = $1 AND b = $2", 2);
	EXPECT("SELECT ?", DAL_PARAM_QMARK, 0, "SELECT ?", 1);
	EXPECT("", DAL_PARAM_DOLLAR, PG, "", 0);
	EXPECT("SELECT 1", DAL_PARAM_DOLLAR, PG, "SELECT 1", 0);
}
END_TEST

START_TEST(test_placeholder_named_numbered_by_first_use)
{
	struct ph_result r = rw("UPDATE t SET a = :a, b = ? WHERE id = :id OR a = :a",
	                        DAL_PARAM_DOLLAR, PG);
	ck_assert_str_eq(r.sql, "UPDATE t SET a = $1, b = $2 WHERE id = $3 OR a = $1");
	ck_assert_uint_eq(r.nparams, 3);
	ck_assert_str_eq(r.names[0], "a");
	ck_assert_ptr_null(r.names[1]);
	ck_assert_str_eq(r.names[2], "id");
	ck_assert_ptr_null(r.pos_param);
	ph_free(&r);
}
END_TEST

START_TEST(test_placeholder_repeated_name_maps_qmark_positions)
{
	struct ph_result r = rw("SELECT :x, ?, :x", DAL_PARAM_QMARK, MY);
	ck_assert_str_eq(r.sql, "SELECT ?, ?, ?");
	ck_assert_uint_eq(r.nparams, 2);
	ck_assert_uint_eq(r.npos, 3);
	ck_assert_ptr_nonnull(r.pos_param);
	ck_assert_uint_eq(r.pos_param[0], 1);
	ck_assert_uint_eq(r.pos_param[1], 2);
	ck_assert_uint_eq(r.pos_param[2], 1);
	ph_free(&r);
}
END_TEST

START_TEST(test_placeholder_literals_untouched)
{
	EXPECT("SELECT '?', 'it''s :x ?', ? FROM t", DAL_PARAM_DOLLAR, PG,
	       "SELECT '?', 'it''s :x ?', $1 FROM t", 1);
	EXPECT("SELECT \"col?\", \":a\" FROM t WHERE x = ?", DAL_PARAM_DOLLAR, PG,
	       "SELECT \"col?\", \":a\" FROM t WHERE x = $1", 1);
}
END_TEST

START_TEST(test_placeholder_comments_untouched)
{
	EXPECT("SELECT ? -- what about ? and :x\n, ?", DAL_PARAM_DOLLAR, PG,
	       "SELECT $1 -- what about ? and :x\n, $2", 2);
	EXPECT("SELECT /* ? :x */ ?", DAL_PARAM_DOLLAR, PG, "SELECT /* ? :x */ $1", 1);
	/* PostgreSQL comments nest; MySQL's do not. */
	EXPECT("SELECT /* a /* ? */ ? */ ?", DAL_PARAM_DOLLAR, PG,
	       "SELECT /* a /* ? */ ? */ $1", 1);
	EXPECT("SELECT # ?\n?", DAL_PARAM_QMARK, MY, "SELECT # ?\n?", 1);
}
END_TEST

START_TEST(test_placeholder_dollar_quotes_untouched)
{
	EXPECT("SELECT $$ ? :x $$, $fn$ it's ? $fn$, ?", DAL_PARAM_DOLLAR, PG,
	       "SELECT $$ ? :x $$, $fn$ it's ? $fn$, $1", 1);
	/* $1 written by hand is not a dollar quote. */
	EXPECT("SELECT $1", DAL_PARAM_DOLLAR, PG, "SELECT $1", 0);
}
END_TEST

START_TEST(test_placeholder_casts_untouched)
{
	EXPECT("SELECT ?::int, :v::text, x::varchar FROM t", DAL_PARAM_DOLLAR, PG,
	       "SELECT $1::int, $2::text, x::varchar FROM t", 2);
	/* An array slice is not a parameter. */
	EXPECT("SELECT a[1:n] FROM t", DAL_PARAM_DOLLAR, PG, "SELECT a[1:n] FROM t", 0);
}
END_TEST

START_TEST(test_placeholder_escape_strings)
{
	/* E'' strings take backslash escapes: \' does not end them. */
	EXPECT("SELECT E'a\\' ?', ?", DAL_PARAM_DOLLAR, PG, "SELECT E'a\\' ?', $1", 1);
	/* Standard strings do not: '\' ends at the second quote. */
	EXPECT("SELECT 'C:\\', ?", DAL_PARAM_DOLLAR, PG, "SELECT 'C:\\', $1", 1);
	/* MySQL strings take backslash escapes; backticks quote identifiers. */
	EXPECT("SELECT 'a\\' ?', `b?`, ?", DAL_PARAM_QMARK, MY, "SELECT 'a\\' ?', `b?`, ?", 1);
}
END_TEST

START_TEST(test_placeholder_unterminated_copied_through)
{
	EXPECT("SELECT 'abc ?", DAL_PARAM_DOLLAR, PG, "SELECT 'abc ?", 0);
	EXPECT("SELECT ? /* open", DAL_PARAM_DOLLAR, PG, "SELECT $1 /* open", 1);
	EXPECT("SELECT $x$ ?", DAL_PARAM_DOLLAR, PG, "SELECT $x$ ?", 0);
}
END_TEST

START_TEST(test_placeholder_many_params)
{
	char sql[8192] = "SELECT ?", want[16384] = "SELECT $1";
	for (int i = 2; i <= 1000; i++) {
		strcat(sql, ",?");
		sprintf(want + strlen(want), ",$%d", i);
	}
	EXPECT(sql, DAL_PARAM_DOLLAR, PG, want, 1000);
}
END_TEST

/* Deterministic fuzz: random byte soup must never crash, and rewriting
 * must only ever replace markers (same text outside them). */
START_TEST(test_placeholder_fuzz_never_crashes)
{
	static const char alphabet[] = "?:$'\"`-/*#\\ \nabE_1[]";
	unsigned seed = 12345;
	for (int iter = 0; iter < 20000; iter++) {
		char sql[64];
		int n = (int)(rand_r(&seed) % 63);
		struct ph_result r;
		dal_error err;
		for (int i = 0; i < n; i++)
			sql[i] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
		sql[n] = '\0';
		ck_assert_int_eq(ph_rewrite(sql, iter & 1 ? DAL_PARAM_DOLLAR : DAL_PARAM_QMARK,
		                            iter & 2 ? PG : MY, &r, &err), DAL_OK);
		ck_assert_ptr_nonnull(r.sql);
		if (!(iter & 1))
			ck_assert_uint_le(strlen(r.sql), (size_t)n);
		ph_free(&r);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("placeholder");
	TCase *tc = tcase_create("rewrite");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_placeholder_qmark_to_dollar);
	tcase_add_test(tc, test_placeholder_many_names_linear);
	tcase_add_test(tc, test_placeholder_named_numbered_by_first_use);
	tcase_add_test(tc, test_placeholder_repeated_name_maps_qmark_positions);
	tcase_add_test(tc, test_placeholder_literals_untouched);
	tcase_add_test(tc, test_placeholder_comments_untouched);
	tcase_add_test(tc, test_placeholder_dollar_quotes_untouched);
	tcase_add_test(tc, test_placeholder_casts_untouched);
	tcase_add_test(tc, test_placeholder_escape_strings);
	tcase_add_test(tc, test_placeholder_unterminated_copied_through);
	tcase_add_test(tc, test_placeholder_many_params);
	tcase_add_test(tc, test_placeholder_fuzz_never_crashes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
