// The case page #/cases/ID. Its header gives the case's number, matter,
// applicant, stage, people and time limits. Tabs show the timeline of its
// records with the forms to add, sign and correct them, an overview of
// limits, findings and materials, the documents, the evidence, and the
// case file, review and copy requests.
import { h, fill, fmtDate, fmtTime, todayCst, fmtBytes } from '../dom.js';
import { strings, t, lang, stageName, roleName, markName } from '../i18n.js';
import { get, post, getAll, request, uploadFile, ApiError } from '../api.js';
import { notify, errorBox, field, table, dialog, deadlineCard, printDocument, openPdf, busy, flag } from '../ui.js';
import { recordForm, signerRole } from '../recordform.js';
import { mountTimeline, personName } from '../timeline.js';

const T = strings({
  zh: {
    title: '案件 {id}', matter: '申请事项', applicant: '申请人', applicantId: '统一社会信用代码或身份证件号码',
    received: '收件时间', status: '办理状态', stage: '办理阶段', people: '办案人员', inquiry: '查询码',
    inquiryHint: '申请人凭查询码查询办理进度；与受理回执上印的一致。', printReceipt: '打印材料接收凭证（含查询码）',
    contact: '联系电话', address: '联系地址',
    tabOverview: '概况', tabRecords: '办理记录', tabDocs: '文书', tabEvidence: '证据', tabArchive: '归档与其他',
    deadlines: '办理时限', limit: '时限', due: '截止日期', left: '剩余', state: '状态', basis: '依据',
    statutory: '法定时限', promised: '承诺时限', statutoryDue: '法定期限 {date}', metOn: '完成于 {d}', none: '暂无',
    st_open: '计时中', st_met: '已按期完成', st_late: '逾期完成', st_suspended: '中止计算', st_overdue: '已超期',
    extended: '已延长', suspendedNote: '期限中止，中止期间不计入', provisional: '暂定',
    provisionalHint: '所涉年份的法定节假日尚未公布，日期为推算。',
    findings: '问题线索', fCode: '编号', fSeverity: '严重程度', fStatement: '问题', fResponsible: '责任人',
    fRaised: '发现时间', fCured: '整改', fOpen: '未整改', fRecord: '相关记录',
    sev_major: '严重', sev_minor: '一般', sev_critical: '特别严重',
    materials: '申请材料', matReceived: '已收材料', matMissing: '尚缺材料',
    newRecord: '新增记录', chooseKind: '记录种类', kindAny: '任何阶段', save: '保存记录',
    saved: '已保存记录 #{seq}', signed: '已签名', signedFail: '记录已保存，但电子签名未成功：{why}',
    uploading: '正在上传附件 {i}/{n}…', correct: '更正', correctTitle: '更正记录 #{seq}（{name}）',
    correctReason: '更正理由', corrected: '已提交更正 #{seq}', sign: '签名确认', signTitle: '电子签名：记录 #{seq}',
    signAs: '签名身份', password: '本人登录密码', signHint: '用本人登录密码确认签名；密码错误会计入登录失败次数。',
    docsIssued: '已签发文书', docTitle: '文书', docNumber: '文号', docIssued: '签发时间', docSource: '依据记录',
    open: '打开', docsPrintable: '可打印的文书', printFrom: '打印 {title}', fromRecord: '记录 #{seq}',
    printHint: '第一次打印即签发并加盖电子印章，以后再打印得到同一份文书。', noPrintable: '本案暂无可打印的文书。',
    evidencePending: '证据模块尚未就绪。', archive: '案卷归档', seal: '封存案卷', format: '格式',
    sealHint: '案件办结（送达、撤回或终止）后 30 日内封存，封存后即下载案卷包。已封存后又有新记录的，再次封存生成修改型案卷；没有新记录的，下载已封存的案卷包。',
    notEnded: '案件尚未办结，不能封存。', caseFiles: '已封存的案卷', cfSeq: '封存记录', cfRef: '档号',
    cfBy: '封存人', cfCovers: '包含记录', cfType: '类型', cfPass: '通过', cfCheck: '检测结果', download: '下载', sealed: '案卷已封存，正在下载',
    review: '案卷评查', reviewLink: '打开评查表', copies: '复制申请', copyHint: '当事人提交的纸质申请，由窗口或承办人代为登记。',
    copyRecords: '申请复制的记录', requester: '申请人', onBehalf: '代理的当事人（代理人申请时填写）',
    purpose: '用途', copyReceived: '收到申请日期', register: '登记复制申请', copyDone: '已登记复制申请 {n}',
    pickRecords: '请至少选择一条记录。', mark: '保密标识变更', markSeq: '记录号', markTo: '新保密标识', markReason: '理由',
    markSave: '变更保密标识', markDone: '记录 #{seq} 的保密标识已改为 {mark}', markWhy: '安全保密管理员不能查阅案件内容，可在此按记录号变更保密标识。',
    people_reviewed_by: '已审核', people_approved_by: '已批准',
    stageProgress: '办理进度', current: '当前', done: '已完成',
    lim_acceptance: '受理', lim_decision: '作出决定', lim_delivery: '送达', lim_hearing: '举行听证',
    lim_hearing_notice: '听证通知', lim_hearing_request: '申请听证', lim_publicity: '公示',
    lim_renewal_application: '延续申请', lim_renewal_decision: '延续决定', lim_extension: '延长',
    unit_working_days: '{n} 个工作日', unit_calendar_days: '{n} 日', unit_hours: '{n} 小时',
    statusOpen: '在办', noKinds: '当前阶段没有可以新增的记录种类。',
    status_granted: '准予许可', status_denied: '不予许可', status_partial: '部分准予许可', status_refused: '不予受理',
    status_withdrawn: '申请已撤回', status_terminated: '已终止审查',
  },
  en: {
    title: 'Case {id}', matter: 'Matter', applicant: 'Applicant', applicantId: 'Credit code or ID number',
    received: 'Received', status: 'Status', stage: 'Stage', people: 'Staff', inquiry: 'Inquiry code',
    inquiryHint: 'The applicant looks the case up with this code; the receipt prints the same.', printReceipt: 'Print the material receipt (with the code)',
    contact: 'Phone', address: 'Address',
    tabOverview: 'Overview', tabRecords: 'Records', tabDocs: 'Documents', tabEvidence: 'Evidence', tabArchive: 'Archive and more',
    deadlines: 'Time limits', limit: 'Limit', due: 'Due', left: 'Left', state: 'State', basis: 'Basis',
    statutory: 'statutory', promised: 'promised', statutoryDue: 'statutory {date}', metOn: 'met on {d}', none: 'None',
    st_open: 'running', st_met: 'met', st_late: 'met late', st_suspended: 'suspended', st_overdue: 'overdue',
    extended: 'extended', suspendedNote: 'suspended; the pause does not count', provisional: 'provisional',
    provisionalHint: 'The holidays of that year are not published yet; the date is computed.',
    findings: 'Findings', fCode: 'Code', fSeverity: 'Severity', fStatement: 'Finding', fResponsible: 'Responsible',
    fRaised: 'Raised', fCured: 'Cured', fOpen: 'open', fRecord: 'Record',
    sev_major: 'major', sev_minor: 'minor', sev_critical: 'critical',
    materials: 'Materials', matReceived: 'Received', matMissing: 'Missing',
    newRecord: 'New record', chooseKind: 'Kind of record', kindAny: 'Any stage', save: 'Save the record',
    saved: 'Record #{seq} saved', signed: 'Signed', signedFail: 'The record is saved, but the signature failed: {why}',
    uploading: 'Uploading attachment {i} of {n}…', correct: 'Correct', correctTitle: 'Correct record #{seq} ({name})',
    correctReason: 'Reason for the correction', corrected: 'Correction #{seq} recorded', sign: 'Sign', signTitle: 'Sign record #{seq}',
    signAs: 'Signing as', password: 'Your sign-in password', signHint: 'Confirm with your sign-in password; a wrong one counts as a failed sign-in.',
    docsIssued: 'Issued documents', docTitle: 'Document', docNumber: 'Number', docIssued: 'Issued', docSource: 'From record',
    open: 'Open', docsPrintable: 'Documents to print', printFrom: 'Print {title}', fromRecord: 'record #{seq}',
    printHint: 'The first print issues and seals the document; later prints give the same document.', noPrintable: 'Nothing to print yet.',
    evidencePending: 'The evidence view is not ready yet.', archive: 'Case file', seal: 'Seal the case file', format: 'Format',
    sealHint: 'Seal within 30 days after the case ends; the package downloads at once. Records added after a seal make an amended package; otherwise the stored package downloads again.',
    notEnded: 'The case has not ended; it cannot be sealed yet.', caseFiles: 'Sealed case files', cfSeq: 'Seal entry', cfRef: 'Reference',
    cfBy: 'Sealed by', cfCovers: 'Records', cfType: 'Type', cfPass: 'pass', cfCheck: 'Check', download: 'Download', sealed: 'Case file sealed; downloading',
    review: 'Case review', reviewLink: 'Open the score sheet', copies: 'Copy requests', copyHint: 'A paper request of a party, registered on their behalf.',
    copyRecords: 'Records to copy', requester: 'Requester', onBehalf: 'Party represented (for an agent)',
    purpose: 'Purpose', copyReceived: 'Day received', register: 'Register the request', copyDone: 'Copy request {n} registered',
    pickRecords: 'Choose at least one record.', mark: 'Change a mark', markSeq: 'Record', markTo: 'New mark', markReason: 'Reason',
    markSave: 'Change the mark', markDone: 'Record #{seq} is now marked {mark}', markWhy: 'The security administrator reads no case content; change a record\'s mark by its number here.',
    people_reviewed_by: 'reviewed by', people_approved_by: 'approved by',
    stageProgress: 'Progress', current: 'current', done: 'done',
    lim_acceptance: 'Acceptance', lim_decision: 'Decision', lim_delivery: 'Delivery', lim_hearing: 'Hearing',
    lim_hearing_notice: 'Hearing notice', lim_hearing_request: 'Hearing request', lim_publicity: 'Publicity',
    lim_renewal_application: 'Renewal application', lim_renewal_decision: 'Renewal decision', lim_extension: 'Extension',
    unit_working_days: '{n} working days', unit_calendar_days: '{n} days', unit_hours: '{n} hours',
    statusOpen: 'open', noKinds: 'No kind of record may be added at this stage.',
    status_granted: 'granted', status_denied: 'denied', status_partial: 'partly granted', status_refused: 'not accepted',
    status_withdrawn: 'withdrawn', status_terminated: 'terminated',
  },
});

