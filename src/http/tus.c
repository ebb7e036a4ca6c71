/*
 * Resumable uploads of audio-visual files with tus 1.0.0: the core
 * protocol (HEAD, PATCH), creation (POST with Upload-Length and
 * Upload-Metadata) and termination (DELETE), as specified at
 * https://tus.io/protocols/resumable-upload. Uploads live under
 * /api/v1/media/tus and are visible only to the user who created them;
 * for anyone else they do not exist (404).
 *
 * An upload is two files in the store's blobs/tmp, so that it stays on
 * the file system the blob store renames into:
 *
 *   blob-tus-<id>       the bytes received so far
 *   blob-tus-<id>.info  the acknowledged offset as 20 decimal digits and
 *                       a newline, then one line of JSON: owner, length,
 *                       the Upload-Metadata as sent, and the seq of the
 *                       media-ingest entry once the upload is complete
 *
 * A PATCH writes its bytes at the acknowledged offset, fdatasyncs them,
 * then rewrites the 20 digits in place and fdatasyncs those, and only
 * then replies. So a server killed at any moment restarts at the last
 * acknowledged offset, or a later one that it had made durable. Bytes
 * beyond that offset are overwritten by the next PATCH. A PATCH cut off
 * by the client keeps the bytes that arrived, as the protocol requires.
 *
 * When the offset reaches the length, the completed file is ingested
 * with media_ingest, which streams it from the start and so hashes it
 * whole, and the reply to that PATCH is 200 with the ingest JSON. The
 * data file is then removed and the .info file records the seq, so that
 * a client that lost that reply finds the seq with HEAD.
 *
 * The "blob-" prefix lets blob_clean_tmp, run at every writable open of
 * the store, remove the files of an upload a day after its last PATCH.
 */
#include "common/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "common/jcs.h"
#include "common/log.h"
#include "crypto/crypto.h"

#define TUS_VERSION "1.0.0"
#define TUS_EXTENSIONS "creation,termination"

/* The largest upload: 64 GiB. */
#define TUS_MAX_SIZE ((uint64_t)64 << 30)

/* Unfinished uploads one user may have at a time. */
#define TUS_UPLOADS_PER_USER 16

/* Upload ids are 16 random bytes in lower-case hex. */
#define TUS_ID_BYTES 16
#define TUS_ID_LEN (2 * TUS_ID_BYTES)

#define TUS_PREFIX "blob-tus-"
#define TUS_INFO_SUFFIX ".info"

/* The width of the offset at the start of a .info file. */
#define OFFSET_DIGITS 20

/* The longest Upload-Metadata header and .info file accepted. */
#define METADATA_MAX 4096
#define INFO_MAX (METADATA_MAX + 1024)

/* The longest decoded metadata value: captured_reason's room. */
#define METADATA_VALUE_MAX 1024

#define TUS_PATH "/api/v1/media/tus/"

/* One upload in the registry; its .info file stores the metadata. */
struct tus_upload {
	char id[TUS_ID_LEN + 1];
	char owner[LEDGER_NAME_MAX + 1];
	uint64_t length;
	uint64_t offset; /* acknowledged and durable */
	int64_t seq;     /* the media-ingest entry once complete, else -1 */
	bool busy;       /* a PATCH or DELETE is using the upload */
};

struct tus_registry {
	pthread_mutex_t lock;
	char dir[PATH_MAX];
	struct tus_upload *items; /* in no order */
	size_t n, cap;
};

/* The PATCH that a request is receiving; its upload stays busy. */
struct tus_patch {
	struct tus_registry *reg;
	char id[TUS_ID_LEN + 1];
	int fd;
	uint64_t start;   /* the offset the PATCH began at */
	uint64_t length;  /* the upload's */
	uint64_t written; /* bytes written from start */
	uint64_t dropped; /* bytes past the length, not written */
	bool overflow;    /* the body went past the length */
};

/* Writes the path of the upload's data file, or its .info file. */
static int upload_path(const struct tus_registry *reg, const char *id,
		       const char *suffix, char *out, size_t n)
{
	if ((size_t)snprintf(out, n, "%s/" TUS_PREFIX "%s%s", reg->dir, id,
			     suffix) < n)
		return 0;
	return CT_EINVAL;
}

