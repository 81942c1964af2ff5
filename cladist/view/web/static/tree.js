// The lineage tree: a tidy layered layout (leaves side by side, parents centred over their
// children) or a radial one for wide trees, with pan (drag) and zoom (wheel). Up to
// CANVAS_FROM nodes it is one SVG (edges as two <path> elements, clicks delegated); bigger
// trees are painted on a <canvas> (canvas.js), which stays fast at any size.
"use strict";
(() => {
  const C = window.Cladist;
  const NS = "http://www.w3.org/2000/svg";
  const DX = 48, DY = 70, CANVAS_FROM = 1500, RADIAL_FROM = 60;  // DX: room for a label
  const state = (C.treeState = { transform: null, selected: [], mode: null, canvas: null, surface: null, drag: null });

  const svg = (tag, attrs) => {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
    return el;
  };

  // Fill: clade estimate on a red-to-green scale; grey without evidence.
  C.estimateColour = (e) => (e === null || e === undefined ? "#d1d5db" : `hsl(${Math.round(120 * e)}, 65%, ${48 - 10 * e}%)`);
  C.radius = (evals) => Math.min(5 + 2.2 * Math.sqrt(evals || 0), 24);

  // Leaf order by an iterative post-order walk (deep trees do not overflow the stack):
  // leaves take consecutive slots, a parent the middle of its first and last child.
  const slots = (nodes) => {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const slot = new Map();
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
        slot.set(n.id, kids.length ? (slot.get(kids[0]) + slot.get(kids[kids.length - 1])) / 2 : leaf++);
      }
    }
    return { slot, leaves: leaf };
  };

  // Layered (x: leaf order, y: depth) for narrow trees; radial (angle: leaf order,
  // radius: depth) once there are more leaves than fit across the screen.
  C.layout = (nodes, mode) => {
    const { slot, leaves } = slots(nodes);
    const radial = mode ? mode === "radial" : leaves > RADIAL_FROM;
    const pos = new Map();
    const maxDepth = Math.max(1, ...nodes.map((n) => n.depth));
    const ring = Math.max(DY, (14 * leaves) / (2 * Math.PI * maxDepth));
    for (const n of nodes) {
      const s = slot.get(n.id);
      if (!radial) pos.set(n.id, { x: s * DX, y: n.depth * DY });
      else {
        const a = (2 * Math.PI * s) / Math.max(leaves, 1), r = n.depth * ring;
        pos.set(n.id, { x: r * Math.sin(a), y: -r * Math.cos(a) });
      }
    }
    return { pos, radial };
  };

  C.tip = (n, best) =>
    `node ${n.id}${n.id === best ? " ★ best-belief" : ""} · ${n.status}\n` +
    `${n.passes}/${n.evaluations} pass (${C.pct(n.score)}) · clade ${C.pct(n.clade_estimate)} ` +
    `(${n.clade_passes}/${n.clade_passes + n.clade_fails})` + (n.infra_errors ? ` · ${n.infra_errors} infra errors` : "") +
    (n.summary ? `\n${n.summary.slice(0, 140)}` : "");

  // Edges as path data: elbows in the layered layout, straight lines in the radial one.
  C.edgePaths = (nodes, pos, radial) => {
    let d = "", dInvalid = "";
    for (const n of nodes) {
      if (n.parent === null || !pos.has(n.parent)) continue;
      const p = pos.get(n.parent), c = pos.get(n.id), mid = p.y + DY / 2;
      const seg = radial ? `M${p.x.toFixed(1)},${p.y.toFixed(1)}L${c.x.toFixed(1)},${c.y.toFixed(1)}` : `M${p.x},${p.y}V${mid}H${c.x}V${c.y}`;
      if (n.status === "invalid") dInvalid += seg; else d += seg;
    }
    return { d, dInvalid };
  };

  const svgSurface = (nodes, best, pos, radial) => {
    const root = svg("svg", { id: "tree-svg", "data-nodes": nodes.length, "data-layout": radial ? "radial" : "layered" });
    const view = svg("g", { class: "viewport" });
    root.append(view);
    const { d, dInvalid } = C.edgePaths(nodes, pos, radial);
    view.append(svg("path", { class: "edges", d }), svg("path", { class: "edges to-invalid", d: dInvalid }));
    const frag = document.createDocumentFragment();
    for (const n of nodes) {
      const p = pos.get(n.id);
      const sel = state.selected.includes(n.id) ? " selected" : "";
      const g = svg("g", { class: `node st-${n.status}${sel}`, "data-id": n.id, transform: `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})` });
      const r = C.radius(n.evaluations);
      if (n.id === best) g.append(svg("circle", { class: "best-ring", r: r + 5 }));
      g.append(svg("circle", { class: "dot", r, fill: C.estimateColour(n.clade_estimate) }));
      const label = svg("text", { x: r + (n.id === best ? 9 : 3), y: 4 });
      label.textContent = n.id + (n.id === best ? " ★" : "");
      g.append(label);
      frag.append(g);
    }
    view.append(frag);
    return {
      el: root,
      apply: (t) => view.setAttribute("transform", `translate(${t.x},${t.y}) scale(${t.k})`),
      pick: (ev) => { const g = ev.target.closest && ev.target.closest("g.node"); return g ? Number(g.dataset.id) : null; },
      select: (ids) => {
        root.querySelectorAll("g.node.selected").forEach((x) => x.classList.remove("selected"));
        ids.forEach((x) => root.querySelector(`g.node[data-id="${x}"]`)?.classList.add("selected"));
      },
    };
  };

  C.renderTree = (tree) => {
    C.lastTree = tree;
    const nodes = tree.nodes, best = tree.best_belief;
    const { pos, radial } = C.layout(nodes, state.mode);
    const useCanvas = state.canvas === null ? nodes.length > CANVAS_FROM : state.canvas;
    const surface = (useCanvas ? C.canvasSurface : svgSurface)(nodes, best, pos, radial, state);
    const wrap = C.h("div", { id: "tree-wrap" }, surface.el, C.h("div", { id: "tree-tip" }));
    attach(wrap, surface, nodes, best, pos, radial);
    return wrap;
  };

  function attach(wrap, surface, nodes, best, pos, radial) {
    const el = surface.el;
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const tipEl = wrap.querySelector("#tree-tip");
    state.surface = surface;
    let frame = 0;
    const apply = () => {  // at most once per animation frame
      if (frame) return;
      frame = requestAnimationFrame(() => { frame = 0; surface.apply(state.transform); });
    };
    state.apply = apply;
    const fit = () => {
      const xs = [...pos.values()].map((p) => p.x), ys = [...pos.values()].map((p) => p.y);
      const w = Math.max(...xs) - Math.min(...xs) + 80, h = Math.max(...ys) - Math.min(...ys) + 80;
      const W = wrap.clientWidth || 900, H = wrap.clientHeight || 500;
      const k = Math.min(W / w, H / h, 1.6);
      const top = radial ? (H - (Math.max(...ys) + Math.min(...ys)) * k) / 2 : 40 * k - Math.min(...ys) * k + 10;
      state.transform = { k, x: (W - (Math.max(...xs) + Math.min(...xs)) * k) / 2, y: top };
      apply();
    };
    C.fitTree = fit;
    C.toggleLayout = () => {
      state.mode = radial ? "layered" : "radial";
      state.transform = null;
      wrap.replaceWith(C.renderTree(C.lastTree));
    };
    requestAnimationFrame(() => (state.transform ? apply() : fit()));
    el.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const t = state.transform, box = el.getBoundingClientRect();
      const mx = ev.clientX - box.left, my = ev.clientY - box.top;
      const k = Math.min(Math.max(t.k * Math.exp(-ev.deltaY * 0.0015), 0.01), 8);
      state.transform = { k, x: mx - ((mx - t.x) * k) / t.k, y: my - ((my - t.y) * k) / t.k };
      apply();
    }, { passive: false });
    el.addEventListener("pointerdown", (ev) => {
      state.drag = { x: ev.clientX, y: ev.clientY, t: { ...state.transform }, moved: false, el };
    });
    el.addEventListener("click", (ev) => {
      const id = surface.pick(ev);
      if (id === null || (state.drag && state.drag.moved)) return;
      if (ev.shiftKey || ev.ctrlKey || ev.metaKey) {  // pick up to two nodes to compare
        state.selected = [...state.selected.filter((x) => x !== id), id].slice(-2);
        surface.select(state.selected);
        C.onSelection && C.onSelection(state.selected);
        return;
      }
      location.hash = "#/node/" + id;
    });
    el.addEventListener("pointermove", (ev) => {
      const id = state.drag ? null : surface.pick(ev);
      if (id === null) { tipEl.style.display = "none"; return; }
      const box = wrap.getBoundingClientRect();
      tipEl.textContent = C.tip(byId.get(id), best);
      Object.assign(tipEl.style, { whiteSpace: "pre-line", display: "block",
        left: ev.clientX - box.left + 14 + "px", top: ev.clientY - box.top + 14 + "px" });
    });
    el.addEventListener("pointerleave", () => (tipEl.style.display = "none"));
  }

  // Dragging goes on outside the tree's box; one pair of window listeners for all renders.
  window.addEventListener("pointermove", (ev) => {
    const drag = state.drag;
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 4) { drag.moved = true; drag.el.classList.add("dragging"); }
    if (drag.moved) { state.transform = { ...drag.t, x: drag.t.x + dx, y: drag.t.y + dy }; state.apply(); }
  });
  window.addEventListener("pointerup", () => {
    if (state.drag) state.drag.el.classList.remove("dragging");
    setTimeout(() => (state.drag = null), 0);
  });

  C.treeLegend = () => C.h("div", { class: "legend" },
    ["valid", "invalid", "pending", "evaluating"].map((s) =>
      C.h("span", {}, C.h("i", { style: `border-color: var(--${s}); background: #fff` }), " " + s)),
    C.h("span", {}, "clade estimate 0 ", C.h("span", { class: "scale", style: "display:inline-block" }), " 1"),
    C.h("span", {}, "size: evaluations"),
    C.h("span", {}, "★ best-belief"),
    C.h("span", {}, "shift+click two nodes to compare"));
})();
