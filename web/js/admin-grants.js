// 角色, 单位 and 查阅授权: the security administrator grants and revokes
// roles (a party role bound to one case), sets units and sets the marks a
// person is cleared to read. The server rejects a change to one's own
// account, and its message is shown where the administrator acted.
import { h, fill } from './dom.js';
import { strings, t, roleName, markName } from './i18n.js';
import { get, post, del, withQuery } from './api.js';
import { field, dialog, notify, busy, errorBox } from './ui.js';
import { staffList, S, rolesText, clearanceText } from './admin-staff.js';

const T = strings({
  zh: {
    rolesCaption: '人员角色', unitsCaption: '人员单位', clearCaption: '人员查阅授权',
    manageRoles: '管理角色', setUnit: '设置单位', setClearance: '设置查阅授权',
    grants: '现有授权', noGrants: '没有角色', revoke: '撤销', grant: '授予角色', role: '角色',
    unit: '单位（选填）', unitHint: '授权限于该单位时填写', case: '案件编号', caseHint: '当事人、申请人、利害关系人角色须绑定一个案件，例如 2026-000001',
    grantBtn: '授予', granted: '已授予 {user} 角色：{role}', revoked: '已撤销 {user} 的角色：{role}',
    unitLabel: '单位', unitSetHint: '留空则清除单位', unitSaved: '已将 {user} 的单位设为：{unit}', unitCleared: '已清除 {user} 的单位',
    marks: '可查阅的保密信息类别', marksHint: '敏感个人信息的授权同时涵盖个人信息；商业秘密单独授予。不勾选即为不能查阅任何保密内容。',
    clearSaved: '已更新 {user} 的查阅授权：{marks}', sep: '三员分立：系统管理员、安全保密管理员、安全审计员不得由同一人兼任，也不得兼任其他角色。',
    selfNote: '管理员不能修改自己的角色、单位和查阅授权，须由另一名管理员办理。',
    onCase: '案件 {id}', inUnit: '限 {unit}',
  },
  en: {
    rolesCaption: 'Roles of staff', unitsCaption: 'Units of staff', clearCaption: 'Clearances of staff',
    manageRoles: 'Manage roles', setUnit: 'Set unit', setClearance: 'Set clearance',
    grants: 'Grants', noGrants: 'No roles', revoke: 'Revoke', grant: 'Grant a role', role: 'Role',
    unit: 'Unit (optional)', unitHint: 'When the grant is limited to a unit', case: 'Case id', caseHint: 'Party, applicant and interested-party roles are bound to one case, such as 2026-000001',
    grantBtn: 'Grant', granted: 'Granted {user} the role {role}', revoked: 'Revoked the role {role} of {user}',
    unitLabel: 'Unit', unitSetHint: 'Leave empty to remove the unit', unitSaved: 'Unit of {user} set to {unit}', unitCleared: 'Unit of {user} removed',
    marks: 'Marks cleared', marksHint: 'Sensitive personal information covers personal information too; commercial secrets are separate. None ticked is no clearance.',
    clearSaved: 'Clearance of {user} set to {marks}', sep: 'Separation of duties: the system administrator, security administrator and security auditor are three people, and none holds another role.',
    selfNote: 'An administrator does not change their own roles, unit or clearance; another administrator does.',
    onCase: 'case {id}', inUnit: 'in {unit}',
  },
});

export const ROLE_CODES = ['clerk', 'handler', 'reviewer', 'legal', 'approver', 'head', 'archivist', 'supervisor',
  'case-auditor', 'officer', 'server', 'presiding', 'party', 'applicant', 'interested-party', 'sysadmin', 'secadmin', 'auditor'];
const CASE_ROLES = ['party', 'applicant', 'interested-party'];
export const MARK_CODES = ['commercial-secret', 'personal', 'sensitive-personal'];

const path = (name, rest = '') => '/api/v1/users/' + encodeURIComponent(name) + rest;

function intro(el, caption) {
  const listEl = h('div');
  fill(el, h('p.notice', T('sep'), ' ', T('selfNote')), h('h2', caption), listEl);
  return listEl;
}

// A datalist of the units staff belong to, for the unit inputs.
function unitList(units) {
  return h('datalist#admin-units', units.map((u) => h('option', { value: u })));
}

export async function renderRoles(el) {
  const list = staffList(intro(el, T('rolesCaption')), {
    columns: [{ key: 'roles', label: S('roles'), render: rolesText }, { key: 'unit', label: S('unit') }],
    actions: (u, reload) => [h('button', { type: 'button', 'aria-label': T('manageRoles') + ' ' + u.name, onclick: () => rolesDialog(u.name, reload, list.units()) }, T('manageRoles'))],
  });
}

export async function renderUnits(el) {
  const list = staffList(intro(el, T('unitsCaption')), {
    columns: [{ key: 'unit', label: S('unit') }, { key: 'roles', label: S('roles'), render: rolesText }],
    actions: (u, reload) => [h('button', { type: 'button', 'aria-label': T('setUnit') + ' ' + u.name, onclick: () => unitDialog(u, reload, list.units()) }, T('setUnit'))],
  });
}

