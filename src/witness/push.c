/*
 * The bureau's side of the witness (docs/witness.md). For each witness
 * in the store's witness.json it pushes the entries the witness lacks in
 * batches, then the files the entries name, except window surveillance
 * footage of no case that no hold covers. Then it pushes the latest
 * checkpoint with a consistency proof from the size the witness cosigned
 * last, and keeps the cosigned note once its cosignatures verify with
 * the witness's keys.
 *
 * libcurl is used only under src/witness/. The pusher thread of
 * casetrail serve retries a failing witness with exponential backoff
 * from 1 s up to 60 s and logs one line when a witness starts failing
 * and one when it succeeds again, not one per try.
 */
#include "common/common.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "internal.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "store/media.h"
#include "store/projection.h"
#include "store/witness.h"
#include "witness.h"

#define TARGETS_MAX 4
#define BATCH_BYTES_MAX ((size_t)8 << 20)
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define POLL_MS 500
#define BEHIND_ENTRIES 10000
#define BEHIND_MS (3600 * 1000LL)

/*
 * The time after which a witness is behind: an hour, or
 * $CASETRAIL_WITNESS_BEHIND_SECONDS when set to a positive number.
 */
static int64_t behind_ms(void)
{
	const char *v = getenv("CASETRAIL_WITNESS_BEHIND_SECONDS");
	char *end;
	long long s;

	if (!v || !v[0])
		return BEHIND_MS;
	errno = 0;
	s = strtoll(v, &end, 10);
	return errno || *end || s <= 0 || s > INT32_MAX ? BEHIND_MS
							: s * 1000LL;
}

struct target {
	char url[512];
	char name[WITNESS_NAME_MAX];
	struct key *keys[WITNESS_KEYS_MAX];
	size_t nkeys;
	int have_held;
	uint64_t held;      /* entries the witness holds */
	int have_accepted;
	uint64_t accepted;  /* size the witness cosigned last */
	uint64_t files_done; /* entries whose files were pushed */
	/* The pusher's state, under the pusher's mutex. */
	char error[512];
	int64_t failing_since_ms;
	int failing;
	unsigned backoff_ms;
	int64_t next_ms;
	uint64_t failures;
	int64_t last_ok_ms;
};

struct witness_pusher {
	struct ledger *l;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	struct target t[TARGETS_MAX];
	size_t n;
};

/* ---- HTTP ---- */

struct sink {
	struct buf *b;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct sink *k = ctx;

	if (buf_append(k->b, p, size * n) != 0)
		return 0;
	return size * n;
}

/*
 * One request: method to base + path, with a body from memory or from
 * the file at upload (streamed). Fills *status and resp (bounded).
 */
static int call(const char *base, const char *path, const char *method,
		const char *type, const void *body, size_t len,
		const char *upload, long *status, struct buf *resp,
		struct error *err)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	struct sink k = { resp };
	char url[2048], ctype[128];
	FILE *f = NULL;
	CURLcode cc;

	if (!h)
		return error_set(err, CT_ENOMEM, "cannot start an HTTP client");
	buf_reset(resp);
	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &k);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (type) {
		snprintf(ctype, sizeof(ctype), "Content-Type: %s", type);
		hdr = curl_slist_append(hdr, ctype);
		hdr = curl_slist_append(hdr, "Expect:");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	}
	if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(method, "PUT")) {
		struct stat sb;

		f = fopen(upload, "rb");
		if (!f || fstat(fileno(f), &sb) != 0) {
			if (f)
				fclose(f);
			curl_easy_cleanup(h);
			curl_slist_free_all(hdr);
			return error_set(err, CT_EIO, "cannot open file '%s': "
					 "%s", upload, strerror(errno));
		}
		/* A large video may take long: only a stalled one fails. */
		curl_easy_setopt(h, CURLOPT_TIMEOUT, 0L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READDATA, f);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)sb.st_size);
	} else if (!strcmp(method, "POST")) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)len);
	}
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	if (f)
		fclose(f);
	if (cc != CURLE_OK)
		return error_set(err, CT_EIO, "witness %s unreachable: %s",
				 base, curl_easy_strerror(cc));
	return 0;
}

/* The first line of an answer, for messages. */
static const char *first_line(struct buf *b, char *out, size_t n)
{
	size_t len = b->len;
	const char *nl = b->data ? memchr(b->data, '\n', len) : NULL;

	if (nl)
		len = (size_t)(nl - b->data);
	snprintf(out, n, "%.*s", (int)(len < 300 ? len : 300),
		 b->data ? b->data : "");
	return out;
}

