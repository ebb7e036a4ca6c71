// The 证据 tab of a case. Photos, video and audio are uploaded with
// tus.js, together with the metadata of their ingest. The case's files
// are listed with thumbnails, a lightbox and players that seek by byte
// range. Each file shows its capture time, device, officer, position,
// delay, hashes and flags, and offers its acts: link, stated capture
// time, late-upload reason, mark. pages/media.js shows one file with the
// parts exported here.
import { h, fill, fmtTime, fmtBytes, localToRfc3339 } from './dom.js';
import { t, strings, markName } from './i18n.js';
import { get, post, getAll } from './api.js';
import { notify, errorBox, field, pager, dialog, busy, flag } from './ui.js';
import { TusUpload, forgetStale } from './tus.js';

export const T = strings({
  zh: {
    heading: '音像证据', upload: '上传音像文件', meta: '入库信息', device: '拍摄设备',
    deviceHint: '执法记录仪、手机或录音笔的编号，如 DSJ-A7-0042', officer: '执法人员',
    record: '关联记录', noRecord: '不关联（稍后关联）', type: '文件类型', typeAuto: '按内容自动识别',
    captured: '拍摄开始时间', capturedHint: '仅在设备时钟不准或无时间时填写；须说明理由',
    capturedReason: '时间说明理由', copyDeleted: '已删除设备内的原始文件',
    drop: '将照片、视频或录音拖放到此处', or: '或', choose: '选择文件（可多选）',
    queue: '上传队列', pause: '暂停', resume: '继续', cancel: '取消', start: '开始上传',
    clearDone: '清除已完成',
    st_waiting: '等待上传', st_creating: '正在建立上传…', st_resuming: '正在查询服务器已收到的位置…',
    st_uploading: '正在上传', st_retrying: '网络中断，正在重试…', st_ingesting: '正在入库和解析…',
    st_paused: '已暂停', st_done: '已入库', st_failed: '上传失败', st_cancelled: '已取消',
    st_offline: '网络已断开，恢复后自动继续',
    resumedFrom: '从 {at} 处续传', speed: '{v}/秒', percentOf: '{p}%（{sent} / {total}）',
    needDevice: '请先填写拍摄设备，再开始上传。', needReason: '填写了拍摄开始时间的，须说明理由。',
    pending: '本浏览器有 {n} 个未完成的上传。重新选择同一文件即从服务器已收到的位置续传，不必从头开始。',
    list: '本案音像文件', filterType: '类型', all: '全部', count: '共 {n} 个文件',
    noMedia: '本案尚无音像文件。', open: '查看', play: '播放',
    capturedAt: '拍摄时间', unknownTime: '未知', stated: '（执法人员说明）', gps: '拍摄位置',
    noGps: '文件未载明', delay: '上传延迟', hashes: '哈希值', size: '大小', links: '已关联记录',
    noLinks: '未关联', ingested: '入库时间', mark: '保密标识', problems: '解析发现的问题',
    link: '关联记录', linkDo: '关联', captureDo: '说明拍摄时间', justify: '迟延上传说明',
    markDo: '变更保密标识', reason: '理由', approvedBy: '批准人', startAt: '拍摄开始时间',
    newMark: '新保密标识', linked: '已关联到记录 #{seq}', stateSaved: '拍摄时间说明已记录',
    justified: '迟延上传理由已记录', marked: '保密标识已变更', uploaded: '{name} 已入库（#{seq}）',
    lightbox: '照片', prevPhoto: '上一张', nextPhoto: '下一张', ofN: '第 {i} / {n} 张',
    player: '播放', details: '详细信息', chooseRecord: '选择记录',
    days: '{d} 天 {h} 小时', hours: '{h} 小时 {m} 分', minutes: '{m} 分钟',
    justifiedBy: '已说明理由（{by} 批准）', duplicate: '与已入库文件 #{seqs} 内容相同',
    thumbAlt: '{name} 的缩略图', noThumb: '无缩略图', untrustedWhy: '时间不可信的原因', noDelay: '无法计算（拍摄时间未知）',
  },
  en: {
    heading: 'Audio-visual evidence', upload: 'Upload audio-visual files', meta: 'Ingest details', device: 'Capture device',
    deviceHint: 'The number of the body camera, phone or recorder, e.g. DSJ-A7-0042', officer: 'Officer',
    record: 'Link to record', noRecord: 'None (link later)', type: 'File type', typeAuto: 'From the content',
    captured: 'Capture start', capturedHint: 'Only when the device clock was wrong or gave no time; needs a reason',
    capturedReason: 'Reason for the stated time', copyDeleted: 'The copy on the device was deleted',
    drop: 'Drop photos, video or audio here', or: 'or', choose: 'Choose files (several allowed)',
    queue: 'Upload queue', pause: 'Pause', resume: 'Resume', cancel: 'Cancel', start: 'Start uploads',
    clearDone: 'Clear finished',
    st_waiting: 'Waiting', st_creating: 'Creating the upload…', st_resuming: 'Asking the server where to resume…',
    st_uploading: 'Uploading', st_retrying: 'Connection lost, retrying…', st_ingesting: 'Ingesting and probing…',
    st_paused: 'Paused', st_done: 'Ingested', st_failed: 'Upload failed', st_cancelled: 'Cancelled',
    st_offline: 'Offline; resumes when the connection returns',
    resumedFrom: 'resumed at {at}', speed: '{v}/s', percentOf: '{p}% ({sent} of {total})',
    needDevice: 'Enter the capture device before uploading.', needReason: 'A stated capture start needs a reason.',
    pending: 'This browser has {n} unfinished uploads. Choose the same file again to resume where the server stopped.',
    list: 'Files of this case', filterType: 'Type', all: 'All', count: '{n} files',
    noMedia: 'No audio-visual files in this case yet.', open: 'Open', play: 'Play',
    capturedAt: 'Captured', unknownTime: 'unknown', stated: ' (stated by the officer)', gps: 'Position',
    noGps: 'not in the file', delay: 'Upload delay', hashes: 'Hashes', size: 'Size', links: 'Linked records',
    noLinks: 'none', ingested: 'Ingested', mark: 'Mark', problems: 'Problems the probe found',
    link: 'Link to a record', linkDo: 'Link', captureDo: 'State capture time', justify: 'Late upload reason',
    markDo: 'Change mark', reason: 'Reason', approvedBy: 'Approved by', startAt: 'Capture start',
    newMark: 'New mark', linked: 'Linked to record #{seq}', stateSaved: 'Capture time statement recorded',
    justified: 'Late upload reason recorded', marked: 'Mark changed', uploaded: '{name} ingested (#{seq})',
    lightbox: 'Photo', prevPhoto: 'Previous', nextPhoto: 'Next', ofN: '{i} of {n}',
    player: 'Play', details: 'Details', chooseRecord: 'Choose a record',
    days: '{d} d {h} h', hours: '{h} h {m} min', minutes: '{m} min',
    justifiedBy: 'Reason given (approved by {by})', duplicate: 'Same content as file #{seqs}',
    thumbAlt: 'Thumbnail of {name}', noThumb: 'No thumbnail', untrustedWhy: 'Why the time is untrusted', noDelay: 'unknown (no capture time)',
  },
});

