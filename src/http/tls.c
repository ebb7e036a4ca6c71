/*
 * The certificate and private key of HTTPS. libmicrohttpd 0.9.75 does TLS
 * with GnuTLS. tls_creds_load reads the two files and rejects a key file
 * that group or others may access, as ssh rejects such a private key. It
 * loads the certificate chain and the key with GnuTLS, and the key must
 * be the one the first certificate was issued for. Errors name the file
 * and never quote its content.
 *
 * The daemon gets the loaded certificate and key through a certificate
 * callback rather than as PEM text. GnuTLS decodes PEM into a temporary
 * buffer that it frees without overwriting, which would leave the key's
 * base64 in the heap. Here the key's PEM armour is removed and its base64
 * decoded by casetrail into buffers that are wiped, and GnuTLS imports
 * the DER, whose copies it clears. From then on the key exists only as
 * GnuTLS's parsed key, which the handshakes need and tls_creds_release
 * frees.
 */
#include "common/common.h"

#include <fcntl.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "internal.h"

/* PEM certificate chains and keys are a few KiB; this bounds a wrong file. */
#define TLS_FILE_MAX ((off_t)1 << 20)

/*
 * TLS 1.2 and 1.3 only, with forward-secret ECDHE key exchange and AEAD
 * ciphers (AES-GCM, ChaCha20-Poly1305), no SHA-1 signatures, and the
 * server's order of preference. GnuTLS 3.7.9 expands it to three TLS 1.3
 * suites and six TLS 1.2 suites (gnutls-cli -l --priority STRING).
 */
static const char tls_priorities[] =
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
	"-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM:"
	"-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"
	"-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1:%SERVER_PRECEDENCE";

/*
 * The credentials the certificate callback returns. GnuTLS gives the
 * callback no pointer of the caller's, so the process serves one
 * certificate, set by tls_daemon_options.
 */
static struct tls_creds *serving;

/* Frees a buffer of key material after overwriting it. */
static void free_secret(void *p, size_t n)
{
	if (!p)
		return;
	crypto_wipe(p, n);
	free(p);
}

/*
 * Rejects a private key file that is not a regular file, that group or
 * others may read, write or run, or that belongs to someone other than
 * the user the server runs as or root.
 */
static int check_key_file(const char *path, const struct stat *st,
			  struct error *err)
{
	if (!S_ISREG(st->st_mode))
		return error_set(err, CT_EINVAL, "TLS key file '%s' is not a "
				 "regular file; give the PEM file of the "
				 "private key", path);
	if (st->st_mode & (S_IRWXG | S_IRWXO))
		return error_set(err, CT_EPERM, "permissions %04o of TLS key "
				 "file '%s' are too open: group or others may "
				 "access the private key; run 'chmod 600 %s'",
				 (unsigned)(st->st_mode & 07777), path, path);
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return error_set(err, CT_EPERM, "TLS key file '%s' is owned by "
				 "uid %u, which may replace the key; make the "
				 "user casetrail runs as (uid %u) or root its "
				 "owner", path, (unsigned)st->st_uid,
				 (unsigned)geteuid());
	return 0;
}

/* Reads exactly n bytes of fd into out. */
static int read_all(int fd, char *out, size_t n, const char *what,
		    const char *path, struct error *err)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, out + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return error_set(err, CT_EIO, "cannot read TLS %s file "
					 "'%s': %s", what, path,
					 r < 0 ? strerror(errno)
					       : "it became shorter");
		got += (size_t)r;
	}
	return 0;
}

/*
 * Reads the whole file at path into a new NUL-terminated buffer of *len
 * bytes. what names the file in errors ("certificate" or "key"). A key
 * file is checked by check_key_file first. The file is read with read(2)
 * rather than stdio, so no copy stays in a stdio buffer, and the caller
 * frees the buffer with free_secret.
 */
