/*
 * URL refusals (core/url.c) the other suites leave out, each with its
 * exact message through dal_config_describe(): control characters and
 * blanks in a percent-decoded host, a user or port in a file URL, a type
 * name with other characters, an empty option name, host-list items with
 * a bad port or bracket, an empty driver name, an empty fragment; and the
 * server URLs whose database part is empty, which are accepted.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>

#include "testutil.h"

static void keep(const char *key, const char *value, const char *source, void *ud)
{
	char *out = ud;

	(void)source;
	if (strcmp(key, "host") == 0 || strcmp(key, "port") == 0 || strcmp(key, "name") == 0)
		snprintf(out + strlen(out), 512 - strlen(out), "%s=%s;", key, value);
}

START_TEST(test_url_refusals)
{
	static const struct {
		const char *url, *msg;
	} cases[] = {
		{"", "argument: empty URL"},
		{"mysql://u@h%7F/db", "argument: URL 'mysql://u@h%7F/db': host contains control "
		                      "character 0x7f once percent-decoded"},
		{"mysql://u@%20h/db", "argument: URL 'mysql://u@%20h/db': host ' h' starts or ends "
		                      "with a space once percent-decoded"},
		{"sqlite://u@/x.db", "argument: URL 'sqlite://u@/x.db': a sqlite URL has no user, "
		                     "password or port: write sqlite:///FILE or "
		                     "sqlite:////ABSOLUTE/PATH"},
		{"sqlite://:5/x.db", "argument: URL 'sqlite://:5/x.db': a sqlite URL has no user, "
		                     "password or port: write sqlite:///FILE or "
		                     "sqlite:////ABSOLUTE/PATH"},
		{"sqlite:", "argument: URL 'sqlite:': no database file: write sqlite:///FILE "
		            "(relative), sqlite:////ABSOLUTE/PATH or sqlite:///:memory:"},
		{"my-sql://u@h/db", "invalid database type 'my-sql': use lower-case letters, digits "
		                    "and '_'"},
		{"mysql://u:p@h/db?=v", "argument: URL 'mysql://u:***@h/db?=v': empty option name in "
		                        "the query string"},
		{"mysql://u:p@h1,h2:x/db", "argument: URL 'mysql://u:***@h1,h2:x/db': port '***' is "
		                           "not a number (1..65535)"},
		{"mysql://u:p@h1,[::1/db", "argument: URL 'mysql://u:***@h1,[::1/db': malformed host "
		                           "'***' in the host list"},
		{"mysql://u:p@h1,h2:123456/db", "argument: URL 'mysql://u:***@h1,h2:123456/db': port "
		                                "'***' out of range (1..65535)"},
		{"mysql://u:p@h1,[::1]:99999/db", "argument: URL 'mysql://u:***@h1,[::1]:99999/db': "
		                                  "port '***' out of range (1..65535)"},
		{"mysql://u:p@h1,/db", "argument: URL 'mysql://u:***@h1,/db': empty host in the host "
		                       "list"},
		{"mysql+://u@h/db", "argument: URL 'mysql+://u@h/db': empty driver name after "
		                    "'mysql+'"},
		{"mysql://u:p@h/db#", "argument: URL 'mysql://u:***@h/db#': unexpected fragment "
		                      "'***'"},
		{"mysql://u@h1,h2:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/db",
		 "argument: URL 'mysql://u@h1,h2:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/db': port "
		 "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' is not a number (1..65535)"}, /* cut at 31 */
		{"mysql://u@h1:5x,h2/db", "argument: URL 'mysql://u@h1:5x,h2/db': port '5x' is not a "
		                          "number (1..65535)"},
		{"mysql://u@h1,h2:0/db", "argument: URL 'mysql://u@h1,h2:0/db': port '0' out of range "
		                         "(1..65535)"},
		{"mysql://u@h1:5,h2:6,h3/db", "argument: URL 'mysql://u@h1:5,h2:6,h3/db': hosts use "
		                              "different ports, and 'h3' names none; give every host "
		                              "its port"},
		{"mysql://u@h1, h2/db", "argument: URL 'mysql://u@h1, h2/db': malformed host ' h2' in "
		                        "the host list"},
		{"mysql://u@h1,h2/db#frag", "argument: URL 'mysql://u@h1,h2/db#frag': unexpected "
		                            "fragment '#frag'"},
		{"mysql://u@h/d%00b", "argument: URL 'mysql://u@h/d%00b': percent-encoded NUL (%00) in "
		                      "the path"},
		{"mysql://u@h/db?a=%00", "argument: URL 'mysql://u@h/db?a=%00': percent-encoded NUL "
		                         "(%00) in the query string"},
		{"mysql://@h/db", "repository 'main': empty password for (default user)@h:3306; set "
		                  "password/password_file/DB_PASS or allow_empty_password = true"},
	};

	if (!tu_backends_built("mysql"))
		return;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char out[512] = "";
		dal_error e;

		ck_assert_msg(dal_config_describe(NULL, "main", cases[i].url, keep, out, &e) ==
		                      DAL_ECONFIG, "%s: accepted", cases[i].url);
		ck_assert_str_eq(e.message, cases[i].msg);
	}
}
END_TEST

/* A server URL with an empty database part, with or without its '/', an
 * upper-case scheme, an empty port: accepted, no database named. */
START_TEST(test_url_empty_parts_accepted)
{
	static const struct {
		const char *url, *want;
	} cases[] = {
		{"mysql://u:p@h/", "host=h;port=3306;"},
		{"mysql://u:p@h", "host=h;port=3306;"},
		{"MYSQL://u:p@h/db", "host=h;port=3306;name=db;"},
		{"mysql://u:p@h:/db", "host=h;port=3306;name=db;"},
		{"mysql://u:p@h1:5,h2/", "host=h1,h2;port=5;"},
		/* Ports that differ stay in the host list, the bracketed
		 * literal included; a one-colon literal keeps its brackets. */
		{"mysql://u:p@[::1]:5,h2:6/db", "host=[::1]:5,h2:6;port=3306;name=db;"},
		{"mysql://u:p@h1,[v1.x:y]:7/db", "host=h1,[v1.x:y];port=7;name=db;"},
	};

	if (!tu_backends_built("mysql"))
		return;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char out[512] = "";
		dal_error e;

		ck_assert_msg(dal_config_describe(NULL, "main", cases[i].url, keep, out, &e) == DAL_OK,
		              "%s: %s", cases[i].url, e.message);
		ck_assert_msg(strcmp(out, cases[i].want) == 0, "%s: %s", cases[i].url, out);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cov2_url");
	TCase *tc = tcase_create("url");

	tu_clear_env();
	tcase_add_test(tc, test_url_refusals);
	tcase_add_test(tc, test_url_empty_parts_accepted);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
