// The supervisor's wallboard: one snapshot from /wallboard/data, then live changes over
// /events; last-hour charts drawn as inline SVG from the engine's history
// (/wallboard/history, one sample every 15 s), extended by the live updates.
"use strict";
(() => {
  const { t, state, api, stream, el, fill, set } = T;
  const calls = new Map();
  const alerts = new Map();  // call id -> {n, score, label} from the emotion stream
  const history = [];  // samples as /wallboard/history gives them: {at, queues: {q: {waiting, service_level}}, abandon_rate}
  let agents = [];
  const ago = (since) => since ? Math.round(Date.now() / 1000 - since) + " s" : "";
  const pct = (x) => x == null ? "–" : (Math.round(x * 1000) / 10) + "%";

  function button(label, fn) { const b = el("button", t(label)); b.addEventListener("click", fn); return b; }
  function row(cells, cls) {
    const tr = el("tr", null, cls);
    for (const c of cells) { const td = el("td"); if (c instanceof Node) td.append(c); else td.textContent = c == null ? "" : String(c); tr.append(td); }
    return tr;
  }
  function renderCalls() {
    const live = [...calls.values()].filter((c) => c.status !== "ended");
    const score = (c) => ((alerts.get(c.id) || {}).score || (c.emotion && c.emotion.score) || 0) + ({ high: 1, medium: 0.5 }[c.risk_tier] || 0);
    live.sort((a, b) => score(b) - score(a));
    document.querySelector("#calls tbody").replaceChildren(...live.map((c) => {
      const actions = el("span");
      for (const mode of ["listen", "whisper", "barge"]) {
        actions.append(button(mode, () => monitor(c.id, mode)));
      }
      const seen = alerts.get(c.id) || { n: 0 };
      const n = Math.max(c.emotion_alerts || 0, seen.n);
      const e = seen.score != null ? seen : (c.emotion || {});
      const emo = e.score != null ? (e.label ? t("emotion." + e.label) : "") + " " + e.score : "";
      return row([c.caller_number + " " + (c.customer_id || ""), c.risk_tier, emo, n, c.agent_id, actions],
        n > 0 ? "alert" : "");
    }));
  }
  async function monitor(callId, mode) {
    const endpoint = localStorage.getItem("tenure.phone") || prompt("PJSIP/…") || "";
    if (!endpoint) return;
    localStorage.setItem("tenure.phone", endpoint);
    try { await api("POST", "/wallboard/calls/" + callId + "/" + mode, { endpoint }); load(); } catch (e) { alert(e.message); }
  }
  // a word for why a box cannot reach the phone ("congestion"...), else the reason as is
  const why = (reason) => { const key = "exclusion." + reason; const w = t(key); return w === key ? reason : w; };
  // the agent's state, and the boxes that cannot reach their phone until "until" (epoch s)
  function agentState(a) {
    const cell = el("span", state(a.state) + (a.reason ? " (" + a.reason + ")" : ""));
    const now = Date.now() / 1000;
    for (const [box, x] of Object.entries(a.excluded || {})) {
      if (!(x.until > now)) continue;  // ended: the box offers this agent's calls again
      const seconds = Math.ceil(x.until - now);
      const line = el("span", t("excluded", { box, reason: why(x.reason), seconds }), "excluded");
      line.dataset.box = box;
      cell.append(line);
    }
    return cell;
  }
  function renderAgents() {
    document.querySelector("#agents tbody").replaceChildren(...agents.map((a) =>
      row([a.name || a.id, agentState(a), ago(a.since), a.call_id || "",
        a.state === "logged_out" ? "" : button("log_out_agent", () => api("POST", "/wallboard/agents/" + a.id + "/logout").then(load))])));
  }
  // one line per series, x by time over the last hour; a null value is a gap
  function chart(title, lines, max, scale) {  // scale: the top of the y axis, as shown
    const w = 300, h = 60, end = Date.now() / 1000, start = end - 3600;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`); svg.setAttribute("class", "chart");
    const legend = el("p", null, "legend");
    lines.forEach(([name, pts], i) => {
      const xy = pts.filter(([, v]) => v != null).map(([at, v]) =>
        (((at - start) / 3600) * w).toFixed(1) + "," + (h - (Math.min(v, max) / max) * h).toFixed(1));
      const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
      line.setAttribute("points", xy.join(" ")); line.setAttribute("class", "s" + (i % 4)); svg.append(line);
      if (name) legend.append(el("span", name, "s" + (i % 4)));
    });
    const box = el("div"); box.append(el("h3", title + " (0–" + scale + ")"), svg, legend); return box;
  }
  function renderCharts() {
    const cut = Date.now() / 1000 - 3600;
    while (history.length && history[0].at < cut) history.shift();
    const names = [...new Set(history.flatMap((p) => Object.keys(p.queues || {})))].sort();
    const per = (key) => names.map((q) => [q, history.map((p) => [p.at, ((p.queues || {})[q] || {})[key]])]);
    const maxWait = Math.max(5, ...history.flatMap((p) => Object.values(p.queues || {}).map((x) => x.waiting || 0)));
    document.getElementById("charts").replaceChildren(
      chart(t("waiting"), per("waiting"), maxWait, maxWait),
      chart(t("service_level"), per("service_level"), 100, "100%"),
      chart(t("abandon_rate"), [["", history.map((p) => [p.at, p.abandon_rate])]], 0.1, "10%"));
  }
  function extend(d) {  // a live snapshot as one more point, at most one per 15 s
    const last = history[history.length - 1];
    if (last && d.at - last.at < 15) return;
    const queues = {};
    for (const q of d.queues) queues[q.queue] = { waiting: q.waiting, service_level: q.service_level };
    const rates = d.campaigns.map((c) => c.progress && c.progress.abandon && c.progress.abandon.rate).filter((r) => r != null);
    history.push({ at: d.at, queues, abandon_rate: rates.length ? Math.max(...rates) : null });
  }
  let lastData = null;
  function apply(d) {
    lastData = d;
    document.querySelector("#queues tbody").replaceChildren(...d.queues.map((q) =>
      row([q.queue, q.waiting, q.longest_wait + " s", q.service_level == null ? "–" : q.service_level + "%", q.abandoned])));
    agents = d.agents; renderAgents();
    calls.clear(); for (const c of d.calls) calls.set(c.id, c); renderCalls();
    document.querySelector("#campaigns tbody").replaceChildren(...d.campaigns.map((c) => {
      const ab = (c.progress && c.progress.abandon) || {};
      const paused = c.status === "paused";
      return row([c.name + " (" + c.status + ")", pct(ab.rate) + " / " + pct(ab.limit), c.agents ? pct(c.agents.occupancy) : "",
        (c.live && c.live.lines) || c.lines || 0,
        c.progress && c.progress.contacts ? c.progress.contacts.done + " / " + c.progress.contacts.total : "",
        button(paused ? "resume" : "pause", () => api("POST", "/wallboard/campaigns/" + c.id + "/" + (paused ? "resume" : "pause")).then(load))]);
    }));
    fill("tiers", Object.entries(d.risk.tiers), ([k, v]) => el("li", k + ": " + v));
    set("callbacks", d.risk.callbacks_due);
    const sk = d.skills || {};
    set("skills", sk.folder + " · " + sk.reloads + " reloads");
    const errs = [].concat(sk.routing_errors || [], sk.last_reload_errors || []);
    fill("skill-errors", errs.length ? errs : [t("none")], (e) => el("li", typeof e === "string" ? e : JSON.stringify(e)));
    fill("audit", d.audit, (a) => el("li", new Date(a.at * 1000).toLocaleTimeString() + " " + a.by + " " + a.action + " " + a.target));
    extend(d);
    renderCharts();
  }
  async function load() { try { apply(await api("GET", "/wallboard/data")); } catch (e) { console.error(e); } }
  stream("/events", {
    calls: (batch) => { for (const c of batch) { if (c.status === "ended") calls.delete(c.id); else calls.set(c.id, c); } renderCalls(); },
    emotion: (m) => {
      const seen = alerts.get(m.call_id) || { n: 0 };
      alerts.set(m.call_id, { n: seen.n + 1, score: m.score, label: m.label });
      renderCalls();
    },
    "routing-events": (m) => {
      if (m.type === "agent") {
        const a = agents.find((x) => x.id === m.agent_id);
        if (!a) return;
        if (m.excluded_from) {  // a box could not reach the phone: no offers from it for now
          a.excluded = { ...(a.excluded || {}), [m.excluded_from]: { reason: m.reason, until: m.until } };
        } else { a.reason = m.reason || null; }
        a.state = m.state; a.since = m.at;
        renderAgents();
      }
      else if (m.type === "metrics" && lastData) { apply({ ...lastData, queues: m.queues, agents: m.agents.list, calls: [...calls.values()] }); }
    },
  });
  api("GET", "/wallboard/history").then((r) => {
    const seen = history.splice(0);  // live points that came first go after the history
    history.push(...r.points, ...seen.filter((p) => !r.points.length || p.at > r.points[r.points.length - 1].at));
    renderCharts();
  }).catch((e) => console.error(e)).finally(load);
  setInterval(renderAgents, 1000);  // the "in state" clocks tick; data itself is pushed
})();
