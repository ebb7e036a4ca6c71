/*
 * The plain rendering of a record that has no template: its kind, time,
 * author, fields (by the labels of data/record-kinds.json) and
 * signatures as ruled tables. It is not issued, numbered or sealed.
 */
#include "common/common.h"

#include <ctype.h>

#include "documents.h"
#include "internal.h"
#include "ledger/ledger.h"

static const char *str(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* The field definitions of kind in data/record-kinds.json. */
static const json_t *kind_fields(struct cases *c, const char *kind)
{
	size_t i;
	json_t *k;

	json_array_foreach(json_object_get(cases_kinds(c), "kinds"), i, k)
		if (!strcmp(str(k, "code") ?: "", kind))
			return json_object_get(k, "fields");
	return NULL;
}

static const char *field_label(const json_t *defs, const char *name)
{
	/* Members that every kind may have, which no kind lists. */
	static const char *const common[][2] = {
		{ "signatures", "签名" },   { "number", "文书编号" },
		{ "av", "音像记录" },       { "confirmation", "当事人确认" },
		{ "mark", "密级标注" },
	};
	size_t i;
	json_t *f;

	json_array_foreach(defs, i, f)
		if (!strcmp(str(f, "name") ?: "", name))
			return str(f, "label") ?: name;
	for (i = 0; i < ARRAY_SIZE(common); i++)
		if (!strcmp(common[i][0], name))
			return common[i][1];
	return name;
}

/* Chinese names of the codes that enum fields of record kinds share. */
static const char *const enum_names[][2] = {
	{ "agree", "同意" },
	{ "disagree", "不同意" },
	{ "amend", "修改后同意" },
	{ "review", "审核" },
	{ "approve", "批准" },
	{ "window", "窗口" },
	{ "oral", "口头" },
	{ "online", "网上" },
	{ "mail", "邮寄" },
	{ "grant", "准予许可" },
	{ "deny", "不予许可" },
	{ "partial", "部分准予许可" },
	{ "written", "书面" },
	{ "granted", "准予回避" },
	{ "rejected", "驳回" },
	{ "hearing", "听证" },
	{ "tender", "招标" },
	{ "auction", "拍卖" },
	{ "testing", "检验" },
	{ "inspection", "检测" },
	{ "quarantine", "检疫" },
	{ "appraisal", "鉴定" },
	{ "expert-review", "专家评审" },
	{ "other", "其他" },
	{ "direct", "直接送达" },
	{ "registered", "挂号信" },
	{ "express", "特快专递" },
	{ "decision", "行政许可决定书" },
	{ "licence", "行政许可证件" },
	{ "refusal", "不予受理决定书" },
	{ "supplement-notice", "补正材料通知书" },
	{ "acceptance-notice", "受理通知书" },
	{ "no-licence-needed", "依法不需要取得行政许可" },
	{ "not-competent", "不属于本机关职权范围" },
	{ "incomplete-not-supplemented", "材料不齐全且逾期未补正" },
};

/* How a signature was given ("method"). */
static const char *const sign_methods[][2] = {
	{ "staff", "工作人员电子签名" },
	{ "paper", "纸质签字" },
	{ "seal", "盖章" },
};

static const char *lookup(const char *const (*table)[2], size_t n,
			  const char *code)
{
	for (size_t i = 0; code && i < n; i++)
		if (!strcmp(table[i][0], code))
			return table[i][1];
	return NULL;
}

static const json_t *field_def(const json_t *defs, const char *name)
{
	size_t i;
	json_t *f;

	json_array_foreach(defs, i, f)
		if (!strcmp(str(f, "name") ?: "", name))
			return f;
	return NULL;
}

/* The data that the plain rendering reads to name codes. */
struct names {
	struct cases *c;
	const json_t *defs;     /* the kind's fields */
	const json_t *matter;   /* the case's matter, or NULL */
};

static const json_t *matter_by_code(struct cases *c, const char *code)
{
	const json_t *m;
	size_t i;

	json_array_foreach(json_object_get(cases_matters(c), "matters"), i, m)
		if (!strcmp(str(m, "code") ?: "", code ?: ""))
			return m;
	return NULL;
}

/* Appends "显示名（login）" for a staff login, else the text itself. */
static void append_person(struct cases *c, const char *name, struct buf *b)
{
	struct error err = { 0 };
	json_t *u = NULL;
	const char *p;

	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
			break;
	if (!*p && name[0] && cases_user_get(c, name, &u, &err) == 0 &&
	    str(u, "display_name") && str(u, "display_name")[0])
		buf_printf(b, "%s（%s）", str(u, "display_name"), name);
	else
		buf_puts(b, name);
	error_clear(&err);
	json_decref(u);
}

static const char *role_name(struct cases *c, const char *code)
{
	const json_t *r;
	size_t i;

	json_array_foreach(json_object_get(cases_kinds(c), "roles"), i, r)
		if (!strcmp(str(r, "code") ?: "", code ?: ""))
			return str(r, "name");
	return code;
}

static void append_value(const struct names *nm, const json_t *v,
			 struct buf *b);

/* A signature as a line: 审核人：赵某（zhao.rev），工作人员电子签名，时间. */
static void append_signature(const struct names *nm, const json_t *sig,
			     struct buf *b)
{
	const char *method = str(sig, "method");
	const char *key;
	json_t *e;

	buf_printf(b, "%s：", role_name(nm->c, str(sig, "role")) ?: "签名人");
	append_person(nm->c, str(sig, "person") ?: "", b);
	buf_printf(b, "，%s",
		   lookup(sign_methods, ARRAY_SIZE(sign_methods), method)
			   ?: method ?: "");
	if (str(sig, "at")) {
		buf_puts(b, "，");
		append_value(nm, json_object_get(sig, "at"), b);
	}
	if (json_is_integer(json_object_get(sig, "attachment")))
		buf_printf(b, "，见附件%" JSON_INTEGER_FORMAT,
			   json_integer_value(json_object_get(sig,
							      "attachment")) +
				   1);
	json_object_foreach((json_t *)sig, key, e) {
		if (!strcmp(key, "role") || !strcmp(key, "person") ||
		    !strcmp(key, "method") || !strcmp(key, "at") ||
		    !strcmp(key, "attachment"))
			continue;
		buf_printf(b, "，%s：", key);
		append_value(nm, e, b);
	}
}

/* Appends a value as text: dates in Chinese, arrays one item a line. */
static void append_value(const struct names *nm, const json_t *v,
			 struct buf *b)
{
	const char *text = json_string_value(v), *key;
	char date[128];
	json_t *e;
	size_t i;

	if (text && strlen(text) >= 10 && text[4] == '-' && text[7] == '-' &&
	    format_cn_date(text, strlen(text) > 10, date, sizeof(date)) == 0)
		buf_puts(b, date);
	else if (text)
		append_person(nm->c, text, b);
	else if (json_is_boolean(v))
		buf_puts(b, json_is_true(v) ? "是" : "否");
	else if (json_is_integer(v))
		buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_array(v))
		json_array_foreach(v, i, e) {
			if (i)
				buf_puts(b, json_is_object(e) ? "\n" : "、");
			append_value(nm, e, b);
		}
	else if (json_is_object(v))
		json_object_foreach((json_t *)v, key, e) {
			if (b->len && b->data[b->len - 1] != '\n')
				buf_puts(b, "，");
			buf_printf(b, "%s：", key);
			append_value(nm, e, b);
		}
}

