/* BreachTrack dashboard: live countdowns. No library and no network: the server renders every
 * countdown as text, this script moves them on once a second with the server's own phrases and
 * bands (read from #countdown-messages; the bands are readers.clock_states.band's). */
(function () {
  "use strict";
  var messagesNode = document.getElementById("countdown-messages");
  if (!messagesNode) return;
  var messages = JSON.parse(messagesNode.textContent);
  // Count from the server's "now", moved on by the time elapsed here: a device whose clock is
  // off by minutes must not show a deadline as met or missed when it is not. Read again each
  // time htmx brings a fresh list (it carries the server's time of that answer).
  var skew = 0;
  function readSkew() {
    var board = document.querySelector("[data-server-now]");
    if (board) skew = Date.parse(board.getAttribute("data-server-now")) - Date.now();
  }
  readSkew();

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function span(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var days = Math.floor(seconds / 86400);
    var rest = seconds % 86400;
    var clock = pad(Math.floor(rest / 3600)) + ":" + pad(Math.floor((rest % 3600) / 60)) + ":" + pad(rest % 60);
    return days ? messages.days.replace("{days}", days).replace("{clock}", clock) : clock;
  }

  function band(remaining) { // seconds left, >= 0
    if (remaining <= messages.thresholds.under_6h) return "under_6h";
    if (remaining <= messages.thresholds.under_24h) return "under_24h";
    return "on_track";
  }

  function update(row, now) {
    var remaining = (Date.parse(row.getAttribute("data-due")) - now) / 1000;
    var extortion = row.hasAttribute("data-extortion");
    var state, text;
    if (remaining >= 0) {
      state = band(remaining);
      text = messages.left.replace("{time}", span(remaining));
    } else {
      state = "overdue";
      text = (extortion ? messages.ago : messages.overdue).replace("{time}", span(-remaining));
    }
    var countdown = row.querySelector("[data-countdown]");
    if (countdown && countdown.textContent !== text) countdown.textContent = text;
    if (row.getAttribute("data-state") !== state) {
      row.setAttribute("data-state", state);
      var label = row.querySelector("[data-state-label]");
      if (label) {
        label.textContent = (extortion ? messages.extortion_states : messages.states)[state];
        label.className = "state-badge state-" + state;
      }
    }
  }

  function tick() {
    var now = Date.now() + skew;
    var rows = document.querySelectorAll("[data-clock][data-due]");
    for (var i = 0; i < rows.length; i++) update(rows[i], now);
    // Wake just after the next whole second, so every countdown changes together.
    window.setTimeout(tick, 1000 - (now % 1000) + 5);
  }

  document.body.addEventListener("htmx:afterSettle", function () {
    readSkew();
    var now = Date.now() + skew;
    var rows = document.querySelectorAll("[data-clock][data-due]");
    for (var i = 0; i < rows.length; i++) update(rows[i], now);
  });

  tick();
})();
