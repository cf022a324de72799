/*
 * libFuzzer target: the host-list reader of the plugin kit, dal_host_next()
 * (core/params.c), driven the way the server plugins drive it: until it
 * returns 0 (end) or an error. After an error the harness goes on reading
 * (a caller may skip a bad item), which must still make progress.
 *
 * Input: byte 0 chooses the size of the host buffer (1, 2, 3, 8, 16, 64,
 * 256 or 1025 bytes, by its low 3 bits); the rest is the list.
 * Checks: every call consumes at least one byte or ends the list; the list
 * pointer stays inside the string; a host is NUL-terminated inside the
 * buffer, non-empty, without the brackets of "[v6]"; a port is 1..65535 or
 * 0 (none); errors are DAL_ECONFIG with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dal/plugin.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = {1, 2, 3, 8, 16, 64, 256, 1025};
	const char *list, *end;
	size_t hsize, calls = 0;
	char *text, *host;
	dal_error err;

	if (size < 1)
		return 0;
	hsize = sizes[data[0] & 7];
	text = fuzz_cstr(data + 1, size - 1);
	end = text + strlen(text);
	host = malloc(hsize); /* exact size: ASan sees any overrun */
	if (!host)
		abort();
	list = text;
	for (;;) {
		const char *before = list;
		unsigned port = 12345;
		int rc;

		memset(host, 'x', hsize);
		memset(&err, 0, sizeof err);
		rc = dal_host_next(&list, host, hsize, &port, &err);
		FUZZ_CHECK(list >= text && list <= end, "list pointer left the string");
		if (rc == 0) {
			FUZZ_CHECK(strspn(before, " \t") == strlen(before),
			           "end of list reported with '%s' left", before);
			break;
		}
		FUZZ_CHECK(list > before, "no progress at '%s' (rc %d)", before, rc);
		FUZZ_CHECK(++calls <= (size_t)(end - text) + 1, "more items than bytes");
		if (rc == 1) {
			size_t n = strnlen(host, hsize);

			FUZZ_CHECK(n < hsize, "host not NUL-terminated in %zu bytes", hsize);
			FUZZ_CHECK(n > 0, "empty host returned");
			FUZZ_CHECK(port <= 65535, "port %u", port);
			FUZZ_CHECK(!memchr(host, ',', n) || memchr(before, '[', (size_t)(list - before)),
			           "host '%s' holds a comma", host);
		} else {
			FUZZ_CHECK(rc == DAL_ECONFIG && err.code == DAL_ECONFIG && *err.message,
			           "rc %d, message '%s'", rc, err.message);
		}
	}
	free(host);
	free(text);
	return 0;
}
