/*
 * Conformance: the row helpers of <dal/rows.h>. Identifier quoting and
 * validation, insert returning the generated key, get/update/delete by
 * integer, text and composite keys, count and exists, bulk insert (all or
 * nothing), upsert, offset and keyset pages with a total; on tables and
 * columns whose names need quoting, with values that look like SQL.
 */
#include <stdio.h>
#include <string.h>

#include <dal/rows.h>

#include "common.h"

/* A unique table name that needs quoting: mixed case and a space. */
static const char *odd_table(char *raw, size_t rsize, char *quoted, size_t qsize,
                             dal_repo *r, const char *tag)
{
	char base[64];
	dal_error e;

	table_name(base, sizeof base, tag);
	snprintf(raw, rsize, "Row %s", base);
	CK_ERR(e, dal_ident_quote(r, raw, quoted, qsize, &e));
	return raw;
}

START_TEST(test_rows_ident_quote)
{
	dal_repo *r = open_repo();
	char buf[200], want[64], bad[8], longname[80];
	dal_error e;

	CK_ERR(e, dal_ident_quote(r, "select", buf, sizeof buf, &e));
	snprintf(want, sizeof want, "%cselect%c", dl->q, dl->q);
	ck_assert_str_eq(buf, want);
	CK_ERR(e, dal_ident_quote(r, "audit.Events", buf, sizeof buf, &e));
	snprintf(want, sizeof want, "%caudit%c.%cEvents%c", dl->q, dl->q, dl->q, dl->q);
	ck_assert_str_eq(buf, want);
	/* The backend's own quote character, empty parts, control characters
	 * and over-long names are refused, naming the identifier. */
	snprintf(bad, sizeof bad, "a%cb", dl->q);
	ck_assert_int_eq(dal_ident_quote(r, bad, buf, sizeof buf, &e), DAL_EMISUSE);
	ck_assert_msg(tu_contains(e.message, "quote character"), "%s", e.message);
	ck_assert_int_eq(dal_ident_quote(r, "", buf, sizeof buf, &e), DAL_EMISUSE);
	ck_assert_int_eq(dal_ident_quote(r, "a..b", buf, sizeof buf, &e), DAL_EMISUSE);
	ck_assert_int_eq(dal_ident_quote(r, "a\nb", buf, sizeof buf, &e), DAL_EMISUSE);
	ck_assert_msg(tu_contains(e.message, "control character"), "%s", e.message);
	memset(longname, 'n', 64);
	longname[64] = '\0';
	ck_assert_int_eq(dal_ident_quote(r, longname, buf, sizeof buf, &e), DAL_EMISUSE);
	longname[63] = '\0';
	CK_ERR(e, dal_ident_quote(r, longname, buf, sizeof buf, &e));
	/* Never truncated. */
	ck_assert_int_eq(dal_ident_quote(r, "abcdef", buf, 8, &e), DAL_ENOMEM);
	CK_ERR(e, dal_ident_quote(r, "abcdef", buf, 9, &e));
	dal_repo_close(r);
}
END_TEST

