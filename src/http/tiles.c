/*
 * The tlog-tiles resources of C2SP (tlog-tiles.md): hash tiles at
 * /tile/<L>/<N>[.p/<W>] and entry bundles at /tile/entries/<N>[.p/<W>].
 *
 * A level L tile contains 256 consecutive hashes of tree level 8L, so hash i
 * of tile N is the Merkle Tree Hash of entries
 * [(256N + i) * 256^L, (256N + i + 1) * 256^L). A full tile has all 256;
 * a partial tile ".p/<W>" has the first W (1 to 255). An entry bundle
 * contains the entries of the level 0 tile N, each as a big-endian uint16
 * length followed by the entry bytes.
 *
 * The spec fixes one spelling for each path: L is 0 to 63 and W is 1 to
 * 255, both decimal without leading zeros, and N is written in groups of
 * three digits, all but the last prefixed with 'x' (1234067 is
 * x001/x234/067) and with no leading group of zeros. Any other spelling is
 * a 400 whose detail gives the canonical one where there is one. A
 * well-formed path whose hashes or entries do not all exist yet is a 404:
 * the spec forbids serving empty tiles, and a full tile that is not
 * complete does not exist. Tiles never change once they exist, partial
 * ones included, so all of them are served as immutable.
 */
#include "common/common.h"

#include "internal.h"

#define TILE_WIDTH 256
#define TILE_LEVEL_MAX 63
/* 2^64 - 1 has 20 digits, so a 64-bit index has at most 7 groups. */
#define INDEX_GROUPS_MAX 7
/* The spelling of the largest index: 7 groups of "x123/" and the NUL. */
#define INDEX_TEXT_MAX (INDEX_GROUPS_MAX * 5)

struct tile {
	bool entries;	/* an entry bundle rather than a hash tile */
	unsigned level; /* L, 0 for entry bundles */
	uint64_t index; /* N */
	unsigned width; /* W, TILE_WIDTH for a full tile */
};

/*
 * Parses a small decimal number in [min, max] with no leading zeros from
 * the len bytes at text.
 */
static int parse_small(const char *text, size_t len, unsigned min, unsigned max,
		       unsigned *out)
{
	unsigned v = 0;

	if (len == 0 || len > 3 || (text[0] == '0' && len > 1))
		return CT_EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return CT_EINVAL;
		v = v * 10 + (unsigned)(text[i] - '0');
	}
	if (v < min || v > max)
		return CT_EINVAL;
	*out = v;
	return 0;
}

/* Writes index in the spec's spelling: x001/x234/067. */
static void format_index(uint64_t index, char *out, size_t n)
{
	unsigned groups[INDEX_GROUPS_MAX];
	size_t count = 0, o = 0;

	do {
		groups[count++] = (unsigned)(index % 1000);
		index /= 1000;
	} while (index > 0);
	while (count-- > 0)
		o += (size_t)snprintf(out + o, n - o, "%s%03u%s",
				      count ? "x" : "", groups[count],
				      count ? "/" : "");
}

/*
 * Reads the index path text[0..len) leniently, as groups of one to three
 * digits with or without 'x', so that the 400 for a misspelt index can
 * give its canonical spelling. Returns 0, CT_EINVAL when text is no index
 * at all, or CT_ETOOBIG when it is beyond 2^64 - 1.
 */
