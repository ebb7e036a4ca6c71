/*
 * The stored bytes of an audio-visual file and of its thumbnail:
 * GET /api/v1/media/{seq}/content and /thumbnail, with byte ranges
 * (RFC 9110, section 14) so that a player can seek. The file is sent
 * from disk with libmicrohttpd's file responses, never read into memory.
 *
 * Range handling:
 *   - one range, "bytes=a-b", "bytes=a-" or the suffix "bytes=-n", gets
 *     206 with Content-Range; a last position past the end is cut to it;
 *   - a range that starts at or past the end, a suffix of 0 bytes, or any
 *     range of an empty file gets 416 with a Content-Range of "bytes *"
 *     and the size;
 *   - several ranges get the whole file with 200, which RFC 9110 allows,
 *     so that no multipart/byteranges body is built;
 *   - a Range of invalid syntax or of another unit is ignored (200), as
 *     RFC 9110 requires, and so is a Range on HEAD or under an If-Range that
 *     does not name the file's ETag, the store's hash of it.
 * Numbers too large for 64 bits are read as the largest value, which
 * keeps their meaning (past the end, or the whole file) without
 * overflow.
 *
 * Reading either needs a part in the file's case and clearance for its
 * mark (docs/access.md). Each playback or download is recorded once as
 * a media-access entry and, for a marked file, once in the access log,
 * however many Range requests it takes. A session is named by the
 * client's ?session=ID, or is the same user, file and mode within
 * SESSION_IDLE_MS of its last request; its id is returned in
 * Casetrail-Media-Session. Sessions live in memory only, so a restart
 * starts new ones. Thumbnails are no media-access sessions, since a list
 * of files shows one per file; each read of a marked thumbnail is in the
 * access log all the same.
 */
#include "common/common.h"

#include <assert.h>
#include <ctype.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "common/log.h"
#include "crypto/crypto.h"

/* Sessions remembered at once; the least recently used one goes first. */
#define SESSIONS_MAX 1024

/* A session ends after this long without a request. */
#define SESSION_IDLE_MS (30 * 60 * 1000LL)

/* The maximum length of a client's session id, as media_access takes. */
#define SESSION_ID_MAX 64

struct session {
	bool used;
	bool pending; /* its media-access entry is being written */
	uint64_t seq;
	char user[LEDGER_NAME_MAX + 1];
	char mode[16];
	bool named; /* the client chose the id */
	char id[SESSION_ID_MAX + 1];
	int64_t last_ms; /* CLOCK_MONOTONIC */
};

struct media_sessions {
	pthread_mutex_t lock;
	pthread_cond_t settled; /* a pending session was settled */
	struct session slots[SESSIONS_MAX];
};

int media_sessions_new(struct media_sessions **out, struct error *err)
{
	struct media_sessions *ss = calloc(1, sizeof(*ss));

	*out = NULL;
	if (!ss)
		return error_set(err, CT_ENOMEM, "out of memory");
	pthread_mutex_init(&ss->lock, NULL);
	pthread_cond_init(&ss->settled, NULL);
	*out = ss;
	return 0;
}

void media_sessions_free(struct media_sessions *ss)
{
	if (!ss)
		return;
	pthread_cond_destroy(&ss->settled);
	pthread_mutex_destroy(&ss->lock);
	free(ss);
}

static int64_t monotonic_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The identity of a session that a request belongs to. */
struct session_key {
	uint64_t seq;
	const char *user;
	const char *mode;
	const char *id; /* the client's, or NULL */
};

static bool session_matches(const struct session *s,
			    const struct session_key *k, int64_t now)
{
	if (!s->used || s->seq != k->seq || strcmp(s->user, k->user) ||
	    strcmp(s->mode, k->mode) || s->named != (k->id != NULL))
		return false;
	if (k->id && strcmp(s->id, k->id))
		return false;
	return s->pending || now - s->last_ms < SESSION_IDLE_MS;
}

