/*
 * Restore from a backup plus the witness (see restore.h). Everything
 * happens in a staging folder beside the target, named
 * .<target>.restoring-<pid>, so that the target appears only once the
 * whole log is recovered and checked: a failed or killed restore leaves
 * at most that staging folder, whose name says what it is.
 */
#include "common/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/jcs.h"
#include "common/log.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/verify.h"
#include "store/blob.h"
#include "store/witness.h"
#include "witness/fetch.h"
#include "witness/restore.h"
#include "witness/witness.h"

/* One attachment of a recovered entry, and what became of it. */
struct rfile {
	char hash[HASH_TEXT_MAX];
	char sha256[HASH_TEXT_MAX];
	uint64_t size;
	char type[128];
	uint64_t seq;
	int have;             /* in the store: from the backup or fetched */
	int removed;          /* a later expunge or purge destroyed it */
	const char *lost_why; /* NULL unless lost */
};

struct restore {
	struct restore_options o;
	char stage[PATH_MAX];
	char target[PATH_MAX];
	int created_target; /* the target folder did not exist */
	int committed;
	struct ledger *l;
	char origin[256];
	enum hash_alg alg;

	uint64_t backup_size;
	uint8_t backup_root[HASH_LEN];
	struct buf note; /* the witness's cosigned checkpoint */
	struct checkpoint cp;
	json_t *cosigners; /* names whose cosignature verified, or null */
	int64_t cosigned_ms;

	/* The recovered entries [backup_size, cp.size). */
	struct buf bodies;
	struct ledger_import_entry *entries;
	size_t nentries;
	json_t *lost; /* [{seq, kind, case, ts}] */
	struct rfile *files;
	size_t nfiles;
};

/* ---- folders ---- */

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tree(const char *path)
{
	if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 &&
	    errno != ENOENT)
		log_warn("restore", "cannot remove a staging folder", "dir=%s",
			 path);
}

static int copy_file(const char *from, const char *to, mode_t mode,
		     struct error *err)
{
	char chunk[1 << 16];
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = 0;
	ssize_t n;

	if (in >= 0)
		out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			   mode & 0777);
	if (in < 0 || out < 0) {
		rc = error_set(err, CT_EIO, "cannot copy '%s' to '%s': %s",
			       from, to, strerror(errno));
		goto out;
	}
	while ((n = read(in, chunk, sizeof(chunk))) > 0)
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, chunk + off, (size_t)(n - off));

			if (w <= 0) {
				rc = error_set(err, CT_EIO, "cannot write '%s': "
					       "%s", to, strerror(errno));
				goto out;
			}
			off += w;
		}
	if (n < 0 || fsync(out) != 0)
		rc = error_set(err, CT_EIO, "cannot copy '%s': %s", from,
			       strerror(errno));
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

/* Copies the folder from into the existing folder to, recursively. */
static int copy_tree(const char *from, const char *to, struct error *err)
{
	DIR *d = opendir(from);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return error_set(err, CT_EIO, "cannot read '%s': %s", from,
				 strerror(errno));
	while (rc == 0 && (de = readdir(d))) {
		char src[PATH_MAX], dst[PATH_MAX];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(src, sizeof(src), "%s/%s", from,
				     de->d_name) >= sizeof(src) ||
		    (size_t)snprintf(dst, sizeof(dst), "%s/%s", to,
				     de->d_name) >= sizeof(dst)) {
			rc = error_set(err, CT_EINVAL, "path too long under "
				       "'%s'", from);
			break;
		}
		if (lstat(src, &st) != 0)
			rc = error_set(err, CT_EIO, "cannot read '%s': %s", src,
				       strerror(errno));
		else if (S_ISDIR(st.st_mode) && mkdir(dst, 0700) != 0)
			rc = error_set(err, CT_EIO, "cannot create '%s': %s",
				       dst, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			rc = copy_tree(src, dst, err);
		else if (S_ISREG(st.st_mode))
			rc = copy_file(src, dst, st.st_mode, err);
	}
	closedir(d);
	return rc;
}

static int check_backup(const char *dir, struct error *err)
{
	const char *need[] = { "config.json", "casetrail.db", "keys" };
	char path[PATH_MAX];
	struct stat st;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return error_set(err, CT_EINVAL, "backup '%s' is not a folder "
				 "(%s); give the folder that 'casetrail backup "
				 "--to' wrote", dir, strerror(errno ? errno :
				 ENOTDIR));
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, need[i]);
		if (stat(path, &st) != 0)
			return error_set(err, CT_EINVAL, "backup '%s' is not a "
					 "casetrail store: it has no %s; give "
					 "the folder that 'casetrail backup "
					 "--to' wrote", dir, need[i]);
	}
	return 0;
}

