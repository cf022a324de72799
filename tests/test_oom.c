/*
 * Allocation failures: for N = 1, 2, 3, ... a scripted workload runs in a
 * forked child in which allocation N fails (mode "once") or allocation N and
 * every later one fail (mode "from"), until a run no longer reaches N.
 * failmalloc.c counts and fails the allocations of the whole process while
 * the workload runs, and only then. docs/testing.md, "Allocation failures",
 * has the method and the figures.
 *
 * The workload, per backend: dal_config_parse() and dal_repo_open() (plugin
 * load, URL and settings, first connection), dal_conn_acquire(), a table,
 * an INSERT prepared with `?` and `:name` parameters run three times with
 * int, text, blob and null binds, a SELECT stepped through its rows with
 * every column getter (values checked), both metrics formats and
 * dal_repo_metrics_write(), dal_repo_stats() and dal_repo_pool_stats(),
 * dal_stmt_close(), dal_conn_release(), dal_repo_close(). It stops at the
 * first error and cleans up. Runs start "cold" (nothing loaded in the test
 * process: the plugin and client library load and initialise inside the
 * run) or "warm" (the test process ran the workload once first).
 *
 * Each run must end with DAL_OK or a negative dal_code that the error
 * object repeats (DAL_ENOMEM expected; others are accepted and counted),
 * the data it read must be right, and it must not crash, abort or hang. In
 * an AddressSanitizer build each child also runs LeakSanitizer before it
 * exits; a leak whose allocating frame is in libdal (core/, plugins/) fails
 * the test, a leak made inside a client library is listed (CLIENT). A crash
 * or hang inside a client library fails the test unless it is one of
 * client_crashes[] (printed CLIENT). libdal bugs reported but not fixed yet
 * are in known_bugs[] and print KNOWN instead of failing.
 *
 * SQLite always, cold, every N. MySQL and PostgreSQL when
 * DAL_TEST_MYSQL_URL / DAL_TEST_PGSQL_URL are set, warm: every N made by
 * libdal itself, and within a time budget a share of the others (client
 * library and glibc; TLS, crypto and GSSAPI). Environment:
 *   DAL_OOM_STRIDE=k       every k-th N on every backend (1: every N)
 *   DAL_OOM_DEEP_STRIDE=k  every N but in TLS/crypto/GSSAPI: every k-th
 *   DAL_OOM_BUDGET=s       the seconds of a server sweep per mode (default 15)
 *   DAL_OOM_START=...      cold, warm or both (default: cold for SQLite, warm
 *                          for the servers)
 *   DAL_OOM_BACKENDS=...   sqlite,mysql,pgsql (default: all available)
 *   DAL_OOM_MODES=...      once,from (default both)
 *   DAL_OOM_N=n            run only N = n, printing the child's stderr
 *   DAL_OOM_JOBS=j         children at once (default 2)
 *   DAL_OOM_TIMEOUT=s      a hang (default: 10 times a run without failure,
 *                          at least 5 s)
 *   DAL_OOM_VERBOSE=1      one line per run, and every issue's first report
 *   DAL_OOM_TRACE=1        with DAL_OOM_N in mode once: the failing
 *                          allocation's stack
 *   DAL_OOM_PROFILE=1      which libraries made the allocations of each step
 *   DAL_OOM_SLOW_UNWIND=1  (ASan) full allocation stacks through client
 *                          libraries: slower, for triage
 */
#define _GNU_SOURCE
#include <check.h>
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dal/dal.h>

#include "failmalloc.h"
#include "testutil.h"

#ifdef HAVE_ASAN /* failmalloc.h */
#include <sanitizer/common_interface_defs.h>
#endif

/* ------------------------------------------------------------------------ */
/* Backends                                                                  */
/* ------------------------------------------------------------------------ */

struct backend {
	const char *name;
	const char *url_env; /* NULL: SQLite, a file in a fresh directory */
	const char *create;
};

static const struct backend backends[] = {
	{"sqlite", NULL,
	 "CREATE TABLE oom_t (id BIGINT PRIMARY KEY, name TEXT NOT NULL, data BLOB, note TEXT)"},
	{"mysql", "DAL_TEST_MYSQL_URL",
	 "CREATE TEMPORARY TABLE oom_t (id BIGINT PRIMARY KEY, name VARCHAR(64) NOT NULL, "
	 "data LONGBLOB, note TEXT)"},
	{"pgsql", "DAL_TEST_PGSQL_URL",
	 "CREATE TEMPORARY TABLE oom_t (id BIGINT PRIMARY KEY, name TEXT NOT NULL, data BYTEA, "
	 "note TEXT)"},
};
#define N_BACKENDS (sizeof backends / sizeof backends[0])

static const char *const mode_names[] = {"once", "from"};

/* ------------------------------------------------------------------------ */
/* Known problems                                                            */
/* ------------------------------------------------------------------------ */

enum kind { K_NONE, K_LEAK, K_CRASH, K_HANG, K_WRONG };
static const char *const kind_names[] = {"ok", "leak", "crash", "hang", "wrong result"};

/*
 * A problem recognised by its signature: the kind, the backend (NULL: any)
 * and a string found in the first owning frame ("func file:line" or
 * "func (module+0x...)") of the leak or crash, or in the workload's message
 * for K_WRONG.
 */
struct known {
	enum kind kind;
	const char *backend;
	const char *match;  /* in the owning frame: the first of the signature */
	const char *match2; /* anywhere in the signature, '|' between alternatives
	                       (a build without sanitizers names no libdal function) */
	const char *text;
};

/* libdal bugs found by this test and reported, not fixed yet: printed as
 * KNOWN, not failed. Remove an entry when its bug is fixed. */
static const struct known known_bugs[] = {
	{K_WRONG, "sqlite", "column_name(1) is NULL", NULL,
	 "libdal bug: the sqlite plugin's column_name allocates the names on first use "
	 "(plugins/sqlite/decode.c sqb_column_name()) and returns NULL, as for a bad "
	 "index, when that fails"},
	{K_NONE, NULL, NULL, NULL, NULL}, /* keeps the array non-empty */
};

/* Crashes inside client libraries under allocation failure, with libdal's
 * use of the library correct: printed as CLIENT, not failed (see
 * docs/testing.md). Leaks inside client libraries never fail the test. */
/* The plugin frame under the client library: named in an ASan build, only
 * the module in a build without sanitizers. */
#define VIA_MYSQL_CONNECT "connect_one plugins/mysql/connect.c|? (backend_mysql.so"
#define VIA_PGSQL_CONNECT "pgb_connect plugins/pgsql/connect.c|? (backend_pgsql.so"
#define VIA_PGSQL_STMT "plugins/pgsql/stmt.c|? (backend_pgsql.so"

static const struct known client_crashes[] = {
	{K_CRASH, "mysql", "mariadb_connection", VIA_MYSQL_CONNECT,
	 "MariaDB Connector/C: mysql_real_connect() goes on after strdup() of the server "
	 "version failed, and mariadb_connection() strstr()s the NULL"},
	{K_CRASH, "mysql", "libmariadb.so.3+0x2679", VIA_MYSQL_CONNECT,
	 "MariaDB Connector/C: inside mysql_real_connect(), memcpy() to the NULL of a malloc() "
	 "that failed (libmariadb.so.3+0x26794, libmariadb3 10.11)"},
	{K_CRASH, "mysql", "[in getservbyname]", VIA_MYSQL_CONNECT,
	 "glibc 2.36: getservbyname(), called once by mysql_init(), dereferences NULL in "
	 "nss_database_check_reload_and_get() when NSS's global state cannot be allocated"},
	{K_CRASH, "pgsql", "libgssapi_krb5.so", VIA_PGSQL_CONNECT,
	 "MIT krb5 GSS-API: gss_acquire_cred(), called by libpq to look for a credential cache "
	 "(gssencmode=prefer), reads a NULL left by an allocation that failed in "
	 "gss_indicate_mechs_by_attrs()"},
	{K_HANG, "pgsql", "libpq.so", VIA_PGSQL_STMT,
	 "libpq: in pipeline mode, when the PGRES_PIPELINE_SYNC result cannot be allocated "
	 "(pqParseInput3, message 'Z'), the connection stays busy and PQgetResult() waits "
	 "forever for input that never comes (the pgsql plugin now stops waiting: "
	 "pipeline_result() in plugins/pgsql/stmt.c)"},
	{K_NONE, NULL, NULL, NULL, NULL},
};

