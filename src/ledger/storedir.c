/*
 * The store directory: creating a store, opening it, its configuration
 * file, its signing keys, the pool of read connections and online backup.
 */
#include "common/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/jcs.h"
#include "common/log.h"
#include "content/content.h"
#include "internal.h"

int path_join(char *out, size_t n, const char *dir, const char *name)
{
	if ((size_t)snprintf(out, n, "%s/%s", dir, name) >= n)
		return CT_EINVAL;
	return 0;
}

int path_printf(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	return k < 0 || (size_t)k >= n ? CT_EINVAL : 0;
}

int read_file(const char *path, size_t max, struct buf *b, struct error *err)
{
	char chunk[8192];
	/* Non-blocking, so that a FIFO in a file's place cannot hang us. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	int rc = 0;

	if (fd < 0)
		return error_set(err, errno == ENOENT ? CT_ENOTFOUND : CT_EIO,
				 "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return error_set(err, CT_EIO, "'%s' is not a regular file",
				 path);
	}
	buf_reset(b);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				rc = error_set(err, CT_EIO,
					       "cannot read '%s': %s", path,
					       strerror(errno));
			break;
		}
		if (b->len + (size_t)n > max) {
			rc = error_set(err, CT_ETOOBIG,
				       "'%s' is larger than %zu bytes", path,
				       max);
			break;
		}
		rc = buf_append(b, chunk, (size_t)n);
		if (rc)
			break;
	}
	close(fd);
	return rc;
}

int write_file_atomic(const char *path, const void *data, size_t len,
		      int mode, struct error *err)
{
	char tmp[PATH_MAX + 16], dir[PATH_MAX];
	const char *slash;
	int fd, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp%d", path,
			     (int)getpid()) >= sizeof(tmp))
		return error_set(err, CT_EINVAL, "path too long: '%s'", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return error_set(err, CT_EIO, "cannot create '%s': %s", tmp,
				 strerror(errno));
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) != 0)
		rc = error_set(err, CT_EIO, "cannot write '%s': %s", tmp,
			       strerror(errno));
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = error_set(err, CT_EIO, "cannot rename '%s': %s", tmp,
			       strerror(errno));
	if (rc) {
		unlink(tmp);
		return rc;
	}
	slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1,
		 slash ? path : ".");
	return fsync_dir(dir, err);
}

/* Copies name for an error message, control characters replaced. */
static const char *shown(const char *name, char *out, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && name[i]; i++) {
		unsigned char c = (unsigned char)name[i];

		out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[i] = '\0';
	return out;
}

/*
 * Returns whether valid UTF-8 text contains a zero-width or bidirectional
 * formatting character: U+061C, U+180E, U+200B-U+200F, U+202A-U+202E,
 * U+2060-U+2064, U+2066-U+2069 or U+FEFF.
 */
static int has_invisible(const char *name)
{
	const unsigned char *u = (const unsigned char *)name;

	for (; *u; u++) {
		if (u[0] == 0xd8 && u[1] == 0x9c)
			return 1;
		if (u[0] == 0xe1 && u[1] == 0xa0 && u[2] == 0x8e)
			return 1;
		if (u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
			return 1;
		if (u[0] != 0xe2 || !u[1] || !u[2])
			continue;
		if (u[1] == 0x80 && ((u[2] >= 0x8b && u[2] <= 0x8f) ||
				     (u[2] >= 0xaa && u[2] <= 0xae)))
			return 1;
		if (u[1] == 0x81 && ((u[2] >= 0xa0 && u[2] <= 0xa4) ||
				     (u[2] >= 0xa6 && u[2] <= 0xa9)))
			return 1;
	}
	return 0;
}

int check_name(const char *what, const char *name, struct error *err)
{
	char safe[LEDGER_NAME_MAX + 1];
	size_t n;

	if (!name || !*name)
		return error_set(err, CT_EINVAL, "%s is missing", what);
	n = strlen(name);
	if (n > LEDGER_NAME_MAX)
		return error_set(err, CT_EINVAL,
				 "%s is longer than %d bytes", what,
				 LEDGER_NAME_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c >= 0x80 || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("._-@:", c))
			continue;
		return error_set(err, CT_EINVAL,
				 "%s '%s' contains '%c'; use letters, digits "
				 "and . _ - @ :", what,
				 shown(name, safe, sizeof(safe)),
				 c < 0x20 || c == 0x7f ? '?' : c);
	}
	if (!jcs_utf8_valid(name, n))
		return error_set(err, CT_EINVAL,
				 "%s is not valid UTF-8; send names in UTF-8",
				 what);
	if (has_invisible(name))
		return error_set(err, CT_EINVAL,
				 "%s '%s' contains an invisible or "
				 "direction-changing character, which would "
				 "let two different names look alike; type it "
				 "again", what, shown(name, safe, sizeof(safe)));
	if (strstr(name, "..") || name[0] == '.')
		return error_set(err, CT_EINVAL,
				 "%s '%s' must not start with '.' or contain "
				 "'..'", what, shown(name, safe, sizeof(safe)));
	return 0;
}

static int key_from_json(json_t *k, const char *dir, struct ledger_key *out,
			 struct error *err)
{
	const char *type = json_string_value(json_object_get(k, "type"));
	const char *name = json_string_value(json_object_get(k, "name"));
	const char *priv = json_string_value(json_object_get(k, "private"));
	const char *pub = json_string_value(json_object_get(k, "public"));

	if (!type || !name || !priv || !pub)
		return error_set(err, CT_ECORRUPT,
				 "config.json in '%s': a key lacks type, name, "
				 "private or public", dir);
	if (!strcmp(type, "sm2"))
		out->type = KEY_SM2;
	else if (!strcmp(type, "ed25519"))
		out->type = KEY_ED25519;
	else
		return error_set(err, CT_ECORRUPT,
				 "config.json in '%s': unknown key type '%s'",
				 dir, type);
	/* Key paths are relative to the store and fixed by init. */
	if (strchr(priv, '/') || strchr(pub, '/') || priv[0] == '.' ||
	    pub[0] == '.')
		return error_set(err, CT_ECORRUPT,
				 "config.json in '%s': key file names must be "
				 "plain names inside keys/", dir);
	snprintf(out->name, sizeof(out->name), "%s", name);
	path_printf(out->private_path, sizeof(out->private_path), "%s/%s/%s",
		 dir, KEY_DIR, priv);
	path_printf(out->public_path, sizeof(out->public_path), "%s/%s/%s", dir,
		 KEY_DIR, pub);
	return 0;
}

/*
 * Checks what config.json states against itself: the format, a known
 * crypto mode with its hash, and an origin that names this store and
 * hash. A store's hash and origin are fixed at init; an edit would make
 * new entries or checkpoints disagree with the log for ever.
 */
static int check_config_fields(json_t *root, const char *path,
			       struct error *err)
{
	const char *id = json_string_value(json_object_get(root, "store_id"));
	const char *crypto = json_string_value(json_object_get(root, "crypto"));
	const char *hash = json_string_value(json_object_get(root, "hash"));
	const char *origin = json_string_value(json_object_get(root, "origin"));
	json_t *format = json_object_get(root, "format");
	char tail[128];
	size_t n, k;

	if (!json_is_integer(format) || json_integer_value(format) != 1)
		return error_set(err, CT_ECORRUPT,
				 "'%s': format must be 1; this casetrail reads "
				 "no other", path);
	if (!crypto || (strcmp(crypto, "gm") && strcmp(crypto, "standard")))
		return error_set(err, CT_ECORRUPT,
				 "'%s': crypto must be gm or standard", path);
	if (!hash || strcmp(hash, !strcmp(crypto, "gm") ? "sm3" : "sha256"))
		return error_set(err, CT_ECORRUPT,
				 "'%s': hash does not match crypto '%s'", path,
				 crypto);
	snprintf(tail, sizeof(tail), "/casetrail/%s/%s", id, hash);
	n = strlen(origin);
	k = strlen(tail);
	if (n <= k || strcmp(origin + n - k, tail) != 0 ||
	    memchr(origin, '/', n - k) != NULL)
		return error_set(err, CT_ECORRUPT,
				 "'%s': origin must be <host>%s", path, tail);
	return 0;
}

/* Checks the keys config.json lists: the ones its crypto mode needs. */
static int check_config_keys(const struct ledger_config *c, const char *path,
			     struct error *err)
{
	int gm = !strcmp(c->crypto, "gm");
	size_t want = gm ? 2 : 1;

	if (c->nkeys != want || (gm && c->keys[0].type != KEY_SM2) ||
	    c->keys[want - 1].type != KEY_ED25519)
		return error_set(err, CT_ECORRUPT,
				 "'%s': a %s store signs with %s", path,
				 c->crypto, gm ? "an sm2 and an ed25519 key"
					       : "one ed25519 key");
	for (size_t i = 0; i < c->nkeys; i++)
		if (strcmp(c->keys[i].name, c->origin) != 0)
			return error_set(err, CT_ECORRUPT,
					 "'%s': key names must equal the "
					 "origin", path);
	return 0;
}

int config_load(const char *dir, struct ledger_config *c, struct error *err)
{
	struct buf text = BUF_INIT_MAX(1 << 16);
	char path[PATH_MAX];
	json_t *root = NULL, *keys;
	const char *id, *crypto, *origin;
	size_t i;
	int rc;

	memset(c, 0, sizeof(*c));
	if (path_join(path, sizeof(path), dir, CONFIG_FILE))
		return error_set(err, CT_EINVAL, "path too long: '%s'", dir);
	rc = read_file(path, text.max, &text, err);
	if (rc == CT_ENOTFOUND) {
		error_clear(err);
		rc = error_set(err, CT_ENOTFOUND,
			       "no casetrail store in '%s' (no %s); create one "
			       "with 'casetrail init --dir %s'", dir,
			       CONFIG_FILE, dir);
	}
	if (rc)
		goto out;
	root = jcs_parse(text.data, text.len, err);
	if (!root) {
		rc = CT_ECORRUPT;
		goto out;
	}
	id = json_string_value(json_object_get(root, "store_id"));
	crypto = json_string_value(json_object_get(root, "crypto"));
	origin = json_string_value(json_object_get(root, "origin"));
	keys = json_object_get(root, "keys");
	if (!id || !crypto || !origin || !json_is_array(keys) ||
	    json_array_size(keys) > ARRAY_SIZE(c->keys)) {
		rc = error_set(err, CT_ECORRUPT,
			       "'%s' lacks store_id, crypto, origin or keys",
			       path);
		goto out;
	}
	rc = check_config_fields(root, path, err);
	if (rc)
		goto out;
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	snprintf(c->store_id, sizeof(c->store_id), "%s", id);
	snprintf(c->crypto, sizeof(c->crypto), "%s", crypto);
	snprintf(c->origin, sizeof(c->origin), "%s", origin);
	c->alg = !strcmp(crypto, "gm") ? HASH_SM3 : HASH_SHA256;
	for (i = 0; i < json_array_size(keys); i++) {
		rc = key_from_json(json_array_get(keys, i), dir, &c->keys[i],
				   err);
		if (rc)
			goto out;
		c->nkeys++;
	}
	rc = check_config_keys(c, path, err);
out:
	json_decref(root);
	buf_release(&text);
	return rc;
}

/* Fails unless dir is missing or an empty folder; creates it. */
static int claim_dir(const char *dir, struct error *err)
{
	DIR *d;
	struct dirent *e;
	int empty = 1;

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return error_set(err, CT_EIO, "cannot create '%s': %s", dir,
				 strerror(errno));
	d = opendir(dir);
	if (!d)
		return error_set(err, CT_EEXIST,
				 "'%s' exists and is not a folder; choose "
				 "another --dir", dir);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	if (!empty) {
		char path[PATH_MAX];

		path_join(path, sizeof(path), dir, CONFIG_FILE);
		if (access(path, F_OK) == 0)
			return error_set(err, CT_EEXIST,
					 "a store exists already in '%s'; "
					 "nothing was changed", dir);
		return error_set(err, CT_EEXIST,
				 "'%s' is not empty; casetrail init needs a "
				 "new or empty folder", dir);
	}
	return 0;
}

static int make_key(struct ledger_config *c, size_t i, enum key_type type,
		    const char *stem, struct error *err)
{
	struct ledger_key *k = &c->keys[i];
	struct key *key = NULL;
	struct buf pem = BUF_INIT_MAX(1 << 16);
	int rc;

	k->type = type;
	snprintf(k->name, sizeof(k->name), "%s", c->origin);
	path_printf(k->private_path, sizeof(k->private_path), "%s/%s/%s.key",
		 c->dir, KEY_DIR, stem);
	path_printf(k->public_path, sizeof(k->public_path), "%s/%s/%s.pub",
		 c->dir, KEY_DIR, stem);
	rc = key_generate(type, &key, err);
	if (rc == 0)
		rc = key_save_private(key, k->private_path, err);
	if (rc == 0)
		rc = key_public_pem(key, &pem);
	if (rc == 0)
		rc = write_file_atomic(k->public_path, pem.data, pem.len, 0644,
				       err);
	key_free(key);
	buf_release(&pem);
	return rc;
}

static int write_config(const struct ledger_config *c, struct error *err)
{
	static const char *stems[] = { [KEY_SM2] = "sm2",
				       [KEY_ED25519] = "ed25519" };
	struct buf text = BUF_INIT_MAX(1 << 16);
	char path[PATH_MAX];
	json_t *root, *keys;
	int rc;

	keys = json_array();
	for (size_t i = 0; i < c->nkeys; i++) {
		const char *stem = stems[c->keys[i].type];
		char priv[64], pub[64];

		snprintf(priv, sizeof(priv), "%s.key", stem);
		snprintf(pub, sizeof(pub), "%s.pub", stem);
		json_array_append_new(keys,
				      json_pack("{s:s, s:s, s:s, s:s}", "type",
						stem, "name", c->keys[i].name,
						"private", priv, "public", pub));
	}
	root = json_pack("{s:i, s:s, s:s, s:s, s:s, s:o}", "format", 1,
			 "store_id", c->store_id, "crypto", c->crypto, "hash",
			 hash_alg_name(c->alg), "origin", c->origin, "keys",
			 keys);
	rc = root ? jcs_write(root, &text, err) : CT_ENOMEM;
	if (rc == 0)
		rc = buf_putc(&text, '\n');
	path_join(path, sizeof(path), c->dir, CONFIG_FILE);
	if (rc == 0)
		rc = write_file_atomic(path, text.data, text.len, 0644, err);
	json_decref(root);
	buf_release(&text);
	return rc;
}

static int new_config(struct ledger_config *c, const char *dir,
		      const char *crypto, const char *host,
		      struct error *err)
{
	uint8_t id[8];

	memset(c, 0, sizeof(*c));
	if (strcmp(crypto, "gm") && strcmp(crypto, "standard"))
		return error_set(err, CT_EINVAL,
				 "unknown --crypto '%s'; use gm (SM3, SM2) or "
				 "standard (SHA-256, Ed25519)", crypto);
	if (check_name("host", host, err))
		return CT_EINVAL;
	if (strlen(dir) > PATH_MAX - 64)
		return error_set(err, CT_EINVAL, "store path too long: '%s'",
				 dir);
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	snprintf(c->crypto, sizeof(c->crypto), "%s", crypto);
	c->alg = !strcmp(crypto, "gm") ? HASH_SM3 : HASH_SHA256;
	if (crypto_random(id, sizeof(id)))
		return error_set(err, CT_ECRYPTO, "cannot draw a store id");
	for (size_t i = 0; i < sizeof(id); i++)
		snprintf(c->store_id + 2 * i, 3, "%02x", id[i]);
	snprintf(c->origin, sizeof(c->origin), "%s/casetrail/%s/%s", host,
		 c->store_id, hash_alg_name(c->alg));
	return 0;
}

int ledger_create(const char *dir, const char *crypto, const char *host,
		  struct error *err)
{
	struct ledger_config c;
	struct store *s = NULL;
	struct ledger *l = NULL;
	char path[PATH_MAX];
	uint64_t size;
	int rc;

	rc = new_config(&c, dir, crypto, host, err);
	if (rc == 0)
		rc = claim_dir(dir, err);
	if (rc)
		return rc;
	path_join(path, sizeof(path), dir, KEY_DIR);
	if (mkdir(path, 0700) != 0)
		return error_set(err, CT_EIO, "cannot create '%s': %s", path,
				 strerror(errno));
	if (!strcmp(crypto, "gm"))
		rc = make_key(&c, c.nkeys++, KEY_SM2, "sm2", err);
	if (rc == 0)
		rc = make_key(&c, c.nkeys++, KEY_ED25519, "ed25519", err);
	path_join(path, sizeof(path), dir, BLOB_DIR);
	if (rc == 0 && mkdir(path, 0700) != 0)
		rc = error_set(err, CT_EIO, "cannot create '%s': %s", path,
			       strerror(errno));
	path_join(path, sizeof(path), dir, DB_FILE);
	if (rc == 0)
		rc = store_open(path, STORE_CREATE, &s, err);
	if (rc == 0)
		rc = store_meta_put(s, "store_id", c.store_id, err);
	if (rc == 0)
		rc = store_meta_put(s, "hash", hash_alg_name(c.alg), err);
	if (rc == 0)
		rc = store_meta_put(s, "origin", c.origin, err);
	store_close(s);
	/* The config file goes last: its presence marks a complete store. */
	if (rc == 0)
		rc = write_config(&c, err);
	if (rc == 0)
		rc = ledger_open(dir, 0, &l, err);
	if (rc == 0)
		rc = ledger_checkpoint(l, 1, NULL, &size, err);
	ledger_close(l);
	if (rc == 0)
		log_info("ledger", "store created", "dir=%s store_id=%s crypto=%s",
			 dir, c.store_id, crypto);
	return rc;
}

int check_db_matches(const struct ledger_config *c, struct store *s,
		     struct error *err)
{
	const char *want[][2] = {
		{ "store_id", c->store_id },
		{ "hash", hash_alg_name(c->alg) },
		{ "origin", c->origin },
	};
	struct buf v = BUF_INIT_MAX(256);
	int rc = 0;

	for (size_t i = 0; i < ARRAY_SIZE(want) && rc == 0; i++) {
		rc = store_meta_get(s, want[i][0], &v, err);
		if (rc == 0 && strcmp(v.data, want[i][1]) != 0)
			rc = error_set(err, CT_ECORRUPT,
				       "%s in '%s' records %s '%s' but "
				       "config.json says '%s'; restore "
				       "config.json from a backup", DB_FILE,
				       c->dir, want[i][0], v.data, want[i][1]);
	}
	buf_release(&v);
	return rc;
}

/* Removes what writers killed mid-way left in blobs/tmp. */
static void clean_blob_tmp(struct ledger *l)
{
	struct error err = { 0 };
	int removed = blob_clean_tmp(l->blobs, &err);

	if (removed > 0)
		log_info("ledger", "removed leftover temporary blob files",
			 "dir=%s count=%d", l->config.dir, removed);
	else if (removed < 0)
		log_warn("ledger", "cannot clean blobs/tmp", "dir=%s error=%s",
			 l->config.dir, err.msg);
}

/* Truncates the WAL if an expunge was killed before it could. */
static void finish_pending_wipe(struct ledger *l)
{
	struct buf v = BUF_INIT_MAX(16);
	struct error err = { 0 };

	if (store_meta_get(l->writer, META_WIPE_PENDING, &v, NULL) == 0 &&
	    !strcmp(v.data, "1") && wal_truncate_attempts(l, 1, &err) == 0)
		log_info("ledger", "finished an interrupted expunge's wipe",
			 "dir=%s", l->config.dir);
	buf_release(&v);
}

/*
 * Loads the content master key, creating it in a writable store that has
 * none yet, and hands it to the writer connection. A read-only open of a
 * store without one goes on: nothing in it can be sealed.
 */
static int open_content_key(struct ledger *l, struct error *err)
{
	char path[PATH_MAX];
	int rc;

	path_join(path, sizeof(path), l->config.dir, KEY_DIR);
	rc = content_key_load(path, !(l->flags & LEDGER_READONLY),
			      l->content_key, err);
	if (rc == CT_ENOTFOUND && (l->flags & LEDGER_READONLY))
		return 0;
	if (rc)
		return rc;
	l->has_content_key = 1;
	store_set_content_key(l->writer, l->content_key);
	return 0;
}

int ledger_open(const char *dir, unsigned flags, struct ledger **out,
		struct error *err)
{
	struct ledger *l;
	char path[PATH_MAX];
	int rc;

	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return error_set(err, CT_ENOMEM, "out of memory");
	l->flags = flags;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cond, NULL);
	pthread_mutex_init(&l->pool_mu, NULL);
	pthread_mutex_init(&l->keys_mu, NULL);
	pthread_mutex_init(&l->signer_mu, NULL);
	pthread_cond_init(&l->signer_cond, NULL);
	rc = config_load(dir, &l->config, err);
	if (rc)
		goto fail;
	path_join(path, sizeof(path), dir, DB_FILE);
	rc = store_open(path, flags & LEDGER_READONLY ? STORE_READONLY : 0,
			&l->writer, err);
	if (rc == 0)
		rc = check_db_matches(&l->config, l->writer, err);
	if (rc == 0)
		rc = open_content_key(l, err);
	path_join(path, sizeof(path), dir, BLOB_DIR);
	if (rc == 0)
		rc = blob_dir_open(path, l->config.alg, &l->blobs, err);
	if (rc)
		goto fail;
	if (!(flags & LEDGER_READONLY)) {
		clean_blob_tmp(l);
		finish_pending_wipe(l);
	}
	*out = l;
	return 0;
fail:
	ledger_close(l);
	return rc;
}