START_TEST(test_rows_int_key_crud)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char raw[128], t[160], cols[256];
	const char *nasty = "x'); DROP TABLE users; -- ? :name";
	int64_t id1, id2, n;
	dal_stmt *st;
	int found;

	odd_table(raw, sizeof raw, t, sizeof t, r, "ik");
	snprintf(cols, sizeof cols, "id %s, %cselect%c VARCHAR(100), %cUser Name%c VARCHAR(100)",
	         dl->serial, dl->q, dl->q, dl->q, dl->q);
	create_table(c, t, cols);
	{
		dal_field f[] = {DAL_FIELD_TEXT("select", "a"), DAL_FIELD_TEXT("User Name", nasty)};
		CK_CONN(c, dal_row_insert(c, raw, f, 2, "id", &id1));
		f[0] = DAL_FIELD_TEXT("select", "b");
		f[1] = DAL_FIELD_NULL("User Name");
		CK_CONN(c, dal_row_insert(c, raw, f, 2, "id", &id2));
		/* Without asking for the key. */
		f[0] = DAL_FIELD_TEXT("select", "c");
		CK_CONN(c, dal_row_insert(c, raw, f, 1, NULL, NULL));
	}
	ck_assert_int_gt(id1, 0);
	ck_assert_int_gt(id2, id1);
	/* The generated keys are the rows' keys. */
	{
		dal_field k = DAL_FIELD_INT64("id", id1);
		const char *want[] = {"User Name", "select"};
		ck_assert_int_eq(dal_row_get(c, raw, want, 2, &k, 1, &st), DAL_ROW);
		ck_assert_str_eq(dal_stmt_column_text(st, 0, NULL), nasty); /* bound, not spliced */
		ck_assert_str_eq(dal_stmt_column_text(st, 1, NULL), "a");
		dal_stmt_close(st);
		k.v.u.i = id2;
		ck_assert_int_eq(dal_row_get(c, raw, NULL, 0, &k, 1, &st), DAL_ROW);
		ck_assert_int_eq(dal_stmt_column_int64(st, 0), id2);
		ck_assert(dal_stmt_column_is_null(st, 2));
		dal_stmt_close(st);
	}
	CK_CONN(c, dal_row_count(c, raw, NULL, 0, &n));
	ck_assert_int_eq(n, 3);
	{
		/* A NULL in a condition matches IS NULL. */
		dal_field w[] = {DAL_FIELD_NULL("User Name")};
		CK_CONN(c, dal_row_count(c, raw, w, 1, &n));
		ck_assert_int_eq(n, 2);
	}
	{
		dal_field k = DAL_FIELD_INT64("id", id2);
		dal_field set[] = {DAL_FIELD_TEXT("select", "B"), DAL_FIELD_TEXT("User Name", "bee")};
		CK_CONN(c, dal_row_update(c, raw, &k, 1, set, 2, &n));
		ck_assert_int_eq(n, 1);
		ck_assert_int_eq(dal_row_get(c, raw, NULL, 0, &k, 1, &st), DAL_ROW);
		ck_assert_str_eq(dal_stmt_column_text(st, 1, NULL), "B");
		ck_assert_str_eq(dal_stmt_column_text(st, 2, NULL), "bee");
		dal_stmt_close(st);
		CK_CONN(c, dal_row_exists(c, raw, &k, 1, &found));
		ck_assert_int_eq(found, 1);
		CK_CONN(c, dal_row_delete(c, raw, &k, 1, &n));
		ck_assert_int_eq(n, 1);
		CK_CONN(c, dal_row_exists(c, raw, &k, 1, &found));
		ck_assert_int_eq(found, 0);
		st = POISON;
		ck_assert_int_eq(dal_row_get(c, raw, NULL, 0, &k, 1, &st), DAL_DONE);
		ck_assert_ptr_null(st);
		CK_CONN(c, dal_row_delete(c, raw, &k, 1, &n));
		ck_assert_int_eq(n, 0);
	}
	/* The table holds exactly what the helpers put there. */
	ck_assert_int_eq(query_int(c, sqlf("SELECT COUNT(*) FROM %s WHERE %cselect%c IN ('a', 'c')",
	                                   t, dl->q, dl->q)), 2);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_rows_text_and_composite_keys)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char raw[128], t[160], raw2[128], t2[160];
	int64_t n;
	dal_stmt *st;

	odd_table(raw, sizeof raw, t, sizeof t, r, "tk");
	create_table(c, t, "code VARCHAR(40) NOT NULL PRIMARY KEY, qty BIGINT, price DOUBLE PRECISION");
	{
		dal_field f[] = {DAL_FIELD_TEXT("code", "A-1"), DAL_FIELD_INT64("qty", 5),
		                 DAL_FIELD_DOUBLE("price", 2.5)};
		dal_field k = DAL_FIELD_TEXT("code", "A-1");
		dal_field set = DAL_FIELD_INT64("qty", 7);
		const char *key = "code";
		CK_CONN(c, dal_row_insert(c, raw, f, 3, NULL, NULL));
		CK_CONN(c, dal_row_update(c, raw, &k, 1, &set, 1, &n));
		ck_assert_int_eq(n, 1);
		ck_assert_int_eq(dal_row_get(c, raw, NULL, 0, &k, 1, &st), DAL_ROW);
		ck_assert_int_eq(dal_stmt_column_int64(st, 1), 7);
		dal_stmt_close(st);
		/* Upsert: an existing key updates... */
		f[1] = DAL_FIELD_INT64("qty", 9);
		f[2] = DAL_FIELD_DOUBLE("price", 3.25);
		CK_CONN(c, dal_row_upsert(c, raw, f, 3, &key, 1, NULL));
		/* ...a new one inserts. */
		f[0] = DAL_FIELD_TEXT("code", "B-2");
		CK_CONN(c, dal_row_upsert(c, raw, f, 3, &key, 1, NULL));
		CK_CONN(c, dal_row_count(c, raw, NULL, 0, &n));
		ck_assert_int_eq(n, 2);
		ck_assert_int_eq(dal_row_get(c, raw, NULL, 0, &k, 1, &st), DAL_ROW);
		ck_assert_int_eq(dal_stmt_column_int64(st, 1), 9);
		ck_assert(dal_stmt_column_double(st, 2) == 3.25);
		dal_stmt_close(st);
		/* Only key columns: insert if missing, else nothing. */
		CK_CONN(c, dal_row_upsert(c, raw, &k, 1, &key, 1, NULL));
		CK_CONN(c, dal_row_count(c, raw, NULL, 0, &n));
		ck_assert_int_eq(n, 2);
		CK_CONN(c, dal_row_delete(c, raw, &k, 1, &n));
		ck_assert_int_eq(n, 1);
	}
	drop_table(c, t);

	odd_table(raw2, sizeof raw2, t2, sizeof t2, r, "ck");
	create_table(c, t2, "tenant BIGINT NOT NULL, name VARCHAR(40) NOT NULL, v BIGINT, "
	                    "PRIMARY KEY (tenant, name)");
	{
		dal_field f[] = {DAL_FIELD_INT64("tenant", 1), DAL_FIELD_TEXT("name", "x"),
		                 DAL_FIELD_INT64("v", 10)};
		dal_field k[] = {DAL_FIELD_INT64("tenant", 2), DAL_FIELD_TEXT("name", "x")};
		const char *key[] = {"tenant", "name"};
		dal_field set = DAL_FIELD_INT64("v", 21);
		int found;

		CK_CONN(c, dal_row_insert(c, raw2, f, 3, NULL, NULL));
		f[0].v.u.i = 2;
		f[2].v.u.i = 20;
		CK_CONN(c, dal_row_insert(c, raw2, f, 3, NULL, NULL));
		CK_CONN(c, dal_row_update(c, raw2, k, 2, &set, 1, &n));
		ck_assert_int_eq(n, 1);
		ck_assert_int_eq(dal_row_get(c, raw2, NULL, 0, k, 2, &st), DAL_ROW);
		ck_assert_int_eq(dal_stmt_column_int64(st, 2), 21);
		dal_stmt_close(st);
		/* Upsert on the composite key. */
		f[2].v.u.i = 22;
		CK_CONN(c, dal_row_upsert(c, raw2, f, 3, key, 2, NULL));
		ck_assert_int_eq(dal_row_get(c, raw2, NULL, 0, k, 2, &st), DAL_ROW);
		ck_assert_int_eq(dal_stmt_column_int64(st, 2), 22);
		dal_stmt_close(st);
		CK_CONN(c, dal_row_delete(c, raw2, k, 2, &n));
		ck_assert_int_eq(n, 1);
		k[0].v.u.i = 1;
		CK_CONN(c, dal_row_exists(c, raw2, k, 2, &found));
		ck_assert_int_eq(found, 1);
		CK_CONN(c, dal_row_count(c, raw2, NULL, 0, &n));
		ck_assert_int_eq(n, 1);
	}
	drop_table(c, t2);
	close_conn(r, c);
}
END_TEST

