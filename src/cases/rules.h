/*
 * The registry of finding codes: every rule the findings module applies,
 * with its severity, its statement in Chinese and English citing the
 * article it enforces, who is responsible and how a finding is cured.
 * docs/findings.md's table is checked against it, and `casetrail
 * findings --rules` and GET /api/v1/findings/rules list it.
 */
#ifndef CASETRAIL_CASES_RULES_H
#define CASETRAIL_CASES_RULES_H

#include <jansson.h>
#include <stddef.h>

struct finding_rule {
	const char *code;
	const char *severity;     /* "major" or "minor" */
	const char *scope;        /* "case", or "store" for no case */
	const char *basis;        /* the article, e.g. 行政许可法第三十八条 */
	const char *statement_zh; /* the rule in plain words */
	const char *statement_en;
	const char *responsible;  /* who is named responsible */
	const char *cure;         /* what cures it; NULL when not curable */
	const char *old_code;     /* a former name of the code, or NULL */
};

/* The registry, in the order of docs/findings.md; *n gets its size. */
const struct finding_rule *finding_rules(size_t *n);

/* The rule of code, also found by its old_code; NULL when unknown. */
const struct finding_rule *finding_rule_find(const char *code);

/* The registry as {"items": [{code, severity, scope, basis, statement:
 * {zh, en}, responsible, cure, curable, old_code?}], "total"}. */
json_t *finding_rules_json(void);

#endif
