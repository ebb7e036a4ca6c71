// One food business licence (食品经营许可) from the window to the archive.
// Each step is done in the browser by the person whose job it is, each in
// their own browser context. The clerk registers the application with a
// one-time supplement notice, receives the supplement and accepts. The
// head assigns the handler, who gives the rights notice, verifies on site
// on a tablet with the party's signature on the pad, uploads and links a
// photo and a video, and proposes the grant. The reviewer and the
// approver agree in the 审批 inbox, and the approver records and prints
// the decision. The clerk confirms the address and issues the licence,
// and the handler serves it with the recipient's signature. The head
// exports it for 双公示 and the archivist seals the case file. Every page on the way
// is saved as a screenshot (flow-NN-*.png). The end checks over the API
// that the case contains every entry in order, that no finding was raised
// and that every staff signature has its SM2 signature.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  requireBrowser, makeStore, startServer, launch, newPage, login, passwordOf, shot as fullShot, token, api, cleanup,
  SHARED, SHOTS,
} from './lib.mjs';

await requireBrowser();
const MEDIA = path.join(SHARED, 'data/media/metadata-extractor-images');
const PHOTO = path.join(MEDIA, 'jpg/Apple iPhone 6.jpg');
const VIDEO = path.join(MEDIA, 'mp4/FLIR Thermal.mp4');
const haveMedia = [PHOTO, VIDEO].every((f) => fs.existsSync(f));

const store = makeStore();
const server = await startServer(store);
const browser = await launch();
test.after(async () => { await browser.close(); await server.stop(); cleanup(store); });

// A 1x1 PNG: the stand-in for the bureau's scanned seal and a scanned
// paper signature.
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010800000000' +
  '3a7e9b550000000a4944415478da63f80f00010101001bb6ee560000000049454e44ae426082', 'hex');
const png = (name) => ({ name, mimeType: 'image/png', buffer: PNG });

const APPLICANT = '曹阳区味之源餐饮管理有限公司';
const MISSING = 'aqry';
const TABLET = { width: 800, height: 1280 };

const shots = [];
let shotNo = 0;
for (const f of fs.existsSync(SHOTS) ? fs.readdirSync(SHOTS) : []) if (/^flow-\d+-/.test(f)) fs.rmSync(path.join(SHOTS, f));
// Saves flow-NN-what.png. A page is shot whole from its top, so that the
// sticky header stays at the top of the picture. A form in a modal
// dialog is shot as the screen shows it, scrolled to the part in focus.
async function shot(page, what, focus) {
  const name = 'flow-' + String(++shotNo).padStart(2, '0') + '-' + what;
  if (await page.locator('dialog[open]').count()) {
    if (focus) await focus.scrollIntoViewIfNeeded();
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, name + '.png') });
  } else {
    await page.evaluate(() => window.scrollTo(0, 0));
    await fullShot(page, name);
  }
  shots.push(name);
}

const cstDay = (offsetDays = 0) => new Date(Date.now() + offsetDays * 864e5).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
// The CST wall time of t as a datetime-local value, to the minute or,
// with seconds, to the second.
const cstLocal = (t, seconds = false) => new Date(t.getTime() + 8 * 3600e3).toISOString().slice(0, seconds ? 19 : 16);

// Each person's own signed-in page, kept for the whole flow.
const pages = {};
async function as(user, viewport) {
  const key = user + (viewport ? '@' + viewport.width : '');
  if (!pages[key]) {
    const page = await newPage(browser, viewport ? { viewport, hasTouch: true } : {});
    page.on('dialog', (d) => { page.consoleErrors.push('dialog: ' + d.message()); d.dismiss().catch(() => {}); });
    await login(page, server, store, user);
    pages[key] = page;
  }
  return pages[key];
}

let CASE = null;
// When the acceptance was recorded: the inspection starts after it.
let acceptedAt = null;

