/*
 * Tests of `dal shell`, run as a user runs it: the dal tool (its libtool
 * wrapper, through /bin/sh) as a separate process, fed a script on stdin
 * (SQLite, and the test servers of DAL_TEST_MYSQL_URL / DAL_TEST_PGSQL_URL),
 * or driven through a pseudo-terminal (forkpty) as a person types: prompts,
 * statements over several lines, backslash commands, line editing and
 * history recall (with libedit), the history file, and exit statuses.
 */
#define _GNU_SOURCE
#include <config.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dal/plugin.h>

#include "shell.h"
#include "testutil.h"


#define DAL_BIN TOP_BUILDDIR "/cli/dal"

static void setup(void)
{
	tu_tmpdir_setup();
	unsetenv("DAL_HISTFILE");
	unsetenv("XDG_STATE_HOME");
	/* No history of the user's, no ~/.editrc: HOME is the test's. */
	setenv("HOME", tu_tmpdir, 1);
}

/* ------------------------------------------------------------------------ */
/* Scripts on stdin                                                          */
/* ------------------------------------------------------------------------ */

/* Run `dal ARGS...` (NULL-terminated) with script as its stdin. */
static void run_script(struct tu_run *r, const char *script, ...)
{
	static const char *const head[] = { DAL_BIN, NULL };
	char *in = tu_write_file(tu_tmpdir, "in.sql", script);
	va_list ap;

	va_start(ap, script);
	tu_run_va(r, in, head, ap);
	va_end(ap);
	free(in);
}

static char *sqlite_url(void)
{
	char *url;

	ck_assert(asprintf(&url, "sqlite:///%s/t.db", tu_tmpdir) > 0);
	return url;
}

START_TEST(test_shell_script_statements_split_at_semicolons)
{
	char *url = sqlite_url();
	struct tu_run r;

	run_script(&r,
	           "-- a comment; not a statement\n"
	           "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT NOT NULL);\n"
	           "INSERT INTO t (s) VALUES ('a;b'), -- c; d\n"
	           "  ('x' || ';'), /* e; f */ ('it''s;');\n"
	           "SELECT id, s AS \"s;\" FROM t\n"
	           "  ORDER BY id; SELECT count(*) AS n FROM t;\n"
	           "\n"
	           "SELECT 'last, without a semicolon' AS l\n",
	           "-u", url, "shell", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.err, "");
	ck_assert_str_eq(r.out, "0 row(s) affected\n"
	                        "3 row(s) affected\n"
	                        "id | s;\n"
	                        "---+------\n"
	                        " 1 | a;b\n"
	                        " 2 | x;\n"
	                        " 3 | it's;\n"
	                        "(3 rows)\n"
	                        "n\n"
	                        "-\n"
	                        "3\n"
	                        "(1 row)\n"
	                        "l\n"
	                        "-------------------------\n"
	                        "last, without a semicolon\n"
	                        "(1 row)\n");
	tu_run_free(&r);
	free(url);
}
END_TEST

START_TEST(test_shell_script_stops_at_first_error_with_its_line)
{
	char *url = sqlite_url();
	struct tu_run r;

	run_script(&r,
	           "CREATE TABLE t (x INTEGER);\n"
	           "INSERT INTO t VALUES (1);\n"
	           "\n"
	           "SELECT\n"
	           "  nope FROM t;\n"
	           "INSERT INTO t VALUES (2);\n",
	           "-u", url, "shell", NULL);
	tu_assert_run(&r, 1);
	/* The line where the failing statement starts. */
	ck_assert_msg(strncmp(r.err, "dal: shell: stdin:4: DAL_ENOTFOUND: ", 36) == 0,
	              "stderr: %s", r.err);
	ck_assert_str_eq(r.out, "0 row(s) affected\n1 row(s) affected\n");
	tu_run_free(&r);

	/* Nothing after the error ran: still one row. */
	run_script(&r, "SELECT count(*) AS n FROM t;", "-u", url, "shell", "--csv", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "n\r\n1\r\n");
	tu_run_free(&r);

	/* --continue runs the rest and still exits 1; each error has its line. */
	run_script(&r,
	           "SELECT nope FROM t;\n"
	           "\\describe missing_table\n"
	           "\\bogus\n"
	           "INSERT INTO t VALUES (3);\n"
	           "SELECT count(*) AS n FROM t;\n",
	           "-u", url, "shell", "--continue", "--csv", NULL);
	tu_assert_run(&r, 1);
	ck_assert_str_eq(r.out, "n\r\n2\r\n");
	tu_assert_has(r.err, "dal: shell: stdin:1: DAL_ENOTFOUND: ");
	tu_assert_has(r.err, "dal: shell: stdin:2: \\describe: no table or view 'missing_table'\n");
	tu_assert_has(r.err, "dal: shell: stdin:3: unknown command '\\bogus'; \\help lists the "
	                     "commands\n");
	tu_run_free(&r);
	free(url);
}
END_TEST