/* Returns whether id has the form of an upload id, so it is a safe name. */
static bool id_valid(const char *id)
{
	if (strlen(id) != TUS_ID_LEN)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* Returns the index of upload id, or -1; the caller holds the lock. */
static ssize_t find(const struct tus_registry *reg, const char *id)
{
	for (size_t i = 0; i < reg->n; i++)
		if (!strcmp(reg->items[i].id, id))
			return (ssize_t)i;
	return -1;
}

/* Adds u to the registry; the caller holds the lock. */
static int add(struct tus_registry *reg, const struct tus_upload *u)
{
	if (reg->n == reg->cap) {
		size_t cap = reg->cap ? 2 * reg->cap : 16;
		struct tus_upload *items;

		items = realloc(reg->items, cap * sizeof(*items));
		if (!items)
			return CT_ENOMEM;
		reg->items = items;
		reg->cap = cap;
	}
	reg->items[reg->n++] = *u;
	return 0;
}

/* Removes the upload at index i; the caller holds the lock. */
static void remove_at(struct tus_registry *reg, size_t i)
{
	reg->items[i] = reg->items[--reg->n];
}

static int fsync_dir(const char *dir, struct error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0 || fsync(fd) != 0)
		rc = error_set(err, CT_EIO, "cannot sync folder '%s': %s", dir,
			       strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Writes all of data at offset of fd; returns 0 or -1 with errno set. */
static int pwrite_all(int fd, const char *data, size_t size, uint64_t offset)
{
	while (size > 0) {
		ssize_t n = pwrite(fd, data, size, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		size -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

/*
 * Writes the .info file of u with metadata, through a temporary file
 * that is fsynced and renamed over it, and syncs the folder.
 */
static int info_write(const struct tus_registry *reg,
		      const struct tus_upload *u, const char *metadata,
		      struct error *err)
{
	char path[PATH_MAX], tmp[PATH_MAX], *json = NULL, *text = NULL;
	json_t *info;
	int fd = -1, rc = 0, len;

	info = json_pack("{s:s, s:I, s:s}", "owner", u->owner, "length",
			 (json_int_t)u->length, "metadata", metadata);
	if (info && u->seq >= 0)
		json_object_set_new(info, "seq", json_integer(u->seq));
	json = info ? json_dumps(info, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(info);
	len = json ? asprintf(&text, "%0*" PRIu64 "\n%s\n", OFFSET_DIGITS,
			      u->offset, json)
		   : -1;
	free(json);
	if (len < 0)
		return error_set(err, CT_ENOMEM, "out of memory");

	if (upload_path(reg, u->id, TUS_INFO_SUFFIX, path, sizeof(path)) ||
	    upload_path(reg, u->id, ".tmp", tmp, sizeof(tmp))) {
		free(text);
		return error_set(err, CT_EINVAL, "the temporary folder path "
				 "'%s' is too long", reg->dir);
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || pwrite_all(fd, text, (size_t)len, 0) != 0 ||
	    fsync(fd) != 0 || rename(tmp, path) != 0)
		rc = error_set(err, CT_EIO, "cannot write '%s': %s", path,
			       strerror(errno));
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp);
	free(text);
	return rc ? rc : fsync_dir(reg->dir, err);
}

/* Parses the offset line of a .info file. */
static int parse_offset_line(const char *text, size_t len, uint64_t *out)
{
	char digits[OFFSET_DIGITS + 1];
	const char *p;

	if (len < OFFSET_DIGITS + 1 || text[OFFSET_DIGITS] != '\n')
		return CT_ECORRUPT;
	memcpy(digits, text, OFFSET_DIGITS);
	digits[OFFSET_DIGITS] = '\0';
	/* Zero-padded, so skip the padding before the strict parse. */
	for (p = digits; *p == '0' && p[1]; p++)
		;
	return http_parse_index(p, out) ? CT_ECORRUPT : 0;
}

/*
 * Reads the .info file of upload id into u and its Upload-Metadata into
 * metadata (n > 0). Returns 0, CT_ENOTFOUND or CT_ECORRUPT.
 */
static int info_read(const struct tus_registry *reg, const char *id,
		     struct tus_upload *u, char *metadata, size_t n,
		     struct error *err)
{
	char path[PATH_MAX], text[INFO_MAX + 1];
	json_t *info = NULL, *seq;
	ssize_t len;
	int fd, rc = CT_ECORRUPT;

	if (upload_path(reg, id, TUS_INFO_SUFFIX, path, sizeof(path)))
		return error_set(err, CT_EINVAL, "path too long");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno == ENOENT ? CT_ENOTFOUND : CT_EIO,
				 "cannot open '%s': %s", path,
				 strerror(errno));
	len = pread(fd, text, sizeof(text), 0);
	close(fd);

	memset(u, 0, sizeof(*u));
	snprintf(u->id, sizeof(u->id), "%s", id);
	if (len > 0 && len <= INFO_MAX &&
	    parse_offset_line(text, (size_t)len, &u->offset) == 0)
		info = json_loadb(text + OFFSET_DIGITS + 1,
				  (size_t)len - OFFSET_DIGITS - 1, 0, NULL);
	seq = json_object_get(info, "seq");
	if (json_is_string(json_object_get(info, "owner")) &&
	    json_is_integer(json_object_get(info, "length")) &&
	    json_is_string(json_object_get(info, "metadata")) &&
	    (!seq || json_is_integer(seq))) {
		snprintf(u->owner, sizeof(u->owner), "%s",
			 json_string_value(json_object_get(info, "owner")));
		u->length = (uint64_t)json_integer_value(
		    json_object_get(info, "length"));
		u->seq = seq ? json_integer_value(seq) : -1;
		snprintf(metadata, n, "%s",
			 json_string_value(json_object_get(info, "metadata")));
		rc = u->offset <= u->length ? 0 : CT_ECORRUPT;
	}
	json_decref(info);
	if (rc)
		return error_set(err, rc, "upload file '%s' is damaged", path);
	return 0;
}

/*
 * Makes offset the acknowledged offset of upload id: rewrites the digits
 * at the start of its .info file in place and syncs them.
 */
static int offset_commit(const struct tus_registry *reg, const char *id,
			 uint64_t offset, struct error *err)
{
	char path[PATH_MAX], digits[OFFSET_DIGITS + 1];
	int fd, rc = 0;

	if (upload_path(reg, id, TUS_INFO_SUFFIX, path, sizeof(path)))
		return error_set(err, CT_EINVAL, "path too long");
	snprintf(digits, sizeof(digits), "%0*" PRIu64, OFFSET_DIGITS, offset);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || pwrite_all(fd, digits, OFFSET_DIGITS, 0) != 0 ||
	    fdatasync(fd) != 0)
		rc = error_set(err, CT_EIO, "cannot record the offset of "
			       "upload %s in '%s': %s", id, path,
			       strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Removes both files of upload id; returns 0 or CT_EIO. */
static int files_remove(const struct tus_registry *reg, const char *id,
			struct error *err)
{
	char data[PATH_MAX], info[PATH_MAX];

	if (upload_path(reg, id, "", data, sizeof(data)) ||
	    upload_path(reg, id, TUS_INFO_SUFFIX, info, sizeof(info)))
		return error_set(err, CT_EINVAL, "path too long");
	if ((unlink(data) != 0 && errno != ENOENT) ||
	    (unlink(info) != 0 && errno != ENOENT))
		return error_set(err, CT_EIO, "cannot remove upload %s: %s",
				 id, strerror(errno));
	return fsync_dir(reg->dir, err);
}

/* Adds the upload of one .info file found at start, if it is sound. */
static void load_one(struct tus_registry *reg, const char *name)
{
	char id[TUS_ID_LEN + 1], metadata[METADATA_MAX + 1], path[PATH_MAX];
	size_t prefix = strlen(TUS_PREFIX);
	struct error err = { 0 };
	struct tus_upload u;
	struct stat st;

	if (strlen(name) != prefix + TUS_ID_LEN + strlen(TUS_INFO_SUFFIX) ||
	    strcmp(name + prefix + TUS_ID_LEN, TUS_INFO_SUFFIX) != 0)
		return;
	memcpy(id, name + prefix, TUS_ID_LEN);
	id[TUS_ID_LEN] = '\0';
	if (!id_valid(id))
		return;
	if (info_read(reg, id, &u, metadata, sizeof(metadata), &err) != 0) {
		log_warn("tus", "skipping a damaged upload", "id=%s error=\"%s\"",
			 id, err.msg);
		return;
	}
	/* An unfinished upload whose data file is gone cannot resume. */
	if (u.seq < 0 && (upload_path(reg, id, "", path, sizeof(path)) ||
			  stat(path, &st) != 0)) {
		log_warn("tus", "removing an upload without its data file",
			 "id=%s", id);
		files_remove(reg, id, &err);
		return;
	}
	if (add(reg, &u) != 0)
		log_error("tus", "out of memory loading uploads", "id=%s", id);
}

int tus_registry_open(const char *dir, struct tus_registry **out,
		      struct error *err)
{
	struct tus_registry *reg;
	struct dirent *e;
	DIR *d;

	*out = NULL;
	reg = calloc(1, sizeof(*reg));
	if (!reg)
		return error_set(err, CT_ENOMEM, "out of memory");
	snprintf(reg->dir, sizeof(reg->dir), "%s", dir);
	pthread_mutex_init(&reg->lock, NULL);
	d = opendir(dir);
	if (!d) {
		tus_registry_close(reg);
		return error_set(err, CT_EIO, "cannot open the upload folder "
				 "'%s': %s", dir, strerror(errno));
	}
	while ((e = readdir(d)) != NULL)
		if (!strncmp(e->d_name, TUS_PREFIX, strlen(TUS_PREFIX)))
			load_one(reg, e->d_name);
	closedir(d);
	log_info("tus", "uploads loaded", "count=%zu", reg->n);
	*out = reg;
	return 0;
}

void tus_registry_close(struct tus_registry *reg)
{
	if (!reg)
		return;
	pthread_mutex_destroy(&reg->lock);
	free(reg->items);
	free(reg);
}

/* Adds Tus-Resumable, which every tus response carries. */
static int add_resumable(struct reply *r)
{
	return reply_header(r, "Tus-Resumable", TUS_VERSION);
}

/*
 * Checks the request's Tus-Resumable. Returns 0, or CT_EINVAL with a 412
 * with the supported Tus-Version in r.
 */
static int check_version(struct MHD_Connection *c, struct reply *r)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    "Tus-Resumable");
	char quoted[HTTP_QUOTE_MAX];
	int rc;

	if (v && !strcmp(v, TUS_VERSION))
		return 0;
	rc = reply_header(r, "Tus-Version", TUS_VERSION);
	if (rc)
		return rc;
	if (!v)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_TUS_VERSION,
		    "the request has no Tus-Resumable header; send "
		    "'Tus-Resumable: " TUS_VERSION "'"));
	return reply_rejected(reply_problem_of(
	    r, PROBLEM_TUS_VERSION,
	    "Tus-Resumable '%s' is not supported; this server speaks tus "
	    TUS_VERSION " only",
	    http_quote(v, quoted, sizeof(quoted))));
}

/*
 * Reads header name as a non-negative decimal number. Returns 0 with
 * *found clear when it is absent, or CT_EINVAL with a 400 in r.
 */
static int header_number(struct MHD_Connection *c, const char *name,
			 uint64_t *out, bool *found, struct reply *r)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
	char quoted[HTTP_QUOTE_MAX];

	*found = v != NULL;
	if (!v || http_parse_index(v, out) == 0)
		return 0;
	return reply_rejected(reply_problem_of(
	    r, PROBLEM_INVALID_HEADER,
	    "%s '%s' is invalid; give a decimal number of bytes from 0 to "
	    "2^63 - 1 without sign or leading zeros",
	    name, http_quote(v, quoted, sizeof(quoted))));
}

