/* Check suite for database URL parsing and redaction (core/url.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>
#include <dal/plugin.h>

#include "url.h"

/* url.c learns a scheme's kind from its plugin (settings.c asks the
 * loader); here the test says it: sqlite is a file database, the rest are
 * servers. */
static int kind_of(const char *url)
{
	return strncmp(url, "sqlite", 6) == 0 || strncmp(url, "SQLITE", 6) == 0
	               ? DAL_KIND_FILE
	               : DAL_KIND_SERVER;
}

/* Parse url, which must succeed. */
static void parse_ok(const char *url, struct dal_url *u)
{
	dal_error e;
	int rc = url_parse(url, "argument", kind_of(url), u, &e);

	ck_assert_msg(rc == DAL_OK, "'%s' failed: %s", url, e.message);
	ck_assert_int_eq(e.code, DAL_OK);
}

/* Parse url, which must fail with DAL_ECONFIG; returns the message in e. The
 * output struct must be left empty. */
static void parse_bad(const char *url, const char *origin, dal_error *e)
{
	struct dal_url u;
	int rc;

	/* Garbage in: the empty struct checked below must be url_parse()'s
	 * doing, not the stack's. */
	memset(&u, 0xa5, sizeof u);
	rc = url_parse(url, origin, kind_of(url), &u, e);
	ck_assert_msg(rc == DAL_ECONFIG, "'%s' gave %d, expected DAL_ECONFIG", url, rc);
	ck_assert_int_eq(e->code, DAL_ECONFIG);
	ck_assert_ptr_null(u.scheme);
	ck_assert_ptr_null(u.driver);
	ck_assert_ptr_null(u.user);
	ck_assert_ptr_null(u.host);
	ck_assert_ptr_null(u.password);
	ck_assert_ptr_null(u.path);
	ck_assert_ptr_null(u.options);
	ck_assert_uint_eq(u.n_options, 0);
	ck_assert_uint_eq(u.port, 0);
}

static const char *option(const struct dal_url *u, const char *key)
{
	for (size_t i = 0; i < u->n_options; i++)
		if (strcmp(u->options[i].key, key) == 0)
			return u->options[i].value;
	return NULL;
}

/* The SQLAlchemy convention: four slashes for an absolute path. */
START_TEST(test_url_sqlite_absolute_path)
{
	struct dal_url u;

	parse_ok("sqlite:////var/lib/app/app.db", &u);
	ck_assert_str_eq(u.scheme, "sqlite");
	ck_assert_str_eq(u.path, "/var/lib/app/app.db");
	ck_assert_ptr_null(u.host);
	ck_assert_ptr_null(u.user);
	ck_assert_uint_eq(u.port, 0);
	url_free(&u);

	parse_ok("sqlite:/tmp/x.db", &u);
	ck_assert_str_eq(u.path, "/tmp/x.db");
	url_free(&u);
}
END_TEST

START_TEST(test_url_sqlite_relative_path)
{
	struct dal_url u;

	parse_ok("sqlite:rel.db", &u);
	ck_assert_str_eq(u.path, "rel.db");
	url_free(&u);

	/* SQLAlchemy: three slashes, then a relative path. */
	parse_ok("sqlite:///rel.db", &u);
	ck_assert_str_eq(u.path, "rel.db");
	url_free(&u);
	parse_ok("sqlite:///./app.db", &u);
	ck_assert_str_eq(u.path, "./app.db");
	url_free(&u);
	parse_ok("sqlite:///data/app.db", &u);
	ck_assert_str_eq(u.path, "data/app.db");
	url_free(&u);

	parse_ok("sqlite:data/sub%20dir/app.db", &u);
	ck_assert_str_eq(u.path, "data/sub dir/app.db");
	url_free(&u);
}
END_TEST

START_TEST(test_url_sqlite_memory)
{
	struct dal_url u;

	parse_ok("sqlite::memory:", &u);
	ck_assert_str_eq(u.path, ":memory:");
	ck_assert_uint_eq(u.n_options, 0);
	url_free(&u);
	parse_ok("sqlite:///:memory:", &u);
	ck_assert_str_eq(u.path, ":memory:");
	url_free(&u);
}
END_TEST

