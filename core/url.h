/*
 * Internal: database URL parsing (liburiparser).
 *
 * File databases (DAL_KIND_FILE), in the SQLAlchemy convention:
 *   TYPE:///rel.db   TYPE:////abs/path.db   TYPE:rel.db   TYPE:///:memory:
 * Database servers (DAL_KIND_SERVER):
 *   TYPE://user:pass@host:3306/db?opt=v
 *   TYPE://user:pass@h1:5432,h2/db?sslmode=require
 * TYPE may carry a SQLAlchemy driver suffix, "mysql+pymysql", kept apart in
 * `driver` (and ignored by libdal). Which types exist is the plugins' say.
 *
 * User, password and query values are percent-decoded. No message ever
 * contains the password: errors quote the URL with its password as ***.
 */
#ifndef DAL_CORE_URL_H
#define DAL_CORE_URL_H

#include <stddef.h>

#include <dal/error.h>

struct url_option {
	char *key;
	char *value;
};

struct dal_url {
	char *scheme;   /* lower-case, as written, without +driver: "postgres" */
	char *driver;   /* the SQLAlchemy driver suffix ("psycopg2"), or NULL */
	char *user;     /* decoded, or NULL */
	char *password; /* decoded, or NULL */
	char *host;     /* NULL for files; "h1,h2" for several hosts */
	unsigned port;  /* 0 if absent */
	char *path;     /* files: the path as written (may be relative);
	                   servers: database name without '/', or NULL */
	struct url_option *options;
	size_t n_options;
};

/* The scheme of url without any +driver, lower-case, into buf[size]: what
 * selects the plugin, before the URL can be parsed by its kind. DAL_ECONFIG
 * naming origin when there is none. */
int url_scheme(const char *url, const char *origin, char *buf, size_t size, dal_error *err);

/* Parse url, a URL of a backend of `kind` (enum dal_backend_kind), into
 * *out. On error returns DAL_ECONFIG with a message naming `origin` (e.g.
 * "DB_URL") and what is wrong; *out is then empty. */
int url_parse(const char *url, const char *origin, int kind, struct dal_url *out,
              dal_error *err);

/* Free what url_parse() allocated. Safe on a zeroed struct. */
void url_free(struct dal_url *u);

/* Where the password sits in url: [*start, *end), or 0 if there is none.
 * Errs on the side of hiding too much (url_redact.c). */
int url_find_password(const char *url, size_t *start, size_t *end);

/* Copy url into buf with any password replaced by ***; always NUL-terminates. */
void url_redact(const char *url, char *buf, size_t size);

#endif
