// 审批: the cases waiting for the signed-in reviewer, legal reviewer or
// approver. The list follows the approval chain as src/cases/state.c
// checks it: the latest proposal (审查意见), an agreeing review and an
// agreeing approval, by three different people. A matter on the legal
// review list also needs an agreeing legal review after the proposal.
// Each act is an approval-step or legal-review record, signed with the
// staff member's password.
import { h, fill, fmtDate, fmtTime, nowCst } from '../dom.js';
import { strings, t, stageName, roleName } from '../i18n.js';
import { get, getAll, post } from '../api.js';
import { field, errorBox, busy, notify, deadlineCard } from '../ui.js';
import { lawTitles, citation, RESULT, pool, staffNames, who } from '../supervision-common.js';

const T = strings({
  zh: {
    title: '审批', intro: '以下是等待您审核、法制审核或批准的案件。选择一件查看承办人的审查意见和案件要素，签名后提交意见。',
    legal: '待法制审核', review: '待审核', approve: '待批准', decide: '待作出决定',
    legalStep: '法制审核', reviewStep: '审核', approveStep: '批准',
    empty: '目前没有等待您办理的案件。', choose: '请在左侧选择一件案件。',
    mine: '分配给您', proposal: '承办人审查意见', result: '拟办结果', opinion: '审查意见', reasons: '理由',
    basis: '法律依据', factors: '考虑的有关因素', proposer: '承办人', proposed: '提出时间',
    facts: '案件要素', case: '案件', matter: '事项', applicant: '申请人', received: '收件时间',
    stage: '阶段', people: '办案人员', deadlines: '办理时限', findings: '未整改的问题',
    reviewRec: '审核意见', legalRec: '法制审核意见', by: '{who}，{when}',
    yourOpinion: '您的意见', reasonsHint: '写明同意、修改或退回的意见；退回时写明理由和需要补正的内容。',
    fallback: '替补审批说明', fallbackHint: '您已审核本案；作为局负责人同时批准时，须说明本单位缺少第三人的原因。',
    password: '签名密码', passwordHint: '输入您的登录密码，用您的签名密钥对本意见签名。',
    agree: '同意', amend: '修改后同意', disagree: '退回',
    needReasons: '退回时请填写退回理由。', needPassword: '请输入签名密码。',
    needOpinion: '请填写您的审核或批准意见。', needItems: '请填写“{item}”的审核意见。',
    done: '已提交{step}意见（记录 {seq}），并已签名。', openCase: '打开案件',
    decideNow: '审批已完成，请到案件页作出决定并送达。',
    items: '审核事项', itemOpinion: '意见', suggestions: '审核建议', conclusion: '审核结论',
    loadingCases: '正在查找待办案件…', waiting: '{n} 件',
    returned: '已退回', noAct: '您提出了本案的审查意见，不能审核或批准本案。',
    missing: '缺少的材料', noneMissing: '无', timeline: '办理过程（共 {n} 条记录，显示最近的）', allRecords: '在案件页查看全部记录',
    total: '共 {n} 件待办', more: '显示更多（还有 {n} 件）',
  },
  en: {
    title: 'Approvals', intro: 'Cases waiting for your review, legal review or approval. Choose one to read the handler\'s proposal and the case, then sign your opinion.',
    legal: 'Legal review', review: 'To review', approve: 'To approve', decide: 'To decide',
    legalStep: 'legal review', reviewStep: 'review', approveStep: 'approval',
    empty: 'Nothing is waiting for you.', choose: 'Choose a case on the left.',
    mine: 'assigned to you', proposal: 'Handler\'s proposal', result: 'Proposed result', opinion: 'Opinion', reasons: 'Reasons',
    basis: 'Legal basis', factors: 'Factors considered', proposer: 'Handler', proposed: 'Proposed',
    facts: 'The case', case: 'Case', matter: 'Matter', applicant: 'Applicant', received: 'Received',
    stage: 'Stage', people: 'Staff', deadlines: 'Time limits', findings: 'Open findings',
    reviewRec: 'Review', legalRec: 'Legal review', by: '{who}, {when}',
    yourOpinion: 'Your opinion', reasonsHint: 'State why you agree, amend or return it; when returning, say what must be put right.',
    fallback: 'Fallback reason', fallbackHint: 'You reviewed this case; approving it too as head needs the reason the unit lacks a third person.',
    password: 'Signing password', passwordHint: 'Your sign-in password; it signs this opinion with your key.',
    agree: 'Agree', amend: 'Agree with changes', disagree: 'Return',
    needReasons: 'Give the reasons for returning it.', needPassword: 'Enter your signing password.',
    needOpinion: 'Write your opinion.', needItems: 'Write the opinion on "{item}".',
    done: '{step} recorded (record {seq}) and signed.', openCase: 'Open case',
    decideNow: 'Approval is complete; record the decision on the case page.',
    items: 'Items reviewed', itemOpinion: 'Opinion', suggestions: 'Suggestions', conclusion: 'Conclusion',
    loadingCases: 'Finding cases…', waiting: '{n}',
    returned: 'Returned', noAct: 'You wrote the proposal and may not review or approve it.',
    missing: 'Materials missing', noneMissing: 'none', timeline: 'Records ({n} in all, latest shown)', allRecords: 'All records on the case page',
    total: '{n} waiting', more: 'Show more ({n} left)',
  },
});

