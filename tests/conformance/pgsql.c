/*
 * Conformance cases that concern the postgresql backend alone (selected by
 * backend name): last_insert_id() as lastval().
 */
#include "common.h"

START_TEST(test_pgsql_last_insert_id_is_lastval)
{
	dal_repo *r;
	dal_conn *c;
	int64_t id = 0;
	char t[64];

	c = open_conn(&r);
	/* No sequence used yet in this session: a clear misuse error... */
	ck_assert_int_eq(dal_conn_last_insert_id(c, &id), DAL_EMISUSE);
	ck_assert_str_eq(dal_conn_error(c)->sqlstate, "55000");
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "RETURNING"), "message: %s",
	              dal_conn_error(c)->message);
	/* ...which does not abort an open transaction. */
	table_name(t, sizeof t, "lv");
	create_table(c, t, sqlf("id %s, s TEXT", dl->serial));
	CK_CONN(c, dal_conn_begin(c));
	ck_assert_int_eq(dal_conn_last_insert_id(c, &id), DAL_EMISUSE);
	exec_ok(c, sqlf("INSERT INTO %s (s) VALUES ('a')", t));
	CK_CONN(c, dal_conn_last_insert_id(c, &id));
	ck_assert_int_eq(id, query_int(c, sqlf("SELECT id FROM %s", t)));
	CK_CONN(c, dal_conn_commit(c));
	ck_assert_int_eq(query_int(c, sqlf("SELECT count(*) FROM %s", t)), 1);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

static const struct conf_case cases[] = {
	BACKEND_CASE("postgresql", test_pgsql_last_insert_id_is_lastval,
	             DAL_CAP_LAST_INSERT_ID | DAL_CAP_TRANSACTIONS, 0),
	{NULL},
};

const struct conf_area conf_pgsql = {"postgresql", cases};
