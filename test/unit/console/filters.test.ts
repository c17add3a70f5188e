import { describe, expect, it } from '@jest/globals';
import { type Route, feedFilterFromParams, feedFilterToParams, overviewWindow, parseRoute, routeHref, toFailureFilter } from '../../../src/console/lib/filters';

describe('console routes and filters in the URL', () => {
  it.each<[string, Route]>([
    ['', { view: 'overview', range: '24h', wall: false }],
    ['#/overview?range=1h&wall=1', { view: 'overview', range: '1h', wall: true }],
    ['#/feed', { view: 'feed', filter: {} }],
    ['#/feed?service=billing&pattern=MESSAGE_QUEUE&severity=CRITICAL&taskType=send-invoice&text=timeout', { view: 'feed', filter: { service: 'billing', pattern: 'MESSAGE_QUEUE', severity: 'CRITICAL', taskType: 'send-invoice', text: 'timeout' } }],
    ['#/groups', { view: 'groups', order: 'RANK' }],
    ['#/groups?order=COUNT&service=billing&status=OPEN', { view: 'groups', order: 'COUNT', service: 'billing', status: 'OPEN' }],
    ['#/groups/g%2F1', { view: 'group', id: 'g/1' }],
    ['#/failures/f-1', { view: 'failure', id: 'f-1' }],
    ['#/incidents?scope=all&service=billing', { view: 'incidents', scope: 'all', service: 'billing' }],
  ])('%s ⇄ route', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
    // The href of a parsed route parses back to the same route.
    expect(parseRoute(routeHref(route))).toEqual(route);
  });

  it('writes defaults out of the URL and keeps a fixed parameter order', () => {
    expect(routeHref({ view: 'groups', order: 'RANK' })).toBe('#/groups');
    expect(routeHref({ view: 'overview', range: '24h', wall: false })).toBe('#/overview');
    expect(routeHref({ view: 'feed', filter: { text: 'time out', service: 'billing' } })).toBe('#/feed?service=billing&text=time+out');
  });

  it('drops unknown enum values, unknown keys and blank text instead of sending them to the API', () => {
    const filter = feedFilterFromParams(new URLSearchParams('severity=FATAL&pattern=KAFKA&service=%20%20&text=%20db%20&foo=bar'));
    expect(filter).toEqual({ text: 'db' });
    expect(parseRoute('#/groups?order=ALPHABETICAL&status=ZOMBIE')).toEqual({ view: 'groups', order: 'RANK' });
    expect(parseRoute('#/incidents?scope=everything')).toEqual({ view: 'incidents', scope: 'open' });
    expect(parseRoute('#/nowhere')).toEqual({ view: 'overview', range: '24h', wall: false });
  });

  it('encodes characters that would break the URL', () => {
    const route: Route = { view: 'feed', filter: { text: 'a&b=c #1 ü' } };
    expect(routeHref(route)).not.toContain('#1');
    expect(parseRoute(routeHref(route))).toEqual(route);
    expect(feedFilterToParams({ taskType: '  ' }).toString()).toBe('');
  });

  it('maps the feed filter to the API filter (severity as a list, text as errorMessage)', () => {
    expect(toFailureFilter({ service: 's', severity: 'ERROR', text: 'boom', pattern: 'DB_POLLING', taskType: 't' })).toEqual({
      service: 's',
      severity: ['ERROR'],
      errorMessage: 'boom',
      pattern: 'DB_POLLING',
      taskType: 't',
    });
    expect(toFailureFilter({})).toEqual({});
  });

  it('ends the overview window after the current UTC bucket, one range long', () => {
    const now = new Date('2026-11-28T21:17:42.123Z');
    expect(overviewWindow('1h', now)).toEqual({ from: new Date('2026-11-28T20:18:00Z'), to: new Date('2026-11-28T21:18:00Z'), bucket: 'MINUTE' });
    expect(overviewWindow('24h', now)).toEqual({ from: new Date('2026-11-27T22:00:00Z'), to: new Date('2026-11-28T22:00:00Z'), bucket: 'HOUR' });
    expect(overviewWindow('7d', now)).toEqual({ from: new Date('2026-11-22T00:00:00Z'), to: new Date('2026-11-29T00:00:00Z'), bucket: 'DAY' });
  });
});
