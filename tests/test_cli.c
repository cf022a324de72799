/*
 * Tests of the `dal` command-line tool, run as a separate process exactly as
 * a user runs it (the libtool wrapper in the build tree, through /bin/sh),
 * against real SQLite databases in temporary directories, and against the
 * test servers when DAL_TEST_MYSQL_URL / DAL_TEST_PGSQL_URL are set. Each
 * test checks stdout, stderr and the exit status; output formats are
 * compared as exact text. The health check's time bound is measured against
 * loopback addresses only: a port nothing listens on, and a listener that
 * never accepts (the client then waits for a server greeting forever).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define DAL_BIN TOP_BUILDDIR "/cli/dal"

/* Run the dal tool with the given arguments (NULL-terminated list); stdin
 * is /dev/null, the environment the test's own. */
static void run_dal(struct tu_run *r, ...)
{
	static const char *const head[] = { DAL_BIN, NULL };
	va_list ap;

	va_start(ap, r);
	tu_run_va(r, NULL, head, ap);
	va_end(ap);
}

static char *tmpdir;

static void setup(void)
{
	tu_clear_env();
	tmpdir = tu_mkdtemp();
}

static void teardown(void)
{
	tu_rmtree(tmpdir);
	tmpdir = NULL;
}

/* "sqlite:////<tmpdir>/name" (absolute: four slashes); caller frees. */
static char *db_url(const char *name)
{
	char *url;

	ck_assert(asprintf(&url, "sqlite:///%s/%s", tmpdir, name) > 0);
	return url;
}

/* An INI in tmpdir with a [main] sqlite repository at t.db plus extra lines. */
static char *write_ini(const char *extra)
{
	char *text, *path;

	ck_assert(asprintf(&text, "[main]\ntype = sqlite\npath = t.db\n%s", extra) > 0);
	path = tu_write_file(tmpdir, "dal.ini", text);
	free(text);
	return path;
}

/* Count the lines of s. */
static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Check the figures of the pool table of `stats` text output: used,
 * created and acquired (and idle + used == created, none closed). */
static void assert_pool_line_at(const char *out, unsigned used, unsigned long created,
                                unsigned long acquired, int line)
{
	static const char head[] = "pool  max  idle_max  idle  used  pending  timeouts  "
	                           "created  closed  acquired\n";
	const char *p = strstr(out, head);
	unsigned max = 0, idle_max = 0, idle = 0, u = 0, pending = 0;
	unsigned long timeouts = 0, c = 0, closed = 0, a = 0;

	ck_assert_msg(p != NULL, "line %d: no pool table in:\n%s", line, out);
	p += strlen(head);
	ck_assert_msg(sscanf(p, "%*s %u %u %u %u %u %lu %lu %lu %lu", &max, &idle_max, &idle, &u,
	                     &pending, &timeouts, &c, &closed, &a) == 9,
	              "line %d: pool line: %s", line, p);
	ck_assert_msg(u == used && c == created && a == acquired && idle + u == c &&
	              closed == 0 && pending == 0 && timeouts == 0 && max >= idle_max &&
	              idle_max >= 1,
	              "line %d: pool line: %s", line, p);
}
#define assert_pool_line(out, used, created, acquired) \
	assert_pool_line_at((out), (used), (created), (acquired), __LINE__)

/* ------------------------------------------------------------------------ */
/* Round trips and output formats                                            */
/* ------------------------------------------------------------------------ */

START_TEST(test_cli_url_round_trip_table)
{
	char *url = db_url("t.db");
	struct tu_run r;

	run_dal(&r, "-u", url, "exec", "CREATE TABLE t(x INTEGER, name TEXT)",
	        "exec", "INSERT INTO t VALUES (1, 'a'), (2, NULL), (10, 'hello')",
	        "query", "SELECT x, name FROM t ORDER BY x", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "0 row(s) affected\n"
	                        "3 row(s) affected\n"
	                        " x | name\n"
	                        "---+------\n"
	                        " 1 | a\n"
	                        " 2 | NULL\n"
	                        "10 | hello\n"
	                        "(3 rows)\n");
	ck_assert_str_eq(r.err, "");
	tu_run_free(&r);

	/* A second process sees the committed rows. */
	run_dal(&r, "-u", url, "query", "SELECT count(*) AS n FROM t", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "n\n-\n3\n(1 row)\n");
	tu_run_free(&r);
	free(url);
}
END_TEST

START_TEST(test_cli_server_backends_round_trip)
{
	static const char *const vars[] = { "DAL_TEST_MYSQL_URL", "DAL_TEST_PGSQL_URL" };

	for (size_t i = 0; i < 2; i++) {
		const char *url = getenv(vars[i]);
		char pass[128];
		struct tu_run r;

		if (!url || !*url) {
			/* CI always starts both servers (scripts/test-all.sh). */
			ck_assert_msg(getenv("CI") == NULL, "%s not set", vars[i]);
			fprintf(stderr, "test_cli: %s not set; server round trip skipped\n", vars[i]);
			continue;
		}
		tu_url_password(url, pass, sizeof pass);
		run_dal(&r, "-u", url, "exec", "DROP TABLE IF EXISTS dalcli_x", "exec",
		        "CREATE TABLE dalcli_x (id INT, name VARCHAR(10))", "exec",
		        "INSERT INTO dalcli_x VALUES (1, 'a'), (2, 'b')", "query",
		        "SELECT id, name FROM dalcli_x ORDER BY id", "query", "--csv",
		        "SELECT count(*) AS n FROM dalcli_x", "ping", "config", "exec",
		        "DROP TABLE dalcli_x", NULL);
		tu_assert_run(&r, 0);
		tu_assert_has(r.out, "2 row(s) affected\n");
		tu_assert_has(r.out, "id | name\n---+-----\n 1 | a\n 2 | b\n(2 rows)\n");
		tu_assert_has(r.out, "n\r\n2\r\n");
		tu_assert_has(r.out, "ok: main (");
		/* ping says whether the connection is encrypted; config shows
		 * the TLS mode it resolves to. */
		tu_assert_has(r.out, " ms, tls: ");
		tu_assert_has(r.out, ".tls_mode ");
		tu_assert_has(r.out, "***");
		ck_assert_msg(!pass[0] || (!tu_contains(r.out, pass) && !tu_contains(r.err, pass)),
		              "password printed:\n%s%s", r.out, r.err);
		tu_run_free(&r);

		/* One session for the whole chain: a temporary table made by
		 * exec is seen by query; stats shows the connection held. */
		run_dal(&r, "-u", url, "exec", "CREATE TEMPORARY TABLE dalcli_tmp (x INT)", "exec",
		        "INSERT INTO dalcli_tmp VALUES (7)", "query", "--csv",
		        "SELECT x FROM dalcli_tmp", "stats", NULL);
		tu_assert_run(&r, 0);
		tu_assert_has(r.out, "x\r\n7\r\n");
		assert_pool_line(r.out, 1, 1, 1);
		tu_run_free(&r);

		/* An SQL error: one line on stderr with the category and SQLSTATE,
		 * non-zero exit, no password. */
		run_dal(&r, "-u", url, "query", "SELECT * FROM dalcli_missing", NULL);
		tu_assert_run(&r, 1);
		ck_assert_int_eq(count_lines(r.err), 1);
		tu_assert_has(r.err, "DAL_ENOTFOUND");
		tu_assert_has(r.err, "[42");
		ck_assert_msg(!pass[0] || !tu_contains(r.err, pass), "password printed: %s", r.err);
		tu_run_free(&r);
	}
}
END_TEST

