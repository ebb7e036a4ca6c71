// 工作日历: the working-day calendar the time limits are counted on, a
// month grid of rest days and adjusted working days, and a deadline
// calculator that shows every day it looked at. The calendar is read only
// here; `casetrail calendar import FILE.json` adds or replaces a year.
import { h, fill, todayCst } from './dom.js';
import { strings, t } from './i18n.js';
import { get } from './api.js';
import { field, busy, table } from './ui.js';

const T = strings({
  zh: {
    readOnly: '只读：工作日历按国务院办公厅每年公布的放假安排维护，由运维人员用命令 casetrail calendar import 年度文件.json 导入或替换某一年（数据文件在 data/calendar/），导入后在办案件的期限自动重新计算。',
    years: '已导入的年度', published: '已公布', unpublished: '未公布（按法定节假日推算，期限为暂定）',
    month: '月历', monthPick: '月份', prevMonth: '上个月', nextMonth: '下个月',
    legend: '图例', work: '工作日', rest: '休息日', adjusted: '调休上班',
    weekdays: '一,二,三,四,五,六,日', monthTitle: '{y}年{m}月',
    calc: '期限计算器', from: '起算日', fromHint: '期限自起算日的次日开始计算', n: '期限天数', unit: '计算方式',
    wd: '工作日', cd: '自然日', count: '计算', due: '期限届满日：{due}',
    prov: '暂定：所涉年度的放假安排尚未公布，按法定节假日推算。', explain: '逐日说明',
    date: '日期', weekday: '星期', counted: '是否计入', nth: '第几日', why: '说明',
    yes: '计入', no: '不计入', cliHint: '命令行可得到同样结果：{cmd}',
    calLabel: '{y}年{m}月日历，休息日和调休上班日已标出',
  },
  en: {
    readOnly: 'Read only: the working calendar follows the holiday schedule the State Council publishes each year. The operators add or replace a year with casetrail calendar import YEAR.json (data files in data/calendar/), and open deadlines are counted again.',
    years: 'Years imported', published: 'published', unpublished: 'not published (weekends only; deadlines are provisional)',
    month: 'Month', monthPick: 'Month', prevMonth: 'Previous month', nextMonth: 'Next month',
    legend: 'Legend', work: 'working day', rest: 'rest day', adjusted: 'adjusted working day',
    weekdays: 'Mon,Tue,Wed,Thu,Fri,Sat,Sun', monthTitle: '{y}-{m}',
    calc: 'Deadline calculator', from: 'From', fromHint: 'The period starts the day after this date', n: 'Days', unit: 'Counted in',
    wd: 'working days', cd: 'calendar days', count: 'Count', due: 'Due: {due}',
    prov: 'Provisional: the holiday schedule of a year involved is not published; weekends only.', explain: 'Day by day',
    date: 'Date', weekday: 'Weekday', counted: 'Counted', nth: 'Day no.', why: 'Note',
    yes: 'counted', no: 'not counted', cliHint: 'The command line gives the same: {cmd}',
    calLabel: 'Calendar of {y}-{m}; rest days and adjusted working days are marked',
  },
});

const pad = (n) => String(n).padStart(2, '0');
const WEEK = () => T('weekdays').split(',');

function weekdayOf(iso) {
  const d = new Date(iso + 'T00:00:00Z');
  return (d.getUTCDay() + 6) % 7; // 0 = Monday
}

