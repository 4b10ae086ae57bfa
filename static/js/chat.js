// What the site's scripts share, in one copy (base.html loads this before site.js, rooms.js
// and live.js, which use it as `chat`):
// - `chat.config`: the page's limits and the socket's close codes, written by base.html from
//   the settings (#chat-config), so no script restates them;
// - ids (`chat.uuid`), the open room's message list and its place, the "keyed by id" rule;
// - toasts.
(function () {
  "use strict";

  var source = document.getElementById("chat-config");
  var config = source ? JSON.parse(source.textContent) : { limits: {}, close: {} };

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  }

  // --- The open room's messages (#messages: data-room-id, one .message[data-message-id] each)

  function messageList() { return document.getElementById("messages"); }

  function openRoomId() {
    var list = messageList();
    return list ? list.dataset.roomId : null;
  }

  function messageIds(list) {
    if (!list) return [];
    return Array.prototype.map.call(list.querySelectorAll(":scope > .message[data-message-id]"),
      function (el) { return Number(el.dataset.messageId); });
  }

  function newestMessageId() {
    var ids = messageIds(messageList());
    return ids.length ? Math.max.apply(null, ids) : 0;
  }

  function nearBottom(list) { return list.scrollHeight - list.scrollTop - list.clientHeight < 60; }

  // Scroll to the newest message; the "New messages" pill has nothing left to point at.
  function showNewest() {
    var list = messageList();
    if (list) list.scrollTop = list.scrollHeight;
    var pill = document.getElementById("new-messages");
    if (pill) pill.hidden = true;
  }

  // Keyed by id: take out of `root` (what is about to be swapped in) every message the page
  // already shows, so a message never shows twice (the socket and an HTTP answer, a resume).
  function dropShownMessages(root) {
    Array.prototype.forEach.call(root.querySelectorAll(".message[data-message-id]"), function (el) {
      if (document.getElementById(el.id)) el.remove();
    });
  }

  // --- Toasts (#toasts): each fades after a few seconds ---------------------------------------

  function fadeLater(toast) {
    if (toast.dataset.fading) return;
    toast.dataset.fading = "1";
    setTimeout(function () { toast.classList.add("fade"); }, 4000);
    setTimeout(function () { toast.remove(); }, 4600);
  }

  function toast(text, kind) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var item = document.createElement("div");
    item.className = "toast toast-" + (kind || "info");
    item.setAttribute("role", kind === "error" ? "alert" : "status");
    item.textContent = text;
    box.appendChild(item);
    fadeLater(item);
  }

  window.chat = {
    config: config,
    uuid: uuid,
    messageList: messageList,
    openRoomId: openRoomId,
    messageIds: messageIds,
    newestMessageId: newestMessageId,
    nearBottom: nearBottom,
    showNewest: showNewest,
    dropShownMessages: dropShownMessages,
    fadeLater: fadeLater,
    toast: toast,
  };
})();