START_TEST(test_cli_config_file_round_trip)
{
	char *ini = write_ini("");
	char *db;
	struct tu_run r;

	run_dal(&r, "-c", ini, "exec", "CREATE TABLE IF NOT EXISTS t(x)", "exec",
	        "INSERT INTO t VALUES (1)", "query", "SELECT * FROM t", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "0 row(s) affected\n1 row(s) affected\n"
	                        "x\n-\n1\n(1 row)\n");
	/* path = t.db is relative to the INI file's directory. */
	ck_assert(asprintf(&db, "%s/t.db", tmpdir) > 0);
	ck_assert_int_eq(access(db, F_OK), 0);
	tu_run_free(&r);

	/* DAL_CONFIG is used when -c is not given. */
	setenv("DAL_CONFIG", ini, 1);
	run_dal(&r, "query", "--csv", "SELECT x FROM t", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "x\r\n1\r\n");
	tu_run_free(&r);
	free(db);
	free(ini);
}
END_TEST

START_TEST(test_cli_query_table_escapes_and_streams)
{
	char *url = db_url("t.db");
	struct tu_run r;

	/* Control characters and non-UTF-8 bytes keep a row on one line; a
	 * blob is shown in hex; a column holding any text is left-aligned. */
	run_dal(&r, "-u", url, "query",
	        "SELECT 'a' || char(10) || 'b' AS s, x'00ff' AS b, "
	        "CAST(x'ff41' AS TEXT) AS bad, 'é' AS e, 2.5 AS d "
	        "UNION ALL SELECT 'long text', NULL, 'x', 'ü', 10", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "s         | b      | bad   | e |   d\n"
	                        "----------+--------+-------+---+----\n"
	                        "a\\nb      | \\x00ff | \\xffA | é | 2.5\n"
	                        "long text | NULL   | x     | ü |  10\n"
	                        "(2 rows)\n");
	tu_run_free(&r);

	/* Beyond the 1000 buffered rows the table streams with the widths
	 * found in them. */
	run_dal(&r, "-u", url, "query",
	        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
	        "WHERE x < 1500) SELECT x FROM c", NULL);
	tu_assert_run(&r, 0);
	ck_assert_int_eq(count_lines(r.out), 1503);
	ck_assert(strncmp(r.out, "   x\n----\n   1\n   2\n", 20) == 0);
	tu_assert_has(r.out, "\n1001\n");
	ck_assert_str_eq(r.out + strlen(r.out) - strlen("1499\n1500\n(1500 rows)\n"),
	                 "1499\n1500\n(1500 rows)\n");
	tu_run_free(&r);

	/* A statement without result columns run through query. */
	run_dal(&r, "-u", url, "exec", "CREATE TABLE t(x)", "query",
	        "INSERT INTO t VALUES (1), (2)", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "0 row(s) affected\n2 row(s) affected\n");
	tu_run_free(&r);
	free(url);
}
END_TEST

START_TEST(test_cli_query_csv)
{
	char *url = db_url("t.db");
	struct tu_run r;

	run_dal(&r, "-u", url, "query", "--csv",
	        "SELECT 1 AS n, 'a,b' AS s, 'say \"hi\"' AS q, '' AS e, NULL AS z, "
	        "1.5 AS d, x'00ff' AS b, 'l1' || char(10) || 'l2' AS \"two,lines\" "
	        "UNION ALL SELECT -7, 'plain', 'x', 'y', 'z', 0.1, x'', 'w'", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "n,s,q,e,z,d,b,\"two,lines\"\r\n"
	                        "1,\"a,b\",\"say \"\"hi\"\"\",\"\",,1.5,\\x00ff,\"l1\nl2\"\r\n"
	                        "-7,plain,x,y,z,0.1,\\x,w\r\n");
	ck_assert_str_eq(r.err, "");
	tu_run_free(&r);

	/* No rows: the header alone. */
	run_dal(&r, "-u", url, "query", "--csv", "SELECT 1 AS a, 2 AS b WHERE 0", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "a,b\r\n");
	tu_run_free(&r);
	free(url);
}
END_TEST

/* CSV on a terminal shows control bytes as \xHH, so that data cannot send
 * escape sequences to it; into a pipe the bytes go out exactly. The
 * terminal is a pty from script(1). */
START_TEST(test_cli_query_csv_escapes_controls_on_a_terminal)
{
	char *url = db_url("t.db");
	const char *sql = "SELECT 'a' || char(27) || '[31mred' AS s";
	char cmd[8192], out[4096];
	size_t n;
	FILE *p;
	struct tu_run r;

	run_dal(&r, "-u", url, "query", "--csv", sql, NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "s\r\na\033[31mred\r\n"); /* a pipe: exact bytes */
	tu_run_free(&r);

	snprintf(cmd, sizeof cmd, "script -qec \"%s -u '%s' query --csv \\\"%s\\\"\" /dev/null",
	         DAL_BIN, url, sql);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_msg(strstr(out, "a\\x1b[31mred"), "%s", out);
	ck_assert_msg(!strchr(out, 27), "raw ESC reached the terminal: %s", out);
	free(url);
}
END_TEST

START_TEST(test_cli_query_json)
{
	char *url = db_url("t.db");
	struct tu_run r;

	run_dal(&r, "-u", url, "query", "--json",
	        "SELECT 1 AS n, 'a\"b\\c' || char(10) || 'd' || char(1) AS s, "
	        "NULL AS z, 0.1 AS d, x'666f6f' AS b, CAST(x'ff41' AS TEXT) AS bad, "
	        "'é' AS \"k\"\"ey\" "
	        "UNION ALL SELECT 9223372036854775807, '', 1, 1e300, x'66', 'ok', 'x'",
	        NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out,
	                 "[\n"
	                 "{\"n\":1,\"s\":\"a\\\"b\\\\c\\nd\\u0001\",\"z\":null,\"d\":0.1,"
	                 "\"b\":\"Zm9v\",\"bad\":\"\\ufffdA\",\"k\\\"ey\":\"é\"},\n"
	                 "{\"n\":9223372036854775807,\"s\":\"\",\"z\":1,\"d\":1e+300,"
	                 "\"b\":\"Zg==\",\"bad\":\"ok\",\"k\\\"ey\":\"x\"}\n"
	                 "]\n");
	ck_assert_str_eq(r.err, "");
	tu_run_free(&r);

	run_dal(&r, "-u", url, "query", "--json", "SELECT 1 AS a WHERE 0", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "[]\n");
	tu_run_free(&r);

	run_dal(&r, "-u", url, "query", "--json", "--csv", "SELECT 1", NULL);
	tu_assert_run(&r, 2);
	ck_assert_str_eq(r.err, "dal: query: --csv and --json cannot be used "
	                        "together; try 'dal query --help'\n");
	tu_run_free(&r);
	free(url);
}
END_TEST

