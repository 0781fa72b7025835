// The mediator's console: the list of cases, kept current over /ws/mediation/console/,
// and several case panels open at once (each its own room client, room.js).
(function () {
  "use strict";

  const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
  const T = (() => {
    const node = document.getElementById("med-i18n");
    return node ? JSON.parse(node.textContent) : {};
  })();

  // Each cell names its column (data-label), which a phone shows as a card's line.
  function columnLabels() {
    return Array.from(document.querySelectorAll(".console-cases thead th")).map((th) => th.textContent.trim());
  }

  function cell(label, text) {
    const td = document.createElement("td");
    if (label) td.dataset.label = label;
    td.textContent = text === null || text === undefined || text === "" ? "—" : String(text);
    return td;
  }

  // A moment as the page shows it: Beijing time, YYYY-MM-DD HH:MM, whatever the
  // browser's own time zone.
  function beijing(iso) {
    const parts = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date(iso)).forEach((p) => { parts[p.type] = p.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
  }

  function timeCell(label, datetime, text, note) {
    const td = cell(label, "");
    if (!text) return td;
    td.textContent = "";
    const value = document.createElement("span");
    value.className = "console-value";
    const time = document.createElement("time");
    time.dateTime = datetime;
    time.textContent = text;
    value.appendChild(time);
    if (note) {
      const extra = document.createElement("span");
      extra.className = "provisional";
      extra.textContent = " " + note;
      value.appendChild(extra);
    }
    td.appendChild(value);
    return td;
  }

  function renderRows(rows) {
    const body = document.querySelector("[data-console-rows]");
    if (!body) return;
    const table = body.closest("table");
    const labels = columnLabels();
    body.textContent = "";
    if (!rows.length && table) {
      const tr = document.createElement("tr");
      tr.className = "console-empty";
      const td = cell("", table.dataset.emptyLabel);
      td.colSpan = labels.length || 7;
      td.className = "empty";
      tr.appendChild(td);
      body.appendChild(tr);
    }
    rows.forEach((row) => {
      const tr = document.createElement("tr");
      tr.dataset.caseRow = row.reference;
      tr.dataset.state = row.state;
      const ref = cell(labels[0], "");
      ref.className = "console-ref";
      ref.textContent = "";
      const value = document.createElement("span");
      value.className = "console-value";
      const code = document.createElement("span");
      code.className = "console-ref-code";
      code.textContent = row.reference;
      const state = document.createElement("span");
      state.className = "state state-" + row.state;
      state.textContent = T["state:" + row.state] || "";
      value.append(code, " ", state);
      ref.appendChild(value);
      tr.appendChild(ref);
      tr.appendChild(cell(labels[1], row.merchant_name));
      const unread = cell(labels[2], row.unread_total);
      unread.dataset.unreadTotal = String(row.unread_total);
      tr.appendChild(unread);
      const provisional = row.deadline_provisional && table ? table.dataset.provisionalLabel : "";
      tr.appendChild(timeCell(labels[3], row.deadline_due_on, row.deadline_due_on, provisional));
      const online = cell(labels[4], row.online.map((r) => T[r] || r).join(T.list_sep || ", "));
      online.dataset.onlineRoles = row.online.join(" ");
      tr.appendChild(online);
      tr.appendChild(timeCell(labels[5], row.next_session, row.next_session ? beijing(row.next_session) : ""));
      const open = document.createElement("td");
      open.className = "console-open";
      const link = document.createElement("a");
      link.className = "button";
      link.href = "/mediation/cases/" + encodeURIComponent(row.reference) + "/";
      link.dataset.openCase = row.reference;
      link.textContent = T.open || "Open";
      open.appendChild(link);
      tr.appendChild(open);
      body.appendChild(tr);
    });
  }

  async function openCase(ref) {
    const panes = document.querySelector("[data-console-panes]");
    if (!panes) return;
    const existing = panes.querySelector('[data-med-panel][data-ref="' + CSS.escape(ref) + '"]');
    if (existing) { existing.scrollIntoView(); return; }
    const response = await fetch("/mediation/cases/" + encodeURIComponent(ref) + "/panel/", { credentials: "same-origin" });
    if (!response.ok) return;
    const html = await response.text();
    const doc = new DOMParser().parseFromString(html, "text/html");
    const panel = doc.querySelector("[data-med-panel]");
    if (!panel) return;
    const adopted = document.importNode(panel, true);
    panes.appendChild(adopted);
    window.ODRRoom.init(adopted);
  }

  let attempt = 0;
  let beat = null;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + "/ws/mediation/console/");
    const status = document.querySelector("[data-console-conn]");
    ws.onopen = () => {
      attempt = 0;
      if (status) status.textContent = T.connected || "";
      clearInterval(beat);
      beat = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('{"type":"heartbeat"}'), 20000);
    };
    ws.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "rows") renderRows(frame.rows);
    };
    ws.onclose = (event) => {
      clearInterval(beat);
      if ([4401, 4403].indexOf(event.code) >= 0) {
        if (status) status.textContent = T.closed || "";
        return;
      }
      const delay = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
      attempt += 1;
      if (status) status.textContent = (T.offline || "").replace("%(s)s", Math.ceil(delay / 1000));
      setTimeout(connect, delay);
    };
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-open-case]");
    if (!link) return;
    event.preventDefault();
    openCase(link.dataset.openCase);
  });

  document.addEventListener("DOMContentLoaded", connect);
})();
