// The case lists of the work list and the case search: the filter bar,
// the columns (case number, applicant, matter, stage, received, due, days
// left), sorting and paging in the browser over the cases the API
// returned, and the deadline that matters now for each case.
import { h, fill, fmtDate, fmtTime, todayCst } from './dom.js';
import { strings, stageName } from './i18n.js';
import { get, getAll } from './api.js';
import { field, pager, table, deadlineCard, compareValues, cardColor } from './ui.js';

export const T = strings({
  zh: {
    id: '案件编号', applicant: '申请人', matter: '申请事项', stage: '阶段', received: '收件时间',
    due: '期限届满', left: '剩余期限', waiting: '待办事项', action: '操作',
    allStages: '全部阶段', allMatters: '全部事项', allColors: '全部', color: '预警',
    onlyRed: '红牌（已超期）', onlyYellow: '黄牌（3 个工作日内到期）', warned: '黄牌和红牌',
    q: '搜索', qHint: '申请人名称、统一社会信用代码、案件编号或文书编号',
    apply: '查询', clear: '清除条件', shown: '共 {n} 件',
    limit_acceptance: '受理期限', limit_decision: '决定期限', limit_extension: '延长期限',
    limit_delivery: '送达期限', limit_hearing: '听证期限', 'limit_hearing-request': '听证申请期限',
    'limit_hearing-notice': '听证通知期限', limit_archive: '归档期限', limit_publicity: '公示期限',
    basis_promised: '承诺', noDeadline: '无进行中的期限', capped: '仅显示最近的 {n} 件，请缩小查询条件。',
  },
  en: {
    id: 'Case number', applicant: 'Applicant', matter: 'Matter', stage: 'Stage', received: 'Received',
    due: 'Due', left: 'Time left', waiting: 'Waiting for', action: 'Action',
    allStages: 'All stages', allMatters: 'All matters', allColors: 'All', color: 'Warning',
    onlyRed: 'Red (overdue)', onlyYellow: 'Yellow (due within 3 working days)', warned: 'Yellow and red',
    q: 'Search', qHint: 'Applicant name, unified social credit code, case number or document number',
    apply: 'Search', clear: 'Clear', shown: '{n} cases',
    limit_acceptance: 'Acceptance', limit_decision: 'Decision', limit_extension: 'Extension',
    limit_delivery: 'Delivery', limit_hearing: 'Hearing', 'limit_hearing-request': 'Hearing request',
    'limit_hearing-notice': 'Hearing notice', limit_archive: 'Archiving', limit_publicity: 'Publicity',
    basis_promised: 'promised', noDeadline: 'No running time limit', capped: 'Only the latest {n} cases are shown; narrow the search.',
  },
});

export const STAGES = ['application', 'acceptance', 'investigation', 'decision', 'service', 'archive'];
export const PAGE = 50;
// The most cases one list loads; sorting needs them all in the browser.
export const MAX_CASES = 5000;

let matterCache = null;

// The matter catalogue, loaded once per page load.
export async function matters() {
  if (!matterCache) matterCache = getAll('/api/v1/matters').catch((e) => { matterCache = null; throw e; });
  return matterCache;
}

let calendarCache = null;

// The working days around today, as a sorted array of YYYY-MM-DD, from
// GET /api/v1/deadline with explain=1: 200 calendar days back and about
// a year ahead.
async function workingDays() {
  if (!calendarCache) {
    const from = new Date(Date.parse(todayCst() + 'T12:00:00+08:00') - 200 * 86400000)
      .toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
    calendarCache = get('/api/v1/deadline', { from, 'working-days': 380, explain: 1 })
      .then((r) => (r.explain || r.days || []).filter((d) => d.counted).map((d) => d.date))
      .catch(() => null);
  }
  return calendarCache;
}

// Working days from today to due, counted as the warnings count them: 0
// on the due day, 1 the working day before, and once overdue minus the
// working days since the due day, at least -1. Null when the calendar
// does not reach the date.
export async function workingDaysLeft(due) {
  const days = await workingDays();
  const today = todayCst();
  if (!days || !days.length || !due || due > days[days.length - 1] || due < days[0]) return null;
  if (due >= today) return days.filter((d) => d > today && d <= due).length;
  const since = days.filter((d) => d > due && d <= today).length;
  return since > 0 ? -since : -1;
}

