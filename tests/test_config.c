/* Check suite for INI parsing (core/config.c): syntax, warnings, errors. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dal/dal.h>

#include "cfgfile.h"
#include "testutil.h"

static dal_config *parse_ok(const char *text)
{
	dal_config *cfg = NULL;
	dal_error e;
	int rc = dal_config_parse(&cfg, text, "t.ini", &e);

	ck_assert_msg(rc == DAL_OK, "parse failed: %s", e.message);
	ck_assert_int_eq(e.code, DAL_OK);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

static void parse_bad(const char *text, dal_error *e)
{
	dal_config *cfg = (dal_config *)1;
	int rc = dal_config_parse(&cfg, text, "t.ini", e);

	ck_assert_int_eq(rc, DAL_ECONFIG);
	ck_assert_int_eq(e->code, DAL_ECONFIG);
	ck_assert_ptr_null(cfg);
}

static const char *value(const dal_config *cfg, const char *sec, const char *key)
{
	const struct config_entry *e = config_find(cfg, sec, key);
	return e ? e->value : NULL;
}

static size_t n_warnings(const dal_config *cfg)
{
	size_t n = 0;
	while (dal_config_warning(cfg, n))
		n++;
	return n;
}

START_TEST(test_config_sections_keys_and_lines)
{
	dal_config *cfg = parse_ok("; comment\n"
	                           "[dal]\n"
	                           "default = main\n"
	                           "\n"
	                           "[main]\n"
	                           "type = sqlite   ; trailing comment\n"
	                           "path = app.db\n"
	                           "[main.sqlite]\n"
	                           "journal_mode = WAL\n"
	                           "[empty]\n");
	const struct config_entry *e;

	ck_assert_str_eq(value(cfg, "dal", "default"), "main");
	ck_assert_str_eq(value(cfg, "main", "type"), "sqlite");
	ck_assert_str_eq(value(cfg, "main", "path"), "app.db");
	ck_assert_str_eq(value(cfg, "main.sqlite", "journal_mode"), "WAL");
	e = config_find(cfg, "main", "path");
	ck_assert_uint_eq(e->line, 7);
	ck_assert(config_has_section(cfg, "empty"));
	ck_assert(!config_has_section(cfg, "other"));
	ck_assert_ptr_null(value(cfg, "main", "host"));
	ck_assert_uint_eq(n_warnings(cfg), 0);
	dal_config_free(cfg);
}
END_TEST

START_TEST(test_config_indented_keys_are_not_continuations)
{
	/* An indented key must not be glued onto the previous value. */
	dal_config *cfg = parse_ok("[main]\n"
	                           "password = s3cret\n"
	                           "    host = db.internal\n"
	                           "[ spaced ]\n"
	                           "\tport = 5\n");

	ck_assert_str_eq(value(cfg, "main", "password"), "s3cret");
	ck_assert_str_eq(value(cfg, "main", "host"), "db.internal");
	ck_assert_str_eq(value(cfg, "spaced", "port"), "5");
	dal_config_free(cfg);
}
END_TEST

START_TEST(test_config_unknown_key_warns_with_file_line)
{
	dal_config *cfg = parse_ok("[main]\n"
	                           "type = sqlite\n"
	                           "pool_sise = 3\n"
	                           "[dal]\n"
	                           "plugin_directory = x\n"
	                           "[main.sqlite]\n"
	                           "anything_goes = 1\n");

	ck_assert_uint_eq(n_warnings(cfg), 2);
	ck_assert_str_eq(dal_config_warning(cfg, 0), "t.ini:3: unknown key 'pool_sise' in [main]");
	ck_assert_str_eq(dal_config_warning(cfg, 1),
	                 "t.ini:5: unknown key 'plugin_directory' in [dal]");
	/* The value is kept: warnings never lose data. */
	ck_assert_str_eq(value(cfg, "main", "pool_sise"), "3");
	ck_assert_ptr_null(dal_config_warning(cfg, 2));
	dal_config_free(cfg);
}
END_TEST

