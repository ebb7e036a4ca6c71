// Forms for records, built from the record kind's schema in
// data/record-kinds.json (GET /api/v1/record-kinds/{code}): each field
// type has its widget, `when` shows and requires a field or a signer
// while its condition holds, and the signers, the confirmation phrase,
// the audio-visual record and the time of the event follow the kind. A
// new kind in the data needs no code here.
//
//   const form = recordForm(kind, {users, laws, records, author, prefill});
//   const {fields, files, at, sign} = await form.read();
//
// `files` are the blobs to upload, in the order the fields refer to them
// by `attachment` index; the caller uploads them and posts the record.
import { h, fill, localToRfc3339, rfc3339ToLocal, nowCst, fmtTime } from './dom.js';
import { strings, roleName, markName } from './i18n.js';
import { get } from './api.js';
import { field } from './ui.js';

export const T = strings({
  zh: {
    yes: '是', no: '否', choose: '请选择', add: '增加一项', remove: '删除此项', row: '第 {n} 项',
    perLine: '每行一项', law: '法律法规', version: '版本', article: '条', paragraph: '款', item: '项',
    addLaw: '增加法律依据', anyArticle: '请选择条', anyPara: '（不指定款）', anyItem: '（不指定项）',
    seqNone: '（不指定）', signers: '签名', signer: '签名人', method: '签名方式', person: '签名人姓名',
    addSigner: '增加签名人', pages: '签名页', reason: '拒签理由', witness: '见证人',
    scan: '扫描件或照片', padMissing: '签名板暂不可用，请上传纸质签名的扫描件。',
    confirmation: '当事人确认语', confirmPhrase: '以上笔录我已看过，与我所说相符',
    av: '同步音像记录', avLink: '关联音像记录', avFile: '上传音像文件', avExempt: '不能音像记录的理由',
    avNote: '说明', avNone: '（有音像记录）', avSeqs: '本案已入库的音像文件', avRequired: '本类记录须同步录音录像；没有音像记录的，请选择豁免理由。',
    at: '发生时间', atHint: '事情实际发生的时间；不填为现在。补录的笔录请填写当时的时间。',
    mark: '保密标识', markHint: '可以高于本类记录的默认保密标识，不能低于。',
    files: '其他附件', signSelf: '本人电子签名', signSelfLabel: '保存后用本人密码签名（SM2）',
    password: '本人登录密码', signRole: '签名身份', author: '记录人',
    whenHint: '在“{field}”为“{value}”时必填', needPad: '请在签名板上签名，或改用纸质签名扫描件。',
    needFile: '请选择“{role}”签名的扫描件。', pagesHint: '逐页签名：勾选当事人签名的页码',
    methods_staff: '本局工作人员签名', methods_pad: '签名板手写签名', methods_paper: '纸质签名扫描件',
    methods_seal: '加盖印章（扫描件）', methods_refused: '拒绝签名',
  },
  en: {
    yes: 'Yes', no: 'No', choose: 'Choose', add: 'Add one', remove: 'Remove', row: 'Item {n}',
    perLine: 'One per line', law: 'Law', version: 'Version', article: 'Article', paragraph: 'Paragraph', item: 'Item',
    addLaw: 'Add a citation', anyArticle: 'Choose the article', anyPara: '(no paragraph)', anyItem: '(no item)',
    seqNone: '(none)', signers: 'Signatures', signer: 'Signer', method: 'Method', person: 'Name of the signer',
    addSigner: 'Add a signer', pages: 'Pages signed', reason: 'Reason for refusing', witness: 'Witness',
    scan: 'Scan or photo', padMissing: 'The signature pad is not available; upload a scan of the signed paper.',
    confirmation: 'Confirmation phrase', confirmPhrase: '以上笔录我已看过，与我所说相符',
    av: 'Simultaneous audio-visual record', avLink: 'Link a recording', avFile: 'Upload a recording', avExempt: 'Reason there is no recording',
    avNote: 'Note', avNone: '(there is a recording)', avSeqs: 'Recordings of this case', avRequired: 'This kind needs a simultaneous recording; without one, give the exemption.',
    at: 'When it happened', atHint: 'When the event took place; empty for now.',
    mark: 'Confidentiality mark', markHint: 'May be above the kind\'s default, not below.',
    files: 'Other attachments', signSelf: 'Your electronic signature', signSelfLabel: 'Sign with my password after saving (SM2)',
    password: 'Your sign-in password', signRole: 'Signing as', author: 'Author',
    whenHint: 'Required when "{field}" is "{value}"', needPad: 'Sign on the pad, or upload a scan of a paper signature.',
    needFile: 'Choose the scan of the signature of "{role}".', pagesHint: 'Per-page signing: tick the pages signed',
    methods_staff: 'Staff signature', methods_pad: 'Signature pad', methods_paper: 'Scanned paper signature',
    methods_seal: 'Seal (scan)', methods_refused: 'Refused to sign',
  },
});

