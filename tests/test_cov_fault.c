/*
 * The fault-injection layer's own contract (core/fault.h), on SQLite: each
 * injectable code comes with a SQLSTATE that maps back to the same
 * category, bad rules are refused, slot names, and real failures of the
 * layer below (a connect, a prepare) pass through it unchanged.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>

#include "fault.h"
#include "internal.h"
#include "testutil.h"

static dal_repo *open_faulty(const char *url, const struct fault_rule *rules, size_t n)
{
	dal_repo *r = NULL;
	dal_error e;

	ck_assert_msg(repo_open_faulty(&r, NULL, NULL, url, rules, n, &e) == DAL_OK, "%s: %s",
	              url, e.message);
	return r;
}

/* Every code a rule can inject fails the call with that code, a message
 * naming the call, and a SQLSTATE whose category is the same code. */
START_TEST(test_fault_every_code_has_a_fitting_sqlstate)
{
	static const int codes[] = {DAL_ECONNECT, DAL_EAUTH,     DAL_ETIMEOUT, DAL_EBUSY,
	                            DAL_ECONSTRAINT, DAL_ESYNTAX, DAL_ENOTFOUND, DAL_EDATA,
	                            DAL_EREADONLY, DAL_ENOMEM,   DAL_EBACKEND};

	tu_clear_env();
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		const struct fault_rule rule = {FAULT_EXEC, 1, 1, codes[i]};
		dal_repo *r = open_faulty("sqlite::memory:", &rule, 1);
		dal_conn *c;
		dal_error e;
		const dal_error *ce;

		ck_assert_int_eq(dal_conn_acquire(r, &c, &e), DAL_OK);
		ck_assert_int_eq(dal_conn_exec(c, "SELECT 1", NULL), codes[i]);
		ce = dal_conn_error(c);
		ck_assert_int_eq(ce->code, codes[i]);
		ck_assert_msg(strlen(ce->sqlstate) == 5, "%s: '%s'", dal_code_name(codes[i]),
		              ce->sqlstate);
		ck_assert_msg(dal_sqlstate_category(ce->sqlstate) == codes[i],
		              "%s: SQLSTATE %s maps to %s", dal_code_name(codes[i]), ce->sqlstate,
		              dal_code_name(dal_sqlstate_category(ce->sqlstate)));
		tu_assert_has(ce->message, "injected fault: exec call 1");
		dal_conn_release(c);
		dal_repo_close(r);
	}
}
END_TEST

/* Malformed rules are refused by the check, by fault_new() and by
 * repo_open_faulty() (with a message); slot names are the slots'. */
START_TEST(test_fault_bad_rules_are_refused)
{
	const struct fault_rule ok = {FAULT_STEP, 1, 0, DAL_EBUSY};
	const struct fault_rule bad[] = {
		{FAULT__COUNT, 1, 1, DAL_EBUSY}, /* no such slot */
		{FAULT_STEP, 0, 1, DAL_EBUSY},   /* calls count from 1 */
		{FAULT_STEP, 1, 1, DAL_OK},      /* not an error */
	};
	struct fault_rule nine[9];
	dal_repo *r = NULL;
	dal_error e;

	ck_assert_int_eq(fault_rules_valid(&ok, 1), 1);
	ck_assert_int_eq(fault_rules_valid(NULL, 0), 1);
	ck_assert_int_eq(fault_rules_valid(NULL, 1), 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(fault_rules_valid(&bad[i], 1) == 0, "rule %zu", i);
		ck_assert_ptr_null(fault_new(NULL, &bad[i], 1));
	}
	for (size_t i = 0; i < 9; i++)
		nine[i] = ok;
	ck_assert_int_eq(fault_rules_valid(nine, 8), 1);
	ck_assert_int_eq(fault_rules_valid(nine, 9), 0);
	tu_clear_env();
	ck_assert_int_eq(repo_open_faulty(&r, NULL, NULL, "sqlite::memory:", bad, 1, &e),
	                 DAL_EMISUSE);
	ck_assert_ptr_null(r);
	tu_assert_has(e.message, "fault injection: bad rule");

	ck_assert_str_eq(fault_slot_name(FAULT_CONNECT), "connect");
	ck_assert_str_eq(fault_slot_name(FAULT_STEP), "step");
	ck_assert_str_eq(fault_slot_name(FAULT_ROLLBACK), "rollback");
	ck_assert_ptr_null(fault_slot_name(FAULT__COUNT));
}
END_TEST

