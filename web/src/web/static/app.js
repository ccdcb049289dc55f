// Progressive enhancement only: every page works without this file.
// NHS.UK frontend components (header menu, error summary focus, checkboxes, buttons).
import { initAll } from "/vendor/nhsuk/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();
