#include <dal/plugin.h>
#include <stdlib.h>

/* Plugin kit helpers inside a backend: reading one option by hand,
 * logging, and releasing server handles only when the connection is free. */
struct conn {
	dal_defer_list closing; /* zero-initialised */
	int compress;
	long long batch;
};

static void close_handle(void *item, void *ud)
{
	(void)ud;
	free(item); /* a real backend closes the server statement here */
}

int apply_options(struct conn *c, const struct dal_connect_params *p, dal_error *err)
{
	const dal_option *o;
	int rc;

	dal_error_clear(err);
	if ((o = dal_params_option(p, "compress")) &&
	    (rc = dal_option_bool(o, &c->compress, err)) != DAL_OK)
		return rc; /* names the key and dal_option_origin(o) */
	if ((o = dal_params_option(p, "batch")) &&
	    (rc = dal_option_int(o, 1, 10000, &c->batch, err)) != DAL_OK)
		return rc;
	if (o)
		dal_plugin_log(0 /* debug */, "mydb: batch = %lld (from %s)", c->batch,
		               dal_option_origin(o));
	return DAL_OK;
}

/* A handle that cannot be closed while a result is being read. */
int defer_close(struct conn *c, void *handle)
{
	if (dal_defer_push(&c->closing, handle) != DAL_OK) {
		close_handle(handle, NULL);
		return DAL_ENOMEM;
	}
	return DAL_OK;
}

/* Once the connection is free again, and at disconnect. */
void connection_free(struct conn *c)
{
	dal_defer_drain(&c->closing, close_handle, NULL);
	dal_defer_free(&c->closing);
}
