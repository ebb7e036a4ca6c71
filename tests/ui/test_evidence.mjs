// The evidence tab and one file's page, with real camera photos and
// videos uploaded through the page with tus. The tests check progress to
// 100%, thumbnails, the lightbox and a player that seeks by byte range.
// A truncated video is stored and flagged, and an interrupted upload
// resumes after a reload from the server's offset. The signature pad
// gives a PNG.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  requireBrowser, makeStore, startServer, launch, newPage, login, shot, token, api, cleanup, SHARED, SHOTS,
} from './lib.mjs';

await requireBrowser();
const MEDIA = path.join(SHARED, 'data/media/metadata-extractor-images');
const PHOTO = path.join(MEDIA, 'jpg/Apple iPhone 6.jpg');
const PHOTO2 = path.join(MEDIA, 'jpg/Nexus 4.jpg');
const VIDEO = path.join(MEDIA, 'mp4/FLIR Thermal.mp4');
const RESUMED = path.join(MEDIA, 'mp4/Issue 515 (java).mp4');
const AUDIO = path.join(SHARED, 'data/media/opencore-amr-js/yuan.wav');
const haveMedia = [PHOTO, PHOTO2, VIDEO, RESUMED, AUDIO].every((f) => fs.existsSync(f));
const noMedia = haveMedia ? false : 'the camera files of ' + MEDIA + ' are missing';

const store = makeStore();
const server = await startServer(store);
const browser = await launch();
const tok = token(store, 'li.handler');

const opened = await api(server, tok, 'POST', '/api/v1/cases', { matter: 'spjy-xk', applicant: '某某餐饮有限公司', received: '2026-12-01' });
assert.equal(opened.status, 201, opened.text);
const CASE = opened.json.id;
const noted = await api(server, tok, 'POST', '/api/v1/cases/' + CASE + '/records', { kind: 'note', fields: { text: '现场核查情况说明' } });
assert.equal(noted.status, 201, noted.text);

test.after(async () => { await browser.close(); await server.stop(); cleanup(store); });

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

// Shows the evidence tab of CASE: through the case page when it has the
// tab, else by mounting renderEvidence with the app's own context.
async function openEvidence(page) {
  await page.goto(server.url + '/#/cases/' + CASE + '?tab=evidence');
  const heading = page.locator('main h2', { hasText: '音像证据' });
  try {
    await heading.waitFor({ timeout: 4000 });
  } catch (e) {
    await page.evaluate(async (id) => {
      const { ctx } = await import('/js/app.js');
      const { renderEvidence } = await import('/js/evidence.js');
      const main = document.getElementById('main');
      main.replaceChildren();
      await renderEvidence(main, id, ctx);
    }, CASE);
    await heading.waitFor();
  }
  await page.getByLabel('拍摄设备').fill('DSJ-A7-0042');
  // Errors of the pages shown before (the sign-in, the work list) are
  // not this tab's.
  page.consoleErrors.length = 0;
}

// The lightbox as the screen shows it: a full-page shot would stretch
// the modal's backdrop over the scrolled page.
async function lightboxShot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, name + '.png') });
}

// Draws the evidence tab anew in the same document, as opening another
// tab and coming back does.
async function redraw(page) {
  await page.evaluate(async (id) => {
    const { ctx } = await import('/js/app.js');
    const { renderEvidence } = await import('/js/evidence.js');
    const main = document.getElementById('main');
    main.replaceChildren();
    await renderEvidence(main, id, ctx);
  }, CASE);
}

async function signedIn(viewport) {
  const page = await newPage(browser, viewport ? { viewport } : {});
  await login(page, server, store, 'li.handler');
  return page;
}

async function mediaOf(name) {
  const r = await api(server, tok, 'GET', '/api/v1/media?case=' + CASE + '&limit=500');
  return r.json.items.filter((m) => m.name === name);
}

