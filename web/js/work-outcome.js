// The window's decisions on an application, shared by the new
// application and the decision on a registered case. It builds the
// fields of 受理 (acceptance-notice), 一次性告知补正 (supplement-notice) and
// 不予受理 (refusal) as the record kinds define them, the official seal
// they carry, and the material receipt (材料接收凭证).
import { h, fill, todayCst, nowCst } from './dom.js';
import { strings } from './i18n.js';
import { get, getAll, post, uploadFile } from './api.js';
import { field } from './ui.js';

export const T = strings({
  zh: {
    accept: '受理', supplement: '一次性告知补正', refuse: '不予受理',
    acceptedOn: '受理日期', clause: '作出决定的期限告知',
    clauseText: '本局将自受理之日起{n}个工作日内作出行政许可决定。依法需要听证、招标、拍卖、检验、检测、检疫、鉴定和专家评审的，所需时间不计算在上述期限内。',
    clauseConfirm: '本局将自受理之日起{n}个工作日内作出行政确认决定。',
    missing: '需要补正的材料', missingHint: '一次性列明全部需要补正的材料；未收到的必备材料已预先选中，选交材料按需勾选。',
    details: '补正要求说明', detailsHint: '逐项写明需要补正的内容和要求。', notifiedOn: '告知日期',
    dueOn: '补正期限', dueOnHint: '申请人提交全部补正材料的截止日期。',
    reasonType: '不予受理情形', reasons: '理由', basis: '法律依据', competent: '有权受理的行政机关',
    competentHint: '申请事项不属于本局职权范围时，告知申请人向哪个机关申请。',
    remedies: '救济途径和期限', refusedOn: '决定日期',
    remediesText: '如不服本决定，可在收到本决定书之日起六十日内向曹阳区人民政府申请行政复议，或者在六个月内向曹阳区人民法院提起行政诉讼。',
    'rt_no-licence-needed': '申请事项依法不需要取得行政许可', 'rt_not-competent': '申请事项依法不属于本局职权范围',
    'rt_incomplete-not-supplemented': '经一次性告知后未按要求提交全部补正材料', rt_other: '其他不符合受理条件的情形',
    law: '法律法规', version: '版本', article: '条', paragraph: '款', item: '项',
    addBasis: '添加一条依据', removeBasis: '删除这条依据', citation: '第 {n} 条依据',
    waiver: '容缺受理说明', waiverHint: '仅在必备材料未齐而依规定容缺受理时填写：写明依据、尚缺材料和申请人承诺的补交期限。',
    seal: '行政审批专用章', sealHint: '加盖印章的文书扫描件或电子印章图像（PNG、JPEG 或 PDF）；本浏览器会记住上次使用的印章文件。',
    sealKept: '沿用上次的印章文件：{name}', sealNew: '使用新文件', sealMissing: '请选择本局印章的文件。',
    signPassword: '签名密码', signHint: '即您的登录密码：用您本人的签名密钥对所出具的文书签名，未签名的文书会被列为问题。',
    signMissing: '请输入签名密码，以本人签名密钥签署文书。',
    needMissing: '请至少选择一项需要补正的材料。', needBasis: '请至少填写一条法律依据（法律法规和条）。',
  },
  en: {
    accept: 'Accept', supplement: 'One-time supplement notice', refuse: 'Refuse to accept',
    acceptedOn: 'Accepted on', clause: 'Time limit of the decision',
    clauseText: 'The bureau will decide on the licence within {n} working days of acceptance. Time needed by law for hearings, tenders, auctions, inspections, tests, quarantine, appraisals and expert review is not counted.',
    clauseConfirm: 'The bureau will decide on the confirmation within {n} working days of acceptance.',
    missing: 'Materials to supplement', missingHint: 'List every missing material at once; the required ones not received are preselected, optional ones as needed.',
    details: 'What to supplement', detailsHint: 'What each material must contain.', notifiedOn: 'Notified on',
    dueOn: 'Supplement due', dueOnHint: 'The last day for handing in every missing material.',
    reasonType: 'Ground', reasons: 'Reasons', basis: 'Legal basis', competent: 'Competent authority',
    competentHint: 'The authority to apply to when the matter is not the bureau\'s.',
    remedies: 'Remedies and time limits', refusedOn: 'Decided on',
    remediesText: '如不服本决定，可在收到本决定书之日起六十日内向曹阳区人民政府申请行政复议，或者在六个月内向曹阳区人民法院提起行政诉讼。',
    'rt_no-licence-needed': 'No licence is needed', 'rt_not-competent': 'Not within the bureau\'s competence',
    'rt_incomplete-not-supplemented': 'Materials not supplemented after the one-time notice', rt_other: 'Other',
    law: 'Law', version: 'Version', article: 'Article', paragraph: 'Paragraph', item: 'Item',
    addBasis: 'Add a citation', removeBasis: 'Remove this citation', citation: 'Citation {n}',
    waiver: 'Reason for accepting with materials missing', waiverHint: 'Only when a rule allows accepting before every required material is in (容缺受理): the rule, what is missing and the date the applicant promised.',
    seal: 'Bureau seal', sealHint: 'A scan of the sealed document or the electronic seal image; this browser remembers the last seal file.',
    sealKept: 'Using the last seal file: {name}', sealNew: 'Use a new file', sealMissing: 'Choose the file of the bureau seal.',
    signPassword: 'Signing password', signHint: 'Your sign-in password: your own signing key signs the documents issued; an unsigned one becomes a finding.',
    signMissing: 'Enter your signing password to sign the documents with your own key.',
    needMissing: 'Choose at least one material to supplement.', needBasis: 'Give at least one legal basis (law and article).',
  },
});

