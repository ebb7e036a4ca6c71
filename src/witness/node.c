/*
 * The witness node (see witness.h and docs/witness.md): its folder, the
 * logs it follows, add-checkpoint, entries, the cosigned checkpoint,
 * status and alarms. Each log has one database connection and one mutex.
 * Every change to a log happens in one write transaction, so the check
 * of the old size and the new state are atomic against other requests
 * and other processes.
 */
#include "common/common.h"

#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/jcs.h"
#include "common/log.h"
#include "internal.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "store/blob.h"
#include "store/kv.h"
#include "store/store.h"
#include "witness.h"

#define ALARM_NS "alarm"
#define SEEN_NS "alarm-seen"
/*
 * Entries past the size cosigned last wait as named rows, keyed by their
 * zero-padded seq, until a checkpoint covers them: only then do they
 * join the entries and the tree, which never change. A pending entry
 * may be replaced, so that a forked copy that pushed first cannot keep
 * the log from pushing its own.
 */
#define PENDING_NS "pending"
/* The files that entries held name, by hash: only those may be PUT. */
#define FILES_NS "file"
#define NULL_ROW skip_row
#define LOGS_MAX 64

struct wlog {
	char origin[CHECKPOINT_ORIGIN_MAX];
	char dir[PATH_MAX];
	enum hash_alg alg;
	struct key *keys[WITNESS_KEYS_MAX];
	struct note_key note_keys[WITNESS_KEYS_MAX];
	size_t nkeys;
	struct store *s;
	pthread_mutex_t mu;
	int broken; /* its folder could not be loaded: requests get 404 */
};

struct witness_node {
	pthread_mutex_t mu; /* guards logs and nlogs */
	char dir[PATH_MAX];
	char name[WITNESS_NAME_MAX];
	struct key *keys[2]; /* SM2, Ed25519 */
	struct wlog *logs[LOGS_MAX];
	size_t nlogs;
};

void witness_reply_init(struct witness_reply *r)
{
	r->status = 500;
	r->type = "text/plain; charset=utf-8";
	buf_init(&r->body, 1 << 26);
}

void witness_reply_release(struct witness_reply *r)
{
	buf_release(&r->body);
}

/* Sets a plain-text reply and returns 0, for the caller to return. */
static int answer(struct witness_reply *r, unsigned status, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));
static int answer(struct witness_reply *r, unsigned status, const char *fmt,
		  ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r->status = status;
	r->type = "text/plain; charset=utf-8";
	buf_reset(&r->body);
	buf_puts(&r->body, text);
	buf_putc(&r->body, '\n');
	return 0;
}

static int answer_json(struct witness_reply *r, unsigned status, json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT);

	json_decref(v);
	if (!text)
		return CT_ENOMEM;
	r->status = status;
	r->type = "application/json";
	buf_reset(&r->body);
	buf_puts(&r->body, text);
	free(text);
	return 0;
}

/* ---- Folder, keys and trust ---- */

static const struct {
	enum key_type type;
	const char *name;
} key_files[2] = { { KEY_SM2, "sm2" }, { KEY_ED25519, "ed25519" } };

static int save_public(const struct key *k, const char *path,
		       struct error *err)
{
	struct buf pem = BUF_INIT_MAX(1 << 16);
	FILE *f;
	int rc = key_public_pem(k, &pem);

	if (rc)
		return error_set(err, rc, "cannot encode a public key");
	f = fopen(path, "wx");
	if (!f || fwrite(pem.data, 1, pem.len, f) != pem.len) {
		rc = error_set(err, CT_EIO, "cannot write '%s': %s", path,
			       strerror(errno));
	}
	if (f && fclose(f) != 0 && rc == 0)
		rc = error_set(err, CT_EIO, "cannot write '%s'", path);
	buf_release(&pem);
	return rc;
}

