/*
 * Transactions, nested units and savepoints (core/savepoint.c,
 * core/conn.c) when a call fails part way, through the fault-injection
 * layer on a SQLite file: for every call of the workload, the failing
 * call returns the injected code with its message; a plain failure leaves
 * the transaction open to roll back, a lost connection (DAL_ECONNECT)
 * ends it and every savepoint with it; either way nothing of the
 * unfinished transaction is committed.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>

#include "fault.h"
#include "testutil.h"

static char *tmpdir;
static int seq;
static unsigned lost_in_savepoint;

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

static dal_repo *open_db(const char *name, const struct fault_rule *rule)
{
	char url[4200];
	dal_repo *r;
	dal_error e;

	snprintf(url, sizeof url, "sqlite:///%s/%s", tmpdir, name);
	ck_assert_msg(repo_open_faulty(&r, NULL, NULL, url, rule, rule ? 1 : 0, &e) == DAL_OK,
	              "%s", e.message);
	return r;
}

/* The workload: rows 1 and 3 survive, 2 and 4 are rolled back. The first
 * failing call's code, or DAL_OK. */
static int workload(dal_conn *c)
{
	int rc;

#define RUN(call)                          \
	do {                               \
		if ((rc = (call)) != DAL_OK) \
			return rc;         \
	} while (0)
	RUN(dal_conn_begin(c));
	RUN(dal_conn_exec(c, "INSERT INTO t VALUES (1)", NULL));
	RUN(dal_conn_savepoint(c, "a"));
	RUN(dal_conn_exec(c, "INSERT INTO t VALUES (2)", NULL));
	RUN(dal_conn_savepoint_rollback(c, "a"));
	RUN(dal_conn_savepoint_release(c, "a"));
	RUN(dal_conn_begin(c)); /* a nested unit */
	ck_assert_uint_eq(dal_conn_txn_depth(c), 2);
	RUN(dal_conn_exec(c, "INSERT INTO t VALUES (3)", NULL));
	RUN(dal_conn_commit(c));
	RUN(dal_conn_begin(c));
	RUN(dal_conn_exec(c, "INSERT INTO t VALUES (4)", NULL));
	RUN(dal_conn_rollback(c));
	ck_assert_uint_eq(dal_conn_txn_depth(c), 1);
	RUN(dal_conn_commit(c));
#undef RUN
	return DAL_OK;
}

/* Call nth of slot fails with code: 1 if it was hit. */
static int txn_with_fault(enum fault_slot slot, unsigned nth, int code)
{
	const struct fault_rule rule = {slot, nth, 1, code};
	char name[32], want[96];
	dal_repo *r;
	dal_conn *c;
	int rc, hit;

	snprintf(name, sizeof name, "t%d.db", ++seq);
	r = open_db(name, NULL);
	tu_repo_exec(r, "CREATE TABLE t (x INTEGER)");
	dal_repo_close(r);

	r = open_db(name, &rule);
	c = tu_conn_acquire(r);
	rc = workload(c);
	hit = fault_calls(repo_fault(r), slot) >= nth;
	if (!hit) {
		ck_assert_msg(rc == DAL_OK, "%s", dal_conn_error(c)->message);
	} else {
		ck_assert_msg(rc == code, "%s call %u: %s: %s", fault_slot_name(slot), nth,
		              dal_code_name(rc), dal_conn_error(c)->message);
		snprintf(want, sizeof want, "injected fault: %s call %u fails", fault_slot_name(slot),
		         nth);
		tu_assert_has(dal_conn_error(c)->message, want);
		if (code == DAL_ECONNECT && dal_conn_txn_depth(c) == 0) {
			/* Lost in a savepoint's statement: the transaction and
			 * its savepoints are gone with the connection. (Lost in
			 * an application statement, the transaction stays open
			 * until the application's rollback, which reports the
			 * loss.) */
			lost_in_savepoint++;
			ck_assert_int_eq(dal_conn_savepoint(c, "b"), DAL_EMISUSE);
			tu_assert_has(dal_conn_error(c)->message, "no transaction is open");
		}
		while (dal_conn_txn_depth(c) > 0)
			ck_assert_msg(dal_conn_rollback(c) == DAL_OK, "%s", dal_conn_error(c)->message);
	}
	dal_conn_release(c);
	dal_repo_close(r);

	r = open_db(name, NULL);
	c = tu_conn_acquire(r);
	ck_assert_int_eq(tu_conn_int64(c, "SELECT count(*) FROM t"), hit ? 0 : 2);
	if (!hit)
		ck_assert_int_eq(tu_conn_int64(c, "SELECT sum(x) FROM t"), 4);
	dal_conn_release(c);
	dal_repo_close(r);
	return hit;
}

static void sweep(enum fault_slot slot, int code, unsigned at_least)
{
	unsigned nth = 1;

	while (txn_with_fault(slot, nth, code))
		ck_assert_msg(++nth < 100, "no end");
	ck_assert_msg(nth > at_least, "%s: only %u calls", fault_slot_name(slot), nth - 1);
}

START_TEST(test_txn_plain_failures)
{
	sweep(FAULT_EXEC, DAL_EREADONLY, 8);
	sweep(FAULT_BEGIN, DAL_EREADONLY, 0);
	sweep(FAULT_COMMIT, DAL_EREADONLY, 0);
}
END_TEST

START_TEST(test_txn_connection_lost)
{
	lost_in_savepoint = 0;
	sweep(FAULT_EXEC, DAL_ECONNECT, 8);
	/* SAVEPOINT a, ROLLBACK TO a, RELEASE a, and the units' own. */
	ck_assert_uint_ge(lost_in_savepoint, 3);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cov2_txn");
	TCase *tc = tcase_create("txn");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_txn_plain_failures);
	tcase_add_test(tc, test_txn_connection_lost);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
