/*
 * The witness's read routes over libcurl (see fetch.h). One easy handle
 * is reused for every request, so batches of entries share a connection.
 */
#include "common/common.h"

#include <curl/curl.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "internal.h"

#include "witness/fetch.h"

/* How long to wait for a connection, and for a stalled transfer. */
#define CONNECT_TIMEOUT_S 10L
#define STALL_TIME_S 30L

struct fetch {
	CURL *curl;
	char *base;   /* without a trailing slash */
	char *origin; /* percent-encoded */
	char *origin_raw;
	const struct note_key *keys; /* signs file requests */
	size_t nkeys;
	char curl_err[CURL_ERROR_SIZE];
};

/* The destination of a body: a bounded buffer or a file descriptor. */
struct sink {
	struct buf *b;
	int fd;
	uint64_t max, got;
	int too_big, write_failed;
	CURL *curl;
	int status_read, discard; /* the body of an error is dropped */
};

static size_t sink_write(char *data, size_t size, size_t n, void *ctx)
{
	struct sink *k = ctx;
	size_t len = size * n;

	/* Only a 200 answer's body is kept; an error page never is a file. */
	if (!k->status_read) {
		long status = 0;

		curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &status);
		k->discard = status != 200;
		k->status_read = 1;
	}
	if (k->discard)
		return len;
	if (k->got + len > k->max) {
		k->too_big = 1;
		return 0;
	}
	k->got += len;
	if (k->b)
		return buf_append(k->b, data, len) == 0 ? len : 0;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(k->fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			k->write_failed = 1;
			return 0;
		}
		off += (size_t)w;
	}
	return len;
}

int fetch_new(const char *base_url, const char *origin, struct fetch **out,
	      struct error *err)
{
	static int global_done;
	const char *host;
	struct fetch *f;
	size_t n;

	*out = NULL;
	if (!base_url || (strncmp(base_url, "http://", 7) &&
			  strncmp(base_url, "https://", 8)) ||
	    strpbrk(base_url, "?# \t\r\n"))
		return error_set(err, CT_EINVAL, "witness URL '%s' is not an "
				 "http:// or https:// URL without a query; "
				 "give its base, such as "
				 "http://witness.example:8443", base_url ?
				 base_url : "");
	/* A user or password in the URL would reach the log and errors. */
	host = strstr(base_url, "://") + 3;
	if (memchr(host, '@', strcspn(host, "/")))
		return error_set(err, CT_EINVAL, "the witness URL carries a "
				 "user or password; give the witness's URL "
				 "without them");
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			return error_set(err, CT_EIO, "cannot start libcurl");
		global_done = 1;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return error_set(err, CT_ENOMEM, "out of memory");
	f->curl = curl_easy_init();
	f->base = strdup(base_url);
	f->origin = f->curl ? curl_easy_escape(f->curl, origin, 0) : NULL;
	f->origin_raw = strdup(origin);
	if (!f->curl || !f->base || !f->origin || !f->origin_raw) {
		fetch_free(f);
		return error_set(err, CT_ENOMEM, "out of memory");
	}
	n = strlen(f->base);
	while (n > 0 && f->base[n - 1] == '/')
		f->base[--n] = '\0';
	*out = f;
	return 0;
}

void fetch_free(struct fetch *f)
{
	if (!f)
		return;
	if (f->origin)
		curl_free(f->origin);
	if (f->curl)
		curl_easy_cleanup(f->curl);
	free(f->base);
	free(f->origin_raw);
	free(f);
}

void fetch_set_signer(struct fetch *f, const struct note_key *keys,
		      size_t n)
{
	f->keys = keys;
	f->nkeys = n;
}

const char *fetch_url(const struct fetch *f)
{
	return f->base;
}

/*
 * Runs one GET of base + path into k and returns the HTTP status in
 * *status. Fails with CT_EIO when the witness cannot be reached or the
 * transfer breaks, CT_ETOOBIG when the body runs past k->max.
 */
