// The work list, the case search and the window intake. The tests cover
// 黄牌 and 红牌 rows for cases received days ago, and sorting, filtering,
// searching and paging over more than 50 cases. They cover what waits for
// a handler, the head, a reviewer and an approver, and a clerk's
// supplement notice, acceptance and refusal with their documents. They
// check the receipt of a supplement, and that markup typed into every
// text field shows as typed.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  requireBrowser, makeStore, startServer, launch, newPage, login, shot, cleanup, token, api, passwordOf,
} from './lib.mjs';

await requireBrowser();
const store = makeStore();
const server = await startServer(store);
const browser = await launch();
const clerkTok = token(store, 'wang.clerk');
const headTok = token(store, 'zhang.head');

test.after(async () => { await browser.close(); await server.stop(); cleanup(store); });

const SCRIPT = '<script>alert(1)</script>';
const IMG = '<img src=x onerror=alert(1)>';

// A 1x1 PNG, the stand-in for a scanned seal.
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010800000000' +
  '3a7e9b550000000a4944415478da63f80f00010101001bb6ee560000000049454e44ae426082', 'hex');

function cstDay(offsetDays) {
  return new Date(Date.now() + offsetDays * 86400000).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
}

async function upload(tok, bytes) {
  const r = await fetch(server.url + '/api/v1/uploads', { method: 'POST', headers: { Authorization: 'Bearer ' + tok }, body: bytes });
  assert.equal(r.status, 201);
  return (await r.json()).hash;
}

async function newCase(applicant, daysAgo, extra = {}) {
  const r = await api(server, clerkTok, 'POST', '/api/v1/cases', {
    matter: 'spjy-xk', applicant, received: cstDay(-daysAgo) + 'T09:00:00+08:00', channel: 'window', materials: ['sqs'], ...extra,
  });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
}

function sealed(user, role) {
  const at = new Date().toISOString();
  return [{ role, person: user, method: 'staff', at }, { role: 'seal', person: '曹阳区行政审批局', method: 'seal', attachment: 0, at }];
}

// Records that a page fires no dialog (an alert would mean markup ran).
function watchDialogs(page) {
  const fired = [];
  page.on('dialog', (d) => { fired.push(d.message()); d.dismiss().catch(() => {}); });
  return fired;
}

async function injected(page) {
  return page.evaluate(() => document.querySelectorAll('main script, main img[src="x"], main img[onerror]').length);
}

// Cases received 0 to 14 days ago, one per day. The server's warnings
// decide which are yellow and which red.
const dated = [];
let redIds = [];
let yellowIds = [];
let supplementCase = null;
let handlerCase = null;

test('scene: dated cases, 60 more, an assigned case', async () => {
  for (let d = 0; d <= 14; d++) dated.push(await newCase('期限测试' + String(d).padStart(2, '0') + '有限公司', d, { applicant_id: '91320102MA1W8' + String(d).padStart(5, '0') }));
  await newCase(SCRIPT, 1, { applicant_id: '91320102XSS000001', contact: IMG, address: SCRIPT + IMG });
  await newCase(IMG, 1);
  await Promise.all(Array.from({ length: 60 }, (_, i) => newCase('批量申请' + String(i).padStart(2, '0') + '商贸有限公司', 0)));
  const w = await api(server, clerkTok, 'GET', '/api/v1/warnings');
  assert.equal(w.status, 200);
  // A case is red when any of its limits is overdue, else yellow.
  redIds = [...new Set(w.json.items.filter((x) => x.color === 'red').map((x) => x.case))];
  yellowIds = [...new Set(w.json.items.filter((x) => x.color === 'yellow').map((x) => x.case))].filter((id) => !redIds.includes(id));
  assert.ok(redIds.length > 0, 'a case received 14 days ago is overdue');
  assert.ok(yellowIds.length > 0, 'some case is due within 3 working days');

  // A case accepted and assigned to li.handler.
  handlerCase = await newCase('承办测试餐饮有限公司', 1);
  const seal = await upload(clerkTok, PNG);
  let r = await api(server, clerkTok, 'POST', `/api/v1/cases/${handlerCase}/records`, {
    kind: 'material-receipt', attachments: [seal],
    fields: { received: [{ code: 'sqs', name: '食品经营许可申请书', copies: 1, original: true }], receipt_date: cstDay(0), signatures: sealed('wang.clerk', 'clerk') },
  });
  assert.equal(r.status, 201, r.text);
  r = await api(server, clerkTok, 'POST', `/api/v1/cases/${handlerCase}/records`, {
    kind: 'acceptance-notice', attachments: [seal], fields: { accepted_on: cstDay(0), signatures: sealed('wang.clerk', 'clerk') },
  });
  assert.equal(r.status, 201, r.text);
  r = await api(server, headTok, 'POST', `/api/v1/cases/${handlerCase}/records`, {
    kind: 'assignment', fields: { handler: 'li.handler', reviewer: 'zhao.rev', approver: 'zhang.head',
      signatures: [{ role: 'approver', person: 'zhang.head', method: 'staff', at: new Date().toISOString() }] },
  });
  assert.equal(r.status, 201, r.text);
});

