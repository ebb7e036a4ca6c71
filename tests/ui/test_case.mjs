// The case page. A record form built from its kind's schema saves a
// transcript with its officers, signers and the author's SM2 signature. A
// server's 422 shows beside the form and keeps what was typed. Signing
// takes the password and rejects a wrong one. A correction shows the
// original and the corrected version. A reader without clearance gets
// 内容受保护 and none of the protected text. A case of 500 records opens
// quickly and stays responsive, and typed markup shows as typed.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  requireBrowser, makeStore, startServer, launch, newPage, login, passwordOf, shot, cleanup, token, api,
} from './lib.mjs';

await requireBrowser();
const store = makeStore();
const server = await startServer(store);
const browser = await launch();
const tk = {};
for (const u of ['wang.clerk', 'li.handler', 'zhao.rev', 'zhang.head']) tk[u] = token(store, u);

test.after(async () => { await browser.close(); await server.stop(); cleanup(store); });

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
  '1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2b1d4e60000000049454e44ae426082', 'hex');
const XSS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">';
const SECRET = '核查发现申请人的秘密配方编号QX-7731';

function cst(offsetDays = 0, hour = 10) {
  const d = new Date(Date.now() + offsetDays * 864e5).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
  const t = new Date(d + 'T' + String(hour).padStart(2, '0') + ':00:00+08:00');
  return t > new Date() ? new Date(Date.now() - 60000).toISOString().replace(/\.\d+Z$/, 'Z') : d + 'T' + String(hour).padStart(2, '0') + ':00:00+08:00';
}
const day = (o = 0) => new Date(Date.now() + o * 864e5).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
const staff = (role, person) => ({ role, person, method: 'staff', at: cst() });
const seal = (i = 0) => ({ role: 'seal', person: '曹阳区行政审批局', method: 'seal', attachment: i, at: cst() });
const paper = (role, person, i = 0) => ({ role, person, method: 'paper', attachment: i, at: cst() });

let uploads = 0;
async function upload(user) {
  const r = await fetch(server.url + '/api/v1/uploads', {
    method: 'POST', headers: { Authorization: 'Bearer ' + tk[user] }, body: Buffer.concat([PNG, Buffer.from(String(++uploads))]),
  });
  assert.equal(r.status, 201);
  return (await r.json()).hash;
}

async function add(id, user, kind, fields, attach = 0) {
  const attachments = [];
  for (let i = 0; i < attach; i++) attachments.push(await upload(user));
  const r = await api(server, tk[user], 'POST', '/api/v1/cases/' + id + '/records',
    { kind, fields, ...(attachments.length ? { attachments } : {}) });
  assert.equal(r.status, 201, kind + ': ' + r.text);
  return r.json;
}

// A food business licence case at the investigation stage.
async function newCase(handler = 'li.handler') {
  const r = await api(server, tk['wang.clerk'], 'POST', '/api/v1/cases', {
    matter: 'spjy-xk', applicant: '某某餐饮管理有限公司', applicant_id: '91320102MA1W8XYZ3K', received: cst(-3, 9),
    contact: '13912345678', address: '南京市秦淮区中山南路1号', materials: ['sqs', 'yyzz'], channel: 'window',
  });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  await add(id, 'wang.clerk', 'material-receipt', {
    received: [{ code: 'sqs', name: '食品经营许可申请书', copies: 1, original: true }], receipt_date: day(-3),
    signatures: [staff('clerk', 'wang.clerk'), seal(0)],
  }, 1);
  await add(id, 'wang.clerk', 'acceptance-notice', {
    accepted_on: day(-3), time_limit_clause: '本机关将自受理之日起二十个工作日内作出决定。',
    signatures: [staff('clerk', 'wang.clerk'), seal(0)],
  }, 1);
  await add(id, 'zhang.head', 'assignment', {
    handler, reviewer: 'zhao.rev', approver: 'zhang.head', signatures: [staff('approver', 'zhang.head')],
  });
  await add(id, 'li.handler', 'rights-notice', {
    rights: ['陈述', '申辩', '申请回避', '申请听证'], told_on: day(-3), method: 'written',
    signatures: [staff('handler', 'li.handler'), paper('party', '张三')],
  }, 1);
  return id;
}

