/* Check suite for settings resolution (core/settings.c): precedence of URL,
 * environment, INI and defaults; validation errors; secrets. */
#define _GNU_SOURCE
#include <check.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dal/dal.h>

#include "loader.h"
#include "settings.h"
#include "settings_util.h"
#include "testutil.h"

static const char *opt(const struct dal_settings *s, const char *key)
{
	for (size_t i = 0; i < s->n_options; i++)
		if (strcmp(s->options[i].key, key) == 0)
			return s->options[i].value;
	return NULL;
}

START_TEST(test_settings_defaults_without_config)
{
	struct dal_settings s;
	char cwd[4096], want[4200];

	su_resolve_ok(NULL, NULL, NULL, &s);
	ck_assert_str_eq(s.name, "main");
	ck_assert_str_eq(s.type, "sqlite");
	ck_assert(getcwd(cwd, sizeof cwd));
	snprintf(want, sizeof want, "%s/dal.db", cwd);
	ck_assert_str_eq(s.path, want);
	ck_assert_uint_eq(s.pool_size, 10);
	ck_assert_uint_eq(s.max_retries, 5);
	ck_assert_uint_eq(s.retry_delay_ms, 5000); /* 5 s */
	ck_assert_uint_eq(s.connect_timeout, 10);
	ck_assert_int_eq(s.telemetry, 1);
	ck_assert_str_eq(s.source[SK_POOL_SIZE], "default");
	ck_assert_ptr_null(s.password);
	settings_free(&s);
}
END_TEST

START_TEST(test_settings_ini_values_and_sources)
{
	if (!tu_backends_built("mysql pgsql"))
		return; /* server types: no registration to resolve with */
	dal_config *cfg = tu_config_parse("[dal]\ndefault = db\n"
	                                  "[db]\ntype = PostgreSQL\nhost = h1\nport = 6543\n"
	                                  "name = app\nuser = u\npassword = pw\npool_size = 3\n"
	                                  "telemetry = off\n"
	                                  "[db.postgresql]\nsslmode = require\n");
	struct dal_settings s;

	su_resolve_ok(cfg, NULL, NULL, &s);
	ck_assert_str_eq(s.name, "db");
	ck_assert_str_eq(s.type, "postgresql"); /* lower-cased */
	ck_assert_str_eq(s.value[SK_HOST], "h1");
	ck_assert_str_eq(s.source[SK_HOST], "t.ini:5");
	ck_assert_uint_eq(s.port, 6543);
	ck_assert_str_eq(s.password, "pw");
	ck_assert_uint_eq(s.pool_size, 3);
	ck_assert_int_eq(s.telemetry, 0);
	ck_assert_str_eq(opt(&s, "sslmode"), "require");
	ck_assert_str_eq(s.options[0].backend, "postgresql");
	ck_assert_str_eq(s.options[0].origin, "t.ini:13");
	settings_free(&s);
	dal_config_free(cfg);
}
END_TEST

