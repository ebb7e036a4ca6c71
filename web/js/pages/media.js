// One audio-visual file (#/media/SEQ): the photo or the player, every
// fact of its ingest, its flags, the capture-time clues the probe read,
// the records it is linked to, its chain of custody and a download.
import { h, fill, fmtTime, fmtBytes } from '../dom.js';
import { strings, t } from '../i18n.js';
import { get } from '../api.js';
import { errorBox, table } from '../ui.js';
import {
  T as E, typeName, flagBadges, factList, player, mediaActions, contentUrl, sessionId, lightbox,
} from '../evidence.js';

const T = strings({
  zh: {
    title: '音像文件 #{seq}', back: '返回案件 {id}', download: '下载原始文件', facts: '文件信息',
    flags: '标记', noFlags: '无异常标记', clues: '文件载明的时间', source: '来源', value: '值',
    custody: '保管链', custodyNote: '对该文件内容的每一次入库、关联、说明、调阅和下载都记录在案。',
    seq: '序号', at: '时间', kind: '事项', actor: '操作人', content: '内容',
    stored: '文件仍在存储中', purged: '文件已按保存期限删除', links: '关联记录', noLinks: '尚未关联记录',
    probe: '解析结果', device: '设备型号', resolution: '分辨率', duration: '时长', format: '格式',
    k_ingest: '入库', k_link: '关联记录', k_capture: '说明拍摄时间', k_justify: '迟延上传说明',
    k_access: '调阅', k_hold: '保全', k_release: '解除保全', k_purge: '删除', k_mark: '保密标识变更',
    playback: '播放', downloadMode: '下载', zoom: '放大查看', linkedBy: '关联登记 #{seq}',
  },
  en: {
    title: 'Audio-visual file #{seq}', back: 'Back to case {id}', download: 'Download the original', facts: 'File details',
    flags: 'Flags', noFlags: 'No flags', clues: 'Times stated in the file', source: 'Source', value: 'Value',
    custody: 'Chain of custody', custodyNote: 'Every ingest, link, statement, playback and download of these bytes is recorded.',
    seq: 'Seq', at: 'Time', kind: 'Event', actor: 'By', content: 'Content',
    stored: 'The file is stored', purged: 'The file was purged at the end of its retention', links: 'Linked records', noLinks: 'Not linked to a record',
    probe: 'Probe', device: 'Device model', resolution: 'Resolution', duration: 'Duration', format: 'Format',
    k_ingest: 'Ingest', k_link: 'Link', k_capture: 'Capture time stated', k_justify: 'Late upload reason',
    k_access: 'Access', k_hold: 'Hold', k_release: 'Hold released', k_purge: 'Purge', k_mark: 'Mark changed',
    playback: 'playback', downloadMode: 'download', zoom: 'Enlarge', linkedBy: 'linked by entry #{seq}',
  },
});

const KINDS = {
  'media-ingest': 'k_ingest', 'media-link': 'k_link', 'media-capture': 'k_capture', 'media-justify': 'k_justify',
  'media-access': 'k_access', 'media-hold': 'k_hold', 'media-release': 'k_release', purge: 'k_purge', 'mark-set': 'k_mark',
};

// A short line of a custody entry's content, from its fields.
function eventSummary(ev) {
  const f = ev.fields || {};
  switch (ev.kind) {
    case 'media-ingest':
      return [f.name, f.device, f.officer, (f.flags || []).length ? flagBadges(f.flags) : null].filter(Boolean).map((x, i) => [i ? ' · ' : '', x]);
    case 'media-link':
      return '→ #' + f.record;
    case 'media-capture':
      return fmtTime(f.start) + ' · ' + (f.reason || '');
    case 'media-justify':
      return (f.reason || '') + ' · ' + E('approvedBy') + '：' + (f.approved_by || '');
    case 'media-access':
      return (f.mode === 'download' ? T('downloadMode') : T('playback')) + (f.session ? ' · ' + f.session : '');
    default:
      return Object.entries(f).filter(([k]) => !['hash', 'media'].includes(k))
        .map(([k, v]) => k + '：' + (typeof v === 'object' ? JSON.stringify(v) : v)).join('；');
  }
}