int witness_init(const char *dir, const char *name, struct error *err)
{
	char path[PATH_MAX], pub[PATH_MAX];
	json_t *cfg;
	int rc = 0;

	if (!name[0] || strlen(name) >= WITNESS_NAME_MAX ||
	    strpbrk(name, " +\n\t"))
		return error_set(err, CT_EINVAL, "invalid witness name '%s'; "
				 "use a schema-less URL such as "
				 "supervision.example.gov.cn/witness, without "
				 "spaces or '+'", name);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return error_set(err, CT_EIO, "cannot create '%s': %s", dir,
				 strerror(errno));
	wpath(path, sizeof(path), "%s/witness.json", dir);
	if (access(path, F_OK) == 0)
		return error_set(err, CT_EEXIST, "'%s' is a witness folder "
				 "already; choose another --dir", dir);
	wpath(path, sizeof(path), "%s/keys", dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return error_set(err, CT_EIO, "cannot create '%s': %s", path,
				 strerror(errno));
	wpath(path, sizeof(path), "%s/logs", dir);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return error_set(err, CT_EIO, "cannot create '%s': %s", path,
				 strerror(errno));
	cfg = json_pack("{s:s, s:[]}", "name", name, "keys");
	for (size_t i = 0; i < 2 && rc == 0; i++) {
		struct key *k = NULL;

		wpath(path, sizeof(path), "%s/keys/witness-%s.key", dir,
			 key_files[i].name);
		wpath(pub, sizeof(pub), "%s/keys/witness-%s.pub", dir,
			 key_files[i].name);
		rc = key_generate(key_files[i].type, &k, err);
		if (rc == 0)
			rc = key_save_private(k, path, err);
		if (rc == 0)
			rc = save_public(k, pub, err);
		key_free(k);
		json_array_append_new(json_object_get(cfg, "keys"), json_pack(
			"{s:s, s:s, s:s}", "type", key_files[i].name,
			"private", path + strlen(dir) + 1, "public",
			pub + strlen(dir) + 1));
	}
	wpath(path, sizeof(path), "%s/witness.json", dir);
	if (rc == 0)
		rc = wfile_write_json(path, cfg, err);
	json_decref(cfg);
	return rc;
}

/* Checks an origin and reads its hash algorithm from its last part. */
static int origin_alg(const char *origin, enum hash_alg *alg,
		      struct error *err)
{
	const char *slash = strrchr(origin, '/');

	if (!origin[0] || strlen(origin) >= CHECKPOINT_ORIGIN_MAX ||
	    strpbrk(origin, " \n") || !slash ||
	    hash_alg_parse(slash + 1, alg) != 0)
		return error_set(err, CT_EINVAL, "invalid origin '%s'; a "
				 "casetrail origin is <host>/casetrail/<store"
				 " id>/<sm3 or sha256>, as the first line of "
				 "the store's /checkpoint", origin);
	return 0;
}

int witness_trust(const char *dir, const char *origin,
		  const char *const *pems, size_t npems, struct error *err)
{
	char sub[17], path[PATH_MAX], dbpath[PATH_MAX];
	enum hash_alg alg;
	json_t *keys, *t;
	struct store *s = NULL;
	int rc = origin_alg(origin, &alg, err);

	if (rc)
		return rc;
	wpath(path, sizeof(path), "%s/witness.json", dir);
	if (access(path, F_OK) != 0)
		return error_set(err, CT_ENOTFOUND, "'%s' is not a witness "
				 "folder; create it with casetrail witness "
				 "init", dir);
	if (npems == 0 || npems > WITNESS_KEYS_MAX)
		return error_set(err, CT_EINVAL, "give between 1 and %d --key "
				 "files, the log's public keys",
				 WITNESS_KEYS_MAX);
	keys = json_array();
	for (size_t i = 0; i < npems && rc == 0; i++) {
		struct key *k = NULL;

		rc = key_load_public_pem(pems[i], strlen(pems[i]), &k, err);
		key_free(k);
		json_array_append_new(keys, json_string(pems[i]));
	}
	wlog_dirname(origin, sub);
	wpath(path, sizeof(path), "%s/logs/%s", dir, sub);
	if (rc == 0 && mkdir(path, 0755) != 0 && errno != EEXIST)
		rc = error_set(err, CT_EIO, "cannot create '%s': %s", path,
			       strerror(errno));
	wpath(dbpath, sizeof(dbpath), "%s/blobs", path);
	if (rc == 0 && mkdir(dbpath, 0755) != 0 && errno != EEXIST)
		rc = error_set(err, CT_EIO, "cannot create '%s': %s", dbpath,
			       strerror(errno));
	wpath(dbpath, sizeof(dbpath), "%s/log.db", path);
	if (rc == 0 && access(dbpath, F_OK) != 0)
		rc = store_open(dbpath, STORE_CREATE, &s, err);
	store_close(s);
	t = json_pack("{s:s, s:o}", "origin", origin, "keys", keys);
	wpath(path, sizeof(path), "%s/logs/%s/trust.json", dir, sub);
	if (rc == 0)
		rc = wfile_write_json(path, t, err);
	json_decref(t);
	return rc;
}

/*
 * Deletes the temporary files of uploads that a killed witness left in
 * <log>/blobs/tmp; an upload in progress is only in a live process.
 */
static void remove_partial_uploads(struct wlog *g)
{
	char dir[PATH_MAX], path[PATH_MAX], qo[300];
	struct dirent *de;
	size_t removed = 0;
	DIR *d;

	if (wpath(dir, sizeof(dir), "%s/blobs/tmp", g->dir) != 0 ||
	    !(d = opendir(dir)))
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "put-", 4) ||
		    wpath(path, sizeof(path), "%s/%s", dir, de->d_name) != 0)
			continue;
		removed += unlink(path) == 0;
	}
	closedir(d);
	if (removed)
		log_info("witness", "partial uploads removed", "origin=%s "
			 "files=%zu", log_quote(g->origin, qo, sizeof(qo)),
			 removed);
}

static int load_log(struct witness_node *w, const char *sub,
		    struct error *err)
{
	char path[PATH_MAX];
	struct wlog *g;
	json_t *t = NULL, *pem;
	size_t i;
	int rc;

	if (w->nlogs == LOGS_MAX)
		return error_set(err, CT_ETOOBIG, "a witness follows at most "
				 "%d logs", LOGS_MAX);
	wpath(path, sizeof(path), "%s/logs/%s/trust.json", w->dir, sub);
	rc = wfile_read_json(path, &t, err);
	if (rc)
		return rc;
	g = calloc(1, sizeof(*g));
	if (!g) {
		json_decref(t);
		return error_set(err, CT_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&g->mu, NULL);
	w->logs[w->nlogs++] = g;
	wpath(g->origin, sizeof(g->origin), "%s",
		 json_string_value(json_object_get(t, "origin")) ?: "");
	wpath(g->dir, sizeof(g->dir), "%s/logs/%s", w->dir, sub);
	rc = origin_alg(g->origin, &g->alg, err);
	json_array_foreach(json_object_get(t, "keys"), i, pem) {
		const char *text = json_string_value(pem);

		if (rc || i >= WITNESS_KEYS_MAX || !text)
			break;
		rc = key_load_public_pem(text, strlen(text), &g->keys[i], err);
		g->note_keys[i].name = g->origin;
		g->note_keys[i].key = g->keys[i];
		g->nkeys = i + 1;
	}
	json_decref(t);
	wpath(path, sizeof(path), "%s/log.db", g->dir);
	if (rc == 0)
		rc = store_open(path, 0, &g->s, err);
	if (rc == 0)
		remove_partial_uploads(g);
	return rc;
}

int witness_open(const char *dir, struct witness_node **out,
		 struct error *err)
{
	struct witness_node *w = calloc(1, sizeof(*w));
	char path[PATH_MAX];
	json_t *cfg = NULL;
	struct dirent *de;
	DIR *d;
	int rc;

	if (!w)
		return error_set(err, CT_ENOMEM, "out of memory");
	pthread_mutex_init(&w->mu, NULL);
	wpath(w->dir, sizeof(w->dir), "%s", dir);
	wpath(path, sizeof(path), "%s/witness.json", dir);
	rc = wfile_read_json(path, &cfg, err);
	if (rc == CT_ENOTFOUND) {
		error_clear(err);
		rc = error_set(err, CT_ENOTFOUND, "'%s' is not a witness "
			       "folder; create it with casetrail witness "
			       "init", dir);
	}
	if (rc == 0)
		wpath(w->name, sizeof(w->name), "%s",
			 json_string_value(json_object_get(cfg, "name")) ?: "");
	json_decref(cfg);
	for (size_t i = 0; i < 2 && rc == 0; i++) {
		wpath(path, sizeof(path), "%s/keys/witness-%s.key", dir,
			 key_files[i].name);
		rc = key_load_private(path, &w->keys[i], err);
	}
	wpath(path, sizeof(path), "%s/logs", dir);
	d = rc == 0 ? opendir(path) : NULL;
	if (rc == 0 && !d)
		rc = error_set(err, CT_EIO, "cannot open '%s': %s", path,
			       strerror(errno));
	while (d && rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		rc = load_log(w, de->d_name, err);
	}
	if (d)
		closedir(d);
	if (rc) {
		witness_close(w);
		return rc;
	}
	*out = w;
	return 0;
}

void witness_close(struct witness_node *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nlogs; i++) {
		struct wlog *g = w->logs[i];

		store_close(g->s);
		for (size_t j = 0; j < g->nkeys; j++)
			key_free(g->keys[j]);
		pthread_mutex_destroy(&g->mu);
		free(g);
	}
	key_free(w->keys[0]);
	key_free(w->keys[1]);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

/*
 * Finds the log of origin. A log that witness trust added after the
 * node was opened is loaded on its first request. Logs are never
 * removed, so the pointer stays valid.
 */
static struct wlog *find_log(struct witness_node *w, const char *origin)
{
	struct wlog *found = NULL;
	char sub[17], path[PATH_MAX], qe[600];
	struct error err = { 0 };
	int known = 0;
	size_t n;

