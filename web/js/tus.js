// A tus 1.0.0 client for POST /api/v1/media/tus (creation, HEAD, PATCH,
// termination). The upload URL is kept in localStorage under a
// fingerprint of the file (user, case, name, size, lastModified), so that
// a reload or a dropped connection resumes from the offset the server
// acknowledged, not from zero. The PATCH that reaches the length returns
// the ingest result (200 with Casetrail-Media-Seq).
import { request, csrfToken, ApiError } from './api.js';

const ENDPOINT = '/api/v1/media/tus';
const STORE_PREFIX = 'casetrail.tus.';
// The server removes an upload untouched for a day.
const STORE_MAX_AGE_MS = 24 * 3600 * 1000;
const MIN_CHUNK = 256 * 1024;
const MAX_CHUNK = 16 * 1024 * 1024;
// Waits before each retry of a failed request, in milliseconds.
const RETRY_DELAYS = [500, 1000, 2000, 4000, 8000, 15000];

// Statuses worth retrying: the network (0), another request holding the
// upload (423, for up to the server's 30-second connection timeout after a
// disconnect), the store busy (503) and gateway failures.
const TRANSIENT = new Set([0, 408, 423, 500, 502, 503, 504]);

function b64(text) {
  const bytes = new TextEncoder().encode(text);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

// Encodes {key: value} as Upload-Metadata, leaving out empty values,
// which the server rejects.
export function encodeMetadata(meta) {
  return Object.entries(meta)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => k + ' ' + b64(String(v)))
    .join(',');
}

// The key under which the upload URL of file is kept.
export function fingerprint(file, user, caseId) {
  return STORE_PREFIX + [user || '', caseId || '', file.name, file.size, file.lastModified].join('|');
}

// Chooses a chunk so that a file is sent in about 20 PATCH requests (each
// a point to resume from), within 256 KiB and 16 MiB, because the server
// fdatasyncs after each one.
export function chunkSizeFor(size) {
  return Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, Math.ceil(size / 20)));
}

// Removes stored upload URLs older than the server keeps an upload.
export function forgetStale(now = Date.now()) {
  for (let i = localStorage.length - 1; i >= 0; i--) {
    const key = localStorage.key(i);
    if (!key || !key.startsWith(STORE_PREFIX)) continue;
    try {
      const v = JSON.parse(localStorage.getItem(key));
      if (!v || !v.url || now - (v.touched || 0) > STORE_MAX_AGE_MS) localStorage.removeItem(key);
    } catch (e) {
      localStorage.removeItem(key);
    }
  }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    if (signal) signal.addEventListener('abort', () => { clearTimeout(timer); reject(abortError()); }, { once: true });
  });
}

// Resolves when the browser is back online, rejects when signal aborts.
function online(signal) {
  return new Promise((resolve, reject) => {
    const done = () => { signal.removeEventListener('abort', stop); resolve(); };
    const stop = () => { window.removeEventListener('online', done); reject(abortError()); };
    window.addEventListener('online', done, { once: true });
    signal.addEventListener('abort', stop, { once: true });
  });
}

function abortError() {
  return new DOMException('the upload was paused', 'AbortError');
}

const TUS_HEADERS = { 'Tus-Resumable': '1.0.0' };

// One resumable upload of file. opts: metadata ({key: value}), user and
// caseId (for the fingerprint), onProgress({sent, total, speed}) with
// speed in bytes per second, onStatus(text code: 'creating', 'resuming',
// 'uploading', 'retrying', 'offline', 'ingesting'), chunkSize.
export class TusUpload {
  constructor(file, opts = {}) {
    this.file = file;
    this.metadata = opts.metadata || {};
    this.key = fingerprint(file, opts.user, opts.caseId);
    this.chunkSize = opts.chunkSize || chunkSizeFor(file.size);
    this.onProgress = opts.onProgress || (() => {});
    this.onStatus = opts.onStatus || (() => {});
    this.url = null;
    this.offset = 0;
    this.resumedFrom = null;
    this.controller = null;
    this.xhr = null;
    this.samples = [];
  }

  // Uploads the file from wherever the server's offset is, and returns
  // the ingest result. Rejects with an AbortError after pause().
  async start() {
    this.controller = new AbortController();
    const signal = this.controller.signal;
    const metadata = encodeMetadata(this.metadata);
    const known = this.stored();
    if (known && known.url) {
      this.onStatus('resuming');
      const found = await this.retrying(() => this.head(known.url), signal);
      if (found && found.seq) {
        this.forget();
        this.report(this.file.size);
        return get('/api/v1/media/' + found.seq);
      }
      if (found && found.metadata === metadata && found.length === this.file.size) {
        this.url = known.url;
        this.offset = found.offset;
        this.resumedFrom = found.offset;
      } else if (found) {
        // The metadata was changed since the upload began: the stored
        // upload would ingest the old values, so it is dropped.
        await request('DELETE', known.url, undefined, { headers: TUS_HEADERS }).catch(() => {});
        this.forget();
      } else {
        this.forget();
      }
    }
    if (!this.url) {
      this.onStatus('creating');
      const r = await this.retrying(() => request('POST', ENDPOINT, undefined, {
        raw: true, signal,
        headers: Object.assign({ 'Upload-Length': String(this.file.size), 'Upload-Metadata': metadata }, TUS_HEADERS),
      }), signal);
      this.url = r.headers.get('Location');
      this.offset = 0;
      this.remember();
    }
    return this.send(signal);
  }

