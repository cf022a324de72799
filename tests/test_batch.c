/*
 * Check suite for batch execution (dal_stmt_execute_batch()), pipelines
 * (dal_conn_pipeline()) and zero-copy binds (dal_stmt_bind_text_static(),
 * dal_stmt_bind_blob_static()), on
 * every backend through the public API: SQLite (a temporary file), MariaDB
 * and PostgreSQL (DAL_TEST_MYSQL_URL, DAL_TEST_PGSQL_URL; a backend without
 * its URL is skipped with a line saying so) and the core's fallback loop
 * through the test plugin with the required slots only
 * (tests/plugins/minimal.c).
 *
 * Each case runs once per backend (loop index: enum be).
 */
#define _GNU_SOURCE
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dal/dal.h>

#include "testutil.h"

enum be { BE_SQLITE, BE_MYSQL, BE_PGSQL, BE__COUNT };
static const char *const be_names[BE__COUNT] = {"sqlite", "mysql", "pgsql"};
static char *tmpdir;

static const char *create_sql[BE__COUNT] = {
	"CREATE TABLE dal_batch_t (id INTEGER PRIMARY KEY, name TEXT, score DOUBLE, "
	"ok BOOLEAN, data BLOB)",
	"CREATE TABLE dal_batch_t (id BIGINT PRIMARY KEY, name TEXT, score DOUBLE, "
	"ok BOOLEAN, data LONGBLOB) ENGINE=InnoDB",
	"CREATE TABLE dal_batch_t (id BIGINT PRIMARY KEY, name TEXT, score DOUBLE PRECISION, "
	"ok BOOLEAN, data BYTEA)",
};

/* The repository of backend b, or NULL (the case is then skipped). */
static dal_repo *open_be(int b)
{
	char url[4200];

	snprintf(url, sizeof url, "sqlite:///%s/batch.db", tmpdir);
	return tu_backend_open(be_names[b], url, NULL);
}

/* A case's connection to r (backend b), with dal_batch_t created anew. */
static dal_conn *start(dal_repo *r, int b)
{
	dal_conn *c = tu_conn_acquire(r);

	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_batch_t", NULL);
	tu_conn_exec(c, create_sql[b]);
	return c;
}

/* The end of a case: dal_batch_t dropped, c released, r closed. */
static void finish(dal_repo *r, dal_conn *c)
{
	dal_conn_exec(c, "DROP TABLE dal_batch_t", NULL);
	dal_conn_release(c);
	dal_repo_close(r);
}

static int64_t count(dal_conn *c)
{
	return tu_conn_int64(c, "SELECT COUNT(*) FROM dal_batch_t");
}

/* The columns of n rows: id i, name "name-i" (NULL every 7th row, by a
 * NULL pointer), score i/4 (NULL every 5th row, by the nulls flags), ok
 * i odd, data i % 256 bytes of value i & 0xff (an empty blob for 0). */
struct rows {
	size_t n;
	int64_t *id;
	double *score;
	int *ok;
	char **name;
	size_t *name_len;
	void **data;
	size_t *data_len;
	unsigned char *score_null;
	dal_batch_column cols[5];
};

static void rows_make(struct rows *w, size_t n, size_t blob)
{
	memset(w, 0, sizeof *w);
	w->n = n;
	w->id = calloc(n, sizeof *w->id);
	w->score = calloc(n, sizeof *w->score);
	w->ok = calloc(n, sizeof *w->ok);
	w->name = calloc(n, sizeof *w->name);
	w->name_len = calloc(n, sizeof *w->name_len);
	w->data = calloc(n, sizeof *w->data);
	w->data_len = calloc(n, sizeof *w->data_len);
	w->score_null = calloc(n, 1);
	for (size_t i = 0; i < n; i++) {
		w->id[i] = (int64_t)i;
		w->score[i] = (double)i / 4;
		w->score_null[i] = i % 5 == 0;
		w->ok[i] = (int)(i & 1);
		if (i % 11 == 5) {
			/* What COPY's text format escapes (PostgreSQL sends
			 * plain INSERT batches by COPY). */
			ck_assert_int_ge(asprintf(&w->name[i], "t\tn\nb\\r\r\\N %zu#", i), 0);
			w->name_len[i] = strlen(w->name[i]) - 1;
		} else if (i % 7 != 3) {
			/* Not NUL-terminated where the lengths say so: a
			 * trailing '#' that is not part of the value. */
			ck_assert_int_ge(asprintf(&w->name[i], "name-%zu#", i), 0);
			w->name_len[i] = strlen(w->name[i]) - 1;
		}
		w->data_len[i] = blob ? blob : i % 256;
		w->data[i] = malloc(w->data_len[i] + 1);
		memset(w->data[i], (int)(i & 0xff), w->data_len[i]);
	}
	w->cols[0] = (dal_batch_column){DAL_TYPE_INT64, w->id, NULL, NULL};
	w->cols[1] = (dal_batch_column){DAL_TYPE_TEXT, w->name, w->name_len, NULL};
	w->cols[2] = (dal_batch_column){DAL_TYPE_DOUBLE, w->score, NULL, w->score_null};
	w->cols[3] = (dal_batch_column){DAL_TYPE_BOOL, w->ok, NULL, NULL};
	w->cols[4] = (dal_batch_column){DAL_TYPE_BLOB, w->data, w->data_len, NULL};
}

static void rows_free(struct rows *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->name[i]);
		free(w->data[i]);
	}
	free(w->id);
	free(w->score);
	free(w->ok);
	free(w->name);
	free(w->name_len);
	free(w->data);
	free(w->data_len);
	free(w->score_null);
}

static const char insert_sql[] =
	"INSERT INTO dal_batch_t (id, name, score, ok, data) VALUES (?, ?, ?, ?, ?)";

/* Read the table back and compare every value with w (ids offset by
 * first). */
