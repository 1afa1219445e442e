// The shell: global search suggestions (arrow keys + Enter), keyboard shortcuts, the theme
// toggle. Hand-written (about 150 lines) rather than a vendored shortcut library: the needs are
// a two-key sequence and "not while typing", which a library would not make shorter.
(function () {
  "use strict";

  // ---- global search: a combobox over the suggestions listbox ----------------------------
  var input = document.getElementById("global-q");
  var list = document.getElementById("global-suggest");

  function options() { return list ? Array.prototype.slice.call(list.querySelectorAll("[role=option]")) : []; }
  function setOpen(open) {
    if (!input) return;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    if (list) list.classList.toggle("open", open);
    if (!open) { input.removeAttribute("aria-activedescendant"); }
  }
  function activate(index) {
    var opts = options();
    opts.forEach(function (o, i) { o.setAttribute("aria-selected", i === index ? "true" : "false"); });
    if (index >= 0 && opts[index]) {
      input.setAttribute("aria-activedescendant", opts[index].id);
      opts[index].scrollIntoView({block: "nearest"});
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function current() {
    var opts = options();
    for (var i = 0; i < opts.length; i++) if (opts[i].getAttribute("aria-selected") === "true") return i;
    return -1;
  }
  if (input && list) {
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target !== list) return;
      setOpen(options().length > 0 && input.value.trim() !== "");
      activate(-1);
    });
    input.addEventListener("input", function () { if (!input.value.trim()) { list.innerHTML = ""; setOpen(false); } });
    input.addEventListener("keydown", function (event) {
      var opts = options(), i = current();
      if (event.key === "ArrowDown" && opts.length) {
        event.preventDefault(); setOpen(true); activate(i + 1 < opts.length ? i + 1 : 0);
      } else if (event.key === "ArrowUp" && opts.length) {
        event.preventDefault(); setOpen(true); activate(i > 0 ? i - 1 : opts.length - 1);
      } else if (event.key === "Enter" && i >= 0) {
        event.preventDefault(); window.location.assign(opts[i].getAttribute("data-url"));
      } else if (event.key === "Escape") {
        if (input.getAttribute("aria-expanded") === "true") { event.preventDefault(); setOpen(false); }
        else { input.blur(); }
      }
    });
    list.addEventListener("mousedown", function (event) { event.preventDefault(); });  // keep focus
    input.addEventListener("blur", function () { setOpen(false); });
    input.addEventListener("focus", function () { if (options().length && input.value.trim()) setOpen(true); });
  }

  // ---- keyboard shortcuts -----------------------------------------------------------------
  var GO = {c: "/contacts", o: "/companies", d: "/deals", t: "/tickets", a: "/agenda"};
  var NEW = [["/deals", "/deals/new"], ["/tickets", "/tickets/new"], ["/contacts", "/contacts/new"]];
  var pendingG = 0;

  function typing(el) {
    if (!el || !(el instanceof HTMLElement)) return false;
    if (el.isContentEditable) return true;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }
  function newUrl() {
    var path = window.location.pathname;
    for (var i = 0; i < NEW.length; i++) if (path.indexOf(NEW[i][0]) === 0) return NEW[i][1];
    return "/contacts/new";
  }
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    var help = document.getElementById("shortcuts-help");
    if (help && help.open) return;  // the dialog handles its own keys (Escape closes it)
    var key = event.key;
    if (pendingG && Date.now() - pendingG < 1500 && GO[key]) {
      pendingG = 0; event.preventDefault(); window.location.assign(GO[key]); return;
    }
    pendingG = 0;
    if (key === "/" && input) { event.preventDefault(); input.focus(); input.select(); }
    else if (key === "g") { pendingG = Date.now(); }
    else if (key === "n") { event.preventDefault(); window.location.assign(newUrl()); }
    else if (key === "?" && help && typeof help.showModal === "function") { event.preventDefault(); help.showModal(); }
  });

  // ---- forms that act on the list as shown: filters change it without a page load, and the
  // address bar holds its query (the server sends it as HX-Push-Url), so send that one.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("carries-query")) return;
    var field = form.querySelector("input[name=query]");
    if (field) field.value = window.location.search.replace(/^\?/, "");
  }, true);

  // ---- theme toggle: system -> light -> dark -> system ----------------------------------
  var toggle = document.getElementById("theme-toggle");
  var LABEL = {system: "system", light: "light", dark: "dark"};
  function stored() {
    try { var t = window.localStorage.getItem("amity-theme"); return t === "light" || t === "dark" ? t : "system"; }
    catch (e) { return "system"; }
  }
  function show(theme) {
    if (!toggle) return;
    toggle.setAttribute("aria-label", "Theme: " + LABEL[theme]);
    toggle.setAttribute("title", "Theme: " + LABEL[theme] + " (click to change)");
    toggle.setAttribute("data-theme-choice", theme);
  }
  function apply(theme) {
    try {
      if (theme === "system") window.localStorage.removeItem("amity-theme");
      else window.localStorage.setItem("amity-theme", theme);
    } catch (e) { /* not remembered, still applied to this page */ }
    if (theme === "system") document.documentElement.removeAttribute("data-theme");
    else document.documentElement.setAttribute("data-theme", theme);
    show(theme);
  }
  if (toggle) {
    show(stored());
    toggle.addEventListener("click", function () {
      var next = {system: "light", light: "dark", dark: "system"}[stored()];
      apply(next);
    });
  }
})();
