/*
 * The masking of resident identity card numbers in the public view of
 * the 双公示 export. A number is found anywhere in a value, also inside
 * a run of letters (a licence number such as JY110101199003074514) and
 * in full-width digits, and each of its characters becomes one '*'.
 */
#include "common/common.h"

#include "publicity.h"

/* One code point of the text: its bytes and its ASCII digit or 'X'. */
struct id_char {
	size_t start, len;
	char ascii; /* '0'-'9', 'X', or 0 for any other character */
};

/* The length of the UTF-8 sequence at s, at least 1. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = 1;

	if (*s >= 0xF0)
		n = 4;
	else if (*s >= 0xE0)
		n = 3;
	else if (*s >= 0xC0)
		n = 2;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return i;
	return n;
}

/* The ASCII digit or 'X' of a code point: ASCII, or full-width
 * U+FF10-U+FF19, U+FF38 (Ｘ) and U+FF58 (ｘ). */
static char ascii_of(const unsigned char *s, size_t len)
{
	if (len == 1 && *s >= '0' && *s <= '9')
		return (char)*s;
	if (len == 1 && (*s == 'X' || *s == 'x'))
		return 'X';
	if (len == 3 && s[0] == 0xEF && s[1] == 0xBC && s[2] >= 0x90 &&
	    s[2] <= 0x99)
		return (char)('0' + s[2] - 0x90);
	if (len == 3 && s[0] == 0xEF &&
	    ((s[1] == 0xBC && s[2] == 0xB8) || (s[1] == 0xBD && s[2] == 0x98)))
		return 'X';
	return 0;
}

static bool is_digit_at(const struct id_char *c, size_t n, size_t i)
{
	return i < n && c[i].ascii >= '0' && c[i].ascii <= '9';
}

/* Whether the 18 characters at i are a GB 11643 number, as the access
 * module's check of its birth date and check character decides. */
static bool id18_at(const struct id_char *c, size_t n, size_t i)
{
	char digits[19];

	if (i + 18 > n)
		return false;
	for (size_t k = 0; k < 18; k++) {
		if (!c[i + k].ascii || (k < 17 && c[i + k].ascii == 'X'))
			return false;
		digits[k] = c[i + k].ascii;
	}
	digits[18] = '\0';
	return access_has_resident_id(digits);
}

/*
 * Whether the 15 characters at i are an old identity card number
 * (before GB 11643-1999): a run of exactly 15 digits with an area code
 * whose first digit is 1 to 8 and a valid month and day (YYMMDD). It has
 * no check character, so any such run counts.
 */
static bool id15_at(const struct id_char *c, size_t n, size_t i)
{
	int month, day;

	if (i + 15 > n || (i > 0 && c[i - 1].ascii) ||
	    (i + 15 < n && c[i + 15].ascii))
		return false;
	for (size_t k = 0; k < 15; k++)
		if (!is_digit_at(c, n, i + k))
			return false;
	if (c[i].ascii < '1' || c[i].ascii > '8')
		return false;
	month = (c[i + 8].ascii - '0') * 10 + (c[i + 9].ascii - '0');
	day = (c[i + 10].ascii - '0') * 10 + (c[i + 11].ascii - '0');
	return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

char *publicity_mask_resident_ids(const char *text, size_t *count)
{
	size_t len = strlen(text), n = 0, i = 0;
	struct id_char *c = calloc(len + 1, sizeof(*c));
	struct buf b = BUF_INIT_MAX(BUF_DEFAULT_MAX);
	int rc = 0;

	if (!c)
		return NULL;
	for (size_t at = 0; at < len; n++) {
		c[n].start = at;
		c[n].len = utf8_len((const unsigned char *)text + at);
		c[n].ascii = ascii_of((const unsigned char *)text + at,
				      c[n].len);
		at += c[n].len;
	}
	while (i < n && rc == 0) {
		size_t run = id18_at(c, n, i) ? 18 : id15_at(c, n, i) ? 15 : 0;

		if (run) {
			for (size_t k = 0; k < run && rc == 0; k++)
				rc = buf_putc(&b, '*');
			*count += 1;
			i += run;
			continue;
		}
		rc = buf_append(&b, text + c[i].start, c[i].len);
		i++;
	}
	free(c);
	if (rc) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}