test('work list shows 黄牌 and 红牌 rows', async () => {
  const page = await newPage(browser);
  const dialogs = watchDialogs(page);
  await login(page, server, store, 'wang.clerk');
  await page.locator('main h1', { hasText: '我的待办' }).waitFor();
  await page.locator('.work-list table').waitFor();
  await page.locator('.digest .tiles').waitFor();
  assert.match(await page.locator('.digest').textContent(), /红牌/);
  // Sorted by time left, the red rows come first.
  const firstRow = page.locator('.work-list tbody tr').first();
  assert.ok((await firstRow.getAttribute('class')).includes('red'));
  assert.match(await firstRow.textContent(), /红牌/);
  assert.match(await firstRow.textContent(), /已超期/);
  await shot(page, 'work-worklist');

  await page.getByLabel('预警').selectOption('red');
  await page.getByRole('button', { name: '查询' }).click();
  await page.locator('.work-list .list-count', { hasText: `共 ${redIds.length} 件` }).waitFor();
  const reds = await page.locator('.work-list tbody tr').evaluateAll((rows) => rows.map((r) => [r.className, r.querySelector('a').textContent]));
  assert.deepEqual(reds.map((r) => r[1]).sort(), [...redIds].sort());
  for (const [cls] of reds) assert.equal(cls, 'red');

  await page.getByLabel('预警').selectOption('yellow');
  await page.getByRole('button', { name: '查询' }).click();
  await page.locator('.work-list .list-count', { hasText: `共 ${yellowIds.length} 件` }).waitFor();
  const yellows = await page.locator('.work-list tbody tr').evaluateAll((rows) => rows.map((r) => [r.className, r.querySelector('a').textContent, r.textContent]));
  assert.deepEqual(yellows.map((r) => r[1]).sort(), [...yellowIds].sort());
  for (const [cls, , text] of yellows) {
    assert.equal(cls, 'yellow');
    assert.match(text, /黄牌/);
  }
  await shot(page, 'work-worklist-yellow');
  assert.deepEqual(dialogs, []);
  await page.context().close();
});

