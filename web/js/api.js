// The JSON API client. It sends the session's CSRF token with every
// request that changes something, turns RFC 9457 problem details into an
// ApiError whose message is the server's detail (which names the value
// and what to do), and tells the app when the session has ended.

let csrf = null;
let onSessionEnded = () => {};

export function setCsrf(token) { csrf = token || null; }
export function csrfToken() { return csrf; }
export function whenSessionEnds(fn) { onSessionEnded = fn; }

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || ('HTTP ' + status));
    this.status = status;
    this.problem = problem || {};
  }
}

// Builds "path?k=v&..." from params, leaving out empty values.
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === null || v === undefined || v === '' || v === false) continue;
    q.set(k, v === true ? '1' : String(v));
  }
  const s = q.toString();
  return s ? path + (path.includes('?') ? '&' : '?') + s : path;
}

// Sends one request. body: a plain object (sent as JSON), a Blob or
// ArrayBuffer (sent as is), or undefined. opts.raw returns the Response;
// opts.headers adds header fields. Returns the parsed JSON, or null for
// an empty reply.
export async function request(method, path, body, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  let payload;
  if (body instanceof Blob || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (csrf && !['GET', 'HEAD', 'OPTIONS'].includes(method)) headers['X-CSRF-Token'] = csrf;
  let r;
  try {
    r = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', signal: opts.signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { detail: '无法连接服务器（' + e.message + '）；请检查网络后重试' });
  }
  if (r.status === 401 && !path.startsWith('/api/v1/session')) onSessionEnded();
  if (!r.ok && r.status !== 304) {
    let problem = null;
    try { problem = await r.json(); } catch (e) { problem = { detail: r.statusText }; }
    throw new ApiError(r.status, problem);
  }
  if (opts.raw) return r;
  const text = await r.text();
  return text ? JSON.parse(text) : null;
}

export const get = (path, params, opts) => request('GET', withQuery(path, params), undefined, opts);
export const post = (path, body, opts) => request('POST', path, body === undefined ? {} : body, opts);
export const del = (path, opts) => request('DELETE', path, undefined, opts);

// Fetches every page of a list (offset/limit) up to max items.
export async function getAll(path, params, max = 5000) {
  const items = [];
  for (let offset = 0; offset < max;) {
    const page = await get(path, Object.assign({}, params, { offset, limit: 500 }));
    items.push(...page.items);
    offset += page.items.length;
    if (!page.items.length || offset >= page.total) break;
  }
  return items;
}

// Uploads one file to the blob store; returns {hash, sha256, size, type}.
export async function uploadFile(blob, filename, mark) {
  const headers = {};
  if (filename) headers['Content-Disposition'] = 'attachment; filename="' + encodeURIComponent(filename) + '"';
  return request('POST', withQuery('/api/v1/uploads', { mark }), blob, { headers });
}