test('photo and video upload to 100% with thumbnails', { skip: noMedia }, async () => {
  const page = await signedIn();
  await openEvidence(page);
  await page.getByLabel('已删除设备内的原始文件').check();
  await page.getByLabel('选择文件（可多选）').setInputFiles([PHOTO, PHOTO2, VIDEO]);
  for (const name of [path.basename(PHOTO), path.basename(PHOTO2), path.basename(VIDEO)]) {
    const row = page.locator('li.upload', { hasText: name });
    await row.locator('[data-state="done"], .up-status', { hasText: '已入库' }).first().waitFor({ timeout: 60000 });
    assert.equal(await row.locator('progress').evaluate((p) => p.value), 100);
    assert.match(await row.locator('.pct').textContent(), /^100%/);
  }
  const stored = await mediaOf(path.basename(PHOTO));
  assert.equal(stored.length, 1);
  assert.equal(stored[0].sha256, 'sha256:' + sha256(fs.readFileSync(PHOTO)));
  assert.equal(stored[0].device, 'DSJ-A7-0042');
  assert.equal(stored[0].device_copy_deleted, true);

  const card = page.locator('li.media-card', { hasText: path.basename(PHOTO) });
  const thumb = card.locator('img');
  await thumb.waitFor();
  await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await thumb.elementHandle());
  assert.match(await card.textContent(), /迟延上传/);
  assert.match(await card.textContent(), /2014-09-16 14:05/);
  await card.locator('summary').click();
  assert.match(await card.textContent(), /51\.762408°N, 0\.317892°W/);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'evidence-tab');

  await card.getByRole('button', { name: /查看/ }).click();
  const box = page.locator('dialog.lightbox-dialog');
  await box.waitFor();
  const big = box.locator('.lightbox img');
  await page.waitForFunction((el) => el.complete && el.naturalWidth > 1000, await big.elementHandle());
  const first = await big.getAttribute('alt');
  assert.match(await box.textContent(), /第 \d \/ 2 张/);
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((alt) => document.querySelector('.lightbox img').alt !== alt, first);
  await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await big.elementHandle());
  await page.keyboard.press('ArrowLeft');
  assert.equal(await big.getAttribute('alt'), first);
  await page.waitForFunction((el) => el.complete && !el.classList.contains('loading'), await big.elementHandle());
  await lightboxShot(page, 'evidence-lightbox');
  await page.keyboard.press('Escape');
  await box.waitFor({ state: 'detached' });
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

