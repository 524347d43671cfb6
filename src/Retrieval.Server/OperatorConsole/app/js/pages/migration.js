// One migration: the phase timeline with its events, live progress (native / derived / missing, rate, ETA), the
// mixed-search share over time, the map's report and calibration, and every action behind a confirmation.
import { get, post, paths } from '../api.js';
import { h, replace, card, fmt, act, notice, confirmDialog, field, select, parseJson, table } from '../ui.js';
import { chart, axisTitle, palette } from '../charts.js';
import { reportFigures, gateMetrics } from '../maps-common.js';
import { calibrationPlot } from '../calibration.js';
import { BackfillRate, mixedSearchShare } from '../migration-live.js';
import { progressBar } from './migrations.js';

const timeline = ['PLANNED', 'FITTED', 'EVALUATED', 'ACTIVE', 'BACKFILLING', 'CUT_OVER', 'RETIRED'];
const phaseName = (p) => (!p || p === 'MIGRATION_PHASE_UNSPECIFIED' ? '–' : fmt.enumName(p, 'MIGRATION_PHASE_'));
const short = (p) => (p ?? '').replace('MIGRATION_PHASE_', '');

function timelineView(m) {
  const current = short(m.phase);
  const reached = new Set((m.events ?? []).map((e) => short(e.toPhase)));
  const shown = current === 'PAUSED' ? timeline.map((p) => (p === 'BACKFILLING' ? 'PAUSED' : p)) : timeline;
  return h('div', {},
    h('ol', { class: 'timeline', 'data-testid': 'timeline' },
      shown.map((p) => h('li', { class: p === current ? 'current' : reached.has(p) ? 'done' : '' }, phaseName(`MIGRATION_PHASE_${p}`))),
      current === 'ROLLED_BACK' ? h('li', { class: 'current bad' }, 'rolled back') : null),
    table(['When', 'From → to', 'Who', 'Note'], (m.events ?? []).map((e) => [
      fmt.time(e.at), `${phaseName(e.fromPhase)} → ${phaseName(e.toPhase)}`, e.actor, e.note ?? '']), { 'data-testid': 'events' }));
}

function progressView(m, rate) {
  const p = m.progress ?? {};
  const total = Number(p.totalItems ?? 0);
  const native = Number(p.nativeItems ?? 0);
  const left = Math.max(0, total - native);
  const eta = rate > 0 ? left / rate : undefined;
  const stat = (label, value, testId) => h('div', { class: 'stat' }, h('div', { class: 'label' }, label), h('div', { class: 'value', 'data-testid': testId }, value));
  return h('div', {},
    h('div', { class: 'stats' },
      stat('Native', fmt.int(p.nativeItems), 'native-items'),
      stat('Derived', fmt.int(p.derivedItems), 'derived-items'),
      stat('Missing', fmt.int(p.missingNewItems), 'missing-items'),
      stat('Total', fmt.int(total), 'total-items'),
      stat('Fraction native', fmt.pct(p.fraction ?? 0), 'fraction'),
      stat('Items per second', rate === undefined ? '–' : rate.toFixed(1), 'rate'),
      stat('ETA', left === 0 ? 'done' : fmt.duration(eta), 'eta')),
    progressBar(p),
    h('div', { class: 'legend small' },
      h('span', { class: 'swatch native' }), 'native ', h('span', { class: 'swatch derived' }), 'derived ', h('span', { class: 'swatch missing' }), 'missing'),
    h('p', { class: 'small muted' },
      `backfilled ${fmt.int(m.backfilled)} · mapped on write ${fmt.int(m.mappedOnWrite)} · derived on write ${fmt.int(m.derivedOnWrite)}`,
      p.leftForClientItems ? ` · ${fmt.int(p.leftForClientItems)} left for the client to backfill` : '',
      m.clientCheckpoint ? ` · client checkpoint ${m.clientCheckpoint}` : ''));
}