/* Decodes one "key value" pair of Upload-Metadata into f. */
static int metadata_pair(const char *pair, size_t len,
			 struct media_fields *f, struct reply *r)
{
	char key[64], quoted[HTTP_QUOTE_MAX];
	uint8_t value[METADATA_VALUE_MAX];
	size_t key_len = 0, value_len;
	const char *encoded;
	long n = 0;

	while (key_len < len && pair[key_len] != ' ')
		key_len++;
	if (key_len == 0 || key_len >= sizeof(key))
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_INVALID_HEADER,
		    "Upload-Metadata has a pair with an empty or overlong key; "
		    "send comma-separated 'key base64value' pairs"));
	memcpy(key, pair, key_len);
	key[key_len] = '\0';
	encoded = pair + key_len + (key_len < len);
	value_len = len - (size_t)(encoded - pair);
	if (value_len > 0)
		n = base64_decode(encoded, value_len, value, sizeof(value));
	if (n < 0)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_INVALID_HEADER,
		    "Upload-Metadata value of '%s' is not valid base64 or is "
		    "longer than %d bytes decoded; encode each value as "
		    "standard base64 with padding",
		    http_quote(key, quoted, sizeof(quoted)),
		    METADATA_VALUE_MAX));
	return media_fields_set(f, key, (const char *)value, (size_t)n,
				PROBLEM_INVALID_HEADER, "Upload-Metadata", r);
}