void ledger_close(struct ledger *l)
{
	if (!l)
		return;
	ledger_signer_stop(l);
	/*
	 * Readers close first: the last connection to close checkpoints the
	 * WAL into the database and removes it, which only a writer can do.
	 */
	for (size_t i = 0; i < l->pool_count; i++)
		store_close(l->pool[i]);
	store_close(l->writer);
	for (size_t i = 0; i < ARRAY_SIZE(l->keys); i++)
		key_free(l->keys[i]);
	crypto_wipe(l->content_key, sizeof(l->content_key));
	blob_dir_free(l->blobs);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->pool_mu);
	pthread_mutex_destroy(&l->keys_mu);
	pthread_mutex_destroy(&l->signer_mu);
	pthread_cond_destroy(&l->signer_cond);
	free(l);
}

const struct ledger_config *ledger_config(const struct ledger *l)
{
	return &l->config;
}

int reader_get(struct ledger *l, struct store **s, struct error *err)
{
	char path[PATH_MAX];
	int rc;

	pthread_mutex_lock(&l->pool_mu);
	if (l->pool_count > 0) {
		*s = l->pool[--l->pool_count];
		pthread_mutex_unlock(&l->pool_mu);
		return 0;
	}
	pthread_mutex_unlock(&l->pool_mu);
	path_join(path, sizeof(path), l->config.dir, DB_FILE);
	rc = store_open(path, STORE_READONLY, s, err);
	if (rc == 0 && l->has_content_key)
		store_set_content_key(*s, l->content_key);
	return rc;
}