/* The text of field name: codes by their names where they are known. */
static char *field_text(const struct names *nm, const char *name,
			const json_t *v)
{
	const json_t *def = field_def(nm->defs, name), *m;
	const char *type = str(def, "type") ?: "", *label;
	struct buf b = BUF_INIT_MAX(1 << 20);
	json_t *e;
	size_t i;
	char *out;

	if (!strcmp(type, "enum") && json_is_string(v) &&
	    (label = lookup(enum_names, ARRAY_SIZE(enum_names),
			    json_string_value(v))))
		buf_puts(&b, label);
	else if (!strcmp(name, "matter") && json_is_string(v) &&
		 (m = matter_by_code(nm->c, json_string_value(v))))
		buf_printf(&b, "%s（%s）", str(m, "name") ?: "",
			   json_string_value(v));
	else if (!strcmp(name, "materials") && json_is_array(v))
		json_array_foreach(v, i, e) {
			const json_t *mat;
			size_t j;

			label = NULL;
			json_array_foreach(json_object_get(nm->matter,
							   "materials"),
					   j, mat)
				if (!strcmp(str(mat, "code") ?: "",
					    json_string_value(e) ?: ""))
					label = str(mat, "name");
			if (i)
				buf_puts(&b, "\n");
			buf_puts(&b, label ? label : json_string_value(e) ?: "");
		}
	else if (!strcmp(name, "signatures") && json_is_array(v))
		json_array_foreach(v, i, e) {
			if (i)
				buf_puts(&b, "\n");
			append_signature(nm, e, &b);
		}
	else
		append_value(nm, v, &b);
	out = strdup(b.data ? b.data : "");
	buf_release(&b);
	return out;
}

struct rows {
	char **cells;
	size_t n, cap;
};

