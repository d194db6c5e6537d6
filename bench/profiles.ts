// The organisations the scale benchmark of issue #7 generates (bench/generate.ts): org-L is the
// issue's target size, org-S a tenth of it for quick runs and tests.
//
// Not generated: the SLI buckets. connectors/contract.ts has no record kind for them yet, so
// the ingest layer could not take them; add them here and in the generator once it does.

export type ProfileName = 'org-L' | 'org-S';

/** Exact record counts of one stretch of time (the 104 weeks, or the extra week). */
export interface Workload {
  /** Every deployment record: production successes, pipeline failures and staging runs. */
  deployments: number;
  commits: number;
  pullRequests: number;
  incidents: number;
  /** CI runs: each deployment's pipeline, each pull request's checks, and nightly runs of main for the rest. */
  ciRuns: number;
}

export interface Profile {
  name: ProfileName;
  /** Two levels of teams: `groups` top-level teams with `teamsPerGroup` teams under each. */
  groups: number;
  teamsPerGroup: number;
  /** Services, each with one repository `bench/<service>` and one owner team. */
  services: number;
  /** Length of the history, ending at the run's `now`. */
  weeks: number;
  history: Workload;
  /** The week right after the history, ingested later for the incremental recompute. */
  extraWeek: Workload;
}

/**
 * Shares that shape every workload (issue #7). A deployment "failed" in two realistic ways:
 * its pipeline failed before production (status `failure`, 2 % of deployment records), or it
 * reached production and caused an incident explicitly linked to it (10 % of incidents; at
 * 20k incidents per 200k deployments that is another 1 %), so 3 % in all.
 */
export const SHARES = {
  /** Deployment records to `staging` (a non-production environment). */
  nonProduction: 0.01,
  /** Deployment records with status `failure` (the pipeline failed; a retry then succeeds). */
  pipelineFailure: 0.02,
  /** Incidents caused by a production deployment, linked by `deployment_external_id`. */
  causedByDeployment: 0.1,
  /** Commits pushed straight to main (bot bumps, typo fixes): in no pull request. */
  withoutPullRequest: 0.05,
} as const;

export const PROFILES: Record<ProfileName, Profile> = {
  // 5 groups × 9 teams + the 5 groups = 50 teams; services belong to the 45 leaf teams.
  'org-L': {
    name: 'org-L',
    groups: 5,
    teamsPerGroup: 9,
    services: 500,
    weeks: 104,
    history: { deployments: 200_000, commits: 1_000_000, pullRequests: 200_000, incidents: 20_000, ciRuns: 500_000 },
    // The issue names no pull-request or CI-run count for the extra week: as many per deployment as in the history.
    extraWeek: { deployments: 2_000, commits: 10_000, pullRequests: 2_000, incidents: 200, ciRuns: 5_000 },
  },
  // A tenth of every count and of the services (so records per service, and with them the
  // commit-graph walks and per-service derivations, look like org-L's), the same 104 weeks,
  // and 10 teams (2 groups × 4 teams + the 2 groups) so both hierarchy levels still exist.
  'org-S': {
    name: 'org-S',
    groups: 2,
    teamsPerGroup: 4,
    services: 50,
    weeks: 104,
    history: { deployments: 20_000, commits: 100_000, pullRequests: 20_000, incidents: 2_000, ciRuns: 50_000 },
    extraWeek: { deployments: 200, commits: 1_000, pullRequests: 200, incidents: 20, ciRuns: 500 },
  },
};