/* SQLAlchemy URLs name a Python driver after '+': kept apart, ignored. */
START_TEST(test_url_driver_suffix_is_split_off)
{
	static const struct {
		const char *url, *scheme, *driver;
	} cases[] = {
		{"mysql+pymysql://u@h/db", "mysql", "pymysql"},
		{"mysql+asyncmy://u@h/db", "mysql", "asyncmy"},
		{"postgresql+psycopg2://u@h/db", "postgresql", "psycopg2"},
		{"MariaDB+MariaDBConnector://u@h/db", "mariadb", "mariadbconnector"},
		{"sqlite+aiosqlite:///app.db", "sqlite", "aiosqlite"},
	};
	struct dal_url u;
	char scheme[72];
	dal_error e;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		parse_ok(cases[i].url, &u);
		ck_assert_str_eq(u.scheme, cases[i].scheme);
		ck_assert_str_eq(u.driver, cases[i].driver);
		url_free(&u);
		ck_assert_int_eq(url_scheme(cases[i].url, "x", scheme, sizeof scheme, &e), DAL_OK);
		ck_assert_str_eq(scheme, cases[i].scheme);
	}
	parse_ok("sqlite+aiosqlite:///app.db", &u);
	ck_assert_str_eq(u.path, "app.db");
	url_free(&u);
	parse_bad("mysql+://h/db", "DB_URL", &e);
	ck_assert_msg(strstr(e.message, "empty driver name after 'mysql+'"), "%s", e.message);
}
END_TEST

START_TEST(test_url_sqlite_options)
{
	struct dal_url u;

	parse_ok("sqlite:app.db?journal_mode=WAL&busy_timeout=500", &u);
	ck_assert_str_eq(u.path, "app.db");
	ck_assert_uint_eq(u.n_options, 2);
	ck_assert_str_eq(u.options[0].key, "journal_mode");
	ck_assert_str_eq(u.options[0].value, "WAL");
	ck_assert_str_eq(u.options[1].key, "busy_timeout");
	ck_assert_str_eq(u.options[1].value, "500");
	url_free(&u);
}
END_TEST

START_TEST(test_url_mysql_full)
{
	struct dal_url u;

	parse_ok("mysql://app:secret@db.internal:3307/orders?ssl_mode=REQUIRED", &u);
	ck_assert_str_eq(u.scheme, "mysql");
	ck_assert_str_eq(u.user, "app");
	ck_assert_str_eq(u.password, "secret");
	ck_assert_str_eq(u.host, "db.internal");
	ck_assert_uint_eq(u.port, 3307);
	ck_assert_str_eq(u.path, "orders");
	ck_assert_str_eq(option(&u, "ssl_mode"), "REQUIRED");
	url_free(&u);
}
END_TEST

START_TEST(test_url_every_server_scheme)
{
	static const char *const schemes[] = {"mysql", "mariadb", "postgresql",
	                                      "postgres", "pgsql"};
	char url[128];
	struct dal_url u;

	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		snprintf(url, sizeof url, "%s://h/db", schemes[i]);
		parse_ok(url, &u);
		ck_assert_str_eq(u.scheme, schemes[i]);
		ck_assert_str_eq(u.host, "h");
		ck_assert_str_eq(u.path, "db");
		url_free(&u);
	}
}
END_TEST

START_TEST(test_url_scheme_is_lowercased)
{
	struct dal_url u;

	parse_ok("PostgreSQL://h/db", &u);
	ck_assert_str_eq(u.scheme, "postgresql");
	url_free(&u);
}
END_TEST

START_TEST(test_url_server_parts_are_optional)
{
	struct dal_url u;

	parse_ok("postgresql://db.internal", &u);
	ck_assert_str_eq(u.host, "db.internal");
	ck_assert_ptr_null(u.path);
	ck_assert_ptr_null(u.user);
	ck_assert_ptr_null(u.password);
	ck_assert_uint_eq(u.port, 0);
	url_free(&u);

	/* No host: the client library's local default (socket). */
	parse_ok("postgresql:///app", &u);
	ck_assert_ptr_null(u.host);
	ck_assert_str_eq(u.path, "app");
	url_free(&u);

	/* A user without a password. */
	parse_ok("mysql://app@h/db", &u);
	ck_assert_str_eq(u.user, "app");
	ck_assert_ptr_null(u.password);
	url_free(&u);
}
END_TEST

