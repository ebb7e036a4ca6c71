/*
 * The applicants' status inquiry: a code printed on the receipt, and the
 * public status of a case that the code opens.
 *
 * The code is the HMAC-SM3 of the case id under a 32-byte key kept in
 * the store's keys/inquiry.key, written as 8 characters of Crockford's
 * base32 (40 bits). The key is drawn on
 * first use, so a re-printed receipt shows the same code, and no code
 * can be computed from the public log. Wrong codes are counted per case
 * in memory. After inquiry.lockout_after wrong codes the case's inquiry
 * returns no status for inquiry.lockout_minutes, which bounds guessing
 * to a few tries per 2^40 codes per lockout.
 *
 * The status omits every person: no names, no identity numbers, no
 * addresses, no phones. It shows the matter, stage, deadlines and the
 * titles and document numbers of the documents served.
 */
#include "common/common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "copies_internal.h"

#define KEY_FILE "inquiry.key"
#define KEY_LEN 32

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* --- the key -------------------------------------------------------------- */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int read_key(const char *path, uint8_t key[KEY_LEN],
		    struct error *err)
{
	char text[2 * KEY_LEN + 2];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return errno == ENOENT ? CT_ENOTFOUND
				       : error_set(err, CT_EIO, "cannot open "
						   "'%s': %s", path,
						   strerror(errno));
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 2 * KEY_LEN)
		rc = error_set(err, CT_ECORRUPT, "'%s' does not hold a key of "
			       "%d hex digits; restore it from a backup",
			       path, 2 * KEY_LEN);
	for (int i = 0; rc == 0 && i < KEY_LEN; i++) {
		int hi = hex_value(text[2 * i]);
		int lo = hex_value(text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			rc = error_set(err, CT_ECORRUPT, "'%s' does not hold a "
				       "key of %d hex digits; restore it from "
				       "a backup", path, 2 * KEY_LEN);
		else
			key[i] = (uint8_t)(hi << 4 | lo);
	}
	crypto_wipe(text, sizeof(text));
	return rc;
}

/*
 * Draws a key and links it into place under its name, which fails when
 * another process got there first; then the caller reads theirs.
 */