/* Returns a slot to reuse: free, expired, else least recently used. */
static struct session *session_victim(struct media_sessions *ss,
				      int64_t now)
{
	struct session *oldest = NULL;

	for (size_t i = 0; i < SESSIONS_MAX; i++) {
		struct session *s = &ss->slots[i];

		if (!s->used || (!s->pending &&
				 now - s->last_ms >= SESSION_IDLE_MS))
			return s;
		if (!s->pending && (!oldest || s->last_ms < oldest->last_ms))
			oldest = s;
	}
	return oldest;
}

/*
 * Finds the session of k. Returns NULL when it is known, after copying
 * its id to id, or a new slot marked pending whose entry the caller must
 * write and then settle. A request that finds its session pending waits
 * for it, so that concurrent Range requests of a new session write one
 * entry.
 */
static struct session *session_claim(struct media_sessions *ss,
				     const struct session_key *k,
				     char id[SESSION_ID_MAX + 1])
{
	struct session *s = NULL;
	int64_t now;

	pthread_mutex_lock(&ss->lock);
	for (;;) {
		now = monotonic_ms();
		s = NULL;
		for (size_t i = 0; i < SESSIONS_MAX && !s; i++)
			if (session_matches(&ss->slots[i], k, now))
				s = &ss->slots[i];
		if (!s || !s->pending)
			break;
		pthread_cond_wait(&ss->settled, &ss->lock);
	}
	if (s) {
		s->last_ms = now;
		memcpy(id, s->id, SESSION_ID_MAX + 1);
		pthread_mutex_unlock(&ss->lock);
		return NULL;
	}
	/* Only pending slots are never victims, and each server thread
	 * has at most one pending, far fewer than SESSIONS_MAX. */
	s = session_victim(ss, now);
	assert(s);
	memset(s, 0, sizeof(*s));
	s->used = s->pending = true;
	s->seq = k->seq;
	snprintf(s->user, sizeof(s->user), "%s", k->user);
	snprintf(s->mode, sizeof(s->mode), "%s", k->mode);
	s->named = k->id != NULL;
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->last_ms = now;
	pthread_mutex_unlock(&ss->lock);
	return s;
}

/* Ends the pending state of s: kept when its entry was written. */
static void session_settle(struct media_sessions *ss, struct session *s,
			   bool recorded)
{
	pthread_mutex_lock(&ss->lock);
	s->pending = false;
	s->used = recorded;
	s->last_ms = monotonic_ms();
	pthread_cond_broadcast(&ss->settled);
	pthread_mutex_unlock(&ss->lock);
}

/*
 * Records the access of the request unless its session has been
 * recorded, and writes the session id into id. A new session of a file
 * marked mark is also recorded in the access log. Returns 0 or the error
 * of media_access or access_log.
 */
static int record_access(struct api_call *call, uint64_t seq,
			 const char *mode, const char *client_id,
			 const char *case_id, enum access_mark mark,
			 char id[SESSION_ID_MAX + 1], struct error *err)
{
	char target[48];
	struct media_sessions *ss = call->s->sessions;
	struct session_key k = { seq, call->rq->user, mode, client_id };
	uint8_t raw[16];
	struct session *s;
	json_t *out = NULL;
	int rc;

	if (client_id) {
		snprintf(id, SESSION_ID_MAX + 1, "%s", client_id);
	} else {
		if (crypto_random(raw, sizeof(raw)) != 0)
			return error_set(err, CT_ECRYPTO, "cannot draw a "
					 "session id");
		for (size_t i = 0; i < sizeof(raw); i++)
			snprintf(id + 2 * i, 3, "%02x", raw[i]);
	}
	s = session_claim(ss, &k, id);
	if (!s)
		return 0;
	snprintf(target, sizeof(target), "media:%" PRIu64, seq);
	rc = api_log_read(call, ACT_MEDIA_CONTENT, case_id, target, mark,
			  err);
	if (rc == 0)
		rc = media_access(call->s->media, seq, mode, id, &call->actor,
				  &out, err);
	json_decref(out);
	session_settle(ss, s, rc == 0);
	return rc;
}

/* A byte range to send: the whole file, part of it, or none at all. */
enum range_result { RANGE_WHOLE, RANGE_PART, RANGE_UNSATISFIABLE };

