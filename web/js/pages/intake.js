// 窗口收件: the clerk registers an application at the window: the matter,
// the applicant, and the materials handed in, checked against the
// matter's list. The clerk decides at once on 受理, 一次性告知补正 listing
// every missing material, or 不予受理 with the reasons, legal basis and
// remedies. The case, the material receipt and the decision are recorded,
// and the notice is printed. With ?case=ID the clerk decides on a case
// registered earlier, or receives the supplement of a case that was
// notified to supplement, and accepts or refuses it.
import { h, fill, fmtTime, nowCst, rfc3339ToLocal, localToRfc3339 } from '../dom.js';
import { strings, t } from '../i18n.js';
import { get, post } from '../api.js';
import { field, errorBox, notify, printDocument, busy } from '../ui.js';
import { matters } from '../work-list.js';
import {
  T as O, sealPicker, acceptPanel, supplementPanel, refusePanel, addSealed, receiptFields,
} from '../work-outcome.js';

const T = strings({
  zh: {
    title: '窗口收件', supTitle: '接收补正材料',
    matterH: '申请事项', matterSearch: '查找事项', matterHint: '输入事项名称或编码', type: '类别',
    all: '全部', licence: '行政许可', confirmation: '行政确认', noMatter: '没有符合条件的事项。',
    chosen: '已选事项', change: '重新选择', choose: '选择', more: '还有 {n} 项，请输入更多文字缩小范围。',
    applicantH: '申请人信息', applicant: '申请人名称或姓名', applicantId: '统一社会信用代码或身份证件号码',
    applicantIdHint: '18 位统一社会信用代码或公民身份号码',
    idFormat: '这不像统一社会信用代码或公民身份号码，请核对；其他证件号码可照录。', contact: '联系电话', address: '联系地址',
    channel: '申请方式', ch_window: '窗口申请', ch_online: '网上申请', ch_mail: '信函申请',
    channelHint: '口头申请需要申请人在申请登记上签名，请在案件页登记。', received: '收到申请时间',
    materialsH: '申请材料', got: '已收', copies: '份数', original: '原件', note: '备注', requiredMat: '必备',
    optionalMat: '选交', allGot: '全部已收', noneGot: '全部清除',
    outcomeH: '处理结果', sealH: '印章与签名',
    save: '登记并出具文书', saving: '正在登记…',
    needMatter: '请先选择申请事项。', needApplicant: '请填写申请人名称或姓名。', needReceived: '请填写收到申请的时间。',
    missingRequired: '以下必备材料未收到：{list}。材料不齐全的，应当一次性告知补正；确需容缺受理的，请填写“容缺受理说明”。',
    waiverNote: '容缺受理。尚缺材料：{list}。说明：{reason}',
    doneH: '已登记', doneCase: '案件 {id} 已登记。', openCase: '查看案件', next: '继续收件',
    print: '打印{doc}', doc_accept: '受理通知书', doc_supplement: '补正材料通知书', doc_refuse: '不予受理决定书',
    doc_receipt: '材料接收凭证', printed: '{doc}已生成，正在新窗口打开。',
    step_case: '登记申请', step_receipt: '材料接收凭证', step_note: '材料备注', step_outcome: '处理决定',
    resume: '案件 {id} 已登记，其余步骤未完成；修改后再次提交将继续办理，不会重复登记。',
    noteText: '窗口收件材料备注：\n{lines}',
    caseNo: '案件编号', caseFacts: '案件情况', noticeH: '补正材料通知', noticeNo: '文书编号', notifiedOn: '告知日期', dueOn: '补正期限',
    stillMissing: '仍缺材料', nothingMissing: '必备材料已齐全。', supOutcome: '接收后',
    receiveOnly: '只登记接收，继续等待补正', notPending: '案件 {id} 已不在受理阶段（当前阶段：{stage}），不能在此办理。',
    receivedNow: '本次接收的材料', needReceipt: '请勾选本次接收的补正材料。', decideTitle: '受理审查',
    needReceiptFirst: '受理前须出具材料接收凭证，请勾选已收到的材料。', receivedBefore: '已收材料',
    receiptDone: '案件 {id} 的补正材料已登记接收。',
  },
  en: {
    title: 'Window intake', supTitle: 'Receive a supplement',
    matterH: 'Matter', matterSearch: 'Find a matter', matterHint: 'Name or code of the matter', type: 'Type',
    all: 'All', licence: 'Licence', confirmation: 'Confirmation', noMatter: 'No matter matches.',
    chosen: 'Chosen matter', change: 'Choose another', choose: 'Choose', more: '{n} more; type more to narrow.',
    applicantH: 'Applicant', applicant: 'Applicant name', applicantId: 'Unified social credit code or ID number',
    applicantIdHint: '18-character credit code or citizen ID number',
    idFormat: 'This is neither a credit code nor a citizen ID number; check it. Other document numbers are fine as they are.', contact: 'Telephone', address: 'Address',
    channel: 'Channel', ch_window: 'At the window', ch_online: 'Online', ch_mail: 'By mail',
    channelHint: 'An oral application needs the applicant\'s signature; record it on the case page.', received: 'Received at',
    materialsH: 'Materials', got: 'Received', copies: 'Copies', original: 'Original', note: 'Note', requiredMat: 'required',
    optionalMat: 'optional', allGot: 'All received', noneGot: 'Clear all',
    outcomeH: 'Outcome', sealH: 'Seal and signature',
    save: 'Register and issue', saving: 'Registering…',
    needMatter: 'Choose the matter first.', needApplicant: 'Give the applicant\'s name.', needReceived: 'Give the time the application arrived.',
    missingRequired: 'These required materials were not received: {list}. Give the one-time supplement notice, or fill in the reason for accepting with materials missing.',
    waiverNote: 'Accepted with materials missing: {list}. Reason: {reason}',
    doneH: 'Registered', doneCase: 'Case {id} is registered.', openCase: 'Open the case', next: 'Next application',
    print: 'Print {doc}', doc_accept: 'acceptance notice', doc_supplement: 'supplement notice', doc_refuse: 'refusal decision',
    doc_receipt: 'material receipt', printed: 'The {doc} opens in a new window.',
    step_case: 'application', step_receipt: 'material receipt', step_note: 'material notes', step_outcome: 'decision',
    resume: 'Case {id} is registered but the other steps are not; submitting again goes on without registering it twice.',
    noteText: 'Notes on the materials at the window:\n{lines}',
    caseNo: 'Case number', caseFacts: 'The case', noticeH: 'Supplement notice', noticeNo: 'Number', notifiedOn: 'Notified on', dueOn: 'Due',
    stillMissing: 'Still missing', nothingMissing: 'Every required material is in.', supOutcome: 'After receiving',
    receiveOnly: 'Only record the receipt; keep waiting', notPending: 'Case {id} is past acceptance (stage: {stage}).',
    receivedNow: 'Materials received now', needReceipt: 'Mark the supplemented materials received now.', decideTitle: 'Decide on acceptance',
    needReceiptFirst: 'Acceptance needs a material receipt; mark the materials received.', receivedBefore: 'Received before',
    receiptDone: 'The supplement of case {id} is recorded.',
  },
});