static int get(struct fetch *f, const char *path, const char *header,
	       struct sink *k, long *status, struct error *err)
{
	struct curl_slist *hdr = NULL;
	char *url = NULL;
	CURLcode cc;
	int rc = 0;

	if (asprintf(&url, "%s%s", f->base, path) < 0)
		return error_set(err, CT_ENOMEM, "out of memory");
	curl_easy_reset(f->curl);
	if (header) {
		hdr = curl_slist_append(NULL, header);
		if (!hdr) {
			free(url);
			return error_set(err, CT_ENOMEM, "out of memory");
		}
		curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, hdr);
	}
	curl_easy_setopt(f->curl, CURLOPT_URL, url);
	curl_easy_setopt(f->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(f->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->curl, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	curl_easy_setopt(f->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(f->curl, CURLOPT_LOW_SPEED_TIME, STALL_TIME_S);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, k);
	k->curl = f->curl;
	curl_easy_setopt(f->curl, CURLOPT_ERRORBUFFER, f->curl_err);
	curl_easy_setopt(f->curl, CURLOPT_USERAGENT, "casetrail-restore");
	f->curl_err[0] = '\0';
	cc = curl_easy_perform(f->curl);
	if (k->too_big)
		rc = error_set(err, CT_ETOOBIG, "the witness at %s sent more "
			       "than %" PRIu64 " bytes for %s; it is not a "
			       "casetrail witness or it is faulty", f->base,
			       k->max, path);
	else if (k->write_failed)
		rc = error_set(err, CT_EIO, "cannot write what %s%s sends: %s",
			       f->base, path, strerror(errno));
	else if (cc != CURLE_OK)
		rc = error_set(err, CT_EIO, "cannot reach the witness at %s "
			       "(%s); check --witness and that the witness "
			       "serves", f->base, f->curl_err[0] ?
			       f->curl_err : curl_easy_strerror(cc));
	if (rc == 0)
		curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdr);
	free(url);
	return rc;
}

/* Turns a status other than 200 into an error naming what was asked. */
static int check_status(struct fetch *f, long status, const char *what,
			struct error *err)
{
	if (status == 200)
		return 0;
	if (status == 404)
		return error_set(err, CT_ENOTFOUND, "the witness at %s has no "
				 "%s (404)", f->base, what);
	if (status >= 500)
		return error_set(err, CT_EIO, "the witness at %s failed on the "
				 "request for %s (%ld); try again later", f->base,
				 what, status);
	return error_set(err, CT_ECORRUPT, "the witness at %s answered %ld "
			 "to the request for %s", f->base, status, what);
}

int fetch_checkpoint(struct fetch *f, struct buf *note, struct error *err)
{
	struct sink k = { .b = note, .fd = -1, .max = FETCH_NOTE_MAX };
	char *path = NULL;
	long status = 0;
	int rc;

	buf_reset(note);
	if (asprintf(&path, "/casetrail/v1/checkpoint?origin=%s",
		     f->origin) < 0)
		return error_set(err, CT_ENOMEM, "out of memory");
	rc = get(f, path, NULL, &k, &status, err);
	free(path);
	if (rc == 0)
		rc = check_status(f, status, "checkpoint of this log", err);
	return rc;
}

