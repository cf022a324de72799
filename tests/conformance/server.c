/*
 * Conformance: backends that reach a network server (no DAL_CAP_EMBEDDED).
 * A wrong password is an authentication error that never shows the
 * password, a closed port a quick, transient connection error; host lists
 * fail over and name every host tried; a streamed result blocks a second
 * statement unless buffered = on; bad options are configuration errors.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

START_TEST(test_wrong_password_is_auth_error)
{
	const char *wrong = "Wr0ngPassXyZ";
	struct url_parts p;
	char real[128];
	dal_repo *r = POISON;
	dal_error err;
	char *u;
	int rc;

	url_split(conf.url, &p);
	/* Registered only when the URL has one (NEED_URL_PASSWORD). */
	ck_assert_msg(p.pass[0], "DAL_TEST_URL has no password");
	tu_pct_decode(p.pass, real, sizeof real);
	u = url_build(&p, wrong, p.host, "max_retries=0");
	rc = dal_repo_open(&r, NULL, NULL, u, &err);
	ck_assert_ptr_null(r);
	ck_assert_msg(rc == DAL_EAUTH, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(strncmp(err.sqlstate, "28", 2) == 0, "sqlstate %s", err.sqlstate);
	ck_assert_msg(!tu_contains(err.message, wrong), "password in message: %s", err.message);
	ck_assert_msg(!tu_contains(err.message, real), "password in message: %s", err.message);
	ck_assert_msg(!tu_contains(err.message, p.pass), "password in message: %s", err.message);
	ck_assert_int_eq(dal_code_is_transient(rc), 0);
	free(u);
}
END_TEST

START_TEST(test_server_down_is_connect_error)
{
	struct url_parts p;
	struct timespec t0;
	dal_repo *r = POISON;
	dal_error err;
	double took;
	char *u;
	int rc;

	url_split(conf.url, &p);
	u = url_build(&p, p.pass[0] ? p.pass : NULL, "127.0.0.1:1",
	              "connect_timeout=2&max_retries=0");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = dal_repo_open(&r, NULL, NULL, u, &err);
	took = elapsed_s(&t0);
	ck_assert_ptr_null(r);
	ck_assert_msg(rc == DAL_ECONNECT, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(strncmp(err.sqlstate, "08", 2) == 0, "sqlstate %s", err.sqlstate);
	ck_assert_msg(took < 10.0, "connect to a closed port took %.1f s", took);
	ck_assert_msg(tu_contains(err.message, "127.0.0.1"), "message does not name the host: %s",
	              err.message);
	if (p.pass[0]) {
		char real[128];

		tu_pct_decode(p.pass, real, sizeof real);
		ck_assert_msg(!tu_contains(err.message, real), "password in message: %s",
		              err.message);
	}
	ck_assert_int_eq(dal_code_is_transient(rc), 1);
	free(u);
}
END_TEST

START_TEST(test_server_streaming_one_result_at_a_time)
{
	dal_repo *r;
	dal_conn *c;
	dal_stmt *a, *b = POISON;
	dal_error err;
	int rc, n = 0;

	ck_assert_int_eq(open_with(NULL, "max_retries=0", &r, &err), DAL_OK);
	c = acquire(r);
	a = prep(c, "SELECT 1 UNION ALL SELECT 2");
	CK_STEP(a, DAL_ROW);
	/* A second statement while the first result streams: refused, with
	 * the reason and the way out. */
	rc = dal_stmt_prepare(c, "SELECT 3", &b);
	ck_assert_int_eq(rc, DAL_EMISUSE);
	ck_assert_ptr_null(b);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "unfinished result") &&
	                  tu_contains(dal_conn_error(c)->message, "buffered = on"),
	              "message: %s", dal_conn_error(c)->message);
	/* The first statement is unharmed and the connection recovers. */
	CK_STEP(a, DAL_ROW);
	CK_STEP(a, DAL_DONE);
	dal_stmt_close(a);
	ck_assert_int_eq(query_int(c, "SELECT 3"), 3);
	close_conn(r, c);

	/* buffered = on: results are fetched whole, so two may be open. */
	ck_assert_int_eq(open_with(NULL, "max_retries=0&buffered=on", &r, &err), DAL_OK);
	c = acquire(r);
	a = prep(c, "SELECT 1 UNION ALL SELECT 2");
	CK_STEP(a, DAL_ROW);
	b = prep(c, "SELECT 3");
	CK_STEP(b, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(b, 0), 3);
	while (dal_stmt_step(a) == DAL_ROW)
		n++;
	ck_assert_int_eq(n, 1);
	dal_stmt_close(a);
	dal_stmt_close(b);
	close_conn(r, c);
}
END_TEST