	if (!origin)
		return NULL;
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < w->nlogs && !known; i++) {
		if (strcmp(w->logs[i]->origin, origin))
			continue;
		known = 1;
		found = w->logs[i]->broken ? NULL : w->logs[i];
	}
	wlog_dirname(origin, sub);
	if (!known &&
	    wpath(path, sizeof(path), "%s/logs/%s/trust.json", w->dir,
		  sub) == 0 &&
	    access(path, F_OK) == 0) {
		n = w->nlogs;
		if (load_log(w, sub, &err) == 0 &&
		    !strcmp(w->logs[n]->origin, origin)) {
			found = w->logs[n];
		} else if (w->nlogs > n) {
			/* Kept as broken, so that it is not loaded again. */
			w->logs[n]->broken = 1;
			wpath(w->logs[n]->origin, sizeof(w->logs[n]->origin),
			      "%s", origin);
			log_error("witness", "cannot load a log", "dir=%s "
				  "error=%s", sub,
				  log_quote(err.msg, qe, sizeof(qe)));
		}
	}
	pthread_mutex_unlock(&w->mu);
	return found;
}

/* ---- The log's state ---- */

static int skip_row(void *ctx, const char *key, uint64_t seq,
		    const char *body, size_t len)
{
	(void)ctx;
	(void)key;
	(void)seq;
	(void)body;
	(void)len;
	return 0;
}

static int add_row(void *ctx, const char *key, uint64_t seq,
		   const char *body, size_t len)
{
	(void)key;
	(void)seq;
	json_array_append_new(ctx, json_stringn(body, len));
	return 0;
}

/* Reads the pending entries (base64 strings) in seq order. */
static int pending_load(struct wlog *g, json_t **out, struct error *err)
{
	*out = json_array();
	return store_kv_scan(g->s, PENDING_NS, "", false, 0, 0, add_row, *out,
			     NULL, err);
}

static void pending_key(uint64_t seq, char out[24])
{
	snprintf(out, 24, "%020" PRIu64, seq);
}

struct wstate {
	int have;          /* a checkpoint was cosigned */
	uint64_t size;     /* its size */
	uint8_t root[HASH_LEN];
	int64_t ts_ms;
	uint64_t entries;  /* entries kept: those the witness cosigned */
	uint64_t held;     /* entries kept plus the pending tail */
};

static int meta_u64(struct store *s, const char *key, uint64_t *v,
		    struct error *err)
{
	struct buf b = BUF_INIT_MAX(4096);
	int rc = store_meta_get(s, key, &b, NULL);

	if (rc == 0) {
		char *end;

		errno = 0;
		*v = strtoull(b.data, &end, 10);
		if (errno || *end)
			rc = error_set(err, CT_ECORRUPT, "meta '%s' of the "
				       "witness database is not a number",
				       key);
	}
	buf_release(&b);
	return rc;
}

static int read_state(struct wlog *g, struct wstate *st, struct error *err)
{
	struct store_checkpoint cp = { 0 };
	struct checkpoint c;
	uint64_t ts = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	buf_init(&cp.note, 1 << 16);
	rc = store_entry_count(g->s, &st->entries, err);
	if (rc == 0)
		rc = store_kv_scan(g->s, PENDING_NS, "", false, 0, 1, NULL_ROW,
				   NULL, &st->held, err);
	if (rc)
		return rc;
	st->held += st->entries;
	rc = store_checkpoint_latest(g->s, &cp, NULL);
	if (rc == CT_ENOTFOUND) {
		buf_release(&cp.note);
		return 0;
	}
	if (rc == 0)
		rc = checkpoint_parse(cp.note.data, cp.note.len, &c, NULL, err);
	if (rc == 0) {
		st->have = 1;
		st->size = c.size;
		memcpy(st->root, c.root, HASH_LEN);
		st->ts_ms = cp.ts_ms;
		if (meta_u64(g->s, "cosigned_ts", &ts, NULL) == 0)
			st->ts_ms = (int64_t)ts;
	}
	buf_release(&cp.note);
	return rc;
}

/* Records an alarm in the open transaction and logs it at error level. */
static int raise_alarm(struct wlog *g, const char *kind, uint64_t size,
		       const struct wstate *st, const char *detail,
		       const char *evidence, size_t evidence_len,
		       struct error *err)
{
	int64_t now = ledger_now_ms();
	char key[64], qo[300], seen[HASH_TEXT_MAX];
	uint8_t digest[HASH_LEN];
	json_t *a = json_pack("{s:s, s:I, s:I, s:I, s:s, s:s%}", "kind", kind,
			      "at", (json_int_t)now, "size", (json_int_t)size,
			      "cosigned_size", (json_int_t)st->size,
			      "detail", detail, "evidence", evidence,
			      evidence_len);
	char *body = a ? json_dumps(a, JSON_COMPACT) : NULL;
	int rc;

	json_decref(a);
	if (!body)
		return error_set(err, CT_ENOMEM, "out of memory");
	/* One alarm per offending checkpoint, however often it comes. */
	hash_buf(HASH_SHA256, evidence, evidence_len, digest);
	hash_format(HASH_SHA256, digest, seen);
	if (store_kv_get(g->s, SEEN_NS, seen, NULL, NULL, NULL) == 0) {
		free(body);
		return 0;
	}
	rc = store_kv_put(g->s, SEEN_NS, seen, size, "{}", err);
	wpath(key, sizeof(key), "%015" PRId64 "-%s", now, kind);
	if (rc == 0)
		rc = store_kv_put(g->s, ALARM_NS, key, size, body, err);
	free(body);
	log_error("witness", "alarm", "kind=%s origin=%s size=%" PRIu64
		  " cosigned_size=%" PRIu64 " detail=%s", kind,
		  log_quote(g->origin, qo, sizeof(qo)), size, st->size,
		  detail);
	return rc;
}

static int answer_size(struct witness_reply *r, uint64_t size)
{
	r->status = 409;
	r->type = "text/x.tlog.size";
	buf_reset(&r->body);
	return buf_printf(&r->body, "%" PRIu64 "\n", size);
}

/* ---- add-checkpoint ---- */

struct add_req {
	uint64_t old;
	uint8_t proof[MERKLE_MAX_PROOF][HASH_LEN];
	size_t nproof;
	const char *note;
	size_t note_len;
};

