// Keyboard access to code and outputs that scroll, including those inside a dropdown (a
// hidden cell, an exercise's solution) that the reader opens after the page has loaded.
// The theme gives scrollable blocks a tab stop only at load time and when nodes are
// added, so a block revealed later would scroll for mouse users only (axe-core:
// scrollable-region-focusable).
(() => {
  const selector = "pre, .cell_output > .output, .pst-scrollable-table-container";
  const update = () => {
    document.querySelectorAll(selector).forEach((el) => {
      if (!el.getClientRects().length) return; // not shown yet: done when it is
      const scrolls = el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight;
      el.tabIndex = scrolls ? 0 : -1;
    });
  };
  const soon = () => setTimeout(update, 50);
  document.addEventListener("toggle", soon, true); // <details> opened or closed
  document.addEventListener("click", (event) => {
    if (event.target.closest(".toggle-button, .admonition-title, summary")) soon();
  }, true);
  window.addEventListener("load", soon);
})();