// The running time limit of a case summary that falls due first:
// {name, due, provisional, basis}, or null. A promised limit counts in
// place of the statutory one, as the warnings do.
export function runningDeadline(summary) {
  let best = null;
  for (const [name, d] of Object.entries(summary.deadlines || {})) {
    if (!d || (d.state !== 'open' && d.state !== 'overdue')) continue;
    const limit = d.promised || d;
    if (!limit.date) continue;
    if (!best || limit.date < best.due) {
      best = { name, due: limit.date, provisional: !!limit.provisional, basis: d.promised ? 'promised' : 'statutory' };
    }
  }
  return best;
}

// Adds to each summary `deadline` and `left` (working days), taking the
// figures of the warnings where there is one, so both agree.
export async function annotate(rows, warnings) {
  const byCase = new Map();
  for (const w of warnings || []) {
    const had = byCase.get(w.case);
    if (!had || w.working_days_left < had.working_days_left) byCase.set(w.case, w);
  }
  for (const r of rows) {
    const w = byCase.get(r.id);
    if (w) {
      r.deadline = { name: w.limit, due: w.due, provisional: !!w.provisional, basis: w.basis };
      r.left = w.working_days_left;
    } else {
      r.deadline = runningDeadline(r);
      r.left = r.deadline ? await workingDaysLeft(r.deadline.due) : null;
    }
    r.color = '';
    if (r.left !== null && r.left !== undefined && cardColor(r.left) !== 'plain') r.color = cardColor(r.left);
  }
  return rows;
}

// The warnings of open cases that the user may see (the route is not
// paged).
export async function warnings() {
  try {
    return (await get('/api/v1/warnings')).items || [];
  } catch (e) {
    return [];
  }
}

export function limitName(name) {
  const s = T('limit_' + name);
  return s === 'limit_' + name ? name : s;
}

// The filter bar. state: {stage, matter, color, q}; onApply(state).
export function filterBar(state, catalogue, onApply, { stages = STAGES, extra = null } = {}) {
  const stage = h('select', { name: 'stage' }, h('option', { value: '' }, T('allStages')),
    stages.map((s) => h('option', { value: s, selected: state.stage === s }, stageName(s))));
  const matter = h('select', { name: 'matter' }, h('option', { value: '' }, T('allMatters')),
    catalogue.map((m) => h('option', { value: m.code, selected: state.matter === m.code }, m.name + '（' + m.code + '）')));
  const color = h('select', { name: 'color' },
    [['', T('allColors')], ['warned', T('warned')], ['red', T('onlyRed')], ['yellow', T('onlyYellow')]]
      .map(([v, l]) => h('option', { value: v, selected: (state.color || '') === v }, l)));
  const q = h('input', { type: 'search', name: 'q', value: state.q || '', autocomplete: 'off' });
  const read = () => ({ ...state, stage: stage.value, matter: matter.value, color: color.value, q: q.value.trim() });
  return h('form.filters.panel', { role: 'search', onsubmit: (e) => { e.preventDefault(); onApply(read()); } },
    h('div.filter-grid',
      field(T('q'), q, { hint: T('qHint') }),
      field(T('stage'), stage), field(T('matter'), matter), field(T('color'), color),
      extra),
    h('div.actions',
      h('button.primary', { type: 'submit' }, T('apply')),
      h('button', { type: 'button', onclick: () => {
        stage.value = ''; matter.value = ''; color.value = ''; q.value = '';
        onApply(read());
      } }, T('clear'))));
}

// Keeps only the rows of the chosen colour.
export function byColor(rows, color) {
  if (color === 'red') return rows.filter((r) => r.color === 'red');
  if (color === 'yellow') return rows.filter((r) => r.color === 'yellow');
  if (color === 'warned') return rows.filter((r) => r.color);
  return rows;
}

const SORT_VALUES = {
  id: (r) => r.id,
  applicant: (r) => r.applicant || '',
  matter: (r) => (r.matter && r.matter.name) || '',
  stage: (r) => STAGES.indexOf(r.stage),
  received: (r) => r.received || '',
  due: (r) => (r.deadline ? r.deadline.due : null),
  left: (r) => (r.left === null || r.left === undefined ? null : r.left),
};

