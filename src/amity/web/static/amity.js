// Small behaviours the pages need; no inline scripts (the Content-Security-Policy forbids them).
(function () {
  "use strict";
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("note-form")) return;
    var error = document.getElementById("note-error");
    if (event.detail.successful && event.detail.xhr.status < 300) {
      form.reset();
      if (error) error.textContent = "";
      var count = document.querySelector("#timeline-h .count");
      if (count) {
        var n = (parseInt(count.textContent, 10) || 0) + 1;
        count.textContent = n + (n === 1 ? " note" : " notes");
      }
    }
  });
  // Ctrl/Cmd+Enter sends the note.
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && el instanceof HTMLTextAreaElement
        && el.form && el.form.classList.contains("note-form")) {
      event.preventDefault();
      el.form.requestSubmit();
    }
  });
})();
