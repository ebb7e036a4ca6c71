// Building the page from data without ever parsing it as HTML: h() makes
// elements and sets text through text nodes, so whatever a user typed is
// shown as typed. No module in web/ assigns innerHTML.

// h('tag.class#id', {attrs}, ...children). Attributes starting with "on"
// and a function value become listeners; `class`, `hidden`, `disabled`,
// `checked`, `value` and `dataset` are set as properties; null and false
// attributes are left out. Children may be strings, numbers, nodes,
// arrays of them, or null.
export function h(spec, attrs, ...children) {
  const m = /^([a-z0-9-]+)((?:[.#][\w-]+)*)$/i.exec(spec);
  if (!m) throw new Error('bad element spec ' + spec);
  const el = document.createElement(m[1]);
  for (const part of m[2].match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2).toLowerCase(), v);
    } else if (k === 'class') {
      for (const c of String(v).split(/\s+/)) if (c) el.classList.add(c);
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else if (['hidden', 'disabled', 'checked', 'value', 'selected', 'required', 'multiple', 'readOnly'].includes(k)) {
      el[k] = v;
    } else if (k === 'style') {
      throw new Error('the content security policy rejects inline styles; use a class');
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Empties el and fills it with children.
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// Dates and times are shown in China Standard Time whatever the browser's
// zone, because deadlines and records are counted in it.
const CST = 'Asia/Shanghai';

export function fmtDate(value) {
  if (!value) return '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const d = new Date(value);
  if (isNaN(d)) return String(value);
  return d.toLocaleDateString('sv-SE', { timeZone: CST });
}

export function fmtTime(value) {
  if (!value) return '';
  const d = typeof value === 'number' ? new Date(value) : new Date(value);
  if (isNaN(d)) return String(value);
  return d.toLocaleString('sv-SE', { timeZone: CST, hour12: false }).slice(0, 16);
}

// The current CST date as YYYY-MM-DD, and an RFC 3339 time of now in CST.
export function todayCst() {
  return new Date().toLocaleDateString('sv-SE', { timeZone: CST });
}

export function nowCst() {
  const s = new Date().toLocaleString('sv-SE', { timeZone: CST, hour12: false });
  return s.replace(' ', 'T') + '+08:00';
}

// Turns a datetime-local input's value ("2026-12-04T10:30") into RFC 3339
// in CST, and back.
export function localToRfc3339(v) {
  if (!v) return '';
  return (v.length === 16 ? v + ':00' : v) + '+08:00';
}

export function rfc3339ToLocal(v) {
  if (!v) return '';
  const d = new Date(v);
  if (isNaN(d)) return '';
  return d.toLocaleString('sv-SE', { timeZone: CST, hour12: false }).replace(' ', 'T').slice(0, 16);
}

export function fmtBytes(n) {
  if (n === null || n === undefined) return '';
  const u = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : String(n)) + ' ' + u[i];
}