const LEGAL_ITEMS = {
  subject: '主体合法', competence: '职权合法', procedure: '程序合法', facts: '事实清楚',
  evidence: '证据确凿', basis: '依据正确', document: '文书规范',
};
const CHUNK = 30;
const TIMELINE = 15;
const LIMIT_NAMES = { acceptance: '受理', decision: '作出决定', delivery: '送达', hearing: '听证' };
const SIGNER_ROLE = { legal: 'legal', review: 'reviewer', approve: 'approver' };
const BUTTON_CLASS = { agree: '.primary', amend: '', disagree: '.danger' };
const OPINION = { agree: '同意', amend: '修改后同意', disagree: '不同意（退回）' };

const live = (r) => r.fields && !r.superseded_by;

// Returns the state of a case's approval chain: {proposal, review,
// approve, lastReview, lastApprove, legal, legalNeeded, decided}.
export function chain(c, matter) {
  const st = { proposal: null, review: null, approve: null, lastReview: null, lastApprove: null, legal: null, decided: null };
  for (const r of c.records || []) {
    if (!live(r)) continue;
    if (r.kind === 'proposed-decision') {
      Object.assign(st, { proposal: r, review: null, approve: null, lastReview: null, lastApprove: null, legal: null });
    } else if (r.kind === 'approval-step') {
      const agree = r.fields.opinion !== 'disagree';
      if (r.fields.step === 'review') { st.lastReview = r; st.lastApprove = null; st.review = agree ? r : null; st.approve = null; }
      else if (r.fields.step === 'approve') { st.lastApprove = r; st.approve = agree && st.review ? r : null; }
    } else if (r.kind === 'legal-review' && st.proposal) {
      st.legal = r;
    } else if (r.kind === 'decision') {
      st.decided = r;
    }
  }
  st.legalNeeded = !!(matter && matter.legal_review);
  return st;
}

// Returns the steps user `me` may take on case c, as a list of
// {step: legal|review|approve|decide, fallback}.
export function stepsFor(c, st, me, has) {
  const out = [];
  const p = st.proposal;
  if (!p || st.decided) return out;
  const own = p.actor === me;
  if (has('legal') && st.legalNeeded && !st.legal && !own) out.push({ step: 'legal' });
  if (!st.lastReview && has('reviewer') && !own) out.push({ step: 'review' });
  if (st.review && !st.lastApprove && has('approver') && !own) {
    if (st.review.actor !== me) out.push({ step: 'approve' });
    else if (has('head')) out.push({ step: 'approve', fallback: true });
  }
  // The legal review comes before the decision on a matter that needs it.
  if (st.approve && has('approver') && (!st.legalNeeded || (st.legal && st.legal.fields.opinion !== 'disagree')))
    out.push({ step: 'decide' });
  return out;
}

