// Plots through Chart.js (loaded from vendor/ by index.html as the global `Chart`). Each chart is destroyed when
// its page ends, and updated in place when a live page refreshes.
import { h } from './ui.js';

const palette = {
  native: '#2f7d4f',
  mapped: '#c9781c',
  old: '#5b6b8c',
  accent: '#3b6fd8',
  muted: '#9aa3b2',
  bad: '#c43d3d',
};
export { palette };

function chartLibrary() {
  if (typeof window.Chart !== 'function') {
    throw new Error('the charting library is missing (vendor/chart.umd.min.js): build the server with ./build.sh');
  }
  return window.Chart;
}

/**
 * A canvas in a sized box, and the chart drawn on it; `config` is a Chart.js configuration. The caller puts `element`
 * on the page in the same synchronous step; the chart is drawn right after (a microtask), on the attached canvas:
 * Chart.js sizes a responsive chart from its container and resizes one made detached when it is attached, which,
 * if the chart has been destroyed meanwhile, fails. `instance` is null until then.
 */
export function chart(lifetime, config, attributes = {}) {
  const Chart = chartLibrary();
  const canvas = h('canvas', {});
  const box = h('div', { class: 'chart', ...attributes }, canvas);
  const handle = { element: box, instance: null };
  queueMicrotask(() => {
    if (lifetime.ended) {
      return;
    }
    handle.instance = new Chart(canvas, {
      ...config,
      options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options },
    });
    lifetime.onEnd(() => handle.instance.destroy());
  });
  return handle;
}

export function axisTitle(text) {
  return { display: true, text };
}
