/*
 * The blob store directory (see blob.h). Files are written once and never
 * modified; their name is their hash, so a blob is checked by hashing it.
 */
#include "common/common.h"

#include <fcntl.h>
#include <dirent.h>
#include <libgen.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"

#define CHUNK (1 << 20)

struct blob_dir {
	char root[PATH_MAX];
	enum hash_alg alg;
};

static int make_dir(const char *path, struct error *err)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	return error_set(err, CT_EIO, "cannot create directory '%s': %s", path,
			 strerror(errno));
}

int fsync_dir(const char *dir, struct error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return error_set(err, CT_EIO, "cannot open directory '%s': %s",
				 dir, strerror(errno));
	if (fsync(fd) != 0)
		rc = error_set(err, CT_EIO, "fsync of directory '%s' failed: %s",
			       dir, strerror(errno));
	close(fd);
	return rc;
}

int blob_dir_open(const char *dir, enum hash_alg alg, struct blob_dir **out,
		  struct error *err)
{
	struct blob_dir *bd;
	char path[PATH_MAX];
	int rc;

	*out = NULL;
	bd = calloc(1, sizeof(*bd));
	if (!bd)
		return error_set(err, CT_ENOMEM, "out of memory");
	bd->alg = alg;
	if ((size_t)snprintf(bd->root, sizeof(bd->root), "%s", dir) >=
	    sizeof(bd->root) - 80) {
		free(bd);
		return error_set(err, CT_EINVAL, "blob directory path too long: "
				 "'%s'", dir);
	}
	snprintf(path, sizeof(path), "%s/tmp", dir);
	rc = make_dir(path, err);
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/%s", dir,
			 hash_alg_name(alg));
		rc = make_dir(path, err);
	}
	if (rc) {
		free(bd);
		return rc;
	}
	*out = bd;
	return 0;
}

void blob_dir_free(struct blob_dir *bd)
{
	free(bd);
}

int blob_path(const struct blob_dir *bd, const char *hash, char *out,
	      size_t n)
{
	uint8_t digest[HASH_LEN];
	enum hash_alg alg;
	const char *hex;

	if (hash_parse(hash, &alg, digest) != 0 || alg != bd->alg)
		return CT_EINVAL;
	hex = strchr(hash, ':') + 1;
	if ((size_t)snprintf(out, n, "%s/%s/%.2s/%.2s/%s", bd->root,
			     hash_alg_name(alg), hex, hex + 2, hex) >= n)
		return CT_EINVAL;
	return 0;
}

int blob_exists(const struct blob_dir *bd, const char *hash)
{
	char path[PATH_MAX];

	return blob_path(bd, hash, path, sizeof(path)) == 0 &&
	       access(path, F_OK) == 0;
}

/* Creates the two prefix folders of a blob path. */
static int make_parents(const char *path, struct error *err)
{
	char tmp[PATH_MAX], *dir;
	int rc;

	snprintf(tmp, sizeof(tmp), "%s", path);
	dir = dirname(tmp);
	if (access(dir, F_OK) == 0)
		return 0;
	{
		char parent[PATH_MAX];

		snprintf(parent, sizeof(parent), "%s", dir);
		rc = make_dir(dirname(parent), err);
	}
	if (rc == 0)
		rc = make_dir(dir, err);
	return rc;
}

/*
 * The store's hash runs on a thread of its own while the caller's thread
 * reads, computes SHA-256 and writes: SM3 is the slower of the two, so a
 * file is stored at about the speed of SM3 alone. The threads share a
 * ring of RING chunks, enough to ride out a write that waits for the
 * disk.
 */
#define RING 16
/* Bytes between two starts of writeback while a blob is written. */
#define WRITEBACK_STEP (32 << 20)

struct hash_thread {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct hasher *h;
	char *bufs[RING];
	size_t lens[RING];
	uint64_t filled, hashed; /* chunks handed over and hashed so far */
	int done;
};

