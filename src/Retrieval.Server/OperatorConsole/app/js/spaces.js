// Pieces about spaces shared by the collection pages: the space form and the live index status.
import { get, paths } from './api.js';
import { h, field, select, fmt, stackedBar } from './ui.js';

export const metrics = [['METRIC_COSINE', 'cosine'], ['METRIC_INNER_PRODUCT', 'inner product'], ['METRIC_L2', 'L2']];

/** Inputs of a dense space; names are prefixed so one form can hold several. */
export function spaceFields(prefix = '') {
  return h('div', { class: 'row' },
    field('Space', h('input', { name: `${prefix}name`, required: true, pattern: '[a-z0-9_\\-]{1,64}', placeholder: 'v1' })),
    field('Dimension', h('input', { name: `${prefix}dimension`, type: 'number', min: 1, max: 65536, required: true, placeholder: '384' })),
    field('Metric', select(`${prefix}metric`, metrics, 'METRIC_COSINE')),
    field('Model', h('input', { name: `${prefix}model`, required: true, placeholder: 'minilm' })),
    field('Model version', h('input', { name: `${prefix}modelVersion`, placeholder: '1' })),
    field('Index (empty: exact)', h('input', { name: `${prefix}index`, placeholder: 'HNSW16 or IVF64,Flat' })),
    field('Encoder (optional)', h('input', { name: `${prefix}encoder`, placeholder: 'encoder name' })));
}

export function readSpace(form, prefix = '') {
  const value = (name) => form.elements[`${prefix}${name}`].value.trim();
  const space = {
    name: value('name'),
    dimension: Number(value('dimension')),
    metric: value('metric'),
    model: { name: value('model'), version: value('modelVersion') },
  };
  if (value('index')) {
    space.index = value('index');
  }
  if (value('encoder')) {
    space.encoder = { name: value('encoder') };
  }
  return space;
}

function buildProgress(build, testId) {
  return h('div', { class: 'small', 'data-testid': testId },
    `building ${build.spec}: ${fmt.int(build.done)} / ${fmt.int(build.total)} `,
    stackedBar([{ value: Number(build.done ?? 0), class: 'indexed', label: 'built' },
      { value: Math.max(0, Number(build.total ?? 0) - Number(build.done ?? 0)), class: 'appendable', label: 'left' }]));
}

/** One line per shard of a sharded collection: its indexed and appendable vectors and its own build. */
function shardLines(shards) {
  return h('div', { class: 'shards', 'data-testid': 'shard-statuses' }, shards.map((s) => {
    const indexed = Number(s.indexedVectors ?? 0);
    const appendable = Number(s.appendableVectors ?? 0);
    return h('div', { class: 'shard-line', 'data-shard': s.shard ?? 0 },
      h('span', { class: 'small muted' }, `shard ${s.shard ?? 0}`),
      stackedBar([
        { value: indexed, class: 'indexed', label: 'indexed' },
        { value: appendable, class: 'appendable', label: 'appendable' },
      ], Math.max(Number(s.totalVectors ?? 0), indexed + appendable)),
      h('span', { class: 'small' }, h('span', { 'data-testid': 'shard-indexed' }, fmt.int(indexed)), ' / ', fmt.int(indexed + appendable)),
      s.build ? buildProgress(s.build, 'shard-build') : null);
  }));
}

/** The index status of one space: spec, indexed against appendable vectors, segments and a running build, per shard when sharded. */
export function indexStatusView(status) {
  const indexed = Number(status.indexedVectors ?? 0);
  const appendable = Number(status.appendableVectors ?? 0);
  const segments = status.segments ?? [];
  const failed = segments.filter((s) => s.error);
  const build = status.build;
  return h('div', { class: 'index-status', 'data-testid': 'index-status' },
    h('div', { class: 'small' },
      h('strong', {}, status.spec || 'exact (no index)'), ' · ',
      h('span', { 'data-testid': 'indexed-vectors' }, fmt.int(indexed)), ' indexed, ',
      h('span', { 'data-testid': 'appendable-vectors' }, fmt.int(appendable)), ' appendable · ',
      `${segments.filter((s) => s.indexed).length}/${segments.length} segments indexed`),
    stackedBar([
      { value: indexed, class: 'indexed', label: 'indexed' },
      { value: appendable, class: 'appendable', label: 'appendable' },
    ], Math.max(Number(status.totalVectors ?? 0), indexed + appendable)),
    (status.shards ?? []).length > 1 ? shardLines(status.shards) : (build ? buildProgress(build, 'build-progress') : null),
    failed.map((s) => h('div', { class: 'warning small' }, `segment ${s.id}: ${s.error}`)));
}

export function fetchIndexStatus(collection, space) {
  return get(paths.indexStatus(collection, space));
}

/** Collection names for a selector, and the chosen one (from the query, else the first). */
export async function collectionChoice(query) {
  const { collections = [] } = await get(paths.collections);
  const names = collections.map((c) => c.name);
  const chosen = query.get('collection') && names.includes(query.get('collection')) ? query.get('collection') : names[0];
  return { collections, names, chosen };
}

export function collectionSelector(names, chosen, route) {
  return h('label', { class: 'field inline' }, h('span', {}, 'Collection'),
    select('collection', names, chosen, {
      'data-testid': 'collection-select',
      onchange: (event) => { location.hash = `${route}?collection=${encodeURIComponent(event.target.value)}`; },
    }));
}