test('work list sorts, searches and pages', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'wang.clerk');
  await page.locator('.work-list table').waitFor();
  const total = 15 + 2 + 60;
  await page.locator('.work-list .list-count', { hasText: `共 ${total} 件` }).waitFor();
  assert.equal(await page.locator('.work-list tbody tr').count(), 50);
  assert.match(await page.locator('.work-list .pager').first().textContent(), /第 1 \/ 2 页/);
  assert.equal(await page.locator('.work-list .pager').count(), 2);
  await page.locator('.work-list .pager').last().getByRole('button', { name: '下一页' }).click();
  await page.locator('.work-list .pager', { hasText: '第 2 / 2 页' }).first().waitFor();
  assert.equal(await page.locator('.work-list tbody tr').count(), total - 50);

  await page.getByRole('button', { name: /^申请人/ }).click();
  await page.locator('.work-list .pager', { hasText: '第 1 / 2 页' }).first().waitFor();
  const names = await page.locator('.work-list tbody tr .applicant .name').allTextContents();
  assert.deepEqual(names, [...names].sort());
  assert.equal(await page.locator('th[aria-sort="ascending"]').textContent().then((s) => s.includes('申请人')), true);
  await page.getByRole('button', { name: /^申请人/ }).click();
  await page.locator('th[aria-sort="descending"]').waitFor();
  const desc = await page.locator('.work-list tbody tr .applicant .name').allTextContents();
  assert.deepEqual(desc, [...desc].sort().reverse());

  await page.getByRole('button', { name: /^案件编号/ }).click();
  const ids = await page.locator('.work-list tbody tr a.case-link').allTextContents();
  assert.deepEqual(ids, [...ids].sort());

  // Search by credit code finds the one case.
  await page.getByRole('searchbox', { name: '搜索' }).fill('91320102MA1W800014');
  await page.getByRole('button', { name: '查询' }).click();
  await page.locator('.work-list .list-count', { hasText: '共 1 件' }).waitFor();
  assert.equal(await page.locator('.work-list tbody tr a.case-link').textContent(), dated[14]);
  // By case number.
  await page.getByRole('searchbox', { name: '搜索' }).fill(dated[3]);
  await page.getByRole('button', { name: '查询' }).click();
  await page.locator('.work-list tbody tr a.case-link', { hasText: dated[3] }).waitFor();
  assert.equal(await page.locator('.work-list tbody tr').count(), 1);
  // The row links to the case page.
  assert.equal(await page.locator('.work-list tbody tr a.case-link').getAttribute('href'), '#/cases/' + dated[3]);
  await page.getByRole('button', { name: '清除条件' }).click();
  await page.locator('.work-list .list-count', { hasText: `共 ${total} 件` }).waitFor();
  await page.context().close();
});

test('work list on a portrait tablet', async () => {
  const page = await newPage(browser, { viewport: { width: 800, height: 1280 } });
  await login(page, server, store, 'wang.clerk');
  await page.locator('.work-list table').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, 'no sideways scrolling at 800 px, got ' + overflow);
  await shot(page, 'work-worklist-800');
  await page.context().close();
});

test('a handler sees the case assigned to them', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'li.handler');
  await page.locator('.work-list .list-count').waitFor();
  const rows = page.locator('.work-list tbody tr', { hasText: handlerCase });
  await rows.waitFor();
  assert.match(await rows.textContent(), /待审查/);
  assert.match(await page.locator('.work-list .list-count').textContent(), /共 1 件/);
  await page.context().close();
});

test('reviewer and approver see the proposal at their step', async () => {
  const id = await newCase('审批测试餐饮有限公司', 1);
  const seal = await upload(clerkTok, PNG);
  const add = async (tok, kind, fields, attachments) => {
    const r = await api(server, tok, 'POST', `/api/v1/cases/${id}/records`, { kind, fields, attachments });
    assert.equal(r.status, 201, kind + ': ' + r.text);
  };
  const now = () => new Date().toISOString();
  await add(clerkTok, 'material-receipt', { received: [{ code: 'sqs', name: '食品经营许可申请书', copies: 1, original: true }],
    receipt_date: cstDay(0), signatures: sealed('wang.clerk', 'clerk') }, [seal]);
  await add(clerkTok, 'acceptance-notice', { accepted_on: cstDay(0), signatures: sealed('wang.clerk', 'clerk') }, [seal]);
  // Accepted but not assigned: the head assigns a handler.
  const head = await newPage(browser);
  await login(head, server, store, 'zhang.head');
  await head.getByRole('searchbox', { name: '搜索' }).fill(id);
  await head.getByRole('button', { name: '查询' }).click();
  await head.locator('.work-list tbody tr', { hasText: '待分派承办人' }).waitFor();

  await add(headTok, 'assignment', { handler: 'li.handler', reviewer: 'zhao.rev', approver: 'zhang.head',
    signatures: [{ role: 'approver', person: 'zhang.head', method: 'staff', at: now() }] });
  await add(token(store, 'li.handler'), 'proposed-decision', { result: 'grant', opinion: '建议准予许可',
    reasons: '申请材料齐全，现场核查符合要求。', basis: [{ law: 'xzxkf', version: '2019-04-23', article: 38, paragraph: 1 }],
    factors: ['材料', '现场核查'], signatures: [{ role: 'handler', person: 'li.handler', method: 'staff', at: now() }] });

  const rev = await newPage(browser);
  await login(rev, server, store, 'zhao.rev');
  const row = rev.locator('.work-list tbody tr', { hasText: id });
  await row.waitFor();
  assert.match(await row.textContent(), /待审核/);
  assert.equal(await row.getByRole('link', { name: '去审批' }).getAttribute('href'), '#/approvals');
  await shot(rev, 'work-worklist-reviewer');

  // Before the review the approver has nothing to do on the case.
  await head.reload();
  await head.locator('.work-list .list-count').waitFor();
  assert.equal(await head.locator('.work-list tbody tr', { hasText: id }).count(), 0);
  await add(token(store, 'zhao.rev'), 'approval-step', { step: 'review', opinion: 'agree', reasons: '同意承办人意见。',
    signatures: [{ role: 'reviewer', person: 'zhao.rev', method: 'staff', at: now() }] });
  await head.reload();
  await head.locator('.work-list tbody tr', { hasText: id }).waitFor();
  assert.match(await head.locator('.work-list tbody tr', { hasText: id }).textContent(), /待批准/);
  await rev.reload();
  await rev.locator('.work-list .list-count').waitFor();
  assert.equal(await rev.locator('.work-list tbody tr', { hasText: id }).count(), 0);
  await head.context().close();
  await rev.context().close();
});