START_TEST(test_url_user_and_password_percent_decoded)
{
	struct dal_url u;

	parse_ok("mysql://us%65r%40corp:p%40ss%3Aw%2Fo+rd%25@h/db", &u);
	ck_assert_str_eq(u.user, "user@corp");
	ck_assert_str_eq(u.password, "p@ss:w/o+rd%");
	url_free(&u);
}
END_TEST

START_TEST(test_url_query_values_percent_decoded)
{
	struct dal_url u;

	parse_ok("postgresql://h/db?application_name=my%20app&options=-c%20x%3D1&p=a+b", &u);
	ck_assert_str_eq(option(&u, "application_name"), "my app");
	ck_assert_str_eq(option(&u, "options"), "-c x=1");
	/* '+' is not a space outside HTML forms. */
	ck_assert_str_eq(option(&u, "p"), "a+b");
	url_free(&u);
}
END_TEST

START_TEST(test_url_database_name_percent_decoded)
{
	struct dal_url u;

	parse_ok("postgresql://h/my%20db", &u);
	ck_assert_str_eq(u.path, "my db");
	url_free(&u);
}
END_TEST

START_TEST(test_url_socket_directory_as_encoded_host)
{
	struct dal_url u;

	parse_ok("postgresql://%2Fvar%2Frun%2Fpostgresql/app", &u);
	ck_assert_str_eq(u.host, "/var/run/postgresql");
	url_free(&u);
}
END_TEST

START_TEST(test_url_ipv6_host)
{
	struct dal_url u;

	parse_ok("postgresql://app:pw@[::1]:5433/db", &u);
	ck_assert_str_eq(u.host, "::1");
	ck_assert_uint_eq(u.port, 5433);
	url_free(&u);
}
END_TEST

START_TEST(test_url_multi_host_with_port_on_first)
{
	struct dal_url u;

	parse_ok("postgresql://app:pw@h1:5432,h2/db?target_session_attrs=read-write", &u);
	ck_assert_str_eq(u.host, "h1,h2");
	ck_assert_uint_eq(u.port, 5432);
	ck_assert_str_eq(u.user, "app");
	ck_assert_str_eq(u.password, "pw");
	ck_assert_str_eq(u.path, "db");
	ck_assert_str_eq(option(&u, "target_session_attrs"), "read-write");
	url_free(&u);
}
END_TEST

START_TEST(test_url_multi_host_forms)
{
	struct dal_url u;

	parse_ok("postgresql://h1,h2,h3/db", &u);
	ck_assert_str_eq(u.host, "h1,h2,h3");
	ck_assert_uint_eq(u.port, 0);
	url_free(&u);

	parse_ok("postgresql://h1:6000,[::1]:6000/db", &u);
	ck_assert_str_eq(u.host, "h1,::1");
	ck_assert_uint_eq(u.port, 6000);
	url_free(&u);
}
END_TEST

START_TEST(test_url_multi_host_different_ports_kept_per_host)
{
	struct dal_url u;
	dal_error e;

	/* Each host keeps its own port, in the form dal_host_next() reads. */
	parse_ok("postgresql://u:pw@h1:5432,h2:5433,[::1]:5434/db", &u);
	ck_assert_str_eq(u.host, "h1:5432,h2:5433,[::1]:5434");
	ck_assert_uint_eq(u.port, 0);
	url_free(&u);
	/* With differing ports, a host without one would be ambiguous. */
	parse_bad("postgresql://u:topsecret@h1:5432,h2,h3:5433/db", "DB_URL", &e);
	ck_assert_str_eq(e.message,
	                 "DB_URL: URL 'postgresql://u:***@h1:5432,h2,h3:5433/db': hosts "
	                 "use different ports, and '***' names none; give every host its port");
}
END_TEST

START_TEST(test_host_next_reads_every_item_form)
{
	const char *list = " db1 ,db2:5433,[::1]:5434,::1,/run/postgresql, [fe80::1] ";
	static const struct {
		const char *host;
		unsigned port;
	} want[] = {{"db1", 0}, {"db2", 5433}, {"::1", 5434}, {"::1", 0},
	            {"/run/postgresql", 0}, {"fe80::1", 0}};
	char host[64];
	unsigned port;
	dal_error e;

	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		ck_assert_int_eq(dal_host_next(&list, host, sizeof host, &port, &e), 1);
		ck_assert_str_eq(host, want[i].host);
		ck_assert_uint_eq(port, want[i].port);
	}
	ck_assert_int_eq(dal_host_next(&list, host, sizeof host, &port, &e), 0);
}
END_TEST

