// 安全审计: the security auditor's two lists, newest first and paged by
// the server: the access log (reads of marked content and refusals) and
// the acts of the system and security administrators.
import { h, fill, fmtTime } from '../dom.js';
import { strings, t, markName, roleName, lang } from '../i18n.js';
import { get } from '../api.js';
import { field, table, pager, errorBox, flag } from '../ui.js';

const T = strings({
  zh: {
    title: '安全审计', tabs: '审计栏目', access: '访问日志', acts: '管理员操作',
    accessIntro: '每次查阅涉密内容和每次被拒绝的访问都记录在案，按时间倒序排列。同一用户十分钟内被拒绝五次将产生“越权访问”问题线索。',
    actsIntro: '系统管理员和安全保密管理员的操作：账户、角色、单位、查阅授权、保密标识、密钥吊销和删除审批。',
    case: '案件编号', user: '用户', outcome: '结果', any: '全部', read: '查阅', refused: '拒绝', kind: '操作类型',
    filter: '筛选', clear: '清除条件', at: '时间', action: '操作', target: '对象', mark: '保密标识', from: '来源', reason: '原因',
    actor: '操作人', fields: '内容', seq: '序号', total: '共 {n} 条',
  },
  en: {
    title: 'Security audit', tabs: 'Audit lists', access: 'Access log', acts: 'Administrators\' acts',
    accessIntro: 'Every read of marked content and every refused attempt, newest first. Five refusals of one user within ten minutes raise an unauthorized-access finding.',
    actsIntro: 'The acts of the system and security administrators: accounts, roles, units, clearances, marks, key revocations and expunge approvals.',
    case: 'Case id', user: 'User', outcome: 'Outcome', any: 'Any', read: 'read', refused: 'refused', kind: 'Kind',
    filter: 'Filter', clear: 'Clear', at: 'Time', action: 'Action', target: 'Target', mark: 'Mark', from: 'From', reason: 'Reason',
    actor: 'By', fields: 'What', seq: 'Seq', total: '{n} in all',
  },
});

const KINDS = {
  user: '新建账户', 'password-set': '设置密码', 'account-disable': '停用账户', 'account-enable': '启用账户',
  'totp-reset': '解除动态口令', 'role-grant': '授予角色', 'role-revoke': '撤销角色', 'unit-set': '设置单位',
  'clearance-set': '设置查阅授权', 'totp-enrol': '绑定动态口令', mark: '变更保密标识', 'staff-key-revoke': '吊销签名密钥',
  'expunge-approval': '批准删除',
};

const PAGE = 50;

export async function render(main, params, ctx) {
  document.title = T('title') + ' · ' + t('app');
  const tab = ctx.query.get('tab') === 'acts' ? 'acts' : 'access';
  const body = h('div.audit');
  fill(main, h('h1', T('title')),
    h('nav.admin-tabs', { 'aria-label': T('tabs') }, h('ul',
      h('li', h('a', { href: '#/audit', 'aria-current': tab === 'access' ? 'page' : null }, T('access'))),
      h('li', h('a', { href: '#/audit?tab=acts', 'aria-current': tab === 'acts' ? 'page' : null }, T('acts'))))),
    body);
  if (tab === 'acts') return actsList(body, ctx);
  return accessList(body, ctx);
}

// Draws a filter form and a table paged by the server. The filters stay
// in the hash, so a reload or a link keeps them.
function listPage(el, { intro, inputs, path, columns, ctx, tab }) {
  const out = h('div', { 'aria-live': 'polite' });
  const errs = h('div');
  const apply = (offset) => {
    const q = new URLSearchParams();
    if (tab) q.set('tab', tab);
    for (const [k, input] of Object.entries(inputs)) if (input.value.trim()) q.set(k, input.value.trim());
    if (offset) q.set('offset', String(offset));
    location.hash = '#/audit' + (q.toString() ? '?' + q : '');
  };
  for (const [k, input] of Object.entries(inputs)) input.value = ctx.query.get(k) || '';
  fill(el, h('p.notice', intro),
    h('form.admin-search.admin-filters', { role: 'search', onsubmit: (e) => { e.preventDefault(); apply(0); } },
      Object.values(inputs).map((i) => field(i.dataset.label, i)),
      h('button.primary', { type: 'submit' }, T('filter')),
      h('button', { type: 'button', onclick: () => { for (const i of Object.values(inputs)) i.value = ''; apply(0); } }, T('clear'))),
    errs, out);
  const params = { offset: Number(ctx.query.get('offset')) || 0, limit: PAGE };
  for (const [k, input] of Object.entries(inputs)) if (input.value) params[k] = input.value;
  return get(path, params).then((r) => {
    fill(out, h('p.muted', T('total', { n: r.total })), table({ columns, rows: r.items || [] }),
      pager({ total: r.total, offset: r.offset, limit: r.limit, onPage: apply }));
  }).catch((e) => fill(errs, errorBox(e)));
}