// Words of enum codes where the schema gives none; the documents print
// the same words (data/documents/*.json).
const ENUM_WORDS = {
  window: '窗口申请', oral: '口头', online: '网上申请', mail: '邮寄',
  'no-licence-needed': '依法不需要取得行政许可', 'not-competent': '不属于本局职权范围',
  'incomplete-not-supplemented': '材料不齐全且逾期未补正', other: '其他',
  written: '书面告知', granted: '同意回避', rejected: '驳回申请',
  hearing: '听证', tender: '招标', auction: '拍卖', testing: '检测', inspection: '检验',
  quarantine: '检疫', appraisal: '鉴定', 'expert-review': '专家评审',
  grant: '准予行政许可', deny: '不予行政许可', partial: '部分准予行政许可',
  subject: '行政许可主体是否合法', competence: '是否超越本局法定职权', procedure: '程序是否合法',
  facts: '事实是否清楚', evidence: '证据是否确实、充分', basis: '适用法律依据是否准确', document: '文书是否规范',
  agree: '同意', amend: '修改后同意', disagree: '不同意', review: '审核', approve: '批准',
  decision: '行政许可决定书', licence: '行政许可证件', refusal: '不予受理决定书',
  'supplement-notice': '补正材料通知书', 'acceptance-notice': '受理通知书',
  direct: '直接送达', registered: '挂号信', express: '特快专递',
};
const ENUM_FIELD_WORDS = { 'service-direct.method.window': '直接送达（窗口领取）', 'application.channel.mail': '邮寄申请' };

// The words of an enum value: the schema's own labels when it has them
// (`labels: {code: 文字}`, or values given as {value, label}), else the
// bureau's usual words, else the code.
export function enumLabel(f, value, kindCode) {
  if (f && f.labels && f.labels[value]) return f.labels[value];
  for (const v of (f && f.values) || []) if (v && typeof v === 'object' && v.value === value && v.label) return v.label;
  return ENUM_FIELD_WORDS[kindCode + '.' + (f && f.name) + '.' + value] || ENUM_WORDS[value] || String(value);
}
function enumValues(f) { return (f.values || []).map((v) => (v && typeof v === 'object' ? v.value : v)); }

const EXEMPTIONS = {
  'commercial-secret': '涉及商业秘密', 'state-secret': '涉及国家秘密', privacy: '涉及个人隐私',
  minor: '涉及未成年人', 'equipment-failure': '音像记录设备故障',
};
export function exemptionName(code) { return EXEMPTIONS[code] || code; }

const EXTRA_ROLES = {
  recipient: '受送达人或者其他合法签收人', witness: '见证人', participant: '听证参加人',
  'appraisal-body': '鉴定机构', appraiser: '鉴定人', expert: '专家', seal: '行政审批专用章', author: '记录人',
};
export function signerRole(code) {
  const n = roleName(code);
  return n === code && EXTRA_ROLES[code] ? EXTRA_ROLES[code] : n;
}

const MARK_ORDER = ['none', 'personal', 'commercial-secret', 'sensitive-personal'];

// Chinese figures for article numbers: 32 → 三十二.
export function cn(n) {
  const d = '零一二三四五六七八九';
  n = Number(n);
  if (!Number.isInteger(n) || n < 0) return String(n);
  if (n < 10) return d[n];
  if (n < 20) return '十' + (n % 10 ? d[n % 10] : '');
  if (n < 100) return d[Math.floor(n / 10)] + '十' + (n % 10 ? d[n % 10] : '');
  if (n < 1000) {
    const rest = n % 100;
    let tail = cn(rest);
    if (rest === 0) tail = '';
    else if (rest < 10) tail = '零' + d[rest];
    else if (rest < 20) tail = '一' + cn(rest);
    return d[Math.floor(n / 100)] + '百' + tail;
  }
  return String(n);
}

// 《中华人民共和国行政许可法》（2019-04-23）第三十二条第一款第（四）项
export function citation(c, laws) {
  if (!c || typeof c !== 'object') return String(c ?? '');
  const law = (laws || []).find((l) => l.id === c.law);
  let s = '《' + (law ? law.title : c.law) + '》';
  if (c.version) s += '（' + c.version + '）';
  if (c.article) s += '第' + cn(c.article) + '条';
  if (c.paragraph) s += '第' + cn(c.paragraph) + '款';
  if (c.item) s += '第（' + cn(c.item) + '）项';
  return s;
}

