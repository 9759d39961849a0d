// Rendered output as a GitOps repository holds it: Deployments of about 1 KB (labels,
// annotations, probes, resources, env, volumes), for the local (no network) benchmarks.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function deployment(n, image) {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${n}
  namespace: team-${n % 10}
  labels:
    app.kubernetes.io/name: app-${n}
    app.kubernetes.io/part-of: shop
  annotations:
    description: "service number ${n} of the shop"
spec:
  replicas: ${(n % 5) + 1}
  selector:
    matchLabels:
      app.kubernetes.io/name: app-${n}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: app-${n}
    spec:
      serviceAccountName: app-${n}
      containers:
        - name: main
          image: ${image}
          ports:
            - containerPort: 8080
              name: http
          env:
            - name: LOG_LEVEL
              value: info
          resources:
            limits: {cpu: 500m, memory: 256Mi}
            requests: {cpu: 100m, memory: 128Mi}
          readinessProbe:
            httpGet: {path: /healthz, port: http}
          volumeMounts:
            - name: config
              mountPath: /etc/app
      volumes:
        - name: config
          configMap:
            name: app-${n}
`;
}

/** `count` Deployments using `images` distinct images, `perFile` documents per file (0: one file); returns bytes written. */
export function writeApps(dir, count, { perFile = 250, images = 2000 } = {}) {
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  const size = perFile || count;
  for (let f = 0; f * size < count; f++) {
    const docs = [];
    for (let n = f * size; n < Math.min(count, (f + 1) * size); n++) docs.push(deployment(n, `registry.example.com/shop/svc${n % images}:v1`));
    const text = docs.join('---\n');
    bytes += Buffer.byteLength(text);
    writeFileSync(path.join(dir, `apps-${String(f).padStart(4, '0')}.yaml`), text);
  }
  return bytes;
}

/** A ClusterImagePolicy that passes every image without the network (`static: pass`). */
export const STATIC_PASS = `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: allow-all
spec:
  images:
    - glob: "**"
  authorities:
    - static:
        action: pass
`;
