/*
 * Metrics export: Prometheus text exposition (format 0.0.4) and JSON, from a
 * repository's telemetry snapshot and its pool's figures
 * (db.client.connection.*).
 *
 * Names follow the OpenTelemetry -> Prometheus mapping: dots become
 * underscores, the unit is appended (seconds), counters end in _total.
 * Labels carry only low-cardinality, non-secret values: the database system,
 * the database name (namespace), the operation and the repository name, and
 * for errors the error category. Never SQL text, parameters or credentials.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "pool.h"
#include "strbuf.h"
#include "telemetry.h"

/* Writes go through a strbuf so the caller's sink sees few, large chunks. */
struct out {
	struct strbuf sb;
	dal_write_fn fn;
	void *ud;
	int stopped;
};

static void flush(struct out *o)
{
	if (o->sb.len && !o->stopped && o->fn(o->sb.data, o->sb.len, o->ud) != 0)
		o->stopped = 1;
	o->sb.len = 0;
	if (o->sb.data)
		o->sb.data[0] = '\0';
}

static void maybe_flush(struct out *o)
{
	if (o->sb.len > 8192)
		flush(o);
}

/* Prometheus label value escaping: backslash, double quote, newline. */
static void prom_escape(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			sb_puts(sb, "\\\\");
		else if (*s == '"')
			sb_puts(sb, "\\\"");
		else if (*s == '\n')
			sb_puts(sb, "\\n");
		else
			sb_append(sb, s, 1);
	}
}

static void json_escape(struct strbuf *sb, const char *s)
{
	sb_append(sb, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			sb_append(sb, "\\", 1);
			sb_append(sb, s, 1);
		} else if (c < 0x20) {
			sb_printf(sb, "\\u%04x", c);
		} else {
			sb_append(sb, s, 1);
		}
	}
	sb_append(sb, "\"", 1);
}

static void labels(struct out *o, const struct telemetry *t, dal_op op)
{
	sb_puts(&o->sb, "db_system_name=\"");
	prom_escape(&o->sb, telemetry_system_name(t));
	sb_puts(&o->sb, "\",db_namespace=\"");
	prom_escape(&o->sb, telemetry_namespace(t));
	sb_printf(&o->sb, "\",db_operation_name=\"%s\",dal_repository=\"", dal_op_name(op));
	prom_escape(&o->sb, telemetry_repo_name(t));
	sb_puts(&o->sb, "\"");
}

/* Prometheus floats: shortest form that reads back exactly enough. */
static void num(struct strbuf *sb, double v)
{
	sb_printf(sb, "%.9g", v);
}

