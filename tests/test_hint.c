/*
 * Check suite for the packager's advice in the "no plugin" error
 * (core/install_hint.c), compiled here with a hint and a list of packaged
 * backends of its own (tests/Makefile.am) whatever this build was
 * configured with: a listed type or alias names its backend's package, any
 * other type gets no advice.
 */
#include <check.h>
#include <string.h>

#include "loader.h"

static const char *hint(const char *type)
{
	static char buf[160];

	memset(buf, 'x', sizeof buf);
	loader_install_hint(type, buf, sizeof buf);
	return buf;
}

START_TEST(test_hint_names_package_of_type)
{
	ck_assert_str_eq(hint("mysql"), " (install the package libdal-backend-mysql)");
	ck_assert_str_eq(hint("sqlite"), " (install the package libdal-backend-sqlite)");
}
END_TEST

/* An alias names its backend's package, not a package of its own name. */
START_TEST(test_hint_alias_names_backend_package)
{
	ck_assert_str_eq(hint("mariadb"), " (install the package libdal-backend-mysql)");
	ck_assert_str_eq(hint("postgresql"), " (install the package libdal-backend-pgsql)");
	ck_assert_str_eq(hint("sqlite3"), " (install the package libdal-backend-sqlite)");
}
END_TEST

/* A type the packager does not ship gets no advice: no invented package,
 * also for a prefix, a suffix or the target side of an alias. */
START_TEST(test_hint_none_for_unlisted_type)
{
	ck_assert_str_eq(hint("nosuchdb"), "");
	ck_assert_str_eq(hint("sql"), "");
	ck_assert_str_eq(hint("lite"), "");
	ck_assert_str_eq(hint("pgsq"), "");
	ck_assert_str_eq(hint("postgres"), "");
}
END_TEST

/* A buffer too small truncates, always terminated. */
START_TEST(test_hint_truncates_safely)
{
	char buf[8];

	loader_install_hint("mysql", buf, sizeof buf);
	ck_assert_str_eq(buf, " (insta");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hint");
	TCase *tc = tcase_create("hint");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_hint_names_package_of_type);
	tcase_add_test(tc, test_hint_alias_names_backend_package);
	tcase_add_test(tc, test_hint_none_for_unlisted_type);
	tcase_add_test(tc, test_hint_truncates_safely);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