/* ---- Targets ---- */

static void target_free(struct target *t)
{
	for (size_t i = 0; i < t->nkeys; i++)
		key_free(t->keys[i]);
	t->nkeys = 0;
}

static int load_targets(const char *dir, struct target *t, size_t *n,
			struct error *err)
{
	json_t *cfg = NULL, *w;
	size_t i;
	int rc = witness_config_read(dir, &cfg, err);

	*n = 0;
	json_array_foreach(cfg ? json_object_get(cfg, "witnesses") : NULL, i,
			   w) {
		json_t *pems = json_object_get(w, "keys");
		struct target *x = &t[*n];

		if (rc || *n == TARGETS_MAX)
			break;
		memset(x, 0, sizeof(*x));
		snprintf(x->url, sizeof(x->url), "%s",
			 json_string_value(json_object_get(w, "url")) ?: "");
		while (x->url[0] && x->url[strlen(x->url) - 1] == '/')
			x->url[strlen(x->url) - 1] = '\0';
		snprintf(x->name, sizeof(x->name), "%s",
			 json_string_value(json_object_get(w, "name")) ?: "");
		for (size_t j = 0; rc == 0 && j < json_array_size(pems) &&
				   j < WITNESS_KEYS_MAX; j++) {
			const char *pem =
				json_string_value(json_array_get(pems, j));

			rc = key_load_public_pem(pem ? pem : "",
						 pem ? strlen(pem) : 0,
						 &x->keys[j], err);
			if (rc == 0)
				x->nkeys = j + 1;
		}
		(*n)++;
	}
	json_decref(cfg);
	return rc;
}

/* ---- One push ---- */

struct push_state {
	struct ledger *l;
	const struct ledger_config *cfg;
	struct target *t;
	char escaped[CHECKPOINT_ORIGIN_MAX * 3];
	struct buf resp;
	json_t *report;
	int force; /* send the checkpoint even if the witness cosigned it */
};

static void escape_origin(struct push_state *ps)
{
	CURL *h = curl_easy_init();
	char *e = h ? curl_easy_escape(h, ps->cfg->origin, 0) : NULL;

	snprintf(ps->escaped, sizeof(ps->escaped), "%s", e ? e : "");
	curl_free(e);
	curl_easy_cleanup(h);
}

/* Reads a {"size": N} answer. */
static int answer_size(struct push_state *ps, uint64_t *size)
{
	json_t *v = json_loadb(ps->resp.data ? ps->resp.data : "",
			       ps->resp.len, 0, NULL);
	json_t *s = json_object_get(v, "size");
	int ok = json_is_integer(s) && json_integer_value(s) >= 0;

	if (ok)
		*size = (uint64_t)json_integer_value(s);
	json_decref(v);
	return ok ? 0 : -1;
}

/*
 * Appends ,"signature": the log's signed note over the batch of count
 * entries from start whose base64 texts h has hashed (wentries_text).
 */
static int sign_entries(struct push_state *ps, uint64_t start,
			uint64_t count, struct hasher *h, struct buf *body,
			struct error *err)
{
	struct note_key keys[2];
	struct buf text = BUF_INIT_MAX(CHECKPOINT_ORIGIN_MAX + 256);
	struct buf note = BUF_INIT_MAX(4096);
	uint8_t digest[HASH_LEN];
	size_t n = 0;
	char *quoted = NULL;
	json_t *s;
	int rc;

	hasher_final(h, digest);
	rc = ledger_note_keys(ps->l, keys, &n, 1, err);
	if (rc == 0 && wentries_text(ps->cfg->origin, start, count, digest,
				     &text) != 0)
		rc = error_set(err, CT_ENOMEM, "out of memory");
	if (rc == 0)
		rc = note_sign(text.data, text.len, keys, n, &note, err);
	if (rc == 0) {
		s = json_stringn(note.data, note.len);
		quoted = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
		json_decref(s);
		rc = quoted ? buf_printf(body, ",\"signature\":%s", quoted)
			    : error_set(err, CT_ENOMEM, "out of memory");
	}
	free(quoted);
	buf_release(&text);
	buf_release(&note);
	return rc;
}

/* Posts entries [start, end) (end may equal start: a probe). */
static int post_entries(struct push_state *ps, uint64_t start, uint64_t end,
			struct error *err)
{
	struct buf body = BUF_INIT_MAX(BATCH_BYTES_MAX + (1 << 20));
	struct buf entry = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	struct hasher *h = hasher_new(HASH_SHA256);
	char *origin = NULL, line[400];
	json_t *o = json_string(ps->cfg->origin);
	uint64_t seq = start, size = 0;
	long status = 0;
	int rc = h ? 0 : error_set(err, CT_ENOMEM, "out of memory");

