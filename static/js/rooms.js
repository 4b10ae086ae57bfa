// The chat page: keep the newest message in view (or the one the address names, for a
// favorite or a search result), keep the reader's place when older messages load above,
// send with Enter (Shift+Enter for a new line), and empty the box once a message is stored.
// Also: the emoji palette, editing in place, and sending pictures and files (a button or
// drag and drop, checked for size before anything is sent, one after another, with
// progress): htmx posts each (`hx-encoding` on #upload-form), and its progress events move
// the bar. Uses chat.js; the socket's side is live.js.
(function () {
  "use strict";

  var messageList = chat.messageList;
  var showNewest = chat.showNewest;

  // #message-<id> in the address: show that message, marked, rather than the newest.
  function showLinkedMessage() {
    var match = /^#message-(\d+)$/.exec(window.location.hash);
    var message = match && document.getElementById("message-" + match[1]);
    if (!message) return false;
    message.scrollIntoView({ block: "center" });
    message.classList.add("linked");
    return true;
  }

  var distanceFromBottom = null;

  document.addEventListener("DOMContentLoaded", function () {
    if (!showLinkedMessage()) showNewest();
    closeExpiredEdits();
    var submit = document.querySelector("#upload-form .upload-submit");
    if (submit) submit.hidden = true; // files go out as soon as they are chosen
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var list = messageList();
    if (list && event.detail.target.matches(".load-older")) {
      distanceFromBottom = list.scrollHeight - list.scrollTop;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    closeExpiredEdits();
    var submit = document.querySelector("#upload-form .upload-submit");
    if (submit) submit.hidden = true;
    var list = messageList();
    if (!list) return;
    if (distanceFromBottom !== null) {
      list.scrollTop = list.scrollHeight - distanceFromBottom;
      distanceFromBottom = null;
    } else {
      var target = event.detail.target || event.target;
      if (target.id === "room-pane" || target.id === "messages") showNewest();
    }
  });

  document.addEventListener("keydown", function (event) {
    var box = event.target;
    var editing = box.closest && box.closest(".edit-form");
    if (editing && event.key === "Escape") {
      var cancel = editing.querySelector(".edit-cancel");
      if (cancel) cancel.click();
      return;
    }
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    if (box.id !== "message-body" && !(editing && box.tagName === "TEXTAREA")) return;
    event.preventDefault();
    box.form.requestSubmit();
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form.id === "send-form" && event.detail.xhr.status < 300) {
      form.querySelector("textarea").value = "";
    }
  });

  // --- Emoji: insert at the cursor of the message box ---------------------------------------

  // The palette closes after a pick, on Escape, on a click outside it and when a message goes.
  function closePalettes(except) {
    document.querySelectorAll(".emoji-picker[open]").forEach(function (palette) {
      if (palette !== except) palette.open = false;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-emoji]");
    if (!button) {
      closePalettes(event.target.closest && event.target.closest(".emoji-picker"));
      return;
    }
    closePalettes();
    var box = document.getElementById("message-body");
    if (!box) return;
    box.setRangeText(button.dataset.emoji, box.selectionStart, box.selectionEnd, "end");
    box.focus();
    box.dispatchEvent(new Event("input", { bubbles: true })); // "… is typing"
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector(".emoji-picker[open]");
    if (!open) return;
    var inside = open.contains(document.activeElement);
    closePalettes();
    if (inside) open.querySelector("summary").focus(); // focus stays where the palette was
  });

  // Capture: before the send form's own handler (htmx's ws-send) takes the submit.
  document.addEventListener("submit", function () { closePalettes(); }, true);

  // --- Editing in place ---------------------------------------------------------------------

  // Own messages can be edited for a while (data-edit-until, from the settings): the Edit link
  // goes once that time is up (the server refuses later edits whatever the page shows).
  function closeExpiredEdits() {
    var now = Date.now();
    document.querySelectorAll(".message[data-edit-until]:not(.edit-closed)").forEach(function (message) {
      if (Date.parse(message.dataset.editUntil) <= now) message.classList.add("edit-closed");
    });
  }
  setInterval(closeExpiredEdits, 15000);
  document.addEventListener("htmx:oobAfterSwap", closeExpiredEdits);

  // An edit form just arrived: its text is ready to change.
  document.addEventListener("htmx:afterSwap", function () {
    var box = document.querySelector(".edit-form textarea:not([data-focused])");
    if (!box) return;
    box.dataset.focused = "1";
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
    box.form.scrollIntoView({ block: "nearest" });
  });


  // --- Answers swapped into the message list ------------------------------------------------

  // A message posted over HTTP (a file, or a text before the socket ever connected) comes
  // back as the answer; the socket may have brought it already, and a message is never
  // shown twice.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "messages" || typeof event.detail.serverResponse !== "string") return;
    var template = document.createElement("template");
    template.innerHTML = event.detail.serverResponse;
    var before = template.content.querySelectorAll(".message[data-message-id]").length;
    chat.dropShownMessages(template.content);
    if (template.content.querySelectorAll(".message[data-message-id]").length !== before) {
      event.detail.serverResponse = template.innerHTML;
    }
  });

  // --- A message's actions on a phone: a menu opened by a tap or a long press -------------

  var PHONE = window.matchMedia("(max-width: 700px)");

  function closeMenus(except) {
    document.querySelectorAll(".message.menu-open").forEach(function (message) {
      if (message !== except) message.classList.remove("menu-open");
    });
  }

  function menuMessage(event) {
    var bubble = event.target.closest && event.target.closest(".message .bubble");
    if (!bubble || event.target.closest("a, button, textarea, input, .edit-form")) return null;
    var message = bubble.closest(".message");
    return message.querySelector(".message-actions") ? message : null;
  }

  document.addEventListener("click", function (event) {
    var message = PHONE.matches ? menuMessage(event) : null;
    if (event.target.closest && event.target.closest(".message-actions")) return; // an action: htmx takes it
    closeMenus(message);
    if (message) message.classList.toggle("menu-open");
  });
  // A long press (the browser's context menu on a touch screen) opens the menu too.
  document.addEventListener("contextmenu", function (event) {
    var message = PHONE.matches ? menuMessage(event) : null;
    if (!message) return;
    event.preventDefault();
    closeMenus(message);
    message.classList.add("menu-open");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeMenus();
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.closest && event.detail.elt.closest(".message-actions")) closeMenus();
  });

  // --- Pictures and files -------------------------------------------------------------------

  function sizeText(bytes) {
    if (bytes < 1024) return interpolate(ngettext("%(size)s byte", "%(size)s bytes", bytes), { size: bytes }, true);
    if (bytes < 1024 * 1024) return interpolate(gettext("%(size)s KB"), { size: (bytes / 1024).toFixed(1) }, true);
    return interpolate(gettext("%(size)s MB"), { size: (bytes / (1024 * 1024)).toFixed(1) }, true);
  }

  function showStatus(text, fraction) {
    var status = document.getElementById("upload-status");
    if (!status) return;
    status.hidden = !text;
    status.querySelector("span").textContent = text || "";
    status.querySelector("progress").value = Math.round((fraction || 0) * 100);
  }

  function showError(text) {
    var error = document.getElementById("send-error");
    if (error) error.textContent = text;
  }

  var sending = null; // {file, form, done} while a file is on its way

  // Each file is its own request (its own client id), which htmx makes from #upload-form:
  // multipart (hx-encoding), the answer swapped into #messages (hx-target, hx-swap).
  function upload(form, file) {
    var limit = Number(form.dataset.maxBytes);
    if (file.size > limit) {
      showError(interpolate(gettext("%(name)s is %(size)s; files can be at most %(most)s."), { name: file.name, size: sizeText(file.size), most: sizeText(limit) }, true));
      return Promise.resolve();
    }
    showError("");
    showStatus(interpolate(gettext("Sending %(name)s…"), { name: file.name }, true), 0);
    var mine = { file: file, form: form, done: 0 };
    sending = mine;
    var request = htmx.ajax("POST", form.action, { source: form, values: { file: file, client_id: chat.uuid() } });
    // A lost connection rejects; htmx:afterRequest has said so by then.
    return request.catch(function () {}).then(function () { if (sending === mine) sending = null; });
  }

  document.addEventListener("htmx:xhr:progress", function (event) {
    // The upload's progress, then the answer's: the bar only moves forward.
    if (!sending || event.target !== sending.form || !event.detail.lengthComputable || !event.detail.total) return;
    sending.done = Math.max(sending.done, event.detail.loaded / event.detail.total);
    showStatus(interpolate(gettext("Sending %(name)s…"), { name: sending.file.name }, true), sending.done);
  });

  // A refusal is not swapped into the list (the page's htmx config swaps 422 answers).
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (sending && event.detail.elt === sending.form && event.detail.xhr.status >= 300) event.detail.shouldSwap = false;
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (!sending || event.detail.elt !== sending.form) return;
    var name = sending.file.name;
    var xhr = event.detail.xhr;
    if (xhr.status >= 200 && xhr.status < 300) return;
    if (xhr.status === 422) {
      showError(new DOMParser().parseFromString(xhr.responseText, "text/html").body.textContent.trim());
    } else if (xhr.status === 413) showError(interpolate(gettext("%(name)s is too large to send."), { name: name }, true));
    else if (xhr.status === 0) showError(interpolate(gettext("Sending %(name)s failed: no connection. Try again."), { name: name }, true));
    else showError(interpolate(gettext("Sending %(name)s failed. Try again."), { name: name }, true));
  });

  // One file after the other, so they arrive in the order they were chosen, to the room they
  // were chosen in (opening another room stops the rest). Files chosen while others are still
  // on their way wait behind them: two uploads at once shared `sending`, and the first to
  // finish forgot the other's, so a refusal of the second was never said (its live echo can
  // show a picture before its own answer is back, and a person picks the next file then).
  var uploads = Promise.resolve();
  function uploadAll(files) {
    var form = document.getElementById("upload-form");
    if (!form) return;
    Array.prototype.slice.call(files).forEach(function (file) {
      uploads = uploads.then(function () { return form.isConnected ? upload(form, file) : null; });
    });
    uploads = uploads.then(function () { if (!sending) showStatus(""); });
  }

  document.addEventListener("change", function (event) {
    if (event.target.id !== "attach-input") return;
    uploadAll(event.target.files);
    event.target.value = "";
  });

  function carriesFiles(event) {
    return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0;
  }
  function dropPane(event) {
    var pane = event.target.closest && event.target.closest("#room-pane");
    return pane && document.getElementById("upload-form") && carriesFiles(event) ? pane : null;
  }

  document.addEventListener("dragover", function (event) {
    var pane = dropPane(event);
    if (!pane) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    pane.classList.add("dropping");
  });
  document.addEventListener("dragleave", function (event) {
    var pane = document.getElementById("room-pane");
    if (pane && !pane.contains(event.relatedTarget)) pane.classList.remove("dropping");
  });
  document.addEventListener("drop", function (event) {
    var pane = dropPane(event);
    if (!pane) return;
    event.preventDefault();
    pane.classList.remove("dropping");
    uploadAll(event.dataTransfer.files);
  });
})();