const lawCache = new Map();
function lawDetail(id) {
  if (!lawCache.has(id)) lawCache.set(id, get('/api/v1/laws/' + encodeURIComponent(id)).catch((e) => { lawCache.delete(id); throw e; }));
  return lawCache.get(id);
}

function option(value, text, selected) {
  return h('option', { value, selected: !!selected }, text);
}

function userLabel(u) { return (u.display_name || u.name) + '（' + u.name + '）'; }

// --- widgets: each is {el, get(), set(v), focus()} --------------------------

function stringWidget(f, kindCode, ctx) {
  const input = h('input', { type: 'text', maxlength: f.max || 500, minlength: f.min || null, autocomplete: 'off', dataset: { field: f.name } });
  return { el: input, input, get: () => (input.value.trim() === '' ? undefined : input.value), set: (v) => { input.value = v ?? ''; } };
}

function textWidget(f) {
  const input = h('textarea', { rows: 4, dataset: { field: f.name } });
  return { el: input, input, get: () => (input.value.trim() === '' ? undefined : input.value), set: (v) => { input.value = v ?? ''; } };
}

function integerWidget(f) {
  const input = h('input', { type: 'number', step: 1, inputmode: 'numeric', min: f.min ?? null, max: f.max ?? null, dataset: { field: f.name } });
  return {
    el: input, input,
    get: () => {
      if (input.value.trim() === '') return undefined;
      const n = Number(input.value);
      return Number.isInteger(n) ? n : input.value;
    },
    set: (v) => { input.value = v ?? ''; },
  };
}

function booleanWidget(f) {
  const input = h('select', { dataset: { field: f.name } },
    option('', T('choose')), option('true', T('yes')), option('false', T('no')));
  return {
    el: input, input,
    get: () => (input.value === '' ? undefined : input.value === 'true'),
    set: (v) => { input.value = typeof v === 'boolean' ? String(v) : ''; },
  };
}

function dateWidget(f) {
  const input = h('input', { type: 'date', dataset: { field: f.name } });
  return { el: input, input, get: () => input.value || undefined, set: (v) => { input.value = v ? String(v).slice(0, 10) : ''; } };
}

function datetimeWidget(f) {
  const input = h('input', { type: 'datetime-local', dataset: { field: f.name } });
  return { el: input, input, get: () => (input.value ? localToRfc3339(input.value) : undefined), set: (v) => { input.value = v ? rfc3339ToLocal(v) : ''; } };
}

function enumWidget(f, kindCode) {
  const input = h('select', { dataset: { field: f.name } }, option('', T('choose')),
    enumValues(f).map((v) => option(v, enumLabel(f, v, kindCode))));
  return { el: input, input, get: () => input.value || undefined, set: (v) => { input.value = v ?? ''; } };
}

function stringsWidget(f) {
  const input = h('textarea', { rows: 3, dataset: { field: f.name } });
  return {
    el: input, input, hint: T('perLine'),
    get: () => {
      const items = input.value.split('\n').map((s) => s.trim()).filter(Boolean);
      return items.length ? items : undefined;
    },
    set: (v) => { input.value = Array.isArray(v) ? v.join('\n') : (v ?? ''); },
  };
}

function userSelect(ctx, value) {
  return h('select', null, option('', T('choose')),
    (ctx.users || []).map((u) => option(u.name, userLabel(u), u.name === value)));
}

function userWidget(f, kindCode, ctx) {
  const input = userSelect(ctx);
  input.dataset.field = f.name;
  return {
    el: input, input, get: () => input.value || undefined,
    set: (v) => {
      if (v && ![...input.options].some((o) => o.value === v)) input.append(option(v, v));
      input.value = v ?? '';
    },
  };
}

function usersWidget(f, kindCode, ctx) {
  const boxes = (ctx.users || []).map((u) => {
    const cb = h('input', { type: 'checkbox', value: u.name });
    return { cb, el: h('label.check', cb, userLabel(u)) };
  });
  const el = h('div.users-pick', { role: 'group', dataset: { field: f.name } }, boxes.map((b) => b.el));
  return {
    el, input: boxes[0] ? boxes[0].cb : el, group: true,
    get: () => {
      const v = boxes.filter((b) => b.cb.checked).map((b) => b.cb.value);
      return v.length ? v : undefined;
    },
    set: (v) => { for (const b of boxes) b.cb.checked = Array.isArray(v) && v.includes(b.cb.value); },
  };
}

