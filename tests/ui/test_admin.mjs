// The administrators' pages, the security audit and my account: the
// system administrator creates an account and sees its one-time password
// once, resets it, disables and enables it; the security administrator
// grants a role, sets a clearance and is refused changing their own; a
// clerk sees no administration; the auditor reads the access log; the
// catalogues show a deadline across 国庆节 and a law's article; everyone
// changes their own password on 我的账户.
import test from 'node:test';
import assert from 'node:assert/strict';
import { requireBrowser, makeStore, startServer, launch, newPage, login, shot, cleanup, token, api, ct, passwordOf } from './lib.mjs';

await requireBrowser();
const store = makeStore();
const server = await startServer(store);
const browser = await launch();
const pages = {};
const HOSTILE = '<img src=x onerror="window.__pwned=1">';

test.after(async () => { await browser.close(); await server.stop(); cleanup(store); });

// One page per administrator: a second sign-in of the same administrator
// waits for the next TOTP step.
async function pageOf(name) {
  if (!pages[name]) {
    pages[name] = await newPage(browser);
    await login(pages[name], server, store, name);
  }
  return pages[name];
}

// A screenshot from the top of the page, so the sticky header stays put.
async function snap(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, name);
}

async function go(page, hash) {
  await page.goto(server.url + '/' + hash);
  await page.waitForFunction(() => !document.querySelector('main .loading'));
}

function rowOf(page, text) {
  return page.locator('main tbody tr', { hasText: text });
}

test('system administrator creates an account and sees its password once', async () => {
  const page = await pageOf('sys.admin');
  assert.match(await page.locator('#nav').textContent(), /系统管理/);
  await go(page, '#/admin/accounts');
  const tabs = await page.locator('.admin-tabs').textContent();
  assert.match(tabs, /账户/);
  assert.doesNotMatch(tabs, /角色|查阅授权/);
  await rowOf(page, 'li.handler').waitFor();
  await page.getByLabel('用户名', { exact: true }).fill('ma.new');
  await page.getByLabel('姓名', { exact: true }).fill(HOSTILE);
  await page.getByRole('button', { name: '创建账户' }).click();
  const dlg = page.getByRole('dialog', { name: '一次性密码' });
  await dlg.waitFor();
  const otp = await dlg.getByLabel('一次性密码').inputValue();
  assert.ok(otp.length >= 12, 'one-time password shown: ' + otp);
  assert.match(await dlg.textContent(), /只显示这一次/);
  assert.ok(await dlg.getByRole('button', { name: '复制密码' }).isVisible());
  await snap(page, 'admin-accounts-otp');
  await dlg.getByRole('button', { name: '我已记下，关闭' }).click();
  await dlg.waitFor({ state: 'detached' });
  assert.ok(!(await page.content()).includes(otp), 'the password is gone once the dialog closed');
  await rowOf(page, 'ma.new').waitFor();
  assert.equal((await rowOf(page, 'ma.new').locator('td').nth(1).textContent()).trim(), HOSTILE);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  store.passwords['ma.new'] = otp;
  await page.getByLabel('查找人员').fill('ma.new');
  await snap(page, 'admin-accounts');
});

