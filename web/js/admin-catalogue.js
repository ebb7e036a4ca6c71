// 事项目录 and 法规库: the bureau's matter catalogue and law library, read
// only over HTTP. They are data files of the bureau (data/matters.json,
// data/laws.json), changed by the operators and read by the server at start.
import { h, fill } from './dom.js';
import { strings, t } from './i18n.js';
import { get, getAll } from './api.js';
import { field, table, pager, errorBox } from './ui.js';

const T = strings({
  zh: {
    readOnly: '只读目录：{what}由数据文件 {file} 维护，由运维人员修改后重启服务生效，不能在网页上修改。',
    matters: '事项目录', lawsWhat: '法规库',
    search: '查找事项', searchHint: '按事项编码、名称或所需材料查找', found: '找到 {n} 项',
    code: '编码', name: '事项名称', type: '类型', licence: '行政许可', confirmation: '行政确认',
    limits: '办理时限', materials: '申请材料', basis: '设定和实施依据', details: '详情',
    required: '必须', optional: '选交', flags: '办理要求', retention: '档案保管期限',
    joint: '联合办理', onSpot: '当场办理', inspection: '现场核查', hearing: '可听证', legalReview: '法制审核', collective: '集体讨论',
    workingDays: '{n} 个工作日', calendarDays: '{n} 日', hours: '{n} 小时', statutory: '法定', promised: '承诺', before: '（之前）',
    lawSearch: '查找法规', lawSearchHint: '按名称或编号查找', title: '名称', id: '编号', versions: '版本',
    version: '版本 {v}，{e} 施行', open: '查看条文', back: '返回法规列表', articles: '共 {n} 条',
    artSearch: '在条文中查找', artSearchHint: '输入条号（如 42）或文字', article: '第{n}条', paragraph: '第{n}款', item: '（{n}）',
    noMatch: '没有符合条件的条文', fullTextTitle: '条文全文检索', lawList: '法规目录', undated: '未注明日期', versionNoDate: '版本 {v}，施行日期未注明', fullText: '在全部法规条文中查找', fullTextHint: '输入至少两个字，例如：补正、听证、二十日', hits: '共 {n} 条结果（最多显示 100 条）', permanent: '永久', years: '{n} 年', shown: '显示 {n} 条', lawTitleVersion: '选择版本',
  },
  en: {
    readOnly: 'Read-only catalogue: the {what} is kept in the data file {file}; the operators change it and restart the server. It cannot be changed here.',
    matters: 'matter catalogue', lawsWhat: 'law library',
    search: 'Find a matter', searchHint: 'By code, name or required material', found: '{n} found',
    code: 'Code', name: 'Matter', type: 'Type', licence: 'Licence', confirmation: 'Confirmation',
    limits: 'Time limits', materials: 'Application materials', basis: 'Legal basis', details: 'Details',
    required: 'required', optional: 'optional', flags: 'Handling', retention: 'Retention',
    joint: 'joint handling', onSpot: 'on the spot', inspection: 'site inspection', hearing: 'hearing possible', legalReview: 'legal review', collective: 'collective discussion',
    workingDays: '{n} working days', calendarDays: '{n} days', hours: '{n} hours', statutory: 'statutory', promised: 'promised', before: ' (before)',
    lawSearch: 'Find a law', lawSearchHint: 'By title or id', title: 'Title', id: 'Id', versions: 'Versions',
    version: 'version {v}, in force {e}', open: 'Read articles', back: 'Back to the laws', articles: '{n} articles',
    artSearch: 'Search the articles', artSearchHint: 'An article number (such as 42) or words', article: 'Article {n}', paragraph: 'Paragraph {n}', item: '({n})',
    noMatch: 'No article matches', fullTextTitle: 'Full-text search', lawList: 'Laws', undated: 'undated', versionNoDate: 'version {v}, in force date not stated', fullText: 'Search every article', fullTextHint: 'At least two characters, such as 补正, 听证, 二十日', hits: '{n} results (up to 100 shown)', permanent: 'permanent', years: '{n} years', shown: '{n} shown', lawTitleVersion: 'Version',
  },
});

const LIMIT_NAMES = {
  acceptance: '受理', decision: '作出决定', extension: '延长', delivery: '送达', 'hearing-request': '申请听证',
  hearing: '听证', 'hearing-notice': '听证通知', correction: '补正', 'on-the-spot': '当场', renewal: '延续申请',
};

function limitText(l) {
  const n = l.unit === 'working_days' ? T('workingDays', { n: l.value }) : l.unit === 'hours' ? T('hours', { n: l.value }) : T('calendarDays', { n: l.value });
  return (LIMIT_NAMES[l.name] || l.name) + '：' + n + '（' + (T(l.basis) || l.basis) + '）' + (l.direction === 'before' ? T('before') : '');
}

// Law titles by id, filled when the matters are read, so that a basis
// names its law.
const lawTitles = new Map();