START_TEST(test_settings_env_overrides_ini_for_default_only)
{
	if (!tu_backends_built("mysql pgsql"))
		return; /* server types: no registration to resolve with */
	dal_config *cfg = tu_config_parse("[main]\ntype = mysql\nhost = inihost\nport = 3307\n"
	                                  "password = x\npool_size = 2\n"
	                                  "[other]\ntype = mysql\nhost = otherhost\npassword = y\n");
	struct dal_settings s;

	setenv("DB_HOST", "envhost", 1);
	setenv("DB_PORT", "4000", 1);
	setenv("DB_POOL_SIZE", "7", 1);
	setenv("DB_MAX_RETRIES", "0", 1);
	setenv("DB_RETRY_DELAY", "1", 1);
	setenv("DB_USER", "envuser", 1);
	setenv("DB_PASS", "envpass", 1);
	setenv("DB_NAME", "envdb", 1);
	su_resolve_ok(cfg, NULL, NULL, &s);
	ck_assert_str_eq(s.value[SK_HOST], "envhost");
	ck_assert_str_eq(s.source[SK_HOST], "env DB_HOST");
	ck_assert_uint_eq(s.port, 4000);
	ck_assert_uint_eq(s.pool_size, 7);
	ck_assert_uint_eq(s.max_retries, 0);
	ck_assert_uint_eq(s.retry_delay_ms, 1000); /* 1 s */
	ck_assert_str_eq(s.value[SK_USER], "envuser");
	ck_assert_str_eq(s.password, "envpass");
	ck_assert_str_eq(s.value[SK_NAME], "envdb");
	settings_free(&s);
	/* A named, non-default repository ignores DB_*. */
	su_resolve_ok(cfg, "other", NULL, &s);
	ck_assert_str_eq(s.value[SK_HOST], "otherhost");
	ck_assert_str_eq(s.password, "y");
	settings_free(&s);
	/* An empty variable counts as unset. */
	setenv("DB_HOST", "", 1);
	su_resolve_ok(cfg, NULL, NULL, &s);
	ck_assert_str_eq(s.value[SK_HOST], "inihost");
	settings_free(&s);
	dal_config_free(cfg);
}
END_TEST

START_TEST(test_settings_precedence_url_dburl_env_ini)
{
	if (!tu_backends_built("mysql pgsql"))
		return; /* server types: no registration to resolve with */
	dal_config *cfg = tu_config_parse("[main]\ntype = sqlite\npath = ini.db\n");
	struct dal_settings s;

	/* env DB_TYPE beats the INI. */
	setenv("DB_TYPE", "postgres", 1);
	setenv("DB_HOST", "/tmp", 1);
	su_resolve_ok(cfg, NULL, NULL, &s);
	ck_assert_str_eq(s.type, "postgres");
	ck_assert_str_eq(s.source[SK_TYPE], "env DB_TYPE");
	settings_free(&s);
	/* DATABASE_URL beats DB_*; DB_URL beats DATABASE_URL. */
	setenv("DATABASE_URL", "mysql://a:b@dburlhost/x", 1);
	su_resolve_ok(cfg, NULL, NULL, &s);
	ck_assert_str_eq(s.type, "mysql");
	ck_assert_str_eq(s.value[SK_HOST], "dburlhost");
	ck_assert_str_eq(s.source[SK_HOST], "DATABASE_URL");
	settings_free(&s);
	setenv("DB_URL", "sqlite:from_env.db", 1);
	su_resolve_ok(cfg, NULL, NULL, &s);
	ck_assert_str_eq(s.type, "sqlite");
	ck_assert(tu_contains(s.path, "/from_env.db"));
	ck_assert_str_eq(s.source[SK_PATH], "DB_URL");
	settings_free(&s);
	/* The explicit URL beats everything. */
	su_resolve_ok(cfg, NULL, "sqlite::memory:", &s);
	ck_assert_str_eq(s.path, ":memory:");
	ck_assert_str_eq(s.source[SK_PATH], "url");
	settings_free(&s);
	dal_config_free(cfg);
}
END_TEST

/* A URL says where and as whom: it never inherits a user or password (or
 * password_file) from a lower layer, so that a secret meant for one server
 * is never sent to the host another URL names. */
