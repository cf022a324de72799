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

int dal_host_next(const char **list, char *host, size_t size, unsigned *port,
                  dal_error *err)
{
	const char *p, *end, *name, *name_end, *port_text = NULL;
	size_t len;

	*port = 0;
	if (!list || !*list || !host || !size)
		return dal_error_set(err, DAL_EMISUSE, "HY000", 0, "dal_host_next: NULL argument");
	p = *list;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return 0;
	end = p;
	if (*p == '[') { /* [v6] keeps its colons and commas to itself */
		end = strchr(p, ']');
		end = end ? end + 1 : p + strlen(p);
	}
	end += strcspn(end, ",");
	*list = *end ? end + 1 : end;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	name = p;
	name_end = end;
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(end - p));
		if (!rb)
			return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
			                     "host '%.*s': missing ']'", (int)(end - p), p);
		name = p + 1;
		name_end = rb;
		if (rb + 1 < end) {
			if (rb[1] != ':')
				return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
				                     "host '%.*s': junk after ']'", (int)(end - p), p);
			port_text = rb + 2;
		}
	} else if (*p != '/') {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		/* One colon: host:port. More: a bare IPv6 address, no port. */
		if (colon && !memchr(colon + 1, ':', (size_t)(end - colon - 1))) {
			name_end = colon;
			port_text = colon + 1;
		}
	}
	len = (size_t)(name_end - name);
	if (len == 0)
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0, "empty host in the host list");
	if (len >= size)
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "host '%.*s...' is longer than %zu characters", 20, name,
		                     size - 1);
	if (port_text) {
		unsigned long v = 0;
		const char *q = port_text;

		for (; q < end && *q >= '0' && *q <= '9' && v <= 65535; q++)
			v = v * 10 + (unsigned long)(*q - '0');
		if (q == port_text || q != end || v < 1 || v > 65535)
			return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
			                     "host '%.*s': port '%.*s' is not a number in 1..65535",
			                     (int)(end - p), p, (int)(end - port_text), port_text);
		*port = (unsigned)v;
	}
	memcpy(host, name, len);
	host[len] = '\0';
	return 1;
}

const char *dal_option_origin(const dal_option *opt)
{
	return opt && opt->origin ? opt->origin : "option";
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
	                     dal_option_origin(opt), opt->key, opt->value);
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
		                     "%s: %s = '%s' is not an integer", dal_option_origin(opt),
		                     opt->key, opt->value);
	if (v < min || v > max)
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "%s: %s = %lld is out of range [%lld, %lld]",
		                     dal_option_origin(opt), opt->key, v, min, max);
	*out = v;
	return DAL_OK;
}