/*
 * Parses Upload-Metadata: comma-separated pairs of a key and a base64
 * value, separated by a space; spaces and tabs around a pair are
 * allowed. Fills f, or returns CT_EINVAL with a 400 in r.
 */
static int parse_metadata(const char *header, struct media_fields *f,
			  struct reply *r)
{
	const char *p = header;
	int rc;

	media_fields_init(f);
	if (strlen(header) > METADATA_MAX)
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_INVALID_HEADER,
		    "Upload-Metadata is longer than %d bytes; send the "
		    "metadata alone, without other keys", METADATA_MAX));
	while (*p) {
		size_t len;

		p += strspn(p, " \t");
		len = strcspn(p, ",");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		rc = metadata_pair(p, len, f, r);
		if (rc)
			return rc;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return media_fields_check(f, PROBLEM_INVALID_HEADER, "Upload-Metadata",
				  r);
}

int tus_options(struct api_call *call, struct reply *r, struct error *err)
{
	int rc;

	(void)err;
	rc = add_resumable(r);
	if (rc == 0)
		rc = reply_header(r, "Tus-Version", TUS_VERSION);
	if (rc == 0)
		rc = reply_header(r, "Tus-Extension", TUS_EXTENSIONS);
	if (rc == 0)
		rc = reply_header(r, "Tus-Max-Size", "%" PRIu64, TUS_MAX_SIZE);
	if (rc == 0)
		rc = query_check(call->c, (const char *const[]){ NULL }, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	r->status = MHD_HTTP_NO_CONTENT;
	return 0;
}

int tus_create_begin(struct server *s, struct MHD_Connection *c,
		     struct request *rq, struct reply *r, struct error *err)
{
	uint64_t length = 0;
	bool found;
	int rc;

	(void)s, (void)rq, (void)err;
	rc = add_resumable(r);
	if (rc == 0)
		rc = check_version(c, r);
	if (rc == 0)
		rc = header_number(c, MHD_HTTP_HEADER_CONTENT_LENGTH, &length,
				   &found, r);
	if (rc == 0 && length > 0)
		rc = reply_rejected(reply_problem_of(
		    r, PROBLEM_INVALID_HEADER,
		    "the creation request has a body of %" PRIu64 " bytes; "
		    "this server does not take data with POST "
		    "(creation-with-upload), so create the upload empty and "
		    "send the data with PATCH",
		    length));
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	return ROUTE_CONTINUE;
}

/* Reads Upload-Length of a creation request; replies 400 or 413. */
static int read_upload_length(struct MHD_Connection *c, uint64_t *length,
			      struct reply *r)
{
	bool found;
	int rc = header_number(c, "Upload-Length", length, &found, r);

	if (rc || found) {
		if (rc == 0 && *length > TUS_MAX_SIZE)
			rc = reply_rejected(reply_problem_of(
			    r, PROBLEM_BODY_TOO_LARGE,
			    "Upload-Length %" PRIu64 " is larger than %" PRIu64
			    " bytes (64 GiB), the largest upload; split the "
			    "recording into files below it",
			    *length, TUS_MAX_SIZE));
		return rc;
	}
	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					"Upload-Defer-Length"))
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_INVALID_HEADER,
		    "Upload-Defer-Length is not supported; send "
		    "Upload-Length with the size of the file in bytes"));
	return reply_rejected(reply_problem_of(
	    r, PROBLEM_INVALID_HEADER,
	    "the request has no Upload-Length; send the size of the whole "
	    "file in bytes"));
}