const caseA = await newCase();

async function openCase(page, id, tab = 'records') {
  await page.goto(server.url + '/#/cases/' + id + '?tab=' + tab);
  await page.locator('#case-title').waitFor();
  if (tab === 'records') await page.locator('ol.timeline > li.record').first().waitFor();
}

function record(page, seq) {
  return page.locator('#rec-' + seq);
}

test('schema form saves on-site verification', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'li.handler');
  await openCase(page, caseA);
  await page.getByRole('button', { name: '新增记录' }).click();
  const dlg = page.locator('dialog');
  await dlg.getByLabel('记录种类').selectOption('onsite-verification');
  const form = dlg.locator('.record-form[data-kind="onsite-verification"]');
  await form.waitFor();
  // Every field of the schema has its labelled widget.
  for (const label of ['地点', '开始时间', '结束时间', '核查情况', '页数', '是否告知当事人正在录音录像'])
    assert.equal(await form.getByLabel(label, { exact: true }).count(), 1, label);
  await form.getByLabel('地点', { exact: true }).fill('南京市秦淮区中山南路1号经营场所');
  await form.getByLabel('开始时间').fill(cst(-1, 9).slice(0, 16));
  await form.getByLabel('结束时间').fill(cst(-1, 10).slice(0, 16));
  // The officers: an objects field with min 2 starts with two rows.
  const rows = form.locator('fieldset.list-row');
  assert.equal(await rows.count(), 2);
  await rows.nth(0).getByLabel('姓名').selectOption('li.handler');
  await rows.nth(0).getByLabel('执法证号').fill('32010001');
  await rows.nth(0).getByLabel('是否出示证件').selectOption('true');
  await rows.nth(1).getByLabel('姓名').selectOption('sun.officer');
  await rows.nth(1).getByLabel('执法证号').fill('32010004');
  await rows.nth(1).getByLabel('是否出示证件').selectOption('true');
  await form.getByLabel('在场人员').fill('张三\n李四');
  await form.getByLabel('核查情况').fill('经营场所与申请材料一致。');
  await form.getByLabel('页数').fill('2');
  await form.getByLabel('页数').blur();
  // Signers: the officer (staff) and the party, per page, on paper.
  const officer = form.locator('fieldset.signer[data-role="officer"]');
  await officer.getByLabel('签名人', { exact: true }).selectOption('li.handler');
  await officer.getByRole('button', { name: '增加签名人' }).click();
  await officer.locator('.sig-row').nth(1).getByLabel('签名人', { exact: true }).selectOption('sun.officer');
  const party = form.locator('fieldset.signer[data-role="party"]');
  await party.getByLabel('签名方式').selectOption('paper');
  await party.getByLabel('签名人姓名').fill('张三');
  await party.getByLabel('扫描件或照片').setInputFiles({ name: 'sign.png', mimeType: 'image/png', buffer: PNG });
  assert.equal(await party.locator('.pages-pick input:checked').count(), 2, 'both pages ticked');
  assert.equal(await form.getByLabel('当事人确认语').inputValue(), '以上笔录我已看过，与我所说相符');
  await form.getByLabel('不能音像记录的理由').selectOption('equipment-failure');
  await form.getByLabel('说明', { exact: true }).fill('执法记录仪电池故障');
  await form.getByLabel('签名身份').selectOption('officer');
  await form.getByLabel('本人登录密码').fill(passwordOf('li.handler'));
  await shot(page, 'case-record-form');
  await dlg.getByRole('button', { name: '保存记录' }).click();
  await page.locator('#status').getByText(/已保存记录 #\d+ · 已签名/).waitFor();
  assert.equal(await dlg.count(), 0, 'the dialog closed');
  const item = page.locator('li.record[data-kind="onsite-verification"]');
  await item.waitFor();
  const text = await item.textContent();
  for (const s of ['现场核查笔录', '南京市秦淮区中山南路1号经营场所', '李明', '孙伟', '32010004', '音像记录设备故障', '张三'])
    assert.ok(text.includes(s), s);
  await item.locator('.sm2-list').getByText('执法人员').waitFor();
  assert.deepEqual(page.consoleErrors.filter((e) => !/warnings|status of 4/.test(e)), []);
  await page.context().close();
});