static int read_pem(const char *path, const char *what, bool key,
		    char **out, size_t *len, struct error *err)
{
	struct stat st;
	char *text = NULL;
	size_t size = 0;
	int fd, rc = 0;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return error_set(err, errno == EACCES ? CT_EPERM : CT_EIO,
				 "cannot open TLS %s file '%s': %s; give the "
				 "PEM file with --tls-%s", what, path,
				 strerror(errno), key ? "key" : "cert");
	if (fstat(fd, &st) != 0) {
		rc = error_set(err, CT_EIO, "cannot stat TLS %s file '%s': %s",
			       what, path, strerror(errno));
		goto out;
	}
	if (key)
		rc = check_key_file(path, &st, err);
	else if (!S_ISREG(st.st_mode))
		rc = error_set(err, CT_EINVAL, "TLS %s file '%s' is not a "
			       "regular file", what, path);
	if (rc)
		goto out;
	if (st.st_size > TLS_FILE_MAX || st.st_size == 0) {
		rc = error_set(err, CT_EINVAL, "TLS %s file '%s' has %jd "
			       "bytes; a PEM %s has more than 0 and at most "
			       "1 MiB", what, path, (intmax_t)st.st_size, what);
		goto out;
	}
	size = (size_t)st.st_size;
	text = malloc(size + 1);
	if (!text) {
		rc = error_set(err, CT_ENOMEM, "out of memory");
		goto out;
	}
	rc = read_all(fd, text, size, what, path, err);
	text[size] = '\0';
	if (rc == 0 && strlen(text) != size)
		rc = error_set(err, CT_EINVAL, "TLS %s file '%s' contains a "
			       "NUL byte; give a PEM file, not DER", what,
			       path);
out:
	close(fd);
	if (rc) {
		free_secret(text, size + 1);
		return rc;
	}
	*out = text;
	*len = size;
	return 0;
}

/* Returns the end of the line that starts at p: its '\n', or its NUL. */
static const char *line_end(const char *p)
{
	return p + strcspn(p, "\n");
}

/*
 * Finds the first PEM block of pem whose label ends in "PRIVATE KEY" and
 * sets *body and *body_end to the text between its BEGIN and END lines.
 */
static int find_key_block(const char *path, const char *pem,
			  const char **body, const char **body_end,
			  struct error *err)
{
	static const char begin[] = "-----BEGIN ", end[] = "-----END ";
	const char *p = pem, *eol, *close;

	for (; *p; p = *eol ? eol + 1 : eol) {
		eol = line_end(p);
		if (strncmp(p, begin, strlen(begin)) != 0)
			continue;
		if (!memmem(p, (size_t)(eol - p), "PRIVATE KEY-----", 16))
			continue;
		if (memmem(p, (size_t)(eol - p), "ENCRYPTED", 9))
			goto encrypted;
		close = strstr(eol, end);
		if (!close)
			break;
		*body = *eol ? eol + 1 : eol;
		*body_end = close;
		/* A traditional encrypted key has Proc-Type and DEK-Info. */
		if (memchr(*body, ':', (size_t)(close - *body)))
			goto encrypted;
		return 0;
	}
	return error_set(err, CT_EINVAL, "TLS key file '%s' holds no PEM "
			 "private key (a '-----BEGIN PRIVATE KEY-----' block "
			 "and its END line); give the unencrypted PEM key of "
			 "the certificate", path);
encrypted:
	return error_set(err, CT_EINVAL, "TLS key file '%s' is encrypted with "
			 "a passphrase, which casetrail cannot enter when it "
			 "starts; give the key unencrypted, readable by the "
			 "owner only", path);
}

/*
 * Decodes the base64 body of the key block of pem into a new buffer of
 * DER, *der_len bytes, which the caller frees with free_secret. The
 * base64 without line breaks is built in a buffer of its own, which is
 * wiped too.
 */