function retentionText(r) {
  if (r === 'permanent') return T('permanent');
  const m = /^(\d+)y$/.exec(r || '');
  return m ? T('years', { n: m[1] }) : (r || '');
}

function basisText(b) {
  const title = lawTitles.get(b.law);
  return (title ? '《' + title + '》' : b.law) + ' ' + b.version + ' 第' + b.article + '条' + (b.paragraph ? '第' + b.paragraph + '款' : '') + (b.item ? '第' + b.item + '项' : '');
}

// A law version as "版本 2019-04-23，2019-04-23 施行"; a version without
// a date or an effective date says so.
function versionText(v) {
  const version = v.version && v.version !== 'undated' ? v.version : T('undated');
  if (!v.effective) return T('versionNoDate', { v: version });
  return T('version', { v: version, e: v.effective });
}

function searchBox(label, hint, onInput) {
  const input = h('input', { type: 'search', autocomplete: 'off' });
  input.addEventListener('input', () => onInput(input.value.trim()));
  return { input, node: h('form.admin-search', { role: 'search', onsubmit: (e) => { e.preventDefault(); onInput(input.value.trim()); } },
    field(label, input, { hint }), h('button', { type: 'submit' }, t('search'))) };
}

const words = (q) => q.toLowerCase().split(/\s+/).filter(Boolean);

export async function renderMatters(el) {
  const count = h('p.muted', { 'aria-live': 'polite' });
  const out = h('div');
  const state = { items: [], q: '', offset: 0 };
  const box = searchBox(T('search'), T('searchHint'), (q) => { state.q = q; state.offset = 0; draw(); });
  fill(el, h('p.notice', T('readOnly', { what: T('matters'), file: 'data/matters.json' })), box.node, count, out);
  try {
    const [matters, laws] = await Promise.all([getAll('/api/v1/matters'), getAll('/api/v1/laws')]);
    state.items = matters;
    for (const l of laws) lawTitles.set(l.id, l.title);
  } catch (e) {
    fill(out, errorBox(e));
    return;
  }
  function draw() {
    const ws = words(state.q);
    const rows = state.items.filter((m) => {
      const text = [m.code, m.name, m.type, ...(m.materials || []).map((x) => x.name)].join(' ').toLowerCase();
      return ws.every((w) => text.includes(w));
    });
    count.textContent = T('found', { n: rows.length });
    const pageRows = rows.slice(state.offset, state.offset + 20);
    fill(out, table({ caption: T('matters'), rows: pageRows, columns: [
      { key: 'code', label: T('code'), render: (m) => h('span.mono', m.code) },
      { key: 'name', label: T('name'), render: (m) => matterDetails(m) },
      { key: 'type', label: T('type'), render: (m) => T(m.type) },
      { key: 'retention', label: T('retention'), render: (m) => retentionText(m.retention) },
    ] }), rows.length > 20 ? pager({ total: rows.length, offset: state.offset, limit: 20, onPage: (o) => { state.offset = o; draw(); } }) : null);
  }
  draw();
}

function matterDetails(m) {
  const flags = [['joint', 'joint'], ['on_the_spot', 'onSpot'], ['inspection', 'inspection'], ['hearing', 'hearing'],
    ['legal_review', 'legalReview'], ['collective_discussion', 'collective']].filter(([k]) => m[k]).map(([, l]) => T(l));
  return h('details.admin-matter', h('summary', m.name),
    h('h3', T('materials')), h('ol', (m.materials || []).map((x) => h('li', x.name, ' ', h('span.muted', '（' + (x.required ? T('required') : T('optional')) + '）')))),
    h('h3', T('limits')), h('ul', (m.limits || []).map((l) => h('li', limitText(l)))),
    h('h3', T('basis')), h('ul', (m.basis || []).map((b) => h('li', h('a', { href: '#/admin/laws?law=' + encodeURIComponent(b.law) + '&version=' + encodeURIComponent(b.version) + '&article=' + b.article }, basisText(b))))),
    flags.length ? [h('h3', T('flags')), h('p', flags.join('、'))] : null);
}

export async function renderLaws(el, ctx) {
  const lawId = ctx.query.get('law');
  if (lawId) return renderLaw(el, lawId, ctx.query.get('article') || '', ctx.query.get('version'));
  const count = h('p.muted', { 'aria-live': 'polite' });
  const out = h('div');
  const state = { items: [], q: '' };
  const box = searchBox(T('lawSearch'), T('lawSearchHint'), (q) => { state.q = q; draw(); });
  const textEl = h('section', { 'aria-labelledby': 'law-text-search' });
  fill(el, h('p.notice', T('readOnly', { what: T('lawsWhat'), file: 'data/laws.json' })), textEl, h('h2', T('lawList')), box.node, count, out);
  try {
    state.items = await getAll('/api/v1/laws');
    textSearch(textEl, state.items);
  } catch (e) {
    fill(out, errorBox(e));
    return;
  }
  function draw() {
    const ws = words(state.q);
    const rows = state.items.filter((l) => ws.every((w) => (l.id + ' ' + l.title).toLowerCase().includes(w)));
    count.textContent = T('found', { n: rows.length });
    fill(out, table({ caption: T('lawsWhat'), rows, columns: [
      { key: 'title', label: T('title'), render: (l) => h('a', { href: '#/admin/laws?law=' + encodeURIComponent(l.id) }, l.title) },
      { key: 'id', label: T('id'), render: (l) => h('span.mono', l.id) },
      { key: 'versions', label: T('versions'), render: (l) => (l.versions || []).map((v) => h('div', versionText(v))) },
    ] }));
  }
  draw();
}