/* ------------------------------------------------------------------------ */
/* The workload (in the child)                                               */
/* ------------------------------------------------------------------------ */

enum wstep {
	W_CONFIG, W_OPEN, W_ACQUIRE, W_CREATE, W_PREPARE_INSERT, W_BIND, W_INSERT,
	W_PREPARE_SELECT, W_BIND_SELECT, W_FETCH, W_METRICS_PROM, W_METRICS_JSON,
	W_METRICS_WRITE, W_STATS, W_DONE
};
static const char *const wstep_names[] = {
	"config", "open", "acquire", "create", "prepare-insert", "bind", "insert",
	"prepare-select", "bind-select", "fetch", "metrics-prometheus", "metrics-json",
	"metrics-write", "stats", "done",
};

/* What a child reports through its pipe. */
struct outcome {
	int magic;
	int rc;              /* DAL_OK or the first error */
	int step;            /* enum wstep reached */
	int wrong;           /* the workload saw a result that is not right */
	unsigned long calls; /* allocations counted */
	unsigned long failed;
	int leaks;           /* LeakSanitizer found leaks; -1: not checked */
	char what[256];      /* the error or the wrong result */
	unsigned long step_calls[W_DONE + 1]; /* allocations made before each step */
};
#define OUTCOME_MAGIC 0x00d1a10c

struct wrow {
	int64_t id;
	const char *name;
	const char *data;
	size_t data_len; /* data NULL: SQL NULL */
	const char *note;
};

static const struct wrow wrows[] = {
	{1, "alpha", "\0\1\2", 3, NULL},
	{2, "beta", NULL, 0, "second"},
	{3, "gamma", "\xff\xfe", 2, "third"},
};
#define N_WROWS 3

static struct outcome *W;

#define STEP(s) (W->step = (s), W->step_calls[s] = W->step_calls[s] ? W->step_calls[s] : fm_calls())