static int decode_key(const char *path, const char *pem, size_t pem_len,
		      uint8_t **der, size_t *der_len, struct error *err)
{
	const char *body = NULL, *body_end = NULL;
	char *b64 = NULL;
	size_t n = 0, max = pem_len / 4 * 3 + 3;
	long got;
	int rc;

	*der = NULL;
	rc = find_key_block(path, pem, &body, &body_end, err);
	if (rc)
		return rc;
	b64 = malloc(pem_len + 1);
	*der = malloc(max);
	if (!b64 || !*der) {
		rc = error_set(err, CT_ENOMEM, "out of memory");
		goto out;
	}
	for (const char *p = body; p < body_end; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			b64[n++] = *p;
	got = base64_decode(b64, n, *der, max);
	if (got <= 0) {
		rc = error_set(err, CT_EINVAL, "the private key in TLS key file "
			       "'%s' is not valid base64; give the PEM key as "
			       "openssl writes it", path);
		goto out;
	}
	*der_len = (size_t)got;
out:
	free_secret(b64, pem_len + 1);
	if (rc) {
		free_secret(*der, max);
		*der = NULL;
	}
	return rc;
}

/* Writes t as RFC 3339 UTC into out, which has room for 21 bytes. */
static void format_time(time_t t, char *out, size_t n)
{
	struct tm tm;

	if (t == (time_t)-1 || !gmtime_r(&t, &tm) ||
	    !strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, n, "unknown");
}

/*
 * Loads the certificate chain of pem into c->pcerts and fills in the
 * subject and validity of its first certificate, which *first gets, for
 * the key check.
 */
static int load_chain(const char *path, const char *pem,
		      struct tls_creds *c, gnutls_x509_crt_t *first,
		      struct error *err)
{
	gnutls_datum_t data = { (unsigned char *)pem, (unsigned)strlen(pem) };
	gnutls_x509_crt_t *list = NULL;
	gnutls_datum_t dn = { NULL, 0 };
	unsigned listed = 0, count;
	int rc;

	rc = gnutls_x509_crt_list_import2(&list, &listed, &data,
					  GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0 || listed == 0)
		return error_set(err, CT_EINVAL, "TLS certificate file '%s' "
				 "holds no readable PEM certificate (GnuTLS: "
				 "%s); give the server's certificate, then "
				 "any intermediate certificates, in PEM",
				 path, gnutls_strerror(rc < 0 ? rc : 0));
	count = listed;
	c->pcerts = calloc(count, sizeof(*c->pcerts));
	rc = c->pcerts ? gnutls_pcert_import_x509_list(c->pcerts, list,
						       &count, 0)
		       : GNUTLS_E_MEMORY_ERROR;
	if (rc < 0) {
		free(c->pcerts);
		c->pcerts = NULL;
		rc = error_set(err, CT_EINVAL, "cannot load the certificates "
			       "of TLS certificate file '%s' (GnuTLS: %s)",
			       path, gnutls_strerror(rc));
		goto out;
	}
	c->chain_length = count;
	c->not_before = gnutls_x509_crt_get_activation_time(list[0]);
	c->not_after = gnutls_x509_crt_get_expiration_time(list[0]);
	format_time(c->not_before, c->not_before_text,
		    sizeof(c->not_before_text));
	format_time(c->not_after, c->not_after_text,
		    sizeof(c->not_after_text));
	if (gnutls_x509_crt_get_dn3(list[0], &dn, 0) == 0) {
		snprintf(c->subject, sizeof(c->subject), "%.*s",
			 (int)dn.size, (const char *)dn.data);
		gnutls_free(dn.data);
	}
	*first = list[0];
	list[0] = NULL;
out:
	for (unsigned i = 0; i < listed; i++)
		if (list[i])
			gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
	return rc;
}

/*
 * Imports the DER key into *key and checks that crt carries its public
 * key, comparing the SHA-256 key ids of both.
 */
static int import_key(const char *cert_path, const char *key_path,
		      const uint8_t *der, size_t der_len,
		      gnutls_x509_crt_t crt, gnutls_x509_privkey_t *key,
		      struct error *err)
{
	gnutls_datum_t data = { (unsigned char *)der, (unsigned)der_len };
	unsigned char crt_id[64], key_id[64];
	size_t crt_len = sizeof(crt_id), key_len = sizeof(key_id);
	int rc;

	rc = gnutls_x509_privkey_init(key);
	if (rc < 0)
		return error_set(err, CT_ENOMEM, "cannot set up a GnuTLS key: "
				 "%s", gnutls_strerror(rc));
	rc = gnutls_x509_privkey_import2(*key, &data, GNUTLS_X509_FMT_DER,
					 NULL, 0);
	if (rc < 0)
		return error_set(err, CT_EINVAL, "TLS key file '%s' holds no "
				 "readable private key (GnuTLS: %s); give the "
				 "unencrypted PEM key of the certificate in "
				 "'%s'", key_path, gnutls_strerror(rc),
				 cert_path);
	rc = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, crt_id,
					&crt_len);
	if (rc == 0)
		rc = gnutls_x509_privkey_get_key_id(
		    *key, GNUTLS_KEYID_USE_SHA256, key_id, &key_len);
	if (rc < 0)
		return error_set(err, CT_EINVAL, "cannot compare the TLS "
				 "certificate in '%s' with the key in '%s' "
				 "(GnuTLS: %s)", cert_path, key_path,
				 gnutls_strerror(rc));
	if (crt_len != key_len || memcmp(crt_id, key_id, crt_len) != 0)
		return error_set(err, CT_EINVAL, "the TLS certificate in '%s' "
				 "does not match the private key in '%s'; "
				 "give the key the certificate was issued for",
				 cert_path, key_path);
	return 0;
}