// A citation: law, version, article, paragraph and item, each chosen from
// the law library so that it resolves.
function lawWidget(f, kindCode, ctx) {
  const lawSel = h('select', null, option('', T('choose')), (ctx.laws || []).map((l) => option(l.id, l.title)));
  const verSel = h('select');
  const artSel = h('select');
  const paraSel = h('select');
  const itemSel = h('select');
  let detail = null;
  let pending = null;
  const version = () => detail && (detail.versions || []).find((v) => v.version === verSel.value);
  const article = () => version() && (version().articles || []).find((a) => String(a.no) === artSel.value);
  const para = () => article() && (article().paragraphs || []).find((p) => String(p.no) === paraSel.value);
  const short = (s) => {
    if (!s) return '';
    return '：' + (s.length > 24 ? s.slice(0, 24) + '…' : s);
  };
  function fillItems(v) {
    fill(itemSel, option('', T('anyItem')), ((para() || {}).items || []).map((i) => option(String(i.no), '第（' + cn(i.no) + '）项' + short(i.text))));
    if (v !== undefined) itemSel.value = v ? String(v) : '';
  }
  function fillParas(v, iv) {
    fill(paraSel, option('', T('anyPara')), ((article() || {}).paragraphs || []).map((p) => option(String(p.no), '第' + cn(p.no) + '款' + short(p.text))));
    if (v !== undefined) paraSel.value = v ? String(v) : '';
    fillItems(iv);
  }
  function fillArticles(v, pv, iv) {
    fill(artSel, option('', T('anyArticle')), ((version() || {}).articles || []).map((a) => option(String(a.no), '第' + cn(a.no) + '条' + short(a.text))));
    if (v !== undefined) artSel.value = v ? String(v) : '';
    fillParas(pv, iv);
  }
  async function loadLaw(c) {
    detail = null;
    fill(verSel); fill(artSel); fill(paraSel); fill(itemSel);
    if (!lawSel.value) return;
    const id = lawSel.value;
    pending = lawDetail(id).then((d) => {
      if (lawSel.value !== id) return;
      detail = d;
      const vs = d.versions || [];
      fill(verSel, vs.map((v) => option(v.version, v.version + (v.effective ? '（' + v.effective + ' 施行）' : ''))));
      verSel.value = c && c.version ? c.version : (vs.length ? vs[vs.length - 1].version : '');
      fillArticles(c ? c.article : '', c ? c.paragraph : '', c ? c.item : '');
    }).catch(() => {});
    return pending;
  }
  lawSel.addEventListener('change', () => loadLaw());
  verSel.addEventListener('change', () => fillArticles(''));
  artSel.addEventListener('change', () => fillParas(''));
  paraSel.addEventListener('change', () => fillItems(''));
  const lab = (text, sel) => field(text, sel);
  const el = h('div.law-pick', { dataset: { field: f.name } },
    lab(T('law'), lawSel), lab(T('version'), verSel), lab(T('article'), artSel), lab(T('paragraph'), paraSel), lab(T('item'), itemSel));
  return {
    el, input: lawSel, group: true,
    get: () => {
      if (!lawSel.value) return undefined;
      const c = { law: lawSel.value, version: verSel.value || undefined };
      if (artSel.value) c.article = Number(artSel.value);
      if (paraSel.value) c.paragraph = Number(paraSel.value);
      if (itemSel.value) c.item = Number(itemSel.value);
      return c;
    },
    set: (c) => { lawSel.value = c && c.law ? c.law : ''; if (c && c.law) loadLaw(c); },
    ready: () => pending,
  };
}

function seqWidget(f, kindCode, ctx) {
  const input = h('select', { dataset: { field: f.name } }, option('', T('seqNone')),
    (ctx.records || []).filter((r) => r.kind !== 'correction').map((r) =>
      option(String(r.seq), '#' + r.seq + ' ' + (r.name || r.kind) + (r.fields && r.fields.number ? ' ' + r.fields.number : '') + ' · ' + fmtTime(r.happened))));
  return {
    el: input, input, get: () => (input.value ? Number(input.value) : undefined),
    set: (v) => {
      if (v && ![...input.options].some((o) => o.value === String(v))) input.append(option(String(v), '#' + v));
      input.value = v ? String(v) : '';
    },
  };
}