static void prometheus(struct out *o, const struct telemetry *t)
{
	dal_op_stats st[DAL_OP__COUNT];

	for (int op = 0; op < DAL_OP__COUNT; op++)
		telemetry_get(t, (dal_op)op, &st[op]);

	sb_puts(&o->sb, "# HELP db_client_operation_duration_seconds Duration of database "
	                "client operations.\n"
	                "# TYPE db_client_operation_duration_seconds histogram\n");
	for (int op = 0; op < DAL_OP__COUNT; op++) {
		const dal_op_stats *s = &st[op];
		uint64_t cum = 0, count = 0;
		if (op == DAL_OP_FETCH)
			continue; /* counted, not timed */
		for (unsigned b = 0; b <= s->n_buckets; b++)
			count += s->bucket_counts[b];
		for (unsigned b = 0; b < s->n_buckets; b++) {
			cum += s->bucket_counts[b];
			sb_puts(&o->sb, "db_client_operation_duration_seconds_bucket{");
			labels(o, t, (dal_op)op);
			sb_puts(&o->sb, ",le=\"");
			num(&o->sb, s->bucket_bounds[b]);
			sb_printf(&o->sb, "\"} %llu\n", (unsigned long long)cum);
		}
		sb_puts(&o->sb, "db_client_operation_duration_seconds_bucket{");
		labels(o, t, (dal_op)op);
		sb_printf(&o->sb, ",le=\"+Inf\"} %llu\n", (unsigned long long)count);
		sb_puts(&o->sb, "db_client_operation_duration_seconds_sum{");
		labels(o, t, (dal_op)op);
		sb_puts(&o->sb, "} ");
		num(&o->sb, (double)s->total_ns / 1e9);
		sb_puts(&o->sb, "\ndb_client_operation_duration_seconds_count{");
		labels(o, t, (dal_op)op);
		sb_printf(&o->sb, "} %llu\n", (unsigned long long)count);
		maybe_flush(o);
	}

	sb_puts(&o->sb, "# HELP db_client_operations_total Database client operations "
	                "(fetch: row steps after the first).\n"
	                "# TYPE db_client_operations_total counter\n");
	for (int op = 0; op < DAL_OP__COUNT; op++) {
		sb_puts(&o->sb, "db_client_operations_total{");
		labels(o, t, (dal_op)op);
		sb_printf(&o->sb, "} %llu\n", (unsigned long long)st[op].calls);
	}

	sb_puts(&o->sb, "# HELP db_client_operation_errors_total Failed database client "
	                "operations by error type.\n"
	                "# TYPE db_client_operation_errors_total counter\n");
	for (int op = 0; op < DAL_OP__COUNT; op++)
		for (int k = 1; k < DAL_ERROR_CODE_SLOTS; k++) {
			if (!st[op].errors_by_code[k])
				continue;
			sb_puts(&o->sb, "db_client_operation_errors_total{");
			labels(o, t, (dal_op)op);
			sb_printf(&o->sb, ",error_type=\"%s\"} %llu\n", dal_code_label(-k),
			          (unsigned long long)st[op].errors_by_code[k]);
		}
	maybe_flush(o);

	sb_puts(&o->sb, "# HELP db_client_response_returned_rows_total Rows returned by "
	                "database client operations.\n"
	                "# TYPE db_client_response_returned_rows_total counter\n");
	for (int op = 0; op < DAL_OP__COUNT; op++) {
		if (op != DAL_OP_EXECUTE && op != DAL_OP_FETCH)
			continue;
		sb_puts(&o->sb, "db_client_response_returned_rows_total{");
		labels(o, t, (dal_op)op);
		sb_printf(&o->sb, "} %llu\n", (unsigned long long)st[op].rows);
	}
	sb_puts(&o->sb, "# HELP db_client_response_affected_rows_total Rows inserted, "
	                "updated or deleted.\n"
	                "# TYPE db_client_response_affected_rows_total counter\n");
	for (int op = 0; op < DAL_OP__COUNT; op++) {
		if (op != DAL_OP_EXECUTE && op != DAL_OP_EXEC)
			continue;
		sb_puts(&o->sb, "db_client_response_affected_rows_total{");
		labels(o, t, (dal_op)op);
		sb_printf(&o->sb, "} %llu\n", (unsigned long long)st[op].rows_affected);
	}
}

/* The pool's name label: the repository's name. */
static void pool_label(struct out *o, const struct telemetry *t)
{
	sb_puts(&o->sb, "db_client_connection_pool_name=\"");
	prom_escape(&o->sb, telemetry_repo_name(t));
	sb_puts(&o->sb, "\"");
}

static void prom_gauge(struct out *o, const struct telemetry *t, const char *name,
                       const char *help, const char *extra, unsigned long long v)
{
	sb_printf(&o->sb, "# HELP %s %s\n# TYPE %s gauge\n%s{", name, help, name, name);
	pool_label(o, t);
	sb_printf(&o->sb, "%s} %llu\n", extra ? extra : "", v);
}

