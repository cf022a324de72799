/*
 * Helpers for backends reading struct dal_connect_params: option lookup and
 * typed parsing with messages that name the key and where it came from.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <dal/plugin.h>

const dal_option *dal_params_option(const struct dal_connect_params *p,
                                    const char *key)
{
	if (!p || !key)
		return NULL;
	for (size_t i = 0; i < p->n_options; i++)
		if (strcmp(p->options[i].key, key) == 0)
			return &p->options[i];
	return NULL;
}

static const char *origin_of(const dal_option *opt)
{
	return opt->origin ? opt->origin : "option";
}

int dal_option_bool(const dal_option *opt, int *out, dal_error *err)
{
	static const char *yes[] = {"1", "on", "true", "yes"};
	static const char *no[] = {"0", "off", "false", "no"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(opt->value, yes[i]) == 0)
			return *out = 1, DAL_OK;
		if (strcasecmp(opt->value, no[i]) == 0)
			return *out = 0, DAL_OK;
	}
	return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
	                     "%s: %s = '%s' is not a boolean (use on/off, true/false, yes/no, 1/0)",
	                     origin_of(opt), opt->key, opt->value);
}

int dal_option_int(const dal_option *opt, long long min, long long max,
                   long long *out, dal_error *err)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(opt->value, &end, 10);
	if (end == opt->value || *end != '\0' || errno == ERANGE)
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "%s: %s = '%s' is not an integer", origin_of(opt),
		                     opt->key, opt->value);
	if (v < min || v > max)
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "%s: %s = %lld is out of range [%lld, %lld]",
		                     origin_of(opt), opt->key, v, min, max);
	*out = v;
	return DAL_OK;
}
