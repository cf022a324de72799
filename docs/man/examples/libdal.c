#include <dal/dal.h>
#include <stdio.h>

int main(void)
{
	dal_error err;
	dal_repo *repo;
	dal_conn *c;
	dal_stmt *st;

	/* NULL config: no INI file (dal_config_load() reads one); NULL name:
	 * the default repository, which the DB_* environment may set; NULL url:
	 * no override. With nothing set, an SQLite file dal.db here. */
	if (dal_repo_open(&repo, NULL, NULL, NULL, &err) != DAL_OK) {
		fprintf(stderr, "%s: %s\n", dal_code_name(err.code), err.message);
		return 1;
	}
	/* One-shot calls take a pooled connection for the call. */
	dal_repo_exec(repo, "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT)",
	              NULL, &err);

	/* The repository is shared by threads; a connection is one thread's. */
	if (dal_conn_acquire(repo, &c, &err) != DAL_OK) {
		fprintf(stderr, "%s\n", err.message); /* DAL_ETIMEOUT: pool full */
		return 1;
	}
	dal_stmt_prepare(c, "INSERT INTO users (name) VALUES (:name)", &st);
	dal_stmt_bind_named_text(st, "name", "Ada", -1);
	if (dal_stmt_step(st) != DAL_DONE) {
		const dal_error *e = dal_stmt_error(st);
		/* e->code is a portable category (DAL_ECONSTRAINT, DAL_EBUSY, ...),
		 * e->sqlstate the SQLSTATE, e->native the backend's own code. */
		fprintf(stderr, "[%s] %s%s\n", e->sqlstate, e->message,
		        dal_code_is_transient(e->code) ? " (worth retrying)" : "");
	}
	dal_stmt_close(st);

	dal_stmt_prepare(c, "SELECT id, name FROM users WHERE id > ?", &st);
	dal_stmt_bind_int64(st, 1, 0);
	while (dal_stmt_step(st) == DAL_ROW)
		printf("%lld %s\n", (long long)dal_stmt_column_int64(st, 0),
		       dal_stmt_column_text(st, 1, NULL));
	dal_stmt_close(st);
	dal_conn_release(c);
	dal_repo_close(repo);
	return 0;
}