function addDays(iso, n) {
  const d = new Date(iso + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// Returns the days of month y-m as {date, rest, why}. The server counts 25
// working days from the last day of the month before, which passes the
// whole month, and its explanation lists every day, rest days included.
async function monthDays(y, m) {
  const first = y + '-' + pad(m) + '-01';
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const r = await get('/api/v1/deadline', { from: addDays(first, -1), 'working-days': 25, explain: 1 });
  const byDate = new Map((r.explain || []).map((d) => [d.date, d]));
  const out = [];
  for (let i = 0; i < days; i++) {
    const date = addDays(first, i);
    const d = byDate.get(date) || {};
    out.push({ date, rest: d.counted === false, why: d.why || '', provisional: r.provisional });
  }
  return out;
}

export async function renderCalendar(el) {
  const yearsEl = h('div');
  const monthEl = h('div');
  const calcEl = h('div');
  fill(el, h('p.notice', T('readOnly')), h('h2', T('years')), yearsEl, h('h2', T('month')), monthEl, calcEl);
  calculator(calcEl);
  const today = todayCst();
  monthView(monthEl, Number(today.slice(0, 4)), Number(today.slice(5, 7)));
  try {
    const c = await get('/api/v1/calendar');
    fill(yearsEl, h('ul.admin-years', (c.years || []).map((y) => h('li', { class: y.published ? 'pub' : 'unpub' },
      h('strong', String(y.year)), ' ', y.published ? T('published') : T('unpublished')))));
  } catch (e) {
    fill(yearsEl, h('p.error', e.message));
  }
}

function monthView(el, y, m) {
  const input = h('input', { type: 'month', value: y + '-' + pad(m), name: 'month' });
  const grid = h('div', { 'aria-live': 'polite' });
  const go = (dy, dm) => {
    let yy = dy, mm = dm;
    if (mm < 1) { mm = 12; yy--; }
    if (mm > 12) { mm = 1; yy++; }
    input.value = yy + '-' + pad(mm);
    draw();
  };
  const draw = async () => {
    const [yy, mm] = input.value.split('-').map(Number);
    if (!yy || !mm) return;
    fill(grid, h('p.loading', t('loading')));
    try {
      drawGrid(grid, yy, mm, await monthDays(yy, mm));
    } catch (e) {
      fill(grid, h('p.error', e.message));
    }
  };
  input.addEventListener('change', draw);
  const cur = () => input.value.split('-').map(Number);
  fill(el, h('div.row.admin-month-bar',
    h('button', { type: 'button', onclick: () => { const [a, b] = cur(); go(a, b - 1); } }, '‹ ' + T('prevMonth')),
    field(T('monthPick'), input),
    h('button', { type: 'button', onclick: () => { const [a, b] = cur(); go(a, b + 1); } }, T('nextMonth') + ' ›')),
  h('p.admin-legend', h('span.sr-only', T('legend') + '：'),
    h('span.day-key.work', T('work')), h('span.day-key.rest', T('rest') + '（休）'), h('span.day-key.adjusted', T('adjusted') + '（班）')),
  grid);
  draw();
}

function drawGrid(el, y, m, days) {
  const cells = [];
  for (let i = 0; i < weekdayOf(days[0].date); i++) cells.push(h('td.blank'));
  const rows = [];
  const today = todayCst();
  for (const d of days) {
    const wd = weekdayOf(d.date);
    const adjusted = !d.rest && wd >= 5;
    let cls = 'work', tag = '';
    if (d.rest) { cls = 'rest'; tag = '休'; } else if (adjusted) { cls = 'adjusted'; tag = '班'; }
    cells.push(h('td.day.' + cls + (d.date === today ? '.today' : ''), { 'aria-current': d.date === today ? 'date' : null },
      h('span.num', String(Number(d.date.slice(8)))),
      tag ? h('span.tag', tag) : null,
      d.why && d.why !== '周末' ? h('span.why', d.why) : null,
      h('span.sr-only', ' ' + T(cls))));
    if (cells.length === 7) { rows.push(h('tr', cells.splice(0))); }
  }
  if (cells.length) {
    while (cells.length < 7) cells.push(h('td.blank'));
    rows.push(h('tr', cells));
  }
  fill(el, h('table.admin-cal', { 'aria-label': T('calLabel', { y, m }) },
    h('caption', T('monthTitle', { y, m })),
    h('thead', h('tr', WEEK().map((w) => h('th', { scope: 'col' }, w)))),
    h('tbody', rows)),
  days[0].provisional ? h('p.notice', T('prov')) : null);
}

function calculator(el) {
  const from = h('input', { type: 'date', name: 'deadline-from', value: todayCst() });
  const n = h('input', { type: 'number', name: 'deadline-n', min: 0, max: 3650, value: 20, inputmode: 'numeric' });
  const unit = h('select', { name: 'deadline-unit' }, h('option', { value: 'working-days' }, T('wd')), h('option', { value: 'calendar-days' }, T('cd')));
  const errs = h('div');
  const result = h('div', { 'aria-live': 'polite' });
  const button = h('button.primary', { type: 'submit' }, T('count'));
  fill(el, h('form.panel', { novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    busy(button, async () => {
      const r = await get('/api/v1/deadline', { from: from.value, [unit.value]: n.value, explain: 1 });
      showResult(result, r, unit.value);
    }, errs);
  } }, h('h2', T('calc')),
  h('div.grid3', field(T('from'), from, { required: true, hint: T('fromHint') }), field(T('n'), n, { required: true }), field(T('unit'), unit)),
  errs, h('div.actions', button), result));
}

function showResult(el, r, unit) {
  const cmd = 'casetrail deadline --from ' + r.from + ' --' + unit + ' ' + r.n + ' --explain';
  fill(el, h('p.admin-due', h('strong', T('due', { due: r.due }))),
    r.provisional ? h('p.notice', T('prov')) : null,
    h('p.muted', T('cliHint', { cmd })),
    h('details', { open: (r.explain || []).length <= 40 }, h('summary', T('explain')),
      table({ rows: r.explain || [], rowClass: (d) => (d.counted ? null : 'admin-skip'), columns: [
        { key: 'date', label: T('date') },
        { key: 'weekday', label: T('weekday'), render: (d) => '星期' + '一二三四五六日'[weekdayOf(d.date)] },
        { key: 'counted', label: T('counted'), render: (d) => (d.counted ? T('yes') : T('no')) },
        { key: 'n', label: T('nth'), render: (d) => (d.n ? String(d.n) : '') },
        { key: 'why', label: T('why') },
      ] })));
}
