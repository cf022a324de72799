/*
 * Conformance: repositories themselves. Open, ping (one-shot and on an
 * acquired connection) and close through the URL under test, and two
 * repositories on one database that do not disturb each other.
 */
#include <string.h>

#include "common.h"

START_TEST(test_open_ping_close)
{
	dal_repo *r = open_repo();
	dal_error err;
	dal_conn *c;
	int64_t ns = -1;

	ck_assert_str_eq(dal_repo_backend(r), conf.backend);
	ck_assert_ptr_nonnull(dal_repo_server_kind(r));
	/* No name given: the default repository. */
	ck_assert_str_eq(dal_repo_name(r), "main");
	/* The one-shot ping on the repository... */
	CK_ERR(err, dal_repo_ping(r, &ns, &err));
	ck_assert_int_ge(ns, 0);
	ck_assert_int_lt(ns, 5 * (int64_t)1000000000);
	ck_assert_int_eq(err.code, DAL_OK);
	CK_ERR(err, dal_repo_ping(r, NULL, NULL));
	/* ...and on an acquired connection. */
	c = acquire(r);
	/* Every shipped backend (one with a dialect entry) reports the
	 * server's (or library's) version; for others the slot is optional
	 * and NULL means "cannot say" (dal.h), but never an empty string. */
	if (dl->backend)
		ck_assert_ptr_nonnull(dal_conn_server_version(c));
	if (dal_conn_server_version(c))
		ck_assert_int_gt(strlen(dal_conn_server_version(c)), 0);
	ns = -1;
	CK_CONN(c, dal_conn_ping(c, &ns));
	ck_assert_int_ge(ns, 0);
	ck_assert_int_lt(ns, 5 * (int64_t)1000000000);
	CK_CONN(c, dal_conn_ping(c, NULL));
	ck_assert_int_eq(dal_conn_error(c)->code, DAL_OK);
	close_conn(r, c);
	dal_repo_close(NULL);
	dal_conn_release(NULL);
}
END_TEST

/* Needs NEED_SHARED_DB: an in-memory SQLite database is private to its
 * connection. */
START_TEST(test_two_repositories_are_independent)
{
	dal_repo *ra, *rb;
	dal_conn *a = open_conn(&ra), *b = open_conn(&rb);
	char t[64];
	dal_stmt *s;

	table_name(t, sizeof t, "two");
	create_table(a, t, "n BIGINT");
	exec_ok(a, sqlf("INSERT INTO %s (n) VALUES (41)", t));
	/* b sees a's committed row; a failure on b leaves a untouched. */
	ck_assert_int_eq(query_int(b, sqlf("SELECT n FROM %s", t)), 41);
	ck_assert_int_lt(dal_stmt_prepare(b, "SELEC nothing", &s), 0);
	ck_assert_int_eq(dal_conn_error(a)->code, DAL_OK);
	drop_table(a, t);
	close_conn(ra, a);
	close_conn(rb, b);
}
END_TEST

static const struct conf_case cases[] = {
	CASE(test_open_ping_close, 0, 0, 0),
	CASE(test_two_repositories_are_independent, 0, 0, NEED_SHARED_DB),
	{NULL},
};

const struct conf_area conf_connection = {"connection", cases};
