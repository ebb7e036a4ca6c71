// The supervision pages. In the approvals inbox a reviewer agrees, a
// legal reviewer agrees and an approver returns a case, each signing with
// their password, and a wrong password is rejected with the server's
// message. The supervisory department reads the findings, the evaluation
// report (shown in the page and downloaded as PDF) and a score sheet, and
// decides a copy request. The integrity badge shows the checkpoint size.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  requireBrowser, makeStore, startServer, launch, newPage, login, passwordOf, shot as fullShot, token, api, cleanup, ct, BIN,
} from './lib.mjs';

await requireBrowser();
const store = makeStore();
const witness = await startWitness(store);
const server = await startServer(store);
const browser = await launch();
test.after(async () => {
  await browser.close();
  await server.stop();
  witness.kill('SIGTERM');
  cleanup(store);
});

// The supervisory department's witness on loopback, trusted by and
// recorded in the store, so that the server pushes to it.
async function startWitness(st) {
  const dir = path.join(st.tmp, 'witness');
  const name = 'witness.ui.test/supervision';
  ct(['witness', 'init', '--dir', dir, '--name', name]);
  const keys = path.join(st.tmp, 'bureau-keys.txt');
  fs.writeFileSync(keys, ct(['key', 'show', '--dir', st.dir]));
  const origin = ct(['checkpoint', '--now', '--dir', st.dir]).split('\n')[0];
  ct(['witness', 'trust', '--dir', dir, '--origin', origin, '--from', keys]);
  const log = path.join(st.tmp, 'witness.log');
  const out = fs.openSync(log, 'a');
  const proc = spawn(BIN, ['witness', 'serve', '--dir', dir, '--listen', '127.0.0.1:0'], { stdio: ['ignore', out, out] });
  for (let i = 0; i < 300; i++) {
    const m = /listening"? addr=(127\.0\.0\.1:\d+)/.exec(fs.readFileSync(log, 'utf-8'));
    if (m) {
      ct(['witness', 'add', '--url', 'http://' + m[1], '--name', name, '--dir', st.dir,
        '--key', path.join(dir, 'keys', 'witness-sm2.pub'), '--key', path.join(dir, 'keys', 'witness-ed25519.pub')]);
      return proc;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill('SIGKILL');
  throw new Error('the witness did not start: ' + fs.readFileSync(log, 'utf-8'));
}

// A full-page screenshot taken from the top, so that the sticky header
// stays at the top of the picture.
async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await fullShot(page, name);
}

const tokens = {};
const tok = (user) => tokens[user] || (tokens[user] = token(store, user));
const now = () => new Date(Date.now() - 60000).toISOString().replace(/\.\d+Z$/, 'Z');
const dayCst = (offset) => new Date(Date.now() + 8 * 3600e3 + offset * 86400e3).toISOString().slice(0, 10);
const staff = (role, person) => ({ role, person, method: 'staff', at: now() });
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55', 'hex');

async function upload(user) {
  const r = await fetch(server.url + '/api/v1/uploads', {
    method: 'POST', headers: { Authorization: 'Bearer ' + tok(user) },
    body: Buffer.concat([PNG, Buffer.from(String(Math.random()))]),
  });
  assert.equal(r.status, 201);
  return (await r.json()).hash;
}

async function record(id, user, kind, fields, attachments = 0) {
  const hashes = [];
  for (let i = 0; i < attachments; i++) hashes.push(await upload(user));
  const r = await api(server, tok(user), 'POST', '/api/v1/cases/' + id + '/records',
    { kind, fields, ...(attachments ? { attachments: hashes } : {}) });
  assert.equal(r.status, 201, kind + ': ' + r.text);
  return r.json;
}

// A licence case accepted `days` days ago.
async function acceptedCase(applicant, matter, materials, days) {
  const r = await api(server, tok('wang.clerk'), 'POST', '/api/v1/cases', {
    matter, applicant, applicant_id: '91320102MA1W8XYZ3K',
    received: dayCst(-days) + 'T09:00:00+08:00', materials,
  });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  await record(id, 'wang.clerk', 'acceptance-notice', {
    accepted_on: dayCst(-days), time_limit_clause: '本机关将自受理之日起二十个工作日内作出决定。',
    signatures: [staff('clerk', 'wang.clerk'), { role: 'seal', person: '曹县行政审批局', method: 'seal', attachment: 0, at: now() }],
  }, 1);
  await record(id, 'zhang.head', 'assignment', {
    handler: 'li.handler', reviewer: 'zhao.rev', approver: 'zhang.head', signatures: [staff('approver', 'zhang.head')],
  });
  return id;
}

// A food business licence case up to the handler's proposal.
async function proposedCase(applicant, matter = 'spjy-xk', materials = ['sqs', 'yyzz']) {
  const id = await acceptedCase(applicant, matter, materials, 2);
  await record(id, 'li.handler', 'proposed-decision', {
    result: 'grant', opinion: '建议准予许可', reasons: '申请材料齐全，现场核查符合要求。',
    basis: [{ law: 'xzxkf', version: '2019-04-23', article: 38, paragraph: 1 }], factors: ['材料', '现场核查'],
    signatures: [staff('handler', 'li.handler')],
  });
  return id;
}

async function caseRecords(id, kind) {
  const r = await api(server, tok('zhou.super'), 'GET', '/api/v1/cases/' + id);
  assert.equal(r.status, 200, r.text);
  return r.json.records.filter((x) => x.kind === kind);
}

const caseA = await proposedCase('甲餐饮管理有限公司');
const caseB = await proposedCase('乙餐饮管理有限公司');
const caseC = await proposedCase('丙餐饮管理有限公司');
// A private school licence is on the legal review list.
const caseD = await proposedCase('丁培训学校', 'mbxx-xk', ['sqs', 'cspzs']);
// Accepted 60 days ago and not decided: a red card.
const caseE = await acceptedCase('戊餐饮管理有限公司', 'spjy-xk', ['sqs', 'yyzz'], 60);
// B and C were reviewed already: they wait for the approver.
for (const id of [caseB, caseC]) {
  await record(id, 'zhao.rev', 'approval-step', {
    step: 'review', opinion: 'agree', reasons: '同意承办人意见。', signatures: [staff('reviewer', 'zhao.rev')],
  });
}

async function pickCase(page, id) {
  await page.locator('button.sv-item', { hasText: id }).click();
  await page.locator('.sv-detail h2', { hasText: '承办人审查意见' }).waitFor();
}

test('a reviewer agrees from the inbox, signing with the password', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'zhao.rev');
  await page.goto(server.url + '/#/approvals');
  page.consoleErrors.length = 0;
  await page.locator('.sv-group h2', { hasText: '待审核' }).waitFor();
  const list = await page.locator('.sv-list').textContent();
  assert.match(list, new RegExp(caseA));
  // zhao.rev reviewed B and C, so he may not approve them too.
  assert.doesNotMatch(list, new RegExp(caseB));
  await pickCase(page, caseA);

  const detail = await page.locator('.sv-detail').textContent();
  assert.match(detail, /准予许可/);
  assert.match(detail, /《中华人民共和国行政许可法》第三十八条第一款/);
  assert.match(detail, /甲餐饮管理有限公司/);
  await shot(page, 'approvals');

  await page.getByLabel('您的意见').fill('同意，材料齐全。<script>x</script>');
  await page.getByLabel('签名密码').fill(passwordOf('zhao.rev'));
  await page.getByRole('button', { name: '同意', exact: true }).click();
  await page.locator('.sv-act .notice').waitFor();
  assert.match(await page.locator('.sv-act .notice').textContent(), /已提交审核意见（记录 \d+），并已签名/);
  const steps = await caseRecords(caseA, 'approval-step');
  assert.equal(steps.length, 1);
  assert.equal(steps[0].actor, 'zhao.rev');
  assert.equal(steps[0].fields.step, 'review');
  assert.equal(steps[0].fields.opinion, 'agree');
  assert.equal(steps[0].fields.reasons, '同意，材料齐全。<script>x</script>');
  const sigs = await api(server, tok('zhou.super'), 'GET', '/api/v1/records/' + steps[0].seq + '/signatures');
  assert.equal(sigs.json.items.length, 1);
  assert.equal(sigs.json.items[0].role, 'reviewer');
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

test('an approver returns a case with an opinion; a wrong password is rejected', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'zhang.head');
  await page.goto(server.url + '/#/approvals');
  await page.locator('.sv-group h2', { hasText: '待批准' }).waitFor();
  await pickCase(page, caseC);
  const reason = '现场核查记录缺少经营布局图，请补充后重新报批。';
  await page.getByLabel('您的意见').fill(reason);
  await page.getByLabel('签名密码').fill('not-my-password-1');
  await page.getByRole('button', { name: '退回' }).click();
  const alert = page.locator('.sv-act [role="alert"]');
  await alert.waitFor();
  assert.match(await alert.textContent(), /the password does not open the signing key of 'zhang.head'/);
  assert.equal(await page.getByLabel('您的意见').inputValue(), reason, 'the opinion typed is kept');
  assert.equal((await caseRecords(caseC, 'approval-step')).length, 1, 'nothing stored on a wrong password');

  await pickCase(page, caseB);
  await page.getByLabel('您的意见').fill(reason);
  await page.getByLabel('签名密码').fill(passwordOf('zhang.head'));
  await page.getByRole('button', { name: '退回' }).click();
  await page.locator('.sv-act .notice').waitFor();
  const steps = await caseRecords(caseB, 'approval-step');
  const ret = steps.find((s) => s.fields.step === 'approve');
  assert.ok(ret, 'the approval step is in the case');
  assert.equal(ret.actor, 'zhang.head');
  assert.equal(ret.fields.opinion, 'disagree');
  assert.equal(ret.fields.reasons, reason);
  await page.getByRole('button', { name: '返回' }).click();
  await page.locator('.sv-list .sv-total').waitFor();
  assert.doesNotMatch(await page.locator('.sv-list').textContent(), new RegExp(caseB), 'a returned case leaves the inbox');
  await page.context().close();
});