export async function renderClearances(el) {
  staffList(intro(el, T('clearCaption')), {
    columns: [{ key: 'clearance', label: S('clearance'), render: clearanceText }, { key: 'unit', label: S('unit') }],
    actions: (u, reload) => [h('button', { type: 'button', 'aria-label': T('setClearance') + ' ' + u.name, onclick: () => clearanceDialog(u, reload) }, T('setClearance'))],
  });
}

function grantText(g) {
  const bits = [roleName(g.role)];
  if (g.unit) bits.push(T('inUnit', { unit: g.unit }));
  if (g.case) bits.push(T('onCase', { id: g.case }));
  return bits.join(' · ');
}

async function rolesDialog(name, reload, units) {
  const body = h('div', h('p.loading', t('loading')));
  const errs = h('div');
  dialog(T('manageRoles') + '：' + name, [errs, body], { wide: true });
  const role = h('select', { name: 'grant-role' }, ROLE_CODES.map((r) => h('option', { value: r }, roleName(r) + '（' + r + '）')));
  const unit = h('input', { name: 'grant-unit', autocomplete: 'off', list: 'admin-units' });
  const caseId = h('input', { name: 'grant-case', autocomplete: 'off' });
  const caseField = field(T('case'), caseId, { hint: T('caseHint') });
  const showCase = () => { caseField.hidden = !CASE_ROLES.includes(role.value); };
  role.addEventListener('change', showCase);
  showCase();
  const grantBtn = h('button.primary', { type: 'submit' }, T('grantBtn'));
  const form = h('form.panel', { novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    const b = { role: role.value };
    if (unit.value.trim()) b.unit = unit.value.trim();
    if (CASE_ROLES.includes(role.value) && caseId.value.trim()) b.case = caseId.value.trim();
    busy(grantBtn, async () => {
      const u = await post(path(name, '/roles'), b);
      notify(T('granted', { user: name, role: roleName(b.role) }));
      draw(u);
      reload();
    }, errs);
  } }, h('h3', T('grant')), h('div.grid3', field(T('role'), role), field(T('unit'), unit, { hint: T('unitHint') }), caseField),
  h('div.actions', grantBtn), unitList(units));

  function draw(u) {
    const grants = u.grants && u.grants.length ? u.grants : (u.roles || []).map((r) => ({ role: r }));
    fill(body, h('h3', T('grants')),
      grants.length ? h('ul.admin-grants', grants.map((g) => {
        const b = h('button.danger', { type: 'button', 'aria-label': T('revoke') + ' ' + grantText(g) }, T('revoke'));
        b.onclick = () => busy(b, async () => {
          const q = withQuery(path(name, '/roles/' + encodeURIComponent(g.role)), { unit: g.unit, case: g.case });
          const u2 = await del(q);
          notify(T('revoked', { user: name, role: roleName(g.role) }));
          draw(u2);
          reload();
        }, errs);
        return h('li', h('span', grantText(g)), b);
      })) : h('p.muted', T('noGrants')),
      form);
  }
  try {
    draw(await get(path(name)));
  } catch (e) {
    fill(body, errorBox(e));
  }
}

function unitDialog(u, reload, units) {
  const input = h('input', { name: 'unit', autocomplete: 'off', value: u.unit || '', list: 'admin-units' });
  const errs = h('div');
  const save = h('button.primary', { type: 'submit' }, t('save'));
  const d = dialog(T('setUnit') + '：' + u.name, h('form', { novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    const unit = input.value.trim();
    busy(save, async () => {
      await post(path(u.name, '/unit'), { unit });
      notify(unit ? T('unitSaved', { user: u.name, unit }) : T('unitCleared', { user: u.name }));
      d.close();
      reload();
    }, errs);
  } }, field(T('unitLabel'), input, { hint: T('unitSetHint') }), unitList(units), errs, h('div.actions', save)));
  input.focus();
}

function clearanceDialog(u, reload) {
  const have = new Set(u.clearance || []);
  const boxes = MARK_CODES.map((m) => h('input', { type: 'checkbox', name: 'mark', value: m, checked: have.has(m), id: 'mark-' + m }));
  const errs = h('div');
  const save = h('button.primary', { type: 'submit' }, t('save'));
  const d = dialog(T('setClearance') + '：' + u.name, h('form', { novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    const marks = boxes.filter((b) => b.checked).map((b) => b.value);
    busy(save, async () => {
      await post(path(u.name, '/clearance'), { clearance: marks });
      notify(T('clearSaved', { user: u.name, marks: marks.length ? marks.map(markName).join('、') : markName('none') }));
      d.close();
      reload();
    }, errs);
  } }, h('fieldset', h('legend', T('marks')),
    boxes.map((b) => h('label.check', { for: b.id }, b, markName(b.value))),
    h('small.hint', T('marksHint'))), errs, h('div.actions', save)));
  boxes[0].focus();
}
