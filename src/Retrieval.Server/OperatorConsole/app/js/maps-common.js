// Map kinds and report figures shared by the maps list, the map report and the migration page.
import { h, fmt } from './ui.js';

export const mapKinds = [
  ['MAP_KIND_ORTHOGONAL', 'orthogonal (Procrustes)'],
  ['MAP_KIND_CANONICAL_Q', 'canonical Q (centred Procrustes)'],
  ['MAP_KIND_AFFINE', 'affine (ridge, α)'],
  ['MAP_KIND_LAMBDA_ORTHOGONAL', 'λ-orthogonal'],
  ['MAP_KIND_ORTHOGONAL_EXTEND', 'orthogonal extend'],
  ['MAP_KIND_RESIDUAL_MLP', 'residual MLP'],
  ['MAP_KIND_RANKING_ADAPTER', 'ranking adapter (InfoNCE)'],
];

export const gateMetrics = [
  ['GATE_METRIC_RECALL_AT_10', 'recall@10'],
  ['GATE_METRIC_RECALL_AT_1', 'recall@1'],
  ['GATE_METRIC_MAP_AT_10', 'mAP@10'],
];

export function gateBadge(report) {
  const gate = report?.gate ?? 'GATE_OUTCOME_NOT_EVALUATED';
  const css = { GATE_OUTCOME_PASSED: 'ok', GATE_OUTCOME_FAILED: 'bad' }[gate] ?? 'neutral';
  return h('span', { class: `badge ${css}`, 'data-testid': 'gate' }, fmt.enumName(gate, 'GATE_OUTCOME_'));
}

/** The report's headline figures: held-out identification recall, mean cosine, the gate and its sentence. */
export function reportFigures(report) {
  const figure = (label, value, testId) => h('div', { class: 'stat' }, h('div', { class: 'label' }, label), h('div', { class: 'value', 'data-testid': testId }, value));
  return h('div', {},
    h('div', { class: 'stats' },
      figure('Identification recall@1 (held out)', fmt.pct(report.identificationRecallAt1), 'recall-at-1'),
      figure('Identification recall@10 (held out)', fmt.pct(report.identificationRecallAt10), 'recall-at-10'),
      figure('Mean cosine (held out)', fmt.num(report.meanCosine), 'mean-cosine'),
      figure('Orthogonality error', fmt.num(report.orthogonalityError ?? 0), 'orthogonality'),
      figure('Anchors fit / held out', `${fmt.int(report.fitAnchors)} / ${fmt.int(report.heldOutAnchors)}`, 'anchors'),
      h('div', { class: 'stat' }, h('div', { class: 'label' }, `Gate (${fmt.enumName(report.gateMetric, 'GATE_METRIC_')})`), h('div', { class: 'value' }, gateBadge(report)))),
    report.gateReason ? h('p', { class: 'gate-reason', 'data-testid': 'gate-reason' }, report.gateReason) : null,
    (report.warnings ?? []).map((w) => h('p', { class: 'warning small' }, w)));
}
