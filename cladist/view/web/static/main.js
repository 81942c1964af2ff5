// The router (#/ tree, #/overview, #/node/ID, #/compare/A/B) and the live refresh: the
// page polls /api/version every few seconds and re-renders the current page when the
// archive changed, keeping the scroll position and the open sections.
"use strict";
(() => {
  const C = window.Cladist;
  const main = document.getElementById("main");
  const live = document.getElementById("live");
  const POLL_MS = 3000;
  let version = null, rendering = false;

  const route = () => {
    const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
    if (parts[0] === "overview") return ["overview", []];
    if (parts[0] === "node" && parts[1] !== undefined) return ["node", [parts[1]]];
    if (parts[0] === "compare") return ["compare", parts.slice(1, 3)];
    return ["tree", []];
  };

  async function render(keepState) {
    if (rendering) return;
    rendering = true;
    const [name, args] = route();
    document.querySelectorAll("[data-nav]").forEach((a) => a.classList.toggle("active", a.dataset.nav === name));
    const open = keepState ? [...main.querySelectorAll("details[open][data-key]")].map((d) => d.dataset.key) : [];
    const scroll = keepState ? window.scrollY : 0;
    main.dataset.ready = "0";
    try {
      const page = await C.pages[name](...args);
      main.replaceChildren(page);
      for (const key of open) {
        const d = main.querySelector(`details[data-key="${CSS.escape(key)}"]`);
        if (d) d.open = true;
      }
      window.scrollTo(0, scroll);
    } catch (err) {
      main.replaceChildren(C.h("p", { class: "error", id: "page-error" }, err.message || String(err)));
    } finally {
      main.dataset.ready = "1";
      main.dataset.page = name;
      rendering = false;
    }
  }

  async function poll() {
    try {
      const state = await C.get("version"), v = state.version;
      header(state.status, state.nodes);
      live.textContent = "live · checked " + new Date().toLocaleTimeString();
      live.classList.add("on");
      if (version !== null && v !== version) {
        version = v;
        await render(true);
        return;
      }
      version = v;
    } catch (err) {
      live.textContent = "cannot reach the viewer: " + (err.message || err);
      live.classList.remove("on");
    }
  }

  let runId = "";
  const header = (status, nodes) => {
    document.getElementById("run-id").textContent = `${runId} · ${status} · ${nodes} nodes`;
  };

  async function start() {
    try {
      const tree = await C.get("tree");
      runId = C.runId = tree.run;
      header(tree.status, tree.nodes.length);
      document.title = "cladist · " + tree.run;
      version = tree.version;
    } catch (err) { /* the page shows it */ }
    window.addEventListener("hashchange", () => render(false));
    await render(false);
    if (C.isStatic) {
      live.textContent = "static export · " + (C.DATA.exported_at || "");
    } else {
      setInterval(poll, POLL_MS);
      poll();
    }
  }
  start();
})();