/* The target must not exist or be empty; the staging folder is beside it. */
static int plan_folders(struct restore *r, struct error *err)
{
	char copy[PATH_MAX], parent[PATH_MAX], base[PATH_MAX];
	struct stat st;
	DIR *d;

	if ((size_t)snprintf(r->target, sizeof(r->target), "%s",
			     r->o.target) >= sizeof(r->target) - 64)
		return error_set(err, CT_EINVAL, "target path too long: '%s'",
				 r->o.target);
	while (strlen(r->target) > 1 && r->target[strlen(r->target) - 1] == '/')
		r->target[strlen(r->target) - 1] = '\0';
	/* The final rename would replace a link, not fill its folder. */
	if (lstat(r->target, &st) == 0 && S_ISLNK(st.st_mode))
		return error_set(err, CT_EINVAL, "target '%s' is a symbolic "
				 "link; name the folder itself with --dir",
				 r->target);
	if (stat(r->target, &st) == 0) {
		struct dirent *de;
		int empty = 1;

		if (!S_ISDIR(st.st_mode))
			return error_set(err, CT_EINVAL, "target '%s' exists "
					 "and is not a folder; name a new or "
					 "empty folder with --dir", r->target);
		d = opendir(r->target);
		while (d && (de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				empty = 0;
		if (d)
			closedir(d);
		if (!empty)
			return error_set(err, CT_EEXIST, "target '%s' is not "
					 "empty; a restore writes a new store: "
					 "name a new or empty folder with --dir",
					 r->target);
	} else {
		r->created_target = 1;
	}
	snprintf(copy, sizeof(copy), "%s", r->target);
	snprintf(parent, sizeof(parent), "%s", dirname(copy));
	snprintf(copy, sizeof(copy), "%s", r->target);
	snprintf(base, sizeof(base), "%s", basename(copy));
	if ((size_t)snprintf(r->stage, sizeof(r->stage), "%s/.%s.restoring-%ld",
			     parent, base, (long)getpid()) >= sizeof(r->stage))
		return error_set(err, CT_EINVAL, "target path too long: '%s'",
				 r->target);
	if (mkdir(r->stage, 0700) != 0)
		return error_set(err, CT_EIO, "cannot create the staging "
				 "folder '%s': %s", r->stage, strerror(errno));
	return 0;
}

/* ---- the witness's checkpoint ---- */


/* Checks the log's own signatures and the origin of the witness's note. */
static int check_log_signatures(struct restore *r, struct error *err)
{
	struct note_key keys[2];
	struct error e = { 0 };
	size_t n = 0;
	int rc = ledger_note_keys(r->l, keys, &n, 0, err);

	if (rc)
		return rc;
	rc = checkpoint_verify(r->note.data, r->note.len, keys, n, &r->cp, &e);
	if (rc == CT_EINVAL)
		return error_set(err, CT_ECORRUPT, "the witness at %s sent a "
				 "checkpoint that does not parse (%s)",
				 r->o.witness_url, e.msg);
	if (rc)
		return error_set(err, CT_ECRYPTO, "the witness's checkpoint is "
				 "not signed by this store's keys (%s); it is "
				 "not this log's, or the backup's keys are not "
				 "the store's", e.msg);
	if (strcmp(r->cp.origin, r->origin) != 0)
		return error_set(err, CT_ECORRUPT, "the witness's checkpoint "
				 "names origin '%s', not the store's '%s'",
				 r->cp.origin, r->origin);
	return 0;
}

/*
 * Whether every key of one witness of witness.json cosigned the note;
 * *ts_ms gets the cosignature's time.
 */
static int cosigned_by(const struct restore *r, const json_t *w,
		       int64_t *ts_ms)
{
	const char *name = json_string_value(json_object_get(w, "name"));
	json_t *pems = json_object_get(w, "keys");
	size_t ok = 0;

	for (size_t i = 0; name && i < json_array_size(pems); i++) {
		const char *pem = json_string_value(json_array_get(pems, i));
		struct key *k = NULL;
		uint64_t ts = 0;

		if (pem && key_load_public_pem(pem, strlen(pem), &k, NULL) == 0 &&
		    cosig_verify(name, k, r->note.data, r->note.len, &ts,
				 NULL) == 0) {
			ok++;
			*ts_ms = (int64_t)ts * 1000;
		}
		key_free(k);
	}
	return ok > 0 && ok == json_array_size(pems);
}

/* Compares two URLs, ignoring trailing slashes. */
static int same_url(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	while (na > 0 && a[na - 1] == '/')
		na--;
	while (nb > 0 && b[nb - 1] == '/')
		nb--;
	return na == nb && !strncmp(a, b, na);
}

/*
 * Checks the witness's cosignature when the store's witness.json names
 * witnesses: the one at --witness must have cosigned with every key it
 * names, or, when none is at that URL, one of them must have. A store
 * that names none is restored on the log's own signatures, and the
 * report's cosigned_by is null.
 */
static int check_cosignatures(struct restore *r, struct error *err)
{
	json_t *conf = NULL, *list, *w;
	struct error e = { 0 };
	const char *at_url = NULL;
	size_t i;
	int rc = 0;

	if (witness_config_read(r->stage, &conf, &e) != 0 || !conf)
		return 0;
	list = json_object_get(conf, "witnesses");
	r->cosigners = json_array();
	json_array_foreach(list, i, w) {
		const char *url = json_string_value(json_object_get(w, "url"));
		const char *name = json_string_value(json_object_get(w, "name"));
		int ok = cosigned_by(r, w, &r->cosigned_ms);

		if (url && same_url(url, r->o.witness_url))
			at_url = name ? name : url;
		if (ok)
			json_array_append_new(r->cosigners,
					      json_string(name));
		else if (url && same_url(url, r->o.witness_url))
			rc = error_set(err, CT_ECRYPTO, "the checkpoint from %s "
				       "lacks a valid cosignature of witness "
				       "'%s' with the keys the store recorded "
				       "for it; the answer is not that "
				       "witness's", r->o.witness_url,
				       name ? name : "");
	}
	if (rc == 0 && json_array_size(list) && !at_url &&
	    json_array_size(r->cosigners) == 0)
		rc = error_set(err, CT_ECRYPTO, "the checkpoint from %s carries "
			       "no valid cosignature of any witness the store "
			       "names in witness.json", r->o.witness_url);
	json_decref(conf);
	return rc;
}

/* ---- entries ---- */

/* Fetches entries [from, to) into bodies and entries. */
static int fetch_range(struct restore *r, struct fetch *f, uint64_t from,
		       uint64_t to, struct buf *bodies,
		       struct ledger_import_entry **entries, size_t *n,
		       struct error *err)
{
	size_t *offsets = NULL, cap = 0;
	uint64_t next = from;
	int rc = 0;

	*n = 0;
	while (rc == 0 && next < to) {
		uint64_t want = to - next < FETCH_BATCH ? to - next
							 : FETCH_BATCH;
		json_t *list = NULL;

		rc = fetch_entries(f, next, want, &list, err);
		for (size_t i = 0; rc == 0 && i < json_array_size(list); i++) {
			const char *b64 = json_string_value(
				json_array_get(list, i));
			uint8_t *raw = malloc(LEDGER_ENTRY_MAX + 4);
			long len = b64 && raw ? base64_decode(b64, strlen(b64),
					raw, LEDGER_ENTRY_MAX + 1) : -1;

			if (len <= 0 || len > LEDGER_ENTRY_MAX)
				rc = error_set(err, CT_ECORRUPT, "entry %" PRIu64
					       " from the witness is not "
					       "base64 of at most %d bytes",
					       next + i, LEDGER_ENTRY_MAX);
			if (rc == 0 && *n == cap) {
				size_t *p = realloc(offsets, (cap ? cap * 2 :
							       1024) *
						    sizeof(*p));

				if (!p)
					rc = error_set(err, CT_ENOMEM,
						       "out of memory");
				else
					offsets = p, cap = cap ? cap * 2 : 1024;
			}
			if (rc == 0) {
				offsets[*n] = bodies->len;
				(*n)++;
				if (buf_append(bodies, raw, (size_t)len) != 0)
					rc = error_set(err, CT_ETOOBIG, "the "
						       "recovered entries do "
						       "not fit in memory");
			}
			free(raw);
		}
		next += json_array_size(list);
		json_decref(list);
	}
	if (rc == 0) {
		*entries = calloc(*n ? *n : 1, sizeof(**entries));
		if (!*entries)
			rc = error_set(err, CT_ENOMEM, "out of memory");
		for (size_t i = 0; rc == 0 && i < *n; i++) {
			size_t end = i + 1 < *n ? offsets[i + 1] : bodies->len;

			(*entries)[i].body = bodies->data + offsets[i];
			(*entries)[i].len = end - offsets[i];
		}
	}
	free(offsets);
	(void)r;
	return rc;
}

/*
 * Finds where the witness's log departs from the backup's: compares the
 * witness's first entries with the backup's, up to the smaller size.
 * Returns the error naming the first tree size whose roots differ.
 */
static int name_fork(struct restore *r, struct fetch *f, uint64_t upto,
		     struct error *err)
{
	struct buf mine = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	uint64_t seq = 0;
	int rc = 0, found = 0;

	while (rc == 0 && !found && seq < upto) {
		struct buf bodies = BUF_INIT_MAX(FETCH_ENTRIES_MAX);
		struct ledger_import_entry *ents = NULL;
		uint64_t to = upto - seq < FETCH_BATCH ? upto : seq + FETCH_BATCH;
		size_t n = 0;

		rc = fetch_range(r, f, seq, to, &bodies, &ents, &n, err);
		for (size_t i = 0; rc == 0 && !found && i < n; i++) {
			rc = ledger_entry(r->l, seq + i, &mine, err);
			if (rc == 0 && (mine.len != ents[i].len ||
					memcmp(mine.data, ents[i].body,
					       mine.len) != 0)) {
				seq += i;
				found = 1;
			}
		}
		if (!found)
			seq = to;
		free(ents);
		buf_release(&bodies);
	}
	buf_release(&mine);
	if (rc)
		return rc;
	if (found)
		return error_set(err, CT_ECORRUPT, "the witness's log and the "
				 "backup's fork: entry %" PRIu64 " differs, so "
				 "their trees differ from size %" PRIu64 " on; "
				 "refusing to restore. One of them was rewritten: "
				 "report it to the supervisory department and "
				 "compare with 'casetrail verify --against'",
				 seq, seq + 1);
	return error_set(err, CT_ECORRUPT, "the witness's entries do not "
			 "match its own cosigned checkpoint of size %" PRIu64
			 "; the witness is faulty or its answers were altered",
			 r->cp.size);
}

/* Compares the backup with a witness checkpoint that is not larger. */
static int check_not_larger(struct restore *r, struct fetch *f,
			    struct error *err)
{
	uint8_t root[HASH_LEN];
	int rc = ledger_root(r->l, r->cp.size, root, err);

	if (rc)
		return rc;
	if (memcmp(root, r->cp.root, HASH_LEN) != 0)
		return name_fork(r, f, r->cp.size, err);
	if (r->cp.size < r->backup_size)
		return error_set(err, CT_ESTATE, "the backup holds %" PRIu64
				 " entries, more than the %" PRIu64 " that the "
				 "witness cosigned: the backup is newer, and "
				 "the witness has nothing to add; use the "
				 "backup itself ('casetrail verify --dir %s')",
				 r->backup_size, r->cp.size, r->o.backup);
	return 0;
}

/* Notes what each recovered entry lost and which files it attaches. */
static int survey_entries(struct restore *r, struct error *err)
{
	for (size_t i = 0; i < r->nentries; i++) {
		uint64_t seq = r->backup_size + i;
		json_t *e = jcs_parse(r->entries[i].body, r->entries[i].len,
				      NULL);
		const char *kind = json_string_value(json_object_get(e, "kind"));
		json_t *atts = json_object_get(e, "attachments");
		json_t *cas = json_object_get(e, "case");
		int removal = kind && (!strcmp(kind, KIND_EXPUNGE) ||
				       !strcmp(kind, KIND_PURGE));

		if (!e || !kind) {
			json_decref(e);
			return error_set(err, CT_ECORRUPT, "entry %" PRIu64
					 " from the witness is not an entry",
					 seq);
		}
		json_array_append_new(r->lost, json_pack(
			"{s:I, s:s, s:O, s:I}", "seq", (json_int_t)seq, "kind",
			kind, "case", cas ? cas : json_null(), "ts",
			json_integer_value(json_object_get(e, "ts"))));
		for (size_t j = 0; j < json_array_size(atts); j++) {
			json_t *a = json_array_get(atts, j);
			const char *h = json_string_value(json_object_get(a,
									 "hash"));
			struct rfile *fl;

			if (!h)
				continue;
			if (removal) {
				/* Its target's file is destroyed, not lost;
				 * other entries may keep the same bytes. */
				json_int_t target = json_integer_value(
					json_object_get(e, "supersedes"));

				for (size_t k = 0; k < r->nfiles; k++)
					if (!strcmp(r->files[k].hash, h) &&
					    (json_int_t)r->files[k].seq == target)
						r->files[k].removed = 1;
				continue;
			}
			fl = realloc(r->files, (r->nfiles + 1) * sizeof(*fl));
			if (!fl) {
				json_decref(e);
				return error_set(err, CT_ENOMEM, "out of memory");
			}
			r->files = fl;
			fl = &r->files[r->nfiles++];
			memset(fl, 0, sizeof(*fl));
			snprintf(fl->hash, sizeof(fl->hash), "%s", h);
			snprintf(fl->type, sizeof(fl->type), "%s",
				 json_string_value(json_object_get(a, "type"))
					 ?: "");
			fl->size = (uint64_t)json_integer_value(
				json_object_get(a, "size"));
			fl->seq = seq;
		}
		json_decref(e);
	}
	return 0;
}

/* ---- files ---- */

struct pull {
	struct fetch *f;
	const char *hash;
	int fd;
	uint64_t max;
	int rc;
	struct error err;
};

static void *pull_main(void *arg)
{
	struct pull *p = arg;

	p->rc = fetch_blob(p->f, p->hash, p->fd, p->max, &p->err);
	close(p->fd);
	return NULL;
}

static int make_parents(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1,
								   '/')) {
		*slash = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return -1;
		*slash = '/';
	}
	return 0;
}

