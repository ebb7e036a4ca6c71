// 复制申请: the copy requests the user may see and one request in full.
// The supervisory department approves, withholding records with reasons,
// or rejects with reasons. An approved copy set is downloaded here, and
// the log records each download as a new copy (docs/copies.md).
import { h, fill, fmtTime, fmtDate, fmtBytes } from '../dom.js';
import { strings, t } from '../i18n.js';
import { get, post } from '../api.js';
import { field, table, pager, busy, notify, errorBox } from '../ui.js';
import { fetchBlob, saveBlob, pool, staffNames, who } from '../supervision-common.js';

const T = strings({
  zh: {
    title: '复制申请', status: '状态', all: '全部', pending: '待决定', overdue: '已超期', approved: '已批准', rejected: '不予批准',
    number: '申请编号', case: '案件', requester: '申请人', onBehalf: '代理', purpose: '用途', received: '收到日期', due: '决定期限',
    records: '申请复制的记录', media: '音像资料', filter: '筛选', open: '查看', back: '返回列表',
    decision: '决定', decide: '作出决定', approve: '批准', reject: '不予批准', reasons: '理由',
    reasonsHint: '不予批准时必须写明理由。', withhold: '不予提供的记录', withholdReason: '不予提供的理由',
    withholdHint: '勾选批准时仍不提供的记录，并写明理由（例如：涉及第三人个人信息）。内部讨论类记录会自动不予提供。',
    submit: '提交决定', decided: '已作出决定：{d}', needReasons: '不予批准时请填写理由。', needWithholdReason: '请为记录 {seq} 填写不予提供的理由。',
    copies: '已制作的复制件', download: '下载复制件', downloaded: '已下载复制件 {copy}（日志记录 {entry}）',
    copyId: '份号', made: '制作时间', sha: 'SHA-256', size: '大小', by: '决定人', at: '决定时间', withheldList: '不予提供',
    noDecision: '尚未决定', late: '超过决定期限', madeBy: '制作人', decider: '仅监管部门负责人可以作出决定。', kind: '记录', actor: '申请登记人',
  },
  en: {
    title: 'Copy requests', status: 'Status', all: 'All', pending: 'Pending', overdue: 'Overdue', approved: 'Approved', rejected: 'Rejected',
    number: 'Number', case: 'Case', requester: 'Requester', onBehalf: 'Agent for', purpose: 'Purpose', received: 'Received', due: 'Decide by',
    records: 'Records requested', media: 'Audio-visual files', filter: 'Filter', open: 'Open', back: 'Back to list',
    decision: 'Decision', decide: 'Decide', approve: 'Approve', reject: 'Reject', reasons: 'Reasons',
    reasonsHint: 'A rejection needs reasons.', withhold: 'Records withheld', withholdReason: 'Reason withheld',
    withholdHint: 'Tick the records not to provide even when approving, each with its reason. Internal deliberations are withheld anyway.',
    submit: 'Record the decision', decided: 'Decision recorded: {d}', needReasons: 'Give the reasons for the rejection.', needWithholdReason: 'Give the reason record {seq} is withheld.',
    copies: 'Copies made', download: 'Download copy set', downloaded: 'Downloaded copy {copy} (log entry {entry})',
    copyId: 'Copy', made: 'Made', sha: 'SHA-256', size: 'Size', by: 'Decided by', at: 'Decided', withheldList: 'Withheld',
    noDecision: 'Not decided yet', late: 'late', madeBy: 'Made by', decider: 'Only the head of the supervisory department decides.', kind: 'Record', actor: 'Registered by',
  },
});

const PAGE = 50;
const DECISION = { approve: 'approved', approved: 'approved', reject: 'rejected', rejected: 'rejected' };
const STATUS_FLAG = { pending: 'warn', overdue: 'bad', approved: 'ok', rejected: 'info' };

function statusFlag(r) {
  const s = r.overdue && r.status === 'pending' ? 'overdue' : r.status;
  return h('span.flag.' + (STATUS_FLAG[s] || 'info'), T(s));
}