const DOCS = { accept: 'acceptance-notice', supplement: 'supplement-notice', refuse: 'refusal' };
const KINDS = { accept: 'acceptance-notice', supplement: 'supplement-notice', refuse: 'refusal' };
const MATTER_SHOWN = 30;
// A unified social credit code (18 characters, digits and capitals other
// than I, O, S, V and Z) or a resident ID number (17 digits and a check
// digit or X). Neither check digit is verified.
const CREDIT_CODE = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/;
const ID_NUMBER = /^\d{17}[\dX]$/;

// Warns, without blocking, when the number has neither form, because a
// passport or other document number is valid too.
function checkIdNumber(input, out) {
  const v = input.value.trim().toUpperCase();
  fill(out, v && !CREDIT_CODE.test(v) && !ID_NUMBER.test(v) ? T('idFormat') : null);
}

export async function render(main, params, ctx) {
  const caseId = ctx.query.get('case');
  if (caseId) return renderExisting(main, ctx, caseId);
  document.title = T('title') + ' · ' + t('app');
  const catalogue = await matters();
  const form = new IntakeForm(main, ctx, catalogue);
  form.draw();
}

// The materials checklist: one row per material of the matter with
// received, copies, original and a note. Returns {el, received(),
// receivedCodes(), notes()}.
function materialList(materials, onChange, { checked = () => false, mark = () => null } = {}) {
  const rows = materials.map((m) => {
    const got = h('input', { type: 'checkbox', checked: checked(m), 'aria-label': T('got') + '：' + m.name, onchange: onChange });
    const copies = h('input', { type: 'number', min: 1, value: 1, 'aria-label': T('copies') + '：' + m.name });
    const original = h('input', { type: 'checkbox', 'aria-label': T('original') + '：' + m.name });
    const note = h('input', { maxlength: 200, 'aria-label': T('note') + '：' + m.name });
    return { m, got, copies, original, note };
  });
  const table = h('div.table-wrap', h('table.materials',
    h('thead', h('tr', [T('got'), T('materialsH'), T('copies'), T('original'), T('note')].map((l) => h('th', { scope: 'col' }, l)))),
    h('tbody', rows.map((r) => h('tr', { class: r.m.required ? 'required' : null },
      h('td.c', r.got),
      h('td', h('span', r.m.name), ' ', h('span.flag.' + (r.m.required ? 'warn' : 'info'), r.m.required ? T('requiredMat') : T('optionalMat')),
        h('small.mono.muted.code', r.m.code), mark(r.m) ? h('span.flag.ok', mark(r.m)) : null),
      h('td.n', r.copies), h('td.c', r.original), h('td', r.note))))));
  const set = (v) => { for (const r of rows) r.got.checked = v; onChange(); };
  return {
    el: h('div', h('div.row.material-tools',
      h('button', { type: 'button', onclick: () => set(true) }, T('allGot')),
      h('button', { type: 'button', onclick: () => set(false) }, T('noneGot'))), table),
    received: () => rows.filter((r) => r.got.checked).map((r) => ({
      code: r.m.code, name: r.m.name, copies: Math.max(1, parseInt(r.copies.value, 10) || 1), original: r.original.checked,
    })),
    receivedCodes: () => new Set(rows.filter((r) => r.got.checked).map((r) => r.m.code)),
    notes: () => rows.filter((r) => r.note.value.trim()).map((r) => r.m.name + '：' + r.note.value.trim()),
  };
}

