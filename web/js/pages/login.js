// Signing in: user name and password, then what the session still needs
// before any work: a new password in place of a one-time one, and for the
// administrators a TOTP code, enrolling first when they have none.
import { h, fill } from '../dom.js';
import { strings, t, lang, setLang } from '../i18n.js';
import { get, post } from '../api.js';
import { field, errorBox, busy } from '../ui.js';
import { setSession, afterSignIn } from '../app.js';

const T = strings({
  zh: {
    title: '登录', user: '用户名', password: '密码', signin: '登录',
    changeTitle: '设置新密码', changeWhy: '您使用的是一次性密码，继续之前请设置自己的密码。',
    old: '当前密码', new1: '新密码', new2: '再次输入新密码',
    rule: '至少 12 个字符，包含小写字母、大写字母、数字和其他字符中的三类，不能是用户名或常见密码。',
    mismatch: '两次输入的新密码不一致，请重新输入。', change: '修改密码',
    totpTitle: '动态口令', totpWhy: '管理员账户还需输入验证器应用显示的 6 位动态口令。',
    code: '动态口令（6 位数字）', verify: '验证',
    enrolTitle: '绑定验证器', enrolWhy: '请用验证器应用（如 FreeOTP、Google Authenticator）添加下面的密钥，然后输入它显示的 6 位口令。密钥只显示这一次。',
    secret: '密钥', uri: '配置链接', enrol: '生成密钥', codeFormat: '动态口令是 6 位数字，例如 123456。',
    intro: '曹阳区行政审批局',
  },
  en: {
    title: 'Sign in', user: 'User name', password: 'Password', signin: 'Sign in',
    changeTitle: 'Set a new password', changeWhy: 'You signed in with a one-time password; set your own before going on.',
    old: 'Current password', new1: 'New password', new2: 'New password again',
    rule: 'At least 12 characters, three of lower-case, upper-case, digits and other characters, not the user name or a common password.',
    mismatch: 'The two new passwords differ; type them again.', change: 'Change password',
    totpTitle: 'One-time code', totpWhy: 'Administrator accounts also give the 6-digit code of their authenticator app.',
    code: 'Code (6 digits)', verify: 'Verify',
    enrolTitle: 'Enrol an authenticator', enrolWhy: 'Add this secret to an authenticator app (FreeOTP, Google Authenticator), then enter the 6-digit code it shows. The secret is shown only this once.',
    secret: 'Secret', uri: 'Set-up link', enrol: 'Make a secret', codeFormat: 'The code is 6 digits, such as 123456.',
    intro: 'Administrative Approval Bureau · full-process records',
  },
});

import { ctx } from '../app.js';

export async function render(main) {
  document.title = T('title') + ' · ' + t('app');
  const s = ctx.session;
  if (!s) return signInForm(main);
  if (s.must_change_password) return changeForm(main);
  if (s.second_factor_required && !s.second_factor) return s.totp_enrolled ? codeForm(main) : enrolForm(main);
  afterSignIn();
}

function frame(main, title, ...content) {
  fill(main, h('section.login',
    h('div.login-brand', h('img', { src: '/img/favicon.svg', alt: '', width: 40, height: 40 }),
      h('div', h('strong', t('app')), h('small', T('intro')))),
    h('h1', title), content,
    h('button.link.lang', { type: 'button', title: t('langLabel'), lang: lang() === 'en' ? 'zh-CN' : 'en',
      onclick: () => { setLang(lang() === 'en' ? 'zh' : 'en'); render(main); } }, t('language'))));
  const first = main.querySelector('input');
  if (first) first.focus();
}

// Keeps the session and goes on to whatever signing in still needs.
function advance(main, session) {
  setSession(session);
  render(main);
}

function signInForm(main) {
  const user = h('input', { name: 'username', autocomplete: 'username', autocapitalize: 'off', spellcheck: 'false' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password' });
  const errs = h('div');
  const button = h('button.primary', { type: 'submit' }, T('signin'));
  const form = h('form.stack', { novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    busy(button, async () => advance(main, await post('/api/v1/session', { user: user.value.trim(), password: password.value })), errs)
      .then(() => { password.value = ''; });
  } }, field(T('user'), user, { required: true }), field(T('password'), password, { required: true }), errs, button);
  frame(main, T('title'), form);
}

function changeForm(main) {
  const old = h('input', { type: 'password', autocomplete: 'current-password' });
  const n1 = h('input', { type: 'password', autocomplete: 'new-password' });
  const n2 = h('input', { type: 'password', autocomplete: 'new-password' });
  const errs = h('div');
  const button = h('button.primary', { type: 'submit' }, T('change'));
  const form = h('form.stack', { novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    if (n1.value !== n2.value) { fill(errs, errorBox(T('mismatch'))); n2.focus(); return; }
    busy(button, async () => advance(main, await post('/api/v1/session/password', { old: old.value, new: n1.value })), errs);
  } }, h('p', T('changeWhy')), field(T('old'), old, { required: true }),
  field(T('new1'), n1, { required: true, hint: T('rule') }), field(T('new2'), n2, { required: true }), errs, button);
  frame(main, T('changeTitle'), form);
}

function codeInput() {
  return h('input', { inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6 });
}

function codeForm(main, extra) {
  const code = codeInput();
  const errs = h('div');
  const button = h('button.primary', { type: 'submit' }, T('verify'));
  const form = h('form.stack', { novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    if (!/^\d{6}$/.test(code.value.trim())) { fill(errs, errorBox(T('codeFormat'))); return; }
    busy(button, async () => advance(main, await post('/api/v1/session/totp', { code: code.value.trim() })), errs);
  } }, h('p', T('totpWhy')), extra || null, field(T('code'), code, { required: true, hint: T('codeFormat') }), errs, button);
  frame(main, extra ? T('enrolTitle') : T('totpTitle'), form);
}

async function enrolForm(main) {
  const errs = h('div');
  const button = h('button.primary', { type: 'button', onclick: () => busy(button, async () => {
    const e = await post('/api/v1/session/totp/enrolment', {});
    codeForm(main, h('div.enrol', h('p', T('enrolWhy')),
      h('dl', h('dt', T('secret')), h('dd', h('code.secret', e.secret)), h('dt', T('uri')), h('dd', h('code.uri', e.uri)))));
  }, errs) }, T('enrol'));
  frame(main, T('enrolTitle'), h('p', T('totpWhy')), errs, button);
}

// Used by the account page: re-reads the session.
export async function reloadSession() {
  setSession(await get('/api/v1/session'));
}
