/*
 * Growable byte buffers with a maximum size, so that input from outside
 * can never make one grow without bound. The data is always followed by a
 * NUL byte that is not counted in len, so text can be used as a C string.
 */
#ifndef CASETRAIL_BUF_H
#define CASETRAIL_BUF_H

#include <stddef.h>

struct buf {
	char *data; /* NULL until the first append */
	size_t len;
	size_t cap;
	size_t max; /* appends beyond this many bytes fail with CT_ETOOBIG */
};

#define BUF_INIT_MAX(m) { NULL, 0, 0, (m) }
#define BUF_DEFAULT_MAX ((size_t)1 << 30)

/* Initialises b empty with the given maximum size; allocates nothing. */
void buf_init(struct buf *b, size_t max);

/* Frees the contents and leaves b empty and reusable. */
void buf_release(struct buf *b);

/* Empties b without freeing its memory. */
void buf_reset(struct buf *b);

/* Appends n bytes; returns 0, CT_ETOOBIG or CT_ENOMEM. */
int buf_append(struct buf *b, const void *p, size_t n);

/* Appends a C string. */
int buf_puts(struct buf *b, const char *s);

/* Appends one byte. */
int buf_putc(struct buf *b, char c);

/* Appends printf-formatted text. */
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Hands the contents to the caller, who frees them with free(); b is left
 * empty. Returns an allocated empty string when b was empty.
 */
char *buf_detach(struct buf *b, size_t *len);

#endif
