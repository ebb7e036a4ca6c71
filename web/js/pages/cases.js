// 案件查询: every case the user may see, with the filters of the work
// list (stage, matter, warning colour, search by applicant, credit code,
// case number or document number), open cases by default and closed ones
// on request, sortable and paged.
import { h, fill } from '../dom.js';
import { strings, t } from '../i18n.js';
import { errorBox } from '../ui.js';
import {
  T as L, matters, warnings, annotate, filterBar, byColor, caseColumns, drawList, loadCases,
  readState, writeState,
} from '../work-list.js';

const T = strings({
  zh: {
    title: '案件查询', caption: '案件', empty: '没有符合条件的案件。', all: '包括已办结的案件',
    status: '办理结果', s_open: '办理中', s_granted: '准予许可', s_denied: '不予许可', s_refused: '不予受理',
    s_withdrawn: '撤回申请', s_terminated: '终止办理', closed: '已办结',
  },
  en: {
    title: 'Cases', caption: 'Cases', empty: 'No case matches.', all: 'Include closed cases',
    status: 'Outcome', s_open: 'In progress', s_granted: 'Granted', s_denied: 'Denied', s_refused: 'Not accepted',
    s_withdrawn: 'Withdrawn', s_terminated: 'Terminated', closed: 'Closed',
  },
});

const DEFAULTS = { stage: '', matter: '', color: '', q: '', sort: 'received', dir: 'desc', all: '' };

function statusName(s) {
  const v = T('s_' + s);
  return v === 's_' + s ? s : v;
}

export async function render(main, params, ctx) {
  document.title = T('title') + ' · ' + t('app');
  const state = readState(ctx.query, DEFAULTS);
  const listHost = h('div.case-list', h('p.loading', t('loading')));
  const catalogue = await matters().catch(() => []);
  const all = h('input', { type: 'checkbox', name: 'all', checked: state.all === '1' });
  const extra = h('label.check.filter-check', all, T('all'));
  fill(main, h('h1', T('title')),
    filterBar(state, catalogue, (next) => {
      Object.assign(state, next, { offset: 0, all: all.checked ? '1' : '' });
      load();
    }, { extra }),
    listHost);

  let rows = null;
  let capped = false;
  const load = async () => {
    rows = null;
    await show();
  };
  const show = async () => {
    writeState('/cases', state, DEFAULTS);
    if (!rows) {
      fill(listHost, h('p.loading', t('loading')));
      try {
        const params = { q: state.q, matter: state.matter, stage: state.stage, open: state.all === '1' ? '' : 1 };
        if (state.color === 'red') params.overdue = 1;
        else if (state.color) params['due-within'] = 3;
        ({ items: rows, capped } = await loadCases(params));
        await annotate(rows, await warnings());
      } catch (e) {
        fill(listHost, errorBox(e));
        return;
      }
    }
    drawList(listHost, {
      rows: byColor(rows, state.color),
      caption: T('caption'), empty: T('empty'),
      columns: caseColumns([{ key: 'status', label: T('status'), sort: true, value: (r) => r.status,
        render: (r) => h('span.flag.' + (r.status === 'open' ? 'info' : 'ok'), statusName(r.status)) }]),
      view: { sort: { key: state.sort, dir: state.dir }, offset: state.offset },
      onView: (v) => {
        if (v.sort) { state.sort = v.sort.key; state.dir = v.sort.dir; }
        state.offset = v.offset;
        show();
      },
      note: capped ? h('p.notice', L('capped', { n: rows.length })) : null,
    });
  };
  await show();
}
