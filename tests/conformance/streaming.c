/*
 * Conformance: streaming (DAL_CAP_STREAMING). 100 000 rows inserted in
 * batches and read back one step at a time, every row accounted for, and the
 * telemetry counters agreeing.
 */
#include <stdio.h>

#include "common.h"

START_TEST(test_stream_100k_rows)
{
	enum { ROWS = 100000, BATCH = 100 };
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_op_stats ex, fe;
	char t[64], sql[4096];
	int64_t sum = 0, count = 0, len_sum = 0;
	size_t off;
	dal_stmt *s;

	table_name(t, sizeof t, "stream");
	create_table(c, t, "n BIGINT, s VARCHAR(20)");
	/* Multi-row inserts keep this fast on servers (one round trip per
	 * BATCH rows). */
	off = (size_t)snprintf(sql, sizeof sql, "INSERT INTO %s (n, s) VALUES ", t);
	for (int i = 0; i < BATCH; i++)
		off += (size_t)snprintf(sql + off, sizeof sql - off, "%s(?, ?)", i ? ", " : "");
	s = prep(c, sql);
	ck_assert_uint_eq(dal_stmt_param_count(s), 2 * BATCH);
	CK_CONN(c, dal_conn_begin(c));
	for (int i = 1; i <= ROWS; i += BATCH) {
		for (int j = 0; j < BATCH; j++) {
			char buf[20];
			int n = snprintf(buf, sizeof buf, "r%d", i + j);

			CK_STMT(s, dal_stmt_bind_int64(s, (unsigned)(2 * j + 1), i + j));
			CK_STMT(s, dal_stmt_bind_text(s, (unsigned)(2 * j + 2), buf, n));
		}
		CK_STEP(s, DAL_DONE);
		ck_assert_int_eq(dal_stmt_rows_affected(s), BATCH);
	}
	CK_CONN(c, dal_conn_commit(c));
	dal_stmt_close(s);

	dal_repo_stats_reset(r);
	s = prep(c, sqlf("SELECT n, s FROM %s", t));
	while (dal_stmt_step(s) == DAL_ROW) {
		size_t len;

		sum += dal_stmt_column_int64(s, 0);
		ck_assert_ptr_nonnull(dal_stmt_column_text(s, 1, &len));
		len_sum += (int64_t)len;
		count++;
	}
	ck_assert_int_eq(dal_stmt_error(s)->code, DAL_OK);
	dal_stmt_close(s);
	ck_assert_int_eq(count, ROWS);
	ck_assert_int_eq(sum, (int64_t)ROWS * (ROWS + 1) / 2);
	/* "r" + digits: 9*2 + 90*3 + 900*4 + 9000*5 + 90000*6 + 1*7 */
	ck_assert_int_eq(len_sum, 9 * 2 + 90 * 3 + 900 * 4 + 9000 * 5 + 90000 * 6 + 7);

	/* Telemetry saw every row: the first with EXECUTE, the rest FETCH. */
	CK_OK(dal_repo_stats(r, DAL_OP_EXECUTE, &ex));
	CK_OK(dal_repo_stats(r, DAL_OP_FETCH, &fe));
	ck_assert_uint_eq(ex.calls, 1);
	ck_assert_uint_eq(ex.rows + fe.rows, ROWS);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

static const struct conf_case cases[] = {
	/* Inserts in one transaction. */
	CASE(test_stream_100k_rows, DAL_CAP_STREAMING | DAL_CAP_TRANSACTIONS, 0, 0),
	{NULL},
};

const struct conf_area conf_streaming = {"streaming", cases};
