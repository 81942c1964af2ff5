// Shared helpers of the cladist viewer: DOM building, formatting, and data access (the
// live server's JSON API, or the data inlined in a static export).
"use strict";
const C = (window.Cladist = {});

C.DATA = (() => {
  const tag = document.getElementById("cladist-data");
  return tag ? JSON.parse(tag.textContent) : null;
})();
C.isStatic = C.DATA !== null;

// h("div", {class: "x", onclick: f}, child, "text", [more]) -> element (text is escaped).
C.h = (tag, attrs, ...kids) => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "html") el.innerHTML = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  const add = (kid) => {
    if (kid === null || kid === undefined || kid === false) return;
    if (Array.isArray(kid)) kid.forEach(add);
    else el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  };
  kids.forEach(add);
  return el;
};

C.esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
C.pct = (x) => (x === null || x === undefined ? "–" : (100 * x).toFixed(0) + "%");
C.num = (x) => (x === null || x === undefined ? "–" : Number(x).toLocaleString("en-US"));
C.usd = (x) => (x === null || x === undefined ? "–" : "$" + (x >= 1 ? x.toFixed(2) : x.toPrecision(3)));
C.secs = (x) => (x === null || x === undefined ? "–" : x < 120 ? x.toFixed(1) + " s" : (x / 60).toFixed(1) + " min");
C.when = (ts) => (ts ? new Date(ts * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "–");
C.badge = (text, cls) => C.h("span", { class: "badge " + (cls || text) }, text);
C.stat = (k, v) => C.h("div", { class: "stat" }, C.h("div", { class: "k" }, k), C.h("div", { class: "v" }, v));
C.nodeLink = (id, label) => C.h("a", { href: "#/node/" + id, "data-node": id }, label || "node " + id);
C.table = (head, rows, numeric) => C.h("table", {},
  C.h("thead", {}, C.h("tr", {}, head.map((x, i) => C.h("th", { class: numeric && numeric[i] ? "num" : null }, x)))),
  C.h("tbody", {}, rows));
C.row = (cells, numeric, attrs) => C.h("tr", attrs || {}, cells.map((x, i) => C.h("td", { class: numeric && numeric[i] ? "num" : null }, x)));

class ApiError extends Error {}
C.ApiError = ApiError;

// GET one API path ("tree", "node/3", "blob?ref=..."), from the server or the inlined data.
C.get = async (path) => {
  if (C.isStatic) return C.staticGet(path);
  const resp = await fetch("api/" + path, { cache: "no-store" });
  const body = await resp.json().catch(() => ({ error: resp.statusText }));
  if (!resp.ok) throw new ApiError(body.error || resp.statusText);
  return body;
};

C.staticGet = (path) => {
  const [name, query] = path.split("?");
  const params = new URLSearchParams(query || "");
  const D = C.DATA;
  if (name === "version") return { version: D.tree.version, status: D.tree.status, nodes: D.tree.nodes.length };
  if (name === "tree") return D.tree;
  if (name === "overview") return D.overview;
  if (name.startsWith("node/")) {
    const found = D.nodes[name.slice(5)];
    if (!found) throw new ApiError("node " + name.slice(5) + ": no such node");
    return found;
  }
  if (name === "blob") {
    const ref = params.get("ref");
    if (!(ref in D.blobs)) throw new ApiError(ref + ": not included in this static export (open the run with `cladist view`)");
    return D.blobs[ref];
  }
  if (name === "compare") return C.compareLocal(+params.get("a"), +params.get("b"));
  throw new ApiError("unknown path " + path);
};

// The comparison built in the page from two inlined node pages (static export: no diff).
C.compareLocal = (a, b) => {
  const na = C.staticGet("node/" + a), nb = C.staticGet("node/" + b);
  const rate = (c) => (c && c.pass + c.fail ? c.pass / (c.pass + c.fail) : null);
  const tasks = [...new Set([...Object.keys(na.tasks), ...Object.keys(nb.tasks)])].sort().map((t) => ({
    task: t, a: na.tasks[t] || null, b: nb.tasks[t] || null,
    differs: rate(na.tasks[t]) !== rate(nb.tasks[t]),
  }));
  const pa = na.lineage.map((n) => n.id), pb = nb.lineage.map((n) => n.id);
  let common = null;
  for (let i = 0; i < Math.min(pa.length, pb.length) && pa[i] === pb[i]; i++) common = pa[i];
  const brief = (x) => x.lineage[x.lineage.length - 1];
  // A node against its parent is the diff the export holds; other pairs need the server.
  const diff = nb.node.parent === a ? nb.diff
    : { text: "", truncated: false, size: 0, unavailable: "in a static export only a node against its parent has a diff; the live viewer (`cladist view RUN`) compares any two" };
  return { a: brief(na), b: brief(nb), common_ancestor: common, tasks, diff };
};

// Render a blob lazily: a <details> whose body is filled by render(blob) when opened.
C.lazyBlob = (label, ref, render, key) => {
  if (!ref) return null;
  const body = C.h("div", { class: "blob-body" }, C.h("span", { class: "dim" }, "loading…"));
  const det = C.h("details", { "data-key": key || ref, "data-ref": ref }, C.h("summary", {}, label), body);
  let loaded = false;
  det.addEventListener("toggle", async () => {
    if (!det.open || loaded) return;
    loaded = true;
    try {
      const blob = await C.get("blob?ref=" + encodeURIComponent(ref));
      body.replaceChildren(render(blob.text), blob.truncated ? C.h("div", { class: "dim" }, `cut at ${C.num(blob.text.length)} of ${C.num(blob.size)} bytes`) : "");
    } catch (err) {
      body.replaceChildren(C.h("span", { class: "error" }, err.message));
    }
  });
  return det;
};

C.pre = (text) => C.h("pre", {}, text);
// A command line to copy (the run named by its id).
C.cmd = (...words) => C.h("code", { class: "cmd" }, ["cladist", ...words].join(" "));
C.json = (text) => {
  try { return C.pre(JSON.stringify(JSON.parse(text), null, 2)); } catch (e) { return C.pre(text); }
};

// An agent trajectory ({steps: [{step, content, actions: [{tool, args, output}]}]}) as steps.
C.trajectory = (text) => {
  let t;
  try { t = JSON.parse(text); } catch (e) { return C.pre(text); }
  if (!t || !Array.isArray(t.steps)) return C.json(text);
  const steps = t.steps.map((s) => C.h("div", { class: "step" },
    C.h("div", {}, C.h("b", {}, "step " + (s.step ?? "?")), s.content ? C.h("span", {}, " — " + s.content) : ""),
    (s.actions || []).map((a) => C.h("div", {},
      C.h("span", { class: "tool" }, a.tool), " ",
      C.h("span", { class: "dim" }, a.args && a.args.path ? a.args.path : a.args && a.args.command ? String(a.args.command).slice(0, 100) : ""), " ",
      C.h("details", {}, C.h("summary", {}, "args / output"),
        C.pre(JSON.stringify(a.args, null, 2)), C.pre(String(a.output ?? "")))))));
  const head = C.h("div", { class: "dim" }, `exit: ${t.exit_reason ?? "?"} · ${t.steps.length} steps · ` +
    `${C.num(t.tokens_in)} in / ${C.num(t.tokens_out)} out tokens` + (t.seconds !== undefined ? ` · ${C.secs(t.seconds)}` : ""));
  return C.h("div", { class: "steps" }, head, steps);
};
