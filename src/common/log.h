/*
 * Event log: one logfmt line per event on stderr,
 *
 *   ts=2026-12-04T08:00:00.123Z level=info mod=ledger msg="append committed" seq=41
 *
 * The level is checked before anything is formatted. The key=value part is
 * printf-formatted by the caller; values that come from outside (names,
 * paths, request targets) must go through log_quote() so that they cannot
 * forge a field or a line. Never pass a secret.
 */
#ifndef CASETRAIL_LOG_H
#define CASETRAIL_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

/* Sets the level below which events are dropped (default LOG_INFO). */
void log_set_level(enum log_level level);

/* Parses "debug", "info", "warn", "error" or "off"; returns -1 otherwise. */
int log_level_parse(const char *name);

/* Returns whether events of this level are written. */
int log_enabled(enum log_level level);

/*
 * Writes one event. kvfmt may be NULL; otherwise it formats the key=value
 * pairs that follow msg. Safe to call from several threads at once.
 */
void log_event(enum log_level level, const char *mod, const char *msg,
	       const char *kvfmt, ...) __attribute__((format(printf, 4, 5)));

#define log_debug(...) \
	do { \
		if (log_enabled(LOG_DEBUG)) \
			log_event(LOG_DEBUG, __VA_ARGS__); \
	} while (0)
#define log_info(...) log_event(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_event(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_event(LOG_ERROR, __VA_ARGS__)

/*
 * Writes s into out as one logfmt value: bare when it is plain, otherwise
 * double-quoted with quotes, backslashes and control bytes escaped. Cuts
 * at n - 1 bytes. Returns out, so that it can stand in an argument list.
 */
char *log_quote(const char *s, char *out, size_t n);

#endif
