/* The guided intake, a little friendlier with JavaScript (the form works without it):
 * the extortion fields show only when ticked, the processor field only when we are the
 * controller, and the end of the 72 hours appears as soon as the awareness time is typed.
 * Times are read in the person's zone (data-zone), not the browser's. */
(function () {
  "use strict";

  function wallClock(ms, zone) {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit",
    }).formatToParts(new Date(ms));
    const get = (type) => Number(parts.find((part) => part.type === type).value);
    return Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"));
  }

  /* The UTC instants a wall-clock time means in a zone: none (skipped), one, or two (repeated). */
  function instants(value, zone) {
    const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
    if (!match) return [];
    const wanted = Date.UTC(+match[1], +match[2] - 1, +match[3], +match[4], +match[5]);
    const found = new Set();
    for (const probe of [wanted - 6 * 3600e3, wanted + 6 * 3600e3]) {
      const candidate = wanted - (wallClock(probe, zone) - probe);
      if (wallClock(candidate, zone) === wanted) found.add(candidate);
    }
    return Array.from(found);
  }

  function hasError(element) {
    return element !== null && element.querySelector(".has-error") !== null;
  }

  function showWhen(target, condition) {
    if (target) target.hidden = !condition;
  }

  function setUpToggles() {
    const extortion = document.getElementById("id_has_extortion");
    const fields = document.getElementById("extortion-fields");
    if (extortion && fields) {
      // Shown as well when something in them needs correcting, ticked or not.
      const update = () => showWhen(fields, extortion.checked || hasError(fields));
      extortion.addEventListener("change", update);
      update();
    }
    const processor = document.getElementById("field-processor_name");
    const notice = document.getElementById("processor-notice-fields");
    const roles = document.querySelectorAll("input[name='our_role']");
    const updateRole = () => {
      const chosen = document.querySelector("input[name='our_role']:checked");
      showWhen(processor, !chosen || chosen.value === "controller" || hasError(processor));
      showWhen(notice, (chosen !== null && chosen.value === "processor") || hasError(notice));
    };
    roles.forEach((radio) => radio.addEventListener("change", updateRole));
    updateRole();
  }

  function setUpDeadline() {
    const input = document.getElementById("id_aware_at");
    const output = document.getElementById("authority-deadline");
    if (!input || !output) return;
    const original = output.textContent;
    const zone = output.dataset.zone;
    const hours = Number(output.dataset.hours);
    const format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      timeZone: zone, weekday: "short", year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short",
    });
    const chosenFold = () => {
      const checked = document.querySelector("input[name='aware_at_fold']:checked");
      return checked ? checked.value : "";
    };
    const update = () => {
      const found = instants(input.value, zone).sort((a, b) => a - b);
      let instant = found.length === 1 ? found[0] : null;
      if (found.length === 2 && chosenFold()) instant = chosenFold() === "earlier" ? found[0] : found[1];
      // Skipped, or repeated and not answered yet: the server explains; no guess here either.
      output.textContent = instant === null
        ? original
        : output.dataset.label + " " + format.format(new Date(instant + hours * 3600e3));
    };
    input.addEventListener("input", update);
    input.addEventListener("change", update);
    document.querySelectorAll("input[name='aware_at_fold']").forEach((radio) => radio.addEventListener("change", update));
    if (input.value) update();
  }

  document.addEventListener("DOMContentLoaded", () => {
    setUpToggles();
    setUpDeadline();
  });
})();
