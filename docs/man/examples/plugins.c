#include <dal/dal.h>
#include <dal/plugin.h>
#include <stdio.h>

static void dir(const char *path, void *userdata)
{
	(void)userdata;
	printf("searched: %s\n", path);
}

static void plugin(const dal_plugin_info *p, void *userdata)
{
	(void)userdata;
	if (p->status == DAL_OK)
		printf("%s %s (ABI %u.%u, %s): %s\n", p->name, p->version, p->abi_major,
		       p->abi_minor, p->kind ? "server" : "file", p->path);
	else
		printf("unusable: %s: %s\n", p->path, p->error);
}

/* The plugins this libdal can load, as `dal plugins` lists them. */
int main(void)
{
	dal_error err;
	int n;

	printf("this libdal speaks plugin ABI %u.%u\n", DAL_ABI_MAJOR_OF(dal_plugin_abi()),
	       DAL_ABI_MINOR_OF(dal_plugin_abi()));
	dal_plugin_dirs(NULL, dir, NULL);
	n = dal_plugin_list(NULL, plugin, NULL, &err);
	if (n < 0)
		fprintf(stderr, "%s\n", err.message);
	return n > 0 ? 0 : 1;
}