/* Parses the request body; returns 0 or a message in r (400). */
static int parse_add(const char *body, size_t len, struct add_req *q,
		     struct witness_reply *r)
{
	const char *p = body, *end = body + len, *nl;
	char line[128], *e;

	nl = memchr(p, '\n', len);
	if (!nl || nl - p < 5 || nl - p >= (long)sizeof(line) ||
	    strncmp(p, "old ", 4))
		return answer(r, 400, "the body must start with a line 'old "
			      "<size>'");
	memcpy(line, p + 4, (size_t)(nl - p - 4));
	line[nl - p - 4] = '\0';
	errno = 0;
	q->old = strtoull(line, &e, 10);
	if (errno || *e || (line[0] == '0' && line[1]) || line[0] == '-' ||
	    line[0] == '+' || line[0] == ' ')
		return answer(r, 400, "'old %s' is not a decimal size", line);
	p = nl + 1;
	for (;;) {
		uint8_t h[64];
		long n;

		nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		if (!nl)
			return answer(r, 400, "the proof lines must end with an"
				      " empty line before the checkpoint");
		if (nl == p)
			break;
		if (q->nproof == 63)
			return answer(r, 400, "more than 63 proof lines");
		n = base64_decode(p, (size_t)(nl - p), h, sizeof(h));
		if (n != HASH_LEN)
			return answer(r, 400, "proof line %zu is not the base64"
				      " of a %d-byte hash", q->nproof + 1,
				      HASH_LEN);
		memcpy(q->proof[q->nproof++], h, HASH_LEN);
		p = nl + 1;
	}
	q->note = nl + 1;
	q->note_len = (size_t)(end - q->note);
	return 0;
}

struct emit_ctx {
	struct store *s;
	struct error *err;
};

static int emit_node(void *ctx, unsigned level, uint64_t index,
		     const uint8_t hash[HASH_LEN])
{
	struct emit_ctx *e = ctx;

	return store_node_put(e->s, level, index, hash, e->err);
}

/*
 * Computes the root of the first size entries held, size at least the
 * entries kept: the stored tree plus pending entries. With keep, the
 * pending entries it covers join the entries and the tree.
 */
static int held_root(struct wlog *g, const struct wstate *st, uint64_t size,
		     int keep, uint8_t out[HASH_LEN], struct error *err)
{
	struct merkle_frontier f;
	struct emit_ctx e = { g->s, err };
	uint8_t *bytes = malloc(LEDGER_ENTRY_MAX + 4);
	json_t *pending = NULL;
	int rc = bytes ? 0 : CT_ENOMEM;

	if (rc == 0 && size < st->entries)
		rc = merkle_root(g->alg, store_node_get, g->s, size, out);
	if (rc || size < st->entries)
		goto out;
	rc = merkle_frontier_load(&f, g->alg, store_node_get, g->s,
				  st->entries);
	if (rc == 0)
		rc = pending_load(g, &pending, err);
	for (uint64_t seq = st->entries; rc == 0 && seq < size; seq++) {
		const char *text = json_string_value(
			json_array_get(pending, seq - st->entries));
		long n = text ? base64_decode(text, strlen(text), bytes,
					      LEDGER_ENTRY_MAX + 4) : -1;
		uint8_t leaf[HASH_LEN];
		char key[24];

		if (n <= 0) {
			rc = error_set(err, CT_ECORRUPT, "pending entry %"
				       PRIu64 " is missing or not base64",
				       seq);
			break;
		}
		merkle_leaf_hash(g->alg, bytes, (size_t)n, leaf);
		if (!keep) {
			rc = merkle_frontier_push(&f, leaf, NULL, NULL);
			continue;
		}
		pending_key(seq, key);
		rc = store_entry_put(g->s, seq, bytes, (size_t)n, err);
		if (rc == 0)
			rc = merkle_frontier_push(&f, leaf, emit_node, &e);
		if (rc == 0)
			rc = store_kv_delete(g->s, PENDING_NS, key, err);
	}
	if (rc == 0)
		merkle_frontier_root(&f, out);
out:
	json_decref(pending);
	free(bytes);
	return rc;
}

static int cosign(struct witness_node *w, const char *text, size_t len,
		  uint64_t ts, struct buf *out, struct error *err)
{
	int rc = cosig_sign(w->name, w->keys[1], text, len, ts, out, err);

	return rc ? rc : cosig_sign(w->name, w->keys[0], text, len, ts, out,
				     err);
}

/* Runs add-checkpoint inside the log's write transaction. */
static int add_locked(struct witness_node *w, struct wlog *g,
		      const struct add_req *q, const struct checkpoint *cp,
		      struct witness_reply *r, struct error *err)
{
	struct wstate st;
	struct buf lines = BUF_INIT_MAX(1 << 16), full = BUF_INIT_MAX(1 << 17);
	struct note parsed;
	uint8_t root[HASH_LEN];
	char num[32];
	int64_t now;
	int rc = read_state(g, &st, err);

