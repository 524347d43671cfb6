// The score-calibration scatter: for sample queries, the score a hit gets through the map (the new-space query
// mapped into the old space, searched there) against the score its own new-space vector gives (native), with the
// migration's fitted line native ≈ scale · mapped + offset. Everything comes from the public API: a search with
// targetSpace routed through the active map, and the hits' stored new-space vectors. As in the server's fit, the
// queries are items holding both spaces and a query's own item is left out (real queries are not gallery items).
import { get, post, paths } from './api.js';
import { h, fmt, replace, showError } from './ui.js';
import { chart, axisTitle, palette } from './charts.js';

const sampleQueries = 12;
const hitsPerQuery = 20;

function similarity(metric, a, b) {
  let dot = 0;
  let distance = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    distance += (a[i] - b[i]) ** 2;
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (metric === 'METRIC_L2') {
    return -distance;
  }
  if (metric === 'METRIC_COSINE') {
    return dot / Math.sqrt(na * nb);
  }
  return dot;
}

async function samplePairs(lifetime, collectionName, fromSpace, toSpace) {
  const collection = await get(paths.collection(collectionName));
  const metric = (collection.spaces ?? []).find((s) => s.name === fromSpace)?.metric;
  const { items = [] } = await post(paths.items(collectionName, 'scroll'), { limit: 200, withVectors: true });
  const queries = items.filter((i) => i.vectors?.[fromSpace]?.values?.length && i.vectors?.[toSpace]?.values?.length).slice(0, sampleQueries);
  const points = [];
  for (const q of queries) {
    if (lifetime.ended) {
      break;
    }
    const query = q.vectors[fromSpace].values;
    const { hits = [] } = await post(paths.search(collectionName), {
      space: fromSpace, targetSpace: toSpace, vector: { values: query }, k: hitsPerQuery,
    });
    const { items: hitItems = [] } = await post(paths.items(collectionName, 'get'), { ids: hits.map((x) => x.id), withVectors: true });
    const byId = new Map(hitItems.map((i) => [i.id, i]));
    for (const hit of hits.filter((x) => x.id !== q.id)) {
      const native = byId.get(hit.id)?.vectors?.[fromSpace]?.values;
      if (native?.length) {
        points.push({ x: hit.score ?? 0, y: similarity(metric, query, native) });
      }
    }
  }
  return points;
}

/**
 * The scatter for a migration's map. Needs the map active (the search routes through it) and the migration's
 * calibration; otherwise says why there is no plot. Returns at once; the plot appears when its searches are done.
 */
export function calibrationPlot(lifetime, migration, mapState) {
  const c = migration.calibration;
  if (!c || !c.pairs) {
    return h('p', { class: 'muted' }, 'No calibration yet: it is fitted with the migration\'s map.');
  }
  const caption = h('p', { class: 'small', 'data-testid': 'calibration' },
    `native ≈ ${fmt.num(c.scale, 4)} · mapped + ${fmt.num(c.offset ?? 0, 4)} · r = ${fmt.num(c.correlation ?? 0)} over ${fmt.int(c.pairs)} pairs`);
  // Searches route through the map while it is active and both spaces exist: not after retire (the old space is
  // gone) or rollback.
  if (mapState !== 'MAP_STATE_ACTIVE' || ['MIGRATION_PHASE_RETIRED', 'MIGRATION_PHASE_ROLLED_BACK'].includes(migration.phase)) {
    return h('div', {}, caption, h('p', { class: 'muted' }, 'The scatter samples searches through the map: it is drawn while the migration\'s map is active.'));
  }
  const body = h('div', {}, h('p', { class: 'muted small' }, 'Sampling searches through the map…'));
  drawWhenSampled(lifetime, migration, c, body);
  return h('div', {}, caption, body);
}

async function drawWhenSampled(lifetime, migration, c, body) {
  let points;
  try {
    points = await samplePairs(lifetime, migration.collection, migration.toSpace, migration.fromSpace);
  } catch (e) {
    // The operator may have moved the migration on meanwhile (retire deletes the old space, rollback ends the map's
    // routing): then the sample is obsolete, not an error, and the report that asked for it is being replaced.
    const now = await get(paths.migration(migration.collection, migration.id)).catch(() => migration);
    if (lifetime.ended || now.phase !== migration.phase) {
      replace(body, h('p', { class: 'muted small' }, 'The migration moved on; the scatter is redrawn with the report.'));
      return;
    }
    replace(body, h('p', { class: 'warning small' }, `The scatter could not be sampled: ${e.message}`));
    showError(e, 'calibration scatter');
    return;
  }
  if (lifetime.ended) {
    return;
  }
  if (points.length === 0) {
    replace(body, h('p', { class: 'muted' }, 'No items hold vectors in both spaces yet.'));
    return;
  }
  const xs = points.map((p) => p.x);
  const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
  const line = [lo, hi].map((x) => ({ x, y: c.scale * x + (c.offset ?? 0) }));
  replace(body, chart(lifetime, {
    type: 'scatter',
    data: {
      datasets: [
        { label: 'sampled hits (mapped score, native score)', data: points, backgroundColor: `${palette.mapped}99`, pointRadius: 3 },
        { label: 'fitted calibration', data: line, type: 'line', borderColor: palette.accent, borderWidth: 2, pointRadius: 0 },
      ],
    },
    options: { scales: { x: { title: axisTitle('score through the map (old space)') }, y: { title: axisTitle('native score (new space)') } } },
  }, { 'data-testid': 'calibration-plot' }).element);
}
