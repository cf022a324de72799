#include <dal/plugin.h>

/* In a backend's connect(): check the options given in [<repo>.mydb] or
 * the URL's query against the backend's declared table. */
enum { O_MODE, O_BATCH, O__COUNT };
static const char *const modes[] = {"fast", "safe", NULL};
static const struct dal_option_spec specs[O__COUNT] = {
	[O_MODE] = {"mode", DAL_OPTION_CHOICE, "safe", modes, 0, 0, "how hard to try"},
	[O_BATCH] = {"batch", DAL_OPTION_INT, "100", NULL, 1, 10000, "rows per round trip"},
};

int read_options(const struct dal_connect_params *p, int *fast, long long *batch,
                 dal_error *err)
{
	struct dal_option_value v[O__COUNT];
	int rc = dal_options_parse(p, "mydb", specs, O__COUNT, v, err);

	if (rc != DAL_OK)
		return rc; /* DAL_ECONFIG, naming the option and where it was given */
	*fast = v[O_MODE].choice == 0;
	*batch = v[O_BATCH].i;
	return DAL_OK;
}