	if (rc)
		return rc;
	if (st.have && cp->size < st.size) {
		/*
		 * A smaller tree whose root differs from the entries kept is
		 * a fork. One that matches is an older state of the log: the
		 * log's store was put back to an older copy, or someone sent
		 * an old checkpoint again. The witness cannot tell which, so
		 * the alarm names both.
		 */
		rc = held_root(g, &st, cp->size, 0, root, err);
		if (rc)
			return error_set(err, rc, "cannot compute the root of "
					 "the entries kept");
		if (memcmp(root, cp->root, HASH_LEN))
			rc = raise_alarm(g, "fork", cp->size, &st, "a checkpoint "
					 "smaller than the one cosigned whose "
					 "root differs from the entries kept",
					 q->note, q->note_len, err);
		else
			rc = raise_alarm(g, "rollback", cp->size, &st,
					 "a checkpoint smaller than the one "
					 "cosigned: the log's store was put "
					 "back to an older copy, or an old "
					 "checkpoint was sent again", q->note,
					 q->note_len, err);
		return rc ? rc : answer_size(r, st.size);
	}
	if (st.have && cp->size == st.size &&
	    memcmp(cp->root, st.root, HASH_LEN)) {
		rc = raise_alarm(g, "fork", cp->size, &st, "the same size as "
				 "the cosigned checkpoint with another root",
				 q->note, q->note_len, err);
		return rc ? rc : answer_size(r, st.size);
	}
	if (q->old != (st.have ? st.size : 0)) {
		/*
		 * A log that resumes from another size gets the witness's
		 * size, unless the entries kept already show that the
		 * checkpoint does not extend what was cosigned. Pending
		 * entries show nothing: they may be another copy's.
		 */
		if (st.have && cp->size <= st.entries &&
		    held_root(g, &st, cp->size, 0, root, NULL) == 0 &&
		    memcmp(root, cp->root, HASH_LEN)) {
			rc = raise_alarm(g, "fork", cp->size, &st, "the root "
					 "does not match the entries held",
					 q->note, q->note_len, err);
			if (rc)
				return rc;
		}
		return answer_size(r, st.have ? st.size : 0);
	}
	if (q->old > 0 && q->old < cp->size &&
	    merkle_consistency_verify(g->alg, q->old, cp->size, st.root,
				      cp->root, q->proof, q->nproof) != 0) {
		rc = raise_alarm(g, "fork", cp->size, &st, "the consistency "
				 "proof from the cosigned checkpoint fails",
				 q->note, q->note_len, err);
		return rc ? rc : answer(r, 422, "the consistency proof from "
					"size %" PRIu64 " to %" PRIu64 " does "
					"not verify", q->old, cp->size);
	}
	if ((q->old == 0 || q->old == cp->size) && q->nproof)
		return answer(r, 422, "a proof from size %" PRIu64 " to %"
			      PRIu64 " must be empty", q->old, cp->size);
	if (st.held < cp->size)
		return answer(r, 422, "the witness holds %" PRIu64 " entries "
			      "of the %" PRIu64 " the checkpoint covers; push "
			      "the entries first", st.held, cp->size);
	rc = held_root(g, &st, cp->size, 0, root, err);
	if (rc)
		return error_set(err, rc, "cannot compute the root of the "
				 "entries held");
	if (memcmp(root, cp->root, HASH_LEN)) {
		/*
		 * The checkpoint extends what was cosigned (its proof
		 * verified), so the pending entries are not the log's: the
		 * log pushes its own again from the size cosigned.
		 */
		char qo[300];

		log_warn("witness", "pending entries differ", "origin=%s "
			 "size=%" PRIu64 " cosigned_size=%" PRIu64,
			 log_quote(g->origin, qo, sizeof(qo)), cp->size,
			 st.size);
		return answer_size(r, st.have ? st.size : 0);
	}
	/* The entries it covers are kept for good. */
	rc = held_root(g, &st, cp->size, 1, root, err);
	if (rc == 0)
		rc = note_parse(q->note, q->note_len, &parsed, err);
	now = ledger_now_ms();
	if (rc == 0)
		rc = cosign(w, q->note, parsed.text_len, (uint64_t)(now / 1000),
			    &lines, err);
	if (rc == 0)
		rc = buf_append(&full, q->note, q->note_len);
	if (rc == 0)
		rc = buf_append(&full, lines.data, lines.len);
	if (rc == 0)
		rc = store_checkpoint_put(g->s, cp->size, now, full.data,
					  full.len, err);
	wpath(num, sizeof(num), "%" PRId64, now);
	if (rc == 0)
		rc = store_meta_put(g->s, "cosigned_ts", num, err);
	if (rc == 0) {
		r->status = 200;
		r->type = "text/plain; charset=utf-8";
		buf_reset(&r->body);
		rc = buf_append(&r->body, lines.data, lines.len);
	}
	buf_release(&lines);
	buf_release(&full);
	return rc;
}

int witness_add_checkpoint(struct witness_node *w, const char *body,
			   size_t len, struct witness_reply *r,
			   struct error *err)
{
	struct add_req *q = calloc(1, sizeof(*q));
	struct checkpoint cp;
	struct error why = { 0 };
	struct wlog *g;
	char qo[300];
	int rc = 0;

	if (!q)
		return error_set(err, CT_ENOMEM, "out of memory");
	if (parse_add(body, len, q, r) != 0 || r->status == 400)
		goto out;
	if (checkpoint_parse(q->note, q->note_len, &cp, NULL, &why) != 0) {
		answer(r, 400, "malformed checkpoint: %s", why.msg);
		goto out;
	}
	g = find_log(w, cp.origin);
	if (!g) {
		answer(r, 404, "this witness follows no log of origin '%s'",
		       cp.origin);
		goto out;
	}
	if (checkpoint_verify(q->note, q->note_len, g->note_keys, g->nkeys,
			      &cp, &why) != 0) {
		answer(r, 403, "the checkpoint is not signed by the log's "
		       "trusted keys: %s", why.msg);
		goto out;
	}
	if (q->old > cp.size) {
		answer(r, 400, "old size %" PRIu64 " is larger than the "
		       "checkpoint's size %" PRIu64, q->old, cp.size);
		goto out;
	}
	pthread_mutex_lock(&g->mu);
	rc = store_begin(g->s, err);
	if (rc == 0) {
		rc = add_locked(w, g, q, &cp, r, err);
		/* An alarm is kept even when the checkpoint is refused. */
		if (rc == 0)
			rc = store_commit(g->s, err);
		else
			store_end(g->s);
	}
	pthread_mutex_unlock(&g->mu);
	if (rc == 0 && r->status == 200)
		log_info("witness", "cosigned", "origin=%s size=%" PRIu64,
			 log_quote(g->origin, qo, sizeof(qo)), cp.size);
out:
	free(q);
	return rc;
}

/* ---- Entries ---- */

/* Checks one entry: canonical JSON of an object whose seq is seq. */
static int check_entry(const uint8_t *bytes, size_t len, uint64_t seq,
		       char *why, size_t n)
{
	struct error err = { 0 };
	struct buf canon = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	json_t *v = jcs_parse((const char *)bytes, len, &err);
	json_t *js = v ? json_object_get(v, "seq") : NULL;
	int ok = 0;

	if (!v)
		snprintf(why, n, "entry %" PRIu64 " is not JSON: %.400s", seq,
			 err.msg);
	else if (!json_is_integer(js) ||
		 (uint64_t)json_integer_value(js) != seq)
		snprintf(why, n, "entry %" PRIu64 " does not have seq %"
			 PRIu64, seq, seq);
	else if (json_integer_value(json_object_get(v, "v")) != 1)
		snprintf(why, n, "entry %" PRIu64 " is not of envelope "
			 "version 1 (\"v\": 1)", seq);
	else if (jcs_write(v, &canon, &err) != 0 || canon.len != len ||
		 memcmp(canon.data, bytes, len))
		snprintf(why, n, "entry %" PRIu64 " is not in canonical JSON "
			 "form", seq);
	else
		ok = 1;
	json_decref(v);
	buf_release(&canon);
	return ok;
}

