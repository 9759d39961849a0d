// The outcome as a PolicyReport (wgpolicyk8s.io/v1alpha2) and a Kubernetes Event, the two
// places Argo CD and Flux users look when a hook Job fails. Pure builders.

import { randomBytes } from 'node:crypto';
import type { Result, Status } from '../engine/result.js';

export interface Subject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
}

type ReportResult = 'pass' | 'fail' | 'warn' | 'error' | 'skip';

function reportStatus(status: Status, unmatched: Result['unmatched']): ReportResult {
  if (status === 'unmatched') return unmatched === 'fail' ? 'fail' : 'skip';
  return status;
}

/** A Kubernetes name from free text: lower case, [a-z0-9-], at most 63 characters. */
export function dnsName(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '') || 'app';
}

/** One report per subject, replaced on every run; it may live elsewhere than the subject (`namespace`). */
export function policyReport(result: Result, subject: Subject, now = new Date(), revision?: string, namespace = subject.namespace): Record<string, unknown> {
  const seconds = Math.floor(now.getTime() / 1000);
  const results: Record<string, unknown>[] = [];
  for (const image of result.results) {
    const resources = image.uses.map((u) => ({ kind: u.kind, name: u.name ?? '', ...(u.namespace ? { namespace: u.namespace } : {}) }));
    const properties: Record<string, string> = { image: image.image, ...(image.digest ? { digest: image.digest } : {}) };
    const verdicts = image.policies.length > 0 ? image.policies : [undefined];
    for (const v of verdicts) {
      const status = v ? v.status : image.status;
      const message = (v ? v.reasons : (image.reasons ?? [])).join('; ') || `${image.image}: ${status}`;
      results.push({
        source: 'kubectl-verify-images',
        policy: v?.policy ?? 'unmatched',
        ...(v?.rule ? { rule: v.rule } : {}),
        category: 'Image Verification',
        result: reportStatus(status, result.unmatched),
        severity: status === 'fail' || status === 'error' ? 'high' : 'info',
        message: message.slice(0, 1024),
        timestamp: { seconds, nanos: 0 },
        properties,
        resources,
      });
    }
  }
  const summary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const r of results) summary[r.result as ReportResult]++;
  return {
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    kind: 'PolicyReport',
    metadata: {
      name: `verify-images-${dnsName(subject.name)}`.slice(0, 63),
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'kubectl-verify-images' },
      annotations: revision ? { 'verify-images.dev/revision': revision } : {},
    },
    scope: { apiVersion: subject.apiVersion, kind: subject.kind, name: subject.name, namespace: subject.namespace, ...(subject.uid ? { uid: subject.uid } : {}) },
    summary,
    results,
  };
}

export function verdictEvent(subject: Subject, passed: boolean, message: string, now = new Date()): Record<string, unknown> {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${dnsName(subject.name)}.${now.getTime().toString(16)}${randomBytes(3).toString('hex')}`, namespace: subject.namespace },
    involvedObject: { apiVersion: subject.apiVersion, kind: subject.kind, name: subject.name, namespace: subject.namespace, ...(subject.uid ? { uid: subject.uid } : {}) },
    reason: passed ? 'ImagesVerified' : 'ImageVerificationFailed',
    type: passed ? 'Normal' : 'Warning',
    message: message.slice(0, 1024),
    source: { component: 'kubectl-verify-images' },
    reportingComponent: 'kubectl-verify-images',
    reportingInstance: process.env.HOSTNAME ?? 'kubectl-verify-images',
    firstTimestamp: stamp,
    lastTimestamp: stamp,
    count: 1,
  };
}
