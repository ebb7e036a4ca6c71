// 评查与报告: the evaluation report of a period, the annual licensing
// statistics and the 双公示 licence export. The report is shown in the
// page, rebuilt from its HTML with allowed elements only, or downloaded as
// PDF or CSV. Every download of the publicity CSV is an export the log
// records.
import { h, fill, todayCst } from '../dom.js';
import { strings, t } from '../i18n.js';
import { getAll } from '../api.js';
import { field, busy, notify, table } from '../ui.js';
import { fetchBlob, saveBlob } from '../supervision-common.js';

const T = strings({
  zh: {
    title: '评查与报告', report: '考核评价报告', from: '起始日期', to: '截止日期', unit: '单位', allUnits: '全部单位',
    period: '统计收件日期在此期间的案件（最长 400 天）。', show: '在页面中查看', pdf: '下载 PDF', csv: '下载 CSV',
    frame: '考核评价报告', annual: '行政许可实施情况年度统计', year: '年度', annualShow: '查看', annualCsv: '下载 CSV',
    publicity: '双公示 行政许可信息导出', publicityIntro: '导出期间内作出准予（含部分准予）决定的行政许可信息。每次导出都记入日志，并计入公示时限。',
    public: '公开版本（隐去不予公开的字段）', exportBtn: '导出并下载', exported: '已导出（日志记录 {seq}，SHA-256 {sha}）',
    reviewTitle: '案卷评查', reviewIntro: '输入案件编号，查看按评查标准打分的评分表。', caseId: '案件编号', openReview: '打开评分表',
    downloaded: '已下载 {name}',
  },
  en: {
    title: 'Reports and review', report: 'Evaluation report', from: 'From', to: 'To', unit: 'Unit', allUnits: 'All units',
    period: 'Counts the cases received in the period (at most 400 days).', show: 'Show here', pdf: 'Download PDF', csv: 'Download CSV',
    frame: 'Evaluation report', annual: 'Annual licensing statistics', year: 'Year', annualShow: 'Show', annualCsv: 'Download CSV',
    publicity: 'Publicity export (双公示)', publicityIntro: 'Exports the licences granted (or partly granted) in the period. Every export is recorded and counts for the publicity time limit.',
    public: 'Public view (fields not to be published left out)', exportBtn: 'Export and download', exported: 'Exported (log entry {seq}, SHA-256 {sha})',
    reviewTitle: 'Case-file review', reviewIntro: 'Enter a case number to see its score sheet.', caseId: 'Case number', openReview: 'Open score sheet',
    downloaded: 'Downloaded {name}',
  },
});

function monthStart() {
  return todayCst().slice(0, 8) + '01';
}

// Parses simple RFC 4180 CSV text into rows.
export function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(cell); cell = ''; } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); rows.push(row); row = []; cell = '';
    } else cell += ch;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

// The elements and attributes of the server's report that are copied
// into the page. Anything else (scripts, styles, links, event handlers)
// is left out, and text is copied as text.
const HTML_TAGS = new Set(['h1', 'h2', 'h3', 'h4', 'p', 'table', 'caption', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td',
  'figure', 'figcaption', 'ul', 'ol', 'li', 'strong', 'em', 'b', 'i', 'span', 'div', 'small', 'br', 'section', 'dl', 'dt', 'dd']);
const HTML_ATTRS = new Set(['class', 'colspan', 'rowspan', 'scope']);
const SVG_TAGS = new Set(['svg', 'g', 'title', 'text', 'tspan', 'line', 'polyline', 'polygon', 'rect', 'circle', 'path']);
const SVG_ATTRS = new Set(['x', 'y', 'x1', 'y1', 'x2', 'y2', 'dx', 'dy', 'width', 'height', 'points', 'fill', 'stroke',
  'stroke-width', 'font-size', 'font-weight', 'text-anchor', 'role', 'viewBox', 'd', 'r', 'cx', 'cy', 'opacity', 'class']);
const SVG_NS = 'http://www.w3.org/2000/svg';

function copyNode(node) {
  if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(node.nodeValue);
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const tag = node.localName;
  const svg = node.namespaceURI === SVG_NS;
  if (svg ? !SVG_TAGS.has(tag) : !HTML_TAGS.has(tag)) return null;
  const el = svg ? document.createElementNS(SVG_NS, tag) : document.createElement(tag);
  for (const a of node.attributes) {
    if ((svg ? SVG_ATTRS : HTML_ATTRS).has(a.name)) el.setAttribute(a.name, a.value);
  }
  for (const c of node.childNodes) {
    const copy = copyNode(c);
    if (copy) el.append(copy);
  }
  return el;
}

// Builds the report's body as elements of this page, through DOMParser
// (which runs nothing) and a copy of the allowed elements only.
export function reportDocument(html) {
  // The page's own style sheet styles the report: a <style> element
  // would be reported as a policy violation even in a parsed document.
  const doc = new DOMParser().parseFromString(html.replace(/<style[\s\S]*?<\/style>/gi, ''), 'text/html');
  const out = h('article.sv-report-doc', { 'aria-label': T('frame') });
  for (const c of doc.body.childNodes) {
    const copy = copyNode(c);
    if (copy) out.append(copy);
  }
  return out;
}

