// Every example payload of @octokit/webhooks-examples (api.github.com) through
// translateGitHubWebhook: the events Bellwether uses give the records a poll gives, or name the
// stream that reads what the payload lacks; every other event gives nothing. And the
// X-Hub-Signature-256 check over exact bytes.
import { createHmac } from 'node:crypto';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { recordSchemas, type NormalizedRecord } from '../contract.js';
import { resolveGitHubConfig, type GitHubConfig } from './config.js';
import { webhookExampleEvents, webhookExamples } from './testing/recorded.js';
import { translateGitHubWebhook, verifyGitHubSignature } from './webhook.js';

const events = webhookExampleEvents();
const examples = webhookExamples;

const HELLO = 'Codertocat/Hello-World';
const OCTO = 'octo-org/octo-repo';
const services = [
  { id: 'hello-web', repositories: [HELLO] },
  { id: 'octo-api', repositories: [OCTO] },
];
const github: GitHubConfig = {
  repositories: {
    [HELLO]: { deployments: [{ github_deployments: { environment: '^production$' } }, { release: { tag_pattern: '^\\d+\\.\\d+\\.\\d+$' } }] },
    [OCTO]: { deployments: { workflow: { name: 'test', branch: 'master' }, environment: 'prod' } },
  },
  incident_labels: ['bug'],
};
const { resolved: config, problems } = resolveGitHubConfig(github, services);
const translate = (name: string, body: unknown) => translateGitHubWebhook(name, body, config, 'a-delivery-id');
const valid = (records: NormalizedRecord[]) => {
  for (const { kind, record } of records) expect([...Value.Errors(recordSchemas[kind], record)].map((e) => `${kind}${e.instancePath} ${e.message}`)).toEqual([]);
};

it('the test configuration is valid', () => {
  expect(problems).toEqual([]);
});

describe('verifyGitHubSignature', () => {
  const body = Buffer.from(JSON.stringify(examples('workflow_run')[1]));
  const current = 'current-secret-0123456789abcdef';
  const previous = 'previous-secret-0123456789abcdef';
  const sign = (secret: string, bytes: Buffer = body) => `sha256=${createHmac('sha256', secret).update(bytes).digest('hex')}`;
  it.each<[string, string | string[] | undefined, readonly string[], boolean]>([
    ['the correct signature', sign(current), [current], true],
    ['upper-case hex', `sha256=${sign(current).slice(7).toUpperCase()}`, [current], true],
    ['rotation: signed with the new secret, both configured', sign(current), [previous, current], true],
    ['rotation: signed with the old secret, both configured', sign(previous), [previous, current], true],
    ['another secret', sign('some-other-secret-0123456789'), [current], false],
    ['the header given twice, one matching', [sign(previous), sign(current)], [current], true],
    ['no header', undefined, [current], false],
    ['an empty header', '', [current], false],
    ['no secret configured', sign(current), [], false],
    ['an empty secret is never used', `sha256=${createHmac('sha256', '').update(body).digest('hex')}`, [''], false],
    ['the SHA-1 header’s scheme', sign(current).replace('sha256=', 'sha1='), [current], false],
    ['a bare digest', sign(current).slice(7), [current], false],
    ['two hex digits short', sign(current).slice(0, -2), [current], false],
    ['two hex digits long', `${sign(current)}00`, [current], false],
    ['non-hex characters', `sha256=${'z'.repeat(64)}`, [current], false],
    ['a body changed by one byte', sign(current, Buffer.concat([body, Buffer.from(' ')])), [current], false],
  ])('%s', (_name, header, secrets, expected) => {
    expect(verifyGitHubSignature(body, header, secrets)).toBe(expected);
  });
});