/*
 * Streams one file from the witness into the incoming blob folder while
 * hashing it, then moves it into the store when its hash and size are
 * those the entry states. A file of another hash is refused.
 */
static int pull_file(struct restore *r, struct fetch *f,
		     struct blob_dir *incoming, struct rfile *fl,
		     struct error *err)
{
	struct pull p = { .f = f, .hash = fl->hash, .max = fl->size };
	struct blob_info info = { 0 };
	struct error perr = { 0 };
	char from[PATH_MAX], to[PATH_MAX];
	pthread_t t;
	int fds[2], rc;

	if (pipe(fds) != 0)
		return error_set(err, CT_EIO, "cannot make a pipe: %s",
				 strerror(errno));
	p.fd = fds[1];
	if (pthread_create(&t, NULL, pull_main, &p) != 0) {
		close(fds[0]);
		close(fds[1]);
		return error_set(err, CT_EIO, "cannot start a thread");
	}
	rc = blob_put_fd(incoming, fds[0], fl->hash, fl->size + 1, &info,
			 &perr);
	close(fds[0]);
	pthread_join(t, NULL);
	if (blob_path(incoming, info.hash, from, sizeof(from)) != 0)
		from[0] = '\0';
	if (p.rc == CT_ENOTFOUND) {
		fl->lost_why = "the witness does not have it";
		rc = 0;
		goto discard;
	}
	if (p.rc == CT_ETOOBIG) {
		rc = error_set(err, CT_ECORRUPT, "file %s of entry %" PRIu64
			       " from the witness is longer than the %" PRIu64
			       " bytes its entry states: the witness's copy is "
			       "corrupt; refusing it. Have the witness's copy "
			       "replaced, or take the file as lost with "
			       "--skip-blob %s", fl->hash, fl->seq, fl->size,
			       fl->hash);
		goto discard;
	}
	if (p.rc)
		return error_set(err, p.rc, "%s", p.err.msg);
	if (rc)
		return error_set(err, rc, "cannot store file %s from the "
				 "witness: %s", fl->hash, perr.msg);
	if (strcmp(info.hash, fl->hash) != 0 || info.size != fl->size) {
		rc = error_set(err, CT_ECORRUPT, "file %s of entry %" PRIu64
			       " from the witness has hash %s and %" PRIu64
			       " bytes, not the %" PRIu64 " bytes its entry "
			       "states: the witness's copy is corrupt; refusing "
			       "it. Have the witness's copy replaced, or take "
			       "the file as lost with --skip-blob %s",
			       fl->hash, fl->seq, info.hash, info.size,
			       fl->size, fl->hash);
		goto discard;
	}
	rc = ledger_blob_path(r->l, fl->hash, to, sizeof(to), err);
	if (rc == 0 && (make_parents(to) != 0 || rename(from, to) != 0))
		rc = error_set(err, CT_EIO, "cannot move file %s into the "
			       "store: %s", fl->hash, strerror(errno));
	if (rc == 0) {
		snprintf(fl->sha256, sizeof(fl->sha256), "%s", info.sha256);
		fl->have = 1;
	}
	return rc;
discard:
	if (from[0])
		unlink(from);
	return rc;
}

