// The timeline of a case. Each record shows who recorded it and when, when
// it happened, its fields under the labels of its kind's schema, its
// attachments, signatures and mark. A corrected record shows both
// versions, and a record the reader may not read is a stub. The records
// come page by page from GET /api/v1/cases/{id}/records, so that a case
// of hundreds of records opens at once.
import { h, fill, fmtTime, fmtDate, fmtBytes } from './dom.js';
import { strings, t, markName } from './i18n.js';
import { get } from './api.js';
import { pager, flag, errorBox } from './ui.js';
import { enumLabel, citation, signerRole, exemptionName, T as FT } from './recordform.js';

export const T = strings({
  zh: {
    recorded: '记录时间', happened: '发生时间', by: '记录人', number: '文书编号', mark: '保密标识',
    attachments: '附件', signatures: '签名', sm2: '电子签名（SM2）', noSm2: '尚无电子签名',
    loadingSigs: '正在读取电子签名…', sigWho: '签名人', sigRole: '身份', sigAt: '签名时间', sigMethod: '方式',
    pages: '页码', reason: '理由', witness: '见证人', file: '附件 {n}', withheld: '内容受保护',
    withheldWhy: '您没有查阅此记录内容的权限或查阅授权，只显示记录的种类和时间。',
    corrected: '已更正', correctedBy: '已由记录 #{seq} 更正', correction: '更正记录',
    corrects: '更正记录 #{seq}（{name}）', correctionReason: '更正理由',
    original: '原记录内容', corrected2: '更正后内容', field: '项目', same: '（未改动）', empty: '（空）',
    originalWithheld: '原记录内容的保密标识不同，您不能查阅。', originalUnknown: '原记录内容不可查阅。',
    confirmation: '当事人确认', av: '音像记录', avSeq: '音像文件 #{seq}', avExempt: '未音像记录的理由',
    correct: '更正', sign: '签名确认', first: '最早', last: '最新', count: '共 {n} 条记录',
    expunged: '内容已依法删除', lost: '内容在恢复时丢失', order: '排列',
    oldest: '从早到晚', newest: '从晚到早', seqRef: '记录 #{seq}', issuedDoc: '签发文书',
    details: '全部内容', docTitle: '文书', docSource: '依据记录', openDoc: '打开文书',
  },
  en: {
    recorded: 'Recorded', happened: 'Happened', by: 'By', number: 'Document number', mark: 'Mark',
    attachments: 'Attachments', signatures: 'Signatures', sm2: 'Electronic signatures (SM2)', noSm2: 'No electronic signature yet',
    loadingSigs: 'Reading signatures…', sigWho: 'Signer', sigRole: 'Role', sigAt: 'Signed', sigMethod: 'Method',
    pages: 'Pages', reason: 'Reason', witness: 'Witness', file: 'Attachment {n}', withheld: 'Protected',
    withheldWhy: 'You may not read this record\'s content; only its kind and dates are shown.',
    corrected: 'Corrected', correctedBy: 'Corrected by record #{seq}', correction: 'Correction',
    corrects: 'Corrects record #{seq} ({name})', correctionReason: 'Reason for the correction',
    original: 'Original', corrected2: 'Corrected', field: 'Field', same: '(unchanged)', empty: '(empty)',
    originalWithheld: 'The original content has another mark; you may not read it.', originalUnknown: 'The original content cannot be read.',
    confirmation: 'Party\'s confirmation', av: 'Audio-visual record', avSeq: 'Recording #{seq}', avExempt: 'Reason for no recording',
    correct: 'Correct', sign: 'Sign', first: 'Oldest', last: 'Newest', count: '{n} records',
    expunged: 'Content expunged', lost: 'Content lost in a restore', order: 'Order',
    oldest: 'Oldest first', newest: 'Newest first', seqRef: 'Record #{seq}', issuedDoc: 'Issued document',
    details: 'All of it', docTitle: 'Document', docSource: 'From record', openDoc: 'Open the document',
  },
});

const RESERVED = ['number', 'signatures', 'confirmation', 'av', 'av_exemption', 'mark'];

export function personName(name, env) {
  const u = env.users && env.users.get(name);
  return u && u.display_name ? u.display_name : name;
}

function userNode(name, env) {
  if (!name) return '';
  const u = env.users && env.users.get(name);
  return u && u.display_name ? h('span.user', u.display_name, h('span.muted', '（' + name + '）')) : h('span.user', name);
}