const STAGES = ['application', 'acceptance', 'investigation', 'decision', 'service', 'archive'];

// The document templates of data/documents/ (docs/documents.md): the
// record kind each prints and the field values it prints.
const TEMPLATES = [
  ['material-receipt', '申请材料接收凭证', 'material-receipt'],
  ['acceptance-notice', '受理通知书', 'acceptance-notice'],
  ['refusal', '不予受理决定书', 'refusal'],
  ['supplement-notice', '补正材料通知书', 'supplement-notice'],
  ['time-limit-notice', '时限告知书', 'time-limit-notice'],
  ['extension', '延期通知书', 'extension'],
  ['suspension', '特别程序（期间不计入时限）告知书', 'suspension'],
  ['hearing-rights-notice', '听证告知书', 'hearing-rights-notice'],
  ['hearing-notice', '听证通知书', 'hearing-notice'],
  ['rights-notice', '权利告知书', 'rights-notice'],
  ['interested-party-notice', '利害关系人告知书', 'interested-party-notice'],
  ['address-confirmation', '送达地址确认书', 'address-confirmation'],
  ['onsite-verification', '现场核查笔录', 'onsite-verification'],
  ['inquiry-transcript', '询问笔录', 'inquiry-transcript'],
  ['hearing-record', '听证笔录', 'hearing-record'],
  ['approval-form', '内部程序审批表', 'proposed-decision'],
  ['legal-review', '法制审核意见书', 'legal-review'],
  ['decision-grant', '准予行政许可决定书', 'decision', (f) => f.result === 'grant'],
  ['decision-deny', '不予行政许可决定书', 'decision', (f) => f.result === 'deny' || f.result === 'partial'],
  ['service-receipt', '送达回证', 'service-direct'],
];

