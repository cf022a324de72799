/*
 * The migrations directory: file names parsed and checked, the variant for
 * the repository's backend chosen, the chosen files read and checksummed.
 * Nothing here touches the database.
 *
 * A name is NNNN_name[.<tag>]...sql where each tag is "down" or a backend
 * type; see <dal/migrate.h> for the rules and the order of preference.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "migrate_int.h"

/* Largest migration file read: a guard against pointing `migrations` at
 * the wrong directory, not a limit on real migrations. */
#define MIG_MAX_FILE (64u << 20)

/* One parsed file name. */
struct parsed {
	int64_t version;
	char name[256];
	char type[64]; /* "" for the generic file */
	int down;
};

const char *mig_base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int valid_tag(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

/* 1 if fname is a migration name (filled into *p), 0 if it is not. */
static int parse_name(const char *fname, struct parsed *p)
{
	size_t len = strlen(fname), i = 0, n;
	const char *s, *end = fname + len - 4; /* at ".sql" */

	memset(p, 0, sizeof *p);
	while (isdigit((unsigned char)fname[i]))
		i++;
	if (i == 0 || i > 18 || fname[i] != '_')
		return 0;
	p->version = strtoll(fname, NULL, 10);
	s = fname + i + 1;
	for (n = 0; s + n < end && s[n] != '.'; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '_' && s[n] != '-')
			return 0;
	if (n == 0 || n >= sizeof p->name)
		return 0;
	memcpy(p->name, s, n);
	s += n;
	while (s < end) { /* at a '.' */
		const char *t = ++s;

		while (s < end && *s != '.')
			s++;
		n = (size_t)(s - t);
		if (n == 4 && strncmp(t, "down", 4) == 0 && !p->down) {
			p->down = 1;
		} else if (valid_tag(t, n) && !p->type[0] && n < sizeof p->type) {
			memcpy(p->type, t, n);
		} else {
			return 0;
		}
	}
	return 1;
}

/* How well a file's type tag fits the repository: 3 server kind, 2 backend
 * name, 1 dialect, 0 generic; -1 another backend's. */
static int type_rank(const struct dal_migrator *m, const char *type)
{
	const char *kind = dal_repo_server_kind(m->repo), *dialect = dal_repo_dialect(m->repo);

	if (!*type)
		return 0;
	if (kind && strcmp(type, kind) == 0)
		return 3;
	if (strcmp(type, dal_repo_backend(m->repo)) == 0)
		return 2;
	if (dialect && strcmp(type, dialect) == 0)
		return 1;
	return -1;
}

/* A file as found, before choosing. */
struct found {
	struct parsed p;
	char *path;
	int rank;
};

static int cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	if (x->p.version != y->p.version)
		return x->p.version < y->p.version ? -1 : 1;
	return 0;
}

static void found_free(struct found *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i].path);
	free(f);
}

static int nomem(dal_error *err)
{
	return mig_error(err, DAL_ENOMEM, "out of memory reading the migrations directory");
}

/* List the directory into *out, checking every *.sql name. */
static int list_dir(struct dal_migrator *m, struct found **out, size_t *nout, dal_error *err)
{
	DIR *d = opendir(m->dir);
	struct found *f = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	int rc = DAL_OK;

	if (!d)
		return mig_error(err, DAL_ECONFIG, "migrations directory %s: %s", m->dir,
		                 strerror(errno));
	while (rc == DAL_OK && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		struct parsed p;

		if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".sql") != 0)
			continue;
		if (!parse_name(e->d_name, &p)) {
			rc = mig_error(err, DAL_ECONFIG,
			               "%s/%s: not a migration file name (expected NNNN_name.sql, "
			               "NNNN_name.<type>.sql, NNNN_name.down.sql or "
			               "NNNN_name.<type>.down.sql; name: letters, digits, _ and -)",
			               m->dir, e->d_name);
			break;
		}
		if (n == cap) {
			struct found *g = realloc(f, (cap = cap ? 2 * cap : 16) * sizeof *f);
			if (!g) {
				rc = nomem(err);
				break;
			}
			f = g;
		}
		f[n].p = p;
		f[n].rank = type_rank(m, p.type);
		if (asprintf(&f[n].path, "%s/%s", m->dir, e->d_name) < 0) {
			rc = nomem(err);
			break;
		}
		n++;
	}
	closedir(d);
	if (rc != DAL_OK) {
		found_free(f, n);
		return rc;
	}
	if (n)
		qsort(f, n, sizeof *f, cmp_found);
	*out = f;
	*nout = n;
	return DAL_OK;
}

