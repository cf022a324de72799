#include <dal/dal.h>
#include <stdio.h>

/* Open the repository named on the command line (default: the [dal]
 * default) from the INI file of $DAL_CONFIG or the installed dal.ini, with
 * the DB_* environment applied. */
int main(int argc, char **argv)
{
	dal_config *cfg;
	dal_repo *repo;
	dal_error err;

	if (dal_config_load(&cfg, NULL, &err) != DAL_OK) {
		fprintf(stderr, "%s\n", err.message); /* names file:line */
		return 1;
	}
	if (dal_repo_open(&repo, cfg, argc > 1 ? argv[1] : NULL, NULL, &err) != DAL_OK) {
		fprintf(stderr, "%s: %s\n", dal_code_name(err.code), err.message);
		dal_config_free(cfg);
		return 1;
	}
	printf("%s: %s\n", dal_repo_name(repo), dal_repo_backend(repo));
	dal_repo_close(repo);
	dal_config_free(cfg);
	return 0;
}