function shareChart(lifetime) {
  const plot = chart(lifetime, {
    type: 'line',
    data: {
      labels: [],
      datasets: [
        { label: 'native share of mixed-search hits', data: [], borderColor: palette.native, backgroundColor: `${palette.native}55`, fill: 'origin' },
        { label: 'mapped share', data: [], borderColor: palette.mapped, backgroundColor: `${palette.mapped}55`, fill: '-1' },
      ],
    },
    options: { scales: { y: { min: 0, max: 1, stacked: true, title: axisTitle('share of hits') }, x: { title: axisTitle('time') } } },
  }, { 'data-testid': 'share-plot' });
  const update = (points) => {
    // Not drawn yet, or no longer on the page (a refresh that outlived its page): nothing to update.
    const instance = plot.instance;
    if (!instance || !instance.canvas || !plot.element.isConnected) {
      return;
    }
    instance.data.labels = points.map((p) => p.at.toLocaleTimeString('en-GB', { hour12: false }));
    instance.data.datasets[0].data = points.map((p) => p.nativeShare);
    instance.data.datasets[1].data = points.map((p) => 1 - p.nativeShare);
    instance.update('none');
  };
  return { element: plot.element, update };
}

/** The transitions as buttons: each enabled in the phases that allow it, each behind a confirmation. */
function actionButtons(m, reload, cutoverBox) {
  const phase = short(m.phase);
  const missing = Number(m.progress?.missingNewItems ?? 0);
  const gateFailed = m.evaluation?.gate === 'GATE_OUTCOME_FAILED';
  const base = paths.migration(m.collection, m.id);
  const run = (button, label, verb, body = {}) => act(button, label, async () => {
    await post(`${base}:${verb}`, { actor: 'console', ...body });
    notice(`${label}: done`);
    await reload();
  });
  const button = (label, verb, phases, confirmation, options = {}) => h('button', {
    type: 'button',
    class: options.class ?? '',
    'data-testid': `action-${verb}`,
    disabled: !phases.includes(phase) || options.disabled,
    title: options.title,
    onclick: async (event) => {
      const target = event.target;
      const c = typeof confirmation === 'function' ? confirmation() : confirmation;
      if (await confirmDialog({ confirmLabel: label, ...c })) {
        await run(target, label.toLowerCase(), verb, options.body?.() ?? {});
      }
    },
  }, label);
  const rateInput = h('input', { name: 'itemsPerSecond', type: 'number', min: 0, step: 'any', placeholder: `${m.settings?.itemsPerSecond ?? 0}`, 'aria-label': 'items per second' });
  return h('div', { class: 'stack' },
    h('div', { class: 'actions wrap' },
      button('Fit', 'fit', ['PLANNED', 'FITTED', 'EVALUATED'], { title: `Fit ${m.id}?`, message: `Fits the ${m.toSpace} → ${m.fromSpace} map, its inverse and the score calibration on the items holding both spaces.` }),
      button('Activate', 'activate', ['FITTED', 'EVALUATED'], () => ({
        title: `Activate ${m.id}?`,
        message: `Searches of ${m.toSpace} become mixed: items without a ${m.toSpace} vector are found through the map.`,
        warning: gateFailed ? `The compatibility gate failed: ${m.evaluation.gateReason}. Activating forces past it.` : null,
        danger: gateFailed,
      }), { body: () => ({ force: gateFailed }), class: gateFailed ? 'danger' : 'primary' }),
      h('span', { class: 'inline-field' }, button('Backfill', 'backfill', ['ACTIVE'], { title: `Start the backfill of ${m.id}?`, message: 'New vectors are accepted (and re-encoded on the server when the migration has an encoder).' },
        { body: () => { const r = rateInput.value.trim(); return r === '' ? {} : { itemsPerSecond: Number(r) }; } }), rateInput, h('span', { class: 'small muted' }, 'items/s')),
      button('Pause', 'pause', ['BACKFILLING'], { title: `Pause ${m.id}?`, message: 'The server-side backfill stops until resumed.' }),
      button('Resume', 'resume', ['PAUSED'], { title: `Resume ${m.id}?`, message: 'The backfill goes on from its cursor.' }),
      button('Cut over', 'cutover', ['ACTIVE', 'BACKFILLING', 'PAUSED'], { title: `Cut over to ${m.toSpace}?`, message: `${m.toSpace} becomes the default space. Old vectors stay until retire; rollback is still possible.` },
        { disabled: missing > 0, class: 'primary', title: missing > 0 ? `${missing} items lack a ${m.toSpace} vector` : undefined }),
      button('Roll back', 'rollback', ['PLANNED', 'FITTED', 'EVALUATED', 'ACTIVE', 'BACKFILLING', 'PAUSED', 'CUT_OVER'], { title: `Roll back ${m.id}?`, message: 'The collection returns to its behaviour before the migration; vectors written meanwhile are kept.', danger: true }, { class: 'danger' }),
      button('Retire', 'retire', ['CUT_OVER'], { title: `Retire ${m.id}?`, message: `Deletes the old space ${m.fromSpace} with its vectors and index. This cannot be undone.`, typed: m.id, danger: true }, { class: 'danger' })),
    cutoverBox);
}

