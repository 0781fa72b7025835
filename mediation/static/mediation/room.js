// The mediation room client: one WebSocket per case panel (/ws/cases/{ref}/).
//
// Nothing lost: every message carries its room's sequence number. The client keeps the
// last number it has shown per room; on (re)connect it asks the server to resume after
// it, a gap (a number skipped) also triggers a resume, and every heartbeat answer names
// each room's last number. Messages it sends carry a client id and wait in
// sessionStorage until acknowledged, so a retry after a dropped connection or a reload
// is de-duplicated by the server. Text is always inserted with textContent: never HTML.
(function () {
  "use strict";

  const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
  const FINAL_CODES = new Set([4401, 4403, 4404, 4410]);
  const TYPING_SHOW_MS = 4000;

  function texts() {
    const el = document.getElementById("med-i18n");
    return el ? JSON.parse(el.textContent) : {};
  }
  const T = texts();
  function t(key, values) {
    let s = T[key] || key;
    if (values) {
      Object.keys(values).forEach((k) => { s = s.replace("%(" + k + ")s", String(values[k])); });
    }
    return s;
  }

  function csrfToken() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function newClientId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // Times are Beijing time, as on the case timeline and in every notice, whatever the
  // browser's own time zone, in the page's language; an earlier day shows its date too.
  const ZONE = "Asia/Shanghai";
  const LANG = document.documentElement.lang || "zh-Hans";
  const TIME_FORMAT = new Intl.DateTimeFormat(LANG, { timeZone: ZONE, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const DATE_FORMAT = new Intl.DateTimeFormat(LANG, { timeZone: ZONE, month: "numeric", day: "numeric" });
  const DAY_KEY = new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit" });

  function localTime(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return "";
    const time = TIME_FORMAT.format(d);
    if (DAY_KEY.format(d) === DAY_KEY.format(new Date())) return time;
    return DATE_FORMAT.format(d) + " " + time;
  }

  // A datetime-local value ("2026-05-01T10:00") is Beijing time (no summer time there).
  function beijingInstant(value) {
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) {
      return new Date(value + (value.length === 16 ? ":00" : "") + "+08:00");
    }
    return new Date(value);
  }

  class Room {
    constructor(panel) {
      this.panel = panel;
      this.ref = panel.dataset.ref;
      this.lastSeq = {};        // room -> last number shown
      this.resuming = {};       // room -> true while a resume is in flight
      this.seen = {};           // room -> Set of numbers shown
      this.reads = {};          // room -> {user: seq}
      this.me = null;
      this.ws = null;
      this.attempt = 0;
      this.final = false;
      this.beatTimer = null;
      this.typingTimers = {};
      this.storeKey = "odr-med-pending:" + this.ref;
      this.pending = this.loadPending();   // client_id -> {room, body}
      this.bind();
      this.renderPending();
      this.connect();
    }

    // --- pending messages survive reloads ------------------------------------------
    loadPending() {
      try { return JSON.parse(sessionStorage.getItem(this.storeKey) || "{}"); } catch (e) { return {}; }
    }
    savePending() {
      try { sessionStorage.setItem(this.storeKey, JSON.stringify(this.pending)); } catch (e) { /* private mode */ }
    }

    // --- the socket -------------------------------------------------------------------
    connect() {
      if (this.final) return;
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      this.setConn(t("connecting"));
      const ws = new WebSocket(scheme + location.host + "/ws/cases/" + encodeURIComponent(this.ref) + "/");
      this.ws = ws;
      ws.onmessage = (event) => {
        let frame;
        try { frame = JSON.parse(event.data); } catch (e) { return; }
        this.onFrame(frame);
      };
      ws.onclose = (event) => {
        clearInterval(this.beatTimer);
        if (this.ws !== ws) return;
        this.ws = null;
        this.resuming = {};
        if (FINAL_CODES.has(event.code)) {
          this.final = true;
          this.setConn(t("closed"));
          this.panel.querySelectorAll(".chat-form, .file-form").forEach((f) => { f.hidden = true; });
          return;
        }
        const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
        const delay = Math.round(base * (0.8 + Math.random() * 0.4));
        this.attempt += 1;
        this.setConn(t("offline", { s: Math.ceil(delay / 1000) }));
        setTimeout(() => this.connect(), delay);
      };
    }

    sendFrame(frame) {
      if (this.ws && this.ws.readyState === WebSocket.OPEN) {
        this.ws.send(JSON.stringify(frame));
        return true;
      }
      return false;
    }

    setConn(text) {
      const node = this.panel.querySelector("[data-conn]");
      if (node) node.textContent = text;
      this.panel.dataset.connection = text === t("connected") ? "open" : "down";
    }

    // --- frames from the server -----------------------------------------------------------
    onFrame(f) {
      switch (f.type) {
        case "hello": return this.onHello(f);
        case "message": return this.onMessage(f);
        case "ack": return this.onAck(f);
        case "resumed": this.resuming[f.room] = false; return this.markRead(f.room);
        case "beat":
          this.renderOnline(f.online);
          if (f.state && f.state !== this.panel.dataset.state) this.onState(f);
          return this.catchUp(f.last_seq);
        case "presence": return this.renderOnline(f.online);
        case "typing": return this.onTyping(f);
        case "read": return this.onRead(f);
        case "standing": return this.renderStanding(f);
        case "proposal": return this.renderProposal(f);
        case "state": return this.onState(f);
        case "session": return null;
        case "error": return this.onError(f);
        default: return null;
      }
    }

    onHello(f) {
      this.attempt = 0;
      this.me = f.me;
      this.setConn(t("connected"));
      (f.reads || []).forEach((r) => this.onRead(r));
      // Ask for everything after what is shown; then send what is still pending.
      f.rooms.forEach((r) => this.resume(r.room));
      Object.keys(this.pending).forEach((cid) => {
        const p = this.pending[cid];
        this.sendFrame({ type: "send", room: p.room, body: p.body, client_id: cid });
      });
      this.renderOnline(f.online);
      Object.values(f.standings || {}).forEach((s) => this.renderStanding(s));
      this.renderProposal(f.proposal);
      clearInterval(this.beatTimer);
      const every = Math.max(2, f.heartbeat_seconds || 20) * 1000;
      this.beatTimer = setInterval(() => this.sendFrame({ type: "heartbeat" }), every);
    }

    resume(room) {
      if (this.resuming[room]) return;
      if (this.sendFrame({ type: "resume", room: room, after_seq: this.lastSeq[room] || 0 })) {
        this.resuming[room] = true;
      }
    }

    catchUp(lastSeqs) {
      Object.keys(lastSeqs || {}).forEach((room) => {
        if ((lastSeqs[room] || 0) > (this.lastSeq[room] || 0)) this.resume(room);
      });
    }

    onMessage(m) {
      const log = this.panel.querySelector('[data-log="' + CSS.escape(m.room) + '"]');
      if (!log) return;
      const last = this.lastSeq[m.room] || 0;
      if (m.seq <= last) return;                 // already shown
      if (m.seq > last + 1) { this.resume(m.room); return; }   // a gap: fetch in order
      this.lastSeq[m.room] = m.seq;
      const mine = this.me && m.author === this.me.user;
      if (mine && m.client_id && this.pending[m.client_id]) {
        delete this.pending[m.client_id];
        this.savePending();
        const node = this.panel.querySelector('[data-pending="' + CSS.escape(m.client_id) + '"]');
        if (node) node.remove();
      }
      const item = el("li", "msg" + (m.system ? " system" : "") + (mine ? " mine" : ""));
      item.dataset.seq = String(m.seq);
      const head = el("div", "msg-head");
      head.appendChild(el("strong", "who", mine ? t("you") : t(m.author_role)));
      const when = el("time", "muted when", " " + localTime(m.created_at));
      when.dateTime = m.created_at || "";
      head.appendChild(when);
      item.appendChild(head);
      item.appendChild(el("p", "body", m.body));
      if (m.file) {
        const link = el("a", "file", m.file.name);
        link.href = m.file.url;
        item.appendChild(link);
      }
      if (mine) item.appendChild(el("span", "receipt muted", ""));
      log.appendChild(item);
      item.scrollIntoView({ block: "nearest" });
      this.updateReceipts(m.room);
      this.markRead(m.room);
    }

    onAck(f) {
      if (f.client_id && this.pending[f.client_id]) {
        // The message itself arrives by broadcast or resume; the ack only stops retries.
        this.pending[f.client_id].acked = true;
        this.savePending();
      }
      if ((this.lastSeq[f.room] || 0) < f.seq) this.resume(f.room);
    }

    onError(f) {
      const box = this.panel.querySelector("[data-error]");
      if (box) box.textContent = f.message || f.code;
      if (f.client_id && this.pending[f.client_id]) {
        // Refused for good (too long, muted, too fast...): show it as not sent.
        const node = this.panel.querySelector('[data-pending="' + CSS.escape(f.client_id) + '"]');
        if (node) {
          node.classList.add("failed");
          const state = node.querySelector(".state");
          if (state) state.textContent = t("failed");
        }
        delete this.pending[f.client_id];
        this.savePending();
      }
    }

    onTyping(f) {
      const node = this.panel.querySelector('[data-typing="' + CSS.escape(f.room) + '"]');
      if (!node) return;
      node.textContent = t("typing", { who: t(f.role) });
      clearTimeout(this.typingTimers[f.room]);
      this.typingTimers[f.room] = setTimeout(() => { node.textContent = ""; }, TYPING_SHOW_MS);
    }

    onRead(r) {
      this.reads[r.room] = this.reads[r.room] || {};
      this.reads[r.room][r.user] = Math.max(this.reads[r.room][r.user] || 0, r.seq);
      this.updateReceipts(r.room);
    }

    updateReceipts(room) {
      if (!this.me) return;
      const reads = this.reads[room] || {};
      const others = Object.keys(reads).filter((u) => Number(u) !== this.me.user);
      const upTo = others.length ? Math.max.apply(null, others.map((u) => reads[u])) : 0;
      const log = this.panel.querySelector('[data-log="' + CSS.escape(room) + '"]');
      if (!log) return;
      log.querySelectorAll("li.mine").forEach((li) => {
        const r = li.querySelector(".receipt");
        if (r) r.textContent = Number(li.dataset.seq) <= upTo ? " ✓ " + t("read") : "";
      });
    }

    markRead(room) {
      const pane = this.panel.querySelector('[data-room="' + CSS.escape(room) + '"]');
      const seq = this.lastSeq[room] || 0;
      const badge = this.panel.querySelector('[data-unread="' + CSS.escape(room) + '"]');
      if (!pane || pane.hidden || document.hidden) {
        if (badge && seq > (this.readSent?.[room] || 0)) badge.textContent = "•";
        return;
      }
      if (badge) badge.textContent = "";
      this.readSent = this.readSent || {};
      if (seq > (this.readSent[room] || 0)) {
        clearTimeout(this.readTimer);
        this.readTimer = setTimeout(() => {
          if (this.sendFrame({ type: "read", room: room, seq: seq })) this.readSent[room] = seq;
        }, 300);
      }
    }

    renderOnline(online) {
      const node = this.panel.querySelector("[data-online]");
      if (!node || !online) return;
      const roles = online.filter((p) => !this.me || p.user !== this.me.user).map((p) => t(p.role));
      const sep = this.panel.dataset.labelSep || ": ";
      node.textContent = roles.length ? t("online") + sep + Array.from(new Set(roles)).join(t("list_sep")) : t("nobody");
      this.panel.dataset.online = online.map((p) => p.role).sort().join(" ");
    }

    renderStanding(s) {
      if (!s || !s.party) return;
      this.panel.dataset["muted" + (s.party === "consumer" ? "Consumer" : "Merchant")] = s.muted_until ? "1" : "";
      if (s.party !== this.panel.dataset.party) return;
      const box = this.panel.querySelector("[data-error]");
      if (s.in_caucus) {
        this.showRoom("caucus:" + s.party);
        if (box) box.textContent = t("in_caucus");
      } else if (s.muted_until) {
        if (box) box.textContent = t("muted_until", { time: localTime(s.muted_until) });
      } else if (box) {
        box.textContent = "";
      }
    }

    renderProposal(p) {
      const box = this.panel.querySelector("[data-proposal-box]");
      if (!box) return;
      box.textContent = "";
      if (!p || p.status !== "open") {
        if (p && p.status === "agreed") box.appendChild(el("p", "terms agreed", t("done")));
        return;
      }
      box.appendChild(el("h3", null, t("terms")));
      const amount = p.amount ? " ¥" + p.amount : "";
      box.appendChild(el("p", "terms", p.description + amount + " — " + t("within_days", { n: p.performance_days })));
      if (p.accepted_by && p.accepted_by.length) {
        box.appendChild(el("p", "muted", t("accepted_by", { who: p.accepted_by.map((x) => t(x)).join(t("list_sep")) })));
      }
      const party = this.panel.dataset.party;
      if (party && p.accepted_by.indexOf(party) < 0 && this.panel.dataset.state === "mediation") {
        const button = el("button", "accept-terms", t("accept"));
        button.type = "button";
        button.dataset.acceptTerms = String(p.proposal);
        box.appendChild(button);
      }
    }

    onState(f) {
      this.panel.dataset.state = f.state;
      const badge = this.panel.querySelector("[data-case-state]");
      if (badge) { badge.textContent = t("state:" + f.state); badge.className = "state state-" + f.state; }
      if (f.state !== "mediation") {
        this.panel.querySelectorAll(".chat-form, .file-form, .tools, .accept-terms").forEach((n) => { n.hidden = true; });
      }
    }

    // --- sending ----------------------------------------------------------------------
    send(room, body) {
      const text = body.trim();
      if (!text) return;
      const cid = newClientId();
      this.pending[cid] = { room: room, body: text };
      this.savePending();
      this.renderPendingOne(cid, this.pending[cid]);
      this.sendFrame({ type: "send", room: room, body: text, client_id: cid });
    }

    renderPending() {
      Object.keys(this.pending).forEach((cid) => this.renderPendingOne(cid, this.pending[cid]));
    }

    renderPendingOne(cid, p) {
      const log = this.panel.querySelector('[data-log="' + CSS.escape(p.room) + '"]');
      if (!log || this.panel.querySelector('[data-pending="' + CSS.escape(cid) + '"]')) return;
      const item = el("li", "msg mine pending");
      item.dataset.pending = cid;
      item.appendChild(el("p", "body", p.body));
      item.appendChild(el("span", "state muted", t("sending")));
      log.appendChild(item);
    }

    async post(path, body, isForm) {
      const headers = { "X-CSRFToken": csrfToken(), "Idempotency-Key": newClientId() };
      if (!isForm) headers["Content-Type"] = "application/json";
      const response = await fetch("/api/v1/cases/" + encodeURIComponent(this.ref) + "/mediation/" + path, {
        method: "POST",
        credentials: "same-origin",
        headers: headers,
        body: isForm ? body : JSON.stringify(body),
      });
      const data = await response.json().catch(() => ({}));
      const box = this.panel.querySelector("[data-error]");
      if (!response.ok) {
        if (box) box.textContent = (data.error && data.error.message) || response.statusText;
        return null;
      }
      if (box) box.textContent = "";
      return data;
    }

    showRoom(room) {
      this.panel.querySelectorAll("[data-room]").forEach((pane) => { pane.hidden = pane.dataset.room !== room; });
      this.panel.querySelectorAll("[data-room-tab]").forEach((tab) => {
        tab.classList.toggle("current", tab.dataset.roomTab === room);
      });
      this.markRead(room);
    }

    bind() {
      const panel = this.panel;
      panel.addEventListener("click", (event) => {
        const tab = event.target.closest("[data-room-tab]");
        if (tab) { this.showRoom(tab.dataset.roomTab); return; }
        const accept = event.target.closest("[data-accept-terms]");
        if (accept) {
          accept.disabled = true;
          this.post("proposals/" + accept.dataset.acceptTerms + "/accept/", {});
          return;
        }
        const closer = event.target.closest("[data-close-pane]");
        if (closer && panel.closest("[data-console-panes]")) {
          this.final = true;
          if (this.ws) this.ws.close(1000);
          panel.remove();
        }
      });
      panel.addEventListener("submit", (event) => {
        const form = event.target;
        event.preventDefault();
        if (form.dataset.send) {
          const area = form.querySelector("textarea");
          this.send(form.dataset.send, area.value);
          area.value = "";
          area.focus();
        } else if (form.dataset.file) {
          const input = form.querySelector("input[type=file]");
          if (!input.files.length) return;
          const data = new FormData();
          data.append("room", form.dataset.file);
          data.append("file", input.files[0]);
          data.append("client_id", newClientId());
          this.post("files/", data, true).then(() => { input.value = ""; });
        } else if (form.dataset.tool) {
          this.submitTool(form, event.submitter);
        }
      });
      panel.addEventListener("input", (event) => {
        const form = event.target.closest("[data-send]");
        if (form) this.sendFrame({ type: "typing", room: form.dataset.send });
      });
      panel.addEventListener("keydown", (event) => {
        const area = event.target;
        // Ctrl+Enter, or Cmd+Enter on a Mac, sends (the hint under the box says so); not
        // while an input method is still composing the text.
        if (area.tagName === "TEXTAREA" && area.form && area.form.dataset.send &&
            event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.isComposing) {
          event.preventDefault();
          area.form.requestSubmit();
        }
      });
      document.addEventListener("visibilitychange", () => {
        if (!document.hidden) {
          const current = panel.querySelector("[data-room]:not([hidden])");
          if (current) this.markRead(current.dataset.room);
        }
      });
    }

    submitTool(form, submitter) {
      const v = (name) => (form.elements[name] ? form.elements[name].value : "");
      const tool = form.dataset.tool;
      if (tool === "session") {
        const when = beijingInstant(v("starts_at"));
        if (isNaN(when)) return;
        this.post("sessions/", {
          starts_at: when.toISOString(),
          duration_minutes: Number(v("duration_minutes") || 60),
          note: v("note"),
        });
      } else if (tool === "party") {
        const act = (submitter && submitter.dataset.act) || "mute";
        this.post("parties/" + v("party") + "/" + act + "/", act === "mute" ? { minutes: Number(v("minutes") || 10) } : {});
      } else if (tool === "proposal") {
        this.post("proposals/", {
          kind: v("kind"),
          amount: v("amount") || null,
          description: v("description"),
          performance_days: Number(v("performance_days") || 7),
        }).then((ok) => { if (ok) form.reset(); });
      } else if (tool === "terminate") {
        this.post("terminate/", { ground: v("ground"), reason: v("reason") });
      }
    }
  }

  window.ODRRoom = {
    init(panel) {
      if (!panel.odrRoom) panel.odrRoom = new Room(panel);
      return panel.odrRoom;
    },
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-med-panel]").forEach((panel) => window.ODRRoom.init(panel));
  });
})();
