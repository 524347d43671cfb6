// Live figures of one migration, kept between polls: backfill rate and ETA from successive progress readings, and
// the mixed-search share native against mapped from the server's Prometheus counters
// (retrieval_mixed_search_hits_total{collection, path} on /metrics).
import { metricsText } from './api.js';

const rateWindowMs = 10_000;

export class BackfillRate {
  constructor() {
    this.readings = [];
  }

  /** Adds a reading; returns items per second over the last few seconds (undefined until two readings). */
  add(native, at = Date.now()) {
    this.readings.push({ native: Number(native ?? 0), at });
    while (this.readings.length > 2 && at - this.readings[0].at > rateWindowMs) {
      this.readings.shift();
    }
    if (this.readings.length < 2) {
      return undefined;
    }
    const first = this.readings[0];
    const seconds = (at - first.at) / 1000;
    return seconds > 0 ? Math.max(0, (this.readings.at(-1).native - first.native) / seconds) : undefined;
  }
}

/** Sums the mixed-search hit counters of one collection by path. */
export function parseMixedSearchHits(text, collection) {
  const totals = { native: 0, mapped: 0 };
  for (const line of text.split('\n')) {
    const match = /^retrieval_mixed_search_hits(?:_total)?\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!match) {
      continue;
    }
    const labels = Object.fromEntries([...match[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (labels.collection === collection && labels.path in totals) {
      totals[labels.path] += Number(match[2]);
    }
  }
  return totals;
}

/** Hits per path between successive /metrics readings: the share of mixed-search hits served natively over time. */
class MixedSearchShare {
  constructor(collection) {
    this.collection = collection;
    this.previous = null;
    this.points = [];
  }

  async poll(at = new Date()) {
    const totals = parseMixedSearchHits(await metricsText(), this.collection);
    if (this.previous) {
      const native = totals.native - this.previous.native;
      const mapped = totals.mapped - this.previous.mapped;
      if (native + mapped > 0) {
        this.points.push({ at, native, mapped, nativeShare: native / (native + mapped) });
        if (this.points.length > 300) {
          this.points.shift();
        }
      }
    }
    this.previous = totals;
    return this.points;
  }
}

// One history per collection for the life of the tab, so leaving the migration page and coming back keeps the plot.
const shares = new Map();

export function mixedSearchShare(collection) {
  if (!shares.has(collection)) {
    shares.set(collection, new MixedSearchShare(collection));
  }
  return shares.get(collection);
}
