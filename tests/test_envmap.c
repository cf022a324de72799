/* Check suite for the environment mapping (core/envmap.c): env_prefix and
 * [name.env] sections, with the variable sets applications already use
 * (DECNET_DB_*, MARIADB_* with DATABASE_TYPE); errors with file:line; the
 * provenance `dal config` shows; and real connections from a process that
 * has nothing but those variables. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dal/dal.h>

#include "settings.h"
#include "settings_util.h"
#include "testutil.h"
#include "url.h"

static const char *const all_vars[] = {
	"DECNET_DB_TYPE", "DECNET_DB_URL", "DECNET_DB_HOST", "DECNET_DB_PORT",
	"DECNET_DB_NAME", "DECNET_DB_USER", "DECNET_DB_PASSWORD", "DECNET_DB_PASS",
	"DECNET_DB_POOL_SIZE", "DECNET_DB_MAX_OVERFLOW", "DECNET_DB_POOL_RECYCLE",
	"DECNET_DB_POOL_PRE_PING", "DECNET_DB_ECHO", "DATABASE_TYPE", "MARIADB_URI",
	"MARIADB_HOST", "MARIADB_PORT", "MARIADB_USER", "MARIADB_PASSWORD",
	"MARIADB_DATABASE", "DB_ECHO", "DB_POOL_RECYCLE", NULL,
};

static void clear_env(void)
{
	tu_clear_env();
	for (const char *const *v = all_vars; *v; v++)
		unsetenv(*v);
}

static void set_decnet_components(void)
{
	setenv("DECNET_DB_TYPE", "mysql", 1);
	setenv("DECNET_DB_HOST", "db.decnet", 1);
	setenv("DECNET_DB_PORT", "3307", 1);
	setenv("DECNET_DB_NAME", "decnet", 1);
	setenv("DECNET_DB_USER", "decnet_user", 1);
	setenv("DECNET_DB_PASSWORD", "s3cret", 1);
	setenv("DECNET_DB_POOL_SIZE", "20", 1);
	setenv("DECNET_DB_MAX_OVERFLOW", "40", 1);
	setenv("DECNET_DB_POOL_RECYCLE", "3600", 1);
	setenv("DECNET_DB_POOL_PRE_PING", "true", 1);
}

START_TEST(test_envmap_decnet_prefix_maps_every_setting)
{
	dal_config *cfg = tu_config_parse("[main]\nenv_prefix = DECNET_DB_\n");
	struct dal_settings s;

	set_decnet_components();
	/* The contract's names are not read once the repository names its own. */
	setenv("DB_HOST", "stray", 1);
	setenv("DB_PASS", "stray", 1);
	su_resolve_ok(cfg, NULL, NULL, &s);
	ck_assert_str_eq(s.type, "mysql");
	ck_assert_str_eq(s.source[SK_TYPE], "env DECNET_DB_TYPE");
	ck_assert_str_eq(s.value[SK_HOST], "db.decnet");
	ck_assert_str_eq(s.source[SK_HOST], "env DECNET_DB_HOST");
	ck_assert_uint_eq(s.port, 3307);
	ck_assert_str_eq(s.source[SK_PORT], "env DECNET_DB_PORT");
	ck_assert_str_eq(s.value[SK_NAME], "decnet");
	ck_assert_str_eq(s.source[SK_NAME], "env DECNET_DB_NAME");
	ck_assert_str_eq(s.value[SK_USER], "decnet_user");
	ck_assert_str_eq(s.password, "s3cret");
	ck_assert_str_eq(s.source[SK_PASSWORD], "env DECNET_DB_PASSWORD");
	ck_assert_uint_eq(s.pool_size, 20);
	ck_assert_str_eq(s.source[SK_POOL_SIZE], "env DECNET_DB_POOL_SIZE");
	ck_assert_uint_eq(s.max_overflow, 40);
	ck_assert_str_eq(s.source[SK_MAX_OVERFLOW], "env DECNET_DB_MAX_OVERFLOW");
	ck_assert_uint_eq(s.max_lifetime_ms, 3600000);
	ck_assert_str_eq(s.source[SK_MAX_LIFETIME], "env DECNET_DB_POOL_RECYCLE");
	ck_assert_int_eq(s.pre_ping, 1);
	ck_assert_str_eq(s.source[SK_PRE_PING], "env DECNET_DB_POOL_PRE_PING");
	settings_free(&s);

	/* _PASS is the second spelling; _PASSWORD wins when both are set. */
	unsetenv("DECNET_DB_PASSWORD");
	setenv("DECNET_DB_PASS", "other", 1);
	su_resolve_ok(cfg, NULL, NULL, &s);
	ck_assert_str_eq(s.password, "other");
	ck_assert_str_eq(s.source[SK_PASSWORD], "env DECNET_DB_PASS");
	settings_free(&s);
	setenv("DECNET_DB_PASSWORD", "first", 1);
	su_resolve_ok(cfg, NULL, NULL, &s);
	ck_assert_str_eq(s.password, "first");
	settings_free(&s);

	/* Every setting by its upper-cased key, not only the contract's. */
	setenv("DECNET_DB_CONNECT_TIMEOUT", "3", 1);
	setenv("DECNET_DB_ECHO", "on", 1);
	su_resolve_ok(cfg, NULL, NULL, &s);
	ck_assert_uint_eq(s.connect_timeout, 3);
	ck_assert_str_eq(s.source[SK_CONNECT_TIMEOUT], "env DECNET_DB_CONNECT_TIMEOUT");
	ck_assert_int_eq(s.log_statements, 1);
	ck_assert_str_eq(s.source[SK_LOG_STATEMENTS], "env DECNET_DB_ECHO");
	settings_free(&s);
	unsetenv("DECNET_DB_CONNECT_TIMEOUT");

	/* DECNET_DB_URL beats the components, as DB_URL does. */
	setenv("DECNET_DB_URL", "postgresql://u:pw@pghost:6543/app", 1);
	setenv("DB_URL", "mysql://x:y@stray/z", 1);
	su_resolve_ok(cfg, NULL, NULL, &s);
	ck_assert_str_eq(s.type, "postgresql");
	ck_assert_str_eq(s.value[SK_HOST], "pghost");
	ck_assert_str_eq(s.source[SK_HOST], "DECNET_DB_URL");
	ck_assert_uint_eq(s.port, 6543);
	ck_assert_str_eq(s.password, "pw");
	/* Pool settings are inherited from the components. */
	ck_assert_uint_eq(s.pool_size, 20);
	settings_free(&s);
	unsetenv("DB_URL");
	dal_config_free(cfg);
}
END_TEST

