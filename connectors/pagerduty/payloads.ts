// The parts of PagerDuty's JSON that this connector reads: REST API v2 incidents and log
// entries, and webhook v3 deliveries. Only what is used is typed; everything else passes by.

/** A reference to another PagerDuty object (service, team, user, priority …). */
export interface PagerDutyReference {
  id: string;
  type?: string;
  summary?: string;
  html_url?: string | null;
}

/** A priority as the REST API (`name`) and webhook payloads (`summary`) give it. */
export interface PagerDutyPriority {
  id?: string;
  name?: string;
  summary?: string;
}

/** An item of `GET /incidents` or the body of `GET /incidents/{id}`. */
export interface RestIncident {
  id: string;
  incident_number?: number;
  title?: string;
  summary?: string;
  status: 'triggered' | 'acknowledged' | 'resolved' | (string & {});
  created_at: string;
  last_status_change_at?: string;
  /** Absent in the recordings (2022); newer responses may carry it. */
  resolved_at?: string | null;
  urgency?: string;
  priority?: PagerDutyPriority | null;
  incident_key?: string | null;
  service: PagerDutyReference;
  teams?: PagerDutyReference[];
  /** Emptied once the incident resolves, and when an acknowledgement times out. */
  acknowledgements?: { at: string }[];
  html_url?: string;
}

export interface LogEntry {
  id: string;
  type: string;
  created_at: string;
  incident?: PagerDutyReference;
}

/** The paging fields of every PagerDuty list response (classic offset pagination). */
export interface ListPage {
  limit: number;
  offset: number;
  /** Null unless the request asked for `total=true`. */
  total: number | null;
  more: boolean;
}

/** A webhook v3 delivery: one event, whose `data` is an incident or an object about one. */
export interface WebhookV3Body {
  event: {
    id: string;
    event_type: string;
    resource_type?: string;
    occurred_at: string;
    data?: unknown;
  };
}