test('when conditions and citations in a form', async () => {
  // A refusal decides the acceptance review, so it is offered only on a
  // case not accepted yet.
  const opened = await api(server, tk['wang.clerk'], 'POST', '/api/v1/cases', {
    matter: 'spjy-xk', applicant: '待审查餐饮有限公司', applicant_id: '91320102MA1W8XYZ3K',
    received: cst(0, 9), channel: 'window', materials: ['sqs'],
  });
  assert.equal(opened.status, 201, opened.text);
  const page = await newPage(browser);
  await login(page, server, store, 'wang.clerk');
  await openCase(page, opened.json.id);
  await page.getByRole('button', { name: '新增记录' }).click();
  const dlg = page.locator('dialog');
  await dlg.getByLabel('记录种类').selectOption('refusal');
  const form = dlg.locator('.record-form[data-kind="refusal"]');
  await form.waitFor();
  // Enum values show in words; the conditional field appears with its condition.
  const reasons = await form.getByLabel('不予受理情形').locator('option').allTextContents();
  assert.ok(reasons.includes('不属于本局职权范围'), reasons.join(','));
  const authority = form.getByLabel('有权受理的行政机关');
  assert.ok(await authority.isHidden());
  await form.getByLabel('不予受理情形').selectOption('not-competent');
  assert.ok(await authority.isVisible());
  assert.equal(await authority.getAttribute('aria-required'), 'true');
  await form.getByLabel('不予受理情形').selectOption('other');
  assert.ok(await authority.isHidden());
  // A citation is picked down to the article and paragraph from the law library.
  const law = form.locator('fieldset[data-field="basis"] .list-row').first();
  await law.getByLabel('法律法规').selectOption('xzxkf');
  await law.getByLabel('条', { exact: true }).locator('option', { hasText: '第三十二条' }).waitFor({ state: 'attached' });
  await law.getByLabel('条', { exact: true }).selectOption('32');
  await law.getByLabel('款', { exact: true }).selectOption('1');
  assert.match(await law.getByLabel('项', { exact: true }).locator('option').nth(1).textContent(), /^第（一）项/);
  await page.context().close();
});

test('server 422 shows and keeps input', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'li.handler');
  await openCase(page, caseA);
  await page.getByRole('button', { name: '新增记录' }).click();
  const dlg = page.locator('dialog');
  // The acceptance review is decided: its outcomes are not offered again.
  const kinds = await dlg.getByLabel('记录种类').locator('option').evaluateAll((os) => os.map((o) => o.value));
  for (const k of ['supplement-notice', 'acceptance-notice', 'refusal']) assert.ok(!kinds.includes(k), k);
  await dlg.getByLabel('记录种类').selectOption('complaint');
  const form = dlg.locator('.record-form[data-kind="complaint"]');
  await form.getByLabel('投诉内容').fill(XSS);
  await form.getByLabel('收到日期').fill(day(0));
  await dlg.getByRole('button', { name: '保存记录' }).click();
  const alert = dlg.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /complainant/);
  assert.equal(await form.getByLabel('投诉内容').inputValue(), XSS, 'the text stays');
  assert.equal(await form.getByLabel('收到日期').inputValue(), day(0));
  await shot(page, 'case-record-form-error');
  // Filled in, it saves, and the markup shows as typed.
  await form.getByLabel('投诉人').fill(XSS);
  await dlg.getByRole('button', { name: '保存记录' }).click();
  await page.locator('#status').getByText(/已保存记录/).waitFor();
  const item = page.locator('li.record[data-kind="complaint"]').first();
  await item.waitFor();
  assert.ok((await item.textContent()).includes(XSS));
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.locator('main img[onerror], main script').count(), 0);
  await page.context().close();
});

