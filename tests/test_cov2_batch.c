/*
 * dal_stmt_execute_batch() (core/batch.c) when a call fails part way,
 * through the fault-injection layer: on SQLite, the transaction or
 * savepoint the batch runs under failing at each of its statements (all
 * or nothing: no row of the batch stays, the application's transaction
 * goes on); through the core's own loop over a plugin without a batch slot
 * or transactions (tests/plugins/minimal.c), each bind, step and reset
 * failing in turn (the failing row is named, the rows before it stay).
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>

#include "fault.h"
#include "testutil.h"

#define CODE DAL_EREADONLY
#define NROWS 3

static char *tmpdir;
static int seq;
static const int64_t vals[NROWS] = {10, 20, 30};
static const dal_batch_column col = {DAL_TYPE_INT64, vals, NULL, NULL};

static void setup(void)
{
	tu_clear_env();
	tmpdir = tu_mkdtemp();
}

static void teardown(void)
{
	tu_rmtree(tmpdir);
	tmpdir = NULL;
}

static dal_repo *open_url(const char *url, const struct fault_rule *rule)
{
	dal_repo *r;
	dal_error e;

	ck_assert_msg(repo_open_faulty(&r, NULL, NULL, url, rule, rule ? 1 : 0, &e) == DAL_OK,
	              "%s", e.message);
	return r;
}

static void assert_injected(dal_stmt *st, int rc, enum fault_slot slot, unsigned nth)
{
	char want[96];

	ck_assert_msg(rc == CODE, "%s call %u: %s: %s", fault_slot_name(slot), nth,
	              dal_code_name(rc), dal_stmt_error(st)->message);
	snprintf(want, sizeof want, "injected fault: %s call %u fails", fault_slot_name(slot), nth);
	tu_assert_has(dal_stmt_error(st)->message, want);
}

/* SQLite: a batch alone (in_txn 0) or inside the application's
 * transaction (1), call nth of slot failing: 1 if hit. */
static int sqlite_batch(int in_txn, enum fault_slot slot, unsigned nth)
{
	const struct fault_rule rule = {slot, nth, 1, CODE};
	char url[4200];
	dal_repo *r;
	dal_conn *c;
	dal_stmt *st;
	size_t failed = 99;
	int64_t affected = -1;
	int rc, hit;

	snprintf(url, sizeof url, "sqlite:///%s/b%d.db", tmpdir, ++seq);
	r = open_url(url, NULL);
	tu_repo_exec(r, "CREATE TABLE t (x INTEGER)");
	dal_repo_close(r);

	r = open_url(url, &rule);
	c = tu_conn_acquire(r);
	if (in_txn) {
		/* Through prepare and step: the swept slots count the batch's
		 * calls only. */
		ck_assert_int_eq(dal_conn_begin(c), DAL_OK);
		ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO t VALUES (1)", &st), DAL_OK);
		ck_assert_int_eq(dal_stmt_step(st), DAL_DONE);
		dal_stmt_close(st);
	}
	ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO t VALUES (?)", &st), DAL_OK);
	rc = dal_stmt_execute_batch(st, &col, 1, NROWS, &affected, &failed);
	hit = fault_calls(repo_fault(r), slot) >= nth;
	if (!hit) {
		ck_assert_msg(rc == DAL_OK, "%s", dal_stmt_error(st)->message);
		ck_assert_int_eq(affected, NROWS);
	} else {
		assert_injected(st, rc, slot, nth);
		ck_assert_uint_eq(failed, (size_t)-1); /* the wrap, not a row */
		ck_assert_int_eq(affected, 0);
	}
	dal_stmt_close(st);
	/* Nothing of a failed batch; the application's transaction goes on. */
	ck_assert_int_eq(tu_conn_int64(c, "SELECT count(*) FROM t WHERE x >= 10"), hit ? 0 : NROWS);
	if (in_txn) {
		ck_assert_uint_eq(dal_conn_txn_depth(c), 1);
		ck_assert_msg(dal_conn_commit(c) == DAL_OK, "%s", dal_conn_error(c)->message);
	}
	dal_conn_release(c);
	dal_repo_close(r);
	r = open_url(url, NULL);
	c = tu_conn_acquire(r);
	ck_assert_int_eq(tu_conn_int64(c, "SELECT count(*) FROM t"),
	                 (hit ? 0 : NROWS) + (in_txn ? 1 : 0));
	dal_conn_release(c);
	dal_repo_close(r);
	return hit;
}

