/*
 * The check characters of a unified social credit code (统一社会信用代码,
 * GB 32100-2015). Its 18 characters are the registering department
 * (1), the kind of body (1), the administrative division (6), the
 * organization code (9, GB 11714-1997, with its own check character
 * last) and the check character of the whole code (1).
 */
#include "common/common.h"

#include "publicity.h"

/* GB 32100's 31 characters: the digits and the capital letters but I,
 * O, S, V and Z; a character's value is its index. */
static const char code_chars[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static int code_value(char c)
{
	const char *at = c ? strchr(code_chars, c) : NULL;

	return at ? (int)(at - code_chars) : -1;
}

/* The GB 11714 value of a character: digits 0-9, letters A-Z 10-35. */
static int org_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return -1;
}

/* The check character of the eight-character body of an organization
 * code: C9 = 11 - (sum of value × weight mod 11), 10 written X, 11 0. */
static char org_check(const char *body)
{
	static const int weights[8] = { 3, 7, 9, 10, 5, 8, 4, 2 };
	int sum = 0, c9;

	for (int i = 0; i < 8; i++)
		sum += org_value(body[i]) * weights[i];
	c9 = 11 - sum % 11;
	if (c9 == 10)
		return 'X';
	if (c9 == 11)
		return '0';
	return (char)('0' + c9);
}

/* The 18th character: 31 - (sum of value × 3^i mod 31, for i = 0..16)
 * mod 31, as a character of code_chars. */
static char code_check(const char *code)
{
	int sum = 0, weight = 1;

	for (int i = 0; i < 17; i++) {
		sum += code_value(code[i]) * weight;
		weight = weight * 3 % 31;
	}
	return code_chars[(31 - sum % 31) % 31];
}

int credit_code_check(const char *code, struct error *err)
{
	size_t n = strlen(code), chars = 0;
	char expected;

	/* Lengths and positions count characters (UTF-8 code points), not
	 * bytes, so continuation bytes are skipped. */
	for (size_t i = 0; i < n; i++)
		chars += ((unsigned char)code[i] & 0xC0) != 0x80;
	if (chars != 18)
		return error_set(err, CT_EINVAL, "credit code '%.40s' has %zu "
				 "characters, not 18", code, chars);
	for (size_t i = 0, pos = 1; i < n; pos++) {
		size_t len = 1;

		while (i + len < n &&
		       ((unsigned char)code[i + len] & 0xC0) == 0x80)
			len++;
		if (code_value(code[i]) < 0 || len > 1)
			return error_set(err, CT_EINVAL, "credit code '%s' has "
					 "'%.*s' at position %zu; only 0-9 and "
					 "capital letters but I, O, S, V and Z "
					 "occur", code, (int)len, code + i, pos);
		i += len;
	}
	expected = org_check(code + 8);
	if (code[16] != expected)
		return error_set(err, CT_EINVAL, "credit code '%s': the "
				 "organization code %.9s has check character "
				 "'%c', expected '%c'", code, code + 8,
				 code[16], expected);
	expected = code_check(code);
	if (code[17] != expected)
		return error_set(err, CT_EINVAL, "credit code '%s' has check "
				 "character '%c', expected '%c'", code,
				 code[17], expected);
	return 0;
}
