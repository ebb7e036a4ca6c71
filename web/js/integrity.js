// The integrity badge of the header: the size of the latest signed
// checkpoint, when the supervisory department's witness last cosigned,
// and the result of the last verify, as green, amber or red with words.
// It links to #/integrity, which explains them.
import { h, fill, fmtTime, fmtDate, todayCst } from './dom.js';
import { strings } from './i18n.js';
import { get, request, ApiError } from './api.js';
import { ctx } from './app.js';

const T = strings({
  zh: {
    ok: '完整性正常', warn: '完整性需关注', bad: '完整性异常', entries: '{n} 条',
    cosigned: '见证 {at}', noWitness: '未接入见证', checked: '截至 {at}',
    label: '账本完整性：{state}。最新检查点 {n} 条记录，{witness}，{verify}。查看详情',
    verifyOk: '最近校验通过', verifyNone: '尚无夜间校验记录', verifyOld: '夜间校验已 {n} 天未运行',
    verifyBad: '校验发现问题', behind: '见证落后 {n} 条', failing: '见证推送失败', unreadable: '无法读取检查点',
  },
  en: {
    ok: 'Integrity OK', warn: 'Integrity: check', bad: 'Integrity problem', entries: '{n} entries',
    cosigned: 'witnessed {at}', noWitness: 'no witness', checked: 'as of {at}',
    label: 'Ledger integrity: {state}. Latest checkpoint {n} entries, {witness}, {verify}. Details',
    verifyOk: 'last verify passed', verifyNone: 'no nightly verify yet', verifyOld: 'nightly verify not run for {n} days',
    verifyBad: 'verify found problems', behind: 'witness {n} entries behind', failing: 'witness push failing', unreadable: 'checkpoint unreadable',
  },
});

// Parses a signed note: {origin, size, root, extensions, signatures}.
export function parseCheckpoint(text) {
  const [body, sigs = ''] = String(text).split('\n\n');
  const lines = body.split('\n');
  return {
    origin: lines[0] || '',
    size: Number(lines[1]),
    root: lines[2] || '',
    extensions: lines.slice(3).filter(Boolean),
    signatures: sigs.split('\n').filter((l) => l.startsWith('\u2014 ')).map((l) => {
      const m = /^\u2014 (\S+) (\S+)$/.exec(l);
      return m ? { name: m[1], sig: m[2] } : { name: '', sig: l };
    }),
  };
}

const DAY = 86400000;

// The roles that the access policy lets read findings and the witnesses.
const FINDINGS_READERS = ['clerk', 'handler', 'reviewer', 'legal', 'approver', 'head', 'archivist',
  'supervisor', 'case-auditor', 'officer', 'server', 'presiding'];

// Reads the checkpoint and, when the role may, the witnesses and the
// last verify; returns {checkpoint, note, witness, forbidden, state,
// reasons, at}.
export async function integrityState() {
  const out = { at: Date.now(), reasons: [], state: 'green', witness: null, forbidden: false };
  try {
    const r = await request('GET', '/checkpoint', undefined, { raw: true });
    out.note = await r.text();
    out.checkpoint = parseCheckpoint(out.note);
  } catch (e) {
    out.state = 'red';
    out.reasons.push(T('unreadable'));
  }
  try {
    // Roles without findings-read would only draw a logged refusal.
    if (!ctx.has(...FINDINGS_READERS)) throw new ApiError(403, {});
    out.witness = await get('/api/v1/witness');
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) out.forbidden = true;
    else out.witnessError = e;
  }
  const w = out.witness;
  if (w) {
    const v = w.verify || {};
    if (v.integrity_failure_open) { out.state = 'red'; out.reasons.push(T('verifyBad')); }
    if (v.last_day) {
      const days = Math.round((Date.parse(todayCst()) - Date.parse(v.last_day)) / DAY);
      if (days > 2) { out.reasons.push(T('verifyOld', { n: days })); if (out.state === 'green') out.state = 'amber'; }
    }
    for (const x of w.witnesses || []) {
      if (x.last_error) { out.reasons.push(T('failing')); if (out.state === 'green') out.state = 'amber'; }
      if (x.behind) { out.reasons.push(T('behind', { n: x.entries_behind })); if (out.state === 'green') out.state = 'amber'; }
    }
  }
  return out;
}

let cache = null;
const WORD = { green: 'ok', amber: 'warn', red: 'bad' };

function verifyText(s) {
  const v = s.witness && s.witness.verify;
  if (!v) return '';
  if (v.integrity_failure_open) return T('verifyBad');
  return v.last_day ? T('verifyOk') + ' ' + fmtDate(v.last_day) : T('verifyNone');
}

// Fills el with the badge; reuses a reading younger than 30 seconds.
export async function mountBadge(el, ctx) {
  if (!el) return;
  if (!cache || Date.now() - cache.at > 30000) cache = integrityState();
  let s;
  try { s = await cache; } catch (e) { return; }
  const word = T(WORD[s.state]);
  const size = s.checkpoint ? s.checkpoint.size : '—';
  const ws = (s.witness && s.witness.witnesses) || [];
  const last = ws.map((x) => x.cosigned_at).filter(Boolean).sort().pop();
  const witnessText = last ? T('cosigned', { at: fmtTime(last) }) : s.witness ? T('noWitness') : T('checked', { at: fmtTime(s.at) });
  const label = T('label', { state: [word].concat(s.reasons).join('，'), n: size, witness: witnessText, verify: verifyText(s) || T('checked', { at: fmtTime(s.at) }) });
  fill(el, h('a.ig-badge.' + s.state, { href: '#/integrity', 'aria-label': label, title: label, 'data-size': String(size) },
    h('span.dot', { 'aria-hidden': 'true' }),
    h('span.ig-word', word),
    h('span.ig-size', T('entries', { n: size })),
    h('span.ig-time', witnessText)));
}

// Forgets the cached reading, so that the next badge reads again.
export function refreshBadge() {
  cache = null;
}