export const REASON_TYPES = ['no-licence-needed', 'not-competent', 'incomplete-not-supplemented', 'other'];
// Items of 行政许可法 art. 32(1) that each ground of refusal rests on.
const ART32_ITEM = { 'no-licence-needed': 1, 'not-competent': 2, 'incomplete-not-supplemented': 4 };

const SEAL_KEY = 'casetrail.work.seal';

// The seal chooser: a file input, or the file this browser used last,
// and the clerk's password, with which their own key signs each record.
// Returns {el, hash(), password()}: hash() uploads a new file when one is
// chosen, password() returns the password or raises when it is empty.
export function sealPicker() {
  let kept = null;
  try { kept = JSON.parse(localStorage.getItem(SEAL_KEY) || 'null'); } catch (e) { kept = null; }
  const input = h('input', { type: 'file', accept: 'image/png,image/jpeg,application/pdf', name: 'seal' });
  const keptRow = kept ? h('p.seal-kept', T('sealKept', { name: kept.name }), ' ',
    h('button.link', { type: 'button', onclick: () => { kept = null; keptRow.remove(); input.hidden = false; input.focus(); } }, T('sealNew'))) : null;
  if (kept) input.hidden = true;
  const password = h('input', { type: 'password', autocomplete: 'current-password', name: 'sign-password' });
  const el = h('div.seal-picker', field(T('seal'), input, { required: true, hint: T('sealHint') }), keptRow,
    field(T('signPassword'), password, { required: true, hint: T('signHint') }));
  let uploaded = null;
  return {
    el,
    async hash() {
      const file = input.files && input.files[0];
      if (file) {
        if (!uploaded || uploaded.file !== file) {
          const r = await uploadFile(file, file.name);
          uploaded = { file, hash: r.hash };
          localStorage.setItem(SEAL_KEY, JSON.stringify({ hash: r.hash, name: file.name }));
        }
        return uploaded.hash;
      }
      if (kept) return kept.hash;
      input.focus();
      throw new Error(T('sealMissing'));
    },
    password() {
      if (password.value) return password.value;
      password.focus();
      throw new Error(T('signMissing'));
    },
  };
}

// The clerk's and the seal's signatures, with the seal at attachment 0.
export function clerkSignatures(user) {
  const at = nowCst();
  return [
    { role: 'clerk', person: user, method: 'staff', at },
    { role: 'seal', person: '曹阳区行政审批局', method: 'seal', attachment: 0, at },
  ];
}