static void check_rows(dal_conn *c, const struct rows *w, size_t first, size_t n)
{
	dal_stmt *s;
	size_t i = first, len;
	int rc;

	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT id, name, score, ok, data FROM dal_batch_t "
	                                     "ORDER BY id", &s), DAL_OK);
	while ((rc = dal_stmt_step(s)) == DAL_ROW) {
		const char *t;
		const void *p;

		ck_assert_int_eq(dal_stmt_column_int64(s, 0), (int64_t)i);
		t = dal_stmt_column_text(s, 1, &len);
		if (!w->name[i]) {
			ck_assert_msg(t == NULL, "row %zu: name should be NULL", i);
		} else {
			ck_assert_msg(t && len == w->name_len[i] &&
			              memcmp(t, w->name[i], len) == 0,
			              "row %zu: name '%s'", i, t ? t : "(null)");
		}
		if (w->score_null[i])
			ck_assert_msg(dal_stmt_column_is_null(s, 2), "row %zu: score not NULL", i);
		else
			ck_assert(dal_stmt_column_double(s, 2) == w->score[i]);
		ck_assert_int_eq(dal_stmt_column_bool(s, 3), w->ok[i]);
		p = dal_stmt_column_blob(s, 4, &len);
		ck_assert_msg(!dal_stmt_column_is_null(s, 4), "row %zu: data is NULL", i);
		ck_assert_uint_eq(len, w->data_len[i]);
		if (len)
			ck_assert_int_eq(memcmp(p, w->data[i], len), 0);
		i++;
	}
	ck_assert_int_eq(rc, DAL_DONE);
	ck_assert_uint_eq(i - first, n);
	dal_stmt_close(s);
}

/* Every row and every type arrives, NULLs both ways, text by length; the
 * rows affected are counted, in telemetry too. */
START_TEST(test_batch_inserts_every_row_and_type)
{
	dal_repo *r = open_be(_i);
	struct rows w;
	dal_op_stats st;
	dal_conn *c;
	dal_stmt *s;
	int64_t affected = -1;
	size_t failed = 0;
	int rc;

	if (!r)
		return;
	c = start(r, _i);
	rows_make(&w, 1000, 0);
	dal_repo_stats_reset(r);
	ck_assert_int_eq(dal_stmt_prepare(c, insert_sql, &s), DAL_OK);
	rc = dal_stmt_execute_batch(s, w.cols, 5, w.n, &affected, &failed);
	ck_assert_msg(rc == DAL_OK, "%s: %s", be_names[_i], dal_stmt_error(s)->message);
	ck_assert_int_eq(affected, 1000);
	ck_assert_uint_eq(failed, (size_t)-1);
	ck_assert_int_eq(dal_stmt_rows_affected(s), 1000);
	ck_assert_int_eq(dal_repo_stats(r, DAL_OP_BATCH, &st), DAL_OK);
	ck_assert_uint_eq(st.calls, 1);
	ck_assert_uint_eq(st.rows, 1000);
	ck_assert_uint_eq(st.rows_affected, 1000);
	ck_assert_uint_eq(st.errors, 0);
	/* Committed: visible on another connection. */
	{
		dal_conn *c2 = tu_conn_acquire(r);
		ck_assert_int_eq(count(c2), 1000);
		dal_conn_release(c2);
	}
	check_rows(c, &w, 0, 1000);

	/* The statement is usable row by row afterwards, bound again. */
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 5000), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_text(s, 2, "single", -1), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_null(s, 3), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_bool(s, 4, 1), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_blob(s, 5, "x", 1), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
	ck_assert_int_eq(dal_stmt_rows_affected(s), 1);
	ck_assert_int_eq(count(c), 1001);
	dal_stmt_close(s);
	rows_free(&w);
	finish(r, c);
}
END_TEST

/* A failing row is named by its index, and nothing of the batch stays:
 * without a transaction nothing is committed; inside one, the batch is
 * undone and the application's transaction goes on. */
START_TEST(test_batch_failing_row_is_named_and_batch_undone)
{
	dal_repo *r = open_be(_i);
	struct rows w;
	dal_conn *c;
	dal_stmt *s;
	int64_t affected = -1;
	size_t failed = 0;
	char want[32];
	int rc;

	if (!r)
		return;
	c = start(r, _i);
	rows_make(&w, 300, 0);
	/* Row 217 repeats row 10's key. */
	w.id[217] = 10;
	ck_assert_int_eq(dal_stmt_prepare(c, insert_sql, &s), DAL_OK);
	rc = dal_stmt_execute_batch(s, w.cols, 5, w.n, &affected, &failed);
	ck_assert_int_eq(rc, DAL_ECONSTRAINT);
	ck_assert_uint_eq(failed, 217);
	ck_assert_int_eq(affected, 0);
	ck_assert_int_eq(dal_stmt_rows_affected(s), 0);
	ck_assert_int_eq(dal_stmt_error(s)->code, DAL_ECONSTRAINT);
	ck_assert_msg(strncmp(dal_stmt_error(s)->message, "row 217: ", 9) == 0, "%s",
	              dal_stmt_error(s)->message);
	ck_assert_int_eq(count(c), 0);

	/* Inside the application's transaction. */
	ck_assert_int_eq(dal_conn_begin(c), DAL_OK);
	tu_conn_exec(c, "INSERT INTO dal_batch_t (id, name) VALUES (100000, 'before')");
	failed = 0;
	rc = dal_stmt_execute_batch(s, w.cols, 5, w.n, &affected, &failed);
	ck_assert_int_eq(rc, DAL_ECONSTRAINT);
	ck_assert_uint_eq(failed, 217);
	ck_assert_int_eq(count(c), 1);
	tu_conn_exec(c, "INSERT INTO dal_batch_t (id, name) VALUES (100001, 'after')");
	/* A good batch inside the same transaction. */
	w.id[217] = 217;
	rc = dal_stmt_execute_batch(s, w.cols, 5, 100, &affected, &failed);
	ck_assert_msg(rc == DAL_OK, "%s", dal_stmt_error(s)->message);
	ck_assert_int_eq(affected, 100);
	ck_assert_int_eq(dal_conn_commit(c), DAL_OK);
	ck_assert_int_eq(count(c), 102);

	/* A failure on the first and on the last row. */
	tu_conn_exec(c, "DELETE FROM dal_batch_t");
	w.id[0] = 299;
	rc = dal_stmt_execute_batch(s, w.cols, 5, w.n, &affected, &failed);
	ck_assert_int_eq(rc, DAL_ECONSTRAINT);
	ck_assert_uint_eq(failed, 299);
	snprintf(want, sizeof want, "row %d: ", 299);
	ck_assert_msg(strncmp(dal_stmt_error(s)->message, want, strlen(want)) == 0, "%s",
	              dal_stmt_error(s)->message);
	w.id[0] = 0;
	tu_conn_exec(c, "INSERT INTO dal_batch_t (id) VALUES (0)");
	rc = dal_stmt_execute_batch(s, w.cols, 5, w.n, &affected, &failed);
	ck_assert_int_eq(rc, DAL_ECONSTRAINT);
	ck_assert_uint_eq(failed, 0);
	ck_assert_int_eq(count(c), 1);

	/* PostgreSQL refuses text with a NUL byte before sending the row: the
	 * rows already sent in the pipeline are undone too. */
	if (_i == BE_PGSQL) {
		static const size_t nul_len = 3;
		char *saved = w.name[150];
		size_t saved_len = w.name_len[150];

		tu_conn_exec(c, "DELETE FROM dal_batch_t");
		w.name[150] = "a\0b";
		w.name_len[150] = nul_len;
		rc = dal_stmt_execute_batch(s, w.cols, 5, w.n, &affected, &failed);
		ck_assert_int_eq(rc, DAL_EDATA);
		ck_assert_uint_eq(failed, 150);
		ck_assert_msg(tu_contains(dal_stmt_error(s)->message, "NUL byte"), "%s",
		              dal_stmt_error(s)->message);
		ck_assert_int_eq(count(c), 0);
		w.name[150] = saved;
		w.name_len[150] = saved_len;
		/* At row 0: nothing was sent at all. */
		saved = w.name[0];
		saved_len = w.name_len[0];
		w.name[0] = "a\0b";
		w.name_len[0] = nul_len;
		ck_assert_int_eq(dal_stmt_execute_batch(s, w.cols, 5, w.n, &affected, &failed),
		                 DAL_EDATA);
		ck_assert_uint_eq(failed, 0);
		w.name[0] = saved;
		w.name_len[0] = saved_len;
	}

	/* The connection is still good for a plain statement. */
	ck_assert_int_eq(tu_conn_int64(c, "SELECT 1"), 1);
	dal_stmt_close(s);
	rows_free(&w);
	finish(r, c);
}
END_TEST

