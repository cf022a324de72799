/*
 * Internal: the parsed INI file (struct dal_config). Owns the raw key/value
 * entries with their file:line; knows nothing about what keys mean beyond
 * the list of known keys used for "unknown key" warnings. Resolution into a
 * repository's settings is settings.c's job.
 */
#ifndef DAL_CORE_CFGFILE_H
#define DAL_CORE_CFGFILE_H

#include <stddef.h>

#include <dal/dal.h>

#include "hindex.h"

/* One `key = value` line. section is the raw section name ("main",
 * "main.sqlite", "dal"). */
struct config_entry {
	char *section;
	char *key;
	char *value;
	unsigned line;
};


struct dal_config {
	char *path;    /* file read, or NULL (string / no file) */
	char *origin;  /* name used in messages: path, or "<string>" */
	char *basedir; /* absolute directory of the file, or the cwd */
	struct config_entry *entries;
	size_t n_entries, cap_entries;
	char **sections; /* every [section] seen, in order, even if empty */
	size_t n_sections, cap_sections;
	char **warnings;
	size_t n_warnings, cap_warnings;
	struct hindex entry_index;   /* (section, key) -> latest entry */
	struct hindex section_index; /* section name -> sections[] */
};

/* Last entry for (section, key), or NULL (later lines win). */
const struct config_entry *config_find(const struct dal_config *cfg,
                                       const char *section, const char *key);

/* 1 if [section] appears in the file. */
int config_has_section(const struct dal_config *cfg, const char *section);

#endif