START_TEST(test_config_repeated_key_last_wins_with_warning)
{
	dal_config *cfg = parse_ok("[main]\nport = 1\nport = 2\n");

	ck_assert_str_eq(value(cfg, "main", "port"), "2");
	ck_assert_uint_eq(n_warnings(cfg), 1);
	ck_assert_msg(tu_contains(dal_config_warning(cfg, 0), "t.ini:3:") &&
	                  tu_contains(dal_config_warning(cfg, 0), "first at line 2"),
	              "%s", dal_config_warning(cfg, 0));
	dal_config_free(cfg);
}
END_TEST

START_TEST(test_config_key_outside_section_warns)
{
	dal_config *cfg = parse_ok("type = mysql\n[main]\n");

	ck_assert_uint_eq(n_warnings(cfg), 1);
	ck_assert_msg(tu_contains(dal_config_warning(cfg, 0), "t.ini:1: key 'type' outside"),
	              "%s", dal_config_warning(cfg, 0));
	dal_config_free(cfg);
}
END_TEST

START_TEST(test_config_syntax_errors_name_the_line)
{
	static const struct {
		const char *text, *where, *what;
	} cases[] = {
		{"[main]\ntype = sqlite\njust words\n", "t.ini:3: syntax error", NULL},
		{"[main\ntype = sqlite\n", "t.ini:1: syntax error", NULL},
		{"[main]\n= value\n", "t.ini:2: syntax error", "missing key name"},
		{"[]\n", "t.ini:1: syntax error", "empty section name"},
		{"[ok]\n[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n",
		 "t.ini:2: syntax error", "longer than"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		dal_error e;

		parse_bad(cases[i].text, &e);
		ck_assert_msg(tu_contains(e.message, cases[i].where), "case %zu: %s", i, e.message);
		if (cases[i].what)
			ck_assert_msg(tu_contains(e.message, cases[i].what), "case %zu: %s", i,
			              e.message);
	}
}
END_TEST

START_TEST(test_config_long_line_refused)
{
	char *text = malloc(10000);
	dal_error e;

	strcpy(text, "[main]\npath = ");
	memset(text + strlen(text), 'x', 9000);
	text[14 + 9000] = '\0';
	strcat(text, "\n");
	parse_bad(text, &e);
	ck_assert_msg(tu_contains(e.message, "t.ini:2: syntax error: line too long"), "%s",
	              e.message);
	free(text);
}
END_TEST

START_TEST(test_config_load_file_and_path)
{
	char *dir = tu_mkdtemp();
	char *path = tu_write_file(dir, "x.ini", "\xEF\xBB\xBF[main]\ntype = sqlite\n");
	dal_config *cfg = NULL;
	dal_error e;

	ck_assert_int_eq(dal_config_load(&cfg, path, &e), DAL_OK);
	ck_assert_str_eq(dal_config_path(cfg), path);
	/* A UTF-8 byte order mark does not become part of the section name. */
	ck_assert(config_has_section(cfg, "main"));
	dal_config_free(cfg);
	free(path);
	tu_rmtree(dir);
}
END_TEST

/* inih drops a byte order mark at the start of line 1 as the reader hands it
 * over, so the reader skips any mix of marks and blanks there too: the
 * section after them is recorded (found by fuzz_ini: it was parsed but
 * unknown to config_has_section(), so `-r x` said "not found"). */
START_TEST(test_config_marks_and_blanks_before_first_section)
{
	static const char *const texts[] = {
		"\xEF\xBB\xBF\xEF\xBB\xBF[x]\nk=v\n",
		"\t\xEF\xBB\xBF[x]\nk=v\n",
		" \xEF\xBB\xBF \xEF\xBB\xBF [x]\nk=v\n",
	};

	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		dal_config *cfg;
		dal_error e;

		ck_assert_int_eq(dal_config_parse(&cfg, texts[i], "t.ini", &e), DAL_OK);
		ck_assert_msg(config_has_section(cfg, "x"), "case %zu", i);
		ck_assert_ptr_nonnull(config_find(cfg, "x", "k"));
		dal_config_free(cfg);
	}
}
END_TEST