static int create_key(const char *dir, const char *path, struct error *err)
{
	char tmp[PATH_MAX + 64], text[2 * KEY_LEN + 2];
	uint8_t raw[KEY_LEN];
	int fd, rc = 0;

	if (crypto_random(raw, sizeof(raw)) != 0)
		return error_set(err, CT_ECRYPTO, "cannot draw the inquiry "
				 "key");
	for (int i = 0; i < KEY_LEN; i++)
		snprintf(text + 2 * i, 3, "%02x", raw[i]);
	text[2 * KEY_LEN] = '\n';
	snprintf(tmp, sizeof(tmp), "%s/.inquiry-%ld.tmp", dir, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		rc = error_set(err, CT_EIO, "cannot create '%s': %s", tmp,
			       strerror(errno));
	if (rc == 0 && (write(fd, text, 2 * KEY_LEN + 1) != 2 * KEY_LEN + 1 ||
			fsync(fd) != 0))
		rc = error_set(err, CT_EIO, "cannot write '%s': %s", tmp,
			       strerror(errno));
	if (fd >= 0)
		close(fd);
	if (rc == 0 && link(tmp, path) != 0 && errno != EEXIST)
		rc = error_set(err, CT_EIO, "cannot create '%s': %s", path,
			       strerror(errno));
	unlink(tmp);
	crypto_wipe(raw, sizeof(raw));
	crypto_wipe(text, sizeof(text));
	if (rc == 0)
		log_info("inquiry", "inquiry key created", "path=%s", path);
	return rc;
}

static int load_key(struct access *a, struct error *err)
{
	struct copies *cp = a->copies;
	char dir[PATH_MAX + 16], path[PATH_MAX + 48];
	int rc = 0;

	pthread_mutex_lock(&cp->mu);
	if (cp->key_loaded)
		goto out;
	snprintf(dir, sizeof(dir), "%s/keys", ledger_config(a->ledger)->dir);
	snprintf(path, sizeof(path), "%s/%s", dir, KEY_FILE);
	rc = read_key(path, cp->key, err);
	if (rc == CT_ENOTFOUND) {
		rc = create_key(dir, path, err);
		if (rc == 0)
			rc = read_key(path, cp->key, err);
	}
	cp->key_loaded = rc == 0;
out:
	pthread_mutex_unlock(&cp->mu);
	return rc;
}

/* --- codes ---------------------------------------------------------------- */

static int derive_code(struct access *a, const char *case_id,
		       char code[INQUIRY_CODE_LEN + 1], struct error *err)
{
	/* The label, with its NUL, keeps these MACs apart from other uses. */
	static const char label[] = "casetrail inquiry code v1";
	struct crypto_part parts[] = {
		{ label, sizeof(label) },
		{ case_id, strlen(case_id) },
	};
	uint8_t mac[HMAC_SM3_LEN];
	uint64_t bits = 0;
	int rc = load_key(a, err);

	if (rc)
		return rc;
	rc = hmac_sm3(a->copies->key, KEY_LEN, parts, ARRAY_SIZE(parts), mac);
	if (rc)
		return error_set(err, rc, "cannot compute the inquiry code");
	for (int i = 0; i < 5; i++)
		bits = bits << 8 | mac[i];
	for (int i = INQUIRY_CODE_LEN - 1; i >= 0; i--) {
		code[i] = crockford[bits & 31];
		bits >>= 5;
	}
	code[INQUIRY_CODE_LEN] = '\0';
	return 0;
}

int inquiry_code(struct access *a, const char *case_id,
		 char code[INQUIRY_CODE_LEN + 1], struct error *err)
{
	uint64_t last;
	int rc = cases_last_seq(a->cases, case_id, &last, err);

	return rc ? rc : derive_code(a, case_id, code, err);
}

/*
 * Writes the canonical form of a typed code: upper case, without spaces
 * or dashes, O read as 0 and I or L as 1. Returns false when it cannot
 * be a code.
 */
static bool normalise_code(const char *in, char out[INQUIRY_CODE_LEN + 1])
{
	size_t n = 0;

	for (; *in; in++) {
		char c = *in;

		if (c == ' ' || c == '-')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c == 'O')
			c = '0';
		else if (c == 'I' || c == 'L')
			c = '1';
		if (!strchr(crockford, c) || !c || n == INQUIRY_CODE_LEN)
			return false;
		out[n++] = c;
	}
	out[n] = '\0';
	return n == INQUIRY_CODE_LEN;
}

/* --- lockouts ------------------------------------------------------------- */

/*
 * Returns the seconds the case's inquiry stays locked (0 when open).
 * A lock that has run out is forgotten, with its count.
 */
static int locked_for(struct copies *cp, const char *case_id, int64_t now)
{
	json_t *w = json_object_get(cp->wrong, case_id);
	int64_t until = json_integer_value(json_object_get(w, "until"));

	if (!w || !until)
		return 0;
	if (until > now)
		return (int)((until - now + 999) / 1000);
	json_object_del(cp->wrong, case_id);
	return 0;
}

/*
 * Makes room for one more case: drops the counts whose period ran out,
 * else the oldest count of a case that is not locked. Locks stay.
 */
