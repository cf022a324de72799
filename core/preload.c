/*
 * preload.c: plugins linked into a static program (libtool -dlpreopen,
 * configure --enable-static-backends), found through libltdl's list of
 * preloaded modules instead of the file system. Searching, validation and
 * the cache stay loader.c's; this file only asks libltdl for the list and
 * opens a module from it.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include <ltdl.h>

#include "internal.h"
#include "preload.h"

/*
 * libltdl's preloaded modules: a static program linked with libtool
 * -dlpreopen backend_x.la, which has handed the list to libltdl
 * (LTDL_SET_PRELOADED_SYMBOLS() before the first lt_dlinit()). Such a plugin
 * is validated like a file and its errors are reported the same way, under
 * the path "backend_x (preloaded)". Absent is not an error. Called with
 * the loader's cache lock held.
 */
int preload_open(const char *file, const struct loaded_plugin **out, dal_error *err)
{
	lt_dladvise advise;
	lt_dlhandle h = NULL;
	struct loaded_plugin *lp;
	char path[300];

	*out = NULL;
	snprintf(path, sizeof path, "%s (preloaded)", file);
	if ((lp = loader_cached(path))) {
		*out = lp;
		return DAL_OK;
	}
	if (lt_dladvise_init(&advise) || lt_dladvise_preload(&advise)) {
		lt_dladvise_destroy(&advise);
		return dal_error_set(err, DAL_ENOMEM, "HY001", 0,
		                     "out of memory looking for preloaded plugin %s", file);
	}
	/* Only the preloaded list: never the file system (try_dir's job). */
	h = lt_dlopenadvise(file, advise);
	lt_dladvise_destroy(&advise);
	if (!h)
		return DAL_OK;
	return loader_register(path, h, out, err);
}

/* The module names (backend_*) of the preloaded plugins, for the alias scan
 * and dal_plugin_list(). libltdl offers them only through a callback
 * without user data, hence the static; the loader's cache lock is held. */
static struct strbuf *preloaded_acc;

static int note_preloaded(lt_dlhandle h)
{
	const lt_dlinfo *info = lt_dlgetinfo(h);

	if (info && info->name && strncmp(info->name, "backend_", 8) == 0)
		sb_printf(preloaded_acc, "%s%s", preloaded_acc->len ? ":" : "", info->name);
	lt_dlclose(h);
	return 0;
}

/* ':'-separated into *names (empty: none). Called with the loader's cache
 * lock held. */
void preload_names(struct strbuf *names)
{
	preloaded_acc = names;
	/* NULL: the program's own list. Fails when there is none: no plugins. */
	(void)lt_dlpreload_open(NULL, note_preloaded);
	preloaded_acc = NULL;
}
