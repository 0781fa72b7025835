// The case page, live: one WebSocket to the case (/ws/cases/{ref}/, the socket the
// mediation room uses). Whenever the server says the case changed (an offer, a message, a
// document, a deadline, the state), the page fetches itself and replaces the parts marked
// data-live that differ. A part the reader is working in (a field typed into or focused, a
// form on its way) is left alone and a notice offers the latest version instead, so nothing
// typed is ever lost. Without JavaScript or WebSocket the page is the same, by reload.
(() => {
  "use strict";

  const root = document.getElementById("case-live");
  if (!root || !root.hasAttribute("data-live-socket") || !("WebSocket" in window)) {
    return;
  }
  const ref = root.dataset.ref;
  const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000, 30000];
  const FINAL_CODES = new Set([4401, 4403, 4404, 4410]);
  let attempt = 0;
  let timer = null;
  let fetching = false;
  let again = false;
  let held = false;
  let beat = null;
  let stopped = false;

  // --- what the reader is working in ------------------------------------------------------

  const changed = (field) => {
    if (field.type === "hidden" || field.type === "submit" || field.type === "button") {
      return false;
    }
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    if (field.tagName === "SELECT") {
      const options = Array.from(field.options);
      if (!field.multiple && !options.some((o) => o.defaultSelected)) {
        return field.selectedIndex > 0; // none marked: the first is the untouched choice
      }
      return options.some((o) => o.selected !== o.defaultSelected);
    }
    if (field.type === "file") {
      return Boolean(field.files && field.files.length);
    }
    return field.value !== field.defaultValue;
  };
  // Busy: something typed or chosen, a form on its way, a question open; for a single part
  // also the field the reader is in. A whole new page (the state changed) does not wait for
  // an untouched field that merely has the focus: the focus moves to the same field anew.
  const busy = (part, focusCounts = true) => {
    const active = document.activeElement;
    if (focusCounts && active && part.contains(active) && active.matches("input, textarea, select")) {
      return true;
    }
    if (part.querySelector("form[data-sending], dialog[open]")) {
      return true;
    }
    return Array.from(part.querySelectorAll("input, textarea, select")).some(changed);
  };

  // Two versions of a part are the same if they differ only in what every render makes
  // anew (the CSRF token's mask, a message's fresh client id).
  const normal = (part) => {
    const copy = part.cloneNode(true);
    copy.querySelectorAll("input[name=csrfmiddlewaretoken], input[name=client_id]").forEach((i) => {
      i.removeAttribute("value");
    });
    return copy.innerHTML;
  };

  // Disclosures the reader opened stay open in the new version.
  const detailsKey = (d) => {
    const holder = d.closest("[data-offer]");
    return [d.id, holder ? holder.dataset.offer : "", d.className, d.dataset.transition || ""].join("|");
  };
  const keepOpen = (old, fresh) => {
    const open = new Set(Array.from(old.querySelectorAll("details[open]")).map(detailsKey));
    const shut = new Set(Array.from(old.querySelectorAll("details:not([open])")).map(detailsKey));
    fresh.querySelectorAll("details").forEach((d) => {
      const key = detailsKey(d);
      if (open.has(key)) {
        d.open = true;
      } else if (shut.has(key)) {
        d.open = false;
      }
    });
  };

  // Where the focus was, by the field's form and name, to put it back after a new version.
  const focusKey = (el) => {
    if (!el || !root.contains(el) || !el.matches("input, textarea, select, button")) {
      return null;
    }
    return { form: el.form ? el.form.id || el.form.getAttribute("action") : "", name: el.name, id: el.id };
  };
  const refocus = (key) => {
    if (!key) {
      return;
    }
    let el = key.id ? document.getElementById(key.id) : null;
    if (!el && key.name) {
      el = Array.from(root.querySelectorAll(`[name="${CSS.escape(key.name)}"]`)).find(
        (f) => f.form && (f.form.id || f.form.getAttribute("action")) === key.form,
      );
    }
    if (el && root.contains(el)) {
      el.focus({ preventScroll: true });
    }
  };

  const activate = (node) => {
    if (window.htmx) {
      window.htmx.process(node);
    }
  };

  // --- putting the new version in -----------------------------------------------------------

  // The live parts of a version: marked data-live, with an id, not inside another one.
  const partsOf = (holder) =>
    Array.from(holder.querySelectorAll("[data-live][id]")).filter(
      (p) => !p.parentElement.closest("[data-live]"),
    );

  const apply = (html) => {
    const doc = new DOMParser().parseFromString(html, "text/html");
    const fresh = doc.getElementById("case-live");
    if (!fresh) {
      return;
    }
    let kept = false;
    const parts = partsOf(fresh);
    const olds = partsOf(root);
    const sameShape = parts.map((p) => p.id).join(" ") === olds.map((p) => p.id).join(" ");
    if (!sameShape) {
      // A part came or went (a section opens or closes with the state): the whole page
      // changes, unless the reader is working in it.
      if (busy(root, false)) {
        kept = true;
      } else {
        const focused = focusKey(document.activeElement);
        const node = document.importNode(fresh, true);
        keepOpen(root, node);
        root.replaceChildren(...Array.from(node.childNodes));
        activate(root);
        refocus(focused);
      }
    } else {
      parts.forEach((part) => {
        const old = document.getElementById(part.id);
        if (!old || normal(old) === normal(part)) {
          return;
        }
        if (busy(old)) {
          kept = true;
          return;
        }
        const node = document.importNode(part, true);
        keepOpen(old, node);
        old.replaceWith(node);
        activate(node);
      });
    }
    root.dataset.state = fresh.dataset.state || root.dataset.state;
    document.title = doc.title || document.title;
    held = kept;
    const shown = document.getElementById("live-notice");
    if (shown) {
      shown.hidden = !kept;
    }
  };

  const refresh = async () => {
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    try {
      const response = await fetch(location.pathname + location.search, {
        credentials: "same-origin",
        headers: { "X-Requested-With": "case-live" },
      });
      const url = new URL(response.url, location.href);
      if (response.ok && url.pathname === location.pathname) {
        apply(await response.text());
      } else if (response.status === 403 || response.status === 404 || url.pathname !== location.pathname) {
        stop(); // signed out, or no longer allowed: the next reload shows why
      }
    } catch (e) {
      // offline for a moment: the next change or reconnect fetches again
    } finally {
      fetching = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };

  const schedule = () => {
    if (timer) {
      clearTimeout(timer);
    }
    timer = setTimeout(() => {
      timer = null;
      refresh();
    }, 150);
  };

  // A part held back because the reader was in it: try again once they leave it.
  document.addEventListener("focusout", () => {
    if (held) {
      setTimeout(() => {
        if (held && !fetching) {
          schedule();
        }
      }, 500);
    }
  });
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-live-reload]")) {
      location.reload();
    }
  });

  // --- the socket ----------------------------------------------------------------------------

  const stop = () => {
    stopped = true;
    if (beat) {
      clearInterval(beat);
      beat = null;
    }
  };

  const connect = () => {
    if (stopped) {
      return;
    }
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + "/ws/cases/" + encodeURIComponent(ref) + "/");
    ws.onmessage = (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (!frame || typeof frame.type !== "string") {
        return;
      }
      if (frame.type === "hello") {
        const reconnected = attempt > 0;
        attempt = 0;
        const every = Math.max(5, Number(frame.heartbeat_seconds) || 20) * 1000;
        if (beat) {
          clearInterval(beat);
        }
        beat = setInterval(() => {
          if (ws.readyState === WebSocket.OPEN) {
            ws.send('{"type":"heartbeat"}');
          }
        }, every);
        if (reconnected || (frame.state && frame.state !== root.dataset.state)) {
          schedule(); // what changed while the socket was away
        }
      } else if (frame.type === "changed" || frame.type === "state") {
        schedule();
      } else if (frame.type === "message" && frame.room === "negotiation") {
        schedule();
      } else if (frame.type === "beat" && frame.state && frame.state !== root.dataset.state) {
        schedule();
      }
    };
    ws.onclose = (event) => {
      if (beat) {
        clearInterval(beat);
        beat = null;
      }
      if (FINAL_CODES.has(event.code)) {
        // The case closed, or access ended: show the page as it now is, once.
        stop();
        schedule();
        return;
      }
      const wait = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
      attempt += 1;
      setTimeout(connect, wait);
    };
  };
  connect();
})();