/* Records the hashes of the attachments of an entry (base64 text). */
static int note_files(struct wlog *g, uint64_t seq, const char *text,
		      uint8_t *bytes, struct error *err)
{
	long n = base64_decode(text, strlen(text), bytes, LEDGER_ENTRY_MAX + 4);
	json_t *e = n > 0 ? json_loadb((const char *)bytes, (size_t)n, 0, NULL)
			  : NULL;
	json_t *a;
	size_t i;
	int rc = 0;

	json_array_foreach(json_object_get(e, "attachments"), i, a) {
		const char *h = json_string_value(json_object_get(a, "hash"));
		json_t *size = json_object_get(a, "size");
		char body[48];

		/* The size the entry states bounds the file's upload. */
		wpath(body, sizeof(body), "{\"size\":%" JSON_INTEGER_FORMAT "}",
		      json_is_integer(size) ? json_integer_value(size) : 0);
		if (rc == 0 && h)
			rc = store_kv_put(g->s, FILES_NS, h, seq, body, err);
	}
	json_decref(e);
	return rc;
}

/*
 * Stores entries from start as pending. An empty list only reports the
 * size held. A list may start anywhere from the entries kept to the end
 * of the pending tail, and replaces the pending entries from there.
 */
static int entries_locked(struct wlog *g, uint64_t start, json_t *list,
			  struct witness_reply *r, struct error *err)
{
	uint8_t *bytes = malloc(LEDGER_ENTRY_MAX + 4);
	struct wstate st;
	json_t *item;
	size_t i;
	int rc = bytes ? read_state(g, &st, err) : CT_ENOMEM;

	if (rc)
		goto out;
	if (start < st.entries || start > st.held ||
	    (json_array_size(list) == 0 && start != st.held)) {
		rc = answer_json(r, 409, json_pack("{s:I}", "size",
						   (json_int_t)st.held));
		goto out;
	}
	json_array_foreach(list, i, item) {
		const char *text = json_string_value(item);
		long n = text ? base64_decode(text, strlen(text), bytes,
					      LEDGER_ENTRY_MAX + 4) : -1;
		char why[512];

		if (n <= 0 || n > LEDGER_ENTRY_MAX) {
			rc = answer(r, 400, "entry %" PRIu64 " is not base64 "
				    "of at most %d bytes", start + i,
				    LEDGER_ENTRY_MAX);
			goto out;
		}
		if (!check_entry(bytes, (size_t)n, start + i, why,
				 sizeof(why))) {
			rc = answer(r, 400, "%s", why);
			goto out;
		}
	}
	/* The tail from start is replaced: pending rows past it go. */
	for (uint64_t seq = start + i; rc == 0 && seq < st.held; seq++) {
		char key[24];

		pending_key(seq, key);
		rc = store_kv_delete(g->s, PENDING_NS, key, err);
	}
	json_array_foreach(list, i, item) {
		char key[24];

		pending_key(start + i, key);
		if (rc == 0)
			rc = store_kv_put(g->s, PENDING_NS, key, start + i,
					  json_string_value(item), err);
		if (rc == 0)
			rc = note_files(g, start + i, json_string_value(item),
					bytes, err);
	}
	if (rc == 0)
		rc = answer_json(r, 200, json_pack("{s:I}", "size",
						   (json_int_t)(start + i)));
out:
	free(bytes);
	return rc;
}

/*
 * Checks that the log's trusted keys signed this batch (wentries_text).
 * Returns 0, or -1 with r set to 403 (unsigned or signed by another key)
 * or 400 (a malformed note).
 */
static int check_batch_signature(struct wlog *g, uint64_t start,
				 const json_t *list, const json_t *sig,
				 struct witness_reply *r)
{
	struct hasher *h = hasher_new(HASH_SHA256);
	struct buf text = BUF_INIT_MAX(CHECKPOINT_ORIGIN_MAX + 256);
	const char *note = json_string_value(sig);
	size_t note_len = json_string_length(sig);
	uint8_t digest[HASH_LEN];
	struct error why = { 0 };
	struct note parsed;
	const json_t *item;
	size_t i;
	int rc = -1;

	if (!h) {
		answer(r, 500, "out of memory");
		goto out;
	}
	if (!note) {
		answer(r, 403, "entries must carry \"signature\", the log's "
		       "signed note over the batch; update the bureau's "
		       "casetrail");
		goto out;
	}
	if (note_parse(note, note_len, &parsed, &why) != 0) {
		answer(r, 400, "malformed \"signature\": %s", why.msg);
		goto out;
	}
	json_array_foreach(list, i, item) {
		const char *b64 = json_string_value(item);

		if (!b64) {
			answer(r, 400, "entry %" PRIu64 " is not a base64 "
			       "string", start + i);
			goto out;
		}
		hasher_update(h, b64, json_string_length(item));
		hasher_update(h, "\n", 1);
	}
	hasher_final(h, digest);
	if (wentries_text(g->origin, start, json_array_size(list), digest,
			  &text) != 0) {
		answer(r, 500, "out of memory");
		goto out;
	}
	if (parsed.text_len != text.len ||
	    memcmp(note, text.data, text.len) != 0) {
		answer(r, 403, "the \"signature\" note does not name this "
		       "batch of %zu entries from %" PRIu64,
		       json_array_size(list), start);
		goto out;
	}
	if (note_verify(note, &parsed, g->note_keys, g->nkeys, &why) != 0) {
		answer(r, 403, "the entries are not signed by the log's "
		       "trusted keys: %s", why.msg);
		goto out;
	}
	rc = 0;
out:
	hasher_free(h);
	buf_release(&text);
	return rc;
}

int witness_post_entries(struct witness_node *w, const char *body,
			 size_t len, struct witness_reply *r,
			 struct error *err)
{
	json_error_t je;
	json_t *v = json_loadb(body, len, 0, &je), *list;
	json_int_t start;
	struct wlog *g;
	int rc = 0;

	list = json_object_get(v, "entries");
	start = json_integer_value(json_object_get(v, "start"));
	if (!v || !json_is_array(list) ||
	    !json_is_integer(json_object_get(v, "start")) || start < 0) {
		answer(r, 400, "the body must be {\"origin\": O, \"start\": N, "
		       "\"entries\": [...]}");
		goto out;
	}
	if (json_array_size(list) > WITNESS_BATCH_MAX) {
		answer(r, 413, "at most %d entries per request",
		       WITNESS_BATCH_MAX);
		goto out;
	}
	g = find_log(w, json_string_value(json_object_get(v, "origin")));
	if (!g) {
		answer(r, 404, "this witness follows no such origin");
		goto out;
	}
	if (json_array_size(list) > 0 &&
	    check_batch_signature(g, (uint64_t)start, list,
				  json_object_get(v, "signature"), r) != 0)
		goto out;
	pthread_mutex_lock(&g->mu);
	rc = store_begin(g->s, err);
	if (rc == 0) {
		rc = entries_locked(g, (uint64_t)start, list, r, err);
		if (rc == 0 && r->status == 200)
			rc = store_commit(g->s, err);
		else
			store_end(g->s);
	}
	pthread_mutex_unlock(&g->mu);
out:
	json_decref(v);
	return rc;
}