// The outcome chooser: radio buttons and the panel of the chosen one.
function outcomeChooser(options, panels, current, onChange) {
  const name = 'outcome' + Math.random().toString(36).slice(2, 7);
  const host = h('div.outcome-panel');
  const show = (v) => { fill(host, panels[v] ? panels[v].el : null); onChange(v); };
  const radios = options.map(([value, label]) => h('label.check.outcome-option',
    h('input', { type: 'radio', name, value, checked: value === current,
      onchange: (e) => { if (e.target.checked) show(value); } }), h('span', label)));
  show(current);
  return h('div', h('div.outcome-options', { role: 'radiogroup' }, radios), host);
}

class IntakeForm {
  constructor(main, ctx, catalogue) {
    this.main = main;
    this.ctx = ctx;
    this.catalogue = catalogue;
    this.matter = null;
    this.done = {};
  }

  draw() {
    this.matterHost = h('div.matter-picker');
    this.detailHost = h('div.intake-detail');
    fill(this.main, h('h1', T('title')),
      h('section.panel', { 'aria-labelledby': 'matter-h' }, h('h2#matter-h', T('matterH')), this.matterHost),
      this.detailHost);
    this.drawPicker();
  }

  drawPicker() {
    const q = h('input', { type: 'search', autocomplete: 'off' });
    const type = h('select', [['', T('all')], ['licence', T('licence')], ['confirmation', T('confirmation')]]
      .map(([v, l]) => h('option', { value: v }, l)));
    const list = h('ul.matter-results', { 'aria-live': 'polite' });
    const update = () => {
      const words = q.value.trim().toLowerCase();
      const found = this.catalogue.filter((m) => (!type.value || m.type === type.value)
        && (!words || m.name.toLowerCase().includes(words) || m.code.toLowerCase().includes(words)));
      fill(list, found.length ? found.slice(0, MATTER_SHOWN).map((m) => h('li',
        h('button.matter-choice', { type: 'button', onclick: () => this.choose(m) },
          h('strong', m.name), h('small.mono', m.code), h('span.flag.info', T(m.type))))) : h('li.muted', T('noMatter')),
      found.length > MATTER_SHOWN ? h('li.muted', T('more', { n: found.length - MATTER_SHOWN })) : null);
    };
    q.addEventListener('input', update);
    type.addEventListener('change', update);
    q.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); const b = list.querySelector('button'); if (b) b.click(); }
    });
    update();
    fill(this.matterHost, h('div.grid2', field(T('matterSearch'), q, { hint: T('matterHint') }), field(T('type'), type)), list);
    q.focus();
  }

  choose(m) {
    this.matter = m;
    fill(this.matterHost, h('div.spread.chosen',
      h('div', h('strong', m.name), ' ', h('small.mono', m.code), ' ', h('span.flag.info', T(m.type))),
      h('button', { type: 'button', onclick: () => { this.matter = null; this.drawPicker(); fill(this.detailHost); } }, T('change'))));
    this.drawDetails();
  }

  drawDetails() {
    const m = this.matter;
    this.inputs = {
      applicant: h('input', { name: 'applicant', maxlength: 200, autocomplete: 'off' }),
      applicantId: h('input', { name: 'applicant_id', maxlength: 32, autocomplete: 'off', class: 'mono' }),
      contact: h('input', { name: 'contact', maxlength: 50, inputmode: 'tel', autocomplete: 'off' }),
      address: h('input', { name: 'address', maxlength: 300, autocomplete: 'off' }),
      channel: h('select', { name: 'channel' }, ['window', 'online', 'mail'].map((c) => h('option', { value: c }, T('ch_' + c)))),
      received: h('input', { type: 'datetime-local', name: 'received', value: rfc3339ToLocal(nowCst()), max: rfc3339ToLocal(nowCst()) }),
    };
    const i = this.inputs;
    const idWarning = h('small.id-warning', { 'aria-live': 'polite' });
    i.applicantId.addEventListener('blur', () => checkIdNumber(i.applicantId, idWarning));

    this.panels = { accept: acceptPanel(m), supplement: supplementPanel(m.materials || [], new Set()), refuse: refusePanel() };
    this.materials = materialList(m.materials || [], () => this.panels.supplement.refresh(this.materials.receivedCodes()));
    this.panels.supplement.refresh(new Set());
    this.seal = sealPicker();
    this.outcome = 'accept';

    this.errors = h('div', { 'aria-live': 'assertive' });
    this.saveButton = h('button.primary.big', { type: 'submit' }, T('save'));
    const form = h('form.intake', { novalidate: true, onsubmit: (e) => { e.preventDefault(); this.submit(); } },
      h('section.panel', { 'aria-labelledby': 'applicant-h' }, h('h2#applicant-h', T('applicantH')),
        h('div.grid2',
          field(T('applicant'), i.applicant, { required: true }),
          h('div', field(T('applicantId'), i.applicantId, { hint: T('applicantIdHint') }), idWarning),
          field(T('contact'), i.contact), field(T('address'), i.address),
          field(T('channel'), i.channel, { hint: T('channelHint') }),
          field(T('received'), i.received, { required: true }))),
      h('section.panel', { 'aria-labelledby': 'materials-h' }, h('h2#materials-h', T('materialsH')), this.materials.el),
      h('section.panel', { 'aria-labelledby': 'outcome-h' }, h('h2#outcome-h', T('outcomeH')),
        outcomeChooser([['accept', O('accept')], ['supplement', O('supplement')], ['refuse', O('refuse')]],
          this.panels, 'accept', (v) => { this.outcome = v; })),
      h('section.panel', { 'aria-labelledby': 'seal-h' }, h('h2#seal-h', T('sealH')), this.seal.el),
      this.errors,
      h('div.actions', this.saveButton));
    fill(this.detailHost, form);
    i.applicant.focus();
  }

  // Records what is not yet recorded, in order: the case, the material
  // receipt, the notes on materials, the decision; then prints it. A step
  // that fails leaves the earlier ones recorded, and a new submit goes on
  // from it.
  async submit() {
    fill(this.errors);
    const i = this.inputs;
    const problem = !i.applicant.value.trim() ? [T('needApplicant'), i.applicant]
      : !i.received.value ? [T('needReceived'), i.received] : null;
    if (problem) {
      problem[1].setAttribute('data-touched', '');
      fill(this.errors, errorBox(problem[0]));
      problem[1].focus();
      return;
    }
    let outcomeFields;
    try {
      outcomeFields = this.panels[this.outcome].fields();
    } catch (e) {
      fill(this.errors, errorBox(e));
      return;
    }
    this.waiverText = null;
    if (this.outcome === 'accept') {
      const got = this.materials.receivedCodes();
      const lacking = (this.matter.materials || []).filter((m) => m.required && !got.has(m.code)).map((m) => m.name);
      // Materials incomplete: the law requires the one-time notice.
      // Accepting anyway needs a stated reason, which the case records.
      if (lacking.length && !this.panels.accept.waiver()) {
        fill(this.errors, errorBox(T('missingRequired', { list: lacking.join('、') })));
        return;
      }
      if (lacking.length) this.waiverText = T('waiverNote', { list: lacking.join('、'), reason: this.panels.accept.waiver() });
    }
    await busy(this.saveButton, async () => {
      this.saveButton.textContent = T('saving');
      const password = this.seal.password();
      const seal = await this.seal.hash();
      await this.record(seal, outcomeFields, password);
    }, this.errors);
    if (this.done.caseId && !this.done.outcomeSeq) this.errors.prepend(h('p.notice', T('resume', { id: this.done.caseId })));
  }

  async record(seal, outcomeFields, password) {
    const i = this.inputs;
    const user = this.ctx.session.user;
    const d = this.done;
    if (!d.caseId) {
      const body = {
        matter: this.matter.code, applicant: i.applicant.value.trim(), channel: i.channel.value,
        received: localToRfc3339(i.received.value), materials: [...this.materials.receivedCodes()],
      };
      for (const [k, input] of [['applicant_id', i.applicantId], ['contact', i.contact], ['address', i.address]])
        if (input.value.trim()) body[k] = input.value.trim();
      d.caseId = (await post('/api/v1/cases', body)).id;
    }
    const received = this.materials.received();
    if (received.length && !d.receiptSeq) {
      d.receiptSeq = (await addSealed(d.caseId, 'material-receipt', receiptFields(received), user, seal, password)).seq;
    }
    const notes = this.materials.notes();
    if (notes.length && !d.noteSeq) {
      d.noteSeq = (await post('/api/v1/cases/' + encodeURIComponent(d.caseId) + '/records',
        { kind: 'note', fields: { text: T('noteText', { lines: notes.join('\n') }) } })).seq;
    }
    if (this.outcome === 'accept' && this.waiverText && !d.waiverSeq) {
      d.waiverSeq = (await post('/api/v1/cases/' + encodeURIComponent(d.caseId) + '/records',
        { kind: 'note', fields: { text: this.waiverText } })).seq;
    }
    if (this.outcome === 'supplement' && notes.length && !outcomeFields.details) outcomeFields.details = notes.join('\n');
    const issued = await addSealed(d.caseId, KINDS[this.outcome], outcomeFields, user, seal, password);
    d.outcomeSeq = issued.seq;
    d.number = issued.number;
    d.outcome = this.outcome;
    d.applicant = i.applicant.value.trim();
    d.matter = this.matter.name;
    showDone(this.main, this.ctx, d, () => { this.done = {}; this.draw(); });
  }
}