START_TEST(test_settings_url_never_inherits_credentials)
{
	if (!tu_backends_built("mysql pgsql"))
		return; /* server types: no registration to resolve with */
	char *dir = tu_mkdtemp();
	char *secret = tu_write_file(dir, "secret", "FileSecret1\n");
	char ini[4300];
	dal_config *cfg;
	struct dal_settings s;
	char url[4400];

	snprintf(ini, sizeof ini, "[main]\ntype = mysql\nhost = prod\nuser = produser\n"
	         "password_file = %s\npool_size = 7\n[main.mysql]\nssl_mode = required\n", secret);
	cfg = tu_config_parse(ini);
	setenv("DB_USER", "envuser", 1);
	setenv("DB_PASS", "EnvSecret2", 1);
	setenv("DB_URL", "mysql://dburluser:DbUrlSecret3@dburlhost/db", 1);
	/* The explicit URL (dal -u) names another host and no credentials. */
	su_resolve_ok(cfg, NULL, "mysql://otherhost/db?allow_empty_password=yes", &s);
	ck_assert_str_eq(s.value[SK_HOST], "otherhost");
	ck_assert_ptr_null(s.value[SK_USER]);
	ck_assert_ptr_null(s.password);
	ck_assert_ptr_null(s.value[SK_PASSWORD_FILE]);
	/* What it inherits: the rest of the settings and backend options. */
	ck_assert_uint_eq(s.pool_size, 7);
	ck_assert_str_eq(opt(&s, "ssl_mode"), "required");
	settings_free(&s);
	/* Without allow_empty_password the empty password is refused, not
	 * quietly filled in from the environment. */
	{
		dal_error e;
		su_resolve_bad(cfg, NULL, "mysql://otherhost/db", &e);
		ck_assert_msg(tu_contains(e.message, "empty password for (default user)@otherhost"),
		              "%s", e.message);
	}
	/* DB_URL is a URL too: DB_USER/DB_PASS below it are not mixed in... */
	setenv("DB_URL", "mysql://dburlhost/db?allow_empty_password=yes", 1);
	su_resolve_ok(cfg, NULL, NULL, &s);
	ck_assert_str_eq(s.value[SK_HOST], "dburlhost");
	ck_assert_ptr_null(s.value[SK_USER]);
	ck_assert_ptr_null(s.password);
	settings_free(&s);
	/* ...but the URL may name a password file in its query string, which
	 * keeps the secret out of the URL. */
	snprintf(url, sizeof url, "mysql://app@otherhost/db?password_file=%s", secret);
	su_resolve_ok(cfg, NULL, url, &s);
	ck_assert_str_eq(s.value[SK_USER], "app");
	ck_assert_str_eq(s.password, "FileSecret1");
	ck_assert_str_eq(s.source[SK_PASSWORD_FILE], "url");
	settings_free(&s);
	/* A URL's own credentials are used. */
	su_resolve_ok(cfg, NULL, "mysql://u2:UrlSecret4@otherhost/db", &s);
	ck_assert_str_eq(s.value[SK_USER], "u2");
	ck_assert_str_eq(s.password, "UrlSecret4");
	settings_free(&s);
	unsetenv("DB_URL");
	unsetenv("DB_USER");
	unsetenv("DB_PASS");
	dal_config_free(cfg);
	free(secret);
	tu_rmtree(dir);
}
END_TEST

/* SQLAlchemy URLs as applications already have them in their environment. */
START_TEST(test_settings_sqlalchemy_urls)
{
	if (!tu_backends_built("mysql pgsql"))
		return; /* server types: no registration to resolve with */
	struct dal_settings s;
	char cwd[4096], want[4200];

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	su_resolve_ok(NULL, NULL, "sqlite:///./app.db", &s);
	snprintf(want, sizeof want, "%s/./app.db", cwd);
	ck_assert_str_eq(s.path, want); /* relative, not /app.db */
	settings_free(&s);
	su_resolve_ok(NULL, NULL, "sqlite+aiosqlite:////var/tmp/abs.db", &s);
	ck_assert_str_eq(s.type, "sqlite");
	ck_assert_str_eq(s.path, "/var/tmp/abs.db");
	settings_free(&s);
	su_resolve_ok(NULL, NULL, "sqlite3:///:memory:", &s);
	ck_assert_str_eq(s.type, "sqlite3");
	ck_assert_str_eq(s.plugin->reg.name, "sqlite");
	ck_assert_str_eq(s.path, ":memory:");
	settings_free(&s);
	su_resolve_ok(NULL, NULL, "mysql+pymysql://u:p@h/db", &s);
	ck_assert_str_eq(s.type, "mysql");
	ck_assert_str_eq(s.value[SK_NAME], "db");
	settings_free(&s);
	su_resolve_ok(NULL, NULL, "mysql+asyncmy://u:p@h/db", &s);
	ck_assert_str_eq(s.plugin->reg.name, "mysql");
	settings_free(&s);
	su_resolve_ok(NULL, NULL, "postgresql+psycopg2://u:p@h/db", &s);
	ck_assert_str_eq(s.type, "postgresql");
	ck_assert_uint_eq(s.port, 5432); /* the plugin's default_port */
	settings_free(&s);
}
END_TEST