START_TEST(test_host_next_bad_items)
{
	static const struct {
		const char *list, *msg;
	} bad[] = {
		{"h1,,h2", "empty host in the host list"},
		{"h1:0", "port '0' is not a number in 1..65535"},
		{"h1:99999", "port '99999'"},
		{"h1:5x", "port '5x'"},
		{"[::1", "missing ']'"},
		{"[::1]x", "junk after ']'"},
		{"averyveryveryverylonghostname.example", "longer than 15 characters"},
	};
	char host[16];
	unsigned port;
	dal_error e;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *list = bad[i].list;
		int rc;

		while ((rc = dal_host_next(&list, host, sizeof host, &port, &e)) == 1)
			;
		ck_assert_msg(rc == DAL_ECONFIG, "'%s' gave %d", bad[i].list, rc);
		ck_assert_msg(strstr(e.message, bad[i].msg), "'%s': %s", bad[i].list, e.message);
	}
}
END_TEST

START_TEST(test_url_multi_host_bad_items)
{
	dal_error e;

	parse_bad("postgresql://h1,,h2/db", "DB_URL", &e);
	ck_assert(strstr(e.message, "empty host in the host list"));
	parse_bad("postgresql://h1:5432,h2:abc/db", "DB_URL", &e);
	ck_assert(strstr(e.message, "port 'abc' is not a number (1..65535)"));
	parse_bad("postgresql://h1,h2:70000/db", "DB_URL", &e);
	ck_assert(strstr(e.message, "port '70000' out of range (1..65535)"));
	parse_bad("postgresql://h1,h 2/db", "DB_URL", &e);
	ck_assert(strstr(e.message, "malformed host 'h 2' in the host list"));
	parse_bad("sqlite://a,b/x.db", "DB_URL", &e);
	ck_assert_msg(strstr(e.message, "a sqlite URL names a file, not hosts"), "%s", e.message);
}
END_TEST

START_TEST(test_url_multi_host_error_position_maps_to_original)
{
	dal_error e;

	/* The space is character 25 of the URL as written, although the host
	 * list is replaced before the rest is parsed. */
	parse_bad("postgresql://h1:1,h2:1/d b", "argument", &e);
	ck_assert_str_eq(e.message, "argument: URL 'postgresql://h1:1,h2:1/d b': "
	                            "malformed URL: unexpected ' ' at character 25");
}
END_TEST

START_TEST(test_url_options_without_value_or_name_refused)
{
	dal_error e;

	parse_bad("mysql://h/db?compress", "DB_URL", &e);
	ck_assert_str_eq(e.message, "DB_URL: URL 'mysql://h/db?compress': option "
	                            "'compress' has no value (write KEY=VALUE)");
	parse_bad("mysql://h/db?=1", "DB_URL", &e);
	ck_assert(strstr(e.message, "empty option name in the query string"));
}
END_TEST

START_TEST(test_url_malformed_names_the_character)
{
	dal_error e;

	parse_bad("mysql://h/d b", "DB_URL", &e);
	ck_assert_str_eq(e.message, "DB_URL: URL 'mysql://h/d b': malformed URL: "
	                            "unexpected ' ' at character 12");
	parse_bad("mysql://[::1/db", "argument", &e);
	ck_assert_str_eq(e.message, "argument: URL 'mysql://[::1/db': malformed URL: "
	                            "unexpected '/' at character 13");
	parse_bad("mysql://h/d\001b", "argument", &e);
	ck_assert(strstr(e.message, "unexpected byte 0x01 at character 12"));
}
END_TEST

START_TEST(test_url_empty_refused)
{
	dal_error e;

	parse_bad("", "DB_URL", &e);
	ck_assert_str_eq(e.message, "DB_URL: empty URL");
}
END_TEST

START_TEST(test_url_without_scheme_refused)
{
	dal_error e;

	parse_bad("app.db", "DB_URL", &e);
	ck_assert_str_eq(e.message,
	                 "DB_URL: URL 'app.db': no scheme (expected TYPE:///FILE or "
	                 "TYPE://HOST/DATABASE; `dal plugins` lists the types)");
}
END_TEST

