// One map's report: the held-out figures and gate, mapped recall against the unmapped baselines, the score
// calibration of a migration that uses the map, and the activate / retire actions.
import { get, post, paths } from '../api.js';
import { h, replace, card, act, notice, confirmDialog, fmt, table } from '../ui.js';
import { chart, axisTitle, palette } from '../charts.js';
import { reportFigures } from '../maps-common.js';
import { calibrationPlot } from '../calibration.js';

function evaluationPlot(lifetime, evaluation) {
  if (!evaluation) {
    return h('p', { class: 'muted' }, 'Not evaluated: fit with an evaluation set (queries embedded by both models, with their relevant ids) to compare retrieval.');
  }
  const metrics = [['recallAt1', 'recall@1'], ['recallAt10', 'recall@10'], ['mapAt10', 'mAP@10']];
  // Mapped recall between the bar (old → old, today) and the ceiling (new → new, once every item is re-embedded).
  const series = [
    ['oldToOld', 'old → old (today)', palette.old],
    ['newToOldUnmapped', 'new → old, unmapped', palette.muted],
    ['newToOldMapped', 'new → old, mapped', palette.mapped],
    ['newToNew', 'new → new (re-embedded)', palette.native],
  ].filter(([key]) => evaluation[key]);
  return h('div', {},
    h('p', { class: 'small muted' }, `${fmt.int(evaluation.queryCount)} evaluation queries`),
    chart(lifetime, {
      type: 'bar',
      data: {
        labels: metrics.map(([, label]) => label),
        datasets: series.map(([key, label, color]) => ({ label, data: metrics.map(([m]) => evaluation[key][m] ?? 0), backgroundColor: color })),
      },
      options: { scales: { y: { min: 0, max: 1, title: axisTitle('score') } } },
    }, { 'data-testid': 'evaluation-plot' }).element,
    table(['setting', ...metrics.map(([, label]) => label)],
      series.map(([key, label]) => [label, ...metrics.map(([m]) => h('span', { 'data-testid': `score-${key}-${m}` }, fmt.pct(evaluation[key][m] ?? 0)))]),
      { 'data-testid': 'evaluation-scores' }),
    // The server measures new → new only on the same items as old → old, so it is absent while the new space is partly filled.
    evaluation.newToNew ? null : h('p', { class: 'small muted', 'data-testid': 'new-to-new-absent' },
      'new → new not measured: it needs a new vector for every item (after the backfill), so that it ranks the same items as old → old.'));
}

function actions(collection, map, reload) {
  const activate = h('button', {
    type: 'button',
    class: 'primary',
    'data-testid': 'activate-map',
    disabled: map.state === 'MAP_STATE_ACTIVE',
    onclick: async (event) => {
      const failed = map.report?.gate === 'GATE_OUTCOME_FAILED';
      const ok = await confirmDialog({
        title: `Activate ${map.id}?`,
        message: `Queries of ${map.fromSpace} targeting ${map.toSpace} will go through this map; the pair's active map is retired.`,
        warning: failed ? `The gate failed: ${map.report.gateReason}. Activating forces past it.` : null,
        confirmLabel: failed ? 'Force activate' : 'Activate',
        danger: failed,
      });
      if (ok && await act(event.target, 'activate map', () => post(paths.map(collection, map.id, 'activate'), { force: failed }))) {
        notice(`map ${map.id} active`);
        await reload();
      }
    },
  }, 'Activate');
  const retire = h('button', {
    type: 'button',
    'data-testid': 'retire-map',
    disabled: map.state === 'MAP_STATE_RETIRED',
    onclick: async (event) => {
      const ok = await confirmDialog({ title: `Retire ${map.id}?`, message: 'Searches stop routing through it. It can be activated again.', confirmLabel: 'Retire' });
      if (ok && await act(event.target, 'retire map', () => post(paths.map(collection, map.id, 'retire'), {}))) {
        await reload();
      }
    },
  }, 'Retire');
  return h('div', { class: 'actions' }, activate, retire);
}

export async function render(root, { params: [collection, id], lifetime }) {
  let content = null;
  const reload = lifetime.serialized(async () => {
    // The previous build's charts end just before the new page takes their place (see the migration page's report).
    const previous = content;
    content = lifetime.part();
    const [map, { migrations = [] }] = await Promise.all([get(paths.map(collection, id)), get(paths.migrations(collection))]);
    const owner = migrations.find((m) => m.mapId === map.id);
    // A migration's evaluate measures its map and keeps the report with the migration (activation honours that gate).
    const report = !map.report?.evaluation && owner?.evaluation ? owner.evaluation : map.report ?? {};
    const page = [
      h('h1', {}, `Map ${map.id}`),
      h('p', {},
        h('a', { href: `#/maps?collection=${encodeURIComponent(collection)}` }, `← maps of ${collection}`), ' · ',
        `${map.fromSpace} → ${map.toSpace} · ${fmt.enumName(map.kind, 'MAP_KIND_')} · `,
        h('span', { class: 'tag', 'data-testid': 'map-state' }, fmt.enumName(map.state, 'MAP_STATE_')), ' · created ', fmt.time(map.createdAt),
        owner ? [' · migration ', h('a', { href: `#/migrations/${encodeURIComponent(collection)}/${encodeURIComponent(owner.id)}` }, owner.id)] : null),
      card('Report', reportFigures(report)),
      card('Retrieval on the evaluation set', evaluationPlot(content, report.evaluation)),
      card('Score calibration', owner
        ? calibrationPlot(content, owner, map.state)
        : h('p', { class: 'muted' }, 'Score calibration is fitted by a migration; this map belongs to none.')),
      card('Actions', actions(collection, map, reload))];
    previous?.end();
    replace(root, page);
  });
  await reload();
}
