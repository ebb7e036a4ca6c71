// 我的待办: the cases waiting for the signed-in person's step, by role.
// A clerk gets the applications to accept and the cases awaiting a
// supplement. A handler gets the investigation cases assigned to them,
// and the head the accepted cases without a handler. Reviewers, legal
// staff and approvers get the proposals waiting for their step, servers
// the decisions to serve and archivists the cases to archive. The daily
// digest's counts are above the list, and rows due within 3 working days
// or overdue carry 黄牌 or 红牌.
import { h, fill } from '../dom.js';
import { strings, t } from '../i18n.js';
import { get, getAll } from '../api.js';
import { errorBox } from '../ui.js';
import {
  T as L, matters, warnings, annotate, filterBar, byColor, caseColumns, drawList, loadCases,
  readState, writeState, MAX_CASES,
} from '../work-list.js';

const T = strings({
  zh: {
    title: '我的待办', digest: '今日提醒', digestAt: '截至 {at}',
    red: '红牌', yellow: '黄牌', open: '未整改问题', raised: '新发现问题', cured: '已整改问题',
    nothing: '目前没有等待您办理的案件。', caption: '等待您办理的案件',
    w_accept: '待受理', w_supplement: '待接收补正材料', w_investigate: '待审查', w_assign: '待分派承办人',
    w_review: '待审核', w_legal: '待法制审核', w_approve: '待批准', w_decide: '待作出决定',
    w_serve: '待送达', w_archive: '待归档',
    receive: '接收补正材料', toApprovals: '去审批', decide: '受理审查',
    loadingDetail: '正在核对 {n} 件案件的办理人…', partial: '有 {n} 件案件未能读取，待办可能不完整：{detail}',
    filtersTitle: '筛选待办',
  },
  en: {
    title: 'My work', digest: 'Today', digestAt: 'as of {at}',
    red: 'Red', yellow: 'Yellow', open: 'Open findings', raised: 'New findings', cured: 'Cured findings',
    nothing: 'Nothing is waiting for you.', caption: 'Cases waiting for you',
    w_accept: 'To accept', w_supplement: 'Awaiting supplement', w_investigate: 'To investigate', w_assign: 'To assign a handler',
    w_review: 'To review', w_legal: 'Legal review', w_approve: 'To approve', w_decide: 'Decision to issue',
    w_serve: 'To serve', w_archive: 'To archive',
    receive: 'Receive supplement', toApprovals: 'Approvals', decide: 'Decide',
    loadingDetail: 'Checking who handles {n} cases…', partial: '{n} cases could not be read; the list may be incomplete: {detail}',
    filtersTitle: 'Filter my work',
  },
});

const DEFAULTS = { stage: '', matter: '', color: '', q: '', sort: 'left', dir: 'asc' };

export async function render(main, params, ctx) {
  document.title = T('title') + ' · ' + t('app');
  const state = readState(ctx.query, DEFAULTS);
  const digestHost = h('section.digest', { 'aria-labelledby': 'digest-h' });
  const listHost = h('div.work-list', h('p.loading', t('loading')));
  const catalogue = await matters().catch(() => []);
  fill(main,
    h('h1', T('title')),
    digestHost,
    h('h2.sr-only', T('filtersTitle')),
    filterBar(state, catalogue, (next) => { Object.assign(state, next, { offset: 0 }); show(); }),
    listHost);
  drawDigest(digestHost, ctx).catch((e) => fill(digestHost, errorBox(e)));

  let tasks = null;
  let failures = [];
  const show = async () => {
    writeState('/', state, DEFAULTS);
    if (!tasks) {
      try {
        ({ tasks, failures } = await collect(ctx, (n) => fill(listHost, h('p.loading', T('loadingDetail', { n })))));
      } catch (e) {
        fill(listHost, errorBox(e));
        return;
      }
    }
    let rows = tasks;
    if (state.stage) rows = rows.filter((r) => r.stage === state.stage);
    if (state.matter) rows = rows.filter((r) => r.matter && r.matter.code === state.matter);
    rows = byColor(rows, state.color);
    if (state.q) rows = await searched(rows, state.q);
    drawList(listHost, {
      rows, caption: T('caption'), empty: T('nothing'),
      columns: caseColumns([{ key: 'waiting', label: L('waiting'), render: (r) => waitingCell(r, ctx) }]),
      view: { sort: { key: state.sort, dir: state.dir }, offset: state.offset },
      onView: (v) => {
        if (v.sort) { state.sort = v.sort.key; state.dir = v.sort.dir; }
        state.offset = v.offset;
        show();
      },
      note: failures.length ? errorBox(T('partial', { n: failures.length, detail: failures[0] })) : null,
    });
  };
  await show();
}

// Narrows rows to those the server's search finds for q, so that the
// work list searches the same fields as the case search (applicant,
// credit code, case number, document numbers).
async function searched(rows, q) {
  const found = new Set((await getAll('/api/v1/cases', { q, open: 1 }, MAX_CASES)).map((c) => c.id));
  return rows.filter((r) => found.has(r.id));
}