const STAFF_ROLES = ['clerk', 'handler', 'reviewer', 'legal', 'approver', 'head', 'archivist', 'officer', 'server', 'presiding'];

let catalogue = null; // {kinds: Map, laws: [], users: Map, userList: []}
async function loadCatalogue() {
  if (catalogue) return catalogue;
  const [kinds, laws, users] = await Promise.all([
    getAll('/api/v1/record-kinds'),
    getAll('/api/v1/laws').catch(() => []),
    getAll('/api/v1/users').catch(() => []),
  ]);
  catalogue = {
    kinds: new Map(kinds.map((k) => [k.code, k])), kindList: kinds, laws,
    users: new Map(users.map((u) => [u.name, u])), userList: users,
  };
  setTimeout(() => { catalogue = null; }, 5 * 60 * 1000);
  return catalogue;
}

export async function render(main, params, ctx) {
  const id = params.id;
  document.title = T('title', { id }) + ' · ' + t('app');
  // #/cases/ID/marks: the security administrator's mark change, which
  // reads nothing of the case.
  if (/^#\/cases\/[^/?]+\/marks/.test(location.hash)) return markOnly(main, id);
  const data = await get('/api/v1/cases/' + encodeURIComponent(id));
  const cat = await loadCatalogue();
  const page = { id, data, cat, ctx, main };
  draw(page);
}

async function reloadCase(page) {
  page.data = await get('/api/v1/cases/' + encodeURIComponent(page.id));
  draw(page, true);
}

function draw(page, keepTab) {
  const { main, ctx, data } = page;
  const tabs = [
    ['records', T('tabRecords')], ['overview', T('tabOverview')], ['docs', T('tabDocs')],
    ['evidence', T('tabEvidence')], ['archive', T('tabArchive')],
  ];
  const want = keepTab && page.tab ? page.tab : (ctx.query.get('tab') || 'records');
  page.tab = tabs.some((x) => x[0] === want) ? want : 'records';
  const panel = h('div.case-tab', { role: 'tabpanel', id: 'case-panel', tabindex: '0' });
  const buttons = tabs.map(([key, label]) => h('button', {
    type: 'button', role: 'tab', id: 'tab-' + key, 'aria-controls': 'case-panel',
    'aria-selected': key === page.tab ? 'true' : 'false', tabindex: key === page.tab ? '0' : '-1',
    onclick: () => select(key),
    onkeydown: (e) => {
      const i = tabs.findIndex((x) => x[0] === key);
      let j = -1;
      if (e.key === 'ArrowRight') j = (i + 1) % tabs.length;
      if (e.key === 'ArrowLeft') j = (i + tabs.length - 1) % tabs.length;
      if (j < 0) return;
      e.preventDefault();
      select(tabs[j][0]);
      document.getElementById('tab-' + tabs[j][0]).focus();
    },
  }, label));
  function select(key) {
    page.tab = key;
    for (const b of buttons) {
      const on = b.id === 'tab-' + key;
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      b.tabIndex = on ? 0 : -1;
    }
    panel.setAttribute('aria-labelledby', 'tab-' + key);
    const q = new URLSearchParams(ctx.query);
    q.set('tab', key);
    history.replaceState(null, '', '#/cases/' + encodeURIComponent(page.id) + '?' + q.toString());
    drawTab(page, panel, key);
  }
  fill(main, header(page), h('div.tabs', { role: 'tablist', 'aria-label': T('title', { id: page.id }) }, buttons), panel);
  panel.setAttribute('aria-labelledby', 'tab-' + page.tab);
  drawTab(page, panel, page.tab);
}

function drawTab(page, panel, key) {
  panel.replaceChildren();
  if (key === 'overview') overview(page, panel);
  else if (key === 'records') records(page, panel);
  else if (key === 'docs') documents(page, panel);
  else if (key === 'evidence') evidence(page, panel);
  else if (key === 'archive') archive(page, panel);
}

// --- header ---------------------------------------------------------------

function stageBar(stage) {
  const at = stage === 'closed' ? STAGES.length : STAGES.indexOf(stage);
  return h('ol.stagebar', { 'aria-label': T('stageProgress') }, STAGES.map((s, i) => {
    let state = 'todo';
    if (i < at) state = 'done';
    if (i === at) state = 'current';
    return h('li', { class: state, 'aria-current': i === at ? 'step' : null },
      h('span.dot', { 'aria-hidden': 'true' }, i < at ? '✓' : String(i + 1)), h('span.name', stageName(s)),
      state === 'todo' ? null : h('span.sr-only', '（' + T(state) + '）'));
  }));
}

function header(page) {
  const { data, cat, id } = page;
  const people = Object.entries(data.people || {}).filter(([, v]) => v);
  const code = h('span.inquiry-code', '…');
  get('/api/v1/cases/' + encodeURIComponent(id) + '/inquiry-code')
    .then((r) => fill(code, h('code', r.code))).catch(() => fill(code, h('span.muted', '—')));
  const receipt = (data.records || []).filter((r) => r.kind === 'material-receipt' && !r.withheld).pop();
  let printBtn = null;
  if (receipt && page.ctx.has(...STAFF_ROLES)) {
    printBtn = h('button', { type: 'button', onclick: (e) => busy(e.currentTarget, () => printDocument(id, 'material-receipt', receipt.seq)) }, T('printReceipt'));
  }
  return h('section.case-head.panel', { 'aria-labelledby': 'case-title' },
    h('div.spread',
      h('h1#case-title', T('title', { id: data.id || id }), ' ', h('span.matter-name', (data.matter && data.matter.name) || '')),
      h('div.case-status', flag(stageName(data.stage), 'info'),
        data.status && data.status !== 'open' ? flag(statusName(data.status), data.status === 'granted' ? 'ok' : 'warn') : null,
        data.open_findings ? flag(T('findings') + ' ' + data.open_findings, 'bad') : null)),
    stageBar(data.stage),
    h('dl.facts.case-facts',
      h('dt', T('applicant')), h('dd', String(data.applicant ?? '')),
      data.applicant_id ? [h('dt', T('applicantId')), h('dd', String(data.applicant_id))] : null,
      data.contact ? [h('dt', T('contact')), h('dd', String(data.contact))] : null,
      data.address ? [h('dt', T('address')), h('dd', String(data.address))] : null,
      h('dt', T('matter')), h('dd', (data.matter && data.matter.name) || '', data.matter ? h('span.muted', '（' + data.matter.code + '）') : null),
      h('dt', T('received')), h('dd', fmtTime(data.received)),
      h('dt', T('people')), h('dd', people.length ? h('span.people', people.map(([role, name], i) => [i ? '；' : '',
        h('span', peopleRole(role) + '：', h('strong', personName(name, cat)))])) : T('none')),
      h('dt', T('inquiry')), h('dd', code, ' ', printBtn, h('small.hint.block', T('inquiryHint')))),
    deadlineChips(data));
}

// The running time limits as cards under the header, so that the days
// left are in sight on every tab.
function deadlineChips(data) {
  const chips = [];
  for (const [key, d] of Object.entries(data.deadlines || {})) {
    if (!d || typeof d !== 'object') continue;
    const running = d.state === 'open' || d.state === 'overdue';
    const card = h('span.card-slot');
    if (running) {
      const lim = d.promised && d.promised.date ? d.promised : d;
      workingDaysLeft(lim.date).then((left) => fill(card, deadlineCard(left, { provisional: lim.provisional, due: lim.date })))
        .catch(() => fill(card, deadlineCard(null, { due: lim.date })));
    }
    // The card counts to the promised date where there is one, so that
    // date is shown beside it, and the statutory one after it.
    const promised = running && d.promised && d.promised.date;
    chips.push(h('li', h('strong', limitName(key)), ' ',
      h('span.muted', fmtDate(promised ? d.promised.date : d.date)), ' ',
      running ? card : stateFlag(d.state),
      d.provisional ? flag(T('provisional'), 'warn') : null,
      promised ? h('small.muted', '（' + T('promised') + '；' + T('statutoryDue', { date: fmtDate(d.date) }) + '）') : null));
  }
  return chips.length ? h('ul.deadline-chips', { 'aria-label': T('deadlines') }, chips) : null;
}

// --- overview: deadlines, findings, materials ------------------------------

// Working days from today to due (negative when past), counted with the
// bureau's calendar through GET /api/v1/deadline?explain=1.
async function workingDaysLeft(due) {
  const today = todayCst();
  if (!due) return null;
  if (due === today) return 0;
  const later = due > today;
  const from = later ? today : due, to = later ? due : today;
  const span = Math.round((Date.parse(to) - Date.parse(from)) / 86400000);
  if (span > 3650) return later ? span : -span;
  const r = await get('/api/v1/deadline', { from, 'working-days': Math.max(1, span), explain: 1 });
  const n = (r.explain || []).filter((d) => d.counted && d.date <= to).length;
  return later ? n : -Math.max(1, n);
}

const STATE_FLAGS = { overdue: 'bad', late: 'bad', met: 'ok', suspended: 'warn', open: 'info' };

// The state of a time limit as a flag with its words.
function stateFlag(state) {
  if (!state) return null;
  const key = 'st_' + state;
  return flag(T(key) !== key ? T(key) : state, STATE_FLAGS[state] || 'info');
}

// The people of a case are keyed by role, and by the approval steps
// taken: reviewed_by and approved_by.
function peopleRole(key) {
  const k = 'people_' + key;
  return T(k) !== k ? T(k) : roleName(key);
}

function statusName(status) {
  const key = 'status_' + status;
  return T(key) !== key ? T(key) : status;
}

function limitName(key) {
  const k = 'lim_' + key;
  return T(k) !== k ? T(k) : key;
}

function limitText(d) {
  const k = 'unit_' + d.unit;
  return d.value !== undefined && T(k) !== k ? T(k, { n: d.value }) : '';
}

function deadlineRow(name, d, basis) {
  const card = h('span.card-slot');
  const live = d.state === 'open' || d.state === 'overdue' || (!d.state && !d.met_on);
  if (live) {
    workingDaysLeft(d.date).then((left) => fill(card, deadlineCard(left, { provisional: d.provisional, due: d.date })))
      .catch(() => fill(card, deadlineCard(null, { due: d.date })));
  } else if (d.provisional) fill(card, h('em.prov', T('provisional')));
  return {
    name, basis, due: d.date, card,
    state: h('span', stateFlag(d.state),
      d.met_on ? T('metOn', { d: fmtDate(d.met_on) }) : null,
      d.extended || d.extension ? flag(T('extended'), 'warn') : null,
      d.state === 'suspended' ? h('small.hint.block', T('suspendedNote')) : null),
    provisional: d.provisional,
    limit: limitText(d),
  };
}

export function deadlinesTable(data) {
  const rows = [];
  for (const [key, d] of Object.entries(data.deadlines || {})) {
    if (!d || typeof d !== 'object') continue;
    rows.push(deadlineRow(limitName(key), d, T('statutory')));
    if (d.promised && d.promised.date) rows.push(deadlineRow(limitName(key), Object.assign({ state: d.state }, d.promised), T('promised')));
  }
  return table({
    columns: [
      { key: 'name', label: T('limit'), render: (r) => h('span', r.name, h('span.muted', ' · ' + r.basis + (r.limit ? ' · ' + r.limit : ''))) },
      { key: 'due', label: T('due'), render: (r) => h('span', fmtDate(r.due), r.provisional ? h('span', ' ', flag(T('provisional'), 'warn'), h('small.hint.block', T('provisionalHint'))) : null) },
      { key: 'left', label: T('left'), render: (r) => r.card },
      { key: 'state', label: T('state'), render: (r) => r.state },
    ],
    rows, empty: T('none'),
  });
}

let ruleCache = null;
function findingsTable(page) {
  const { data, cat } = page;
  const list = data.findings || [];
  const statements = new Map();
  const wrap = h('div');
  const draw = () => fill(wrap, table({
    columns: [
      { key: 'code', label: T('fCode'), render: (f) => h('code', f.code) },
      { key: 'severity', label: T('fSeverity'), render: (f) => flag(T('sev_' + f.severity) !== 'sev_' + f.severity ? T('sev_' + f.severity) : f.severity, f.severity === 'minor' ? 'warn' : 'bad') },
      { key: 'statement', label: T('fStatement'), render: (f) => h('span', statements.get(f.code) || f.statement || f.rule || '', f.detail ? h('small.hint.block', String(f.detail)) : null,
        f.record ? h('small.block', h('a', { href: '#/cases/' + encodeURIComponent(page.id) + '?tab=records' }, T('fRecord') + ' #' + f.record)) : null) },
      { key: 'responsible', label: T('fResponsible'), render: (f) => (f.responsible ? personName(f.responsible, cat) + (f.superior ? '（' + personName(f.superior, cat) + '）' : '') : '—') },
      { key: 'detected', label: T('fRaised'), render: (f) => fmtTime(f.detected_at || f.detected) },
      { key: 'cured', label: T('fCured'), render: (f) => (f.cured_at ? flag(fmtTime(f.cured_at), 'ok') : flag(T('fOpen'), 'bad')) },
    ],
    rows: list, empty: T('none'), rowClass: (f) => (f.cured_at ? null : 'red'),
  }));
  draw();
  if (list.length) {
    (ruleCache || (ruleCache = get('/api/v1/findings/rules').catch(() => ({ items: [] })))).then((r) => {
      for (const rule of r.items || []) statements.set(rule.code, rule.statement ? (rule.statement[lang()] || rule.statement.zh) : rule.code);
      draw();
    });
  }
  return wrap;
}

function overview(page, panel) {
  const { data } = page;
  const mats = data.materials || {};
  const received = h('dd', (mats.received || []).join('、') || T('none'));
  // The received materials are codes; the matter's catalogue names them.
  if ((mats.received || []).length && data.matter && data.matter.code) {
    get('/api/v1/matters/' + encodeURIComponent(data.matter.code)).then((m) => {
      const names = new Map((m.materials || []).map((x) => [x.code, x.name]));
      fill(received, h('ul.plain', mats.received.map((c) => h('li', names.get(c) || c))));
    }).catch(() => {});
  }
  panel.append(
    h('section', h('h2', T('deadlines')), deadlinesTable(data)),
    h('section', h('h2', T('findings')), findingsTable(page)),
    h('section.panel', h('h2', T('materials')),
      h('dl.facts', h('dt', T('matReceived')), received,
        h('dt', T('matMissing')), h('dd', (mats.missing || []).length ? h('ul.plain', mats.missing.map((m) => h('li', m.name || m.code))) : T('none')))));
}

// --- records ----------------------------------------------------------------

function records(page, panel) {
  const { ctx, cat, data } = page;
  const canAdd = ctx.has(...STAFF_ROLES);
  const tl = h('div.timeline-wrap');
  panel.append(h('div.spread', h('h2', T('tabRecords')),
    canAdd ? h('button.primary', { type: 'button', onclick: () => newRecordDialog(page) }, '＋ ' + T('newRecord')) : null),
  tl);
  const env = {
    kinds: cat.kinds, users: cat.users, laws: cat.laws,
    actions: (rec) => recordActions(page, rec),
    afterSigs: (rec) => afterSignatures(page, rec),
    openDocument: (rec) => openPdf('/api/v1/cases/' + encodeURIComponent(page.id) + '/documents/' + rec.seq).catch((e) => notify(e.message, 'error')),
  };
  page.timeline = mountTimeline(tl, page.id, env);
}

function recordActions(page, rec) {
  const me = page.ctx.session && page.ctx.session.user;
  const out = [];
  if (rec.withheld || !rec.fields) return out;
  if (rec.actor === me && rec.kind !== 'correction' && !rec.superseded_by && page.ctx.has(...STAFF_ROLES) && page.cat.kinds.has(rec.kind)) {
    out.push(h('button', { type: 'button', onclick: () => correctDialog(page, rec) }, T('correct')));
  }
  const roles = new Set((rec.fields.signatures || []).filter((s) => s.method === 'staff' && s.person === me).map((s) => s.role));
  if (rec.actor === me) roles.add('author');
  if (roles.size && page.ctx.has(...STAFF_ROLES)) {
    // Hidden until the record's signatures are read, then kept only for
    // the roles the user has not signed in yet.
    const btn = h('button', { type: 'button', hidden: true, onclick: () => signDialog(page, rec, [...roles]) }, T('sign'));
    rec.unsigned = { roles, btn };
    out.push(btn);
  }
  return out;
}

function afterSignatures(page, rec) {
  if (!rec.unsigned) return;
  const me = page.ctx.session && page.ctx.session.user;
  for (const s of rec.sm2 || []) if (s.user === me) rec.unsigned.roles.delete(s.role);
  rec.unsigned.btn.hidden = rec.unsigned.roles.size === 0;
}

function refreshAfterWrite(page) {
  return reloadCase(page).catch((e) => notify(e.message, 'error'));
}

// The outcomes of the acceptance review. Once a case is past acceptance
// they are decided: the one-time notice cannot be given a second time,
// and a wrong one is corrected, not issued again.
const ACCEPTANCE_OUTCOMES = ['supplement-notice', 'acceptance-notice', 'refusal'];

// The kinds the case's stage allows: those of its stage and the stages
// before, and those of any stage.
function allowedKinds(page) {
  const at = page.data.stage === 'closed' ? STAGES.length : STAGES.indexOf(page.data.stage);
  const accepted = at > STAGES.indexOf('acceptance');
  return page.cat.kindList.filter((k) => k.code !== 'correction' && (k.stage === 'any' || STAGES.indexOf(k.stage) <= at) &&
    !(accepted && ACCEPTANCE_OUTCOMES.includes(k.code)));
}

async function caseMedia(id) {
  try {
    const r = await get('/api/v1/media', { case: id, limit: 200 });
    return r.items || [];
  } catch (e) { return []; }
}

async function newRecordDialog(page) {
  const kinds = allowedKinds(page);
  const kindSel = h('select', null, h('option', { value: '' }, T('chooseKind') + '…'),
    STAGES.concat(['any']).map((s) => {
      const ks = kinds.filter((k) => k.stage === s);
      return ks.length ? h('optgroup', { label: s === 'any' ? T('kindAny') : stageName(s) }, ks.map((k) => h('option', { value: k.code }, k.name))) : null;
    }));
  const slot = h('div.form-slot');
  const errs = h('div.form-errors', { 'aria-live': 'assertive' });
  const saveBtn = h('button.primary', { type: 'submit', disabled: true }, T('save'));
  const media = await caseMedia(page.id);
  let form = null;
  kindSel.addEventListener('change', async () => {
    errs.replaceChildren();
    form = null;
    saveBtn.disabled = true;
    if (!kindSel.value) { slot.replaceChildren(); return; }
    // The kind's schema as the server states it now.
    let kind = page.cat.kinds.get(kindSel.value);
    try { kind = await get('/api/v1/record-kinds/' + encodeURIComponent(kindSel.value)); } catch (e) { /* keep the listed one */ }
    form = recordForm(kind, {
      users: page.cat.userList, laws: page.cat.laws, records: page.data.records || [], media,
      author: page.ctx.session && page.ctx.session.user,
    });
    fill(slot, form.el);
    saveBtn.disabled = false;
  });
  const el = h('form.stack.record-dialog', { novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    if (!form) return;
    busy(saveBtn, () => saveRecord(page, form, errs, dlg), errs);
  } }, field(T('chooseKind'), kindSel, { required: true }), slot, errs, h('div.actions', saveBtn));
  const dlg = dialog(T('newRecord'), el, { wide: true, guard: true });
  kindSel.focus();
}