/* A batch far larger than one network packet (MariaDB's max_allowed_packet
 * is 16 MiB by default; the batch is about 24 MiB). */
START_TEST(test_batch_larger_than_a_packet)
{
	dal_repo *r = open_be(_i);
	struct rows w;
	dal_conn *c;
	dal_stmt *s;
	int64_t affected = -1;
	int rc;

	if (!r)
		return;
	c = start(r, _i);
	rows_make(&w, 400, 60000);
	ck_assert_int_eq(dal_stmt_prepare(c, insert_sql, &s), DAL_OK);
	rc = dal_stmt_execute_batch(s, w.cols, 5, w.n, &affected, NULL);
	ck_assert_msg(rc == DAL_OK, "%s: %s", be_names[_i], dal_stmt_error(s)->message);
	ck_assert_int_eq(affected, 400);
	check_rows(c, &w, 0, 400);
	ck_assert_int_eq(tu_conn_int64(c, "SELECT SUM(LENGTH(data)) FROM dal_batch_t"),
	                 400 * 60000);
	dal_stmt_close(s);
	rows_free(&w);
	finish(r, c);
}
END_TEST

/* A :name used twice takes its column twice; an UPDATE counts the rows it
 * changed. */
START_TEST(test_batch_named_parameters_and_update)
{
	dal_repo *r = open_be(_i);
	int64_t ids[3] = {1, 2, 3}, affected = -1;
	const char *names[3] = {"a", "bb", "ccc"};
	dal_batch_column cols[2] = {
		{DAL_TYPE_INT64, ids, NULL, NULL},
		{DAL_TYPE_TEXT, names, NULL, NULL},
	};
	dal_conn *c;
	dal_stmt *s;

	if (!r)
		return;
	c = start(r, _i);
	ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO dal_batch_t (id, name, score) "
	                                     "VALUES (:id, :name, LENGTH(:name))", &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_execute_batch(s, cols, 2, 3, &affected, NULL), DAL_OK);
	ck_assert_int_eq(affected, 3);
	dal_stmt_close(s);
	ck_assert_int_eq(tu_conn_int64(c, "SELECT SUM(score) FROM dal_batch_t"), 6);
	ck_assert_int_eq(tu_conn_int64(c, "SELECT SUM(LENGTH(name)) FROM dal_batch_t"), 6);
	ck_assert_int_eq(dal_stmt_prepare(c, "UPDATE dal_batch_t SET name = :name WHERE id >= :id",
	                                  &s), DAL_OK);
	/* cols in parameter order: :name is parameter 1 here. Every row
	 * changes what it matches (MariaDB counts changed rows only). */
	names[0] = "x", names[1] = "yy", names[2] = "zzz";
	cols[0] = (dal_batch_column){DAL_TYPE_TEXT, names, NULL, NULL};
	cols[1] = (dal_batch_column){DAL_TYPE_INT64, ids, NULL, NULL};
	ck_assert_int_eq(dal_stmt_execute_batch(s, cols, 2, 3, &affected, NULL), DAL_OK);
	/* id >= 1: 3 rows, id >= 2: 2, id >= 3: 1. */
	ck_assert_int_eq(affected, 6);
	ck_assert_int_eq(tu_conn_int64(c, "SELECT COUNT(*) FROM dal_batch_t WHERE "
	                                "name = 'x' OR name = 'yy' OR name = 'zzz'"), 3);
	dal_stmt_close(s);
	finish(r, c);
}
END_TEST

/* A statement of many parameters (more than the backends keep on the
 * stack per row). */