static int wrong(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int wrong(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(W->what, sizeof W->what, fmt, ap);
	va_end(ap);
	W->wrong = 1;
	return DAL_EMISUSE;
}

/*
 * A call returned rc with e the error object that should describe it.
 * DAL_OK (and want, a success code) go on; an error must be a known
 * negative code repeated by e with a message.
 */
static int check(const char *call, int rc, int want, const dal_error *e)
{
	if (rc == DAL_OK || rc == want)
		return DAL_OK;
	if (rc > 0)
		return wrong("%s: %s where %s was expected (error %s: %s)", call, dal_code_name(rc),
		             dal_code_name(want), e ? dal_code_name(e->code) : "-",
		             e ? e->message : "-");
	if (strcmp(dal_code_name(rc), "DAL_E?") == 0)
		return wrong("%s: unknown code %d", call, rc);
	if (e && e->code != rc)
		return wrong("%s: returned %s but the error says %s (%s)", call, dal_code_name(rc),
		             dal_code_name(e->code), e->message);
	if (e && !e->message[0])
		return wrong("%s: %s without a message", call, dal_code_name(rc));
	W->rc = rc;
	snprintf(W->what, sizeof W->what, "%s: %s: %s", call, dal_code_name(rc),
	         e ? e->message : "");
	return rc;
}

static int bind_row(dal_stmt *st, const struct wrow *r)
{
	int rc;

	if ((rc = check("bind_int64", dal_stmt_bind_int64(st, 1, r->id), 0, dal_stmt_error(st))) ||
	    (rc = check("bind_named_text", dal_stmt_bind_named_text(st, "name", r->name, -1), 0,
	                dal_stmt_error(st))))
		return rc;
	if (r->data)
		rc = check("bind_blob", dal_stmt_bind_blob(st, 3, r->data, r->data_len), 0,
		           dal_stmt_error(st));
	else
		rc = check("bind_null", dal_stmt_bind_null(st, 3), 0, dal_stmt_error(st));
	if (rc)
		return rc;
	if (r->note)
		return check("bind_named_text", dal_stmt_bind_named_text(st, ":note", r->note, -1), 0,
		             dal_stmt_error(st));
	return check("bind_null", dal_stmt_bind_null(st, dal_stmt_param_index(st, "note")), 0,
	             dal_stmt_error(st));
}

/* The current row of the SELECT must be r, through every getter. */
static int check_row(dal_stmt *st, const struct wrow *r)
{
	const char *s;
	const void *b;
	size_t len;

	if (dal_stmt_column_count(st) != 4)
		return wrong("column_count %u, not 4", dal_stmt_column_count(st));
	s = dal_stmt_column_name(st, 1);
	if (!s || strcmp(s, "name") != 0)
		return wrong("column_name(1) is %s, not name", s ? s : "NULL");
	if (dal_stmt_column_type(st, 0) != DAL_TYPE_INT64)
		return wrong("column_type(id) %d", (int)dal_stmt_column_type(st, 0));
	if (dal_stmt_column_int64(st, 0) != r->id || dal_stmt_column_double(st, 0) != (double)r->id ||
	    !dal_stmt_column_bool(st, 0))
		return wrong("row %lld: id read as %lld", (long long)r->id,
		             (long long)dal_stmt_column_int64(st, 0));
	s = dal_stmt_column_text(st, 0, &len);
	if (!s || len != 1 || s[0] != '0' + (char)r->id)
		return wrong("row %lld: id as text is %s", (long long)r->id, s ? s : "NULL");
	s = dal_stmt_column_text(st, 1, &len);
	if (!s || len != strlen(r->name) || strcmp(s, r->name) != 0)
		return wrong("row %lld: name is %s", (long long)r->id, s ? s : "NULL");
	b = dal_stmt_column_blob(st, 2, &len);
	if (r->data) {
		if (!b || len != r->data_len || memcmp(b, r->data, len) != 0 ||
		    dal_stmt_column_type(st, 2) != DAL_TYPE_BLOB)
			return wrong("row %lld: data is %s, %zu bytes", (long long)r->id,
			             b ? "wrong" : "NULL", len);
	} else if (b || !dal_stmt_column_is_null(st, 2) ||
	           dal_stmt_column_type(st, 2) != DAL_TYPE_NULL) {
		return wrong("row %lld: data is not NULL", (long long)r->id);
	}
	s = dal_stmt_column_text(st, 3, &len);
	if (r->note ? (!s || strcmp(s, r->note) != 0) : (s != NULL || !dal_stmt_column_is_null(st, 3)))
		return wrong("row %lld: note is %s", (long long)r->id, s ? s : "NULL");
	return DAL_OK;
}

static char metrics_buf[256 * 1024];
static size_t metrics_len;

static int metrics_sink(const char *data, size_t len, void *userdata)
{
	(void)userdata;
	if (len > sizeof metrics_buf - 1 - metrics_len)
		return 1;
	memcpy(metrics_buf + metrics_len, data, len);
	metrics_len += len;
	metrics_buf[metrics_len] = '\0';
	return 0;
}

/* The exported text must be whole. */
static int check_metrics(const char *call, const char *text, dal_metrics_format fmt)
{
	size_t n = strlen(text);

	if (fmt == DAL_METRICS_PROMETHEUS) {
		if (!tu_contains(text, "db_client_operations_total") ||
		    !tu_contains(text, "db_client_operation_duration_seconds_bucket") ||
		    !tu_contains(text, "db_operation_name=\"execute\"") || n == 0 || text[n - 1] != '\n')
			return wrong("%s: Prometheus text incomplete (%zu bytes)", call, n);
	} else {
		long depth = 0;
		for (size_t i = 0; i < n; i++) /* no braces inside the strings here */
			depth += text[i] == '{' ? 1 : text[i] == '}' ? -1 : 0;
		while (n && isspace((unsigned char)text[n - 1]))
			n--;
		if (text[0] != '{' || n == 0 || text[n - 1] != '}' || depth != 0 ||
		    !tu_contains(text, "\"execute\""))
			return wrong("%s: JSON text incomplete (%zu bytes)", call, n);
	}
	return DAL_OK;
}

static int metrics_format(dal_repo *repo, dal_metrics_format fmt)
{
	const char *call = fmt == DAL_METRICS_JSON ? "metrics_format(json)"
	                                           : "metrics_format(prometheus)";
	long n = dal_repo_metrics_format(repo, fmt, metrics_buf, sizeof metrics_buf);

	if (n < 0) {
		int rc = check(call, (int)n, 0, NULL);
		return rc ? rc : wrong("%s: %ld", call, n);
	}
	if ((size_t)n >= sizeof metrics_buf || strlen(metrics_buf) != (size_t)n)
		return wrong("%s: returned %ld for %zu bytes", call, n, strlen(metrics_buf));
	return check_metrics(call, metrics_buf, fmt);
}

static const char oom_ini[] =
	"[oom]\n"
	"max_retries = 0\n"
	"pool_size = 2\n"
	"connect_timeout = 10\n"
	"telemetry = on\n";

static void workload(const struct backend *b, const char *url)
{
	dal_config *cfg = NULL;
	dal_repo *repo = NULL;
	dal_conn *c = NULL;
	dal_stmt *st = NULL;
	dal_error err;
	dal_op_stats ops;
	dal_pool_stats ps;
	int rc, nrows = 0;

	memset(&err, 0, sizeof err);
	STEP(W_CONFIG);
	if (check("config_parse", dal_config_parse(&cfg, oom_ini, NULL, &err), 0, &err))
		goto out;
	STEP(W_OPEN);
	if (check("repo_open", dal_repo_open(&repo, cfg, "oom", url, &err), 0, &err))
		goto out;
	if (!repo) {
		wrong("repo_open: DAL_OK without a repository");
		goto out;
	}
	if (!dal_repo_telemetry_enabled(repo)) {
		wrong("repo_open: DAL_OK but telemetry is off");
		goto out;
	}
	STEP(W_ACQUIRE);
	if (check("conn_acquire", dal_conn_acquire(repo, &c, &err), 0, &err))
		goto out;
	STEP(W_CREATE);
	if (check("conn_exec", dal_conn_exec(c, b->create, NULL), 0, dal_conn_error(c)))
		goto out;

	STEP(W_PREPARE_INSERT);
	if (check("prepare", dal_stmt_prepare(c, "INSERT INTO oom_t (id, name, data, note) "
	                                         "VALUES (?, :name, ?, :note)", &st),
	          0, dal_conn_error(c)))
		goto out;
	if (dal_stmt_param_count(st) != 4 || dal_stmt_param_index(st, "note") != 4) {
		wrong("prepare: %u parameters, :note is %u", dal_stmt_param_count(st),
		      dal_stmt_param_index(st, "note"));
		goto out;
	}
	for (int i = 0; i < N_WROWS; i++) {
		STEP(W_BIND);
		if (i && check("reset", dal_stmt_reset(st), 0, dal_stmt_error(st)))
			goto out;
		if (bind_row(st, &wrows[i]))
			goto out;
		STEP(W_INSERT);
		if (check("step(insert)", dal_stmt_step(st), DAL_DONE, dal_stmt_error(st)))
			goto out;
		if (dal_stmt_rows_affected(st) != 1) {
			wrong("insert: %lld rows affected", (long long)dal_stmt_rows_affected(st));
			goto out;
		}
	}
	dal_stmt_close(st);
	st = NULL;

	STEP(W_PREPARE_SELECT);
	if (check("prepare", dal_stmt_prepare(c, "SELECT id, name, data, note FROM oom_t "
	                                         "WHERE id >= ? AND name <> :skip ORDER BY id",
	                                      &st),
	          0, dal_conn_error(c)))
		goto out;
	STEP(W_BIND_SELECT);
	if (check("bind_int64", dal_stmt_bind_int64(st, 1, 1), 0, dal_stmt_error(st)) ||
	    check("bind_named_text", dal_stmt_bind_named_text(st, "skip", "nothing", 7), 0,
	          dal_stmt_error(st)))
		goto out;
	STEP(W_FETCH);
	for (;;) {
		rc = dal_stmt_step(st);
		if (rc == DAL_DONE && nrows == N_WROWS)
			break;
		if (rc == DAL_DONE || (rc == DAL_ROW && nrows == N_WROWS)) {
			wrong("select: %s after %d rows", dal_code_name(rc), nrows);
			goto out;
		}
		if (check("step(select)", rc, DAL_ROW, dal_stmt_error(st)))
			goto out;
		if (check_row(st, &wrows[nrows++]))
			goto out;
	}
	dal_stmt_close(st);
	st = NULL;

	STEP(W_METRICS_PROM);
	if (metrics_format(repo, DAL_METRICS_PROMETHEUS))
		goto out;
	STEP(W_METRICS_JSON);
	if (metrics_format(repo, DAL_METRICS_JSON))
		goto out;
	STEP(W_METRICS_WRITE);
	metrics_len = 0;
	metrics_buf[0] = '\0';
	rc = dal_repo_metrics_write(repo, DAL_METRICS_PROMETHEUS, metrics_sink, NULL);
	if (check("metrics_write", rc, 0, NULL) || check_metrics("metrics_write", metrics_buf, 0))
		goto out;
	STEP(W_STATS);
	if (check("repo_stats", dal_repo_stats(repo, DAL_OP_PREPARE, &ops), 0, NULL))
		goto out;
	if (ops.calls != 2) {
		wrong("repo_stats: %llu prepares, not 2", (unsigned long long)ops.calls);
		goto out;
	}
	if (check("pool_stats", dal_repo_pool_stats(repo, &ps), 0, NULL))
		goto out;
	if (ps.used != 1) {
		wrong("pool_stats: %u connections used, not 1", ps.used);
		goto out;
	}
	STEP(W_DONE);
out:
	dal_stmt_close(st);
	dal_conn_release(c);
	dal_repo_close(repo);
	dal_config_free(cfg);
}

/* ------------------------------------------------------------------------ */
/* The child                                                                 */
/* ------------------------------------------------------------------------ */

/* Called by on_fatal() only: two frames, skipped in the printed stack. */
__attribute__((noinline)) static void print_stack(int sig)
{
	char line[64];
	int n = snprintf(line, sizeof line, "oom-child: caught signal %d\n", sig);

	fm_disarm();
	if (write(2, line, (size_t)n) < 0)
		_exit(98);
#ifdef HAVE_ASAN
	__sanitizer_print_stack_trace();
#else
	{
		void *frames[64];
		int k = backtrace(frames, 64);
		if (k > 2) /* from the frame that was interrupted */
			backtrace_symbols_fd(frames + 2, k - 2, 2);
	}
#endif
}

/* DAL_OOM_TRACE=1: the stack of each failed allocation, for reports. */
static void trace_failure(unsigned long n)
{
	char line[64];
	int k = snprintf(line, sizeof line, "oom-child: allocation %lu fails here:\n", n);

	if (write(2, line, (size_t)k) < 0)
		return;
#ifdef HAVE_ASAN
	__sanitizer_print_stack_trace();
#else
	{
		void *frames[64];
		int m = backtrace(frames, 64);
		backtrace_symbols_fd(frames, m, 2);
	}
#endif
}

__attribute__((noinline)) static void on_fatal(int sig)
{
	print_stack(sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static unsigned child_timeout = 30;

/* The caller of each allocation, in the count run and with DAL_OOM_PROFILE. */
#define PROFILE_CAP (1ul << 20)
static void *profile[PROFILE_CAP];

/*
 * The libraries whose allocation points the CI sweep of a server backend
 * samples (every k-th) instead of running them all: TLS, crypto, GSSAPI,
 * LDAP and what they load. Everything else -- libdal, its plugins, the
 * client library proper (libpq, libmariadb, libsqlite3), libltdl,
 * liburiparser, glibc -- is run at every N.
 */
static const char *const deep_libs[] = {
	"libcrypto", "libssl", "libgnutls", "libtasn1", "libgssapi", "libkrb5", "libk5crypto",
	"libcom_err", "libldap", "liblber", "libsasl", "libnettle", "libhogweed", "libgmp",
	"libp11", "libidn", "libunistring", "libkeyutils", "libffi", "libz.", "libzstd", "libbrotli",
	NULL,
};

static const char *module_of(const void *addr)
{
	Dl_info info;
	const char *m;

	if (!dladdr(addr, &info) || !info.dli_fname)
		return "?";
	m = strrchr(info.dli_fname, '/');
	return m ? m + 1 : info.dli_fname;
}

static int is_deep(const char *module)
{
	for (const char *const *d = deep_libs; *d; d++)
		if (strncmp(module, *d, strlen(*d)) == 0)
			return 1;
	return 0;
}

/* The count run: one byte per allocation point, the tier of the code that
 * made it: 'l' libdal (libdal.so, backend_*.so), 'd' a deep library,
 * 'o' the others (client library, libltdl, liburiparser, glibc). */
static void write_categories(const char *path, unsigned long calls)
{
	FILE *f = fopen(path, "w");
	unsigned long n = calls < PROFILE_CAP ? calls : PROFILE_CAP;
	const void *last = NULL;
	int cat = 'o';

	if (!f)
		return;
	for (unsigned long i = 0; i < n; i++) {
		if (profile[i] != last) {
			const char *m = module_of(profile[i]);
			last = profile[i];
			cat = strncmp(m, "libdal.", 7) == 0 || strncmp(m, "backend_", 8) == 0 ? 'l'
			      : is_deep(m)                                                   ? 'd'
			                                                                     : 'o';
		}
		fputc(cat, f);
	}
	fclose(f);
}

/* DAL_OOM_PROFILE=1: which module made the allocations of each step. */
static void print_profile(const struct outcome *o)
{
	enum { MAXMOD = 32 };
	const char *mods[MAXMOD];
	unsigned long count[W_DONE + 2][MAXMOD];
	int nmods = 0;
	unsigned long n = o->calls < PROFILE_CAP ? o->calls : PROFILE_CAP;
	int step = 0;

	memset(count, 0, sizeof count);
	for (unsigned long i = 0; i < n; i++) {
		const char *m = module_of(profile[i]);
		int k;

		while (step < W_DONE && o->step_calls[step + 1] && i >= o->step_calls[step + 1])
			step++;
		for (k = 0; k < nmods && strcmp(mods[k], m) != 0; k++)
			;
		if (k == nmods) {
			if (nmods == MAXMOD)
				k = MAXMOD - 1;
			else
				mods[nmods++] = m;
		}
		count[step][k]++;
		count[W_DONE + 1][k]++;
	}
	for (int st = 0; st <= W_DONE + 1; st++) {
		unsigned long tot = 0;
		for (int k = 0; k < nmods; k++)
			tot += count[st][k];
		if (!tot)
			continue;
		const char *name = st == W_DONE + 1 ? "total"
		                   : st == W_DONE   ? "release+close"
		                                    : wstep_names[st];
		fprintf(stderr, "profile: %-18s %6lu:", name, tot);
		for (int k = 0; k < nmods; k++)
			if (count[st][k])
				fprintf(stderr, " %s %lu", mods[k], count[st][k]);
		fprintf(stderr, "\n");
	}
}

static void child_main(const struct backend *b, const char *url, unsigned long n,
                       enum fm_mode mode, int outfd, int errfd, const char *catpath)
{
	static struct outcome out;

	W = &out;
	memset(&out, 0, sizeof out);
	out.magic = OUTCOME_MAGIC;
	out.leaks = -1;
	if (dup2(errfd, 2) < 0)
		_exit(97);
	signal(SIGABRT, on_fatal);
	signal(SIGALRM, on_fatal);
#ifndef HAVE_ASAN
	signal(SIGSEGV, on_fatal);
	signal(SIGBUS, on_fatal);
	signal(SIGFPE, on_fatal);
	signal(SIGILL, on_fatal);
	{
		void *f[4];
		backtrace(f, 4); /* loads libgcc_s now, not under failure */
	}
#endif
	alarm(child_timeout);

	if (getenv("DAL_OOM_TRACE") && mode == FM_ONCE)
		fm_on_fail(trace_failure);
	if (n == 0 || getenv("DAL_OOM_PROFILE"))
		fm_record(profile, PROFILE_CAP);
	fm_arm(n, mode);
	workload(b, url);
	fm_disarm();
	alarm(0);
	fm_record(NULL, 0);

	out.calls = fm_calls();
	out.failed = fm_failures();
	if (getenv("DAL_OOM_PROFILE"))
		print_profile(&out);
	if (n == 0 && catpath)
		write_categories(catpath, out.calls);
#ifdef HAVE_ASAN
	out.leaks = __lsan_do_recoverable_leak_check() ? 1 : 0;
#endif
	if (write(outfd, &out, sizeof out) != (ssize_t)sizeof out)
		_exit(96);
	_exit(0); /* no atexit handlers: Check's, LeakSanitizer's (done above) */
}

/* ------------------------------------------------------------------------ */
/* Reading a child's stderr                                                  */
/* ------------------------------------------------------------------------ */

#define MAX_FRAMES 48

struct frame {
	char func[160];
	char loc[240]; /* file:line, or module+offset */
};

struct stack {
	int n;
	struct frame f[MAX_FRAMES];
};

/* Parse the frames that follow *pos ("#0 ... in func loc" lines of the
 * sanitizers, or backtrace_symbols_fd's "module(func+0x1)[0x..]"), stopping
 * at the first line that is neither. */
static const char *parse_stack(const char *p, struct stack *s)
{
	s->n = 0;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[512];
		const char *q;

		if (len >= sizeof line)
			len = sizeof line - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		q = line + strspn(line, " \t");
		if (q[0] == '#' && isdigit((unsigned char)q[1])) {
			struct frame *f = s->n < MAX_FRAMES ? &s->f[s->n++] : NULL;
			const char *in = strstr(q, " in ");
			const char *addr = strstr(q, " 0x");
			if (f) {
				f->func[0] = f->loc[0] = '\0';
				if (in) {
					const char *fn = in + 4;
					size_t fl = strcspn(fn, " ");
					snprintf(f->func, sizeof f->func, "%.*s", (int)fl, fn);
					fn += fl;
					snprintf(f->loc, sizeof f->loc, "%s", fn + strspn(fn, " "));
				} else if (addr) {
					const char *l = addr + 3 + strspn(addr + 3, "0123456789abcdef");
					snprintf(f->loc, sizeof f->loc, "%s", l + strspn(l, " "));
				}
			}
		} else if (strchr(q, '(') && strstr(q, ")[0x")) {
			struct frame *f = s->n < MAX_FRAMES ? &s->f[s->n++] : NULL;
			if (f) {
				/* "module(func+0x1f)[..]" or "module(+0x26794)[..]" */
				const char *open = strchr(q, '(');
				size_t fl = strcspn(open + 1, "+)");
				snprintf(f->func, sizeof f->func, "%.*s", (int)fl, open + 1);
				if (fl)
					snprintf(f->loc, sizeof f->loc, "(%.*s)", (int)(open - q), q);
				else
					snprintf(f->loc, sizeof f->loc, "(%.*s%.*s", (int)(open - q), q,
					         (int)strcspn(open + 1, ")") + 1, open + 1);
			}
		} else if (s->n > 0 || *q) {
			if (s->n > 0)
				return p;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	return p;
}

static int has(const char *s, const char *needle)
{
	return strstr(s, needle) != NULL;
}

/* Frames that are the allocator, the sanitizers or our signal handler. */
static int frame_is_plumbing(const struct frame *f)
{
	static const char *const funcs[] = {
		"malloc", "calloc", "realloc", "reallocarray", "free", "posix_memalign",
		"aligned_alloc", "memalign", "strdup", "strndup", "__strdup", "__strndup",
		"print_stack", "on_fatal", "__sanitizer_print_stack_trace", "raise", "abort",
		"__pthread_kill_implementation", "__pthread_kill_internal", "pthread_kill",
		"gsignal", NULL,
	};
	if (has(f->loc, "failmalloc.c") || has(f->loc, "libsanitizer") || has(f->loc, "libasan") ||
	    has(f->loc, "libubsan") || has(f->func, "__interceptor_") || has(f->func, "__asan") ||
	    has(f->func, "__sanitizer") || has(f->func, "__ubsan"))
		return 1;
	for (const char *const *k = funcs; *k; k++)
		if (strcmp(f->func, *k) == 0)
			return 1;
	return 0;
}

/* glibc and the dynamic loader: their frames stand for their caller (they
 * allocate on its behalf: asprintf, fopen, dlopen, getaddrinfo). */
static int frame_is_libdal(const struct frame *f);
static int frame_is_test(const struct frame *f);

static int frame_is_libc(const struct frame *f)
{
	/* With its debug symbols glibc's frames have a source path; no other
	 * library's here have one but ours. */
	int source = f->loc[0] && f->loc[0] != '(';

	return has(f->loc, "libc.so") || has(f->loc, "ld-linux") || has(f->func, "_IO_") ||
	       (source && !frame_is_libdal(f) && !frame_is_test(f));
}

static int frame_is_libdal(const struct frame *f)
{
	return has(f->loc, "/core/") || has(f->loc, "/plugins/") || has(f->loc, "libdal.so") ||
	       has(f->loc, "backend_");
}

static int frame_is_test(const struct frame *f)
{
	return has(f->loc, "test_oom.c") || has(f->loc, "testutil.c") || has(f->loc, "test_oom+") ||
	       has(f->loc, "test_oom)");
}

/* A frame as text: "func path/in/tree.c:line" or "func (module+0x...)". */
static void frame_text(const struct frame *f, char *buf, size_t size)
{
	const char *func = f->func[0] ? f->func : "?";
	const char *loc = f->loc, *t;

	if (loc[0] == '(') {
		t = strrchr(loc, '/');
		snprintf(buf, size, "%s (%s", func, t ? t + 1 : loc + 1);
		return;
	}
	if ((t = strstr(loc, "/core/")) || (t = strstr(loc, "/plugins/")) ||
	    (t = strstr(loc, "/tests/")))
		loc = t + 1;
	snprintf(buf, size, "%s %s", func, loc);
}

enum owner { O_NONE, O_LIBDAL, O_CLIENT, O_TEST };

/*
 * Who made the allocation (or the crash) of stack s: the first frame that
 * is not plumbing or glibc. sig gets its text and two callers; via the
 * first libdal frame below it when the owner is a client library.
 */
static enum owner classify(const struct stack *s, char *sig, size_t size)
{
	int i = 0, first;
	enum owner o;
	char a[500], b2[300], c2[300];

	while (i < s->n && frame_is_plumbing(&s->f[i]))
		i++;
	first = i;
	while (i < s->n && frame_is_libc(&s->f[i]))
		i++;
	if (i == s->n)
		i = first;
	if (i >= s->n) {
		snprintf(sig, size, "(no stack)");
		return O_NONE;
	}
	o = frame_is_libdal(&s->f[i]) ? O_LIBDAL : frame_is_test(&s->f[i]) ? O_TEST : O_CLIENT;
	frame_text(&s->f[i], a, sizeof a);
	if (i > first && s->f[i - 1].func[0]) { /* the glibc function it was in */
		size_t k = strlen(a);
		snprintf(a + k, sizeof a - k, " [in %s]", s->f[i - 1].func);
	}
	b2[0] = c2[0] = '\0';
	if (i + 1 < s->n)
		frame_text(&s->f[i + 1], b2, sizeof b2);
	if (o == O_CLIENT) {
		for (int j = i + 1; j < s->n; j++)
			if (frame_is_libdal(&s->f[j])) {
				frame_text(&s->f[j], c2, sizeof c2);
				break;
			}
	} else if (i + 2 < s->n) {
		frame_text(&s->f[i + 2], c2, sizeof c2);
	}
	snprintf(sig, size, "%s%s%s%s%s", a, b2[0] ? " <- " : "", b2,
	         c2[0] ? (o == O_CLIENT ? " <- ... <- " : " <- ") : "", c2);
	return o;
}

/* ------------------------------------------------------------------------ */
/* Results                                                                   */
/* ------------------------------------------------------------------------ */

/* One distinct problem, and the Ns that showed it. */
struct issue {
	enum kind kind;
	enum owner owner;
	int mode;
	char sig[800];
	char detail[4096]; /* the first report, trimmed */
	unsigned long first_n, last_n, count;
	const struct known *known;
};

#define MAX_ISSUES 64
#define N_CODES 40

struct tally {
	unsigned long points; /* allocations in a run without failure */
	unsigned long runs, ok, codes[N_CODES], other_codes;
	unsigned long libdal_leaks, client_leaks, crashes, hangs, wrongs, failures;
	unsigned long max_n;
	unsigned long tier_points[3], stride[3];
	int all_stride, warm;
	double seconds;
};

static struct issue issues[MAX_ISSUES];
static int n_issues;
static int verbose;
static const char *single_n;

/* 1 if text contains one of the '|'-separated alternatives. */
static int has_any(const char *text, const char *alts)
{
	while (*alts) {
		size_t n = strcspn(alts, "|");
		char one[200];
		snprintf(one, sizeof one, "%.*s", (int)n, alts);
		if (has(text, one))
			return 1;
		alts += n + (alts[n] == '|');
	}
	return 0;
}

/* text: the signature, its owning frame first (up to " <- "). */
static const struct known *find_known(const struct known *list, size_t n, enum kind k,
                                      const char *backend, const char *text)
{
	const char *end = strstr(text, " <- ");
	size_t first = end ? (size_t)(end - text) : strlen(text);

	for (size_t i = 0; i < n; i++) {
		const char *m;
		if (list[i].kind != k || !list[i].match ||
		    (list[i].backend && strcmp(list[i].backend, backend) != 0))
			continue;
		m = strstr(text, list[i].match);
		if (m && (size_t)(m - text) < first && (!list[i].match2 || has_any(text, list[i].match2)))
			return &list[i];
	}
	return NULL;
}

static struct issue *note_issue(enum kind k, enum owner o, int mode, const char *sig,
                                const char *detail, unsigned long n)
{
	struct issue *is = NULL;

	for (int i = 0; i < n_issues; i++)
		if (issues[i].kind == k && issues[i].mode == mode && strcmp(issues[i].sig, sig) == 0)
			is = &issues[i];
	if (!is) {
		if (n_issues == MAX_ISSUES)
			is = &issues[MAX_ISSUES - 1]; /* lumped together */
		else
			is = &issues[n_issues++];
		if (!is->count) {
			is->kind = k;
			is->owner = o;
			is->mode = mode;
			snprintf(is->sig, sizeof is->sig, "%s", sig);
			snprintf(is->detail, sizeof is->detail, "%s", detail);
			is->first_n = n;
		}
	}
	is->last_n = n;
	is->count++;
	return is;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f)
		return strdup("");
	buf = malloc(1 << 20);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The first few lines of a report from p, for the log. */
static void excerpt(const char *p, char *out, size_t size, int lines)
{
	size_t k = 0;

	while (*p && lines > 0 && k + 1 < size) {
		out[k++] = *p;
		if (*p++ == '\n')
			lines--;
	}
	out[k] = '\0';
}

/* 1 if the stack a hung child printed is a known hang. */
static int hang_known(const struct backend *b, const char *err)
{
	const char *c = strstr(err, "oom-child: caught signal");
	const char *nl = c ? strchr(c, '\n') : NULL;
	struct stack s;
	char sig[800];

	if (!nl)
		return 0;
	parse_stack(nl + 1, &s);
	classify(&s, sig, sizeof sig);
	return find_known(client_crashes, sizeof client_crashes / sizeof client_crashes[0], K_HANG,
	                  b->name, sig) ||
	       find_known(known_bugs, sizeof known_bugs / sizeof known_bugs[0], K_HANG, b->name,
	                  sig);
}

/*
 * Judge one finished child: its wait status, its outcome (NULL when it
 * wrote none) and its stderr. Returns 1 if the run fails the test.
 */
static int judge(const struct backend *b, int mode, unsigned long n, int status,
                 const struct outcome *o, const char *err, struct tally *t)
{
	char sig[800], detail[4096];
	const char *p;
	int failed = 0;
	struct issue *is;

	t->runs++;
	/* Leaks, one issue per distinct direct leak. */
	if (o && o->leaks > 0 && (p = strstr(err, "ERROR: LeakSanitizer"))) {
		int libdal = 0, any = 0;
		while ((p = strstr(p, "Direct leak of "))) {
			struct stack s;
			const char *start = p;
			enum owner ow;
			p = strchr(p, '\n');
			if (!p)
				break;
			p = parse_stack(p + 1, &s);
			ow = classify(&s, sig, sizeof sig);
			excerpt(start, detail, sizeof detail, 14);
			any = 1;
			is = note_issue(K_LEAK, ow == O_CLIENT ? O_CLIENT : O_LIBDAL, mode, sig, detail, n);
			if (ow != O_CLIENT) {
				is->known = find_known(known_bugs, sizeof known_bugs / sizeof known_bugs[0],
				                       K_LEAK, b->name, sig);
				if (!is->known)
					libdal = 1;
			}
		}
		if (!any) { /* indirect only: cannot be attributed */
			is = note_issue(K_LEAK, O_LIBDAL, mode, "indirect leaks only", err, n);
			libdal = 1;
		}
		if (libdal)
			t->libdal_leaks++, failed = 1;
		else
			t->client_leaks++;
	}
	if (!o || o->magic != OUTCOME_MAGIC) {
		/* Died: a sanitizer report, a signal caught by the child, or none. */
		struct stack s;
		const char *a = strstr(err, "ERROR: AddressSanitizer");
		const char *u = strstr(err, "runtime error:");
		const char *c = strstr(err, "oom-child: caught signal");
		enum kind k = K_CRASH;
		enum owner ow = O_NONE;

		if (u && (!a || u < a))
			a = u;
		if (c && (!a || c < a))
			a = c;
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
			k = K_HANG;
		if (a) {
			const char *nl = strchr(a, '\n');
			parse_stack(nl ? nl + 1 : a, &s);
			ow = classify(&s, sig, sizeof sig);
			if (u == a && s.n == 0) { /* UBSan without a stack: its location */
				snprintf(sig, sizeof sig, "%.*s", (int)strcspn(err, "\n"), err);
				ow = O_LIBDAL;
			}
			excerpt(a, detail, sizeof detail, 24);
		} else {
			snprintf(sig, sizeof sig, "(no report)");
			snprintf(detail, sizeof detail, "%s", err);
		}
		{
			char head[900];
			if (WIFSIGNALED(status))
				snprintf(head, sizeof head, "%s: %s", strsignal(WTERMSIG(status)), sig);
			else
				snprintf(head, sizeof head, "exit %d: %s", WEXITSTATUS(status), sig);
			is = note_issue(k, ow, mode, head, detail, n);
		}
		/* A client library's own crash is a NULL dereference (or a hang);
		 * a use after free or an overflow there may well be libdal's. */
		if (ow == O_CLIENT &&
		    (k == K_HANG || has(a, "AddressSanitizer: SEGV") ||
		     (c == a && WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)))
			is->known = find_known(client_crashes,
			                       sizeof client_crashes / sizeof client_crashes[0], k,
			                       b->name, sig);
		if (!is->known)
			is->known = find_known(known_bugs, sizeof known_bugs / sizeof known_bugs[0], k,
			                       b->name, sig);
		if (k == K_HANG)
			t->hangs++;
		else
			t->crashes++;
		if (!is->known)
			failed = 1;
	} else if (o->wrong) {
		is = note_issue(K_WRONG, O_LIBDAL, mode, o->what, o->what, n);
		is->known = find_known(known_bugs, sizeof known_bugs / sizeof known_bugs[0], K_WRONG,
		                       b->name, o->what);
		t->wrongs++;
		if (!is->known)
			failed = 1;
	} else if (o->rc == DAL_OK) {
		t->ok++;
	} else if (-o->rc > 0 && -o->rc < N_CODES) {
		t->codes[-o->rc]++;
	} else {
		t->other_codes++;
	}
	if (verbose || single_n)
		printf("  %s %s N=%lu: %s%s%s%s%s%.200s\n", b->name, mode_names[mode], n,
		       !o ? "died" : o->wrong ? "WRONG" : o->rc ? dal_code_name(o->rc) : "ok",
		       o && o->rc ? " at " : "", o && o->rc ? wstep_names[o->step] : "",
		       failed ? " FAILED" : "", o && o->what[0] ? ": " : "", o ? o->what : "");
	t->failures += (unsigned long)failed;
	return failed;
}

/* ------------------------------------------------------------------------ */
/* The sweep (in the Check test process)                                     */
/* ------------------------------------------------------------------------ */

struct slot {
	pid_t pid;
	unsigned long n;
	int outfd;
	char dir[512];
	char errpath[600];
	char catpath[600];
	int retried; /* a hang run again with a longer timeout */
};

/* The servers' URL with TLS off: allocation failures inside OpenSSL's
 * handshake crash libpq and Connector/C in ways this test cannot tell from
 * libdal's (docs/testing.md); the TLS paths have their own tests. */
static const char *backend_url(const struct backend *b, const char *dir, char *buf, size_t size)
{
	if (b->url_env) {
		const char *u = getenv(b->url_env);
		if (!u)
			return NULL;
		snprintf(buf, size, "%s%stls_mode=disable", u, strchr(u, '?') ? "&" : "?");
		return buf;
	}
	snprintf(buf, size, "sqlite:///%s/oom.db", dir);
	return buf;
}

static void clean_dir(const char *dir)
{
	static const char *const files[] = {"oom.db", "oom.db-wal", "oom.db-shm", "oom.db-journal",
	                                    "stderr"};
	char path[700];

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
}

static void launch(struct slot *sl, const struct backend *b, int mode, unsigned long n)
{
	char urlbuf[700];
	int fds[2], errfd;
	const char *url;

	clean_dir(sl->dir);
	url = backend_url(b, sl->dir, urlbuf, sizeof urlbuf);
	ck_assert_int_eq(pipe(fds), 0);
	errfd = open(sl->errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(errfd, 0);
	fflush(stdout);
	fflush(stderr);
	sl->pid = fork();
	ck_assert_int_ge(sl->pid, 0);
	if (sl->pid == 0) {
		close(fds[0]);
		child_main(b, url, n, (enum fm_mode)mode, fds[1], errfd, sl->catpath);
	}
	close(fds[1]);
	close(errfd);
	sl->outfd = fds[0];
	sl->n = n;
	sl->retried = 0;
}

/* Reap one child; returns its slot and fills the outcome (magic 0 when it
 * wrote none). */
static struct slot *reap(struct slot *slots, int jobs, struct outcome *o, int *status)
{
	for (;;) {
		pid_t pid = waitpid(-1, status, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		ck_assert_int_gt(pid, 0);
		for (int i = 0; i < jobs; i++)
			if (slots[i].pid == pid) {
				ssize_t k;
				memset(o, 0, sizeof *o);
				do
					k = read(slots[i].outfd, o, sizeof *o);
				while (k < 0 && errno == EINTR);
				if (k != (ssize_t)sizeof *o)
					memset(o, 0, sizeof *o);
				close(slots[i].outfd);
				slots[i].pid = 0;
				return &slots[i];
			}
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long env_ulong(const char *name, unsigned long dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtoul(v, NULL, 10) : dflt;
}

static int wanted(const char *env, const char *name)
{
	const char *v = getenv(env);
	size_t n = strlen(name);

	if (!v || !*v)
		return 1;
	for (const char *p = v; (p = strstr(p, name)); p++)
		if ((p == v || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return 1;
	return 0;
}

/* The Ns to run, in order, and why. */
struct plan {
	unsigned long *ns;
	size_t count;
	unsigned long points[3]; /* allocation points of tier libdal, other, deep */
	unsigned long stride[3]; /* every stride-th N of each tier */
	int all_stride;          /* DAL_OOM_STRIDE: every k-th N whatever the tier */
};


static int tier_of(const char *cats, size_t ncats, unsigned long i)
{
	return i >= ncats ? 1 : cats[i] == 'l' ? 0 : cats[i] == 'd' ? 2 : 1;
}

/*
 * Every N on SQLite, or with DAL_OOM_STRIDE=k every k-th N. On a server,
 * within a time budget: every N made by libdal itself, then of the time
 * left three quarters for the client library and glibc, one for the deep
 * libraries (at least a few runs each).
 */
static void make_plan(const struct backend *b, const char *cats, unsigned long points,
                      double run_seconds, int jobs, struct plan *pl)
{
	unsigned long k = env_ulong("DAL_OOM_STRIDE", 0), seen[3] = {0, 0, 0};
	size_t ncats = cats ? strlen(cats) : 0;

	memset(pl, 0, sizeof *pl);
	for (unsigned long i = 0; i < points; i++)
		pl->points[tier_of(cats, ncats, i)]++;
	pl->ns = malloc((points + 1) * sizeof *pl->ns);
	ck_assert_ptr_nonnull(pl->ns);
	pl->stride[0] = pl->stride[1] = pl->stride[2] = k ? k : 1;
	if (k) {
		pl->all_stride = 1;
		for (unsigned long n = 1; n <= points; n += k)
			pl->ns[pl->count++] = n;
		return;
	}
	if (getenv("DAL_OOM_DEEP_STRIDE")) {
		pl->stride[2] = env_ulong("DAL_OOM_DEEP_STRIDE", 1);
		if (!pl->stride[2])
			pl->stride[2] = 1;
	} else if (b->url_env) {
		double budget = (double)env_ulong("DAL_OOM_BUDGET", 15);
		double runs = budget * jobs / (run_seconds > 0.001 ? run_seconds : 0.001);
		double left = runs - (double)pl->points[0], share[3];
		if (left < 40)
			left = 40;
		share[1] = left * 0.75;
		share[2] = left * 0.25;
		for (int t = 1; t < 3; t++)
			if ((double)pl->points[t] > share[t])
				pl->stride[t] = (unsigned long)((double)pl->points[t] / share[t]) + 1;
	}
	/* A server's run can make one allocation more or less while it
	 * connects than the count did: libdal's points take their neighbours. */
	for (unsigned long i = 0; i < points; i++) {
		int t = tier_of(cats, ncats, i);
		int near = (i > 0 && tier_of(cats, ncats, i - 1) == 0) ||
		           (i + 1 < points && tier_of(cats, ncats, i + 1) == 0);
		if (seen[t]++ % pl->stride[t] == 0 || (b->url_env && near))
			pl->ns[pl->count++] = i + 1;
	}
}

/*
 * Sweep one backend in one mode, from a cold process (nothing loaded) or a
 * warm one (the test process ran the workload once first: plugin and client
 * libraries loaded and initialised). Returns the runs that failed.
 */
static unsigned long sweep(const struct backend *b, int mode, int warm, struct slot *slots,
                           int jobs, struct tally *t)
{
	struct outcome o;
	struct plan pl;
	int status;
	unsigned long next_n, stop_at = 0, limit;
	size_t next = 0;
	int active = 0;
	double t0;
	struct slot *sl;
	char *err, *cats;

	memset(t, 0, sizeof *t);
	memset(issues, 0, sizeof issues);
	n_issues = 0;
	t->warm = warm;

	/* The count: the workload without failures must pass. */
	t0 = now();
	launch(&slots[0], b, mode, 0);
	sl = reap(slots, jobs, &o, &status);
	err = slurp(sl->errpath);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(o.magic == OUTCOME_MAGIC && o.rc == DAL_OK && !o.wrong && o.leaks <= 0,
	              "%s: the workload fails without allocation failures: %s\n%s", b->name,
	              o.magic ? o.what : "died", err);
	if (getenv("DAL_OOM_PROFILE"))
		printf("%s", err);
	free(err);
	t->points = o.calls;
	/* The time of a run without failure (the count run records callers:
	 * another one, with an N it cannot reach). */
	t0 = now();
	launch(&slots[0], b, mode, ULONG_MAX);
	reap(slots, jobs, &o, &status);
	t->seconds = now() - t0;
	ck_assert_msg(o.magic == OUTCOME_MAGIC && o.rc == DAL_OK && !o.wrong && o.leaks <= 0,
	              "%s: the workload fails without allocation failures (second run): %s",
	              b->name, o.magic ? o.what : "died");
	/* A hang is a run 10 times slower than this one (at least 5 s). */
	child_timeout = (unsigned)env_ulong("DAL_OOM_TIMEOUT", 0);
	if (!child_timeout) {
		child_timeout = (unsigned)(10 * t->seconds) + 1;
		child_timeout = child_timeout < 5 ? 5 : child_timeout > 60 ? 60 : child_timeout;
	}
	printf("oom: %s %s %s: allocations by step:", b->name, mode_names[mode],
	       warm ? "warm" : "cold");
	for (int st = 0; st <= W_DONE; st++) {
		unsigned long from = o.step_calls[st] + 1;
		unsigned long to = st < W_DONE ? o.step_calls[st + 1] : o.calls;
		if (to >= from)
			printf(" %s %lu-%lu", st == W_DONE ? "release+close" : wstep_names[st], from, to);
	}
	printf("\n");
	cats = slurp(sl->catpath);
	make_plan(b, cats, t->points, t->seconds, jobs, &pl);
	free(cats);
	memcpy(t->tier_points, pl.points, sizeof t->tier_points);
	memcpy(t->stride, pl.stride, sizeof t->stride);
	t->all_stride = pl.all_stride;

	if (single_n) {
		unsigned long n = strtoul(single_n, NULL, 10);
		launch(&slots[0], b, mode, n);
		sl = reap(slots, jobs, &o, &status);
		err = slurp(sl->errpath);
		printf("---- %s %s N=%lu: stderr ----\n%s---- outcome: %s at %s: %s; %lu allocations, "
		       "%lu failed ----\n",
		       b->name, mode_names[mode], n, err, o.magic ? dal_code_name(o.rc) : "died",
		       o.magic ? wstep_names[o.step] : "-", o.magic ? o.what : "-", o.calls, o.failed);
		judge(b, mode, n, status, o.magic ? &o : NULL, err, t);
		free(err);
		free(pl.ns);
		return t->failures;
	}

	/* Then every planned N, and on past the count until a run does not
	 * reach N (a run that keeps allocating under failure is stopped). */
	limit = 4 * t->points + 1000;
	next_n = t->points + 1;
	t0 = now();
	while (active > 0 || (!stop_at && (next < pl.count || next_n <= limit))) {
		while (active < jobs && !stop_at && (next < pl.count || next_n <= limit)) {
			unsigned long n = next < pl.count ? pl.ns[next++] : next_n++;
			for (int i = 0; i < jobs; i++)
				if (!slots[i].pid) {
					launch(&slots[i], b, mode, n);
					break;
				}
			active++;
		}
		sl = reap(slots, jobs, &o, &status);
		active--;
		err = slurp(sl->errpath);
		ck_assert_ptr_nonnull(err);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM && !sl->retried &&
		    child_timeout < 60 && !hang_known(b, err)) {
			/* A hang, or a loaded machine: once more with a minute. */
			unsigned keep = child_timeout;
			child_timeout = 60;
			launch(sl, b, mode, sl->n);
			child_timeout = keep;
			sl->retried = 1;
			active++;
			free(err);
			continue;
		}
		if (o.magic == OUTCOME_MAGIC && o.failed == 0) {
			/* N was not reached: past the end. */
			if (sl->n > t->points && (!stop_at || sl->n < stop_at))
				stop_at = sl->n;
		} else if (sl->n > t->max_n) {
			t->max_n = sl->n;
		}
		judge(b, mode, sl->n, status, o.magic ? &o : NULL, err, t);
		free(err);
	}
	free(pl.ns);
	ck_assert_msg(stop_at, "%s %s: runs still reached N at %lu (the run without failure made "
	              "%lu allocations)", b->name, mode_names[mode], limit, t->points);
	t->seconds = now() - t0;
	return t->failures;
}

static void print_ranges(const struct issue *is)
{
	if (is->count == 1)
		printf("N=%lu", is->first_n);
	else
		printf("%lu runs, N=%lu..%lu", is->count, is->first_n, is->last_n);
}

static void report(const struct backend *b, int mode, const struct tally *t)
{
	static const char *const tier_names[3] = {"libdal", "client library/glibc",
	                                          "TLS/crypto/GSSAPI"};
	char every[200] = "every N";

	if (t->all_stride && t->stride[0] > 1)
		snprintf(every, sizeof every, "every %lu-th N", t->stride[0]);
	else if (t->stride[1] > 1 || t->stride[2] > 1) {
		size_t k = 0;
		for (int i = 0; i < 3; i++) {
			if (!t->tier_points[i])
				continue;
			k += (size_t)snprintf(every + k, sizeof every - k, "%s%s %lu: ", k ? ", " : "",
			                      tier_names[i], t->tier_points[i]);
			if (t->stride[i] > 1)
				k += (size_t)snprintf(every + k, sizeof every - k, "every %lu-th",
				                      t->stride[i]);
			else
				k += (size_t)snprintf(every + k, sizeof every - k, "all");
		}
	}
	printf("oom: %s %s %s: %lu allocation points; %lu runs (%s) in %.1f s: ok %lu", b->name,
	       mode_names[mode], t->warm ? "warm" : "cold", t->points, t->runs, every, t->seconds,
	       t->ok);
	for (int c = 1; c < N_CODES; c++)
		if (t->codes[c])
			printf(", %s %lu", dal_code_name(-c), t->codes[c]);
	if (t->other_codes)
		printf(", other %lu", t->other_codes);
	printf("; libdal leaks %lu, client leaks %lu, crashes %lu, hangs %lu, wrong %lu\n",
	       t->libdal_leaks, t->client_leaks, t->crashes, t->hangs, t->wrongs);
	for (int i = 0; i < n_issues; i++) {
		const struct issue *is = &issues[i];
		int client_known = is->known && is->known >= client_crashes &&
		                   is->known < client_crashes + sizeof client_crashes /
		                                                    sizeof client_crashes[0];
		const char *tag = client_known ? "CLIENT"
		                  : is->known  ? "KNOWN"
		                  : is->owner == O_CLIENT && is->kind == K_LEAK ? "CLIENT"
		                                                                 : "FAIL";
		printf("%s: %s %s %s %s in %s: ", tag, b->name, mode_names[mode],
		       t->warm ? "warm" : "cold", kind_names[is->kind],
		       is->owner == O_CLIENT ? "a client library" : "libdal");
		print_ranges(is);
		printf("\n    %s\n", is->sig);
		if (is->known)
			printf("    %s\n", is->known->text);
		if (!strcmp(tag, "FAIL") || verbose) {
			printf("    first report (N=%lu):\n", is->first_n);
			for (const char *p = is->detail; *p;) {
				size_t l = strcspn(p, "\n");
				printf("      %.*s\n", (int)l, p);
				p += l + (p[l] == '\n');
			}
		}
	}
	fflush(stdout);
}

static struct slot slots_[8];
static int jobs_;
static char *workdir;

/* Run the workload once in this process, without failures. */
static void warm_up(const struct backend *b)
{
	struct outcome o;
	char urlbuf[700];
	const char *url = backend_url(b, slots_[0].dir, urlbuf, sizeof urlbuf);

	memset(&o, 0, sizeof o);
	clean_dir(slots_[0].dir);
	W = &o;
	workload(b, url);
	W = NULL;
	clean_dir(slots_[0].dir);
	ck_assert_msg(o.rc == DAL_OK && !o.wrong && o.step == W_DONE, "%s: warm-up: %s", b->name,
	              o.what);
}

static void run_backend(const struct backend *b)
{
	unsigned long failures = 0;
	const char *start = getenv("DAL_OOM_START");

	if (b->url_env && !getenv(b->url_env)) {
		printf("SKIP: oom %s: %s is not set\n", b->name, b->url_env);
		return;
	}
	/* Cold before warm: warming is for good in this process. */
	for (int warm = 0; warm < 2; warm++) {
		int want = start && *start ? (strcmp(start, "both") == 0 ||
		                              strcmp(start, warm ? "warm" : "cold") == 0)
		                           : (warm == (b->url_env != NULL));
		if (!want)
			continue;
		if (warm)
			warm_up(b);
		for (int m = 0; m < 2; m++) {
			struct tally t;
			if (!wanted("DAL_OOM_MODES", mode_names[m]))
				continue;
			failures += sweep(b, m, warm, slots_, jobs_, &t);
			report(b, m, &t);
		}
	}
	ck_assert_msg(failures == 0, "%s: %lu runs failed (see the FAIL lines above)", b->name,
	              failures);
}

/* The work directory is made and removed by main(): a failed assertion
 * ends the test process without its teardown. */
static void setup(void)
{
	jobs_ = (int)env_ulong("DAL_OOM_JOBS", 2);
	if (jobs_ < 1)
		jobs_ = 1;
	if (jobs_ > 8)
		jobs_ = 8;
	if (single_n)
		jobs_ = 1;
	child_timeout = 60; /* the count run's */
	for (int i = 0; i < jobs_; i++) {
		snprintf(slots_[i].dir, sizeof slots_[i].dir, "%s/%d", workdir, i);
		ck_assert(mkdir(slots_[i].dir, 0700) == 0 || errno == EEXIST);
		snprintf(slots_[i].errpath, sizeof slots_[i].errpath, "%s/stderr", slots_[i].dir);
		snprintf(slots_[i].catpath, sizeof slots_[i].catpath, "%s/points", slots_[i].dir);
	}
}

START_TEST(test_oom_sweep)
{
	run_backend(&backends[_i]);
}
END_TEST

int main(int argc, char **argv)
{
	SRunner *sr;
	Suite *s;
	TCase *tc;
	int failed;

	(void)argc;
#ifdef HAVE_ASAN
	/* Allocation stacks through client libraries built without frame
	 * pointers need the slow unwinder to show the libdal call under a
	 * client library's leak; it makes runs about 3 times slower. */
	if (getenv("DAL_OOM_SLOW_UNWIND") && !getenv("DAL_OOM_REEXEC")) {
		const char *prev = getenv("ASAN_OPTIONS");
		char *opts;
		if (asprintf(&opts, "%s%sfast_unwind_on_malloc=0:malloc_context_size=24",
		             prev ? prev : "", prev && *prev ? ":" : "") > 0) {
			setenv("ASAN_OPTIONS", opts, 1);
			setenv("DAL_OOM_REEXEC", "1", 1);
			execv("/proc/self/exe", argv);
			free(opts); /* exec failed: go on with fast unwinding */
		}
	}
#else
	(void)argv;
#endif
	tu_clear_env();
	verbose = getenv("DAL_OOM_VERBOSE") && *getenv("DAL_OOM_VERBOSE") == '1';
	single_n = getenv("DAL_OOM_N");
	if (single_n && !*single_n)
		single_n = NULL;

	s = suite_create("oom");
	tc = tcase_create("sweep");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 24 * 3600);
	for (size_t i = 0; i < N_BACKENDS; i++)
		if (wanted("DAL_OOM_BACKENDS", backends[i].name))
			tcase_add_loop_test(tc, test_oom_sweep, (int)i, (int)i + 1);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	{ /* not tu_mkdtemp(): its assertions need a running test */
		const char *tmp = getenv("TMPDIR");
		if (asprintf(&workdir, "%s/daltest.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0 ||
		    !mkdtemp(workdir)) {
			perror("test_oom: mkdtemp");
			return EXIT_FAILURE;
		}
	}
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tu_rmtree(workdir);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
