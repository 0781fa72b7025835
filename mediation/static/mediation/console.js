// The mediator's console: the list of cases, kept current over /ws/mediation/console/,
// and several case panels open at once (each its own room client, room.js).
(function () {
  "use strict";

  const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
  const T = (() => {
    const node = document.getElementById("med-i18n");
    return node ? JSON.parse(node.textContent) : {};
  })();

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined || text === "" ? "—" : String(text);
    return td;
  }

  function renderRows(rows) {
    const body = document.querySelector("[data-console-rows]");
    if (!body) return;
    body.textContent = "";
    rows.forEach((row) => {
      const tr = document.createElement("tr");
      tr.dataset.caseRow = row.reference;
      tr.appendChild(cell(row.reference));
      tr.appendChild(cell(row.merchant_name));
      const unread = cell(row.unread_total);
      unread.dataset.unreadTotal = String(row.unread_total);
      tr.appendChild(unread);
      tr.appendChild(cell(row.deadline_due_on));
      const online = cell(row.online.map((r) => T[r] || r).join(", "));
      online.dataset.onlineRoles = row.online.join(" ");
      tr.appendChild(online);
      tr.appendChild(cell(row.next_session ? new Date(row.next_session).toLocaleString() : ""));
      const open = document.createElement("td");
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
