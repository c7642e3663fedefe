// Starts the front-end components; a file of our own because the Content-Security-Policy forbids inline script.
import { initAll as initGovuk } from "/static/dist/govuk-frontend.min.js";
import { initAll as initMoj } from "/static/dist/moj-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initGovuk();
initMoj();

// Charts: a page carries each Vega-Lite spec as JSON beside an element naming it in data-wp-chart. Vega is loaded
// only on such pages. It runs with its expression interpreter (ast) and no injected styles, because the
// Content-Security-Policy allows neither generated code nor inline styles.
async function drawCharts(containers) {
  for (const library of ["vega", "vega-lite", "vega-embed"]) {
    await import(`/static/dist/${library}.min.js`);
  }
  for (const container of containers) {
    const spec = JSON.parse(document.getElementById(container.dataset.wpChart).textContent);
    await globalThis.vegaEmbed(container, spec, {
      actions: false,
      ast: true,
      defaultStyle: false,
      renderer: "svg",
      tooltip: false,
    });
  }
}

const charts = document.querySelectorAll("[data-wp-chart]");
if (charts.length > 0) {
  drawCharts(charts);
}