/* A scheme no installed plugin claims: the error lists what is installed
 * and where it looked, and never the password. */
START_TEST(test_settings_unknown_scheme_lists_installed_plugins)
{
	struct dal_settings s;
	dal_error e;

	ck_assert_int_eq(settings_resolve(NULL, NULL, "oracle://scott:Tiger9@h/db", 0, &s, &e),
	                 DAL_EPLUGIN_NOTFOUND);
	ck_assert_msg(tu_contains(e.message, "argument: URL scheme 'oracle'"), "%s", e.message);
	ck_assert_msg(tu_contains(e.message, "installed: "), "%s", e.message);
	ck_assert_msg(tu_contains(e.message, "sqlite, sqlite3"), "%s", e.message);
	ck_assert_msg(tu_contains(e.message, "(DAL_PLUGIN_PATH)"), "%s", e.message);
	ck_assert_msg(!tu_contains(e.message, "Tiger9"), "%s", e.message);
	ck_assert_int_eq(settings_resolve(NULL, NULL, "oracle+cx://h/db", 0, &s, &e),
	                 DAL_EPLUGIN_NOTFOUND);
	ck_assert_msg(tu_contains(e.message, "URL scheme 'oracle'"), "%s", e.message);
}
END_TEST

START_TEST(test_settings_ini_relative_path_is_relative_to_file)
{
	char *dir = tu_mkdtemp();
	char *path = tu_write_file(dir, "x.ini", "[main]\npath = data/app.db\n"
	                                         "password_file = secret\n"
	                                         "[main.sqlite]\njournal_mode = WAL\n");
	char *secret = tu_write_file(dir, "secret", "hunter2\n");
	dal_config *cfg = NULL;
	struct dal_settings s;
	char want[4200];
	dal_error e;

	ck_assert_int_eq(dal_config_load(&cfg, path, &e), DAL_OK);
	su_resolve_ok(cfg, NULL, NULL, &s);
	snprintf(want, sizeof want, "%s/data/app.db", dir);
	ck_assert_str_eq(s.path, want);
	/* password_file is read, relative to the file too, newline dropped. */
	ck_assert_str_eq(s.password, "hunter2");
	/* A URL query option beats the [main.sqlite] one. */
	settings_free(&s);
	su_resolve_ok(cfg, NULL, "sqlite:///y.db?journal_mode=DELETE", &s);
	ck_assert_str_eq(opt(&s, "journal_mode"), "DELETE");
	ck_assert_uint_eq(s.n_options, 1);
	settings_free(&s);
	dal_config_free(cfg);
	free(path);
	free(secret);
	tu_rmtree(dir);
}
END_TEST

START_TEST(test_settings_url_key_in_section_with_overrides)
{
	if (!tu_backends_built("mysql pgsql"))
		return; /* server types: no registration to resolve with */
	dal_config *cfg = tu_config_parse("[r]\nurl = postgresql://u:pw@h:5433/db?sslmode=disable\n"
	                                  "port = 5999\n");
	struct dal_settings s;

	su_resolve_ok(cfg, "r", NULL, &s);
	ck_assert_str_eq(s.type, "postgresql");
	ck_assert_str_eq(s.value[SK_HOST], "h");
	ck_assert_uint_eq(s.port, 5999); /* the section's key beats its url */
	ck_assert_str_eq(s.password, "pw");
	ck_assert_str_eq(opt(&s, "sslmode"), "disable");
	settings_free(&s);
	dal_config_free(cfg);
}
END_TEST

