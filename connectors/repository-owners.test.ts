import { describe, expect, it } from 'vitest';
import { globRegex, repositoryOwners } from './repository-owners.js';

describe('repositoryOwners', () => {
  const owners = repositoryOwners([
    { id: 'payments', repositories: ['northwind/payments-*', 'northwind/ledger'] },
    { id: 'misc', repositories: ['northwind/*'] },
    { id: 'web', repositories: ['northwind/ledger'] },
    { id: 'infra', repositories: ['northwind/infra-**'] },
    { id: 'infra-too', repositories: ['northwind/infra-*'] },
  ]);

  it('gives the services that list a repository by name, whatever patterns match it', () => {
    expect(owners.ownersOf('northwind/ledger')).toEqual(['payments', 'web']);
  });

  it('else the services of the longest matching pattern, case-insensitively', () => {
    expect(owners.ownersOf('northwind/payments-api')).toEqual(['payments']);
    expect(owners.ownersOf('Northwind/Payments-API')).toEqual(['payments']);
    expect(owners.ownersOf('northwind/search')).toEqual(['misc']);
    // Equally specific patterns (as many literal characters): the repository backs both services, as one listed by two does.
    expect(owners.ownersOf('northwind/infra-dns')).toEqual(['infra', 'infra-too']);
  });

  it('else none', () => {
    expect(owners.ownersOf('southwind/payments-api')).toEqual([]);
    expect(owners.named).toEqual(new Set(['northwind/ledger']));
    expect(owners.hasPatterns).toBe(true);
    expect(repositoryOwners([{ id: 'a', repositories: ['x/y'] }]).hasPatterns).toBe(false);
  });
});

describe('globRegex', () => {
  it('* stays within a segment, ** crosses them, the rest is literal', () => {
    expect(globRegex('northwind/*').test('northwind/a.b')).toBe(true);
    expect(globRegex('*').test('northwind/a')).toBe(false);
    expect(globRegex('**').test('northwind/a')).toBe(true);
    expect(globRegex('north.wind/*').test('northXwind/a')).toBe(false);
  });
});
