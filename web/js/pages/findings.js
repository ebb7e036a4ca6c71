// 问题线索: compliance findings (filter by case, code and open), the
// yellow and red warnings of time limits, and the rule registry with what
// each code means, whom it names and what cures it.
import { h, fill, fmtTime, fmtDate } from '../dom.js';
import { strings, t, lang } from '../i18n.js';
import { get, getAll } from '../api.js';
import { field, table, pager, deadlineCard, errorBox } from '../ui.js';
import { kindNames, staffNames, matterNames, who } from '../supervision-common.js';

const T = strings({
  zh: {
    title: '问题线索', tabFindings: '问题', tabWarnings: '黄牌/红牌预警', tabRules: '规则说明',
    case: '案件编号', code: '问题类型', all: '全部', status: '状态', open: '仅未整改', any: '全部（含已整改）',
    apply: '查询', clear: '清除条件', detected: '检出时间', rule: '问题', severity: '严重程度',
    detail: '说明', responsible: '责任人', superior: '上级', state: '状态', cured: '已整改 {at}', notCured: '未整改',
    major: '严重', minor: '一般', noCase: '（无案件）', counts: '按问题类型统计（当前条件）',
    user: '责任人或上级（用户名）', unit: '单位', colour: '颜色', yellow: '黄牌', red: '红牌',
    matter: '事项', limit: '时限', due: '到期日', left: '剩余', asOf: '截至 {at}',
    limitNames: '{x}', basis: '依据', statement: '规则', cure: '整改方式', curable: '可整改', notCurable: '不可整改',
    scope: '范围', scopeCase: '案件', scopeStore: '全库', rulesIntro: '每类问题对应的法律依据、责任人和整改方式。',
    promised: '承诺时限', statutory: '法定时限', record: '记录 {seq}', showRule: '规则：',
  },
  en: {
    title: 'Findings', tabFindings: 'Findings', tabWarnings: 'Yellow and red cards', tabRules: 'Rules',
    case: 'Case number', code: 'Kind', all: 'All', status: 'Status', open: 'Open only', any: 'All, cured too',
    apply: 'Search', clear: 'Clear', detected: 'Detected', rule: 'Finding', severity: 'Severity',
    detail: 'Detail', responsible: 'Responsible', superior: 'Superior', state: 'State', cured: 'Cured {at}', notCured: 'Open',
    major: 'Major', minor: 'Minor', noCase: '(no case)', counts: 'By kind (current filter)',
    user: 'Responsible or superior (user name)', unit: 'Unit', colour: 'Colour', yellow: 'Yellow', red: 'Red',
    matter: 'Matter', limit: 'Time limit', due: 'Due', left: 'Left', asOf: 'As of {at}',
    basis: 'Basis', statement: 'Rule', cure: 'Cured by', curable: 'curable', notCurable: 'not curable',
    scope: 'Scope', scopeCase: 'case', scopeStore: 'store', rulesIntro: 'The basis of each kind of finding, whom it names and what cures it.',
    promised: 'promised', statutory: 'statutory', record: 'record {seq}', showRule: 'Rule: ',
  },
});

const LIMITS = { acceptance: '受理', decision: '作出决定', delivery: '送达', hearing: '听证', hearing_notice: '听证通知', publicity: '双公示', archive: '归档', renewal: '延续' };
const PAGE = 50;

export async function render(main, params, ctx) {
  document.title = T('title') + ' · ' + t('app');
  const q = ctx.query;
  const tab = q.get('tab') || 'findings';
  const go = (p) => {
    const s = new URLSearchParams(Object.entries(p).filter(([, v]) => v !== '' && v !== null && v !== undefined));
    ctx.navigate('/findings' + (s.toString() ? '?' + s : ''));
  };
  const tabs = h('div.tabs', { role: 'tablist', 'aria-label': T('title') },
    [['findings', T('tabFindings')], ['warnings', T('tabWarnings')], ['rules', T('tabRules')]].map(([k, label]) =>
      h('button', { type: 'button', role: 'tab', 'aria-selected': String(tab === k), onclick: () => go({ tab: k === 'findings' ? '' : k }) }, label)));
  const body = h('div', { role: 'tabpanel' });
  fill(main, h('h1', T('title')), tabs, body);
  const [rules, kinds, names, matters] = await Promise.all([get('/api/v1/findings/rules'), kindNames(), staffNames(), matterNames()]);
  const env = { kinds, names, matters };
  const byCode = Object.fromEntries(rules.items.map((r) => [r.code, r]));
  if (tab === 'warnings') return warnings(body, q, go, env);
  if (tab === 'rules') return ruleList(body, rules.items);
  return findings(body, q, go, rules.items, byCode, env);
}