const FLAGS = {
  'late-upload': ['迟延上传', 'Late upload', 'bad'],
  'untrusted-capture-time': ['拍摄时间不可信', 'Untrusted capture time', 'warn'],
  damaged: ['文件损坏', 'Damaged file', 'bad'],
  unprobeable: ['无法解析', 'Could not be probed', 'bad'],
  empty: ['空文件', 'Empty file', 'bad'],
  'unknown-format': ['格式无法识别', 'Unknown format', 'warn'],
  'type-mismatch': ['类型与内容不符', 'Type differs from content', 'warn'],
  'device-copy-kept': ['设备内仍留存', 'Copy kept on device', 'warn'],
};

const TYPES = {
  photo: ['照片', 'Photo'], video: ['视频', 'Video'], audio: ['录音', 'Audio'],
  surveillance: ['窗口监控', 'Window surveillance'], other: ['其他', 'Other'],
};

const MARKS = ['none', 'commercial-secret', 'personal', 'sensitive-personal'];
const UPLOADERS = ['clerk', 'handler', 'reviewer', 'legal', 'approver', 'head', 'archivist', 'officer', 'server', 'presiding'];
const PAGE = 24;

// The upload queue of each case, kept while the app runs: an upload goes
// on when the user opens another tab or page, and its row is shown again
// when the evidence tab is drawn anew.
const queues = new Map();