START_TEST(test_batch_many_parameters)
{
	enum { NP = 17, NR = 4 };
	dal_repo *r = open_be(_i);
	int64_t v[NP][NR];
	dal_batch_column cols[NP];
	char create[512], insert[512];
	size_t n1 = 0, n2 = 0;
	int64_t affected;
	dal_conn *c;
	dal_stmt *s;

	if (!r)
		return;
	n1 = (size_t)snprintf(create, sizeof create, "CREATE TABLE dal_batch_w (");
	n2 = (size_t)snprintf(insert, sizeof insert, "INSERT INTO dal_batch_w (");
	for (int k = 0; k < NP; k++) {
		n1 += (size_t)snprintf(create + n1, sizeof create - n1, "%sc%d INTEGER", k ? ", " : "", k);
		n2 += (size_t)snprintf(insert + n2, sizeof insert - n2, "%sc%d", k ? ", " : "", k);
		for (int i = 0; i < NR; i++)
			v[k][i] = k * 100 + i;
		cols[k] = (dal_batch_column){DAL_TYPE_INT64, v[k], NULL, NULL};
	}
	snprintf(create + n1, sizeof create - n1, ")");
	n2 += (size_t)snprintf(insert + n2, sizeof insert - n2, ") VALUES (");
	for (int k = 0; k < NP; k++)
		n2 += (size_t)snprintf(insert + n2, sizeof insert - n2, "%s?", k ? ", " : "");
	snprintf(insert + n2, sizeof insert - n2, ")");
	c = tu_conn_acquire(r);
	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_batch_w", NULL);
	tu_conn_exec(c, create);
	ck_assert_int_eq(dal_stmt_prepare(c, insert, &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_execute_batch(s, cols, NP, NR, &affected, NULL), DAL_OK);
	ck_assert_int_eq(affected, NR);
	dal_stmt_close(s);
	ck_assert_int_eq(tu_conn_int64(c, "SELECT SUM(c16) FROM dal_batch_w"), 4 * 1600 + 6);
	tu_conn_exec(c, "DROP TABLE dal_batch_w");
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* Misuse is refused before anything is sent, with what was wrong. */
START_TEST(test_batch_misuse_is_refused)
{
	dal_repo *r = open_be(_i);
	int64_t ids[2] = {1, 2};
	dal_batch_column cols[2] = {
		{DAL_TYPE_INT64, ids, NULL, NULL},
		{DAL_TYPE_BLOB, ids, NULL, NULL},
	};
	dal_conn *c;
	dal_stmt *s;
	size_t failed = 0;

	if (!r)
		return;
	c = start(r, _i);
	ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO dal_batch_t (id, data) VALUES (?, ?)",
	                                  &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_execute_batch(s, cols, 1, 2, NULL, &failed), DAL_EMISUSE);
	ck_assert_uint_eq(failed, (size_t)-1);
	ck_assert_msg(tu_contains(dal_stmt_error(s)->message, "1 column given for a statement "
	                          "of 2 parameters"), "%s", dal_stmt_error(s)->message);
	ck_assert_int_eq(dal_stmt_execute_batch(s, cols, 2, 2, NULL, NULL), DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_stmt_error(s)->message, "parameter 2: a BLOB column "
	                          "needs lengths"), "%s", dal_stmt_error(s)->message);
	cols[1].type = (dal_type)42;
	ck_assert_int_eq(dal_stmt_execute_batch(s, cols, 2, 2, NULL, NULL), DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_stmt_error(s)->message, "unknown type 42"), "%s",
	              dal_stmt_error(s)->message);
	ck_assert_int_eq(dal_stmt_execute_batch(NULL, cols, 2, 2, NULL, NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_execute_batch(s, NULL, 2, 2, NULL, NULL), DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_stmt_error(s)->message, "cols is NULL"), "%s",
	              dal_stmt_error(s)->message);
	cols[1] = (dal_batch_column){DAL_TYPE_INT64, NULL, NULL, NULL};
	ck_assert_int_eq(dal_stmt_execute_batch(s, cols, 2, 2, NULL, NULL), DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_stmt_error(s)->message, "parameter 2: values is NULL"), "%s",
	              dal_stmt_error(s)->message);
	/* Zero rows: nothing to do. */
	cols[1] = (dal_batch_column){DAL_TYPE_NULL, NULL, NULL, NULL};
	ck_assert_int_eq(dal_stmt_execute_batch(s, cols, 2, 0, NULL, NULL), DAL_OK);
	ck_assert_int_eq(count(c), 0);
	/* An all-NULL column. */
	ck_assert_int_eq(dal_stmt_execute_batch(s, cols, 2, 2, NULL, NULL), DAL_OK);
	ck_assert_int_eq(tu_conn_int64(c, "SELECT COUNT(*) FROM dal_batch_t WHERE data IS NULL"),
	                 2);
	dal_stmt_close(s);
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT id FROM dal_batch_t WHERE id = ?", &s),
	                 DAL_OK);
	ck_assert_int_eq(dal_stmt_execute_batch(s, cols, 1, 2, NULL, NULL), DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_stmt_error(s)->message, "a batch runs statements that "
	                          "return no rows"), "%s", dal_stmt_error(s)->message);
	/* Pipelines: what is refused before anything is sent. */
	{
		dal_conn *c2 = tu_conn_acquire(r);
		dal_stmt *other, *v[2];

		ck_assert_int_eq(dal_stmt_prepare(c2, "SELECT 1", &other), DAL_OK);
		v[0] = s, v[1] = other;
		ck_assert_int_eq(dal_conn_pipeline(c, v, 2), DAL_EMISUSE);
		ck_assert_msg(tu_contains(dal_conn_error(c)->message, "statement 1 belongs to another "
		                          "connection"), "%s", dal_conn_error(c)->message);
		v[1] = NULL;
		ck_assert_int_eq(dal_conn_pipeline(c, v, 2), DAL_EMISUSE);
		ck_assert_msg(tu_contains(dal_conn_error(c)->message, "statement 1 is NULL"), "%s",
		              dal_conn_error(c)->message);
		ck_assert_int_eq(dal_conn_pipeline(NULL, v, 1), DAL_EMISUSE);
		dal_stmt_close(other);
		dal_conn_release(c2);
	}
	dal_stmt_close(s);
	/* A statement that ran (DONE) is reset by the batch. */
	ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO dal_batch_t (id) VALUES (?)", &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 50), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
	{
		int64_t two[2] = {51, 52};
		dal_batch_column one = {DAL_TYPE_INT64, two, NULL, NULL};
		ck_assert_int_eq(dal_stmt_execute_batch(s, &one, 1, 2, NULL, NULL), DAL_OK);
	}
	/* And one with unread rows is refused. */
	dal_stmt_close(s);
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT id FROM dal_batch_t", &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	ck_assert_int_eq(dal_conn_pipeline(c, &s, 1), DAL_EMISUSE);
	dal_stmt_close(s);
	finish(r, c);
}
END_TEST

/* Zero-copy binds give the right values; on SQLite, which keeps the
 * pointer, a re-execution reads the caller's buffer again (that is the
 * lifetime rule: valid until rebound or closed). */
