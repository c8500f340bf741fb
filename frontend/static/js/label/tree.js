// The hierarchy browser: the WordNet DAG as a WAI-ARIA tree, loaded a level at a time from the
// taxonomy API (chains of single-child nodes collapsed). Roving tabindex; ArrowDown/ArrowUp move
// through the visible items, ArrowRight opens a node or enters it, ArrowLeft closes it or goes
// to its parent, Home/End jump, Enter or a click views a class (or opens and closes a node).
// Breadcrumbs show the path to the focused item. `reveal(wnid)` opens the shortest path to a
// class ("show in tree").
(function () {
  "use strict";
  var NS = (window.LabelScreen = window.LabelScreen || {});
  var el = NS.el;

  function json(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
      if (!response.ok) throw new Error("the hierarchy did not load (" + response.status + ")");
      return response.json();
    });
  }

  function countText(node) {
    if (node.is_class && node.class_count <= 1) return "class";
    return node.class_count + (node.class_count === 1 ? " class" : " classes");
  }

  function Tree(options) {
    this.tree = options.tree;
    this.crumbs = options.crumbs;
    this.status = options.status;
    this.urls = options.urls;
    this.onView = options.onView;
    this.log = options.log;
    this.children = new Map(); // wnid -> promise of child nodes
    this.loaded = null;
    this.serial = 0;
    var self = this;

    this.tree.addEventListener("keydown", function (event) {
      self.keydown(event);
    });
    // Focus moves on click, not on mousedown: the breadcrumbs it redraws may change height, and a
    // click whose mouseup lands elsewhere would reach neither row.
    this.tree.addEventListener("mousedown", function (event) {
      if (event.target.closest(".tree-row")) event.preventDefault();
    });
    this.tree.addEventListener("click", function (event) {
      var row = event.target.closest(".tree-row");
      if (!row) return;
      var item = row.parentElement;
      self.focusItem(item);
      if (event.target.closest(".tree-toggle") || item.dataset.isClass !== "true") {
        self.toggle(item, true);
      } else {
        self.choose(item);
      }
    });
    this.tree.addEventListener("focusin", function (event) {
      var item = event.target.closest("[role=treeitem]");
      if (item) self.showCrumbs(item);
    });
    this.crumbs.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-item]");
      if (!button) return;
      var item = document.getElementById(button.dataset.item);
      if (item) self.focusItem(item);
    });
  }

  // Load the root and its children once; resolves when the tree can be used.
  Tree.prototype.load = function () {
    if (this.loaded) return this.loaded;
    var self = this;
    this.loaded = json(this.urls.taxonomy + "?collapse=1")
      .then(function (data) {
        self.tree.textContent = "";
        data.roots.forEach(function (root, index) {
          var item = self.makeItem(root, 1, index + 1, data.roots.length);
          self.tree.appendChild(item);
          self.children.set(root.wnid, Promise.resolve(root.children));
          self.fill(item, root.children);
          self.setExpanded(item, true);
        });
        var first = self.tree.querySelector("[role=treeitem]");
        if (first) {
          first.tabIndex = 0;
          self.showCrumbs(first);
        }
      })
      .catch(function (error) {
        self.loaded = null;
        self.status.textContent = error.message;
        throw error;
      });
    return this.loaded;
  };

  Tree.prototype.makeItem = function (node, level, position, size) {
    var item = el("li");
    item.setAttribute("role", "treeitem");
    item.id = "tree-" + ++this.serial;
    item.tabIndex = -1;
    item.dataset.wnid = node.wnid;
    item.dataset.name = node.display_name;
    item.dataset.isClass = String(Boolean(node.is_class));
    item.setAttribute("aria-level", String(level));
    item.setAttribute("aria-posinset", String(position));
    item.setAttribute("aria-setsize", String(size));
    item.setAttribute("aria-label", node.display_name + ", " + countText(node));
    if (node.child_count > 0) item.setAttribute("aria-expanded", "false");
    if (node.is_class) item.setAttribute("aria-selected", "false");
    var row = el("div", "tree-row" + (node.is_class ? " is-class" : ""));
    row.setAttribute("aria-hidden", "true");
    row.appendChild(el("span", "tree-toggle", node.child_count > 0 ? "▸" : ""));
    row.appendChild(el("span", "tree-name", node.display_name));
    row.appendChild(el("span", "count", node.is_class ? "class" : String(node.class_count)));
    item.appendChild(row);
    return item;
  };

  Tree.prototype.fill = function (item, nodes) {
    var group = el("ul");
    group.setAttribute("role", "group");
    var level = Number(item.getAttribute("aria-level")) + 1;
    var self = this;
    nodes.forEach(function (node, index) {
      group.appendChild(self.makeItem(node, level, index + 1, nodes.length));
    });
    item.appendChild(group);
  };

  Tree.prototype.childrenOf = function (wnid) {
    if (!this.children.has(wnid)) {
      var self = this;
      var url = this.urls.taxonomy + encodeURIComponent(wnid) + "/children/?collapse=1";
      var promise = json(url).then(
        function (data) {
          return data.children;
        },
        function (error) {
          self.children.delete(wnid);
          throw error;
        }
      );
      this.children.set(wnid, promise);
    }
    return this.children.get(wnid);
  };

  Tree.prototype.setExpanded = function (item, expanded) {
    item.setAttribute("aria-expanded", String(expanded));
    var toggle = item.querySelector(":scope > .tree-row .tree-toggle");
    if (toggle) toggle.textContent = expanded ? "▾" : "▸";
  };

  // Open a node (loading its children the first time); resolves when they are shown.
  Tree.prototype.expand = function (item, byUser) {
    if (!item.hasAttribute("aria-expanded")) return Promise.resolve();
    var self = this;
    if (byUser && item.getAttribute("aria-expanded") === "false") {
      this.log("node_open", { wnid: item.dataset.wnid });
    }
    if (item.querySelector(":scope > [role=group]")) {
      this.setExpanded(item, true);
      return Promise.resolve();
    }
    item.setAttribute("aria-busy", "true");
    return this.childrenOf(item.dataset.wnid)
      .then(function (nodes) {
        if (!item.querySelector(":scope > [role=group]")) self.fill(item, nodes);
        self.setExpanded(item, true);
      })
      .catch(function (error) {
        self.status.textContent = error.message;
      })
      .finally(function () {
        item.removeAttribute("aria-busy");
      });
  };

  Tree.prototype.collapse = function (item) {
    if (item.getAttribute("aria-expanded") === "true") this.setExpanded(item, false);
  };

  Tree.prototype.toggle = function (item, byUser) {
    if (item.getAttribute("aria-expanded") === "true") this.collapse(item);
    else this.expand(item, byUser);
  };

  Tree.prototype.choose = function (item) {
    var previous = this.tree.querySelector("[aria-selected=true]");
    if (previous) previous.setAttribute("aria-selected", "false");
    item.setAttribute("aria-selected", "true");
    this.onView(item.dataset.wnid, "hierarchy");
  };

  Tree.prototype.visibleItems = function () {
    return Array.prototype.filter.call(
      this.tree.querySelectorAll("[role=treeitem]"),
      function (item) {
        var parent = item.parentElement.closest("[role=treeitem]");
        while (parent) {
          if (parent.getAttribute("aria-expanded") !== "true") return false;
          parent = parent.parentElement.closest("[role=treeitem]");
        }
        return true;
      }
    );
  };

  Tree.prototype.focusItem = function (item) {
    var current = this.tree.querySelector("[role=treeitem][tabindex='0']");
    if (current && current !== item) current.tabIndex = -1;
    item.tabIndex = 0;
    item.focus({ preventScroll: true });
    item.querySelector(".tree-row").scrollIntoView({ block: "nearest" });
    this.showCrumbs(item);
  };

  Tree.prototype.focus = function () {
    var item =
      this.tree.querySelector("[role=treeitem][tabindex='0']") ||
      this.tree.querySelector("[role=treeitem]");
    if (item) this.focusItem(item);
  };

  Tree.prototype.keydown = function (event) {
    var item = event.target.closest("[role=treeitem]");
    if (!item || event.ctrlKey || event.metaKey || event.altKey) return;
    var items;
    var index;
    var handled = true;
    switch (event.key) {
      case "ArrowDown":
      case "ArrowUp":
        items = this.visibleItems();
        index = items.indexOf(item) + (event.key === "ArrowDown" ? 1 : -1);
        if (index >= 0 && index < items.length) this.focusItem(items[index]);
        break;
      case "ArrowRight":
        if (item.getAttribute("aria-expanded") === "false") {
          this.expand(item, true);
        } else if (item.getAttribute("aria-expanded") === "true") {
          var child = item.querySelector(":scope > [role=group] > [role=treeitem]");
          if (child) this.focusItem(child);
        }
        break;
      case "ArrowLeft":
        if (item.getAttribute("aria-expanded") === "true") {
          this.collapse(item);
        } else {
          var parent = item.parentElement.closest("[role=treeitem]");
          if (parent) this.focusItem(parent);
        }
        break;
      case "Home":
        items = this.visibleItems();
        this.focusItem(items[0]);
        break;
      case "End":
        items = this.visibleItems();
        this.focusItem(items[items.length - 1]);
        break;
      case "Enter":
      case " ":
        if (item.dataset.isClass === "true") this.choose(item);
        else this.toggle(item, true);
        break;
      default:
        handled = false;
    }
    if (handled) {
      event.preventDefault();
      event.stopPropagation();
    }
  };

  Tree.prototype.showCrumbs = function (item) {
    var chain = [];
    for (var node = item; node; node = node.parentElement.closest("[role=treeitem]")) {
      chain.unshift(node);
    }
    this.crumbs.textContent = "";
    var list = el("ol", "path");
    chain.forEach(function (node, index) {
      var li = el("li");
      if (index === chain.length - 1) {
        var here = el("span", "", node.dataset.name);
        here.setAttribute("aria-current", "location");
        li.appendChild(here);
      } else {
        var button = el("button", "crumb", node.dataset.name);
        button.type = "button";
        button.dataset.item = node.id;
        li.appendChild(button);
      }
      list.appendChild(li);
    });
    this.crumbs.appendChild(list);
  };

  // Open the tree along the class's shortest path from the root and focus the class.
  Tree.prototype.reveal = function (wnid) {
    var self = this;
    return Promise.all([
      this.load(),
      json(this.urls.taxonomy + encodeURIComponent(wnid) + "/paths/"),
    ]).then(function (results) {
      var paths = results[1].paths;
      if (!paths.length) return null;
      var path = paths.reduce(function (best, p) {
        return p.length < best.length ? p : best;
      });
      var wnids = path.map(function (node) {
        return node.wnid;
      });
      var item = Array.prototype.find.call(self.tree.children, function (root) {
        return root.dataset.wnid === wnids[0];
      });
      var at = 0;
      function step() {
        if (!item) return null;
        if (item.dataset.wnid === wnid) {
          self.focusItem(item);
          return item;
        }
        return self.expand(item, false).then(function () {
          // The next item on the path, or the end of a collapsed chain that contains it.
          var next = null;
          var nextAt = wnids.length;
          var kids = item.querySelectorAll(":scope > [role=group] > [role=treeitem]");
          Array.prototype.forEach.call(kids, function (kid) {
            var found = wnids.indexOf(kid.dataset.wnid, at + 1);
            if (found !== -1 && found < nextAt) {
              next = kid;
              nextAt = found;
            }
          });
          item = next;
          at = nextAt;
          return step();
        });
      }
      return step();
    });
  };

  NS.Tree = Tree;
})();