test('a legal reviewer records an agreeing legal review', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'qian.legal');
  await page.goto(server.url + '/#/approvals');
  page.consoleErrors.length = 0;
  await page.locator('.sv-group h2', { hasText: '待法制审核' }).waitFor();
  assert.doesNotMatch(await page.locator('.sv-list').textContent(), new RegExp(caseA), 'a matter off the list needs no legal review');
  await pickCase(page, caseD);
  await page.getByLabel('签名密码').fill(passwordOf('qian.legal'));
  await page.getByRole('button', { name: '同意', exact: true }).click();
  await page.locator('.sv-act [role=alert]').getByText('请填写“主体合法”的审核意见').waitFor();
  for (const [item, opinion] of [['主体合法', '申请人主体资格合法'], ['职权合法', '属本局法定职权'], ['程序合法', '受理、核查程序合法'],
    ['证据确凿', '现场核查笔录与照片相互印证'], ['依据正确', '适用法律正确'], ['文书规范', '文书格式规范']]) {
    await page.getByLabel(item).fill(opinion);
  }
  await page.getByLabel('事实清楚').fill('申请材料与现场核查一致');
  await page.getByLabel('审核建议').fill('建议在决定书中写明办学地址。');
  await page.getByLabel('签名密码').fill(passwordOf('qian.legal'));
  await page.getByRole('button', { name: '同意', exact: true }).click();
  await page.locator('.sv-act .notice').waitFor();
  const [review] = await caseRecords(caseD, 'legal-review');
  assert.equal(review.actor, 'qian.legal');
  assert.deepEqual(review.fields.reviewers, ['qian.legal']);
  assert.equal(review.fields.opinion, 'agree');
  assert.ok(review.fields.items.some((i) => i.item === 'facts' && i.opinion === '申请材料与现场核查一致'));
  assert.equal(review.fields.suggestions, '建议在决定书中写明办学地址。');
  const sigs = await api(server, tok('zhou.super'), 'GET', '/api/v1/records/' + review.seq + '/signatures');
  assert.equal(sigs.json.items[0].role, 'legal');
  await shot(page, 'approvals-legal');
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