START_TEST(test_shell_script_unterminated_literal_is_an_error)
{
	char *url = sqlite_url();
	struct tu_run r;

	run_script(&r, "SELECT 1 AS a;\nSELECT 'open;\nstring;\n", "-u", url, "shell", NULL);
	tu_assert_run(&r, 1);
	ck_assert_str_eq(r.out, "a\n-\n1\n(1 row)\n");
	ck_assert_str_eq(r.err, "dal: shell: stdin:2: end of input inside a string literal "
	                        "that starts here; nothing of it was run\n");
	tu_run_free(&r);

	run_script(&r, "SELECT 1 AS a; /* open\n", "-u", url, "shell", NULL);
	tu_assert_run(&r, 1);
	tu_assert_has(r.err, "stdin:1: end of input inside a comment");
	tu_run_free(&r);

	/* A trailing line comment is no statement. */
	run_script(&r, "SELECT 1 AS a; -- done\n", "-u", url, "shell", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.err, "");
	tu_run_free(&r);
	free(url);
}
END_TEST

START_TEST(test_shell_script_meta_commands_sqlite)
{
	char *url = sqlite_url();
	struct tu_run r;

	run_script(&r,
	           "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	           "price REAL);\n"
	           "CREATE TABLE pairs (a INTEGER, b TEXT, c BLOB, PRIMARY KEY (b, a));\n"
	           "CREATE VIEW cheap AS SELECT * FROM items;\n"
	           "\\tables\n"
	           "\\describe items\n"
	           "\\d pairs;\n"
	           "\\describe main.pairs\n"
	           "\\format csv\n"
	           "SELECT 1 AS one;\n"
	           "\\format json\n"
	           "SELECT 1 AS one;\n"
	           "\\format table\n"
	           "\\timing\n"
	           "SELECT 1 AS one;\n"
	           "\\timing off\n"
	           "\\help\n"
	           "\\quit\n"
	           "SELECT 'not run' AS x;\n",
	           "-u", url, "shell", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.err, "");
	tu_assert_has(r.out, "name  | type\n"
	                     "------+------\n"
	                     "cheap | view\n"
	                     "items | table\n"
	                     "pairs | table\n"
	                     "(3 rows)\n");
	tu_assert_has(r.out, "name  | type    | nullable | primary_key\n"
	                     "------+---------+----------+------------\n"
	                     "id    | INTEGER | YES      |           1\n"
	                     "name  | TEXT    | NO       |        NULL\n"
	                     "price | REAL    | YES      |        NULL\n"
	                     "(3 rows)\n");
	/* Twice: \d and \describe main.pairs; key positions as declared. */
	{
		static const char pairs[] = "name | type    | nullable | primary_key\n"
		                            "-----+---------+----------+------------\n"
		                            "a    | INTEGER | YES      |           2\n"
		                            "b    | TEXT    | YES      |           1\n"
		                            "c    | BLOB    | YES      |        NULL\n"
		                            "(3 rows)\n";
		const char *first = strstr(r.out, pairs);

		ck_assert_msg(first && strstr(first + 1, pairs), "pairs twice in:\n%s", r.out);
	}
	tu_assert_has(r.out, "(3 rows)\none\r\n1\r\n[\n{\"one\":1}\n]\n");
	tu_assert_has(r.out, "Timing is on.\none\n---\n  1\n(1 row)\nTime: ");
	tu_assert_has(r.out, " ms\nTiming is off.\n");
	tu_assert_has(r.out, "\\describe T, \\d T");
	tu_assert_lacks(r.out, "not run");
	tu_run_free(&r);

	/* Usage errors of the commands. */
	run_script(&r, "\\describe\n\\format xml\n\\timing maybe\n\\tables x\n", "-u", url,
	           "shell", "--continue", NULL);
	tu_assert_run(&r, 1);
	ck_assert_str_eq(r.err,
	                 "dal: shell: stdin:1: \\describe needs a table name: \\describe TABLE\n"
	                 "dal: shell: stdin:2: \\format: 'xml' is not table, csv or json\n"
	                 "dal: shell: stdin:3: \\timing: 'maybe' is not on or off\n"
	                 "dal: shell: stdin:4: \\tables takes no argument (got 'x')\n");
	tu_run_free(&r);
	free(url);
}
END_TEST

START_TEST(test_shell_options_and_help)
{
	char *url = sqlite_url();
	struct tu_run r;

	run_script(&r, "SELECT 1 AS one;", "-u", url, "shell", "--json", NULL);
	tu_assert_run(&r, 0);
	ck_assert_str_eq(r.out, "[\n{\"one\":1}\n]\n");
	tu_run_free(&r);

	run_script(&r, "", "-u", url, "shell", "--bogus", NULL);
	tu_assert_run(&r, 2);
	tu_assert_has(r.err, "dal: shell: unknown option '--bogus'; try 'dal shell --help'");
	tu_run_free(&r);

	run_script(&r, "", "shell", "--help", NULL);
	tu_assert_run(&r, 0);
	tu_assert_has(r.out, "Usage: dal shell [--csv|--json] [--continue]");
#ifdef HAVE_LIBEDIT
	tu_assert_has(r.out, "This dal is built with libedit: line editing and history.\n");
#else
	tu_assert_has(r.out, "This dal is built without libedit: plain lines, no editing or "
	                     "history.\n");
#endif
	tu_run_free(&r);

	run_script(&r, "", "--help", NULL);
	tu_assert_run(&r, 0);
	tu_assert_has(r.out, "  shell [--csv|--json] [--continue]\n");
	tu_run_free(&r);

	/* No connection: exit 1 before reading anything. */
	run_script(&r, "SELECT 1;", "-u", "sqlite:////nonexistent-dir/x/y.db", "shell", NULL);
	tu_assert_run(&r, 1);
	tu_assert_has(r.err, "dal: shell: ");
	ck_assert_str_eq(r.out, "");
	tu_run_free(&r);
	free(url);
}
END_TEST