START_TEST(test_bind_static_reads_the_callers_buffer)
{
	dal_repo *r = open_be(_i);
	char text[16] = "first";
	unsigned char blob[4] = {1, 2, 3, 4};
	dal_conn *c;
	dal_stmt *s;
	size_t len;

	if (!r)
		return;
	c = start(r, _i);
	ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO dal_batch_t (id, name, data) "
	                                     "VALUES (?, ?, ?)", &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 1), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_text_static(s, 2, text, -1), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_blob_static(s, 3, blob, sizeof blob), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
	memcpy(text, "again", 6);
	blob[0] = 9;
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 2), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
	ck_assert_int_eq(dal_stmt_bind_text_static(s, 2, NULL, 0), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_blob_static(s, 3, "", 0), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 3), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
	dal_stmt_close(s);

	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT name, data FROM dal_batch_t ORDER BY id",
	                                  &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	ck_assert_str_eq(dal_stmt_column_text(s, 0, NULL), "first");
	ck_assert_int_eq(((const unsigned char *)dal_stmt_column_blob(s, 1, &len))[0], 1);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	if (_i == BE_SQLITE) {
		/* The pointer was kept: the second execution read "again". */
		ck_assert_str_eq(dal_stmt_column_text(s, 0, NULL), "again");
		ck_assert_int_eq(((const unsigned char *)dal_stmt_column_blob(s, 1, &len))[0], 9);
	} else {
		/* Copied at bind time. */
		ck_assert_str_eq(dal_stmt_column_text(s, 0, NULL), "first");
		ck_assert_int_eq(((const unsigned char *)dal_stmt_column_blob(s, 1, &len))[0], 1);
	}
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	ck_assert(dal_stmt_column_is_null(s, 0));
	ck_assert(!dal_stmt_column_is_null(s, 1));
	dal_stmt_column_blob(s, 1, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
	dal_stmt_close(s);
	finish(r, c);
}
END_TEST

/* Batches and pipelines refused while a streamed result holds the
 * connection (servers), and the statement forms PostgreSQL sends by COPY
 * or not: quoted and schema-qualified names (COPY), ON CONFLICT (pipeline),
 * a blob for a text column (pipeline: COPY would read it as text). */
START_TEST(test_batch_statement_forms_and_busy_connection)
{
	dal_repo *r = open_be(_i);
	int64_t ids[3] = {1, 2, 3}, affected = -1;
	const char *names[3] = {"a", "b", "c"};
	static const unsigned char raw[3] = {'x', 'y', 'z'};
	const void *blobs[3] = {raw, raw + 1, raw + 2};
	size_t lens[3] = {1, 1, 1};
	dal_batch_column cols[2] = {
		{DAL_TYPE_INT64, ids, NULL, NULL},
		{DAL_TYPE_TEXT, names, NULL, NULL},
	};
	dal_stmt *s, *scan;
	dal_conn *c;

	if (!r)
		return;
	c = start(r, _i);
	ck_assert_int_eq(dal_stmt_prepare(c, _i == BE_MYSQL
	                                         ? "INSERT INTO `dal_batch_t` (`id`, `name`) VALUES (?, ?)"
	                                         : "INSERT INTO \"dal_batch_t\" (\"id\", \"name\") "
	                                           "VALUES (?, ?)", &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_execute_batch(s, cols, 2, 3, &affected, NULL), DAL_OK);
	ck_assert_int_eq(affected, 3);

	/* A streamed result holds a server connection: the batch waits its
	 * turn (refused), then runs. */
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT id FROM dal_batch_t", &scan), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(scan), DAL_ROW);
	ids[0] = 4, ids[1] = 5, ids[2] = 6;
	if (_i != BE_SQLITE) {
		ck_assert_int_eq(dal_stmt_execute_batch(s, cols, 2, 3, NULL, NULL), DAL_EMISUSE);
		ck_assert_msg(tu_contains(dal_stmt_error(s)->message, "unfinished result"), "%s",
		              dal_stmt_error(s)->message);
	}
	if (_i == BE_PGSQL)
		ck_assert_int_eq(dal_conn_pipeline(c, &s, 1), DAL_EMISUSE);
	dal_stmt_close(scan);
	ck_assert_int_eq(dal_stmt_execute_batch(s, cols, 2, 3, &affected, NULL), DAL_OK);
	dal_stmt_close(s);
	ck_assert_int_eq(count(c), 6);

	if (_i == BE_PGSQL) {
		/* Schema-qualified: COPY. */
		ids[0] = 7, ids[1] = 8, ids[2] = 9;
		ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO public.dal_batch_t (id, name) "
		                                     "VALUES (?, ?);", &s), DAL_OK);
		ck_assert_int_eq(dal_stmt_execute_batch(s, cols, 2, 3, &affected, NULL), DAL_OK);
		dal_stmt_close(s);
		/* ON CONFLICT: not a plain INSERT, the pipeline; the rows that
		 * exist are skipped. */
		ids[0] = 9, ids[1] = 10, ids[2] = 1;
		ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO dal_batch_t (id, name) VALUES (?, ?) "
		                                     "ON CONFLICT DO NOTHING", &s), DAL_OK);
		ck_assert_int_eq(dal_stmt_execute_batch(s, cols, 2, 3, &affected, NULL), DAL_OK);
		ck_assert_int_eq(affected, 1);
		dal_stmt_close(s);
		/* A blob for a text column travels binary (as a parameter). */
		ids[0] = 11, ids[1] = 12, ids[2] = 13;
		cols[1] = (dal_batch_column){DAL_TYPE_BLOB, blobs, lens, NULL};
		ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO dal_batch_t (id, name) VALUES (?, ?)",
		                                  &s), DAL_OK);
		ck_assert_int_eq(dal_stmt_execute_batch(s, cols, 2, 3, &affected, NULL), DAL_OK);
		dal_stmt_close(s);
		ck_assert_int_eq(tu_conn_int64(c, "SELECT COUNT(*) FROM dal_batch_t WHERE name = 'y'"), 1);
		ck_assert_int_eq(count(c), 13);
		/* Forms that are not a plain INSERT: the pipeline, with the
		 * failing row named there too (an UPDATE onto an existing key). */
		{
			static const char *const forms[] = {
				"INSERT INTO dal_batch_t (id, name) VALUES (?, upper(?))",
				"INSERT INTO dal_batch_t (id, name) VALUES (?, ?), (?, ?)",
				"INSERT INTO dal_batch_t (id, name) SELECT ?, ?",
				"INSERT INTO dal_batch_t VALUES (?, ?)",
				"INSERT INTO dal_batch_t (id, name, score) VALUES (?, ?, 1)",
				"INSERT INTO dal_batch_t (name, id) VALUES ($2, $1)",
			};
			int64_t more[3] = {20, 21, 22};
			double sc[3] = {0.5, 0, 0};
			dal_batch_column fc[4] = {
				{DAL_TYPE_INT64, more, NULL, NULL},
				{DAL_TYPE_TEXT, names, NULL, NULL},
				{DAL_TYPE_INT64, more, NULL, NULL},
				{DAL_TYPE_TEXT, names, NULL, NULL},
			};
			size_t failed = 0;

			for (unsigned f = 0; f < 6; f++) {
				unsigned np;

				if (f == 5) /* $n markers are not libdal's: refused at prepare */
					break;
				ck_assert_int_eq(dal_stmt_prepare(c, forms[f], &s), DAL_OK);
				np = dal_stmt_param_count(s);
				for (int k = 0; k < 3; k++)
					more[k] += 10;
				if (f == 1)
					fc[2].values = ids; /* 11..13 exist: row 0 fails */
				ck_assert_int_eq(dal_stmt_execute_batch(s, fc, np, f == 1 ? 1 : 3, &affected,
				                                        &failed),
				                 f == 1 ? DAL_ECONSTRAINT : DAL_OK);
				if (f == 1)
					ck_assert_uint_eq(failed, 0);
				dal_stmt_close(s);
			}
			/* An UPDATE that collides on its second row. */
			more[0] = 11, more[1] = 12, more[2] = 13;
			{
				int64_t to[3] = {100, 13, 101};
				dal_batch_column uc[2] = {
					{DAL_TYPE_INT64, to, NULL, NULL},
					{DAL_TYPE_INT64, more, NULL, NULL},
				};
				ck_assert_int_eq(dal_stmt_prepare(c, "UPDATE dal_batch_t SET id = ? WHERE id = ?",
				                                  &s), DAL_OK);
				ck_assert_int_eq(dal_stmt_execute_batch(s, uc, 2, 3, &affected, &failed),
				                 DAL_ECONSTRAINT);
				ck_assert_uint_eq(failed, 1);
				dal_stmt_close(s);
				ck_assert_int_eq(tu_conn_int64(c, "SELECT COUNT(*) FROM dal_batch_t WHERE "
				                                "id >= 100"), 0);
			}
			/* A view takes INSERT, not COPY: the pipeline. */
			{
				int64_t vid[3] = {300, 301, 302};
				dal_batch_column vc[2] = {
					{DAL_TYPE_INT64, vid, NULL, NULL},
					{DAL_TYPE_TEXT, names, NULL, NULL},
				};
				dal_conn_exec(c, "DROP VIEW IF EXISTS dal_batch_v", NULL);
				tu_conn_exec(c, "CREATE VIEW dal_batch_v AS SELECT id, name FROM dal_batch_t");
				ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO dal_batch_v (id, name) "
				                                     "VALUES (?, ?)", &s), DAL_OK);
				ck_assert_msg(dal_stmt_execute_batch(s, vc, 2, 3, &affected, NULL) == DAL_OK,
				              "%s", dal_stmt_error(s)->message);
				ck_assert_int_eq(affected, 3);
				dal_stmt_close(s);
				tu_conn_exec(c, "DROP VIEW dal_batch_v");
			}
			/* Doubles COPY writes by name. */
			{
				double special[3] = {0.0 / 0.0, 1.0 / 0.0, -1.0 / 0.0};
				int64_t sid[3] = {200, 201, 202};
				dal_batch_column dc[2] = {
					{DAL_TYPE_INT64, sid, NULL, NULL},
					{DAL_TYPE_DOUBLE, special, NULL, NULL},
				};
				(void)sc;
				ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO dal_batch_t (id, score) "
				                                     "VALUES (?, ?)", &s), DAL_OK);
				ck_assert_int_eq(dal_stmt_execute_batch(s, dc, 2, 3, NULL, NULL), DAL_OK);
				dal_stmt_close(s);
				ck_assert_int_eq(tu_conn_int64(c, "SELECT COUNT(*) FROM dal_batch_t WHERE "
				                                "score = 'Infinity' OR score = '-Infinity' "
				                                "OR score = 'NaN'"), 3);
			}
		}
	}
	finish(r, c);
}
END_TEST

