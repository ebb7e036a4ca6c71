/*
 * Error codes and the error struct that carries detail up the stack.
 *
 * Every function that can fail returns int: 0 on success or one of the
 * negative CT_E* codes. When the caller passes a struct error, the callee
 * fills it with a message that names the value that failed and what to do.
 * The first message set wins, so the innermost, most specific cause is
 * what the user sees.
 */
#ifndef CASETRAIL_ERROR_H
#define CASETRAIL_ERROR_H

enum ct_code {
	CT_OK = 0,
	CT_EINVAL = -1,    /* invalid input or usage */
	CT_ENOTFOUND = -2, /* a named thing does not exist */
	CT_EEXIST = -3,    /* a thing to be created exists already */
	CT_EIO = -4,       /* a file or database operation failed */
	CT_ECRYPTO = -5,   /* a cryptographic operation failed */
	CT_ECORRUPT = -6,  /* stored data does not match what it must be */
	CT_ENOMEM = -7,    /* out of memory */
	CT_EBUSY = -8,     /* the store is locked by another writer */
	CT_ETOOBIG = -9,   /* input over a size limit */
	CT_EPERM = -10,    /* not allowed */
	CT_ESTATE = -11,   /* the store is not in a state that allows this */
};

#define ERROR_MSG_MAX 1024

struct error {
	int code;
	char msg[ERROR_MSG_MAX];
};

/* Clears err (a NULL err is allowed everywhere). */
void error_clear(struct error *err);

/*
 * Sets err to code and a printf-formatted message unless err already holds
 * one, and returns code so that callers can write `return error_set(...)`.
 */
int error_set(struct error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Returns a short English phrase for a code ("invalid input"). */
const char *ct_strerror(int code);

#endif
