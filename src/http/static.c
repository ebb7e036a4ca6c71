/*
 * The browser UI's files, served from the web folder (web/ of the source
 * tree, or --web DIR): plain HTML, CSS, ES modules and images, with no
 * build step. Only GET and HEAD reach here. A path's segments must be made
 * of letters, digits, '-', '_' and '.' and must not start with '.', so
 * that no request names a file outside the folder or a hidden one. Files are opened relative to the folder's descriptor with
 * O_NOFOLLOW, and only known file types are served, each with its media
 * type. Every reply carries a content security policy that lets the page
 * load scripts, styles and images from this server alone, so a text that
 * escaped its element still could not run.
 */
#include "common/common.h"

#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "internal.h"

/* The largest UI file served; the biggest module is a few dozen KiB. */
#define STATIC_FILE_MAX ((off_t)8 << 20)

/* Path bytes, after the leading '/', that a UI file's name may have. */
#define STATIC_PATH_MAX 200

static const struct {
	const char *ext;
	const char *type;
} static_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
};

/*
 * blob: and data: images are the thumbnails and signature pad drawings
 * the page makes itself; media-src blob: plays a file chosen for upload.
 */
#define STATIC_CSP                                                             \
	"default-src 'self'; script-src 'self'; style-src 'self'; "           \
	"img-src 'self' blob: data:; media-src 'self' blob:; "                \
	"connect-src 'self'; object-src 'none'; base-uri 'none'; "             \
	"form-action 'self'; frame-src 'self' blob:; frame-ancestors 'self'"

int static_open(struct server *s, const char *dir, struct error *err)
{
	char quoted[PATH_MAX + 8];

	s->web_fd = -1;
	if (!dir || !*dir)
		return 0;
	s->web_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->web_fd < 0) {
		/* The API serves on without the UI, which scripts do not need. */
		log_warn("http", "the browser UI is off: its folder cannot be "
			 "opened", "web=%s error=\"%s\"",
			 log_quote(dir, quoted, sizeof(quoted)), strerror(errno));
		return 0;
	}
	(void)err;
	log_info("http", "serving the browser UI", "web=%s",
		 log_quote(dir, quoted, sizeof(quoted)));
	return 0;
}

void static_close(struct server *s)
{
	if (s->web_fd >= 0)
		close(s->web_fd);
	s->web_fd = -1;
}

static const char *static_type(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (!dot || strchr(dot, '/'))
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(static_types); i++)
		if (!strcmp(dot, static_types[i].ext))
			return static_types[i].type;
	return NULL;
}

/*
 * Whether path (without its leading '/') may name a UI file: segments of
 * [A-Za-z0-9_.-] that do not start with '.', joined by single slashes.
 */
static bool static_name_ok(const char *path)
{
	size_t len = strlen(path);
	bool seg_start = true;

	if (len == 0 || len > STATIC_PATH_MAX)
		return false;
	for (const char *p = path; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '/') {
			if (seg_start)
				return false;
			seg_start = true;
			continue;
		}
		if (seg_start && ch == '.')
			return false;
		if (!isalnum(ch) && ch != '-' && ch != '_' && ch != '.')
			return false;
		seg_start = false;
	}
	return !seg_start;
}

bool static_path(const struct server *s, const char *path)
{
	if (s->web_fd < 0 || path[0] != '/')
		return false;
	if (!strcmp(path, "/"))
		return true;
	return static_name_ok(path + 1) && static_type(path + 1) != NULL;
}

int static_serve(struct server *s, struct MHD_Connection *c,
		 const char *path, struct reply *r, struct error *err)
{
	const char *name = strcmp(path, "/") ? path + 1 : "index.html";
	const char *match;
	struct stat st;
	int fd;

	(void)err;
	fd = openat(s->web_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > STATIC_FILE_MAX) {
		if (fd >= 0)
			close(fd);
		return reply_problem(r, MHD_HTTP_NOT_FOUND,
				     "no page or file at '%s'; the browser UI "
				     "starts at /", path);
	}
	r->content_type = static_type(name);
	/* The page must ask each time, so that an upgrade shows at once. */
	r->cache_control = "no-cache";
	snprintf(r->etag, sizeof(r->etag), "\"%llx-%llx\"",
		 (unsigned long long)st.st_mtim.tv_sec * 1000000000ull +
		     (unsigned long long)st.st_mtim.tv_nsec,
		 (unsigned long long)st.st_size);
	if (reply_header(r, "Content-Security-Policy", "%s", STATIC_CSP) ||
	    reply_header(r, "Referrer-Policy", "%s", "no-referrer") ||
	    reply_header(r, "X-Frame-Options", "%s", "SAMEORIGIN")) {
		close(fd);
		return CT_ENOMEM;
	}
	match = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					    MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (match && !strcmp(match, r->etag)) {
		close(fd);
		r->status = MHD_HTTP_NOT_MODIFIED;
		return 0;
	}
	r->status = MHD_HTTP_OK;
	if (st.st_size > 0)
		reply_file(r, fd, 0, (uint64_t)st.st_size);
	else
		close(fd);
	return 0;
}