const en = () => document.documentElement.lang === 'en';

export function typeName(code) {
  const names = TYPES[code];
  if (!names) return code || '';
  return en() ? names[1] : names[0];
}

export function flagBadges(flags) {
  return (flags || []).map((code) => {
    const known = FLAGS[code];
    if (!known) return flag(code, 'warn');
    return flag(en() ? known[1] : known[0], known[2]);
  });
}

// A delay in milliseconds as days and hours, hours and minutes, or minutes.
export function fmtDelay(ms) {
  if (ms === null || ms === undefined) return T('noDelay');
  const m = Math.max(0, Math.floor(ms / 60000));
  if (m >= 1440) return T('days', { d: Math.floor(m / 1440), h: Math.floor((m % 1440) / 60) });
  if (m >= 60) return T('hours', { h: Math.floor(m / 60), m: m % 60 });
  return T('minutes', { m });
}

// A playback session id for ?session=, so that one viewing is one
// media-access entry however many ranges the player fetches.
export function sessionId() {
  const a = new Uint8Array(8);
  crypto.getRandomValues(a);
  return 'p' + [...a].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function contentUrl(seq, session) {
  return '/api/v1/media/' + seq + '/content' + (session ? '?session=' + session : '');
}

export function capturedText(c) {
  if (!c || !c.start) return T('unknownTime');
  let s = fmtTime(c.start);
  if (c.end && c.end !== c.start) s += ' – ' + fmtTime(c.end);
  if (c.source === 'stated' || c.stated) s += T('stated');
  return s;
}

export function gpsNode(probe) {
  const g = probe && probe.gps;
  if (!g || g.lat === undefined || g.lon === undefined) return h('span.muted', T('noGps'));
  const lat = Number(g.lat), lon = Number(g.lon);
  const text = Math.abs(lat).toFixed(6) + '°' + (lat >= 0 ? 'N' : 'S') + ', ' + Math.abs(lon).toFixed(6) + '°' + (lon >= 0 ? 'E' : 'W')
    + (g.alt !== undefined ? '，' + Number(g.alt).toFixed(1) + ' m' : '');
  return h('span.mono', text);
}

// The player of a video or audio file: the browser fetches the content
// with Range requests, so that seeking loads only what is watched.
export function player(item, session) {
  const src = contentUrl(item.seq, session || sessionId());
  if (item.type === 'audio' || (item.media_type || '').startsWith('audio/'))
    return h('audio.player', { controls: true, preload: 'metadata', src, 'aria-label': item.name || '' });
  return h('video.player', {
    controls: true, preload: 'metadata', src, 'aria-label': item.name || '',
    poster: item.thumbnail ? '/api/v1/media/' + item.seq + '/thumbnail' : null,
  });
}

function isPhoto(item) {
  return item.type === 'photo' || (item.media_type || '').startsWith('image/');
}

function isPlayable(item) {
  return ['video', 'audio', 'surveillance'].includes(item.type) || /^(video|audio)\//.test(item.media_type || '');
}

// The facts of one file as a <dl>; extra: more [label, value] rows.
export function factList(item, extra = []) {
  const c = item.captured || {};
  const rows = [
    [T('capturedAt'), capturedText(c)],
    [T('device'), item.device || ''],
    [T('officer'), item.officer || ''],
    [T('gps'), gpsNode(item.probe)],
    [T('delay'), fmtDelay(item.delay_ms)],
    [T('ingested'), fmtTime(item.ingested)],
    [T('size'), fmtBytes(item.size) + (item.media_type ? ' · ' + item.media_type : '')],
    item.mark ? [T('mark'), markName(item.mark)] : null,
    [T('hashes'), h('span.hashes', h('code', item.hash || ''), h('br'), h('code', item.sha256 || ''))],
    [T('links'), (item.links || []).length
      ? (item.links || []).map((l, i) => [i ? '、' : '', '#' + (l.record ?? l)])
      : h('span.muted', T('noLinks'))],
    ...extra,
  ].filter(Boolean);
  const problems = item.probe && item.probe.problems;
  if (problems && problems.length) rows.push([T('problems'), h('ul.problems', problems.map((p) => h('li', typeof p === 'string' ? p : JSON.stringify(p))))]);
  if (c.untrusted) rows.push([T('untrustedWhy'), [].concat(c.untrusted).join('；')]);
  return h('dl.facts', rows.map(([k, v]) => [h('dt', k), h('dd', v)]));
}

// Records of the case a file may be linked to: from caseData when given,
// else fetched.
async function caseRecords(caseId, caseData) {
  const list = caseData && Array.isArray(caseData.records) ? caseData.records
    : await getAll('/api/v1/cases/' + encodeURIComponent(caseId) + '/records', {}, 2000).catch(() => []);
  return list.filter((r) => !String(r.kind || '').startsWith('media-') && !r.withheld);
}

function recordOption(r, selected) {
  return h('option', { value: String(r.seq), selected: selected === r.seq },
    '#' + r.seq + ' ' + (r.name || r.kind) + (r.happened ? ' · ' + fmtTime(r.happened) : ''));
}

let usersCache = null;
async function staff() {
  if (!usersCache) usersCache = getAll('/api/v1/users', {}, 2000).catch(() => []);
  return usersCache;
}

function userLabel(u) {
  return (u.display_name ? u.display_name + '（' + u.name + '）' : u.name);
}

// The acts on one file as buttons, each opening a dialog; onDone runs
// after a successful act.
export function mediaActions(item, ctx, { caseId, caseData, onDone } = {}) {
  const may = ctx.has(...UPLOADERS);
  const late = (item.flags || []).includes('late-upload');
  const buttons = [];
  if (may) {
    buttons.push(h('button', { type: 'button', onclick: () => linkDialog(item, caseId || item.case, caseData, onDone) }, T('link')));
    buttons.push(h('button', { type: 'button', onclick: () => captureDialog(item, onDone) }, T('captureDo')));
    if (late) buttons.push(h('button', { type: 'button', onclick: () => justifyDialog(item, ctx, onDone) }, T('justify')));
  }
  if (ctx.has('secadmin')) buttons.push(h('button', { type: 'button', onclick: () => markDialog(item, onDone) }, T('markDo')));
  return buttons.length ? h('div.media-actions', buttons) : null;
}

function actDialog(title, fields, submitLabel, act) {
  const errEl = h('div');
  const submit = h('button.primary', { type: 'submit' }, submitLabel);
  const form = h('form.stack', { novalidate: true }, fields, errEl, h('div.actions', submit));
  const d = dialog(title, form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!form.checkValidity()) {
      for (const el of form.querySelectorAll('input, select, textarea')) el.dataset.touched = '1';
      form.reportValidity();
      return;
    }
    const ok = await busy(submit, act, errEl);
    if (ok !== undefined) d.close();
  });
  return d;
}

