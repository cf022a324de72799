/*
 * The INI configuration file: reading it (inih), remembering every entry with
 * its file:line, and warning about keys nobody reads. What a key means and
 * which value wins is settings.c's job; this file only knows the list of
 * known keys.
 */
#define _GNU_SOURCE
#include "cfgfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include <dal/plugin.h>

#include "internal.h"
#include "settings.h"

#ifndef DAL_SYSCONFDIR
#error "DAL_SYSCONFDIR must be defined (the build passes -DDAL_SYSCONFDIR)"
#endif

/* A configuration file is a few hundred bytes; anything this big is a
 * mistake (a database file given as config, say), not a config. */
#define CONFIG_MAX_SIZE (1024 * 1024)

/* inih copies the section name into a 50-byte buffer and silently cuts
 * longer names; we refuse them instead. */
#define SECTION_MAX 49

/* Keys of [dal]. The keys of a repository section are the setting_key names
 * plus "url". */
static const char *const dal_keys[] = {"plugin_dir", "default", NULL};

/* ------------------------------------------------------------------------ */
/* Storage                                                                   */
/* ------------------------------------------------------------------------ */

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t c;
	void *p;

	if (n < *cap)
		return 1;
	c = *cap ? *cap * 2 : 16;
	p = realloc(*arr, c * elem);
	if (!p)
		return 0;
	*arr = p;
	*cap = c;
	return 1;
}

static int add_string(char ***arr, size_t *n, size_t *cap, char *s)
{
	if (!s || !grow((void **)arr, cap, *n, sizeof **arr)) {
		free(s);
		return 0;
	}
	(*arr)[(*n)++] = s;
	return 1;
}

/*
 * Hash indexes (hindex.h) over entries (section + key -> the latest entry)
 * and sections, so that parsing and lookups take time linear in the file's
 * size whatever the number of keys.
 */
struct entry_key {
	const char *section, *key;
};

static uint64_t hash2(const char *a, const char *b)
{
	uint64_t h = hindex_hash(HINDEX_SEED, a, strlen(a));

	h = hindex_hash(h, "\xff", 1); /* a separator no name contains */
	return b ? hindex_hash(h, b, strlen(b)) : h;
}

static int entry_is(const void *ctx, size_t i, const void *key)
{
	const struct dal_config *cfg = ctx;
	const struct entry_key *k = key;

	return strcmp(cfg->entries[i].key, k->key) == 0 &&
	       strcmp(cfg->entries[i].section, k->section) == 0;
}

static uint64_t entry_hash(const void *ctx, size_t i)
{
	const struct dal_config *cfg = ctx;

	return hash2(cfg->entries[i].section, cfg->entries[i].key);
}

static int section_is(const void *ctx, size_t i, const void *name)
{
	const struct dal_config *cfg = ctx;

	return strcmp(cfg->sections[i], name) == 0;
}

static uint64_t section_hash(const void *ctx, size_t i)
{
	const struct dal_config *cfg = ctx;

	return hash2(cfg->sections[i], NULL);
}

static int add_section(struct dal_config *cfg, const char *name)
{
	if (config_has_section(cfg, name))
		return 1;
	if (!hindex_reserve(&cfg->section_index, section_hash, cfg) ||
	    !add_string(&cfg->sections, &cfg->n_sections, &cfg->cap_sections, strdup(name)))
		return 0;
	hindex_set(&cfg->section_index,
	           hindex_find(&cfg->section_index, hash2(name, NULL), section_is, cfg, name),
	           cfg->n_sections - 1);
	return 1;
}