test('file is linked, timed and justified', { skip: noMedia }, async () => {
  const page = await signedIn();
  await openEvidence(page);
  const [photo] = await mediaOf(path.basename(PHOTO2));
  const card = page.locator('li.media-card', { hasText: path.basename(PHOTO2) });
  assert.match(await card.textContent(), /拍摄时间不可信/);

  await card.getByRole('button', { name: '关联记录' }).click();
  let dlg = page.locator('dialog[open]');
  await dlg.getByLabel('关联记录').selectOption(String(noted.json.seq));
  await dlg.getByRole('button', { name: '关联', exact: true }).click();
  await dlg.waitFor({ state: 'detached' });
  let r = await api(server, tok, 'GET', '/api/v1/media/' + photo.seq);
  assert.deepEqual(r.json.links.map((l) => l.record), [noted.json.seq]);
  await card.locator('summary').click();
  assert.match(await card.locator('dl.facts').textContent(), new RegExp('#' + noted.json.seq));

  await card.getByRole('button', { name: '说明拍摄时间' }).click();
  dlg = page.locator('dialog[open]');
  await dlg.getByRole('button', { name: '保存' }).click();
  assert.equal(await dlg.locator(':invalid').count() > 0, true);
  await dlg.getByLabel('拍摄开始时间').fill('2026-12-04T09:30:00');
  await dlg.getByLabel('理由').fill('记录仪时钟未设置，按现场笔录记载时间');
  await dlg.getByRole('button', { name: '保存' }).click();
  await dlg.waitFor({ state: 'detached' });
  r = await api(server, tok, 'GET', '/api/v1/media/' + photo.seq);
  assert.match(r.json.captured.start, /^2026-12-04T09:30:00/);

  await page.goto(server.url + '/#/media/' + photo.seq);
  const links = page.locator('ul.media-links');
  await links.waitFor();
  assert.match(await links.textContent(), new RegExp('#' + noted.json.seq + ' '));
  assert.match(await page.locator('main table').last().textContent(), /关联记录/);
  assert.match(await page.locator('main table').last().textContent(), /说明拍摄时间/);
  await page.goBack();
  await page.locator('main h2', { hasText: '音像证据' }).waitFor().catch(() => openEvidence(page));

  const late = page.locator('li.media-card', { hasText: path.basename(PHOTO) });
  await late.getByRole('button', { name: '迟延上传说明' }).click();
  dlg = page.locator('dialog[open]');
  await dlg.getByLabel('理由').fill('执法记录仪在外地封存');
  await dlg.getByLabel('批准人').selectOption('zhao.rev');
  await dlg.getByRole('button', { name: '保存' }).click();
  await dlg.waitFor({ state: 'detached' });
  const [apple] = await mediaOf(path.basename(PHOTO));
  r = await api(server, tok, 'GET', '/api/v1/media/' + apple.seq + '/custody');
  const justified = r.json.events.find((e) => e.kind === 'media-justify');
  assert.ok(justified, JSON.stringify(r.json.events.map((e) => e.kind)));
  assert.equal(justified.fields.approved_by, 'zhao.rev');
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

test('video player seeks through a byte range', { skip: noMedia }, async () => {
  const [video] = await mediaOf(path.basename(VIDEO));
  assert.ok(video, 'the video of the first test is stored');
  const page = await signedIn();
  const ranges = [];
  page.on('response', (r) => {
    if (r.url().includes('/api/v1/media/' + video.seq + '/content')) ranges.push([r.request().headers().range, r.status()]);
  });
  await page.goto(server.url + '/#/media/' + video.seq);
  const player = page.locator('main video');
  await player.waitFor();
  await page.waitForFunction((el) => el.readyState >= 1 && el.duration > 5, await player.elementHandle(), { timeout: 20000 });
  const at = await player.evaluate((el) => new Promise((resolve) => {
    el.addEventListener('seeked', () => resolve(el.currentTime), { once: true });
    el.currentTime = 8;
  }));
  assert.ok(Math.abs(at - 8) < 0.5, 'the player is at ' + at);
  assert.ok(ranges.some(([range, status]) => range && status === 206), 'a Range request got 206: ' + JSON.stringify(ranges));
  assert.match(await page.locator('main').textContent(), /保管链/);
  assert.match(await page.locator('main table').last().textContent(), /入库/);
  await shot(page, 'media-page');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: '下载原始文件' }).click(),
  ]);
  const saved = await download.path();
  assert.equal(sha256(fs.readFileSync(saved)), sha256(fs.readFileSync(VIDEO)));
  const r = await api(server, tok, 'GET', '/api/v1/media/' + video.seq + '/custody');
  const modes = r.json.events.filter((e) => e.kind === 'media-access').map((e) => e.fields.mode);
  assert.ok(modes.includes('playback'), JSON.stringify(modes));
  assert.ok(modes.includes('download'), JSON.stringify(modes));
  await page.context().close();
});

