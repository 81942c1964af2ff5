// The tree painted on a <canvas>, for trees too big for one SVG element per node: the same
// layout, colours and interactions as the SVG (tree.js), nodes found under the pointer by
// a scan of their positions, ids drawn once zoomed in far enough to read them.
"use strict";
(() => {
  const C = window.Cladist;
  const STROKE = { valid: "#1f2937", invalid: "#dc2626", pending: "#d97706", evaluating: "#2563eb" };
  const ACCENT = "#7c3aed";

  C.canvasSurface = (nodes, best, pos, radial, state) => {
    const canvas = C.h("canvas", { id: "tree-canvas", "data-nodes": nodes.length, "data-layout": radial ? "radial" : "layered" });
    const ctx = canvas.getContext("2d");
    const { d, dInvalid } = C.edgePaths(nodes, pos, radial);
    const edges = new Path2D(d), invalidEdges = new Path2D(dInvalid);
    const items = nodes.map((n) => ({ n, p: pos.get(n.id), r: C.radius(n.evaluations), fill: C.estimateColour(n.clade_estimate) }));
    let selected = new Set(state.selected);

    const paint = (t) => {
      const dpr = window.devicePixelRatio || 1;
      const W = canvas.clientWidth, H = canvas.clientHeight;
      if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(H * dpr)) {
        canvas.width = Math.round(W * dpr);
        canvas.height = Math.round(H * dpr);
      }
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.setTransform(dpr * t.k, 0, 0, dpr * t.k, dpr * t.x, dpr * t.y);
      const px = 1 / t.k;  // one screen pixel in layout units
      ctx.lineWidth = 1.3 * px;
      ctx.strokeStyle = "#9ca3af";
      ctx.stroke(edges);
      ctx.setLineDash([4 * px, 3 * px]);
      ctx.strokeStyle = "#f2a3a3";
      ctx.stroke(invalidEdges);
      ctx.setLineDash([]);
      // only what is on screen
      const x0 = -t.x / t.k - 30, y0 = -t.y / t.k - 30, x1 = x0 + W / t.k + 60, y1 = y0 + H / t.k + 60;
      const visible = items.filter(({ p }) => p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1);
      for (const { n, p, r, fill } of visible) {
        ctx.beginPath();
        ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
        ctx.fillStyle = fill;
        ctx.fill();
        ctx.lineWidth = Math.max(2.2, 1.2 * px) * (selected.has(n.id) ? 1.8 : 1);
        ctx.strokeStyle = selected.has(n.id) ? ACCENT : STROKE[n.status] || "#6b7280";
        ctx.stroke();
        if (n.id === best) {
          ctx.beginPath();
          ctx.arc(p.x, p.y, r + 5, 0, 2 * Math.PI);
          ctx.lineWidth = Math.max(3, 2 * px);
          ctx.strokeStyle = ACCENT;
          ctx.stroke();
        }
      }
      if (t.k >= 0.6 && visible.length <= 1500) {
        ctx.fillStyle = "#374151";
        ctx.font = `${11 * px}px ui-monospace, monospace`;  // 11 screen pixels at any zoom
        for (const { n, p, r } of visible) ctx.fillText(n.id + (n.id === best ? " ★" : ""), p.x + r + (n.id === best ? 9 : 3) * px, p.y + 4 * px);
      }
    };

    return {
      el: canvas,
      apply: paint,
      pick: (ev) => {
        const t = state.transform;
        if (!t) return null;
        const box = canvas.getBoundingClientRect();
        const wx = (ev.clientX - box.left - t.x) / t.k, wy = (ev.clientY - box.top - t.y) / t.k;
        let found = null, bestD = Infinity;
        for (const { n, p, r } of items) {
          const dist = Math.hypot(p.x - wx, p.y - wy);
          if (dist <= r + 3 / t.k && dist < bestD) { found = n.id; bestD = dist; }
        }
        return found;
      },
      select: (ids) => { selected = new Set(ids); paint(state.transform); },
    };
  };
})();