test('system administrator resets a password, disables and enables', async () => {
  const page = await pageOf('sys.admin');
  await page.getByRole('button', { name: '账户状态 ma.new' }).click();
  let dlg = page.getByRole('dialog', { name: '账户状态：ma.new' });
  await dlg.getByText('须在下次登录时修改密码').waitFor();
  await dlg.getByRole('button', { name: '重置密码' }).click();
  await dlg.getByRole('button', { name: '确认' }).click();
  const otpDlg = page.getByRole('dialog', { name: '一次性密码' });
  const second = await otpDlg.getByLabel('一次性密码').inputValue();
  assert.notEqual(second, store.passwords['ma.new']);
  store.passwords['ma.new'] = second;
  await otpDlg.getByRole('button', { name: '我已记下，关闭' }).click();

  await page.getByRole('button', { name: '账户状态 ma.new' }).click();
  dlg = page.getByRole('dialog', { name: '账户状态：ma.new' });
  await dlg.getByRole('button', { name: '停用账户' }).click();
  await dlg.getByLabel('停用原因').fill('调离本局');
  await dlg.getByRole('button', { name: '确认停用' }).click();
  await dlg.getByRole('button', { name: '启用账户' }).waitFor();
  assert.match(await dlg.locator('dl').textContent(), /已停用/);
  await snap(page, 'admin-account-state');
  await dlg.getByRole('button', { name: '启用账户' }).click();
  await dlg.getByRole('button', { name: '停用账户' }).waitFor();
  assert.match(await dlg.locator('dl').textContent(), /正常/);

  // Disabling one's own account is refused, with the server's message.
  await dlg.getByRole('button', { name: '关闭' }).click();
  await page.getByLabel('查找人员').fill('sys.admin');
  await page.getByRole('button', { name: '账户状态 sys.admin' }).click();
  dlg = page.getByRole('dialog', { name: '账户状态：sys.admin' });
  await dlg.getByRole('button', { name: '停用账户' }).click();
  await dlg.getByRole('button', { name: '确认停用' }).click();
  assert.match(await dlg.getByRole('alert').textContent(), /own account/);
  await dlg.getByRole('button', { name: '关闭' }).click();

  await go(page, '#/admin/roles');
  assert.match(await page.locator('main h1').textContent(), /您没有权限/);
});

test('deadline calculator counts across 国庆节 as the CLI does', async () => {
  const page = await pageOf('sys.admin');
  await go(page, '#/admin/calendar');
  await page.getByLabel('起算日').fill('2026-09-28');
  await page.getByLabel('期限天数').fill('5');
  await page.getByRole('button', { name: '计算' }).click();
  await page.locator('.admin-due').waitFor();
  const cli = ct(['deadline', '--from', '2026-09-28', '--working-days', '5']).trim();
  assert.equal(cli, '2026-10-10');
  assert.match(await page.locator('.admin-due').textContent(), new RegExp(cli));
  const explain = await page.locator('main details table').textContent();
  assert.match(explain, /国庆节/);
  assert.match(explain, /调休/);
  await page.getByLabel('月份').fill('2026-10');
  await page.getByLabel('月份').dispatchEvent('change');
  await page.locator('table.admin-cal caption', { hasText: '2026年10月' }).waitFor();
  const oct1 = page.locator('td.day', { has: page.locator('.num', { hasText: /^1$/ }) }).first();
  assert.match(await oct1.getAttribute('class'), /rest/);
  assert.match(await oct1.textContent(), /休/);
  const oct10 = page.locator('td.day', { has: page.locator('.num', { hasText: /^10$/ }) });
  assert.match(await oct10.textContent(), /班/);
  await snap(page, 'admin-calendar');
  await page.setViewportSize({ width: 800, height: 1280 });
  await snap(page, 'admin-calendar-tablet');
  await page.setViewportSize({ width: 1366, height: 768 });
});

test('law library shows an article and matters are searchable', async () => {
  const page = await pageOf('sys.admin');
  await go(page, '#/admin/laws');
  await page.getByLabel('在全部法规条文中查找').fill('不予受理');
  await page.locator('.admin-hits li').first().waitFor();
  assert.match(await page.locator('.admin-hits').textContent(), /《中华人民共和国行政许可法》第32条/);
  await snap(page, 'admin-laws-search');
  await page.getByRole('link', { name: '中华人民共和国行政许可法', exact: true }).click();
  await page.getByLabel('在条文中查找').fill('42');
  const art = page.locator('#art-42');
  await art.waitFor();
  assert.match(await art.textContent(), /应当自受理行政许可申请之日起二十日内作出行政许可决定/);
  assert.equal(await page.locator('.admin-article').count(), 1);
  await snap(page, 'admin-laws');
  await go(page, '#/admin/matters');
  await page.getByLabel('查找事项').fill('食品经营');
  await page.locator('main tbody tr', { hasText: '食品经营许可' }).first().waitFor();
  await page.locator('summary', { hasText: '食品经营许可' }).first().click();
  const matter = page.locator('details.admin-matter[open]');
  assert.match(await matter.textContent(), /食品经营许可申请书/);
  assert.match(await matter.textContent(), /《中华人民共和国食品安全法》/);
  await snap(page, 'admin-matters');
  // A basis links to its article in the law library.
  await matter.getByRole('link', { name: /行政许可法.*第42条/ }).click();
  await page.locator('#art-42').waitFor();
  assert.equal(await page.locator('.admin-article').count(), 1);
});

