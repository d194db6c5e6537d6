// Which services a repository belongs to. A service in bellwether.yaml lists its repositories
// by name (`northwind/payments-api`) or by pattern (`northwind/payments-*`, `northwind/*`), so
// that repositories found in a GitHub organisation map to services without listing each one.
// The server (validation, service_repositories) and the GitHub connector (which repositories
// to read, whose deployments they are) share this rule, so they never disagree.

/** The part of a bellwether.yaml service this rule reads. */
export interface ServiceRepositories {
  id: string;
  repositories: readonly string[];
}

export const isRepositoryPattern = (entry: string): boolean => entry.includes('*');

/**
 * `*` matches within one path segment, `**` anything; everything else is literal.
 * Case-insensitive, as GitHub names are.
 */
export function globRegex(glob: string): RegExp {
  const source = glob
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 'i');
}

export interface RepositoryOwners {
  /** Repositories listed by name, in the spelling of the file. */
  readonly named: ReadonlySet<string>;
  /** Whether any service lists a pattern (else only named repositories can be owned). */
  readonly hasPatterns: boolean;
  /**
   * The services a repository belongs to: those listing it by name; else those of the most
   * specific pattern it matches (the most literal characters); else none.
   */
  ownersOf(repository: string): string[];
}

export function repositoryOwners(services: readonly ServiceRepositories[]): RepositoryOwners {
  const byName = new Map<string, string[]>();
  const patterns: { service: string; literal: number; regex: RegExp }[] = [];
  for (const service of services) {
    for (const entry of service.repositories) {
      if (isRepositoryPattern(entry)) patterns.push({ service: service.id, literal: entry.replaceAll('*', '').length, regex: globRegex(entry) });
      else byName.set(entry, [...new Set([...(byName.get(entry) ?? []), service.id])]);
    }
  }
  // Most specific first: `northwind/payments-*` before `northwind/*`.
  patterns.sort((a, b) => b.literal - a.literal);
  return {
    named: new Set(byName.keys()),
    hasPatterns: patterns.length > 0,
    ownersOf(repository) {
      const named = byName.get(repository);
      if (named) return named;
      const matching = patterns.filter((pattern) => pattern.regex.test(repository));
      if (!matching.length) return [];
      const literal = matching[0]!.literal;
      return [...new Set(matching.filter((pattern) => pattern.literal === literal).map((pattern) => pattern.service))];
    },
  };
}
