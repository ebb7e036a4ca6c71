// 系统管理: the administrators' sections. Each section is shown only to
// the role that may use it, and the server also rejects the others. It
// gives accounts to the system administrator, roles, units and clearances to
// the security administrator, the catalogues and signing keys to both.
import { h, fill } from '../dom.js';
import { strings, t } from '../i18n.js';

const T = strings({
  zh: {
    title: '系统管理', sections: '管理栏目',
    accounts: '账户', roles: '角色', units: '单位', clearances: '查阅授权',
    matters: '事项目录', laws: '法规库', calendar: '工作日历', keys: '签名密钥', marks: '保密标识变更',
    none: '您的角色没有可用的管理栏目。',
  },
  en: {
    title: 'Administration', sections: 'Sections',
    accounts: 'Accounts', roles: 'Roles', units: 'Units', clearances: 'Clearances',
    matters: 'Matters', laws: 'Law library', calendar: 'Working calendar', keys: 'Signing keys', marks: 'Marks',
    none: 'Your roles have no administration section.',
  },
});

const ANY_ADMIN = ['sysadmin', 'secadmin'];

// section key, module, function, roles that see it.
const SECTIONS = [
  ['accounts', 'admin-accounts', 'renderAccounts', ['sysadmin']],
  ['roles', 'admin-grants', 'renderRoles', ['secadmin']],
  ['units', 'admin-grants', 'renderUnits', ['secadmin']],
  ['clearances', 'admin-grants', 'renderClearances', ['secadmin']],
  ['marks', 'admin-marks', 'renderMarks', ['secadmin']],
  ['matters', 'admin-catalogue', 'renderMatters', ANY_ADMIN],
  ['laws', 'admin-catalogue', 'renderLaws', ANY_ADMIN],
  ['calendar', 'admin-calendar', 'renderCalendar', ANY_ADMIN],
  ['keys', 'admin-keys', 'renderKeys', ANY_ADMIN],
];

export async function render(main, params, ctx) {
  const mine = SECTIONS.filter((s) => ctx.has(...s[3]));
  if (!mine.length) {
    fill(main, h('h1', T('title')), h('p', T('none')));
    return;
  }
  const key = params.section || mine[0][0];
  const section = SECTIONS.find((s) => s[0] === key);
  if (!section) {
    fill(main, h('h1', t('notFound')));
    return;
  }
  if (!ctx.has(...section[3])) {
    fill(main, h('h1', t('forbidden')));
    return;
  }
  document.title = T(key) + ' · ' + T('title') + ' · ' + t('app');
  const body = h('div.admin-section');
  fill(main,
    h('h1', T('title'), h('span.admin-sub', ' · ' + T(key))),
    h('nav.admin-tabs', { 'aria-label': T('sections') }, h('ul', mine.map((s) => h('li',
      h('a', { href: '#/admin/' + s[0], 'aria-current': s[0] === key ? 'page' : null }, T(s[0])))))),
    body);
  const mod = await import('../' + section[1] + '.js');
  await mod[section[2]](body, ctx);
}