// The columns every case list shows, plus the given ones.
export function caseColumns(extra = []) {
  return [
    { key: 'id', label: T('id'), sort: true, value: SORT_VALUES.id,
      render: (r) => h('a.case-link', { href: '#/cases/' + encodeURIComponent(r.id) }, r.id) },
    { key: 'applicant', label: T('applicant'), sort: true, value: SORT_VALUES.applicant,
      render: (r) => h('div.applicant', h('span.name', r.applicant || ''),
        r.applicant_id ? h('small.mono.muted', r.applicant_id) : null) },
    { key: 'matter', label: T('matter'), sort: true, value: SORT_VALUES.matter,
      render: (r) => (r.matter ? r.matter.name || r.matter.code : '') },
    { key: 'stage', label: T('stage'), sort: true, value: SORT_VALUES.stage,
      render: (r) => r.stage_name || stageName(r.stage) },
    ...extra,
    { key: 'received', label: T('received'), sort: true, value: SORT_VALUES.received, render: (r) => fmtTime(r.received) },
    { key: 'due', label: T('due'), sort: true, value: SORT_VALUES.due,
      render: (r) => (r.deadline ? h('span', fmtDate(r.deadline.due), h('small.muted.limit-name', ' ' + limitName(r.deadline.name)
        + (r.deadline.basis === 'promised' ? '（' + T('basis_promised') + '）' : ''))) : h('span.muted', '—')) },
    { key: 'left', label: T('left'), sort: true, value: SORT_VALUES.left,
      render: (r) => (r.deadline ? deadlineCard(r.left, { provisional: r.deadline.provisional, due: r.deadline.due })
        : h('span.muted', T('noDeadline'))) },
  ];
}

// Draws rows into host as a sortable table with a pager. view: {sort:
// {key, dir}, offset}, kept by the caller and changed through onView.
export function drawList(host, { rows, columns, view, onView, caption, empty, note }) {
  const col = columns.find((c) => c.key === view.sort.key);
  const val = (col && col.value) || ((r) => r[view.sort.key]);
  const sorted = rows.slice().sort((a, b) => compareValues(val(a), val(b), view.sort.dir));
  const offset = Math.min(view.offset, Math.max(0, Math.floor((sorted.length - 1) / PAGE) * PAGE));
  const page = sorted.slice(offset, offset + PAGE);
  const pages = () => (sorted.length > PAGE ? pager({ total: sorted.length, offset, limit: PAGE, onPage: (o) => onView({ offset: o }) }) : null);
  fill(host,
    h('div.list-head', h('p.list-count', { 'aria-live': 'polite' }, T('shown', { n: rows.length })), pages()),
    note || null,
    table({ columns, rows: page, caption, empty, sort: view.sort,
      onSort: (key, dir) => onView({ sort: { key, dir }, offset: 0 }),
      rowClass: (r) => r.color || null }),
    pages());
}

// Loads the case summaries of the query, at most MAX_CASES; returns
// {items, capped}.
export async function loadCases(params) {
  const items = await getAll('/api/v1/cases', params, MAX_CASES);
  return { items, capped: items.length >= MAX_CASES };
}

// Parses and writes the list's state in the hash query, so that reload
// and the back button keep the filters, sort and page.
export function readState(query, defaults) {
  const s = { ...defaults };
  for (const k of ['stage', 'matter', 'color', 'q', 'sort', 'dir', 'all']) if (query.get(k) !== null) s[k] = query.get(k);
  s.offset = Math.max(0, parseInt(query.get('offset') || '0', 10) || 0);
  return s;
}

export function writeState(path, s, defaults) {
  const q = new URLSearchParams();
  for (const k of ['stage', 'matter', 'color', 'q', 'sort', 'dir', 'all']) if (s[k] && s[k] !== defaults[k]) q.set(k, s[k]);
  if (s.offset) q.set('offset', String(s.offset));
  const str = q.toString();
  history.replaceState(null, '', '#' + path + (str ? '?' + str : ''));
}