describe('translateGitHubWebhook: the events Bellwether uses', () => {
  it('workflow_run: a completed run is its CI run and, under the workflow rule, a deployment', () => {
    const [manual, completed, completedAgain, requested, actionRequired] = examples('workflow_run');
    const delivery = translate('workflow_run', completed);
    valid(delivery.records);
    expect(delivery).toMatchObject({ deliveryKey: 'a-delivery-id', event: 'workflow_run.completed', repository: OCTO, refresh: [] });
    expect(delivery.records).toEqual([
      {
        kind: 'ci_run',
        record: {
          source: 'github-actions', external_id: '289782451:1', repository: OCTO, workflow: 'test', branch: 'master', event: 'repository_dispatch',
          commit_sha: '3484a3fb816e0859fd6e1cea078d76385ff50625', status: 'success', started_at: '2020-10-05T16:33:49.000Z', finished_at: '2020-10-05T16:33:49.000Z',
          url: 'https://github.com/octo-org/octo-repo/actions/runs/289782451',
        },
      },
      {
        kind: 'deployment',
        record: {
          source: 'github', external_id: 'workflow_run:289782451:1', service: 'octo-api', environment: 'prod', status: 'success', finished_at: '2020-10-05T16:33:49.000Z',
          started_at: '2020-10-05T16:33:49.000Z', commit_sha: '3484a3fb816e0859fd6e1cea078d76385ff50625', ref: 'master', url: 'https://github.com/octo-org/octo-repo/actions/runs/289782451',
        },
      },
    ]);
    expect(translate('workflow_run', completedAgain).records).toEqual(delivery.records);
    // The run's `name` is empty in these payloads: the workflow's name is taken.
    expect((completed!.workflow_run as { name: string }).name).toBe('');
    // Not completed (the first example says completed but carries a queued run): nothing, a later completion would be undone.
    expect(translate('workflow_run', manual)).toMatchObject({ records: [], ignored: expect.stringContaining('queued') });
    expect(translate('workflow_run', requested).records).toEqual([]);
    // Completed, waiting for approval: a run still queued as CI, and no deployment yet.
    expect(translate('workflow_run', actionRequired).records.map((r) => (r.record as { status: string }).status)).toEqual(['queued', 'queued']);
  });

  it('deployment_status: a final status in a matching environment is the deployment, finished at that status', () => {
    const [success, inProgress, ...others] = examples('deployment_status');
    const delivery = translate('deployment_status', success);
    valid(delivery.records);
    expect(delivery.records).toEqual([
      {
        kind: 'deployment',
        record: {
          source: 'github', external_id: 'deployment:145988746', service: 'hello-web', environment: 'production', status: 'success',
          finished_at: '2019-05-15T15:20:55.000Z', started_at: '2019-05-15T15:20:53.000Z', commit_sha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e', ref: 'master', url: null,
        },
      },
    ]);
    for (const other of others) expect(translate('deployment_status', other).records).toEqual(delivery.records);
    // in_progress on github-pages: not final (and not a production environment either).
    expect(translate('deployment_status', inProgress)).toMatchObject({ records: [], ignored: expect.stringContaining('in_progress') });
    const failed = { ...success, deployment_status: { ...(success!.deployment_status as object), state: 'failure', created_at: '2019-05-15T15:21:10Z' } };
    expect(translate('deployment_status', failed).records[0]!.record).toMatchObject({ status: 'failure', finished_at: '2019-05-15T15:21:10.000Z' });
    const staging = { ...success, deployment: { ...(success!.deployment as object), environment: 'staging' } };
    expect(translate('deployment_status', staging)).toMatchObject({ records: [], ignored: expect.stringContaining('staging') });
  });

  it('deployment: nothing yet, its statuses carry the outcome', () => {
    for (const example of examples('deployment')) expect(translate('deployment', example)).toMatchObject({ records: [], refresh: [], ignored: expect.any(String) });
  });

  it('issues: an issue labelled bug is an incident, opened or reopened; deleted and transferred ones are kept as they were', () => {
    const byAction = new Map<string, NormalizedRecord[]>();
    for (const example of examples('issues')) {
      const delivery = translate('issues', example);
      valid(delivery.records);
      byAction.set(String(example.action), [...(byAction.get(String(example.action)) ?? []), ...delivery.records]);
    }
    const opened = byAction.get('opened')!;
    expect(opened).toHaveLength(4);
    expect(opened[0]).toEqual({
      kind: 'incident',
      record: {
        source: 'github', external_id: 'Codertocat/Hello-World#1', service: 'hello-web', severity: 'sev3', title: 'Spelling error in the README file',
        created_at: '2019-05-15T15:20:18.000Z', resolved_at: null, url: 'https://github.com/Codertocat/Hello-World/issues/1',
      },
    });
    // Reopened: `closed_at` is still set in the payload, but the issue is open.
    expect(byAction.get('reopened')![0]!.record).toMatchObject({ resolved_at: null });
    // The (de)milestoned examples are pull requests (they carry `pull_request`); pinned ones have no label.
    for (const action of ['deleted', 'transferred', 'pinned', 'unpinned', 'milestoned', 'demilestoned']) expect(byAction.get(action)).toEqual([]);
    expect(translate('issues', examples('issues').find((e) => e.action === 'milestoned'))).toMatchObject({ ignored: 'the issue is a pull request' });
    for (const action of ['edited', 'assigned', 'labeled', 'unlabeled', 'locked', 'unlocked', 'unassigned']) {
      expect(byAction.get(action)!.length).toBeGreaterThan(0);
    }
    const closed = { ...examples('issues')[15], action: 'closed', issue: { ...(examples('issues')[15]!.issue as object), state: 'closed', closed_at: '2019-05-15T16:00:00Z' } };
    expect(translate('issues', closed).records[0]!.record).toMatchObject({ resolved_at: '2019-05-15T16:00:00.000Z' });
  });

  it('pull_request and pull_request_review: no record, the pull_requests stream reads commits and reviews', () => {
    for (const name of ['pull_request', 'pull_request_review']) {
      for (const example of examples(name)) {
        expect(translate(name, example)).toMatchObject({ records: [], refresh: [{ connector: 'github', stream: `${HELLO}:pull_requests` }] });
      }
    }
  });

  it('release: no record, the releases stream looks up the release’s commit', () => {
    for (const example of examples('release')) {
      expect(translate('release', example)).toMatchObject({ records: [], refresh: [{ connector: 'github', stream: `${HELLO}:releases` }] });
    }
  });

  it('push: the default branch refreshes the commits stream; a tag only under a tags rule; a deletion nothing', () => {
    const pushes = examples('push');
    const outcomes = pushes.map((example) => translate('push', example).refresh.map((key) => key.stream));
    expect(outcomes).toEqual([[], [], [], [], [`${HELLO}:commits`], [`${HELLO}:commits`], []]);
    const tags = resolveGitHubConfig({ repositories: { [HELLO]: { deployments: { release: { tag_pattern: '^simple-', from: 'tags' } } } } }, services).resolved;
    expect(translateGitHubWebhook('push', pushes[0], tags).refresh).toEqual([{ connector: 'github', stream: `${HELLO}:tags` }]);
    expect(translateGitHubWebhook('push', pushes[1], tags)).toMatchObject({ refresh: [], ignored: 'refs/tags/simple-tag was deleted' });
  });
});

