/*
 * Conformance: telemetry. Operation counters and error counts, trace hooks
 * delivering the OpenTelemetry attributes (and never a parameter value), the
 * slow-query log, and password and value redaction in logs, spans and
 * metric exports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

/* ------------------------------------------------------------------------ */
/* Counters                                                                  */
/* ------------------------------------------------------------------------ */

static uint64_t total_errors(dal_repo *r)
{
	uint64_t n = 0;

	for (int op = 0; op < DAL_OP__COUNT; op++) {
		dal_op_stats st;

		CK_OK(dal_repo_stats(r, (dal_op)op, &st));
		n += st.errors;
	}
	return n;
}

START_TEST(test_telemetry_counts)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_op_stats pr, ex, fe, xc, pg;
	dal_error err;
	dal_stmt *s;
	char t[64];
	int rows = 0;

	ck_assert_int_eq(dal_repo_telemetry_enabled(r), 1);
	table_name(t, sizeof t, "tel");
	create_table(c, t, "n BIGINT");
	exec_ok(c, sqlf("INSERT INTO %s (n) VALUES (1), (2), (3), (4), (5)", t));

	dal_repo_stats_reset(r);
	CK_OK(dal_repo_stats(r, DAL_OP_PREPARE, &pr));
	ck_assert_uint_eq(pr.calls, 0);

	s = prep(c, sqlf("SELECT n FROM %s WHERE n > ?", t));
	for (int round = 0; round < 2; round++) {
		CK_STMT(s, dal_stmt_bind_int64(s, 1, 1));
		while (dal_stmt_step(s) == DAL_ROW)
			rows++;
	}
	dal_stmt_close(s);
	ck_assert_int_eq(rows, 8);
	CK_CONN(c, dal_conn_ping(c, NULL));
	CK_CONN(c, dal_conn_exec(c, sqlf("UPDATE %s SET n = n + 1 WHERE n < 3", t), NULL));

	CK_OK(dal_repo_stats(r, DAL_OP_PREPARE, &pr));
	CK_OK(dal_repo_stats(r, DAL_OP_EXECUTE, &ex));
	CK_OK(dal_repo_stats(r, DAL_OP_FETCH, &fe));
	CK_OK(dal_repo_stats(r, DAL_OP_EXEC, &xc));
	CK_OK(dal_repo_stats(r, DAL_OP_PING, &pg));
	ck_assert_uint_eq(pr.calls, 1);
	ck_assert_uint_eq(ex.calls, 2);
	ck_assert_uint_eq(ex.rows + fe.rows, 8);
	ck_assert_uint_eq(xc.calls, 1);
	ck_assert_uint_eq(xc.rows_affected, 2);
	ck_assert_uint_eq(xc.rows, 0);
	ck_assert_uint_eq(pg.calls, 1);
	ck_assert_uint_eq(pr.errors + ex.errors + fe.errors + xc.errors, 0);
	ck_assert_uint_ge(ex.total_ns, ex.max_ns);
	ck_assert_uint_gt(ex.max_ns, 0);

	/* A failure is counted once, wherever the backend reports it. */
	expect_failure(c, sqlf("SELECT * FROM %s_nope", t), &err);
	ck_assert_uint_eq(total_errors(r), 1);
	ck_assert_int_lt(dal_conn_exec(c, "SELEC 2", NULL), 0);
	CK_OK(dal_repo_stats(r, DAL_OP_EXEC, &xc));
	ck_assert_uint_eq(xc.errors, 1);
	ck_assert_uint_eq(total_errors(r), 2);

	dal_repo_stats_reset(r);
	ck_assert_uint_eq(total_errors(r), 0);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Trace hooks, slow-query log and redaction                                 */
/* ------------------------------------------------------------------------ */

#define MAX_SPANS 64

/* A copy of what one end() callback saw. */
struct seen_span {
	dal_op op;
	char system_name[32], db_namespace[256], operation_name[32], collection[64];
	char query_text[512], server_address[128], error_type[32], status_code[8];
	int has_query_text, has_collection, has_address, has_error_type, has_status;
	unsigned server_port;
	int status;
	uint64_t duration_ns;
	int ctx_ok;
};

struct span_log {
	struct seen_span spans[MAX_SPANS];
	int n, starts;
	int marker; /* handed out as span_ctx by start() */
};

static void copy_attr(char *dst, size_t size, const char *src, int *has)
{
	*has = src != NULL;
	snprintf(dst, size, "%s", src ? src : "");
}