async function linkDialog(item, caseId, caseData, onDone) {
  const records = caseId ? await caseRecords(caseId, caseData) : [];
  const linked = new Set((item.links || []).map((l) => l.record ?? l));
  const sel = h('select', h('option', { value: '' }, T('chooseRecord')),
    records.filter((r) => !linked.has(r.seq)).map((r) => recordOption(r)));
  actDialog(T('link') + ' · ' + (item.name || '#' + item.seq), field(T('record'), sel, { required: true }), T('linkDo'), async () => {
    const seq = Number(sel.value);
    await post('/api/v1/media/' + item.seq + '/links', { record: seq });
    notify(T('linked', { seq }));
    if (onDone) onDone();
    return true;
  });
}

function captureDialog(item, onDone) {
  const start = h('input', { type: 'datetime-local', step: 1 });
  const reason = h('textarea', { maxlength: 1000 });
  actDialog(T('captureDo') + ' · ' + (item.name || '#' + item.seq), [
    field(T('startAt'), start, { required: true }),
    field(T('reason'), reason, { required: true, hint: T('capturedHint') }),
  ], t('save'), async () => {
    await post('/api/v1/media/' + item.seq + '/capture', { start: localToRfc3339(start.value), reason: reason.value.trim() });
    notify(T('stateSaved'));
    if (onDone) onDone();
    return true;
  });
}

