#include <dal/dal.h>
#include <stdio.h>

/* What a failure says: a portable category, its names, the SQLSTATE, the
 * backend's own code, and whether trying again may help. */
int main(void)
{
	dal_repo *repo;
	dal_conn *c;
	const dal_error *e;
	dal_error err;
	int rc;

	if (dal_repo_open_url(&repo, "sqlite::memory:", &err) != DAL_OK ||
	    dal_conn_acquire(repo, &c, &err) != DAL_OK)
		return 1;
	dal_conn_exec(c, "CREATE TABLE u (k TEXT PRIMARY KEY)", NULL);
	dal_conn_exec(c, "INSERT INTO u VALUES ('a')", NULL);
	rc = dal_conn_exec(c, "INSERT INTO u VALUES ('a')", NULL);
	e = dal_conn_error(c);
	printf("%s (%s, label %s): %s [SQLSTATE %s, native %ld]\n", dal_code_name(rc),
	       dal_strerror(rc), dal_code_label(rc), e->message, e->sqlstate, e->native);
	printf("transient: %s\n", dal_code_is_transient(rc) ? "yes, retry" : "no");
	/* The category any SQLSTATE maps to, as every backend reports it. */
	printf("40001 is %s\n", dal_code_name(dal_sqlstate_category("40001")));
	dal_conn_release(c);
	dal_repo_close(repo);
	return rc == DAL_ECONSTRAINT ? 0 : 1;
}