export async function render(main, params, ctx) {
  document.title = T('title') + ' · ' + t('app');
  const id = ctx.query.get('id');
  if (id) return detail(main, id, ctx);
  const status = ctx.query.get('status') || '';
  const sel = h('select', { name: 'status' }, h('option', { value: '' }, T('all')),
    ['pending', 'overdue', 'approved', 'rejected'].map((s) => h('option', { value: s, selected: s === status }, T(s))));
  sel.addEventListener('change', () => ctx.navigate('/copies' + (sel.value ? '?status=' + sel.value : '')));
  const list = h('div', { 'aria-live': 'polite' });
  fill(main, h('h1', T('title')), h('div.sv-filters', field(T('status'), sel)), list);
  const show = async (offset) => {
    let page;
    try { page = await get('/api/v1/copy-requests', { status, offset, limit: PAGE }); } catch (e) { fill(list, errorBox(e)); return; }
    fill(list, table({
      caption: T('title'),
      columns: [
        { key: 'number', label: T('number'), render: (r) => h('a', { href: '#/copies?id=' + encodeURIComponent(r.id) }, r.number) },
        { key: 'case', label: T('case'), render: (r) => h('a', { href: '#/cases/' + encodeURIComponent(r.case) }, r.case) },
        { key: 'requester', label: T('requester') },
        { key: 'purpose', label: T('purpose') },
        { key: 'received', label: T('received'), render: (r) => fmtDate(r.received) },
        { key: 'due', label: T('due'), render: (r) => fmtDate(r.due) },
        { key: 'status', label: T('status'), render: statusFlag },
      ],
      rows: page.items,
      rowClass: (r) => (r.overdue && r.status === 'pending' ? 'red' : null),
    }), pager({ total: page.total, offset: page.offset, limit: PAGE, onPage: show }));
  };
  await show(0);
}

async function detail(main, id, ctx) {
  const [r, names] = await Promise.all([get('/api/v1/copy-requests/' + encodeURIComponent(id)), staffNames()]);
  const recs = {};
  await pool(r.records.slice(0, 200), 6, async (seq) => {
    recs[seq] = await get('/api/v1/records/' + seq).catch(() => ({ seq }));
  });
  const d = r.decision;
  const facts = h('section.panel',
    h('dl.facts',
      h('dt', T('number')), h('dd', r.number),
      h('dt', T('status')), h('dd', statusFlag(r)),
      h('dt', T('case')), h('dd', h('a', { href: '#/cases/' + encodeURIComponent(r.case) }, r.case)),
      h('dt', T('requester')), h('dd', r.requester, r.on_behalf_of ? '（' + T('onBehalf') + ' ' + r.on_behalf_of + '）' : ''),
      h('dt', T('purpose')), h('dd', r.purpose),
      h('dt', T('received')), h('dd', fmtTime(r.received)),
      h('dt', T('due')), h('dd', fmtDate(r.due)),
      h('dt', T('actor')), h('dd', who(r.actor, names)),
      h('dt', T('records')), h('dd', h('ul.sv-basis', r.records.map((s) => h('li', recLabel(recs[s] || { seq: s }))))),
      r.media && r.media.length ? [h('dt', T('media')), h('dd', r.media.map((m) => (typeof m === 'object' ? (m.seq || m.hash) : m)).join('、'))] : null));
  const parts = [h('div.spread', h('h1', T('title') + ' ' + r.number), h('a.button', { href: '#/copies' }, T('back'))), facts];
  if (d) parts.push(h('section.panel', h('h2', T('decision')), decisionView(d, names)));
  else if (ctx.has('supervisor')) parts.push(decisionForm(r, recs, ctx));
  else parts.push(h('section.panel', h('h2', T('decision')), h('p.muted', T('noDecision')), h('p.notice', T('decider'))));
  if (r.status === 'approved') parts.push(copySection(r, names));
  fill(main, parts);
}

function recLabel(rec) {
  return [h('span.mono', String(rec.seq)), ' ', rec.name || rec.kind || '', rec.fields && rec.fields.number ? ' ' + rec.fields.number : '',
    rec.happened ? h('span.muted', ' ' + fmtTime(rec.happened)) : null];
}

function decisionView(d, names) {
  const withheld = d.withhold || d.withheld || [];
  return h('dl.facts',
    h('dt', T('decision')), h('dd', h('strong', DECISION[d.decision] ? T(DECISION[d.decision]) : String(d.decision || ''))),
    d.reasons ? [h('dt', T('reasons')), h('dd.pre', d.reasons)] : null,
    d.by || d.actor ? [h('dt', T('by')), h('dd', who(d.by || d.actor, names))] : null,
    d.at || d.decided ? [h('dt', T('at')), h('dd', fmtTime(d.at || d.decided), d.late ? h('span.flag.bad', T('late')) : null)] : null,
    withheld.length ? [h('dt', T('withheldList')), h('dd', h('ul.sv-basis', withheld.map((w) => h('li', String(w.record) + '：' + w.reason))))] : null);
}