async function uploadAll(files, mark, errs) {
  const hashes = [];
  for (let i = 0; i < files.length; i++) {
    fill(errs, h('p.muted', T('uploading', { i: i + 1, n: files.length })));
    const r = await uploadFile(files[i].blob, files[i].name, mark && mark !== 'none' ? mark : undefined);
    hashes.push(r.hash);
  }
  errs.replaceChildren();
  return hashes;
}

async function saveRecord(page, form, errs, dlg) {
  let rec;
  try {
    rec = await form.read();
  } catch (e) {
    throw new ApiError(422, { detail: e.message });
  }
  const body = { kind: form.kind.code, fields: rec.fields };
  if (rec.at) body.at = rec.at;
  if (rec.files.length) body.attachments = await uploadAll(rec.files, rec.fields.mark || form.kind.confidentiality, errs);
  if (rec.sign) body.sign = rec.sign;
  let r;
  try {
    r = await post('/api/v1/cases/' + encodeURIComponent(page.id) + '/records', body);
  } catch (e) {
    // A reply lost on the way may follow a stored record: find it before
    // the user sends the same record again into a log that keeps both.
    if (!(e instanceof ApiError) || e.status !== 0) throw e;
    r = await findSaved(page, body);
    if (!r) throw e;
  }
  form.clearPassword();
  dlg.close();
  if (r.signature_error) notify(T('signedFail', { why: r.signature_error.detail || r.signature_error.title || String(r.signature_error) }), 'error');
  else notify(T('saved', { seq: r.seq }) + (r.signature ? ' · ' + T('signed') : ''));
  await refreshAfterWrite(page);
  if (page.timeline) page.timeline.last();
}