START_TEST(test_url_non_numeric_port_refused)
{
	dal_error e;

	parse_bad("mysql://u:pw@h:abc/db", "DB_URL", &e);
	ck_assert_str_eq(e.message, "DB_URL: URL 'mysql://u:***@h:abc/db': port "
	                            "'***' is not a number (1..65535)");
	parse_bad("postgresql://[::1]:x1/db", "DB_URL", &e);
	ck_assert(strstr(e.message, "port 'x1' is not a number"));
}
END_TEST

START_TEST(test_url_out_of_range_port_refused)
{
	dal_error e;

	parse_bad("mysql://h:65536/db", "DB_URL", &e);
	ck_assert_str_eq(e.message, "DB_URL: URL 'mysql://h:65536/db': port "
	                            "'65536' out of range (1..65535)");
	parse_bad("mysql://h:0/db", "DB_URL", &e);
	ck_assert(strstr(e.message, "port '0' out of range (1..65535)"));
	parse_bad("mysql://h:99999999999/db", "DB_URL", &e);
	ck_assert(strstr(e.message, "port '99999999999' out of range"));
}
END_TEST

START_TEST(test_url_port_bounds_accepted)
{
	struct dal_url u;

	parse_ok("mysql://h:1/db", &u);
	ck_assert_uint_eq(u.port, 1);
	url_free(&u);
	parse_ok("mysql://h:65535/db", &u);
	ck_assert_uint_eq(u.port, 65535);
	url_free(&u);
}
END_TEST

START_TEST(test_url_sqlite_with_host_suggests_forms)
{
	dal_error e;

	parse_bad("sqlite://x.db", "DB_URL", &e);
	ck_assert_str_eq(e.message,
	                 "DB_URL: URL 'sqlite://x.db': a sqlite URL names a file, not a "
	                 "host (got host 'x.db'): write sqlite:///FILE for a file "
	                 "relative to the current directory, or sqlite:////ABSOLUTE/PATH");
	parse_bad("sqlite://u:pw@/x.db", "DB_URL", &e);
	ck_assert(strstr(e.message, "a sqlite URL has no user, password or port"));
	ck_assert(!strstr(e.message, "pw"));
}
END_TEST

START_TEST(test_url_sqlite_empty_path_refused)
{
	dal_error e;

	parse_bad("sqlite:", "argument", &e);
	ck_assert_str_eq(e.message, "argument: URL 'sqlite:': no database file: write "
	                            "sqlite:///FILE (relative), sqlite:////ABSOLUTE/PATH "
	                            "or sqlite:///:memory:");
	parse_bad("sqlite:///", "argument", &e);
	ck_assert(strstr(e.message, "no database file"));
	parse_bad("sqlite://", "argument", &e);
	ck_assert(strstr(e.message, "no database file"));
}
END_TEST

START_TEST(test_url_server_without_authority_refused)
{
	dal_error e;

	parse_bad("mysql:db", "DB_URL", &e);
	ck_assert_str_eq(e.message, "DB_URL: URL 'mysql:db': mysql is a database server: "
	                            "expected mysql://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE");
}
END_TEST

START_TEST(test_url_server_path_with_two_segments_refused)
{
	dal_error e;

	parse_bad("postgresql://h/db/extra", "DB_URL", &e);
	ck_assert(strstr(e.message, "the path names more than a database "
	                            "(expected /DATABASE)"));
}
END_TEST

START_TEST(test_url_fragment_refused)
{
	dal_error e;

	parse_bad("mysql://h/db#x", "DB_URL", &e);
	ck_assert(strstr(e.message, "unexpected fragment '#x'"));
}
END_TEST

START_TEST(test_url_encoded_nul_refused)
{
	dal_error e;

	parse_bad("mysql://u:ab%00cd@h/db", "DB_URL", &e);
	ck_assert(strstr(e.message, "percent-encoded NUL (%00) in the password"));
	ck_assert(!strstr(e.message, "ab"));
	parse_bad("sqlite:a%00b.db", "DB_URL", &e);
	ck_assert(strstr(e.message, "percent-encoded NUL (%00) in the path"));
	parse_bad("mysql://h/db?k=%00", "DB_URL", &e);
	ck_assert(strstr(e.message, "percent-encoded NUL (%00) in the query string"));
}
END_TEST