// Opens the case on tab, loading it anew: another person's page may
// have changed it since this page last showed it.
async function openCase(page, tab = 'records') {
  const url = server.url + '/#/cases/' + CASE + '?tab=' + tab;
  if (page.url() === url) await page.reload();
  else await page.goto(url);
  await page.locator('#case-title').waitFor();
  await page.getByRole('tab', { name: tabName[tab], selected: true }).waitFor();
  if (tab === 'records') await page.locator('ol.timeline > li.record').first().waitFor();
}
const tabName = { records: '办理记录', overview: '概况', docs: '文书', evidence: '证据', archive: '归档与其他' };

// Opens 新增记录 on the records tab and chooses kind; returns the dialog
// and the kind's generated form.
async function newRecord(page, kind) {
  await openCase(page, 'records');
  await page.getByRole('button', { name: '新增记录' }).click();
  const dlg = page.locator('dialog[open]');
  await dlg.getByLabel('记录种类').selectOption(kind);
  const form = dlg.locator('.record-form[data-kind="' + kind + '"]');
  await form.waitFor();
  return { dlg, form };
}

// Signs the record with the author's password and saves it; returns its
// seq as the status line states it.
async function saveSigned(page, dlg, form, user) {
  await form.getByLabel('本人登录密码').fill(passwordOf(user));
  await dlg.getByRole('button', { name: '保存记录' }).click();
  const status = page.locator('#status').getByText(/已保存记录 #\d+/);
  await status.waitFor();
  const text = await status.textContent();
  assert.match(text, /已签名/, 'the author signed: ' + text);
  assert.equal(await dlg.count(), 0, 'the dialog closed');
  return Number(text.match(/#(\d+)/)[1]);
}

// Chooses a citation in the law widget of field name.
async function cite(form, name, law, article, paragraph) {
  const pick = form.locator('.law-pick[data-field="' + name + '"]').first();
  await pick.getByLabel('法律法规').selectOption(law);
  await pick.getByLabel('条', { exact: true }).locator('option[value="' + article + '"]').waitFor({ state: 'attached' });
  await pick.getByLabel('条', { exact: true }).selectOption(String(article));
  await pick.getByLabel('款', { exact: true }).selectOption(String(paragraph));
}

// Draws a short signature on the pad of the signer block.
async function signOnPad(page, block) {
  const canvas = block.locator('canvas.sigpad');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  assert.ok(box, 'the pad is shown');
  assert.ok(box.width > 100, 'the pad is wide enough to sign: ' + box.width);
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * 0.2, y);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + box.width * (0.2 + i * 0.05), y + Math.sin(i) * box.height * 0.2);
  await page.mouse.up();
  await block.locator('.sigpad-state', { hasText: /1/ }).waitFor();
}

// Waits for the document a button prints: the POST to /documents returns
// a PDF, read through a route because the page turns the reply into a
// blob, and a tab opens on it.
async function printed(page, click) {
  let pdf = null;
  const handler = async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const response = await route.fetch();
    pdf = { status: response.status(), type: response.headers()['content-type'], body: await response.body() };
    await route.fulfill({ response });
  };
  await page.route(/\/api\/v1\/cases\/[^/]+\/documents$/, handler);
  const popup = page.waitForEvent('popup');
  await click();
  const win = await popup;
  await win.waitForURL(/^blob:/);
  await win.close();
  await page.unroute(/\/api\/v1\/cases\/[^/]+\/documents$/, handler);
  assert.ok(pdf, 'the page asked for the document');
  assert.equal(pdf.status, 200, pdf.body.toString());
  assert.equal(pdf.type, 'application/pdf');
  assert.equal(pdf.body.subarray(0, 5).toString('latin1'), '%PDF-');
}

// Signs record seq on the case page with the user's password in role.
async function staffSign(page, user, seq, role) {
  const item = page.locator('#rec-' + seq);
  await item.waitFor();
  await item.getByRole('button', { name: '签名确认' }).click();
  const dlg = page.locator('dialog[open]');
  if (role) await dlg.getByLabel('签名身份').selectOption(role);
  await dlg.getByLabel('本人登录密码').fill(passwordOf(user));
  await dlg.getByRole('button', { name: '签名确认' }).click();
  await dlg.waitFor({ state: 'detached' });
  await page.locator('#status').getByText('已签名').last().waitFor();
}

