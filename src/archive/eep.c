/*
 * The electronic records package (EEP) of DA/T 48-2009 for a case file:
 * one XML file, eep.xml, whose 被签名对象 (signed object) describes the
 * package (type, creation time and unit) and its content at the
 * aggregation level 案卷: the 档号, the retention period, the catalogue
 * (卷内目录), the closing note (备考表) and one 文件实体块 per record with
 * its metadata and the hashes of its files. The 电子签名块 holds the
 * bureau seal's SM2 signature over the exact bytes of the serialised
 * 被签名对象 element.
 *
 * The document is written without indentation, so the element's bytes
 * inside the file are exactly those xmlNodeDump gives for it alone: a
 * verifier cuts them out of the file from "<被签名对象" to its end tag.
 */
#include "common/common.h"

#include <libxml/tree.h>

#include "crypto/crypto.h"
#include "internal.h"

#define X(s) ((const xmlChar *)(s))

static xmlNodePtr text_child(xmlNodePtr parent, const char *name,
			     const char *text)
{
	return xmlNewTextChild(parent, NULL, X(name), X(text ? text : ""));
}

static const char *jstr(const json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s ? s : "";
}

static void int_child(xmlNodePtr parent, const char *name, json_int_t v)
{
	char text[32];

	snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, v);
	text_child(parent, name, text);
}

/* One 文件实体块 for a record: its metadata and files. */
static void entity_block(xmlNodePtr parent, const json_t *r)
{
	xmlNodePtr blk = xmlNewChild(parent, NULL, X("文件实体块"), NULL);
	xmlNodePtr meta = xmlNewChild(blk, NULL, X("元数据"), NULL);
	const json_t *f;
	size_t i;

	int_child(meta, "序号", json_integer_value(json_object_get(r, "no")));
	int_child(meta, "记录号", json_integer_value(json_object_get(r, "seq")));
	text_child(meta, "题名", jstr(r, "title"));
	text_child(meta, "记录类型", jstr(r, "kind"));
	text_child(meta, "文号", jstr(r, "number"));
	text_child(meta, "责任者", jstr(r, "actor_name")[0]
					   ? jstr(r, "actor_name")
					   : jstr(r, "actor"));
	text_child(meta, "责任者账号", jstr(r, "actor"));
	text_child(meta, "日期", jstr(r, "date"));
	int_child(meta, "页数", json_integer_value(json_object_get(r, "pages")));
	json_array_foreach(json_object_get(r, "files"), i, f) {
		xmlNodePtr e = xmlNewChild(blk, NULL, X("文件实体"), NULL);
		xmlNodePtr h;

		text_child(e, "文件名", jstr(f, "path"));
		text_child(e, "用途", jstr(f, "role"));
		int_child(e, "计算机文件大小",
			  json_integer_value(json_object_get(f, "size")));
		h = text_child(e, "哈希值", jstr(f, "sha256"));
		xmlNewProp(h, X("算法"), X("SHA-256"));
		h = text_child(e, "哈希值", jstr(f, "sm3"));
		xmlNewProp(h, X("算法"), X("SM3"));
	}
}

static void catalogue(xmlNodePtr parent, const json_t *pkg)
{
	xmlNodePtr cat = xmlNewChild(parent, NULL, X("卷内目录"), NULL);
	const json_t *r;
	size_t i;

	json_array_foreach(json_object_get(pkg, "catalogue"), i, r) {
		xmlNodePtr row = xmlNewChild(cat, NULL, X("条目"), NULL);

		int_child(row, "序号", json_integer_value(json_object_get(r,
								   "no")));
		text_child(row, "文号", jstr(r, "number"));
		text_child(row, "责任者", jstr(r, "actor"));
		text_child(row, "责任者账号", jstr(r, "login"));
		text_child(row, "题名", jstr(r, "title"));
		text_child(row, "日期", jstr(r, "date"));
		text_child(row, "页号", jstr(r, "pages"));
		text_child(row, "备注", jstr(r, "note"));
	}
}

static void closing(xmlNodePtr parent, const json_t *c)
{
	xmlNodePtr n = xmlNewChild(parent, NULL, X("备考表"), NULL);

	int_child(n, "件数", json_integer_value(json_object_get(c, "items")));
	int_child(n, "页数", json_integer_value(json_object_get(c, "pages")));
	int_child(n, "音像文件数",
		  json_integer_value(json_object_get(c, "av_files")));
	text_child(n, "立卷人", jstr(c, "preparer"));
	text_child(n, "立卷人账号", jstr(c, "preparer_login"));
	text_child(n, "检查人", jstr(c, "checker"));
	text_child(n, "立卷时间", jstr(c, "date"));
	text_child(n, "纸质原件存放位置", jstr(c, "paper_location"));
}