/* Reads decimal digits at *p, saturating at UINT64_MAX; false if none. */
static bool read_number(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned digit = (unsigned)(*s - '0');

		v = v > (UINT64_MAX - digit) / 10 ? UINT64_MAX : v * 10 + digit;
	}
	*p = s;
	*out = v;
	return true;
}

static const char *skip_ows(const char *p)
{
	return p + strspn(p, " \t");
}

/*
 * Parses one range-spec at *p. Returns false on invalid syntax. *suffix
 * is set for a "-n" range, whose length is then in *first.
 */
static bool read_range_spec(const char **p, uint64_t *first, uint64_t *last,
			    bool *suffix)
{
	*suffix = **p == '-';
	*last = UINT64_MAX;
	if (*suffix) {
		(*p)++;
		return read_number(p, first);
	}
	if (!read_number(p, first) || **p != '-')
		return false;
	(*p)++;
	if (**p >= '0' && **p <= '9' && !read_number(p, last))
		return false;
	return *first <= *last;
}

/*
 * Resolves the Range header value of a file of size bytes into
 * [*start, *start + *length). See the top of the file for the rules.
 */
static enum range_result parse_range(const char *value, uint64_t size,
				     uint64_t *start, uint64_t *length)
{
	const char *p = skip_ows(value);
	uint64_t first, last;
	bool suffix;

	*start = 0;
	*length = size;
	if (strncasecmp(p, "bytes=", 6) != 0)
		return RANGE_WHOLE;
	p = skip_ows(p + 6);
	if (!read_range_spec(&p, &first, &last, &suffix))
		return RANGE_WHOLE;
	p = skip_ows(p);
	if (*p == ',')
		return RANGE_WHOLE; /* several ranges, or a malformed list */
	if (*p)
		return RANGE_WHOLE;

	if (suffix) {
		if (first == 0 || size == 0)
			return RANGE_UNSATISFIABLE;
		*length = first < size ? first : size;
		*start = size - *length;
		return RANGE_PART;
	}
	if (first >= size)
		return RANGE_UNSATISFIABLE;
	if (last > size - 1)
		last = size - 1;
	*start = first;
	*length = last - first + 1;
	return RANGE_PART;
}

/* Writes the ETag of the stored file of row ("file" or "thumbnail"). */
static void file_etag(const json_t *row, const char *which, char *out,
		      size_t n)
{
	const json_t *src = row;
	const char *hash;

	if (!strcmp(which, "thumbnail"))
		src = json_object_get(row, "thumbnail");
	hash = json_string_value(json_object_get(src, "hash"));
	if (hash && !strpbrk(hash, "\"\\"))
		snprintf(out, n, "\"%s\"", hash);
	else
		out[0] = '\0';
}

/* Returns whether an If-Range of the request allows its Range. */
static bool if_range_allows(struct MHD_Connection *c, const char *etag)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_IF_RANGE);

	/* A date never matches: the reply carries no Last-Modified. */
	return !v || (etag[0] && !strcmp(skip_ows(v), etag));
}

/* Reads ?session= and ?download=; replies 400 when they are invalid. */
static int read_access_query(struct MHD_Connection *c, const char **session,
			     int *download, struct reply *r)
{
	static const char *const names[] = { "session", "download", NULL };
	char quoted[HTTP_QUOTE_MAX];
	int rc;

	rc = query_check(c, names, r);
	if (rc == 0)
		rc = query_text(c, "session", session, r);
	if (rc == 0)
		rc = query_flag(c, "download", download, r);
	if (rc || !*session)
		return rc;
	if (strlen(*session) > SESSION_ID_MAX ||
	    strspn(*session, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
			     "wxyz0123456789-_") != strlen(*session))
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_INVALID_PARAMETER,
		    "query parameter session='%s' is invalid; use 1 to %d "
		    "letters, digits, '-' or '_'",
		    http_quote(*session, quoted, sizeof(quoted)),
		    SESSION_ID_MAX));
	return 0;
}

/*
 * Opens the stored file of seq and fills *fd and *size. Returns 0,
 * CT_EINVAL with a problem (such as a 404) in r, or a server error.
 */
