/*
 * URL parsing errors the main URL suite leaves out (docs/testing.md,
 * "Coverage"): a percent-encoded NUL in the user name or host, a scheme
 * that is not a backend name, a malformed item of a host list, url_scheme()
 * on an empty or too long scheme; each is DAL_ECONFIG
 * naming what is wrong, and the output stays empty.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>
#include <dal/plugin.h>

#include "url.h"
#include "testutil.h"

static void parse_bad(const char *url, int kind, const char *want)
{
	struct dal_url u;
	dal_error e;
	int rc;

	memset(&u, 0xa5, sizeof u);
	rc = url_parse(url, "argument", kind, &u, &e);
	ck_assert_msg(rc == DAL_ECONFIG, "'%s' gave %d, expected DAL_ECONFIG", url, rc);
	ck_assert_msg(tu_contains(e.message, want), "'%s': '%s' not in: %s", url, want,
	              e.message);
	ck_assert_msg(tu_contains(e.message, "argument"), "%s", e.message);
	ck_assert_ptr_null(u.scheme);
	ck_assert_ptr_null(u.user);
	ck_assert_ptr_null(u.host);
}

START_TEST(test_url_more_errors)
{
	parse_bad("mysql://a%00b@h/db", DAL_KIND_SERVER,
	          "percent-encoded NUL (%00) in the user name");
	parse_bad("mysql://u@h%00x/db", DAL_KIND_SERVER, "percent-encoded NUL (%00) in the host");
	parse_bad("my.sql://u@h/db", DAL_KIND_SERVER, "scheme 'my.sql' is not a backend name");
	parse_bad("mysql://u@h1,h2:3306:1/db", DAL_KIND_SERVER, "h2:3306:1");
}
END_TEST

/* url_scheme(): the scheme before any +driver, lower-cased; errors for an
 * empty one and for one longer than the buffer. */
START_TEST(test_url_scheme_errors)
{
	char buf[8];
	dal_error e;

	ck_assert_int_eq(url_scheme("PgSQL+libpq://h/db", "DB_URL", buf, sizeof buf, &e), DAL_OK);
	ck_assert_str_eq(buf, "pgsql");
	ck_assert_int_eq(url_scheme("+x://h/db", "DB_URL", buf, sizeof buf, &e), DAL_ECONFIG);
	tu_assert_has(e.message, "DB_URL");
	tu_assert_has(e.message, "empty scheme before '+'");
	ck_assert_int_eq(url_scheme("postgresql://h/db", "DB_URL", buf, sizeof buf, &e),
	                 DAL_ECONFIG);
	tu_assert_has(e.message, "scheme too long");
	ck_assert_int_eq(url_scheme("", "DB_URL", buf, sizeof buf, &e), DAL_ECONFIG);
	tu_assert_has(e.message, "DB_URL: empty URL");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cov_url");
	TCase *tc = tcase_create("url");

	tcase_add_test(tc, test_url_more_errors);
	tcase_add_test(tc, test_url_scheme_errors);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