async function caseJson(user = 'zhang.head') {
  const r = await api(server, tokenOf(user), 'GET', '/api/v1/cases/' + CASE);
  assert.equal(r.status, 200, r.text);
  return r.json;
}
const tokens = {};
const tokenOf = (user) => tokens[user] || (tokens[user] = token(store, user));

// The intake form up to the outcome: the matter, the applicant and the
// materials received, all but MISSING.
async function fillIntake(page) {
  await page.goto(server.url + '/#/intake');
  await page.getByLabel('查找事项').fill('食品经营许可');
  await page.getByRole('button', { name: /^食品经营许可\s*spjy-xk/ }).click();
  await page.getByLabel('申请人名称或姓名').fill(APPLICANT);
  await page.getByLabel('统一社会信用代码或身份证件号码').fill('91320102MA1W8XYZ3K');
  await page.getByLabel('联系电话').fill('13912345678');
  await page.getByLabel('联系地址').fill('曹阳区人民路8号');
  for (const code of ['sqs', 'yyzz', 'bjt', 'glzd']) {
    await page.locator(`table.materials tr:has(.code:text-is("${code}")) input[type=checkbox]`).first().check();
  }
}

async function chooseSeal(page) {
  const input = page.locator('input[name="seal"]');
  if (await input.isVisible()) await input.setInputFiles(png('seal.png'));
  await page.getByLabel('签名密码').fill(passwordOf('wang.clerk'));
}

test('clerk notifies the one missing material', async () => {
  const page = await as('wang.clerk');
  await page.locator('main h1', { hasText: '我的待办' }).waitFor();
  await shot(page, 'clerk-worklist');
  await fillIntake(page);
  await page.getByLabel('一次性告知补正').check();
  const missing = await page.locator('fieldset.missing input:checked').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(missing, [MISSING]);
  await page.getByLabel('补正要求说明').fill('请补交食品安全管理人员的身份证明和培训考核合格证明。');
  await chooseSeal(page);
  await shot(page, 'intake-supplement');
  await printed(page, () => page.getByRole('button', { name: '登记并出具文书' }).click());
  await page.locator('main h1', { hasText: '已登记' }).waitFor();
  CASE = (await page.locator('.done-line').textContent()).match(/\d{4}-\d{6}/)[0];
  await shot(page, 'intake-registered');

  const c = await caseJson('wang.clerk');
  const notice = c.records.find((r) => r.kind === 'supplement-notice');
  assert.ok(notice, 'a supplement notice is recorded');
  assert.deepEqual(notice.fields.missing, [MISSING]);
  const docs = await api(server, tokenOf('wang.clerk'), 'GET', '/api/v1/cases/' + CASE + '/documents');
  assert.ok(docs.json.items.some((d) => d.document === 'supplement-notice'), 'the supplement notice was issued');
});

test('clerk receives the supplement and accepts', async () => {
  const page = await as('wang.clerk');
  await page.goto(server.url + '/#/');
  await page.getByRole('searchbox', { name: '搜索' }).fill(CASE);
  await page.getByRole('button', { name: '查询' }).click();
  const row = page.locator('.work-list tbody tr', { hasText: CASE });
  await row.waitFor();
  assert.match(await row.textContent(), /待接收补正材料/);
  await shot(page, 'clerk-worklist-supplement');
  await row.getByRole('link', { name: '接收补正材料' }).click();
  await page.locator('main h1', { hasText: '接收补正材料' }).waitFor();
  await page.locator(`table.materials tr:has(.code:text-is("${MISSING}")) input[type=checkbox]`).first().check();
  await chooseSeal(page);
  await shot(page, 'intake-receive-supplement');
  await printed(page, () => page.getByRole('button', { name: '登记并出具文书' }).click());
  await page.locator('main h1', { hasText: '已登记' }).waitFor();
  await shot(page, 'intake-accepted');
  acceptedAt = new Date();
  const c = await caseJson('wang.clerk');
  assert.equal(c.stage, 'investigation');
  assert.deepEqual(c.materials.missing, []);
  const docs = await api(server, tokenOf('wang.clerk'), 'GET', '/api/v1/cases/' + CASE + '/documents');
  assert.ok(docs.json.items.some((d) => d.document === 'acceptance-notice'), 'the acceptance notice was issued');

  // The window's records name the clerk's staff signature, and the
  // intake signed each with the clerk's key as it was recorded.
  for (const r of c.records.filter((x) => (x.fields.signatures || []).some((s) => s.method === 'staff' && s.person === 'wang.clerk'))) {
    const sigs = await api(server, tokenOf('wang.clerk'), 'GET', '/api/v1/records/' + r.seq + '/signatures');
    assert.ok(sigs.json.items.some((x) => x.user === 'wang.clerk' && x.role === 'clerk'), 'record ' + r.seq + ' is signed');
  }
  await openCase(page, 'records');
  await shot(page, 'case-records-clerk');
});