// One field's value as readable text and elements.
export function renderValue(f, v, env, kindCode) {
  if (v === undefined || v === null || v === '') return h('span.muted', T('empty'));
  let type = 'string';
  if (f) type = f.type;
  else if (typeof v === 'boolean') type = 'boolean';
  else if (Array.isArray(v)) type = 'raw-array';
  else if (typeof v === 'object') type = 'raw-object';
  switch (type) {
    case 'boolean': return v ? t('yes') : t('no');
    case 'date': return fmtDate(v);
    case 'datetime': return fmtTime(v);
    case 'enum': return enumLabel(f, v, kindCode);
    case 'text': return h('div.text', String(v));
    case 'integer': return String(v);
    case 'strings': return Array.isArray(v) ? h('ul.plain', v.map((s) => h('li', String(s)))) : String(v);
    case 'user': return userNode(v, env);
    case 'users': return Array.isArray(v) ? h('span', v.map((u, i) => [i ? '、' : '', userNode(u, env)])) : String(v);
    case 'law': return citation(v, env.laws);
    case 'laws': return Array.isArray(v) ? h('ul.plain', v.map((c) => h('li', citation(c, env.laws)))) : String(v);
    case 'seq': return h('a', { href: '#rec-' + v, onclick: (e) => jumpTo(e, v) }, T('seqRef', { seq: v }));
    case 'object': return objectNode(f.fields || [], v, env, kindCode);
    case 'objects': return Array.isArray(v) ? objectsTable(f.fields || [], v, env, kindCode) : String(v);
    case 'raw-array': return h('ul.plain', v.map((x) => h('li', renderValue(null, x, env, kindCode))));
    case 'raw-object': return h('dl.facts.small', Object.entries(v).map(([k, x]) => [h('dt', k), h('dd', renderValue(null, x, env, kindCode))]));
    default: return String(v);
  }
}

function jumpTo(e, seq) {
  const target = document.getElementById('rec-' + seq);
  if (target) { e.preventDefault(); target.scrollIntoView({ block: 'center' }); target.focus({ preventScroll: true }); }
  else e.preventDefault();
}

function objectNode(fields, v, env, kindCode) {
  if (!v || typeof v !== 'object') return String(v);
  const known = new Set(fields.map((f) => f.name));
  return h('dl.facts.small',
    fields.filter((f) => v[f.name] !== undefined).map((f) => [h('dt', f.label || f.name), h('dd', renderValue(f, v[f.name], env, kindCode))]),
    Object.keys(v).filter((k) => !known.has(k)).map((k) => [h('dt', k), h('dd', renderValue(null, v[k], env, kindCode))]));
}

function objectsTable(fields, rows, env, kindCode) {
  const names = fields.length ? fields : [...new Set(rows.flatMap((r) => Object.keys(r || {})))].map((n) => ({ name: n, label: n }));
  return h('div.table-wrap.inner', h('table.small',
    h('thead', h('tr', h('th', { scope: 'col' }, '#'), names.map((f) => h('th', { scope: 'col' }, f.label || f.name)))),
    h('tbody', rows.map((r, i) => h('tr', h('td', String(i + 1)), names.map((f) => {
      const v = r ? r[f.name] : undefined;
      return h('td', { 'data-label': f.label || f.name }, v === undefined ? '' : renderValue(f.type ? f : null, v, env, kindCode));
    }))))));
}

// The fields of a record as label and value, in the schema's order, then
// any field the schema does not name.
export function fieldsList(kind, fields, env) {
  const defs = (kind && kind.fields) || [];
  const known = new Set(defs.map((f) => f.name).concat(RESERVED));
  const rows = defs.filter((f) => fields[f.name] !== undefined)
    .map((f) => [h('dt', f.label || f.name), h('dd', renderValue(f, fields[f.name], env, kind.code))]);
  for (const k of Object.keys(fields)) if (!known.has(k)) rows.push([h('dt', k), h('dd', renderValue(null, fields[k], env, kind && kind.code))]);
  if (fields.confirmation) rows.push([h('dt', T('confirmation')), h('dd', String(fields.confirmation))]);
  if (Array.isArray(fields.av)) rows.push([h('dt', T('av')), h('dd', h('ul.plain', fields.av.map((a) => h('li',
    a.seq !== undefined ? h('a', { href: '#/media/' + a.seq }, T('avSeq', { seq: a.seq })) : T('file', { n: (a.attachment ?? 0) + 1 })))))]);
  if (fields.av_exemption) rows.push([h('dt', T('avExempt')), h('dd', exemptionName(fields.av_exemption.reason) + (fields.av_exemption.note ? '：' + fields.av_exemption.note : ''))]);
  return h('dl.facts.record-fields', rows);
}

