/*
 * Shared by the files of the reports module: reading cases and staff
 * through the workflow's queries, and the table and chart model that the
 * HTML, PDF and CSV renderers lay out alike.
 */
#ifndef CASETRAIL_REPORTS_INTERNAL_H
#define CASETRAIL_REPORTS_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "cases/cases.h"
#include "common/buf.h"
#include "common/error.h"

/* Returns the registered users by name (cases_user_list), or NULL. */
json_t *report_staff(struct cases *c, struct error *err);

/* The unit of user (borrowed from staff), or NULL. */
const char *report_user_unit(const json_t *staff, const char *user);

/* The unit of a case as cases_show renders it: its handler's, else its
 * clerk's, else "未分配". */
const char *report_case_unit(const json_t *staff, const json_t *shown);

/* Adds n to member name of the row keyed key of table. */
void report_count(json_t *table, const char *key, const char *name,
		  json_int_t n);

/*
 * Folds each correction in force into the record it corrects, as far as
 * seq last: the record gets the corrected fields and the correction is
 * marked superseded. A record superseded only after last is in force.
 */
void report_apply_corrections(json_t *shown, json_int_t last);

/* The first record of kind in force (not superseded, content kept). */
const json_t *report_first_record(const json_t *shown, const char *kind);

/* The number of records of kind in force. */
int report_count_kind(const json_t *shown, const char *kind);

/* The decision's result (grant, partial, deny), or NULL. */
const char *report_result(const json_t *shown);

/* Whether the case was accepted, by notice or deemed. */
int report_accepted(const json_t *shown);

/* Appends every finding of case id, as `casetrail findings --case` lists
 * them, to into. */
int report_case_findings(struct cases *c, const char *id, json_t *into,
			 struct error *err);

/* Calls fn with the summary of every case received from from_day to
 * to_day; a non-zero return stops and is returned. */
int report_each_case(struct cases *c, int32_t from_day, int32_t to_day,
		     int (*fn)(void *ctx, const json_t *summary), void *ctx,
		     struct error *err);

/*
 * The sections of a collected report as tables, "period" first, then
 * "handled": [{"section", "title",
 * "key_title", "columns": [[measure, title]], "rows": [{"key", "label",
 * "cells": [number or text]}]}], the same for every output format.
 */
json_t *report_tables(const json_t *report);

/*
 * The charts of a collected report: [{"type": "bar" or "line", "title",
 * "points": [{"label", "value"}]}].
 */
json_t *report_charts(const json_t *report);

/* The title of the report and the line that states its period. */
void report_heading(const json_t *report, char *title, size_t ntitle,
		    char *period, size_t nperiod);

/* Appends text with &, <, >, " and ' escaped for HTML and XML. */
int report_xml_escape(struct buf *b, const char *text);

/* Formats a cell (number or text) into out. */
void report_cell_text(const json_t *cell, char *out, size_t n);

#endif