static int skipped(const struct restore *r, const char *hash)
{
	for (size_t i = 0; r->o.skip_blobs && r->o.skip_blobs[i]; i++)
		if (!strcmp(r->o.skip_blobs[i], hash))
			return 1;
	return 0;
}

/* Takes each file from the backup when it is there, else the witness. */
static int pull_files(struct restore *r, struct fetch *f, struct error *err)
{
	struct blob_dir *incoming = NULL;
	char dir[PATH_MAX];
	int rc;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/restore-incoming",
			     r->stage) >= sizeof(dir))
		return error_set(err, CT_EINVAL, "path too long: '%s'",
				 r->stage);
	if (mkdir(dir, 0700) != 0)
		return error_set(err, CT_EIO, "cannot create '%s': %s", dir,
				 strerror(errno));
	rc = blob_dir_open(dir, r->alg, &incoming, err);
	for (size_t i = 0; rc == 0 && i < r->nfiles; i++) {
		struct rfile *fl = &r->files[i];
		char path[PATH_MAX];

		for (size_t k = 0; k < i && !fl->have; k++)
			if (!strcmp(r->files[k].hash, fl->hash) &&
			    r->files[k].have) {
				fl->have = 1;
				memcpy(fl->sha256, r->files[k].sha256,
				       sizeof(fl->sha256));
			}
		if (fl->have || fl->removed)
			continue;
		if (ledger_blob_path(r->l, fl->hash, path, sizeof(path), err))
			rc = error_set(err, CT_ECORRUPT, "entry %" PRIu64
				       " attaches '%s', which is not a %s hash",
				       fl->seq, fl->hash, hash_alg_name(r->alg));
		else if (access(path, F_OK) == 0)
			fl->have = 1;
		else if (skipped(r, fl->hash))
			fl->lost_why = "taken as lost with --skip-blob";
		else
			rc = pull_file(r, f, incoming, fl, err);
	}
	blob_dir_free(incoming);
	remove_tree(dir);
	return rc;
}

