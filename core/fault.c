/*
 * The fault-injection layer; see fault.h. It wraps connections and
 * statements so that each slot finds the layer's rules, counts the calls of
 * the slots it can fail, and passes everything else (column reads, server
 * info) through untouched.
 */
#define _GNU_SOURCE
#include "fault.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "layer.h"

#define MAX_RULES 8

struct fault {
	struct dal_driver table; /* .inner: the table below, .state: this */
	struct fault_rule rules[MAX_RULES];
	size_t n_rules;
	unsigned calls[FAULT__COUNT];
};

struct dal_bconn {
	struct fault *f;
	dal_bconn *inner;
	struct conn_ops below; /* the slots below, resolved once */
};

struct dal_bstmt {
	struct fault *f;
	dal_bstmt *inner;
	struct stmt_ops below;
};

static const char *const slot_names[FAULT__COUNT] = {
	"connect", "ping", "exec", "prepare", "bind", "step", "reset",
	"begin", "commit", "rollback",
};

const char *fault_slot_name(enum fault_slot slot)
{
	return (unsigned)slot < FAULT__COUNT ? slot_names[slot] : NULL;
}

/* A SQLSTATE that maps back to the same category (dal_sqlstate_category). */
static const char *state_for(int code)
{
	switch (code) {
	case DAL_ECONNECT: return "08006";
	case DAL_EAUTH: return "28000";
	case DAL_ETIMEOUT: return "57014";
	case DAL_EBUSY: return "40001";
	case DAL_ECONSTRAINT: return "23505";
	case DAL_ESYNTAX: return "42601";
	case DAL_ENOTFOUND: return "42P01";
	case DAL_EDATA: return "22000";
	case DAL_EREADONLY: return "25006";
	case DAL_ENOMEM: return "HY001";
	default: return "HY000";
	}
}

/* Count a call of slot; DAL_OK to go on, or the injected error. */
static int hit(struct fault *f, enum fault_slot slot, dal_error *err)
{
	unsigned n = ++f->calls[slot];

	for (size_t i = 0; i < f->n_rules; i++) {
		const struct fault_rule *r = &f->rules[i];
		if (r->slot == slot && n >= r->nth && (r->times == 0 || n < r->nth + r->times))
			return dal_error_set(err, r->code, state_for(r->code), 0,
			                     "injected fault: %s call %u fails with %s",
			                     slot_names[slot], n, dal_code_name(r->code));
	}
	return DAL_OK;
}

/* Forward a call to the table below (which may pass it further down). */
#define DOWN_CONN(c, slot, ...) (c)->below.slot.fn((c)->below.slot.h, ##__VA_ARGS__)
#define DOWN_STMT(s, slot, ...) (s)->below.slot.fn((s)->below.slot.h, ##__VA_ARGS__)
static int f_connect(const struct dal_driver *self, const struct dal_connect_params *p,
                     dal_bconn **out, dal_error *err)
{
	struct fault *f = self->state;
	const struct dal_driver *below = layer_connector(self->inner);
	struct dal_bconn *c;
	int rc;

	if ((rc = hit(f, FAULT_CONNECT, err)) != DAL_OK)
		return rc;
	if (!(c = malloc(sizeof *c)))
		return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory");
	c->f = f;
	if ((rc = below->connect(below, p, &c->inner, err)) != DAL_OK) {
		free(c);
		return rc;
	}
	conn_ops_resolve(&c->below, below, c->inner);
	*out = c;
	return DAL_OK;
}

static void f_disconnect(dal_bconn *c)
{
	DOWN_CONN(c, disconnect);
	free(c);
}

static dal_bconn *f_conn_inner(dal_bconn *c)
{
	return c->inner;
}

#define CONN_CALL(name, slot, SLOT)                                    \
	static int f_##name(dal_bconn *c, dal_error *err)              \
	{                                                              \
		int rc = hit(c->f, SLOT, err);                         \
		return rc != DAL_OK ? rc : DOWN_CONN(c, slot, err);    \
	}
CONN_CALL(ping, ping, FAULT_PING)
CONN_CALL(begin, begin, FAULT_BEGIN)
CONN_CALL(rollback, rollback, FAULT_ROLLBACK)

