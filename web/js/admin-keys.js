// 签名密钥: every staff member's SM2 signing keys. The security
// administrator revokes a key with a reason; what it signed stays
// verifiable, and a revoked key signs nothing more.
import { h, fill, fmtTime } from './dom.js';
import { strings, t } from './i18n.js';
import { get, post } from './api.js';
import { field, table, pager, dialog, notify, busy, errorBox, flag } from './ui.js';

const T = strings({
  zh: {
    intro: '每名工作人员持有一把 SM2 签名密钥，在首次设置密码时生成，重置密码时更换。被吊销、被更换或已过期的密钥不能再签名，已签名的内容仍可验证。',
    search: '查找密钥', searchHint: '按用户名、密钥编号或状态查找', stateFilter: '状态', all: '全部', found: '找到 {n} 把密钥',
    id: '密钥编号', user: '用户', validFrom: '生效时间', validUntil: '有效期至', state: '状态',
    current: '有效', replaced: '已更换', revoked: '已吊销', expired: '已过期',
    revoke: '吊销', revokeTitle: '吊销签名密钥 {id}', reason: '吊销原因', reasonHint: '例如：密钥可能泄露、人员调离',
    revokeBtn: '确认吊销', revokedMsg: '已吊销密钥 {id}', publicKey: '公钥', show: '公钥',
    revokedAt: '吊销于 {at}：{reason}', replacedBy: '由 {id} 更换',
  },
  en: {
    intro: 'Each staff member has one SM2 signing key, made when their password is first set and replaced when it is reset. A revoked, replaced or expired key signs nothing; what it signed stays verifiable.',
    search: 'Find keys', searchHint: 'By user, key id or state', stateFilter: 'State', all: 'All', found: '{n} keys',
    id: 'Key id', user: 'User', validFrom: 'Valid from', validUntil: 'Valid until', state: 'State',
    current: 'current', replaced: 'replaced', revoked: 'revoked', expired: 'expired',
    revoke: 'Revoke', revokeTitle: 'Revoke signing key {id}', reason: 'Reason', reasonHint: 'Such as: the key may be disclosed, moved away',
    revokeBtn: 'Revoke', revokedMsg: 'Key {id} revoked', publicKey: 'Public key', show: 'Public key',
    revokedAt: 'Revoked {at}: {reason}', replacedBy: 'replaced by {id}',
  },
});

const KIND = { current: 'ok', replaced: 'info', revoked: 'bad', expired: 'warn' };
const PAGE = 20;

export function keyState(k) {
  return flag(T(k.state) || k.state, KIND[k.state] || 'info');
}

function revokedText(k) {
  if (!k.revoked) return null;
  const r = typeof k.revoked === 'object' ? k.revoked : { at: k.revoked };
  return h('div.muted', T('revokedAt', { at: fmtTime(r.at), reason: r.reason || '' }));
}

export async function renderKeys(el, ctx) {
  const input = h('input', { type: 'search', autocomplete: 'off', name: 'key-q' });
  const state = h('select', { name: 'key-state' }, h('option', { value: '' }, T('all')),
    ['current', 'replaced', 'revoked', 'expired'].map((s) => h('option', { value: s }, T(s))));
  const count = h('p.muted', { 'aria-live': 'polite' });
  const out = h('div');
  const st = { keys: [], offset: 0 };
  const canRevoke = ctx.has('secadmin');
  fill(el, h('p.notice', T('intro')),
    h('form.admin-search', { role: 'search', onsubmit: (e) => { e.preventDefault(); st.offset = 0; draw(); } },
      field(T('search'), input, { hint: T('searchHint') }), field(T('stateFilter'), state), h('button', { type: 'submit' }, t('search'))),
    count, out);
  input.addEventListener('input', () => { st.offset = 0; draw(); });
  state.addEventListener('change', () => { st.offset = 0; draw(); });

  async function load() {
    try {
      st.keys = (await get('/api/v1/staff-keys')).items || [];
    } catch (e) {
      fill(out, errorBox(e));
      return;
    }
    draw();
  }

  function draw() {
    const q = input.value.trim().toLowerCase();
    const rows = st.keys.filter((k) => (!state.value || k.state === state.value) &&
      (!q || [k.user, k.id, k.state, T(k.state)].join(' ').toLowerCase().includes(q)));
    count.textContent = T('found', { n: rows.length });
    const cols = [
      { key: 'id', label: T('id'), render: (k) => h('span.mono', k.id) },
      { key: 'user', label: T('user'), render: (k) => h('span.mono', k.user) },
      { key: 'valid_from', label: T('validFrom'), render: (k) => fmtTime(k.valid_from) },
      { key: 'valid_until', label: T('validUntil'), render: (k) => fmtTime(k.valid_until) },
      { key: 'state', label: T('state'), render: (k) => [keyState(k), revokedText(k), k.replaced_by ? h('div.muted', T('replacedBy', { id: k.replaced_by })) : null] },
      { key: 'actions', label: t('actions'), render: (k) => h('div.row.admin-actions',
        h('button', { type: 'button', 'aria-label': T('show') + ' ' + k.id, onclick: () => dialog(T('publicKey') + ' ' + k.id, h('pre.admin-pem', k.public)) }, T('show')),
        canRevoke && k.state === 'current' ? h('button.danger', { type: 'button', 'aria-label': T('revoke') + ' ' + k.id, onclick: () => revokeDialog(k, load) }, T('revoke')) : null) },
    ];
    fill(out, table({ columns: cols, rows: rows.slice(st.offset, st.offset + PAGE) }),
      rows.length > PAGE ? pager({ total: rows.length, offset: st.offset, limit: PAGE, onPage: (o) => { st.offset = o; draw(); } }) : null);
  }
  await load();
}

function revokeDialog(k, reload) {
  const reason = h('textarea', { name: 'revoke-reason', rows: 3 });
  const errs = h('div');
  const ok = h('button.danger', { type: 'submit' }, T('revokeBtn'));
  const d = dialog(T('revokeTitle', { id: k.id }), h('form', { novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    busy(ok, async () => {
      await post('/api/v1/staff-keys/' + encodeURIComponent(k.id) + '/revocation', { reason: reason.value.trim() });
      notify(T('revokedMsg', { id: k.id }));
      d.close();
      reload();
    }, errs);
  } }, h('p', k.user), field(T('reason'), reason, { required: true, hint: T('reasonHint') }), errs, h('div.actions', ok)));
  reason.focus();
}