/* Each server: its dialect's literals, \tables and \describe. */
START_TEST(test_shell_script_servers)
{
	static const struct {
		const char *var;
		const char *script;
		const char *out;
	} cases[] = {
		{ "DAL_TEST_MYSQL_URL",
		  "DROP VIEW IF EXISTS dalsh_v;\n"
		  "DROP TABLE IF EXISTS dalsh_t;\n"
		  "CREATE TABLE dalsh_t (id BIGINT, k VARCHAR(10), `we;ird` INT NOT NULL,\n"
		  "  PRIMARY KEY (k, id));\n"
		  "CREATE OR REPLACE VIEW dalsh_v AS SELECT id FROM dalsh_t;\n"
		  "INSERT INTO dalsh_t VALUES (1, 'it\\'s;', 2); # a comment;\n"
		  "SELECT id, k, `we;ird` FROM dalsh_t;\n"
		  "\\describe dalsh_t\n"
		  "DROP VIEW dalsh_v;\n"
		  "DROP TABLE dalsh_t;\n",
		  "0 row(s) affected\n"
		  "0 row(s) affected\n"
		  "0 row(s) affected\n"
		  "0 row(s) affected\n"
		  "1 row(s) affected\n"
		  "id | k     | we;ird\n"
		  "---+-------+-------\n"
		  " 1 | it's; |      2\n"
		  "(1 row)\n"
		  "name   | type        | nullable | primary_key\n"
		  "-------+-------------+----------+------------\n"
		  "id     | bigint(20)  | NO       |           2\n"
		  "k      | varchar(10) | NO       |           1\n"
		  "we;ird | int(11)     | NO       |        NULL\n"
		  "(3 rows)\n"
		  "0 row(s) affected\n"
		  "0 row(s) affected\n" },
		{ "DAL_TEST_PGSQL_URL",
		  "DROP VIEW IF EXISTS dalsh_v;\n"
		  "DROP TABLE IF EXISTS dalsh_t;\n"
		  "CREATE TABLE dalsh_t (id BIGINT, k VARCHAR(10), \"We;ird\" INT NOT NULL,\n"
		  "  PRIMARY KEY (k, id));\n"
		  "CREATE OR REPLACE VIEW dalsh_v AS SELECT id FROM dalsh_t;\n"
		  "INSERT INTO dalsh_t VALUES (1, $$it's;$$, 2), (2, E'\\';', 3),\n"
		  "  (3, $q$a;$$b$q$, 4);\n"
		  "SELECT id, k, \"We;ird\" FROM dalsh_t ORDER BY id;\n"
		  "\\describe dalsh_t\n"
		  "\\describe public.DALSH_T\n"
		  "DROP VIEW dalsh_v;\n"
		  "DROP TABLE dalsh_t;\n",
		  "0 row(s) affected\n"
		  "0 row(s) affected\n"
		  "0 row(s) affected\n"
		  "0 row(s) affected\n"
		  "3 row(s) affected\n"
		  "id | k     | We;ird\n"
		  "---+-------+-------\n"
		  " 1 | it's; |      2\n"
		  " 2 | ';    |      3\n"
		  " 3 | a;$$b |      4\n"
		  "(3 rows)\n"
		  "name   | type                  | nullable | primary_key\n"
		  "-------+-----------------------+----------+------------\n"
		  "id     | bigint                | NO       |           2\n"
		  "k      | character varying(10) | NO       |           1\n"
		  "We;ird | integer               | NO       |        NULL\n"
		  "(3 rows)\n"
		  "name   | type                  | nullable | primary_key\n"
		  "-------+-----------------------+----------+------------\n"
		  "id     | bigint                | NO       |           2\n"
		  "k      | character varying(10) | NO       |           1\n"
		  "We;ird | integer               | NO       |        NULL\n"
		  "(3 rows)\n"
		  "0 row(s) affected\n"
		  "0 row(s) affected\n" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *url = getenv(cases[i].var);
		char pass[128];
		struct tu_run r;

		if (!url || !*url) {
			ck_assert_msg(getenv("CI") == NULL, "%s not set", cases[i].var);
			fprintf(stderr, "test_shell: %s not set; skipped\n", cases[i].var);
			continue;
		}
		tu_url_password(url, pass, sizeof pass);
		/* -q: PostgreSQL's NOTICE for DROP ... IF EXISTS is logged. */
		run_script(&r, cases[i].script, "-q", "-u", url, "shell", NULL);
		tu_assert_run(&r, 0);
		ck_assert_str_eq(r.out, cases[i].out);
		ck_assert_str_eq(r.err, "");
		tu_run_free(&r);

		/* \tables: other suites share the server, so only the rows
		 * made here are checked (their padding depends on the others). */
		run_script(&r,
		           "DROP VIEW IF EXISTS dalsh_v2;\n"
		           "DROP TABLE IF EXISTS dalsh_t2;\n"
		           "CREATE TABLE dalsh_t2 (x INT);\n"
		           "CREATE VIEW dalsh_v2 AS SELECT x FROM dalsh_t2;\n"
		           "\\tables\n"
		           "DROP VIEW dalsh_v2;\n"
		           "DROP TABLE dalsh_t2;\n",
		           "-q", "-u", url, "shell", "--csv", NULL);
		tu_assert_run(&r, 0);
		tu_assert_has(r.out, "name,type\r\n");
		tu_assert_has(r.out, "\ndalsh_t2,table\r\n");
		tu_assert_has(r.out, "\ndalsh_v2,view\r\n");
		tu_run_free(&r);

		/* An error names its line and shows no password; \describe of a
		 * missing table is an error. */
		run_script(&r, "SELECT 1 AS a;\n\nSELECT * FROM dalsh_missing;\n",
		           "-q", "-u", url, "shell", NULL);
		tu_assert_run(&r, 1);
		tu_assert_has(r.err, "dal: shell: stdin:3: DAL_ENOTFOUND: ");
		ck_assert_msg(!pass[0] || !tu_contains(r.err, pass), "password shown: %s", r.err);
		tu_run_free(&r);
		run_script(&r, "\\describe dalsh_missing\n", "-q", "-u", url, "shell", NULL);
		tu_assert_run(&r, 1);
		ck_assert_str_eq(r.err, "dal: shell: stdin:1: \\describe: no table or view "
		                        "'dalsh_missing'\n");
		tu_run_free(&r);
	}
}
END_TEST

/* COPY TO STDOUT / FROM STDIN cannot go through statements: an error,
 * and the connection stays usable (it used to wait forever in COPY mode). */
START_TEST(test_shell_pgsql_copy_is_refused_and_connection_kept)
{
	const char *url = getenv("DAL_TEST_PGSQL_URL");
	struct tu_run r;

	if (!url || !*url) {
		ck_assert_msg(getenv("CI") == NULL, "DAL_TEST_PGSQL_URL not set");
		fprintf(stderr, "test_shell: DAL_TEST_PGSQL_URL not set; skipped\n");
		return;
	}
	run_script(&r,
	           "CREATE TEMPORARY TABLE dalsh_copy (x INT);\n"
	           "COPY (SELECT 1) TO STDOUT;\n"
	           "SELECT 2 AS b;\n"
	           "COPY dalsh_copy FROM STDIN;\n"
	           "SELECT count(*) AS n FROM dalsh_copy;\n",
	           "-q", "-u", url, "shell", "--continue", "--csv", NULL);
	tu_assert_run(&r, 1);
	ck_assert_str_eq(r.out, "b\r\n2\r\nn\r\n0\r\n");
	ck_assert_str_eq(r.err,
	                 "dal: shell: stdin:2: DAL_EUNSUPPORTED: step: COPY TO STDOUT is not "
	                 "supported through libdal statements (it needs the COPY protocol); "
	                 "nothing was copied [0A000]\n"
	                 "dal: shell: stdin:4: DAL_EUNSUPPORTED: step: COPY FROM STDIN is not "
	                 "supported through libdal statements (it needs the COPY protocol); "
	                 "nothing was copied [0A000]\n");
	tu_run_free(&r);

	/* The same through dal_conn_exec() (exec); then a chain whose shell
	 * goes on after the refusal on the same connection. */
	run_script(&r, "", "-q", "-u", url, "exec", "COPY (SELECT 1) TO STDOUT", NULL);
	tu_assert_run(&r, 1);
	tu_assert_has(r.err, "dal: exec: DAL_EUNSUPPORTED: exec: COPY TO STDOUT is not supported");
	tu_run_free(&r);
	run_script(&r, "COPY (SELECT 1) TO STDOUT;\nSELECT 3 AS c;\n", "-q", "-u", url,
	           "exec", "SELECT 1", "shell", "--continue", "--csv", NULL);
	tu_assert_run(&r, 1);
	ck_assert_str_eq(r.out, "0 row(s) affected\nc\r\n3\r\n");
	tu_run_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Through a pseudo-terminal                                                 */
/* ------------------------------------------------------------------------ */

struct pty {
	pid_t pid;
	int fd;
	char *buf;   /* everything read, carriage returns dropped */
	size_t len, cap;
	size_t mark; /* pty_expect() searches from here */
};

/* Start `dal ARGS...` (NULL-terminated) on a new pseudo-terminal. */
static void pty_start(struct pty *p, ...)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 200 };
	const char *argv[32];
	int argc = 0;
	va_list ap;

	memset(p, 0, sizeof *p);
	if (tu_is_script(DAL_BIN)) /* libtool's wrapper; a static dal is the program */
		argv[argc++] = "sh";
	argv[argc++] = DAL_BIN;
	va_start(ap, p);
	while ((argv[argc] = va_arg(ap, const char *)) != NULL)
		ck_assert_int_lt(++argc, 31);
	va_end(ap);
	setenv("TERM", "xterm", 1);
	p->pid = forkpty(&p->fd, NULL, NULL, &ws);
	ck_assert_int_ge(p->pid, 0);
	if (p->pid == 0) {
		execv(strcmp(argv[0], "sh") ? argv[0] : "/bin/sh", (char *const *)argv);
		_exit(127);
	}
}