static int sha256_of(void *ctx, const char *hash, char out[HASH_TEXT_MAX])
{
	struct restore *r = ctx;

	out[0] = '\0';
	for (size_t i = 0; i < r->nfiles; i++)
		if (!strcmp(r->files[i].hash, hash) && r->files[i].sha256[0]) {
			snprintf(out, HASH_TEXT_MAX, "%s", r->files[i].sha256);
			break;
		}
	return 0;
}

/* ---- storing ---- */

/* The note as the log signed it: its text and its own signature lines. */
static int plain_note(struct restore *r, struct buf *out)
{
	const char *p = r->note.data, *end = p + r->note.len;
	const char *sigs = strstr(p, "\n\n");
	char mark[300];
	int rc;

	if (!sigs)
		return CT_EINVAL;
	sigs += 2;
	rc = buf_append(out, p, (size_t)(sigs - p));
	snprintf(mark, sizeof(mark), "\xe2\x80\x94 %s ", r->origin);
	while (rc == 0 && sigs < end) {
		const char *nl = memchr(sigs, '\n', (size_t)(end - sigs));
		size_t n = nl ? (size_t)(nl - sigs) + 1 : (size_t)(end - sigs);

		if (!strncmp(sigs, mark, strlen(mark)))
			rc = buf_append(out, sigs, n);
		sigs += n;
	}
	return rc;
}