static int open_stored(struct api_call *call, uint64_t seq,
		       const char *which, int *fd, uint64_t *size,
		       char *type, size_t type_n, struct reply *r,
		       struct error *err)
{
	char path[PATH_MAX];
	struct stat st;
	int rc;

	rc = media_file(call->s->media, seq, which, path, sizeof(path), size,
			type, type_n, err);
	if (rc)
		return reply_rejected(reply_error(r, rc, err));
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0 && errno == ENOENT)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_NOT_FOUND, "the stored %s of media %" PRIu64
		    " is gone; it was purged or expunged", which, seq));
	if (*fd < 0 || fstat(*fd, &st) != 0)
		return error_set(err, CT_EIO, "cannot open the stored %s of "
				 "media %" PRIu64 ": %s", which, seq,
				 strerror(errno));
	*size = (uint64_t)st.st_size;
	return 0;
}

/* Adds Content-Disposition: attachment, with the file's own name. */
static int add_disposition(struct reply *r, const json_t *row, uint64_t seq)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *name = json_string_value(json_object_get(row, "name"));
	char encoded[3 * 255 + 1];
	size_t o = 0;

	if (!name || strlen(name) > 255)
		return reply_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
				    "attachment; filename=\"media-%" PRIu64
				    "\"", seq);
	/* RFC 8187: attr-char stays, every other byte is %-encoded. */
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (isalnum(*p) || strchr("!#$&+-.^_`|~", *p)) {
			encoded[o++] = (char)*p;
			continue;
		}
		encoded[o++] = '%';
		encoded[o++] = hex[*p >> 4];
		encoded[o++] = hex[*p & 0xf];
	}
	encoded[o] = '\0';
	return reply_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
			    "attachment; filename=\"media-%" PRIu64
			    "\"; filename*=UTF-8''%s", seq, encoded);
}

/*
 * Whether a browser may show a stored file of this media type in place:
 * raster images, audio and video, which carry no script. Anything else,
 * such as HTML or SVG that a camera never makes but an upload may hold,
 * goes out as a download, so that it cannot run in the UI's origin.
 */
static bool shown_inline(const char *type)
{
	static const char *const images[] = {
	    "image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp",
	    "image/heic", "image/heif", "image/tiff",
	};

	if (!strncmp(type, "video/", 6) || !strncmp(type, "audio/", 6))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(images); i++)
		if (!strcmp(type, images[i]))
			return true;
	return false;
}

/*
 * The policy of every stored file: a sandbox with no scripts, whatever
 * the file holds, and only this server's images and media.
 */
#define MEDIA_CSP                                                              \
	"sandbox; default-src 'none'; img-src 'self'; media-src 'self'; "      \
	"style-src 'unsafe-inline'"

/* Fills the headers of a file reply once its range is known. */
static int add_file_headers(struct reply *r, enum range_result range,
			    uint64_t start, uint64_t length, uint64_t size,
			    const char *etag, const char *type)
{
	int rc = reply_header(r, "Accept-Ranges", "bytes");

	if (rc == 0)
		rc = reply_header(r, "Content-Security-Policy", "%s",
				  MEDIA_CSP);
	if (rc == 0 && !shown_inline(type))
		type = "application/octet-stream";

	if (rc == 0 && range == RANGE_PART)
		rc = reply_header(r, MHD_HTTP_HEADER_CONTENT_RANGE,
				  "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
				  start, start + length - 1, size);
	if (rc == 0)
		rc = reply_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "%s", type);
	snprintf(r->etag, sizeof(r->etag), "%s", etag);
	r->content_type = NULL;
	r->cache_control = CACHE_NONE;
	r->status = range == RANGE_PART ? MHD_HTTP_PARTIAL_CONTENT
					: MHD_HTTP_OK;
	return rc;
}

/* The state of one content request between its steps. */
struct content_request {
	uint64_t seq;
	const char *which;
	const char *session;
	int download;
	json_t *row;
	enum access_mark mark;
	int fd;
	uint64_t size;
	char type[128];
	char etag[96];
};

/* Reads the query, the path and the file's row; opens the file. */
static int open_content(struct api_call *call, struct content_request *q,
			struct reply *r, struct error *err)
{
	char quoted[HTTP_QUOTE_MAX];
	int rc;