test('case search filters by stage and searches', async () => {
  const page = await newPage(browser);
  const dialogs = watchDialogs(page);
  await login(page, server, store, 'zhao.rev');
  await page.goto(server.url + '/#/cases');
  await page.locator('.case-list table').waitFor();
  await page.locator('.case-list .list-count', { hasText: '共 79 件' }).waitFor();
  await page.getByLabel('阶段').selectOption('investigation');
  await page.getByRole('button', { name: '查询' }).click();
  await page.locator('.case-list .list-count', { hasText: '共 1 件' }).waitFor();
  assert.equal(await page.locator('.case-list tbody a.case-link').textContent(), handlerCase);
  await page.getByRole('button', { name: '清除条件' }).click();
  await page.getByRole('searchbox', { name: '搜索' }).fill('期限测试');
  await page.getByRole('button', { name: '查询' }).click();
  await page.locator('.case-list .list-count', { hasText: '共 15 件' }).waitFor();
  await page.getByRole('button', { name: /^收件时间/ }).click();
  const received = await page.locator('.case-list tbody tr td:nth-child(6)').allTextContents();
  assert.deepEqual(received, [...received].sort());
  await page.getByLabel('预警').selectOption('red');
  await page.getByRole('button', { name: '查询' }).click();
  await page.locator('.case-list .list-count', { hasText: `共 ${redIds.filter((id) => dated.includes(id)).length} 件` }).waitFor();
  await shot(page, 'work-cases');
  assert.deepEqual(dialogs, []);
  await page.context().close();
});

test('markup in applicant fields shows as typed', async () => {
  const page = await newPage(browser);
  const dialogs = watchDialogs(page);
  await login(page, server, store, 'wang.clerk');
  await page.getByRole('searchbox', { name: '搜索' }).fill('alert(1)');
  await page.getByRole('button', { name: '查询' }).click();
  await page.locator('.work-list .list-count', { hasText: '共 2 件' }).waitFor();
  const names = await page.locator('.work-list tbody .applicant .name').allTextContents();
  assert.deepEqual(names.sort(), [SCRIPT, IMG].sort());
  assert.equal(await injected(page), 0);
  await page.goto(server.url + '/#/cases?q=' + encodeURIComponent('alert(1)'));
  await page.locator('.case-list .list-count', { hasText: '共 2 件' }).waitFor();
  assert.deepEqual((await page.locator('.case-list tbody .applicant .name').allTextContents()).sort(), [SCRIPT, IMG].sort());
  assert.equal(await injected(page), 0);
  assert.deepEqual(dialogs, []);
  await page.context().close();
});

// Fills the intake form up to the outcome; materials: codes to mark.
async function fillIntake(page, applicant, { materials, text = null }) {
  await page.goto(server.url + '/#/intake');
  await page.getByLabel('查找事项').fill('食品经营许可');
  await page.getByRole('button', { name: /^食品经营许可\s*spjy-xk/ }).click();
  await page.getByLabel('申请人名称或姓名').fill(applicant);
  await page.getByLabel('统一社会信用代码或身份证件号码').fill(text || '91320102MA1W8XYP3K');
  await page.getByLabel('联系电话').fill(text || '13912345678');
  await page.getByLabel('联系地址').fill(text || '曹阳区人民路8号');
  for (const code of materials) await page.locator(`table.materials tr:has(.code:text-is("${code}")) input[type=checkbox]`).first().check();
  if (text) for (const note of await page.locator('table.materials input[aria-label^="备注"]').all()) await note.fill(text);
}

