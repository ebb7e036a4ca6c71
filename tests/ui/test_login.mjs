// Signing in through the page: a clerk with a one-time password sets a
// new one; an administrator enrols TOTP and gives a code; a wrong
// password shows the server's explanation; the language switch works.
import test from 'node:test';
import assert from 'node:assert/strict';
import { requireBrowser, makeStore, startServer, launch, newPage, login, logout, shot, cleanup } from './lib.mjs';

await requireBrowser();
const store = makeStore();
const server = await startServer(store);
const browser = await launch();

test.after(async () => { await browser.close(); await server.stop(); cleanup(store); });

test('login page is in Chinese with its labels', async () => {
  const page = await newPage(browser);
  await page.goto(server.url + '/');
  await page.getByLabel('用户名').waitFor();
  assert.ok(await page.getByLabel('密码', { exact: true }).isVisible());
  assert.ok(await page.getByRole('button', { name: '登录' }).isVisible());
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  await shot(page, 'login');
  await page.context().close();
});

test('a wrong password shows why, and nothing is signed in', async () => {
  const page = await newPage(browser);
  await page.goto(server.url + '/#/login');
  await page.getByLabel('用户名').fill('wang.clerk');
  await page.getByLabel('密码', { exact: true }).fill('not-the-password');
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByRole('alert').waitFor();
  assert.ok(await page.locator('#top').isHidden());
  await page.context().close();
});

test('a clerk changes the one-time password and reaches the work list', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'wang.clerk');
  assert.match(await page.locator('#nav').textContent(), /我的待办/);
  await shot(page, 'worklist-clerk');
  await logout(page);
  await login(page, server, store, 'wang.clerk');
  await page.context().close();
});

test('an administrator enrols TOTP and gives a code', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'sys.admin');
  assert.match(await page.locator('#nav').textContent(), /系统管理/);
  // The three administrators read no case content: they land on their own
  // pages and see no work list.
  assert.match(page.url(), /#\/admin/);
  assert.doesNotMatch(await page.locator('#nav').textContent(), /我的待办|案件查询/);
  await page.context().close();
});

test('English is selectable and stays chosen', async () => {
  const page = await newPage(browser);
  await page.goto(server.url + '/#/login');
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByLabel('User name').waitFor();
  await page.reload();
  await page.getByLabel('User name').waitFor();
  await page.context().close();
});