// Rows of what the probe read: the device model, resolution, duration.
function probeRows(item) {
  const p = item.probe || {};
  const dev = p.device ? [p.device.make, p.device.model, p.device.software].filter(Boolean).join(' ') : '';
  return [
    dev ? [T('device'), dev] : null,
    p.width && p.height ? [T('resolution'), p.width + ' × ' + p.height] : null,
    item.captured && item.captured.duration_ms ? [T('duration'), (item.captured.duration_ms / 1000).toFixed(1) + ' s'] : null,
  ].filter(Boolean);
}

export async function render(main, params, ctx) {
  const seq = Number(params.seq);
  const [item, custody] = await Promise.all([
    get('/api/v1/media/' + encodeURIComponent(params.seq)),
    get('/api/v1/media/' + encodeURIComponent(params.seq) + '/custody').catch((e) => ({ error: e })),
  ]);
  const reload = () => ctx.refresh();
  const name = item.name || '#' + seq;
  const photo = item.type === 'photo' || (item.media_type || '').startsWith('image/');
  let view = null;
  const cleared = ctx.cleared(item.mark);
  if (!cleared) {
    // Not asked for: the server would refuse and log it as an attempt.
    view = h('p.notice.withheld', t('withheld'));
  } else if (photo) {
    const img = h('img.media-photo', { src: contentUrl(seq, sessionId()), alt: name });
    view = h('button.thumb-open.media-zoom', { type: 'button', 'aria-label': T('zoom') + ' ' + name, onclick: () => lightbox([item], 0) }, img);
  } else if (/^(video|audio)\//.test(item.media_type || '') || ['video', 'audio', 'surveillance'].includes(item.type)) {
    view = player(item);
  }
  const clues = (item.probe && item.probe.capture && item.probe.capture.clues) || [];
  const links = item.links || [];
  // The linked records' names; a record the reader may not see is
  // shown by its seq alone.
  const linkedRecords = await Promise.all(links.slice(0, 50).map((l) =>
    get('/api/v1/records/' + (l.record ?? l)).catch(() => null)));

  fill(main,
    h('div.spread',
      h('h1', T('title', { seq }), ' ', h('span.media-name', name)),
      item.case ? h('a', { href: '#/cases/' + encodeURIComponent(item.case) + '?tab=evidence' }, T('back', { id: item.case })) : null),
    h('div.media-page',
      h('section.panel.media-view', view,
        h('div.actions',
          cleared && h('a.button', { href: contentUrl(seq) + '?download=1', download: item.name || '' }, T('download')),
          mediaActions(item, ctx, { caseId: item.case, onDone: reload }))),
      h('section.panel', { 'aria-labelledby': 'mf-h' },
        h('h2#mf-h', T('facts')),
        h('div.media-flags', h('span.flag.info', typeName(item.type)),
          (item.flags || []).length ? flagBadges(item.flags) : h('span.flag.ok', T('noFlags'))),
        factList(item, probeRows(item)))),
    clues.length ? h('section', h('h2', T('clues')), table({
      columns: [{ key: 'source', label: T('source') }, { key: 'value', label: T('value') }],
      rows: clues,
    })) : null,
    h('section', h('h2', T('links')), links.length
      ? h('ul.media-links', links.map((l, i) => {
        const rec = linkedRecords[i];
        return h('li', '#' + (l.record ?? l),
          rec ? ' ' + (rec.name || rec.kind || '') : '',
          rec && rec.happened ? ' · ' + fmtTime(rec.happened) : '',
          l.seq ? h('span.muted', ' · ' + T('linkedBy', { seq: l.seq })) : null);
      }))
      : h('p.muted', T('noLinks'))),
    h('section', h('h2', T('custody')),
      custody.error ? errorBox(custody.error) : [
        h('p.muted', T('custodyNote'), ' ', custody.stored ? T('stored') : T('purged'),
          ' · ', fmtBytes(custody.size)),
        table({
          caption: T('custody'),
          columns: [
            { key: 'seq', label: T('seq'), render: (r) => '#' + r.seq },
            { key: 'ts', label: T('at'), render: (r) => fmtTime(r.ts) },
            { key: 'kind', label: T('kind'), render: (r) => (KINDS[r.kind] ? T(KINDS[r.kind]) : r.kind) },
            { key: 'actor', label: T('actor') },
            { key: 'content', label: T('content'), render: eventSummary },
          ],
          rows: custody.events || [],
        }),
      ]));
}
