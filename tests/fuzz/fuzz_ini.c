/*
 * libFuzzer target: the INI parser, dal_config_parse() (core/config.c, on
 * libinih), with the lookups settings.c makes on the result.
 *
 * Input: the INI text. Before parsing, the harness plants FUZZ_SECRET as the
 * value of every secret line (`password = ...`, `sslpassword: ...`, any key
 * naming "pass" but password_file), and then checks that neither the error
 * message nor any warning shows it (messages name lines and keys, never
 * values).
 * Checks on success: every entry is found again by config_find() (the last
 * line of a (section, key) wins), every section by config_has_section();
 * line numbers are in range; no section name is longer than 49 characters.
 * Errors are DAL_ECONFIG ("origin:line: syntax error: ...") with a line in
 * range; never DAL_ENOMEM.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>

#include "cfgfile.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dal_log_set(fuzz_log_sink, NULL);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *raw = fuzz_cstr(data, size), *text;
	dal_config *cfg = NULL;
	dal_error err;
	unsigned lines = 1;
	int planted, rc;

	fuzz_secret_planted = 0;
	text = fuzz_plant_ini(raw, &planted);
	fuzz_secret_planted = planted && !fuzz_has_secret_piece(raw);
	for (const char *c = text; *c; c++)
		lines += *c == '\n';

	memset(&err, 0, sizeof err);
	rc = dal_config_parse(&cfg, text, "fuzz.ini", &err);
	fuzz_check_message("a dal_config_parse() message", err.message);
	if (rc != DAL_OK) {
		unsigned line = 0;
		const char *colon = strstr(err.message, "fuzz.ini:");

		FUZZ_CHECK(rc == DAL_ECONFIG && !cfg, "dal_config_parse: code %d: %s", rc,
		           err.message);
		FUZZ_CHECK(colon && sscanf(colon, "fuzz.ini:%u:", &line) == 1 && line >= 1 &&
		               line <= lines,
		           "error without a line in 1..%u: %s", lines, err.message);
		goto out;
	}
	FUZZ_CHECK(cfg, "dal_config_parse: OK without a config");
	for (size_t i = 0; dal_config_warning(cfg, i); i++)
		fuzz_check_message("a warning", dal_config_warning(cfg, i));
	for (size_t i = 0; i < cfg->n_sections; i++) {
		FUZZ_CHECK(config_has_section(cfg, cfg->sections[i]), "section [%s] lost",
		           cfg->sections[i]);
		FUZZ_CHECK(*cfg->sections[i] && strlen(cfg->sections[i]) <= 49,
		           "section name '%s'", cfg->sections[i]);
	}
	/* Each section listed once (sorted copy: the check stays n log n, so
	 * that a timeout is the parser's, never the harness's). */
	if (cfg->n_sections > 1) {
		char **sorted = malloc(cfg->n_sections * sizeof *sorted);

		if (!sorted)
			abort();
		memcpy(sorted, cfg->sections, cfg->n_sections * sizeof *sorted);
		qsort(sorted, cfg->n_sections, sizeof *sorted, cmp_str);
		for (size_t i = 1; i < cfg->n_sections; i++)
			FUZZ_CHECK(strcmp(sorted[i - 1], sorted[i]) != 0, "section [%s] listed twice",
			           sorted[i]);
		free(sorted);
	}
	for (size_t i = 0; i < cfg->n_entries; i++) {
		const struct config_entry *e = &cfg->entries[i];
		const struct config_entry *f = config_find(cfg, e->section, e->key);

		FUZZ_CHECK(e->line >= 1 && e->line <= lines, "entry at line %u of %u", e->line,
		           lines);
		FUZZ_CHECK(*e->key, "empty key at line %u", e->line);
		FUZZ_CHECK(f && f >= e && strcmp(f->key, e->key) == 0 &&
		               strcmp(f->section, e->section) == 0,
		           "config_find(%s, %s) does not find line %u or a later one",
		           e->section, e->key, e->line);
		FUZZ_CHECK(i + 1 == cfg->n_entries || e->line <= cfg->entries[i + 1].line,
		           "entries out of line order");
		FUZZ_CHECK(config_has_section(cfg, e->section),
		           "entry at line %u in [%s], which is no section", e->line, e->section);
	}
	/* The lookups settings.c makes. */
	config_find(cfg, "dal", "default");
	config_find(cfg, "dal", "plugin_dir");
	config_find(cfg, "main", "url");
	config_has_section(cfg, "main");
	FUZZ_CHECK(dal_config_path(cfg) == NULL, "a parsed string has a path");
out:
	dal_config_free(cfg);
	free(text);
	free(raw);
	return 0;
}
