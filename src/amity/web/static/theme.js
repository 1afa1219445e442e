// Applies the theme chosen in this browser (light/dark) before the page paints; without a
// choice the CSS follows prefers-color-scheme. Loaded without defer, so it must stay tiny.
(function () {
  "use strict";
  try {
    var t = window.localStorage.getItem("amity-theme");
    if (t === "light" || t === "dark") document.documentElement.setAttribute("data-theme", t);
  } catch (e) { /* storage disabled: follow the system */ }
})();