test('head assigns the handler', async () => {
  const page = await as('zhang.head');
  const row = page.locator('.work-list tbody tr', { hasText: CASE });
  await row.waitFor();
  assert.match(await row.textContent(), /待分派承办人/);
  await shot(page, 'head-worklist');
  const { dlg, form } = await newRecord(page, 'assignment');
  await form.getByLabel('承办人').selectOption('li.handler');
  await form.getByLabel('审核人').selectOption('zhao.rev');
  await form.getByLabel('批准人', { exact: true }).first().selectOption('zhang.head');
  await shot(page, 'assignment-form');
  await saveSigned(page, dlg, form, 'zhang.head');
  const c = await caseJson();
  assert.equal(c.records.filter((r) => r.kind === 'assignment').length, 1);
});

test('handler tells the rights', async () => {
  const page = await as('li.handler');
  const row = page.locator('.work-list tbody tr', { hasText: CASE });
  await row.waitFor();
  await shot(page, 'handler-worklist');
  const { dlg, form } = await newRecord(page, 'rights-notice');
  await form.getByLabel('告知的权利').fill('陈述\n申辩\n申请回避\n申请听证');
  await form.getByLabel('告知日期').fill(cstDay(0));
  await form.getByLabel('告知方式').selectOption('written');
  const party = form.locator('fieldset.signer[data-role="party"]');
  await party.getByLabel('签名方式').selectOption('paper');
  await party.getByLabel('签名人姓名').fill('张三');
  await party.getByLabel('扫描件或照片').setInputFiles(png('rights-signed.png'));
  await shot(page, 'rights-notice-form', party);
  await saveSigned(page, dlg, form, 'li.handler');
});

let onsiteStart = null;
let videoSeq = null;
let photoSeq = null;

test('handler uploads the photo and the video', { skip: haveMedia ? false : 'the camera files of ' + MEDIA + ' are missing' }, async () => {
  const page = await as('li.handler');
  await openCase(page, 'evidence');
  await page.locator('main h2', { hasText: '音像证据' }).waitFor();
  onsiteStart = new Date(acceptedAt.getTime() + 1000);
  await page.getByLabel('拍摄设备').fill('DSJ-A7-0042');
  // The camera files were recorded years ago by other devices; the
  // officer states the time of this inspection as their capture start.
  await page.getByLabel('拍摄开始时间').fill(cstLocal(onsiteStart, true));
  await page.getByLabel('时间说明理由').fill('执法记录仪时钟未校准，按现场核查实际时间说明');
  await page.getByLabel('已删除设备内的原始文件').check();
  await page.getByLabel('选择文件（可多选）').setInputFiles([PHOTO, VIDEO]);
  for (const name of [path.basename(PHOTO), path.basename(VIDEO)]) {
    const row = page.locator('li.upload', { hasText: name });
    await row.locator('[data-state="done"], .up-status', { hasText: '已入库' }).first().waitFor({ timeout: 60000 });
  }
  await page.locator('li.media-card', { hasText: path.basename(VIDEO) }).waitFor();
  await shot(page, 'evidence-uploaded');
  const r = await api(server, tokenOf('li.handler'), 'GET', '/api/v1/media?case=' + CASE + '&limit=50');
  assert.equal(r.status, 200, r.text);
  videoSeq = r.json.items.find((m) => m.name === path.basename(VIDEO)).seq;
  photoSeq = r.json.items.find((m) => m.name === path.basename(PHOTO)).seq;
});

