// The custom resources that deploy images in GitOps repositories, read without any policy
// change: their images are uses like a pod's, and a rule on Pods judges them (they create pods,
// or run the images as steps). One table; the README lists it.

import type { PathExtractor } from './path-extract.js';

export interface CustomResource {
  groups: string[];
  kinds: string[];
  /** Where a pod spec sits (read like a Deployment's: containers, init, ephemeral, image volumes). */
  podSpec?: string[];
  /** Other places images are named. */
  extractors?: PathExtractor[];
  /** For the README. */
  what: string;
}

const steps = (prefix: string): PathExtractor[] => [
  { name: 'steps', path: `${prefix}/steps/*` },
  { name: 'sidecars', path: `${prefix}/sidecars/*` },
  { name: 'stepTemplate', path: `${prefix}/stepTemplate` },
];
const argoTemplates = (prefix: string): PathExtractor[] => [
  { name: 'container', path: `${prefix}/templates/*/container` },
  { name: 'script', path: `${prefix}/templates/*/script` },
  { name: 'initContainers', path: `${prefix}/templates/*/initContainers/*` },
  { name: 'sidecars', path: `${prefix}/templates/*/sidecars/*` },
];
const DOCKER_URL = "trim_prefix(@, 'docker://')";

export const CUSTOM_RESOURCES: readonly CustomResource[] = [
  { groups: ['argoproj.io'], kinds: ['Rollout'], podSpec: ['spec', 'template', 'spec'], what: 'Argo Rollouts: spec.template (a workloadRef points at a Deployment, verified on its own)' },
  { groups: ['serving.knative.dev'], kinds: ['Service', 'Configuration'], podSpec: ['spec', 'template', 'spec'], what: 'Knative Serving: spec.template.spec.containers' },
  { groups: ['tekton.dev'], kinds: ['Task', 'ClusterTask'], extractors: steps('/spec'), what: 'Tekton: steps, sidecars, stepTemplate' },
  {
    groups: ['tekton.dev'],
    kinds: ['Pipeline'],
    extractors: [...steps('/spec/tasks/*/taskSpec'), ...steps('/spec/finally/*/taskSpec'), { name: 'bundle', path: '/spec/tasks/*/taskRef', value: 'bundle' }, { name: 'bundle', path: '/spec/finally/*/taskRef', value: 'bundle' }],
    what: 'Tekton: inline taskSpec steps, sidecars, stepTemplate; taskRef bundles',
  },
  {
    groups: ['tekton.dev'],
    kinds: ['TaskRun'],
    extractors: [...steps('/spec/taskSpec'), { name: 'bundle', path: '/spec/taskRef', value: 'bundle' }],
    what: 'Tekton: inline taskSpec; taskRef bundle',
  },
  {
    groups: ['tekton.dev'],
    kinds: ['PipelineRun'],
    extractors: [
      ...steps('/spec/pipelineSpec/tasks/*/taskSpec'),
      ...steps('/spec/pipelineSpec/finally/*/taskSpec'),
      { name: 'bundle', path: '/spec/pipelineRef', value: 'bundle' },
      { name: 'bundle', path: '/spec/pipelineSpec/tasks/*/taskRef', value: 'bundle' },
    ],
    what: 'Tekton: inline pipelineSpec tasks; pipelineRef and taskRef bundles',
  },
  { groups: ['argoproj.io'], kinds: ['Workflow', 'WorkflowTemplate', 'ClusterWorkflowTemplate'], extractors: argoTemplates('/spec'), what: 'Argo Workflows: templates[].container, script, initContainers, sidecars' },
  { groups: ['argoproj.io'], kinds: ['CronWorkflow'], extractors: argoTemplates('/spec/workflowSpec'), what: 'Argo Workflows: spec.workflowSpec.templates[]' },
  { groups: ['cdi.kubevirt.io'], kinds: ['DataVolume'], extractors: [{ name: 'registry', path: '/spec/source/registry', value: 'url', jmesPath: DOCKER_URL }], what: 'KubeVirt CDI: registry sources (docker://…)' },
  {
    groups: ['kubevirt.io'],
    kinds: ['VirtualMachine'],
    extractors: [
      { name: 'registry', path: '/spec/dataVolumeTemplates/*/spec/source/registry', value: 'url', jmesPath: DOCKER_URL },
      { name: 'containerDisk', path: '/spec/template/spec/volumes/*/containerDisk' },
    ],
    what: 'KubeVirt: dataVolumeTemplates registry sources, containerDisk volumes',
  },
];

export function customResource(apiVersion: string, kind: string): CustomResource | undefined {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return CUSTOM_RESOURCES.find((c) => c.kinds.includes(kind) && c.groups.includes(group));
}
