/*
 * The plugin kit: what every backend would otherwise write again, exported
 * by libdal so that third-party backends get the same help as the shipped
 * ones. The entry-point check, option tables parsed against a backend's
 * declaration, and deferred releases. (Option lookup and typed parsing of a
 * single option, and host lists, are in params.c.)
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <dal/plugin.h>

#include "strbuf.h"

uint32_t dal_plugin_abi(void)
{
	return DAL_PLUGIN_ABI_VERSION;
}

/* This function is compiled into libdal, so DAL_PLUGIN_ABI_MAJOR here is the
 * core's; the plugin's major is in reg. */
const struct dal_plugin *dal_plugin_accept(uint32_t core_abi, const struct dal_plugin *reg,
                                           dal_error *err)
{
	if (!reg)
		return NULL;
	if (DAL_ABI_MAJOR_OF(core_abi) != DAL_ABI_MAJOR_OF(reg->abi_version)) {
		dal_error_set(err, DAL_EPLUGIN_ABI, NULL, 0,
		              "backend '%s' was built for plugin ABI %u.%u; the core speaks %u.%u",
		              reg->name ? reg->name : "?", DAL_ABI_MAJOR_OF(reg->abi_version),
		              DAL_ABI_MINOR_OF(reg->abi_version), DAL_ABI_MAJOR_OF(core_abi),
		              DAL_ABI_MINOR_OF(core_abi));
		return NULL;
	}
	return reg;
}

static int choice_index(const char *const *choices, const char *value)
{
	for (int i = 0; choices && choices[i]; i++)
		if (strcasecmp(choices[i], value) == 0)
			return i;
	return -1;
}

static void list_choices(struct strbuf *sb, const char *const *choices)
{
	for (int i = 0; choices && choices[i]; i++)
		sb_printf(sb, "%s%s", i ? ", " : "", choices[i]);
}

/* Convert one text value per spec into *v. opt is NULL for a default,
 * whose errors are the plugin author's, reported as such. */
static int convert(const struct dal_option_spec *sp, const dal_option *opt, const char *backend,
                   struct dal_option_value *v, dal_error *err)
{
	dal_option def = {sp->key, v->text, "the plugin's default"};
	const dal_option *o = opt ? opt : &def;
	struct strbuf sb = {0};
	int rc;

	switch (sp->type) {
	case DAL_OPTION_TEXT:
		return DAL_OK;
	case DAL_OPTION_BOOL: {
		int b = 0;
		rc = dal_option_bool(o, &b, err);
		v->i = b;
		return rc;
	}
	case DAL_OPTION_INT:
		return dal_option_int(o, sp->min, sp->max, &v->i, err);
	case DAL_OPTION_CHOICE:
		v->choice = choice_index(sp->choices, o->value);
		if (v->choice >= 0)
			return DAL_OK;
		list_choices(&sb, sp->choices);
		rc = dal_error_set(err, DAL_ECONFIG, "HY000", 0, "%s: %s option %s = '%s' is not one of %s",
		                   dal_option_origin(o), backend, sp->key, o->value,
		                   sb.data ? sb.data : "(none)");
		sb_free(&sb);
		return rc;
	default:
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "%s option %s: the plugin declares unknown type %u", backend,
		                     sp->key, (unsigned)sp->type);
	}
}

int dal_options_parse(const struct dal_connect_params *p, const char *backend,
                      const struct dal_option_spec *specs, size_t n_specs,
                      struct dal_option_value *out, dal_error *err)
{
	size_t n = p ? p->n_options : 0;
	int rc;

	if (!backend)
		backend = "backend";
	/* Unknown keys first: a typo must be reported as such, not as a side
	 * effect of whichever known option happens to come first. */
	for (size_t i = 0; i < n; i++) {
		const dal_option *o = &p->options[i];
		size_t k;

		for (k = 0; k < n_specs && strcmp(specs[k].key, o->key) != 0; k++)
			;
		if (k == n_specs) {
			struct strbuf sb = {0};
			for (size_t j = 0; j < n_specs; j++)
				sb_printf(&sb, "%s%s", j ? ", " : "", specs[j].key);
			rc = dal_error_set(err, DAL_ECONFIG, "HY000", 0,
			                   "%s: unknown %s option '%s' (known: %s)",
			                   dal_option_origin(o), backend, o->key,
			                   sb.data ? sb.data : "none");
			sb_free(&sb);
			return rc;
		}
	}
	for (size_t k = 0; k < n_specs; k++) {
		struct dal_option_value *v = &out[k];

		memset(v, 0, sizeof *v);
		v->choice = -1;
		v->given = dal_params_option(p, specs[k].key);
		v->text = v->given ? v->given->value : specs[k].default_value;
		if (v->text && (rc = convert(&specs[k], v->given, backend, v, err)) != DAL_OK)
			return rc;
	}
	return DAL_OK;
}

int dal_defer_push(dal_defer_list *l, void *item)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		void **p = realloc(l->items, cap * sizeof *p);
		if (!p)
			return DAL_ENOMEM;
		l->items = p;
		l->cap = cap;
	}
	l->items[l->n++] = item;
	return DAL_OK;
}

void dal_defer_drain(dal_defer_list *l, void (*fn)(void *item, void *ud), void *ud)
{
	for (size_t i = 0; i < l->n; i++)
		fn(l->items[i], ud);
	l->n = 0;
}

void dal_defer_free(dal_defer_list *l)
{
	free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}
