// The application shell: signs the user in, draws the header and the
// navigation for the user's roles, and routes "#/path?query" to a page
// module in pages/, which exports render(main, params, ctx).
import { h, fill } from './dom.js';
import { t, strings, lang, setLang, roleName } from './i18n.js';
import { get, del, setCsrf, whenSessionEnds, ApiError } from './api.js';
import { errorBox } from './ui.js';

const N = strings({
  zh: {
    worklist: '我的待办', intake: '窗口收件', cases: '案件查询', approvals: '审批', findings: '问题线索',
    reports: '评查与报告', copies: '复制申请', integrity: '完整性', admin: '系统管理',
    account: '我的账户', audit: '安全审计', menu: '导航', user: '当前用户',
  },
  en: {
    worklist: 'My work', intake: 'Window intake', cases: 'Cases', approvals: 'Approvals', findings: 'Findings',
    reports: 'Reports and review', copies: 'Copy requests', integrity: 'Integrity', admin: 'Administration',
    account: 'My account', audit: 'Security audit', menu: 'Navigation', user: 'Signed in as',
  },
});

const REVIEWERS = ['reviewer', 'legal', 'approver', 'head'];
const SUPERVISION = ['supervisor', 'case-auditor', 'head', 'reviewer', 'approver', 'legal'];
const ADMINS = ['sysadmin', 'secadmin'];
// The three administrators (三员) read no case content: pages that list
// cases would only be refused, and each refusal goes to the access log.
const THREE = ['sysadmin', 'secadmin', 'auditor'];
const STAFF = 'staff'; // any role but the three administrators'

// path pattern, page module, nav label key (or null), roles (null: all staff).
const ROUTES = [
  ['/login', 'login', null, null, true],
  ['/', 'worklist', 'worklist', STAFF],
  ['/intake', 'intake', 'intake', ['clerk']],
  ['/cases', 'cases', 'cases', STAFF],
  ['/cases/:id', 'case', null, STAFF],
  ['/cases/:id/marks', 'case', null, ['secadmin']],
  ['/media/:seq', 'media', null, STAFF],
  ['/approvals', 'approvals', 'approvals', REVIEWERS],
  ['/findings', 'findings', 'findings', SUPERVISION],
  ['/reports', 'reports', 'reports', SUPERVISION],
  ['/review/:id', 'review', null, SUPERVISION],
  // copy-read in the access policy: clerks, handlers and the supervisory
  // department.
  ['/copies', 'copies', 'copies', ['clerk', 'handler', 'supervisor']],
  ['/integrity', 'integrity', 'integrity', null],
  ['/admin', 'admin', 'admin', ADMINS],
  ['/admin/:section', 'admin', null, ADMINS],
  ['/audit', 'audit', 'audit', ['auditor']],
  ['/account', 'account', 'account', null],
];

export const ctx = {
  session: null, // GET /api/v1/session
  roles: new Set(),
  has(...roles) { return roles.some((r) => this.roles.has(r)); },
  me: undefined, // GET /api/v1/users/{user}: display name, unit, clearance
  // Whether the user is cleared to read content of mark, so that a page
  // does not ask for what the server would refuse and log.
  cleared(mark) {
    if (!mark || mark === 'none') return true;
    const list = (this.me && this.me.clearance) || [];
    return list.includes(mark);
  },
  // Whether the user has a role other than the three administrators'.
  isStaff() { return [...this.roles].some((r) => !THREE.includes(r)); },
  // The first page for the user: the work list, or the administrators' own.
  home() {
    if (this.isStaff()) return '/';
    if (this.has(...ADMINS)) return '/admin';
    if (this.has('auditor')) return '/audit';
    return '/account';
  },
  navigate(path) { location.hash = '#' + path; },
  query: new URLSearchParams(),
  refresh() { route(); },
};

function allowed(roles) {
  if (!roles) return true;
  if (roles === STAFF) return ctx.isStaff();
  return ctx.has(...roles);
}

function match(pattern, path) {
  const p = pattern.split('/'), s = path.split('/');
  if (p.length !== s.length) return null;
  const params = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) {
      if (!s[i]) return null;
      params[p[i].slice(1)] = decodeURIComponent(s[i]);
    } else if (p[i] !== s[i]) return null;
  }
  return params;
}

function current() {
  // Only "#/..." addresses are pages; "#main" and the like are anchors.
  const raw = location.hash.startsWith('#/') ? location.hash.slice(1) : '/';
  const [path, query] = raw.split('?');
  return { path: path || '/', query: new URLSearchParams(query || '') };
}

// Text of the page outside main, in the chosen language.
function drawStatic() {
  const skip = document.querySelector('.skip');
  if (skip) skip.textContent = t('skip');
}

export function setSession(s) {
  if (!s || !ctx.session || s.user !== ctx.session.user) ctx.me = undefined;
  ctx.session = s;
  ctx.roles = new Set((s && s.roles) || []);
  setCsrf(s && s.csrf_token);
}

// Whether the session may be used for pages, or must finish signing in.
function signedIn() {
  const s = ctx.session;
  return s && !s.must_change_password && !(s.second_factor_required && !s.second_factor);
}