START_TEST(test_envmap_mariadb_section_with_database_type)
{
	dal_config *cfg = tu_config_parse("[main]\n"
	                                  "[main.env]\n"
	                                  "type = DATABASE_TYPE\n"
	                                  "url = MARIADB_URI\n"
	                                  "host = MARIADB_HOST\n"
	                                  "port = MARIADB_PORT\n"
	                                  "user = MARIADB_USER\n"
	                                  "password = MARIADB_PASSWORD\n"
	                                  "name = MARIADB_DATABASE\n");
	struct dal_settings s;

	setenv("DATABASE_TYPE", "mariadb", 1);
	setenv("MARIADB_HOST", "maria.local", 1);
	setenv("MARIADB_PORT", "3310", 1);
	setenv("MARIADB_USER", "app", 1);
	setenv("MARIADB_PASSWORD", "pw", 1);
	setenv("MARIADB_DATABASE", "appdb", 1);
	/* Not named by the map: not read. */
	setenv("DB_POOL_SIZE", "3", 1);
	setenv("DB_HOST", "stray", 1);
	su_resolve_ok(cfg, NULL, NULL, &s);
	ck_assert_str_eq(s.type, "mariadb");
	ck_assert_str_eq(s.source[SK_TYPE], "env DATABASE_TYPE");
	ck_assert_str_eq(s.value[SK_HOST], "maria.local");
	ck_assert_str_eq(s.source[SK_HOST], "env MARIADB_HOST");
	ck_assert_uint_eq(s.port, 3310);
	ck_assert_str_eq(s.value[SK_USER], "app");
	ck_assert_str_eq(s.password, "pw");
	ck_assert_str_eq(s.source[SK_PASSWORD], "env MARIADB_PASSWORD");
	ck_assert_str_eq(s.value[SK_NAME], "appdb");
	ck_assert_str_eq(s.source[SK_NAME], "env MARIADB_DATABASE");
	ck_assert_uint_eq(s.pool_size, 10);
	ck_assert_str_eq(s.source[SK_POOL_SIZE], "default");
	settings_free(&s);

	setenv("MARIADB_URI", "mysql://u2:p2@urihost:3999/uridb", 1);
	su_resolve_ok(cfg, NULL, NULL, &s);
	ck_assert_str_eq(s.value[SK_HOST], "urihost");
	ck_assert_str_eq(s.source[SK_HOST], "MARIADB_URI");
	ck_assert_str_eq(s.value[SK_NAME], "uridb");
	ck_assert_str_eq(s.password, "p2");
	settings_free(&s);
	dal_config_free(cfg);
}
END_TEST

