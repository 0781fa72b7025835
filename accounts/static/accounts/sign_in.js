// The sign-in code page: the "send a new code" button counts down to when a new code may
// be asked for. The server enforces the wait whatever the page does; this only says it,
// so that nobody asks too soon and loses sight of the code box.
(function () {
  "use strict";

  function countDown(button) {
    const seconds = parseInt(button.dataset.resendIn || "0", 10);
    if (!(seconds > 0)) return;
    const label = button.textContent;
    const until = Date.now() + seconds * 1000;
    button.disabled = true;
    function tick() {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) {
        button.textContent = label;
        button.disabled = false;
        return;
      }
      button.textContent = left > 90
        ? button.dataset.waitMinutes.replace("%(m)s", String(Math.ceil(left / 60)))
        : button.dataset.waitSeconds.replace("%(s)s", String(left));
      setTimeout(tick, 250);
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-resend-in]").forEach(countDown);
  });
})();