let onsiteSeq = null;

test('handler verifies on site on the tablet', async () => {
  const page = await as('li.handler', TABLET);
  const { dlg, form } = await newRecord(page, 'onsite-verification');
  const start = onsiteStart || new Date(acceptedAt.getTime() + 1000);
  await form.getByLabel('地点', { exact: true }).fill('曹阳区人民路8号经营场所');
  await form.getByLabel('开始时间').fill(cstLocal(start, true));
  await form.getByLabel('结束时间').fill(cstLocal(new Date(), true));
  const rows = form.locator('fieldset.list-row');
  await rows.nth(0).getByLabel('姓名').selectOption('li.handler');
  await rows.nth(0).getByLabel('执法证号').fill('32010001');
  await rows.nth(0).getByLabel('是否出示证件').selectOption('true');
  await rows.nth(1).getByLabel('姓名').selectOption('sun.officer');
  await rows.nth(1).getByLabel('执法证号').fill('32010004');
  await rows.nth(1).getByLabel('是否出示证件').selectOption('true');
  await form.getByLabel('在场人员').fill('张三（申请人法定代表人）');
  await form.getByLabel('核查情况').fill('经营场所面积、布局与申请材料一致，冷藏设施运转正常，从业人员持有健康证明。');
  await form.getByLabel('页数').fill('2');
  await form.getByLabel('页数').blur();
  const officer = form.locator('fieldset.signer[data-role="officer"]');
  await officer.getByLabel('签名人', { exact: true }).selectOption('li.handler');
  await officer.getByRole('button', { name: '增加签名人' }).click();
  await officer.locator('.sig-row').nth(1).getByLabel('签名人', { exact: true }).selectOption('sun.officer');
  await shot(page, 'onsite-officers-tablet', officer);
  const party = form.locator('fieldset.signer[data-role="party"]');
  assert.equal(await party.getByLabel('签名方式').inputValue(), 'pad');
  await party.getByLabel('签名人姓名').fill('张三');
  await signOnPad(page, party);
  assert.equal(await party.locator('.pages-pick input:checked').count(), 2, 'both pages ticked');
  if (videoSeq) {
    await form.locator('fieldset.av label.check', { hasText: '#' + videoSeq + ' ' + path.basename(VIDEO) }).locator('input').check();
  } else {
    // Without the camera files the verification states why it has no
    // recording, as the kind allows.
    await form.getByLabel('不能音像记录的理由').selectOption('equipment-failure');
    await form.getByLabel('说明', { exact: true }).fill('执法记录仪电池故障');
  }
  await form.getByLabel('签名身份').selectOption('officer');
  await shot(page, 'onsite-form-tablet', party);
  onsiteSeq = await saveSigned(page, dlg, form, 'li.handler');
  await page.locator('#rec-' + onsiteSeq).waitFor();
  await shot(page, 'onsite-saved-tablet');

  const rec = (await caseJson()).records.find((r) => r.seq === onsiteSeq);
  const partySig = rec.fields.signatures.find((s) => s.role === 'party');
  assert.equal(partySig.method, 'pad');
  assert.deepEqual(partySig.pages, [1, 2]);
  if (videoSeq) assert.deepEqual(rec.fields.av, [{ seq: videoSeq }]);
});

test('handler links the photo to the verification', { skip: haveMedia ? false : 'the camera files are missing' }, async () => {
  const page = await as('li.handler');
  await openCase(page, 'evidence');
  const card = page.locator('li.media-card', { hasText: path.basename(PHOTO) });
  await card.getByRole('button', { name: '关联记录' }).click();
  const dlg = page.locator('dialog[open]');
  await dlg.getByLabel('关联记录').selectOption(String(onsiteSeq));
  await dlg.getByRole('button', { name: '关联', exact: true }).click();
  await dlg.waitFor({ state: 'detached' });
  const r = await api(server, tokenOf('li.handler'), 'GET', '/api/v1/media/' + photoSeq);
  assert.deepEqual(r.json.links.map((l) => l.record), [onsiteSeq]);
  await shot(page, 'evidence-linked');
});

