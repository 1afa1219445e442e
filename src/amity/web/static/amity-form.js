/* Amity web-to-lead form, rendered in your own page.
 *
 *   <div data-amity-form="FORM_KEY" data-amity-host="https://crm.example.com"></div>
 *   <script src="https://crm.example.com/static/amity-form.js" async></script>
 *
 * Reads the form's fields from {host}/f/{key}/definition and posts the answers as JSON to
 * {host}/f/{key} (your page's origin must be one of the form's site's allowed origins). The
 * visitor id of amity-track.js (cookie amity_vid) is sent along, so the visitor's past page
 * views join the contact. Everything is built with DOM calls: no HTML from the server. */
(function () {
  "use strict";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function visitor() {
    var m = document.cookie.match(/(?:^|; )amity_vid=([A-Za-z0-9_-]{8,64})/);
    return m ? m[1] : null;
  }

  function uid() {
    var a = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function field(f, prefix) {
    var wrap = el("div", {"class": "amity-field"});
    var id = prefix + f.name;
    var input;
    if (f.type === "textarea") {
      input = el("textarea", {name: f.name, id: id, rows: "5"});
    } else if (f.type === "select") {
      input = el("select", {name: f.name, id: id});
      input.appendChild(el("option", {value: ""}, "Choose…"));
      (f.options || []).forEach(function (o) { input.appendChild(el("option", {}, o)); });
    } else {
      input = el("input", {name: f.name, id: id, type: f.type || "text"});
      if (f.type === "checkbox") { input.value = "on"; }
    }
    if (f.required) { input.required = true; }
    var label = el("label", {"for": id}, f.label + (f.required ? " *" : ""));
    if (f.type === "checkbox") { wrap.appendChild(input); wrap.appendChild(label); }
    else { wrap.appendChild(label); wrap.appendChild(input); }
    wrap.appendChild(el("p", {"class": "amity-error", id: id + "-error", hidden: ""}));
    return wrap;
  }

  function mount(box) {
    var key = box.getAttribute("data-amity-form");
    var host = (box.getAttribute("data-amity-host") || "").replace(/\/$/, "");
    var url = host + "/f/" + encodeURIComponent(key);
    fetch(url + "/definition", {credentials: "omit"}).then(function (r) {
      if (!r.ok) { throw new Error("form " + r.status); }
      return r.json();
    }).then(function (def) {
      var prefix = "amity-" + key + "-";
      var form = el("form", {"class": "amity-form", novalidate: ""});
      if (def.title) { form.appendChild(el("h2", {}, def.title)); }
      if (def.description) { form.appendChild(el("p", {}, def.description)); }
      def.fields.forEach(function (f) { form.appendChild(field(f, prefix)); });
      def.consents.forEach(function (c) {
        form.appendChild(field({name: c.key, label: c.text, type: "checkbox", required: c.required}, prefix));
      });
      var trap = el("input", {name: def.honeypot, tabindex: "-1", autocomplete: "off", "aria-hidden": "true"});
      trap.style.cssText = "position:absolute;left:-10000px;width:1px;height:1px";
      form.appendChild(trap);
      var status = el("p", {"class": "amity-status", role: "status"});
      var button = el("button", {type: "submit"}, def.submit_label || "Send");
      form.appendChild(button);
      form.appendChild(status);
      var submissionId = uid();
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var body = {_ts: def.token, submission_id: submissionId, visitor_id: visitor(),
                    page_url: String(location.href).slice(0, 2000)};
        Array.prototype.forEach.call(form.elements, function (x) {
          if (!x.name) { return; }
          body[x.name] = x.type === "checkbox" ? (x.checked ? "on" : "") : x.value;
        });
        form.querySelectorAll(".amity-error").forEach(function (p) { p.hidden = true; p.textContent = ""; });
        button.disabled = true;
        fetch(url, {method: "POST", credentials: "omit", body: JSON.stringify(body),
                    headers: {"Content-Type": "application/json", "Accept": "application/json"}})
          .then(function (r) { return r.json().then(function (j) { return [r.status, j]; }); })
          .then(function (res) {
            button.disabled = false;
            if (res[0] === 200 || res[0] === 201) {
              if (res[1].redirect_url) { location.href = res[1].redirect_url; return; }
              form.replaceChildren(el("p", {"class": "amity-done", role: "status"}, res[1].message));
              return;
            }
            (res[1].errors || []).forEach(function (err) {
              var p = document.getElementById(prefix + err.field + "-error");
              if (p) { p.textContent = err.message; p.hidden = false; }
            });
            status.textContent = res[1].detail || "The form could not be sent.";
          })
          .catch(function () { button.disabled = false; status.textContent = "The form could not be sent; try again."; });
      });
      box.replaceChildren(form);
    }).catch(function () { box.textContent = ""; });
  }

  function start() {
    document.querySelectorAll("[data-amity-form]").forEach(mount);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
