// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Version slider: show the number while it moves.
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    const range = form.querySelector('input[type="range"]');
    const out = form.querySelector("output");
    if (!range) continue;
    range.addEventListener("input", () => {
      if (out) out.textContent = range.value;
      range.setAttribute("aria-valuetext", "version " + range.value + " of " + range.max);
    });
    // A pointer release loads the version at once; arrow keys only move (Enter or "Show" loads),
    // so keyboard users are not thrown back to the top of a reloaded page at every step.
    let pointer = false;
    range.addEventListener("pointerdown", () => { pointer = true; });
    range.addEventListener("change", () => { if (pointer) form.requestSubmit(); pointer = false; });
    range.addEventListener("keydown", (event) => { if (event.key === "Enter") form.requestSubmit(); });
  }
  // Print buttons (the health check): hidden until this script can make them work.
  for (const button of document.querySelectorAll("button[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
  // One-time links (people pages): a Copy button, and selecting the whole link on focus.
  for (const field of document.querySelectorAll("input[data-select-on-focus]")) {
    field.addEventListener("focus", () => field.select());
  }
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const field = document.getElementById(button.dataset.copy);
    if (!field) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
      } catch {
        document.execCommand("copy"); // plain-HTTP consoles have no clipboard API
      }
      button.textContent = button.dataset.copied || "Copied";
    });
  }
});
// The report form: the priority and impact class as the choices change (the matrix comes from
// the server in data-matrix), and possible duplicates while the title is typed (a fragment
// from data-similar). Without this script, the Preview button shows both.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-matrix]");
  if (!form) return;
  let matrix;
  try { matrix = JSON.parse(form.dataset.matrix); } catch { return; }
  const priority = document.getElementById("outcome-priority");
  const impact = document.getElementById("outcome-impact");
  const hint = document.getElementById("outcome-hint");
  const chosen = (name) => (form.querySelector(`input[name="${name}"]:checked`) || {}).value;
  const show = () => {
    const scope = chosen("impact_scope");
    const urgency = chosen("urgency");
    const p = scope && urgency && matrix.priority[scope] ? matrix.priority[scope][urgency] : null;
    const c = urgency ? matrix.impact_class[urgency] : null;
    const label = c ? form.querySelector(`[data-impact-label="${c}"]`) : null;
    if (priority) priority.textContent = p || "—";
    if (impact) impact.textContent = p && label ? label.textContent : "—";
    if (hint) hint.hidden = Boolean(p);
  };
  form.addEventListener("change", show);
  show();
  const title = form.querySelector('input[name="title"]');
  const region = document.getElementById("duplicates");
  if (!title || !region || !form.dataset.similar) return;
  let timer = null;
  let asked = title.value.trim();
  title.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const text = title.value.trim();
      if (text === asked) return;
      asked = text;
      if (text.length < 3) { region.textContent = ""; return; }
      try {
        const answer = await fetch(`${form.dataset.similar}?title=${encodeURIComponent(text)}`, {
          credentials: "same-origin", headers: { Accept: "text/html" },
        });
        if (answer.ok && asked === text) region.innerHTML = await answer.text();
      } catch { /* advisory only: the Preview button still lists them */ }
    }, 400);
  });
});
// The work queue (/console/queue): keyboard shortcuts, listed on the page. j/k move between
// issues, x ticks one, o opens it, a / t assign or triage the ticked ones (or go to the field
// still to choose), / goes to the tabs, ? to the list. Without this script: Tab and Space.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("queue-form");
  if (!form) return;
  const rows = Array.from(form.querySelectorAll("#queue-table tbody tr[data-key]"));
  let current = -1;
  const move = (to) => {
    if (!rows.length) return;
    if (current >= 0) rows[current].classList.remove("current");
    current = Math.max(0, Math.min(rows.length - 1, to));
    rows[current].classList.add("current");
    const box = rows[current].querySelector('input[name="keys"]');
    if (box) box.focus();
    rows[current].scrollIntoView({ block: "nearest" });
  };
  const ticked = () => form.querySelectorAll('input[name="keys"]:checked').length > 0;
  const value = (id) => (document.getElementById(id) || {}).value;
  const press = (action, ready, field) => {
    const button = form.querySelector(`button[data-action="${action}"]`);
    if (button && ready && ticked()) form.requestSubmit(button);
    else if (document.getElementById(field)) document.getElementById(field).focus();
  };
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const typing = target instanceof HTMLElement && (target.isContentEditable ||
      ["TEXTAREA", "SELECT"].includes(target.tagName) ||
      (target.tagName === "INPUT" && target.type !== "checkbox"));
    if (typing) return;
    const row = current >= 0 ? rows[current] : null;
    switch (event.key) {
      case "j": move(current + 1); break;
      case "k": move(current < 0 ? 0 : current - 1); break;
      case "x": {
        if (!row) { move(0); if (current < 0) return; }
        const box = rows[current].querySelector('input[name="keys"]');
        if (box) box.checked = !box.checked;
        break;
      }
      case "o": {
        const link = row && row.querySelector("th a");
        if (link) link.click();
        break;
      }
      case "a": press("assign", Boolean(value("q-assignee")), "q-assignee"); break;
      case "t": press("triage", Boolean(value("q-impact_scope") && value("q-urgency")), "q-impact_scope"); break;
      case "/": {
        const tab = document.querySelector('#queue-tabs a[aria-current="page"]') || document.querySelector("#queue-tabs a");
        if (tab) tab.focus();
        break;
      }
      case "?": {
        const list = document.getElementById("queue-shortcuts");
        if (list) { list.setAttribute("tabindex", "-1"); list.focus(); }
        break;
      }
      default: return;
    }
    event.preventDefault();
  });
});