START_TEST(test_envmap_prefix_and_section_combine)
{
	/* The section beats the prefix for the settings it names; an empty
	 * value turns a setting's variable off. */
	dal_config *cfg = tu_config_parse("[main]\nenv_prefix = APP_DB_\n"
	                                  "[main.env]\nhost = APP_PRIMARY\nuser =\n");
	struct dal_settings s;

	setenv("APP_DB_TYPE", "postgresql", 1);
	setenv("APP_DB_HOST", "ignored", 1);
	setenv("APP_PRIMARY", "primary", 1);
	setenv("APP_DB_USER", "ignored", 1);
	setenv("APP_DB_PASSWORD", "pw", 1);
	su_resolve_ok(cfg, NULL, NULL, &s);
	ck_assert_str_eq(s.value[SK_HOST], "primary");
	ck_assert_str_eq(s.source[SK_HOST], "env APP_PRIMARY");
	ck_assert_ptr_null(s.value[SK_USER]);
	settings_free(&s);
	unsetenv("APP_DB_TYPE");
	unsetenv("APP_DB_HOST");
	unsetenv("APP_PRIMARY");
	unsetenv("APP_DB_USER");
	unsetenv("APP_DB_PASSWORD");
	dal_config_free(cfg);
}
END_TEST

START_TEST(test_envmap_default_names_unchanged)
{
	struct dal_settings s;

	setenv("DB_POOL_RECYCLE", "60", 1);
	setenv("DB_ECHO", "1", 1);
	setenv("DECNET_DB_POOL_SIZE", "99", 1);
	su_resolve_ok(NULL, NULL, NULL, &s);
	ck_assert_uint_eq(s.max_lifetime_ms, 60000);
	ck_assert_str_eq(s.source[SK_MAX_LIFETIME], "env DB_POOL_RECYCLE");
	ck_assert_int_eq(s.log_statements, 1);
	ck_assert_str_eq(s.source[SK_LOG_STATEMENTS], "env DB_ECHO");
	ck_assert_uint_eq(s.pool_size, 10); /* no prefix named: not read */
	settings_free(&s);
	/* SQLAlchemy's pool_recycle = -1 ("never") is max_lifetime off. */
	setenv("DB_POOL_RECYCLE", "-1", 1);
	su_resolve_ok(NULL, NULL, NULL, &s);
	ck_assert_uint_eq(s.max_lifetime_ms, 0);
	ck_assert_str_eq(s.source[SK_MAX_LIFETIME], "env DB_POOL_RECYCLE");
	ck_assert_int_eq(s.log_parameters, 0);
	ck_assert_str_eq(s.source[SK_LOG_PARAMETERS], "default");
	settings_free(&s);
	{
		dal_error e;
		setenv("DB_ECHO", "loud", 1);
		su_resolve_bad(NULL, NULL, NULL, &e);
		ck_assert_msg(tu_contains(e.message, "env DB_ECHO") &&
		              tu_contains(e.message, "log_statements") &&
		              tu_contains(e.message, "not a boolean"), "%s", e.message);
	}
}
END_TEST

START_TEST(test_envmap_named_repository_reads_its_variables)
{
	/* DB_* apply to the default repository only; a repository that names
	 * its variables reads them whatever its name. */
	dal_config *cfg = tu_config_parse("[main]\ntype = sqlite\npath = a.db\n"
	                                  "[audit]\ntype = sqlite\npath = b.db\nenv_prefix = AUDIT_DB_\n");
	struct dal_settings s;

	setenv("AUDIT_DB_POOL_SIZE", "4", 1);
	su_resolve_ok(cfg, "audit", NULL, &s);
	ck_assert_uint_eq(s.pool_size, 4);
	ck_assert_str_eq(s.source[SK_POOL_SIZE], "env AUDIT_DB_POOL_SIZE");
	settings_free(&s);
	su_resolve_ok(cfg, "main", NULL, &s);
	ck_assert_uint_eq(s.pool_size, 10);
	settings_free(&s);
	unsetenv("AUDIT_DB_POOL_SIZE");
	dal_config_free(cfg);
}
END_TEST

