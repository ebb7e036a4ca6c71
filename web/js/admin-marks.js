// 保密标识变更: the security administrator changes the confidentiality mark of
// a record or an audio-visual file by its number. The administrator reads
// no case content, so the section names the target by number alone and
// shows only what the server answers: the old and new mark.
import { h, fill } from './dom.js';
import { strings, markName } from './i18n.js';
import { post } from './api.js';
import { field, busy, notify } from './ui.js';

const T = strings({
  zh: {
    intro: '安全保密管理员不查阅案件内容。请按承办人或档案管理员提供的记录号或文件号变更保密标识，并写明理由；每次变更都记入账本，可在安全审计中查到。',
    target: '对象', record: '办理记录', media: '音视频文件', seq: '编号（记录号或文件号）',
    mark: '新保密标识', reason: '变更理由', save: '变更保密标识',
    done: '{what} #{seq} 的保密标识已由 {from} 改为 {to}', result: '变更结果',
    seqHint: '正整数，例如 42。', badSeq: '编号应为正整数，例如 42。',
  },
  en: {
    intro: 'The security administrator reads no case content. Change a mark by the record or file number the handler or archivist gives, with a reason; every change is an entry of the ledger and shows in the security audit.',
    target: 'Target', record: 'Case record', media: 'Audio-visual file', seq: 'Number (record or file)',
    mark: 'New mark', reason: 'Reason', save: 'Change the mark',
    done: '{what} #{seq}: mark changed from {from} to {to}', result: 'Result',
    seqHint: 'A positive whole number, such as 42.', badSeq: 'The number must be a positive whole number, such as 42.',
  },
});

const MARKS = ['none', 'personal', 'sensitive-personal', 'commercial-secret'];

export async function renderMarks(el) {
  const target = h('select', { name: 'mark-target' },
    h('option', { value: 'records' }, T('record')), h('option', { value: 'media' }, T('media')));
  const seq = h('input', { name: 'mark-seq', inputmode: 'numeric', autocomplete: 'off' });
  const mark = h('select', { name: 'mark-to' }, MARKS.map((m) => h('option', { value: m }, markName(m))));
  const reason = h('textarea', { name: 'mark-reason', rows: 3 });
  const errs = h('div');
  const out = h('div', { 'aria-live': 'polite' });
  const button = h('button.primary', { type: 'submit' }, T('save'));
  const form = h('form.panel', { novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    errs.replaceChildren();
    if (!/^[1-9]\d{0,15}$/.test(seq.value.trim())) {
      errs.append(h('div.error', { role: 'alert' }, T('badSeq')));
      seq.focus();
      return;
    }
    busy(button, async () => {
      const what = target.value === 'media' ? T('media') : T('record');
      const r = await post('/api/v1/' + target.value + '/' + seq.value.trim() + '/mark',
        { mark: mark.value, reason: reason.value });
      const text = T('done', { what, seq: seq.value.trim(), from: markName(r.previous), to: markName(r.mark) });
      fill(out, h('section.panel', h('h2', T('result')), h('p', text)));
      notify(text);
    }, errs);
  } },
  h('div.grid2', field(T('target'), target), field(T('seq'), seq, { required: true, hint: T('seqHint') }),
    field(T('mark'), mark, { required: true }), field(T('reason'), reason, { required: true, wide: true })),
  errs, h('div.actions', button));
  fill(el, h('p.notice', T('intro')), form, out);
}