async function justifyDialog(item, ctx, onDone) {
  const users = (await staff()).filter((u) => u.name !== (ctx.session && ctx.session.user)
    && (u.roles || []).some((r) => ['reviewer', 'approver', 'head'].includes(r)));
  const by = h('select', h('option', { value: '' }, '—'), users.map((u) => h('option', { value: u.name }, userLabel(u))));
  const reason = h('textarea', { maxlength: 1000 });
  actDialog(T('justify') + ' · ' + (item.name || '#' + item.seq), [
    field(T('reason'), reason, { required: true }),
    field(T('approvedBy'), by, { required: true }),
  ], t('save'), async () => {
    await post('/api/v1/media/' + item.seq + '/justification', { reason: reason.value.trim(), approved_by: by.value });
    notify(T('justified'));
    if (onDone) onDone();
    return true;
  });
}

function markDialog(item, onDone) {
  const sel = h('select', MARKS.map((m) => h('option', { value: m, selected: m === item.mark }, markName(m))));
  const reason = h('textarea', { maxlength: 1000 });
  actDialog(T('markDo') + ' · ' + (item.name || '#' + item.seq), [
    field(T('newMark'), sel, { required: true }),
    field(T('reason'), reason, { required: true }),
  ], t('save'), async () => {
    await post('/api/v1/media/' + item.seq + '/mark', { mark: sel.value, reason: reason.value.trim() });
    notify(T('marked'));
    if (onDone) onDone();
    return true;
  });
}

