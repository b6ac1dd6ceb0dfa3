// The desk's softphone: when the agent's phone is their browser (GET /desk/softphone
// answers with their own SIP credentials), JsSIP (vendor/jssip.min.js) registers over
// Asterisk's SIP WebSocket and the panel shows the registration, rings on an incoming
// call, answers, hangs up and mutes. Media is WebRTC (DTLS-SRTP, ICE) straight to
// Asterisk. Agents only: a supervisor's view of a desk never registers its phone.
"use strict";
(() => {
  const { boot, t, api, set } = T;
  if (boot.role !== "agent") return;
  const $ = (id) => document.getElementById(id);
  const panel = $("phone"), answer = $("phone-answer"), hangup = $("phone-hangup"), mute = $("phone-mute");
  let session = null;

  function show(state, peer) {  // state: a "phone.<state>" word; data-state for tests and CSS
    panel.dataset.state = state;
    set("phone-state", t("phone." + state));
    if (peer !== undefined) set("phone-peer", peer);
  }
  function buttons() {
    const ringing = !!session && !session.isEstablished() && !session.isEnded();
    answer.disabled = !ringing;
    hangup.disabled = !session;
    mute.disabled = !(session && session.isEstablished());
  }
  function load(src) {
    return new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src; s.onload = resolve; s.onerror = () => reject(new Error("cannot load " + src));
      document.head.append(s);
    });
  }
  function playRemote(pc) {
    const audio = $("phone-audio");
    const attach = () => {
      const tracks = pc.getReceivers().map((r) => r.track).filter((k) => k && k.kind === "audio");
      if (tracks.length) { audio.srcObject = new MediaStream(tracks); audio.play().catch(() => {}); }
    };
    pc.addEventListener("track", attach);
    attach();
  }
  let stopRing = null;
  function ring() {  // a ring-back cadence (440+480 Hz, 2 s on, 4 s off) while it rings
    try {
      const ctx = new AudioContext(), gain = ctx.createGain();
      gain.gain.value = 0;
      gain.connect(ctx.destination);
      for (const hz of [440, 480]) { const o = ctx.createOscillator(); o.frequency.value = hz; o.connect(gain); o.start(); }
      let step = 0;
      const tick = () => { gain.gain.value = step % 3 === 0 ? 0.05 : 0; step += 1; };
      tick();
      const timer = setInterval(tick, 2000);
      stopRing = () => { clearInterval(timer); ctx.close(); stopRing = null; };
    } catch (e) { stopRing = null; }  // no audio output: the panel still shows the call
  }
  function quiet() { if (stopRing) stopRing(); }
  function incoming(s) {
    if (session) { s.terminate({ status_code: 486, reason_phrase: "Busy Here" }); return; }
    session = s;
    show("ringing", s.remote_identity.display_name || s.remote_identity.uri.user);
    ring();
    const done = () => {
      quiet(); session = null; mute.textContent = t("phone.mute"); mute.setAttribute("aria-pressed", "false");
      $("phone-audio").srcObject = null; show(registered ? "registered" : "unregistered", ""); buttons();
    };
    s.on("peerconnection", (e) => playRemote(e.peerconnection));
    s.on("accepted", () => { quiet(); show("in_call"); buttons(); });
    s.on("confirmed", () => { show("in_call"); buttons(); });
    s.on("ended", done);
    s.on("failed", (e) => {
      done();
      if (e.cause === JsSIP.C.causes.USER_DENIED_MEDIA_ACCESS) set("phone-peer", t("phone.no_mic"));
    });
    buttons();
  }
  let registered = false;
  async function start() {
    let conf;
    try { conf = await api("GET", "/desk/softphone"); } catch (e) { return; }  // no softphone
    panel.hidden = false;
    show("connecting");
    await load("/static/vendor/jssip.min.js");
    const ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(conf.ws_url)],
      uri: conf.uri,
      authorization_user: conf.username,
      password: conf.password,
      register: true,
      register_expires: 120,
      session_timers: false,
      user_agent: "Tenure desk (JsSIP)",
    });
    ua.on("registered", () => { registered = true; if (!session) show("registered"); });
    ua.on("unregistered", () => { registered = false; if (!session) show("unregistered"); });
    ua.on("registrationFailed", () => { registered = false; show("failed"); });
    ua.on("disconnected", () => { registered = false; if (!session) show("connecting"); });
    ua.on("newRTCSession", (e) => { if (e.originator === "remote") incoming(e.session); });
    answer.addEventListener("click", () => {
      if (!session) return;
      quiet();
      session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
      if (session.connection) playRemote(session.connection);
      buttons();
    });
    hangup.addEventListener("click", () => { if (session) session.terminate(); });
    mute.addEventListener("click", () => {
      if (!session) return;
      const muted = session.isMuted().audio;
      if (muted) session.unmute({ audio: true }); else session.mute({ audio: true });
      mute.textContent = t(muted ? "phone.mute" : "phone.unmute");
      mute.setAttribute("aria-pressed", String(!muted));
    });
    window.addEventListener("beforeunload", () => ua.stop());
    ua.start();
  }
  start().catch((e) => { show("failed"); console.error("softphone:", e); });
})();
