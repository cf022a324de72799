/*
 * Conformance: value types. Round trips of every dal_type through bound
 * parameters and back: 64-bit integers at the extremes, doubles bit for bit,
 * UTF-8 and large text, blobs up to 1 MiB with NUL bytes, booleans, and NULL
 * for each.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"

START_TEST(test_type_int64_roundtrip)
{
	static const int64_t vals[] = {INT64_MIN, INT64_MAX, 0, -1, 1, 4294967296LL};
	const size_t n = sizeof vals / sizeof vals[0];
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_stmt *s;
	char t[64];

	table_name(t, sizeof t, "i64");
	create_table(c, t, "k BIGINT, v BIGINT");
	s = prep(c, sqlf("INSERT INTO %s (k, v) VALUES (?, ?)", t));
	for (size_t i = 0; i <= n; i++) {
		CK_STMT(s, dal_stmt_bind_int64(s, 1, (int64_t)i));
		if (i < n)
			CK_STMT(s, dal_stmt_bind_int64(s, 2, vals[i]));
		else
			CK_STMT(s, dal_stmt_bind_null(s, 2));
		CK_STEP(s, DAL_DONE);
		CK_STMT(s, dal_stmt_reset(s));
	}
	dal_stmt_close(s);

	s = prep(c, sqlf("SELECT v FROM %s ORDER BY k", t));
	for (size_t i = 0; i < n; i++) {
		CK_STEP(s, DAL_ROW);
		ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_INT64);
		ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 0);
		ck_assert_int_eq(dal_stmt_column_int64(s, 0), vals[i]);
	}
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_NULL);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 1);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 0);
	ck_assert_ptr_null(dal_stmt_column_text(s, 0, NULL));
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	/* Bound parameters compare exactly at the extremes. */
	s = prep(c, sqlf("SELECT k FROM %s WHERE v = ?", t));
	CK_STMT(s, dal_stmt_bind_int64(s, 1, INT64_MIN));
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 0);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_type_double_roundtrip)
{
	static const double vals[] = {0.0, 1e308, -1e308, 0.1, -2.5, 123456789.125,
	                              2.2250738585072014e-308, 3.141592653589793};
	const size_t n = sizeof vals / sizeof vals[0];
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_stmt *s;
	char t[64];

	table_name(t, sizeof t, "dbl");
	create_table(c, t, "k BIGINT, v DOUBLE PRECISION");
	s = prep(c, sqlf("INSERT INTO %s (k, v) VALUES (?, ?)", t));
	for (size_t i = 0; i <= n; i++) {
		CK_STMT(s, dal_stmt_bind_int64(s, 1, (int64_t)i));
		if (i < n)
			CK_STMT(s, dal_stmt_bind_double(s, 2, vals[i]));
		else
			CK_STMT(s, dal_stmt_bind_null(s, 2));
		CK_STEP(s, DAL_DONE);
	}
	dal_stmt_close(s);

	s = prep(c, sqlf("SELECT v FROM %s ORDER BY k", t));
	for (size_t i = 0; i < n; i++) {
		CK_STEP(s, DAL_ROW);
		ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_DOUBLE);
		/* Exact: no decimal round trip may lose a bit. */
		ck_assert_msg(dal_stmt_column_double(s, 0) == vals[i], "row %zu: %.17g != %.17g",
		              i, dal_stmt_column_double(s, 0), vals[i]);
	}
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 1);
	ck_assert(dal_stmt_column_double(s, 0) == 0.0);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_type_text_roundtrip)
{
	const char *utf8 = "\xc5\xbelu\xc5\xa5ou\xc4\x8dk\xc3\xbd k\xc5\xaf\xc5\x88 "
	                   "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x90\x98";
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char t[64], *big;
	const char *got;
	dal_stmt *s;
	size_t len;

	big = malloc(20001);
	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < 20000; i++)
		big[i] = (char)('a' + i % 26);
	big[20000] = '\0';

	table_name(t, sizeof t, "txt");
	create_table(c, t, "k BIGINT, v TEXT");
	s = prep(c, sqlf("INSERT INTO %s (k, v) VALUES (?, ?)", t));
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 1));
	CK_STMT(s, dal_stmt_bind_text(s, 2, "", 0));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 2));
	CK_STMT(s, dal_stmt_bind_text(s, 2, NULL, -1));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 3));
	CK_STMT(s, dal_stmt_bind_text(s, 2, utf8, -1));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 4));
	CK_STMT(s, dal_stmt_bind_text(s, 2, "it's \"quoted\" \\ back;slash", -1));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 5));
	CK_STMT(s, dal_stmt_bind_text(s, 2, big, 20000));
	/* The caller's buffer may change right after bind. */
	big[0] = 'Z';
	CK_STEP(s, DAL_DONE);
	big[0] = 'a';
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 6));
	CK_STMT(s, dal_stmt_bind_null(s, 2));
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	s = prep(c, sqlf("SELECT v FROM %s ORDER BY k", t));
	CK_STEP(s, DAL_ROW); /* '' is not NULL */
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_TEXT);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 0);
	got = dal_stmt_column_text(s, 0, &len);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, "");
	ck_assert_uint_eq(len, 0);
	CK_STEP(s, DAL_ROW); /* a NULL string pointer binds NULL */
	ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 1);
	ck_assert_ptr_null(dal_stmt_column_text(s, 0, NULL));
	CK_STEP(s, DAL_ROW);
	got = dal_stmt_column_text(s, 0, &len);
	ck_assert_str_eq(got, utf8);
	ck_assert_uint_eq(len, strlen(utf8));
	CK_STEP(s, DAL_ROW);
	ck_assert_str_eq(dal_stmt_column_text(s, 0, NULL), "it's \"quoted\" \\ back;slash");
	CK_STEP(s, DAL_ROW);
	got = dal_stmt_column_text(s, 0, &len);
	ck_assert_uint_eq(len, 20000);
	ck_assert_int_eq(memcmp(got, big, 20000), 0);
	ck_assert_int_eq(got[len], '\0');
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_NULL);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	/* UTF-8 compares equal as a bound parameter too. */
	s = prep(c, sqlf("SELECT k FROM %s WHERE v = ?", t));
	CK_STMT(s, dal_stmt_bind_text(s, 1, utf8, -1));
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 3);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	free(big);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_type_blob_roundtrip)
{
	const size_t size = 1024 * 1024;
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	unsigned char *data;
	const void *got;
	dal_stmt *s;
	char t[64];
	size_t len;

	data = malloc(size);
	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < size; i++)
		data[i] = (unsigned char)(i ^ (i >> 8));

	table_name(t, sizeof t, "blob");
	create_table(c, t, sqlf("k BIGINT, v %s", dl->blob));
	s = prep(c, sqlf("INSERT INTO %s (k, v) VALUES (?, ?)", t));
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 1));
	CK_STMT(s, dal_stmt_bind_blob(s, 2, data, size));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 2));
	CK_STMT(s, dal_stmt_bind_blob(s, 2, "", 0));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 3));
	CK_STMT(s, dal_stmt_bind_null(s, 2));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 4));
	CK_STMT(s, dal_stmt_bind_blob(s, 2, "\0\x01\xff\0", 4));
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	s = prep(c, sqlf("SELECT v FROM %s ORDER BY k", t));
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_BLOB);
	got = dal_stmt_column_blob(s, 0, &len);
	ck_assert_uint_eq(len, size);
	ck_assert_msg(memcmp(got, data, size) == 0, "1 MiB blob came back different");
	CK_STEP(s, DAL_ROW); /* empty blob: not NULL, zero length */
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_BLOB);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 0);
	len = 99;
	dal_stmt_column_blob(s, 0, &len);
	ck_assert_uint_eq(len, 0);
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 1);
	len = 99;
	ck_assert_ptr_null(dal_stmt_column_blob(s, 0, &len));
	ck_assert_uint_eq(len, 0);
	CK_STEP(s, DAL_ROW);
	got = dal_stmt_column_blob(s, 0, &len);
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(memcmp(got, "\0\x01\xff\0", 4), 0);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	free(data);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_type_bool_roundtrip)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_stmt *s;
	dal_type ty;
	char t[64];

	table_name(t, sizeof t, "bool");
	create_table(c, t, "k BIGINT, v BOOLEAN");
	s = prep(c, sqlf("INSERT INTO %s (k, v) VALUES (?, ?)", t));
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 1));
	CK_STMT(s, dal_stmt_bind_bool(s, 2, 1));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 2));
	CK_STMT(s, dal_stmt_bind_bool(s, 2, 0));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 3));
	CK_STMT(s, dal_stmt_bind_bool(s, 2, 42)); /* any non-zero is true */
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 4));
	CK_STMT(s, dal_stmt_bind_null(s, 2));
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	s = prep(c, sqlf("SELECT v FROM %s ORDER BY k", t));
	CK_STEP(s, DAL_ROW);
	/* MySQL has no boolean type (BOOLEAN is TINYINT(1)). */
	ty = dal_stmt_column_type(s, 0);
	ck_assert_msg(ty == DAL_TYPE_BOOL || (dl->bool_is_integer && ty == DAL_TYPE_INT64),
	              "BOOLEAN column read as type %d", (int)ty);
	ck_assert_int_eq(dal_stmt_column_bool(s, 0), 1);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 1);
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_bool(s, 0), 0);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 0);
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_bool(s, 0), 1);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 1);
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 1);
	ck_assert_int_eq(dal_stmt_column_bool(s, 0), 0);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	/* A bool parameter filters a boolean column. */
	s = prep(c, sqlf("SELECT COUNT(*) FROM %s WHERE v = ?", t));
	CK_STMT(s, dal_stmt_bind_bool(s, 1, 1));
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 2);
	dal_stmt_close(s);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

static const struct conf_case cases[] = {
	CASE(test_type_int64_roundtrip, 0, 0, 0),
	CASE(test_type_double_roundtrip, 0, 0, 0),
	CASE(test_type_text_roundtrip, 0, 0, 0),
	CASE(test_type_blob_roundtrip, 0, 0, 0),
	CASE(test_type_bool_roundtrip, 0, 0, 0),
	{NULL},
};

const struct conf_area conf_types = {"types", cases};