function statement(r) {
  if (!r) return '';
  return lang() === 'en' ? r.statement.en : r.statement.zh;
}

// A finding's detail; a record kind code is named in Chinese too.
function detailText(detail, kinds) {
  if (!detail) return '';
  if (kinds[detail]) return kinds[detail] + '（' + detail + '）';
  return String(detail);
}

async function findings(body, q, go, rules, byCode, env) {
  const caseIn = h('input', { type: 'search', name: 'case', value: q.get('case') || '', placeholder: '2026-000001' });
  const codeIn = h('select', { name: 'code' }, h('option', { value: '' }, T('all')),
    rules.map((r) => h('option', { value: r.code, selected: q.get('code') === r.code }, statement(r).slice(0, 28) + ' (' + r.code + ')')));
  const openIn = h('select', { name: 'open' },
    h('option', { value: '1', selected: q.get('open') !== '0' }, T('open')),
    h('option', { value: '0', selected: q.get('open') === '0' }, T('any')));
  const filter = { case: caseIn.value.trim(), code: codeIn.value, open: openIn.value === '1' ? 1 : '' };
  const form = h('form.sv-filters', { role: 'search' },
    field(T('case'), caseIn), field(T('code'), codeIn), field(T('status'), openIn),
    h('button.primary', { type: 'submit' }, T('apply')),
    h('button', { type: 'button', onclick: () => go({}) }, T('clear')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go({ case: caseIn.value.trim(), code: codeIn.value, open: openIn.value === '0' ? '0' : '' });
  });
  const counts = h('ul.sv-counts', { 'aria-label': T('counts') });
  const list = h('div', { 'aria-live': 'polite' });
  fill(body, form, h('h2.sr-only', T('counts')), counts, list);

  // Grouped counts of the filter without its code.
  getAll('/api/v1/findings', { case: filter.case, open: filter.open }, 5000).then((all) => {
    const n = {};
    for (const f of all) n[f.code] = (n[f.code] || 0) + 1;
    fill(counts, Object.entries(n).sort((a, b) => b[1] - a[1]).map(([code, k]) =>
      h('li', h('button', { type: 'button', 'aria-pressed': String(filter.code === code), onclick: () => go({ case: filter.case, code, open: filter.open ? '' : '0' }) },
        h('span', statement(byCode[code]).slice(0, 18) || code), h('strong', String(k))))));
  }).catch((e) => fill(counts, h('li', errorBox(e))));

  const show = async (offset) => {
    let page;
    try {
      page = await get('/api/v1/findings', { ...filter, offset, limit: PAGE });
    } catch (e) { fill(list, errorBox(e)); return; }
    fill(list,
      table({
        caption: T('tabFindings'),
        columns: [
          { key: 'detected', label: T('detected'), render: (f) => fmtTime(f.detected_at || f.detected) },
          { key: 'case', label: T('case'), render: (f) => f.case ? h('a', { href: '#/cases/' + encodeURIComponent(f.case) }, f.case) : h('span.muted', T('noCase')) },
          { key: 'rule', label: T('rule'), render: (f) => h('div', h('div', f.rule || statement(byCode[f.code])), h('code.muted', f.code)) },
          { key: 'severity', label: T('severity'), render: (f) => h('span.sev-' + f.severity, T(f.severity)) },
          { key: 'detail', label: T('detail'), render: (f) => h('div', detailText(f.detail, env.kinds), f.record ? h('div.muted', T('record', { seq: f.record })) : null) },
          { key: 'responsible', label: T('responsible'), render: (f) => [who(f.responsible, env.names) || '—', f.superior ? h('div.muted', T('superior') + '：' + who(f.superior, env.names)) : null] },
          { key: 'state', label: T('state'), render: (f) => f.cured ? h('span.flag.ok', T('cured', { at: fmtTime(f.cured_at || f.cured) })) : h('span.flag.bad', T('notCured')) },
        ],
        rows: page.items,
        rowClass: (f) => (!f.cured && f.severity === 'major' ? 'red' : null),
      }),
      pager({ total: page.total, offset: page.offset, limit: PAGE, onPage: show }));
  };
  await show(0);
}