int mig_read_file(const char *path, char **out, size_t *len, dal_error *err)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;
	char *buf;
	size_t n;

	*out = NULL;
	if (!fp)
		return mig_error(err, DAL_ECONFIG, "%s: %s", path, strerror(errno));
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(fp);
		return mig_error(err, DAL_ECONFIG, "%s: not a regular file", path);
	}
	if ((uintmax_t)st.st_size > MIG_MAX_FILE) {
		fclose(fp);
		return mig_error(err, DAL_ECONFIG, "%s: larger than %u MiB", path,
		                 MIG_MAX_FILE >> 20);
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		fclose(fp);
		return nomem(err);
	}
	n = fread(buf, 1, (size_t)st.st_size, fp);
	if (ferror(fp) || n != (size_t)st.st_size) {
		int e = ferror(fp) ? errno : 0;
		fclose(fp);
		free(buf);
		if (e)
			return mig_error(err, DAL_ECONFIG, "%s: read error (%s)", path, strerror(e));
		return mig_error(err, DAL_ECONFIG, "%s: read error (%zu of its %jd bytes)", path, n,
		                 (intmax_t)st.st_size);
	}
	fclose(fp);
	if (memchr(buf, '\0', n)) {
		free(buf);
		return mig_error(err, DAL_ECONFIG, "%s: contains a NUL byte (not SQL text)", path);
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return DAL_OK;
}

/* Choose the files of one version, found[lo..hi), into *mf. */
static int choose(struct dal_migrator *m, struct found *fd, size_t lo, size_t hi,
                  struct mig_file *mf, dal_error *err)
{
	int best_up = -1, best_down = -1;
	size_t up = 0, down = 0;
	const char *other = NULL;

	for (size_t i = lo; i < hi; i++) {
		if (strcmp(fd[i].p.name, fd[lo].p.name) != 0)
			return mig_error(err, DAL_ECONFIG,
			                 "migrations directory %s: version %" PRId64 " has two "
			                 "names: %s and %s", m->dir, fd[lo].p.version,
			                 mig_base(fd[lo].path), mig_base(fd[i].path));
		if (fd[i].rank < 0) {
			other = fd[i].path;
			continue;
		}
		if (!fd[i].p.down && fd[i].rank > best_up) {
			best_up = fd[i].rank;
			up = i;
		} else if (fd[i].p.down && fd[i].rank > best_down) {
			best_down = fd[i].rank;
			down = i;
		}
	}
	mf->version = fd[lo].p.version;
	if (!(mf->name = strdup(fd[lo].p.name)) ||
	    !(mf->label = strndup(mig_base(fd[lo].path), strcspn(mig_base(fd[lo].path), "."))))
		return nomem(err);
	if (best_up < 0) {
		if (best_down >= 0)
			return mig_error(err, DAL_ECONFIG, "%s: a down migration without its up "
			                 "migration", fd[down].path);
		return mig_error(err, DAL_ECONFIG,
		                 "%s: a variant for another backend only; %s (%s) needs "
		                 "%s.sql or a variant of its own", other,
		                 dal_repo_name(m->repo), dal_repo_backend(m->repo), mf->label);
	}
	mf->up = fd[up].path;
	fd[up].path = NULL;
	if (best_down >= 0) {
		mf->down = fd[down].path;
		fd[down].path = NULL;
	}
	{
		char *text;
		size_t len;
		int rc = mig_read_file(mf->up, &text, &len, err);

		if (rc != DAL_OK)
			return rc;
		mig_sha256_hex(text, len, mf->checksum);
		free(text);
	}
	return DAL_OK;
}

int mig_scan(struct dal_migrator *m, dal_error *err)
{
	struct found *fd;
	size_t n, i = 0, groups = 0;
	int rc;

	if ((rc = list_dir(m, &fd, &n, err)) != DAL_OK)
		return rc;
	for (size_t k = 0; k < n; k++)
		if (k == 0 || fd[k].p.version != fd[k - 1].p.version)
			groups++;
	m->files = calloc(groups ? groups : 1, sizeof *m->files);
	if (!m->files) {
		found_free(fd, n);
		return nomem(err);
	}
	while (i < n && rc == DAL_OK) {
		size_t j = i;

		while (j < n && fd[j].p.version == fd[i].p.version)
			j++;
		rc = choose(m, fd, i, j, &m->files[m->n_files++], err);
		i = j;
	}
	found_free(fd, n);
	return rc;
}

void mig_files_free(struct dal_migrator *m)
{
	for (size_t i = 0; i < m->n_files; i++) {
		free(m->files[i].name);
		free(m->files[i].label);
		free(m->files[i].up);
		free(m->files[i].down);
	}
	free(m->files);
	m->files = NULL;
	m->n_files = 0;
}

const struct mig_file *mig_file_find(const struct dal_migrator *m, int64_t v)
{
	for (size_t i = 0; i < m->n_files; i++)
		if (m->files[i].version == v)
			return &m->files[i];
	return NULL;
}