test('the inbox fits a tablet in portrait', async () => {
  const page = await newPage(browser, { viewport: { width: 800, height: 1280 } });
  await login(page, server, store, 'zhang.head');
  await page.goto(server.url + '/#/approvals');
  await pickCase(page, caseA);
  // The reviewer's opinion is shown as typed, markup and all.
  assert.match(await page.locator('.sv-detail').textContent(), /同意，材料齐全。<script>x<\/script>/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, 'no sideways scrolling: ' + overflow);
  await shot(page, 'approvals-800');

  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'Approvals' }).waitFor();
  await page.locator('button.sv-item', { hasText: caseA }).click();
  await page.locator('.sv-detail h2', { hasText: 'Handler\'s proposal' }).waitFor();
  assert.ok(await page.getByRole('button', { name: 'Return' }).isVisible());
  await page.context().close();
});

test('supervisor pages and copy decision', async () => {
  const records = (await api(server, tok('wang.clerk'), 'GET', '/api/v1/cases/' + caseA)).json.records;
  const req = await api(server, tok('wang.clerk'), 'POST', '/api/v1/cases/' + caseA + '/copy-requests', {
    records: records.map((r) => r.seq), requester: '甲餐饮管理有限公司', purpose: '申请行政复议',
  });
  assert.equal(req.status, 201, req.text);

  const page = await newPage(browser);
  await login(page, server, store, 'zhou.super');

  await page.goto(server.url + '/#/findings');
  page.consoleErrors.length = 0;
  await page.locator('table caption', { hasText: '问题' }).waitFor();
  await page.locator('main tbody tr').first().waitFor();
  assert.match(await page.locator('main table').textContent(), /本阶段应当制作的文书记录缺失/);
  assert.match(await page.locator('.sv-counts').textContent(), /\d/);
  await shot(page, 'findings');
  await page.getByRole('tab', { name: '黄牌/红牌预警' }).click();
  await page.locator('table caption', { hasText: '黄牌/红牌预警' }).waitFor();
  const red = page.locator('main tbody tr', { hasText: caseE });
  await red.first().waitFor();
  assert.match(await red.first().textContent(), /红牌\s*已超期 \d+ 个工作日/);
  await shot(page, 'findings-warnings');
  await page.getByRole('tab', { name: '规则说明' }).click();
  await page.locator('.sv-rules details').first().waitFor();
  await shot(page, 'findings-rules');

  await page.goto(server.url + '/#/reports');
  await page.getByRole('button', { name: '在页面中查看' }).click();
  const report = page.locator('article.sv-report-doc');
  await report.waitFor();
  assert.match(await report.locator('h1').textContent(), /考核报告/);
  assert.ok(await report.locator('table').count() > 2, 'the report tables show in the page');
  assert.equal(await report.locator('script, style').count(), 0);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: '下载 PDF' }).click(),
  ]);
  const pdf = fs.readFileSync(await download.path());
  assert.equal(pdf.subarray(0, 4).toString(), '%PDF');
  await page.getByRole('button', { name: '查看', exact: true }).click();
  const annual = page.locator('main table', { has: page.locator('caption', { hasText: '行政许可实施情况年度统计' }) });
  await annual.waitFor();
  assert.match(await annual.textContent(), /合计/);
  assert.match(await annual.locator('caption').textContent(), /行政许可实施情况年度统计 \d{4}/);
  const [csv] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: '导出并下载' }).click(),
  ]);
  assert.match(fs.readFileSync(await csv.path(), 'utf-8'), /,/);
  await page.locator('main .notice', { hasText: '已导出（日志记录' }).waitFor();
  await shot(page, 'reports');

  await page.goto(server.url + '/#/review/' + caseA);
  await page.locator('.sv-sheet tbody tr').first().waitFor();
  const sheet = await page.locator('.sv-sheet').textContent();
  assert.match(sheet, /主体合法/);
  assert.match(sheet, /总分/);
  assert.ok(await page.locator('.sv-sheet tbody tr').count() >= 5);
  await shot(page, 'review');
  await page.emulateMedia({ media: 'print' });
  assert.ok(await page.locator('nav#nav').isHidden(), 'the printed sheet leaves out the navigation');
  assert.ok(await page.getByRole('button', { name: '打印评分表' }).isHidden());
  await shot(page, 'review-print');
  await page.emulateMedia({ media: 'screen' });

  await page.goto(server.url + '/#/copies');
  await page.getByRole('link', { name: req.json.number }).click();
  await page.getByRole('heading', { name: '作出决定' }).waitFor();
  await shot(page, 'copy-request');
  await page.getByLabel('不予提供的记录 ' + records[0].seq, { exact: true }).check();
  await page.getByLabel('不予提供的理由 ' + records[0].seq).fill('涉及申请人身份证件信息');
  await page.getByRole('button', { name: '提交决定' }).click();
  await page.getByRole('button', { name: '下载复制件' }).waitFor();
  const decided = await api(server, tok('zhou.super'), 'GET', '/api/v1/copy-requests/' + req.json.id);
  assert.equal(decided.json.status, 'approved');
  const [tar] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: '下载复制件' }).click(),
  ]);
  assert.match(tar.suggestedFilename(), /^copy-.*\.tar$/);
  await page.locator('main .notice', { hasText: '已下载复制件' }).waitFor();
  const copyIds = page.locator('main table tbody td:first-child span.mono');
  await copyIds.first().waitFor();
  assert.equal(await copyIds.count(), 1, 'the copy made is listed');
  assert.match(await copyIds.textContent(), /^[0-9a-f]{8}$/);
  await shot(page, 'copy-request-approved');
  await page.goto(server.url + '/#/copies');
  await page.locator('main tbody tr').first().waitFor();
  await shot(page, 'copies');
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

