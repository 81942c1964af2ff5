// The lineage tree: a tidy layered layout (leaves side by side, parents centred over their
// children), drawn as one SVG with pan (drag) and zoom (wheel). Edges are two <path>
// elements and clicks are delegated, so thousands of nodes stay responsive.
"use strict";
(() => {
  const C = window.Cladist;
  const NS = "http://www.w3.org/2000/svg";
  const DX = 30, DY = 70, LABELS_UP_TO = 1500, RADIAL_FROM = 60;
  const state = (C.treeState = { transform: null, selected: [], mode: null });

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

  const tip = (n, best) =>
    `node ${n.id}${n.id === best ? " ★ best-belief" : ""} · ${n.status}\n` +
    `${n.passes}/${n.evaluations} pass (${C.pct(n.score)}) · clade ${C.pct(n.clade_estimate)} ` +
    `(${n.clade_passes}/${n.clade_passes + n.clade_fails})` + (n.infra_errors ? ` · ${n.infra_errors} infra errors` : "") +
    (n.summary ? `\n${n.summary.slice(0, 140)}` : "");

  C.renderTree = (tree) => {
    C.lastTree = tree;
    const nodes = tree.nodes, best = tree.best_belief;
    const { pos, radial } = C.layout(nodes, state.mode);
    const root = svg("svg", { id: "tree-svg", "data-nodes": nodes.length, "data-layout": radial ? "radial" : "layered" });
    const view = svg("g", { class: "viewport" });
    root.append(view);
    const status = new Map(nodes.map((n) => [n.id, n.status]));
    let d = "", dInvalid = "";
    for (const n of nodes) {
      if (n.parent === null || !pos.has(n.parent)) continue;
      const p = pos.get(n.parent), c = pos.get(n.id), mid = p.y + DY / 2;
      const seg = radial ? `M${p.x.toFixed(1)},${p.y.toFixed(1)}L${c.x.toFixed(1)},${c.y.toFixed(1)}` : `M${p.x},${p.y}V${mid}H${c.x}V${c.y}`;
      if (status.get(n.id) === "invalid") dInvalid += seg; else d += seg;
    }
    view.append(svg("path", { class: "edges", d }), svg("path", { class: "edges to-invalid", d: dInvalid }));
    const frag = document.createDocumentFragment();
    for (const n of nodes) {
      const p = pos.get(n.id);
      const sel = state.selected.includes(n.id) ? " selected" : "";
      const g = svg("g", { class: `node st-${n.status}${sel}`, "data-id": n.id, transform: `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})` });
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
    attachInteraction(wrap, root, view, nodes, best, pos, radial);
    return wrap;
  };

  function attachInteraction(wrap, root, view, nodes, best, pos, radial) {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const tipEl = wrap.querySelector("#tree-tip");
    let frame = 0;
    const apply = () => {  // at most once per animation frame
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        const t = state.transform;
        view.setAttribute("transform", `translate(${t.x},${t.y}) scale(${t.k})`);
      });
    };
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