struct cp_put {
	struct restore *r;
	struct buf plain;
};

/* Stores the witness's checkpoint as the store's, with its cosignature. */
static int put_checkpoint(void *ctx, struct store *s, struct error *err)
{
	struct cp_put *c = ctx;
	struct restore *r = c->r;
	int64_t now = ledger_now_ms();
	int rc = 0;

	if (json_array_size(r->cosigners) == 0)
		return store_checkpoint_put(s, r->cp.size, now, c->plain.data,
					    c->plain.len, err);
	for (size_t i = 0; rc == 0 && i < json_array_size(r->cosigners); i++)
		rc = store_cosign_put(s, r->cp.size, json_string_value(
					      json_array_get(r->cosigners, i)),
				      r->cosigned_ms ? r->cosigned_ms : now,
				      c->plain.data, r->note.data, err);
	return rc;
}

static int store_recovered(struct restore *r, struct error *err)
{
	struct cp_put c = { r, BUF_INIT_MAX(1 << 16) };
	int rc = ledger_import(r->l, r->backup_size, r->entries, r->nentries,
			       r->cp.root, 0, sha256_of, r, err);

	if (rc == 0 && (plain_note(r, &c.plain) != 0 ||
			buf_putc(&c.plain, '\0') != 0))
		rc = error_set(err, CT_ECORRUPT, "the witness's checkpoint "
			       "has no signature lines");
	if (rc == 0) {
		c.plain.len--;
		rc = ledger_write(r->l, put_checkpoint, &c, err);
	}
	buf_release(&c.plain);
	return rc;
}

/* ---- the whole run ---- */

