// Helpers of the supervision pages (approvals, findings, reports, review,
// copies, integrity): law citations in Chinese, download of a fetched
// reply, and a small worker pool for per-case requests.
import { h } from './dom.js';
import { getAll, request } from './api.js';

export const RESULT = { grant: '准予许可', deny: '不予许可', partial: '部分准予' };

const DIGITS = '零一二三四五六七八九';

// 38 -> 三十八, 105 -> 一百零五.
export function cnNumber(n) {
  n = Number(n);
  if (!Number.isInteger(n) || n < 0 || n >= 10000) return String(n);
  if (n < 10) return DIGITS[n];
  const units = ['', '十', '百', '千'];
  const ds = String(n).split('').map(Number);
  let out = '', zero = false;
  ds.forEach((d, i) => {
    const u = units[ds.length - 1 - i];
    if (d === 0) { zero = true; return; }
    if (zero && out) out += '零';
    zero = false;
    out += (d === 1 && u === '十' && i === 0 ? '' : DIGITS[d]) + u;
  });
  return out;
}

let lawCache = null;
let staffCache = null;
let kindCache = null;

// {user: display name} of the staff list.
export function staffNames() {
  if (!staffCache) {
    staffCache = getAll('/api/v1/users', {}, 5000)
      .then((items) => Object.fromEntries(items.map((u) => [u.name || u.user, u.display_name || ''])))
      .catch(() => { staffCache = null; return {}; });
  }
  return staffCache;
}

// A staff member as 赵敏（zhao.rev）, or the user name alone.
export function who(name, names) {
  if (!name) return '';
  const d = names && names[name];
  return d && d !== name ? d + '（' + name + '）' : name;
}

let matterCache = null;

// {code: name} of the matter catalogue.
export function matterNames() {
  if (!matterCache) {
    matterCache = getAll('/api/v1/matters', {}, 5000)
      .then((items) => Object.fromEntries(items.map((m) => [m.code, m.name])))
      .catch(() => { matterCache = null; return {}; });
  }
  return matterCache;
}

// {code: Chinese name} of the record kinds.
export function kindNames() {
  if (!kindCache) {
    kindCache = getAll('/api/v1/record-kinds', {}, 2000)
      .then((items) => Object.fromEntries(items.map((k) => [k.code, k.name])))
      .catch(() => { kindCache = null; return {}; });
  }
  return kindCache;
}

// {id: title} of the law library.
export function lawTitles() {
  if (!lawCache) {
    lawCache = getAll('/api/v1/laws', {}, 2000)
      .then((items) => Object.fromEntries(items.map((l) => [l.id, l.title])))
      .catch(() => { lawCache = null; return {}; });
  }
  return lawCache;
}

// A basis citation {law, version, article, paragraph, item} as
// 《中华人民共和国行政许可法》（2019-04-23）第三十八条第一款.
export function citation(b, titles) {
  if (!b || typeof b !== 'object') return String(b ?? '');
  const title = (titles && titles[b.law]) || b.law;
  let s = '《' + title + '》';
  if (b.article) s += '第' + cnNumber(b.article) + '条';
  if (b.paragraph) s += '第' + cnNumber(b.paragraph) + '款';
  if (b.item) s += '第（' + cnNumber(b.item) + '）项';
  return h('span.cite', s, b.version && b.version !== 'undated' ? h('small.muted', ' （' + b.version + ' 版）') : null);
}

// Runs fn over items with at most n at a time.
export async function pool(items, n, fn) {
  let i = 0;
  const worker = async () => {
    while (i < items.length) {
      const item = items[i++];
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

// Fetches path and returns {blob, headers}; errors are ApiErrors with the
// server's detail.
export async function fetchBlob(path) {
  const r = await request('GET', path, undefined, { raw: true });
  return { blob: await r.blob(), headers: r.headers };
}

// Saves blob as a file named name through a temporary link.
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