/* Store a warning and log it. */
static int add_warning(struct dal_config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int add_warning(struct dal_config *cfg, const char *fmt, ...)
{
	va_list ap;
	char *w;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&w, fmt, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	dal_log_emit(DAL_LOG_WARN, "%s", w);
	return add_string(&cfg->warnings, &cfg->n_warnings, &cfg->cap_warnings, w);
}

const struct config_entry *config_find(const struct dal_config *cfg,
                                       const char *section, const char *key)
{
	struct entry_key k = {section, key};
	const size_t *slot;

	if (!cfg)
		return NULL;
	slot = hindex_find(&cfg->entry_index, hash2(section, key), entry_is, cfg, &k);
	return slot && *slot ? &cfg->entries[*slot - 1] : NULL;
}

int config_has_section(const struct dal_config *cfg, const char *section)
{
	const size_t *slot;

	if (!cfg)
		return 0;
	slot = hindex_find(&cfg->section_index, hash2(section, NULL), section_is, cfg, section);
	return slot && *slot;
}

static int is_known_key(const char *section, const char *key)
{
	if (strcmp(section, "dal") == 0) {
		for (const char *const *k = dal_keys; *k; k++)
			if (strcmp(*k, key) == 0)
				return 1;
		return 0;
	}
	/* [repo.backend]: passed through, the backend validates. */
	if (strchr(section, '.'))
		return 1;
	if (strcmp(key, "url") == 0 || strcmp(key, "env_prefix") == 0)
		return 1;
	for (int k = 0; k < SK__COUNT; k++)
		if (strcmp(settings_key_name((enum setting_key)k), key) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                   */
/* ------------------------------------------------------------------------ */

/* State shared by the line reader and the inih handler. inih reads one line,
 * then calls the handler for it, so `line` is the handler's line number. */
struct parse_state {
	struct dal_config *cfg;
	const char *text; /* rest of the input */
	unsigned line;    /* line last handed to inih (1-based) */
	int nomem;
	/* First problem the reader found itself (inih does not see it). */
	unsigned bad_line;
	const char *bad_what;
	/* First line the handler refused (empty key). */
	unsigned empty_key_line;
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static void reader_problem(struct parse_state *st, const char *what)
{
	if (!st->bad_line) {
		st->bad_line = st->line;
		st->bad_what = what;
	}
}

/*
 * inih's fgets-like reader: hand over one physical line per call, so inih's
 * line count and ours agree and every handler call knows its line.
 *
 * Two rewrites on the way, both to keep inih from guessing:
 *  - leading blanks are dropped. inih would read an indented line as the
 *    continuation of the previous value (an indented "host = x" under a
 *    "password = ..." line would become part of the password). Indented keys
 *    are common in hand-written files; multi-line values are never needed.
 *  - "[ name ]" becomes "[name]", and the section is recorded here, so that
 *    empty sections are known too (inih reports only key = value lines).
 * A line longer than inih's buffer is refused rather than split in two.
 */
static char *read_line(char *buf, int size, void *stream)
{
	struct parse_state *st = stream;
	const char *p = st->text, *end;
	size_t n, max = size > 2 ? (size_t)size - 2 : 0;

	if (!*p)
		return NULL;
	st->line++;
	end = strchr(p, '\n');
	n = end ? (size_t)(end - p) : strlen(p);
	st->text = end ? end + 1 : p + n;
	/* inih drops a byte order mark at the start of what this returns for
	 * line 1, so any mix of marks and blanks there is skipped here: what
	 * inih then parses is what this reader recorded (a section header after
	 * a second mark, found by fuzz_ini). */
	for (;;) {
		if (st->line == 1 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
			p += 3;
			n -= 3;
		} else if (n && is_blank(*p)) {
			p++;
			n--;
		} else {
			break;
		}
	}
	if (n > max) {
		reader_problem(st, "line too long");
		buf[0] = '\0';
		return buf;
	}
	if (n && *p == '[') {
		const char *rb = memchr(p, ']', n);
		if (rb) {
			const char *a = p + 1, *b = rb;
			size_t len;

			while (a < b && is_blank(*a))
				a++;
			while (b > a && is_blank(b[-1]))
				b--;
			len = (size_t)(b - a);
			if (len == 0) {
				reader_problem(st, "empty section name");
			} else if (len > SECTION_MAX) {
				reader_problem(st, "section name longer than 49 characters");
			} else {
				char *name = strndup(a, len);
				if (!name || !add_section(st->cfg, name))
					st->nomem = 1;
				free(name);
			}
			/* Rebuild the header without the inner blanks, keeping
			 * whatever follows ']' (a comment, or junk inih rejects). */
			buf[0] = '[';
			memcpy(buf + 1, a, len);
			buf[len + 1] = ']';
			n = (size_t)(p + n - (rb + 1));
			memcpy(buf + len + 2, rb + 1, n);
			buf[len + 2 + n] = '\n';
			buf[len + 3 + n] = '\0';
			return buf;
		}
	}
	memcpy(buf, p, n);
	buf[n] = '\n';
	buf[n + 1] = '\0';
	return buf;
}

static int on_entry(void *user, const char *section, const char *key,
                    const char *value)
{
	struct parse_state *st = user;
	struct dal_config *cfg = st->cfg;
	const struct config_entry *prev;
	struct config_entry *e;

	if (!*key) {
		if (!st->empty_key_line)
			st->empty_key_line = st->line;
		return 0;
	}
	if (!*section) {
		if (!add_warning(cfg, "%s:%u: key '%s' outside any [section] is "
		                      "ignored", cfg->origin, st->line, key))
			st->nomem = 1;
		return 1;
	}
	if (!is_known_key(section, key)) {
		if (!add_warning(cfg, "%s:%u: unknown key '%s' in [%s]",
		                 cfg->origin, st->line, key, section))
			st->nomem = 1;
	}
	prev = config_find(cfg, section, key);
	if (prev && !add_warning(cfg, "%s:%u: '%s' in [%s] is set again (first "
	                              "at line %u); the last value wins",
	                         cfg->origin, st->line, key, section, prev->line))
		st->nomem = 1;
	if (!grow((void **)&cfg->entries, &cfg->cap_entries, cfg->n_entries,
	          sizeof *cfg->entries) ||
	    !hindex_reserve(&cfg->entry_index, entry_hash, cfg)) {
		st->nomem = 1;
		return 1;
	}
	e = &cfg->entries[cfg->n_entries];
	e->section = strdup(section);
	e->key = strdup(key);
	e->value = strdup(value ? value : "");
	e->line = st->line;
	if (!e->section || !e->key || !e->value) {
		free(e->section);
		free(e->key);
		free(e->value);
		st->nomem = 1;
		return 1;
	}
	cfg->n_entries++;
	{
		struct entry_key k = {section, key};

		/* The latest line wins. */
		hindex_set(&cfg->entry_index,
		           hindex_find(&cfg->entry_index, hash2(section, key), entry_is, cfg, &k),
		           cfg->n_entries - 1);
	}
	return 1;
}

/* The text of line n of text (1-based), without its newline, leading
 * blanks skipped; points into text. */
static const char *nth_line(const char *text, unsigned n, size_t *len)
{
	while (--n && text)
		if ((text = strchr(text, '\n')))
			text++;
	if (!text) {
		*len = 0;
		return "";
	}
	while (is_blank(*text))
		text++;
	*len = strcspn(text, "\n");
	return text;
}

/* Say what is wrong with line n, which inih refused. The line itself is not
 * quoted: it may hold a password. */
static const char *syntax_hint(const char *text, unsigned n)
{
	size_t len;
	const char *l = nth_line(text, n, &len);

	if (len && l[0] == '[' && !memchr(l, ']', len))
		return "missing ']' after the section name";
	if (len && l[0] == '[')
		return "malformed section header (a ';' comment inside the brackets?)";
	if (!memchr(l, '=', len) && !memchr(l, ':', len))
		return "expected 'key = value', '[section]' or a comment";
	return "expected 'key = value' (is a ';' comment hiding the '='?)";
}

static void config_free_parts(struct dal_config *cfg)
{
	for (size_t i = 0; i < cfg->n_entries; i++) {
		struct config_entry *e = &cfg->entries[i];
		if (strcmp(e->key, "password") == 0)
			explicit_bzero(e->value, strlen(e->value));
		free(e->section);
		free(e->key);
		free(e->value);
	}
	free(cfg->entries);
	for (size_t i = 0; i < cfg->n_sections; i++)
		free(cfg->sections[i]);
	free(cfg->sections);
	for (size_t i = 0; i < cfg->n_warnings; i++)
		free(cfg->warnings[i]);
	free(cfg->warnings);
	hindex_free(&cfg->entry_index);
	hindex_free(&cfg->section_index);
	free(cfg->path);
	free(cfg->origin);
	free(cfg->basedir);
}

/* The absolute directory holding `file` (which need not exist), or the cwd
 * when file is NULL. */
static char *absolute_dir(const char *file)
{
	char cwd[PATH_MAX], *dir, *slash, *abs;

	if (!getcwd(cwd, sizeof cwd))
		snprintf(cwd, sizeof cwd, "/");
	if (!file)
		return strdup(cwd);
	dir = strdup(file);
	if (!dir)
		return NULL;
	slash = strrchr(dir, '/');
	if (!slash) {
		free(dir);
		return strdup(cwd);
	}
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	/* realpath() of the directory, not of the file: a symlinked config
	 * resolves relative paths next to the link, where the user put it. */
	abs = realpath(dir, NULL);
	if (!abs) {
		if (dir[0] == '/')
			return dir;
		if (asprintf(&abs, "%s/%s", cwd, dir) < 0)
			abs = NULL;
	}
	free(dir);
	return abs;
}

static int parse_text(struct dal_config *cfg, const char *text, dal_error *err)
{
	struct parse_state st = {.cfg = cfg, .text = text};
	unsigned first = 0;
	const char *what = NULL;
	int rc;

	rc = ini_parse_stream(read_line, &st, on_entry, &st);
	if (st.nomem || rc == -2)
		return dal_error_set(err, DAL_ENOMEM, NULL, 0,
		                     "%s: out of memory reading the configuration",
		                     cfg->origin);
	/* Report the earliest problem, whoever found it. */
	if (rc > 0) {
		first = (unsigned)rc;
		what = syntax_hint(text, first);
	}
	if (st.empty_key_line && (!first || st.empty_key_line <= first)) {
		first = st.empty_key_line;
		what = "missing key name before '='";
	}
	if (st.bad_line && (!first || st.bad_line <= first)) {
		first = st.bad_line;
		what = st.bad_what;
	}
	if (first)
		return dal_error_set(err, DAL_ECONFIG, NULL, 0, "%s:%u: syntax error: %s",
		                     cfg->origin, first, what);
	return DAL_OK;
}

/* base: the file relative paths are resolved next to, or NULL for the cwd. */
static int config_new(struct dal_config **out, const char *path,
                      const char *origin, const char *base, dal_error *err)
{
	struct dal_config *cfg = calloc(1, sizeof *cfg);

	*out = NULL;
	if (!cfg)
		return dal_error_set(err, DAL_ENOMEM, NULL, 0,
		                     "%s: out of memory reading the configuration", origin);
	cfg->path = path ? strdup(path) : NULL;
	cfg->origin = strdup(origin);
	cfg->basedir = absolute_dir(base);
	if ((path && !cfg->path) || !cfg->origin || !cfg->basedir) {
		config_free_parts(cfg);
		free(cfg);
		return dal_error_set(err, DAL_ENOMEM, NULL, 0,
		                     "%s: out of memory reading the configuration", origin);
	}
	*out = cfg;
	return DAL_OK;
}

int dal_config_parse(dal_config **out, const char *text, const char *origin,
                     dal_error *err)
{
	int rc;

	if (!out)
		return dal_error_set(err, DAL_EMISUSE, NULL, 0,
		                     "dal_config_parse: out is NULL");
	*out = NULL;
	if (!text)
		return dal_error_set(err, DAL_EMISUSE, NULL, 0,
		                     "dal_config_parse: text is NULL");
	rc = config_new(out, NULL, origin ? origin : "<string>", origin, err);
	if (rc != DAL_OK)
		return rc;
	rc = parse_text(*out, text, err);
	if (rc != DAL_OK) {
		dal_config_free(*out);
		*out = NULL;
		return rc;
	}
	dal_error_clear(err);
	return DAL_OK;
}

/* Read a whole file; on failure returns NULL with errno set. */
FILE *open_regular_file(const char *path, int *not_regular)
{
	struct stat st;
	FILE *f;
	int fd;

	*not_regular = 0;
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	 * writer, forever. Only regular files are read at all. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		int e = errno;
		*not_regular = S_ISREG(st.st_mode) ? 0 : 1;
		close(fd);
		errno = *not_regular ? EINVAL : e;
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (!(f = fdopen(fd, "r")))
		close(fd);
	return f;
}

static char *slurp(const char *path, int *not_regular)
{
	FILE *f = open_regular_file(path, not_regular);
	char *buf;
	size_t n;
	int e;

	if (!f)
		return NULL;
	buf = malloc(CONFIG_MAX_SIZE + 1);
	if (!buf) {
		fclose(f);
		errno = ENOMEM;
		return NULL;
	}
	n = fread(buf, 1, CONFIG_MAX_SIZE + 1, f);
	e = ferror(f) ? errno : 0;
	fclose(f);
	if (e || n > CONFIG_MAX_SIZE) {
		free(buf);
		errno = e ? e : EFBIG;
		return NULL;
	}
	buf[n] = '\0';
	if (strlen(buf) != n) {
		free(buf);
		errno = EILSEQ; /* a NUL byte: not a text file */
		return NULL;
	}
	return buf;
}

int dal_config_load(dal_config **out, const char *path, dal_error *err)
{
	static const char sysconf[] = DAL_SYSCONFDIR "/dal/dal.ini";
	const char *env;
	char *text;
	int rc, not_regular = 0;

	if (!out)
		return dal_error_set(err, DAL_EMISUSE, NULL, 0,
		                     "dal_config_load: out is NULL");
	*out = NULL;
	if (!path && (env = getenv("DAL_CONFIG")) && *env)
		path = env;
	if (!path && access(sysconf, F_OK) == 0)
		path = sysconf;
	if (!path) {
		rc = config_new(out, NULL, "<no file>", NULL, err);
		if (rc == DAL_OK)
			dal_error_clear(err);
		return rc;
	}
	text = slurp(path, &not_regular);
	if (!text) {
		int e = errno;
		if (e == ENOMEM)
			return dal_error_set(err, DAL_ENOMEM, NULL, 0,
			                     "out of memory reading '%s'", path);
		return dal_error_set(err, DAL_ECONFIG, NULL, 0,
		                     "cannot read config file '%s': %s", path,
		                     not_regular ? "not a regular file (a FIFO, device or "
		                                   "directory)"
		                     : e == EFBIG ? "larger than 1 MiB, not a config file"
		                     : e == EILSEQ ? "contains a NUL byte, not a text file"
		                     : strerror(e));
	}
	rc = config_new(out, path, path, path, err);
	if (rc == DAL_OK) {
		rc = parse_text(*out, text, err);
		if (rc != DAL_OK) {
			dal_config_free(*out);
			*out = NULL;
		} else {
			dal_error_clear(err);
		}
	}
	/* The text may hold a password. */
	explicit_bzero(text, strlen(text));
	free(text);
	return rc;
}

void dal_config_free(dal_config *cfg)
{
	if (!cfg)
		return;
	config_free_parts(cfg);
	free(cfg);
}

const char *dal_config_path(const dal_config *cfg)
{
	return cfg ? cfg->path : NULL;
}

const char *dal_config_warning(const dal_config *cfg, size_t i)
{
	return cfg && i < cfg->n_warnings ? cfg->warnings[i] : NULL;
}