function cutoverNote(m) {
  const missing = Number(m.progress?.missingNewItems ?? 0);
  return missing > 0 && ['ACTIVE', 'BACKFILLING', 'PAUSED'].includes(short(m.phase))
    ? h('p', { class: 'warning small', 'data-testid': 'cutover-blocked' }, `Cut over is disabled: ${fmt.int(missing)} items lack a ${m.toSpace} vector.`)
    : null;
}

function evaluateForm(m, reload) {
  const text = h('textarea', { name: 'evaluation', rows: 3, 'data-testid': 'evaluation-json', placeholder: '{"queries":[{"newVector":{"values":[…]},"oldVector":{"values":[…]},"relevantIds":["a"]}]}' });
  const file = h('input', { type: 'file', accept: '.json,application/json', 'data-testid': 'evaluation-file' });
  file.addEventListener('change', async () => { if (file.files.length) { text.value = await file.files[0].text(); } });
  const form = h('form', { class: 'stack', 'data-testid': 'evaluate' },
    h('div', { class: 'row' }, field('Evaluation set file', file), field('Gate metric', select('gateMetric', gateMetrics, 'GATE_METRIC_RECALL_AT_10'))), text,
    h('div', {}, h('button', { type: 'submit' }, 'Evaluate')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await act(event.submitter, 'evaluate', async () => {
      const evaluation = parseJson(text.value, 'the evaluation set');
      if (!await confirmDialog({ title: `Evaluate ${m.id}?`, message: 'Measures the map on these queries; activation honours the gate.', confirmLabel: 'Evaluate' })) {
        return;
      }
      await post(paths.migration(m.collection, m.id, 'evaluate'), { actor: 'console', evaluation, gateMetric: form.elements.gateMetric.value });
      await reload();
    });
  });
  return form;
}

/** Client backfill from a file of {"vectors":[{"id","vector":{"values"}}]}, in batches with a checkpoint each. */
function backfillForm(m, reload) {
  const file = h('input', { type: 'file', accept: '.json,application/json', 'data-testid': 'backfill-file' });
  const result = h('span', { class: 'muted', 'data-testid': 'backfill-result' });
  const form = h('form', { class: 'row' }, field(`New vectors (${m.toSpace}) file`, file), h('div', { class: 'field' }, h('span', {}, '\u00a0'), h('button', { type: 'submit' }, 'Send vectors')), result);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await act(event.submitter, 'backfill vectors', async () => {
      if (file.files.length === 0) {
        throw new Error('choose a file of {"vectors":[{"id":…,"vector":{"values":[…]}}]}');
      }
      const parsed = parseJson(await file.files[0].text(), 'the vectors file');
      const vectors = Array.isArray(parsed) ? parsed : parsed.vectors;
      let accepted = 0;
      for (let start = 0; start < vectors.length; start += 1000) {
        const batch = vectors.slice(start, start + 1000);
        const answer = await post(paths.migration(m.collection, m.id, 'backfillVectors'), { vectors: batch, checkpoint: `${file.files[0].name}#${start + batch.length}` });
        accepted += Number(answer.accepted ?? 0);
        result.textContent = `${fmt.int(accepted)} of ${fmt.int(vectors.length)} accepted`;
      }
      await reload();
    });
  });
  return form;
}