START_TEST(test_server_bad_options_are_config_errors)
{
	char bad_choice[64];
	dal_repo *r;
	dal_error err;

	/* An option that takes one of a few words: the TLS mode. */
	snprintf(bad_choice, sizeof bad_choice, "%s=sometimes", dl->tls_option);
	ck_assert_int_eq(open_with(NULL, "max_retries=0&no_such_option=1", &r, &err),
	                 DAL_ECONFIG);
	ck_assert_ptr_null(r);
	ck_assert_msg(tu_contains(err.message, "unknown") &&
	                  tu_contains(err.message, "no_such_option") &&
	                  tu_contains(err.message, "known:"),
	              "message: %s", err.message);
	ck_assert_int_eq(open_with(NULL, sqlf("max_retries=0&%s", bad_choice), &r, &err),
	                 DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "sometimes") && tu_contains(err.message, "not one of"),
	              "message: %s", err.message);
	ck_assert_int_eq(open_with(NULL, "max_retries=0&buffered=perhaps", &r, &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "buffered"), "message: %s", err.message);
	{
		/* A host list from the INI file reaches the plugin unparsed: its
		 * bad port is still a configuration error naming the item. */
		dal_config *cfg = NULL;
		int rc;

		r = POISON;
		ck_assert_int_eq(dal_config_parse(&cfg, sqlf("[main]\ntype = %s\nhost = 127.0.0.1,"
		                                             "127.0.0.2:5x\npassword = x\n"
		                                             "max_retries = 0\n", conf.backend),
		                                  "t.ini", &err), DAL_OK);
		rc = dal_repo_open(&r, cfg, NULL, NULL, &err);
		dal_config_free(cfg);
		ck_assert_ptr_null(r);
		ck_assert_msg(rc == DAL_ECONFIG, "%s: %s", dal_code_name(rc), err.message);
		ck_assert_msg(tu_contains(err.message, "127.0.0.2:5x") &&
		                  tu_contains(err.message, "port '5x'"),
		              "message: %s", err.message);
	}
}
END_TEST

START_TEST(test_server_multi_host_failover)
{
	struct url_parts p;
	char hosts[1024];
	dal_repo *r;
	dal_conn *c;
	dal_error err;
	int rc;

	url_split(conf.url, &p);
	/* The first host refuses connections (the server listens on 127.0.0.1
	 * only); the next one is tried. */
	ck_assert_msg(strncmp(p.host, "127.0.0.1:", 10) == 0, "test server at %s", p.host);
	ck_assert_int_lt(snprintf(hosts, sizeof hosts, "127.0.0.2%s,%s", p.host + 9, p.host),
	                 (int)sizeof hosts);
	rc = open_with(hosts, "max_retries=0&connect_timeout=5", &r, &err);
	ck_assert_msg(rc == DAL_OK, "%s: %s", dal_code_name(rc), err.message);
	dal_repo_close(r);
	/* Each host with its own port: port 1 on the same address is closed. */
	ck_assert_int_lt(snprintf(hosts, sizeof hosts, "127.0.0.1:1,%s", p.host),
	                 (int)sizeof hosts);
	rc = open_with(hosts, dl->session_attrs ? "max_retries=0&connect_timeout=5&"
	                                          "target_session_attrs=read-write"
	                                        : "max_retries=0&connect_timeout=5",
	               &r, &err);
	ck_assert_msg(rc == DAL_OK, "%s: %s", dal_code_name(rc), err.message);
	c = acquire(r);
	ck_assert_int_eq(query_int(c, "SELECT 7"), 7);
	close_conn(r, c);
	/* Every host down: one connection error naming what was tried. */
	ck_assert_int_lt(snprintf(hosts, sizeof hosts, "127.0.0.2%s,127.0.0.3%s", p.host + 9,
	                          p.host + 9), (int)sizeof hosts);
	rc = open_with(hosts, "max_retries=0&connect_timeout=5", &r, &err);
	ck_assert_ptr_null(r);
	ck_assert_msg(rc == DAL_ECONNECT, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(tu_contains(err.message, "127.0.0.2") && tu_contains(err.message, "127.0.0.3"),
	              "message: %s", err.message);
	if (dl->session_attrs) {
		/* A standalone server is never a standby. */
		rc = open_with(NULL, "max_retries=0&target_session_attrs=standby", &r, &err);
		ck_assert_ptr_null(r);
		ck_assert_msg(rc == DAL_ECONNECT, "%s: %s", dal_code_name(rc), err.message);
	}
}
END_TEST

static const struct conf_case cases[] = {
	CASE(test_wrong_password_is_auth_error, 0, 0, NEED_SERVER | NEED_URL_PASSWORD),
	CASE(test_server_down_is_connect_error, 0, 0, NEED_SERVER),
	/* An embedded backend steps statements independently. */
	CASE(test_server_streaming_one_result_at_a_time, DAL_CAP_STREAMING, 0, NEED_SERVER),
	CASE(test_server_bad_options_are_config_errors, 0, 0, NEED_SERVER),
	CASE(test_server_multi_host_failover, 0, 0, NEED_SERVER),
	{NULL},
};

const struct conf_area conf_server = {"server", cases};