	origin = json_dumps(o, JSON_ENCODE_ANY);
	json_decref(o);
	if (rc == 0)
		rc = buf_printf(&body, "{\"origin\":%s,\"start\":%" PRIu64
				",\"entries\":[", origin ? origin : "\"\"",
				start);
	free(origin);
	for (; rc == 0 && seq < end && seq - start < WITNESS_BATCH_MAX &&
	       body.len < BATCH_BYTES_MAX; seq++) {
		size_t at;

		rc = ledger_entry(ps->l, seq, &entry, err);
		if (rc == 0 && seq > start)
			rc = buf_putc(&body, ',');
		if (rc == 0)
			rc = buf_putc(&body, '"');
		at = body.len;
		if (rc == 0)
			rc = base64_encode(entry.data, entry.len, &body);
		if (rc == 0) {
			hasher_update(h, body.data + at, body.len - at);
			hasher_update(h, "\n", 1);
			rc = buf_putc(&body, '"');
		}
	}
	if (rc == 0)
		rc = buf_putc(&body, ']');
	if (rc == 0 && seq > start)
		rc = sign_entries(ps, start, seq - start, h, &body, err);
	if (rc == 0)
		rc = buf_putc(&body, '}');
	if (rc == 0)
		rc = call(ps->t->url, "/casetrail/v1/entries", "POST",
			  "application/json", body.data, body.len, NULL,
			  &status, &ps->resp, err);
	buf_release(&body);
	buf_release(&entry);
	hasher_free(h);
	if (rc)
		return rc;
	if ((status == 200 || status == 409) && answer_size(ps, &size) == 0) {
		ps->t->held = size;
		ps->t->have_held = 1;
		return 0;
	}
	return error_set(err, CT_EIO, "witness %s answered %ld to entries "
			 "from %" PRIu64 ": %s", ps->t->url, status, start,
			 first_line(&ps->resp, line, sizeof(line)));
}

static int push_entries(struct push_state *ps, uint64_t size,
			struct error *err)
{
	int rc = 0;

	if (!ps->t->have_held)
		rc = post_entries(ps, ps->t->have_accepted ? ps->t->accepted : 0,
				  ps->t->have_accepted ? ps->t->accepted : 0,
				  err);
	/*
	 * Entries past what the witness cosigned are pending there and may
	 * be another copy's: push this store's own from the cosigned size.
	 */
	if (rc == 0 && ps->t->held > size && ps->t->have_accepted &&
	    ps->t->accepted <= size) {
		ps->t->held = ps->t->accepted;
		ps->force = 1;
	}
	while (rc == 0 && ps->t->held < size) {
		uint64_t before = ps->t->held;

		rc = post_entries(ps, before, size, err);
		if (rc == 0 && ps->t->held == before)
			rc = error_set(err, CT_EIO, "witness %s made no progress"
				       " at entry %" PRIu64, ps->t->url,
				       before);
	}
	if (rc == 0 && ps->t->held > size)
		rc = error_set(err, CT_ESTATE, "witness %s holds %" PRIu64
			       " entries but this store has only %" PRIu64
			       ": the store was rolled back or replaced; "
			       "compare it with casetrail verify --against %s",
			       ps->t->url, ps->t->held, size, ps->t->url);
	return rc;
}

/*
 * Whether the files of entry seq go to the witness: every attachment,
 * except window footage of no case that no hold covers.
 */
static int wants_files(struct push_state *ps, uint64_t seq, const json_t *e)
{
	struct buf row = BUF_INIT_MAX(1 << 20);
	struct store *s = NULL;
	json_t *m = NULL;
	int want = 1;

	if (json_object_get(e, "case"))
		return 1;
	if (ledger_read_begin(ps->l, &s, NULL) != 0)
		return 1;
	if (store_media_get(s, seq, &row, NULL) == 0)
		m = json_loadb(row.data, row.len, 0, NULL);
	if (m && !json_object_get(m, "case") &&
	    json_string_value(json_object_get(m, "window")))
		want = store_hold_covers(
			s, seq, json_string_value(json_object_get(m, "window")),
			STORE_NO_TIME, STORE_NO_TIME, NULL) == 1;
	ledger_read_end(ps->l, s);
	json_decref(m);
	buf_release(&row);
	return want;
}

static int push_file(struct push_state *ps, const char *hash,
		     struct error *err)
{
	char path[PATH_MAX], target[1024], line[400];
	long status = 0;
	int rc;