START_TEST(test_batch_wrap_fails)
{
	/* Alone, SQLite's batch slot makes the batch atomic itself, with no
	 * call the layer sees; in the application's transaction (whose own
	 * BEGIN and COMMIT are not swept) the core wraps it in SAVEPOINT and
	 * RELEASE (ROLLBACK TO after a failure), through exec. */
	static const enum fault_slot slots[] = {FAULT_EXEC, FAULT_BEGIN, FAULT_COMMIT};
	unsigned total = 0;

	for (int in_txn = 0; in_txn < 2; in_txn++)
		for (size_t i = 0; i < (in_txn ? 1 : sizeof slots / sizeof *slots); i++) {
			unsigned nth = 1;

			while (sqlite_batch(in_txn, slots[i], nth))
				ck_assert_msg(++nth < 50, "no end");
			total += nth - 1;
		}
	ck_assert_uint_eq(total, 2); /* SAVEPOINT, RELEASE */
}
END_TEST

/* minimal: the core's loop, call nth of slot failing: 1 if hit. */
static int minimal_batch(enum fault_slot slot, unsigned nth)
{
	const struct fault_rule rule = {slot, nth, 1, CODE};
	dal_repo *r = open_url("minimal::memory:", &rule);
	dal_conn *c = tu_conn_acquire(r);
	dal_stmt *st, *q;
	size_t failed = 99;
	int rc, hit, n = 0, kept = -1;

	ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO t VALUES (?)", &st), DAL_OK);
	rc = dal_stmt_execute_batch(st, &col, 1, NROWS, NULL, &failed);
	hit = fault_calls(repo_fault(r), slot) >= nth;
	/* The reset after the last row ends the batch; its failure is not
	 * the batch's (the next execution resets again). */
	if (hit && slot == FAULT_RESET && nth == NROWS + 1) {
		ck_assert_msg(rc == DAL_OK, "%s", dal_stmt_error(st)->message);
		failed = NROWS; /* every row stays */
		kept = NROWS;
	} else if (!hit) {
		/* (Its rows are read back in test_batch.c: a read here would
		 * be the next call of the slot, failing.) */
		ck_assert_msg(rc == DAL_OK, "%s", dal_stmt_error(st)->message);
		dal_stmt_close(st);
		dal_conn_release(c);
		dal_repo_close(r);
		return hit;
	} else {
		char row[32];

		assert_injected(st, rc, slot, nth);
		ck_assert_uint_lt(failed, NROWS);
		snprintf(row, sizeof row, "row %zu: ", failed);
		ck_assert_msg(strncmp(dal_stmt_error(st)->message, row, strlen(row)) == 0, "%s",
		              dal_stmt_error(st)->message);
		/* A failed reset comes after its row's step. */
		kept = (int)failed + (slot == FAULT_RESET);
	}
	dal_stmt_close(st);
	/* No transactions: the rows before the failing one stay. */
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT v FROM t", &q), DAL_OK);
	while ((rc = dal_stmt_step(q)) == DAL_ROW)
		ck_assert_int_eq(dal_stmt_column_int64(q, 0), vals[n++]);
	ck_assert_int_eq(rc, DAL_DONE);
	dal_stmt_close(q);
	ck_assert_int_eq(n, kept);
	dal_conn_release(c);
	dal_repo_close(r);
	return hit;
}

START_TEST(test_batch_loop_fails)
{
	static const enum fault_slot slots[] = {FAULT_BIND, FAULT_STEP, FAULT_RESET};

	for (size_t i = 0; i < sizeof slots / sizeof *slots; i++) {
		unsigned nth = 1;

		while (minimal_batch(slots[i], nth))
			ck_assert_msg(++nth < 50, "no end");
		ck_assert_msg(nth > NROWS - 1, "%s: only %u calls", fault_slot_name(slots[i]),
		              nth - 1);
	}
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;

	tu_clear_env();
	if (tu_plugin_path_prepend(TESTS_BUILDDIR) != 0)
		return 99;
	s = suite_create("cov2_batch");
	tc = tcase_create("batch");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_batch_wrap_fails);
	tcase_add_test(tc, test_batch_loop_fails);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