START_TEST(test_rows_insert_many_all_or_nothing)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char raw[128], t[160];
	const char *cols[] = {"k", "label"};
	dal_param v[200];
	char labels[100][16];
	int64_t n;

	odd_table(raw, sizeof raw, t, sizeof t, r, "bulk");
	create_table(c, t, "k BIGINT NOT NULL PRIMARY KEY, label VARCHAR(20)");
	for (int i = 0; i < 100; i++) {
		snprintf(labels[i], sizeof labels[i], "row %d", i);
		v[2 * i] = DAL_PARAM_INT64(i);
		v[2 * i + 1] = i % 10 ? DAL_PARAM_TEXT(labels[i]) : DAL_PARAM_NULL;
	}
	CK_CONN(c, dal_row_insert_many(c, raw, cols, 2, v, 100, &n));
	ck_assert_int_eq(n, 100);
	CK_CONN(c, dal_row_count(c, raw, NULL, 0, &n));
	ck_assert_int_eq(n, 100);
	ck_assert_uint_eq(dal_conn_txn_depth(c), 0);
	/* A duplicate key in row 3: no row of the call stays. */
	v[0] = DAL_PARAM_INT64(1000);
	v[2] = DAL_PARAM_INT64(1001);
	v[4] = DAL_PARAM_INT64(5); /* exists */
	ck_assert_int_eq(dal_row_insert_many(c, raw, cols, 2, v, 3, &n), DAL_ECONSTRAINT);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "row 3 of 3"), "%s",
	              dal_conn_error(c)->message);
	ck_assert_int_eq(n, 0);
	ck_assert_uint_eq(dal_conn_txn_depth(c), 0);
	CK_CONN(c, dal_row_count(c, raw, NULL, 0, &n));
	ck_assert_int_eq(n, 100);
	/* Inside the caller's transaction: a nested unit; its failure leaves
	 * the caller's work in place. */
	CK_CONN(c, dal_conn_begin(c));
	{
		dal_field f[] = {DAL_FIELD_INT64("k", 2000), DAL_FIELD_TEXT("label", "outer")};
		CK_CONN(c, dal_row_insert(c, raw, f, 2, NULL, NULL));
	}
	ck_assert_int_eq(dal_row_insert_many(c, raw, cols, 2, v, 3, &n), DAL_ECONSTRAINT);
	ck_assert_uint_eq(dal_conn_txn_depth(c), 1);
	v[4] = DAL_PARAM_INT64(1002);
	CK_CONN(c, dal_row_insert_many(c, raw, cols, 2, v, 3, &n));
	CK_CONN(c, dal_conn_commit(c));
	CK_CONN(c, dal_row_count(c, raw, NULL, 0, &n));
	ck_assert_int_eq(n, 104);
	/* A column of mixed types is no batch column: row at a time, with the
	 * same all-or-nothing rule. */
	v[0] = DAL_PARAM_INT64(3000);
	v[1] = DAL_PARAM_INT64(17); /* a number into the text column */
	v[2] = DAL_PARAM_INT64(3001);
	v[3] = DAL_PARAM_TEXT("text");
	CK_CONN(c, dal_row_insert_many(c, raw, cols, 2, v, 2, &n));
	ck_assert_int_eq(n, 2);
	v[2] = DAL_PARAM_INT64(3000); /* exists now */
	ck_assert_int_eq(dal_row_insert_many(c, raw, cols, 2, v, 2, &n), DAL_ECONSTRAINT);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "row 1 of 2"), "%s",
	              dal_conn_error(c)->message);
	CK_CONN(c, dal_row_count(c, raw, NULL, 0, &n));
	ck_assert_int_eq(n, 106);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

