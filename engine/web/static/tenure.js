// Shared by the pages: the boot block, UI words, JSON calls with the CSRF token, the
// live event stream (server-sent events; the browser reconnects by itself).
"use strict";
const T = (() => {
  const boot = JSON.parse(document.getElementById("boot").textContent || "{}");
  // a UI word; "{name}" in it is filled from values (missing ones left empty)
  const t = (key, values) => {
    const words = (boot.t && boot.t[key]) || key;
    return values ? words.replace(/\{(\w+)\}/g, (_, k) => values[k] == null ? "" : String(values[k])) : words;
  };
  const state = (s) => (boot.t && boot.t["state." + s]) || s;
  async function api(method, path, body) {
    const opts = { method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = boot.csrf;
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const resp = await fetch(path, opts);
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error(data.message || resp.statusText);
    return data;
  }
  function stream(path, handlers) {
    const conn = document.getElementById("conn");
    const es = new EventSource(path);
    es.onopen = () => { conn.textContent = t("live"); conn.classList.add("live"); };
    es.onerror = () => { conn.textContent = t("offline"); conn.classList.remove("live"); };
    for (const [kind, fn] of Object.entries(handlers)) {
      es.addEventListener(kind, (ev) => fn(JSON.parse(ev.data)));
    }
    return es;
  }
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function fill(id, items, render) {
    const box = document.getElementById(id);
    box.replaceChildren(...items.map(render));
  }
  function set(id, text) { document.getElementById(id).textContent = text == null ? "" : String(text); }
  return { boot, t, state, api, stream, el, fill, set };
})();
