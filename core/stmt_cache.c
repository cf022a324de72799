/*
 * The statement cache: statements the application closed stay prepared on
 * their connection (statement_cache_size of them, most recently closed
 * first), keyed by the application's SQL text, so that preparing the same
 * SQL again on that connection costs a lookup instead of a prepare (on a
 * server, a round trip). The cache belongs to the pooled connection: it
 * survives dal_conn_release() and dies with the connection, so a replaced
 * connection (recycled, broken, closed) starts empty.
 *
 * Schema changes: a statement prepared before a table was altered may
 * describe columns that no longer exist (and a server may refuse to run
 * it). Every statement that can change the schema (CREATE, ALTER, DROP,
 * RENAME, and PostgreSQL's DISCARD and DEALLOCATE, which drop server-side
 * statements), run through any connection of the repository, bumps the
 * repository's schema epoch; a cached statement of an older epoch is
 * finalized instead of reused. DDL run by another process is not seen:
 * docs/pool.md says what happens then.
 *
 * Threading: a connection's cache is touched only by the thread holding
 * the connection; the epoch and the counters are atomics of the shared
 * repository.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define BUMP(x) __atomic_fetch_add(&(x), 1, __ATOMIC_RELAXED)

uint64_t stmt_sql_hash(const char *sql)
{
	uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
		h = (h ^ *p) * 0x100000001b3u;
	return h;
}

/* Skip blanks, parentheses and comments. */
static const char *skip_blank(const char *p)
{
	for (;;) {
		while (isspace((unsigned char)*p) || *p == '(')
			p++;
		if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");
			p = e ? e + 2 : p + strlen(p);
		} else {
			return p;
		}
	}
}

static int starts_ddl(const char *p)
{
	static const char *const words[] = {
		"CREATE", "ALTER", "DROP", "RENAME", "DISCARD", "DEALLOCATE", NULL,
	};

	p = skip_blank(p);
	for (int i = 0; words[i]; i++) {
		size_t n = strlen(words[i]);
		if (strncasecmp(p, words[i], n) == 0 && !isalnum((unsigned char)p[n]) &&
		    p[n] != '_')
			return 1;
	}
	return 0;
}

int stmt_sql_is_ddl(const char *sql, int script)
{
	if (starts_ddl(sql))
		return 1;
	/* A script: each statement after a ';' too. Quotes are not parsed: a
	 * ';' inside a literal at worst makes a false alarm, which costs
	 * re-preparing the cached statements. */
	for (const char *p = sql; script && (p = strchr(p, ';')); p++)
		if (starts_ddl(p + 1))
			return 1;
	return 0;
}

void stmt_schema_changed(dal_repo *r)
{
	BUMP(r->schema_epoch);
}

/* Unlink s from its connection's cache. */
static void cache_unlink(dal_conn *c, dal_stmt *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		c->cache = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
	c->n_cached--;
}

static void cache_drop(dal_conn *c, dal_stmt *s)
{
	cache_unlink(c, s);
	s->ops.finalize.fn(s->ops.finalize.h);
	stmt_free(s);
}

dal_stmt *stmt_cache_take(dal_conn *c, const char *sql, uint64_t hash)
{
	dal_repo *r = c->repo;
	dal_stmt *s;

	for (s = c->cache; s; s = s->next)
		if (s->sql_hash == hash && strcmp(s->sql, sql) == 0)
			break;
	if (!s || s->epoch != LOAD(r->schema_epoch)) {
		if (s)
			cache_drop(c, s);
		BUMP(r->cache_misses);
		return NULL;
	}
	cache_unlink(c, s);
	/* As freshly prepared: every parameter NULL. A failure here (out of
	 * memory in a backend) makes it a miss. */
	{
		dal_value null = {.type = DAL_TYPE_NULL};
		for (unsigned p = 1; p <= s->npos; p++)
			if (s->ops.bind.fn(s->ops.bind.h, p, &null, &s->err) != DAL_OK) {
				s->ops.finalize.fn(s->ops.finalize.h);
				stmt_free(s);
				BUMP(r->cache_misses);
				return NULL;
			}
	}
	s->state = STMT_READY;
	s->batched = 0;
	dal_error_clear(&s->err);
	BUMP(r->cache_hits);
	return s;
}

int stmt_cache_put(dal_stmt *s)
{
	dal_conn *c = s->conn;
	dal_repo *r = c->repo;
	dal_error e;

	if (!r->cache_size || !s->sql || c->broken || s->epoch != LOAD(r->schema_epoch))
		return 0;
	/* Ready for its next user: unread rows dropped (which frees a
	 * server connection held by a streamed result). */
	if (s->ops.reset.fn(s->ops.reset.h, &e) != DAL_OK)
		return 0;
	s->prev = NULL;
	s->next = c->cache;
	if (c->cache)
		c->cache->prev = s;
	c->cache = s;
	c->n_cached++;
	/* Over the limit: the least recently closed goes. */
	if (c->n_cached > r->cache_size) {
		dal_stmt *last = c->cache;
		while (last->next)
			last = last->next;
		cache_drop(c, last);
	}
	return 1;
}

void stmt_cache_clear(dal_conn *c)
{
	while (c->cache)
		cache_drop(c, c->cache);
}

int dal_repo_statement_cache_stats(const dal_repo *r, uint64_t *hits, uint64_t *misses)
{
	if (hits)
		*hits = r ? LOAD(r->cache_hits) : 0;
	if (misses)
		*misses = r ? LOAD(r->cache_misses) : 0;
	return r ? DAL_OK : DAL_EMISUSE;
}