test('signing takes the right password', async () => {
  const note = await add(caseA, 'li.handler', 'note', { text: '申请人电话告知将于下周补交材料。' });
  const page = await newPage(browser);
  await login(page, server, store, 'li.handler');
  await openCase(page, caseA);
  await page.locator('ol.timeline').locator('li.record').last().waitFor();
  await page.getByRole('combobox', { name: '排列' }).selectOption('new');
  const item = record(page, note.seq);
  await item.locator('.sm2').getByText('尚无电子签名').waitFor();
  await item.getByRole('button', { name: '签名确认' }).click();
  const dlg = page.locator('dialog');
  await dlg.getByLabel('本人登录密码').fill('not-my-password-1A!');
  await dlg.getByRole('button', { name: '签名确认' }).click();
  await dlg.getByRole('alert').waitFor();
  assert.ok(await dlg.isVisible(), 'the dialog stays open');
  await dlg.getByLabel('本人登录密码').fill(passwordOf('li.handler'));
  await dlg.getByRole('button', { name: '签名确认' }).click();
  await page.locator('#status').getByText('已签名').waitFor();
  await record(page, note.seq).locator('.sm2-list').getByText('记录人').waitFor();
  const sigs = await api(server, tk['li.handler'], 'GET', '/api/v1/records/' + note.seq + '/signatures');
  assert.equal(sigs.json.items.length, 1);
  assert.equal(sigs.json.items[0].role, 'author');
  await page.context().close();
});

test('correction shows both versions', async () => {
  const note = await add(caseA, 'li.handler', 'note', { text: '申请人当场补正了营业执照复印件。' });
  const page = await newPage(browser);
  await login(page, server, store, 'li.handler');
  await openCase(page, caseA);
  await page.getByRole('combobox', { name: '排列' }).selectOption('new');
  await record(page, note.seq).getByRole('button', { name: '更正' }).click();
  const dlg = page.locator('dialog');
  assert.equal(await dlg.getByLabel('说明内容').inputValue(), '申请人当场补正了营业执照复印件。', 'prefilled');
  await dlg.getByLabel('说明内容').fill('申请人当场补正了营业执照复印件和法定代表人身份证复印件。');
  await dlg.getByLabel('更正理由').fill('漏记一份材料');
  await dlg.getByRole('button', { name: '更正' }).click();
  await page.locator('#status').getByText(/已提交更正/).waitFor();
  const box = record(page, note.seq).locator('.correction-box');
  await box.waitFor();
  assert.equal(await box.locator('del').textContent(), '申请人当场补正了营业执照复印件。');
  assert.equal(await box.locator('ins').textContent(), '申请人当场补正了营业执照复印件和法定代表人身份证复印件。');
  assert.match(await box.textContent(), /漏记一份材料/);
  assert.match(await box.textContent(), /李明/);
  await record(page, note.seq).scrollIntoViewIfNeeded();
  await shot(page, 'case-correction');
  await page.context().close();
});

test('uncleared reader gets stubs only', async () => {
  // wu.noclear reaches the case as its handler, but has no clearance.
  const id = await newCase('wu.noclear');
  await add(id, 'li.handler', 'onsite-verification', {
    place: '南京市秦淮区中山南路1号经营场所', start: cst(-1, 9), end: cst(-1, 10),
    officers: [{ user: 'li.handler', credential_no: '32010001', credential_shown: true },
      { user: 'sun.officer', credential_no: '32010004', credential_shown: true }],
    findings: SECRET, pages: 1, confirmation: '以上笔录我已看过，与我所说相符',
    av_exemption: { reason: 'commercial-secret' },
    signatures: [staff('officer', 'li.handler'), staff('officer', 'sun.officer'), { ...paper('party', '张三'), pages: [1] }],
  }, 1);
  const page = await newPage(browser);
  await login(page, server, store, 'wu.noclear');
  await openCase(page, id);
  const stub = page.locator('li.record.withheld[data-kind="onsite-verification"]');
  await stub.waitFor();
  assert.match(await stub.textContent(), /内容受保护/);
  assert.match(await stub.textContent(), /现场核查笔录/);
  await page.waitForTimeout(300);
  for (const tab of ['records', 'overview', 'docs', 'archive']) {
    await openCase(page, id, tab);
    await page.waitForTimeout(300);
    const html = await page.content();
    assert.ok(!html.includes(SECRET), 'no secret on ' + tab);
    assert.ok(!html.includes('QX-7731'), 'no secret on ' + tab);
    assert.ok(!html.includes('91320102MA1W8XYZ3K'), 'no applicant id on ' + tab);
    assert.ok(!html.includes('13912345678'), 'no phone on ' + tab);
  }
  await openCase(page, id);
  await shot(page, 'case-withheld');
  await page.context().close();
});