export async function render(main, params, ctx) {
  document.title = T('title') + ' · ' + t('app');
  const me = ctx.session.user;
  const has = (...r) => ctx.has(...r);
  const list = h('div.sv-list', { 'aria-live': 'polite' }, h('p.loading', T('loadingCases')));
  const detail = h('section.sv-detail', { 'aria-label': T('proposal') }, h('p.muted', T('choose')));
  fill(main,
    h('h1', T('title')),
    h('p.muted.sv-intro', T('intro')),
    h('div.sv-inbox', list, detail));

  const [laws, names, summaries, warnings] = await Promise.all([
    lawTitles(),
    staffNames(),
    getAll('/api/v1/cases', { stage: 'decision', open: 1 }, 1000),
    get('/api/v1/warnings').catch(() => ({ items: [] })),
  ]);
  const left = {};
  for (const w of warnings.items || []) left[w.case + '/' + w.limit] = w;
  const matters = {};
  const matterOf = (code) => matters[code] || (matters[code] = get('/api/v1/matters/' + encodeURIComponent(code)).catch(() => null));
  const items = [];
  await pool(summaries, 6, async (s) => {
    const c = await get('/api/v1/cases/' + encodeURIComponent(s.id));
    const st = chain(c, await matterOf(c.matter.code));
    for (const step of stepsFor(c, st, me, has)) items.push({ c, st, ...step });
  });
  const order = { legal: 0, review: 1, approve: 2, decide: 3 };
  items.sort((a, b) => order[a.step] - order[b.step] || String(a.c.id).localeCompare(String(b.c.id)));

  let current = null;
  const select = (it, btn) => {
    current = it;
    for (const b of list.querySelectorAll('button.sv-item')) b.setAttribute('aria-pressed', String(b === btn));
    showDetail(detail, it, { laws, names, left, me, ctx, reload: () => ctx.refresh() });
    if (window.matchMedia('(max-width: 900px)').matches) detail.scrollIntoView({ block: 'start' });
  };

  if (!items.length) { fill(list, h('p.notice', T('empty'))); return; }
  const entry = (it) => {
    const due = it.c.deadlines && it.c.deadlines.decision;
    const w = left[it.c.id + '/decision'];
    const btn = h('button.sv-item', { type: 'button', 'aria-pressed': 'false', dataset: { case: it.c.id }, onclick: () => select(it, btn) },
      h('span.sv-item-head', h('strong', it.c.id), ' ', h('span', it.c.matter && it.c.matter.name)),
      h('span.sv-item-sub', it.c.applicant || ''),
      h('span.sv-item-sub', dueCard(due, w), isMine(it, me) ? h('span.flag.info', T('mine')) : null));
    return h('li', btn);
  };
  // Each group shows CHUNK cases at a time, so a long inbox stays quick.
  const groups = ['legal', 'review', 'approve', 'decide'].map((g) => {
    const mine = items.filter((i) => i.step === g);
    if (!mine.length) return null;
    const ul = h('ul.sv-items');
    const more = h('button.link', { type: 'button' });
    let drawn = 0;
    const showMore = () => {
      const next = mine.slice(drawn, drawn + CHUNK);
      ul.append(...next.map(entry));
      drawn += next.length;
      more.textContent = T('more', { n: mine.length - drawn });
      more.hidden = drawn >= mine.length;
    };
    more.addEventListener('click', () => {
      const focusAt = drawn;
      showMore();
      const b = ul.querySelectorAll('button.sv-item')[focusAt];
      if (b) b.focus();
    });
    showMore();
    return h('section.sv-group', h('h2', T(g), ' ', h('span.count', T('waiting', { n: mine.length }))), ul, more);
  });
  fill(list, h('p.sv-total', T('total', { n: items.length })), groups);
  const want = ctx.query.get('case');
  const first = (want && items.find((i) => i.c.id === want)) || null;
  if (first) select(first, [...list.querySelectorAll('button.sv-item')].find((b) => b.dataset.case === first.c.id));
}

// The card of the decision limit: 黄牌/红牌 with the days when the
// warnings list it, else its due date.
function dueCard(due, warning) {
  if (!due) return null;
  const left = warning ? warning.working_days_left : null;
  return deadlineCard(left, { provisional: due.provisional, due: T('deadlines') + ' ' + fmtDate(due.date) });
}

function isMine(it, me) {
  const p = it.c.people || {};
  return (it.step === 'review' && p.reviewer === me) || ((it.step === 'approve' || it.step === 'decide') && p.approver === me);
}

// The people of a case as the case shows them: roles, and who reviewed
// and approved.
const PEOPLE = { reviewed_by: '已审核', approved_by: '已批准', decided_by: '已决定', legal_by: '已法制审核' };