describe('translateGitHubWebhook: everything else gives nothing', () => {
  const used = new Set(['workflow_run', 'deployment_status', 'deployment', 'issues', 'pull_request', 'pull_request_review', 'release', 'push']);
  const unused = events.filter((event) => !used.has(event.name));

  it.each(unused.map((event) => [event.name, event] as const))('%s', (_name, event) => {
    for (const example of event.examples) {
      const delivery = translate(event.name, example);
      expect(delivery).toMatchObject({ records: [], refresh: [], ignored: `${event.name} events are not used` });
    }
  });

  it('a repository that is not a service’s', () => {
    const other = { ...examples('workflow_run')[1], repository: { full_name: 'someone/else' } };
    expect(translate('workflow_run', other)).toMatchObject({ records: [], refresh: [], repository: null, ignored: 'someone/else is not a repository Bellwether reads (bellwether.yaml: services, github.organizations)' });
  });

  it("a repository of a listed organisation that a service owns by pattern, as the organisation's listing would read it", () => {
    const organisation: GitHubConfig = { organizations: [{ name: 'octo-org', deployments: { workflow: { name: 'test', branch: 'master' } } }] };
    const owned = resolveGitHubConfig(organisation, [{ id: 'octo-all', repositories: ['octo-org/*'] }]).resolved;
    const example = examples('workflow_run')[1]!;
    const delivery = translateGitHubWebhook('workflow_run', example, owned);
    expect(delivery.repository).toBe(OCTO);
    expect(delivery.records.map((r) => r.kind)).toContain('ci_run');
    // Archived, it is not read (the listing leaves archived repositories out by default).
    const archived = { ...example, repository: { ...(example.repository as object), archived: true } };
    expect(translateGitHubWebhook('workflow_run', archived, owned)).toMatchObject({ records: [], repository: null });
  });

  it('issues when no incident labels are configured', () => {
    const quiet = resolveGitHubConfig({}, services).resolved;
    expect(translateGitHubWebhook('issues', examples('issues')[15], quiet)).toMatchObject({ records: [], ignored: 'incident and bug issues are not read for this repository' });
  });

  it('issues labelled as bugs give bugs too', () => {
    const bugs = resolveGitHubConfig({ bug_labels: ['bug'] }, services).resolved;
    // Example 15: issues.opened, the issue labelled bug.
    const delivery = translateGitHubWebhook('issues', examples('issues')[15], bugs);
    expect(delivery.records.map((r) => r.kind)).toEqual(['bug']);
    expect(delivery.records[0]!.record).toMatchObject({ service: 'hello-web', repository: HELLO, found_in_production: true, labels: ['bug'] });
    valid(delivery.records);
    // Example 19: issues.pinned, an issue without labels.
    expect(translateGitHubWebhook('issues', examples('issues')[19], bugs)).toMatchObject({ records: [], ignored: 'the issue has no incident or bug label' });
  });

  it('refuses a body that is not an object', () => {
    expect(() => translate('push', [])).toThrow('expected a JSON object');
  });
});
