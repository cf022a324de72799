/*
 * Conformance: stopping a statement (DAL_CAP_CANCEL). dal_conn_cancel()
 * from another thread stops a long statement within a second, through a
 * step and through exec, with DAL_ECANCELED, and the connection goes on; a
 * statement_timeout stops one with DAL_ETIMEOUT (not DAL_ECANCELED); a
 * cancel while nothing runs changes nothing.
 *
 * The long statement is the dialect's long_sql (common.c): one that runs
 * for seconds, or minutes, unless stopped, so that a cancel that does not
 * work fails the test instead of passing late.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "common.h"

/* Seconds the canceller waits before it cancels: the statement is running
 * on the server by then. */
#define CANCEL_AFTER_S 0.5
/* How soon after dal_conn_cancel() the interrupted call must return. */
#define CANCEL_WITHIN_S 1.0

/* A thread that calls dal_conn_cancel(c) after delay_s. Its results are
 * read after pthread_join(). */
struct canceller {
	dal_conn *c;
	double delay_s;
	struct timespec at; /* when dal_conn_cancel() was called */
	int rc;             /* what it returned */
	pthread_t thread;
};

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) != 0)
		;
}

static void *cancel_main(void *arg)
{
	struct canceller *k = arg;

	sleep_s(k->delay_s);
	clock_gettime(CLOCK_MONOTONIC, &k->at);
	k->rc = dal_conn_cancel(k->c);
	return NULL;
}

static void canceller_start(struct canceller *k, dal_conn *c, double delay_s)
{
	k->c = c;
	k->delay_s = delay_s;
	k->rc = DAL_OK;
	ck_assert_int_eq(pthread_create(&k->thread, NULL, cancel_main, k), 0);
}

/* Wait for the canceller; its dal_conn_cancel() must have succeeded. */
static void canceller_join(struct canceller *k)
{
	ck_assert_int_eq(pthread_join(k->thread, NULL), 0);
	ck_assert_msg(k->rc == DAL_OK, "dal_conn_cancel -> %s", dal_code_name(k->rc));
}

/* The call that returned rc with error e, started at t0, was interrupted
 * by k's cancel: DAL_ECANCELED, soon after the cancel, not before it. */
static void check_canceled(const char *call, int rc, const dal_error *e,
                           const struct timespec *t0, const struct canceller *k)
{
	double ran = elapsed_s(t0), after = elapsed_s(&k->at);

	ck_assert_msg(rc == DAL_ECANCELED, "%s -> %s, expected DAL_ECANCELED: %s", call,
	              dal_code_name(rc), e->message);
	ck_assert_int_eq(e->code, DAL_ECANCELED);
	ck_assert_str_eq(e->sqlstate, "57014");
	ck_assert_int_eq(dal_code_is_transient(rc), 0);
	ck_assert_msg(ran >= k->delay_s - 0.05,
	              "%s failed after %.3f s, before the cancel (%.1f s)", call, ran,
	              k->delay_s);
	ck_assert_msg(after < CANCEL_WITHIN_S,
	              "%s returned %.3f s after dal_conn_cancel(), not within %.1f s", call,
	              after, CANCEL_WITHIN_S);
}

START_TEST(test_cancel_from_another_thread)
{
	struct canceller k;
	struct timespec t0;
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_stmt *s;
	int rc;

	/* A step... */
	s = prep(c, dl->long_sql);
	canceller_start(&k, c, CANCEL_AFTER_S);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = dal_stmt_step(s);
	canceller_join(&k);
	check_canceled("step", rc, dal_stmt_error(s), &t0, &k);
	dal_stmt_close(s);
	/* ...and the connection goes on, its statements too. */
	ck_assert_int_eq(query_int(c, "SELECT 1"), 1);
	CK_CONN(c, dal_conn_ping(c, NULL));

	/* An exec. */
	canceller_start(&k, c, CANCEL_AFTER_S);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = dal_conn_exec(c, dl->long_sql, NULL);
	canceller_join(&k);
	check_canceled("exec", rc, dal_conn_error(c), &t0, &k);
	ck_assert_int_eq(query_int(c, "SELECT 2"), 2);

	/* A statement prepared before the cancel is reusable after it. */
	s = prep(c, dl->long_sql);
	canceller_start(&k, c, CANCEL_AFTER_S);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = dal_stmt_step(s);
	canceller_join(&k);
	check_canceled("step", rc, dal_stmt_error(s), &t0, &k);
	CK_STMT(s, dal_stmt_reset(s));
	canceller_start(&k, c, CANCEL_AFTER_S);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = dal_stmt_step(s);
	canceller_join(&k);
	check_canceled("step after reset", rc, dal_stmt_error(s), &t0, &k);
	dal_stmt_close(s);
	ck_assert_int_eq(query_int(c, "SELECT 3"), 3);
	close_conn(r, c);
}
END_TEST

START_TEST(test_statement_timeout)
{
	char *u = url_with_query("statement_timeout=0.5");
	struct timespec t0;
	dal_repo *r;
	dal_conn *c = open_conn_url(u, &r);
	dal_stmt *s;
	double ran;
	int rc;

	/* Statements shorter than the limit run as usual. */
	ck_assert_int_eq(query_int(c, "SELECT 1"), 1);

	s = prep(c, dl->long_sql);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = dal_stmt_step(s);
	ran = elapsed_s(&t0);
	/* A timeout, not a cancel: nobody called dal_conn_cancel(). */
	ck_assert_msg(rc == DAL_ETIMEOUT, "step -> %s, expected DAL_ETIMEOUT: %s",
	              dal_code_name(rc), dal_stmt_error(s)->message);
	ck_assert_int_eq(dal_stmt_error(s)->code, DAL_ETIMEOUT);
	ck_assert_msg(ran >= 0.4 && ran < 3.0, "stopped after %.3f s, the limit is 0.5 s", ran);
	dal_stmt_close(s);
	ck_assert_int_eq(query_int(c, "SELECT 2"), 2);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = dal_conn_exec(c, dl->long_sql, NULL);
	ran = elapsed_s(&t0);
	ck_assert_msg(rc == DAL_ETIMEOUT, "exec -> %s, expected DAL_ETIMEOUT: %s",
	              dal_code_name(rc), dal_conn_error(c)->message);
	ck_assert_msg(ran >= 0.4 && ran < 3.0, "stopped after %.3f s, the limit is 0.5 s", ran);
	ck_assert_int_eq(query_int(c, "SELECT 3"), 3);
	close_conn(r, c);
	free(u);
}
END_TEST

START_TEST(test_cancel_when_idle_is_harmless)
{
	struct canceller k;
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_stmt *s;

	/* Nothing runs: the cancel succeeds and stops nothing, now or later. */
	canceller_start(&k, c, 0);
	canceller_join(&k);
	ck_assert_int_eq(query_int(c, "SELECT 1"), 1);
	CK_CONN(c, dal_conn_ping(c, NULL));
	canceller_start(&k, c, 0);
	canceller_join(&k);
	canceller_start(&k, c, 0);
	canceller_join(&k);
	s = prep(c, "SELECT 2");
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 2);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	CK_CONN(c, dal_conn_exec(c, "SELECT 3", NULL));
	close_conn(r, c);
}
END_TEST

static const struct conf_case cases[] = {
	CASE(test_cancel_from_another_thread, DAL_CAP_CANCEL, 0, 0),
	CASE(test_statement_timeout, DAL_CAP_CANCEL, 0, 0),
	CASE(test_cancel_when_idle_is_harmless, DAL_CAP_CANCEL, 0, 0),
	{NULL},
};

const struct conf_area conf_cancel = {"cancel", cases};
