/*
 * The store's witness.json: which witnesses the bureau pushes to and
 * the public keys of their cosignatures (see witness.h).
 */
#include "common/common.h"

#include <unistd.h>

#include "internal.h"
#include "witness.h"

int witness_config_read(const char *store_dir, json_t **out,
			struct error *err)
{
	char path[PATH_MAX];
	int rc;

	*out = NULL;
	if (wpath(path, sizeof(path), "%s/witness.json", store_dir))
		return error_set(err, CT_EINVAL, "store path too long");
	if (access(path, F_OK) != 0)
		return 0;
	rc = wfile_read_json(path, out, err);
	if (rc == 0 && !json_is_array(json_object_get(*out, "witnesses"))) {
		json_decref(*out);
		*out = NULL;
		rc = error_set(err, CT_ECORRUPT, "'%s' has no witnesses list; "
			       "record witnesses with casetrail witness add",
			       path);
	}
	return rc;
}

int witness_config_add(const char *store_dir, const char *url,
		       const char *name, const char *const *pems,
		       size_t npems, struct error *err)
{
	char path[PATH_MAX];
	json_t *cfg = NULL, *list, *keys, *w;
	size_t i;
	int rc;

	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return error_set(err, CT_EINVAL, "witness URL '%s' must start "
				 "with http:// or https://", url);
	if (!name[0] || strlen(name) >= WITNESS_NAME_MAX ||
	    strpbrk(name, " +\n\t"))
		return error_set(err, CT_EINVAL, "invalid witness name '%s'",
				 name);
	if (npems == 0 || npems > WITNESS_KEYS_MAX)
		return error_set(err, CT_EINVAL, "give between 1 and %d --key "
				 "files, the witness's public keys",
				 WITNESS_KEYS_MAX);
	keys = json_array();
	for (i = 0; i < npems; i++) {
		struct key *k = NULL;

		rc = key_load_public_pem(pems[i], strlen(pems[i]), &k, err);
		key_free(k);
		if (rc) {
			json_decref(keys);
			return rc;
		}
		json_array_append_new(keys, json_string(pems[i]));
	}
	rc = witness_config_read(store_dir, &cfg, err);
	if (rc) {
		json_decref(keys);
		return rc;
	}
	if (!cfg)
		cfg = json_pack("{s:[]}", "witnesses");
	list = json_object_get(cfg, "witnesses");
	json_array_foreach(list, i, w) {
		if (!strcmp(json_string_value(json_object_get(w, "url")) ?: "",
			    url)) {
			json_array_remove(list, i);
			break;
		}
	}
	json_array_append_new(list, json_pack("{s:s, s:s, s:o}", "url", url,
					      "name", name, "keys", keys));
	wpath(path, sizeof(path), "%s/witness.json", store_dir);
	rc = wfile_write_json(path, cfg, err);
	json_decref(cfg);
	return rc;
}

/* Verifies every key of one witness entry; 0 when all verify. */
static int check_entry(const json_t *w, const char *note, size_t len,
		       int64_t *ts_ms, struct error *err)
{
	const char *name = json_string_value(json_object_get(w, "name"));
	json_t *pems = json_object_get(w, "keys");
	int rc = 0;

	for (size_t i = 0; name && rc == 0 && i < json_array_size(pems); i++) {
		const char *pem = json_string_value(json_array_get(pems, i));
		struct key *k = NULL;
		uint64_t ts = 0;

		rc = pem ? key_load_public_pem(pem, strlen(pem), &k, err)
			 : CT_ECORRUPT;
		if (rc == 0)
			rc = cosig_verify(name, k, note, len, &ts, err);
		if (rc == 0)
			*ts_ms = (int64_t)ts * 1000;
		key_free(k);
	}
	return rc;
}

int witness_check_cosigned(const char *store_dir, const char *url,
			   const char *note, size_t len, int64_t *ts_ms,
			   struct error *err)
{
	json_t *cfg = NULL, *w;
	size_t i;
	int rc = witness_config_read(store_dir, &cfg, err), found = 0;

	if (rc)
		return rc;
	json_array_foreach(json_object_get(cfg, "witnesses"), i, w) {
		const char *u = json_string_value(json_object_get(w, "url"));

		if (url && strcmp(u ? u : "", url))
			continue;
		found = 1;
		rc = check_entry(w, note, len, ts_ms, err);
		break;
	}
	json_decref(cfg);
	return found ? rc : CT_ENOTFOUND;
}