void reader_put(struct ledger *l, struct store *s)
{
	if (!s)
		return;
	store_end(s);
	pthread_mutex_lock(&l->pool_mu);
	if (l->pool_count < READER_POOL) {
		l->pool[l->pool_count++] = s;
		s = NULL;
	}
	pthread_mutex_unlock(&l->pool_mu);
	store_close(s);
}

/*
 * Loads a private key for signing after checking that only its owner can
 * read the file and that it belongs to the public key beside it, since a
 * checkpoint signed by any other key fails verify for good.
 */
static int load_signing_key(const struct ledger_key *lk, struct key **out,
			    struct error *err)
{
	uint8_t mine[128], theirs[128];
	struct buf pem = BUF_INIT_MAX(1 << 16);
	struct key *pub = NULL;
	struct stat st;
	int rc, a, b;

	if (stat(lk->private_path, &st) == 0 && !S_ISREG(st.st_mode))
		return error_set(err, CT_EIO, "private key '%s' is not a "
				 "regular file", lk->private_path);
	if (stat(lk->private_path, &st) == 0 && (st.st_mode & 077))
		return error_set(err, CT_EPERM,
				 "private key '%s' is readable by others (mode "
				 "%04o); run chmod 600 '%s'", lk->private_path,
				 (unsigned)(st.st_mode & 07777),
				 lk->private_path);
	rc = key_load_private(lk->private_path, out, err);
	if (rc == 0)
		rc = read_file(lk->public_path, pem.max, &pem, err);
	if (rc == 0)
		rc = key_load_public_pem(pem.data, pem.len, &pub, err);
	buf_release(&pem);
	if (rc)
		goto out;
	a = key_public_raw(*out, mine, sizeof(mine));
	b = key_public_raw(pub, theirs, sizeof(theirs));
	if (a <= 0 || a != b || key_get_type(*out) != lk->type ||
	    memcmp(mine, theirs, (size_t)a) != 0)
		rc = error_set(err, CT_ECRYPTO,
			       "private key '%s' does not belong to public key "
			       "'%s'; restore the keys folder from a backup",
			       lk->private_path, lk->public_path);
out:
	key_free(pub);
	if (rc) {
		key_free(*out);
		*out = NULL;
	}
	return rc;
}

