// Encoders: the registered models, upload (multipart: descriptor, model, vocabulary) and delete.
import { get, del, postForm, paths } from '../api.js';
import { h, replace, card, fmt, act, notice, confirmDialog, field, parseJson, table } from '../ui.js';

const exampleDescriptor = JSON.stringify({
  name: 'minilm', version: 'l6-v2', dimension: 384, metric: 'METRIC_COSINE', inputKind: 'INPUT_KIND_TEXT',
  outputName: 'last_hidden_state', pooling: 'POOLING_MEAN', normalize: true, text: { tokenTypeIdsName: 'token_type_ids' },
}, null, 2);

function uploadForm(reload) {
  const descriptor = h('textarea', { name: 'descriptor', rows: 8, 'data-testid': 'encoder-descriptor' });
  descriptor.value = exampleDescriptor;
  const model = h('input', { type: 'file', name: 'model', accept: '.onnx', required: true });
  const vocabulary = h('input', { type: 'file', name: 'vocabulary' });
  const form = h('form', { class: 'stack', 'data-testid': 'upload-encoder' },
    field('Descriptor (JSON)', descriptor),
    h('div', { class: 'row' }, field('Model (.onnx)', model), field('Vocabulary (vocab.txt or SentencePiece .model; text encoders)', vocabulary)),
    h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Upload encoder')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const registered = await act(event.submitter, 'upload encoder', () => {
      parseJson(descriptor.value, 'the descriptor');
      const body = new FormData();
      body.append('descriptor', descriptor.value);
      body.append('model', model.files[0]);
      if (vocabulary.files.length) {
        body.append('vocabulary', vocabulary.files[0]);
      }
      return postForm(paths.encoderUpload, body);
    });
    if (registered) {
      notice(`encoder ${registered.descriptor?.name} ${registered.descriptor?.version} registered`);
      await reload();
    }
  });
  return form;
}

export async function render(root) {
  const list = h('div', {});
  const reload = async () => {
    const { encoders = [] } = await get(paths.encoders);
    replace(list, table(['Name', 'Version', 'Input', 'Kind', 'Dimension', 'Metric', 'Size', 'Registered', ''],
      encoders.map((e) => {
        const d = e.descriptor ?? {};
        return [d.name, d.version, fmt.enumName(d.inputKind, 'INPUT_KIND_'), fmt.enumName(d.kind, 'ENCODER_KIND_'), d.dimension,
          fmt.enumName(d.metric, 'METRIC_'), `${fmt.int(Math.round(Number(e.modelBytes ?? 0) / 1024))} KiB`, fmt.time(e.registeredAt),
          h('button', {
            type: 'button',
            class: 'danger',
            onclick: async (event) => {
              const ok = await confirmDialog({ title: `Delete ${d.name} ${d.version}?`, message: 'Refused while a space names this version.', confirmLabel: 'Delete', danger: true });
              if (ok && await act(event.target, 'delete encoder', () => del(paths.encoderVersion(d.name, d.version)))) {
                await reload();
              }
            },
          }, 'Delete')];
      }), { 'data-testid': 'encoders' }));
  };
  replace(root, h('h1', {}, 'Encoders'), card(null, list), card('Upload an encoder', uploadForm(reload)));
  await reload();
}