static int open_stage(struct restore *r, struct error *err)
{
	const struct ledger_config *c;
	int rc = copy_tree(r->o.backup, r->stage, err);

	if (rc == 0)
		rc = ledger_open(r->stage, 0, &r->l, err);
	if (rc)
		return error_set(err, CT_EINVAL, "backup '%s' cannot be opened "
				 "as a store; give the folder that 'casetrail "
				 "backup --to' wrote", r->o.backup);
	c = ledger_config(r->l);
	snprintf(r->origin, sizeof(r->origin), "%s", c->origin);
	r->alg = c->alg;
	rc = ledger_size(r->l, &r->backup_size, err);
	if (rc == 0)
		rc = ledger_root(r->l, r->backup_size, r->backup_root, err);
	return rc;
}

/*
 * Verifies the copied backup (each blob's presence, not its hash), so
 * that a damaged backup is named as such rather than as a fork.
 */
static int check_backup_sound(struct restore *r, struct error *err)
{
	struct verify_options vo = { .check_blobs = 0 };
	struct verify_result vr;
	char *text = NULL;
	size_t len = 0;
	int rc;

	vo.out = open_memstream(&text, &len);
	if (!vo.out)
		return error_set(err, CT_ENOMEM, "out of memory");
	rc = ledger_verify(r->stage, &vo, &vr, err);
	fclose(vo.out);
	if (rc == 0 && vr.problems)
		rc = error_set(err, CT_ECORRUPT, "backup '%s' fails "
			       "verification with %" PRIu64 " problem%s, the "
			       "first: %.*s; run 'casetrail verify --dir %s' and "
			       "restore from a sound backup", r->o.backup,
			       vr.problems, vr.problems == 1 ? "" : "s",
			       (int)strcspn(text ? text : "", "\n"),
			       text ? text : "", r->o.backup);
	free(text);
	return rc;
}

static int run(struct restore *r, struct error *err)
{
	struct error ferr = { 0 };
	struct fetch *f = NULL;
	struct note_key keys[2];
	size_t nkeys = 0;
	int rc;

	rc = open_stage(r, err);
	if (rc == 0)
		rc = check_backup_sound(r, err);
	if (rc == 0)
		rc = fetch_new(r->o.witness_url, r->origin, &f, err);
	/* The witness hands out files only to requests the log signed. */
	if (rc == 0)
		rc = ledger_note_keys(r->l, keys, &nkeys, 1, err);
	if (rc == 0)
		fetch_set_signer(f, keys, nkeys);
	if (rc == 0)
		rc = fetch_checkpoint(f, &r->note, &ferr);
	if (rc && rc != CT_ENOTFOUND)
		error_set(err, rc, "%s", ferr.msg);
	if (rc == CT_ENOTFOUND)
		rc = error_set(err, rc, "the witness at %s follows no log of "
			       "origin '%s'; check --witness, or have the "
			       "supervisory department name the witness that "
			       "follows this store", r->o.witness_url,
			       r->origin);
	if (rc == 0)
		rc = check_log_signatures(r, err);
	if (rc == 0)
		rc = check_cosignatures(r, err);
	if (rc == 0 && r->cp.size <= r->backup_size)
		rc = check_not_larger(r, f, err);
	else if (rc == 0)
		rc = fetch_range(r, f, r->backup_size, r->cp.size, &r->bodies,
				 &r->entries, &r->nentries, err);
	if (rc == 0 && r->nentries != r->cp.size - r->backup_size)
		rc = error_set(err, CT_ECORRUPT, "the witness sent %zu "
			       "entries for %" PRIu64 "; its list is "
			       "truncated", r->nentries,
			       r->cp.size - r->backup_size);
	/* The whole tree is checked before anything is fetched or stored. */
	if (rc == 0 && r->nentries) {
		error_clear(&ferr);
		rc = ledger_import(r->l, r->backup_size, r->entries,
				   r->nentries, r->cp.root, LEDGER_IMPORT_CHECK,
				   NULL, NULL, &ferr);
		if (rc == CT_ECORRUPT)
			rc = name_fork(r, f, r->backup_size, err);
		else if (rc == CT_EINVAL)
			rc = error_set(err, CT_ECORRUPT, "the witness at %s sent "
				       "a malformed entry: %s; nothing was "
				       "restored", r->o.witness_url, ferr.msg);
		else if (rc)
			rc = error_set(err, rc, "%s", ferr.msg);
	}
	if (rc == 0)
		rc = survey_entries(r, err);
	if (rc == 0)
		rc = pull_files(r, f, err);
	if (rc == 0 && r->nentries)
		rc = store_recovered(r, err);
	fetch_free(f);
	/* The caller opens the staging store with the workflow next. */
	ledger_close(r->l);
	r->l = NULL;
	return rc;
}

int restore_prepare(const struct restore_options *o, struct restore **out,
		    struct error *err)
{
	struct restore *r;
	int rc;

