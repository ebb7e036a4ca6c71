// The staff list that the account, role, unit and clearance sections
// share: every account read once (GET /api/v1/users, all pages), searched
// and paged here, with the section's own columns and action buttons.
import { h, fill } from './dom.js';
import { strings, t, lang, roleName, markName } from './i18n.js';
import { getAll } from './api.js';
import { field, table, pager, errorBox } from './ui.js';

export const S = strings({
  zh: {
    search: '查找人员', searchHint: '按用户名、姓名、单位或角色查找',
    name: '用户名', display: '姓名', unit: '单位', roles: '角色', clearance: '查阅授权',
    state: '状态', disabled: '已停用', active: '正常', found: '找到 {n} 人',
    noClearance: '无',
  },
  en: {
    search: 'Find staff', searchHint: 'By user name, name, unit or role',
    name: 'User name', display: 'Name', unit: 'Unit', roles: 'Roles', clearance: 'Clearance',
    state: 'State', disabled: 'Disabled', active: 'Active', found: '{n} found',
    noClearance: 'none',
  },
});

export const PAGE = 20;

const sep = () => (lang() === 'en' ? ', ' : '、');

export function rolesText(u) {
  return (u.roles || []).map(roleName).join(sep());
}

export function clearanceText(u) {
  const c = u.clearance || [];
  return c.length ? c.map(markName).join(sep()) : S('noClearance');
}

function matches(u, q) {
  if (!q) return true;
  const text = [u.name, u.display_name, u.unit, (u.roles || []).join(' '), rolesText(u)].join(' ').toLowerCase();
  return q.toLowerCase().split(/\s+/).every((w) => text.includes(w));
}

// Draws the list into el. columns: extra table columns after name and
// display name; actions(user, reload) -> nodes. Returns {reload}, which
// reads the staff again and keeps the search and page, and {units}, the
// units the staff belong to, for suggestions.
export function staffList(el, { columns, actions, caption }) {
  const state = { users: [], q: '', offset: 0 };
  const input = h('input', { type: 'search', autocomplete: 'off', name: 'staff-q' });
  const count = h('p.muted', { 'aria-live': 'polite' });
  const out = h('div');
  const errs = h('div');
  const form = h('form.admin-search', { role: 'search', onsubmit: (e) => { e.preventDefault(); state.q = input.value.trim(); state.offset = 0; draw(); } },
    field(S('search'), input, { hint: S('searchHint') }),
    h('button', { type: 'submit' }, t('search')));
  input.addEventListener('input', () => { state.q = input.value.trim(); state.offset = 0; draw(); });
  fill(el, form, errs, count, out);

  function draw() {
    const rows = state.users.filter((u) => matches(u, state.q));
    count.textContent = S('found', { n: rows.length });
    const pageRows = rows.slice(state.offset, state.offset + PAGE);
    const cols = [
      { key: 'name', label: S('name'), render: (u) => h('span.mono', u.name) },
      { key: 'display_name', label: S('display') },
      ...columns,
      { key: 'actions', label: t('actions'), render: (u) => h('div.row.admin-actions', actions(u, reload)) },
    ];
    fill(out, table({ columns: cols, rows: pageRows, caption, rowClass: (u) => (u.disabled ? 'admin-disabled' : null) }),
      rows.length > PAGE ? pager({ total: rows.length, offset: state.offset, limit: PAGE, onPage: (o) => { state.offset = o; draw(); } }) : null);
  }

  async function reload() {
    try {
      state.users = await getAll('/api/v1/users');
      errs.replaceChildren();
    } catch (e) {
      fill(errs, errorBox(e));
    }
    draw();
  }

  reload();
  const units = () => [...new Set(state.users.map((u) => u.unit).filter(Boolean))].sort();
  return { reload, units };
}
