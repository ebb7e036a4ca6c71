// The browser tests' harness: a store with the bureau's staff, a real
// casetrail server on loopback, Debian's chromium driven headless by
// playwright-core, signing in through the login page, and screenshots
// into <build>/ui-screenshots for people to look at.
//
// A test file exits 77 (skipped) when playwright-core or chromium is not
// installed, so that a machine without them still passes `make test`.

import { execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SRC = process.env.CASETRAIL_SRC || path.resolve(here, '../..');
export const BIN = process.env.CASETRAIL_BIN || path.join(SRC, 'build/casetrail');
export const SHARED = process.env.CASETRAIL_SHARED || path.join(SRC, '../shared');
export const SHOTS = path.join(path.dirname(BIN), 'ui-screenshots');
const CHROMIUM = process.env.CASETRAIL_CHROMIUM || '/usr/bin/chromium';

// Exits 77, which Meson counts as skipped, with the reason.
export function skip(reason) {
  console.log('SKIP: ' + reason);
  process.exit(77);
}

let playwright = null;
export async function requireBrowser() {
  if (!fs.existsSync(CHROMIUM)) skip(CHROMIUM + ' is not installed (apt-get install chromium)');
  try {
    playwright = await import('playwright-core');
  } catch (e) {
    skip('playwright-core is not installed (npm ci --prefix tests/ui)');
  }
  return playwright;
}

// The bureau's staff: name, roles, unit, display name, superior,
// credential, clearance.
export const STAFF = [
  ['zhang.head', 'head,approver', '局领导', '张建国', null, '32010000', 'commercial-secret,personal,sensitive-personal'],
  ['zhao.rev', 'reviewer,approver', '审批一科', '赵敏', 'zhang.head', '32010002', 'commercial-secret,personal,sensitive-personal'],
  ['li.handler', 'handler,officer,server', '审批一科', '李明', 'zhao.rev', '32010001', 'commercial-secret,personal,sensitive-personal'],
  ['sun.officer', 'handler,officer,server', '审批一科', '孙伟', 'zhao.rev', '32010004', 'commercial-secret,personal,sensitive-personal'],
  ['wang.clerk', 'clerk,server', '政务服务窗口', '王芳', 'zhao.rev', null, 'personal'],
  ['qian.legal', 'legal', '政策法规科', '钱立', 'zhang.head', '32010005', 'commercial-secret,personal,sensitive-personal'],
  ['chen.archive', 'archivist', '办公室', '陈静', 'zhang.head', null, 'commercial-secret,personal,sensitive-personal'],
  ['zhou.super', 'supervisor,case-auditor', '区司法局执法监督科', '周正', null, null, 'commercial-secret,personal'],
  ['wu.noclear', 'handler', '审批二科', '吴新', 'zhao.rev', '32010008', 'none'],
  ['sys.admin', 'sysadmin', '信息中心', '郑系统', null, null, 'none'],
  ['sec.admin', 'secadmin', '信息中心', '冯保密', null, null, 'none'],
  ['audit.sec', 'auditor', '信息中心', '褚审计', null, null, 'none'],
];

export const ADMIN_ROLES = ['sysadmin', 'secadmin', 'auditor'];

export function ct(args, opts = {}) {
  return execFileSync(BIN, args, { encoding: 'utf-8', stdio: ['pipe', 'pipe', 'pipe'], ...opts });
}

// A new store in a temporary folder with STAFF registered; returns
// {dir, tmp, passwords: {name: one-time password}}.
export function makeStore() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'casetrail-ui-'));
  const dir = path.join(tmp, 'store');
  ct(['init', '--dir', dir, '--host', 'ui.test', '--no-admin']);
  const passwords = {};
  for (const [name, roles, unit, display, sup, cred] of STAFF) {
    const args = ['user', 'add', name, '--role', roles, '--unit', unit, '--display-name', display,
      '--password', '--dir', dir, '--as', 'admin'];
    if (sup) args.push('--superior', sup);
    if (cred) args.push('--credential', cred, '--credential-valid-until', '2030-12-31');
    passwords[name] = JSON.parse(ct(args)).one_time_password;
  }
  for (const [name, , , , , , clearance] of STAFF)
    if (clearance !== 'none') ct(['user', 'clearance', name, clearance, '--dir', dir, '--as', 'sec.admin']);
  return { dir, tmp, passwords };
}