static int row_add(struct rows *r, const char *label, char *value)
{
	if (r->n + 2 > r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 32;
		char **cells = realloc(r->cells, cap * sizeof(*cells));

		if (!cells) {
			free(value);
			return CT_ENOMEM;
		}
		r->cells = cells;
		r->cap = cap;
	}
	r->cells[r->n++] = strdup(label);
	r->cells[r->n++] = value ? value : strdup("____");
	return 0;
}

static int add_head_rows(struct cases *c, const json_t *rec, struct rows *r)
{
	char seq[32], when[128];
	json_t *u = NULL;
	struct error err = { 0 };
	const char *actor = str(rec, "actor") ?: "";
	int rc;

	snprintf(seq, sizeof(seq), "%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(rec, "seq")));
	rc = row_add(r, "记录序号", strdup(seq));
	if (rc == 0)
		rc = row_add(r, "记录类型", strdup(str(rec, "name") ?:
						   str(rec, "kind") ?: ""));
	if (rc == 0)
		rc = row_add(r, "案件编号", strdup(str(rec, "case") ?: ""));
	if (rc == 0 &&
	    format_cn_date(str(rec, "happened"), 1, when, sizeof(when)) == 0)
		rc = row_add(r, "发生时间", strdup(when));
	if (rc == 0 &&
	    format_cn_date(str(rec, "recorded"), 1, when, sizeof(when)) == 0)
		rc = row_add(r, "记录时间", strdup(when));
	if (rc == 0 && cases_user_get(c, actor, &u, &err) == 0 &&
	    str(u, "display_name"))
		snprintf(when, sizeof(when), "%s（%s）", str(u, "display_name"),
			 actor);
	else
		snprintf(when, sizeof(when), "%s", actor);
	json_decref(u);
	return rc ? rc : row_add(r, "记录人", strdup(when));
}

static int record_items(struct documents *d, const json_t *rec,
			struct items *it)
{
	struct cases *c = access_cases(d->a);
	const json_t *defs = kind_fields(c, str(rec, "kind") ?: "");
	const json_t *fields = json_object_get(rec, "fields");
	struct rows r = { 0 };
	const char *name;
	json_t *v;
	json_t *shown = NULL;
	struct error err = { 0 };
	struct names nm = { .c = c, .defs = defs };
	int rc =
	    items_add(it, ITEM_TITLE, str(rec, "name") ?: str(rec, "kind"));

	if (rc == 0)
		rc = add_head_rows(c, rec, &r);
	if (rc == 0 && !fields)
		rc = row_add(&r, "内容", strdup("（内容已依法销毁）"));
	if (cases_show(c, str(rec, "case") ?: "", &shown, &err) == 0)
		nm.matter = matter_by_code(c, str(json_object_get(shown,
								  "matter"),
						  "code"));
	error_clear(&err);
	json_object_foreach((json_t *)fields, name, v) {
		if (rc == 0)
			rc = row_add(&r, field_label(defs, name),
				     field_text(&nm, name, v));
	}
	json_decref(shown);
	if (rc == 0) {
		rc = items_add_table(it, r.cells, r.n / 2, 2, 0, 1);
		r.cells = NULL;
	}
	for (size_t i = 0; r.cells && i < r.n; i++)
		free(r.cells[i]);
	free(r.cells);
	return rc;
}

int documents_render_record(struct documents *d, const char *case_id,
			    uint64_t seq, struct buf *pdf, struct error *err)
{
	struct ledger *l = access_ledger(d->a);
	struct items it = { 0 };
	struct page_setup ps = { 0 };
	char qr[1024], leaf_text[HASH_TEXT_MAX];
	uint8_t leaf[HASH_LEN];
	json_t *rec = NULL;
	int rc = cases_record_get(access_cases(d->a), seq, &rec, err);

	if (rc == 0 && strcmp(str(rec, "case") ?: "", case_id))
		rc = error_set(err, CT_ENOTFOUND,
			       "record %" PRIu64 " is not a "
			       "record of case %s",
			       seq, case_id);
	if (rc == 0)
		rc = ledger_leaf(l, seq, leaf, err);
	if (rc == 0) {
		hash_format(ledger_config(l)->alg, leaf, leaf_text);
		snprintf(qr, sizeof(qr), "casetrail:%s?seq=%" PRIu64 "&leaf=%s",
			 ledger_config(l)->origin, seq, leaf_text);
		ps.title = str(rec, "name");
		ps.date = str(rec, "recorded");
		ps.qr_text = qr;
		rc = record_items(d, rec, &it);
		if (rc)
			rc = error_set(err, rc, "out of memory");
	}
	if (rc == 0) {
		pthread_mutex_lock(&d->mu);
		rc = layout_render(&ps, &it, pdf, err);
		pthread_mutex_unlock(&d->mu);
	}
	items_release(&it);
	json_decref(rec);
	return rc;
}