static void forget_oldest(struct copies *cp, int64_t now)
{
	int64_t window = (int64_t)cp->lockout_minutes * 60000;
	const char *key, *oldest = NULL;
	int64_t oldest_first = INT64_MAX;
	json_t *w;
	void *tmp;

	json_object_foreach_safe(cp->wrong, tmp, key, w) {
		int64_t first = json_integer_value(json_object_get(w, "first"));
		int64_t until = json_integer_value(json_object_get(w, "until"));

		if (until > now)
			continue;
		if (now - first > window || (until && until <= now)) {
			json_object_del(cp->wrong, key);
			continue;
		}
		if (first < oldest_first) {
			oldest_first = first;
			oldest = key;
		}
	}
	if (json_object_size(cp->wrong) >= INQUIRY_TRACKED_MAX && oldest)
		json_object_del(cp->wrong, oldest);
}

/* Counts a wrong code; returns the seconds of a lock it starts, or 0. */
static int count_wrong(struct copies *cp, const char *case_id, int64_t now)
{
	int64_t window = (int64_t)cp->lockout_minutes * 60000;
	json_t *w = json_object_get(cp->wrong, case_id);
	json_int_t count;

	/* Wrong codes older than one lockout period are forgotten. */
	if (w && now - json_integer_value(json_object_get(w, "first")) >
			 window) {
		json_object_del(cp->wrong, case_id);
		w = NULL;
	}
	if (!w) {
		if (json_object_size(cp->wrong) >= INQUIRY_TRACKED_MAX)
			forget_oldest(cp, now);
		w = json_pack("{s:I, s:I, s:I}", "count", (json_int_t)0,
			      "first", (json_int_t)now, "until",
			      (json_int_t)0);
		json_object_set_new(cp->wrong, case_id, w);
	}
	count = json_integer_value(json_object_get(w, "count")) + 1;
	json_object_set_new(w, "count", json_integer(count));
	if (count < cp->lockout_after)
		return 0;
	json_object_set_new(w, "until", json_integer(now + window));
	return cp->lockout_minutes * 60;
}

/* --- the status ----------------------------------------------------------- */

static const char *kind_name(struct access *a, const char *code)
{
	json_t *k;
	size_t i;

	json_array_foreach(json_object_get(cases_kinds(a->cases), "kinds"), i,
			   k)
		if (!strcmp(str_of(k, "code") ?: "", code))
			return str_of(k, "name");
	return NULL;
}

static const json_t *record_of(const json_t *view, json_int_t seq)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(view, "records"), i, r)
		if (json_integer_value(json_object_get(r, "seq")) == seq)
			return r;
	return NULL;
}

/*
 * The title of the document a service record served: the kind and
 * number of the record it names, else the name of the kind its
 * "document" member names, else the configured title. The free-text
 * document_name is never shown: it may name a person.
 */
static json_t *served_item(struct access *a, const json_t *view,
			   const json_t *r)
{
	const json_t *f = json_object_get(r, "fields");
	const json_t *doc = record_of(view, json_integer_value(
		json_object_get(f, "document_seq")));
	const char *document = str_of(f, "document") ?: "other";
	const char *title = doc ? str_of(doc, "name") : NULL;
	const char *number = doc ? str_of(json_object_get(doc, "fields"),
					  "number") : NULL;
	const char *served = str_of(f, "served_on");

	if (!title)
		title = kind_name(a, document);
	if (!title)
		title = str_of(json_object_get(a->copies->inq,
					       "document_titles"), document);
	return json_pack("{s:s, s:s?, s:s?, s:s}", "title", title ?: "文书",
			 "number", number, "served_on", served, "method",
			 str_of(r, "name") ?: "");
}

static json_t *served_documents(struct access *a, const json_t *view)
{
	json_t *out = json_array(), *r;
	size_t i;

	json_array_foreach(json_object_get(view, "records"), i, r) {
		const char *kind = str_of(r, "kind") ?: "";

		if (!strncmp(kind, "service-", 8) &&
		    json_is_object(json_object_get(r, "fields")))
			json_array_append_new(out, served_item(a, view, r));
	}
	return out;
}