/* Read a page of (id) into ids; returns the count. */
static int page(dal_stmt *st, int64_t *ids, int max)
{
	int n = 0, rc;

	while ((rc = dal_stmt_step(st)) == DAL_ROW) {
		ck_assert_int_lt(n, max);
		ids[n++] = dal_stmt_column_int64(st, 0);
	}
	ck_assert_int_eq(rc, DAL_DONE);
	dal_stmt_close(st);
	return n;
}

START_TEST(test_rows_list_offset_and_keyset)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char raw[128], t[160];
	const char *cols[] = {"id", "grp", "Order"};
	const char *by_id[] = {"id"};
	const char *by_grp[] = {"grp", "id"};
	dal_param v[75];
	int64_t ids[20], total, seen[40];
	int nseen = 0;
	dal_stmt *st;

	odd_table(raw, sizeof raw, t, sizeof t, r, "page");
	create_table(c, t, sqlf("id BIGINT NOT NULL PRIMARY KEY, grp BIGINT, %cOrder%c BIGINT",
	                        dl->q, dl->q));
	/* 25 rows, ids 1..25 inserted out of order; grp = id % 3. */
	for (int i = 0; i < 25; i++) {
		int id = (i * 7) % 25 + 1;
		v[3 * i] = DAL_PARAM_INT64(id);
		v[3 * i + 1] = DAL_PARAM_INT64(id % 3);
		v[3 * i + 2] = DAL_PARAM_INT64(100 - id);
	}
	CK_CONN(c, dal_row_insert_many(c, raw, cols, 3, v, 25, NULL));

	/* Offset pages of 10, with the total. */
	{
		dal_list_opts o = {.order_by = by_id, .n_order = 1, .limit = 10, .want_total = 1};
		o.columns = cols;
		o.n_columns = 1;
		for (int p = 0; p < 3; p++) {
			int n;
			o.offset = p * 10;
			total = -1;
			CK_CONN(c, dal_row_list(c, raw, &o, &st, &total));
			ck_assert_int_eq(total, 25);
			n = page(st, ids, 20);
			ck_assert_int_eq(n, p < 2 ? 10 : 5);
			for (int i = 0; i < n; i++)
				ck_assert_int_eq(ids[i], p * 10 + i + 1);
		}
	}
	/* Keyset pages on (grp, id) descending, filtered; a row inserted
	 * before the current position does not shift the pages. */
	{
		dal_list_opts o = {.columns = cols, .n_columns = 2, .order_by = by_grp,
		                   .n_order = 2, .descending = 1, .limit = 4};
		dal_param after[2];
		int64_t prev_grp = 1000, prev_id = 1000;
		for (;;) {
			int n = 0, rc;
			CK_CONN(c, dal_row_list(c, raw, &o, &st, NULL));
			while ((rc = dal_stmt_step(st)) == DAL_ROW) {
				int64_t id = dal_stmt_column_int64(st, 0), g = dal_stmt_column_int64(st, 1);
				/* Strictly descending on (grp, id): no row twice. */
				ck_assert(g < prev_grp || (g == prev_grp && id < prev_id));
				prev_grp = g;
				prev_id = id;
				ck_assert_int_lt(nseen, 40);
				seen[nseen++] = id;
				n++;
			}
			ck_assert_int_eq(rc, DAL_DONE);
			dal_stmt_close(st);
			if (n == 0)
				break;
			if (nseen == 8) {
				/* Sorts before the next page (grp 2 first): not seen. */
				dal_field f[] = {DAL_FIELD_INT64("id", 101), DAL_FIELD_INT64("grp", 2),
				                 DAL_FIELD_INT64("Order", 0)};
				CK_CONN(c, dal_row_insert(c, raw, f, 3, NULL, NULL));
			}
			after[0] = DAL_PARAM_INT64(prev_grp);
			after[1] = DAL_PARAM_INT64(prev_id);
			o.after = after;
		}
		ck_assert_int_eq(nseen, 25);
		for (int i = 0; i < nseen; i++)
			ck_assert_int_ne(seen[i], 101);
	}
	/* A filter and its total. */
	{
		dal_field w = DAL_FIELD_INT64("grp", 0);
		dal_param after = DAL_PARAM_INT64(12);
		dal_list_opts o = {.columns = cols, .n_columns = 1, .where = &w, .n_where = 1,
		                   .order_by = by_id, .n_order = 1, .limit = 100, .after = &after,
		                   .want_total = 1};
		int n;
		CK_CONN(c, dal_row_list(c, raw, &o, &st, &total));
		ck_assert_int_eq(total, 8); /* 3, 6, ..., 24 */
		n = page(st, ids, 20);
		ck_assert_int_eq(n, 4); /* 15, 18, 21, 24 */
		ck_assert_int_eq(ids[0], 15);
		ck_assert_int_eq(ids[3], 24);
	}
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_rows_misuse_errors)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char raw[128], t[160], bad[16];
	const char *by_id[] = {"id"};
	dal_field f = DAL_FIELD_INT64("id", 1);
	dal_param after = DAL_PARAM_INT64(1), null_after = DAL_PARAM_NULL;
	dal_stmt *st;
	int64_t n;

	odd_table(raw, sizeof raw, t, sizeof t, r, "bad");
	create_table(c, t, "id BIGINT NOT NULL PRIMARY KEY");
	ck_assert_int_eq(dal_row_insert(c, NULL, &f, 1, NULL, NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_row_insert(c, raw, &f, 0, NULL, NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_row_update(c, raw, &f, 1, &f, 0, NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_row_delete(c, raw, NULL, 0, NULL), DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "key fields"), "%s",
	              dal_conn_error(c)->message);
	/* A column name with the backend's quote in it never reaches SQL. */
	snprintf(bad, sizeof bad, "id%c; --", dl->q);
	{
		dal_field g = DAL_FIELD_INT64(bad, 1);
		ck_assert_int_eq(dal_row_insert(c, raw, &g, 1, NULL, NULL), DAL_EMISUSE);
		ck_assert_msg(tu_contains(dal_conn_error(c)->message, "invalid identifier"), "%s",
		              dal_conn_error(c)->message);
	}
	{
		const char *k = "nope";
		ck_assert_int_eq(dal_row_upsert(c, raw, &f, 1, &k, 1, NULL), DAL_EMISUSE);
		ck_assert_msg(tu_contains(dal_conn_error(c)->message, "'nope'"), "%s",
		              dal_conn_error(c)->message);
	}
	{
		dal_list_opts o = {.order_by = by_id, .n_order = 1, .limit = 0};
		ck_assert_int_eq(dal_row_list(c, raw, &o, &st, NULL), DAL_EMISUSE);
		o.limit = 5;
		o.n_order = 0;
		ck_assert_int_eq(dal_row_list(c, raw, &o, &st, NULL), DAL_EMISUSE);
		ck_assert_msg(tu_contains(dal_conn_error(c)->message, "order_by"), "%s",
		              dal_conn_error(c)->message);
		o.n_order = 1;
		o.offset = 3;
		o.after = &after;
		ck_assert_int_eq(dal_row_list(c, raw, &o, &st, NULL), DAL_EMISUSE);
		o.offset = 0;
		o.after = &null_after;
		ck_assert_int_eq(dal_row_list(c, raw, &o, &st, NULL), DAL_EMISUSE);
		o.after = NULL;
		o.want_total = 1;
		ck_assert_int_eq(dal_row_list(c, raw, &o, &st, NULL), DAL_EMISUSE);
	}
	/* A missing table is the server's error, as for any statement. */
	ck_assert_int_eq(dal_row_count(c, "no_such_table_dal", NULL, 0, &n), DAL_ENOTFOUND);
	/* The connection is fine afterwards. */
	CK_CONN(c, dal_row_insert(c, raw, &f, 1, NULL, NULL));
	CK_CONN(c, dal_row_count(c, raw, NULL, 0, &n));
	ck_assert_int_eq(n, 1);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST


START_TEST(test_rows_more_misuse_and_failures)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char raw[128], t[160];
	const char *missing = "no_such_table_dal";
	const char *cols_null[] = {"id", NULL};
	const char *by_id[] = {"id"};
	dal_field f = DAL_FIELD_INT64("id", 1);
	dal_field badtype = {"id", {(dal_type)99, {0}}};
	dal_param p1 = DAL_PARAM_INT64(1);
	dal_stmt *st;
	int64_t n;
	int found;

	odd_table(raw, sizeof raw, t, sizeof t, r, "more");
	create_table(c, t, sqlf("id BIGINT NOT NULL PRIMARY KEY, flag BOOLEAN, data %s", dl->blob));
	ck_assert_int_eq(dal_row_insert(NULL, raw, &f, 1, NULL, NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_row_insert(c, raw, NULL, 1, NULL, NULL), DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "is NULL with a count"), "%s",
	              dal_conn_error(c)->message);
	ck_assert_int_eq(dal_row_get(c, raw, cols_null, 2, &f, 1, &st), DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "column name is NULL"), "%s",
	              dal_conn_error(c)->message);
	ck_assert_int_eq(dal_row_get(c, raw, NULL, 0, &f, 1, NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_row_count(c, raw, NULL, 0, NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_row_exists(c, raw, NULL, 0, NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_row_insert_many(c, raw, by_id, 1, NULL, 3, NULL), DAL_EMISUSE);
	CK_CONN(c, dal_row_insert_many(c, raw, by_id, 1, &p1, 0, &n));
	ck_assert_int_eq(n, 0);
	/* A value of no known type is refused at bind, by every helper. */
	ck_assert_int_eq(dal_row_insert(c, raw, &badtype, 1, NULL, NULL), DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "invalid type"), "%s",
	              dal_conn_error(c)->message);
	ck_assert_int_eq(dal_row_update(c, raw, &f, 1, &badtype, 1, &n), DAL_EMISUSE);
	ck_assert_int_eq(dal_row_delete(c, raw, &badtype, 1, &n), DAL_EMISUSE);
	ck_assert_int_eq(dal_row_get(c, raw, NULL, 0, &badtype, 1, &st), DAL_EMISUSE);
	ck_assert_int_eq(dal_row_count(c, raw, &badtype, 1, &n), DAL_EMISUSE);
	{
		const char *k = "id";
		ck_assert_int_eq(dal_row_upsert(c, raw, &badtype, 1, &k, 1, &n), DAL_EMISUSE);
	}
	{
		dal_list_opts o = {.order_by = by_id, .n_order = 1, .limit = 5, .where = &badtype,
		                   .n_where = 1};
		ck_assert_int_eq(dal_row_list(c, raw, &o, &st, NULL), DAL_EMISUSE);
		o.where = NULL;
		o.n_where = 0;
		ck_assert_int_eq(dal_row_list(c, raw, &o, NULL, NULL), DAL_EMISUSE);
		o.offset = -1;
		ck_assert_int_eq(dal_row_list(c, raw, &o, &st, NULL), DAL_EMISUSE);
		o.offset = 0;
		/* A missing table: the server's error, from each helper. */
		ck_assert_int_eq(dal_row_list(c, missing, &o, &st, NULL), DAL_ENOTFOUND);
		o.want_total = 1;
		ck_assert_int_eq(dal_row_list(c, missing, &o, &st, &n), DAL_ENOTFOUND);
	}
	ck_assert_int_eq(dal_row_insert(c, missing, &f, 1, NULL, NULL), DAL_ENOTFOUND);
	ck_assert_int_eq(dal_row_update(c, missing, &f, 1, &f, 1, &n), DAL_ENOTFOUND);
	ck_assert_int_eq(dal_row_delete(c, missing, &f, 1, &n), DAL_ENOTFOUND);
	ck_assert_int_eq(dal_row_get(c, missing, NULL, 0, &f, 1, &st), DAL_ENOTFOUND);
	ck_assert_int_eq(dal_row_exists(c, missing, NULL, 0, &found), DAL_ENOTFOUND);
	ck_assert_int_eq(dal_row_insert_many(c, missing, by_id, 1, &p1, 1, &n), DAL_ENOTFOUND);
	ck_assert_uint_eq(dal_conn_txn_depth(c), 0); /* its transaction was rolled back */
	if (conf.have & NEED_UPSERT) {
		const char *k = "id";
		ck_assert_int_eq(dal_row_upsert(c, missing, &f, 1, &k, 1, &n), DAL_ENOTFOUND);
	}
	/* Booleans and blobs go through the helpers too; every column listed
	 * when none are named. */
	{
		dal_field row[] = {DAL_FIELD_INT64("id", 7), DAL_FIELD_BOOL("flag", 1),
		                   DAL_FIELD_BLOB("data", "\0\1\2", 3)};
		dal_list_opts o = {.order_by = by_id, .n_order = 1, .limit = 5};
		size_t len;
		const unsigned char *b;

		CK_CONN(c, dal_row_insert(c, raw, row, 3, NULL, NULL));
		CK_CONN(c, dal_row_list(c, raw, &o, &st, NULL));
		CK_STEP(st, DAL_ROW);
		ck_assert_int_eq(dal_stmt_column_count(st), 3);
		ck_assert_int_eq(dal_stmt_column_bool(st, 1), 1);
		b = dal_stmt_column_blob(st, 2, &len);
		ck_assert_uint_eq(len, 3);
		ck_assert(b[0] == 0 && b[1] == 1 && b[2] == 2);
		CK_STEP(st, DAL_DONE);
		dal_stmt_close(st);
	}
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_rows_bind_param_and_quote_misuse)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_param bad_blob = {DAL_TYPE_BLOB, {.b = {NULL, 4}}};
	dal_param bad_text = {DAL_TYPE_TEXT, {.b = {NULL, -1}}};
	dal_param t = DAL_PARAM_BOOL(1), d = DAL_PARAM_DOUBLE(2.5);
	dal_stmt *st = prep(c, "SELECT ?, ?");
	char buf[16];
	dal_error e;

	ck_assert_int_eq(dal_stmt_bind_param(NULL, 1, &t), DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_bind_param(st, 1, NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_bind_param(st, 1, &bad_blob), DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_bind_param(st, 1, &bad_text), DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_stmt_error(st)->message, "NULL pointer"), "%s",
	              dal_stmt_error(st)->message);
	CK_STMT(st, dal_stmt_bind_param(st, 1, &t));
	CK_STMT(st, dal_stmt_bind_param(st, 2, &d));
	CK_STEP(st, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_bool(st, 0), 1);
	ck_assert(dal_stmt_column_double(st, 1) == 2.5);
	dal_stmt_close(st);
	ck_assert_int_eq(dal_ident_quote(NULL, "t", buf, sizeof buf, &e), DAL_EMISUSE);
	ck_assert_int_eq(dal_ident_quote(r, NULL, buf, sizeof buf, &e), DAL_EMISUSE);
	ck_assert_int_eq(dal_ident_quote(r, "t", NULL, 0, NULL), DAL_EMISUSE);
	close_conn(r, c);
}
END_TEST

static const struct conf_case cases[] = {
	CASE(test_rows_ident_quote, 0, 0, 0),
	/* The generated key: RETURNING or a last insert id. */
	CASE(test_rows_int_key_crud, 0, 0, NEED_GENERATED_KEY),
	CASE(test_rows_text_and_composite_keys, 0, 0, NEED_UPSERT),
	CASE(test_rows_insert_many_all_or_nothing, DAL_CAP_TRANSACTIONS | DAL_CAP_SAVEPOINTS, 0, 0),
	CASE(test_rows_list_offset_and_keyset, DAL_CAP_TRANSACTIONS, 0, 0),
	CASE(test_rows_misuse_errors, 0, 0, 0),
	CASE(test_rows_more_misuse_and_failures, DAL_CAP_TRANSACTIONS, 0, 0),
	CASE(test_rows_bind_param_and_quote_misuse, 0, 0, 0),
	{NULL},
};

const struct conf_area conf_rows = {"rows", cases};