static int read_index(const char *text, size_t len, uint64_t *out)
{
	const char *p = text, *end = text + len;
	size_t groups = 0;
	uint64_t v = 0;

	while (p < end) {
		unsigned group = 0, digits = 0;

		if (*p == 'x')
			p++;
		while (p < end && *p >= '0' && *p <= '9' && digits < 4) {
			group = group * 10 + (unsigned)(*p++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || (p < end && *p != '/') ||
		    (p + 1 == end))
			return CT_EINVAL;
		if (p < end)
			p++; /* the '/' */
		/* Leading zero groups count for nothing, as in x000/001. */
		if (v > 0 || group > 0)
			groups++;
		if (groups > INDEX_GROUPS_MAX ||
		    v > (UINT64_MAX - group) / 1000)
			return CT_ETOOBIG;
		v = v * 1000 + group;
	}
	if (p == text)
		return CT_EINVAL;
	*out = v;
	return 0;
}

/* Quotes the len bytes at p, which need not end in a NUL. */
static const char *quote_span(const char *p, size_t len, char *out, size_t n)
{
	char span[HTTP_QUOTE_MAX];

	snprintf(span, sizeof(span), "%.*s",
		 (int)(len < sizeof(span) ? len : sizeof(span) - 1), p);
	return http_quote(span, out, n);
}

static int check_index(const char *text, size_t len, uint64_t *out,
		       struct reply *r)
{
	char canonical[INDEX_TEXT_MAX], quoted[HTTP_QUOTE_MAX];
	int rc = read_index(text, len, out);

	quote_span(text, len, quoted, sizeof(quoted));
	if (rc == CT_ETOOBIG)
		return reply_rejected(reply_problem(
		    r, MHD_HTTP_BAD_REQUEST,
		    "tile index '%s' is larger than 2^64 - 1, so no tile "
		    "has it",
		    quoted));
	if (rc)
		return reply_rejected(reply_problem(
		    r, MHD_HTTP_BAD_REQUEST,
		    "tile index '%s' is invalid; write it as groups of "
		    "three digits with 'x' before all but the last, as in "
		    "x001/x234/067 for 1234067",
		    quoted));
	format_index(*out, canonical, sizeof(canonical));
	if (strlen(canonical) != len || memcmp(canonical, text, len) != 0)
		return reply_rejected(reply_problem(
		    r, MHD_HTTP_BAD_REQUEST,
		    "tile index '%s' is not in canonical form; use '%s'",
		    quoted, canonical));
	return 0;
}

/*
 * Parses the path after "/tile/" into t. Returns 0, CT_EINVAL with a 400
 * problem in r, or CT_ENOMEM.
 */
static int parse_tile(const char *rest, struct tile *t, struct reply *r)
{
	const char *slash = strchr(rest, '/'), *index, *suffix;
	char quoted[HTTP_QUOTE_MAX];
	size_t head;

	memset(t, 0, sizeof(*t));
	t->width = TILE_WIDTH;
	if (!slash)
		return reply_rejected(reply_problem(
		    r, MHD_HTTP_BAD_REQUEST,
		    "tile path '/tile/%s' is incomplete; hash tiles are "
		    "/tile/<L>/<N>[.p/<W>] and entry bundles "
		    "/tile/entries/<N>[.p/<W>]",
		    http_quote(rest, quoted, sizeof(quoted))));
	head = (size_t)(slash - rest);
	if (head == strlen("entries") && !strncmp(rest, "entries", head))
		t->entries = true;
	else if (parse_small(rest, head, 0, TILE_LEVEL_MAX, &t->level))
		return reply_rejected(reply_problem(
		    r, MHD_HTTP_BAD_REQUEST,
		    "tile level '%s' is invalid; use 'entries' or a "
		    "decimal number from 0 to 63 without leading zeros",
		    quote_span(rest, head, quoted, sizeof(quoted))));

	index = slash + 1;
	suffix = strstr(index, ".p/");
	if (suffix && parse_small(suffix + 3, strlen(suffix + 3), 1,
				  TILE_WIDTH - 1, &t->width))
		return reply_rejected(reply_problem(
		    r, MHD_HTTP_BAD_REQUEST,
		    "partial tile width '%s' is invalid; use a decimal "
		    "number from 1 to 255 without leading zeros",
		    http_quote(suffix + 3, quoted, sizeof(quoted))));
	return check_index(index,
			   suffix ? (size_t)(suffix - index) : strlen(index),
			   &t->index, r);
}

/* Writes the canonical path of t, as it appears after the prefix. */
static void format_tile(const struct tile *t, char *out, size_t n)
{
	char index[INDEX_TEXT_MAX];
	char level[8];

	format_index(t->index, index, sizeof(index));
	snprintf(level, sizeof(level), "%u", t->level);
	if (t->width == TILE_WIDTH)
		snprintf(out, n, "/tile/%s/%s", t->entries ? "entries" : level,
			 index);
	else
		snprintf(out, n, "/tile/%s/%s.p/%u",
			 t->entries ? "entries" : level, index, t->width);
}

/*
 * Computes the tree size from which every hash or entry of t exists,
 * (256N + W) * 256^L. Returns false when that exceeds 2^64 - 1, which no
 * tree reaches.
 */
static bool tile_needs(const struct tile *t, uint64_t *size)
{
	uint64_t n;

	if (t->index > (UINT64_MAX - t->width) / TILE_WIDTH)
		return false;
	n = t->index * TILE_WIDTH + t->width;
	for (unsigned i = 0; i < t->level; i++) {
		if (n > UINT64_MAX / TILE_WIDTH)
			return false;
		n *= TILE_WIDTH;
	}
	*size = n;
	return true;
}

/* Returns the width of t's partial tile in a tree of size, or 0. */
static unsigned partial_width(const struct tile *t, uint64_t size)
{
	uint64_t units = size, first;

	for (unsigned i = 0; i < t->level && units > 0; i++)
		units /= TILE_WIDTH;
	if (t->index > UINT64_MAX / TILE_WIDTH)
		return 0;
	first = t->index * TILE_WIDTH;
	if (units <= first || units - first >= TILE_WIDTH)
		return 0;
	return (unsigned)(units - first);
}

static int reply_missing(const struct tile *t, uint64_t size, struct reply *r)
{
	struct tile partial = *t;
	char path[128], hint[160] = "";
	uint64_t need;

	format_tile(t, path, sizeof(path));
	if (!tile_needs(t, &need))
		return reply_problem(r, MHD_HTTP_NOT_FOUND,
				     "%s is beyond any possible tree size; the "
				     "log has %" PRIu64 " entries",
				     path, size);
	partial.width = partial_width(t, size);
	if (t->width == TILE_WIDTH && partial.width > 0) {
		char partial_path[128];

		format_tile(&partial, partial_path, sizeof(partial_path));
		snprintf(hint, sizeof(hint), "; %s contains what exists so far",
			 partial_path);
	}
	return reply_problem(
	    r, MHD_HTTP_NOT_FOUND,
	    "%s does not exist yet: it needs a tree of %" PRIu64
	    " entries and the log has %" PRIu64 "%s",
	    path, need, size, hint);
}

static int read_hashes(struct server *s, const struct tile *t, struct buf *out,
		       struct error *err)
{
	uint8_t hashes[TILE_WIDTH][HASH_LEN];
	int rc;

	rc = ledger_tile(s->ledger, t->level, t->index, t->width, &hashes[0][0],
			 err);
	if (rc)
		return rc;
	return buf_append(out, hashes, (size_t)t->width * HASH_LEN);
}

/* Appends each entry of t as a big-endian uint16 length and its bytes. */
static int read_bundle(struct server *s, const struct tile *t, struct buf *out,
		       struct error *err)
{
	struct buf entry = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 1);
	uint64_t seq = t->index * TILE_WIDTH;
	int rc = 0;

	for (unsigned i = 0; i < t->width && rc == 0; i++, seq++) {
		uint8_t prefix[2];

		rc = ledger_entry(s->ledger, seq, &entry, err);
		if (rc)
			break;
		/* LEDGER_ENTRY_MAX is 65535, so every length fits. */
		if (entry.len > UINT16_MAX) {
			rc = error_set(err, CT_ECORRUPT,
				       "entry %" PRIu64
				       " is %zu bytes, more than an entry "
				       "bundle can hold",
				       seq, entry.len);
			break;
		}
		prefix[0] = (uint8_t)(entry.len >> 8);
		prefix[1] = (uint8_t)(entry.len & 0xff);
		rc = buf_append(out, prefix, sizeof(prefix));
		if (rc == 0)
			rc = buf_append(out, entry.data, entry.len);
	}
	buf_release(&entry);
	return rc;
}

int serve_tile(struct server *s, struct MHD_Connection *c, const char *rest,
	       struct reply *r, struct error *err)
{
	uint64_t need, size;
	struct tile t;
	int rc;

	(void)c;
	rc = parse_tile(rest, &t, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = ledger_size(s->ledger, &size, err);
	if (rc)
		return rc;
	if (!tile_needs(&t, &need) || need > size)
		return reply_missing(&t, size, r);

	rc = t.entries ? read_bundle(s, &t, &r->body, err)
		       : read_hashes(s, &t, &r->body, err);
	if (rc)
		return error_set(err, rc, "cannot read tile: %s",
				 ct_strerror(rc));
	r->status = MHD_HTTP_OK;
	r->content_type = "application/octet-stream";
	r->cache_control = CACHE_IMMUTABLE;
	return 0;
}