int ledger_note_keys(struct ledger *l, struct note_key *keys, size_t *n,
		     int private_keys, struct error *err)
{
	struct buf pem = BUF_INIT_MAX(1 << 16);
	int rc = 0;

	pthread_mutex_lock(&l->keys_mu);
	for (size_t i = 0; i < l->config.nkeys && rc == 0; i++) {
		const struct ledger_key *lk = &l->config.keys[i];

		if (l->keys[i] && (!private_keys || l->keys_private))
			continue;
		key_free(l->keys[i]);
		l->keys[i] = NULL;
		if (private_keys) {
			rc = load_signing_key(lk, &l->keys[i], err);
		} else {
			rc = read_file(lk->public_path, pem.max, &pem, err);
			if (rc == 0)
				rc = key_load_public_pem(pem.data, pem.len,
							 &l->keys[i], err);
		}
	}
	if (rc == 0 && private_keys)
		l->keys_private = 1;
	pthread_mutex_unlock(&l->keys_mu);
	buf_release(&pem);
	if (rc)
		return rc;
	for (size_t i = 0; i < l->config.nkeys; i++) {
		keys[i].name = l->config.keys[i].name;
		keys[i].key = l->keys[i];
	}
	*n = l->config.nkeys;
	return 0;
}

struct backup_ctx {
	struct ledger *l;
	struct blob_dir *dst;
	uint64_t copied;
	struct error *err;
};