function signaturesTable(sigs, env) {
  return h('div.table-wrap.inner', h('table.small', h('caption', T('signatures')),
    h('thead', h('tr', ['sigRole', 'sigWho', 'sigMethod', 'sigAt', 'pages', 'reason'].map((k) => h('th', { scope: 'col' }, T(k))))),
    h('tbody', sigs.map((s) => h('tr',
      h('td', { 'data-label': T('sigRole') }, signerRole(s.role)),
      h('td', { 'data-label': T('sigWho') }, s.method === 'staff' ? userNode(s.person, env) : String(s.person ?? '')),
      h('td', { 'data-label': T('sigMethod') }, FT('methods_' + s.method) !== 'methods_' + s.method ? FT('methods_' + s.method) : String(s.method),
        s.attachment !== undefined ? h('span.muted', ' · ' + T('file', { n: s.attachment + 1 })) : null),
      h('td', { 'data-label': T('sigAt') }, fmtTime(s.at)),
      h('td', { 'data-label': T('pages') }, Array.isArray(s.pages) ? s.pages.join('、') : ''),
      h('td', { 'data-label': T('reason') }, [s.reason, s.witness ? T('witness') + '：' + s.witness : null].filter(Boolean).join('；')))))));
}

function attachmentsList(list) {
  if (!Array.isArray(list) || !list.length) return null;
  return h('div.attachments', h('h4', T('attachments')), h('ol.plain.files', list.map((a, i) => h('li',
    T('file', { n: i + 1 }) + '：', h('span', a.type || ''), ' · ', fmtBytes(a.size), ' · ',
    h('code', { title: a.hash }, String(a.hash || '').slice(0, 20) + '…')))));
}

// The SM2 signatures of a record, read when the record is shown.
function sm2Slot(rec, env) {
  const slot = h('div.sm2', { 'aria-live': 'polite' }, h('span.muted', T('loadingSigs')));
  env.queue(async () => {
    try {
      const r = await get('/api/v1/records/' + rec.seq + '/signatures');
      const items = r.items || [];
      rec.sm2 = items;
      fill(slot, h('h4', T('sm2')), items.length
        ? h('ul.plain.sm2-list', items.map((s) => h('li', flag('✔ ' + signerRole(s.role), 'ok'), userNode(s.user, env), ' · ', fmtTime(s.at),
          h('span.muted', ' · ' + (s.alg || 'sm2-sm3') + ' · ' + String(s.key || '').slice(0, 16)))))
        : h('span.muted', T('noSm2')));
    } catch (e) {
      fill(slot, errorBox(e));
    }
    if (env.afterSigs) env.afterSigs(rec);
  });
  return slot;
}

// A diff of the original and the corrected fields, field by field.
function correctionDiff(kind, original, current, env) {
  const defs = (kind && kind.fields) || [];
  const names = [...new Set(defs.map((f) => f.name).concat(Object.keys(original || {}), Object.keys(current || {})))].filter((n) => n !== 'number');
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  return h('div.table-wrap.inner.diff', h('table.small',
    h('thead', h('tr', h('th', { scope: 'col' }, T('field')), h('th', { scope: 'col' }, T('original')), h('th', { scope: 'col' }, T('corrected2')))),
    h('tbody', names.filter((n) => (original || {})[n] !== undefined || (current || {})[n] !== undefined).map((n) => {
      const f = defs.find((d) => d.name === n);
      const a = (original || {})[n], b = (current || {})[n];
      const changed = !same(a, b);
      let label = n;
      if (f) label = f.label || n;
      else if (n === 'signatures' || n === 'confirmation') label = T(n);
      const show = (v) => (n === 'signatures' && Array.isArray(v) ? signaturesTable(v, env) : renderValue(f || null, v, env, kind && kind.code));
      return h('tr', { class: changed ? 'changed' : null },
        h('th', { scope: 'row' }, label, changed ? h('span.sr-only', '（已改动）') : null),
        h('td.before', { 'data-label': T('original') }, changed ? h('del', show(a)) : h('span.muted', T('same'))),
        h('td.after', { 'data-label': T('corrected2') }, changed ? h('ins', show(b)) : show(b)));
    }))));
}

