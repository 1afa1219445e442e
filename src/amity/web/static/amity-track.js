/* Amity web tracking snippet: sends page views (and downloads, form submissions) to Amity.
 * <script src="https://crm.example.com/static/amity-track.js" data-key="pk_..." defer></script>
 * A first-party cookie (amity_vid, one year) is the visitor id. A link clicked in an Amity
 * email adds ?amity_id=...: it is passed on once so Amity knows who the visitor is. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !me.getAttribute("data-key")) return;
  var key = me.getAttribute("data-key");
  var endpoint = (me.getAttribute("data-endpoint") ||
                  new URL(me.src).origin + "/api/v1/events");

  function visitor() {
    var m = document.cookie.match(/(?:^|; )amity_vid=([A-Za-z0-9_-]{8,64})/);
    if (m) return m[1];
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    var id = Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
    document.cookie = "amity_vid=" + id + "; Max-Age=31536000; Path=/; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
    return id;
  }

  var identity = new URLSearchParams(location.search).get("amity_id");

  function send(type, url, extra) {
    var ev = {type: type, url: String(url).slice(0, 2000), visitor_id: visitor(),
              title: document.title.slice(0, 500),
              referrer: document.referrer ? document.referrer.slice(0, 2000) : null,
              occurred_at: new Date().toISOString()};
    if (identity) { ev.identity = identity; identity = null; }
    for (var k in extra) ev[k] = extra[k];
    var body = JSON.stringify({key: key, events: [ev]});
    // text/plain: no CORS preflight; the key travels in the body
    if (!(navigator.sendBeacon &&
          navigator.sendBeacon(endpoint, new Blob([body], {type: "text/plain"})))) {
      fetch(endpoint, {method: "POST", body: body, keepalive: true, mode: "cors",
                       headers: {"Content-Type": "text/plain"}}).catch(function () {});
    }
  }

  send("page_view", location.href, {});
  document.addEventListener("click", function (e) {
    var a = e.target && e.target.closest ? e.target.closest("a[href]") : null;
    if (a && /\.(pdf|zip|docx?|xlsx?|pptx?|csv)(\?|$)/i.test(a.pathname)) {
      send("download", a.href, {});
    }
  }, true);
  document.addEventListener("submit", function (e) {
    var form = e.target, field = form.querySelector("input[type=email]");
    var email = field && field.value ? field.value.slice(0, 320) : null;
    send("form_submit", form.action || location.href, email ? {email: email} : {});
  }, true);
})();
