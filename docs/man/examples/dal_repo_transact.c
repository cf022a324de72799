#include <dal/dal.h>
#include <stdio.h>

/* The unit of work: may run more than once, so it only touches the
 * database. */
static int transfer(dal_conn *c, void *userdata)
{
	const int64_t *amount = userdata;
	dal_stmt *st;
	int rc;

	if ((rc = dal_stmt_prepare(c, "UPDATE account SET balance = balance + ? WHERE id = ?",
	                           &st)) != DAL_OK)
		return rc;
	dal_stmt_bind_int64(st, 1, -*amount);
	dal_stmt_bind_int64(st, 2, 1);
	rc = dal_stmt_step(st);
	if (rc == DAL_DONE) {
		dal_stmt_reset(st);
		dal_stmt_bind_int64(st, 1, *amount);
		dal_stmt_bind_int64(st, 2, 2);
		rc = dal_stmt_step(st);
	}
	dal_stmt_close(st);
	return rc == DAL_DONE ? DAL_OK : rc; /* an error rolls back */
}

int main(int argc, char **argv)
{
	const char *url = argc > 1 ? argv[1] : "sqlite:///bank.db";
	int64_t amount = 25;
	dal_repo *repo;
	dal_error err;
	int rc;

	if (dal_repo_open_url(&repo, url, &err) != DAL_OK) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	dal_repo_exec(repo, "CREATE TABLE IF NOT EXISTS account (id INTEGER PRIMARY KEY, "
	                    "balance INTEGER)", NULL, NULL);
	dal_repo_exec(repo, "INSERT OR IGNORE INTO account VALUES (1, 100), (2, 0)", NULL, NULL);
	rc = dal_repo_transact(repo, transfer, &amount, &err);
	if (rc == DAL_EOUTCOME)
		fprintf(stderr, "unknown whether it was committed: %s\n", err.message);
	else if (rc != DAL_OK)
		fprintf(stderr, "not committed: %s\n", err.message);
	dal_repo_close(repo);
	return rc != DAL_OK;
}