// JSON with object members in sorted order, so that equal values compare
// equal whatever order the server stored them in.
function canonical(v) {
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (v && typeof v === 'object')
    return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
  return JSON.stringify(v);
}

// Looks among the case's latest records for one by this user of body's
// kind whose fields are body's: the record a lost reply stored. Returns
// {seq} or null.
async function findSaved(page, body) {
  const path = '/api/v1/cases/' + encodeURIComponent(page.id) + '/records';
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const head = await get(path, { limit: 1 });
      const latest = await get(path, { offset: Math.max(0, head.total - 20), limit: 20 });
      const found = (latest.items || []).find((x) => x.kind === body.kind && x.actor === page.ctx.session.user &&
        x.fields && Object.keys(body.fields).every((k) => canonical(x.fields[k]) === canonical(body.fields[k])));
      return found ? { seq: found.seq, recovered: true } : null;
    } catch (e) {
      await new Promise((done) => setTimeout(done, 1000 * (attempt + 1)));
    }
  }
  return null;
}

async function correctDialog(page, rec) {
  const kind = page.cat.kinds.get(rec.kind);
  const form = recordForm(kind, {
    users: page.cat.userList, laws: page.cat.laws, records: (page.data.records || []).filter((r) => r.seq < rec.seq),
    author: page.ctx.session.user, prefill: rec.fields, correction: true,
  });
  const reason = h('textarea', { rows: 2, maxlength: 2000 });
  const errs = h('div.form-errors', { 'aria-live': 'assertive' });
  const btn = h('button.primary', { type: 'submit' }, T('correct'));
  const el = h('form.stack', { novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    busy(btn, async () => {
      const { fields } = await form.read();
      const r = await post('/api/v1/records/' + rec.seq + '/corrections', { reason: reason.value, fields });
      dlg.close();
      notify(T('corrected', { seq: r.seq }));
      await refreshAfterWrite(page);
    }, errs);
  } }, field(T('correctReason'), reason, { required: true, wide: true }), form.el, errs, h('div.actions', btn));
  const dlg = dialog(T('correctTitle', { seq: rec.seq, name: rec.name || rec.kind }), el, { wide: true, guard: true });
  reason.focus();
}