static void on_start(const dal_span *sp, void *ud, void **ctx)
{
	struct span_log *l = ud;

	(void)sp;
	l->starts++;
	*ctx = &l->marker;
}

static void on_end(const dal_span *sp, void *ud, void *ctx)
{
	struct span_log *l = ud;
	struct seen_span *o;
	int dummy;

	if (l->n == MAX_SPANS)
		return;
	o = &l->spans[l->n++];
	o->op = sp->op;
	copy_attr(o->system_name, sizeof o->system_name, sp->system_name, &dummy);
	copy_attr(o->db_namespace, sizeof o->db_namespace, sp->db_namespace, &dummy);
	copy_attr(o->operation_name, sizeof o->operation_name, sp->operation_name, &dummy);
	copy_attr(o->collection, sizeof o->collection, sp->collection_name, &o->has_collection);
	copy_attr(o->query_text, sizeof o->query_text, sp->query_text, &o->has_query_text);
	copy_attr(o->server_address, sizeof o->server_address, sp->server_address,
	          &o->has_address);
	copy_attr(o->error_type, sizeof o->error_type, sp->error_type, &o->has_error_type);
	copy_attr(o->status_code, sizeof o->status_code, sp->status_code, &o->has_status);
	o->server_port = sp->server_port;
	o->status = sp->status;
	o->duration_ns = sp->duration_ns;
	o->ctx_ok = ctx == &l->marker;
}

/* The last span of operation op, or fail. */
static const struct seen_span *last_span(const struct span_log *l, dal_op op)
{
	for (int i = l->n - 1; i >= 0; i--)
		if (l->spans[i].op == op)
			return &l->spans[i];
	ck_abort_msg("no span for operation %s", dal_op_name(op));
	return NULL;
}

/* Strip identifier quotes: a collection may be reported as written. */
static const char *unquoted(const char *name, char *buf, size_t size)
{
	size_t k = 0;

	for (; *name && k + 1 < size; name++)
		if (*name != '"' && *name != '`')
			buf[k++] = *name;
	buf[k] = '\0';
	return buf;
}

/* db.system.name must name the server actually reached: the dialect's
 * name, or where one backend reaches several kinds of server (mysql:
 * "mariadb" or "mysql") the kind reached. */
static const char *expected_system(dal_repo *r)
{
	return dl->otel_system ? dl->otel_system : dal_repo_server_kind(r);
}

static void check_common(dal_repo *r, const struct seen_span *sp)
{
	struct url_parts p;

	ck_assert_str_eq(sp->system_name, expected_system(r));
	ck_assert_str_eq(sp->operation_name, dal_op_name(sp->op));
	ck_assert_msg(sp->ctx_ok, "span_ctx from start() not handed to end()");
	ck_assert_msg(sp->db_namespace[0], "db.namespace empty for %s", sp->operation_name);
	if (conf.caps & DAL_CAP_EMBEDDED) {
		/* No server. */
		ck_assert_msg(!sp->has_address, "%s span has server.address %s",
		              conf.backend, sp->server_address);
		ck_assert_uint_eq(sp->server_port, 0);
		return;
	}
	url_split(conf.url, &p);
	ck_assert_str_eq(sp->db_namespace, p.db);
	ck_assert_msg(sp->has_address && tu_contains(p.host, sp->server_address),
	              "server.address '%s' not in '%s'", sp->server_address, p.host);
	ck_assert_msg(sp->server_port > 0, "no server.port");
	if (strchr(p.host, ':')) {
		char port[16];

		snprintf(port, sizeof port, ":%u", sp->server_port);
		ck_assert_msg(tu_contains(p.host, port), "server.port %u not in '%s'",
		              sp->server_port, p.host);
	}
}