static int backup_blob(void *ctx, uint64_t seq, const char *hash,
		       int64_t expunged_by)
{
	struct backup_ctx *b = ctx;
	int rc;

	(void)seq;
	/* Refs come in seq order, so one blob may be met several times. */
	if (expunged_by >= 0 || blob_exists(b->dst, hash))
		return 0;
	rc = blob_copy_to(b->l->blobs, hash, b->dst, b->err);
	if (rc == 0)
		b->copied++;
	return rc;
}

static int copy_small_file(const char *from, const char *to, int mode,
			   struct error *err)
{
	struct buf b = BUF_INIT_MAX(1 << 20);
	int rc = read_file(from, b.max, &b, err);

	if (rc == 0)
		rc = write_file_atomic(to, b.data, b.len, mode, err);
	buf_release(&b);
	return rc;
}

/*
 * Writes the backup's checkpoint file from the copied database's latest
 * checkpoint. The live file may already name a newer checkpoint than the
 * snapshot holds, and a copy with that file would read as rolled back.
 */
static int backup_checkpoint_file(struct store *copy, const char *dir,
				  struct error *err)
{
	struct store_checkpoint cp = { 0 };
	char to[PATH_MAX];
	int rc;

	rc = store_checkpoint_latest(copy, &cp, err);
	path_join(to, sizeof(to), dir, CHECKPOINT_FILE);
	if (rc == 0)
		rc = write_file_atomic(to, cp.note.data, cp.note.len, 0644,
				       err);
	buf_release(&cp.note);
	return rc;
}