test('security administrator grants a role and sets a clearance', async () => {
  const page = await pageOf('sec.admin');
  await go(page, '#/admin/roles');
  assert.doesNotMatch(await page.locator('.admin-tabs').textContent(), /账户/);
  await page.getByLabel('查找人员').fill('ma.new');
  await page.getByRole('button', { name: '管理角色 ma.new' }).click();
  const dlg = page.getByRole('dialog', { name: '管理角色：ma.new' });
  await dlg.getByText('没有角色').waitFor();
  await dlg.getByLabel('角色').selectOption('clerk');
  await dlg.getByLabel('单位（选填）').fill('政务服务窗口');
  await dlg.getByRole('button', { name: '授予', exact: true }).click();
  await dlg.locator('.admin-grants li', { hasText: '窗口受理人员' }).waitFor();
  await dlg.getByLabel('角色').selectOption('party');
  assert.ok(await dlg.getByLabel('案件编号').isVisible());
  await dlg.getByRole('button', { name: '授予', exact: true }).click();
  assert.match(await dlg.getByRole('alert').textContent(), /name the case/);
  await snap(page, 'admin-roles-dialog');
  // 三员分立: an administration role beside another role is rejected.
  await dlg.getByLabel('角色').selectOption('auditor');
  await dlg.getByRole('button', { name: '授予', exact: true }).click();
  await dlg.getByRole('alert').filter({ hasText: /auditor/ }).waitFor();
  // A second role is granted and revoked again.
  await dlg.getByLabel('角色').selectOption('server');
  await dlg.getByRole('button', { name: '授予', exact: true }).click();
  const serverGrant = dlg.locator('.admin-grants li', { hasText: '送达人' });
  await serverGrant.waitFor();
  await serverGrant.getByRole('button', { name: /^撤销/ }).click();
  await serverGrant.waitFor({ state: 'detached' });
  assert.equal(await dlg.locator('.admin-grants li').count(), 1);
  await dlg.getByRole('button', { name: '关闭' }).click();
  await rowOf(page, 'ma.new').filter({ hasText: '窗口受理人员' }).waitFor();
  await snap(page, 'admin-roles');

  await go(page, '#/admin/units');
  await page.getByLabel('查找人员').fill('ma.new');
  await page.getByRole('button', { name: '设置单位 ma.new' }).click();
  await page.getByRole('dialog').getByLabel('单位').fill('政务服务窗口');
  await page.getByRole('dialog').getByRole('button', { name: '保存' }).click();
  await rowOf(page, 'ma.new').filter({ hasText: '政务服务窗口' }).waitFor();
  await snap(page, 'admin-units');

  await go(page, '#/admin/clearances');
  await page.getByLabel('查找人员').fill('ma.new');
  await page.getByRole('button', { name: '设置查阅授权 ma.new' }).click();
  await page.getByRole('dialog').getByLabel('个人信息', { exact: true }).check();
  await page.getByRole('dialog').getByRole('button', { name: '保存' }).click();
  await rowOf(page, 'ma.new').filter({ hasText: '个人信息' }).waitFor();
  await snap(page, 'admin-clearances');
  const u = await api(server, token(store, 'zhang.head'), 'GET', '/api/v1/users/ma.new');
  assert.deepEqual(u.json.clearance, ['personal']);
  assert.deepEqual(u.json.roles, ['clerk']);
});