START_TEST(test_trace_hooks_deliver_otel_attributes)
{
	static const char secret_value[] = "ParamValue-9f3c";
	dal_trace_hooks hooks = {.start = on_start, .end = on_end};
	struct span_log *log = calloc(1, sizeof *log);
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	const struct seen_span *sp;
	char t[64], buf[64];
	dal_error err;
	dal_stmt *s;

	table_name(t, sizeof t, "trc");
	create_table(c, t, "id BIGINT PRIMARY KEY, v VARCHAR(40)");
	ck_assert_int_eq(dal_repo_trace_set(r, &hooks, log), DAL_OK);

	CK_CONN(c, dal_conn_ping(c, NULL));
	sp = last_span(log, DAL_OP_PING);
	check_common(r, sp);
	ck_assert_int_eq(sp->status, DAL_OK);
	ck_assert_msg(!sp->has_error_type && !sp->has_status, "success span has error.type");

	s = prep(c, sqlf("INSERT INTO %s (id, v) VALUES (?, ?)", t));
	sp = last_span(log, DAL_OP_PREPARE);
	check_common(r, sp);
	ck_assert_str_eq(unquoted(sp->collection, buf, sizeof buf), t);
	/* db.query.text is opt-in. */
	ck_assert_msg(!sp->has_query_text, "query text without opt-in: %s", sp->query_text);

	CK_STMT(s, dal_stmt_bind_int64(s, 1, 1));
	CK_STMT(s, dal_stmt_bind_text(s, 2, secret_value, -1));
	CK_STEP(s, DAL_DONE);
	sp = last_span(log, DAL_OP_EXECUTE);
	check_common(r, sp);
	ck_assert_int_eq(sp->status, DAL_DONE); /* what the step returned */
	ck_assert_msg(!sp->has_error_type, "error.type %s on success", sp->error_type);
	ck_assert_uint_gt(sp->duration_ns, 0);

	/* A failure: error.type and the SQLSTATE. */
	CK_STMT(s, dal_stmt_reset(s));
	ck_assert_int_eq(dal_stmt_step(s), DAL_ECONSTRAINT);
	sp = last_span(log, DAL_OP_EXECUTE);
	ck_assert_int_eq(sp->status, DAL_ECONSTRAINT);
	ck_assert_msg(sp->has_error_type && sp->error_type[0], "no error.type");
	ck_assert_str_eq(sp->error_type, dal_code_label(DAL_ECONSTRAINT));
	ck_assert_msg(strncmp(sp->status_code, "23", 2) == 0, "db.response.status_code %s",
	              sp->status_code);
	dal_stmt_close(s);

	/* Opt in: the parameterised text, never the values. */
	hooks.include_query_text = 1;
	ck_assert_int_eq(dal_repo_trace_set(r, &hooks, log), DAL_OK);
	s = prep(c, sqlf("SELECT v FROM %s WHERE v = ?", t));
	CK_STMT(s, dal_stmt_bind_text(s, 1, secret_value, -1));
	CK_STEP(s, DAL_ROW);
	sp = last_span(log, DAL_OP_EXECUTE);
	check_common(r, sp);
	ck_assert_msg(sp->has_query_text && tu_contains(sp->query_text, "WHERE v = "),
	              "query text: '%s'", sp->query_text);
	ck_assert_str_eq(unquoted(sp->collection, buf, sizeof buf), t);
	dal_stmt_close(s);

	CK_CONN(c, dal_conn_begin(c));
	CK_CONN(c, dal_conn_exec(c, sqlf("UPDATE %s SET v = 'x' WHERE id = 1", t), NULL));
	CK_CONN(c, dal_conn_rollback(c));
	check_common(r, last_span(log, DAL_OP_BEGIN));
	sp = last_span(log, DAL_OP_EXEC);
	check_common(r, sp);
	ck_assert_str_eq(unquoted(sp->collection, buf, sizeof buf), t);
	ck_assert_msg(tu_contains(sp->query_text, "UPDATE"), "exec query text: %s", sp->query_text);
	check_common(r, last_span(log, DAL_OP_ROLLBACK));

	expect_failure(c, "SELEC 1", &err);
	sp = &log->spans[log->n - 1];
	ck_assert_int_eq(sp->status, DAL_ESYNTAX);
	ck_assert_str_eq(sp->error_type, dal_code_label(DAL_ESYNTAX));
	ck_assert_msg(strncmp(sp->status_code, "42", 2) == 0, "syntax SQLSTATE %s", sp->status_code);

	/* Every start has its end; no attribute ever holds a value. */
	ck_assert_int_eq(log->starts, log->n);
	for (int i = 0; i < log->n; i++) {
		const struct seen_span *x = &log->spans[i];
		ck_assert_msg(!tu_contains(x->query_text, secret_value) &&
		                  !tu_contains(x->collection, secret_value) &&
		                  !tu_contains(x->db_namespace, secret_value),
		              "parameter value in span %d", i);
	}

	/* Removing the hooks stops the calls. */
	ck_assert_int_eq(dal_repo_trace_set(r, NULL, NULL), DAL_OK);
	log->n = 0;
	CK_CONN(c, dal_conn_ping(c, NULL));
	ck_assert_int_eq(log->n, 0);
	drop_table(c, t);
	close_conn(r, c);
	free(log);
}
END_TEST