static void *hash_loop(void *arg)
{
	struct hash_thread *t = arg;

	pthread_mutex_lock(&t->mu);
	for (;;) {
		size_t i;

		while (t->hashed == t->filled && !t->done)
			pthread_cond_wait(&t->cv, &t->mu);
		if (t->hashed == t->filled)
			break;
		i = t->hashed % RING;
		pthread_mutex_unlock(&t->mu);
		hasher_update(t->h, t->bufs[i], t->lens[i]);
		pthread_mutex_lock(&t->mu);
		t->hashed++;
		pthread_cond_broadcast(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

/* Returns the next free chunk of the ring, waiting for the hasher. */
static char *ring_next(struct hash_thread *t)
{
	pthread_mutex_lock(&t->mu);
	while (t->filled - t->hashed == RING)
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
	return t->bufs[t->filled % RING];
}

static void ring_hand_over(struct hash_thread *t, size_t len)
{
	pthread_mutex_lock(&t->mu);
	t->lens[t->filled % RING] = len;
	t->filled++;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

/* Lets the hasher finish what it was handed and joins it. */
static void ring_finish(struct hash_thread *t)
{
	pthread_mutex_lock(&t->mu);
	t->done = 1;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thread, NULL);
}

static int write_all(int out, const char *p, size_t n, const char *name,
		     struct error *err)
{
	while (n > 0) {
		ssize_t w = write(out, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return error_set(err, CT_EIO, "cannot write blob of "
					 "'%s': %s", name, strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Starts the writeback of step number step - 1 of the file and waits for
 * that of step - 2, then drops it from the page cache. The final fsync
 * then finds little left to write, and a large file neither fills memory
 * with dirty pages nor stalls when the kernel throttles them.
 */
static void write_back(int out, uint64_t step)
{
	off_t step_len = WRITEBACK_STEP;

	if (step < 1)
		return;
	sync_file_range(out, (off_t)(step - 1) * step_len, step_len,
			SYNC_FILE_RANGE_WRITE);
	if (step < 2)
		return;
	sync_file_range(out, (off_t)(step - 2) * step_len, step_len,
			SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
				SYNC_FILE_RANGE_WAIT_AFTER);
	posix_fadvise(out, (off_t)(step - 2) * step_len, step_len,
		      POSIX_FADV_DONTNEED);
}

/* Reads one chunk; returns its length, 0 at the end, or -1 with err. */
static ssize_t read_chunk(int in, char *chunk, const char *name,
			  struct error *err)
{
	for (;;) {
		ssize_t n = read(in, chunk, CHUNK);

		if (n >= 0)
			return n;
		if (errno != EINTR) {
			error_set(err, CT_EIO, "cannot read '%s': %s", name,
				  strerror(errno));
			return -1;
		}
	}
}

/*
 * Reads fd to its end, writing to out and hashing with h and, when not
 * NULL, h256; fills size and head. With both hashes, h runs on a second
 * thread.
 */
static int copy_hashing(int in, int out, const char *name, uint64_t max,
			struct hasher *h, struct hasher *h256,
			struct blob_info *info, struct error *err)
{
	struct hash_thread t = { .h = h };
	char *single = NULL;
	int threaded = h256 != NULL, rc = 0;

	for (size_t i = 0; threaded && i < RING; i++)
		if (!(t.bufs[i] = malloc(CHUNK)))
			rc = error_set(err, CT_ENOMEM, "out of memory");
	if (rc)
		threaded = 0;
	if (threaded) {
		pthread_mutex_init(&t.mu, NULL);
		pthread_cond_init(&t.cv, NULL);
		if (pthread_create(&t.thread, NULL, hash_loop, &t) != 0) {
			pthread_mutex_destroy(&t.mu);
			pthread_cond_destroy(&t.cv);
			threaded = 0;
		}
	}
	if (rc == 0 && !threaded && !(single = malloc(CHUNK)))
		rc = error_set(err, CT_ENOMEM, "out of memory");
	while (rc == 0) {
		char *chunk = threaded ? ring_next(&t) : single;
		ssize_t n = read_chunk(in, chunk, name, err);

		if (n <= 0) {
			rc = n < 0 ? CT_EIO : 0;
			break;
		}
		if (info->head_len < sizeof(info->head)) {
			size_t k = sizeof(info->head) - info->head_len;

			k = (size_t)n < k ? (size_t)n : k;
			memcpy(info->head + info->head_len, chunk, k);
			info->head_len += k;
		}
		info->size += (uint64_t)n;
		if (max && info->size > max) {
			rc = error_set(err, CT_ETOOBIG,
				       "'%s' is larger than the limit of %" PRIu64
				       " bytes", name, max);
			break;
		}
		if (threaded) {
			ring_hand_over(&t, (size_t)n);
			hasher_update(h256, chunk, (size_t)n);
		} else {
			hasher_update(h, chunk, (size_t)n);
			if (h256)
				hasher_update(h256, chunk, (size_t)n);
		}
		rc = write_all(out, chunk, (size_t)n, name, err);
		if (rc == 0 && info->size % WRITEBACK_STEP < (uint64_t)n)
			write_back(out, info->size / WRITEBACK_STEP);
	}
	if (threaded) {
		ring_finish(&t);
		pthread_mutex_destroy(&t.mu);
		pthread_cond_destroy(&t.cv);
	}
	for (size_t i = 0; i < RING; i++)
		free(t.bufs[i]);
	free(single);
	return rc;
}

/* Streams fd into a temporary file and fills info with the digests. */
static int stream_to_tmp(struct blob_dir *bd, int fd, const char *name,
			 uint64_t max, char *tmp, struct blob_info *info,
			 struct error *err)
{
	struct hasher *h = hasher_new(bd->alg);
	struct hasher *h256 = bd->alg == HASH_SHA256 ? NULL
						     : hasher_new(HASH_SHA256);
	uint8_t digest[HASH_LEN];
	int out, rc;

	if (snprintf(tmp, PATH_MAX, "%s/tmp/blob-XXXXXX", bd->root) >=
	    PATH_MAX) {
		rc = error_set(err, CT_EINVAL, "blob directory path too long");
		goto out;
	}
	out = mkstemp(tmp);
	if (out < 0) {
		rc = error_set(err, CT_EIO, "cannot create a temporary file in "
			       "'%s/tmp': %s", bd->root, strerror(errno));
		goto out;
	}
	rc = copy_hashing(fd, out, name, max, h, h256, info, err);
	if (rc == 0 && fsync(out) != 0)
		rc = error_set(err, CT_EIO, "fsync of '%s' failed: %s", tmp,
			       strerror(errno));
	close(out);
	if (rc) {
		unlink(tmp);
		goto out;
	}
	hasher_final(h, digest);
	hash_format(bd->alg, digest, info->hash);
	if (h256)
		hasher_final(h256, digest);
	hash_format(HASH_SHA256, digest, info->sha256);
out:
	hasher_free(h);
	hasher_free(h256);
	return rc;
}

int blob_put_fd(struct blob_dir *bd, int fd, const char *name,
		uint64_t max_size, struct blob_info *info, struct error *err)
{
	char tmp[PATH_MAX], path[PATH_MAX], dir[PATH_MAX];
	int rc;

	memset(info, 0, sizeof(*info));
	rc = stream_to_tmp(bd, fd, name, max_size, tmp, info, err);
	if (rc)
		return rc;
	blob_path(bd, info->hash, path, sizeof(path));
	if (access(path, F_OK) == 0) {
		/* Same content stored before: keep the existing file. */
		unlink(tmp);
		return 0;
	}
	rc = make_parents(path, err);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = error_set(err, CT_EIO, "cannot rename '%s' to '%s': %s",
			       tmp, path, strerror(errno));
	if (rc) {
		unlink(tmp);
		return rc;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	return fsync_dir(dirname(dir), err);
}

/* Hashes a file with alg and SHA-256; fills size. */
static int hash_file(const char *path, enum hash_alg alg, char *hash,
		     char *sha256, uint64_t *size, struct error *err)
{
	struct blob_info info = { 0 };
	struct hasher *h, *h256;
	uint8_t digest[HASH_LEN];
	int fd, null, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? CT_ENOTFOUND
				       : error_set(err, CT_EIO,
						   "cannot open '%s': %s", path,
						   strerror(errno));
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	h = hasher_new(alg);
	h256 = hasher_new(HASH_SHA256);
	rc = copy_hashing(fd, null, path, 0, h, h256, &info, err);
	if (rc == 0) {
		hasher_final(h, digest);
		hash_format(alg, digest, hash);
		hasher_final(h256, digest);
		hash_format(HASH_SHA256, digest, sha256);
		*size = info.size;
	}
	hasher_free(h);
	hasher_free(h256);
	close(null);
	close(fd);
	return rc;
}

int blob_check(const struct blob_dir *bd, const char *hash,
	       const char *sha256, uint64_t size, struct error *err)
{
	char path[PATH_MAX], got[HASH_TEXT_MAX], got256[HASH_TEXT_MAX];
	uint64_t got_size = 0;
	int rc;

	if (blob_path(bd, hash, path, sizeof(path)) != 0)
		return error_set(err, CT_EINVAL, "invalid blob hash '%s'",
				 hash);
	rc = hash_file(path, bd->alg, got, got256, &got_size, err);
	if (rc == CT_ENOTFOUND)
		return error_set(err, rc, "blob %s: file '%s' is missing", hash,
				 path);
	if (rc)
		return rc;
	if (strcmp(got, hash) != 0)
		return error_set(err, CT_ECORRUPT,
				 "blob %s: content hashes to %s", hash, got);
	if (sha256 && *sha256 && strcmp(got256, sha256) != 0)
		return error_set(err, CT_ECORRUPT,
				 "blob %s: SHA-256 is %s, recorded %s", hash,
				 got256, sha256);
	if (got_size != size)
		return error_set(err, CT_ECORRUPT,
				 "blob %s: size is %" PRIu64 ", recorded %" PRIu64,
				 hash, got_size, size);
	return 0;
}

int blob_retire(const struct blob_dir *bd, const char *hash, char *doomed,
		struct error *err)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	const char *hex;

	if (blob_path(bd, hash, path, sizeof(path)) != 0)
		return error_set(err, CT_EINVAL, "invalid blob hash '%s'",
				 hash);
	hex = strchr(hash, ':') + 1;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/tmp", bd->root) >=
		    sizeof(tmp) ||
	    (size_t)snprintf(doomed, PATH_MAX, "%s/expunged-%s", tmp, hex) >=
		    PATH_MAX)
		return error_set(err, CT_EINVAL, "blob directory path too long");
	if (rename(path, doomed) != 0)
		return errno == ENOENT
			       ? error_set(err, CT_ENOTFOUND,
					   "blob %s not found", hash)
			       : error_set(err, CT_EIO,
					   "cannot move '%s' aside: %s", path,
					   strerror(errno));
	return fsync_dir(tmp, err);
}

/*
 * Overwrites, fsyncs and unlinks an open file under an exclusive flock,
 * which shows other processes' cleanup that this one is at work on it.
 * With wait unset, returns 1 at once when another process holds it.
 */
static int wipe_locked(int fd, const char *path, int wait,
		       struct error *err)
{
	static const char zeros[65536];
	char dir[PATH_MAX];
	struct stat st;
	off_t left;

	if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0)
		return errno == EWOULDBLOCK ? 1
					    : error_set(err, CT_EIO,
							"cannot lock '%s': %s",
							path, strerror(errno));
	/*
	 * Overwrite before unlinking, so that the content does not survive
	 * in freed blocks. NOTE: on copy-on-write or log-structured file
	 * systems the old blocks may still survive; there only encryption
	 * of the content makes destruction certain.
	 */
	if (fstat(fd, &st) != 0)
		return error_set(err, CT_EIO, "cannot stat '%s': %s", path,
				 strerror(errno));
	if (st.st_nlink == 0)
		return 0; /* another process finished it meanwhile */
	for (left = st.st_size; left > 0;) {
		size_t k = left < (off_t)sizeof(zeros) ? (size_t)left
						       : sizeof(zeros);
		ssize_t w = write(fd, zeros, k);

		if (w <= 0)
			return error_set(err, CT_EIO,
					 "cannot overwrite '%s': %s", path,
					 strerror(errno));
		left -= w;
	}
	if (fsync(fd) != 0)
		return error_set(err, CT_EIO, "fsync of '%s' failed: %s", path,
				 strerror(errno));
	if (unlink(path) != 0 && errno != ENOENT)
		return error_set(err, CT_EIO, "cannot delete '%s': %s", path,
				 strerror(errno));
	snprintf(dir, sizeof(dir), "%s", path);
	return fsync_dir(dirname(dir), err);
}

static int wipe(const char *path, int wait, struct error *err)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	int rc;

	/* Gone already: another process's cleanup destroyed it. */
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return error_set(err, CT_EIO, "cannot open '%s': %s", path,
				 strerror(errno));
	rc = wipe_locked(fd, path, wait, err);
	close(fd);
	return rc;
}

int blob_wipe(const char *path, struct error *err)
{
	return wipe(path, 1, err);
}

int blob_clean_tmp(const struct blob_dir *bd, struct error *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	time_t now = time(NULL);
	struct dirent *e;
	struct stat st;
	int removed = 0;
	DIR *d;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/tmp", bd->root) >=
	    sizeof(dir))
		return error_set(err, CT_EINVAL, "blob directory path too long");
	d = opendir(dir);
	if (!d)
		return error_set(err, CT_EIO, "cannot open '%s': %s", dir,
				 strerror(errno));
	while ((e = readdir(d)) != NULL) {
		int retired = !strncmp(e->d_name, "expunged-", 9);

		if (!retired && strncmp(e->d_name, "blob-", 5) != 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     e->d_name) >= sizeof(path) ||
		    lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (retired) {
			if (wipe(path, 0, err) == 0)
				removed++;
		} else if (now - st.st_mtime > 24 * 3600 &&
			   unlink(path) == 0) {
			removed++;
		}
	}
	closedir(d);
	return removed;
}

int blob_copy_to(const struct blob_dir *bd, const char *hash,
		 const struct blob_dir *dst, struct error *err)
{
	char from[PATH_MAX];
	struct blob_info info;
	int fd, rc;

	if (blob_path(bd, hash, from, sizeof(from)) != 0)
		return error_set(err, CT_EINVAL, "invalid blob hash '%s'",
				 hash);
	fd = open(from, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno == ENOENT ? CT_ENOTFOUND : CT_EIO,
				 "cannot open blob '%s': %s", from,
				 strerror(errno));
	rc = blob_put_fd((struct blob_dir *)dst, fd, from, 0, &info, err);
	close(fd);
	if (rc == 0 && strcmp(info.hash, hash) != 0)
		rc = error_set(err, CT_ECORRUPT,
			       "blob %s: content hashes to %s while copying",
			       hash, info.hash);
	return rc;
}