test('security administrator is refused changing their own clearance', async () => {
  const page = await pageOf('sec.admin');
  await go(page, '#/admin/clearances');
  await page.getByLabel('查找人员').fill('sec.admin');
  await page.getByRole('button', { name: '设置查阅授权 sec.admin' }).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByLabel('商业秘密').check();
  await dlg.getByRole('button', { name: '保存' }).click();
  assert.match(await dlg.getByRole('alert').textContent(), /may not change the clearance of their own account/);
  assert.ok(await dlg.getByLabel('商业秘密').isChecked(), 'what was ticked stays ticked');
  await snap(page, 'admin-clearance-refused');
  await dlg.getByRole('button', { name: '关闭' }).click();
});

test('security administrator revokes a signing key', async () => {
  const page = await pageOf('sec.admin');
  await go(page, '#/admin/keys');
  await page.getByLabel('查找密钥').fill('sun.officer');
  const row = rowOf(page, 'sun.officer');
  await row.getByRole('button', { name: /^吊销/ }).click();
  await page.getByRole('dialog').getByLabel('吊销原因').fill('记录仪丢失，密钥可能泄露');
  await page.getByRole('dialog').getByRole('button', { name: '确认吊销' }).click();
  await row.getByText('已吊销').first().waitFor();
  await snap(page, 'admin-keys');
  await page.setViewportSize({ width: 800, height: 1280 });
  await go(page, '#/admin/roles');
  await rowOf(page, 'li.handler').waitFor();
  await snap(page, 'admin-roles-tablet');
  await page.setViewportSize({ width: 1366, height: 768 });
});

test('security administrator changes a record\'s mark by its number', async () => {
  const clerk = token(store, 'wang.clerk');
  const opened = await api(server, clerk, 'POST', '/api/v1/cases', {
    matter: 'spjy-xk', applicant: '某某餐饮管理有限公司', applicant_id: '91320102MA1W8XYZ3K',
    received: new Date(Date.now() - 3600e3).toISOString().replace(/\.\d+Z$/, 'Z'), channel: 'window',
    materials: ['sqs'],
  });
  assert.equal(opened.status, 201, opened.text);
  const note = await api(server, clerk, 'POST', '/api/v1/cases/' + opened.json.id + '/records',
    { kind: 'note', fields: { text: '申请人称其配方涉及商业秘密' } });
  assert.equal(note.status, 201, note.text);
  const page = await pageOf('sec.admin');
  await go(page, '#/admin/marks');
  await page.getByLabel('编号（记录号或文件号）').fill('x1');
  await page.getByRole('button', { name: '变更保密标识' }).click();
  await page.getByRole('alert').getByText('编号应为正整数').waitFor();
  await page.getByLabel('编号（记录号或文件号）').fill(String(note.json.seq));
  await page.getByLabel('新保密标识').selectOption('commercial-secret');
  await page.getByLabel('变更理由').fill('申请人书面提出不予公开');
  await page.getByRole('button', { name: '变更保密标识' }).click();
  await page.getByText('的保密标识已由 无 改为 商业秘密').first().waitFor();
  assert.doesNotMatch(await page.content(), /配方/);
  const read = await api(server, token(store, 'zhang.head'), 'GET', '/api/v1/records/' + note.json.seq);
  assert.equal(read.json.mark, 'commercial-secret');
  await snap(page, 'admin-marks');
});

test('administration reads in English', async () => {
  const page = await pageOf('sec.admin');
  await go(page, '#/admin/clearances');
  await page.getByRole('button', { name: 'English' }).click();
  await page.locator('main h1', { hasText: 'Administration' }).waitFor();
  assert.match(await page.locator('.admin-tabs').textContent(), /Roles.*Units.*Clearances/);
  await rowOf(page, 'ma.new').first().waitFor();
  assert.match(await rowOf(page, 'ma.new').textContent(), /personal information/);
  await snap(page, 'admin-clearances-en');
  await page.getByRole('button', { name: '中文' }).click();
  await page.locator('main h1', { hasText: '系统管理' }).waitFor();
});

test('a clerk sees no administration', async () => {
  const page = await pageOf('wang.clerk');
  const nav = await page.locator('#nav').textContent();
  assert.doesNotMatch(nav, /系统管理/);
  assert.doesNotMatch(nav, /安全审计/);
  assert.match(nav, /我的账户/);
  await go(page, '#/admin/accounts');
  assert.match(await page.locator('main h1').textContent(), /您没有权限/);
  await go(page, '#/audit');
  assert.match(await page.locator('main h1').textContent(), /您没有权限/);
});

