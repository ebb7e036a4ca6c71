/*
 * The certificate and private key of HTTPS. libmicrohttpd 0.9.75 does TLS
 * with GnuTLS and takes both as PEM text in memory. tls_creds_load reads
 * the two files, refuses a key file that group or others may access (as
 * ssh refuses such a private key), and checks with GnuTLS, the library
 * that will use them, that the certificate parses, that the key parses
 * and that the two belong together. The daemon would otherwise fail at
 * start with a generic error. Errors name the file and never quote its
 * content.
 *
 * libmicrohttpd hands the key to GnuTLS once, when the daemon starts, and
 * keeps no use for the text afterwards. The caller wipes it with
 * tls_creds_release as soon as the daemon runs.
 */
#include "common/common.h"

#include <fcntl.h>
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
const char tls_priorities[] =
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
	"-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM:"
	"-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"
	"-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1:%SERVER_PRECEDENCE";

/*
 * Refuses a private key file that is not a regular file, that group or
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

/*
 * Reads the whole file at path into a new NUL-terminated buffer. what
 * names the file in errors ("certificate" or "key"). A key file is
 * checked by check_key_file first, and it is read with read(2) rather
 * than stdio so that no copy of it stays in a stdio buffer.
 */
static int read_pem(const char *path, const char *what, bool key,
		    char **out, size_t *len, struct error *err)
{
	struct stat st;
	char *text = NULL;
	size_t got = 0;
	int fd, rc = 0;

	*out = NULL;
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
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		rc = error_set(err, CT_ENOMEM, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = error_set(err, CT_EIO, "cannot read TLS %s file "
				       "'%s': %s", what, path,
				       n < 0 ? strerror(errno)
					     : "it became shorter");
			goto out;
		}
		got += (size_t)n;
	}
	text[got] = '\0';
	/* libmicrohttpd takes the text's length from strlen. */
	if (strlen(text) != got)
		rc = error_set(err, CT_EINVAL, "TLS %s file '%s' contains a "
			       "NUL byte; give a PEM file, not DER", what,
			       path);
out:
	close(fd);
	if (rc && text) {
		crypto_wipe(text, (size_t)st.st_size + 1);
		free(text);
		text = NULL;
	}
	*out = text;
	*len = got;
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
 * Parses the first certificate of the chain into c: its subject and
 * validity, for the start log line. Fills *crt for the key check.
 */
static int parse_cert(const char *path, struct tls_creds *c,
		      gnutls_x509_crt_t *crt, struct error *err)
{
	gnutls_datum_t pem = { (unsigned char *)c->cert,
			       (unsigned)strlen(c->cert) };
	gnutls_x509_crt_t *list = NULL;
	unsigned count = 0;
	gnutls_datum_t dn = { NULL, 0 };
	int rc;

	rc = gnutls_x509_crt_list_import2(&list, &count, &pem,
					  GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0 || count == 0)
		return error_set(err, CT_EINVAL, "TLS certificate file '%s' "
				 "holds no readable PEM certificate (GnuTLS: "
				 "%s); give the server's certificate, then "
				 "any intermediate certificates, in PEM",
				 path, gnutls_strerror(rc < 0 ? rc : 0));
	*crt = list[0];
	for (unsigned i = 1; i < count; i++)
		gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
	c->chain_length = count;

	c->not_before = gnutls_x509_crt_get_activation_time(*crt);
	c->not_after = gnutls_x509_crt_get_expiration_time(*crt);
	if (gnutls_x509_crt_get_dn3(*crt, &dn, 0) == 0) {
		snprintf(c->subject, sizeof(c->subject), "%.*s",
			 (int)dn.size, (const char *)dn.data);
		gnutls_free(dn.data);
	}
	return 0;
}

/*
 * Parses the private key and checks that the certificate carries its
 * public key, comparing the SHA-256 key ids of both.
 */
static int check_pair(const char *cert_path, const char *key_path,
		      const struct tls_creds *c, gnutls_x509_crt_t crt,
		      struct error *err)
{
	gnutls_datum_t pem = { (unsigned char *)c->key, (unsigned)c->key_len };
	unsigned char crt_id[64], key_id[64];
	size_t crt_len = sizeof(crt_id), key_len = sizeof(key_id);
	gnutls_x509_privkey_t key = NULL;
	int rc;

	rc = gnutls_x509_privkey_init(&key);
	if (rc < 0)
		return error_set(err, CT_ENOMEM, "cannot set up a GnuTLS key: "
				 "%s", gnutls_strerror(rc));
	rc = gnutls_x509_privkey_import2(key, &pem, GNUTLS_X509_FMT_PEM,
					 NULL, 0);
	if (rc == GNUTLS_E_DECRYPTION_FAILED) {
		rc = error_set(err, CT_EINVAL, "TLS key file '%s' is "
			       "encrypted with a passphrase, which casetrail "
			       "cannot enter when it starts; give the key "
			       "unencrypted, readable by the owner only",
			       key_path);
		goto out;
	}
	if (rc < 0) {
		rc = error_set(err, CT_EINVAL, "TLS key file '%s' holds no "
			       "readable PEM private key (GnuTLS: %s); give "
			       "the key of the certificate in '%s'",
			       key_path, gnutls_strerror(rc), cert_path);
		goto out;
	}
	rc = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, crt_id,
					&crt_len);
	if (rc == 0)
		rc = gnutls_x509_privkey_get_key_id(
		    key, GNUTLS_KEYID_USE_SHA256, key_id, &key_len);
	if (rc < 0) {
		rc = error_set(err, CT_EINVAL, "cannot compare the TLS "
			       "certificate in '%s' with the key in '%s' "
			       "(GnuTLS: %s)", cert_path, key_path,
			       gnutls_strerror(rc));
		goto out;
	}
	if (crt_len != key_len || memcmp(crt_id, key_id, crt_len) != 0)
		rc = error_set(err, CT_EINVAL, "the TLS certificate in '%s' "
			       "does not match the private key in '%s'; give "
			       "the key the certificate was issued for",
			       cert_path, key_path);
out:
	gnutls_x509_privkey_deinit(key);
	return rc;
}

int tls_creds_load(const char *cert_path, const char *key_path,
		   struct tls_creds *out, struct error *err)
{
	gnutls_x509_crt_t crt = NULL;
	size_t cert_len;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = read_pem(cert_path, "certificate", false, &out->cert, &cert_len,
		      err);
	if (rc == 0)
		rc = read_pem(key_path, "key", true, &out->key, &out->key_len,
			      err);
	if (rc == 0)
		rc = parse_cert(cert_path, out, &crt, err);
	if (rc == 0)
		rc = check_pair(cert_path, key_path, out, crt, err);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (rc) {
		tls_creds_release(out);
		return rc;
	}
	format_time(out->not_before, out->not_before_text,
		    sizeof(out->not_before_text));
	format_time(out->not_after, out->not_after_text,
		    sizeof(out->not_after_text));
	return 0;
}

void tls_creds_wipe_key(struct tls_creds *c)
{
	if (!c->key)
		return;
	crypto_wipe(c->key, c->key_len + 1);
	free(c->key);
	c->key = NULL;
	c->key_len = 0;
}

void tls_creds_release(struct tls_creds *c)
{
	tls_creds_wipe_key(c);
	free(c->cert);
	c->cert = NULL;
}
