// Overview: is the server ready, what runs it, and how much it holds.
import { get, paths } from '../api.js';
import { h, replace, card, fmt, table } from '../ui.js';

function stat(label, value, testId) {
  return h('div', { class: 'stat' }, h('div', { class: 'label' }, label), h('div', { class: 'value', 'data-testid': testId }, value));
}

export async function render(root, { lifetime }) {
  const body = h('div', {});
  replace(root, h('h1', {}, 'Overview'), body);
  await lifetime.every(5000, async () => {
    const [server, { collections = [] }, { encoders = [] }] = await Promise.all([
      get(paths.server), get(paths.collections), get(paths.encoders)]);
    const items = collections.reduce((sum, c) => sum + Number(c.itemCount ?? 0), 0);
    replace(body,
      h('div', { class: 'stats' },
        stat('State', server.ready ? 'ready' : 'loading collections', 'ready'),
        h('div', { class: 'stat' },
          h('div', { class: 'label' }, 'Version'),
          h('div', { class: 'value', 'data-testid': 'version', title: server.version }, (server.version ?? '').split('+')[0]),
          (server.version ?? '').includes('+') ? h('div', { class: 'muted small' }, `build ${server.version.split('+')[1].slice(0, 12)}`) : null),
        stat('Store', server.store, 'store'),
        h('div', { class: 'stat', title: server.executionProviderReason },
          h('div', { class: 'label' }, 'Execution provider'),
          h('div', { class: 'value', 'data-testid': 'execution-provider' }, server.executionProvider),
          h('div', { class: 'muted small' }, server.executionProviderReason)),
        stat('Collections', fmt.int(collections.length), 'collection-count'),
        stat('Items', fmt.int(items), 'item-count'),
        stat('Encoders', fmt.int(encoders.length), 'encoder-count')),
      card('Collections', table(['Name', 'Items', 'Shards', 'Spaces', 'Default space'],
        collections.map((c) => [
          h('a', { href: `#/collections/${encodeURIComponent(c.name)}` }, c.name),
          fmt.int(c.itemCount),
          c.shards || 1,
          (c.spaces ?? []).map((s) => s.name).join(', '),
          c.defaultSpace]))),
      card('Encoders', table(['Name', 'Version', 'Input', 'Dimension'],
        encoders.map((e) => [e.descriptor?.name ?? e.name, e.descriptor?.version ?? e.version,
          fmt.enumName(e.descriptor?.inputKind, 'INPUT_KIND_'), e.descriptor?.dimension]))));
  });
}