/* Read what arrives within ms milliseconds; returns 0 at end (the child
 * closed the terminal). */
static int pty_read(struct pty *p, int ms)
{
	struct pollfd pf = { p->fd, POLLIN, 0 };
	char chunk[4096];
	ssize_t n;

	if (poll(&pf, 1, ms) <= 0)
		return 1;
	n = read(p->fd, chunk, sizeof chunk);
	if (n < 0 && errno == EINTR)
		return 1;
	if (n <= 0) /* EIO: the other side is closed */
		return 0;
	if (p->len + (size_t)n + 1 > p->cap) {
		p->cap = (p->len + (size_t)n + 1) * 2;
		p->buf = realloc(p->buf, p->cap);
		ck_assert_ptr_nonnull(p->buf);
	}
	for (ssize_t k = 0; k < n; k++)
		if (chunk[k] != '\r')
			p->buf[p->len++] = chunk[k];
	p->buf[p->len] = '\0';
	return 1;
}

/* Wait (up to 20 s) for needle to appear after the mark; move the mark past it. */
static void pty_expect_at(struct pty *p, const char *needle, int line)
{
	time_t deadline = time(NULL) + 20;
	const char *hit;

	for (;;) {
		if (p->buf && (hit = strstr(p->buf + p->mark, needle)) != NULL) {
			p->mark = (size_t)(hit - p->buf) + strlen(needle);
			return;
		}
		ck_assert_msg(time(NULL) < deadline && pty_read(p, 200),
		              "line %d: '%s' not seen; the terminal showed:\n%s", line, needle,
		              p->buf ? p->buf + p->mark : "");
	}
}
#define pty_expect(p, needle) pty_expect_at((p), (needle), __LINE__)