int witness_get_entries(struct witness_node *w, const char *origin,
			uint64_t start, uint64_t count,
			struct witness_reply *r, struct error *err)
{
	struct wlog *g = find_log(w, origin);
	struct buf body = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	struct buf b64 = BUF_INIT_MAX(1 << 18);
	struct wstate st;
	json_t *list;
	int rc;

	if (!g)
		return answer(r, 404, "this witness follows no such origin");
	if (count > WITNESS_BATCH_MAX)
		count = WITNESS_BATCH_MAX;
	list = json_array();
	pthread_mutex_lock(&g->mu);
	rc = store_begin_read(g->s, err);
	if (rc == 0)
		rc = read_state(g, &st, err);
	for (uint64_t i = start; rc == 0 && i < start + count && i < st.size;
	     i++) {
		rc = store_entry_get(g->s, i, &body, err);
		buf_reset(&b64);
		if (rc == 0)
			rc = base64_encode(body.data, body.len, &b64);
		if (rc == 0)
			json_array_append_new(list, json_string(b64.data));
	}
	store_end(g->s);
	pthread_mutex_unlock(&g->mu);
	buf_release(&body);
	buf_release(&b64);
	if (rc) {
		json_decref(list);
		return rc;
	}
	return answer_json(r, 200, json_pack("{s:I, s:o}", "start",
					     (json_int_t)start, "entries",
					     list));
}

int witness_get_checkpoint(struct witness_node *w, const char *origin,
			   struct witness_reply *r, struct error *err)
{
	struct wlog *g = find_log(w, origin);
	struct store_checkpoint cp = { 0 };
	int rc;

	if (!g)
		return answer(r, 404, "this witness follows no such origin");
	buf_init(&cp.note, 1 << 17);
	pthread_mutex_lock(&g->mu);
	rc = store_checkpoint_latest(g->s, &cp, err);
	pthread_mutex_unlock(&g->mu);
	if (rc == CT_ENOTFOUND) {
		error_clear(err);
		buf_release(&cp.note);
		return answer(r, 404, "the witness has cosigned no checkpoint "
			      "of this log yet");
	}
	if (rc == 0) {
		r->status = 200;
		r->type = "text/plain; charset=utf-8";
		buf_reset(&r->body);
		rc = buf_append(&r->body, cp.note.data, cp.note.len);
	}
	buf_release(&cp.note);
	return rc;
}

/* ---- Status ---- */

static int add_alarm(void *ctx, const char *key, uint64_t seq,
		     const char *body, size_t len)
{
	json_t *a = json_loadb(body, len, 0, NULL);

	(void)key;
	(void)seq;
	if (a)
		json_array_append_new(ctx, a);
	return 0;
}

int witness_status(struct witness_node *w, json_t **out, struct error *err)
{
	json_t *logs = json_array(), *keys = json_array();
	int rc = 0;

	for (size_t i = 0; i < 2; i++) {
		struct buf pem = BUF_INIT_MAX(1 << 16);

		key_public_pem(w->keys[i], &pem);
		json_array_append_new(keys, json_pack(
			"{s:s, s:s, s:s}", "type", key_files[i].name,
			"public_key", pem.data ? pem.data : "", "key_id",
			""));
		{
			char id[16];

			wpath(id, sizeof(id), "%08x",
				 cosig_key_id(w->name, w->keys[i]));
			json_object_set_new(json_array_get(keys, i), "key_id",
					    json_string(id));
		}
		buf_release(&pem);
	}
	size_t nlogs;

	pthread_mutex_lock(&w->mu);
	nlogs = w->nlogs;
	pthread_mutex_unlock(&w->mu);
	for (size_t i = 0; i < nlogs && rc == 0; i++) {
		struct wlog *g = w->logs[i];
		json_t *alarms;
		struct wstate st = { 0 };

		if (g->broken)
			continue;
		alarms = json_array();

		pthread_mutex_lock(&g->mu);
		rc = store_begin_read(g->s, err);
		if (rc == 0)
			rc = read_state(g, &st, err);
		if (rc == 0)
			rc = store_kv_scan(g->s, ALARM_NS, "", false, 0, 0,
					   add_alarm, alarms, NULL, err);
		store_end(g->s);
		pthread_mutex_unlock(&g->mu);
		json_array_append_new(logs, json_pack(
			"{s:s, s:I, s:I, s:I, s:o}", "origin", g->origin,
			"entries", (json_int_t)st.held, "cosigned_size",
			(json_int_t)st.size, "cosigned_at",
			(json_int_t)st.ts_ms, "alarms", alarms));
	}
	if (rc) {
		json_decref(logs);
		json_decref(keys);
		return rc;
	}
	*out = json_pack("{s:s, s:o, s:o}", "name", w->name, "keys", keys,
			 "logs", logs);
	return 0;
}

/* ---- Files ---- */

struct witness_upload {
	char tmp[PATH_MAX];
	char path[PATH_MAX];
	char folder[PATH_MAX];
	int fd;
	int exists;
	int failed;
	int too_big;
	uint64_t max, written; /* max: the size the entries state */
	enum hash_alg alg;
	uint8_t want[HASH_LEN];
	struct hasher *h;
};

int witness_blob_path(struct witness_node *w, const char *origin,
		      const char *hash, char *path, size_t n,
		      struct witness_reply *r)
{
	struct wlog *g = find_log(w, origin);
	enum hash_alg alg;
	uint8_t d[HASH_LEN];
	const char *hex;

	if (!g)
		return answer(r, 404, "this witness follows no such origin"),
		       CT_ENOTFOUND;
	if (hash_parse(hash, &alg, d) != 0 || alg != g->alg)
		return answer(r, 400, "'%s' is not a %s hash; files are named"
			      " <alg>:<hex> with the log's algorithm", hash,
			      hash_alg_name(g->alg)), CT_EINVAL;
	hex = strchr(hash, ':') + 1;
	wpath(path, n, "%s/blobs/%s/%.2s/%.2s/%s", g->dir,
		 hash_alg_name(alg), hex, hex + 2, hex);
	return 0;
}

int witness_blob_read_check(struct witness_node *w, const char *origin,
			    const char *hash, const char *header,
			    struct witness_reply *r)
{
	struct wlog *g = find_log(w, origin);
	size_t hlen = header ? strlen(header) : 0;
	uint8_t *note = NULL;
	struct buf text = BUF_INIT_MAX(4096);
	struct error why = { 0 };
	struct note parsed;
	const char *line;
	char *end;
	long n;
	long long at;
	int rc = -1;