test('second officer signs the verification', async () => {
  const page = await as('sun.officer');
  await openCase(page, 'records');
  await staffSign(page, 'sun.officer', onsiteSeq, 'officer');
  await page.locator('#rec-' + onsiteSeq).locator('.sm2-list').getByText('孙伟').waitFor();
  await page.locator('#rec-' + onsiteSeq).scrollIntoViewIfNeeded();
  await shot(page, 'onsite-cosigned');
});

test('handler proposes the grant', async () => {
  const page = await as('li.handler');
  const { dlg, form } = await newRecord(page, 'proposed-decision');
  await form.getByLabel('拟办结果').selectOption('grant');
  await form.getByLabel('审查意见').fill('建议准予许可');
  await form.getByLabel('理由', { exact: true }).fill('申请材料齐全，符合法定形式；现场核查经营场所与申请材料一致。');
  await cite(form, 'basis', 'xzxkf', 38, 1);
  await form.getByLabel('考虑的有关因素').fill('申请材料\n现场核查');
  await shot(page, 'proposal-form');
  await saveSigned(page, dlg, form, 'li.handler');
  assert.equal((await caseJson()).stage, 'decision');
});

// Agrees in the 审批 inbox with the password.
async function agree(user, group, what) {
  const page = await as(user);
  await page.goto(server.url + '/#/approvals');
  await page.locator('.sv-group h2', { hasText: group }).waitFor();
  await page.locator('button.sv-item', { hasText: CASE }).click();
  await page.locator('.sv-detail h2', { hasText: '承办人审查意见' }).waitFor();
  assert.match(await page.locator('.sv-detail').textContent(), new RegExp(APPLICANT));
  await page.getByLabel('您的意见').fill('同意承办人意见。');
  await page.getByLabel('签名密码').fill(passwordOf(user));
  await shot(page, what);
  await page.getByRole('button', { name: '同意', exact: true }).click();
  await page.locator('.sv-act .notice').waitFor();
  assert.match(await page.locator('.sv-act .notice').textContent(), /并已签名/);
}

test('reviewer and approver agree in the inbox', async () => {
  await agree('zhao.rev', '待审核', 'approvals-review');
  await agree('zhang.head', '待批准', 'approvals-approve');
  const steps = (await caseJson()).records.filter((r) => r.kind === 'approval-step');
  assert.deepEqual(steps.map((s) => [s.fields.step, s.actor]), [['review', 'zhao.rev'], ['approve', 'zhang.head']]);
  const page = await as('zhang.head');
  await page.reload();
  await page.locator('.sv-group h2', { hasText: '待作出决定' }).waitFor();
  await shot(page, 'approvals-decide');
});

test('approver records the decision and prints it', async () => {
  const page = await as('zhang.head');
  const { dlg, form } = await newRecord(page, 'decision');
  await form.getByLabel('决定结果').selectOption('grant');
  await form.getByLabel('理由', { exact: true }).fill('经审查，申请符合法定条件、标准。');
  await cite(form, 'basis', 'xzxkf', 38, 1);
  await form.getByLabel('有效期自').fill(cstDay(0));
  await form.getByLabel('有效期至').fill(cstDay(365 * 5 - 1));
  await form.getByLabel('救济途径和期限').fill('如不服本决定，可在收到本决定书之日起六十日内向曹阳区人民政府申请行政复议，或在六个月内向曹阳区人民法院提起行政诉讼。');
  await form.getByLabel('决定日期').fill(cstDay(0));
  const seal = form.locator('fieldset.signer[data-role="seal"]');
  await seal.getByLabel('签名人姓名').fill('曹阳区行政审批局');
  await seal.getByLabel('扫描件或照片').setInputFiles(png('seal.png'));
  await form.getByLabel('签名身份').selectOption('approver');
  await shot(page, 'decision-form', seal);
  await saveSigned(page, dlg, form, 'zhang.head');

  await openCase(page, 'docs');
  await printed(page, () => page.getByRole('button', { name: '打印 准予行政许可决定书' }).click());
  await page.locator('tbody tr', { hasText: '准予行政许可决定书' }).waitFor();
  await shot(page, 'decision-printed');
});