// A list of widgets of one kind with add and remove; min rows shown.
function listWidget(f, ctx, makeOne, { addLabel } = {}) {
  const rows = [];
  const list = h('div.list-rows');
  const min = Math.max(f.required ? 1 : 0, f.min || 0);
  const addBtn = h('button.add-row', { type: 'button', onclick: () => { const w = addRow(); if (w.focus) w.focus(); } }, addLabel || T('add'));
  function renumber() {
    rows.forEach((r, i) => {
      r.legend.textContent = T('row', { n: i + 1 });
      r.removeBtn.disabled = rows.length <= min;
    });
  }
  function addRow(value) {
    const w = makeOne();
    const legend = h('legend');
    const removeBtn = h('button.remove-row', { type: 'button', onclick: () => {
      const i = rows.indexOf(row);
      if (i >= 0) rows.splice(i, 1);
      row.el.remove();
      renumber();
      addBtn.focus();
      if (ctx.changed) ctx.changed();
    } }, T('remove'));
    const row = { w, legend, removeBtn, el: h('fieldset.list-row', legend, w.el, h('div.row-actions', removeBtn)) };
    rows.push(row);
    list.append(row.el);
    if (value !== undefined) w.set(value);
    renumber();
    return { focus: () => { const i = row.el.querySelector('input, select, textarea'); if (i) i.focus(); } };
  }
  for (let i = 0; i < min; i++) addRow();
  const el = h('div.list', { dataset: { field: f.name } }, list, addBtn);
  return {
    el, input: addBtn, group: true,
    get: () => {
      const v = rows.map((r) => r.w.get()).filter((x) => x !== undefined);
      return v.length ? v : undefined;
    },
    set: (v) => {
      for (const r of rows.splice(0)) r.el.remove();
      const items = Array.isArray(v) ? v : [];
      for (const item of items) addRow(item);
      while (rows.length < min) addRow();
      renumber();
    },
  };
}

// Fields of an object: a set of widgets keyed by name, `when` evaluated
// among siblings.
function fieldSet(fields, kindCode, ctx, { columns } = {}) {
  const entries = fields.map((f) => {
    const w = widget(f, kindCode, ctx);
    const hint = [w.hint, f.when ? T('whenHint', { field: (fields.find((x) => x.name === f.when.field) || {}).label || f.when.field, value: whenValueText(f.when, fields, kindCode) }) : null].filter(Boolean).join('；');
    const wrap = w.group
      ? h('fieldset.group' + (['object', 'objects', 'laws'].includes(f.type) ? '.wide' : ''), { dataset: { field: f.name } },
        h('legend', f.label || f.name, f.required ? h('span.req', { 'aria-hidden': 'true' }, ' *') : null), w.el,
        hint ? h('small.hint', hint) : null)
      : field(f.label || f.name, w.input, { required: !!f.required && !f.when, hint: hint || null, wide: f.type === 'text' || f.type === 'strings' });
    if (!w.group) wrap.dataset.field = f.name;
    return { f, w, wrap };
  });
  const el = h('div.' + (columns === 1 ? 'form-stack' : 'form-grid'), entries.map((e) => e.wrap));
  function holds(cond) {
    if (!cond) return true;
    const other = entries.find((e) => e.f.name === cond.field);
    const v = other ? other.w.get() : undefined;
    return v === cond.equals || (v !== undefined && String(v) === String(cond.equals));
  }
  function update() {
    for (const e of entries) {
      if (!e.f.when) continue;
      const on = holds(e.f.when);
      e.wrap.hidden = !on;
      if (!e.w.group && e.w.input) {
        e.w.input.required = on && !!e.f.required;
        if (on && e.f.required) e.w.input.setAttribute('aria-required', 'true'); else e.w.input.removeAttribute('aria-required');
      }
    }
  }
  el.addEventListener('change', update);
  el.addEventListener('input', update);
  update();
  return {
    el, entries, holds, update,
    get: () => {
      const o = {};
      for (const e of entries) {
        if (e.f.when && !holds(e.f.when)) continue;
        const v = e.w.get();
        if (v !== undefined) o[e.f.name] = v;
      }
      return Object.keys(o).length ? o : undefined;
    },
    set: (v) => {
      for (const e of entries) if (v && v[e.f.name] !== undefined) e.w.set(v[e.f.name]);
      update();
    },
  };
}

function whenValueText(cond, fields, kindCode) {
  const f = fields.find((x) => x.name === cond.field);
  if (cond.equals === true) return T('yes');
  if (cond.equals === false) return T('no');
  return f && f.type === 'enum' ? enumLabel(f, cond.equals, kindCode) : String(cond.equals);
}

function objectWidget(f, kindCode, ctx) {
  const s = fieldSet(f.fields || [], kindCode, ctx);
  return { el: s.el, input: s.el, group: true, get: s.get, set: s.set };
}

export function widget(f, kindCode, ctx) {
  switch (f.type) {
    case 'text': return textWidget(f);
    case 'integer': return integerWidget(f);
    case 'boolean': return booleanWidget(f);
    case 'date': return dateWidget(f);
    case 'datetime': return datetimeWidget(f);
    case 'enum': return enumWidget(f, kindCode);
    case 'strings': return stringsWidget(f);
    case 'user': return userWidget(f, kindCode, ctx);
    case 'users': return usersWidget(f, kindCode, ctx);
    case 'law': return lawWidget(f, kindCode, ctx);
    case 'laws': return listWidget(f, ctx, () => lawWidget(f, kindCode, ctx), { addLabel: T('addLaw') });
    case 'object': return objectWidget(f, kindCode, ctx);
    case 'objects': return listWidget(f, ctx, () => objectWidget(f, kindCode, ctx));
    case 'seq': return seqWidget(f, kindCode, ctx);
    default: return stringWidget(f, kindCode, ctx);
  }
}

