// The pipeline board: drag and drop (SortableJS) and the "Move to…" select both post the move
// with the card's version. A refused move (412: someone changed the deal; 422: a reason is
// missing) puts the card back and says why. No inline script, no eval (see the CSP).
(function () {
  "use strict";

  function csrf() {
    var body = document.body.getAttribute("hx-headers");
    try { return JSON.parse(body)["X-CSRF-Token"] || ""; } catch (e) { return ""; }
  }

  function say(text, reload) {
    var box = document.getElementById("board-message");
    if (!box) { window.alert(text); return; }
    box.querySelector(".text").textContent = text;
    box.querySelector("[data-reload]").hidden = !reload;
    box.hidden = false;
    box.focus && box.focus();
  }

  function ask(dialogId, card) {
    // Resolves with the dialog's form values, or null when cancelled.
    return new Promise(function (resolve) {
      var dialog = document.getElementById(dialogId);
      if (!dialog || typeof dialog.showModal !== "function") { resolve({}); return; }
      var form = dialog.querySelector("form");
      form.reset();
      dialog.querySelector(".deal-name").textContent = card.dataset.name || "";
      dialog.querySelector(".dialog-error").textContent = "";
      dialog.addEventListener("close", function done() {
        dialog.removeEventListener("close", done);
        if (dialog.returnValue !== "ok") { resolve(null); return; }
        var values = {};
        new FormData(form).forEach(function (v, k) { values[k] = v; });
        resolve(values);
      });
      dialog.showModal();
    });
  }

  function post(card, stageId, position, extra) {
    var data = new URLSearchParams();
    data.set("stage_id", stageId);
    data.set("version", card.dataset.version);
    if (position !== null) data.set("position", String(position));
    Object.keys(extra || {}).forEach(function (k) { data.set(k, extra[k]); });
    return fetch("/deals/" + card.dataset.id + "/move", {
      method: "POST", credentials: "same-origin", body: data,
      headers: {"X-CSRF-Token": csrf(), "Accept": "application/json"}
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) {
        return {status: r.status, body: b};
      });
    });
  }

  function refresh() {
    var board = document.getElementById("board");
    if (!board) return Promise.resolve();
    return fetch(board.dataset.refresh, {credentials: "same-origin",
                                         headers: {"HX-Request": "true"}})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#board");
        if (fresh) { board.replaceWith(fresh); init(); }
      });
  }

  function putBack(evt) {
    var ref = evt.from.children[evt.oldIndex] || null;
    if (evt.to === evt.from && evt.newIndex < evt.oldIndex) ref = evt.from.children[evt.oldIndex + 1] || null;
    evt.from.insertBefore(evt.item, ref);
  }

  // Move ``card`` to stage ``stageId`` at ``position``; ``undo`` restores it on refusal.
  function move(card, stageId, kind, position, undo) {
    var question = Promise.resolve({});
    if (kind === "lost") question = ask("lost-dialog", card);
    else if (kind === "won") question = ask("won-dialog", card);
    return question.then(function (extra) {
      if (extra === null) { undo(); return; }
      if (extra.create_order !== "true") delete extra.create_order;
      return post(card, stageId, position, extra).then(function (res) {
        if (res.status === 200) {
          card.dataset.version = res.body.version;
          if (res.body.order_id) say("The deal is won and its order was created.", false);
          return refresh();
        }
        undo();
        if (res.status === 412) say(res.body.message || "Someone else changed this deal.", true);
        else say((res.body && res.body.message) || "The deal could not be moved.", false);
      });
    }).catch(function () { undo(); say("The deal could not be moved (no connection?).", true); });
  }

  function init() {
    var board = document.getElementById("board");
    if (!board || board.dataset.canEdit !== "true") return;
    if (window.Sortable) {
      board.querySelectorAll(".board-cards").forEach(function (list) {
        window.Sortable.create(list, {
          group: "deals", animation: 120, filter: "select, a, input, button", preventOnFilter: false,
          delayOnTouchOnly: true, delay: 200, ghostClass: "deal-ghost",
          onEnd: function (evt) {
            if (evt.to === evt.from && evt.newIndex === evt.oldIndex) return;
            var col = evt.to.closest(".board-col");
            var kind = evt.to === evt.from ? "open" : col.dataset.kind;
            move(evt.item, evt.to.dataset.stageId, kind, evt.newIndex, function () { putBack(evt); });
          }
        });
      });
    }
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit], input[data-autosubmit]")) {
      el.form.requestSubmit();
      return;
    }
    if (!(el.matches && el.matches("select.move-select"))) return;
    var card = el.closest(".deal-card");
    var option = el.options[el.selectedIndex];
    var original = el.options[0].value;
    if (el.value === original) return;
    move(card, el.value, option.dataset.kind, null, function () { el.value = original; });
  });

  document.addEventListener("click", function (event) {
    var t = event.target;
    if (!(t instanceof Element)) return;
    if (t.matches("#board-message [data-reload]")) window.location.reload();
    if (t.matches("#board-message [data-dismiss]")) document.getElementById("board-message").hidden = true;
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