function peopleText(people, names) {
  return Object.entries(people || {}).map(([r, n]) => (PEOPLE[r] || roleName(r)) + '：' + who(n, names)).join('；');
}

function showDetail(el, it, env) {
  const { c, st } = it;
  const p = st.proposal.fields;
  const dl = (pairs) => h('dl.facts', pairs.filter((x) => x[1] !== null && x[1] !== undefined && x[1] !== '')
    .map(([k, v]) => [h('dt', k), h('dd', v)]));
  const deadlines = Object.entries(c.deadlines || {}).filter(([, d]) => d && (d.state === 'open' || d.state === 'overdue'))
    .map(([name, d]) => {
      const w = env.left[c.id + '/' + name];
      const label = LIMIT_NAMES[name] || name;
      return h('li', h('span.sv-dl-name', label), ' ',
        w ? deadlineCard(w.working_days_left, { provisional: d.provisional, due: fmtDate(d.date) }) : null,
        ' 至 ' + fmtDate(d.date) + (d.promised ? '（承诺 ' + fmtDate(d.promised.date) + '）' : ''),
        d.provisional ? h('em.prov', '（' + t('provisional') + '）') : null);
    });
  const proposal = h('section.panel.sv-proposal',
    h('h2', T('proposal')),
    dl([
      [T('result'), h('strong', RESULT[p.result] || p.result)],
      [T('opinion'), p.opinion],
      [T('reasons'), h('span.pre', p.reasons)],
      [T('basis'), h('ul.sv-basis', (p.basis || []).map((b) => h('li', citation(b, env.laws))))],
      [T('factors'), (p.factors || []).join('、')],
      [T('proposer'), who(st.proposal.actor, env.names)],
      [T('proposed'), fmtTime(st.proposal.happened)],
    ]));
  const previous = [];
  if (st.legal) previous.push(h('section.panel', h('h3', T('legalRec')), recordSummary(st.legal, env.names, 'legal')));
  if (st.review && it.step !== 'review') previous.push(h('section.panel', h('h3', T('reviewRec')), recordSummary(st.review, env.names)));
  const facts = h('section.panel.sv-facts',
    h('h2', T('facts')),
    dl([
      [T('case'), h('a', { href: '#/cases/' + encodeURIComponent(c.id) }, c.id)],
      [T('matter'), c.matter && c.matter.name],
      [T('applicant'), c.applicant],
      [T('received'), fmtTime(c.received)],
      [T('stage'), stageName(c.stage)],
      [T('people'), peopleText(c.people, env.names)],
      [T('deadlines'), deadlines.length ? h('ul.sv-deadlines', deadlines) : '—'],
      [T('missing'), missingText(c)],
      [T('findings'), c.open_findings ? h('a', { href: '#/findings?case=' + encodeURIComponent(c.id) }, String(c.open_findings)) : '0'],
    ]),
    timeline(c, env.names));
  fill(el, h('h2.sr-only', c.id), proposal, previous, facts, actionForm(it, env));
}

function missingText(c) {
  const missing = (c.materials && c.materials.missing) || [];
  if (!missing.length) return T('noneMissing');
  return h('ul.sv-basis', missing.map((m) => h('li', m.name || m.code)));
}

// Lists the case's latest records, newest first, so that the reviewer
// reads what was done without leaving the inbox.
function timeline(c, names) {
  const recs = (c.records || []).filter((r) => !r.superseded_by).slice(-TIMELINE).reverse();
  const total = (c.records || []).length;
  return h('details.sv-timeline',
    h('summary', T('timeline', { n: total })),
    h('ol', recs.map((r) => h('li', h('span.muted', fmtTime(r.happened)), ' ', r.name || r.kind,
      r.fields && r.fields.number ? ' ' + r.fields.number : '', ' · ', who(r.actor, names)))),
    total > TIMELINE ? h('a', { href: '#/cases/' + encodeURIComponent(c.id) }, T('allRecords')) : null);
}

function recordSummary(r, names, kind) {
  const f = r.fields;
  return h('div',
    h('p', h('strong', OPINION[f.opinion] || f.opinion), ' · ', T('by', { who: who(r.actor, names), when: fmtTime(r.happened) })),
    f.reasons ? h('p.pre', f.reasons) : null,
    kind === 'legal' && f.items ? h('ul', f.items.map((i) => h('li', (LEGAL_ITEMS[i.item] || i.item) + '：' + i.opinion))) : null,
    f.suggestions ? h('p.pre', f.suggestions) : null);
}

