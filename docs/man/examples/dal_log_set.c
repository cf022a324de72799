#include <dal/dal.h>
#include <stdio.h>

static void to_stderr(dal_log_level level, const char *msg, void *userdata)
{
	static const char *const names[] = {"debug", "info", "warning", "error"};

	(void)userdata;
	if (level >= DAL_LOG_INFO)
		fprintf(stderr, "dal %s: %s\n", names[level], msg);
}

int main(void)
{
	dal_repo *repo;
	dal_error err;

	dal_log_set(to_stderr, NULL); /* before opening repositories */
	if (dal_repo_open_url(&repo, "sqlite::memory:", &err) != DAL_OK)
		return 1;
	dal_repo_close(repo);
	return 0;
}
