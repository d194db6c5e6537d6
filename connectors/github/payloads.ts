// The parts of GitHub's REST and webhook JSON this connector reads. Only what is used is
// typed, loosely enough that the 2018–2022 recordings (older API versions) fit as well as
// today's responses; everything else passes by.

export interface GitHubUser {
  login: string;
  type?: string;
}

/** An item of `GET /repos/{owner}/{repo}/pulls`, and `pull_request` of its webhooks. */
export interface PullRequest {
  number: number;
  state: string;
  title?: string | null;
  user?: GitHubUser | null;
  created_at: string;
  updated_at: string;
  closed_at?: string | null;
  /** Set only when merged: `merge_commit_sha` is also set on unmerged ones (GitHub's test merge). */
  merged_at?: string | null;
  merge_commit_sha?: string | null;
  html_url?: string;
  draft?: boolean;
  base?: { ref: string; sha?: string };
  head?: { ref: string; sha: string };
}

/** An item of `GET /pulls/{n}/reviews`, and `review` of the pull_request_review webhook. */
export interface Review {
  id: number;
  user?: GitHubUser | null;
  state: string;
  /** Absent on a pending review (not yet submitted). */
  submitted_at?: string | null;
}

export interface GitPerson {
  name?: string | null;
  email?: string | null;
  date?: string | null;
}

/** An item of `GET /commits` or `GET /pulls/{n}/commits`. */
export interface Commit {
  sha: string;
  commit: { author?: GitPerson | null; committer?: GitPerson | null; message?: string | null };
  /** Null when the commit's email is not linked to a GitHub account. */
  author?: GitHubUser | null;
  parents: { sha: string }[];
  html_url?: string;
}

/** An item of `GET /deployments`, and `deployment` of its webhooks. */
export interface Deployment {
  id: number;
  sha: string;
  ref: string;
  task?: string;
  environment: string;
  created_at: string;
  updated_at?: string;
  creator?: GitHubUser | null;
  statuses_url?: string;
}

/** An item of `GET /deployments/{id}/statuses` (newest first), and `deployment_status` of its webhook. */
export interface DeploymentStatus {
  id: number;
  state: string;
  created_at: string;
  updated_at?: string;
  environment?: string;
  log_url?: string | null;
  target_url?: string | null;
}

/** An item of `GET /actions/runs` (`workflow_runs`), and `workflow_run` of its webhook. */
export interface WorkflowRun {
  id: number;
  name?: string | null;
  display_title?: string;
  path?: string;
  workflow_id?: number;
  head_branch?: string | null;
  head_sha: string;
  event?: string;
  status: string | null;
  conclusion: string | null;
  run_attempt?: number;
  created_at: string;
  updated_at: string;
  run_started_at?: string | null;
  html_url?: string;
}

/** An item of `GET /releases`, and `release` of its webhook. */
export interface Release {
  id: number;
  tag_name: string;
  target_commitish?: string;
  name?: string | null;
  draft: boolean;
  prerelease: boolean;
  created_at: string;
  published_at: string | null;
  html_url?: string;
}

/** An item of `GET /tags`: no date; the commit has it. */
export interface Tag {
  name: string;
  commit: { sha: string };
}

export interface Label {
  name: string;
}

/** An item of `GET /issues` (pull requests included, with a `pull_request` key), and `issue` of its webhook. */
export interface Issue {
  id: number;
  number: number;
  title: string;
  state: string;
  state_reason?: string | null;
  labels: (Label | string)[];
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  html_url?: string;
  pull_request?: unknown;
}

export interface Repository {
  full_name: string;
  default_branch?: string;
}