START_TEST(test_config_load_missing_file)
{
	dal_config *cfg = (dal_config *)1;
	dal_error e;

	ck_assert_int_eq(dal_config_load(&cfg, "/nonexistent/dal.ini", &e), DAL_ECONFIG);
	ck_assert_ptr_null(cfg);
	ck_assert_str_eq(e.message,
	                 "cannot read config file '/nonexistent/dal.ini': No such file or directory");
}
END_TEST

START_TEST(test_config_load_unreadable_and_binary_files)
{
	char *dir = tu_mkdtemp();
	char *bin = tu_write_file(dir, "bin.ini", "[main]\n");
	dal_config *cfg = NULL;
	dal_error e;
	FILE *f;

	/* A directory is not a config file. */
	ck_assert_int_eq(dal_config_load(&cfg, dir, &e), DAL_ECONFIG);
	ck_assert_msg(tu_contains(e.message, dir), "%s", e.message);
	f = fopen(bin, "ab");
	fwrite("a\0b", 1, 3, f);
	fclose(f);
	ck_assert_int_eq(dal_config_load(&cfg, bin, &e), DAL_ECONFIG);
	ck_assert_msg(tu_contains(e.message, "NUL byte"), "%s", e.message);
	if (geteuid() != 0) { /* root reads any file */
		char *p = tu_write_file(dir, "locked.ini", "[main]\n");
		chmod(p, 0);
		ck_assert_int_eq(dal_config_load(&cfg, p, &e), DAL_ECONFIG);
		ck_assert_msg(tu_contains(e.message, "Permission denied"), "%s", e.message);
		free(p);
	}
	free(bin);
	tu_rmtree(dir);
}
END_TEST

START_TEST(test_config_load_uses_dal_config_env)
{
	char *dir = tu_mkdtemp();
	char *path = tu_write_file(dir, "env.ini", "[envrepo]\ntype = sqlite\n");
	dal_config *cfg = NULL;
	dal_error e;

	setenv("DAL_CONFIG", path, 1);
	ck_assert_int_eq(dal_config_load(&cfg, NULL, &e), DAL_OK);
	ck_assert(config_has_section(cfg, "envrepo"));
	dal_config_free(cfg);
	/* An explicit path beats the variable. */
	setenv("DAL_CONFIG", "/nonexistent.ini", 1);
	ck_assert_int_eq(dal_config_load(&cfg, path, &e), DAL_OK);
	dal_config_free(cfg);
	ck_assert_int_eq(dal_config_load(&cfg, NULL, &e), DAL_ECONFIG);
	ck_assert_msg(tu_contains(e.message, "/nonexistent.ini"), "%s", e.message);
	unsetenv("DAL_CONFIG");
	free(path);
	tu_rmtree(dir);
}
END_TEST

/* A FIFO (or device) as the config file is refused at once: opening it
 * for reading used to wait for a writer forever. */
