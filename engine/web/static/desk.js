// The agent desk: state, wrap-up countdown, screen pop, live transcript, disposition,
// preview dialing. Everything arrives over /events; nothing is polled.
"use strict";
(() => {
  const { boot, t, state: stateText, api, stream, el, fill, set } = T;
  const agent = boot.agent_id;
  const q = boot.role === "agent" ? "" : "?agent=" + encodeURIComponent(agent);
  let callId = null, wrapupTimer = null;

  function showState(state, reason, since) {
    set("agent-state", stateText(state));
    set("pause-reason", reason ? t("pause_reason") + ": " + reason : "");
    clearInterval(wrapupTimer);
    set("wrapup", "");
    if (state === "wrapup" && boot.wrapup_seconds > 0) {
      const end = (since || Date.now() / 1000) + boot.wrapup_seconds;
      const tick = () => set("wrapup", t("wrapup") + " " + Math.max(0, Math.ceil(end - Date.now() / 1000)) + " s");
      tick(); wrapupTimer = setInterval(tick, 500);
    }
  }
  const emotionWord = (label) => label ? t("emotion." + label) : "";
  const round2 = (x) => x == null ? "" : Math.round(Number(x) * 100) / 100;
  // a hint in words, in the user's language: the catalogue's "hint.<kind>" filled from
  // the hint's fields (engine/web/i18n.py HINT_FIELDS); an unknown kind shows its text
  function hintText(h) {
    if (typeof h === "string") return h;
    const key = "hint." + h.kind;
    if (!h.kind || !(boot.t && boot.t[key])) return h.text || h.answer || t("hint.other", { kind: h.kind || "?" });
    if (h.kind === "emotion") return t(key, { label: emotionWord(h.label), score: round2(h.score) });
    return t(key, h);
  }
  function showEmotion(score, label) {  // the meter shows the latest score of the caller
    if (score == null) return;
    document.getElementById("emotion").value = Number(score);
    set("emotion-label", [emotionWord(label), round2(score)].filter((x) => x !== "").join(" "));
  }
  function showCard(c) {
    callId = c.call_id;
    document.querySelector("#disposition [name=call_id]").value = callId;
    document.getElementById("no-call").hidden = true;
    document.getElementById("pop").hidden = false;
    set("pop-name", c.customer_name || c.caller_number);
    set("pop-number", c.caller_number);
    const vip = c.vip_tier || ((c.hints || []).find((h) => h && h.kind === "vip") || {}).tier;
    set("pop-vip", vip ? t("vip") + " " + vip : "");
    if (c.risk_tier) set("pop-risk", c.risk_tier + (c.risk_score != null ? " (" + c.risk_score + ")" : ""));
    if (c.hints && c.hints.length) fill("hints", c.hints, (h) => el("li", hintText(h)));
  }
  function showPop(p) {
    showCard({ ...p, customer_name: p.customer && p.customer.name });
    const risk = p.risk || {};
    set("pop-risk", (risk.tier || "") + (risk.score != null ? " (" + risk.score + ")" : ""));
    document.getElementById("pop-risk").className = "risk-" + (risk.tier || "");
    fill("pop-reasons", risk.reasons || [], (r) => el("li", r.text || r.tag));
    const nba = p.next_best_action || {};
    set("pop-nba", [nba.title || nba.rule, (nba.steps || []).join(" · ")].filter(Boolean).join(": "));
    const kb = (p.hints || []).find((h) => h && h.kind === "knowledge-base") || p.knowledge || null;
    set("pop-kb", kb ? hintText(kb) : t("none"));
    fill("pop-orders", p.orders || [], (o) => el("li", [o.order_id, o.product, o.amount, o.status].filter((x) => x != null).join(" · ")));
    fill("pop-tickets", p.open_tickets || [], (k) => el("li", (k.kind || "") + ": " + (k.subject || k.id)));
    const c = p.customer || {};
    set("pop-prefs", [c.preferred_style, c.language, c.loyalty && c.loyalty.level].filter(Boolean).join(" · "));
    const last = (p.worked_before || [])[0] || p.last_offer;
    set("pop-last-offer", last ? [last.kind, last.outcome].filter(Boolean).join(" → ") : t("none"));
  }
  function ended() { document.getElementById("no-call").hidden = false; }
  function transcript(m) {
    if (m.type === "emotion") { showEmotion(m.score, m.label); return; }
    if (m.type !== "transcript" || !m.text) return;
    const li = el("li", m.text, m.role === "agent" ? "agent" : "caller");
    document.getElementById("transcript").append(li);
  }
  function desk(m) {
    if (m.type === "call") showCard(m);
    else if (m.type === "screen-pop") showPop(m);
    else if (m.type === "call-ended") ended();
    else if (m.type === "hint") {
      const h = m.hint || m;
      document.getElementById("hints").append(el("li", hintText(h)));
      if (h.kind === "emotion") showEmotion(h.score, h.label);
    }
    else if (m.type === "transcript" || m.type === "emotion") transcript(m);
  }
  stream("/events" + q, {
    desk,
    transcript,
    routing: (m) => { if (m.type === "agent") showState(m.state, m.reason, m.at); },
  });
  api("GET", "/agents/" + encodeURIComponent(agent)).then((a) => showState(a.state, a.reason, a.since)).catch(() => {});
  api("GET", "/agents/" + encodeURIComponent(agent) + "/screen").then((r) => { if (r.screen) showPop(r.screen); }).catch(() => {});
  api("GET", "/agents/" + encodeURIComponent(agent) + "/desk").then((r) => { if (r.call && !callId) showCard(r.call); }).catch(() => {});

  document.getElementById("disposition").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    const body = { call_id: f.get("call_id"), outcome: f.get("outcome") };
    if (f.get("callback_at")) body.callback_at = new Date(f.get("callback_at")).toISOString();
    try { await api("POST", "/desk/disposition" + q, body); set("dispo-result", t("saved")); }
    catch (e) { set("dispo-result", e.message); }
  });
  let contact = null;
  const campaign = () => document.getElementById("preview-campaign").value.trim();
  document.getElementById("preview-next").addEventListener("click", async () => {
    try { contact = (await api("GET", "/desk/preview/" + campaign() + q)).contact; set("preview-contact", contact ? (contact.name || "") + " " + contact.number : t("none")); }
    catch (e) { set("preview-contact", e.message); }
  });
  for (const action of ["accept", "skip"]) {
    document.getElementById("preview-" + action).addEventListener("click", async () => {
      if (!contact) return;
      try { await api("POST", "/desk/preview/" + campaign() + "/" + contact.id + "/" + action + q); set("preview-contact", t(action)); contact = null; }
      catch (e) { set("preview-contact", e.message); }
    });
  }
})();