/* Reads, decodes and checks the key, and hands it to c->key. */
static int load_key(const char *cert_path, const char *key_path,
		    gnutls_x509_crt_t crt, struct tls_creds *c,
		    struct error *err)
{
	gnutls_x509_privkey_t x509 = NULL;
	uint8_t *der = NULL;
	char *pem = NULL;
	size_t pem_len = 0, der_len = 0;
	int rc;

	rc = read_pem(key_path, "key", true, &pem, &pem_len, err);
	if (rc == 0)
		rc = decode_key(key_path, pem, pem_len, &der, &der_len, err);
	free_secret(pem, pem_len + 1);
	if (rc == 0)
		rc = import_key(cert_path, key_path, der, der_len, crt, &x509,
				err);
	free_secret(der, der_len);
	if (rc == 0 && gnutls_privkey_init(&c->key) < 0)
		rc = error_set(err, CT_ENOMEM, "out of memory");
	if (rc == 0 && gnutls_privkey_import_x509(
			   c->key, x509, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE) < 0)
		rc = error_set(err, CT_ECRYPTO, "cannot load the private key "
			       "of TLS key file '%s' into GnuTLS", key_path);
	/* Once imported, c->key owns x509 and frees it with itself. */
	if (rc == 0)
		x509 = NULL;
	gnutls_x509_privkey_deinit(x509);
	return rc;
}

int tls_creds_load(const char *cert_path, const char *key_path,
		   struct tls_creds *out, struct error *err)
{
	gnutls_x509_crt_t crt = NULL;
	char *pem = NULL;
	size_t pem_len;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = read_pem(cert_path, "certificate", false, &pem, &pem_len, err);
	if (rc == 0)
		rc = load_chain(cert_path, pem, out, &crt, err);
	free(pem);
	if (rc == 0)
		rc = load_key(cert_path, key_path, crt, out, err);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (rc)
		tls_creds_release(out);
	return rc;
}

void tls_creds_release(struct tls_creds *c)
{
	if (serving == c)
		serving = NULL;
	for (unsigned i = 0; c->pcerts && i < c->chain_length; i++)
		gnutls_pcert_deinit(&c->pcerts[i]);
	free(c->pcerts);
	c->pcerts = NULL;
	c->chain_length = 0;
	if (c->key)
		gnutls_privkey_deinit(c->key);
	c->key = NULL;
}

/* Returns the loaded certificate chain and key for every handshake. */
static int retrieve_cert(gnutls_session_t session,
			 const gnutls_datum_t *req_ca_rdn, int nreqs,
			 const gnutls_pk_algorithm_t *pk_algos,
			 int pk_algos_length, gnutls_pcert_st **pcert,
			 unsigned int *pcert_length, gnutls_privkey_t *key)
{
	(void)session;
	(void)req_ca_rdn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	if (!serving)
		return -1;
	*pcert = serving->pcerts;
	*pcert_length = serving->chain_length;
	*key = serving->key;
	return 0;
}

size_t tls_daemon_options(struct tls_creds *c, struct MHD_OptionItem *items)
{
	serving = c;
	items[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
					    (void *)retrieve_cert };
	items[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
					    (void *)tls_priorities };
	return 2;
}