// The result: the case, and buttons that print its documents. The
// decision's document opens at once.
function showDone(main, ctx, d, onNext) {
  const errs = h('div');
  const printButton = (doc, document, seq) => {
    const b = h('button', { type: 'button', onclick: () => busy(b, async () => {
      await printDocument(d.caseId, document, seq);
      notify(T('printed', { doc: T('doc_' + doc) }));
    }, errs) }, T('print', { doc: T('doc_' + doc) }));
    return b;
  };
  const main_ = printButton(d.outcome, DOCS[d.outcome], d.outcomeSeq);
  main_.classList.add('primary');
  fill(main, h('h1', T('doneH')),
    h('section.panel.done', { 'aria-live': 'polite' },
      h('p.done-line', T('doneCase', { id: d.caseId })),
      h('dl.facts',
        h('dt', T('applicant')), h('dd', d.applicant || ''),
        h('dt', T('matterH')), h('dd', d.matter || ''),
        h('dt', T('outcomeH')), h('dd', O(d.outcome)),
        h('dt', T('noticeNo')), h('dd', d.number || '—')),
      h('div.actions', main_, d.receiptSeq ? printButton('receipt', 'material-receipt', d.receiptSeq) : null,
        h('a.button', { href: '#/cases/' + encodeURIComponent(d.caseId) }, T('openCase')),
        h('button', { type: 'button', onclick: onNext }, T('next'))),
      errs));
  main_.focus();
  // NOTE: a browser that blocks pop-ups once the click's user activation
  // has expired (a slow save) makes printDocument open the PDF in this tab.
  main_.click();
}

