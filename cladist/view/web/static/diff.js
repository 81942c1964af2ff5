// Unified diffs with syntax colouring, by a small tokenizer of our own (no library).
"use strict";
(() => {
  const C = window.Cladist;
  const words = (s) => new Set(s.split(" "));
  const LANGS = {
    py: { line: "#", kw: words("and as assert async await break class continue def del elif else except False finally for from global if import in is lambda None nonlocal not or pass raise return True try while with yield self match case") },
    js: { line: "//", kw: words("async await break case catch class const continue default delete do else export extends false finally for function if import in instanceof let new null of return static super switch this throw true try typeof undefined var void while yield") },
    go: { line: "//", kw: words("break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var nil true false") },
    rs: { line: "//", kw: words("as async await break const continue crate else enum extern false fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait true type unsafe use where while") },
    c: { line: "//", kw: words("auto bool break case catch char class const constexpr continue default delete do double else enum explicit extern false float for friend if inline int long namespace new nullptr operator private protected public return short signed sizeof static struct switch template this throw true try typedef typename union unsigned using virtual void volatile while include define") },
    sh: { line: "#", kw: words("if then else elif fi for while do done case esac function return in export local set") },
  };
  const EXT = { py: "py", js: "js", mjs: "js", ts: "js", go: "go", rs: "rs", c: "c", h: "c", cc: "c", cpp: "c", hpp: "c", java: "js", sh: "sh", toml: "sh", yaml: "sh", yml: "sh" };
  const span = (cls, s) => `<span class="hl-${cls}">${C.esc(s)}</span>`;

  const regexFor = (lang) => {
    const comment = lang.line === "#" ? "#.*$" : "\\/\\/.*$|\\/\\*.*?(?:\\*\\/|$)";
    return new RegExp(`(${comment})|("(?:[^"\\\\]|\\\\.)*"?|'(?:[^'\\\\]|\\\\.)*'?|\`[^\`]*\`?)|(\\b\\d[\\d_.xXa-fA-F]*\\b)|([A-Za-z_]\\w*)`, "g");
  };
  for (const lang of Object.values(LANGS)) lang.re = regexFor(lang);

  // One line of code as HTML with keywords, strings, comments and numbers coloured.
  C.highlight = (line, langName) => {
    const lang = LANGS[langName];
    if (!lang || line.length > 2000) return C.esc(line);
    let out = "", last = 0;
    for (const m of line.matchAll(lang.re)) {
      out += C.esc(line.slice(last, m.index));
      if (m[1]) out += span("c", m[1]);
      else if (m[2]) out += span("s", m[2]);
      else if (m[3]) out += span("n", m[3]);
      else out += lang.kw.has(m[4]) ? span("k", m[4]) : C.esc(m[4]);
      last = m.index + m[0].length;
    }
    return out + C.esc(line.slice(last));
  };

  C.langOf = (path) => EXT[(path.split(".").pop() || "").toLowerCase()] || null;

  const MAX_LINES = 4000;

  // A unified diff (git format or a plain patch) as a coloured element, one block per file.
  C.renderDiff = (text, opts) => {
    const box = C.h("div", { class: "diff", id: (opts && opts.id) || null });
    if (!text || !text.trim()) {
      box.append(C.h("div", { class: "ln meta" }, (opts && opts.empty) || "no changes"));
      return box;
    }
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    let lang = null, html = [], files = 0;
    const limit = opts && opts.all ? Infinity : MAX_LINES;
    for (let i = 0; i < lines.length && i < limit; i++) {
      const l = lines[i];
      if (l.startsWith("diff --git ")) {
        const m = / b\/(.*)$/.exec(l);
        const path = m ? m[1] : l.slice(11);
        lang = C.langOf(path);
        files++;
        html.push(`<div class="file" data-file="${C.esc(path)}">${C.esc(path)}</div>`);
      } else if (l.startsWith("+++ ") || l.startsWith("--- ")) {
        if (!files) { const p = l.slice(4).replace(/^[ab]\//, ""); lang = C.langOf(p); }
        html.push(`<div class="ln meta">${C.esc(l)}</div>`);
      } else if (l.startsWith("@@")) {
        html.push(`<div class="ln hunk">${C.esc(l)}</div>`);
      } else if (l.startsWith("+")) {
        html.push(`<div class="ln add">+${C.highlight(l.slice(1), lang)}</div>`);
      } else if (l.startsWith("-")) {
        html.push(`<div class="ln del">-${C.highlight(l.slice(1), lang)}</div>`);
      } else if (l.startsWith(" ")) {
        html.push(`<div class="ln ctx"> ${C.highlight(l.slice(1), lang)}</div>`);
      } else {
        html.push(`<div class="ln meta">${C.esc(l)}</div>`);
      }
    }
    box.innerHTML = html.join("");
    if (lines.length > limit) {
      box.append(C.h("div", { class: "ln meta" }, `… ${C.num(lines.length - limit)} more lines `,
        C.h("button", { onclick: () => box.replaceWith(C.renderDiff(text, { ...(opts || {}), all: true })) }, "show all")));
    }
    return box;
  };
})();