test('the integrity badge shows the checkpoint size, and its page explains it', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'zhou.super');
  const badge = page.locator('#integrity-badge a.ig-badge');
  await badge.waitFor();
  const size = Number(await badge.getAttribute('data-size'));
  const note = await (await fetch(server.url + '/checkpoint')).text();
  const latest = Number(note.split('\n')[1]);
  assert.ok(size > 0, 'badge size ' + size);
  assert.ok(size <= latest, size + ' of ' + latest);
  // Green, or amber while a push to the witness is retried: never red.
  assert.match(await badge.textContent(), new RegExp('完整性(正常|需关注)' + size + ' 条'));
  assert.doesNotMatch(await badge.getAttribute('class'), /\bred\b/);
  await badge.click();
  await page.getByRole('heading', { name: '账本完整性' }).waitFor();
  assert.match(await page.locator('pre.ig-note').first().textContent(), /^ui\.test\//);
  assert.match(await page.locator('main').textContent(), /见证签名/);
  // The server pushes to the witness within seconds of starting.
  const row = page.locator('main tbody tr', { hasText: 'witness.ui.test/supervision' });
  for (let i = 0; i < 40 && !(await row.count()); i++) {
    await page.waitForTimeout(500);
    await page.getByRole('button', { name: '重新读取' }).click();
    await page.getByRole('heading', { name: '账本完整性' }).waitFor();
  }
  assert.match(await row.textContent(), /\d{4}-\d{2}-\d{2} \d{2}:\d{2}/, 'the witness cosigned');
  assert.ok(await page.locator('details summary', { hasText: '见证签名后的检查点' }).count() >= 1);
  await shot(page, 'integrity');
  await page.context().close();
});

test('a damaged blob turns the badge red after a verify', async () => {
  const [notice] = await caseRecords(caseA, 'acceptance-notice');
  const hex = notice.attachments[0].hash.split(':')[1];
  const blob = path.join(store.dir, 'blobs', 'sm3', hex.slice(0, 2), hex.slice(2, 4), hex);
  fs.chmodSync(blob, 0o600);
  fs.writeFileSync(blob, 'damaged');
  assert.throws(() => ct(['verify', '--dir', store.dir]), 'verify exits 1 on a damaged blob');

  const page = await newPage(browser);
  await login(page, server, store, 'zhou.super');
  const badge = page.locator('#integrity-badge a.ig-badge.red');
  await badge.waitFor();
  assert.match(await badge.textContent(), /完整性异常/);
  assert.match(await badge.getAttribute('aria-label'), /校验发现问题/);
  await badge.click();
  await page.locator('main .flag.bad', { hasText: '存在未消除的完整性问题' }).waitFor();
  await shot(page, 'integrity-failure');
  await page.context().close();
});
