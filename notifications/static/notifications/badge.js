// The unread badge, live over /ws/inbox/. While the socket is open the server pushes the
// count and htmx polling is switched off; when it drops, polling comes back until the
// socket reconnects (with backoff). Signed out (4401): the socket stays closed.
(function () {
  "use strict";
  const HEARTBEAT_MS = 30000;
  let delay = 1000;
  let saved = null; // the badge's htmx polling attributes, while the socket replaces them

  function badge() { return document.getElementById("unread-badge"); }

  // data-live on the badge says the socket is open (and polling off); tests and styles read it.
  function markLive(live) {
    const el = badge();
    if (!el) return;
    if (live) el.dataset.live = "true";
    else delete el.dataset.live;
  }

  function show(count) {
    const el = badge();
    if (!el) return;
    el.dataset.unread = String(count);
    el.classList.toggle("has-unread", count > 0);
    const number = el.querySelector(".count");
    if (number) number.textContent = String(count);
  }

  // A badge without hx-* attributes: htmx stops polling an element that left the page.
  function stopPolling() {
    const el = badge();
    if (!el || !el.hasAttribute("hx-trigger")) return;
    saved = { get: el.getAttribute("hx-get"), trigger: el.getAttribute("hx-trigger"), swap: el.getAttribute("hx-swap") };
    const clone = el.cloneNode(true);
    ["hx-get", "hx-trigger", "hx-swap"].forEach((name) => clone.removeAttribute(name));
    el.replaceWith(clone);
  }

  function startPolling() {
    const el = badge();
    if (!el || !saved || el.hasAttribute("hx-trigger")) return;
    const clone = el.cloneNode(true);
    clone.setAttribute("hx-get", saved.get);
    clone.setAttribute("hx-trigger", saved.trigger);
    clone.setAttribute("hx-swap", saved.swap);
    el.replaceWith(clone);
    if (window.htmx) window.htmx.process(clone);
  }

  function connect() {
    if (!badge()) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + "/ws/inbox/");
    let beat = null;
    ws.onopen = function () {
      delay = 1000;
      stopPolling();
      markLive(true);
      beat = setInterval(function () {
        if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"heartbeat"}');
      }, HEARTBEAT_MS);
    };
    ws.onmessage = function (event) {
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame && frame.type === "unread" && Number.isInteger(frame.unread)) show(frame.unread);
    };
    ws.onclose = function (event) {
      markLive(false);
      if (beat) clearInterval(beat);
      if (event.code === 4401) return; // signed out: nothing to count
      startPolling();
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", connect);
  else connect();
})();
