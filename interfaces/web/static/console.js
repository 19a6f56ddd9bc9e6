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