/* ---- pipelines ---------------------------------------------------------- */

/* Statements sent together: each reads its own result. On PostgreSQL they
 * share one Sync: outside a transaction they are one transaction, and one
 * failing (division by zero) rolls back the earlier ones' changes and makes
 * the server skip the later ones (25P02). Elsewhere each runs alone. */
START_TEST(test_pipeline_runs_independent_statements)
{
	enum { N = 40 };
	dal_repo *r = open_be(_i);
	int64_t ids[N];
	const char *names[N];
	char buf[N][16];
	dal_batch_column cols[2] = {
		{DAL_TYPE_INT64, ids, NULL, NULL},
		{DAL_TYPE_TEXT, names, NULL, NULL},
	};
	dal_stmt *st[N + 3], *ins, *bad, *after;
	dal_conn *c;

	if (!r)
		return;
	ck_assert_int_eq(!!(dal_repo_capabilities(r) & DAL_CAP_PIPELINE), _i == BE_PGSQL);
	c = start(r, _i);
	for (int i = 0; i < N; i++) {
		ids[i] = i + 1;
		snprintf(buf[i], sizeof buf[i], "n%d", i + 1);
		names[i] = buf[i];
	}
	ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO dal_batch_t (id, name) VALUES (?, ?)",
	                                  &ins), DAL_OK);
	ck_assert_int_eq(dal_stmt_execute_batch(ins, cols, 2, N, NULL, NULL), DAL_OK);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(dal_stmt_prepare(c, "SELECT id, name FROM dal_batch_t WHERE id = ?",
		                                  &st[i]), DAL_OK);
		ck_assert_int_eq(dal_stmt_bind_int64(st[i], 1, N - i), DAL_OK);
	}
	ck_assert_int_eq(dal_stmt_bind_int64(ins, 1, 1000), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_text(ins, 2, "late", -1), DAL_OK);
	st[N] = ins;
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT id FROM dal_batch_t WHERE id = 1 / ?", &bad),
	                 DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_int64(bad, 1, 0), DAL_OK);
	st[N + 1] = bad;
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT COUNT(*) FROM dal_batch_t", &after), DAL_OK);
	st[N + 2] = after;
	/* Twice: the second run reuses the finished statements. */
	for (int round = 0; round < 2; round++) {
		ck_assert_msg(dal_conn_pipeline(c, st, N + 3) == DAL_OK, "%s",
		              dal_conn_error(c)->message);
		for (int i = 0; i < N; i++) {
			char want[16];

			ck_assert_int_eq(dal_stmt_step(st[i]), DAL_ROW);
			ck_assert_int_eq(dal_stmt_column_int64(st[i], 0), N - i);
			snprintf(want, sizeof want, "n%d", N - i);
			ck_assert_str_eq(dal_stmt_column_text(st[i], 1, NULL), want);
			ck_assert_int_eq(dal_stmt_step(st[i]), DAL_DONE);
		}
		if (round == 0 || _i == BE_PGSQL) {
			/* PostgreSQL: the failure of `bad` below rolls back the
			 * pipeline's one transaction, this insert with it. */
			ck_assert_int_eq(dal_stmt_step(ins), DAL_DONE);
			ck_assert_int_eq(dal_stmt_rows_affected(ins), 1);
		} else {
			/* The same key again: this statement fails alone. */
			ck_assert_int_eq(dal_stmt_step(ins), DAL_ECONSTRAINT);
		}
		if (_i == BE_PGSQL) {
			ck_assert_int_eq(dal_stmt_step(bad), DAL_EDATA);
			ck_assert_str_eq(dal_stmt_error(bad)->sqlstate, "22012");
			/* Skipped by the server after the failure. */
			ck_assert_int_eq(dal_stmt_step(after), DAL_EBACKEND);
			ck_assert_str_eq(dal_stmt_error(after)->sqlstate, "25P02");
			ck_assert_msg(tu_contains(dal_stmt_error(after)->message, "not run"), "%s",
			              dal_stmt_error(after)->message);
		} else {
			/* 1 / 0 is NULL there: no row. */
			ck_assert_int_eq(dal_stmt_step(bad), DAL_DONE);
			ck_assert_int_eq(dal_stmt_step(after), DAL_ROW);
			ck_assert_int_eq(dal_stmt_column_int64(after, 0), N + 1);
			ck_assert_int_eq(dal_stmt_step(after), DAL_DONE);
		}
	}
	ck_assert_int_eq(count(c), _i == BE_PGSQL ? N : N + 1);

	/* After a streamed result (libpq's single-row mode), the first
	 * statement of a pipeline still returns all its rows. */
	{
		dal_stmt *scan, *multi[2];
		int rows = 0, rc;

		/* Prepared first: a prepare sends a request of its own. */
		ck_assert_int_eq(dal_stmt_prepare(c, "SELECT id FROM dal_batch_t WHERE id <= 5 "
		                                     "ORDER BY id", &multi[0]), DAL_OK);
		ck_assert_int_eq(dal_stmt_prepare(c, "SELECT name FROM dal_batch_t WHERE id = 7",
		                                  &multi[1]), DAL_OK);
		ck_assert_int_eq(dal_stmt_prepare(c, "SELECT id FROM dal_batch_t", &scan), DAL_OK);
		while ((rc = dal_stmt_step(scan)) == DAL_ROW)
			rows++;
		ck_assert_int_eq(rc, DAL_DONE);
		ck_assert_int_eq(rows, _i == BE_PGSQL ? N : N + 1);
		/* And one left in the middle of its rows. */
		ck_assert_int_eq(dal_stmt_reset(scan), DAL_OK);
		ck_assert_int_eq(dal_stmt_step(scan), DAL_ROW);
		ck_assert_int_eq(dal_stmt_reset(scan), DAL_OK);
		dal_stmt_close(scan);
		ck_assert_int_eq(dal_conn_pipeline(c, multi, 2), DAL_OK);
		for (int i = 1; i <= 5; i++) {
			ck_assert_int_eq(dal_stmt_step(multi[0]), DAL_ROW);
			ck_assert_int_eq(dal_stmt_column_int64(multi[0], 0), i);
		}
		ck_assert_int_eq(dal_stmt_step(multi[0]), DAL_DONE);
		ck_assert_int_eq(dal_stmt_step(multi[1]), DAL_ROW);
		ck_assert_str_eq(dal_stmt_column_text(multi[1], 0, NULL), "n7");
		ck_assert_int_eq(dal_stmt_step(multi[1]), DAL_DONE);
		dal_stmt_close(multi[0]);
		dal_stmt_close(multi[1]);
	}

	/* Misuse. */
	dal_stmt_close(st[1]);
	st[1] = st[0];
	ck_assert_int_eq(dal_conn_pipeline(c, st, 2), DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "statement 1 is also statement 0"),
	              "%s", dal_conn_error(c)->message);
	ck_assert_int_eq(dal_stmt_bind_int64(st[0], 1, 1), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(st[0]), DAL_ROW);
	ck_assert_int_eq(dal_conn_pipeline(c, st, 1), DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "unread rows"), "%s",
	              dal_conn_error(c)->message);
	ck_assert_int_eq(dal_conn_pipeline(c, NULL, 1), DAL_EMISUSE);
	ck_assert_int_eq(dal_conn_pipeline(c, st, 0), DAL_OK);
	for (int i = 0; i < N + 3; i++)
		if (i != 1)
			dal_stmt_close(st[i]);
	finish(r, c);
}
END_TEST