// --- signers --------------------------------------------------------------

let sigpadModule;
function loadSigpad() {
  if (sigpadModule === undefined) sigpadModule = import('./sigpad.js').catch(() => null);
  return sigpadModule;
}

// One signature row of a signer role: the method, the person and what
// the method needs (a pad, a scan, the pages, a reason and a witness).
function signatureRow(signer, ctx, pagesOf, removable, onRemove) {
  const methods = signer.methods || ['staff'];
  const method = h('select', null, methods.map((m) => option(m, T('methods_' + m) !== 'methods_' + m ? T('methods_' + m) : m)));
  const staffSel = userSelect(ctx, ctx.author);
  const personIn = h('input', { type: 'text', maxlength: 200, autocomplete: 'off' });
  const fileIn = h('input', { type: 'file', accept: 'image/*,application/pdf' });
  const reasonIn = h('input', { type: 'text', maxlength: 500 });
  const witnessIn = h('input', { type: 'text', maxlength: 200 });
  const padSlot = h('div.pad-slot');
  let pad = null;
  const pagesBox = h('div.pages-pick', { role: 'group', 'aria-label': T('pagesHint') });
  const staffF = field(T('signer'), staffSel);
  const personF = field(T('person'), personIn);
  const fileF = field(T('scan'), fileIn);
  const reasonF = field(T('reason'), reasonIn);
  const witnessF = field(T('witness'), witnessIn);
  const pagesF = h('fieldset.group.pages', h('legend', T('pages')), pagesBox, h('small.hint', T('pagesHint')));
  function drawPages() {
    const n = Math.min(200, Math.max(0, Number(pagesOf()) || 0));
    const was = new Set([...pagesBox.querySelectorAll('input:not(:checked)')].map((i) => i.value));
    fill(pagesBox, Array.from({ length: n }, (_, i) => {
      const cb = h('input', { type: 'checkbox', value: String(i + 1), checked: !was.has(String(i + 1)) });
      return h('label.check', cb, '第 ' + (i + 1) + ' 页');
    }));
  }
  async function show() {
    const m = method.value;
    staffF.hidden = m !== 'staff';
    personF.hidden = m === 'staff';
    fileF.hidden = !(m === 'paper' || m === 'seal' || (m === 'pad' && !pad));
    reasonF.hidden = witnessF.hidden = m !== 'refused';
    padSlot.hidden = m !== 'pad';
    pagesF.hidden = !signer.per_page || m === 'refused';
    if (signer.per_page) drawPages();
    if (m === 'pad' && !pad) {
      const mod = await loadSigpad();
      if (mod && mod.signaturePad && !pad) {
        pad = mod.signaturePad();
        padSlot.append(pad.el);
        fileF.hidden = true;
      } else if (!pad) {
        fill(padSlot, h('p.hint', T('padMissing')));
        fileF.hidden = false;
      }
    }
  }
  method.addEventListener('change', show);
  const removeBtn = removable ? h('button.remove-row', { type: 'button', onclick: () => onRemove(row) }, T('remove')) : null;
  const el = h('div.sig-row',
    h('div.form-grid', field(T('method'), method), staffF, personF, fileF, reasonF, witnessF), padSlot, pagesF,
    removeBtn ? h('div.row-actions', removeBtn) : null);
  const row = {
    el, show, method,
    // Adds the row's signature to out and its file to files; throws a
    // message when the row lacks what its method needs.
    async read(files) {
      const m = method.value;
      const s = { role: signer.role, method: m, at: nowCst() };
      if (m === 'staff') s.person = staffSel.value;
      else s.person = personIn.value.trim();
      if (m === 'pad') {
        if (pad && !pad.isEmpty()) {
          files.push({ blob: await pad.toBlob(), name: 'signature-' + signer.role + '.png' });
          s.attachment = files.length - 1;
        } else if (fileIn.files[0]) {
          files.push({ blob: fileIn.files[0], name: fileIn.files[0].name });
          s.attachment = files.length - 1;
        } else throw new Error(T('needPad') + '（' + signerRole(signer.role) + '）');
      } else if (m === 'paper' || m === 'seal') {
        if (!fileIn.files[0]) throw new Error(T('needFile', { role: signerRole(signer.role) }));
        files.push({ blob: fileIn.files[0], name: fileIn.files[0].name });
        s.attachment = files.length - 1;
      } else if (m === 'refused') {
        s.reason = reasonIn.value.trim();
        s.witness = witnessIn.value.trim();
      }
      if (signer.per_page && m !== 'refused') {
        s.pages = [...pagesBox.querySelectorAll('input:checked')].map((i) => Number(i.value));
      }
      return s;
    },
    set(s) {
      method.value = s.method || methods[0];
      if (s.method === 'staff') {
        if (![...staffSel.options].some((o) => o.value === s.person)) staffSel.append(option(s.person, s.person));
        staffSel.value = s.person || '';
      } else personIn.value = s.person || '';
      reasonIn.value = s.reason || '';
      witnessIn.value = s.witness || '';
    },
  };
  return row;
}