async function chooseSeal(page) {
  const input = page.locator('input[name="seal"]');
  if (await input.isVisible()) await input.setInputFiles({ name: 'seal.png', mimeType: 'image/png', buffer: PNG });
  await page.getByLabel('签名密码').fill(passwordOf('wang.clerk'));
}

// Clicks the save button and returns the popup that shows the document.
async function saveAndPrint(page) {
  const popup = page.waitForEvent('popup');
  const issued = page.waitForResponse((r) => r.request().method() === 'POST' && /\/documents$/.test(r.url()));
  await page.getByRole('button', { name: '登记并出具文书' }).click();
  const response = await issued;
  assert.equal(response.status(), 200);
  assert.equal(response.headers()['content-type'], 'application/pdf');
  const win = await popup;
  await win.waitForURL(/^blob:/);
  await win.close();
  await page.locator('main h1', { hasText: '已登记' }).waitFor();
  return (await page.locator('.done-line').textContent()).match(/\d{4}-\d{6}/)[0];
}

async function documents(caseId) {
  const r = await api(server, clerkTok, 'GET', `/api/v1/cases/${caseId}/documents`);
  assert.equal(r.status, 200);
  return r.json.items.map((d) => d.document);
}

test('clerk issues the one-time supplement notice', async () => {
  const page = await newPage(browser);
  const dialogs = watchDialogs(page);
  await login(page, server, store, 'wang.clerk');
  await fillIntake(page, '补正测试餐饮有限公司', { materials: ['sqs', 'yyzz'] });
  await page.getByLabel('一次性告知补正').check();
  // Every required material not received is preselected.
  const missing = await page.locator('fieldset.missing input:checked').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(missing.sort(), ['aqry', 'bjt', 'glzd']);
  await page.getByLabel('补正要求说明').fill('设备布局图须标明面积。');
  await chooseSeal(page);
  await shot(page, 'work-intake-supplement');
  supplementCase = await saveAndPrint(page);
  assert.match(await page.locator('.done').textContent(), /曹审批补〔\d{4}〕\d+号/);
  assert.ok((await documents(supplementCase)).includes('supplement-notice'));
  const c = await api(server, clerkTok, 'GET', `/api/v1/cases/${supplementCase}`);
  const notice = c.json.records.find((r) => r.kind === 'supplement-notice');
  assert.deepEqual([...notice.fields.missing].sort(), ['aqry', 'bjt', 'glzd']);
  assert.equal(notice.fields.details, '设备布局图须标明面积。');
  assert.ok(notice.fields.due_on);
  // The material receipt prints too.
  const popup = page.waitForEvent('popup');
  const issued = page.waitForResponse((r) => r.request().method() === 'POST' && /\/documents$/.test(r.url()));
  await page.getByRole('button', { name: '打印材料接收凭证' }).click();
  assert.equal((await issued).headers()['content-type'], 'application/pdf');
  await (await popup).close();
  assert.ok((await documents(supplementCase)).includes('material-receipt'));
  await shot(page, 'work-intake-done');
  assert.deepEqual(dialogs, []);
  await page.context().close();
});

test('clerk receives the supplement and accepts', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'wang.clerk');
  await page.getByRole('searchbox', { name: '搜索' }).fill(supplementCase);
  await page.getByRole('button', { name: '查询' }).click();
  const row = page.locator('.work-list tbody tr', { hasText: supplementCase });
  await row.waitFor();
  assert.match(await row.textContent(), /待接收补正材料/);
  await row.getByRole('link', { name: '接收补正材料' }).click();
  await page.locator('main h1', { hasText: '接收补正材料' }).waitFor();
  assert.match(await page.locator('main').textContent(), /曹审批补/);
  for (const code of ['bjt', 'glzd', 'aqry']) await page.locator(`table.materials tr:has(.code:text-is("${code}")) input[type=checkbox]`).first().check();
  await chooseSeal(page);
  await shot(page, 'work-intake-receive-supplement');
  await saveAndPrint(page);
  assert.ok((await documents(supplementCase)).includes('acceptance-notice'));
  const c = await api(server, clerkTok, 'GET', `/api/v1/cases/${supplementCase}`);
  assert.equal(c.json.stage, 'investigation');
  assert.deepEqual(c.json.materials.missing, []);
  await page.context().close();
});