async function warnings(body, q, go, env) {
  const userIn = h('input', { type: 'search', name: 'user', value: q.get('user') || '' });
  const unitIn = h('input', { type: 'search', name: 'unit', value: q.get('unit') || '' });
  const colIn = h('select', { name: 'color' }, h('option', { value: '' }, T('all')),
    ['yellow', 'red'].map((c) => h('option', { value: c, selected: q.get('color') === c }, T(c))));
  const form = h('form.sv-filters', { role: 'search' },
    field(T('user'), userIn), field(T('unit'), unitIn), field(T('colour'), colIn),
    h('button.primary', { type: 'submit' }, T('apply')),
    h('button', { type: 'button', onclick: () => go({ tab: 'warnings' }) }, T('clear')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go({ tab: 'warnings', user: userIn.value.trim(), unit: unitIn.value.trim(), color: colIn.value });
  });
  const list = h('div', { 'aria-live': 'polite' });
  fill(body, form, list);

  let w;
  try {
    w = await get('/api/v1/warnings', { user: q.get('user'), unit: q.get('unit'), color: q.get('color') });
  } catch (e) { fill(list, errorBox(e)); return; }

  const counts = { yellow: 0, red: 0 };
  for (const x of w.items) counts[x.color] = (counts[x.color] || 0) + 1;
  const show = (offset) => fill(list,
    h('p.muted', T('asOf', { at: fmtTime(w.as_of) }), ' · ', T('red'), ' ', counts.red, ' · ', T('yellow'), ' ', counts.yellow),
    table({
      caption: T('tabWarnings'),
      columns: [
        { key: 'card', label: T('left'), render: (x) => deadlineCard(x.working_days_left, { provisional: x.provisional, due: x.due }) },
        { key: 'case', label: T('case'), render: (x) => h('a', { href: '#/cases/' + encodeURIComponent(x.case) }, x.case) },
        { key: 'matter', label: T('matter'), render: (x) => (x.matter && x.matter.name) || env.matters[x.matter] || x.matter || '' },
        { key: 'limit', label: T('limit'), render: (x) => [LIMITS[x.limit] || x.limit, h('div.muted', T(x.basis) || x.basis)] },
        { key: 'due', label: T('due'), render: (x) => fmtDate(x.due) },
        { key: 'responsible', label: T('responsible'), render: (x) => [who(x.responsible, env.names) || '—', x.superior ? h('div.muted', T('superior') + '：' + who(x.superior, env.names)) : null] },
        { key: 'unit', label: T('unit') },
      ],
      rows: w.items.slice(offset, offset + PAGE),
      rowClass: (x) => x.color,
    }),
    pager({ total: w.items.length, offset, limit: PAGE, onPage: show }));
  show(0);
}

function ruleList(body, rules) {
  fill(body, h('p.muted', T('rulesIntro')),
    h('div.panel.sv-rules', rules.map((r) => h('details',
      h('summary', h('span.sev-' + r.severity, '[' + T(r.severity) + '] '), statement(r), ' ', h('code.muted', r.code)),
      h('dl.facts',
        h('dt', T('statement')), h('dd', r.statement.zh, h('div.muted', r.statement.en)),
        h('dt', T('basis')), h('dd', r.basis || '—'),
        h('dt', T('scope')), h('dd', r.scope === 'store' ? T('scopeStore') : T('scopeCase')),
        h('dt', T('responsible')), h('dd', r.responsible || '—'),
        h('dt', T('cure')), h('dd', r.curable ? (r.cure || T('curable')) : T('notCurable')))))));
}