test('truncated video is stored and flagged damaged', { skip: noMedia }, async () => {
  const page = await signedIn();
  await openEvidence(page);
  const whole = fs.readFileSync(VIDEO);
  const cut = whole.subarray(0, Math.floor(whole.length / 3));
  const name = '<img src=x onerror=alert(1)>.mp4';
  await page.getByLabel('拍摄设备').fill('<script>alert(1)</script>');
  await page.getByLabel('拍摄开始时间').fill('2026-12-01T09:30:00');
  await page.getByLabel('选择文件（可多选）').setInputFiles({ name, mimeType: 'video/mp4', buffer: cut });
  const row = page.locator('li.upload', { hasText: name });
  await page.getByRole('alert').filter({ hasText: '须说明理由' }).waitFor();
  assert.match(await row.locator('.up-status').textContent(), /等待上传/);
  await page.getByLabel('时间说明理由').fill('记录仪断电，按现场笔录记载时间');
  await page.getByRole('button', { name: '开始上传' }).click();
  await row.locator('.up-status', { hasText: '已入库' }).waitFor({ timeout: 60000 });
  assert.match(await row.textContent(), /文件损坏/);
  const [stored] = await mediaOf(name);
  assert.ok(stored.flags.includes('damaged'), JSON.stringify(stored.flags));
  assert.equal(stored.size, cut.length);
  assert.match(stored.captured.start, /^2026-12-01T09:30:00/);
  const card = page.locator('li.media-card', { hasText: name });
  await card.waitFor();
  assert.match(await card.textContent(), /文件损坏/);
  assert.match(await card.textContent(), /<script>alert\(1\)<\/script>/);
  assert.match(await card.textContent(), /2026-12-01 09:30（执法人员说明）/);
  assert.equal(await page.locator('main img[src="x"]').count(), 0);
  await page.context().close();
});

test('interrupted upload resumes from the server offset', { skip: noMedia }, async () => {
  const page = await signedIn();
  await openEvidence(page);
  let patches = 0;
  const block = async (route) => {
    if (route.request().method() === 'PATCH' && ++patches > 1) return route.abort('internetdisconnected');
    return route.continue();
  };
  await page.route('**/api/v1/media/tus/*', block);
  await page.getByLabel('选择文件（可多选）').setInputFiles(RESUMED);
  const row = page.locator('li.upload', { hasText: path.basename(RESUMED) });
  await row.locator('.up-status', { hasText: '重试' }).waitFor({ timeout: 20000 });
  const saved = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('casetrail.tus.')).map((k) => JSON.parse(localStorage.getItem(k))));
  assert.equal(saved.length, 1);
  assert.ok(saved[0].offset > 0, 'an acknowledged offset is kept: ' + JSON.stringify(saved));
  await page.unroute('**/api/v1/media/tus/*', block);

  await page.reload();
  await openEvidence(page);
  assert.match(await page.locator('main').textContent(), /1 个未完成的上传/);
  const offsets = [];
  page.on('request', (r) => {
    if (r.method() === 'PATCH' && r.url().includes('/api/v1/media/tus/')) offsets.push(Number(r.headers()['upload-offset']));
  });
  await page.getByLabel('选择文件（可多选）').setInputFiles(RESUMED);
  await row.locator('.up-status', { hasText: '已入库' }).waitFor({ timeout: 60000 });
  assert.ok(offsets[0] > 0, 'the resumed PATCH starts at ' + offsets[0]);
  assert.equal(offsets[0], saved[0].offset);
  assert.match(await row.textContent(), /续传/);
  const [stored] = await mediaOf(path.basename(RESUMED));
  assert.equal(stored.sha256, 'sha256:' + sha256(fs.readFileSync(RESUMED)));
  assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('casetrail.tus.')).length), 0);
  await page.context().close();
});

