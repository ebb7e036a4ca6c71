#!/usr/bin/env python3
"""Check the bureau data files against the formats of docs/data.md.

Usage: check_data.py DATA_DIR

Reads laws.json, matters.json, record-kinds.json and access.json from
DATA_DIR, bureau.json and the document templates of DATA_DIR/documents,
and DATA_DIR/calendar when that folder exists. Prints nothing
and exits 0 when every file is valid. Otherwise prints one line per
problem to stderr, naming the file, the JSON path and the bad value, and
exits 1. Exits 2 on a usage error.
Standard library only, so that a bureau can run it without casetrail.
"""

import datetime
import hashlib
import json
import os
import re
import sys

CODE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SHA256_LINE = re.compile(r"^([0-9a-f]{64})  (\d{4}\.json)$")

STAGES = ["application", "acceptance", "investigation", "decision", "service", "archive"]
FIELD_TYPES = {
    "string", "text", "integer", "boolean", "date", "datetime", "enum", "strings",
    "user", "users", "law", "laws", "object", "objects", "seq",
}
# Types whose min and max bound a length or a value (docs/data.md).
BOUNDED_TYPES = {"integer", "string", "text", "strings", "users", "laws", "objects"}
# Members that every record may carry, so no field spec may use these names.
RESERVED_FIELDS = {"signatures", "confirmation", "av", "av_exemption", "number", "mark"}
SIGN_METHODS = {"staff", "pad", "paper", "seal", "refused"}
# The confidentiality marks of casetrail; state secrets are never stored.
CONFIDENTIALITY = {"none", "commercial-secret", "personal", "sensitive-personal"}
# Field names that hold a person's contact data or an identity number: a
# kind that has one carries personal information and may not be "none".
PERSONAL_FIELDS = {"phone", "email", "address"}
LIMIT_NAMES = {
    "acceptance", "decision", "extension", "delivery", "hearing-request", "hearing",
    "hearing-notice", "renewal",
}
LIMIT_UNITS = {"working_days", "calendar_days", "hours"}
RETENTION = {"10y", "30y", "permanent"}
MATTER_FLAGS = ["joint", "on_the_spot", "inspection", "hearing", "legal_review",
                "collective_discussion"]

# The record kinds the workflow code refers to by code.
REQUIRED_KINDS = [
    "application", "spot-correction", "material-receipt", "acceptance-notice", "refusal",
    "supplement-notice", "time-limit-notice", "address-confirmation", "rights-notice",
    "recusal-request", "recusal-decision", "interested-party-notice", "inquiry-transcript",
    "evidence-collection-notice", "evidence-preservation-list", "onsite-verification",
    "statement-transcript", "hearing-request", "hearing-notice", "hearing-record",
    "hearing-report", "appraisal-opinion", "expert-opinion", "expert-panel-report",
    "refusal-to-cooperate", "assignment", "proposed-decision", "legal-review",
    "collective-discussion", "approval-step", "extension", "suspension", "resumption",
    "decision", "licence-issue", "service-direct", "service-left", "service-mail",
    "service-electronic", "service-announcement", "withdrawal", "termination",
    "complaint", "note", "correction",
]
REQUIRED_ROLES = [
    "clerk", "handler", "reviewer", "legal", "approver", "head", "archivist", "supervisor",
    "sysadmin", "secadmin", "auditor", "case-auditor",
]

# The Administrative Licensing Law's limits that every licence carries:
# name -> (value, unit, direction), from its articles 32, 42, 44, 47 and 48.
LICENCE_LIMITS = {
    "acceptance": (5, "working_days", "after"),
    "delivery": (10, "working_days", "after"),
    "hearing-request": (5, "calendar_days", "after"),
    "hearing": (20, "working_days", "after"),
    "hearing-notice": (7, "calendar_days", "before"),
}
# Joint handling (article 42, paragraph 2): 45 working days, extended by 15.
JOINT_DECISION, JOINT_EXTENSION = 45, 15
LICENCE_EXTENSION = 10


class Problems:
    """Collects problems as 'file: path: message' lines."""

    def __init__(self):
        self.lines = []

    def add(self, where, message):
        self.lines.append("%s: %s" % (where, message))


def show(value):
    return json.dumps(value, ensure_ascii=False)


def reject_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError("member %s appears twice in one object" % show(key))
        seen[key] = value
    return seen