/*
 * Reserves a new upload of user in the registry, marked busy until its
 * files exist. Returns 0, or CT_EINVAL with a 429 in r.
 */
static int reserve(struct tus_registry *reg, struct tus_upload *u,
		   struct reply *r, struct error *err)
{
	uint8_t raw[TUS_ID_BYTES];
	unsigned unfinished = 0;
	int rc;

	if (crypto_random(raw, sizeof(raw)) != 0)
		return error_set(err, CT_ECRYPTO, "cannot draw an upload id");
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(u->id + 2 * i, 3, "%02x", raw[i]);
	pthread_mutex_lock(&reg->lock);
	for (size_t i = 0; i < reg->n; i++)
		if (reg->items[i].seq < 0 &&
		    !strcmp(reg->items[i].owner, u->owner))
			unfinished++;
	if (unfinished >= TUS_UPLOADS_PER_USER)
		rc = reply_rejected(reply_problem_of(
		    r, PROBLEM_TOO_MANY_UPLOADS,
		    "user %s has %u unfinished uploads, the most one user may "
		    "have; finish or DELETE one of them first",
		    u->owner, unfinished));
	else
		rc = add(reg, u);
	pthread_mutex_unlock(&reg->lock);
	return rc;
}

/* Creates the empty data file and the .info file of u. */
static int create_files(struct tus_registry *reg, const struct tus_upload *u,
			const char *metadata, struct error *err)
{
	char path[PATH_MAX];
	int fd, rc = 0;

	if (upload_path(reg, u->id, "", path, sizeof(path)))
		return error_set(err, CT_EINVAL, "the temporary folder path "
				 "'%s' is too long", reg->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || fsync(fd) != 0)
		rc = error_set(err, CT_EIO, "cannot create upload file '%s': "
			       "%s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		rc = info_write(reg, u, metadata, err);
	if (rc)
		files_remove(reg, u->id, &(struct error){ 0 });
	return rc;
}

/* Ends the hold of a request on upload id, or drops it when gone. */
static void settle(struct tus_registry *reg, const char *id, bool gone)
{
	ssize_t i;

	pthread_mutex_lock(&reg->lock);
	i = find(reg, id);
	if (i >= 0 && gone)
		remove_at(reg, (size_t)i);
	else if (i >= 0)
		reg->items[i].busy = false;
	pthread_mutex_unlock(&reg->lock);
}

/* Fills r with 201, the upload's Location and a short JSON body. */
static int reply_created(struct reply *r, const struct tus_upload *u)
{
	int rc;

	snprintf(r->location, sizeof(r->location), TUS_PATH "%s", u->id);
	rc = reply_json(r,
			json_pack("{s:s, s:s, s:I, s:I}", "id", u->id,
				  "location", r->location, "length",
				  (json_int_t)u->length, "offset", (json_int_t)0),
			CACHE_NONE);
	r->status = MHD_HTTP_CREATED;
	return rc;
}

int tus_create(struct api_call *call, struct reply *r, struct error *err)
{
	struct tus_registry *reg = call->s->tus;
	struct tus_upload u = { .seq = -1, .busy = true };
	struct media_fields f;
	const char *metadata;
	char user[LEDGER_NAME_MAX + 8];
	int rc;

	rc = add_resumable(r);
	if (rc == 0)
		rc = query_check(call->c, (const char *const[]){ NULL }, r);
	if (rc == 0)
		rc = read_upload_length(call->c, &u.length, r);
	metadata = MHD_lookup_connection_value(call->c, MHD_HEADER_KIND,
					       "Upload-Metadata");
	if (rc == 0)
		rc = parse_metadata(metadata ? metadata : "", &f, r);
	/* Metadata the ingest would reject fails now, not after the bytes. */
	if (rc == 0)
		rc = media_fields_accept(call, &f, r, err);
	snprintf(u.owner, sizeof(u.owner), "%s", call->rq->user);
	if (rc == 0)
		rc = reserve(reg, &u, r, err);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;

	rc = create_files(reg, &u, metadata ? metadata : "", err);
	settle(reg, u.id, rc != 0);
	if (rc)
		return rc;
	log_info("tus", "upload created", "id=%s user=%s length=%" PRIu64,
		 u.id, log_quote(u.owner, user, sizeof(user)), u.length);
	return reply_created(r, &u);
}

/* Fills r with the 404 of upload id; returns CT_ENOTFOUND. */
static int reply_not_found(struct reply *r, const char *id)
{
	char quoted[HTTP_QUOTE_MAX];

	reply_problem_of(r, PROBLEM_NOT_FOUND,
			 "upload '%s' does not exist: it was never created "
			 "by this user, was terminated, or expired a day "
			 "after its last PATCH; create a new one with POST "
			 "/api/v1/media/tus",
			 http_quote(id, quoted, sizeof(quoted)));
	return CT_ENOTFOUND;
}

/*
 * Finds the upload of the path parameter that belongs to user and copies
 * it to *u. Returns 0, or CT_ENOTFOUND with a 404 in r.
 */
static int lookup(struct tus_registry *reg, const char *id, const char *user,
		  struct tus_upload *u, struct reply *r)
{
	ssize_t i = -1;

	pthread_mutex_lock(&reg->lock);
	if (id_valid(id))
		i = find(reg, id);
	if (i >= 0 && !strcmp(reg->items[i].owner, user))
		*u = reg->items[i];
	else
		i = -1;
	pthread_mutex_unlock(&reg->lock);
	return i >= 0 ? 0 : reply_not_found(r, id);
}

int tus_head(struct api_call *call, struct reply *r, struct error *err)
{
	struct tus_registry *reg = call->s->tus;
	char metadata[METADATA_MAX + 1];
	struct tus_upload u, stored;
	int rc;

	rc = add_resumable(r);
	if (rc == 0)
		rc = check_version(call->c, r);
	if (rc == 0)
		rc = query_check(call->c, (const char *const[]){ NULL }, r);
	if (rc == 0)
		rc = lookup(reg, call->params[0], call->rq->user, &u, r);
	if (rc)
		return rc == CT_EINVAL || rc == CT_ENOTFOUND ? 0 : rc;

	/* The offset comes from the registry, which a PATCH updates only
	 * once the offset is durable; the file gives the metadata. */
	rc = info_read(reg, u.id, &stored, metadata, sizeof(metadata), err);
	if (rc == CT_ENOTFOUND) {
		/* Removed by blob_clean_tmp of another process. */
		if (!u.busy)
			settle(reg, u.id, true);
		reply_not_found(r, u.id);
		return 0;
	}
	if (rc == 0)
		rc = reply_header(r, "Upload-Offset", "%" PRIu64, u.offset);
	if (rc == 0)
		rc = reply_header(r, "Upload-Length", "%" PRIu64, u.length);
	if (rc == 0 && metadata[0])
		rc = reply_header(r, "Upload-Metadata", "%s", metadata);
	if (rc == 0 && u.seq >= 0)
		rc = reply_header(r, "Casetrail-Media-Seq", "%" PRId64, u.seq);
	if (rc)
		return rc;
	r->status = MHD_HTTP_OK;
	r->cache_control = CACHE_NONE;
	return 0;
}

/* Returns whether the media type of a Content-Type is tus's own. */
static bool is_offset_stream(const char *type)
{
	static const char tus_type[] = "application/offset+octet-stream";
	size_t len = type ? strcspn(type, "; \t") : 0;

	return len == sizeof(tus_type) - 1 &&
	       !strncasecmp(type, tus_type, len);
}

/* Checks the header fields of a PATCH; replies 400, 412 or 415. */
static int check_patch_headers(struct MHD_Connection *c, uint64_t *offset,
			       uint64_t *declared, bool *has_declared,
			       struct reply *r)
{
	const char *type;
	char quoted[HTTP_QUOTE_MAX];
	bool found;
	int rc;

	rc = check_version(c, r);
	if (rc)
		return rc;
	type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!is_offset_stream(type))
		return reply_rejected(reply_problem_of(
		    r, PROBLEM_UNSUPPORTED_MEDIA_TYPE,
		    "Content-Type '%s' is not supported; send a PATCH body as "
		    "application/offset+octet-stream",
		    http_quote(type ? type : "", quoted, sizeof(quoted))));
	rc = header_number(c, "Upload-Offset", offset, &found, r);
	if (rc == 0 && !found)
		rc = reply_rejected(reply_problem_of(
		    r, PROBLEM_INVALID_HEADER,
		    "the PATCH has no Upload-Offset; send the offset that "
		    "HEAD returns"));
	if (rc == 0)
		rc = header_number(c, MHD_HTTP_HEADER_CONTENT_LENGTH, declared,
				   has_declared, r);
	return rc;
}

