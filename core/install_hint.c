/*
 * The packager's advice in the "no plugin for database type" error
 * (configure --with-missing-plugin-hint and --with-packaged-backends, e.g.
 * set by debian/rules): which package provides a missing backend. Kept
 * apart from the loader because it is build configuration, not loading.
 */
#include <stdio.h>
#include <string.h>

#ifndef DAL_HINT_TEST /* tests/test_hint.c compiles this file with its own */
#include "config.h"     /* DAL_MISSING_PLUGIN_HINT, DAL_PACKAGED_BACKENDS */
#endif
#include "loader.h"

/*
 * " (install the package libdal-backend-mysql)": the packager's advice for a
 * type without plugin (configure --with-missing-plugin-hint, for the types
 * of --with-packaged-backends, an alias naming its backend), or "" when
 * there is none for this type. The core itself knows no backend names.
 */
void loader_install_hint(const char *type, char *buf, size_t size)
{
	buf[0] = '\0';
#ifdef DAL_MISSING_PLUGIN_HINT
	const char *list = DAL_PACKAGED_BACKENDS, *name = type;
	size_t tlen = strlen(type), nlen = tlen;
	char backend[65];

	if (strspn(list, " ") != strlen(list)) {
		/* " sqlite sqlite3=sqlite mysql ": find " type " or " type=x ". */
		const char *p = list;
		name = NULL;
		while ((p = strstr(p, type))) {
			if (p[-1] == ' ' && (p[tlen] == ' ' || p[tlen] == '=')) {
				name = p[tlen] == '=' ? p + tlen + 1 : type;
				nlen = p[tlen] == '=' ? strcspn(name, " ") : tlen;
				break;
			}
			p += tlen;
		}
		if (!name)
			return;
	}
	snprintf(backend, sizeof backend, "%.*s", (int)nlen, name);
	/* A literal: the compiler checks the packager's format. */
	snprintf(buf, size, " (" DAL_MISSING_PLUGIN_HINT ")", backend);
#else
	(void)type;
	(void)size;
#endif
}