	wpath(target, sizeof(target), "/casetrail/v1/blobs/%s?origin=%s",
		 hash, ps->escaped);
	rc = call(ps->t->url, target, "HEAD", NULL, NULL, 0, NULL, &status,
		  &ps->resp, err);
	if (rc || status == 200)
		return rc;
	rc = ledger_blob_path(ps->l, hash, path, sizeof(path), err);
	if (rc)
		return rc;
	if (access(path, F_OK) != 0)
		return 0; /* expunged or purged: nothing to send */
	rc = call(ps->t->url, target, "PUT", "application/octet-stream", NULL,
		  0, path, &status, &ps->resp, err);
	if (rc == 0 && status != 200 && status != 201)
		rc = error_set(err, CT_EIO, "witness %s refused file %s (%ld):"
			       " %s", ps->t->url, hash, status,
			       first_line(&ps->resp, line, sizeof(line)));
	return rc;
}

static int push_files(struct push_state *ps, uint64_t upto,
		      struct error *err)
{
	struct buf entry = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	int rc = 0;
	uint64_t sent = 0;

	while (rc == 0 && ps->t->files_done < upto) {
		uint64_t seq = ps->t->files_done;
		json_t *e, *atts, *a;
		size_t i;

		rc = ledger_entry(ps->l, seq, &entry, err);
		e = rc == 0 ? json_loadb(entry.data, entry.len, 0, NULL) : NULL;
		atts = json_object_get(e, "attachments");
		if (json_array_size(atts) && wants_files(ps, seq, e)) {
			json_array_foreach(atts, i, a) {
				const char *h = json_string_value(
					json_object_get(a, "hash"));

				if (rc == 0 && h)
					rc = push_file(ps, h, err);
				if (rc == 0 && h)
					sent++;
			}
		}
		/* Footage linked to a case later goes with the link. */
		if (rc == 0 && json_object_get(e, "case") &&
		    !strcmp(json_string_value(json_object_get(e, "kind")) ?: "",
			    "media-link")) {
			json_t *fields = NULL;
			const char *h;

			if (ledger_content(ps->l, seq, &fields, NULL) == 0) {
				h = json_string_value(json_object_get(fields,
								      "hash"));
				if (h && h[0])
					rc = push_file(ps, h, err);
				if (rc == 0 && h && h[0])
					sent++;
			}
			json_decref(fields);
		}
		json_decref(e);
		if (rc == 0)
			ps->t->files_done = seq + 1;
	}
	buf_release(&entry);
	if (ps->report)
		json_object_set_new(ps->report, "files", json_integer(
					    (json_int_t)sent));
	return rc;
}

struct cosign_ctx {
	uint64_t size;
	const char *name;
	int64_t ts_ms;
	const char *plain, *full;
};

static int store_cosigned(void *ctx, struct store *s, struct error *err)
{
	struct cosign_ctx *c = ctx;

	return store_cosign_put(s, c->size, c->name, c->ts_ms, c->plain,
				c->full, err);
}

/* Verifies the cosignature lines and stores the cosigned note. */
static int keep_cosigned(struct push_state *ps, const struct buf *note,
			 uint64_t size, struct error *err)
{
	struct buf full = BUF_INIT_MAX(1 << 17);
	struct cosign_ctx c = { size, ps->t->name, 0, note->data, NULL };
	int rc = buf_append(&full, note->data, note->len);

	if (rc == 0)
		rc = buf_append(&full, ps->resp.data ? ps->resp.data : "",
				ps->resp.len);
	for (size_t i = 0; rc == 0 && i < ps->t->nkeys; i++) {
		uint64_t ts = 0;

		rc = cosig_verify(ps->t->name, ps->t->keys[i], full.data,
				  full.len, &ts, err);
		c.ts_ms = (int64_t)ts * 1000;
	}
	if (rc == 0 && ps->t->nkeys == 0)
		rc = error_set(err, CT_ECRYPTO, "witness %s has no keys in "
			       "witness.json to check its cosignatures",
			       ps->t->url);
	c.full = full.data;
	if (rc == 0)
		rc = ledger_write(ps->l, store_cosigned, &c, err);
	if (rc == 0) {
		ps->t->accepted = size;
		ps->t->have_accepted = 1;
	}
	buf_release(&full);
	return rc;
}

/*
 * Sends the latest checkpoint unless the witness cosigned it already;
 * with force also then, so that a witness holding more than this store
 * sees the store's checkpoint and raises its alarm.
 */
