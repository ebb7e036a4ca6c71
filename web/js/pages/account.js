// 我的账户: who the signed-in person is (roles, unit, clearance), their
// session's expiry, changing their own password, their signing key and
// their daily digest.
import { h, fill, fmtTime, fmtDate } from '../dom.js';
import { strings, t, roleName, markName } from '../i18n.js';
import { get, post } from '../api.js';
import { field, errorBox, busy, notify, flag, deadlineCard } from '../ui.js';
import { setSession } from '../app.js';

const T = strings({
  zh: {
    title: '我的账户', who: '基本信息', user: '用户名', name: '姓名', roles: '角色', unit: '单位', clearance: '查阅授权',
    superior: '上级', credential: '执法证号', credentialUntil: '执法证有效期至', noClearance: '无（只能查阅未标密内容）',
    session: '本次登录', expires: '登录有效至', idle: '无操作将于此时退出', totp: '动态口令', totpOn: '已验证',
    password: '修改密码', old: '当前密码', new1: '新密码', new2: '再次输入新密码',
    rule: '至少 12 个字符，包含小写字母、大写字母、数字和其他字符中的三类，不能包含用户名，不能是常见密码。',
    mismatch: '两次输入的新密码不一致，请重新输入。', change: '修改密码', changed: '密码已修改；您在其他设备上的登录已结束，签名密钥已随新密码重新加密。',
    key: '我的签名密钥', keyIntro: '签署笔录和文书时输入登录密码即可使用此密钥（SM2）。重置密码后将更换为新密钥。',
    noKey: '您还没有签名密钥。', keyId: '密钥编号', state: '状态', validFrom: '生效时间', validUntil: '有效期至',
    current: '有效', replaced: '已更换', revoked: '已吊销', expired: '已过期', publicKey: '公钥（PEM）',
    digest: '每日提醒', digestIntro: '每天 8:00 生成的提醒：临近期限（黄牌）、已超期（红牌）和您负责的问题线索。',
    yellow: '黄牌 {n}', red: '红牌 {n}', open: '未整改问题 {n}', raised: '新增问题 {n}', cured: '已整改 {n}',
    digestDate: '{date} 的提醒', worklist: '到我的待办处理', digestJson: '提醒原始数据（JSON）',
  },
  en: {
    title: 'My account', who: 'About me', user: 'User name', name: 'Name', roles: 'Roles', unit: 'Unit', clearance: 'Clearance',
    superior: 'Superior', credential: 'Credential no.', credentialUntil: 'Credential valid until', noClearance: 'none (unmarked content only)',
    session: 'This session', expires: 'Signed in until', idle: 'Signed out if idle at', totp: 'One-time code', totpOn: 'given',
    password: 'Change password', old: 'Current password', new1: 'New password', new2: 'New password again',
    rule: 'At least 12 characters, three of lower-case, upper-case, digits and other characters, not containing the user name, not a common password.',
    mismatch: 'The two new passwords differ; type them again.', change: 'Change password', changed: 'Password changed; your other sessions ended and your signing key is wrapped under the new password.',
    key: 'My signing key', keyIntro: 'Give your sign-in password when signing a record to use this SM2 key. A password reset replaces it.',
    noKey: 'You have no signing key yet.', keyId: 'Key id', state: 'State', validFrom: 'Valid from', validUntil: 'Valid until',
    current: 'current', replaced: 'replaced', revoked: 'revoked', expired: 'expired', publicKey: 'Public key (PEM)',
    digest: 'Daily digest', digestIntro: 'Made at 08:00 each day: time limits near (yellow) or past (red) and the findings you are responsible for.',
    yellow: 'Yellow {n}', red: 'Red {n}', open: 'Open findings {n}', raised: 'Raised {n}', cured: 'Cured {n}',
    digestDate: 'Digest of {date}', worklist: 'Go to my work', digestJson: 'Digest data (JSON)',
  },
});

export async function render(main, params, ctx) {
  document.title = T('title') + ' · ' + t('app');
  const s = ctx.session;
  const whoEl = h('div.panel', h('h2', T('who')), h('p.loading', t('loading')));
  const keyEl = h('section.panel', { 'aria-labelledby': 'acct-key' }, h('h2#acct-key', T('key')), h('p.loading', t('loading')));
  const digestEl = h('section.panel', { 'aria-labelledby': 'acct-digest' }, h('h2#acct-digest', T('digest')), h('p.loading', t('loading')));
  fill(main, h('h1', T('title')),
    h('div.grid2.account-grid', whoEl, sessionPanel(s)),
    passwordPanel(ctx), keyEl, digestEl);
  await Promise.all([who(whoEl, s), myKey(keyEl, s.user), digest(digestEl)]);
}