	*out = NULL;
	if (!o->reason || !*o->reason)
		return error_set(err, CT_EINVAL, "a restore needs --reason: "
				 "say why the store is restored");
	rc = check_backup(o->backup, err);
	if (rc)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r)
		return error_set(err, CT_ENOMEM, "out of memory");
	r->o = *o;
	buf_init(&r->note, FETCH_NOTE_MAX);
	buf_init(&r->bodies, FETCH_ENTRIES_MAX * 8);
	r->lost = json_array();
	/* A stalled pull closes its pipe; its writer must not be killed. */
	signal(SIGPIPE, SIG_IGN);
	rc = plan_folders(r, err);
	if (rc) {
		r->stage[0] = '\0';
		restore_free(r);
		return rc;
	}
	rc = run(r, err);
	if (rc) {
		restore_free(r);
		return rc;
	}
	log_info("restore", "entries recovered", "backup=%s witness=%s "
		 "from=%" PRIu64 " to=%" PRIu64 " files=%zu", o->backup,
		 o->witness_url, r->backup_size, r->cp.size, r->nfiles);
	*out = r;
	return 0;
}

const char *restore_dir(const struct restore *r)
{
	return r->stage;
}

static json_t *lost_files(const struct restore *r, int lost)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->nfiles; i++) {
		const struct rfile *fl = &r->files[i];
		json_t *o;

		if (fl->removed || (lost ? fl->lost_why == NULL : !fl->have))
			continue;
		o = json_pack("{s:s, s:I, s:s, s:I}", "hash", fl->hash, "size",
			      (json_int_t)fl->size, "type", fl->type, "seq",
			      (json_int_t)fl->seq);
		if (lost)
			json_object_set_new(o, "reason",
					    json_string(fl->lost_why));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *hash_json(const struct restore *r, const uint8_t h[HASH_LEN])
{
	char text[HASH_TEXT_MAX];

	hash_format(r->alg, h, text);
	return json_string(text);
}

json_t *restore_fields(const struct restore *r)
{
	return json_pack(
		"{s:{s:I, s:o}, s:{s:s, s:s, s:I, s:o}, s:{s:I, s:I},"
		" s:{s:I, s:I}, s:o, s:s, s:s}",
		"backup", "size", (json_int_t)r->backup_size, "root",
		hash_json(r, r->backup_root), "witness", "origin", r->origin,
		"url", r->o.witness_url, "size", (json_int_t)r->cp.size,
		"root", hash_json(r, r->cp.root), "recovered", "from",
		(json_int_t)r->backup_size, "to", (json_int_t)r->cp.size,
		"lost_content", "from", (json_int_t)r->backup_size, "to",
		(json_int_t)r->cp.size, "lost_blobs", lost_files(r, 1),
		"reason", r->o.reason, "os_user",
		r->o.os_user ? r->o.os_user : "");
}

json_t *restore_report(const struct restore *r)
{
	json_t *rep = restore_fields(r);

	json_object_del(rep, "reason");
	json_object_del(rep, "os_user");
	json_object_set_new(rep, "target", json_string(r->target));
	json_object_set_new(rep, "content_lost", json_deep_copy(r->lost));
	json_object_set_new(rep, "blobs_recovered", lost_files(r, 0));
	json_object_set(rep, "cosigned_by", r->cosigners ? r->cosigners
							 : json_null());
	json_object_set_new(rep, "unknown", json_pack(
		"{s:I, s:o, s:s}", "after_size", (json_int_t)r->cp.size,
		"cosigned_ms", r->cosigned_ms ? json_integer(r->cosigned_ms)
					      : json_null(), "note",
		"entries written after the witness's latest cosigned "
		"checkpoint cannot be known or recovered"));
	return rep;
}

int restore_commit(struct restore *r, struct error *err)
{
	if (r->l) {
		ledger_close(r->l);
		r->l = NULL;
	}
	if (rename(r->stage, r->target) != 0) {
		/* Kept, so that the operator can move it as told. */
		r->committed = 1;
		return error_set(err, CT_EIO, "the restored store is complete "
				 "in '%s' but cannot be moved to '%s': %s; move "
				 "it there by hand", r->stage, r->target,
				 strerror(errno));
	}
	r->committed = 1;
	log_info("restore", "store restored", "dir=%s", r->target);
	return 0;
}

void restore_free(struct restore *r)
{
	if (!r)
		return;
	if (r->l)
		ledger_close(r->l);
	if (!r->committed && r->stage[0])
		remove_tree(r->stage);
	buf_release(&r->note);
	buf_release(&r->bodies);
	free(r->entries);
	free(r->files);
	json_decref(r->lost);
	json_decref(r->cosigners);
	free(r);
}