test('clerk confirms the address and issues the licence', async () => {
  const page = await as('wang.clerk');
  let { dlg, form } = await newRecord(page, 'address-confirmation');
  await form.getByLabel('送达地址').fill('曹阳区人民路8号');
  await form.getByLabel('受送达人').fill('张三');
  await form.getByLabel('联系电话').fill('13912345678');
  await form.getByLabel('是否同意电子送达').selectOption('false');
  const applicant = form.locator('fieldset.signer[data-role="applicant"]');
  await applicant.getByLabel('签名方式').selectOption('paper');
  await applicant.getByLabel('签名人姓名').fill('张三');
  await applicant.getByLabel('扫描件或照片').setInputFiles(png('address-signed.png'));
  // The confirmation has no staff signer, so the form leaves the
  // author's own signature off.
  assert.equal(await form.getByLabel('保存后用本人密码签名（SM2）').isChecked(), false);
  await shot(page, 'address-form');
  await dlg.getByRole('button', { name: '保存记录' }).click();
  await page.locator('#status').getByText(/已保存记录 #\d+/).waitFor();

  ({ dlg, form } = await newRecord(page, 'licence-issue'));
  await form.getByLabel('许可证编号').fill('JY13201040012345');
  await form.getByLabel('发证日期').fill(cstDay(0));
  await shot(page, 'licence-form');
  await saveSigned(page, dlg, form, 'wang.clerk');
});

test('handler serves the licence on the tablet', async () => {
  const page = await as('li.handler', TABLET);
  const { dlg, form } = await newRecord(page, 'service-direct');
  await form.getByLabel('送达文书', { exact: true }).selectOption('licence');
  await form.getByLabel('送达时间').fill(cstLocal(new Date(Date.now() - 60e3)));
  await form.getByLabel('受送达人').fill('张三');
  await form.getByLabel('送达方式').selectOption('window');
  const recipient = form.locator('fieldset.signer[data-role="recipient"]');
  await recipient.getByLabel('签名人姓名').fill('张三');
  await signOnPad(page, recipient);
  await form.getByLabel('签名身份').selectOption('server');
  await shot(page, 'service-form-tablet', recipient);
  await saveSigned(page, dlg, form, 'li.handler');
  const c = await caseJson();
  assert.equal(c.stage, 'archive');
  await openCase(page, 'overview');
  await shot(page, 'case-overview-served');
});

test('head exports the 双公示 file', async () => {
  const page = await as('zhang.head');
  await page.goto(server.url + '/#/reports');
  const form = page.locator('form', { has: page.getByRole('heading', { name: '双公示 行政许可信息导出' }) });
  await form.getByLabel('起始日期').fill(cstDay(-1));
  await form.getByLabel('截止日期').fill(cstDay(0));
  const download = page.waitForEvent('download');
  await form.getByRole('button', { name: '导出并下载' }).click();
  const file = await download;
  const saved = path.join(store.tmp, file.suggestedFilename());
  await file.saveAs(saved);
  const csv = fs.readFileSync(saved, 'utf-8');
  assert.ok(csv.includes(APPLICANT), 'the export lists the licence: ' + csv.slice(0, 400));
  await form.locator('.notice', { hasText: '已导出' }).waitFor();
  await shot(page, 'publicity-exported');
});

test('archivist seals the case file', async () => {
  const page = await as('chen.archive');
  await openCase(page, 'archive');
  assert.match(await page.locator('.stagebar li[aria-current="step"]').textContent(), /归档/);
  await shot(page, 'archive-before');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: '封存案卷' }).click();
  const file = await download;
  assert.equal(file.suggestedFilename(), 'case-file-' + CASE + '.tar');
  const saved = path.join(store.tmp, file.suggestedFilename());
  await file.saveAs(saved);
  const tar = fs.readFileSync(saved);
  assert.ok(tar.length > 1024, 'the case file has content');
  assert.equal(tar.subarray(257, 262).toString('latin1'), 'ustar', 'the case file is a tar');
  await page.locator('#status').getByText('案卷已封存').waitFor();
  await page.locator('tbody tr').filter({ hasText: '#' }).first().waitFor();
  await shot(page, 'archive-sealed');
  const files = await api(server, tokenOf('chen.archive'), 'GET', '/api/v1/cases/' + CASE + '/case-files');
  assert.equal(files.status, 200, files.text);
  assert.equal((files.json.items || files.json).length, 1);
  // Reopened, the case stands at 归档 with its sealed file listed.
  await page.reload();
  await page.locator('#case-title').waitFor();
  assert.match(await page.locator('.stagebar li[aria-current="step"]').textContent(), /归档/);
  const sealedRow = page.locator('section', { hasText: '已封存的案卷' }).locator('tbody tr').first();
  await sealedRow.waitFor();
  assert.match(await sealedRow.textContent(), /#\d+/);
  assert.equal(await page.getByRole('button', { name: '封存案卷' }).isEnabled(), true);
  await shot(page, 'case-archived');
});