function signDialog(page, rec, roles) {
  const roleSel = h('select', null, roles.map((r) => h('option', { value: r }, signerRole(r))));
  const pw = h('input', { type: 'password', autocomplete: 'current-password' });
  const errs = h('div.form-errors', { 'aria-live': 'assertive' });
  const btn = h('button.primary', { type: 'submit' }, T('sign'));
  const el = h('form.stack', { novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    busy(btn, async () => {
      await post('/api/v1/records/' + rec.seq + '/signatures', { password: pw.value, role: roleSel.value });
      pw.value = '';
      dlg.close();
      notify(T('signed'));
      if (page.timeline) await page.timeline.reload();
    }, errs).then(() => { pw.value = ''; });
  } }, h('p.hint', T('signHint')), field(T('signAs'), roleSel), field(T('password'), pw, { required: true }), errs, h('div.actions', btn));
  const dlg = dialog(T('signTitle', { seq: rec.seq }), el);
  pw.focus();
}

// --- documents --------------------------------------------------------------

function documents(page, panel) {
  const { id, data, ctx } = page;
  const issued = h('div', h('p.loading', t('loading')));
  const loadIssued = () => get('/api/v1/cases/' + encodeURIComponent(id) + '/documents').then((r) => fill(issued, table({
    columns: [
      { key: 'title', label: T('docTitle'), render: (d) => d.title || d.document },
      { key: 'number', label: T('docNumber'), render: (d) => d.number || '—' },
      { key: 'issued', label: T('docIssued'), render: (d) => fmtTime(d.issued) },
      { key: 'source', label: T('docSource'), render: (d) => (d.source ? '#' + d.source : '—') },
      { key: 'open', label: t('actions'), render: (d) => h('button', { type: 'button', onclick: (e) => busy(e.currentTarget, () => openPdf('/api/v1/cases/' + encodeURIComponent(id) + '/documents/' + d.seq)) }, T('open'), h('span.sr-only', ' ' + (d.title || ''))) },
    ],
    rows: r.items || [], empty: T('none'),
  }))).catch((e) => fill(issued, errorBox(e)));
  loadIssued();
  const printable = [];
  for (const rec of data.records || []) {
    if (rec.withheld || !rec.fields || rec.kind === 'correction') continue;
    for (const [code, title, source, when] of TEMPLATES) {
      if (rec.kind !== source || (when && !when(rec.fields))) continue;
      printable.push({ code, title, rec });
    }
  }
  const canPrint = ctx.has(...STAFF_ROLES);
  panel.append(h('section', h('h2', T('docsIssued')), issued),
    h('section', h('h2', T('docsPrintable')), h('p.hint', T('printHint')),
      printable.length ? h('ul.print-list', printable.map((p) => h('li',
        h('button', { type: 'button', disabled: !canPrint, onclick: (e) => busy(e.currentTarget, () => printDocument(id, p.code, p.rec.seq).then(loadIssued)) },
          T('printFrom', { title: p.title })),
        h('span.muted', ' ' + T('fromRecord', { seq: p.rec.seq }) + ' · ' + fmtTime(p.rec.happened) + (p.rec.fields.number ? ' · ' + p.rec.fields.number : '')))))
        : h('p.muted', T('noPrintable'))));
}