/*
 * Takes the hold of a PATCH on upload u after checking its state against
 * the request. Returns 0, or CT_EINVAL with a 409, 413 or 423 in r.
 */
static int hold_for_patch(struct tus_registry *reg, struct tus_upload *u,
			  uint64_t offset, uint64_t declared,
			  bool has_declared, struct reply *r)
{
	ssize_t i;
	int rc = 0;

	pthread_mutex_lock(&reg->lock);
	i = find(reg, u->id);
	if (i < 0)
		rc = CT_ENOTFOUND;
	else if (reg->items[i].busy)
		rc = reply_rejected(reply_problem_of(
		    r, PROBLEM_UPLOAD_LOCKED,
		    "upload %s is in use by another request, such as a PATCH "
		    "whose connection the server has not yet seen close; "
		    "retry in a few seconds", u->id));
	else if (reg->items[i].seq >= 0)
		rc = reply_rejected(reply_problem_of(
		    r, PROBLEM_ALREADY_EXISTS,
		    "upload %s is complete and stored as media %" PRId64
		    "; read it at /api/v1/media/%" PRId64,
		    u->id, reg->items[i].seq, reg->items[i].seq));
	else if (reg->items[i].offset != offset)
		rc = reply_rejected(reply_problem_of(
		    r, PROBLEM_OFFSET_MISMATCH,
		    "Upload-Offset %" PRIu64 " is not the offset of upload "
		    "%s, which is %" PRIu64 "; send HEAD and resume from the "
		    "offset it returns",
		    offset, u->id, reg->items[i].offset));
	else if (has_declared && declared > reg->items[i].length - offset)
		rc = reply_rejected(reply_problem_of(
		    r, PROBLEM_BODY_TOO_LARGE,
		    "the PATCH carries %" PRIu64 " bytes from offset %" PRIu64
		    ", past the Upload-Length of %" PRIu64 "; send at most "
		    "the %" PRIu64 " bytes left",
		    declared, offset, reg->items[i].length,
		    reg->items[i].length - offset));
	if (i >= 0 && rc == 0) {
		reg->items[i].busy = true;
		*u = reg->items[i];
	}
	pthread_mutex_unlock(&reg->lock);
	return rc;
}

