// Records for tests, built the way a CI system would send them.

/** A 40-hex commit sha made from a repository number and a sequence number. */
export const sha = (repo: number, n: number) => `${repo}${n.toString(16).padStart(4, '0')}`.padEnd(40, '0');

/**
 * A linear history for one repository: on each given day of November 2026, one production
 * deployment at 10:00 UTC shipping two new commits (authored 30 h and 6 h before 09:00).
 */
export function linearHistory(repository: string, repoNo: number, service: string, days: number[]) {
  const commits = [];
  const deployments = [];
  let parent: string | null = null;
  for (const [i, day] of days.entries()) {
    const at = new Date(Date.UTC(2026, 10, day, 9));
    const first = sha(repoNo, 2 * i + 1);
    const second = sha(repoNo, 2 * i + 2);
    commits.push({ repository, sha: first, parents: parent ? [parent] : [], authored_at: new Date(at.getTime() - 30 * 3600e3).toISOString(), committed_at: at.toISOString(), url: `https://git.example/${repository}/commit/${first}` });
    commits.push({ repository, sha: second, parents: [first], authored_at: new Date(at.getTime() - 6 * 3600e3).toISOString(), committed_at: at.toISOString() });
    parent = second;
    deployments.push({ source: 'ci', external_id: `${service}-${i}`, service, environment: 'production', status: 'success', finished_at: new Date(at.getTime() + 3600e3).toISOString(), commit_sha: second, url: `https://ci.example/${service}/${i}` });
  }
  return { commits, deployments };
}