	rc = read_access_query(call->c, &q->session, &q->download, r);
	if (rc == 0 && http_parse_index(call->params[0], &q->seq) != 0)
		rc = reply_rejected(reply_problem_of(
		    r, PROBLEM_INVALID_PATH,
		    "media seq '%s' is invalid; use the decimal seq of a "
		    "media-ingest entry, without sign or leading zeros",
		    http_quote(call->params[0], quoted, sizeof(quoted))));
	if (rc)
		return rc;
	rc = media_allow(call, ACT_MEDIA_CONTENT, q->seq, &q->row, &q->mark,
			 r, err);
	if (rc)
		return rc;
	file_etag(q->row, q->which, q->etag, sizeof(q->etag));
	return open_stored(call, q->seq, q->which, &q->fd, &q->size, q->type,
			   sizeof(q->type), r, err);
}

/* Records the read of a marked thumbnail in the access log. */
static int log_thumbnail(struct api_call *call, uint64_t seq,
			 const char *case_id, enum access_mark mark,
			 struct error *err)
{
	char target[64];

	snprintf(target, sizeof(target), "media:%" PRIu64 "/thumbnail", seq);
	return api_log_read(call, ACT_MEDIA_CONTENT, case_id, target, mark,
			    err);
}

static int serve_stored(struct api_call *call, const char *which,
			struct reply *r, struct error *err)
{
	struct content_request q = { .which = which, .fd = -1 };
	bool get = !strcmp(call->rq->method, MHD_HTTP_METHOD_GET);
	const char *mode, *range_header, *case_id;
	enum range_result range = RANGE_WHOLE;
	char session[SESSION_ID_MAX + 1] = "", quoted[HTTP_QUOTE_MAX];
	uint64_t start = 0, length;
	int rc;

	rc = open_content(call, &q, r, err);
	if (rc)
		goto out;
	length = q.size;
	range_header = MHD_lookup_connection_value(call->c, MHD_HEADER_KIND,
						   MHD_HTTP_HEADER_RANGE);
	if (get && range_header && if_range_allows(call->c, q.etag))
		range = parse_range(range_header, q.size, &start, &length);
	if (range == RANGE_UNSATISFIABLE) {
		rc = reply_header(r, MHD_HTTP_HEADER_CONTENT_RANGE,
				  "bytes */%" PRIu64, q.size);
		if (rc == 0)
			rc = reply_problem_of(
			    r, PROBLEM_RANGE_NOT_SATISFIABLE,
			    "Range '%s' selects no byte of the %" PRIu64
			    "-byte file; ask for a range that starts below "
			    "its size",
			    http_quote(range_header, quoted, sizeof(quoted)),
			    q.size);
		goto out;
	}

	mode = q.download ? "download" : "playback";
	case_id = json_string_value(json_object_get(q.row, "case"));
	if (get && !strcmp(which, "file"))
		rc = record_access(call, q.seq, mode, q.session, case_id,
				   q.mark, session, err);
	else if (get)
		rc = log_thumbnail(call, q.seq, case_id, q.mark, err);
	if (rc) {
		rc = reply_error(r, rc, err);
		goto out;
	}
	if (session[0])
		rc = reply_header(r, "Casetrail-Media-Session", "%s", session);
	if (rc == 0 && (q.download || !shown_inline(q.type)))
		rc = add_disposition(r, q.row, q.seq);
	if (rc == 0)
		rc = add_file_headers(r, range, start, length, q.size, q.etag,
				      q.type);
	if (rc == 0) {
		reply_file(r, q.fd, start, length);
		q.fd = -1;
	}
out:
	if (q.fd >= 0)
		close(q.fd);
	json_decref(q.row);
	return rc == CT_EINVAL ? 0 : rc;
}

int serve_media_content(struct api_call *call, struct reply *r,
			struct error *err)
{
	return serve_stored(call, "file", r, err);
}

int serve_media_thumbnail(struct api_call *call, struct reply *r,
			  struct error *err)
{
	return serve_stored(call, "thumbnail", r, err);
}
