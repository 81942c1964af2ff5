// The node page: lineage, origin (diagnosis and problem statement), diff against the parent,
// per-task results with test output and trajectory, tokens and dollars.
"use strict";
(() => {
  const C = window.Cladist;
  const h = C.h;

  const diagnosis = (d) => {
    if (d === null || d === undefined) return h("p", { class: "dim" }, "no diagnosis recorded");
    if (typeof d === "string") return C.pre(d);
    const known = ["summary", "proposal", "problem_statement"];
    return h("div", { class: "card", id: "diagnosis" },
      known.filter((k) => d[k]).map((k) => h("div", {}, h("b", {}, k.replace("_", " ") + ": "), h("span", { style: "white-space:pre-wrap" }, d[k]))),
      h("details", {}, h("summary", {}, "all fields"), C.pre(JSON.stringify(d, null, 2))));
  };

  const origin = (o) => {
    if (!o) return h("p", { class: "dim" }, "the root: the seed agent");
    return h("div", { id: "origin" },
      h("p", {}, `expansion ${o.id} of `, C.nodeLink(o.parent), ` · target `, h("code", {}, o.target || "–"),
        ` · outcome `, C.badge(o.outcome, o.outcome === "valid" ? "valid" : "invalid"), o.reason ? ` (${o.reason})` : "",
        ` · ${C.num(o.tokens_in)} in / ${C.num(o.tokens_out)} out tokens · ${C.usd(o.cost_usd)}`),
      h("h3", {}, "Diagnosis"), diagnosis(o.diagnosis),
      h("h3", {}, "Problem statement"),
      o.problem_statement ? h("pre", { id: "problem-statement" }, o.problem_statement) : h("p", { class: "dim" }, "none"),
      C.lazyBlob("self-edit trajectory", o.self_edit_trajectory_ref, C.trajectory),
      C.lazyBlob("rejected patch (not committed)", o.rejected_patch_ref, (t) => C.renderDiff(t)));
  };

  const resultRow = (r, nodeId) => {
    const refs = r.refs;
    const body = h("div", {},
      h("div", { class: "dim" }, "replay: ", C.cmd("replay", C.runId, nodeId, "--task", r.task, ...(r.attempt > 1 ? ["--attempt", r.attempt] : []))),
      C.lazyBlob("test output", refs.test_output, C.pre, `r${r.id}-test`),
      C.lazyBlob("patch", refs.patch, (t) => C.renderDiff(t), `r${r.id}-patch`),
      C.lazyBlob("trajectory", refs.trajectory, C.trajectory, `r${r.id}-traj`),
      C.lazyBlob("log", refs.log, C.pre, `r${r.id}-log`),
      Object.keys(r.detail || {}).length ? h("details", { "data-key": `r${r.id}-detail` }, h("summary", {}, "detail"), C.pre(JSON.stringify(r.detail, null, 2))) : "");
    return h("tr", { class: "result", "data-task": r.task, "data-verdict": r.verdict },
      h("td", {}, h("b", {}, r.task), body),
      h("td", { class: "num" }, r.attempt), h("td", {}, C.badge(r.verdict)),
      h("td", { class: "num" }, C.secs(r.agent_seconds)), h("td", { class: "num" }, C.secs(r.grade_seconds)),
      h("td", { class: "num" }, `${C.num(r.tokens_in)} / ${C.num(r.tokens_out)}`), h("td", { class: "num" }, C.usd(r.cost_usd)));
  };

  const costs = (c) => {
    const rows = [];
    if (c.creation) rows.push(C.row(["creating it (its expansion)", "", C.num(c.creation.tokens_in), C.num(c.creation.tokens_out), C.usd(c.creation.cost_usd)], [0, 1, 1, 1, 1]));
    rows.push(C.row(["its evaluations", "", C.num(c.evaluation.tokens_in), C.num(c.evaluation.tokens_out), C.usd(c.evaluation.cost_usd)], [0, 1, 1, 1, 1]));
    for (const l of c.llm_calls) rows.push(C.row([`LLM calls of this node: ${l.purpose}`, C.num(l.calls), C.num(l.tokens_in), C.num(l.tokens_out), C.usd(l.cost_usd)], [0, 1, 1, 1, 1]));
    return C.table(["", "calls", "tokens in", "tokens out", "dollars"], rows, [0, 1, 1, 1, 1]);
  };

  C.pages.node = async (id) => {
    const p = await C.get("node/" + id);
    const n = p.node;
    const lineage = h("div", { class: "lineage", id: "lineage" }, p.lineage.map((a, i) => [
      i ? h("span", { class: "dim" }, "→") : "",
      h("a", { href: "#/node/" + a.id, class: a.id === n.id ? "self" : null, title: a.summary || "" }, `${a.id} · ${C.pct(a.score)}`)]));
    const taskRows = Object.entries(p.tasks).map(([t, c]) => C.row([t, c.pass, c.fail, c.infra_error], [0, 1, 1, 1]));
    return h("div", { id: "page-node", "data-node": n.id },
      h("h1", {}, `Node ${n.id} `, C.badge(n.status), n.best ? [" ", C.badge("★ best-belief", "best")] : ""),
      n.summary ? h("p", {}, n.summary) : "",
      n.reason ? h("p", {}, h("b", {}, "reason: "), n.reason) : "",
      h("p", { class: "dim" }, "export it: ", C.cmd("export", C.runId, "--node", n.id, "--out", `agent-${n.id}`)),
      h("div", { class: "grid" },
        C.stat("own results", `${n.passes}/${n.evaluations} pass (${C.pct(n.score)})`),
        C.stat("clade estimate", `${C.pct(n.clade_estimate)} (${n.clade_passes}/${n.clade_passes + n.clade_fails})`),
        C.stat("infra errors", n.infra_errors), C.stat("depth", n.depth),
        C.stat("commit", h("code", {}, n.commit.slice(0, 12))), C.stat("created", C.when(n.created_at))),
      h("h2", {}, "Lineage from the root"), lineage,
      h("p", {}, "children: ", p.children.length ? p.children.map((k, i) => [i ? ", " : "", C.nodeLink(k.id, String(k.id)), ` (${k.status})`]) : h("span", { class: "dim" }, "none")),
      h("p", {}, C.compareForm(n.parent ?? "", n.id)),
      h("h2", {}, "How it was made"), origin(p.origin),
      h("h2", {}, n.parent === null ? "Code" : `Diff against its parent (node ${n.parent})`),
      n.parent === null ? h("p", { class: "dim" }, "the seed agent has no parent") :
        C.renderDiff(p.diff.text, { id: "node-diff", empty: "no change against its parent" }),
      p.diff.truncated ? h("p", { class: "dim" }, `diff cut at ${C.num(p.diff.text.length)} of ${C.num(p.diff.size)} characters`) : "",
      h("h2", {}, `Results (${p.results.length})`),
      p.results.length ? [
        C.table(["task", "pass", "fail", "infra"], taskRows, [0, 1, 1, 1]), h("div", { style: "height:8px" }),
        h("table", { id: "results" }, h("thead", {}, h("tr", {}, ["task", "attempt", "verdict", "agent", "grading", "tokens in / out", "dollars"].map((x) => h("th", {}, x)))),
          h("tbody", {}, p.results.map((r) => resultRow(r, n.id))))]
        : h("p", { class: "dim", id: "no-results" }, "not evaluated yet"),
      h("h2", {}, "Tokens and dollars"), costs(p.costs),
      h("h2", {}, `Expansions of this node (${p.expansions.length})`),
      p.expansions.length ? C.table(["expansion", "outcome", "child", "target", "reason", "dollars"], p.expansions.map((e) =>
        C.row([e.id, C.badge(e.outcome, e.outcome === "valid" ? "valid" : e.outcome === "running" ? "evaluating" : "invalid"),
          e.child === null ? "–" : C.nodeLink(e.child, String(e.child)), e.target || "", e.reason || "", C.usd(e.cost_usd)]))) : h("p", { class: "dim" }, "none yet"));
  };
})();
