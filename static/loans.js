// The "print the schedule" button of the loan card (no inline script: the CSP forbids it).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
