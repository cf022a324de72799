/*
 * Check suite for the settings that only mean something with another
 * setting or with a capability of the backend (core/settings_check.c,
 * check_needs()): given without it, each is refused with DAL_ECONFIG naming
 * the key, its value and where it came from, instead of being read and
 * then doing nothing. The value 0 asks for nothing and is always accepted.
 *
 *   statement_timeout   a backend that declares DAL_CAP_CANCEL
 *   max_replica_lag     replicas
 *   slow_query_ms       telemetry = on
 *   latency_buckets     telemetry = on
 *
 * Through the public API, with the test backend tests/plugins/minimal.c
 * (no cancel capability, no server), found through DAL_PLUGIN_PATH.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>

#include "testutil.h"

/* dal_repo_open() of url over cfg (may be NULL) must fail with DAL_ECONFIG
 * and a message holding each of want[] (NULL-terminated). */
static void assert_refused(const dal_config *cfg, const char *url, const char *const *want)
{
	dal_repo *r = NULL;
	dal_error err;
	int rc = dal_repo_open(&r, cfg, NULL, url, &err);

	ck_assert_msg(rc == DAL_ECONFIG, "%s: %s, expected DAL_ECONFIG: %s", url ? url : "(ini)",
	              dal_code_name(rc), rc == DAL_OK ? "(opened)" : err.message);
	ck_assert_ptr_null(r);
	for (const char *const *w = want; *w; w++)
		tu_assert_has(err.message, *w);
}

static void assert_opens(const char *url)
{
	dal_repo *r = NULL;
	dal_error err;
	int rc = dal_repo_open_url(&r, url, &err);

	ck_assert_msg(rc == DAL_OK, "%s: %s: %s", url, dal_code_name(rc), err.message);
	dal_repo_close(r);
}

START_TEST(test_statement_timeout_refused_without_cancel)
{
	static const char *const want[] = {"url: statement_timeout = '1.5'", "backend minimal",
	                                   "cancel", NULL};
	static const char *const want_ini[] = {"t.ini:4: statement_timeout = '2'", NULL};
	dal_config *cfg = tu_config_parse("[main]\ntype = minimal\npath = :memory:\n"
	                                  "statement_timeout = 2\n");

	assert_refused(NULL, "minimal::memory:?statement_timeout=1.5", want);
	assert_refused(cfg, NULL, want_ini);
	dal_config_free(cfg);
	assert_opens("minimal::memory:?statement_timeout=0");
}
END_TEST

START_TEST(test_max_replica_lag_refused_without_replicas)
{
	static const char *const want[] = {"url: max_replica_lag = '2'", "no replicas", NULL};
	static const char *const want_env[] = {"env DB_MAX_REPLICA_LAG: max_replica_lag = '0.5'",
	                                       "no replicas", NULL};
	dal_config *cfg = tu_config_parse("[main]\ntype = minimal\npath = :memory:\n");

	assert_refused(NULL, "minimal::memory:?max_replica_lag=2", want);
	setenv("DB_MAX_REPLICA_LAG", "0.5", 1);
	assert_refused(cfg, NULL, want_env);
	unsetenv("DB_MAX_REPLICA_LAG");
	dal_config_free(cfg);
	assert_opens("minimal::memory:?max_replica_lag=0");
}
END_TEST

START_TEST(test_slow_query_ms_refused_with_telemetry_off)
{
	static const char *const want[] = {"url: slow_query_ms = '5'", "telemetry = on", NULL};

	assert_refused(NULL, "minimal::memory:?telemetry=off&slow_query_ms=5", want);
	assert_opens("minimal::memory:?telemetry=off&slow_query_ms=0");
	assert_opens("minimal::memory:?slow_query_ms=5");
}
END_TEST

START_TEST(test_latency_buckets_refused_with_telemetry_off)
{
	static const char *const want[] = {"t.ini:5: latency_buckets = '0.001, 0.01'",
	                                   "telemetry = on", NULL};
	dal_config *cfg = tu_config_parse("[main]\ntype = minimal\npath = :memory:\n"
	                                  "telemetry = off\nlatency_buckets = 0.001, 0.01\n");

	assert_refused(cfg, NULL, want);
	dal_config_free(cfg);
	assert_opens("minimal::memory:?latency_buckets=0.001,0.01");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("settings_needs");
	TCase *tc = tcase_create("settings_needs");

	tu_clear_env();
	/* The test plugins are found like installed ones. */
	if (tu_plugin_path_prepend(TESTS_BUILDDIR))
		return 99;
	tcase_add_test(tc, test_statement_timeout_refused_without_cancel);
	tcase_add_test(tc, test_max_replica_lag_refused_without_replicas);
	tcase_add_test(tc, test_slow_query_ms_refused_with_telemetry_off);
	tcase_add_test(tc, test_latency_buckets_refused_with_telemetry_off);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
