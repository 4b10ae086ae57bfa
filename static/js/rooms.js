// The chat page: keep the newest message in view (or the one the address names, for a
// favorite or a search result), keep the reader's place when older messages load above,
// send with Enter (Shift+Enter for a new line), and empty the box once a message is stored.
// Also: the emoji palette, editing in place, and sending pictures and files (a button or
// drag and drop, checked for size before anything is sent, with progress).
(function () {
  function messageList() { return document.getElementById("messages"); }
  function showNewest() {
    var list = messageList();
    if (list) list.scrollTop = list.scrollHeight;
  }

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
      // htmx.swap() (a sent file) settles without a detail.target: the event's own element.
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

  // --- Toasts that htmx adds (a refused action) fade like the others ----------------------

  document.addEventListener("htmx:oobAfterSwap", function (event) {
    if (event.detail.target.id !== "toasts") return;
    event.detail.target.querySelectorAll(".toast:not([data-fading])").forEach(function (toast) {
      toast.dataset.fading = "1";
      setTimeout(function () { toast.classList.add("fade"); }, 4000);
      setTimeout(function () { toast.remove(); }, 4600);
    });
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

  // Capture: the socket's own submit handler (live.js) stops the event there.
  document.addEventListener("submit", function () { closePalettes(); }, true);

  // --- Editing in place ---------------------------------------------------------------------

  // Own messages can be edited for 15 minutes: the Edit link goes once that time is up (the
  // server refuses later edits whatever the page shows).
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

  // --- Pictures and files -------------------------------------------------------------------

  function uploadForm() { return document.getElementById("upload-form"); }

  function sizeText(bytes) {
    if (bytes < 1024) return bytes + " bytes";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
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

  // The server's answer is the new message (and its room's list item); the socket may have
  // brought the message already, and a message is never shown twice.
  function showSent(html) {
    var list = messageList();
    if (!list || !window.htmx) return;
    var template = document.createElement("template");
    template.innerHTML = window.chatDropUnshown ? window.chatDropUnshown(html) : html;
    template.content.querySelectorAll(".message[data-message-id]").forEach(function (message) {
      if (document.getElementById(message.id)) message.remove();
    });
    htmx.swap(list, template.innerHTML, { swapStyle: "beforeend" });
    showNewest();
  }

  function upload(file) {
    var form = uploadForm();
    var limit = Number(form.dataset.maxBytes);
    if (file.size > limit) {
      showError(file.name + " is " + sizeText(file.size) + "; files can be at most " + sizeText(limit) + ".");
      return Promise.resolve();
    }
    return new Promise(function (done) {
      var data = new FormData();
      data.append("file", file);
      data.append("client_id", uuid());
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("X-CSRFToken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      request.setRequestHeader("HX-Request", "true");
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) showStatus("Sending " + file.name + "…", event.loaded / event.total);
      });
      request.addEventListener("load", function () {
        if (request.status < 300) showSent(request.responseText);
        else if (request.status === 422) {
          showError(new DOMParser().parseFromString(request.responseText, "text/html").body.textContent);
        } else if (request.status === 413) showError(file.name + " is too large to send.");
        else showError("Sending " + file.name + " failed. Try again.");
        done();
      });
      request.addEventListener("error", function () {
        showError("Sending " + file.name + " failed: no connection. Try again.");
        done();
      });
      showError("");
      showStatus("Sending " + file.name + "…", 0);
      request.send(data);
    });
  }

  // One file after the other, so they arrive in the order they were chosen.
  function uploadAll(files) {
    var queue = Array.prototype.slice.call(files);
    var next = function () {
      if (!queue.length) { showStatus(""); return; }
      upload(queue.shift()).then(next);
    };
    next();
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
    return pane && uploadForm() && carriesFiles(event) ? pane : null;
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