function signerBlock(signer, ctx, pagesOf) {
  const rows = [];
  const list = h('div.sig-rows');
  const title = h('legend', signerRole(signer.role), signer.required ? h('span.req', { 'aria-hidden': 'true' }, ' *') : null);
  const addBtn = h('button.add-row', { type: 'button', onclick: () => { add(); } }, T('addSigner'));
  function remove(row) {
    const i = rows.indexOf(row);
    if (i >= 0) rows.splice(i, 1);
    row.el.remove();
    addBtn.focus();
  }
  function add(value) {
    const row = signatureRow(signer, ctx, pagesOf, rows.length > 0, remove);
    rows.push(row);
    list.append(row.el);
    if (value) row.set(value);
    row.show();
    return row;
  }
  add();
  const el = h('fieldset.signer', { dataset: { role: signer.role } }, title, list, addBtn);
  return {
    el, signer, rows,
    async read(files) {
      const out = [];
      for (const r of rows) out.push(await r.read(files));
      return out;
    },
    set(sigs) {
      for (const r of rows.splice(0)) r.el.remove();
      for (const s of sigs) add(s);
      if (!rows.length) add();
    },
    redrawPages() { for (const r of rows) r.show(); },
  };
}

// --- the form -------------------------------------------------------------

// kind: the record kind's schema. opts: users, laws, records (the case's
// earlier records, for seq fields), media (the case's media items for
// `av`), author (the signed-in user), prefill (fields to start from),
// correction (true: fields only, no signers' files, no `at`).
export function recordForm(kind, opts = {}) {
  const ctx = { users: opts.users || [], laws: opts.laws || [], records: opts.records || [], author: opts.author };
  const main = fieldSet(kind.fields || [], kind.code, ctx);
  const parts = [h('fieldset.group.fields', h('legend', kind.name || kind.code), main.el)];
  const pagesEntry = main.entries.find((e) => e.f.name === 'pages' && e.f.type === 'integer');
  const pagesOf = () => (pagesEntry ? pagesEntry.w.get() : 0);

  // A correction keeps the record's signatures and files as recorded, so
  // its form has the fields only.
  const blocks = opts.correction ? [] : (kind.signers || []).map((s) => signerBlock(s, ctx, pagesOf));
  let signersBox = null;
  if (blocks.length) {
    signersBox = h('section.signers', h('h3', T('signers')), blocks.map((b) => b.el));
    parts.push(signersBox);
  }
  function updateSigners() {
    for (const b of blocks) {
      const on = !b.signer.when || main.holds(b.signer.when);
      b.el.hidden = !on;
    }
  }
  main.el.addEventListener('change', () => { updateSigners(); for (const b of blocks) if (b.signer.per_page) b.redrawPages(); });
  updateSigners();

  let confirmIn = null;
  if (kind.confirmation) {
    confirmIn = h('input', { type: 'text', value: T('confirmPhrase'), maxlength: 200 });
    parts.push(h('div.form-grid', field(T('confirmation'), confirmIn, { required: true, wide: true })));
  }

  // The audio-visual record: link a file of the case, upload one, or give
  // the exemption the kind allows.
  let av = null;
  const avSpec = kind.av || {};
  if (!opts.correction && (avSpec.required || (avSpec.exemptions || []).length)) {
    const boxes = (opts.media || []).map((m) => {
      const cb = h('input', { type: 'checkbox', value: String(m.seq) });
      const start = m.captured && m.captured.start;
      return { cb, el: h('label.check', cb, '#' + m.seq + ' ' + (m.name || m.type || '') + (start ? ' · ' + fmtTime(start) : '')) };
    });
    const fileIn = h('input', { type: 'file', accept: 'video/*,audio/*,image/*', multiple: true });
    const exSel = h('select', null, option('', T('avNone')), (avSpec.exemptions || []).map((c) => option(c, exemptionName(c))));
    const noteIn = h('input', { type: 'text', maxlength: 500 });
    av = { boxes, fileIn, exSel, noteIn };
    parts.push(h('fieldset.group.av', h('legend', T('av'), avSpec.required ? h('span.req', { 'aria-hidden': 'true' }, ' *') : null),
      avSpec.required ? h('p.hint', T('avRequired')) : null,
      boxes.length ? h('div', { role: 'group', 'aria-label': T('avSeqs') }, h('div.label-row', T('avSeqs')), boxes.map((b) => b.el)) : null,
      h('div.form-grid', field(T('avFile'), fileIn), field(T('avExempt'), exSel), field(T('avNote'), noteIn))));
  }

  let atIn = null, markSel = null, filesIn = null, signBox = null, signCb = null, pwIn = null, roleSel = null;
  if (!opts.correction) {
    atIn = h('input', { type: 'datetime-local' });
    const base = MARK_ORDER.indexOf(kind.confidentiality || 'none');
    markSel = h('select', null, MARK_ORDER.filter((m, i) => i >= base || (kind.confidentiality === 'commercial-secret' && m === 'sensitive-personal'))
      .map((m) => option(m, markName(m), m === (kind.confidentiality || 'none'))));
    filesIn = h('input', { type: 'file', multiple: true });
    parts.push(h('div.form-grid', field(T('at'), atIn, { hint: T('atHint') }), field(T('mark'), markSel, { hint: T('markHint') }), field(T('files'), filesIn)));

    // The author's own SM2 signature, made right after the record.
    const staffRoles = (kind.signers || []).filter((s) => (s.methods || []).includes('staff')).map((s) => s.role);
    signCb = h('input', { type: 'checkbox', checked: staffRoles.length > 0 });
    pwIn = h('input', { type: 'password', autocomplete: 'current-password' });
    roleSel = h('select', null, staffRoles.map((r) => option(r, signerRole(r))), option('author', T('author')));
    const pwF = field(T('password'), pwIn);
    const roleF = field(T('signRole'), roleSel);
    const sync = () => { pwF.hidden = roleF.hidden = !signCb.checked; };
    signCb.addEventListener('change', sync);
    sync();
    signBox = h('fieldset.group.sign-self', h('legend', T('signSelf')), h('label.check', signCb, T('signSelfLabel')), h('div.form-grid', roleF, pwF));
    parts.push(signBox);
  }

  const el = h('div.record-form', { dataset: { kind: kind.code } }, parts);

  if (opts.prefill) {
    const p = opts.prefill;
    main.set(p);
    if (Array.isArray(p.signatures)) {
      for (const b of blocks) b.set(p.signatures.filter((s) => s.role === b.signer.role));
    }
    if (confirmIn && p.confirmation) confirmIn.value = p.confirmation;
    if (av && p.av_exemption) { av.exSel.value = p.av_exemption.reason || ''; av.noteIn.value = p.av_exemption.note || ''; }
    if (av && Array.isArray(p.av)) for (const a of p.av) { const b = av.boxes.find((x) => x.cb.value === String(a.seq)); if (b) b.cb.checked = true; }
    updateSigners();
  }

  return {
    el, kind,
    // Collects the record: {fields, files, at, sign, mark}. Throws an
    // Error with a message for what the form itself can tell is missing.
    async read() {
      const fields = main.get() || {};
      const files = [];
      // A correction states fields only: what the record's signatures
      // and files were stays as recorded.
      if (opts.correction && opts.prefill) {
        for (const k of ['signatures', 'confirmation', 'av', 'av_exemption', 'mark']) if (opts.prefill[k] !== undefined) fields[k] = opts.prefill[k];
        if (confirmIn) fields.confirmation = confirmIn.value;
        return { fields, files: [] };
      }
      const sigs = [];
      for (const b of blocks) if (!b.el.hidden) sigs.push(...await b.read(files));
      if (sigs.length) fields.signatures = sigs;
      if (confirmIn && confirmIn.value.trim()) fields.confirmation = confirmIn.value.trim();
      if (av) {
        const list = av.boxes.filter((b) => b.cb.checked).map((b) => ({ seq: Number(b.cb.value) }));
        for (const f of av.fileIn.files) { files.push({ blob: f, name: f.name }); list.push({ attachment: files.length - 1 }); }
        if (list.length) fields.av = list;
        if (av.exSel.value) fields.av_exemption = { reason: av.exSel.value, note: av.noteIn.value.trim() || undefined };
      }
      if (markSel && markSel.value !== (kind.confidentiality || 'none')) fields.mark = markSel.value;
      for (const f of filesIn ? filesIn.files : []) files.push({ blob: f, name: f.name });
      const out = { fields, files };
      if (atIn && atIn.value) out.at = localToRfc3339(atIn.value);
      if (signCb && signCb.checked && pwIn.value) out.sign = { password: pwIn.value, role: roleSel.value };
      return out;
    },
    clearPassword() { if (pwIn) pwIn.value = ''; },
  };
}