function actionForm(it, env) {
  const { c } = it;
  if (it.step === 'decide') {
    return h('section.panel.sv-act', h('h2', T('decide')), h('p', T('decideNow')),
      h('a.button.primary', { href: '#/cases/' + encodeURIComponent(c.id) }, T('openCase')));
  }
  const role = SIGNER_ROLE[it.step];
  const err = h('div', { 'aria-live': 'assertive' });
  const reasons = h('textarea', { name: 'reasons', rows: 3 });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password' });
  const fallback = it.fallback ? h('textarea', { name: 'fallback', rows: 2 }) : null;
  const itemInputs = it.step === 'legal'
    ? Object.entries(LEGAL_ITEMS).map(([code, name]) => ({ code, input: h('input', { type: 'text', name: 'item-' + code }), name }))
    : [];
  const form = h('form.panel.sv-act.stack', { novalidate: true },
    h('h2', T(it.step === 'legal' ? 'legal' : it.step)),
    it.step === 'legal' ? h('fieldset', h('legend', T('items')),
      h('div.grid2', itemInputs.map((x) => field(x.name, x.input, { required: true })))) : null,
    field(it.step === 'legal' ? T('suggestions') : T('yourOpinion'), reasons, { hint: T('reasonsHint'), wide: true, required: it.step !== 'legal' }),
    fallback ? field(T('fallback'), fallback, { required: true, hint: T('fallbackHint') }) : null,
    field(T('password'), password, { required: true, hint: T('passwordHint') }),
    err,
    h('div.actions',
      ['agree', 'amend', 'disagree'].map((op) => h('button' + BUTTON_CLASS[op],
        { type: 'button', value: op, onclick: (e) => submit(op, e.currentTarget) }, T(op)))));
  form.addEventListener('submit', (e) => { e.preventDefault(); submit('agree', form.querySelector('button.primary')); });

  async function submit(op, button) {
    err.replaceChildren();
    const text = reasons.value.trim();
    // Every item of a legal review and every approval's opinion is the
    // reviewer's own words: nothing is filled in for them.
    const empty = itemInputs.find((x) => !x.input.value.trim());
    if (empty) { err.append(errorBox(T('needItems', { item: empty.name }))); empty.input.focus(); return; }
    if (it.step !== 'legal' && !text) { err.append(errorBox(T(op === 'disagree' ? 'needReasons' : 'needOpinion'))); reasons.focus(); return; }
    if (!password.value) { err.append(errorBox(T('needPassword'))); password.focus(); return; }
    const sig = { role, person: env.me, method: 'staff', at: nowCst() };
    let fields;
    if (it.step === 'legal') {
      const items = itemInputs.filter((x) => x.input.value.trim()).map((x) => ({ item: x.code, opinion: x.input.value.trim() }));
      fields = { reviewers: [env.me], items, opinion: op, signatures: [sig] };
      if (text) fields.suggestions = text;
    } else {
      fields = { step: it.step, opinion: op, reasons: text, signatures: [sig] };
      if (fallback && fallback.value.trim()) fields.fallback = fallback.value.trim();
    }
    const kind = it.step === 'legal' ? 'legal-review' : 'approval-step';
    const r = await busy(button, () => post('/api/v1/cases/' + encodeURIComponent(c.id) + '/records',
      { kind, fields, sign: { password: password.value, role } }), err);
    if (!r) return;
    password.value = '';
    const step = T(it.step + 'Step');
    notify(T('done', { step, seq: r.seq }), 'info');
    fill(form, h('h2', T(it.step === 'legal' ? 'legal' : it.step)),
      h('p.notice', { role: 'status' }, T('done', { step, seq: r.seq })),
      r.signature_error ? errorBox(r.signature_error) : null,
      it.step === 'approve' && op !== 'disagree' ? h('p', T('decideNow')) : null,
      h('div.actions',
        h('a.button', { href: '#/cases/' + encodeURIComponent(c.id) }, T('openCase')),
        h('button', { type: 'button', onclick: env.reload }, t('back'))));
  }
  return form;
}
