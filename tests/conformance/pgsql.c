/*
 * Conformance cases that concern the postgresql backend alone (selected by
 * backend name): last_insert_id() as lastval().
 */
#include "common.h"

START_TEST(test_pgsql_last_insert_id_is_lastval)
{
	dal_repo *r;
	int64_t id = 0;
	char t[64];

	r = open_repo();
	/* No sequence used yet in this session: a clear misuse error... */
	ck_assert_int_eq(dal_repo_last_insert_id(r, &id), DAL_EMISUSE);
	ck_assert_str_eq(dal_repo_error(r)->sqlstate, "55000");
	ck_assert_msg(tu_contains(dal_repo_error(r)->message, "RETURNING"), "message: %s",
	              dal_repo_error(r)->message);
	/* ...which does not abort an open transaction. */
	table_name(t, sizeof t, "lv");
	create_table(r, t, sqlf("id %s, s TEXT", dl->serial));
	CK_REPO(r, dal_repo_begin(r));
	ck_assert_int_eq(dal_repo_last_insert_id(r, &id), DAL_EMISUSE);
	exec_ok(r, sqlf("INSERT INTO %s (s) VALUES ('a')", t));
	CK_REPO(r, dal_repo_last_insert_id(r, &id));
	ck_assert_int_eq(id, query_int(r, sqlf("SELECT id FROM %s", t)));
	CK_REPO(r, dal_repo_commit(r));
	ck_assert_int_eq(query_int(r, sqlf("SELECT count(*) FROM %s", t)), 1);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

static const struct conf_case cases[] = {
	BACKEND_CASE("postgresql", test_pgsql_last_insert_id_is_lastval,
	             DAL_CAP_LAST_INSERT_ID | DAL_CAP_TRANSACTIONS, 0),
	{NULL},
};

const struct conf_area conf_pgsql = {"postgresql", cases};