export function dateInput(value) {
  return h('input', { type: 'date', value: value || todayCst(), max: todayCst() });
}

// The decision time limit the acceptance notice states, from the matter's
// limits: the promised one where the bureau promises a shorter one.
export function clauseFor(matter) {
  const limits = (matter && matter.limits) || [];
  const promised = limits.find((l) => l.name === 'decision' && l.basis === 'promised');
  const statutory = limits.find((l) => l.name === 'decision' && l.basis === 'statutory');
  const l = promised || statutory;
  // A licence's clause states the periods the Licensing Law (art. 45)
  // leaves out; a confirmation follows its own basis.
  const text = matter && matter.type === 'confirmation' ? 'clauseConfirm' : 'clauseText';
  return l && l.unit === 'working_days' ? T(text, { n: l.value }) : '';
}

export function acceptPanel(matter) {
  const on = dateInput();
  const clause = h('textarea', { rows: 2 }, clauseFor(matter));
  const waiver = h('textarea', { rows: 2, name: 'waiver' });
  return {
    el: h('div.grid2', field(T('acceptedOn'), on, { required: true }), field(T('clause'), clause, { wide: true }),
      field(T('waiver'), waiver, { wide: true, hint: T('waiverHint') })),
    // The reason for accepting with required materials still missing
    // (容缺受理), recorded as a note of the case; empty when none.
    waiver: () => waiver.value.trim(),
    fields() {
      const f = { accepted_on: on.value };
      if (clause.value.trim()) f.time_limit_clause = clause.value.trim();
      return f;
    },
  };
}

// The supplement notice: every material with the unreceived ones checked.
export function supplementPanel(materials, receivedCodes) {
  const boxes = materials.map((m) => ({ m, box: h('input', { type: 'checkbox', value: m.code, checked: !!m.required && !receivedCodes.has(m.code) }) }));
  const details = h('textarea', { rows: 3 });
  const notified = dateInput();
  const due = h('input', { type: 'date', min: todayCst() });
  get('/api/v1/deadline', { from: todayCst(), 'working-days': 10 }).then((d) => { if (!due.value && d.due) due.value = d.due; }).catch(() => {});
  const hintId = 'missing-hint';
  return {
    el: h('div.stack',
      h('fieldset.missing', { 'aria-describedby': hintId }, h('legend', T('missing')),
        h('small.hint', { id: hintId }, T('missingHint')),
        boxes.map(({ m, box }) => h('label.check', box, h('span', m.name), h('small.mono.muted', m.code)))),
      h('div.grid2',
        field(T('details'), details, { wide: true, hint: T('detailsHint') }),
        field(T('notifiedOn'), notified, { required: true }),
        field(T('dueOn'), due, { hint: T('dueOnHint') }))),
    refresh(codes) { for (const { m, box } of boxes) box.checked = !!m.required && !codes.has(m.code); },
    fields() {
      const missing = boxes.filter((b) => b.box.checked).map((b) => b.m.code);
      if (!missing.length) throw new Error(T('needMissing'));
      const f = { missing, notified_on: notified.value };
      if (details.value.trim()) f.details = details.value.trim();
      if (due.value) f.due_on = due.value;
      return f;
    },
  };
}

let lawCache = null;

async function laws() {
  if (!lawCache) lawCache = getAll('/api/v1/laws').catch((e) => { lawCache = null; throw e; });
  return lawCache;
}

function numberInput(value, label) {
  return h('input', { type: 'number', min: 1, step: 1, inputmode: 'numeric', value: value || '', 'aria-label': label });
}

