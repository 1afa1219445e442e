// Ticket screens: show a refused change (412: someone else changed the ticket; 409/413 and the
// like) in place of the ticket header instead of dropping the answer, so the latest values and
// the message are seen and nothing typed is silently lost.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var target = event.detail.target;
    if (!target || target.id !== "ticket-head") return;
    if (status === 409 || status === 412 || status === 403) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