/* Copies the members of a deadline that give its day and state. */
static json_t *public_deadline(const json_t *d)
{
	static const char *const keep[] = {
		"date", "state", "provisional", "value", "unit", "met_on",
		"extended_by", "suspended_days",
	};
	json_t *out = json_object(), *v;
	const json_t *promised = json_object_get(d, "promised");

	for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
		if ((v = json_object_get(d, keep[i])))
			json_object_set(out, keep[i], v);
	if (json_is_object(promised) && str_of(promised, "date"))
		json_object_set_new(out, "promised", json_string(
			str_of(promised, "date")));
	return out;
}

static json_t *public_status(struct access *a, const json_t *view)
{
	json_t *deadlines = json_object(), *d;
	const char *name, *received = str_of(view, "received");
	char day[11] = "";

	json_object_foreach(json_object_get(view, "deadlines"), name, d)
		if (json_is_object(d))
			json_object_set_new(deadlines, name,
					    public_deadline(d));
	if (received)
		snprintf(day, sizeof(day), "%.10s", received);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "case",
			 str_of(view, "id") ?: "", "matter",
			 str_of(json_object_get(view, "matter"), "name") ?: "",
			 "stage", str_of(view, "stage") ?: "", "stage_name",
			 str_of(view, "stage_name") ?: "", "status",
			 str_of(view, "status") ?: "", "received", day,
			 "deadlines", deadlines, "served",
			 served_documents(a, view));
}

static int refuse(struct error *err)
{
	return error_set(err, CT_EPERM, "the case number or the inquiry code "
			 "is wrong, or the inquiry of this case is locked for "
			 "a while after repeated wrong codes");
}

int inquiry_status(struct access *a, const char *case_id, const char *code,
		   json_t **out, int *retry_s, struct error *err)
{
	struct copies *cp = a->copies;
	char want[INQUIRY_CODE_LEN + 1], got[INQUIRY_CODE_LEN + 1];
	int64_t now = ledger_now_ms();
	json_t *view = NULL;
	struct error quiet = { 0 };
	int locked, rc = copies_need_config(cp, err);

	*out = NULL;
	if (retry_s)
		*retry_s = 0;
	if (rc)
		return rc;
	if (strlen(case_id) > CASE_ID_MAX)
		return refuse(err);
	pthread_mutex_lock(&cp->mu);
	locked = locked_for(cp, case_id, now);
	pthread_mutex_unlock(&cp->mu);
	if (locked) {
		if (retry_s)
			*retry_s = locked;
		return refuse(err);
	}
	rc = cases_show(a->cases, case_id, &view, &quiet);
	if (rc && rc != CT_ENOTFOUND)
		return error_set(err, rc, "%s", quiet.msg);
	if (rc == 0)
		rc = derive_code(a, case_id, want, err);
	if (rc < 0 && rc != CT_ENOTFOUND) {
		json_decref(view);
		return rc;
	}
	if (rc == 0 && normalise_code(code, got) &&
	    crypto_equal(want, got, INQUIRY_CODE_LEN)) {
		*out = public_status(a, view);
		json_decref(view);
		return 0;
	}
	json_decref(view);
	/*
	 * Only cases that exist are counted, so that requests for made-up
	 * ids cannot push real counts out. Case ids are no secret: receipts
	 * and documents print them.
	 */
	if (rc == CT_ENOTFOUND)
		return refuse(err);
	pthread_mutex_lock(&cp->mu);
	locked = count_wrong(cp, case_id, now);
	pthread_mutex_unlock(&cp->mu);
	if (locked) {
		char quoted[2 * CASE_ID_MAX + 8];

		log_warn("inquiry", "inquiry locked after wrong codes",
			 "case=%s minutes=%d", log_quote(case_id, quoted,
							   sizeof(quoted)),
			 cp->lockout_minutes);
		if (retry_s)
			*retry_s = locked;
	}
	return refuse(err);
}

int inquiry_rate_per_minute(const struct access *a)
{
	return a->copies && a->copies->doc ? a->copies->rate_per_minute : 10;
}
