#include <dal/dal.h>
#include <stdio.h>

static void show(const char *key, const char *value, const char *source, void *userdata)
{
	(void)userdata;
	printf("%-16s %-24s %s\n", key, value, source);
}

/* Configuration from a string: its warnings, and where each resolved
 * setting of a repository comes from. */
int main(void)
{
	static const char ini[] = "[dal]\ndefault = app\n\n"
	                          "[app]\ntype = sqlite\npath = :memory:\npool_size = 4\n"
	                          "colour = blue\n";
	dal_config *cfg;
	dal_error err;
	const char *w;

	if (dal_config_parse(&cfg, ini, "example.ini", &err) != DAL_OK) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	printf("read from %s\n", dal_config_path(cfg) ? dal_config_path(cfg) : "a string");
	for (size_t i = 0; (w = dal_config_warning(cfg, i)) != NULL; i++)
		printf("warning: %s\n", w); /* example.ini:7: unknown key 'colour' ... */
	if (dal_config_describe(cfg, NULL, NULL, show, NULL, &err) != DAL_OK)
		fprintf(stderr, "%s\n", err.message);
	dal_config_free(cfg);
	return 0;
}