/* PostgreSQL: the session ends in the middle of a pipeline, of a COPY batch
 * and of a pipelined batch (a trigger terminates its own backend at the
 * third row): the call fails as a lost connection, nothing of the batch is
 * left, and the pool hands out a working connection afterwards. */
START_TEST(test_pgsql_session_lost_mid_batch)
{
	static const char *const batch_sql[2] = {
		"INSERT INTO dal_batch_k (id) VALUES (?)",          /* COPY */
		"INSERT INTO dal_batch_k (id) SELECT ? WHERE true", /* pipeline */
	};
	int64_t ids[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	dal_batch_column col = {DAL_TYPE_INT64, ids, NULL, NULL};
	dal_repo *r = open_be(BE_PGSQL);
	dal_stmt *st[3], *s;
	dal_conn *c;
	int rc;

	if (!r)
		return;
	c = tu_conn_acquire(r);
	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_batch_k", NULL);
	tu_conn_exec(c, "CREATE TABLE dal_batch_k (id INTEGER)");
	tu_conn_exec(c, "CREATE OR REPLACE FUNCTION dal_batch_kill() RETURNS trigger AS $$ BEGIN "
	           "IF NEW.id = 3 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF; "
	           "RETURN NEW; END $$ LANGUAGE plpgsql");
	tu_conn_exec(c, "CREATE TRIGGER dal_batch_kill BEFORE INSERT ON dal_batch_k FOR EACH ROW "
	           "EXECUTE FUNCTION dal_batch_kill()");
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT 1", &st[0]), DAL_OK);
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT pg_terminate_backend(pg_backend_pid())",
	                                  &st[1]), DAL_OK);
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT 2", &st[2]), DAL_OK);
	rc = dal_conn_pipeline(c, st, 3);
	if (rc == DAL_OK) /* the loss may be seen at the statement instead */
		rc = dal_stmt_step(st[1]);
	ck_assert_msg(rc == DAL_ECONNECT || rc == DAL_EOUTCOME, "%s: %s", dal_code_name(rc),
	              dal_conn_error(c)->message);
	for (int i = 0; i < 3; i++)
		dal_stmt_close(st[i]);
	dal_conn_release(c);

	/* Ended while idle (terminated from another session): found before
	 * anything is sent. */
	for (int k = 0; k < 2; k++) {
		dal_conn *killer;
		char sql[96];

		c = tu_conn_acquire(r);
		snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)",
		         (long long)tu_conn_int64(c, "SELECT pg_backend_pid()"));
		ck_assert_int_eq(dal_stmt_prepare(c, batch_sql[0], &s), DAL_OK);
		killer = tu_conn_acquire(r);
		ck_assert_int_eq(tu_conn_int64(killer, sql), 1);
		dal_conn_release(killer);
		usleep(200000);
		if (k == 0)
			rc = dal_stmt_execute_batch(s, &col, 1, 10, NULL, NULL);
		else
			rc = dal_conn_pipeline(c, &s, 1);
		ck_assert_msg(rc == DAL_ECONNECT, "%s", dal_code_name(rc));
		dal_stmt_close(s);
		dal_conn_release(c);
	}

	for (int k = 0; k < 2; k++) {
		size_t failed = 0;

		c = tu_conn_acquire(r);
		ck_assert_int_eq(dal_stmt_prepare(c, batch_sql[k], &s), DAL_OK);
		rc = dal_stmt_execute_batch(s, &col, 1, 10, NULL, &failed);
		ck_assert_msg(rc == DAL_ECONNECT || rc == DAL_EOUTCOME, "%s: %s: %s", batch_sql[k],
		              dal_code_name(rc), dal_stmt_error(s)->message);
		dal_stmt_close(s);
		dal_conn_release(c);
		c = tu_conn_acquire(r);
		ck_assert_int_eq(tu_conn_int64(c, "SELECT COUNT(*) FROM dal_batch_k"), 0);
		dal_conn_release(c);
	}
	c = tu_conn_acquire(r);
	tu_conn_exec(c, "DROP TABLE dal_batch_k");
	tu_conn_exec(c, "DROP FUNCTION dal_batch_kill()");
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* ---- the core's fallback, through a plugin without the slot ------------ */