static int push_checkpoint(struct push_state *ps, int force,
			   struct error *err)
{
	uint8_t proof[MERKLE_MAX_PROOF][HASH_LEN];
	struct buf note = BUF_INIT_MAX(1 << 16), body = BUF_INIT_MAX(1 << 17);
	uint64_t size = 0, old;
	char line[400];
	int done = 0; /* the witness cosigned this size for this store */
	int rc = ledger_checkpoint_latest(ps->l, &note, &size, err);

	for (int tries = 0; rc == 0 && tries < 3; tries++) {
		size_t count = 0;
		long status = 0;

		old = ps->t->have_accepted ? ps->t->accepted : 0;
		if (ps->t->have_accepted && old == size && !force) {
			done = 1;
			break;
		}
		force = 0;
		if (old > size) {
			rc = error_set(err, CT_ESTATE, "witness %s cosigned "
				       "size %" PRIu64 " but this store's "
				       "latest checkpoint is %" PRIu64 ": the "
				       "store was rolled back or replaced",
				       ps->t->url, old, size);
			/* Still show the witness the checkpoint. */
		}
		buf_reset(&body);
		if (rc == 0 && old > 0 && old < size)
			rc = ledger_consistency(ps->l, old, size, proof, &count,
						err);
		if (rc == 0 || rc == CT_ESTATE) {
			int keep = rc;

			buf_printf(&body, "old %" PRIu64 "\n",
				   keep ? 0 : old);
			for (size_t i = 0; i < count; i++) {
				base64_encode(proof[i], HASH_LEN, &body);
				buf_putc(&body, '\n');
			}
			buf_putc(&body, '\n');
			buf_append(&body, note.data, note.len);
			rc = call(ps->t->url, "/add-checkpoint", "POST",
				  "text/plain", body.data, body.len, NULL,
				  &status, &ps->resp, err);
			if (rc == 0 && keep)
				rc = keep;
		}
		if (rc)
			break;
		if (status == 200) {
			rc = keep_cosigned(ps, &note, size, err);
			done = rc == 0;
			if (rc == 0 && ps->report)
				json_object_set_new(ps->report, "cosigned",
						    json_integer((json_int_t)
								 size));
			break;
		}
		if (status == 409) {
			char *end;
			unsigned long long n;

			errno = 0;
			n = strtoull(ps->resp.data ? ps->resp.data : "", &end,
				     10);
			if (errno || end == ps->resp.data) {
				rc = error_set(err, CT_EIO, "witness %s "
					       "answered 409 without a size",
					       ps->t->url);
				break;
			}
			/*
			 * Refused from the size the witness cosigned at this
			 * store's own size: the roots differ, so this store
			 * forked from what the witness holds.
			 */
			if (n == size && old == n) {
				rc = error_set(err, CT_ESTATE, "witness %s "
					       "cosigned another checkpoint of "
					       "size %llu: this store forked "
					       "from what it holds; check it "
					       "with casetrail verify "
					       "--against %s", ps->t->url, n,
					       ps->t->url);
				break;
			}
			/*
			 * The witness refused a checkpoint from the size it
			 * holds: its pending entries are not this store's, so
			 * the next round pushes them again.
			 */
			if (n == old && n <= size)
				ps->t->held = n;
			ps->t->accepted = n;
			ps->t->have_accepted = 1;
			if (n > size) {
				rc = error_set(err, CT_ESTATE, "witness %s "
					       "cosigned size %llu, more than "
					       "this store's %" PRIu64 ": the "
					       "store was rolled back or "
					       "replaced", ps->t->url, n, size);
				break;
			}
			/* Ask again from the size it named. */
			force = n == size;
			continue;
		}
		/* Learn anew how many entries the witness holds. */
		if (status == 422)
			ps->t->have_held = 0;
		rc = error_set(err, CT_EIO, "witness %s refused checkpoint %"
			       PRIu64 " (%ld): %s", ps->t->url, size, status,
			       first_line(&ps->resp, line, sizeof(line)));
	}
	if (rc == 0 && !done)
		rc = error_set(err, CT_EIO, "witness %s did not cosign "
			       "checkpoint %" PRIu64 " (it holds size %"
			       PRIu64 ")", ps->t->url, size,
			       ps->t->have_accepted ? ps->t->accepted : 0);
	buf_release(&note);
	buf_release(&body);
	return rc;
}