// A lightbox over photos: arrow keys move, Escape closes (the dialog's
// own cancel), and focus returns to the thumbnail.
export function lightbox(photos, index) {
  let i = index;
  const img = h('img', { alt: '' });
  img.addEventListener('load', () => img.classList.remove('loading'));
  img.addEventListener('error', () => img.classList.remove('loading'));
  const caption = h('p.lightbox-caption', { 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', onclick: () => show(i - 1) }, '← ' + T('prevPhoto'));
  const next = h('button', { type: 'button', onclick: () => show(i + 1) }, T('nextPhoto') + ' →');
  const open = h('a', { href: '' }, T('details'));
  const session = sessionId();
  function show(n) {
    i = (n + photos.length) % photos.length;
    const p = photos[i];
    // The previous photo fades until the next has loaded, so that the
    // caption never shows under another photo.
    img.classList.add('loading');
    img.src = contentUrl(p.seq, session);
    img.alt = p.name || '#' + p.seq;
    open.href = '#/media/' + p.seq;
    fill(caption, T('ofN', { i: i + 1, n: photos.length }), ' · ', p.name || '', ' · ', capturedText(p.captured));
    prev.disabled = photos.length < 2;
    next.disabled = photos.length < 2;
  }
  const d = dialog(T('lightbox'), h('div.lightbox', img, caption, h('div.row', prev, next, open)), { wide: true });
  d.el.classList.add('lightbox-dialog');
  d.el.addEventListener('keydown', (ev) => {
    if (ev.target.closest && ev.target.closest('input, textarea, select')) return;
    if (ev.key === 'ArrowLeft') { ev.preventDefault(); show(i - 1); }
    if (ev.key === 'ArrowRight') { ev.preventDefault(); show(i + 1); }
  });
  open.addEventListener('click', () => d.close());
  show(i);
  return d;
}

function playerDialog(item) {
  const d = dialog(T('player') + ' · ' + (item.name || '#' + item.seq), h('div.player-box', player(item), factList(item)), { wide: true });
  d.el.addEventListener('close', () => {
    const m = d.el.querySelector('video, audio');
    if (m) m.pause();
  });
  return d;
}

// One file of the list as a card.
function mediaCard(item, { ctx, caseId, caseData, photos, refresh }) {
  const name = item.name || '#' + item.seq;
  // A file above the reader's clearance is not asked for: the server
  // would refuse it and log the refusal as an attempt to read it.
  const cleared = !ctx || !ctx.cleared || ctx.cleared(item.mark);
  let preview;
  if (!cleared) {
    preview = h('span.nothumb.withheld', t('withheld'));
  } else if (item.thumbnail) {
    preview = h('img', { src: '/api/v1/media/' + item.seq + '/thumbnail', alt: T('thumbAlt', { name }), loading: 'lazy' });
  } else {
    preview = h('span.nothumb', typeName(item.type) || T('noThumb'));
  }
  let opener = null;
  if (!cleared) {
    opener = h('div.thumb-open', preview);
  } else if (isPhoto(item) && photos.includes(item)) {
    opener = h('button.thumb-open', { type: 'button', 'aria-label': T('open') + ' ' + name, onclick: () => lightbox(photos, photos.indexOf(item)) }, preview);
  } else if (isPlayable(item)) {
    opener = h('button.thumb-open', { type: 'button', 'aria-label': T('play') + ' ' + name, onclick: () => playerDialog(item) },
      preview, h('span.play-mark', { 'aria-hidden': 'true' }, '▶'));
  } else {
    opener = h('div.thumb-open', preview);
  }
  return h('li.media-card', { dataset: { seq: String(item.seq) } },
    opener,
    h('div.media-body',
      h('h4', h('a', { href: '#/media/' + item.seq }, name), ' ', h('span.muted', '#' + item.seq)),
      h('div.media-flags', h('span.flag.info', typeName(item.type)), flagBadges(item.flags)),
      h('p.media-line', h('span.muted', T('capturedAt') + '：'), capturedText(item.captured)),
      h('p.media-line', h('span.muted', T('device') + '：'), item.device || '', ' · ',
        h('span.muted', T('officer') + '：'), item.officer || '', ' · ',
        h('span.muted', T('delay') + '：'), fmtDelay(item.delay_ms)),
      h('details', h('summary', T('details')), factList(item)),
      mediaActions(item, ctx, { caseId, caseData, onDone: refresh })));
}

// Renders the case's files, paged, into el.
function mediaList(el, caseId, ctx, caseData) {
  const state = { offset: 0, type: '' };
  const typeSel = h('select', h('option', { value: '' }, T('all')),
    ['photo', 'video', 'audio', 'surveillance', 'other'].map((v) => h('option', { value: v }, typeName(v))));
  typeSel.addEventListener('change', () => { state.type = typeSel.value; state.offset = 0; load(); });
  const body = h('div.media-list-body', { 'aria-live': 'polite', 'aria-busy': 'false' });
  fill(el, h('div.spread', h('h3', T('list')), h('div.media-filter', field(T('filterType'), typeSel))), body);

  async function load() {
    body.setAttribute('aria-busy', 'true');
    try {
      const page = await get('/api/v1/media', { case: caseId, type: state.type, offset: state.offset, limit: PAGE });
      const items = page.items || [];
      const photos = items.filter((it) => isPhoto(it) && ctx.cleared(it.mark));
      const ctxList = { ctx, caseId, caseData, photos, refresh: load };
      fill(body,
        h('p.muted', T('count', { n: page.total })),
        items.length ? h('ul.media-grid', items.map((it) => mediaCard(it, ctxList))) : h('p.empty', T('noMedia')),
        page.total > PAGE ? pager({ total: page.total, offset: state.offset, limit: PAGE, onPage: (o) => { state.offset = o; load(); } }) : null);
    } catch (e) {
      fill(body, errorBox(e));
    } finally {
      body.setAttribute('aria-busy', 'false');
    }
  }
  load();
  return load;
}

// One queued file: its row, its progress and its TusUpload.
function queueItem(file, opts) {
  const id = 'up' + Math.random().toString(36).slice(2, 9);
  const bar = h('progress', { max: 100, value: 0, 'aria-labelledby': id + '-name', 'aria-describedby': id + '-pct' });
  const pct = h('span.pct', { id: id + '-pct' }, '0%');
  const speed = h('span.speed');
  const status = h('span.up-status', { role: 'status' }, T('st_waiting'));
  const note = h('span.up-note');
  const err = h('div');
  const pauseBtn = h('button', { type: 'button' }, T('pause'));
  const cancelBtn = h('button.danger', { type: 'button' }, T('cancel'));
  const row = h('li.upload', { dataset: { name: file.name } },
    h('div.spread', h('strong', { id: id + '-name' }, file.name), h('span.muted', fmtBytes(file.size))),
    bar,
    h('div.up-meta', pct, speed, status, note),
    h('div.row', pauseBtn, cancelBtn),
    err);
  const item = { file, row, upload: null, state: 'waiting', result: null };

  function setState(s, extra) {
    item.state = s;
    row.dataset.state = s;
    status.textContent = T('st_' + s) + (extra ? ' ' + extra : '');
    pauseBtn.textContent = s === 'paused' || s === 'failed' ? T('resume') : T('pause');
    pauseBtn.hidden = ['done', 'cancelled', 'waiting'].includes(s);
    cancelBtn.hidden = ['done', 'cancelled'].includes(s);
  }

  item.start = async () => {
    const meta = opts.metadata(file);
    if (!meta) return;
    err.replaceChildren();
    item.upload = item.upload || new TusUpload(file, {
      metadata: meta, user: opts.user, caseId: opts.caseId,
      onProgress: ({ sent, total, speed: v }) => {
        const p = total ? Math.floor((sent * 100) / total) : 100;
        bar.value = p;
        pct.textContent = T('percentOf', { p, sent: fmtBytes(sent), total: fmtBytes(total) });
        speed.textContent = v ? T('speed', { v: fmtBytes(Math.round(v)) }) : '';
      },
      onStatus: (s) => setState(s),
    });
    item.upload.metadata = meta;
    try {
      const result = await item.upload.start();
      if (item.upload.resumedFrom) note.textContent = T('resumedFrom', { at: fmtBytes(item.upload.resumedFrom) });
      item.result = result;
      bar.value = 100;
      speed.textContent = '';
      setState('done', '#' + result.seq);
      fill(err, h('div.media-flags', flagBadges(result.flags),
        (result.duplicates || []).length ? h('span.flag.info', T('duplicate', { seqs: result.duplicates.map((d) => d.seq ?? d).join('、') })) : null,
        h('a', { href: '#/media/' + result.seq }, T('open'))));
      notify(T('uploaded', { name: file.name, seq: result.seq }));
      (item.opts || opts).onDone(result);
    } catch (e) {
      if (item.state === 'cancelled') return;
      if (e.name === 'AbortError') { setState('paused'); return; }
      if (item.upload.resumedFrom) note.textContent = T('resumedFrom', { at: fmtBytes(item.upload.resumedFrom) });
      setState('failed');
      err.append(errorBox(e));
    }
  };

  pauseBtn.addEventListener('click', () => {
    if (['paused', 'failed'].includes(item.state)) item.start();
    else if (item.upload) { item.upload.pause(); setState('paused'); }
  });
  cancelBtn.addEventListener('click', async () => {
    setState('cancelled');
    if (item.upload) await item.upload.cancel();
    row.remove();
    if (opts.onCancel) opts.onCancel(item);
  });
  setState('waiting');
  return item;
}

// The upload form: metadata, drop zone and queue.
async function uploadPanel(caseId, ctx, caseData, onUploaded) {
  const me = ctx.session && ctx.session.user;
  const device = h('input', { type: 'text', maxlength: 200, autocomplete: 'off', value: localStorage.getItem('casetrail.device') || '' });
  const officer = h('select', h('option', { value: me || '' }, me || ''));
  const record = h('select', h('option', { value: '' }, T('noRecord')));
  const type = h('select', h('option', { value: '' }, T('typeAuto')),
    ['photo', 'video', 'audio'].map((v) => h('option', { value: v }, typeName(v))));
  const captured = h('input', { type: 'datetime-local', step: 1 });
  const capturedReason = h('input', { type: 'text', maxlength: 500 });
  const copyDeleted = h('input', { type: 'checkbox' });
  const formErr = h('div');
  const queue = h('ul.upload-queue', { 'aria-label': T('queue') });
  if (!queues.has(caseId)) queues.set(caseId, []);
  const items = queues.get(caseId);
  for (const it of items) {
    queue.append(it.row);
    it.opts.onDone = onUploaded;
  }

  staff().then((users) => {
    const officers = users.filter((u) => u.name !== me && (u.roles || []).some((r) => ['officer', 'handler'].includes(r)));
    for (const u of officers) officer.append(h('option', { value: u.name }, userLabel(u)));
    const self = users.find((u) => u.name === me);
    if (self) officer.options[0].textContent = userLabel(self);
  });
  caseRecords(caseId, caseData).then((rs) => {
    for (const r of rs.slice(-500).reverse()) record.append(recordOption(r));
  });

  // The metadata of one file, or null (with the reason shown) when the
  // form is not complete.
  function metadata(file) {
    formErr.replaceChildren();
    const dev = device.value.trim();
    if (!dev) {
      device.dataset.touched = '1';
      formErr.append(errorBox(T('needDevice')));
      device.focus();
      return null;
    }
    if (captured.value && !capturedReason.value.trim()) {
      formErr.append(errorBox(T('needReason')));
      capturedReason.focus();
      return null;
    }
    localStorage.setItem('casetrail.device', dev);
    return {
      filename: file.name.replace(/[\\/]/g, '_'),
      case: caseId,
      device: dev,
      officer: officer.value && officer.value !== me ? officer.value : '',
      record: record.value,
      type: type.value,
      captured: captured.value ? localToRfc3339(captured.value) : '',
      captured_reason: captured.value ? capturedReason.value.trim() : '',
      device_copy_deleted: copyDeleted.checked ? '1' : '0',
    };
  }

  function add(files) {
    for (const file of files) {
      const it = queueItem(file, {
        metadata, user: me, caseId, onDone: onUploaded,
        onCancel: (gone) => { const at = items.indexOf(gone); if (at >= 0) items.splice(at, 1); },
      });
      it.opts = { onDone: onUploaded };
      items.push(it);
      queue.append(it.row);
      it.start();
    }
  }

  const input = h('input.file-input', { type: 'file', multiple: true, accept: 'image/*,video/*,audio/*,.mts,.m2ts,.amr,.3gp' });
  input.addEventListener('change', () => { add([...input.files]); input.value = ''; });
  input.id = 'ev-file-' + Math.random().toString(36).slice(2, 8);
  // The native control's own words follow the browser's language, so it
  // is hidden (still focusable) behind a label drawn as a button.
  const zone = h('div.dropzone', h('p.drop-text', T('drop')), h('p.muted', T('or')),
    h('div.file-pick', input, h('label.button.primary', { for: input.id }, T('choose'))));
  zone.addEventListener('dragover', (ev) => { ev.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (ev) => {
    ev.preventDefault();
    zone.classList.remove('over');
    if (ev.dataTransfer && ev.dataTransfer.files.length) add([...ev.dataTransfer.files]);
  });

  const startAll = h('button', { type: 'button', onclick: () => items.filter((i) => i.state === 'waiting').forEach((i) => i.start()) }, T('start'));
  const clearDone = h('button', {
    type: 'button',
    onclick: () => {
      for (let i = items.length - 1; i >= 0; i--) {
        if (items[i].state !== 'done') continue;
        items[i].row.remove();
        items.splice(i, 1);
      }
    },
  }, T('clearDone'));

  forgetStale();
  const pendingCount = Object.keys(localStorage).filter((k) => k.startsWith('casetrail.tus.' + (me || '') + '|' + caseId + '|')).length;

  return h('section.panel.upload-panel', { 'aria-labelledby': 'ev-upload-h' },
    h('h3#ev-upload-h', T('upload')),
    pendingCount ? h('p.notice', T('pending', { n: pendingCount })) : null,
    h('fieldset', h('legend', T('meta')),
      h('div.grid3',
        field(T('device'), device, { required: true, hint: T('deviceHint') }),
        field(T('officer'), officer),
        field(T('type'), type),
        field(T('record'), record),
        field(T('captured'), captured, { hint: T('capturedHint') }),
        field(T('capturedReason'), capturedReason)),
      h('label.check', copyDeleted, T('copyDeleted'))),
    formErr,
    zone,
    h('div.spread', h('h4', T('queue')), h('div.row', startAll, clearDone)),
    queue);
}

// Renders the evidence tab of case caseId into container.
export async function renderEvidence(container, caseId, ctx, caseData) {
  const listEl = h('section.panel.media-list', { 'aria-label': T('list') });
  fill(container, h('h2', T('heading')));
  let reload = () => {};
  if (ctx.has(...UPLOADERS)) container.append(await uploadPanel(caseId, ctx, caseData, () => reload()));
  container.append(listEl);
  reload = mediaList(listEl, caseId, ctx, caseData);
}
