// The labeling screen at /label/R/: one image at a time, a class chosen with the search picker,
// the hierarchy or the compare view, and answered with Confirm. The server decides which image is
// current (reload, another browser or next week all continue at the same one); the page measures
// active time and keeps the interaction log, and sends both with the answer under an
// Idempotency-Key, retrying with the same key while the network is down. The answer's response
// carries the next item, whose image was prefetched, so it appears at once.
(function () {
  "use strict";
  var NS = window.LabelScreen;
  var el = NS.el;

  var PINS_MAX = 4;
  var RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 15000];
  var ZOOM_LOG_EVERY_MS = 500;
  var IMAGE_ALT = "Image to label";

  var config = JSON.parse(document.getElementById("label-config").textContent);
  // Training rounds reveal each answer before the next image (label/feedback.js).
  var training = Boolean(config.urls.feedback && NS.showFeedback);
  var $ = function (id) {
    return document.getElementById(id);
  };
  var ui = {
    screen: $("label-screen"),
    layout: $("label-layout"),
    stage: $("label-stage"),
    progress: $("label-progress"),
    progressFill: $("label-progress-fill"),
    position: $("label-position"),
    eta: $("label-eta"),
    search: $("label-search"),
    results: $("label-results"),
    searchStatus: $("label-search-status"),
    hierarchyToggle: $("label-hierarchy-toggle"),
    hierarchy: $("label-hierarchy"),
    tree: $("label-tree"),
    crumbs: $("label-crumbs"),
    treeStatus: $("label-tree-status"),
    answerName: $("label-answer-name"),
    confirm: $("label-confirm"),
    pin: $("label-pin"),
    flag: $("label-flag"),
    flagStatus: $("label-flag-status"),
    pins: $("label-pins"),
    pinList: $("label-pin-list"),
    compareToggle: $("label-compare-toggle"),
    candidate: $("label-candidate"),
    compare: $("label-compare"),
    error: $("label-error"),
    notice: $("label-notice"),
    changePrevious: $("label-change-previous"),
    previousBanner: $("label-previous-banner"),
    previousBack: $("label-previous-back"),
    done: $("label-done"),
    flagDialog: $("label-flag-dialog"),
    keysDialog: $("label-keys-dialog"),
    keysButton: $("label-keys-button"),
    zoomIn: $("label-zoom-in"),
    zoomOut: $("label-zoom-out"),
    zoomFit: $("label-zoom-fit"),
    zoomLevel: $("label-zoom-level"),
  };
  // The CSP forbids style attributes, so the server-rendered bar gets its width here.
  (function () {
    var done = Number(ui.progress.getAttribute("aria-valuenow"));
    var total = Number(ui.progress.getAttribute("aria-valuemax"));
    ui.progressFill.style.width = total ? (100 * done) / total + "%" : "0";
  })();

  var clock = new NS.Clock(config.idle_limit_seconds * 1000);
  var log = function (type, fields) {
    clock.log(type, fields);
  };
  var lastZoomLog = 0;
  var zoom = new NS.Zoom(ui.stage, function (scale) {
    ui.zoomLevel.textContent = Math.round(scale * 100) + "%";
    var t = performance.now();
    if (t - lastZoomLog > ZOOM_LOG_EVERY_MS) {
      lastZoomLog = t;
      log("zoom");
    }
  });

  var panels = new Map(); // "wnid" or "wnid:compact" -> promise of the panel's HTML
  var images = new Map(); // image URL -> decoded <img> (the prefetched next image)
  var durations = []; // active seconds of the answers this page sent (for the estimate)
  var session = null; // the item on screen: {payload, timer, chosen, pins, flag, previous}
  var stashed = null; // the current item's session while the previous one is changed
  var finished = null; // the "done" payload once every image is answered (the last may change)
  var busy = false;
  // The labeler's own median active seconds per image in this round, as the server counts it;
  // refreshed after each answer (off the critical path). Until the first answer it is unknown.
  var serverMedian = config.median_active_seconds;

  // --- Items -------------------------------------------------------------------------------

  function newSession(payload, previous) {
    return {
      payload: payload,
      timer: clock.start(),
      chosen: null,
      pins: [],
      flag: null,
      previous: Boolean(previous),
    };
  }

  function show(payload, confirmedAt) {
    if (payload.done) {
      finish(payload);
      return;
    }
    finished = null;
    session = newSession(payload, false);
    render(confirmedAt);
    prefetch(payload.prefetch);
  }

  function render(confirmedAt) {
    var payload = session.payload;
    showImage(payload.image, confirmedAt);
    ui.screen.dataset.item = payload.item || "";
    ui.previousBanner.hidden = !session.previous;
    ui.changePrevious.hidden = session.previous || !payload.can_change_previous;
    if (session.previous) {
      ui.previousBanner.querySelector("[data-position]").textContent = String(payload.position);
    }
    // While the previous answer is changed, progress stays that of the current image (or done).
    var current = session.previous && stashed ? stashed.payload : payload;
    if (session.previous && finished) setProgress(finished.total, finished.total, finished);
    else setProgress(current.position - 1, current.total, current);
    picker.clear();
    clearError();
    renderChosen();
    renderPins();
    renderFlag();
    showCompare(false);
    if (session.chosen) loadPanel(session.chosen.wnid);
    else ui.candidate.textContent = "";
    var selected = ui.tree.querySelector("[aria-selected=true]");
    if (selected) selected.setAttribute("aria-selected", "false");
    picker.focus();
  }

  function showImage(url, confirmedAt) {
    var current = ui.stage.querySelector("img");
    if (current && current.dataset.url === url) {
      zoom.attach(current);
      return;
    }
    var image = images.get(url);
    images.delete(url);
    if (!image) {
      image = new Image();
      image.src = url;
    }
    image.alt = IMAGE_ALT;
    image.id = "label-image";
    image.className = "label-image";
    image.dataset.url = url;
    image.draggable = false;
    // No stale picture while a new one decodes; a prefetched one is decoded already.
    if (current) current.remove();
    ui.stage.classList.add("loading");
    var insert = function () {
      if (!session || session.payload.image !== url) return;
      ui.stage.classList.remove("loading");
      ui.stage.appendChild(image);
      zoom.attach(image);
      markVisible(confirmedAt);
    };
    image.decode().then(insert, insert);
  }

  // Performance marks for the benchmark: from Confirm to the next image painted.
  function markVisible(confirmedAt) {
    if (confirmedAt === undefined) return;
    window.requestAnimationFrame(function () {
      window.setTimeout(function () {
        var visibleAt = performance.now();
        NS.swaps = NS.swaps || [];
        NS.swaps.push(visibleAt - confirmedAt);
      }, 0);
    });
  }

  function prefetch(url) {
    if (!url || images.has(url)) return;
    var image = new Image();
    image.decoding = "async";
    image.src = url;
    images.set(url, image);
    image.decode().catch(function () {
      images.delete(url); // shown later, it loads again and the error shows then
    });
    // Only the next one is kept: an older prefetch is no longer needed.
    images.forEach(function (_, key) {
      if (key !== url) images.delete(key);
    });
  }

  function finish(payload) {
    session = null;
    finished = payload;
    ui.layout.hidden = true;
    ui.done.hidden = false;
    ui.changePrevious.hidden = !payload.can_change_previous;
    ui.previousBanner.hidden = true;
    setProgress(payload.total, payload.total, payload);
    ui.done.querySelector("h2").focus();
  }

  // --- Progress ----------------------------------------------------------------------------

  function median(values) {
    if (!values.length) return null;
    var sorted = values.slice().sort(function (a, b) {
      return a - b;
    });
    var mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  function formatDuration(seconds) {
    var minutes = Math.round(seconds / 60);
    if (seconds < 60) return "Less than a minute";
    if (minutes < 60) return "About " + minutes + " min";
    var hours = Math.floor(minutes / 60);
    return "About " + hours + " h" + (minutes % 60 ? " " + (minutes % 60) + " min" : "");
  }

  function refreshProgress() {
    fetch(config.urls.progress, { headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (!data) return;
        serverMedian = data.median_active_seconds;
        if (session && !session.previous) setProgress(data.done, data.total, session.payload);
      })
      .catch(function () {
        // The local estimate stays; the next answer tries again.
      });
  }

  function setProgress(done, total, payload) {
    ui.progress.setAttribute("aria-valuenow", String(done));
    ui.progress.setAttribute("aria-valuemax", String(total));
    ui.progress.setAttribute("aria-valuetext", done + " of " + total + " images done");
    ui.progressFill.style.width = total ? (100 * done) / total + "%" : "0";
    ui.position.textContent =
      done >= total
        ? "All " + total + " images done"
        : "Image " + (payload && payload.position ? payload.position : done + 1) + " of " + total;
    var perImage = typeof serverMedian === "number" ? serverMedian : median(durations);
    var left = total - done;
    if (!left) ui.eta.textContent = "";
    else if (perImage === null) ui.eta.textContent = "Time left: known after your first answer";
    else ui.eta.textContent = formatDuration(perImage * left) + " left at your pace";
  }

  // --- Choosing, pinning, comparing ---------------------------------------------------------

  function panelUrl(wnid, compact) {
    return config.urls.candidate.replace("n00000000", encodeURIComponent(wnid)) + (compact ? "?compact=1" : "");
  }

  function panelHtml(wnid, compact) {
    var key = wnid + (compact ? ":compact" : "");
    if (!panels.has(key)) {
      var promise = fetch(panelUrl(wnid, compact), { headers: { Accept: "text/html" } }).then(
        function (response) {
          if (!response.ok) throw new Error("the class did not load (" + response.status + ")");
          return response.text();
        }
      );
      promise.catch(function () {
        panels.delete(key);
      });
      panels.set(key, promise);
    }
    return panels.get(key);
  }

  function insertPanel(container, html) {
    container.innerHTML = html;
    // Guide pages open beside the screen, never instead of it.
    container.querySelectorAll("a[href]").forEach(function (link) {
      if (!link.closest("[data-gallery]")) {
        link.target = "_blank";
        link.rel = "noopener";
      }
    });
    syncPinButtons();
  }

  function view(wnid, picker) {
    if (!session) return;
    session.chosen = { wnid: wnid, picker: picker, name: nameOf(wnid) };
    log("candidate_view", { wnid: wnid, picker: picker });
    renderChosen();
    showCompare(false);
    loadPanel(wnid);
  }

  function nameOf(wnid) {
    var hit = picker.results.find(function (result) {
      return result.wnid === wnid;
    });
    if (hit) return hit.display_name;
    var item = ui.tree.querySelector("[role=treeitem][data-wnid='" + wnid + "']");
    if (item) return item.dataset.name;
    var pin = session && session.pins.find(function (p) {
      return p.wnid === wnid;
    });
    return pin ? pin.name : wnid;
  }

  function loadPanel(wnid) {
    ui.candidate.setAttribute("aria-busy", "true");
    panelHtml(wnid, false)
      .then(function (html) {
        if (!session || !session.chosen || session.chosen.wnid !== wnid) return;
        insertPanel(ui.candidate, html);
        var article = ui.candidate.querySelector("[data-name]");
        if (article && session.chosen.name === wnid) {
          session.chosen.name = article.dataset.name;
          renderChosen();
        }
      })
      .catch(function (error) {
        showError(error.message);
      })
      .finally(function () {
        ui.candidate.removeAttribute("aria-busy");
      });
  }

  function renderChosen() {
    var chosen = session && session.chosen;
    ui.answerName.textContent = chosen ? chosen.name : "none chosen yet";
    ui.confirm.disabled = !chosen;
    ui.pin.disabled = !chosen;
    syncPinButtons();
  }

  function isPinned(wnid) {
    return Boolean(session) && session.pins.some(function (p) {
      return p.wnid === wnid;
    });
  }

  function togglePin(wnid) {
    if (!session) return;
    wnid = wnid || (session.chosen && session.chosen.wnid);
    if (!wnid) {
      notice("View a class first, then pin it.");
      return;
    }
    if (isPinned(wnid)) {
      session.pins = session.pins.filter(function (p) {
        return p.wnid !== wnid;
      });
      log("unpin", { wnid: wnid });
      notice("Unpinned " + nameOf(wnid) + ".");
    } else if (session.pins.length >= PINS_MAX) {
      notice("At most " + PINS_MAX + " classes can be pinned: unpin one first.");
      return;
    } else {
      session.pins.push({ wnid: wnid, name: nameOf(wnid) });
      log("pin", { wnid: wnid });
      notice("Pinned " + nameOf(wnid) + " (" + session.pins.length + " of " + PINS_MAX + ").");
    }
    renderPins();
    if (!ui.compare.hidden) {
      if (session.pins.length) renderCompare();
      else showCompare(false);
    }
  }

  function syncPinButtons() {
    document.querySelectorAll("[data-action=pin]").forEach(function (button) {
      var wnid = button.dataset.wnid || (session && session.chosen && session.chosen.wnid);
      button.setAttribute("aria-pressed", String(Boolean(wnid) && isPinned(wnid)));
    });
    var chosen = session && session.chosen;
    ui.pin.setAttribute("aria-pressed", String(Boolean(chosen) && isPinned(chosen.wnid)));
  }

  function renderPins() {
    var pins = session ? session.pins : [];
    ui.pinList.textContent = "";
    pins.forEach(function (pin) {
      var li = el("li", "pin-chip");
      var name = el("button", "pin-name", pin.name);
      name.type = "button";
      name.dataset.action = "view";
      name.dataset.wnid = pin.wnid;
      var remove = el("button", "pin-remove", "×");
      remove.type = "button";
      remove.dataset.action = "unpin";
      remove.dataset.wnid = pin.wnid;
      remove.setAttribute("aria-label", "Unpin " + pin.name);
      li.appendChild(name);
      li.appendChild(remove);
      ui.pinList.appendChild(li);
    });
    ui.pins.hidden = !pins.length;
    ui.compareToggle.textContent = "Compare pinned (" + pins.length + ")";
    syncPinButtons();
  }

  function showCompare(open) {
    ui.compare.hidden = !open;
    ui.candidate.hidden = open;
    ui.compareToggle.setAttribute("aria-pressed", String(open));
    if (open) renderCompare();
  }

  function toggleCompare() {
    if (!session || !session.pins.length) {
      notice("Pin classes with p to compare them side by side.");
      return;
    }
    var open = ui.compare.hidden;
    if (open) log("compare");
    showCompare(open);
  }

  function renderCompare() {
    var pins = session.pins.slice();
    var grid = el("div", "compare-columns cols-" + pins.length);
    pins.forEach(function (pin) {
      var column = el("section", "compare-col");
      column.setAttribute("aria-label", pin.name);
      column.dataset.wnid = pin.wnid;
      column.setAttribute("aria-busy", "true");
      grid.appendChild(column);
      panelHtml(pin.wnid, true)
        .then(function (html) {
          insertPanel(column, html);
        })
        .catch(function (error) {
          column.textContent = error.message;
        })
        .finally(function () {
          column.removeAttribute("aria-busy");
        });
    });
    ui.compare.replaceChildren(grid);
  }

  // Buttons inside panels, pins and the compare view.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (button && ui.screen.contains(button)) {
      var wnid = button.dataset.wnid || (session && session.chosen && session.chosen.wnid);
      switch (button.dataset.action) {
        case "pin":
          togglePin(wnid);
          return;
        case "unpin":
          if (isPinned(wnid)) togglePin(wnid);
          return;
        case "view":
          view(wnid, "compare");
          return;
        case "choose":
          chooseFromCompare(wnid);
          return;
        case "tree":
          showInTree(wnid);
          return;
        default:
          return;
      }
    }
    var link = event.target.closest(".candidate-panel a[href], .compare-col a[href]");
    if (link && !link.closest("[data-gallery]")) {
      var match = /\/classes\/(n\d{8})\/?$/.exec(new URL(link.href).pathname);
      if (match) {
        // A class named in the guide: view it here rather than leave the screen.
        event.preventDefault();
        view(match[1], "other");
      } else {
        log("guide_open", { wnid: (session && session.chosen && session.chosen.wnid) || undefined });
      }
    }
  });

  function chooseFromCompare(wnid) {
    if (!session) return;
    session.chosen = { wnid: wnid, picker: "compare", name: nameOf(wnid) };
    log("candidate_view", { wnid: wnid, picker: "compare" });
    renderChosen();
    ui.compare.querySelectorAll(".compare-col").forEach(function (column) {
      column.classList.toggle("chosen", column.dataset.wnid === wnid);
    });
    notice(nameOf(wnid) + " chosen. Confirm with Ctrl+Enter.");
  }

  // --- The hierarchy ----------------------------------------------------------------------

  function openHierarchy(focus) {
    ui.hierarchy.hidden = false;
    ui.hierarchyToggle.setAttribute("aria-expanded", "true");
    return tree.load().then(function () {
      if (focus) tree.focus();
    });
  }

  function closeHierarchy() {
    ui.hierarchy.hidden = true;
    ui.hierarchyToggle.setAttribute("aria-expanded", "false");
  }

  function showInTree(wnid) {
    if (!wnid) return;
    openHierarchy(false)
      .then(function () {
        return tree.reveal(wnid);
      })
      .catch(function (error) {
        showError(error.message);
      });
  }

  ui.hierarchyToggle.addEventListener("click", function () {
    if (ui.hierarchy.hidden) openHierarchy(true);
    else closeHierarchy();
  });

  // --- Flags ------------------------------------------------------------------------------

  function openFlag() {
    if (!session) return;
    var form = ui.flagDialog.querySelector("form");
    form.elements.flag.value = session.flag ? session.flag.flag : "";
    form.elements.note.value = session.flag ? session.flag.note : "";
    ui.flagDialog.showModal();
  }

  ui.flagDialog.addEventListener("close", function () {
    if (ui.flagDialog.returnValue !== "save" || !session) return;
    var form = ui.flagDialog.querySelector("form");
    var flag = form.elements.flag.value;
    session.flag = flag ? { flag: flag, note: form.elements.note.value.trim() } : null;
    if (flag) log("flag");
    renderFlag();
  });

  function renderFlag() {
    var flag = session && session.flag;
    ui.flagStatus.textContent = flag
      ? "Flagged " + flag.flag + (flag.note ? ": " + flag.note : "")
      : "";
    ui.flag.setAttribute("aria-pressed", String(Boolean(flag)));
  }

  // --- Answering --------------------------------------------------------------------------

  var idempotencyKey = NS.idempotencyKey;

  function sleep(ms) {
    return new Promise(function (resolve) {
      window.setTimeout(resolve, ms);
    });
  }

  function post(url, body, key) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": config.csrf_token,
        "Idempotency-Key": key,
      },
      body: body,
    });
  }

  // Send the answer; a network failure or a 5xx is retried with the same key (the server then
  // answers with the answer it stored, never a second one). Resolves to the Response.
  function send(url, body, key) {
    var attempt = 0;
    function again() {
      return post(url, body, key).then(
        function (response) {
          if (response.status < 500 || attempt >= RETRY_DELAYS_MS.length) return response;
          return retry("The server had a problem");
        },
        function () {
          if (attempt >= RETRY_DELAYS_MS.length) throw new Error("offline");
          return retry("No connection");
        }
      );
    }
    function retry(reason) {
      var delay = RETRY_DELAYS_MS[attempt];
      attempt += 1;
      notice(reason + "; trying again in " + Math.round(delay / 1000 || 1) + " s…");
      return sleep(delay).then(again);
    }
    return again();
  }

  function feedbackOpen() {
    return !document.getElementById("label-feedback").hidden;
  }

  function confirm() {
    if (!session || busy || feedbackOpen()) return;
    if (!session.chosen && picker.pending()) {
      picker.whenSettled(confirm); // Ctrl+Enter right after typing: answer the first result
      return;
    }
    if (!session.chosen) {
      var hit = picker.activeHit();
      if (!hit) {
        notice("Choose a class first: search for it, or browse the hierarchy with b.");
        return;
      }
      session.chosen = { wnid: hit.wnid, picker: "search", name: hit.display_name };
      log("candidate_view", { wnid: hit.wnid, picker: "search" });
    }
    var confirmedAt = performance.now();
    var chosen = session.chosen;
    log("confirm", { wnid: chosen.wnid, picker: chosen.picker });
    var answer = {
      item: session.payload.item,
      wnid: chosen.wnid,
      active_seconds: session.timer.activeSeconds(),
      events: session.timer.events.slice(),
      picker: chosen.picker,
    };
    if (session.flag) {
      answer.flag = session.flag.flag;
      if (session.flag.note) answer.note = session.flag.note.slice(0, 2000);
    }
    var answered = session;
    if (!training && !session.previous && session.payload.prefetch) {
      // Optimistic: the next image (prefetched, decoded) is shown now; its item id arrives with
      // the answer's response, and a refused answer brings this item back with the error.
      session = newSession(
        {
          item: null,
          image: session.payload.prefetch,
          position: session.payload.position + 1,
          total: session.payload.total,
          done: false,
          prefetch: null,
          can_change_previous: false,
        },
        false
      );
      session.pending = true;
      render(confirmedAt);
    }
    submit(JSON.stringify(answer), idempotencyKey(), answer.active_seconds, confirmedAt, answered);
  }

  // Back to the item whose answer was refused or could not be sent.
  function revert(answered) {
    if (session === answered) return;
    session = answered;
    clock.switchTo(answered.timer);
    render();
  }

  // One answer, sent until the server takes or refuses it; "Send again" after the automatic
  // retries gave up sends the same body under the same key.
  function submit(body, key, activeSeconds, confirmedAt, answered) {
    busy = true;
    ui.confirm.setAttribute("aria-busy", "true");
    clearError();
    var settle = function () {
      busy = false;
      ui.confirm.removeAttribute("aria-busy");
    };
    send(config.urls.answers, body, key)
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (data) {
            settle();
            if (!response.ok) {
              revert(answered);
              failed(response.status, data);
              return;
            }
            clearNotice();
            durations.push(
              typeof data.active_seconds === "number" ? data.active_seconds : activeSeconds
            );
            if (training && data.feedback) {
              NS.showFeedback({
                url: config.urls.feedback.replace("ITEM", encodeURIComponent(data.item)),
                feedback: data.feedback,
                image: answered.payload.image,
                panelHtml: panelHtml,
                onNext: function () {
                  afterAnswer(data.next);
                  refreshProgress();
                },
              });
              return;
            }
            afterAnswer(data.next, confirmedAt);
            window.setTimeout(refreshProgress, 300);
          });
      })
      .catch(function () {
        settle();
        revert(answered);
        showError("Your answer could not be sent: no connection. It is kept here.", {
          label: "Send again",
          run: function () {
            submit(body, key, activeSeconds, confirmedAt, answered);
          },
        });
      });
  }

  function afterAnswer(next, confirmedAt) {
    if (session && session.pending && !next.done && next.image === session.payload.image) {
      // The image shown at confirm is the server's next item: it only gains its id.
      session.payload = next;
      session.pending = false;
      ui.screen.dataset.item = next.item;
      ui.changePrevious.hidden = !next.can_change_previous;
      setProgress(next.position - 1, next.total, next);
      prefetch(next.prefetch);
      return;
    }
    if (session && session.previous && stashed && next && next.item === stashed.payload.item) {
      restoreStashed(next);
      return;
    }
    stashed = null;
    show(next, confirmedAt);
  }

  function failed(status, data) {
    var detail = (data && (data.detail || firstError(data))) || "status " + status;
    if (status === 409) {
      showError("This answer was not taken: " + detail, {
        label: "Go to the current image",
        run: reloadCurrent,
      });
    } else if (status === 401 || status === 403) {
      showError("You are not allowed to answer here (" + detail + "). Log in again?", {
        label: "Log in",
        run: function () {
          window.location.href = config.urls.login + "?next=" + encodeURIComponent(window.location.pathname);
        },
      });
    } else {
      showError("This answer was not taken: " + detail);
    }
  }

  function firstError(data) {
    var keys = Object.keys(data || {});
    if (!keys.length) return "";
    var value = data[keys[0]];
    return keys[0] + ": " + (Array.isArray(value) ? value.join(" ") : String(value));
  }

  function reloadCurrent() {
    stashed = null;
    return fetch(config.urls.next, { headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) throw new Error(data.detail || "status " + response.status);
          show(data);
        });
      })
      .catch(function (error) {
        showError("The current image did not load: " + error.message, {
          label: "Try again",
          run: reloadCurrent,
        });
      });
  }

  // --- Changing the previous answer -------------------------------------------------------

  function changePrevious() {
    // From an image, or from the done view after the last one (then there is nothing to stash).
    if (session ? session.previous : !finished) return;
    fetch(config.urls.previous, { headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (data) {
          if (response.status === 404) {
            ui.changePrevious.hidden = true;
            notice("There is no previous answer you can change now.");
            return;
          }
          if (!response.ok) throw new Error(data.detail || "status " + response.status);
          stashed = session;
          session = newSession(
            {
              item: data.item,
              image: data.image,
              position: data.position,
              total: (stashed ? stashed.payload : finished).total,
            },
            true
          );
          ui.done.hidden = true;
          ui.layout.hidden = false;
          render();
        });
      })
      .catch(function (error) {
        showError("The previous image did not load: " + error.message);
      });
  }

  function restoreStashed(next) {
    session = stashed;
    stashed = null;
    if (next) {
      next.can_change_previous = next.can_change_previous !== false;
      session.payload = next;
    }
    clock.switchTo(session.timer);
    render();
  }

  ui.changePrevious.addEventListener("click", changePrevious);
  ui.previousBack.addEventListener("click", function () {
    if (stashed) restoreStashed(null);
    else if (finished) finish(finished);
  });

  // --- Messages ---------------------------------------------------------------------------

  var noticeTimer = null;

  function notice(text) {
    ui.notice.textContent = text;
    window.clearTimeout(noticeTimer);
    noticeTimer = window.setTimeout(clearNotice, 6000);
  }

  function clearNotice() {
    ui.notice.textContent = "";
  }

  function showError(text, action) {
    ui.error.textContent = text;
    if (action) {
      var button = el("button", "error-action", action.label);
      button.type = "button";
      button.addEventListener("click", function () {
        clearError();
        action.run();
      });
      ui.error.appendChild(document.createTextNode(" "));
      ui.error.appendChild(button);
    }
    ui.error.hidden = false;
  }

  function clearError() {
    ui.error.textContent = "";
    ui.error.hidden = true;
  }

  // --- Keyboard ---------------------------------------------------------------------------

  function isTyping(target) {
    return (
      target instanceof HTMLElement &&
      (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))
    );
  }

  function dialogOpen() {
    return Boolean(document.querySelector("dialog[open]"));
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || dialogOpen() || feedbackOpen()) return;
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      confirm();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    var handled = true;
    switch (event.key) {
      case "/":
        picker.focus();
        break;
      case "b":
        if (!ui.hierarchy.hidden && ui.tree.contains(document.activeElement)) {
          closeHierarchy();
          picker.focus();
        } else {
          openHierarchy(true);
        }
        break;
      case "p":
        togglePin();
        break;
      case "c":
        toggleCompare();
        break;
      case "f":
        openFlag();
        break;
      case "?":
        ui.keysDialog.showModal();
        break;
      case "+":
      case "=":
        zoom.zoomIn();
        break;
      case "-":
        zoom.zoomOut();
        break;
      case "0":
        zoom.fit();
        break;
      default:
        handled = zoom.zoomed() && zoom.panKey(event.key);
    }
    if (handled) event.preventDefault();
  });

  ui.keysButton.addEventListener("click", function () {
    ui.keysDialog.showModal();
  });
  ui.flag.addEventListener("click", openFlag);
  ui.pin.addEventListener("click", function () {
    togglePin();
  });
  ui.compareToggle.addEventListener("click", toggleCompare);
  ui.confirm.addEventListener("click", confirm);
  ui.zoomIn.addEventListener("click", function () {
    zoom.zoomIn();
  });
  ui.zoomOut.addEventListener("click", function () {
    zoom.zoomOut();
  });
  ui.zoomFit.addEventListener("click", function () {
    zoom.fit();
  });
  document.querySelectorAll("dialog [data-close]").forEach(function (button) {
    button.addEventListener("click", function () {
      button.closest("dialog").close(button.dataset.close);
    });
  });

  // --- Start ------------------------------------------------------------------------------

  var picker = new NS.Picker({
    input: ui.search,
    listbox: ui.results,
    status: ui.searchStatus,
    urls: config.urls,
    onView: view,
    onShowInTree: showInTree,
    onLeave: function () {
      ui.stage.focus();
    },
    log: log,
  });
  var tree = new NS.Tree({
    tree: ui.tree,
    crumbs: ui.crumbs,
    status: ui.treeStatus,
    urls: config.urls,
    onView: view,
    log: log,
  });

  NS.ready = true;
  if (config.item) show(config.item);
  else reloadCurrent();
})();