START_TEST(test_envmap_errors_name_file_line)
{
	/* Each file, and what its error must name (file:line first). */
	static const struct {
		const char *ini, *needs[4];
	} bad[] = {
		{"[main]\ntype = sqlite\n[main.env]\nhost = H\nhots = MARIADB_HOST\n",
		 {"t.ini:5", "'hots'", "[main.env]", "host"}},
		{"[main]\n[main.env]\nurl = MARIADB-URI\n",
		 {"t.ini:3", "MARIADB-URI", "not an environment variable name"}},
		{"[main]\nenv_prefix = 9DB\n", {"t.ini:2", "env_prefix"}},
		{"[main]\nlog_parameters = maybe\n", {"t.ini:2", "log_parameters", "not a boolean"}},
		{"[main]\nenv_prefix =\n", {"t.ini:2"}},
	};
	dal_config *cfg;
	dal_error e;

	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		cfg = tu_config_parse(bad[k].ini);
		su_resolve_bad(cfg, NULL, NULL, &e);
		for (size_t n = 0; n < 4 && bad[k].needs[n]; n++)
			ck_assert_msg(tu_contains(e.message, bad[k].needs[n]),
			              "'%s' not in the error of\n%s: %s", bad[k].needs[n], bad[k].ini,
			              e.message);
		dal_config_free(cfg);
	}

	/* A bad value names the variable it came from. */
	cfg = tu_config_parse("[main]\nenv_prefix = DECNET_DB_\n");
	setenv("DECNET_DB_PORT", "33o6", 1);
	setenv("DECNET_DB_TYPE", "mysql", 1);
	setenv("DECNET_DB_PASSWORD", "hunter2", 1);
	su_resolve_bad(cfg, NULL, NULL, &e);
	ck_assert_msg(tu_contains(e.message, "env DECNET_DB_PORT") &&
	              !tu_contains(e.message, "hunter2"), "%s", e.message);
	dal_config_free(cfg);
}
END_TEST

START_TEST(test_envmap_no_unknown_key_warning)
{
	dal_config *cfg = tu_config_parse("[main]\nenv_prefix = X_\n[main.env]\nhost = Y\n");

	ck_assert_ptr_null(dal_config_warning(cfg, 0));
	dal_config_free(cfg);
}
END_TEST

struct seen {
	char lines[40][256];
	int n;
};

static void collect(const char *key, const char *value, const char *source, void *ud)
{
	struct seen *s = ud;

	if (s->n < 40)
		snprintf(s->lines[s->n++], sizeof s->lines[0], "%s=%s <%s>", key, value, source);
}

static int seen_has(const struct seen *s, const char *line)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->lines[i], line) == 0)
			return 1;
	return 0;
}

START_TEST(test_envmap_describe_names_variables)
{
	dal_config *cfg = tu_config_parse("[main]\nenv_prefix = DECNET_DB_\n");
	struct seen seen = {.n = 0};
	dal_error e;

	set_decnet_components();
	ck_assert_msg(dal_config_describe(cfg, NULL, NULL, collect, &seen, &e) == DAL_OK, "%s",
	              e.message);
	ck_assert(seen_has(&seen, "env_prefix=DECNET_DB_ <t.ini:2>"));
	ck_assert(seen_has(&seen, "host=db.decnet <env DECNET_DB_HOST>"));
	ck_assert(seen_has(&seen, "password=*** <env DECNET_DB_PASSWORD>"));
	ck_assert(seen_has(&seen, "max_lifetime=3600 <env DECNET_DB_POOL_RECYCLE>"));
	ck_assert(seen_has(&seen, "pre_ping=on <env DECNET_DB_POOL_PRE_PING>"));
	for (int i = 0; i < seen.n; i++)
		ck_assert_msg(!tu_contains(seen.lines[i], "s3cret"), "%s", seen.lines[i]);
	dal_config_free(cfg);

	/* A map shows each mapping, set or not. */
	cfg = tu_config_parse("[main]\n[main.env]\nhost = MARIADB_HOST\nuser =\n");
	seen.n = 0;
	ck_assert_msg(dal_config_describe(cfg, NULL, NULL, collect, &seen, &e) == DAL_OK, "%s",
	              e.message);
	ck_assert(seen_has(&seen, "env.host=MARIADB_HOST <t.ini:3>"));
	ck_assert(seen_has(&seen, "env.user=(not read) <t.ini:4>"));
	dal_config_free(cfg);
}
END_TEST