/* minimal: no execute_batch and no transactions. Each row is an execute
 * (the core's loop binds and steps), and without transactions the rows
 * before a failing one stay. */
START_TEST(test_batch_fallback_loop_without_the_slot)
{
	int64_t v[6] = {10, 20, 30, 40, 50, 60}, affected = -1;
	const char *t[3] = {"x", NULL, "zz"};
	dal_batch_column col = {DAL_TYPE_INT64, v, NULL, NULL};
	dal_op_stats st;
	dal_repo *r = NULL;
	dal_conn *c;
	dal_stmt *s;
	dal_error err;
	size_t failed = 0;
	int rc;

	ck_assert_int_eq(dal_repo_open_url(&r, "minimal::memory:", &err), DAL_OK);
	c = tu_conn_acquire(r);
	dal_repo_stats_reset(r);
	ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO t VALUES (?)", &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_execute_batch(s, &col, 1, 3, &affected, &failed), DAL_OK);
	ck_assert_int_eq(affected, 3);
	ck_assert_int_eq(dal_repo_stats(r, DAL_OP_EXECUTE, &st), DAL_OK);
	ck_assert_uint_eq(st.calls, 3);
	ck_assert_int_eq(dal_repo_stats(r, DAL_OP_BATCH, &st), DAL_OK);
	ck_assert_uint_eq(st.calls, 0);
	/* The table holds 4: the second row of this batch fails. */
	rc = dal_stmt_execute_batch(s, &col, 1, 3, &affected, &failed);
	ck_assert_int_eq(rc, DAL_ECONSTRAINT);
	ck_assert_uint_eq(failed, 1);
	ck_assert_msg(strncmp(dal_stmt_error(s)->message, "row 1: minimal: table t is full",
	                      31) == 0, "%s", dal_stmt_error(s)->message);
	ck_assert_int_eq(affected, 0);
	dal_stmt_close(s);
	ck_assert_int_eq(dal_conn_exec(c, "DELETE FROM t", &affected), DAL_OK);
	ck_assert_int_eq(affected, 4);

	/* Text with a NULL pointer, read back in order. */
	col = (dal_batch_column){DAL_TYPE_TEXT, t, NULL, NULL};
	ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO t VALUES (?)", &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_execute_batch(s, &col, 1, 3, NULL, NULL), DAL_OK);
	dal_stmt_close(s);
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT v FROM t", &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	ck_assert_str_eq(dal_stmt_column_text(s, 0, NULL), "x");
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	ck_assert(dal_stmt_column_is_null(s, 0));
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	ck_assert_str_eq(dal_stmt_column_text(s, 0, NULL), "zz");
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
	dal_stmt_close(s);

	/* A zombie statement refuses a batch. */
	ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO t VALUES (?)", &s), DAL_OK);
	dal_conn_release(c);
	ck_assert_int_eq(dal_stmt_execute_batch(s, &col, 1, 3, NULL, NULL), DAL_EMISUSE);
	dal_stmt_close(s);
	dal_repo_close(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("batch");
	TCase *tc = tcase_create("batch");
	int rc;

	tu_clear_env();
	if (tu_plugin_path_prepend(TESTS_BUILDDIR))
		return 99;
	if (!(tmpdir = tu_mkdtemp_main()))
		return 99;
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_batch_inserts_every_row_and_type, 0, BE__COUNT);
	tcase_add_loop_test(tc, test_batch_failing_row_is_named_and_batch_undone, 0, BE__COUNT);
	tcase_add_loop_test(tc, test_batch_larger_than_a_packet, 0, BE__COUNT);
	tcase_add_loop_test(tc, test_batch_named_parameters_and_update, 0, BE__COUNT);
	tcase_add_loop_test(tc, test_batch_misuse_is_refused, 0, BE__COUNT);
	tcase_add_loop_test(tc, test_batch_many_parameters, 0, BE__COUNT);
	tcase_add_loop_test(tc, test_bind_static_reads_the_callers_buffer, 0, BE__COUNT);
	tcase_add_loop_test(tc, test_batch_statement_forms_and_busy_connection, 0, BE__COUNT);
	tcase_add_loop_test(tc, test_pipeline_runs_independent_statements, 0, BE__COUNT);
	tcase_add_test(tc, test_pgsql_session_lost_mid_batch);
	tcase_add_test(tc, test_batch_fallback_loop_without_the_slot);
	suite_add_tcase(s, tc);
	rc = tu_run_suite(s);
	tu_rmtree(tmpdir);
	return rc;
}