/* Reads what this store kept of the witness's last cosignature. */
static void load_accepted(struct ledger *l, struct target *t)
{
	struct store *s = NULL;
	uint64_t size = 0;
	int64_t ts = 0;

	if (t->have_accepted || ledger_read_begin(l, &s, NULL) != 0)
		return;
	if (store_cosign_latest(s, t->name, &size, &ts, NULL, NULL) == 0) {
		t->accepted = size;
		t->have_accepted = 1;
	}
	ledger_read_end(l, s);
}

static int push_target(struct ledger *l, struct target *t, json_t *report,
		       struct error *err)
{
	struct push_state ps = { .l = l, .cfg = ledger_config(l), .t = t,
				 .report = report };
	uint64_t size = 0;
	int rc = 0;

	buf_init(&ps.resp, 1 << 20);
	escape_origin(&ps);
	load_accepted(l, t);
	/*
	 * A second pass runs when the witness refused the checkpoint
	 * because its pending entries are not this store's: they are
	 * pushed again from the size it cosigned.
	 */
	for (int pass = 0; pass < 2; pass++) {
		struct error e2 = { 0 };
		int rc2;

		error_clear(err);
		rc = ledger_size(l, &size, err);
		if (rc == 0)
			rc = push_entries(&ps, size, err);
		if (rc == 0)
			rc = push_files(&ps, size, err);
		if (rc && rc != CT_ESTATE)
			break;
		rc2 = push_checkpoint(&ps, rc != 0 || ps.force,
				      rc ? &e2 : err);
		if (rc == 0)
			rc = rc2;
		if (rc == 0 || t->held >= size)
			break;
	}
	if (report)
		json_object_set_new(report, "entries_held",
				    json_integer((json_int_t)t->held));
	buf_release(&ps.resp);
	return rc;
}

int witness_push_once(struct ledger *l, json_t **report, struct error *err)
{
	struct target *t = calloc(TARGETS_MAX, sizeof(*t));
	json_t *list = json_array();
	size_t n = 0;
	int first = 0;
	int rc = t ? load_targets(ledger_config(l)->dir, t, &n, err)
		   : CT_ENOMEM;

	if (rc == 0 && n == 0)
		rc = error_set(err, CT_ENOTFOUND, "the store has no witness; "
			       "add one with casetrail witness add");
	if (rc == 0) {
		/* Sign a checkpoint of the whole tree, as the signer would. */
		struct buf note = BUF_INIT_MAX(1 << 16);
		uint64_t size = 0;

		rc = ledger_checkpoint(l, 0, &note, &size, err);
		buf_release(&note);
	}
	/* Every witness gets its round; the first failure is returned. */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		json_t *r = json_pack("{s:s}", "url", t[i].url);
		struct error e = { 0 };
		int rc1;

		json_array_append_new(list, r);
		rc1 = push_target(l, &t[i], r, &e);
		if (rc1) {
			json_object_set_new(r, "error", json_string(e.msg));
			if (!first)
				*err = e;
			first = first ? first : rc1;
		}
	}
	rc = rc ? rc : first;
	for (size_t i = 0; t && i < n; i++)
		target_free(&t[i]);
	free(t);
	if (report && rc == 0)
		*report = json_pack("{s:o}", "witnesses", list);
	else
		json_decref(list);
	return rc;
}

/* ---- The pusher thread ---- */

static void note_result(struct witness_pusher *p, struct target *t, int rc,
			const struct error *err)
{
	char qu[600], qe[600];
	int64_t now = ledger_now_ms();

	pthread_mutex_lock(&p->mu);
	if (rc == 0) {
		if (t->failing)
			log_info("witness", "push resumed", "url=%s failures=%"
				 PRIu64, log_quote(t->url, qu, sizeof(qu)),
				 t->failures);
		t->failing = 0;
		t->failures = 0;
		t->error[0] = '\0';
		t->backoff_ms = 0;
		t->next_ms = now + POLL_MS;
		t->last_ok_ms = now;
	} else {
		if (!t->failing)
			log_warn("witness", "push failing", "url=%s "
				 "retry_max_s=%d error=%s",
				 log_quote(t->url, qu, sizeof(qu)),
				 BACKOFF_MAX_MS / 1000,
				 log_quote(err->msg, qe, sizeof(qe)));
		if (!t->failing)
			t->failing_since_ms = now;
		t->failing = 1;
		t->failures++;
		wpath(t->error, sizeof(t->error), "%s", err->msg);
		t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2
					      : BACKOFF_MIN_MS;
		if (t->backoff_ms > BACKOFF_MAX_MS)
			t->backoff_ms = BACKOFF_MAX_MS;
		t->next_ms = now + t->backoff_ms;
	}
	pthread_mutex_unlock(&p->mu);
}