test('clerk decides on a registered application', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'wang.clerk');
  await page.getByRole('searchbox', { name: '搜索' }).fill(dated[0]);
  await page.getByRole('button', { name: '查询' }).click();
  const row = page.locator('.work-list tbody tr', { hasText: dated[0] });
  await row.waitFor();
  assert.match(await row.textContent(), /待受理/);
  await row.getByRole('link', { name: '受理审查' }).click();
  await page.locator('main h1', { hasText: '受理审查' }).waitFor();
  // sqs came with the application; the notice lists every other material.
  await page.getByLabel('一次性告知补正').check();
  const missing = await page.locator('fieldset.missing input:checked').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(missing.sort(), ['aqry', 'bjt', 'glzd', 'yyzz']);
  await page.locator('table.materials tr:has(.code:text-is("yyzz")) input[type=checkbox]').first().check();
  assert.equal(await page.locator('fieldset.missing input[value="yyzz"]').isChecked(), false);
  await chooseSeal(page);
  await shot(page, 'work-intake-decide');
  await saveAndPrint(page);
  assert.ok((await documents(dated[0])).includes('supplement-notice'));
  await page.context().close();
});

test('clerk accepts a complete application', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'wang.clerk');
  await fillIntake(page, '受理测试餐饮有限公司', { materials: ['sqs', 'yyzz', 'bjt', 'glzd', 'aqry'] });
  assert.equal(await page.locator('.id-warning').textContent(), '');
  await page.getByLabel('统一社会信用代码或身份证件号码').fill('9132-bad');
  await page.getByLabel('联系电话').focus();
  assert.match(await page.locator('.id-warning').textContent(), /请核对/);
  await page.getByLabel('统一社会信用代码或身份证件号码').fill('320102199001011234');
  await page.getByLabel('联系电话').focus();
  assert.equal(await page.locator('.id-warning').textContent(), '');
  assert.match(await page.getByLabel('作出决定的期限告知').inputValue(), /个工作日内/);
  await chooseSeal(page);
  // A wrong signing password is refused before any record but the case
  // itself is stored; the right one goes on without a second case.
  const before = (await api(server, clerkTok, 'GET', '/api/v1/cases?q=' + encodeURIComponent('受理测试餐饮有限公司'))).json.total;
  await page.getByLabel('签名密码').fill('not-my-password-1A');
  await page.getByRole('button', { name: '登记并出具文书' }).click();
  await page.locator('main [role=alert]').first().waitFor();
  await page.getByLabel('签名密码').fill(passwordOf('wang.clerk'));
  const id = await saveAndPrint(page);
  const after = (await api(server, clerkTok, 'GET', '/api/v1/cases?q=' + encodeURIComponent('受理测试餐饮有限公司'))).json.total;
  assert.equal(after, before + 1);
  assert.ok((await documents(id)).includes('acceptance-notice'));
  const c = await api(server, clerkTok, 'GET', `/api/v1/cases/${id}`);
  assert.equal(c.json.stage, 'investigation');
  for (const r of c.json.records.filter((x) => ['material-receipt', 'acceptance-notice'].includes(x.kind))) {
    const sigs = await api(server, clerkTok, 'GET', `/api/v1/records/${r.seq}/signatures`);
    assert.ok(sigs.json.items.some((x) => x.user === 'wang.clerk' && x.role === 'clerk'), `record ${r.seq} is signed`);
  }
  await page.context().close();
});

