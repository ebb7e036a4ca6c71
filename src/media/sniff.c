/*
 * Media type sniffing with libmagic. A magic_t handle is not thread-safe,
 * so each thread loads its own the first time it sniffs, and a
 * thread-specific key closes it when the thread exits (the server's
 * worker threads come and go with it).
 */
#include "common/common.h"

#include <magic.h>
#include <pthread.h>

#include "common/log.h"
#include "sniff.h"

static _Thread_local magic_t cookie;
static _Thread_local int cookie_failed;
static pthread_key_t cookie_key;
static pthread_once_t cookie_once = PTHREAD_ONCE_INIT;

static void close_cookie(void *handle)
{
	magic_close(handle);
}

static void make_key(void)
{
	pthread_key_create(&cookie_key, close_cookie);
}

static magic_t load_cookie(void)
{
	if (cookie || cookie_failed)
		return cookie;
	pthread_once(&cookie_once, make_key);
	cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
	if (cookie && magic_load(cookie, NULL) != 0) {
		log_warn("media", "cannot load the libmagic database",
			 "error=\"%s\"", magic_error(cookie));
		magic_close(cookie);
		cookie = NULL;
	}
	cookie_failed = cookie == NULL;
	if (cookie)
		pthread_setspecific(cookie_key, cookie);
	return cookie;
}

void sniff_media_type(const void *head, size_t len, char *out, size_t n)
{
	magic_t m = load_cookie();
	const char *type = NULL;

	if (m && len > 0)
		type = magic_buffer(m, head, len);
	if (!type || !strchr(type, '/'))
		type = len == 0 ? "application/x-empty"
				: "application/octet-stream";
	snprintf(out, n, "%s", type);
}