static int count_open(void *ctx, const struct store_finding *f)
{
	(void)f;
	(*(int *)ctx)++;
	return 0;
}

/*
 * Whether target t is behind: its latest cosigned checkpoint is more
 * than BEHIND_ENTRIES entries or behind_ms() behind the store. A witness
 * that never cosigned is behind by time once pushing has failed that
 * long.
 */
static int is_behind(struct witness_pusher *p, struct target *t,
		     struct store *s, uint64_t size, json_t **fields)
{
	uint64_t cs = 0;
	int64_t cts = 0, now = ledger_now_ms(), since;
	int have = store_cosign_latest(s, t->name, &cs, &cts, NULL, NULL) == 0;
	int behind;

	if (!have)
		cs = 0;
	pthread_mutex_lock(&p->mu);
	if (have)
		since = now - cts;
	else if (t->failing)
		since = now - t->failing_since_ms;
	else
		since = 0;
	pthread_mutex_unlock(&p->mu);
	behind = size > cs &&
		 (size - cs > BEHIND_ENTRIES || since > behind_ms());
	*fields = json_pack("{s:s, s:I, s:I, s:I}", "witness", t->url,
			    "entries_behind", (json_int_t)(size - cs),
			    "cosigned_size", (json_int_t)cs,
			    "seconds_since_cosigned",
			    (json_int_t)(have ? since / 1000 : -1));
	return behind;
}

/*
 * Records a witness-lag entry when a witness falls behind and no
 * witness-behind finding is open, or when all caught up and one is open.
 * The entry's projection raises or cures the finding.
 */
static void check_lag(struct witness_pusher *p)
{
	struct store *s = NULL;
	struct store_finding_filter q = { .code = "witness-behind",
					  .open_only = 1, .limit = 16 };
	json_t *fields = NULL, *worst = NULL;
	struct error err = { 0 };
	uint64_t size = 0, total = 0;
	int open = 0, behind = 0;
	char qe[600];

	if (ledger_size(p->l, &size, &err) != 0 ||
	    ledger_read_begin(p->l, &s, &err) != 0)
		return;
	if (store_finding_list(s, &q, count_open, &open, &total, &err) != 0)
		open = -1;
	for (size_t i = 0; i < p->n; i++) {
		int b = is_behind(p, &p->t[i], s, size, &fields);

		if (b && !behind) {
			json_decref(worst);
			worst = fields;
			behind = 1;
		} else if (!worst) {
			worst = fields;
		} else {
			json_decref(fields);
		}
	}
	ledger_read_end(p->l, s);
	if (open >= 0 && worst && behind != (open > 0)) {
		struct ledger_record rec = {
			.kind = "witness-lag",
			.actor = "witness-pusher",
			.fields = worst,
			.supersedes = -1,
		};
		struct ledger_receipt rcpt;

		json_object_set_new(worst, "state", json_string(
			behind ? "behind" : "caught-up"));
		if (ledger_append(p->l, &rec, &rcpt, &err) != 0)
			log_error("witness", "cannot record the witness lag",
				  "error=%s", log_quote(err.msg, qe,
							sizeof(qe)));
		else
			log_info("witness", behind ? "witness behind"
						   : "witness caught up",
				 "seq=%" PRIu64, rcpt.seq);
	}
	json_decref(worst);
}

static void *pusher_main(void *arg)
{
	struct witness_pusher *p = arg;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		int64_t now = ledger_now_ms();
		struct timespec ts;

		for (size_t i = 0; i < p->n && !p->stop; i++) {
			struct target *t = &p->t[i];
			struct error err = { 0 };
			int rc;

			if (now < t->next_ms)
				continue;
			pthread_mutex_unlock(&p->mu);
			rc = push_target(p->l, t, NULL, &err);
			note_result(p, t, rc, &err);
			check_lag(p);
			pthread_mutex_lock(&p->mu);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += POLL_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		if (!p->stop)
			pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int witness_pusher_start(struct ledger *l, struct witness_pusher **out,
			 struct error *err)
{
	struct witness_pusher *p = calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	if (!p)
		return error_set(err, CT_ENOMEM, "out of memory");
	rc = load_targets(ledger_config(l)->dir, p->t, &p->n, err);
	if (rc || p->n == 0) {
		for (size_t i = 0; i < p->n; i++)
			target_free(&p->t[i]);
		free(p);
		return rc;
	}
	p->l = l;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->thread, NULL, pusher_main, p) != 0) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		for (size_t i = 0; i < p->n; i++)
			target_free(&p->t[i]);
		free(p);
		return error_set(err, CT_EIO, "cannot start the witness "
				 "pusher thread");
	}
	*out = p;
	return 0;
}