// Renders the decision on a registered case at acceptance. After a
// supplement notice, the clerk receives the supplement and accepts or
// refuses. Without one, the clerk accepts, gives the one-time supplement
// notice or refuses. The materials handed in now are recorded in a
// material receipt first.
async function renderExisting(main, ctx, id) {
  const c = await get('/api/v1/cases/' + encodeURIComponent(id));
  const catalogue = await matters();
  const matter = catalogue.find((m) => m.code === (c.matter && c.matter.code)) || { materials: [] };
  const notices = (c.records || []).filter((r) => r.kind === 'supplement-notice' && r.fields);
  const hadReceipt = (c.records || []).some((r) => r.kind === 'material-receipt');
  const awaiting = notices.length > 0;
  const title = awaiting ? T('supTitle') : T('decideTitle');
  document.title = title + ' · ' + t('app');
  fill(main, h('h1', title));
  if (c.stage !== 'acceptance') {
    main.append(errorBox(T('notPending', { id, stage: c.stage_name || c.stage })),
      h('p', h('a', { href: '#/cases/' + encodeURIComponent(id) }, T('openCase'))));
    return;
  }
  const nameOf = (code) => ((matter.materials || []).find((m) => m.code === code) || { name: code }).name;
  const missing = (c.materials && c.materials.missing) || [];
  const before = new Set(((c.materials && c.materials.received) || []).map((x) => (typeof x === 'string' ? x : x.code)));
  const panels = {
    accept: acceptPanel(matter),
    refuse: refusePanel(awaiting ? 'incomplete-not-supplemented' : 'not-competent'),
    receipt: null,
  };
  if (!awaiting) panels.supplement = supplementPanel(matter.materials || [], before);
  const materials = materialList(matter.materials || [], () => {
    if (panels.supplement) panels.supplement.refresh(new Set([...before, ...materials.receivedCodes()]));
  }, { mark: (m) => (before.has(m.code) ? T('receivedBefore') : null) });
  const seal = sealPicker();
  let outcome = 'accept';
  const errs = h('div', { 'aria-live': 'assertive' });
  const save = h('button.primary.big', { type: 'submit' }, T('save'));
  const done = { caseId: id };
  const submit = async () => {
    fill(errs);
    const received = materials.received();
    if (awaiting && !received.length && !done.receiptSeq) { fill(errs, errorBox(T('needReceipt'))); return; }
    if (outcome === 'accept' && !hadReceipt && !received.length && !done.receiptSeq) {
      fill(errs, errorBox(T('needReceiptFirst')));
      return;
    }
    let fields = null;
    try { fields = panels[outcome] ? panels[outcome].fields() : null; } catch (e) { fill(errs, errorBox(e)); return; }
    await busy(save, async () => {
      const password = seal.password();
      const hash = await seal.hash();
      if (received.length && !done.receiptSeq) done.receiptSeq = (await addSealed(id, 'material-receipt', receiptFields(received), ctx.session.user, hash, password)).seq;
      const notes = materials.notes();
      if (notes.length && !done.noteSeq) {
        done.noteSeq = (await post('/api/v1/cases/' + encodeURIComponent(id) + '/records',
          { kind: 'note', fields: { text: T('noteText', { lines: notes.join('\n') }) } })).seq;
      }
      if (fields) {
        const issued = await addSealed(id, KINDS[outcome], fields, ctx.session.user, hash, password);
        done.outcomeSeq = issued.seq;
        done.number = issued.number;
        done.outcome = outcome;
        done.applicant = c.applicant;
        done.matter = c.matter && c.matter.name;
        showDone(main, ctx, done, () => ctx.navigate('/intake'));
      } else {
        notify(T('receiptDone', { id }));
        ctx.navigate('/');
      }
    }, errs);
  };
  const last = notices[notices.length - 1];
  const options = awaiting
    ? [['accept', O('accept')], ['refuse', O('refuse')], ['receipt', T('receiveOnly')]]
    : [['accept', O('accept')], ['supplement', O('supplement')], ['refuse', O('refuse')]];
  main.append(
    h('section.panel', { 'aria-labelledby': 'facts-h' }, h('h2#facts-h', T('caseFacts')),
      h('dl.facts',
        h('dt', T('caseNo')), h('dd', h('a', { href: '#/cases/' + encodeURIComponent(id) }, id)),
        h('dt', T('applicant')), h('dd', c.applicant || ''),
        h('dt', T('applicantId')), h('dd.mono', c.applicant_id || ''),
        h('dt', T('matterH')), h('dd', (c.matter && c.matter.name) || ''),
        h('dt', T('received')), h('dd', fmtTime(c.received)),
        h('dt', T('receivedBefore')), h('dd', before.size ? h('ul.plain', [...before].map((code) => h('li', nameOf(code)))) : '—'),
        h('dt', T('stillMissing')), h('dd', missing.length ? h('ul.plain', missing.map((m) => h('li', m.name))) : T('nothingMissing'))),
      last ? [h('h3', T('noticeH')),
        h('dl.facts',
          h('dt', T('noticeNo')), h('dd', last.fields.number || ''),
          h('dt', T('notifiedOn')), h('dd', last.fields.notified_on || ''),
          h('dt', T('dueOn')), h('dd', last.fields.due_on || '—'),
          h('dt', O('missing')), h('dd', h('ul.plain', (last.fields.missing || []).map((code) => h('li', nameOf(code))))),
          last.fields.details ? [h('dt', O('details')), h('dd.pre', last.fields.details)] : null)] : null),
    h('form.intake', { novalidate: true, onsubmit: (e) => { e.preventDefault(); submit(); } },
      h('section.panel', { 'aria-labelledby': 'now-h' }, h('h2#now-h', T('receivedNow')), materials.el),
      h('section.panel', { 'aria-labelledby': 'sup-out-h' }, h('h2#sup-out-h', awaiting ? T('supOutcome') : T('outcomeH')),
        outcomeChooser(options, panels, 'accept', (v) => { outcome = v; })),
      h('section.panel', { 'aria-labelledby': 'seal-h' }, h('h2#seal-h', T('sealH')), seal.el),
      errs, h('div.actions', save)));
}
