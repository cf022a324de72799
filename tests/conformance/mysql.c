/*
 * Conformance cases that concern the mysql backend alone (selected by
 * backend name): the MariaDB Galera wsrep_check option.
 */
#include "common.h"

START_TEST(test_mysql_wsrep_check_refuses_non_galera)
{
	dal_repo *r;
	dal_error err;
	int rc;

	/* The test server is a standalone MariaDB: wsrep is off, so a
	 * repository that demands a ready Galera node must not open. */
	rc = open_with(NULL, "max_retries=0&wsrep_check=on", &r, &err);
	ck_assert_ptr_null(r);
	ck_assert_msg(rc == DAL_ECONFIG, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(tu_contains(err.message, "not a Galera node"), "message: %s", err.message);
	ck_assert_int_eq(open_with(NULL, "max_retries=0&wsrep_check=off", &r, &err), DAL_OK);
	dal_repo_close(r);
}
END_TEST

static const struct conf_case cases[] = {
	BACKEND_CASE("mysql", test_mysql_wsrep_check_refuses_non_galera, 0, 0),
	{NULL},
};

const struct conf_area conf_mysql = {"mysql", cases};
