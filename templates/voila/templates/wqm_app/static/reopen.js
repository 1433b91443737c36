/* wqm_app: when the page's kernel goes (the report was left unused and shut down to free its place, or the
   server stopped), say so and offer to reopen the report. The server closes the kernel's websocket with code
   4001 when the kernel goes; any other close is checked against the kernel's own address (which answers this
   page while the kernel lives). No third-party request; the page does not change until the kernel has gone. */
(function () {
  "use strict";
  var ENDED = 4001, CHANNELS = /\/api\/kernels\/[0-9a-f-]{36}\/channels/;
  var Native = window.WebSocket, leaving = false, shown = false;
  if (!Native || !window.fetch) { return; }
  addEventListener("beforeunload", function () { leaving = true; });
  addEventListener("pagehide", function () { leaving = true; });
  addEventListener("pageshow", function () { leaving = false; });

  function show() {
    if (shown || leaving) { return; }
    shown = true;
    var what = document.querySelector(".wqm-app") ? "report" : "form";
    var box = document.createElement("div"), panel = document.createElement("div");
    var title = document.createElement("h2"), text = document.createElement("p"), reopen = document.createElement("a");
    box.className = "wqm-closed";
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-modal", "true");
    box.setAttribute("aria-labelledby", "wqm-closed-title");
    box.setAttribute("aria-describedby", "wqm-closed-text");
    panel.className = "wqm-closed-panel";
    title.id = "wqm-closed-title";
    title.textContent = "This " + what + " has closed";
    text.id = "wqm-closed-text";
    text.textContent = "It was left unused for a while (or the server restarted), so its place was freed for " +
      "someone else. " + (what === "report" ? "Reopen it to carry on: it opens live when a place is free, and " +
      "as a page at once if not." : "What you saved is kept. Reopen it to carry on.");
    reopen.className = "wqm-reopen";
    reopen.href = location.href;
    reopen.textContent = "Reopen the " + what;
    panel.appendChild(title);
    panel.appendChild(text);
    panel.appendChild(reopen);
    box.appendChild(panel);
    var rest = document.getElementById("rendered_cells");
    if (rest) { rest.setAttribute("aria-hidden", "true"); rest.inert = true; }
    document.body.appendChild(box);
    reopen.focus();
  }

  function check(url, tries) {
    var api = url.replace(/^ws/, "http").split("/channels")[0];
    fetch(api, {credentials: "same-origin", cache: "no-store"}).then(function (response) {
      if (response.status === 403 || response.status === 404) { show(); }
    }, function () {            /* no answer at all: the network or the server; ask again a few times */
      if (tries > 1) { setTimeout(function () { check(url, tries - 1); }, 5000); } else { show(); }
    });
  }

  function Watched(url, protocols) {
    var socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    var address = String(url);
    if (CHANNELS.test(address)) {
      socket.addEventListener("close", function (event) {
        if (leaving || shown) { return; }
        if (event.code === ENDED) { show(); } else { setTimeout(function () { check(address, 6); }, 1000); }
      });
    }
    return socket;
  }
  Watched.prototype = Native.prototype;
  ["CONNECTING", "OPEN", "CLOSING", "CLOSED"].forEach(function (name) { Watched[name] = Native[name]; });
  window.WebSocket = Watched;
})();