test('500 records open without freezing', async () => {
  const id = await newCase();
  for (let i = 0; i < 500; i += 25) {
    await Promise.all(Array.from({ length: 25 }, (_, j) => api(server, tk['li.handler'], 'POST', '/api/v1/cases/' + id + '/records',
      { kind: 'note', fields: { text: '第 ' + (i + j + 1) + ' 条情况说明：' + XSS } }).then((r) => assert.equal(r.status, 201, r.text))));
  }
  const page = await newPage(browser);
  await login(page, server, store, 'li.handler');
  await page.addInitScript(() => {
    window.__long = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); }).observe({ type: 'longtask', buffered: true });
  });
  await page.reload();
  await page.locator('#top:not([hidden])').waitFor();
  // The server's reply time depends on the machine and the build (three
  // times slower under the sanitizers). The page's own drawing of the
  // first 50 records is what must be quick.
  await page.goto(server.url + '/#/cases/' + id + '?tab=records');
  await page.locator('ol.timeline > li.record').first().waitFor({ timeout: 60000 });
  const t0 = Date.now();
  await page.locator('ol.timeline > li.record').nth(49).waitFor({ timeout: 60000 });
  const took = Date.now() - t0;
  assert.ok(took < 3000, 'drawn in ' + took + ' ms');
  assert.match(await page.locator('.timeline-bar').first().textContent(), /共 505 条记录/);
  // The main thread runs a timer promptly after the page scrolls.
  await page.mouse.wheel(0, 20000);
  const lag = await page.evaluate(() => new Promise((r) => { const t = performance.now(); setTimeout(() => r(performance.now() - t), 0); }));
  assert.ok(lag < 200, 'timer lag ' + lag);
  const before = await page.locator('ol.timeline > li.record').first().getAttribute('data-seq');
  await page.getByRole('button', { name: '下一页' }).first().click();
  await page.locator('.timeline-bar').first().getByText('第 2 / 11 页').waitFor();
  await page.waitForFunction((s) => document.querySelector('ol.timeline > li.record')?.dataset.seq !== s, before);
  assert.equal(await page.locator('ol.timeline > li.record').count(), 50);
  await page.getByRole('combobox', { name: '排列' }).selectOption('new');
  const lastSeq = (await api(server, tk['li.handler'], 'GET', '/api/v1/cases/' + id + '/records?offset=504&limit=1')).json.items[0].seq;
  await page.waitForFunction((s) => document.querySelector('ol.timeline > li.record')?.dataset.seq === String(s), lastSeq);
  assert.match(await page.locator('ol.timeline > li.record').first().textContent(), /条情况说明/);
  const longest = Math.max(0, ...(await page.evaluate(() => window.__long || [10000])));
  assert.ok(longest < 1000, 'longest task ' + longest + ' ms');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await page.context().close();
});

test('documents print and open again', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'li.handler');
  await openCase(page, caseA, 'docs');
  const popup = page.waitForEvent('popup');
  await page.getByRole('button', { name: '打印 受理通知书' }).click();
  const pdf = await popup;
  await pdf.waitForURL(/^blob:/);
  await pdf.close();
  // The list of issued documents shows the new one without a reload.
  const row = page.locator('tbody tr').filter({ hasText: '受理通知书' });
  await row.waitFor();
  assert.match(await row.textContent(), /曹审批受〔\d{4}〕\d+号/);
  const again = page.waitForEvent('popup');
  await row.getByRole('button', { name: /打开/ }).click();
  await (await again).close();
  await page.context().close();
});