test('dropped recording waits out going offline', { skip: noMedia }, async () => {
  const page = await signedIn();
  await openEvidence(page);
  const context = page.context();
  let patches = 0;
  await page.route('**/api/v1/media/tus/*', async (route) => {
    if (route.request().method() === 'PATCH' && ++patches === 2) {
      await context.setOffline(true);
      return route.abort('internetdisconnected');
    }
    return route.continue();
  });
  const name = path.basename(AUDIO);
  await page.evaluate(({ b64, fileName }) => {
    const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], fileName, { type: 'audio/wav', lastModified: 1764900000000 }));
    const zone = document.querySelector('.dropzone');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, { b64: fs.readFileSync(AUDIO).toString('base64'), fileName: name });
  const row = page.locator('li.upload', { hasText: name });
  await row.locator('.up-status', { hasText: '网络已断开' }).waitFor({ timeout: 20000 });
  await redraw(page);
  assert.equal(await row.count(), 1);
  await row.locator('.up-status', { hasText: '网络已断开' }).waitFor();
  await context.setOffline(false);
  await row.locator('.up-status', { hasText: '已入库' }).waitFor({ timeout: 60000 });
  const [stored] = await mediaOf(name);
  assert.equal(stored.sha256, 'sha256:' + sha256(fs.readFileSync(AUDIO)));
  assert.equal(stored.type, 'audio');

  const card = page.locator('li.media-card', { hasText: name });
  assert.match(await card.textContent(), /录音/);
  await card.getByRole('button', { name: /播放/ }).click();
  const audio = page.locator('dialog[open] audio');
  await audio.waitFor();
  await page.waitForFunction((el) => el.readyState >= 1 && el.duration > 1, await audio.elementHandle(), { timeout: 20000 });
  await page.keyboard.press('Escape');
  await audio.waitFor({ state: 'detached' });
  await page.context().close();
});

test('signature pad draws and gives a PNG', async () => {
  const page = await signedIn();
  await page.evaluate(async () => {
    const { signaturePad } = await import('/js/sigpad.js');
    const pad = signaturePad({ width: 500, height: 200 });
    window.testPad = pad;
    document.getElementById('main').replaceChildren(pad.el);
  });
  const canvas = page.getByRole('img', { name: /签名板/ });
  assert.equal(await page.evaluate(() => window.testPad.isEmpty()), true);
  const b = await canvas.boundingBox();
  await page.mouse.move(b.x + 30, b.y + 100);
  await page.mouse.down();
  for (let i = 1; i <= 20; i++) await page.mouse.move(b.x + 30 + i * 15, b.y + 100 + Math.sin(i / 2) * 40);
  await page.mouse.up();
  assert.equal(await page.evaluate(() => window.testPad.isEmpty()), false);
  assert.match(await page.locator('main').textContent(), /已签名（1 笔）/);
  const png = await page.evaluate(async () => {
    const blob = await window.testPad.toBlob();
    const bytes = new Uint8Array(await blob.arrayBuffer());
    // Counts the pixels that are not white.
    const c = document.querySelector('canvas.sigpad');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 128) ink++;
    return { type: blob.type, size: blob.size, head: [...bytes.slice(0, 4)], ink };
  });
  assert.equal(png.type, 'image/png');
  assert.deepEqual(png.head, [0x89, 0x50, 0x4e, 0x47]);
  assert.ok(png.ink > 200, 'ink pixels: ' + png.ink);
  await page.getByRole('button', { name: '清除重写' }).click();
  assert.equal(await page.evaluate(() => window.testPad.isEmpty()), true);
  await page.context().close();
});

test('evidence tab and file page on a tablet', { skip: noMedia }, async () => {
  const page = await signedIn({ width: 800, height: 1280 });
  await openEvidence(page);
  await page.locator('li.media-card img').first().waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'evidence-tab-tablet');
  await page.locator('li.media-card', { hasText: path.basename(PHOTO) }).getByRole('button', { name: /查看/ }).click();
  await page.locator('dialog.lightbox-dialog').waitFor();
  await lightboxShot(page, 'evidence-lightbox-tablet');
  await page.keyboard.press('Escape');
  const [video] = await mediaOf(path.basename(VIDEO));
  await page.goto(server.url + '/#/media/' + video.seq);
  await page.locator('main video').waitFor();
  await shot(page, 'media-page-tablet');
  await page.context().close();
});