// One citation row: law, version, article, paragraph, item.
function citationRow(library, c, n, onRemove) {
  const law = h('select', library.map((l) => h('option', { value: l.id, selected: l.id === c.law }, l.title)));
  const version = h('select');
  const fillVersions = () => {
    const l = library.find((x) => x.id === law.value);
    const versions = (l && l.versions) || [];
    fill(version, versions.map((v) => h('option', { value: v.version, selected: v.version === c.version }, v.version)));
    if (!c.version && versions.length) version.value = versions[versions.length - 1].version;
  };
  law.addEventListener('change', () => { c.version = null; fillVersions(); });
  fillVersions();
  const article = numberInput(c.article, T('article'));
  const paragraph = numberInput(c.paragraph, T('paragraph'));
  const item = numberInput(c.item, T('item'));
  const row = h('fieldset.citation', h('legend', T('citation', { n })),
    h('div.citation-grid', field(T('law'), law), field(T('version'), version),
      field(T('article'), article), field(T('paragraph'), paragraph), field(T('item'), item),
      h('button.link.remove', { type: 'button', onclick: () => onRemove(row) }, T('removeBasis'))));
  row.value = () => {
    if (!article.value) return null;
    const v = { law: law.value, version: version.value, article: Number(article.value) };
    if (paragraph.value) v.paragraph = Number(paragraph.value);
    if (item.value) v.item = Number(item.value);
    return v;
  };
  row.setItem = (i) => { if (i) item.value = String(i); };
  return row;
}

export function refusePanel(defaultReason = 'not-competent') {
  const reasonType = h('select', REASON_TYPES.map((r) => h('option', { value: r, selected: r === defaultReason }, T('rt_' + r))));
  const reasons = h('textarea', { rows: 3 });
  const competent = h('input', { maxlength: 200 });
  const competentField = field(T('competent'), competent, { required: true, hint: T('competentHint') });
  const remedies = h('textarea', { rows: 3 }, T('remediesText'));
  const refused = dateInput();
  const rows = h('div.citations');
  let library = [];
  const renumber = () => [...rows.children].forEach((r, i) => { r.querySelector('legend').textContent = T('citation', { n: i + 1 }); });
  const addRow = (c) => {
    rows.append(citationRow(library, c, rows.children.length + 1, (row) => { row.remove(); renumber(); }));
  };
  const ready = laws().then((l) => {
    library = l;
    const xzxkf = l.find((x) => x.id === 'xzxkf');
    const v = xzxkf && xzxkf.versions.length ? xzxkf.versions[xzxkf.versions.length - 1].version : null;
    addRow({ law: 'xzxkf', version: v, article: 32, paragraph: 1, item: ART32_ITEM[reasonType.value] });
  });
  const sync = () => {
    competentField.hidden = reasonType.value !== 'not-competent';
    const first = rows.firstElementChild;
    if (first && ART32_ITEM[reasonType.value]) first.setItem(ART32_ITEM[reasonType.value]);
  };
  reasonType.addEventListener('change', sync);
  sync();
  return {
    ready,
    el: h('div.grid2',
      field(T('reasonType'), reasonType, { required: true }),
      field(T('refusedOn'), refused),
      field(T('reasons'), reasons, { required: true, wide: true }),
      h('fieldset.basis.wide', h('legend', T('basis'), h('span.req', { 'aria-hidden': 'true' }, ' *')), rows,
        h('button.add-basis', { type: 'button', onclick: () => addRow({}) }, T('addBasis'))),
      h('div.wide.competent', competentField),
      field(T('remedies'), remedies, { required: true, wide: true })),
    fields() {
      const basis = [...rows.children].map((r) => r.value()).filter(Boolean);
      if (!basis.length) throw new Error(T('needBasis'));
      const f = { reason_type: reasonType.value, reasons: reasons.value.trim(), basis, remedies: remedies.value.trim() };
      if (reasonType.value === 'not-competent') f.competent_authority = competent.value.trim();
      if (refused.value) f.refused_on = refused.value;
      return f;
    },
  };
}

// Adds a record sealed and signed by the clerk, whose key signs it right
// after with password. Returns the reply, with the record's seq and, for a
// numbered document, its number. A wrong password stores nothing.
export async function addSealed(caseId, kind, fields, user, sealHash, password) {
  const r = await post('/api/v1/cases/' + encodeURIComponent(caseId) + '/records', {
    kind, fields: { ...fields, signatures: clerkSignatures(user) }, attachments: [sealHash],
    sign: { password, role: 'clerk' },
  });
  return r;
}

// The material receipt of the materials handed in: [{code, name, copies,
// original}].
export function receiptFields(received) {
  return { received, receipt_date: todayCst() };
}
