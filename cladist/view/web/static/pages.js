// Pages of the viewer: the tree, the run overview and the comparison of two nodes.
// Each page function returns an element built from the JSON API (see util.js C.get).
"use strict";
(() => {
  const C = window.Cladist;
  const h = C.h;
  C.pages = C.pages || {};

  C.pages.tree = async () => {
    const tree = await C.get("tree");
    const counts = {};
    tree.nodes.forEach((n) => (counts[n.status] = (counts[n.status] || 0) + 1));
    const compareBtn = h("a", { id: "compare-selected", href: "#/compare", style: "display:none" }, "");
    C.onSelection = (sel) => {
      compareBtn.style.display = sel.length === 2 ? "" : "none";
      compareBtn.href = `#/compare/${sel[0]}/${sel[1]}`;
      compareBtn.textContent = `compare ${sel[0]} ↔ ${sel[1]}`;
    };
    C.onSelection(C.treeState.selected);
    const go = h("form", { class: "inline", onsubmit: (ev) => { ev.preventDefault(); location.hash = "#/node/" + go.elements.id.value; } },
      h("input", { type: "number", name: "id", min: 0, placeholder: "node id" }), h("button", {}, "open"));
    const best = tree.best_belief;
    return h("div", { id: "page-tree" },
      h("div", { class: "toolbar" },
        h("b", { id: "node-count" }, `${tree.nodes.length} nodes`),
        h("span", { class: "dim" }, Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(" · ")),
        best !== null ? h("span", {}, "best-belief: ", C.nodeLink(best)) : h("span", { class: "dim" }, "nothing evaluated yet"),
        go, h("button", { onclick: () => C.fitTree && C.fitTree() }, "fit"),
        h("button", { id: "layout-toggle", onclick: () => C.toggleLayout && C.toggleLayout() }, "layered / radial"), compareBtn),
      C.treeLegend(),
      C.renderTree(tree));
  };

  // The progress curve: best-belief and archive-mean pass rate over evaluations spent.
  const curve = (points) => {
    const NS = "http://www.w3.org/2000/svg", W = 760, H = 240, L = 42, B = 28, T = 10, R = 10;
    const s = document.createElementNS(NS, "svg");
    s.setAttribute("viewBox", `0 0 ${W} ${H}`);
    s.setAttribute("class", "curve");
    s.setAttribute("id", "progress-curve");
    const maxX = Math.max(points[points.length - 1].evaluations, 1);
    const X = (e) => L + ((W - L - R) * e) / maxX, Y = (v) => T + (H - T - B) * (1 - v);
    const path = (key) => points.map((p, i) => `${i ? "L" : "M"}${X(p.evaluations).toFixed(1)},${Y(p[key]).toFixed(1)}`).join("");
    s.innerHTML =
      `<line class="axis" x1="${L}" y1="${Y(0)}" x2="${W - R}" y2="${Y(0)}"/><line class="axis" x1="${L}" y1="${T}" x2="${L}" y2="${Y(0)}"/>` +
      [0, 0.5, 1].map((v) => `<text x="${L - 6}" y="${Y(v) + 4}" text-anchor="end">${v * 100}%</text>`).join("") +
      `<text x="${W - R}" y="${H - 6}" text-anchor="end">${maxX} evaluations</text>` +
      `<path class="mean" d="${path("mean_score")}"/><path class="best" d="${path("best_score")}"/>` +
      `<text x="${L + 8}" y="${T + 12}" fill="#7c3aed">— best-belief</text><text x="${L + 110}" y="${T + 12}" fill="#0ea5e9">- - archive mean</text>`;
    return s;
  };

  C.pages.overview = async () => {
    const o = await C.get("overview");
    const run = o.run;
    const budget = o.budget.map((b) => {
      const shown = b.name === "dollars" ? C.usd(b.used) : b.name === "wall_clock_s" ? C.secs(b.used) : C.num(b.used);
      const limit = b.limit === null ? "no limit" : "of " + (b.name === "dollars" ? C.usd(b.limit) : b.name === "wall_clock_s" ? C.secs(b.limit) : C.num(b.limit));
      const bar = b.limit ? h("div", { class: "bar" }, h("span", { style: `width:${Math.min(100, (100 * b.used) / b.limit)}%` })) : "";
      return h("div", { class: "stat", "data-budget": b.name }, h("div", { class: "k" }, ({ task_evaluations: "task evaluations", wall_clock_s: "wall clock" })[b.name] || b.name), h("div", { class: "v" }, shown, " ", h("span", { class: "dim" }, limit)), bar);
    });
    const totalCost = o.costs.reduce((s, c) => s + c.cost_usd, 0);
    const costs = C.table(["purpose", "calls", "tokens in", "tokens out", "dollars"],
      [...o.costs.map((c) => C.row([c.purpose, C.num(c.calls), C.num(c.tokens_in), C.num(c.tokens_out), C.usd(c.cost_usd)], [0, 1, 1, 1, 1])),
        C.row([h("b", {}, "total"), "", "", "", h("b", {}, C.usd(totalCost))], [0, 1, 1, 1, 1])], [0, 1, 1, 1, 1]);
    const plots = o.plots.length
      ? h("div", { class: "plots" }, o.plots.map((p) => h("figure", {}, h("img", { src: p.url, alt: p.name + " plot", "data-plot": p.name }), h("figcaption", { class: "dim" }, p.name))))
      : h("p", { id: "no-plots", class: "dim" }, "No plots yet: run ", h("code", {}, `cladist plot ${run.id}`), " to draw progress, tree and cost plots into the run folder.");
    const events = C.table(["time", "event", "node", "details"], o.events.map((e) =>
      C.row([C.when(e.ts), e.kind, e.node === null ? "" : C.nodeLink(e.node, String(e.node)),
        Object.entries(e.data).filter(([, v]) => v !== null && v !== "").map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(" ")])));
    return h("div", { id: "page-overview" },
      h("h1", {}, "Run ", run.id),
      h("div", { class: "grid" },
        C.stat("status", h("span", {}, C.badge(run.status, { running: "evaluating", crashed: "invalid" }[run.status] || "valid"),
          run.status === "crashed" && o.events.length ? h("span", { class: "dim" }, " last event ", C.when(o.events[0].ts)) : "")),
        C.stat("model", run.model), C.stat("policy", run.policy), C.stat("workers", run.workers),
        C.stat("nodes", C.num(o.totals.nodes)), C.stat("infra errors", C.num(o.totals.infra_errors)),
        C.stat("created", C.when(run.created_at)), C.stat("cladist", run.cladist_version)),
      run.stop_reason ? h("p", {}, "stopped: ", h("b", {}, run.stop_reason)) : "",
      h("h2", {}, "Budget used"), h("div", { class: "grid", id: "budget" }, budget),
      h("h2", {}, "Best-belief agent"),
      o.best ? h("p", { id: "best" }, C.nodeLink(o.best.id), ` — ${o.best.passes}/${o.best.evaluations} pass (${C.pct(o.best.score)})`, o.best.summary ? h("span", { class: "dim" }, " · " + o.best.summary) : "")
        : h("p", { class: "dim" }, "no node evaluated yet"),
      o.best ? h("p", { class: "dim" }, "export it: ", C.cmd("export", run.id, "--node", "best", "--out", `agent-${o.best.id}`)) : "",
      h("h2", {}, "Progress"), o.progress.length ? curve(o.progress) : h("p", { class: "dim" }, "no evaluations yet"),
      h("h2", {}, "Costs by purpose"), costs,
      h("h2", {}, "Expansions by outcome"),
      h("p", {}, Object.entries(o.expansions).map(([k, v]) => h("span", { style: "margin-right:12px" }, C.badge(k, k === "valid" ? "valid" : k === "running" ? "evaluating" : "invalid"), " ", v))),
      h("h2", {}, "Plots"), plots,
      h("h2", {}, "Recent events"), events);
  };

  const counts = (c) => (c ? `${c.pass}/${c.pass + c.fail}` + (c.infra_error ? ` (+${c.infra_error} infra)` : "") : "–");

  C.compareForm = (a, b) => {
    const f = h("form", { class: "inline", id: "compare-form", onsubmit: (ev) => { ev.preventDefault(); location.hash = `#/compare/${f.elements.a.value}/${f.elements.b.value}`; } },
      "node ", h("input", { type: "number", name: "a", min: 0, value: a ?? "" }),
      " with node ", h("input", { type: "number", name: "b", min: 0, value: b ?? "" }), h("button", {}, "compare"));
    return f;
  };

  C.pages.compare = async (a, b) => {
    if (a === undefined || b === undefined) {
      return h("div", { id: "page-compare" }, h("h1", {}, "Compare two nodes"), C.compareForm(),
        h("p", { class: "dim" }, "Or shift+click two nodes in the tree."));
    }
    const c = await C.get(`compare?a=${a}&b=${b}`);
    const rows = c.tasks.map((t) => C.row([t.task, counts(t.a), counts(t.b), t.differs ? "differs" : ""], null, { class: t.differs ? "differs" : "" }));
    const side = (n) => h("div", { class: "stat" }, h("div", { class: "k" }, C.nodeLink(n.id)), h("div", { class: "v" }, C.badge(n.status), ` ${n.passes}/${n.evaluations} pass (${C.pct(n.score)})`), h("div", { class: "dim" }, n.summary || ""));
    return h("div", { id: "page-compare" },
      h("h1", {}, `Node ${a} ↔ node ${b}`), C.compareForm(a, b),
      h("div", { class: "grid", style: "margin-top:8px" }, side(c.a), side(c.b),
        C.stat("common ancestor", c.common_ancestor === null ? "–" : C.nodeLink(c.common_ancestor))),
      h("h2", {}, "Per-task results"),
      rows.length ? C.table(["task", `node ${a}`, `node ${b}`, ""], rows) : h("p", { class: "dim" }, "neither node has results"),
      h("h2", {}, `Diff from node ${a} to node ${b}`),
      c.diff.unavailable ? h("p", { class: "dim" }, c.diff.unavailable) : C.renderDiff(c.diff.text, { id: "compare-diff", empty: "the two codebases are identical" }));
  };
})();