function decisionForm(r, recs, ctx) {
  const choice = (v, label) => h('label.check', h('input', { type: 'radio', name: 'decision', value: v, checked: v === 'approve' }), label);
  const reasons = h('textarea', { name: 'reasons', rows: 3 });
  const rows = r.records.map((seq) => {
    const box = h('input', { type: 'checkbox', name: 'withhold', value: String(seq), 'aria-label': T('withhold') + ' ' + seq });
    const reasonInput = h('input', { type: 'text', name: 'withhold-reason-' + seq, 'aria-label': T('withholdReason') + ' ' + seq, disabled: true });
    box.addEventListener('change', () => {
      reasonInput.disabled = !box.checked;
      if (box.checked) reasonInput.focus();
    });
    return { seq, box, reasonInput, el: [h('label.check', box, recLabel(recs[seq] || { seq })), reasonInput] };
  });
  const err = h('div', { 'aria-live': 'assertive' });
  const btn = h('button.primary', { type: 'submit' }, T('submit'));
  const form = h('form.panel.stack', { 'aria-labelledby': 'dec-h' },
    h('h2#dec-h', T('decide')),
    h('fieldset', h('legend', T('decision')), h('div.row', choice('approve', T('approve')), choice('reject', T('reject')))),
    field(T('reasons'), reasons, { hint: T('reasonsHint'), wide: true }),
    h('fieldset', h('legend', T('withhold')), h('p.hint', T('withholdHint')), h('div.sv-withhold', rows.map((x) => x.el))),
    err, h('div.actions', btn));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    err.replaceChildren();
    const decision = form.querySelector('input[name="decision"]:checked').value;
    if (decision === 'reject' && !reasons.value.trim()) { err.append(errorBox(T('needReasons'))); reasons.focus(); return; }
    const withhold = [];
    if (decision === 'approve') {
      for (const x of rows) {
        if (!x.box.checked) continue;
        if (!x.reasonInput.value.trim()) { err.append(errorBox(T('needWithholdReason', { seq: x.seq }))); x.reasonInput.focus(); return; }
        withhold.push({ record: x.seq, reason: x.reasonInput.value.trim() });
      }
    }
    const body = { decision };
    if (reasons.value.trim()) body.reasons = reasons.value.trim();
    if (withhold.length) body.withhold = withhold;
    busy(btn, async () => {
      await post('/api/v1/copy-requests/' + encodeURIComponent(r.id) + '/decision', body);
      notify(T('decided', { d: T(decision === 'approve' ? 'approved' : 'rejected') }));
      ctx.refresh();
    }, err);
  });
  return form;
}

function copyTable(copies, names) {
  return table({
    caption: T('copies'),
    columns: [
      { key: 'copy', label: T('copyId'), render: (c) => h('span.mono', c.copy || '') },
      { key: 'made', label: T('made'), render: (c) => fmtTime(c.made || c.at) },
      { key: 'actor', label: T('madeBy'), render: (c) => who(c.actor, names) },
      { key: 'sha256', label: T('sha'), render: (c) => h('span.mono', { title: c.sha256 || '' }, String(c.sha256 || '').replace(/^sha256:/, '').slice(0, 16) + '…') },
      { key: 'size', label: T('size'), render: (c) => fmtBytes(c.size) },
    ],
    rows: copies || [],
  });
}

// The copies made of an approved request, and the download of a new one.
// The table is read again after each download, because each is recorded.
function copySection(r, names) {
  const err = h('div', { 'aria-live': 'assertive' });
  const out = h('div', { role: 'status' });
  const list = h('div', copyTable(r.copies, names));
  const btn = h('button.primary', { type: 'button' }, T('download'));
  btn.addEventListener('click', () => busy(btn, async () => {
    const path = '/api/v1/copy-requests/' + encodeURIComponent(r.id);
    const { blob, headers } = await fetchBlob(path + '/copy');
    const copy = headers.get('Casetrail-Copy') || '';
    saveBlob(blob, 'copy-' + r.id + (copy ? '-' + copy : '') + '.tar');
    fill(out, h('p.notice', T('downloaded', { copy, entry: headers.get('Casetrail-Copy-Entry') || '?' })));
    const again = await get(path);
    fill(list, copyTable(again.copies, names));
  }, err));
  return h('section.panel', h('h2', T('copies')), list, err, h('div.actions', btn), out);
}
