// Maps of a collection: the list, the fit form, and recall against the number of anchors across fits.
import { get, post, paths } from '../api.js';
import { h, replace, card, fmt, act, notice, field, select, optionalNumber, parseJson, table } from '../ui.js';
import { chart, axisTitle, palette } from '../charts.js';
import { collectionChoice, collectionSelector } from '../spaces.js';
import { mapKinds, gateMetrics, gateBadge } from '../maps-common.js';

function fitForm(collection, spaceNames) {
  const evaluation = h('textarea', { name: 'evaluation', rows: 3, placeholder: '{"queries":[{"newVector":{"values":[…]},"oldVector":{"values":[…]},"relevantIds":["a"]}]}' });
  const form = h('form', { class: 'stack', 'data-testid': 'fit-map' },
    h('div', { class: 'row' },
      field('From (new) space', select('fromSpace', spaceNames, spaceNames[1] ?? spaceNames[0])),
      field('To (old) space', select('toSpace', spaceNames, spaceNames[0])),
      field('Kind', select('kind', mapKinds, 'MAP_KIND_ORTHOGONAL')),
      field('Max anchors (0: all)', h('input', { name: 'maxAnchors', type: 'number', min: 0, value: '0' })),
      field('Held-out fraction', h('input', { name: 'heldOutFraction', type: 'number', step: 'any', min: 0, max: 0.99, placeholder: '0.2' })),
      field('λ (λ-orthogonal)', h('input', { name: 'lambda', type: 'number', step: 'any', placeholder: '1' })),
      field('α (affine)', h('input', { name: 'alpha', type: 'number', step: 'any', placeholder: '0.001' })),
      field('Seed', h('input', { name: 'seed', type: 'number', placeholder: '1' })),
      field('Gate metric', select('gateMetric', gateMetrics, 'GATE_METRIC_RECALL_AT_10'))),
    field('Evaluation set (optional JSON)', evaluation),
    h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Fit map')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const fitted = await act(event.submitter, 'fit map', () => {
      const body = {
        fromSpace: form.elements.fromSpace.value,
        toSpace: form.elements.toSpace.value,
        kind: form.elements.kind.value,
        maxAnchors: optionalNumber(form, 'maxAnchors') ?? 0,
        heldOutFraction: optionalNumber(form, 'heldOutFraction'),
        lambda: optionalNumber(form, 'lambda'),
        alpha: optionalNumber(form, 'alpha'),
        seed: optionalNumber(form, 'seed'),
        gateMetric: form.elements.gateMetric.value,
      };
      if (evaluation.value.trim()) {
        body.evaluation = parseJson(evaluation.value, 'the evaluation set');
      }
      return post(paths.fitMap(collection), body);
    });
    if (fitted) {
      notice(`map ${fitted.map.id} fitted`);
      location.hash = `#/maps/${encodeURIComponent(collection)}/${encodeURIComponent(fitted.map.id)}`;
    }
  });
  return form;
}

/** Held-out recall@1 and @10 (and evaluation recall@10 where measured) against fit anchors, one series per space pair. */
function anchorsPlot(lifetime, maps) {
  const pairs = new Map();
  for (const m of maps) {
    const key = `${m.fromSpace}→${m.toSpace}`;
    pairs.set(key, [...(pairs.get(key) ?? []), m]);
  }
  const plotted = [...pairs.entries()].filter(([, list]) => new Set(list.map((m) => m.report?.fitAnchors)).size > 1);
  if (plotted.length === 0) {
    return h('p', { class: 'muted' }, 'Fit the same pair of spaces with several anchor counts (Max anchors) to see recall against anchors.');
  }
  const colors = [palette.accent, palette.mapped, palette.native, palette.old];
  const datasets = plotted.flatMap(([key, list], i) => {
    const sorted = [...list].sort((a, b) => (a.report?.fitAnchors ?? 0) - (b.report?.fitAnchors ?? 0));
    const color = colors[i % colors.length];
    const series = [
      ['identificationRecallAt1', 'held-out identification recall@1', []],
      ['identificationRecallAt10', 'held-out identification recall@10', [2, 3]],
    ].map(([field, label, dash]) => ({
      label: `${key} ${label}`,
      data: sorted.map((m) => ({ x: m.report?.fitAnchors ?? 0, y: m.report?.[field] ?? 0 })),
      borderColor: color, backgroundColor: color, borderDash: dash, showLine: true,
    }));
    const evaluated = sorted.filter((m) => m.report?.evaluation?.newToOldMapped);
    if (evaluated.length > 0) {
      series.push({
        label: `${key} evaluation recall@10 (mapped)`,
        data: evaluated.map((m) => ({ x: m.report.fitAnchors, y: m.report.evaluation.newToOldMapped.recallAt10 ?? 0 })),
        borderColor: palette.mapped, backgroundColor: palette.mapped, borderDash: [6, 4], showLine: true,
      });
    }
    return series;
  });
  return chart(lifetime, {
    type: 'scatter',
    data: { datasets },
    options: {
      scales: { x: { title: axisTitle('anchors used for the fit') }, y: { min: 0, max: 1, title: axisTitle('recall') } },
    },
  }, { 'data-testid': 'anchors-plot' }).element;
}

export async function render(root, { query, lifetime }) {
  const { names, chosen, collections } = await collectionChoice(query);
  if (!chosen) {
    replace(root, h('h1', {}, 'Maps'), h('p', {}, 'No collections yet. ', h('a', { href: '#/collections' }, 'Create one')));
    return;
  }
  const collection = collections.find((c) => c.name === chosen);
  const spaceNames = (collection.spaces ?? []).filter((s) => s.kind !== 'SPACE_KIND_MULTI').map((s) => s.name);
  const { maps = [] } = await get(paths.maps(chosen));
  const link = (m) => h('a', { href: `#/maps/${encodeURIComponent(chosen)}/${encodeURIComponent(m.id)}` }, m.id);
  replace(root,
    h('h1', {}, 'Maps'),
    collectionSelector(names, chosen, '#/maps'),
    card('Maps', table(['Id', 'From → to', 'Kind', 'State', 'Anchors', 'Recall@10 (held out)', 'Gate', 'Created'],
      maps.map((m) => [link(m), `${m.fromSpace} → ${m.toSpace}`, fmt.enumName(m.kind, 'MAP_KIND_'), fmt.enumName(m.state, 'MAP_STATE_'),
        fmt.int(m.report?.fitAnchors), fmt.pct(m.report?.identificationRecallAt10), gateBadge(m.report), fmt.time(m.createdAt)]),
      { 'data-testid': 'maps' })),
    card('Recall against the number of anchors', anchorsPlot(lifetime, maps)),
    card('Fit a map', spaceNames.length < 2
      ? h('p', { class: 'muted' }, 'A map joins two spaces: add the new model\'s space to the collection first.')
      : fitForm(chosen, spaceNames)));
}