/* A failed COMMIT ends the transaction on every server libdal supports, so
 * an injected one does too: the transaction below is rolled back. */
static int f_commit(dal_bconn *c, dal_error *err)
{
	int rc = hit(c->f, FAULT_COMMIT, err);
	dal_error ignored;

	if (rc == DAL_OK)
		return DOWN_CONN(c, commit, err);
	DOWN_CONN(c, rollback, &ignored);
	return rc;
}

static int f_exec(dal_bconn *c, const char *sql, int64_t *affected, dal_error *err)
{
	int rc = hit(c->f, FAULT_EXEC, err);
	return rc != DAL_OK ? rc : DOWN_CONN(c, exec, sql, affected, err);
}

static int f_prepare(dal_bconn *c, const char *sql, size_t len, unsigned nparams,
                     dal_bstmt **out, dal_error *err)
{
	struct dal_bstmt *s;
	int rc;

	if ((rc = hit(c->f, FAULT_PREPARE, err)) != DAL_OK)
		return rc;
	if (!(s = malloc(sizeof *s)))
		return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory");
	s->f = c->f;
	if ((rc = DOWN_CONN(c, prepare, sql, len, nparams, &s->inner, err)) != DAL_OK) {
		free(s);
		return rc;
	}
	stmt_ops_resolve(&s->below, c->below.prepare.d, s->inner);
	*out = s;
	return DAL_OK;
}

static int f_bind(dal_bstmt *s, unsigned pos, const dal_value *v, dal_error *err)
{
	int rc = hit(s->f, FAULT_BIND, err);
	return rc != DAL_OK ? rc : DOWN_STMT(s, bind, pos, v, err);
}

static int f_step(dal_bstmt *s, dal_error *err)
{
	int rc = hit(s->f, FAULT_STEP, err);
	return rc != DAL_OK ? rc : DOWN_STMT(s, step, err);
}

static int f_reset(dal_bstmt *s, dal_error *err)
{
	int rc = hit(s->f, FAULT_RESET, err);
	return rc != DAL_OK ? rc : DOWN_STMT(s, reset, err);
}

static void f_finalize(dal_bstmt *s)
{
	DOWN_STMT(s, finalize);
	free(s);
}

static dal_bstmt *f_stmt_inner(dal_bstmt *s)
{
	return s->inner;
}

int fault_rules_valid(const struct fault_rule *rules, size_t n)
{
	if (n > MAX_RULES || (n && !rules))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned)rules[i].slot >= FAULT__COUNT || rules[i].nth == 0 ||
		    rules[i].code >= 0)
			return 0;
	return 1;
}

struct fault *fault_new(const struct dal_driver *in, const struct fault_rule *rules, size_t n)
{
	struct fault *f;

	if (!fault_rules_valid(rules, n))
		return NULL;
	if (!(f = calloc(1, sizeof *f)))
		return NULL;
	memcpy(f->rules, rules, n * sizeof *rules);
	f->n_rules = n;
	f->table = (struct dal_driver){
		.abi_version = DAL_PLUGIN_ABI_VERSION,
		.struct_size = sizeof(struct dal_driver),
		.inner = in,
		.state = f,
		.connect = f_connect,
		.disconnect = f_disconnect,
		.ping = f_ping,
		.exec = LAYER_BELOW_HAS(in, exec) ? f_exec : NULL,
		.prepare = f_prepare,
		.begin = LAYER_BELOW_HAS(in, begin) ? f_begin : NULL,
		.commit = LAYER_BELOW_HAS(in, commit) ? f_commit : NULL,
		.rollback = LAYER_BELOW_HAS(in, rollback) ? f_rollback : NULL,
		.conn_inner = f_conn_inner,
		.bind = f_bind,
		.step = f_step,
		.reset = f_reset,
		.finalize = f_finalize,
		.stmt_inner = f_stmt_inner,
	};
	return f;
}

const struct dal_driver *fault_table(struct fault *f)
{
	return &f->table;
}

unsigned fault_calls(const struct fault *f, enum fault_slot slot)
{
	return f && (unsigned)slot < FAULT__COUNT ? f->calls[slot] : 0;
}

void fault_free(struct fault *f)
{
	free(f);
}

struct fault *repo_fault(const dal_repo *r)
{
	return r ? r->fault : NULL;
}