test('accepting with a required material missing needs a stated reason', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'wang.clerk');
  const name = '容缺测试餐饮有限公司';
  await fillIntake(page, name, { materials: ['sqs', 'yyzz', 'bjt', 'glzd'] });
  await chooseSeal(page);
  await page.getByRole('button', { name: '登记并出具文书' }).click();
  const alert = page.locator('main [role=alert]').first();
  await alert.waitFor();
  assert.match(await alert.textContent(), /一次性告知补正/);
  const none = await api(server, clerkTok, 'GET', '/api/v1/cases?q=' + encodeURIComponent(name));
  assert.equal(none.json.total, 0, 'nothing is registered');
  await page.getByLabel('容缺受理说明').fill('依本局容缺受理清单第3项受理，申请人承诺5个工作日内补交。');
  const id = await saveAndPrint(page);
  const c = await api(server, clerkTok, 'GET', `/api/v1/cases/${id}`);
  const note = c.json.records.find((r) => r.kind === 'note' && /容缺受理/.test(r.fields.text));
  assert.ok(note, 'the reason is recorded in the case');
  assert.match(note.fields.text, /承诺5个工作日内补交/);
  await page.context().close();
});

test('clerk refuses with reasons and basis', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'wang.clerk');
  await fillIntake(page, '不予受理测试有限公司', { materials: ['sqs'] });
  await page.getByLabel('不予受理', { exact: true }).check();
  await page.getByLabel('理由', { exact: true }).fill('申请事项属于市级审批权限。');
  await page.getByLabel('有权受理的行政机关').fill('唐山市市场监督管理局');
  assert.equal(await page.locator('.citation input[aria-label="条"]').first().inputValue(), '32');
  await chooseSeal(page);
  await shot(page, 'work-intake-refuse');
  const id = await saveAndPrint(page);
  assert.ok((await documents(id)).includes('refusal'));
  const c = await api(server, clerkTok, 'GET', `/api/v1/cases/${id}`);
  const refusal = c.json.records.find((r) => r.kind === 'refusal');
  assert.equal(refusal.fields.reason_type, 'not-competent');
  assert.equal(refusal.fields.competent_authority, '唐山市市场监督管理局');
  assert.deepEqual(refusal.fields.basis[0], { law: 'xzxkf', version: '2019-04-23', article: 32, paragraph: 1, item: 2 });
  // The refusal is to be served, and wang.clerk serves documents too.
  await page.goto(server.url + '/#/?q=' + encodeURIComponent(id));
  const row = page.locator('.work-list tbody tr', { hasText: id });
  await row.waitFor();
  assert.match(await row.textContent(), /待送达/);
  await page.context().close();
});

test('markup typed into every intake field shows as typed', async () => {
  const page = await newPage(browser);
  const dialogs = watchDialogs(page);
  await login(page, server, store, 'wang.clerk');
  await fillIntake(page, SCRIPT + IMG, { materials: ['sqs'], text: IMG });
  await page.getByLabel('一次性告知补正').check();
  await page.getByLabel('补正要求说明').fill(SCRIPT + IMG);
  await chooseSeal(page);
  const id = await saveAndPrint(page);
  const c = await api(server, clerkTok, 'GET', `/api/v1/cases/${id}`);
  assert.equal(c.json.applicant, SCRIPT + IMG);
  assert.equal(c.json.contact ?? c.json.records[0].fields.contact, IMG);
  await page.goto(server.url + '/#/cases?q=' + encodeURIComponent(id));
  await page.locator('.case-list tbody .applicant .name').waitFor();
  assert.equal(await page.locator('.case-list tbody .applicant .name').textContent(), SCRIPT + IMG);
  assert.equal(await page.locator('.case-list tbody .applicant small').textContent(), IMG);
  assert.equal(await injected(page), 0);
  await page.goto(server.url + '/#/?q=' + encodeURIComponent(id));
  await page.locator('.work-list tbody .applicant .name').waitFor();
  assert.equal(await page.locator('.work-list tbody .applicant .name').textContent(), SCRIPT + IMG);
  assert.equal(await injected(page), 0);
  assert.deepEqual(dialogs, []);
  await page.context().close();
});

test('intake page before a matter is chosen', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'wang.clerk');
  await page.goto(server.url + '/#/intake');
  await page.getByLabel('查找事项').waitFor();
  assert.ok(await page.locator('.matter-results button').count() > 3);
  await page.getByLabel('类别').selectOption('confirmation');
  for (const t of await page.locator('.matter-results button .flag').allTextContents()) assert.equal(t, '行政确认');
  await shot(page, 'work-intake');
  assert.deepEqual(page.consoleErrors.filter((e) => !e.includes('401')), []);
  await page.context().close();
});