// --- evidence ---------------------------------------------------------------

async function evidence(page, panel) {
  const slot = h('div.evidence-slot', h('p.loading', t('loading')));
  panel.append(slot);
  try {
    const m = await import('../evidence.js');
    if (typeof m.renderEvidence !== 'function') throw new Error('no renderEvidence');
    slot.replaceChildren();
    await m.renderEvidence(slot, page.id, page.ctx, page.data);
  } catch (e) {
    fill(slot, h('p.notice', T('evidencePending')));
  }
}

// --- archive, review, copies ------------------------------------------------

function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function archive(page, panel) {
  const { ctx, id, data } = page;
  if (ctx.has('archivist', 'supervisor', 'case-auditor')) {
    const list = h('div', h('p.loading', t('loading')));
    const loadList = () => get('/api/v1/cases/' + encodeURIComponent(id) + '/case-files').then((r) => fill(list, table({
      columns: [
        { key: 'seq', label: T('cfSeq'), render: (c) => '#' + (c.seq ?? '') },
        { key: 'reference', label: T('cfRef'), render: (c) => c.reference || '—' },
        { key: 'actor', label: T('cfBy'), render: (c) => (c.actor ? personName(c.actor, page.cat) : '—') },
        { key: 'covers', label: T('cfCovers'), render: (c) => (c.covers ? '#' + c.covers.first + '–#' + c.covers.last : '—') },
        { key: 'type', label: T('cfType'), render: (c) => [c.type, c.format, c.size !== undefined ? fmtBytes(c.size) : null].filter(Boolean).join(' · ') },
        { key: 'report', label: T('cfCheck'), render: (c) => (c.report ? flag(c.report === 'pass' ? T('cfPass') : c.report, c.report === 'pass' ? 'ok' : 'bad') : '—') },
        { key: 'sha', label: 'SHA-256', render: (c) => h('code', { title: (c.tagmanifest && c.tagmanifest.sha256) || '' }, String((c.tagmanifest && c.tagmanifest.sha256) || '').slice(0, 23)) },
      ],
      rows: Array.isArray(r) ? r : r.items || [], empty: T('none'),
    }))).catch((e) => fill(list, errorBox(e)));
    loadList();
    const ended = data.stage === 'archive' || data.stage === 'closed';
    let sealBox = null;
    if (ctx.has('archivist')) {
      const fmt = h('select', null, h('option', { value: 'tar' }, 'tar'), h('option', { value: 'zip' }, 'zip'));
      const errs = h('div');
      const btn = h('button.primary', { type: 'button', disabled: !ended, onclick: () => busy(btn, async () => {
        const r = await request('POST', '/api/v1/cases/' + encodeURIComponent(id) + '/case-file', { format: fmt.value }, { raw: true });
        saveBlob(await r.blob(), 'case-file-' + id + '.' + fmt.value);
        notify(T('sealed'));
        loadList();
      }, errs) }, T('seal'));
      sealBox = h('div.stack', h('p.hint', T('sealHint')), ended ? null : h('p.notice', T('notEnded')),
        h('div.row.seal-row', field(T('format'), fmt), btn), errs);
    }
    panel.append(h('section.panel', h('h2', T('archive')), sealBox, h('h3', T('caseFiles')), list));
  }
  if (ctx.has('head', 'supervisor', 'case-auditor')) {
    panel.append(h('section.panel', h('h2', T('review')), h('a.button', { href: '#/review/' + encodeURIComponent(id) }, T('reviewLink'))));
  }
  if (ctx.has('clerk', 'handler')) panel.append(copyForm(page));
  if (!panel.childNodes.length) panel.append(h('p.muted', T('none')));
}