  // Sends the chunks from this.offset; the last reply is the ingest.
  async send(signal) {
    this.onStatus('uploading');
    this.report(this.offset);
    for (;;) {
      const end = Math.min(this.file.size, this.offset + this.chunkSize);
      const reply = await this.retrying(async () => {
        try {
          return await this.patch(this.file.slice(this.offset, end), signal);
        } catch (e) {
          // The server keeps the bytes of a PATCH whose connection
          // dropped, so the next chunk starts at the offset it reports.
          if (e instanceof ApiError && (e.status === 0 || e.status === 409)) {
            const found = await this.head(this.url).catch(() => null);
            if (found && found.seq) return { seq: found.seq };
            if (found && e.status === 409) return { offset: found.offset };
            if (found) { this.offset = found.offset; this.report(this.offset); }
          }
          throw e;
        }
      }, signal);
      if (reply.result || reply.seq) {
        this.forget();
        this.report(this.file.size);
        return reply.result || get('/api/v1/media/' + reply.seq);
      }
      this.offset = reply.offset;
      this.remember();
      this.report(this.offset);
    }
  }

  // Runs fn, retrying transient failures with growing waits.
  async retrying(fn, signal) {
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw abortError();
      try {
        return await fn();
      } catch (e) {
        if (e.name === 'AbortError' || signal.aborted) throw abortError();
        // Offline, the upload waits for the network however long it
        // takes, and the retries count again from there.
        if (e instanceof ApiError && e.status === 0 && navigator.onLine === false) {
          this.onStatus('offline');
          await online(signal);
          this.onStatus('uploading');
          attempt = -1;
          continue;
        }
        if (!(e instanceof ApiError) || !TRANSIENT.has(e.status) || attempt >= RETRY_DELAYS.length) throw e;
        this.onStatus('retrying');
        const after = Number(e.retryAfter) > 0 ? Number(e.retryAfter) * 1000 : RETRY_DELAYS[attempt];
        await sleep(after, signal);
        this.onStatus('uploading');
      }
    }
  }

  // HEAD of url: {offset, length, metadata, seq}, or null when the server
  // no longer has it (404).
  async head(url) {
    try {
      const r = await request('HEAD', url, undefined, { raw: true, headers: TUS_HEADERS });
      return {
        offset: Number(r.headers.get('Upload-Offset')),
        length: Number(r.headers.get('Upload-Length')),
        metadata: r.headers.get('Upload-Metadata') || '',
        seq: Number(r.headers.get('Casetrail-Media-Seq')) || null,
      };
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 410)) return null;
      throw e;
    }
  }

  // One PATCH through XMLHttpRequest, which reports progress within the
  // chunk. Resolves {offset} for 204, {result} for the ingest (200).
  patch(chunk, signal) {
    const from = this.offset;
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      this.xhr = xhr;
      xhr.open('PATCH', this.url);
      xhr.setRequestHeader('Tus-Resumable', '1.0.0');
      xhr.setRequestHeader('Upload-Offset', String(from));
      xhr.setRequestHeader('Content-Type', 'application/offset+octet-stream');
      const token = csrfToken();
      if (token) xhr.setRequestHeader('X-CSRF-Token', token);
      xhr.upload.onprogress = (ev) => {
        this.report(from + ev.loaded);
        // The last PATCH replies only after the ingest and the probe.
        if (from + ev.loaded >= this.file.size) this.onStatus('ingesting');
      };
      const onAbort = () => xhr.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      xhr.onabort = () => reject(abortError());
      xhr.onerror = () => reject(new ApiError(0, { detail: '网络连接中断，上传将从服务器已收到的位置继续' }));
      xhr.onload = () => {
        signal.removeEventListener('abort', onAbort);
        if (xhr.status === 204) {
          resolve({ offset: Number(xhr.getResponseHeader('Upload-Offset')) });
        } else if (xhr.status === 200) {
          let result = null;
          try { result = JSON.parse(xhr.responseText); } catch (e) { result = null; }
          resolve(result ? { result } : { seq: Number(xhr.getResponseHeader('Casetrail-Media-Seq')) });
        } else {
          let problem = null;
          try { problem = JSON.parse(xhr.responseText); } catch (e) { problem = { detail: xhr.statusText }; }
          const err = new ApiError(xhr.status, problem);
          err.retryAfter = xhr.getResponseHeader('Retry-After');
          reject(err);
        }
      };
      xhr.send(chunk);
    });
  }

  // Stops sending; start() later resumes from the server's offset.
  pause() {
    if (this.controller) this.controller.abort();
  }

  // Stops and terminates the upload on the server (DELETE).
  async cancel() {
    this.pause();
    const url = this.url || (this.stored() || {}).url;
    this.forget();
    if (url) await request('DELETE', url, undefined, { headers: TUS_HEADERS }).catch(() => {});
  }

  report(sent) {
    const now = performance.now();
    this.samples.push([now, sent]);
    while (this.samples.length > 2 && now - this.samples[0][0] > 3000) this.samples.shift();
    const [t0, s0] = this.samples[0];
    const speed = now - t0 > 200 ? ((sent - s0) * 1000) / (now - t0) : null;
    this.onProgress({ sent, total: this.file.size, speed });
  }

  stored() {
    try { return JSON.parse(localStorage.getItem(this.key)); } catch (e) { return null; }
  }

  remember() {
    localStorage.setItem(this.key, JSON.stringify({ url: this.url, offset: this.offset, touched: Date.now() }));
  }

  forget() {
    localStorage.removeItem(this.key);
  }
}

function get(path) {
  return request('GET', path);
}