static void pty_send(struct pty *p, const char *s)
{
	size_t n = strlen(s);

	ck_assert_int_eq(write(p->fd, s, n), (ssize_t)n);
}

/*
 * Type ^D (end of input) at the prompt. libedit prints its prompt before it
 * puts the terminal in raw mode, and a ^D that arrives in between is taken
 * by the kernel's line discipline, still in canonical mode, and never
 * reaches the shell; so wait until raw mode surely is set, as any typist
 * does.
 */
static void pty_send_eof(struct pty *p)
{
	struct timespec ts = { 0, 300 * 1000000L };

	nanosleep(&ts, NULL);
	pty_send(p, "\x04");
}

/* Wait for the exit; returns the exit status. */
static int pty_finish(struct pty *p)
{
	time_t deadline = time(NULL) + 20;
	int st;

	while (pty_read(p, 200))
		ck_assert_msg(time(NULL) < deadline, "dal did not exit:\n%s", p->buf);
	ck_assert_int_eq(waitpid(p->pid, &st, 0), p->pid);
	close(p->fd);
	free(p->buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(test_shell_pty_prompts_statements_and_commands)
{
	char *url = sqlite_url();
	struct pty p;

	setenv("DAL_HISTFILE", "", 1);
	pty_start(&p, "-u", url, "shell", NULL);
	pty_expect(&p, "repository main (sqlite). \\help for help, \\quit to leave.\n");
	pty_expect(&p, "main=> ");
	pty_send(&p, "CREATE TABLE t (id INTEGER PRIMARY KEY,\r");
	pty_expect(&p, "main-> ");
	pty_send(&p, "  s TEXT NOT NULL);\r");
	pty_expect(&p, "0 row(s) affected\n");
	pty_expect(&p, "main=> ");
	pty_send(&p, "INSERT INTO t (s) VALUES ('one;\r");
	pty_expect(&p, "main'> ");
	pty_send(&p, "two');\r");
	pty_expect(&p, "1 row(s) affected\n");
	pty_expect(&p, "main=> ");
	pty_send(&p, "SELECT id, s FROM t; SELECT 2 AS two;\r");
	pty_expect(&p, "id | s\n---+----------\n 1 | one;\\ntwo\n(1 row)\n");
	pty_expect(&p, "two\n---\n  2\n(1 row)\n");
	pty_expect(&p, "main=> ");
	pty_send(&p, "\\tables\r");
	pty_expect(&p, "name | type\n-----+------\nt    | table\n(1 row)\n");
	pty_send(&p, "\\describe t\r");
	pty_expect(&p, "name | type    | nullable | primary_key\n"
	               "-----+---------+----------+------------\n"
	               "id   | INTEGER | YES      |           1\n"
	               "s    | TEXT    | NO       |        NULL\n"
	               "(2 rows)\n");
	pty_send(&p, "\\timing\r");
	pty_expect(&p, "Timing is on.\n");
	pty_send(&p, "SELECT 3 AS three;\r");
	pty_expect(&p, "(1 row)\nTime: ");
	pty_expect(&p, " ms\n");
	/* An error leaves the shell running. */
	pty_send(&p, "SELECT nope;\r");
	pty_expect(&p, "dal: shell: DAL_ENOTFOUND: ");
	pty_expect(&p, "main=> ");
	pty_send(&p, "\\format csv\r");
	pty_expect(&p, "main=> ");
	pty_send(&p, "SELECT 4 AS four;\r");
	pty_expect(&p, "four\n4\n");
	pty_expect(&p, "main=> ");
	/* ^C at the prompt drops the statement being typed. */
	pty_send(&p, "SELECT 'dropped' AS x\r");
	pty_expect(&p, "main-> ");
	/* libedit prints its prompt a moment before it puts the terminal in
	 * raw mode: a ^C in that gap is a signal, not a key (an ASan build
	 * lost it in CI). The ^D below waits the same way. */
	{
		struct timespec ts = { 0, 300 * 1000000L };

		nanosleep(&ts, NULL);
	}
	pty_send(&p, "\x03");
	pty_expect(&p, "^C\nmain=> ");
	pty_send(&p, "SELECT 5 AS five;\r");
	pty_expect(&p, "five\n5\n");
	pty_expect(&p, "main=> ");
	/* ^C while a statement runs cancels it, and the shell goes on. The
	 * statement never ends by itself; the ^C is sent once it surely runs. */
	pty_send(&p, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
	             "SELECT count(*) FROM c;\r");
	{
		struct timespec ts = { 0, 500 * 1000000L };

		nanosleep(&ts, NULL);
	}
	pty_send(&p, "\x03");
	pty_expect(&p, "dal: shell: DAL_ECANCELED: ");
	pty_expect(&p, "main=> ");
	pty_send(&p, "SELECT 6 AS six;\r");
	pty_expect(&p, "six\n6\n");
	pty_expect(&p, "main=> ");
	ck_assert_msg(!tu_contains(p.buf, "\ndropped\n"), "dropped statement ran:\n%s", p.buf);
	pty_send(&p, "\\quit\r");
	ck_assert_int_eq(pty_finish(&p), 0);

	/* End of input (^D) at the prompt leaves with status 0 as well. */
	pty_start(&p, "-u", url, "shell", NULL);
	pty_expect(&p, "main=> ");
	pty_send_eof(&p);
	ck_assert_int_eq(pty_finish(&p), 0);
	free(url);
}
END_TEST

#ifdef HAVE_LIBEDIT
START_TEST(test_shell_pty_line_editing_and_history)
{
	char *url = sqlite_url(), *hist, *text;
	struct stat sb;
	struct pty p;

	ck_assert(asprintf(&hist, "%s/hist", tu_tmpdir) > 0);
	setenv("DAL_HISTFILE", hist, 1);
	pty_start(&p, "-u", url, "shell", NULL);
	pty_expect(&p, "main=> ");
	/* Backspace erases: the statement run is SELECT 7. */
	pty_send(&p, "SELECT 9\x7f" "7 AS w;\r");
	pty_expect(&p, "w\n-\n7\n(1 row)\n");
	pty_expect(&p, "main=> ");
	/* ^A goes to the start of the line, where S is inserted. */
	pty_send(&p, "ELECT 40+2 AS v;\x01S\r");
	pty_expect(&p, "v\n--\n42\n(1 row)\n");
	pty_expect(&p, "main=> ");
	pty_send(&p, "SELECT 'mysql://u:sekrit99@db/x' AS url;\r");
	pty_expect(&p, "(1 row)\n");
	pty_expect(&p, "main=> ");
	pty_send(&p, "SELECT 'ALTER USER a PASSWORD ''b''' AS q;\r");
	pty_expect(&p, "(1 row)\n");
	pty_expect(&p, "main=> ");
	/* Up arrow: the two statements with secrets were not recorded, so
	 * the previous entry is SELECT 40+2 (history recall). */
	pty_send(&p, "\x1b[A");
	pty_send(&p, "\r");
	pty_expect(&p, "v\n--\n42\n(1 row)\n");
	pty_expect(&p, "main=> ");
	pty_send(&p, "\\quit\r");
	ck_assert_int_eq(pty_finish(&p), 0);

	ck_assert_int_eq(stat(hist, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	text = tu_read_file(hist);
	tu_assert_has(text, "40+2");
	tu_assert_has(text, "quit"); /* \quit, the backslash encoded */
	tu_assert_lacks(text, "sekrit99");
	tu_assert_lacks(text, "PASSWORD");
	free(text);

	/* A new session recalls the last session's entries from the file. */
	pty_start(&p, "-u", url, "shell", NULL);
	pty_expect(&p, "main=> ");
	pty_send(&p, "\x1b[A\x1b[A\r"); /* past \quit to SELECT 40+2 */
	pty_expect(&p, "v\n--\n42\n(1 row)\n");
	pty_expect(&p, "main=> ");
	pty_send_eof(&p);
	ck_assert_int_eq(pty_finish(&p), 0);
	free(hist);
	free(url);
}
END_TEST

START_TEST(test_shell_pty_history_file_location)
{
	char *url = sqlite_url(), *path;
	struct stat sb;
	struct pty p;

	/* $XDG_STATE_HOME/dal/history, directories made private. */
	ck_assert(asprintf(&path, "%s/state", tu_tmpdir) > 0);
	setenv("XDG_STATE_HOME", path, 1);
	pty_start(&p, "-u", url, "shell", NULL);
	pty_expect(&p, "main=> ");
	pty_send(&p, "SELECT 5 AS five;\r");
	pty_expect(&p, "(1 row)\n");
	pty_expect(&p, "main=> ");
	pty_send_eof(&p);
	ck_assert_int_eq(pty_finish(&p), 0);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0700);
	free(path);
	ck_assert(asprintf(&path, "%s/state/dal/history", tu_tmpdir) > 0);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	free(path);

	/* A history file that cannot be written: one warning, and the shell
	 * works on. */
	ck_assert(asprintf(&path, "%s/no-such-dir/history", tu_tmpdir) > 0);
	setenv("DAL_HISTFILE", path, 1);
	pty_start(&p, "-u", url, "shell", NULL);
	pty_expect(&p, "main=> ");
	pty_send(&p, "SELECT 7 AS seven;\r");
	pty_expect(&p, "dal: shell: warning: cannot write the history file ");
	pty_expect(&p, "no-such-dir/history: No such file or directory\n");
	pty_expect(&p, "(1 row)\n");
	pty_expect(&p, "main=> ");
	pty_send(&p, "SELECT 8 AS eight;\r");
	pty_expect(&p, "(1 row)\n");
	pty_expect(&p, "main=> ");
	{
		const char *w = strstr(p.buf, "warning");

		ck_assert_msg(w && !strstr(w + 1, "warning"), "not warned once:\n%s", p.buf);
	}
	pty_send_eof(&p);
	ck_assert_int_eq(pty_finish(&p), 0);
	unsetenv("DAL_HISTFILE");
	free(path);

	/* Else ~/.dal_history. */
	unsetenv("XDG_STATE_HOME");
	pty_start(&p, "-u", url, "shell", NULL);
	pty_expect(&p, "main=> ");
	pty_send(&p, "SELECT 6 AS six;\r");
	pty_expect(&p, "(1 row)\n");
	pty_expect(&p, "main=> ");
	pty_send_eof(&p);
	ck_assert_int_eq(pty_finish(&p), 0);
	ck_assert(asprintf(&path, "%s/.dal_history", tu_tmpdir) > 0);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	free(path);
	free(url);
}
END_TEST
#endif

/* A script is read from stdin only when it is not a terminal: piping
 * into the shell shows no prompt. */
START_TEST(test_shell_script_has_no_prompt)
{
	char *url = sqlite_url();
	struct tu_run r;

	run_script(&r, "SELECT 1 AS a;\n", "-u", url, "shell", NULL);
	tu_assert_run(&r, 0);
	tu_assert_lacks(r.out, "=> ");
	tu_assert_lacks(r.out, "\\help");
	tu_run_free(&r);
	free(url);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The statement splitter (cli/shell_lex.c), directly                        */
/* ------------------------------------------------------------------------ */

/* Split text (whole lines) with the syntax flags; the statements found,
 * each trimmed of blanks, joined by "|"; then "+" and the state name if
 * text ends inside something, or "+" and the unfinished rest. */
static const char *split(unsigned syntax, const char *text)
{
	static char out[1024];
	struct sql_lexer lx;
	size_t len = strlen(text), start = 0;
	long end;

	out[0] = '\0';
	lex_reset(&lx, syntax);
	while ((end = lex_scan(&lx, text, len)) >= 0) {
		if (lx.content_at != (size_t)-1) {
			size_t n = (size_t)end - lx.content_at;

			while (n && (text[lx.content_at + n - 1] == ' ' ||
			             text[lx.content_at + n - 1] == '\n'))
				n--;
			snprintf(out + strlen(out), sizeof out - strlen(out), "%s%.*s",
			         out[0] ? "|" : "", (int)n, text + lx.content_at);
		}
		start = (size_t)end + 1;
		lex_reset(&lx, syntax);
		lx.pos = start;
	}
	if (lx.state != LX_NORMAL && lx.state != LX_LINE_COMMENT)
		snprintf(out + strlen(out), sizeof out - strlen(out), "+%s",
		         lex_state_name(lx.state));
	else if (lx.content_at != (size_t)-1)
		snprintf(out + strlen(out), sizeof out - strlen(out), "+rest");
	return out;
}

START_TEST(test_shell_lex_follows_the_dialect_flags)
{
	const unsigned my = DAL_SYNTAX_BACKSLASH_ESCAPE | DAL_SYNTAX_HASH_COMMENT |
	                    DAL_SYNTAX_BACKTICK;
	const unsigned pg = DAL_SYNTAX_DOLLAR_QUOTE | DAL_SYNTAX_NESTED_COMMENT;

	/* Always: '...', "...", -- and C comments, doubled quotes. */
	ck_assert_str_eq(split(0, "a';'b;\n"), "a';'b");
	ck_assert_str_eq(split(0, "a\";\"\"x\" ;c;\n"), "a\";\"\"x\"|c");
	ck_assert_str_eq(split(0, "a -- ;\nb;\n"), "a -- ;\nb");
	ck_assert_str_eq(split(0, "a /* ; */ b; c;\n"), "a /* ; */ b|c");
	ck_assert_str_eq(split(0, "'it''s;' x;\n"), "'it''s;' x");
	ck_assert_str_eq(split(0, ";;  ; -- only\n/* c */;\n"), "");
	ck_assert_str_eq(split(0, "a; b\n"), "a+rest");
	/* Backslash escapes only where declared. */
	ck_assert_str_eq(split(my, "'a\\';b';c;\n"), "'a\\';b'|c");
	ck_assert_str_eq(split(0, "'a\\';b';c;\n"), "'a\\'+string literal");
	/* # comments and backticks: MySQL only. */
	ck_assert_str_eq(split(my, "a # ;\nb;\n"), "a # ;\nb");
	ck_assert_str_eq(split(0, "a # ;\nb;\n"), "a #|b");
	ck_assert_str_eq(split(my, "`x;y` z;\n"), "`x;y` z");
	ck_assert_str_eq(split(0, "`x;y` z;\n"), "`x|y` z");
	ck_assert_str_eq(split(DAL_SYNTAX_BRACKET_IDENT, "[x;y] z;\n"), "[x;y] z");
	/* Dollar quotes: tagged, untagged, a different tag inside, not a
	 * parameter ($1) and not inside an identifier (a$b$). */
	ck_assert_str_eq(split(pg, "$$a;b$$;\n"), "$$a;b$$");
	ck_assert_str_eq(split(pg, "$f$ x; $$ ; $g$ ; $f$ y;\n"), "$f$ x; $$ ; $g$ ; $f$ y");
	ck_assert_str_eq(split(pg, "select $1; select a$b$c;\n"), "select $1|select a$b$c");
	ck_assert_str_eq(split(0, "$$a;b$$;\n"), "$$a|b$$");
	ck_assert_str_eq(split(pg, "$body$\nx;\n"), "+dollar-quoted string");
	/* E'...' takes backslash escapes on PostgreSQL; '...' does not. */
	ck_assert_str_eq(split(pg, "E'\\';' x;\n"), "E'\\';' x");
	ck_assert_str_eq(split(pg, "'\\'; x;\n"), "'\\'|x");
	/* Nested comments only where declared. */
	ck_assert_str_eq(split(pg, "/* /* */ ; */ a;\n"), "a");
	ck_assert_str_eq(split(0, "/* /* */ b; */ a;\n"), "b|*/ a");
	ck_assert_str_eq(split(0, "a /* open;\n"), "+comment");
}
END_TEST

/* dal_repo_syntax(): what each backend's plugin declares, which is what
 * the shell splits statements by. */
START_TEST(test_shell_repo_syntax_is_the_plugins)
{
	static const struct {
		const char *var; /* NULL: SQLite in memory */
		unsigned syntax;
	} cases[] = {
		{ NULL, DAL_SYNTAX_BACKTICK | DAL_SYNTAX_BRACKET_IDENT },
		{ "DAL_TEST_MYSQL_URL", DAL_SYNTAX_BACKSLASH_ESCAPE | DAL_SYNTAX_HASH_COMMENT |
		                        DAL_SYNTAX_BACKTICK },
		{ "DAL_TEST_PGSQL_URL", DAL_SYNTAX_DOLLAR_QUOTE | DAL_SYNTAX_NESTED_COMMENT },
	};

	ck_assert_uint_eq(dal_repo_syntax(NULL), 0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *url = cases[i].var ? getenv(cases[i].var) : "sqlite::memory:";
		dal_error err = { 0 };
		dal_repo *repo;

		if (!url || !*url) {
			ck_assert_msg(getenv("CI") == NULL, "%s not set", cases[i].var);
			continue;
		}
		ck_assert_msg(dal_repo_open_url(&repo, url, &err) == DAL_OK, "%s", err.message);
		ck_assert_uint_eq(dal_repo_syntax(repo), cases[i].syntax);
		dal_repo_close(repo);
	}
}
END_TEST

static Suite *shell_suite(void)
{
	Suite *s = suite_create("shell");
	TCase *t = tcase_create("shell");

	tcase_add_checked_fixture(t, setup, tu_tmpdir_teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, test_shell_script_statements_split_at_semicolons);
	tcase_add_test(t, test_shell_script_stops_at_first_error_with_its_line);
	tcase_add_test(t, test_shell_script_unterminated_literal_is_an_error);
	tcase_add_test(t, test_shell_script_meta_commands_sqlite);
	tcase_add_test(t, test_shell_options_and_help);
	tcase_add_test(t, test_shell_script_servers);
	tcase_add_test(t, test_shell_pgsql_copy_is_refused_and_connection_kept);
	tcase_add_test(t, test_shell_script_has_no_prompt);
	tcase_add_test(t, test_shell_pty_prompts_statements_and_commands);
#ifdef HAVE_LIBEDIT
	tcase_add_test(t, test_shell_pty_line_editing_and_history);
	tcase_add_test(t, test_shell_pty_history_file_location);
#endif
	suite_add_tcase(s, t);
	t = tcase_create("lexer");
	tcase_add_test(t, test_shell_lex_follows_the_dialect_flags);
	tcase_add_test(t, test_shell_repo_syntax_is_the_plugins);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return tu_run_suite(shell_suite());
}
