// The case pages, made smoother. Progressive enhancement only: every form works without it.
(() => {
  "use strict";

  // The complaint wizard keeps what has been typed on a step that is left without "Next"
  // (tab closed, app switched, phone locked): it goes to the draft's save address when the
  // page is hidden. Once per leaving, never per keystroke, so that an older save can never
  // arrive after a newer one; a submitted form is saved by its own POST.
  const dirty = new WeakSet();
  const save = (form) => {
    if (dirty.has(form) && navigator.sendBeacon) {
      if (navigator.sendBeacon(form.dataset.autosave, new FormData(form))) {
        dirty.delete(form);
      }
    }
  };
  const touch = (event) => {
    const form = event.target.form;
    if (form && form.dataset.autosave) {
      dirty.add(form);
    }
  };
  document.addEventListener("input", touch);
  document.addEventListener("change", touch);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      document.querySelectorAll("form[data-autosave]").forEach(save);
    }
  });

  // A file larger than the limit is refused here, before minutes of uploading on a phone.
  const showFileError = (input, text) => {
    const field = input.closest(".field") || input.parentElement;
    let note = field.querySelector("[data-client-error]");
    if (!text) {
      if (note) {
        note.remove();
      }
      field.classList.remove("has-error");
      input.removeAttribute("aria-invalid");
      return;
    }
    if (!note) {
      note = document.createElement("p");
      note.className = "error";
      note.setAttribute("role", "alert");
      note.dataset.clientError = "";
      field.appendChild(note);
    }
    note.textContent = text;
    field.classList.add("has-error");
    input.setAttribute("aria-invalid", "true");
  };
  const tooLarge = (input) => {
    const max = Number(input.dataset.maxBytes || 0);
    return Boolean(max && input.files && Array.from(input.files).some((f) => f.size > max));
  };
  document.addEventListener("change", (event) => {
    const input = event.target;
    if (input instanceof HTMLInputElement && input.type === "file" && input.dataset.maxBytes) {
      showFileError(input, tooLarge(input) ? input.dataset.tooLarge : "");
    }
  });

  // An act that cannot be undone (declining an offer, confirming performance, withdrawing)
  // is asked once more in a dialog that says what it does. Registered before the handler
  // below, so a form sent only after "yes" is counted once.
  const confirmed = new WeakSet();
  const ask = (form, submitter) => {
    const holder = document.getElementById("case-live") || document.body;
    const dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-text");
    const text = document.createElement("p");
    text.id = "confirm-dialog-text";
    text.textContent = form.dataset.confirm;
    const yes = document.createElement("button");
    yes.type = "button";
    yes.dataset.confirmYes = "";
    yes.textContent = holder.dataset.confirmYes || "OK";
    const no = document.createElement("button");
    no.type = "button";
    no.className = "secondary";
    no.dataset.confirmNo = "";
    no.textContent = holder.dataset.confirmNo || "Cancel";
    const row = document.createElement("p");
    row.className = "confirm-buttons";
    row.append(yes, no);
    dialog.append(text, row);
    document.body.appendChild(dialog);
    const close = () => {
      dialog.close();
      dialog.remove();
    };
    no.addEventListener("click", () => {
      close();
      (submitter || form.querySelector("button[type=submit]") || form).focus();
    });
    dialog.addEventListener("cancel", () => dialog.remove());
    yes.addEventListener("click", () => {
      close();
      confirmed.add(form);
      form.requestSubmit(submitter || undefined);
    });
    dialog.showModal();
    no.focus();
  };
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm || !window.HTMLDialogElement) {
      return;
    }
    if (confirmed.has(form)) {
      confirmed.delete(form);
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    if (!form.dataset.sending) {
      ask(form, event.submitter);
    }
  });

  // The next-step panel's button opens the action it names, where the page holds it.
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-opens]");
    const target = link && document.getElementById(link.dataset.opens);
    if (target instanceof HTMLDetailsElement) {
      target.open = true;
    }
  });

  // One submission per form: a second tap while the first is on its way does nothing.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.hasAttribute("hx-post") || form.method !== "post") {
      return;
    }
    for (const input of form.querySelectorAll("input[type=file][data-max-bytes]")) {
      if (tooLarge(input)) {
        event.preventDefault();
        showFileError(input, input.dataset.tooLarge);
        input.focus();
        return;
      }
    }
    if (form.dataset.sending) {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "true";
    dirty.delete(form);
  });
  // An upload shows its progress (files up to 20 MB take minutes on a slow phone line):
  // the form is sent by XMLHttpRequest, whose upload reports how much has gone, and the
  // page then goes where the server sent it, as the plain form would.
  const showProgress = (form) => {
    let box = form.querySelector("[data-upload-progress]");
    if (!box) {
      box = document.createElement("p");
      box.className = "upload-progress";
      box.dataset.uploadProgress = "";
      box.setAttribute("role", "status");
      const bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", form.dataset.uploading || "Uploading");
      const text = document.createElement("span");
      box.append(bar, " ", text);
      form.appendChild(box);
    }
    return box;
  };
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement) || !form.classList.contains("upload")) {
      return;
    }
    const input = form.querySelector("input[type=file]");
    if (!input || !input.files || !input.files.length || !window.FormData) {
      return;
    }
    event.preventDefault();
    const box = showProgress(form);
    const bar = box.querySelector("progress");
    const text = box.querySelector("span");
    const label = form.dataset.uploading || "Uploading";
    text.textContent = label + " 0 %";
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || location.href);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) {
        const percent = Math.floor((e.loaded / e.total) * 100);
        bar.value = percent;
        text.textContent = label + " " + percent + " %";
      }
    });
    xhr.addEventListener("load", () => {
      if (xhr.status < 400) {
        // Taken, and redirected as the plain form is: load where the server sent it, at
        // the form's section when that is this page.
        const url = new URL(xhr.responseURL || location.href, location.href);
        const section = form.closest("section[id]");
        if (url.pathname === location.pathname) {
          if (section && !url.hash) {
            url.hash = section.id;
          }
          history.replaceState(history.state, "", url.href);
          location.reload();
        } else {
          location.assign(url.href);
        }
        return;
      }
      // Refused: the server's page with the form and its error, in the reader's language.
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.addEventListener("error", () => {
      delete form.dataset.sending;
      text.textContent = form.dataset.uploadFailed || "The upload failed. Please try again.";
      box.classList.add("error");
    });
    xhr.send(new FormData(form));
  });

  // Back to a page from the browser's cache: its forms may be sent again.
  window.addEventListener("pageshow", () => {
    document.querySelectorAll("form[data-sending]").forEach((form) => {
      delete form.dataset.sending;
    });
  });
})();
