/*
 * backend_mysql: what kind of node a connection reached. The Galera check
 * (wsrep_check: a node must be ready for queries and Synced, at connect and
 * through node_status()) and, without Galera, the primary or replica role
 * from read_only. Connecting itself is connect.c's; the core decides what
 * to do with a node that is not ready (core/route.c).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mysql_int.h"

/* The value column of the first row of a SHOW result, copied, or "" when
 * the result has no row (the variable does not exist). */
static void show_value(MYSQL_RES *res, char *buf, size_t size)
{
	MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;

	snprintf(buf, size, "%s", row && row[1] ? row[1] : "");
}

/*
 * Galera: whether wsrep is on, wsrep_ready and wsrep_local_state_comment,
 * in one round trip (values "" when absent).
 */
static int wsrep_state(struct dal_bconn *c, char *on, char *ready, char *state, size_t size,
                       const char *what, dal_error *err)
{
	static const char q[] = "SHOW GLOBAL VARIABLES LIKE 'wsrep_on'; "
	                        "SHOW GLOBAL STATUS WHERE Variable_name IN "
	                        "('wsrep_ready', 'wsrep_local_state_comment')";
	int n = 0, more;

	*on = *ready = *state = '\0';
	if (c->active)
		return my_busy(err, what);
	if (mysql_real_query(c->my, q, sizeof q - 1))
		return my_report_conn(err, c, MY_NO_EFFECT, what);
	do {
		MYSQL_RES *res = mysql_store_result(c->my);
		MYSQL_ROW row;

		if (!res && mysql_field_count(c->my))
			return my_report_conn(err, c, MY_NO_EFFECT, what);
		if (n == 0)
			show_value(res, on, size);
		else
			while (res && (row = mysql_fetch_row(res)))
				if (row[0] && row[1])
					snprintf(strcasecmp(row[0], "wsrep_ready") == 0 ? ready : state,
					         size, "%s", row[1]);
		mysql_free_result(res);
		n++;
		if ((more = mysql_next_result(c->my)) > 0)
			return my_report_conn(err, c, MY_NO_EFFECT, what);
	} while (more == 0);
	return DAL_OK;
}

/* "" when a Galera node is ready for queries and Synced, else why not. */
static void wsrep_unready(const char *ready, const char *state, char *buf, size_t size)
{
	*buf = '\0';
	if (strcasecmp(ready, "ON") != 0)
		snprintf(buf, size, "wsrep_ready = %s (joining, or cut off from the primary "
		         "component)", *ready ? ready : "absent");
	else if (strcasecmp(state, "Synced") != 0)
		snprintf(buf, size, "wsrep_local_state_comment = %s, not Synced (a donor, "
		         "desynced, or catching up)", *state ? state : "absent");
}

/*
 * Galera, at connect: refuse a node that is not ready for queries or not
 * Synced (joining, donor, desynced, or cut off from the primary
 * component). A server where wsrep is off or absent is not a Galera node,
 * which is a configuration mistake.
 */
int my_check_wsrep(struct dal_bconn *c, dal_error *err)
{
	char on[32], ready[32], state[64], why[160];
	int rc;

	if ((rc = wsrep_state(c, on, ready, state, sizeof on, "wsrep_check", err)))
		return rc;
	if (strcasecmp(on, "ON") != 0)
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "wsrep_check: mysql server %s is not a Galera node "
		                     "(wsrep_on is %s); set wsrep_check = off for a server "
		                     "outside a cluster", c->where,
		                     *on ? on : "absent");
	wsrep_unready(ready, state, why, sizeof why);
	if (*why)
		return dal_error_set(err, DAL_ECONNECT, "08004", 0,
		                     "wsrep_check: Galera node %s is not ready: %s", c->where, why);
	return DAL_OK;
}

/*
 * node_status(): with wsrep_check, the Galera state (a node that is not
 * Synced is not ready; every Synced node takes writes: a primary); else,
 * when the core wants the role, read_only decides it. Replication lag is
 * not measured here (lag_ms stays -1): Galera's is not a time.
 */
int my_node_status(dal_bconn *c, unsigned want, struct dal_node_status *out, dal_error *err)
{
	char on[32], ready[32], state[64];
	int rc;

	out->ready = 1;
	if (c->wsrep_check) {
		if ((rc = wsrep_state(c, on, ready, state, sizeof on, "node_status", err)))
			return rc;
		out->checked = 1;
		out->role = DAL_NODE_PRIMARY;
		wsrep_unready(ready, state, out->detail, sizeof out->detail);
		out->ready = !out->detail[0];
		return DAL_OK;
	}
	if (!(want & DAL_NODE_WANT_ROLE))
		return DAL_OK;
	if (c->active)
		return my_busy(err, "node_status");
	if (mysql_real_query(c->my, "SELECT @@global.read_only", 25))
		return my_report_conn(err, c, MY_NO_EFFECT, "node_status");
	{
		MYSQL_RES *res = mysql_store_result(c->my);
		MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;

		if (!res)
			return my_report_conn(err, c, MY_NO_EFFECT, "node_status");
		out->checked = 1;
		out->role = row && row[0] && strcmp(row[0], "0") != 0 ? DAL_NODE_REPLICA
		                                                     : DAL_NODE_PRIMARY;
		mysql_free_result(res);
	}
	return DAL_OK;
}