START_TEST(test_cli_ping)
{
	char *url = db_url("t.db");
	struct tu_run r;
	double ms = -1;

	run_dal(&r, "-u", url, "ping", NULL);
	tu_assert_run(&r, 0);
	ck_assert_msg(sscanf(r.out, "ok: main (sqlite, sqlite) in %lf ms\n", &ms) == 1,
	              "unexpected: %s", r.out);
	ck_assert(ms >= 0 && ms < 10000);
	tu_assert_has(r.out, " ms\n");
	/* An embedded database has no connection to encrypt: no tls part. */
	tu_assert_lacks(r.out, "tls:");
	ck_assert_int_eq(count_lines(r.out), 1);
	tu_run_free(&r);
	free(url);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Telemetry                                                                 */
/* ------------------------------------------------------------------------ */

/* The calls column of operation op in `stats` text output, or -1. */
static long stats_calls(const char *out, const char *op)
{
	char needle[32];
	const char *p;
	long calls = -1;

	snprintf(needle, sizeof needle, "\n%s ", op);
	p = strstr(out, needle);
	if (p && sscanf(p + strlen(needle), "%ld", &calls) != 1)
		calls = -1;
	return calls;
}

START_TEST(test_cli_stats_after_round_trip)
{
	char *url = db_url("t.db");
	struct tu_run r;

	run_dal(&r, "-u", url, "exec", "CREATE TABLE t(x)", "exec",
	        "INSERT INTO t VALUES (1), (2)", "query", "SELECT * FROM t", "ping",
	        "stats", NULL);
	tu_assert_run(&r, 0);
	tu_assert_has(r.out, "\noperation ");
	tu_assert_has(r.out, "total_ms");
	ck_assert_int_eq(stats_calls(r.out, "connect"), 1);
	ck_assert_int_eq(stats_calls(r.out, "exec"), 2);
	ck_assert_int_eq(stats_calls(r.out, "prepare"), 1);
	ck_assert_int_eq(stats_calls(r.out, "execute"), 1);
	ck_assert_int_eq(stats_calls(r.out, "ping"), 1);
	/* The pool: the chain's one connection, held while stats runs. */
	tu_assert_has(r.out, "\n\npool  max  idle_max  idle  used  pending  timeouts  created  "
	                     "closed  acquired\n");
	assert_pool_line(r.out, 1, 1, 1);
	{
		/* fetch steps are counted but not timed: no made-up zeros. */
		const char *f = strstr(r.out, "\nfetch "), *eol = f ? strchr(f + 1, '\n') : NULL;
		ck_assert_msg(f && eol && eol[-1] == '-' && eol[-2] == ' ', "fetch line: %s", r.out);
	}
	tu_run_free(&r);

	run_dal(&r, "-u", url, "query", "SELECT * FROM t", "stats", "--format", "json",
	        NULL);
	tu_assert_run(&r, 0);
	tu_assert_has(r.out, "{\"repository\":\"main\",\"db.system.name\":\"sqlite\","
	                     "\"db.namespace\":");
	tu_assert_has(r.out, "\"execute\":{\"calls\":1,\"errors\":0,");
	tu_assert_has(r.out, "\"exec\":{\"calls\":0,");
	tu_assert_has(r.out, "{\"le\":\"+Inf\",\"count\":1}");
	tu_run_free(&r);

	/* stats alone takes no connection: the one made by the open is idle. */
	run_dal(&r, "-u", url, "stats", NULL);
	tu_assert_run(&r, 0);
	assert_pool_line(r.out, 0, 1, 0);
	tu_run_free(&r);
	{
		char *sized;

		ck_assert(asprintf(&sized, "%s?pool_size=3&max_overflow=2", url) > 0);
		run_dal(&r, "-u", sized, "ping", "stats", NULL);
		tu_assert_run(&r, 0);
		tu_assert_has(r.out, "\nmain    5         3     0     1        0         0        1"
		                     "       0         1\n");
		tu_run_free(&r);
		free(sized);
	}

	run_dal(&r, "-u", url, "stats", "--format", "xml", NULL);
	tu_assert_run(&r, 2);
	ck_assert_str_eq(r.err, "dal: stats: unknown format 'xml' (expected text, json or "
	                        "prometheus); try 'dal stats --help'\n");
	tu_run_free(&r);
	free(url);
}
END_TEST

/* Path of promtool, or NULL when Prometheus' tools are not installed. */
static const char *find_promtool(void)
{
	static const char *const paths[] = { "/usr/bin/promtool", "/usr/local/bin/promtool",
		                             NULL };
	for (const char *const *p = paths; *p; p++)
		if (access(*p, X_OK) == 0)
			return *p;
	return NULL;
}

START_TEST(test_cli_stats_prometheus_passes_promtool)
{
	char *url = db_url("p.db"), *file, *cmd;
	const char *promtool = find_promtool();
	struct tu_run r;
	FILE *f;
	int st;

	run_dal(&r, "-u", url, "exec", "CREATE TABLE t(x UNIQUE)", "exec",
	        "INSERT INTO t VALUES (1)", "query", "SELECT * FROM t", NULL);
	tu_assert_run(&r, 0);
	tu_run_free(&r);
	/* An error, so that error_type appears. */
	run_dal(&r, "-u", url, "exec", "INSERT INTO t VALUES (1)", NULL);
	tu_assert_run(&r, 1);
	tu_run_free(&r);
	run_dal(&r, "-u", url, "query", "SELECT * FROM t", "query", "SELEC", NULL);
	tu_run_free(&r);
	run_dal(&r, "-u", url, "exec", "INSERT INTO t VALUES (2)", "query", "SELECT x FROM t",
	        "stats", "--format", "prometheus", NULL);
	tu_assert_run(&r, 0);
	tu_assert_has(r.out, "# TYPE db_client_operation_duration_seconds histogram\n");
	tu_assert_has(r.out, "db_client_operation_duration_seconds_bucket{");
	tu_assert_has(r.out, "db_system_name=\"sqlite\"");
	tu_assert_has(r.out, "db_operation_name=\"execute\"");
	tu_assert_has(r.out, "le=\"+Inf\"} 1\n");
	tu_assert_has(r.out, "db_client_operation_duration_seconds_count{");

	/* The real parser is the judge. CI installs it (scripts/deps.sh
	 * --all); a developer without it is told, not silently passed. */
	if (!promtool) {
		ck_assert_msg(getenv("CI") == NULL, "promtool not installed (package prometheus)");
		fprintf(stderr, "test_cli: promtool not installed; exposition not validated\n");
	} else {
		ck_assert(asprintf(&file, "%s/metrics.prom", tmpdir) > 0);
		f = fopen(file, "w");
		ck_assert_ptr_nonnull(f);
		/* Only the exposition: the commands before stats print too. */
		ck_assert_ptr_nonnull(strstr(r.out, "# HELP "));
		fputs(strstr(r.out, "# HELP "), f);
		fclose(f);
		ck_assert(asprintf(&cmd, "%s check metrics < '%s' > '%s.out' 2>&1", promtool, file,
		                   file) > 0);
		st = system(cmd);
		if (st != 0) {
			char buf[2048] = "";
			FILE *o;

			free(cmd);
			ck_assert(asprintf(&cmd, "%s.out", file) > 0);
			o = fopen(cmd, "r");
			if (o) {
				buf[fread(buf, 1, sizeof buf - 1, o)] = '\0';
				fclose(o);
			}
			ck_abort_msg("promtool check metrics failed (exposition in %s):\n%.2000s",
			             file, buf);
		}
		free(cmd);
		free(file);
	}
	tu_run_free(&r);
	free(url);
}
END_TEST

START_TEST(test_cli_stats_telemetry_off)
{
	char *ini = write_ini("telemetry = off\n");
	struct tu_run r;

	/* The pool keeps its figures without telemetry. */
	run_dal(&r, "-c", ini, "exec", "CREATE TABLE t(x)", "stats", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "0 row(s) affected\ntelemetry is off for main\n\n"
	                        "pool  max  idle_max  idle  used  pending  timeouts  created  "
	                        "closed  acquired\n"
	                        "main   20        10     0     1        0         0        1  "
	                        "     0         1\n");
	tu_run_free(&r);

	run_dal(&r, "-c", ini, "stats", "--format=json", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "{\"repository\":\"main\",\"backend\":\"sqlite\","
	                        "\"telemetry\":false,\"pool\":{\"max\":20,\"idle_max\":10,"
	                        "\"idle\":1,\"used\":0,\"pending\":0,\"timeouts\":0,"
	                        "\"created\":1,\"closed\":0,\"acquired\":0}}\n");
	tu_run_free(&r);

	run_dal(&r, "-c", ini, "stats", "--format", "prometheus", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "# telemetry is off for main\n");
	tu_run_free(&r);
	free(ini);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* config and plugins                                                        */
/* ------------------------------------------------------------------------ */

/* The line of `dal config` output for key, or NULL; static buffer. */
static const char *config_line(const char *out, const char *key)
{
	static char line[1024];
	char needle[64];
	const char *p;
	size_t n;

	snprintf(needle, sizeof needle, "\n%s ", key);
	if (!(p = strstr(out, needle)))
		return NULL;
	p++;
	n = strcspn(p, "\n");
	snprintf(line, sizeof line, "%.*s", (int)n, p);
	return line;
}

START_TEST(test_cli_config_sources_and_masking)
{
	char *ini = write_ini("password = IniSecret42\npool_size = 3\nbogus_key = 1\n");
	const char *line;
	char *src;
	struct tu_run r;

	setenv("DB_HOST", "db.example.invalid", 1);
	run_dal(&r, "-c", ini, "config", NULL);
	tu_assert_run(&r, 0);
	tu_assert_lacks(r.out, "IniSecret42");
	tu_assert_lacks(r.err, "IniSecret42");
	ck_assert(asprintf(&src, "config file: %s\n", ini) > 0);
	ck_assert(strncmp(r.out, src, strlen(src)) == 0);
	free(src);

	/* file:line sources */
	ck_assert_ptr_nonnull(line = config_line(r.out, "type"));
	tu_assert_has(line, " sqlite ");
	ck_assert(asprintf(&src, "%s:2", ini) > 0);
	tu_assert_has(line, src);
	free(src);
	ck_assert_ptr_nonnull(line = config_line(r.out, "password"));
	tu_assert_has(line, " *** ");
	ck_assert(asprintf(&src, "%s:4", ini) > 0);
	tu_assert_has(line, src);
	free(src);
	ck_assert_ptr_nonnull(line = config_line(r.out, "pool_size"));
	tu_assert_has(line, " 3 ");
	/* environment and defaults */
	ck_assert_ptr_nonnull(line = config_line(r.out, "host"));
	tu_assert_has(line, "db.example.invalid");
	tu_assert_has(line, "env DB_HOST");
	ck_assert_ptr_nonnull(line = config_line(r.out, "max_retries"));
	tu_assert_has(line, "default");
	/* a switch whose name contains "password" is not a secret */
	ck_assert_ptr_nonnull(line = config_line(r.out, "allow_empty_password"));
	tu_assert_has(line, " off ");
	/* the unknown key is reported on stdout and logged on stderr */
	tu_assert_has(r.out, "\nwarnings:\n");
	tu_assert_has(r.out, "bogus_key");
	tu_assert_has(r.err, "dal: warning: ");
	tu_assert_has(r.err, "bogus_key");
	tu_run_free(&r);

	/* -q silences the log lines, not the report. */
	run_dal(&r, "-q", "-c", ini, "config", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.err, "");
	tu_assert_has(r.out, "bogus_key");
	tu_run_free(&r);

	/* DB_PASS overrides the INI password; neither is shown. */
	setenv("DB_PASS", "EnvSecret99", 1);
	run_dal(&r, "-c", ini, "config", NULL);
	tu_assert_run(&r, 0);
	ck_assert_ptr_nonnull(line = config_line(r.out, "password"));
	tu_assert_has(line, " *** ");
	tu_assert_has(line, "env DB_PASS");
	tu_assert_lacks(r.out, "EnvSecret99");
	tu_assert_lacks(r.err, "EnvSecret99");
	tu_assert_lacks(r.out, "IniSecret42");
	tu_run_free(&r);
	free(ini);
}
END_TEST

START_TEST(test_cli_config_url_password_redacted)
{
	if (!tu_backends_built("mysql pgsql"))
		return; /* server types: no registration to resolve with */
	struct tu_run r;
	char *ini = tu_write_file(tmpdir, "u.ini",
	                          "[main]\nurl = postgresql://app:IniUrlSecret5@"
	                          "db.invalid/app\n");
	const char *line;

	run_dal(&r, "-u", "postgresql://app:UrlSecret7%21@db.invalid:5432/app",
	        "config", NULL);
	tu_assert_run(&r, 0);
	ck_assert_ptr_nonnull(line = config_line(r.out, "password"));
	tu_assert_has(line, " *** ");
	tu_assert_has(line, "url");
	ck_assert_ptr_nonnull(line = config_line(r.out, "host"));
	tu_assert_has(line, "db.invalid");
	tu_assert_lacks(r.out, "UrlSecret7");
	tu_assert_lacks(r.err, "UrlSecret7");
	tu_run_free(&r);

	run_dal(&r, "-c", ini, "config", NULL);
	tu_assert_lacks(r.out, "IniUrlSecret5");
	tu_assert_lacks(r.err, "IniUrlSecret5");
	tu_run_free(&r);

	/* A connection failure names the server, never the password. */
	setenv("DB_MAX_RETRIES", "0", 1);
	run_dal(&r, "-u", "postgresql://app:UrlSecret7@127.0.0.1:1/app", "ping", NULL);
	tu_assert_run(&r, 1);
	ck_assert_int_eq(count_lines(r.err), 1);
	ck_assert(strncmp(r.err, "dal: ping: DAL_E", 16) == 0);
	tu_assert_lacks(r.out, "UrlSecret7");
	tu_assert_lacks(r.err, "UrlSecret7");
	tu_run_free(&r);
	free(ini);
}
END_TEST

START_TEST(test_cli_plugins_lists_sqlite)
{
	struct tu_run r;

	run_dal(&r, "plugins", NULL);
	tu_assert_run(&r, 0);
	tu_assert_has(r.out, "plugin directories (in search order):\n");
	tu_assert_has(r.out, "  " TOP_BUILDDIR "/plugins/sqlite\n");
	tu_assert_has(r.out, "\nsqlite ");
	tu_assert_has(r.out, "  file:         " TOP_BUILDDIR "/plugins/sqlite/");
	tu_assert_has(r.out, "backend_sqlite");
	tu_assert_has(r.out, "  aliases:      sqlite3\n");
	tu_assert_has(r.out, "  abi:          2.");
	tu_assert_has(r.out, "  kind:         file\n");
	tu_assert_has(r.out, " transactions ");
	tu_assert_has(r.out, " embedded");
	tu_run_free(&r);
}
END_TEST

START_TEST(test_cli_plugins_reports_unusable_files)
{
	struct tu_run r;
	int usable;

	/* Only the deliberately broken plugins of the loader tests. */
	setenv("DAL_PLUGIN_PATH", TESTS_BUILDDIR "/.libs", 1);
	run_dal(&r, "plugins", NULL);
	tu_assert_has(r.out, "  " TESTS_BUILDDIR "/.libs\n");
	tu_assert_has(r.out, "unusable: " TESTS_BUILDDIR "/.libs/backend_abi1");
	tu_assert_has(r.out, "  error:        DAL_EPLUGIN_ABI: ");
	tu_assert_has(r.out, "unusable: " TESTS_BUILDDIR "/.libs/backend_nosym");
	tu_assert_has(r.out, "  error:        DAL_EPLUGIN_INVALID: ");
	/* The compiled-in directory may hold installed plugins; the exit status
	 * must agree with what was listed. */
	usable = tu_contains(r.out, "  file:         ");
	if (usable) {
		tu_assert_run(&r, 0);
	} else {
		tu_assert_run(&r, 1);
		tu_assert_has(r.err, "dal: plugins: none of the ");
		tu_assert_has(r.err, "plugin files found is usable\n");
	}
	tu_run_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Health check                                                              */
/* ------------------------------------------------------------------------ */

/* A minimal JSON syntax check (RFC 8259): returns the end of the value at
 * p, or NULL if it is not one. */
static const char *json_value(const char *p, int depth);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *json_str(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if (!*p || (unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int k = 1; k <= 4; k++)
					if (!isxdigit((unsigned char)p[k]))
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
	}
	return p + 1;
}

static const char *json_digits(const char *p)
{
	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	return p;
}

static const char *json_num(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (!(p = json_digits(p)))
		return NULL;
	if (*p == '.' && !(p = json_digits(p + 1)))
		return NULL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(p = json_digits(p)))
			return NULL;
	}
	return p;
}

static const char *json_value(const char *p, int depth)
{
	char close;

	if (depth > 32)
		return NULL;
	p = json_ws(p);
	if (*p == '"')
		return json_str(p);
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	if (*p != '{' && *p != '[')
		return json_num(p);
	close = *p == '{' ? '}' : ']';
	p = json_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			if (!(p = json_str(json_ws(p))))
				return NULL;
			p = json_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		if (!(p = json_value(p, depth + 1)))
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

/* Check that text is one JSON object on one line holding every key. */
static void assert_health_json(const char *text, const char *status)
{
	static const char *const keys[] = { "\"status\":", "\"repository\":", "\"backend\":",
		                             "\"server_kind\":", "\"target\":",
		                             "\"latency_ms\":", "\"pool\":", "\"encrypted\":",
		                             "\"tls\":", "\"timeout_s\":", "\"error\":", NULL };
	const char *end = json_value(text, 0);
	char want[64];

	ck_assert_msg(end && strcmp(end, "\n") == 0 && text[0] == '{',
	              "not one JSON object and a newline: %s", text);
	ck_assert_int_eq(count_lines(text), 1);
	for (const char *const *k = keys; *k; k++)
		tu_assert_has(text, *k);
	snprintf(want, sizeof want, "{\"status\":\"%s\",", status);
	ck_assert_msg(strncmp(text, want, strlen(want)) == 0, "status: %s", text);
	if (strcmp(status, "healthy") == 0) {
		tu_assert_has(text, "\"error\":null}");
		tu_assert_has(text, "\"pool\":{\"max\":");
	} else {
		tu_assert_has(text, "\"latency_ms\":null,\"pool\":null,");
		tu_assert_has(text, "\"encrypted\":null,\"tls\":null,");
		tu_assert_has(text, "\"error\":{\"code\":\"DAL_E");
		tu_assert_has(text, "\"message\":\"");
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A server URL's plugin was not built: skip, loudly (never in CI). */
static int plugin_missing(const struct tu_run *r, const char *scheme)
{
	if (!tu_contains(r->out, "DAL_EPLUGIN_NOTFOUND"))
		return 0;
	ck_assert_msg(getenv("CI") == NULL, "no %s plugin: %s", scheme, r->out);
	fprintf(stderr, "test_cli: no %s plugin; health check against it skipped\n", scheme);
	return 1;
}

START_TEST(test_cli_health_sqlite)
{
	char *url = db_url("h.db"), *want, *sized;
	struct tu_run r;
	double ms = -1;

	run_dal(&r, "-u", url, "health", NULL);
	tu_assert_run(&r, 0);
	ck_assert(asprintf(&want, "healthy: sqlite sqlite at %s/h.db, ping ", tmpdir) > 0);
	ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0, "unexpected: %s", r.out);
	ck_assert_msg(sscanf(r.out + strlen(want), "%lf ms, pool ", &ms) == 1 && ms >= 0,
	              "unexpected: %s", r.out);
	tu_assert_has(r.out, " ms, pool 1/20 used\n");
	tu_assert_lacks(r.out, "tls");
	ck_assert_int_eq(count_lines(r.out), 1);
	ck_assert_str_eq(r.err, "");
	tu_run_free(&r);
	free(want);

	/* The pool figures are the repository's, as configured. */
	ck_assert(asprintf(&sized, "%s?pool_size=2&max_overflow=1", url) > 0);
	run_dal(&r, "-u", sized, "health", "--timeout", "3", NULL);
	tu_assert_run(&r, 0);
	tu_assert_has(r.out, " ms, pool 1/3 used\n");
	tu_run_free(&r);
	free(sized);

	run_dal(&r, "-u", url, "health", "--json", NULL);
	tu_assert_run(&r, 0);
	assert_health_json(r.out, "healthy");
	tu_assert_has(r.out, "\"repository\":\"main\",\"backend\":\"sqlite\",\"server_kind\":"
	                     "\"sqlite\",\"target\":\"");
	tu_assert_has(r.out, "\"used\":1,");
	tu_assert_has(r.out, "\"encrypted\":null,\"tls\":null,");
	tu_assert_has(r.out, "\"timeout_s\":5,");
	ck_assert_str_eq(r.err, "");
	tu_run_free(&r);

	/* -q: nothing at all, the exit status says it. */
	run_dal(&r, "-q", "-u", url, "health", "--timeout=2", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "");
	tu_run_free(&r);

	/* A configured repository; -v tells where the limits came from. */
	{
		char *ini = write_ini("max_retries = 7\nconnect_timeout = 60\n");

		run_dal(&r, "-v", "-c", ini, "health", "--timeout", "3", NULL);
		tu_assert_run(&r, 0);
		tu_assert_has(r.out, "healthy: sqlite sqlite at ");
		tu_assert_has(r.err, "dal: debug: health: limit 3 s; max_retries 0 (");
		tu_assert_has(r.err, "connect_timeout 2 s (");
		tu_run_free(&r);
		free(ini);
	}

	/* Unhealthy: a database that cannot be opened. */
	run_dal(&r, "-u", "sqlite:////nonexistent-dir/x/h.db", "health", NULL);
	tu_assert_run(&r, 1);
	ck_assert_msg(strncmp(r.out, "unhealthy: DAL_E", 16) == 0, "unexpected: %s", r.out);
	ck_assert_int_eq(count_lines(r.out), 1);
	tu_run_free(&r);
	run_dal(&r, "-u", "sqlite:////nonexistent-dir/x/h.db", "health", "--json", NULL);
	tu_assert_run(&r, 1);
	assert_health_json(r.out, "unhealthy");
	tu_run_free(&r);
	free(url);
}
END_TEST

START_TEST(test_cli_health_servers)
{
	static const char *const vars[] = { "DAL_TEST_MYSQL_URL", "DAL_TEST_PGSQL_URL" };
	static const char *const backends[] = { "healthy: mysql ", "healthy: postgresql " };

	for (size_t i = 0; i < 2; i++) {
		const char *url = getenv(vars[i]);
		char pass[128];
		struct tu_run r;

		if (!url || !*url) {
			ck_assert_msg(getenv("CI") == NULL, "%s not set", vars[i]);
			fprintf(stderr, "test_cli: %s not set; health check skipped\n", vars[i]);
			continue;
		}
		tu_url_password(url, pass, sizeof pass);
		run_dal(&r, "-u", url, "health", NULL);
		tu_assert_run(&r, 0);
		ck_assert_msg(strncmp(r.out, backends[i], strlen(backends[i])) == 0,
		              "unexpected: %s", r.out);
		tu_assert_has(r.out, " at 127.0.0.1:");
		tu_assert_has(r.out, " ms, pool 1/");
		tu_assert_has(r.out, " used, tls: ");
		ck_assert_int_eq(count_lines(r.out), 1);
		ck_assert_msg(!pass[0] || (!tu_contains(r.out, pass) && !tu_contains(r.err, pass)),
		              "password printed:\n%s%s", r.out, r.err);
		tu_run_free(&r);

		/* The same settings through DB_URL, in JSON. */
		setenv("DB_URL", url, 1);
		run_dal(&r, "health", "--json", "--timeout", "4", NULL);
		unsetenv("DB_URL");
		tu_assert_run(&r, 0);
		assert_health_json(r.out, "healthy");
		tu_assert_has(r.out, "\"timeout_s\":4,");
		ck_assert_msg(!pass[0] || (!tu_contains(r.out, pass) && !tu_contains(r.err, pass)),
		              "password printed:\n%s%s", r.out, r.err);
		tu_run_free(&r);
	}
}
END_TEST

/*
 * TLS on the test servers (scripts/test-servers.sh, DAL_TEST_TLS_DIR):
 * ping and health say how the connection is encrypted, or "none"; config
 * shows the TLS options as they resolve, older names included.
 */
START_TEST(test_cli_tls_shown)
{
	static const char *const vars[] = { "DAL_TEST_MYSQL_URL", "DAL_TEST_PGSQL_URL" };
	static const char *const older[] = { "ssl_mode=verify_identity&ssl_ca",
		                             "sslmode=verify-full&sslrootcert" };
	static const char *const backend[] = { "mysql", "postgresql" };
	const char *dir = getenv("DAL_TEST_TLS_DIR");

	if (!dir || !*dir) {
		ck_assert_msg(getenv("CI") == NULL, "DAL_TEST_TLS_DIR not set");
		fprintf(stderr, "test_cli: DAL_TEST_TLS_DIR not set; TLS output not checked\n");
		return;
	}
	for (size_t i = 0; i < 2; i++) {
		const char *url = getenv(vars[i]);
		char *u, key[64];
		const char *line;
		struct tu_run r;

		if (!url || !*url) {
			ck_assert_msg(getenv("CI") == NULL, "%s not set", vars[i]);
			continue;
		}
		/* Verified: the protocol and the cipher. */
		ck_assert(asprintf(&u, "%s?max_retries=0&tls_mode=verify-full&tls_ca=%s/ca.pem",
		                   url, dir) > 0);
		run_dal(&r, "-u", u, "ping", "config", NULL);
		tu_assert_run(&r, 0);
		tu_assert_has(r.out, " ms, tls: TLSv1.");
		snprintf(key, sizeof key, "%s.tls_mode", backend[i]);
		ck_assert_ptr_nonnull(line = config_line(r.out, key));
		tu_assert_has(line, " verify-full ");
		tu_assert_has(line, " url");
		tu_run_free(&r);
		run_dal(&r, "-u", u, "health", NULL);
		tu_assert_run(&r, 0);
		tu_assert_has(r.out, ", tls: TLSv1.");
		tu_run_free(&r);
		run_dal(&r, "-u", u, "health", "--json", NULL);
		tu_assert_run(&r, 0);
		assert_health_json(r.out, "healthy");
		tu_assert_has(r.out, "\"encrypted\":true,\"tls\":\"TLSv1.");
		tu_run_free(&r);
		free(u);

		/* Not encrypted: "none", and false in JSON. */
		ck_assert(asprintf(&u, "%s?max_retries=0&tls_mode=disable", url) > 0);
		run_dal(&r, "-u", u, "ping", NULL);
		tu_assert_run(&r, 0);
		tu_assert_has(r.out, " ms, tls: none\n");
		tu_run_free(&r);
		run_dal(&r, "-u", u, "health", "--json", NULL);
		tu_assert_run(&r, 0);
		tu_assert_has(r.out, "\"encrypted\":false,\"tls\":null,");
		tu_run_free(&r);
		free(u);

		/* The default, and the older names as they resolve. */
		run_dal(&r, "-u", url, "config", NULL);
		tu_assert_run(&r, 0);
		ck_assert_ptr_nonnull(line = config_line(r.out, key));
		tu_assert_has(line, " prefer ");
		tu_assert_has(line, " default");
		tu_run_free(&r);
		ck_assert(asprintf(&u, "%s?%s=%s/ca.pem", url, older[i], dir) > 0);
		run_dal(&r, "-u", u, "config", "ping", NULL);
		tu_assert_run(&r, 0);
		ck_assert_ptr_nonnull(line = config_line(r.out, key));
		tu_assert_has(line, " verify-full ");
		tu_assert_has(line, "url, as ");
		snprintf(key, sizeof key, "%s.tls_ca", backend[i]);
		ck_assert_ptr_nonnull(line = config_line(r.out, key));
		tu_assert_has(line, "/ca.pem ");
		tu_assert_has(r.out, " ms, tls: TLSv1.");
		tu_run_free(&r);
		free(u);
	}
}
END_TEST

/* A port nothing listens on: refused at once, and not retried although
 * every layer asks for retries. */
START_TEST(test_cli_health_refused_is_not_retried)
{
	static const char *const urls[] = {
		"mysql://app:HealthPw77@127.0.0.1:1/db?max_retries=5&retry_delay=2",
		"postgresql://app:HealthPw77@127.0.0.1:1/db?max_retries=5&retry_delay=2",
	};
	char *ini = write_ini("max_retries = 5\nretry_delay = 2\n");

	setenv("DB_MAX_RETRIES", "5", 1);
	setenv("DB_RETRY_DELAY", "2", 1);
	for (size_t i = 0; i < 2; i++) {
		struct tu_run r;
		double t0 = now_s(), took;

		run_dal(&r, "-c", ini, "-u", urls[i], "health", "--timeout", "3", NULL);
		took = now_s() - t0;
		if (plugin_missing(&r, urls[i])) {
			tu_run_free(&r);
			continue;
		}
		tu_assert_run(&r, 1);
		ck_assert_msg(strncmp(r.out, "unhealthy: DAL_ECONNECT: ", 25) == 0, "unexpected: %s",
		              r.out);
		ck_assert_int_eq(count_lines(r.out), 1);
		tu_assert_has(r.out, "127.0.0.1");
		/* No retry: none logged, none counted, and quick. */
		tu_assert_lacks(r.err, "attempt");
		tu_assert_lacks(r.out, "attempts");
		ck_assert_msg(took < 3 + 2, "took %.1f s", took);
		tu_assert_lacks(r.out, "HealthPw77");
		tu_assert_lacks(r.err, "HealthPw77");
		tu_run_free(&r);

		run_dal(&r, "-u", urls[i], "health", "--json", NULL);
		tu_assert_run(&r, 1);
		assert_health_json(r.out, "unhealthy");
		tu_assert_has(r.out, "\"code\":\"DAL_ECONNECT\"");
		tu_assert_has(r.out, "\"target\":\"127.0.0.1:1\"");
		tu_assert_lacks(r.out, "HealthPw77");
		tu_assert_lacks(r.err, "HealthPw77");
		tu_run_free(&r);

		/* -q: the exit status alone. */
		run_dal(&r, "-q", "-u", urls[i], "health", NULL);
		tu_assert_run(&r, 1);
		ck_assert_str_eq(r.out, "");
		ck_assert_str_eq(r.err, "");
		tu_run_free(&r);
	}
	free(ini);
}
END_TEST

/* A server that accepts the TCP connection (the kernel does, into the
 * backlog) and never says a word: only the time limit ends the check. */
START_TEST(test_cli_health_silent_server_times_out)
{
	static const char *const schemes[] = { "mysql", "postgresql" };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);

	for (size_t i = 0; i < 2; i++) {
		static const char *const limits[] = { "1", "2" };

		for (size_t k = 0; k < 2; k++) {
			char *url;
			struct tu_run r;
			double t0, took, limit = atof(limits[k]);

			ck_assert(asprintf(&url, "%s://app:SilentPw55@127.0.0.1:%u/db?"
			                   "connect_timeout=60&max_retries=3", schemes[i],
			                   (unsigned)ntohs(sa.sin_port)) > 0);
			t0 = now_s();
			run_dal(&r, "-u", url, "health", "--timeout", limits[k],
			        k ? "--json" : NULL, NULL);
			took = now_s() - t0;
			if (plugin_missing(&r, schemes[i])) {
				tu_run_free(&r);
				free(url);
				break;
			}
			tu_assert_run(&r, 1);
			/* The limit, not connect_timeout = 60 s, ended it; the margin
			 * is for starting dal on a loaded machine (4.4 s was seen for
			 * a 2 s limit under distcheck). */
			ck_assert_msg(took < limit + 10, "%s --timeout %s took %.1f s", schemes[i],
			              limits[k], took);
			if (k == 0) {
				ck_assert_msg(strncmp(r.out, "unhealthy: DAL_E", 16) == 0,
				              "unexpected: %s", r.out);
				ck_assert_int_eq(count_lines(r.out), 1);
			} else {
				assert_health_json(r.out, "unhealthy");
			}
			tu_assert_lacks(r.out, "SilentPw55");
			tu_assert_lacks(r.err, "SilentPw55");
			tu_run_free(&r);
			free(url);
		}
	}
	close(fd);
}
END_TEST

START_TEST(test_cli_health_usage)
{
	char *url = db_url("t.db");
	struct tu_run r;

	run_dal(&r, "-u", url, "health", "ping", NULL);
	tu_assert_run(&r, 2);
	ck_assert_str_eq(r.err, "dal: health: health must be the only command (it opens the "
	                        "repository with its own time limit); try 'dal health --help'\n");
	ck_assert_str_eq(r.out, "");
	tu_run_free(&r);

	run_dal(&r, "-u", url, "exec", "CREATE TABLE t(x)", "health", NULL);
	tu_assert_run(&r, 2);
	tu_run_free(&r);

	run_dal(&r, "-u", url, "health", "--timeout", "0", NULL);
	tu_assert_run(&r, 2);
	ck_assert_str_eq(r.err, "dal: health: --timeout '0' is not a whole number of seconds "
	                        "from 1 to 3600; try 'dal health --help'\n");
	tu_run_free(&r);

	run_dal(&r, "-u", url, "health", "--timeout", "1.5", NULL);
	tu_assert_run(&r, 2);
	tu_run_free(&r);

	run_dal(&r, "-u", url, "health", "--timeout", NULL);
	tu_assert_run(&r, 2);
	ck_assert_str_eq(r.err, "dal: health: option '--timeout' needs an argument (SECONDS); "
	                        "try 'dal health --help'\n");
	tu_run_free(&r);

	run_dal(&r, "-u", url, "health", "--csv", NULL);
	tu_assert_run(&r, 2);
	ck_assert_str_eq(r.err, "dal: health: unknown option '--csv'; try 'dal health --help'\n");
	tu_run_free(&r);
	free(url);
}
END_TEST

/* The chain runs on one connection: what exec does to the session, query
 * sees (a temporary table exists in its own session only). */
START_TEST(test_cli_chain_shares_one_session)
{
	char *url = db_url("t.db");
	struct tu_run r;

	run_dal(&r, "-u", url, "exec", "CREATE TEMP TABLE tmp_x(x)", "exec",
	        "INSERT INTO tmp_x VALUES (42)", "query", "--csv", "SELECT x FROM tmp_x", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "0 row(s) affected\n1 row(s) affected\nx\r\n42\r\n");
	tu_run_free(&r);
	free(url);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Bad input                                                                 */
/* ------------------------------------------------------------------------ */

START_TEST(test_cli_usage_errors)
{
	char *url = db_url("t.db");
	char *db;
	struct tu_run r;

	run_dal(&r, "frobnicate", NULL);
	tu_assert_run(&r, 2);
	ck_assert_str_eq(r.err, "dal: unknown command 'frobnicate'; try 'dal --help'\n");
	ck_assert_str_eq(r.out, "");
	tu_run_free(&r);

	run_dal(&r, "-x", "ping", NULL);
	tu_assert_run(&r, 2);
	ck_assert_str_eq(r.err, "dal: unknown option '-x'; try 'dal --help'\n");
	tu_run_free(&r);

	run_dal(&r, "--colour", "ping", NULL);
	tu_assert_run(&r, 2);
	ck_assert_str_eq(r.err, "dal: unknown option '--colour'; try 'dal --help'\n");
	tu_run_free(&r);

	run_dal(&r, "-r", "main", "-u", url, "ping", NULL);
	tu_assert_run(&r, 2);
	ck_assert_str_eq(r.err, "dal: -r and -u cannot be used together (-r names a "
	                        "configured repository, -u gives a URL for the default "
	                        "one); try 'dal --help'\n");
	tu_run_free(&r);

	run_dal(&r, "-c", NULL);
	tu_assert_run(&r, 2);
	ck_assert_str_eq(r.err, "dal: option '-c' needs an argument (FILE); try 'dal "
	                        "--help'\n");
	tu_run_free(&r);

	run_dal(&r, "-u", url, NULL);
	tu_assert_run(&r, 2);
	ck_assert_str_eq(r.err, "dal: no command given; try 'dal --help'\n");
	tu_run_free(&r);

	run_dal(&r, "-u", url, "query", NULL);
	tu_assert_run(&r, 2);
	ck_assert_str_eq(r.err, "dal: query: missing SQL argument; try 'dal query "
	                        "--help'\n");
	tu_run_free(&r);

	run_dal(&r, "-u", url, "exec", "", NULL);
	tu_assert_run(&r, 2);
	ck_assert_str_eq(r.err, "dal: exec: the SQL argument is empty; try 'dal exec "
	                        "--help'\n");
	tu_run_free(&r);

	run_dal(&r, "-u", url, "query", "--xml", "SELECT 1", NULL);
	tu_assert_run(&r, 2);
	ck_assert_str_eq(r.err, "dal: query: unknown option '--xml'; try 'dal query "
	                        "--help'\n");
	tu_run_free(&r);

	run_dal(&r, "-u", url, "ping", "-q", NULL);
	tu_assert_run(&r, 2);
	ck_assert_str_eq(r.err, "dal: option '-q' must come before the first command; "
	                        "try 'dal --help'\n");
	tu_run_free(&r);

	/* The whole line is checked before anything runs. */
	run_dal(&r, "-u", url, "exec", "CREATE TABLE t(x)", "bogus", NULL);
	tu_assert_run(&r, 2);
	ck_assert_str_eq(r.err, "dal: unknown command 'bogus'; try 'dal --help'\n");
	ck_assert_str_eq(r.out, "");
	ck_assert(asprintf(&db, "%s/t.db", tmpdir) > 0);
	ck_assert_int_ne(access(db, F_OK), 0);
	free(db);
	tu_run_free(&r);
	free(url);
}
END_TEST

START_TEST(test_cli_help_and_version)
{
	static const char *cmds[] = { "exec", "query", "ping", "stats", "plugins",
	                              "config", "health", NULL };
	struct tu_run r;

	run_dal(&r, "--help", NULL);
	tu_assert_run(&r, 0);
	ck_assert(strncmp(r.out, "Usage: dal ", 11) == 0);
	for (const char **c = cmds; *c; c++)
		tu_assert_has(r.out, *c);
	tu_run_free(&r);

	for (const char **c = cmds; *c; c++) {
		char *want;

		run_dal(&r, *c, "--help", NULL);
		tu_assert_run(&r, 0);
		ck_assert(asprintf(&want, "Usage: dal %s", *c) > 0);
		ck_assert(strncmp(r.out, want, strlen(want)) == 0);
		ck_assert_str_eq(r.err, "");
		free(want);
		tu_run_free(&r);
	}

	run_dal(&r, "--version", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "dal 0.1.0 (libdal 0.1.0)\n");
	tu_run_free(&r);
}
END_TEST

START_TEST(test_cli_sql_error_one_line)
{
	char *url = db_url("t.db");
	struct tu_run r;

	run_dal(&r, "-u", url, "query", "SELEC 1", NULL);
	tu_assert_run(&r, 1);
	ck_assert(strncmp(r.err, "dal: query: DAL_ESYNTAX: ", 25) == 0);
	tu_assert_has(r.err, "SELEC");
	ck_assert_int_eq(count_lines(r.err), 1);
	ck_assert_str_eq(r.out, "");
	tu_run_free(&r);

	/* The chain stops at the first failure. */
	run_dal(&r, "-u", url, "exec", "CREATE TABLE t(x UNIQUE)", "exec",
	        "INSERT INTO t VALUES (1), (1)", "exec", "CREATE TABLE never(y)", NULL);
	tu_assert_run(&r, 1);
	ck_assert_str_eq(r.out, "0 row(s) affected\n");
	ck_assert(strncmp(r.err, "dal: exec: DAL_ECONSTRAINT: ", 28) == 0);
	ck_assert_int_eq(count_lines(r.err), 1);
	tu_run_free(&r);
	run_dal(&r, "-u", url, "query", "--csv",
	        "SELECT name FROM sqlite_master WHERE name = 'never'", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "name\r\n");
	tu_run_free(&r);
	free(url);
}
END_TEST

START_TEST(test_cli_missing_config_file)
{
	struct tu_run r;
	char *path;

	ck_assert(asprintf(&path, "%s/absent/dal.ini", tmpdir) > 0);
	run_dal(&r, "-c", path, "ping", NULL);
	tu_assert_run(&r, 1);
	ck_assert(strncmp(r.err, "dal: ping: DAL_ECONFIG: ", 24) == 0);
	tu_assert_has(r.err, path);
	ck_assert_int_eq(count_lines(r.err), 1);
	tu_run_free(&r);

	setenv("DAL_CONFIG", path, 1);
	run_dal(&r, "config", NULL);
	tu_assert_run(&r, 1);
	ck_assert(strncmp(r.err, "dal: config: DAL_ECONFIG: ", 26) == 0);
	tu_assert_has(r.err, path);
	tu_run_free(&r);
	free(path);
}
END_TEST

START_TEST(test_cli_unknown_repository)
{
	char *ini = write_ini("");
	struct tu_run r;

	run_dal(&r, "-c", ini, "-r", "nosuch", "ping", NULL);
	tu_assert_run(&r, 1);
	ck_assert(strncmp(r.err, "dal: ping: DAL_ECONFIG: ", 24) == 0);
	tu_assert_has(r.err, "nosuch");
	ck_assert_int_eq(count_lines(r.err), 1);
	tu_run_free(&r);

	run_dal(&r, "-c", ini, "-r", "nosuch", "config", NULL);
	tu_assert_run(&r, 1);
	ck_assert(strncmp(r.err, "dal: config: DAL_ECONFIG: ", 26) == 0);
	tu_assert_has(r.err, "nosuch");
	tu_run_free(&r);
	free(ini);
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *t = tcase_create("cli");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_cli_url_round_trip_table);
	tcase_add_test(t, test_cli_config_file_round_trip);
	tcase_add_test(t, test_cli_query_table_escapes_and_streams);
	tcase_add_test(t, test_cli_query_csv);
	tcase_add_test(t, test_cli_query_csv_escapes_controls_on_a_terminal);
	tcase_add_test(t, test_cli_query_json);
	tcase_add_test(t, test_cli_ping);
	tcase_add_test(t, test_cli_stats_after_round_trip);
	tcase_add_test(t, test_cli_stats_telemetry_off);
	tcase_add_test(t, test_cli_stats_prometheus_passes_promtool);
	tcase_add_test(t, test_cli_server_backends_round_trip);
	tcase_add_test(t, test_cli_tls_shown);
	tcase_add_test(t, test_cli_config_sources_and_masking);
	tcase_add_test(t, test_cli_config_url_password_redacted);
	tcase_add_test(t, test_cli_plugins_lists_sqlite);
	tcase_add_test(t, test_cli_plugins_reports_unusable_files);
	tcase_add_test(t, test_cli_usage_errors);
	tcase_add_test(t, test_cli_help_and_version);
	tcase_add_test(t, test_cli_sql_error_one_line);
	tcase_add_test(t, test_cli_missing_config_file);
	tcase_add_test(t, test_cli_unknown_repository);
	tcase_add_test(t, test_cli_chain_shares_one_session);
	tcase_add_test(t, test_cli_health_sqlite);
	tcase_add_test(t, test_cli_health_servers);
	tcase_add_test(t, test_cli_health_refused_is_not_retried);
	tcase_add_test(t, test_cli_health_silent_server_times_out);
	tcase_add_test(t, test_cli_health_usage);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return tu_run_suite(cli_suite());
}
