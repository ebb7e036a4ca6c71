"""Checks data/review-standard.json, the case-file review standard.

Every item needs a code, a name, positive integer points, a check that
src/reports/review.c implements (its table `checks`), a boolean veto and
a description. The points add up to 100, the grades run from the highest
minimum down to 0, and the file states its source. Usage:
check_review_standard.py DATA_DIR SRC_DIR. Exit status 1 lists the
problems.
"""
import json
import os
import re
import sys


def implemented_checks(src):
    """The check names of the table in src/reports/review.c."""
    with open(os.path.join(src, "src", "reports", "review.c"), encoding="utf-8") as f:
        text = f.read()
    table = text[text.index("} checks[] = {"):]
    table = table[:table.index("};")]
    return set(re.findall(r'\{ "([a-z-]+)", check_[a-z_]+ \}', table))


def check(data, checks):
    problems = []
    if not isinstance(data.get("name"), str) or not data["name"]:
        problems.append("name: a non-empty string is needed")
    if not isinstance(data.get("version"), int) or isinstance(data.get("version"), bool):
        problems.append("version: an integer is needed")
    if not isinstance(data.get("source"), str) or len(data["source"]) < 40:
        problems.append("source: state where the item set comes from")
    items = data.get("items")
    if not isinstance(items, list) or not items:
        return problems + ["items: a non-empty array is needed"]
    codes = set()
    for i, item in enumerate(items):
        where = "items[%d]" % i
        for key in ("code", "name", "check", "description"):
            if not isinstance(item.get(key), str) or not item[key]:
                problems.append("%s.%s: a non-empty string is needed" % (where, key))
        if item.get("code") in codes:
            problems.append("%s.code: '%s' is listed twice" % (where, item.get("code")))
        codes.add(item.get("code"))
        points = item.get("points")
        if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
            problems.append("%s.points: a positive integer is needed" % where)
        if not isinstance(item.get("veto"), bool):
            problems.append("%s.veto: true or false is needed" % where)
        if item.get("check") not in checks:
            problems.append("%s.check: '%s' is not implemented; known: %s"
                            % (where, item.get("check"), ", ".join(sorted(checks))))
    total = sum(i.get("points") for i in items if isinstance(i.get("points"), int))
    if total != 100:
        problems.append("items: the points add up to %d, not 100" % total)
    grades = data.get("grades")
    if not isinstance(grades, list) or not grades:
        return problems + ["grades: a non-empty array is needed"]
    mins = [g.get("min") for g in grades]
    if any(not isinstance(m, int) for m in mins) or mins != sorted(mins, reverse=True):
        problems.append("grades: integer minimums from the highest down are needed")
    elif mins[-1] != 0:
        problems.append("grades: the last grade needs min 0")
    return problems


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: check_review_standard.py DATA_DIR SRC_DIR\n")
        return 2
    with open(os.path.join(argv[1], "review-standard.json"), encoding="utf-8") as f:
        data = json.load(f)
    problems = check(data, implemented_checks(argv[2]))
    for line in problems:
        sys.stderr.write("review-standard.json: " + line + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
