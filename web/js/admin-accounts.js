// 账户: the system administrator creates accounts, resets passwords,
// disables and enables accounts and removes TOTP enrolments. A one-time
// password is shown once, in a dialog, and is never kept by the page.
import { h, fill, fmtTime } from './dom.js';
import { strings, t } from './i18n.js';
import { get, post, del } from './api.js';
import { field, dialog, notify, busy, errorBox, flag } from './ui.js';
import { staffList, S, rolesText } from './admin-staff.js';

const T = strings({
  zh: {
    create: '新建账户', createHint: '角色、单位和查阅授权由安全保密管理员另行授予。',
    name: '用户名', nameHint: '小写字母、数字和点，例如 li.ming', display: '姓名',
    superior: '上级（用户名）', credential: '执法证号', credentialUntil: '执法证有效期至',
    createBtn: '创建账户', caption: '全部账户',
    account: '账户状态', otpTitle: '一次性密码', otpFor: '用户 {user} 的一次性密码：',
    otpWarn: '此密码只显示这一次，关闭后无法再次查看。请当面或以安全方式交给本人；本人首次登录时必须修改密码。',
    copy: '复制密码', copied: '已复制到剪贴板', copyFailed: '无法自动复制，请手工选中密码复制。',
    otpClose: '我已记下，关闭',
    disabled: '已停用', passwordSet: '已设置密码', mustChange: '须在下次登录时修改密码',
    failed: '连续登录失败次数', lockedUntil: '锁定至', totp: '动态口令（TOTP）', totpOn: '已绑定',
    totpPending: '已生成密钥，尚未确认', totpOff: '未绑定', sessions: '在线会话数', lastSignIn: '最近登录',
    never: '从未登录', notLocked: '未锁定',
    reset: '重置密码', resetConfirm: '重置 {user} 的密码？其所有会话将被结束，签名密钥将更换为新密钥。',
    disable: '停用账户', reason: '停用原因', reasonHint: '例如：调离本局、离职', disableBtn: '确认停用',
    enable: '启用账户', totpReset: '解除动态口令绑定',
    totpConfirm: '解除 {user} 的动态口令绑定？其下次登录时须重新绑定验证器。',
    confirm: '确认', done: '已完成：{what}', created: '已创建账户 {user}',
    enabledMsg: '已启用账户 {user}', disabledMsg: '已停用账户 {user}', totpDone: '已解除 {user} 的动态口令绑定',
  },
  en: {
    create: 'New account', createHint: 'Roles, unit and clearance are granted by the security administrator.',
    name: 'User name', nameHint: 'Lower-case letters, digits and dots, such as li.ming', display: 'Name',
    superior: 'Superior (user name)', credential: 'Enforcement credential no.', credentialUntil: 'Credential valid until',
    createBtn: 'Create account', caption: 'All accounts',
    account: 'Account state', otpTitle: 'One-time password', otpFor: 'One-time password of {user}:',
    otpWarn: 'This password is shown only this once and cannot be shown again. Hand it over in person or securely; it must be changed at the first sign-in.',
    copy: 'Copy password', copied: 'Copied to the clipboard', copyFailed: 'Could not copy; select the password and copy it by hand.',
    otpClose: 'I have noted it; close',
    disabled: 'Disabled', passwordSet: 'Password set', mustChange: 'Must change password at next sign-in',
    failed: 'Failed sign-ins in a row', lockedUntil: 'Locked until', totp: 'One-time codes (TOTP)', totpOn: 'Enrolled',
    totpPending: 'Secret made, not yet confirmed', totpOff: 'Not enrolled', sessions: 'Live sessions', lastSignIn: 'Last sign-in',
    never: 'Never', notLocked: 'Not locked',
    reset: 'Reset password', resetConfirm: 'Reset the password of {user}? Their sessions end and their signing key is replaced.',
    disable: 'Disable account', reason: 'Reason', reasonHint: 'Such as: moved to another bureau, left', disableBtn: 'Disable',
    enable: 'Enable account', totpReset: 'Remove TOTP enrolment',
    totpConfirm: 'Remove the TOTP enrolment of {user}? They enrol again at their next sign-in.',
    confirm: 'Confirm', done: 'Done: {what}', created: 'Account {user} created',
    enabledMsg: 'Account {user} enabled', disabledMsg: 'Account {user} disabled', totpDone: 'TOTP enrolment of {user} removed',
  },
});

const path = (name, rest = '') => '/api/v1/users/' + encodeURIComponent(name) + rest;

export async function renderAccounts(el) {
  const listEl = h('div');
  fill(el, createForm(() => list.reload()), h('h2', T('caption')), listEl);
  const list = staffList(listEl, {
    columns: [
      { key: 'unit', label: S('unit') },
      { key: 'roles', label: S('roles'), render: rolesText },
      { key: 'state', label: S('state'), render: (u) => (u.disabled ? flag(S('disabled'), 'bad') : flag(S('active'), 'ok')) },
    ],
    actions: (u, reload) => [h('button', { type: 'button', 'aria-label': T('account') + ' ' + u.name, onclick: () => accountDialog(u.name, reload) }, T('account'))],
  });
}