/* ---- real connections from a process with only the mapped variables ---- */

/*
 * In a child with an empty environment plus vars[] (and DAL_PLUGIN_PATH and
 * LD_LIBRARY_PATH, to find the plugins of the build tree), load ini_text
 * from a file, open the default repository and check the server answers
 * `probe` with `want`.
 * Exit status 0 on success, else the child prints why.
 */
static void connect_with_only(const char *ini_text, char *const *vars, const char *probe,
                              const char *want)
{
	char *dir = tu_mkdtemp(), *ini = tu_write_file(dir, "dal.ini", ini_text);
	const char *plugins = getenv("DAL_PLUGIN_PATH"), *ld = getenv("LD_LIBRARY_PATH");
	char *plugin_path = plugins ? strdup(plugins) : NULL, *ld_path = ld ? strdup(ld) : NULL;
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dal_config *cfg;
		dal_repo *r;
		dal_conn *c;
		dal_stmt *st;
		dal_error e;

		clearenv();
		if (plugin_path)
			setenv("DAL_PLUGIN_PATH", plugin_path, 1);
		/* The build tree's plugins find libdal.so through it. */
		if (ld_path)
			setenv("LD_LIBRARY_PATH", ld_path, 1);
		for (char *const *v = vars; *v; v++)
			putenv(*v);
		if (dal_config_load(&cfg, ini, &e) != DAL_OK ||
		    dal_repo_open(&r, cfg, NULL, NULL, &e) != DAL_OK ||
		    dal_conn_acquire(r, &c, &e) != DAL_OK) {
			fprintf(stderr, "open: %s\n", e.message);
			_exit(1);
		}
		if (dal_stmt_prepare(c, probe, &st) != DAL_OK || dal_stmt_step(st) != DAL_ROW) {
			fprintf(stderr, "probe: %s\n", dal_conn_error(c)->message);
			_exit(2);
		}
		if (strcmp(dal_stmt_column_text(st, 0, NULL), want) != 0) {
			fprintf(stderr, "probe gave '%s', wanted '%s'\n",
			        dal_stmt_column_text(st, 0, NULL), want);
			_exit(3);
		}
		dal_stmt_close(st);
		dal_conn_release(c);
		dal_repo_close(r);
		dal_config_free(cfg);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	              "the child did not connect (status %d)", status);
	free(plugin_path);
	free(ld_path);
	free(ini);
	tu_rmtree(dir);
}

/* The parts of a test server URL, decoded, as putenv() strings. */
struct server {
	char host[128], port[16], user[128], pass[128], db[128];
};

static int server_of(const char *env, struct server *sv)
{
	const char *u = getenv(env);
	struct dal_url p;
	dal_error e;

	if (!u || !*u)
		return 0;
	ck_assert_msg(url_parse(u, env, 1, &p, &e) == DAL_OK, "%s", e.message);
	snprintf(sv->host, sizeof sv->host, "%s", p.host);
	snprintf(sv->port, sizeof sv->port, "%u", p.port);
	snprintf(sv->user, sizeof sv->user, "%s", p.user);
	snprintf(sv->pass, sizeof sv->pass, "%s", p.password ? p.password : "");
	snprintf(sv->db, sizeof sv->db, "%s", p.path);
	url_free(&p);
	return 1;
}

START_TEST(test_envmap_decnet_process_connects_to_pgsql)
{
	struct server sv;
	static char v[12][300];
	char *vars[13];

	if (!server_of("DAL_TEST_PGSQL_URL", &sv))
		return; /* registered only with a URL: see main() */
	snprintf(v[0], sizeof v[0], "DECNET_DB_TYPE=postgresql");
	snprintf(v[1], sizeof v[1], "DECNET_DB_HOST=%s", sv.host);
	snprintf(v[2], sizeof v[2], "DECNET_DB_PORT=%s", sv.port);
	snprintf(v[3], sizeof v[3], "DECNET_DB_NAME=%s", sv.db);
	snprintf(v[4], sizeof v[4], "DECNET_DB_USER=%s", sv.user);
	snprintf(v[5], sizeof v[5], "DECNET_DB_PASSWORD=%s", sv.pass);
	snprintf(v[6], sizeof v[6], "DECNET_DB_POOL_SIZE=2");
	snprintf(v[7], sizeof v[7], "DECNET_DB_MAX_OVERFLOW=1");
	snprintf(v[8], sizeof v[8], "DECNET_DB_POOL_RECYCLE=600");
	snprintf(v[9], sizeof v[9], "DECNET_DB_POOL_PRE_PING=true");
	for (int i = 0; i < 10; i++)
		vars[i] = v[i];
	vars[10] = NULL;
	connect_with_only("[main]\nenv_prefix = DECNET_DB_\n", vars,
	                  "SELECT current_database() || '@' || current_user", "daltest@dal");
	/* The same with DECNET_DB_URL alone. */
	snprintf(v[0], sizeof v[0], "DECNET_DB_URL=%s", getenv("DAL_TEST_PGSQL_URL"));
	vars[1] = NULL;
	connect_with_only("[main]\nenv_prefix = DECNET_DB_\n", vars,
	                  "SELECT current_database()", "daltest");
}
END_TEST

