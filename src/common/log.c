/*
 * Event log in logfmt on stderr. Each event is formatted into one buffer
 * and written with a single write(2), so lines from several threads do not
 * interleave.
 */
#include "common.h"

#include <pthread.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"

static enum log_level min_level = LOG_INFO;

static const char *level_names[] = { "debug", "info", "warn", "error" };

void log_set_level(enum log_level level)
{
	min_level = level;
}

int log_level_parse(const char *name)
{
	if (!strcmp(name, "off"))
		return LOG_OFF;
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++)
		if (!strcmp(name, level_names[i]))
			return (int)i;
	return -1;
}

int log_enabled(enum log_level level)
{
	return level >= min_level && level < LOG_OFF;
}

char *log_quote(const char *s, char *out, size_t n)
{
	size_t o = 0;
	int plain = *s != '\0';

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' ||
		    *p == 0x7f)
			plain = 0;
	if (n == 0)
		return out;
	if (plain) {
		snprintf(out, n, "%s", s);
		return out;
	}
	if (n < 3) {
		/* Two quotes and the NUL need 3 bytes, so out stays empty. */
		out[0] = '\0';
		return out;
	}
	out[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];
		size_t k;

		if (*p == '"' || *p == '\\')
			k = (size_t)snprintf(esc, sizeof(esc), "\\%c", *p);
		else if (*p == '\n')
			k = (size_t)snprintf(esc, sizeof(esc), "\\n");
		else if (*p < ' ' || *p == 0x7f)
			k = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", *p);
		else
			k = (size_t)snprintf(esc, sizeof(esc), "%c", *p);
		if (o + k + 2 > n)
			break;
		memcpy(out + o, esc, k);
		o += k;
	}
	out[o++] = '"';
	out[o < n ? o : n - 1] = '\0';
	return out;
}

void log_event(enum log_level level, const char *mod, const char *msg,
	       const char *kvfmt, ...)
{
	char line[4096], qmsg[512];
	struct timeval tv;
	struct tm tm;
	size_t len;
	int n;

	if (!log_enabled(level))
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
		     "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s mod=%s "
		     "msg=%s",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000),
		     level_names[level], mod, log_quote(msg, qmsg, sizeof(qmsg)));
	len = n < 0 ? 0 : (size_t)n;
	if (kvfmt && len + 2 < sizeof(line)) {
		va_list ap;

		line[len++] = ' ';
		va_start(ap, kvfmt);
		n = vsnprintf(line + len, sizeof(line) - len, kvfmt, ap);
		va_end(ap);
		if (n > 0)
			len += (size_t)n;
	}
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) < 0)
		return;
}
