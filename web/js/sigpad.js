// A signature pad: a canvas drawn on with a finger, a pen or a mouse
// through pointer events. Strokes are smoothed with quadratic curves
// through the midpoints of the sampled points and have one width, since
// pen pressure differs between devices. toBlob() gives the PNG that is
// uploaded as the signature's attachment. A party who cannot sign on the
// pad signs on paper, which is scanned instead, and the pad's hint tells
// them so.
import { h } from './dom.js';
import { strings } from './i18n.js';

const T = strings({
  zh: {
    label: '签名板：请在框内手写签名', clear: '清除重写', empty: '尚未签名',
    signed: '已签名（{n} 笔）', alt: '不能在签名板上签名的，可在纸质文书上签名后扫描上传。',
  },
  en: {
    label: 'Signature pad: sign inside the box', clear: 'Clear', empty: 'Not signed yet',
    signed: 'Signed ({n} strokes)', alt: 'Whoever cannot sign on the pad may sign on paper, which is then scanned and uploaded.',
  },
});

let counter = 0;

// Returns {el, toBlob(), isEmpty(), clear(), canvas}. width and height are
// the canvas's drawing size in CSS pixels; it is scaled to the screen.
export function signaturePad({ width = 600, height = 220 } = {}) {
  const id = 'sigpad' + (++counter);
  const ratio = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
  const canvas = h('canvas.sigpad', {
    width: Math.round(width * ratio), height: Math.round(height * ratio),
    role: 'img', 'aria-label': T('label'), 'aria-describedby': id + '-alt',
  });
  const state = h('span.sigpad-state', { id: id + '-state', 'aria-live': 'polite' }, T('empty'));
  const g = canvas.getContext('2d');
  let strokes = 0;
  let points = [];
  let active = null;

  function reset() {
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.fillStyle = '#fff';
    g.fillRect(0, 0, canvas.width, canvas.height);
    g.lineCap = 'round';
    g.lineJoin = 'round';
    g.strokeStyle = '#111';
    g.lineWidth = 2.5 * ratio;
  }

  // The point of ev in canvas pixels, whatever size CSS gives the canvas.
  function at(ev) {
    const r = canvas.getBoundingClientRect();
    return [(ev.clientX - r.left) * (canvas.width / r.width), (ev.clientY - r.top) * (canvas.height / r.height)];
  }

  function down(ev) {
    if (ev.button !== undefined && ev.button > 0) return;
    ev.preventDefault();
    active = ev.pointerId;
    if (canvas.setPointerCapture) {
      try { canvas.setPointerCapture(ev.pointerId); } catch (e) { /* synthetic pointers have no capture */ }
    }
    points = [at(ev)];
    const [x, y] = points[0];
    g.beginPath();
    g.arc(x, y, g.lineWidth / 2, 0, Math.PI * 2);
    g.fillStyle = '#111';
    g.fill();
  }

  function move(ev) {
    if (active !== ev.pointerId) return;
    ev.preventDefault();
    const events = ev.getCoalescedEvents ? ev.getCoalescedEvents() : [];
    for (const e of events.length ? events : [ev]) {
      points.push(at(e));
      const n = points.length;
      if (n < 3) continue;
      // A curve from the midpoint of the two points before to the
      // midpoint of the last two, with the middle point as control.
      const [a, b, c] = [points[n - 3], points[n - 2], points[n - 1]];
      g.beginPath();
      g.moveTo((a[0] + b[0]) / 2, (a[1] + b[1]) / 2);
      g.quadraticCurveTo(b[0], b[1], (b[0] + c[0]) / 2, (b[1] + c[1]) / 2);
      g.stroke();
    }
  }

  function up(ev) {
    if (active !== ev.pointerId) return;
    active = null;
    if (points.length === 2) {
      g.beginPath();
      g.moveTo(points[0][0], points[0][1]);
      g.lineTo(points[1][0], points[1][1]);
      g.stroke();
    }
    strokes++;
    points = [];
    state.textContent = T('signed', { n: strokes });
    canvas.dispatchEvent(new CustomEvent('change', { bubbles: true }));
  }

  canvas.addEventListener('pointerdown', down);
  canvas.addEventListener('pointermove', move);
  canvas.addEventListener('pointerup', up);
  canvas.addEventListener('pointercancel', up);

  function clear() {
    reset();
    strokes = 0;
    points = [];
    state.textContent = T('empty');
    canvas.dispatchEvent(new CustomEvent('change', { bubbles: true }));
  }

  reset();
  const el = h('div.sigpad-wrap',
    canvas,
    h('div.sigpad-bar',
      state,
      h('button', { type: 'button', onclick: clear }, T('clear'))),
    h('p.hint', { id: id + '-alt' }, T('alt')));

  return {
    el,
    canvas,
    clear,
    isEmpty: () => strokes === 0,
    toBlob: () => new Promise((resolve, reject) => {
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the canvas gave no PNG'))), 'image/png');
    }),
  };
}