function drawShell() {
  drawStatic();
  const top = document.getElementById('top');
  const nav = document.getElementById('nav');
  if (!signedIn()) {
    top.hidden = true; nav.hidden = true;
    return;
  }
  const s = ctx.session;
  const badge = h('div#integrity-badge.badge-slot');
  fill(top,
    h('a.brand', { href: '#/' }, h('img', { src: '/img/favicon.svg', alt: '', width: 28, height: 28 }), h('span', t('app'))),
    badge,
    h('div.who', h('span.sr-only', N('user') + '：'), h('strong', s.display_name || s.user),
      h('span.roles', [...ctx.roles].map(roleName).join('、'))),
    h('button.link', { type: 'button', title: t('langLabel'), lang: lang() === 'en' ? 'zh-CN' : 'en',
      onclick: () => { setLang(lang() === 'en' ? 'zh' : 'en'); drawShell(); route(); } }, t('language')),
    h('button.link', { type: 'button', onclick: signOut }, t('signout')));
  top.hidden = false;
  const here = current().path;
  const items = ROUTES.filter((r) => r[2] && allowed(r[3]));
  fill(nav, h('h2.sr-only', N('menu')), h('ul', items.map((r) => h('li',
    h('a', { href: '#' + r[0], 'aria-current': (here === r[0] || (r[0] !== '/' && here.startsWith(r[0] + '/'))) ? 'page' : null }, N(r[2]))))));
  nav.setAttribute('aria-label', N('menu'));
  nav.hidden = false;
  if (!s.display_name && ctx.me && ctx.me.display_name) s.display_name = ctx.me.display_name;
  import('./integrity.js').then((m) => m.mountBadge && m.mountBadge(badge, ctx)).catch(() => {});
}

async function signOut() {
  try { await del('/api/v1/session'); } catch (e) { /* the session may have ended already */ }
  setSession(null);
  // The next person at this window PC starts afresh: no return address
  // and no unfinished uploads, whose names may be personal.
  sessionStorage.removeItem('casetrail.after');
  for (let i = localStorage.length - 1; i >= 0; i--) {
    const key = localStorage.key(i);
    if (key && key.startsWith('casetrail.tus')) localStorage.removeItem(key);
  }
  ctx.navigate('/login');
}

let generation = 0;

async function route() {
  const gen = ++generation;
  const { path, query } = current();
  const main = document.getElementById('main');
  ctx.query = query;
  let found = null, params = null;
  for (const r of ROUTES) {
    params = match(r[0], path);
    if (params) { found = r; break; }
  }
  if (!found) {
    fill(main, h('h1', t('notFound')));
    return;
  }

  if (!found[4] && !signedIn()) {
    sessionStorage.setItem('casetrail.after', location.hash);
    ctx.navigate('/login');
    return;
  }
  if (signedIn() && ctx.me === undefined) {
    ctx.me = null;
    try { ctx.me = await get('/api/v1/users/' + encodeURIComponent(ctx.session.user)); } catch (e) { ctx.me = null; }
    if (gen !== generation) return;
  }
  if (path === '/' && !ctx.isStaff()) {
    ctx.navigate(ctx.home());
    return;
  }

  for (const d of document.querySelectorAll('dialog[open]')) d.close();
  drawShell();
  if (!allowed(found[3])) {
    fill(main, h('h1', t('forbidden')));
    return;
  }

  fill(main, h('p.loading', t('loading')));
  try {
    const mod = await import('./pages/' + found[1] + '.js');
    if (gen !== generation) return;
    main.replaceChildren();
    await mod.render(main, params, ctx);
  } catch (e) {
    if (gen !== generation) return;
    if (e instanceof ApiError && e.status === 401) return;
    console.error(e);
    fill(main, e instanceof ApiError && e.status === 403 ? h('h1', t('forbidden')) : null, errorBox(e));
  }
  if (gen === generation && document.activeElement === document.body) main.focus({ preventScroll: true });
}

// Goes where the user was headed before signing in, or to the work list.
export function afterSignIn() {
  const after = sessionStorage.getItem('casetrail.after');
  sessionStorage.removeItem('casetrail.after');
  location.hash = after && !after.startsWith('#/login') ? after : '#' + ctx.home();
  drawShell();
}

// Keeps the session of someone who is typing or clicking: the server
// ends a session after 30 minutes without a request, and a long
// transcript is typed without one.
let lastActivity = 0, lastPing = Date.now();
function keepAlive() {
  const mark = () => { lastActivity = Date.now(); };
  for (const ev of ['keydown', 'pointerdown', 'input']) document.addEventListener(ev, mark, { passive: true, capture: true });
  setInterval(() => {
    if (!signedIn() || lastActivity < lastPing || Date.now() - lastPing < 4 * 60000) return;
    lastPing = Date.now();
    get('/api/v1/session').catch(() => {});
  }, 60000);
}

async function boot() {
  setLang(lang());
  keepAlive();
  // The skip link moves focus to the content without changing the page.
  const skip = document.querySelector('.skip');
  if (skip) skip.addEventListener('click', (e) => { e.preventDefault(); document.getElementById('main').focus(); });
  whenSessionEnds(() => {
    if (!ctx.session) return;
    setSession(null);
    sessionStorage.setItem('casetrail.after', location.hash);
    ctx.navigate('/login');
  });
  try {
    setSession(await get('/api/v1/session'));
  } catch (e) {
    setSession(null);
  }
  window.addEventListener('hashchange', route);
  if (!signedIn() && !location.hash.startsWith('#/login')) {
    if (location.hash) sessionStorage.setItem('casetrail.after', location.hash);
    ctx.navigate('/login');
  } else {
    route();
  }
}

boot().catch((e) => fill(document.getElementById('main'), errorBox(e)));
