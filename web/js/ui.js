// Widgets shared by the pages: messages, errors, tables that sort,
// pagers, dialogs, labelled fields, deadline cards and document printing.
import { h, fill } from './dom.js';
import { t } from './i18n.js';
import { request, ApiError } from './api.js';

let fieldCounter = 0;

// A short message in the live region, read out by screen readers.
export function notify(message, kind = 'info') {
  const el = document.getElementById('status');
  fill(el, h('div.toast.' + kind, message));
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => el.replaceChildren(), 6000);
}

// An error shown where the work was, with the server's explanation.
export function errorBox(err) {
  const text = err instanceof ApiError ? err.message : String(err && err.message || err);
  return h('div.error', { role: 'alert' }, h('strong', t('error') + '：'), text);
}

// A labelled form field: a label bound to input (given an id if it has
// none), an optional hint bound by aria-describedby, and a marker when
// required.
export function field(label, input, opts = {}) {
  if (!input.id) input.id = 'f' + (++fieldCounter);
  const hintId = input.id + '-hint';
  if (opts.hint) input.setAttribute('aria-describedby', hintId);
  if (opts.required) { input.required = true; input.setAttribute('aria-required', 'true'); }
  return h('div.field' + (opts.wide ? '.wide' : ''),
    // The marker stays outside the label, so that the field's accessible
    // name is the label alone. aria-required gives it to screen readers.
    h('div.label-row', h('label', { for: input.id }, label),
      opts.required ? h('span.req', { 'aria-hidden': 'true' }, '*') : null),
    input,
    opts.hint ? h('small.hint', { id: hintId }, opts.hint) : null);
}

// A pager for lists of {total, offset, limit}; onPage(offset).
export function pager({ total, offset, limit, onPage }) {
  const pages = Math.max(1, Math.ceil(total / limit));
  const page = Math.floor(offset / limit) + 1;
  return h('nav.pager', { 'aria-label': t('page', { page, pages, total }) },
    h('button', { type: 'button', disabled: page <= 1, onclick: () => onPage(Math.max(0, offset - limit)) }, t('prev')),
    h('span', t('page', { page, pages, total })),
    h('button', { type: 'button', disabled: page >= pages, onclick: () => onPage(offset + limit) }, t('next')));
}

// A table. columns: [{key, label, sort, render(row) -> node|string,
// value(row) -> sort value}]. rows: objects. sort: {key, dir} kept by the
// caller; onSort(key, dir). Rows may be sorted here when local is true.
export function table({ columns, rows, sort, onSort, caption, empty, rowClass }) {
  let sorted = rows;
  if (sort && sort.local && sort.key) {
    const col = columns.find((c) => c.key === sort.key);
    const val = col && col.value ? col.value : (r) => r[sort.key];
    sorted = rows.slice().sort((a, b) => compareValues(val(a), val(b), sort.dir));
  }
  const head = h('tr', columns.map((c) => {
    if (!c.sort || !onSort) return h('th', { scope: 'col' }, c.label);
    const active = sort && sort.key === c.key;
    const desc = active && sort.dir === 'desc';
    let ariaSort = 'none', arrow = ' ↕';
    if (active) {
      ariaSort = desc ? 'descending' : 'ascending';
      arrow = desc ? ' ▼' : ' ▲';
    }
    return h('th', { scope: 'col', 'aria-sort': ariaSort },
      h('button.sort', { type: 'button', onclick: () => onSort(c.key, active && !desc ? 'desc' : 'asc') },
        c.label, h('span.arrow', { 'aria-hidden': 'true' }, arrow)));
  }));
  const body = sorted.length
    ? sorted.map((r) => h('tr', { class: rowClass ? rowClass(r) : null },
      columns.map((c) => h('td', { 'data-label': c.label }, c.render ? c.render(r) : (r[c.key] ?? '')))))
    : [h('tr', h('td.empty', { colspan: columns.length }, empty || t('none')))];
  return h('div.table-wrap', h('table', caption ? h('caption', caption) : null, h('thead', head), h('tbody', body)));
}