struct log_lines {
	char text[8192];
	int n;
};

static void on_log(dal_log_level level, const char *msg, void *ud)
{
	struct log_lines *l = ud;
	size_t len = strlen(l->text);

	(void)level;
	snprintf(l->text + len, sizeof l->text - len, "%s\n", msg);
	l->n++;
}

/* Write-callback collecting an export into a growing buffer. */
struct sink {
	char *buf;
	size_t len;
};

static int to_sink(const char *data, size_t len, void *ud)
{
	struct sink *k = ud;

	k->buf = realloc(k->buf, k->len + len + 1);
	ck_assert_ptr_nonnull(k->buf);
	memcpy(k->buf + k->len, data, len);
	k->len += len;
	k->buf[k->len] = '\0';
	return 0;
}

/*
 * The slow-query threshold of test_slow_query_log_and_redaction and its
 * statements, far apart so that a loaded machine flips neither: the slow
 * one runs at least 10 x SLOW_MS (a server-side sleep of a second, or on
 * other backends a recursive count sized to a second of work), the fast one
 * is a SELECT of a constant (microseconds; a hundred thousand times less
 * than the threshold).
 */
#define SLOW_MS 100
#define SLOW_S (10 * SLOW_MS / 1000.0)
#define FAST_SQL "SELECT 42"

static double now_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A statement with one text parameter that runs at least SLOW_S seconds on
 * the backend under test, into buf. */
static const char *slow_statement(char *buf, size_t size)
{
	static const char count_sql[] =
		"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
		"WHERE n < %lld) SELECT ?, count(*) FROM c";
	/* The count runs in this thread on an embedded backend: its CPU time
	 * is a floor for the wall time the telemetry layer measures,
	 * whatever else the machine does. On a server only the wall clock
	 * tells. */
	clockid_t clk = conf.caps & DAL_CAP_EMBEDDED ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
	const long long probe = 100000;
	double t0, took;
	long long n;
	dal_repo *r;
	dal_conn *c;
	dal_stmt *s;

	if (strcmp(conf.backend, "mysql") == 0)
		return "SELECT ?, SLEEP(1.0)";
	if (strcmp(conf.backend, "postgresql") == 0)
		return "SELECT CAST(? AS TEXT), pg_sleep(1.0)";
	/* Calibrate on a repository without the slow-query log: the count
	 * is linear in n. */
	c = open_conn(&r);
	snprintf(buf, size, count_sql, probe);
	s = prep(c, buf);
	CK_STMT(s, dal_stmt_bind_text(s, 1, "probe", -1));
	t0 = now_clock(clk);
	CK_STEP(s, DAL_ROW);
	took = now_clock(clk) - t0;
	dal_stmt_close(s);
	close_conn(r, c);
	if (took < 1e-4)
		took = 1e-4;
	/* Half as much again, for a CPU that speeds up after the probe. */
	n = (long long)((double)probe * SLOW_S * 1.5 / took);
	if (n < probe)
		n = probe;
	if (n > 2000000000LL)
		n = 2000000000LL;
	snprintf(buf, size, count_sql, n);
	return buf;
}

