/*
 * ^C in an interactive `dal shell`: while a statement runs, ask the server
 * to stop it (dal_conn_cancel(), which the statement's thread then reports
 * as DAL_ECANCELED); at the prompt, drop the statement being typed. Scripts
 * keep the default: ^C ends the process.
 *
 * A signal handler may not call into libdal (cancelling can lock, allocate
 * and connect), so the handler only records the signal and wakes a watcher
 * thread through a pipe; the thread does the cancelling. The connection
 * stays acquired until sigint_stop() has joined the thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shell.h"

static volatile sig_atomic_t interrupted;
/* Signals received so far. The watcher wakes up some time after the
 * signal (a loaded machine, a sanitizer build): a ^C given at the prompt
 * may reach it only once the next statement runs, and must not cancel
 * that one. A statement is cancelled only by a signal counted after it
 * started. */
static unsigned signals;
static int wake[2] = { -1, -1 };
static dal_conn *watched;
static int running;        /* guarded by lock */
static unsigned run_from;  /* guarded by lock: signals when running began */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t watcher;
static struct sigaction old_action;
static int started;

static void on_sigint(int sig)
{
	int saved = errno;
	char b = 1;

	(void)sig;
	/* Lock-free on every target libdal builds for: safe in a handler. */
	__atomic_add_fetch(&signals, 1, __ATOMIC_SEQ_CST);
	interrupted = 1;
	if (write(wake[1], &b, 1) < 0) {
		/* a full pipe already holds a wake-up */
	}
	errno = saved;
}

static void *watch(void *arg)
{
	char b;

	(void)arg;
	/* A 0 byte (sigint_stop) ends the thread. */
	while (read(wake[0], &b, 1) == 1 && b) {
		int rc = DAL_OK;

		pthread_mutex_lock(&lock);
		if (running && __atomic_load_n(&signals, __ATOMIC_SEQ_CST) != run_from) {
			rc = dal_conn_cancel(watched);
			run_from = __atomic_load_n(&signals, __ATOMIC_SEQ_CST);
		}
		pthread_mutex_unlock(&lock);
		if (rc == DAL_EUNSUPPORTED)
			fputs("\ndal: shell: this backend cannot cancel a running statement; "
			      "it runs to its end\n", stderr);
	}
	return NULL;
}

int sigint_start(dal_conn *conn)
{
	struct sigaction sa;

	sigset_t block, prev;
	int rc;

	if (pipe2(wake, O_CLOEXEC) != 0)
		return -1;
	watched = conn;
	/* The watcher never takes the signal: it must interrupt the main
	 * thread's read at the prompt. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &prev);
	rc = pthread_create(&watcher, NULL, watch, NULL);
	pthread_sigmask(SIG_SETMASK, &prev, NULL);
	if (rc != 0) {
		close(wake[0]);
		close(wake[1]);
		wake[0] = wake[1] = -1;
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a read at the prompt returns, so that the typed
	 * statement can be dropped. */
	sigaction(SIGINT, &sa, &old_action);
	started = 1;
	return 0;
}

void sigint_running(int on)
{
	if (!started)
		return;
	pthread_mutex_lock(&lock);
	running = on;
	run_from = __atomic_load_n(&signals, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&lock);
}

int sigint_pending(void)
{
	return interrupted != 0;
}

int sigint_take(void)
{
	int was = interrupted != 0;

	interrupted = 0;
	return was;
}

void sigint_stop(void)
{
	char b = 0;

	if (!started)
		return;
	sigaction(SIGINT, &old_action, NULL);
	if (write(wake[1], &b, 1) == 1)
		pthread_join(watcher, NULL);
	else
		pthread_detach(watcher);
	close(wake[0]);
	close(wake[1]);
	wake[0] = wake[1] = -1;
	started = 0;
}
