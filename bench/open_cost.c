/*
 * What dal_repo_open_url() costs, first in a process and then again, for a
 * type given by its plugin's name and by an alias the loader must find by
 * reading every installed plugin's registration (docs/abi.md, "How the core
 * finds a plugin"). Each figure is from a fresh process: run as
 *     open_cost URL
 * it opens URL twice and prints both times in microseconds. bench/open-cost
 * runs it for the cases docs/abi.md quotes.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <time.h>

#include <dal/dal.h>

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	double t[3];
	dal_repo *r;
	dal_error err;

	if (argc != 2) {
		fprintf(stderr, "usage: open_cost URL\n");
		return 2;
	}
	for (int i = 0; i < 2; i++) {
		t[i] = now_us();
		if (dal_repo_open_url(&r, argv[1], &err) != DAL_OK) {
			fprintf(stderr, "open_cost: %s\n", err.message);
			return 1;
		}
		t[i + 1] = now_us();
		dal_repo_close(r);
		t[i] = t[i + 1] - t[i];
	}
	printf("%s\tfirst %.0f us\tagain %.0f us\n", argv[1], t[0], t[1]);
	return 0;
}