START_TEST(test_url_bad_password_character_not_shown)
{
	dal_error e;

	/* Unescaped space and '@' in the password: the message says where the
	 * problem is without quoting or positioning any character of it. */
	parse_bad("mysql://app:hunter 2@h/db", "DB_URL", &e);
	ck_assert_str_eq(e.message, "DB_URL: URL 'mysql://app:***@h/db': invalid "
	                            "character in the password (percent-encode it, "
	                            "e.g. %40 for '***')");
	parse_bad("mysql://app:hun@ter2@h/db", "DB_URL", &e);
	ck_assert(strstr(e.message, "invalid character in the password"));
	ck_assert(!strstr(e.message, "hun"));
	ck_assert(!strstr(e.message, "ter2"));
}
END_TEST

START_TEST(test_url_password_never_in_any_message)
{
	static const char *const bad[] = {
		"oracle+x://u:SeCrEt@h:70000/db",
		"mysql://u:SeCrEt@h:abc/db",
		"mysql://u:SeCrEt@h:70000/db",
		"mysql://u:SeCrEt@h/a/b",
		"mysql://u:SeCrEt@h/db#f",
		"mysql://u:SeCrEt@h/db?x",
		"mysql://u:SeCrEt@h/d b",
		"mysql://u:SeCrEt/x@h/db",
		"mysql://u:Se?CrEt@h/db?",
		"postgresql://u:SeCrEt@h1:1,h2,h3:2/db",
		"postgresql://u:SeCrEt@h1,,h2/db",
		"sqlite://u:SeCrEt@/x",
		"mysql:u:SeCrEt@h",
		"mysql://h/db?password=SeCrEt&x",
		"mysql://h/db?sslpassword=SeCrEt&y=%00",
		/* A quoted part holding a quote (found by fuzz_url): hiding
		 * from quote to quote showed the rest of the password. */
		"s://e,h:?e':@SeCrEt@",
		"postgresql://e,h:?x'y':SeCrEt@h/db",
	};
	dal_error e;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		parse_bad(bad[i], "DB_URL", &e);
		ck_assert_msg(!strstr(e.message, "SeCrEt") && !strstr(e.message, "CrEt"),
		              "password shown for '%s': %s", bad[i], e.message);
	}
}
END_TEST

/* An address literal with one ':' keeps its brackets, so that
 * dal_host_next() does not read "v1.x", port "y" (found by fuzz_url). */
START_TEST(test_url_ipfuture_host_keeps_brackets)
{
	struct dal_url u;
	const char *list;
	char host[64];
	unsigned port;
	dal_error e;

	parse_ok("postgresql://u:p@[v1.x:y]/db", &u);
	ck_assert_str_eq(u.host, "[v1.x:y]");
	list = u.host;
	ck_assert_int_eq(dal_host_next(&list, host, sizeof host, &port, &e), 1);
	ck_assert_str_eq(host, "v1.x:y");
	ck_assert_uint_eq(port, 0);
	ck_assert_int_eq(dal_host_next(&list, host, sizeof host, &port, &e), 0);
	url_free(&u);

	parse_ok("postgresql://u:p@[v1.x:y],h2/db", &u);
	ck_assert_str_eq(u.host, "[v1.x:y],h2");
	url_free(&u);
	/* An IPvFuture literal may hold commas: kept in brackets too. */
	parse_ok("postgresql://u:p@[v1.a,b::c]/db", &u);
	ck_assert_str_eq(u.host, "[v1.a,b::c]");
	url_free(&u);
	parse_ok("postgresql://u:p@[v1.a,b::c],h2/db", &u);
	ck_assert_str_eq(u.host, "[v1.a,b::c],h2");
	list = u.host;
	ck_assert_int_eq(dal_host_next(&list, host, sizeof host, &port, &e), 1);
	ck_assert_str_eq(host, "v1.a,b::c");
	url_free(&u);
	parse_ok("postgresql://u:p@[::1],h2/db", &u);
	ck_assert_str_eq(u.host, "::1,h2"); /* two colons: read as one address */
	url_free(&u);
}
END_TEST

