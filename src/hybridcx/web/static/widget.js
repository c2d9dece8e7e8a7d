/* hybridcx chat widget. Put one tag on any page:
 *   <script src="https://YOUR-HYBRIDCX/widget.js" data-inbox="demo-webchat" defer></script>
 * For a signed-in customer, add data-email, data-name and data-identity-hash (the HMAC-SHA256
 * of the email with the inbox secret, computed on your server): the chat then knows them as
 * verified and can suggest, e.g., tracking their order in transit.
 * It adds a launcher button and, when opened, an iframe of /chat?embed=1 from the same server,
 * so the chat runs isolated from the host page (its styles and scripts cannot reach it). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__hybridcxWidget) return;
  window.__hybridcxWidget = true;
  var origin = new URL(script.src, location.href).origin;
  var inbox = script.getAttribute("data-inbox") || "";
  var title = script.getAttribute("data-title") || "Chat with us";
  var identity = "";
  ["email", "name", "identity-hash"].forEach(function (key) {
    var value = script.getAttribute("data-" + key);
    if (value) identity += "&" + key.replace("-", "_") + "=" + encodeURIComponent(value);
  });

  function mount() {
    var root = document.createElement("div");
    root.className = "hybridcx-widget";
    var style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = origin + "/web/static/widget.css";
    var launcher = document.createElement("button");
    launcher.type = "button";
    launcher.className = "hybridcx-launcher";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "hybridcx-frame");
    launcher.textContent = title;
    var frame = null;

    function open() {
      if (!frame) {
        frame = document.createElement("iframe");
        frame.id = "hybridcx-frame";
        frame.className = "hybridcx-frame";
        frame.title = title;
        frame.src =
          origin + "/chat?embed=1" + (inbox ? "&inbox=" + encodeURIComponent(inbox) : "") + identity;
        root.appendChild(frame);
      }
      frame.hidden = false;
      launcher.setAttribute("aria-expanded", "true");
      launcher.textContent = "Close chat";
      frame.focus();
    }

    function close() {
      if (frame) frame.hidden = true;
      launcher.setAttribute("aria-expanded", "false");
      launcher.textContent = title;
    }

    launcher.addEventListener("click", function () {
      if (launcher.getAttribute("aria-expanded") === "true") close();
      else open();
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && launcher.getAttribute("aria-expanded") === "true") {
        close();
        launcher.focus();
      }
    });
    window.addEventListener("message", function (e) {
      if (e.origin === origin && e.data && e.data.type === "hybridcx:close") {
        close();
        launcher.focus();
      }
    });
    root.appendChild(style);
    root.appendChild(launcher);
    document.body.appendChild(root);
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