test('second officer signs later', async () => {
  const rec = await add(caseA, 'li.handler', 'onsite-verification', {
    place: '南京市秦淮区中山南路1号仓库', start: cst(-1, 14), end: cst(-1, 15),
    officers: [{ user: 'li.handler', credential_no: '32010001', credential_shown: true },
      { user: 'sun.officer', credential_no: '32010004', credential_shown: true }],
    findings: '仓库温控设施运转正常。', pages: 1, confirmation: '以上笔录我已看过，与我所说相符',
    av_exemption: { reason: 'equipment-failure', note: '记录仪故障' },
    signatures: [staff('officer', 'li.handler'), staff('officer', 'sun.officer'), { ...paper('party', '张三'), pages: [1] }],
  }, 1);
  const page = await newPage(browser);
  await login(page, server, store, 'sun.officer');
  await openCase(page, caseA);
  await page.getByRole('combobox', { name: '排列' }).selectOption('new');
  const item = record(page, rec.seq);
  await item.getByRole('button', { name: '签名确认' }).click();
  const dlg = page.locator('dialog');
  await dlg.getByLabel('签名身份').selectOption('officer');
  await dlg.getByLabel('本人登录密码').fill(passwordOf('sun.officer'));
  await dlg.getByRole('button', { name: '签名确认' }).click();
  await page.locator('#status').getByText('已签名').waitFor();
  await record(page, rec.seq).locator('.sm2-list').getByText('孙伟').waitFor();
  await page.context().close();
});

test('copy request for the applicant', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'li.handler');
  await openCase(page, caseA, 'archive');
  const form = page.locator('section').filter({ hasText: '复制申请' });
  await form.getByLabel(/受理通知书/).first().check();
  assert.equal(await form.getByLabel('申请人', { exact: true }).inputValue(), '某某餐饮管理有限公司');
  await form.getByLabel('用途').fill('申请行政复议');
  await form.getByRole('button', { name: '登记复制申请' }).click();
  await page.locator('#status').getByText(/已登记复制申请 复制〔\d{4}〕\d+号/).waitFor();
  const list = await api(server, tk['li.handler'], 'GET', '/api/v1/copy-requests?case=' + caseA);
  assert.equal(list.json.total, 1);
  await page.context().close();
});

test('archivist seals an ended case', async () => {
  const id = await newCase();
  const basis = [{ law: 'xzxkf', version: '2019-04-23', article: 38, paragraph: 1 }];
  await add(id, 'li.handler', 'proposed-decision', {
    result: 'grant', opinion: '建议准予许可', reasons: '申请材料齐全。', basis, factors: ['材料'],
    signatures: [staff('handler', 'li.handler')],
  });
  await add(id, 'zhao.rev', 'approval-step', {
    step: 'review', opinion: 'agree', reasons: '同意承办人意见。', signatures: [staff('reviewer', 'zhao.rev')],
  });
  await add(id, 'zhang.head', 'approval-step', {
    step: 'approve', opinion: 'agree', reasons: '同意承办人意见。', signatures: [staff('approver', 'zhang.head')],
  });
  await add(id, 'zhang.head', 'decision', {
    result: 'grant', reasons: '经审查，申请符合法定条件、标准。', basis, valid_from: day(0), valid_until: day(365 * 5),
    remedies: '如不服本决定，可在六十日内申请行政复议，或在六个月内提起行政诉讼。',
    signatures: [staff('approver', 'zhang.head'), seal(0)],
  }, 1);
  await add(id, 'wang.clerk', 'licence-issue', { licence_no: 'JY13201040012345', issued_on: day(0), signatures: [staff('clerk', 'wang.clerk')] });
  await add(id, 'wang.clerk', 'service-direct', {
    document: 'licence', served_on: cst(0, 0), recipient: '张三', method: 'window',
    signatures: [staff('server', 'wang.clerk'), paper('recipient', '张三')],
  }, 1);
  const page = await newPage(browser);
  await login(page, server, store, 'chen.archive');
  await openCase(page, id, 'archive');
  assert.match(await page.locator('.stagebar li[aria-current="step"]').textContent(), /归档/);
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: '封存案卷' }).click();
  assert.equal((await download).suggestedFilename(), 'case-file-' + id + '.tar');
  await page.locator('#status').getByText('案卷已封存').waitFor();
  await page.locator('tbody tr').filter({ hasText: '#' }).first().waitFor();
  await shot(page, 'case-archive-sealed');
  await page.context().close();
});

