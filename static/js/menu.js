// The site menu on a phone (templates/base.html): the menu button shows and hides the
// navigation, the account and the display settings, and says so (aria-expanded); Escape
// closes it and gives the focus back to the button. Without JavaScript the menu is simply
// shown and the button is not (static/css/app.css, "scripting: none"). From 960 px wide
// the menu is always shown in the header's line and the button is hidden.
(() => {
  const button = document.getElementById("menu-button");
  const menu = document.getElementById("site-menu");
  if (!button || !menu) {
    return;
  }
  const isOpen = () => button.getAttribute("aria-expanded") === "true";
  const setOpen = (open) => {
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("is-open", open);
  };
  button.addEventListener("click", () => setOpen(!isOpen()));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && isOpen()) {
      setOpen(false);
      button.focus();
    }
  });
})();