export async function render(root, { params: [collection, id], lifetime }) {
  const header = h('div', {});
  const timelineBox = h('div', {});
  const progressBox = h('div', { 'data-testid': 'progress' });
  const actionsBox = h('div', {});
  const cutoverBox = h('div', {});
  const reportBox = h('div', {});
  const forms = h('div', {});
  const share = shareChart(lifetime);
  const shareNote = h('p', { class: 'small muted' }, 'Share of the hits of mixed searches (searches of the new space while the migration is active) answered by native vectors against mapped ones, per refresh.');
  const rate = new BackfillRate();
  const mixed = mixedSearchShare(collection);
  let shapeKey = '';
  let actionsShape = '';
  let reportLifetime = null;

  const reload = lifetime.serialized(async () => {
    const m = await get(paths.migration(collection, id));
    const currentRate = rate.add(m.progress?.nativeItems);
    replace(header, h('h1', {}, `Migration ${m.id}`),
      h('p', {}, h('a', { href: `#/migrations?collection=${encodeURIComponent(collection)}` }, `← migrations of ${collection}`), ' · ',
        `${m.fromSpace} → ${m.toSpace} · `, h('span', { class: 'tag', 'data-testid': 'phase' }, phaseName(m.phase)),
        m.mapId ? [' · map ', h('a', { href: `#/maps/${encodeURIComponent(collection)}/${encodeURIComponent(m.mapId)}` }, m.mapId)] : null,
        m.encoder ? ` · encoder ${m.encoder}` : '', ` · last change by ${m.changedBy || '–'} at ${fmt.time(m.updatedAt)}`));
    replace(timelineBox, timelineView(m));
    replace(progressBox, progressView(m, currentRate));
    share.update(await mixed.poll());
    replace(cutoverBox, cutoverNote(m));
    // Actions follow the phase and whether cut over is allowed; forms and the report follow the phase and the map.
    const missing = Number(m.progress?.missingNewItems ?? 0) > 0;
    const actionsKey = `${m.phase}|${missing}|${m.evaluation?.gate}`;
    if (actionsKey !== actionsShape) {
      actionsShape = actionsKey;
      replace(actionsBox, actionButtons(m, reload, cutoverBox));
    }
    const key = `${m.phase}|${m.mapId}|${m.evaluation?.gate}`;
    if (key !== shapeKey) {
      shapeKey = key;
      replace(forms,
        ['FITTED', 'EVALUATED'].includes(short(m.phase)) ? card('Evaluate', evaluateForm(m, reload)) : null,
        ['BACKFILLING'].includes(short(m.phase)) ? card('Backfill vectors from a file', backfillForm(m, reload)) : null);
      const map = m.mapId ? await get(paths.map(collection, m.mapId)) : null;
      // The new report is built first, then the previous one's charts end while still on the page (Chart.js resizes a
      // chart that leaves the page; ending it after would resize a destroyed chart), then the new one takes its place,
      // all in one go so nothing blank is painted between.
      const previous = reportLifetime;
      reportLifetime = lifetime.part();
      const report = [
        map?.report ? card('Map report', reportFigures(m.evaluation ?? map.report)) : null,
        map ? card('Score calibration', calibrationPlot(reportLifetime, m, map.state)) : null];
      previous?.end();
      replace(reportBox, report);
    }
  });

  replace(root, header,
    card('Phase', timelineBox),
    card('Progress (live)', progressBox),
    card('Mixed search: native against mapped', share.element, shareNote),
    card('Actions', actionsBox),
    forms,
    reportBox);
  await lifetime.every(1000, reload);
}