// A modal dialog; content is a node or array; returns {close, el}.
// Escape and the close button close it; with guard, they first ask when
// something was typed into it. close() closes it at once. Focus returns
// where it was.
export function dialog(title, content, { onClose, wide, guard } = {}) {
  const before = document.activeElement;
  const titleId = 'dlg' + (++fieldCounter);
  let typed = false;
  const el = h('dialog.dialog' + (wide ? '.wide' : ''), { 'aria-labelledby': titleId },
    h('div.dialog-head', h('h2', { id: titleId }, title),
      h('button.icon', { type: 'button', 'aria-label': t('close'), onclick: () => { if (mayDiscard()) close(); } }, '×')),
    h('div.dialog-body', content));
  const mayDiscard = () => !guard || !typed || window.confirm(t('discard'));
  const close = () => {
    if (!el.open) return;
    el.close();
  };
  el.addEventListener('input', () => { typed = true; });
  el.addEventListener('cancel', (e) => { if (!mayDiscard()) e.preventDefault(); });
  el.addEventListener('close', () => {
    el.remove();
    if (onClose) onClose();
    if (before && before.focus) before.focus();
  });
  document.body.append(el);
  el.showModal();
  return { el, close };
}

// Compares two sort values in direction dir ('asc' or 'desc'). Missing
// values (null, undefined) come last in both directions.
export function compareValues(x, y, dir) {
  const missingX = x === null || x === undefined;
  const missingY = y === null || y === undefined;
  if (missingX || missingY) return missingX === missingY ? 0 : missingX ? 1 : -1;
  let c = 0;
  if (x < y) c = -1;
  else if (x > y) c = 1;
  return dir === 'desc' ? -c : c;
}

// The colour of a deadline with left working days: 'red' when overdue,
// 'yellow' when due within 3 working days, else 'plain'.
export function cardColor(left) {
  if (left < 0) return 'red';
  if (left <= 3) return 'yellow';
  return 'plain';
}

// The card of a deadline: 红牌 when overdue, 黄牌 when due within 3
// working days, plain otherwise. The text gives the days left, so that
// colour is not the only signal.
export function deadlineCard(left, { provisional, due } = {}) {
  if (left === null || left === undefined) return h('span.card.plain', due || '');
  const color = cardColor(left);
  let text = t('daysLeft', { n: left });
  if (left < 0) text = t('overdueBy', { n: -left });
  else if (left === 0) text = t('dueToday');
  return h('span.card.' + color, { title: due || '' },
    color !== 'plain' ? h('strong', t(color) + ' ') : null, text,
    provisional ? h('em.prov', ' (' + t('provisional') + ')') : null);
}

// Renders (and the first time issues) document `document` of case id from
// record seq, and opens the PDF in a new tab, where it prints. Returns the
// document-issue entry's seq.
export async function printDocument(caseId, document, record) {
  const body = { document };
  if (record !== undefined && record !== null) body.record = record;
  const win = window.open('', '_blank');
  try {
    const r = await request('POST', '/api/v1/cases/' + encodeURIComponent(caseId) + '/documents', body, { raw: true });
    const blob = await r.blob();
    const url = URL.createObjectURL(blob);
    if (win) win.location = url; else window.location.assign(url);
    return Number(r.headers.get('X-Document-Seq'));
  } catch (e) {
    if (win) win.close();
    throw e;
  }
}

// Opens a stored PDF (GET path) in a new tab.
export async function openPdf(path) {
  const win = window.open('', '_blank');
  try {
    const r = await request('GET', path, undefined, { raw: true });
    const url = URL.createObjectURL(await r.blob());
    if (win) win.location = url; else window.location.assign(url);
  } catch (e) {
    if (win) win.close();
    throw e;
  }
}

// Runs fn while button shows it is working; errors land in errEl (or a
// notification). Returns fn's result, or undefined on error.
export async function busy(button, fn, errEl) {
  const label = button ? button.textContent : '';
  if (button) { button.disabled = true; button.setAttribute('aria-busy', 'true'); }
  if (errEl) errEl.replaceChildren();
  try {
    return await fn();
  } catch (e) {
    if (errEl) errEl.append(errorBox(e)); else notify(e.message, 'error');
    return undefined;
  } finally {
    if (button) { button.disabled = false; button.removeAttribute('aria-busy'); button.textContent = label; }
  }
}

// A small badge of a flag (late upload, damaged, and so on).
export function flag(text, kind = 'warn') {
  return h('span.flag.' + kind, text);
}