int tus_patch_begin(struct server *s, struct MHD_Connection *c,
		    struct request *rq, struct reply *r, struct error *err)
{
	uint64_t offset = 0, declared = 0;
	struct tus_registry *reg = s->tus;
	char path[PATH_MAX];
	struct tus_upload u;
	struct tus_patch *p;
	bool has_declared;
	int rc, fd;

	rc = add_resumable(r);
	if (rc == 0)
		rc = query_check(c, (const char *const[]){ NULL }, r);
	if (rc == 0)
		rc = check_patch_headers(c, &offset, &declared, &has_declared,
					 r);
	if (rc == 0)
		rc = lookup(reg, rq->params[0], rq->user, &u, r);
	if (rc == 0)
		rc = hold_for_patch(reg, &u, offset, declared, has_declared,
				    r);
	if (rc == CT_ENOTFOUND && !r->problem)
		rc = reply_not_found(r, u.id);
	if (rc)
		return rc == CT_EINVAL || rc == CT_ENOTFOUND ? 0 : rc;

	p = calloc(1, sizeof(*p));
	fd = -1;
	if (p && upload_path(reg, u.id, "", path, sizeof(path)) == 0)
		fd = open(path, O_WRONLY | O_CLOEXEC);
	if (p && fd < 0 && errno == ENOENT) {
		/* Removed by blob_clean_tmp of another process. */
		free(p);
		settle(reg, u.id, true);
		reply_not_found(r, u.id);
		return 0;
	}
	if (!p || fd < 0) {
		rc = p ? error_set(err, CT_EIO, "cannot open upload file: %s",
				   strerror(errno))
		       : error_set(err, CT_ENOMEM, "out of memory");
		free(p);
		settle(reg, u.id, false);
		return rc;
	}
	p->reg = reg;
	snprintf(p->id, sizeof(p->id), "%s", u.id);
	p->fd = fd;
	p->start = u.offset;
	p->length = u.length;
	rq->tus_patch = p;
	return ROUTE_CONTINUE;
}

enum MHD_Result tus_patch_receive(struct request *rq, const char *data,
				  size_t size)
{
	struct tus_patch *p = rq->tus_patch;
	char user[LEDGER_NAME_MAX + 8];

	rq->upload_seen += size;
	if (!p->overflow && size > p->length - p->start - p->written)
		p->overflow = true;
	if (p->overflow) {
		p->dropped += size;
		return p->dropped <= DRAIN_MAX ? MHD_YES : MHD_NO;
	}
	if (pwrite_all(p->fd, data, size, p->start + p->written) != 0) {
		log_error("tus", "cannot write a PATCH; closing the "
			  "connection", "id=%s user=%s offset=%" PRIu64
			  " error=\"%s\"", p->id,
			  log_quote(rq->user, user, sizeof(user)),
			  p->start + p->written, strerror(errno));
		return MHD_NO;
	}
	p->written += size;
	return MHD_YES;
}

/*
 * Makes the bytes of p durable and acknowledges them: data first, then
 * the offset, so the offset never runs ahead of the data.
 */
static int patch_commit(struct tus_patch *p, struct error *err)
{
	uint64_t offset = p->start + p->written;
	ssize_t i;
	int rc;

	if (p->written == 0)
		return 0;
	if (fdatasync(p->fd) != 0)
		return error_set(err, CT_EIO, "cannot sync upload %s: %s",
				 p->id, strerror(errno));
	rc = offset_commit(p->reg, p->id, offset, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&p->reg->lock);
	i = find(p->reg, p->id);
	if (i >= 0)
		p->reg->items[i].offset = offset;
	pthread_mutex_unlock(&p->reg->lock);
	return 0;
}

/* Closes the PATCH of rq and ends its hold on the upload. */
static void patch_end(struct request *rq)
{
	struct tus_patch *p = rq->tus_patch;

	close(p->fd);
	settle(p->reg, p->id, false);
	free(p);
	rq->tus_patch = NULL;
}

void tus_patch_release(struct request *rq)
{
	struct tus_patch *p = rq->tus_patch;
	char user[LEDGER_NAME_MAX + 8];
	struct error err = { 0 };

	if (!p)
		return;
	/* The client went away mid-body: keep what arrived, unless the body
	 * went past the length, which makes all of it suspect. */
	if (!p->overflow && patch_commit(p, &err) != 0)
		log_error("tus", "cannot keep an interrupted PATCH", "id=%s "
			  "error=\"%s\"", p->id, err.msg);
	log_info("tus", "PATCH interrupted", "id=%s user=%s kept=%" PRIu64
		 " offset=%" PRIu64, p->id,
		 log_quote(rq->user, user, sizeof(user)),
		 p->overflow ? 0 : p->written,
		 p->start + (p->overflow ? 0 : p->written));
	patch_end(rq);
}