test('a lost reply does not save the record twice', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'li.handler');
  await openCase(page, caseA);
  const before = (await api(server, tk['li.handler'], 'GET', '/api/v1/cases/' + caseA + '/records?limit=1')).json.total;
  // The server stores the record, and the connection drops before the
  // reply reaches the page.
  await page.route('**/api/v1/cases/*/records', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    await route.fetch();
    await route.abort('connectionreset');
  }, { times: 1 });
  await page.getByRole('button', { name: '新增记录' }).click();
  const dlg = page.locator('dialog');
  await dlg.getByLabel('记录种类').selectOption('note');
  await dlg.locator('.record-form[data-kind="note"]').getByRole('textbox').first().fill('电话告知申请人补充现场照片。');
  await dlg.getByRole('button', { name: '保存记录' }).click();
  await page.locator('#status').getByText(/已保存记录/).waitFor();
  assert.equal(await page.locator('dialog[open]').count(), 0, 'the dialog closed');
  const after = (await api(server, tk['li.handler'], 'GET', '/api/v1/cases/' + caseA + '/records?limit=1')).json.total;
  assert.equal(after, before + 1, 'one record, not two');
  await page.context().close();
});

test('the skip link keeps the page, Escape asks before discarding', async () => {
  const page = await newPage(browser);
  await login(page, server, store, 'li.handler');
  await openCase(page, caseA);
  await page.locator('a.skip').focus();
  await page.keyboard.press('Enter');
  assert.match(page.url(), /#\/cases\//, 'the address stays');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  await page.getByRole('button', { name: '新增记录' }).click();
  const dlg = page.locator('dialog');
  await dlg.getByLabel('记录种类').selectOption('note');
  const text = dlg.locator('.record-form[data-kind="note"]').getByRole('textbox').first();
  await text.fill('尚未保存的说明');
  page.once('dialog', (d) => d.dismiss());
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('dialog[open]').count(), 1, 'kept open when the user declines');
  assert.equal(await text.inputValue(), '尚未保存的说明');
  page.once('dialog', (d) => d.accept());
  await page.keyboard.press('Escape');
  await page.locator('dialog[open]').waitFor({ state: 'detached' });
  await page.context().close();
});

test('secadmin changes a mark', async () => {
  const note = await add(caseA, 'li.handler', 'note', { text: '申请人来电询问进度。' });
  const page = await newPage(browser);
  await login(page, server, store, 'sec.admin');
  await page.goto(server.url + '/#/cases/' + caseA + '/marks');
  await page.getByRole('heading', { name: '保密标识变更' }).waitFor();
  assert.equal(await page.locator('.timeline').count(), 0, 'no content');
  await page.getByLabel('记录号').fill(String(note.seq));
  await page.getByLabel('新保密标识').selectOption('personal');
  await page.getByLabel('理由').fill('记录含有申请人联系方式');
  await page.getByRole('button', { name: '变更保密标识' }).click();
  await page.locator('#status').getByText('记录 #' + note.seq + ' 的保密标识已改为 个人信息').waitFor();
  const r = await api(server, tk['li.handler'], 'GET', '/api/v1/records/' + note.seq);
  assert.equal(r.json.mark, 'personal');
  await page.context().close();
});

test('case tabs at two sizes', async () => {
  const id = caseA;
  for (const [w, hgt, tag] of [[1366, 768, ''], [800, 1280, '-800']]) {
    const page = await newPage(browser, { viewport: { width: w, height: hgt } });
    await login(page, server, store, 'zhang.head');
    for (const tab of ['records', 'overview', 'docs', 'evidence', 'archive']) {
      await openCase(page, id, tab);
      await page.waitForTimeout(400);
      assert.equal(await page.getByRole('tab', { selected: true }).count(), 1);
      await shot(page, 'case-' + tab + tag);
    }
    // The header has the stage bar and the inquiry code.
    assert.equal(await page.locator('.stagebar li').count(), 6);
    assert.match(await page.locator('.stagebar li[aria-current="step"]').textContent(), /审查/);
    assert.match(await page.locator('.inquiry-code code').textContent(), /^[0-9A-Z]{6,}$/);
    await page.context().close();
  }
});