/* A host that percent-decoding gives a ',' or ':' would be read as two
 * hosts or as a port: refused, naming the character. */
START_TEST(test_url_decoded_host_separators_refused)
{
	dal_error e;

	parse_bad("postgresql://u:p@a%2Cb/db", "argument", &e);
	ck_assert_msg(strstr(e.message, "contains a comma"), "%s", e.message);
	parse_bad("postgresql://a%3A1/db", "argument", &e);
	ck_assert_msg(strstr(e.message, "contains a colon"), "%s", e.message);
	ck_assert_msg(strstr(e.message, "'a:1'"), "%s", e.message);
	parse_bad("postgresql://a%5B1/db", "argument", &e);
	ck_assert_msg(strstr(e.message, "contains a bracket"), "%s", e.message);
	parse_bad("postgresql://u:p@%09/db", "argument", &e);
	ck_assert_msg(strstr(e.message, "control character 0x09"), "%s", e.message);
	parse_bad("postgresql://u:p@a%20/db", "argument", &e);
	ck_assert_msg(strstr(e.message, "ends with a space"), "%s", e.message);
	parse_bad("postgresql://%2Fvar%2Crun/db", "argument", &e);
	ck_assert_msg(strstr(e.message, "contains a comma"), "%s", e.message);
}
END_TEST

/* Building the host field and the option array takes time linear in the
 * URL's size: 1 MiB of hosts (524,277) or of options finishes well inside
 * the test's timeout (each took over 30 s when quadratic). */
START_TEST(test_url_huge_host_list_and_query_linear)
{
	size_t cap = 1024 * 1024;
	char *url = malloc(cap + 64);
	struct dal_url u;
	size_t len, n = 0;
	dal_error e;

	ck_assert_ptr_nonnull(url);
	len = (size_t)sprintf(url, "postgresql://u:p@");
	while (len < cap) {
		memcpy(url + len, "h,", 2);
		len += 2;
		n++;
	}
	strcpy(url + len, "h/db");
	ck_assert_int_eq(url_parse(url, "argument", DAL_KIND_SERVER, &u, &e), DAL_OK);
	ck_assert_uint_eq(strlen(u.host), 2 * n + 1);
	url_free(&u);

	len = (size_t)sprintf(url, "postgresql://u:p@h/db?");
	for (n = 0; len < cap; n++)
		len += (size_t)sprintf(url + len, "k%zx=v&", n);
	url[len - 1] = '\0';
	ck_assert_int_eq(url_parse(url, "argument", DAL_KIND_SERVER, &u, &e), DAL_OK);
	ck_assert_uint_eq(u.n_options, n);
	{
		char last[32];

		snprintf(last, sizeof last, "k%zx", n - 1);
		ck_assert_str_eq(u.options[n - 1].key, last);
	}
	url_free(&u);
	free(url);
}
END_TEST

START_TEST(test_url_redact_hides_password)
{
	char buf[256];

	url_redact("mysql://app:secret@h:3306/db", buf, sizeof buf);
	ck_assert_str_eq(buf, "mysql://app:***@h:3306/db");
	url_redact("postgresql://app@h/db", buf, sizeof buf);
	ck_assert_str_eq(buf, "postgresql://app@h/db");
	url_redact("sqlite:app.db", buf, sizeof buf);
	ck_assert_str_eq(buf, "sqlite:app.db");
	url_redact("postgresql://u:p@h/db?sslmode=require&password=x&sslpassword=y", buf,
	           sizeof buf);
	ck_assert_str_eq(buf, "postgresql://u:***@h/db?sslmode=require&password=***"
	                      "&sslpassword=***");
	/* Unescaped '/' or '@' in the password: still hidden (up to the last
	 * '@'). */
	url_redact("mysql://u:a/b@c@h/db", buf, sizeof buf);
	ck_assert_str_eq(buf, "mysql://u:***@h/db");
	url_redact("mysql:u:pw@h", buf, sizeof buf);
	ck_assert_str_eq(buf, "mysql:***@h");
}
END_TEST

START_TEST(test_url_redact_truncates_safely)
{
	char buf[12];

	url_redact("mysql://app:secret@h/db", buf, sizeof buf);
	ck_assert_str_eq(buf, "mysql://app");
	url_redact(NULL, buf, sizeof buf);
	ck_assert_str_eq(buf, "");
	url_redact("mysql://u:secret@h", buf, 1);
	ck_assert_str_eq(buf, "");
}
END_TEST