function createForm(onCreated) {
  const name = h('input', { name: 'new-name', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false' });
  const display = h('input', { name: 'new-display', autocomplete: 'off' });
  const superior = h('input', { name: 'new-superior', autocomplete: 'off', autocapitalize: 'off' });
  const credential = h('input', { name: 'new-credential', autocomplete: 'off' });
  const until = h('input', { type: 'date', name: 'new-credential-until' });
  const errs = h('div');
  const button = h('button.primary', { type: 'submit' }, T('createBtn'));
  const form = h('form.panel', { novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    const body = { name: name.value.trim() };
    if (display.value.trim()) body.display_name = display.value.trim();
    if (superior.value.trim()) body.superior = superior.value.trim();
    if (credential.value.trim()) body.credential = credential.value.trim();
    if (until.value) body.credential_valid_until = until.value;
    busy(button, async () => {
      const r = await post('/api/v1/users', body);
      notify(T('created', { user: r.user.name }));
      for (const i of [name, display, superior, credential, until]) i.value = '';
      showOneTimePassword(r.user.name, r.one_time_password);
      onCreated();
    }, errs);
  } },
  h('h2', T('create')), h('p.muted', T('createHint')),
  h('div.grid3',
    field(T('name'), name, { required: true, hint: T('nameHint') }), field(T('display'), display),
    field(T('superior'), superior), field(T('credential'), credential), field(T('credentialUntil'), until)),
  errs, h('div.actions', button));
  return form;
}

// Shows a one-time password once; the dialog and its text are removed
// when it closes.
export function showOneTimePassword(user, password) {
  const box = h('input.admin-otp.mono', { readOnly: true, value: password, 'aria-label': T('otpTitle') });
  const status = h('p', { role: 'status' });
  const copy = h('button.primary', { type: 'button', onclick: async () => {
    try {
      await navigator.clipboard.writeText(password);
      status.textContent = T('copied');
    } catch (e) {
      box.select();
      status.textContent = document.execCommand && document.execCommand('copy') ? T('copied') : T('copyFailed');
    }
  } }, T('copy'));
  const d = dialog(T('otpTitle'), [
    h('p', T('otpFor', { user })), box,
    h('div.admin-warn', { role: 'note' }, h('strong', '⚠ '), T('otpWarn')),
    status,
    h('div.actions', copy, h('button', { type: 'button', onclick: () => d.close() }, T('otpClose'))),
  ]);
  box.focus();
  box.select();
  return d;
}

function stateFacts(a) {
  const yes = t('yes'), no = t('no');
  let totp = T('totpOff');
  if (a.totp_confirmed) totp = T('totpOn');
  else if (a.totp_enrolled) totp = T('totpPending');
  return h('dl.facts.admin-state',
    h('dt', T('disabled')), h('dd', a.disabled ? flag(S('disabled'), 'bad') : flag(S('active'), 'ok')),
    h('dt', T('passwordSet')), h('dd', a.password_set ? yes : no),
    h('dt', T('mustChange')), h('dd', a.must_change_password ? yes : no),
    h('dt', T('failed')), h('dd', String(a.failed_sign_ins ?? 0)),
    h('dt', T('lockedUntil')), h('dd', a.locked_until ? flag(fmtTime(a.locked_until), 'warn') : T('notLocked')),
    h('dt', T('totp')), h('dd', totp),
    h('dt', T('sessions')), h('dd', String(a.sessions ?? 0)),
    h('dt', T('lastSignIn')), h('dd', a.last_sign_in ? fmtTime(a.last_sign_in) : T('never')));
}

async function accountDialog(name, reload) {
  const body = h('div', h('p.loading', t('loading')));
  const d = dialog(T('account') + '：' + name, body, { wide: true });
  const errs = h('div');
  const draw = (a) => {
    const reset = h('button', { type: 'button' }, T('reset'));
    const totp = h('button', { type: 'button', disabled: !a.totp_enrolled }, T('totpReset'));
    const toggle = a.disabled
      ? h('button.primary', { type: 'button' }, T('enable'))
      : h('button.danger', { type: 'button' }, T('disable'));
    const panel = h('div.admin-confirm');
    reset.onclick = () => confirmIn(panel, T('resetConfirm', { user: name }), async () => {
      const r = await post(path(name, '/password'), {});
      d.close();
      showOneTimePassword(name, r.one_time_password);
      reload();
    });
    totp.onclick = () => confirmIn(panel, T('totpConfirm', { user: name }), async () => {
      const a2 = await del(path(name, '/totp'));
      notify(T('totpDone', { user: name }));
      draw(a2);
    });
    toggle.onclick = a.disabled
      ? () => busy(toggle, async () => { const a2 = await post(path(name, '/enable'), {}); notify(T('enabledMsg', { user: name })); draw(a2); reload(); }, errs)
      : () => disableForm(panel, async (reason) => {
        const a2 = await post(path(name, '/disable'), reason ? { reason } : {});
        notify(T('disabledMsg', { user: name }));
        draw(a2);
        reload();
      });
    fill(body, stateFacts(a), errs, h('div.actions', reset, toggle, totp), panel);
  };
  try {
    draw(await get(path(name, '/account')));
  } catch (e) {
    fill(body, errorBox(e));
  }
  return d;
}

function confirmIn(panel, text, fn) {
  const errs = h('div');
  const ok = h('button.danger', { type: 'button', onclick: () => busy(ok, fn, errs) }, T('confirm'));
  fill(panel, h('div.notice', h('p', text), errs,
    h('div.actions', ok, h('button', { type: 'button', onclick: () => panel.replaceChildren() }, t('cancel')))));
  ok.focus();
}

function disableForm(panel, fn) {
  const reason = h('input', { name: 'disable-reason', autocomplete: 'off' });
  const errs = h('div');
  const ok = h('button.danger', { type: 'submit' }, T('disableBtn'));
  fill(panel, h('form.notice', { novalidate: true, onsubmit: (e) => { e.preventDefault(); busy(ok, () => fn(reason.value.trim()), errs); } },
    field(T('reason'), reason, { hint: T('reasonHint') }), errs,
    h('div.actions', ok, h('button', { type: 'button', onclick: () => panel.replaceChildren() }, t('cancel')))));
  reason.focus();
}
