/*
 * Internal to the plugin loader (loader.c, preload.c): what the two files
 * share. Every function here is called with the loader's cache lock held.
 */
#ifndef DAL_CORE_PRELOAD_H
#define DAL_CORE_PRELOAD_H

#include <ltdl.h>

#include "loader.h"
#include "strbuf.h"

/* loader.c: the cached plugin loaded from path, or NULL. */
struct loaded_plugin *loader_cached(const char *path);

/* loader.c: find the entry point in h, validate the registration and cache
 * it under path. Takes ownership of h (closed on failure). */
int loader_register(const char *path, lt_dlhandle h, const struct loaded_plugin **out,
                    dal_error *err);

/* preload.c: the preloaded module `file` (backend_x), validated and cached
 * as "backend_x (preloaded)". *out = NULL and DAL_OK when the program has
 * no such module. */
int preload_open(const char *file, const struct loaded_plugin **out, dal_error *err);

/* preload.c: the module names (backend_*) of the preloaded plugins,
 * ':'-separated into *names (empty: none). */
void preload_names(struct strbuf *names);

#endif