static void signed_object(xmlNodePtr root, const json_t *pkg)
{
	xmlNodePtr so = xmlNewChild(root, NULL, X("被签名对象"), NULL);
	xmlNodePtr content, vol, orig;
	const json_t *o = json_object_get(pkg, "original"), *r;
	int amended = o != NULL;
	size_t i;

	xmlNewProp(so, X("eep版本"), X("2009"));
	text_child(so, "封装包类型", amended ? "修改型" : "原始型");
	text_child(so, "封装包类型描述",
		   amended ? "本封装包是对原封装包的修改，原封装包完整封装于其中"
			   : "本封装包包含案卷的电子文件及其元数据，原始封装，未经修改");
	text_child(so, "封装包创建时间", jstr(pkg, "created"));
	text_child(so, "封装包创建单位", jstr(pkg, "unit"));
	content = xmlNewChild(so, NULL, X("封装内容"), NULL);
	if (amended) {
		xmlNodePtr mod = xmlNewChild(content, NULL, X("修改封装内容"),
					     NULL);

		orig = xmlNewChild(mod, NULL, X("原封装包"), NULL);
		text_child(orig, "文件名", jstr(o, "path"));
		text_child(orig, "记录号", jstr(o, "seal"));
		xmlNewProp(text_child(orig, "哈希值", jstr(o, "sha256")),
			   X("算法"), X("SHA-256"));
		content = xmlNewChild(mod, NULL, X("修改层"), NULL);
	}
	vol = xmlNewChild(content, NULL, X("案卷"), NULL);
	xmlNewProp(vol, X("聚合层次"), X("案卷"));
	text_child(vol, "档号", jstr(pkg, "reference"));
	text_child(vol, "案件编号", jstr(pkg, "case"));
	text_child(vol, "题名", jstr(pkg, "title"));
	text_child(vol, "全宗号", jstr(pkg, "fonds"));
	text_child(vol, "保管期限", jstr(pkg, "retention_name"));
	text_child(vol, "保管期限代码", jstr(pkg, "retention"));
	catalogue(vol, pkg);
	closing(vol, json_object_get(pkg, "closing"));
	json_array_foreach(json_object_get(pkg, "records"), i, r)
		entity_block(vol, r);
}

/* Appends the 电子签名块 with the seal's signature of signed[0 .. len). */
static int sign_block(xmlNodePtr root, const json_t *pkg, struct key *seal,
		      const char *seal_pem, const xmlChar *signed_bytes,
		      size_t len, struct error *err)
{
	xmlNodePtr blk = xmlNewChild(root, NULL, X("电子签名块"), NULL);
	xmlNodePtr sig, cert;
	uint8_t raw[SIG_MAX], der[SM2_SIG_DER_MAX];
	struct buf b64 = BUF_INIT_MAX(1024);
	size_t siglen;
	int n, rc;

	rc = key_sign(seal, signed_bytes, len, raw, &siglen, err);
	n = rc == 0 ? sm2_sig_der(raw, der) : 0;
	if (rc == 0 && (n <= 0 || base64_encode(der, (size_t)n, &b64)))
		rc = error_set(err, CT_ECRYPTO, "cannot encode the package "
			       "signature");
	if (rc == 0) {
		sig = xmlNewChild(blk, NULL, X("电子签名"), NULL);
		text_child(sig, "签名标识符", json_object_get(pkg, "original")
							? "修改1" : "原始");
		text_child(sig, "签名规则", "SM2 (GB/T 32918) with SM3 and the "
			   "ID 1234567812345678 over the UTF-8 bytes of the "
			   "被签名对象 element as it stands in this file; the "
			   "result is a DER SM2 signature in base64");
		text_child(sig, "签名时间", jstr(pkg, "created"));
		text_child(sig, "签名人", jstr(pkg, "unit"));
		text_child(sig, "签名结果", b64.data);
		cert = xmlNewChild(sig, NULL, X("证书块"), NULL);
		text_child(cert, "证书", seal_pem);
		text_child(cert, "证书引用", "data/keys/seal.pem");
		text_child(sig, "签名算法标识", "1.2.156.10197.1.501");
	}
	buf_release(&b64);
	return rc;
}

/* Finds the serialised 被签名对象 element in a dumped document. */
static int signed_range(const xmlChar *mem, int len, size_t *off,
			size_t *n)
{
	static const char start[] = "<被签名对象", end[] = "</被签名对象>";
	const char *p = memmem(mem, (size_t)len, start, sizeof(start) - 1);
	const char *q = p ? memmem(p, (size_t)len - (size_t)(p - (const char *)mem),
				   end, sizeof(end) - 1)
			  : NULL;

	if (!q)
		return -1;
	*off = (size_t)(p - (const char *)mem);
	*n = (size_t)(q - p) + sizeof(end) - 1;
	return 0;
}

/*
 * The document is dumped once unsigned, and the seal signs the element's
 * bytes as they stand in that dump; without indentation, adding the
 * signature block after it leaves those bytes as they are.
 */
int eep_write(const json_t *pkg, struct key *seal, const char *seal_pem,
	      struct buf *out, struct error *err)
{
	xmlDocPtr doc = xmlNewDoc(X("1.0"));
	xmlNodePtr root = xmlNewNode(NULL, X("电子文件封装包"));
	xmlChar *mem = NULL;
	size_t off = 0, n = 0;
	int len = 0, rc = 0;

	xmlDocSetRootElement(doc, root);
	text_child(root, "封装包格式描述", "本EEP根据中华人民共和国档案行业标准"
		   "DA/T 48-2009《基于XML的电子文件封装规范》生成");
	text_child(root, "版本", "2009");
	signed_object(root, pkg);
	if (seal) {
		xmlDocDumpMemoryEnc(doc, &mem, &len, "UTF-8");
		if (!mem || signed_range(mem, len, &off, &n))
			rc = error_set(err, CT_ENOMEM, "cannot write the "
				       "package XML");
		if (rc == 0)
			rc = sign_block(root, pkg, seal, seal_pem, mem + off,
					n, err);
		xmlFree(mem);
		mem = NULL;
	}
	if (rc == 0) {
		xmlDocDumpMemoryEnc(doc, &mem, &len, "UTF-8");
		if (!mem || buf_append(out, mem, (size_t)len))
			rc = error_set(err, CT_ENOMEM, "cannot write the "
				       "package XML");
	}
	xmlFree(mem);
	xmlFreeDoc(doc);
	return rc;
}