/* url_free() empties what it frees, so that a second call (or one on a
 * zeroed struct) is safe; under ASan/valgrind a double free would show. */
START_TEST(test_url_free_is_safe_on_zeroed_struct)
{
	struct dal_url u;

	parse_ok("postgresql+psycopg2://app:secret@h1:5432,h2/db?sslmode=require&a=b", &u);
	ck_assert_ptr_nonnull(u.scheme);
	ck_assert_ptr_nonnull(u.driver);
	ck_assert_ptr_nonnull(u.password);
	ck_assert_uint_eq(u.n_options, 2);
	url_free(&u);
	ck_assert_ptr_null(u.scheme);
	ck_assert_ptr_null(u.driver);
	ck_assert_ptr_null(u.user);
	ck_assert_ptr_null(u.password);
	ck_assert_ptr_null(u.host);
	ck_assert_ptr_null(u.path);
	ck_assert_ptr_null(u.options);
	ck_assert_uint_eq(u.n_options, 0);
	ck_assert_uint_eq(u.port, 0);
	url_free(&u); /* emptied: nothing freed twice */
	url_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("url");
	TCase *tc = tcase_create("url");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_url_sqlite_absolute_path);
	tcase_add_test(tc, test_url_sqlite_relative_path);
	tcase_add_test(tc, test_url_sqlite_memory);
	tcase_add_test(tc, test_url_sqlite_options);
	tcase_add_test(tc, test_url_driver_suffix_is_split_off);
	tcase_add_test(tc, test_url_mysql_full);
	tcase_add_test(tc, test_url_every_server_scheme);
	tcase_add_test(tc, test_url_scheme_is_lowercased);
	tcase_add_test(tc, test_url_server_parts_are_optional);
	tcase_add_test(tc, test_url_user_and_password_percent_decoded);
	tcase_add_test(tc, test_url_query_values_percent_decoded);
	tcase_add_test(tc, test_url_database_name_percent_decoded);
	tcase_add_test(tc, test_url_socket_directory_as_encoded_host);
	tcase_add_test(tc, test_url_ipv6_host);
	tcase_add_test(tc, test_url_multi_host_with_port_on_first);
	tcase_add_test(tc, test_url_multi_host_forms);
	tcase_add_test(tc, test_url_multi_host_different_ports_kept_per_host);
	tcase_add_test(tc, test_url_multi_host_bad_items);
	tcase_add_test(tc, test_host_next_reads_every_item_form);
	tcase_add_test(tc, test_host_next_bad_items);
	tcase_add_test(tc, test_url_multi_host_error_position_maps_to_original);
	tcase_add_test(tc, test_url_options_without_value_or_name_refused);
	tcase_add_test(tc, test_url_malformed_names_the_character);
	tcase_add_test(tc, test_url_empty_refused);
	tcase_add_test(tc, test_url_without_scheme_refused);
	tcase_add_test(tc, test_url_non_numeric_port_refused);
	tcase_add_test(tc, test_url_out_of_range_port_refused);
	tcase_add_test(tc, test_url_port_bounds_accepted);
	tcase_add_test(tc, test_url_sqlite_with_host_suggests_forms);
	tcase_add_test(tc, test_url_sqlite_empty_path_refused);
	tcase_add_test(tc, test_url_server_without_authority_refused);
	tcase_add_test(tc, test_url_server_path_with_two_segments_refused);
	tcase_add_test(tc, test_url_fragment_refused);
	tcase_add_test(tc, test_url_encoded_nul_refused);
	tcase_add_test(tc, test_url_bad_password_character_not_shown);
	tcase_add_test(tc, test_url_password_never_in_any_message);
	tcase_add_test(tc, test_url_ipfuture_host_keeps_brackets);
	tcase_add_test(tc, test_url_decoded_host_separators_refused);
	tcase_add_test(tc, test_url_huge_host_list_and_query_linear);
	tcase_add_test(tc, test_url_redact_hides_password);
	tcase_add_test(tc, test_url_redact_truncates_safely);
	tcase_add_test(tc, test_url_free_is_safe_on_zeroed_struct);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