export async function render(main, params, ctx) {
  document.title = T('title') + ' · ' + t('app');
  const users = await getAll('/api/v1/users', {}, 2000).catch(() => []);
  const units = [...new Set(users.map((u) => u.unit).filter(Boolean))].sort();
  const canReport = ctx.has('head', 'supervisor');

  const sections = [];
  if (canReport) sections.push(reportSection(units), annualSection(), publicitySection());
  if (ctx.has('head', 'supervisor', 'case-auditor')) sections.push(reviewSection(ctx));
  fill(main, h('h1', T('title')), sections.length ? sections : h('p.notice', t('forbidden')));
}

function reportSection(units) {
  const from = h('input', { type: 'date', name: 'from', value: monthStart() });
  const to = h('input', { type: 'date', name: 'to', value: todayCst() });
  const unit = h('select', { name: 'unit' }, h('option', { value: '' }, T('allUnits')), units.map((u) => h('option', { value: u }, u)));
  const err = h('div', { 'aria-live': 'assertive' });
  const view = h('div.sv-report-view');
  const params = (format) => new URLSearchParams(Object.entries({ from: from.value, to: to.value, unit: unit.value, format })
    .filter(([, v]) => v)).toString();
  const show = h('button.primary', { type: 'submit' }, T('show'));
  const form = h('form.panel.stack', { 'aria-labelledby': 'rep-h' },
    h('h2#rep-h', T('report')),
    h('div.grid3', field(T('from'), from, { required: true }), field(T('to'), to, { required: true }), field(T('unit'), unit)),
    h('p.hint', T('period')),
    err,
    h('div.actions', show,
      h('button', { type: 'button', onclick: (e) => download(e.currentTarget, 'pdf') }, T('pdf')),
      h('button', { type: 'button', onclick: (e) => download(e.currentTarget, 'csv') }, T('csv'))),
    view);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(show, async () => {
      const { blob } = await fetchBlob('/api/v1/reports?' + params('html'));
      fill(view, reportDocument(await blob.text()));
    }, err);
  });
  async function download(button, format) {
    await busy(button, async () => {
      const { blob } = await fetchBlob('/api/v1/reports?' + params(format));
      const name = 'report-' + from.value + '-' + to.value + (unit.value ? '-' + unit.value : '') + '.' + format;
      saveBlob(blob, name);
      notify(T('downloaded', { name }));
    }, err);
  }
  return form;
}

function annualSection() {
  const year = h('input', { type: 'number', name: 'year', min: 2000, max: 2100, value: todayCst().slice(0, 4) });
  const err = h('div', { 'aria-live': 'assertive' });
  const view = h('div');
  const get = async () => (await fetchBlob('/api/v1/reports/annual?year=' + encodeURIComponent(year.value) + '&format=csv')).blob;
  const showBtn = h('button.primary', { type: 'submit' }, T('annualShow'));
  const form = h('form.panel.stack', { 'aria-labelledby': 'ann-h' },
    h('h2#ann-h', T('annual')),
    h('div.grid3', field(T('year'), year, { required: true })),
    err,
    h('div.actions', showBtn,
      h('button', { type: 'button', onclick: (e) => busy(e.currentTarget, async () => saveBlob(await get(), 'annual-' + year.value + '.csv'), err) }, T('annualCsv'))),
    view);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(showBtn, async () => {
      const rows = parseCsv(await (await get()).text());
      const head = rows.shift() || [];
      fill(view, table({
        caption: T('annual') + ' ' + year.value,
        columns: head.map((c, i) => ({ key: String(i), label: c })),
        rows: rows.filter((r) => r.length > 1).map((r) => Object.fromEntries(r.map((v, i) => [String(i), v]))),
      }));
    }, err);
  });
  return form;
}

function publicitySection() {
  const from = h('input', { type: 'date', name: 'from', value: monthStart() });
  const to = h('input', { type: 'date', name: 'to', value: todayCst() });
  const pub = h('input', { type: 'checkbox', name: 'public' });
  const err = h('div', { 'aria-live': 'assertive' });
  const out = h('div', { role: 'status' });
  const btn = h('button.primary', { type: 'submit' }, T('exportBtn'));
  const form = h('form.panel.stack', { 'aria-labelledby': 'pub-h' },
    h('h2#pub-h', T('publicity')),
    h('p.muted', T('publicityIntro')),
    h('div.grid3', field(T('from'), from, { required: true }), field(T('to'), to, { required: true })),
    h('label.check', pub, T('public')),
    err, h('div.actions', btn), out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(btn, async () => {
      const q = new URLSearchParams({ from: from.value, to: to.value });
      if (pub.checked) q.set('public', '1');
      const { blob, headers } = await fetchBlob('/api/v1/publicity?' + q);
      saveBlob(blob, 'publicity-' + from.value + '-' + to.value + (pub.checked ? '-public' : '') + '.csv');
      fill(out, h('p.notice', T('exported', { seq: headers.get('Casetrail-Export-Entry') || '?', sha: (headers.get('Casetrail-Export-SHA256') || '').slice(0, 16) + '…' })));
    }, err);
  });
  return form;
}

function reviewSection(ctx) {
  const id = h('input', { type: 'search', name: 'case', placeholder: '2026-000001' });
  const form = h('form.panel.stack', { 'aria-labelledby': 'rev-h' },
    h('h2#rev-h', T('reviewTitle')), h('p.muted', T('reviewIntro')),
    h('div.grid3', field(T('caseId'), id, { required: true })),
    h('div.actions', h('button.primary', { type: 'submit' }, T('openReview'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (id.value.trim()) ctx.navigate('/review/' + encodeURIComponent(id.value.trim()));
  });
  return form;
}
