// Starts the front-end components; a file of our own because the Content-Security-Policy forbids inline script.
import { initAll as initGovuk } from "/static/dist/govuk-frontend.min.js";
import { initAll as initMoj } from "/static/dist/moj-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initGovuk();
initMoj();