START_TEST(test_slow_query_log_and_redaction)
{
	static const char secret_value[] = "ParamValue-77e1";
	dal_trace_hooks hooks = {.start = on_start, .end = on_end, .include_query_text = 1};
	struct span_log *spans = calloc(1, sizeof *spans);
	struct log_lines *lines = calloc(1, sizeof *lines);
	struct sink prom = {0}, json = {0};
	const struct seen_span *slow, *fast;
	const uint64_t threshold_ns = SLOW_MS * (uint64_t)1000000;
	struct url_parts p;
	char real[128] = "", *u, slow_sql[256];
	const char *sql;
	dal_repo *r = NULL;
	dal_conn *c;
	dal_error err;
	dal_stmt *s;
	int rc, want;

	memset(&p, 0, sizeof p);
	if (!(conf.caps & DAL_CAP_EMBEDDED))
		url_split(conf.url, &p);
	if (p.pass[0])
		tu_pct_decode(p.pass, real, sizeof real);
	sql = slow_statement(slow_sql, sizeof slow_sql);
	dal_log_set(on_log, lines);
	u = url_with_query(sqlf("slow_query_ms=%d", SLOW_MS));
	rc = dal_repo_open(&r, NULL, "slowrepo", u, &err);
	ck_assert_msg(rc == DAL_OK, "%s", err.message);
	ck_assert_int_eq(dal_repo_trace_set(r, &hooks, spans), DAL_OK);
	c = acquire(r);

	/* Slow, with one text parameter. */
	s = prep(c, sql);
	CK_STMT(s, dal_stmt_bind_text(s, 1, secret_value, -1));
	CK_STEP(s, DAL_ROW);
	dal_stmt_close(s);
	slow = last_span(spans, DAL_OP_EXECUTE);
	/* Fast (prepared too: exec is an optional slot). */
	s = prep(c, FAST_SQL);
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 42);
	dal_stmt_close(s);
	fast = last_span(spans, DAL_OP_EXECUTE);
	ck_assert_ptr_ne(fast, slow);

	/* Logged exactly when the layer's own measurement (the spans carry
	 * the same duration) reaches the threshold: the slow statement, by
	 * construction, and the fast one only if the machine stalled it for
	 * SLOW_MS, which must then be logged too. */
	ck_assert_msg(slow->duration_ns >= threshold_ns,
	              "the slow statement took only %.1f ms (threshold %d ms): %s",
	              (double)slow->duration_ns / 1e6, SLOW_MS, sql);
	want = 1 + (fast->duration_ns >= threshold_ns);
	ck_assert_msg(lines->n == want, "%d log lines, wanted %d (fast statement: %.3f ms):\n%s",
	              lines->n, want, (double)fast->duration_ns / 1e6, lines->text);
	if (want == 1)
		ck_assert_msg(!tu_contains(lines->text, FAST_SQL),
		              "fast statement (%.3f ms) logged:\n%s",
		              (double)fast->duration_ns / 1e6, lines->text);
	else
		ck_assert_msg(tu_contains(lines->text, FAST_SQL),
		              "fast statement stalled to %.3f ms, not logged:\n%s",
		              (double)fast->duration_ns / 1e6, lines->text);
	/* Repository, backend, duration and the statement text (as sent:
	 * the spans' db.query.text)... */
	ck_assert_msg(slow->has_query_text && tu_contains(lines->text, slow->query_text),
	              "slow statement '%s' not in the log:\n%s", slow->query_text, lines->text);
	ck_assert_msg(tu_contains(lines->text, "slowrepo") &&
	                  tu_contains(lines->text, dal_repo_backend(r)) &&
	                  tu_contains(lines->text, " ms"),
	              "slow log line: %s", lines->text);
	/* ...but never a parameter value or the password. */
	ck_assert_msg(!tu_contains(lines->text, secret_value), "value logged: %s", lines->text);

	ck_assert_int_eq(dal_repo_metrics_write(r, DAL_METRICS_PROMETHEUS, to_sink, &prom), DAL_OK);
	ck_assert_int_eq(dal_repo_metrics_write(r, DAL_METRICS_JSON, to_sink, &json), DAL_OK);
	ck_assert_msg(tu_contains(prom.buf, "dal_repository=\"slowrepo\""), "%.400s", prom.buf);
	ck_assert(!tu_contains(prom.buf, secret_value) && !tu_contains(json.buf, secret_value));
	if (real[0]) {
		ck_assert_msg(!tu_contains(lines->text, real), "password logged");
		ck_assert_msg(!tu_contains(prom.buf, real) && !tu_contains(prom.buf, p.pass),
		              "password in Prometheus output");
		ck_assert_msg(!tu_contains(json.buf, real) && !tu_contains(json.buf, p.pass),
		              "password in JSON output");
	}
	for (int i = 0; i < spans->n; i++) {
		const struct seen_span *x = &spans->spans[i];
		char all[2048];

		snprintf(all, sizeof all, "%s|%s|%s|%s|%s", x->db_namespace, x->collection,
		         x->query_text, x->server_address, x->system_name);
		ck_assert_msg(!tu_contains(all, secret_value), "value in span: %s", all);
		ck_assert_msg(!real[0] || !tu_contains(all, real), "password in span: %s", all);
	}
	close_conn(r, c);
	dal_log_set(NULL, NULL);
	free(prom.buf);
	free(json.buf);
	free(spans);
	free(lines);
	free(u);
}
END_TEST

static const struct conf_case cases[] = {
	CASE(test_telemetry_counts, 0, 0, 0),
	/* Traces begin, exec and rollback. */
	CASE(test_trace_hooks_deliver_otel_attributes, DAL_CAP_TRANSACTIONS, 0, 0),
	CASE(test_slow_query_log_and_redaction, 0, 0, 0),
	{NULL},
};

const struct conf_area conf_telemetry = {"telemetry", cases};
