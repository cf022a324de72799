#include <dal/dal.h>
#include <stdio.h>

int main(void)
{
	dal_repo *repo;
	dal_op_stats st;
	dal_error err;

	if (dal_repo_open_url(&repo, "sqlite::memory:", &err) != DAL_OK)
		return 1;
	for (int i = 0; i < 3; i++)
		dal_repo_ping(repo, NULL, NULL);
	if (dal_repo_stats(repo, DAL_OP_PING, &st) == DAL_OK)
		printf("%s: %llu calls, %llu errors, max %llu ns\n", dal_op_name(DAL_OP_PING),
		       (unsigned long long)st.calls, (unsigned long long)st.errors,
		       (unsigned long long)st.max_ns);
	dal_repo_close(repo);
	return 0;
}