function copyForm(page) {
  const { data, id } = page;
  const recs = (data.records || []).filter((r) => r.kind !== 'correction');
  const boxes = recs.map((r) => {
    const cb = h('input', { type: 'checkbox', value: String(r.seq) });
    return { cb, el: h('label.check', cb, '#' + r.seq + ' ' + (r.name || r.kind) + ' · ' + fmtDate(r.happened)) };
  });
  const requester = h('input', { type: 'text', value: data.applicant || '', maxlength: 200 });
  const onBehalf = h('input', { type: 'text', maxlength: 200 });
  const purpose = h('input', { type: 'text', maxlength: 500 });
  const received = h('input', { type: 'date', value: todayCst() });
  const errs = h('div');
  const btn = h('button.primary', { type: 'submit' }, T('register'));
  return h('section.panel', h('h2', T('copies')), h('p.hint', T('copyHint')),
    h('form.stack', { novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      busy(btn, async () => {
        const seqs = boxes.filter((b) => b.cb.checked).map((b) => Number(b.cb.value));
        if (!seqs.length) throw new Error(T('pickRecords'));
        const body = { records: seqs, purpose: purpose.value, requester: requester.value.trim() };
        if (onBehalf.value.trim()) body.on_behalf_of = onBehalf.value.trim();
        if (received.value) body.received = received.value;
        const r = await post('/api/v1/cases/' + encodeURIComponent(id) + '/copy-requests', body);
        notify(T('copyDone', { n: r.number || r.id }));
        for (const b of boxes) b.cb.checked = false;
      }, errs);
    } },
    h('fieldset.group', h('legend', T('copyRecords')), h('div.copy-records', boxes.map((b) => b.el))),
    h('div.form-grid', field(T('requester'), requester, { required: true }), field(T('onBehalf'), onBehalf),
      field(T('purpose'), purpose, { required: true }), field(T('copyReceived'), received)),
    errs, h('div.actions', btn)));
}

// Changes the mark of a record of the case by its number: the security
// administrator reads no case content, so the form shows none.
function markOnly(main, id) {
  const seq = h('input', { type: 'number', min: 1, step: 1, inputmode: 'numeric' });
  const mark = h('select', null, ['none', 'personal', 'sensitive-personal', 'commercial-secret'].map((m) => h('option', { value: m }, markName(m))));
  const reason = h('textarea', { rows: 2 });
  const errs = h('div');
  const btn = h('button.primary', { type: 'submit' }, T('markSave'));
  fill(main, h('h1', T('title', { id })), h('section.panel', h('h2', T('mark')), h('p.hint', T('markWhy')),
    h('form.stack', { novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      busy(btn, async () => {
        const r = await post('/api/v1/records/' + encodeURIComponent(seq.value) + '/mark', { mark: mark.value, reason: reason.value });
        notify(T('markDone', { seq: seq.value, mark: markName(r.mark) }));
        reason.value = '';
      }, errs);
    } }, h('div.form-grid', field(T('markSeq'), seq, { required: true }), field(T('markTo'), mark, { required: true }),
      field(T('markReason'), reason, { required: true, wide: true })), errs, h('div.actions', btn))));
}