test('case has every entry in order', async () => {
  const c = await caseJson();
  // The entries the pages wrote beside the records: the issued
  // documents, the ingested and linked files and the seal.
  const media = haveMedia ? ['media-ingest', 'media-ingest'] : [];
  assert.deepEqual(c.records.map((r) => r.kind), [
    'application', 'material-receipt', 'supplement-notice', 'document-issue',
    'material-receipt', 'acceptance-notice', 'document-issue', 'assignment', 'rights-notice',
    ...media, 'onsite-verification', ...(haveMedia ? ['media-link'] : []), 'proposed-decision',
    'approval-step', 'approval-step', 'decision', 'document-issue', 'address-confirmation',
    'licence-issue', 'service-direct', 'case-file-seal',
  ]);
  const acceptance = c.records.find((r) => r.kind === 'acceptance-notice');
  const onsite = c.records.find((r) => r.kind === 'onsite-verification');
  assert.ok(new Date(onsite.fields.start) >= new Date(acceptance.happened), 'the inspection follows the acceptance');
  const seqs = c.records.map((r) => r.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  console.log('stage of ' + CASE + ' after the seal: ' + c.stage + ', status ' + c.status);
  // The export counts at the case's next evaluation, the seal's.
  assert.equal(c.deadlines.publicity.state, 'met', JSON.stringify(c.deadlines.publicity));
  for (const [name, d] of Object.entries(c.deadlines)) assert.notEqual(d.state, 'overdue', name);

  // No finding was raised, open or cured.
  const found = await api(server, tokenOf('zhang.head'), 'GET', '/api/v1/findings?case=' + CASE);
  assert.equal(found.status, 200, found.text);
  const codes = found.json.items.map((f) => f.code + (f.detail ? ' (' + f.detail + ')' : '') + (f.cured_at ? ' cured' : ' open'));
  console.log('findings of ' + CASE + ': ' + (codes.join('; ') || 'none'));
  assert.deepEqual(codes, []);

  // Every staff signature a record names has its SM2 signature, so no
  // unsigned-record finding follows at the end of tomorrow.
  for (const r of c.records) {
    const named = ((r.fields || {}).signatures || []).filter((x) => x.method === 'staff').map((x) => x.role + ':' + x.person);
    if (!named.length) continue;
    const sigs = await api(server, tokenOf('zhang.head'), 'GET', '/api/v1/records/' + r.seq + '/signatures');
    assert.equal(sigs.status, 200, sigs.text);
    const made = new Set(sigs.json.items.map((x) => x.role + ':' + (x.user || x.person || x.signer)));
    for (const n of named) assert.ok(made.has(n), r.kind + ' #' + r.seq + ' lacks the SM2 signature ' + n + ': ' + JSON.stringify(sigs.json.items));
  }
  for (const name of shots) assert.ok(fs.existsSync(path.join(SHOTS, name + '.png')), name);
  for (const [who, page] of Object.entries(pages)) {
    assert.deepEqual(page.consoleErrors.filter((e) => !/status of 4\d\d/.test(e)), [], who);
  }
});
