// Active time and the interaction log of one item on the labeling screen.
//
// A second counts as active while the tab is visible, the window has focus and the labeler did
// something (a key, the mouse, the wheel, a touch) within the round's idle limit; an idle spell
// counts only up to that limit. The total never exceeds the wall time since the item was shown.
// The log holds the contract's events ({t: ms since shown, type, q?, wnid?, picker?}), bounded so
// that a day-long item cannot make the answer too large to send.
(function () {
  "use strict";
  var NS = (window.LabelScreen = window.LabelScreen || {});

  var EVENTS_MAX = 4000; // the API takes 5000; "confirm" and the last few always fit
  var QUERY_MAX = 200;

  function now() {
    return performance.now();
  }

  function isAttentive() {
    return document.visibilityState === "visible" && document.hasFocus();
  }

  // One item's clock and log. `idleLimitMs` comes from the round's settings.
  function ItemTimer(idleLimitMs) {
    this.idleLimitMs = idleLimitMs;
    this.shownAt = now();
    this.lastActivity = this.shownAt;
    this.checkpoint = this.shownAt;
    this.activeMs = 0;
    this.attentive = isAttentive();
    this.idle = false;
    this.paused = false;
    this.events = [];
    this.dropped = 0;
  }

  ItemTimer.prototype.elapsed = function () {
    return Math.max(0, Math.round(now() - this.shownAt));
  };

  // Credit the span since the last checkpoint, as far as it was attentive and not idle.
  ItemTimer.prototype.settle = function () {
    var t = now();
    if (this.attentive && !this.paused) {
      var until = Math.min(t, this.lastActivity + this.idleLimitMs);
      if (until > this.checkpoint) this.activeMs += until - this.checkpoint;
    }
    this.checkpoint = t;
    if (!this.idle && t - this.lastActivity > this.idleLimitMs) {
      this.idle = true;
      this.log("idle");
    }
  };

  ItemTimer.prototype.activity = function () {
    this.settle();
    this.lastActivity = now();
    if (this.idle) {
      this.idle = false;
      this.log("active");
    }
  };

  ItemTimer.prototype.attention = function (type) {
    this.settle();
    this.attentive = isAttentive();
    this.log(type);
  };

  // While another item is shown (changing the previous answer), this one's clock stops.
  ItemTimer.prototype.pause = function () {
    this.settle();
    this.paused = true;
  };

  ItemTimer.prototype.resume = function () {
    this.checkpoint = now();
    this.lastActivity = this.checkpoint;
    this.attentive = isAttentive();
    this.paused = false;
  };

  ItemTimer.prototype.activeSeconds = function () {
    this.settle();
    var wall = now() - this.shownAt;
    return Math.round(Math.min(this.activeMs, wall)) / 1000;
  };

  ItemTimer.prototype.log = function (type, fields) {
    if (this.events.length >= EVENTS_MAX && type !== "confirm") {
      this.dropped += 1;
      return;
    }
    var event = { t: this.elapsed(), type: type };
    if (fields) {
      if (fields.q !== undefined) event.q = String(fields.q).slice(0, QUERY_MAX);
      if (fields.wnid) event.wnid = fields.wnid;
      if (fields.picker) event.picker = fields.picker;
    }
    this.events.push(event);
  };

  // The page-wide listeners feed whichever timer is current.
  function Clock(idleLimitMs) {
    this.idleLimitMs = idleLimitMs;
    this.timer = null;
    var self = this;
    var activity = function () {
      if (self.timer) self.timer.activity();
    };
    ["keydown", "pointerdown", "pointermove", "wheel", "touchstart", "input", "scroll"].forEach(
      function (type) {
        window.addEventListener(type, activity, { capture: true, passive: true });
      }
    );
    document.addEventListener("visibilitychange", function () {
      if (self.timer) {
        self.timer.attention(
          document.visibilityState === "visible" ? "visibility_visible" : "visibility_hidden"
        );
      }
    });
    window.addEventListener("blur", function () {
      if (self.timer) self.timer.attention("blur");
    });
    window.addEventListener("focus", function () {
      if (self.timer) self.timer.attention("focus");
    });
    // Notice idleness while nothing happens (for the "idle" event; the sum needs no ticks).
    window.setInterval(function () {
      if (self.timer) self.timer.settle();
    }, 1000);
  }

  Clock.prototype.start = function () {
    this.timer = new ItemTimer(this.idleLimitMs);
    return this.timer;
  };

  Clock.prototype.switchTo = function (timer) {
    if (this.timer && this.timer !== timer) this.timer.pause();
    timer.resume();
    this.timer = timer;
  };

  Clock.prototype.log = function (type, fields) {
    if (this.timer) this.timer.log(type, fields);
  };

  NS.Clock = Clock;
})();
