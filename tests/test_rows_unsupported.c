/*
 * The row helpers and savepoints on a backend that declares none of what
 * they need (tests/plugins/minimal.c: no transactions, no last insert id,
 * no RETURNING, no upsert form): each call fails with DAL_EUNSUPPORTED
 * naming the backend instead of sending SQL the backend cannot run.
 * Public API only.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include <dal/dal.h>
#include <dal/rows.h>

#include "testutil.h"

static dal_conn *open_min(dal_repo **r)
{
	dal_conn *c;
	dal_error e;

	ck_assert_msg(dal_repo_open_url(r, "minimal::memory:", &e) == DAL_OK, "%s", e.message);
	ck_assert_msg(dal_conn_acquire(*r, &c, &e) == DAL_OK, "%s", e.message);
	return c;
}

START_TEST(test_rows_unsupported_name_the_backend)
{
	dal_repo *r;
	dal_conn *c = open_min(&r);
	dal_field f = DAL_FIELD_INT64("v", 1);
	const char *key = "v";
	dal_param p = DAL_PARAM_INT64(1);
	int64_t id = -1;
	char buf[32];
	dal_error e;

	ck_assert_int_eq(dal_repo_capabilities(r) & (DAL_CAP_SAVEPOINTS | DAL_CAP_RETURNING |
	                                            DAL_CAP_UPSERT_CONFLICT |
	                                            DAL_CAP_UPSERT_DUPLICATE), 0);
	ck_assert_int_eq(dal_row_upsert(c, "t", &f, 1, &key, 1, NULL), DAL_EUNSUPPORTED);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "backend minimal") &&
	              tu_contains(dal_conn_error(c)->message, "upsert"), "%s",
	              dal_conn_error(c)->message);
	ck_assert_int_eq(dal_row_insert(c, "t", &f, 1, "id", &id), DAL_EUNSUPPORTED);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "backend minimal"), "%s",
	              dal_conn_error(c)->message);
	ck_assert_int_eq(dal_row_insert_many(c, "t", &key, 1, &p, 1, NULL), DAL_EUNSUPPORTED);
	ck_assert_int_eq(dal_conn_savepoint(c, "a"), DAL_EUNSUPPORTED);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "savepoints"), "%s",
	              dal_conn_error(c)->message);
	ck_assert_uint_eq(dal_conn_txn_depth(c), 0);
	/* Quoting follows the plugin's declared quotes. */
	ck_assert_int_eq(dal_ident_quote(r, "t", buf, sizeof buf, &e), DAL_OK);
	ck_assert_str_eq(buf, "\"t\"");
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rows_unsupported");
	TCase *tc = tcase_create("rows_unsupported");

	tu_clear_env();
	if (tu_plugin_path_prepend(TESTS_BUILDDIR))
		return 99;
	tcase_add_test(tc, test_rows_unsupported_name_the_backend);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
