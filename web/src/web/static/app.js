// Progressive enhancement only: every page works without this file.
// NHS.UK frontend components (header menu, error summary focus, checkboxes, buttons).
import { initAll } from "/vendor/nhsuk/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();

// Keep the details of the framework tree open after htmx swaps in a filtered tree.
document.addEventListener("htmx:after:swap", (event) => {
  const target = event.target;
  if (target && target.id === "search-results") {
    target.setAttribute("aria-busy", "false");
  }
});
