// Placeholder until the page is written.
import { h } from '../dom.js';

export async function render(main) {
  main.append(h('h1', 'copies'));
}
