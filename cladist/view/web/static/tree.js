// The lineage tree: a tidy layered layout (leaves side by side, parents centred over their
// children), drawn as one SVG with pan (drag) and zoom (wheel). Edges are two <path>
// elements and clicks are delegated, so thousands of nodes stay responsive.
"use strict";
(() => {
  const C = window.Cladist;
  const NS = "http://www.w3.org/2000/svg";
  const DX = 30, DY = 70, LABELS_UP_TO = 1500;
  const state = (C.treeState = { transform: null, selected: [], runId: null });

  const svg = (tag, attrs) => {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
    return el;
  };

  // Fill: clade estimate on a red-to-green scale; grey without evidence.
  C.estimateColour = (e) => (e === null || e === undefined ? "#d1d5db" : `hsl(${Math.round(120 * e)}, 65%, ${48 - 10 * e}%)`);
  C.radius = (evals) => Math.min(5 + 2.2 * Math.sqrt(evals || 0), 24);

  // x by leaf order (iterative post-order, so deep trees do not overflow the stack), y by depth.
  C.layout = (nodes) => {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const pos = new Map();
    let leaf = 0;
    for (const root of nodes.filter((n) => n.parent === null || !byId.has(n.parent))) {
      const stack = [[root, false]];
      while (stack.length) {
        const [n, done] = stack.pop();
        const kids = (n.children || []).filter((k) => byId.has(k));
        if (!done && kids.length) {
          stack.push([n, true]);
          for (let i = kids.length - 1; i >= 0; i--) stack.push([byId.get(kids[i]), false]);
          continue;
        }
        const x = kids.length ? (pos.get(kids[0]).x + pos.get(kids[kids.length - 1]).x) / 2 : leaf++ * DX;
        pos.set(n.id, { x, y: n.depth * DY });
      }
    }
    return pos;
  };

  const tip = (n, best) =>
    `node ${n.id}${n.id === best ? " ★ best-belief" : ""} · ${n.status}\n` +
    `${n.passes}/${n.evaluations} pass (${C.pct(n.score)}) · clade ${C.pct(n.clade_estimate)} ` +
    `(${n.clade_passes}/${n.clade_passes + n.clade_fails})` + (n.infra_errors ? ` · ${n.infra_errors} infra errors` : "") +
    (n.summary ? `\n${n.summary.slice(0, 140)}` : "");

  C.renderTree = (tree) => {
    const nodes = tree.nodes, best = tree.best_belief;
    const pos = C.layout(nodes);
    const root = svg("svg", { id: "tree-svg", "data-nodes": nodes.length });
    const view = svg("g", { class: "viewport" });
    root.append(view);
    const status = new Map(nodes.map((n) => [n.id, n.status]));
    let d = "", dInvalid = "";
    for (const n of nodes) {
      if (n.parent === null || !pos.has(n.parent)) continue;
      const p = pos.get(n.parent), c = pos.get(n.id), mid = p.y + DY / 2;
      const seg = `M${p.x},${p.y}V${mid}H${c.x}V${c.y}`;
      if (status.get(n.id) === "invalid") dInvalid += seg; else d += seg;
    }
    view.append(svg("path", { class: "edges", d }), svg("path", { class: "edges to-invalid", d: dInvalid }));
    const frag = document.createDocumentFragment();
    for (const n of nodes) {
      const p = pos.get(n.id);
      const sel = state.selected.includes(n.id) ? " selected" : "";
      const g = svg("g", { class: `node st-${n.status}${sel}`, "data-id": n.id, transform: `translate(${p.x},${p.y})` });
      const r = C.radius(n.evaluations);
      if (n.id === best) g.append(svg("circle", { class: "best-ring", r: r + 5 }));
      g.append(svg("circle", { class: "dot", r, fill: C.estimateColour(n.clade_estimate) }));
      if (nodes.length <= LABELS_UP_TO) {
        const label = svg("text", { x: r + (n.id === best ? 9 : 3), y: 4 });
        label.textContent = n.id + (n.id === best ? " ★" : "");
        g.append(label);
      }
      frag.append(g);
    }
    view.append(frag);
    const wrap = C.h("div", { id: "tree-wrap" }, root, C.h("div", { id: "tree-tip" }));
    attachInteraction(wrap, root, view, nodes, best, pos);
    return wrap;
  };

  function attachInteraction(wrap, root, view, nodes, best, pos) {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const tipEl = wrap.querySelector("#tree-tip");
    const apply = () => {
      const t = state.transform;
      view.setAttribute("transform", `translate(${t.x},${t.y}) scale(${t.k})`);
    };
    const fit = () => {
      const xs = [...pos.values()].map((p) => p.x), ys = [...pos.values()].map((p) => p.y);
      const w = Math.max(...xs) - Math.min(...xs) + 80, h = Math.max(...ys) - Math.min(...ys) + 80;
      const W = wrap.clientWidth || 900, H = wrap.clientHeight || 500;
      const k = Math.min(W / w, H / h, 1.6);
      state.transform = { k, x: (W - (Math.max(...xs) + Math.min(...xs)) * k) / 2, y: 40 * k - Math.min(...ys) * k + 10 };
      apply();
    };
    C.fitTree = fit;
    requestAnimationFrame(() => (state.transform ? apply() : fit()));
    root.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const t = state.transform, box = root.getBoundingClientRect();
      const mx = ev.clientX - box.left, my = ev.clientY - box.top;
      const k = Math.min(Math.max(t.k * Math.exp(-ev.deltaY * 0.0015), 0.02), 8);
      state.transform = { k, x: mx - ((mx - t.x) * k) / t.k, y: my - ((my - t.y) * k) / t.k };
      apply();
    }, { passive: false });
    let drag = null;
    root.addEventListener("pointerdown", (ev) => {
      drag = { x: ev.clientX, y: ev.clientY, t: { ...state.transform }, moved: false };
    });
    window.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 4) { drag.moved = true; root.classList.add("dragging"); }
      if (drag.moved) { state.transform = { ...drag.t, x: drag.t.x + dx, y: drag.t.y + dy }; apply(); }
    });
    window.addEventListener("pointerup", () => { setTimeout(() => (drag = null), 0); root.classList.remove("dragging"); });
    root.addEventListener("click", (ev) => {
      const g = ev.target.closest("g.node");
      if (!g || (drag && drag.moved)) return;
      const id = Number(g.dataset.id);
      if (ev.shiftKey || ev.ctrlKey || ev.metaKey) {  // pick up to two nodes to compare
        state.selected = [...state.selected.filter((x) => x !== id), id].slice(-2);
        root.querySelectorAll("g.node.selected").forEach((x) => x.classList.remove("selected"));
        state.selected.forEach((x) => root.querySelector(`g.node[data-id="${x}"]`)?.classList.add("selected"));
        C.onSelection && C.onSelection(state.selected);
        return;
      }
      location.hash = "#/node/" + id;
    });
    root.addEventListener("pointerover", (ev) => {
      const g = ev.target.closest("g.node");
      if (!g) { tipEl.style.display = "none"; return; }
      const n = byId.get(Number(g.dataset.id));
      tipEl.textContent = tip(n, best);
      tipEl.style.whiteSpace = "pre-line";
      tipEl.style.display = "block";
    });
    root.addEventListener("pointermove", (ev) => {
      const box = wrap.getBoundingClientRect();
      tipEl.style.left = ev.clientX - box.left + 14 + "px";
      tipEl.style.top = ev.clientY - box.top + 14 + "px";
    });
    root.addEventListener("pointerleave", () => (tipEl.style.display = "none"));
  }

  C.treeLegend = () => C.h("div", { class: "legend" },
    ["valid", "invalid", "pending", "evaluating"].map((s) =>
      C.h("span", {}, C.h("i", { style: `border-color: var(--${s}); background: #fff` }), " " + s)),
    C.h("span", {}, "clade estimate 0 ", C.h("span", { class: "scale", style: "display:inline-block" }), " 1"),
    C.h("span", {}, "size: evaluations"),
    C.h("span", {}, "★ best-belief"),
    C.h("span", {}, "shift+click two nodes to compare"));
})();