test('auditor reads the access log and the administrators\' acts', async () => {
  // A clerk's refused attempt is an entry of the access log.
  const r = await api(server, token(store, 'wang.clerk'), 'GET', '/api/v1/access-log');
  assert.equal(r.status, 403);
  const page = await pageOf('audit.sec');
  assert.match(await page.locator('#nav').textContent(), /安全审计/);
  assert.doesNotMatch(await page.locator('#nav').textContent(), /系统管理/);
  await go(page, '#/audit');
  await rowOf(page, 'wang.clerk').first().waitFor();
  assert.match(await rowOf(page, 'wang.clerk').first().textContent(), /拒绝/);
  await page.getByLabel('结果').selectOption('refused');
  await page.getByRole('button', { name: '筛选' }).click();
  await page.waitForURL(/outcome=refused/);
  await rowOf(page, 'wang.clerk').first().waitFor();
  await snap(page, 'audit-access');
  await go(page, '#/audit?tab=acts');
  await rowOf(page, 'role-grant').first().waitFor();
  assert.match(await rowOf(page, 'role-grant').first().textContent(), /sec\.admin/);
  await page.getByLabel('操作类型').selectOption('account-disable');
  await page.getByRole('button', { name: '筛选' }).click();
  await page.waitForURL(/kind=account-disable/);
  await rowOf(page, '调离本局').first().waitFor();
  await snap(page, 'audit-acts');
  await page.setViewportSize({ width: 800, height: 1280 });
  await snap(page, 'audit-acts-tablet');
  await page.setViewportSize({ width: 1366, height: 768 });
});

test('the new account signs in as a clerk', async () => {
  const page = await pageOf('ma.new');
  assert.match(await page.locator('#top').textContent(), /窗口受理人员/);
});

test('every user changes their own password on 我的账户', async () => {
  for (const name of ['sys.admin', 'sec.admin', 'audit.sec', 'wang.clerk', 'ma.new']) {
    const page = await pageOf(name);
    await go(page, '#/account');
    await page.locator('#acct-key').waitFor();
    assert.match(await page.locator('main dl.facts').first().textContent(), new RegExp(name.replace('.', '\\.')));
    const old = passwordOf(name);
    // The server's rule is shown, and what was typed stays.
    await page.getByLabel('当前密码').fill(old);
    await page.getByLabel('新密码', { exact: true }).fill('short');
    await page.getByLabel('再次输入新密码').fill('short');
    await page.getByRole('button', { name: '修改密码' }).click();
    await page.getByRole('alert').waitFor();
    assert.ok((await page.getByRole('alert').textContent()).length > 10);
    assert.equal(await page.getByLabel('当前密码').inputValue(), old);
    if (name === 'wang.clerk') await snap(page, 'account-refused');
    const next = 'Nw8-Qz7x-' + Math.random().toString(36).slice(2, 8) + '-Vb';
    await page.getByLabel('新密码', { exact: true }).fill(next);
    await page.getByLabel('再次输入新密码').fill(next);
    await page.getByRole('button', { name: '修改密码' }).click();
    await page.locator('main .notice', { hasText: '密码已修改' }).or(page.getByRole('alert')).first().waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, name + ': ' + (await page.locator('main').textContent()).slice(-300));
    assert.equal(await page.getByLabel('当前密码').inputValue(), '');
    if (name === 'sys.admin') await snap(page, 'account');
    // The new password signs in; the old one does not.
    const ok = await fetch(server.url + '/api/v1/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: name, password: next }) });
    assert.equal(ok.status, 200, name + ' signs in with the new password');
  }
  const page = await pageOf('wang.clerk');
  await page.setViewportSize({ width: 800, height: 1280 });
  await go(page, '#/account');
  await page.locator('#acct-key').waitFor();
  await snap(page, 'account-tablet');
  assert.deepEqual([].concat(...Object.values(pages).map((p) => p.consoleErrors.filter((e) => !/status of 4\d\d/.test(e)))), []);
});