function issuedDocument(rec, env) {
  const f = rec.fields;
  return h('dl.facts.record-fields',
    h('dt', T('docTitle')), h('dd', String(f.title ?? f.document ?? '')),
    f.number ? [h('dt', T('number')), h('dd', String(f.number))] : null,
    f.source ? [h('dt', T('docSource')), h('dd', h('a', { href: '#rec-' + f.source, onclick: (e) => jumpTo(e, f.source) }, T('seqRef', { seq: f.source })))] : null,
    f.pdf ? [h('dt', 'PDF'), h('dd', fmtBytes(f.pdf.size), ' · ', h('code', String(f.pdf.sha256 || '').slice(0, 23)),
      env.openDocument ? [' ', h('button', { type: 'button', onclick: () => env.openDocument(rec) }, T('openDoc'))] : null)] : null);
}

// One record of the timeline.
export function recordItem(rec, env) {
  const kind = env.kinds.get(rec.kind);
  const head = h('div.rec-head',
    h('h3', h('span.seq', '#' + rec.seq), ' ', rec.name || (kind && kind.name) || rec.kind,
      rec.fields && rec.fields.number ? h('span.number', ' ' + rec.fields.number) : null),
    h('div.rec-flags',
      rec.mark && rec.mark !== 'none' ? flag(T('mark') + '：' + markName(rec.mark), 'warn') : null,
      rec.superseded_by ? flag(T('corrected'), 'info') : null,
      rec.kind === 'correction' ? flag(T('correction'), 'info') : null,
      rec.withheld ? flag(T('withheld'), 'bad') : null));
  const meta = h('dl.facts.meta',
    rec.actor ? [h('dt', T('by')), h('dd', userNode(rec.actor, env))] : null,
    h('dt', T('happened')), h('dd', h('time', { datetime: rec.happened }, fmtTime(rec.happened))),
    h('dt', T('recorded')), h('dd', h('time', { datetime: rec.recorded }, fmtTime(rec.recorded))));

  const li = h('li.record', { id: 'rec-' + rec.seq, tabindex: '-1', dataset: { seq: String(rec.seq), kind: rec.kind }, class: [rec.withheld ? 'withheld' : '', rec.superseded_by ? 'superseded' : ''].join(' ') }, head, meta);
  if (rec.withheld) {
    li.append(h('p.protected', h('strong', T('withheld')), '：', T('withheldWhy')));
    return li;
  }
  if (!rec.fields) {
    li.append(h('p.muted', rec.lost ? T('lost') : T('expunged')));
    return li;
  }

  if (rec.kind === 'correction') {
    const target = env.byseq.get(rec.supersedes);
    const tk = env.kinds.get(rec.fields.kind);
    li.append(h('p', h('a', { href: '#rec-' + rec.supersedes, onclick: (e) => jumpTo(e, rec.supersedes) },
      T('corrects', { seq: rec.supersedes, name: (target && target.name) || (tk && tk.name) || rec.fields.kind || '' }))),
    h('dl.facts', h('dt', T('correctionReason')), h('dd', h('div.text', String(rec.fields.reason ?? '')))));
    if (rec.fields.fields) li.append(h('details.corr-fields', h('summary', T('corrected2')), fieldsList(tk, rec.fields.fields, env)));
  } else if (rec.superseded_by) {
    const corr = env.byseq.get(rec.superseded_by);
    li.append(h('div.correction-box',
      h('p', h('strong', T('correctedBy', { seq: rec.superseded_by })),
        corr && !corr.withheld ? [' · ', userNode(corr.actor, env), ' · ', fmtTime(corr.recorded), ' · ', T('correctionReason'), '：', String((corr.fields || {}).reason ?? '')] : null),
      rec.original_fields ? correctionDiff(kind, rec.original_fields, rec.fields, env)
        : h('p.muted', rec.original_withheld ? T('originalWithheld') : T('originalUnknown'))));
    if (!rec.original_fields) li.append(fieldsList(kind, rec.fields, env));
  } else if (kind) {
    li.append(fieldsList(kind, rec.fields, env));
  } else {
    // An entry of another module (an issued document, a case file seal)
    // has no schema: its main facts, then the rest folded away.
    if (rec.kind === 'document-issue') li.append(issuedDocument(rec, env));
    li.append(h('details.raw-fields', h('summary', T('details')), fieldsList(null, rec.fields, env)));
  }
  if (Array.isArray(rec.fields.signatures) && rec.fields.signatures.length && !(rec.superseded_by && rec.original_fields)) li.append(signaturesTable(rec.fields.signatures, env));
  const files = attachmentsList(rec.attachments);
  if (files) li.append(files);
  li.append(sm2Slot(rec, env));
  const acts = env.actions ? env.actions(rec) : [];
  if (acts.length) li.append(h('div.actions.rec-actions', acts));
  return li;
}