function textInput(label, name) {
  return h('input', { name, autocomplete: 'off', dataset: { label } });
}

function accessList(el, ctx) {
  const outcome = h('select', { name: 'outcome', dataset: { label: T('outcome') } },
    h('option', { value: '' }, T('any')), h('option', { value: 'read' }, T('read')), h('option', { value: 'refused' }, T('refused')));
  return listPage(el, {
    ctx, intro: T('accessIntro'), path: '/api/v1/access-log',
    inputs: { case: textInput(T('case'), 'case'), user: textInput(T('user'), 'user'), outcome },
    columns: [
      { key: 'at', label: T('at'), render: (r) => h('span.audit-time', fmtTime(r.at)) },
      { key: 'user', label: T('user'), render: (r) => h('span.mono', r.user || '') },
      { key: 'outcome', label: T('outcome'), render: (r) => flag(T(r.outcome) || r.outcome, r.outcome === 'refused' ? 'bad' : 'info') },
      { key: 'action', label: T('action'), render: (r) => h('span.mono', r.action || '') },
      { key: 'case', label: T('case'), render: (r) => r.case || '' },
      { key: 'target', label: T('target'), render: (r) => h('code', r.target || '') },
      { key: 'mark', label: T('mark'), render: (r) => (r.mark ? markName(r.mark) : '') },
      { key: 'from', label: T('from'), render: (r) => r.from || '' },
      { key: 'reason', label: T('reason'), render: (r) => r.reason || '' },
    ],
  });
}

// Labels of the members of an administrator's act; others show their key.
const FIELD_LABELS = {
  user: '用户', reason: '原因', role: '角色', unit: '单位', case: '案件', clearance: '查阅授权', mark: '保密标识',
  previous: '原保密标识', target: '对象', key: '密钥', id: '编号', name: '用户名', display_name: '姓名', blob: '附件',
};

function valueText(k, v) {
  if (Array.isArray(v)) return v.map((x) => valueText(k, x)).join('、');
  if (v && typeof v === 'object') return JSON.stringify(v);
  if (k === 'role') return roleName(v) + '（' + v + '）';
  if (k === 'clearance' || k === 'mark' || k === 'previous') return markName(v);
  return String(v);
}

function fieldsText(f) {
  if (!f) return '';
  const parts = [];
  for (const [k, v] of Object.entries(f)) {
    const label = lang() === 'en' ? k : FIELD_LABELS[k] || k;
    parts.push(label + '：' + valueText(k, v));
  }
  return parts.join('；');
}

function actsList(el, ctx) {
  const kind = h('select', { name: 'kind', dataset: { label: T('kind') } }, h('option', { value: '' }, T('any')),
    Object.entries(KINDS).map(([k, v]) => h('option', { value: k }, v + '（' + k + '）')));
  return listPage(el, {
    ctx, tab: 'acts', intro: T('actsIntro'), path: '/api/v1/audit',
    inputs: { user: textInput(T('user'), 'user'), kind },
    columns: [
      { key: 'seq', label: T('seq'), render: (r) => String(r.seq) },
      { key: 'at', label: T('at'), render: (r) => h('span.audit-time', fmtTime(r.at)) },
      { key: 'actor', label: T('actor'), render: (r) => h('span.mono', r.actor || '') },
      { key: 'kind', label: T('kind'), render: (r) => (KINDS[r.kind] ? KINDS[r.kind] + ' ' : '') + '(' + r.kind + ')' },
      { key: 'fields', label: T('fields'), render: (r) => fieldsText(r.fields) },
    ],
  });
}
