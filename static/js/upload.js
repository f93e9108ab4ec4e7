// Resumable uploads with progress, on the criterion page.
//
// Without this script (or without what it needs) the upload form is sent as
// it is. With it, each chosen file is checked here first (kind, size), its
// SHA-256 is computed, and it is sent in pieces by the tus protocol: the
// progress shows, Cancel stops it, and a dropped connection is retried; a
// file sent again after a break continues where it stopped. The server keeps
// a file only if every byte arrived with the same SHA-256. Then the form is
// sent with the arrived files' references instead of the files themselves.
"use strict";

(() => {
  const form = document.querySelector("form.upload-form[data-resumable]");
  if (!form || !window.tus || !tus.isSupported || !window.hashwasm) {
    return;
  }
  const input = form.querySelector('input[type="file"]');
  const list = form.querySelector(".upload-files");
  const submit = form.querySelector('button[type="submit"]');
  const cancel = form.querySelector(".upload-cancel");
  const msg = form.dataset;
  const accepted = msg.accept.split(",").map((ext) => ext.trim().toLowerCase());
  const maxBytes = Number(msg.maxBytes);
  const maxFiles = Number(msg.maxFiles);
  const csrf = form.querySelector('input[name="csrfmiddlewaretoken"]').value;
  const numbers = new Intl.NumberFormat(document.documentElement.lang || "vi", {
    maximumFractionDigits: 1,
    minimumFractionDigits: 1,
  });
  const PIECE = 1024 * 1024; // bytes per request: little is lost when one drops
  let current = null; // the tus upload in flight
  let cancelled = false;

  form.querySelector(".upload-resumes").hidden = false;

  const megabytes = (bytes) =>
    bytes < 1024 * 1024
      ? `${numbers.format(bytes / 1024)} KB`
      : `${numbers.format(bytes / (1024 * 1024))} MB`;

  function refusal(file) {
    const dot = file.name.lastIndexOf(".");
    const extension = dot < 0 ? "" : file.name.slice(dot).toLowerCase();
    if (!accepted.includes(extension)) return msg.msgKind;
    if (file.size === 0) return msg.msgEmpty;
    if (file.size > maxBytes) return msg.msgTooBig;
    return "";
  }

  // One line per chosen file: its name, size, and then its progress.
  function show(files) {
    list.replaceChildren();
    list.hidden = files.length === 0;
    return files.map((file) => {
      const item = document.createElement("li");
      const name = document.createElement("span");
      name.className = "upload-name";
      name.textContent = file.name;
      name.title = file.name;
      const size = document.createElement("span");
      size.className = "upload-size";
      size.textContent = megabytes(file.size);
      const bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.hidden = true;
      const state = document.createElement("span");
      state.className = "upload-state";
      item.append(name, size, bar, state);
      list.append(item);
      const reason = refusal(file);
      if (reason) {
        item.classList.add("refused");
        state.textContent = reason;
      }
      return { file, reason, item, bar, state };
    });
  }

  function say(row, text, percent) {
    row.state.textContent = text;
    if (percent !== undefined) {
      row.bar.hidden = false;
      row.bar.value = percent;
    }
  }

  input.addEventListener("change", () => {
    show([...input.files]);
  });

  async function sha256(row) {
    const hasher = await hashwasm.createSHA256();
    hasher.init();
    const { file } = row;
    for (let start = 0; start < file.size; start += 4 * PIECE) {
      if (cancelled) throw new Error(msg.msgCancelled);
      const piece = await file.slice(start, start + 4 * PIECE).arrayBuffer();
      hasher.update(new Uint8Array(piece));
      say(row, msg.msgChecking, Math.round((100 * (start + piece.byteLength)) / file.size));
    }
    return hasher.digest("hex");
  }

  function send(row, digest) {
    return new Promise((resolve, reject) => {
      const upload = new tus.Upload(row.file, {
        endpoint: form.dataset.resumable,
        chunkSize: PIECE,
        retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000],
        metadata: { filename: row.file.name, sha256: digest },
        headers: { "X-CSRFToken": csrf },
        removeFingerprintOnSuccess: true,
        // The same file (same name, size, date and content) resumes.
        fingerprint: async (file) => ["kieumau", form.dataset.resumable, file.name, file.size, file.lastModified, digest].join("|"),
        onProgress(sent, total) {
          const percent = Math.floor((100 * sent) / total);
          say(row, `${msg.msgSending} ${percent}% · ${megabytes(sent)} / ${megabytes(total)}`, percent);
        },
        onShouldRetry(error, attempt, options) {
          const status = error.originalResponse ? error.originalResponse.getStatus() : 0;
          if (status === 0 || status >= 500 || status === 409 || status === 423) {
            say(row, msg.msgRetrying);
            return true;
          }
          return false;
        },
        onSuccess() {
          resolve(upload.url.split("/").filter(Boolean).pop());
        },
        onError(error) {
          const response = error.originalResponse;
          const body = response && response.getBody();
          reject(new Error(body && body.length < 500 ? body : error.message));
        },
      });
      current = upload;
      upload.findPreviousUploads().then((previous) => {
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      });
    });
  }

  function carry(name, value) {
    const field = document.createElement("input");
    field.type = "hidden";
    field.name = name;
    field.value = value;
    form.append(field);
  }

  // The page that answers says what was added and what was not, file by file.
  function finish(ids, rows) {
    ids.forEach((id) => carry("resumable", id));
    rows.filter((row) => row.item.classList.contains("refused")).forEach((row) => {
      carry("refused", `“${row.file.name}”: ${row.state.textContent}`);
    });
    input.disabled = true; // the files went ahead; the form carries references
    form.submit();
  }

  function reset(text) {
    current = null;
    submit.disabled = false;
    input.disabled = false;
    cancel.hidden = true;
    if (text) {
      const item = document.createElement("li");
      item.className = "upload-failed";
      item.setAttribute("role", "alert");
      item.textContent = text;
      list.append(item);
      list.hidden = false;
    }
  }

  cancel.addEventListener("click", () => {
    cancelled = true;
    if (current) current.abort(true).catch(() => {});
    reset(msg.msgCancelled);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const rows = show([...input.files]);
    if (rows.length > maxFiles) {
      reset(msg.msgTooMany);
      return;
    }
    const sendable = rows.filter((row) => !row.reason);
    if (sendable.length === 0) {
      reset(msg.msgNone);
      return;
    }
    cancelled = false;
    submit.disabled = true;
    cancel.hidden = false;
    const ids = [];
    for (const row of sendable) {
      try {
        const digest = await sha256(row);
        if (cancelled) return;
        ids.push(await send(row, digest));
        say(row, msg.msgArrived, 100);
      } catch (error) {
        if (cancelled) return;
        row.item.classList.add("refused");
        say(row, `${msg.msgFailed} ${error.message}`);
      }
    }
    if (cancelled) return;
    if (ids.length === 0) {
      reset("");
      return;
    }
    cancel.hidden = true;
    const note = document.createElement("li");
    note.textContent = msg.msgAttaching;
    list.append(note);
    finish(ids, rows);
  });
})();
