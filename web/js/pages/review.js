// 案卷评查评分表: a case scored against data/review-standard.json, as
// GET /api/v1/cases/{id}/review gives it: each item with its points, the
// score, whether it is a veto item and what the check found; the total,
// the grade and the veto items that failed. Printable.
import { h, fill, fmtTime, todayCst } from '../dom.js';
import { strings, t } from '../i18n.js';
import { get } from '../api.js';

const T = strings({
  zh: {
    title: '案卷评查评分表', case: '案件', status: '案件状态', sealed: '案卷封存', notSealed: '尚未封存',
    item: '评查项目', check: '检查内容', points: '分值', score: '得分', veto: '否决项', finding: '评查情况',
    present: '符合', missing: '不符合', na: '不适用', total: '总分', grade: '等次', vetoed: '否决项不合格',
    none: '无', findings: '本案问题线索 {n} 条', standard: '评查标准', print: '打印评分表', back: '返回报告',
    reviewedOn: '评查日期', openCase: '打开案件', yes: '是', vetoFail: '该否决项不符合，案卷评为不合格。',
    reviewer: '评查人', sign: '（签名）',
  },
  en: {
    title: 'Case-file review score sheet', case: 'Case', status: 'Status', sealed: 'Case file sealed', notSealed: 'not sealed yet',
    item: 'Item', check: 'Check', points: 'Points', score: 'Score', veto: 'Veto', finding: 'Found',
    present: 'met', missing: 'not met', na: 'n/a', total: 'Total', grade: 'Grade', vetoed: 'Failed veto items',
    none: 'none', findings: '{n} findings in this case', standard: 'Standard', print: 'Print', back: 'Back to reports',
    reviewedOn: 'Reviewed on', openCase: 'Open case', yes: 'yes', vetoFail: 'This veto item is not met: the case file fails.',
    reviewer: 'Reviewer', sign: '(signature)',
  },
});

const STATUS = { open: '办理中', closed: '已办结', archived: '已归档' };
const STATE = { present: 'present', missing: 'missing', 'not-applicable': 'na' };
const ROW_CLASS = { missing: 'missing', na: 'na' };
const FLAG = { present: 'ok', missing: 'bad', na: 'info' };

// The case file's seal as shown: its time, else its entry, else not sealed.
function sealText(sealed) {
  if (!sealed) return T('notSealed');
  if (typeof sealed !== 'object') return String(sealed);
  return fmtTime(sealed.at || sealed.sealed_at) || String(sealed.seq || '');
}

export async function render(main, params, ctx) {
  document.title = T('title') + ' · ' + t('app');
  const id = params.id;
  const [r, rules] = await Promise.all([
    get('/api/v1/cases/' + encodeURIComponent(id) + '/review'),
    get('/api/v1/findings/rules').catch(() => ({ items: [] })),
  ]);
  const statements = Object.fromEntries(rules.items.map((x) => [x.code, x.statement.zh]));
  // A reason naming a finding code gets the rule's statement beside it.
  const reasonText = (text) => text.replace(/\b[a-z]+(?:-[a-z]+)+\b/g, (code) => (statements[code] ? '“' + statements[code] + '”（' + code + '）' : code));
  const vetoed = new Set((r.vetoed || []).map((v) => (typeof v === 'string' ? v : v.code)));
  const rows = r.items.map((it) => {
    const st = STATE[it.state] || it.state;
    const vetoClass = vetoed.has(it.code) ? '.sv-veto' : '';
    return h('tr', { class: ROW_CLASS[st] || null },
      h('th', { scope: 'row' }, it.name, h('div.muted.mono', it.code)),
      h('td.num', String(it.points)),
      h('td.num', h('strong', String(it.score))),
      h('td', it.veto ? h('span' + vetoClass, T('veto')) : ''),
      h('td', h('span.flag.' + (FLAG[st] || 'info'), T(st)),
        it.reason ? ' ' + reasonText(it.reason) : '',
        vetoed.has(it.code) ? h('div.sv-veto', T('vetoFail')) : null));
  });
  fill(main,
    h('div.spread',
      h('h1', T('title')),
      h('div.actions',
        h('button.primary', { type: 'button', onclick: () => window.print() }, T('print')),
        h('a.button', { href: '#/cases/' + encodeURIComponent(id) }, T('openCase')),
        h('a.button', { href: '#/reports' }, T('back')))),
    h('section.panel',
      h('dl.facts',
        h('dt', T('case')), h('dd', h('a', { href: '#/cases/' + encodeURIComponent(id) }, r.case)),
        h('dt', T('status')), h('dd', STATUS[r.status] || r.status),
        h('dt', T('sealed')), h('dd', sealText(r.sealed)),
        h('dt', T('standard')), h('dd', (r.standard && r.standard.name) || '', r.standard ? ' 第 ' + r.standard.version + ' 版' : ''),
        h('dt', T('reviewedOn')), h('dd', todayCst()))),
    h('div.table-wrap.sv-sheet', h('table',
      h('caption', T('title') + ' · ' + r.case),
      h('thead', h('tr',
        h('th', { scope: 'col' }, T('item')), h('th.num', { scope: 'col' }, T('points')), h('th.num', { scope: 'col' }, T('score')),
        h('th', { scope: 'col' }, T('veto')), h('th', { scope: 'col' }, T('finding')))),
      h('tbody', rows),
      h('tfoot', h('tr',
        h('th', { scope: 'row' }, T('total')), h('td.num', String(r.max)), h('td.num', h('strong.sv-score-total', String(r.total))),
        h('td', ''), h('td', h('strong', T('grade') + '：' + r.grade)))))),
    h('section.panel',
      h('p', h('span', T('total') + '：'), h('span.sv-score', String(r.total)), ' / ' + r.max, '　', h('strong', T('grade') + '：' + r.grade)),
      h('p', T('vetoed') + '：', vetoed.size ? [...vetoed].map((c) => (r.items.find((i) => i.code === c) || { name: c }).name).join('、') : T('none')),
      h('p', r.findings ? h('a', { href: '#/findings?case=' + encodeURIComponent(r.case) + '&open=0' }, T('findings', { n: r.findings })) : T('findings', { n: 0 })),
      h('p.sv-signline', T('reviewer') + '：________________ ' + T('sign'))),
    r.standard && r.standard.source ? h('p.muted.hint', r.standard.source) : null);
}