	if (!g)
		return answer(r, 404, "this witness follows no such origin"),
		       -1;
	if (!header || !hlen) {
		answer(r, 403, "a file is handed out only to its log: sign "
		       "the request with the log's keys "
		       "(Casetrail-Read-Signature, docs/witness.md)");
		return -1;
	}
	if (hlen > 8192 || !(note = malloc(hlen))) {
		answer(r, 400, "Casetrail-Read-Signature is longer than "
		       "8192 bytes");
		return -1;
	}
	n = base64_decode(header, hlen, note, hlen);
	if (n <= 0 || note_parse((const char *)note, (size_t)n, &parsed,
				 &why) != 0) {
		answer(r, 400, "Casetrail-Read-Signature is not the base64 "
		       "of a signed note%s%s", why.msg[0] ? ": " : "",
		       why.msg);
		goto out;
	}
	/* The time is the note's fourth line; the rest must match. */
	line = (const char *)note;
	for (int i = 0; i < 3 && line; i++) {
		line = memchr(line, '\n', parsed.text_len -
			      (size_t)(line - (const char *)note));
		line = line ? line + 1 : NULL;
	}
	errno = 0;
	at = line ? strtoll(line, &end, 10) : 0;
	if (!line || errno || end == line || *end != '\n' ||
	    llabs(at - (long long)time(NULL)) > WBLOB_READ_SKEW_S) {
		answer(r, 403, "the read request's time is missing or more "
		       "than %d seconds from the witness's clock; sign a new "
		       "request", WBLOB_READ_SKEW_S);
		goto out;
	}
	if (wblob_read_text(g->origin, hash, at, &text) != 0 ||
	    parsed.text_len != text.len ||
	    memcmp(note, text.data, text.len) != 0) {
		answer(r, 403, "the read request's note does not name file "
		       "%s of this log", hash);
		goto out;
	}
	if (note_verify((const char *)note, &parsed, g->note_keys, g->nkeys,
			&why) != 0) {
		answer(r, 403, "the read request is not signed by the log's "
		       "trusted keys: %s", why.msg);
		goto out;
	}
	rc = 0;
out:
	free(note);
	buf_release(&text);
	return rc;
}

int witness_upload_begin(struct witness_node *w, const char *origin,
			 const char *hash, struct witness_upload **out,
			 struct witness_reply *r)
{
	struct witness_upload *u = calloc(1, sizeof(*u));
	struct buf stated = BUF_INIT_MAX(256);
	struct wlog *g;
	char *slash;
	json_t *v;
	int named;

	if (!u)
		return answer(r, 500, "out of memory"), CT_ENOMEM;
	u->fd = -1;
	if (witness_blob_path(w, origin, hash, u->path, sizeof(u->path), r)) {
		free(u);
		return CT_EINVAL;
	}
	hash_parse(hash, &u->alg, u->want);
	g = find_log(w, origin);
	pthread_mutex_lock(&g->mu);
	named = store_kv_get(g->s, FILES_NS, hash, &stated, NULL, NULL) == 0;
	pthread_mutex_unlock(&g->mu);
	v = named ? json_loadb(stated.data ? stated.data : "", stated.len, 0,
			       NULL) : NULL;
	/* Rows written before sizes were kept read "{}": no bound. */
	u->max = json_is_integer(json_object_get(v, "size"))
			 ? (uint64_t)json_integer_value(json_object_get(v, "size"))
			 : UINT64_MAX;
	json_decref(v);
	buf_release(&stated);
	if (!named) {
		free(u);
		return answer(r, 403, "no entry the witness holds names file %s;"
			      " push the entry first", hash), CT_EPERM;
	}
	u->exists = access(u->path, F_OK) == 0;
	wpath(u->folder, sizeof(u->folder), "%s", u->path);
	for (int i = 0; i < 3; i++) {
		slash = strrchr(u->folder, '/');
		*slash = '\0';
	}
	/* u->folder is now <log>/blobs/<alg>; make tmp beside it. */
	slash = strrchr(u->folder, '/');
	wpath(u->tmp, sizeof(u->tmp), "%.*s/tmp",
		 (int)(slash - u->folder), u->folder);
	mkdir(u->tmp, 0755);
	wpath(u->tmp + strlen(u->tmp), sizeof(u->tmp) - strlen(u->tmp),
		 "/put-XXXXXX");
	u->fd = mkstemp(u->tmp);
	u->h = hasher_new(u->alg);
	if (u->fd < 0 || !u->h) {
		witness_upload_abort(u);
		return answer(r, 500, "cannot create a temporary file"),
		       CT_EIO;
	}
	*out = u;
	return 0;
}

int witness_upload_write(struct witness_upload *u, const void *data,
			 size_t len)
{
	const char *p = data;

	if (len > u->max - u->written) {
		u->too_big = 1;
		return CT_ETOOBIG;
	}
	u->written += len;
	hasher_update(u->h, data, len);
	while (len > 0 && !u->failed) {
		ssize_t n = write(u->fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			u->failed = 1;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	return u->failed ? CT_EIO : 0;
}

/* Creates the folders <alg>/<h0h1>/<h2h3> above a blob's file. */
static int make_parents(const char *path)
{
	char d[PATH_MAX];
	char *cut[3];

	wpath(d, sizeof(d), "%s", path);
	*strrchr(d, '/') = '\0';
	for (int i = 0; i < 3; i++) {
		cut[i] = strrchr(d, '/');
		*cut[i] = '\0';
	}
	for (int i = 2; i >= 0; i--) {
		*cut[i] = '/';
		if (mkdir(d, 0755) != 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

void witness_upload_finish(struct witness_upload *u, struct witness_reply *r)
{
	uint8_t got[HASH_LEN];
	char text[HASH_TEXT_MAX], folder[PATH_MAX];

	hasher_final(u->h, got);
	if (u->failed) {
		answer(r, 500, "cannot write the file");
	} else if (memcmp(got, u->want, HASH_LEN)) {
		hash_format(u->alg, got, text);
		answer(r, 422, "the body hashes to %s, not to the name of the"
		       " file; nothing was kept", text);
		log_warn("witness", "file refused", "hash=%s", text);
	} else if (u->exists) {
		answer(r, 200, "stored already");
	} else if (fsync(u->fd) != 0 || make_parents(u->path) != 0 ||
		   rename(u->tmp, u->path) != 0) {
		answer(r, 500, "cannot store the file: %s", strerror(errno));
	} else {
		wpath(folder, sizeof(folder), "%s", u->path);
		*strrchr(folder, '/') = '\0';
		fsync_dir(folder, NULL);
		u->tmp[0] = '\0';
		answer(r, 201, "stored");
	}
	witness_upload_abort(u);
}

void witness_upload_abort(struct witness_upload *u)
{
	if (!u)
		return;
	if (u->fd >= 0)
		close(u->fd);
	if (u->tmp[0])
		unlink(u->tmp);
	hasher_free(u->h);
	free(u);
}