static void prom_pool_hist(struct out *o, const struct telemetry *t, const char *name,
                           const char *help, const struct pool_hist *h)
{
	uint64_t cum = 0;

	sb_printf(&o->sb, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (unsigned b = 0; b < h->n_buckets; b++) {
		cum += h->buckets[b];
		sb_printf(&o->sb, "%s_bucket{", name);
		pool_label(o, t);
		sb_puts(&o->sb, ",le=\"");
		num(&o->sb, telemetry_default_bounds[b]);
		sb_printf(&o->sb, "\"} %llu\n", (unsigned long long)cum);
	}
	sb_printf(&o->sb, "%s_bucket{", name);
	pool_label(o, t);
	sb_printf(&o->sb, ",le=\"+Inf\"} %llu\n%s_sum{", (unsigned long long)h->count, name);
	pool_label(o, t);
	sb_puts(&o->sb, "} ");
	num(&o->sb, (double)h->sum_ns / 1e9);
	sb_printf(&o->sb, "\n%s_count{", name);
	pool_label(o, t);
	sb_printf(&o->sb, "} %llu\n", (unsigned long long)h->count);
}

static void prometheus_pool(struct out *o, const struct telemetry *t, struct pool *p)
{
	dal_pool_stats ps;
	struct pool_hist wait, use, create;

	pool_stats(p, &ps);
	pool_histograms(p, &wait, &use, &create);
	/* OpenTelemetry's db.client.connection.count; the mapped name would end
	 * in _count, which Prometheus reserves for histograms and summaries
	 * (promtool refuses it), so the gauge is db_client_connections. */
	sb_puts(&o->sb, "# HELP db_client_connections Connections by state "
	                "(db.client.connection.count).\n"
	                "# TYPE db_client_connections gauge\n"
	                "db_client_connections{");
	pool_label(o, t);
	sb_printf(&o->sb, ",db_client_connection_state=\"idle\"} %u\n"
	                  "db_client_connections{", ps.idle);
	pool_label(o, t);
	sb_printf(&o->sb, ",db_client_connection_state=\"used\"} %u\n", ps.used);
	prom_gauge(o, t, "db_client_connection_idle_max", "Most idle connections kept.", NULL,
	           ps.idle_max);
	prom_gauge(o, t, "db_client_connection_max", "Most open connections allowed.", NULL,
	           ps.max);
	prom_gauge(o, t, "db_client_connection_pending_requests",
	           "Requests waiting for a connection.", NULL, ps.pending);
	sb_puts(&o->sb, "# HELP db_client_connection_timeouts_total Acquires that timed out.\n"
	                "# TYPE db_client_connection_timeouts_total counter\n"
	                "db_client_connection_timeouts_total{");
	pool_label(o, t);
	sb_printf(&o->sb, "} %llu\n", (unsigned long long)ps.timeouts);
	prom_pool_hist(o, t, "db_client_connection_create_time_seconds",
	               "Time to create a connection.", &create);
	prom_pool_hist(o, t, "db_client_connection_wait_time_seconds",
	               "Time to obtain a connection from the pool.", &wait);
	prom_pool_hist(o, t, "db_client_connection_use_time_seconds",
	               "Time a connection was held.", &use);
	maybe_flush(o);
}

/* The statement cache's counters (stmt_cache.c). */
static void prometheus_cache(struct out *o, const struct telemetry *t, const dal_repo *r)
{
	uint64_t hits, misses;

	dal_repo_statement_cache_stats(r, &hits, &misses);
	sb_puts(&o->sb, "# HELP dal_statement_cache_hits_total Prepares answered from a "
	                "connection's statement cache.\n"
	                "# TYPE dal_statement_cache_hits_total counter\n"
	                "dal_statement_cache_hits_total{");
	pool_label(o, t);
	sb_printf(&o->sb, "} %llu\n", (unsigned long long)hits);
	sb_puts(&o->sb, "# HELP dal_statement_cache_misses_total Prepares not found in the "
	                "statement cache.\n"
	                "# TYPE dal_statement_cache_misses_total counter\n"
	                "dal_statement_cache_misses_total{");
	pool_label(o, t);
	sb_printf(&o->sb, "} %llu\n", (unsigned long long)misses);
}

static void json_pool_hist(struct out *o, const char *name, const struct pool_hist *h)
{
	uint64_t cum = 0;

	sb_printf(&o->sb, ",\"%s\":{\"count\":%llu,\"sum\":", name,
	          (unsigned long long)h->count);
	num(&o->sb, (double)h->sum_ns / 1e9);
	sb_puts(&o->sb, ",\"buckets\":[");
	for (unsigned b = 0; b <= h->n_buckets; b++) {
		cum += h->buckets[b];
		sb_printf(&o->sb, "%s{\"le\":", b ? "," : "");
		if (b < h->n_buckets)
			num(&o->sb, telemetry_default_bounds[b]);
		else
			sb_puts(&o->sb, "\"+Inf\"");
		sb_printf(&o->sb, ",\"count\":%llu}", (unsigned long long)cum);
	}
	sb_puts(&o->sb, "]}");
}

static void json_pool(struct out *o, struct pool *p)
{
	dal_pool_stats ps;
	struct pool_hist wait, use, create;

	pool_stats(p, &ps);
	pool_histograms(p, &wait, &use, &create);
	sb_printf(&o->sb, ",\"pool\":{\"max\":%u,\"idle_max\":%u,\"idle\":%u,\"used\":%u,"
	                  "\"pending\":%u,\"timeouts\":%llu,\"created\":%llu,\"closed\":%llu,"
	                  "\"acquired\":%llu",
	          ps.max, ps.idle_max, ps.idle, ps.used, ps.pending,
	          (unsigned long long)ps.timeouts, (unsigned long long)ps.created,
	          (unsigned long long)ps.closed, (unsigned long long)ps.acquired);
	json_pool_hist(o, "create_time_seconds", &create);
	json_pool_hist(o, "wait_time_seconds", &wait);
	json_pool_hist(o, "use_time_seconds", &use);
	sb_puts(&o->sb, "}");
}

static void json(struct out *o, const struct telemetry *t, struct pool *p, const dal_repo *r)
{
	sb_puts(&o->sb, "{\"repository\":");
	json_escape(&o->sb, telemetry_repo_name(t));
	sb_puts(&o->sb, ",\"db.system.name\":");
	json_escape(&o->sb, telemetry_system_name(t));
	sb_puts(&o->sb, ",\"db.namespace\":");
	json_escape(&o->sb, telemetry_namespace(t));
	sb_puts(&o->sb, ",\"operations\":{");
	for (int op = 0; op < DAL_OP__COUNT; op++) {
		dal_op_stats s;
		uint64_t cum;
		int first = 1;

		telemetry_get(t, (dal_op)op, &s);
		sb_printf(&o->sb,
		          "%s\"%s\":{\"calls\":%llu,\"errors\":%llu,\"rows\":%llu,"
		          "\"rows_affected\":%llu,\"duration_seconds\":{\"sum\":",
		          op ? "," : "", dal_op_name((dal_op)op), (unsigned long long)s.calls,
		          (unsigned long long)s.errors, (unsigned long long)s.rows,
		          (unsigned long long)s.rows_affected);
		num(&o->sb, (double)s.total_ns / 1e9);
		sb_puts(&o->sb, ",\"max\":");
		num(&o->sb, (double)s.max_ns / 1e9);
		sb_puts(&o->sb, ",\"buckets\":[");
		/* Cumulative, as "le" says and as in the Prometheus output. */
		cum = 0;
		for (unsigned b = 0; b <= s.n_buckets; b++) {
			cum += s.bucket_counts[b];
			sb_printf(&o->sb, "%s{\"le\":", b ? "," : "");
			if (b < s.n_buckets)
				num(&o->sb, s.bucket_bounds[b]);
			else
				sb_puts(&o->sb, "\"+Inf\"");
			sb_printf(&o->sb, ",\"count\":%llu}", (unsigned long long)cum);
		}
		sb_puts(&o->sb, "]},\"errors_by_type\":{");
		for (int k = 1; k < DAL_ERROR_CODE_SLOTS; k++) {
			if (!s.errors_by_code[k])
				continue;
			sb_printf(&o->sb, "%s\"%s\":%llu", first ? "" : ",", dal_code_label(-k),
			          (unsigned long long)s.errors_by_code[k]);
			first = 0;
		}
		sb_puts(&o->sb, "}}");
		maybe_flush(o);
	}
	sb_puts(&o->sb, "}");
	json_pool(o, p);
	{
		uint64_t hits, misses;
		dal_repo_statement_cache_stats(r, &hits, &misses);
		sb_printf(&o->sb, ",\"statement_cache\":{\"hits\":%llu,\"misses\":%llu}",
		          (unsigned long long)hits, (unsigned long long)misses);
	}
	sb_puts(&o->sb, "}\n");
}

int dal_repo_metrics_write(const dal_repo *r, dal_metrics_format fmt, dal_write_fn fn,
                           void *ud)
{
	struct out o = {.fn = fn, .ud = ud};

	if (!r || !fn || (fmt != DAL_METRICS_PROMETHEUS && fmt != DAL_METRICS_JSON))
		return DAL_EMISUSE;
	if (!r->tel)
		return DAL_EUNSUPPORTED;
	if (fmt == DAL_METRICS_PROMETHEUS) {
		prometheus(&o, r->tel);
		prometheus_pool(&o, r->tel, r->pool);
		prometheus_cache(&o, r->tel, r);
	} else {
		json(&o, r->tel, r->pool, r);
	}
	if (o.sb.failed) {
		sb_free(&o.sb);
		return DAL_ENOMEM;
	}
	flush(&o);
	sb_free(&o.sb);
	return o.stopped ? DAL_EBACKEND : DAL_OK;
}

struct bufsink {
	char *buf;
	size_t size, len;
};

static int to_buf(const char *data, size_t len, void *ud)
{
	struct bufsink *b = ud;

	if (b->size && b->len < b->size - 1) {
		size_t room = b->size - 1 - b->len;
		memcpy(b->buf + b->len, data, len < room ? len : room);
	}
	b->len += len;
	return 0;
}

long dal_repo_metrics_format(const dal_repo *r, dal_metrics_format fmt, char *buf,
                             size_t size)
{
	struct bufsink b = {buf, buf ? size : 0, 0};
	int rc = dal_repo_metrics_write(r, fmt, to_buf, &b);

	if (rc != DAL_OK)
		return rc;
	if (b.size)
		b.buf[b.len < b.size ? b.len : b.size - 1] = '\0';
	return (long)b.len;
}