START_TEST(test_config_fifo_refused_not_waited_on)
{
	char *dir = tu_mkdtemp();
	char path[4200];
	dal_config *cfg = (dal_config *)1;
	dal_error e;

	snprintf(path, sizeof path, "%s/fifo.ini", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(dal_config_load(&cfg, path, &e), DAL_ECONFIG);
	ck_assert_msg(tu_contains(e.message, "not a regular file"), "%s", e.message);
	ck_assert_msg(tu_contains(e.message, path), "%s", e.message);
	ck_assert_int_eq(dal_config_load(&cfg, dir, &e), DAL_ECONFIG); /* a directory */
	ck_assert_msg(tu_contains(e.message, "not a regular file"), "%s", e.message);
	tu_rmtree(dir);
}
END_TEST

/* Parsing is linear in the file's size: a 1 MiB file of ~100,000 distinct
 * keys in many sections parses well within the test's timeout (it took over
 * a minute when every key was compared with all earlier ones). */
START_TEST(test_config_many_keys_parse_in_linear_time)
{
	size_t cap = 1024 * 1024, len = 0;
	char *text = malloc(cap + 64);
	dal_config *cfg;
	dal_error e;
	unsigned i = 0;

	ck_assert_ptr_nonnull(text);
	while (len < cap - 64) {
		if (i % 50 == 0)
			len += (size_t)snprintf(text + len, 64, "[s%u]\n", i);
		len += (size_t)snprintf(text + len, 64, "k%u = v\n", i);
		i++;
	}
	ck_assert_int_eq(dal_config_parse(&cfg, text, "big.ini", &e), DAL_OK);
	ck_assert_ptr_nonnull(dal_config_warning(cfg, i - 1)); /* every key warned once */
	ck_assert_ptr_null(dal_config_warning(cfg, i));
	dal_config_free(cfg);
	free(text);
}
END_TEST

START_TEST(test_config_misuse)
{
	dal_config *cfg = (dal_config *)1;
	dal_error e;

	ck_assert_int_eq(dal_config_parse(NULL, "", NULL, &e), DAL_EMISUSE);
	ck_assert_int_eq(dal_config_parse(&cfg, NULL, NULL, &e), DAL_EMISUSE);
	ck_assert_ptr_null(cfg);
	ck_assert_int_eq(dal_config_load(NULL, NULL, &e), DAL_EMISUSE);
	/* NULL error pointers are allowed everywhere. */
	ck_assert_int_eq(dal_config_parse(&cfg, "[x\n", NULL, NULL), DAL_ECONFIG);
	dal_config_free(NULL);
	ck_assert_ptr_null(dal_config_path(NULL));
	ck_assert_ptr_null(dal_config_warning(NULL, 0));
}
END_TEST

START_TEST(test_config_shipped_ini_is_clean)
{
	dal_config *cfg = NULL;
	dal_error e;

	ck_assert_int_eq(dal_config_load(&cfg, TOP_SRCDIR "/etc/dal.ini", &e), DAL_OK);
	ck_assert_msg(n_warnings(cfg) == 0, "warning: %s", dal_config_warning(cfg, 0));
	ck_assert_str_eq(value(cfg, "dal", "default"), "main");
	ck_assert_str_eq(value(cfg, "main", "type"), "sqlite");
	dal_config_free(cfg);
}
END_TEST

START_TEST(test_config_fuzz_never_crashes)
{
	/* Random bytes drawn from INI punctuation: parsing either succeeds or
	 * fails with DAL_ECONFIG, and never crashes (ASan watches). */
	static const char alphabet[] = "[]=;:#\n \t.ab\"'\\";
	char text[256];
	unsigned seed = 12345;

	for (int round = 0; round < 5000; round++) {
		dal_config *cfg = NULL;
		size_t n = (size_t)(rand_r(&seed) % (sizeof text - 1));
		int rc;

		for (size_t i = 0; i < n; i++)
			text[i] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
		text[n] = '\0';
		rc = dal_config_parse(&cfg, text, NULL, NULL);
		ck_assert(rc == DAL_OK || rc == DAL_ECONFIG);
		ck_assert(rc == DAL_OK ? cfg != NULL : cfg == NULL);
		dal_config_free(cfg);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	SRunner *sr;
	int failed;

	tu_clear_env();
	tcase_add_test(tc, test_config_sections_keys_and_lines);
	tcase_add_test(tc, test_config_indented_keys_are_not_continuations);
	tcase_add_test(tc, test_config_unknown_key_warns_with_file_line);
	tcase_add_test(tc, test_config_repeated_key_last_wins_with_warning);
	tcase_add_test(tc, test_config_key_outside_section_warns);
	tcase_add_test(tc, test_config_syntax_errors_name_the_line);
	tcase_add_test(tc, test_config_long_line_refused);
	tcase_add_test(tc, test_config_load_file_and_path);
	tcase_add_test(tc, test_config_load_missing_file);
	tcase_add_test(tc, test_config_load_unreadable_and_binary_files);
	tcase_add_test(tc, test_config_load_uses_dal_config_env);
	tcase_add_test(tc, test_config_fifo_refused_not_waited_on);
	tcase_add_test(tc, test_config_many_keys_parse_in_linear_time);
	tcase_add_test(tc, test_config_marks_and_blanks_before_first_section);
	tcase_add_test(tc, test_config_misuse);
	tcase_add_test(tc, test_config_shipped_ini_is_clean);
	tcase_add_test(tc, test_config_fuzz_never_crashes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