/* Copies config.json and keys/ into the backup. */
static int backup_files(struct ledger *l, const char *dir, struct error *err)
{
	char from[PATH_MAX], to[PATH_MAX];
	int rc = 0;

	path_join(to, sizeof(to), dir, KEY_DIR);
	if (mkdir(to, 0700) != 0)
		return error_set(err, CT_EIO, "cannot create '%s': %s", to,
				 strerror(errno));
	for (size_t i = 0; i < l->config.nkeys && rc == 0; i++) {
		const struct ledger_key *k = &l->config.keys[i];

		path_printf(to, sizeof(to), "%s/%s/%s", dir, KEY_DIR,
			 strrchr(k->private_path, '/') + 1);
		rc = copy_small_file(k->private_path, to, 0600, err);
		path_printf(to, sizeof(to), "%s/%s/%s", dir, KEY_DIR,
			 strrchr(k->public_path, '/') + 1);
		if (rc == 0)
			rc = copy_small_file(k->public_path, to, 0644, err);
	}
	/* The content key: sealed content in the copy needs it. */
	path_printf(from, sizeof(from), "%s/%s/%s", l->config.dir, KEY_DIR,
		    CONTENT_KEY_FILE);
	path_printf(to, sizeof(to), "%s/%s/%s", dir, KEY_DIR,
		    CONTENT_KEY_FILE);
	if (rc == 0 && l->has_content_key)
		rc = copy_small_file(from, to, 0600, err);
	/*
	 * The inquiry key, once drawn: the codes printed on receipts are
	 * derived from it (access/inquiry.c).
	 */
	path_printf(from, sizeof(from), "%s/%s/inquiry.key", l->config.dir,
		    KEY_DIR);
	path_printf(to, sizeof(to), "%s/%s/inquiry.key", dir, KEY_DIR);
	if (rc == 0 && access(from, F_OK) == 0)
		rc = copy_small_file(from, to, 0600, err);
	/*
	 * The witnesses and their cosigning keys (docs/witness.md): a restore
	 * checks the witness's cosignature with them, and the restored store
	 * pushes to them again.
	 */
	path_join(from, sizeof(from), l->config.dir, "witness.json");
	path_join(to, sizeof(to), dir, "witness.json");
	if (rc == 0 && access(from, F_OK) == 0)
		rc = copy_small_file(from, to, 0644, err);
	/* config.json last, as in init: it marks the copy complete. */
	path_join(from, sizeof(from), l->config.dir, CONFIG_FILE);
	path_join(to, sizeof(to), dir, CONFIG_FILE);
	if (rc == 0)
		rc = copy_small_file(from, to, 0644, err);
	return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

int ledger_backup(struct ledger *l, const char *dir, struct error *err)
{
	struct backup_ctx ctx = { l, NULL, 0, err };
	struct store *copy = NULL;
	char path[PATH_MAX];
	int rc;

	if (strlen(dir) > PATH_MAX - 64)
		return error_set(err, CT_EINVAL, "backup path too long: '%s'",
				 dir);
	if (mkdir(dir, 0700) != 0)
		return error_set(err, errno == EEXIST ? CT_EEXIST : CT_EIO,
				 "cannot create backup folder '%s': %s; "
				 "--to must name a new folder", dir,
				 strerror(errno));
	path_join(path, sizeof(path), dir, DB_FILE);
	rc = store_backup(l->writer, path, err);
	/*
	 * Blobs are immutable and named by hash, so copying those that the
	 * copied database references gives a consistent set even while
	 * appends go on.
	 */
	if (rc == 0)
		rc = store_open(path, STORE_READONLY, &copy, err);
	path_join(path, sizeof(path), dir, BLOB_DIR);
	if (rc == 0 && mkdir(path, 0700) != 0)
		rc = error_set(err, CT_EIO, "cannot create '%s': %s", path,
			       strerror(errno));
	if (rc == 0)
		rc = blob_dir_open(path, l->config.alg, &ctx.dst, err);
	if (rc == 0)
		rc = store_ref_scan(copy, backup_blob, &ctx, err);
	if (rc == 0)
		rc = backup_checkpoint_file(copy, dir, err);
	if (rc == 0)
		rc = backup_files(l, dir, err);
	store_close(copy);
	blob_dir_free(ctx.dst);
	if (rc == 0)
		log_info("ledger", "backup written", "to=%s blobs=%" PRIu64, dir,
			 ctx.copied);
	/* A half-written copy must not be mistaken for a backup. */
	else if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		log_warn("ledger", "cannot remove a failed backup", "to=%s",
			 dir);
	return rc;
}