START_TEST(test_settings_bad_numbers_name_source_and_key)
{
	static const struct {
		const char *ini, *msg;
	} cases[] = {
		{"[main]\nport = 0\n", "t.ini:2: port = '0' is out of range (expected 1..65535)"},
		{"[main]\nport = 70000\n", "t.ini:2: port = '70000' is out of range"},
		{"[main]\nport = 33o6\n", "t.ini:2: port = '33o6' is not a number"},
		{"[main]\npool_size = -1\n", "t.ini:2: pool_size = '-1' is not a number"},
		{"[main]\n\nmax_retries = 1000\n", "t.ini:3: max_retries = '1000' is out of range"},
		{"[main]\nretry_delay = 5s\n", "t.ini:2: retry_delay = '5s' is not a duration"},
		{"[main]\ntelemetry = maybe\n", "t.ini:2: telemetry = 'maybe' is not a boolean"},
		{"[main]\ntype = my-sql\n", "t.ini:2: type = 'my-sql' is not a backend name"},
		{"[main]\npath =\n", "t.ini:2: path is empty"},
		{"[main]\npassword = a\npassword_file = b\n", "both password (line 2) and password_file"},
		{"[main]\nlatency_buckets = 0.1, 0.05\n",
		 "t.ini:2: latency_buckets = '0.1, 0.05' is not strictly increasing at '0.05'"},
		{"[main]\nlatency_buckets = 0, 1\n", "t.ini:2: latency_buckets = '0, 1' has a bad bound at '0, 1'"},
		{"[main]\nlatency_buckets = 1ms\n", "has junk at 'ms'"},
		{"[main]\nlatency_buckets = 1,\n", "has a bad bound at ''"},
		{"[main]\nlatency_buckets = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25\n",
		 "has more than 24 bounds"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		dal_config *cfg = tu_config_parse(cases[i].ini);
		dal_error e;

		su_resolve_bad(cfg, NULL, NULL, &e);
		ck_assert_msg(tu_contains(e.message, cases[i].msg), "case %zu: %s", i, e.message);
		dal_config_free(cfg);
	}
}
END_TEST

START_TEST(test_settings_bad_env_names_variable)
{
	if (!tu_backends_built("mysql pgsql"))
		return; /* server types: no registration to resolve with */
	dal_error e;

	setenv("DB_PORT", "http", 1);
	su_resolve_bad(NULL, NULL, NULL, &e);
	ck_assert_str_eq(e.message, "env DB_PORT: port = 'http' is not a number (expected 1..65535)");
	unsetenv("DB_PORT");
	setenv("DB_URL", "mysql://h:99999/x", 1);
	su_resolve_bad(NULL, NULL, NULL, &e);
	ck_assert_msg(tu_contains(e.message, "DB_URL"), "%s", e.message);
	unsetenv("DB_URL");
}
END_TEST

START_TEST(test_settings_missing_section)
{
	dal_config *cfg = tu_config_parse("[dal]\n[main]\n[orders]\n[orders.mysql]\n");
	dal_error e;
	struct dal_settings s;

	su_resolve_bad(cfg, "nosuch", NULL, &e);
	ck_assert_str_eq(e.message, "repository 'nosuch' not found in t.ini (sections: main, orders)");
	su_resolve_bad(cfg, "bad.name", NULL, &e);
	ck_assert_msg(tu_contains(e.message, "invalid repository name"), "%s", e.message);
	/* The default repository may live on defaults alone. */
	dal_config_free(cfg);
	cfg = tu_config_parse("[dal]\n");
	su_resolve_ok(cfg, "main", NULL, &s);
	settings_free(&s);
	dal_config_free(cfg);
}
END_TEST

START_TEST(test_settings_empty_password_over_tcp_refused)
{
	if (!tu_backends_built("mysql pgsql"))
		return; /* server types: no registration to resolve with */
	dal_config *cfg = tu_config_parse("[main]\ntype = mysql\nhost = db\nuser = app\n");
	dal_config *ok = tu_config_parse("[main]\ntype = mysql\nhost = db\nallow_empty_password = yes\n");
	dal_config *sock = tu_config_parse("[main]\ntype = postgresql\nhost = /run/postgresql\n");
	struct dal_settings s;
	dal_error e;

	su_resolve_bad(cfg, NULL, NULL, &e);
	ck_assert_msg(tu_contains(e.message, "empty password for app@db:3306"), "%s", e.message);
	su_resolve_ok(ok, NULL, NULL, &s);
	settings_free(&s);
	su_resolve_ok(sock, NULL, NULL, &s);
	settings_free(&s);
	dal_config_free(cfg);
	dal_config_free(ok);
	dal_config_free(sock);
}
END_TEST

START_TEST(test_settings_password_file_errors)
{
	dal_config *cfg = tu_config_parse("[main]\npassword_file = /nonexistent/secret\n");
	dal_error e;

	su_resolve_bad(cfg, NULL, NULL, &e);
	ck_assert_str_eq(e.message, "t.ini:2: password_file '/nonexistent/secret': cannot read: "
	                            "No such file or directory");
	dal_config_free(cfg);
}
END_TEST

/* A FIFO as password_file is refused at once instead of waited on. */
/* Options resolve in time linear in their number: 1 MiB of backend options
 * in [main.sqlite] and as many in the URL finish well inside the test's
 * timeout (a duplicate search per option took 54 s for 124,271 keys); the
 * URL's value of a key still beats the section's, a repeated URL key keeps
 * its last value, and every distinct key is kept once. */
START_TEST(test_settings_many_options_linear)
{
	size_t cap = 1024 * 1024, len, n_ini = 0, n_url = 0;
	char *ini = malloc(cap + 64), *url = malloc(cap + 64);
	struct dal_settings s;
	dal_config *cfg;

	ck_assert_ptr_nonnull(ini);
	ck_assert_ptr_nonnull(url);
	len = (size_t)sprintf(ini, "[main]\ntype = sqlite\npath = /tmp/x.db\n[main.sqlite]\n");
	for (; len < cap; n_ini++)
		len += (size_t)sprintf(ini + len, "k%zx = ini\n", n_ini);
	cfg = tu_config_parse(ini);
	len = (size_t)sprintf(url, "sqlite:////tmp/x.db?k0=first&");
	for (; len < cap; n_url++)
		len += (size_t)sprintf(url + len, "u%zx=url&", n_url);
	len += (size_t)sprintf(url + len, "k0=url");
	su_resolve_ok(cfg, "main", url, &s);
	ck_assert_uint_eq(s.n_options, n_ini + n_url);
	ck_assert_str_eq(opt(&s, "k0"), "url");
	ck_assert_str_eq(opt(&s, "k1"), "ini");
	settings_free(&s);
	dal_config_free(cfg);
	free(ini);
	free(url);
}
END_TEST

START_TEST(test_settings_password_file_fifo_refused)
{
	char *dir = tu_mkdtemp();
	char fifo[4200], ini[4400];
	dal_config *cfg;
	dal_error e;

	snprintf(fifo, sizeof fifo, "%s/secret", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	snprintf(ini, sizeof ini, "[main]\npassword_file = %s\n", fifo);
	cfg = tu_config_parse(ini);
	su_resolve_bad(cfg, NULL, NULL, &e);
	ck_assert_msg(tu_contains(e.message, "is not a regular file"), "%s", e.message);
	dal_config_free(cfg);
	tu_rmtree(dir);
}
END_TEST

struct collected {
	char text[4096];
};

static void collect(const char *key, const char *value, const char *source, void *ud)
{
	struct collected *c = ud;
	size_t n = strlen(c->text);

	snprintf(c->text + n, sizeof c->text - n, "%s=%s (%s)\n", key, value, source);
}

START_TEST(test_settings_describe_redacts_passwords)
{
	if (!tu_backends_built("mysql pgsql"))
		return; /* server types: no registration to resolve with */
	dal_config *cfg = tu_config_parse("[main]\ntype = mysql\nhost = h\npassword = Sup3rS3cret\n"
	                                  "[main.mysql]\nssl_password = KeyPass99\nssl_mode = REQUIRED\n");
	struct collected c = {""};
	dal_error e;

	ck_assert_int_eq(dal_config_describe(cfg, NULL, NULL, collect, &c, &e), DAL_OK);
	ck_assert_msg(!tu_contains(c.text, "Sup3rS3cret") && !tu_contains(c.text, "KeyPass99"),
	              "%s", c.text);
	ck_assert_msg(tu_contains(c.text, "password=*** (t.ini:4)"), "%s", c.text);
	ck_assert_msg(tu_contains(c.text, "mysql.ssl_password=***"), "%s", c.text);
	ck_assert_msg(tu_contains(c.text, "mysql.ssl_mode=REQUIRED (t.ini:7)"), "%s", c.text);
	ck_assert_msg(tu_contains(c.text, "port=3306 (default)"), "%s", c.text);
	/* A URL password is redacted as well. */
	c.text[0] = '\0';
	ck_assert_int_eq(dal_config_describe(cfg, NULL, "mysql://u:UrlPw77@h/d", collect, &c, &e),
	                 DAL_OK);
	ck_assert_msg(!tu_contains(c.text, "UrlPw77"), "%s", c.text);
	ck_assert_int_eq(dal_config_describe(cfg, NULL, NULL, NULL, NULL, &e), DAL_EMISUSE);
	dal_config_free(cfg);
}
END_TEST

START_TEST(test_settings_errors_never_hold_passwords)
{
	if (!tu_backends_built("mysql pgsql"))
		return; /* server types: no registration to resolve with */
	dal_error e;

	/* A malformed URL with a password: the message must not echo it. */
	su_resolve_bad(NULL, NULL, "mysql://user:TopSecret1@host:notaport/db", &e);
	ck_assert_msg(!tu_contains(e.message, "TopSecret1"), "%s", e.message);
	setenv("DB_URL", "postgresql://u:TopSecret2@h:0/db", 1);
	su_resolve_bad(NULL, NULL, NULL, &e);
	ck_assert_msg(!tu_contains(e.message, "TopSecret2"), "%s", e.message);
	unsetenv("DB_URL");
}
END_TEST

static void clear_env(void)
{
	tu_clear_env();
}

int main(void)
{
	Suite *s = suite_create("settings");
	TCase *tc = tcase_create("settings");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, clear_env, clear_env);
	tcase_add_test(tc, test_settings_defaults_without_config);
	tcase_add_test(tc, test_settings_ini_values_and_sources);
	tcase_add_test(tc, test_settings_env_overrides_ini_for_default_only);
	tcase_add_test(tc, test_settings_precedence_url_dburl_env_ini);
	tcase_add_test(tc, test_settings_ini_relative_path_is_relative_to_file);
	tcase_add_test(tc, test_settings_url_key_in_section_with_overrides);
	tcase_add_test(tc, test_settings_bad_numbers_name_source_and_key);
	tcase_add_test(tc, test_settings_bad_env_names_variable);
	tcase_add_test(tc, test_settings_missing_section);
	tcase_add_test(tc, test_settings_empty_password_over_tcp_refused);
	tcase_add_test(tc, test_settings_url_never_inherits_credentials);
	tcase_add_test(tc, test_settings_sqlalchemy_urls);
	tcase_add_test(tc, test_settings_unknown_scheme_lists_installed_plugins);
	tcase_add_test(tc, test_settings_password_file_errors);
	tcase_add_test(tc, test_settings_password_file_fifo_refused);
	tcase_add_test(tc, test_settings_many_options_linear);
	tcase_add_test(tc, test_settings_describe_redacts_passwords);
	tcase_add_test(tc, test_settings_errors_never_hold_passwords);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