int fetch_entries(struct fetch *f, uint64_t start, uint64_t count,
		  json_t **entries, struct error *err)
{
	struct buf body = BUF_INIT_MAX(FETCH_ENTRIES_MAX);
	struct sink k = { .b = &body, .fd = -1, .max = FETCH_ENTRIES_MAX };
	json_error_t jerr;
	json_t *doc = NULL, *list;
	char *path = NULL;
	long status = 0;
	int rc;

	*entries = NULL;
	if (asprintf(&path, "/casetrail/v1/entries?origin=%s&start=%" PRIu64
		     "&count=%" PRIu64, f->origin, start, count) < 0)
		return error_set(err, CT_ENOMEM, "out of memory");
	rc = get(f, path, NULL, &k, &status, err);
	if (rc == 0)
		rc = check_status(f, status, "entries of this log", err);
	if (rc == 0) {
		doc = json_loadb(body.data ? body.data : "", body.len,
				 JSON_REJECT_DUPLICATES, &jerr);
		if (!doc)
			rc = error_set(err, CT_ECORRUPT, "the witness at %s sent "
				       "an entry list that is not JSON (%s) "
				       "for entries from %" PRIu64, f->base,
				       jerr.text, start);
	}
	list = json_object_get(doc, "entries");
	if (rc == 0 && (!json_is_integer(json_object_get(doc, "start")) ||
			(uint64_t)json_integer_value(json_object_get(
				doc, "start")) != start || !json_is_array(list)))
		rc = error_set(err, CT_ECORRUPT, "the witness at %s sent an "
			       "entry list without start %" PRIu64 " and an "
			       "entries array", f->base, start);
	if (rc == 0 && (json_array_size(list) == 0 ||
			json_array_size(list) > count))
		rc = error_set(err, CT_ECORRUPT, "the witness at %s sent %zu "
			       "entries from %" PRIu64 " where 1 to %" PRIu64
			       " were asked for; its list is truncated",
			       f->base, json_array_size(list), start, count);
	if (rc == 0)
		*entries = json_incref(list);
	json_decref(doc);
	buf_release(&body);
	free(path);
	return rc;
}

/*
 * Fills header with "Casetrail-Read-Signature: <base64 of the signed
 * note>" over wblob_read_text, or leaves it empty without a signer.
 */
static int read_signature(struct fetch *f, const char *hash,
			  struct buf *header, struct error *err)
{
	struct buf text = BUF_INIT_MAX(4096), note = BUF_INIT_MAX(8192);
	int rc = 0;

	if (!f->nkeys)
		return buf_putc(header, '\0') ? error_set(err, CT_ENOMEM,
							  "out of memory") : 0;
	if (wblob_read_text(f->origin_raw, hash, (int64_t)time(NULL), &text))
		rc = error_set(err, CT_ENOMEM, "out of memory");
	if (rc == 0)
		rc = note_sign(text.data, text.len, f->keys, f->nkeys, &note,
			       err);
	if (rc == 0 && (buf_puts(header, "Casetrail-Read-Signature: ") ||
			base64_encode(note.data, note.len, header) ||
			buf_putc(header, '\0')))
		rc = error_set(err, CT_ENOMEM, "out of memory");
	buf_release(&text);
	buf_release(&note);
	return rc;
}

int fetch_blob(struct fetch *f, const char *hash, int fd, uint64_t max_size,
	       struct error *err)
{
	struct buf header = BUF_INIT_MAX(16384);
	struct sink k = { .fd = fd, .max = max_size };
	char *path = NULL, what[HASH_TEXT_MAX + 16];
	long status = 0;
	int rc;

	if (asprintf(&path, "/casetrail/v1/blobs/%s?origin=%s", hash,
		     f->origin) < 0)
		return error_set(err, CT_ENOMEM, "out of memory");
	rc = read_signature(f, hash, &header, err);
	if (rc == 0)
		rc = get(f, path, f->nkeys ? (const char *)header.data : NULL,
			 &k, &status, err);
	free(path);
	buf_release(&header);
	snprintf(what, sizeof(what), "file %s", hash);
	if (rc == 0 && status == 403)
		rc = error_set(err, CT_EPERM, "the witness at %s refused to "
			       "hand out file %s: it takes only requests "
			       "signed by this log's keys, and the keys of "
			       "the backup are not the ones it trusts", f->base,
			       hash);
	if (rc == 0)
		rc = check_status(f, status, what, err);
	return rc;
}
