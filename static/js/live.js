// Live chat on htmx's ws extension, used as documented: the socket is on <body> (`ws-connect`
// in base.html), the message box's form sends with `ws-send`, and the extension reconnects.
// Every frame kind both ways is written down in realtime/PROTOCOL.md.
//
// htmx swaps the server's HTML frames (a new message, a changed one, a room added) out of
// band; this file adds what it cannot do alone:
// - control frames (JSON with a `type`: resync, reload, presence, typing, badge, friends,
//   seen, notice, error) are read in htmx:wsBeforeMessage and kept from htmx's swapping; the page
//   builds what they show;
// - the send frame is shaped in htmx:wsConfigSend (type, room, body, client_id): the client
//   id makes a resend safe; while the socket is down the text stays in the box and goes out,
//   once, on reconnect; a page whose socket never connected posts over HTTP instead;
// - on every (re)connect, and after a layer outage, ask for what the open room missed
//   ({"type": "resume"}), so nothing is lost and nothing shows twice (messages are keyed by
//   id); and fetch the current state of the shown messages that were edited or deleted
//   meanwhile (GET the room's changes URL);
// - reconnecting: after an abnormal close the extension retries by itself, waiting
//   htmx.config.wsReconnectDelay, set here to an exponential back-off with full jitter,
//   capped, so that thousands of tabs dropped at once do not come back in step; after any
//   other unexpected close this file asks the extension's socket wrapper to reconnect on the
//   same schedule (or, offline, as soon as the network is back); logged out, deactivated
//   or in too many tabs it stops and says why (close codes from #chat-config);
// - let a message replace itself (an edit, a delete) only with a newer state of it
//   (data-version), whatever order the replacements arrive in;
// - leave a window into the history (#messages[data-history]: a favorite, a search result)
//   as it is: new messages do not join it;
// - keep the reader's place: follow new messages at the bottom, else show a pill;
// - count unread messages in other rooms and move the busiest room to the top;
// - tell the server which messages were seen ({"type": "read"}): those shown in the open
//   room while the tab is visible, at most once a second; a hidden tab reads nothing until
//   it is shown again.
// The state of the socket is on <body data-socket="connecting|open|closed">.
(function () {
  "use strict";

  var page = document.body;
  if (!page.hasAttribute("ws-connect")) return;
  var me = page.dataset.userId;
  var CLOSE = chat.config.close;
  var TYPING_EVERY_MS = chat.config.limits.typing_every_seconds * 1000; // the server relays no more often
  var TYPING_SHOWN_MS = 5000; // "… is typing" stays this long after the last news of it
  var READ_EVERY_MS = 1000;
  // Reconnecting: a random wait below a ceiling that doubles with each try, from 1 s to 30 s.
  var RETRY_FIRST_MS = 1000;
  var RETRY_MOST_MS = 30000;
  var RETRY_OFFLINE_MS = 2000; // the browser says it is offline: trying costs the server nothing

  var socket = null; // the extension's socket wrapper, once connected
  var connected = false;
  var everConnected = false;
  var stopped = false; // closed for good: logged out, deactivated, too many tabs
  var pending = []; // messages sent but not yet confirmed: {room, body, client_id, cleared}
  var typingTimers = {};
  var lastTypingSent = 0;

  function sendFrame(frame) {
    if (!connected || !socket) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }
  function setStatus(text) {
    var notice = document.getElementById("live-notice");
    if (!notice) return;
    notice.textContent = text || "";
    notice.hidden = !text;
  }
  function setState(state) { page.dataset.socket = state; }

  // --- Connecting -------------------------------------------------------------------------

  function retryDelay(tries) {
    if (navigator.onLine === false) return RETRY_OFFLINE_MS;
    return Math.random() * Math.min(RETRY_MOST_MS, RETRY_FIRST_MS * Math.pow(2, tries));
  }
  // The extension asks for a delay only when it is about to retry by itself (an abnormal
  // close); the close event that follows then leaves the retry to it.
  var extensionRetries = false;
  htmx.config.wsReconnectDelay = function (tries) {
    extensionRetries = true;
    return retryDelay(tries);
  };

  var ownTries = 0;
  var waitingForNetwork = null; // the wrapper to reconnect when the browser is online again
  function reconnectLater(wrapper) {
    if (navigator.onLine === false) {
      waitingForNetwork = wrapper;
      return;
    }
    setTimeout(function () {
      if (!connected && !stopped) wrapper.reconnect();
    }, retryDelay(ownTries++));
  }
  window.addEventListener("online", function () {
    var wrapper = waitingForNetwork;
    waitingForNetwork = null;
    if (wrapper && !connected && !stopped) wrapper.reconnect();
  });

  page.addEventListener("htmx:wsConnecting", function () { setState("connecting"); });

  page.addEventListener("htmx:wsOpen", function (event) {
    socket = event.detail.socketWrapper;
    connected = everConnected = true;
    ownTries = 0;
    setState("open");
    setStatus("");
    resume();
    // A friendship that changed between the page's rendering and this socket's joining the
    // person's group (or while the socket was away) was published to no tab here: the list
    // that follows such changes asks for itself again.
    htmx.trigger(document.body, "friends-changed");
    sendPending();
  });

  page.addEventListener("htmx:wsClose", function (event) {
    var extensionRetrying = extensionRetries;
    extensionRetries = false;
    connected = false;
    setState("closed");
    var code = event.detail.event.code;
    if (code === CLOSE.unauthenticated || code === CLOSE.deactivated) {
      stop(gettext("You are logged out. Reload the page to log in again."));
    } else if (code === CLOSE.too_many) {
      stop(gettext("This site is open in too many tabs. Close some, then reload this one."));
    } else {
      // A frame over the server's limit closed the socket: what was sent is given back here,
      // not sent again on reconnect (it would close the next socket too).
      if (code === CLOSE.too_big) refused(gettext("That message is too big to send. Shorten it and send it again."), null);
      setStatus(gettext("Reconnecting… messages you send now go out when the connection is back."));
      if (!extensionRetrying) reconnectLater(event.detail.socketWrapper);
    }
  });

  function stop(text) {
    stopped = true;
    setStatus(text);
  }

  // --- Catching up ------------------------------------------------------------------------

  function resume() {
    var list = chat.messageList();
    var room = chat.openRoomId();
    if (!room) return;
    if (!list.hasAttribute("data-history")) {
      sendFrame({ type: "resume", room: Number(room), after: chat.newestMessageId() });
    }
    refreshChanged(list);
  }

  // The edits and deletes of the shown messages that this page may have missed.
  function refreshChanged(list) {
    var ids = chat.messageIds(list);
    var quiet = document.getElementById("catch-up");
    if (!ids.length || !list.dataset.changesUrl || !quiet) return;
    var url = list.dataset.changesUrl + "?from=" + Math.min.apply(null, ids) + "&to=" + Math.max.apply(null, ids);
    // Aimed at an element of its own: the answer only replaces messages out of band, and the
    // page keeps its place (a swap into #messages would scroll it to the newest).
    htmx.ajax("GET", url, { source: quiet, target: quiet, swap: "none" }).catch(function () {});
  }

  function sendFrameOf(item) {
    var frame = { type: "send", room: Number(item.room), body: item.body, client_id: item.client_id };
    if (item.reply_to) frame.reply_to = item.reply_to;
    return frame;
  }

  function sendPending() {
    pending.forEach(function (item) {
      sendFrame(sendFrameOf(item));
    });
  }

  // Another room was opened: fetch anything sent between its render and now.
  var shownRoom = null;
  function roomMaybeChanged() {
    var room = chat.openRoomId();
    if (room !== shownRoom) {
      shownRoom = room;
      resume();
    }
  }
  document.addEventListener("DOMContentLoaded", function () { shownRoom = chat.openRoomId(); });
  page.addEventListener("htmx:afterSettle", roomMaybeChanged);

  // --- Control frames from the server (JSON) ----------------------------------------------

  var control = {
    resync: function () { resume(); },
    reload: function (frame) {
      if (String(frame.room) === chat.openRoomId()) window.location.reload();
    },
    presence: function (frame) {
      document.querySelectorAll(".presence-" + Number(frame.user)).forEach(function (dot) {
        dot.classList.toggle("online", !!frame.online);
        dot.title = frame.online ? gettext("Online") : gettext("Offline");
        var words = dot.querySelector(".visually-hidden");
        if (words) words.textContent = frame.online ? gettext("online") : gettext("offline");
      });
      // A direct room's header: "online", or last seen just now.
      document.querySelectorAll(".last-seen[data-user-id='" + Number(frame.user) + "']").forEach(function (line) {
        line.textContent = frame.online ? gettext("online") : gettext("last seen just now");
      });
    },
    typing: function (frame) {
      var line = document.getElementById("typing-" + Number(frame.room));
      if (!line || String(frame.user) === me) return;
      line.textContent = interpolate(gettext("%(name)s is typing…"), { name: frame.name }, true);
      clearTimeout(typingTimers[line.id]);
      typingTimers[line.id] = setTimeout(function () {
        var current = document.getElementById(line.id);
        if (current) current.textContent = "";
      }, TYPING_SHOWN_MS);
    },
    badge: function (frame) {
      var badge = frame.badge === "requests" && document.getElementById("requests-badge");
      if (!badge) return;
      var count = Number(frame.count) || 0;
      badge.textContent = String(count);
      badge.classList.toggle("hidden", !count);
      badge.setAttribute("aria-label", interpolate(ngettext("%(count)s pending friend request", "%(count)s pending friend requests", count), { count: count }, true));
    },
    // A friend came or went: the friend list (#friend-rows) reloads itself on this event.
    friends: function () { htmx.trigger(document.body, "friends-changed"); },
    // Another member read up to a message: "Seen" moves (static/js/message_tools.js).
    seen: function (frame) { if (chat.seen) chat.seen(frame); },
    notice: function (frame) { setStatus(frame.text); },
    error: function (frame) { refused(frame.text, frame.room == null ? null : String(frame.room)); },
  };

  // An HTML frame from the socket is being swapped (htmx:wsBeforeMessage to wsAfterMessage, in
  // one go): its times were rendered in UTC, once per language, and are said again in the
  // reader's zone (chat.localizeTimes) before they go in.
  var swappingFrame = false;
  page.addEventListener("htmx:wsAfterMessage", function () { swappingFrame = false; });

  page.addEventListener("htmx:wsBeforeMessage", function (event) {
    var text = event.detail.message;
    if (typeof text === "string" && text.charAt(0) !== "{") swappingFrame = true;
    if (typeof text !== "string" || text.charAt(0) !== "{") return; // HTML: htmx swaps it
    event.preventDefault(); // nothing for htmx to swap
    var frame;
    try {
      frame = JSON.parse(text);
    } catch (error) {
      return;
    }
    if (Object.prototype.hasOwnProperty.call(control, frame.type)) control[frame.type](frame);
  });

  // --- HTML frames: what htmx swaps, and what follows ------------------------------------

  page.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    var fragment = event.detail.fragment;
    if (swappingFrame && fragment) chat.localizeTimes(fragment);
    if (target.id === "messages" && target.hasAttribute("data-history")) {
      event.detail.shouldSwap = false; // older messages on show: "Jump to the newest" gets the new ones
    } else if (target.id === "messages") {
      chat.dropShownMessages(fragment); // a resume, a repeat: keyed by id
      target.dataset.wasNearBottom = chat.nearBottom(target) ? "1" : "";
    } else if (target.classList && target.classList.contains("message")) {
      // A message replacing itself: never with an older state than the one shown.
      var incoming = fragment.firstElementChild;
      if (incoming && Number(incoming.dataset.version || 0) < Number(target.dataset.version || 0)) {
        event.detail.shouldSwap = false;
      } else if (incoming && target.querySelector(".htmx-request")) {
        // This page's own action on the message is on its way (a delete, an edit, a star):
        // replacing the message now would take the asking link away, and its answer would
        // then swap nowhere. The replacement waits for that answer.
        event.detail.shouldSwap = false;
        waitingReplacements[incoming.id] = incoming.cloneNode(true);
      }
    } else if (target.id === "room-items") {
      // A room this reader just joined: replace its old item rather than list it twice.
      Array.prototype.forEach.call(fragment.querySelectorAll("li[id^='room-item-']"), function (el) {
        var old = document.getElementById(el.id);
        if (old) old.remove();
      });
    } else if (target.classList && target.classList.contains("room-preview")) {
      // The preview carries who sent the message (copied before htmx swaps its text).
      var source = fragment.firstElementChild || fragment;
      if (source && source.dataset) {
        target.dataset.senderId = source.dataset.senderId || "";
        target.dataset.mentions = source.dataset.mentions || "";
        target.dataset.changed = source.dataset.live === "preview-changed" ? "1" : "";
      }
    }
  });

  // Replacements that waited for an action's answer: each goes in if still newer than what the
  // answer showed.
  var waitingReplacements = {};
  document.addEventListener("htmx:afterRequest", function () {
    Object.keys(waitingReplacements).forEach(function (id) {
      var current = document.getElementById(id);
      if (current && current.querySelector(".htmx-request")) return; // still on its way
      var incoming = waitingReplacements[id];
      delete waitingReplacements[id];
      if (current && Number(incoming.dataset.version || 0) > Number(current.dataset.version || 0)) {
        htmx.swap(current, incoming.outerHTML, { swapStyle: "outerHTML" });
      }
    });
  });

  page.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail.target;
    if (target.id === "messages") onMessagesAdded(target);
    else if (target.classList && target.classList.contains("room-preview")) onPreview(target);
  });

  function onMessagesAdded(list) {
    readSoon();
    var confirmed = [];
    Array.prototype.forEach.call(list.querySelectorAll(".message[data-client-id]"), function (el) {
      confirmed.push(el.dataset.clientId);
    });
    var sentHere = confirmMessages(confirmed);
    // Whoever just wrote is no longer typing.
    var typing = document.getElementById("typing-" + list.dataset.roomId);
    if (typing) typing.textContent = "";
    sortMessages(list);
    // Following the conversation, or just sent something from this tab: show the newest.
    if (list.dataset.wasNearBottom || sentHere) chat.showNewest();
    else {
      var pill = document.getElementById("new-messages");
      if (pill) pill.hidden = false;
    }
  }

  function sortMessages(list) {
    // Messages from several processes can arrive a little out of order: keep id order.
    var items = Array.prototype.slice.call(list.querySelectorAll(":scope > .message[data-message-id]"));
    for (var i = 1; i < items.length; i++) {
      if (Number(items[i].dataset.messageId) < Number(items[i - 1].dataset.messageId)) {
        items.sort(function (a, b) { return Number(a.dataset.messageId) - Number(b.dataset.messageId); });
        items.forEach(function (el) { list.appendChild(el); });
        return;
      }
    }
  }

  function onPreview(preview) {
    var item = preview.closest("li[id^='room-item-']");
    if (!item) return;
    if (preview.dataset.changed) { // the latest message was edited or deleted: nothing new
      preview.dataset.changed = "";
      return;
    }
    var roomId = item.id.replace("room-item-", "");
    var list = item.parentNode;
    if (list.firstElementChild !== item) list.insertBefore(item, list.firstElementChild);
    var senderId = preview.querySelector("[data-sender-id]");
    var sender = preview.dataset.senderId || (senderId && senderId.dataset.senderId);
    if (roomId === chat.openRoomId() || sender === me) return;
    var meta = item.querySelector(".room-meta");
    // A mention of the reader: the room's @ marker, and an event for whatever notifies (a
    // mention notifies even in a muted room).
    if ((" " + (preview.dataset.mentions || "") + " ").indexOf(" " + me + " ") >= 0) {
      if (meta && !meta.querySelector(".mention-marker")) {
        var marker = document.createElement("span");
        marker.className = "mention-marker";
        marker.title = gettext("You were mentioned");
        marker.setAttribute("aria-label", gettext("You were mentioned"));
        marker.textContent = "@";
        meta.insertBefore(marker, meta.querySelector(".badge.unread"));
      }
      page.dispatchEvent(new CustomEvent("chat:mentioned", { detail: { room: roomId } }));
    }
    var badge = item.querySelector(".badge.unread");
    if (!badge && meta) {
      badge = document.createElement("span");
      badge.className = item.querySelector(".muted-room") ? "badge unread quiet" : "badge unread"; // a muted room's count is grey
      badge.textContent = "0";
      meta.appendChild(badge);
    }
    if (badge) {
      badge.textContent = String(Number(badge.textContent) + 1);
      var unread = Number(badge.textContent);
      badge.setAttribute("aria-label", interpolate(ngettext("%(count)s unread message", "%(count)s unread messages", unread), { count: unread }, true));
    }
  }

  // --- Read marks -------------------------------------------------------------------------

  var readUpTo = {}; // room id -> the newest message id this page told the server it showed
  var readTimer = null;
  var lastReadAt = 0;
  function sendRead() {
    var list = chat.messageList();
    var room = chat.openRoomId();
    if (!room || list.hasAttribute("data-history") || document.visibilityState !== "visible") return;
    var newest = chat.newestMessageId();
    if (newest > (readUpTo[room] || 0) && sendFrame({ type: "read", room: Number(room), up_to: newest })) {
      readUpTo[room] = newest;
      lastReadAt = Date.now();
    }
  }
  function readSoon() {
    if (readTimer) return;
    readTimer = setTimeout(function () {
      readTimer = null;
      sendRead();
    }, Math.max(0, lastReadAt + READ_EVERY_MS - Date.now()));
  }
  document.addEventListener("visibilitychange", readSoon);

  // --- Sending ----------------------------------------------------------------------------

  // Forget the pending messages now stored; returns how many there were.
  function confirmMessages(clientIds) {
    if (!clientIds.length) return 0;
    var waiting = pending.length;
    var box = document.getElementById("message-body");
    pending = pending.filter(function (item) {
      if (clientIds.indexOf(item.client_id) < 0) return true;
      if (box && box.value.trim() === item.body.trim()) box.value = "";
      return false;
    });
    if (!pending.length) setSending(false);
    return waiting - pending.length;
  }

  function setSending(on) {
    var form = document.getElementById("send-form");
    if (form) form.classList.toggle("sending", on);
  }

  // The send form (ws-send) is submitted: make its frame, or keep it for later.
  page.addEventListener("htmx:wsConfigSend", function (event) {
    var form = event.target;
    if (form.id !== "send-form") return;
    var room = chat.openRoomId();
    var box = form.querySelector("textarea[name=body]");
    var body = box ? box.value : "";
    if (!room || !body.trim()) {
      event.preventDefault();
      return;
    }
    if (!everConnected) {
      // No socket on this page (yet): the form posts over HTTP, as it does without JavaScript.
      event.preventDefault();
      htmx.ajax("POST", form.action, { source: form, target: "#messages", swap: "beforeend" }).catch(function () {});
      return;
    }
    var idField = form.querySelector("input[name=client_id]");
    var replyField = form.querySelector("input[name=reply_to]");
    var item = { room: room, body: body, client_id: (idField && idField.value) || chat.uuid() };
    if (replyField && replyField.value) item.reply_to = Number(replyField.value);
    if (chat.cancelReply) chat.cancelReply(); // the reply goes with this message
    pending.push(item);
    if (idField) idField.value = chat.uuid(); // the next message gets a new id
    setSending(true);
    var error = document.getElementById("send-error");
    if (error) error.textContent = "";
    if (!connected) {
      // Kept here (not in the extension's queue): every pending message goes out on reconnect.
      event.preventDefault();
      setStatus(gettext("Not connected: your message stays in the box and is sent when the connection is back."));
      return;
    }
    event.detail.messageBody = JSON.stringify(sendFrameOf(item));
    // Online, the box empties at once; a refusal puts the text back.
    box.value = "";
    item.cleared = true;
  });

  // A refused frame (too fast, too long…): shown under the message box of its room, and the
  // refused text given back so nothing typed is lost.
  function refused(text, room) {
    var here = room === null || room === chat.openRoomId();
    var line = document.getElementById("send-error");
    if (here && line) line.textContent = text;
    else chat.toast(text, "error");
    var giveBack = pending.filter(function (item) { return item.cleared && (room === null || item.room === room); });
    pending = pending.filter(function (item) { return giveBack.indexOf(item) < 0; });
    var last = giveBack[giveBack.length - 1];
    var box = document.getElementById("message-body");
    if (last && box && !box.value && last.room === chat.openRoomId()) {
      box.value = last.body;
      if (last.reply_to && chat.setReply) chat.setReply(last.reply_to);
    }
    if (!pending.length) setSending(false);
  }

  // Typing: tell the room at most as often as the server relays it, while the box changes.
  document.addEventListener("input", function (event) {
    if (event.target.id !== "message-body") return;
    var now = Date.now();
    var room = chat.openRoomId();
    if (room && now - lastTypingSent > TYPING_EVERY_MS && sendFrame({ type: "typing", room: Number(room) })) {
      lastTypingSent = now;
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.id === "new-messages") chat.showNewest();
  });

  var watched = null;
  function watchScroll() {
    var list = chat.messageList();
    if (!list || list === watched) return;
    watched = list;
    list.addEventListener("scroll", function () {
      if (chat.nearBottom(list)) {
        var pill = document.getElementById("new-messages");
        if (pill) pill.hidden = true;
      }
    });
  }
  document.addEventListener("DOMContentLoaded", watchScroll);
  page.addEventListener("htmx:afterSettle", watchScroll);
})();