/* With the layer installed, failures of the plugin itself -- a database
 * file that cannot be created, SQL that does not parse -- reach the caller
 * as the plugin reported them, and the layer counts the calls. */
START_TEST(test_fault_real_failures_pass_through)
{
	const struct fault_rule rule = {FAULT_COMMIT, 5, 1, DAL_EBUSY};
	dal_repo *r;
	dal_conn *c;
	dal_stmt *s = NULL;
	dal_error e;
	int rc;

	tu_clear_env();
	r = NULL;
	rc = repo_open_faulty(&r, NULL, NULL, "sqlite:////nonexistent-dir/x.db", &rule, 1, &e);
	if (rc == DAL_OK) { /* connections may be opened at first use */
		rc = dal_conn_acquire(r, &c, &e);
		dal_repo_close(r);
	}
	ck_assert_msg(rc == DAL_ECONNECT || rc == DAL_ENOTFOUND, "%s: %s", dal_code_name(rc),
	              e.message);
	tu_assert_has(e.message, "cannot open sqlite database '/nonexistent-dir/x.db'");
	tu_assert_lacks(e.message, "injected fault");

	r = open_faulty("sqlite::memory:", &rule, 1);
	ck_assert_int_eq(dal_conn_acquire(r, &c, &e), DAL_OK);
	ck_assert_int_eq(dal_stmt_prepare(c, "SELEC 1", &s), DAL_ESYNTAX);
	tu_assert_has(dal_conn_error(c)->message, "syntax error");
	tu_assert_lacks(dal_conn_error(c)->message, "injected fault");
	ck_assert_ptr_null(s);
	ck_assert_uint_eq(fault_calls(repo_fault(r), FAULT_PREPARE), 1);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* The layer over a plugin without optional slots (tests/plugins/minimal.c),
 * with and without telemetry above it: every optional call falls through
 * both layers to the core's answer for a missing slot (DAL_EUNSUPPORTED
 * naming the backend, or no TLS), while the layer still injects. */
START_TEST(test_fault_over_a_plugin_without_optional_slots)
{
	static const char *const urls[] = {"minimal::memory:", "minimal::memory:?telemetry=off"};
	/* minimal has no exec slot: an exec is a prepare and a step. */
	const struct fault_rule rule = {FAULT_PREPARE, 2, 1, DAL_EBUSY};

	for (size_t i = 0; i < 2; i++) {
		dal_repo *r = open_faulty(urls[i], &rule, 1);
		dal_conn *c;
		dal_error e;
		int64_t id;

		ck_assert_int_eq(dal_conn_acquire(r, &c, &e), DAL_OK);
		ck_assert_int_eq(dal_conn_exec(c, "INSERT INTO t VALUES (1)", NULL), DAL_OK);
		ck_assert_int_eq(dal_conn_exec(c, "INSERT INTO t VALUES (2)", NULL), DAL_EBUSY);
		tu_assert_has(dal_conn_error(c)->message, "injected fault: prepare call 2");
		ck_assert_int_eq(dal_conn_begin(c), DAL_EUNSUPPORTED);
		tu_assert_has(dal_conn_error(c)->message, "backend minimal");
		ck_assert_int_eq(dal_conn_last_insert_id(c, &id), DAL_EUNSUPPORTED);
		tu_assert_has(dal_conn_error(c)->message, "backend minimal");
		ck_assert_int_eq(dal_conn_cancel(c), DAL_EUNSUPPORTED);
		ck_assert_ptr_null(dal_conn_tls(c));
		ck_assert_int_eq(dal_conn_ping(c, NULL), DAL_OK);
		dal_conn_release(c);
		ck_assert_int_eq(dal_repo_backup(r, "/nonexistent/x.bak", &e), DAL_EUNSUPPORTED);
		tu_assert_has(e.message, "minimal");
		dal_repo_close(r);
	}
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;

	tu_clear_env();
	/* The test plugins (minimal) are found like installed ones. */
	if (tu_plugin_path_prepend(TESTS_BUILDDIR) != 0)
		return 99;
	s = suite_create("cov_fault");
	tc = tcase_create("fault");

	tcase_add_test(tc, test_fault_every_code_has_a_fitting_sqlstate);
	tcase_add_test(tc, test_fault_bad_rules_are_refused);
	tcase_add_test(tc, test_fault_real_failures_pass_through);
	tcase_add_test(tc, test_fault_over_a_plugin_without_optional_slots);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