// Starts casetrail serve on a free loopback port; returns {url, proc,
// log(), stop()}.
export async function startServer(store, env = {}) {
  const logFile = path.join(store.tmp, 'serve.log');
  const out = fs.openSync(logFile, 'a');
  const proc = spawn(BIN, ['serve', '--dir', store.dir, '--listen', '127.0.0.1:0', '--web', path.join(SRC, 'web')], {
    stdio: ['ignore', out, out],
    env: { ...process.env, CASETRAIL_LOGIN_RATE: '1000', ...env },
  });
  const log = () => fs.readFileSync(logFile, 'utf-8');
  const deadline = Date.now() + 30000;
  for (;;) {
    const m = /msg="?listening"? addr=127\.0\.0\.1:(\d+)/.exec(log());
    if (m) {
      const url = 'http://127.0.0.1:' + m[1];
      return { url, proc, log, stop: () => stopProc(proc) };
    }
    if (proc.exitCode !== null) throw new Error('casetrail serve exited ' + proc.exitCode + ':\n' + log());
    if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error('no listening line:\n' + log()); }
    await new Promise((r) => setTimeout(r, 30));
  }
}

function stopProc(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve();
    proc.once('exit', resolve);
    proc.kill('SIGTERM');
    setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
  });
}

export async function launch() {
  const pw = await requireBrowser();
  return pw.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--lang=zh-CN'],
  });
}

// A browser context at the bureau's desktop size (1366x768), in Chinese.
export async function newPage(browser, opts = {}) {
  const context = await browser.newContext({
    viewport: opts.viewport || { width: 1366, height: 768 },
    locale: opts.locale || 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    acceptDownloads: true,
    hasTouch: !!opts.hasTouch,
  });
  const page = await context.newPage();
  page.consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') page.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
  // Generous, because the sanitizer builds reply three times slower.
  page.setDefaultTimeout(30000);
  return page;
}

// The RFC 6238 code of base32 secret at time step.
export function totp(secret, step = Math.floor(Date.now() / 30000)) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const d = createHmac('sha1', key).update(msg).digest();
  const o = d[d.length - 1] & 15;
  return String((d.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

const known = {}; // name -> {password, secret, lastStep}

export function passwordOf(name) {
  return known[name] && known[name].password;
}

// Signs name in through the login page, changing the one-time password
// and enrolling TOTP the first time, and waits for the work list.
export async function login(page, server, store, name) {
  await page.goto(server.url + '/#/login');
  const me = known[name] || (known[name] = { password: store.passwords[name] });
  await page.getByLabel('用户名').fill(name);
  await page.getByLabel('密码', { exact: true }).fill(me.password);
  await page.getByRole('button', { name: '登录' }).click();
  const heading = page.locator('main h1').first();
  await page.waitForFunction(() => !document.querySelector('main button[aria-busy]'));
  for (let i = 0; i < 4; i++) {
    await page.waitForTimeout(50);
    const text = (await heading.textContent({ timeout: 10000 })) || '';
    if (text.includes('设置新密码')) {
      const next = 'Kt7-vQ-mZ-' + Math.random().toString(36).slice(2, 8) + '-pLw';
      await page.getByLabel('当前密码').fill(me.password);
      await page.getByLabel('新密码', { exact: true }).fill(next);
      await page.getByLabel('再次输入新密码').fill(next);
      await page.getByRole('button', { name: '修改密码' }).click();
      me.password = next;
      await page.waitForFunction(() => !/设置新密码/.test(document.querySelector('main h1')?.textContent || ''));
    } else if (text.includes('绑定验证器')) {
      if (!me.secret) {
        await page.getByRole('button', { name: '生成密钥' }).click();
        me.secret = (await page.locator('code.secret').textContent()).trim();
      }
      await enterCode(page, me);
    } else if (text.includes('动态口令')) {
      await enterCode(page, me);
    } else {
      break;
    }
  }
  await page.waitForSelector('#top:not([hidden])');
  return me;
}

async function enterCode(page, me) {
  // A code is accepted once: wait for the next step after the last used.
  let step = Math.floor(Date.now() / 30000);
  if (me.lastStep !== undefined && step <= me.lastStep) {
    await page.waitForTimeout((me.lastStep + 1) * 30000 - Date.now() + 200);
    step = me.lastStep + 1;
  }
  me.lastStep = step;
  await page.getByLabel('动态口令（6 位数字）').fill(totp(me.secret, step));
  await page.getByRole('button', { name: '验证' }).click();
  await page.waitForSelector('#top:not([hidden])');
}

export async function logout(page) {
  await page.getByRole('button', { name: '退出' }).click();
  await page.getByLabel('用户名').waitFor();
}

// Saves a full-page screenshot as <build>/ui-screenshots/NAME.png.
export async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true });
}

// A bearer token for the API calls a test makes to set a scene quickly.
export function token(store, user) {
  return ct(['token', 'create', '--user', user, '--dir', store.dir]).trim().split(/\s+/).pop();
}

export async function api(server, tok, method, p, body) {
  const r = await fetch(server.url + p, {
    method,
    headers: { Authorization: 'Bearer ' + tok, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  return { status: r.status, json, text, headers: r.headers };
}

export function cleanup(store) {
  if (store && store.tmp) fs.rmSync(store.tmp, { recursive: true, force: true });
}
