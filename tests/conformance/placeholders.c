/*
 * Conformance: placeholders. Named (:x) and positional (?) parameters in one
 * statement, a name used twice being one parameter, and markers inside
 * literals, quoted identifiers and comments (and PostgreSQL :: casts) left
 * alone.
 */
#include <stdio.h>

#include "common.h"

START_TEST(test_placeholders_named_and_positional)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_stmt *s;
	char t[64];

	table_name(t, sizeof t, "ph");
	create_table(c, t, "a BIGINT, b VARCHAR(50), c BIGINT");
	s = prep(c, sqlf("INSERT INTO %s (a, b, c) VALUES (:x, ?, :x)", t));
	/* :x used twice is one parameter. */
	ck_assert_uint_eq(dal_stmt_param_count(s), 2);
	ck_assert_uint_eq(dal_stmt_param_index(s, ":x"), 1);
	ck_assert_uint_eq(dal_stmt_param_index(s, "x"), 1);
	ck_assert_uint_eq(dal_stmt_param_index(s, "y"), 0);
	CK_STMT(s, dal_stmt_bind_named_int64(s, "x", 7));
	CK_STMT(s, dal_stmt_bind_text(s, 2, "seven", -1));
	CK_STEP(s, DAL_DONE);
	ck_assert_int_eq(dal_stmt_rows_affected(s), 1);
	/* The named binding is by name, the positional one by index 2. */
	CK_STMT(s, dal_stmt_bind_named_int64(s, ":x", 8));
	CK_STMT(s, dal_stmt_bind_text(s, 2, "eight and more", 5));
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	s = prep(c, sqlf("SELECT a, b, c FROM %s WHERE a = :v OR c = :v ORDER BY a", t));
	ck_assert_uint_eq(dal_stmt_param_count(s), 1);
	CK_STMT(s, dal_stmt_bind_named_int64(s, "v", 8));
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 8);
	ck_assert_str_eq(dal_stmt_column_text(s, 1, NULL), "eight");
	ck_assert_int_eq(dal_stmt_column_int64(s, 2), 8);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	ck_assert_int_eq(query_int(c, sqlf("SELECT SUM(c) FROM %s", t)), 15);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_placeholders_skip_literals_identifiers_comments)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char t[64], sql[1024];
	dal_stmt *s;
	size_t len;

	table_name(t, sizeof t, "lit");
	/* A column whose quoted name holds ? and :name. */
	create_table(c, t, sqlf("%cq?:c%c BIGINT, b VARCHAR(20)", dl->q, dl->q));
	exec_ok(c, sqlf("INSERT INTO %s (%cq?:c%c, b) VALUES (5, 'k')", t, dl->q, dl->q));
	snprintf(sql, sizeof sql,
	         "SELECT %cq?:c%c, '?', ':lit', 'it''s ?' -- ? :c1 \n"
	         "FROM %s /* ? :c2 */ WHERE b = ?",
	         dl->q, dl->q, t);
	s = prep(c, sql);
	ck_assert_uint_eq(dal_stmt_param_count(s), 1);
	ck_assert_uint_eq(dal_stmt_param_index(s, "lit"), 0);
	ck_assert_uint_eq(dal_stmt_param_index(s, "c1"), 0);
	ck_assert_uint_eq(dal_stmt_param_index(s, "c2"), 0);
	CK_STMT(s, dal_stmt_bind_text(s, 1, "k", -1));
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 5);
	ck_assert_str_eq(dal_stmt_column_text(s, 1, &len), "?");
	ck_assert_uint_eq(len, 1);
	ck_assert_str_eq(dal_stmt_column_text(s, 2, NULL), ":lit");
	ck_assert_str_eq(dal_stmt_column_text(s, 3, NULL), "it's ?");
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	if (dl->cast_operator) {
		/* :: is a cast, not a parameter named :bigint. */
		s = prep(c, sqlf("SELECT %cq?:c%c::text FROM %s WHERE b = :b", dl->q, dl->q, t));
		ck_assert_uint_eq(dal_stmt_param_count(s), 1);
		ck_assert_uint_eq(dal_stmt_param_index(s, "b"), 1);
		CK_STMT(s, dal_stmt_bind_named_text(s, "b", "k", -1));
		CK_STEP(s, DAL_ROW);
		ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_TEXT);
		ck_assert_str_eq(dal_stmt_column_text(s, 0, NULL), "5");
		dal_stmt_close(s);
	}
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

static const struct conf_case cases[] = {
	CASE(test_placeholders_named_and_positional, 0, 0, 0),
	CASE(test_placeholders_skip_literals_identifiers_comments, 0, 0, 0),
	{NULL},
};

const struct conf_area conf_placeholders = {"placeholders", cases};