/* Marks upload u as ingested as seq: .info records it, data goes. */
static void mark_complete(struct tus_registry *reg, struct tus_upload *u,
			  const char *metadata, int64_t seq)
{
	char path[PATH_MAX];
	struct error err = { 0 };
	ssize_t i;

	u->seq = seq;
	u->offset = u->length;
	if (info_write(reg, u, metadata, &err) != 0) {
		/* NOTE: a retried PATCH then ingests the file a second time,
		 * which media_ingest reports in "duplicates". */
		log_error("tus", "cannot record an ingested upload", "id=%s "
			  "seq=%" PRId64 " error=\"%s\"", u->id, seq, err.msg);
		return;
	}
	if (upload_path(reg, u->id, "", path, sizeof(path)) == 0)
		unlink(path);
	pthread_mutex_lock(&reg->lock);
	i = find(reg, u->id);
	if (i >= 0)
		reg->items[i].seq = seq;
	pthread_mutex_unlock(&reg->lock);
}

/*
 * Ingests the completed upload of p, still held, and fills r with 200
 * and the ingest JSON, or with the problem media_ingest raised.
 */
static int complete(struct api_call *call, struct tus_patch *p,
		    struct reply *r, struct error *err)
{
	char metadata[METADATA_MAX + 1], path[PATH_MAX];
	struct reply scratch;
	struct media_fields f;
	struct tus_upload u;
	json_t *out = NULL;
	int rc, fd;

	rc = info_read(p->reg, p->id, &u, metadata, sizeof(metadata), err);
	if (rc)
		return rc;
	reply_init(&scratch);
	rc = parse_metadata(metadata, &f, &scratch);
	reply_release(&scratch);
	if (rc)
		return error_set(err, CT_ECORRUPT, "the stored metadata of "
				 "upload %s no longer parses", p->id);
	if (upload_path(p->reg, p->id, "", path, sizeof(path)) != 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return error_set(err, CT_EIO, "cannot open upload %s: %s",
				 p->id, strerror(errno));
	rc = media_ingest_fd(call, fd, &f, &out, r, err);
	close(fd);
	if (rc || !out)
		return rc;

	u.offset = u.length;
	mark_complete(p->reg, &u, metadata,
		      json_integer_value(json_object_get(out, "seq")));
	log_info("tus", "upload ingested", "id=%s seq=%" PRId64, p->id,
		 u.seq);
	rc = reply_header(r, "Upload-Offset", "%" PRIu64, u.length);
	if (rc == 0)
		rc = reply_header(r, "Casetrail-Media-Seq", "%" PRId64, u.seq);
	if (rc == 0)
		rc = reply_json(r, out, CACHE_NONE);
	else
		json_decref(out);
	return rc;
}

int tus_patch(struct api_call *call, struct reply *r, struct error *err)
{
	struct tus_patch *p = call->rq->tus_patch;
	uint64_t offset;
	int rc;

	if (!p)
		return error_set(err, CT_EIO, "the PATCH has no upload open");
	rc = add_resumable(r);
	if (rc) {
		patch_end(call->rq);
		return rc;
	}
	if (p->overflow) {
		rc = reply_problem_of(
		    r, PROBLEM_BODY_TOO_LARGE,
		    "the PATCH body went past the Upload-Length of %" PRIu64
		    " bytes, so none of it was kept; send HEAD and resume "
		    "with at most the bytes left", p->length);
		patch_end(call->rq);
		return rc;
	}
	rc = patch_commit(p, err);
	offset = p->start + p->written;
	if (rc == 0 && offset == p->length)
		rc = complete(call, p, r, err);
	else if (rc == 0) {
		rc = reply_header(r, "Upload-Offset", "%" PRIu64, offset);
		r->status = MHD_HTTP_NO_CONTENT;
	}
	patch_end(call->rq);
	return rc;
}

int tus_delete(struct api_call *call, struct reply *r, struct error *err)
{
	struct tus_registry *reg = call->s->tus;
	char user[LEDGER_NAME_MAX + 8];
	struct tus_upload u;
	ssize_t i;
	int rc;

	rc = add_resumable(r);
	if (rc == 0)
		rc = check_version(call->c, r);
	if (rc == 0)
		rc = query_check(call->c, (const char *const[]){ NULL }, r);
	if (rc == 0)
		rc = lookup(reg, call->params[0], call->rq->user, &u, r);
	if (rc)
		return rc == CT_EINVAL || rc == CT_ENOTFOUND ? 0 : rc;

	pthread_mutex_lock(&reg->lock);
	i = find(reg, u.id);
	if (i >= 0 && reg->items[i].busy)
		rc = reply_rejected(reply_problem_of(
		    r, PROBLEM_UPLOAD_LOCKED,
		    "upload %s is in use by another request; retry in a few "
		    "seconds", u.id));
	else if (i >= 0)
		reg->items[i].busy = true;
	pthread_mutex_unlock(&reg->lock);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;

	rc = files_remove(reg, u.id, err);
	settle(reg, u.id, rc == 0);
	if (rc)
		return rc;
	log_info("tus", "upload terminated", "id=%s user=%s offset=%" PRIu64,
		 u.id, log_quote(u.owner, user, sizeof(user)), u.offset);
	r->status = MHD_HTTP_NO_CONTENT;
	return 0;
}