function waitingCell(r, ctx) {
  return h('div.waiting',
    r.waiting.map((w) => h('span.flag.info', T('w_' + w))),
    r.waiting.includes('supplement') && ctx.has('clerk')
      ? h('a.button.small', { href: '#/intake?case=' + encodeURIComponent(r.id) }, T('receive')) : null,
    r.waiting.includes('accept') && ctx.has('clerk')
      ? h('a.button.small', { href: '#/intake?case=' + encodeURIComponent(r.id) }, T('decide')) : null,
    r.waiting.some((w) => ['review', 'legal', 'approve', 'decide'].includes(w))
      ? h('a.button.small', { href: '#/approvals' }, T('toApprovals')) : null);
}

async function drawDigest(host, ctx) {
  const d = await get('/api/v1/digest');
  const mine = (d.items || []).find((i) => i.user === ctx.session.user) || (d.items || [])[0];
  const counts = (mine && mine.counts) || {};
  const tile = (key, cls) => h('li.tile' + (cls ? '.' + cls : ''),
    h('span.count', String(counts[key] ?? 0)), h('span.what', T(key)));
  fill(host,
    h('div.spread', h('h2#digest-h', T('digest')), h('small.muted', T('digestAt', { at: (d.at || '').replace('T', ' ').slice(0, 16) }))),
    h('ul.tiles', tile('red', (counts.red ? 'red' : '')), tile('yellow', (counts.yellow ? 'yellow' : '')),
      tile('open'), tile('raised'), tile('cured')));
}

// Runs fn over items, n at a time.
async function pool(items, n, fn) {
  const out = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

// Computes the state of the latest proposal: whether an agreeing review
// and approval followed it, and whether legal review was recorded after
// it. A new proposal starts over, and a new review voids the approval.
function proposalState(records) {
  let proposal = false, reviewed = false, approved = false, legal = false;
  for (const r of records || []) {
    const f = r.fields || {};
    if (r.kind === 'proposed-decision') {
      proposal = true; reviewed = false; approved = false; legal = false;
    } else if (r.kind === 'approval-step' && f.step) {
      const agree = f.opinion !== 'disagree';
      if (f.step === 'review') { reviewed = agree; approved = false; }
      else if (f.step === 'approve') approved = agree && reviewed;
    } else if (r.kind === 'legal-review') {
      legal = true;
    }
  }
  return { proposal, reviewed, approved, legal };
}

// Lists the steps that wait for the user in one case read in full, as
// waiting codes.
function detailWaits(c, ctx, catalogue) {
  const me = ctx.session.user;
  const p = c.people || {};
  const waits = [];
  if (c.stage === 'investigation') {
    if (p.handler === me && ctx.has('handler')) waits.push('investigate');
    if (!p.handler && ctx.has('head')) waits.push('assign');
  } else if (c.stage === 'decision') {
    const s = proposalState(c.records);
    const matter = catalogue.find((m) => m.code === (c.matter && c.matter.code));
    if (ctx.has('legal') && matter && matter.legal_review && !s.legal) waits.push('legal');
    const mayReview = p.reviewer ? p.reviewer === me : ctx.has('reviewer');
    const mayApprove = p.approver ? p.approver === me : ctx.has('approver', 'head');
    if (mayReview && !s.reviewed && p.handler !== me) waits.push('review');
    if (mayApprove && s.reviewed && !s.approved) waits.push('approve');
    if (mayApprove && s.approved) waits.push('decide');
  }
  return waits;
}

// Gathers the open cases waiting for the user: {tasks, failures}.
async function collect(ctx, progress) {
  const catalogue = await matters().catch(() => []);
  const byStage = async (stage) => (await loadCases({ stage, open: 1 })).items;
  const tasks = [];
  const failures = [];
  const add = (c, waiting) => { if (waiting.length) tasks.push(Object.assign(c, { waiting })); };

  if (ctx.has('clerk')) {
    for (const c of await byStage('application')) add(c, ['accept']);
    for (const c of await byStage('acceptance')) {
      // A supplement notice meets the acceptance limit without moving the
      // stage, so a case at acceptance whose limit is met awaits the
      // applicant's supplement.
      const a = c.deadlines && c.deadlines.acceptance;
      add(c, [a && a.state === 'met' ? 'supplement' : 'accept']);
    }
  }
  if (ctx.has('server')) for (const c of await byStage('service')) add(c, ['serve']);
  if (ctx.has('archivist')) for (const c of await byStage('archive')) add(c, ['archive']);

  // NOTE: each investigation or decision case is read in full to learn its
  // people, because the case list's summaries do not carry them.
  const detailed = [];
  if (ctx.has('handler', 'head')) detailed.push(...await byStage('investigation'));
  if (ctx.has('reviewer', 'approver', 'head', 'legal')) detailed.push(...await byStage('decision'));
  if (detailed.length) progress(detailed.length);
  await pool(detailed, 6, async (c) => {
    try {
      const full = await get('/api/v1/cases/' + encodeURIComponent(c.id));
      add(c, detailWaits(full, ctx, catalogue));
    } catch (e) {
      failures.push(c.id + '：' + e.message);
    }
  });

  await annotate(tasks, await warnings());
  return { tasks, failures };
}