async function who(el, s) {
  let u = { name: s.user, roles: s.roles };
  let err = null;
  try {
    u = await get('/api/v1/users/' + encodeURIComponent(s.user));
  } catch (e) {
    // A party may not read the staff list; the session names their roles.
    if (e.status !== 403) err = e;
  }
  const c = u.clearance || [];
  fill(el, h('h2', T('who')), err ? errorBox(err) : null, h('dl.facts',
    h('dt', T('user')), h('dd.mono', u.name || s.user),
    h('dt', T('name')), h('dd', u.display_name || ''),
    h('dt', T('roles')), h('dd', (u.roles || s.roles || []).map(roleName).join('、')),
    h('dt', T('unit')), h('dd', u.unit || ''),
    h('dt', T('clearance')), h('dd', c.length ? c.map(markName).join('、') : T('noClearance')),
    u.superior ? [h('dt', T('superior')), h('dd', u.superior)] : null,
    u.credential ? [h('dt', T('credential')), h('dd', u.credential)] : null,
    u.credential_valid_until ? [h('dt', T('credentialUntil')), h('dd', fmtDate(u.credential_valid_until))] : null));
}

function sessionPanel(s) {
  return h('section.panel', { 'aria-labelledby': 'acct-session' }, h('h2#acct-session', T('session')), h('dl.facts',
    h('dt', T('expires')), h('dd', fmtTime(s.expires)),
    h('dt', T('idle')), h('dd', fmtTime(s.idle_expires)),
    s.second_factor_required ? [h('dt', T('totp')), h('dd', s.second_factor ? T('totpOn') : '')] : null));
}

function passwordPanel(ctx) {
  const old = h('input', { type: 'password', autocomplete: 'current-password', name: 'old-password' });
  const n1 = h('input', { type: 'password', autocomplete: 'new-password', name: 'new-password' });
  const n2 = h('input', { type: 'password', autocomplete: 'new-password', name: 'new-password-again' });
  const errs = h('div');
  const done = h('div', { role: 'status' });
  const button = h('button.primary', { type: 'submit' }, T('change'));
  return h('section.panel', { 'aria-labelledby': 'acct-password' }, h('h2#acct-password', T('password')),
    h('form.stack.account-password', { novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      done.replaceChildren();
      if (n1.value !== n2.value) { fill(errs, errorBox(T('mismatch'))); n2.focus(); return; }
      busy(button, async () => {
        const s = await post('/api/v1/session/password', { old: old.value, new: n1.value });
        setSession(s);
        old.value = ''; n1.value = ''; n2.value = '';
        fill(done, h('p.notice', T('changed')));
        notify(T('changed'));
      }, errs);
    } },
    h('div.grid3', field(T('old'), old, { required: true }), field(T('new1'), n1, { required: true, hint: T('rule') }), field(T('new2'), n2, { required: true })),
    errs, done, h('div.actions', button)));
}

async function myKey(el, user) {
  const head = h('h2#acct-key', T('key'));
  try {
    const keys = (await get('/api/v1/staff-keys', { user })).items || [];
    const k = keys.find((x) => x.state === 'current') || keys[0];
    if (!k) return fill(el, head, h('p.muted', T('noKey')));
    fill(el, head, h('p.muted', T('keyIntro')), h('dl.facts',
      h('dt', T('keyId')), h('dd.mono', k.id),
      h('dt', T('state')), h('dd', flag(T(k.state) || k.state, k.state === 'current' ? 'ok' : 'warn')),
      h('dt', T('validFrom')), h('dd', fmtTime(k.valid_from)),
      h('dt', T('validUntil')), h('dd', fmtTime(k.valid_until))),
    h('details', h('summary', T('publicKey')), h('pre.admin-pem', k.public)));
  } catch (e) {
    fill(el, head, e.status === 403 ? h('p.muted', T('noKey')) : errorBox(e));
  }
}

const LIMITS = {
  acceptance: '受理期限', decision: '决定期限', extension: '延长期限', delivery: '送达期限',
  'hearing-request': '听证申请期限', hearing: '听证期限', 'hearing-notice': '听证通知期限', renewal: '延续期限',
};

// The digest's time-limit warnings, each linking to its case.
function warningList(warnings) {
  if (!warnings.length) return null;
  return h('ul.account-warnings', warnings.slice(0, 20).map((w) => h('li',
    deadlineCard(w.working_days_left, { provisional: w.provisional, due: w.due }), ' ',
    h('a', { href: '#/cases/' + encodeURIComponent(w.case) }, w.case), ' ', w.matter || '', ' ',
    h('span.muted', (LIMITS[w.limit] || w.limit || '') + (w.basis === 'promised' ? '（承诺）' : '') + ' ' + fmtDate(w.due)))));
}

async function digest(el) {
  const head = h('h2#acct-digest', T('digest'));
  try {
    const d = await get('/api/v1/digest');
    const item = (d.items || [])[0];
    const c = (item && item.counts) || {};
    fill(el, head, h('p.muted', T('digestIntro')), h('p', T('digestDate', { date: d.date })),
      h('p.row', flag(T('yellow', { n: c.yellow || 0 }), c.yellow ? 'warn' : 'info'), flag(T('red', { n: c.red || 0 }), c.red ? 'bad' : 'info'),
        flag(T('open', { n: c.open || 0 }), 'info'), flag(T('raised', { n: c.raised || 0 }), 'info'), flag(T('cured', { n: c.cured || 0 }), 'ok')),
      warningList(item ? item.warnings || [] : []),
      h('p.row', h('a', { href: '#/' }, T('worklist')), h('a', { href: '/api/v1/digest', target: '_blank', rel: 'noopener' }, T('digestJson'))));
  } catch (e) {
    fill(el, head, errorBox(e));
  }
}