void witness_pusher_stop(struct witness_pusher *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	for (size_t i = 0; i < p->n; i++)
		target_free(&p->t[i]);
	free(p);
}

/* ---- Status ---- */

int witness_bureau_status(struct ledger *l, struct witness_pusher *p,
			  json_t **out, struct error *err)
{
	json_t *cfg = NULL, *list = json_array(), *w;
	struct store *s = NULL;
	uint64_t size = 0;
	int64_t now = ledger_now_ms();
	size_t i;
	int rc = witness_config_read(ledger_config(l)->dir, &cfg, err);

	if (rc == 0)
		rc = ledger_size(l, &size, err);
	if (rc == 0)
		rc = ledger_read_begin(l, &s, err);
	json_array_foreach(rc == 0 && cfg ? json_object_get(cfg, "witnesses")
					  : NULL, i, w) {
		const char *name =
			json_string_value(json_object_get(w, "name")) ?: "";
		const char *url =
			json_string_value(json_object_get(w, "url")) ?: "";
		struct buf note = BUF_INIT_MAX(1 << 16);
		uint64_t cs = 0;
		int64_t cts = 0;
		int have = store_cosign_latest(s, name, &cs, &cts, &note,
					       NULL) == 0;
		json_t *o = json_pack("{s:s, s:s, s:I}", "url", url, "name",
				      name, "entries_behind",
				      (json_int_t)(size - (have ? cs : 0)));

		/* The note itself, so that anyone can check the cosignature. */
		json_object_set_new(o, "checkpoint", have && note.len ?
			json_stringn(note.data, note.len) : json_null());
		buf_release(&note);

		json_object_set_new(o, "cosigned_size", have ? json_integer(
			(json_int_t)cs) : json_null());
		json_object_set_new(o, "cosigned_at", have ? json_integer(
			(json_int_t)cts) : json_null());
		json_object_set_new(o, "seconds_since_cosigned", have ?
			json_integer((json_int_t)((now - cts) / 1000)) :
			json_null());
		json_object_set_new(o, "behind", json_boolean(
			size - (have ? cs : 0) > BEHIND_ENTRIES ||
			(size > (have ? cs : 0) &&
			 (!have || now - cts > behind_ms()))));
		if (p) {
			pthread_mutex_lock(&p->mu);
			for (size_t j = 0; j < p->n; j++) {
				const char *u = p->t[j].url;

				if (strncmp(u, url, strlen(u)))
					continue;
				json_object_set_new(o, "last_error",
					p->t[j].error[0] ? json_string(
						p->t[j].error) : json_null());
				json_object_set_new(o, "failures",
					json_integer((json_int_t)
						     p->t[j].failures));
			}
			pthread_mutex_unlock(&p->mu);
		}
		json_array_append_new(list, o);
	}
	if (s)
		ledger_read_end(l, s);
	json_decref(cfg);
	if (rc) {
		json_decref(list);
		return rc;
	}
	*out = json_pack("{s:I, s:o}", "entries", (json_int_t)size,
			 "witnesses", list);
	return 0;
}

int witness_fetch_checkpoint(const char *url, const char *origin,
			     struct buf *note, struct error *err)
{
	struct push_state ps = { 0 };
	struct ledger_config cfg = { 0 };
	char base[512], target[1024], line[400];
	long status = 0;
	int rc;

	snprintf(base, sizeof(base), "%s", url);
	while (base[0] && base[strlen(base) - 1] == '/')
		base[strlen(base) - 1] = '\0';
	if (strncmp(base, "http://", 7) && strncmp(base, "https://", 8))
		return error_set(err, CT_EINVAL, "witness URL '%s' must start "
				 "with http:// or https://", url);
	snprintf(cfg.origin, sizeof(cfg.origin), "%s", origin);
	ps.cfg = &cfg;
	escape_origin(&ps);
	wpath(target, sizeof(target), "/casetrail/v1/checkpoint?origin=%s",
	      ps.escaped);
	rc = call(base, target, "GET", NULL, NULL, 0, NULL, &status, note,
		  err);
	if (rc)
		return rc;
	if (status == 404)
		return error_set(err, CT_ENOTFOUND, "witness %s has no cosigned"
				 " checkpoint of %s: %s", base, origin,
				 first_line(note, line, sizeof(line)));
	if (status != 200)
		return error_set(err, CT_EIO, "witness %s answered %ld: %s",
				 base, status,
				 first_line(note, line, sizeof(line)));
	return 0;
}
