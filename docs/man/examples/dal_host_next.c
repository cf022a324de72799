#include <dal/plugin.h>
#include <stdio.h>

/* How a server backend walks dal_connect_params.host. */
int main(void)
{
	const char *list = "db1:5433, [::1]:5434, /run/postgresql";
	char host[256];
	unsigned port;
	dal_error err;
	int rc;

	while ((rc = dal_host_next(&list, host, sizeof host, &port, &err)) == 1)
		printf("host %s port %u\n", host, port); /* port 0: the default */
	if (rc < 0)
		fprintf(stderr, "%s\n", err.message);
	return rc < 0;
}
