'use strict';

const TAG = /\{\{\{\s*([\s\S]*?)\s*\}\}\}|\{\{\s*([\s\S]*?)\s*\}\}/g;
const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function parse(template) {
  const root = { children: [] };
  const stack = [root];
  let last = 0;
  let match;
  TAG.lastIndex = 0;
  while ((match = TAG.exec(template)) !== null) {
    const top = stack[stack.length - 1];
    const target = top.inElse ? top.otherwise : top.children;
    if (match.index > last) {
      target.push({ type: 'text', text: template.slice(last, match.index) });
    }
    last = TAG.lastIndex;
    if (match[1] !== undefined) {
      target.push({ type: 'var', path: match[1], raw: true });
      continue;
    }
    const tag = match[2];
    if (tag.startsWith('#')) {
      const [kind, path, ...extra] = tag.slice(1).trim().split(/\s+/);
      if (kind !== 'each' && kind !== 'if') throw new Error(`unknown block kind: ${kind}`);
      if (!path || extra.length) throw new Error(`block {{#${kind}}} needs one path`);
      const block = { type: kind, path, children: [], otherwise: [], inElse: false };
      target.push(block);
      stack.push(block);
    } else if (tag.startsWith('/')) {
      const kind = tag.slice(1).trim();
      if (stack.length === 1) throw new Error(`{{/${kind}}} closes no open block`);
      if (top.type !== kind) throw new Error(`{{/${kind}}} does not match {{#${top.type}}}`);
      stack.pop();
    } else if (tag === 'else') {
      if (top.type !== 'if' || top.inElse) throw new Error('{{else}} outside an if block');
      top.inElse = true;
    } else {
      target.push({ type: 'var', path: tag, raw: false });
    }
  }
  if (stack.length > 1) throw new Error(`unclosed {{#${stack[stack.length - 1].type}}} block`);
  const top = root.children;
  if (last < template.length) top.push({ type: 'text', text: template.slice(last) });
  return top;
}

function walk(value, names) {
  for (const name of names) {
    if (value === undefined || value === null) return undefined;
    value = value[name];
  }
  return value;
}

function lookup(path, scopes, data) {
  const names = path.split('.');
  const inner = scopes[scopes.length - 1];
  if (names[0] === '@index') return inner ? inner.index : undefined;
  if (names[0] === 'this') return inner ? walk(inner.item, names.slice(1)) : walk(data, names.slice(1));
  for (let i = scopes.length - 1; i >= 0; i -= 1) {
    const item = scopes[i].item;
    if (item !== null && typeof item === 'object' && names[0] in item) return walk(item, names);
  }
  return walk(data, names);
}

function emit(nodes, scopes, data) {
  let out = '';
  for (const node of nodes) {
    if (node.type === 'text') {
      out += node.text;
    } else if (node.type === 'var') {
      const value = lookup(node.path, scopes, data);
      const text = value === undefined || value === null ? '' : String(value);
      out += node.raw ? text : text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
    } else if (node.type === 'each') {
      const list = lookup(node.path, scopes, data);
      if (Array.isArray(list)) {
        list.forEach((item, index) => {
          out += emit(node.children, scopes.concat([{ item, index }]), data);
        });
      }
    } else {
      const value = lookup(node.path, scopes, data);
      const truthy = Array.isArray(value) ? value.length > 0 : Boolean(value);
      out += emit(truthy ? node.children : node.otherwise, scopes, data);
    }
  }
  return out;
}

// Render a mustache-like template with data (see problem statement).
function render(template, data) {
  return emit(parse(template), [], data);
}

module.exports = { render };
