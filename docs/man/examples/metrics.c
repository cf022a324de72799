#include <dal/dal.h>
#include <stdio.h>
#include <stdlib.h>

static int to_stdout(const char *data, size_t len, void *userdata)
{
	(void)userdata;
	return fwrite(data, 1, len, stdout) == len ? 0 : 1;
}

static void span_end(const dal_span *sp, void *userdata, void *span_ctx)
{
	(void)userdata;
	(void)span_ctx;
	fprintf(stderr, "span %s %s %.3f ms%s%s\n", sp->operation_name, sp->system_name,
	        sp->duration_ns / 1e6, sp->error_type ? " error " : "",
	        sp->error_type ? sp->error_type : "");
}

/* Telemetry: trace hooks, figures per operation, the pool, and the
 * Prometheus or JSON export. */
int main(void)
{
	dal_trace_hooks hooks = {.end = span_end};
	dal_repo *repo;
	dal_pool_stats pool;
	dal_error err;
	long need;
	char *buf;

	if (dal_repo_open_url(&repo, "sqlite::memory:", &err) != DAL_OK)
		return 1;
	dal_repo_trace_set(repo, &hooks, NULL);
	dal_repo_exec(repo, "CREATE TABLE t (x)", NULL, NULL);
	dal_repo_exec(repo, "INSERT INTO nosuch VALUES (1)", NULL, NULL);
	if (dal_repo_pool_stats(repo, &pool) == DAL_OK)
		printf("pool: %u idle, %u used of %u\n", pool.idle, pool.used, pool.max);

	dal_repo_metrics_write(repo, DAL_METRICS_PROMETHEUS, to_stdout, NULL);
	/* snprintf-style: ask for the size, then fill a buffer. */
	need = dal_repo_metrics_format(repo, DAL_METRICS_JSON, NULL, 0);
	if (need >= 0 && (buf = malloc((size_t)need + 1)) != NULL) {
		dal_repo_metrics_format(repo, DAL_METRICS_JSON, buf, (size_t)need + 1);
		printf("%s\n", buf);
		free(buf);
	}
	printf("%s figures reset\n", dal_op_name(DAL_OP_EXEC));
	dal_repo_stats_reset(repo);
	dal_repo_close(repo);
	return 0;
}
