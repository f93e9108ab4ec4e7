// Small behaviour shared by every page; each page works without it.
"use strict";

// The outcome of the last action is read first: the page scrolls to it and a
// screen reader announces it.
document.addEventListener("DOMContentLoaded", () => {
  const outcome = document.querySelector("[data-focus]");
  if (outcome) {
    outcome.focus({ preventScroll: false });
  }
});
