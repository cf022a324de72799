/* Check suite for the error model (core/error.c, core/params.c). */
#include <check.h>
#include <string.h>

#include <dal/dal.h>
#include <dal/plugin.h>

START_TEST(test_error_names_and_texts)
{
	ck_assert_str_eq(dal_code_name(DAL_ECONSTRAINT), "DAL_ECONSTRAINT");
	ck_assert_str_eq(dal_code_name(DAL_OK), "DAL_OK");
	ck_assert_str_eq(dal_code_name(-9999), "DAL_E?");
	ck_assert_str_eq(dal_strerror(DAL_EAUTH), "authentication failed");
	ck_assert_str_eq(dal_strerror(12345), "unknown error code");
}
END_TEST

START_TEST(test_error_transient_classification)
{
	ck_assert_int_eq(dal_code_is_transient(DAL_ECONNECT), 1);
	ck_assert_int_eq(dal_code_is_transient(DAL_ETIMEOUT), 1);
	ck_assert_int_eq(dal_code_is_transient(DAL_EBUSY), 1);
	ck_assert_int_eq(dal_code_is_transient(DAL_ECONSTRAINT), 0);
	ck_assert_int_eq(dal_code_is_transient(DAL_ESYNTAX), 0);
	ck_assert_int_eq(dal_code_is_transient(DAL_EAUTH), 0);
}
END_TEST

START_TEST(test_error_sqlstate_categories)
{
	ck_assert_int_eq(dal_sqlstate_category("23505"), DAL_ECONSTRAINT);
	ck_assert_int_eq(dal_sqlstate_category("23503"), DAL_ECONSTRAINT);
	ck_assert_int_eq(dal_sqlstate_category("08006"), DAL_ECONNECT);
	ck_assert_int_eq(dal_sqlstate_category("28P01"), DAL_EAUTH);
	ck_assert_int_eq(dal_sqlstate_category("40001"), DAL_EBUSY);
	ck_assert_int_eq(dal_sqlstate_category("40P01"), DAL_EBUSY);
	ck_assert_int_eq(dal_sqlstate_category("42601"), DAL_ESYNTAX);
	ck_assert_int_eq(dal_sqlstate_category("42P01"), DAL_ENOTFOUND);
	ck_assert_int_eq(dal_sqlstate_category("42S02"), DAL_ENOTFOUND);
	ck_assert_int_eq(dal_sqlstate_category("22003"), DAL_EDATA);
	ck_assert_int_eq(dal_sqlstate_category("57014"), DAL_ETIMEOUT);
	ck_assert_int_eq(dal_sqlstate_category("57P01"), DAL_ECONNECT);
	ck_assert_int_eq(dal_sqlstate_category("HY000"), DAL_EBACKEND);
	ck_assert_int_eq(dal_sqlstate_category(NULL), DAL_EBACKEND);
	ck_assert_int_eq(dal_sqlstate_category("123"), DAL_EBACKEND);
}
END_TEST

START_TEST(test_error_set_and_clear)
{
	dal_error e;
	ck_assert_int_eq(dal_error_set(&e, DAL_ESYNTAX, "42601", 7, "near '%s'", "SELEC"),
	                 DAL_ESYNTAX);
	ck_assert_int_eq(e.code, DAL_ESYNTAX);
	ck_assert_str_eq(e.sqlstate, "42601");
	ck_assert_int_eq(e.native, 7);
	ck_assert_str_eq(e.message, "near 'SELEC'");
	dal_error_set(&e, DAL_EBACKEND, NULL, 0, "x");
	ck_assert_str_eq(e.sqlstate, "HY000");
	dal_error_clear(&e);
	ck_assert_int_eq(e.code, DAL_OK);
	ck_assert_str_eq(e.sqlstate, "00000");
	ck_assert_str_eq(e.message, "");
	ck_assert_int_eq(dal_error_set(NULL, DAL_EMISUSE, NULL, 0, "ignored"), DAL_EMISUSE);
}
END_TEST

START_TEST(test_error_long_message_truncated_safely)
{
	char big[2000];
	dal_error e;
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	dal_error_set(&e, DAL_EBACKEND, NULL, 0, "%s", big);
	ck_assert_uint_eq(strlen(e.message), DAL_ERROR_MESSAGE_SIZE - 1);
}
END_TEST

START_TEST(test_option_parsers_name_key_and_origin)
{
	dal_option o = {"busy_timeout", "soon", "etc/dal.ini:14"};
	dal_error e;
	long long v;
	int b;

	ck_assert_int_eq(dal_option_int(&o, 0, 100, &v, &e), DAL_ECONFIG);
	ck_assert_str_eq(e.message, "etc/dal.ini:14: busy_timeout = 'soon' is not an integer");
	o.value = "500";
	ck_assert_int_eq(dal_option_int(&o, 0, 100, &v, &e), DAL_ECONFIG);
	ck_assert_str_eq(e.message, "etc/dal.ini:14: busy_timeout = 500 is out of range [0, 100]");
	o.value = "42";
	ck_assert_int_eq(dal_option_int(&o, 0, 100, &v, &e), DAL_OK);
	ck_assert_int_eq(v, 42);
	o.key = "foreign_keys";
	o.value = "maybe";
	ck_assert_int_eq(dal_option_bool(&o, &b, &e), DAL_ECONFIG);
	ck_assert(strstr(e.message, "foreign_keys = 'maybe' is not a boolean") != NULL);
	o.value = "OFF";
	ck_assert_int_eq(dal_option_bool(&o, &b, &e), DAL_OK);
	ck_assert_int_eq(b, 0);
	o.value = "Yes";
	ck_assert_int_eq(dal_option_bool(&o, &b, &e), DAL_OK);
	ck_assert_int_eq(b, 1);
}
END_TEST

START_TEST(test_params_option_lookup)
{
	dal_option opts[] = {{"a", "1", "x"}, {"b", "2", "y"}};
	struct dal_connect_params p = {.options = opts, .n_options = 2};
	ck_assert_str_eq(dal_params_option(&p, "b")->value, "2");
	ck_assert_ptr_null(dal_params_option(&p, "c"));
	ck_assert_ptr_null(dal_params_option(NULL, "a"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("error");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_error_names_and_texts);
	tcase_add_test(tc, test_error_transient_classification);
	tcase_add_test(tc, test_error_sqlstate_categories);
	tcase_add_test(tc, test_error_set_and_clear);
	tcase_add_test(tc, test_error_long_message_truncated_safely);
	tcase_add_test(tc, test_option_parsers_name_key_and_origin);
	tcase_add_test(tc, test_params_option_lookup);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
