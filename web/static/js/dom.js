// Small DOM helpers shared by the screens. Text is always set with textContent: names and chat
// messages come from other people and must never be parsed as HTML.

/** The element with this id; a missing id is a bug in room.html, so fail loudly. */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`room page: no element #${id}`);
  return el;
}

/** A new element with an optional class name and text. */
export function el(tag, className = '', text = '') {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

/** Shows or hides an element with the hidden attribute (the stylesheet makes it win). */
export function show(node, visible) {
  node.hidden = !visible;
}

/** Up to two initials for a display name, for the camera-off placeholder. */
export function initials(name) {
  const words = String(name || '').trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const first = [...words[0]][0] || '';
  const last = words.length > 1 ? [...words[words.length - 1]][0] || '' : '';
  return (first + last).toUpperCase();
}
