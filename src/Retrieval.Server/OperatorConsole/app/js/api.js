// The only way the console talks to the server: the public REST API (JSON transcoding of the gRPC services),
// with the API key the operator entered as a bearer token. Every failure becomes an ApiError carrying the
// server's own message, which the page shows as it is.

const keyStorage = 'retrieval.apiKey';

export function apiKey() {
  return sessionStorage.getItem(keyStorage) ?? '';
}

export function setApiKey(key) {
  if (key) {
    sessionStorage.setItem(keyStorage, key);
  } else {
    sessionStorage.removeItem(keyStorage);
  }
}

export class ApiError extends Error {
  constructor(method, path, status, message) {
    super(message);
    this.method = method;
    this.path = path;
    this.status = status;
  }
}

function headers(extra) {
  const result = { ...extra };
  const key = apiKey();
  if (key) {
    result.authorization = `Bearer ${key}`;
  }
  return result;
}

async function send(method, path, init) {
  let response;
  try {
    response = await fetch(path, { method, ...init });
  } catch (e) {
    throw new ApiError(method, path, 0, `the server did not answer (${e.message})`);
  }
  const text = await response.text();
  let body = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!response.ok) {
    const message = (body && typeof body === 'object' && body.message) || (typeof body === 'string' && body) || response.statusText;
    const hint = response.status === 401 ? (apiKey() ? ' (check the API key)' : ' (sign in with an API key, top right)') : '';
    throw new ApiError(method, path, response.status, `${response.status}: ${message}${hint}`);
  }
  return body ?? {};
}

export function request(method, path, body) {
  const init = { headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }) };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
  }
  return send(method, path, init);
}

export const get = (path) => request('GET', path);
export const post = (path, body = {}) => request('POST', path, body);
export const del = (path) => request('DELETE', path);

/** multipart/form-data (the encoder upload); the browser sets the boundary. */
export function postForm(path, form) {
  return send('POST', path, { headers: headers({}), body: form });
}

/** Prometheus text from /metrics, for the mixed-search counters. */
export async function metricsText() {
  const response = await fetch('/metrics', { headers: headers({}) });
  if (!response.ok) {
    throw new ApiError('GET', '/metrics', response.status, `${response.status}: ${response.statusText}`);
  }
  return response.text();
}

const e = encodeURIComponent;

export const paths = {
  server: '/v1/server',
  collections: '/v1/collections',
  collection: (name) => `/v1/collections/${e(name)}`,
  spaces: (c) => `/v1/collections/${e(c)}/spaces`,
  space: (c, s) => `/v1/collections/${e(c)}/spaces/${e(s)}`,
  setDefaultSpace: (c) => `/v1/collections/${e(c)}:setDefaultSpace`,
  setIndex: (c, s) => `/v1/collections/${e(c)}/spaces/${e(s)}:setIndex`,
  indexStatus: (c, s) => `/v1/collections/${e(c)}/spaces/${e(s)}/index`,
  items: (c, verb) => `/v1/collections/${e(c)}/items:${verb}`,
  search: (c) => `/v1/collections/${e(c)}:search`,
  maps: (c) => `/v1/collections/${e(c)}/maps`,
  fitMap: (c) => `/v1/collections/${e(c)}/maps:fit`,
  map: (c, id, verb) => `/v1/collections/${e(c)}/maps/${e(id)}${verb ? `:${verb}` : ''}`,
  migrations: (c) => `/v1/collections/${e(c)}/migrations`,
  migration: (c, id, verb) => `/v1/collections/${e(c)}/migrations/${e(id)}${verb ? `:${verb}` : ''}`,
  encoders: '/v1/encoders',
  encoderUpload: '/v1/encoders:upload',
  encoderVersion: (name, version) => `/v1/encoders/${e(name)}/versions/${e(version)}`,
};
