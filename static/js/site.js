// Small site-wide behaviour: toasts fade out (those of the page and those htmx adds); HTMX
// error responses become a toast; swaps aimed at something the page does not show are
// dropped quietly. Uses chat.js; its words come from the JavaScript catalogue (gettext).
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#toasts .toast").forEach(chat.fadeLater);
    saveTimeZone();
  });

  // Logged in with no time zone saved, the page names where to send the browser's (once: the
  // next page has one). The profile can change it afterwards.
  function saveTimeZone() {
    var url = document.body.dataset.timeZoneUrl;
    var zone = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!url || !zone) return;
    delete document.body.dataset.timeZoneUrl;
    htmx.ajax("POST", url, { source: document.body, values: { time_zone: zone }, swap: "none" }).catch(function () {});
  }
  // A refused action's toast arrives out of band (rooms/chat.html#action-error).
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    if (event.detail.target.id !== "toasts") return;
    event.detail.target.querySelectorAll(".toast").forEach(chat.fadeLater);
  });

  // The page's height is what the window shows: above an on-screen keyboard too. Browsers
  // that shrink the layout for the keyboard (interactive-widget=resizes-content) need nothing;
  // for the others the visual viewport's height goes to --app-height (site.css), and the
  // newest message stays in view.
  if (window.visualViewport) {
    var fitViewport = function () {
      var root = document.documentElement;
      var covered = window.innerHeight - window.visualViewport.height > 1;
      if (covered) root.style.setProperty("--app-height", window.visualViewport.height + "px");
      else root.style.removeProperty("--app-height");
      if (covered && window.chat) {
        var list = chat.messageList();
        if (list && chat.nearBottom(list)) chat.showNewest();
      }
    };
    window.visualViewport.addEventListener("resize", fitViewport);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status === 429) chat.toast(gettext("Too many tries. Please wait and try again."), "error");
    else if (xhr.status >= 500) chat.toast(gettext("Something went wrong on our side. Please try again."), "error");
    else if (xhr.status === 404) chat.toast(gettext("Not found."), "error");
  });
  document.addEventListener("htmx:sendError", function () {
    chat.toast(gettext("Cannot reach the server. Check your connection."), "error");
  });

  // --- Out-of-band swaps for things this page does not show -------------------------------
  // A live frame names its targets (a room's open pane, its item in the room list, a message),
  // and every tab gets every frame of its person's rooms: on the friend list there is no room
  // pane, with room A open there is no message of room B. Such parts are dropped before htmx
  // swaps, which would log htmx:oobErrorNoTarget for each. The extension is on <body>: socket
  // frames and HTMX responses alike.

  function oobTargetShown(element, root) {
    var spec = element.getAttribute("hx-swap-oob");
    var colon = spec.indexOf(":");
    // As htmx reads it: "style:selector", or the element's own id for "true" or a bare style.
    var selector = spec !== "true" && colon > 0 ? spec.slice(colon + 1) : "#" + CSS.escape(element.id);
    try {
      return root.querySelector(selector) !== null;
    } catch (error) {
      return true; // not a plain selector: leave it to htmx
    }
  }

  // root: where htmx looks for the targets, the root of the element that asked (a request
  // from an element that a live frame has replaced meanwhile swaps nowhere).
  function dropUnshown(html, root) {
    if (typeof html !== "string" || html.indexOf("hx-swap-oob") < 0 || /<(html|body)[\s>]/i.test(html)) return html;
    var template = document.createElement("template");
    template.innerHTML = html;
    var dropped = false;
    root = root || document;
    template.content.querySelectorAll("[hx-swap-oob]").forEach(function (element) {
      if (!oobTargetShown(element, root)) {
        element.remove();
        dropped = true;
      }
    });
    return dropped ? template.innerHTML : html;
  }

  if (window.htmx) {
    htmx.defineExtension("drop-unshown", {
      transformResponse: function (text, xhr, elt) {
        return dropUnshown(text, elt && elt.getRootNode ? elt.getRootNode() : document);
      },
    });
  }
})();