def load(path, problems):
    """Load a UTF-8 JSON file, rejecting duplicate members. Return None on failure."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f, object_pairs_hook=reject_duplicates)
    except FileNotFoundError:
        problems.add(path, "file not found")
    except (UnicodeDecodeError, ValueError) as e:
        problems.add(path, "invalid JSON: %s" % e)
    return None


def check_members(obj, where, required, optional, problems):
    """Check that obj is an object with all required members and no others."""
    if not isinstance(obj, dict):
        problems.add(where, "must be an object, not %s" % show(obj))
        return False
    for name in required:
        if name not in obj:
            problems.add(where, "member %s is missing" % show(name))
    for name in obj:
        if name not in required and name not in optional:
            problems.add(where, "unknown member %s" % show(name))
    return True


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def is_date(value):
    if not isinstance(value, str) or not DATE.match(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def check_file_version(value, where, problems):
    if not is_date(value):
        problems.add(where, "%s is not a YYYY-MM-DD date" % show(value))


def check_text(value, where, problems):
    if not isinstance(value, str) or not value.strip():
        problems.add(where, "must be a non-empty string, not %s" % show(value))
        return False
    return True


def check_code(value, where, problems):
    if not isinstance(value, str) or not CODE.match(value):
        problems.add(where, "%s is not a code (lower-case ASCII words joined by '-')"
                     % show(value))
        return False
    return True


def check_list(value, where, problems, allow_empty=False):
    if not isinstance(value, list) or (not value and not allow_empty):
        problems.add(where, "must be a%s list, not %s"
                     % ("" if allow_empty else " non-empty", show(value)))
        return []
    return value


def check_numbered(entries, where, problems):
    """Check that entries carry no = 1, 2, 3 ... in order."""
    for i, entry in enumerate(entries):
        no = entry.get("no") if isinstance(entry, dict) else None
        if no != i + 1:
            problems.add("%s[%d].no" % (where, i),
                         "is %s; expected %d (numbered from 1 in order)" % (show(no), i + 1))


# laws.json


def check_laws(data, problems):
    """Check laws.json and return its index.

    The index maps law id -> version -> article no -> paragraph no -> the set
    of item numbers, which is what a citation needs to resolve.
    """
    where = "laws.json"
    library = {}
    if not check_members(data, where, ["version", "laws", "sources"], [], problems):
        return library
    check_file_version(data.get("version"), where + ": version", problems)
    for i, law in enumerate(check_list(data.get("laws"), where + ": laws", problems)):
        check_law(law, "%s: laws[%d]" % (where, i), library, problems)
    check_sources(data.get("sources"), where + ": sources", library, problems)
    return library


def check_law(law, where, library, problems):
    if not check_members(law, where, ["id", "title", "versions"], [], problems):
        return
    law_id = law.get("id")
    if not check_code(law_id, where + ".id", problems):
        return
    if law_id in library:
        problems.add(where + ".id", "%s is listed twice" % show(law_id))
        return
    where = "%s (%s)" % (where, law_id)
    check_text(law.get("title"), where + ".title", problems)
    versions = library[law_id] = {}
    listed = check_list(law.get("versions"), where + ".versions", problems)
    for j, version in enumerate(listed):
        vwhere = "%s.versions[%d]" % (where, j)
        members = ["version", "effective", "articles"]
        if not check_members(version, vwhere, members, [], problems):
            continue
        label = version.get("version")
        if not (is_date(label) or (isinstance(label, str) and CODE.match(label))):
            problems.add(vwhere + ".version", "%s is neither a YYYY-MM-DD date nor a code"
                         % show(label))
            continue
        if label in versions:
            problems.add(vwhere + ".version", "%s is listed twice" % show(label))
            continue
        effective = version.get("effective")
        if effective is not None and not is_date(effective):
            problems.add(vwhere + ".effective", "%s is not a YYYY-MM-DD date or null"
                         % show(effective))
        versions[label] = check_articles(version.get("articles"), vwhere + ".articles",
                                         problems)


def check_articles(articles, where, problems):
    """Check the articles of one version and return {article no: {paragraph no: item nos}}."""
    found = {}
    previous = 0
    for k, article in enumerate(check_list(articles, where, problems)):
        awhere = "%s[%d]" % (where, k)
        if not check_members(article, awhere, ["no", "text", "paragraphs"], [], problems):
            continue
        no = article.get("no")
        if not is_int(no) or no < 1 or no <= previous:
            problems.add(awhere + ".no", "%s must be an integer above the article before "
                         "it (%d)" % (show(no), previous))
            continue
        previous = no
        check_text(article.get("text"), awhere + ".text", problems)
        paragraphs = check_list(article.get("paragraphs"), awhere + ".paragraphs", problems)
        check_numbered(paragraphs, awhere + ".paragraphs", problems)
        entry = {}
        for p, paragraph in enumerate(paragraphs):
            pwhere = "%s.paragraphs[%d]" % (awhere, p)
            if not check_members(paragraph, pwhere, ["no", "text"], ["items"], problems):
                continue
            check_text(paragraph.get("text"), pwhere + ".text", problems)
            items = []
            if "items" in paragraph:
                items = check_list(paragraph["items"], pwhere + ".items", problems)
            check_numbered(items, pwhere + ".items", problems)
            for q, item in enumerate(items):
                iwhere = "%s.items[%d]" % (pwhere, q)
                if check_members(item, iwhere, ["no", "text"], [], problems):
                    check_text(item.get("text"), iwhere + ".text", problems)
            entry[paragraph.get("no")] = {item.get("no") for item in items
                                          if isinstance(item, dict)}
        found[no] = entry
    return found


def check_sources(sources, where, library, problems):
    """Check that every law version has exactly one source entry."""
    covered = set()
    for i, source in enumerate(check_list(sources, where, problems)):
        swhere = "%s[%d]" % (where, i)
        members = ["law", "version", "published", "document", "official", "checked"]
        if not check_members(source, swhere, members, [], problems):
            continue
        key = (source.get("law"), source.get("version"))
        if key[0] not in library or key[1] not in library[key[0]]:
            problems.add(swhere, "names law %s version %s, which the library does not have"
                         % (show(key[0]), show(key[1])))
            continue
        if key in covered:
            problems.add(swhere, "law %s version %s has a second source entry"
                         % (show(key[0]), show(key[1])))
        covered.add(key)
        published = source.get("published")
        if published is not None and not is_date(published):
            problems.add(swhere + ".published", "%s is not a YYYY-MM-DD date or null"
                         % show(published))
        check_text(source.get("document"), swhere + ".document", problems)
        if source.get("official") is not None:
            check_text(source.get("official"), swhere + ".official", problems)
        check_text(source.get("checked"), swhere + ".checked", problems)
    for law_id, versions in library.items():
        for label in versions:
            if (law_id, label) not in covered:
                problems.add(where, "law %s version %s has no source entry"
                             % (show(law_id), show(label)))


def check_citation(cite, where, library, problems):
    """Check that a citation resolves to an article, paragraph or item."""
    if not check_members(cite, where, ["law", "version", "article"], ["paragraph", "item"],
                         problems):
        return
    law, version = cite.get("law"), cite.get("version")
    if law not in library:
        problems.add(where, "cites law %s, which is not in laws.json" % show(law))
        return
    if version not in library[law]:
        problems.add(where, "cites version %s of law %s, which laws.json does not have"
                     % (show(version), show(law)))
        return
    articles = library[law][version]
    article, paragraph, item = cite.get("article"), cite.get("paragraph"), cite.get("item")
    name = "%s %s" % (law, version)
    if not is_int(article) or article not in articles:
        problems.add(where, "cites article %s of %s, which laws.json does not have"
                     % (show(article), name))
        return
    if "item" in cite and "paragraph" not in cite:
        problems.add(where, "cites an item without its paragraph")
        return
    if "paragraph" in cite:
        if not is_int(paragraph) or paragraph not in articles[article]:
            problems.add(where, "cites paragraph %s of article %d of %s, which does not exist"
                         % (show(paragraph), article, name))
            return
        if "item" in cite and (not is_int(item) or item not in articles[article][paragraph]):
            problems.add(where, "cites item %s of article %d paragraph %d of %s, which does "
                         "not exist" % (show(item), article, paragraph, name))


# matters.json


def check_matters(data, library, problems):
    where = "matters.json"
    if not check_members(data, where, ["version", "matters"], [], problems):
        return
    check_file_version(data.get("version"), where + ": version", problems)
    codes = set()
    for i, matter in enumerate(check_list(data.get("matters"), where + ": matters", problems)):
        mwhere = "%s: matters[%d]" % (where, i)
        code = matter.get("code") if isinstance(matter, dict) else None
        if isinstance(code, str):
            mwhere += " (%s)" % code
            if code in codes:
                problems.add(mwhere + ".code", "%s is listed twice" % show(code))
            codes.add(code)
        check_matter(matter, mwhere, library, problems)


def check_matter(matter, where, library, problems):
    members = ["code", "name", "type", "basis", "materials", "limits", "retention"]
    if not check_members(matter, where, members + MATTER_FLAGS, [], problems):
        return
    check_code(matter.get("code"), where + ".code", problems)
    check_text(matter.get("name"), where + ".name", problems)
    mtype = matter.get("type")
    if mtype not in ("licence", "confirmation"):
        problems.add(where + ".type", "%s; use licence or confirmation" % show(mtype))
    for i, cite in enumerate(check_list(matter.get("basis"), where + ".basis", problems)):
        check_citation(cite, "%s.basis[%d]" % (where, i), library, problems)
    check_materials(matter.get("materials"), where + ".materials", problems)
    for flag in MATTER_FLAGS:
        if not isinstance(matter.get(flag), bool):
            problems.add("%s.%s" % (where, flag), "%s must be true or false"
                         % show(matter.get(flag)))
    if matter.get("retention") not in RETENTION:
        problems.add(where + ".retention", "%s; use one of %s"
                     % (show(matter.get("retention")), ", ".join(sorted(RETENTION))))

    limits = check_limits(matter.get("limits"), where + ".limits", problems)
    if mtype == "licence":
        check_licence_limits(limits, matter.get("joint") is True, where + ".limits", problems)
    elif mtype == "confirmation":
        if matter.get("joint") is True:
            problems.add(where + ".joint", "a confirmation is not handled under the Licensing "
                         "Law's joint handling; set it false")
        if ("decision", "statutory") not in limits:
            problems.add(where + ".limits", "a confirmation needs the statutory decision "
                         "limit of its own basis")


def check_materials(materials, where, problems):
    codes = set()
    for i, material in enumerate(check_list(materials, where, problems)):
        mwhere = "%s[%d]" % (where, i)
        if not check_members(material, mwhere, ["code", "name", "required"], [], problems):
            continue
        code = material.get("code")
        if check_code(code, mwhere + ".code", problems):
            if code in codes:
                problems.add(mwhere + ".code", "%s is used twice in this matter" % show(code))
            codes.add(code)
        check_text(material.get("name"), mwhere + ".name", problems)
        if not isinstance(material.get("required"), bool):
            problems.add(mwhere + ".required", "%s must be true or false"
                         % show(material.get("required")))


def check_limits(limits, where, problems):
    """Check each limit and return them as {(name, basis): limit}."""
    found = {}
    for i, limit in enumerate(check_list(limits, where, problems)):
        lwhere = "%s[%d]" % (where, i)
        members = ["name", "value", "unit", "basis", "direction"]
        if not check_members(limit, lwhere, members, [], problems):
            continue
        name, basis = limit.get("name"), limit.get("basis")
        if name not in LIMIT_NAMES:
            problems.add(lwhere + ".name", "%s; use one of %s"
                         % (show(name), ", ".join(sorted(LIMIT_NAMES))))
        if not is_int(limit.get("value")) or limit.get("value") < 0:
            problems.add(lwhere + ".value", "%s must be an integer of 0 or more"
                         % show(limit.get("value")))
        if limit.get("unit") not in LIMIT_UNITS:
            problems.add(lwhere + ".unit", "%s; use one of %s"
                         % (show(limit.get("unit")), ", ".join(sorted(LIMIT_UNITS))))
        if basis not in ("statutory", "promised"):
            problems.add(lwhere + ".basis", "%s; use statutory or promised" % show(basis))
        if limit.get("direction") not in ("after", "before"):
            problems.add(lwhere + ".direction", "%s; use after or before"
                         % show(limit.get("direction")))
        if name == "renewal" and limit.get("direction") != "before":
            problems.add(lwhere + ".direction", "a renewal limit is counted back from expiry; "
                         "use before")
        if (name, basis) in found:
            problems.add(lwhere, "a second %s limit %s" % (basis, show(name)))
        found[(name, basis)] = limit

    # A promised limit (承诺时限) is the bureau's own, shorter commitment.
    for (name, basis), limit in found.items():
        if basis != "promised":
            continue
        statutory = found.get((name, "statutory"))
        if statutory is None:
            problems.add(where, "the promised %s limit has no statutory limit beside it"
                         % show(name))
        elif (statutory.get("unit") == limit.get("unit") and is_int(limit.get("value"))
              and is_int(statutory.get("value")) and limit["value"] > statutory["value"]):
            problems.add(where, "the promised %s limit (%d) is longer than the statutory one "
                         "(%d)" % (show(name), limit["value"], statutory["value"]))
    return found


def check_licence_limits(limits, joint, where, problems):
    """Check the limits the Licensing Law sets for every licence."""
    expected = dict(LICENCE_LIMITS)
    expected["extension"] = (JOINT_EXTENSION if joint else LICENCE_EXTENSION, "working_days",
                             "after")
    if joint:
        expected["decision"] = (JOINT_DECISION, "working_days", "after")
    elif ("decision", "statutory") not in limits:
        problems.add(where, "a licence needs a statutory decision limit")
    for name, want in sorted(expected.items()):
        limit = limits.get((name, "statutory"))
        if limit is None:
            problems.add(where, "the statutory %s limit of the Licensing Law is missing"
                         % show(name))
            continue
        have = (limit.get("value"), limit.get("unit"), limit.get("direction"))
        if have != want:
            problems.add(where, "the statutory %s limit is %s %s %s; the Licensing Law sets "
                         "%d %s %s" % ((show(name), show(have[0])) + have[1:] + want))


# record-kinds.json


def check_kinds_file(data, problems):
    where = "record-kinds.json"
    members = ["version", "stages", "roles", "exemptions", "kinds"]
    if not check_members(data, where, members, [], problems):
        return
    check_file_version(data.get("version"), where + ": version", problems)

    stages = check_named_list(data.get("stages"), where + ": stages", problems)
    if stages != STAGES:
        problems.add(where + ": stages", "lists %s; it must list the six stages %s in order"
                     % (show(stages), show(STAGES)))
    roles = check_named_list(data.get("roles"), where + ": roles", problems)
    for role in REQUIRED_ROLES:
        if role not in roles:
            problems.add(where + ": roles", "role %s is missing" % show(role))
    exemptions = check_named_list(data.get("exemptions"), where + ": exemptions", problems)

    kinds = check_kind_list(data.get("kinds"), where + ": kinds", set(roles), set(exemptions),
                            problems)
    for code in REQUIRED_KINDS:
        if code not in kinds:
            problems.add(where + ": kinds", "kind %s is missing; the workflow refers to it"
                         % show(code))
    for code, kind in kinds.items():
        if isinstance(kind, dict) and "required" in kind:
            check_required(kind["required"], "%s: kinds (%s).required" % (where, code),
                           kinds, problems)


# The case statuses a requirement's "when" may name.
CASE_STATUSES = {"open", "refused", "granted", "denied", "partial", "withdrawn", "terminated"}


def check_required(required, where, kinds, problems):
    """Check a kind's "required" list: [{by, when?}], where by is the kind
    that ends the stage (or "service") and when holds matter, type, record
    and status conditions (docs/findings.md, Required records)."""
    for i, req in enumerate(check_list(required, where, problems)):
        rwhere = "%s[%d]" % (where, i)
        if not check_members(req, rwhere, ["by"], ["when"], problems):
            continue
        if req["by"] != "service" and req["by"] not in kinds:
            problems.add(rwhere + ".by", "%s is neither a kind nor \"service\"" % show(req["by"]))
        when = req.get("when", {})
        if not check_members(when, rwhere + ".when", [],
                             ["matter", "type", "record", "status"], problems):
            continue
        if "matter" in when and when["matter"] not in MATTER_FLAGS:
            problems.add(rwhere + ".when.matter", "%s; use one of %s"
                         % (show(when["matter"]), ", ".join(MATTER_FLAGS)))
        if "type" in when and when["type"] not in ("licence", "confirmation"):
            problems.add(rwhere + ".when.type", "%s; use licence or confirmation"
                         % show(when["type"]))
        if "record" in when and when["record"] not in kinds:
            problems.add(rwhere + ".when.record", "%s is not a kind" % show(when["record"]))
        if "status" in when and when["status"] not in CASE_STATUSES:
            problems.add(rwhere + ".when.status", "%s; use one of %s"
                         % (show(when["status"]), ", ".join(sorted(CASE_STATUSES))))


def check_kind_list(kinds, where, roles, exemptions, problems):
    """Check every kind and return them by code."""
    found = {}
    numbers = {}
    for i, kind in enumerate(check_list(kinds, where, problems)):
        kwhere = "%s[%d]" % (where, i)
        code = kind.get("code") if isinstance(kind, dict) else None
        if isinstance(code, str):
            kwhere += " (%s)" % code
            if code in found:
                problems.add(kwhere + ".code", "%s is listed twice" % show(code))
            found[code] = kind
        check_kind(kind, kwhere, roles, exemptions, problems)

        # A prefix numbers one series of documents, so two kinds cannot share it.
        number = kind.get("number") if isinstance(kind, dict) else None
        if isinstance(number, str):
            if number in numbers:
                problems.add(kwhere + ".number", "prefix %s is also used by kind %s"
                             % (show(number), show(numbers[number])))
            numbers[number] = code
    return found


def check_named_list(entries, where, problems):
    """Check a list of {code, name} and return the codes in order."""
    codes = []
    for i, entry in enumerate(check_list(entries, where, problems)):
        ewhere = "%s[%d]" % (where, i)
        if not check_members(entry, ewhere, ["code", "name"], [], problems):
            continue
        code = entry.get("code")
        if check_code(code, ewhere + ".code", problems):
            if code in codes:
                problems.add(ewhere + ".code", "%s is listed twice" % show(code))
            codes.append(code)
        check_text(entry.get("name"), ewhere + ".name", problems)
    return codes


def check_kind(kind, where, roles, exemptions, problems):
    members = ["code", "name", "stage", "fields", "signers", "confirmation", "av",
               "confidentiality", "number"]
    if not check_members(kind, where, members, ["required"], problems):
        return
    check_code(kind.get("code"), where + ".code", problems)
    check_text(kind.get("name"), where + ".name", problems)
    if kind.get("stage") not in STAGES + ["any"]:
        problems.add(where + ".stage", "%s; use one of the stages or \"any\""
                     % show(kind.get("stage")))

    fields = check_fields(kind.get("fields"), where + ".fields", problems, top=True)
    check_signers(kind.get("signers"), where + ".signers", roles, fields, problems)
    if not isinstance(kind.get("confirmation"), bool):
        problems.add(where + ".confirmation", "%s must be true or false"
                     % show(kind.get("confirmation")))
    check_av(kind.get("av"), where + ".av", exemptions, problems)

    if kind.get("confidentiality") not in CONFIDENTIALITY:
        problems.add(where + ".confidentiality", "%s; use one of %s"
                     % (show(kind.get("confidentiality")), ", ".join(sorted(CONFIDENTIALITY))))
    personal = sorted(f.get("name") for f in kind.get("fields") or []
                      if isinstance(f, dict) and isinstance(f.get("name"), str)
                      and (f["name"] in PERSONAL_FIELDS or f["name"].endswith("_id")))
    if personal and kind.get("confidentiality") == "none":
        problems.add(where + ".confidentiality", "is none, but fields %s hold "
                     "personal information; use personal or sensitive-personal"
                     % ", ".join(personal))
    number = kind.get("number")
    if number is not None and (not isinstance(number, str) or not number.strip()
                               or re.search(r"\s", number)):
        problems.add(where + ".number", "%s must be null or a document-number prefix such as "
                     "\"曹审批受\"" % show(number))


def check_av(av, where, exemptions, problems):
    if not check_members(av, where, ["required", "exemptions"], [], problems):
        return
    if not isinstance(av.get("required"), bool):
        problems.add(where + ".required", "%s must be true or false"
                     % show(av.get("required")))
    listed = check_list(av.get("exemptions"), where + ".exemptions", problems,
                        allow_empty=True)
    for i, reason in enumerate(listed):
        if reason not in exemptions:
            problems.add("%s.exemptions[%d]" % (where, i),
                         "%s is not in the exemptions list" % show(reason))
    if len(set(map(show, listed))) != len(listed):
        problems.add(where + ".exemptions", "lists a reason twice")


def check_fields(fields, where, problems, top):
    """Check a list of field specs and return {name: spec} of this level."""
    found = {}
    if fields is None:
        return found  # check_members has reported the missing member
    listed = check_list(fields, where, problems, allow_empty=top)
    for i, spec in enumerate(listed):
        fwhere = "%s[%d]" % (where, i)
        members = ["name", "label", "type", "required"]
        optional = ["min", "max", "values", "fields", "when"]
        if not check_members(spec, fwhere, members, optional, problems):
            continue
        name = spec.get("name")
        if not isinstance(name, str) or not FIELD_NAME.match(name):
            problems.add(fwhere + ".name", "%s is not a field name (lower-case ASCII, digits "
                         "and '_')" % show(name))
            continue
        fwhere += " (%s)" % name
        if top and name in RESERVED_FIELDS:
            problems.add(fwhere + ".name", "%s is reserved for every record" % show(name))
        if name in found:
            problems.add(fwhere + ".name", "%s is listed twice" % show(name))
        found[name] = spec
        check_field(spec, fwhere, problems)
    for name, spec in found.items():
        if "when" in spec:
            check_when(spec["when"], "%s (%s).when" % (where, name), found, name, problems)
            if spec.get("required") is not True:
                problems.add("%s (%s).required" % (where, name),
                             "must be true: \"when\" only limits when a required field is "
                             "required")
    return found


def check_field(spec, where, problems):
    ftype = spec.get("type")
    if ftype not in FIELD_TYPES:
        problems.add(where + ".type", "%s; use one of %s"
                     % (show(ftype), ", ".join(sorted(FIELD_TYPES))))
        return
    check_text(spec.get("label"), where + ".label", problems)
    if not isinstance(spec.get("required"), bool):
        problems.add(where + ".required", "%s must be true or false"
                     % show(spec.get("required")))
    for bound in ("min", "max"):
        if bound not in spec:
            continue
        if ftype not in BOUNDED_TYPES:
            problems.add(where + "." + bound, "does not apply to type %s" % show(ftype))
        elif not is_int(spec[bound]) or spec[bound] < 0:
            problems.add(where + "." + bound, "%s must be an integer of 0 or more"
                         % show(spec[bound]))
    if is_int(spec.get("min")) and is_int(spec.get("max")) and spec["min"] > spec["max"]:
        problems.add(where, "min %d is above max %d" % (spec["min"], spec["max"]))
    if ftype == "enum":
        values = check_list(spec.get("values"), where + ".values", problems)
        for i, value in enumerate(values):
            if not isinstance(value, str) or not value:
                problems.add("%s.values[%d]" % (where, i), "%s must be a non-empty string"
                             % show(value))
        if len(set(map(show, values))) != len(values):
            problems.add(where + ".values", "lists a value twice")
    elif "values" in spec:
        problems.add(where + ".values", "only an enum has values")
    if ftype in ("object", "objects"):
        if "fields" not in spec:
            problems.add(where, "type %s needs sub-fields in \"fields\"" % show(ftype))
        else:
            check_fields(spec["fields"], where + ".fields", problems, top=False)
    elif "fields" in spec:
        problems.add(where + ".fields", "only an object or objects field has sub-fields")


def check_when(when, where, fields, own_name, problems):
    """Check a {"field", "equals"} condition against the fields of its level."""
    if not check_members(when, where, ["field", "equals"], [], problems):
        return
    target = when.get("field")
    if target == own_name or target not in fields:
        problems.add(where + ".field", "%s is not another field of this kind" % show(target))
        return
    spec, equals = fields[target], when.get("equals")
    ftype = spec.get("type")
    if ftype == "enum" and equals not in (spec.get("values") or []):
        problems.add(where + ".equals", "%s is not a value of enum field %s"
                     % (show(equals), show(target)))
    elif ftype == "boolean" and not isinstance(equals, bool):
        problems.add(where + ".equals", "%s must be true or false, as field %s is boolean"
                     % (show(equals), show(target)))
    elif (ftype in ("string", "text", "user", "date", "datetime")
          and not isinstance(equals, str)):
        problems.add(where + ".equals", "%s must be a string, as field %s is %s"
                     % (show(equals), show(target), ftype))
    elif ftype in ("integer", "seq") and not is_int(equals):
        problems.add(where + ".equals", "%s must be an integer, as field %s is %s"
                     % (show(equals), show(target), ftype))
    elif ftype not in ("enum", "boolean", "string", "text", "user", "date", "datetime",
                       "integer", "seq"):
        problems.add(where + ".field", "a condition cannot compare field %s of type %s"
                     % (show(target), ftype))


def check_signers(signers, where, roles, fields, problems):
    seen = set()
    for i, signer in enumerate(check_list(signers, where, problems, allow_empty=True)):
        swhere = "%s[%d]" % (where, i)
        if not check_members(signer, swhere, ["role", "methods", "required"],
                             ["per_page", "when"], problems):
            continue
        role = signer.get("role")
        if role not in roles:
            problems.add(swhere + ".role", "%s is not in the roles list" % show(role))
        elif role in seen:
            problems.add(swhere + ".role", "%s has a second signer entry" % show(role))
        seen.add(role)
        methods = check_list(signer.get("methods"), swhere + ".methods", problems)
        for j, method in enumerate(methods):
            if method not in SIGN_METHODS:
                problems.add("%s.methods[%d]" % (swhere, j), "%s; use one of %s"
                             % (show(method), ", ".join(sorted(SIGN_METHODS))))
        if len(set(map(show, methods))) != len(methods):
            problems.add(swhere + ".methods", "lists a method twice")
        if not isinstance(signer.get("required"), bool):
            problems.add(swhere + ".required", "%s must be true or false"
                         % show(signer.get("required")))
        if "per_page" in signer and not isinstance(signer["per_page"], bool):
            problems.add(swhere + ".per_page", "%s must be true or false"
                         % show(signer["per_page"]))
        if "when" in signer:
            check_when(signer["when"], swhere + ".when", fields, None, problems)
            if signer.get("required") is not True:
                problems.add(swhere + ".required", "must be true: \"when\" only limits when a "
                             "required signer is required")


# data/calendar


# data/access.json: copy requests and the status inquiry.
COPY_MEMBERS = ["number_prefix", "time_limit", "withhold_kinds", "withhold_marks",
                "subject_fields", "person_fields", "id_fields", "phone_fields",
                "address_fields", "email_fields", "organization_words"]
FIELD_LISTS = ["person_fields", "id_fields", "phone_fields", "address_fields",
               "email_fields"]
INQUIRY_MEMBERS = ["requests_per_minute", "lockout_after", "lockout_minutes",
                   "document_titles"]
WITHHOLD_UNLESS = {"applicant", "subject"}


def check_int_range(value, where, low, high, problems):
    if not is_int(value) or not low <= value <= high:
        problems.add(where, "%s must be an integer from %d to %d" % (show(value), low, high))


def field_paths(kinds):
    """Every field name of every kind, and parent.child for sub-fields."""
    paths = {"signatures", "signatures.person"}
    for kind in kinds.values():
        for spec in kind.get("fields") or []:
            if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
                continue
            paths.add(spec["name"])
            for sub in spec.get("fields") or []:
                if isinstance(sub, dict) and isinstance(sub.get("name"), str):
                    paths.add(spec["name"] + "." + sub["name"])
    return paths


def check_withhold(entries, where, key, known, problems):
    for i, entry in enumerate(check_list(entries, where, problems)):
        at = "%s[%d]" % (where, i)
        optional = ["unless"] if key == "mark" else []
        if not check_members(entry, at, [key, "reason"], optional, problems):
            continue
        if entry.get(key) not in known:
            problems.add(at + "." + key, "%s is not one of %s"
                         % (show(entry.get(key)), ", ".join(sorted(known))))
        check_text(entry.get("reason"), at + ".reason", problems)
        if "unless" in entry and entry["unless"] not in WITHHOLD_UNLESS:
            problems.add(at + ".unless", "%s; use %s" % (show(entry["unless"]),
                                                         " or ".join(sorted(WITHHOLD_UNLESS))))


def check_copy_requests(req, where, kinds, problems):
    if not check_members(req, where, COPY_MEMBERS, [], problems):
        return
    limit = req["time_limit"]
    if check_members(limit, where + ".time_limit", ["value", "unit"], [], problems):
        check_int_range(limit["value"], where + ".time_limit.value", 1, 365, problems)
        if limit["unit"] not in ("working_days", "calendar_days"):
            problems.add(where + ".time_limit.unit", "%s; use working_days or calendar_days"
                         % show(limit["unit"]))
    if check_text(req["number_prefix"], where + ".number_prefix", problems) and \
            len(req["number_prefix"].encode()) > 60:
        problems.add(where + ".number_prefix", "is longer than 60 bytes")
    check_withhold(req["withhold_kinds"], where + ".withhold_kinds", "kind", set(kinds),
                   problems)
    check_withhold(req["withhold_marks"], where + ".withhold_marks", "mark",
                   CONFIDENTIALITY - {"none"}, problems)
    paths = field_paths(kinds)
    subjects = req["subject_fields"]
    if not isinstance(subjects, dict):
        problems.add(where + ".subject_fields", "must map record kinds to field names")
        subjects = {}
    for kind, field in subjects.items():
        at = where + ".subject_fields." + kind
        if kind not in kinds:
            problems.add(at, "names the unknown record kind %s" % show(kind))
        elif field not in {f.get("name") for f in kinds[kind].get("fields") or []
                           if isinstance(f, dict)}:
            problems.add(at, "%s is not a field of kind %s" % (show(field), kind))
    for name in FIELD_LISTS:
        for i, path in enumerate(check_list(req[name], where + "." + name, problems)):
            if path not in paths:
                problems.add("%s.%s[%d]" % (where, name, i),
                             "%s is no field of any record kind" % show(path))
    for i, word in enumerate(check_list(req["organization_words"],
                                        where + ".organization_words", problems)):
        check_text(word, "%s.organization_words[%d]" % (where, i), problems)


def check_access(data, kinds, problems):
    """Check data/access.json against the record kinds it names."""
    where = "access.json"
    if not check_members(data, where, ["version", "copy_requests", "inquiry"], [], problems):
        return
    check_file_version(data["version"], where + ".version", problems)
    check_copy_requests(data["copy_requests"], where + ".copy_requests", kinds, problems)
    inq = data["inquiry"]
    if not check_members(inq, where + ".inquiry", INQUIRY_MEMBERS, [], problems):
        return
    check_int_range(inq["requests_per_minute"], where + ".inquiry.requests_per_minute",
                    1, 10000, problems)
    check_int_range(inq["lockout_after"], where + ".inquiry.lockout_after", 1, 1000,
                    problems)
    check_int_range(inq["lockout_minutes"], where + ".inquiry.lockout_minutes", 1, 10080,
                    problems)
    titles = inq["document_titles"]
    if not isinstance(titles, dict):
        problems.add(where + ".inquiry.document_titles", "must be an object")
        return
    for key, title in titles.items():
        check_text(title, where + ".inquiry.document_titles." + key, problems)


# data/documents/*.json: document templates, and data/bureau.json.
TEMPLATE_MEMBERS = ["code", "title", "source", "body"]
TEMPLATE_OPTIONAL = ["when", "number", "transcript", "addressee", "closing"]
BUREAU_MEMBERS = ["version", "name", "address", "phone", "reconsideration", "court",
                  "seal_image", "fonds", "paper_location"]
PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")
CASE_PATHS = {"id", "applicant", "applicant_id", "matter", "matter_name", "received",
              "address", "contact"}
RECORD_PATHS = {"seq", "number", "at", "actor", "actor_name"}
BUREAU_PATHS = {"name", "address", "phone", "reconsideration.body", "reconsideration.days",
                "court.body", "court.months", "fonds", "paper_location"}
MATTER_PATHS = {"basis", "code", "name"}
# The record that fields.document_seq of a service record names.
SERVED_PATHS = {"seq", "number", "title"}
# The deadlines a case's evaluation computes (src/cases/evaluate.c).
DEADLINE_NAMES = {"acceptance", "decision", "delivery", "hearing", "hearing_notice",
                  "hearing_request", "publicity", "renewal_application", "renewal_decision"}
# Filter name -> number of ':' arguments (None: one or more).
FILTERS = {"date": 0, "datetime": 0, "cn": 0, "laws": 0, "yesno": 2, "enum": None,
           "join": 1, "default": 1, "person": 0, "material": 0}
# Field types holding login names, which print through the person filter.
USER_TYPES = {"user", "users"}
BLOCK_TYPES = {"p", "h", "if", "each", "table", "table_each", "remedies", "signatures",
               "confirmation", "space"}
BLOCK_MEMBERS = {"if": ["then"], "each": ["do"], "table_each": ["row"]}
BLOCK_OPTIONAL = {"if": ["else"], "table": ["widths"], "table_each": ["header", "widths"]}
ARRAY_TYPES = {"strings", "users", "laws", "objects"}


class Scope:
    """What the placeholders of a template may name at one point of its body."""

    def __init__(self, file, sources, item=None, item_kind=None):
        self.file = file
        self.sources = sources      # the source kinds (dicts of record-kinds.json)
        self.item = item            # the field spec an each loops over, or None
        self.item_kind = item_kind  # the kind of records.K an each loops over

    def field_spec(self, name):
        """The spec of field name in some source kind, or None."""
        for kind in self.sources:
            for spec in kind.get("fields") or []:
                if isinstance(spec, dict) and spec.get("name") == name:
                    return spec
        return None


def sub_field(spec, name):
    for sub in (spec or {}).get("fields") or []:
        if isinstance(sub, dict) and sub.get("name") == name:
            return sub
    return None


def kind_field(kind, name):
    for spec in kind.get("fields") or []:
        if isinstance(spec, dict) and spec.get("name") == name:
            return spec
    return None


def resolve_path(path, scope, where, problems):
    """Check a placeholder's path and return (ok, spec).

    spec is the record-kinds.json field the path reads, or None when the
    path is no record field (case, bureau, limit ...)."""
    root, _, rest = path.partition(".")

    def bad(why):
        problems.add(where, "%s %s" % (show(path), why))
        return False, None

    if root == "case":
        return (True, None) if rest in CASE_PATHS else bad(
            "is not one of case.%s" % ", case.".join(sorted(CASE_PATHS)))
    if root == "record":
        return (True, None) if rest in RECORD_PATHS else bad(
            "is not one of record.%s" % ", record.".join(sorted(RECORD_PATHS)))
    if root == "bureau":
        return (True, None) if rest in BUREAU_PATHS else bad("is no member of bureau.json")
    if root == "matter":
        return (True, None) if rest in MATTER_PATHS else bad(
            "is not one of matter.%s" % ", matter.".join(sorted(MATTER_PATHS)))
    if root == "served":
        if scope.field_spec("document_seq") is None:
            return bad("needs a source kind with the field document_seq")
        return (True, None) if rest in SERVED_PATHS else bad(
            "is not one of served.%s" % ", served.".join(sorted(SERVED_PATHS)))
    if root == "limit":
        name = rest[:-len(".promised")] if rest.endswith(".promised") else rest
        return (True, None) if name in LIMIT_NAMES else bad(
            "names no limit; use one of %s" % ", ".join(sorted(LIMIT_NAMES)))
    if root == "deadline":
        return (True, None) if rest in DEADLINE_NAMES else bad(
            "names no deadline; use one of %s" % ", ".join(sorted(DEADLINE_NAMES)))
    if root == "fields":
        name, _, sub = rest.partition(".")
        spec = scope.field_spec(name)
        if spec is None:
            if name in RESERVED_FIELDS and not sub:
                return True, None
            return bad("is not a field of the source kind%s %s" % (
                "s" if len(scope.sources) > 1 else "",
                ", ".join(k.get("code", "?") for k in scope.sources)))
        if sub:
            inner = sub_field(spec, sub)
            if inner is None:
                return bad("is not a sub-field of field %s" % show(name))
            return True, inner
        return True, spec
    if root == "index":
        if rest or (scope.item is None and scope.item_kind is None):
            return bad("is only known inside each or table_each")
        return True, None
    if root == "item":
        if scope.item_kind is not None:
            first, _, sub = rest.partition(".")
            if not rest or first in RECORD_PATHS or first == "kind":
                return (True, None) if not sub else bad("has nothing below %s" % first)
            if first == "fields":
                spec = kind_field(scope.item_kind, sub.partition(".")[0])
                if spec is None:
                    return bad("is not a field of kind %s" % scope.item_kind.get("code"))
                return True, spec
            return bad("is not item.fields.X or one of item.%s"
                       % ", item.".join(sorted(RECORD_PATHS)))
        if scope.item is None:
            return bad("is only known inside each or table_each")
        if not rest:
            if scope.item.get("type") == "objects":
                return bad("is an object; name a member such as item.%s"
                           % ((scope.item.get("fields") or [{}])[0].get("name", "x")))
            return True, None
        spec = sub_field(scope.item, rest)
        if spec is None:
            return bad("is not a sub-field of field %s" % show(scope.item.get("name")))
        return True, spec
    return bad("has an unknown root; use case, record, fields, bureau, limit, deadline, "
               "matter, served, item or index")


def check_filter(text, spec, where, problems):
    name, _, args = text.partition(":")
    if name not in FILTERS:
        problems.add(where, "unknown filter %s; use one of %s"
                     % (show(name), ", ".join(sorted(FILTERS))))
        return
    count = len(args.split(":")) if _ else 0
    want = FILTERS[name]
    if want is not None and count != want:
        problems.add(where, "filter %s takes %d argument%s, not %d"
                     % (name, want, "" if want == 1 else "s", count))
        return
    if name != "enum":
        return
    if not args:
        problems.add(where, "filter enum needs KEY=TEXT arguments")
        return
    keys = []
    for arg in args.split(":"):
        key, eq, _ = arg.partition("=")
        if not eq or not key:
            problems.add(where, "enum argument %s is not KEY=TEXT" % show(arg))
        keys.append(key)
    if spec and spec.get("type") == "enum":
        values = spec.get("values") or []
        for key in keys:
            if key not in values:
                problems.add(where, "enum key %s is not a value of field %s"
                             % (show(key), show(spec.get("name"))))
        for value in values:
            if value not in keys:
                problems.add(where, "enum gives no words for value %s of field %s"
                             % (show(value), show(spec.get("name"))))


def check_placeholders(text, scope, where, problems):
    if not isinstance(text, str):
        problems.add(where, "must be a string, not %s" % show(text))
        return
    if text.count("{{") != len(PLACEHOLDER.findall(text)):
        problems.add(where, "has a {{ without its }}")
    for body in PLACEHOLDER.findall(text):
        path, *filters = body.split("|")
        ok, spec = resolve_path(path.strip(), scope, where, problems)
        for f in filters:
            check_filter(f, spec if ok else None, where, problems)
        names = [f.partition(":")[0] for f in filters]
        if ok and spec and spec.get("type") in USER_TYPES and "person" not in names:
            problems.add(where, "%s holds login names; print it as {{%s|person}} so that "
                         "the staff member's name appears" % (show(path), path.strip()))


def check_cond(cond, scope, where, problems):
    if not isinstance(cond, dict) or len(cond) != 2 or "field" not in cond or \
            not ("equals" in cond or "in" in cond or "present" in cond):
        problems.add(where, "%s must be {\"field\", \"equals\"}, {\"field\", \"in\"} or "
                     "{\"field\", \"present\"}" % show(cond))
        return
    if "in" in cond and (not isinstance(cond["in"], list) or not cond["in"]):
        problems.add(where + ".in", "%s must be a non-empty list of values" % show(cond["in"]))
        return
    if not isinstance(cond["field"], str):
        problems.add(where + ".field", "%s must be a path" % show(cond["field"]))
        return
    ok, spec = resolve_path(cond["field"], scope, where + ".field", problems)
    if "present" in cond and not isinstance(cond["present"], bool):
        problems.add(where + ".present", "%s must be true or false" % show(cond["present"]))
    if ok and spec and spec.get("type") == "enum" and "equals" in cond and \
            cond["equals"] not in (spec.get("values") or []):
        problems.add(where + ".equals", "%s is not a value of field %s"
                     % (show(cond["equals"]), show(spec.get("name"))))
    for value in cond.get("in") or []:
        if ok and spec and spec.get("type") == "enum" and value not in (spec.get("values") or []):
            problems.add(where + ".in", "%s is not a value of field %s"
                         % (show(value), show(spec.get("name"))))


def loop_scope(path, scope, kinds, where, problems):
    """The scope inside an each or table_each over path, or None."""
    if not isinstance(path, str):
        problems.add(where, "%s must be fields.X or records.KIND" % show(path))
        return None
    if path.startswith("records."):
        kind = kinds.get(path[len("records."):])
        if kind is None:
            problems.add(where, "%s names no record kind" % show(path))
            return None
        return Scope(scope.file, scope.sources, item_kind=kind)
    if not path.startswith("fields."):
        problems.add(where, "%s must be fields.X or records.KIND" % show(path))
        return None
    ok, spec = resolve_path(path, scope, where, problems)
    if not ok:
        return None
    if spec is None or spec.get("type") not in ARRAY_TYPES:
        problems.add(where, "%s is not an array field (%s)"
                     % (show(path), ", ".join(sorted(ARRAY_TYPES))))
        return None
    return Scope(scope.file, scope.sources, item=spec)


def check_blocks(blocks, scope, kinds, where, found, problems):
    """Check a list of blocks; found collects the block types used."""
    for i, block in enumerate(check_list(blocks, where, problems)):
        at = "%s[%d]" % (where, i)
        if not isinstance(block, dict):
            problems.add(at, "must be a block object, not %s" % show(block))
            continue
        types = [k for k in block if k in BLOCK_TYPES]
        if len(types) != 1:
            problems.add(at, "must have exactly one of %s" % ", ".join(sorted(BLOCK_TYPES)))
            continue
        kind = types[0]
        found.add(kind)
        check_members(block, at, [kind] + BLOCK_MEMBERS.get(kind, []),
                      BLOCK_OPTIONAL.get(kind, []), problems)
        value = block[kind]
        if "widths" in block:
            check_widths(block, kind, at, problems)
        if kind in ("p", "h"):
            check_placeholders(value, scope, at + "." + kind, problems)
        elif kind == "if":
            check_cond(value, scope, at + ".if", problems)
            for branch in ("then", "else"):
                if branch in block:
                    check_blocks(block[branch], scope, kinds, at + "." + branch, found,
                                 problems)
        elif kind == "each":
            inner = loop_scope(value, scope, kinds, at + ".each", problems)
            if inner:
                check_blocks(block.get("do"), inner, kinds, at + ".do", found, problems)
        elif kind == "table":
            for j, row in enumerate(check_list(value, at + ".table", problems)):
                rwhere = "%s.table[%d]" % (at, j)
                if not isinstance(row, list) or len(row) not in (1, 2):
                    problems.add(rwhere, "must be [LABEL, TEXT] or [TEXT]")
                    continue
                for k, cell in enumerate(row):
                    check_placeholders(cell, scope, "%s[%d]" % (rwhere, k), problems)
        elif kind == "table_each":
            inner = loop_scope(value, scope, kinds, at + ".table_each", problems)
            row = check_list(block.get("row"), at + ".row", problems)
            header = block.get("header")
            if header is not None and (not isinstance(header, list) or len(header) != len(row)):
                problems.add(at + ".header", "must list one label per cell of row")
            for k, cell in enumerate(header or []):
                check_placeholders(cell, scope, "%s.header[%d]" % (at, k), problems)
            for k, cell in enumerate(row if inner else []):
                check_placeholders(cell, inner, "%s.row[%d]" % (at, k), problems)
        elif kind == "space":
            if not is_int(value) or not 1 <= value <= 20:
                problems.add(at + ".space", "%s must be an integer from 1 to 20" % show(value))
        elif value is not True:
            problems.add(at + "." + kind, "%s must be true" % show(value))


def check_widths(block, kind, where, problems):
    widths = block["widths"]
    if not isinstance(widths, list) or not 1 <= len(widths) <= 32 or \
            any(isinstance(w, bool) or not isinstance(w, (int, float)) or w <= 0
                for w in widths):
        problems.add(where + ".widths", "%s must be a list of 1 to 32 positive numbers"
                     % show(widths))
        return
    columns = len(block.get("row") or []) if kind == "table_each" else \
        max((len(r) for r in block[kind] if isinstance(r, list)), default=0)
    if len(widths) != columns:
        problems.add(where + ".widths", "lists %d widths for %d columns"
                     % (len(widths), columns))


def adverse(template):
    """Whether a template prints a refusal or an adverse decision."""
    sources = template.get("source") or []
    when = template.get("when") or {}
    if "refusal" in sources:
        return True
    if "decision" not in sources or when.get("field") not in ("result", "fields.result"):
        return False
    values = when["in"] if isinstance(when.get("in"), list) else [when.get("equals")]
    return any(v in ("deny", "partial") for v in values)


def check_template(path, code, kinds, problems):
    t = load(path, problems)
    if t is None or not check_members(t, path, TEMPLATE_MEMBERS, TEMPLATE_OPTIONAL, problems) \
            or any(m not in t for m in TEMPLATE_MEMBERS):
        return
    if t["code"] != code:
        problems.add(path + ": code", "%s differs from the file name %s"
                     % (show(t["code"]), show(code)))
    check_text(t["title"], path + ": title", problems)
    sources = []
    for i, source in enumerate(check_list(t["source"], path + ": source", problems)):
        if source not in kinds:
            problems.add("%s: source[%d]" % (path, i), "%s is not a kind of record-kinds.json"
                         % show(source))
        else:
            sources.append(kinds[source])
    if not sources:
        return
    scope = Scope(path, sources)

    for flag in ("number", "transcript"):
        if flag in t and not isinstance(t[flag], bool):
            problems.add("%s: %s" % (path, flag), "%s must be true or false" % show(t[flag]))
    if t.get("number") is True:
        for kind in sources:
            if not kind.get("number"):
                problems.add(path + ": number", "kind %s has no document number prefix, so "
                             "the number would print as a blank" % show(kind.get("code")))
    if "when" in t:
        when = t["when"]
        if isinstance(when, dict) and isinstance(when.get("field"), str) and \
                "." not in when["field"]:
            when = dict(when, field="fields." + when["field"])
        check_cond(when, scope, path + ": when", problems)

    if "addressee" in t:
        check_placeholders(t["addressee"], scope, path + ": addressee", problems)
    closing = t.get("closing")
    if closing is not None and check_members(closing, path + ": closing", [],
                                             ["issuer", "date"], problems):
        if "issuer" in closing and not isinstance(closing["issuer"], bool):
            problems.add(path + ": closing.issuer", "%s must be true or false"
                         % show(closing["issuer"]))
        if "date" in closing:
            check_placeholders(closing["date"], scope, path + ": closing.date", problems)

    found = set()
    check_blocks(t["body"], scope, kinds, path + ": body", found, problems)
    if adverse(t) and "remedies" not in found:
        problems.add(path + ": body", "prints a refusal or an adverse decision but has no "
                     "{\"remedies\": true} block")
    if any(k.get("confirmation") is True for k in sources) and "confirmation" not in found:
        problems.add(path + ": body", "its source kind needs the party's confirmation but "
                     "it has no {\"confirmation\": true} block")


def check_bureau(data, folder, problems):
    where = "bureau.json"
    if not check_members(data, where, BUREAU_MEMBERS, [], problems) or \
            any(m not in data for m in BUREAU_MEMBERS):
        return
    check_file_version(data["version"], where + ".version", problems)
    for name in ("name", "address", "phone", "fonds", "paper_location"):
        check_text(data[name], where + "." + name, problems)
    for name, unit, high in (("reconsideration", "days", 365), ("court", "months", 120)):
        if check_members(data[name], where + "." + name, ["body", unit], [], problems) and \
                "body" in data[name] and unit in data[name]:
            check_text(data[name]["body"], "%s.%s.body" % (where, name), problems)
            check_int_range(data[name][unit], "%s.%s.%s" % (where, name, unit), 1, high,
                            problems)
    image = data["seal_image"]
    if image is not None:
        if not isinstance(image, str) or not image.endswith(".png") or \
                os.path.isabs(image) or ".." in image.split("/"):
            problems.add(where + ".seal_image", "%s must be null or a .png path inside the "
                         "data folder" % show(image))
        elif not os.path.isfile(os.path.join(folder, image)):
            problems.add(where + ".seal_image", "%s: file not found" % show(image))


def check_documents(folder, kinds, problems):
    """Check data/documents/*.json against the record kinds, and bureau.json."""
    docs = os.path.join(folder, "documents")
    bureau_path = os.path.join(folder, "bureau.json")
    if os.path.exists(bureau_path) or os.path.isdir(docs):
        bureau = load(bureau_path, problems)
        if bureau is not None:
            check_bureau(bureau, folder, problems)
    if not os.path.isdir(docs):
        return
    for name in sorted(os.listdir(docs)):
        path = os.path.join(docs, name)
        if not name.endswith(".json"):
            problems.add(path, "is not a .json template")
            continue
        code = name[:-len(".json")]
        if check_code(code, path, problems):
            check_template(path, code, kinds, problems)


def check_calendar(folder, problems):
    """Check the calendar copies against the checksums in SOURCE."""
    where = os.path.join(folder, "SOURCE")
    try:
        with open(where, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        problems.add(where, "file not found; run scripts/update-calendar")
        return
    sums = {}
    for line in lines:
        m = SHA256_LINE.match(line)
        if m:
            sums[m.group(2)] = m.group(1)
    years = sorted(n for n in os.listdir(folder) if re.match(r"^\d{4}\.json$", n))
    if not years:
        problems.add(folder, "has no YYYY.json calendar files")
    if not os.path.exists(os.path.join(folder, "LICENSE")):
        problems.add(folder, "LICENSE of the calendar's source is missing")
    for name in years:
        path = os.path.join(folder, name)
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if name not in sums:
            problems.add(where, "lists no sha256 for %s" % name)
        elif sums[name] != digest:
            problems.add(path, "sha256 %s differs from %s in SOURCE" % (digest, sums[name]))
        data = load(path, problems)
        if isinstance(data, dict) and data.get("year") != int(name[:4]):
            problems.add(path + ": year", "%s does not match the file name"
                         % show(data.get("year")))
    for name in sums:
        if name not in years:
            problems.add(where, "lists %s, which is not in the folder" % name)


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        sys.stderr.write("usage: check_data.py DATA_DIR\n"
                         "Checks laws.json, matters.json, record-kinds.json, access.json "
                         "and calendar/ in DATA_DIR.\n")
        return 2
    folder = argv[1]
    if not os.path.isdir(folder):
        sys.stderr.write("check_data.py: %s is not a folder; pass the data folder, for "
                         "example data/\n" % folder)
        return 2
    problems = Problems()
    laws = load(os.path.join(folder, "laws.json"), problems)
    library = check_laws(laws, problems) if laws is not None else {}
    matters = load(os.path.join(folder, "matters.json"), problems)
    if matters is not None:
        check_matters(matters, library, problems)
    kinds = load(os.path.join(folder, "record-kinds.json"), problems)
    if kinds is not None:
        check_kinds_file(kinds, problems)
    by_code = {k.get("code"): k for k in (kinds or {}).get("kinds") or []
               if isinstance(k, dict)}
    access = load(os.path.join(folder, "access.json"), problems)
    if access is not None:
        check_access(access, by_code, problems)
    if kinds is not None:
        check_documents(folder, by_code, problems)
    calendar = os.path.join(folder, "calendar")
    if os.path.isdir(calendar):
        check_calendar(calendar, problems)
    for line in problems.lines:
        sys.stderr.write(line + "\n")
    return 1 if problems.lines else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