// Searches the text of every article of every law. The laws are read
// once, on the first search.
function textSearch(el, laws) {
  const out = h('div', { 'aria-live': 'polite' });
  let full = null;
  const run = async (q) => {
    if (q.length < 2) { out.replaceChildren(); return; }
    fill(out, h('p.loading', t('loading')));
    try {
      full = full || await Promise.all(laws.map((l) => get('/api/v1/laws/' + encodeURIComponent(l.id))));
    } catch (e) {
      fill(out, errorBox(e));
      return;
    }
    const hits = [];
    for (const law of full) {
      for (const v of law.versions || []) {
        for (const a of v.articles || []) {
          if (articleText(a).includes(q)) hits.push({ law, v, a });
        }
      }
    }
    fill(out, h('p.muted', T('hits', { n: hits.length })), h('ol.admin-hits', hits.slice(0, 100).map(({ law, v, a }) => h('li',
      h('a', { href: '#/admin/laws?law=' + encodeURIComponent(law.id) + '&version=' + encodeURIComponent(v.version) + '&article=' + a.no },
        '《' + law.title + '》' + T('article', { n: a.no }) + '（' + versionText(v) + '）'),
      h('p', snippet(articleText(a), q))))));
  };
  const box = searchBox(T('fullText'), T('fullTextHint'), run);
  fill(el, h('h2#law-text-search', T('fullTextTitle')), box.node, out);
}

// The text around the first match of q, with the match marked.
function snippet(text, q) {
  const i = text.indexOf(q);
  const start = Math.max(0, i - 40);
  return [start > 0 ? '…' : '', text.slice(start, i), h('mark', q), text.slice(i + q.length, i + q.length + 60), '…'];
}

function articleNode(a) {
  return h('article.admin-article', { id: 'art-' + a.no },
    h('h4', T('article', { n: a.no })),
    (a.paragraphs && a.paragraphs.length ? a.paragraphs : [{ no: 1, text: a.text }]).map((p) => h('div.admin-para',
      h('p', a.paragraphs && a.paragraphs.length > 1 ? h('span.muted', T('paragraph', { n: p.no }) + ' ') : null, p.text),
      p.items && p.items.length ? h('ol.admin-items', p.items.map((i) => h('li', h('span.muted', T('item', { n: i.no }) + ' '), i.text))) : null)));
}

function articleText(a) {
  const parts = [a.text || ''];
  for (const p of a.paragraphs || []) {
    parts.push(p.text);
    for (const i of p.items || []) parts.push(i.text);
  }
  return parts.join(' ');
}

async function renderLaw(el, id, article, wanted) {
  const out = h('div');
  fill(el, h('p', h('a', { href: '#/admin/laws' }, '← ' + T('back'))), out);
  let law;
  try {
    law = await get('/api/v1/laws/' + encodeURIComponent(id));
  } catch (e) {
    fill(out, errorBox(e));
    return;
  }
  const versions = law.versions || [];
  let chosen = versions.findIndex((v) => v.version === wanted);
  if (chosen < 0) chosen = versions.length - 1;
  const pick = h('select', { name: 'law-version' }, versions.map((v, i) => h('option', { value: String(i), selected: i === chosen }, versionText(v))));
  const count = h('p.muted', { 'aria-live': 'polite' });
  const list = h('div.admin-law-text');
  const input = h('input', { type: 'search', autocomplete: 'off', value: article });
  const draw = () => {
    const v = versions[Number(pick.value)] || { articles: [] };
    const q = input.value.trim();
    const rows = (v.articles || []).filter((a) => !q || (/^\d+$/.test(q) ? String(a.no) === q : articleText(a).includes(q)));
    count.textContent = T('shown', { n: rows.length }) + ' · ' + T('articles', { n: (v.articles || []).length });
    fill(list, rows.length ? rows.map(articleNode) : h('p.muted', T('noMatch')));
  };
  pick.addEventListener('change', draw);
  input.addEventListener('input', draw);
  fill(out, h('h2', law.title, ' ', h('span.mono.muted', law.id)),
    h('div.grid2', versions.length > 1 ? field(T('lawTitleVersion'), pick) : h('p', versions[0] ? versionText(versions[0]) : ''),
      field(T('artSearch'), input, { hint: T('artSearchHint') })),
    count, list);
  draw();
}
