/*
 * Example: trace hooks that write one JSON line per database span to stderr,
 * using the OpenTelemetry attribute names libdal hands to the hooks.
 *
 *   DAL_PLUGIN_PATH=build/plugins/sqlite build/examples/trace_json [URL]
 *
 * Runs a tiny workload (create, insert, select) on URL (default
 * sqlite::memory:) with db.query.text enabled. No parameter value ever
 * appears in a span.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <dal/dal.h>

/* Minimal JSON string output: quotes, backslashes and control characters. */
static void jstr(FILE *f, const char *key, const char *v)
{
	if (!v)
		return;
	fprintf(f, ",\"%s\":\"", key);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			fprintf(f, "\\%c", *v);
		else if ((unsigned char)*v < 0x20)
			fprintf(f, "\\u%04x", *v);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

static void span_end(const dal_span *sp, void *userdata, void *span_ctx)
{
	FILE *f = userdata;

	(void)span_ctx;
	fprintf(f, "{\"name\":\"%s\",\"duration_ns\":%" PRIu64, sp->operation_name,
	        sp->duration_ns);
	jstr(f, "db.system.name", sp->system_name);
	jstr(f, "db.namespace", sp->db_namespace);
	jstr(f, "db.operation.name", sp->operation_name);
	jstr(f, "db.collection.name", sp->collection_name);
	jstr(f, "db.query.text", sp->query_text);
	jstr(f, "server.address", sp->server_address);
	if (sp->server_port)
		fprintf(f, ",\"server.port\":%u", sp->server_port);
	jstr(f, "error.type", sp->error_type);
	jstr(f, "db.response.status_code", sp->status_code);
	fputs("}\n", f);
}

int main(int argc, char **argv)
{
	const char *url = argc > 1 ? argv[1] : "sqlite::memory:";
	dal_trace_hooks hooks = {.end = span_end, .include_query_text = 1};
	dal_error err;
	dal_repo *repo;
	dal_conn *conn;
	dal_stmt *st;

	if (dal_repo_open_url(&repo, url, &err) != DAL_OK) {
		fprintf(stderr, "trace_json: %s: %s\n", dal_code_name(err.code), err.message);
		return 1;
	}
	dal_repo_trace_set(repo, &hooks, stderr);
	/* A one-shot call: the repository lends itself a pooled connection. */
	dal_repo_exec(repo, "CREATE TABLE IF NOT EXISTS trace_demo (id INTEGER PRIMARY KEY, name TEXT)",
	              NULL, NULL);
	/* Statements run on a connection acquired from the pool. */
	if (dal_conn_acquire(repo, &conn, &err) != DAL_OK) {
		fprintf(stderr, "trace_json: %s: %s\n", dal_code_name(err.code), err.message);
		dal_repo_close(repo);
		return 1;
	}
	if (dal_stmt_prepare(conn, "INSERT INTO trace_demo (name) VALUES (:name)", &st) == DAL_OK) {
		dal_stmt_bind_named_text(st, "name", "not in any span", -1);
		dal_stmt_step(st);
		dal_stmt_close(st);
	}
	if (dal_stmt_prepare(conn, "SELECT count(*) FROM trace_demo", &st) == DAL_OK) {
		if (dal_stmt_step(st) == DAL_ROW)
			printf("rows: %" PRId64 "\n", dal_stmt_column_int64(st, 0));
		dal_stmt_close(st);
	}
	/* Released before the next one-shot call: an in-memory database has a
	 * pool of one connection. */
	dal_conn_release(conn);
	dal_repo_exec(repo, "SELECT * FROM no_such_table", NULL, NULL);
	dal_repo_close(repo);
	return 0;
}
