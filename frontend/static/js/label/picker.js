// The search picker: a combobox over the class search API whose results are a listbox of options
// (WAI-ARIA combobox pattern, list autocomplete). Typing searches after a short pause, cancelling
// a request that has gone stale; the first result is active as you type; ArrowUp/ArrowDown move,
// Enter views the active class, Shift+Enter shows it in the tree, Escape closes the list (and a
// second Escape leaves the box, so that single-key shortcuts work). Each result shows its group, its short path and the first few
// reference thumbnails, fetched for all results at once and remembered per class.
(function () {
  "use strict";
  var NS = (window.LabelScreen = window.LabelScreen || {});

  var DEBOUNCE_MS = 60;
  var RESULTS = 15;
  var THUMBS = 3;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  NS.el = el;

  function isAbort(error) {
    return error && error.name === "AbortError";
  }

  NS.isAbort = isAbort;

  // A fresh Idempotency-Key for one answer or judgment (both screens load this file first).
  function idempotencyKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // Outside a secure context randomUUID is missing; 16 random bytes serve as well.
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map
      .call(bytes, function (b) {
        return b.toString(16).padStart(2, "0");
      })
      .join("");
  }

  NS.idempotencyKey = idempotencyKey;

  function Picker(options) {
    this.input = options.input;
    this.listbox = options.listbox;
    this.status = options.status;
    this.urls = options.urls;
    this.onView = options.onView;
    this.onShowInTree = options.onShowInTree;
    this.onLeave = options.onLeave;
    this.log = options.log;
    this.results = [];
    this.active = -1;
    this.timer = null;
    this.searching = null; // AbortController of the search in flight
    this.previewing = null; // AbortController of the thumbnails request in flight
    this.thumbs = new Map(); // wnid -> [{thumbnail_url, thumbnail_width, thumbnail_height}]
    this.lastQuery = "";
    this.typing = false; // a keystroke waits for the debounce
    this.waiters = []; // what Enter asked for before the results of the text typed arrived
    var self = this;

    this.input.addEventListener("input", function () {
      window.clearTimeout(self.timer);
      self.typing = true;
      self.timer = window.setTimeout(function () {
        self.typing = false;
        self.search(self.input.value.trim());
      }, DEBOUNCE_MS);
    });
    this.input.addEventListener("keydown", function (event) {
      self.keydown(event);
    });
    // Keep the focus in the box when an option is clicked.
    this.listbox.addEventListener("pointerdown", function (event) {
      if (event.target.closest("[role=option]")) event.preventDefault();
    });
    this.listbox.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (!option) return;
      self.activate(Number(option.dataset.index));
      self.viewActive();
    });
  }

  Picker.prototype.keydown = function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return; // Ctrl+Enter is the page's
    switch (event.key) {
      case "ArrowDown":
        if (this.results.length) {
          this.open();
          this.activate(Math.min(this.active + 1, this.results.length - 1));
        }
        event.preventDefault();
        break;
      case "ArrowUp":
        if (this.results.length) this.activate(Math.max(this.active - 1, 0));
        event.preventDefault();
        break;
      case "Enter":
        event.preventDefault();
        var self = this;
        var shift = event.shiftKey;
        // A fast typist may press Enter before the results of the last keys arrive.
        this.whenSettled(function () {
          var hit = self.results[self.active];
          if (hit && shift) self.onShowInTree(hit.wnid);
          else if (hit) self.onView(hit.wnid, "search");
        });
        break;
      case "Escape":
        event.preventDefault();
        if (this.isOpen()) this.close();
        else this.onLeave();
        break;
      default:
        break;
    }
  };

  // Whether results for the text in the box are still to come.
  Picker.prototype.pending = function () {
    return this.typing || Boolean(this.searching);
  };

  // Run `callback` once the results for the text typed so far are shown (now if they are).
  Picker.prototype.whenSettled = function (callback) {
    if (this.pending()) this.waiters.push(callback);
    else callback();
  };

  Picker.prototype.settle = function (run) {
    var waiters = this.waiters;
    this.waiters = [];
    if (run) {
      waiters.forEach(function (callback) {
        callback();
      });
    }
  };

  Picker.prototype.search = function (query) {
    if (query === this.lastQuery && this.results.length) {
      this.settle(true);
      return;
    }
    this.lastQuery = query;
    if (this.searching) this.searching.abort();
    this.searching = null;
    if (!query) {
      this.render([]);
      this.setStatus("");
      this.settle(false);
      return;
    }
    var controller = new AbortController();
    this.searching = controller;
    var self = this;
    this.log("search", { q: query });
    var url = this.urls.search + "?" + new URLSearchParams({ q: query, limit: String(RESULTS) });
    fetch(url, { signal: controller.signal, headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("search failed (" + response.status + ")");
        return response.json();
      })
      .then(function (data) {
        if (controller.signal.aborted) return;
        self.searching = null;
        self.render(data.results);
        if (!self.typing) self.settle(true);
        self.setStatus(
          data.results.length
            ? data.results.length + (data.results.length === 1 ? " class" : " classes") + " found"
            : "No class matches “" + query + "”."
        );
        self.loadThumbs(data.results);
      })
      .catch(function (error) {
        if (isAbort(error)) return;
        self.searching = null;
        self.settle(false);
        self.setStatus("The search did not answer: " + error.message + ". Type again to retry.");
      });
  };

  Picker.prototype.setStatus = function (text) {
    this.status.textContent = text;
  };

  Picker.prototype.render = function (results) {
    this.results = results;
    this.listbox.textContent = "";
    var self = this;
    results.forEach(function (hit, index) {
      var option = el("li", "result");
      option.setAttribute("role", "option");
      option.id = "result-" + hit.wnid;
      option.dataset.index = String(index);
      option.dataset.wnid = hit.wnid;
      option.setAttribute("aria-selected", "false");
      var main = el("span", "result-main");
      main.appendChild(el("span", "result-name", hit.display_name));
      main.appendChild(document.createTextNode(" "));
      main.appendChild(el("span", "badge", hit.group));
      option.appendChild(main);
      option.appendChild(el("span", "result-path", hit.path));
      var thumbs = el("span", "result-thumbs");
      thumbs.setAttribute("aria-hidden", "true");
      option.appendChild(thumbs);
      if (self.thumbs.has(hit.wnid)) self.fillThumbs(thumbs, self.thumbs.get(hit.wnid));
      self.listbox.appendChild(option);
    });
    if (results.length) {
      this.open();
      this.activate(0);
    } else {
      this.close();
      this.active = -1;
      this.input.removeAttribute("aria-activedescendant");
    }
  };

  Picker.prototype.loadThumbs = function (results) {
    var self = this;
    var missing = results
      .map(function (hit) {
        return hit.wnid;
      })
      .filter(function (wnid) {
        return !self.thumbs.has(wnid);
      });
    if (!missing.length) return;
    if (this.previewing) this.previewing.abort();
    var controller = new AbortController();
    this.previewing = controller;
    var url =
      this.urls.previews + "?" + new URLSearchParams({ wnids: missing.join(","), per_class: THUMBS });
    fetch(url, { signal: controller.signal, headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("thumbnails failed (" + response.status + ")");
        return response.json();
      })
      .then(function (data) {
        Object.keys(data.results).forEach(function (wnid) {
          self.thumbs.set(wnid, data.results[wnid]);
          var option = document.getElementById("result-" + wnid);
          if (option) self.fillThumbs(option.querySelector(".result-thumbs"), data.results[wnid]);
        });
      })
      .catch(function (error) {
        if (!isAbort(error)) self.setStatus("Reference thumbnails did not load.");
      });
  };

  Picker.prototype.fillThumbs = function (container, items) {
    container.textContent = "";
    items.forEach(function (item) {
      var image = el("img");
      image.loading = "lazy";
      image.decoding = "async";
      image.alt = "";
      image.width = item.thumbnail_width;
      image.height = item.thumbnail_height;
      image.src = item.thumbnail_url;
      container.appendChild(image);
    });
  };

  Picker.prototype.activate = function (index) {
    var previous = this.listbox.querySelector("[aria-selected=true]");
    if (previous) previous.setAttribute("aria-selected", "false");
    this.active = index;
    var option = this.listbox.children[index];
    if (!option) return;
    option.setAttribute("aria-selected", "true");
    this.input.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  };

  Picker.prototype.activeHit = function () {
    return this.isOpen() ? this.results[this.active] || null : null;
  };

  Picker.prototype.viewActive = function () {
    var hit = this.results[this.active];
    if (hit) this.onView(hit.wnid, "search");
  };

  Picker.prototype.isOpen = function () {
    return this.input.getAttribute("aria-expanded") === "true";
  };

  Picker.prototype.open = function () {
    this.input.setAttribute("aria-expanded", "true");
    this.listbox.hidden = false;
  };

  Picker.prototype.close = function () {
    this.input.setAttribute("aria-expanded", "false");
    this.listbox.hidden = true;
  };

  Picker.prototype.clear = function () {
    window.clearTimeout(this.timer);
    this.typing = false;
    this.settle(false);
    if (this.searching) this.searching.abort();
    this.input.value = "";
    this.lastQuery = "";
    this.render([]);
    this.setStatus("");
  };

  Picker.prototype.focus = function () {
    this.input.focus();
    this.input.select();
  };

  NS.Picker = Picker;
})();