START_TEST(test_envmap_mariadb_process_connects_to_mysql)
{
	struct server sv;
	static char v[8][300];
	char *vars[9];

	if (!server_of("DAL_TEST_MYSQL_URL", &sv))
		return;
	snprintf(v[0], sizeof v[0], "DATABASE_TYPE=mariadb");
	snprintf(v[1], sizeof v[1], "MARIADB_HOST=%s", sv.host);
	snprintf(v[2], sizeof v[2], "MARIADB_PORT=%s", sv.port);
	snprintf(v[3], sizeof v[3], "MARIADB_USER=%s", sv.user);
	snprintf(v[4], sizeof v[4], "MARIADB_PASSWORD=%s", sv.pass);
	snprintf(v[5], sizeof v[5], "MARIADB_DATABASE=%s", sv.db);
	for (int i = 0; i < 6; i++)
		vars[i] = v[i];
	vars[6] = NULL;
	connect_with_only("[main]\n[main.env]\ntype = DATABASE_TYPE\nurl = MARIADB_URI\n"
	                  "host = MARIADB_HOST\nport = MARIADB_PORT\nuser = MARIADB_USER\n"
	                  "password = MARIADB_PASSWORD\nname = MARIADB_DATABASE\n",
	                  vars, "SELECT CONCAT(DATABASE(), '@', SUBSTRING_INDEX(CURRENT_USER(), '@', 1))",
	                  "daltest@dal");
	/* MARIADB_URI alone, with DATABASE_TYPE still set. */
	snprintf(v[1], sizeof v[1], "MARIADB_URI=%s", getenv("DAL_TEST_MYSQL_URL"));
	vars[2] = NULL;
	connect_with_only("[main]\n[main.env]\ntype = DATABASE_TYPE\nurl = MARIADB_URI\n", vars,
	                  "SELECT DATABASE()", "daltest");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("envmap");
	TCase *tc = tcase_create("envmap");

	tcase_add_checked_fixture(tc, clear_env, clear_env);
	tcase_add_test(tc, test_envmap_decnet_prefix_maps_every_setting);
	tcase_add_test(tc, test_envmap_mariadb_section_with_database_type);
	tcase_add_test(tc, test_envmap_prefix_and_section_combine);
	tcase_add_test(tc, test_envmap_default_names_unchanged);
	tcase_add_test(tc, test_envmap_named_repository_reads_its_variables);
	tcase_add_test(tc, test_envmap_errors_name_file_line);
	tcase_add_test(tc, test_envmap_no_unknown_key_warning);
	tcase_add_test(tc, test_envmap_describe_names_variables);
	suite_add_tcase(s, tc);
	/* The servers' cases exist only when their URL is set: a visible
	 * difference in the count, never a silent pass. */
	tc = tcase_create("servers");
	tcase_set_timeout(tc, 30);
	if (getenv("DAL_TEST_PGSQL_URL") && *getenv("DAL_TEST_PGSQL_URL"))
		tcase_add_test(tc, test_envmap_decnet_process_connects_to_pgsql);
	else
		printf("test_envmap: SKIP DECNET_DB_* connection (no DAL_TEST_PGSQL_URL)\n");
	if (getenv("DAL_TEST_MYSQL_URL") && *getenv("DAL_TEST_MYSQL_URL"))
		tcase_add_test(tc, test_envmap_mariadb_process_connects_to_mysql);
	else
		printf("test_envmap: SKIP MARIADB_* connection (no DAL_TEST_MYSQL_URL)\n");
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	/* Every case resolves mysql, mariadb or postgresql repositories. */
	if (!tu_backends_built("mysql pgsql"))
		return 77; /* automake's SKIP: an only-SQLite build */
	sr = srunner_create(suite());

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