// Runs tasks a few at a time, so that a page of records does not open
// fifty requests at once.
function makeQueue(limit = 4) {
  const waiting = [];
  let running = 0;
  const next = () => {
    while (running < limit && waiting.length) {
      const job = waiting.shift();
      running++;
      job().finally(() => { running--; next(); });
    }
  };
  return (job) => { waiting.push(job); next(); };
}

// Mounts the paged timeline of case caseId into container. env: kinds
// (Map), users (Map), laws, actions(rec) → buttons. Returns {reload()}.
export function mountTimeline(container, caseId, env) {
  const limit = 50;
  let offset = env.offset || 0;
  let newest = false;
  let total = null;
  let gen = 0;
  env.byseq = env.byseq || new Map();
  const list = h('ol.timeline.records', { 'aria-label': T('count', { n: '' }) });
  const top = h('div.timeline-bar');
  const bottom = h('div.timeline-bar');
  const orderSel = h('select', { 'aria-label': T('order') }, h('option', { value: 'old' }, T('oldest')), h('option', { value: 'new' }, T('newest')));
  orderSel.addEventListener('change', () => { newest = orderSel.value === 'new'; offset = 0; load(); });
  fill(container, top, list, bottom);

  function bar() {
    const p = () => pager({ total, offset, limit, onPage: (o) => { offset = o; load().then(() => list.firstChild && list.firstChild.focus()); } });
    fill(top, h('div.spread', h('span', T('count', { n: total })), h('label.inline', T('order') + ' ', orderSel), p()));
    fill(bottom, p());
  }

  async function load() {
    const g = ++gen;
    env.queue = makeQueue(4);
    // The API lists oldest first; the newest page is counted from the end.
    let off = offset;
    if (newest) {
      if (total === null) {
        const first = await get('/api/v1/cases/' + encodeURIComponent(caseId) + '/records', { offset: 0, limit: 1 });
        total = first.total;
      }
      off = Math.max(0, total - offset - limit);
    }
    const lim = newest ? Math.min(limit, total - offset) : limit;

    const page = await get('/api/v1/cases/' + encodeURIComponent(caseId) + '/records', { offset: off, limit: Math.max(1, lim) });
    if (g !== gen) return;
    total = page.total;
    const items = newest ? page.items.slice().reverse() : page.items;
    for (const r of items) env.byseq.set(r.seq, r);
    // Corrections of this page's records may sit on a later page.
    const missing = items.filter((r) => r.superseded_by && !env.byseq.has(r.superseded_by)).map((r) => r.superseded_by);
    await Promise.all(missing.map((s) => get('/api/v1/records/' + s).then((r) => env.byseq.set(s, r)).catch(() => {})));
    if (g !== gen) return;

    list.replaceChildren();
    bar();
    // Rendered in slices, yielding between them, so the page stays
    // responsive while a long page is drawn.
    for (let i = 0; i < items.length; i += 10) {
      const frag = document.createDocumentFragment();
      for (const r of items.slice(i, i + 10)) frag.append(recordItem(r, env));
      list.append(frag);
      await new Promise((res) => setTimeout(res, 0));
      if (g !== gen) return;
    }
    if (!items.length) list.append(h('li.empty', t('none')));
  }
  const ready = load().catch((e) => { list.replaceChildren(errorBox(e)); });
  return {
    ready,
    reload: () => load().catch((e) => { list.replaceChildren(errorBox(e)); }),
    last: () => { newest = true; orderSel.value = 'new'; offset = 0; return load(); },
  };
}
